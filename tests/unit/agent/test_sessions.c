/* The agent's session registry and durable report queue (agent/sessions.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ftw.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent/sessions.h"
#include "common/alloc.h"
#include "common/err.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/wk-sessions-XXXXXX");
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
fill(struct wk_agent_session *s, long pid)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(wk_agent_session_new_id('s', s->session_id), 0);
	s->pid = pid;
	assert_int_equal(wk_agent_pid_start(pid, s->pid_start,
	    sizeof(s->pid_start)), 0);
	snprintf(s->os_user, sizeof(s->os_user), "ubuntu");
	snprintf(s->fingerprint, sizeof(s->fingerprint), "SHA256:x");
	snprintf(s->request_id, sizeof(s->request_id), "r-1");
	snprintf(s->caller_arn, sizeof(s->caller_arn), "arn:x");
	snprintf(s->instance_id, sizeof(s->instance_id), "i-0123456789abcdef0");
	s->opened_at = 1000;
}

static void
test_registry(void **state)
{
	struct wk_agent_session a, *v = NULL;
	size_t n = 0;

	(void)state;
	fill(&a, (long)getpid());
	assert_int_equal(strlen(a.session_id), WK_AGENT_SESSION_ID_LEN);
	assert_true(wk_agent_session_alive(&a));
	assert_int_equal(wk_agent_session_write(dir, &a), 0);
	assert_int_equal(wk_agent_sessions_list(dir, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].session_id, a.session_id);
	assert_int_equal(v[0].pid, a.pid);
	assert_string_equal(v[0].pid_start, a.pid_start);
	wk_agent_sessions_free(v, n);
	/* a reused pid (another start time) is not the session's process */
	snprintf(a.pid_start, sizeof(a.pid_start), "1");
	assert_false(wk_agent_session_alive(&a));
	assert_int_equal(wk_agent_session_write(dir, &a), 0);
	assert_int_equal(wk_agent_sessions_reap(dir), 1);
	assert_int_equal(wk_agent_sessions_list(dir, &v, &n), 0);
	assert_int_equal(n, 0);
	wk_agent_sessions_free(v, n);
}

static void
test_queue(void **state)
{
	struct wk_agent_session a;
	char *body = NULL, **names = NULL;
	size_t n = 0;
	json_t *root;

	(void)state;
	fill(&a, (long)getpid());
	assert_int_equal(wk_agent_queue_peek(dir, 64, &body, &names, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(wk_agent_queue_add(dir, &a, true, 1000000), 0);
	assert_int_equal(wk_agent_queue_add(dir, &a, false, 1005000), 0);
	assert_int_equal(wk_agent_queue_peek(dir, 64, &body, &names, &n), 0);
	assert_int_equal(n, 2);
	root = json_loads(body, 0, NULL);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(root, "events"), 0), "type")), "Login");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(root, "events"), 1), "type")), "Logout");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(root, "events"), 1), "duration_ms")), 5000);
	json_decref(root);
	wk_free(body);
	/* at most max, oldest first */
	wk_agent_queue_names_free(names, n);
	assert_int_equal(wk_agent_queue_peek(dir, 1, &body, &names, &n), 0);
	assert_int_equal(n, 1);
	assert_non_null(strstr(body, "\"Login\""));
	assert_int_equal(wk_agent_queue_drop(dir, names, n), 0);
	wk_agent_queue_names_free(names, n);
	wk_free(body);
	assert_int_equal(wk_agent_queue_peek(dir, 64, &body, &names, &n), 0);
	assert_int_equal(n, 1);
	assert_non_null(strstr(body, "\"Logout\""));
	assert_int_equal(wk_agent_queue_drop(dir, names, n), 0);
	wk_agent_queue_names_free(names, n);
	wk_free(body);
	assert_int_equal(wk_agent_queue_peek(dir, 64, &body, &names, &n), 0);
	assert_int_equal(n, 0);
}

/* A fake /proc entry: PID/stat (start time START), PID/fd, PID/fdinfo. */
static void
fake_proc(const char *proc, long pid, const char *start)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%ld", proc, pid);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%ld/fd", proc, pid);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%ld/fdinfo", proc, pid);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%ld/stat", proc, pid);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "%ld (sshd) S 1 2 3 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 "
	    "%s 1 1 1\n", pid, start);
	fclose(f);
}

static void
fake_fd(const char *proc, long pid, int fd, const char *target,
    const char *info)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%ld/fd/%d", proc, pid, fd);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/%ld/fdinfo/%d", proc, pid, fd);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "pos:\t0\nflags:\t02\nmnt_id:\t1\n%s", info);
	fclose(f);
}

static void
test_tty(void **state)
{
	char proc[128], tty[64], path[256];

	(void)state;
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	assert_int_equal(mkdir(proc, 0700), 0);
	fake_proc(proc, 4242, "777");
	/* no pty master yet: nothing */
	fake_fd(proc, 4242, 3, "socket:[1]", "");
	fake_fd(proc, 4242, 4, "/dev/pts/9", "");	/* a slave: not it */
	assert_int_equal(wk_agent_session_tty(proc, 4242, "777", tty,
	    sizeof(tty)), WK_ERR_NOTFOUND);
	assert_string_equal(tty, "");
	/* the lowest master descriptor names the login's pty */
	fake_fd(proc, 4242, 9, "/dev/ptmx", "tty-index:\t5\n");
	fake_fd(proc, 4242, 7, "/dev/pts/ptmx", "tty-index:\t3\n");
	assert_int_equal(wk_agent_session_tty(proc, 4242, "777", tty,
	    sizeof(tty)), 0);
	assert_string_equal(tty, "pts/3");
	/* another process at that pid (another start time): nothing */
	assert_int_equal(wk_agent_session_tty(proc, 4242, "778", tty,
	    sizeof(tty)), WK_ERR_NOTFOUND);
	assert_string_equal(tty, "");
	assert_int_equal(wk_agent_session_tty(proc, 4242, "", tty,
	    sizeof(tty)), WK_ERR_NOTFOUND);
	/* a malformed or symlinked fdinfo is never taken */
	fake_proc(proc, 4343, "1");
	fake_fd(proc, 4343, 5, "/dev/ptmx", "tty-index:\t-1\n");
	assert_int_equal(wk_agent_session_tty(proc, 4343, "1", tty,
	    sizeof(tty)), WK_ERR_NOTFOUND);
	fake_proc(proc, 4444, "1");
	snprintf(path, sizeof(path), "%s/4444/fd/5", proc);
	assert_int_equal(symlink("/dev/ptmx", path), 0);
	snprintf(path, sizeof(path), "%s/4444/fdinfo/5", proc);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(wk_agent_session_tty(proc, 4444, "1", tty,
	    sizeof(tty)), WK_ERR_NOTFOUND);
	/* started: a grandchild of the monitor */
	assert_false(wk_agent_session_started(proc, 4242));
	fake_proc(proc, 5000, "2");	/* ppid 1 */
	assert_false(wk_agent_session_started(proc, 1));
	fake_proc(proc, 6000, "3");
	snprintf(path, sizeof(path), "%s/6000/stat", proc);
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fprintf(f, "6000 (bash) S 5000 2 3 0\n");
		fclose(f);
	}
	assert_true(wk_agent_session_started(proc, 1));
}

/* A queued Login waits for the session's terminal, then carries it. */
static void
test_login_waits_for_tty(void **state)
{
	struct wk_agent_session s;
	json_t *ev;

	(void)state;
	fill(&s, (long)getpid());	/* alive, holds no pty master */
	assert_int_equal(wk_agent_session_write(dir, &s), 0);
	ev = json_pack("{s:s, s:s, s:s, s:I}", "type", "Login", "tty", "",
	    "session_id", s.session_id, "time_ms", (json_int_t)100000);
	assert_non_null(ev);
	/* young: it waits (this process's children are not a session) */
	assert_false(wk_agent_queue_login_tty(dir, ev, 100000 + 10));
	/* past the wait: sent without a terminal */
	assert_true(wk_agent_queue_login_tty(dir, ev,
	    100000 + WK_AGENT_TTY_WAIT_MS));
	assert_string_equal(json_string_value(json_object_get(ev, "tty")), "");
	/* the registry knows it: the event gets it */
	snprintf(s.tty, sizeof(s.tty), "pts/4");
	assert_int_equal(wk_agent_session_write(dir, &s), 0);
	assert_true(wk_agent_queue_login_tty(dir, ev, 100000 + 10));
	assert_string_equal(json_string_value(json_object_get(ev, "tty")),
	    "pts/4");
	json_decref(ev);
	/* a Logout, or a session gone: never waits */
	ev = json_pack("{s:s, s:s, s:s, s:I}", "type", "Login", "tty", "",
	    "session_id", "s-0000000000000000", "time_ms", (json_int_t)100000);
	assert_true(wk_agent_queue_login_tty(dir, ev, 100000));
	json_decref(ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_waits_for_tty,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
