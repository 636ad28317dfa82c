#!/usr/bin/env bash
# The IAM API end to end with the real `aws iam`, part 4 of 4 (see
# test_iam.sh): IAM authorizing IAM through policies (managed, inline,
# a group's, Deny over Allow, ${aws:username}), and the simulators.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/iam_lib.sh"

# The state the other parts build through the CLI: alice with an access
# key, IamRead attached to her and to the group Readers (she is not a
# member), and her inline policy Self
iam_setup CreateUser UserName=alice Path=/team/
setup_user_key alice alice
setup_iamread
pol="$ARN:policy/IamRead"
iam_setup AttachUserPolicy UserName=alice "PolicyArn=$pol"
iam_setup CreateGroup GroupName=Readers
iam_setup AttachGroupPolicy GroupName=Readers "PolicyArn=$pol"
iam_setup PutUserPolicy UserName=alice PolicyName=Self "PolicyDocument@$T/inline.json"

# ------------------------------------------------------------ delegation
log "delegation: IAM authorizes IAM"
# alice: IamRead (managed, attached to her and to Readers) + Self (inline)
ok "a reader can list users" alice iam list-users
check "reader sees the users" jqe '[.Users[].UserName] | index("alice")'
ok "a reader can get a policy" alice iam get-policy --policy-arn "$pol"
check "a reader cannot create a user: AccessDenied" \
    refused AccessDenied alice iam create-user --user-name mallory
check "the AccessDenied message names the action" \
    contains "$out" "iam:CreateUser"
check "a reader cannot attach policies: AccessDenied" \
    refused AccessDenied alice iam attach-user-policy --user-name alice \
    --policy-arn "$pol"
ok "create-user listonly" admin iam create-user --user-name listonly
ok "listonly's key" admin iam create-access-key --user-name listonly
add_profile listonly "$(jq -r .AccessKey.AccessKeyId <<<"$out")" \
    "$(jq -r .AccessKey.SecretAccessKey <<<"$out")"
ok "listonly: only iam:ListUsers" admin iam put-user-policy --user-name listonly \
    --policy-name L --policy-document \
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}'
ok "iam:ListUsers alone lets list-users through" listonly iam list-users
check "but not get-user: AccessDenied" \
    refused AccessDenied listonly iam get-user --user-name alice
check "nor create-user: AccessDenied" \
    refused AccessDenied listonly iam create-user --user-name x
ok "sts get-caller-identity needs no permission" listonly sts get-caller-identity
check "get-user without permission for a missing user: AccessDenied, not NoSuchEntity" \
    refused AccessDenied listonly iam get-user --user-name nobody
ok "create-user power" admin iam create-user --user-name power
ok "power's key" admin iam create-access-key --user-name power
add_profile power "$(jq -r .AccessKey.AccessKeyId <<<"$out")" \
    "$(jq -r .AccessKey.SecretAccessKey <<<"$out")"
ok "power: iam:* but Deny DeleteUser" admin iam put-user-policy --user-name power \
    --policy-name P --policy-document \
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"},{"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}]}'
ok "power can create a user" power iam create-user --user-name victim
check "a Deny beats the Allow: AccessDenied" \
    refused AccessDenied power iam delete-user --user-name victim
ok "admin still can" admin iam delete-user --user-name victim
ok "power grants itself nothing past the Deny" power iam put-user-policy \
    --user-name power --policy-name P2 --policy-document \
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:DeleteUser","Resource":"*"}]}'
check "still denied after adding an Allow" \
    refused AccessDenied power iam delete-user --user-name listonly
ok "create-user selfie" admin iam create-user --user-name selfie
ok "selfie's key" admin iam create-access-key --user-name selfie
add_profile selfie "$(jq -r .AccessKey.AccessKeyId <<<"$out")" \
    "$(jq -r .AccessKey.SecretAccessKey <<<"$out")"
ok "selfie: GetUser on user/\${aws:username} only" admin iam put-user-policy \
    --user-name selfie --policy-name Self --policy-document "file://$T/inline.json"
ok "selfie can get itself (\${aws:username})" selfie iam get-user
check "selfie: itself" is .User.UserName selfie
check "selfie cannot get another user: AccessDenied" \
    refused AccessDenied selfie iam get-user --user-name listonly
check "selfie cannot list: AccessDenied" refused AccessDenied selfie iam list-users
ok "selfie joins Readers (IamRead attached to the group)" admin iam \
    add-user-to-group --group-name Readers --user-name selfie
ok "a group's managed policy grants list-users" selfie iam list-users
ok "selfie leaves Readers" admin iam remove-user-from-group \
    --group-name Readers --user-name selfie
check "after leaving the group: AccessDenied again" \
    refused AccessDenied selfie iam list-users
ok "attach the AWS-managed AdministratorAccess to listonly" admin iam \
    attach-user-policy --user-name listonly \
    --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
ok "AdministratorAccess lets listonly create a user" listonly iam \
    create-user --user-name made-by-listonly
ok "detach AdministratorAccess" admin iam detach-user-policy \
    --user-name listonly --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
check "back to AccessDenied" \
    refused AccessDenied listonly iam delete-user --user-name made-by-listonly
check "an AWS-managed policy cannot be deleted: InvalidInput" \
    refused InvalidInput admin iam delete-policy \
    --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
ok "admin lists its own keys without --user-name" admin iam list-access-keys
check "the caller's keys" is '[.AccessKeyMetadata[].UserName] | unique | join(",")' admin

# ----------------------------------------------------------- simulators
log "simulate-principal-policy: the lab's case"
instance="i-0123456789abcdef0"
iarn="arn:aws:ec2:$REGION:$ACCOUNT:instance/$instance"
ok "create-user MyWorkshopUser" admin iam create-user --user-name MyWorkshopUser
cat >"$T/ic.json" <<JSON
{"Version": "2012-10-17",
 "Statement": [{"Effect": "Allow",
   "Action": "ec2-instance-connect:SendSSHPublicKey",
   "Resource": "$iarn",
   "Condition": {"StringEquals": {"ec2:osuser": "ubuntu"}}}]}
JSON
ok "create-policy InstanceConnect" admin iam create-policy \
    --policy-name InstanceConnect --policy-document "file://$T/ic.json"
ok "attach InstanceConnect" admin iam attach-user-policy \
    --user-name MyWorkshopUser --policy-arn "$ARN:policy/InstanceConnect"
ws="$ARN:user/MyWorkshopUser"
ok "simulate as ubuntu" admin iam simulate-principal-policy \
    --policy-source-arn "$ws" \
    --action-names ec2-instance-connect:SendSSHPublicKey \
    --resource-arns "$iarn" \
    --context-entries "ContextKeyName=ec2:osuser,ContextKeyValues=ubuntu,ContextKeyType=string"
check "ubuntu: allowed" is '.EvaluationResults[0].EvalDecision' allowed
check "ubuntu: EvalActionName" is '.EvaluationResults[0].EvalActionName' ec2-instance-connect:SendSSHPublicKey
check "ubuntu: EvalResourceName" is '.EvaluationResults[0].EvalResourceName' "$iarn"
check "ubuntu: MatchedStatements names the policy" \
    is '.EvaluationResults[0].MatchedStatements[0].SourcePolicyId' InstanceConnect
check "ubuntu: MatchedStatements' policy type" \
    is '.EvaluationResults[0].MatchedStatements[0].SourcePolicyType' user-managed
check "ubuntu: statement position" \
    jqe '.EvaluationResults[0].MatchedStatements[0].StartPosition.Line >= 1'
ok "simulate as root" admin iam simulate-principal-policy \
    --policy-source-arn "$ws" \
    --action-names ec2-instance-connect:SendSSHPublicKey \
    --resource-arns "$iarn" \
    --context-entries "ContextKeyName=ec2:osuser,ContextKeyValues=root,ContextKeyType=string"
check "root: implicitDeny" is '.EvaluationResults[0].EvalDecision' implicitDeny
check "root: no matched statements" is '.EvaluationResults[0].MatchedStatements | length' 0
ok "simulate another instance" admin iam simulate-principal-policy \
    --policy-source-arn "$ws" \
    --action-names ec2-instance-connect:SendSSHPublicKey \
    --resource-arns "arn:aws:ec2:$REGION:$ACCOUNT:instance/i-0fffffffffffffff0" \
    --context-entries "ContextKeyName=ec2:osuser,ContextKeyValues=ubuntu,ContextKeyType=string"
check "other instance: implicitDeny" is '.EvaluationResults[0].EvalDecision' implicitDeny
ok "simulate without the context key" admin iam simulate-principal-policy \
    --policy-source-arn "$ws" \
    --action-names ec2-instance-connect:SendSSHPublicKey --resource-arns "$iarn"
check "missing ec2:osuser: implicitDeny" is '.EvaluationResults[0].EvalDecision' implicitDeny
check "missing key reported" \
    jqe '.EvaluationResults[0].MissingContextValues | index("ec2:osuser")'
ok "put a Deny inline" admin iam put-user-policy --user-name MyWorkshopUser \
    --policy-name NoConnect --policy-document \
    '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2-instance-connect:*","Resource":"*"}]}'
ok "simulate with the Deny" admin iam simulate-principal-policy \
    --policy-source-arn "$ws" \
    --action-names ec2-instance-connect:SendSSHPublicKey \
    --resource-arns "$iarn" \
    --context-entries "ContextKeyName=ec2:osuser,ContextKeyValues=ubuntu,ContextKeyType=string"
check "Deny: explicitDeny" is '.EvaluationResults[0].EvalDecision' explicitDeny
check "Deny: the matched statement is NoConnect's" \
    jqe '[.EvaluationResults[0].MatchedStatements[].SourcePolicyId] | index("NoConnect")'
ok "simulate several actions" admin iam simulate-principal-policy \
    --policy-source-arn "$ARN:user/team/alice" \
    --action-names iam:ListUsers iam:CreateUser
check "alice: ListUsers allowed" \
    is '.EvaluationResults[] | select(.EvalActionName=="iam:ListUsers") | .EvalDecision' allowed
check "alice: CreateUser implicitDeny" \
    is '.EvaluationResults[] | select(.EvalActionName=="iam:CreateUser") | .EvalDecision' implicitDeny
ok "simulate with --policy-input-list" admin iam simulate-principal-policy \
    --policy-source-arn "$ws" --action-names iam:CreateUser \
    --policy-input-list '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:Create*","Resource":"*"}}'
check "policy-input-list adds an Allow" is '.EvaluationResults[0].EvalDecision' allowed
check "simulate for a missing user: NoSuchEntity" \
    refused NoSuchEntity admin iam simulate-principal-policy \
    --policy-source-arn "$ARN:user/nobody" --action-names iam:GetUser
check "simulate with a bad source ARN: InvalidInput" \
    refused InvalidInput admin iam simulate-principal-policy \
    --policy-source-arn "arn:aws:s3:::some-bucket-name" --action-names iam:GetUser
check "simulate needs iam:SimulatePrincipalPolicy: AccessDenied" \
    refused AccessDenied listonly iam simulate-principal-policy \
    --policy-source-arn "$ws" --action-names iam:GetUser

log "simulate-custom-policy"
ok "simulate-custom-policy" admin iam simulate-custom-policy \
    --policy-input-list "$(cat "$T/ic.json")" \
    --action-names ec2-instance-connect:SendSSHPublicKey \
    --resource-arns "$iarn" \
    --context-entries "ContextKeyName=ec2:osuser,ContextKeyValues=ubuntu,ContextKeyType=string"
check "custom: allowed" is '.EvaluationResults[0].EvalDecision' allowed
check "custom: MatchedStatements names PolicyInputList.1" \
    is '.EvaluationResults[0].MatchedStatements[0].SourcePolicyId' PolicyInputList.1
ok "simulate-custom-policy as root" admin iam simulate-custom-policy \
    --policy-input-list "$(cat "$T/ic.json")" \
    --action-names ec2-instance-connect:SendSSHPublicKey \
    --resource-arns "$iarn" \
    --context-entries "ContextKeyName=ec2:osuser,ContextKeyValues=root,ContextKeyType=string"
check "custom root: implicitDeny" is '.EvaluationResults[0].EvalDecision' implicitDeny
ok "simulate-custom-policy with a Deny" admin iam simulate-custom-policy \
    --policy-input-list "$(cat "$T/ic.json")" \
    '{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}' \
    --action-names ec2-instance-connect:SendSSHPublicKey --resource-arns "$iarn" \
    --context-entries "ContextKeyName=ec2:osuser,ContextKeyValues=ubuntu,ContextKeyType=string"
check "custom Deny: explicitDeny" is '.EvaluationResults[0].EvalDecision' explicitDeny
check "custom Deny: from PolicyInputList.2" \
    jqe '[.EvaluationResults[0].MatchedStatements[].SourcePolicyId] | index("PolicyInputList.2")'
check "simulate-custom-policy with bad JSON: InvalidInput (as IAM)" \
    refused InvalidInput admin iam simulate-custom-policy \
    --policy-input-list '{"Version":' --action-names iam:GetUser


finish
