/*
 * test_signkey.c - Ed25519 signing keys: RFC 8032 known answer (verified
 * through pubkey.c, i.e. libsodium), key ids,
 * sign/verify, PEM save (0600, never overwrite) and load.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/encode.h"
#include "common/err.h"
#include "crypto/signkey.h"

/* RFC 8032, 7.1, TEST 1 (empty message). */
static const char *rfc_pub =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char *rfc_sig =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

static char tmpdir[PATH_MAX];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/wk-signkey-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char path[PATH_MAX + 32];
	static const char *names[] = { "k.pem", "garbage.pem", "rsa.pem",
		"empty.pem", "big.pem" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	return 0;
}

static void
test_known_answer(void **state)
{
	uint8_t raw[32], sig[64];
	struct wk_pubkey pk;
	struct wk_buf b64;

	(void)state;
	assert_int_equal(wk_hex_decode(wk_span_from_cstr(rfc_pub), raw, 32), 0);
	assert_int_equal(wk_hex_decode(wk_span_from_cstr(rfc_sig), sig, 64), 0);
	assert_int_equal(wk_pubkey_from_raw(raw, 32, &pk), 0);
	/* id: first 16 hex digits of SHA-256 over the raw key */
	assert_string_equal(pk.id, "21fe31dfa154a261");
	assert_int_equal(wk_pubkey_verify(&pk, WK_SPAN_NULL, sig, 64), 0);
	assert_int_equal(wk_pubkey_verify(&pk, WK_SPAN_LIT("x"), sig, 64),
	    WK_ERR_AUTH);
	sig[10] ^= 0x40;
	assert_int_equal(wk_pubkey_verify(&pk, WK_SPAN_NULL, sig, 64),
	    WK_ERR_AUTH);
	sig[10] ^= 0x40;
	assert_int_equal(wk_pubkey_verify(&pk, WK_SPAN_NULL, sig, 63),
	    WK_ERR_AUTH);
	assert_int_equal(wk_pubkey_verify(&pk, WK_SPAN_NULL, NULL, 64),
	    WK_ERR_AUTH);

	wk_buf_init(&b64, 128);
	assert_int_equal(wk_pubkey_to_base64(&pk, &b64), 0);
	assert_string_equal(wk_buf_cstr(&b64),
	    "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
	memset(&pk, 0xaa, sizeof(pk));
	assert_int_equal(wk_pubkey_from_base64(wk_buf_span(&b64), &pk), 0);
	assert_string_equal(pk.id, "21fe31dfa154a261");
	assert_memory_equal(pk.raw, raw, 32);
	wk_buf_cleanup(&b64);

	assert_int_equal(wk_pubkey_from_raw(raw, 31, &pk), WK_ERR_INVAL);
	assert_int_equal(wk_pubkey_from_raw(raw, 33, &pk), WK_ERR_INVAL);
	/* base64 of the wrong length, non-canonical, or not base64 */
	assert_int_equal(wk_pubkey_from_base64(WK_SPAN_LIT(
	    "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUR=="), &pk),
	    WK_ERR_INVAL);
	assert_int_equal(wk_pubkey_from_base64(WK_SPAN_LIT(
	    "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURp="), &pk),
	    WK_ERR_INVAL);
	assert_int_equal(wk_pubkey_from_base64(WK_SPAN_LIT(
	    "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUR*="), &pk),
	    WK_ERR_INVAL);
	assert_int_equal(wk_pubkey_from_base64(WK_SPAN_LIT("AAAA"), &pk),
	    WK_ERR_INVAL);
	assert_int_equal(wk_pubkey_from_base64(WK_SPAN_NULL, &pk),
	    WK_ERR_INVAL);
}

/*
 * Signing (libsodium) gives RFC 8032's signature for its key, and the same
 * bytes as OpenSSL's EVP for the same key on another message: records
 * signed before and after the switch to libsodium verify alike.
 */
static void
test_sign_known_answer(void **state)
{
	static const char *rfc_seed =
	    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
	uint8_t seed[32], want[64], sig[64], evp_sig[64];
	size_t evp_len = sizeof(evp_sig);
	char path[PATH_MAX + 32];
	struct wk_signkey *k = NULL;
	EVP_PKEY *pkey;
	EVP_MD_CTX *ctx;
	FILE *f;

	(void)state;
	assert_int_equal(wk_hex_decode(wk_span_from_cstr(rfc_seed), seed, 32),
	    0);
	assert_int_equal(wk_hex_decode(wk_span_from_cstr(rfc_sig), want, 64),
	    0);
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	assert_non_null(pkey);
	snprintf(path, sizeof(path), "%s/k.pem", tmpdir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL,
	    NULL), 1);
	fclose(f);
	assert_int_equal(wk_signkey_load(path, &k), 0);
	assert_int_equal(wk_signkey_sign(k, WK_SPAN_NULL, sig), 0);
	assert_memory_equal(sig, want, 64);
	assert_int_equal(wk_signkey_sign(k, WK_SPAN_LIT("a key record"), sig),
	    0);
	assert_non_null(ctx = EVP_MD_CTX_new());
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey), 1);
	assert_int_equal(EVP_DigestSign(ctx, evp_sig, &evp_len,
	    (const uint8_t *)"a key record", 12), 1);
	assert_int_equal(evp_len, 64);
	assert_memory_equal(sig, evp_sig, 64);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	wk_signkey_free(k);
	unlink(path);
}

static void
test_generate_sign_verify(void **state)
{
	struct wk_signkey *a = NULL, *b = NULL;
	struct wk_pubkey pa, pb;
	uint8_t sig[64];
	struct wk_span msg = WK_SPAN_LIT("#wicket-keyrec v1\n...");

	(void)state;
	assert_int_equal(wk_signkey_generate(&a), 0);
	assert_int_equal(wk_signkey_generate(&b), 0);
	wk_signkey_public(a, &pa);
	wk_signkey_public(b, &pb);
	assert_int_equal(strlen(pa.id), 16);
	assert_string_not_equal(pa.id, pb.id);
	assert_int_equal(wk_signkey_sign(a, msg, sig), 0);
	assert_int_equal(wk_pubkey_verify(&pa, msg, sig, 64), 0);
	assert_int_equal(wk_pubkey_verify(&pb, msg, sig, 64), WK_ERR_AUTH);
	for (size_t i = 0; i < 64; i += 7) {
		sig[i] ^= 1;
		assert_int_equal(wk_pubkey_verify(&pa, msg, sig, 64),
		    WK_ERR_AUTH);
		sig[i] ^= 1;
	}
	msg.len--;
	assert_int_equal(wk_pubkey_verify(&pa, msg, sig, 64), WK_ERR_AUTH);
	/* empty message */
	assert_int_equal(wk_signkey_sign(a, WK_SPAN_NULL, sig), 0);
	assert_int_equal(wk_pubkey_verify(&pa, WK_SPAN_NULL, sig, 64), 0);
	wk_signkey_free(a);
	wk_signkey_free(b);
	wk_signkey_free(NULL);
}

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static void
test_save_load(void **state)
{
	char path[PATH_MAX + 32];
	struct wk_signkey *k = NULL, *l = NULL;
	struct wk_pubkey pk, pl;
	struct stat st;
	uint8_t sig[64];
	char head[64];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/k.pem", tmpdir);
	assert_int_equal(wk_signkey_generate(&k), 0);
	assert_int_equal(wk_signkey_save(k, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(head, sizeof(head), f));
	fclose(f);
	assert_string_equal(head, "-----BEGIN PRIVATE KEY-----\n");
	/* never overwritten */
	assert_int_equal(wk_signkey_save(k, path), WK_ERR_EXISTS);
	assert_int_equal(wk_signkey_load(path, &l), 0);
	wk_signkey_public(k, &pk);
	wk_signkey_public(l, &pl);
	assert_memory_equal(pk.raw, pl.raw, 32);
	assert_string_equal(pk.id, pl.id);
	assert_int_equal(wk_signkey_sign(l, WK_SPAN_LIT("m"), sig), 0);
	assert_int_equal(wk_pubkey_verify(&pk, WK_SPAN_LIT("m"), sig, 64), 0);
	wk_signkey_free(k);
	wk_signkey_free(l);

	/* missing, garbage, empty, too big, wrong key type */
	snprintf(path, sizeof(path), "%s/nope.pem", tmpdir);
	assert_int_equal(wk_signkey_load(path, &l), WK_ERR_NOTFOUND);
	assert_null(l);
	snprintf(path, sizeof(path), "%s/garbage.pem", tmpdir);
	write_file(path, "-----BEGIN PRIVATE KEY-----\nAAAA\n", 33);
	assert_int_equal(wk_signkey_load(path, &l), WK_ERR_INVAL);
	snprintf(path, sizeof(path), "%s/empty.pem", tmpdir);
	write_file(path, "", 0);
	assert_int_equal(wk_signkey_load(path, &l), WK_ERR_INVAL);
	{
		char *big = calloc(1, 20000);

		assert_non_null(big);
		memset(big, 'A', 20000);
		snprintf(path, sizeof(path), "%s/big.pem", tmpdir);
		write_file(path, big, 20000);
		free(big);
		assert_int_equal(wk_signkey_load(path, &l), WK_ERR_INVAL);
	}
	{
		EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
		    "P-256");

		assert_non_null(rsa);
		snprintf(path, sizeof(path), "%s/rsa.pem", tmpdir);
		f = fopen(path, "w");
		assert_non_null(f);
		assert_int_equal(PEM_write_PrivateKey(f, rsa, NULL, NULL, 0,
		    NULL, NULL), 1);
		fclose(f);
		EVP_PKEY_free(rsa);
		assert_int_equal(wk_signkey_load(path, &l), WK_ERR_INVAL);
		assert_null(l);
	}
	/* a directory that does not exist */
	assert_int_equal(wk_signkey_generate(&k), 0);
	assert_int_equal(wk_signkey_save(k, "/nonexistent-dir/k.pem"),
	    WK_ERR_IO);
	wk_signkey_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_sign_known_answer),
		cmocka_unit_test(test_generate_sign_verify),
		cmocka_unit_test(test_save_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
