/*
 * test_cmd_policy.c - `wicket policy lint`: the finding lines, a clean
 * policy, an invalid one, and the exit statuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/err.h"

#define DENY_ADMIN "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":" \
	"\"Deny\",\"Action\":[\"iam:AttachUserPolicy\",\"iam:CreateAccessKey\"]," \
	"\"Resource\":\"*\",\"Condition\":{\"ArnLike\":{\"iam:PolicyARN\":" \
	"\"*Admin*\"}}}]}"
#define CLEAN "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":" \
	"\"Allow\",\"Action\":\"ec2:CreateTags\",\"Resource\":\"*\"," \
	"\"Condition\":{\"ForAllValues:StringEquals\":{\"aws:TagKeys\":" \
	"[\"Name\"]}}}}"

static void
test_lines(void **state)
{
	struct wk_buf out;
	size_t n;

	(void)state;
	wk_buf_init(&out, 1 << 20);
	assert_int_equal(wk_cli_policy_lint("p.json",
	    wk_span_from_cstr(DENY_ADMIN), &out, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(wk_buf_cstr(&out), "p.json: statement 0: action "
	    "iam:CreateAccessKey: key iam:policyarn: the action never has "
	    "this key (not a global key, not in the action's row of the "
	    "Service Authorization Reference)\n");
	wk_buf_reset(&out);
	assert_int_equal(wk_cli_policy_lint("c.json", wk_span_from_cstr(CLEAN),
	    &out, &n), 0);
	assert_int_equal(n, 0);
	assert_string_equal(wk_buf_cstr(&out), "");
	wk_buf_reset(&out);
	assert_int_equal(wk_cli_policy_lint("b.json", wk_span_from_cstr("{"),
	    &out, &n), WK_ERR_INVAL);
	assert_non_null(strstr(wk_buf_cstr(&out), "b.json: not a valid "
	    "policy"));
	wk_buf_cleanup(&out);
}

static int
run(const char *const *files, size_t n)
{
	char *argv[8];
	size_t i;

	argv[0] = (char *)(uintptr_t)"policy";
	argv[1] = (char *)(uintptr_t)"lint";
	for (i = 0; i < n; i++)
		argv[2 + i] = (char *)(uintptr_t)files[i];
	argv[2 + n] = NULL;
	return wk_cli_cmd_policy.exec(&wk_cli_cmd_policy, (int)(2 + n), argv);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_exit_status(void **state)
{
	char dir[] = "/tmp/wk-lint-XXXXXX", a[64], b[64], c[64];
	const char *files[2];
	char *argv[3];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/clean.json", dir);
	snprintf(b, sizeof(b), "%s/finding.json", dir);
	snprintf(c, sizeof(c), "%s/bad.json", dir);
	write_file(a, CLEAN);
	write_file(b, DENY_ADMIN);
	write_file(c, "{\"Version\":");
	files[0] = a;
	assert_int_equal(run(files, 1), 0);
	files[1] = b;
	assert_int_equal(run(files, 2), 1);
	files[1] = c;
	assert_int_equal(run(files, 2), 2);
	files[0] = "/nonexistent/policy.json";
	assert_int_equal(run(files, 1), 2);
	/* no FILE, or no subcommand */
	assert_int_equal(run(files, 0), 2);
	argv[0] = (char *)(uintptr_t)"policy";
	argv[1] = NULL;
	assert_int_equal(wk_cli_cmd_policy.exec(&wk_cli_cmd_policy, 1, argv),
	    2);
	unlink(a);
	unlink(b);
	unlink(c);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_exit_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
