#!/usr/bin/env bash
# The IAM API end to end with the real `aws iam`, part 3 of 4 (see
# test_iam.sh): groups, attaching and detaching managed policies, inline
# policies, login profiles, and the dependencies that stop a delete.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/iam_lib.sh"

# alice (test_iam.sh's) with an access key, and the managed policy IamRead
# (test_iam_policies.sh's) with its versions
iam_setup CreateUser UserName=alice Path=/team/
alice_id=$(setup_xml 'i:CreateUserResult/i:User/i:UserId')
setup_user_key alice alice
setup_iamread
pol="$ARN:policy/IamRead"

# ---------------------------------------------------------------- groups
log "groups"
ok "create-group" admin iam create-group --group-name Readers
check "create-group: Arn" is .Group.Arn "$ARN:group/Readers"
check "create-group: AGPA id" jqe '.Group.GroupId | test("^AGPA")'
check "create-group readers (case): EntityAlreadyExists" \
    refused EntityAlreadyExists admin iam create-group --group-name readers
ok "create-group Ops" admin iam create-group --group-name Ops --path /ops/
ok "list-groups" admin iam list-groups
check "list-groups: Ops, Readers" is '[.Groups[].GroupName] | sort | join(",")' Ops,Readers
ok "add-user-to-group" admin iam add-user-to-group --group-name Readers \
    --user-name alice
check "add-user-to-group: missing user: NoSuchEntity" \
    refused NoSuchEntity admin iam add-user-to-group --group-name Readers \
    --user-name nobody
check "add-user-to-group: missing group: NoSuchEntity" \
    refused NoSuchEntity admin iam add-user-to-group --group-name Nope \
    --user-name alice
ok "get-group" admin iam get-group --group-name Readers
check "get-group: Group.GroupName" is .Group.GroupName Readers
check "get-group: Users has alice" is '[.Users[].UserName] | join(",")' alice
ok "list-groups-for-user" admin iam list-groups-for-user --user-name alice
check "list-groups-for-user: Readers" is '[.Groups[].GroupName] | join(",")' Readers
check "delete-group with members: DeleteConflict" \
    refused DeleteConflict admin iam delete-group --group-name Readers
ok "remove-user-from-group" admin iam remove-user-from-group \
    --group-name Readers --user-name alice
ok "list-groups-for-user after removal" admin iam list-groups-for-user --user-name alice
check "no groups" is '.Groups | length' 0
check "remove again: NoSuchEntity" \
    refused NoSuchEntity admin iam remove-user-from-group \
    --group-name Readers --user-name alice
ok "delete-group Ops" admin iam delete-group --group-name Ops
check "get-group Ops: NoSuchEntity" \
    refused NoSuchEntity admin iam get-group --group-name Ops

# ----------------------------------------------------------- attachments
log "attach and detach"
ok "attach-user-policy" admin iam attach-user-policy --user-name alice \
    --policy-arn "$pol"
ok "attach-user-policy twice is idempotent" admin iam attach-user-policy \
    --user-name alice --policy-arn "$pol"
ok "attach-group-policy" admin iam attach-group-policy --group-name Readers \
    --policy-arn "$pol"
check "attach a missing policy: NoSuchEntity" \
    refused NoSuchEntity admin iam attach-user-policy --user-name alice \
    --policy-arn "$ARN:policy/Nope"
check "attach with a malformed ARN: InvalidInput" \
    refused InvalidInput admin iam attach-user-policy --user-name alice \
    --policy-arn "arn:aws:iam::$ACCOUNT:polic"
ok "list-attached-user-policies" admin iam list-attached-user-policies --user-name alice
check "attached to alice: IamRead" \
    is '[.AttachedPolicies[] | .PolicyName + " " + .PolicyArn] | join(",")' "IamRead $pol"
ok "list-attached-group-policies" admin iam list-attached-group-policies --group-name Readers
check "attached to Readers: IamRead" is '[.AttachedPolicies[].PolicyName] | join(",")' IamRead
ok "get-policy counts attachments" admin iam get-policy --policy-arn "$pol"
check "AttachmentCount 2" is .Policy.AttachmentCount 2
ok "list-entities-for-policy" admin iam list-entities-for-policy --policy-arn "$pol"
check "entities: user alice" is '[.PolicyUsers[].UserName] | join(",")' alice
check "entities: user id" is '.PolicyUsers[0].UserId' "$alice_id"
check "entities: group Readers" is '[.PolicyGroups[].GroupName] | join(",")' Readers
check "entities: no roles" is '.PolicyRoles | length' 0
ok "list-entities-for-policy --entity-filter User" admin iam \
    list-entities-for-policy --policy-arn "$pol" --entity-filter User
check "entity-filter User: no groups" is '.PolicyGroups | length' 0
ok "list-policies --only-attached" admin iam list-policies --scope Local --only-attached
check "only-attached: IamRead" is '[.Policies[].PolicyName] | join(",")' IamRead
check "delete-policy while attached: DeleteConflict" \
    refused DeleteConflict admin iam delete-policy --policy-arn "$pol"

# ------------------------------------------------------ inline policies
log "inline policies"
ok "put-user-policy" admin iam put-user-policy --user-name alice \
    --policy-name Self --policy-document "file://$T/inline.json"
ok "get-user-policy" admin iam get-user-policy --user-name alice --policy-name Self
check "get-user-policy: names" is '.UserName + "/" + .PolicyName' alice/Self
check "get-user-policy: document is an object" is '.PolicyDocument.Statement.Action' iam:GetUser
# shellcheck disable=SC2016 # a literal policy variable
check "get-user-policy: policy variable preserved" \
    is '.PolicyDocument.Statement.Resource' 'arn:aws:iam::*:user/${aws:username}'
ok "list-user-policies" admin iam list-user-policies --user-name alice
check "list-user-policies: Self" is '.PolicyNames | join(",")' Self
check "get-user-policy missing: NoSuchEntity" \
    refused NoSuchEntity admin iam get-user-policy --user-name alice --policy-name Nope
ok "put-group-policy" admin iam put-group-policy --group-name Readers \
    --policy-name GroupInline --policy-document "file://$T/inline.json"
ok "get-group-policy" admin iam get-group-policy --group-name Readers \
    --policy-name GroupInline
check "get-group-policy: names" is '.GroupName + "/" + .PolicyName' Readers/GroupInline
check "get-group-policy: document object" is '.PolicyDocument.Version' 2012-10-17
ok "list-group-policies" admin iam list-group-policies --group-name Readers
check "list-group-policies: GroupInline" is '.PolicyNames | join(",")' GroupInline
ok "delete-group-policy" admin iam delete-group-policy --group-name Readers \
    --policy-name GroupInline
check "delete-group-policy twice: NoSuchEntity" \
    refused NoSuchEntity admin iam delete-group-policy --group-name Readers \
    --policy-name GroupInline

# -------------------------------------------------------- login profiles
log "login profiles"
ok "create-login-profile" admin iam create-login-profile --user-name alice \
    --password 'Correct-Horse-9' --password-reset-required
check "create-login-profile: UserName" is .LoginProfile.UserName alice
check "create-login-profile: PasswordResetRequired" is .LoginProfile.PasswordResetRequired true
check "no password echoed" jqe '.LoginProfile | has("Password") | not'
check "create-login-profile again: EntityAlreadyExists" \
    refused EntityAlreadyExists admin iam create-login-profile --user-name alice \
    --password 'Correct-Horse-9'
check "a weak password: PasswordPolicyViolation" \
    refused PasswordPolicyViolation admin iam update-login-profile \
    --user-name alice --password short
ok "get-login-profile" admin iam get-login-profile --user-name alice
check "get-login-profile: CreateDate" jqe '.LoginProfile.CreateDate | test("^20")'
ok "update-login-profile" admin iam update-login-profile --user-name alice \
    --password 'Battery-Staple-7' --no-password-reset-required
ok "get-login-profile after update" admin iam get-login-profile --user-name alice
check "PasswordResetRequired now false" is .LoginProfile.PasswordResetRequired false
check "update-login-profile of a user without one: NoSuchEntity" \
    refused NoSuchEntity admin iam update-login-profile --user-name admin \
    --password 'Battery-Staple-7'

# -------------------------------------------------------- DeleteConflict
log "a user with dependencies cannot be deleted"
check "user with a login profile: DeleteConflict" \
    refused DeleteConflict admin iam delete-user --user-name alice
ok "delete-login-profile" admin iam delete-login-profile --user-name alice
check "delete-login-profile twice: NoSuchEntity" \
    refused NoSuchEntity admin iam delete-login-profile --user-name alice
check "user with an access key: DeleteConflict" \
    refused DeleteConflict admin iam delete-user --user-name alice
ok "create a user with only a group" admin iam create-user --user-name carol
ok "carol joins Readers" admin iam add-user-to-group --group-name Readers --user-name carol
check "user in a group: DeleteConflict" \
    refused DeleteConflict admin iam delete-user --user-name carol
ok "carol leaves Readers" admin iam remove-user-from-group --group-name Readers --user-name carol
ok "carol gets an inline policy" admin iam put-user-policy --user-name carol \
    --policy-name Self --policy-document "file://$T/inline.json"
check "user with an inline policy: DeleteConflict" \
    refused DeleteConflict admin iam delete-user --user-name carol
ok "delete-user-policy" admin iam delete-user-policy --user-name carol --policy-name Self
ok "carol gets a managed policy" admin iam attach-user-policy --user-name carol \
    --policy-arn "$pol"
check "user with an attached policy: DeleteConflict" \
    refused DeleteConflict admin iam delete-user --user-name carol
ok "detach-user-policy" admin iam detach-user-policy --user-name carol --policy-arn "$pol"
check "detach again: NoSuchEntity" \
    refused NoSuchEntity admin iam detach-user-policy --user-name carol --policy-arn "$pol"
ok "delete-user without dependencies" admin iam delete-user --user-name carol


finish
