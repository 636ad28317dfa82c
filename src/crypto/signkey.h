/*
 * signkey.h - the control plane's Ed25519 signing keys and their ids.
 * A key id is the first 16 hex digits of SHA-256 over the raw 32-byte
 * public key, so hosts can tell which pinned key a record claims.
 */
#ifndef WK_CRYPTO_SIGNKEY_H
#define WK_CRYPTO_SIGNKEY_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define WK_SIGNKEY_ID_LEN 16	/* hex digits */
#define WK_ED25519_PUB_LEN 32
#define WK_ED25519_SIG_LEN 64

struct wk_signkey;	/* private key (opaque; holds an EVP_PKEY) */

struct wk_pubkey {
	uint8_t raw[WK_ED25519_PUB_LEN];
	char id[WK_SIGNKEY_ID_LEN + 1];
};

int wk_signkey_generate(struct wk_signkey **out);
/* PEM (PKCS#8) on disk; the file is created 0600 and never overwritten. */
int wk_signkey_save(const struct wk_signkey *k, const char *path);
int wk_signkey_load(const char *path, struct wk_signkey **out);
void wk_signkey_free(struct wk_signkey *k);
void wk_signkey_public(const struct wk_signkey *k, struct wk_pubkey *out);
int wk_signkey_sign(const struct wk_signkey *k, struct wk_span msg,
    uint8_t sig[static WK_ED25519_SIG_LEN]);

/* Builds a public key (and its id) from its raw bytes. */
int wk_pubkey_from_raw(const uint8_t *raw, size_t len, struct wk_pubkey *out);
/* Public key as standard base64 of the 32 raw bytes, and back. */
int wk_pubkey_to_base64(const struct wk_pubkey *pk, struct wk_buf *out);
int wk_pubkey_from_base64(struct wk_span b64, struct wk_pubkey *out);
/* 0 when sig is pk's signature of msg, else WK_ERR_AUTH. */
int wk_pubkey_verify(const struct wk_pubkey *pk, struct wk_span msg,
    const uint8_t *sig, size_t siglen);

#endif
