/*
 * test_api_params.c - the Query form body parser: encodings, duplicates,
 * limits, and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/alloc.h"
#include "common/err.h"
#include "server/api/api_int.h"

static int
parse(const char *s, struct wk_params *p)
{
	char why[64];

	return wk_params_parse(wk_span_from_cstr(s), WK_PARAMS_MAX_COUNT, p,
	    why, sizeof(why));
}

static void
test_basic(void **state)
{
	struct wk_params p;

	(void)state;
	assert_int_equal(parse("Action=GetUser&Version=2010-05-08&"
	    "UserName=bob", &p), 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.v[0].name, "Action");
	assert_string_equal(wk_params_get(&p, "Action"), "GetUser");
	assert_string_equal(wk_params_get(&p, "Version"), "2010-05-08");
	assert_string_equal(wk_params_get(&p, "UserName"), "bob");
	assert_null(wk_params_get(&p, "username"));	/* case-sensitive */
	assert_null(wk_params_get(&p, "Missing"));
	wk_params_free(&p);
	assert_int_equal(p.n, 0);
	wk_params_free(&p);	/* reusable, idempotent */
	wk_params_free(NULL);
}

static void
test_encoding(void **state)
{
	struct wk_params p;

	(void)state;
	assert_int_equal(parse("PolicyDocument=%7B%22a%22%3A+1%7D&"
	    "Path=%2Fdiv%2F&Name=caf%C3%A9&Plus=a%2Bb&Empty=&Flag&"
	    "Eq=a%3Db=c", &p), 0);
	assert_string_equal(wk_params_get(&p, "PolicyDocument"),
	    "{\"a\": 1}");
	assert_string_equal(wk_params_get(&p, "Path"), "/div/");
	assert_string_equal(wk_params_get(&p, "Name"), "caf\xc3\xa9");
	assert_string_equal(wk_params_get(&p, "Plus"), "a+b");
	assert_string_equal(wk_params_get(&p, "Empty"), "");
	assert_string_equal(wk_params_get(&p, "Flag"), "");
	/* only the first '=' separates */
	assert_string_equal(wk_params_get(&p, "Eq"), "a=b=c");
	wk_params_free(&p);

	/* empty segments are skipped; an empty body is no parameters */
	assert_int_equal(parse("&&a=1&&b=2&", &p), 0);
	assert_int_equal(p.n, 2);
	wk_params_free(&p);
	assert_int_equal(parse("", &p), 0);
	assert_int_equal(p.n, 0);
	assert_null(wk_params_get(&p, "a"));
	wk_params_free(&p);
	/* encoded names */
	assert_int_equal(parse("Tags.member.1.Key=k&Tags%2Emember%2E1%2EValue"
	    "=v", &p), 0);
	assert_string_equal(wk_params_get(&p, "Tags.member.1.Value"), "v");
	wk_params_free(&p);
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"a=1&a=2",		/* duplicate */
		"a=1&%61=2",		/* duplicate once decoded */
		"=x",			/* empty name */
		"%=1",			/* bad escape */
		"a=%4",			/* truncated escape */
		"a=%zz",		/* not hex */
		"a=%00",		/* NUL */
		"a%00b=1",		/* NUL in name */
		"a=%C3",		/* truncated UTF-8 */
		"a=%C0%AF",		/* overlong */
		"a=%ED%A0%80",		/* surrogate */
		"a=%F4%90%80%80",	/* above U+10FFFF */
		"a=%FF",		/* never valid */
		"%3D=1&=",		/* empty name after a good one */
	};
	struct wk_params p;
	char why[64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(wk_params_parse(wk_span_from_cstr(bad[i]),
		    100, &p, why, sizeof(why)), WK_ERR_INVAL);
		assert_int_equal(p.n, 0);
		assert_null(p.v);
		assert_true(why[0] != '\0');
	}
	/* the reason says what was wrong */
	wk_params_parse(wk_span_from_cstr("a=1&a=1"), 100, &p, why,
	    sizeof(why));
	assert_string_equal(why, "duplicate parameter");
}

static void
test_limits(void **state)
{
	char name[WK_PARAMS_MAX_NAME + 8];
	struct wk_buf b;
	struct wk_params p;

	(void)state;
	wk_buf_init(&b, 1 << 20);
	for (int i = 0; i < 10; i++)
		assert_int_equal(wk_buf_appendf(&b, "p%d=%d&", i, i), 0);
	assert_int_equal(wk_params_parse(wk_buf_span(&b), 10, &p, NULL, 0), 0);
	assert_int_equal(p.n, 10);
	wk_params_free(&p);
	assert_int_equal(wk_params_parse(wk_buf_span(&b), 9, &p, NULL, 0),
	    WK_ERR_TOOBIG);
	assert_int_equal(p.n, 0);
	wk_buf_cleanup(&b);

	memset(name, 'n', sizeof(name));
	name[WK_PARAMS_MAX_NAME] = '\0';
	wk_buf_init(&b, 4096);
	assert_int_equal(wk_buf_appendf(&b, "%s=1", name), 0);
	assert_int_equal(wk_params_parse(wk_buf_span(&b), 10, &p, NULL, 0), 0);
	wk_params_free(&p);
	wk_buf_reset(&b);
	name[WK_PARAMS_MAX_NAME] = 'n';
	name[WK_PARAMS_MAX_NAME + 1] = '\0';
	assert_int_equal(wk_buf_appendf(&b, "%s=1", name), 0);
	assert_int_not_equal(wk_params_parse(wk_buf_span(&b), 10, &p, NULL,
	    0), 0);
	wk_buf_cleanup(&b);
}

static void
test_alloc_failure(void **state)
{
	struct wk_params p;
	int r = WK_ERR_NOMEM;

	(void)state;
	/* fail the Nth allocation for every N until it succeeds: no leak,
	 * no crash, and NOMEM reported */
	for (long n = 0; n < 64 && r != 0; n++) {
		wk_alloc_fail_after(n);
		r = parse("a=1&b=2&c=%41&d", &p);
		wk_alloc_fail_after(-1);
		if (r != 0) {
			assert_int_equal(r, WK_ERR_NOMEM);
			assert_int_equal(p.n, 0);
		}
	}
	assert_int_equal(r, 0);
	assert_string_equal(wk_params_get(&p, "c"), "A");
	wk_params_free(&p);
}

static void
test_utf8(void **state)
{
	(void)state;
	assert_true(wk_utf8_valid(wk_span_from_cstr("")));
	assert_true(wk_utf8_valid(wk_span_from_cstr("plain")));
	assert_true(wk_utf8_valid(wk_span_from_cstr("\xe2\x82\xac")));
	assert_true(wk_utf8_valid(wk_span_from_cstr("\xf0\x9f\x98\x80")));
	assert_false(wk_utf8_valid(wk_span_from_cstr("\x80")));
	assert_false(wk_utf8_valid(wk_span_from_cstr("\xe2\x82")));
	assert_false(wk_utf8_valid(wk_span_from_cstr("\xe0\x80\x80")));
	assert_false(wk_utf8_valid(wk_span_from_cstr("\xf8\x88\x80\x80\x80")));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_encoding),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_alloc_failure),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
