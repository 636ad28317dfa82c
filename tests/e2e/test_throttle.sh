#!/usr/bin/env bash
# Throttling as AWS's clients see it (issue 14, docs/throttling.md):
# `wicketd serve --throttle-key RATE[:BURST]` and `--throttle-account`, 0 =
# off. A burst of 10 pushes beyond a 1:3 bucket gets ThrottlingException
# 429, which the aws CLI and the SDK (retryable, THROTTLING) recognise; with
# 0 the same burst goes through. Outcomes only: no timings are asserted
# (10 calls against a bucket of 3 refilled at 1/s cannot all pass unless
# they are spread over 7 s).
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
ensure_ak_user
sdk_ready

serve() {	# serve [OPTIONS...]: wicketd with the options, waits until it answers
	"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" "$@" \
	    >>"$T/wicketd.log" 2>&1 &
	WICKETD_PID=$!
	PIDS+=("$WICKETD_PID")
	wait_tcp 127.0.0.1 "$PORT"
}

log "bad values: a clear usage error (exit 2), nothing served"
for bad in "" "x" "1:0" "0:5" "-1" "1:3:4" "1000001" "1.5"; do
	rc=0
	out=$("$WK_BIN/wicketd" serve --data "$DATA" --listen 127.0.0.1:1 \
	    --throttle-key "$bad" 2>&1) || rc=$?
	check "--throttle-key '$bad': exit 2" test "$rc" = 2
	check "--throttle-key '$bad': says what is wrong" contains "$out" "--throttle-key: "
done
rc=0
out=$("$WK_BIN/wicketd" serve --data "$DATA" --listen 127.0.0.1:1 \
    --throttle-account 0:3 2>&1) || rc=$?
check "--throttle-account '0:3': exit 2" test "$rc" = 2
check "--throttle-account '0:3': 0 takes no burst" contains "$out" "takes no BURST"
check "--help names both options" bash -c \
    "'$WK_BIN/wicketd' serve --help | grep -q -- '--throttle-account RATE\[:BURST\]'"

wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
serve --throttle-key 0

for u in dev ops; do
	aws_as admin iam create-user --user-name "$u" >/dev/null
	out=$(aws_as admin iam create-access-key --user-name "$u")
	add_profile "$u" "$(jq -r .AccessKey.AccessKeyId <<<"$out")" \
	    "$(jq -r .AccessKey.SecretAccessKey <<<"$out")"
done
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
inst=$(agent_enroll a 127.0.0.2 "$SSH_PORT" "$T/hostkey.pub")
agent_start a
cat >"$T/policy.json" <<JSON
{"Version": "2012-10-17", "Statement": [{
	"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey",
	"Resource": "arn:aws:ec2:$REGION:$ACCOUNT:instance/$inst"}]}
JSON
for u in dev ops; do
	aws_as admin iam put-user-policy --user-name "$u" --policy-name push \
	    --policy-document "file://$T/policy.json" >/dev/null
done
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null
for _ in $(seq 1 50); do	# the agent comes online within its first poll
	aws_as dev ec2-instance-connect send-ssh-public-key --instance-id "$inst" \
	    --instance-os-user ubuntu --ssh-public-key "file://$T/k.pub" \
	    >/dev/null 2>&1 && break
	sleep 0.2
done

count() {	# count NAME < JSON lines: how many are error NAME
	jq -r 'if .ok then "Success" else .name end' | grep -cx "$1" || true
}
log "--throttle-key 0: a burst of 10 goes through"
out=$(sdk_run eic_burst.mjs dev 10 "$inst" ubuntu "$T/k.pub")
check "SDK: 10 of 10 Success" test "$(count Success <<<"$out")" = 10
check "SDK: none throttled" test "$(count ThrottlingException <<<"$out")" = 0

wicketd_stop
serve --throttle-key 1:3

log "--throttle-key 1:3: a burst of 10 from one key is throttled"
out=$(sdk_run eic_burst.mjs dev 10 "$inst" ubuntu "$T/k.pub")
throttled=$(count ThrottlingException <<<"$out")
check "SDK: some of the burst got ThrottlingException ($throttled)" test "$throttled" -ge 1
check "SDK: at least 3 of 10 throttled" test "$throttled" -ge 3
check "SDK: ThrottlingException is 429" test \
    "$(jq -r 'select(.name == "ThrottlingException") | .status' <<<"$out" | sort -u)" = 429
check "SDK: retryable, THROTTLING" test \
    "$(jq -r 'select(.name == "ThrottlingException") | "\(.retryable) \(.retryType)"' <<<"$out" | sort -u)" = "true THROTTLING"
check "SDK: message 'Rate exceeded'" test \
    "$(jq -r 'select(.name == "ThrottlingException") | .message' <<<"$out" | sort -u)" = "Rate exceeded"

log "the aws CLI sees ThrottlingException too"
for i in $(seq 1 10); do
	aws_as ops ec2-instance-connect send-ssh-public-key --instance-id "$inst" \
	    --instance-os-user ubuntu --ssh-public-key "file://$T/k.pub" \
	    >"$T/cli.$i" 2>&1 &
	cli_pids+=("$!")
done
wait "${cli_pids[@]}" 2>/dev/null || true
n=$(cat "$T"/cli.* | grep -c 'An error occurred (ThrottlingException) when calling the SendSSHPublicKey operation' || true)
check "aws CLI: some of 10 at once throttled ($n)" test "$n" -ge 1

log "one key's burst leaves another key alone"
out=$(sdk_run eic_send_ssh_public_key.mjs admin "$inst" ubuntu "$T/k.pub")
check "admin's own bucket: not throttled" test "$(jq -r '.name // "Success"' <<<"$out")" != ThrottlingException

wicketd_stop
serve --throttle-key 0 --throttle-account 1:3

log "--throttle-account 1:3: all callers together"
out=$( (sdk_run eic_burst.mjs dev 5 "$inst" ubuntu "$T/k.pub" &
    sdk_run eic_burst.mjs ops 5 "$inst" ubuntu "$T/k.pub"; wait) )
throttled=$(count ThrottlingException <<<"$out")
check "SDK: two keys' 10 calls: some throttled by the account ($throttled)" test "$throttled" -ge 1
check "SDK: the account's refusal is 429 too" test \
    "$(jq -r 'select(.name == "ThrottlingException") | .status' <<<"$out" | sort -u)" = 429

wicketd_stop
serve --throttle-key 0 --throttle-account 0
log "both 0: off"
out=$( (sdk_run eic_burst.mjs dev 10 "$inst" ubuntu "$T/k.pub" &
    sdk_run eic_burst.mjs ops 10 "$inst" ubuntu "$T/k.pub"; wait) )
check "SDK: 20 calls, none throttled" test "$(count ThrottlingException <<<"$out")" = 0
finish
