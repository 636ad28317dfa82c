/*
 * test_spki.c - SPKI pins agree with `openssl pkey -pubin -outform der |
 * sha256sum` (the documented way to compute one), for EC and RSA keys, and
 * a renewed certificate under the same key keeps its pin.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "crypto/spki.h"

static X509 *
self_signed(EVP_PKEY *pk, long serial)
{
	X509 *x = X509_new();

	assert_non_null(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"t", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, pk);
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
	return x;
}

static void
check_key(EVP_PKEY *pk)
{
	uint8_t pin[WK_SPKI_PIN_LEN], again[WK_SPKI_PIN_LEN];
	uint8_t want[32];
	unsigned char *der = NULL;
	unsigned int mdlen;
	char path[] = "/tmp/wk-spki-XXXXXX", hex[WK_SPKI_PIN_HEX_LEN + 1];
	char wanthex[WK_SPKI_PIN_HEX_LEN + 1];
	X509 *a = self_signed(pk, 1), *b = self_signed(pk, 2);
	int len, fd;
	FILE *f;

	len = i2d_PUBKEY(pk, &der);
	assert_true(len > 0);
	assert_int_equal(EVP_Digest(der, (size_t)len, want, &mdlen,
	    EVP_sha256(), NULL), 1);
	OPENSSL_free(der);
	assert_int_equal(wk_spki_pin_x509(a, pin), 0);
	assert_memory_equal(pin, want, 32);
	/* renewal under the same key: same pin */
	assert_int_equal(wk_spki_pin_x509(b, again), 0);
	assert_memory_equal(pin, again, 32);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, a), 1);
	assert_int_equal(PEM_write_X509(f, b), 1);
	fclose(f);
	assert_int_equal(wk_spki_pin_pem_file(path, hex), 0);
	wk_spki_pin_hex(want, wanthex);
	assert_string_equal(hex, wanthex);
	unlink(path);
	X509_free(a);
	X509_free(b);
}

static void
test_ec_and_rsa(void **state)
{
	EVP_PKEY *ec = EVP_EC_gen("P-256"), *rsa = EVP_RSA_gen(2048);

	(void)state;
	assert_non_null(ec);
	assert_non_null(rsa);
	check_key(ec);
	check_key(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}

static void
test_bad_files(void **state)
{
	char hex[WK_SPKI_PIN_HEX_LEN + 1];

	(void)state;
	assert_int_equal(wk_spki_pin_pem_file("/nonexistent/ca.pem", hex),
	    WK_ERR_NOTFOUND);
	assert_string_equal(hex, "");
	assert_int_equal(wk_spki_pin_pem_file("/etc/passwd", hex),
	    WK_ERR_INVAL);
	assert_int_equal(wk_spki_pin_x509(NULL, (uint8_t[32]){ 0 }),
	    WK_ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ec_and_rsa),
		cmocka_unit_test(test_bad_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
