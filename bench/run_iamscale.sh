#!/usr/bin/env bash
# Cost growth with the work (issue 14, item 6): SendSSHPublicKey
# throughput and p99 with 1, 10 and 100 policies per calling user, and
# with 10, 1,000 and 100,000 IAM users in the store.
#
# Setup: wicketd + one agent on loopback (tests/e2e/lib.sh); bench_load
# creates its 10 callers through the IAM API (each: one access key and
# the lab's managed policy attached). The other policies and users are
# then written into the SQLite store directly, in one transaction each,
# while wicketd is stopped (the IAM API caps a user at 10 managed
# policies, and 100,000 CreateUser calls would take the run's whole
# time):
#   policies  P-1 inline policies per caller (user_inline rows), each an
#             Allow of SendSSHPublicKey whose StringEquals condition on
#             ec2:osuser never matches, so every statement is evaluated
#             and none decides the call
#   users     filler users (users rows, no keys, no policies) up to the
#             total asked for
# Each point: wicketd restarted (its policy cache starts cold), then
# bench_load closed loop at 16 connections for BENCH_SECONDS, RUNS times.
# wicketd runs with --throttle-key 0 (10 callers) and --key-ttl 2.
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
CONNS=${BENCH_CONNS:-16}

echo "machine: $(nproc) cores, $(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -r)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"

DATA="$T/data"
DB="$DATA/wicket.db"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
ensure_ak_user
wicketd_init "$DATA" --account-id 123456789012 --region us-east-1 >/dev/null
add_admin_profile
serve() {
	"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
	    --key-ttl 2 --throttle-key 0 >>"$T/wicketd.log" 2>&1 &
	WICKETD_PID=$!
	PIDS+=("$WICKETD_PID")
	wait_tcp 127.0.0.1 "$PORT"
}
serve
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
instance=$(agent_enroll load 127.0.0.2 2222 "$T/hostkey.pub")
agent_start load
online() {
	for _ in $(seq 1 100); do
		aws_as admin ec2-instance-connect send-ssh-public-key \
		    --instance-id "$instance" --instance-os-user bl0 \
		    --ssh-public-key "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl" \
		    >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
online
load() {
	AWS_ACCESS_KEY_ID=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials") \
	AWS_SECRET_ACCESS_KEY=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials") \
	    "$WK_BIN/bench_load" --endpoint "$ENDPOINT" --instance "$instance" \
	    --keys-file "$T/load-keys" --users 10 --duration "$SECS" \
	    --connections "$CONNS" "$@"
}
load --duration 1 >/dev/null	# creates the 10 callers

set_policies() {	# P: P-1 inline policies per caller
	sqlite3 "$DB" "PRAGMA busy_timeout=5000; BEGIN;
DELETE FROM user_inline WHERE name LIKE 'swarm-extra-%';
WITH RECURSIVE k(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM k WHERE x < $(($1 - 1)))
INSERT INTO user_inline(uid, name, document)
SELECT u.uid, 'swarm-extra-' || k.x,
 '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ec2-instance-connect:SendSSHPublicKey\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"ec2:osuser\":\"nobody-' || k.x || '\"}}}]}'
FROM users u, k WHERE u.name LIKE 'bench-load-%' AND $1 > 1;
COMMIT;"
}
set_users() {	# N: filler users so that the store holds N users
	sqlite3 "$DB" "PRAGMA busy_timeout=5000; BEGIN;
DELETE FROM users WHERE name LIKE 'filler-%';
WITH RECURSIVE k(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM k
  WHERE x < $1 - (SELECT count(*) FROM users))
INSERT INTO users(name, id, path, arn, create_date)
SELECT 'filler-' || x, 'AIDAFILLER' || printf('%011d', x), '/',
 'arn:aws:iam::123456789012:user/filler-' || x, 0
FROM k WHERE $1 > (SELECT count(*) FROM users);
COMMIT;"
}
point() {	# label
	wicketd_stop
	serve
	online
	echo "== $1: users=$(sqlite3 "$DB" 'select count(*) from users') inline_per_caller=$(sqlite3 "$DB" "select count(*) from user_inline i join users u on u.uid=i.uid where u.name='bench-load-0'")"
	for run in $(seq 1 "$RUNS"); do
		load
	done
}
for p in 1 10 100; do
	set_policies "$p"
	point "policies $p per caller (1 managed + $((p - 1)) inline)"
done
set_policies 1
for u in 10 1000 100000; do
	set_users "$u"
	point "users $u in the store"
done
