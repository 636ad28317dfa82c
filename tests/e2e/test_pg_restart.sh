#!/usr/bin/env bash
# PostgreSQL restarting under two replicas (issue 11 part 3): two wicketd
# on one PostgreSQL, an agent long-polling B with a real sshd, and signed
# SendSSHPublicKey calls flowing through both replicas (the aws CLI, one
# loop per replica) while PostgreSQL is restarted (pg_ctl restart -m fast)
# and then stopped for a few seconds and started again. Every call ends
# (none hangs) and answers either Success or ServiceUnavailable (HTTP
# 503, the code AWS clients retry), never another error; every push
# answered Success is in the audit; while PostgreSQL is down a key pushed
# before the outage still logs in (the host keeps what it holds); after
# it is back both replicas answer Success again without being restarted
# and a push through A reaches the agent polling B (B's LISTEN connection
# came back by itself).
# Needs root and Debian's postgresql package (scripts/install-deps.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

trap 'touch "$T/stop"; pg_stop; cleanup' EXIT
pg_store_up
ensure_user ubuntu
ensure_ak_user

log "two replicas on one PostgreSQL, an agent on B"
A=$T/a
B=$T/b
pg_replicas_init "$A" "$B"
PORT_A=$(free_port)
PORT_B=$(free_port)
# A holds each group commit open up to 1 s (docs/audit.md), so the
# outage lands while a batch of pushes waits for its commit
"$WK_BIN/wicketd" serve --data "$A" --listen "127.0.0.1:$PORT_A" \
    --audit-batch-wait-ms 1000 >>"$T/wicketd.log" 2>&1 &
PID_A=$!
PIDS+=("$PID_A")
wait_tcp 127.0.0.1 "$PORT_A"
# B logs on its own, to show its LISTEN connection coming back
"$WK_BIN/wicketd" serve --data "$B" --listen "127.0.0.1:$PORT_B" \
    >>"$T/wicketd-b.log" 2>&1 &
PID_B=$!
PIDS+=("$PID_B")
wait_tcp 127.0.0.1 "$PORT_B"
DATA=$A
add_admin_profile
EP_A=http://127.0.0.1:$PORT_A
EP_B=http://127.0.0.1:$PORT_B
SSH_PORT=$(free_port)
mkdir -p "$T/sshd-h1"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-h1/ssh_host_ed25519_key" </dev/null
ENDPOINT=$EP_B
inst=$(agent_enroll h1 127.0.0.2 "$SSH_PORT" "$T/sshd-h1/ssh_host_ed25519_key.pub")
agent_start h1
check "the agent is connected to B" agent_connected h1 1
sshd_start h1 127.0.0.2 "$SSH_PORT" "$T/agent-h1" "$T/agent-h1.sock"
known_hosts_for h1 127.0.0.2 "$SSH_PORT" >"$T/known_hosts"

# push EP KEYFILE: one SendSSHPublicKey; prints the RequestId on Success
push() {
	local out
	out=$(ENDPOINT=$1 aws_as admin ec2-instance-connect send-ssh-public-key \
	    --instance-id "$inst" --instance-os-user ubuntu \
	    --ssh-public-key "file://$2" 2>/dev/null) || return 1
	[ "$(jq -r .Success <<<"$out")" = true ] || return 1
	jq -r .RequestId <<<"$out"
}

# agent_has KEYFILE [SECONDS]: the agent on B serves that key within
# SECONDS (default 60: after an outage the agent may be in its backoff)
agent_has() {
	local k got end=$(($(date +%s) + ${2:-60}))
	k=$(cut -d' ' -f2 "$1.pub")
	while [ "$(date +%s)" -lt "$end" ]; do
		got=$("$HOST_BIN/wicket-authorized-keys" --state "$T/agent-h1" \
		    --socket "$T/agent-h1.sock" ubuntu 2>/dev/null || true)
		contains "$got" "$k" && return 0
		sleep 0.2
	done
	return 1
}

log "a key delivered before the outage"
ssh-keygen -q -t ed25519 -N '' -f "$T/k0" </dev/null
check "push of k0 through A: Success" push "$EP_A" "$T/k0.pub"
check "k0 reached the agent on B" agent_has "$T/k0"
out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k0" "$T/known_hosts" \
    'echo before-outage' 2>"$T/ssh0.err") || true
check "k0 logs in before the outage" contains "$out" before-outage

# traffic NAME EP: signed pushes through EP until $T/stop exists; one line
# per call in $T/calls-NAME: "ok REQUEST-ID", "err CODE" or "hang" (the
# call did not finish within 60 s; wicketd holds a request at most that)
ssh-keygen -q -t ed25519 -N '' -f "$T/kt" </dev/null
traffic() {
	local name=$1 ep=$2 out rc code
	: >"$T/calls-$name"
	while [ ! -e "$T/stop" ]; do
		rc=0
		out=$(timeout 60 "$AWS" --profile admin \
		    --endpoint-url "$ep" --output json \
		    ec2-instance-connect send-ssh-public-key \
		    --instance-id "$inst" --instance-os-user ubuntu \
		    --ssh-public-key "file://$T/kt.pub" \
		    2>"$T/err-$name") || rc=$?
		if [ "$rc" = 124 ]; then
			echo hang >>"$T/calls-$name"
		elif [ "$rc" = 0 ] && [ "$(jq -r .Success <<<"$out")" = true ]; then
			echo "ok $(jq -r .RequestId <<<"$out")" >>"$T/calls-$name"
		else
			code=$(sed -n 's/.*An error occurred (\([A-Za-z]*\)).*/\1/p' \
			    "$T/err-$name" | head -n 1)
			echo "err ${code:-unknown}" >>"$T/calls-$name"
			[ -n "$code" ] || cat "$T/err-$name" >>"$T/unknown-errors"
		fi
	done
}
export AWS_SHARED_CREDENTIALS_FILE=$T/credentials AWS_CONFIG_FILE=$T/config \
    AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1
traffic a "$EP_A" &
LOOP_A=$!
traffic b "$EP_B" &
LOOP_B=$!
PIDS+=("$LOOP_A" "$LOOP_B")
# some calls answered before the outage
for _ in $(seq 1 100); do
	[ "$(grep -c '^ok' "$T/calls-a" "$T/calls-b" 2>/dev/null |
	    awk -F: '{s += ($2 > 0)} END {print s+0}')" = 2 ] && break
	sleep 0.2
done

# and a denser stream: the project's load generator (kept-alive
# connections, a fresh SigV4 signature and key per call) at 20 calls/s
# through each replica, over the whole outage; it counts every answer's
# code, and a call that never ends would hold it past its duration
load() {	# load EP NAME RATE SECONDS
	"$WK_BIN/bench_load" --endpoint "$1" --instance "$inst" \
	    --keys-file "$T/load-keys" --users 8 --connections 32 \
	    --rate "$3" --duration "$4" >"$T/load-$2" 2>&1
}
(
	export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	AWS_ACCESS_KEY_ID=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$A/credentials")
	AWS_SECRET_ACCESS_KEY=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$A/credentials")
	"$WK_BIN/bench_load" --endpoint "$EP_A" --endpoint "$EP_B" \
	    --instance "$inst" --keys-file "$T/load-keys" --users 8 \
	    --connections 2 --rate 8 --duration 1 >"$T/load-setup" 2>&1
)
cat "$T/load-setup"
check "the load generator's users exist, its calls through A and B succeed" \
    grep -q 'endpoints=2 .*Success=8 ThrottlingException=0 other=0 transport=0' \
    "$T/load-setup"
LOAD_SECS=20
(
	export AWS_ACCESS_KEY_ID=unused AWS_SECRET_ACCESS_KEY=unused
	load "$EP_A" a 20 "$LOAD_SECS" & load "$EP_B" b 20 "$LOAD_SECS" & wait
) &
LOAD_PID=$!
PIDS+=("$LOAD_PID")

log "pg_ctl restart -m fast during traffic"
pg_ctl_as -l "$PG_DIR/postgres.log" -m fast restart
sleep 2

log "PostgreSQL stopped for a few seconds during traffic"
pg_ctl_as -m fast stop
n_a=$(wc -l <"$T/calls-a")
n_b=$(wc -l <"$T/calls-b")
out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k0" "$T/known_hosts" \
    'echo during-outage' 2>"$T/ssh1.err") || true
check "k0 still logs in while PostgreSQL is down" contains "$out" during-outage
# calls through each replica answered while it was down (the first may
# have started before the stop)
for _ in $(seq 1 300); do
	[ "$(wc -l <"$T/calls-a")" -gt "$((n_a + 1))" ] &&
	    [ "$(wc -l <"$T/calls-b")" -gt "$((n_b + 1))" ] && break
	sleep 0.2
done
check "A answers ServiceUnavailable while PostgreSQL is down" \
    bash -c "tail -n +$((n_a + 1)) '$T/calls-a' | grep -q '^err ServiceUnavailable$'"
check "B answers ServiceUnavailable while PostgreSQL is down" \
    bash -c "tail -n +$((n_b + 1)) '$T/calls-b' | grep -q '^err ServiceUnavailable$'"
pg_ctl_as -l "$PG_DIR/postgres.log" -o "-k $PG_DIR -c listen_addresses='' \
    -c fsync=off -c full_page_writes=off" start

log "both replicas recover by themselves"
n_a=$(wc -l <"$T/calls-a")
n_b=$(wc -l <"$T/calls-b")
for _ in $(seq 1 300); do
	tail -n +"$((n_a + 1))" "$T/calls-a" | grep -q '^ok' &&
	    tail -n +"$((n_b + 1))" "$T/calls-b" | grep -q '^ok' && break
	sleep 0.2
done
touch "$T/stop"
wait "$LOOP_A" "$LOOP_B" 2>/dev/null || true
check "A answers Success again (no restart)" \
    bash -c "tail -n +$((n_a + 1)) '$T/calls-a' | grep -q '^ok'"
check "B answers Success again (no restart)" \
    bash -c "tail -n +$((n_b + 1)) '$T/calls-b' | grep -q '^ok'"
check "both wicketd are the processes started before the outage" \
    kill -0 "$PID_A" "$PID_B"
cat "$T/calls-a" "$T/calls-b" >"$T/calls"
echo "calls: $(sort "$T/calls" | cut -d' ' -f1-2 | sed 's/^ok .*/ok/' |
    sort | uniq -c | tr '\n' ' ')"
check "no call hung" eval '! grep -q "^hang" "$T/calls"'
bad=$(grep '^err' "$T/calls" | grep -v '^err ServiceUnavailable$' || true)
[ -z "$bad" ] || echo "other answers: $bad" >&2
[ ! -e "$T/unknown-errors" ] || cat "$T/unknown-errors" >&2
check "every answer was Success or ServiceUnavailable" test -z "$bad"
check "some calls answered ServiceUnavailable" grep -q '^err ServiceUnavailable' "$T/calls"
wait "$LOAD_PID" || true
cat "$T/load-a" "$T/load-b"
for n in a b; do
	check "load through $n: all $((20 * LOAD_SECS)) calls answered" \
	    grep -q "requests=$((20 * LOAD_SECS)) " "$T/load-$n"
	check "load through $n: no transport failure, no throttling" \
	    grep -q 'ThrottlingException=0 other=[0-9]* transport=0' "$T/load-$n"
	check "load through $n: the only error is ServiceUnavailable" \
	    eval "! grep 'other errors:' '$T/load-$n' | tr ' ' '\n' |
	    grep '=' | grep -vq '^ServiceUnavailable='"
done
# the load generator's keys are its own (OS users bl*): at least as many
# allowed pushes in the audit as it counted Success
succ=$(sed -n 's/.* Success=\([0-9]*\) .*/\1/p' "$T/load-setup" "$T/load-a" \
    "$T/load-b" | awk '{s += $1} END {print s + 0}')
allowed=$(PG_DB=wk pg_psql "SELECT count(*) FROM audit WHERE decision = \
    'Allow' AND os_user LIKE 'bl%' AND action LIKE '%SendSSHPublicKey'")
echo "load generator: Success=$succ, allowed in the audit: $allowed"
check "every load push answered Success is in the audit" [ "$allowed" -ge "$succ" ]
audit=$(PG_DB=wk pg_psql \
    "SELECT request_id FROM audit WHERE decision = 'Allow'")
missing=0
while read -r _ id; do
	contains "$audit" "$id" || { echo "not audited: $id" >&2; missing=$((missing + 1)); }
done < <(grep '^ok' "$T/calls")
check "every push answered Success is in the audit" [ "$missing" = 0 ]

log "after the outage: a push through A reaches the agent on B"
check "B's LISTEN connection came back" \
    grep -q 'agent_polls_woken.*reason=listen_reconnected' "$T/wicketd-b.log"
ssh-keygen -q -t ed25519 -N '' -f "$T/k1" </dev/null
check "push of k1 through A: Success" push "$EP_A" "$T/k1.pub"
check "k1 reached the agent on B (it polls B again)" agent_has "$T/k1"
out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k1" "$T/known_hosts" \
    'echo after-outage' 2>"$T/ssh2.err") || true
check "k1 logs in" contains "$out" after-outage
# The agent holds its next poll on B now. B answers it with k2 only on
# the NOTIFY from A or when its 25 s hold ends: waiting at most 15 s
# tells the two apart (the wake-up takes milliseconds).
ssh-keygen -q -t ed25519 -N '' -f "$T/k2" </dev/null
check "push of k2 through A: Success" push "$EP_A" "$T/k2.pub"
check "k2 reached the poll held on B by NOTIFY" agent_has "$T/k2" 15

log "the bench's cross-replica probe: agents polling B, pushes through A"
out=$(AWS_ACCESS_KEY_ID=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$A/credentials") \
    AWS_SECRET_ACCESS_KEY=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$A/credentials") \
    "$WK_BIN/bench_swarm" --endpoint "$EP_B" --data "$A" --ids "$T/ids" \
    --agents 5 --per-addr 5 --push-each --push-endpoint "$EP_A" 2>&1) && rc=0 || rc=$?
echo "$out"
check "bench_swarm --push-endpoint: ran" [ "$rc" = 0 ]
check "bench_swarm --push-endpoint: each agent polling B got its push through A" \
    contains "$out" "pushes=5 delivered=5 refused=0"
finish
