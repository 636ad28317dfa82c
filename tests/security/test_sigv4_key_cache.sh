#!/usr/bin/env bash
# Attacks on wicketd's cache of SigV4 derived signing keys (issue 14: the
# server keeps each (access key, secret, date, region, service) chain, as
# the SDKs do, instead of deriving it per request). Once a key's chain is
# cached by an honest call:
#  1. a request with the same access key id signed with another secret
#     (a forger who knows the id, which is no secret) is refused;
#  2. the same key signed for another region is refused;
#  3. a deleted access key is refused, and so is one made Inactive; the
#     key that replaced it works;
# each with IAM's error, as without a cache.
. "$(dirname "$0")/../e2e/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"

wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"

aws_as admin iam create-user --user-name bob >/dev/null
k1=$(aws_as admin iam create-access-key --user-name bob)
id1=$(jq -r .AccessKey.AccessKeyId <<<"$k1")
add_profile bob "$id1" "$(jq -r .AccessKey.SecretAccessKey <<<"$k1")"
add_profile forger "$id1" "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY00"

who() { aws_as "$@" sts get-caller-identity 2>&1; }

log "an honest call puts bob's key in the cache"
out=$(who bob)
check "bob is bob" contains "$out" ":user/bob"
out=$(who bob)
check "and again (from the cache)" contains "$out" ":user/bob"

log "1. bob's key id with another secret"
out=$(who forger) && rc=0 || rc=$?
check "forged secret: refused" test "$rc" -ne 0
check "forged secret: SignatureDoesNotMatch" contains "$out" SignatureDoesNotMatch
check "forged secret: not bob" lacks "$out" ":user/bob"

log "2. bob's key signed for another region"
out=$(aws_as bob --region eu-west-1 sts get-caller-identity 2>&1) && rc=0 || rc=$?
check "eu-west-1: refused" test "$rc" -ne 0
check "eu-west-1: SignatureDoesNotMatch" contains "$out" SignatureDoesNotMatch

log "3. bob's key rotated: the old one deleted, the new one made Inactive"
k2=$(aws_as admin iam create-access-key --user-name bob)
id2=$(jq -r .AccessKey.AccessKeyId <<<"$k2")
add_profile bob2 "$id2" "$(jq -r .AccessKey.SecretAccessKey <<<"$k2")"
out=$(who bob2)
check "the new key works" contains "$out" ":user/bob"
aws_as admin iam delete-access-key --user-name bob --access-key-id "$id1"
out=$(who bob) && rc=0 || rc=$?
check "deleted key: refused" test "$rc" -ne 0
check "deleted key: InvalidClientTokenId" contains "$out" InvalidClientTokenId
aws_as admin iam update-access-key --user-name bob --access-key-id "$id2" \
    --status Inactive
out=$(who bob2) && rc=0 || rc=$?
check "inactive key: refused" test "$rc" -ne 0
check "inactive key: not bob" lacks "$out" ":user/bob"
aws_as admin iam update-access-key --user-name bob --access-key-id "$id2" \
    --status Active
out=$(who bob2)
check "active again: works" contains "$out" ":user/bob"

finish
