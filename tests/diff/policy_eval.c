/*
 * policy_eval.c - the C side of the policy differential test.
 *
 * Reads JSON lines on stdin, one case each:
 *   {"policies": [<policy document object, or its text as a string>, ...],
 *    "action": "svc:Action", "resource": "arn:...",
 *    "context": {"key": ["v1", "v2"], "other": "v"}}
 * evaluates it with the engine (src/iam) and writes one JSON line per case:
 *   {"decision": "allowed"|"explicitDeny"|"implicitDeny"}
 * plus "error" (IAM's MalformedPolicyDocument message) and "policy" (its
 * index) when a policy did not parse; the decision is then implicitDeny,
 * as a document IAM refuses is never in force. A line that is not a valid
 * case gives {"error": "bad case: ..."} and the run goes on.
 *
 * Usage: policy_eval [--max-chars N]   (IAM's size limit to enforce;
 * default WK_POLICY_MAX_MANAGED)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/err.h"
#include "iam/policy.h"

#define PE_MAX_LINE (4u << 20)	/* one case, as read */
#define PE_MAX_POLICIES 64
#define PE_MAX_TEXT (1u << 20)	/* one policy, serialised */

/* Reads one line (without its newline) into b. 0 on a line, WK_ERR_IO at
 * end of input, WK_ERR_TOOBIG when over PE_MAX_LINE (the rest of the line
 * is skipped). */
static int
read_line(FILE *f, struct wk_buf *b)
{
	int c, r = 0;
	bool any = false;

	wk_buf_reset(b);
	while ((c = getc(f)) != EOF) {
		any = true;
		if (c == '\n')
			return r;
		if (r == 0 && (r = wk_buf_putc(b, c)) != 0 &&
		    r != WK_ERR_TOOBIG)
			return r;
	}
	if (ferror(f))
		return WK_ERR_IO;
	return any ? r : WK_ERR_IO;
}

static int
emit(json_t *o)
{
	int r = 0;

	if (o == NULL)
		return WK_ERR_NOMEM;
	if (json_dumpf(o, stdout, JSON_COMPACT) != 0 || putchar('\n') == EOF)
		r = WK_ERR_IO;
	json_decref(o);
	return r;
}

static int
emit_bad(const char *what)
{
	return emit(json_pack("{s:s+}", "error", "bad case: ", what));
}

/* Fills ctx from {"key": ["v", ...] | "v"}; *why on a malformed value. */
static int
load_context(json_t *jctx, struct wk_ctx *ctx, const char **why)
{
	const char *key;
	json_t *val, *item;
	size_t i;
	int r;

	if (jctx == NULL)
		return 0;
	if (!json_is_object(jctx)) {
		*why = "context is not an object";
		return WK_ERR_INVAL;
	}
	json_object_foreach(jctx, key, val) {
		if (json_is_string(val)) {
			if ((r = wk_ctx_add(ctx, key,
			    json_string_value(val))) != 0)
				goto bad;
			continue;
		}
		if (!json_is_array(val)) {
			*why = "context value is not a string or array";
			return WK_ERR_INVAL;
		}
		json_array_foreach(val, i, item) {
			if (!json_is_string(item)) {
				*why = "context array item is not a string";
				return WK_ERR_INVAL;
			}
			if ((r = wk_ctx_add(ctx, key,
			    json_string_value(item))) != 0)
				goto bad;
		}
	}
	return 0;
bad:
	*why = "context key refused by wk_ctx_add";
	return r;
}

/* The policy's text: a string item as given, an object serialised. */
static int
policy_text(json_t *item, char **out, size_t *outlen)
{
	const char *s;
	char *dumped;
	size_t len;

	*out = NULL;
	*outlen = 0;
	if (json_is_string(item)) {
		s = json_string_value(item);
		len = json_string_length(item);
		if (len > PE_MAX_TEXT)
			return WK_ERR_TOOBIG;
		if ((*out = wk_malloc(len + 1)) == NULL)
			return WK_ERR_NOMEM;
		memcpy(*out, s, len);
		(*out)[len] = '\0';
		*outlen = len;
		return 0;
	}
	/* JSON_PRESERVE_ORDER keeps the generator's member order. */
	dumped = json_dumps(item, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);
	if (dumped == NULL)
		return WK_ERR_NOMEM;
	len = strlen(dumped);
	if (len > PE_MAX_TEXT) {
		free(dumped);	/* jansson allocates with malloc */
		return WK_ERR_TOOBIG;
	}
	*out = wk_strdup(dumped);
	free(dumped);
	if (*out == NULL)
		return WK_ERR_NOMEM;
	*outlen = len;
	return 0;
}

static int
run_case(const struct wk_buf *line, size_t max_chars)
{
	struct wk_policy *pols[PE_MAX_POLICIES] = { NULL };
	struct wk_policy_ref refs[PE_MAX_POLICIES];
	char names[PE_MAX_POLICIES][32];
	struct wk_decision_detail det;
	struct wk_authz_request req;
	struct wk_ctx *ctx = NULL;
	json_t *root = NULL, *jpols, *item;
	json_error_t jerr;
	const char *why = NULL;
	char perr[512], *text = NULL;
	size_t i, n = 0, tlen;
	int r = 0, pr;

	root = json_loadb((const char *)line->p, line->len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root)) {
		r = emit_bad(root == NULL ? jerr.text : "not an object");
		goto out;
	}
	jpols = json_object_get(root, "policies");
	req.action = json_string_value(json_object_get(root, "action"));
	req.resource = json_string_value(json_object_get(root, "resource"));
	if (!json_is_array(jpols) || req.action == NULL ||
	    req.resource == NULL) {
		r = emit_bad("need policies (array), action and resource");
		goto out;
	}
	if (json_array_size(jpols) > PE_MAX_POLICIES) {
		r = emit_bad("too many policies");
		goto out;
	}
	if ((r = wk_ctx_new(&ctx)) != 0)
		goto out;
	if (load_context(json_object_get(root, "context"), ctx, &why) != 0) {
		r = emit_bad(why);
		goto out;
	}
	req.ctx = ctx;
	json_array_foreach(jpols, i, item) {
		if ((r = policy_text(item, &text, &tlen)) != 0)
			goto out;
		perr[0] = '\0';
		pr = wk_policy_parse(wk_span_from_mem(text, tlen), max_chars,
		    &pols[i], perr, sizeof(perr));
		wk_free(text);
		text = NULL;
		if (pr != 0) {
			if (perr[0] == '\0')
				snprintf(perr, sizeof(perr), "%s",
				    wk_strerror(pr));
			r = emit(json_pack("{s:s,s:s,s:i}", "decision",
			    wk_decision_name(WK_DECISION_IMPLICIT_DENY),
			    "error", perr, "policy", (int)i));
			goto out;
		}
		snprintf(names[i], sizeof(names[i]), "policy%zu", i);
		refs[i].policy = pols[i];
		refs[i].source = names[i];
		n = i + 1;
	}
	if ((r = wk_policy_evaluate(refs, n, &req, &det)) != 0) {
		r = emit(json_pack("{s:s,s:s}", "decision",
		    wk_decision_name(WK_DECISION_IMPLICIT_DENY), "error",
		    wk_strerror(r)));
		goto out;
	}
	if (det.decision == WK_DECISION_IMPLICIT_DENY)
		r = emit(json_pack("{s:s}", "decision",
		    wk_decision_name(det.decision)));
	else
		r = emit(json_pack("{s:s,s:s,s:i}", "decision",
		    wk_decision_name(det.decision), "by", det.source,
		    "statement", det.statement));
out:
	for (i = 0; i < PE_MAX_POLICIES; i++)
		wk_policy_free(pols[i]);
	wk_free(text);
	wk_ctx_free(ctx);
	json_decref(root);
	return r;
}

int
main(int argc, char **argv)
{
	struct wk_buf line;
	uint64_t max_chars = 0;
	int r, rc = 0;

	if (argc == 3 && strcmp(argv[1], "--max-chars") == 0) {
		if (wk_cstr_to_u64(argv[2], 1u << 20, &max_chars) != 0) {
			fprintf(stderr, "policy_eval: bad --max-chars\n");
			return 2;
		}
	} else if (argc != 1) {
		fprintf(stderr, "usage: policy_eval [--max-chars N] "
		    "< cases.jsonl\n");
		return 2;
	}
	wk_buf_init(&line, PE_MAX_LINE);
	for (;;) {
		r = read_line(stdin, &line);
		if (r == WK_ERR_IO)
			break;
		if (r == WK_ERR_TOOBIG)
			r = emit_bad("line too long");
		else if (r == 0 && line.len == 0)
			continue;
		else if (r == 0)
			r = run_case(&line, (size_t)max_chars);
		if (r != 0) {
			fprintf(stderr, "policy_eval: %s\n", wk_strerror(r));
			rc = 1;
			break;
		}
	}
	wk_buf_cleanup(&line);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}
