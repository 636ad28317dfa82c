#!/usr/bin/env bash
# The browser terminal's benchmarks (figures in bench/README.md): starts a
# wicketd, an agent and a real sshd on 127.0.0.x like the e2e tests, then
# runs bench/bench_console.mjs. Usage:
#   WK_BIN=build/dev bench/bench_console.sh [SESSIONS]
# WK_BIGFILE_MB (default 64) sizes the file `cat` prints.
WK_SOURCE=${WK_SOURCE:-$(cd "$(dirname "$0")/.." && pwd)}
. "$WK_SOURCE/tests/e2e/lib.sh"

SESSIONS=${1:-${WK_SESSIONS:-200}}
export WICKET_WEB_DIR=${WICKET_WEB_DIR:-$T/web}
mkdir -p "$WICKET_WEB_DIR"
REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
ensure_user ubuntu
ensure_ak_user
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"
PASSWORD='Bench-passw0rd-1'
aws_as admin iam create-user --user-name bench >/dev/null
aws_as admin iam create-login-profile --user-name bench --password "$PASSWORD" \
    >/dev/null
cat >"$T/p.json" <<JSON
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":
["ec2:DescribeInstances","ec2-instance-connect:SendSSHPublicKey"],"Resource":"*"}]}
JSON
aws_as admin iam put-user-policy --user-name bench --policy-name b \
    --policy-document "file://$T/p.json"
mkdir -p "$T/sshd-host1"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-host1/ssh_host_ed25519_key" </dev/null
host1=$(agent_enroll host1 127.0.0.2 "$SSH_PORT" "$T/sshd-host1/ssh_host_ed25519_key.pub")
agent_start host1
sshd_start host1 127.0.0.2 "$SSH_PORT" "$T/agent-host1" "$T/agent-host1.sock"
# many sessions at once: lift sshd's pre-auth cap and restart it
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
printf 'MaxStartups 200:30:400\nLogLevel ERROR\n' >>"$T/sshd-host1/sshd_config"
"$SSHD" -D -e -f "$T/sshd-host1/sshd_config" >>"$T/sshd-host1.log" 2>&1 &
PIDS+=("$!")
wait_tcp 127.0.0.2 "$SSH_PORT"
head -c $(( ${WK_BIGFILE_MB:-64} * 3 / 4 * 1024 * 1024 )) /dev/urandom |
    base64 -w 100 >"$T/big.txt"
chmod 644 "$T/big.txt"
WK_URL=$ENDPOINT WK_USER=bench WK_PASSWORD=$PASSWORD WK_INSTANCE=$host1 \
    WK_BIGFILE="$T/big.txt" WK_WICKETD_PID=$WICKETD_PID \
    WK_SESSIONS=$SESSIONS node "$WK_SOURCE/bench/bench_console.mjs"
