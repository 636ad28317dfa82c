/*
 * spki.c - SHA-256 pins of certificates' public keys (spki.h).
 */
#include "crypto/spki.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/buf.h"
#include "common/encode.h"
#include "common/err.h"

int
wk_spki_pin_x509(X509 *cert, uint8_t out[static WK_SPKI_PIN_LEN])
{
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	EVP_PKEY *pk;
	int len, r = WK_ERR_CRYPTO;

	if (cert == NULL || (pk = X509_get0_pubkey(cert)) == NULL)
		return WK_ERR_INVAL;
	if ((len = i2d_PUBKEY(pk, &der)) <= 0)
		return WK_ERR_CRYPTO;
	if (EVP_Digest(der, (size_t)len, out, &mdlen, EVP_sha256(), NULL) ==
	    1 && mdlen == WK_SPKI_PIN_LEN)
		r = 0;
	OPENSSL_free(der);
	return r;
}

int
wk_spki_pin_pem_file(const char *path,
    char out[static WK_SPKI_PIN_HEX_LEN + 1])
{
	uint8_t pin[WK_SPKI_PIN_LEN];
	X509 *cert;
	FILE *f;
	int r;

	out[0] = '\0';
	if ((f = fopen(path, "re")) == NULL)
		return errno == ENOENT ? WK_ERR_NOTFOUND : WK_ERR_IO;
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (cert == NULL)
		return WK_ERR_INVAL;
	if ((r = wk_spki_pin_x509(cert, pin)) == 0)
		wk_spki_pin_hex(pin, out);
	X509_free(cert);
	return r;
}

int
wk_spki_pin_parse(const char *text, uint8_t out[static WK_SPKI_PIN_LEN])
{
	if (text == NULL)
		return WK_ERR_INVAL;
	if (strncmp(text, "sha256:", 7) == 0)
		text += 7;
	if (wk_hex_decode(wk_span_from_cstr(text), out, WK_SPKI_PIN_LEN) != 0) {
		memset(out, 0, WK_SPKI_PIN_LEN);
		return WK_ERR_INVAL;
	}
	return 0;
}

void
wk_spki_pin_hex(const uint8_t pin[static WK_SPKI_PIN_LEN],
    char out[static WK_SPKI_PIN_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < WK_SPKI_PIN_LEN; i++) {
		out[2 * i] = hex[pin[i] >> 4];
		out[2 * i + 1] = hex[pin[i] & 15];
	}
	out[WK_SPKI_PIN_HEX_LEN] = '\0';
}
