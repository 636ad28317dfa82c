#!/usr/bin/env bash
# Attacks on fetching recorded terminals (issue 12, item 4): a caller
# allowed wicket:GetSessionRecording tries to read other files of the data
# directory through the recording id, in the console's
# /console/api/recording?id= and in WicketService.GetSessionRecording:
# "../credentials", encoded and double-encoded dots, absolute paths, a
# NUL, an id with its ".cast", upper case, an over-long id; a symlink
# planted as DATA/recordings/<uuid>.cast pointing at the credentials; and
# the retention sweep given an old symlink (it removes the link, never
# its target). Each is refused and no secret is ever in an answer.
. "$(dirname "$0")/../e2e/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
BASE=$ENDPOINT
SEND="$WK_SOURCE/tests/security/sigv4_send.py"
ensure_ak_user

serve() {
	"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
	    --record-sessions --recording-retention 30 >>"$T/wicketd.log" 2>&1 &
	WICKETD_PID=$!
	PIDS+=("$WICKETD_PID")
	wait_tcp 127.0.0.1 "$PORT"
}
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
admin_id=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
admin_secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
add_profile admin "$admin_id" "$admin_secret"
serve
PW='Corr3ct-Horse-Battery'
aws_as admin iam create-user --user-name watcher >/dev/null
aws_as admin iam create-login-profile --user-name watcher --password "$PW" \
    --no-password-reset-required >/dev/null
aws_as admin iam put-user-policy --user-name watcher --policy-name watch \
    --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Action":["wicket:GetSessionRecording","wicket:ListSessionRecordings"],
    "Resource":"*"}]}'

# a genuine recording, and a planted symlink named like one
GOOD=1111abcd-2222-4333-8444-5555555555ef
LINK=66666666-7777-4888-8999-aaaaaaaaaaaa
mkdir -m 700 -p "$DATA/recordings"
printf '%s\n%s\n' '{"version":2,"width":80,"height":24,"timestamp":1,"title":"x","env":{"TERM":"xterm-256color"},"wicket":{"recording_id":"'$GOOD'","instance_id":"i-0123456789abcdef0","os_user":"ubuntu","caller_arn":"a","user":"u","source_ip":"127.0.0.1"}}' \
    '[0.1, "o", "genuine-output"]' >"$DATA/recordings/$GOOD.cast"
chmod 600 "$DATA/recordings/$GOOD.cast"
ln -s ../credentials "$DATA/recordings/$LINK.cast"
SECRET=$admin_secret

# sign in (console session cookie in $T/cookie)
jar="$T/jar"
csrf=$(curl -sS -c "$jar" "$BASE/console/api/session" |
    sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p')
curl -sS -b "$jar" -D "$T/login.hdr" -o /dev/null -H "Origin: $BASE" \
    -H "X-Wicket-CSRF: $csrf" -H 'Content-Type: application/json' \
    --data "{\"user\":\"watcher\",\"password\":\"$PW\"}" "$BASE/console/api/login"
cookie=$(sed -n 's/^Set-Cookie: wk_session=\([0-9a-f]\{64\}\);.*/\1/p' "$T/login.hdr" | tr -d '\r')
check "watcher signs in" test -n "$cookie"
fetch() {	# fetch RAW_QUERY_VALUE: status in $T/st, body in $T/body
	curl -sS --path-as-is -o "$T/body" -w '%{http_code}' \
	    -H "Cookie: wk_session=$cookie" \
	    "$BASE/console/api/recording?id=$1" >"$T/st"
}
check "the genuine recording is served to watcher" \
    bash -c "$(declare -f fetch); T='$T' BASE='$BASE' cookie='$cookie' fetch $GOOD &&
        test \"\$(cat '$T/st')\" = 200 && grep -q genuine-output '$T/body'"

log "path traversal in the console's ?id="
long=$(head -c 5000 /dev/zero | tr '\0' a)
for id in '../credentials' '..%2Fcredentials' '..%2F..%2Fetc%2Fpasswd' \
    '%2e%2e%2fcredentials' '%252e%252e%252fcredentials' '%2Fetc%2Fpasswd' \
    "$GOOD.cast" "$GOOD%00" "$GOOD%2F..%2F..%2Fcredentials" \
    "$(tr a-f A-F <<<"$GOOD")" "..%2Frecordings%2F$GOOD" "$long" ''; do
	fetch "$id"
	check "?id=${id:0:60}: refused (400 ValidationException), no secret" \
	    bash -c "test \"\$(cat '$T/st')\" = 400 &&
	        grep -q ValidationException '$T/body' &&
	        ! grep -q '$SECRET' '$T/body' && ! grep -q 'root:' '$T/body'"
done
fetch "$LINK"
check "a symlink planted as a recording is not followed" \
    bash -c "test \"\$(cat '$T/st')\" != 200 && ! grep -q '$SECRET' '$T/body'"

log "path traversal in WicketService.GetSessionRecording"
api() {	# api BODY: status line, then the body, into $T/api.out
	AWS_ACCESS_KEY_ID="$admin_id" AWS_SECRET_ACCESS_KEY="$admin_secret" \
	    "$PY" "$SEND" "$ENDPOINT" --service ec2 --region "$REGION" \
	    --target WicketService.GetSessionRecording --body "$1" >"$T/api.out"
}
for id in '../credentials' '../../etc/passwd' '/etc/passwd' "$GOOD.cast" \
    "$GOOD/../../credentials" "recordings/../../credentials" ''; do
	api "{\"RecordingId\": \"$id\"}"
	check "RecordingId ${id:-(empty)}: 400 ValidationException, no secret" \
	    bash -c "test \"\$(head -1 '$T/api.out')\" = 400 &&
	        grep -q ValidationException '$T/api.out' &&
	        ! grep -q '$SECRET' '$T/api.out' && ! grep -q 'root:' '$T/api.out'"
done
api '{"RecordingId": 7}'
check "a RecordingId that is no string: 400" test "$(head -1 "$T/api.out")" = 400
api "{\"RecordingId\": \"$LINK\"}"
check "the planted symlink through the API: refused, no secret" \
    bash -c "test \"\$(head -1 '$T/api.out')\" != 200 && ! grep -q '$SECRET' '$T/api.out'"
api "{\"RecordingId\": \"$GOOD\"}"
check "the genuine one through the API: 200" test "$(head -1 "$T/api.out")" = 200

log "the retention sweep and an old symlink"
echo victim >"$T/victim"
rm -f "$DATA/recordings/$LINK.cast"
ln -s "$T/victim" "$DATA/recordings/$LINK.cast"
touch -h -d '60 days ago' "$DATA/recordings/$LINK.cast"
touch -d '60 days ago' "$T/victim"
wicketd_stop
serve
check "the sweep removed the old link" test ! -L "$DATA/recordings/$LINK.cast"
check "and never its target" grep -qx victim "$T/victim"
check "the credentials are intact" grep -q "$SECRET" "$DATA/credentials"
finish
