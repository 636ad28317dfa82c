/*
 * iam_tags.c - user tags: the Tags.member.N parameter (also used by
 * CreateUser), TagUser, UntagUser, ListUserTags.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "common/err.h"
#include "server/iam/iam_int.h"

#define TAGS_MAX 50

int
wk_iam_param_tags(const struct wk_api_req *req, struct wk_api_resp *resp,
    struct wk_tag **out, size_t *n)
{
	struct wk_iam_field fk = { NULL, NULL, 1, 128, WK_IAM_PAT_TAG, true };
	struct wk_iam_field fv = { NULL, NULL, 0, 256, WK_IAM_PAT_TAG, true };
	struct wk_tag *tags = NULL;
	char pk[64], pv[64], mk[64], mv[64];
	const char *k, *v;
	size_t i, j, cnt = 0;
	int r = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; req->params != NULL; i++) {
		snprintf(pk, sizeof(pk), "Tags.member.%zu.Key", i + 1);
		snprintf(pv, sizeof(pv), "Tags.member.%zu.Value", i + 1);
		k = wk_params_get(req->params, pk);
		v = wk_params_get(req->params, pv);
		if (k == NULL && v == NULL)
			break;
		if (i >= TAGS_MAX) {
			r = wk_api_error(resp, 400, "ValidationError",
			    "1 validation error detected: Value at 'tags' "
			    "failed to satisfy constraint: Member must have "
			    "length less than or equal to %d", TAGS_MAX);
			goto out;
		}
		snprintf(mk, sizeof(mk), "tags.%zu.member.key", i + 1);
		snprintf(mv, sizeof(mv), "tags.%zu.member.value", i + 1);
		fk.param = pk;
		fk.member = mk;
		fv.param = pv;
		fv.member = mv;
		if ((r = wk_iam_param(req, resp, &fk, &k)) != 0 ||
		    (r = wk_iam_param(req, resp, &fv, &v)) != 0)
			goto out;
		if (strncasecmp(k, "aws:", 4) == 0) {
			r = wk_api_error(resp, 400, "InvalidInput",
			    "User tags must not start with \"aws:\".");
			goto out;
		}
		for (j = 0; j < cnt; j++)
			if (strcasecmp(tags[j].key, k) == 0) {
				r = wk_api_error(resp, 400, "InvalidInput",
				    "Duplicate tag keys found. Please note "
				    "that Tag keys are case insensitive.");
				goto out;
			}
		if (cnt == 0 && (tags = wk_calloc(TAGS_MAX,
		    sizeof(*tags))) == NULL) {
			r = WK_ERR_NOMEM;
			goto out;
		}
		snprintf(tags[cnt].key, sizeof(tags[cnt].key), "%s", k);
		snprintf(tags[cnt].value, sizeof(tags[cnt].value), "%s", v);
		cnt++;
	}
	*out = tags;
	*n = cnt;
	tags = NULL;
out:
	wk_free(tags);
	return r;
}

static int
tag_user(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_tag *tags = NULL, *have = NULL;
	size_t n = 0, nhave = 0, i, j, added = 0;
	struct wk_user u;
	const char *name;
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_existing_user,
	    &name)) != 0 ||
	    (r = wk_iam_param_tags(req, resp, &tags, &n)) != 0)
		goto out;
	if (n == 0) {
		r = wk_api_error(resp, 400, "ValidationError",
		    "1 validation error detected: Value null at 'tags' failed "
		    "to satisfy constraint: Member must not be null");
		goto out;
	}
	if ((r = wk_iam_user_authz(req, resp, "iam:TagUser", name, &u)) != 0 ||
	    (r = wk_store_user_tags_list(req->srv->store, u.name, &have,
	    &nhave)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		for (j = 0; j < nhave; j++)
			if (strcasecmp(have[j].key, tags[i].key) == 0)
				break;
		if (j == nhave)
			added++;
	}
	if (nhave + added > TAGS_MAX) {
		r = wk_api_error(resp, 409, "LimitExceeded",
		    "The number of tags has reached the maximum limit.");
		goto out;
	}
	if ((r = wk_store_user_tags_set(req->srv->store, u.name, tags,
	    n)) != 0)
		r = wk_iam_store_err(resp, r, NULL);
out:
	wk_free(tags);
	wk_store_free(have);
	return r;
}

static int
untag_user(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	static const struct wk_iam_field f_key = {
		"TagKeys", "tagKeys", 1, 128, WK_IAM_PAT_TAG, true
	};
	struct wk_user u;
	const char **keys = NULL;
	const char *name;
	size_t n = 0, i;
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_existing_user,
	    &name)) != 0 ||
	    (r = wk_iam_param_list(req, resp, "TagKeys", &keys, &n)) != 0)
		goto out;
	if (n == 0) {
		r = wk_api_error(resp, 400, "ValidationError",
		    "1 validation error detected: Value null at 'tagKeys' "
		    "failed to satisfy constraint: Member must not be null");
		goto out;
	}
	if (n > TAGS_MAX) {
		r = wk_api_error(resp, 400, "ValidationError",
		    "1 validation error detected: Value at 'tagKeys' failed "
		    "to satisfy constraint: Member must have length less than "
		    "or equal to %d", TAGS_MAX);
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((r = wk_iam_check(resp, &f_key, keys[i])) != 0)
			goto out;
	if ((r = wk_iam_user_authz(req, resp, "iam:UntagUser", name, &u)) != 0)
		goto out;
	if ((r = wk_store_user_tags_remove(req->srv->store, u.name, keys,
	    n)) != 0)
		r = wk_iam_store_err(resp, r, NULL);
out:
	wk_free(keys);
	return r;
}

static int
list_user_tags(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_tag *tags = NULL;
	struct wk_iam_page pg;
	struct wk_user u;
	struct wk_buf *b = &resp->xml;
	const char *name;
	size_t n = 0, i;
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_existing_user,
	    &name)) != 0 ||
	    (r = wk_iam_page_params(req, resp, &pg)) != 0 ||
	    (r = wk_iam_user_authz(req, resp, "iam:ListUserTags", name,
	    &u)) != 0)
		goto out;
	if ((r = wk_store_user_tags_list(req->srv->store, u.name, &tags,
	    &n)) != 0 ||
	    (r = wk_iam_page_slice(resp, &pg, n)) != 0 ||
	    (r = wk_xml_open(b, "Tags")) != 0)
		goto out;
	for (i = pg.start; i < pg.end; i++) {
		if ((r = wk_xml_open(b, "member")) != 0 ||
		    (r = wk_xml_text(b, "Key", tags[i].key)) != 0 ||
		    (r = wk_xml_text(b, "Value", tags[i].value)) != 0 ||
		    (r = wk_xml_close(b, "member")) != 0)
			goto out;
	}
	if ((r = wk_xml_close(b, "Tags")) != 0)
		goto out;
	r = wk_iam_page_write(b, pg.truncated, pg.next);
out:
	wk_store_free(tags);
	return r;
}

const struct wk_api_action wk_iam_tag_user = {
	.name = "TagUser", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = tag_user,
};
const struct wk_api_action wk_iam_untag_user = {
	.name = "UntagUser", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = untag_user,
};
const struct wk_api_action wk_iam_list_user_tags = {
	.name = "ListUserTags", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = list_user_tags,
};
