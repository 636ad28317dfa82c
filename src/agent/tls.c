/*
 * tls.c - how the agent verifies wicketd (docs/agent-tls.md). Every
 * connection, enroll and run alike, goes through wk_agent_tls_apply:
 *
 * - pin (join token or --ca-cert-hash): the presented chain must contain
 *   a certificate whose public key (SPKI) hashes to the pin, and the leaf
 *   must verify up to that certificate (signatures, validity dates,
 *   server purpose) with it as the only trust anchor. Pinning the CA keeps
 *   every leaf it issues working; pinning the leaf keeps a renewal under
 *   the same key working. The CA certificate is public: presenting it
 *   next to another leaf does not pass, the leaf must be signed by it.
 * - CA file (--ca-file): the chain must verify up to one of its CAs; with
 *   a pin as well, the pinned key must also be on the verified chain.
 * - neither: the system store.
 * Host names are checked by curl in every case (CURLOPT_SSL_VERIFYHOST).
 *
 * The verify callback replaces OpenSSL's chain check
 * (SSL_CTX_set_cert_verify_callback), which is why the agent links libssl.
 */
#include "agent/agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/alloc.h"
#include "common/err.h"
#include "crypto/spki.h"

/* ---- URL policy ---- */

bool
wk_agent_url_is_loopback(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	struct in_addr a4;
	struct in6_addr a6;
	bool yes = false;

	if (u == NULL)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	if (strcasecmp(host, "localhost") == 0) {
		yes = true;
	} else if (inet_pton(AF_INET, host, &a4) == 1) {
		yes = (ntohl(a4.s_addr) >> 24) == 127;
	} else if (host[0] == '[') {
		size_t n = strlen(host);
		char inner[64];

		if (n > 2 && n - 2 < sizeof(inner) && host[n - 1] == ']') {
			memcpy(inner, host + 1, n - 2);
			inner[n - 2] = '\0';
			yes = inet_pton(AF_INET6, inner, &a6) == 1 &&
			    IN6_IS_ADDR_LOOPBACK(&a6);
		}
	}
 out:
	curl_free(host);
	curl_url_cleanup(u);
	return yes;
}

int
wk_agent_tls_url_ok(const char *url, const struct wk_agent_tls *tls,
    char *why, size_t whysz)
{
	why[0] = '\0';
	if (strncmp(url, "https://", 8) == 0)
		return 0;
	if (strncmp(url, "http://", 7) != 0) {
		snprintf(why, whysz, "%s is neither http:// nor https://", url);
		return WK_ERR_DENIED;
	}
	if (tls->has_pin || tls->ca_pem != NULL) {
		snprintf(why, whysz, "%s is plain http, but a pinned key or CA "
		    "file is given: they can only be checked over https "
		    "(use https://)", url);
		return WK_ERR_DENIED;
	}
	if (!wk_agent_url_is_loopback(url) && !tls->insecure_http) {
		snprintf(why, whysz, "%s is plain http to a non-loopback "
		    "address: the agent secret and pushed keys would cross the "
		    "network in clear text. Use https:// (wicketd serve "
		    "--tls-cert), or --insecure-http to accept the risk", url);
		return WK_ERR_DENIED;
	}
	return 0;
}

void
wk_agent_tls_describe(const char *url, const struct wk_agent_tls *tls,
    char *out, size_t outsz)
{
	char hex[WK_SPKI_PIN_HEX_LEN + 1] = "";

	if (strncmp(url, "https://", 8) != 0) {
		snprintf(out, outsz, "tls=none reason=\"plain http %s\"",
		    tls->insecure_http && !wk_agent_url_is_loopback(url) ?
		    "to a non-loopback address (--insecure-http)" :
		    "to loopback");
		return;
	}
	if (tls->has_pin)
		wk_spki_pin_hex(tls->pin, hex);
	snprintf(out, outsz, "tls=verify%s%s%s", tls->has_pin ?
	    " pin=sha256:" : "", hex, tls->ca_pem != NULL ? " ca=file" :
	    tls->has_pin ? "" : " ca=system");
}

void
wk_agent_tls_cleanup(struct wk_agent_tls *tls)
{
	wk_free(tls->ca_pem);
	memset(tls, 0, sizeof(*tls));
}

int
wk_agent_tls_read_ca(const char *path, char **out, char *why, size_t whysz)
{
	struct stat sb;
	char *text = NULL;
	ssize_t got;
	size_t len = 0;
	int fd, n = 0, r = WK_ERR_INVAL;
	BIO *bio = NULL;
	X509 *x;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, whysz, "%s: %s", path, strerror(errno));
		return WK_ERR_IO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > WK_AGENT_MAX_CA_PEM || sb.st_size == 0) {
		snprintf(why, whysz, "%s: not a regular file of 1..%d bytes",
		    path, WK_AGENT_MAX_CA_PEM);
		goto out;
	}
	if ((text = wk_malloc((size_t)sb.st_size + 1)) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	while (len < (size_t)sb.st_size) {
		got = read(fd, text + len, (size_t)sb.st_size - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	text[len] = '\0';
	if (len != (size_t)sb.st_size || strlen(text) != len) {
		snprintf(why, whysz, "%s: short read or NUL byte", path);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		X509_free(x);
		n++;
	}
	ERR_clear_error();
	if (n == 0) {
		snprintf(why, whysz, "%s: no PEM certificate in it", path);
		goto out;
	}
	*out = text;
	text = NULL;
	r = 0;
 out:
	BIO_free(bio);
	wk_free(text);
	close(fd);
	return r;
}

/* ---- the verify callback ---- */

static void
cert_name(X509 *x, char *out, size_t outsz)
{
	X509_NAME_oneline(X509_get_subject_name(x), out, (int)outsz);
}

static bool
pin_matches(X509 *x, const uint8_t pin[static 32])
{
	uint8_t got[WK_SPKI_PIN_LEN];

	return wk_spki_pin_x509(x, got) == 0 &&
	    CRYPTO_memcmp(got, pin, sizeof(got)) == 0;
}

/* Records why a verification by OpenSSL failed, in the agent's words. */
static void
say_x509_error(struct wk_agent_reply *rp, X509_STORE_CTX *ctx,
    const char *anchor)
{
	int err = X509_STORE_CTX_get_error(ctx);
	X509 *at = X509_STORE_CTX_get_current_cert(ctx);
	char name[256] = "?";
	const char *kind;

	if (at != NULL)
		cert_name(at, name, sizeof(name));
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		kind = "certificate expired";
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		kind = "certificate not yet valid";
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_CERT_UNTRUSTED:
		kind = "unknown CA";
		break;
	default:
		kind = "certificate refused";
		break;
	}
	snprintf(rp->tls_why, sizeof(rp->tls_why), "%s: %s (certificate %s, "
	    "checked against %s)", kind, X509_verify_cert_error_string(err),
	    name, anchor);
}

/* Pin only: the pinned certificate in the chain is the one trust anchor. */
static int
verify_pinned(X509_STORE_CTX *ctx, struct wk_agent_reply *rp)
{
	X509 *leaf = X509_STORE_CTX_get0_cert(ctx), *anchor = NULL, *x;
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_untrusted(ctx);
	X509_STORE *store = NULL;
	X509_STORE_CTX *v = NULL;
	char hex[WK_SPKI_PIN_HEX_LEN + 1], name[256];
	uint8_t got[WK_SPKI_PIN_LEN];
	int ok = 0;

	if (leaf != NULL && pin_matches(leaf, rp->tls->pin))
		anchor = leaf;
	for (int i = 0; anchor == NULL && i < sk_X509_num(chain); i++) {
		x = sk_X509_value(chain, i);
		if (pin_matches(x, rp->tls->pin))
			anchor = x;
	}
	if (anchor == NULL) {
		wk_spki_pin_hex(rp->tls->pin, hex);
		name[0] = '\0';
		if (leaf != NULL)
			cert_name(leaf, name, sizeof(name));
		snprintf(rp->tls_why, sizeof(rp->tls_why), "pin mismatch: no "
		    "certificate in the server's chain has the pinned public "
		    "key sha256:%s (leaf %s, key sha256:", hex, name);
		if (leaf != NULL && wk_spki_pin_x509(leaf, got) == 0) {
			wk_spki_pin_hex(got, hex);
			strncat(rp->tls_why, hex, sizeof(rp->tls_why) -
			    strlen(rp->tls_why) - 1);
		}
		strncat(rp->tls_why, ")", sizeof(rp->tls_why) -
		    strlen(rp->tls_why) - 1);
		X509_STORE_CTX_set_error(ctx,
		    X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	if ((store = X509_STORE_new()) == NULL ||
	    X509_STORE_add_cert(store, anchor) != 1 ||
	    (v = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(v, store, leaf, chain) != 1 ||
	    X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(v),
	    X509_STORE_CTX_get0_param(ctx)) != 1) {
		snprintf(rp->tls_why, sizeof(rp->tls_why), "certificate "
		    "refused: out of memory verifying the chain");
		X509_STORE_CTX_set_error(ctx, X509_V_ERR_OUT_OF_MEM);
		goto out;
	}
	/* the pinned certificate need not be self-signed (a leaf pin) */
	X509_STORE_CTX_set_flags(v, X509_V_FLAG_PARTIAL_CHAIN);
	ok = X509_verify_cert(v) == 1;
	if (!ok)
		say_x509_error(rp, v, "the pinned key");
	X509_STORE_CTX_set_error(ctx, X509_STORE_CTX_get_error(v));
 out:
	X509_STORE_CTX_free(v);
	X509_STORE_free(store);
	ERR_clear_error();
	return ok;
}

static int
verify_cb(X509_STORE_CTX *ctx, void *arg)
{
	struct wk_agent_reply *rp = arg;
	STACK_OF(X509) *chain;
	char hex[WK_SPKI_PIN_HEX_LEN + 1];

	rp->tls_why[0] = '\0';
	if (rp->tls->has_pin && rp->tls->ca_pem == NULL)
		return verify_pinned(ctx, rp);
	/* the CA file (curl loaded it into the store) or the system store */
	if (X509_verify_cert(ctx) != 1) {
		say_x509_error(rp, ctx, rp->tls->ca_pem != NULL ?
		    "the CA file" : "the system CA store");
		ERR_clear_error();
		return 0;
	}
	if (!rp->tls->has_pin)
		return 1;
	chain = X509_STORE_CTX_get0_chain(ctx);
	for (int i = 0; i < sk_X509_num(chain); i++)
		if (pin_matches(sk_X509_value(chain, i), rp->tls->pin))
			return 1;
	wk_spki_pin_hex(rp->tls->pin, hex);
	snprintf(rp->tls_why, sizeof(rp->tls_why), "pin mismatch: the chain "
	    "verifies under the CA file, but no certificate on it has the "
	    "pinned public key sha256:%s", hex);
	X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
	return 0;
}

static CURLcode
ssl_ctx_cb(CURL *easy, void *ssl_ctx, void *userptr)
{
	(void)easy;
	SSL_CTX_set_cert_verify_callback(ssl_ctx, verify_cb, userptr);
	return CURLE_OK;
}

int
wk_agent_tls_apply(CURL *e, const char *url, const struct wk_agent_tls *tls,
    struct wk_agent_reply *reply)
{
	struct curl_blob blob;
	bool https = strncmp(url, "https://", 8) == 0;

	reply->tls = tls;
	reply->tls_why[0] = '\0';
	if (curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, https ? "https" :
	    "http") != CURLE_OK)
		return WK_ERR_INTERNAL;
	if (!https)
		return 0;
	if (curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, reply) != CURLE_OK)
		return WK_ERR_INTERNAL;
	if (tls->ca_pem != NULL) {
		blob.data = tls->ca_pem;
		blob.len = strlen(tls->ca_pem);
		blob.flags = CURL_BLOB_COPY;
		if (curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob) !=
		    CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_CAPATH, NULL) != CURLE_OK)
			return WK_ERR_INTERNAL;
	}
	return 0;
}

void
wk_agent_tls_explain(const struct wk_agent_reply *reply, int curlcode,
    char *out, size_t outsz, bool *refused)
{
	const char *e = reply->errbuf[0] != '\0' ? reply->errbuf :
	    curl_easy_strerror((CURLcode)curlcode);

	*refused = false;
	if (reply->tls_why[0] != '\0') {
		*refused = true;
		snprintf(out, outsz, "%s", reply->tls_why);
	} else if (curlcode == CURLE_PEER_FAILED_VERIFICATION &&
	    (strstr(e, "subject name") != NULL ||
	    strstr(e, "host name") != NULL)) {
		*refused = true;
		snprintf(out, outsz, "name mismatch: %s", e);
	} else if (curlcode == CURLE_PEER_FAILED_VERIFICATION) {
		*refused = true;
		snprintf(out, outsz, "certificate refused: %s", e);
	} else {
		snprintf(out, outsz, "%s", e);
	}
}
