#!/usr/bin/env bash
# The browser terminal under many keystrokes (issue 14 item 10; figures in
# bench/README.md): starts wicketd (console push throttle off, so that one
# user may open hundreds of terminals), an agent and a real sshd on
# 127.0.0.2 like the e2e tests, then runs build/*/bench_term_stress, which
# opens the terminals, types the keys and accounts for every echo. Usage:
#   WK_BIN=build/release bench/bench_term_stress.sh [TERMS [KEYS]]
# Other knobs are passed through: WK_OPEN_AT_ONCE, WK_PIPELINE,
# WK_ECHO_SAMPLES, WK_LATE_MS, WK_DRAIN_MS, WK_HOLD_MS.
WK_SOURCE=${WK_SOURCE:-$(cd "$(dirname "$0")/.." && pwd)}
. "$WK_SOURCE/tests/e2e/lib.sh"

export WK_TERMS=${1:-${WK_TERMS:-500}}
export WK_KEYS=${2:-${WK_KEYS:-50000}}
export WICKET_WEB_DIR=${WICKET_WEB_DIR:-$T/web}
mkdir -p "$WICKET_WEB_DIR"
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
# the agent holds at most 64 unexpired keys per OS user (60 s): the
# terminals are spread over OS users, 50 each
OS_USERS=""
for i in $(seq 1 $(( (WK_TERMS + 49) / 50 ))); do
	ensure_user "wkterm$i"
	OS_USERS="$OS_USERS${OS_USERS:+,}wkterm$i"
done
ensure_ak_user
wicketd_init "$DATA" --account-id 123456789012 --region us-east-1 >/dev/null
add_admin_profile
"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
    --throttle-key 0 >>"$T/wicketd.log" 2>&1 &
WICKETD_PID=$!
PIDS+=("$WICKETD_PID")
wait_tcp 127.0.0.1 "$PORT"
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
rc=0
WK_URL=$ENDPOINT WK_USER=bench WK_PASSWORD=$PASSWORD WK_INSTANCE=$host1 \
    WK_OS_USERS=$OS_USERS     WK_WICKETD_PID=$WICKETD_PID "$WK_BIN/bench_term_stress" || rc=$?
[ "$rc" = 0 ] || { echo "wicketd log: $T/wicketd.log"; grep -v outcome=open "$T/wicketd.log" | tail -20; }
exit "$rc"
