/*
 * iam_groups.c - CreateGroup, GetGroup, ListGroups, DeleteGroup,
 * AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rand.h"
#include "server/hub/agent_hub.h"
#include "server/iam/iam_int.h"

static int
create_group(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_group g;
	const char *name, *path;
	char msg[192];
	int r;

	memset(&g, 0, sizeof(g));
	if ((r = wk_iam_param(req, resp, &wk_iam_f_group_name, &name)) != 0 ||
	    (r = wk_iam_param(req, resp, &wk_iam_f_path, &path)) != 0)
		return r;
	if (path == NULL)
		path = "/";
	snprintf(g.name, sizeof(g.name), "%s", name);
	snprintf(g.path, sizeof(g.path), "%s", path);
	if ((r = wk_iam_arn(req, "group", path, name, g.arn,
	    sizeof(g.arn))) != 0 ||
	    (r = wk_api_authorize(req, resp, "iam:CreateGroup", g.arn, NULL,
	    NULL, NULL)) != 0 ||
	    (r = wk_random_aws_id("AGPA", 17, g.id, sizeof(g.id))) != 0)
		return r;
	g.create_date = req->now;
	if ((r = wk_store_group_create(req->srv->store, &g)) != 0) {
		snprintf(msg, sizeof(msg), "Group with name %s already exists.",
		    name);
		return wk_iam_store_err(resp, r,
		    &(struct wk_iam_errmsg){ .exists = msg });
	}
	return wk_iam_xml_group(&resp->xml, "Group", &g);
}

static int
get_group(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_group g;
	struct wk_user *users = NULL;
	struct wk_iam_page pg;
	struct wk_buf *b = &resp->xml;
	const char *name;
	size_t n = 0, i;
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_group_name, &name)) != 0 ||
	    (r = wk_iam_page_params(req, resp, &pg)) != 0 ||
	    (r = wk_iam_group_authz(req, resp, "iam:GetGroup", name, &g)) != 0)
		goto out;
	if ((r = wk_store_group_members(req->srv->store, g.name, &users,
	    &n)) != 0 ||
	    (r = wk_iam_page_slice(resp, &pg, n)) != 0)
		goto out;
	if ((r = wk_iam_xml_group(b, "Group", &g)) != 0 ||
	    (r = wk_xml_open(b, "Users")) != 0)
		goto out;
	for (i = pg.start; i < pg.end; i++)
		if ((r = wk_iam_xml_user(b, "member", &users[i], NULL,
		    0)) != 0)
			goto out;
	if ((r = wk_xml_close(b, "Users")) != 0)
		goto out;
	r = wk_iam_page_write(b, pg.truncated, pg.next);
out:
	wk_store_free(users);
	return r;
}

static int
list_groups(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_iam_page pg;
	struct wk_group *groups = NULL;
	size_t n = 0, i;
	char *next = NULL;
	const char *prefix;
	char arn[2048];
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_path_prefix,
	    &prefix)) != 0 ||
	    (r = wk_iam_page_params(req, resp, &pg)) != 0 ||
	    (r = wk_iam_arn(req, "group", "/", "", arn, sizeof(arn))) != 0 ||
	    (r = wk_api_authorize(req, resp, "iam:ListGroups", arn, NULL, NULL,
	    NULL)) != 0)
		goto out;
	if ((r = wk_store_group_list(req->srv->store, prefix, pg.marker,
	    pg.max_items, &groups, &n, &next)) != 0) {
		if (r == WK_ERR_INVAL)
			r = wk_api_error(resp, 400, "InvalidInput",
			    "Invalid Marker.");
		goto out;
	}
	if ((r = wk_xml_open(&resp->xml, "Groups")) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = wk_iam_xml_group(&resp->xml, "member",
		    &groups[i])) != 0)
			goto out;
	if ((r = wk_xml_close(&resp->xml, "Groups")) != 0)
		goto out;
	r = wk_iam_page_write(&resp->xml, next != NULL, next);
out:
	wk_store_free(groups);
	wk_store_free(next);
	return r;
}

static int
delete_group(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_group g;
	struct wk_user *users = NULL;
	struct wk_managed_policy *att = NULL;
	size_t n = 0, natt = 0;
	const char *name, *conflict;
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_group_name, &name)) != 0 ||
	    (r = wk_iam_group_authz(req, resp, "iam:DeleteGroup", name,
	    &g)) != 0)
		return r;
	if ((r = wk_store_group_delete(req->srv->store, g.name)) == 0)
		return 0;
	conflict = "Cannot delete entity, must delete policies first.";
	if (r == WK_ERR_CONFLICT) {
		if (wk_store_group_members(req->srv->store, g.name, &users,
		    &n) == 0 && n > 0)
			conflict = "Cannot delete entity, must remove users "
			    "from group first.";
		else if (wk_store_attached_group_list(req->srv->store, g.name,
		    &att, &natt) == 0 && natt > 0)
			conflict = "Cannot delete entity, must detach all "
			    "policies first.";
		wk_store_free(users);
		wk_store_free(att);
	}
	return wk_iam_store_err(resp, r,
	    &(struct wk_iam_errmsg){ .conflict = conflict });
}

static int
membership(const struct wk_api_req *req, struct wk_api_resp *resp, bool add)
{
	struct wk_group g;
	struct wk_user u;
	const char *gname, *uname;
	char msg[192];
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_group_name, &gname)) != 0 ||
	    (r = wk_iam_param(req, resp, &wk_iam_f_existing_user,
	    &uname)) != 0 ||
	    (r = wk_iam_group_authz(req, resp, add ? "iam:AddUserToGroup" :
	    "iam:RemoveUserFromGroup", gname, &g)) != 0)
		return r;
	snprintf(msg, sizeof(msg), "The user with name %s cannot be found.",
	    uname);
	if ((r = wk_store_user_get(req->srv->store, uname, &u)) != 0)
		return wk_iam_store_err(resp, r,
		    &(struct wk_iam_errmsg){ .notfound = msg });
	r = add ? wk_store_group_add_user(req->srv->store, g.name, u.name) :
	    wk_store_group_remove_user(req->srv->store, g.name, u.name);
	if (r != 0)
		r = wk_iam_store_err(resp, r, &(struct wk_iam_errmsg){
		    .notfound = msg,
		    .limit = "Cannot exceed quota for GroupsPerUser: 10" });
	else if (!add)
		wk_revoke_user(req, u.arn, "RemoveUserFromGroup");
	return r;
}

static int
add_user_to_group(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	return membership(req, resp, true);
}

static int
remove_user_from_group(const struct wk_api_req *req,
    struct wk_api_resp *resp)
{
	return membership(req, resp, false);
}

static int
list_groups_for_user(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_group *groups = NULL;
	struct wk_iam_page pg;
	struct wk_user u;
	struct wk_buf *b = &resp->xml;
	const char *name;
	size_t n = 0, i;
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_existing_user,
	    &name)) != 0 ||
	    (r = wk_iam_page_params(req, resp, &pg)) != 0 ||
	    (r = wk_iam_user_authz(req, resp, "iam:ListGroupsForUser", name,
	    &u)) != 0)
		goto out;
	if ((r = wk_store_groups_for_user(req->srv->store, u.name, &groups,
	    &n)) != 0 ||
	    (r = wk_iam_page_slice(resp, &pg, n)) != 0 ||
	    (r = wk_xml_open(b, "Groups")) != 0)
		goto out;
	for (i = pg.start; i < pg.end; i++)
		if ((r = wk_iam_xml_group(b, "member", &groups[i])) != 0)
			goto out;
	if ((r = wk_xml_close(b, "Groups")) != 0)
		goto out;
	r = wk_iam_page_write(b, pg.truncated, pg.next);
out:
	wk_store_free(groups);
	return r;
}

const struct wk_api_action wk_iam_create_group = {
	.name = "CreateGroup", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = create_group,
};
const struct wk_api_action wk_iam_get_group = {
	.name = "GetGroup", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = get_group,
};
const struct wk_api_action wk_iam_list_groups = {
	.name = "ListGroups", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = list_groups,
};
const struct wk_api_action wk_iam_delete_group = {
	.name = "DeleteGroup", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = delete_group,
};
const struct wk_api_action wk_iam_add_user_to_group = {
	.name = "AddUserToGroup", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = add_user_to_group,
};
const struct wk_api_action wk_iam_remove_user_from_group = {
	.name = "RemoveUserFromGroup", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = remove_user_from_group,
};
const struct wk_api_action wk_iam_list_groups_for_user = {
	.name = "ListGroupsForUser", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = list_groups_for_user,
};
