#!/usr/bin/env bash
# SendSSHPublicKey throughput against the machine's own limits (issue 14).
# Starts its own wicketd (key TTL 2 s, see below) and agent on loopback
# with tests/e2e/lib.sh, creates the load users once (bench_load
# --keys-file), then prints, RUNS times:
#   bench_limits   fsync/s of the data dir's disk, SigV4 chains/s and
#                  Ed25519 signatures/s on one core
#   bench_load     closed loop at 1, 4, 16, 64 and 200 connections, and an
#                  open loop at 1,000 req/s; each push a fresh key and a
#                  fresh signature, over USERS IAM users
# and each closed-loop figure as a fraction of fsync/s and of SigV4
# chains/s. Environment: WK_BIN (default: the release preset, built
# first), BENCH_RUNS (3), BENCH_SECONDS (5 per point), BENCH_USERS (100),
# BENCH_RATE (1000), BENCH_CONNS ("1 4 16 64 200"), BENCH_OS_USERS (512),
# BENCH_WICKETD_ARGS (more wicketd serve options), BENCH_PERF (a file:
# `perf record -g` of wicketd during the last closed-loop point).
#
# wicketd keeps at most 64 unexpired keys per instance and OS user; with
# the default 60 s TTL one instance could take only ~1 push/s per OS user.
# The bench runs wicketd with --key-ttl 2 and rotates over 512 OS users,
# so that limit (~10,000/s) stays far above what is measured. (Not 1 s:
# with --key-ttl 1 about one push per second, at the second's turn, fails
# with ServiceException "invalid input".)
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
SECS=${BENCH_SECONDS:-5}
USERS=${BENCH_USERS:-100}
RATE=${BENCH_RATE:-1000}
CONNS=${BENCH_CONNS:-1 4 16 64 200}
OS_USERS=${BENCH_OS_USERS:-512}
WICKETD_ARGS=${BENCH_WICKETD_ARGS:-}

echo "machine: $(nproc) cores, $(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -r)"
echo "build: $WK_BIN"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"

DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
ensure_ak_user
wicketd_init "$DATA" --account-id 123456789012 --region us-east-1 >/dev/null
add_admin_profile
"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
    --key-ttl 2 $WICKETD_ARGS >>"$T/wicketd.log" 2>&1 &
WICKETD_PID=$!
PIDS+=("$WICKETD_PID")
wait_tcp 127.0.0.1 "$PORT"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
instance=$(agent_enroll load 127.0.0.2 2222 "$T/hostkey.pub")
agent_start load
# the agent is online once wicketd accepts a push for the instance
for _ in $(seq 1 50); do
	aws_as admin ec2-instance-connect send-ssh-public-key \
	    --instance-id "$instance" --instance-os-user bl0 \
	    --ssh-public-key "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl" \
	    >/dev/null 2>&1 && break
	sleep 0.2
done

load() {
	AWS_ACCESS_KEY_ID=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials") \
	AWS_SECRET_ACCESS_KEY=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials") \
	    "$WK_BIN/bench_load" --endpoint "$ENDPOINT" --instance "$instance" \
	    --keys-file "$T/load-keys" --users "$USERS" --os-users "$OS_USERS" --duration "$SECS" "$@"
}
field() {	# field NAME LINE: the value of NAME=... in LINE
	sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"
}

for run in $(seq 1 "$RUNS"); do
	echo "== run $run"
	lim=$("$WK_BIN/bench_limits" "$DATA")
	echo "$lim"
	fs=$(sed -n 's/^limits: fsync\/s=//p' <<<"$lim")
	hm=$(sed -n 's/^limits: sigv4_chains\/s=//p' <<<"$lim")
	for c in $CONNS; do
		if [ -n "${BENCH_PERF:-}" ] && [ "$c" = "${CONNS##* }" ]; then
			# wicketd's profile during the last closed-loop point
			perf record -q -g -p "$WICKETD_PID" -o "$BENCH_PERF" \
			    -- sleep "$SECS" >/dev/null 2>&1 &
			perf_pid=$!
		fi
		out=$(load --connections "$c")
		echo "$out"
		[ -z "${perf_pid:-}" ] || { wait "$perf_pid" || true; perf_pid=; }
		rps=$(field 'req\/s' "$(head -n 1 <<<"$out")")
		awk -v r="$rps" -v f="$fs" -v h="$hm" -v c="$c" 'BEGIN {
		    printf "fraction: conns=%d req/s=%s of_fsync=%.3f of_sigv4_chains=%.4f\n",
		        c, r, r / f, r / h }'
	done
	[ "$RATE" = 0 ] || load --connections 200 --rate "$RATE"
done
