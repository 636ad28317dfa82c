#!/usr/bin/env bash
# The IAM API end to end with the real, unmodified `aws iam` (awscli v2),
# part 1 of 4: users, tags and access keys. The other parts, each with its
# own wicketd, run side by side: test_iam_policies.sh (managed policies,
# versions, pagination, teardown), test_iam_groups.sh (groups, attachments,
# inline policies, login profiles, DeleteConflict) and
# test_iam_delegation.sh (IAM authorizing IAM, the simulators).
# Asserts what the CLI prints: jq on its JSON, error codes on its stderr.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/iam_lib.sh"

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


finish
