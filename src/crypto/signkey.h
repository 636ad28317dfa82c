/*
 * signkey.h - the control plane's Ed25519 signing keys (OpenSSL: PEM on
 * disk, signing). Public keys, key ids and verification are in pubkey.h
 * (libsodium), included here so existing users see one API.
 */
#ifndef WK_CRYPTO_SIGNKEY_H
#define WK_CRYPTO_SIGNKEY_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "crypto/pubkey.h"

struct wk_signkey;	/* private key (opaque; holds an EVP_PKEY) */

int wk_signkey_generate(struct wk_signkey **out);
/* PEM (PKCS#8) on disk; the file is created 0600 and never overwritten. */
int wk_signkey_save(const struct wk_signkey *k, const char *path);
int wk_signkey_load(const char *path, struct wk_signkey **out);
void wk_signkey_free(struct wk_signkey *k);
void wk_signkey_public(const struct wk_signkey *k, struct wk_pubkey *out);
int wk_signkey_sign(const struct wk_signkey *k, struct wk_span msg,
    uint8_t sig[static WK_ED25519_SIG_LEN]);

#endif
