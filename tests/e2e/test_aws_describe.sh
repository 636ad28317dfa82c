#!/usr/bin/env bash
# EC2 DescribeInstances with the real aws CLI and the AWS SDK for
# JavaScript v3 against a fleet of ~2,500 instances: filters (tag:KEY,
# wildcards, OR-ed values, AND-ed filters, an unknown filter refused),
# paging (--page-size, --max-items/--starting-token, --no-paginate with
# --max-results, the SDK's paginateDescribeInstances), the NextToken's
# defences (tampered, another caller's), MaxResults bounds and
# InvalidParameterCombination, --dry-run, authorization only on "*", and a
# host enrolled by name that has an IP address and stays `running`.
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
FLEET=2500
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile

log "a fleet of $FLEET instances, written to the store before wicketd starts"
sqlite3 "$DATA/wicket.db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $FLEET)
INSERT INTO instances (id, hostname, address, ssh_port, host_keys,
    agent_secret_hash, create_date, last_seen, dns_name)
SELECT printf('i-%017x', i), printf('fleet%d', i),
    printf('10.%d.%d.%d', i / 65536, (i / 256) % 256, i % 256), 22,
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICKXrB4K/csCCuynn0NOOS4aY18ij0TeNcjIxiJpb+S5',
    printf('%064d', 0), strftime('%s', 'now'), 0, '' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $FLEET)
INSERT INTO instance_tags (instance_id, key, value)
SELECT printf('i-%017x', i), 'Team', CASE WHEN i % 10 = 0 THEN 'red' ELSE 'blue' END FROM n;
SQL
wicketd_start "$DATA" "$PORT"

log "a host enrolled by name (never resolved by wicketd)"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
token=$("$WK_BIN/wicketd" token create --data "$DATA")
byname=$("$HOST_BIN/wicket-agent" enroll --server "$ENDPOINT" --token "$token" \
    --state "$T/agent-web1" --address web-1.example --ssh-port 2222 \
    --host-key "$T/hostkey.pub" | tail -1)
check "enrolled by name" test -n "$byname"
TOTAL=$((FLEET + 1))
RED=$((FLEET / 10))

user_with() {	# user_with NAME POLICY_JSON|"": a user and its profile
	aws_as admin iam create-user --user-name "$1" >/dev/null
	if [ -n "$2" ]; then
		aws_as admin iam put-user-policy --user-name "$1" \
		    --policy-name p --policy-document "$2"
	fi
	local key
	key=$(aws_as admin iam create-access-key --user-name "$1")
	add_profile "$1" "$(jq -r .AccessKey.AccessKeyId <<<"$key")" \
	    "$(jq -r .AccessKey.SecretAccessKey <<<"$key")"
}
user_with reader '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
 "Action": "ec2:DescribeInstances", "Resource": "*"}]}'
user_with arnonly '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
 "Action": "ec2:DescribeInstances", "Resource": "arn:aws:ec2:*:*:instance/*"}]}'
user_with nobody ""

n_instances() { jq '[.Reservations[].Instances[]] | length'; }
# cli_error TEXT CODE MESSAGE: the CLI printed this code and message
# ("An error occurred (CODE) when calling ... operation[ (...)]: MESSAGE")
cli_error() {
	contains "$1" "An error occurred ($2) when calling the DescribeInstances operation" &&
	    contains "$1" ": $3"
}
err() {		# err PROFILE ARGS...: the CLI's error text (exit status ignored)
	aws_as "$@" 2>&1 >/dev/null || true
}

log "the whole fleet, as the CLI pages it by itself"
out=$(aws_as reader ec2 describe-instances)
check "all $TOTAL instances" test "$(n_instances <<<"$out")" -eq "$TOTAL"
check "  ... each once" test "$(jq '[.Reservations[].Instances[].InstanceId] | unique | length' <<<"$out")" -eq "$TOTAL"
check "  ... all running" test "$(jq '[.Reservations[].Instances[] | select(.State.Name == "running")] | length' <<<"$out")" -eq "$TOTAL"
check "  ... each with a PrivateIpAddress" test "$(jq '[.Reservations[].Instances[] | select(.PrivateIpAddress != null and .PrivateIpAddress != "")] | length' <<<"$out")" -eq "$TOTAL"
out=$(aws_as reader ec2 describe-instances --page-size 100)
check "--page-size 100: all $TOTAL" test "$(n_instances <<<"$out")" -eq "$TOTAL"

log "filters"
out=$(aws_as reader ec2 describe-instances --filters Name=tag:Team,Values=red)
check "tag:Team=red: $RED" test "$(n_instances <<<"$out")" -eq "$RED"
check "  ... none of another team" test "$(jq '[.Reservations[].Instances[].Tags[] | select(.Key == "Team" and .Value != "red")] | length' <<<"$out")" -eq 0
out=$(aws_as reader ec2 describe-instances --filters 'Name=tag:Team,Values=r?d')
check "tag:Team=r?d (wildcard): $RED" test "$(n_instances <<<"$out")" -eq "$RED"
out=$(aws_as reader ec2 describe-instances --filters Name=tag:Team,Values=red,blue)
check "values OR-ed: $FLEET" test "$(n_instances <<<"$out")" -eq "$FLEET"
out=$(aws_as reader ec2 describe-instances --filters Name=tag:Team,Values=red \
    'Name=private-ip-address,Values=10.0.0.*')
check "filters AND-ed: tag:Team=red and 10.0.0.*: 25" test "$(n_instances <<<"$out")" -eq 25
out=$(aws_as reader ec2 describe-instances --filters Name=tag-key,Values=Team \
    Name=instance-state-name,Values=running Name=availability-zone,Values=us-east-1a)
check "tag-key, instance-state-name, availability-zone: $FLEET" test "$(n_instances <<<"$out")" -eq "$FLEET"
out=$(aws_as reader ec2 describe-instances --filters Name=instance-state-name,Values=stopped)
check "instance-state-name=stopped: none" test "$(n_instances <<<"$out")" -eq 0
out=$(aws_as reader ec2 describe-instances --filters Name=private-dns-name,Values='*.example')
check "private-dns-name=*.example: the host enrolled by name" \
    test "$(jq -r '.Reservations[0].Instances[0].InstanceId' <<<"$out")" = "$byname"
out=$(err reader ec2 describe-instances --filters Name=tag-Team,Values=red)
check "an unknown filter: InvalidParameterValue, as AWS words it" \
    cli_error "$out" InvalidParameterValue "The filter 'tag-Team' is invalid"

log "paging by hand"
out=$(aws_as reader ec2 describe-instances --max-items 7)
check "--max-items 7: 7" test "$(n_instances <<<"$out")" -eq 7
tok=$(jq -r .NextToken <<<"$out")
check "  ... and a NextToken" test -n "$tok" -a "$tok" != null
out2=$(aws_as reader ec2 describe-instances --max-items 7 --starting-token "$tok")
check "--starting-token: the next 7" test "$(jq -s '[.[].Reservations[].Instances[].InstanceId] | unique | length' <<<"$out$out2")" -eq 14
out=$(aws_as reader ec2 describe-instances --no-paginate --max-results 5)
check "--no-paginate --max-results 5: 5" test "$(n_instances <<<"$out")" -eq 5
srv_tok=$(jq -r .NextToken <<<"$out")
check "  ... and the server's NextToken" test -n "$srv_tok" -a "$srv_tok" != null
out=$(aws_as reader ec2 describe-instances --no-paginate --max-results 5 --next-token "$srv_tok")
check "  ... which gives the next 5" test "$(n_instances <<<"$out")" -eq 5
bad="${srv_tok:0:20}$( [ "${srv_tok:20:1}" = 0 ] && echo 1 || echo 0)${srv_tok:21}"
out=$(err reader ec2 describe-instances --no-paginate --max-results 5 --next-token "$bad")
check "a tampered NextToken: InvalidParameterValue" contains "$out" "(InvalidParameterValue)"
out=$(err admin ec2 describe-instances --no-paginate --max-results 5 --next-token "$srv_tok")
check "another caller's NextToken: InvalidParameterValue" contains "$out" "(InvalidParameterValue)"
out=$(err reader ec2 describe-instances --no-paginate --max-results 5 --next-token "$srv_tok" \
    --filters Name=tag:Team,Values=red)
check "a NextToken with other filters: InvalidParameterValue" contains "$out" "(InvalidParameterValue)"
out=$(err reader ec2 describe-instances --no-paginate --max-results 4)
check "--max-results 4: InvalidParameterValue" \
    cli_error "$out" InvalidParameterValue "Value ( 4 ) for parameter maxResults is invalid. Expecting a value greater than 5."
out=$(err reader ec2 describe-instances --no-paginate --max-results 1001)
check "--max-results 1001: InvalidParameterValue" contains "$out" "(InvalidParameterValue)"
out=$(err reader ec2 describe-instances --no-paginate --max-results 5 --instance-ids "$byname")
check "--max-results with --instance-ids: InvalidParameterCombination" \
    cli_error "$out" InvalidParameterCombination "The parameter instancesSet cannot be used with the parameter maxResults"

log "authorization: only on \"*\", as on AWS"
denied() { cli_error "$1" UnauthorizedOperation "You are not authorized to perform this operation."; }
check "no permission: UnauthorizedOperation" denied "$(err nobody ec2 describe-instances)"
check "  ... with an instance id too" denied "$(err nobody ec2 describe-instances --instance-ids "$byname")"
check "  ... an unknown id says the same (no probing)" \
    denied "$(err nobody ec2 describe-instances --instance-ids i-0fffffffffffffff0)"
check "an instance ARN grants nothing" denied "$(err arnonly ec2 describe-instances)"
check "  ... with an instance id either" denied "$(err arnonly ec2 describe-instances --instance-ids "$byname")"
check "--dry-run, allowed: DryRunOperation" \
    cli_error "$(err reader ec2 describe-instances --dry-run)" DryRunOperation "Request would have succeeded, but DryRun flag is set."
check "--dry-run, not allowed: UnauthorizedOperation" denied "$(err nobody ec2 describe-instances --dry-run)"

log "the host enrolled by name, its agent not running"
out=$(aws_as reader ec2 describe-instances --instance-ids "$byname")
check "PrivateIpAddress: the enrolling connection's address" \
    test "$(jq -r '.Reservations[0].Instances[0].PrivateIpAddress' <<<"$out")" = 127.0.0.1
check "PrivateDnsName: the name it enrolled by" \
    test "$(jq -r '.Reservations[0].Instances[0].PrivateDnsName' <<<"$out")" = web-1.example
check "running (one truth: a push says EC2InstanceUnavailableException)" \
    test "$(jq -r '.Reservations[0].Instances[0].State.Name' <<<"$out")" = running

log "the AWS SDK for JavaScript v3"
sdk_ready
out=$(sdk_run ec2_paginate_describe_instances.mjs reader)
check "paginateDescribeInstances: $TOTAL instances, each once" \
    test "$(jq -r '"\(.ok) \(.unique) \(.running) \(.withIp)"' <<<"$out")" = "true $TOTAL $TOTAL $TOTAL"
check "  ... over more than one page" test "$(jq .pages <<<"$out")" -ge 3
out=$(sdk_run ec2_paginate_describe_instances.mjs reader 100 '[{"Name":"tag:Team","Values":["red"]}]')
check "pageSize 100, tag:Team=red: $RED over 3 pages" \
    test "$(jq -r '"\(.ok) \(.unique) \(.pages)"' <<<"$out")" = "true $RED 3"
out=$(sdk_run ec2_describe_instances.mjs reader '{"Filters":[{"Name":"tag-Team","Values":["x"]}]}')
check "SDK: unknown filter is InvalidParameterValue, 400" \
    test "$(jq -r '"\(.name) \(.status) \(.message)"' <<<"$out")" = "InvalidParameterValue 400 The filter 'tag-Team' is invalid"
out=$(sdk_run ec2_describe_instances.mjs nobody '{}')
check "SDK: no permission is UnauthorizedOperation, 403" \
    test "$(jq -r '"\(.name) \(.status) \(.message)"' <<<"$out")" = "UnauthorizedOperation 403 You are not authorized to perform this operation."
out=$(sdk_run ec2_describe_instances.mjs reader '{"DryRun":true}')
check "SDK: DryRun is DryRunOperation, 412" \
    test "$(jq -r '"\(.name) \(.status)"' <<<"$out")" = "DryRunOperation 412"
out=$(sdk_run ec2_describe_instances.mjs reader "{\"InstanceIds\":[\"$byname\"],\"MaxResults\":5}")
check "SDK: MaxResults with InstanceIds is InvalidParameterCombination, 400" \
    test "$(jq -r '"\(.name) \(.status)"' <<<"$out")" = "InvalidParameterCombination 400"

finish
