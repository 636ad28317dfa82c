/*
 * test_policy_may_allow.c - wk_policy_may_allow: whether some Allow
 * statement names an action, resources and conditions aside (the list
 * actions refuse only a caller allowed the action on no resource at all).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "iam/policy.h"

#define LIST "wicket:ListSessions"
#define DOC(stmts) "{\"Version\":\"2012-10-17\",\"Statement\":[" stmts "]}"

static bool
may(const char *const *docs, size_t n, const char *action)
{
	struct wk_policy_ref refs[4];
	struct wk_policy *p[4] = { NULL };
	char err[256];
	bool r;

	assert_true(n <= 4);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(wk_policy_parse(wk_span_from_cstr(docs[i]), 0,
		    &p[i], err, sizeof(err)), 0);
		refs[i].policy = p[i];
		refs[i].source = "test";
	}
	r = wk_policy_may_allow(refs, n, action);
	for (size_t i = 0; i < n; i++)
		wk_policy_free(p[i]);
	return r;
}

static void
test_named(void **state)
{
	/* on one instance only, by ARN or by a tag condition */
	const char *by_arn[] = { DOC("{\"Effect\":\"Allow\",\"Action\":\""
	    LIST "\",\"Resource\":\"arn:aws:ec2:us-east-1:123456789012:"
	    "instance/i-0a\"}") };
	const char *by_tag[] = { DOC("{\"Effect\":\"Allow\",\"Action\":"
	    "\"wicket:List*\",\"Resource\":\"*\",\"Condition\":{"
	    "\"StringEquals\":{\"aws:ResourceTag/team\":\"a\"}}}") };
	const char *by_case[] = { DOC("{\"Effect\":\"Allow\",\"Action\":"
	    "\"WICKET:listsessions\",\"Resource\":\"*\"}") };
	const char *by_not[] = { DOC("{\"Effect\":\"Allow\",\"NotAction\":"
	    "\"iam:*\",\"Resource\":\"*\"}") };

	(void)state;
	assert_true(may(by_arn, 1, LIST));
	assert_true(may(by_tag, 1, LIST));
	assert_true(may(by_case, 1, LIST));
	assert_true(may(by_not, 1, LIST));
}

static void
test_not_named(void **state)
{
	const char *other[] = { DOC("{\"Effect\":\"Allow\",\"Action\":"
	    "\"wicket:GetSessionRecording\",\"Resource\":\"*\"}") };
	const char *deny_only[] = { DOC("{\"Effect\":\"Deny\",\"Action\":\""
	    LIST "\",\"Resource\":\"*\"}") };
	const char *not_action[] = { DOC("{\"Effect\":\"Allow\","
	    "\"NotAction\":\"wicket:*\",\"Resource\":\"*\"}") };

	(void)state;
	assert_false(may(other, 1, LIST));
	assert_false(may(deny_only, 1, LIST));
	assert_false(may(not_action, 1, LIST));
	assert_false(may(NULL, 0, LIST));
	assert_false(wk_policy_may_allow(NULL, 0, NULL));
}

static void
test_any_policy(void **state)
{
	const char *two[] = {
		DOC("{\"Effect\":\"Allow\",\"Action\":\"iam:GetUser\","
		    "\"Resource\":\"*\"}"),
		DOC("{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":"
		    "\"arn:aws:ec2:*:*:instance/i-0b\"},{\"Effect\":\"Allow\","
		    "\"Action\":\"wicket:*\",\"Resource\":\"*\"}"),
	};

	(void)state;
	assert_true(may(two, 2, LIST));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_named),
		cmocka_unit_test(test_not_named),
		cmocka_unit_test(test_any_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
