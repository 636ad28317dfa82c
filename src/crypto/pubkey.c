/*
 * pubkey.c - Ed25519 public keys, key ids, verification and SHA-256
 * through libsodium: the only cryptography wicket-authorized-keys runs.
 * libsodium's initialisation is a few microseconds where OpenSSL 3's
 * provider set-up costs about a millisecond on every login attempt.
 */
#include "crypto/pubkey.h"

#include <sodium.h>
#include <string.h>

#include "common/encode.h"
#include "common/err.h"
#include "crypto/hash.h"

#define PUB_B64_LEN 44

_Static_assert(WK_ED25519_PUB_LEN == crypto_sign_PUBLICKEYBYTES,
    "Ed25519 public key size");
_Static_assert(WK_ED25519_SIG_LEN == crypto_sign_BYTES,
    "Ed25519 signature size");
_Static_assert(WK_SHA256_LEN == crypto_hash_sha256_BYTES, "SHA-256 size");

/*
 * libsodium wants sodium_init() before any other call. It is idempotent
 * and thread-safe (it takes its own lock), returns 1 when already done,
 * and -1 only when it cannot initialise (its lock, its random source):
 * verification then fails closed.
 */
static int
sodium_ready(void)
{
	return sodium_init() < 0 ? WK_ERR_CRYPTO : 0;
}

void
wk_sha256(const void *p, size_t len, uint8_t out[static WK_SHA256_LEN])
{
	static const uint8_t empty;

	/*
	 * SHA-256 is plain portable code in libsodium, with no state that
	 * initialisation sets up: its result does not depend on the outcome.
	 */
	(void)sodium_ready();
	crypto_hash_sha256(out, len ? p : &empty, len);
}

int
wk_pubkey_from_raw(const uint8_t *raw, size_t len, struct wk_pubkey *out)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t md[WK_SHA256_LEN];

	memset(out, 0, sizeof(*out));
	if (raw == NULL || len != WK_ED25519_PUB_LEN)
		return WK_ERR_INVAL;
	memcpy(out->raw, raw, len);
	wk_sha256(out->raw, sizeof(out->raw), md);
	for (size_t i = 0; i < WK_SIGNKEY_ID_LEN / 2; i++) {
		out->id[2 * i] = hex[md[i] >> 4];
		out->id[2 * i + 1] = hex[md[i] & 15];
	}
	out->id[WK_SIGNKEY_ID_LEN] = '\0';
	return 0;
}

int
wk_pubkey_to_base64(const struct wk_pubkey *pk, struct wk_buf *out)
{
	return wk_base64_encode(out, pk->raw, sizeof(pk->raw));
}

int
wk_pubkey_from_base64(struct wk_span b64, struct wk_pubkey *out)
{
	struct wk_buf raw;
	int r;

	memset(out, 0, sizeof(*out));
	if (b64.len != PUB_B64_LEN)
		return WK_ERR_INVAL;
	wk_buf_init(&raw, 64);
	if ((r = wk_base64_decode(b64, &raw)) == 0)
		r = wk_pubkey_from_raw(raw.p, raw.len, out);
	wk_buf_cleanup(&raw);
	return r;
}

/*
 * crypto_sign_verify_detached() rejects non-canonical S, small-order and
 * non-canonical public keys and R, so it accepts a subset of what RFC 8032
 * allows; every signature OpenSSL (or any RFC 8032 signer) produces with
 * an honestly generated key is in that subset (tests/unit/crypto).
 */
int
wk_pubkey_verify(const struct wk_pubkey *pk, struct wk_span msg,
    const uint8_t *sig, size_t siglen)
{
	static const uint8_t empty;
	int r;

	if (sig == NULL || siglen != crypto_sign_BYTES)
		return WK_ERR_AUTH;
	if ((r = sodium_ready()) != 0)
		return r;
	if (crypto_sign_verify_detached(sig, msg.len ? msg.p : &empty,
	    msg.len, pk->raw) != 0)
		return WK_ERR_AUTH;
	return 0;
}

int
wk_pubkey_verify_pinned(const struct wk_pubkey *pinned, size_t n,
    const char *id, struct wk_span msg, const uint8_t *sig, size_t siglen)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(pinned[i].id, id) == 0)
			return wk_pubkey_verify(&pinned[i], msg, sig, siglen);
	return WK_ERR_NOTFOUND;
}
