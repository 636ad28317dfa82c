/*
 * sock.c - the agent's Unix socket server for wicket-authorized-keys.
 * Non-blocking, driven by the caller's event loop (run.c hands our
 * descriptors to curl_multi_poll), so lookups are answered while a
 * long-poll to wicketd is held. Every client gets WK_SOCK_TIMEOUT_MS in
 * all and at most WK_SOCK_MAX_REQUEST bytes of request. Nothing here
 * touches the disk: SESSION-OPEN and SESSION-CLOSE become journal jobs
 * (sessions.h), and their client waits, without poll events, for its job
 * to be durable while every other client is served.
 */
#include "agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/sessions.h"
#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "crypto/keyrec.h"

#define SOCK_MAX_CLIENTS 32
/* an answer later than this after the connection is logged (a stall) */
#define SOCK_SLOW_ANSWER_MS 100

struct sock_client {
	int fd;				/* -1: free slot */
	bool root;			/* SO_PEERCRED uid 0: may CONSUME */
	uint64_t accepted_ms;
	uint64_t deadline_ms;
	const char *verb;		/* for the slow-answer log */
	uint64_t job_tag;		/* != 0: waiting for that journal job */
	uint8_t in[WK_SOCK_MAX_REQUEST];
	size_t inlen;
	bool writing;
	struct wk_buf out;
	size_t outoff;
};

struct wk_agent_sock {
	int lfd;
	char *path;
	struct wk_keystore *ks;
	struct wk_agent_journal *jn;	/* sessions: NULL until set */
	const char *instance_id;
	uint64_t next_tag;
	struct sock_client clients[SOCK_MAX_CLIENTS];
};

void
wk_agent_sock_set_sessions(struct wk_agent_sock *s,
    struct wk_agent_journal *jn, const char *instance_id)
{
	s->jn = jn;
	s->instance_id = instance_id;
}

size_t
wk_agent_sock_maxfds(void)
{
	return SOCK_MAX_CLIENTS + 1;
}

int
wk_agent_sock_group(const char *name, gid_t *out)
{
	struct group *gr;
	struct passwd *pw;

	*out = (gid_t)-1;
	if (name == NULL) {
		if ((pw = getpwnam(WK_AGENT_DEFAULT_AK_USER)) != NULL)
			*out = pw->pw_gid;
		return 0;
	}
	if ((gr = getgrnam(name)) == NULL)
		return WK_ERR_NOTFOUND;
	*out = gr->gr_gid;
	return 0;
}

static int
make_parent(const char *path, gid_t gid)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	struct stat st;

	if (strlen(path) >= sizeof(dir))
		return WK_ERR_TOOBIG;
	memcpy(dir, path, strlen(path) + 1);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : WK_ERR_INVAL;
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return WK_ERR_IO;
	/* The helper's user must be able to traverse it. */
	if (gid != (gid_t)-1 && chown(dir, (uid_t)-1, gid) != 0)
		return WK_ERR_IO;
	return 0;
}

/* Removes a stale socket; refuses when a live agent answers on it. */
static int
clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st) != 0)
		return errno == ENOENT ? 0 : WK_ERR_IO;
	if (!S_ISSOCK(st.st_mode))
		return WK_ERR_EXISTS;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return WK_ERR_IO;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (r == 0)
		return WK_ERR_EXISTS;	/* another agent is serving */
	if (unlink(sa->sun_path) != 0 && errno != ENOENT)
		return WK_ERR_IO;
	return 0;
}

int
wk_agent_sock_open(const char *path, gid_t gid, struct wk_keystore *ks,
    struct wk_agent_sock **out)
{
	struct wk_agent_sock *s = NULL;
	struct sockaddr_un sa;
	mode_t old_mask;
	size_t i;
	int r;

	*out = NULL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path))
		return WK_ERR_INVAL;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((s = wk_calloc(1, sizeof(*s))) == NULL)
		return WK_ERR_NOMEM;
	s->lfd = -1;
	s->ks = ks;
	for (i = 0; i < SOCK_MAX_CLIENTS; i++) {
		s->clients[i].fd = -1;
		wk_buf_init(&s->clients[i].out, WK_SOCK_MAX_REPLY);
	}
	if ((s->path = wk_strdup(path)) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	if ((r = make_parent(path, gid)) != 0 || (r = clear_stale(&sa)) != 0)
		goto out;
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		r = WK_ERR_IO;
		goto out;
	}
	old_mask = umask(0177);	/* born 0600, widened below */
	r = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (r != 0) {
		r = WK_ERR_IO;
		goto out;
	}
	if ((gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) != 0) ||
	    chmod(path, 0660) != 0 || listen(s->lfd, 128) != 0) {
		r = WK_ERR_IO;
		unlink(path);
		goto out;
	}
	*out = s;
	s = NULL;
	r = 0;
 out:
	if (s != NULL) {
		if (s->lfd >= 0)
			close(s->lfd);
		wk_free(s->path);
		wk_free(s);
	}
	return r;
}

static void
client_close(struct sock_client *c)
{
	uint8_t sink[512];
	int i;

	if (c->fd < 0)
		return;
	/*
	 * Unread input makes close() reset the connection, and the peer
	 * could lose our reply (e.g. "ERR too-long"): drain a little first.
	 */
	for (i = 0; i < 8 && read(c->fd, sink, sizeof(sink)) > 0; i++)
		continue;
	close(c->fd);
	c->fd = -1;
	c->inlen = 0;
	c->writing = false;
	c->outoff = 0;
	c->job_tag = 0;
	wk_buf_cleanup(&c->out);
}

void
wk_agent_sock_close(struct wk_agent_sock *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < SOCK_MAX_CLIENTS; i++)
		client_close(&s->clients[i]);
	if (s->lfd >= 0) {
		close(s->lfd);
		unlink(s->path);
	}
	wk_free(s->path);
	wk_free(s);
}

size_t
wk_agent_sock_pollfds(const struct wk_agent_sock *s, struct pollfd *fds,
    size_t max)
{
	size_t i, n = 0;

	/* While every slot is busy, new clients wait in the backlog. */
	for (i = 0; i < SOCK_MAX_CLIENTS; i++)
		if (s->clients[i].fd < 0)
			break;
	if (n < max && s->lfd >= 0 && i < SOCK_MAX_CLIENTS) {
		fds[n].fd = s->lfd;
		fds[n].events = POLLIN;
		fds[n++].revents = 0;
	}
	for (i = 0; i < SOCK_MAX_CLIENTS && n < max; i++) {
		const struct sock_client *c = &s->clients[i];

		if (c->fd < 0 || c->job_tag != 0)
			continue;	/* free, or waiting for the journal */
		fds[n].fd = c->fd;
		fds[n].events = c->writing ? POLLOUT : POLLIN;
		fds[n++].revents = 0;
	}
	return n;
}

int
wk_agent_sock_timeout_ms(const struct wk_agent_sock *s)
{
	uint64_t now = wk_mono_ms(), best = UINT64_MAX;
	size_t i;

	for (i = 0; i < SOCK_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0 && s->clients[i].deadline_ms < best)
			best = s->clients[i].deadline_ms;
	if (best == UINT64_MAX)
		return -1;
	return best <= now ? 0 : (int)(best - now);
}

static bool
peer_is_root(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    len != sizeof(cred))
		return false;
	return cred.uid == 0;
}

static void
accept_all(struct wk_agent_sock *s)
{
	struct sock_client *c;
	size_t i;
	int fd;

	for (;;) {
		c = NULL;
		for (i = 0; i < SOCK_MAX_CLIENTS; i++) {
			if (s->clients[i].fd < 0) {
				c = &s->clients[i];
				break;
			}
		}
		if (c == NULL)
			return;	/* full: the rest wait in the backlog */
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;	/* EAGAIN, or a transient error */
		c->fd = fd;
		c->root = peer_is_root(fd);
		c->accepted_ms = wk_mono_ms();
		c->deadline_ms = c->accepted_ms + WK_SOCK_TIMEOUT_MS;
		c->verb = "-";
		c->job_tag = 0;
		c->inlen = 0;
		c->writing = false;
		c->outoff = 0;
		wk_buf_init(&c->out, WK_SOCK_MAX_REPLY);
	}
}

static int
answer_consume(struct wk_agent_sock *s, struct sock_client *c,
    const struct wk_sock_req *req, const char **why)
{
	size_t n;

	if (!c->root) {
		*why = "denied";
		return WK_ERR_DENIED;
	}
	n = wk_keystore_consume(s->ks, req->user, req->fingerprint);
	wk_log(WK_LOG_INFO, "consume", "user=%s fingerprint=%s records=%zu",
	    req->user, req->fingerprint, n);
	return wk_buf_append_str(&c->out, "OK\n");
}

static void client_write(struct sock_client *c);

/*
 * A SESSION-* job is durable (or failed): its client, if it is still
 * there (not timed out), hears the outcome now.
 */
static void
session_job_done(struct wk_agent_job *job, void *arg)
{
	struct wk_agent_sock *s = arg;
	struct sock_client *c = NULL;
	size_t i;
	int r;

	for (i = 0; i < SOCK_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0 && s->clients[i].job_tag == job->tag) {
			c = &s->clients[i];
			break;
		}
	if (c == NULL)
		return;	/* gave up (deadline): the job counts all the same */
	c->job_tag = 0;
	wk_buf_reset(&c->out);
	if (job->r != 0)
		r = wk_agent_format_error(&c->out, "state");
	else if (job->kind == WK_AGENT_JOB_OPEN)
		r = wk_buf_appendf(&c->out, "OK %s\n", job->ses.session_id);
	else
		r = wk_buf_append_str(&c->out, "OK\n");
	if (r != 0) {
		client_close(c);
		return;
	}
	if (job->r != 0)
		wk_log(WK_LOG_INFO, "request_refused", "reason=state");
	c->writing = true;
	c->outoff = 0;
	client_write(c);	/* usually writable at once */
}

/* Hands job to the journal; c waits for it (session_job_done). */
static int
submit_session_job(struct wk_agent_sock *s, struct sock_client *c,
    struct wk_agent_job *job, const char **why)
{
	int r;

	if (++s->next_tag == 0)
		s->next_tag = 1;
	job->tag = s->next_tag;
	job->done = session_job_done;
	job->arg = s;
	if ((r = wk_agent_journal_submit(s->jn, job)) != 0) {
		wk_agent_job_free(job);
		*why = "state";
		return r;
	}
	c->job_tag = job->tag;
	return 0;
}

/*
 * pam_wicket opened a session: when a held record has the key that logged
 * in, the journal registers the session and queues its Login; the client
 * hears OK once both are durable.
 */
static int
answer_session_open(struct wk_agent_sock *s, struct sock_client *c,
    const struct wk_sock_req *req, const char **why)
{
	struct wk_agent_job *job;
	struct wk_agent_session *ses;
	struct wk_keyrec rec;
	int64_t now_ms = wk_wall_ms();
	int r;

	if (!c->root) {
		*why = "denied";
		return WK_ERR_DENIED;
	}
	if (s->jn == NULL) {
		*why = "unsupported";
		return WK_ERR_INVAL;
	}
	if (wk_keystore_find(s->ks, req->user, req->fingerprint,
	    wk_wall_now(), &rec) != 0) {
		wk_log(WK_LOG_INFO, "session_not_wicket", "user=%s "
		    "fingerprint=%s pid=%ld", req->user, req->fingerprint,
		    req->pid);
		return wk_buf_append_str(&c->out, "OK none\n");
	}
	if ((job = wk_agent_job_new(WK_AGENT_JOB_OPEN)) == NULL)
		return WK_ERR_NOMEM;
	ses = &job->ses;
	if ((r = wk_agent_session_new_id('s', ses->session_id)) != 0 ||
	    (r = wk_agent_pid_start(req->pid, ses->pid_start,
	    sizeof(ses->pid_start))) != 0) {
		wk_agent_job_free(job);
		*why = "pid";
		return r;
	}
	ses->pid = req->pid;
	snprintf(ses->os_user, sizeof(ses->os_user), "%s", req->user);
	snprintf(ses->fingerprint, sizeof(ses->fingerprint), "%s",
	    req->fingerprint);
	snprintf(ses->request_id, sizeof(ses->request_id), "%s",
	    rec.request_id);
	snprintf(ses->caller_arn, sizeof(ses->caller_arn), "%s",
	    rec.caller_arn);
	snprintf(ses->instance_id, sizeof(ses->instance_id), "%s",
	    s->instance_id);
	/* "/dev/pts/3" -> "pts/3"; sshd's "ssh" (no terminal) -> "" */
	if (strncmp(req->tty, "/dev/", 5) == 0)
		snprintf(ses->tty, sizeof(ses->tty), "%s", req->tty + 5);
	snprintf(ses->source, sizeof(ses->source), "%s", req->rhost);
	ses->opened_at = now_ms / 1000;
	job->time_ms = now_ms;
	return submit_session_job(s, c, job, why);
}

/* pam_wicket closed a session: the journal queues the Logout of pid's. */
static int
answer_session_close(struct wk_agent_sock *s, struct sock_client *c,
    const struct wk_sock_req *req, const char **why)
{
	struct wk_agent_job *job;

	if (!c->root) {
		*why = "denied";
		return WK_ERR_DENIED;
	}
	if (s->jn == NULL) {
		*why = "unsupported";
		return WK_ERR_INVAL;
	}
	if ((job = wk_agent_job_new(WK_AGENT_JOB_CLOSE)) == NULL)
		return WK_ERR_NOMEM;
	job->ses.pid = req->pid;
	snprintf(job->ses.os_user, sizeof(job->ses.os_user), "%s", req->user);
	return submit_session_job(s, c, job, why);
}

static void
client_answer(struct wk_agent_sock *s, struct sock_client *c)
{
	struct wk_span recs[WK_SOCK_MAX_RECORDS];
	struct wk_sock_req req;
	const char *why = NULL;
	size_t n;
	int r;

	r = wk_agent_parse_req(wk_span_from_mem(c->in, c->inlen), &req, &why);
	if (r == 0 && req.verb == WK_SOCK_CONSUME) {
		c->verb = "CONSUME";
		r = answer_consume(s, c, &req, &why);
	} else if (r == 0 && req.verb == WK_SOCK_SESSION_OPEN) {
		c->verb = "SESSION-OPEN";
		r = answer_session_open(s, c, &req, &why);
	} else if (r == 0 && req.verb == WK_SOCK_SESSION_CLOSE) {
		c->verb = "SESSION-CLOSE";
		r = answer_session_close(s, c, &req, &why);
	} else if (r == 0) {
		c->verb = "LOOKUP";
		if (req.conn[0] != '\0')
			n = wk_keystore_lookup_lease(s->ks, req.user,
			    req.fingerprint, req.conn, wk_wall_now(),
			    wk_mono_ms(), recs, WK_SOCK_MAX_RECORDS);
		else if (c->root)	/* inspection: tools, tests */
			n = wk_keystore_lookup(s->ks, req.user, wk_wall_now(),
			    recs, WK_SOCK_MAX_RECORDS);
		else			/* no lease: multi-use only */
			n = wk_keystore_lookup_lease(s->ks, req.user, NULL,
			    NULL, wk_wall_now(), wk_mono_ms(), recs,
			    WK_SOCK_MAX_RECORDS);
		r = wk_agent_format_reply(&c->out, recs, n);
		wk_log(WK_LOG_DEBUG, "lookup", "user=%s records=%zu conn=%s",
		    req.user, n, req.conn[0] != '\0' ? req.conn : "-");
	}
	if (r != 0) {
		wk_buf_reset(&c->out);
		if (wk_agent_format_error(&c->out,
		    why != NULL ? why : "internal") != 0) {
			client_close(c);
			return;
		}
		wk_log(WK_LOG_INFO, "request_refused", "reason=%s",
		    why != NULL ? why : wk_strerror(r));
	} else if (c->job_tag != 0) {
		return;	/* answered when its journal job is durable */
	}
	c->writing = true;
	c->outoff = 0;
}

static void
client_read(struct wk_agent_sock *s, struct sock_client *c)
{
	ssize_t got;

	for (;;) {
		if (c->inlen == sizeof(c->in)) {
			/* Full and no newline yet: over the limit. */
			wk_buf_reset(&c->out);
			if (wk_agent_format_error(&c->out, "too-long") != 0) {
				client_close(c);
				return;
			}
			c->writing = true;
			return;
		}
		got = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			client_close(c);
			return;
		}
		if (got == 0) {
			client_close(c);	/* gave up before a full line */
			return;
		}
		c->inlen += (size_t)got;
		if (memchr(c->in, '\n', c->inlen) != NULL) {
			client_answer(s, c);
			return;
		}
	}
}

static void
client_write(struct sock_client *c)
{
	uint64_t took;
	ssize_t put;

	while (c->outoff < c->out.len) {
		put = send(c->fd, c->out.p + c->outoff, c->out.len - c->outoff,
		    MSG_NOSIGNAL);
		if (put < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			client_close(c);
			return;
		}
		c->outoff += (size_t)put;
	}
	/* a stall (the loop or the journal) shows here before it hurts */
	took = wk_mono_ms() - c->accepted_ms;
	if (took > SOCK_SLOW_ANSWER_MS)
		wk_log(WK_LOG_WARN, "sock_slow_answer", "verb=%s ms=%llu",
		    c->verb, (unsigned long long)took);
	client_close(c);	/* one request per connection */
}

void
wk_agent_sock_handle(struct wk_agent_sock *s, const struct pollfd *fds,
    size_t n)
{
	uint64_t now;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (fds[i].revents == 0)
			continue;
		if (fds[i].fd == s->lfd) {
			accept_all(s);
			continue;
		}
		for (j = 0; j < SOCK_MAX_CLIENTS; j++) {
			struct sock_client *c = &s->clients[j];

			if (c->fd != fds[i].fd)
				continue;
			if (c->writing)
				client_write(c);
			else
				client_read(s, c);
			/* A reply ready now is usually writable at once. */
			if (c->fd >= 0 && c->writing)
				client_write(c);
			break;
		}
	}
	now = wk_mono_ms();
	for (j = 0; j < SOCK_MAX_CLIENTS; j++) {
		if (s->clients[j].fd >= 0 && s->clients[j].deadline_ms <= now) {
			wk_log(WK_LOG_INFO, "sock_timeout", "deadline_ms=%d "
			    "verb=%s", WK_SOCK_TIMEOUT_MS, s->clients[j].verb);
			client_close(&s->clients[j]);
		}
	}
}

int
wk_agent_sock_step(struct wk_agent_sock *s, int timeout_ms)
{
	struct pollfd fds[SOCK_MAX_CLIENTS + 2];
	size_t n;
	int t, r;

	/* fds[0]: the journal's finished jobs, when there is a journal */
	fds[0].fd = s->jn != NULL ? wk_agent_journal_fd(s->jn) : -1;
	fds[0].events = POLLIN;
	fds[0].revents = 0;
	n = 1 + wk_agent_sock_pollfds(s, fds + 1, SOCK_MAX_CLIENTS + 1);
	t = wk_agent_sock_timeout_ms(s);
	if (t < 0 || t > timeout_ms)
		t = timeout_ms;
	r = poll(fds, n, t);
	if (r < 0)
		return errno == EINTR ? 0 : WK_ERR_IO;
	wk_agent_sock_handle(s, fds + 1, n - 1);
	if (fds[0].revents != 0)
		wk_agent_journal_dispatch(s->jn);
	return 0;
}
