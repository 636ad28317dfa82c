/*
 * policy_parse.c - the grammar of identity-based policies, checked as IAM
 * checks it on every write, with IAM's MalformedPolicyDocument messages.
 * The document is compiled into the form policy_eval.c walks without
 * allocating (lower-case action patterns, typed condition values,
 * variable templates).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem */
#endif

#include "iam/policy_int.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"

#define M_SYNTAX "Syntax errors in policy."
#define M_PRINCIPAL "Policy document should not specify a principal."
#define M_LEGACY "The policy failed legacy parsing"
#define M_ACTIONS "Policy statement must contain actions."
#define M_RESOURCES "Policy statement must contain resources."
#define M_VENDOR \
	"Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, " \
	"ec2, etc."
#define M_ONE_COLON "Actions/Condition can contain only one colon."
#define M_VENDOR_WILD \
	"Action vendors (e.g., aws, ec2, etc.) must not contain wildcards"
#define M_SID \
	"Statement IDs (SID) must be alpha-numeric. Check that your input " \
	"satisfies the regular expression [0-9A-Za-z]*"
#define M_SID_DUP "Statement IDs (SID) in a single policy must be unique."
#define M_RES_VENDOR \
	"Resource vendor must be fully qualified and cannot contain regexes."

/* Longest single value echoed back in a message. */
#define ECHO_MAX 256

struct pctx {
	char *err;
	size_t errlen;
	bool v2012;
};

static int
fail(struct pctx *pc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct pctx *pc, const char *fmt, ...)
{
	va_list ap;

	if (pc->err != NULL && pc->errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(pc->err, pc->errlen, fmt, ap);
		va_end(ap);
	}
	return WK_ERR_INVAL;
}

size_t
wk_policy_size(struct wk_span json)
{
	size_t i, n = 0;

	for (i = 0; i < json.len; i++) {
		uint8_t c = json.p[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if ((c & 0xc0) == 0x80)
			continue;	/* UTF-8 continuation: same character */
		n++;
	}
	return n;
}

/* Nesting depth of arrays and objects, strings skipped. */
static size_t
json_depth(struct wk_span json)
{
	size_t i, d = 0, max = 0;
	bool in_str = false;

	for (i = 0; i < json.len; i++) {
		uint8_t c = json.p[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '[' || c == '{') {
			if (++d > max)
				max = d;
		} else if ((c == ']' || c == '}') && d > 0)
			d--;
	}
	return max;
}

static void
stmt_cleanup(struct wk_stmt *s)
{
	size_t i, j;

	for (i = 0; i < s->nactions; i++)
		wk_pval_cleanup(&s->actions[i]);
	wk_free(s->actions);
	for (i = 0; i < s->nresources; i++)
		wk_pval_cleanup(&s->resources[i]);
	wk_free(s->resources);
	for (i = 0; i < s->nconds; i++) {
		for (j = 0; j < s->conds[i].nvals; j++)
			wk_pval_cleanup(&s->conds[i].vals[j]);
		wk_free(s->conds[i].vals);
		wk_free(s->conds[i].key);
	}
	wk_free(s->conds);
	wk_free(s->sid);
}

void
wk_policy_free(struct wk_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nstmts; i++)
		stmt_cleanup(&p->stmts[i]);
	wk_free(p->stmts);
	wk_free(p);
}

/* A string or a list of strings: the count (0 for an empty list), or -1
 * when the shape is wrong. */
static long
string_list(json_t *v)
{
	size_t i;

	if (json_is_string(v))
		return 1;
	if (!json_is_array(v))
		return -1;
	for (i = 0; i < json_array_size(v); i++)
		if (!json_is_string(json_array_get(v, i)))
			return -1;
	return (long)json_array_size(v);
}

static json_t *
list_item(json_t *v, size_t i)
{
	return json_is_string(v) ? v : json_array_get(v, i);
}

static int
check_action(struct pctx *pc, const char *a, size_t n)
{
	const char *colon = memchr(a, ':', n);
	size_t i, vlen;

	if (n == 1 && a[0] == '*')
		return 0;
	if (colon == NULL || colon == a)
		return fail(pc, M_VENDOR);
	if (memchr(colon + 1, ':', n - (size_t)(colon - a) - 1) != NULL)
		return fail(pc, M_ONE_COLON);
	vlen = (size_t)(colon - a);
	for (i = 0; i < vlen; i++) {
		if (a[i] == '*' || a[i] == '?')
			return fail(pc, M_VENDOR_WILD);
		if (!((a[i] >= 'a' && a[i] <= 'z') ||
		    (a[i] >= 'A' && a[i] <= 'Z') ||
		    (a[i] >= '0' && a[i] <= '9') || a[i] == '-' ||
		    a[i] == '_' || a[i] == '.'))
			return fail(pc, M_VENDOR);
	}
	return 0;
}

static int
parse_actions(struct pctx *pc, struct wk_stmt *s, json_t *v)
{
	long n = string_list(v);
	size_t i;
	int r;

	if (n < 0)
		return fail(pc, M_SYNTAX);
	if (n == 0)
		return fail(pc, M_ACTIONS);
	if ((s->actions = wk_calloc((size_t)n, sizeof(struct wk_pval))) ==
	    NULL)
		return WK_ERR_NOMEM;
	for (i = 0; i < (size_t)n; i++) {
		json_t *it = list_item(v, i);
		const char *a = json_string_value(it);
		size_t len = json_string_length(it);

		if ((r = check_action(pc, a, len)) != 0)
			return r;
		r = wk_pval_compile(&s->actions[i], a, len, false, true);
		s->nactions++;
		if (r != 0)
			return r;
		/* "*" (the only vendor-less action) may match any vendor. */
		if (s->actions[i].pk == WK_PK_EXACT)
			s->exact |= wk_action_bit(a, len);
		else
			s->vendors |= memchr(a, ':', len) == NULL ?
			    UINT64_MAX : wk_vendor_bit(a, len);
	}
	return 0;
}

static bool
has_wild(const char *s, size_t n)
{
	return memchr(s, '*', n) != NULL || memchr(s, '?', n) != NULL;
}

static int
check_resource(struct pctx *pc, const char *res, size_t n)
{
	static const char *const partitions[] = { "aws", "aws-cn",
		"aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f",
		"aws-eusc" };
	const char *part, *c2, *c3;
	size_t plen, i, colons = 0;
	bool known = false;

	if (n == 1 && res[0] == '*')
		return 0;
	for (i = 0; i < n; i++)
		colons += res[i] == ':';
	if (n < 4 || memcmp(res, "arn:", 4) != 0 ||
	    (colons < 5 && res[n - 1] != '*'))
		return fail(pc, "Resource %.*s must be in ARN format or \"*\".",
		    (int)(n > ECHO_MAX ? ECHO_MAX : n), res);
	part = res + 4;
	c2 = memchr(part, ':', n - 4);
	plen = c2 ? (size_t)(c2 - part) : n - 4;
	for (i = 0; i < sizeof(partitions) / sizeof(partitions[0]); i++)
		if (strlen(partitions[i]) == plen &&
		    memcmp(partitions[i], part, plen) == 0)
			known = true;
	if (!known && !has_wild(part, plen) &&
	    memmem(part, plen, "${", 2) == NULL)
		return fail(pc, "Partition \"%.*s\" is not valid for resource "
		    "\"%.*s\".", (int)(plen > ECHO_MAX ? ECHO_MAX : plen), part,
		    (int)(n > ECHO_MAX ? ECHO_MAX : n), res);
	if (c2 != NULL) {
		const char *svc = c2 + 1;
		size_t rest = n - (size_t)(svc - res);

		c3 = memchr(svc, ':', rest);
		if (c3 != NULL && has_wild(svc, (size_t)(c3 - svc)))
			return fail(pc, M_RES_VENDOR);
	}
	return 0;
}

static int
parse_resources(struct pctx *pc, struct wk_stmt *s, json_t *v)
{
	long n = string_list(v);
	size_t i;
	int r;

	if (n < 0)
		return fail(pc, M_SYNTAX);
	if (n == 0)
		return fail(pc, M_RESOURCES);
	if ((s->resources = wk_calloc((size_t)n, sizeof(struct wk_pval))) ==
	    NULL)
		return WK_ERR_NOMEM;
	for (i = 0; i < (size_t)n; i++) {
		json_t *it = list_item(v, i);
		const char *res = json_string_value(it);
		size_t len = json_string_length(it);

		if ((r = check_resource(pc, res, len)) != 0)
			return r;
		r = wk_pval_compile(&s->resources[i], res, len, pc->v2012,
		    false);
		s->nresources++;
		if (r != 0)
			return r;
	}
	return 0;
}

/* A condition value as text: strings as is, numbers and booleans as IAM
 * reads them. */
static int
cond_scalar(json_t *v, char *buf, size_t bufsz, const char **s, size_t *n)
{
	int k;

	switch (json_typeof(v)) {
	case JSON_STRING:
		*s = json_string_value(v);
		*n = json_string_length(v);
		return 0;
	case JSON_INTEGER:
		k = snprintf(buf, bufsz, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		k = snprintf(buf, bufsz, "%.17g", json_real_value(v));
		break;
	case JSON_TRUE:
		k = snprintf(buf, bufsz, "true");
		break;
	case JSON_FALSE:
		k = snprintf(buf, bufsz, "false");
		break;
	default:
		return WK_ERR_INVAL;
	}
	if (k < 0 || (size_t)k >= bufsz)
		return WK_ERR_INVAL;
	*s = buf;
	*n = (size_t)k;
	return 0;
}

static int
parse_cond_key(struct pctx *pc, struct wk_cond *c, const char *key,
    json_t *vals)
{
	const char *colon = strchr(key, ':');
	size_t n, i, klen = strlen(key);
	char num[64];
	int r;

	if (colon == NULL || colon == key)
		return fail(pc, M_VENDOR);
	if (klen > WK_CTX_MAX_KEY_LEN)
		return fail(pc, M_SYNTAX);
	if ((c->key = wk_strdup(key)) == NULL)
		return WK_ERR_NOMEM;
	for (i = 0; i < klen; i++)
		c->key[i] = wk_lc(c->key[i]);
	if (json_is_array(vals))
		n = json_array_size(vals);
	else
		n = 1;
	if ((c->vals = wk_calloc(n ? n : 1, sizeof(struct wk_pval))) == NULL)
		return WK_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		json_t *it = json_is_array(vals) ? json_array_get(vals, i) :
		    vals;
		const char *s;
		size_t len;
		bool vars;

		if (cond_scalar(it, num, sizeof(num), &s, &len) != 0)
			return fail(pc, M_SYNTAX);
		if (memchr(s, '\0', len) != NULL)
			return fail(pc, M_SYNTAX);
		vars = pc->v2012 && wk_cond_family_vars(c->op.fam);
		r = wk_pval_compile(&c->vals[i], s, len, vars, false);
		c->nvals++;
		if (r != 0)
			return r;
		wk_cond_type_value(c->op.fam, &c->vals[i]);
	}
	return 0;
}

static int
parse_condition(struct pctx *pc, struct wk_stmt *s, json_t *cond)
{
	const char *opname, *key;
	json_t *block, *vals;
	size_t total = 0;
	struct wk_cond_op op;
	int r;

	if (!json_is_object(cond))
		return fail(pc, M_SYNTAX);
	json_object_foreach(cond, opname, block) {
		if (!wk_cond_op_parse(opname, &op))
			return fail(pc, "Invalid Condition type : %.*s",
			    ECHO_MAX, opname);
		if (!json_is_object(block))
			return fail(pc, M_SYNTAX);
		total += json_object_size(block);
	}
	if (total == 0)
		return 0;
	if ((s->conds = wk_calloc(total, sizeof(struct wk_cond))) == NULL)
		return WK_ERR_NOMEM;
	json_object_foreach(cond, opname, block) {
		(void)wk_cond_op_parse(opname, &op);
		json_object_foreach(block, key, vals) {
			struct wk_cond *c = &s->conds[s->nconds++];

			c->op = op;
			if ((r = parse_cond_key(pc, c, key, vals)) != 0)
				return r;
		}
	}
	return 0;
}

static bool
sid_ok(const char *sid)
{
	for (; *sid != '\0'; sid++)
		if (!((*sid >= 'a' && *sid <= 'z') ||
		    (*sid >= 'A' && *sid <= 'Z') ||
		    (*sid >= '0' && *sid <= '9')))
			return false;
	return true;
}

static int
parse_statement(struct pctx *pc, struct wk_stmt *s, json_t *st)
{
	static const char *const known[] = { "Sid", "Effect", "Action",
		"NotAction", "Resource", "NotResource", "Condition" };
	json_t *sid, *eff, *act, *nact, *res, *nres, *cond, *v;
	const char *key, *e;
	size_t i;
	int r;

	if (!json_is_object(st))
		return fail(pc, M_SYNTAX);
	if (json_object_get(st, "Principal") != NULL ||
	    json_object_get(st, "NotPrincipal") != NULL)
		return fail(pc, M_PRINCIPAL);
	json_object_foreach(st, key, v) {
		bool ok = false;

		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok = ok || strcmp(key, known[i]) == 0;
		if (!ok)
			return fail(pc, M_SYNTAX);
	}
	sid = json_object_get(st, "Sid");
	if (sid != NULL) {
		if (!json_is_string(sid))
			return fail(pc, M_SYNTAX);
		if (!sid_ok(json_string_value(sid)))
			return fail(pc, M_SID);
	}
	if ((s->sid = wk_strdup(sid ? json_string_value(sid) : "")) == NULL)
		return WK_ERR_NOMEM;
	eff = json_object_get(st, "Effect");
	if (eff == NULL || !json_is_string(eff))
		return fail(pc, M_SYNTAX);
	e = json_string_value(eff);
	if (strcmp(e, "Allow") == 0)
		s->deny = false;
	else if (strcmp(e, "Deny") == 0)
		s->deny = true;
	else
		return fail(pc, "Invalid effect: %.*s", ECHO_MAX, e);
	act = json_object_get(st, "Action");
	nact = json_object_get(st, "NotAction");
	if (act != NULL && nact != NULL)
		return fail(pc, M_SYNTAX);
	if (act == NULL && nact == NULL)
		return fail(pc, M_ACTIONS);
	s->not_action = nact != NULL;
	if ((r = parse_actions(pc, s, act ? act : nact)) != 0)
		return r;
	if (s->not_action)
		s->vendors = UINT64_MAX;
	res = json_object_get(st, "Resource");
	nres = json_object_get(st, "NotResource");
	if (res != NULL && nres != NULL)
		return fail(pc, M_SYNTAX);
	if (res == NULL && nres == NULL)
		return fail(pc, M_RESOURCES);
	s->not_resource = nres != NULL;
	if ((r = parse_resources(pc, s, res ? res : nres)) != 0)
		return r;
	cond = json_object_get(st, "Condition");
	if (cond != NULL && (r = parse_condition(pc, s, cond)) != 0)
		return r;
	return 0;
}

static int
parse_doc(struct pctx *pc, json_t *doc, struct wk_policy *p)
{
	json_t *ver, *id, *stmts, *v;
	const char *key;
	size_t n, i, j;
	int r;

	if (!json_is_object(doc))
		return fail(pc, M_SYNTAX);
	json_object_foreach(doc, key, v) {
		if (strcmp(key, "Version") != 0 && strcmp(key, "Id") != 0 &&
		    strcmp(key, "Statement") != 0)
			return fail(pc, M_SYNTAX);
	}
	ver = json_object_get(doc, "Version");
	if (ver != NULL) {
		if (!json_is_string(ver))
			return fail(pc, M_SYNTAX);
		if (strcmp(json_string_value(ver), "2012-10-17") == 0)
			pc->v2012 = true;
		else if (strcmp(json_string_value(ver), "2008-10-17") != 0)
			return fail(pc, M_LEGACY);
	}
	p->v2012 = pc->v2012;
	id = json_object_get(doc, "Id");
	if (id != NULL && !json_is_string(id))
		return fail(pc, M_SYNTAX);
	stmts = json_object_get(doc, "Statement");
	if (stmts == NULL)
		return fail(pc, M_SYNTAX);
	if (json_is_object(stmts))
		n = 1;
	else if (json_is_array(stmts))
		n = json_array_size(stmts);
	else
		return fail(pc, M_SYNTAX);
	if (n == 0)
		return fail(pc, M_SYNTAX);
	/* Principal anywhere is named before any other fault. */
	for (i = 0; i < n; i++) {
		json_t *st = json_is_object(stmts) ? stmts :
		    json_array_get(stmts, i);

		if (json_is_object(st) &&
		    (json_object_get(st, "Principal") != NULL ||
		    json_object_get(st, "NotPrincipal") != NULL))
			return fail(pc, M_PRINCIPAL);
	}
	if ((p->stmts = wk_calloc(n, sizeof(struct wk_stmt))) == NULL)
		return WK_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		json_t *st = json_is_object(stmts) ? stmts :
		    json_array_get(stmts, i);

		r = parse_statement(pc, &p->stmts[i], st);
		p->nstmts++;
		if (r != 0)
			return r;
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (p->stmts[i].sid[0] != '\0' &&
			    strcmp(p->stmts[i].sid, p->stmts[j].sid) == 0)
				return fail(pc, M_SID_DUP);
	return 0;
}

int
wk_policy_parse(struct wk_span json, size_t max_chars, struct wk_policy **out,
    char *err, size_t errlen)
{
	struct pctx pc = { err, errlen, false };
	struct wk_policy *p = NULL;
	json_error_t jerr;
	json_t *doc = NULL;
	int r;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (max_chars == 0)
		max_chars = WK_POLICY_MAX_MANAGED;
	if (json.p == NULL && json.len > 0)
		return WK_ERR_INVAL;
	if (json.len > WK_POLICY_MAX_RAW || wk_policy_size(json) > max_chars) {
		(void)fail(&pc, "Cannot exceed quota for PolicySize: %zu",
		    max_chars);
		return WK_ERR_TOOBIG;
	}
	if (json_depth(json) > WK_POLICY_MAX_JSON_DEPTH)
		return fail(&pc, M_SYNTAX);
	doc = json_loadb(json.len ? (const char *)json.p : "", json.len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		/* jansson fails on allocation too; NOMEM is not told apart. */
		return fail(&pc, M_SYNTAX);
	}
	if ((p = wk_calloc(1, sizeof(*p))) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	if ((r = parse_doc(&pc, doc, p)) != 0)
		goto out;
	*out = p;
	p = NULL;
out:
	if (r == WK_ERR_NOMEM && err != NULL && errlen > 0)
		err[0] = '\0';
	wk_policy_free(p);
	json_decref(doc);
	return r;
}
