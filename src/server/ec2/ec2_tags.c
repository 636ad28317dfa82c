/*
 * ec2_tags.c - EC2 CreateTags and DeleteTags for registered instances
 * (`aws ec2 create-tags --resources i-... --tags Key=Name,Value=web`), so
 * operators can name instances and write policies on ec2:ResourceTag/...
 * Each instance is authorized separately (ec2:CreateTags / ec2:DeleteTags
 * on its ARN, with its current tags as ec2:ResourceTag context); all are
 * checked before anything changes. DryRun=true checks the same (ids,
 * tags, authorization) and answers 412 DryRunOperation, writing nothing.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "common/err.h"
#include "server/api/api.h"
#include "server/ec2/ec2.h"
#include "store/store.h"

#define EC2_MAX_TAGS 50		/* per resource, and per call */

struct tag_args {
	bool dry_run;
	const char *ids[WK_DESCRIBE_MAX_IDS];
	size_t nids;
	struct wk_tag tags[EC2_MAX_TAGS];
	bool has_value[EC2_MAX_TAGS];
	size_t ntags;
};

/* Reads ResourceId.N and Tag.N.Key / Tag.N.Value, with EC2's limits. */
static int
read_args(const struct wk_api_req *req, struct wk_api_resp *resp,
    bool need_value, struct tag_args *a)
{
	char name[48];
	const char *k, *v;
	size_t i;

	if ((v = wk_params_get(req->params, "DryRun")) != NULL) {
		if (strcmp(v, "true") == 0)
			a->dry_run = true;
		else if (strcmp(v, "false") != 0)
			return wk_api_error(resp, 400, "InvalidParameterValue",
			    "Value (%.32s) for parameter DryRun is invalid. "
			    "Expected: 'true' or 'false'.", v);
	}
	for (i = 1;; i++) {
		snprintf(name, sizeof(name), "ResourceId.%zu", i);
		if ((v = wk_params_get(req->params, name)) == NULL)
			break;
		if (a->nids == WK_DESCRIBE_MAX_IDS)
			return wk_api_error(resp, 400, "InvalidParameterValue",
			    "At most %d resource IDs may be given",
			    WK_DESCRIBE_MAX_IDS);
		if (strncmp(v, "i-", 2) != 0)
			return wk_api_error(resp, 400, "InvalidID",
			    "The ID '%.64s' is not valid: only instances "
			    "(i-...) are tagged here", v);
		a->ids[a->nids++] = v;
	}
	if (a->nids == 0)
		return wk_api_error(resp, 400, "MissingParameter",
		    "The request must contain the parameter resourceIdSet");
	for (i = 1;; i++) {
		snprintf(name, sizeof(name), "Tag.%zu.Key", i);
		k = wk_params_get(req->params, name);
		snprintf(name, sizeof(name), "Tag.%zu.Value", i);
		v = wk_params_get(req->params, name);
		if (k == NULL && v == NULL)
			break;
		if (k == NULL)
			return wk_api_error(resp, 400, "InvalidParameterValue",
			    "Tag %zu has a value but no key", i);
		if (a->ntags == EC2_MAX_TAGS)
			return wk_api_error(resp, 400, "TagLimitExceeded",
			    "The maximum number of tags (%d) was exceeded",
			    EC2_MAX_TAGS);
		if (k[0] == '\0' || strlen(k) >= sizeof(a->tags[0].key))
			return wk_api_error(resp, 400, "InvalidParameterValue",
			    "Tag keys must be 1 to 128 characters");
		if (strncasecmp(k, "aws:", 4) == 0)
			return wk_api_error(resp, 400, "InvalidParameterValue",
			    "Tag keys starting with 'aws:' are reserved for "
			    "internal use");
		if (v != NULL && strlen(v) >= sizeof(a->tags[0].value))
			return wk_api_error(resp, 400, "InvalidParameterValue",
			    "Tag values must be at most 256 characters");
		/*
		 * One key twice would give aws:RequestTag/KEY two values, and
		 * a policy allowing one of them would let the other through;
		 * condition keys compare case-insensitively, so "Env" and
		 * "env" are one key there: refuse both.
		 */
		for (size_t j = 0; j < a->ntags; j++)
			if (strcasecmp(a->tags[j].key, k) == 0)
				return wk_api_error(resp, 400,
				    "InvalidParameterValue", "Tag key '%.128s' "
				    "is given more than once", k);
		if (v == NULL && need_value)
			v = "";		/* CreateTags: an empty value */
		memcpy(a->tags[a->ntags].key, k, strlen(k) + 1);
		a->has_value[a->ntags] = v != NULL;
		if (v != NULL)
			memcpy(a->tags[a->ntags].value, v, strlen(v) + 1);
		a->ntags++;
	}
	if (a->ntags == 0 && need_value)
		return wk_api_error(resp, 400, "MissingParameter",
		    "The request must contain the parameter tagSet");
	return 0;
}

/* Authorizes `action` on every instance first (nothing changes on a
 * refusal), with NotFound/Malformed/UnauthorizedOperation as EC2's; a
 * dry run that would succeed stops here with DryRunOperation (412). */
static int
authorize_all(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const struct tag_args *a)
{
	struct wk_instance_view *views = NULL;
	size_t n = 0;
	int r;

	r = wk_ec2_instances_visible(req, resp, action, "UnauthorizedOperation",
	    a->ids, a->nids, &views, &n);
	wk_ec2_instance_views_free(views, n);
	if (r == 0 && a->dry_run)
		return wk_api_error(resp, 412, "DryRunOperation",
		    "Request would have succeeded, but DryRun flag is set.");
	return r;
}

static int
map_store(struct wk_api_resp *resp, int r)
{
	if (r == WK_ERR_LIMIT)
		return wk_api_error(resp, 400, "TagLimitExceeded",
		    "The maximum number of tags (%d) per resource was "
		    "exceeded", EC2_MAX_TAGS);
	return r;
}

static int
ec2_create_tags(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct tag_args *a;
	size_t i;
	int r;

	if ((a = wk_calloc(1, sizeof(*a))) == NULL)
		return WK_ERR_NOMEM;
	if ((r = read_args(req, resp, true, a)) != 0 ||
	    (r = authorize_all(req, resp, "ec2:CreateTags", a)) != 0)
		goto out;
	for (i = 0; i < a->nids; i++)
		if ((r = map_store(resp, wk_store_instance_tags_set(
		    req->srv->store, a->ids[i], a->tags, a->ntags))) != 0)
			goto out;
	r = wk_xml_text(&resp->xml, "return", "true");
 out:
	wk_free(a);
	return r;
}

/*
 * DeleteTags: a tag given with a value is removed only where the value
 * matches; a tag given without one is removed whatever its value; no tags
 * at all removes every tag (as EC2 does).
 */
static int
delete_on(const struct wk_api_req *req, const char *id,
    const struct tag_args *a)
{
	struct wk_tag *cur = NULL;
	const char *keys[EC2_MAX_TAGS + 64];
	size_t ncur = 0, nkeys = 0, i, j;
	int r;

	if ((r = wk_store_instance_tags_list(req->srv->store, id, &cur,
	    &ncur)) != 0)
		return r;
	for (i = 0; i < ncur && nkeys < sizeof(keys) / sizeof(keys[0]); i++) {
		bool del = a->ntags == 0;

		for (j = 0; j < a->ntags && !del; j++)
			del = strcmp(cur[i].key, a->tags[j].key) == 0 &&
			    (!a->has_value[j] ||
			    strcmp(cur[i].value, a->tags[j].value) == 0);
		if (del)
			keys[nkeys++] = cur[i].key;
	}
	r = nkeys == 0 ? 0 : wk_store_instance_tags_remove(req->srv->store,
	    id, keys, nkeys);
	wk_store_free(cur);
	return r;
}

static int
ec2_delete_tags(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct tag_args *a;
	size_t i;
	int r;

	if ((a = wk_calloc(1, sizeof(*a))) == NULL)
		return WK_ERR_NOMEM;
	if ((r = read_args(req, resp, false, a)) != 0 ||
	    (r = authorize_all(req, resp, "ec2:DeleteTags", a)) != 0)
		goto out;
	for (i = 0; i < a->nids; i++)
		if ((r = delete_on(req, a->ids[i], a)) != 0)
			goto out;
	r = wk_xml_text(&resp->xml, "return", "true");
 out:
	wk_free(a);
	return r;
}

const struct wk_api_action wk_ec2_create_tags = {
	.name = "CreateTags",
	.protocol = WK_PROTO_QUERY_EC2,
	.body_max = 256 * 1024,
	.handle = ec2_create_tags,
};

const struct wk_api_action wk_ec2_delete_tags = {
	.name = "DeleteTags",
	.protocol = WK_PROTO_QUERY_EC2,
	.body_max = 256 * 1024,
	.handle = ec2_delete_tags,
};
