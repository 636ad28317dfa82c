/*
 * test_x509.c - the TLS names list and the private CA: what is accepted
 * and refused as a certificate name, and that a server certificate issued
 * by the CA carries those names, verifies, keeps its key on renewal, and
 * reports the SPKI pin.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/x509.h"

static void
test_names(void **state)
{
	struct wk_x509_names n;
	char why[256];

	(void)state;
	memset(&n, 0, sizeof(n));
	assert_int_equal(wk_x509_names_add(&n, "Wicket.Example.COM,10.0.0.5",
	    why, sizeof(why)), 0);
	assert_int_equal(wk_x509_names_add(&n, "[2001:DB8::1],*.example.org,"
	    "wicket.example.com", why, sizeof(why)), 0);
	assert_int_equal(n.n, 4);	/* the duplicate is dropped */
	assert_string_equal(n.name[0], "wicket.example.com");
	assert_string_equal(n.name[1], "10.0.0.5");
	assert_string_equal(n.name[2], "2001:db8::1");
	assert_string_equal(n.name[3], "*.example.org");
	assert_true(wk_x509_name_is_ip(n.name[1]));
	assert_true(wk_x509_name_is_ip(n.name[2]));
	assert_false(wk_x509_name_is_ip(n.name[0]));
	static const char *const bad[] = { "", "a,,b", "a b", "a..b", "-a.b",
	    "a-.b", "a.b.", ".a", "a/b", "a:b", "a=b", "1.2.3", "999.1.1.1",
	    "*.", "a.*.b", "x,y,IP:1.2.3.4", "ünï.example",
	    ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ".example") };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wk_x509_names before = n;

		why[0] = '\0';
		assert_int_not_equal(wk_x509_names_add(&n, bad[i], why,
		    sizeof(why)), 0);
		assert_true(why[0] != '\0');
		assert_memory_equal(&before, &n, sizeof(n));
	}
}

static void
test_limit(void **state)
{
	struct wk_x509_names n;
	char why[256], name[32];

	(void)state;
	memset(&n, 0, sizeof(n));
	for (int i = 0; i < WK_X509_MAX_NAMES; i++) {
		snprintf(name, sizeof(name), "h%d.example", i);
		assert_int_equal(wk_x509_names_add(&n, name, why,
		    sizeof(why)), 0);
	}
	assert_int_equal(wk_x509_names_add(&n, "one-more.example", why,
	    sizeof(why)), WK_ERR_LIMIT);
	assert_int_equal(n.n, WK_X509_MAX_NAMES);
}

static void
test_issue(void **state)
{
	struct wk_buf ca, cakey, leaf, key, leaf2, none;
	struct wk_x509_names n;
	struct wk_x509_info ci, li, li2;
	char why[256];

	(void)state;
	wk_buf_init(&ca, 65536);
	wk_buf_init(&cakey, 65536);
	wk_buf_init(&leaf, 65536);
	wk_buf_init(&key, 65536);
	wk_buf_init(&leaf2, 65536);
	wk_buf_init(&none, 65536);
	memset(&n, 0, sizeof(n));
	assert_int_equal(wk_x509_names_add(&n, "wicket.test,127.0.0.1", why,
	    sizeof(why)), 0);
	assert_int_equal(wk_x509_ca_create("test CA", 30, &ca, &cakey, why,
	    sizeof(why)), 0);
	assert_int_equal(wk_x509_leaf_issue(wk_buf_span(&ca),
	    wk_buf_span(&cakey), WK_SPAN_NULL, &n, 10, &leaf, &key, why,
	    sizeof(why)), 0);
	assert_true(key.len > 0);
	assert_true(wk_x509_key_matches(wk_buf_span(&leaf), wk_buf_span(&key)));
	assert_false(wk_x509_key_matches(wk_buf_span(&leaf),
	    wk_buf_span(&cakey)));
	assert_int_equal(wk_x509_info_pem(wk_buf_span(&ca), 0, &ci, why,
	    sizeof(why)), 0);
	assert_int_equal(wk_x509_info_pem(wk_buf_span(&leaf), 0, &li, why,
	    sizeof(why)), 0);
	assert_true(ci.is_ca);
	assert_false(li.is_ca);
	assert_string_equal(li.sans, "DNS:wicket.test, IP:127.0.0.1");
	assert_string_equal(li.issuer, ci.subject);
	assert_int_equal(strlen(li.spki_sha256), 64);
	assert_string_not_equal(li.spki_sha256, ci.spki_sha256);
	assert_true(li.not_after - li.not_before >= 10 * 86400);
	/* renewal under the same key: same pin, new serial, no key out */
	assert_int_equal(wk_x509_leaf_issue(wk_buf_span(&ca),
	    wk_buf_span(&cakey), wk_buf_span(&key), &n, 10, &leaf2, &none,
	    why, sizeof(why)), 0);
	assert_int_equal(none.len, 0);
	assert_int_equal(wk_x509_info_pem(wk_buf_span(&leaf2), 0, &li2, why,
	    sizeof(why)), 0);
	assert_string_equal(li2.spki_sha256, li.spki_sha256);
	assert_string_not_equal(li2.serial, li.serial);
	/* a CA key that is not the CA's is refused */
	wk_buf_reset(&leaf2);
	assert_int_not_equal(wk_x509_leaf_issue(wk_buf_span(&ca),
	    wk_buf_span(&key), WK_SPAN_NULL, &n, 10, &leaf2, &none, why,
	    sizeof(why)), 0);
	assert_non_null(strstr(why, "does not belong"));
	/* past the last certificate of a bundle */
	assert_int_equal(wk_x509_info_pem(wk_buf_span(&leaf), 1, &li2, why,
	    sizeof(why)), WK_ERR_NOTFOUND);
	wk_buf_cleanup(&ca);
	wk_buf_cleanup(&cakey);
	wk_buf_cleanup(&leaf);
	wk_buf_cleanup(&key);
	wk_buf_cleanup(&leaf2);
	wk_buf_cleanup(&none);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_issue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
