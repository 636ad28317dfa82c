/*
 * iam_inline.c - inline policies of users and groups: Put/Get/List/Delete
 * UserPolicy and GroupPolicy.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "server/iam/iam_int.h"

static int
inline_nf(struct wk_api_resp *resp, int r, bool group, const char *pname)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "The %s policy with name %s cannot be "
	    "found.", group ? "group" : "user", pname);
	return wk_iam_store_err(resp, r,
	    &(struct wk_iam_errmsg){ .notfound = msg });
}

static int
put_policy(const struct wk_api_req *req, struct wk_api_resp *resp, bool group)
{
	const char *pname, *doc;
	char name[129], msg[256];
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_policy_name, &pname)) != 0 ||
	    (r = wk_iam_param(req, resp, &wk_iam_f_policy_doc, &doc)) != 0 ||
	    (r = wk_iam_load_owner(req, resp, group,
	    &wk_iam_f_existing_user, group ? "iam:PutGroupPolicy" :
	    "iam:PutUserPolicy", name, sizeof(name))) != 0)
		return r;
	snprintf(msg, sizeof(msg), "Maximum policy size of %d bytes exceeded "
	    "for %s %s", group ? WK_POLICY_MAX_INLINE_GROUP :
	    WK_POLICY_MAX_INLINE_USER, group ? "group" : "user", name);
	if ((r = wk_iam_check_policy_doc(req, resp, group ?
	    "iam:PutGroupPolicy" : "iam:PutUserPolicy", doc, group ?
	    WK_POLICY_MAX_INLINE_GROUP : WK_POLICY_MAX_INLINE_USER,
	    msg)) != 0)
		return r;
	r = group ? wk_store_group_policy_put(req->srv->store, name, pname,
	    doc) : wk_store_user_policy_put(req->srv->store, name, pname, doc);
	if (r != 0) {
		snprintf(msg, sizeof(msg), "The %s with name %s cannot be "
		    "found.", group ? "group" : "user", name);
		r = wk_iam_store_err(resp, r, &(struct wk_iam_errmsg){
		    .notfound = msg,
		    .limit = group ? "Cannot exceed quota for "
		    "GroupPolicySize: 5120" : "Cannot exceed quota for "
		    "UserPolicySize: 2048" });
	}
	return r;
}

static int
get_policy(const struct wk_api_req *req, struct wk_api_resp *resp, bool group)
{
	struct wk_inline_policy p;
	struct wk_buf *b = &resp->xml;
	const char *pname;
	char name[129];
	int r;

	memset(&p, 0, sizeof(p));
	if ((r = wk_iam_param(req, resp, &wk_iam_f_policy_name, &pname)) != 0 ||
	    (r = wk_iam_load_owner(req, resp, group,
	    &wk_iam_f_existing_user, group ? "iam:GetGroupPolicy" :
	    "iam:GetUserPolicy", name, sizeof(name))) != 0)
		goto out;
	r = group ? wk_store_group_policy_get(req->srv->store, name, pname,
	    &p) : wk_store_user_policy_get(req->srv->store, name, pname, &p);
	if (r != 0) {
		r = inline_nf(resp, r, group, pname);
		goto out;
	}
	if ((r = wk_xml_text(b, group ? "GroupName" : "UserName",
	    name)) != 0 ||
	    (r = wk_xml_text(b, "PolicyName", p.name)) != 0)
		goto out;
	r = wk_iam_xml_doc(b, "PolicyDocument",
	    p.document != NULL ? p.document : "");
out:
	wk_inline_policy_cleanup(&p);
	return r;
}

static int
list_policies(const struct wk_api_req *req, struct wk_api_resp *resp,
    bool group)
{
	struct wk_iam_page pg;
	struct wk_buf *b = &resp->xml;
	char **names = NULL;
	size_t n = 0, i;
	char name[129];
	int r;

	if ((r = wk_iam_page_params(req, resp, &pg)) != 0 ||
	    (r = wk_iam_load_owner(req, resp, group,
	    &wk_iam_f_existing_user, group ? "iam:ListGroupPolicies" :
	    "iam:ListUserPolicies", name, sizeof(name))) != 0)
		goto out;
	r = group ? wk_store_group_policy_list(req->srv->store, name, &names,
	    &n) : wk_store_user_policy_list(req->srv->store, name, &names, &n);
	if (r != 0)
		goto out;
	if ((r = wk_iam_page_slice(resp, &pg, n)) != 0 ||
	    (r = wk_xml_open(b, "PolicyNames")) != 0)
		goto out;
	for (i = pg.start; i < pg.end; i++)
		if ((r = wk_xml_text(b, "member", names[i])) != 0)
			goto out;
	if ((r = wk_xml_close(b, "PolicyNames")) != 0)
		goto out;
	r = wk_iam_page_write(b, pg.truncated, pg.next);
out:
	if (names != NULL)
		wk_store_strv_free(names, n);
	return r;
}

static int
delete_policy(const struct wk_api_req *req, struct wk_api_resp *resp,
    bool group)
{
	const char *pname;
	char name[129];
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_policy_name, &pname)) != 0 ||
	    (r = wk_iam_load_owner(req, resp, group,
	    &wk_iam_f_existing_user, group ? "iam:DeleteGroupPolicy" :
	    "iam:DeleteUserPolicy", name, sizeof(name))) != 0)
		return r;
	r = group ? wk_store_group_policy_delete(req->srv->store, name,
	    pname) : wk_store_user_policy_delete(req->srv->store, name, pname);
	if (r != 0)
		r = inline_nf(resp, r, group, pname);
	else
		wk_iam_revoke_owner(req, group, name, group ?
		    "DeleteGroupPolicy" : "DeleteUserPolicy");
	return r;
}

static int
put_user_policy(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	return put_policy(req, resp, false);
}

static int
get_user_policy(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	return get_policy(req, resp, false);
}

static int
list_user_policies(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	return list_policies(req, resp, false);
}

static int
delete_user_policy(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	return delete_policy(req, resp, false);
}

static int
put_group_policy(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	return put_policy(req, resp, true);
}

static int
get_group_policy(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	return get_policy(req, resp, true);
}

static int
list_group_policies(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	return list_policies(req, resp, true);
}

static int
delete_group_policy(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	return delete_policy(req, resp, true);
}

const struct wk_api_action wk_iam_put_user_policy = {
	.name = "PutUserPolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX_POLICY, .handle = put_user_policy,
};
const struct wk_api_action wk_iam_get_user_policy = {
	.name = "GetUserPolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = get_user_policy,
};
const struct wk_api_action wk_iam_list_user_policies = {
	.name = "ListUserPolicies", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = list_user_policies,
};
const struct wk_api_action wk_iam_delete_user_policy = {
	.name = "DeleteUserPolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = delete_user_policy,
};
const struct wk_api_action wk_iam_put_group_policy = {
	.name = "PutGroupPolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX_POLICY, .handle = put_group_policy,
};
const struct wk_api_action wk_iam_get_group_policy = {
	.name = "GetGroupPolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = get_group_policy,
};
const struct wk_api_action wk_iam_list_group_policies = {
	.name = "ListGroupPolicies", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = list_group_policies,
};
const struct wk_api_action wk_iam_delete_group_policy = {
	.name = "DeleteGroupPolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = delete_group_policy,
};
