#!/usr/bin/env bash
# A fleet reconnecting after a wicketd restart (issue 14 item 8), with the
# real agent: starts wicketd and N agents (<= 20; the 50,000-agent figure
# is the swarm's, bench/swarm*) on loopback with tests/e2e/lib.sh, then
# ROUNDS times stops wicketd, keeps it down DOWN seconds, starts it again,
# and measures for every agent the time from wicketd's `event=listening`
# to the agent's `event=wicketd_connected` (both log timestamps, ms), and
# the attempts it made (`failures=`). Prints each round's p50 / max and,
# at the end, the median of the rounds. Environment: WK_BIN (default: the
# release preset, built first), BENCH_AGENTS (10), BENCH_ROUNDS (5),
# BENCH_DOWN (1 s), BENCH_ADMIT (wicketd's --agent-admit-rate; default
# its default).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${WK_BIN:-}" ]; then
	cmake --preset release >/dev/null
	cmake --build --preset release -j"$(nproc)" >/dev/null
	WK_BIN=$PWD/build/release
fi
export WK_BIN
. tests/e2e/lib.sh
N=${BENCH_AGENTS:-10}
ROUNDS=${BENCH_ROUNDS:-5}
DOWN=${BENCH_DOWN:-1}
ADMIT=()
[ -n "${BENCH_ADMIT:-}" ] && ADMIT=(--agent-admit-rate "$BENCH_ADMIT")
if [ "$N" -gt 20 ]; then
	echo "bench/reconnect.sh: at most 20 real agents; use the swarm" >&2
	exit 2
fi

echo "machine: $(nproc) cores, $(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -r)"
echo "build: $WK_BIN"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "agents: $N, rounds: $ROUNDS, down: ${DOWN} s, admit: ${BENCH_ADMIT:-default}"

DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
ensure_ak_user
serve() {
	"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
	    "${ADMIT[@]}" >"$T/wicketd.log" 2>&1 &
	WICKETD_PID=$!
	PIDS+=("$WICKETD_PID")
	wait_tcp 127.0.0.1 "$PORT"
}
wicketd_init "$DATA" --account-id 123456789012 --region us-east-1 >/dev/null
serve
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
for i in $(seq 1 "$N"); do
	agent_enroll "$i" 127.0.0.2 2222 "$T/hostkey.pub" >/dev/null 2>&1
	agent_start "$i"
done
for i in $(seq 1 "$N"); do agent_connected "$i" 1; done

: >"$T/rounds"
for r in $(seq 1 "$ROUNDS"); do
	for i in $(seq 1 "$N"); do : >"$T/agent-$i.log"; done
	wicketd_stop
	sleep "$DOWN"
	serve
	for i in $(seq 1 "$N"); do agent_connected "$i" 1; done
	cat "$T"/agent-*.log >"$T/agents.log"
	"$PY" - "$T/wicketd.log" "$T/agents.log" "$r" >>"$T/rounds" <<'PY'
import re, sys, datetime
def ts(line):
    return datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
up = [ts(l) for l in open(sys.argv[1]) if "event=listening" in l][-1]
back, tries = [], []
for l in open(sys.argv[2]):
    if "event=wicketd_connected" in l:
        back.append((ts(l) - up) * 1000)
        tries.append(int(re.search(r"failures=(\d+)", l).group(1)))
back.sort(); tries.sort()
print("%s %.0f %.0f %d" % (sys.argv[3], back[len(back) // 2], back[-1], tries[-1]))
PY
	tail -1 "$T/rounds" | awk '{printf "round %s: listening -> agent back p50 %s ms, max %s ms; most attempts %s\n", $1, $2, $3, $4}'
done
mid=$(( (ROUNDS + 1) / 2 ))
echo "median of $ROUNDS rounds: p50 $(sort -n -k2 "$T/rounds" | sed -n "${mid}p" | cut -d' ' -f2) ms, max $(sort -n -k3 "$T/rounds" | sed -n "${mid}p" | cut -d' ' -f3) ms, most attempts $(sort -n -k4 "$T/rounds" | sed -n "${mid}p" | cut -d' ' -f4)"
