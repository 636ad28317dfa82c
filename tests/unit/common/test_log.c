/*
 * test_log.c - the repeat limiter: a flood of one kind of line is logged
 * as a burst and then counted, and the count is logged once per window;
 * and the process-wide repeat filter of WARN/ERROR lines (log.h), driven
 * by an injected clock: identical failures collapse into one count line,
 * distinct ones of one event share a budget, the table's overflow is
 * bounded too, INFO passes untouched.
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

static uint64_t fake_now;

static uint64_t
fake_clock(void)
{
	return fake_now;
}

static size_t
count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static int
setup_clock(void **state)
{
	(void)state;
	wk_log_set_level(WK_LOG_INFO);
	fake_now = 50000000;
	wk_log_set_clock(fake_clock);
	return 0;
}

static void
drain(void)
{
	wk_log_repeat_flush_all();
}

static int
teardown_clock(void **state)
{
	char text[65536];

	(void)state;
	(void)capture(drain, text, sizeof(text));
	wk_log_set_clock(NULL);
	return 0;
}

/* 10,000 failed pushes in 10 s: 5 lines, then one count line. */
static void
identical_flood(void)
{
	uint64_t start = fake_now + 1;

	for (int i = 0; i < 10000; i++) {
		fake_now += (uint64_t)(i % 2);	/* 10,000 in 5 s */
		wk_log(WK_LOG_ERROR, "audit", "request_id=%08x-%d outcome=failed "
		    "error=\"disk full\" duration_us=%d", (unsigned)i * 7919u,
		    i, i % 977);
	}
	/* the window has not ended: nothing more */
	fake_now = start + WK_LOG_REPEAT_WINDOW_MS - 2;
	wk_log_repeat_flush();
	fake_now += 1;
	wk_log_repeat_flush();
	/* the next window starts afresh */
	wk_log(WK_LOG_ERROR, "audit", "request_id=zz outcome=failed "
	    "error=\"disk full\" duration_us=1");
}

static void
test_identical_collapsed(void **state)
{
	static char text[65536];
	size_t lines;

	(void)state;
	lines = capture(identical_flood, text, sizeof(text));
	assert_int_equal(lines, WK_LOG_REPEAT_BURST + 1 + 1);
	assert_int_equal(count(text, "outcome=failed error=\"disk full\" "
	    "duration_us="), WK_LOG_REPEAT_BURST + 1);	/* the sample has ' */
	assert_non_null(strstr(text, "level=error event=audit repeated=9995 "
	    "window_s=10 sample=\"request_id=00000000-0 outcome=failed "
	    "error='disk full' duration_us=0\" message=\"... repeated 9,995 "
	    "times in the last 10 s\"\n"));
	assert_non_null(strstr(text, "request_id=zz"));
}

/* Different errors are not identical; varied messages share the budget. */
static void
distinct_flood(void)
{
	char word[8];

	for (int i = 0; i < 20; i++) {
		fake_now++;
		wk_log(WK_LOG_WARN, "key_touch", "error=io");
		wk_log(WK_LOG_WARN, "key_touch", "error=store");
	}
	/* an attacker varying a field that is not a number */
	for (int i = 0; i < 5000; i++) {
		fake_now++;
		for (int k = 0; k < 4; k++)
			word[k] = (char)('a' + (i >> (k * 4)) % 16);
		word[4] = '\0';
		wk_log(WK_LOG_WARN, "auth_refused", "user=%s", word);
	}
	wk_log(WK_LOG_INFO, "audit", "outcome=ok");	/* never filtered */
	fake_now += WK_LOG_REPEAT_WINDOW_MS;
	wk_log_repeat_flush();
}

static void
test_distinct_share_a_budget(void **state)
{
	static char text[65536];
	size_t lines;

	(void)state;
	lines = capture(distinct_flood, text, sizeof(text));
	assert_int_equal(count(text, "event=key_touch error=io\n"),
	    WK_LOG_REPEAT_BURST);
	assert_int_equal(count(text, "event=key_touch error=store\n"),
	    WK_LOG_REPEAT_BURST);
	assert_int_equal(count(text, "event=auth_refused user="),
	    WK_LOG_EVENT_BURST);
	assert_non_null(strstr(text, "event=auth_refused suppressed=4950 "
	    "window_s=10 message=\"... 4,950 more lines of this event in the "
	    "last 10 s\""));
	assert_non_null(strstr(text, "event=key_touch repeated=15 "));
	assert_non_null(strstr(text, "level=info event=audit outcome=ok"));
	/* 5 + 5 + 50 lines, 3 count lines, the INFO line */
	assert_int_equal(lines, 2 * WK_LOG_REPEAT_BURST + WK_LOG_EVENT_BURST +
	    3 + 1);
}

/* More kinds of line than the table holds: still bounded. */
static void
overflow_flood(void)
{
	for (int i = 0; i < 20000; i++) {
		char ev[32];

		fake_now++;
		snprintf(ev, sizeof(ev), "ev_%c%c%c", 'a' + i % 26,
		    'a' + (i / 26) % 26, 'a' + (i / 676) % 26);
		wk_log(WK_LOG_ERROR, ev, "x=y");
	}
}

static void
test_overflow_bounded(void **state)
{
	static char text[1 << 20];
	size_t lines;

	(void)state;
	lines = capture(overflow_flood, text, sizeof(text));
	assert_true(lines <= WK_LOG_REPEAT_SLOTS + WK_LOG_EVENT_BURST);
	assert_true(lines >= WK_LOG_REPEAT_SLOTS / 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limited),
		cmocka_unit_test_setup_teardown(test_identical_collapsed,
		    setup_clock, teardown_clock),
		cmocka_unit_test_setup_teardown(test_distinct_share_a_budget,
		    setup_clock, teardown_clock),
		cmocka_unit_test_setup_teardown(test_overflow_bounded,
		    setup_clock, teardown_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
