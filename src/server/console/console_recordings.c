/*
 * console_recordings.c - the recorded terminals, as a caller may see them:
 * WicketService.ListSessionRecordings and GetSessionRecording (JSON), and
 * the authorized core the console's pages share with them.
 *
 *   ListSessionRecordings {"InstanceId"?, "MaxResults"? (1..1000, default
 *     100), "NextToken"?} -> {"Recordings": [{"RecordingId", "StartTime",
 *     "CallerArn", "UserName", "InstanceId", "OsUser", "SourceIp",
 *     "Width", "Height", "Size"}], "NextToken"?}, newest first;
 *     wicket:ListSessionRecordings on each recording's instance
 *     (arn:aws:ec2:REGION:ACCOUNT:instance/ID): with InstanceId, on that
 *     one (AccessDenied when not allowed); without, the recordings of
 *     instances the caller may not list are left out (AccessDenied only
 *     when no Allow statement of the caller names the action).
 *   GetSessionRecording {"RecordingId"} -> {"RecordingId", "Asciicast"}
 *     (the asciicast v2 text); wicket:GetSessionRecording on the
 *     recording's instance; every call, allowed or denied, is audited
 *     (who watched what).
 *
 * A caller whose policies allow the action on no resource at all is
 * refused first and learns nothing (not whether an id exists). A
 * RecordingId that is not a lower-case UUID is refused
 * (ValidationException) before any file is named. docs/recordings.md.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "server/api/api.h"
#include "server/audit/audit.h"
#include "server/auth/auth.h"
#include "server/console/console_int.h"
#include "server/server.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000

int
wk_recordings_api_list(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *instance_id, struct wk_recording_info **out, size_t *n)
{
	struct wk_instance_scope *scope = NULL;
	struct wk_recording_info *v = NULL;
	size_t len = 0, i, k;
	bool ok;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = wk_instance_scope_new(req, resp, WK_ACTION_LIST_RECORDINGS,
	    instance_id, &scope)) != 0)
		return r;
	if ((r = wk_recordings_list(req->srv->cfg.data_dir, &v, &len)) != 0) {
		wk_log(WK_LOG_ERROR, "recording", "outcome=list_failed "
		    "error=%s", wk_strerror(r));
		r = wk_api_error(resp, 500, "InternalServerError",
		    "Cannot list the recordings now.");
		goto out;
	}
	for (i = 0, k = 0; i < len; i++) {
		if (instance_id != NULL &&
		    strcmp(v[i].instance_id, instance_id) != 0)
			continue;
		if ((r = wk_instance_scope_allows(scope, v[i].instance_id,
		    &ok)) != 0)
			goto out;
		if (ok)
			v[k++] = v[i];
	}
	*out = v;
	v = NULL;
	*n = k;
	r = 0;
 out:
	wk_free(v);
	wk_instance_scope_free(scope);
	return r;
}

/* The audit event of a fetch: who watched which session. */
static int
audit_get(const struct wk_api_req *req, const struct wk_recording_info *info,
    const char *error_code)
{
	struct wk_audit_info ai = {
		.action = WK_ACTION_GET_RECORDING,
		.instance_id = info != NULL ? info->instance_id : NULL,
		.os_user = info != NULL ? info->os_user : NULL,
		.error_code = error_code,
	};

	return wk_audit_write(req, &ai);
}

/* Refused (AccessDenied on "*") when the caller may get a recording of
 * no instance at all: decided before anything is read. */
static int
may_get(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	bool may;
	int r;

	if ((r = wk_api_may_allow(req, WK_ACTION_GET_RECORDING, &may)) != 0)
		return r;
	if (!may) {
		wk_api_deny_error(req, resp, WK_ACTION_GET_RECORDING, "*", NULL,
		    WK_DECISION_IMPLICIT_DENY);
		return WK_ERR_DENIED;
	}
	return 0;
}

/*
 * The answer for an id with no recording the caller may see, the same
 * whether none exists or its instance is not the caller's: 404 to a
 * caller allowed the action on "*" (it could get any), else AccessDenied
 * on "*". So a caller learns of no recording it may not get.
 */
static int
unknown(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *id)
{
	struct wk_decision_detail d;
	int r;

	if ((r = wk_api_decide(req, WK_ACTION_GET_RECORDING, "*", NULL,
	    &d)) != 0)
		return r;
	if (d.decision != WK_DECISION_ALLOW) {
		wk_api_deny_error(req, resp, WK_ACTION_GET_RECORDING, "*", NULL,
		    d.decision);
		return WK_ERR_DENIED;
	}
	return wk_api_error(resp, 404, "ResourceNotFoundException",
	    "No recording %s (never recorded, or past its retention)", id);
}

int
wk_recordings_api_get(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *id, struct wk_buf *text)
{
	struct wk_recording_info info;
	struct wk_decision_detail d;
	int r;

	memset(&info, 0, sizeof(info));
	if ((r = may_get(req, resp)) != 0) {
		(void)audit_get(req, NULL, resp->error_code);
		return r;
	}
	if (id == NULL || !wk_recording_id_ok(id))
		return wk_api_error(resp, 400, "ValidationException",
		    "RecordingId must be a recording id (a lower-case UUID, "
		    "the RequestId of the terminal's audit event)");
	r = wk_recording_info_get(req->srv->cfg.data_dir, id, &info);
	if (r == 0 && (r = wk_instance_decide(req, WK_ACTION_GET_RECORDING,
	    info.instance_id, &d)) == 0 && d.decision != WK_DECISION_ALLOW) {
		/* not the caller's to see: audited, nothing read, and
		 * answered as an id that does not exist */
		(void)audit_get(req, &info, "AccessDeniedException");
		return unknown(req, resp, id);
	}
	if (r == 0)
		r = wk_recording_read(req->srv->cfg.data_dir, id,
		    WK_RECORDING_READ_MAX,
		    text);
	if (r == WK_ERR_NOTFOUND)
		return unknown(req, resp, id);
	if (r != 0) {
		wk_log(WK_LOG_ERROR, "recording", "id=%s outcome=read_failed "
		    "error=%s", id, wk_strerror(r));
		return wk_api_error(resp, 500, "InternalServerError",
		    "Cannot read the recording now.");
	}
	/* no unaudited answer */
	if ((r = audit_get(req, &info, "")) != 0)
		return wk_api_error(resp, 500, "InternalServerError",
		    "Cannot audit the request now.");
	return 0;
}

/* ---- the JSON actions ---- */

static int
bad(struct wk_api_resp *resp, const char *field, const char *what)
{
	return wk_api_error(resp, 400, "ValidationException", "%s %s", field,
	    what);
}

static json_t *
info_json(const struct wk_recording_info *x)
{
	char when[21];

	wk_time_iso8601((time_t)x->start_s, when);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:I}",
	    "RecordingId", x->id, "StartTime", when, "CallerArn",
	    x->caller_arn, "UserName", x->user, "InstanceId", x->instance_id,
	    "OsUser", x->os_user, "SourceIp", x->source_ip,
	    "Width", (int)x->cols, "Height", (int)x->rows,
	    "Size", (json_int_t)x->size);
}

static int
list_params(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char **instance_id, size_t *max, uint64_t *start)
{
	const char *key;
	json_t *v;
	json_int_t n;

	*instance_id = NULL;
	*max = LIST_DEFAULT;
	*start = 0;
	json_object_foreach(req->json, key, v) {
		if (strcmp(key, "InstanceId") == 0) {
			if (!json_is_string(v) || json_string_length(v) == 0 ||
			    json_string_length(v) > 64)
				return bad(resp, key, "must be a string of 1 "
				    "to 64 characters");
			*instance_id = json_string_value(v);
		} else if (strcmp(key, "MaxResults") == 0) {
			n = json_is_integer(v) ? json_integer_value(v) : 0;
			if (n < 1 || n > LIST_MAX)
				return bad(resp, key, "must be an integer from "
				    "1 to 1000");
			*max = (size_t)n;
		} else if (strcmp(key, "NextToken") == 0) {
			if (!json_is_string(v) ||
			    wk_cstr_to_u64(json_string_value(v),
			    WK_RECORDINGS_LIST_MAX, start) != 0 || *start == 0)
				return wk_api_error(resp, 400,
				    "InvalidNextTokenException",
				    "The NextToken is not valid");
		} else {
			return wk_api_error(resp, 400, "ValidationException",
			    "Unknown parameter: %.64s", key);
		}
	}
	return 0;
}

static int
list_recordings(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_recording_info *v = NULL;
	const char *instance_id;
	size_t n = 0, max, i, end;
	uint64_t start;
	json_t *arr = NULL, *o;
	char token[24];
	int r;

	/* the parameters first: the instance they name is the resource */
	if ((r = list_params(req, resp, &instance_id, &max, &start)) != 0)
		return r;
	if ((r = wk_recordings_api_list(req, resp, instance_id, &v, &n)) != 0)
		goto out;
	r = WK_ERR_NOMEM;
	if ((arr = json_array()) == NULL)
		goto out;
	end = start + max < n ? (size_t)start + max : n;
	for (i = (size_t)start; i < end; i++)
		if ((o = info_json(&v[i])) == NULL ||
		    json_array_append_new(arr, o) != 0)
			goto out;
	if ((resp->json = json_pack("{s:o}", "Recordings", arr)) == NULL)
		goto out;
	arr = NULL;
	if (end < n) {
		snprintf(token, sizeof(token), "%zu", end);
		if (json_object_set_new(resp->json, "NextToken",
		    json_string(token)) != 0)
			goto out;
	}
	r = 0;
 out:
	json_decref(arr);
	wk_free(v);
	return r;
}

static int
get_recording(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_buf text;
	const char *key, *id = NULL;
	json_t *v;
	int r;

	wk_buf_init(&text, WK_RECORDING_READ_MAX + 1);
	json_object_foreach(req->json, key, v) {
		if (strcmp(key, "RecordingId") == 0 && json_is_string(v))
			id = json_string_value(v);
		else if (strcmp(key, "RecordingId") != 0) {
			/* refused first when allowed nowhere */
			r = may_get(req, resp);
			if (r == 0)
				r = wk_api_error(resp, 400,
				    "ValidationException",
				    "Unknown parameter: %.64s", key);
			goto out;
		}
	}
	if ((r = wk_recordings_api_get(req, resp, id, &text)) != 0)
		goto out;
	r = WK_ERR_NOMEM;
	if ((v = json_stringn((const char *)text.p, text.len)) == NULL)
		goto out;
	if ((resp->json = json_pack("{s:s, s:o}", "RecordingId", id,
	    "Asciicast", v)) == NULL)
		goto out;
	r = 0;
 out:
	wk_buf_cleanup(&text);
	return r;
}

const struct wk_api_action wk_wicket_list_session_recordings = {
	.name = "ListSessionRecordings",
	.protocol = WK_PROTO_JSON,
	.target_prefix = "WicketService",
	.body_max = 16 * 1024,
	.handle = list_recordings,
};

const struct wk_api_action wk_wicket_get_session_recording = {
	.name = "GetSessionRecording",
	.protocol = WK_PROTO_JSON,
	.target_prefix = "WicketService",
	.body_max = 16 * 1024,
	.handle = get_recording,
};
