/*
 * The agent's session journal (agent/sessions.h, journal.c): jobs are
 * made durable and handed back in the order they were submitted, the
 * report queue keeps that order with opens and closes interleaved,
 * stopping finishes every job already submitted, and a failed write is
 * reported to the job's callback with nothing left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent/sessions.h"
#include "common/alloc.h"
#include "common/err.h"
#include "common/time.h"

#define NJOBS 60

static char dir[64];

/* what the callbacks saw, in the order they were called */
static uint64_t seen_tag[4 * NJOBS];
static int seen_r[4 * NJOBS];
static char seen_sid[4 * NJOBS][WK_AGENT_SESSION_ID_LEN + 1];
static size_t nseen;

static int
setup(void **state)
{
	(void)state;
	nseen = 0;
	snprintf(dir, sizeof(dir), "/tmp/wk-journal-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
note(struct wk_agent_job *job, void *arg)
{
	(void)arg;
	assert_true(nseen < 4 * NJOBS);
	seen_tag[nseen] = job->tag;
	seen_r[nseen] = job->r;
	snprintf(seen_sid[nseen], sizeof(seen_sid[0]), "%s",
	    job->ses.session_id);
	nseen++;
}

static struct wk_agent_job *
open_job(uint64_t tag, const char *user, long pid)
{
	struct wk_agent_job *job = wk_agent_job_new(WK_AGENT_JOB_OPEN);
	struct wk_agent_session *s;

	assert_non_null(job);
	s = &job->ses;
	assert_int_equal(wk_agent_session_new_id('s', s->session_id), 0);
	s->pid = pid;
	assert_int_equal(wk_agent_pid_start(pid, s->pid_start,
	    sizeof(s->pid_start)), 0);
	snprintf(s->os_user, sizeof(s->os_user), "%s", user);
	snprintf(s->fingerprint, sizeof(s->fingerprint), "SHA256:x");
	snprintf(s->request_id, sizeof(s->request_id), "r-1");
	snprintf(s->caller_arn, sizeof(s->caller_arn), "arn:x");
	snprintf(s->instance_id, sizeof(s->instance_id), "i-0123456789abcdef0");
	/* a terminal already: the queue need not wait for one */
	snprintf(s->tty, sizeof(s->tty), "pts/1");
	s->opened_at = 1000;
	job->time_ms = 1000000 + (int64_t)tag;
	job->tag = tag;
	job->done = note;
	return job;
}

static struct wk_agent_job *
close_job(uint64_t tag, const char *user, long pid)
{
	struct wk_agent_job *job = wk_agent_job_new(WK_AGENT_JOB_CLOSE);

	assert_non_null(job);
	job->ses.pid = pid;
	snprintf(job->ses.os_user, sizeof(job->ses.os_user), "%s", user);
	job->tag = tag;
	job->done = note;
	return job;
}

/* Dispatches until `want` callbacks ran (bounded: a generous 30 s). */
static void
wait_seen(struct wk_agent_journal *j, size_t want)
{
	uint64_t deadline = wk_mono_ms() + 30000;
	struct pollfd p;

	while (nseen < want && wk_mono_ms() < deadline) {
		p.fd = wk_agent_journal_fd(j);
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, 100) > 0)
			wk_agent_journal_dispatch(j);
	}
	assert_int_equal(nseen, want);
}

static size_t
count_files(const char *sub)
{
	char path[256];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static char *peek_body, **peek_names;
static size_t peek_n;

static void
peeked(struct wk_agent_job *job, void *arg)
{
	(void)arg;
	assert_int_equal(job->r, 0);
	peek_body = job->body;	/* taken: not freed with the job */
	peek_names = job->names;
	peek_n = job->n;
	job->body = NULL;
	job->names = NULL;
	job->n = 0;
	note(job, arg);
}

/* The whole queue, through a PEEK job (as the agent reads it). */
static json_t *
peek_all(struct wk_agent_journal *j, char ***names, size_t *n)
{
	struct wk_agent_job *job = wk_agent_job_new(WK_AGENT_JOB_PEEK);
	json_t *root;

	assert_non_null(job);
	job->max = 4 * NJOBS;
	job->done = peeked;
	assert_int_equal(wk_agent_journal_submit(j, job), 0);
	wait_seen(j, nseen + 1);
	assert_non_null(peek_body);
	root = json_loads(peek_body, 0, NULL);
	wk_free(peek_body);
	peek_body = NULL;
	assert_non_null(root);
	*names = peek_names;
	*n = peek_n;
	return root;
}

/*
 * Opens and closes interleaved (the 9:00 storm: logins arriving while
 * others are journaled): callbacks in submission order, every queue file
 * a new sequence number, the reports in the order they were submitted.
 */
static void
test_order(void **state)
{
	struct wk_agent_journal *j = NULL;
	char user[NJOBS][16], **names = NULL;
	const char *want_type[2 * NJOBS], *want_user[2 * NJOBS];
	size_t nwant = 0, n = 0, i;
	uint64_t tag = 0, q0;
	json_t *root, *evs, *ev;

	(void)state;
	assert_int_equal(wk_agent_journal_new(dir, &j), 0);
	q0 = wk_agent_journal_queued(j);
	for (i = 0; i < NJOBS; i++) {
		snprintf(user[i], sizeof(user[i]), "u%zu", i);
		assert_int_equal(wk_agent_journal_submit(j,
		    open_job(++tag, user[i], (long)getpid())), 0);
		want_type[nwant] = "Login";
		want_user[nwant++] = user[i];
		if (i % 2 == 1) {	/* close the one before */
			assert_int_equal(wk_agent_journal_submit(j,
			    close_job(++tag, user[i - 1], (long)getpid())), 0);
			want_type[nwant] = "Logout";
			want_user[nwant++] = user[i - 1];
		}
	}
	wait_seen(j, (size_t)tag);
	for (i = 0; i < nseen; i++) {
		assert_int_equal(seen_tag[i], i + 1);
		assert_int_equal(seen_r[i], 0);
	}
	assert_true(wk_agent_journal_queued(j) >= q0 + tag);
	/* half the sessions closed, half open */
	assert_int_equal(count_files(WK_AGENT_SESSIONS_DIR), NJOBS / 2);
	assert_int_equal(count_files(WK_AGENT_QUEUE_DIR), nwant);

	root = peek_all(j, &names, &n);
	evs = json_object_get(root, "events");
	assert_int_equal(json_array_size(evs), nwant);
	assert_int_equal(n, nwant);
	json_array_foreach(evs, i, ev) {
		assert_string_equal(json_string_value(json_object_get(ev,
		    "type")), want_type[i]);
		assert_string_equal(json_string_value(json_object_get(ev,
		    "os_user")), want_user[i]);
		/* one number each, in submission order, none reused */
		assert_int_equal(strtoull(names[i], NULL, 10), i + 1);
	}
	json_decref(root);
	wk_agent_queue_names_free(names, n);
	wk_agent_journal_free(j);
}

/*
 * Stopping with jobs still queued: every one is made durable before the
 * worker ends, their callbacks still come (in order), and nothing can be
 * submitted any more.
 */
static void
test_stop_loses_none(void **state)
{
	struct wk_agent_journal *j = NULL;
	struct wk_agent_job *late;
	size_t i;

	(void)state;
	assert_int_equal(wk_agent_journal_new(dir, &j), 0);
	for (i = 0; i < NJOBS; i++)
		assert_int_equal(wk_agent_journal_submit(j,
		    open_job(i + 1, "ubuntu", (long)getpid())), 0);
	wk_agent_journal_stop(j);
	wk_agent_journal_stop(j);	/* idempotent */
	assert_int_equal(count_files(WK_AGENT_SESSIONS_DIR), NJOBS);
	assert_int_equal(count_files(WK_AGENT_QUEUE_DIR), NJOBS);
	late = open_job(999, "ubuntu", (long)getpid());
	assert_int_equal(wk_agent_journal_submit(j, late), WK_ERR_UNAVAIL);
	wk_agent_job_free(late);
	wk_agent_journal_dispatch(j);
	assert_int_equal(nseen, NJOBS);
	for (i = 0; i < NJOBS; i++) {
		assert_int_equal(seen_tag[i], i + 1);
		assert_int_equal(seen_r[i], 0);
	}
	wk_agent_journal_free(j);
}

/* Freed with finished jobs never dispatched: no callback, no leak. */
static void
test_free_undispatched(void **state)
{
	struct wk_agent_journal *j = NULL;
	struct wk_agent_job *job;

	(void)state;
	assert_int_equal(wk_agent_journal_new(dir, &j), 0);
	assert_int_equal(wk_agent_journal_submit(j,
	    open_job(1, "ubuntu", (long)getpid())), 0);
	job = wk_agent_job_new(WK_AGENT_JOB_PEEK);
	assert_non_null(job);
	job->max = 10;
	job->done = note;
	assert_int_equal(wk_agent_journal_submit(j, job), 0);
	wk_agent_journal_free(j);
	assert_int_equal(nseen, 0);
	assert_int_equal(count_files(WK_AGENT_QUEUE_DIR), 1);
}

/*
 * A registry that cannot be written: the callback hears the error and
 * neither the registry file nor a report is left.
 */
static void
test_open_fails_clean(void **state)
{
	struct wk_agent_journal *j = NULL;
	char path[128];
	FILE *f;

	(void)state;
	/* "sessions" is a file: no registry directory can be made */
	snprintf(path, sizeof(path), "%s/" WK_AGENT_SESSIONS_DIR, dir);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	assert_int_equal(wk_agent_journal_new(dir, &j), 0);
	assert_int_equal(wk_agent_journal_submit(j,
	    open_job(7, "ubuntu", (long)getpid())), 0);
	wait_seen(j, 1);
	assert_int_equal(seen_tag[0], 7);
	assert_int_not_equal(seen_r[0], 0);
	assert_int_equal(count_files(WK_AGENT_QUEUE_DIR), 0);
	wk_agent_journal_free(j);
}

/* A session whose process is gone: a REAP job queues its Logout. */
static void
test_reap(void **state)
{
	struct wk_agent_journal *j = NULL;
	struct wk_agent_job *job;
	uint64_t q;
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(wk_agent_journal_new(dir, &j), 0);
	assert_int_equal(wk_agent_journal_submit(j,
	    open_job(1, "ubuntu", (long)pid)), 0);
	wait_seen(j, 1);
	assert_int_equal(seen_r[0], 0);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	q = wk_agent_journal_queued(j);
	assert_non_null(job = wk_agent_job_new(WK_AGENT_JOB_REAP));
	job->tag = 2;
	job->done = note;
	assert_int_equal(wk_agent_journal_submit(j, job), 0);
	wait_seen(j, 2);
	assert_int_equal(seen_tag[1], 2);
	assert_int_equal(wk_agent_journal_queued(j), q + 1);
	assert_int_equal(count_files(WK_AGENT_SESSIONS_DIR), 0);
	assert_int_equal(count_files(WK_AGENT_QUEUE_DIR), 2);
	wk_agent_journal_free(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_loses_none, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_free_undispatched, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_fails_clean, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reap, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
