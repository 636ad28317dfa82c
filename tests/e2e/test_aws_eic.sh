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

log "instances: A (online, named by dev's policy), B (online, not named)"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
inst_a=$(agent_enroll a 127.0.0.2 "$SSH_PORT" "$T/hostkey.pub")
agent_start a
inst_b=$(agent_enroll b 127.0.0.3 "$SSH_PORT" "$T/hostkey.pub")
agent_start b

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

finish
