/*
 * test_policy_cases.c - conformance cases as data: every file in
 * tests/unit/iam/cases/ is a JSON list of cases, each either
 *   { "name", "policies": [doc | "raw text", ...],
 *     "requests": [ { "action", "resource", "context": {k: v|[v..]},
 *                     "expect": "allowed"|"explicitDeny"|"implicitDeny",
 *                     "policy": i, "statement": j, "sid": s } ] }
 * or a grammar case
 *   { "name", "policy": doc | "raw text", "error": "message" | null,
 *     "code": "INVAL"|"TOOBIG", "max_chars": n }.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "iam/policy.h"

static char *
doc_text(json_t *d)
{
	if (json_is_string(d))
		return strdup(json_string_value(d));
	return json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static int
parse_one(json_t *d, size_t max, struct wk_policy **p, char *err,
    size_t errlen)
{
	char *t = doc_text(d);
	int r;

	assert_non_null(t);
	r = wk_policy_parse(wk_span_from_cstr(t), max, p, err, errlen);
	free(t);
	return r;
}

static struct wk_ctx *
make_ctx(json_t *c)
{
	struct wk_ctx *ctx;
	const char *k;
	json_t *v;
	size_t i;

	assert_int_equal(wk_ctx_new(&ctx), 0);
	json_object_foreach(c, k, v) {
		if (json_is_array(v)) {
			for (i = 0; i < json_array_size(v); i++)
				assert_int_equal(wk_ctx_add(ctx, k,
				    json_string_value(json_array_get(v, i))),
				    0);
		} else {
			assert_true(json_is_string(v));
			assert_int_equal(wk_ctx_add(ctx, k,
			    json_string_value(v)), 0);
		}
	}
	return ctx;
}

static int failures;

static void
run_eval_case(const char *file, json_t *cs)
{
	json_t *pols = json_object_get(cs, "policies");
	json_t *reqs = json_object_get(cs, "requests");
	const char *name = json_string_value(json_object_get(cs, "name"));
	struct wk_policy_ref refs[16];
	struct wk_policy *ps[16];
	char srcs[16][32], err[256];
	size_t np = json_array_size(pols), i;

	assert_true(np <= 16);
	for (i = 0; i < np; i++) {
		int r = parse_one(json_array_get(pols, i), 0, &ps[i], err,
		    sizeof(err));

		if (r != 0) {
			fprintf(stderr, "%s: %s: policy %zu: %d %s\n", file,
			    name, i, r, err);
			failures++;
			ps[i] = NULL;
		}
		snprintf(srcs[i], sizeof(srcs[i]), "p%zu", i);
		refs[i].policy = ps[i];
		refs[i].source = srcs[i];
	}
	for (i = 0; i < json_array_size(reqs); i++) {
		json_t *rq = json_array_get(reqs, i);
		json_t *ctxj = json_object_get(rq, "context");
		json_t *empty = json_object();
		struct wk_ctx *ctx = make_ctx(ctxj ? ctxj : empty);
		struct wk_authz_request req = {
			json_string_value(json_object_get(rq, "action")),
			json_string_value(json_object_get(rq, "resource")),
			ctx,
		};
		struct wk_decision_detail d;
		const char *want = json_string_value(json_object_get(rq,
		    "expect"));
		json_t *wp = json_object_get(rq, "policy");
		json_t *ws = json_object_get(rq, "statement");
		json_t *wsid = json_object_get(rq, "sid");
		int r = wk_policy_evaluate(refs, np, &req, &d);

		if (r != 0 || strcmp(wk_decision_name(d.decision), want) != 0 ||
		    (wp && (d.source == NULL || strcmp(d.source,
		    srcs[json_integer_value(wp)]) != 0)) ||
		    (ws && d.statement != (int)json_integer_value(ws)) ||
		    (wsid && strcmp(d.sid, json_string_value(wsid)) != 0)) {
			fprintf(stderr, "%s: %s: request %zu (%s %s): got %s "
			    "(r=%d src=%s stmt=%d sid=%s), want %s\n", file,
			    name, i, req.action, req.resource,
			    wk_decision_name(d.decision), r,
			    d.source ? d.source : "-", d.statement, d.sid,
			    want);
			failures++;
		}
		json_decref(empty);
		wk_ctx_free(ctx);
	}
	for (i = 0; i < np; i++)
		wk_policy_free(ps[i]);
}

static void
run_grammar_case(const char *file, json_t *cs)
{
	const char *name = json_string_value(json_object_get(cs, "name"));
	json_t *want_err = json_object_get(cs, "error");
	json_t *code = json_object_get(cs, "code");
	json_t *maxj = json_object_get(cs, "max_chars");
	struct wk_policy *p = NULL;
	char err[512];
	int want = 0, r;

	if (code != NULL)
		want = strcmp(json_string_value(code), "TOOBIG") == 0 ?
		    WK_ERR_TOOBIG : WK_ERR_INVAL;
	else if (want_err != NULL && !json_is_null(want_err))
		want = WK_ERR_INVAL;
	r = parse_one(json_object_get(cs, "policy"),
	    maxj ? (size_t)json_integer_value(maxj) : 0, &p, err, sizeof(err));
	if (r != want || (r == 0) != (p != NULL) ||
	    (want == WK_ERR_INVAL && want_err && !json_is_null(want_err) &&
	    strcmp(err, json_string_value(want_err)) != 0)) {
		fprintf(stderr, "%s: %s: got %d \"%s\", want %d \"%s\"\n",
		    file, name, r, err, want,
		    want_err && json_is_string(want_err) ?
		    json_string_value(want_err) : "");
		failures++;
	}
	wk_policy_free(p);
}

static void
cases_dir(char *buf, size_t n)
{
	const char *f = __FILE__;
	const char *slash = strrchr(f, '/');

	snprintf(buf, n, "%.*s/cases", slash ? (int)(slash - f) : 1,
	    slash ? f : ".");
}

static void
test_cases(void **state)
{
	char dir[1024], path[2048];
	struct dirent *de;
	size_t ncases = 0, i;
	DIR *d;

	(void)state;
	cases_dir(dir, sizeof(dir));
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		json_error_t je;
		json_t *all;

		if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		all = json_load_file(path, 0, &je);
		if (all == NULL) {
			fprintf(stderr, "%s:%d: %s\n", path, je.line, je.text);
			failures++;
			continue;
		}
		for (i = 0; i < json_array_size(all); i++) {
			json_t *cs = json_array_get(all, i);

			if (json_object_get(cs, "requests") != NULL)
				run_eval_case(de->d_name, cs);
			else
				run_grammar_case(de->d_name, cs);
			ncases++;
		}
		json_decref(all);
	}
	closedir(d);
	fprintf(stderr, "%zu cases, %d failures\n", ncases, failures);
	assert_true(ncases > 0);
	assert_int_equal(failures, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
