/*
 * test_time.c - AWS timestamp formats and the strict time parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/err.h"
#include "common/time.h"

static void
test_format(void **state)
{
	char iso[21], amz[17];

	(void)state;
	wk_time_iso8601(1440938160, iso);
	assert_string_equal(iso, "2015-08-30T12:36:00Z");
	wk_time_amzdate(1440938160, amz);
	assert_string_equal(amz, "20150830T123600Z");
	wk_time_amzdate(0, amz);
	assert_string_equal(amz, "19700101T000000Z");
}

static void
test_parse(void **state)
{
	static const struct {
		const char *s;
		time_t t;
	} good[] = {
		{ "20150830T123600Z", 1440938160 },
		{ "2015-08-30T12:36:00Z", 1440938160 },
		{ "2015-08-30T12:36:00.123Z", 1440938160 },
		{ "2015-08-30T12:36:00+00:00", 1440938160 },
		{ "2015-08-30", 1440892800 },
		{ "2016-02-29T00:00:00Z", 1456704000 },
		{ "1970-01-01T00:00:00Z", 0 },
	};
	static const char *const bad[] = {
		"", "2015", "20150830T123600", "20150830T123600z",
		"20150830 123600Z", "2015083OT123600Z", "2015-08-30T12:36:00",
		"2015-08-30T12:36:00+01:00", "2015-08-30T12:36:00.Z",
		"2015-08-30T12:36Z", "2015-08-30T", "2015-13-01",
		"2015-00-01", "2015-02-29", "2015-04-31",
		"2015-08-30T24:00:00Z",
		"2015-08-30T12:60:00Z", "2015-08-30T12:00:61Z", "1969-12-31",
		"2015-08-30T12:36:00ZZ", "2015-08-30x", "+015-08-30",
		"2015-08-30T12:36:00.123", "2015/08/30",
	};
	time_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(wk_time_parse(wk_span_from_cstr(good[i].s),
		    &t), 0);
		assert_int_equal(t, good[i].t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 5;
		if (wk_time_parse(wk_span_from_cstr(bad[i]), &t) !=
		    WK_ERR_INVAL) {
			print_error("accepted %s\n", bad[i]);
			fail();
		}
		assert_int_equal(t, 0);
	}
	assert_int_equal(wk_time_parse(WK_SPAN_NULL, &t), WK_ERR_INVAL);
}

static void
test_clocks(void **state)
{
	uint64_t a, b;
	time_t now = wk_wall_now();

	(void)state;
	a = wk_mono_ms();
	b = wk_mono_ms();
	assert_true(b >= a);
	assert_true(now > 1600000000);
	assert_true(wk_wall_ms() / 1000 >= (int64_t)now);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_clocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
