/*
 * journal.c - the agent's session journal (agent/sessions.h): one worker
 * thread that does all the durable session bookkeeping (registry files,
 * the report queue, each write fsync'd) off the event loop, in
 * submission order, and hands finished jobs back to the loop through an
 * eventfd.
 */
#include "agent/sessions.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"

struct wk_agent_journal {
	const char *state_dir;
	int efd;
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu */
	struct wk_agent_job *todo, *todo_tail;
	struct wk_agent_job *done, *done_tail;
	bool stopping;
	uint64_t queued;
};

struct wk_agent_job *
wk_agent_job_new(enum wk_agent_job_kind kind)
{
	struct wk_agent_job *job;

	if ((job = wk_calloc(1, sizeof(*job))) == NULL)
		return NULL;
	job->kind = kind;
	return job;
}

void
wk_agent_job_free(struct wk_agent_job *job)
{
	if (job == NULL)
		return;
	wk_agent_queue_names_free(job->names, job->n);
	wk_free(job->body);
	wk_free(job);
}

/* The registry file, then the Login; neither is left without the other. */
static void
run_open(const char *dir, struct wk_agent_job *job)
{
	const struct wk_agent_session *s = &job->ses;

	if ((job->r = wk_agent_session_write(dir, s)) != 0 ||
	    (job->r = wk_agent_queue_add(dir, s, true, job->time_ms)) != 0) {
		(void)wk_agent_session_remove(dir, s->session_id);
		wk_log(WK_LOG_ERROR, "session_open_failed", "user=%s pid=%ld "
		    "error=%s", s->os_user, s->pid, wk_strerror(job->r));
		return;
	}
	wk_log(WK_LOG_INFO, "session_open", "session=%s user=%s pid=%ld "
	    "request_id=%s tty=%s source=%s", s->session_id, s->os_user,
	    s->pid, s->request_id, s->tty, s->source);
}

/* The Logout of every registered session of that pid and user. */
static void
run_close(const char *dir, struct wk_agent_job *job)
{
	struct wk_agent_session *v = NULL;
	size_t n = 0, i;

	if ((job->r = wk_agent_sessions_list(dir, &v, &n)) != 0)
		return;
	for (i = 0; i < n && job->r == 0; i++) {
		if (v[i].pid != job->ses.pid ||
		    strcmp(v[i].os_user, job->ses.os_user) != 0)
			continue;
		if ((job->r = wk_agent_session_end(dir, &v[i],
		    "logout")) == 0)
			job->ended++;
	}
	wk_agent_sessions_free(v, n);
}

static void
run_job(const char *dir, struct wk_agent_job *job)
{
	switch (job->kind) {
	case WK_AGENT_JOB_OPEN:
		run_open(dir, job);
		break;
	case WK_AGENT_JOB_CLOSE:
		run_close(dir, job);
		break;
	case WK_AGENT_JOB_REAP:
		job->ended = wk_agent_sessions_reap(dir);
		break;
	case WK_AGENT_JOB_PEEK:
		job->r = wk_agent_queue_peek(dir, job->max, &job->body,
		    &job->names, &job->n);
		break;
	case WK_AGENT_JOB_DROP:
		if ((job->r = wk_agent_queue_drop(dir, job->names,
		    job->n)) != 0)
			wk_log(WK_LOG_ERROR, "session_queue_drop_failed",
			    "dir=%s error=%s", dir, wk_strerror(job->r));
		break;
	default:
		job->r = WK_ERR_INTERNAL;
		break;
	}
}

static bool
may_queue(const struct wk_agent_job *job)
{
	return job->kind == WK_AGENT_JOB_OPEN ||
	    job->kind == WK_AGENT_JOB_CLOSE ||
	    (job->kind == WK_AGENT_JOB_REAP && job->ended > 0);
}

static void *
worker(void *arg)
{
	struct wk_agent_journal *j = arg;
	struct wk_agent_job *job;
	uint64_t one = 1;

	for (;;) {
		pthread_mutex_lock(&j->mu);
		while (j->todo == NULL && !j->stopping)
			pthread_cond_wait(&j->cv, &j->mu);
		if ((job = j->todo) == NULL) {	/* stopping, all done */
			pthread_mutex_unlock(&j->mu);
			return NULL;
		}
		if ((j->todo = job->next) == NULL)
			j->todo_tail = NULL;
		pthread_mutex_unlock(&j->mu);

		job->next = NULL;
		run_job(j->state_dir, job);

		pthread_mutex_lock(&j->mu);
		if (j->done_tail != NULL)
			j->done_tail->next = job;
		else
			j->done = job;
		j->done_tail = job;
		if (may_queue(job))
			j->queued++;
		pthread_mutex_unlock(&j->mu);
		/* the counter only grows; a full one still reads readable */
		while (write(j->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			continue;
	}
}

int
wk_agent_journal_new(const char *state_dir, struct wk_agent_journal **out)
{
	struct wk_agent_journal *j;

	*out = NULL;
	if ((j = wk_calloc(1, sizeof(*j))) == NULL)
		return WK_ERR_NOMEM;
	j->state_dir = state_dir;
	if ((j->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		wk_free(j);
		return WK_ERR_IO;
	}
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	if (pthread_create(&j->th, NULL, worker, j) != 0) {
		close(j->efd);
		pthread_cond_destroy(&j->cv);
		pthread_mutex_destroy(&j->mu);
		wk_free(j);
		return WK_ERR_INTERNAL;
	}
	j->started = true;
	*out = j;
	return 0;
}

int
wk_agent_journal_fd(const struct wk_agent_journal *j)
{
	return j->efd;
}

int
wk_agent_journal_submit(struct wk_agent_journal *j, struct wk_agent_job *job)
{
	pthread_mutex_lock(&j->mu);
	if (j->stopping) {
		pthread_mutex_unlock(&j->mu);
		return WK_ERR_UNAVAIL;
	}
	job->next = NULL;
	if (j->todo_tail != NULL)
		j->todo_tail->next = job;
	else
		j->todo = job;
	j->todo_tail = job;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	return 0;
}

void
wk_agent_journal_dispatch(struct wk_agent_journal *j)
{
	struct wk_agent_job *list, *job;
	uint64_t cnt;

	/* read first: a job finished after this wakes the loop again */
	while (read(j->efd, &cnt, sizeof(cnt)) < 0 && errno == EINTR)
		continue;
	pthread_mutex_lock(&j->mu);
	list = j->done;
	j->done = j->done_tail = NULL;
	pthread_mutex_unlock(&j->mu);
	while ((job = list) != NULL) {
		list = job->next;
		job->next = NULL;
		if (job->done != NULL)
			job->done(job, job->arg);
		wk_agent_job_free(job);
	}
}

uint64_t
wk_agent_journal_queued(struct wk_agent_journal *j)
{
	uint64_t n;

	pthread_mutex_lock(&j->mu);
	n = j->queued;
	pthread_mutex_unlock(&j->mu);
	return n;
}

void
wk_agent_journal_stop(struct wk_agent_journal *j)
{
	if (j == NULL || !j->started)
		return;
	pthread_mutex_lock(&j->mu);
	j->stopping = true;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->th, NULL);
	j->started = false;
}

void
wk_agent_journal_free(struct wk_agent_journal *j)
{
	struct wk_agent_job *job;

	if (j == NULL)
		return;
	wk_agent_journal_stop(j);
	while ((job = j->done) != NULL) {
		j->done = job->next;
		wk_agent_job_free(job);
	}
	close(j->efd);
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	wk_free(j);
}
