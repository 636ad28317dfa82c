/*
 * console_pool.c - Argon2id password checks off the event loop: a fixed
 * pool of WK_CONSOLE_POOL_THREADS worker threads and a bounded job table
 * (WK_CONSOLE_POOL_MAX jobs). The loop submits a job (copies of the
 * encoded hash and the password) and learns of its completion through an
 * eventfd watched on the loop; the callback then runs on the loop. The
 * workers touch nothing but their job.
 *
 * A job is queued, running (on a worker) or done (waiting for the loop).
 * Cancelling a queued or done job frees it at once; a running one is
 * marked abandoned and freed by its worker, which does not signal the
 * loop for it. The eventfd is watched only while some job not abandoned
 * is in flight, so a loop with no sign-in held has no watch of ours.
 */
#include <argon2.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "server/console/console_int.h"

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct wk_console_job {
	enum job_state state;
	bool abandoned;		/* cancelled while running */
	bool ok;		/* the result (done) */
	char *encoded;		/* NULL: the dummy hash */
	size_t encoded_len;
	char *pw;
	size_t pwlen;
	void (*done)(void *arg, bool ok);
	void *arg;
	struct wk_console_job *prev, *next;	/* in the queue or done list */
};

struct job_list {
	struct wk_console_job *head, *tail;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t work;		/* a job was queued, or stopping */
	pthread_cond_t gate;		/* hold was lifted, or stopping */
	bool started, stopping, hold;
	size_t nthreads;
	pthread_t threads[WK_CONSOLE_POOL_THREADS];
	struct job_list queue, done;
	size_t njobs;			/* alive: queued, running, done */
	size_t nheld;			/* running jobs waiting at the gate */
	int efd;
	/* loop side only */
	struct wk_loop *loop;
	struct wk_watch *watch;
	size_t inflight;		/* submitted, not delivered/cancelled */
} pool = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.gate = PTHREAD_COND_INITIALIZER,
	.efd = -1,
};

/* ---- the dummy hash: unknown users cost as much as known ones ---- */

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[160];

static void
dummy_make(void)
{
	static const uint8_t salt[16] = "wicket-no-user!";

	/* same parameters as iam_login.c's */
	if (argon2id_hash_encoded(2, 19456, 1, "x", 1, salt, sizeof(salt),
	    32, dummy_hash, sizeof(dummy_hash)) != ARGON2_OK)
		dummy_hash[0] = '\0';
}

/* ---- lists (pool.mu held) ---- */

static void
list_push(struct job_list *l, struct wk_console_job *j)
{
	j->next = NULL;
	j->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static void
list_remove(struct job_list *l, struct wk_console_job *j)
{
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		l->head = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	else
		l->tail = j->prev;
	j->prev = j->next = NULL;
}

static struct wk_console_job *
list_pop(struct job_list *l)
{
	struct wk_console_job *j = l->head;

	if (j != NULL)
		list_remove(l, j);
	return j;
}

static void
job_free(struct wk_console_job *j)
{
	if (j == NULL)
		return;
	if (j->encoded != NULL)
		wk_freezero(j->encoded, j->encoded_len);
	if (j->pw != NULL)
		wk_freezero(j->pw, j->pwlen);
	wk_freezero(j, sizeof(*j));
}

/* ---- workers ---- */

static bool
verify(const struct wk_console_job *j)
{
	const char *enc = j->encoded;

	if (enc == NULL) {
		(void)pthread_once(&dummy_once, dummy_make);
		if (dummy_hash[0] != '\0')
			(void)argon2id_verify(dummy_hash, j->pw, j->pwlen);
		return false;
	}
	return argon2id_verify(enc, j->pw, j->pwlen) == ARGON2_OK;
}

static void *
worker(void *arg)
{
	struct wk_console_job *j;
	uint64_t one = 1;
	bool ok, notify;

	(void)arg;
	pthread_mutex_lock(&pool.mu);
	for (;;) {
		while (!pool.stopping && pool.queue.head == NULL)
			pthread_cond_wait(&pool.work, &pool.mu);
		if (pool.stopping)
			break;
		j = list_pop(&pool.queue);
		j->state = JOB_RUNNING;
		pool.nheld++;
		while (pool.hold && !pool.stopping)
			pthread_cond_wait(&pool.gate, &pool.mu);
		pool.nheld--;
		pthread_mutex_unlock(&pool.mu);

		ok = verify(j);
		/* the secrets are not needed any more */
		wk_explicit_bzero(j->pw, j->pwlen);
		if (j->encoded != NULL)
			wk_explicit_bzero(j->encoded, j->encoded_len);

		pthread_mutex_lock(&pool.mu);
		notify = !j->abandoned;
		if (j->abandoned) {
			job_free(j);
			pool.njobs--;
		} else {
			j->ok = ok;
			j->state = JOB_DONE;
			list_push(&pool.done, j);
		}
		if (notify && write(pool.efd, &one, sizeof(one)) < 0 &&
		    errno != EAGAIN)
			wk_log(WK_LOG_ERROR, "console_pool",
			    "error=\"eventfd write failed\"");
	}
	pthread_mutex_unlock(&pool.mu);
	return NULL;
}

/* pool.mu held */
static int
pool_start(void)
{
	int r;

	if (pool.started)
		return 0;
	if ((pool.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return WK_ERR_IO;
	pool.stopping = false;
	pool.nthreads = 0;
	for (size_t i = 0; i < WK_CONSOLE_POOL_THREADS; i++) {
		if ((r = pthread_create(&pool.threads[i], NULL, worker,
		    NULL)) != 0)
			break;
		pool.nthreads++;
	}
	pool.started = true;
	if (pool.nthreads == 0) {
		/* no worker: undo (the caller answers "try again later") */
		pool.started = false;
		close(pool.efd);
		pool.efd = -1;
		return WK_ERR_NOMEM;
	}
	return 0;
}

/* ---- the loop side ---- */

static void
unwatch_if_idle(void)
{
	if (pool.inflight == 0 && pool.watch != NULL) {
		wk_loop_unwatch(pool.loop, pool.watch);
		pool.watch = NULL;
		pool.loop = NULL;
	}
}

static void
on_event(void *arg, uint32_t revents)
{
	struct wk_console_job *j;
	uint64_t n;
	ssize_t rn;

	(void)arg;
	(void)revents;
	rn = read(pool.efd, &n, sizeof(n));	/* resets the counter */
	(void)rn;
	for (;;) {
		pthread_mutex_lock(&pool.mu);
		if ((j = list_pop(&pool.done)) != NULL)
			pool.njobs--;
		pthread_mutex_unlock(&pool.mu);
		if (j == NULL)
			break;
		pool.inflight--;
		j->done(j->arg, j->ok);
		job_free(j);
	}
	unwatch_if_idle();
}

int
wk_console_pool_submit(struct wk_loop *l, const char *encoded,
    const char *pw, size_t pwlen, void (*done)(void *arg, bool ok),
    void *arg, struct wk_console_job **out)
{
	struct wk_console_job *j = NULL;
	int r;

	*out = NULL;
	if (l == NULL || pw == NULL || done == NULL ||
	    (pool.watch != NULL && pool.loop != l))
		return WK_ERR_INVAL;
	if ((encoded != NULL && strlen(encoded) > WK_CONSOLE_POOL_HASH_MAX) ||
	    pwlen > WK_CONSOLE_POOL_PW_MAX)
		return WK_ERR_TOOBIG;
	if ((j = wk_calloc(1, sizeof(*j))) == NULL)
		return WK_ERR_NOMEM;
	j->done = done;
	j->arg = arg;
	j->pwlen = pwlen;
	if ((j->pw = wk_malloc(pwlen + 1)) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	memcpy(j->pw, pw, pwlen);
	j->pw[pwlen] = '\0';
	if (encoded != NULL) {
		j->encoded_len = strlen(encoded) + 1;
		if ((j->encoded = wk_strdup(encoded)) == NULL) {
			r = WK_ERR_NOMEM;
			goto out;
		}
	}
	pthread_mutex_lock(&pool.mu);
	if (pool.njobs >= WK_CONSOLE_POOL_MAX)
		r = WK_ERR_LIMIT;
	else
		r = pool_start();
	pthread_mutex_unlock(&pool.mu);
	if (r != 0)
		goto out;
	/* the eventfd exists now (the pool runs): watch it */
	if (pool.watch == NULL) {
		if ((pool.watch = wk_loop_watch_fd(l, pool.efd, EPOLLIN,
		    on_event, NULL)) == NULL) {
			r = WK_ERR_NOMEM;
			goto out;
		}
		pool.loop = l;
	}
	/* only the loop adds jobs: the count checked above still holds */
	pthread_mutex_lock(&pool.mu);
	j->state = JOB_QUEUED;
	list_push(&pool.queue, j);
	pool.njobs++;
	pthread_cond_signal(&pool.work);
	pthread_mutex_unlock(&pool.mu);
	pool.inflight++;
	*out = j;
	j = NULL;
	r = 0;
 out:
	job_free(j);
	unwatch_if_idle();
	return r;
}

void
wk_console_pool_cancel(struct wk_console_job *j)
{
	if (j == NULL)
		return;
	pthread_mutex_lock(&pool.mu);
	switch (j->state) {
	case JOB_QUEUED:
		list_remove(&pool.queue, j);
		pool.njobs--;
		break;
	case JOB_DONE:
		list_remove(&pool.done, j);
		pool.njobs--;
		break;
	case JOB_RUNNING:
		j->abandoned = true;	/* its worker frees it */
		j = NULL;
		break;
	}
	pthread_mutex_unlock(&pool.mu);
	job_free(j);
	pool.inflight--;
	unwatch_if_idle();
}

size_t
wk_console_pool_jobs(void)
{
	size_t n;

	pthread_mutex_lock(&pool.mu);
	n = pool.njobs;
	pthread_mutex_unlock(&pool.mu);
	return n;
}

size_t
wk_console_pool_waiting(void)
{
	size_t n;

	pthread_mutex_lock(&pool.mu);
	n = pool.nheld;
	pthread_mutex_unlock(&pool.mu);
	return n;
}

void
wk_console_pool_hold(bool on)
{
	pthread_mutex_lock(&pool.mu);
	pool.hold = on;
	pthread_cond_broadcast(&pool.gate);
	pthread_mutex_unlock(&pool.mu);
}

void
wk_console_pool_stop(void)
{
	struct wk_console_job *j;

	pthread_mutex_lock(&pool.mu);
	if (!pool.started) {
		pthread_mutex_unlock(&pool.mu);
		return;
	}
	pool.stopping = true;
	pthread_cond_broadcast(&pool.work);
	pthread_cond_broadcast(&pool.gate);
	pthread_mutex_unlock(&pool.mu);
	/* a running job finishes first (one verification at most) */
	for (size_t i = 0; i < pool.nthreads; i++)
		pthread_join(pool.threads[i], NULL);
	/* the workers are gone: no lock needed; callbacks are not run */
	while ((j = list_pop(&pool.queue)) != NULL)
		job_free(j);
	while ((j = list_pop(&pool.done)) != NULL)
		job_free(j);
	pool.njobs = 0;
	pool.nthreads = 0;
	pool.inflight = 0;
	unwatch_if_idle();
	close(pool.efd);
	pool.efd = -1;
	pool.started = false;
	pool.stopping = false;
	pool.hold = false;
}
