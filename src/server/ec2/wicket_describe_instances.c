/*
 * wicket_describe_instances.c - WicketService.DescribeInstances (JSON), the
 * registry for the `wicket` CLI and the console:
 *   {"InstanceIds": [...]} (optional) ->
 *   {"Instances": [{"InstanceId", "Hostname", "Address", "SshPort",
 *                   "HostKeys": [...], "Online", "Tags": [{"Key","Value"}]}]}
 * Authorized as EC2 DescribeInstances is: once, on "*" (ec2:DescribeInstances
 * is not resource-level on AWS); a caller without it gets
 * AccessDeniedException with or without InstanceIds.
 */
#include <jansson.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "server/api/api.h"
#include "server/ec2/ec2.h"
#include "server/server.h"

json_t *
wk_ec2_host_keys_json(const char *keys)
{
	json_t *arr = json_array(), *s;
	const char *p = keys, *nl;
	size_t len;

	if (arr == NULL)
		return NULL;
	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > 0) {
			s = json_stringn(p, len);
			if (s == NULL || json_array_append_new(arr, s) != 0) {
				json_decref(arr);
				return NULL;
			}
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
	return arr;
}

static json_t *
instance_json(const struct wk_instance_view *v)
{
	json_t *tags, *t;
	size_t i;

	if ((tags = json_array()) == NULL)
		return NULL;
	for (i = 0; i < v->ntags; i++) {
		t = json_pack("{s:s, s:s}", "Key", v->tags[i].key, "Value",
		    v->tags[i].value);
		if (t == NULL || json_array_append_new(tags, t) != 0) {
			json_decref(tags);
			return NULL;
		}
	}
	return json_pack("{s:s, s:s, s:s, s:i, s:o*, s:b, s:o}",
	    "InstanceId", v->inst.id, "Hostname", v->inst.hostname,
	    "Address", v->inst.address, "SshPort", v->inst.ssh_port,
	    "HostKeys", wk_ec2_host_keys_json(v->inst.host_keys),
	    "Online", v->online ? 1 : 0, "Tags", tags);
}

static int
wicket_describe_instances(const struct wk_api_req *req,
    struct wk_api_resp *resp)
{
	const char **ids = NULL;
	struct wk_instance_view *views = NULL;
	struct wk_ec2_describe_query q;
	size_t nids = 0, nviews = 0, i;
	bool more = false;
	json_t *arr = NULL, *idarr = NULL, *v, *o;
	const char *key;
	int r;

	json_object_foreach(req->json, key, v) {
		if (strcmp(key, "InstanceIds") != 0)
			return wk_api_error(resp, 400, "ValidationException",
			    "Unknown parameter: %.64s", key);
		idarr = v;
	}
	if (idarr != NULL) {
		if (!json_is_array(idarr))
			return wk_api_error(resp, 400, "ValidationException",
			    "InstanceIds must be a list of strings");
		nids = json_array_size(idarr);
		if (nids > WK_DESCRIBE_MAX_IDS)
			return wk_api_error(resp, 400, "ValidationException",
			    "At most %d InstanceIds may be given",
			    WK_DESCRIBE_MAX_IDS);
		if (nids > 0 &&
		    (ids = wk_calloc(nids, sizeof(*ids))) == NULL)
			return WK_ERR_NOMEM;
		json_array_foreach(idarr, i, v) {
			if (!json_is_string(v)) {
				r = wk_api_error(resp, 400,
				    "ValidationException",
				    "InstanceIds must be a list of strings");
				goto out;
			}
			ids[i] = json_string_value(v);
		}
	}
	memset(&q, 0, sizeof(q));
	q.ids = ids;
	q.nids = nids;
	if ((r = wk_ec2_ids_check(resp, ids, nids)) != 0 ||
	    (r = wk_ec2_describe_authorize(req, resp)) != 0 ||
	    (r = wk_ec2_describe_list(req, resp, &q, &views, &nviews,
	    &more)) != 0)
		goto out;
	r = WK_ERR_NOMEM;
	if ((arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < nviews; i++) {
		o = instance_json(&views[i]);
		if (o == NULL || json_array_append_new(arr, o) != 0)
			goto out;
	}
	if ((resp->json = json_pack("{s:o}", "Instances", arr)) == NULL) {
		arr = NULL;
		goto out;
	}
	arr = NULL;
	r = 0;
 out:
	json_decref(arr);
	wk_ec2_instance_views_free(views, nviews);
	wk_free(ids);
	return r;
}

const struct wk_api_action wk_wicket_describe_instances = {
	.name = "DescribeInstances",
	.protocol = WK_PROTO_JSON,
	.target_prefix = "WicketService",
	.body_max = 256 * 1024,
	.handle = wicket_describe_instances,
};
