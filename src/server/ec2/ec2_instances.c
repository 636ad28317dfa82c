/*
 * ec2_instances.c - the registry as EC2 callers may see it: instance ARNs
 * and condition keys, per-instance visibility (CreateTags, DeleteTags and
 * the console decide per instance) and DescribeInstances' listing (decided
 * once, on "*", as on AWS), shared by EC2 DescribeInstances and
 * WicketService.DescribeInstances.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "server/hub/agent_hub.h"
#include "server/api/api.h"
#include "server/auth/auth.h"
#include "server/ec2/ec2.h"
#include "server/server.h"

int
wk_ec2_instance_arn(const struct wk_server *srv, const char *id, char *out,
    size_t outsz)
{
	/* one form for every action on an instance (auth/authz_instance.c) */
	return wk_authz_instance_arn(srv, id, out, outsz);
}

int
wk_ec2_instance_ctx(const char *os_user, struct wk_ctx **out)
{
	struct wk_ctx *ctx = NULL;
	int r;

	*out = NULL;
	if ((r = wk_ctx_new(&ctx)) != 0)
		return r;
	if (os_user != NULL && (r = wk_ctx_add(ctx, "ec2:osuser", os_user)) != 0)
		goto out;
	*out = ctx;
	ctx = NULL;
 out:
	wk_ctx_free(ctx);
	return r;
}

void
wk_ec2_instance_views_free_one(struct wk_instance_view *v)
{
	wk_instance_cleanup(&v->inst);
	wk_store_free(v->tags);
	memset(v, 0, sizeof(*v));
}

void
wk_ec2_instance_views_free(struct wk_instance_view *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		wk_instance_cleanup(&v[i].inst);
		wk_store_free(v[i].tags);
	}
	wk_free(v);
}

/*
 * Authorizes `action` on one instance. With quiet, a denial leaves resp
 * untouched and returns WK_ERR_DENIED.
 */
static int
authorize_instance(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char *deny_code, const char *id,
    const struct wk_tag *tags, size_t ntags, bool quiet)
{
	struct wk_api_resp scratch;
	char arn[256];
	int r;

	/* The instance's keys (its tags as ec2:ResourceTag/aws:ResourceTag)
	 * come from the store, in wk_api_authorize's context builder. */
	(void)tags;
	(void)ntags;
	memset(&scratch, 0, sizeof(scratch));
	wk_buf_init(&scratch.xml, 0);
	if ((r = wk_ec2_instance_arn(req->srv, id, arn, sizeof(arn))) != 0)
		return r;
	r = wk_api_authorize(req, quiet ? &scratch : resp, action, arn, NULL,
	    deny_code, NULL);
	if (quiet && r != 0 && r != WK_ERR_DENIED)
		*resp = scratch;	/* an internal failure is not a denial */
	return r;
}

/* Loads tags and the online flag into a view whose inst is filled. */
static int
view_complete(const struct wk_api_req *req, struct wk_instance_view *v)
{
	int r;

	v->tags = NULL;
	v->ntags = 0;
	if ((r = wk_store_instance_tags_list(req->srv->store, v->inst.id,
	    &v->tags, &v->ntags)) != 0)
		return r;
	v->online = wk_agent_hub_online(req->srv->hub, v->inst.id);
	return 0;
}

static int
visible_by_id(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char *deny_code, const char *const *ids,
    size_t nids, struct wk_instance_view *views, size_t *n)
{
	struct wk_instance_view *v;
	size_t i;
	int r;

	for (i = 0; i < nids; i++) {
		if (!wk_ec2ic_valid_instance_id(ids[i]) || strlen(ids[i]) != 19)
			return wk_api_error(resp, 400,
			    "InvalidInstanceID.Malformed",
			    "Invalid id: \"%.64s\"", ids[i]);
	}
	for (i = 0; i < nids; i++) {
		v = &views[*n];
		memset(v, 0, sizeof(*v));
		r = wk_store_instance_get(req->srv->store, ids[i], &v->inst);
		if (r == WK_ERR_NOTFOUND)
			return wk_api_error(resp, 400,
			    "InvalidInstanceID.NotFound",
			    "The instance ID '%s' does not exist", ids[i]);
		if (r != 0)
			return r;
		(*n)++;
		if ((r = view_complete(req, v)) != 0)
			return r;
		if ((r = authorize_instance(req, resp, action, deny_code,
		    v->inst.id, v->tags, v->ntags, false)) != 0)
			return r;
	}
	return 0;
}

int
wk_ec2_instances_visible(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char *deny_code, const char *const *ids,
    size_t nids, struct wk_instance_view **out, size_t *n)
{
	struct wk_instance *all = NULL;
	struct wk_instance_view *views = NULL;
	size_t nall = 0, nv = 0, i;
	int r;

	*out = NULL;
	*n = 0;
	if (nids > WK_DESCRIBE_MAX_IDS)
		return wk_api_error(resp, 400, "InvalidParameterValue",
		    "At most %d instance IDs may be given",
		    WK_DESCRIBE_MAX_IDS);
	if (nids > 0) {
		if ((views = wk_calloc(nids, sizeof(*views))) == NULL)
			return WK_ERR_NOMEM;
		if ((r = visible_by_id(req, resp, action, deny_code, ids,
		    nids, views, &nv)) != 0)
			goto out;
	} else {
		if ((r = wk_store_instance_list(req->srv->store, &all,
		    &nall)) != 0)
			goto out;
		if ((views = wk_calloc(nall > 0 ? nall : 1,
		    sizeof(*views))) == NULL) {
			r = WK_ERR_NOMEM;
			goto out;
		}
		for (i = 0; i < nall; i++) {
			struct wk_instance_view *v = &views[nv];

			/* move the instance into the view */
			v->inst = all[i];
			all[i].host_keys = NULL;
			nv++;
			if ((r = view_complete(req, v)) != 0)
				goto out;
			r = authorize_instance(req, resp, action, deny_code,
			    v->inst.id, v->tags, v->ntags, true);
			if (r == WK_ERR_DENIED) {
				nv--;
				wk_instance_cleanup(&v->inst);
				wk_store_free(v->tags);
				memset(v, 0, sizeof(*v));
				continue;
			}
			if (r != 0)
				goto out;
		}
	}
	*out = views;
	*n = nv;
	views = NULL;
	nv = 0;
	r = 0;
 out:
	wk_ec2_instance_views_free(views, nv);
	wk_instance_list_free(all, nall);
	return r;
}

/* ---- DescribeInstances: decided once, on "*" ---- */

int
wk_ec2_describe_authorize(const struct wk_api_req *req,
    struct wk_api_resp *resp)
{
	/* deny_code NULL: UnauthorizedOperation, "You are not authorized to
	 * perform this operation." (EC2), AccessDeniedException (JSON) */
	return wk_api_authorize(req, resp, WK_EC2_DESCRIBE_ACTION, "*", NULL,
	    NULL, NULL);
}

static bool
is_ip(const char *s)
{
	uint8_t a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

void
wk_ec2_instance_az(const struct wk_server *srv, char *out, size_t outsz)
{
	snprintf(out, outsz, "%sa", srv->region);
}

void
wk_ec2_fields_of(const struct wk_server *srv,
    const struct wk_instance_view *v, char *az, size_t azsz,
    struct wk_ec2_instance_fields *f)
{
	const struct wk_instance *in = &v->inst;
	const char *ip = is_ip(in->address) ? in->address : "";

	wk_ec2_instance_az(srv, az, azsz);
	memset(f, 0, sizeof(*f));
	f->instance_id = in->id;
	/*
	 * One truth: a registered host is `running`. Whether its agent is
	 * connected right now is not an EC2 state; a push to it while the
	 * agent is away says EC2InstanceUnavailableException (503).
	 */
	f->state_name = "running";
	f->state_code = 16;
	f->private_ip = ip;
	f->ip = ip;
	f->private_dns_name = in->dns_name[0] != '\0' ? in->dns_name :
	    in->hostname;
	f->dns_name = in->dns_name;
	f->az = az;
	f->tags = v->tags;
	f->ntags = v->ntags;
}

int
wk_ec2_ids_check(struct wk_api_resp *resp, const char *const *ids,
    size_t nids)
{
	if (nids > WK_DESCRIBE_MAX_IDS)
		return wk_api_error(resp, 400, "InvalidParameterValue",
		    "At most %d instance IDs may be given",
		    WK_DESCRIBE_MAX_IDS);
	for (size_t i = 0; i < nids; i++) {
		if (!wk_ec2ic_valid_instance_id(ids[i]) || strlen(ids[i]) != 19)
			return wk_api_error(resp, 400,
			    "InvalidInstanceID.Malformed",
			    "Invalid id: \"%.64s\"", ids[i]);
	}
	return 0;
}

/* Keeps v in the page when the filters take it; frees it otherwise. */
static bool
filter_keep(const struct wk_api_req *req, const struct wk_ec2_filters *flt,
    struct wk_instance_view *v)
{
	struct wk_ec2_instance_fields f;
	char az[48];

	if (flt == NULL || flt->n == 0)
		return true;
	wk_ec2_fields_of(req->srv, v, az, sizeof(az), &f);
	if (wk_ec2_filters_match(flt, &f))
		return true;
	wk_instance_cleanup(&v->inst);
	wk_store_free(v->tags);
	memset(v, 0, sizeof(*v));
	return false;
}

static int
list_by_id(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_ec2_describe_query *q, struct wk_instance_view *views,
    size_t *n)
{
	struct wk_instance_view *v;
	int r;

	for (size_t i = 0; i < q->nids; i++) {
		v = &views[*n];
		memset(v, 0, sizeof(*v));
		r = wk_store_instance_get(req->srv->store, q->ids[i], &v->inst);
		if (r == WK_ERR_NOTFOUND)
			return wk_api_error(resp, 400,
			    "InvalidInstanceID.NotFound",
			    "The instance ID '%s' does not exist", q->ids[i]);
		if (r != 0)
			return r;
		(*n)++;
		if ((r = view_complete(req, v)) != 0)
			return r;
		if (!filter_keep(req, q->filters, v))
			(*n)--;
	}
	return 0;
}

static int
list_all(const struct wk_api_req *req, const struct wk_ec2_describe_query *q,
    struct wk_instance_view **views, size_t *n, bool *more)
{
	struct wk_instance *all = NULL;
	size_t nall = 0, i;
	int r;

	if ((r = wk_store_instance_list(req->srv->store, &all, &nall)) != 0)
		return r;
	if ((*views = wk_calloc(nall > 0 ? nall : 1, sizeof(**views))) ==
	    NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	/* the store lists by id: a page continues after its last id */
	for (i = 0; i < nall; i++) {
		struct wk_instance_view *v = &(*views)[*n];

		if (q->after != NULL && strcmp(all[i].id, q->after) <= 0)
			continue;
		if (q->limit > 0 && *n == q->limit) {
			/* one more match means one more page */
			struct wk_instance_view probe;

			memset(&probe, 0, sizeof(probe));
			probe.inst = all[i];
			all[i].host_keys = NULL;
			if ((r = view_complete(req, &probe)) == 0 &&
			    filter_keep(req, q->filters, &probe)) {
				*more = true;
				wk_ec2_instance_views_free_one(&probe);
				break;
			}
			wk_ec2_instance_views_free_one(&probe);
			if (r != 0)
				goto out;
			continue;
		}
		v->inst = all[i];	/* moved */
		all[i].host_keys = NULL;
		(*n)++;
		if ((r = view_complete(req, v)) != 0)
			goto out;
		if (!filter_keep(req, q->filters, v))
			(*n)--;
	}
	r = 0;
 out:
	wk_instance_list_free(all, nall);
	return r;
}

int
wk_ec2_describe_list(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_ec2_describe_query *q, struct wk_instance_view **out,
    size_t *n, bool *more)
{
	struct wk_instance_view *views = NULL;
	size_t nv = 0;
	int r;

	*out = NULL;
	*n = 0;
	*more = false;
	if (q->nids > 0) {
		if ((r = wk_ec2_ids_check(resp, q->ids, q->nids)) != 0)
			return r;
		if ((views = wk_calloc(q->nids, sizeof(*views))) == NULL)
			return WK_ERR_NOMEM;
		r = list_by_id(req, resp, q, views, &nv);
	} else {
		r = list_all(req, q, &views, &nv, more);
	}
	if (r != 0) {
		wk_ec2_instance_views_free(views, nv);
		*more = false;
		return r;
	}
	*out = views;
	*n = nv;
	return 0;
}
