/*
 * test_throttle.c - the token bucket (refill, cap, empty), the per-caller
 * and account buckets together (a refused call spends nothing), "0 = off",
 * RATE[:BURST] parsing with its errors, and AWS's throttling error per
 * protocol.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "server/api/api.h"
#include "server/auth/throttle.h"

static void
test_parse(void **state)
{
	struct wk_rate r;
	char why[256];

	(void)state;
	assert_int_equal(wk_rate_parse("20", &r, why, sizeof(why)), 0);
	assert_int_equal(r.rate, 20);
	assert_int_equal(r.burst, 40);
	assert_int_equal(wk_rate_parse("1:3", &r, why, sizeof(why)), 0);
	assert_int_equal(r.rate, 1);
	assert_int_equal(r.burst, 3);
	assert_int_equal(wk_rate_parse("0", &r, why, sizeof(why)), 0);
	assert_int_equal(r.rate, 0);
	assert_int_equal(wk_rate_parse("1000000", &r, why, sizeof(why)), 0);
	assert_int_equal(r.burst, 1000000);

	static const char *const bad[] = { "", ":", ":3", "1:", "1:0", "-1",
		"1.5", "abc", "1:3:4", "0:5", "1000001", "1:1000001", " 1",
		"1 ", "99999999999999999999", "1:x", NULL };
	for (size_t i = 0; bad[i] != NULL; i++) {
		why[0] = '\0';
		assert_int_equal(wk_rate_parse(bad[i], &r, why, sizeof(why)),
		    WK_ERR_INVAL);
		assert_true(why[0] != '\0');
		assert_int_equal(r.rate, 0);
	}
}

static void
test_bucket(void **state)
{
	struct wk_rate r = { 2, 3 };
	struct wk_bucket b;

	(void)state;
	memset(&b, 0, sizeof(b));
	for (int i = 0; i < 3; i++)	/* starts full: the burst */
		assert_true(wk_bucket_take(&b, &r, 1000));
	assert_false(wk_bucket_take(&b, &r, 1000));
	assert_false(wk_bucket_take(&b, &r, 1499));	/* 0.998 tokens */
	assert_true(wk_bucket_take(&b, &r, 1500));	/* 2/s: one per 500 ms */
	assert_false(wk_bucket_take(&b, &r, 1500));
	/* a long idle refills to the burst, no more */
	for (int i = 0; i < 3; i++)
		assert_true(wk_bucket_take(&b, &r, 10000000));
	assert_false(wk_bucket_take(&b, &r, 10000000));
	/* time going backwards adds nothing */
	assert_false(wk_bucket_take(&b, &r, 5));
	/* rate 0: off */
	r = (struct wk_rate){ 0, 0 };
	for (int i = 0; i < 1000; i++)
		assert_true(wk_bucket_take(&b, &r, 1));
}

static void
test_per_key_and_account(void **state)
{
	(void)state;
	wk_throttle_configure((struct wk_rate){ 1, 3 },
	    (struct wk_rate){ 0, 0 });
	for (int i = 0; i < 3; i++)
		assert_int_equal(wk_throttle_take("AKIAONE", 1000),
		    WK_THROTTLE_OK);
	assert_int_equal(wk_throttle_take("AKIAONE", 1000), WK_THROTTLE_KEY);
	assert_int_equal(wk_throttle_take("AKIATWO", 1000), WK_THROTTLE_OK);
	assert_int_equal(wk_throttle_take("AKIAONE", 2000), WK_THROTTLE_OK);
	/* not throttled here: refused by authentication */
	assert_int_equal(wk_throttle_take("", 1000), WK_THROTTLE_OK);

	/* the account: all callers together; a refusal spends nothing */
	wk_throttle_configure((struct wk_rate){ 1, 2 },
	    (struct wk_rate){ 1, 3 });
	assert_int_equal(wk_throttle_take("A1", 1000), WK_THROTTLE_OK);
	assert_int_equal(wk_throttle_take("A1", 1000), WK_THROTTLE_OK);
	assert_int_equal(wk_throttle_take("A1", 1000), WK_THROTTLE_KEY);
	assert_int_equal(wk_throttle_take("A2", 1000), WK_THROTTLE_OK);
	assert_int_equal(wk_throttle_take("A2", 1000), WK_THROTTLE_ACCOUNT);
	assert_int_equal(wk_throttle_take("A3", 1000), WK_THROTTLE_ACCOUNT);
	/* A2 still holds its second token, A3 both, once the account refills */
	assert_int_equal(wk_throttle_take("A2", 2000), WK_THROTTLE_OK);
	assert_int_equal(wk_throttle_take("A3", 3000), WK_THROTTLE_OK);

	/* 0 = off for both: anything goes */
	wk_throttle_configure((struct wk_rate){ 0, 0 },
	    (struct wk_rate){ 0, 0 });
	for (int i = 0; i < 10000; i++)
		assert_int_equal(wk_throttle_take("AKIAONE", 1000),
		    WK_THROTTLE_OK);

	/* many callers: each new one starts full */
	wk_throttle_configure((struct wk_rate){ 1, 1 },
	    (struct wk_rate){ 0, 0 });
	for (int i = 0; i < 20000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "AKIA%08d", i);
		assert_int_equal(wk_throttle_take(name, 5000), WK_THROTTLE_OK);
	}
	wk_throttle_configure((struct wk_rate){ WK_THROTTLE_KEY_RATE,
	    WK_THROTTLE_KEY_BURST }, (struct wk_rate){ 0, 0 });
}

static void
expect_error(enum wk_protocol p, unsigned status, const char *code)
{
	struct wk_api_resp resp;

	memset(&resp, 0, sizeof(resp));
	assert_true(wk_throttle_error(&resp, p) != 0);
	assert_int_equal(resp.status, status);
	assert_string_equal(resp.error_code, code);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error(WK_PROTO_JSON, 429, "ThrottlingException");
	expect_error(WK_PROTO_QUERY_IAM, 400, "Throttling");
	expect_error(WK_PROTO_QUERY_STS, 400, "Throttling");
	expect_error(WK_PROTO_QUERY_EC2, 503, "RequestLimitExceeded");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_per_key_and_account),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
