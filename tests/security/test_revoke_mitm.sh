#!/usr/bin/env bash
# Signed revocations (issue 12): a man in the middle on the agent's
# plain-HTTP channel (tests/security/mitm_proxy.py between the agent and
# wicketd) injects revocations (unsigned, and with a made-up signature)
# and alters a genuine one (its selector widened to every push of the
# caller). The agent refuses each (revocation_refused), keeps the keys,
# and the login works; once the proxy stops tampering the genuine
# revocation (asked for again) still withdraws exactly its key.
. "$(dirname "$0")/../e2e/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
PPORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
CTL="$T/mitm"
ADDR=127.0.0.3
ensure_user ubuntu
ensure_ak_user
mkdir -p "$CTL"

wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"
"$PY" "$WK_SOURCE/tests/security/mitm_proxy.py" "$PPORT" "$PORT" "$CTL" \
    >>"$T/mitm.log" 2>&1 &
PIDS+=("$!")
wait_tcp 127.0.0.1 "$PPORT"
SSHP=$(free_port)
mkdir -p "$T/sshd-h"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-h/ssh_host_ed25519_key" </dev/null
token=$("$WK_BIN/wicketd" token create --data "$DATA" --address-allow "$ADDR")
ID=$("$HOST_BIN/wicket-agent" enroll --server "http://127.0.0.1:$PPORT" \
    --token "$token" --state "$T/agent-h" --address "$ADDR" \
    --ssh-port "$SSHP" --host-key "$T/sshd-h/ssh_host_ed25519_key.pub")
agent_start h
sshd_start h "$ADDR" "$SSHP" "$T/agent-h" "$T/agent-h.sock"
known_hosts_for h "$ADDR" "$SSHP" >"$T/known_hosts"
ADMIN="arn:aws:iam::$ACCOUNT:user/admin"

helper() {
	"$HOST_BIN/wicket-authorized-keys" --state "$T/agent-h" \
	    --socket "$T/agent-h.sock" ubuntu || true
}
helper_prints() {
	local i
	for i in 1 2 3 4 5; do
		contains "$(helper)" "$1" && return 0
		sleep 0.5
	done
	return 1
}
until_ok() {	# until_ok SECONDS COMMAND...
	local i n=$(($1 * 10))
	shift
	for i in $(seq 1 "$n"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
# the agent's running count of refused revocations (its log folds repeats)
refused() { { grep -o 'refused=[0-9]*' "$T/agent-h.log" | cut -d= -f2; echo 0; } | sort -n | tail -1; }
refused_at_least() { [ "$(refused)" -ge "$1" ]; }
login() { ssh_login ubuntu "$ADDR" "$SSHP" "$1" "$T/known_hosts" 'echo in' 2>/dev/null || true; }
push() {	# push KEYFILE -> RequestId
	aws_as admin ec2-instance-connect send-ssh-public-key --instance-id "$ID" \
	    --instance-os-user ubuntu --ssh-public-key "file://$1.pub" | jq -r .RequestId
}

log "injected: unsigned and made-up signatures"
ssh-keygen -q -t ed25519 -N '' -f "$T/k1" </dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/k2" </dev/null
r1=$(push "$T/k1")
k1=$(cut -d' ' -f2 "$T/k1.pub")
check "the helper prints k1" helper_prints "$k1"
now=$(date +%s)
kid=$(jq -r '.signing_keys[0].id // empty' "$T/agent-h/state.json" 2>/dev/null)
[ -n "$kid" ] || kid=$(awk '$1 == "key" {print $2; exit}' "$T/agent-h/trust")
jq -cn --arg r "$r1" --argjson now "$now" --arg inst "$ID" --arg c "$ADMIN" \
    --arg kid "$kid" \
    '{revocations: [
        {id: 1000, at: ($now + 60), keep_until: ($now + 3600), request_ids: [$r]},
        {id: 1001, at: ($now + 60), keep_until: ($now + 3600), instance: $inst,
         key_id: $kid, sig: ("A" * 86 + "==")},
        {id: 1002, at: ($now + 60), keep_until: ($now + 3600), caller: $c,
         key_id: "nobody", sig: "AAAA"}]}' >"$CTL/attack.json"
check "the agent refuses all three" until_ok 15 refused_at_least 3
rm -f "$CTL/attack.json"
check "  ... saying why" grep -q 'event=revocation_refused.*reason="unsigned"' "$T/agent-h.log"
check "  ... a bad signature too" grep -q 'event=revocation_refused.*reason="\(bad signature\|signed by a key not pinned\)"' "$T/agent-h.log"
check "no revocation was applied" bash -c "! grep -q event=revocation_received '$T/agent-h.log'"
check "the helper still prints k1" helper_prints "$k1"
check "k1 logs in" contains "$(login "$T/k1")" in

log "altered: a genuine revocation of k2's push widened to every push"
r2=$(push "$T/k2")
k2=$(cut -d' ' -f2 "$T/k2.pub")
check "the helper prints k2" helper_prints "$k2"
n=$(refused)
jq -cn --arg c "$ADMIN" '{alter_caller: $c}' >"$CTL/attack.json"
wicket_out=$(AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
    AWS_PROFILE=admin AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" \
    "$WK_BIN/wicket" revoke --request-id "$r2" 2>&1) || true
check "the revocation is issued" grep -q "event=revocation id=1 " "$T/wicketd.log"
check "the agent refuses the altered one" until_ok 15 refused_at_least $((n + 1))
check "  ... k1 kept" helper_prints "$k1"
check "  ... k1 logs in" contains "$(login "$T/k1")" in
rm -f "$CTL/attack.json"
taken() { grep -q event=revocation_received "$T/agent-h.log"; }
check "untampered again: the genuine revocation is taken" until_ok 15 taken
k2_gone() { ! contains "$(helper)" "$k2"; }
check "  ... k2 withdrawn" until_ok 5 k2_gone
check "  ... k1 still there" helper_prints "$k1"
check "  ... k2's login refused" lacks "$(login "$T/k2")" in

finish
