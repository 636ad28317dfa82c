#!/usr/bin/env bash
# Push -> visible across replicas (docs/replicas.md): one PostgreSQL, two
# wicketd (A, B), one agent long-polling B. For N pushes each (aws CLI):
#   same:  pushed through B (the replica holding the poll: no NOTIFY hop)
#   cross: pushed through A (stored, NOTIFY, B reads the table, answers)
# the time from the push's Success to the key being served by the agent
# (wicket-authorized-keys on its socket, polled every 2 ms). Prints p50
# and p99 per mode. Needs root and Debian's postgresql (like the e2e tests).
# Usage: bash bench/bench_replicas.sh [N]
source "$(dirname "$0")/../tests/e2e/lib.sh"
source "$(dirname "$0")/../tests/e2e/pg_lib.sh"
N=${1:-30}
trap 'pg_stop; cleanup' EXIT
pg_start
pg_psql "CREATE DATABASE wk" >/dev/null
URI="postgresql:///wk?host=$PG_DIR&user=postgres"
ensure_user ubuntu
ensure_ak_user
"$WK_BIN/wicketd" init --data "$T/a" --store "$URI" \
    --store-password-file "$PG_DIR/pgpass" >/dev/null 2>&1
cp -a "$T/a" "$T/b"
PA=$(free_port); PB=$(free_port)
wicketd_start "$T/a" "$PA"
wicketd_start "$T/b" "$PB"
DATA=$T/a
add_admin_profile
ssh-keygen -q -t ed25519 -N '' -f "$T/hk" </dev/null
ENDPOINT=http://127.0.0.1:$PB
inst=$(agent_enroll h 127.0.0.2 22 "$T/hk.pub" 2>/dev/null)
agent_start h
agent_connected h 1

now_ms() { date +%s%3N; }
run_mode() {	# run_mode NAME PORT
	local name=$1 i k t0 t1 out
	ENDPOINT=http://127.0.0.1:$2
	: >"$T/lat-$name"
	for i in $(seq 1 "$N"); do
		ssh-keygen -q -t ed25519 -N '' -f "$T/k-$name-$i" </dev/null
		k=$(cut -d' ' -f2 "$T/k-$name-$i.pub")
		aws_as admin ec2-instance-connect send-ssh-public-key \
		    --instance-id "$inst" --instance-os-user ubuntu \
		    --ssh-public-key "file://$T/k-$name-$i.pub" >/dev/null || continue
		t0=$(now_ms)
		for _ in $(seq 1 5000); do
			out=$("$HOST_BIN/wicket-authorized-keys" --state "$T/agent-h" \
			    --socket "$T/agent-h.sock" ubuntu 2>/dev/null || true)
			[[ $out == *"$k"* ]] && break
			sleep 0.002
		done
		t1=$(now_ms)
		echo $((t1 - t0)) >>"$T/lat-$name"
	done
	sort -n "$T/lat-$name" | awk -v name="$name" '{a[NR]=$1}
	    END {p50=a[int((NR+1)*0.5)]; i=int(NR*0.99+0.999); if (i<1) i=1;
	    printf "%s: n=%d p50=%d ms p99=%d ms max=%d ms\n", name, NR, p50,
	    a[i], a[NR]}'
}
run_mode same "$PB"
run_mode cross "$PA"
