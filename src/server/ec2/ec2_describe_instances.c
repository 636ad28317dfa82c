/*
 * ec2_describe_instances.c - EC2 DescribeInstances (Query protocol,
 * Version 2016-11-15): the registry as EC2 reservations, one per instance.
 * InstanceId.N, Filter.N (ec2_filters.c), MaxResults 5..1000 and NextToken
 * (ec2_token.c), DryRun. Authorized once, on "*" (ec2_instances.c).
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "server/api/api.h"
#include "server/ec2/ec2.h"
#include "server/server.h"

/* ---- the EC2 XML ---- */

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
write_tags(struct wk_buf *b, const struct wk_tag *tags, size_t n)
{
	int r;

	if (n == 0)
		return 0;
	if ((r = wk_xml_open(b, "tagSet")) != 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if ((r = wk_xml_open(b, "item")) != 0 ||
		    (r = wk_xml_text(b, "key", tags[i].key)) != 0 ||
		    (r = wk_xml_text(b, "value", tags[i].value)) != 0 ||
		    (r = wk_xml_close(b, "item")) != 0)
			return r;
	}
	return wk_xml_close(b, "tagSet");
}

static int
write_instance(struct wk_buf *b, const struct wk_server *srv,
    const struct wk_instance_view *v)
{
	const struct wk_instance *in = &v->inst;
	struct wk_ec2_instance_fields f;
	char az[48];
	int r;

	/* what the filters compared is what the reply shows */
	wk_ec2_fields_of(srv, v, az, sizeof(az), &f);
	/* ids come from the registry: "i-" and hex, nothing to escape */
	if ((r = wk_xml_open(b, "item")) != 0 ||
	    (r = wk_buf_appendf(b, "<reservationId>r%s</reservationId>",
	    in->id + 1)) != 0 ||
	    (r = wk_xml_text(b, "ownerId", srv->account_id)) != 0 ||
	    (r = wk_buf_append_str(b, "<groupSet/>")) != 0 ||
	    (r = wk_xml_open(b, "instancesSet")) != 0 ||
	    (r = wk_xml_open(b, "item")) != 0 ||
	    (r = wk_xml_text(b, "instanceId", f.instance_id)) != 0 ||
	    (r = wk_xml_open(b, "instanceState")) != 0 ||
	    (r = wk_xml_int(b, "code", f.state_code)) != 0 ||
	    (r = wk_xml_text(b, "name", f.state_name)) != 0 ||
	    (r = wk_xml_close(b, "instanceState")) != 0 ||
	    (r = wk_xml_text(b, "privateDnsName", f.private_dns_name)) != 0 ||
	    (r = wk_xml_text(b, "dnsName", f.dns_name)) != 0 ||
	    (r = wk_xml_time(b, "launchTime", in->create_date)) != 0 ||
	    (r = wk_xml_open(b, "placement")) != 0 ||
	    (r = wk_xml_text(b, "availabilityZone", f.az)) != 0 ||
	    (r = wk_xml_text(b, "tenancy", "default")) != 0 ||
	    (r = wk_xml_close(b, "placement")) != 0)
		return r;
	if (f.private_ip[0] != '\0' &&
	    (r = wk_xml_text(b, "privateIpAddress", f.private_ip)) != 0)
		return r;
	if (f.ip[0] != '\0' && (r = wk_xml_text(b, "ipAddress", f.ip)) != 0)
		return r;
	if ((r = write_tags(b, f.tags, f.ntags)) != 0 ||
	    (r = wk_xml_int(b, "wicketSshPort", in->ssh_port)) != 0 ||
	    (r = write_host_keys(b, in->host_keys)) != 0 ||
	    (r = wk_xml_close(b, "item")) != 0 ||
	    (r = wk_xml_close(b, "instancesSet")) != 0)
		return r;
	return wk_xml_close(b, "item");
}

/* ---- the request ---- */

struct describe_params {
	const char **ids;
	size_t nids;
	struct wk_ec2_filters filters;
	size_t max_results;	/* 0: not given */
	const char *next_token;	/* NULL: not given */
	bool dry_run;
};

static int
parse_bool(struct wk_api_resp *resp, const char *name, const char *v,
    bool *out)
{
	if (v == NULL) {
		*out = false;
		return 0;
	}
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
		*out = v[0] == 't';
		return 0;
	}
	return wk_api_error(resp, 400, "InvalidParameterValue",
	    "Invalid value '%.32s' for %s: it must be true or false", v, name);
}

static int
parse_max_results(struct wk_api_resp *resp, const char *v, size_t *out)
{
	uint64_t n;

	*out = 0;
	if (v == NULL)
		return 0;
	if (wk_cstr_to_u64(v, UINT32_MAX, &n) != 0)
		return wk_api_error(resp, 400, "InvalidParameterValue",
		    "Invalid value '%.32s' for maxResults: it must be an "
		    "integer", v);
	if (n < WK_EC2_MAX_RESULTS_MIN)
		return wk_api_error(resp, 400, "InvalidParameterValue",
		    "Value ( %llu ) for parameter maxResults is invalid. "
		    "Expecting a value greater than %d.", (unsigned long long)n,
		    WK_EC2_MAX_RESULTS_MIN);
	if (n > WK_EC2_MAX_RESULTS_MAX)
		return wk_api_error(resp, 400, "InvalidParameterValue",
		    "Value ( %llu ) for parameter maxResults is invalid. "
		    "Expecting a value less than or equal to %d.",
		    (unsigned long long)n, WK_EC2_MAX_RESULTS_MAX);
	*out = (size_t)n;
	return 0;
}

/* Everything checkable without the store, before authorization. */
static int
parse_request(const struct wk_api_req *req, struct wk_api_resp *resp,
    struct describe_params *dp)
{
	char name[32], why[256];
	const char *v;
	int r;

	/* InstanceId.N, N = 1, 2, ... (as the CLI numbers them) */
	for (size_t i = 1; req->params != NULL; i++) {
		snprintf(name, sizeof(name), "InstanceId.%zu", i);
		if ((v = wk_params_get(req->params, name)) == NULL)
			break;
		if (dp->nids == WK_DESCRIBE_MAX_IDS)
			return wk_api_error(resp, 400,
			    "InvalidParameterValue",
			    "At most %d instance IDs may be given",
			    WK_DESCRIBE_MAX_IDS);
		dp->ids[dp->nids++] = v;
	}
	if ((r = wk_ec2_ids_check(resp, dp->ids, dp->nids)) != 0)
		return r;
	r = wk_ec2_filters_parse(req->params, &dp->filters, why, sizeof(why));
	if (r == WK_ERR_INVAL)
		return wk_api_error(resp, 400, "InvalidParameterValue", "%s",
		    why);
	if (r != 0)
		return r;
	if (req->params == NULL)
		return 0;
	if ((r = parse_max_results(resp, wk_params_get(req->params,
	    "MaxResults"), &dp->max_results)) != 0 ||
	    (r = parse_bool(resp, "DryRun", wk_params_get(req->params,
	    "DryRun"), &dp->dry_run)) != 0)
		return r;
	dp->next_token = wk_params_get(req->params, "NextToken");
	if (dp->next_token != NULL && dp->next_token[0] == '\0')
		dp->next_token = NULL;	/* the SDKs' "no token" */
	if (dp->nids > 0 && dp->max_results > 0)
		return wk_api_error(resp, 400, "InvalidParameterCombination",
		    "The parameter instancesSet cannot be used with the "
		    "parameter maxResults");
	if (dp->nids > 0 && dp->next_token != NULL)
		return wk_api_error(resp, 400, "InvalidParameterCombination",
		    "The parameter instancesSet cannot be used with the "
		    "parameter nextToken");
	return 0;
}

static int
bad_token(struct wk_api_resp *resp, int r)
{
	if (r == WK_ERR_EXPIRED)
		return wk_api_error(resp, 400, "InvalidParameterValue",
		    "The NextToken has expired (a token is good for %d "
		    "hours): start the listing again", WK_EC2_TOKEN_TTL / 3600);
	return wk_api_error(resp, 400, "InvalidParameterValue",
	    "Invalid NextToken: it was not issued to this caller for these "
	    "filters");
}

static int
write_reply(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_instance_view *views, size_t n, const char *next)
{
	int r;

	if ((r = wk_xml_open(&resp->xml, "reservationSet")) != 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = write_instance(&resp->xml, req->srv, &views[i])) != 0)
			return r;
	if ((r = wk_xml_close(&resp->xml, "reservationSet")) != 0)
		return r;
	if (next != NULL)
		r = wk_xml_text(&resp->xml, "nextToken", next);
	return r;
}

static int
ec2_describe_instances(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct describe_params dp;
	struct wk_ec2_describe_query q;
	struct wk_instance_view *views = NULL;
	uint8_t key[WK_EC2_TOKEN_KEY_LEN], digest[32];
	char after[20], next[WK_EC2_TOKEN_TEXT_MAX];
	size_t nviews = 0;
	bool more = false;
	int r;

	memset(&dp, 0, sizeof(dp));
	memset(&q, 0, sizeof(q));
	if ((dp.ids = wk_calloc(WK_DESCRIBE_MAX_IDS, sizeof(*dp.ids))) == NULL)
		return WK_ERR_NOMEM;
	if ((r = parse_request(req, resp, &dp)) != 0 ||
	    (r = wk_ec2_describe_authorize(req, resp)) != 0)
		goto out;
	if (dp.dry_run) {
		r = wk_api_error(resp, 412, "DryRunOperation", "Request would "
		    "have succeeded, but DryRun flag is set.");
		goto out;
	}
	q.ids = dp.ids;
	q.nids = dp.nids;
	q.filters = &dp.filters;
	if (dp.nids == 0) {
		q.limit = dp.max_results > 0 ? dp.max_results :
		    WK_EC2_PAGE_DEFAULT;
		if ((r = wk_ec2_filters_digest(&dp.filters, digest)) != 0 ||
		    (r = wk_ec2_token_key(req->srv->store, key)) != 0)
			goto out;
	}
	if (dp.next_token != NULL) {
		if ((r = wk_ec2_token_open(key, req->caller->user.id, digest,
		    dp.next_token, req->now, after)) != 0) {
			r = r == WK_ERR_INVAL || r == WK_ERR_EXPIRED ?
			    bad_token(resp, r) : r;
			goto out;
		}
		q.after = after;
	}
	if ((r = wk_ec2_describe_list(req, resp, &q, &views, &nviews,
	    &more)) != 0)
		goto out;
	if (more && nviews > 0 && (r = wk_ec2_token_make(key,
	    req->caller->user.id, digest, views[nviews - 1].inst.id, req->now,
	    next, sizeof(next))) != 0)
		goto out;
	r = write_reply(req, resp, views, nviews, more && nviews > 0 ? next :
	    NULL);
 out:
	wk_explicit_bzero(key, sizeof(key));
	wk_ec2_instance_views_free(views, nviews);
	wk_ec2_filters_free(&dp.filters);
	wk_free(dp.ids);
	return r;
}

const struct wk_api_action wk_ec2_describe_instances = {
	.name = "DescribeInstances",
	.protocol = WK_PROTO_QUERY_EC2,
	.target_prefix = NULL,
	.body_max = 256 * 1024,
	.handle = ec2_describe_instances,
};
