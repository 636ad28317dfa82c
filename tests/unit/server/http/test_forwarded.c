/*
 * test_forwarded.c - X-Forwarded-For/-Proto behind --trusted-proxy: read
 * only from a trusted peer, the right-most untrusted hop is the client,
 * forged entries left of it are never used, malformed headers refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "server/http/http.h"
#include "server/net/agent_addr.h"

#define HDR(n, v) { WK_SPAN_LIT(n), WK_SPAN_LIT(v) }

static struct wk_addr_allow trusted;

static int
setup(void **state)
{
	char why[256];

	(void)state;
	memset(&trusted, 0, sizeof(trusted));
	assert_int_equal(wk_addr_allow_parse("10.0.0.0/24,192.0.2.10",
	    &trusted, why, sizeof(why)), 0);
	assert_int_equal(wk_addr_allow_parse("2001:db8:1::/64", &trusted,
	    why, sizeof(why)), 0);
	return 0;
}

/* Applies headers as seen from peer; returns the result, fills req. */
static int
apply(const char *peer, const struct wk_sigv4_header *h, size_t n,
    struct wk_http_request *req, char *ip, char *why)
{
	memset(req, 0, sizeof(*req));
	req->headers = h;
	req->nheaders = n;
	req->peer_ip = peer;
	req->source_ip = peer;
	return wk_http_forwarded_apply(&trusted, req, ip, why, 256);
}

static void
test_untrusted_peer_ignored(void **state)
{
	/* the attack: a client talking directly forges both headers */
	const struct wk_sigv4_header h[] = {
		HDR("X-Forwarded-For", "10.9.9.9"),
		HDR("X-Forwarded-Proto", "https"),
	};
	const struct wk_sigv4_header bad[] = {
		HDR("X-Forwarded-For", "not an address"),
		HDR("X-Forwarded-Proto", "gopher"),
	};
	struct wk_http_request req;
	char ip[WK_HTTP_IP_TEXT_MAX], why[256];

	(void)state;
	assert_int_equal(apply("198.51.100.7", h, 2, &req, ip, why), 0);
	assert_string_equal(req.source_ip, "198.51.100.7");
	assert_false(req.secure);
	assert_false(req.forwarded);
	/* malformed headers from an untrusted peer are not even read */
	assert_int_equal(apply("198.51.100.7", bad, 2, &req, ip, why), 0);
	assert_string_equal(req.source_ip, "198.51.100.7");
	/* a peer next to the trusted range */
	assert_int_equal(apply("10.0.1.1", h, 2, &req, ip, why), 0);
	assert_string_equal(req.source_ip, "10.0.1.1");
	/* no proxies configured at all */
	memset(&req, 0, sizeof(req));
	req.headers = h;
	req.nheaders = 2;
	req.peer_ip = req.source_ip = "10.0.0.5";
	assert_int_equal(wk_http_forwarded_apply(NULL, &req, ip, why,
	    sizeof(why)), 0);
	assert_string_equal(req.source_ip, "10.0.0.5");
	assert_false(req.secure);
}

static void
test_trusted_peer(void **state)
{
	const struct wk_sigv4_header one[] = {
		HDR("Host", "wicket.example"),
		HDR("X-Forwarded-For", "203.0.113.5"),
		HDR("X-Forwarded-Proto", "https"),
	};
	/* client forged "1.2.3.4, 10.0.0.7"; the edge proxy appended what
	 * it saw (203.0.113.5), an inner proxy appended the edge */
	const struct wk_sigv4_header chain[] = {
		HDR("x-forwarded-for", "1.2.3.4, 10.0.0.7,203.0.113.5"),
		HDR("X-Forwarded-For", " 10.0.0.9 "),
		HDR("X-FORWARDED-PROTO", "HTTP"),
	};
	const struct wk_sigv4_header alltrusted[] = {
		HDR("X-Forwarded-For", "10.0.0.8, 192.0.2.10"),
	};
	const struct wk_sigv4_header v6[] = {
		HDR("X-Forwarded-For", "[2001:DB8:2::0001], ::ffff:10.0.0.3"),
	};
	const struct wk_sigv4_header proto_only[] = {
		HDR("X-Forwarded-Proto", "https"),
	};
	struct wk_http_request req;
	char ip[WK_HTTP_IP_TEXT_MAX], why[256];

	(void)state;
	assert_int_equal(apply("10.0.0.1", one, 3, &req, ip, why), 0);
	assert_string_equal(req.source_ip, "203.0.113.5");
	assert_ptr_equal(req.source_ip, ip);
	assert_string_equal(req.peer_ip, "10.0.0.1");
	assert_true(req.secure);
	assert_true(req.forwarded);

	assert_int_equal(apply("192.0.2.10", chain, 3, &req, ip, why), 0);
	assert_string_equal(req.source_ip, "203.0.113.5");
	assert_false(req.secure);

	/* every hop is a trusted proxy: the left-most */
	assert_int_equal(apply("10.0.0.1", alltrusted, 1, &req, ip, why), 0);
	assert_string_equal(req.source_ip, "10.0.0.8");

	/* IPv6 peer, bracketed entry, canonical text; a mapped address is
	 * IPv4 (and trusted here) */
	assert_int_equal(apply("2001:db8:1::53", v6, 1, &req, ip, why), 0);
	assert_string_equal(req.source_ip, "2001:db8:2::1");
	assert_false(req.secure);

	/* mapped peer address counts as IPv4 */
	assert_int_equal(apply("::ffff:10.0.0.2", one, 3, &req, ip, why), 0);
	assert_string_equal(req.source_ip, "203.0.113.5");

	/* only the scheme: the address stays the peer's */
	assert_int_equal(apply("10.0.0.1", proto_only, 1, &req, ip, why), 0);
	assert_string_equal(req.source_ip, "10.0.0.1");
	assert_true(req.secure);

	/* neither header: nothing changes (the proxy's own health check) */
	assert_int_equal(apply("10.0.0.1", one, 1, &req, ip, why), 0);
	assert_string_equal(req.source_ip, "10.0.0.1");
	assert_false(req.secure);
	assert_false(req.forwarded);
}

static void
test_malformed(void **state)
{
	static const char *const bad_xff[] = {
		"", " ", ",", "1.2.3.4,", ",1.2.3.4", "1.2.3.4 5.6.7.8",
		"1.2.3.4:80", "[2001:db8::1]:443", "[1.2.3.4]", "[]",
		"unknown", "host.example", "1.2.3.256", "01.2.3.4",
		"2001:db8::1%eth0", "[2001:db8::1", "1.2.3.4;5",
		"1.2.3.4\x01", "1.2.3.4, _hidden",
	};
	static const char *const bad_xfp[] = {
		"", "ftp", "https, http", "https,https", "HTTPS x", "wss",
	};
	struct wk_sigv4_header h[2];
	struct wk_http_request req;
	char ip[WK_HTTP_IP_TEXT_MAX], why[256], many[4096];
	size_t off = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_xff) / sizeof(bad_xff[0]); i++) {
		h[0] = (struct wk_sigv4_header)HDR("X-Forwarded-For", "");
		h[0].value = wk_span_from_cstr(bad_xff[i]);
		assert_int_equal(apply("10.0.0.1", h, 1, &req, ip, why),
		    WK_ERR_INVAL);
		assert_true(strstr(why, "X-Forwarded-For") != NULL);
		assert_string_equal(req.source_ip, "10.0.0.1");
		assert_false(req.forwarded);
	}
	/* an embedded NUL is not the address before it */
	h[0] = (struct wk_sigv4_header)HDR("X-Forwarded-For", "");
	h[0].value = wk_span_from_mem("1.2.3.4\0x", 9);
	assert_int_equal(apply("10.0.0.1", h, 1, &req, ip, why),
	    WK_ERR_INVAL);
	for (size_t i = 0; i < sizeof(bad_xfp) / sizeof(bad_xfp[0]); i++) {
		h[0] = (struct wk_sigv4_header)HDR("X-Forwarded-Proto", "");
		h[0].value = wk_span_from_cstr(bad_xfp[i]);
		assert_int_equal(apply("10.0.0.1", h, 1, &req, ip, why),
		    WK_ERR_INVAL);
		assert_true(strstr(why, "X-Forwarded-Proto") != NULL);
		assert_false(req.secure);
	}
	/* two X-Forwarded-Proto headers */
	h[0] = (struct wk_sigv4_header)HDR("X-Forwarded-Proto", "https");
	h[1] = (struct wk_sigv4_header)HDR("X-Forwarded-Proto", "https");
	assert_int_equal(apply("10.0.0.1", h, 2, &req, ip, why), WK_ERR_INVAL);
	/* a good address with a bad scheme changes nothing */
	h[0] = (struct wk_sigv4_header)HDR("X-Forwarded-For", "203.0.113.5");
	h[1] = (struct wk_sigv4_header)HDR("X-Forwarded-Proto", "nope");
	assert_int_equal(apply("10.0.0.1", h, 2, &req, ip, why), WK_ERR_INVAL);
	assert_string_equal(req.source_ip, "10.0.0.1");
	/* more hops than the ceiling */
	for (int i = 0; i <= WK_HTTP_FWD_MAX_HOPS; i++)
		off += (size_t)snprintf(many + off, sizeof(many) - off,
		    "%s203.0.113.%d", i > 0 ? "," : "", i);
	h[0] = (struct wk_sigv4_header)HDR("X-Forwarded-For", "");
	h[0].value = wk_span_from_cstr(many);
	assert_int_equal(apply("10.0.0.1", h, 1, &req, ip, why), WK_ERR_INVAL);
	assert_true(strstr(why, "more than") != NULL);
	/* exactly at the ceiling is fine */
	*strrchr(many, ',') = '\0';
	h[0].value = wk_span_from_cstr(many);
	assert_int_equal(apply("10.0.0.1", h, 1, &req, ip, why), 0);
	assert_string_equal(req.source_ip, "203.0.113.31");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_untrusted_peer_ignored),
		cmocka_unit_test(test_trusted_peer),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
