#!/usr/bin/env bash
# Runs the benchmarks against a build (default: the release preset, built
# first) and prints the figures that bench/README.md records:
#   bench_policy    decisions/s, 10 policies x 10 statements, one core
#   bench_push      SendSSHPublicKey latency and push -> visible latency
#   bench_authkeys  one wicket-authorized-keys run, as sshd pays it
# It starts its own wicketd and agent on loopback (tests/e2e/lib.sh) and
# stops them when done.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${WK_BIN:-}" ]; then
	cmake --preset release >/dev/null
	cmake --build --preset release -j"$(nproc)" >/dev/null
	WK_BIN=$PWD/build/release
fi
export WK_BIN
. tests/e2e/lib.sh
PUSHES=${BENCH_PUSHES:-300}
RUNS=${BENCH_RUNS:-1000}

echo "machine: $(nproc) cores, $(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -r)"
echo "build: $WK_BIN"

echo "== policy engine"
"$WK_BIN/bench_policy" | tail -n 1

DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
ensure_user ubuntu
ensure_ak_user
wicketd_init "$DATA" --account-id 123456789012 --region us-east-1 >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
instance=$(agent_enroll bench 127.0.0.2 2222 "$T/hostkey.pub")
agent_start bench
# A user with the lab's kind of policy (one Allow with a condition),
# not the admin's Allow *: the engine does real work on every push.
aws_as admin iam create-user --user-name bench >/dev/null
key=$(aws_as admin iam create-access-key --user-name bench)
cat >"$T/policy.json" <<JSON
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
 "Action": "ec2-instance-connect:SendSSHPublicKey",
 "Resource": "arn:aws:ec2:us-east-1:123456789012:instance/$instance",
 "Condition": {"StringEquals": {"ec2:osuser": ["ubuntu", "u1", "u2", "u3", "u4", "u5"]}}}]}
JSON
aws_as admin iam create-policy --policy-name bench \
    --policy-document "file://$T/policy.json" >/dev/null
aws_as admin iam attach-user-policy --user-name bench \
    --policy-arn arn:aws:iam::123456789012:policy/bench

echo "== push -> visible ($PUSHES pushes, 60 ms apart)"
AWS_ACCESS_KEY_ID=$(jq -r .AccessKey.AccessKeyId <<<"$key") \
AWS_SECRET_ACCESS_KEY=$(jq -r .AccessKey.SecretAccessKey <<<"$key") \
    "$WK_BIN/bench_push" "$ENDPOINT" "$instance" ubuntu,u1,u2,u3,u4,u5 \
    "$T/agent-bench.sock" "$PUSHES" 60

echo "== wicket-authorized-keys ($RUNS runs, one valid record, as wicket-ak)"
# The newest record's fingerprint, as sshd passes %f.
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null
aws_as admin ec2-instance-connect send-ssh-public-key --instance-id "$instance" \
    --instance-os-user ubuntu --ssh-public-key "file://$T/k.pub" >/dev/null
fp=$(ssh-keygen -lf "$T/k.pub" | awk '{print $2}')
runuser -u wicket-ak -- "$WK_BIN/bench_authkeys" "$RUNS" \
    "$HOST_BIN/wicket-authorized-keys" --state "$T/agent-bench" \
    --socket "$T/agent-bench.sock" ubuntu "$fp"
