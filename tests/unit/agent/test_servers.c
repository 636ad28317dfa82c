/*
 * test_servers.c - the agent's server list (agent/servers.c, state.c):
 * a state.json without "servers" loads as a list of one; "servers" loads
 * in order; a hand-edited "server" goes first; the list saves and loads
 * back; and wk_agent_servers_set refuses what would widen the trust or
 * is malformed (http next to https, plain http off loopback, a
 * duplicate, more than 8), leaving the state unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/agent.h"
#include "common/err.h"

static const char base[] =
    "{\"instance_id\":\"i-0123456789abcdef0\",\"agent_secret\":\"s\","
    "\"ssh_port\":22,\"host_keys\":[\"/k.pub\"]";

static void
put(const char *dir, const char *extra)
{
	char text[1024];

	snprintf(text, sizeof(text), "%s,%s}", base, extra);
	assert_int_equal(wk_agent_write_atomic(dir, "state.json", text,
	    strlen(text), 0600), 0);
}

static void
test_load(void **state)
{
	char dir[] = "/tmp/wk-servers-XXXXXX", path[64];
	struct wk_agent_state st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* before "servers": the one server */
	put(dir, "\"server\":\"http://127.0.0.1:1/\"");
	assert_int_equal(wk_agent_state_load(dir, &st), 0);
	assert_int_equal(st.nservers, 1);
	assert_string_equal(st.servers[0], "http://127.0.0.1:1");
	wk_agent_state_cleanup(&st);
	/* in order */
	put(dir, "\"server\":\"http://127.0.0.1:1\",\"servers\":"
	    "[\"http://127.0.0.1:1\",\"http://127.0.0.2:2\"]");
	assert_int_equal(wk_agent_state_load(dir, &st), 0);
	assert_int_equal(st.nservers, 2);
	assert_string_equal(st.servers[1], "http://127.0.0.2:2");
	/* saved and loaded back */
	assert_int_equal(wk_agent_state_save(dir, &st), 0);
	wk_agent_state_cleanup(&st);
	assert_int_equal(wk_agent_state_load(dir, &st), 0);
	assert_int_equal(st.nservers, 2);
	assert_string_equal(st.servers[0], "http://127.0.0.1:1");
	assert_string_equal(st.servers[1], "http://127.0.0.2:2");
	wk_agent_state_cleanup(&st);
	/* "server" edited by hand: it goes first, the others follow */
	put(dir, "\"server\":\"http://127.0.0.2:2\",\"servers\":"
	    "[\"http://127.0.0.1:1\",\"http://127.0.0.2:2\"]");
	assert_int_equal(wk_agent_state_load(dir, &st), 0);
	assert_int_equal(st.nservers, 2);
	assert_string_equal(st.servers[0], "http://127.0.0.2:2");
	assert_string_equal(st.servers[1], "http://127.0.0.1:1");
	wk_agent_state_cleanup(&st);
	/* malformed lists */
	put(dir, "\"server\":\"http://127.0.0.1:1\",\"servers\":[]");
	assert_int_equal(wk_agent_state_load(dir, &st), WK_ERR_INVAL);
	put(dir, "\"server\":\"http://127.0.0.1:1\",\"servers\":[1]");
	assert_int_equal(wk_agent_state_load(dir, &st), WK_ERR_INVAL);
	put(dir, "\"server\":\"http://127.0.0.1:1\",\"servers\":"
	    "[\"ftp://x\"]");
	assert_int_equal(wk_agent_state_load(dir, &st), WK_ERR_INVAL);
	put(dir, "\"server\":\"http://127.0.0.1:1\",\"servers\":\"x\"");
	assert_int_equal(wk_agent_state_load(dir, &st), WK_ERR_INVAL);
	snprintf(path, sizeof(path), "%s/state.json", dir);
	unlink(path);
	rmdir(dir);
}

static void
test_set_refusals(void **state)
{
	struct wk_agent_state st;
	char why[512];
	char *ok[] = { "https://a.example", "https://b.example/" };
	char *mixed[] = { "https://a.example", "http://127.0.0.1:1" };
	char *dup[] = { "https://a.example", "https://a.example/" };
	char *offlo[] = { "http://127.0.0.1:1", "http://192.0.2.1:1" };
	char *many[9] = { "https://a1.x", "https://a2.x", "https://a3.x",
	    "https://a4.x", "https://a5.x", "https://a6.x", "https://a7.x",
	    "https://a8.x", "https://a9.x" };

	(void)state;
	memset(&st, 0, sizeof(st));
	assert_int_equal(wk_agent_servers_set(&st, ok, 2, why, sizeof(why)),
	    0);
	assert_int_equal(st.nservers, 2);
	assert_string_equal(st.server, "https://a.example");
	assert_string_equal(st.servers[1], "https://b.example");
	assert_int_equal(wk_agent_servers_set(&st, mixed, 2, why,
	    sizeof(why)), WK_ERR_INVAL);
	assert_non_null(strstr(why, "scheme"));
	assert_int_equal(wk_agent_servers_set(&st, dup, 2, why, sizeof(why)),
	    WK_ERR_INVAL);
	assert_non_null(strstr(why, "twice"));
	assert_int_equal(wk_agent_servers_set(&st, many, 9, why,
	    sizeof(why)), WK_ERR_INVAL);
	/* a pin can only be checked over https */
	st.tls.has_pin = true;
	assert_int_equal(wk_agent_servers_set(&st, offlo, 1, why,
	    sizeof(why)), WK_ERR_INVAL);
	st.tls.has_pin = false;
	/* plain http off loopback */
	assert_int_equal(wk_agent_servers_set(&st, offlo, 2, why,
	    sizeof(why)), WK_ERR_INVAL);
	/* every refusal left the list alone */
	assert_int_equal(st.nservers, 2);
	assert_string_equal(st.servers[0], "https://a.example");
	wk_agent_state_cleanup(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_set_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
