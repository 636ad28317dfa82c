#!/usr/bin/env bash
# Signing-key rotation across replicas (docs/replicas.md): two wicketd on
# one PostgreSQL, an agent with a real sshd long-polling B. `signing-key
# next` and `promote` run on A's data directory only; B takes them from the
# store (NOTIFY 'k'), its agent pins the next key, records pushed through
# either replica are then signed by the promoted key and OpenSSH logs in
# with them; a replica started afterwards from an older copy of the data
# directory takes the promoted key. A signing key written into the table in
# clear (without the master key) is refused: the replicas keep their keys. (`retire` takes
# the same path but waits key-ttl + 30 s: test_rotation.sh covers it.)
# Needs root and Debian's postgresql package (scripts/install-deps.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

trap 'pg_stop; cleanup' EXIT
pg_store_up
ensure_user ubuntu
ensure_ak_user
TOOL="$WK_BIN/keyrec_tool"

log "two replicas on one PostgreSQL, an agent on B"
A=$T/a
B=$T/b
pg_replicas_init "$A" "$B"
cp -a "$A" "$T/c"	# a third replica, started only after the rotation
PORT_A=$(free_port)
PORT_B=$(free_port)
wicketd_start "$A" "$PORT_A"
wicketd_start "$B" "$PORT_B"
DATA=$A
add_admin_profile
EP_A=http://127.0.0.1:$PORT_A
EP_B=http://127.0.0.1:$PORT_B
check "the first replica seeded the store's signing keys" \
    test "$(db "SELECT count(*) FROM signing_files WHERE name = 'signing.key'")" = 1
SSH_PORT=$(free_port)
mkdir -p "$T/sshd-h"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-h/ssh_host_ed25519_key" </dev/null
ENDPOINT=$EP_B
ID=$(agent_enroll h 127.0.0.2 "$SSH_PORT" "$T/sshd-h/ssh_host_ed25519_key.pub")
agent_start h
check "the agent is connected to B" agent_connected h 1
sshd_start h 127.0.0.2 "$SSH_PORT" "$T/agent-h" "$T/agent-h.sock"
known_hosts_for h 127.0.0.2 "$SSH_PORT" >"$T/known_hosts"
TRUST="$T/agent-h/trust"

sk() {	# sk DIR SUBCOMMAND...
	local d=$1; shift
	"$WK_BIN/wicketd" signing-key "$@" --data "$d"
}
role_id() {	# role_id DIR ROLE
	sk "$1" list | awk -v r="$2" '$2 == r {print $1}'
}
dir_role_id() {	# dir_role_id DIR FILE: the key id in a file, without syncing
	[ -f "$1/$2" ] || return 0
	"$TOOL" pubkey "$1/$2" 2>/dev/null | cut -d" " -f1
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
wait_file() {	# wait_file PATH [absent]: up to 10 s
	for _ in $(seq 1 100); do
		if [ -z "${2:-}" ]; then [ -f "$1" ] && return 0
		else [ ! -e "$1" ] && return 0; fi
		sleep 0.1
	done
	return 1
}
push() {	# push ENDPOINT PUBFILE
	ENDPOINT=$1 aws_as admin ec2-instance-connect send-ssh-public-key \
	    --instance-id "$ID" --instance-os-user ubuntu \
	    --ssh-public-key "file://$2" >/dev/null
}
login() {	# login KEY -> prints "in" on success
	ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$1" "$T/known_hosts" \
	    'echo in' 2>/dev/null || true
}
signer() {	# signer PUBFILE: the KeyId of the agent's record for that key
	local d="$T/recs.$RANDOM" n i
	mkdir -p "$d"
	for _ in $(seq 1 50); do
		n=$("$TOOL" lookup "$T/agent-h.sock" ubuntu "$d")
		for i in $(seq 0 $((n - 1))); do
			if grep -qF "$(cut -d' ' -f2 "$1")" "$d/rec-$i"; then
				sed -n 's/^#KeyId=//p' "$d/rec-$i"
				return
			fi
		done
		sleep 0.1
	done
}
newkey() { ssh-keygen -q -t ed25519 -N '' -f "$T/$1" </dev/null; }

K0=$(role_id "$A" current)
check "both replicas start with one key" test "$(role_id "$B" current)" = "$K0"
check "the host pins it" wait_trust "$K0"

log "next on A: B announces it, the agent on B pins it"
K1=$(sk "$A" next | awk '{print $1}')
check "next prints a new id" test -n "$K1" -a "$K1" != "$K0"
check "B's directory got the next key from the store" \
    wait_file "$B/signing.next.key"
check "...0600" test "$(stat -c %a "$B/signing.next.key")" = 600
check "...the same statements as A's" cmp -s "$A/signing.statements" \
    "$B/signing.statements"
check "the agent polling B pins the next key" wait_trust "$K0 $K1"
check "the key is sealed in the table, not in clear" \
    test "$(db "SELECT count(*) FROM signing_files WHERE text LIKE '%PRIVATE%' OR encode(sealed, 'escape') LIKE '%PRIVATE%'")" = 0
newkey k1
push "$EP_B" "$T/k1.pub"
check "a push through B is still signed by the old key" \
    test "$(signer "$T/k1.pub")" = "$K0"

log "promote on A: records through B are signed by the new key"
sk "$A" promote --force >/dev/null
check "B's directory: the promoted key is current" \
    wait_file "$B/signing.prev.key"
check "B lists it" test "$(role_id "$B" current) $(role_id "$B" previous)" = \
    "$K1 $K0"
newkey k2
for _ in $(seq 1 50); do	# B reloads within a moment of the NOTIFY
	push "$EP_B" "$T/k2.pub"
	[ "$(signer "$T/k2.pub")" = "$K1" ] && break
	sleep 0.2
done
check "a push through B is signed by the promoted key" \
    test "$(signer "$T/k2.pub")" = "$K1"
check "and OpenSSH logs in with it" test "$(login "$T/k2")" = in
newkey k3
push "$EP_A" "$T/k3.pub"
check "a push through A too" test "$(signer "$T/k3.pub")" = "$K1"
check "and logs in" test "$(login "$T/k3")" = in

log "a replica copied before the rotation catches up when it starts"
wicketd_start "$T/c" "$(free_port)"
check "its directory holds the promoted key" \
    test "$(dir_role_id "$T/c" signing.key) $(dir_role_id "$T/c" signing.prev.key)" = "$K1 $K0"
check "and the store's generation" test "$(cat "$T/c/signing.generation")" = \
    "$(db "SELECT generation FROM signing_state")"

log "a signing key written into the table in clear is refused"
"$TOOL" genkey "$T/evil.key"
EVIL=$(cat "$T/evil.key")
db "UPDATE signing_files SET sealed = NULL, text = '$EVIL' WHERE name = 'signing.key';
    UPDATE signing_state SET generation = generation + 1;
    NOTIFY wicket, 'k'" >/dev/null
for _ in $(seq 1 50); do
	grep -q "signing_keys_sync_failed" "$T/wicketd.log" && break
	sleep 0.1
done
check "the replicas say so" grep -q "signing_keys_sync_failed" "$T/wicketd.log"
check "B's signing key is unchanged" \
    test "$(dir_role_id "$B" signing.key)" = "$K1"
newkey k4
push "$EP_B" "$T/k4.pub"
check "pushes through B are still signed by the promoted key" \
    test "$(signer "$T/k4.pub")" = "$K1"
check "and log in" test "$(login "$T/k4")" = in
finish
