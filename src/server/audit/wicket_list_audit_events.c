/*
 * wicket_list_audit_events.c - WicketService.ListAuditEvents (JSON): the
 * audit log, newest first, filtered and paginated.
 *   {"InstanceId", "CallerArn", "StartTime", "EndTime" (epoch seconds),
 *    "MaxResults" (1..1000, default 50), "NextToken", "RequestId" (a
 *    push's story: the push, its logins and logouts), "SessionId" (one
 *    login: Login and Logout)} ->
 *   {"Events": [...], "NextToken"}
 * Authorized as wicket:ListAuditEvents on "*".
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/time.h"
#include "server/api/api.h"
#include "server/audit/audit.h"
#include "server/server.h"

#define LIST_DEFAULT 50
#define LIST_MAX 1000
#define TIME_MAX_S 253402300799LL	/* 9999-12-31T23:59:59Z */

static int
bad(struct wk_api_resp *resp, const char *field, const char *what)
{
	return wk_api_error(resp, 400, "ValidationException", "%s %s", field,
	    what);
}

static int
get_time(struct wk_api_resp *resp, const char *field, json_t *v, int64_t *ms)
{
	double d;

	if (json_is_integer(v))
		d = (double)json_integer_value(v);
	else if (json_is_real(v))
		d = json_real_value(v);
	else
		return bad(resp, field, "must be a number (epoch seconds)");
	if (!(d >= 0 && d <= (double)TIME_MAX_S))
		return bad(resp, field, "is out of range");
	*ms = (int64_t)(d * 1000.0);
	return 0;
}

static int
parse_filter(const json_t *obj, struct wk_api_resp *resp,
    struct wk_audit_filter *f, size_t *max)
{
	const char *key, *s;
	json_t *v;
	uint64_t u;
	json_int_t n;
	int r;

	memset(f, 0, sizeof(*f));
	*max = LIST_DEFAULT;
	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		if (strcmp(key, "RequestId") == 0 ||
		    strcmp(key, "SessionId") == 0) {
			if (!json_is_string(v) || json_string_length(v) == 0 ||
			    json_string_length(v) > 63)
				return bad(resp, key, "must be a non-empty "
				    "string of at most 63 characters");
			if (key[0] == 'R')
				f->request_id = json_string_value(v);
			else if (json_string_length(v) > 23)
				return bad(resp, key, "is not a session id");
			else
				f->session_id = json_string_value(v);
		} else if (strcmp(key, "InstanceId") == 0 ||
		    strcmp(key, "CallerArn") == 0) {
			if (!json_is_string(v) || json_string_length(v) == 0 ||
			    json_string_length(v) > 2048)
				return bad(resp, key, "must be a non-empty "
				    "string of at most 2048 characters");
			s = json_string_value(v);
			if (key[0] == 'I')
				f->instance_id = s;
			else
				f->caller_arn = s;
		} else if (strcmp(key, "StartTime") == 0) {
			if ((r = get_time(resp, key, v, &f->since_ms)) != 0)
				return r;
		} else if (strcmp(key, "EndTime") == 0) {
			if ((r = get_time(resp, key, v, &f->until_ms)) != 0)
				return r;
		} else if (strcmp(key, "MaxResults") == 0) {
			n = json_is_integer(v) ? json_integer_value(v) : 0;
			if (n < 1 || n > LIST_MAX)
				return bad(resp, key, "must be an integer from "
				    "1 to 1000");
			*max = (size_t)n;
		} else if (strcmp(key, "NextToken") == 0) {
			if (!json_is_string(v) ||
			    wk_cstr_to_u64(json_string_value(v), INT64_MAX,
			    &u) != 0 || u == 0)
				return wk_api_error(resp, 400,
				    "InvalidNextTokenException",
				    "The NextToken is not valid");
			f->before_id = (int64_t)u;
		} else
			return wk_api_error(resp, 400, "ValidationException",
			    "Unknown parameter: %.64s", key);
	}
	if (f->since_ms != 0 && f->until_ms != 0 && f->until_ms < f->since_ms)
		return bad(resp, "EndTime", "must not be before StartTime");
	return 0;
}

static json_t *
event_json(const struct wk_audit_event *ev)
{
	char when[21];
	json_t *o;

	wk_time_iso8601((time_t)(ev->time_ms / 1000), when);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:s, s:s}",
	    "EventTime", when, "RequestId", ev->request_id,
	    "EventName", ev->action, "CallerArn", ev->caller_arn,
	    "AccessKeyId", ev->access_key_id, "SourceIp", ev->source_ip,
	    "InstanceId", ev->instance_id, "OsUser", ev->os_user,
	    "KeyFingerprint", ev->key_fingerprint, "Decision", ev->decision,
	    "ErrorCode", ev->error_code, "Via", ev->via);
	/* a login's own fields (Login, Logout) */
	if (o != NULL && ev->session_id[0] != '\0' &&
	    (json_object_set_new(o, "SessionId",
	    json_string(ev->session_id)) != 0 ||
	    json_object_set_new(o, "EventTimeMs",
	    json_integer((json_int_t)ev->time_ms)) != 0 ||
	    json_object_set_new(o, "Tty", json_string(ev->tty)) != 0 ||
	    json_object_set_new(o, "SshdPid",
	    json_integer((json_int_t)ev->sshd_pid)) != 0 ||
	    (strcmp(ev->action, "wicket:Logout") == 0 &&
	    json_object_set_new(o, "DurationSeconds",
	    json_real((double)ev->duration_ms / 1000.0)) != 0))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * A wicket:RevokeSessions event that was allowed: what it revoked (the
 * selector, the RequestIds it resolved to, the reason), from the
 * revocations it stored under the event's RequestId (docs/revocation.md).
 */
static int
add_revocations(struct wk_store *st, const struct wk_audit_event *ev,
    json_t *o)
{
	struct wk_revocation *v = NULL;
	json_t *arr, *one, *ids;
	const char *p, *comma;
	size_t n = 0, i;
	int r = WK_ERR_NOMEM;

	if (strcmp(ev->action, "wicket:RevokeSessions") != 0 ||
	    strcmp(ev->decision, WK_AUDIT_ALLOW) != 0 ||
	    ev->request_id[0] == '\0')
		return 0;
	if (wk_store_revocation_by_request(st, ev->request_id, &v, &n) != 0)
		return 0;	/* the event stands without its detail */
	if ((arr = json_array()) == NULL ||
	    json_object_set_new(o, "Revocations", arr) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		one = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s}",
		    "RevocationId", (json_int_t)v[i].id, "RevokedAt",
		    (json_int_t)v[i].at, "Reason", v[i].reason,
		    "CallerArn", v[i].caller_arn, "AccessKeyId",
		    v[i].access_key_id, "InstanceId", v[i].instance_id,
		    "OsUser", v[i].os_user);
		if (one == NULL || json_array_append_new(arr, one) != 0)
			goto out;
		if (!v[i].by_request_ids)
			continue;
		if ((ids = json_array()) == NULL ||
		    json_object_set_new(one, "RequestIds", ids) != 0)
			goto out;
		for (p = v[i].request_ids; p != NULL && *p != '\0';
		    p = comma != NULL ? comma + 1 : NULL) {
			comma = strchr(p, ',');
			if (json_array_append_new(ids, json_stringn(p,
			    comma != NULL ? (size_t)(comma - p) :
			    strlen(p))) != 0)
				goto out;
		}
	}
	r = 0;
 out:
	wk_store_revocations_free(v, n);
	return r;
}

static int
wicket_list_audit_events(const struct wk_api_req *req,
    struct wk_api_resp *resp)
{
	struct wk_audit_filter f;
	struct wk_audit_event *evs = NULL;
	size_t nev = 0, max, i, shown;
	json_t *arr = NULL, *o;
	char token[24];
	int r;

	if ((r = wk_api_authorize(req, resp, "wicket:ListAuditEvents", "*",
	    NULL, NULL, NULL)) != 0)
		return r;
	if ((r = parse_filter(req->json, resp, &f, &max)) != 0)
		return r;
	f.max_items = max + 1;	/* one more: is there a next page? */
	if ((r = wk_store_audit_query(req->srv->store, &f, &evs, &nev)) != 0)
		goto out;
	shown = nev > max ? max : nev;
	r = WK_ERR_NOMEM;
	if ((arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < shown; i++) {
		if ((o = event_json(&evs[i])) == NULL ||
		    json_array_append_new(arr, o) != 0 ||
		    add_revocations(req->srv->store, &evs[i], o) != 0)
			goto out;
	}
	if ((resp->json = json_pack("{s:o}", "Events", arr)) == NULL) {
		arr = NULL;
		goto out;
	}
	arr = NULL;
	if (nev > max) {
		snprintf(token, sizeof(token), "%lld",
		    (long long)evs[shown - 1].id);
		if (json_object_set_new(resp->json, "NextToken",
		    json_string(token)) != 0)
			goto out;
	}
	r = 0;
 out:
	json_decref(arr);
	wk_store_free(evs);
	return r;
}

const struct wk_api_action wk_wicket_list_audit_events = {
	.name = "ListAuditEvents",
	.protocol = WK_PROTO_JSON,
	.target_prefix = "WicketService",
	.body_max = 16 * 1024,
	.handle = wicket_list_audit_events,
};
