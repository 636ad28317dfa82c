/*
 * tls.c - the certificate and key wicketd's listener presents over TLS.
 *
 * libmicrohttpd does TLS with GnuTLS (as Debian builds it). We give it a
 * certificate callback (MHD_OPTION_HTTPS_CERT_CALLBACK) instead of the
 * PEM once at start, so a renewed certificate is served from the next
 * handshake on while open connections carry on: that callback hands
 * GnuTLS a gnutls_pcert_st list and a gnutls_privkey_t, which is why this
 * file uses GnuTLS's API directly (libmicrohttpd has no other way to swap
 * a certificate in a running daemon).
 *
 * A set (chain + key) that is replaced is not freed at once: a handshake
 * under way may still point at it. It is kept until every connection
 * accepted before the swap has had the longest handshake deadline to
 * finish (RETIRED_KEEP_S), then freed on a later reload or at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/file_stamp.h"
#include "common/log.h"
#include "common/time.h"
#include "server/http/http.h"
#include "server/http/tls_int.h"

#define PEM_MAX (256 * 1024)	/* bytes of one certificate or key file */
#define CHAIN_MAX 16		/* certificates presented */
/* longer than any handshake can last (the header deadline's ceiling) */
#define RETIRED_KEEP_S (WK_HTTP_TIMEOUT_MAX_MS / 1000 + 60)

struct tls_set {
	gnutls_pcert_st pcerts[CHAIN_MAX];
	unsigned npcerts;
	gnutls_privkey_t key;
	time_t retired_at;
	struct tls_set *next;	/* older retired sets */
	struct wk_tls_served served;
};

enum { F_CERT, F_KEY, F_CHAIN, NFILES };

struct wk_tls {
	char path[NFILES][1024];	/* "" = not given (chain) */
	struct wk_file_stamp stamps[NFILES];
	struct tls_set *cur;
	struct tls_set *retired;
};

/* The listener's certificates: one per process (MHD's callback has no
 * argument to carry it). */
static struct wk_tls *active;

static void
set_free(struct tls_set *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->npcerts; i++)
		gnutls_pcert_deinit(&s->pcerts[i]);
	gnutls_privkey_deinit(s->key);
	wk_free(s);
}

/* Appends the whole file (at most PEM_MAX bytes) to out. */
static int
read_file(const char *path, struct wk_buf *out, char *why, size_t whysz)
{
	char chunk[4096];
	ssize_t n;
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		wk_why(why, whysz, "cannot open %s: %s", path, strerror(errno));
		return WK_ERR_IO;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			wk_why(why, whysz, "cannot read %s: %s", path,
			    strerror(errno));
			r = WK_ERR_IO;
			break;
		}
		if ((r = wk_buf_append(out, chunk, (size_t)n)) != 0) {
			wk_why(why, whysz, "%s is larger than %d bytes", path,
			    PEM_MAX);
			break;
		}
	}
	close(fd);
	wk_explicit_bzero(chunk, sizeof(chunk));
	return r;
}

static void
hex(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < n && o + 2 < outsz; i++) {
		out[o++] = digits[p[i] >> 4];
		out[o++] = digits[p[i] & 15];
	}
	out[o] = '\0';
}

/* The DER SubjectPublicKeyInfo of a public key; caller frees out->data. */
static int
spki_der(gnutls_pubkey_t pub, gnutls_datum_t *out)
{
	return gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, out) == 0 ?
	    0 : WK_ERR_CRYPTO;
}

/* Leaf facts for logs and tests: serial, SPKI pin, expiry. */
static int
describe(struct tls_set *s, char *why, size_t whysz)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t der = { NULL, 0 };
	unsigned char serial[64], md[32];
	size_t slen = sizeof(serial);
	int r = WK_ERR_CRYPTO;

	if (gnutls_x509_crt_init(&crt) != 0 ||
	    gnutls_x509_crt_import(crt, &s->pcerts[0].cert,
	    GNUTLS_X509_FMT_DER) != 0 ||
	    gnutls_x509_crt_get_serial(crt, serial, &slen) != 0) {
		wk_why(why, whysz, "cannot read the certificate");
		goto out;
	}
	hex(serial, slen, s->served.serial, sizeof(s->served.serial));
	s->served.not_before = gnutls_x509_crt_get_activation_time(crt);
	s->served.not_after = gnutls_x509_crt_get_expiration_time(crt);
	if (spki_der(s->pcerts[0].pubkey, &der) != 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, md) != 0) {
		wk_why(why, whysz, "cannot hash the certificate's public key");
		goto out;
	}
	hex(md, sizeof(md), s->served.spki_sha256,
	    sizeof(s->served.spki_sha256));
	r = 0;
 out:
	gnutls_free(der.data);
	gnutls_x509_crt_deinit(crt);
	return r;
}

/* true when key is the private key of the leaf's public key. */
static bool
key_matches(struct tls_set *s)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t a = { NULL, 0 }, b = { NULL, 0 };
	bool ok = false;

	if (gnutls_pubkey_init(&pub) == 0 &&
	    gnutls_pubkey_import_privkey(pub, s->key, 0, 0) == 0 &&
	    spki_der(pub, &a) == 0 && spki_der(s->pcerts[0].pubkey, &b) == 0)
		ok = a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
	gnutls_free(a.data);
	gnutls_free(b.data);
	gnutls_pubkey_deinit(pub);
	return ok;
}

/* Loads and checks one set from the files; nothing served changes. */
static int
set_load(const struct wk_tls *t, struct tls_set **out, char *why,
    size_t whysz)
{
	struct wk_buf certs, key;
	struct tls_set *s;
	gnutls_datum_t d;
	time_t now = wk_wall_now();
	int r, g;

	*out = NULL;
	wk_buf_init(&certs, PEM_MAX * 2);
	wk_buf_init(&key, PEM_MAX);
	if ((s = wk_calloc(1, sizeof(*s))) == NULL)
		return WK_ERR_NOMEM;
	if ((r = read_file(t->path[F_CERT], &certs, why, whysz)) != 0 ||
	    (t->path[F_CHAIN][0] != '\0' &&
	    ((r = wk_buf_putc(&certs, '\n')) != 0 ||
	    (r = read_file(t->path[F_CHAIN], &certs, why, whysz)) != 0)) ||
	    (r = read_file(t->path[F_KEY], &key, why, whysz)) != 0)
		goto out;
	r = WK_ERR_INVAL;
	d.data = (unsigned char *)(uintptr_t)certs.p;
	d.size = (unsigned)certs.len;
	s->npcerts = CHAIN_MAX;
	if ((g = gnutls_pcert_list_import_x509_raw(s->pcerts, &s->npcerts, &d,
	    GNUTLS_X509_FMT_PEM, GNUTLS_X509_CRT_LIST_IMPORT_FAIL_IF_EXCEED))
	    < 0 || s->npcerts == 0) {
		wk_why(why, whysz,
		    "%s%s%s: no usable PEM certificate chain (at "
		    "most %d certificates): %s", t->path[F_CERT],
		    t->path[F_CHAIN][0] != '\0' ? " + " : "", t->path[F_CHAIN],
		    CHAIN_MAX, g < 0 ? gnutls_strerror(g) : "none found");
		s->npcerts = 0;
		goto out;
	}
	d.data = (unsigned char *)(uintptr_t)key.p;
	d.size = (unsigned)key.len;
	if (gnutls_privkey_init(&s->key) != 0 ||
	    (g = gnutls_privkey_import_x509_raw(s->key, &d,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) != 0) {
		wk_why(why, whysz, "%s: not a PEM private key (ECDSA or RSA, "
		    "unencrypted)", t->path[F_KEY]);
		goto out;
	}
	if (!key_matches(s)) {
		wk_why(why, whysz, "%s is not the key of the first certificate "
		    "in %s", t->path[F_KEY], t->path[F_CERT]);
		goto out;
	}
	if ((r = describe(s, why, whysz)) != 0)
		goto out;
	r = WK_ERR_EXPIRED;
	if (s->served.not_after <= now) {
		wk_why(why, whysz, "the certificate in %s has expired",
		    t->path[F_CERT]);
		goto out;
	}
	if (s->served.not_before > now + 300) {
		wk_why(why, whysz, "the certificate in %s is not valid yet",
		    t->path[F_CERT]);
		goto out;
	}
	*out = s;
	s = NULL;
	r = 0;
 out:
	wk_buf_cleanup(&certs);
	wk_buf_cleanup_secret(&key);
	set_free(s);
	return r;
}

static void
take_stamps(const struct wk_tls *t, struct wk_file_stamp out[NFILES])
{
	for (int i = 0; i < NFILES; i++)
		wk_file_stamp_take(t->path[i], true, &out[i]);
}

static bool
stamps_equal(const struct wk_file_stamp *a, const struct wk_file_stamp *b)
{
	for (int i = 0; i < NFILES; i++)
		if (!wk_file_stamp_equal(&a[i], &b[i]))
			return false;
	return true;
}

int
wk_tls_new(const char *cert_path, const char *key_path,
    const char *chain_path, struct wk_tls **out, char *why, size_t whysz)
{
	struct wk_tls *t;
	const char *in[NFILES] = { cert_path, key_path, chain_path };
	int r;

	*out = NULL;
	if (cert_path == NULL || key_path == NULL) {
		wk_why(why, whysz, "TLS needs a certificate and a key");
		return WK_ERR_INVAL;
	}
	if ((t = wk_calloc(1, sizeof(*t))) == NULL)
		return WK_ERR_NOMEM;
	for (int i = 0; i < NFILES; i++) {
		if (in[i] == NULL)
			continue;
		if (strlen(in[i]) >= sizeof(t->path[i])) {
			wk_why(why, whysz, "path too long: %.100s...", in[i]);
			wk_free(t);
			return WK_ERR_TOOBIG;
		}
		snprintf(t->path[i], sizeof(t->path[i]), "%s", in[i]);
	}
	take_stamps(t, t->stamps);
	if ((r = set_load(t, &t->cur, why, whysz)) != 0) {
		wk_free(t);
		return r;
	}
	*out = t;
	return 0;
}

static void
free_retired(struct wk_tls *t, time_t now, bool all)
{
	struct tls_set **pp = &t->retired, *s;

	while ((s = *pp) != NULL) {
		if (all || now - s->retired_at > RETIRED_KEEP_S) {
			*pp = s->next;
			set_free(s);
		} else {
			pp = &s->next;
		}
	}
}

void
wk_tls_free(struct wk_tls *t)
{
	if (t == NULL)
		return;
	if (active == t)
		active = NULL;
	free_retired(t, 0, true);
	set_free(t->cur);
	wk_free(t);
}

int
wk_tls_reload(struct wk_tls *t, bool force, bool *changed)
{
	struct wk_file_stamp now[NFILES];
	struct tls_set *s = NULL;
	char why[1400];
	time_t wall = wk_wall_now();
	int r;

	if (changed != NULL)
		*changed = false;
	if (t == NULL)
		return 0;
	free_retired(t, wall, false);
	take_stamps(t, now);
	if (!force && stamps_equal(now, t->stamps))
		return 0;
	/* a failed attempt is not retried until the files change again */
	memcpy(t->stamps, now, sizeof(now));
	why[0] = '\0';
	if ((r = set_load(t, &s, why, sizeof(why))) != 0) {
		wk_log(WK_LOG_ERROR, "tls_reload_failed", "reason=\"%s\" "
		    "action=keep_current_certificate serial=%s", why,
		    t->cur->served.serial);
		return r;
	}
	if (strcmp(s->served.serial, t->cur->served.serial) == 0 &&
	    strcmp(s->served.spki_sha256, t->cur->served.spki_sha256) == 0 &&
	    s->npcerts == t->cur->npcerts) {
		set_free(s);
		return 0;
	}
	t->cur->retired_at = wall;
	t->cur->next = t->retired;
	t->retired = t->cur;
	t->cur = s;
	wk_log(WK_LOG_INFO, "tls_reloaded", "serial=%s spki_sha256=%s "
	    "chain=%u", s->served.serial, s->served.spki_sha256, s->npcerts);
	if (changed != NULL)
		*changed = true;
	return 0;
}

const struct wk_tls_served *
wk_tls_served(const struct wk_tls *t)
{
	return t != NULL && t->cur != NULL ? &t->cur->served : NULL;
}

/* gnutls_certificate_retrieve_function2: the current set, every
 * handshake. GnuTLS does not free what it is given. */
static int
cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
    int nreqs, const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
    gnutls_pcert_st **pcert, unsigned int *pcert_length,
    gnutls_privkey_t *pkey)
{
	(void)session;
	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (active == NULL || active->cur == NULL)
		return -1;
	*pcert = active->cur->pcerts;
	*pcert_length = active->cur->npcerts;
	*pkey = active->cur->key;
	return 0;
}

size_t
wk_tls_mhd_options(struct wk_tls *t, struct MHD_OptionItem *opts, size_t n)
{
	size_t i = 0;

	if (n < 3)
		return 0;
	if (t != NULL) {
		active = t;
		opts[i++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
		    (void *)cert_callback };
		opts[i++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_PRIORITIES, 0,
		    (void *)(uintptr_t)WK_TLS_PRIORITIES };
	}
	opts[i] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	return i;
}
