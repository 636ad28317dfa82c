#!/usr/bin/env bash
# EC2 Instance Connect as AWS's clients see it (issue 9): the aws CLI and the
# AWS SDK for JavaScript v3, unmodified, against wicketd. The push reply's
# extra member (WicketInstance) is ignored by both; each error has the HTTP
# status and code of AWS's service model (ec2-instance-connect 2018-04-02).
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
ensure_ak_user
sdk_ready

wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"

aws_as admin iam create-user --user-name dev >/dev/null
out=$(aws_as admin iam create-access-key --user-name dev)
dev_key=$(jq -r .AccessKey.AccessKeyId <<<"$out")
dev_secret=$(jq -r .AccessKey.SecretAccessKey <<<"$out")
add_profile dev "$dev_key" "$dev_secret"

log "instances: A (online, named by dev's policy), B (online, not named), C (agent away)"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
inst_a=$(agent_enroll a 127.0.0.2 "$SSH_PORT" "$T/hostkey.pub")
agent_start a
inst_b=$(agent_enroll b 127.0.0.3 "$SSH_PORT" "$T/hostkey.pub")
agent_start b
inst_c=$(agent_enroll c 127.0.0.4 "$SSH_PORT" "$T/hostkey.pub")	# never runs

cat >"$T/policy.json" <<JSON
{"Version": "2012-10-17", "Statement": [{
	"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey",
	"Resource": "arn:aws:ec2:$REGION:$ACCOUNT:instance/$inst_a"}]}
JSON
aws_as admin iam put-user-policy --user-name dev --policy-name push-a \
    --policy-document "file://$T/policy.json" >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null

# The agent comes online within its first poll.
for _ in $(seq 1 50); do
	aws_as dev ec2-instance-connect send-ssh-public-key --instance-id "$inst_a" \
	    --instance-os-user ubuntu --ssh-public-key "file://$T/k.pub" \
	    >/dev/null 2>&1 && break
	sleep 0.2
done

sp() {	# sp KEYID SECRET TARGET BODY-FILE [CLOCK-OFFSET]: raw signed POST
	local k=$1 s=$2; shift 2
	AWS_ACCESS_KEY_ID="$k" AWS_SECRET_ACCESS_KEY="$s" \
	    "$WK_BIN/signed_post" "$ENDPOINT" ec2-instance-connect "$@"
}
push_body() {	# push_body INSTANCE USER [AZ] > file
	if [ -n "${3:-}" ]; then
		jq -n --arg i "$1" --arg u "$2" --arg k "$(cat "$T/k.pub")" --arg z "$3" \
		    '{InstanceId:$i, InstanceOSUser:$u, SSHPublicKey:$k, AvailabilityZone:$z}'
	else
		jq -n --arg i "$1" --arg u "$2" --arg k "$(cat "$T/k.pub")" \
		    '{InstanceId:$i, InstanceOSUser:$u, SSHPublicKey:$k}'
	fi
}

log "the push reply: Success, plus WicketInstance for wicket's own clients"
push_body "$inst_a" ubuntu >"$T/push-a.json"
out=$(sp "$dev_key" "$dev_secret" AWSEC2InstanceConnectService.SendSSHPublicKey "$T/push-a.json")
status=$(head -1 <<<"$out")
body=$(tail -n +2 <<<"$out")
check "raw push: 200" test "$status" = 200
check "raw push: Success true" test "$(jq -r .Success <<<"$body")" = true
check "raw push: RequestId" bash -c "[[ \$(jq -r .RequestId <<<'$body') =~ ^[0-9a-f-]{36}$ ]]"
check "WicketInstance.InstanceId" test "$(jq -r .WicketInstance.InstanceId <<<"$body")" = "$inst_a"
check "WicketInstance.Address" test "$(jq -r .WicketInstance.Address <<<"$body")" = 127.0.0.2
check "WicketInstance.SshPort" test "$(jq -r .WicketInstance.SshPort <<<"$body")" = "$SSH_PORT"
check "WicketInstance.Hostname is a string" \
    test "$(jq -r '.WicketInstance.Hostname | type' <<<"$body")" = string
check "WicketInstance.HostKeys: the registered key, as registered" \
    test "$(jq -r '.WicketInstance.HostKeys[0]' <<<"$body")" = "$(cut -d' ' -f1,2 "$T/hostkey.pub")"
# The same fields and values as WicketService.DescribeInstances gives.
cat >"$T/admin.env" <<ENV
$(awk -F' *= *' '/aws_access_key_id/{print "k="$2; exit}' "$DATA/credentials")
$(awk -F' *= *' '/aws_secret_access_key/{print "s="$2; exit}' "$DATA/credentials")
ENV
. "$T/admin.env"
jq -n --arg i "$inst_a" '{InstanceIds: [$i]}' >"$T/describe.json"
dout=$(AWS_ACCESS_KEY_ID="$k" AWS_SECRET_ACCESS_KEY="$s" "$WK_BIN/signed_post" \
    "$ENDPOINT" ec2 WicketService.DescribeInstances "$T/describe.json" | tail -n +2)
check "WicketInstance = WicketService.DescribeInstances' fields" test \
    "$(jq -cS '.Instances[0] | {InstanceId, Hostname, Address, SshPort, HostKeys}' <<<"$dout")" = \
    "$(jq -cS '.WicketInstance' <<<"$body")"
out=$(aws_as dev ec2-instance-connect send-ssh-public-key --instance-id "$inst_a" \
    --instance-os-user ubuntu --ssh-public-key "file://$T/k.pub")
check "aws CLI accepts the reply: Success" test "$(jq -r .Success <<<"$out")" = true
check "aws CLI shows only the model's members" \
    test "$(jq -cS 'keys' <<<"$out")" = '["RequestId","Success"]'
out=$(sdk_run eic_send_ssh_public_key.mjs dev "$inst_a" ubuntu "$T/k.pub")
check "SDK accepts the reply: ok" test "$(jq -r .ok <<<"$out")" = true
check "SDK accepts the reply: Success" test "$(jq -r .out.Success <<<"$out")" = true

starts() { [[ $1 == "$2"* ]]; }
# cli_err PROFILE ARGS...: the aws CLI's error line and HTTP status
# ("STATUS|An error occurred (CODE) when calling ...: MESSAGE")
cli_err() {
	local out status
	out=$(aws_as "$@" --debug 2>&1) && return 1
	status=$(grep -o '"POST / HTTP/1.1" [0-9]*' <<<"$out" | tail -1 | awk '{print $NF}')
	printf '%s|%s\n' "$status" "$(grep '^An error occurred' <<<"$out" | tail -1)"
}
eic_cli() {	# eic_cli PROFILE INSTANCE USER [extra args]
	local p=$1 i=$2 u=$3; shift 3
	cli_err "$p" ec2-instance-connect send-ssh-public-key --instance-id "$i" \
	    --instance-os-user "$u" --ssh-public-key "file://$T/k.pub" "$@"
}
# sdk_is OUT NAME STATUS: the SDK saw error NAME with HTTP status STATUS
sdk_is() {
	[ "$(jq -r '.ok' <<<"$1")" = false ] &&
	    [ "$(jq -r '.name' <<<"$1")" = "$2" ] &&
	    [ "$(jq -r '.status' <<<"$1")" = "$3" ]
}

log "AuthException 403, the same for an existing and a non-existent id"
out=$(eic_cli dev "$inst_b" ubuntu)
check "aws CLI: instance B (not named): 403 AuthException" \
    starts "$out" '403|An error occurred (AuthException)'
out=$(eic_cli dev i-0123456789abcdef0 ubuntu)
check "aws CLI: a non-existent id: 403 AuthException" \
    starts "$out" '403|An error occurred (AuthException)'
out_b=$(sdk_run eic_send_ssh_public_key.mjs dev "$inst_b" ubuntu "$T/k.pub")
out_x=$(sdk_run eic_send_ssh_public_key.mjs dev i-0123456789abcdef0 ubuntu "$T/k.pub")
check "SDK: instance B: AuthException 403" sdk_is "$out_b" AuthException 403
check "SDK: a non-existent id: AuthException 403" sdk_is "$out_x" AuthException 403
check "SDK: AuthException is not retried" \
    test "$(jq -r .retryable <<<"$out_b")" = false
check "the two refusals differ only in the id" test \
    "$(jq -r .message <<<"$out_b" | sed "s/$inst_b/ID/")" = \
    "$(jq -r .message <<<"$out_x" | sed "s/i-0123456789abcdef0/ID/")"
push_body i-0123456789abcdef0 ubuntu >"$T/push-x.json"
out=$(sp "$dev_key" "$dev_secret" AWSEC2InstanceConnectService.SendSSHPublicKey "$T/push-x.json")
check "raw: error body spelled as the model's: __type and Message" \
    test "$(tail -n +2 <<<"$out" | jq -cS 'keys')" = '["Message","__type"]'
check "raw: __type AuthException" \
    test "$(tail -n +2 <<<"$out" | jq -r .__type)" = AuthException

log "EC2InstanceNotFoundException 404 for a caller allowed everywhere"
out=$(eic_cli admin i-0123456789abcdef0 ubuntu)
check "aws CLI: 404 EC2InstanceNotFoundException" \
    starts "$out" '404|An error occurred (EC2InstanceNotFoundException)'
out=$(sdk_run eic_send_ssh_public_key.mjs admin i-0123456789abcdef0 ubuntu "$T/k.pub")
check "SDK: EC2InstanceNotFoundException 404" sdk_is "$out" EC2InstanceNotFoundException 404

log "InvalidArgsException 400"
out=$(eic_cli dev "$inst_a" ubuntu --availability-zone us-east-1b)
check "aws CLI: another zone: 400 InvalidArgsException" \
    starts "$out" '400|An error occurred (InvalidArgsException)'
check "aws CLI: the message names both zones" \
    contains "$out" "AvailabilityZone us-east-1b is not the instance's Availability Zone: $inst_a is in us-east-1a."
out=$(sdk_run eic_send_ssh_public_key.mjs dev "$inst_a" ubuntu "$T/k.pub" eu-west-1a)
check "SDK: another region's zone: InvalidArgsException 400" \
    sdk_is "$out" InvalidArgsException 400
check "SDK: the message names both zones" test "$(jq -r .message <<<"$out")" = \
    "AvailabilityZone eu-west-1a is not the instance's Availability Zone: $inst_a is in us-east-1a."
out=$(sdk_run eic_send_ssh_public_key.mjs dev "$inst_a" ubuntu "$T/k.pub" us-east-1a)
check "SDK: the instance's own zone is accepted" test "$(jq -r .ok <<<"$out")" = true
out=$(sdk_run eic_send_ssh_public_key.mjs dev "$inst_a" ubuntu "$T/hostkey")
check "SDK: a private key as SSHPublicKey: InvalidArgsException 400" \
    sdk_is "$out" InvalidArgsException 400

log "EC2InstanceUnavailableException 503 (agent away), retried by the SDK"
out=$(eic_cli admin "$inst_c" ubuntu)
check "aws CLI: 503 EC2InstanceUnavailableException" \
    starts "$out" '503|An error occurred (EC2InstanceUnavailableException)'
out=$(AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
    AWS_PROFILE=admin AWS_ENDPOINT_URL="$ENDPOINT" AWS_MAX_ATTEMPTS=2 \
    AWS_EC2_METADATA_DISABLED=true node --no-warnings \
    "$SDK/eic_send_ssh_public_key.mjs" "$inst_c" ubuntu "$T/k.pub")
check "SDK: EC2InstanceUnavailableException 503" \
    sdk_is "$out" EC2InstanceUnavailableException 503
check "SDK: retryable (transient)" \
    test "$(jq -r '"\(.retryable) \(.retryType)"' <<<"$out")" = "true TRANSIENT"
check "SDK: it did retry (2 attempts)" test "$(jq -r .attempts <<<"$out")" = 2

log "ThrottlingException 429: the OS user's live keys are at the agent's limit"
n=0
for _ in $(seq 1 400); do
	[ "$n" -ge 64 ] && break
	push_body "$inst_a" fill >"$T/fill.json"
	st=$(. "$T/admin.env"; sp "$k" "$s" AWSEC2InstanceConnectService.SendSSHPublicKey \
	    "$T/fill.json" | head -1)
	if [ "$st" = 200 ]; then n=$((n + 1)); else sleep 0.1; fi
done
check "64 live keys for OS user fill" test "$n" -eq 64
out=$(eic_cli dev "$inst_a" fill)
check "aws CLI: 429 ThrottlingException" \
    starts "$out" '429|An error occurred (ThrottlingException)'
out=$(AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
    AWS_PROFILE=dev AWS_ENDPOINT_URL="$ENDPOINT" AWS_MAX_ATTEMPTS=2 \
    AWS_EC2_METADATA_DISABLED=true node --no-warnings \
    "$SDK/eic_send_ssh_public_key.mjs" "$inst_a" fill "$T/k.pub")
check "SDK: ThrottlingException 429" sdk_is "$out" ThrottlingException 429
check "SDK: retryable (throttling)" \
    test "$(jq -r '"\(.retryable) \(.retryType)"' <<<"$out")" = "true THROTTLING"
check "SDK: it did retry (2 attempts)" test "$(jq -r .attempts <<<"$out")" = 2

log "EC2InstanceStateInvalidException 400: single-use to a host that cannot consume it"
jq '. + {SingleUse: true}' "$T/push-a.json" >"$T/single.json"
out=$(sp "$dev_key" "$dev_secret" AWSEC2InstanceConnectService.SendSSHPublicKey "$T/single.json")
check "raw: 400 EC2InstanceStateInvalidException" bash -c \
    "[[ \$(head -1 <<<'$out') == 400 && \$(tail -n +2 <<<'$out' | jq -r .__type) == EC2InstanceStateInvalidException ]]"

log "SigV4, EC2 (Query): EC2's own codes"
add_profile bogus AKIAAAAAAAAAAAAAAAAA wrongwrongwrongwrongwrongwrongwrongwrong
add_profile badsecret "$dev_key" wrongwrongwrongwrongwrongwrongwrongwrong
out=$(cli_err bogus ec2 describe-instances)
check "aws CLI, unknown key: 401 AuthFailure, EC2's message" test "$out" = \
    "401|An error occurred (AuthFailure) when calling the DescribeInstances operation (reached max retries: 0): AWS was not able to validate the provided access credentials"
out=$(sdk_run auth_ec2_describe_instances.mjs bogus)
check "SDK, unknown key: AuthFailure 401" sdk_is "$out" AuthFailure 401
echo 'Action=DescribeInstances&Version=2016-11-15' >"$T/di.txt"
out=$(AWS_ACCESS_KEY_ID="$dev_key" AWS_SECRET_ACCESS_KEY="$dev_secret" \
    "$WK_BIN/signed_post" "$ENDPOINT" ec2 - "$T/di.txt" -1200)
check "a 20-minute-old EC2 signature: 400" test "$(head -1 <<<"$out")" = 400
check "... RequestExpired, 'Request has expired.'" \
    contains "$out" "<Code>RequestExpired</Code><Message>Request has expired.</Message>"
out=$(WK_CLOCK_OFFSET_S=-1200 sdk_run auth_ec2_describe_instances.mjs dev)
check "SDK with a clock 20 min. slow: RequestExpired 400" sdk_is "$out" RequestExpired 400
out=$(cli_err badsecret ec2 describe-instances)
check "aws CLI, wrong secret: 403 SignatureDoesNotMatch" \
    starts "$out" "403|An error occurred (SignatureDoesNotMatch)"
out=$(cli_err dev --region eu-west-1 ec2 describe-instances)
check "aws CLI, signed for eu-west-1: 403 SignatureDoesNotMatch, AWS's text" test "$out" = \
    "403|An error occurred (SignatureDoesNotMatch) when calling the DescribeInstances operation (reached max retries: 0): Credential should be scoped to a valid region, not 'eu-west-1'. "
out=$(AWS_REGION=eu-west-1 sdk_run auth_ec2_describe_instances.mjs dev)
check "SDK, signed for eu-west-1: SignatureDoesNotMatch 403" \
    sdk_is "$out" SignatureDoesNotMatch 403
check "SDK, signed for eu-west-1: AWS's text" test "$(jq -r .message <<<"$out")" = \
    "Credential should be scoped to a valid region, not 'eu-west-1'. "
out=$(AWS_ACCESS_KEY_ID="$dev_key" AWS_SECRET_ACCESS_KEY="$dev_secret" \
    "$PY" "$WK_SOURCE/tests/security/sigv4_send.py" "$ENDPOINT" --service iam \
    --region "$REGION" --body 'Action=DescribeInstances&Version=2016-11-15')
check "an EC2 call signed for iam: 403, scoped to 'ec2'" bash -c \
    "[[ \$(head -1 <<<\"\$1\") == 403 && \"\$1\" == *\"Credential should be scoped to correct service: &apos;ec2&apos;. \"* ]]" _ "$out"

log "SigV4, JSON services (EC2 Instance Connect, WicketService): 400s"
out=$(eic_cli bogus "$inst_a" ubuntu)
check "aws CLI, unknown key: 400 UnrecognizedClientException" test "$out" = \
    "400|An error occurred (UnrecognizedClientException) when calling the SendSSHPublicKey operation (reached max retries: 0): The security token included in the request is invalid."
out=$(sdk_run eic_send_ssh_public_key.mjs bogus "$inst_a" ubuntu "$T/k.pub")
check "SDK, unknown key: UnrecognizedClientException 400" \
    sdk_is "$out" UnrecognizedClientException 400
out=$(sdk_run eic_send_ssh_public_key.mjs badsecret "$inst_a" ubuntu "$T/k.pub")
check "SDK, wrong secret: InvalidSignatureException 400" \
    sdk_is "$out" InvalidSignatureException 400
out=$(eic_cli dev "$inst_a" ubuntu --region eu-west-1)
check "aws CLI, signed for eu-west-1: 400 InvalidSignatureException, AWS's text" test "$out" = \
    "400|An error occurred (InvalidSignatureException) when calling the SendSSHPublicKey operation (reached max retries: 0): Credential should be scoped to a valid region, not 'eu-west-1'. "
out=$(AWS_REGION=eu-west-1 sdk_run eic_send_ssh_public_key.mjs dev "$inst_a" ubuntu "$T/k.pub")
check "SDK, signed for eu-west-1: InvalidSignatureException 400" \
    sdk_is "$out" InvalidSignatureException 400
out=$(AWS_ACCESS_KEY_ID="$dev_key" AWS_SECRET_ACCESS_KEY="$dev_secret" \
    "$PY" "$WK_SOURCE/tests/security/sigv4_send.py" "$ENDPOINT" --service ec2 \
    --region "$REGION" --target AWSEC2InstanceConnectService.SendSSHPublicKey \
    --body "$(cat "$T/push-a.json")")
check "a push signed for ec2: 400, scoped to 'ec2-instance-connect'" bash -c \
    "[[ \$(head -1 <<<\"\$1\") == 400 && \"\$1\" == *\"Credential should be scoped to correct service: 'ec2-instance-connect'. \"* ]]" _ "$out"
out=$(WK_CLOCK_OFFSET_S=-1200 sdk_run eic_send_ssh_public_key.mjs dev "$inst_a" ubuntu "$T/k.pub")
check "SDK with a clock 20 min. slow: InvalidSignatureException 400" \
    sdk_is "$out" InvalidSignatureException 400
check "... 'Signature expired'" bash -c "[[ \$(jq -r .message <<<\"\$1\") == 'Signature expired: '* ]]" _ "$out"
out=$(AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
    AWS_PROFILE=dev AWS_ENDPOINT_URL="$ENDPOINT" AWS_MAX_ATTEMPTS=2 \
    AWS_EC2_METADATA_DISABLED=true WK_CLOCK_OFFSET_S=-1200 node --no-warnings \
    "$SDK/eic_send_ssh_public_key.mjs" "$inst_a" ubuntu "$T/k.pub")
check "... which the SDK corrects and retries: the push succeeds" \
    test "$(jq -r .out.Success <<<"$out")" = true
echo '{}' >"$T/empty.json"
out=$(AWS_ACCESS_KEY_ID=AKIAAAAAAAAAAAAAAAAA AWS_SECRET_ACCESS_KEY=wrongwrongwrongwrongwrongwrongwrongwrong \
    "$WK_BIN/signed_post" "$ENDPOINT" ec2 WicketService.DescribeInstances "$T/empty.json")
check "WicketService, unknown key: 400 UnrecognizedClientException" bash -c \
    "[[ \$(head -1 <<<\"\$1\") == 400 && \$(tail -n +2 <<<\"\$1\" | jq -r .__type) == UnrecognizedClientException ]]" _ "$out"

log "SigV4, IAM and STS: unchanged"
out=$(cli_err bogus sts get-caller-identity)
check "aws CLI, STS, unknown key: 403 InvalidClientTokenId" \
    starts "$out" "403|An error occurred (InvalidClientTokenId)"
out=$(cli_err dev --region eu-west-1 sts get-caller-identity)
check "aws CLI, STS signed for eu-west-1: 403 SignatureDoesNotMatch" test "$out" = \
    "403|An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation (reached max retries: 0): Credential should be scoped to a valid region, not 'eu-west-1'. "
out=$(sdk_run sts_get_caller_identity.mjs bogus)
check "SDK, STS, unknown key: InvalidClientTokenId 403" sdk_is "$out" InvalidClientTokenId 403

finish
