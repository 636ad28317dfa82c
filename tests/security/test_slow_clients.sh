#!/usr/bin/env bash
# Slow and hostile clients (issue 13, item 6), each attack performed
# against a real wicketd on 127.0.0.x and asserted to fail:
#  - slowloris: connections that send their request head a byte a second
#    are closed at the header deadline (MHD's idle timer restarts on every
#    byte: before the fix none was closed) while the aws CLI still works;
#  - a body trickled a byte a second is closed at the body deadline;
#  - connections from one address over --max-connections-per-ip are closed
#    at once while another address (127.0.0.2) still gets through;
#  - --max-connections that the hard descriptor limit cannot hold is
#    refused at start with how to fix it; a low soft limit is raised;
#  - every oversized request (413) leaves exactly one log line, and a flood
#    of them leaves a bounded number plus a "repeated N times" count;
#  - an enrolled agent's long-poll, held past the header deadline, is not
#    cut by it (the header deadline ends once the poll is authenticated).
# Counts outcomes only; every loop is bounded in count and time.
. "$(dirname "$0")/../e2e/lib.sh"

REGION=us-east-1
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SLOW="$PY $WK_SOURCE/tests/security/slow_client.py"

wicketd_init "$DATA" --region "$REGION" >/dev/null
admin_key=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
admin_secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
add_profile admin "$admin_key" "$admin_secret"

# serve ARGS...: (re)starts wicketd on $PORT with extra options
serve() {
	if [ -n "${WICKETD_PID:-}" ]; then wicketd_stop; fi
	: >"$T/wicketd.log"
	"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
	    "$@" >>"$T/wicketd.log" 2>&1 &
	WICKETD_PID=$!
	PIDS+=("$WICKETD_PID")
	wait_tcp 127.0.0.1 "$PORT"
}
field() {	# field NAME "k=v k=v": the value of NAME
	local kv
	for kv in $2; do
		if [ "${kv%%=*}" = "$1" ]; then echo "${kv#*=}"; return; fi
	done
	echo -1
}
loglines() { grep -c -- "$1" "$T/wicketd.log" || true; }

log "slowloris: 100 connections trickle their request head a byte a second"
serve --header-timeout-ms 2000 --body-timeout-ms 2000 \
    --max-connections-per-ip 200
$SLOW "$PORT" 100 15 header >"$T/slowloris.out" &
slow_pid=$!
sleep 1
check "the aws CLI works during the attack" \
    aws_as admin sts get-caller-identity --query Account >/dev/null
wait "$slow_pid" || true
r=$(cat "$T/slowloris.out")
echo "# $r"
check "all 100 trickling connections were connected" \
    test "$(field connected "$r")" -eq 100
check "all 100 were closed by the header deadline" \
    test "$(field closed "$r")" -eq 100
check "they were answered 408" test "$(field got408 "$r")" -ge 90
check "each left a bounded header_deadline log line (limited)" \
    test "$(loglines 'reason=header_deadline status=408')" -ge 1 -a \
    "$(loglines 'reason=header_deadline status=408')" -le 10

log "slow body: 50 requests send their body a byte a second"
$SLOW "$PORT" 50 15 body >"$T/slowbody.out"
r=$(cat "$T/slowbody.out")
echo "# $r"
check "all 50 slow bodies were connected" test "$(field connected "$r")" -eq 50
check "all 50 were closed by the body deadline" \
    test "$(field closed "$r")" -eq 50
check "the body deadline was logged" \
    test "$(loglines 'reason=body_deadline')" -ge 1
check "the aws CLI works after the attacks" \
    aws_as admin sts get-caller-identity --query Account >/dev/null

log "one address over its connection cap"
serve --max-connections-per-ip 20 --header-timeout-ms 60000
$SLOW "$PORT" 40 4 idle 127.0.0.1 >"$T/cap.out" &
cap_pid=$!
for _ in $(seq 1 100); do
	[ -s "$T/cap.out" ] && break
	sleep 0.1
done
r=$(cat "$T/cap.out")
echo "# $r"
check "20 of 40 connections from 127.0.0.1 were closed at once" \
    test "$(field closed "$r")" -eq 20
check "20 stayed open" test "$(field open "$r")" -eq 20
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    --interface 127.0.0.2 "http://127.0.0.1:$PORT/healthz" || true)
check "127.0.0.2 still gets through (got $code)" test "$code" = 200
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    "http://127.0.0.1:$PORT/healthz" || true)
check "127.0.0.1 itself is at its cap (got $code)" test "$code" != 200
check "the refusals were logged with the address, bounded" \
    test "$(loglines 'reason=per_ip_limit source_ip=127.0.0.1 ')" -ge 1 -a \
    "$(loglines 'reason=per_ip_limit')" -le 10
kill "$cap_pid" 2>/dev/null || true
wait "$cap_pid" 2>/dev/null || true
ok=0
for _ in $(seq 1 50); do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	    "http://127.0.0.1:$PORT/healthz" || true)
	if [ "$code" = 200 ]; then ok=1; break; fi
	sleep 0.1
done
check "127.0.0.1 gets in again once its connections close" test "$ok" = 1

log "more connections than descriptors"
wicketd_stop
WICKETD_PID=
PORT2=$(free_port)
set +e
out=$(timeout 20 prlimit --nofile=4096:4096 "$WK_BIN/wicketd" serve \
    --data "$DATA" --listen "127.0.0.1:$PORT2" --max-connections 60000 2>&1)
rc=$?
set -e
check "--max-connections 60000 over a hard limit of 4096 is refused (rc $rc)" \
    test "$rc" -eq 1
check "it says why" contains "$out" "hard limit is 4096"
check "it says how to fix it" contains "$out" "LimitNOFILE="
prlimit --nofile=1024:16384 "$WK_BIN/wicketd" serve --data "$DATA" \
    --listen "127.0.0.1:$PORT2" --max-connections 8000 \
    >>"$T/wicketd-fd.log" 2>&1 &
fd_pid=$!
PIDS+=("$fd_pid")
wait_tcp 127.0.0.1 "$PORT2"
soft=$(awk '/Max open files/{print $4}' "/proc/$fd_pid/limits")
check "a soft limit of 1024 is raised for 8000 connections (now $soft)" \
    test "$soft" -ge 8000
kill "$fd_pid"
wait "$fd_pid" 2>/dev/null || true

log "oversized requests leave one line each, a flood stays bounded"
serve
$SLOW "$PORT" 3 5 big >"$T/big3.out"
r=$(cat "$T/big3.out")
echo "# $r"
check "3 oversized requests got 413" test "$(field got413 "$r")" -eq 3
check "exactly 3 log lines for them" \
    test "$(loglines 'reason=body_too_large status=413')" -eq 3
size0=$(stat -c %s "$T/wicketd.log")
for _ in 1 2 3; do
	$SLOW "$PORT" 100 5 big >>"$T/bigflood.out"
done
check "the flood of 300 was answered 413" \
    test "$(awk '{for(i=1;i<=NF;i++) if ($i ~ /^got413=/) {split($i,a,"="); s+=a[2]}} END{print s}' "$T/bigflood.out")" -eq 300
n413=$(loglines 'reason=body_too_large status=413')
check "the log holds at most the burst of 10 lines for 303 refusals ($n413)" \
    test "$n413" -le 10
grew=$(( $(stat -c %s "$T/wicketd.log") - size0 ))
check "the log grew by less than 8 KiB during the flood ($grew bytes)" \
    test "$grew" -lt 8192
got=0
for _ in $(seq 1 150); do
	if grep -q 'reason=body_too_large repeated=' "$T/wicketd.log"; then
		got=1
		break
	fi
	sleep 0.1
done
check "the dropped lines are counted: '... repeated N times in 10 s'" \
    test "$got" = 1

log "an agent's long-poll outlives the header deadline"
ensure_ak_user
serve --header-timeout-ms 1000 --log-level debug
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/userkey" </dev/null
instance=$(agent_enroll host1 127.0.0.2 22 "$T/hostkey.pub")
agent_start host1
sleep 6	# several header deadlines while the poll is held
check "no request of the agent hit a deadline" \
    test "$(loglines 'reason=header_deadline')" -eq 0 -a \
    "$(loglines 'reason=body_deadline')" -eq 0
polls=$(loglines 'event=agent_poll ')
check "the agent's poll was held, not cut and renewed each second ($polls polls)" \
    test "$polls" -ge 1 -a "$polls" -le 3
check "a push reaches the agent through its held poll" \
    aws_as admin ec2-instance-connect send-ssh-public-key \
    --instance-id "$instance" --instance-os-user root \
    --ssh-public-key "file://$T/userkey.pub" >/dev/null

finish
