/*
 * api_dispatch.c - the AWS-compatible API front for POST /: protocol
 * detection, SigV4 authentication (auth/), action lookup in the services'
 * tables, the handler call, the audit of early refusals and the reply in
 * the protocol's AWS shape (api/). It sits above every service folder.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/rand.h"
#include "common/time.h"
#include "server/api/api.h"
#include "server/audit/audit.h"
#include "server/auth/auth.h"
#include "server/metrics/metrics.h"
#include "server/routes/routes.h"
#include "store/store.h"

#define VERSION_IAM "2010-05-08"
#define VERSION_STS "2011-06-15"
#define VERSION_EC2 "2016-11-15"

#define WK_API_XML_MAX (8 * 1024 * 1024)	/* handler result ceiling */
#define WK_API_TARGET_MAX 256
#define WK_API_ACTION_MAX 128

static void
internal_error(enum wk_protocol proto, struct wk_api_resp *resp)
{
	switch (proto) {
	case WK_PROTO_QUERY_IAM:
		wk_api_error(resp, 500, "ServiceFailure", "The request "
		    "processing has failed because of an unknown error, "
		    "exception or failure.");
		break;
	case WK_PROTO_QUERY_EC2:
		wk_api_error(resp, 500, "InternalError", "An internal error "
		    "has occurred.");
		break;
	default:
		wk_api_error(resp, 500, "InternalFailure", "The request "
		    "processing has failed because of an unknown error, "
		    "exception or failure.");
		break;
	}
}

/*
 * The database was unreachable during this request (PostgreSQL restarting)
 * and the request failed: 503 ServiceUnavailable, which AWS clients
 * retry, whatever the handler made of the store's error.
 */
static void
unavailable_error(struct wk_api_resp *resp)
{
	wk_api_error(resp, 503, "ServiceUnavailable", "The service is "
	    "unavailable. Please try again later.");
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool
is_action_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > WK_API_ACTION_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* Protocol from the credential scope's service for Query requests. */
static enum wk_protocol
query_proto(const char *service, bool *known)
{
	*known = true;
	if (strcmp(service, "sts") == 0)
		return WK_PROTO_QUERY_STS;
	if (strcmp(service, "ec2") == 0)
		return WK_PROTO_QUERY_EC2;
	*known = strcmp(service, "iam") == 0;
	return WK_PROTO_QUERY_IAM;
}

/*
 * The SigV4 signing names of what a request asks for: a JSON operation's
 * by its X-Amz-Target prefix, a Query action's by its API Version (each
 * Query API has its own). NULL when unknown: the request is then refused
 * as an unknown operation, after the region is checked.
 */
static const char *const svc_ec2ic[] = { "ec2-instance-connect", NULL };
/* wicket's own operations: `wicket` signs them for ec2, whose instances
 * they describe; "wicket" (their IAM prefix) is taken too. */
static const char *const svc_wicket[] = { "ec2", "wicket", NULL };
static const char *const svc_iam[] = { "iam", NULL };
static const char *const svc_sts[] = { "sts", NULL };
static const char *const svc_ec2[] = { "ec2", NULL };

static const char *const *
json_services(struct wk_span target)
{
	if (wk_span_starts_with(target, "AWSEC2InstanceConnectService."))
		return svc_ec2ic;
	if (wk_span_starts_with(target, "WicketService."))
		return svc_wicket;
	return NULL;
}

/* The Query protocol and signing name for an API Version; false if none. */
static bool
version_proto(const char *version, enum wk_protocol *proto,
    const char *const **services)
{
	if (version == NULL)
		return false;
	if (strcmp(version, VERSION_IAM) == 0) {
		*proto = WK_PROTO_QUERY_IAM;
		*services = svc_iam;
	} else if (strcmp(version, VERSION_STS) == 0) {
		*proto = WK_PROTO_QUERY_STS;
		*services = svc_sts;
	} else if (strcmp(version, VERSION_EC2) == 0) {
		*proto = WK_PROTO_QUERY_EC2;
		*services = svc_ec2;
	} else {
		return false;
	}
	return true;
}

/* Finds the JSON action named by X-Amz-Target and decodes the body. */
static int
decode_json(const struct wk_http_request *req, struct wk_span target,
    struct wk_api_resp *resp, const struct wk_api_action **act,
    json_t **json, char *action_name, size_t action_sz)
{
	char prefix[WK_API_TARGET_MAX + 1], op[WK_API_TARGET_MAX + 1];
	struct wk_span ct = wk_http_header(req, "Content-Type");
	const uint8_t *dot = NULL;
	json_error_t jerr;
	size_t plen;

	if (target.len == 0 || target.len > WK_API_TARGET_MAX)
		return wk_api_error(resp, 400, "UnknownOperationException",
		    "X-Amz-Target is malformed.");
	for (size_t i = 0; i < target.len; i++)
		if (target.p[i] == '.')
			dot = target.p + i;
	if (dot == NULL)
		return wk_api_error(resp, 400, "UnknownOperationException",
		    "X-Amz-Target is malformed.");
	plen = (size_t)(dot - target.p);
	memcpy(prefix, target.p, plen);
	prefix[plen] = '\0';
	memcpy(op, dot + 1, target.len - plen - 1);
	op[target.len - plen - 1] = '\0';
	if (!is_action_name(op) || strlen(prefix) != plen ||
	    strlen(op) >= action_sz)
		return wk_api_error(resp, 400, "UnknownOperationException",
		    "X-Amz-Target is malformed.");
	memcpy(action_name, op, strlen(op) + 1);
	*act = wk_api_find(wk_json_actions, op, prefix);
	if (*act == NULL || (*act)->protocol != WK_PROTO_JSON)
		return wk_api_error(resp, 400, "UnknownOperationException",
		    "Unknown operation %s.", op);
	if (ct.p != NULL && !wk_span_starts_with(ct, "application/x-amz-json-"))
		return wk_api_error(resp, 400, "SerializationException",
		    "Content-Type must be application/x-amz-json-1.1.");
	if (req->body.len > (*act)->body_max)
		return wk_api_error(resp, 413, "RequestEntityTooLargeException",
		    "Request body is larger than %zu bytes.",
		    (*act)->body_max);
	*json = json_loadb((const char *)req->body.p, req->body.len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (*json == NULL || !json_is_object(*json))
		return wk_api_error(resp, 400, "SerializationException",
		    "The request body is not a JSON object.");
	return 0;
}

/* Decodes the Query form body (or the query string) into params. */
static int
parse_query(const struct wk_http_request *req, struct wk_api_resp *resp,
    struct wk_params *params)
{
	struct wk_span ct = wk_http_header(req, "Content-Type");
	struct wk_span src = req->body;
	char why[64];

	if (src.len == 0)
		src = req->query;
	else if (ct.p == NULL || !wk_span_starts_with(ct,
	    "application/x-www-form-urlencoded"))
		return wk_api_error(resp, 400, "MalformedQueryString",
		    "Content-Type must be "
		    "application/x-www-form-urlencoded.");
	if (wk_params_parse(src, WK_PARAMS_MAX_COUNT, params, why,
	    sizeof(why)) != 0)
		return wk_api_error(resp, 400, "MalformedQueryString",
		    "The query string is malformed: %s.", why);
	return 0;
}

/* Finds the Query action in params (parsed by parse_query). */
static int
decode_query(const struct wk_http_request *req, enum wk_protocol proto,
    struct wk_api_resp *resp, const struct wk_api_action **act,
    const struct wk_params *params, char *action_name, size_t action_sz)
{
	const struct wk_api_action *const *table;
	const char *version, *want, *action;

	switch (proto) {
	case WK_PROTO_QUERY_STS:
		table = wk_sts_actions;
		want = VERSION_STS;
		break;
	case WK_PROTO_QUERY_EC2:
		table = wk_ec2_actions;
		want = VERSION_EC2;
		break;
	default:
		table = wk_iam_actions;
		want = VERSION_IAM;
		break;
	}
	if ((action = wk_params_get(params, "Action")) == NULL)
		return wk_api_error(resp, 400, "MissingAction",
		    "The request is missing an action or a required "
		    "parameter.");
	if (!is_action_name(action))
		return wk_api_error(resp, 400, "InvalidAction",
		    "The action is not valid for this web service.");
	snprintf(action_name, action_sz, "%s", action);
	if ((version = wk_params_get(params, "Version")) == NULL)
		return wk_api_error(resp, 400, "MissingParameter",
		    "The request must contain the parameter Version.");
	*act = wk_api_find(table, action, NULL);
	if (*act == NULL || (*act)->protocol != proto ||
	    strcmp(version, want) != 0) {
		*act = NULL;
		return wk_api_error(resp, 400, "InvalidAction",
		    "Could not find operation %s for version %.32s", action,
		    version);
	}
	if (req->body.len > (*act)->body_max)
		return wk_api_error(resp, 413, "RequestEntityTooLarge",
		    "Request body is larger than %zu bytes.",
		    (*act)->body_max);
	return 0;
}

/*
 * Audits a refused EC2 Instance Connect call whose caller is known but
 * which failed before its handler ran. Returns the store's error: the
 * caller then answers InternalFailure (no unaudited answer).
 */
static int
audit_early_refusal(const struct wk_api_req *areq, struct wk_span target,
    const struct wk_api_resp *resp)
{
	static const char prefix[] = "AWSEC2InstanceConnectService.";
	struct wk_audit_info info;
	char action[WK_API_ACTION_MAX + 64];
	struct wk_span op;

	if (!wk_span_starts_with(target, prefix))
		return 0;
	op = (struct wk_span){ target.p + sizeof(prefix) - 1,
	    target.len - (sizeof(prefix) - 1) };
	if (op.len > WK_API_ACTION_MAX)
		op.len = WK_API_ACTION_MAX;
	snprintf(action, sizeof(action), "ec2-instance-connect:%.*s",
	    WK_SPAN_FMT(op));
	memset(&info, 0, sizeof(info));
	info.action = action;
	info.error_code = resp->error_code;
	return wk_audit_write(areq, &info);
}

/*
 * For an authenticated request: checks the credential scope (wicketd's
 * region; the signing name of the API asked for, known from X-Amz-Target
 * or the Query Version), then finds the action and decodes the body.
 * Sets the reply's protocol, and an error in its shape on refusal.
 */
static int
scope_and_decode(struct wk_server *srv, const struct wk_http_request *req,
    struct wk_span target, const struct wk_auth_info *info,
    enum wk_protocol *proto, struct wk_api_resp *resp,
    const struct wk_api_action **act, json_t **json,
    struct wk_params *params, char *action_name, size_t action_sz)
{
	static const char *const any[] = { NULL };
	const char *const own[] = { info->service, NULL };
	const char *const *services = NULL;
	struct wk_auth_error aerr;
	bool known;
	int r;

	if (*proto != WK_PROTO_JSON) {
		*proto = query_proto(info->service, &known);
		/* The region first: it needs nothing parsed (the scope's own
		 * service, when it is one served here, decides whether the
		 * global endpoints' us-east-1 is taken too). */
		if (wk_auth_check_scope(info, srv->region, known ? own : any,
		    &aerr) != 0)
			goto refuse;
		if ((r = parse_query(req, resp, params)) != 0)
			return r;
		if (!version_proto(wk_params_get(params, "Version"), proto,
		    &services))
			services = known ? own : svc_iam;
	} else {
		services = json_services(target);
	}
	if (wk_auth_check_scope(info, srv->region, services != NULL ?
	    services : any, &aerr) != 0)
		goto refuse;
	if (*proto == WK_PROTO_JSON)
		return decode_json(req, target, resp, act, json, action_name,
		    action_sz);
	return decode_query(req, *proto, resp, act, params, action_name,
	    action_sz);
 refuse:
	wk_log_auth(WK_LOG_INFO, "auth", "outcome=bad_scope service=%s "
	    "region=%s source_ip=%s", info->service, info->region,
	    req->source_ip != NULL ? req->source_ip : "-");
	return wk_auth_error_set(resp, *proto, &aerr);
}

/*
 * One API request from its arrival to its answer. On the heap so that a
 * handler may answer later (WK_API_LATER: the group commit of its audit
 * event); `base` first, so the answer callback finds the rest.
 */
struct api_call {
	struct wk_api_call base;
	struct wk_server *srv;
	struct wk_http_conn *c;		/* NULL once the client went away */
	uint64_t t0;
	struct wk_api_resp resp;
	struct wk_params params;
	struct wk_caller caller;
	struct wk_api_req areq;
	const struct wk_api_action *act;
	enum wk_protocol proto;
	json_t *json;
	bool authed;
	char rid[37];
	char source_ip[WK_HTTP_IP_TEXT_MAX + 16];
	char action_name[WK_API_ACTION_MAX + 1];
};

/* Renders the answer, sends it (unless the client left) and frees k. */
static void
reply(struct api_call *k)
{
	struct wk_buf body, headers;
	const char *ctype = "text/xml";
	int r;

	wk_buf_init(&body, WK_API_XML_MAX + 4096);
	wk_buf_init(&headers, 4096);
	if ((r = wk_api_render(k->proto, k->act != NULL ? k->act->name : NULL,
	    k->rid, &k->resp, &body, &ctype, &headers)) != 0) {
		wk_log(WK_LOG_ERROR, "api_render", "request_id=%s error=%s",
		    k->rid, wk_strerror(r));
		wk_buf_reset(&body);
		wk_buf_reset(&headers);
		memset(&k->resp.error_code, 0, sizeof(k->resp.error_code));
		internal_error(k->proto, &k->resp);
		wk_buf_appendf(&headers, "x-amzn-RequestId: %s\r\n", k->rid);
		if (k->proto == WK_PROTO_JSON)
			wk_buf_append_str(&body, "{\"__type\":\"InternalFailure\""
			    ",\"message\":\"internal error\"}");
	}
	if (k->resp.error_code[0] == '\0')
		k->resp.status = 200;
	if (k->c != NULL)
		wk_http_respond(k->c, k->resp.status, ctype,
		    wk_buf_span(&body), wk_buf_cstr(&headers));
	wk_metrics_request(k->action_name, k->resp.status, mono_us() - k->t0);
	/* a server-side failure is an error: repeats collapse (log.h) */
	wk_log(k->resp.status >= 500 ? WK_LOG_ERROR : WK_LOG_INFO, "api",
	    "request_id=%s caller=%s action=%s status=%u error=%s "
	    "source_ip=%s duration_us=%llu%s", k->rid,
	    k->authed ? k->caller.user.arn : "-", k->action_name,
	    k->resp.status, k->resp.error_code[0] != '\0' ?
	    k->resp.error_code : "-", k->source_ip[0] != '\0' ?
	    k->source_ip : "-", (unsigned long long)(mono_us() - k->t0),
	    k->c == NULL ? " client=gone" : "");
	wk_explicit_bzero(&k->caller, sizeof(k->caller));
	wk_params_free(&k->params);
	json_decref(k->json);
	json_decref(k->resp.json);
	wk_buf_cleanup(&k->resp.xml);
	wk_buf_cleanup(&body);
	wk_buf_cleanup(&headers);
	wk_free(k);
}

/* The handler's deferred answer (WK_API_LATER). */
static void
answer_later(struct wk_api_call *call)
{
	struct api_call *k = (struct api_call *)call;

	if (k->resp.error_code[0] != '\0' && k->resp.status < 400)
		k->resp.status = 400;
	reply(k);
}

/* The client went away while its answer was pending. */
static void
client_gone(void *arg)
{
	struct api_call *k = arg;

	k->c = NULL;
}

/* Bounds a held API request: the group commit answers in milliseconds. */
#define WK_API_LATER_TIMEOUT_MS 60000

void
wk_api_dispatch(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct api_call *k;
	struct wk_auth_info info;
	struct wk_auth_error aerr;
	struct wk_span target;
	char service[32];
	int r;

	if ((k = wk_calloc(1, sizeof(*k))) == NULL) {
		wk_http_respond(c, 503, "text/plain; charset=utf-8",
		    wk_span_from_cstr("out of memory\n"), NULL);
		return;
	}
	k->base.answer = answer_later;
	k->srv = srv;
	k->c = c;
	k->t0 = mono_us();
	snprintf(k->action_name, sizeof(k->action_name), "-");
	snprintf(k->source_ip, sizeof(k->source_ip), "%s",
	    req->source_ip != NULL ? req->source_ip : "");
	wk_buf_init(&k->resp.xml, WK_API_XML_MAX);
	if (wk_random_uuid(k->rid) != 0)
		snprintf(k->rid, sizeof(k->rid),
		    "00000000-0000-4000-8000-%012llx",
		    (unsigned long long)k->t0);

	target = wk_http_header(req, "X-Amz-Target");
	if (target.p != NULL) {
		k->proto = WK_PROTO_JSON;
	} else {
		bool known;

		wk_auth_peek_service(req, service, sizeof(service));
		k->proto = query_proto(service, &known);
	}

	(void)wk_store_unavailable_take();
	/* arms the identity read cache (auth.h) once it gets to the key; it
	 * stays armed until the handler returns */
	r = wk_auth_request(srv->store, req, wk_wall_now(), &k->caller, &info,
	    &aerr);
	if (r != 0) {
		wk_auth_error_set(&k->resp, k->proto, &aerr);
		goto reply;
	}
	k->authed = true;
	r = scope_and_decode(srv, req, target, &info, &k->proto, &k->resp,
	    &k->act, &k->json, &k->params, k->action_name,
	    sizeof(k->action_name));
	k->areq.srv = srv;
	k->areq.caller = &k->caller;
	k->areq.request_id = k->rid;
	k->areq.source_ip = k->source_ip[0] != '\0' ? k->source_ip : NULL;
	k->areq.secure = req->secure;
	k->areq.now = wk_wall_now();
	k->areq.via = "api";
	if (r != 0) {
		k->act = NULL;
		/* A known caller's refused key push is audited like any other,
		 * even when it never reached the action (bad JSON, unknown
		 * operation, body over the cap). */
		if (k->proto == WK_PROTO_JSON && audit_early_refusal(&k->areq,
		    target, &k->resp) != 0)
			internal_error(k->proto, &k->resp);
		goto reply;
	}

	k->areq.params = k->proto == WK_PROTO_JSON ? NULL : &k->params;
	k->areq.json = k->json;
	k->areq.call = &k->base;
	wk_api_set_current(&k->areq, k->proto);
	r = k->act->handle(&k->areq, &k->resp);
	wk_readcache_end();
	wk_api_set_current(NULL, k->proto);
	if (r == WK_API_LATER) {
		/* answered by answer_later once the handler's work is done
		 * (never from inside the handler) */
		if (wk_http_suspend(c, WK_API_LATER_TIMEOUT_MS, NULL,
		    client_gone, k) != 0) {
			/* cannot hold it: this client hears a failure now,
			 * the handler still finishes with k */
			k->c = NULL;
			wk_http_respond(c, 503, "text/plain; charset=utf-8",
			    wk_span_from_cstr("out of memory\n"), NULL);
		}
		return;
	}
	if (r != 0 && k->resp.error_code[0] == '\0') {
		wk_log(WK_LOG_ERROR, "api_handler", "request_id=%s action=%s "
		    "error=%s", k->rid, k->act->name, wk_strerror(r));
		internal_error(k->proto, &k->resp);
	}
	if (k->resp.error_code[0] != '\0' && k->resp.status < 400)
		k->resp.status = 400;
 reply:
	wk_readcache_end();
	if (wk_store_unavailable_take() && k->resp.error_code[0] != '\0')
		unavailable_error(&k->resp);
	reply(k);
}
