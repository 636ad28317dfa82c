#!/usr/bin/env bash
# wicketd keeps a request's identity reads (access key, user, tags,
# instance, policies) in memory and drops them when the store's
# authorization generation moves (src/server/auth/read_cache.c). Through
# the real API and the aws CLI: after pushes that fill the cache, each
# change an administrator makes must decide the very next push: a
# principal tag, a resource tag, a Deny added, a managed policy detached,
# the access key deactivated, then deleted.
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
ensure_ak_user
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"

aws_as admin iam create-user --user-name dev >/dev/null
out=$(aws_as admin iam create-access-key --user-name dev)
DEV_KEY=$(jq -r .AccessKey.AccessKeyId <<<"$out")
add_profile dev "$DEV_KEY" "$(jq -r .AccessKey.SecretAccessKey <<<"$out")"
aws_as admin iam tag-user --user-name dev --tags Key=team,Value=ops
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
inst=$(agent_enroll a 127.0.0.2 "$SSH_PORT" "$T/hostkey.pub")
agent_start a
aws_as admin ec2 create-tags --resources "$inst" --tags Key=env,Value=prod
cat >"$T/push.json" <<JSON
{"Version": "2012-10-17", "Statement": [{
	"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey",
	"Resource": "arn:aws:ec2:$REGION:$ACCOUNT:instance/*",
	"Condition": {"StringEquals": {"aws:PrincipalTag/team": "ops",
	    "ec2:ResourceTag/env": "prod"}}}]}
JSON
cat >"$T/deny.json" <<JSON
{"Version": "2012-10-17", "Statement": [{
	"Effect": "Deny", "Action": "ec2-instance-connect:*", "Resource": "*"}]}
JSON
parn=$(aws_as admin iam create-policy --policy-name Push \
    --policy-document "file://$T/push.json" | jq -r .Policy.Arn)
aws_as admin iam attach-user-policy --user-name dev --policy-arn "$parn"
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null

push() {	# push: "Success" or the error code of one push as dev
	local out
	if out=$(aws_as dev ec2-instance-connect send-ssh-public-key \
	    --instance-id "$inst" --instance-os-user ubuntu \
	    --ssh-public-key "file://$T/k.pub" 2>&1); then
		jq -r 'if .Success then "Success" else "no-success" end' <<<"$out"
	else
		sed -n 's/.*An error occurred (\([A-Za-z]*\)).*/\1/p' <<<"$out" |
		    head -n 1
	fi
}
for _ in $(seq 1 50); do	# the agent comes online within its first poll
	[ "$(push)" = Success ] && break
	sleep 0.2
done
expect() {	# expect WHAT CODE: the next push answers CODE
	local got
	got=$(push)
	check "$1: $2 (got $got)" test "$got" = "$2"
}

log "warm: the same push twice"
expect "first push" Success
expect "second push" Success

log "principal tag"
aws_as admin iam tag-user --user-name dev --tags Key=team,Value=dev
expect "team=dev" AuthException
aws_as admin iam tag-user --user-name dev --tags Key=team,Value=ops
expect "team=ops again" Success
aws_as admin iam untag-user --user-name dev --tag-keys team
expect "team removed" AuthException
aws_as admin iam tag-user --user-name dev --tags Key=team,Value=ops
expect "team=ops once more" Success

log "resource tag"
aws_as admin ec2 create-tags --resources "$inst" --tags Key=env,Value=staging
expect "env=staging" AuthException
aws_as admin ec2 create-tags --resources "$inst" --tags Key=env,Value=prod
expect "env=prod again" Success
aws_as admin ec2 delete-tags --resources "$inst" --tags Key=env
expect "env removed" AuthException
aws_as admin ec2 create-tags --resources "$inst" --tags Key=env,Value=prod
expect "env=prod once more" Success

log "a Deny added, then removed"
aws_as admin iam put-user-policy --user-name dev --policy-name stop \
    --policy-document "file://$T/deny.json"
expect "Deny in place" AuthException
aws_as admin iam delete-user-policy --user-name dev --policy-name stop
expect "Deny gone" Success

log "the managed policy detached, then attached"
aws_as admin iam detach-user-policy --user-name dev --policy-arn "$parn"
expect "detached" AuthException
aws_as admin iam attach-user-policy --user-name dev --policy-arn "$parn"
expect "attached" Success

log "the access key deactivated, reactivated, deleted"
aws_as admin iam update-access-key --user-name dev --access-key-id "$DEV_KEY" \
    --status Inactive
expect "key inactive" UnrecognizedClientException
aws_as admin iam update-access-key --user-name dev --access-key-id "$DEV_KEY" \
    --status Active
expect "key active" Success
aws_as admin iam delete-access-key --user-name dev --access-key-id "$DEV_KEY"
expect "key deleted" UnrecognizedClientException

finish
