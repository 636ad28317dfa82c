#!/usr/bin/env bash
# Idle agents on one wicketd (issue 14, items 5 and 8): for each size in
# BENCH_SIZES (1000 10000 50000), a fresh `wicketd serve` and one
# bench_swarm holding that many long-polls, RUNS times, printing wicketd's
# RSS (and per agent), its CPU per heartbeat and as % of one core over
# BENCH_MEASURE seconds, and push -> visible at a random agent (BENCH_PUSHES
# pushes, 100 ms apart). Then, with the largest size, wicketd is restarted
# under the swarm and the time until every agent's poll is held again is
# printed (wicketd's own wicket_agent_polls_held gauge).
#
# The data directory and the agents' identities persist in BENCH_DIR
# (default /var/tmp/wicket-swarm-bench): enrolling 50,000 agents (a join
# token each, through POST /agent/v1/enroll) is done once. Run as root
# (descriptor limits are raised with ulimit). WK_BIN: default the release
# preset, built first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${WK_BIN:-}" ]; then
	cmake --preset release >/dev/null
	cmake --build --preset release -j"$(nproc)" >/dev/null
	WK_BIN=$PWD/build/release
fi
export WK_BIN
. tests/e2e/lib.sh
RUNS=${BENCH_RUNS:-3}
SIZES=${BENCH_SIZES:-1000 10000 50000}
# (each size needs about size + 2,400 descriptors in wicketd)
MEASURE=${BENCH_MEASURE:-30}
PUSHES=${BENCH_PUSHES:-200}
DIR=${BENCH_DIR:-/var/tmp/wicket-swarm-bench}
RESTART=${BENCH_RESTART:-1}

# every agent is a descriptor in wicketd and in the swarm: raise the soft
# limit to the hard one (raising the hard limit needs CAP_SYS_RESOURCE)
ulimit -Hn "${BENCH_NOFILE:-$(ulimit -Hn)}" 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
echo "descriptor limit: $(ulimit -n)"
echo "machine: $(nproc) cores, $(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -r)"
echo "build: $WK_BIN"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"

DATA="$DIR/data"
mkdir -p "$DIR"
if [ ! -e "$DATA/wicket.db" ]; then
	wicketd_init "$DATA" --account-id 123456789012 --region us-east-1 >/dev/null
fi
PORT=$(free_port)
MPORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
METRICS="http://127.0.0.1:$MPORT/metrics"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
AWS_ACCESS_KEY_ID=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
AWS_SECRET_ACCESS_KEY=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")

serve() {
	"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
	    --metrics-listen "127.0.0.1:$MPORT" >>"$T/wicketd.log" 2>&1 &
	WICKETD_PID=$!
	PIDS+=("$WICKETD_PID")
	wait_tcp 127.0.0.1 "$PORT"
}
swarm() {
	"$WK_BIN/bench_swarm" --endpoint "$ENDPOINT" --data "$DATA" \
	    --ids "$DIR/ids" --metrics "$METRICS" "$@"
}

for n in $SIZES; do
	for run in $(seq 1 "$RUNS"); do
		echo "== agents $n, run $run"
		serve
		swarm --agents "$n" --server-pid "$WICKETD_PID" \
		    --measure "$MEASURE" --pushes "$PUSHES" || echo "(run failed)"
		wicketd_stop
	done
done

if [ "$RESTART" = 1 ]; then
	n=${SIZES##* }
	echo "== restart with $n agents"
	serve
	swarm --agents "$n" --watch 120 >"$T/swarm.out" 2>&1 &
	SW=$!
	PIDS+=("$SW")
	until grep -q "swarm: agents=" "$T/swarm.out"; do sleep 1; done
	cat "$T/swarm.out"
	sleep 5
	t0=$(date +%s.%N)
	wicketd_stop
	serve
	t1=$(date +%s.%N)
	echo "restart: stopped at $t0, listening again at $t1 ($(echo "$t1 - $t0" | bc) s)"
	wait "$SW" || true
	cat "$T/swarm.out"
fi
