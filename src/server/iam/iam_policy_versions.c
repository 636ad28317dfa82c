/*
 * iam_policy_versions.c - CreatePolicyVersion, GetPolicyVersion,
 * ListPolicyVersions, DeletePolicyVersion, SetDefaultPolicyVersion.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "server/iam/iam_int.h"

static const char policy_nf[] = "was not found.";

/* Reads PolicyArn (and VersionId when wanted), loads and authorizes. */
static int
load(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char **arn, const char **version,
    struct wk_managed_policy *p)
{
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_policy_arn, arn)) != 0)
		return r;
	if (version != NULL && (r = wk_iam_param(req, resp,
	    &wk_iam_f_version_id, version)) != 0)
		return r;
	if ((r = wk_iam_check_policy_arn(req, resp, *arn, policy_nf)) != 0)
		return r;
	if ((r = wk_iam_policy_authz(req, resp, action, *arn, p,
	    policy_nf)) != 0)
		return r;
	if (strcmp(action, "iam:GetPolicyVersion") == 0 ||
	    strcmp(action, "iam:ListPolicyVersions") == 0 ||
	    !wk_iam_is_aws_managed(*arn))
		return 0;
	return wk_api_error(resp, 400, "InvalidInput", "Policy %s is an AWS "
	    "managed policy and cannot be modified.", *arn);
}

static int
version_nf(struct wk_api_resp *resp, int r, const char *arn,
    const char *version)
{
	char msg[2300];

	snprintf(msg, sizeof(msg),
	    "Policy %s version %s does not exist or is not attachable.", arn,
	    version);
	return wk_iam_store_err(resp, r, &(struct wk_iam_errmsg){
	    .notfound = msg,
	    .conflict = "Cannot delete the default version of a policy.",
	    .limit = "A managed policy can have up to 5 versions. Before you "
	    "create a new version, you must delete an existing version." });
}

static int
create_policy_version(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_managed_policy p;
	struct wk_buf *b = &resp->xml;
	const char *arn, *doc;
	char version[8];
	bool set_default = false;
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_policy_doc, &doc)) != 0 ||
	    (r = wk_iam_param_bool(req, resp, "SetAsDefault", "setAsDefault",
	    &set_default)) != 0 ||
	    (r = load(req, resp, "iam:CreatePolicyVersion", &arn, NULL,
	    &p)) != 0)
		return r;
	if ((r = wk_iam_check_policy_doc(req, resp,
	    "iam:CreatePolicyVersion", doc, WK_POLICY_MAX_MANAGED,
	    "Cannot exceed quota for PolicySize: 6144")) != 0)
		return r;
	memset(version, 0, sizeof(version));
	if ((r = wk_store_policy_version_create(req->srv->store, arn, doc,
	    set_default, version)) != 0)
		return version_nf(resp, r, arn, "");
	if ((r = wk_xml_open(b, "PolicyVersion")) != 0 ||
	    (r = wk_xml_text(b, "VersionId", version)) != 0 ||
	    (r = wk_xml_bool(b, "IsDefaultVersion", set_default)) != 0 ||
	    (r = wk_xml_time(b, "CreateDate", req->now)) != 0)
		return r;
	return wk_xml_close(b, "PolicyVersion");
}

static int
get_policy_version(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_managed_policy p;
	struct wk_policy_version v;
	struct wk_buf *b = &resp->xml;
	const char *arn, *version;
	int r;

	memset(&v, 0, sizeof(v));
	if ((r = load(req, resp, "iam:GetPolicyVersion", &arn, &version,
	    &p)) != 0)
		goto out;
	if ((r = wk_store_policy_version_get(req->srv->store, arn, version,
	    &v)) != 0) {
		r = version_nf(resp, r, arn, version);
		goto out;
	}
	if ((r = wk_xml_open(b, "PolicyVersion")) != 0 ||
	    (r = wk_iam_xml_doc(b, "Document",
	    v.document != NULL ? v.document : "")) != 0 ||
	    (r = wk_xml_text(b, "VersionId", v.version_id)) != 0 ||
	    (r = wk_xml_bool(b, "IsDefaultVersion", v.is_default)) != 0 ||
	    (r = wk_xml_time(b, "CreateDate", v.create_date)) != 0)
		goto out;
	r = wk_xml_close(b, "PolicyVersion");
out:
	wk_policy_version_cleanup(&v);
	return r;
}

static int
list_policy_versions(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_managed_policy p;
	struct wk_policy_version *v = NULL;
	struct wk_iam_page pg;
	struct wk_buf *b = &resp->xml;
	const char *arn;
	size_t n = 0, i;
	int r;

	if ((r = wk_iam_page_params(req, resp, &pg)) != 0 ||
	    (r = load(req, resp, "iam:ListPolicyVersions", &arn, NULL,
	    &p)) != 0)
		goto out;
	if ((r = wk_store_policy_version_list(req->srv->store, arn, &v,
	    &n)) != 0) {
		r = version_nf(resp, r, arn, "");
		goto out;
	}
	if ((r = wk_iam_page_slice(resp, &pg, n)) != 0 ||
	    (r = wk_xml_open(b, "Versions")) != 0)
		goto out;
	for (i = pg.start; i < pg.end; i++) {
		if ((r = wk_xml_open(b, "member")) != 0 ||
		    (r = wk_xml_text(b, "VersionId", v[i].version_id)) != 0 ||
		    (r = wk_xml_bool(b, "IsDefaultVersion",
		    v[i].is_default)) != 0 ||
		    (r = wk_xml_time(b, "CreateDate", v[i].create_date)) != 0 ||
		    (r = wk_xml_close(b, "member")) != 0)
			goto out;
	}
	if ((r = wk_xml_close(b, "Versions")) != 0)
		goto out;
	r = wk_iam_page_write(b, pg.truncated, pg.next);
out:
	if (v != NULL)
		wk_policy_version_list_free(v, n);
	return r;
}

static int
delete_policy_version(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_managed_policy p;
	const char *arn, *version;
	int r;

	if ((r = load(req, resp, "iam:DeletePolicyVersion", &arn, &version,
	    &p)) != 0)
		return r;
	if ((r = wk_store_policy_version_delete(req->srv->store, arn,
	    version)) != 0)
		r = version_nf(resp, r, arn, version);
	return r;
}

static int
set_default_policy_version(const struct wk_api_req *req,
    struct wk_api_resp *resp)
{
	struct wk_managed_policy p;
	const char *arn, *version;
	int r;

	if ((r = load(req, resp, "iam:SetDefaultPolicyVersion", &arn,
	    &version, &p)) != 0)
		return r;
	if ((r = wk_store_policy_version_set_default(req->srv->store, arn,
	    version)) != 0)
		r = version_nf(resp, r, arn, version);
	return r;
}

const struct wk_api_action wk_iam_create_policy_version = {
	.name = "CreatePolicyVersion", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX_POLICY, .handle = create_policy_version,
};
const struct wk_api_action wk_iam_get_policy_version = {
	.name = "GetPolicyVersion", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = get_policy_version,
};
const struct wk_api_action wk_iam_list_policy_versions = {
	.name = "ListPolicyVersions", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = list_policy_versions,
};
const struct wk_api_action wk_iam_delete_policy_version = {
	.name = "DeletePolicyVersion", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = delete_policy_version,
};
const struct wk_api_action wk_iam_set_default_policy_version = {
	.name = "SetDefaultPolicyVersion", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = set_default_policy_version,
};
