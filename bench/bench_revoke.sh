#!/usr/bin/env bash
# Revoke -> session gone (issue 12 item 3: p99 <= 1 s on loopback): RUNS
# times, a fresh push logs in with a long-running command, its sshd
# session process is registered in the agent's session registry (as
# pam_wicket will do; tests/e2e/test_revoke.sh explains), then the clock
# runs from just before `wicket revoke --request-id` until that process is
# gone (polled every 2 ms). Includes the CLI's start, SigV4, the store and
# audit writes, the long-poll wake, the agent's registry read and SIGTERM.
# Prints p50, p90, p99 and max in ms.
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
ADDR=127.0.0.8
ensure_user ubuntu
ensure_ak_user
wicketd_init "$DATA" --account-id 123456789012 --region us-east-1 >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"
mkdir -p "$T/sshd-h"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-h/ssh_host_ed25519_key" </dev/null
instance=$(agent_enroll h "$ADDR" "$SSH_PORT" "$T/sshd-h/ssh_host_ed25519_key.pub")
agent_start h
agent_connected h 1
sshd_start h "$ADDR" "$SSH_PORT" "$T/agent-h" "$T/agent-h.sock"
known_hosts_for h "$ADDR" "$SSH_PORT" >"$T/known_hosts"
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null
mkdir -p "$T/agent-h/sessions" && chmod 700 "$T/agent-h/sessions"
lpid=$(cat "$T/sshd-h/sshd.pid")
: >"$T/ms"
for _ in $(seq 1 "$RUNS"); do
	req=$(aws_as admin ec2-instance-connect send-ssh-public-key \
	    --instance-id "$instance" --instance-os-user ubuntu \
	    --ssh-public-key "file://$T/k.pub" | jq -r .RequestId)
	before=$(pgrep -P "$lpid" | sort || true)
	ssh_login ubuntu "$ADDR" "$SSH_PORT" "$T/k" "$T/known_hosts" \
	    'echo started; exec sleep 300' </dev/null >"$T/sess.out" 2>/dev/null &
	sshpid=$!
	for _ in $(seq 1 100); do
		grep -q started "$T/sess.out" && break
		sleep 0.05
	done
	pid=$(comm -13 <(echo "$before") <(pgrep -P "$lpid" | sort) | head -1)
	start=$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f20)
	jq -n --argjson pid "$pid" --arg start "$start" --arg req "$req" \
	    --arg inst "$instance" --argjson now "$(date +%s)" \
	    '{session_id: "s-00000000000000aa", pid: $pid, pid_start: $start,
	      os_user: "ubuntu", fingerprint: "", request_id: $req,
	      caller_arn: "", instance_id: $inst, tty: "", source: "",
	      opened_at: $now}' >"$T/agent-h/sessions/s-00000000000000aa.json"
	t0=$EPOCHREALTIME
	AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
	    AWS_PROFILE=admin AWS_ENDPOINT_URL="$ENDPOINT" \
	    "$WK_BIN/wicket" revoke --request-id "$req" >/dev/null
	while [ -e "/proc/$pid" ]; do sleep 0.002; done
	t1=$EPOCHREALTIME
	wait "$sshpid" 2>/dev/null || true
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }' >>"$T/ms"
done
sort -n "$T/ms" | awk '{ v[NR] = $1 }
function at(q,  k) { k = int(NR * q + 0.999); if (k < 1) k = 1; if (k > NR) k = NR; return v[k] }
END {
	printf "revoke -> session gone, %d runs: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
	    NR, at(0.5), at(0.9), at(0.99), v[NR] }'
