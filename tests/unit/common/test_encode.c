/*
 * test_encode.c - hex, base64 (RFC 4648 vectors, strictness) and the AWS
 * URI encodings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/buf.h"
#include "common/encode.h"
#include "common/err.h"

static void
test_hex(void **state)
{
	struct wk_buf b;
	uint8_t out[4];

	(void)state;
	wk_buf_init(&b, 64);
	assert_int_equal(wk_hex_encode(&b, (const uint8_t *)"\x00\x7f\xff\xa5",
	    4), 0);
	assert_string_equal(wk_buf_cstr(&b), "007fffa5");
	assert_int_equal(wk_hex_decode(WK_SPAN_LIT("007FfFa5"), out, 4), 0);
	assert_memory_equal(out, "\x00\x7f\xff\xa5", 4);
	assert_int_equal(wk_hex_decode(WK_SPAN_LIT("007fffa"), out, 4),
	    WK_ERR_INVAL);
	assert_int_equal(wk_hex_decode(WK_SPAN_LIT("007fffa5a5"), out, 4),
	    WK_ERR_INVAL);
	assert_int_equal(wk_hex_decode(WK_SPAN_LIT("007fffg5"), out, 4),
	    WK_ERR_INVAL);
	assert_int_equal(wk_hex_decode(WK_SPAN_LIT(" 07fffa5"), out, 4),
	    WK_ERR_INVAL);
	/* capped output */
	wk_buf_cleanup(&b);
	wk_buf_init(&b, 3);
	assert_int_equal(wk_hex_encode(&b, (const uint8_t *)"ab", 2),
	    WK_ERR_TOOBIG);
	wk_buf_cleanup(&b);
}

static void
test_base64(void **state)
{
	/* RFC 4648, section 10 */
	static const char *const vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char *const bad[] = {
		"Zg=", "Zg", "Z===", "====", "Zh==", "Zm9=", "Zm8", "Zm 9v",
		"Zm9v\n", "Zm-v", "Zm_v", "Z=9v", "Zm=v", "Zg==Zg==",
		"=Zm9", "Zm9v====",
	};
	struct wk_buf b;

	(void)state;
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		wk_buf_init(&b, 64);
		assert_int_equal(wk_base64_encode(&b,
		    (const uint8_t *)vec[i][0], strlen(vec[i][0])), 0);
		assert_string_equal(wk_buf_cstr(&b), vec[i][1]);
		wk_buf_reset(&b);
		assert_int_equal(wk_base64_decode(wk_span_from_cstr(vec[i][1]),
		    &b), 0);
		assert_int_equal(b.len, strlen(vec[i][0]));
		assert_memory_equal(wk_buf_cstr(&b), vec[i][0], b.len);
		wk_buf_cleanup(&b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wk_buf_init(&b, 64);
		if (wk_base64_decode(wk_span_from_cstr(bad[i]), &b) !=
		    WK_ERR_INVAL) {
			print_error("accepted %s\n", bad[i]);
			fail();
		}
		wk_buf_cleanup(&b);
	}
	/* all byte values round trip */
	{
		uint8_t all[256];
		struct wk_buf e, d;

		for (int i = 0; i < 256; i++)
			all[i] = (uint8_t)i;
		wk_buf_init(&e, 1024);
		wk_buf_init(&d, 1024);
		assert_int_equal(wk_base64_encode(&e, all, 256), 0);
		assert_int_equal(wk_base64_decode(wk_buf_span(&e), &d), 0);
		assert_int_equal(d.len, 256);
		assert_memory_equal(d.p, all, 256);
		wk_buf_cleanup(&e);
		wk_buf_cleanup(&d);
	}
	/* every digit of the alphabet, in order; appends after prior data */
	{
		static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789+/";
		uint8_t raw[48];

		assert_int_equal(wk_hex_decode(WK_SPAN_LIT(
		    "00108310518720928b30d38f41149351559761969b71d79f"
		    "8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3dfbf"),
		    raw, sizeof(raw)), 0);
		wk_buf_init(&b, 128);
		assert_int_equal(wk_buf_append_str(&b, "x:"), 0);
		assert_int_equal(wk_base64_encode(&b, raw, sizeof(raw)), 0);
		assert_int_equal(b.len, 2 + 64);
		assert_memory_equal(b.p, "x:", 2);
		assert_string_equal(wk_buf_cstr(&b) + 2, alphabet);
		wk_buf_cleanup(&b);
	}
	/* encode into a buffer too small: nothing appended */
	wk_buf_init(&b, 7);
	assert_int_equal(wk_buf_append_str(&b, "ab"), 0);
	assert_int_equal(wk_base64_encode(&b, (const uint8_t *)"foobar", 6),
	    WK_ERR_TOOBIG);
	assert_string_equal(wk_buf_cstr(&b), "ab");
	wk_buf_cleanup(&b);
	/* decode into a buffer too small */
	wk_buf_init(&b, 2);
	assert_int_equal(wk_base64_decode(WK_SPAN_LIT("Zm9v"), &b),
	    WK_ERR_TOOBIG);
	wk_buf_cleanup(&b);
}

static void
test_uri(void **state)
{
	struct wk_buf b;

	(void)state;
	wk_buf_init(&b, 256);
	assert_int_equal(wk_uri_encode(&b, WK_SPAN_LIT(
	    "aZ09-._~ /+=&%\xe1\x88\xb4"), true), 0);
	assert_string_equal(wk_buf_cstr(&b),
	    "aZ09-._~%20%2F%2B%3D%26%25%E1%88%B4");
	wk_buf_reset(&b);
	assert_int_equal(wk_uri_encode(&b, WK_SPAN_LIT("/a b/"), false), 0);
	assert_string_equal(wk_buf_cstr(&b), "/a%20b/");
	wk_buf_reset(&b);
	assert_int_equal(wk_uri_encode(&b, WK_SPAN_NULL, false), 0);
	assert_non_null(b.p);
	assert_string_equal(wk_buf_cstr(&b), "");

	wk_buf_reset(&b);
	assert_int_equal(wk_uri_decode(&b, WK_SPAN_LIT("a%20b+c%2fd%2F"),
	    false), 0);
	assert_string_equal(wk_buf_cstr(&b), "a b+c/d/");
	wk_buf_reset(&b);
	assert_int_equal(wk_uri_decode(&b, WK_SPAN_LIT("a+b%2B"), true), 0);
	assert_string_equal(wk_buf_cstr(&b), "a b+");
	wk_buf_reset(&b);
	assert_int_equal(wk_uri_decode(&b, WK_SPAN_LIT("%00"), false), 0);
	assert_int_equal(b.len, 1);
	assert_int_equal(b.p[0], 0);
	wk_buf_reset(&b);
	assert_int_equal(wk_uri_decode(&b, WK_SPAN_LIT("%"), false),
	    WK_ERR_INVAL);
	wk_buf_reset(&b);
	assert_int_equal(wk_uri_decode(&b, WK_SPAN_LIT("%2"), false),
	    WK_ERR_INVAL);
	wk_buf_reset(&b);
	assert_int_equal(wk_uri_decode(&b, WK_SPAN_LIT("%zz"), false),
	    WK_ERR_INVAL);
	wk_buf_reset(&b);
	assert_int_equal(wk_uri_decode(&b, WK_SPAN_LIT("ab%4"), false),
	    WK_ERR_INVAL);
	wk_buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_uri),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
