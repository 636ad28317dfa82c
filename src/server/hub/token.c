/*
 * token.c - `wicketd token create`: one-time join tokens for agents. Only
 * the SHA-256 of the token's secret part is stored; the token itself is
 * shown once. A token may carry the SHA-256 of a public key (SPKI) the
 * agent must find in wicketd's certificate chain (crypto/join_token.h).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rand.h"
#include "crypto/join_token.h"
#include "server/wicketd.h"

#define TOKEN_PREFIX WK_JOIN_TOKEN_PREFIX
#define TOKEN_RANDOM WK_JOIN_TOKEN_RANDOM

int
wk_sha256_hex(const char *s, char out[static 65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return WK_ERR_CRYPTO;
	for (unsigned int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

int
wk_token_create(struct wk_store *st, unsigned ttl_seconds, time_t now,
    const char *address_allow, const uint8_t *pin, char *out, size_t outsz)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	const size_t alen = sizeof(alphabet) - 1;
	const size_t limit = 256 - 256 % alen;
	char token[WK_JOIN_TOKEN_LEN + 1], hash[65];
	struct wk_join_token jt;
	uint8_t rnd[64];
	size_t i = 0;
	int r;

	memset(&jt, 0, sizeof(jt));
	if (outsz < WK_JOIN_TOKEN_MAX + 1 || ttl_seconds == 0)
		return WK_ERR_INVAL;
	memcpy(token, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
	while (i < TOKEN_RANDOM) {
		if ((r = wk_random_bytes(rnd, sizeof(rnd))) != 0)
			goto out;
		for (size_t k = 0; k < sizeof(rnd) && i < TOKEN_RANDOM; k++)
			if (rnd[k] < limit)
				token[sizeof(TOKEN_PREFIX) - 1 + i++] =
				    alphabet[rnd[k] % alen];
	}
	token[WK_JOIN_TOKEN_LEN] = '\0';
	if ((r = wk_sha256_hex(token, hash)) != 0 ||
	    (r = wk_store_token_create(st, hash, now + (time_t)ttl_seconds,
	    address_allow != NULL ? address_allow : "")) != 0)
		goto out;
	memcpy(jt.secret, token, sizeof(token));
	if (pin != NULL) {
		jt.has_pin = true;
		memcpy(jt.pin, pin, WK_SPKI_PIN_LEN);
	}
	r = wk_join_token_format(&jt, out, outsz);
 out:
	wk_join_token_clear(&jt);
	wk_explicit_bzero(token, sizeof(token));
	wk_explicit_bzero(rnd, sizeof(rnd));
	return r;
}
