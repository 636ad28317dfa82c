/*
 * test_condition_keys.c - the condition-key table against what wicketd
 * serves, and simulation against enforcement:
 *  - every action of the action tables (IAM, STS, EC2, JSON; the console
 *    uses the same IAM actions) has a row, and every row is served;
 *  - for each action, under policies that Deny or Allow on each of the
 *    keys its row lists (and on some it does not), the real handler and
 *    SimulatePrincipalPolicy (given the request's own keys as
 *    ContextEntries, the resource's keys built from the store) decide
 *    alike.
 */
#include "../iam/test_iam_fixture.h"

#include <jansson.h>

#include "common/time.h"
#include "crypto/signkey.h"
#include "server/hub/agent_hub.h"
#include "server/ec2/ec2.h"
#include "server/eic/eic.h"

#define ARN "arn:aws:iam::" FX_ACCOUNT ":"
#define BOB ARN "user/bob"
#define G1 ARN "group/g1"
#define P1 ARN "policy/p1"
#define INST "i-0123456789abcdef0"
#define INST_ARN "arn:aws:ec2:us-east-1:" FX_ACCOUNT ":instance/" INST
#define ED_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICKXrB4K/csCCuynn0NOOS4a" \
	"Y18ij0TeNcjIxiJpb+S5"
#define DOC_ALLOW "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":" \
	"\"Allow\",\"Action\":\"iam:GetUser\",\"Resource\":\"*\"}]}"
#define AKID_LEN 20

/* ---- every served action has a row, and every row is served ---- */

/* The IAM action an API operation authorizes. */
static void
iam_action_of(const struct wk_api_action *a, char *out, size_t outsz)
{
	switch (a->protocol) {
	case WK_PROTO_QUERY_IAM:
		snprintf(out, outsz, "iam:%s", a->name);
		break;
	case WK_PROTO_QUERY_STS:
		snprintf(out, outsz, "sts:%s", a->name);
		break;
	case WK_PROTO_QUERY_EC2:
		snprintf(out, outsz, "ec2:%s", a->name);
		break;
	case WK_PROTO_JSON:
	default:
		if (strcmp(a->target_prefix,
		    "AWSEC2InstanceConnectService") == 0)
			snprintf(out, outsz, "ec2-instance-connect:%s",
			    a->name);
		else if (strcmp(a->name, "DescribeInstances") == 0)
			/* WicketService.DescribeInstances and the console */
			snprintf(out, outsz, "ec2:DescribeInstances");
		else
			snprintf(out, outsz, "wicket:%s", a->name);
		break;
	}
}

static const struct wk_api_action *const *const tables[] = {
	wk_iam_actions, wk_sts_actions, wk_ec2_actions, wk_json_actions,
};

static void
test_table_covers_actions(void **state)
{
	const struct wk_action_keys *row;
	char name[160];
	size_t t, i;

	(void)state;
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (i = 0; tables[t][i] != NULL; i++) {
			iam_action_of(tables[t][i], name, sizeof(name));
			if (wk_action_keys_find(name) == NULL)
				fail_msg("served action %s has no row", name);
		}
	for (row = wk_action_keys_table; row->action != NULL; row++) {
		bool served = false;

		for (t = 0; t < sizeof(tables) / sizeof(tables[0]) && !served;
		    t++)
			for (i = 0; tables[t][i] != NULL && !served; i++) {
				iam_action_of(tables[t][i], name,
				    sizeof(name));
				served = strcmp(name, row->action) == 0;
			}
		if (!served)
			fail_msg("row %s names no served action", row->action);
	}
	/* the keys handlers add themselves are in their rows */
	row = wk_action_keys_find(WK_EC2IC_ACTION);
	assert_true(wk_action_has_key(row, "ec2:osuser"));
	assert_true(wk_action_has_key(row, "wicket:SingleUse"));
}

/* ---- simulation == enforcement ---- */

/* One action as the test calls it. */
struct spec {
	const char *action;		/* IAM action */
	const char *op;			/* API operation name */
	const char *res[2];		/* resources it authorizes (sim) */
	const char *params[16];		/* Query name/value pairs, NULL-ended */
	const char *ctx[8];		/* request keys: name/value pairs */
	const char *json;		/* JSON body (JSON protocol) */
};

#define PUSH_JSON "{\"InstanceId\":\"" INST "\",\"InstanceOSUser\":" \
	"\"root\",\"SSHPublicKey\":\"" ED_KEY "\"}"

static const struct spec specs[] = {
	{ "iam:AttachUserPolicy", "AttachUserPolicy", { BOB },
	    { "UserName", "bob", "PolicyArn", P1 },
	    { "iam:PolicyARN", P1 }, NULL },
	{ "iam:DetachUserPolicy", "DetachUserPolicy", { BOB },
	    { "UserName", "bob", "PolicyArn", P1 },
	    { "iam:PolicyARN", P1 }, NULL },
	{ "iam:ListAttachedUserPolicies", "ListAttachedUserPolicies", { BOB },
	    { "UserName", "bob" }, { NULL }, NULL },
	{ "iam:AttachGroupPolicy", "AttachGroupPolicy", { G1 },
	    { "GroupName", "g1", "PolicyArn", P1 },
	    { "iam:PolicyARN", P1 }, NULL },
	{ "iam:DetachGroupPolicy", "DetachGroupPolicy", { G1 },
	    { "GroupName", "g1", "PolicyArn", P1 },
	    { "iam:PolicyARN", P1 }, NULL },
	{ "iam:ListAttachedGroupPolicies", "ListAttachedGroupPolicies", { G1 },
	    { "GroupName", "g1" }, { NULL }, NULL },
	{ "iam:CreateGroup", "CreateGroup", { ARN "group/g2" },
	    { "GroupName", "g2" }, { NULL }, NULL },
	{ "iam:GetGroup", "GetGroup", { G1 }, { "GroupName", "g1" },
	    { NULL }, NULL },
	{ "iam:ListGroups", "ListGroups", { ARN "group/" }, { NULL },
	    { NULL }, NULL },
	{ "iam:DeleteGroup", "DeleteGroup", { G1 }, { "GroupName", "g1" },
	    { NULL }, NULL },
	{ "iam:AddUserToGroup", "AddUserToGroup", { G1 },
	    { "GroupName", "g1", "UserName", "eve" }, { NULL }, NULL },
	{ "iam:RemoveUserFromGroup", "RemoveUserFromGroup", { G1 },
	    { "GroupName", "g1", "UserName", "bob" }, { NULL }, NULL },
	{ "iam:ListGroupsForUser", "ListGroupsForUser", { BOB },
	    { "UserName", "bob" }, { NULL }, NULL },
	{ "iam:PutUserPolicy", "PutUserPolicy", { BOB },
	    { "UserName", "bob", "PolicyName", "y", "PolicyDocument",
	    DOC_ALLOW }, { NULL }, NULL },
	{ "iam:GetUserPolicy", "GetUserPolicy", { BOB },
	    { "UserName", "bob", "PolicyName", "x" }, { NULL }, NULL },
	{ "iam:ListUserPolicies", "ListUserPolicies", { BOB },
	    { "UserName", "bob" }, { NULL }, NULL },
	{ "iam:DeleteUserPolicy", "DeleteUserPolicy", { BOB },
	    { "UserName", "bob", "PolicyName", "x" }, { NULL }, NULL },
	{ "iam:PutGroupPolicy", "PutGroupPolicy", { G1 },
	    { "GroupName", "g1", "PolicyName", "y", "PolicyDocument",
	    DOC_ALLOW }, { NULL }, NULL },
	{ "iam:GetGroupPolicy", "GetGroupPolicy", { G1 },
	    { "GroupName", "g1", "PolicyName", "x" }, { NULL }, NULL },
	{ "iam:ListGroupPolicies", "ListGroupPolicies", { G1 },
	    { "GroupName", "g1" }, { NULL }, NULL },
	{ "iam:DeleteGroupPolicy", "DeleteGroupPolicy", { G1 },
	    { "GroupName", "g1", "PolicyName", "x" }, { NULL }, NULL },
	{ "iam:CreateAccessKey", "CreateAccessKey", { BOB },
	    { "UserName", "bob" }, { NULL }, NULL },
	{ "iam:ListAccessKeys", "ListAccessKeys", { BOB },
	    { "UserName", "bob" }, { NULL }, NULL },
	{ "iam:UpdateAccessKey", "UpdateAccessKey", { BOB },
	    { "UserName", "bob", "AccessKeyId", "@KEY", "Status",
	    "Inactive" }, { NULL }, NULL },
	{ "iam:DeleteAccessKey", "DeleteAccessKey", { BOB },
	    { "UserName", "bob", "AccessKeyId", "@KEY" }, { NULL }, NULL },
	{ "iam:GetAccessKeyLastUsed", "GetAccessKeyLastUsed", { BOB },
	    { "AccessKeyId", "@KEY" }, { NULL }, NULL },
	{ "iam:CreateLoginProfile", "CreateLoginProfile", { BOB },
	    { "UserName", "bob", "Password", "Correct-Horse-9" }, { NULL },
	    NULL },
	{ "iam:GetLoginProfile", "GetLoginProfile", { BOB },
	    { "UserName", "bob" }, { NULL }, NULL },
	{ "iam:UpdateLoginProfile", "UpdateLoginProfile", { BOB },
	    { "UserName", "bob", "Password", "Correct-Horse-8" }, { NULL },
	    NULL },
	{ "iam:DeleteLoginProfile", "DeleteLoginProfile", { BOB },
	    { "UserName", "bob" }, { NULL }, NULL },
	{ "iam:CreatePolicy", "CreatePolicy", { ARN "policy/p2" },
	    { "PolicyName", "p2", "PolicyDocument", DOC_ALLOW }, { NULL },
	    NULL },
	{ "iam:GetPolicy", "GetPolicy", { P1 }, { "PolicyArn", P1 },
	    { NULL }, NULL },
	{ "iam:ListPolicies", "ListPolicies", { ARN "policy/" }, { NULL },
	    { NULL }, NULL },
	{ "iam:DeletePolicy", "DeletePolicy", { P1 }, { "PolicyArn", P1 },
	    { NULL }, NULL },
	{ "iam:ListEntitiesForPolicy", "ListEntitiesForPolicy", { P1 },
	    { "PolicyArn", P1 }, { NULL }, NULL },
	{ "iam:CreatePolicyVersion", "CreatePolicyVersion", { P1 },
	    { "PolicyArn", P1, "PolicyDocument", DOC_ALLOW }, { NULL },
	    NULL },
	{ "iam:GetPolicyVersion", "GetPolicyVersion", { P1 },
	    { "PolicyArn", P1, "VersionId", "v1" }, { NULL }, NULL },
	{ "iam:ListPolicyVersions", "ListPolicyVersions", { P1 },
	    { "PolicyArn", P1 }, { NULL }, NULL },
	{ "iam:DeletePolicyVersion", "DeletePolicyVersion", { P1 },
	    { "PolicyArn", P1, "VersionId", "v1" }, { NULL }, NULL },
	{ "iam:SetDefaultPolicyVersion", "SetDefaultPolicyVersion", { P1 },
	    { "PolicyArn", P1, "VersionId", "v1" }, { NULL }, NULL },
	{ "iam:SimulatePrincipalPolicy", "SimulatePrincipalPolicy", { BOB },
	    { "PolicySourceArn", BOB, "ActionNames.member.1", "iam:GetUser" },
	    { NULL }, NULL },
	{ "iam:SimulateCustomPolicy", "SimulateCustomPolicy", { "*" },
	    { "PolicyInputList.member.1", DOC_ALLOW, "ActionNames.member.1",
	    "iam:GetUser" }, { NULL }, NULL },
	{ "iam:TagUser", "TagUser", { BOB },
	    { "UserName", "bob", "Tags.member.1.Key", "team",
	    "Tags.member.1.Value", "dev" },
	    { "aws:TagKeys", "team", "aws:RequestTag/team", "dev" }, NULL },
	{ "iam:UntagUser", "UntagUser", { BOB },
	    { "UserName", "bob", "TagKeys.member.1", "team" },
	    { "aws:TagKeys", "team" }, NULL },
	{ "iam:ListUserTags", "ListUserTags", { BOB }, { "UserName", "bob" },
	    { NULL }, NULL },
	{ "iam:CreateUser", "CreateUser", { ARN "user/carol" },
	    { "UserName", "carol", "Tags.member.1.Key", "team",
	    "Tags.member.1.Value", "ops" },
	    { "aws:TagKeys", "team", "aws:RequestTag/team", "ops" }, NULL },
	{ "iam:GetUser", "GetUser", { BOB }, { "UserName", "bob" }, { NULL },
	    NULL },
	{ "iam:ListUsers", "ListUsers", { ARN "user/" }, { NULL }, { NULL },
	    NULL },
	{ "iam:UpdateUser", "UpdateUser", { BOB, ARN "user/bob2" },
	    { "UserName", "bob", "NewUserName", "bob2" }, { NULL }, NULL },
	{ "iam:DeleteUser", "DeleteUser", { BOB }, { "UserName", "bob" },
	    { NULL }, NULL },
	{ "ec2:CreateTags", "CreateTags", { INST_ARN },
	    { "ResourceId.1", INST, "Tag.1.Key", "team", "Tag.1.Value",
	    "dev" }, { "aws:TagKeys", "team", "aws:RequestTag/team", "dev" },
	    NULL },
	{ "ec2:DeleteTags", "DeleteTags", { INST_ARN },
	    { "ResourceId.1", INST, "Tag.1.Key", "team" },
	    { "aws:TagKeys", "team" }, NULL },
	/* no tags named: every tag goes, so every key is in aws:TagKeys */
	{ "ec2:DeleteTags", "DeleteTags", { INST_ARN },
	    { "ResourceId.1", INST }, { NULL }, NULL },
	/* not resource-level: decided once, on "*" (as on AWS) */
	{ "ec2:DescribeInstances", "DescribeInstances", { "*" },
	    { "InstanceId.1", INST }, { NULL }, NULL },
	{ WK_EC2IC_ACTION, "SendSSHPublicKey", { INST_ARN }, { NULL },
	    { "ec2:osuser", "root", "wicket:SingleUse", "false",
	    "wicket:SessionRecorded", "false" }, PUSH_JSON },
	{ "wicket:ListAuditEvents", "ListAuditEvents", { "*" }, { NULL },
	    { NULL }, "{}" },
	/* the session actions on the instance they name, with its tags */
	{ "wicket:ListSessionRecordings", "ListSessionRecordings",
	    { INST_ARN }, { NULL }, { NULL }, "{\"InstanceId\":\"" INST "\"}" },
	{ "wicket:ListSessions", "ListSessions", { INST_ARN }, { NULL },
	    { NULL }, "{\"InstanceId\":\"" INST "\"}" },
	{ "wicket:RevokeSessions", "RevokeSessions", { INST_ARN }, { NULL },
	    { NULL }, "{\"InstanceId\":\"" INST "\",\"OsUser\":\"nobody\"}" },
};

/* eve's policies: an Allow of everything with one Deny on one key, or an
 * Allow on one key alone. */
#define ALLOW_ALL "{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},"
#define DENY_IF(op, key, val) "{\"Version\":\"2012-10-17\",\"Statement\":[" \
	ALLOW_ALL "{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"," \
	"\"Condition\":{\"" op "\":{\"" key "\":" val "}}}]}"
#define ALLOW_IF(op, key, val) "{\"Version\":\"2012-10-17\",\"Statement\":[" \
	"{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"," \
	"\"Condition\":{\"" op "\":{\"" key "\":" val "}}}]}"

static const char *const policies[] = {
	DENY_IF("StringEquals", "aws:ResourceTag/team", "\"ops\""),
	DENY_IF("StringEquals", "iam:ResourceTag/team", "\"ops\""),
	DENY_IF("StringEquals", "ec2:ResourceTag/team", "\"ops\""),
	DENY_IF("ArnLike", "iam:PolicyARN", "\"*p1*\""),
	DENY_IF("ForAnyValue:StringEquals", "aws:TagKeys", "\"team\""),
	DENY_IF("StringEquals", "aws:RequestTag/team", "[\"dev\",\"ops\"]"),
	DENY_IF("StringEquals", "ec2:osuser", "\"root\""),
	DENY_IF("StringEquals", "ec2:Region", "\"us-east-1\""),
	DENY_IF("StringEquals", "ec2:InstanceID", "\"" INST "\""),
	DENY_IF("StringEquals", "wicket:SingleUse", "\"false\""),
	DENY_IF("Bool", "wicket:SessionRecorded", "\"false\""),
	DENY_IF("StringEquals", "aws:PrincipalTag/dept", "\"eng\""),
	ALLOW_IF("ForAllValues:StringEquals", "aws:TagKeys", "[\"nickname\"]"),
	ALLOW_IF("StringEquals", "aws:username", "\"eve\""),
	ALLOW_IF("StringEquals", "aws:ResourceTag/team", "\"ops\""),
	ALLOW_IF("StringNotEquals", "iam:PolicyARN", "\"" P1 "\""),
};

struct cfx {
	struct fx *f;
	struct wk_caller eve;
	char key_id[AKID_LEN + 1];
};

static void
cfx_setup(struct cfx *c)
{
	static const struct wk_tag inst_tags[] = {
		{ "team", "ops" }, { "Env", "prod" },
	};
	struct wk_instance in;
	struct wk_tag dept = { "dept", "eng" };
	void *st = NULL;
	const char *p;
	struct fx *f;

	assert_int_equal(fx_setup(&st), 0);
	c->f = f = st;
	assert_int_equal(wk_agent_hub_new(&f->srv, &f->srv.hub), 0);
	assert_int_equal(wk_signkey_generate(&f->srv.signkey), 0);
	f->srv.cfg.key_ttl_seconds = 60;
	f->srv.cfg.agent_poll_seconds = 25;
	f->srv.cfg.agent_offline_seconds = 70;
	fx_make_user(f, "eve", &c->eve);
	assert_int_equal(wk_store_user_tags_set(f->srv.store, "eve", &dept, 1),
	    0);
	CALL_OK(f, "CreateUser", "UserName", "bob", "Tags.member.1.Key",
	    "team", "Tags.member.1.Value", "ops");
	CALL_OK(f, "CreateGroup", "GroupName", "g1");
	CALL_OK(f, "AddUserToGroup", "GroupName", "g1", "UserName", "bob");
	CALL_OK(f, "CreatePolicy", "PolicyName", "p1", "PolicyDocument",
	    DOC_ALLOW);
	CALL_OK(f, "AttachUserPolicy", "UserName", "bob", "PolicyArn", P1);
	CALL_OK(f, "PutUserPolicy", "UserName", "bob", "PolicyName", "x",
	    "PolicyDocument", DOC_ALLOW);
	CALL_OK(f, "PutGroupPolicy", "GroupName", "g1", "PolicyName", "x",
	    "PolicyDocument", DOC_ALLOW);
	CALL_OK(f, "CreateLoginProfile", "UserName", "bob", "Password",
	    "Correct-Horse-7");
	CALL_OK(f, "CreateAccessKey", "UserName", "bob");
	assert_non_null(p = strstr(xml(f), "<AccessKeyId>"));
	snprintf(c->key_id, sizeof(c->key_id), "%s", p + 13);
	memset(&in, 0, sizeof(in));
	snprintf(in.id, sizeof(in.id), INST);
	snprintf(in.hostname, sizeof(in.hostname), "prod-1");
	snprintf(in.address, sizeof(in.address), "10.0.0.1");
	in.ssh_port = 22;
	in.host_keys = (char *)(uintptr_t)ED_KEY;
	snprintf(in.agent_secret_hash, sizeof(in.agent_secret_hash), "%064d",
	    0);
	in.create_date = in.last_seen = time(NULL);
	assert_int_equal(wk_store_instance_create(f->srv.store, &in), 0);
	assert_int_equal(wk_store_instance_tags_set(f->srv.store, INST,
	    inst_tags, 2), 0);
}

static void
cfx_teardown(struct cfx *c)
{
	void *st = c->f;

	wk_agent_hub_free(c->f->srv.hub);
	wk_signkey_free(c->f->srv.signkey);
	fx_teardown(&st);
}

/* ---- the builder ---- */

static struct wk_ctx *
build(struct cfx *c, const char *action, const char *res,
    const struct wk_params *params, const struct wk_ctx *extra,
    const struct wk_ctx *override, bool principal_only)
{
	struct wk_authz_principal pr;
	struct wk_authz_input in;
	struct wk_ctx *ctx = NULL;

	memset(&pr, 0, sizeof(pr));
	pr.user = &c->eve.user;
	pr.account_id = FX_ACCOUNT;
	pr.region = "us-east-1";
	pr.source_ip = "10.0.0.9";
	pr.now = 1700000000;
	pr.principal_only = principal_only;
	memset(&in, 0, sizeof(in));
	in.action = action;
	in.resource = res;
	in.principal = &pr;
	in.account_id = FX_ACCOUNT;
	in.region = "us-east-1";
	in.params = params;
	in.extra = extra;
	in.override = override;
	assert_int_equal(wk_authz_request_context(c->f->srv.store, &in, &ctx),
	    0);
	return ctx;
}

#define HAS_KEY(ctx, k, v) do {						\
	const char *v_ = wk_ctx_get((ctx), (k), 0);			\
	if (v_ == NULL || strcmp(v_, (v)) != 0)				\
		fail_msg("%s: %s, not %s", (k), v_ != NULL ? v_ :	\
		    "(absent)", (v));					\
} while (0)
#define NO_KEY(ctx, k) do {						\
	if (wk_ctx_count((ctx), (k)) != 0)				\
		fail_msg("%s present", (k));				\
} while (0)

static void
test_builder(void **state)
{
	struct wk_param pv[4] = {
		{ (char *)(uintptr_t)"Tags.member.1.Key",
		    (char *)(uintptr_t)"team" },
		{ (char *)(uintptr_t)"Tags.member.1.Value",
		    (char *)(uintptr_t)"dev" },
		{ (char *)(uintptr_t)"PolicyArn", (char *)(uintptr_t)P1 },
	};
	struct wk_params params = { pv, 3 };
	struct wk_ctx *ctx, *extra, *ov;
	struct cfx c;

	(void)state;
	memset(&c, 0, sizeof(c));
	cfx_setup(&c);
	/* request tags and the target user's tags, both families */
	ctx = build(&c, "iam:TagUser", BOB, &params, NULL, NULL, false);
	HAS_KEY(ctx, "aws:TagKeys", "team");
	HAS_KEY(ctx, "aws:RequestTag/team", "dev");
	HAS_KEY(ctx, "aws:ResourceTag/team", "ops");
	HAS_KEY(ctx, "iam:ResourceTag/team", "ops");
	HAS_KEY(ctx, "aws:username", "eve");
	HAS_KEY(ctx, "aws:PrincipalTag/dept", "eng");
	HAS_KEY(ctx, "aws:SourceIp", "10.0.0.9");
	NO_KEY(ctx, "iam:PolicyARN");	/* not in TagUser's row */
	NO_KEY(ctx, "ec2:Region");
	wk_ctx_free(ctx);
	/* only what the row lists: GetUser takes no request tags */
	ctx = build(&c, "iam:GetUser", BOB, &params, NULL, NULL, false);
	NO_KEY(ctx, "aws:TagKeys");
	NO_KEY(ctx, "aws:RequestTag/team");
	HAS_KEY(ctx, "iam:ResourceTag/team", "ops");
	wk_ctx_free(ctx);
	/* groups carry no tags; the policy ARN is the request's */
	ctx = build(&c, "iam:AttachGroupPolicy", G1, &params, NULL, NULL,
	    false);
	HAS_KEY(ctx, "iam:PolicyARN", P1);
	NO_KEY(ctx, "aws:ResourceTag/team");
	wk_ctx_free(ctx);
	/* a user of another account, or under another path: no tags */
	ctx = build(&c, "iam:GetUser", "arn:aws:iam::999999999999:user/bob",
	    NULL, NULL, NULL, false);
	NO_KEY(ctx, "aws:ResourceTag/team");
	wk_ctx_free(ctx);
	ctx = build(&c, "iam:GetUser", ARN "user/x/bob", NULL, NULL, NULL,
	    false);
	NO_KEY(ctx, "aws:ResourceTag/team");
	wk_ctx_free(ctx);
	/* an instance: its tags in both families, its id, the region */
	ctx = build(&c, "ec2:CreateTags", INST_ARN, NULL, NULL, NULL, false);
	HAS_KEY(ctx, "ec2:ResourceTag/Env", "prod");
	HAS_KEY(ctx, "aws:ResourceTag/Env", "prod");
	HAS_KEY(ctx, "ec2:InstanceID", INST);
	HAS_KEY(ctx, "ec2:Region", "us-east-1");
	wk_ctx_free(ctx);
	/* DeleteTags naming no tag removes them all: all are TagKeys */
	ctx = build(&c, "ec2:DeleteTags", INST_ARN, NULL, NULL, NULL, false);
	assert_int_equal(wk_ctx_count(ctx, "aws:TagKeys"), 2);
	wk_ctx_free(ctx);
	/* the push: the handler's keys, the instance's tags */
	assert_int_equal(wk_ctx_new(&extra), 0);
	assert_int_equal(wk_ctx_add(extra, "ec2:osuser", "root"), 0);
	ctx = build(&c, WK_EC2IC_ACTION, INST_ARN, NULL, extra, NULL, false);
	HAS_KEY(ctx, "ec2:osuser", "root");
	HAS_KEY(ctx, "ec2:ResourceTag/Env", "prod");
	HAS_KEY(ctx, "aws:ResourceTag/Env", "prod");
	wk_ctx_free(ctx);
	wk_ctx_free(extra);
	/* the simulators: the principal's own keys, ContextEntries replace */
	assert_int_equal(wk_ctx_new(&ov), 0);
	assert_int_equal(wk_ctx_add(ov, "AWS:ResourceTag/Env", "dev"), 0);
	ctx = build(&c, WK_EC2IC_ACTION, INST_ARN, NULL, NULL, ov, true);
	assert_int_equal(wk_ctx_count(ctx, "aws:ResourceTag/Env"), 1);
	HAS_KEY(ctx, "aws:ResourceTag/Env", "dev");
	HAS_KEY(ctx, "ec2:ResourceTag/Env", "prod");
	HAS_KEY(ctx, "aws:username", "eve");
	NO_KEY(ctx, "aws:SourceIp");
	NO_KEY(ctx, "aws:CurrentTime");
	wk_ctx_free(ctx);
	wk_ctx_free(ov);
	cfx_teardown(&c);
}

/* Runs the spec's operation as caller; true when it was refused by policy. */
static bool
run_real(struct cfx *c, const struct spec *s)
{
	const struct wk_api_action *act = NULL;
	struct fx *f = c->f;
	struct wk_api_req req;
	const char *v;
	json_t *json = NULL;
	size_t t, i;

	fx_params_free(f);
	for (i = 0; s->params[i] != NULL; i += 2) {
		v = strcmp(s->params[i + 1], "@KEY") == 0 ? c->key_id :
		    s->params[i + 1];
		f->pv[f->params.n].name = strdup(s->params[i]);
		f->pv[f->params.n].value = strdup(v);
		f->params.n++;
	}
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]) && act == NULL;
	    t++)
		for (i = 0; tables[t][i] != NULL; i++) {
			char name[160];

			iam_action_of(tables[t][i], name, sizeof(name));
			if (strcmp(tables[t][i]->name, s->op) == 0 &&
			    strcmp(name, s->action) == 0)
				act = tables[t][i];
		}
	assert_non_null(act);
	wk_buf_reset(&f->resp.xml);
	json_decref(f->resp.json);
	f->resp.json = NULL;
	f->resp.status = 0;
	f->resp.error_code[0] = '\0';
	f->resp.error_message[0] = '\0';
	memset(&req, 0, sizeof(req));
	req.srv = &f->srv;
	req.caller = &c->eve;
	req.request_id = "00000000-0000-4000-8000-000000000000";
	req.source_ip = "127.0.0.1";
	req.now = time(NULL);
	req.via = "api";
	if (s->json != NULL) {
		assert_non_null(json = json_loads(s->json, 0, NULL));
		req.json = json;
	} else {
		req.params = &f->params;
	}
	wk_ec2ic_throttle_reset();
	(void)act->handle(&req, &f->resp);
	json_decref(json);
	json_decref(f->resp.json);
	f->resp.json = NULL;
	return strstr(f->resp.error_message, "is not authorized") != NULL ||
	    strcmp(f->resp.error_code, "UnauthorizedOperation") == 0;
}

/* SimulatePrincipalPolicy for eve: true when any resource is refused. */
static bool
run_sim(struct cfx *c, const struct spec *s)
{
	const char *pv[40];
	char names[8][96];
	struct fx *f = c->f;
	size_t n = 0, i, k;
	bool denied;

	pv[n++] = "PolicySourceArn";
	pv[n++] = c->eve.user.arn;
	pv[n++] = "ActionNames.member.1";
	pv[n++] = s->action;
	for (i = 0; i < 2 && s->res[i] != NULL; i++) {
		pv[n++] = i == 0 ? "ResourceArns.member.1" :
		    "ResourceArns.member.2";
		pv[n++] = s->res[i];
	}
	for (i = 0, k = 0; s->ctx[i] != NULL; i += 2, k++) {
		snprintf(names[2 * k], sizeof(names[0]),
		    "ContextEntries.member.%zu.ContextKeyName", k + 1);
		snprintf(names[2 * k + 1], sizeof(names[0]),
		    "ContextEntries.member.%zu.ContextKeyValues.member.1", k + 1);
		pv[n++] = names[2 * k];
		pv[n++] = s->ctx[i];
		pv[n++] = names[2 * k + 1];
		pv[n++] = s->ctx[i + 1];
	}
	f->caller = &f->admin;
	fx_params_free(f);
	for (i = 0; i < n; i += 2) {
		f->pv[f->params.n].name = strdup(pv[i]);
		f->pv[f->params.n].value = strdup(pv[i + 1]);
		f->params.n++;
	}
	/* call() takes varargs; run the handler directly instead */
	{
		struct wk_api_req req;
		const struct wk_api_action *act = NULL;

		for (i = 0; wk_iam_actions[i] != NULL; i++)
			if (strcmp(wk_iam_actions[i]->name,
			    "SimulatePrincipalPolicy") == 0)
				act = wk_iam_actions[i];
		wk_buf_reset(&f->resp.xml);
		f->resp.error_code[0] = '\0';
		memset(&req, 0, sizeof(req));
		req.srv = &f->srv;
		req.caller = &f->admin;
		req.request_id = "00000000-0000-4000-8000-000000000001";
		req.source_ip = "127.0.0.1";
		req.now = time(NULL);
		req.params = &f->params;
		assert_int_equal(act->handle(&req, &f->resp), 0);
	}
	denied = strstr(xml(f), "<EvalDecision>explicitDeny") != NULL ||
	    strstr(xml(f), "<EvalDecision>implicitDeny") != NULL;
	return denied;
}

static void
test_simulated_equals_enforced(void **state)
{
	size_t s, p, ndenied = 0, nallowed = 0;
	struct cfx c;
	bool sim, real;

	(void)state;
	/*
	 * One fixture per action: an allowed call may change what the next
	 * policy sees (a tag, a deleted user), but simulation and call always
	 * see the same state, which is what is compared.
	 */
	for (s = 0; s < sizeof(specs) / sizeof(specs[0]); s++) {
		memset(&c, 0, sizeof(c));
		cfx_setup(&c);
		for (p = 0; p < sizeof(policies) / sizeof(policies[0]); p++) {
			assert_int_equal(wk_store_user_policy_put(
			    c.f->srv.store, "eve", "p", policies[p]), 0);
			sim = run_sim(&c, &specs[s]);
			real = run_real(&c, &specs[s]);
			if (sim != real)
				fail_msg("%s under policy %zu: simulated %s, "
				    "enforced %s (%s: %s)", specs[s].action,
				    p, sim ? "deny" : "allow", real ? "deny" :
				    "allow", c.f->resp.error_code,
				    c.f->resp.error_message);
			if (real)
				ndenied++;
			else
				nallowed++;
		}
		cfx_teardown(&c);
	}
	/* both outcomes occur: the keys decide */
	assert_true(ndenied > 50);
	assert_true(nallowed > 50);
}

/* The cases, decided by the real handlers. */
static void
test_guardrails_hold(void **state)
{
	struct cfx c;
	struct spec s;
	size_t i;

	(void)state;
	memset(&c, 0, sizeof(c));
	cfx_setup(&c);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		s = specs[i];
		if (strcmp(s.action, "iam:TagUser") == 0) {
			/* only the key nickname may be tagged */
			assert_int_equal(wk_store_user_policy_put(
			    c.f->srv.store, "eve", "p", ALLOW_IF(
			    "ForAllValues:StringEquals", "aws:TagKeys",
			    "[\"nickname\"]")), 0);
			assert_true(run_real(&c, &s));
		}
		if (strcmp(s.action, "ec2:CreateTags") == 0) {
			/* only the key Name may be tagged */
			assert_int_equal(wk_store_user_policy_put(
			    c.f->srv.store, "eve", "p", ALLOW_IF(
			    "ForAllValues:StringEquals", "aws:TagKeys",
			    "[\"Name\"]")), 0);
			assert_true(run_real(&c, &s));
		}
		if (strcmp(s.action, "ec2:DeleteTags") == 0) {
			/* only the key Name may be removed: not all tags */
			assert_int_equal(wk_store_user_policy_put(
			    c.f->srv.store, "eve", "p", ALLOW_IF(
			    "ForAllValues:StringEquals", "aws:TagKeys",
			    "[\"Name\"]")), 0);
			assert_true(run_real(&c, &s));
		}
		if (strcmp(s.action, "iam:AttachUserPolicy") == 0) {
			assert_int_equal(wk_store_user_policy_put(
			    c.f->srv.store, "eve", "p", DENY_IF("ArnLike",
			    "iam:PolicyARN", "\"*p1*\"")), 0);
			assert_true(run_real(&c, &s));
		}
		if (strcmp(s.action, WK_EC2IC_ACTION) == 0) {
			assert_int_equal(wk_store_user_policy_put(
			    c.f->srv.store, "eve", "p", DENY_IF(
			    "StringEquals", "aws:ResourceTag/Env",
			    "\"prod\"")), 0);
			assert_true(run_real(&c, &s));
			assert_string_equal(c.f->resp.error_code,
			    "AuthException");
		}
	}
	cfx_teardown(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_covers_actions),
		cmocka_unit_test(test_builder),
		cmocka_unit_test(test_simulated_equals_enforced),
		cmocka_unit_test(test_guardrails_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
