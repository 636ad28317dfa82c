/*
 * signing_keys.c - the record-signing keys of the data directory: the file
 * logic of `wicketd signing-key next|promote|retire|list` and the loading
 * of the set (reloading in a running wicketd: signing_watch.c; replicas:
 * signing_sync.c). See signing_keys.h and docs/protocols.md.
 */
#include "server/hub/signing_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/rand.h"
#include "common/time.h"
#include "crypto/rotation.h"
#include "server/server.h"
#include "server/wicketd.h"

#define PATH_MAX_LEN 1100
#define STATEMENTS_MAX_LEN (WK_SIGNING_MAX_STATEMENTS * WK_ROTATION_MAX_LEN)

static const char *const role_files[WK_SIGNING_NROLES] = {
	[WK_SIGNING_CURRENT] = WK_DATA_SIGNING_KEY,
	[WK_SIGNING_NEXT] = WK_DATA_SIGNING_NEXT_KEY,
	[WK_SIGNING_PREV] = WK_DATA_SIGNING_PREV_KEY,
};

static const char *const role_names[WK_SIGNING_NROLES] = {
	[WK_SIGNING_CURRENT] = "current",
	[WK_SIGNING_NEXT] = "next",
	[WK_SIGNING_PREV] = "previous",
};

const char *
wk_signing_file(enum wk_signing_role role)
{
	return (unsigned)role < WK_SIGNING_NROLES ? role_files[role] : "?";
}

const char *
wk_signing_role_name(enum wk_signing_role role)
{
	return (unsigned)role < WK_SIGNING_NROLES ? role_names[role] : "?";
}

static int
role_path(const char *dir, enum wk_signing_role role, char *out,
    size_t outsz, char *why, size_t whysz)
{
	int r;

	if ((r = wk_data_path(dir, wk_signing_file(role), out, outsz)) != 0)
		wk_why(why, whysz, "data directory path too long");
	return r;
}

/* Makes renames and links in dir durable. */
static int
sync_dir(const char *dir)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return WK_ERR_IO;
	if (fsync(fd) != 0)
		r = WK_ERR_IO;
	close(fd);
	return r;
}

/* lstat that tells absent (WK_ERR_NOTFOUND) from failure. */
static int
stat_file(const char *path, struct stat *st)
{
	if (lstat(path, st) != 0)
		return errno == ENOENT ? WK_ERR_NOTFOUND : WK_ERR_IO;
	if (!S_ISREG(st->st_mode))
		return WK_ERR_INVAL;
	return 0;
}

static int
load_role(const char *dir, enum wk_signing_role role, struct wk_signkey **out,
    char *why, size_t whysz)
{
	char path[PATH_MAX_LEN];
	int r;

	*out = NULL;
	if ((r = role_path(dir, role, path, sizeof(path), why, whysz)) != 0)
		return r;
	if ((r = wk_signkey_load(path, out)) != 0 && r != WK_ERR_NOTFOUND)
		wk_why(why, whysz,
		    "%s: cannot load the %s signing key: %s", path,
		    wk_signing_role_name(role), wk_strerror(r));
	return r;
}

/* ---- signing.statements ---- */

/*
 * Splits `all` into its statements (at most WK_SIGNING_MAX_STATEMENTS,
 * each parsed strictly). texts/sts may be NULL.
 */
static int
split_statements(struct wk_span all,
    struct wk_span texts[WK_SIGNING_MAX_STATEMENTS],
    struct wk_rotation sts[WK_SIGNING_MAX_STATEMENTS], size_t *n)
{
	struct wk_span rest = all, one, sp;
	struct wk_rotation st;
	uint8_t sig[WK_ED25519_SIG_LEN];

	*n = 0;
	while (rest.len > 0) {
		if (*n == WK_SIGNING_MAX_STATEMENTS)
			return WK_ERR_TOOBIG;
		if (!wk_rotation_next(&rest, &one) ||
		    wk_rotation_parse(one, &st, &sp, sig) != 0)
			return WK_ERR_INVAL;
		if (texts != NULL)
			texts[*n] = one;
		if (sts != NULL)
			sts[*n] = st;
		(*n)++;
	}
	return 0;
}

/* The (last) statement whose new key is key_id: its index, or -1. */
static int
find_statement(const struct wk_rotation *sts, size_t n, const char *key_id)
{
	int found = -1;

	for (size_t i = 0; i < n; i++)
		if (strcmp(sts[i].key.id, key_id) == 0)
			found = (int)i;
	return found;
}

/*
 * Reads DIR/signing.statements into out (empty when absent) and checks
 * it as split_statements does.
 */
static int
load_statements(const char *dir, struct wk_buf *out, char *why, size_t whysz)
{
	char path[PATH_MAX_LEN], chunk[1024];
	struct stat st;
	size_t n;
	ssize_t got;
	int fd, r = 0;

	if ((r = wk_data_path(dir, WK_DATA_SIGNING_STATEMENTS, path,
	    sizeof(path))) != 0) {
		wk_why(why, whysz, "data directory path too long");
		return r;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		wk_why(why, whysz, "%s: %s", path, strerror(errno));
		return WK_ERR_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		wk_why(why, whysz, "%s: not a regular file", path);
		r = WK_ERR_INVAL;
		goto out;
	}
	while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			wk_why(why, whysz, "%s: %s", path, strerror(errno));
			r = WK_ERR_IO;
			goto out;
		}
		if (out->len + (size_t)got > STATEMENTS_MAX_LEN ||
		    (r = wk_buf_append(out, chunk, (size_t)got)) != 0) {
			wk_why(why, whysz, "%s: larger than %d bytes", path,
			    STATEMENTS_MAX_LEN);
			r = WK_ERR_TOOBIG;
			goto out;
		}
	}
	if ((r = split_statements(wk_buf_span(out), NULL, NULL, &n)) != 0)
		wk_why(why, whysz, "%s: %s", path, r == WK_ERR_TOOBIG ?
		    "too many statements" : "malformed rotation statement");
 out:
	close(fd);
	return r;
}

static int lock_dir(const char *dir, int *fd_out, char *why, size_t whysz);

/* Writes DIR/name atomically (temp file, fsync, rename, fsync DIR). */
static int
write_atomic(const char *dir, const char *name, struct wk_span data,
    mode_t mode, char *why, size_t whysz)
{
	char path[PATH_MAX_LEN], tmp[PATH_MAX_LEN + 32];
	uint8_t rnd[8];
	size_t off = 0;
	ssize_t put;
	int fd, n, r;

	if ((r = wk_data_path(dir, name, path, sizeof(path))) != 0 ||
	    (r = wk_random_bytes(rnd, sizeof(rnd))) != 0)
		return r;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp-%02x%02x%02x%02x%02x%02x%02x"
	    "%02x", path, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
	    rnd[6], rnd[7]);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return WK_ERR_TOOBIG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0) {
		wk_why(why, whysz, "%s: %s", tmp, strerror(errno));
		return WK_ERR_IO;
	}
	r = fchmod(fd, mode) == 0 ? 0 : WK_ERR_IO;
	while (r == 0 && off < data.len) {
		put = write(fd, data.p + off, data.len - off);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			r = WK_ERR_IO;
		else
			off += (size_t)put;
	}
	if (r == 0 && fsync(fd) != 0)
		r = WK_ERR_IO;
	if (close(fd) != 0 && r == 0)
		r = WK_ERR_IO;
	if (r == 0 && rename(tmp, path) != 0)
		r = WK_ERR_IO;
	if (r != 0) {
		wk_why(why, whysz, "%s: %s", path, strerror(errno));
		(void)unlink(tmp);
		return r;
	}
	if ((r = sync_dir(dir)) != 0)
		wk_why(why, whysz, "%s: cannot sync the directory", dir);
	return r;
}

/*
 * signing.statements with the statement for `next_key` (signed by `cur`)
 * appended, after dropping any statement numbered as high (one for a next
 * key removed by hand) and the oldest beyond the cap.
 */
static int
append_statement(const char *dir, const struct wk_signkey *cur,
    const struct wk_signkey *next_key, char *why, size_t whysz)
{
	struct wk_span texts[WK_SIGNING_MAX_STATEMENTS];
	struct wk_rotation sts[WK_SIGNING_MAX_STATEMENTS], st;
	struct wk_pubkey curpk;
	struct wk_buf old, out;
	size_t n, keep, first;
	int at, r;

	wk_buf_init(&old, STATEMENTS_MAX_LEN);
	wk_buf_init(&out, STATEMENTS_MAX_LEN + WK_ROTATION_MAX_LEN);
	if ((r = load_statements(dir, &old, why, whysz)) != 0 ||
	    (r = split_statements(wk_buf_span(&old), texts, sts, &n)) != 0)
		goto out;
	wk_signkey_public(cur, &curpk);
	memset(&st, 0, sizeof(st));
	wk_signkey_public(next_key, &st.key);
	/* the current key is key 0 (from init) or came with a statement */
	at = find_statement(sts, n, curpk.id);
	st.seq = (at < 0 ? 0 : sts[at].seq) + 1;
	st.not_before = wk_wall_now();
	for (keep = 0; keep < n && sts[keep].seq < st.seq; keep++)
		;
	first = keep >= WK_SIGNING_MAX_STATEMENTS ?
	    keep - (WK_SIGNING_MAX_STATEMENTS - 1) : 0;
	for (size_t i = first; i < keep; i++)
		if ((r = wk_buf_append_span(&out, texts[i])) != 0)
			goto out;
	if ((r = wk_rotation_sign(&st, cur, &out)) != 0) {
		wk_why(why, whysz, "cannot sign the rotation statement: %s",
		    wk_strerror(r));
		goto out;
	}
	r = write_atomic(dir, WK_DATA_SIGNING_STATEMENTS, wk_buf_span(&out),
	    0644, why, whysz);
 out:
	wk_buf_cleanup(&old);
	wk_buf_cleanup(&out);
	return r;
}

int
wk_signing_write_file(const char *dir, const char *name, const char *data,
    size_t len, mode_t mode, time_t mtime, char *why, size_t whysz)
{
	struct timespec ts[2];
	char path[PATH_MAX_LEN];
	int r;

	if ((r = write_atomic(dir, name, wk_span_from_mem(data, len), mode,
	    why, whysz)) != 0)
		return r;
	if (wk_data_path(dir, name, path, sizeof(path)) != 0)
		return WK_ERR_TOOBIG;
	ts[0].tv_sec = ts[1].tv_sec = mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) != 0) {
		wk_why(why, whysz, "%s: cannot set its time: %s", path,
		    strerror(errno));
		return WK_ERR_IO;
	}
	return 0;
}

int
wk_signing_lock_dir(const char *dir, int *fd_out, char *why, size_t whysz)
{
	return lock_dir(dir, fd_out, why, whysz);
}

/* Serialises next/promote: both read and rewrite the directory. */
static int
lock_dir(const char *dir, int *fd_out, char *why, size_t whysz)
{
	int fd;

	*fd_out = -1;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		wk_why(why, whysz, "%s: %s", dir, strerror(errno));
		return errno == ENOENT ? WK_ERR_NOTFOUND : WK_ERR_IO;
	}
	if (flock(fd, LOCK_EX) != 0) {
		wk_why(why, whysz, "%s: cannot lock: %s", dir, strerror(errno));
		close(fd);
		return WK_ERR_IO;
	}
	*fd_out = fd;
	return 0;
}

int
wk_signing_next(const char *dir, char id_out[WK_SIGNKEY_ID_LEN + 1],
    char *why, size_t whysz)
{
	struct wk_signkey *k = NULL, *cur = NULL;
	struct wk_pubkey pk;
	struct stat st;
	char path[PATH_MAX_LEN], tmp[PATH_MAX_LEN + 32];
	uint8_t rnd[8];
	bool made = false;
	int n, r, lockfd = -1;

	id_out[0] = '\0';
	if ((r = role_path(dir, WK_SIGNING_NEXT, path, sizeof(path), why,
	    whysz)) != 0)
		return r;
	if ((r = lock_dir(dir, &lockfd, why, whysz)) != 0)
		return r;
	if ((r = stat_file(path, &st)) != WK_ERR_NOTFOUND) {
		wk_why(why, whysz, "%s exists already: promote it (`wicketd "
		    "signing-key promote`) before creating another", path);
		r = r == 0 ? WK_ERR_EXISTS : r;
		goto out;
	}
	/* the current key vouches for the new one */
	if ((r = load_role(dir, WK_SIGNING_CURRENT, &cur, why, whysz)) != 0) {
		if (r == WK_ERR_NOTFOUND)
			wk_why(why, whysz, "%s/%s: no current signing key", dir,
			    WK_DATA_SIGNING_KEY);
		goto out;
	}
	if ((r = wk_random_bytes(rnd, sizeof(rnd))) != 0)
		goto out;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp-%02x%02x%02x%02x%02x%02x%02x"
	    "%02x", path, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
	    rnd[6], rnd[7]);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		r = WK_ERR_TOOBIG;
		goto out;
	}
	if ((r = wk_signkey_generate(&k)) != 0 ||
	    (r = wk_signkey_save(k, tmp)) != 0) {
		wk_why(why, whysz, "cannot create a key in %s: %s", dir,
		    wk_strerror(r));
		goto out;
	}
	made = true;
	/* statement first: the key is never announced without one */
	if ((r = append_statement(dir, cur, k, why, whysz)) != 0)
		goto out;
	/* link() never replaces: a next key made meanwhile wins */
	if (link(tmp, path) != 0) {
		r = errno == EEXIST ? WK_ERR_EXISTS : WK_ERR_IO;
		wk_why(why, whysz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((r = sync_dir(dir)) != 0) {
		wk_why(why, whysz, "%s: cannot sync the directory", dir);
		goto out;
	}
	wk_signkey_public(k, &pk);
	memcpy(id_out, pk.id, sizeof(pk.id));
 out:
	if (made)
		(void)unlink(tmp);
	wk_signkey_free(k);
	wk_signkey_free(cur);
	if (lockfd >= 0)
		close(lockfd);	/* releases the lock */
	return r;
}

/*
 * 0 when signing.statements holds a statement for `next` that verifies
 * under `cur`: agents that pin cur can then learn next.
 */
static int
check_vouched(const char *dir, const struct wk_signkey *cur,
    const struct wk_signkey *next, time_t now, char *why, size_t whysz)
{
	struct wk_span texts[WK_SIGNING_MAX_STATEMENTS];
	struct wk_rotation sts[WK_SIGNING_MAX_STATEMENTS], got;
	struct wk_pubkey curpk, nextpk;
	struct wk_buf all;
	const char *bad = NULL;
	size_t n;
	int at, r;

	wk_buf_init(&all, STATEMENTS_MAX_LEN);
	if ((r = load_statements(dir, &all, why, whysz)) != 0 ||
	    (r = split_statements(wk_buf_span(&all), texts, sts, &n)) != 0)
		goto out;
	wk_signkey_public(cur, &curpk);
	wk_signkey_public(next, &nextpk);
	if ((at = find_statement(sts, n, nextpk.id)) < 0)
		bad = "there is none";
	else if (wk_rotation_verify(texts[at], &curpk, 1, now, &got,
	    &bad) != 0)
		;
	else if (got.seq == 0)
		bad = "bad sequence number";
	if (bad != NULL) {
		wk_why(why, whysz, "%s/%s: no valid rotation statement for the "
		    "next key %s signed by the current key %s (%s): agents "
		    "would refuse it; remove %s and run `wicketd signing-key "
		    "next` again", dir, WK_DATA_SIGNING_STATEMENTS, nextpk.id,
		    curpk.id, bad, WK_DATA_SIGNING_NEXT_KEY);
		r = WK_ERR_AUTH;
	}
 out:
	wk_buf_cleanup(&all);
	return r;
}

int
wk_signing_promote(const char *dir, time_t now, unsigned min_age_s,
    char *why, size_t whysz)
{
	struct wk_signkey *k = NULL, *nk = NULL;
	char cur[PATH_MAX_LEN], next[PATH_MAX_LEN], prev[PATH_MAX_LEN];
	struct stat st;
	int r, lockfd = -1;

	if ((r = role_path(dir, WK_SIGNING_CURRENT, cur, sizeof(cur), why,
	    whysz)) != 0 ||
	    (r = role_path(dir, WK_SIGNING_NEXT, next, sizeof(next), why,
	    whysz)) != 0 ||
	    (r = role_path(dir, WK_SIGNING_PREV, prev, sizeof(prev), why,
	    whysz)) != 0)
		return r;
	if ((r = lock_dir(dir, &lockfd, why, whysz)) != 0)
		return r;
	if ((r = stat_file(next, &st)) != 0) {
		wk_why(why, whysz, "%s: %s", next, r == WK_ERR_NOTFOUND ?
		    "no next key to promote (create one with `wicketd "
		    "signing-key next` and let the agents learn it first)" :
		    "not a regular file");
		goto out;
	}
	if (min_age_s > 0 && now - st.st_mtime < (time_t)min_age_s) {
		wk_why(why, whysz,
		    "the next key was announced %lld s ago; wait "
		    "%lld s more so every agent has learned it (or --force)",
		    (long long)(now - st.st_mtime),
		    (long long)((time_t)min_age_s - (now - st.st_mtime)));
		r = WK_ERR_CONFLICT;
		goto out;
	}
	if ((r = stat_file(prev, &st)) != WK_ERR_NOTFOUND) {
		wk_why(why, whysz, "%s exists: retire it first (`wicketd "
		    "signing-key retire`)", prev);
		r = r == 0 ? WK_ERR_EXISTS : r;
		goto out;
	}
	/* Both keys must load: never promote a broken key. */
	if ((r = load_role(dir, WK_SIGNING_NEXT, &nk, why, whysz)) != 0)
		goto out;
	if ((r = load_role(dir, WK_SIGNING_CURRENT, &k, why, whysz)) != 0) {
		if (r == WK_ERR_NOTFOUND)
			wk_why(why, whysz, "%s: no current signing key", cur);
		goto out;
	}
	/* ... and agents must be able to learn the next key */
	if ((r = check_vouched(dir, k, nk, now, why, whysz)) != 0)
		goto out;
	/*
	 * The retirement clock starts now: stamp the current key before it
	 * becomes prev (so prev is never seen with an old mtime), then
	 * link it as prev (fails if one appeared meanwhile), then replace
	 * current by next in one rename. signing.key exists throughout.
	 */
	if (utimensat(AT_FDCWD, cur, NULL, AT_SYMLINK_NOFOLLOW) != 0 ||
	    link(cur, prev) != 0) {
		r = errno == EEXIST ? WK_ERR_EXISTS : WK_ERR_IO;
		wk_why(why, whysz, "%s: %s", prev, strerror(errno));
		goto out;
	}
	if (rename(next, cur) != 0) {
		r = WK_ERR_IO;
		wk_why(why, whysz, "%s -> %s: %s", next, cur, strerror(errno));
		(void)unlink(prev);
		goto out;
	}
	if ((r = sync_dir(dir)) != 0)
		wk_why(why, whysz, "%s: cannot sync the directory", dir);
 out:
	wk_signkey_free(k);
	wk_signkey_free(nk);
	if (lockfd >= 0)
		close(lockfd);
	return r;
}

int
wk_signing_retire(const char *dir, time_t now, unsigned grace_s, char *why,
    size_t whysz)
{
	char prev[PATH_MAX_LEN];
	struct stat st;
	time_t age;
	int r;

	if ((r = role_path(dir, WK_SIGNING_PREV, prev, sizeof(prev), why,
	    whysz)) != 0)
		return r;
	if ((r = stat_file(prev, &st)) != 0) {
		wk_why(why, whysz, "%s: %s", prev, r == WK_ERR_NOTFOUND ?
		    "no previous key to retire" : "not a regular file");
		return r;
	}
	age = now - st.st_mtime;
	if (age < (time_t)grace_s) {
		wk_why(why, whysz, "the previous key was replaced %lld s ago; "
		    "records it signed may still be valid: wait %lld s more",
		    (long long)(age < 0 ? 0 : age),
		    (long long)((time_t)grace_s - age));
		return WK_ERR_CONFLICT;
	}
	if (unlink(prev) != 0) {
		wk_why(why, whysz, "%s: %s", prev, strerror(errno));
		return WK_ERR_IO;
	}
	if ((r = sync_dir(dir)) != 0)
		wk_why(why, whysz, "%s: cannot sync the directory", dir);
	return r;
}

int
wk_signing_list(const char *dir, struct wk_signing_info out[WK_SIGNING_NROLES],
    size_t *n, char *why, size_t whysz)
{
	struct wk_rotation sts[WK_SIGNING_MAX_STATEMENTS];
	struct wk_signkey *k;
	struct wk_pubkey pk;
	struct wk_buf all;
	char path[PATH_MAX_LEN];
	struct stat st;
	size_t nst;
	int role, r, at;

	*n = 0;
	wk_buf_init(&all, STATEMENTS_MAX_LEN);
	r = load_statements(dir, &all, why, whysz);
	if (r == 0)
		r = split_statements(wk_buf_span(&all), NULL, sts, &nst);
	wk_buf_cleanup(&all);
	if (r != 0)
		return r;
	for (role = 0; role < WK_SIGNING_NROLES; role++) {
		if ((r = role_path(dir, role, path, sizeof(path), why,
		    whysz)) != 0)
			return r;
		if ((r = stat_file(path, &st)) == WK_ERR_NOTFOUND)
			continue;
		if (r == 0)
			r = load_role(dir, role, &k, why, whysz);
		else
			wk_why(why, whysz, "%s: not a regular file", path);
		if (r != 0)
			return r;
		wk_signkey_public(k, &pk);
		wk_signkey_free(k);
		out[*n].role = role;
		out[*n].since = st.st_mtime;
		memcpy(out[*n].id, pk.id, sizeof(pk.id));
		at = find_statement(sts, nst, pk.id);
		out[*n].seq = at < 0 ? 0 : sts[at].seq;
		(*n)++;
	}
	if (*n == 0 || out[0].role != WK_SIGNING_CURRENT) {
		wk_why(why, whysz, "%s/%s: no current signing key", dir,
		    WK_DATA_SIGNING_KEY);
		return WK_ERR_NOTFOUND;
	}
	return 0;
}

/* ---- the running server ---- */

void
wk_signing_set_cleanup(struct wk_signing_set *s)
{
	for (size_t i = 0; i < WK_SIGNING_NROLES; i++) {
		wk_signkey_free(s->key[i]);
		s->key[i] = NULL;
	}
	wk_free(s->rotation);
	s->rotation = NULL;
}

/*
 * A next key without a statement that verifies under the current key
 * (made by a wicketd that predates statements, or by hand) is announced
 * but no agent will pin it: say so, once per load.
 */
static void
warn_unvouched(const struct wk_signing_set *s)
{
	struct wk_span texts[WK_SIGNING_MAX_STATEMENTS];
	struct wk_rotation sts[WK_SIGNING_MAX_STATEMENTS], got;
	struct wk_pubkey cur, next;
	const char *why = "no statement for it";
	size_t n;
	int at;

	if (s->key[WK_SIGNING_NEXT] == NULL || s->key[WK_SIGNING_CURRENT] ==
	    NULL || split_statements(wk_span_from_cstr(s->rotation), texts,
	    sts, &n) != 0)
		return;
	wk_signkey_public(s->key[WK_SIGNING_CURRENT], &cur);
	wk_signkey_public(s->key[WK_SIGNING_NEXT], &next);
	at = find_statement(sts, n, next.id);
	if (at >= 0 && wk_rotation_verify(texts[at], &cur, 1, wk_wall_now(),
	    &got, &why) == 0)
		return;
	wk_log(WK_LOG_WARN, "signing_key_unvouched", "next=%s current=%s "
	    "reason=\"%s\" action=\"agents will not pin it: remove %s and "
	    "run wicketd signing-key next again\"", next.id, cur.id, why,
	    WK_DATA_SIGNING_NEXT_KEY);
}

int
wk_signing_set_load(const char *dir, struct wk_signing_set *out, char *why,
    size_t whysz)
{
	struct wk_signing_set s;
	struct wk_buf all;
	int role, r;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	wk_buf_init(&all, STATEMENTS_MAX_LEN);
	if ((r = load_statements(dir, &all, why, whysz)) != 0 ||
	    (s.rotation = wk_buf_steal(&all)) == NULL) {
		wk_buf_cleanup(&all);
		return r != 0 ? r : WK_ERR_NOMEM;
	}
	for (role = 0; role < WK_SIGNING_NROLES; role++) {
		r = load_role(dir, role, &s.key[role], why, whysz);
		if (r == WK_ERR_NOTFOUND && role != WK_SIGNING_CURRENT)
			continue;
		if (r == WK_ERR_NOTFOUND)
			wk_why(why, whysz, "%s/%s: no signing key", dir,
			    WK_DATA_SIGNING_KEY);
		if (r != 0) {
			wk_signing_set_cleanup(&s);
			return r;
		}
	}
	warn_unvouched(&s);
	*out = s;
	return 0;
}

int
wk_signing_server_load(struct wk_server *srv, char *why, size_t whysz)
{
	struct wk_signing_set s;
	int r;

	if ((r = wk_signing_set_load(srv->cfg.data_dir, &s, why, whysz)) != 0)
		return r;
	wk_signing_server_cleanup(srv);
	srv->signkey = s.key[WK_SIGNING_CURRENT];
	srv->next_signkey = s.key[WK_SIGNING_NEXT];
	srv->prev_signkey = s.key[WK_SIGNING_PREV];
	srv->rotation = s.rotation;
	return 0;
}

void
wk_signing_server_cleanup(struct wk_server *srv)
{
	wk_signkey_free(srv->signkey);
	wk_signkey_free(srv->next_signkey);
	wk_signkey_free(srv->prev_signkey);
	wk_free(srv->rotation);
	srv->signkey = srv->next_signkey = srv->prev_signkey = NULL;
	srv->rotation = NULL;
}
