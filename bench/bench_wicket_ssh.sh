#!/usr/bin/env bash
# `wicket ssh i-... true` minus plain `ssh host true` (ARCHITECTURE.md
# budget: <= 20 ms): what wicket adds to a login - DescribeInstances, an
# in-memory Ed25519 key, the push, a private known_hosts - against ssh
# with a key already authorized. Both log in through the same sshd and
# helper; RUNS alternating runs each, median and p90 printed.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${WK_BIN:-}" ]; then
	cmake --preset release >/dev/null
	cmake --build --preset release -j"$(nproc)" >/dev/null
	WK_BIN=$PWD/build/release
fi
export WK_BIN
. tests/e2e/lib.sh
RUNS=${BENCH_RUNS:-30}
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
ensure_user ubuntu
ensure_ak_user
wicketd_init "$DATA" --account-id 123456789012 --region us-east-1 >/dev/null
admin_key=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
admin_secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
add_profile admin "$admin_key" "$admin_secret"
wicketd_start "$DATA" "$PORT"
mkdir -p "$T/sshd-h"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-h/ssh_host_ed25519_key" </dev/null
instance=$(agent_enroll h 127.0.0.2 "$SSH_PORT" "$T/sshd-h/ssh_host_ed25519_key.pub")
agent_start h
sshd_start h 127.0.0.2 "$SSH_PORT" "$T/agent-h" "$T/agent-h.sock"
known_hosts_for h 127.0.0.2 "$SSH_PORT" >"$T/known_hosts"
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
: >"$T/plain"; : >"$T/wicket"
for _ in $(seq 1 "$RUNS"); do
	# plain ssh: a key pushed beforehand (not timed), then ssh alone
	aws_as admin ec2-instance-connect send-ssh-public-key --instance-id "$instance" \
	    --instance-os-user ubuntu --ssh-public-key "file://$T/k.pub" >/dev/null
	t0=$(date +%s%N)
	ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k" "$T/known_hosts" true
	ms "$t0" >>"$T/plain"
	t0=$(date +%s%N)
	AWS_ACCESS_KEY_ID=$admin_key AWS_SECRET_ACCESS_KEY=$admin_secret \
	    AWS_REGION=us-east-1 AWS_ENDPOINT_URL=$ENDPOINT \
	    "$WK_BIN/wicket" ssh -o BatchMode=yes "ubuntu@$instance" true
	ms "$t0" >>"$T/wicket"
done
stat() {	# stat FILE -> "p50 p90"
	sort -n "$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)], v[int(NR*0.9+0.5)]}'
}
read -r p50 p90 < <(stat "$T/plain")
read -r w50 w90 < <(stat "$T/wicket")
echo "ssh host true:        p50 ${p50} ms  p90 ${p90} ms  (n=$RUNS)"
echo "wicket ssh i-.. true: p50 ${w50} ms  p90 ${w90} ms  (n=$RUNS)"
echo "wicket ssh overhead:  p50 $((w50 - p50)) ms"
