/*
 * test_ctx.c - the request context.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "iam/policy_int.h"

static void
test_add_get(void **state)
{
	struct wk_ctx *c;

	(void)state;
	assert_int_equal(wk_ctx_new(&c), 0);
	assert_int_equal(wk_ctx_count(c, "aws:username"), 0);
	assert_null(wk_ctx_get(c, "aws:username", 0));
	assert_int_equal(wk_ctx_add(c, "aws:UserName", "Bob"), 0);
	assert_int_equal(wk_ctx_add(c, "AWS:TagKeys", "a"), 0);
	assert_int_equal(wk_ctx_add(c, "aws:tagkeys", "b"), 0);
	assert_int_equal(wk_ctx_count(c, "aws:username"), 1);
	assert_int_equal(wk_ctx_count(c, "AWS:USERNAME"), 1);
	assert_string_equal(wk_ctx_get(c, "aws:username", 0), "Bob");
	assert_int_equal(wk_ctx_count(c, "aws:TagKeys"), 2);
	assert_string_equal(wk_ctx_get(c, "aws:TagKeys", 1), "b");
	assert_null(wk_ctx_get(c, "aws:TagKeys", 2));
	assert_int_equal(wk_ctx_count(c, "aws:user"), 0);
	assert_int_equal(wk_ctx_count(c, "aws:usernamex"), 0);
	assert_non_null(wk_ctx_find_lc(c, "aws:tagkeys"));
	assert_null(wk_ctx_find_lc(c, "AWS:TAGKEYS"));
	assert_int_equal(wk_ctx_add(c, "k:empty", ""), 0);
	assert_int_equal(wk_ctx_count(c, "k:empty"), 1);
	wk_ctx_free(c);
	wk_ctx_free(NULL);
}

static void
test_bad_input(void **state)
{
	struct wk_ctx *c;
	char big[WK_CTX_MAX_VALUE_LEN + 2];
	char key[16];
	int i;

	(void)state;
	assert_int_equal(wk_ctx_new(&c), 0);
	assert_int_equal(wk_ctx_add(c, "", "v"), WK_ERR_INVAL);
	assert_int_equal(wk_ctx_add(c, NULL, "v"), WK_ERR_INVAL);
	assert_int_equal(wk_ctx_add(c, "a:b", NULL), WK_ERR_INVAL);
	assert_int_equal(wk_ctx_add(NULL, "a:b", "v"), WK_ERR_INVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(wk_ctx_add(c, "a:b", big), WK_ERR_TOOBIG);
	assert_int_equal(wk_ctx_add(c, big, "v"), WK_ERR_TOOBIG);
	for (i = 0; i < WK_CTX_MAX_VALUES; i++)
		assert_int_equal(wk_ctx_add(c, "m:v", "x"), 0);
	assert_int_equal(wk_ctx_add(c, "m:v", "x"), WK_ERR_LIMIT);
	for (i = 1; i < WK_CTX_MAX_KEYS; i++) {
		snprintf(key, sizeof(key), "k:%d", i);
		assert_int_equal(wk_ctx_add(c, key, "v"), 0);
	}
	assert_int_equal(wk_ctx_add(c, "k:new", "v"), WK_ERR_LIMIT);
	wk_ctx_free(c);
}

static void
test_nomem(void **state)
{
	struct wk_ctx *c = NULL;
	long n;
	int r;

	(void)state;
	for (n = 0; n < 20; n++) {
		wk_alloc_fail_after(n);
		r = wk_ctx_new(&c);
		if (r == 0) {
			r = wk_ctx_add(c, "a:b", "v");
			if (r == 0)
				r = wk_ctx_add(c, "a:b", "w");
		}
		wk_alloc_fail_after(-1);
		assert_true(r == 0 || r == WK_ERR_NOMEM);
		if (r == 0)
			assert_int_equal(wk_ctx_count(c, "a:b"), 2);
		wk_ctx_free(c);
		c = NULL;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_get),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
