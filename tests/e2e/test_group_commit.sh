#!/usr/bin/env bash
# Group commit of SendSSHPublicKey's audit events (issue 14 item 1,
# docs/audit.md). Outcomes only, no timings:
#  (a) 40 concurrent pushes are all answered Success, all 40 RequestIds are
#      in the audit, and /metrics shows batches of more than one event;
#  (b) while another process holds the database's write lock, the commit
#      fails: every caller of the batch hears ServiceException (500), their
#      key never reaches the agent, none of their events is in the audit;
#      once the lock is gone a push succeeds and its key is served;
#  (c) kill -9 under load (16 curl loops, SigV4 by curl): every push that
#      was answered Success is in the audit after the crash.
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
MPORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
ensure_ak_user
sdk_ready

serve() {
	"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
	    --metrics-listen "127.0.0.1:$MPORT" --throttle-key 0 --key-ttl 30 \
	    "$@" >>"$T/wicketd.log" 2>&1 &
	WICKETD_PID=$!
	PIDS+=("$WICKETD_PID")
	wait_tcp 127.0.0.1 "$PORT"
}
audit_ids() {	# the audit's request ids, sorted (sqlite3 recovers the WAL)
	sqlite3 "$DATA/wicket.db" "SELECT request_id FROM audit" | sort -u
}
served() {	# served FINGERPRINT: does the agent serve a key for ubuntu?
	runuser -u wicket-ak -- "$HOST_BIN/wicket-authorized-keys" \
	    --state "$T/agent-a" --socket "$T/agent-a.sock" ubuntu "$1" \
	    2>/dev/null | grep -q ssh-ed25519
}
served_soon() {	# the record travels to the agent after the answer
	local i
	for i in $(seq 1 100); do served "$1" && return 0; sleep 0.2; done
	return 1
}
not_served() { ! served "$1"; }
fp() { ssh-keygen -lf "$1" | awk '{print $2}'; }

log "bad values: a clear usage error, nothing served"
for bad in "0" "4097" "x"; do
	rc=0
	out=$("$WK_BIN/wicketd" serve --data "$DATA" --listen 127.0.0.1:1 \
	    --audit-batch-max "$bad" 2>&1) || rc=$?
	check "--audit-batch-max '$bad': exit 2, says so" \
	    bash -c "[ $rc = 2 ] && grep -q -- --audit-batch-max <<<'$out'"
done
rc=0
out=$("$WK_BIN/wicketd" serve --data "$DATA" --listen 127.0.0.1:1 \
    --audit-batch-wait-ms 1001 2>&1) || rc=$?
check "--audit-batch-wait-ms 1001: exit 2" test "$rc" = 2
check "--help names both options" bash -c \
    "'$WK_BIN/wicketd' serve --help | grep -q -- '--audit-batch-wait-ms MS' &&
     '$WK_BIN/wicketd' serve --help | grep -q -- '--audit-batch-max N'"

wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
[ -f "$DATA/wicket.db" ] || fail "no $DATA/wicket.db"
serve
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
inst=$(agent_enroll a 127.0.0.2 "$SSH_PORT" "$T/hostkey.pub")
agent_start a
ssh-keygen -q -t ed25519 -N '' -f "$T/k0" </dev/null
for _ in $(seq 1 50); do	# the agent comes online within its first poll
	aws_as admin ec2-instance-connect send-ssh-public-key --instance-id "$inst" \
	    --instance-os-user ubuntu --ssh-public-key "file://$T/k0.pub" \
	    >/dev/null 2>&1 && break
	sleep 0.2
done

log "(a) 40 pushes at once: all Success, all audited, shared commits"
ssh-keygen -q -t ed25519 -N '' -f "$T/k1" </dev/null
before=$(curl -s "http://127.0.0.1:$MPORT/metrics")
out=$(sdk_run eic_burst.mjs admin 40 "$inst" ubuntu "$T/k1.pub")
after=$(curl -s "http://127.0.0.1:$MPORT/metrics")
check "40 of 40 answered Success" test "$(jq -r 'select(.ok) | .out.Success' <<<"$out" | grep -cx true)" = 40
# at once: a record lives --key-ttl (30 s here)
check "the key reaches the agent" served_soon "$(fp "$T/k1.pub")"
jq -r 'select(.ok) | .out.RequestId' <<<"$out" | sort -u >"$T/a.ids"
check "40 distinct RequestIds" test "$(wc -l <"$T/a.ids")" = 40
check "all 40 RequestIds are in the audit" test \
    "$(comm -23 "$T/a.ids" <(audit_ids) | wc -l)" = 0
metric() { awk -v m="$1" '$1 == m {print $2}' <<<"$2"; }
ev=$(( $(metric wicket_audit_batch_size_sum "$after") - $(metric wicket_audit_batch_size_sum "$before") ))
nb=$(( $(metric wicket_audit_batch_size_count "$after") - $(metric wicket_audit_batch_size_count "$before") ))
check "40 events committed ($ev) in fewer commits ($nb): batches > 1" \
    bash -c "[ $ev -ge 40 ] && [ $nb -ge 1 ] && [ $nb -lt $ev ]"

log "(b) a failed commit: every caller ServiceException, nothing delivered"
ssh-keygen -q -t ed25519 -N '' -f "$T/k2" </dev/null
# another writer holds the database's write lock: wicketd's commit gives
# up after its busy timeout (5 s) with SQLITE_BUSY
mkfifo "$T/lock.in"
sqlite3 "$DATA/wicket.db" <"$T/lock.in" >"$T/lock.out" 2>&1 &
LOCK_PID=$!
PIDS+=("$LOCK_PID")
exec 7>"$T/lock.in"
echo "BEGIN IMMEDIATE; SELECT 'locked';" >&7
for _ in $(seq 1 50); do grep -q locked "$T/lock.out" && break; sleep 0.1; done
check "the write lock is held" grep -q locked "$T/lock.out"
out=$(sdk_run eic_burst.mjs admin 4 "$inst" ubuntu "$T/k2.pub")
echo "ROLLBACK;" >&7
exec 7>&-
wait "$LOCK_PID" 2>/dev/null || true
check "4 of 4 answered ServiceException" test \
    "$(jq -r 'select(.name == "ServiceException") | .status' <<<"$out" | grep -cx 500)" = 4
check "none answered Success" test "$(jq -r 'select(.ok) | 1' <<<"$out" | wc -l)" = 0
check "wicketd logged the failed batch" grep -q "outcome=batch_failed" "$T/wicketd.log"
check "the failed calls' key never reached the agent" not_served "$(fp "$T/k2.pub")"
ssh-keygen -q -t ed25519 -N '' -f "$T/k3" </dev/null
out=$(sdk_run eic_send_ssh_public_key.mjs admin "$inst" ubuntu "$T/k3.pub")
check "lock gone: the next push is Success" test "$(jq -r '.out.Success // .name' <<<"$out")" = true
check "and its key reaches the agent" served_soon "$(fp "$T/k3.pub")"
check "still nothing for the failed calls' key (delivered in order, before k3)" not_served "$(fp "$T/k2.pub")"

log "(c) kill -9 under load: every Success is in the audit"
akid=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
key=$(cat "$T/k0.pub")
flood() {	# flood N: pushes until wicketd is gone; Success lines to $T/c.N
	local i=0 u
	while :; do
		u="u$(( ($1 * 1000 + i) % 400 ))"
		i=$((i + 1))
		curl -sS --max-time 5 --aws-sigv4 "aws:amz:$REGION:ec2-instance-connect" \
		    --user "$akid:$secret" \
		    -H 'X-Amz-Target: AWSEC2InstanceConnectService.SendSSHPublicKey' \
		    -H 'Content-Type: application/x-amz-json-1.1' \
		    -d "{\"InstanceId\":\"$inst\",\"InstanceOSUser\":\"$u\",\"SSHPublicKey\":\"$key\"}" \
		    "$ENDPOINT/" >>"$T/c.$1" 2>/dev/null || return 0
		echo >>"$T/c.$1"
	done
}
fpids=()
for n in $(seq 1 16); do flood "$n" & fpids+=("$!"); done
for _ in $(seq 1 100); do	# until a few hundred were answered
	[ "$(cat "$T"/c.* 2>/dev/null | grep -c '"Success":true')" -ge 300 ] && break
	sleep 0.1
done
kill -9 "$WICKETD_PID"
wait "$WICKETD_PID" 2>/dev/null || true
wait "${fpids[@]}" 2>/dev/null || true
cat "$T"/c.* | grep '"Success":true' | jq -r .RequestId | sort -u >"$T/c.ids"
n=$(wc -l <"$T/c.ids")
check "pushes were answered Success before the kill ($n)" test "$n" -ge 100
check "every one of them is in the audit after the crash" test \
    "$(comm -23 "$T/c.ids" <(audit_ids) | wc -l)" = 0
serve
check "wicketd restarts on the same data" curl -s -o /dev/null "http://127.0.0.1:$MPORT/metrics"
check "and still has them all (store reopened)" test \
    "$(comm -23 "$T/c.ids" <(audit_ids) | wc -l)" = 0
finish
