/*
 * x509.h - the certificates of wicketd's own TLS (OpenSSL's X509 API): a
 * private CA, server certificates it issues for a list of names and
 * addresses, and what `wicketd tls show` prints of a certificate (subject,
 * names, expiry, SPKI SHA-256 pin). Everything crosses this interface as
 * PEM text, so no caller sees an OpenSSL type.
 */
#ifndef WK_CRYPTO_X509_H
#define WK_CRYPTO_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/buf.h"

/* ---- names a server certificate is for (x509_names.c) ---- */
#define WK_X509_MAX_NAMES 32
#define WK_X509_NAME_MAX 253	/* a DNS name's longest text form */
#define WK_X509_NAMES_LIST_MAX 4096	/* bytes of one --tls-name argument */

struct wk_x509_names {
	size_t n;
	char name[WK_X509_MAX_NAMES][WK_X509_NAME_MAX + 1];
};

/*
 * Adds the names of `list` ("NAME[,NAME...]", each a DNS name of
 * letters, digits, '-' and '.' labels, optionally "*." first, or an IPv4
 * or IPv6 address, brackets allowed around IPv6) to out. DNS names are
 * lower-cased, addresses written in canonical form, duplicates dropped.
 * On a bad name out is unchanged and why says which and why.
 */
int wk_x509_names_add(struct wk_x509_names *out, const char *list, char *why,
    size_t whysz);
/* true when name (as stored by wk_x509_names_add) is an IP address */
bool wk_x509_name_is_ip(const char *name);

/* ---- issuing (x509.c) ---- */
#define WK_X509_CA_DAYS 3650
#define WK_X509_LEAF_DAYS 397	/* what browsers accept for a server */

/* A new CA (ECDSA P-256 key, self-signed, CA:TRUE pathlen 0) named cn. */
int wk_x509_ca_create(const char *cn, unsigned days, struct wk_buf *cert_pem,
    struct wk_buf *key_pem, char *why, size_t whysz);

/*
 * A server certificate for `names` (the first is its CN), signed by the
 * CA. leaf_key_pem: the key to certify (renewal under the same key), or
 * an empty span for a new ECDSA P-256 key, then written to key_pem (left
 * empty otherwise). cert_pem receives the leaf only.
 */
int wk_x509_leaf_issue(struct wk_span ca_cert_pem, struct wk_span ca_key_pem,
    struct wk_span leaf_key_pem, const struct wk_x509_names *names,
    unsigned days, struct wk_buf *cert_pem, struct wk_buf *key_pem,
    char *why, size_t whysz);

/* ---- inspecting ---- */
struct wk_x509_info {
	char subject[256];
	char issuer[256];
	char sans[1024];	/* "DNS:a, IP:127.0.0.1" */
	char serial[80];	/* hex */
	time_t not_before, not_after;
	char spki_sha256[65];	/* hex SHA-256 of the DER SubjectPublicKeyInfo */
	bool is_ca;
};

/* The index-th certificate (0 = first) of a PEM bundle. WK_ERR_NOTFOUND
 * past the last one. */
int wk_x509_info_pem(struct wk_span pem, size_t index,
    struct wk_x509_info *out, char *why, size_t whysz);

/* true when key_pem is the private key of the first certificate in
 * cert_pem. */
bool wk_x509_key_matches(struct wk_span cert_pem, struct wk_span key_pem);

#endif
