#!/usr/bin/env bash
# A fleet reconnecting (issue 14 item 8), in behaviour, not in time:
#  - wicketd's admission limit for new agent long-polls answers the excess
#    503 SlowDown with Retry-After, and agents honour it (wait at least
#    that long) and all come in;
#  - after a short wicketd restart every agent is back within a bounded
#    number of attempts, each retry on a refused connection in the first
#    seconds of the outage came at most 1 s after the one before, and a
#    push succeeds at once.
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
N=6
ensure_ak_user

serve() {	# serve ARGS...: wicketd in the background, wait until it answers
	"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" "$@" \
	    >>"$T/wicketd.log" 2>&1 &
	WICKETD_PID=$!
	PIDS+=("$WICKETD_PID")
	wait_tcp 127.0.0.1 "$PORT"
}
connected() {	# connected NAME COUNT: up to 10 s (1 s is what it takes)
	local i
	for i in $(seq 1 100); do
		[ "$(grep -c event=wicketd_connected "$T/agent-$1.log" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
serve --agent-admit-rate 1
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
declare -A ID
for i in $(seq 1 $N); do
	ID[$i]=$(agent_enroll "$i" 127.0.0.2 "$SSH_PORT" "$T/hostkey.pub")
done

log "the admission limit: new long-polls past 1/s get 503 + Retry-After"
declare -A AUTH
for i in $(seq 1 $N); do
	st="$T/agent-$i/state.json"
	AUTH[$i]="Authorization: Wicket-Agent $(jq -r .instance_id "$st"):$(jq -r .agent_secret "$st")"
done
cpids=()
for i in $(seq 1 $N); do
	curl -s -i --max-time 2 -H "${AUTH[$i]}" \
	    "$ENDPOINT/agent/v1/poll?epoch=&cursor=0" >"$T/poll-$i.out" 2>&1 &
	cpids+=("$!")
done
wait "${cpids[@]}" || true
deferred=0
for i in $(seq 1 $N); do
	if head -1 "$T/poll-$i.out" | grep -q ' 503'; then
		deferred=$((deferred + 1))
		ra=$(tr -d '\r' <"$T/poll-$i.out" | awk -F': ' 'tolower($1)=="retry-after"{print $2}')
		check "503 $i carries Retry-After of 1..60 s" test "${ra:-0}" -ge 1 -a "${ra:-0}" -le 60
		check "503 $i says SlowDown" grep -q '"error":"SlowDown"' "$T/poll-$i.out"
	fi
done
# rate 1, burst 1: one admitted at once, one more a second (a slow
# machine may spread the $N a little)
check "new polls past the rate deferred ($deferred of $N)" test "$deferred" -ge $((N / 2))
check "the deferrals are logged" grep -q 'event=agent_poll_deferred' "$T/wicketd.log"

log "agents told to wait do wait, and all come in"
for i in $(seq 1 $N); do
	"$HOST_BIN/wicket-agent" run --state "$T/agent-$i" --debug \
	    --socket "$T/agent-$i.sock" --socket-group wicket-ak \
	    >>"$T/agent-$i.log" 2>&1 &
	PIDS+=("$!")
done
all=0
for i in $(seq 1 $N); do agent_connected "$i" 1 && all=$((all + 1)); done
check "all $N agents connected through the admission limit" test "$all" -eq $N
cat "$T"/agent-*.log >"$T/agents-1.txt"
check "some agent was told Retry-After" grep -q 'kind=retry_after' "$T/agents-1.txt"
early=$(grep 'kind=retry_after' "$T/agents-1.txt" |
    sed -n 's/.*delay_ms=\([0-9]*\).*/\1/p' | awk '$1 < 1000' | wc -l)
check "no agent came back before its Retry-After (>= 1000 ms)" test "$early" -eq 0
check "a Retry-After is logged once per outage, not per attempt" \
    test "$(grep -c 'retry=retry_after' "$T/agents-1.txt")" -le $N

log "restart wicketd (1 s down): every agent back at once"
for i in $(seq 1 $N); do : >"$T/agent-$i.log"; done
wicketd_stop
sleep 1
serve
back=0
for i in $(seq 1 $N); do connected "$i" 1 && back=$((back + 1)); done
check "all $N agents back (10 s bound, 1 s expected)" test "$back" -eq $N
cat "$T"/agent-*.log >"$T/agents-2.txt"
check "the outage's retries were refused connections" grep -q 'kind=refused' "$T/agents-2.txt"
slow=$(grep 'kind=refused' "$T/agents-2.txt" | sed -n 's/.*delay_ms=\([0-9]*\) .*outage_ms=\([0-9]*\).*/\1 \2/p' |
    awk '$2 < 10000 && $1 > 1000' | wc -l)
check "every retry in the first 10 s of the outage within 1 s" test "$slow" -eq 0
maxfail=$(sed -n 's/.*event=wicketd_connected.*failures=\([0-9]*\).*/\1/p' "$T/agents-2.txt" | sort -n | tail -1)
check "each agent back within 40 attempts (took ${maxfail:-?})" test "${maxfail:-99}" -le 40
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null
out=$(aws_as admin ec2-instance-connect send-ssh-public-key \
    --instance-id "${ID[3]}" --instance-os-user ubuntu \
    --ssh-public-key "file://$T/k.pub" 2>&1 || true)
check "a push right after the restart succeeds" contains "$out" '"Success": true'
finish
