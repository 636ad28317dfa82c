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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
