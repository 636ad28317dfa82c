/*
 * iam_keys.c - CreateAccessKey, ListAccessKeys, UpdateAccessKey,
 * DeleteAccessKey, GetAccessKeyLastUsed.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/rand.h"
#include "server/auth/auth.h"
#include "server/hub/agent_hub.h"
#include "server/iam/iam_int.h"

#define SECRET_RAW_LEN 30	/* base64: 40 characters, as AWS's */

static int
make_secret(char *out, size_t outsz)
{
	uint8_t raw[SECRET_RAW_LEN];
	struct wk_buf b;
	int r;

	wk_buf_init(&b, 64);
	if ((r = wk_random_bytes(raw, sizeof(raw))) != 0 ||
	    (r = wk_base64_encode(&b, raw, sizeof(raw))) != 0)
		goto out;
	if (b.len + 1 > outsz) {
		r = WK_ERR_INTERNAL;
		goto out;
	}
	memcpy(out, b.p, b.len + 1);
out:
	wk_explicit_bzero(raw, sizeof(raw));
	wk_buf_cleanup_secret(&b);
	return r;
}

static int
create_access_key(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_access_key k;
	struct wk_user u;
	const char *name;
	char msg[128];
	int r;

	memset(&k, 0, sizeof(k));
	if ((r = wk_iam_param(req, resp, &wk_iam_f_existing_user_opt,
	    &name)) != 0 ||
	    (r = wk_iam_user_authz(req, resp, "iam:CreateAccessKey", name,
	    &u)) != 0)
		goto out;
	snprintf(k.user_name, sizeof(k.user_name), "%s", u.name);
	if ((r = wk_random_aws_id("AKIA", 16, k.id, sizeof(k.id))) != 0 ||
	    (r = make_secret(k.secret, sizeof(k.secret))) != 0)
		goto out;
	k.active = true;
	k.create_date = req->now;
	if ((r = wk_store_key_create(req->srv->store, &k)) != 0) {
		snprintf(msg, sizeof(msg),
		    "The user with name %s cannot be found.", u.name);
		r = wk_iam_store_err(resp, r, &(struct wk_iam_errmsg){
		    .notfound = msg,
		    .limit = "Cannot exceed quota for AccessKeysPerUser: 2" });
		goto out;
	}
	if ((r = wk_xml_open(&resp->xml, "AccessKey")) != 0 ||
	    (r = wk_xml_text(&resp->xml, "UserName", k.user_name)) != 0 ||
	    (r = wk_xml_text(&resp->xml, "AccessKeyId", k.id)) != 0 ||
	    (r = wk_xml_text(&resp->xml, "Status", "Active")) != 0 ||
	    (r = wk_xml_text(&resp->xml, "SecretAccessKey", k.secret)) != 0 ||
	    (r = wk_xml_time(&resp->xml, "CreateDate", k.create_date)) != 0)
		goto out;
	r = wk_xml_close(&resp->xml, "AccessKey");
out:
	wk_explicit_bzero(k.secret, sizeof(k.secret));
	return r;
}

static int
list_access_keys(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_iam_page pg;
	struct wk_access_key *keys = NULL;
	struct wk_user u;
	const char *name;
	size_t n = 0, i;
	struct wk_buf *b = &resp->xml;
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_existing_user_opt,
	    &name)) != 0 ||
	    (r = wk_iam_page_params(req, resp, &pg)) != 0 ||
	    (r = wk_iam_user_authz(req, resp, "iam:ListAccessKeys", name,
	    &u)) != 0)
		goto out;
	if ((r = wk_store_key_list(req->srv->store, u.name, &keys, &n)) != 0 ||
	    (r = wk_iam_page_slice(resp, &pg, n)) != 0)
		goto out;
	if ((r = wk_xml_open(b, "AccessKeyMetadata")) != 0)
		goto out;
	for (i = pg.start; i < pg.end; i++) {
		if ((r = wk_xml_open(b, "member")) != 0 ||
		    (r = wk_xml_text(b, "UserName", keys[i].user_name)) != 0 ||
		    (r = wk_xml_text(b, "AccessKeyId", keys[i].id)) != 0 ||
		    (r = wk_xml_text(b, "Status",
		    keys[i].active ? "Active" : "Inactive")) != 0 ||
		    (r = wk_xml_time(b, "CreateDate",
		    keys[i].create_date)) != 0 ||
		    (r = wk_xml_close(b, "member")) != 0)
			goto out;
	}
	if ((r = wk_xml_close(b, "AccessKeyMetadata")) != 0)
		goto out;
	r = wk_iam_page_write(b, pg.truncated, pg.next);
out:
	if (keys != NULL)
		wk_explicit_bzero(keys, n * sizeof(*keys));
	wk_store_free(keys);
	return r;
}

static int
update_access_key(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	static const struct wk_iam_field f_status = {
		"Status", "status", 1, 0, WK_IAM_PAT_ANY, true
	};
	struct wk_user u;
	const char *name, *id, *status;
	char msg[192];
	bool active;
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_existing_user_opt,
	    &name)) != 0 ||
	    (r = wk_iam_param(req, resp, &wk_iam_f_access_key_id, &id)) != 0 ||
	    (r = wk_iam_param(req, resp, &f_status, &status)) != 0)
		return r;
	if (strcmp(status, "Active") == 0)
		active = true;
	else if (strcmp(status, "Inactive") == 0)
		active = false;
	else
		return wk_api_error(resp, 400, "ValidationError",
		    "1 validation error detected: Value '%.64s' at 'status' "
		    "failed to satisfy constraint: Member must satisfy enum "
		    "value set: [Active, Inactive]", status);
	if ((r = wk_iam_user_authz(req, resp, "iam:UpdateAccessKey", name,
	    &u)) != 0)
		return r;
	if ((r = wk_store_key_set_active(req->srv->store, u.name, id,
	    active)) != 0) {
		snprintf(msg, sizeof(msg),
		    "The Access Key with id %s cannot be found.", id);
		r = wk_iam_store_err(resp, r,
		    &(struct wk_iam_errmsg){ .notfound = msg });
	} else if (!active) {
		wk_revoke_access_key(req, id, "UpdateAccessKey");
	}
	return r;
}

static int
delete_access_key(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_user u;
	const char *name, *id;
	char msg[192];
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_existing_user_opt,
	    &name)) != 0 ||
	    (r = wk_iam_param(req, resp, &wk_iam_f_access_key_id, &id)) != 0 ||
	    (r = wk_iam_user_authz(req, resp, "iam:DeleteAccessKey", name,
	    &u)) != 0)
		return r;
	if ((r = wk_store_key_delete(req->srv->store, u.name, id)) != 0) {
		snprintf(msg, sizeof(msg),
		    "The Access Key with id %s cannot be found.", id);
		r = wk_iam_store_err(resp, r,
		    &(struct wk_iam_errmsg){ .notfound = msg });
	} else {
		wk_revoke_access_key(req, id, "DeleteAccessKey");
	}
	return r;
}

static int
get_access_key_last_used(const struct wk_api_req *req,
    struct wk_api_resp *resp)
{
	struct wk_access_key k;
	struct wk_user u;
	struct wk_buf *b = &resp->xml;
	const char *id;
	char arn[2048];
	bool found;
	int r;

	memset(&k, 0, sizeof(k));
	memset(&u, 0, sizeof(u));
	if ((r = wk_iam_param(req, resp, &wk_iam_f_access_key_id, &id)) != 0)
		goto out;
	r = wk_store_key_get(req->srv->store, id, &k);
	wk_explicit_bzero(k.secret, sizeof(k.secret));
	if (r != 0 && r != WK_ERR_NOTFOUND)
		goto out;
	found = r == 0;
	if (found) {	/* a use not yet written is newer than the store's */
		time_t when;
		char svc[64], reg[64];

		if (wk_last_used_get(k.id, &when, svc, sizeof(svc), reg,
		    sizeof(reg)) && when >= k.last_used) {
			k.last_used = when;
			snprintf(k.last_used_service,
			    sizeof(k.last_used_service), "%s", svc);
			snprintf(k.last_used_region,
			    sizeof(k.last_used_region), "%s", reg);
		}
	}
	if (found && (r = wk_store_user_get(req->srv->store, k.user_name,
	    &u)) != 0)
		goto out;
	if (found)
		snprintf(arn, sizeof(arn), "%s", u.arn);
	else if ((r = wk_iam_arn(req, "user", "/", "", arn,
	    sizeof(arn))) != 0)
		goto out;
	if ((r = wk_api_authorize(req, resp, "iam:GetAccessKeyLastUsed", arn,
	    NULL, NULL, NULL)) != 0)
		goto out;
	if (!found) {
		r = wk_api_error(resp, 404, "NoSuchEntity",
		    "The Access Key with id %s cannot be found.", id);
		goto out;
	}
	if ((r = wk_xml_text(b, "UserName", k.user_name)) != 0 ||
	    (r = wk_xml_open(b, "AccessKeyLastUsed")) != 0)
		goto out;
	if (k.last_used != 0 &&
	    (r = wk_xml_time(b, "LastUsedDate", k.last_used)) != 0)
		goto out;
	if ((r = wk_xml_text(b, "ServiceName", k.last_used != 0 &&
	    k.last_used_service[0] != '\0' ? k.last_used_service :
	    "N/A")) != 0 ||
	    (r = wk_xml_text(b, "Region", k.last_used != 0 &&
	    k.last_used_region[0] != '\0' ? k.last_used_region :
	    "N/A")) != 0)
		goto out;
	r = wk_xml_close(b, "AccessKeyLastUsed");
out:
	wk_explicit_bzero(&k, sizeof(k));
	return r;
}

const struct wk_api_action wk_iam_create_access_key = {
	.name = "CreateAccessKey", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = create_access_key,
};
const struct wk_api_action wk_iam_list_access_keys = {
	.name = "ListAccessKeys", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = list_access_keys,
};
const struct wk_api_action wk_iam_update_access_key = {
	.name = "UpdateAccessKey", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = update_access_key,
};
const struct wk_api_action wk_iam_delete_access_key = {
	.name = "DeleteAccessKey", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = delete_access_key,
};
const struct wk_api_action wk_iam_get_access_key_last_used = {
	.name = "GetAccessKeyLastUsed", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = get_access_key_last_used,
};
