/*
 * iam_attach.c - managed policy attachments: AttachUserPolicy,
 * DetachUserPolicy, ListAttachedUserPolicies, AttachGroupPolicy,
 * DetachGroupPolicy, ListAttachedGroupPolicies.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "server/iam/iam_int.h"

static const char not_attachable[] =
    "does not exist or is not attachable.";
static const char policy_nf[] = "was not found.";

static int
attach(const struct wk_api_req *req, struct wk_api_resp *resp, bool group)
{
	struct wk_managed_policy p;
	const char *arn;
	char name[129], msg[2200];
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_policy_arn, &arn)) != 0 ||
	    (r = wk_iam_check_policy_arn(req, resp, arn,
	    not_attachable)) != 0 ||
	    (r = wk_iam_load_owner(req, resp, group,
	    &wk_iam_f_user_name, group ? "iam:AttachGroupPolicy" :
	    "iam:AttachUserPolicy", name, sizeof(name))) != 0)
		return r;
	r = wk_store_policy_get(req->srv->store, arn, &p);
	if (r == 0)
		r = group ? wk_store_attach_group(req->srv->store, name, arn) :
		    wk_store_attach_user(req->srv->store, name, arn);
	if (r != 0) {
		snprintf(msg, sizeof(msg), "Policy %s %s", arn,
		    not_attachable);
		r = wk_iam_store_err(resp, r, &(struct wk_iam_errmsg){
		    .notfound = msg,
		    .limit = group ?
		    "Cannot exceed quota for PoliciesPerGroup: 10" :
		    "Cannot exceed quota for PoliciesPerUser: 10" });
	}
	return r;
}

static int
detach(const struct wk_api_req *req, struct wk_api_resp *resp, bool group)
{
	const char *arn;
	char name[129], msg[2200];
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_policy_arn, &arn)) != 0 ||
	    (r = wk_iam_check_policy_arn(req, resp, arn, policy_nf)) != 0 ||
	    (r = wk_iam_load_owner(req, resp, group,
	    &wk_iam_f_user_name, group ? "iam:DetachGroupPolicy" :
	    "iam:DetachUserPolicy", name, sizeof(name))) != 0)
		return r;
	r = group ? wk_store_detach_group(req->srv->store, name, arn) :
	    wk_store_detach_user(req->srv->store, name, arn);
	if (r != 0) {
		snprintf(msg, sizeof(msg), "Policy %s %s", arn, policy_nf);
		r = wk_iam_store_err(resp, r,
		    &(struct wk_iam_errmsg){ .notfound = msg });
	} else {
		wk_iam_revoke_owner(req, group, name, group ?
		    "DetachGroupPolicy" : "DetachUserPolicy");
	}
	return r;
}

/* The path of a policy from its ARN ("arn:...:policy/a/b/N" -> "/a/b/"). */
static bool
arn_path_has_prefix(const char *arn, const char *prefix)
{
	const char *p, *last;

	if (prefix == NULL)
		return true;
	if ((p = strstr(arn, ":policy/")) == NULL)
		return false;
	p += strlen(":policy");
	last = strrchr(p, '/');
	return (size_t)(last - p + 1) >= strlen(prefix) &&
	    strncmp(p, prefix, strlen(prefix)) == 0;
}

static int
list_attached(const struct wk_api_req *req, struct wk_api_resp *resp,
    bool group)
{
	static const struct wk_iam_field f_prefix = {
		"PathPrefix", "pathPrefix", 1, 512, WK_IAM_PAT_POLICY_PATH,
		false
	};
	struct wk_managed_policy *pols = NULL;
	struct wk_iam_page pg;
	struct wk_buf *b = &resp->xml;
	const char *prefix;
	char name[129];
	size_t n = 0, i, kept;
	int r;

	if ((r = wk_iam_param(req, resp, &f_prefix, &prefix)) != 0 ||
	    (r = wk_iam_page_params(req, resp, &pg)) != 0 ||
	    (r = wk_iam_load_owner(req, resp, group,
	    &wk_iam_f_user_name, group ?
	    "iam:ListAttachedGroupPolicies" : "iam:ListAttachedUserPolicies",
	    name, sizeof(name))) != 0)
		goto out;
	r = group ? wk_store_attached_group_list(req->srv->store, name, &pols,
	    &n) : wk_store_attached_user_list(req->srv->store, name, &pols, &n);
	if (r != 0)
		goto out;
	/* Filter in place, then page. */
	for (i = kept = 0; i < n; i++)
		if (arn_path_has_prefix(pols[i].arn, prefix))
			pols[kept++] = pols[i];
	if ((r = wk_iam_page_slice(resp, &pg, kept)) != 0 ||
	    (r = wk_xml_open(b, "AttachedPolicies")) != 0)
		goto out;
	for (i = pg.start; i < pg.end; i++) {
		if ((r = wk_xml_open(b, "member")) != 0 ||
		    (r = wk_xml_text(b, "PolicyName", pols[i].name)) != 0 ||
		    (r = wk_xml_text(b, "PolicyArn", pols[i].arn)) != 0 ||
		    (r = wk_xml_close(b, "member")) != 0)
			goto out;
	}
	if ((r = wk_xml_close(b, "AttachedPolicies")) != 0)
		goto out;
	r = wk_iam_page_write(b, pg.truncated, pg.next);
out:
	wk_store_free(pols);
	return r;
}

static int
attach_user_policy(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	return attach(req, resp, false);
}

static int
detach_user_policy(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	return detach(req, resp, false);
}

static int
list_attached_user_policies(const struct wk_api_req *req,
    struct wk_api_resp *resp)
{
	return list_attached(req, resp, false);
}

static int
attach_group_policy(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	return attach(req, resp, true);
}

static int
detach_group_policy(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	return detach(req, resp, true);
}

static int
list_attached_group_policies(const struct wk_api_req *req,
    struct wk_api_resp *resp)
{
	return list_attached(req, resp, true);
}

const struct wk_api_action wk_iam_attach_user_policy = {
	.name = "AttachUserPolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = attach_user_policy,
};
const struct wk_api_action wk_iam_detach_user_policy = {
	.name = "DetachUserPolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = detach_user_policy,
};
const struct wk_api_action wk_iam_list_attached_user_policies = {
	.name = "ListAttachedUserPolicies", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = list_attached_user_policies,
};
const struct wk_api_action wk_iam_attach_group_policy = {
	.name = "AttachGroupPolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = attach_group_policy,
};
const struct wk_api_action wk_iam_detach_group_policy = {
	.name = "DetachGroupPolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = detach_group_policy,
};
const struct wk_api_action wk_iam_list_attached_group_policies = {
	.name = "ListAttachedGroupPolicies", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = list_attached_group_policies,
};
