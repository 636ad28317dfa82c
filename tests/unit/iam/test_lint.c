/*
 * test_lint.c - the condition-key table (actions.c) and the policy lint
 * (lint.c): which keys each action can have, and the findings for
 * conditions on keys it never has, with wildcards and NotAction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "iam/policy.h"

static struct wk_policy *
parse(const char *doc)
{
	struct wk_policy *p = NULL;
	char err[256];

	err[0] = '\0';
	if (wk_policy_parse(wk_span_from_cstr(doc), 131072, &p, err,
	    sizeof(err)) != 0)
		fail_msg("parse: %s", err);
	return p;
}

/* Lints one statement's JSON; returns the number of findings. */
static size_t
lint(const char *stmt, struct wk_lint_finding *f, size_t max)
{
	char doc[4096];
	struct wk_policy *p;
	size_t n = 0;

	snprintf(doc, sizeof(doc), "{\"Version\":\"2012-10-17\","
	    "\"Statement\":[%s]}", stmt);
	p = parse(doc);
	assert_int_equal(wk_policy_lint(p, f, max, &n), 0);
	wk_policy_free(p);
	return n;
}

static void
test_table(void **state)
{
	const struct wk_action_keys *a, *b;

	(void)state;
	/* case-insensitive lookup; unknown actions have no row */
	a = wk_action_keys_find("IAM:attachuserpolicy");
	assert_non_null(a);
	assert_string_equal(a->action, "iam:AttachUserPolicy");
	assert_null(wk_action_keys_find("s3:GetObject"));
	assert_null(wk_action_keys_find("iam:AttachUserPolicyX"));
	/* families match by prefix, with a name after it */
	assert_true(wk_action_has_key(a, "iam:PolicyARN"));
	assert_true(wk_action_has_key(a, "IAM:POLICYARN"));
	assert_true(wk_action_has_key(a, "aws:ResourceTag/team"));
	assert_true(wk_action_has_key(a, "iam:ResourceTag/t"));
	assert_false(wk_action_has_key(a, "aws:ResourceTag/"));
	assert_false(wk_action_has_key(a, "aws:ResourceTag"));
	assert_false(wk_action_has_key(a, "iam:PolicyARNx"));
	assert_false(wk_action_has_key(a, "aws:TagKeys"));
	/* groups carry no tags */
	b = wk_action_keys_find("iam:AttachGroupPolicy");
	assert_true(wk_action_has_key(b, "iam:PolicyARN"));
	assert_false(wk_action_has_key(b, "aws:ResourceTag/x"));
	/* the keys */
	a = wk_action_keys_find("ec2:CreateTags");
	assert_true(wk_action_has_key(a, "aws:TagKeys"));
	assert_true(wk_action_has_key(a, "aws:RequestTag/Env"));
	assert_true(wk_action_has_key(a, "ec2:ResourceTag/Env"));
	assert_true(wk_action_has_key(a, "aws:ResourceTag/Env"));
	assert_true(wk_action_has_key(a, "ec2:Region"));
	a = wk_action_keys_find("iam:TagUser");
	assert_true(wk_action_has_key(a, "aws:TagKeys"));
	assert_true(wk_action_has_key(a, "aws:RequestTag/team"));
	a = wk_action_keys_find("iam:UntagUser");
	assert_true(wk_action_has_key(a, "aws:TagKeys"));
	assert_false(wk_action_has_key(a, "aws:RequestTag/team"));
	a = wk_action_keys_find("ec2-instance-connect:SendSSHPublicKey");
	assert_true(wk_action_has_key(a, "ec2:osuser"));
	assert_true(wk_action_has_key(a, "aws:ResourceTag/Env"));
	assert_true(wk_action_has_key(a, "ec2:ResourceTag/Env"));
	assert_true(wk_action_has_key(a, "wicket:SingleUse"));
	/* statuses */
	assert_int_equal(wk_condkey_status(NULL, "aws:SourceIp"),
	    WK_KEY_SUPPLIED);
	assert_int_equal(wk_condkey_status(NULL, "aws:PrincipalTag/team"),
	    WK_KEY_SUPPLIED);
	assert_int_equal(wk_condkey_status(NULL,
	    "aws:MultiFactorAuthPresent"), WK_KEY_GLOBAL_ABSENT);
	assert_int_equal(wk_condkey_status(a, "ec2:InstanceType"),
	    WK_KEY_NOT_FOR_ACTION);
	assert_int_equal(wk_condkey_status(wk_action_keys_find(
	    "ec2:CreateTags"), "ec2:InstanceType"), WK_KEY_NEVER_SUPPLIED);
	assert_int_equal(wk_condkey_status(wk_action_keys_find(
	    "iam:CreateUser"), "iam:PermissionsBoundary"),
	    WK_KEY_NEVER_SUPPLIED);
	/* every row names its service's action, once */
	for (a = wk_action_keys_table; a->action != NULL; a++) {
		assert_non_null(strchr(a->action, ':'));
		assert_ptr_equal(wk_action_keys_find(a->action), a);
	}
}

static void
test_lint_clean(void **state)
{
	struct wk_lint_finding f[8];

	(void)state;
	/* the standard guardrails: no finding */
	assert_int_equal(lint("{\"Effect\":\"Allow\",\"Action\":"
	    "\"ec2:CreateTags\",\"Resource\":\"*\",\"Condition\":{"
	    "\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"Name\"]}}}",
	    f, 8), 0);
	assert_int_equal(lint("{\"Effect\":\"Deny\",\"Action\":"
	    "\"iam:AttachUserPolicy\",\"Resource\":\"*\",\"Condition\":{"
	    "\"ArnLike\":{\"iam:PolicyARN\":\"*Admin*\"}}}", f, 8), 0);
	assert_int_equal(lint("{\"Effect\":\"Deny\",\"Action\":"
	    "\"ec2-instance-connect:*\",\"Resource\":\"*\",\"Condition\":{"
	    "\"StringEquals\":{\"aws:ResourceTag/Env\":\"prod\","
	    "\"ec2:osuser\":\"root\"}}}", f, 8), 0);
	/* globals apply everywhere; actions wicket does not serve are not
	 * judged */
	assert_int_equal(lint("{\"Effect\":\"Allow\",\"Action\":[\"iam:*\","
	    "\"s3:GetObject\"],\"Resource\":\"*\",\"Condition\":{"
	    "\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"},"
	    "\"StringEquals\":{\"aws:PrincipalTag/t\":\"a\"}}}", f, 8), 0);
	assert_int_equal(lint("{\"Effect\":\"Allow\",\"Action\":"
	    "\"s3:GetObject\",\"Resource\":\"*\",\"Condition\":{"
	    "\"StringEquals\":{\"s3:prefix\":\"x\"}}}", f, 8), 0);
	/* ... but the served actions of the statement are */
	assert_int_equal(lint("{\"Effect\":\"Allow\",\"Action\":[\"iam:*\","
	    "\"s3:GetObject\"],\"Resource\":\"*\",\"Condition\":{"
	    "\"StringEquals\":{\"s3:prefix\":\"x\"}}}", f, 8), 1);
	assert_string_equal(f[0].action, "iam:*");
	/* a wildcard: some action it names has the key */
	assert_int_equal(lint("{\"Effect\":\"Deny\",\"Action\":\"iam:*\","
	    "\"Resource\":\"*\",\"Condition\":{\"StringLike\":{"
	    "\"iam:PolicyARN\":\"*Admin*\"}}}", f, 8), 0);
	/* a policy variable in the key's name is still that family */
	assert_int_equal(lint("{\"Effect\":\"Allow\",\"Action\":"
	    "\"iam:TagUser\",\"Resource\":\"*\",\"Condition\":{"
	    "\"StringEquals\":{\"aws:RequestTag/${aws:username}\":\"x\"}}}",
	    f, 8), 0);
	/* statements without conditions */
	assert_int_equal(lint("{\"Effect\":\"Allow\",\"Action\":\"*\","
	    "\"Resource\":\"*\"}", f, 8), 0);
}

static void
test_lint_findings(void **state)
{
	struct wk_lint_finding f[8];
	size_t n;

	(void)state;
	/* iam:PolicyARN on an action that never has it */
	n = lint("{\"Effect\":\"Deny\",\"Action\":[\"iam:CreateAccessKey\","
	    "\"iam:AttachUserPolicy\"],\"Resource\":\"*\",\"Condition\":{"
	    "\"ArnLike\":{\"iam:PolicyARN\":\"*Admin*\"}}}", f, 8);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].statement, 0);
	assert_string_equal(f[0].action, "iam:CreateAccessKey");
	assert_string_equal(f[0].key, "iam:policyarn");
	assert_int_equal(f[0].why, WK_KEY_NOT_FOR_ACTION);
	assert_non_null(strstr(wk_lint_why(f[0].why), "never"));
	/* aws:TagKeys on actions that take no tags: a wildcard none of
	 * whose actions has it */
	n = lint("{\"Effect\":\"Allow\",\"Action\":\"iam:Get*\","
	    "\"Resource\":\"*\"},{\"Effect\":\"Allow\",\"Action\":"
	    "\"iam:Get*\",\"Resource\":\"*\",\"Condition\":{"
	    "\"ForAllValues:StringEquals\":{\"aws:TagKeys\":\"Name\"}}}",
	    f, 8);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].statement, 1);
	assert_string_equal(f[0].action, "iam:Get*");
	/* a global key wicketd never has: reported once per statement */
	n = lint("{\"Effect\":\"Allow\",\"Action\":[\"iam:GetUser\","
	    "\"ec2:*\"],\"Resource\":\"*\",\"Condition\":{\"Bool\":{"
	    "\"aws:MultiFactorAuthPresent\":\"true\"}}}", f, 8);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].action, "*");
	assert_int_equal(f[0].why, WK_KEY_GLOBAL_ABSENT);
	/* listed by AWS, but a wicket host has no instance type */
	n = lint("{\"Effect\":\"Deny\",\"Action\":\"ec2:CreateTags\","
	    "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{"
	    "\"ec2:InstanceType\":\"t3.micro\"}}}", f, 8);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].why, WK_KEY_NEVER_SUPPLIED);
	/* NotAction: the actions it leaves */
	n = lint("{\"Effect\":\"Deny\",\"NotAction\":\"iam:*\","
	    "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{"
	    "\"iam:PolicyARN\":\"x\"}}}", f, 8);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].action, "NotAction");
	n = lint("{\"Effect\":\"Deny\",\"NotAction\":\"ec2:*\","
	    "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{"
	    "\"iam:PolicyARN\":\"x\"}}}", f, 8);
	assert_int_equal(n, 0);
	/* IfExists and Null count too */
	n = lint("{\"Effect\":\"Deny\",\"Action\":\"sts:GetCallerIdentity\","
	    "\"Resource\":\"*\",\"Condition\":{\"StringEqualsIfExists\":{"
	    "\"ec2:osuser\":\"root\"},\"Null\":{\"aws:RequestTag/x\":"
	    "\"false\"}}}", f, 8);
	assert_int_equal(n, 2);
	/* more findings than room: counted, max stored */
	n = lint("{\"Effect\":\"Deny\",\"Action\":\"sts:GetCallerIdentity\","
	    "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{"
	    "\"ec2:a\":\"1\",\"ec2:b\":\"1\",\"ec2:c\":\"1\"}}}", f, 2);
	assert_int_equal(n, 3);
	assert_int_equal(wk_policy_lint(NULL, f, 2, &n), WK_ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_lint_clean),
		cmocka_unit_test(test_lint_findings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
