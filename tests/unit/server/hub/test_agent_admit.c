/*
 * test_agent_admit.c - the admission limit for new agent long-polls
 * (hub/agent_admit.c): one second's worth at once, then the refill rate;
 * the refused are booked places spread at the rate, never two seconds'
 * worth in one second, and the wait is capped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/hub/agent_hub_int.h"

static void
test_off_admits_all(void **state)
{
	struct wk_hub_admit ad;

	(void)state;
	memset(&ad, 0, sizeof(ad));
	for (int i = 0; i < 100000; i++)
		assert_int_equal(wk_hub_admit(&ad, 0, 1000), 0);
}

/* 10,000 agents at once against 1,000/s: a second's burst, then booked. */
static void
test_burst_then_booked(void **state)
{
	struct wk_hub_admit ad;
	unsigned per_second[64], ra;
	int admitted = 0;

	(void)state;
	memset(&ad, 0, sizeof(ad));
	memset(per_second, 0, sizeof(per_second));
	for (int i = 0; i < 10000; i++) {
		ra = wk_hub_admit(&ad, 1000, 5000);
		if (ra == 0) {
			admitted++;
			continue;
		}
		assert_true(ra >= 1 && ra <= WK_HUB_ADMIT_MAX_WAIT_S);
		per_second[ra]++;
	}
	assert_int_equal(admitted, 1000);
	/* 9,000 booked over seconds 1..9, at most the rate in each */
	for (unsigned s = 1; s < 64; s++)
		assert_true(per_second[s] <= 1000);
	assert_int_equal(per_second[1] + per_second[2] + per_second[3] +
	    per_second[4] + per_second[5] + per_second[6] + per_second[7] +
	    per_second[8] + per_second[9], 9000);
	assert_int_equal(per_second[10], 0);
	assert_int_equal(ad.deferred, 9000);
}

/* The bucket refills at the rate; a huge crowd is capped at the max wait. */
static void
test_refill_and_cap(void **state)
{
	struct wk_hub_admit ad;
	int admitted = 0;

	(void)state;
	memset(&ad, 0, sizeof(ad));
	for (int i = 0; i < 100; i++)
		assert_int_equal(wk_hub_admit(&ad, 100, 1000), 0);
	assert_int_not_equal(wk_hub_admit(&ad, 100, 1000), 0);
	/* half a second later: 50 more */
	for (int i = 0; i < 200; i++)
		admitted += wk_hub_admit(&ad, 100, 1500) == 0;
	assert_int_equal(admitted, 50);
	for (int i = 0; i < 100000; i++)
		assert_true(wk_hub_admit(&ad, 100, 1500) <=
		    WK_HUB_ADMIT_MAX_WAIT_S);
	assert_int_equal(wk_hub_admit(&ad, 100, 1500),
	    WK_HUB_ADMIT_MAX_WAIT_S);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_admits_all),
		cmocka_unit_test(test_burst_then_booked),
		cmocka_unit_test(test_refill_and_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
