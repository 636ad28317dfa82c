/*
 * sessions.c - the agent's local session registry (agent/sessions.h):
 * one JSON file per open login in STATE/sessions/.
 */
#include "agent/sessions.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "common/rand.h"
#include "common/time.h"

int
wk_agent_session_new_id(char prefix, char out[static 19])
{
	uint8_t b[8];
	int r, i;

	if ((r = wk_random_bytes(b, sizeof(b))) != 0)
		return r;
	out[0] = prefix;
	out[1] = '-';
	for (i = 0; i < 8; i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", b[i]);
	return 0;
}

int
wk_agent_pid_start(long pid, char *out, size_t outsz)
{
	out[0] = '\0';
	if (pid <= 0)
		return WK_ERR_INVAL;
	return wk_agent_proc_start("/proc", pid, out, outsz);
}

bool
wk_agent_session_alive(const struct wk_agent_session *s)
{
	char now[24];

	return wk_agent_pid_start(s->pid, now, sizeof(now)) == 0 &&
	    strcmp(now, s->pid_start) == 0;
}

static int
subdir(const char *state_dir, char *out, size_t outsz)
{
	if ((size_t)snprintf(out, outsz, "%s/" WK_AGENT_SESSIONS_DIR,
	    state_dir) >= outsz)
		return WK_ERR_TOOBIG;
	if (mkdir(out, 0700) != 0 && errno != EEXIST)
		return WK_ERR_IO;
	return 0;
}

int
wk_agent_session_write(const char *state_dir, const struct wk_agent_session *s)
{
	char dir[4096], name[64];
	json_t *o;
	char *text;
	int r;

	if ((r = subdir(state_dir, dir, sizeof(dir))) != 0)
		return r;
	o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:I}", "session_id", s->session_id, "pid", (json_int_t)s->pid,
	    "pid_start", s->pid_start, "os_user", s->os_user,
	    "fingerprint", s->fingerprint, "request_id", s->request_id,
	    "caller_arn", s->caller_arn, "instance_id", s->instance_id,
	    "tty", s->tty, "source", s->source,
	    "opened_at", (json_int_t)s->opened_at);
	if (o == NULL)
		return WK_ERR_NOMEM;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		return WK_ERR_NOMEM;
	snprintf(name, sizeof(name), "%s.json", s->session_id);
	r = wk_agent_write_atomic(dir, name, text, strlen(text), 0600);
	free(text);	/* jansson's allocator */
	return r;
}

int
wk_agent_session_remove(const char *state_dir, const char *session_id)
{
	char path[4096];
	int dfd;

	if ((size_t)snprintf(path, sizeof(path), "%s/" WK_AGENT_SESSIONS_DIR
	    "/%s.json", state_dir, session_id) >= sizeof(path))
		return WK_ERR_TOOBIG;
	if (unlink(path) != 0 && errno != ENOENT)
		return WK_ERR_IO;
	*strrchr(path, '/') = '\0';
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

static bool
copy_str(const json_t *o, const char *k, char *dst, size_t dstsz)
{
	const char *v = json_string_value(json_object_get(o, k));

	if (v == NULL || strlen(v) >= dstsz)
		return false;
	memcpy(dst, v, strlen(v) + 1);
	return true;
}

static bool
parse_file(const char *path, struct wk_agent_session *s)
{
	json_t *o, *pid, *at;
	bool ok;

	memset(s, 0, sizeof(*s));
	if ((o = json_load_file(path, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return false;
	pid = json_object_get(o, "pid");
	at = json_object_get(o, "opened_at");
	ok = json_is_integer(pid) && json_integer_value(pid) > 0 &&
	    json_is_integer(at) &&
	    copy_str(o, "session_id", s->session_id, sizeof(s->session_id)) &&
	    copy_str(o, "pid_start", s->pid_start, sizeof(s->pid_start)) &&
	    copy_str(o, "os_user", s->os_user, sizeof(s->os_user)) &&
	    copy_str(o, "fingerprint", s->fingerprint,
	    sizeof(s->fingerprint)) &&
	    copy_str(o, "request_id", s->request_id, sizeof(s->request_id)) &&
	    copy_str(o, "caller_arn", s->caller_arn, sizeof(s->caller_arn)) &&
	    copy_str(o, "instance_id", s->instance_id,
	    sizeof(s->instance_id)) &&
	    copy_str(o, "tty", s->tty, sizeof(s->tty)) &&
	    copy_str(o, "source", s->source, sizeof(s->source)) &&
	    strlen(s->session_id) == WK_AGENT_SESSION_ID_LEN;
	if (ok) {
		s->pid = (long)json_integer_value(pid);
		s->opened_at = (int64_t)json_integer_value(at);
	}
	json_decref(o);
	return ok;
}

int
wk_agent_sessions_list(const char *state_dir, struct wk_agent_session **out,
    size_t *n)
{
	struct wk_agent_session *v = NULL, *nv;
	char dir[4096], path[4400];
	struct dirent *de;
	size_t cnt = 0, cap = 0, len;
	DIR *d;

	*out = NULL;
	*n = 0;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/" WK_AGENT_SESSIONS_DIR,
	    state_dir) >= sizeof(dir))
		return WK_ERR_TOOBIG;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : WK_ERR_IO;
	while ((de = readdir(d)) != NULL && cnt < WK_AGENT_MAX_SESSIONS) {
		len = strlen(de->d_name);
		if (len != WK_AGENT_SESSION_ID_LEN + 5 || de->d_name[0] != 's' ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (cnt == cap) {
			cap = cap ? 2 * cap : 8;
			if ((nv = wk_realloc(v, cap * sizeof(*v))) == NULL) {
				closedir(d);
				wk_free(v);
				return WK_ERR_NOMEM;
			}
			v = nv;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (parse_file(path, &v[cnt]))
			cnt++;
	}
	closedir(d);
	*out = v;
	*n = cnt;
	return 0;
}

void
wk_agent_sessions_free(struct wk_agent_session *s, size_t n)
{
	(void)n;
	wk_free(s);
}

int
wk_agent_session_end(const char *state_dir, const struct wk_agent_session *s,
    const char *why)
{
	int r;

	if ((r = wk_agent_queue_add(state_dir, s, false, wk_wall_ms())) != 0)
		return r;
	wk_log(WK_LOG_INFO, "session_close", "session=%s user=%s pid=%ld "
	    "reason=%s", s->session_id, s->os_user, s->pid, why);
	return wk_agent_session_remove(state_dir, s->session_id);
}

size_t
wk_agent_sessions_reap(const char *state_dir)
{
	struct wk_agent_session *v = NULL;
	size_t n = 0, i, ended = 0;

	if (wk_agent_sessions_list(state_dir, &v, &n) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!wk_agent_session_alive(&v[i]) &&
		    wk_agent_session_end(state_dir, &v[i], "process_gone") == 0)
			ended++;
	wk_agent_sessions_free(v, n);
	return ended;
}
