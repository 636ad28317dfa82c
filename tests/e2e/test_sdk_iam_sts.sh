#!/usr/bin/env bash
# Every IAM and STS action wicketd serves, called through the AWS SDK for
# JavaScript v3 and through the AWS CLI, each reply checked against AWS's
# own service model as the SDK ships it (tests/sdk/model_check.mjs): the
# reply parses, the members the model requires are there with the model's
# types, errors are modeled ones with the model's HTTP status; the SDK's
# paginators walk every paged list; members of AWS's model that wicketd
# does not implement are refused (InvalidInput naming the member), never
# silently ignored.
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"
sdk_ready
export WK_ACCOUNT=$ACCOUNT AWS

# report: one check per JSON line of iam_sts_calls.mjs
report() {	# report LABEL < lines
	local label=$1 line op probs
	while IFS= read -r line; do
		op=$(jq -r .op <<<"$line")
		probs=$(jq -r '.problems | join("; ")' <<<"$line")
		if [ -z "$probs" ]; then
			pass "$label $op ($(jq -r 'if .ok then "ok" else "\(.code) \(.status)" end' <<<"$line"))"
		else
			fail "$label $op: $probs"
		fi
	done
}

log "every action through the SDK, against the model"
sdk_run iam_sts_calls.mjs admin sdk s1 >"$T/sdk.out" || true
report sdk <"$T/sdk.out"
check "sdk: all $(wc -l <"$T/sdk.out") calls reported (no crash)" \
    test "$(wc -l <"$T/sdk.out")" -ge 57

log "the SDK's paginators, page size 2"
sdk_run iam_sts_calls.mjs admin paginate p1 >"$T/pg.out" || true
report sdk <"$T/pg.out"

log "unsupported members of AWS's model: InvalidInput naming the member"
sdk_run iam_sts_calls.mjs admin unsupported u1 >"$T/un.out" || true
report sdk <"$T/un.out"

# members this SDK version does not send: signed by curl as a client would
query() {	# query BODY: prints "STATUS CODE" of an IAM call as admin
	local ak sk code
	ak=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
	sk=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
	code=$(curl -s -o "$T/q.xml" -w '%{http_code}' --aws-sigv4 "aws:amz:$REGION:iam" \
	    --user "$ak:$sk" -H 'Content-Type: application/x-www-form-urlencoded' \
	    --data "$1" "$ENDPOINT/")
	echo "$code $(grep -o '<Code>[^<]*' "$T/q.xml" | cut -c7-)"
}
doc='%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D'
check "SimulatePrincipalPolicy with PolicyExclusionList: InvalidInput 400" \
    test "$(query "Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=arn%3Aaws%3Aiam%3A%3A$ACCOUNT%3Auser%2Fadmin&ActionNames.member.1=iam%3AGetUser&PolicyExclusionList.member.1=AWSOrganizationsPolicy")" = "400 InvalidInput"
check "  ... the message names it" grep -q "PolicyExclusionList" "$T/q.xml"
check "SimulateCustomPolicy with OrderedOrganizationPolicyInputList: InvalidInput 400" \
    test "$(query "Action=SimulateCustomPolicy&Version=2010-05-08&PolicyInputList.member.1=$doc&ActionNames.member.1=iam%3AGetUser&OrderedOrganizationPolicyInputList.member.1=$doc")" = "400 InvalidInput"
check "  ... the message names it" grep -q "OrderedOrganizationPolicyInputList" "$T/q.xml"
check "(control) SimulateCustomPolicy without it answers" \
    test "$(query "Action=SimulateCustomPolicy&Version=2010-05-08&PolicyInputList.member.1=$doc&ActionNames.member.1=iam%3AGetUser")" = "200 "

log "a caller without any policy"
aws_as admin iam create-user --user-name nobody >/dev/null
key=$(aws_as admin iam create-access-key --user-name nobody)
add_profile nobody "$(jq -r .AccessKey.AccessKeyId <<<"$key")" \
    "$(jq -r .AccessKey.SecretAccessKey <<<"$key")"
sdk_run iam_sts_calls.mjs nobody denied d1 >"$T/denied.out" || true
report sdk <"$T/denied.out"

# WK_SDK_ONLY=1 skips the AWS CLI pass (slow: one process per call)
[ -n "${WK_SDK_ONLY:-}" ] && { finish; exit; }
log "every action through the AWS CLI (--cli-input-json), against the model"
sdk_run iam_sts_calls.mjs admin cli c1 >"$T/cli.out" || true
report cli <"$T/cli.out"
check "cli: all $(wc -l <"$T/cli.out") calls reported" \
    test "$(wc -l <"$T/cli.out")" -ge 57

finish
