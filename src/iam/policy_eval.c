/*
 * policy_eval.c - the decision for one request against a set of
 * identity-based policies of one account ("Policy evaluation logic"):
 * a matching Deny statement decides at once (explicit deny); otherwise the
 * first matching Allow allows; otherwise the request is implicitly denied.
 *
 * A statement matches when its Action (or NotAction), its Resource (or
 * NotResource) and every one of its conditions match. Actions compare
 * ASCII case-insensitively, resources case-sensitively, both with `*` and
 * `?` wildcards (resources segment by segment, see wk_arn_match).
 * Nothing here allocates unless a policy variable renders to a pattern
 * longer than the stack scratch buffer.
 */
#include "iam/policy_int.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"

const char *
wk_decision_name(enum wk_decision d)
{
	switch (d) {
	case WK_DECISION_ALLOW:
		return "allowed";
	case WK_DECISION_EXPLICIT_DENY:
		return "explicitDeny";
	case WK_DECISION_IMPLICIT_DENY:
		break;
	}
	return "implicitDeny";
}

/* A constant pattern against s, by its shape; arn selects ARN matching
 * for the general case. */
static bool
const_match(const struct wk_pval *v, const char *s, size_t n, bool arn,
    unsigned flags)
{
	switch (v->pk) {
	case WK_PK_ANY:
		return true;
	case WK_PK_EXACT:
		return n == v->patlen && memcmp(v->pat, s, n) == 0;
	case WK_PK_PREFIX:
		return n >= v->pre && memcmp(v->pat, s, v->pre) == 0;
	case WK_PK_GLOB:
		break;
	}
	return arn ? wk_arn_match(v->pat, v->patlen, s, n) :
	    wk_glob(v->pat, v->patlen, s, n, flags);
}

/* action: lower case when lc, else compared ASCII case-insensitively. */
static bool
action_in(const struct wk_stmt *s, const char *action, size_t alen, bool lc)
{
	size_t i;

	for (i = 0; i < s->nactions; i++) {
		const struct wk_pval *a = &s->actions[i];

		if (lc ? const_match(a, action, alen, false, 0) :
		    wk_glob(a->pat, a->patlen, action, alen, WK_GLOB_ICASE))
			return true;
	}
	return false;
}

/* 1 when the resource is one of the statement's, 0 if not, or NOMEM. */
static int
resource_in(const struct wk_stmt *s, const char *res, size_t rlen,
    const struct wk_ctx *ctx, struct wk_render *r)
{
	const char *pat;
	size_t i, plen;
	int rc;

	for (i = 0; i < s->nresources; i++) {
		const struct wk_pval *v = &s->resources[i];

		if (v->nparts == 0) {
			if (const_match(v, res, rlen, true, 0))
				return 1;
			continue;
		}
		if ((rc = wk_pval_render(v, ctx, r, &pat, &plen)) < 0)
			return rc;
		if (rc == 0)
			continue;	/* variable without a value */
		if (wk_arn_match(pat, plen, res, rlen))
			return 1;
	}
	return 0;
}

/* 1 when the statement applies to the request, 0 if not, or NOMEM. */
static int
stmt_applies(const struct wk_stmt *s, const struct wk_authz_request *req,
    const char *action, size_t alen, bool lc, size_t rlen,
    struct wk_render *r)
{
	size_t i;
	int rc;

	if (action_in(s, action, alen, lc) == s->not_action)
		return 0;
	if ((rc = resource_in(s, req->resource, rlen, req->ctx, r)) < 0)
		return rc;
	if ((rc == 1) == s->not_resource)
		return 0;
	for (i = 0; i < s->nconds; i++)
		if ((rc = wk_cond_eval(&s->conds[i], req->ctx, r)) != 1)
			return rc;
	return 1;
}

static void
decide(struct wk_decision_detail *out, enum wk_decision d,
    const struct wk_policy_ref *ref, size_t idx, const struct wk_stmt *s)
{
	out->decision = d;
	out->source = ref->source;
	out->statement = (int)idx;
	(void)snprintf(out->sid, sizeof(out->sid), "%s", s->sid);
}

/* The statement holds only from the addresses of an IpAddress condition
 * on aws:SourceIp (not negated, not IfExists, not a set operator). */
static bool
stmt_binds_source_ip(const struct wk_stmt *s)
{
	for (size_t i = 0; i < s->nconds; i++) {
		const struct wk_cond *c = &s->conds[i];

		if (c->op.fam == WK_CF_IP && !c->op.negated &&
		    !c->op.ifexists && c->op.set == WK_SET_NONE &&
		    strcmp(c->key, "aws:sourceip") == 0)
			return true;
	}
	return false;
}

/*
 * A Deny that holds everywhere but the addresses of a NotIpAddress
 * condition on aws:SourceIp (the usual "only from our networks"
 * guardrail). When it did not fire, the decision rests on the caller's
 * address just as an Allow with IpAddress does.
 */
static bool
stmt_guards_source_ip(const struct wk_stmt *s)
{
	for (size_t i = 0; i < s->nconds; i++) {
		const struct wk_cond *c = &s->conds[i];

		if (c->op.fam == WK_CF_IP && c->op.negated &&
		    c->op.set == WK_SET_NONE &&
		    strcmp(c->key, "aws:sourceip") == 0)
			return true;
	}
	return false;
}

/* Whether s names this action and resource, conditions aside. */
static int
stmt_targets(const struct wk_stmt *s, const struct wk_authz_request *req,
    const char *action, size_t alen, bool lc, size_t rlen,
    struct wk_render *r)
{
	int rc;

	if (action_in(s, action, alen, lc) == s->not_action)
		return 0;
	if ((rc = resource_in(s, req->resource, rlen, req->ctx, r)) < 0)
		return rc;
	return (rc == 1) != s->not_resource;
}

bool
wk_policy_may_allow(const struct wk_policy_ref *policies, size_t n,
    const char *action)
{
	size_t i, j, alen;

	if (action == NULL || (n > 0 && policies == NULL))
		return false;
	alen = strlen(action);
	for (i = 0; i < n; i++) {
		const struct wk_policy *p = policies[i].policy;

		if (p == NULL)
			continue;
		for (j = 0; j < p->nstmts; j++) {
			const struct wk_stmt *s = &p->stmts[j];

			if (!s->deny && action_in(s, action, alen, false) !=
			    s->not_action)
				return true;
		}
	}
	return false;
}

int
wk_policy_evaluate(const struct wk_policy_ref *policies, size_t n,
    const struct wk_authz_request *req, struct wk_decision_detail *out)
{
	struct wk_render r;
	char abuf[256];
	const char *action;
	size_t i, j, alen, rlen;
	bool allowed = false, ip_bound = true, ip_guarded = false, lc;
	uint64_t vbit, xbit;
	int rc = 0;

	out->decision = WK_DECISION_IMPLICIT_DENY;
	out->source = NULL;
	out->statement = -1;
	out->sid[0] = '\0';
	out->source_ip_bound = false;
	if (req == NULL || req->action == NULL || req->resource == NULL ||
	    (n > 0 && policies == NULL))
		return WK_ERR_INVAL;
	r.heap = NULL;
	r.heapsz = 0;
	alen = strlen(req->action);
	rlen = strlen(req->resource);
	/* Lower-case the action once; a very long one is compared
	 * case-insensitively instead. */
	vbit = wk_vendor_bit(req->action, alen);
	xbit = wk_action_bit(req->action, alen);
	lc = alen < sizeof(abuf);
	action = req->action;
	if (lc) {
		for (i = 0; i < alen; i++)
			abuf[i] = wk_lc(req->action[i]);
		abuf[alen] = '\0';
		action = abuf;
	}
	for (i = 0; i < n; i++) {
		const struct wk_policy *p = policies[i].policy;

		if (p == NULL)
			continue;
		for (j = 0; j < p->nstmts; j++) {
			const struct wk_stmt *s = &p->stmts[j];

			/* Once an Allow without an address bound matched, only
			 * a Deny can change the outcome. */
			if (allowed && !ip_bound && !s->deny)
				continue;
			if ((s->vendors & vbit) == 0 &&
			    (s->exact & xbit) == 0)
				continue;	/* none of its actions can match */
			if ((rc = stmt_applies(s, req, action, alen, lc, rlen,
			    &r)) < 0)
				goto out;
			if (rc == 0) {
				if (s->deny && !ip_guarded &&
				    stmt_guards_source_ip(s)) {
					if ((rc = stmt_targets(s, req, action,
					    alen, lc, rlen, &r)) < 0)
						goto out;
					ip_guarded = rc == 1;
				}
				continue;
			}
			if (s->deny) {
				decide(out, WK_DECISION_EXPLICIT_DENY,
				    &policies[i], j, s);
				rc = 0;
				goto out;
			}
			if (!allowed)
				decide(out, WK_DECISION_ALLOW, &policies[i], j,
				    s);
			allowed = true;
			if (!stmt_binds_source_ip(s))
				ip_bound = false;
		}
	}
	rc = 0;
	out->source_ip_bound = allowed && (ip_bound || ip_guarded);
out:
	if (rc < 0) {
		/* Fail closed: no decision but deny. */
		out->decision = WK_DECISION_IMPLICIT_DENY;
		out->source = NULL;
		out->statement = -1;
		out->sid[0] = '\0';
		out->source_ip_bound = false;
	}
	wk_render_cleanup(&r);
	return rc;
}
