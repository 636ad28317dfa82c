/*
 * ec2_token.c - DescribeInstances' NextToken: where the next page starts,
 * MAC'd by the server (HMAC-SHA-256 under a key kept in the store) over
 * the caller's user id and the filters, with an expiry. A caller cannot
 * forge one, edit one (skip ahead, extend it) or use another caller's, and
 * a token for one set of filters is refused with any other.
 *
 * Text: hex of  version (1) || expires (8, big-endian) || last id (19)
 *               || HMAC (32)
 * HMAC input:   "wicket-ec2-describe-token-v1" NUL caller id NUL
 *               filters digest (32) || the 28 payload bytes.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/rand.h"
#include "server/ec2/ec2.h"

#define TOKEN_VERSION 1
#define ID_LEN 19
#define PAYLOAD_LEN (1 + 8 + ID_LEN)
#define MAC_LEN 32
#define RAW_LEN (PAYLOAD_LEN + MAC_LEN)
#define META_KEY "ec2_token_key"
#define DOMAIN "wicket-ec2-describe-token-v1"

int
wk_ec2_token_key(struct wk_store *st, uint8_t key[static WK_EC2_TOKEN_KEY_LEN])
{
	struct wk_buf hex;
	char *text = NULL;
	int r;

	r = wk_store_meta_get(st, META_KEY, &text);
	if (r == 0) {
		r = strlen(text) == 2 * WK_EC2_TOKEN_KEY_LEN ?
		    wk_hex_decode(wk_span_from_cstr(text), key,
		    WK_EC2_TOKEN_KEY_LEN) : WK_ERR_INVAL;
		wk_store_free(text);
		return r;
	}
	if (r != WK_ERR_NOTFOUND)
		return r;
	/* first use: one event loop thread, no race with another writer */
	wk_buf_init(&hex, 2 * RAW_LEN + 2 * WK_EC2_TOKEN_KEY_LEN);
	if ((r = wk_random_bytes(key, WK_EC2_TOKEN_KEY_LEN)) == 0 &&
	    (r = wk_hex_encode(&hex, key, WK_EC2_TOKEN_KEY_LEN)) == 0)
		r = wk_store_meta_set(st, META_KEY, wk_buf_cstr(&hex));
	wk_buf_cleanup_secret(&hex);
	return r;
}

static int
mac(const uint8_t key[static WK_EC2_TOKEN_KEY_LEN], const char *caller_id,
    const uint8_t filters[static 32], const uint8_t payload[PAYLOAD_LEN],
    uint8_t out[MAC_LEN])
{
	struct wk_buf in;
	unsigned int outlen = 0;
	int r;

	wk_buf_init(&in, 4096);
	if ((r = wk_buf_append(&in, DOMAIN, sizeof(DOMAIN))) != 0 ||
	    (r = wk_buf_append(&in, caller_id, strlen(caller_id) + 1)) != 0 ||
	    (r = wk_buf_append(&in, filters, 32)) != 0 ||
	    (r = wk_buf_append(&in, payload, PAYLOAD_LEN)) != 0)
		goto out;
	if (HMAC(EVP_sha256(), key, WK_EC2_TOKEN_KEY_LEN, in.p, in.len, out,
	    &outlen) == NULL || outlen != MAC_LEN)
		r = WK_ERR_CRYPTO;
 out:
	wk_buf_cleanup(&in);
	return r;
}

static bool
valid_id(const char *id)
{
	return strlen(id) == ID_LEN && wk_ec2ic_valid_instance_id(id);
}

int
wk_ec2_token_make(const uint8_t key[static WK_EC2_TOKEN_KEY_LEN],
    const char *caller_id, const uint8_t filters[static 32],
    const char *last_id, time_t now, char *out, size_t outsz)
{
	uint8_t raw[RAW_LEN];
	uint64_t exp = (uint64_t)now + WK_EC2_TOKEN_TTL;
	struct wk_buf hex;
	int r;

	if (outsz > 0)
		out[0] = '\0';
	if (!valid_id(last_id) || caller_id == NULL)
		return WK_ERR_INVAL;
	if (outsz < 2 * RAW_LEN + 1)
		return WK_ERR_TOOBIG;
	raw[0] = TOKEN_VERSION;
	for (int i = 0; i < 8; i++)
		raw[1 + i] = (uint8_t)(exp >> (56 - 8 * i));
	memcpy(raw + 9, last_id, ID_LEN);
	if ((r = mac(key, caller_id, filters, raw, raw + PAYLOAD_LEN)) != 0)
		return r;
	wk_buf_init(&hex, 2 * RAW_LEN + 2 * WK_EC2_TOKEN_KEY_LEN);
	if ((r = wk_hex_encode(&hex, raw, sizeof(raw))) == 0)
		snprintf(out, outsz, "%s", wk_buf_cstr(&hex));
	wk_buf_cleanup(&hex);
	return r;
}

int
wk_ec2_token_open(const uint8_t key[static WK_EC2_TOKEN_KEY_LEN],
    const char *caller_id, const uint8_t filters[static 32],
    const char *token, time_t now, char last_id[static 20])
{
	uint8_t raw[RAW_LEN], want[MAC_LEN];
	uint64_t exp = 0;
	int r;

	last_id[0] = '\0';
	if (token == NULL || caller_id == NULL ||
	    strlen(token) != 2 * RAW_LEN ||
	    wk_hex_decode(wk_span_from_cstr(token), raw, sizeof(raw)) != 0 ||
	    raw[0] != TOKEN_VERSION)
		return WK_ERR_INVAL;
	if ((r = mac(key, caller_id, filters, raw, want)) != 0)
		return r;
	if (CRYPTO_memcmp(want, raw + PAYLOAD_LEN, MAC_LEN) != 0)
		return WK_ERR_INVAL;
	for (int i = 0; i < 8; i++)
		exp = (exp << 8) | raw[1 + i];
	if (now < 0 || (uint64_t)now > exp)
		return WK_ERR_EXPIRED;
	memcpy(last_id, raw + 9, ID_LEN);
	last_id[ID_LEN] = '\0';
	if (!valid_id(last_id)) {	/* only with a leaked key */
		last_id[0] = '\0';
		return WK_ERR_INVAL;
	}
	return 0;
}
