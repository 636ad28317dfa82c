/*
 * iam_users.c - CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rand.h"
#include "server/console/console.h"
#include "server/hub/agent_hub.h"
#include "server/iam/iam_int.h"

static int
create_user(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	/* no permissions boundaries here */
	static const char *const unsupported[] = { "PermissionsBoundary",
		NULL };
	struct wk_user u;
	struct wk_tag *tags = NULL;
	size_t ntags = 0;
	const char *name, *path;
	char msg[128];
	int r;

	memset(&u, 0, sizeof(u));
	if ((r = wk_iam_refuse_members(req, resp, unsupported)) != 0 ||
	    (r = wk_iam_param(req, resp, &wk_iam_f_user_name, &name)) != 0 ||
	    (r = wk_iam_param(req, resp, &wk_iam_f_path, &path)) != 0 ||
	    (r = wk_iam_param_tags(req, resp, &tags, &ntags)) != 0)
		goto out;
	if (path == NULL)
		path = "/";
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.path, sizeof(u.path), "%s", path);
	if ((r = wk_iam_arn(req, "user", path, name, u.arn,
	    sizeof(u.arn))) != 0)
		goto out;
	if ((r = wk_api_authorize(req, resp, "iam:CreateUser", u.arn, NULL,
	    NULL, NULL)) != 0)
		goto out;
	if ((r = wk_random_aws_id("AIDA", 17, u.id, sizeof(u.id))) != 0)
		goto out;
	u.create_date = req->now;
	if ((r = wk_store_user_create(req->srv->store, &u)) != 0) {
		snprintf(msg, sizeof(msg), "User with name %s already exists.",
		    name);
		r = wk_iam_store_err(resp, r,
		    &(struct wk_iam_errmsg){ .exists = msg });
		goto out;
	}
	if (ntags > 0 &&
	    (r = wk_store_user_tags_set(req->srv->store, name, tags,
	    ntags)) != 0)
		goto out;
	r = wk_iam_xml_user(&resp->xml, "User", &u, tags, ntags);
out:
	wk_free(tags);
	return r;
}

static int
get_user(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_user u;
	struct wk_tag *tags = NULL;
	size_t ntags = 0;
	const char *name;
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_existing_user_opt,
	    &name)) != 0 ||
	    (r = wk_iam_user_authz(req, resp, "iam:GetUser", name, &u)) != 0)
		goto out;
	if ((r = wk_store_user_tags_list(req->srv->store, u.name, &tags,
	    &ntags)) != 0)
		goto out;
	r = wk_iam_xml_user(&resp->xml, "User", &u, tags, ntags);
out:
	wk_store_free(tags);
	return r;
}

static int
list_users(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_iam_page pg;
	struct wk_user *users = NULL;
	size_t n = 0, i;
	char *next = NULL;
	const char *prefix;
	char arn[2048];
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_path_prefix,
	    &prefix)) != 0 ||
	    (r = wk_iam_page_params(req, resp, &pg)) != 0 ||
	    (r = wk_iam_arn(req, "user", "/", "", arn, sizeof(arn))) != 0 ||
	    (r = wk_api_authorize(req, resp, "iam:ListUsers", arn, NULL, NULL,
	    NULL)) != 0)
		goto out;
	if ((r = wk_store_user_list(req->srv->store, prefix, pg.marker,
	    pg.max_items, &users, &n, &next)) != 0) {
		if (r == WK_ERR_INVAL)
			r = wk_api_error(resp, 400, "InvalidInput",
			    "Invalid Marker.");
		goto out;
	}
	if ((r = wk_xml_open(&resp->xml, "Users")) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = wk_iam_xml_user(&resp->xml, "member", &users[i], NULL,
		    0)) != 0)
			goto out;
	if ((r = wk_xml_close(&resp->xml, "Users")) != 0)
		goto out;
	r = wk_iam_page_write(&resp->xml, next != NULL, next);
out:
	wk_store_free(users);
	wk_store_free(next);
	return r;
}

static int
update_user(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	static const struct wk_iam_field f_new_name = {
		"NewUserName", "newUserName", 1, 64, WK_IAM_PAT_NAME, false
	};
	static const struct wk_iam_field f_new_path = {
		"NewPath", "newPath", 1, 512, WK_IAM_PAT_PATH, false
	};
	struct wk_user u;
	const char *name, *new_name, *new_path;
	char arn[2048], msg[128];
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_existing_user,
	    &name)) != 0 ||
	    (r = wk_iam_param(req, resp, &f_new_name, &new_name)) != 0 ||
	    (r = wk_iam_param(req, resp, &f_new_path, &new_path)) != 0 ||
	    (r = wk_iam_user_authz(req, resp, "iam:UpdateUser", name,
	    &u)) != 0)
		goto out;
	if ((r = wk_iam_arn(req, "user", new_path != NULL ? new_path : u.path,
	    new_name != NULL ? new_name : u.name, arn, sizeof(arn))) != 0)
		goto out;
	/* IAM also requires the permission on the new identity. */
	if ((new_name != NULL || new_path != NULL) &&
	    (r = wk_api_authorize(req, resp, "iam:UpdateUser", arn, NULL, NULL,
	    NULL)) != 0)
		goto out;
	if ((r = wk_store_user_update(req->srv->store, u.name, new_name,
	    new_path, arn)) != 0) {
		snprintf(msg, sizeof(msg), "User with name %s already exists.",
		    new_name != NULL ? new_name : u.name);
		r = wk_iam_store_err(resp, r,
		    &(struct wk_iam_errmsg){ .exists = msg });
	} else if (new_name != NULL) {
		wk_console_end_user(req->srv->store,
		    u.id);	/* another identity now */
	}
out:
	return r;
}

/* Which dependency keeps the user from being deleted, in IAM's words. */
static const char *
user_conflict(const struct wk_api_req *req, const char *name)
{
	struct wk_store *st = req->srv->store;
	struct wk_login_profile lp;
	struct wk_access_key *keys = NULL;
	struct wk_managed_policy *att = NULL;
	struct wk_group *groups = NULL;
	char **names = NULL;
	size_t n = 0;
	const char *msg = "Cannot delete entity, must remove dependent "
	    "entities first.";

	if (wk_store_login_profile_get(st, name, &lp) == 0) {
		wk_explicit_bzero(&lp, sizeof(lp));
		msg = "Cannot delete entity, must delete login profile first.";
	} else if (wk_store_key_list(st, name, &keys, &n) == 0 && n > 0)
		msg = "Cannot delete entity, must delete access keys first.";
	else if (wk_store_user_policy_list(st, name, &names, &n) == 0 &&
	    n > 0)
		msg = "Cannot delete entity, must delete policies first.";
	else if (wk_store_attached_user_list(st, name, &att, &n) == 0 &&
	    n > 0)
		msg = "Cannot delete entity, must detach all policies first.";
	else if (wk_store_groups_for_user(st, name, &groups, &n) == 0 &&
	    n > 0)
		msg = "Cannot delete entity, must remove users from group "
		    "first.";
	wk_store_free(keys);
	wk_store_free(att);
	wk_store_free(groups);
	if (names != NULL)
		wk_store_strv_free(names, n);
	return msg;
}

static int
delete_user(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_user u;
	const char *name;
	char msg[128];
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_existing_user,
	    &name)) != 0 ||
	    (r = wk_iam_user_authz(req, resp, "iam:DeleteUser", name,
	    &u)) != 0)
		return r;
	if ((r = wk_store_user_delete(req->srv->store, u.name)) != 0) {
		snprintf(msg, sizeof(msg),
		    "The user with name %s cannot be found.", name);
		r = wk_iam_store_err(resp, r, &(struct wk_iam_errmsg){
		    .notfound = msg,
		    .conflict = r == WK_ERR_CONFLICT ?
		    user_conflict(req, u.name) : NULL });
	} else {
		wk_console_end_user(req->srv->store, u.id);
		wk_revoke_user(req, u.arn, "DeleteUser");
	}
	return r;
}

const struct wk_api_action wk_iam_create_user = {
	.name = "CreateUser", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = create_user,
};
const struct wk_api_action wk_iam_get_user = {
	.name = "GetUser", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = get_user,
};
const struct wk_api_action wk_iam_list_users = {
	.name = "ListUsers", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = list_users,
};
const struct wk_api_action wk_iam_update_user = {
	.name = "UpdateUser", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = update_user,
};
const struct wk_api_action wk_iam_delete_user = {
	.name = "DeleteUser", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = delete_user,
};
