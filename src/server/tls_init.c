/*
 * tls_init.c - the data directory's TLS files (`wicketd init --tls`,
 * `wicketd tls init|renew`): a private CA (tls/ca.pem, tls/ca.key) and
 * the server certificate it issues (tls/server.pem: the leaf, then the CA;
 * tls/server.key). Keys are 0600; files are written whole under a
 * temporary name and renamed into place, so a running wicketd never reads
 * half a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/rand.h"
#include "crypto/x509.h"
#include "server/wicketd.h"

#define PEM_MAX (256 * 1024)

static int
write_all(int fd, struct wk_span data)
{
	const uint8_t *p = data.p;
	size_t len = data.len;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return WK_ERR_IO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * DIR/name := data, with `mode`. replace: rename over an existing file;
 * otherwise an existing file is kept and WK_ERR_EXISTS returned.
 */
static int
put_file(const char *dir, const char *name, struct wk_span data, mode_t mode,
    bool replace, char *why, size_t whysz)
{
	char path[1200], tmp[1300];
	unsigned char rnd[8];
	int fd, r;

	if (wk_data_path(dir, name, path, sizeof(path)) != 0 ||
	    wk_random_bytes(rnd, sizeof(rnd)) != 0) {
		wk_why(why, whysz, "data directory path too long");
		return WK_ERR_TOOBIG;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp-%02x%02x%02x%02x%02x%02x%02x%02x",
	    path, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6],
	    rnd[7]);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0) {
		wk_why(why, whysz,
		    "cannot create %s: %s", tmp, strerror(errno));
		return WK_ERR_IO;
	}
	r = write_all(fd, data);
	if (r == 0 && (fchmod(fd, mode) != 0 || fsync(fd) != 0))
		r = WK_ERR_IO;
	close(fd);
	if (r == 0) {
		if (replace)
			r = rename(tmp, path) == 0 ? 0 : WK_ERR_IO;
		else if (link(tmp, path) != 0)
			r = errno == EEXIST ? WK_ERR_EXISTS : WK_ERR_IO;
	}
	if (r == WK_ERR_EXISTS)
		wk_why(why, whysz,
		    "%s already exists: refusing to overwrite it",
		    path);
	else if (r != 0)
		wk_why(why, whysz,
		    "cannot write %s: %s", path, strerror(errno));
	(void)unlink(tmp);
	return r;
}

static int
read_file(const char *dir, const char *name, struct wk_buf *out, char *why,
    size_t whysz)
{
	char path[1200], chunk[4096];
	ssize_t n;
	int fd, r = 0;

	if (wk_data_path(dir, name, path, sizeof(path)) != 0) {
		wk_why(why, whysz, "data directory path too long");
		return WK_ERR_TOOBIG;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		wk_why(why, whysz, "cannot open %s: %s", path, strerror(errno));
		return errno == ENOENT ? WK_ERR_NOTFOUND : WK_ERR_IO;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || wk_buf_append(out, chunk, (size_t)n) != 0) {
			wk_why(why, whysz, "cannot read %s", path);
			r = WK_ERR_IO;
			break;
		}
	}
	close(fd);
	wk_explicit_bzero(chunk, sizeof(chunk));
	return r;
}

int
wk_tls_default_names(const char *listen, struct wk_x509_names *out,
    char *why, size_t whysz)
{
	char host[256], addr[256];
	const char *colon;
	size_t hlen;
	int r;

	memset(out, 0, sizeof(*out));
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		/* a host name that is no DNS name is left out, not fatal */
		(void)wk_x509_names_add(out, host, NULL, 0);
	}
	if (listen != NULL && listen[0] != '\0') {
		if (listen[0] == '[') {
			const char *end = strchr(listen, ']');

			hlen = end != NULL ? (size_t)(end - listen - 1) : 0;
			if (end == NULL || hlen >= sizeof(addr)) {
				wk_why(why, whysz, "--listen '%s' is not "
				    "ADDR:PORT", listen);
				return WK_ERR_INVAL;
			}
			memcpy(addr, listen + 1, hlen);
		} else {
			colon = strrchr(listen, ':');
			hlen = colon != NULL ? (size_t)(colon - listen) : 0;
			if (colon == NULL || hlen >= sizeof(addr)) {
				wk_why(why, whysz, "--listen '%s' is not "
				    "ADDR:PORT", listen);
				return WK_ERR_INVAL;
			}
			memcpy(addr, listen, hlen);
		}
		addr[hlen] = '\0';
		/* a wildcard address is no name a client connects to */
		if (hlen > 0 && strcmp(addr, "0.0.0.0") != 0 &&
		    strcmp(addr, "::") != 0 &&
		    (r = wk_x509_names_add(out, addr, why, whysz)) != 0)
			return r;
	}
	if (out->n == 0) {
		wk_why(why, whysz, "no name for the server certificate: give "
		    "--tls-name");
		return WK_ERR_INVAL;
	}
	return 0;
}

/* ca.pem from the CA, server.pem = leaf + CA; server.key new or kept. */
static int
issue_server(const char *dir, struct wk_span ca, struct wk_span cakey,
    struct wk_span leafkey, const struct wk_x509_names *names,
    bool replace, char *why, size_t whysz)
{
	struct wk_buf cert, key;
	int r;

	wk_buf_init(&cert, PEM_MAX);
	wk_buf_init(&key, PEM_MAX);
	if ((r = wk_x509_leaf_issue(ca, cakey, leafkey, names,
	    WK_X509_LEAF_DAYS, &cert, &key, why, whysz)) != 0)
		goto out;
	if ((r = wk_buf_append_span(&cert, ca)) != 0)
		goto out;
	/* the key first: a reload that sees the new certificate before its
	 * new key refuses the pair, keeps the old one and retries when the
	 * certificate lands */
	if (key.len > 0 && (r = put_file(dir, WK_DATA_TLS_KEY,
	    wk_buf_span(&key), 0600, replace, why, whysz)) != 0)
		goto out;
	r = put_file(dir, WK_DATA_TLS_CERT, wk_buf_span(&cert), 0644, replace,
	    why, whysz);
 out:
	wk_buf_cleanup(&cert);
	wk_buf_cleanup_secret(&key);
	return r;
}

int
wk_tls_init_files(const char *dir, const struct wk_x509_names *names,
    char *why, size_t whysz)
{
	const char *files[] = { WK_DATA_TLS_CA, WK_DATA_TLS_CA_KEY,
	    WK_DATA_TLS_CERT, WK_DATA_TLS_KEY };
	struct wk_buf ca, cakey;
	char path[1200], cn[128], host[64];
	unsigned char rnd[4];
	struct stat sb;
	int r;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (wk_data_path(dir, files[i], path, sizeof(path)) != 0) {
			wk_why(why, whysz, "data directory path too long");
			return WK_ERR_TOOBIG;
		}
		if (lstat(path, &sb) == 0) {
			wk_why(why, whysz, "%s already exists: refusing to "
			    "replace the TLS files (see `wicketd tls renew`)",
			    path);
			return WK_ERR_EXISTS;
		}
	}
	if (wk_data_path(dir, WK_DATA_TLS_DIR, path, sizeof(path)) != 0 ||
	    (mkdir(path, 0755) != 0 && errno != EEXIST)) {
		wk_why(why, whysz, "cannot create %s/%s: %s", dir,
		    WK_DATA_TLS_DIR, strerror(errno));
		return WK_ERR_IO;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "wicketd");
	host[sizeof(host) - 1] = '\0';
	if (wk_random_bytes(rnd, sizeof(rnd)) != 0)
		return WK_ERR_CRYPTO;
	/* a distinct name per CA: clients that cache CAs by name never
	 * mix up two demo CAs */
	snprintf(cn, sizeof(cn), "wicket CA %s %02x%02x%02x%02x", host,
	    rnd[0], rnd[1], rnd[2], rnd[3]);
	wk_buf_init(&ca, PEM_MAX);
	wk_buf_init(&cakey, PEM_MAX);
	if ((r = wk_x509_ca_create(cn, WK_X509_CA_DAYS, &ca, &cakey, why,
	    whysz)) != 0)
		goto out;
	if ((r = put_file(dir, WK_DATA_TLS_CA_KEY, wk_buf_span(&cakey), 0600,
	    false, why, whysz)) != 0 ||
	    (r = put_file(dir, WK_DATA_TLS_CA, wk_buf_span(&ca), 0644, false,
	    why, whysz)) != 0)
		goto out;
	r = issue_server(dir, wk_buf_span(&ca), wk_buf_span(&cakey),
	    WK_SPAN_NULL, names, false, why, whysz);
 out:
	wk_buf_cleanup(&ca);
	wk_buf_cleanup_secret(&cakey);
	return r;
}

/* The names of the current server certificate ("DNS:a, IP:b"). */
static int
current_names(struct wk_span cert, struct wk_x509_names *out, char *why,
    size_t whysz)
{
	struct wk_x509_info info;
	char *p, *save = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = wk_x509_info_pem(cert, 0, &info, why, whysz)) != 0)
		return r;
	for (p = strtok_r(info.sans, ", ", &save); p != NULL;
	    p = strtok_r(NULL, ", ", &save)) {
		const char *v = strchr(p, ':');

		if (v == NULL || (r = wk_x509_names_add(out, v + 1, why,
		    whysz)) != 0) {
			wk_why(why, whysz, "the current certificate has a name "
			    "wicketd cannot reissue: %.100s", p);
			return WK_ERR_INVAL;
		}
	}
	if (out->n == 0) {
		wk_why(why, whysz, "the current certificate has no names");
		return WK_ERR_INVAL;
	}
	return 0;
}

int
wk_tls_renew_files(const char *dir, const struct wk_x509_names *names,
    bool new_key, char *why, size_t whysz)
{
	struct wk_buf ca, cakey, cert, key;
	struct wk_x509_names cur;
	int r;

	wk_buf_init(&ca, PEM_MAX);
	wk_buf_init(&cakey, PEM_MAX);
	wk_buf_init(&cert, PEM_MAX);
	wk_buf_init(&key, PEM_MAX);
	if ((r = read_file(dir, WK_DATA_TLS_CA, &ca, why, whysz)) != 0 ||
	    (r = read_file(dir, WK_DATA_TLS_CA_KEY, &cakey, why, whysz)) !=
	    0 ||
	    (r = read_file(dir, WK_DATA_TLS_CERT, &cert, why, whysz)) != 0 ||
	    (!new_key && (r = read_file(dir, WK_DATA_TLS_KEY, &key, why,
	    whysz)) != 0))
		goto out;
	if (names == NULL || names->n == 0) {
		if ((r = current_names(wk_buf_span(&cert), &cur, why,
		    whysz)) != 0)
			goto out;
		names = &cur;
	}
	r = issue_server(dir, wk_buf_span(&ca), wk_buf_span(&cakey),
	    new_key ? WK_SPAN_NULL : wk_buf_span(&key), names, true, why,
	    whysz);
 out:
	wk_buf_cleanup(&ca);
	wk_buf_cleanup_secret(&cakey);
	wk_buf_cleanup(&cert);
	wk_buf_cleanup_secret(&key);
	return r;
}
