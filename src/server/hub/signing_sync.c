/*
 * signing_sync.c - signing keys shared by replicas on one PostgreSQL
 * (docs/replicas.md). The store holds the service's signing files (the
 * three key files sealed under the master key, and signing.statements)
 * and a generation each rotation bumps; DIR/signing.generation records
 * which one a data directory holds. `wicketd signing-key` syncs DIR,
 * rotates it as on one machine, then publishes it (compare-and-set on the
 * generation); every replica syncs on NOTIFY wicket 'k' and on its reload
 * timer, then reloads its keys and wakes its agents' polls as for a local
 * rotation. Only the four known file names are ever written, whatever the
 * store holds.
 */
#include "server/hub/signing_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "server/server.h"
#include "server/wicketd.h"
#include "store/store.h"

#define NFILES (WK_SIGNING_NROLES + 1)
#define PATH_LEN 1100
#define GEN_MAX_LEN 24

static const char *
file_name(int i)
{
	return i < WK_SIGNING_NROLES ? wk_signing_file(i) :
	    WK_DATA_SIGNING_STATEMENTS;
}

static mode_t
file_mode(int i)
{
	return i < WK_SIGNING_NROLES ? 0600 : 0644;
}

/*
 * Reads DIR/name (a regular file, not a link, at most max bytes, no NUL)
 * into *data (NUL-terminated): WK_ERR_NOTFOUND when absent.
 */
static int
read_small(const char *dir, const char *name, size_t max, char **data,
    size_t *len, time_t *mtime, char *why, size_t whysz)
{
	char path[PATH_LEN];
	struct stat sb;
	size_t off = 0;
	ssize_t got;
	char *p = NULL;
	int fd, r = 0;

	*data = NULL;
	*len = 0;
	if ((r = wk_data_path(dir, name, path, sizeof(path))) != 0)
		return r;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return WK_ERR_NOTFOUND;
		wk_why(why, whysz, "%s: %s", path, strerror(errno));
		return WK_ERR_IO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size < 0 || (uint64_t)sb.st_size > max) {
		wk_why(why, whysz, "%s: not a regular file of at most %zu "
		    "bytes", path, max);
		r = WK_ERR_INVAL;
		goto out;
	}
	if ((p = wk_malloc((size_t)sb.st_size + 1)) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	while (off < (size_t)sb.st_size) {
		got = read(fd, p + off, (size_t)sb.st_size - off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			wk_why(why, whysz, "%s: cannot read", path);
			r = WK_ERR_IO;
			goto out;
		}
		off += (size_t)got;
	}
	p[off] = '\0';
	if (strlen(p) != off) {
		wk_why(why, whysz, "%s: holds a NUL byte", path);
		r = WK_ERR_INVAL;
		goto out;
	}
	*data = p;
	*len = off;
	*mtime = sb.st_mtime;
	p = NULL;
 out:
	if (p != NULL)
		wk_freezero(p, (size_t)sb.st_size + 1);
	close(fd);
	return r;
}

/* DIR's generation: 0 when the file is absent. */
static int
read_gen(const char *dir, int64_t *gen, char *why, size_t whysz)
{
	char *data = NULL;
	size_t len;
	time_t mt;
	uint64_t v = 0;
	int r;

	*gen = 0;
	r = read_small(dir, WK_DATA_SIGNING_GENERATION, GEN_MAX_LEN, &data,
	    &len, &mt, why, whysz);
	if (r == WK_ERR_NOTFOUND)
		return 0;
	if (r != 0)
		return r;
	if (len > 0 && data[len - 1] == '\n')
		data[len - 1] = '\0';
	if (wk_cstr_to_u64(data, INT64_MAX, &v) != 0) {
		wk_why(why, whysz, "%s/%s: not a number", dir,
		    WK_DATA_SIGNING_GENERATION);
		r = WK_ERR_INVAL;
	}
	wk_free(data);
	*gen = (int64_t)v;
	return r;
}

static int
write_gen(const char *dir, int64_t gen, char *why, size_t whysz)
{
	char text[GEN_MAX_LEN];
	int n = snprintf(text, sizeof(text), "%lld\n", (long long)gen);

	if (n < 0 || (size_t)n >= sizeof(text))
		return WK_ERR_INTERNAL;
	return wk_signing_write_file(dir, WK_DATA_SIGNING_GENERATION, text,
	    (size_t)n, 0600, wk_wall_now(), why, whysz);
}

static void
files_wipe(struct wk_store_signing_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (f[i].data != NULL)
			wk_freezero(f[i].data, f[i].len + 1);
		f[i].data = NULL;
	}
}

/* Publishes DIR's files as generation expect + 1 (DIR locked). */
static int
publish_locked(struct wk_store *st, const char *dir, int64_t expect,
    char *why, size_t whysz)
{
	struct wk_store_signing_file f[NFILES];
	size_t n = 0;
	time_t mt = 0;
	int64_t gen = 0;
	int r = 0;

	memset(f, 0, sizeof(f));
	for (int i = 0; i < NFILES; i++) {
		r = read_small(dir, file_name(i), i < WK_SIGNING_NROLES ?
		    1000 : WK_SIGNING_FILE_MAX, &f[n].data, &f[n].len, &mt,
		    why, whysz);
		if (r == WK_ERR_NOTFOUND) {
			r = 0;
			continue;
		}
		if (r != 0)
			goto out;
		snprintf(f[n].name, sizeof(f[n].name), "%s", file_name(i));
		f[n].mtime = (int64_t)mt;
		n++;
	}
	if (n == 0 || strcmp(f[0].name, wk_signing_file(
	    WK_SIGNING_CURRENT)) != 0) {
		wk_why(why, whysz, "%s has no %s to publish", dir,
		    wk_signing_file(WK_SIGNING_CURRENT));
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	if ((r = wk_store_signing_put(st, expect, f, n, &gen)) != 0) {
		if (r == WK_ERR_CONFLICT)
			wk_why(why, whysz, "another replica changed the "
			    "signing keys meanwhile; run the command again");
		else
			wk_why(why, whysz, "cannot store the signing keys: %s",
			    wk_strerror(r));
		goto out;
	}
	r = write_gen(dir, gen, why, whysz);
 out:
	files_wipe(f, n);
	return r;
}

static const struct wk_store_signing_file *
find_file(const struct wk_store_signing_file *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* The order files are written in: statements, then the keys they vouch
 * for. */
static const int order[NFILES] = { WK_SIGNING_NROLES, WK_SIGNING_NEXT,
    WK_SIGNING_CURRENT, WK_SIGNING_PREV };

/* Replaces DIR's files with the store's (DIR locked). */
static int
pull_locked(struct wk_store *st, const char *dir, bool *changed, char *why,
    size_t whysz)
{
	struct wk_store_signing_file *v = NULL;
	const struct wk_store_signing_file *sf;
	char path[PATH_LEN], *cur = NULL;
	size_t n = 0, len = 0;
	time_t mt = 0;
	int64_t gen = 0;
	int r, lr;

	if ((r = wk_store_signing_get(st, &v, &n, &gen)) != 0) {
		wk_why(why, whysz, "cannot read the signing keys from the "
		    "store: %s", wk_strerror(r));
		return r;
	}
	if (find_file(v, n, wk_signing_file(WK_SIGNING_CURRENT)) == NULL) {
		wk_why(why, whysz, "the store's signing files have no %s",
		    wk_signing_file(WK_SIGNING_CURRENT));
		r = WK_ERR_STORE;
		goto out;
	}
	/* statements first: a key is never announced without its own */
	for (size_t k = 0; k < NFILES; k++) {
		int i = order[k];
		const char *name = file_name(i);

		sf = find_file(v, n, name);
		lr = read_small(dir, name, WK_SIGNING_FILE_MAX, &cur, &len,
		    &mt, why, whysz);
		if (lr != 0 && lr != WK_ERR_NOTFOUND) {
			r = lr;
			goto out;
		}
		if (sf == NULL) {
			if (lr == 0) {
				if ((r = wk_data_path(dir, name, path,
				    sizeof(path))) != 0)
					goto out;
				if (unlink(path) != 0 && errno != ENOENT) {
					wk_why(why, whysz, "%s: %s", path,
					    strerror(errno));
					r = WK_ERR_IO;
					goto out;
				}
				*changed = true;
			}
		} else if (lr != 0 || len != sf->len ||
		    memcmp(cur, sf->data, len) != 0 ||
		    (int64_t)mt != sf->mtime) {
			if ((r = wk_signing_write_file(dir, name, sf->data,
			    sf->len, file_mode(i), (time_t)sf->mtime, why,
			    whysz)) != 0)
				goto out;
			*changed = true;
		}
		if (cur != NULL)
			wk_freezero(cur, len + 1);
		cur = NULL;
	}
	r = write_gen(dir, gen, why, whysz);
 out:
	if (cur != NULL)
		wk_freezero(cur, len + 1);
	wk_store_signing_files_free(v, n);
	return r;
}

int
wk_signing_sync(struct wk_store *st, const char *dir, bool *changed,
    int64_t *gen, char *why, size_t whysz)
{
	int64_t sgen = 0, lgen = 0, dgen = 0;
	bool dummy = false;
	int fd = -1, r;

	if (changed == NULL)
		changed = &dummy;
	if (gen == NULL)
		gen = &dgen;
	*changed = false;
	*gen = 0;
	if ((r = wk_store_signing_generation(st, &sgen)) != 0) {
		wk_why(why, whysz, "cannot read the signing generation: %s",
		    wk_strerror(r));
		return r;
	}
	if ((r = wk_signing_lock_dir(dir, &fd, why, whysz)) != 0)
		return r;
	if ((r = read_gen(dir, &lgen, why, whysz)) != 0)
		goto out;
	if (sgen == 0) {
		/* nothing shared yet: this directory's keys seed it */
		r = publish_locked(st, dir, 0, why, whysz);
		if (r != WK_ERR_CONFLICT)
			goto out;
		/* another replica seeded first: take its keys */
	} else if (sgen == lgen) {
		goto out;
	}
	r = pull_locked(st, dir, changed, why, whysz);
 out:
	if (r == 0)
		r = read_gen(dir, gen, why, whysz);
	close(fd);
	return r;
}

int
wk_signing_publish(struct wk_store *st, const char *dir, int64_t base,
    char *why, size_t whysz)
{
	int fd = -1, r;

	if ((r = wk_signing_lock_dir(dir, &fd, why, whysz)) != 0)
		return r;
	r = publish_locked(st, dir, base, why, whysz);
	close(fd);
	return r;
}

int
wk_signing_shared_start(struct wk_server *srv, char *why, size_t whysz)
{
	char loc[2048];
	int r;

	srv->signing_shared = false;
	if ((r = wk_data_store_location(srv->cfg.data_dir, loc, sizeof(loc),
	    why, whysz)) != 0)
		return r;
	if (!wk_store_is_postgres(loc))
		return 0;	/* SQLite: one process, the files are enough */
	srv->signing_shared = true;
	return wk_signing_sync(srv->store, srv->cfg.data_dir, NULL, NULL, why,
	    whysz);
}
