/*
 * seal.c - secret access keys at rest: AES-256-GCM under the master key,
 * a fresh random nonce per secret, the access key id as additional
 * authenticated data so a sealed secret cannot be moved to another key.
 */
#include <openssl/evp.h>

#include <limits.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rand.h"
#include "store/store_int.h"

int
wk_store_seal(const uint8_t key[WK_MASTER_KEY_LEN], const char *aad,
    const char *plain, uint8_t **out, size_t *outlen)
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *blob = NULL;
	size_t plen, aadlen, total;
	int len, r = WK_ERR_CRYPTO;

	*out = NULL;
	*outlen = 0;
	if (aad == NULL || plain == NULL)
		return WK_ERR_INVAL;
	plen = strnlen(plain, WK_SEAL_PLAIN_MAX + 1);
	aadlen = strnlen(aad, WK_SEAL_PLAIN_MAX + 1);
	if (plen > WK_SEAL_PLAIN_MAX || aadlen > WK_SEAL_PLAIN_MAX)
		return WK_ERR_TOOBIG;
	total = WK_SEAL_OVERHEAD + plen;
	if ((blob = wk_malloc(total)) == NULL)
		return WK_ERR_NOMEM;
	blob[0] = WK_SEAL_VERSION;
	if ((r = wk_random_bytes(blob + 1, WK_SEAL_NONCE_LEN)) != 0)
		goto out;
	r = WK_ERR_CRYPTO;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, WK_SEAL_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, blob + 1) != 1)
		goto out;
	if (EVP_EncryptUpdate(ctx, NULL, &len, (const uint8_t *)aad,
	    (int)aadlen) != 1)
		goto out;
	if (EVP_EncryptUpdate(ctx, blob + 1 + WK_SEAL_NONCE_LEN, &len,
	    (const uint8_t *)plain, (int)plen) != 1 || (size_t)len != plen)
		goto out;
	if (EVP_EncryptFinal_ex(ctx, blob + 1 + WK_SEAL_NONCE_LEN + plen,
	    &len) != 1 || len != 0)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, WK_SEAL_TAG_LEN,
	    blob + 1 + WK_SEAL_NONCE_LEN + plen) != 1)
		goto out;
	*out = blob;
	*outlen = total;
	blob = NULL;
	r = 0;
 out:
	EVP_CIPHER_CTX_free(ctx);
	wk_freezero(blob, total);
	return r;
}

int
wk_store_unseal(const uint8_t key[WK_MASTER_KEY_LEN], const char *aad,
    const uint8_t *sealed, size_t sealedlen, char *out, size_t outsz)
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t tag[WK_SEAL_TAG_LEN];
	const uint8_t *nonce, *ct;
	size_t ctlen, aadlen;
	int len, r = WK_ERR_CRYPTO;

	if (outsz > 0)
		out[0] = '\0';
	if (aad == NULL || sealed == NULL)
		return WK_ERR_INVAL;
	aadlen = strnlen(aad, WK_SEAL_PLAIN_MAX + 1);
	if (aadlen > WK_SEAL_PLAIN_MAX)
		return WK_ERR_TOOBIG;
	if (sealedlen < WK_SEAL_OVERHEAD || sealed[0] != WK_SEAL_VERSION)
		return WK_ERR_CRYPTO;
	ctlen = sealedlen - WK_SEAL_OVERHEAD;
	if (ctlen > WK_SEAL_PLAIN_MAX)
		return WK_ERR_CRYPTO;
	if (ctlen >= outsz)
		return WK_ERR_TOOBIG;
	nonce = sealed + 1;
	ct = nonce + WK_SEAL_NONCE_LEN;
	memcpy(tag, ct + ctlen, sizeof(tag));
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, WK_SEAL_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) != 1)
		goto out;
	if (EVP_DecryptUpdate(ctx, NULL, &len, (const uint8_t *)aad,
	    (int)aadlen) != 1)
		goto out;
	if (EVP_DecryptUpdate(ctx, (uint8_t *)out, &len, ct, (int)ctlen) != 1 ||
	    (size_t)len != ctlen)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, WK_SEAL_TAG_LEN,
	    tag) != 1)
		goto out;
	if (EVP_DecryptFinal_ex(ctx, (uint8_t *)out + ctlen, &len) != 1)
		goto out;
	if (memchr(out, '\0', ctlen) != NULL)
		goto out;
	out[ctlen] = '\0';
	r = 0;
 out:
	if (r != 0)
		wk_explicit_bzero(out, outsz);
	EVP_CIPHER_CTX_free(ctx);
	return r;
}
