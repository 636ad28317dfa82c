#!/usr/bin/env bash
# Forged session reports (issue 12), each performed against a real wicketd
# and agents and asserted to fail, with nothing recorded:
#   A. agent A reports a login on instance B (body names B, A's credential);
#   B. agent A's secret under B's instance id in the credential;
#   C. a report without or with a wrong credential;
#   D. a malformed report (bad ids, unknown members, a flood of events):
#      refused whole, nothing stored;
#   E. a non-root peer on the agent's socket (wicket-ak, the helper's user)
#      sends SESSION-OPEN / SESSION-CLOSE: ERR denied, no registry file.
# And the control: agent A's honest report of its own instance is stored
# once even when sent twice.
. "$(dirname "$0")/../e2e/lib.sh"

DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
ensure_ak_user

wicket_as() {
	local profile=$1; shift
	AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
	    AWS_PROFILE="$profile" AWS_ENDPOINT_URL="$ENDPOINT" \
	    "$WK_BIN/wicket" "$@"
}
secret_of() { jq -r .agent_secret "$T/agent-$1/state.json"; }
id_of() { jq -r .instance_id "$T/agent-$1/state.json"; }
# report NAME-OF-CREDENTIAL-ID SECRET BODY: prints the HTTP status
report() {
	curl -s -o "$T/report.out" -w '%{http_code}' -X POST \
	    -H "Authorization: Wicket-Agent $1:$2" \
	    -H 'Content-Type: application/json' --data-binary "$3" \
	    "$ENDPOINT/agent/v1/sessions"
}
event() {	# event EVENT-ID SESSION-ID TYPE
	printf '{"event_id":"%s","type":"%s","session_id":"%s","time_ms":%s,"os_user":"ubuntu","fingerprint":"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","request_id":"r-1","caller_arn":"arn:aws:iam::123456789012:user/mallory","source":"203.0.113.9","tty":"pts/1","pid":4242,"opened_ms":%s%s}' \
	    "$1" "$3" "$2" "$(date +%s%3N)" "$(date +%s%3N)" \
	    "$([ "$3" = Logout ] && echo ',"duration_ms":5')"
}
sessions_of() {	# sessions_of INSTANCE: the open sessions wicketd lists
	wicket_as admin sessions --instance "$1" --output json | jq '.Sessions | length'
}
logins_of() {	# logins_of INSTANCE: Login/Logout events in the audit
	wicket_as admin audit --instance-id "$1" --output json |
	    jq '[.Events[] | select(.EventName == "wicket:Login" or .EventName == "wicket:Logout")] | length'
}

log "wicketd and two enrolled agents, A and B"
wicketd_init "$DATA" --account-id 123456789012 --region us-east-1 >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"
for h in a b; do
	mkdir -p "$T/hk-$h"
	ssh-keygen -q -t ed25519 -N '' -f "$T/hk-$h/key" </dev/null
	agent_enroll "$h" "127.0.0.$([ $h = a ] && echo 2 || echo 3)" 2222 "$T/hk-$h/key.pub" >/dev/null
done
A=$(id_of a); B=$(id_of b)
SA=$(secret_of a)

log "A. agent A reports a login on instance B"
body="{\"instance_id\":\"$B\",\"events\":[$(event e-00000000000000a1 s-00000000000000b1 Login)]}"
check "403 AccessDenied" test "$(report "$A" "$SA" "$body")" = 403
check "... with AccessDenied" grep -q AccessDenied "$T/report.out"
check "B has no session" test "$(sessions_of "$B")" = 0
check "B has no Login in the audit" test "$(logins_of "$B")" = 0
check "A has none either" test "$(logins_of "$A")" = 0

log "B. A's secret under B's instance id"
body="{\"events\":[$(event e-00000000000000a2 s-00000000000000b2 Login)]}"
check "401" test "$(report "$B" "$SA" "$body")" = 401
check "B has no Login in the audit" test "$(logins_of "$B")" = 0

log "C. no credential, a wrong secret"
check "no credential: 401" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST \
    --data-binary "$body" "$ENDPOINT/agent/v1/sessions")" = 401
check "wrong secret: 401" test "$(report "$A" "$(printf '%064d' 0)" "$body")" = 401

log "D. malformed reports are refused whole"
good=$(event e-00000000000000a3 s-00000000000000b3 Login)
check "a bad event id: 400" test "$(report "$A" "$SA" "{\"events\":[$good,$(event e-zz s-00000000000000b4 Login)]}")" = 400
check "an unknown member: 400" test "$(report "$A" "$SA" "{\"events\":[${good%\}},\"instance\":\"$B\"}]}")" = 400
many=$(for i in $(seq 1 65); do printf '%s,' "$good"; done)
check "65 events: 400" test "$(report "$A" "$SA" "{\"events\":[${many%,}]}")" = 400
check "nothing of them stored" test "$(logins_of "$A")" = 0

log "control: A's honest report, sent twice, is stored once"
body="{\"instance_id\":\"$A\",\"events\":[$good]}"
check "200" test "$(report "$A" "$SA" "$body")" = 200
check "200 again (a re-sent report)" test "$(report "$A" "$SA" "$body")" = 200
check "one Login for A" test "$(logins_of "$A")" = 1
check "one open session on A" test "$(sessions_of "$A")" = 1
check "the push is not wicketd's: UnverifiedPush, not mallory's word" \
    bash -c "wicket_as() { :; }; AWS_SHARED_CREDENTIALS_FILE='$T/credentials' AWS_CONFIG_FILE='$T/config' AWS_PROFILE=admin AWS_ENDPOINT_URL='$ENDPOINT' '$WK_BIN/wicket' audit --session s-00000000000000b3 --output json | jq -e '.Events[0].ErrorCode == \"UnverifiedPush\"' >/dev/null"

log "E. a non-root peer on the agent's socket"
agent_start a
sock="$T/agent-a.sock"
peer() {	# peer LINE: sends LINE as wicket-ak, prints the reply
	runuser -u wicket-ak -- "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
print(s.recv(256).decode().strip())' "$sock" "$1"
}
out=$(peer "SESSION-OPEN 1 ubuntu SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA $$ pts/9 198.51.100.7")
check "SESSION-OPEN as wicket-ak: ERR denied" test "$out" = "ERR denied"
out=$(peer "SESSION-CLOSE 1 ubuntu $$")
check "SESSION-CLOSE as wicket-ak: ERR denied" test "$out" = "ERR denied"
check "no registry file" test -z "$(ls "$T/agent-a/sessions" 2>/dev/null)"
check "nothing queued" test -z "$(ls "$T/agent-a/session-queue" 2>/dev/null)"

finish
