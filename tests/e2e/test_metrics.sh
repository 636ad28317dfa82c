#!/usr/bin/env bash
# GET /metrics (issue 14 item 7): wicketd serve --metrics-listen serves the
# Prometheus text format on a listener of its own; promtool accepts it and
# the counters move by exactly what was done: one allowed push, one denied
# push, one request with a bad signature.
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
MPORT=$(free_port)
MADDR=127.0.0.5
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
PROMTOOL=${PROMTOOL:-promtool}
ensure_ak_user

wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile

log "a bad --metrics-listen is refused at start"
set +e
out=$("$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
    --metrics-listen "not-an-address" 2>&1)
rc=$?
set -e
check "bad address: wicketd exits non-zero" test "$rc" -ne 0
check "bad address: says which option" contains "$out" "--metrics-listen"

"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
    --metrics-listen "$MADDR:$MPORT" >>"$T/wicketd.log" 2>&1 &
WICKETD_PID=$!
PIDS+=("$WICKETD_PID")
wait_tcp 127.0.0.1 "$PORT"
wait_tcp "$MADDR" "$MPORT"

scrape() { curl -sS --max-time 10 "http://$MADDR:$MPORT/metrics"; }
# value FILE 'name{labels}' (or 'name'): the sample's value, 0 when absent
value() {
	awk -v k="$2" '$1 == k { v = $2 } END { print (v == "" ? 0 : v) }' "$1"
}
delta() { echo $(( $(value "$2" "$3") - $(value "$1" "$3") )); }

aws_as admin iam create-user --user-name dev >/dev/null
out=$(aws_as admin iam create-access-key --user-name dev)
dev_key=$(jq -r .AccessKey.AccessKeyId <<<"$out")
dev_secret=$(jq -r .AccessKey.SecretAccessKey <<<"$out")

ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
inst_a=$(agent_enroll a 127.0.0.2 "$SSH_PORT" "$T/hostkey.pub")
agent_start a
inst_b=$(agent_enroll b 127.0.0.3 "$SSH_PORT" "$T/hostkey.pub")
cat >"$T/policy.json" <<JSON
{"Version": "2012-10-17", "Statement": [{
	"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey",
	"Resource": "arn:aws:ec2:$REGION:$ACCOUNT:instance/$inst_a"}]}
JSON
aws_as admin iam put-user-policy --user-name dev --policy-name push-a \
    --policy-document "file://$T/policy.json" >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null
push_body() {
	jq -n --arg i "$1" --arg u ubuntu --arg k "$(cat "$T/k.pub")" \
	    '{InstanceId:$i, InstanceOSUser:$u, SSHPublicKey:$k}' >"$2"
}
push_body "$inst_a" "$T/push-a.json"
push_body "$inst_b" "$T/push-b.json"
sp() {	# sp KEYID SECRET BODY-FILE: a signed SendSSHPublicKey
	AWS_ACCESS_KEY_ID="$1" AWS_SECRET_ACCESS_KEY="$2" \
	    "$WK_BIN/signed_post" "$ENDPOINT" ec2-instance-connect \
	    AWSEC2InstanceConnectService.SendSSHPublicKey "$3"
}
# the agent is online once its first poll is held
for _ in $(seq 1 50); do
	scrape >"$T/m0.txt"
	[ "$(value "$T/m0.txt" wicket_agent_polls_held)" -ge 1 ] && break
	sleep 0.2
done

log "the first scrape: valid text format, every metric present"
check "promtool check metrics accepts the scrape" \
    bash -c "$PROMTOOL check metrics <'$T/m0.txt'"
for m in wicket_api_requests_total wicket_api_request_duration_seconds \
    wicket_policy_decisions_total wicket_audit_writes_total \
    wicket_audit_commit_duration_seconds wicket_audit_batch_size \
    wicket_throttled_total wicket_store_errors_total wicket_agents_online \
    wicket_agent_polls_held wicket_console_terminals_open \
    wicket_process_start_time_seconds; do
	check "TYPE line for $m" grep -q "^# TYPE $m " "$T/m0.txt"
done
check "agents online: 1 (a runs, b never does)" \
    test "$(value "$T/m0.txt" wicket_agents_online)" = 1
check "one long-poll held" test "$(value "$T/m0.txt" wicket_agent_polls_held)" = 1
check "process start time is set" \
    test "$(value "$T/m0.txt" wicket_process_start_time_seconds)" -gt 1700000000
check "content type is the exposition format 0.0.4" contains \
    "$(curl -sS -o /dev/null -w '%{content_type}' "http://$MADDR:$MPORT/metrics")" \
    "version=0.0.4"

log "one allowed push, one denied push, one bad signature"
out=$(sp "$dev_key" "$dev_secret" "$T/push-a.json")
check "allowed push: 200" test "$(head -1 <<<"$out")" = 200
out=$(sp "$dev_key" "$dev_secret" "$T/push-b.json")
check "denied push: 403" test "$(head -1 <<<"$out")" = 403
out=$(sp "$dev_key" "wrong${dev_secret:5}" "$T/push-a.json")
check "bad signature: 400 (InvalidSignatureException, as AWS answers)" \
    test "$(head -1 <<<"$out")" = 400
scrape >"$T/m1.txt"
check "promtool check metrics accepts the second scrape" \
    bash -c "$PROMTOOL check metrics <'$T/m1.txt'"

A='action="SendSSHPublicKey"'
check "requests: SendSSHPublicKey success 200 +1" test "$(delta "$T/m0.txt" "$T/m1.txt" \
    "wicket_api_requests_total{$A,outcome=\"success\",code=\"200\"}")" = 1
check "requests: SendSSHPublicKey client_error 403 +1" test "$(delta "$T/m0.txt" "$T/m1.txt" \
    "wicket_api_requests_total{$A,outcome=\"client_error\",code=\"403\"}")" = 1
check "requests: the bad signature counts as action unknown, 400 +1" \
    test "$(delta "$T/m0.txt" "$T/m1.txt" \
    'wicket_api_requests_total{action="unknown",outcome="client_error",code="400"}')" = 1
check "latency histogram: SendSSHPublicKey count +2" test "$(delta "$T/m0.txt" "$T/m1.txt" \
    "wicket_api_request_duration_seconds_count{$A}")" = 2
check "latency histogram: +Inf bucket equals count" test \
    "$(value "$T/m1.txt" "wicket_api_request_duration_seconds_bucket{$A,le=\"+Inf\"}")" = \
    "$(value "$T/m1.txt" "wicket_api_request_duration_seconds_count{$A}")"
check "policy decisions: allow +1" test "$(delta "$T/m0.txt" "$T/m1.txt" \
    'wicket_policy_decisions_total{decision="allow"}')" = 1
check "policy decisions: deny +1" test "$(delta "$T/m0.txt" "$T/m1.txt" \
    'wicket_policy_decisions_total{decision="deny"}')" = 1
check "audit writes: +2 ok (the two pushes; the bad signature names no caller)" \
    test "$(delta "$T/m0.txt" "$T/m1.txt" 'wicket_audit_writes_total{result="ok"}')" = 2
check "audit batch size: 2 more batches of 1" test "$(delta "$T/m0.txt" "$T/m1.txt" \
    'wicket_audit_batch_size_bucket{le="1"}')" = 2
check "audit commit time: count +2" test "$(delta "$T/m0.txt" "$T/m1.txt" \
    wicket_audit_commit_duration_seconds_count)" = 2
check "no store errors" test "$(value "$T/m1.txt" wicket_store_errors_total)" = 0
check "nothing throttled" test "$(awk '/^wicket_throttled_total/ {s += $2} END {print s + 0}' "$T/m1.txt")" = 0

log "only GET /metrics; the API listener does not serve it"
check "other path: 404" test "$(curl -s -o /dev/null -w '%{http_code}' \
    "http://$MADDR:$MPORT/")" = 404
check "POST: 405" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST \
    --data x "http://$MADDR:$MPORT/metrics")" = 405
check "the API listener has no /metrics" bash -c "! curl -s \
    '$ENDPOINT/metrics' | grep -q wicket_api_requests_total"
log "a signed call naming an action we do not serve: counted as unknown"
scrape >"$T/m2.txt"
out=$(AWS_ACCESS_KEY_ID="$dev_key" AWS_SECRET_ACCESS_KEY="$dev_secret" \
    "$WK_BIN/signed_post" "$ENDPOINT" ec2-instance-connect \
    AWSEC2InstanceConnectService.BogusActionX1 "$T/push-a.json")
check "bogus action: refused with 400" test "$(head -1 <<<"$out")" = 400
scrape >"$T/m3.txt"
check "the client's action name is no label value" bash -c \
    "! grep -q BogusActionX1 '$T/m3.txt'"
check "unknown action, 400: +1" test "$(delta "$T/m2.txt" "$T/m3.txt" \
    'wicket_api_requests_total{action="unknown",outcome="client_error",code="400"}')" = 1

log "throttles: 64 live keys fill OS user 'fill', the 65th is refused"
push_body "$inst_a" "$T/fill.json"
jq '.InstanceOSUser = "fill"' "$T/fill.json" >"$T/fill2.json"
scrape >"$T/m4.txt"
ok=0 rate=0 full=0
for _ in $(seq 1 400); do
	out=$(sp "$dev_key" "$dev_secret" "$T/fill2.json")
	case "$(head -1 <<<"$out")" in
	200) ok=$((ok + 1)) ;;
	429)
		if contains "$out" "Rate exceeded"; then rate=$((rate + 1)); sleep 0.1
		elif contains "$out" "Too many unexpired keys"; then full=$((full + 1))
		fi ;;
	esac
	[ "$full" -ge 1 ] && break
done
scrape >"$T/m5.txt"
check "64 pushes accepted, then the OS user's limit" test "$ok:$full" = "64:1"
check "throttled{keys_per_os_user}: +1" test "$(delta "$T/m4.txt" "$T/m5.txt" \
    'wicket_throttled_total{limit="keys_per_os_user"}')" = 1
check "throttled{send_ssh_public_key_rate}: + the rate refusals seen ($rate)" \
    test "$(delta "$T/m4.txt" "$T/m5.txt" \
    'wicket_throttled_total{limit="send_ssh_public_key_rate"}')" = "$rate"
check "requests: SendSSHPublicKey 429 + every refusal" test "$(delta "$T/m4.txt" "$T/m5.txt" \
    "wicket_api_requests_total{$A,outcome=\"client_error\",code=\"429\"}")" = "$((rate + 1))"
check "promtool check metrics accepts the last scrape" \
    bash -c "$PROMTOOL check metrics <'$T/m5.txt'"

finish
