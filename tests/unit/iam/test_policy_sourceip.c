/*
 * test_policy_sourceip.c - the decision says when an Allow held only
 * because of an IpAddress condition on aws:SourceIp, so the push path can
 * bind the key to the caller's address (from=).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "iam/policy.h"

#define ACTION "ec2-instance-connect:SendSSHPublicKey"
#define RES "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"

static const char ip_allow[] = "{\"Version\":\"2012-10-17\",\"Statement\":"
    "[{\"Effect\":\"Allow\",\"Action\":\"" ACTION "\",\"Resource\":\"*\","
    "\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}}]}";
static const char plain_allow[] = "{\"Version\":\"2012-10-17\",\"Statement\":"
    "[{\"Effect\":\"Allow\",\"Action\":\"ec2-instance-connect:*\","
    "\"Resource\":\"*\"}]}";
static const char ifexists_allow[] = "{\"Version\":\"2012-10-17\","
    "\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"" ACTION "\","
    "\"Resource\":\"*\",\"Condition\":{\"IpAddressIfExists\":"
    "{\"aws:SourceIp\":\"10.0.0.0/8\"}}}]}";
static const char not_ip_allow[] = "{\"Version\":\"2012-10-17\","
    "\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"" ACTION "\","
    "\"Resource\":\"*\",\"Condition\":{\"NotIpAddress\":"
    "{\"aws:SourceIp\":\"192.168.0.0/16\"}}}]}";

/* The usual network guardrail: deny everything from outside 10/8. */
static const char deny_outside[] = "{\"Version\":\"2012-10-17\","
    "\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\","
    "\"Resource\":\"*\",\"Condition\":{\"NotIpAddress\":"
    "{\"aws:SourceIp\":\"10.0.0.0/8\"}}}]}";
/* The same guardrail for another action only. */
static const char deny_outside_other[] = "{\"Version\":\"2012-10-17\","
    "\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"iam:*\","
    "\"Resource\":\"*\",\"Condition\":{\"NotIpAddress\":"
    "{\"aws:SourceIp\":\"10.0.0.0/8\"}}}]}";

static struct wk_policy *
parse(const char *json)
{
	struct wk_policy *p = NULL;
	char err[256];

	assert_int_equal(wk_policy_parse(wk_span_from_cstr(json), 0, &p, err,
	    sizeof(err)), 0);
	return p;
}

static struct wk_decision_detail
decide(const char *const *docs, size_t n, const char *ip)
{
	struct wk_policy_ref refs[4];
	struct wk_policy *p[4];
	struct wk_authz_request req;
	struct wk_decision_detail d;
	struct wk_ctx *ctx = NULL;

	assert_int_equal(wk_ctx_new(&ctx), 0);
	assert_int_equal(wk_ctx_add(ctx, "aws:SourceIp", ip), 0);
	for (size_t i = 0; i < n; i++) {
		p[i] = parse(docs[i]);
		refs[i] = (struct wk_policy_ref){ p[i], docs[i] };
	}
	req = (struct wk_authz_request){ ACTION, RES, ctx };
	assert_int_equal(wk_policy_evaluate(refs, n, &req, &d), 0);
	for (size_t i = 0; i < n; i++)
		wk_policy_free(p[i]);
	wk_ctx_free(ctx);
	return d;
}

static void
test_bound_by_ipaddress(void **state)
{
	const char *docs[] = { ip_allow };
	struct wk_decision_detail d;

	(void)state;
	d = decide(docs, 1, "10.1.2.3");
	assert_int_equal(d.decision, WK_DECISION_ALLOW);
	assert_true(d.source_ip_bound);
	d = decide(docs, 1, "192.0.2.1");
	assert_int_equal(d.decision, WK_DECISION_IMPLICIT_DENY);
	assert_false(d.source_ip_bound);
}

static void
test_unbound_allow_wins_in_any_order(void **state)
{
	const char *a[] = { ip_allow, plain_allow };
	const char *b[] = { plain_allow, ip_allow };
	struct wk_decision_detail d;

	(void)state;
	d = decide(a, 2, "10.1.2.3");
	assert_int_equal(d.decision, WK_DECISION_ALLOW);
	assert_false(d.source_ip_bound);
	d = decide(b, 2, "10.1.2.3");
	assert_int_equal(d.decision, WK_DECISION_ALLOW);
	assert_false(d.source_ip_bound);
}

static void
test_weaker_forms_do_not_bind(void **state)
{
	const char *ie[] = { ifexists_allow }, *ni[] = { not_ip_allow };
	struct wk_decision_detail d;

	(void)state;
	d = decide(ie, 1, "10.1.2.3");
	assert_int_equal(d.decision, WK_DECISION_ALLOW);
	assert_false(d.source_ip_bound);
	d = decide(ni, 1, "10.1.2.3");
	assert_int_equal(d.decision, WK_DECISION_ALLOW);
	assert_false(d.source_ip_bound);
}

/*
 * A Deny NotIpAddress guardrail that let the push through binds the key as
 * an IpAddress Allow does: the key must not outlive the guardrail at
 * login (used from outside the networks within its 60 s).
 */
static void
test_deny_guardrail_binds(void **state)
{
	const char *g[] = { plain_allow, deny_outside };
	const char *o[] = { plain_allow, deny_outside_other };
	struct wk_decision_detail d;

	(void)state;
	d = decide(g, 2, "10.1.2.3");
	assert_int_equal(d.decision, WK_DECISION_ALLOW);
	assert_true(d.source_ip_bound);
	d = decide(g, 2, "192.0.2.1");
	assert_int_equal(d.decision, WK_DECISION_EXPLICIT_DENY);
	assert_false(d.source_ip_bound);
	/* A guardrail on other actions says nothing about this one. */
	d = decide(o, 2, "10.1.2.3");
	assert_int_equal(d.decision, WK_DECISION_ALLOW);
	assert_false(d.source_ip_bound);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bound_by_ipaddress),
		cmocka_unit_test(test_unbound_allow_wins_in_any_order),
		cmocka_unit_test(test_weaker_forms_do_not_bind),
		cmocka_unit_test(test_deny_guardrail_binds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
