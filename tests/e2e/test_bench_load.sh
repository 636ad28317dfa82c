#!/usr/bin/env bash
# bench_load (bench/, issue 14) does what its figures rely on: it refuses
# any target that is not loopback (and a name it cannot resolve) before
# sending anything; it creates its IAM users through the API once and
# reuses them from its keys file; and a short open-loop run against a real
# wicketd + agent answers every push with Success (each push a fresh key
# and a fresh SigV4 signature). No timing is asserted.
. "$(dirname "$0")/lib.sh"

BL="$WK_BIN/bench_load"
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
ensure_ak_user

log "non-loopback targets are refused"
for url in http://10.0.0.1:8443 "http://[2001:db8::1]:8443" \
    https://192.0.2.7/ http://0.0.0.0:80; do
	out=$("$BL" --endpoint "$url" --instance i-0123456789abcdef0 \
	    --keys-file "$T/never" 2>&1) && rc=0 || rc=$?
	check "$url refused (exit 2)" [ "$rc" -eq 2 ]
	check "$url: says why" contains "$out" "only loopback targets"
done
out=$("$BL" --endpoint http://127.0.0.1:1 --endpoint http://10.0.0.1:8443 \
    --instance i-0123456789abcdef0 --keys-file "$T/never" 2>&1) && rc=0 || rc=$?
check "a second --endpoint that is not loopback is refused" [ "$rc" -eq 2 ]
check "the second --endpoint: says why" contains "$out" "only loopback targets"
out=$("$BL" --endpoint ftp://127.0.0.1/ --instance i-1 --keys-file "$T/never" 2>&1) && rc=0 || rc=$?
check "ftp:// refused" [ "$rc" -eq 2 ]
check "nothing was written" [ ! -e "$T/never" ]
out=$("$BL" --endpoint http://127.0.0.1:1 --instance i-1 --keys-file "$T/k" \
    --connections 0 2>&1) && rc=0 || rc=$?
check "--connections 0 refused" [ "$rc" -eq 2 ]
check "--connections: says the range" contains "$out" "--connections must be 1..4096"
check "--help is the manual" contains "$("$BL" --help)" "EXIT STATUS"

log "a real run"
wicketd_init "$DATA" --account-id 123456789012 --region us-east-1 >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
instance=$(agent_enroll load 127.0.0.2 2222 "$T/hostkey.pub")
agent_start load
for _ in $(seq 1 50); do
	aws_as admin ec2-instance-connect send-ssh-public-key \
	    --instance-id "$instance" --instance-os-user bl0 \
	    --ssh-public-key "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl" \
	    >/dev/null 2>&1 && break
	sleep 0.2
done
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
AWS_ACCESS_KEY_ID=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
AWS_SECRET_ACCESS_KEY=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
# 100 req/s for 2 s over 10 users: 10/s per access key, under the
# per-key throttle; 200 pushes over 512 OS users, under the 64-key cap.
out=$("$BL" --endpoint "$ENDPOINT" --instance "$instance" --keys-file "$T/keys" \
    --users 10 --rate 100 --duration 2 --connections 4 2>&1)
echo "$out"
check "setup created the users" contains "$out" "created 10 users"
check "keys file is 0600" [ "$(stat -c %a "$T/keys")" = 600 ]
check "200 requests answered" contains "$out" "requests=200 "
check "all Success" contains "$out" "Success=200 ThrottlingException=0 other=0 transport=0"
check "the users exist in IAM" [ "$(aws_as admin iam list-users | jq '[.Users[] | select(.UserName | startswith("bench-load-"))] | length')" = 10 ]
out=$("$BL" --endpoint "$ENDPOINT" --instance "$instance" --keys-file "$T/keys" \
    --users 10 --rate 50 --duration 1 --connections 2 2>&1)
echo "$out"
check "second run reuses the keys file" eval '! contains "$out" "created"'
check "second run: all Success" contains "$out" "Success=50 ThrottlingException=0 other=0 transport=0"
finish
