#!/usr/bin/env bash
# Attack (issue 13, item 1): guardrails built on condition keys wicketd
# never supplied failed open. With a key absent, a positive operator is
# false and ForAllValues true, so each standard AWS guardrail below did
# nothing. Each attack is performed with the real aws CLI against a real
# wicketd and agents, and must fail:
#  (a) a user allowed ec2:CreateTags/DeleteTags only for aws:TagKeys
#      ["Name"] re-tags a prod instance Env=dev (or deletes all its tags)
#      to escape a Deny on ec2:ResourceTag/Env=prod for root pushes, then
#      pushes a key for root;
#  (b) a user allowed iam:TagUser only for aws:TagKeys ["nickname"] tags
#      itself team=ops to gain an aws:PrincipalTag/team-gated push;
#  (c) a Deny of iam:AttachUserPolicy on iam:PolicyARN *Admin*: the user
#      attaches AdminAccess to itself, then creates the admin's access key;
#  (d) a Deny of SendSSHPublicKey on aws:ResourceTag/Env=prod: the user
#      pushes a key to prod anyway.
# Controls next to each attack show the setup works (the allowed part of
# each policy is allowed), so a refusal is the guardrail's doing.
. "$(dirname "$0")/../e2e/lib.sh"

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
prod=$(agent_enroll prod 127.0.0.2 2222 "$T/hostkey.pub")
dev=$(agent_enroll dev 127.0.0.3 2222 "$T/hostkey.pub")
agent_start prod
agent_start dev
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null
aws_as admin ec2 create-tags --resources "$prod" --tags Key=Env,Value=prod
aws_as admin ec2 create-tags --resources "$dev" --tags Key=Env,Value=dev

# new_user NAME POLICY_JSON: a user with that inline policy and a profile
new_user() {
	local key
	aws_as admin iam create-user --user-name "$1" >/dev/null
	printf '%s\n' "$2" >"$T/$1.json"
	aws_as admin iam put-user-policy --user-name "$1" --policy-name p \
	    --policy-document "file://$T/$1.json"
	key=$(aws_as admin iam create-access-key --user-name "$1")
	add_profile "$1" "$(jq -r .AccessKey.AccessKeyId <<<"$key")" \
	    "$(jq -r .AccessKey.SecretAccessKey <<<"$key")"
}
push() {	# push PROFILE INSTANCE OSUSER: prints the CLI's answer
	aws_as "$1" ec2-instance-connect send-ssh-public-key --instance-id "$2" \
	    --instance-os-user "$3" --ssh-public-key "file://$T/k.pub" 2>&1 || true
}
env_tag() {	# the Env tag of an instance, as the admin sees it
	aws_as admin ec2 describe-instances --instance-ids "$1" |
	    jq -r '.Reservations[0].Instances[0].Tags[] | select(.Key=="Env") | .Value'
}

log "(a) tagging limited by aws:TagKeys; Deny on ec2:ResourceTag/Env=prod for root"
new_user tagger '{"Version": "2012-10-17", "Statement": [
 {"Effect": "Allow", "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
  "Resource": "arn:aws:ec2:*:*:instance/*",
  "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["Name"]}}},
 {"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey",
  "Resource": "arn:aws:ec2:*:*:instance/*"},
 {"Effect": "Deny", "Action": "ec2-instance-connect:SendSSHPublicKey",
  "Resource": "*", "Condition": {"StringEquals": {
   "ec2:ResourceTag/Env": "prod", "ec2:osuser": "root"}}}]}'
out=$(aws_as tagger ec2 create-tags --resources "$prod" --tags Key=Name,Value=web 2>&1) &&
    rc=0 || rc=$?
check "control: tagging Name is allowed" test "$rc" -eq 0
out=$(push tagger "$prod" ubuntu)
check "control: a push as ubuntu to prod reaches the agent" contains "$out" '"Success": true'
out=$(aws_as tagger ec2 create-tags --resources "$prod" --tags Key=Env,Value=dev 2>&1) &&
    rc=0 || rc=$?
check "re-tagging Env=dev is refused" contains "$out" UnauthorizedOperation
check "  ... and Env is still prod" test "$(env_tag "$prod")" = prod
out=$(aws_as tagger ec2 create-tags --resources "$prod" \
    --tags Key=Name,Value=x Key=Env,Value=dev 2>&1) && rc=0 || rc=$?
check "re-tagging Env=dev next to Name is refused" contains "$out" UnauthorizedOperation
check "  ... and Env is still prod" test "$(env_tag "$prod")" = prod
out=$(aws_as tagger ec2 create-tags --resources "$prod" \
    --tags Key=Name,Value=a Key=name,Value=b 2>&1) && rc=0 || rc=$?
check "one key twice (two aws:RequestTag values) is refused" \
    contains "$out" InvalidParameterValue
out=$(aws_as tagger ec2 delete-tags --resources "$prod" 2>&1) && rc=0 || rc=$?
check "deleting every tag (no --tags) is refused" contains "$out" UnauthorizedOperation
check "  ... and Env is still prod" test "$(env_tag "$prod")" = prod
out=$(push tagger "$prod" root)
check "the push as root to prod is refused" contains "$out" AuthException

log "(b) iam:TagUser limited to aws:TagKeys nickname; push gated on aws:PrincipalTag/team"
new_user nick '{"Version": "2012-10-17", "Statement": [
 {"Effect": "Allow", "Action": "iam:TagUser",
  "Resource": "arn:aws:iam::*:user/${aws:username}",
  "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["nickname"]}}},
 {"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey",
  "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ops"}}}]}'
out=$(aws_as nick iam tag-user --user-name nick --tags Key=nickname,Value=n 2>&1) &&
    rc=0 || rc=$?
check "control: tagging nickname is allowed" test "$rc" -eq 0
out=$(aws_as nick iam tag-user --user-name nick --tags Key=team,Value=ops 2>&1) &&
    rc=0 || rc=$?
check "tagging team=ops is refused" contains "$out" AccessDenied
tags=$(aws_as admin iam list-user-tags --user-name nick | jq -r '[.Tags[].Key] | join(",")')
check "  ... and nick has no team tag" test "$tags" = nickname
out=$(push nick "$prod" ubuntu)
check "  ... so the team-gated push is refused" contains "$out" AuthException

log "(c) Deny iam:AttachUserPolicy on iam:PolicyARN *Admin*"
cat >"$T/admin-access.json" <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
JSON
cat >"$T/read-only.json" <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]}
JSON
aws_as admin iam create-policy --policy-name AdminAccess \
    --policy-document "file://$T/admin-access.json" >/dev/null
aws_as admin iam create-policy --policy-name ReadOnly \
    --policy-document "file://$T/read-only.json" >/dev/null
new_user climber '{"Version": "2012-10-17", "Statement": [
 {"Effect": "Allow", "Action": ["iam:AttachUserPolicy", "iam:ListAttachedUserPolicies"],
  "Resource": "arn:aws:iam::*:user/${aws:username}"},
 {"Effect": "Deny", "Action": "iam:AttachUserPolicy", "Resource": "*",
  "Condition": {"ArnLike": {"iam:PolicyARN": "*Admin*"}}}]}'
out=$(aws_as climber iam attach-user-policy --user-name climber \
    --policy-arn "arn:aws:iam::$ACCOUNT:policy/ReadOnly" 2>&1) && rc=0 || rc=$?
check "control: attaching ReadOnly is allowed" test "$rc" -eq 0
out=$(aws_as climber iam attach-user-policy --user-name climber \
    --policy-arn "arn:aws:iam::$ACCOUNT:policy/AdminAccess" 2>&1) && rc=0 || rc=$?
check "attaching AdminAccess to oneself is refused" contains "$out" AccessDenied
att=$(aws_as admin iam list-attached-user-policies --user-name climber |
    jq -r '[.AttachedPolicies[].PolicyName] | join(",")')
check "  ... and only ReadOnly is attached" test "$att" = ReadOnly
out=$(aws_as climber iam create-access-key --user-name admin 2>&1) && rc=0 || rc=$?
check "  ... so no access key for the admin" contains "$out" AccessDenied

log "(d) Deny SendSSHPublicKey on aws:ResourceTag/Env=prod"
new_user pusher '{"Version": "2012-10-17", "Statement": [
 {"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey", "Resource": "*"},
 {"Effect": "Deny", "Action": "ec2-instance-connect:SendSSHPublicKey", "Resource": "*",
  "Condition": {"StringEquals": {"aws:ResourceTag/Env": "prod"}}}]}'
out=$(push pusher "$dev" root)
check "control: a push to the dev instance reaches its agent" contains "$out" '"Success": true'
out=$(push pusher "$prod" root)
check "the push to prod is refused" contains "$out" AuthException
out=$(aws_as admin iam simulate-principal-policy \
    --policy-source-arn "arn:aws:iam::$ACCOUNT:user/pusher" \
    --action-names ec2-instance-connect:SendSSHPublicKey \
    --resource-arns "arn:aws:ec2:$REGION:$ACCOUNT:instance/$prod")
check "  ... and the simulator agrees (from the instance's tags)" \
    test "$(jq -r '.EvaluationResults[0].EvalDecision' <<<"$out")" = explicitDeny

log "lint: a condition on a key the action never has is accepted, with a warning"
cat >"$T/useless.json" <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
 "Action": "iam:CreateAccessKey", "Resource": "*",
 "Condition": {"ArnLike": {"iam:PolicyARN": "*Admin*"}}}]}
JSON
check "put-user-policy accepts it (as IAM does)" aws_as admin iam put-user-policy \
    --user-name pusher --policy-name useless --policy-document "file://$T/useless.json"
check "  ... and wicketd logs a policy_lint warning" \
    grep -q 'event=policy_lint .*action=iam:PutUserPolicy .*key=iam:policyarn' "$T/wicketd.log"
rc=0; "$WK_BIN/wicket" policy lint "$T/useless.json" >"$T/lint.out" || rc=$?
check "wicket policy lint reports it (exit 1)" test "$rc" -eq 1
check "  ... naming statement, action and key" \
    grep -q 'statement 0: action iam:CreateAccessKey: key iam:policyarn' "$T/lint.out"
rc=0; "$WK_BIN/wicket" policy lint "$T/tagger.json" "$T/climber.json" || rc=$?
check "the guardrails above lint clean (exit 0)" test "$rc" -eq 0

finish
