#!/usr/bin/env bash
# Two wicketd on one PostgreSQL are one service (docs/replicas.md, issue 11
# part 2): a key pushed through replica A with the aws CLI reaches the agent
# long-polling replica B (the table + NOTIFY), and OpenSSH logs in with it;
# a push whose commit fails (the database refuses its record, written in
# its audit batch's transaction) is answered ServiceException and leaves
# no audit event and no key at the agent; a push while B's agent
# reconnects is caught up from the table; then
# kill -9 of A while pushes flow through both: every push answered Success
# is in the audit and reaches its agent (part 3's first failure test).
# Needs root and Debian's postgresql package (scripts/install-deps.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

trap 'pg_stop; cleanup' EXIT
pg_store_up
ensure_user ubuntu
ensure_ak_user

log "two replicas on one PostgreSQL"
A=$T/a
B=$T/b
pg_replicas_init "$A" "$B"	# the same master key and signing keys, its own dir
PORT_A=$(free_port)
PORT_B=$(free_port)
wicketd_start "$A" "$PORT_A"
PID_A=$WICKETD_PID
wicketd_start "$B" "$PORT_B"
PID_B=$WICKETD_PID
DATA=$A
add_admin_profile
EP_A=http://127.0.0.1:$PORT_A
EP_B=http://127.0.0.1:$PORT_B

log "an agent on B, sshd on it"
SSH_PORT=$(free_port)
mkdir -p "$T/sshd-h1"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-h1/ssh_host_ed25519_key" </dev/null
ENDPOINT=$EP_B
inst=$(agent_enroll h1 127.0.0.2 "$SSH_PORT" "$T/sshd-h1/ssh_host_ed25519_key.pub")
check "enrolled through B" bash -c "[[ '$inst' =~ ^i-[0-9a-f]{17}$ ]]"
agent_start h1
check "the agent is connected to B" agent_connected h1 1
sshd_start h1 127.0.0.2 "$SSH_PORT" "$T/agent-h1" "$T/agent-h1.sock"
known_hosts_for h1 127.0.0.2 "$SSH_PORT" >"$T/known_hosts"

log "push through A, log in through the agent on B"
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null
ENDPOINT=$EP_A
out=$(aws_as admin ec2-instance-connect send-ssh-public-key \
    --instance-id "$inst" --instance-os-user ubuntu \
    --ssh-public-key "file://$T/k.pub")
check "push through A: Success" test "$(jq -r .Success <<<"$out")" = true
got=""
for _ in $(seq 1 50); do
	got=$("$HOST_BIN/wicket-authorized-keys" --state "$T/agent-h1" \
	    --socket "$T/agent-h1.sock" ubuntu 2>/dev/null || true)
	[ -n "$got" ] && break
	sleep 0.1
done
check "the key reached the agent polling B" contains "$got" \
    "$(cut -d' ' -f2 "$T/k.pub")"
out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k" "$T/known_hosts" \
    'echo replicas-ok' 2>"$T/ssh.err") || true
check "ssh with the key pushed through A" contains "$out" replicas-ok

log "a push whose commit fails through A: nothing of it anywhere"
# The database refuses the push's record (a constraint added for the
# test): the record is written in the audit batch's transaction, so the
# whole batch fails. The caller hears ServiceException, its event is not
# in the audit (nothing was committed; before, the event was committed
# first, then the row failed), and B's agent never gets the key.
lacks() { ! contains "$1" "$2"; }
ssh-keygen -q -t ed25519 -N '' -f "$T/kf" </dev/null
kf_fp=$(ssh-keygen -lf "$T/kf.pub" | cut -d' ' -f2)
PG_DB=wk pg_psql "ALTER TABLE hub_records ADD CONSTRAINT wk_test_refuse
    CHECK (instance_id <> '$inst')" >/dev/null
ENDPOINT=$EP_A
out=$(AWS_MAX_ATTEMPTS=1 aws_as admin ec2-instance-connect \
    send-ssh-public-key --instance-id "$inst" --instance-os-user ubuntu \
    --ssh-public-key "file://$T/kf.pub" 2>&1) || true
check "the failed commit answers ServiceException" contains "$out" \
    ServiceException
PG_DB=wk pg_psql "ALTER TABLE hub_records DROP CONSTRAINT wk_test_refuse" \
    >/dev/null
check "the failed push's event is not in the audit (one transaction)" \
    test "$(PG_DB=wk pg_psql "SELECT count(*) FROM audit
    WHERE key_fingerprint = '$kf_fp'")" = 0
ssh-keygen -q -t ed25519 -N '' -f "$T/kg" </dev/null
out=$(aws_as admin ec2-instance-connect send-ssh-public-key \
    --instance-id "$inst" --instance-os-user ubuntu \
    --ssh-public-key "file://$T/kg.pub")
check "the next push through A: Success" \
    test "$(jq -r .Success <<<"$out")" = true
got=""
for _ in $(seq 1 50); do
	got=$("$HOST_BIN/wicket-authorized-keys" --state "$T/agent-h1" \
	    --socket "$T/agent-h1.sock" ubuntu 2>/dev/null || true)
	contains "$got" "$(cut -d' ' -f2 "$T/kg.pub")" && break
	sleep 0.1
done
check "the next push reached the agent polling B" contains "$got" \
    "$(cut -d' ' -f2 "$T/kg.pub")"
check "the failed push's key never reached it" lacks "$got" \
    "$(cut -d' ' -f2 "$T/kf.pub")"

log "kill -9 of A while pushes flow through both"
ssh-keygen -q -t ed25519 -N '' -f "$T/k2" </dev/null
: >"$T/ok_ids"
for i in $(seq 1 6); do
	if [ $((i % 2)) = 0 ]; then ENDPOINT=$EP_B; else ENDPOINT=$EP_A; fi
	if [ "$i" = 4 ]; then kill -9 "$PID_A"; wait "$PID_A" 2>/dev/null || true; fi
	out=$(aws_as admin ec2-instance-connect send-ssh-public-key \
	    --instance-id "$inst" --instance-os-user ubuntu \
	    --ssh-public-key "file://$T/k2.pub" 2>/dev/null) || continue
	[ "$(jq -r .Success <<<"$out")" = true ] &&
	    jq -r .RequestId <<<"$out" >>"$T/ok_ids"
done
check "pushes answered Success before and after the kill" \
    [ "$(wc -l <"$T/ok_ids")" -ge 3 ]
ENDPOINT=$EP_B
audit=$(PG_DB=wk pg_psql \
    "SELECT request_id FROM audit WHERE decision = 'Allow'")
missing=0
while read -r id; do
	contains "$audit" "$id" || missing=$((missing + 1))
done <"$T/ok_ids"
check "every push answered Success is in the audit" [ "$missing" = 0 ]
out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k2" "$T/known_hosts" \
    'echo after-kill' 2>"$T/ssh2.err") || true
check "the pushed key logs in after A died" contains "$out" after-kill

log "an agent that reconnects catches up from the table"
kill "$AGENT_PID_h1"; wait "$AGENT_PID_h1" 2>/dev/null || true
rm -f "$T/agent-h1.sock"
ssh-keygen -q -t ed25519 -N '' -f "$T/k3" </dev/null
out=$(aws_as admin ec2-instance-connect send-ssh-public-key \
    --instance-id "$inst" --instance-os-user ubuntu \
    --ssh-public-key "file://$T/k3.pub")
check "push while the agent is away: Success" \
    test "$(jq -r .Success <<<"$out")" = true
agent_start h1
out=""
for _ in $(seq 1 50); do
	out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k3" "$T/known_hosts" \
	    'echo caught-up' 2>/dev/null) && break
	sleep 0.2
done
check "the record stored while away reaches the agent" contains "$out" caught-up
finish
