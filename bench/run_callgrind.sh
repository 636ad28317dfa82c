#!/usr/bin/env bash
# CPU per SendSSHPublicKey, counted rather than timed (issue 14): wicketd
# runs under valgrind's callgrind with instrumentation off while it starts
# and the load users are created, then bench_load runs a closed loop with
# instrumentation on; the instructions wicketd executed in that window,
# divided by the calls answered (each a push; bench_load's line shows any
# that failed), are its CPU per push. Instruction counts do not depend
# on what else the machine runs, so builds can be compared on a shared,
# loaded machine where req/s cannot.
#
# Environment: WK_BIN (default: the release preset, built first),
# BENCH_SECONDS (20), BENCH_CONNS (16), BENCH_USERS (100), BENCH_OS_USERS
# (512), BENCH_CALLGRIND_OUT (the callgrind file to keep; default: in the
# temporary dir, removed). Prints "callgrind: pushes=N Ir=M Ir/push=K" (N: calls answered).
# User space only: the kernel's share (syscalls, fsync) is not counted.
# Read the profile with callgrind_annotate --inclusive=yes FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${WK_BIN:-}" ]; then
	cmake --preset release >/dev/null
	cmake --build --preset release -j"$(nproc)" >/dev/null
	WK_BIN=$PWD/build/release
fi
export WK_BIN
. tests/e2e/lib.sh
SECS=${BENCH_SECONDS:-20}
CONNS=${BENCH_CONNS:-16}
USERS=${BENCH_USERS:-100}
OS_USERS=${BENCH_OS_USERS:-512}
OUT=${BENCH_CALLGRIND_OUT:-$T/callgrind.out}

DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
ensure_ak_user
wicketd_init "$DATA" --account-id 123456789012 --region us-east-1 >/dev/null
add_admin_profile
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT" \
    "$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
    --key-ttl 2 >>"$T/wicketd.log" 2>&1 &
WICKETD_PID=$!
PIDS+=("$WICKETD_PID")
for _ in $(seq 1 300); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	sleep 0.1
done
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
instance=$(agent_enroll load 127.0.0.2 2222 "$T/hostkey.pub")
agent_start load
for _ in $(seq 1 100); do
	aws_as admin ec2-instance-connect send-ssh-public-key \
	    --instance-id "$instance" --instance-os-user bl0 \
	    --ssh-public-key "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl" \
	    >/dev/null 2>&1 && break
	sleep 0.3
done

load() {
	AWS_ACCESS_KEY_ID=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials") \
	AWS_SECRET_ACCESS_KEY=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials") \
	    "$WK_BIN/bench_load" --endpoint "$ENDPOINT" --instance "$instance" \
	    --keys-file "$T/load-keys" --users "$USERS" --os-users "$OS_USERS" "$@"
}
# creates the users (uninstrumented) and warms every cache once
load --connections "$CONNS" --duration 5 >/dev/null
callgrind_control -i on "$WICKETD_PID" >/dev/null
out=$(load --connections "$CONNS" --duration "$SECS")
callgrind_control -i off "$WICKETD_PID" >/dev/null
echo "$out"
kill "$WICKETD_PID" 2>/dev/null || true
wait "$WICKETD_PID" 2>/dev/null || true
for _ in $(seq 1 100); do	# callgrind writes its file as wicketd exits
	grep -q '^totals:' "$OUT" 2>/dev/null && break
	sleep 0.1
done
pushes=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$out" | head -n 1)
ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$OUT" | head -n 1 || true)
awk -v p="$pushes" -v i="$ir" 'BEGIN {
    printf "callgrind: pushes=%d Ir=%.0f Ir/push=%.0f\n", p, i, (p > 0 ? i / p : 0) }'
