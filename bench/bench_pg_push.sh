#!/usr/bin/env bash
# Pushes on PostgreSQL, one and two replicas (issue 11): one PostgreSQL
# (Debian's, started here as the e2e tests do), two wicketd (A, B) on it,
# a real wicket-agent long-polling B and a bench_swarm of agents holding
# their polls on B. RUNS times:
#   throughput  bench_load, closed loop, CONNS kept-alive connections, a
#               fresh SigV4 signature and key per call: all on B (one
#               replica), then spread over A and B (two replicas: every
#               push through A reaches the agent by NOTIFY)
#   latency     bench_swarm --pushes: PUSHES pushes (one kept-alive
#               connection, INTERVAL ms apart, each to a random swarm
#               agent whose poll is held), timed from sending the call to
#               the agent's poll answer carrying the record; "same":
#               pushed through B, which holds the polls; "cross": pushed
#               through A (row + NOTIFY, B reads the table and answers);
#               also the part of it after the call's answer (the swarm
#               reads its polls once the call returned, so "visible" is
#               never less than the call)
# then the median over the runs of each figure. Both wicketd run with
# --key-ttl 2 (the 64-unexpired-keys cap, see run_load.sh) and
# --throttle-key 0 (one admin key sends the latency pushes). PostgreSQL
# runs with fsync on (BENCH_PG_FSYNC=off: as the e2e tests run it), its
# data in a fresh directory under BENCH_PG_PARENT (/var/tmp), removed at
# the end.
# Environment: WK_BIN (default: the release preset, built first),
# BENCH_RUNS (3), BENCH_SECONDS (5), BENCH_CONNS (16), BENCH_USERS (100),
# BENCH_PUSHES (1000), BENCH_AGENTS (50), BENCH_PUSH_INTERVAL (10 ms).
# Needs root and Debian's postgresql package (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${WK_BIN:-}" ]; then
	cmake --preset release >/dev/null
	cmake --build --preset release -j"$(nproc)" >/dev/null
	WK_BIN=$PWD/build/release
fi
export WK_BIN
. tests/e2e/lib.sh
. tests/e2e/pg_lib.sh
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_SECONDS:-5}
CONNS=${BENCH_CONNS:-16}
USERS=${BENCH_USERS:-100}
PUSHES=${BENCH_PUSHES:-1000}
AGENTS=${BENCH_AGENTS:-50}
INTERVAL=${BENCH_PUSH_INTERVAL:-10}

echo "machine: $(nproc) cores, $(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -r)"
echo "postgresql: $("$PG_BIN/postgres" --version)"
echo "build: $WK_BIN"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# PostgreSQL's data in a directory of its own under BENCH_PG_PARENT
# (default /var/tmp, a disk: an fsync on a tmpfs would cost nothing)
PG_DIR=$(mktemp -d "${BENCH_PG_PARENT:-/var/tmp}/wicket-pg-bench.XXXXXX")
trap 'pg_stop; rm -rf "$PG_DIR"; cleanup' EXIT
pg_start
if [ "${BENCH_PG_FSYNC:-on}" = on ]; then
	# the tests' cluster runs without fsync; the bench's commits are durable
	pg_ctl_as -l "$PG_DIR/postgres.log" -o "-k $PG_DIR -c listen_addresses=''" \
	    -m fast restart
fi
echo "postgresql: fsync=$(pg_psql 'SHOW fsync') synchronous_commit=$(pg_psql 'SHOW synchronous_commit') data in $PG_DIR ($(df --output=fstype "$PG_DIR" | tail -n 1))"
pg_psql "CREATE DATABASE wk" >/dev/null
ensure_ak_user
A=$T/a
B=$T/b
"$WK_BIN/wicketd" init --data "$A" --store \
    "postgresql:///wk?host=$PG_DIR&user=postgres" \
    --store-password-file "$PG_DIR/pgpass" >/dev/null
cp -a "$A" "$B"
PORT_A=$(free_port)
PORT_B=$(free_port)
for d in "$A:$PORT_A" "$B:$PORT_B"; do
	"$WK_BIN/wicketd" serve --data "${d%:*}" --listen "127.0.0.1:${d##*:}" \
	    --key-ttl 2 --throttle-key 0 >>"$T/wicketd.log" 2>&1 &
	PIDS+=("$!")
	wait_tcp 127.0.0.1 "${d##*:}"
done
EP_A=http://127.0.0.1:$PORT_A
EP_B=http://127.0.0.1:$PORT_B
DATA=$A
add_admin_profile
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
AWS_ACCESS_KEY_ID=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$A/credentials")
AWS_SECRET_ACCESS_KEY=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$A/credentials")

ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
ENDPOINT=$EP_B
instance=$(agent_enroll load 127.0.0.2 2222 "$T/hostkey.pub")
agent_start load
for _ in $(seq 1 50); do	# online once a push is accepted
	aws_as admin ec2-instance-connect send-ssh-public-key \
	    --instance-id "$instance" --instance-os-user bl0 \
	    --ssh-public-key "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl" \
	    >/dev/null 2>&1 && break
	sleep 0.2
done

load() {	# load -e URL [-e URL]
	"$WK_BIN/bench_load" "$@" --instance "$instance" \
	    --keys-file "$T/load-keys" --users "$USERS" --os-users 512 \
	    --duration "$SECS" --connections "$CONNS"
}
swarm() {	# swarm PUSH-URL
	"$WK_BIN/bench_swarm" --endpoint "$EP_B" --data "$A" --ids "$T/ids" \
	    --agents "$AGENTS" --per-addr 10 --pushes "$PUSHES" \
	    --push-interval "$INTERVAL" --push-endpoint "$1" || true
}
field() {	# field NAME LINE: the value of NAME=... in LINE
	sed -n "s/.*[ :]$1=\([0-9.]*\).*/\1/p" <<<"$2" | head -n 1
}
: >"$T/figures"
load -e "$EP_B" --duration 1 >/dev/null 2>&1	# creates the load users

for run in $(seq 1 "$RUNS"); do
	echo "== run $run (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
	out=$(load -e "$EP_B")
	echo "one replica:  $out"
	echo "tput1 $(field 'req\/s' "$out") $(field p50 "$out") $(field p99 "$out")" >>"$T/figures"
	out=$(load -e "$EP_A" -e "$EP_B")
	echo "two replicas: $out"
	echo "tput2 $(field 'req\/s' "$out") $(field p50 "$out") $(field p99 "$out")" >>"$T/figures"
	for mode in same cross; do
		if [ "$mode" = same ]; then url=$EP_B; else url=$EP_A; fi
		out=$(swarm "$url")
		echo "$out" | sed "s/^/$mode: /"
		line=$(grep 'push -> visible' <<<"$out" || true)
		after=$(grep 'visible after' <<<"$out" || true)
		echo "$mode $(field n "$line") $(field p50 "$line") $(field p99 "$line") $(field p50 "$after") $(field p99 "$after")" >>"$T/figures"
	done
done

echo "== medians over $RUNS runs"
for k in tput1 tput2 same cross; do
	awk -v k="$k" '$1 == k {n++; a[n] = $2; b[n] = $3; c[n] = $4; d[n] = $5; e[n] = $6}
	    function med(v, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
		return v[int((n + 1) / 2)]
	    }
	    END {
		if (n == 0) exit
		name = k == "tput1" ? "one replica" : "two replicas"
		if (k ~ /^tput/)
			printf "throughput, %s: req/s=%s p50=%s p99=%s ms (%d runs)\n", name, med(a, n), med(b, n), med(c, n), n
		else
			printf "push -> visible, %s: p50=%s p99=%s ms; after the answer: p50=%s p99=%s ms (%d runs of %s pushes)\n", k, med(b, n), med(c, n), med(d, n), med(e, n), n, a[1]
	    }' "$T/figures"
done
