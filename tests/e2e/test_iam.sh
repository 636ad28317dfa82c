#!/usr/bin/env bash
# The IAM API end to end with the real, unmodified `aws iam` (awscli v2):
# users, access keys, managed policies and their versions, attachments,
# inline policies, groups, login profiles, tags, the simulators, IAM's
# error codes, pagination, and delegation of IAM itself through policies.
# Asserts what the CLI prints: jq on its JSON, error codes on its stderr.
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
ARN="arn:aws:iam::$ACCOUNT"

# ok "description" PROFILE ARGS...: the command succeeds; its stdout in $out
ok() {
	local what=$1; shift
	if out=$(aws_as "$@" 2>"$T/last.err"); then
		pass "$what"
	else
		fail "$what"
		sed 's/^/# /' "$T/last.err"
	fi
}
# refused CODE PROFILE ARGS...: the command fails and names IAM's error CODE
refused() {
	local code=$1; shift
	if out=$(aws_as "$@" 2>&1); then
		echo "# unexpectedly succeeded: $out"
		return 1
	fi
	if [[ $out != *"($code)"* ]]; then
		echo "# $out"
		return 1
	fi
}
# is FILTER EXPECTED: jq -r FILTER on $out prints EXPECTED
is() {
	local got
	got=$(jq -r "$1" <<<"$out" 2>&1) || true
	if [ "$got" != "$2" ]; then
		echo "# $1: got '$got', want '$2'"
		return 1
	fi
}
# jqe FILTER: jq -e FILTER on $out holds
jqe() { jq -e "$1" <<<"$out" >/dev/null; }

log "wicketd init"
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
admin_key=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
admin_secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
add_profile admin "$admin_key" "$admin_secret"
wicketd_start "$DATA" "$PORT"

# ---------------------------------------------------------------- users
log "users"
ok "create-user" admin iam create-user --user-name alice \
    --path /team/ --tags Key=dept,Value=eng
check "create-user: UserName" is .User.UserName alice
check "create-user: Path" is .User.Path /team/
check "create-user: Arn" is .User.Arn "$ARN:user/team/alice"
check "create-user: AIDA id" jqe '.User.UserId | test("^AIDA[A-Z0-9]{17}$")'
check "create-user: CreateDate" jqe '.User.CreateDate | test("^20[0-9-]+T")'
check "create-user: Tags" is '.User.Tags[0].Key + "=" + .User.Tags[0].Value' dept=eng
alice_id=$(jq -r .User.UserId <<<"$out")
ok "get-user" admin iam get-user --user-name alice
check "get-user: same id" is .User.UserId "$alice_id"
check "get-user: tags" is '.User.Tags | length' 1
ok "get-user without a name is the caller" admin iam get-user
check "get-user: caller is admin" is .User.Arn "$ARN:user/admin"
check "get-user of a missing user: NoSuchEntity" \
    refused NoSuchEntity admin iam get-user --user-name nobody
ok "create-user bob" admin iam create-user --user-name bob
check "create-user Bob after bob: EntityAlreadyExists" \
    refused EntityAlreadyExists admin iam create-user --user-name Bob
ok "get-user finds names case-insensitively" admin iam get-user --user-name BOB
check "get-user BOB: the stored spelling" is .User.UserName bob
check "create-user with a bad name: ValidationError" \
    refused ValidationError admin iam create-user --user-name 'no spaces'
check "create-user with a 65-char name: ValidationError" \
    refused ValidationError admin iam create-user \
    --user-name "$(printf 'a%.0s' $(seq 1 65))"
ok "list-users" admin iam list-users
check "list-users: admin, alice, bob" \
    is '[.Users[].UserName] | sort | join(",")' admin,alice,bob
check "list-users: no tags in the list" jqe '[.Users[] | has("Tags")] | any | not'
ok "list-users --path-prefix" admin iam list-users --path-prefix /team/
check "list-users --path-prefix: only alice" \
    is '[.Users[].UserName] | join(",")' alice
ok "update-user: rename" admin iam update-user --user-name bob \
    --new-user-name robert --new-path /ops/
ok "get-user after rename" admin iam get-user --user-name robert
check "renamed user: Arn" is .User.Arn "$ARN:user/ops/robert"
check "old name is gone: NoSuchEntity" \
    refused NoSuchEntity admin iam get-user --user-name bob
check "update-user onto an existing name: EntityAlreadyExists" \
    refused EntityAlreadyExists admin iam update-user --user-name robert \
    --new-user-name ALICE
check "update-user of a missing user: NoSuchEntity" \
    refused NoSuchEntity admin iam update-user --user-name nobody \
    --new-user-name x
ok "delete-user" admin iam delete-user --user-name robert
check "delete-user twice: NoSuchEntity" \
    refused NoSuchEntity admin iam delete-user --user-name robert

# ---------------------------------------------------------------- tags
log "tags"
ok "tag-user" admin iam tag-user --user-name alice \
    --tags Key=team,Value=red Key=cost,Value=42
ok "list-user-tags" admin iam list-user-tags --user-name alice
check "list-user-tags: three tags" \
    is '[.Tags[] | .Key + "=" + .Value] | sort | join(",")' \
    cost=42,dept=eng,team=red
ok "tag-user overwrites a value" admin iam tag-user --user-name alice \
    --tags Key=team,Value=blue
ok "untag-user" admin iam untag-user --user-name alice --tag-keys cost
ok "list-user-tags after untag" admin iam list-user-tags --user-name alice
check "untag and overwrite took effect" \
    is '[.Tags[] | .Key + "=" + .Value] | sort | join(",")' dept=eng,team=blue
check "tag-user on a missing user: NoSuchEntity" \
    refused NoSuchEntity admin iam tag-user --user-name nobody \
    --tags Key=a,Value=b
many_tags=()
for i in $(seq 1 51); do many_tags+=("Key=k$i,Value=v"); done
check "tag-user with 51 tags in one call: ValidationError" \
    refused ValidationError admin iam tag-user --user-name alice \
    --tags "${many_tags[@]}"
check "tag-user past 50 tags in all: LimitExceeded" \
    refused LimitExceeded admin iam tag-user --user-name alice \
    --tags "${many_tags[@]:0:49}"

# ---------------------------------------------------------- access keys
log "access keys"
ok "create-access-key" admin iam create-access-key --user-name alice
alice_key=$(jq -r .AccessKey.AccessKeyId <<<"$out")
alice_secret=$(jq -r .AccessKey.SecretAccessKey <<<"$out")
check "create-access-key: AKIA id" jqe '.AccessKey.AccessKeyId | test("^AKIA[A-Z0-9]{16}$")'
check "create-access-key: Status Active" is .AccessKey.Status Active
check "create-access-key: UserName" is .AccessKey.UserName alice
check "create-access-key: 40-char secret" test "${#alice_secret}" -eq 40
add_profile alice "$alice_key" "$alice_secret"
ok "get-access-key-last-used before any use" admin iam \
    get-access-key-last-used --access-key-id "$alice_key"
check "last-used: UserName" is .UserName alice
check "last-used: never used (N/A)" is .AccessKeyLastUsed.ServiceName N/A
ok "sts get-caller-identity is always allowed" alice sts get-caller-identity
check "caller is alice" is .Arn "$ARN:user/team/alice"
ok "get-access-key-last-used after use" admin iam \
    get-access-key-last-used --access-key-id "$alice_key"
check "last-used: service sts" is .AccessKeyLastUsed.ServiceName sts
check "last-used: region" is .AccessKeyLastUsed.Region "$REGION"
check "last-used: date" jqe '.AccessKeyLastUsed.LastUsedDate | test("^20")'
ok "second access key" admin iam create-access-key --user-name alice
alice_key2=$(jq -r .AccessKey.AccessKeyId <<<"$out")
check "third access key: LimitExceeded" \
    refused LimitExceeded admin iam create-access-key --user-name alice
ok "list-access-keys" admin iam list-access-keys --user-name alice
check "list-access-keys: two keys" \
    is '[.AccessKeyMetadata[].AccessKeyId] | sort | join(",")' \
    "$(printf '%s\n' "$alice_key" "$alice_key2" | sort | paste -sd,)"
check "list-access-keys: no secrets" jqe '[.AccessKeyMetadata[] | has("SecretAccessKey")] | any | not'
ok "update-access-key Inactive" admin iam update-access-key \
    --user-name alice --access-key-id "$alice_key" --status Inactive
ok "list-access-keys shows Inactive" admin iam list-access-keys --user-name alice
check "status Inactive" is ".AccessKeyMetadata[] | select(.AccessKeyId==\"$alice_key\") | .Status" Inactive
check "an inactive key stops working: InvalidClientTokenId" \
    refused InvalidClientTokenId alice sts get-caller-identity
ok "update-access-key Active" admin iam update-access-key \
    --user-name alice --access-key-id "$alice_key" --status Active
ok "the key works again" alice sts get-caller-identity
check "update-access-key with a bad status: ValidationError" \
    refused ValidationError admin iam update-access-key \
    --user-name alice --access-key-id "$alice_key" --status Sleeping
check "update-access-key of another user's key: NoSuchEntity" \
    refused NoSuchEntity admin iam update-access-key \
    --user-name admin --access-key-id "$alice_key" --status Inactive
ok "delete-access-key" admin iam delete-access-key --user-name alice \
    --access-key-id "$alice_key2"
check "delete-access-key twice: NoSuchEntity" \
    refused NoSuchEntity admin iam delete-access-key --user-name alice \
    --access-key-id "$alice_key2"
add_profile deleted "$alice_key2" "$alice_secret"
check "a deleted key: InvalidClientTokenId" \
    refused InvalidClientTokenId deleted sts get-caller-identity

# ----------------------------------------------------- managed policies
log "managed policies"
cat >"$T/read.json" <<'JSON'
{"Version": "2012-10-17",
 "Statement": [{"Sid": "Read", "Effect": "Allow",
   "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}]}
JSON
ok "create-policy" admin iam create-policy --policy-name IamRead \
    --policy-document "file://$T/read.json" --description "read IAM"
pol="$ARN:policy/IamRead"
check "create-policy: Arn" is .Policy.Arn "$pol"
check "create-policy: DefaultVersionId v1" is .Policy.DefaultVersionId v1
check "create-policy: AttachmentCount 0" is .Policy.AttachmentCount 0
check "create-policy: ANPA id" jqe '.Policy.PolicyId | test("^ANPA")'
check "create-policy again: EntityAlreadyExists" \
    refused EntityAlreadyExists admin iam create-policy --policy-name IamRead \
    --policy-document "file://$T/read.json"
check "create-policy IAMREAD (case): EntityAlreadyExists" \
    refused EntityAlreadyExists admin iam create-policy --policy-name IAMREAD \
    --policy-document "file://$T/read.json"
ok "list-policies --scope AWS" admin iam list-policies --scope AWS
check "AWS-managed AdministratorAccess is listed" \
    jqe '[.Policies[].Arn] | index("arn:aws:iam::aws:policy/AdministratorAccess")'
ok "get-policy" admin iam get-policy --policy-arn "$pol"
check "get-policy: Description" is .Policy.Description "read IAM"
check "get-policy: IsAttachable" is .Policy.IsAttachable true
check "get-policy of a missing policy: NoSuchEntity" \
    refused NoSuchEntity admin iam get-policy --policy-arn "$ARN:policy/Nope"
check "get-policy with a malformed ARN: InvalidInput" \
    refused InvalidInput admin iam get-policy \
    --policy-arn "arn:aws:iam::$ACCOUNT:notapolicy/x"
ok "list-policies --scope Local" admin iam list-policies --scope Local
check "list-policies: IamRead" jqe '[.Policies[].PolicyName] | index("IamRead")'
check "list-policies --scope Local: customer managed only" \
    jqe '[.Policies[].Arn | startswith("arn:aws:iam::aws:")] | any | not'
ok "get-policy-version v1" admin iam get-policy-version --policy-arn "$pol" \
    --version-id v1
check "get-policy-version: Document is an object" is '.PolicyVersion.Document | type' object
check "get-policy-version: Document's statement" \
    is '.PolicyVersion.Document.Statement[0].Sid' Read
check "get-policy-version: IsDefaultVersion" is .PolicyVersion.IsDefaultVersion true
check "get-policy-version v9: NoSuchEntity" \
    refused NoSuchEntity admin iam get-policy-version --policy-arn "$pol" \
    --version-id v9

log "malformed policy documents"
check "bad JSON: MalformedPolicyDocument" \
    refused MalformedPolicyDocument admin iam create-policy --policy-name Bad \
    --policy-document '{"Version": "2012-10-17", "Statement": ['
check "unknown element: MalformedPolicyDocument" \
    refused MalformedPolicyDocument admin iam create-policy --policy-name Bad \
    --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Colour":"red"}]}'
check "Principal in an identity policy: MalformedPolicyDocument" \
    refused MalformedPolicyDocument admin iam create-policy --policy-name Bad \
    --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}'
check "bad Effect: MalformedPolicyDocument" \
    refused MalformedPolicyDocument admin iam put-user-policy --user-name alice \
    --policy-name Bad \
    --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}'
check "inline user policy over 2048 characters: LimitExceeded" \
    refused LimitExceeded admin iam put-user-policy --user-name alice \
    --policy-name Big --policy-document \
    "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":[$(for i in $(seq 1 100); do printf '"arn:aws:s3:::bucket%03d",' "$i"; done)\"*\"]}}"
ok "no policy was created by the refusals" admin iam list-policies --scope Local
check "no policy named Bad" jqe '[.Policies[].PolicyName] | index("Bad") | not'

# ------------------------------------------------------ policy versions
log "policy versions"
for i in 2 3 4 5; do
	ok "create-policy-version $i" admin iam create-policy-version \
	    --policy-arn "$pol" --policy-document "file://$T/read.json"
	check "version v$i" is .PolicyVersion.VersionId "v$i"
done
check "create-policy-version: not default unless asked" is .PolicyVersion.IsDefaultVersion false
check "a sixth version: LimitExceeded" \
    refused LimitExceeded admin iam create-policy-version --policy-arn "$pol" \
    --policy-document "file://$T/read.json"
ok "list-policy-versions" admin iam list-policy-versions --policy-arn "$pol"
check "list-policy-versions: five" is '.Versions | length' 5
check "list-policy-versions: v1 is the default" \
    is '[.Versions[] | select(.IsDefaultVersion) | .VersionId] | join(",")' v1
ok "set-default-policy-version v3" admin iam set-default-policy-version \
    --policy-arn "$pol" --version-id v3
ok "get-policy after set-default" admin iam get-policy --policy-arn "$pol"
check "DefaultVersionId v3" is .Policy.DefaultVersionId v3
check "delete the default version: DeleteConflict" \
    refused DeleteConflict admin iam delete-policy-version --policy-arn "$pol" \
    --version-id v3
ok "delete-policy-version v2" admin iam delete-policy-version \
    --policy-arn "$pol" --version-id v2
ok "create-policy-version --set-as-default" admin iam create-policy-version \
    --policy-arn "$pol" --policy-document "file://$T/read.json" --set-as-default
check "the new version is v6, default" \
    is '.PolicyVersion.VersionId + " " + (.PolicyVersion.IsDefaultVersion|tostring)' "v6 true"
ok "list-policy-versions after the changes" admin iam list-policy-versions --policy-arn "$pol"
check "versions v1 v3 v4 v5 v6" is '[.Versions[].VersionId] | sort | join(",")' v1,v3,v4,v5,v6
check "set-default to a missing version: NoSuchEntity" \
    refused NoSuchEntity admin iam set-default-policy-version \
    --policy-arn "$pol" --version-id v2
check "bad version id: ValidationError" \
    refused ValidationError admin iam get-policy-version --policy-arn "$pol" \
    --version-id 2

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
cat >"$T/inline.json" <<'JSON'
{"Version": "2012-10-17",
 "Statement": {"Effect": "Allow", "Action": "iam:GetUser",
   "Resource": "arn:aws:iam::*:user/${aws:username}"}}
JSON
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

# ------------------------------------------------------------ pagination
log "pagination"
for i in 1 2 3 4 5; do
	aws_as admin iam create-user --user-name "page$i" --path /page/ >/dev/null
done
ok "list-users --max-items 2" admin iam list-users --path-prefix /page/ --max-items 2
check "two users" is '[.Users[].UserName] | join(",")' page1,page2
check "a NextToken" jqe '.NextToken | length > 0'
tok=$(jq -r .NextToken <<<"$out")
ok "list-users --starting-token" admin iam list-users --path-prefix /page/ \
    --max-items 2 --starting-token "$tok"
check "the next two" is '[.Users[].UserName] | join(",")' page3,page4
tok=$(jq -r .NextToken <<<"$out")
ok "list-users: the last page" admin iam list-users --path-prefix /page/ \
    --max-items 2 --starting-token "$tok"
check "the last one" is '[.Users[].UserName] | join(",")' page5
check "no NextToken at the end" jqe 'has("NextToken") | not'
ok "list-users --page-size 2 (CLI follows Marker)" admin iam list-users \
    --path-prefix /page/ --page-size 2
check "all five across pages" is '[.Users[].UserName] | join(",")' page1,page2,page3,page4,page5
# The CLI hides Marker/IsTruncated behind its paginator: the raw Query
# API, signed by curl's own SigV4, shows them.
raw_iam() {	# raw_iam 'Action=...&...': the XML reply on stdout
	curl -s --aws-sigv4 "aws:amz:$REGION:iam" \
	    --user "$admin_key:$admin_secret" \
	    -H 'Content-Type: application/x-www-form-urlencoded' \
	    --data "$1&Version=2010-05-08" "$ENDPOINT/"
}
xml() {	# xml XPATH: evaluated on $out
	"$PY" -c 'import sys, xml.etree.ElementTree as E
ns = {"i": "https://iam.amazonaws.com/doc/2010-05-08/"}
r = E.fromstring(sys.stdin.read())
print(",".join((e.text or "") for e in r.findall(sys.argv[1], ns)))' "$1" <<<"$out"
}
xis() {	# xis XPATH EXPECTED
	local got
	got=$(xml "$1" 2>&1) || true
	if [ "$got" != "$2" ]; then
		echo "# $1: got '$got', want '$2'"
		return 1
	fi
}
out=$(raw_iam 'Action=ListUsers&PathPrefix=/page/&MaxItems=2')
check "raw ListUsers: the response envelope" contains "$out" \
    '<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
check "raw ListUsers: two members" \
    xis 'i:ListUsersResult/i:Users/i:member/i:UserName' page1,page2
check "raw ListUsers: IsTruncated true" xis 'i:ListUsersResult/i:IsTruncated' true
check "raw ListUsers: RequestId" test -n "$(xml 'i:ResponseMetadata/i:RequestId')"
marker=$(xml 'i:ListUsersResult/i:Marker')
check "raw ListUsers: a Marker" test -n "$marker"
out=$(raw_iam "Action=ListUsers&PathPrefix=/page/&MaxItems=10&Marker=$(jq -rn --arg m "$marker" '$m|@uri')")
check "raw ListUsers with the Marker: the other three" \
    xis 'i:ListUsersResult/i:Users/i:member/i:UserName' page3,page4,page5
check "raw ListUsers: IsTruncated false at the end" \
    xis 'i:ListUsersResult/i:IsTruncated' false
check "raw ListUsers: no Marker at the end" xis 'i:ListUsersResult/i:Marker' ''
out=$(raw_iam 'Action=GetUser&UserName=nobody')
check "raw error: ErrorResponse envelope" contains "$out" \
    '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
check "raw error: NoSuchEntity" xis 'i:Error/i:Code' NoSuchEntity
check "raw error: a Sender fault" xis 'i:Error/i:Type' Sender
check "raw error: a message" test -n "$(xml 'i:Error/i:Message')"
check "raw error: RequestId" test -n "$(xml 'i:RequestId')"
out=$(raw_iam 'Action=ListUsers&MaxItems=0')
check "MaxItems 0: ValidationError" xis 'i:Error/i:Code' ValidationError
out=$(raw_iam 'Action=ListUsers&MaxItems=1001')
check "MaxItems 1001: ValidationError" xis 'i:Error/i:Code' ValidationError
out=$(raw_iam 'Action=GetGroup&GroupName=Readers&MaxItems=1')
check "raw GetGroup: IsTruncated false" xis 'i:GetGroupResult/i:IsTruncated' false
out=$(raw_iam 'Action=NoSuchAction')
check "an unknown action: InvalidAction" xis 'i:Error/i:Code' InvalidAction
for i in 1 2 3; do
	aws_as admin iam create-policy --policy-name "PagePol$i" \
	    --policy-document "file://$T/read.json" >/dev/null
done
ok "list-policies --page-size 1" admin iam list-policies --scope Local --page-size 1
check "all local policies across pages" \
    jqe '[.Policies[].PolicyName] | (index("PagePol1") and index("PagePol3") and index("IamRead"))'
check "no duplicates across pages" jqe '[.Policies[].Arn] | length == (unique | length)'
ok "list-policies --max-items 1" admin iam list-policies --scope Local --max-items 1
check "one policy and a NextToken" jqe '(.Policies | length) == 1 and (.NextToken | length > 0)'
ok "list-policy-versions --max-items 2" admin iam list-policy-versions \
    --policy-arn "$pol" --max-items 2
check "two versions and a NextToken" jqe '(.Versions | length) == 2 and (.NextToken | length > 0)'
tok=$(jq -r .NextToken <<<"$out")
ok "list-policy-versions: the rest" admin iam list-policy-versions \
    --policy-arn "$pol" --max-items 10 --starting-token "$tok"
check "three more versions" is '.Versions | length' 3
ok "list-groups --page-size 1" admin iam list-groups --page-size 1
check "list-groups: Readers" is '[.Groups[].GroupName] | join(",")' Readers

log "limits"
for i in $(seq 1 10); do
	aws_as admin iam create-policy --policy-name "Lim$i" \
	    --policy-document "file://$T/read.json" >/dev/null
	aws_as admin iam attach-user-policy --user-name page1 \
	    --policy-arn "$ARN:policy/Lim$i" >/dev/null
done
check "an 11th managed policy on a user: LimitExceeded" \
    refused LimitExceeded admin iam attach-user-policy --user-name page1 \
    --policy-arn "$pol"

# --------------------------------------------------------- cleanup path
log "teardown in IAM's order"
ok "detach from alice" admin iam detach-user-policy --user-name alice --policy-arn "$pol"
ok "detach from Readers" admin iam detach-group-policy --group-name Readers --policy-arn "$pol"
ok "list-attached-group-policies: none" admin iam list-attached-group-policies --group-name Readers
check "nothing attached to Readers" is '.AttachedPolicies | length' 0
check "delete-policy with versions: DeleteConflict" \
    refused DeleteConflict admin iam delete-policy --policy-arn "$pol"
for v in $(aws_as admin iam list-policy-versions --policy-arn "$pol" |
    jq -r '.Versions[] | select(.IsDefaultVersion | not) | .VersionId'); do
	aws_as admin iam delete-policy-version --policy-arn "$pol" \
	    --version-id "$v" >/dev/null
done
ok "list-policy-versions: only the default" admin iam list-policy-versions --policy-arn "$pol"
check "one version left: the default" is '[.Versions[].VersionId] | join(",")' v6
ok "delete-policy" admin iam delete-policy --policy-arn "$pol"
check "get-policy after delete: NoSuchEntity" \
    refused NoSuchEntity admin iam get-policy --policy-arn "$pol"
ok "delete-group Readers" admin iam delete-group --group-name Readers
ok "delete-user-policy Self" admin iam delete-user-policy --user-name alice --policy-name Self
ok "delete-access-key" admin iam delete-access-key --user-name alice --access-key-id "$alice_key"
ok "delete-user alice" admin iam delete-user --user-name alice
check "alice's key no longer works" \
    refused InvalidClientTokenId alice sts get-caller-identity
out=$(aws_as admin sts get-caller-identity)
check "the server still serves" is .Arn "$ARN:user/admin"

finish
