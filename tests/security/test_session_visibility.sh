#!/usr/bin/env bash
# Who may see whose sessions and recordings (issue 12): wicket:ListSessions,
# wicket:ListSessionRecordings and wicket:GetSessionRecording are decided on
# the instance (arn:aws:ec2:REGION:ACCOUNT:instance/ID, its tags in the
# context). Two instances A and B, each with an open session (reported by
# its own agent's credential) and a recording; callers allowed only on A
#   arn   by A's ARN,
#   tag   by a condition on the instance's tag (ec2:ResourceTag/team),
#   deny  wicket:* on "*" and an explicit Deny on B,
# try to see B's through the JSON API (signed requests and the `wicket`
# CLI) and through the console: each attempt fails (AccessDenied, or B's
# entries left out of a list, B's recording answered as an id that does
# not exist) while A's stay visible. A caller allowed none
# of the actions is refused; the administrator sees both.
# RevokeSessions --instance is decided on the instance the same way.
. "$(dirname "$0")/../e2e/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SEND="$WK_SOURCE/tests/security/sigv4_send.py"
PW='Corr3ct-Horse-Battery'
ensure_ak_user

wicket_as() {	# wicket_as PROFILE ARGS...
	local profile=$1; shift
	AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
	    AWS_PROFILE="$profile" AWS_ENDPOINT_URL="$ENDPOINT" \
	    "$WK_BIN/wicket" "$@"
}
id_of() { jq -r .instance_id "$T/agent-$1/state.json"; }
secret_of() { jq -r .agent_secret "$T/agent-$1/state.json"; }
# report HOST SESSION-ID EVENT-ID: the host's agent reports an open login
report() {
	local now
	now=$(date +%s%3N)
	curl -s -o "$T/report.out" -w '%{http_code}' -X POST \
	    -H "Authorization: Wicket-Agent $(id_of "$1"):$(secret_of "$1")" \
	    -H 'Content-Type: application/json' --data-binary \
	    "{\"events\":[{\"event_id\":\"$3\",\"type\":\"Login\",\"session_id\":\"$2\",\"time_ms\":$now,\"os_user\":\"ubuntu\",\"fingerprint\":\"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"request_id\":\"r-$1\",\"caller_arn\":\"\",\"source\":\"203.0.113.9\",\"tty\":\"pts/1\",\"pid\":4242,\"opened_ms\":$now}]}" \
	    "$ENDPOINT/agent/v1/sessions"
}
# plant ID INSTANCE MARKER: a recording of INSTANCE, as wicketd writes them
plant() {
	printf '%s\n%s\n' "{\"version\":2,\"width\":80,\"height\":24,\"timestamp\":1,\"title\":\"x\",\"env\":{\"TERM\":\"xterm-256color\"},\"wicket\":{\"recording_id\":\"$1\",\"instance_id\":\"$2\",\"os_user\":\"ubuntu\",\"caller_arn\":\"arn:aws:iam::$ACCOUNT:user/admin\",\"user\":\"admin\",\"source_ip\":\"127.0.0.1\"}}" \
	    "[0.1, \"o\", \"$3\"]" >"$DATA/recordings/$1.cast"
	chmod 600 "$DATA/recordings/$1.cast"
}
api() {	# api PROFILE ACTION BODY: status line, then the body, in $T/api.out
	AWS_ACCESS_KEY_ID="$(eval echo "\$AKID_$1")" \
	    AWS_SECRET_ACCESS_KEY="$(eval echo "\$SECRET_$1")" \
	    "$PY" "$SEND" "$ENDPOINT" --service ec2 --region "$REGION" \
	    --target "WicketService.$2" --body "$3" >"$T/api.out"
}
status() { head -1 "$T/api.out"; }
body() { tail -n +2 "$T/api.out"; }
# console_get USER PATH: GET PATH signed in as USER; status line, then the body
console_get() {
	local jar="$T/jar-$1" csrf
	if [ ! -s "$T/csrf-$1" ]; then
		csrf=$(curl -s -c "$jar" -b "$jar" "$ENDPOINT/console/api/session" | jq -r .csrf)
		curl -s -c "$jar" -b "$jar" -H "Origin: $ENDPOINT" \
		    -H "X-Wicket-CSRF: $csrf" -H 'Content-Type: application/json' \
		    --data "{\"user\":\"$1\",\"password\":\"$PW\"}" \
		    "$ENDPOINT/console/api/login" | jq -r .csrf >"$T/csrf-$1"
	fi
	curl -s -b "$jar" -H "X-Wicket-CSRF: $(cat "$T/csrf-$1")" \
	    -o "$T/console.out" -w '%{http_code}\n' "$ENDPOINT$2"
	cat "$T/console.out"
}

log "wicketd, instances A (team=a) and B (team=b), a session and a recording on each"
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
    --record-sessions >>"$T/wicketd.log" 2>&1 &
WICKETD_PID=$!
PIDS+=("$WICKETD_PID")
wait_tcp 127.0.0.1 "$PORT"
for h in a b; do
	mkdir -p "$T/hk-$h"
	ssh-keygen -q -t ed25519 -N '' -f "$T/hk-$h/key" </dev/null
	agent_enroll "$h" "127.0.0.$([ $h = a ] && echo 2 || echo 3)" 2222 \
	    "$T/hk-$h/key.pub" >/dev/null
done
A=$(id_of a); B=$(id_of b)
aws_as admin ec2 create-tags --resources "$A" --tags Key=team,Value=a
aws_as admin ec2 create-tags --resources "$B" --tags Key=team,Value=b
SA=s-00000000000000a1
SB=s-00000000000000b1
check "A's agent reports A's login" test "$(report a $SA e-00000000000000a1)" = 200
check "B's agent reports B's login" test "$(report b $SB e-00000000000000b1)" = 200
RA=aaaaaaaa-1111-4222-8333-444444444444
RB=bbbbbbbb-1111-4222-8333-444444444444
mkdir -m 700 -p "$DATA/recordings"
plant "$RA" "$A" output-of-a
plant "$RB" "$B" output-of-b
ARN_A="arn:aws:ec2:$REGION:$ACCOUNT:instance/$A"
ARN_B="arn:aws:ec2:$REGION:$ACCOUNT:instance/$B"

ACTIONS='["wicket:ListSessions", "wicket:ListSessionRecordings",
  "wicket:GetSessionRecording", "wicket:RevokeSessions"]'
DESCRIBE='{"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}'
policy_arn="{\"Version\": \"2012-10-17\", \"Statement\": [$DESCRIBE,
 {\"Effect\": \"Allow\", \"Action\": $ACTIONS, \"Resource\": \"$ARN_A\"}]}"
policy_tag="{\"Version\": \"2012-10-17\", \"Statement\": [$DESCRIBE,
 {\"Effect\": \"Allow\", \"Action\": $ACTIONS, \"Resource\": \"*\",
  \"Condition\": {\"StringEquals\": {\"ec2:ResourceTag/team\": \"a\"}}}]}"
policy_deny="{\"Version\": \"2012-10-17\", \"Statement\": [$DESCRIBE,
 {\"Effect\": \"Allow\", \"Action\": \"wicket:*\", \"Resource\": \"*\"},
 {\"Effect\": \"Deny\", \"Action\": \"wicket:*\", \"Resource\": \"$ARN_B\"}]}"
policy_none="{\"Version\": \"2012-10-17\", \"Statement\": [$DESCRIBE]}"
for u in arn tag deny none; do
	aws_as admin iam create-user --user-name "$u" >/dev/null
	eval "doc=\$policy_$u"
	aws_as admin iam put-user-policy --user-name "$u" --policy-name p \
	    --policy-document "$doc"
	aws_as admin iam create-login-profile --user-name "$u" --password "$PW" \
	    --no-password-reset-required >/dev/null
	out=$(aws_as admin iam create-access-key --user-name "$u")
	eval "AKID_$u=$(jq -r .AccessKey.AccessKeyId <<<"$out")"
	eval "SECRET_$u=$(jq -r .AccessKey.SecretAccessKey <<<"$out")"
	add_profile "$u" "$(jq -r .AccessKey.AccessKeyId <<<"$out")" \
	    "$(jq -r .AccessKey.SecretAccessKey <<<"$out")"
done

log "control: the administrator sees both"
out=$(wicket_as admin sessions --output json)
check "admin: wicket sessions lists A's and B's" \
    bash -c "grep -q $SA <<<'$out' && grep -q $SB <<<'$out'"
AKID_admin=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
SECRET_admin=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
api admin ListSessionRecordings '{}'
check "admin: ListSessionRecordings lists A's and B's" \
    bash -c "grep -q $RA '$T/api.out' && grep -q $RB '$T/api.out'"

# A recording the caller may not get is answered as an unknown id: 403
# AccessDenied on "*" to a caller not allowed on "*" (arn, tag), 404 to one
# allowed on "*" (deny: B's is hidden)
UNKNOWN=cccccccc-1111-4222-8333-444444444444
declare -A HIDDEN=([arn]=403 [tag]=403 [deny]=404)
for u in arn tag deny; do
	log "$u: allowed on A only; B's sessions and recordings stay hidden"
	# the wicket CLI
	out=$(wicket_as "$u" sessions --output json 2>&1) && rc=0 || rc=$?
	check "$u: wicket sessions succeeds and lists A's session" \
	    bash -c "[ $rc -eq 0 ] && grep -q $SA <<<'$out'"
	check "$u: ... and not B's" lacks "$out" "$SB"
	out=$(wicket_as "$u" sessions --instance "$A" --output json 2>&1) || true
	check "$u: wicket sessions --instance A lists A's" contains "$out" "$SA"
	out=$(wicket_as "$u" sessions --instance "$B" --output json 2>&1) && rc=0 || rc=$?
	check "$u: wicket sessions --instance B: AccessDenied, nothing of B" \
	    bash -c "[ $rc -ne 0 ] && grep -q AccessDenied <<<'$out' && ! grep -q $SB <<<'$out'"
	# signed requests
	api "$u" ListSessions "{\"InstanceId\": \"$B\"}"
	check "$u: ListSessions InstanceId=B: 403 AccessDeniedException" \
	    bash -c "[ \"\$(head -1 '$T/api.out')\" = 403 ] &&
	        grep -q AccessDeniedException '$T/api.out' && ! grep -q $SB '$T/api.out'"
	api "$u" ListSessions '{"MaxResults": 1}'
	check "$u: ListSessions MaxResults=1: A's (B's is not counted)" \
	    bash -c "[ \"\$(head -1 '$T/api.out')\" = 200 ] &&
	        tail -n +2 '$T/api.out' | jq -e '.Sessions | length == 1 and .[0].SessionId == \"$SA\"'"
	api "$u" ListSessionRecordings '{}'
	check "$u: ListSessionRecordings: 200, A's recording, not B's" \
	    bash -c "[ \"\$(head -1 '$T/api.out')\" = 200 ] &&
	        grep -q $RA '$T/api.out' && ! grep -q $RB '$T/api.out'"
	api "$u" ListSessionRecordings "{\"InstanceId\": \"$B\"}"
	check "$u: ListSessionRecordings InstanceId=B: 403, nothing of B" \
	    bash -c "[ \"\$(head -1 '$T/api.out')\" = 403 ] && ! grep -q $RB '$T/api.out'"
	api "$u" GetSessionRecording "{\"RecordingId\": \"$RB\"}"
	cp "$T/api.out" "$T/get-b.out"
	check "$u: GetSessionRecording of B's: refused (${HIDDEN[$u]}), no content" \
	    bash -c "[ \"\$(head -1 '$T/api.out')\" = ${HIDDEN[$u]} ] &&
	        ! grep -q output-of-b '$T/api.out'"
	api "$u" GetSessionRecording "{\"RecordingId\": \"$UNKNOWN\"}"
	check "$u: ... answered exactly as an id with no recording (B's id is not revealed)" \
	    bash -c "[ \"\$(head -1 '$T/api.out')\" = \"\$(head -1 '$T/get-b.out')\" ] &&
	        [ \"\$(tail -n +2 '$T/api.out' | jq -r .__type)\" = \"\$(tail -n +2 '$T/get-b.out' | jq -r .__type)\" ] &&
	        [ \"\$(tail -n +2 '$T/api.out' | jq -r .message | sed 's/$UNKNOWN/ID/')\" = \"\$(tail -n +2 '$T/get-b.out' | jq -r .message | sed 's/$RB/ID/')\" ] &&
	        ! grep -q '$B' '$T/get-b.out'"
	api "$u" GetSessionRecording "{\"RecordingId\": \"$RA\"}"
	check "$u: GetSessionRecording of A's: 200 with its content" \
	    bash -c "[ \"\$(head -1 '$T/api.out')\" = 200 ] && grep -q output-of-a '$T/api.out'"
	# the console
	console_get "$u" /console/api/instances >"$T/c.out"
	check "$u: console instances page: A's session only" \
	    bash -c "tail -n +2 '$T/c.out' | jq -e '[.sessions[].sessionId] == [\"$SA\"]'"
	console_get "$u" /console/api/recordings >"$T/c.out"
	check "$u: console recordings: A's only" \
	    bash -c "tail -n +2 '$T/c.out' | jq -e '[.recordings[].id] == [\"$RA\"]'"
	console_get "$u" "/console/api/recording?id=$RB" >"$T/c.out"
	check "$u: console recording of B's: ${HIDDEN[$u]}, no content" \
	    bash -c "[ \"\$(head -1 '$T/c.out')\" = ${HIDDEN[$u]} ] && ! grep -q output-of-b '$T/c.out'"
	console_get "$u" "/console/api/recording?id=$RA" >"$T/c.out"
	check "$u: console recording of A's: 200" \
	    bash -c "[ \"\$(head -1 '$T/c.out')\" = 200 ] && grep -q output-of-a '$T/c.out'"
	# revocation on the instance
	out=$(wicket_as "$u" revoke --instance "$B" 2>&1) && rc=0 || rc=$?
	check "$u: wicket revoke --instance B: AccessDenied" \
	    bash -c "[ $rc -ne 0 ] && grep -q AccessDenied <<<'$out'"
done

log "none: allowed none of the actions"
out=$(wicket_as none sessions 2>&1) && rc=0 || rc=$?
check "none: wicket sessions: AccessDenied" \
    bash -c "[ $rc -ne 0 ] && grep -q AccessDenied <<<'$out'"
api none ListSessionRecordings '{}'
check "none: ListSessionRecordings: 403, nothing listed" \
    bash -c "[ \"\$(head -1 '$T/api.out')\" = 403 ] && ! grep -q $RA '$T/api.out'"
api none GetSessionRecording "{\"RecordingId\": \"$RA\"}"
check "none: GetSessionRecording: 403, no content" \
    bash -c "[ \"\$(head -1 '$T/api.out')\" = 403 ] && ! grep -q output-of-a '$T/api.out'"
api none GetSessionRecording "{\"RecordingId\": \"$UNKNOWN\"}"
check "none: an unknown id is refused the same (403, not 404)" \
    test "$(head -1 "$T/api.out")" = 403
console_get none /console/api/instances >"$T/c.out"
check "none: the console shows no sessions section" \
    bash -c "tail -n +2 '$T/c.out' | jq -e '.sessions == null'"
console_get none /console/api/recordings >"$T/c.out"
check "none: console recordings: 403" test "$(head -1 "$T/c.out")" = 403

log "revocation on the caller's own instance works"
out=$(wicket_as arn revoke --instance "$A" 2>&1) && rc=0 || rc=$?
check "arn: wicket revoke --instance A succeeds" test "$rc" -eq 0
out=$(wicket_as admin audit --output json)
check "the refused revocations on B are audited with B" bash -c "jq -e '
    [.Events[] | select(.EventName == \"wicket:RevokeSessions\" and
    .Decision == \"Deny\" and .InstanceId == \"$B\")] | length == 3' >/dev/null <<<'$out'"
check "the refused fetches of B's recording are audited with B" bash -c "jq -e '
    [.Events[] | select(.EventName == \"wicket:GetSessionRecording\" and
    .Decision == \"Deny\" and .InstanceId == \"$B\")] | length == 6' >/dev/null <<<'$out'"
finish
