/*
 * test_agent_addr.c - the addresses an enrolling host may register: CIDR
 * lists as the operator writes them, and the enroll/update check (own
 * address, --agent-address-allow, the token's list, the address on record,
 * names never resolved: the connection's address is recorded).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "server/net/agent_addr.h"

static void
parse_ok(struct wk_addr_allow *l, const char *text)
{
	char why[256];

	if (wk_addr_allow_parse(text, l, why, sizeof(why)) != 0)
		fail_msg("refused %s: %s", text, why);
}

static void
test_parse_format_match(void **state)
{
	static const char *const bad[] = {
		"", ",", "10.0.0.0/8,", "10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/",
		"10.0.0.0/-1", "10.0.0.0/8x", "::1/129", "host.example",
		"10.0.0.256", "1.2.3.4/0008", " 10.0.0.1", "::ffff:10.0.0.0/104",
	};
	struct wk_addr_allow l;
	char why[256], out[1024];

	(void)state;
	memset(&l, 0, sizeof(l));
	parse_ok(&l, "10.0.0.0/8,192.0.2.7");
	parse_ok(&l, "2001:db8::/32,::ffff:198.51.100.7");
	assert_int_equal(l.n, 4);
	assert_int_equal(wk_addr_allow_format(&l, out, sizeof(out)), 0);
	/* a mapped address is IPv4 (so "::ffff:a.b.c.0/120" is refused:
	 * write the IPv4 CIDR) */
	assert_string_equal(out, "10.0.0.0/8,192.0.2.7/32,2001:db8::/32,"
	    "198.51.100.7/32");
	assert_true(wk_addr_allow_match(&l, "10.255.0.1"));
	assert_true(wk_addr_allow_match(&l, "::ffff:10.1.2.3"));
	assert_true(wk_addr_allow_match(&l, "192.0.2.7"));
	assert_false(wk_addr_allow_match(&l, "192.0.2.8"));
	assert_true(wk_addr_allow_match(&l, "2001:db8:1::5"));
	assert_false(wk_addr_allow_match(&l, "2001:db9::5"));
	assert_false(wk_addr_allow_match(&l, "11.0.0.1"));
	assert_false(wk_addr_allow_match(&l, "not-an-ip"));
	assert_false(wk_addr_allow_match(&l, NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wk_addr_allow t;

		memset(&t, 0, sizeof(t));
		if (wk_addr_allow_parse(bad[i], &t, why, sizeof(why)) == 0)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(t.n, 0);
		assert_true(why[0] != '\0');
	}
	/* /0 is allowed (an operator's explicit "anything") */
	memset(&l, 0, sizeof(l));
	parse_ok(&l, "0.0.0.0/0");
	assert_true(wk_addr_allow_match(&l, "203.0.113.9"));
	assert_false(wk_addr_allow_match(&l, "::1"));
	/* the ceiling */
	memset(&l, 0, sizeof(l));
	for (int i = 0; i < WK_ADDR_ALLOW_MAX; i++) {
		char one[32];

		snprintf(one, sizeof(one), "10.0.%d.0/24", i);
		parse_ok(&l, one);
	}
	assert_int_equal(wk_addr_allow_parse("10.1.0.0/16", &l, why,
	    sizeof(why)), WK_ERR_TOOBIG);
	assert_int_equal(l.n, WK_ADDR_ALLOW_MAX);
}

static int
check(const char *address, const char *source, const char *current,
    const struct wk_addr_allow *server, const struct wk_addr_allow *token,
    char *out)
{
	struct wk_addr_request req = {
		.address = address,
		.source_ip = source,
		.current = current,
		.server = server,
		.token = token,
	};
	char why[512];
	int r;

	r = wk_agent_addr_check(&req, out, WK_ADDR_TEXT_MAX, why,
	    sizeof(why));
	if (r != 0) {
		assert_true(why[0] != '\0');
		assert_string_equal(out, "");
	}
	return r;
}

static void
test_check(void **state)
{
	struct wk_addr_allow none, server, token;
	char out[WK_ADDR_TEXT_MAX];

	(void)state;
	memset(&none, 0, sizeof(none));
	memset(&server, 0, sizeof(server));
	memset(&token, 0, sizeof(token));
	parse_ok(&server, "10.1.0.0/16");
	parse_ok(&token, "192.0.2.7");

	/* default: the enrolling connection's own address, and only it */
	assert_int_equal(check("", "203.0.113.5", NULL, &none, NULL, out), 0);
	assert_string_equal(out, "203.0.113.5");
	assert_int_equal(check("203.0.113.5", "203.0.113.5", NULL, &none,
	    NULL, out), 0);
	assert_int_equal(check("127.0.0.9", "127.0.0.1", NULL, &none, NULL,
	    out), WK_ERR_DENIED);
	assert_int_equal(check("::ffff:127.0.0.1", "127.0.0.1", NULL, &none,
	    NULL, out), 0);
	assert_string_equal(out, "127.0.0.1");
	assert_int_equal(check("", "::ffff:127.0.0.1", NULL, &none, NULL,
	    out), 0);
	assert_string_equal(out, "127.0.0.1");
	/* the operator's list, the token's list */
	assert_int_equal(check("10.1.2.3", "203.0.113.5", NULL, &server,
	    NULL, out), 0);
	assert_int_equal(check("10.2.2.3", "203.0.113.5", NULL, &server,
	    NULL, out), WK_ERR_DENIED);
	assert_int_equal(check("192.0.2.7", "203.0.113.5", NULL, &server,
	    &token, out), 0);
	assert_int_equal(check("192.0.2.7", "203.0.113.5", NULL, &server,
	    NULL, out), WK_ERR_DENIED);
	/* update: the address on record stays allowed, others do not */
	assert_int_equal(check("192.0.2.7", "203.0.113.5", "192.0.2.7",
	    &none, NULL, out), 0);
	assert_int_equal(check("192.0.2.8", "203.0.113.5", "192.0.2.7",
	    &none, NULL, out), WK_ERR_DENIED);
	/* names: never resolved; the connection's address is recorded */
	assert_int_equal(check("localhost", "127.0.0.1", NULL, &none, NULL,
	    out), 0);
	assert_string_equal(out, "127.0.0.1");
	assert_int_equal(check("localhost", "127.0.0.2", NULL, &none, NULL,
	    out), 0);
	assert_string_equal(out, "127.0.0.2");
	/* a name whose DNS says 10.0.0.1 (or nothing) changes nothing */
	assert_int_equal(check("no-such-host.invalid", "203.0.113.5", NULL,
	    &none, NULL, out), 0);
	assert_string_equal(out, "203.0.113.5");
	assert_int_equal(check("web-1.example", "::ffff:192.0.2.1", NULL,
	    &none, NULL, out), 0);
	assert_string_equal(out, "192.0.2.1");
	/* not a name: refused, nothing recorded */
	assert_int_equal(check("web_1.example", "127.0.0.1", NULL, &none,
	    NULL, out), WK_ERR_INVAL);
	assert_string_equal(out, "");
	assert_int_equal(check("-web.example", "127.0.0.1", NULL, &none,
	    NULL, out), WK_ERR_INVAL);
	assert_int_equal(check("a..b", "127.0.0.1", NULL, &none, NULL, out),
	    WK_ERR_INVAL);
	assert_int_equal(check("10.1", "127.0.0.1", NULL, &none, NULL, out),
	    WK_ERR_INVAL);
	assert_int_equal(check("web-1.example", NULL, NULL, &none, NULL,
	    out), WK_ERR_INVAL);
	/* name bounds: 63-byte labels, 253 bytes in all */
	{
		char name[300];

		memset(name, 'a', 63);
		snprintf(name + 63, sizeof(name) - 63, ".example");
		assert_true(wk_agent_addr_is_name(name));
		memset(name, 'a', 64);
		snprintf(name + 64, sizeof(name) - 64, ".example");
		assert_false(wk_agent_addr_is_name(name));
		for (size_t i = 0; i < 254; i++)
			name[i] = i % 2 == 0 ? 'a' : '.';
		name[253] = '\0';
		assert_true(wk_agent_addr_is_name(name));
		name[253] = 'b';
		name[254] = '\0';
		assert_false(wk_agent_addr_is_name(name));
		assert_true(wk_agent_addr_is_name("web-1.example."));
		assert_false(wk_agent_addr_is_name("web-.example"));
		assert_false(wk_agent_addr_is_name(""));
	}
	/* nothing to register */
	assert_int_equal(check("", NULL, NULL, &none, NULL, out),
	    WK_ERR_INVAL);
	assert_int_equal(check("", "", NULL, &none, NULL, out), WK_ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format_match),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
