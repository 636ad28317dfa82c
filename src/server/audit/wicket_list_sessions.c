/*
 * wicket_list_sessions.c - WicketService.ListSessions (JSON): the logins
 * open now on every host, as their agents reported them (docs/sessions.md).
 *   {"InstanceId", "CallerArn", "OsUser", "MaxResults" (1..1000, default
 *    1000)} -> {"Sessions": [{"SessionId", "InstanceId", "OsUser",
 *    "KeyFingerprint", "RequestId", "CallerArn", "SourceIp", "Tty",
 *    "SshdPid", "OpenedAt"}, ...]}   newest first
 * Authorized as wicket:ListSessions on each session's instance
 * (arn:aws:ec2:REGION:ACCOUNT:instance/ID): with InstanceId, on that one
 * (AccessDenied when not allowed); without, the sessions of the instances
 * the caller may not list are left out, and AccessDenied only when no
 * Allow statement of the caller names the action (docs/sessions.md).
 */
#include <jansson.h>
#include <string.h>

#include "common/err.h"
#include "common/time.h"
#include "server/api/api.h"
#include "server/audit/audit.h"
#include "server/auth/auth.h"
#include "server/server.h"

#define LIST_MAX 1000

static int
bad(struct wk_api_resp *resp, const char *field, const char *what)
{
	return wk_api_error(resp, 400, "ValidationException", "%s %s", field,
	    what);
}

static int
parse_filter(const json_t *obj, struct wk_api_resp *resp,
    struct wk_session_filter *f)
{
	const char *key;
	json_t *v;
	json_int_t n;

	memset(f, 0, sizeof(*f));
	f->max_items = LIST_MAX;
	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		if (strcmp(key, "InstanceId") == 0 ||
		    strcmp(key, "CallerArn") == 0 ||
		    strcmp(key, "OsUser") == 0) {
			if (!json_is_string(v) || json_string_length(v) == 0 ||
			    json_string_length(v) > 2047)
				return bad(resp, key, "must be a non-empty "
				    "string of at most 2047 characters");
			if (key[0] == 'I')
				f->instance_id = json_string_value(v);
			else if (key[0] == 'C')
				f->caller_arn = json_string_value(v);
			else
				f->os_user = json_string_value(v);
		} else if (strcmp(key, "MaxResults") == 0) {
			n = json_is_integer(v) ? json_integer_value(v) : 0;
			if (n < 1 || n > LIST_MAX)
				return bad(resp, key, "must be an integer from "
				    "1 to 1000");
			f->max_items = (size_t)n;
		} else
			return wk_api_error(resp, 400, "ValidationException",
			    "Unknown parameter: %.64s", key);
	}
	/* longer than any stored value: nothing matches, nothing to ask */
	if ((f->instance_id != NULL && strlen(f->instance_id) > 32) ||
	    (f->os_user != NULL && strlen(f->os_user) > 63))
		f->max_items = 0;
	return 0;
}

static json_t *
session_json(const struct wk_session *s)
{
	char when[21];

	wk_time_iso8601((time_t)(s->opened_ms / 1000), when);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}",
	    "SessionId", s->session_id, "InstanceId", s->instance_id,
	    "OsUser", s->os_user, "KeyFingerprint", s->key_fingerprint,
	    "RequestId", s->request_id, "CallerArn", s->caller_arn,
	    "SourceIp", s->source_ip, "Tty", s->tty,
	    "SshdPid", (json_int_t)s->sshd_pid, "OpenedAt", when);
}

int
wk_sessions_visible(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_session_filter *f, struct wk_session **out, size_t *n)
{
	struct wk_instance_scope *scope = NULL;
	struct wk_session_filter all;
	struct wk_session *ss = NULL;
	size_t len = 0, i, k;
	bool ok;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = wk_instance_scope_new(req, resp, "wicket:ListSessions",
	    f->instance_id, &scope)) != 0)
		return r;
	/* entries are left out after the store's limit: ask for the most */
	all = *f;
	all.max_items = WK_SESSIONS_SCAN_MAX;
	if (f->max_items > 0 && (r = wk_store_session_list(req->srv->store,
	    &all, &ss, &len)) != 0)
		goto out;
	for (i = 0, k = 0; i < len && k < f->max_items; i++) {
		if ((r = wk_instance_scope_allows(scope, ss[i].instance_id,
		    &ok)) != 0)
			goto out;
		if (ok)
			ss[k++] = ss[i];
	}
	*out = ss;
	ss = NULL;
	*n = k;
	r = 0;
 out:
	wk_store_free(ss);
	wk_instance_scope_free(scope);
	return r;
}

static int
wicket_list_sessions(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_session_filter f;
	struct wk_session *ss = NULL;
	size_t n = 0, i;
	json_t *arr = NULL, *o;
	int r;

	/* the filter first: the instance it names is the resource */
	if ((r = parse_filter(req->json, resp, &f)) != 0)
		return r;
	if ((r = wk_sessions_visible(req, resp, &f, &ss, &n)) != 0) {
		if (r == WK_ERR_UNSUPPORTED)
			return wk_api_error(resp, 501, "UnsupportedOperation",
			    "this store backend keeps no sessions");
		goto out;
	}
	r = WK_ERR_NOMEM;
	if ((arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if ((o = session_json(&ss[i])) == NULL ||
		    json_array_append_new(arr, o) != 0)
			goto out;
	}
	if ((resp->json = json_pack("{s:o}", "Sessions", arr)) == NULL) {
		arr = NULL;
		goto out;
	}
	arr = NULL;
	r = 0;
 out:
	json_decref(arr);
	wk_store_free(ss);
	return r;
}

const struct wk_api_action wk_wicket_list_sessions = {
	.name = "ListSessions",
	.protocol = WK_PROTO_JSON,
	.target_prefix = "WicketService",
	.body_max = 16 * 1024,
	.handle = wicket_list_sessions,
};
