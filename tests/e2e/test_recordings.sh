#!/usr/bin/env bash
# Recorded browser terminals (issue 12, item 4), end to end: wicketd serve
# --record-sessions with a small --recording-max-bytes, a real agent and
# sshd, Debian's chromium (tests/e2e/recordings.spec.mjs: record, list,
# replay, the bound, a caller without permission). Then, from the shell:
# the file is valid asciicast v2 (python's json, line by line), output
# only, 0600 in a 0700 directory, named by its audit event's RequestId;
# the JSON API lists and returns it to the allowed and refuses the others
# (AccessDeniedException); a policy requiring wicket:SessionRecorded
# refuses an API push (never recorded); the retention sweep removes an
# old recording and keeps a recent one.
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
NODE=${NODE:-node}
PW_DIR="$WK_SOURCE/web/node_modules/playwright-core"
if [ ! -x "$CHROMIUM" ] || ! command -v "$NODE" >/dev/null; then
	echo "SKIP: chromium or node missing (scripts/install-deps.sh)"
	exit 77
fi
if [ ! -f "$PW_DIR/index.mjs" ]; then
	(cd "$WK_SOURCE/web" && npm ci --no-audit --no-fund --loglevel=error)
fi
WEB_DIR=${WICKET_WEB_DIR:-$WK_BIN/web}
if [ ! -f "$WEB_DIR/asciinema-player.min.js" ]; then
	bash "$WK_SOURCE/scripts/build-web.sh" "$T/web" >/dev/null
	WEB_DIR="$T/web"
fi
export WICKET_WEB_DIR="$WEB_DIR"
ARTIFACTS=${WK_ARTIFACTS:-$WK_SOURCE/build/test-artifacts}
mkdir -p "$ARTIFACTS"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
SEND="$WK_SOURCE/tests/security/sigv4_send.py"
MAX=65536
ensure_user ubuntu
ensure_ak_user

serve() {	# serve ARGS...: wicketd serve with recording on
	"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
	    --record-sessions --recording-max-bytes "$MAX" "$@" \
	    >>"$T/wicketd.log" 2>&1 &
	WICKETD_PID=$!
	PIDS+=("$WICKETD_PID")
	wait_tcp 127.0.0.1 "$PORT"
}

log "control plane, users, a host"
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
serve
PASSWORD='Corr3ct-Horse-Battery'
for u in alice bob; do
	aws_as admin iam create-user --user-name "$u" >/dev/null
	aws_as admin iam create-login-profile --user-name "$u" \
	    --password "$PASSWORD" --no-password-reset-required >/dev/null
done
# both may connect as ubuntu, only when the session is recorded; only
# alice may list and replay recordings
cat >"$T/connect.json" <<JSON
{"Version": "2012-10-17", "Statement": [
 {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"},
 {"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey",
  "Resource": "arn:aws:ec2:$REGION:$ACCOUNT:instance/*",
  "Condition": {"StringEquals": {"ec2:osuser": "ubuntu"}}},
 {"Sid": "RequireRecording", "Effect": "Deny",
  "Action": "ec2-instance-connect:SendSSHPublicKey", "Resource": "*",
  "Condition": {"Bool": {"wicket:SessionRecorded": "false"}}}]}
JSON
cat >"$T/watch.json" <<JSON
{"Version": "2012-10-17", "Statement": [
 {"Effect": "Allow", "Action": ["wicket:ListSessionRecordings",
  "wicket:GetSessionRecording"], "Resource": "*"}]}
JSON
for u in alice bob; do
	aws_as admin iam put-user-policy --user-name "$u" --policy-name connect \
	    --policy-document "file://$T/connect.json"
done
aws_as admin iam put-user-policy --user-name alice --policy-name watch \
    --policy-document "file://$T/watch.json"
bob_key=$(aws_as admin iam create-access-key --user-name bob)
bob_id=$(jq -r .AccessKey.AccessKeyId <<<"$bob_key")
bob_secret=$(jq -r .AccessKey.SecretAccessKey <<<"$bob_key")
admin_id=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
admin_secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
add_profile bob "$bob_id" "$bob_secret"

mkdir -p "$T/sshd-host1"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-host1/ssh_host_ed25519_key" </dev/null
host1=$(agent_enroll host1 127.0.0.2 "$SSH_PORT" "$T/sshd-host1/ssh_host_ed25519_key.pub")
agent_start host1
sshd_start host1 127.0.0.2 "$SSH_PORT" "$T/agent-host1" "$T/agent-host1.sock"

log "chromium: record, list, replay, bound, refusal"
export WK_URL="$ENDPOINT" WK_ALICE=alice WK_BOB=bob WK_PASSWORD="$PASSWORD"
export WK_HOST1=$host1 WK_CHROMIUM=$CHROMIUM WK_ARTIFACTS=$ARTIFACTS WK_TMP=$T
export WK_PLAYWRIGHT="$PW_DIR/index.mjs"
"$NODE" "$WK_SOURCE/tests/e2e/recordings.spec.mjs" >"$T/spec.out" 2>&1 || true
while IFS= read -r line; do
	case $line in
	"ok "*) pass "${line#ok * - }" ;;
	"not ok "*) fail "${line#not ok * - }" ;;
	*) printf '%s\n' "$line" ;;
	esac
done <"$T/spec.out"
check "the browser test ran to its end" grep -q '^# done' "$T/spec.out"
ID=$(sed -n 's/^# id \([0-9a-f-]\{36\}\)$/\1/p' "$T/spec.out")
REC="$DATA/recordings/$ID.cast"

log "the recording on disk"
check "the recording exists, named by its id" test -n "$ID" -a -f "$REC"
check "the directory is 0700" test "$(stat -c %a "$DATA/recordings")" = 700
check "the file is 0600" test "$(stat -c %a "$REC")" = 600
cat >"$T/cast.py" <<'PY'
import json, sys
path, marker, maxb = sys.argv[1], sys.argv[2], int(sys.argv[3])
raw = open(path, "rb").read()
assert len(raw) <= maxb, f"{len(raw)} bytes > {maxb}"
lines = raw.decode("utf-8").split("\n")
assert lines[-1] == "", "the file ends with a newline"
h = json.loads(lines[0])
assert h["version"] == 2 and isinstance(h["width"], int) and \
    isinstance(h["height"], int) and isinstance(h["timestamp"], int), h
assert h["env"]["TERM"] == "xterm-256color" and "@" in h["title"], h
out, last, codes = "", 0.0, set()
for l in lines[1:-1]:
    t, code, data = json.loads(l)
    assert isinstance(t, float) and t >= last, l
    last = t
    codes.add(code)
    assert code in ("o", "r", "m"), l
    if code == "o":
        out += data
assert "i" not in codes, "input is never recorded"
if marker:
    assert marker in out, "the marker is in the output"
print(json.dumps({"codes": sorted(codes), "header": h, "size": len(raw),
                  "last": json.loads(lines[-2])}))
PY
check "valid asciicast v2, output only, with the marker and w's header" \
    bash -c "python3 '$T/cast.py' '$REC' rec-42-marker $MAX >'$T/cast.json' &&
        grep -q 'USER' '$REC'"
check "the header names the caller, instance and OS user" \
    jq -e --arg id "$ID" --arg h "$host1" '.header.wicket.recording_id == $id and
        .header.wicket.instance_id == $h and .header.wicket.os_user == "ubuntu" and
        (.header.wicket.caller_arn | endswith(":user/alice"))' "$T/cast.json"
other=$(ls "$DATA/recordings" | grep -v "^$ID.cast$" | head -1)
# The event that would cross the bound is not written: how close to it the
# file ends depends on how much output one read brought (more when slow).
check "the bounded recording: within --recording-max-bytes, ends with its marker" \
    bash -c "python3 '$T/cast.py' '$DATA/recordings/$other' '' $MAX >'$T/big.json' &&
        jq -e '.size > $MAX / 2 and (.codes | index(\"m\")) != null and
            (.last[2] | contains(\"size limit\"))' '$T/big.json'"

log "the JSON API"
api() {	# api KEYID SECRET ACTION BODY: the status in $T/api.status, the body in $T/api.json
	AWS_ACCESS_KEY_ID="$1" AWS_SECRET_ACCESS_KEY="$2" "$PY" "$SEND" "$ENDPOINT" \
	    --service ec2 --region "$REGION" --target "WicketService.$3" \
	    --body "$4" >"$T/api.out"
	head -1 "$T/api.out" >"$T/api.status"
	tail -n +2 "$T/api.out" >"$T/api.json"
}
status_is() { test "$(cat "$T/api.status")" = "$1"; }
api "$admin_id" "$admin_secret" ListAuditEvents '{"MaxResults": 1000}'
check "the terminal's audit event carries the recording's id (RequestId)" \
    jq -e --arg id "$ID" '[.Events[] | select(.RequestId == $id and
        .Via == "console" and .Decision == "Allow")] | length == 1' "$T/api.json"
api "$admin_id" "$admin_secret" ListSessionRecordings '{}'
check "ListSessionRecordings (admin) lists it" status_is 200
check "with its instance, OS user and caller" jq -e --arg id "$ID" \
    '[.Recordings[] | select(.RecordingId == $id and .OsUser == "ubuntu" and
        .UserName == "alice")] | length == 1' "$T/api.json"
api "$admin_id" "$admin_secret" GetSessionRecording "{\"RecordingId\": \"$ID\"}"
check "GetSessionRecording (admin): 200" status_is 200
check "returns the asciicast with the marker" \
    jq -e '.Asciicast | contains("rec-42-marker")' "$T/api.json"
api "$bob_id" "$bob_secret" ListSessionRecordings '{}'
check "ListSessionRecordings (bob): 403" status_is 403
check "AccessDeniedException, nothing listed" bash -c \
    "grep -q AccessDeniedException '$T/api.json' && ! grep -q '$ID' '$T/api.json'"
api "$bob_id" "$bob_secret" GetSessionRecording "{\"RecordingId\": \"$ID\"}"
check "GetSessionRecording (bob): 403" status_is 403
check "AccessDeniedException, no content" bash -c \
    "grep -q AccessDeniedException '$T/api.json' && ! grep -q marker '$T/api.json'"
api "$admin_id" "$admin_secret" ListAuditEvents '{"MaxResults": 1000}'
check "fetches are audited, the refused ones too" jq -e '
    ([.Events[] | select(.EventName == "wicket:GetSessionRecording" and
        .Decision == "Allow")] | length >= 2) and
    ([.Events[] | select(.EventName == "wicket:GetSessionRecording" and
        .Decision == "Deny")] | length >= 2)' "$T/api.json"

log "wicket:SessionRecorded is false for an API push (never recorded)"
ssh-keygen -q -t ed25519 -N '' -f "$T/bobkey" </dev/null
aws_as bob ec2-instance-connect send-ssh-public-key --instance-id "$host1" \
    --instance-os-user ubuntu --ssh-public-key "file://$T/bobkey.pub" \
    >"$T/push.out" 2>&1 || true
check "bob's API push is refused by the RequireRecording Deny (AuthException)" \
    grep -q AuthException "$T/push.out"

log "retention"
touch -d '40 days ago' "$REC"
wicketd_stop
serve --recording-retention 30
check "the sweep removed the recording last written 40 days ago" test ! -e "$REC"
check "and kept the recent one" test -f "$DATA/recordings/$other"
check "the sweep is logged" grep -q "id=$ID outcome=expired" "$T/wicketd.log"
finish
