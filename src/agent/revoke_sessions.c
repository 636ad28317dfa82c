/*
 * revoke_sessions.c - what revocation needs of the session registry
 * (STATE/sessions/<session_id>.json, written by the agent when pam_wicket
 * reports a login; format in docs/revocation.md) and of the processes it
 * names: reading the entries, and signalling a session's process only when
 * it is still the very process the entry named (its start time, field 22
 * of /proc/PID/stat, equals the entry's pid_start): a pid reused by
 * another process is never signalled.
 */
#include "agent/agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"

#define ENTRY_MAX 8192
#define REGISTRY_MAX 4096

static bool
copy_str(const json_t *root, const char *name, char *dst, size_t dstsz,
    bool may_be_empty)
{
	const json_t *v = json_object_get(root, name);
	size_t len = json_string_length(v);

	if (!json_is_string(v) || len >= dstsz ||
	    strlen(json_string_value(v)) != len || (len == 0 && !may_be_empty))
		return false;
	memcpy(dst, json_string_value(v), len + 1);
	return true;
}

static bool
digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int
parse_entry(const char *text, size_t len, struct wk_agent_regentry *e)
{
	json_t *root, *pid, *opened;
	int r = WK_ERR_INVAL;

	memset(e, 0, sizeof(*e));
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)) ==
	    NULL)
		return WK_ERR_INVAL;
	pid = json_object_get(root, "pid");
	opened = json_object_get(root, "opened_at");
	if (!copy_str(root, "session_id", e->session_id,
	    sizeof(e->session_id), false) ||
	    !copy_str(root, "pid_start", e->pid_start, sizeof(e->pid_start),
	    false) || !digits(e->pid_start) ||
	    !copy_str(root, "os_user", e->os_user, sizeof(e->os_user), false) ||
	    !copy_str(root, "request_id", e->request_id,
	    sizeof(e->request_id), true) ||
	    !copy_str(root, "caller_arn", e->caller_arn,
	    sizeof(e->caller_arn), true) ||
	    !copy_str(root, "instance_id", e->instance_id,
	    sizeof(e->instance_id), true) ||
	    !json_is_integer(pid) || json_integer_value(pid) <= 1 ||
	    json_integer_value(pid) > 4194304 ||
	    !json_is_integer(opened) || json_integer_value(opened) < 0)
		goto out;
	e->pid = (long)json_integer_value(pid);
	e->opened_at = (int64_t)json_integer_value(opened);
	r = 0;
 out:
	json_decref(root);
	return r;
}

static int
read_entry(int dfd, const char *name, struct wk_agent_regentry *e)
{
	char buf[ENTRY_MAX];
	struct stat st;
	ssize_t got;
	int fd, r;

	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) < 0)
		return WK_ERR_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return WK_ERR_INVAL;
	}
	got = read(fd, buf, sizeof(buf));
	close(fd);
	if (got <= 0 || (size_t)got >= sizeof(buf))
		return WK_ERR_INVAL;
	r = parse_entry(buf, (size_t)got, e);
	return r;
}

int
wk_agent_registry_list(const char *state_dir, struct wk_agent_regentry **out,
    size_t *n)
{
	struct wk_agent_regentry *v = NULL, *nv;
	struct dirent *de;
	char path[4096];
	size_t cnt = 0, cap = 0, len;
	DIR *d;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/sessions", state_dir);
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT ? 0 : WK_ERR_IO;
	while ((de = readdir(d)) != NULL && cnt < REGISTRY_MAX) {
		len = strlen(de->d_name);
		if (len < 6 || strncmp(de->d_name, "s-", 2) != 0 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;	/* temp files and anything else */
		if (cnt == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = wk_realloc(v, cap * sizeof(*v))) == NULL) {
				closedir(d);
				wk_free(v);
				return WK_ERR_NOMEM;
			}
			v = nv;
		}
		if (read_entry(dirfd(d), de->d_name, &v[cnt]) != 0) {
			wk_log(WK_LOG_WARN, "session_entry_unreadable",
			    "file=%.64s action=skip", de->d_name);
			continue;
		}
		cnt++;
	}
	closedir(d);
	*out = v;
	*n = cnt;
	return 0;
}

int
wk_agent_proc_start(const char *proc, long pid, char *out, size_t outsz)
{
	char path[256], buf[2048], *p, *save = NULL, *tok;
	ssize_t got;
	int fd, field;

	snprintf(path, sizeof(path), "%s/%ld/stat", proc, pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return WK_ERR_NOTFOUND;
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return WK_ERR_NOTFOUND;
	buf[got] = '\0';
	/* the command (field 2) may hold spaces and parentheses: the fields
	 * after it start after the last ')' */
	if ((p = strrchr(buf, ')')) == NULL)
		return WK_ERR_INVAL;
	field = 2;
	for (tok = strtok_r(p + 1, " \n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \n", &save)) {
		if (++field == 22) {
			if (!digits(tok) || strlen(tok) >= outsz)
				return WK_ERR_INVAL;
			memcpy(out, tok, strlen(tok) + 1);
			return 0;
		}
	}
	return WK_ERR_INVAL;
}

int
wk_agent_proc_signal(const char *proc, long pid, const char *pid_start,
    int sig)
{
	char now[32];
	int pfd = -1, r;

	if (pid <= 1)
		return WK_ERR_DENIED;
	/*
	 * A pidfd taken before the check names one process for good: if its
	 * start time matches, the signal goes to that process even if it
	 * died and its pid was reused in between. Without pidfds (before
	 * Linux 5.3) kill(2) right after the check.
	 */
#ifdef SYS_pidfd_open
	pfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pfd < 0 && errno == ESRCH)
		return WK_ERR_NOTFOUND;
#endif
	r = wk_agent_proc_start(proc, pid, now, sizeof(now));
	if (r == 0 && strcmp(now, pid_start) != 0)
		r = WK_ERR_DENIED;
	else if (r != 0 && r != WK_ERR_NOTFOUND)
		r = WK_ERR_DENIED;
	if (r == 0) {
#ifdef SYS_pidfd_send_signal
		if (pfd >= 0)
			r = syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) ==
			    0 ? 0 : errno == ESRCH ? WK_ERR_NOTFOUND :
			    WK_ERR_IO;
		else
#endif
		r = kill((pid_t)pid, sig) == 0 ? 0 : errno == ESRCH ?
		    WK_ERR_NOTFOUND : WK_ERR_IO;
	}
	if (pfd >= 0)
		close(pfd);
	return r;
}
