/*
 * signkey.c - Ed25519 signing keys: generated, loaded and saved as PEM
 * through OpenSSL EVP, signed with libsodium (public keys and verification
 * are libsodium too, in pubkey.c). Ed25519 signatures are deterministic
 * (RFC 8032), so both sign alike; libsodium does it in well under half of
 * OpenSSL 3's instructions (an EVP context per signature), and every push
 * signs a record (bench/README.md, "CPU per push").
 */
#include "crypto/signkey.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"

#define MAX_KEY_FILE 16384

struct wk_signkey {
	EVP_PKEY *pkey;
	struct wk_pubkey pub;
	uint8_t sk[crypto_sign_SECRETKEYBYTES];	/* libsodium's seed || pk */
};

/* Wraps a private EVP_PKEY (taking ownership) after checking its type. */
static int
wrap_pkey(EVP_PKEY *pkey, struct wk_signkey **out)
{
	struct wk_signkey *k = NULL;
	uint8_t raw[WK_ED25519_PUB_LEN], seed[crypto_sign_SEEDBYTES];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	size_t rawlen = sizeof(raw), seedlen = sizeof(seed);
	int r;

	*out = NULL;
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		r = WK_ERR_INVAL;
		goto out;
	}
	if (EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen) != 1 ||
	    rawlen != sizeof(raw)) {
		r = WK_ERR_CRYPTO;
		goto out;
	}
	if ((k = wk_calloc(1, sizeof(*k))) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	if ((r = wk_pubkey_from_raw(raw, rawlen, &k->pub)) != 0)
		goto out;
	/* the same key for libsodium; it must derive the same public half */
	if (sodium_init() < 0 ||
	    EVP_PKEY_get_raw_private_key(pkey, seed, &seedlen) != 1 ||
	    seedlen != sizeof(seed) ||
	    crypto_sign_seed_keypair(pk, k->sk, seed) != 0 ||
	    sodium_memcmp(pk, raw, sizeof(pk)) != 0) {
		r = WK_ERR_CRYPTO;
		goto out;
	}
	k->pkey = pkey;
	pkey = NULL;
	*out = k;
	k = NULL;
out:
	sodium_memzero(seed, sizeof(seed));
	EVP_PKEY_free(pkey);
	if (k != NULL)
		wk_freezero(k, sizeof(*k));
	return r;
}

int
wk_signkey_generate(struct wk_signkey **out)
{
	EVP_PKEY *pkey;

	*out = NULL;
	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
		return WK_ERR_CRYPTO;
	return wrap_pkey(pkey, out);
}

int
wk_signkey_save(const struct wk_signkey *k, const char *path)
{
	BIO *mem = NULL;
	char *data = NULL;
	long dlen;
	int fd = -1, r = 0;
	bool created = false;
	size_t off = 0;

	if ((mem = BIO_new(BIO_s_secmem())) == NULL)
		return WK_ERR_NOMEM;
	if (PEM_write_bio_PrivateKey(mem, k->pkey, NULL, NULL, 0, NULL,
	    NULL) != 1 || (dlen = BIO_get_mem_data(mem, &data)) <= 0) {
		r = WK_ERR_CRYPTO;
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		r = errno == EEXIST ? WK_ERR_EXISTS : WK_ERR_IO;
		goto out;
	}
	created = true;
	/* The umask may have narrowed it further, never widened; be sure. */
	if (fchmod(fd, 0600) != 0) {
		r = WK_ERR_IO;
		goto out;
	}
	while (off < (size_t)dlen) {
		ssize_t w = write(fd, data + off, (size_t)dlen - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = WK_ERR_IO;
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0) {
		r = WK_ERR_IO;
		goto out;
	}
out:
	if (fd >= 0 && close(fd) != 0 && r == 0)
		r = WK_ERR_IO;
	if (r != 0 && created)
		unlink(path);
	BIO_free(mem);
	return r;
}

int
wk_signkey_load(const char *path, struct wk_signkey **out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	BIO *mem = NULL;
	EVP_PKEY *pkey = NULL;
	struct stat st;
	int fd = -1, r = 0;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? WK_ERR_NOTFOUND : WK_ERR_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = WK_ERR_IO;
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > MAX_KEY_FILE) {
		r = WK_ERR_INVAL;
		goto out;
	}
	if ((data = wk_malloc(MAX_KEY_FILE)) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		ssize_t got = read(fd, data + len, MAX_KEY_FILE - len);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = WK_ERR_IO;
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
		if (len == MAX_KEY_FILE) {
			r = WK_ERR_TOOBIG;
			goto out;
		}
	}
	if ((mem = BIO_new_mem_buf(data, (int)len)) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	if ((pkey = PEM_read_bio_PrivateKey(mem, NULL, NULL, NULL)) == NULL) {
		r = WK_ERR_INVAL;
		goto out;
	}
	r = wrap_pkey(pkey, out);
	pkey = NULL;
out:
	if (fd >= 0)
		close(fd);
	BIO_free(mem);
	wk_freezero(data, MAX_KEY_FILE);
	return r;
}

void
wk_signkey_free(struct wk_signkey *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	wk_freezero(k, sizeof(*k));
}

void
wk_signkey_public(const struct wk_signkey *k, struct wk_pubkey *out)
{
	*out = k->pub;
}

int
wk_signkey_sign(const struct wk_signkey *k, struct wk_span msg,
    uint8_t sig[static WK_ED25519_SIG_LEN])
{
	unsigned long long siglen = 0;

	if (crypto_sign_detached(sig, &siglen, msg.len ? msg.p :
	    (const uint8_t *)"", msg.len, k->sk) != 0 ||
	    siglen != WK_ED25519_SIG_LEN)
		return WK_ERR_CRYPTO;
	return 0;
}
