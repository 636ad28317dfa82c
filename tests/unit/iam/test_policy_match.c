/*
 * test_policy_match.c - wildcard and ARN matching, pattern shapes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "iam/policy_int.h"

static bool
g(const char *p, const char *s, unsigned flags)
{
	return wk_glob(p, strlen(p), s, strlen(s), flags);
}

static bool
arn(const char *p, const char *s)
{
	return wk_arn_match(p, strlen(p), s, strlen(s));
}

static void
test_glob(void **state)
{
	(void)state;
	assert_true(g("", "", 0));
	assert_false(g("", "a", 0));
	assert_true(g("*", "", 0));
	assert_true(g("*", "anything", 0));
	assert_true(g("a*c", "abbbc", 0));
	assert_true(g("a*c", "ac", 0));
	assert_false(g("a*c", "acb", 0));
	assert_true(g("a*b*c", "a-b-b-c", 0));
	assert_false(g("a*b*c", "a-c-b", 0));
	assert_true(g("?", "x", 0));
	assert_false(g("?", "", 0));
	assert_false(g("?", "xy", 0));
	assert_true(g("*?", "x", 0));
	assert_false(g("*??", "x", 0));
	assert_true(g("**a**", "bab", 0));
	assert_true(g("a\\*", "a*", 0));
	assert_false(g("a\\*", "ab", 0));
	assert_true(g("a\\?", "a?", 0));
	assert_false(g("a\\?", "ab", 0));
	assert_true(g("a\\\\b", "a\\b", 0));
	/* case */
	assert_false(g("abc", "ABC", 0));
	assert_true(g("abc", "ABC", WK_GLOB_ICASE));
	assert_true(g("A*c", "abC", WK_GLOB_ICASE));
	/* no wildcards */
	assert_true(g("a*", "a*", WK_GLOB_NOWILD));
	assert_false(g("a*", "ab", WK_GLOB_NOWILD));
	assert_false(g("a?", "ab", WK_GLOB_NOWILD));
	assert_true(g("A?", "a?", WK_GLOB_NOWILD | WK_GLOB_ICASE));
	/* pathological backtracking stays correct */
	assert_false(g("*a*a*a*a*a*a*a*a*b",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0));
	assert_true(g("*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
	    0));
}

static void
test_arn(void **state)
{
	(void)state;
	assert_true(arn("*", "arn:aws:s3:::b"));
	assert_true(arn("arn:aws:s3:::b", "arn:aws:s3:::b"));
	assert_false(arn("arn:aws:s3:::b", "arn:aws:s3:::bb"));
	assert_true(arn("arn:aws:ec2:*:1:instance/*",
	    "arn:aws:ec2:us-east-1:1:instance/i-1"));
	/* a star inside a segment does not cross a colon */
	assert_false(arn("arn:aws:ec2:*:1:instance/*",
	    "arn:aws:ec2:us:east:1:instance/i-1"));
	assert_false(arn("arn:aws:ec2:us-east-1:*:instance/i-1",
	    "arn:aws:ec2:us-east-1:1:x:instance/i-1"));
	/* ? does not match a colon either */
	assert_false(arn("arn:aws:ec2:us-east-1:1?2:i",
	    "arn:aws:ec2:us-east-1:1:2:i"));
	/* the resource part takes colons and slashes */
	assert_true(arn("arn:aws:logs:r:1:log-group:*",
	    "arn:aws:logs:r:1:log-group:a:log-stream:b"));
	assert_true(arn("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y:z"));
	/* a trailing star of a short pattern takes the rest */
	assert_true(arn("arn:aws:ec2:*", "arn:aws:ec2:r:1:instance/i"));
	assert_true(arn("arn:aws:*", "arn:aws:s3:::b"));
	assert_true(arn("arn:aws:ec2:us-*", "arn:aws:ec2:us-east-1:1:x"));
	assert_false(arn("arn:aws:ec2:us-*", "arn:aws:ec2:eu-west-1:1:x"));
	assert_false(arn("arn:aws:ec2:us", "arn:aws:ec2:us:1:x"));
	assert_false(arn("arn:aws:ec2:*:instance/*",
	    "arn:aws:ec2:r:1:instance/i"));
	/* short resources */
	assert_false(arn("arn:aws:ec2:*:1:instance/*", "arn:aws:ec2"));
	assert_false(arn("arn:aws:s3:::b", "arn:aws:s3::"));
	assert_true(arn("arn", "arn"));
	assert_false(arn("arn:aws", "arn"));
	/* an escaped colon (from a variable) is a literal, not a boundary */
	assert_false(arn("arn:aws:s3:::a\\:b", "arn:aws:s3:::a"));
	assert_true(arn("arn:aws:s3:::a\\:b", "arn:aws:s3:::a:b"));
	/* case-sensitive */
	assert_false(arn("arn:aws:iam::1:user/Bob", "arn:aws:iam::1:user/bob"));
}

static void
test_classify(void **state)
{
	size_t pre;

	(void)state;
	assert_int_equal(wk_pat_classify("*", 1, &pre), WK_PK_ANY);
	assert_int_equal(wk_pat_classify("**", 2, &pre), WK_PK_ANY);
	assert_int_equal(wk_pat_classify("abc", 3, &pre), WK_PK_EXACT);
	assert_int_equal(wk_pat_classify("", 0, &pre), WK_PK_EXACT);
	assert_int_equal(wk_pat_classify("ab*", 3, &pre), WK_PK_PREFIX);
	assert_int_equal(pre, 2);
	assert_int_equal(wk_pat_classify("a*b", 3, &pre), WK_PK_GLOB);
	assert_int_equal(wk_pat_classify("a?", 2, &pre), WK_PK_GLOB);
	assert_int_equal(wk_pat_classify("a\\**", 4, &pre), WK_PK_GLOB);
	assert_int_equal(wk_pat_classify("a**", 3, &pre), WK_PK_GLOB);
}

static void
test_escape(void **state)
{
	char buf[32];
	size_t n;

	(void)state;
	/* wildcards and backslashes escaped; a colon stays a colon */
	n = wk_pat_escape(buf, sizeof(buf), "a*b?c\\d:e", 9);
	assert_int_equal(n, 12);
	assert_memory_equal(buf, "a\\*b\\?c\\\\d:e", 12);
	assert_int_equal(wk_pat_escape(NULL, 0, "**", 2), 4);
	/* never writes past dstsz */
	memset(buf, 'x', sizeof(buf));
	n = wk_pat_escape(buf, 3, "****", 4);
	assert_int_equal(n, 8);
	assert_int_equal(buf[3], 'x');
}

static void
test_vendor_bit(void **state)
{
	(void)state;
	assert_true(wk_vendor_bit("EC2:Run", 7) == wk_vendor_bit("ec2:x", 5));
	assert_true(wk_vendor_bit("ec2", 3) == wk_vendor_bit("ec2:", 4));
	assert_true(wk_action_bit("S3:GetObject", 12) ==
	    wk_action_bit("s3:getobject", 12));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_arn),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_vendor_bit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
