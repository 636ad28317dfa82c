#!/usr/bin/env bash
# Attacks on request signing and on enrollment (issue 13, item 5):
#  1. a captured request whose X-Amz-Target was not signed, replayed as
#     another action (and the same with Content-Type);
#  2. requests signed for another service or region (s3 in xx-nowhere-9);
#  3. a host with a join token registering another host's address and
#     port (127.0.0.9:22) for the console to connect to, at enrollment and
#     later through the agent's update call.
# Each must be refused, with AWS's error where AWS has one.
. "$(dirname "$0")/../e2e/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SEND="$WK_SOURCE/tests/security/sigv4_send.py"
ensure_ak_user

wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
admin_key=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
admin_secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
add_profile admin "$admin_key" "$admin_secret"
wicketd_start "$DATA" "$PORT"

send() {	# send ARGS...: signed as the admin (the victim of a capture)
	AWS_ACCESS_KEY_ID="$admin_key" AWS_SECRET_ACCESS_KEY="$admin_secret" \
	    "$PY" "$SEND" "$ENDPOINT" "$@"
}
status() { head -1 <<<"$1"; }
# instances: the JSON of WicketService.DescribeInstances, as the admin
instances() {
	send --service ec2 --region "$REGION" --target WicketService.DescribeInstances \
	    --body '{}' | tail -n +2
}

log "1. X-Amz-Target not signed: a captured call replayed as another"
# The victim's client signs host, date and content type only; the attacker
# replays its bytes with X-Amz-Target changed to read the audit log.
out=$(send --service ec2 --region "$REGION" --target WicketService.DescribeInstances \
    --sign content-type,host,x-amz-date --send-target WicketService.ListAuditEvents --body '{}')
check "replayed as ListAuditEvents: refused" test "$(status "$out")" != 200
check "replay: no audit events leak" bash -c "! grep -q '\"Events\"' <<<'$out'"
check "replay: IncompleteSignatureException naming X-Amz-Target" \
    contains "$out" "IncompleteSignatureException"
check "replay: AWS's message" \
    contains "$out" "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."
out=$(send --service ec2 --region "$REGION" --target WicketService.DescribeInstances \
    --sign content-type,host,x-amz-date --body '{}')
check "the captured call itself is refused too" test "$(status "$out")" = 400
out=$(send --service iam --region "$REGION" --sign host,x-amz-date \
    --body 'Action=GetUser&Version=2010-05-08')
check "Query call with Content-Type unsigned: refused" test "$(status "$out")" = 400
check "Content-Type unsigned: IncompleteSignature" \
    contains "$out" "<Code>IncompleteSignature</Code>"
check "Content-Type unsigned: AWS's message" \
    contains "$out" "&apos;Content-Type&apos; must be a &apos;SignedHeader&apos;"
out=$(send --service ec2 --region "$REGION" --target WicketService.DescribeInstances --body '{}')
check "the same call fully signed works" test "$(status "$out")" = 200

log "2. the credential scope: service and region"
out=$(send --service s3 --region xx-nowhere-9 --target WicketService.ListAuditEvents --body '{}')
check "signed for s3 in xx-nowhere-9 (JSON): 400, as AWS's JSON services" test "$(status "$out")" = 400
check "s3/xx-nowhere-9: InvalidSignatureException" contains "$out" InvalidSignatureException
check "s3/xx-nowhere-9: no audit events leak" bash -c "! grep -q '\"Events\"' <<<'$out'"
out=$(send --service s3 --region "$REGION" --target AWSEC2InstanceConnectService.SendSSHPublicKey \
    --body '{"InstanceId":"i-0123456789abcdef0","InstanceOSUser":"root","SSHPublicKey":"x"}')
check "signed for s3 (push): AWS's service message" \
    contains "$out" "Credential should be scoped to correct service: 'ec2-instance-connect'."
out=$(send --service ec2-instance-connect --region xx-nowhere-9 \
    --target AWSEC2InstanceConnectService.SendSSHPublicKey \
    --body '{"InstanceId":"i-0123456789abcdef0","InstanceOSUser":"root","SSHPublicKey":"x"}')
check "signed for xx-nowhere-9 (push): AWS's region message" \
    contains "$out" "Credential should be scoped to a valid region, not 'xx-nowhere-9'."
out=$(send --service s3 --region xx-nowhere-9 --body 'Action=GetCallerIdentity&Version=2011-06-15')
check "signed for s3 in xx-nowhere-9 (Query): 403" test "$(status "$out")" = 403
check "Query: SignatureDoesNotMatch" contains "$out" "<Code>SignatureDoesNotMatch</Code>"
check "Query: AWS's region message" contains "$out" \
    "Credential should be scoped to a valid region, not &apos;xx-nowhere-9&apos;."
out=$(send --service sts --region "$REGION" --body 'Action=ListUsers&Version=2010-05-08')
check "an IAM action signed for sts: scoped to 'iam'" contains "$out" \
    "Credential should be scoped to correct service: &apos;iam&apos;."
out=$(aws_as admin --region xx-nowhere-9 sts get-caller-identity 2>&1) && rc=0 || rc=$?
check "aws CLI with --region xx-nowhere-9: refused" test "$rc" -ne 0
check "aws CLI: SignatureDoesNotMatch" contains "$out" "SignatureDoesNotMatch"
out=$(aws_as admin sts get-caller-identity)
check "aws CLI in wicketd's region still works" contains "$out" "user/admin"

# A wicketd in another region: the aws CLI signs IAM and STS for --region
# when given --endpoint-url (as for every service); AWS's global IAM/STS
# endpoints sign for us-east-1, which is taken for those two only.
EU_PORT=$(free_port)
wicketd_init "$T/eu" --account-id "$ACCOUNT" --region eu-west-1 >/dev/null
eu_key=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$T/eu/credentials")
eu_secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$T/eu/credentials")
"$WK_BIN/wicketd" serve --data "$T/eu" --listen "127.0.0.1:$EU_PORT" >>"$T/wicketd-eu.log" 2>&1 &
PIDS+=("$!")
wait_tcp 127.0.0.1 "$EU_PORT"
eu() {	# eu ARGS...: the aws CLI against the eu-west-1 wicketd
	AWS_ACCESS_KEY_ID="$eu_key" AWS_SECRET_ACCESS_KEY="$eu_secret" \
	    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	    AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1 \
	    "$AWS" --endpoint-url "http://127.0.0.1:$EU_PORT" --output json "$@"
}
eusend() {
	AWS_ACCESS_KEY_ID="$eu_key" AWS_SECRET_ACCESS_KEY="$eu_secret" \
	    "$PY" "$SEND" "http://127.0.0.1:$EU_PORT" "$@"
}
out=$(eu --region eu-west-1 iam list-users 2>&1) && rc=0 || rc=$?
check "eu-west-1 wicketd: aws iam --region eu-west-1 works" test "$rc" -eq 0
out=$(eu --region eu-west-1 sts get-caller-identity 2>&1) && rc=0 || rc=$?
check "eu-west-1 wicketd: aws sts --region eu-west-1 works" test "$rc" -eq 0
out=$(eu --region us-east-1 iam list-users 2>&1) && rc=0 || rc=$?
check "eu-west-1 wicketd: IAM signed for us-east-1 (global) works" test "$rc" -eq 0
out=$(eu --region us-east-1 ec2 describe-instances 2>&1) && rc=0 || rc=$?
check "eu-west-1 wicketd: EC2 signed for us-east-1 is refused" test "$rc" -ne 0
check "...with AWS's region message" contains "$out" "not 'us-east-1'"
out=$(eusend --service iam --region us-east-1 --body 'Action=GetCallerIdentity&Version=2011-06-15')
check "eu-west-1 wicketd: an STS call signed iam/us-east-1 is scoped to 'sts'" \
    contains "$out" "correct service: &apos;sts&apos;"

log "3. registering someone else's address"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
enroll() {	# enroll NAME TOKEN [ARGS...]
	local name=$1 token=$2; shift 2
	"$HOST_BIN/wicket-agent" enroll --server "$ENDPOINT" --token "$token" \
	    --state "$T/agent-$name" --host-key "$T/hostkey.pub" "$@"
}
token=$("$WK_BIN/wicketd" token create --data "$DATA")
out=$(enroll scan "$token" --address 127.0.0.9 --ssh-port 22 2>&1) && rc=0 || rc=$?
check "enroll as 127.0.0.9:22 without the operator's leave: refused" test "$rc" -ne 0
check "the agent is told why" contains "$out" "AddressNotAllowed"
check "the agent is told what it may register" contains "$out" "127.0.0.1"
out=$(instances)
check "no instance was registered at 127.0.0.9" \
    bash -c "jq -e '.Instances | length == 0' <<<'$out' >/dev/null"
out=$(enroll scan "$token" --address localhost --ssh-port 22 --force 2>&1) && rc=0 || rc=$?
check "the token was not spent: enroll by name (localhost) works" test "$rc" -eq 0
id=$(tail -1 <<<"$out")
out=$(instances)
check "a name is recorded at the enrolling connection's address (never resolved)" \
    bash -c "jq -e '.Instances[] | select(.InstanceId==\"$id\" and .Address==\"127.0.0.1\")' <<<'$out' >/dev/null"
check "the refusal is logged" grep -q "outcome=deny action=wicket-agent:Enroll" "$T/wicketd.log"
out=$(AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
    AWS_PROFILE=admin AWS_ENDPOINT_URL="$ENDPOINT" "$WK_BIN/wicket" audit --output json)
check "the refusal is audited" \
    bash -c "jq -e '.Events[] | select(.ErrorCode==\"AddressNotAllowed\")' <<<'$out' >/dev/null"

# The enrolled host re-registers (POST /agent/v1/update, as `wicket-agent
# run` does at start) with another host's address.
secret=$(jq -r .agent_secret "$T/agent-scan/state.json")
hk=$(cut -d' ' -f1,2 "$T/hostkey.pub")
update() {	# update ADDRESS PORT: prints the HTTP status and body
	curl -s -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
	    -H "Authorization: Wicket-Agent $id:$secret" \
	    --data "{\"hostname\":\"scan\",\"address\":\"$1\",\"ssh_port\":$2,\"host_keys\":[\"$hk\"]}" \
	    "$ENDPOINT/agent/v1/update"
}
out=$(update 127.0.0.9 22)
check "update to 127.0.0.9:22: refused" test "$(tail -1 <<<"$out")" = 403
check "update: AddressNotAllowed" contains "$out" AddressNotAllowed
out=$(instances)
check "the address on record is unchanged" \
    bash -c "jq -e '.Instances[] | select(.InstanceId==\"$id\" and .Address==\"127.0.0.1\")' <<<'$out' >/dev/null"
out=$(update 127.0.0.1 2222)
check "update keeping its own address works" test "$(tail -1 <<<"$out")" = 200

# What the operator allows: a token for a host behind NAT, and a range.
token=$("$WK_BIN/wicketd" token create --data "$DATA" --address-allow 127.0.0.9/32)
out=$(enroll allowed "$token" --address 127.0.0.9 --ssh-port 22 2>&1) && rc=0 || rc=$?
check "the token's --address-allow lets its host register 127.0.0.9" test "$rc" -eq 0
out=$("$WK_BIN/wicketd" token create --data "$DATA" --address-allow 127.0.0.1/8 2>&1) && rc=0 || rc=$?
check "token create refuses a CIDR with host bits set" test "$rc" -eq 2
wicketd_stop
"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
    --agent-address-allow 127.0.0.0/29,127.0.0.64/26 >>"$T/wicketd.log" 2>&1 &
WICKETD_PID=$!
PIDS+=("$WICKETD_PID")
wait_tcp 127.0.0.1 "$PORT"
out=$(update 127.0.0.5 22)
check "--agent-address-allow lets a host move inside it" test "$(tail -1 <<<"$out")" = 200
out=$(update 127.0.0.9 22)
check "...and not outside it" test "$(tail -1 <<<"$out")" = 403
out=$("$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
    --agent-address-allow 127.0.0.0/33 2>&1) && rc=0 || rc=$?
check "serve refuses a bad --agent-address-allow" test "$rc" -eq 2

finish
