/*
 * test_buf.c - the capped buffer and the span helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/err.h"

static void
test_append_and_cap(void **state)
{
	struct wk_buf b;

	(void)state;
	wk_buf_init(&b, 10);
	assert_string_equal(wk_buf_cstr(&b), "");
	assert_int_equal(wk_buf_append_str(&b, "hello"), 0);
	assert_int_equal(wk_buf_putc(&b, ' '), 0);
	assert_int_equal(wk_buf_appendf(&b, "%d", 123), 0);
	assert_string_equal(wk_buf_cstr(&b), "hello 123");
	assert_int_equal(b.len, 9);
	/* one more fits (10), then the ceiling */
	assert_int_equal(wk_buf_putc(&b, '!'), 0);
	assert_int_equal(wk_buf_putc(&b, '?'), WK_ERR_TOOBIG);
	assert_int_equal(wk_buf_appendf(&b, "x"), WK_ERR_TOOBIG);
	assert_int_equal(wk_buf_append(&b, "", 0), 0);
	assert_string_equal(wk_buf_cstr(&b), "hello 123!");
	assert_true(b.cap >= b.len + 1);
	assert_true(b.cap <= 11);	/* never allocates past max + 1 */
	wk_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(wk_buf_cstr(&b), "");
	assert_int_equal(wk_buf_append(&b, "0123456789", 10), 0);
	assert_int_equal(wk_buf_append(&b, "a", 1), WK_ERR_TOOBIG);
	wk_buf_cleanup(&b);
	assert_null(b.p);
	wk_buf_cleanup(&b);	/* twice is fine */
	wk_buf_cleanup(NULL);
	wk_buf_cleanup_secret(NULL);

	/* huge requests fail cleanly, even with no ceiling */
	wk_buf_init(&b, SIZE_MAX);
	assert_int_equal(wk_buf_append_str(&b, "x"), 0);
	assert_int_equal(wk_buf_reserve(&b, SIZE_MAX), WK_ERR_TOOBIG);
	assert_int_equal(wk_buf_reserve(&b, SIZE_MAX - 1), WK_ERR_TOOBIG);
	assert_string_equal(wk_buf_cstr(&b), "x");
	wk_buf_cleanup_secret(&b);
}

/*
 * appendf writes into the room there is when the text fits, and when it
 * does not, nothing of the first, cut attempt stays: the buffer grows and
 * holds exactly the text, or (over the ceiling) is left as it was.
 */
static void
test_appendf_in_place_and_spill(void **state)
{
	struct wk_buf b;
	char big[200];

	(void)state;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	wk_buf_init(&b, 300);
	assert_int_equal(wk_buf_append_str(&b, "ab"), 0);	/* cap 64 */
	assert_int_equal(b.cap, 64);
	assert_int_equal(wk_buf_appendf(&b, "<%s>", "cd"), 0);	/* fits */
	assert_string_equal(wk_buf_cstr(&b), "ab<cd>");
	assert_int_equal(b.cap, 64);
	assert_int_equal(wk_buf_appendf(&b, "[%s]", big), 0);	/* spills */
	assert_int_equal(b.len, 6 + 201);
	assert_int_equal(memcmp(b.p, "ab<cd>[zzz", 10), 0);
	assert_int_equal(b.p[b.len - 1], ']');
	assert_int_equal(b.p[b.len], '\0');
	/* over the ceiling: refused, the buffer as it was */
	assert_int_equal(wk_buf_appendf(&b, "%s", big), WK_ERR_TOOBIG);
	assert_int_equal(b.len, 207);
	assert_int_equal(b.p[b.len], '\0');
	assert_int_equal(b.p[b.len - 1], ']');
	/* exactly up to the ceiling */
	assert_int_equal(wk_buf_appendf(&b, "%.*s", 93, big), 0);
	assert_int_equal(b.len, 300);
	assert_int_equal(wk_buf_appendf(&b, "%s", ""), 0);
	assert_int_equal(wk_buf_appendf(&b, "x"), WK_ERR_TOOBIG);
	assert_int_equal(b.len, 300);
	assert_int_equal(b.p[300], '\0');
	wk_buf_cleanup(&b);
}

static void
test_growth_and_binary(void **state)
{
	struct wk_buf b;
	uint8_t bytes[256];
	char *s;

	(void)state;
	for (int i = 0; i < 256; i++)
		bytes[i] = (uint8_t)i;
	wk_buf_init(&b, 1 << 20);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(wk_buf_append(&b, bytes, sizeof(bytes)), 0);
	assert_int_equal(b.len, 256000);
	assert_memory_equal(b.p + 255 * 256, bytes, 256);
	assert_int_equal(b.p[b.len], 0);
	s = wk_buf_steal(&b);
	assert_non_null(s);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	free(s);
	/* steal of an empty buffer gives "" */
	s = wk_buf_steal(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	wk_buf_cleanup(&b);
}

static void
test_alloc_failure(void **state)
{
	struct wk_buf b;
	char *s;

	(void)state;
	wk_buf_init(&b, 1 << 20);
	wk_alloc_fail_after(0);
	assert_int_equal(wk_buf_append_str(&b, "x"), WK_ERR_NOMEM);
	assert_int_equal(wk_span_to_cstr(WK_SPAN_LIT("abc"), &s),
	    WK_ERR_NOMEM);
	assert_null(s);
	wk_alloc_fail_after(1);
	assert_int_equal(wk_buf_append_str(&b, "x"), 0);
	/* growing past 64 needs a second allocation */
	assert_int_equal(wk_buf_reserve(&b, 100), WK_ERR_NOMEM);
	assert_string_equal(wk_buf_cstr(&b), "x");
	wk_alloc_fail_after(-1);
	assert_int_equal(wk_buf_reserve(&b, 100), 0);
	wk_buf_cleanup(&b);
}

static void
test_spans(void **state)
{
	struct wk_span h, r;
	char *s;

	(void)state;
	assert_true(wk_span_eq(WK_SPAN_LIT("abc"), wk_span_from_cstr("abc")));
	assert_false(wk_span_eq(WK_SPAN_LIT("abc"), WK_SPAN_LIT("abd")));
	assert_false(wk_span_eq(WK_SPAN_LIT("abc"), WK_SPAN_LIT("ab")));
	assert_true(wk_span_eq(WK_SPAN_NULL, WK_SPAN_LIT("")));
	assert_true(wk_span_eq_cstr(WK_SPAN_NULL, ""));
	assert_true(wk_span_case_eq_cstr(WK_SPAN_LIT("X-Amz-Date"),
	    "x-amz-date"));
	assert_false(wk_span_case_eq_cstr(WK_SPAN_LIT("X-Amz-Date"),
	    "x-amz-datf"));
	assert_false(wk_span_case_eq_cstr(WK_SPAN_LIT("["), "{"));
	assert_true(wk_span_starts_with(WK_SPAN_LIT("abc"), "ab"));
	assert_true(wk_span_starts_with(WK_SPAN_LIT("abc"), ""));
	assert_false(wk_span_starts_with(WK_SPAN_LIT("a"), "ab"));
	assert_true(wk_span_ct_eq(WK_SPAN_LIT("secret"),
	    WK_SPAN_LIT("secret")));
	assert_false(wk_span_ct_eq(WK_SPAN_LIT("secret"),
	    WK_SPAN_LIT("secreT")));
	assert_false(wk_span_ct_eq(WK_SPAN_LIT("secret"),
	    WK_SPAN_LIT("secret2")));
	assert_true(wk_span_ct_eq(WK_SPAN_NULL, WK_SPAN_NULL));
	assert_false(wk_span_ct_eq(WK_SPAN_NULL, WK_SPAN_LIT("a")));
	/* A difference in any one bit of any byte is seen. */
	{
		uint8_t x[40], y[40];

		for (size_t i = 0; i < sizeof(x); i++)
			x[i] = y[i] = (uint8_t)(i * 37 + 1);
		assert_true(wk_span_ct_eq(wk_span_from_mem(x, 40),
		    wk_span_from_mem(y, 40)));
		for (size_t i = 0; i < sizeof(x); i++) {
			for (int bit = 0; bit < 8; bit++) {
				y[i] ^= (uint8_t)(1u << bit);
				assert_false(wk_span_ct_eq(
				    wk_span_from_mem(x, 40),
				    wk_span_from_mem(y, 40)));
				y[i] ^= (uint8_t)(1u << bit);
			}
		}
	}

	assert_true(wk_span_split(WK_SPAN_LIT("a=b=c"), '=', &h, &r));
	assert_true(wk_span_eq_cstr(h, "a"));
	assert_true(wk_span_eq_cstr(r, "b=c"));
	assert_true(wk_span_split(WK_SPAN_LIT("=x"), '=', &h, &r));
	assert_int_equal(h.len, 0);
	assert_true(wk_span_eq_cstr(r, "x"));
	assert_true(wk_span_split(WK_SPAN_LIT("x="), '=', &h, &r));
	assert_int_equal(r.len, 0);
	assert_false(wk_span_split(WK_SPAN_LIT("abc"), '=', &h, &r));
	assert_true(wk_span_eq_cstr(h, "abc"));
	assert_null(r.p);
	assert_false(wk_span_split(WK_SPAN_NULL, '=', &h, &r));

	assert_true(wk_span_eq_cstr(wk_span_trim(WK_SPAN_LIT(" \t a b\r\n")),
	    "a b"));
	assert_int_equal(wk_span_trim(WK_SPAN_LIT(" \t\r\n ")).len, 0);
	assert_int_equal(wk_span_trim(WK_SPAN_NULL).len, 0);

	assert_int_equal(wk_span_to_cstr(WK_SPAN_LIT("abc"), &s), 0);
	assert_string_equal(s, "abc");
	free(s);
	assert_int_equal(wk_span_to_cstr(WK_SPAN_NULL, &s), 0);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(wk_span_to_cstr(wk_span_from_mem("a\0b", 3), &s),
	    WK_ERR_INVAL);
	assert_null(s);
}

static void
test_numbers(void **state)
{
	static const char *bad[] = { "", "-1", "+1", " 1", "1 ", "1a", "0x10",
		"18446744073709551616", "99999999999999999999",
		"000000000000000000001" };
	uint64_t v;

	(void)state;
	assert_int_equal(wk_cstr_to_u64("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(wk_cstr_to_u64("10", 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(wk_cstr_to_u64("11", 10, &v), WK_ERR_INVAL);
	assert_int_equal(v, 0);
	assert_int_equal(wk_cstr_to_u64("18446744073709551615", UINT64_MAX,
	    &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(wk_cstr_to_u64("18446744073709551610", UINT64_MAX,
	    &v), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		assert_int_equal(wk_cstr_to_u64(bad[i], UINT64_MAX, &v),
		    WK_ERR_INVAL);
		assert_int_equal(v, 0);
	}
	assert_int_equal(wk_span_to_u64(wk_span_from_mem("12\0", 3), 100, &v),
	    WK_ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_cap),
		cmocka_unit_test(test_appendf_in_place_and_spill),
		cmocka_unit_test(test_growth_and_binary),
		cmocka_unit_test(test_alloc_failure),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
