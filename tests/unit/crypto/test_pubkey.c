/*
 * test_pubkey.c - the libsodium half (pubkey.c, hash.h) against OpenSSL:
 * every signature OpenSSL makes verifies, every tampered one fails, key
 * ids and SHA-256 agree with OpenSSL's, and malformed keys and signatures
 * (small-order key, non-canonical S) are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <string.h>

#include "common/buf.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/rand.h"
#include "crypto/hash.h"
#include "crypto/signkey.h"

#define NKEYS 20
#define NMSGS 10	/* per key: 200 messages in all */
#define MAX_MSG 600

static uint32_t
rnd(uint32_t below)
{
	uint32_t v;

	assert_int_equal(wk_random_bytes(&v, sizeof(v)), 0);
	return v % below;
}

static void
openssl_sha256(const void *p, size_t len, uint8_t md[32])
{
	unsigned int mdlen = 0;

	assert_int_equal(EVP_Digest(len ? p : "", len, md, &mdlen,
	    EVP_sha256(), NULL), 1);
	assert_int_equal(mdlen, 32);
}

static void
test_openssl_signatures(void **state)
{
	static uint8_t msg[MAX_MSG];
	size_t ok = 0, refused = 0;

	(void)state;
	for (int k = 0; k < NKEYS; k++) {
		struct wk_signkey *key = NULL, *other = NULL;
		struct wk_pubkey pk, po;

		assert_int_equal(wk_signkey_generate(&key), 0);
		assert_int_equal(wk_signkey_generate(&other), 0);
		wk_signkey_public(key, &pk);
		wk_signkey_public(other, &po);
		for (int m = 0; m < NMSGS; m++) {
			size_t len = rnd(MAX_MSG + 1);
			struct wk_span s = wk_span_from_mem(msg, len);
			uint8_t sig[WK_ED25519_SIG_LEN];
			size_t at;
			uint8_t bit;

			if (len > 0)
				assert_int_equal(wk_random_bytes(msg, len),
				    0);
			assert_int_equal(wk_signkey_sign(key, s, sig), 0);
			assert_int_equal(wk_pubkey_verify(&pk, s, sig,
			    sizeof(sig)), 0);
			ok++;
			/* another key */
			assert_int_equal(wk_pubkey_verify(&po, s, sig,
			    sizeof(sig)), WK_ERR_AUTH);
			/* one bit of the signature */
			at = rnd(WK_ED25519_SIG_LEN);
			bit = (uint8_t)(1u << rnd(8));
			sig[at] ^= bit;
			assert_int_equal(wk_pubkey_verify(&pk, s, sig,
			    sizeof(sig)), WK_ERR_AUTH);
			sig[at] ^= bit;
			refused++;
			/* one bit of the message, or one byte more */
			if (len > 0) {
				at = rnd((uint32_t)len);
				msg[at] ^= bit;
				assert_int_equal(wk_pubkey_verify(&pk, s, sig,
				    sizeof(sig)), WK_ERR_AUTH);
				msg[at] ^= bit;
				refused++;
			}
			if (len < MAX_MSG) {
				assert_int_equal(wk_pubkey_verify(&pk,
				    wk_span_from_mem(msg, len + 1), sig,
				    sizeof(sig)), WK_ERR_AUTH);
				refused++;
			}
			/* and the untouched one still verifies */
			assert_int_equal(wk_pubkey_verify(&pk, s, sig,
			    sizeof(sig)), 0);
		}
		wk_signkey_free(key);
		wk_signkey_free(other);
	}
	assert_int_equal(ok, NKEYS * NMSGS);
	assert_true(refused >= 2 * NKEYS * NMSGS);
}

static void
test_sha256(void **state)
{
	/* FIPS 180-2 examples */
	static const char *const abc =
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	static const char *const empty =
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	uint8_t md[WK_SHA256_LEN], want[WK_SHA256_LEN];
	static uint8_t data[1000];

	(void)state;
	wk_sha256("abc", 3, md);
	assert_int_equal(wk_hex_decode(wk_span_from_cstr(abc), want, 32), 0);
	assert_memory_equal(md, want, 32);
	wk_sha256(NULL, 0, md);
	assert_int_equal(wk_hex_decode(wk_span_from_cstr(empty), want, 32),
	    0);
	assert_memory_equal(md, want, 32);
	/* random lengths across block boundaries, against OpenSSL */
	for (size_t len = 0; len < sizeof(data); len += 1 + rnd(13)) {
		assert_int_equal(wk_random_bytes(data, sizeof(data)), 0);
		wk_sha256(data, len, md);
		openssl_sha256(data, len, want);
		assert_memory_equal(md, want, 32);
	}
}

static void
test_key_id(void **state)
{
	static const char hex[] = "0123456789abcdef";

	(void)state;
	for (int i = 0; i < 50; i++) {
		uint8_t raw[32], md[32];
		char id[17];
		struct wk_pubkey pk;

		assert_int_equal(wk_random_bytes(raw, sizeof(raw)), 0);
		assert_int_equal(wk_pubkey_from_raw(raw, 32, &pk), 0);
		openssl_sha256(raw, 32, md);
		for (int j = 0; j < 8; j++) {
			id[2 * j] = hex[md[j] >> 4];
			id[2 * j + 1] = hex[md[j] & 15];
		}
		id[16] = '\0';
		assert_string_equal(pk.id, id);
		assert_memory_equal(pk.raw, raw, 32);
	}
	{
		struct wk_pubkey pk;

		memset(&pk, 0x55, sizeof(pk));
		assert_int_equal(wk_pubkey_from_raw(NULL, 32, &pk),
		    WK_ERR_INVAL);
		assert_int_equal(pk.id[0], '\0');
	}
}

static void
test_malformed(void **state)
{
	/* L, the group order, little-endian */
	static const uint8_t order[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
		0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
	};
	struct wk_signkey *key = NULL;
	struct wk_pubkey pk, zero;
	uint8_t sig[64], raw[32] = { 0 };
	struct wk_span m = WK_SPAN_LIT("message");
	unsigned carry = 0;

	(void)state;
	assert_int_equal(wk_signkey_generate(&key), 0);
	wk_signkey_public(key, &pk);
	assert_int_equal(wk_signkey_sign(key, m, sig), 0);
	assert_int_equal(wk_pubkey_verify(&pk, m, sig, 64), 0);
	assert_int_equal(wk_pubkey_verify(&pk, m, sig, 65), WK_ERR_AUTH);
	assert_int_equal(wk_pubkey_verify(&pk, m, sig, 0), WK_ERR_AUTH);
	/* S + L: the same signature modulo L, refused as non-canonical */
	for (int i = 0; i < 32; i++) {
		unsigned v = sig[32 + i] + order[i] + carry;

		sig[32 + i] = (uint8_t)v;
		carry = v >> 8;
	}
	assert_int_equal(wk_pubkey_verify(&pk, m, sig, 64), WK_ERR_AUTH);
	/* an all-zero (small-order) public key and signature */
	assert_int_equal(wk_pubkey_from_raw(raw, 32, &zero), 0);
	memset(sig, 0, sizeof(sig));
	assert_int_equal(wk_pubkey_verify(&zero, m, sig, 64), WK_ERR_AUTH);
	assert_int_equal(wk_pubkey_verify(&zero, WK_SPAN_NULL, sig, 64),
	    WK_ERR_AUTH);
	wk_signkey_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openssl_signatures),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_key_id),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
