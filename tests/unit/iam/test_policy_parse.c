/*
 * test_policy_parse.c - limits, sizes, failure paths of parse and evaluate
 * (the grammar messages themselves are data: cases/grammar.json).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "iam/policy_int.h"

#define OK_DOC "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":" \
	"\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}"

static int
parse(const char *doc, size_t max, struct wk_policy **p, char *err,
    size_t errlen)
{
	return wk_policy_parse(wk_span_from_cstr(doc), max, p, err, errlen);
}

static void
test_size(void **state)
{
	(void)state;
	assert_int_equal(wk_policy_size(wk_span_from_cstr("")), 0);
	assert_int_equal(wk_policy_size(wk_span_from_cstr(" \t\r\n")), 0);
	assert_int_equal(wk_policy_size(wk_span_from_cstr("{ \"a\" : 1 }")),
	    7);
	/* characters, not bytes: "é" is one */
	assert_int_equal(wk_policy_size(wk_span_from_cstr("\"\xc3\xa9\"")), 3);
}

static void
test_size_limit(void **state)
{
	struct wk_policy *p = NULL;
	char err[256], *doc;
	size_t n = strlen(OK_DOC), i, pad = 5000;

	(void)state;
	/* exactly at the limit passes, one over fails */
	assert_int_equal(parse(OK_DOC, n, &p, err, sizeof(err)), 0);
	wk_policy_free(p);
	assert_int_equal(parse(OK_DOC, n - 1, &p, err, sizeof(err)),
	    WK_ERR_TOOBIG);
	assert_null(p);
	/* whitespace is not counted */
	doc = malloc(n + pad + 1);
	assert_non_null(doc);
	memcpy(doc, "{", 1);
	for (i = 1; i <= pad; i++)
		doc[i] = i % 2 ? ' ' : '\n';
	memcpy(doc + 1 + pad, &OK_DOC[1], n);
	assert_int_equal(parse(doc, n, &p, err, sizeof(err)), 0);
	wk_policy_free(p);
	free(doc);
	/* 0 means the managed-policy limit */
	doc = malloc(WK_POLICY_MAX_MANAGED + 200);
	assert_non_null(doc);
	n = (size_t)snprintf(doc, 200, "{\"Version\":\"2012-10-17\","
	    "\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
	    "\"Resource\":\"arn:aws:s3:::");
	memset(doc + n, 'a', WK_POLICY_MAX_MANAGED);
	memcpy(doc + n + WK_POLICY_MAX_MANAGED, "\"}}", 4);
	assert_int_equal(parse(doc, 0, &p, err, sizeof(err)), WK_ERR_TOOBIG);
	assert_int_equal(parse(doc, WK_POLICY_MAX_MANAGED * 2, &p, err,
	    sizeof(err)), 0);
	wk_policy_free(p);
	free(doc);
	/* the raw ceiling holds even for whitespace */
	doc = malloc(WK_POLICY_MAX_RAW + 2);
	assert_non_null(doc);
	memset(doc, ' ', WK_POLICY_MAX_RAW + 1);
	doc[WK_POLICY_MAX_RAW + 1] = '\0';
	assert_int_equal(parse(doc, 0, &p, err, sizeof(err)), WK_ERR_TOOBIG);
	free(doc);
}

static void
test_depth(void **state)
{
	struct wk_policy *p = NULL;
	char doc[1024], err[256];
	int depth;

	(void)state;
	/* the document's own nesting is 4 ({ Statement { Condition { op {),
	 * each [ adds one */
	for (depth = 10; depth <= 14; depth++) {
		int n = snprintf(doc, sizeof(doc),
		    "{\"Version\":\"2012-10-17\","
		    "\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
		    "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":"
		    "{\"a:b\":%.*s\"x\"%.*s}}}}", depth - 4,
		    "[[[[[[[[[[[[[[[[", depth - 4, "]]]]]]]]]]]]]]]]");

		assert_true(n > 0 && (size_t)n < sizeof(doc));
		/* nested arrays are never valid condition values */
		assert_int_equal(parse(doc, 0, &p, err, sizeof(err)),
		    WK_ERR_INVAL);
		assert_string_equal(err, "Syntax errors in policy.");
	}
	/* brackets inside strings do not count */
	snprintf(doc, sizeof(doc), "{\"Version\":\"2012-10-17\",\"Statement\":"
	    "{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":"
	    "\"arn:aws:s3:::[[[[[[[[[[[[[[[[[[[[\\\"[[[[\"}}");
	assert_int_equal(parse(doc, 0, &p, err, sizeof(err)), 0);
	wk_policy_free(p);
}

static void
test_err_optional(void **state)
{
	struct wk_policy *p = NULL;
	char err[8];

	(void)state;
	assert_int_equal(parse("{", 0, &p, NULL, 0), WK_ERR_INVAL);
	/* a short buffer is truncated, NUL-terminated */
	assert_int_equal(parse("{", 0, &p, err, sizeof(err)), WK_ERR_INVAL);
	assert_string_equal(err, "Syntax ");
	assert_int_equal(wk_policy_parse(WK_SPAN_NULL, 0, &p, NULL, 0),
	    WK_ERR_INVAL);
	/* embedded NUL */
	assert_int_equal(wk_policy_parse(wk_span_from_mem("{\"a\\u0000\":1}",
	    13), 0, &p, NULL, 0), WK_ERR_INVAL);
	assert_int_equal(wk_policy_parse(wk_span_from_mem("{}\0", 3), 0, &p,
	    NULL, 0), WK_ERR_INVAL);
	assert_null(p);
	wk_policy_free(NULL);
}

static const char *const full_doc =
    "{\"Version\":\"2012-10-17\",\"Statement\":["
    "{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":[\"ec2:*\",\"s3:Get*\"],"
    "\"Resource\":[\"arn:aws:s3:::${aws:username}/*\",\"*\"],"
    "\"Condition\":{\"StringLike\":{\"a:b\":[\"${aws:username, 'x'}*\","
    "\"y\"]},\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"},"
    "\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":[\"k\",\"l\"]}}},"
    "{\"Effect\":\"Deny\",\"NotAction\":\"iam:*\",\"NotResource\":"
    "\"arn:aws:iam::1:user/${aws:username}\"}]}";

static void
test_nomem(void **state)
{
	struct wk_policy *p = NULL;
	struct wk_ctx *ctx = NULL;
	struct wk_decision_detail d;
	long n;
	int r, ok = 0;

	(void)state;
	for (n = 0; n < 400 && ok < 3; n++) {
		wk_alloc_fail_after(n);
		r = parse(full_doc, 0, &p, NULL, 0);
		wk_alloc_fail_after(-1);
		assert_true(r == 0 || r == WK_ERR_NOMEM);
		assert_true((r == 0) == (p != NULL));
		ok += r == 0;
		wk_policy_free(p);
		p = NULL;
	}
	assert_true(ok > 0);
	/* evaluation allocates only for long rendered patterns */
	assert_int_equal(parse(full_doc, 0, &p, NULL, 0), 0);
	assert_int_equal(wk_ctx_new(&ctx), 0);
	assert_int_equal(wk_ctx_add(ctx, "aws:SourceIp", "10.1.1.1"), 0);
	assert_int_equal(wk_ctx_add(ctx, "aws:TagKeys", "k"), 0);
	assert_int_equal(wk_ctx_add(ctx, "a:b", "y"), 0);
	assert_int_equal(wk_ctx_add(ctx, "aws:username", "bob"), 0);
	{
		struct wk_policy_ref ref = { p, "pol" };
		struct wk_authz_request req = { "s3:GetObject",
			"arn:aws:iam::1:user/bob", ctx };

		wk_alloc_fail_after(0);
		r = wk_policy_evaluate(&ref, 1, &req, &d);
		wk_alloc_fail_after(-1);
		assert_int_equal(r, 0);
		assert_int_equal(d.decision, WK_DECISION_ALLOW);
		assert_string_equal(d.sid, "A");
		assert_string_equal(d.source, "pol");
	}
	wk_ctx_free(ctx);
	wk_policy_free(p);
}

static void
test_long_variable(void **state)
{
	struct wk_policy *p = NULL;
	struct wk_ctx *ctx = NULL;
	struct wk_decision_detail d;
	char *name, res[3000];
	int r;

	(void)state;
	assert_int_equal(parse("{\"Version\":\"2012-10-17\",\"Statement\":"
	    "{\"Sid\":\"Home\",\"Effect\":\"Allow\",\"Action\":\"s3:*\","
	    "\"Resource\":\"arn:aws:s3:::home/${aws:username}/*\"}}", 0, &p,
	    NULL, 0), 0);
	name = malloc(2001);
	assert_non_null(name);
	memset(name, 'n', 2000);
	name[2000] = '\0';
	assert_int_equal(wk_ctx_new(&ctx), 0);
	assert_int_equal(wk_ctx_add(ctx, "aws:username", name), 0);
	snprintf(res, sizeof(res), "arn:aws:s3:::home/%s/k", name);
	{
		struct wk_policy_ref ref = { p, "pol" };
		struct wk_authz_request req = { "s3:GetObject", res, ctx };

		/* the rendered pattern is longer than the stack buffer */
		assert_int_equal(wk_policy_evaluate(&ref, 1, &req, &d), 0);
		assert_int_equal(d.decision, WK_DECISION_ALLOW);
		assert_int_equal(d.statement, 0);
		wk_alloc_fail_after(0);
		r = wk_policy_evaluate(&ref, 1, &req, &d);
		wk_alloc_fail_after(-1);
		assert_int_equal(r, WK_ERR_NOMEM);
		assert_int_equal(d.decision, WK_DECISION_IMPLICIT_DENY);
		assert_null(d.source);
		assert_int_equal(d.statement, -1);
	}
	free(name);
	wk_ctx_free(ctx);
	wk_policy_free(p);
}

static void
test_evaluate_args(void **state)
{
	struct wk_policy *p = NULL;
	struct wk_decision_detail d;
	struct wk_policy_ref refs[2];
	struct wk_authz_request req = { "s3:GetObject", "arn:aws:s3:::b",
		NULL };
	char sid[200];
	char doc[512];

	(void)state;
	assert_string_equal(wk_decision_name(WK_DECISION_ALLOW), "allowed");
	assert_string_equal(wk_decision_name(WK_DECISION_EXPLICIT_DENY),
	    "explicitDeny");
	assert_string_equal(wk_decision_name(WK_DECISION_IMPLICIT_DENY),
	    "implicitDeny");
	assert_int_equal(wk_policy_evaluate(NULL, 0, &req, &d), 0);
	assert_int_equal(d.decision, WK_DECISION_IMPLICIT_DENY);
	assert_int_equal(d.statement, -1);
	assert_int_equal(wk_policy_evaluate(NULL, 1, &req, &d), WK_ERR_INVAL);
	req.action = NULL;
	assert_int_equal(wk_policy_evaluate(NULL, 0, &req, &d), WK_ERR_INVAL);
	req.action = "s3:GetObject";
	/* a NULL context is an empty one; a long Sid is cut to fit */
	memset(sid, 'S', sizeof(sid) - 1);
	sid[sizeof(sid) - 1] = '\0';
	snprintf(doc, sizeof(doc), "{\"Statement\":{\"Sid\":\"%s\",\"Effect\":"
	    "\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":"
	    "{\"StringNotEquals\":{\"a:b\":\"c\"}}}}", sid);
	assert_int_equal(parse(doc, 0, &p, NULL, 0), 0);
	refs[0].policy = NULL;
	refs[0].source = "missing";
	refs[1].policy = p;
	refs[1].source = "p";
	assert_int_equal(wk_policy_evaluate(refs, 2, &req, &d), 0);
	assert_int_equal(d.decision, WK_DECISION_ALLOW);
	assert_string_equal(d.source, "p");
	assert_int_equal(strlen(d.sid), sizeof(d.sid) - 1);
	wk_policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_err_optional),
		cmocka_unit_test(test_nomem),
		cmocka_unit_test(test_long_variable),
		cmocka_unit_test(test_evaluate_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
