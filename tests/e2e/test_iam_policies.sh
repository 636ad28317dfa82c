#!/usr/bin/env bash
# The IAM API end to end with the real `aws iam`, part 2 of 4 (see
# test_iam.sh): managed policies, malformed documents, policy versions,
# pagination (also the raw Query API's Marker/IsTruncated), limits, and
# the teardown of a policy in use in IAM's order.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/iam_lib.sh"

# alice is test_iam.sh's; here she only needs to exist, and the group
# Readers is test_iam_groups.sh's (listed and paginated here)
iam_setup CreateUser UserName=alice Path=/team/
iam_setup CreateGroup GroupName=Readers

# ----------------------------------------------------- managed policies
log "managed policies"
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


# ------------------------------------------------------------ pagination
log "pagination"
for i in 1 2 3 4 5; do
	iam_setup CreateUser "UserName=page$i" Path=/page/
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
# API, signed by curl's own SigV4 (raw_iam), shows them.
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
	iam_setup CreatePolicy "PolicyName=PagePol$i" "PolicyDocument@$T/read.json"
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
	iam_setup CreatePolicy "PolicyName=Lim$i" "PolicyDocument@$T/read.json"
	iam_setup AttachUserPolicy UserName=page1 "PolicyArn=$ARN:policy/Lim$i"
done
check "an 11th managed policy on a user: LimitExceeded" \
    refused LimitExceeded admin iam attach-user-policy --user-name page1 \
    --policy-arn "$pol"


# The state the other parts leave the policy in: attached to alice and to
# Readers, alice with an inline policy and an access key
iam_setup AttachUserPolicy UserName=alice "PolicyArn=$pol"
iam_setup AttachGroupPolicy GroupName=Readers "PolicyArn=$pol"
iam_setup PutUserPolicy UserName=alice PolicyName=Self "PolicyDocument@$T/inline.json"
setup_user_key alice alice
alice_key=$setup_key

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
	iam_setup DeletePolicyVersion "PolicyArn=$pol" "VersionId=$v"
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

