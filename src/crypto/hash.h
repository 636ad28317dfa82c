/*
 * hash.h - SHA-256 for the code on the host helper's path (key ids, SSH
 * key fingerprints), through libsodium so that wicket-authorized-keys
 * never loads libcrypto. Implemented in pubkey.c.
 */
#ifndef WK_CRYPTO_HASH_H
#define WK_CRYPTO_HASH_H

#include <stddef.h>
#include <stdint.h>

#define WK_SHA256_LEN 32

/* SHA-256 of len bytes at p (p may be NULL when len is 0). */
void wk_sha256(const void *p, size_t len, uint8_t out[static WK_SHA256_LEN]);

#endif
