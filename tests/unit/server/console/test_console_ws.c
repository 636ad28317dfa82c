/*
 * test_console_ws.c - the terminal protocol's parsers and helpers
 * (console_ws.c, console_static.c, console_instances.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "server/console/console_int.h"

static void
test_accept_key(void **state)
{
	char out[29];

	(void)state;
	/* RFC 6455, section 1.3 */
	assert_int_equal(wk_ws_accept_key(WK_SPAN_LIT(
	    "dGhlIHNhbXBsZSBub25jZQ=="), out), 0);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_int_equal(wk_ws_accept_key(WK_SPAN_LIT(" dGhlIHNhbXBsZSBub25jZQ== "),
	    out), 0);
	assert_int_equal(wk_ws_accept_key(WK_SPAN_LIT("short"), out),
	    WK_ERR_INVAL);
	assert_string_equal(out, "");
	/* 24 characters, but not 16 bytes of base64 */
	assert_int_equal(wk_ws_accept_key(WK_SPAN_LIT(
	    "!!!!!!!!!!!!!!!!!!!!!!!!"), out), WK_ERR_INVAL);
	assert_int_equal(wk_ws_accept_key(WK_SPAN_NULL, out), WK_ERR_INVAL);
}

static void
test_term_msg(void **state)
{
	struct wk_term_msg m;
	uint8_t big[WK_TERM_MSG_MAX + 1];

	(void)state;
	assert_int_equal(wk_term_msg_parse(WK_SPAN_LIT("0ls\r"), &m), 0);
	assert_int_equal(m.kind, WK_TERM_MSG_INPUT);
	assert_true(wk_span_eq_cstr(m.data, "ls\r"));
	assert_int_equal(wk_term_msg_parse(WK_SPAN_LIT("0"), &m), 0);
	assert_int_equal(m.data.len, 0);
	assert_int_equal(wk_term_msg_parse(WK_SPAN_LIT("1\x00\x50\x00\x18"),
	    &m), 0);
	assert_int_equal(m.kind, WK_TERM_MSG_RESIZE);
	assert_int_equal(m.cols, 80);
	assert_int_equal(m.rows, 24);
	/* zero, over the maxima, wrong length */
	assert_int_equal(wk_term_msg_parse(WK_SPAN_LIT("1\x00\x00\x00\x18"),
	    &m), WK_ERR_INVAL);
	assert_int_equal(wk_term_msg_parse(WK_SPAN_LIT("1\xff\xff\x00\x18"),
	    &m), WK_ERR_INVAL);
	assert_int_equal(wk_term_msg_parse(WK_SPAN_LIT("1\x00\x50\x01\xf5"),
	    &m), WK_ERR_INVAL);
	assert_int_equal(wk_term_msg_parse(WK_SPAN_LIT("1\x00\x50\x00"), &m),
	    WK_ERR_INVAL);
	assert_int_equal(wk_term_msg_parse(WK_SPAN_LIT("2"), &m), 0);
	assert_int_equal(m.kind, WK_TERM_MSG_PAUSE);
	assert_int_equal(wk_term_msg_parse(WK_SPAN_LIT("3"), &m), 0);
	assert_int_equal(m.kind, WK_TERM_MSG_RESUME);
	assert_int_equal(wk_term_msg_parse(WK_SPAN_LIT("3x"), &m),
	    WK_ERR_INVAL);
	assert_int_equal(wk_term_msg_parse(WK_SPAN_LIT("9"), &m),
	    WK_ERR_INVAL);
	assert_int_equal(wk_term_msg_parse(WK_SPAN_LIT(""), &m),
	    WK_ERR_INVAL);
	memset(big, '0', sizeof(big));
	assert_int_equal(wk_term_msg_parse(wk_span_from_mem(big, sizeof(big)),
	    &m), WK_ERR_INVAL);
	assert_int_equal(wk_term_msg_parse(wk_span_from_mem(big,
	    sizeof(big) - 1), &m), 0);
}

static void
test_query_get(void **state)
{
	char out[20];

	(void)state;
	assert_int_equal(wk_console_query_get(WK_SPAN_LIT(
	    "instance=i-0123456789abcdef0&user=ubuntu"), "user", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "ubuntu");
	assert_int_equal(wk_console_query_get(WK_SPAN_LIT("a=1&user=ec2%2Duser"),
	    "user", out, sizeof(out)), 0);
	assert_string_equal(out, "ec2-user");
	assert_int_equal(wk_console_query_get(WK_SPAN_LIT("user"), "user",
	    out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(wk_console_query_get(WK_SPAN_LIT("users=1"), "user",
	    out, sizeof(out)), WK_ERR_NOTFOUND);
	assert_int_equal(wk_console_query_get(WK_SPAN_LIT(""), "user", out,
	    sizeof(out)), WK_ERR_NOTFOUND);
	assert_int_equal(wk_console_query_get(WK_SPAN_LIT("user=%zz"), "user",
	    out, sizeof(out)), WK_ERR_INVAL);
	assert_int_equal(wk_console_query_get(WK_SPAN_LIT("user=a%00b"),
	    "user", out, sizeof(out)), WK_ERR_INVAL);
	assert_int_equal(wk_console_query_get(WK_SPAN_LIT(
	    "user=aaaaaaaaaaaaaaaaaaaaaaaaa"), "user", out, sizeof(out)),
	    WK_ERR_TOOBIG);
}

static void
test_host_key_registered(void **state)
{
	const char *reg = "ssh-rsa AAAAB3rsa\n"
	    "ssh-ed25519 AAAAC3ed host@x\n"
	    "ecdsa-sha2-nistp256 AAAAE2ec\n";

	(void)state;
	assert_true(wk_console_host_key_registered(reg, "ssh-ed25519",
	    "AAAAC3ed"));
	assert_true(wk_console_host_key_registered(reg, "ecdsa-sha2-nistp256",
	    "AAAAE2ec"));
	assert_true(wk_console_host_key_registered(reg, "ssh-rsa",
	    "AAAAB3rsa"));
	/* right key, wrong type; prefixes; other keys */
	assert_false(wk_console_host_key_registered(reg, "ssh-rsa",
	    "AAAAC3ed"));
	assert_false(wk_console_host_key_registered(reg, "ssh-ed25519",
	    "AAAAC3e"));
	assert_false(wk_console_host_key_registered(reg, "ssh-ed25519",
	    "AAAAC3edX"));
	assert_false(wk_console_host_key_registered(reg, "ssh-ed25519",
	    "AAAAother"));
	assert_false(wk_console_host_key_registered(NULL, "ssh-ed25519",
	    "AAAAC3ed"));
	assert_false(wk_console_host_key_registered("", "ssh-ed25519",
	    "AAAAC3ed"));
	assert_false(wk_console_host_key_registered(reg, "", ""));
}

static void
test_asset_names(void **state)
{
	(void)state;
	assert_true(wk_console_asset_name_ok(WK_SPAN_LIT("index.html")));
	assert_true(wk_console_asset_name_ok(WK_SPAN_LIT("addon-fit.js")));
	assert_false(wk_console_asset_name_ok(WK_SPAN_LIT("")));
	assert_false(wk_console_asset_name_ok(WK_SPAN_LIT("..")));
	assert_false(wk_console_asset_name_ok(WK_SPAN_LIT(".env")));
	assert_false(wk_console_asset_name_ok(WK_SPAN_LIT("a..b")));
	assert_false(wk_console_asset_name_ok(WK_SPAN_LIT("a/b.js")));
	assert_false(wk_console_asset_name_ok(WK_SPAN_LIT("a%2fb")));
	assert_false(wk_console_asset_name_ok(WK_SPAN_LIT("a\\b")));
	assert_false(wk_console_asset_name_ok(WK_SPAN_LIT("a\0b")));
}

static void
test_default_os_user(void **state)
{
	struct wk_tag tags[2];

	(void)state;
	memset(tags, 0, sizeof(tags));
	assert_string_equal(wk_console_default_os_user(NULL, 0), "ubuntu");
	snprintf(tags[0].key, sizeof(tags[0].key), "%s", "Name");
	snprintf(tags[0].value, sizeof(tags[0].value), "%s", "web");
	snprintf(tags[1].key, sizeof(tags[1].key), "%s", "wicket:os-user");
	snprintf(tags[1].value, sizeof(tags[1].value), "%s", "ec2-user");
	assert_string_equal(wk_console_default_os_user(tags, 2), "ec2-user");
	snprintf(tags[1].value, sizeof(tags[1].value), "%s", "bad user");
	assert_string_equal(wk_console_default_os_user(tags, 2), "ubuntu");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_key),
		cmocka_unit_test(test_term_msg),
		cmocka_unit_test(test_query_get),
		cmocka_unit_test(test_host_key_registered),
		cmocka_unit_test(test_asset_names),
		cmocka_unit_test(test_default_os_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
