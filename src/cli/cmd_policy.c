/*
 * cmd_policy.c - `wicket policy lint FILE...`: checks IAM policy documents
 * offline, as IAM Access Analyzer's policy checks do, for conditions on
 * keys the statement's actions can never have in wicket (not a global key,
 * not in the action's row of the condition-key table). IAM accepts such a
 * policy, and so does wicketd, but the condition then behaves as for a
 * request without the key: a Deny guarded by it never applies, an Allow
 * with ForAllValues always does.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "iam/policy.h"

#define POLICY_FILE_MAX (1024 * 1024)	/* bytes read from one file */
#define POLICY_CHARS_MAX 131072		/* IAM's largest document */
#define FINDINGS_MAX 256		/* printed per file */

static const char policy_usage[] =
"NAME\n"
"     wicket policy - check IAM policy documents\n"
"\n"
"SYNOPSIS\n"
"     wicket policy lint FILE...\n"
"\n"
"DESCRIPTION\n"
"     lint parses each FILE as an IAM policy document (as wicketd and IAM\n"
"     do) and reports every condition on a key that the statement's\n"
"     actions can never have: not a global key, and not one that AWS's\n"
"     Service Authorization Reference lists for the action (or one it\n"
"     lists but wicketd has no value for). IAM and wicketd accept such a\n"
"     policy, but with the key absent a positive operator is false and\n"
"     ForAllValues is true, so a guardrail built on it silently does\n"
"     nothing. wicketd logs the same findings when a policy is written.\n"
"\n"
"     Each finding is one line:\n"
"         FILE: statement N: action ACTION: key KEY: why\n"
"     N counts from 0; ACTION is the Action entry (wildcards are expanded\n"
"     over the actions wicketd serves; an entry naming none of them is\n"
"     not checked), \"NotAction\" or \"*\".\n"
"\n"
"EXIT STATUS\n"
"     0 when no file has a finding, 1 when one has, 2 when a file cannot\n"
"     be read or is not a valid policy document.\n"
"\n"
"EXAMPLES\n"
"     wicket policy lint deny-admin.json tag-guardrail.json\n";

/* Reads at most POLICY_FILE_MAX bytes of path into b. */
static int
read_file(const char *path, struct wk_buf *b)
{
	char chunk[8192];
	size_t n;
	FILE *f;
	int r = 0;

	if ((f = fopen(path, "r")) == NULL)
		return WK_ERR_NOTFOUND;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((r = wk_buf_append(b, chunk, n)) != 0)
			break;
	if (r == 0 && ferror(f))
		r = WK_ERR_IO;
	fclose(f);
	return r;
}

int
wk_cli_policy_lint(const char *name, struct wk_span doc, struct wk_buf *out,
    size_t *nfindings)
{
	struct wk_lint_finding f[FINDINGS_MAX];
	struct wk_policy *pol = NULL;
	char err[512];
	size_t n = 0, i;
	int r;

	*nfindings = 0;
	err[0] = '\0';
	if ((r = wk_policy_parse(doc, POLICY_CHARS_MAX, &pol, err,
	    sizeof(err))) != 0) {
		if (r == WK_ERR_INVAL || r == WK_ERR_TOOBIG)
			(void)wk_buf_appendf(out, "%s: not a valid policy: %s\n",
			    name, err[0] != '\0' ? err : wk_strerror(r));
		return r;
	}
	if ((r = wk_policy_lint(pol, f, FINDINGS_MAX, &n)) != 0)
		goto out;
	for (i = 0; i < n && i < FINDINGS_MAX; i++)
		if ((r = wk_buf_appendf(out, "%s: statement %d: action %s: "
		    "key %s: %s\n", name, f[i].statement, f[i].action,
		    f[i].key, wk_lint_why(f[i].why))) != 0)
			goto out;
	if (n > FINDINGS_MAX && (r = wk_buf_appendf(out, "%s: %zu more "
	    "findings not shown\n", name, n - FINDINGS_MAX)) != 0)
		goto out;
	*nfindings = n;
out:
	wk_policy_free(pol);
	return r;
}

static int
cmd_policy_exec(const struct wk_cli_cmd *self, int argc, char **argv)
{
	struct wk_buf doc, out;
	size_t n, total = 0;
	int i, r, status = 0;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		fputs(self->usage, stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "lint") != 0) {
		wk_cli_errx("usage: wicket policy lint FILE... (see 'wicket "
		    "policy --help')");
		return 2;
	}
	if (argc >= 3 && (strcmp(argv[2], "--help") == 0 ||
	    strcmp(argv[2], "-h") == 0)) {
		fputs(self->usage, stdout);
		return 0;
	}
	if (argc < 3) {
		wk_cli_errx("policy lint: no FILE given");
		return 2;
	}
	for (i = 2; i < argc; i++) {
		wk_buf_init(&doc, POLICY_FILE_MAX);
		wk_buf_init(&out, 4 * 1024 * 1024);
		if ((r = read_file(argv[i], &doc)) != 0) {
			wk_cli_errx("%s: %s", argv[i], r == WK_ERR_TOOBIG ?
			    "larger than 1 MiB" : r == WK_ERR_NOTFOUND ?
			    strerror(errno) : wk_strerror(r));
			status = 2;
		} else if ((r = wk_cli_policy_lint(argv[i],
		    wk_buf_span(&doc), &out, &n)) != 0) {
			fputs(wk_buf_cstr(&out), stderr);
			if (r != WK_ERR_INVAL && r != WK_ERR_TOOBIG)
				wk_cli_errx("%s: %s", argv[i], wk_strerror(r));
			status = 2;
		} else {
			fputs(wk_buf_cstr(&out), stdout);
			total += n;
		}
		wk_buf_cleanup(&doc);
		wk_buf_cleanup(&out);
	}
	if (status == 0 && total > 0)
		status = 1;
	return status;
}

const struct wk_cli_cmd wk_cli_cmd_policy = {
	.name = "policy",
	.summary = "check IAM policy documents (lint condition keys)",
	.usage = policy_usage,
	.exec = cmd_policy_exec,
};
