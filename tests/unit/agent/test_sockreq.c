/* Tests for src/agent/sockreq.c and the user rule in agent/sockproto.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/agent.h"
#include "common/err.h"

static int
parse(const char *line, char *user, const char **why)
{
	return wk_agent_parse_request(wk_span_from_cstr(line), user, why);
}

static void
test_good(void **state)
{
	char user[WK_SOCK_MAX_USER + 1];
	const char *why;

	(void)state;
	assert_int_equal(parse("LOOKUP 1 ubuntu\n", user, &why), 0);
	assert_string_equal(user, "ubuntu");
	assert_int_equal(parse("LOOKUP 1 _x\n", user, &why), 0);
	assert_int_equal(parse("LOOKUP 1 ec2-user\n", user, &why), 0);
	assert_int_equal(parse("LOOKUP 1 a.b@c$\n", user, &why), 0);
	assert_string_equal(user, "a.b@c$");
	/* 32 characters: the maximum. */
	assert_int_equal(parse("LOOKUP 1 abcdefghijabcdefghijabcdefghij12\n",
	    user, &why), 0);
	assert_int_equal(strlen(user), 32);
}

static void
test_bad(void **state)
{
	static const char *const bad[] = {
		"", "\n", "LOOKUP 1 ubuntu", "LOOKUP 1 ubuntu\r\n",
		"lookup 1 ubuntu\n", "LOOKUP  1 ubuntu\n", "LOOKUP 1  ubuntu\n",
		"LOOKUP 1 ubuntu \n", "LOOKUP 1\n", "LOOKUP\n", "GET 1 ubuntu\n",
		"LOOKUP 1 ubuntu\nLOOKUP 1 root\n", "LOOKUP 1 ub untu\n",
		"LOOKUP 1 1abc\n", "LOOKUP 1 -abc\n", "LOOKUP 1 a/b\n",
		"LOOKUP 1 a$b\n", "LOOKUP 1 $\n",
		"LOOKUP 1 abcdefghijabcdefghijabcdefghij123\n",
		"LOOKUP 1 abcdefghijabcdefghijabcdefghij1.\n",
		"LOOKUP 1 ../../etc\n", "LOOKUP 1 ubuntu\n\n",
	};
	char user[WK_SOCK_MAX_USER + 1];
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_not_equal(parse(bad[i], user, &why), 0);
		assert_non_null(why);
		assert_string_equal(user, "");
	}
	/* Embedded NUL. */
	assert_int_equal(wk_agent_parse_request(wk_span_from_mem(
	    "LOOKUP 1 ub\0ntu\n", 16), user, &why), WK_ERR_INVAL);
}

static void
test_version_and_length(void **state)
{
	char user[WK_SOCK_MAX_USER + 1];
	char longline[WK_SOCK_MAX_REQUEST + 8];
	const char *why;

	(void)state;
	assert_int_equal(parse("LOOKUP 2 ubuntu\n", user, &why), WK_ERR_INVAL);
	assert_string_equal(why, "version");
	assert_int_equal(parse("LOOKUP 01 ubuntu\n", user, &why),
	    WK_ERR_INVAL);
	assert_string_equal(why, "version");
	assert_int_equal(parse("LOOKUP 1 b@d!\n", user, &why), WK_ERR_INVAL);
	assert_string_equal(why, "user");
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "LOOKUP 1 ", 9);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	assert_int_equal(parse(longline, user, &why), WK_ERR_TOOBIG);
	assert_string_equal(why, "too-long");
}

#define B42 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123+/"
#define B43 B42 "4"
#define FP "SHA256:" B43

static void
test_consume(void **state)
{
	static const char *const bad[] = {
		"CONSUME 1 ubuntu\n", "CONSUME 1 ubuntu \n",
		"CONSUME 1 ubuntu " FP " x\n", "CONSUME 1 ubuntu  " FP "\n",
		"CONSUME 1 ubuntu " FP "\r\n", "CONSUME 1 ubuntu " FP,
		"CONSUME 1 ubuntu SHA256:abc\n",
		"CONSUME 1 ubuntu " FP "=\n",
		"CONSUME 1 ubuntu MD5:" B43 "\n",
		"CONSUME 1 ubuntu sha256:" B43 "\n",
		"CONSUME 1 ubuntu SHA256:" B42 "=\n",
		"CONSUME 1 ubuntu SHA256:" B42 "-\n",
		"CONSUME 1 " FP "\n", "CONSUME 1 b/d " FP "\n",
		"CONSUME 2 ubuntu " FP "\n", "consume 1 ubuntu " FP "\n",
		"CONSUME\n",
	};
	struct wk_sock_req req;
	char user[WK_SOCK_MAX_USER + 1];
	const char *why;
	size_t i;

	(void)state;
	assert_int_equal(wk_agent_parse_req(wk_span_from_cstr(
	    "CONSUME 1 ubuntu " FP "\n"), &req, &why), 0);
	assert_int_equal(req.verb, WK_SOCK_CONSUME);
	assert_string_equal(req.user, "ubuntu");
	assert_string_equal(req.fingerprint, FP);
	assert_null(why);
	/* the longest: a 32-character user */
	assert_int_equal(wk_agent_parse_req(wk_span_from_cstr(
	    "CONSUME 1 abcdefghijabcdefghijabcdefghij12 " FP "\n"), &req,
	    &why), 0);
	assert_int_equal(strlen(req.user), 32);
	assert_int_equal(wk_agent_parse_req(wk_span_from_cstr(
	    "LOOKUP 1 ubuntu\n"), &req, &why), 0);
	assert_int_equal(req.verb, WK_SOCK_LOOKUP);
	assert_string_equal(req.fingerprint, "");
	/* LOOKUP carries no fingerprint */
	assert_int_not_equal(wk_agent_parse_req(wk_span_from_cstr(
	    "LOOKUP 1 ubuntu " FP "\n"), &req, &why), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (wk_agent_parse_req(wk_span_from_cstr(bad[i]), &req,
		    &why) == 0) {
			print_error("accepted: %s\n", bad[i]);
			fail();
		}
		assert_non_null(why);
		assert_string_equal(req.user, "");
		assert_string_equal(req.fingerprint, "");
	}
	assert_int_equal(wk_agent_parse_req(wk_span_from_cstr(
	    "CONSUME 1 ubuntu SHA256:abc\n"), &req, &why), WK_ERR_INVAL);
	assert_string_equal(why, "fingerprint");
	assert_int_equal(wk_agent_parse_req(wk_span_from_cstr(
	    "CONSUME 1 b@d! " FP "\n"), &req, &why), WK_ERR_INVAL);
	assert_string_equal(why, "user");
	/* the LOOKUP-only parser refuses CONSUME */
	assert_int_equal(parse("CONSUME 1 ubuntu " FP "\n", user, &why),
	    WK_ERR_INVAL);
	assert_string_equal(why, "request");
	assert_string_equal(user, "");
}

static void
test_session(void **state)
{
	static const char *const bad[] = {
		"SESSION-OPEN 1 ubuntu " FP " 123 pts/1\n",
		"SESSION-OPEN 1 ubuntu " FP " 0 pts/1 -\n",
		"SESSION-OPEN 1 ubuntu " FP " 0123 pts/1 -\n",
		"SESSION-OPEN 1 ubuntu " FP " 4194305 pts/1 -\n",
		"SESSION-OPEN 1 ubuntu " FP " -1 pts/1 -\n",
		"SESSION-OPEN 1 ubuntu " FP " 12a pts/1 -\n",
		"SESSION-OPEN 1 ubuntu " FP " 123 pts/1 a b\n",
		"SESSION-OPEN 1 ubuntu " FP " 123 pts/1  \n",
		"SESSION-OPEN 1 ubuntu " FP " 123 p\"t -\n",
		"SESSION-OPEN 1 ubuntu " FP " 123 pts/1 "
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		"SESSION-OPEN 1 ubuntu SHA256:abc 123 pts/1 -\n",
		"SESSION-OPEN 1 b/d " FP " 123 pts/1 -\n",
		"SESSION-OPEN 2 ubuntu " FP " 123 pts/1 -\n",
		"SESSION-CLOSE 1 ubuntu\n", "SESSION-CLOSE 1 ubuntu 12 x\n",
		"SESSION-CLOSE 1 ubuntu 0\n", "SESSION-CLOSE 1 ubuntu x\n",
		"SESSION-CLOSE 1 ubuntu 12\r\n",
	};
	struct wk_sock_req req;
	const char *why;
	size_t i;

	(void)state;
	assert_int_equal(wk_agent_parse_req(wk_span_from_cstr(
	    "SESSION-OPEN 1 ubuntu " FP " 4242 /dev/pts/3 203.0.113.9\n"),
	    &req, &why), 0);
	assert_int_equal(req.verb, WK_SOCK_SESSION_OPEN);
	assert_string_equal(req.user, "ubuntu");
	assert_string_equal(req.fingerprint, FP);
	assert_int_equal(req.pid, 4242);
	assert_string_equal(req.tty, "/dev/pts/3");
	assert_string_equal(req.rhost, "203.0.113.9");
	assert_null(why);
	assert_int_equal(wk_agent_parse_req(wk_span_from_cstr(
	    "SESSION-OPEN 1 ubuntu " FP " 1 - ::1\n"), &req, &why), 0);
	assert_string_equal(req.tty, "");
	assert_string_equal(req.rhost, "::1");
	assert_int_equal(wk_agent_parse_req(wk_span_from_cstr(
	    "SESSION-CLOSE 1 ubuntu 4194304\n"), &req, &why), 0);
	assert_int_equal(req.verb, WK_SOCK_SESSION_CLOSE);
	assert_int_equal(req.pid, 4194304);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(wk_agent_parse_req(wk_span_from_cstr(
		    bad[i]), &req, &why), 0);
		assert_int_equal(req.verb, 0);
		assert_int_equal(req.pid, 0);
	}
}

static void
test_reply(void **state)
{
	struct wk_buf out;
	struct wk_span recs[2] = { WK_SPAN_LIT("abc\n"), WK_SPAN_LIT("de") };
	struct wk_span many[WK_SOCK_MAX_RECORDS + 1];
	size_t i;

	(void)state;
	wk_buf_init(&out, WK_SOCK_MAX_REPLY);
	assert_int_equal(wk_agent_format_reply(&out, recs, 2), 0);
	assert_string_equal(wk_buf_cstr(&out), "OK 2\n4\nabc\n2\nde");
	wk_buf_reset(&out);
	assert_int_equal(wk_agent_format_reply(&out, recs, 0), 0);
	assert_string_equal(wk_buf_cstr(&out), "OK 0\n");
	wk_buf_reset(&out);
	for (i = 0; i < WK_SOCK_MAX_RECORDS + 1; i++)
		many[i] = recs[0];
	assert_int_equal(wk_agent_format_reply(&out, many,
	    WK_SOCK_MAX_RECORDS + 1), WK_ERR_TOOBIG);
	wk_buf_reset(&out);
	assert_int_equal(wk_agent_format_error(&out, "version"), 0);
	assert_string_equal(wk_buf_cstr(&out), "ERR version\n");
	wk_buf_cleanup(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_version_and_length),
		cmocka_unit_test(test_consume),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
