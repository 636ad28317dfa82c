/*
 * test_log.c - the repeat limiter: a flood of one kind of line is logged
 * as a burst and then counted, and the count is logged once per window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

/* Runs fn with stderr sent to a file; returns the lines written. */
static size_t
capture(void (*fn)(void), char *text, size_t textsz)
{
	FILE *f = tmpfile();
	int saved = dup(2);
	size_t n = 0, lines = 0;

	assert_non_null(f);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(f), 2) >= 0);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(text, 1, textsz - 1, f);
	text[n] = '\0';
	fclose(f);
	for (size_t i = 0; i < n; i++)
		lines += text[i] == '\n';
	return lines;
}

static struct wk_log_limit lim;

static void
flood(void)
{
	uint64_t t0 = 1000000;

	/* 500 in one window: the burst, then counted */
	for (int i = 0; i < 500; i++)
		wk_log_limited(&lim, t0 + (uint64_t)i, "n=%d", i);
	/* the window has not ended: nothing more */
	wk_log_limit_flush(&lim, t0 + WK_LOG_LIMIT_WINDOW_MS - 1);
	/* ended: one count line, then the next window's first line */
	wk_log_limit_flush(&lim, t0 + WK_LOG_LIMIT_WINDOW_MS);
	wk_log_limit_flush(&lim, t0 + WK_LOG_LIMIT_WINDOW_MS + 1);
	wk_log_limited(&lim, t0 + WK_LOG_LIMIT_WINDOW_MS + 2, "n=again");
}

static void
test_limited(void **state)
{
	char text[16384];
	size_t lines;

	(void)state;
	memset(&lim, 0, sizeof(lim));
	lim.event = "http_refused";
	lim.what = "reason=test";
	lim.level = WK_LOG_INFO;
	wk_log_set_level(WK_LOG_INFO);
	lines = capture(flood, text, sizeof(text));
	assert_int_equal(lines, WK_LOG_LIMIT_BURST + 2);
	assert_non_null(strstr(text, "event=http_refused n=0\n"));
	assert_null(strstr(text, "n=10\n"));
	assert_non_null(strstr(text, "reason=test repeated=490 window_s=10 "
	    "message=\"... repeated 490 times in 10 s\""));
	assert_non_null(strstr(text, "n=again"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
