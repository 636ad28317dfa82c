#!/usr/bin/env bash
# Tags on instances with the real aws CLI (aws ec2 create-tags /
# delete-tags / describe-instances), and a policy on ec2:ResourceTag/...
# deciding a key push, so operators can grant access by tag.
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
ensure_ak_user
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
id1=$(agent_enroll h1 127.0.0.2 2222 "$T/hostkey.pub")
agent_start h1
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null

log "create-tags, describe-instances, delete-tags"
check "create-tags" aws_as admin ec2 create-tags --resources "$id1" \
    --tags Key=Name,Value=web-1 Key=env,Value=dev
out=$(aws_as admin ec2 describe-instances --instance-ids "$id1")
check "describe-instances shows the Name tag" \
    test "$(jq -r '.Reservations[0].Instances[0].Tags[] | select(.Key=="Name") | .Value' <<<"$out")" = web-1
check "describe-instances shows the env tag" \
    test "$(jq -r '.Reservations[0].Instances[0].Tags[] | select(.Key=="env") | .Value' <<<"$out")" = dev
out=$(aws_as admin ec2 create-tags --resources "$id1" --tags Key=aws:x,Value=y 2>&1) && rc=0 || rc=$?
check "aws: keys are reserved" contains "$out" InvalidParameterValue
out=$(aws_as admin ec2 create-tags --resources i-0123456789abcdef0 --tags Key=a,Value=b 2>&1) && rc=0 || rc=$?
check "unknown instance: InvalidInstanceID.NotFound" contains "$out" InvalidInstanceID.NotFound
check "delete-tags with a non-matching value keeps the tag" \
    aws_as admin ec2 delete-tags --resources "$id1" --tags Key=Name,Value=other
out=$(aws_as admin ec2 describe-instances --instance-ids "$id1")
check "  ... Name is still there" \
    test "$(jq -r '.Reservations[0].Instances[0].Tags[] | select(.Key=="Name") | .Value' <<<"$out")" = web-1
check "delete-tags by key" aws_as admin ec2 delete-tags --resources "$id1" --tags Key=Name
out=$(aws_as admin ec2 describe-instances --instance-ids "$id1")
check "  ... Name is gone, env stays" \
    test "$(jq -r '[.Reservations[0].Instances[0].Tags[].Key] | join(",")' <<<"$out")" = env

log "access by tag (ec2:ResourceTag/env)"
aws_as admin iam create-user --user-name dev >/dev/null
key=$(aws_as admin iam create-access-key --user-name dev)
add_profile dev "$(jq -r .AccessKey.AccessKeyId <<<"$key")" \
    "$(jq -r .AccessKey.SecretAccessKey <<<"$key")"
cat >"$T/bytag.json" <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
 "Action": "ec2-instance-connect:SendSSHPublicKey",
 "Resource": "arn:aws:ec2:*:*:instance/*",
 "Condition": {"StringEquals": {"ec2:ResourceTag/env": "dev", "ec2:osuser": "ubuntu"}}}]}
JSON
aws_as admin iam put-user-policy --user-name dev --policy-name bytag \
    --policy-document "file://$T/bytag.json"
push_dev() {
	aws_as dev ec2-instance-connect send-ssh-public-key --instance-id "$id1" \
	    --instance-os-user ubuntu --ssh-public-key "file://$T/k.pub" 2>&1
}
out=$(push_dev) || true
check "tagged env=dev: the push is allowed" contains "$out" '"Success": true'
aws_as admin ec2 create-tags --resources "$id1" --tags Key=env,Value=prod
out=$(push_dev) || true
check "retagged env=prod: AuthException" contains "$out" AuthException
out=$(aws_as dev ec2 create-tags --resources "$id1" --tags Key=env,Value=dev 2>&1) && rc=0 || rc=$?
check "the dev user may not retag: UnauthorizedOperation" contains "$out" UnauthorizedOperation
out=$(aws_as admin ec2 describe-instances --instance-ids "$id1")
check "  ... and the tag did not change" \
    test "$(jq -r '.Reservations[0].Instances[0].Tags[] | select(.Key=="env") | .Value' <<<"$out")" = prod

finish
