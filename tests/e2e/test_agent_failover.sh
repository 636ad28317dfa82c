#!/usr/bin/env bash
# An agent with several servers (issue 11 part 2, docs/agent.md "Several
# servers"): two wicketd on one PostgreSQL store (the second data dir holds
# the same keys and the same store URI), one agent enrolled with both and a
# real sshd. A push through the server the agent is on logs in; that
# wicketd is killed with SIGKILL; the agent's log says it moved to the
# other; a push through the other logs in. Also: a server list mixing
# http and https is refused (a server added must not widen the trust),
# and a state.json written before "servers" still loads.
# Needs root and Debian's postgresql package (scripts/install-deps.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

if ! pg_ready; then
	echo "e2e: no PostgreSQL here (root, the postgres user and" \
	    "/usr/lib/postgresql/*/bin needed: scripts/install-deps.sh)" >&2
	exit 1
fi
trap 'pg_stop; cleanup' EXIT
REGION=us-east-1
ACCOUNT=123456789012
pg_start
pg_psql "CREATE DATABASE svc" >/dev/null
URI="postgresql:///svc?host=$PG_DIR&user=postgres"
ensure_user ubuntu
ensure_ak_user

log "two wicketd on one PostgreSQL store"
DATA=$T/a
"$WK_BIN/wicketd" init --data "$DATA" --store "$URI" \
    --store-password-file "$PG_DIR/pgpass" --account-id "$ACCOUNT" \
    --region "$REGION" >/dev/null
# the second replica: the same keys and the same store, its own dir
mkdir -m 700 "$T/b"
cp "$DATA/master.key" "$DATA/signing.key" "$DATA/store" "$T/b/"
PA=$(free_port); PB=$(free_port)
"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PA" \
    >>"$T/wicketd-a.log" 2>&1 &
PID_A=$!; PIDS+=("$PID_A")
"$WK_BIN/wicketd" serve --data "$T/b" --listen "127.0.0.2:$PB" \
    >>"$T/wicketd-b.log" 2>&1 &
PIDS+=("$!")
wait_tcp 127.0.0.1 "$PA"
wait_tcp 127.0.0.2 "$PB"
A=http://127.0.0.1:$PA
B=http://127.0.0.2:$PB
add_admin_profile

log "one agent enrolled with both servers"
SSHP=$(free_port)
mkdir -p "$T/sshd-h"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-h/ssh_host_ed25519_key" </dev/null
token=$("$WK_BIN/wicketd" token create --data "$DATA" --address-allow 127.0.0.3)
ID=$("$HOST_BIN/wicket-agent" enroll --server "$A" --server "$B" \
    --token "$token" --state "$T/agent-h" --address 127.0.0.3 \
    --ssh-port "$SSHP" --host-key "$T/sshd-h/ssh_host_ed25519_key.pub")
check "state.json lists both servers in order" test \
    "$(jq -c .servers "$T/agent-h/state.json")" = "[\"$A\",\"$B\"]"
check "...and the first as server (older agents read it)" test \
    "$(jq -r .server "$T/agent-h/state.json")" = "$A"
log "the server list is the operator's, under one trust"
out=$("$HOST_BIN/wicket-agent" run --state "$T/agent-h" --server "$A" \
    --server "https://127.0.0.2:$PB" 2>&1) && rc=0 || rc=$?
check "http next to https is refused" [ "$rc" -eq 2 ]
check "...saying why" contains "$out" "scheme"
out=$("$HOST_BIN/wicket-agent" enroll --state "$T/none" --token wkjt-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa \
    --server "$A" --server "$A/" 2>&1) && rc=0 || rc=$?
check "the same server twice is refused" [ "$rc" -ne 0 ]
check "...saying so" contains "$out" "given twice"

"$HOST_BIN/wicket-agent" run --state "$T/agent-h" --debug \
    --socket "$T/agent-h.sock" --socket-group wicket-ak \
    >>"$T/agent-h.log" 2>&1 &
PIDS+=("$!")
sshd_start h 127.0.0.3 "$SSHP" "$T/agent-h" "$T/agent-h.sock"
known_hosts_for h 127.0.0.3 "$SSHP" >"$T/known_hosts"
check "the agent is on the first server" agent_connected h 1
check "...logged as such" grep -q "event=wicketd_connected server=$A" \
    "$T/agent-h.log"

push() {	# push ENDPOINT PUBFILE
	ENDPOINT=$1 aws_as admin ec2-instance-connect send-ssh-public-key \
	    --instance-id "$ID" --instance-os-user ubuntu \
	    --ssh-public-key "file://$2"
}
login() {	# login KEY -> "in"
	ssh_login ubuntu 127.0.0.3 "$SSHP" "$1" "$T/known_hosts" 'echo in' \
	    2>/dev/null || true
}
ssh-keygen -q -t ed25519 -N '' -f "$T/k1" </dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/k2" </dev/null
check "a push through the agent's server succeeds" contains \
    "$(push "$A" "$T/k1.pub")" '"Success": true'
check "...and logs in" test "$(login "$T/k1")" = in

log "kill -9 the agent's server: it moves to the other"
kill -9 "$PID_A"
wait "$PID_A" 2>/dev/null || true
check "the agent connects to the second server" agent_connected h 2
check "...after a failover from the first" grep -q \
    "event=wicketd_failover from=$A to=$B" "$T/agent-h.log"
check "...logged as connected to it" grep -q \
    "event=wicketd_connected server=$B" "$T/agent-h.log"
check "a push through the second server succeeds" contains \
    "$(push "$B" "$T/k2.pub")" '"Success": true'
check "...and logs in" test "$(login "$T/k2")" = in

log "a state.json written before \"servers\" still loads"
jq 'del(.servers) | .server = "'"$B"'"' "$T/agent-h/state.json" \
    >"$T/old.json"
mkdir -m 711 "$T/agent-old"
install -m 600 "$T/old.json" "$T/agent-old/state.json"
cp "$T/agent-h/trust" "$T/agent-old/trust"
"$HOST_BIN/wicket-agent" run --state "$T/agent-old" \
    --socket "$T/agent-old.sock" --socket-group wicket-ak \
    >>"$T/agent-old.log" 2>&1 &
PIDS+=("$!")
check "an agent from an old state connects" agent_connected old 1
finish
