/*
 * test_join_token.c - the join token's text form: old tokens, pinned
 * tokens, and every malformed shape refused with its reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/err.h"
#include "crypto/join_token.h"

#define SECRET "wkjt-AbCdEfGhIjKlMnOpQrStUvWxYz012345"
#define PIN "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static int
parse(const char *s, struct wk_join_token *t, const char **why)
{
	return wk_join_token_parse(s, strlen(s), t, why);
}

static void
test_old_token(void **state)
{
	struct wk_join_token t;
	const char *why;

	(void)state;
	assert_int_equal(parse(SECRET, &t, &why), 0);
	assert_false(t.has_pin);
	assert_string_equal(t.secret, SECRET);
}

static void
test_pinned_token_round_trip(void **state)
{
	struct wk_join_token t;
	char out[WK_JOIN_TOKEN_MAX + 1];
	const char *why;

	(void)state;
	assert_int_equal(parse(SECRET "." PIN, &t, &why), 0);
	assert_true(t.has_pin);
	assert_string_equal(t.secret, SECRET);
	assert_int_equal(t.pin[0], 0x00);
	assert_int_equal(t.pin[1], 0x11);
	assert_int_equal(t.pin[31], 0xff);
	assert_int_equal(wk_join_token_format(&t, out, sizeof(out)), 0);
	assert_string_equal(out, SECRET "." PIN);
	assert_int_equal(wk_join_token_format(&t, out, sizeof(out) - 1),
	    WK_ERR_TOOBIG);
}

static void
test_malformed(void **state)
{
	static const struct { const char *text, *why; } bad[] = {
		{ "", "prefix" },
		{ "wkjt", "prefix" },
		{ "WKJT-AbCdEfGhIjKlMnOpQrStUvWxYz012345", "prefix" },
		{ "wkjt-AbCdEfGhIjKlMnOpQrStUvWxYz01234", "secret" },
		{ "wkjt-AbCdEfGhIjKlMnOpQrStUvWxYz0123456", "secret" },
		{ "wkjt-AbCdEfGhIjKlMnOpQrStUvWxYz01234-", "secret" },
		{ SECRET ".", "pin" },
		{ SECRET "." PIN "0", "pin" },
		{ SECRET "." "00112233445566778899AABBCCDDEEFF"
		    "00112233445566778899aabbccddeeff", "pin" },
		{ SECRET "." "0011223344556677889gaabbccddeeff"
		    "00112233445566778899aabbccddeeff", "pin" },
		{ SECRET ":" PIN, "pin" },
		{ SECRET ".sha256:" PIN, "pin" },
	};
	struct wk_join_token t;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].text, &t, &why), WK_ERR_INVAL);
		assert_string_equal(why, bad[i].why);
		assert_false(t.has_pin);
		assert_string_equal(t.secret, "");
	}
	/* an embedded NUL is not the end of the token */
	assert_int_equal(wk_join_token_parse(SECRET "\0x", sizeof(SECRET) + 1,
	    &t, &why), WK_ERR_INVAL);
}

static void
test_pin_parse(void **state)
{
	uint8_t pin[WK_SPKI_PIN_LEN];
	char hex[WK_SPKI_PIN_HEX_LEN + 1];

	(void)state;
	assert_int_equal(wk_spki_pin_parse(PIN, pin), 0);
	wk_spki_pin_hex(pin, hex);
	assert_string_equal(hex, PIN);
	assert_int_equal(wk_spki_pin_parse("sha256:" PIN, pin), 0);
	assert_int_equal(wk_spki_pin_parse("SHA256:" PIN, pin), WK_ERR_INVAL);
	assert_int_equal(wk_spki_pin_parse("sha256:00112233445566778899AABB"
	    "CCDDEEFF00112233445566778899aabbccddeeff", pin), 0);
	wk_spki_pin_hex(pin, hex);
	assert_string_equal(hex, PIN);
	assert_int_equal(wk_spki_pin_parse(PIN "00", pin), WK_ERR_INVAL);
	assert_int_equal(wk_spki_pin_parse("", pin), WK_ERR_INVAL);
	assert_int_equal(wk_spki_pin_parse(NULL, pin), WK_ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_old_token),
		cmocka_unit_test(test_pinned_token_round_trip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_pin_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
