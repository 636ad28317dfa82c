/*
 * iam_simulate.c - SimulatePrincipalPolicy and SimulateCustomPolicy: the
 * policy engine's decision for each action x resource, in IAM's
 * EvaluationResults shape. The context of each pair is built by the same
 * function as a real call's (wk_authz_request_context): the simulated
 * user's own keys (SimulatePrincipalPolicy), the resource's keys when the
 * ARN names a user or instance that exists (its tags), and the caller's
 * ContextEntries, which replace built keys of the same name and supply
 * the request's own (aws:RequestTag/..., iam:PolicyARN, ec2:osuser,
 * aws:SourceIp, aws:CurrentTime...).
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/err.h"
#include "server/auth/auth.h"
#include "server/iam/iam_int.h"

#define SIM_DOC_MAX 131072	/* documents here were validated on write */
#define SIM_CTX_MAX 100		/* context entries */
#define SIM_MISSING_MAX 64	/* MissingContextValues per result */

struct sim {
	struct wk_policy **parsed;
	struct wk_policy_ref *refs;
	char **sources;		/* owned copies of the refs' sources */
	const char **texts;	/* the documents (borrowed) */
	size_t n, cap;
	struct wk_ctx *ctx;	/* ContextEntries */
	struct wk_user user;	/* the simulated principal, when have_user */
	bool have_user;
	const char **actions;
	size_t nactions;
	const char **resources;
	size_t nresources;
	struct wk_effective_policy *eff;
	size_t neff;
	json_t **json;		/* the documents as JSON, for their keys */
};

static void
sim_cleanup(struct sim *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		wk_policy_free(s->parsed[i]);
		wk_free(s->sources[i]);
		if (s->json != NULL)
			json_decref(s->json[i]);
	}
	wk_free(s->json);
	wk_free(s->parsed);
	wk_free(s->refs);
	wk_free(s->sources);
	wk_free(s->texts);
	wk_ctx_free(s->ctx);
	wk_free(s->actions);
	wk_free(s->resources);
	if (s->eff != NULL)
		wk_effective_policy_list_free(s->eff, s->neff);
	memset(s, 0, sizeof(*s));
}

/* Parses `doc` and adds it to the set under `source`. */
static int
sim_add(struct sim *s, struct wk_api_resp *resp, const char *doc,
    const char *source)
{
	struct wk_policy *pol = NULL;
	char err[512];
	void *np;
	int r;

	err[0] = '\0';
	if ((r = wk_policy_parse(wk_span_from_cstr(doc), SIM_DOC_MAX, &pol,
	    err, sizeof(err))) != 0) {
		if (r == WK_ERR_INVAL || r == WK_ERR_TOOBIG)
			r = wk_api_error(resp, 400, "InvalidInput",
			    "%s: %s", source, err[0] != '\0' ? err :
			    "Syntax errors in policy.");
		return r;
	}
	if (s->n == s->cap) {
		size_t ncap = s->cap == 0 ? 8 : s->cap * 2;

		if ((np = wk_reallocarray(s->parsed, ncap,
		    sizeof(*s->parsed))) == NULL)
			goto nomem;
		s->parsed = np;
		if ((np = wk_reallocarray(s->refs, ncap,
		    sizeof(*s->refs))) == NULL)
			goto nomem;
		s->refs = np;
		if ((np = wk_reallocarray(s->sources, ncap,
		    sizeof(*s->sources))) == NULL)
			goto nomem;
		s->sources = np;
		if ((np = wk_reallocarray(s->texts, ncap,
		    sizeof(*s->texts))) == NULL)
			goto nomem;
		s->texts = np;
		s->cap = ncap;
	}
	if ((s->sources[s->n] = wk_strdup(source)) == NULL)
		goto nomem;
	s->parsed[s->n] = pol;
	s->texts[s->n] = doc;
	s->n++;
	return 0;
nomem:
	wk_policy_free(pol);
	return WK_ERR_NOMEM;
}

static int
sim_inputs(const struct wk_api_req *req, struct wk_api_resp *resp,
    struct sim *s, bool required)
{
	const char **docs = NULL;
	size_t n = 0, i;
	char src[64];
	int r;

	if ((r = wk_iam_param_list(req, resp, "PolicyInputList", &docs,
	    &n)) != 0)
		goto out;
	if (n == 0 && required) {
		r = wk_api_error(resp, 400, "ValidationError",
		    "1 validation error detected: Value null at "
		    "'policyInputList' failed to satisfy constraint: Member "
		    "must not be null");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = wk_iam_check(resp, &wk_iam_f_policy_doc,
		    docs[i])) != 0)
			goto out;
		snprintf(src, sizeof(src), "PolicyInputList.%zu", i + 1);
		if ((r = sim_add(s, resp, docs[i], src)) != 0)
			goto out;
	}
out:
	wk_free(docs);
	return r;
}

static int
bad_type(struct wk_api_resp *resp, const char *type, size_t i)
{
	return wk_api_error(resp, 400, "ValidationError", "1 validation error "
	    "detected: Value '%.64s' at 'contextEntries.%zu.member."
	    "contextKeyType' failed to satisfy constraint: Member must satisfy "
	    "enum value set: [string, stringList, numeric, numericList, "
	    "boolean, booleanList, ip, ipList, binary, binaryList, date, "
	    "dateList]", type, i);
}

static int
sim_context(const struct wk_api_req *req, struct wk_api_resp *resp,
    struct sim *s)
{
	static const char *const types[] = { "string", "stringList",
		"numeric", "numericList", "boolean", "booleanList", "ip",
		"ipList", "binary", "binaryList", "date", "dateList", NULL };
	static const struct wk_iam_field f_key = {
		"ContextKeyName", "contextKeyName", 5, 256, WK_IAM_PAT_ANY,
		true
	};
	const char *key, *type, *val;
	char pname[128];
	size_t i, j, t;
	int r;

	if ((r = wk_ctx_new(&s->ctx)) != 0)
		return r;
	for (i = 1; i <= SIM_CTX_MAX + 1; i++) {
		snprintf(pname, sizeof(pname),
		    "ContextEntries.member.%zu.ContextKeyName", i);
		if ((key = wk_params_get(req->params, pname)) == NULL)
			break;
		if (i > SIM_CTX_MAX)
			return wk_api_error(resp, 400, "InvalidInput",
			    "Too many context entries (at most %d).",
			    SIM_CTX_MAX);
		if ((r = wk_iam_check(resp, &f_key, key)) != 0)
			return r;
		snprintf(pname, sizeof(pname),
		    "ContextEntries.member.%zu.ContextKeyType", i);
		if ((type = wk_params_get(req->params, pname)) != NULL) {
			for (t = 0; types[t] != NULL; t++)
				if (strcmp(type, types[t]) == 0)
					break;
			if (types[t] == NULL)
				return bad_type(resp, type, i);
		}
		for (j = 1; j <= WK_IAM_MAX_LIST; j++) {
			snprintf(pname, sizeof(pname), "ContextEntries.member."
			    "%zu.ContextKeyValues.member.%zu", i, j);
			if ((val = wk_params_get(req->params, pname)) == NULL)
				break;
			if ((r = wk_ctx_add(s->ctx, key, val)) != 0)
				return r;
		}
	}
	return 0;
}

static int
sim_common(const struct wk_api_req *req, struct wk_api_resp *resp,
    struct sim *s)
{
	static const struct wk_iam_field f_action = {
		"ActionNames", "actionNames", 3, 128, WK_IAM_PAT_ANY, true
	};
	static const struct wk_iam_field f_res = {
		"ResourceArns", "resourceArns", 1, 2048, WK_IAM_PAT_ANY, true
	};
	static const char *star = "*";
	size_t i;
	int r;

	if ((r = wk_iam_param_list(req, resp, "ActionNames", &s->actions,
	    &s->nactions)) != 0 ||
	    (r = wk_iam_param_list(req, resp, "ResourceArns", &s->resources,
	    &s->nresources)) != 0)
		return r;
	if (s->nactions == 0)
		return wk_api_error(resp, 400, "ValidationError",
		    "1 validation error detected: Value null at 'actionNames' "
		    "failed to satisfy constraint: Member must not be null");
	for (i = 0; i < s->nactions; i++)
		if ((r = wk_iam_check(resp, &f_action, s->actions[i])) != 0)
			return r;
	for (i = 0; i < s->nresources; i++)
		if ((r = wk_iam_check(resp, &f_res, s->resources[i])) != 0)
			return r;
	if (s->nresources == 0) {
		if ((s->resources = wk_calloc(1, sizeof(*s->resources))) ==
		    NULL)
			return WK_ERR_NOMEM;
		s->resources[0] = star;
		s->nresources = 1;
	}
	return sim_context(req, resp, s);
}

/* IAM's SourcePolicyId and SourcePolicyType for one of our sources. */
static void
source_names(const char *source, char *id, size_t idsz, const char **type)
{
	const char *p;

	if (strncmp(source, "arn:", 4) == 0) {
		p = strrchr(source, '/');
		snprintf(id, idsz, "%s", p != NULL ? p + 1 : source);
		*type = wk_iam_is_aws_managed(source) ? "aws-managed" :
		    "user-managed";
	} else if (strncmp(source, "user/", 5) == 0 ||
	    strncmp(source, "group/", 6) == 0) {
		p = strstr(source, "/inline/");
		snprintf(id, idsz, "%s", p != NULL ? p + 8 : source);
		*type = source[0] == 'u' ? "user" : "group";
	} else {
		snprintf(id, idsz, "%s", source);
		*type = "none";
	}
}

static int
xml_pos(struct wk_buf *b, const char *tag, const struct wk_iam_pos *p)
{
	int r;

	if ((r = wk_xml_open(b, tag)) != 0 ||
	    (r = wk_xml_int(b, "Line", p->line)) != 0 ||
	    (r = wk_xml_int(b, "Column", p->column)) != 0)
		return r;
	return wk_xml_close(b, tag);
}

/* One MatchedStatements member for the deciding statement. */
static int
matched(const struct sim *s, struct wk_buf *b, const char *source,
    int statement)
{
	struct wk_iam_pos start, end;
	const char *type;
	char id[256];
	size_t k;
	bool pos = false;
	int r;

	for (k = 0; k < s->n; k++)
		if (strcmp(s->sources[k], source) == 0)
			break;
	if (k < s->n && wk_iam_statement_position(s->texts[k], statement,
	    &start, &end) == 0)
		pos = true;
	source_names(source, id, sizeof(id), &type);
	if ((r = wk_xml_open(b, "member")) != 0 ||
	    (r = wk_xml_text(b, "SourcePolicyId", id)) != 0 ||
	    (r = wk_xml_text(b, "SourcePolicyType", type)) != 0)
		return r;
	if (pos && ((r = xml_pos(b, "StartPosition", &start)) != 0 ||
	    (r = xml_pos(b, "EndPosition", &end)) != 0))
		return r;
	return wk_xml_close(b, "member");
}

/* Whether an Action/NotAction value (string or array) names `action`. */
static bool
action_listed(json_t *v, const char *action)
{
	json_t *e;
	size_t i;

	if (json_is_string(v))
		return fnmatch(json_string_value(v), action,
		    FNM_CASEFOLD | FNM_NOESCAPE) == 0;
	json_array_foreach(v, i, e)
		if (json_is_string(e) && fnmatch(json_string_value(e), action,
		    FNM_CASEFOLD | FNM_NOESCAPE) == 0)
			return true;
	return false;
}

/* Adds the condition keys of statement `st` absent from the context. */
static void
statement_missing(const struct wk_ctx *ctx, json_t *st, const char *action,
    const char **keys, size_t *n)
{
	json_t *cond, *v, *op, *val;
	const char *opname, *key;
	size_t i;

	if ((v = json_object_get(st, "Action")) != NULL) {
		if (!action_listed(v, action))
			return;
	} else if ((v = json_object_get(st, "NotAction")) != NULL &&
	    action_listed(v, action))
		return;
	if (!json_is_object(cond = json_object_get(st, "Condition")))
		return;
	json_object_foreach(cond, opname, op) {
		if (!json_is_object(op))
			continue;
		json_object_foreach(op, key, val) {
			if (wk_ctx_get(ctx, key, 0) != NULL)
				continue;
			for (i = 0; i < *n; i++)
				if (strcasecmp(keys[i], key) == 0)
					break;
			if (i == *n && *n < SIM_MISSING_MAX)
				keys[(*n)++] = key;
		}
	}
}

/*
 * IAM's MissingContextValues: the condition keys of the statements that
 * name the action which the request's context does not supply.
 */
static int
xml_missing(const struct sim *s, const struct wk_ctx *ctx, struct wk_buf *b,
    const char *action)
{
	const char *keys[SIM_MISSING_MAX];
	json_t *sts, *st;
	size_t n = 0, i, j;
	int r;

	for (i = 0; i < s->n; i++) {
		if (s->json[i] == NULL)
			continue;
		sts = json_object_get(s->json[i], "Statement");
		if (json_is_object(sts))
			statement_missing(ctx, sts, action, keys, &n);
		else
			json_array_foreach(sts, j, st)
				if (json_is_object(st))
					statement_missing(ctx, st, action,
					    keys, &n);
	}
	if ((r = wk_xml_open(b, "MissingContextValues")) != 0)
		return r;
	for (i = 0; i < n; i++)
		if ((r = wk_xml_text(b, "member", keys[i])) != 0)
			return r;
	return wk_xml_close(b, "MissingContextValues");
}

/* The context of one action x resource pair, as the real call builds it. */
static int
sim_ctx(const struct wk_api_req *req, const struct sim *s, const char *action,
    const char *resource, struct wk_ctx **out)
{
	struct wk_authz_principal pr;
	struct wk_authz_input in;

	memset(&pr, 0, sizeof(pr));
	pr.user = &s->user;
	pr.account_id = req->srv->account_id;
	pr.region = req->srv->region;
	pr.principal_only = true;
	memset(&in, 0, sizeof(in));
	in.action = action;
	in.resource = resource;
	in.principal = s->have_user ? &pr : NULL;
	in.account_id = req->srv->account_id;
	in.region = req->srv->region;
	in.override = s->ctx;
	return wk_authz_request_context(req->srv->store, &in, out);
}

static int
sim_run(const struct wk_api_req *req, struct wk_api_resp *resp,
    struct sim *s)
{
	struct wk_ctx *ctx = NULL;
	struct wk_iam_page pg;
	struct wk_decision_detail d;
	struct wk_authz_request ar;
	struct wk_buf *b = &resp->xml;
	size_t i;
	int r;

	if (s->n > 0 &&
	    (s->json = wk_calloc(s->n, sizeof(*s->json))) == NULL)
		return WK_ERR_NOMEM;
	for (i = 0; i < s->n; i++) {
		s->refs[i].policy = s->parsed[i];
		s->refs[i].source = s->sources[i];
		/* Parsed already: this cannot fail but for memory. */
		s->json[i] = json_loads(s->texts[i], JSON_DECODE_ANY, NULL);
	}
	if ((r = wk_iam_page_params(req, resp, &pg)) != 0 ||
	    (r = wk_iam_page_slice(resp, &pg,
	    s->nactions * s->nresources)) != 0 ||
	    (r = wk_xml_open(b, "EvaluationResults")) != 0)
		return r;
	for (i = pg.start; i < pg.end; i++) {
		ar.action = s->actions[i / s->nresources];
		ar.resource = s->resources[i % s->nresources];
		wk_ctx_free(ctx);
		ctx = NULL;
		if ((r = sim_ctx(req, s, ar.action, ar.resource, &ctx)) != 0)
			goto out;
		ar.ctx = ctx;
		memset(&d, 0, sizeof(d));
		if ((r = wk_policy_evaluate(s->refs, s->n, &ar, &d)) != 0 ||
		    (r = wk_xml_open(b, "member")) != 0 ||
		    (r = wk_xml_text(b, "EvalActionName", ar.action)) != 0 ||
		    (r = wk_xml_text(b, "EvalResourceName",
		    ar.resource)) != 0 ||
		    (r = wk_xml_text(b, "EvalDecision",
		    wk_decision_name(d.decision))) != 0 ||
		    (r = wk_xml_open(b, "MatchedStatements")) != 0)
			goto out;
		if (d.source != NULL &&
		    (r = matched(s, b, d.source, d.statement)) != 0)
			goto out;
		if ((r = wk_xml_close(b, "MatchedStatements")) != 0 ||
		    (r = xml_missing(s, ctx, b, ar.action)) != 0 ||
		    (r = wk_xml_close(b, "member")) != 0)
			goto out;
	}
	if ((r = wk_xml_close(b, "EvaluationResults")) != 0)
		goto out;
	r = wk_iam_page_write(b, pg.truncated, pg.next);
out:
	wk_ctx_free(ctx);
	return r;
}

/* The user name from arn:aws:iam::ACCOUNT:user/PATH/NAME, or NULL. */
static const char *
user_from_arn(const struct wk_api_req *req, const char *arn)
{
	char prefix[64];
	size_t plen;

	snprintf(prefix, sizeof(prefix), "arn:aws:iam::%s:user/",
	    req->srv->account_id);
	plen = strlen(prefix);
	if (strncmp(arn, prefix, plen) != 0)
		return NULL;
	return strrchr(arn, '/') + 1;
}

/*
 * Members of both simulations that wicketd does not evaluate: there are
 * no permissions boundaries, resource-based policies, resource owners
 * other than this account, or EC2 scenarios here.
 */
static const char *const sim_unsupported[] = {
	"PermissionsBoundaryPolicyInputList", "ResourcePolicy",
	"ResourceOwner", "CallerArn", "ResourceHandlingOption", NULL
};

static int
simulate_principal_policy(const struct wk_api_req *req,
    struct wk_api_resp *resp)
{
	static const struct wk_iam_field f_src = {
		"PolicySourceArn", "policySourceArn", 20, 2048,
		WK_IAM_PAT_ANY, true
	};
	struct sim s;
	const char *arn, *name;
	size_t i;
	int r;

	memset(&s, 0, sizeof(s));
	if ((r = wk_iam_refuse_members(req, resp, sim_unsupported)) != 0 ||
	    (r = wk_iam_refuse_members(req, resp,
	    (const char *const[]){ "PolicyExclusionList", NULL })) != 0 ||
	    (r = wk_iam_param(req, resp, &f_src, &arn)) != 0)
		goto out;
	if ((name = user_from_arn(req, arn)) == NULL || *name == '\0') {
		r = wk_api_error(resp, 400, "InvalidInput",
		    "Invalid ARN: %.256s (only IAM users of this account can "
		    "be simulated).", arn);
		goto out;
	}
	if ((r = wk_api_authorize(req, resp, "iam:SimulatePrincipalPolicy",
	    arn, NULL, NULL, NULL)) != 0)
		goto out;
	if ((r = wk_store_user_get(req->srv->store, name, &s.user)) != 0 ||
	    strcmp(s.user.arn, arn) != 0) {
		r = wk_api_error(resp, 404, "NoSuchEntity",
		    "The user with name %s cannot be found.", name);
		goto out;
	}
	s.have_user = true;
	if ((r = sim_common(req, resp, &s)) != 0 ||
	    (r = wk_store_effective_policies(req->srv->store, s.user.name,
	    &s.eff, &s.neff)) != 0)
		goto out;
	for (i = 0; i < s.neff; i++)
		if ((r = sim_add(&s, resp, s.eff[i].document != NULL ?
		    s.eff[i].document : "", s.eff[i].source)) != 0)
			goto out;
	if ((r = sim_inputs(req, resp, &s, false)) != 0)
		goto out;
	r = sim_run(req, resp, &s);
out:
	sim_cleanup(&s);
	return r;
}

static int
simulate_custom_policy(const struct wk_api_req *req,
    struct wk_api_resp *resp)
{
	struct sim s;
	int r;

	memset(&s, 0, sizeof(s));
	if ((r = wk_iam_refuse_members(req, resp, sim_unsupported)) != 0 ||
	    (r = wk_iam_refuse_members(req, resp, (const char *const[]){
	    "OrderedOrganizationPolicyInputList", NULL })) != 0 ||
	    (r = wk_api_authorize(req, resp, "iam:SimulateCustomPolicy", "*",
	    NULL, NULL, NULL)) != 0 ||
	    (r = sim_common(req, resp, &s)) != 0 ||
	    (r = sim_inputs(req, resp, &s, true)) != 0)
		goto out;
	r = sim_run(req, resp, &s);
out:
	sim_cleanup(&s);
	return r;
}

const struct wk_api_action wk_iam_simulate_principal_policy = {
	.name = "SimulatePrincipalPolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX_POLICY, .handle = simulate_principal_policy,
};
const struct wk_api_action wk_iam_simulate_custom_policy = {
	.name = "SimulateCustomPolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX_POLICY, .handle = simulate_custom_policy,
};
