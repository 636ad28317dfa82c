/*
 * pubkey.h - an Ed25519 public key pinned by hosts, its id, and signature
 * verification. A key id is the first 16 hex digits of SHA-256 over the
 * raw 32-byte public key, so hosts can tell which pinned key a record
 * claims. Implemented with libsodium (pubkey.c): this is the half of the
 * signing-key code that wicket-authorized-keys runs, and it must not load
 * libcrypto (see signkey.h for the OpenSSL private half).
 */
#ifndef WK_CRYPTO_PUBKEY_H
#define WK_CRYPTO_PUBKEY_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define WK_SIGNKEY_ID_LEN 16	/* hex digits */
#define WK_ED25519_PUB_LEN 32
#define WK_ED25519_SIG_LEN 64

struct wk_pubkey {
	uint8_t raw[WK_ED25519_PUB_LEN];
	char id[WK_SIGNKEY_ID_LEN + 1];
};

/* Builds a public key (and its id) from its raw bytes. */
int wk_pubkey_from_raw(const uint8_t *raw, size_t len, struct wk_pubkey *out);
/* Public key as standard base64 of the 32 raw bytes, and back. */
int wk_pubkey_to_base64(const struct wk_pubkey *pk, struct wk_buf *out);
int wk_pubkey_from_base64(struct wk_span b64, struct wk_pubkey *out);
/* 0 when sig is pk's signature of msg, else WK_ERR_AUTH. */
int wk_pubkey_verify(const struct wk_pubkey *pk, struct wk_span msg,
    const uint8_t *sig, size_t siglen);
/*
 * Verifies sig with the key of id `id` among the n pinned keys: 0,
 * WK_ERR_NOTFOUND when no pinned key has that id, WK_ERR_AUTH when the
 * signature does not verify.
 */
int wk_pubkey_verify_pinned(const struct wk_pubkey *pinned, size_t n,
    const char *id, struct wk_span msg, const uint8_t *sig, size_t siglen);

#endif
