#!/usr/bin/env bash
# Issue 13, item 2: a man in the middle on the agent's plain-HTTP channel
# (tests/security/mitm_proxy.py between the agent and wicketd) tries to
# get its own signing key pinned, then injects a key record for root
# signed with it and logs in through the real sshd. Every variant must
# fail: the attacker's key never reaches the host's trust file, the login
# is refused, and each refusal is logged once by the agent.
#   append    today's format: its key appended to signing_keys
#   forged    plus a statement claiming the pinned key signed it
#   selfsig   plus a statement its own key signed for itself
#   ownkey    plus a statement by a second key of its own (also announced)
#   replay    after a rotation and retire: the pre-retire announcement
#             replayed (retired key + its genuine statement chain), the
#             retired key stolen from a backup signs the record
#   retired   the stolen retired key signs a statement for its key
# Control: a genuine push for root logs in through the same proxy, so a
# refused login means the defence, not a broken setup.
. "$(dirname "$0")/../e2e/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
PPORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
TOOL="$WK_BIN/keyrec_tool"
CTL="$T/mitm"
ADDR=127.0.0.3
AGENT_LOG="$T/agent-h.log"
ensure_user ubuntu
ensure_ak_user
mkdir -p "$CTL"

wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
    --key-ttl 60 >>"$T/wicketd.log" 2>&1 &
PIDS+=("$!")
wait_tcp 127.0.0.1 "$PORT"
"$PY" "$WK_SOURCE/tests/security/mitm_proxy.py" "$PPORT" "$PORT" "$CTL" \
    >>"$T/mitm.log" 2>&1 &
PIDS+=("$!")
wait_tcp 127.0.0.1 "$PPORT"

# The host reaches wicketd only through the proxy (enrollment included:
# the join token is the bootstrap and is not what this test attacks).
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
TRUST="$T/agent-h/trust"

sk() { "$WK_BIN/wicketd" signing-key "$@" --data "$DATA"; }
trust_ids() { awk '$1 == "key" {print $2}' "$TRUST" | sort | tr '\n' ' '; }
wait_trust() {	# wait_trust "ID ID ": until trust pins exactly these
	local want i
	want=$(printf '%s\n' $1 | sort | tr '\n' ' ')
	for i in $(seq 1 150); do
		[ "$(trust_ids)" = "$want" ] && return 0
		sleep 0.1
	done
	echo "trust pins '$(trust_ids)', want '$want'" >&2
	return 1
}
login_root() {	# login_root KEY -> "in" on success
	ssh_login root "$ADDR" "$SSHP" "$1" "$T/known_hosts" 'echo in' \
	    2>/dev/null || true
}
served() { cat "$CTL/served" 2>/dev/null || echo 0; }
keyjson() {	# keyjson PEM: {"id", "public_key"} as wicketd announces keys
	"$TOOL" pubkey "$1" | awk '{printf "{\"id\":\"%s\",\"public_key\":\"%s\"}", $1, $2}'
}
jstr() { "$PY" -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"; }
# attack KEYS-JSON ROTATION-JSON RECORD-FILE: switch the proxy on and wait
# (bounded) until the agent has been served three tampered replies.
attack() {
	local start i
	start=$(served)
	printf '{"keys":[%s],"rotation":[%s],"records":[%s]}\n' "$1" "$2" \
	    "$(jstr "$3")" >"$CTL/attack.json.tmp"
	mv "$CTL/attack.json.tmp" "$CTL/attack.json"
	for i in $(seq 1 300); do
		[ "$(served)" -ge $((start + 3)) ] && return 0
		sleep 0.1
	done
	echo "the proxy served $(( $(served) - start )) tampered replies" >&2
	return 1
}
calm() { rm -f "$CTL/attack.json"; }
refusals() {	# refusals KEYID REASON: agent log lines refusing it so
	grep -c "event=signing_key_refused key=$1 reason=\"$2\"" \
	    "$AGENT_LOG" || true
}
# A record for root with the attacker's SSH key, signed by PEM.
forge_record() {
	local now
	now=$(date +%s)
	"$TOOL" sign "$1" "$ID" root "$now" $((now + 300)) "$T/evil.pub" \
	    >"$T/evil-rec"
}

ssh-keygen -q -t ed25519 -N '' -f "$T/evil" </dev/null
"$TOOL" genkey "$T/att.pem"
"$TOOL" genkey "$T/att2.pem"
AID=$("$TOOL" pubkey "$T/att.pem" | cut -d' ' -f1)
A2ID=$("$TOOL" pubkey "$T/att2.pem" | cut -d' ' -f1)
K0=$(sk list | awk '$2 == "current" {print $1}')
check "the host pins wicketd's key" wait_trust "$K0"

log "control: a genuine push for root logs in through the proxy"
ssh-keygen -q -t ed25519 -N '' -f "$T/good" </dev/null
aws_as admin ec2-instance-connect send-ssh-public-key --instance-id "$ID" \
    --instance-os-user root --ssh-public-key "file://$T/good.pub" >/dev/null
check "root login with a genuinely pushed key" test "$(login_root "$T/good")" = in

forge_record "$T/att.pem"
log "append: the attacker's key appended to signing_keys (no statement)"
attack "$(keyjson "$T/att.pem")" "" "$T/evil-rec"
check "the attacker's key is not pinned" test "$(trust_ids)" = "$K0 "
check "root login with the injected record is refused" \
    test -z "$(login_root "$T/evil")"
check "the refusal is logged once" \
    test "$(refusals "$AID" "no rotation statement")" = 1

log "forged: a statement that claims the pinned key signed it"
# well formed: the attacker's second key vouches for the first, relabelled
# as the pinned key's statement
"$TOOL" rotation-raw "$T/att2.pem" 1 "$T/att.pem" "$(date +%s)" "$K0" \
    >"$T/st-forged"
attack "$(keyjson "$T/att.pem")" "$(jstr "$T/st-forged")" "$T/evil-rec"
check "not pinned" test "$(trust_ids)" = "$K0 "
check "root login refused" test -z "$(login_root "$T/evil")"
check "logged once: bad signature" \
    test "$(refusals "$AID" "bad signature")" = 1

log "selfsig: a statement the attacker's key signed for itself"
"$TOOL" rotation-raw "$T/att.pem" 1 "$T/att.pem" "$(date +%s)" "$AID" \
    >"$T/st-selfsig"
attack "$(keyjson "$T/att.pem")" "$(jstr "$T/st-selfsig")" "$T/evil-rec"
check "not pinned" test "$(trust_ids)" = "$K0 "
check "root login refused" test -z "$(login_root "$T/evil")"
check "the malformed statement is logged once" test "$(grep -c \
    'event=rotation_statement_refused key=- reason="malformed statement"' \
    "$AGENT_LOG")" = 1

log "ownkey: its second key (announced too) vouches for the first"
"$TOOL" rotation "$T/att2.pem" 1 "$T/att.pem" "$(date +%s)" >"$T/st-own"
attack "$(keyjson "$T/att.pem"),$(keyjson "$T/att2.pem")" \
    "$(jstr "$T/st-own")" "$T/evil-rec"
check "neither is pinned" test "$(trust_ids)" = "$K0 "
check "root login refused" test -z "$(login_root "$T/evil")"
check "logged once: signer not pinned" test "$(refusals "$AID" \
    "statement signed by a key that is not pinned")" = 1
check "logged once: the second key" \
    test "$(refusals "$A2ID" "no rotation statement")" = 1
calm

log "a genuine rotation still passes the proxy"
K1=$(sk next | awk '{print $1}')
check "the next key is learnt (its statement verifies)" wait_trust "$K0 $K1"
sk promote --force >/dev/null
cp "$DATA/signing.prev.key" "$T/stolen.pem"	# the retired key, leaked later
# let the retirement clock run out at once (key-ttl 60 s + 30 s)
touch -d '-10 minutes' "$DATA/signing.prev.key"
check "retire" sh -c "'$WK_BIN/wicketd' signing-key retire --data '$DATA' >/dev/null"
check "the host drops the retired key" wait_trust "$K1"

log "replay: the pre-retire announcement, the retired key signs root's record"
forge_record "$T/stolen.pem"
attack "$(keyjson "$T/stolen.pem")" "" "$T/evil-rec"
check "the retired key is not pinned again" test "$(trust_ids)" = "$K1 "
check "root login with its record refused" test -z "$(login_root "$T/evil")"
check "logged once" test "$(refusals "$K0" "no rotation statement")" = 1

log "retired: the stolen retired key vouches for the attacker's key"
forge_record "$T/att.pem"
"$TOOL" rotation "$T/stolen.pem" 2 "$T/att.pem" "$(date +%s)" >"$T/st-ret"
attack "$(keyjson "$T/att.pem"),$(keyjson "$T/stolen.pem")" \
    "$(jstr "$T/st-ret")" "$T/evil-rec"
check "not pinned" test "$(trust_ids)" = "$K1 "
check "root login refused" test -z "$(login_root "$T/evil")"
calm

check "the attacker's keys never reached the trust file" \
    sh -c "! grep -qE '$AID|$A2ID' '$TRUST'"
check "no trust update but the genuine ones" \
    test "$(grep -c 'event=trust_updated' "$AGENT_LOG")" -le 2
ssh-keygen -q -t ed25519 -N '' -f "$T/good2" </dev/null
aws_as admin ec2-instance-connect send-ssh-public-key --instance-id "$ID" \
    --instance-os-user root --ssh-public-key "file://$T/good2.pub" >/dev/null
check "afterwards, genuine pushes still log in" \
    test "$(login_root "$T/good2")" = in

finish
