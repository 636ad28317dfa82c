/*
 * session_queue.c - the durable queue of Login/Logout reports
 * (agent/sessions.h): STATE/session-queue/<20-digit sequence>.json, one
 * report each, fsync'd before it counts as queued, removed only after
 * wicketd accepted it. The sequence is the highest file name + 1, so
 * reports keep their order across restarts.
 */
#include "agent/sessions.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"

#define NAME_LEN 25	/* 20 digits + ".json" */
#define QUEUE_SCAN_MAX 100000

static int
queue_dir(const char *state_dir, char *out, size_t outsz)
{
	if ((size_t)snprintf(out, outsz, "%s/" WK_AGENT_QUEUE_DIR,
	    state_dir) >= outsz)
		return WK_ERR_TOOBIG;
	if (mkdir(out, 0700) != 0 && errno != EEXIST)
		return WK_ERR_IO;
	return 0;
}

static bool
name_ok(const char *n)
{
	size_t i;

	if (strlen(n) != NAME_LEN || strcmp(n + 20, ".json") != 0)
		return false;
	for (i = 0; i < 20; i++)
		if (n[i] < '0' || n[i] > '9')
			return false;
	return true;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The queued file names, oldest first. */
static int
scan(const char *dir, char ***out, size_t *n)
{
	char **v = NULL, **nv;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return WK_ERR_IO;
	while ((de = readdir(d)) != NULL && cnt < QUEUE_SCAN_MAX) {
		if (!name_ok(de->d_name))
			continue;
		if (cnt == cap) {
			cap = cap ? 2 * cap : 16;
			if ((nv = wk_realloc(v, cap * sizeof(*v))) == NULL)
				goto nomem;
			v = nv;
		}
		if ((v[cnt] = wk_strdup(de->d_name)) == NULL)
			goto nomem;
		cnt++;
	}
	closedir(d);
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), cmp_names);
	*out = v;
	*n = cnt;
	return 0;
 nomem:
	closedir(d);
	wk_agent_queue_names_free(v, cnt);
	return WK_ERR_NOMEM;
}

void
wk_agent_queue_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		wk_free(names[i]);
	wk_free(names);
}

int
wk_agent_queue_add(const char *state_dir, const struct wk_agent_session *s,
    bool login, int64_t time_ms)
{
	char dir[4096], name[NAME_LEN + 1], eid[19];
	char **names = NULL;
	unsigned long long seq = 1;
	size_t n = 0;
	json_t *o;
	char *text;
	int r;

	if ((r = queue_dir(state_dir, dir, sizeof(dir))) != 0 ||
	    (r = scan(dir, &names, &n)) != 0)
		return r;
	if (n > 0)
		seq = strtoull(names[n - 1], NULL, 10) + 1;
	wk_agent_queue_names_free(names, n);
	if ((r = wk_agent_session_new_id('e', eid)) != 0)
		return r;
	o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:I, s:I}", "event_id", eid, "type", login ? "Login" : "Logout",
	    "session_id", s->session_id, "time_ms", (json_int_t)time_ms,
	    "os_user", s->os_user, "fingerprint", s->fingerprint,
	    "request_id", s->request_id, "caller_arn", s->caller_arn,
	    "source", s->source, "tty", s->tty, "pid", (json_int_t)s->pid,
	    "opened_ms", (json_int_t)s->opened_at * 1000);
	if (o == NULL)
		return WK_ERR_NOMEM;
	if (!login) {
		int64_t d = time_ms - s->opened_at * 1000;

		if (json_object_set_new(o, "duration_ms",
		    json_integer(d > 0 ? d : 0)) != 0) {
			json_decref(o);
			return WK_ERR_NOMEM;
		}
	}
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		return WK_ERR_NOMEM;
	snprintf(name, sizeof(name), "%020llu.json", seq);
	r = wk_agent_write_atomic(dir, name, text, strlen(text), 0600);
	free(text);	/* jansson's allocator */
	if (r == 0)
		wk_log(WK_LOG_INFO, "session_queued", "type=%s session=%s "
		    "event=%s user=%s", login ? "Login" : "Logout",
		    s->session_id, eid, s->os_user);
	return r;
}

int
wk_agent_queue_peek(const char *state_dir, size_t max, char **body,
    char ***names_out, size_t *n_out)
{
	char dir[4096], path[4200];
	char **names = NULL;
	size_t n = 0, i, taken = 0;
	json_t *arr = NULL, *root = NULL, *ev;
	int64_t now_ms = wk_wall_ms();
	char *text;
	int r;

	*body = NULL;
	*names_out = NULL;
	*n_out = 0;
	if ((r = queue_dir(state_dir, dir, sizeof(dir))) != 0 ||
	    (r = scan(dir, &names, &n)) != 0)
		return r;
	if (n == 0)
		goto out;
	r = WK_ERR_NOMEM;
	if ((arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < n && taken < max; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		ev = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(ev)) {
			/* a torn or foreign file: never blocks the queue */
			wk_log(WK_LOG_ERROR, "session_queue_dropped",
			    "path=%s reason=unreadable", path);
			json_decref(ev);
			(void)unlink(path);
			wk_free(names[i]);
			names[i] = NULL;
			continue;
		}
		if (!wk_agent_queue_login_tty(state_dir, ev, now_ms)) {
			/* its terminal is on the way: it and the rest wait */
			json_decref(ev);
			break;
		}
		if (json_array_append_new(arr, ev) != 0)
			goto out;
		/* keep the taken names first, in order */
		names[taken++] = names[i];
		if (taken - 1 != i)
			names[i] = NULL;
	}
	if (taken == 0) {
		r = 0;
		goto out;
	}
	if ((root = json_pack("{s:O}", "events", arr)) == NULL ||
	    (text = json_dumps(root, JSON_COMPACT)) == NULL)
		goto out;
	*body = wk_strdup(text);
	free(text);	/* jansson's allocator */
	if (*body == NULL)
		goto out;
	for (i = taken; i < n; i++) {
		wk_free(names[i]);
		names[i] = NULL;
	}
	*names_out = names;
	*n_out = taken;
	names = NULL;
	n = 0;
	r = 0;
 out:
	json_decref(root);
	json_decref(arr);
	if (names != NULL)
		wk_agent_queue_names_free(names, n);
	return r;
}

int
wk_agent_queue_drop(const char *state_dir, char **names, size_t n)
{
	char dir[4096], path[4200];
	size_t i;
	int dfd, r = 0;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/" WK_AGENT_QUEUE_DIR,
	    state_dir) >= sizeof(dir))
		return WK_ERR_TOOBIG;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (unlink(path) != 0 && errno != ENOENT)
			r = WK_ERR_IO;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return r;
}
