/*
 * revoke_sessions.c - what revocation needs of the session registry
 * (STATE/sessions/<session_id>.json, written by the agent when pam_wicket
 * reports a login; format in docs/revocation.md) and of the processes it
 * names (entries are read by sessions.c): the start time of a process, and
 * signalling a session's process only when
 * it is still the very process the entry named (its start time, field 22
 * of /proc/PID/stat, equals the entry's pid_start): a pid reused by
 * another process is never signalled.
 */
#include "agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"

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
