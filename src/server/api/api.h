/*
 * api.h - the AWS-compatible API layer. The HTTP front hands every
 * POST / to wk_api_dispatch (routes/api_dispatch.c), which:
 *   1. authenticates SigV4 (auth/) and loads the caller (user + key),
 *   2. decodes the protocol: Query (form body: Action=...&Version=...) for
 *      IAM/STS/EC2, or JSON 1.1 (X-Amz-Target: Service.Operation),
 *   3. finds the action in the services' tables (routes/routes.h) and
 *      checks the body cap,
 *   4. calls its handler, which authorizes with wk_api_authorize (the
 *      same policy engine for every action) and fills the response,
 *   5. writes the response in the protocol's shape (XML / JSON; errors in
 *      AWS's error shape for that protocol).
 * Each action lives in its own file (e.g. iam_create_user.c) and exports
 * one `const struct wk_api_action`.
 */
#ifndef WK_SERVER_API_H
#define WK_SERVER_API_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "common/buf.h"
#include "iam/policy.h"
#include "server/server.h"
#include "store/store.h"
#include "server/http/http.h"

enum wk_protocol {
	WK_PROTO_QUERY_IAM,	/* XML, xmlns https://iam.amazonaws.com/doc/2010-05-08/ */
	WK_PROTO_QUERY_STS,	/* XML, xmlns https://sts.amazonaws.com/doc/2011-06-15/ */
	WK_PROTO_QUERY_EC2,	/* XML, xmlns http://ec2.amazonaws.com/doc/2016-11-15/ */
	WK_PROTO_JSON,		/* application/x-amz-json-1.1 */
};

/* Decoded Query parameters, in request order. */
struct wk_param {
	char *name;
	char *value;
};
struct wk_params {
	struct wk_param *v;
	size_t n;
};
/* The value of a parameter, or NULL when absent. */
const char *wk_params_get(const struct wk_params *p, const char *name);

/* The authenticated caller. */
struct wk_caller {
	struct wk_user user;
	char access_key_id[33];
};

struct wk_api_req {
	struct wk_server *srv;
	const struct wk_caller *caller;
	const char *request_id;		/* UUID, also in the response */
	const char *source_ip;
	bool secure;
	time_t now;
	const char *via;		/* "api" or "console" (for audit) */
	const struct wk_params *params;	/* Query protocols, else NULL */
	json_t *json;			/* JSON protocol (object), else NULL */
	/*
	 * Set by the dispatcher when the handler may answer later (NULL: it
	 * must answer before it returns; unit tests, the console): see
	 * WK_API_LATER.
	 */
	struct wk_api_call *call;
};

/*
 * An answer given later (group commit: the caller is answered once its
 * audit event is on disk). A handler that has req->call returns
 * WK_API_LATER; from then on req, resp and everything they point to stay
 * valid until the handler fills resp (as it would have before returning)
 * and calls wk_api_answer_later(req) exactly once, from the event loop.
 * Meanwhile the HTTP request is suspended (wk_http_suspend); if the
 * client goes away, the answer is rendered and dropped.
 */
#define WK_API_LATER 1
struct wk_api_call {
	void (*answer)(struct wk_api_call *call);	/* the dispatcher's */
};
static inline void
wk_api_answer_later(const struct wk_api_req *req)
{
	req->call->answer(req->call);
}

struct wk_api_resp {
	unsigned status;		/* 200 unless an error is set */
	/*
	 * Success: the handler writes the Result's inner XML (Query) — the
	 * elements inside <ActionResult> — or sets `json` (JSON protocol).
	 * The dispatcher adds the envelope and ResponseMetadata/RequestId.
	 */
	struct wk_buf xml;
	json_t *json;
	/* Error: set with wk_api_error; the dispatcher writes the shape. */
	char error_code[64];
	char error_message[1024];
	bool sender_fault;		/* Type Sender vs Receiver */
	/* JSON errors: the message member's name as the service's model
	 * spells it; NULL = "message" (EC2 Instance Connect: "Message"). */
	const char *json_message_member;
};

/* Sets an error: HTTP status, AWS error code and message. Returns WK_ERR_INVAL. */
int wk_api_error(struct wk_api_resp *resp, unsigned status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Authorizes the caller for `action` on `resource` through the policy
 * engine, with the standard context keys (aws:username, aws:userid,
 * aws:PrincipalArn, aws:SourceIp, aws:CurrentTime, aws:EpochTime,
 * aws:SecureTransport, aws:RequestedRegion, aws:PrincipalTag/...), the
 * keys the action's row of the condition-key table lists, from the
 * request's parameters and the resource (wk_authz_request_context in
 * authz.h: aws:RequestTag/..., aws:TagKeys, iam:PolicyARN,
 * aws:ResourceTag/..., ...), plus `extra` (may be NULL; e.g.
 * ec2:osuser). On deny sets the protocol's
 * access-denied error (AccessDenied / UnauthorizedOperation / given code)
 * and returns WK_ERR_DENIED; `detail` (may be NULL) receives the decision.
 * deny_code NULL means the protocol's default.
 */
int wk_api_authorize(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char *resource, const struct wk_ctx *extra,
    const char *deny_code, struct wk_decision_detail *detail);

/*
 * wk_api_authorize's decision alone: nothing is set in a response. A
 * failure (NOMEM, STORE, a stored policy that no longer parses) returns
 * its error with detail an implicit deny: fail closed.
 */
int wk_api_decide(const struct wk_api_req *req, const char *action,
    const char *resource, const struct wk_ctx *extra,
    struct wk_decision_detail *detail);

/*
 * *out: whether some Allow statement of the caller's policies names
 * `action`, whatever its resource and conditions (wk_policy_may_allow).
 * false: the caller may do it on no resource at all.
 */
int wk_api_may_allow(const struct wk_api_req *req, const char *action,
    bool *out);

/* The protocol's access-denied error, as wk_api_authorize sets it. */
void wk_api_deny_error(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char *resource, const char *deny_code,
    enum wk_decision d);

struct wk_api_action {
	const char *name;	/* Query Action, or JSON operation name */
	enum wk_protocol protocol;
	/* JSON: the X-Amz-Target prefix, e.g. "AWSEC2InstanceConnectService" */
	const char *target_prefix;
	size_t body_max;	/* bytes */
	/* Returns 0 on success, or negative after setting an error (or
	 * WK_ERR_NOMEM/STORE: the dispatcher answers InternalFailure/ServiceFailure),
	 * or WK_API_LATER (only when req->call is set; see above). */
	int (*handle)(const struct wk_api_req *req, struct wk_api_resp *resp);
};

/* ---- the XML writer for Query replies (escaping; no parser) ---- */
int wk_xml_open(struct wk_buf *b, const char *tag);	/* <tag> */
int wk_xml_close(struct wk_buf *b, const char *tag);	/* </tag> */
/* <tag>escaped text</tag> */
int wk_xml_text(struct wk_buf *b, const char *tag, const char *text);
int wk_xml_time(struct wk_buf *b, const char *tag, time_t t);	/* ISO 8601 Z */
int wk_xml_int(struct wk_buf *b, const char *tag, long long v);
int wk_xml_bool(struct wk_buf *b, const char *tag, bool v);
/* Escapes & < > " ' for element text and attribute values. */
int wk_xml_escape(struct wk_buf *b, const char *text);

/* ---- for the dispatcher (routes/api_dispatch.c) ---- */
/* Ceilings of the Query form body parser. */
#define WK_PARAMS_MAX_COUNT 1000	/* parameters per request */
#define WK_PARAMS_MAX_NAME 256		/* bytes of a decoded name */

/* ---- api_params.c ---- */
/*
 * Parses an application/x-www-form-urlencoded body ("a=1&b=x+y%21") into
 * decoded parameters, in order. Refuses (WK_ERR_INVAL) bad escapes, NUL
 * bytes, invalid UTF-8, empty or over-long names and duplicate names (a
 * duplicate could be read one way by authorization and another way by the
 * handler); more than max_count parameters is WK_ERR_TOOBIG. Empty
 * segments ("a=1&&b=2") are skipped; "name" alone means value "".
 * On error *out is empty; `why` (may be NULL) receives a short reason.
 */
int wk_params_parse(struct wk_span body, size_t max_count,
    struct wk_params *out, char *why, size_t whysz);
void wk_params_free(struct wk_params *p);	/* NULL-safe, reusable */

/* ---- api.c ---- */
/* The protocol of the request being dispatched (for wk_api_authorize):
 * known while a handler runs; otherwise guessed from req. */
enum wk_protocol wk_api_req_protocol(const struct wk_api_req *req);
/* Sets the request being dispatched (NULL: none); the dispatcher's. */
void wk_api_set_current(const struct wk_api_req *req, enum wk_protocol proto);

/* Finds an action in a NULL-terminated table (exact, case-sensitive). */
const struct wk_api_action *wk_api_find(const struct wk_api_action *const *t,
    const char *name, const char *target_prefix);

/*
 * Renders a finished response in the protocol's shape into body (and the
 * content type / extra headers). Exposed for tests.
 */
int wk_api_render(enum wk_protocol proto, const char *action,
    const char *request_id, const struct wk_api_resp *resp,
    struct wk_buf *body, const char **content_type, struct wk_buf *headers);

#endif
