/*
 * authz_instance.c - decisions on an instance for wicket's session actions
 * (docs/sessions.md, docs/recordings.md): the instance's ARN, the one
 * form every instance action authorizes on, and the scope of a list
 * action: the entries whose instance the caller may see. The JSON API
 * and the console both list through a scope, so they show the same.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "server/api/api.h"
#include "server/auth/auth.h"
#include "server/server.h"

/* Longer than any id a list filter takes (2047) plus the ARN's head. */
#define ARN_MAX 2304
#define SCOPE_IDS_MAX 4096	/* decisions remembered; past that, decided again */

struct decided {
	char *id;
	bool ok;
};

struct wk_instance_scope {
	const struct wk_api_req *req;
	const char *action;
	struct decided *v;
	size_t n, cap;
};

int
wk_authz_instance_arn(const struct wk_server *srv, const char *id, char *out,
    size_t outsz)
{
	int n;

	n = snprintf(out, outsz, "arn:aws:ec2:%s:%s:instance/%s", srv->region,
	    srv->account_id, id);
	if (n < 0 || (size_t)n >= outsz)
		return WK_ERR_TOOBIG;
	return 0;
}

int
wk_api_authorize_instance(const struct wk_api_req *req,
    struct wk_api_resp *resp, const char *action, const char *instance_id)
{
	char arn[ARN_MAX];
	int r;

	if ((r = wk_authz_instance_arn(req->srv, instance_id, arn,
	    sizeof(arn))) != 0)
		return r;
	return wk_api_authorize(req, resp, action, arn, NULL, NULL, NULL);
}

int
wk_instance_decide(const struct wk_api_req *req, const char *action,
    const char *instance_id, struct wk_decision_detail *d)
{
	char arn[ARN_MAX];
	int r;

	memset(d, 0, sizeof(*d));
	d->decision = WK_DECISION_IMPLICIT_DENY;
	d->statement = -1;
	if ((r = wk_authz_instance_arn(req->srv, instance_id, arn,
	    sizeof(arn))) != 0)
		return r;
	return wk_api_decide(req, action, arn, NULL, d);
}

/* Remembers the decision on one instance (silently not, past the cap). */
static int
remember(struct wk_instance_scope *s, const char *id, bool ok)
{
	struct decided *nv;
	size_t ncap;

	if (s->n >= SCOPE_IDS_MAX)
		return 0;
	if (s->n == s->cap) {
		ncap = s->cap == 0 ? 16 : s->cap * 2;
		if ((nv = wk_reallocarray(s->v, ncap, sizeof(*nv))) == NULL)
			return WK_ERR_NOMEM;
		s->v = nv;
		s->cap = ncap;
	}
	if ((s->v[s->n].id = wk_strdup(id)) == NULL)
		return WK_ERR_NOMEM;
	s->v[s->n++].ok = ok;
	return 0;
}

/* The decision on one instance: remembered, or asked and remembered. */
static int
decide(struct wk_instance_scope *s, const char *id, bool *ok)
{
	struct wk_decision_detail d;
	size_t i;
	int r;

	*ok = false;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].id, id) == 0) {
			*ok = s->v[i].ok;
			return 0;
		}
	if ((r = wk_instance_decide(s->req, s->action, id, &d)) != 0)
		return r == WK_ERR_TOOBIG ? 0 : r;	/* no such instance */
	*ok = d.decision == WK_DECISION_ALLOW;
	return remember(s, id, *ok);
}

int
wk_instance_scope_new(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char *instance_id,
    struct wk_instance_scope **out)
{
	struct wk_instance_scope *s = NULL;
	bool may;
	int r;

	*out = NULL;
	if (instance_id == NULL) {
		if ((r = wk_api_may_allow(req, action, &may)) != 0)
			return r;
		if (!may) {
			/* allowed on no instance: refused as on "*" */
			wk_api_deny_error(req, resp, action, "*", NULL,
			    WK_DECISION_IMPLICIT_DENY);
			return WK_ERR_DENIED;
		}
	} else if ((r = wk_api_authorize_instance(req, resp, action,
	    instance_id)) != 0) {
		return r;
	}
	if ((s = wk_calloc(1, sizeof(*s))) == NULL)
		return WK_ERR_NOMEM;
	s->req = req;
	s->action = action;
	/* the filter's instance was just authorized */
	if (instance_id != NULL && (r = remember(s, instance_id, true)) != 0) {
		wk_instance_scope_free(s);
		return r;
	}
	*out = s;
	return 0;
}

int
wk_instance_scope_allows(struct wk_instance_scope *s, const char *instance_id,
    bool *ok)
{
	*ok = false;
	if (s == NULL || instance_id == NULL || instance_id[0] == '\0')
		return 0;
	return decide(s, instance_id, ok);
}

void
wk_instance_scope_free(struct wk_instance_scope *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		wk_free(s->v[i].id);
	wk_free(s->v);
	wk_free(s);
}
