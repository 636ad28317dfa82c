/*
 * iam_policies.c - managed policies: CreatePolicy, GetPolicy, ListPolicies,
 * DeletePolicy, ListEntitiesForPolicy.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rand.h"
#include "server/iam/iam_int.h"

static int
create_policy(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	static const struct wk_iam_field f_desc = {
		"Description", "description", 0, 1000, WK_IAM_PAT_ANY, false
	};
	struct wk_managed_policy p;
	const char *name, *path, *doc, *desc;
	/* managed policies carry no tags here */
	static const char *const unsupported[] = { "Tags", NULL };
	char msg[256];
	int r;

	memset(&p, 0, sizeof(p));
	if ((r = wk_iam_refuse_members(req, resp, unsupported)) != 0 ||
	    (r = wk_iam_param(req, resp, &wk_iam_f_policy_name, &name)) != 0 ||
	    (r = wk_iam_param(req, resp, &wk_iam_f_policy_path, &path)) != 0 ||
	    (r = wk_iam_param(req, resp, &wk_iam_f_policy_doc, &doc)) != 0 ||
	    (r = wk_iam_param(req, resp, &f_desc, &desc)) != 0)
		return r;
	if (path == NULL)
		path = "/";
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.path, sizeof(p.path), "%s", path);
	if (desc != NULL)
		snprintf(p.description, sizeof(p.description), "%s", desc);
	if ((r = wk_iam_arn(req, "policy", path, name, p.arn,
	    sizeof(p.arn))) != 0)
		return r;
	if ((r = wk_api_authorize(req, resp, "iam:CreatePolicy", p.arn, NULL,
	    NULL, NULL)) != 0)
		return r;
	if ((r = wk_iam_check_policy_doc(req, resp, "iam:CreatePolicy", doc,
	    WK_POLICY_MAX_MANAGED, "Cannot exceed quota for PolicySize: "
	    "6144")) != 0)
		return r;
	if ((r = wk_random_aws_id("ANPA", 17, p.id, sizeof(p.id))) != 0)
		return r;
	snprintf(p.default_version, sizeof(p.default_version), "v1");
	p.attachment_count = 0;
	p.create_date = p.update_date = req->now;
	if ((r = wk_store_policy_create(req->srv->store, &p, doc)) != 0) {
		snprintf(msg, sizeof(msg), "A policy called %s already exists. "
		    "Duplicate names are not allowed.", name);
		return wk_iam_store_err(resp, r,
		    &(struct wk_iam_errmsg){ .exists = msg });
	}
	return wk_iam_xml_policy(&resp->xml, "Policy", &p, true);
}

static int
get_policy(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	static const char nf[] = "was not found.";
	struct wk_managed_policy p;
	const char *arn;
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_policy_arn, &arn)) != 0 ||
	    (r = wk_iam_check_policy_arn(req, resp, arn, nf)) != 0 ||
	    (r = wk_iam_policy_authz(req, resp, "iam:GetPolicy", arn, &p,
	    nf)) != 0)
		return r;
	return wk_iam_xml_policy(&resp->xml, "Policy", &p, true);
}

static int
check_enum(struct wk_api_resp *resp, const char *v, const char *member,
    const char *const *values, const char *set)
{
	size_t i;

	for (i = 0; values[i] != NULL; i++)
		if (strcmp(v, values[i]) == 0)
			return 0;
	return wk_api_error(resp, 400, "ValidationError",
	    "1 validation error detected: Value '%.64s' at '%s' failed to "
	    "satisfy constraint: Member must satisfy enum value set: %s", v,
	    member, set);
}

static int
list_policies(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	static const char *const scopes[] = { "All", "AWS", "Local", NULL };
	static const char *const usages[] = { "PermissionsPolicy",
		"PermissionsBoundary", NULL };
	static const struct wk_iam_field f_prefix = {
		"PathPrefix", "pathPrefix", 1, 512, WK_IAM_PAT_POLICY_PATH,
		false
	};
	struct wk_iam_page pg;
	struct wk_managed_policy *pols = NULL;
	size_t n = 0, i;
	char *next = NULL;
	const char *scope, *usage, *prefix;
	bool only_attached = false;
	char arn[2048];
	int r;

	scope = wk_params_get(req->params, "Scope");
	usage = wk_params_get(req->params, "PolicyUsageFilter");
	if ((scope != NULL && (r = check_enum(resp, scope, "scope", scopes,
	    "[All, AWS, Local]")) != 0) ||
	    (usage != NULL && (r = check_enum(resp, usage,
	    "policyUsageFilter", usages,
	    "[PermissionsPolicy, PermissionsBoundary]")) != 0))
		goto out;
	if ((r = wk_iam_param(req, resp, &f_prefix, &prefix)) != 0 ||
	    (r = wk_iam_param_bool(req, resp, "OnlyAttached", "onlyAttached",
	    &only_attached)) != 0 ||
	    (r = wk_iam_page_params(req, resp, &pg)) != 0 ||
	    (r = wk_iam_arn(req, "policy", "/", "", arn, sizeof(arn))) != 0 ||
	    (r = wk_api_authorize(req, resp, "iam:ListPolicies", arn, NULL,
	    NULL, NULL)) != 0)
		goto out;
	/* No policy is used as a permissions boundary here. */
	if ((usage == NULL || strcmp(usage, "PermissionsBoundary") != 0) &&
	    (r = wk_store_policy_list(req->srv->store, prefix, only_attached,
	    pg.marker, pg.max_items, &pols, &n, &next)) != 0) {
		if (r == WK_ERR_INVAL)
			r = wk_api_error(resp, 400, "InvalidInput",
			    "Invalid Marker.");
		goto out;
	}
	if ((r = wk_xml_open(&resp->xml, "Policies")) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		/* Scope: AWS-managed ones, or this account's (Local). */
		if (scope != NULL && strcmp(scope, "All") != 0 &&
		    wk_iam_is_aws_managed(pols[i].arn) !=
		    (strcmp(scope, "AWS") == 0))
			continue;
		if ((r = wk_iam_xml_policy(&resp->xml, "member", &pols[i],
		    false)) != 0)
			goto out;
	}
	if ((r = wk_xml_close(&resp->xml, "Policies")) != 0)
		goto out;
	r = wk_iam_page_write(&resp->xml, next != NULL, next);
out:
	wk_store_free(pols);
	wk_store_free(next);
	return r;
}

static int
delete_policy(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	static const char nf[] = "was not found.";
	struct wk_managed_policy p;
	const char *arn;
	char msg[2200];
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_policy_arn, &arn)) != 0 ||
	    (r = wk_iam_check_policy_arn(req, resp, arn, nf)) != 0 ||
	    (r = wk_iam_policy_authz(req, resp, "iam:DeletePolicy", arn, &p,
	    nf)) != 0)
		return r;
	if (wk_iam_is_aws_managed(arn))
		return wk_api_error(resp, 400, "InvalidInput",
		    "Policy %s is an AWS managed policy and cannot be deleted.",
		    arn);
	if ((r = wk_store_policy_delete(req->srv->store, arn)) != 0) {
		snprintf(msg, sizeof(msg), "Policy %s %s", arn, nf);
		r = wk_iam_store_err(resp, r, &(struct wk_iam_errmsg){
		    .notfound = msg,
		    .conflict = p.attachment_count > 0 ?
		    "Cannot delete a policy attached to entities." :
		    "This policy has more than one version. Before you "
		    "delete a policy, you must delete the policy's versions. "
		    "The default version is deleted with the policy." });
	}
	return r;
}

static bool
path_has_prefix(const char *path, const char *prefix)
{
	return prefix == NULL || strncmp(path, prefix, strlen(prefix)) == 0;
}

static int
list_entities_for_policy(const struct wk_api_req *req,
    struct wk_api_resp *resp)
{
	static const char nf[] = "was not found.";
	static const char *const filters[] = { "User", "Role", "Group",
		"LocalManagedPolicy", "AWSManagedPolicy", NULL };
	static const char *const usages[] = { "PermissionsPolicy",
		"PermissionsBoundary", NULL };
	static const struct wk_iam_field f_prefix = {
		"PathPrefix", "pathPrefix", 1, 512, WK_IAM_PAT_PATH, false
	};
	struct wk_managed_policy p;
	struct wk_iam_page pg;
	struct wk_buf *b = &resp->xml;
	char **users = NULL, **groups = NULL;
	size_t nusers = 0, ngroups = 0, ng, nu, i;
	const char *arn, *filter, *prefix, *usage;
	bool want_users, want_groups, boundary;
	int r;

	filter = wk_params_get(req->params, "EntityFilter");
	usage = wk_params_get(req->params, "PolicyUsageFilter");
	if ((filter != NULL && (r = check_enum(resp, filter, "entityFilter",
	    filters, "[User, Role, Group, LocalManagedPolicy, "
	    "AWSManagedPolicy]")) != 0) ||
	    (usage != NULL && (r = check_enum(resp, usage,
	    "policyUsageFilter", usages,
	    "[PermissionsPolicy, PermissionsBoundary]")) != 0))
		goto out;
	if ((r = wk_iam_param(req, resp, &wk_iam_f_policy_arn, &arn)) != 0 ||
	    (r = wk_iam_param(req, resp, &f_prefix, &prefix)) != 0 ||
	    (r = wk_iam_page_params(req, resp, &pg)) != 0 ||
	    (r = wk_iam_check_policy_arn(req, resp, arn, nf)) != 0 ||
	    (r = wk_iam_policy_authz(req, resp, "iam:ListEntitiesForPolicy",
	    arn, &p, nf)) != 0)
		goto out;
	/* no permissions boundaries: nothing uses a policy as one */
	boundary = usage != NULL && strcmp(usage, "PermissionsBoundary") == 0;
	want_users = !boundary && (filter == NULL ||
	    strcmp(filter, "User") == 0);
	want_groups = !boundary && (filter == NULL ||
	    strcmp(filter, "Group") == 0);
	if ((r = wk_store_policy_entities(req->srv->store, arn, &users,
	    &nusers, &groups, &ngroups)) != 0)
		goto out;
	ng = want_groups ? ngroups : 0;
	nu = want_users ? nusers : 0;
	/* One page over the groups, then the users. */
	if ((r = wk_iam_page_slice(resp, &pg, ng + nu)) != 0 ||
	    (r = wk_xml_open(b, "PolicyGroups")) != 0)
		goto out;
	for (i = pg.start; i < pg.end && i < ng; i++) {
		struct wk_group g;

		if (wk_store_group_get(req->srv->store, groups[i], &g) != 0 ||
		    !path_has_prefix(g.path, prefix))
			continue;
		if ((r = wk_xml_open(b, "member")) != 0 ||
		    (r = wk_xml_text(b, "GroupName", g.name)) != 0 ||
		    (r = wk_xml_text(b, "GroupId", g.id)) != 0 ||
		    (r = wk_xml_close(b, "member")) != 0)
			goto out;
	}
	if ((r = wk_xml_close(b, "PolicyGroups")) != 0 ||
	    (r = wk_xml_open(b, "PolicyUsers")) != 0)
		goto out;
	for (i = pg.start > ng ? pg.start : ng; i < pg.end; i++) {
		struct wk_user u;

		if (wk_store_user_get(req->srv->store, users[i - ng],
		    &u) != 0 || !path_has_prefix(u.path, prefix))
			continue;
		if ((r = wk_xml_open(b, "member")) != 0 ||
		    (r = wk_xml_text(b, "UserName", u.name)) != 0 ||
		    (r = wk_xml_text(b, "UserId", u.id)) != 0 ||
		    (r = wk_xml_close(b, "member")) != 0)
			goto out;
	}
	if ((r = wk_xml_close(b, "PolicyUsers")) != 0 ||
	    (r = wk_xml_open(b, "PolicyRoles")) != 0 ||
	    (r = wk_xml_close(b, "PolicyRoles")) != 0)
		goto out;
	r = wk_iam_page_write(b, pg.truncated, pg.next);
out:
	if (users != NULL)
		wk_store_strv_free(users, nusers);
	if (groups != NULL)
		wk_store_strv_free(groups, ngroups);
	return r;
}

const struct wk_api_action wk_iam_create_policy = {
	.name = "CreatePolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX_POLICY, .handle = create_policy,
};
const struct wk_api_action wk_iam_get_policy = {
	.name = "GetPolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = get_policy,
};
const struct wk_api_action wk_iam_list_policies = {
	.name = "ListPolicies", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = list_policies,
};
const struct wk_api_action wk_iam_delete_policy = {
	.name = "DeletePolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = delete_policy,
};
const struct wk_api_action wk_iam_list_entities_for_policy = {
	.name = "ListEntitiesForPolicy", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = list_entities_for_policy,
};
