/*
 * authz.c - wk_api_authorize: the standard request context, the user's
 * parsed policies (cached per user, flushed whenever the store's policy
 * generation moves), and AWS's access-denied errors per protocol.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "iam/policy.h"
#include "server/api/api.h"
#include "server/auth/authz.h"
#include "server/metrics/metrics.h"

#define CACHE_BUCKETS 1024

struct entry {
	struct entry *next;
	char user[65];			/* lower case */
	struct wk_policy **policies;
	char **sources;
	struct wk_policy_ref *refs;
	size_t n;
};

struct wk_authz_cache {
	struct entry *buckets[CACHE_BUCKETS];
	size_t count;
	uint64_t generation;
	bool have_generation;
	struct wk_authz_stats stats;
};

static void
entry_free(struct entry *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n; i++) {
		wk_policy_free(e->policies[i]);
		wk_free(e->sources[i]);
	}
	wk_free(e->policies);
	wk_free(e->sources);
	wk_free(e->refs);
	wk_free(e);
}

static void
cache_flush(struct wk_authz_cache *c)
{
	for (size_t i = 0; i < CACHE_BUCKETS; i++) {
		struct entry *e = c->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			entry_free(e);
		}
		c->buckets[i] = NULL;
	}
	c->count = 0;
	c->stats.flushes++;
}

int
wk_authz_cache_new(struct wk_authz_cache **out)
{
	struct wk_authz_cache *c;

	*out = NULL;
	if ((c = wk_calloc(1, sizeof(*c))) == NULL)
		return WK_ERR_NOMEM;
	*out = c;
	return 0;
}

void
wk_authz_cache_free(struct wk_authz_cache *c)
{
	if (c == NULL)
		return;
	cache_flush(c);
	wk_free(c);
}

void
wk_authz_cache_stats(const struct wk_authz_cache *c, struct wk_authz_stats *out)
{
	*out = c->stats;
}

static size_t
bucket_of(const char *lc)
{
	size_t h = 5381;

	for (; *lc != '\0'; lc++)
		h = h * 33 + (unsigned char)*lc;
	return h % CACHE_BUCKETS;
}

static int
load_entry(struct wk_store *st, const char *user_name, const char *lc,
    struct entry **out)
{
	struct wk_effective_policy *eff = NULL;
	struct entry *e = NULL;
	size_t neff = 0;
	char err[256];
	int r;

	*out = NULL;
	if ((r = wk_store_effective_policies(st, user_name, &eff, &neff)) != 0)
		goto out;
	if ((e = wk_calloc(1, sizeof(*e))) == NULL ||
	    (neff > 0 && ((e->policies = wk_calloc(neff,
	    sizeof(*e->policies))) == NULL ||
	    (e->sources = wk_calloc(neff, sizeof(*e->sources))) == NULL ||
	    (e->refs = wk_calloc(neff, sizeof(*e->refs))) == NULL))) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	snprintf(e->user, sizeof(e->user), "%s", lc);
	for (size_t i = 0; i < neff; i++) {
		const char *doc = eff[i].document != NULL ? eff[i].document :
		    "";

		err[0] = '\0';
		if ((r = wk_policy_parse(wk_span_from_cstr(doc), 0,
		    &e->policies[e->n], err, sizeof(err))) != 0) {
			wk_log(WK_LOG_ERROR, "authz_policy", "user=%s "
			    "source=%s error=%s detail=\"%s\"", user_name,
			    eff[i].source, wk_strerror(r), err);
			if (r != WK_ERR_NOMEM)
				r = WK_ERR_INVAL;
			goto out;
		}
		if ((e->sources[e->n] = wk_strdup(eff[i].source)) == NULL) {
			wk_policy_free(e->policies[e->n]);
			r = WK_ERR_NOMEM;
			goto out;
		}
		e->refs[e->n].policy = e->policies[e->n];
		e->refs[e->n].source = e->sources[e->n];
		e->n++;
	}
	*out = e;
	e = NULL;
	r = 0;
 out:
	entry_free(e);
	wk_effective_policy_list_free(eff, neff);
	return r;
}

int
wk_authz_policies(struct wk_authz_cache *c, struct wk_store *st,
    const char *user_name, const struct wk_policy_ref **refs, size_t *n)
{
	struct entry *e;
	char lc[65];
	uint64_t gen;
	size_t b, len = strlen(user_name);
	int r;

	*refs = NULL;
	*n = 0;
	if (len == 0 || len >= sizeof(lc))
		return WK_ERR_INVAL;
	for (size_t i = 0; i <= len; i++) {
		char ch = user_name[i];

		lc[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
	}
	if (!wk_readcache_generation(st, &gen) &&
	    (r = wk_store_policy_generation(st, &gen)) != 0)
		return r;
	if (!c->have_generation || gen != c->generation) {
		if (c->count > 0)
			cache_flush(c);
		c->generation = gen;
		c->have_generation = true;
	}
	b = bucket_of(lc);
	for (e = c->buckets[b]; e != NULL; e = e->next)
		if (strcmp(e->user, lc) == 0)
			break;
	if (e != NULL) {
		c->stats.hits++;
	} else {
		if ((r = load_entry(st, user_name, lc, &e)) != 0)
			return r;
		c->stats.loads++;
		if (c->count >= WK_AUTHZ_CACHE_MAX_USERS) {
			cache_flush(c);
			b = bucket_of(lc);
		}
		e->next = c->buckets[b];
		c->buckets[b] = e;
		c->count++;
	}
	*refs = e->refs;
	*n = e->n;
	return 0;
}

static void
deny_error(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char *resource, const char *deny_code,
    enum wk_decision d)
{
	enum wk_protocol proto = wk_api_req_protocol(req);
	const char *arn = req->caller->user.arn;

	if (proto == WK_PROTO_QUERY_EC2 && deny_code == NULL) {
		wk_api_error(resp, 403, "UnauthorizedOperation", "You are not "
		    "authorized to perform this operation.");
		return;
	}
	if (deny_code == NULL)
		deny_code = proto == WK_PROTO_JSON ? "AccessDeniedException" :
		    "AccessDenied";
	if (d == WK_DECISION_EXPLICIT_DENY)
		wk_api_error(resp, 403, deny_code, "User: %s is not authorized "
		    "to perform: %s on resource: %s with an explicit deny in "
		    "an identity-based policy", arn, action, resource);
	else
		wk_api_error(resp, 403, deny_code, "User: %s is not authorized "
		    "to perform: %s on resource: %s because no identity-based "
		    "policy allows the %s action", arn, action, resource,
		    action);
}

int
wk_api_decide(const struct wk_api_req *req, const char *action,
    const char *resource, const struct wk_ctx *extra,
    struct wk_decision_detail *detail)
{
	struct wk_server *srv = req->srv;
	const struct wk_policy_ref *refs;
	struct wk_authz_principal pr;
	struct wk_authz_input in;
	struct wk_authz_request ar;
	struct wk_ctx *ctx = NULL;
	size_t n;
	int r;

	memset(detail, 0, sizeof(*detail));
	detail->decision = WK_DECISION_IMPLICIT_DENY;
	detail->statement = -1;
	if (resource == NULL)
		resource = "*";
	if (srv->authz == NULL && (r = wk_authz_cache_new(&srv->authz)) != 0)
		goto out;
	if ((r = wk_authz_policies(srv->authz, srv->store,
	    req->caller->user.name, &refs, &n)) != 0)
		goto out;
	memset(&pr, 0, sizeof(pr));
	pr.user = &req->caller->user;
	pr.account_id = srv->account_id;
	pr.region = srv->region;
	pr.source_ip = req->source_ip;
	pr.secure = req->secure;
	pr.now = req->now != 0 ? req->now : wk_wall_now();
	memset(&in, 0, sizeof(in));
	in.action = action;
	in.resource = resource;
	in.principal = &pr;
	in.account_id = srv->account_id;
	in.region = srv->region;
	in.params = req->params;
	in.extra = extra;
	if ((r = wk_authz_request_context(srv->store, &in, &ctx)) != 0)
		goto out;
	ar.action = action;
	ar.resource = resource;
	ar.ctx = ctx;
	if ((r = wk_policy_evaluate(refs, n, &ar, detail)) != 0)
		goto out;
	wk_log_auth(WK_LOG_DEBUG, "authz", "request_id=%s caller=%s "
	    "action=%s resource=%s decision=%s", req->request_id != NULL ?
	    req->request_id : "-", req->caller->user.arn, action, resource,
	    wk_decision_name(detail->decision));
	wk_metrics_decision(detail->decision == WK_DECISION_ALLOW);
 out:
	if (r != 0) {
		detail->decision = WK_DECISION_IMPLICIT_DENY;	/* fail closed */
		wk_log(WK_LOG_ERROR, "authz", "request_id=%s caller=%s "
		    "action=%s error=%s", req->request_id != NULL ?
		    req->request_id : "-", req->caller->user.arn, action,
		    wk_strerror(r));
	}
	wk_ctx_free(ctx);
	return r;
}

int
wk_api_may_allow(const struct wk_api_req *req, const char *action,
    bool *out)
{
	struct wk_server *srv = req->srv;
	const struct wk_policy_ref *refs;
	size_t n;
	int r;

	*out = false;
	if (srv->authz == NULL && (r = wk_authz_cache_new(&srv->authz)) != 0)
		return r;
	if ((r = wk_authz_policies(srv->authz, srv->store,
	    req->caller->user.name, &refs, &n)) != 0)
		return r;
	*out = wk_policy_may_allow(refs, n, action);
	return 0;
}

void
wk_api_deny_error(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char *resource, const char *deny_code,
    enum wk_decision d)
{
	deny_error(req, resp, action, resource != NULL ? resource : "*",
	    deny_code, d);
}

int
wk_api_authorize(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char *resource, const struct wk_ctx *extra,
    const char *deny_code, struct wk_decision_detail *detail)
{
	struct wk_decision_detail d;
	int r;

	if (resource == NULL)
		resource = "*";
	r = wk_api_decide(req, action, resource, extra, &d);
	if (r == 0 && d.decision != WK_DECISION_ALLOW) {
		deny_error(req, resp, action, resource, deny_code, d.decision);
		r = WK_ERR_DENIED;
	}
	if (detail != NULL)
		*detail = d;
	return r;
}
