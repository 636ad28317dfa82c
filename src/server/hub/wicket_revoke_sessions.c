/*
 * wicket_revoke_sessions.c - WicketService.RevokeSessions (JSON): withdraws
 * pushed keys from the hosts and ends the sessions they opened
 * (docs/revocation.md).
 *   {"CallerArn" | "AccessKeyId" | "RequestId" | "InstanceId" (exactly
 *    one), "OsUser" (only with InstanceId)} ->
 *   {"RevocationId", "RevokedAt" (epoch seconds: pushes issued at or
 *    before it), "RequestIds" (when the selector resolved to them)}
 * Authorized as wicket:RevokeSessions: with InstanceId on that instance
 * (arn:aws:ec2:REGION:ACCOUNT:instance/ID, its tags in the context, as the
 * session actions), otherwise on "*" (the other selectors reach every
 * instance); a refusal is audited too. The selector is checked first.
 */
#include <jansson.h>
#include <string.h>

#include "common/err.h"
#include "server/api/api.h"
#include "server/audit/audit.h"
#include "server/auth/auth.h"
#include "server/hub/agent_hub.h"

static int
bad(struct wk_api_resp *resp, const char *field, const char *what)
{
	return wk_api_error(resp, 400, "ValidationException", "%s %s", field,
	    what);
}

/* Every byte in `set` (a string of allowed characters, or NULL for any
 * printable but space), length lo..hi. */
static bool
shaped(const char *s, size_t lo, size_t hi, const char *set)
{
	size_t n = strlen(s);

	if (n < lo || n > hi)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (set == NULL ? (ch <= 0x20 || ch >= 0x7f) :
		    strchr(set, ch) == NULL)
			return false;
	}
	return true;
}

#define DIGITS "0123456789"
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

static bool
valid_instance(const char *s)
{
	return strncmp(s, "i-", 2) == 0 &&
	    shaped(s + 2, 1, 30, DIGITS "abcdef");
}

static bool
valid_os_user(const char *s)
{
	return shaped(s, 1, 32, UPPER LOWER DIGITS "@._-$") &&
	    strchr(DIGITS "@.-$", s[0]) == NULL;
}

static int
parse(const json_t *obj, struct wk_api_resp *resp,
    struct wk_revoke_selector *sel)
{
	const char *key, *s;
	json_t *v;
	size_t n;

	memset(sel, 0, sizeof(*sel));
	sel->reason = "RevokeSessions";
	if (!json_is_object(obj))
		return bad(resp, "Request", "must be a JSON object");
	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		if (!json_is_string(v) || json_string_length(v) == 0)
			return bad(resp, key, "must be a non-empty string");
		s = json_string_value(v);
		if (strlen(s) != json_string_length(v))
			return bad(resp, key, "must not contain NUL");
		if (strcmp(key, "CallerArn") == 0) {
			if (!shaped(s, 1, 511, NULL) ||
			    strncmp(s, "arn:", 4) != 0)
				return bad(resp, key, "must be an ARN (printable, "
				    "no spaces, at most 511 characters)");
			sel->caller_arn = s;
		} else if (strcmp(key, "AccessKeyId") == 0) {
			if (!shaped(s, 16, 32, UPPER DIGITS))
				return bad(resp, key, "must be 16 to 32 "
				    "characters [A-Z0-9]");
			sel->access_key_id = s;
		} else if (strcmp(key, "RequestId") == 0) {
			if (!shaped(s, 1, 63, UPPER LOWER DIGITS "._-"))
				return bad(resp, key, "must be 1 to 63 "
				    "characters [A-Za-z0-9._-]");
			sel->request_id = s;
		} else if (strcmp(key, "InstanceId") == 0) {
			if (!valid_instance(s))
				return bad(resp, key, "must match "
				    "^i-[a-f0-9]{1,30}$");
			sel->instance_id = s;
		} else if (strcmp(key, "OsUser") == 0) {
			if (!valid_os_user(s))
				return bad(resp, key, "must be a valid OS user "
				    "name of at most 32 characters");
			sel->os_user = s;
		} else {
			return wk_api_error(resp, 400, "ValidationException",
			    "Unknown parameter: %.64s", key);
		}
	}
	n = (sel->caller_arn != NULL) + (sel->access_key_id != NULL) +
	    (sel->request_id != NULL) + (sel->instance_id != NULL);
	if (n != 1)
		return bad(resp, "Request", "must name exactly one of "
		    "CallerArn, AccessKeyId, RequestId, InstanceId");
	if (sel->os_user != NULL && sel->instance_id == NULL)
		return bad(resp, "OsUser", "is only allowed with InstanceId");
	return 0;
}

static int
reply(struct wk_api_resp *resp, const struct wk_revocation *rev)
{
	json_t *ids, *s;
	const char *p, *comma;

	resp->json = json_pack("{s:I, s:I}", "RevocationId",
	    (json_int_t)rev->id, "RevokedAt", (json_int_t)rev->at);
	if (resp->json == NULL)
		return WK_ERR_NOMEM;
	if (!rev->by_request_ids)
		return 0;
	if ((ids = json_array()) == NULL ||
	    json_object_set_new(resp->json, "RequestIds", ids) != 0)
		return WK_ERR_NOMEM;
	for (p = rev->request_ids; p != NULL && *p != '\0';
	    p = comma != NULL ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		s = json_stringn(p, comma != NULL ? (size_t)(comma - p) :
		    strlen(p));
		if (s == NULL || json_array_append_new(ids, s) != 0)
			return WK_ERR_NOMEM;
	}
	return 0;
}

static int
wicket_revoke_sessions(const struct wk_api_req *req,
    struct wk_api_resp *resp)
{
	struct wk_revoke_selector sel;
	struct wk_revocation rev;
	struct wk_audit_info ai;
	int r;

	if ((r = parse(req->json, resp, &sel)) != 0)
		return r;
	r = sel.instance_id != NULL ? wk_api_authorize_instance(req, resp,
	    WK_REVOKE_ACTION, sel.instance_id) : wk_api_authorize(req, resp,
	    WK_REVOKE_ACTION, "*", NULL, NULL, NULL);
	if (r != 0) {
		memset(&ai, 0, sizeof(ai));
		ai.action = WK_REVOKE_ACTION;
		ai.instance_id = sel.instance_id;
		ai.error_code = resp->error_code;
		(void)wk_audit_write(req, &ai);
		return r;
	}
	if ((r = wk_revoke_issue(req, &sel, &rev)) != 0) {
		if (r == WK_ERR_UNSUPPORTED)
			return wk_api_error(resp, 503, "ServiceUnavailable",
			    "This store does not keep revocations");
		return r;
	}
	r = reply(resp, &rev);
	wk_revoke_cleanup(&rev);
	return r;
}

const struct wk_api_action wk_wicket_revoke_sessions = {
	.name = "RevokeSessions",
	.protocol = WK_PROTO_JSON,
	.target_prefix = "WicketService",
	.body_max = 16 * 1024,
	.handle = wicket_revoke_sessions,
};
