/*
 * sessions.h - the agent's logins (docs/sessions.md): the local session
 * registry (one file per open login, the contract with revocation) and
 * the durable queue of Login/Logout reports for wicketd.
 *
 * Registry: STATE/sessions/<session_id>.json (directory 0700), written
 * atomically when pam_wicket reports a session open, removed when it
 * reports it closed or when the agent finds the process gone (at start
 * and every few seconds). Members, all always present:
 *   session_id ("s-" + 16 hex), pid, pid_start (field 22 of
 *   /proc/PID/stat, decimal string), os_user, fingerprint, request_id,
 *   caller_arn, instance_id, tty ("pts/3" or ""), source ("" when none),
 *   opened_at (epoch seconds).
 *
 * pid is the process that called pam_open_session: with UsePAM, sshd
 * opens the PAM session in the per-connection privileged monitor
 * ("sshd: user [priv]", root), which lives exactly as long as the
 * connection and also calls pam_close_session when it ends. Killing it
 * ends the login (its unprivileged child and the user's shell lose their
 * connection); it is never a process the user controls. pid_start tells a
 * reused pid apart.
 *
 * Queue: STATE/session-queue/<20-digit sequence>.json, one report each,
 * written with fsync (file and directory) before pam_wicket hears OK,
 * sent to wicketd oldest first and removed only after wicketd answered
 * 200 (it recognises a re-sent event id, so each event is stored once).
 */
#ifndef WK_AGENT_SESSIONS_H
#define WK_AGENT_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WK_AGENT_SESSIONS_DIR "sessions"
#define WK_AGENT_QUEUE_DIR "session-queue"
#define WK_AGENT_SESSION_ID_LEN 18	/* "s-" + 16 hex */
#define WK_AGENT_MAX_SESSIONS 4096	/* registry files read, at most */

struct wk_agent_session {
	char session_id[WK_AGENT_SESSION_ID_LEN + 1];
	long pid;
	char pid_start[24];
	char os_user[33];
	char fingerprint[64];
	char request_id[64];
	char caller_arn[512];
	char instance_id[20];
	char tty[64];
	char source[64];
	int64_t opened_at;
};

/*
 * Every well-formed registry file, in no particular order (malformed
 * files are skipped). An absent directory is an empty list.
 */
int wk_agent_sessions_list(const char *state_dir,
    struct wk_agent_session **out, size_t *n);
void wk_agent_sessions_free(struct wk_agent_session *s, size_t n);

/* Field 22 of /proc/PID/stat (start time in clock ticks) as text. */
int wk_agent_pid_start(long pid, char *out, size_t outsz);
/* True when pid runs and started at pid_start (not a reused pid). */
bool wk_agent_session_alive(const struct wk_agent_session *s);
/* Writes (atomically) or removes one registry file. */
int wk_agent_session_write(const char *state_dir,
    const struct wk_agent_session *s);
int wk_agent_session_remove(const char *state_dir, const char *session_id);
/* Queues s's Logout (now) and removes its registry file. */
int wk_agent_session_end(const char *state_dir,
    const struct wk_agent_session *s, const char *why);
/* Ends every registered session whose process is gone; how many. */
size_t wk_agent_sessions_reap(const char *state_dir);
/* A new random "s-..." (or "e-..." with prefix 'e') id. */
int wk_agent_session_new_id(char prefix, char out[static 19]);

/* ---- the login's terminal (session_tty.c) ---- */
/*
 * The pty sshd gave the session ("pts/N"): the one whose master side the
 * monitor process pid (started at pid_start, under `proc`, "/proc"
 * normally) holds, its lowest such descriptor. WK_ERR_NOTFOUND when it
 * holds none (no terminal, or not yet) or is not that process any more.
 */
int wk_agent_session_tty(const char *proc, long pid, const char *pid_start,
    char *out, size_t outsz);
/* Has a grandchild of pid started (the session's shell or command)? */
bool wk_agent_session_started(const char *proc, long pid);
/*
 * How long a queued Login with no terminal yet waits for one before it is
 * sent without (a session that never asked for a pty).
 */
#define WK_AGENT_TTY_WAIT_MS 3000
/* ... or, once its command runs without one, at least this long. */
#define WK_AGENT_TTY_STARTED_MS 1000
/*
 * For a queued Login event with an empty "tty": fills it (and the
 * registry entry) once the session's terminal exists. False when the
 * event should wait (no terminal yet, the session still running, its
 * command not started, younger than WK_AGENT_TTY_WAIT_MS).
 */
struct json_t;
bool wk_agent_queue_login_tty(const char *state_dir, struct json_t *ev,
    int64_t now_ms);

/* ---- the queue (session_queue.c) ---- */
/*
 * Appends a Login (closed_ms 0) or Logout report for s, durably, with a
 * fresh event id. Reports keep the order they were queued in.
 */
int wk_agent_queue_add(const char *state_dir, const struct wk_agent_session *s,
    bool login, int64_t time_ms);
/*
 * The oldest reports (at most max) as the body wicketd takes
 * ({"events": [...]}, a new string to free with wk_free) and how many;
 * *names gets their file names (free with wk_agent_queue_names_free).
 * *n == 0: nothing queued. A file that cannot be read is dropped (logged).
 */
int wk_agent_queue_peek(const char *state_dir, size_t max, char **body,
    char ***names, size_t *n);
/* Removes the reports wicketd accepted. */
int wk_agent_queue_drop(const char *state_dir, char **names, size_t n);
void wk_agent_queue_names_free(char **names, size_t n);

/* ---- the journal (journal.c) ---- */
/*
 * One worker thread makes every change to sessions/ and session-queue/
 * durable, one job at a time, in the order the jobs were submitted, so
 * the agent's event loop never waits for the disk (a key lookup from
 * wicket-authorized-keys, which has 500 ms in all, must never queue
 * behind an fsync) and the queue's sequence numbers (a directory scan +
 * 1) never collide. While a journal runs, nothing else writes those two
 * directories; the loop may read them (files appear by rename, whole).
 *
 * A job is submitted by the loop thread and given back to it: the
 * worker wakes the loop through wk_agent_journal_fd, and
 * wk_agent_journal_dispatch (on the loop thread) calls each finished
 * job's done callback in the order the jobs finished (= were submitted),
 * then frees the job with whatever the callback left in it.
 */
enum wk_agent_job_kind {
	WK_AGENT_JOB_OPEN,	/* in: ses, time_ms. registry file + Login */
	WK_AGENT_JOB_CLOSE,	/* in: ses.pid, ses.os_user. out: ended */
	WK_AGENT_JOB_REAP,	/* out: ended (wk_agent_sessions_reap) */
	WK_AGENT_JOB_PEEK,	/* in: max. out: body, names, n */
	WK_AGENT_JOB_DROP,	/* in: names, n (the job owns them) */
};

struct wk_agent_job {
	enum wk_agent_job_kind kind;
	struct wk_agent_session ses;
	int64_t time_ms;
	size_t max;
	char **names;		/* freed with the job unless taken */
	size_t n;
	char *body;		/* freed with the job unless taken */
	size_t ended;
	int r;			/* the outcome: 0 or a WK_ERR_* */
	/* the submitter's: called on the loop thread; may be NULL */
	void (*done)(struct wk_agent_job *job, void *arg);
	void *arg;
	uint64_t tag;
	struct wk_agent_job *next;	/* the journal's */
};

struct wk_agent_journal;

/* A zeroed job of that kind (NULL: out of memory). */
struct wk_agent_job *wk_agent_job_new(enum wk_agent_job_kind kind);
void wk_agent_job_free(struct wk_agent_job *job);
/* Starts the worker for state_dir (which must outlive the journal). */
int wk_agent_journal_new(const char *state_dir,
    struct wk_agent_journal **out);
/* Readable (POLLIN) when finished jobs wait for wk_agent_journal_dispatch. */
int wk_agent_journal_fd(const struct wk_agent_journal *j);
/*
 * Queues job (0: the journal owns it until its callback ran). After
 * wk_agent_journal_stop: WK_ERR_UNAVAIL, and the caller keeps it.
 */
int wk_agent_journal_submit(struct wk_agent_journal *j,
    struct wk_agent_job *job);
/* Calls the finished jobs' callbacks and frees the jobs (loop thread). */
void wk_agent_journal_dispatch(struct wk_agent_journal *j);
/*
 * How many jobs that may have queued a report (OPEN, CLOSE, a REAP that
 * ended a session) have finished: a change means the queue may have
 * grown since the caller last looked.
 */
uint64_t wk_agent_journal_queued(struct wk_agent_journal *j);
/*
 * Finishes every job submitted so far (none is lost), then stops the
 * worker; their callbacks wait for the next wk_agent_journal_dispatch.
 * Idempotent.
 */
void wk_agent_journal_stop(struct wk_agent_journal *j);
/* Stops, then frees finished jobs without calling their callbacks. */
void wk_agent_journal_free(struct wk_agent_journal *j);

#endif
