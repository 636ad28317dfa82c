/*
 * test_failover.c - the agent's server selection (agent/failover.h):
 * sticky on a working server, the next one after a failure at the fast
 * delay, one backoff step per round of failures (not per server), and a
 * failure that is not the server's keeps the server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/failover.h"

/* Success never moves; a dead server moves to the next, in order. */
static void
test_sticky_and_order(void **state)
{
	struct wk_failover f;
	struct wk_backoff b;
	bool moved;
	uint64_t d;

	(void)state;
	memset(&b, 0, sizeof(b));
	wk_failover_init(&f, 3);
	assert_int_equal(f.cur, 0);
	for (int i = 0; i < 5; i++)
		wk_failover_success(&f);
	assert_int_equal(f.cur, 0);
	d = wk_failover_fail(&f, &b, true, WK_BACKOFF_REFUSED, 0, 10, 0,
	    &moved);
	assert_true(moved);
	assert_int_equal(f.cur, 1);
	assert_int_equal(d, WK_BACKOFF_FAST_MIN_MS);
	/* the failover did not count against the backoff */
	assert_int_equal(b.failures, 0);
	/* server 1 works: stay there, server 0 is not tried again */
	for (int i = 0; i < 5; i++)
		wk_failover_success(&f);
	assert_int_equal(f.cur, 1);
	d = wk_failover_fail(&f, &b, true, WK_BACKOFF_ERROR, 0, 20,
	    UINT32_MAX, &moved);
	assert_true(moved);
	assert_int_equal(f.cur, 2);
	assert_true(d >= WK_BACKOFF_FAST_MIN_MS &&
	    d <= WK_BACKOFF_FAST_CAP_MS);
	d = wk_failover_fail(&f, &b, true, WK_BACKOFF_ERROR, 0, 30, 0, &moved);
	assert_int_equal(f.cur, 0);	/* wraps around */
}

/* A whole round failed: one backoff step, and the next round goes on. */
static void
test_round_costs_one_backoff(void **state)
{
	struct wk_failover f;
	struct wk_backoff b;
	bool moved;
	uint64_t d;

	(void)state;
	memset(&b, 0, sizeof(b));
	wk_failover_init(&f, 2);
	(void)wk_failover_fail(&f, &b, true, WK_BACKOFF_ERROR, 0, 0, 0,
	    &moved);
	assert_int_equal(b.failures, 0);
	/* the second server fails too: a backoff step (error: 0.5 s cap) */
	d = wk_failover_fail(&f, &b, true, WK_BACKOFF_ERROR, 0, 100,
	    UINT32_MAX, &moved);
	assert_true(moved);
	assert_int_equal(f.cur, 0);
	assert_int_equal(b.failures, 1);
	assert_true(d <= WK_BACKOFF_BASE_MS);
	/* round two: the first failover is fast again */
	d = wk_failover_fail(&f, &b, true, WK_BACKOFF_ERROR, 0, 200, 0,
	    &moved);
	assert_int_equal(f.cur, 1);
	assert_int_equal(d, WK_BACKOFF_FAST_MIN_MS);
	assert_int_equal(b.failures, 1);
	/* ...and the round's end is the backoff's second step */
	(void)wk_failover_fail(&f, &b, true, WK_BACKOFF_ERROR, 0, 300, 0,
	    &moved);
	assert_int_equal(b.failures, 2);
	assert_int_equal(b.attempt, 2);
	/* a success in between starts the count of the round again */
	(void)wk_failover_fail(&f, &b, true, WK_BACKOFF_ERROR, 0, 400, 0,
	    &moved);
	wk_failover_success(&f);
	d = wk_failover_fail(&f, &b, true, WK_BACKOFF_ERROR, 0, 500, 0,
	    &moved);
	assert_int_equal(b.failures, 2);	/* a failover, not a step */
	/* a Retry-After at the end of a round is honoured */
	d = wk_failover_fail(&f, &b, true, WK_BACKOFF_ERROR, 7, 600, 0,
	    &moved);
	assert_int_equal(d, 7000);
}

/* Not the server's failure (a 4xx), or one server: stay, with backoff. */
static void
test_stay(void **state)
{
	struct wk_failover f;
	struct wk_backoff b;
	bool moved;

	(void)state;
	memset(&b, 0, sizeof(b));
	wk_failover_init(&f, 2);
	(void)wk_failover_fail(&f, &b, false, WK_BACKOFF_ERROR, 0, 0, 0,
	    &moved);
	assert_false(moved);
	assert_int_equal(f.cur, 0);
	assert_int_equal(b.failures, 1);
	wk_failover_init(&f, 1);
	(void)wk_failover_fail(&f, &b, true, WK_BACKOFF_REFUSED, 0, 0, 0,
	    &moved);
	assert_false(moved);
	assert_int_equal(f.cur, 0);
	assert_int_equal(b.failures, 2);
	wk_failover_init(&f, 0);	/* treated as one */
	assert_int_equal(f.n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sticky_and_order),
		cmocka_unit_test(test_round_costs_one_backoff),
		cmocka_unit_test(test_stay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
