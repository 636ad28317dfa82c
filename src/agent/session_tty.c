/*
 * session_tty.c - the terminal of a login (agent/sessions.h).
 *
 * Stock OpenSSH opens the PAM session before the login's pseudo-terminal
 * exists, so pam_wicket's PAM_TTY is empty. The terminal is allocated a
 * moment later by the same process pam_wicket reported: sshd's
 * per-connection privileged monitor (root), which keeps the pty's master
 * side open for as long as the session lasts. So the agent reads the
 * monitor's own descriptors: the lowest one open on the pty multiplexer
 * (/dev/ptmx) and its "tty-index" in /proc/PID/fdinfo/N give "pts/N".
 *
 * Why there, and not the controlling terminal of the session's processes
 * (/proc/PID/stat tty_nr): every process below the monitor's child runs
 * as the user, who can give any of them another terminal (script(1),
 * setsid + a pty of their own). The monitor is root and runs no user
 * code; its descriptors say which pty sshd gave the session. Nothing is
 * followed: /proc/PID/fd/N is only readlink(2)ed (a kernel-made name, not
 * a path opened) and fdinfo is read with O_NOFOLLOW; the process is
 * checked against the registry's pid_start before and after, so a reused
 * pid is never read as the session.
 */
#include "agent/sessions.h"

#include <dirent.h>
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "common/err.h"
#include "common/log.h"

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool
same_process(const char *proc, long pid, const char *pid_start)
{
	char now[32];

	return pid_start[0] != '\0' &&
	    wk_agent_proc_start(proc, pid, now, sizeof(now)) == 0 &&
	    strcmp(now, pid_start) == 0;
}

/* "tty-index:\tN" of /proc/PID/fdinfo/FD; -1 when absent. */
static long
tty_index(const char *proc, long pid, long fd)
{
	char path[256], buf[1024], *p, *end;
	ssize_t got;
	long v;
	int f;

	snprintf(path, sizeof(path), "%s/%ld/fdinfo/%ld", proc, pid, fd);
	if ((f = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	got = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (got <= 0)
		return -1;
	buf[got] = '\0';
	if ((p = strstr(buf, "\ntty-index:")) == NULL)
		return -1;
	p += strlen("\ntty-index:");
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	v = strtol(p, &end, 10);
	if (errno != 0 || (*end != '\n' && *end != '\0') || v < 0 ||
	    v > 1048575)
		return -1;
	return v;
}

int
wk_agent_session_tty(const char *proc, long pid, const char *pid_start,
    char *out, size_t outsz)
{
	char path[256], target[64];
	struct dirent *de;
	long fd, best_fd = LONG_MAX, idx;
	ssize_t n;
	DIR *d;
	int dfd;

	out[0] = '\0';
	if (pid <= 1 || !same_process(proc, pid, pid_start))
		return WK_ERR_NOTFOUND;
	snprintf(path, sizeof(path), "%s/%ld/fd", proc, pid);
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return WK_ERR_NOTFOUND;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return WK_ERR_NOTFOUND;
	}
	while ((de = readdir(d)) != NULL) {
		if (!all_digits(de->d_name) || strlen(de->d_name) > 9)
			continue;
		fd = strtol(de->d_name, NULL, 10);
		if (fd >= best_fd)
			continue;
		n = readlinkat(dirfd(d), de->d_name, target,
		    sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "/dev/ptmx") == 0 ||
		    strcmp(target, "/dev/pts/ptmx") == 0)
			best_fd = fd;
	}
	closedir(d);
	if (best_fd == LONG_MAX)
		return WK_ERR_NOTFOUND;	/* no terminal (yet) */
	if ((idx = tty_index(proc, pid, best_fd)) < 0)
		return WK_ERR_NOTFOUND;
	/* still the registry's process: what was read is its own */
	if (!same_process(proc, pid, pid_start))
		return WK_ERR_NOTFOUND;
	if ((size_t)snprintf(out, outsz, "pts/%ld", idx) >= outsz) {
		out[0] = '\0';
		return WK_ERR_TOOBIG;
	}
	return 0;
}

/*
 * Has the session's command started? A process whose parent is a child
 * of pid (sshd's unprivileged child runs the shell or command): sshd
 * allocates a requested terminal before it starts the command, so a
 * session with a command and no terminal has none.
 */
bool
wk_agent_session_started(const char *proc, long pid)
{
	char path[300], buf[512], *p;
	long kids[64], ppid;
	size_t nkids = 0, i, pass;
	struct dirent *de;
	ssize_t got;
	DIR *d;
	int f;

	for (pass = 0; pass < 2; pass++) {
		if ((d = opendir(proc)) == NULL)
			return false;
		while ((de = readdir(d)) != NULL) {
			if (!all_digits(de->d_name) || strlen(de->d_name) > 9)
				continue;
			snprintf(path, sizeof(path), "%s/%s/stat", proc,
			    de->d_name);
			if ((f = open(path, O_RDONLY | O_NOFOLLOW |
			    O_CLOEXEC)) < 0)
				continue;
			got = read(f, buf, sizeof(buf) - 1);
			close(f);
			if (got <= 0)
				continue;
			buf[got] = '\0';
			/* "pid (comm) S ppid ...": after the last ')' */
			if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' ||
			    p[2] == '\0' || p[3] != ' ')
				continue;
			ppid = strtol(p + 4, NULL, 10);
			if (pass == 0) {
				if (ppid == pid && nkids < 64)
					kids[nkids++] = strtol(de->d_name,
					    NULL, 10);
				continue;
			}
			for (i = 0; i < nkids; i++)
				if (ppid == kids[i]) {
					closedir(d);
					return true;
				}
		}
		closedir(d);
		if (nkids == 0)
			return false;
	}
	return false;
}

bool
wk_agent_queue_login_tty(const char *state_dir, json_t *ev, int64_t now_ms)
{
	struct wk_agent_session *v = NULL;
	const char *type = json_string_value(json_object_get(ev, "type"));
	const char *tty = json_string_value(json_object_get(ev, "tty"));
	const char *sid = json_string_value(json_object_get(ev, "session_id"));
	const json_t *t = json_object_get(ev, "time_ms");
	size_t n = 0, i;
	bool ready = true;
	char got[64];

	if (type == NULL || strcmp(type, "Login") != 0 || tty == NULL ||
	    tty[0] != '\0' || sid == NULL || !json_is_integer(t))
		return true;
	if (wk_agent_sessions_list(state_dir, &v, &n) != 0)
		return true;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].session_id, sid) == 0)
			break;
	if (i == n)
		goto out;	/* ended already: sent as it is */
	if (v[i].tty[0] != '\0') {
		snprintf(got, sizeof(got), "%s", v[i].tty);
	} else if (wk_agent_session_tty("/proc", v[i].pid, v[i].pid_start,
	    got, sizeof(got)) == 0) {
		snprintf(v[i].tty, sizeof(v[i].tty), "%s", got);
		if (wk_agent_session_write(state_dir, &v[i]) == 0)
			wk_log(WK_LOG_INFO, "session_tty", "session=%s "
			    "pid=%ld tty=%s", v[i].session_id, v[i].pid, got);
	} else {
		/* wait while it may still get one */
		int64_t age = now_ms - (int64_t)json_integer_value(t);

		ready = !wk_agent_session_alive(&v[i]) ||
		    age >= WK_AGENT_TTY_WAIT_MS ||
		    (age >= WK_AGENT_TTY_STARTED_MS &&
		    wk_agent_session_started("/proc", v[i].pid));
		goto out;
	}
	(void)json_object_set_new(ev, "tty", json_string(got));
 out:
	wk_agent_sessions_free(v, n);
	return ready;
}
