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

/* Walks c with the public iterator into "key=v1,v2;..." */
static void
dump(const struct wk_ctx *c, char *out, size_t outsz)
{
	const char *k;
	size_t i, j, o = 0, n;

	out[0] = '\0';
	for (i = 0; (k = wk_ctx_key(c, i)) != NULL; i++) {
		n = wk_ctx_count(c, k);
		o += (size_t)snprintf(out + o, outsz - o, "%s=", k);
		assert_true(o < outsz);
		for (j = 0; j < n; j++) {
			o += (size_t)snprintf(out + o, outsz - o, "%s%s",
			    j > 0 ? "," : "", wk_ctx_get(c, k, j));
			assert_true(o < outsz);
		}
		o += (size_t)snprintf(out + o, outsz - o, ";");
		assert_true(o < outsz);
	}
}

static void
test_key_iter(void **state)
{
	struct wk_ctx *c;
	char buf[256];

	(void)state;
	assert_null(wk_ctx_key(NULL, 0));
	assert_int_equal(wk_ctx_new(&c), 0);
	assert_null(wk_ctx_key(c, 0));
	assert_int_equal(wk_ctx_add(c, "aws:UserName", "Bob"), 0);
	assert_int_equal(wk_ctx_add(c, "AWS:TagKeys", "a"), 0);
	assert_int_equal(wk_ctx_add(c, "aws:tagkeys", "b"), 0);
	assert_string_equal(wk_ctx_key(c, 0), "aws:username");
	assert_string_equal(wk_ctx_key(c, 1), "aws:tagkeys");
	assert_null(wk_ctx_key(c, 2));
	assert_null(wk_ctx_key(c, (size_t)-1));
	dump(c, buf, sizeof(buf));
	assert_string_equal(buf, "aws:username=Bob;aws:tagkeys=a,b;");
	wk_ctx_free(c);
}

static void
test_merge(void **state)
{
	struct wk_ctx *a, *b, *e;
	char buf[256];

	(void)state;
	assert_int_equal(wk_ctx_new(&a), 0);
	assert_int_equal(wk_ctx_new(&b), 0);
	assert_int_equal(wk_ctx_new(&e), 0);
	assert_int_equal(wk_ctx_add(a, "aws:username", "alice"), 0);
	assert_int_equal(wk_ctx_add(a, "aws:TagKeys", "x"), 0);
	assert_int_equal(wk_ctx_add(b, "EC2:OSUser", "ubuntu"), 0);
	assert_int_equal(wk_ctx_add(b, "aws:tagkeys", "y"), 0);
	assert_int_equal(wk_ctx_add(b, "aws:tagkeys", "z"), 0);
	assert_int_equal(wk_ctx_add(b, "k:empty", ""), 0);
	/* Nothing to merge. */
	assert_int_equal(wk_ctx_merge(a, NULL), 0);
	assert_int_equal(wk_ctx_merge(a, e), 0);
	dump(a, buf, sizeof(buf));
	assert_string_equal(buf, "aws:username=alice;aws:tagkeys=x;");
	assert_int_equal(wk_ctx_merge(a, b), 0);
	dump(a, buf, sizeof(buf));
	assert_string_equal(buf, "aws:username=alice;aws:tagkeys=x,y,z;"
	    "ec2:osuser=ubuntu;k:empty=;");
	assert_string_equal(wk_ctx_get(a, "ec2:osuser", 0), "ubuntu");
	/* src unchanged. */
	dump(b, buf, sizeof(buf));
	assert_string_equal(buf, "ec2:osuser=ubuntu;aws:tagkeys=y,z;"
	    "k:empty=;");
	/* Into an empty context: a copy. */
	assert_int_equal(wk_ctx_merge(e, b), 0);
	dump(e, buf, sizeof(buf));
	assert_string_equal(buf, "ec2:osuser=ubuntu;aws:tagkeys=y,z;"
	    "k:empty=;");
	/* Bad input. */
	assert_int_equal(wk_ctx_merge(NULL, b), WK_ERR_INVAL);
	assert_int_equal(wk_ctx_merge(b, b), WK_ERR_INVAL);
	dump(b, buf, sizeof(buf));
	assert_string_equal(buf, "ec2:osuser=ubuntu;aws:tagkeys=y,z;"
	    "k:empty=;");
	wk_ctx_free(a);
	wk_ctx_free(b);
	wk_ctx_free(e);
}

static void
test_merge_limits(void **state)
{
	struct wk_ctx *a, *b;
	char key[16];
	int i;

	(void)state;
	/* Too many values for one key: refused, dst unchanged. */
	assert_int_equal(wk_ctx_new(&a), 0);
	assert_int_equal(wk_ctx_new(&b), 0);
	for (i = 0; i < WK_CTX_MAX_VALUES - 1; i++)
		assert_int_equal(wk_ctx_add(a, "m:v", "x"), 0);
	assert_int_equal(wk_ctx_add(b, "n:first", "1"), 0);
	assert_int_equal(wk_ctx_add(b, "M:V", "y"), 0);
	assert_int_equal(wk_ctx_add(b, "m:v", "z"), 0);
	assert_int_equal(wk_ctx_merge(a, b), WK_ERR_LIMIT);
	assert_int_equal(wk_ctx_count(a, "m:v"), WK_CTX_MAX_VALUES - 1);
	assert_int_equal(wk_ctx_count(a, "n:first"), 0);
	assert_null(wk_ctx_key(a, 1));
	/* Exactly at the ceiling: fine. */
	wk_ctx_free(b);
	assert_int_equal(wk_ctx_new(&b), 0);
	assert_int_equal(wk_ctx_add(b, "m:v", "y"), 0);
	assert_int_equal(wk_ctx_merge(a, b), 0);
	assert_int_equal(wk_ctx_count(a, "m:v"), WK_CTX_MAX_VALUES);
	assert_string_equal(wk_ctx_get(a, "m:v", WK_CTX_MAX_VALUES - 1),
	    "y");
	wk_ctx_free(a);
	wk_ctx_free(b);

	/* Too many keys: refused, dst unchanged. */
	assert_int_equal(wk_ctx_new(&a), 0);
	assert_int_equal(wk_ctx_new(&b), 0);
	for (i = 0; i < WK_CTX_MAX_KEYS - 1; i++) {
		snprintf(key, sizeof(key), "a:%d", i);
		assert_int_equal(wk_ctx_add(a, key, "v"), 0);
	}
	assert_int_equal(wk_ctx_add(b, "a:0", "w"), 0);	/* existing */
	assert_int_equal(wk_ctx_add(b, "b:1", "v"), 0);
	assert_int_equal(wk_ctx_add(b, "b:2", "v"), 0);
	assert_int_equal(wk_ctx_merge(a, b), WK_ERR_LIMIT);
	assert_int_equal(wk_ctx_count(a, "a:0"), 1);
	assert_int_equal(wk_ctx_count(a, "b:1"), 0);
	assert_null(wk_ctx_key(a, WK_CTX_MAX_KEYS - 1));
	wk_ctx_free(b);
	assert_int_equal(wk_ctx_new(&b), 0);
	assert_int_equal(wk_ctx_add(b, "a:0", "w"), 0);
	assert_int_equal(wk_ctx_add(b, "b:1", "v"), 0);
	assert_int_equal(wk_ctx_merge(a, b), 0);
	assert_int_equal(wk_ctx_count(a, "a:0"), 2);
	assert_string_equal(wk_ctx_key(a, WK_CTX_MAX_KEYS - 1), "b:1");
	wk_ctx_free(a);
	wk_ctx_free(b);
}

static void
test_merge_nomem(void **state)
{
	struct wk_ctx *a = NULL, *b = NULL;
	long n;
	int r;

	(void)state;
	assert_int_equal(wk_ctx_new(&b), 0);
	assert_int_equal(wk_ctx_add(b, "a:b", "v"), 0);
	assert_int_equal(wk_ctx_add(b, "a:b", "w"), 0);
	assert_int_equal(wk_ctx_add(b, "c:d", "x"), 0);
	for (n = 0; n < 30; n++) {
		assert_int_equal(wk_ctx_new(&a), 0);
		wk_alloc_fail_after(n);
		r = wk_ctx_merge(a, b);
		wk_alloc_fail_after(-1);
		assert_true(r == 0 || r == WK_ERR_NOMEM);
		if (r == 0) {
			assert_int_equal(wk_ctx_count(a, "a:b"), 2);
			assert_int_equal(wk_ctx_count(a, "c:d"), 1);
		}
		wk_ctx_free(a);
		a = NULL;
	}
	wk_ctx_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_get),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_nomem),
		cmocka_unit_test(test_key_iter),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_merge_limits),
		cmocka_unit_test(test_merge_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
