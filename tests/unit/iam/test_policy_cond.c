/*
 * test_policy_cond.c - operator names and the typed value parsers.
 * (Operator semantics are data: cases/conditions.json.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "iam/policy_int.h"

static bool
date(const char *s, int64_t *ms)
{
	return wk_policy_parse_date(s, strlen(s), ms);
}

static void
test_dates(void **state)
{
	int64_t ms;

	(void)state;
	assert_true(date("1970-01-01T00:00:00Z", &ms));
	assert_int_equal(ms, 0);
	assert_true(date("2020-01-01T00:00:00Z", &ms));
	assert_int_equal(ms, 1577836800000LL);
	assert_true(date("1577836800", &ms));
	assert_int_equal(ms, 1577836800000LL);
	assert_true(date("2020-01-01", &ms));
	assert_int_equal(ms, 1577836800000LL);
	assert_true(date("20200101T000000Z", &ms));
	assert_int_equal(ms, 1577836800000LL);
	assert_true(date("2020-01-01T00:00Z", &ms));
	assert_int_equal(ms, 1577836800000LL);
	assert_true(date("2020-01-01T00:00:00.25Z", &ms));
	assert_int_equal(ms, 1577836800250LL);
	assert_true(date("2020-01-01T00:00:00.123456Z", &ms));
	assert_int_equal(ms, 1577836800123LL);
	assert_true(date("2020-01-01T02:30:00+02:30", &ms));
	assert_int_equal(ms, 1577836800000LL);
	assert_true(date("2019-12-31T21:00:00-03:00", &ms));
	assert_int_equal(ms, 1577836800000LL);
	assert_true(date("2024-02-29T12:00:00Z", &ms));
	assert_true(date("2000-02-29", &ms));
	/* refused */
	assert_false(date("", &ms));
	assert_false(date("2023-02-29", &ms));
	assert_false(date("1900-02-29", &ms));
	assert_false(date("2020-13-01", &ms));
	assert_false(date("2020-00-01", &ms));
	assert_false(date("2020-01-32", &ms));
	assert_false(date("2020-01-01T24:00:00Z", &ms));
	assert_false(date("2020-01-01T00:60:00Z", &ms));
	assert_false(date("2020-01-01T00:00:00", &ms));
	assert_false(date("2020-01-01T00:00:00.Z", &ms));
	assert_false(date("2020-01-01T00:00:00+0100", &ms));
	assert_false(date("2020-01-01 00:00:00Z", &ms));
	assert_false(date("2020-1-01", &ms));
	assert_false(date("-1", &ms));
	assert_false(date("1e9", &ms));
	assert_false(date("9999999999999", &ms));
	assert_false(date("2020-01-01T00:00:00Zjunk", &ms));
}

static void
test_ops(void **state)
{
	struct wk_cond_op op;

	(void)state;
	assert_true(wk_cond_op_parse("StringEquals", &op));
	assert_int_equal(op.fam, WK_CF_STR_EQ);
	assert_false(op.negated);
	assert_false(op.ifexists);
	assert_int_equal(op.set, WK_SET_NONE);
	assert_true(wk_cond_op_parse("ForAllValues:StringNotLikeIfExists",
	    &op));
	assert_int_equal(op.fam, WK_CF_STR_LIKE);
	assert_true(op.negated);
	assert_true(op.ifexists);
	assert_int_equal(op.set, WK_SET_ALL);
	assert_true(wk_cond_op_parse("ForAnyValue:NumericLessThanEquals", &op));
	assert_int_equal(op.fam, WK_CF_NUM);
	assert_int_equal(op.rel, WK_REL_LE);
	assert_int_equal(op.set, WK_SET_ANY);
	assert_true(wk_cond_op_parse("NotIpAddressIfExists", &op));
	assert_int_equal(op.fam, WK_CF_IP);
	assert_true(op.negated);
	assert_true(wk_cond_op_parse("ArnLike", &op));
	assert_int_equal(op.fam, WK_CF_ARN);
	assert_true(wk_cond_op_parse("Null", &op));
	assert_int_equal(op.fam, WK_CF_NULL);
	assert_false(wk_cond_op_parse("NullIfExists", &op));
	assert_false(wk_cond_op_parse("ForAllValues:Null", &op));
	assert_false(wk_cond_op_parse("", &op));
	assert_false(wk_cond_op_parse("IfExists", &op));
	assert_false(wk_cond_op_parse("StringEqualsIfExistsIfExists", &op));
	assert_false(wk_cond_op_parse("ForAllValues:", &op));
	assert_false(wk_cond_op_parse("ForAnyValue:ForAllValues:StringLike",
	    &op));
	assert_false(wk_cond_op_parse("forallvalues:StringLike", &op));
	assert_false(wk_cond_op_parse("StringEquals ", &op));
}

static void
test_typed(void **state)
{
	struct wk_pval v;

	(void)state;
	assert_int_equal(wk_pval_compile(&v, "10.0.0.0/8", 10, false, false),
	    0);
	wk_cond_type_value(WK_CF_IP, &v);
	assert_true(v.typed_ok);
	assert_int_equal(v.t.ip.fam, 4);
	assert_int_equal(v.t.ip.plen, 8);
	wk_pval_cleanup(&v);
	assert_int_equal(wk_pval_compile(&v, "2001:db8::/129", 14, false,
	    false), 0);
	wk_cond_type_value(WK_CF_IP, &v);
	assert_false(v.typed_ok);
	wk_pval_cleanup(&v);
	assert_int_equal(wk_pval_compile(&v, "-1.5", 4, false, false), 0);
	wk_cond_type_value(WK_CF_NUM, &v);
	assert_true(v.typed_ok);
	assert_true(v.t.num == -1.5);
	wk_pval_cleanup(&v);
	assert_int_equal(wk_pval_compile(&v, "1.", 2, false, false), 0);
	wk_cond_type_value(WK_CF_NUM, &v);
	assert_false(v.typed_ok);
	wk_pval_cleanup(&v);
	assert_int_equal(wk_pval_compile(&v, "FALSE", 5, false, false), 0);
	wk_cond_type_value(WK_CF_BOOL, &v);
	assert_true(v.typed_ok);
	assert_false(v.t.b);
	wk_pval_cleanup(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_ops),
		cmocka_unit_test(test_typed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
