/*
 * x509.c - wicketd's private CA and the server certificates it issues
 * (OpenSSL's X509 API; libcrypto is linked already), and what is shown of
 * a certificate. Keys are ECDSA P-256; serials 127 random bits; validity
 * starts 5 minutes back so a client whose clock is a little behind still
 * accepts a fresh certificate.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/rand.h"
#include "crypto/spki.h"
#include "crypto/x509.h"

#define BACKDATE_S 300

static int
bio_to_buf(BIO *bio, struct wk_buf *out)
{
	char *p;
	long n = BIO_get_mem_data(bio, &p);

	if (n < 0)
		return WK_ERR_CRYPTO;
	return wk_buf_append(out, p, (size_t)n);
}

static int
key_to_pem(EVP_PKEY *k, struct wk_buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int r = WK_ERR_CRYPTO;

	if (bio != NULL && PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0,
	    NULL, NULL) == 1)
		r = bio_to_buf(bio, out);
	BIO_free(bio);
	return r;
}

static int
cert_to_pem(X509 *x, struct wk_buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int r = WK_ERR_CRYPTO;

	if (bio != NULL && PEM_write_bio_X509(bio, x) == 1)
		r = bio_to_buf(bio, out);
	BIO_free(bio);
	return r;
}

static EVP_PKEY *
key_from_pem(struct wk_span pem)
{
	BIO *bio;
	EVP_PKEY *k = NULL;

	if (pem.len > INT32_MAX ||
	    (bio = BIO_new_mem_buf(pem.p, (int)pem.len)) == NULL)
		return NULL;
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return k;
}

/* The index-th certificate of a PEM bundle, or NULL. */
static X509 *
cert_from_pem(struct wk_span pem, size_t index)
{
	BIO *bio;
	X509 *x = NULL;

	if (pem.len > INT32_MAX ||
	    (bio = BIO_new_mem_buf(pem.p, (int)pem.len)) == NULL)
		return NULL;
	for (size_t i = 0; i <= index; i++) {
		X509_free(x);
		if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL)
			break;
	}
	BIO_free(bio);
	return x;
}

static int
random_serial(X509 *x)
{
	unsigned char b[16];
	BIGNUM *bn;
	int r = WK_ERR_CRYPTO;

	if (wk_random_bytes(b, sizeof(b)) != 0)
		return WK_ERR_CRYPTO;
	b[0] &= 0x7f;	/* positive */
	b[0] |= 0x40;	/* and always 16 bytes long */
	if ((bn = BN_bin2bn(b, sizeof(b), NULL)) != NULL &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
		r = 0;
	BN_free(bn);
	return r;
}

static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return WK_ERR_CRYPTO;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : WK_ERR_CRYPTO;
}

/* A certificate with serial, validity, subject CN and public key. */
static X509 *
cert_new(const char *cn, EVP_PKEY *pub, unsigned days)
{
	X509 *x = X509_new();
	X509_NAME *name;

	if (x == NULL)
		return NULL;
	name = X509_get_subject_name(x);
	if (X509_set_version(x, 2) != 1 || random_serial(x) != 0 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -BACKDATE_S) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) ==
	    NULL ||
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"wicket", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_pubkey(x, pub) != 1) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int
wk_x509_ca_create(const char *cn, unsigned days, struct wk_buf *cert_pem,
    struct wk_buf *key_pem, char *why, size_t whysz)
{
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	int r = WK_ERR_CRYPTO;

	if ((k = EVP_EC_gen("P-256")) == NULL ||
	    (x = cert_new(cn, k, days)) == NULL ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
	    add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0")
	    != 0 ||
	    add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") != 0 ||
	    add_ext(x, x, NID_subject_key_identifier, "hash") != 0 ||
	    X509_sign(x, k, EVP_sha256()) == 0) {
		wk_why(why, whysz, "cannot make the CA certificate (OpenSSL)");
		goto out;
	}
	if ((r = cert_to_pem(x, cert_pem)) != 0 ||
	    (r = key_to_pem(k, key_pem)) != 0)
		wk_why(why, whysz, "cannot write the CA as PEM");
 out:
	X509_free(x);
	EVP_PKEY_free(k);
	return r;
}

/* "DNS:a,IP:1.2.3.4" (names are validated: no ',' or ':' in a DNS name) */
static int
san_value(const struct wk_x509_names *names, struct wk_buf *out)
{
	for (size_t i = 0; i < names->n; i++) {
		if (wk_buf_appendf(out, "%s%s:%s", i > 0 ? "," : "",
		    wk_x509_name_is_ip(names->name[i]) ? "IP" : "DNS",
		    names->name[i]) != 0)
			return WK_ERR_NOMEM;
	}
	return 0;
}

int
wk_x509_leaf_issue(struct wk_span ca_cert_pem, struct wk_span ca_key_pem,
    struct wk_span leaf_key_pem, const struct wk_x509_names *names,
    unsigned days, struct wk_buf *cert_pem, struct wk_buf *key_pem,
    char *why, size_t whysz)
{
	EVP_PKEY *cakey = NULL, *k = NULL;
	X509 *ca = NULL, *x = NULL;
	struct wk_buf san;
	int r = WK_ERR_INVAL;

	wk_buf_init(&san, 64 * 1024);
	if (names == NULL || names->n == 0) {
		wk_why(why, whysz,
		    "a server certificate needs at least one name");
		goto out;
	}
	if ((ca = cert_from_pem(ca_cert_pem, 0)) == NULL ||
	    (cakey = key_from_pem(ca_key_pem)) == NULL) {
		wk_why(why, whysz, "cannot read the CA certificate or its key");
		goto out;
	}
	if (X509_check_private_key(ca, cakey) != 1) {
		wk_why(why, whysz, "the CA key does not belong to the CA "
		    "certificate");
		goto out;
	}
	if (leaf_key_pem.len > 0) {
		if ((k = key_from_pem(leaf_key_pem)) == NULL) {
			wk_why(why, whysz, "cannot read the server key");
			goto out;
		}
	} else if ((k = EVP_EC_gen("P-256")) == NULL) {
		wk_why(why, whysz, "cannot make a key (OpenSSL)");
		r = WK_ERR_CRYPTO;
		goto out;
	}
	r = WK_ERR_CRYPTO;
	if ((r = san_value(names, &san)) != 0)
		goto out;
	r = WK_ERR_CRYPTO;
	if ((x = cert_new(names->name[0], k, days)) == NULL ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca)) != 1 ||
	    add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
	    add_ext(x, ca, NID_key_usage, "critical,digitalSignature,"
	    "keyEncipherment") != 0 ||
	    add_ext(x, ca, NID_ext_key_usage, "serverAuth") != 0 ||
	    add_ext(x, ca, NID_subject_key_identifier, "hash") != 0 ||
	    add_ext(x, ca, NID_authority_key_identifier, "keyid:always") !=
	    0 ||
	    add_ext(x, ca, NID_subject_alt_name, wk_buf_cstr(&san)) != 0 ||
	    X509_sign(x, cakey, EVP_sha256()) == 0) {
		wk_why(why, whysz,
		    "cannot make the server certificate (OpenSSL)");
		goto out;
	}
	if ((r = cert_to_pem(x, cert_pem)) != 0 ||
	    (leaf_key_pem.len == 0 && (r = key_to_pem(k, key_pem)) != 0))
		wk_why(why, whysz, "cannot write the certificate as PEM");
 out:
	wk_buf_cleanup(&san);
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(k);
	EVP_PKEY_free(cakey);
	return r;
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

static void
sans_text(X509 *x, char *out, size_t outsz)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL);
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char one[300];
		int n;

		one[0] = '\0';
		if (g->type == GEN_DNS) {
			const ASN1_IA5STRING *s = g->d.dNSName;

			snprintf(one, sizeof(one), "DNS:%.*s",
			    s->length > 253 ? 253 : s->length,
			    (const char *)s->data);
		} else if (g->type == GEN_IPADD) {
			const ASN1_OCTET_STRING *s = g->d.iPAddress;
			char ip[64];

			if (inet_ntop(s->length == 4 ? AF_INET : AF_INET6,
			    s->data, ip, sizeof(ip)) != NULL &&
			    (s->length == 4 || s->length == 16))
				snprintf(one, sizeof(one), "IP:%s", ip);
		}
		if (one[0] == '\0')
			continue;
		n = snprintf(out + o, outsz - o, "%s%s", o > 0 ? ", " : "",
		    one);
		if (n < 0 || (size_t)n >= outsz - o)
			break;
		o += (size_t)n;
	}
	GENERAL_NAMES_free(gens);
}

int
wk_x509_info_pem(struct wk_span pem, size_t index, struct wk_x509_info *out,
    char *why, size_t whysz)
{
	X509 *x;
	uint8_t pin[WK_SPKI_PIN_LEN];
	int r = WK_ERR_CRYPTO;
	const ASN1_INTEGER *sn;
	BIGNUM *bn = NULL;
	char *snhex = NULL;

	memset(out, 0, sizeof(*out));
	if ((x = cert_from_pem(pem, index)) == NULL) {
		wk_why(why, whysz, index == 0 ? "no PEM certificate" :
		    "no certificate %zu in the bundle", index + 1);
		return WK_ERR_NOTFOUND;
	}
	X509_NAME_oneline(X509_get_subject_name(x), out->subject,
	    sizeof(out->subject));
	X509_NAME_oneline(X509_get_issuer_name(x), out->issuer,
	    sizeof(out->issuer));
	sans_text(x, out->sans, sizeof(out->sans));
	out->not_before = asn1_time(X509_get0_notBefore(x));
	out->not_after = asn1_time(X509_get0_notAfter(x));
	out->is_ca = X509_check_ca(x) != 0;
	sn = X509_get0_serialNumber(x);
	if ((bn = ASN1_INTEGER_to_BN(sn, NULL)) == NULL ||
	    (snhex = BN_bn2hex(bn)) == NULL)
		goto out;
	for (size_t i = 0; snhex[i] != '\0' && i + 1 < sizeof(out->serial);
	    i++)	/* lower case, as the server logs it */
		out->serial[i] = (char)(snhex[i] >= 'A' && snhex[i] <= 'F' ?
		    snhex[i] - 'A' + 'a' : snhex[i]);
	/* the same pin join tokens and agents use (spki.h) */
	if (wk_spki_pin_x509(x, pin) != 0)
		goto out;
	wk_spki_pin_hex(pin, out->spki_sha256);
	r = 0;
 out:
	if (r != 0)
		wk_why(why, whysz, "cannot read the certificate (OpenSSL)");
	OPENSSL_free(snhex);
	BN_free(bn);
	X509_free(x);
	return r;
}

bool
wk_x509_key_matches(struct wk_span cert_pem, struct wk_span key_pem)
{
	X509 *x = cert_from_pem(cert_pem, 0);
	EVP_PKEY *k = key_from_pem(key_pem);
	bool ok = x != NULL && k != NULL && X509_check_private_key(x, k) == 1;

	X509_free(x);
	EVP_PKEY_free(k);
	return ok;
}
