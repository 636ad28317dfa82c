/*
 * test_signing_keys.c - the file logic of `wicketd signing-key
 * next|promote|retire|list`, loading the key set, reloading it into a
 * server (also from the loop timer), and the announced signing_keys list.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/time.h"
#include "crypto/rotation.h"
#include "crypto/signkey.h"
#include "server/hub/agent_hub.h"
#include "server/hub/agent_hub_int.h"
#include "server/http/http.h"
#include "server/server.h"
#include "server/hub/signing_keys.h"
#include "server/wicketd.h"

struct fixture {
	char dir[64];
	char cur_id[WK_SIGNKEY_ID_LEN + 1];
};

static void
path_of(const struct fixture *f, const char *name, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s/%s", f->dir, name);
}

static void
key_id_of(const struct wk_signkey *k, char id[WK_SIGNKEY_ID_LEN + 1])
{
	struct wk_pubkey pk;

	wk_signkey_public(k, &pk);
	memcpy(id, pk.id, sizeof(pk.id));
}

/* The id of the key in a file, or "" when it does not load. */
static void
file_id(const struct fixture *f, const char *name,
    char id[WK_SIGNKEY_ID_LEN + 1])
{
	struct wk_signkey *k;
	char path[256];

	path_of(f, name, path, sizeof(path));
	id[0] = '\0';
	if (wk_signkey_load(path, &k) != 0)
		return;
	key_id_of(k, id);
	wk_signkey_free(k);
}

static bool
exists(const struct fixture *f, const char *name)
{
	char path[256];

	path_of(f, name, path, sizeof(path));
	return access(path, F_OK) == 0;
}

/* Sets a file's mtime (to make it look older). */
static void
set_mtime(const struct fixture *f, const char *name, time_t t)
{
	struct timespec ts[2];
	char path[256];

	path_of(f, name, path, sizeof(path));
	ts[0].tv_sec = ts[1].tv_sec = t;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static size_t
count_entries(const struct fixture *f)
{
	DIR *d = opendir(f->dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct wk_signkey *k = NULL;
	char path[256];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk-signing-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	path_of(f, WK_DATA_SIGNING_KEY, path, sizeof(path));
	if (wk_signkey_generate(&k) != 0 || wk_signkey_save(k, path) != 0)
		return -1;
	key_id_of(k, f->cur_id);
	wk_signkey_free(k);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;
	char path[512];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
test_next_creates_once(void **state)
{
	struct fixture *f = *state;
	char id[WK_SIGNKEY_ID_LEN + 1], id2[WK_SIGNKEY_ID_LEN + 1];
	char got[WK_SIGNKEY_ID_LEN + 1], why[512], path[256];
	struct stat st;

	assert_int_equal(wk_signing_next(f->dir, id, why, sizeof(why)), 0);
	assert_int_equal(strlen(id), WK_SIGNKEY_ID_LEN);
	assert_string_not_equal(id, f->cur_id);
	file_id(f, WK_DATA_SIGNING_NEXT_KEY, got);
	assert_string_equal(got, id);
	path_of(f, WK_DATA_SIGNING_NEXT_KEY, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* the statement, and no temporary file left behind */
	assert_true(exists(f, WK_DATA_SIGNING_STATEMENTS));
	path_of(f, WK_DATA_SIGNING_STATEMENTS, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(count_entries(f), 3);

	/* a second one is refused and the first stays */
	assert_int_equal(wk_signing_next(f->dir, id2, why, sizeof(why)),
	    WK_ERR_EXISTS);
	assert_non_null(strstr(why, "exists"));
	file_id(f, WK_DATA_SIGNING_NEXT_KEY, got);
	assert_string_equal(got, id);
	assert_int_equal(count_entries(f), 3);
	/* current untouched */
	file_id(f, WK_DATA_SIGNING_KEY, got);
	assert_string_equal(got, f->cur_id);
}

static void
test_next_bad_dir(void **state)
{
	struct fixture *f = *state;
	char id[WK_SIGNKEY_ID_LEN + 1], why[512], dir[128];

	snprintf(dir, sizeof(dir), "%s/missing", f->dir);
	assert_int_not_equal(wk_signing_next(dir, id, why, sizeof(why)), 0);
	assert_string_equal(id, "");
}

static void
test_promote(void **state)
{
	struct fixture *f = *state;
	char id[WK_SIGNKEY_ID_LEN + 1], got[WK_SIGNKEY_ID_LEN + 1], why[512];
	char path[256];
	struct stat st;
	time_t now = wk_wall_now();

	/* nothing to promote */
	assert_int_equal(wk_signing_promote(f->dir, now, 0, why, sizeof(why)),
	    WK_ERR_NOTFOUND);
	assert_non_null(strstr(why, "no next key"));

	assert_int_equal(wk_signing_next(f->dir, id, why, sizeof(why)), 0);
	/* announced just now: too young */
	assert_int_equal(wk_signing_promote(f->dir, now,
	    WK_SIGNING_ANNOUNCE_MIN_S, why, sizeof(why)), WK_ERR_CONFLICT);
	assert_non_null(strstr(why, "wait"));
	assert_true(exists(f, WK_DATA_SIGNING_NEXT_KEY));
	assert_false(exists(f, WK_DATA_SIGNING_PREV_KEY));

	/* old enough */
	set_mtime(f, WK_DATA_SIGNING_NEXT_KEY, now - 31);
	assert_int_equal(wk_signing_promote(f->dir, now,
	    WK_SIGNING_ANNOUNCE_MIN_S, why, sizeof(why)), 0);
	file_id(f, WK_DATA_SIGNING_KEY, got);
	assert_string_equal(got, id);
	file_id(f, WK_DATA_SIGNING_PREV_KEY, got);
	assert_string_equal(got, f->cur_id);
	assert_false(exists(f, WK_DATA_SIGNING_NEXT_KEY));
	/* the retirement clock started at the promotion */
	path_of(f, WK_DATA_SIGNING_PREV_KEY, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_mtime >= now - 1);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_nlink, 1);

	/* again: a next key while prev remains is refused, nothing moves */
	assert_int_equal(wk_signing_next(f->dir, got, why, sizeof(why)), 0);
	assert_int_equal(wk_signing_promote(f->dir, now + 100, 0, why,
	    sizeof(why)), WK_ERR_EXISTS);
	assert_non_null(strstr(why, "retire"));
	file_id(f, WK_DATA_SIGNING_KEY, got);
	assert_string_equal(got, id);
	file_id(f, WK_DATA_SIGNING_PREV_KEY, got);
	assert_string_equal(got, f->cur_id);
}

static void
test_promote_broken_next(void **state)
{
	struct fixture *f = *state;
	char got[WK_SIGNKEY_ID_LEN + 1], why[512], path[256];
	int fd;

	path_of(f, WK_DATA_SIGNING_NEXT_KEY, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a key\n", 10), 10);
	close(fd);
	assert_int_not_equal(wk_signing_promote(f->dir, wk_wall_now(), 0,
	    why, sizeof(why)), 0);
	assert_non_null(strstr(why, "next"));
	file_id(f, WK_DATA_SIGNING_KEY, got);
	assert_string_equal(got, f->cur_id);
	assert_false(exists(f, WK_DATA_SIGNING_PREV_KEY));
}

static void
test_retire(void **state)
{
	struct fixture *f = *state;
	char id[WK_SIGNKEY_ID_LEN + 1], got[WK_SIGNKEY_ID_LEN + 1], why[512];
	time_t now = wk_wall_now();

	assert_int_equal(wk_signing_retire(f->dir, now, 90, why, sizeof(why)),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_signing_next(f->dir, id, why, sizeof(why)), 0);
	assert_int_equal(wk_signing_promote(f->dir, now, 0, why, sizeof(why)),
	    0);
	/* records signed by prev may still be valid */
	assert_int_equal(wk_signing_retire(f->dir, now + 10, 90, why,
	    sizeof(why)), WK_ERR_CONFLICT);
	assert_non_null(strstr(why, "wait"));
	assert_true(exists(f, WK_DATA_SIGNING_PREV_KEY));
	/* a clock going backwards does not help either */
	assert_int_equal(wk_signing_retire(f->dir, now - 1000, 90, why,
	    sizeof(why)), WK_ERR_CONFLICT);
	/* after ttl + skew it goes */
	assert_int_equal(wk_signing_retire(f->dir, now + 91, 90, why,
	    sizeof(why)), 0);
	assert_false(exists(f, WK_DATA_SIGNING_PREV_KEY));
	file_id(f, WK_DATA_SIGNING_KEY, got);
	assert_string_equal(got, id);
	assert_int_equal(wk_signing_retire(f->dir, now + 200, 90, why,
	    sizeof(why)), WK_ERR_NOTFOUND);
	/* and the next rotation may start */
	assert_int_equal(wk_signing_next(f->dir, got, why, sizeof(why)), 0);
	assert_int_equal(wk_signing_promote(f->dir, now + 300, 0, why,
	    sizeof(why)), 0);
	file_id(f, WK_DATA_SIGNING_PREV_KEY, got);
	assert_string_equal(got, id);
}

static void
test_list(void **state)
{
	struct fixture *f = *state;
	struct wk_signing_info info[WK_SIGNING_NROLES];
	char id[WK_SIGNKEY_ID_LEN + 1], id2[WK_SIGNKEY_ID_LEN + 1], why[512];
	char path[256];
	size_t n;
	int fd;

	assert_int_equal(wk_signing_list(f->dir, info, &n, why, sizeof(why)),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(info[0].role, WK_SIGNING_CURRENT);
	assert_string_equal(info[0].id, f->cur_id);

	assert_int_equal(wk_signing_next(f->dir, id, why, sizeof(why)), 0);
	assert_int_equal(wk_signing_promote(f->dir, wk_wall_now(), 0, why,
	    sizeof(why)), 0);
	assert_int_equal(wk_signing_next(f->dir, id2, why, sizeof(why)), 0);
	assert_int_equal(wk_signing_list(f->dir, info, &n, why, sizeof(why)),
	    0);
	assert_int_equal(n, 3);
	assert_int_equal(info[0].role, WK_SIGNING_CURRENT);
	assert_string_equal(info[0].id, id);
	assert_int_equal(info[1].role, WK_SIGNING_NEXT);
	assert_string_equal(info[1].id, id2);
	assert_int_equal(info[2].role, WK_SIGNING_PREV);
	assert_string_equal(info[2].id, f->cur_id);
	assert_string_equal(wk_signing_role_name(info[2].role), "previous");
	assert_string_equal(wk_signing_file(info[1].role),
	    WK_DATA_SIGNING_NEXT_KEY);

	/* a damaged file is reported, not skipped */
	path_of(f, WK_DATA_SIGNING_PREV_KEY, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage", 7), 7);
	close(fd);
	assert_int_not_equal(wk_signing_list(f->dir, info, &n, why,
	    sizeof(why)), 0);
	assert_non_null(strstr(why, "previous"));

	/* no current key */
	assert_int_equal(unlink(path), 0);
	path_of(f, WK_DATA_SIGNING_KEY, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(wk_signing_list(f->dir, info, &n, why, sizeof(why)),
	    WK_ERR_NOTFOUND);
}

static void
test_set_load(void **state)
{
	struct fixture *f = *state;
	struct wk_signing_set s;
	char id[WK_SIGNKEY_ID_LEN + 1], got[WK_SIGNKEY_ID_LEN + 1], why[512];
	char path[256];
	int fd;

	assert_int_equal(wk_signing_set_load(f->dir, &s, why, sizeof(why)), 0);
	assert_non_null(s.key[WK_SIGNING_CURRENT]);
	assert_null(s.key[WK_SIGNING_NEXT]);
	assert_null(s.key[WK_SIGNING_PREV]);
	wk_signing_set_cleanup(&s);
	assert_null(s.key[WK_SIGNING_CURRENT]);

	assert_int_equal(wk_signing_next(f->dir, id, why, sizeof(why)), 0);
	assert_int_equal(wk_signing_set_load(f->dir, &s, why, sizeof(why)), 0);
	key_id_of(s.key[WK_SIGNING_NEXT], got);
	assert_string_equal(got, id);
	wk_signing_set_cleanup(&s);

	/* a present but broken optional file fails the whole load */
	path_of(f, WK_DATA_SIGNING_PREV_KEY, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_not_equal(wk_signing_set_load(f->dir, &s, why,
	    sizeof(why)), 0);
	assert_null(s.key[WK_SIGNING_CURRENT]);
	assert_int_equal(unlink(path), 0);

	/* the current key is required */
	path_of(f, WK_DATA_SIGNING_KEY, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(wk_signing_set_load(f->dir, &s, why, sizeof(why)),
	    WK_ERR_NOTFOUND);
	assert_null(s.key[WK_SIGNING_NEXT]);
}

static void
srv_ids(const struct wk_server *srv, char cur[WK_SIGNKEY_ID_LEN + 1],
    char next[WK_SIGNKEY_ID_LEN + 1], char prev[WK_SIGNKEY_ID_LEN + 1])
{
	cur[0] = next[0] = prev[0] = '\0';
	if (srv->signkey != NULL)
		key_id_of(srv->signkey, cur);
	if (srv->next_signkey != NULL)
		key_id_of(srv->next_signkey, next);
	if (srv->prev_signkey != NULL)
		key_id_of(srv->prev_signkey, prev);
}

static void
srv_free_keys(struct wk_server *srv)
{
	wk_signing_server_cleanup(srv);
}

static void
test_server_reload(void **state)
{
	struct fixture *f = *state;
	struct wk_server srv;
	char id[WK_SIGNKEY_ID_LEN + 1], why[512], path[256];
	char c[WK_SIGNKEY_ID_LEN + 1], n[WK_SIGNKEY_ID_LEN + 1];
	char p[WK_SIGNKEY_ID_LEN + 1];
	bool changed;
	int fd;

	memset(&srv, 0, sizeof(srv));
	snprintf(srv.cfg.data_dir, sizeof(srv.cfg.data_dir), "%s", f->dir);
	assert_int_equal(wk_signing_server_load(&srv, why, sizeof(why)), 0);
	srv_ids(&srv, c, n, p);
	assert_string_equal(c, f->cur_id);
	assert_string_equal(n, "");
	assert_string_equal(p, "");

	/* unchanged files: nothing changes */
	assert_int_equal(wk_signing_server_reload(&srv, true, &changed), 0);
	assert_false(changed);

	assert_int_equal(wk_signing_next(f->dir, id, why, sizeof(why)), 0);
	assert_int_equal(wk_signing_server_reload(&srv, false, &changed), 0);
	assert_true(changed);
	srv_ids(&srv, c, n, p);
	assert_string_equal(c, f->cur_id);
	assert_string_equal(n, id);

	assert_int_equal(wk_signing_promote(f->dir, wk_wall_now(), 0, why,
	    sizeof(why)), 0);
	assert_int_equal(wk_signing_server_reload(&srv, false, &changed), 0);
	assert_true(changed);
	srv_ids(&srv, c, n, p);
	assert_string_equal(c, id);	/* signs with the promoted key */
	assert_string_equal(n, "");
	assert_string_equal(p, f->cur_id);

	/* a broken file: the keys in use stay */
	path_of(f, WK_DATA_SIGNING_NEXT_KEY, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_not_equal(wk_signing_server_reload(&srv, true, &changed),
	    0);
	assert_false(changed);
	srv_ids(&srv, c, n, p);
	assert_string_equal(c, id);
	assert_string_equal(p, f->cur_id);
	assert_int_equal(unlink(path), 0);

	/* retire: prev is no longer announced */
	assert_int_equal(wk_signing_retire(f->dir, wk_wall_now() + 1000, 90,
	    why, sizeof(why)), 0);
	assert_int_equal(wk_signing_server_reload(&srv, false, &changed), 0);
	assert_true(changed);
	srv_ids(&srv, c, n, p);
	assert_string_equal(c, id);
	assert_string_equal(p, "");
	srv_free_keys(&srv);
}

/* The loop timer notices changed files without a signal. */
static void
test_watch_timer(void **state)
{
	struct fixture *f = *state;
	struct wk_server srv;
	char id[WK_SIGNKEY_ID_LEN + 1], why[512];
	char c[WK_SIGNKEY_ID_LEN + 1], n[WK_SIGNKEY_ID_LEN + 1];
	char p[WK_SIGNKEY_ID_LEN + 1];
	uint64_t t;

	memset(&srv, 0, sizeof(srv));
	snprintf(srv.cfg.data_dir, sizeof(srv.cfg.data_dir), "%s", f->dir);
	assert_int_equal(wk_signing_watch_start(&srv), WK_ERR_INVAL);
	assert_int_equal(wk_loop_new(&srv.loop), 0);
	assert_int_equal(wk_signing_server_load(&srv, why, sizeof(why)), 0);
	assert_int_equal(wk_signing_watch_start(&srv), 0);
	assert_non_null(srv.signwatch);

	assert_int_equal(wk_signing_next(f->dir, id, why, sizeof(why)), 0);
	t = wk_mono_ms();
	/* not due yet */
	assert_int_equal(wk_loop_run_timers(srv.loop, t), 0);
	srv_ids(&srv, c, n, p);
	assert_string_equal(n, "");
	assert_true(wk_loop_next_ms(srv.loop, t) <= WK_SIGNING_RELOAD_MS);
	assert_true(wk_loop_run_timers(srv.loop, t + WK_SIGNING_RELOAD_MS +
	    1000) >= 1);
	srv_ids(&srv, c, n, p);
	assert_string_equal(n, id);
	/* re-armed */
	assert_true(wk_loop_next_ms(srv.loop, t + WK_SIGNING_RELOAD_MS +
	    1000) <= WK_SIGNING_RELOAD_MS);

	wk_signing_watch_stop(&srv);
	assert_null(srv.signwatch);
	wk_signing_watch_stop(&srv);	/* NULL-safe */
	wk_loop_free(srv.loop);
	srv_free_keys(&srv);
}

/* What the hub announces: current, next, previous, each once. */
static void
test_announced_list(void **state)
{
	struct wk_server srv;
	json_t *arr;
	char c[WK_SIGNKEY_ID_LEN + 1], n[WK_SIGNKEY_ID_LEN + 1];
	char p[WK_SIGNKEY_ID_LEN + 1];
	struct wk_signkey *dup;
	char path[256];
	const struct fixture *f = *state;

	memset(&srv, 0, sizeof(srv));
	assert_int_equal(wk_signkey_generate(&srv.signkey), 0);
	assert_int_equal(wk_signkey_generate(&srv.next_signkey), 0);
	assert_int_equal(wk_signkey_generate(&srv.prev_signkey), 0);
	srv_ids(&srv, c, n, p);
	assert_int_equal(wk_hub_signing_keys(&srv, &arr), 0);
	assert_int_equal(json_array_size(arr), 3);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(arr, 0), "id")), c);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(arr, 1), "id")), n);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(arr, 2), "id")), p);
	json_decref(arr);

	/* mid-promotion the same key may be current and previous */
	wk_signkey_free(srv.prev_signkey);
	path_of(f, WK_DATA_SIGNING_KEY, path, sizeof(path));
	assert_int_equal(wk_signkey_load(path, &dup), 0);
	srv.prev_signkey = dup;
	wk_signkey_free(srv.signkey);
	assert_int_equal(wk_signkey_load(path, &srv.signkey), 0);
	wk_signkey_free(srv.next_signkey);
	srv.next_signkey = NULL;
	assert_int_equal(wk_hub_signing_keys(&srv, &arr), 0);
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(arr, 0), "id")), f->cur_id);
	json_decref(arr);
	srv_free_keys(&srv);
}


/* The statements file, read back: texts and parsed statements. */
static size_t
read_statements(const struct fixture *f, struct wk_span *texts,
    struct wk_rotation *sts, size_t max, struct wk_buf *all)
{
	struct wk_span rest, sp;
	uint8_t sig[WK_ED25519_SIG_LEN];
	char path[256], chunk[4096];
	size_t n = 0;
	ssize_t got;
	int fd;

	path_of(f, WK_DATA_SIGNING_STATEMENTS, path, sizeof(path));
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	while ((got = read(fd, chunk, sizeof(chunk))) > 0)
		assert_int_equal(wk_buf_append(all, chunk, (size_t)got), 0);
	close(fd);
	rest = wk_buf_span(all);
	while (rest.len > 0) {
		assert_true(n < max);
		assert_true(wk_rotation_next(&rest, &texts[n]));
		assert_int_equal(wk_rotation_parse(texts[n], &sts[n], &sp,
		    sig), 0);
		n++;
	}
	return n;
}

static void
pub_of(const struct fixture *f, const char *name, struct wk_pubkey *pk)
{
	struct wk_signkey *k;
	char path[256];

	path_of(f, name, path, sizeof(path));
	assert_int_equal(wk_signkey_load(path, &k), 0);
	wk_signkey_public(k, pk);
	wk_signkey_free(k);
}

/*
 * next: statement n for the new key, signed by the current key (key n-1),
 * kept across promote and retire, so a host that pinned any key of the
 * chain can follow it; list shows each key's place.
 */
static void
test_statements_chain(void **state)
{
	struct fixture *f = *state;
	struct wk_span texts[WK_SIGNING_MAX_STATEMENTS];
	struct wk_rotation sts[WK_SIGNING_MAX_STATEMENTS], got;
	struct wk_signing_info info[WK_SIGNING_NROLES];
	struct wk_pubkey k0, k1, k2;
	struct wk_buf all;
	char id[WK_SIGNKEY_ID_LEN + 1], why[512];
	const char *vwhy;
	time_t now = wk_wall_now();
	size_t n;

	pub_of(f, WK_DATA_SIGNING_KEY, &k0);
	assert_int_equal(wk_signing_next(f->dir, id, why, sizeof(why)), 0);
	pub_of(f, WK_DATA_SIGNING_NEXT_KEY, &k1);
	wk_buf_init(&all, 1 << 16);
	n = read_statements(f, texts, sts, WK_SIGNING_MAX_STATEMENTS, &all);
	assert_int_equal(n, 1);
	assert_int_equal(sts[0].seq, 1);
	assert_string_equal(sts[0].signer_id, k0.id);
	assert_string_equal(sts[0].key.id, k1.id);
	assert_memory_equal(sts[0].key.raw, k1.raw, sizeof(k1.raw));
	assert_true(sts[0].not_before <= now + 1 &&
	    sts[0].not_before >= now - 5);
	assert_int_equal(wk_rotation_verify(texts[0], &k0, 1, now, &got,
	    &vwhy), 0);
	/* only the current key's signature counts */
	assert_int_equal(wk_rotation_verify(texts[0], &k1, 1, now, &got,
	    &vwhy), WK_ERR_AUTH);

	assert_int_equal(wk_signing_promote(f->dir, now, 0, why, sizeof(why)),
	    0);
	assert_int_equal(wk_signing_retire(f->dir, now + 1000, 90, why,
	    sizeof(why)), 0);
	assert_int_equal(wk_signing_next(f->dir, id, why, sizeof(why)), 0);
	pub_of(f, WK_DATA_SIGNING_NEXT_KEY, &k2);
	wk_buf_reset(&all);
	n = read_statements(f, texts, sts, WK_SIGNING_MAX_STATEMENTS, &all);
	assert_int_equal(n, 2);
	assert_int_equal(sts[1].seq, 2);
	assert_string_equal(sts[1].signer_id, k1.id);
	assert_string_equal(sts[1].key.id, k2.id);
	assert_int_equal(wk_rotation_verify(texts[1], &k1, 1, now, &got,
	    &vwhy), 0);
	assert_int_equal(wk_signing_list(f->dir, info, &n, why, sizeof(why)),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(info[0].seq, 1);
	assert_int_equal(info[1].seq, 2);

	/* a next key removed by hand: its statement is replaced, not kept */
	path_of(f, WK_DATA_SIGNING_NEXT_KEY, why, sizeof(why));
	assert_int_equal(unlink(why), 0);
	assert_int_equal(wk_signing_next(f->dir, id, why, sizeof(why)), 0);
	wk_buf_reset(&all);
	n = read_statements(f, texts, sts, WK_SIGNING_MAX_STATEMENTS, &all);
	assert_int_equal(n, 2);
	assert_int_equal(sts[1].seq, 2);
	assert_string_equal(sts[1].key.id, id);
	wk_buf_cleanup(&all);
}

/* At most WK_SIGNING_MAX_STATEMENTS are kept, the newest. */
static void
test_statements_cap(void **state)
{
	struct fixture *f = *state;
	struct wk_span texts[WK_SIGNING_MAX_STATEMENTS];
	struct wk_rotation sts[WK_SIGNING_MAX_STATEMENTS];
	struct wk_buf all;
	char id[WK_SIGNKEY_ID_LEN + 1], why[512];
	time_t now = wk_wall_now();
	size_t n;

	for (int i = 0; i < WK_SIGNING_MAX_STATEMENTS + 3; i++) {
		assert_int_equal(wk_signing_next(f->dir, id, why,
		    sizeof(why)), 0);
		assert_int_equal(wk_signing_promote(f->dir, now, 0, why,
		    sizeof(why)), 0);
		assert_int_equal(wk_signing_retire(f->dir, now + 1000, 90,
		    why, sizeof(why)), 0);
	}
	wk_buf_init(&all, 1 << 16);
	n = read_statements(f, texts, sts, WK_SIGNING_MAX_STATEMENTS, &all);
	assert_int_equal(n, WK_SIGNING_MAX_STATEMENTS);
	assert_int_equal(sts[n - 1].seq, WK_SIGNING_MAX_STATEMENTS + 3);
	assert_int_equal(sts[0].seq, 4);
	for (size_t i = 1; i < n; i++) {
		assert_int_equal(sts[i].seq, sts[i - 1].seq + 1);
		assert_string_equal(sts[i].signer_id, sts[i - 1].key.id);
	}
	wk_buf_cleanup(&all);
}

/*
 * promote refuses a next key agents could not learn: no statement, one
 * signed by another key, one for another key; the files stay put.
 */
static void
test_promote_needs_statement(void **state)
{
	struct fixture *f = *state;
	struct wk_signkey *other = NULL, *cur = NULL;
	struct wk_rotation st;
	struct wk_buf text;
	char id[WK_SIGNKEY_ID_LEN + 1], got[WK_SIGNKEY_ID_LEN + 1];
	char why[1024], path[256];
	int fd;

	assert_int_equal(wk_signing_next(f->dir, id, why, sizeof(why)), 0);
	path_of(f, WK_DATA_SIGNING_STATEMENTS, path, sizeof(path));
	/* none */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(wk_signing_promote(f->dir, wk_wall_now(), 0, why,
	    sizeof(why)), WK_ERR_AUTH);
	assert_non_null(strstr(why, "rotation statement"));
	file_id(f, WK_DATA_SIGNING_KEY, got);
	assert_string_equal(got, f->cur_id);
	assert_false(exists(f, WK_DATA_SIGNING_PREV_KEY));

	/* signed by a key that is not the current one */
	assert_int_equal(wk_signkey_generate(&other), 0);
	memset(&st, 0, sizeof(st));
	st.seq = 1;
	pub_of(f, WK_DATA_SIGNING_NEXT_KEY, &st.key);
	wk_buf_init(&text, 4096);
	assert_int_equal(wk_rotation_sign(&st, other, &text), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text.p, text.len), (ssize_t)text.len);
	close(fd);
	assert_int_equal(wk_signing_promote(f->dir, wk_wall_now(), 0, why,
	    sizeof(why)), WK_ERR_AUTH);
	assert_true(exists(f, WK_DATA_SIGNING_NEXT_KEY));

	/* a malformed file refuses too (and fails a server load) */
	assert_int_equal(unlink(path), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#wicket-rotation v1\n", 20), 20);
	close(fd);
	assert_int_not_equal(wk_signing_promote(f->dir, wk_wall_now(), 0, why,
	    sizeof(why)), 0);
	{
		struct wk_signing_set s;

		assert_int_not_equal(wk_signing_set_load(f->dir, &s, why,
		    sizeof(why)), 0);
		assert_null(s.key[WK_SIGNING_CURRENT]);
	}

	/* the right one, made by hand, works */
	assert_int_equal(unlink(path), 0);
	path_of(f, WK_DATA_SIGNING_KEY, why, sizeof(why));
	assert_int_equal(wk_signkey_load(why, &cur), 0);
	wk_buf_reset(&text);
	assert_int_equal(wk_rotation_sign(&st, cur, &text), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text.p, text.len), (ssize_t)text.len);
	close(fd);
	assert_int_equal(wk_signing_promote(f->dir, wk_wall_now(), 0, why,
	    sizeof(why)), 0);
	file_id(f, WK_DATA_SIGNING_KEY, got);
	assert_string_equal(got, id);
	wk_buf_cleanup(&text);
	wk_signkey_free(other);
	wk_signkey_free(cur);
}

/* Every announcement carries the statements, byte for byte. */
static void
test_announce_statements(void **state)
{
	struct fixture *f = *state;
	struct wk_server srv;
	struct wk_span texts[WK_SIGNING_MAX_STATEMENTS];
	struct wk_rotation sts[WK_SIGNING_MAX_STATEMENTS];
	struct wk_buf all;
	json_t *reply, *rot;
	char id[WK_SIGNKEY_ID_LEN + 1], why[512];
	bool changed;
	size_t n;

	memset(&srv, 0, sizeof(srv));
	snprintf(srv.cfg.data_dir, sizeof(srv.cfg.data_dir), "%s", f->dir);
	assert_int_equal(wk_signing_server_load(&srv, why, sizeof(why)), 0);
	reply = json_object();
	assert_int_equal(wk_hub_announce(&srv, reply), 0);
	assert_int_equal(json_array_size(json_object_get(reply,
	    "signing_keys")), 1);
	rot = json_object_get(reply, "rotation");
	assert_true(json_is_array(rot));
	assert_int_equal(json_array_size(rot), 0);
	json_decref(reply);

	assert_int_equal(wk_signing_next(f->dir, id, why, sizeof(why)), 0);
	assert_int_equal(wk_signing_server_reload(&srv, false, &changed), 0);
	assert_true(changed);
	/* the statements changing alone is a change too */
	wk_buf_init(&all, 1 << 16);
	n = read_statements(f, texts, sts, WK_SIGNING_MAX_STATEMENTS, &all);
	assert_int_equal(n, 1);
	reply = json_object();
	assert_int_equal(wk_hub_announce(&srv, reply), 0);
	rot = json_object_get(reply, "rotation");
	assert_int_equal(json_array_size(rot), 1);
	assert_int_equal(json_string_length(json_array_get(rot, 0)),
	    texts[0].len);
	assert_memory_equal(json_string_value(json_array_get(rot, 0)),
	    texts[0].p, texts[0].len);
	assert_int_equal(json_array_size(json_object_get(reply,
	    "signing_keys")), 2);
	json_decref(reply);
	wk_buf_cleanup(&all);
	wk_signing_server_cleanup(&srv);
	assert_null(srv.rotation);
	assert_null(srv.signkey);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_next_creates_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_statements_chain, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_statements_cap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_promote_needs_statement,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_announce_statements,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_bad_dir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_promote, setup, teardown),
		cmocka_unit_test_setup_teardown(test_promote_broken_next, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_reload, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_watch_timer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_announced_list, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
