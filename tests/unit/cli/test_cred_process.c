/*
 * test_cred_process.c - credential_process: the command-line splitter
 * against Python's shlex.split (what the AWS CLI v2 uses on POSIX) and the
 * JSON reader. Running a process is covered in test_aws_config.c and
 * tests/e2e/test_cli_config.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cli/aws_config.h"
#include "common/err.h"

/* Splits cmd and compares with the NULL-terminated expected words. */
static void
split_is(const char *cmd, ...)
{
	struct wk_buf msg;
	char **argv;
	size_t argc, i = 0;
	const char *w;
	va_list ap;

	wk_buf_init(&msg, 1024);
	if (wk_cred_process_split(wk_span_from_cstr(cmd), &argv, &argc,
	    &msg) != 0)
		fail_msg("%s: %s", cmd, wk_buf_cstr(&msg));
	va_start(ap, cmd);
	while ((w = va_arg(ap, const char *)) != NULL) {
		if (i >= argc || strcmp(argv[i], w) != 0)
			fail_msg("%s: word %zu is '%s', want '%s'", cmd, i,
			    i < argc ? argv[i] : "(none)", w);
		i++;
	}
	va_end(ap);
	assert_int_equal(i, argc);
	assert_null(argv[argc]);
	wk_cred_process_argv_free(argv);
	wk_buf_cleanup(&msg);
}

static void
split_fails(const char *cmd, const char *why)
{
	struct wk_buf msg;
	char **argv;
	size_t argc;

	wk_buf_init(&msg, 1024);
	assert_int_equal(wk_cred_process_split(wk_span_from_cstr(cmd), &argv,
	    &argc, &msg), WK_ERR_INVAL);
	assert_null(argv);
	if (strstr(wk_buf_cstr(&msg), why) == NULL)
		fail_msg("%s: '%s' lacks '%s'", cmd, wk_buf_cstr(&msg), why);
	wk_buf_cleanup(&msg);
}

static void
test_split(void **state)
{
	(void)state;
	/* expected values: python3 -c 'import shlex; print(shlex.split(X))' */
	split_is("/opt/bin/cred", "/opt/bin/cred", NULL);
	split_is("  aws-vault   exec\tdev --json  ", "aws-vault", "exec",
	    "dev", "--json", NULL);
	split_is("\"/path with/space\" 'a b' c\\ d", "/path with/space",
	    "a b", "c d", NULL);
	split_is("x '' \"\"", "x", "", "", NULL);
	split_is("a'b'\"c\"d", "abcd", NULL);
	split_is("'it''s' \"\\\"q\\\"\" \"\\$HOME\" \"\\\\\"", "its",
	    "\"q\"", "\\$HOME", "\\", NULL);
	split_is("'\\n' \\n", "\\n", "n", NULL);
	/* no shell: its characters are plain */
	split_is("cmd $HOME; rm -rf / | x > y #c", "cmd", "$HOME;", "rm",
	    "-rf", "/", "|", "x", ">", "y", "#c", NULL);

	split_fails("", "empty");
	split_fails("   \t ", "empty");
	split_fails("cmd 'open", "single quotation");
	split_fails("cmd \"open", "double quotation");
	split_fails("cmd \\", "backslash");
	{
		struct wk_buf cmd, msg;
		char **argv;
		size_t argc, i;

		wk_buf_init(&cmd, 1 << 20);
		wk_buf_init(&msg, 1024);
		for (i = 0; i <= WK_CRED_PROCESS_MAX_ARGS; i++)
			assert_int_equal(wk_buf_append_str(&cmd, "a "), 0);
		assert_int_equal(wk_cred_process_split(wk_buf_span(&cmd),
		    &argv, &argc, &msg), WK_ERR_INVAL);
		assert_non_null(strstr(wk_buf_cstr(&msg), "words"));
		wk_buf_reset(&cmd);
		wk_buf_reset(&msg);
		for (i = 0; i <= WK_CRED_PROCESS_MAX_CMD; i++)
			assert_int_equal(wk_buf_putc(&cmd, 'a'), 0);
		assert_int_equal(wk_cred_process_split(wk_buf_span(&cmd),
		    &argv, &argc, &msg), WK_ERR_INVAL);
		wk_buf_reset(&msg);
		assert_int_equal(wk_cred_process_split(wk_span_from_mem(
		    "a\0b", 3), &argv, &argc, &msg), WK_ERR_INVAL);
		assert_non_null(strstr(wk_buf_cstr(&msg), "NUL"));
		wk_buf_cleanup(&cmd);
		wk_buf_cleanup(&msg);
	}
}

static int
parse(const char *json, struct wk_aws_config *cfg, struct wk_buf *msg)
{
	memset(cfg, 0, sizeof(*cfg));
	wk_buf_reset(msg);
	return wk_cred_process_parse(wk_span_from_cstr(json), 1700000000,
	    cfg, msg);
}

static void
test_parse(void **state)
{
	static const struct {
		const char *json;
		const char *why;
	} bad[] = {
		{ "", "not a JSON object" },
		{ "[1]", "not a JSON object" },
		{ "{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"S\"}",
		    "missing the required key Version" },
		{ "{\"Version\": \"1\", \"AccessKeyId\": \"A\", "
		    "\"SecretAccessKey\": \"S\"}", "unsupported Version" },
		{ "{\"Version\": 2, \"AccessKeyId\": \"A\", "
		    "\"SecretAccessKey\": \"S\"}", "unsupported Version" },
		{ "{\"Version\": 1, \"SecretAccessKey\": \"S\"}",
		    "missing the required key AccessKeyId" },
		{ "{\"Version\": 1, \"AccessKeyId\": \"A\"}",
		    "missing the required key SecretAccessKey" },
		{ "{\"Version\": 1, \"AccessKeyId\": 5, "
		    "\"SecretAccessKey\": \"S\"}", "non-empty string" },
		{ "{\"Version\": 1, \"AccessKeyId\": \"\", "
		    "\"SecretAccessKey\": \"S\"}", "non-empty string" },
		{ "{\"Version\": 1, \"AccessKeyId\": \"A\", "
		    "\"SecretAccessKey\": \"S\", \"Expiration\": \"soon\"}",
		    "ISO 8601" },
		{ "{\"Version\": 1, \"AccessKeyId\": \"A\", "
		    "\"SecretAccessKey\": \"S\", "
		    "\"Expiration\": \"2023-01-01T00:00:00Z\"}", "expired" },
		{ "{\"Version\": 1, \"Version\": 1}", "not a JSON object" },
	};
	struct wk_aws_config cfg;
	struct wk_buf msg;
	size_t i;

	(void)state;
	wk_buf_init(&msg, 1024);
	assert_int_equal(parse("{\"Version\": 1, \"AccessKeyId\": \"AKIA1\", "
	    "\"SecretAccessKey\": \"S1\", \"SessionToken\": \"T1\", "
	    "\"Expiration\": \"2030-01-01T00:00:00Z\", \"Extra\": 1}", &cfg,
	    &msg), 0);
	assert_string_equal(cfg.access_key_id, "AKIA1");
	assert_string_equal(cfg.secret_access_key, "S1");
	assert_string_equal(cfg.session_token, "T1");
	assert_int_equal(cfg.expiration, 1893456000);
	wk_aws_config_cleanup(&cfg);
	assert_int_equal(parse("{\"Version\": 1, \"AccessKeyId\": \"A\", "
	    "\"SecretAccessKey\": \"S\", \"SessionToken\": null}", &cfg,
	    &msg), 0);
	assert_null(cfg.session_token);
	assert_int_equal(cfg.expiration, 0);
	wk_aws_config_cleanup(&cfg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].json, &cfg, &msg),
		    WK_ERR_INVAL);
		if (strstr(wk_buf_cstr(&msg), bad[i].why) == NULL)
			fail_msg("%s: '%s' lacks '%s'", bad[i].json,
			    wk_buf_cstr(&msg), bad[i].why);
		assert_null(cfg.access_key_id);
		assert_null(cfg.secret_access_key);
		wk_aws_config_cleanup(&cfg);
	}
	wk_buf_cleanup(&msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
