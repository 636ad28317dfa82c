/*
 * ec2_describe_instances.c - EC2 DescribeInstances (Query protocol,
 * Version 2016-11-15): the instance registry as EC2 reservations, one per
 * instance, filtered to the instances the caller may describe. Also the
 * registry helpers shared with WicketService.DescribeInstances.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "server/hub/agent_hub.h"
#include "server/api/api.h"
#include "server/ec2/ec2.h"
#include "server/server.h"

#define EC2_DESCRIBE_ACTION "ec2:DescribeInstances"

int
wk_ec2_instance_arn(const struct wk_server *srv, const char *id, char *out,
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

/* ---- the EC2 XML ---- */

static bool
is_ip(const char *s)
{
	uint8_t a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static int
write_host_keys(struct wk_buf *b, const char *keys)
{
	const char *p = keys, *nl;
	char line[4200];
	size_t len;
	int r;

	if ((r = wk_xml_open(b, "wicketHostKeySet")) != 0)
		return r;
	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > 0 && len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			if ((r = wk_xml_text(b, "item", line)) != 0)
				return r;
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
	return wk_xml_close(b, "wicketHostKeySet");
}

static int
write_instance(struct wk_buf *b, const struct wk_server *srv,
    const struct wk_instance_view *v)
{
	const struct wk_instance *in = &v->inst;
	char az[48];
	size_t i;
	int r;

	snprintf(az, sizeof(az), "%sa", srv->region);
	/* ids come from the registry: "i-" and hex, nothing to escape */
	if ((r = wk_xml_open(b, "item")) != 0 ||
	    (r = wk_buf_appendf(b, "<reservationId>r%s</reservationId>",
	    in->id + 1)) != 0 ||
	    (r = wk_xml_text(b, "ownerId", srv->account_id)) != 0 ||
	    (r = wk_buf_append_str(b, "<groupSet/>")) != 0 ||
	    (r = wk_xml_open(b, "instancesSet")) != 0 ||
	    (r = wk_xml_open(b, "item")) != 0 ||
	    (r = wk_xml_text(b, "instanceId", in->id)) != 0 ||
	    (r = wk_xml_open(b, "instanceState")) != 0 ||
	    (r = wk_xml_int(b, "code", v->online ? 16 : 80)) != 0 ||
	    (r = wk_xml_text(b, "name", v->online ? "running" :
	    "stopped")) != 0 ||
	    (r = wk_xml_close(b, "instanceState")) != 0 ||
	    (r = wk_xml_text(b, "privateDnsName", in->hostname)) != 0 ||
	    (r = wk_xml_text(b, "dnsName", is_ip(in->address) ? "" :
	    in->address)) != 0 ||
	    (r = wk_xml_time(b, "launchTime", in->create_date)) != 0 ||
	    (r = wk_xml_open(b, "placement")) != 0 ||
	    (r = wk_xml_text(b, "availabilityZone", az)) != 0 ||
	    (r = wk_xml_text(b, "tenancy", "default")) != 0 ||
	    (r = wk_xml_close(b, "placement")) != 0)
		return r;
	if (is_ip(in->address) &&
	    ((r = wk_xml_text(b, "privateIpAddress", in->address)) != 0 ||
	    (r = wk_xml_text(b, "ipAddress", in->address)) != 0))
		return r;
	if (v->ntags > 0) {
		if ((r = wk_xml_open(b, "tagSet")) != 0)
			return r;
		for (i = 0; i < v->ntags; i++) {
			if ((r = wk_xml_open(b, "item")) != 0 ||
			    (r = wk_xml_text(b, "key", v->tags[i].key)) != 0 ||
			    (r = wk_xml_text(b, "value",
			    v->tags[i].value)) != 0 ||
			    (r = wk_xml_close(b, "item")) != 0)
				return r;
		}
		if ((r = wk_xml_close(b, "tagSet")) != 0)
			return r;
	}
	if ((r = wk_xml_int(b, "wicketSshPort", in->ssh_port)) != 0 ||
	    (r = write_host_keys(b, in->host_keys)) != 0 ||
	    (r = wk_xml_close(b, "item")) != 0 ||
	    (r = wk_xml_close(b, "instancesSet")) != 0)
		return r;
	return wk_xml_close(b, "item");
}

static int
ec2_describe_instances(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	const char **ids = NULL;
	struct wk_instance_view *views = NULL;
	size_t nids = 0, nviews = 0, i;
	char name[32];
	const char *v;
	int r;

	if ((ids = wk_calloc(WK_DESCRIBE_MAX_IDS, sizeof(*ids))) == NULL)
		return WK_ERR_NOMEM;
	/* InstanceId.N, N = 1, 2, ... (as the CLI numbers them) */
	for (i = 1; req->params != NULL; i++) {
		snprintf(name, sizeof(name), "InstanceId.%zu", i);
		if ((v = wk_params_get(req->params, name)) == NULL)
			break;
		if (nids == WK_DESCRIBE_MAX_IDS) {
			r = wk_api_error(resp, 400, "InvalidParameterValue",
			    "At most %d instance IDs may be given",
			    WK_DESCRIBE_MAX_IDS);
			goto out;
		}
		ids[nids++] = v;
	}
	if ((r = wk_ec2_instances_visible(req, resp, EC2_DESCRIBE_ACTION,
	    "UnauthorizedOperation", ids, nids, &views, &nviews)) != 0)
		goto out;
	if ((r = wk_xml_open(&resp->xml, "reservationSet")) != 0)
		goto out;
	for (i = 0; i < nviews; i++) {
		if ((r = write_instance(&resp->xml, req->srv, &views[i])) != 0)
			goto out;
	}
	r = wk_xml_close(&resp->xml, "reservationSet");
 out:
	wk_ec2_instance_views_free(views, nviews);
	wk_free(ids);
	return r;
}

const struct wk_api_action wk_ec2_describe_instances = {
	.name = "DescribeInstances",
	.protocol = WK_PROTO_QUERY_EC2,
	.target_prefix = NULL,
	.body_max = 64 * 1024,
	.handle = ec2_describe_instances,
};
