#!/usr/bin/env bash
# Signing-key rotation without locking anyone out (issue 4): one host with
# sshd + agent. `signing-key next` is noticed by the running wicketd (no
# signal) and reaches the host's trust file at once (held polls are woken);
# logins keep working before, across and after `promote`, including with a
# record signed by the old key just before the promotion; `retire` is
# refused while such records can live, then drops the old key from the
# host's trust so a record signed with it is refused. A wicketd announcing
# keys that share none with the pinned ones cannot replace the host's trust.
# A new key reaches the host only through its rotation statement (signed
# by the key the host pins: issue 13): `next` writes one, `promote`
# refuses a next key without one, and a host that was offline across two
# whole rotations follows the chain of statements when it comes back.
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
TOOL="$WK_BIN/keyrec_tool"
TTL=10		# wicketd's --key-ttl: retire waits TTL + 30 s after promote
ADDR=127.0.0.2
ensure_user ubuntu
ensure_ak_user

wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile

serve() {	# wicketd with a short key ttl (lib.sh's wicketd_start has none)
	"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
	    --key-ttl "$TTL" >>"$T/wicketd.log" 2>&1 &
	WICKETD_PID=$!
	PIDS+=("$WICKETD_PID")
	wait_tcp 127.0.0.1 "$PORT"
}
serve

SSHP=$(free_port)
mkdir -p "$T/sshd-h"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-h/ssh_host_ed25519_key" </dev/null
ID=$(agent_enroll h "$ADDR" "$SSHP" "$T/sshd-h/ssh_host_ed25519_key.pub")
agent_start h
sshd_start h "$ADDR" "$SSHP" "$T/agent-h" "$T/agent-h.sock"
known_hosts_for h "$ADDR" "$SSHP" >"$T/known_hosts"
TRUST="$T/agent-h/trust"

sk() { "$WK_BIN/wicketd" signing-key "$@" --data "$DATA"; }
role_id() {	# role_id ROLE: the id `signing-key list` shows for a role
	sk list | awk -v r="$1" '$2 == r {print $1}'
}
trust_ids() { awk '$1 == "key" {print $2}' "$TRUST" | sort | tr '\n' ' '; }
wait_trust() {	# wait_trust "ID ID ": until the trust file pins exactly these
	local want i
	want=$(printf '%s\n' $1 | sort | tr '\n' ' ')
	for i in $(seq 1 100); do
		[ "$(trust_ids)" = "$want" ] && return 0
		sleep 0.1
	done
	echo "trust pins '$(trust_ids)', want '$want'" >&2
	return 1
}
push() {	# push PUBFILE
	aws_as admin ec2-instance-connect send-ssh-public-key \
	    --instance-id "$ID" --instance-os-user ubuntu \
	    --ssh-public-key "file://$1" >/dev/null
}
login() {	# login KEY -> prints "in" on success
	ssh_login ubuntu "$ADDR" "$SSHP" "$1" "$T/known_hosts" 'echo in' \
	    2>/dev/null || true
}
signer() {	# signer PUBFILE: the KeyId of the agent's record for that key
	local d="$T/recs.$RANDOM" n i
	mkdir -p "$d"
	n=$("$TOOL" lookup "$T/agent-h.sock" ubuntu "$d")
	for i in $(seq 0 $((n - 1))); do
		if grep -qF "$(cut -d' ' -f2 "$1")" "$d/rec-$i"; then
			sed -n 's/^#KeyId=//p' "$d/rec-$i"
			return
		fi
	done
}
FAKE_PID=
newkey() { ssh-keygen -q -t ed25519 -N '' -f "$T/$1" </dev/null; }
helper() {	# helper SOCKET: what wicket-authorized-keys prints for ubuntu
	"$HOST_BIN/wicket-authorized-keys" --state "$T/agent-h" --socket "$1" \
	    ubuntu 2>/dev/null || true
}
serve_rec() {	# serve_rec FILE: a stand-in agent socket with one record
	if [ -n "$FAKE_PID" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
	rm -f "$T/fake.sock"
	python3 "$WK_SOURCE/tests/e2e/fake_agent.py" "$T/fake.sock" "$1" \
	    >>"$T/fake.log" 2>&1 &
	FAKE_PID=$!
	PIDS+=("$FAKE_PID")
	for _ in $(seq 1 50); do [ -S "$T/fake.sock" ] && break; sleep 0.1; done
}

log "before rotation"
K0=$(role_id current)
check "one current key listed" test -n "$K0"
check "the host pins the current key only" test "$(trust_ids)" = "$K0 "
newkey k1
push "$T/k1.pub"
check "push + login" test "$(login "$T/k1")" = in
check "the record is signed by the current key" test "$(signer "$T/k1.pub")" = "$K0"

log "signing-key next: announced, not used"
check "promote is refused before any next key exists" \
    sh -c "! '$WK_BIN/wicketd' signing-key promote --force --data '$DATA' 2>/dev/null"
K1=$(sk next | awk '{print $1}')
check "next prints the new id" test -n "$K1" -a "$K1" != "$K0"
check "a second next is refused" \
    sh -c "! '$WK_BIN/wicketd' signing-key next --data '$DATA' 2>/dev/null"
check "signing.next.key is 0600" \
    test "$(stat -c %a "$DATA/signing.next.key")" = 600
# No signal: wicketd notices the file within seconds and wakes the held
# poll, far sooner than the poll's 25 s hold.
check "the host learns the next key without a restart" wait_trust "$K0 $K1"
stmt_field() {	# stmt_field N FIELD: a field of statement N (1-based)
	awk -v n="$1" -v f="#$2=" '/^#wicket-rotation v1$/ {i++}
	    i == n && index($0, f) == 1 {print substr($0, length(f) + 1)}' \
	    "$DATA/signing.statements"
}
check "next wrote statement 1: the current key vouches for the next" \
    test "$(stmt_field 1 Seq) $(stmt_field 1 Signer) $(stmt_field 1 KeyId)" \
    = "1 $K0 $K1"
check "the agent pinned it through the statement" \
    grep -q "event=trust_updated .*added=1 rotation_seq=1" "$T/agent-h.log"
mv "$DATA/signing.statements" "$T/statements.saved"
check "promote is refused while the next key has no statement" \
    sh -c "! '$WK_BIN/wicketd' signing-key promote --force --data '$DATA' 2>/dev/null"
mv "$T/statements.saved" "$DATA/signing.statements"
newkey k2
push "$T/k2.pub"
check "login still works" test "$(login "$T/k2")" = in
check "records are still signed by the old key" test "$(signer "$T/k2.pub")" = "$K0"
check "promote right after next is refused (agents may not know it)" \
    sh -c "! '$WK_BIN/wicketd' signing-key promote --data '$DATA' 2>/dev/null"

log "signing-key promote"
newkey kold
push "$T/kold.pub"	# signed by K0 just before the promotion
check "the last record before the promotion is signed by the old key" \
    test "$(signer "$T/kold.pub")" = "$K0"
sk promote --force >/dev/null
cp "$DATA/signing.prev.key" "$T/old-signing.key"
kill -HUP "$WICKETD_PID"
check "list: the new key is current" test "$(role_id current)" = "$K1"
check "list: the old key is previous" test "$(role_id previous)" = "$K0"
check "list: no next key" test -z "$(role_id next)"
check "the host still pins both" wait_trust "$K0 $K1"
check "a record signed by the old key just before promotion logs in" \
    test "$(login "$T/kold")" = in
newkey k3
push "$T/k3.pub"
check "new pushes are signed by the new key" test "$(signer "$T/k3.pub")" = "$K1"
check "and log in" test "$(login "$T/k3")" = in
check "promote without a next key is refused" \
    sh -c "! '$WK_BIN/wicketd' signing-key promote --force --data '$DATA' 2>/dev/null"

log "signing-key retire"
check "retire right after promote is refused (records may live)" \
    sh -c "! '$WK_BIN/wicketd' signing-key retire --data '$DATA' 2>/dev/null"
ok=
for _ in $(seq 1 60); do
	if sk retire >/dev/null 2>&1; then ok=1; break; fi
	sleep 1
done
check "retire succeeds after key-ttl + 30 s" test -n "$ok"
check "list: the old key is gone" test -z "$(role_id previous)"
check "the host drops the retired key from trust" wait_trust "$K1"
now=$(date +%s)
"$TOOL" sign "$T/old-signing.key" "$ID" ubuntu "$now" $((now + 60)) \
    "$T/k1.pub" >"$T/old-rec"
serve_rec "$T/old-rec"
check "a fresh record signed by the retired key is refused" \
    test -z "$(helper "$T/fake.sock")"
"$TOOL" sign "$DATA/signing.key" "$ID" ubuntu "$now" $((now + 60)) \
    "$T/k1.pub" >"$T/new-rec"
serve_rec "$T/new-rec"
check "control: the same record signed by the current key is accepted" \
    contains "$(helper "$T/fake.sock")" "$(cut -d' ' -f2 "$T/k1.pub")"
newkey k4
push "$T/k4.pub"
check "push + login after the rotation" test "$(login "$T/k4")" = in

log "a key set sharing nothing with the pinned keys is refused"
wicketd_stop
mv "$DATA/signing.key" "$T/saved-signing.key"
"$TOOL" genkey "$DATA/signing.key"
serve
ok=	# the agent reconnects after its backoff (at most 30 s)
for _ in $(seq 1 400); do
	if grep -q 'event=signing_keys_refused.*no announced key is pinned' \
	    "$T/agent-h.log"; then ok=1; break; fi
	sleep 0.1
done
check "the agent refuses the foreign key set" test -n "$ok"
check "the host keeps its pinned key" test "$(trust_ids)" = "$K1 "
wicketd_stop
mv -f "$T/saved-signing.key" "$DATA/signing.key"
serve
newkey k5
ok=
for _ in $(seq 1 200); do
	if push "$T/k5.pub" 2>/dev/null; then ok=1; break; fi
	sleep 0.2
done
check "with the right key back, pushes work" test -n "$ok"
check "and log in" test "$(login "$T/k5")" = in

log "a host offline across two whole rotations follows the chain"
kill "$AGENT_PID_h"
wait "$AGENT_PID_h" 2>/dev/null || true
rotate() {	# next, promote, retire at once (no agent is listening)
	sk next >/dev/null && sk promote --force >/dev/null &&
	    touch -d '-10 minutes' "$DATA/signing.prev.key" &&
	    sk retire >/dev/null
}
check "rotation 2" rotate
check "rotation 3" rotate
K3=$(role_id current)
check "the chain: K1 vouched for K2, K2 for K3" \
    test "$(stmt_field 2 Signer) $(stmt_field 3 Signer) $(stmt_field 3 KeyId)" \
    = "$K1 $(stmt_field 2 KeyId) $K3"
check "the host still pins only K1" test "$(trust_ids)" = "$K1 "
agent_start h
check "back online, it pins K3 through the chain" wait_trust "$K3"
newkey k6
ok=
for _ in $(seq 1 100); do
	if push "$T/k6.pub" 2>/dev/null; then ok=1; break; fi
	sleep 0.2
done
check "push after catching up" test -n "$ok"
check "and log in" test "$(login "$T/k6")" = in

finish
