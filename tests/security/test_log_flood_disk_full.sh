#!/usr/bin/env bash
# Logs that cannot fill the disk (issue 14 item 9): with the data disk full
# (a small tmpfs this test mounts, filled to the last byte) a burst of
# thousands of SendSSHPublicKey calls, each failing in the store, grows
# wicketd's log by a bounded number of bytes: identical failures are
# written a few times and then counted ("... repeated N times in the last
# 10 s"), not one to three lines per failed push as before. Bytes are
# asserted, not time.
. "$(dirname "$0")/../e2e/lib.sh"

BL="$WK_BIN/bench_load"
MNT="$T/mnt"
DATA="$MNT/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
ensure_ak_user

mkdir -p "$MNT"
if ! mount -t tmpfs -o size=16m,mode=0755 tmpfs "$MNT"; then
	echo "cannot mount a tmpfs (needs root)" >&2
	exit 1
fi
unmount() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
	cleanup
}
trap unmount EXIT

wicketd_init "$DATA" --account-id 123456789012 --region us-east-1 >/dev/null
add_admin_profile
# every call reaches the store: no per-key throttle in the way
"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
    --throttle-key 0 --key-ttl 1 >>"$T/wicketd.log" 2>&1 &
WICKETD_PID=$!
PIDS+=("$WICKETD_PID")
wait_tcp 127.0.0.1 "$PORT"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
instance=$(agent_enroll a 127.0.0.2 2222 "$T/hostkey.pub")
agent_start a
agent_connected a 1
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
AWS_ACCESS_KEY_ID=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
AWS_SECRET_ACCESS_KEY=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
out=$("$BL" --endpoint "$ENDPOINT" --instance "$instance" --keys-file "$T/keys" \
    --users 4 --rate 50 --duration 1 --connections 2 2>&1)
ok_n=$(sed -n 's/.* Success=\([0-9]*\) .*/\1/p' <<<"$out" | head -1)
check "control: pushes succeed before the disk fills (Success=${ok_n:-0})" \
    test "${ok_n:-0}" -ge 1
check "control: and none fails" contains "$out" " other=0 transport=0"

log "fill the data disk"
dd if=/dev/zero of="$MNT/fill" bs=64k >/dev/null 2>&1 || true
dd if=/dev/zero of="$MNT/fill2" bs=512 >/dev/null 2>&1 || true
check "the disk is full" test "$(df --output=avail -B1 "$MNT" | tail -1 | tr -d ' ')" -lt 4096

log "a burst of pushes, every one failing in the store"
before=$(stat -c %s "$T/wicketd.log")
# 3 s bursts until 300 pushes have failed (a slow, sanitized build on a
# loaded machine sends far fewer a second), at most 20 of them
failed=0
for _ in $(seq 1 20); do
	out=$("$BL" --endpoint "$ENDPOINT" --instance "$instance" --keys-file "$T/keys" \
	    --users 4 --duration 3 --connections 4 --os-users 4096 2>&1 || true)
	echo "$out" | head -3
	n=$(sed -n 's/.* other=\([0-9]*\) .*/\1/p' <<<"$out" | head -1)
	failed=$((failed + ${n:-0}))
	[ "$failed" -ge 300 ] && break
done
# before the filter, 300 failed pushes wrote ~180 KB
check "at least 300 pushes failed (got ${failed:-0})" test "${failed:-0}" -ge 300
kill -TERM "$WICKETD_PID"
wait "$WICKETD_PID" 2>/dev/null || true	# the count lines are written at exit
after=$(stat -c %s "$T/wicketd.log")
grown=$((after - before))
echo "log grew by $grown bytes for ${failed:-0} failed pushes"
# Before: ~3 lines (~600 bytes) a failed push.
check "the log grew by under 64 KiB (grew $grown)" test "$grown" -lt 65536
check "the failures were counted, not written" grep -q 'message="\.\.\. repeated [0-9,]* times in the last 10 s"' "$T/wicketd.log"
finish
