/*
 * test_http_guard.c - connections per address (IPv4 /32, IPv6 /64,
 * v4-mapped as IPv4) and the phase deadlines of the HTTP front.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "server/http/http_guard.h"

static struct wk_http_ipkey
key4(const char *a)
{
	struct sockaddr_in in;
	struct wk_http_ipkey k;

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, a, &in.sin_addr), 1);
	assert_int_equal(wk_http_ipkey_from((struct sockaddr *)&in,
	    sizeof(in), &k), 0);
	return k;
}

static struct wk_http_ipkey
key6(const char *a)
{
	struct sockaddr_in6 in6;
	struct wk_http_ipkey k;

	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, a, &in6.sin6_addr), 1);
	assert_int_equal(wk_http_ipkey_from((struct sockaddr *)&in6,
	    sizeof(in6), &k), 0);
	return k;
}

static void
test_keys(void **state)
{
	struct wk_http_ipkey a, b;
	struct sockaddr_in shortsa;
	char s[64];

	(void)state;
	a = key4("192.0.2.7");
	b = key6("::ffff:192.0.2.7");
	assert_memory_equal(a.b, b.b, sizeof(a.b));
	wk_http_ipkey_str(&a, s, sizeof(s));
	assert_string_equal(s, "192.0.2.7");
	/* one /64 is one host's: counted as one */
	a = key6("2001:db8:1:2::1");
	b = key6("2001:db8:1:2:ffff:ffff:ffff:ffff");
	assert_memory_equal(a.b, b.b, sizeof(a.b));
	b = key6("2001:db8:1:3::1");
	assert_memory_not_equal(a.b, b.b, sizeof(a.b));
	wk_http_ipkey_str(&a, s, sizeof(s));
	assert_string_equal(s, "2001:db8:1:2::/64");
	/* truncated or foreign addresses are refused */
	memset(&shortsa, 0, sizeof(shortsa));
	shortsa.sin_family = AF_INET;
	assert_int_equal(wk_http_ipkey_from((struct sockaddr *)&shortsa, 4,
	    &a), WK_ERR_INVAL);
	shortsa.sin_family = AF_UNIX;
	assert_int_equal(wk_http_ipkey_from((struct sockaddr *)&shortsa,
	    sizeof(shortsa), &a), WK_ERR_INVAL);
	assert_int_equal(wk_http_ipkey_from(NULL, 0, &a), WK_ERR_INVAL);
}

static void
test_count(void **state)
{
	struct wk_http_ipcount *t = NULL;
	struct wk_http_ipkey a = key4("127.0.0.1"), b = key4("127.0.0.2");
	struct wk_http_ipkey many[300];

	(void)state;
	assert_int_equal(wk_http_ipcount_new(&t), 0);
	assert_int_equal(wk_http_ipcount_get(t, &a), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(wk_http_ipcount_add(t, &a), 0);
	assert_int_equal(wk_http_ipcount_add(t, &b), 0);
	assert_int_equal(wk_http_ipcount_get(t, &a), 5);
	assert_int_equal(wk_http_ipcount_get(t, &b), 1);
	assert_int_equal(wk_http_ipcount_size(t), 2);
	wk_http_ipcount_del(t, &b);
	assert_int_equal(wk_http_ipcount_get(t, &b), 0);
	assert_int_equal(wk_http_ipcount_size(t), 1);
	wk_http_ipcount_del(t, &b);	/* not there: no effect */
	for (int i = 0; i < 5; i++)
		wk_http_ipcount_del(t, &a);
	assert_int_equal(wk_http_ipcount_size(t), 0);
	/* many addresses, some sharing chains */
	for (int i = 0; i < 300; i++) {
		char s[32];

		snprintf(s, sizeof(s), "10.0.%d.%d", i / 256, i % 256);
		many[i] = key4(s);
		assert_int_equal(wk_http_ipcount_add(t, &many[i]), 0);
	}
	assert_int_equal(wk_http_ipcount_size(t), 300);
	for (int i = 0; i < 300; i += 2)
		wk_http_ipcount_del(t, &many[i]);
	assert_int_equal(wk_http_ipcount_size(t), 150);
	for (int i = 1; i < 300; i += 2)
		assert_int_equal(wk_http_ipcount_get(t, &many[i]), 1);
	/* freed with entries left */
	wk_http_ipcount_free(t);
	wk_http_ipcount_free(NULL);
}

static void
test_phase_budgets(void **state)
{
	struct wk_http_limits l = { 10000, 30000, 30000 };

	(void)state;
	assert_int_equal(wk_http_phase_budget_ms(&l, WK_HTTP_PHASE_HEADERS),
	    10000);
	/* a kept-alive connection: idle, then the header deadline */
	assert_int_equal(wk_http_phase_budget_ms(&l,
	    WK_HTTP_PHASE_KEEPALIVE), 40000);
	assert_int_equal(wk_http_phase_budget_ms(&l, WK_HTTP_PHASE_BODY),
	    30000);
	/* a held (authenticated) request: none */
	assert_true(wk_http_phase_budget_ms(&l, WK_HTTP_PHASE_EXEMPT) ==
	    UINT64_MAX);
	assert_string_equal(wk_http_phase_name(WK_HTTP_PHASE_BODY), "body");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_phase_budgets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
