/*
 * actions.c - every action wicketd authorizes, with the condition keys
 * AWS's Service Authorization Reference lists for it, and which of them
 * wicketd supplies. wicketd builds each request's context from this table
 * (src/server/authz.c), the simulators build the same one, and the policy
 * lint (lint.c, `wicket policy lint`) warns about conditions on keys an
 * action can never have.
 *
 * Reviewed against the Service Authorization Reference (the actions table
 * and, for the keys of a resource type, the resource types table):
 *   IAM:  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
 *   EC2:  https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
 *   EC2 Instance Connect:
 *         https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2instanceconnect.html
 *   STS:  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html
 *   Global keys: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 *
 * How the rows were read:
 *  - An action's keys are those of its row plus those of the resource type
 *    it acts on. IAM's `user` and `policy` types carry aws:ResourceTag/ and
 *    iam:ResourceTag/; `group` carries none (groups cannot be tagged).
 *    EC2's `instance` type carries aws:ResourceTag/, ec2:ResourceTag/,
 *    ec2:InstanceID, ec2:Region and hardware/placement keys (InstanceType,
 *    Tenancy, ...); EC2 Instance Connect's `instance` type carries
 *    aws:ResourceTag/ and ec2:ResourceTag/.
 *  - Tag-on-request keys: iam:CreateUser, iam:TagUser, iam:CreatePolicy
 *    (aws:RequestTag/, aws:TagKeys), iam:UntagUser (aws:TagKeys),
 *    ec2:CreateTags and ec2:DeleteTags (aws:RequestTag/, aws:TagKeys,
 *    ec2:CreateAction - present only when tagging on create, which wicket
 *    does not do, so absent as on AWS for a direct CreateTags call).
 *  - iam:PolicyARN: Attach/Detach User/Group Policy.
 *  - iam:PermissionsBoundary on iam:CreateUser: wicket has no permissions
 *    boundaries (CreateUser takes none), so the key never has a value.
 *  - ec2:DescribeInstances is not resource-level on AWS, and wicketd
 *    decides it once on "*" as AWS does: only ec2:Region.
 *  - wicket:SingleUse and wicket:SessionRecorded on SendSSHPublicKey are
 *    wicket's own keys (SessionRecorded: true only for a console terminal
 *    that wicketd records, docs/recordings.md).
 *  - wicket's session actions (ListSessions, ListSessionRecordings,
 *    GetSessionRecording, RevokeSessions) act on an instance as
 *    SendSSHPublicKey does, with its keys (docs/sessions.md).
 *
 * A key ending in '/' names a family (aws:RequestTag/KEY). Keys compare
 * ASCII case-insensitively, as IAM compares condition key names.
 */
#include "iam/policy_int.h"

#include <string.h>

/* The keys of each resource type, as the reference lists them. */
#define IAM_USER_KEYS "aws:ResourceTag/ iam:ResourceTag/"
#define IAM_POLICY_KEYS "aws:ResourceTag/ iam:ResourceTag/"
#define EC2_INSTANCE_KEYS \
	"aws:ResourceTag/ ec2:ResourceTag/ ec2:InstanceID ec2:Region"
/* Listed for EC2's instance type, but a wicket host is no EC2 instance:
 * wicketd knows none of these. */
#define EC2_INSTANCE_ABSENT \
	"ec2:Attribute ec2:AvailabilityZone ec2:EbsOptimized " \
	"ec2:InstanceAutoRecovery ec2:InstanceMarketType " \
	"ec2:InstanceMetadataTags ec2:InstanceProfile ec2:InstanceType " \
	"ec2:MetadataHttpEndpoint ec2:MetadataHttpPutResponseHopLimit " \
	"ec2:MetadataHttpTokens ec2:NewInstanceProfile ec2:PlacementGroup " \
	"ec2:ProductCode ec2:RootDeviceType ec2:Tenancy"
#define REQ_TAGS "aws:RequestTag/ aws:TagKeys"
/* EC2 Instance Connect's instance type; wicket's session actions on an
 * instance take the same. */
#define WK_EIC_INSTANCE_KEYS "aws:ResourceTag/ ec2:ResourceTag/"

#define ROW(a, k, x, r) { a, k, x, r }
#define NONE ""

const struct wk_action_keys wk_action_keys_table[] = {
	/* ---- IAM ---- */
	ROW("iam:AddUserToGroup", NONE, NONE, WK_RES_GROUP),
	ROW("iam:AttachGroupPolicy", "iam:PolicyARN", NONE, WK_RES_GROUP),
	ROW("iam:AttachUserPolicy", IAM_USER_KEYS " iam:PolicyARN", NONE,
	    WK_RES_USER),
	ROW("iam:CreateAccessKey", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:CreateGroup", NONE, NONE, WK_RES_GROUP),
	ROW("iam:CreateLoginProfile", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:CreatePolicy", IAM_POLICY_KEYS " " REQ_TAGS, NONE,
	    WK_RES_POLICY),
	ROW("iam:CreatePolicyVersion", IAM_POLICY_KEYS, NONE, WK_RES_POLICY),
	ROW("iam:CreateUser", IAM_USER_KEYS " " REQ_TAGS,
	    "iam:PermissionsBoundary", WK_RES_USER),
	ROW("iam:DeleteAccessKey", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:DeleteGroup", NONE, NONE, WK_RES_GROUP),
	ROW("iam:DeleteGroupPolicy", NONE, NONE, WK_RES_GROUP),
	ROW("iam:DeleteLoginProfile", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:DeletePolicy", IAM_POLICY_KEYS, NONE, WK_RES_POLICY),
	ROW("iam:DeletePolicyVersion", IAM_POLICY_KEYS, NONE, WK_RES_POLICY),
	ROW("iam:DeleteUser", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:DeleteUserPolicy", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:DetachGroupPolicy", "iam:PolicyARN", NONE, WK_RES_GROUP),
	ROW("iam:DetachUserPolicy", IAM_USER_KEYS " iam:PolicyARN", NONE,
	    WK_RES_USER),
	ROW("iam:GetAccessKeyLastUsed", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:GetGroup", NONE, NONE, WK_RES_GROUP),
	ROW("iam:GetGroupPolicy", NONE, NONE, WK_RES_GROUP),
	ROW("iam:GetLoginProfile", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:GetPolicy", IAM_POLICY_KEYS, NONE, WK_RES_POLICY),
	ROW("iam:GetPolicyVersion", IAM_POLICY_KEYS, NONE, WK_RES_POLICY),
	ROW("iam:GetUser", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:GetUserPolicy", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:ListAccessKeys", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:ListAttachedGroupPolicies", NONE, NONE, WK_RES_GROUP),
	ROW("iam:ListAttachedUserPolicies", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:ListEntitiesForPolicy", IAM_POLICY_KEYS, NONE,
	    WK_RES_POLICY),
	ROW("iam:ListGroupPolicies", NONE, NONE, WK_RES_GROUP),
	ROW("iam:ListGroups", NONE, NONE, WK_RES_NONE),
	ROW("iam:ListGroupsForUser", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:ListPolicies", NONE, NONE, WK_RES_NONE),
	ROW("iam:ListPolicyVersions", IAM_POLICY_KEYS, NONE, WK_RES_POLICY),
	ROW("iam:ListUserPolicies", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:ListUserTags", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:ListUsers", NONE, NONE, WK_RES_NONE),
	ROW("iam:PutGroupPolicy", NONE, NONE, WK_RES_GROUP),
	ROW("iam:PutUserPolicy", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:RemoveUserFromGroup", NONE, NONE, WK_RES_GROUP),
	ROW("iam:SetDefaultPolicyVersion", IAM_POLICY_KEYS, NONE,
	    WK_RES_POLICY),
	ROW("iam:SimulateCustomPolicy", NONE, NONE, WK_RES_NONE),
	ROW("iam:SimulatePrincipalPolicy", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:TagUser", IAM_USER_KEYS " " REQ_TAGS, NONE, WK_RES_USER),
	ROW("iam:UntagUser", IAM_USER_KEYS " aws:TagKeys", NONE, WK_RES_USER),
	ROW("iam:UpdateAccessKey", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:UpdateLoginProfile", IAM_USER_KEYS, NONE, WK_RES_USER),
	ROW("iam:UpdateUser", IAM_USER_KEYS, NONE, WK_RES_USER),
	/* ---- STS ---- */
	ROW("sts:GetCallerIdentity", NONE, NONE, WK_RES_NONE),
	/* ---- EC2 ---- */
	ROW("ec2:CreateTags", EC2_INSTANCE_KEYS " " REQ_TAGS
	    " ec2:CreateAction", EC2_INSTANCE_ABSENT, WK_RES_INSTANCE),
	ROW("ec2:DeleteTags", EC2_INSTANCE_KEYS " " REQ_TAGS,
	    EC2_INSTANCE_ABSENT, WK_RES_INSTANCE),
	ROW("ec2:DescribeInstances", "ec2:Region", NONE, WK_RES_NONE),
	/* ---- EC2 Instance Connect ---- */
	ROW("ec2-instance-connect:SendSSHPublicKey", "aws:ResourceTag/ "
	    "ec2:ResourceTag/ ec2:osuser wicket:SingleUse "
	    "wicket:SessionRecorded", NONE,
	    WK_RES_INSTANCE),
	/* ---- wicket's own ---- */
	/* decided on the instance's ARN, with its tags as for a push
	 * (docs/sessions.md); "*" when the request names no instance */
	ROW("wicket:GetSessionRecording", WK_EIC_INSTANCE_KEYS, NONE,
	    WK_RES_INSTANCE),
	ROW("wicket:ListAuditEvents", NONE, NONE, WK_RES_NONE),
	ROW("wicket:ListSessionRecordings", WK_EIC_INSTANCE_KEYS, NONE,
	    WK_RES_INSTANCE),
	ROW("wicket:RevokeSessions", WK_EIC_INSTANCE_KEYS, NONE,
	    WK_RES_INSTANCE),
	ROW("wicket:ListSessions", WK_EIC_INSTANCE_KEYS, NONE,
	    WK_RES_INSTANCE),
	{ NULL, NULL, NULL, WK_RES_NONE },
};

/*
 * Global keys (IAM User Guide, "AWS global condition context keys"): they
 * apply to every action. The first list is what wicketd supplies; the
 * second has no value here (no MFA, organizations, VPCs, roles, sessions
 * or service principals), so a condition on one behaves as for a request
 * that lacks it.
 */
static const char global_supplied[] =
    "aws:CurrentTime aws:EpochTime aws:SecureTransport aws:SourceIp "
    "aws:username aws:userid aws:PrincipalArn aws:PrincipalAccount "
    "aws:PrincipalType aws:PrincipalTag/ aws:RequestedRegion";
static const char global_absent[] =
    "aws:MultiFactorAuthPresent aws:MultiFactorAuthAge aws:PrincipalOrgID "
    "aws:PrincipalOrgPaths aws:PrincipalIsAWSService "
    "aws:PrincipalServiceName aws:PrincipalServiceNamesList aws:SourceVpc "
    "aws:SourceVpce aws:VpcSourceIp aws:SourceVpcArn aws:UserAgent "
    "aws:Referer aws:TokenIssueTime aws:ViaAWSService aws:CalledVia "
    "aws:CalledViaFirst aws:CalledViaLast aws:SourceArn aws:SourceAccount "
    "aws:SourceOrgID aws:SourceOrgPaths aws:ResourceAccount "
    "aws:ResourceOrgID aws:ResourceOrgPaths aws:FederatedProvider "
    "aws:SourceIdentity aws:RoleSessionName aws:Ec2InstanceSourceVpc "
    "aws:Ec2InstanceSourcePrivateIPv4 aws:AssumedRoot";

/* Whether one entry (len bytes) of a key list names key. */
static bool
entry_matches(const char *e, size_t len, const char *key)
{
	size_t i, klen = strlen(key);

	if (len == 0)
		return false;
	if (e[len - 1] == '/') {	/* a family: the prefix and a name */
		if (klen <= len)
			return false;
	} else if (klen != len) {
		return false;
	}
	for (i = 0; i < len; i++)
		if (wk_lc(e[i]) != wk_lc(key[i]))
			return false;
	return true;
}

bool
wk_keylist_has(const char *list, const char *key)
{
	const char *p = list, *end;

	if (list == NULL || key == NULL)
		return false;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		end = p;
		while (*end != '\0' && *end != ' ')
			end++;
		if (entry_matches(p, (size_t)(end - p), key))
			return true;
		p = end;
	}
	return false;
}

const struct wk_action_keys *
wk_action_keys_find(const char *action)
{
	const struct wk_action_keys *a;
	size_t i;

	if (action == NULL)
		return NULL;
	for (a = wk_action_keys_table; a->action != NULL; a++) {
		for (i = 0; a->action[i] != '\0' &&
		    wk_lc(a->action[i]) == wk_lc(action[i]); i++)
			;
		if (a->action[i] == '\0' && action[i] == '\0')
			return a;
	}
	return NULL;
}

bool
wk_action_has_key(const struct wk_action_keys *a, const char *key)
{
	return a != NULL && wk_keylist_has(a->keys, key);
}

enum wk_key_status
wk_condkey_status(const struct wk_action_keys *a, const char *key)
{
	if (wk_keylist_has(global_supplied, key))
		return WK_KEY_SUPPLIED;
	if (a != NULL && wk_keylist_has(a->keys, key))
		return WK_KEY_SUPPLIED;
	if (wk_keylist_has(global_absent, key))
		return WK_KEY_GLOBAL_ABSENT;
	if (a != NULL && wk_keylist_has(a->absent, key))
		return WK_KEY_NEVER_SUPPLIED;
	return WK_KEY_NOT_FOR_ACTION;
}
