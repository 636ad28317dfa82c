/*
 * signing_keys.c - the record-signing keys of the data directory: the file
 * logic of `wicketd signing-key next|promote|retire|list`, and their
 * reloading in a running wicketd (SIGHUP, and a timer that notices changed
 * files). See signing_keys.h and docs/protocols.md.
 */
#include "server/signing_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/rand.h"
#include "common/time.h"
#include "server/agent_hub.h"
#include "server/http.h"
#include "server/server.h"
#include "server/wicketd.h"

#define PATH_MAX_LEN 1100

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

static void say(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whysz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

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
		say(why, whysz, "data directory path too long");
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
		say(why, whysz, "%s: cannot load the %s signing key: %s", path,
		    wk_signing_role_name(role), wk_strerror(r));
	return r;
}

int
wk_signing_next(const char *dir, char id_out[WK_SIGNKEY_ID_LEN + 1],
    char *why, size_t whysz)
{
	struct wk_signkey *k = NULL;
	struct wk_pubkey pk;
	struct stat st;
	char path[PATH_MAX_LEN], tmp[PATH_MAX_LEN + 32];
	uint8_t rnd[8];
	bool made = false;
	int n, r;

	id_out[0] = '\0';
	if ((r = role_path(dir, WK_SIGNING_NEXT, path, sizeof(path), why,
	    whysz)) != 0)
		return r;
	if ((r = stat_file(path, &st)) != WK_ERR_NOTFOUND) {
		say(why, whysz, "%s exists already: promote it (`wicketd "
		    "signing-key promote`) before creating another", path);
		return r == 0 ? WK_ERR_EXISTS : r;
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
		say(why, whysz, "cannot create a key in %s: %s", dir,
		    wk_strerror(r));
		goto out;
	}
	made = true;
	/* link() never replaces: a next key made meanwhile wins */
	if (link(tmp, path) != 0) {
		r = errno == EEXIST ? WK_ERR_EXISTS : WK_ERR_IO;
		say(why, whysz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((r = sync_dir(dir)) != 0) {
		say(why, whysz, "%s: cannot sync the directory", dir);
		goto out;
	}
	wk_signkey_public(k, &pk);
	memcpy(id_out, pk.id, sizeof(pk.id));
 out:
	if (made)
		(void)unlink(tmp);
	wk_signkey_free(k);
	return r;
}

int
wk_signing_promote(const char *dir, time_t now, unsigned min_age_s,
    char *why, size_t whysz)
{
	struct wk_signkey *k = NULL;
	char cur[PATH_MAX_LEN], next[PATH_MAX_LEN], prev[PATH_MAX_LEN];
	struct stat st;
	int r;

	if ((r = role_path(dir, WK_SIGNING_CURRENT, cur, sizeof(cur), why,
	    whysz)) != 0 ||
	    (r = role_path(dir, WK_SIGNING_NEXT, next, sizeof(next), why,
	    whysz)) != 0 ||
	    (r = role_path(dir, WK_SIGNING_PREV, prev, sizeof(prev), why,
	    whysz)) != 0)
		return r;
	if ((r = stat_file(next, &st)) != 0) {
		say(why, whysz, "%s: %s", next, r == WK_ERR_NOTFOUND ?
		    "no next key to promote (create one with `wicketd "
		    "signing-key next` and let the agents learn it first)" :
		    "not a regular file");
		return r;
	}
	if (min_age_s > 0 && now - st.st_mtime < (time_t)min_age_s) {
		say(why, whysz, "the next key was announced %lld s ago; wait "
		    "%lld s more so every agent has learned it (or --force)",
		    (long long)(now - st.st_mtime),
		    (long long)((time_t)min_age_s - (now - st.st_mtime)));
		return WK_ERR_CONFLICT;
	}
	if ((r = stat_file(prev, &st)) != WK_ERR_NOTFOUND) {
		say(why, whysz, "%s exists: retire it first (`wicketd "
		    "signing-key retire`)", prev);
		return r == 0 ? WK_ERR_EXISTS : r;
	}
	/* Both keys must load: never promote a broken key. */
	if ((r = load_role(dir, WK_SIGNING_NEXT, &k, why, whysz)) != 0)
		goto out;
	wk_signkey_free(k);
	k = NULL;
	if ((r = load_role(dir, WK_SIGNING_CURRENT, &k, why, whysz)) != 0) {
		if (r == WK_ERR_NOTFOUND)
			say(why, whysz, "%s: no current signing key", cur);
		goto out;
	}
	/*
	 * The retirement clock starts now: stamp the current key before it
	 * becomes prev (so prev is never seen with an old mtime), then
	 * link it as prev (fails if one appeared meanwhile), then replace
	 * current by next in one rename. signing.key exists throughout.
	 */
	if (utimensat(AT_FDCWD, cur, NULL, AT_SYMLINK_NOFOLLOW) != 0 ||
	    link(cur, prev) != 0) {
		r = errno == EEXIST ? WK_ERR_EXISTS : WK_ERR_IO;
		say(why, whysz, "%s: %s", prev, strerror(errno));
		goto out;
	}
	if (rename(next, cur) != 0) {
		r = WK_ERR_IO;
		say(why, whysz, "%s -> %s: %s", next, cur, strerror(errno));
		(void)unlink(prev);
		goto out;
	}
	if ((r = sync_dir(dir)) != 0)
		say(why, whysz, "%s: cannot sync the directory", dir);
 out:
	wk_signkey_free(k);
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
		say(why, whysz, "%s: %s", prev, r == WK_ERR_NOTFOUND ?
		    "no previous key to retire" : "not a regular file");
		return r;
	}
	age = now - st.st_mtime;
	if (age < (time_t)grace_s) {
		say(why, whysz, "the previous key was replaced %lld s ago; "
		    "records it signed may still be valid: wait %lld s more",
		    (long long)(age < 0 ? 0 : age),
		    (long long)((time_t)grace_s - age));
		return WK_ERR_CONFLICT;
	}
	if (unlink(prev) != 0) {
		say(why, whysz, "%s: %s", prev, strerror(errno));
		return WK_ERR_IO;
	}
	if ((r = sync_dir(dir)) != 0)
		say(why, whysz, "%s: cannot sync the directory", dir);
	return r;
}

int
wk_signing_list(const char *dir, struct wk_signing_info out[WK_SIGNING_NROLES],
    size_t *n, char *why, size_t whysz)
{
	struct wk_signkey *k;
	struct wk_pubkey pk;
	char path[PATH_MAX_LEN];
	struct stat st;
	int role, r;

	*n = 0;
	for (role = 0; role < WK_SIGNING_NROLES; role++) {
		if ((r = role_path(dir, role, path, sizeof(path), why,
		    whysz)) != 0)
			return r;
		if ((r = stat_file(path, &st)) == WK_ERR_NOTFOUND)
			continue;
		if (r == 0)
			r = load_role(dir, role, &k, why, whysz);
		else
			say(why, whysz, "%s: not a regular file", path);
		if (r != 0)
			return r;
		wk_signkey_public(k, &pk);
		wk_signkey_free(k);
		out[*n].role = role;
		out[*n].since = st.st_mtime;
		memcpy(out[*n].id, pk.id, sizeof(pk.id));
		(*n)++;
	}
	if (*n == 0 || out[0].role != WK_SIGNING_CURRENT) {
		say(why, whysz, "%s/%s: no current signing key", dir,
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
}

int
wk_signing_set_load(const char *dir, struct wk_signing_set *out, char *why,
    size_t whysz)
{
	struct wk_signing_set s;
	int role, r;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	for (role = 0; role < WK_SIGNING_NROLES; role++) {
		r = load_role(dir, role, &s.key[role], why, whysz);
		if (r == WK_ERR_NOTFOUND && role != WK_SIGNING_CURRENT)
			continue;
		if (r == WK_ERR_NOTFOUND)
			say(why, whysz, "%s/%s: no signing key", dir,
			    WK_DATA_SIGNING_KEY);
		if (r != 0) {
			wk_signing_set_cleanup(&s);
			return r;
		}
	}
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
	wk_signkey_free(srv->signkey);
	wk_signkey_free(srv->next_signkey);
	wk_signkey_free(srv->prev_signkey);
	srv->signkey = s.key[WK_SIGNING_CURRENT];
	srv->next_signkey = s.key[WK_SIGNING_NEXT];
	srv->prev_signkey = s.key[WK_SIGNING_PREV];
	return 0;
}

/* What identifies a file's version cheaply. */
struct file_stamp {
	bool present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;
};

struct wk_signing_watch {
	struct wk_server *srv;
	int sigfd;
	struct wk_watch *w;
	struct wk_timer *timer;
	struct file_stamp stamps[WK_SIGNING_NROLES];
};

static void
take_stamps(const char *dir, struct file_stamp out[WK_SIGNING_NROLES])
{
	char path[PATH_MAX_LEN];
	struct stat st;

	memset(out, 0, sizeof(struct file_stamp) * WK_SIGNING_NROLES);
	for (int role = 0; role < WK_SIGNING_NROLES; role++) {
		if (wk_data_path(dir, wk_signing_file(role), path,
		    sizeof(path)) != 0 || lstat(path, &st) != 0)
			continue;
		out[role].present = true;
		out[role].dev = st.st_dev;
		out[role].ino = st.st_ino;
		out[role].size = st.st_size;
		out[role].mtime = st.st_mtim;
		out[role].ctime = st.st_ctim;
	}
}

static bool
stamps_equal(const struct file_stamp *a, const struct file_stamp *b)
{
	for (int i = 0; i < WK_SIGNING_NROLES; i++) {
		if (a[i].present != b[i].present)
			return false;
		if (!a[i].present)
			continue;
		if (a[i].dev != b[i].dev || a[i].ino != b[i].ino ||
		    a[i].size != b[i].size ||
		    a[i].mtime.tv_sec != b[i].mtime.tv_sec ||
		    a[i].mtime.tv_nsec != b[i].mtime.tv_nsec ||
		    a[i].ctime.tv_sec != b[i].ctime.tv_sec ||
		    a[i].ctime.tv_nsec != b[i].ctime.tv_nsec)
			return false;
	}
	return true;
}

static void
key_id(const struct wk_signkey *k, char id[WK_SIGNKEY_ID_LEN + 1])
{
	struct wk_pubkey pk;

	if (k == NULL) {
		snprintf(id, WK_SIGNKEY_ID_LEN + 1, "-");
		return;
	}
	wk_signkey_public(k, &pk);
	memcpy(id, pk.id, sizeof(pk.id));
}

int
wk_signing_server_reload(struct wk_server *srv, bool force, bool *changed)
{
	struct wk_signing_watch *sw = srv->signwatch;
	struct file_stamp now[WK_SIGNING_NROLES];
	struct wk_signkey *const *old[WK_SIGNING_NROLES];
	struct wk_signing_set s;
	char why[1400], before[WK_SIGNING_NROLES][WK_SIGNKEY_ID_LEN + 1];
	char after[WK_SIGNING_NROLES][WK_SIGNKEY_ID_LEN + 1];
	bool diff = false;
	int r;

	if (changed != NULL)
		*changed = false;
	take_stamps(srv->cfg.data_dir, now);
	if (!force && sw != NULL && stamps_equal(now, sw->stamps))
		return 0;
	/* a failed attempt is not retried until the files change again */
	if (sw != NULL)
		memcpy(sw->stamps, now, sizeof(now));
	why[0] = '\0';
	if ((r = wk_signing_set_load(srv->cfg.data_dir, &s, why,
	    sizeof(why))) != 0) {
		wk_log(WK_LOG_ERROR, "signing_keys_reload_failed",
		    "reason=\"%s\" action=keep_current_keys", why);
		return r;
	}
	old[WK_SIGNING_CURRENT] = &srv->signkey;
	old[WK_SIGNING_NEXT] = &srv->next_signkey;
	old[WK_SIGNING_PREV] = &srv->prev_signkey;
	for (int i = 0; i < WK_SIGNING_NROLES; i++) {
		key_id(*old[i], before[i]);
		key_id(s.key[i], after[i]);
		if (strcmp(before[i], after[i]) != 0)
			diff = true;
	}
	if (!diff) {
		wk_signing_set_cleanup(&s);
		return 0;
	}
	wk_signkey_free(srv->signkey);
	wk_signkey_free(srv->next_signkey);
	wk_signkey_free(srv->prev_signkey);
	srv->signkey = s.key[WK_SIGNING_CURRENT];
	srv->next_signkey = s.key[WK_SIGNING_NEXT];
	srv->prev_signkey = s.key[WK_SIGNING_PREV];
	wk_log(WK_LOG_INFO, "signing_keys_reloaded", "current=%s next=%s "
	    "previous=%s", after[0], after[1], after[2]);
	if (changed != NULL)
		*changed = true;
	/* agents learn the new set from their held polls' answers */
	if (srv->hub != NULL)
		wk_agent_hub_wake_all(srv->hub);
	return 0;
}

static void watch_timer(void *arg);

static void
watch_arm(struct wk_signing_watch *sw)
{
	sw->timer = wk_loop_timer_add(sw->srv->loop, WK_SIGNING_RELOAD_MS,
	    watch_timer, sw);
}

static void
watch_timer(void *arg)
{
	struct wk_signing_watch *sw = arg;

	sw->timer = NULL;
	(void)wk_signing_server_reload(sw->srv, false, NULL);
	watch_arm(sw);
}

static void
watch_signal(void *arg, uint32_t revents)
{
	struct wk_signing_watch *sw = arg;
	struct signalfd_siginfo si;
	bool got = false;

	(void)revents;
	while (read(sw->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		got = true;
	if (!got)
		return;
	wk_log(WK_LOG_INFO, "signal", "signo=%d action=reload_signing_keys",
	    SIGHUP);
	(void)wk_signing_server_reload(sw->srv, true, NULL);
}

int
wk_signing_watch_start(struct wk_server *srv)
{
	struct wk_signing_watch *sw;
	sigset_t mask;

	if (srv->loop == NULL)
		return WK_ERR_INVAL;
	if (srv->signwatch != NULL)
		return 0;
	if ((sw = wk_calloc(1, sizeof(*sw))) == NULL)
		return WK_ERR_NOMEM;
	sw->srv = srv;
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	if ((sw->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (sw->w = wk_loop_watch_fd(srv->loop, sw->sigfd, EPOLLIN,
	    watch_signal, sw)) == NULL) {
		if (sw->sigfd >= 0)
			close(sw->sigfd);
		wk_free(sw);
		return WK_ERR_IO;
	}
	take_stamps(srv->cfg.data_dir, sw->stamps);
	srv->signwatch = sw;
	watch_arm(sw);
	if (sw->timer == NULL) {
		wk_signing_watch_stop(srv);
		return WK_ERR_NOMEM;
	}
	return 0;
}

void
wk_signing_watch_stop(struct wk_server *srv)
{
	struct wk_signing_watch *sw;

	if (srv == NULL || (sw = srv->signwatch) == NULL)
		return;
	wk_loop_timer_cancel(srv->loop, sw->timer);
	wk_loop_unwatch(srv->loop, sw->w);
	wk_loop_reap(srv->loop);
	close(sw->sigfd);
	wk_free(sw);
	srv->signwatch = NULL;
}
