#!/usr/bin/env bash
# EC2 CreateTags / DeleteTags with DryRun, as AWS answers it: allowed ->
# 412 DryRunOperation "Request would have succeeded, but DryRun flag is
# set." and nothing written; not allowed -> 403 UnauthorizedOperation.
# Driven by the real aws CLI (--dry-run) and the SDK for JavaScript v3.
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
sdk_ready

tags_of() {	# tags_of ID: "k=v,k=v" sorted
	aws_as admin ec2 describe-instances --instance-ids "$1" |
	    jq -r '[.Reservations[0].Instances[0].Tags // [] | .[] | "\(.Key)=\(.Value)"] | sort | join(",")'
}
aws_as admin ec2 create-tags --resources "$id1" --tags Key=env,Value=dev

log "aws CLI --dry-run, allowed: 412 DryRunOperation, nothing written"
out=$(aws_as admin ec2 create-tags --dry-run --resources "$id1" \
    --tags Key=team,Value=blue 2>&1) && rc=0 || rc=$?
check "create-tags --dry-run fails (exit $rc)" test "$rc" -ne 0
check "  ... with DryRunOperation" contains "$out" \
    "(DryRunOperation) when calling the CreateTags operation"
check "  ... and AWS's message" contains "$out" \
    "Request would have succeeded, but DryRun flag is set."
check "  ... and no tag was written" test "$(tags_of "$id1")" = env=dev
out=$(aws_as admin ec2 delete-tags --dry-run --resources "$id1" \
    --tags Key=env 2>&1) && rc=0 || rc=$?
check "delete-tags --dry-run: DryRunOperation" contains "$out" \
    "(DryRunOperation) when calling the DeleteTags operation"
check "  ... and the tag is still there" test "$(tags_of "$id1")" = env=dev
out=$(aws_as admin ec2 delete-tags --dry-run --resources "$id1" 2>&1) && rc=0 || rc=$?
check "delete-tags --dry-run without tags (all tags): DryRunOperation" \
    contains "$out" DryRunOperation
check "  ... and every tag is still there" test "$(tags_of "$id1")" = env=dev
out=$(aws_as admin ec2 create-tags --dry-run --resources i-0123456789abcdef0 \
    --tags Key=a,Value=b 2>&1) && rc=0 || rc=$?
check "dry run on an unknown instance: InvalidInstanceID.NotFound, not DryRunOperation" \
    contains "$out" InvalidInstanceID.NotFound
out=$(aws_as admin ec2 create-tags --dry-run --resources "$id1" \
    --tags Key=aws:x,Value=y 2>&1) && rc=0 || rc=$?
check "dry run with a reserved key: InvalidParameterValue" contains "$out" InvalidParameterValue

log "SDK: DryRun: true"
out=$(sdk_run ec2_tags.mjs admin create "$id1" team=blue dry-run)
check "SDK CreateTags DryRun: DryRunOperation" \
    test "$(jq -r .name <<<"$out")" = DryRunOperation
check "  ... HTTP 412" test "$(jq -r .status <<<"$out")" = 412
check "  ... AWS's message" test "$(jq -r .message <<<"$out")" = \
    "Request would have succeeded, but DryRun flag is set."
check "  ... and no tag was written" test "$(tags_of "$id1")" = env=dev
out=$(sdk_run ec2_tags.mjs admin delete "$id1" env=dev dry-run)
check "SDK DeleteTags DryRun: DryRunOperation 412" \
    test "$(jq -r '"\(.name) \(.status)"' <<<"$out")" = "DryRunOperation 412"
check "  ... and the tag is still there" test "$(tags_of "$id1")" = env=dev
out=$(sdk_run ec2_tags.mjs admin create "$id1" team=blue)
check "SDK CreateTags without DryRun writes" test "$(jq -r .ok <<<"$out")" = true
check "  ... the tag is there" test "$(tags_of "$id1")" = env=dev,team=blue

log "a caller without ec2:CreateTags / ec2:DeleteTags: 403 UnauthorizedOperation"
aws_as admin iam create-user --user-name viewer >/dev/null
key=$(aws_as admin iam create-access-key --user-name viewer)
add_profile viewer "$(jq -r .AccessKey.AccessKeyId <<<"$key")" \
    "$(jq -r .AccessKey.SecretAccessKey <<<"$key")"
aws_as admin iam put-user-policy --user-name viewer --policy-name view \
    --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}]}'
out=$(aws_as viewer ec2 create-tags --dry-run --resources "$id1" \
    --tags Key=team,Value=red 2>&1) && rc=0 || rc=$?
check "CLI create-tags --dry-run, not allowed: UnauthorizedOperation" \
    contains "$out" "(UnauthorizedOperation) when calling the CreateTags operation"
out=$(aws_as viewer ec2 delete-tags --dry-run --resources "$id1" 2>&1) && rc=0 || rc=$?
check "CLI delete-tags --dry-run, not allowed: UnauthorizedOperation" \
    contains "$out" "(UnauthorizedOperation) when calling the DeleteTags operation"
out=$(sdk_run ec2_tags.mjs viewer create "$id1" team=red dry-run)
check "SDK CreateTags DryRun, not allowed: UnauthorizedOperation 403" \
    test "$(jq -r '"\(.name) \(.status)"' <<<"$out")" = "UnauthorizedOperation 403"
out=$(sdk_run ec2_tags.mjs viewer delete "$id1" team dry-run)
check "SDK DeleteTags DryRun, not allowed: UnauthorizedOperation 403" \
    test "$(jq -r '"\(.name) \(.status)"' <<<"$out")" = "UnauthorizedOperation 403"
check "  ... and the tags did not change" test "$(tags_of "$id1")" = env=dev,team=blue

log "a bad DryRun value is refused and writes nothing"
out=$(sdk_run ec2_tags.mjs admin create "$id1" team=green)
check "(control) SDK CreateTags team=green" test "$(jq -r .ok <<<"$out")" = true
ak=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
sk=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
body="Action=CreateTags&Version=2016-11-15&ResourceId.1=$id1&Tag.1.Key=team&Tag.1.Value=x&DryRun=yes"
code=$(curl -s -o "$T/bad.xml" -w '%{http_code}' --aws-sigv4 "aws:amz:$REGION:ec2" \
    --user "$ak:$sk" -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "$body" "$ENDPOINT/")
check "DryRun=yes: 400 InvalidParameterValue" \
    test "$code $(grep -o '<Code>[^<]*' "$T/bad.xml" | cut -c7-)" = "400 InvalidParameterValue"
check "  ... and the tag did not change" test "$(tags_of "$id1")" = env=dev,team=green

finish
