/*
 * test_backoff.c - the agent's reconnect policy (agent/backoff.h): fast
 * and bounded while a short outage refuses connections, exponential with
 * full jitter after the window and for other failures, Retry-After
 * honoured with up to a second of jitter, and reset by success.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/backoff.h"

static uint32_t
lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s;
}

/* A refused connection in the first 10 s: 0.1..1 s, never growing. */
static void
test_fast_window(void **state)
{
	struct wk_backoff b;
	uint64_t t = 5000, d, lo = UINT64_MAX, hi = 0;
	uint32_t s = 1;

	(void)state;
	memset(&b, 0, sizeof(b));
	while (t - 5000 < WK_BACKOFF_FAST_WINDOW_MS) {
		d = wk_backoff_next(&b, WK_BACKOFF_REFUSED, t, lcg(&s));
		assert_true(d >= WK_BACKOFF_FAST_MIN_MS);
		assert_true(d <= WK_BACKOFF_FAST_CAP_MS);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		t += d;
	}
	assert_true(b.failures >= 10);
	/* jittered: spread over the range, not one value */
	assert_true(lo < 300 && hi > 800);
	/* the extremes of rnd */
	memset(&b, 0, sizeof(b));
	assert_int_equal(wk_backoff_next(&b, WK_BACKOFF_REFUSED, 1, 0),
	    WK_BACKOFF_FAST_MIN_MS);
	assert_true(wk_backoff_next(&b, WK_BACKOFF_REFUSED, 2, UINT32_MAX) <=
	    WK_BACKOFF_FAST_CAP_MS);
}

/* Past the window the cap doubles from 1 s to 30 s, full jitter below. */
static void
test_refused_grows_after_window(void **state)
{
	struct wk_backoff b;
	uint64_t t = 0, caps[8] = { 1000, 2000, 4000, 8000, 16000, 30000,
	    30000, 30000 };

	(void)state;
	memset(&b, 0, sizeof(b));
	(void)wk_backoff_next(&b, WK_BACKOFF_REFUSED, 1, 0);
	t = 1 + WK_BACKOFF_FAST_WINDOW_MS;
	for (size_t i = 0; i < 8; i++) {
		/* the largest rnd below the cap's modulus gives the cap */
		uint32_t top = (uint32_t)(caps[i] - WK_BACKOFF_FAST_MIN_MS);
		struct wk_backoff copy = b;

		assert_int_equal(wk_backoff_next(&copy, WK_BACKOFF_REFUSED, t,
		    top), caps[i]);
		assert_int_equal(wk_backoff_next(&b, WK_BACKOFF_REFUSED, t, 0),
		    WK_BACKOFF_FAST_MIN_MS);
	}
}

/* Any other failure: exponential from 0.5 s at once, capped at 30 s. */
static void
test_error_exponential(void **state)
{
	struct wk_backoff b;
	uint64_t d;
	uint32_t s = 7;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(wk_backoff_next(&b, WK_BACKOFF_ERROR, 1,
	    WK_BACKOFF_BASE_MS - WK_BACKOFF_FAST_MIN_MS), WK_BACKOFF_BASE_MS);
	for (int i = 0; i < 100; i++) {
		d = wk_backoff_next(&b, WK_BACKOFF_ERROR, 2, lcg(&s));
		assert_true(d >= WK_BACKOFF_FAST_MIN_MS);
		assert_true(d <= WK_BACKOFF_MAX_MS);
	}
	assert_int_equal(b.failures, 101);
}

/* Retry-After: N s plus 0..1 s, clamped; success resets the outage. */
static void
test_retry_after_and_reset(void **state)
{
	struct wk_backoff b;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(wk_backoff_retry_after(&b, 3, 100, 0), 3000);
	assert_int_equal(wk_backoff_retry_after(&b, 3, 100, 999), 3999);
	assert_int_equal(wk_backoff_retry_after(&b, 3, 100, 1000), 3000);
	assert_int_equal(wk_backoff_retry_after(&b, 0, 100, 0), 1000);
	assert_int_equal(wk_backoff_retry_after(&b, 1000000, 100, 0),
	    WK_BACKOFF_RETRY_AFTER_MAX_S * 1000);
	assert_int_equal(b.failures, 5);
	assert_int_equal(b.outage_start_ms, 100);
	wk_backoff_reset(&b);
	assert_int_equal(b.failures, 0);
	/* a new outage: fast again even though the clock moved on */
	assert_true(wk_backoff_next(&b, WK_BACKOFF_REFUSED, 999999,
	    UINT32_MAX) <= WK_BACKOFF_FAST_CAP_MS);
	assert_int_equal(b.outage_start_ms, 999999);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_window),
		cmocka_unit_test(test_refused_grows_after_window),
		cmocka_unit_test(test_error_exponential),
		cmocka_unit_test(test_retry_after_and_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
