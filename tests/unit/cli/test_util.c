/*
 * test_util.c - the CLI helpers: long options, shell quoting for
 * --dry-run, terminal sanitising, command-line times, argv vectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cli/cli.h"
#include "common/alloc.h"
#include "common/err.h"

static void
test_longopt(void **state)
{
	char *argv[] = { "x", "--profile", "p1", "--profile=p2", "--prof",
	    "--profiles", "--profile" };
	const char *v = NULL;
	int i;

	(void)state;
	i = 1;
	assert_int_equal(wk_cli_longopt(7, argv, &i, "--profile", &v), 1);
	assert_string_equal(v, "p1");
	assert_int_equal(i, 2);
	i = 3;
	assert_int_equal(wk_cli_longopt(7, argv, &i, "--profile", &v), 1);
	assert_string_equal(v, "p2");
	assert_int_equal(i, 3);
	i = 4;
	assert_int_equal(wk_cli_longopt(7, argv, &i, "--profile", &v), 0);
	i = 5;
	assert_int_equal(wk_cli_longopt(7, argv, &i, "--profile", &v), 0);
	i = 6;
	assert_int_equal(wk_cli_longopt(7, argv, &i, "--profile", &v), -1);
}

static void
test_shell_quote(void **state)
{
	static const char *const cases[][2] = {
		{ "plain-word_1.2/x", "plain-word_1.2/x" },
		{ "HostKeyAlias=i-1", "HostKeyAlias=i-1" },
		{ "", "''" },
		{ "a b", "'a b'" },
		{ "it's", "'it'\\''s'" },
		{ "$(rm -rf /)", "'$(rm -rf /)'" },
		{ "a\nb", "'a\nb'" },
	};
	struct wk_buf b;
	size_t i;

	(void)state;
	wk_buf_init(&b, 1024);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wk_buf_reset(&b);
		assert_int_equal(wk_cli_shell_quote(&b, cases[i][0]), 0);
		assert_string_equal(wk_buf_cstr(&b), cases[i][1]);
	}
	wk_buf_reset(&b);
	assert_int_equal(wk_cli_sanitize(&b, "ok \x1b[31mred\x7f\t"), 0);
	assert_string_equal(wk_buf_cstr(&b), "ok ?[31mred??");
	wk_buf_cleanup(&b);
}

static void
test_parse_time(void **state)
{
	time_t t, now = 1714564800;	/* 2024-05-01T12:00:00Z */

	(void)state;
	assert_int_equal(wk_cli_parse_time("1700000000", now, &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(wk_cli_parse_time("2024-05-01T12:00:00Z", now, &t),
	    0);
	assert_int_equal(t, 1714564800);
	assert_int_equal(wk_cli_parse_time("2024-05-01", now, &t), 0);
	assert_int_equal(t, 1714521600);
	assert_int_equal(wk_cli_parse_time("90s", now, &t), 0);
	assert_int_equal(t, now - 90);
	assert_int_equal(wk_cli_parse_time("15m", now, &t), 0);
	assert_int_equal(t, now - 900);
	assert_int_equal(wk_cli_parse_time("2h", now, &t), 0);
	assert_int_equal(t, now - 7200);
	assert_int_equal(wk_cli_parse_time("7d", now, &t), 0);
	assert_int_equal(t, now - 7 * 86400);
	assert_int_equal(wk_cli_parse_time("", now, &t), WK_ERR_INVAL);
	assert_int_equal(wk_cli_parse_time("h", now, &t), WK_ERR_INVAL);
	assert_int_equal(wk_cli_parse_time("-5", now, &t), WK_ERR_INVAL);
	assert_int_equal(wk_cli_parse_time("5w", now, &t), WK_ERR_INVAL);
	assert_int_equal(wk_cli_parse_time("1 h", now, &t), WK_ERR_INVAL);
	assert_int_equal(wk_cli_parse_time("99999d", now, &t), WK_ERR_INVAL);
	assert_int_equal(wk_cli_parse_time("yesterday", now, &t),
	    WK_ERR_INVAL);
	assert_int_equal(wk_cli_parse_time("99999999999999999999999", now,
	    &t), WK_ERR_INVAL);
}

static void
test_argv(void **state)
{
	struct wk_argv a;
	long n;
	int r = 0;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(wk_argv_push(&a, "ssh"), 0);
	assert_int_equal(wk_argv_pushf(&a, "-p%u", 22u), 0);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.v[1], "-p22");
	assert_null(a.v[2]);
	wk_argv_free(&a);
	wk_argv_free(&a);
	/* allocation failures leave a consistent vector */
	for (n = 0; n < 8; n++) {
		int i;

		wk_alloc_fail_after(n);
		for (i = 0; i < 40; i++) {
			if ((r = wk_argv_push(&a, "x")) != 0)
				break;
		}
		wk_alloc_fail_after(-1);
		assert_true(r == 0 || r == WK_ERR_NOMEM);
		assert_true(a.n == 0 || a.v[a.n] == NULL);
		wk_argv_free(&a);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_longopt),
		cmocka_unit_test(test_shell_quote),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_argv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
