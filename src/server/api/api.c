/*
 * api.c - what every AWS-compatible action shares: errors, action lookup,
 * the protocol of the running request, and every reply in the protocol's
 * AWS shape (Query XML for IAM/STS/EC2, JSON 1.1). The dispatcher that
 * uses them is routes/api_dispatch.c.
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
#include "server/api/api_int.h"

#define NS_IAM "https://iam.amazonaws.com/doc/2010-05-08/"
#define NS_STS "https://sts.amazonaws.com/doc/2011-06-15/"
#define NS_EC2 "http://ec2.amazonaws.com/doc/2016-11-15/"

/* The request a handler is running for (one thread: no locks). */
static const struct wk_api_req *cur_req;
static enum wk_protocol cur_proto;

enum wk_protocol
wk_api_req_protocol(const struct wk_api_req *req)
{
	if (req != NULL && req == cur_req)
		return cur_proto;
	return req != NULL && req->json != NULL ? WK_PROTO_JSON :
	    WK_PROTO_QUERY_IAM;
}

void
wk_api_set_current(const struct wk_api_req *req, enum wk_protocol proto)
{
	cur_req = req;
	cur_proto = proto;
}

int
wk_api_error(struct wk_api_resp *resp, unsigned status, const char *code,
    const char *fmt, ...)
{
	va_list ap;

	resp->status = status >= 400 ? status : 400;
	snprintf(resp->error_code, sizeof(resp->error_code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(resp->error_message, sizeof(resp->error_message), fmt, ap);
	va_end(ap);
	resp->sender_fault = resp->status < 500;
	return WK_ERR_INVAL;
}

const struct wk_api_action *
wk_api_find(const struct wk_api_action *const *t, const char *name,
    const char *target_prefix)
{
	if (t == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; t[i] != NULL; i++) {
		if (strcmp(t[i]->name, name) != 0)
			continue;
		if (target_prefix != NULL && (t[i]->target_prefix == NULL ||
		    strcmp(t[i]->target_prefix, target_prefix) != 0))
			continue;
		return t[i];
	}
	return NULL;
}

static const char *
proto_ns(enum wk_protocol p)
{
	switch (p) {
	case WK_PROTO_QUERY_STS: return NS_STS;
	case WK_PROTO_QUERY_EC2: return NS_EC2;
	default: return NS_IAM;
	}
}

static int
render_query_error(enum wk_protocol proto, const char *request_id,
    const struct wk_api_resp *resp, struct wk_buf *b)
{
	int r;

	if (proto == WK_PROTO_QUERY_EC2) {
		if ((r = wk_buf_append_str(b, "<?xml version=\"1.0\" "
		    "encoding=\"UTF-8\"?>\n<Response><Errors><Error>")) != 0 ||
		    (r = wk_xml_text(b, "Code", resp->error_code)) != 0 ||
		    (r = wk_xml_text(b, "Message", resp->error_message)) != 0 ||
		    (r = wk_buf_append_str(b, "</Error></Errors>")) != 0 ||
		    (r = wk_xml_text(b, "RequestID", request_id)) != 0)
			return r;
		return wk_buf_append_str(b, "</Response>");
	}
	if ((r = wk_buf_appendf(b, "<ErrorResponse xmlns=\"%s\"><Error>",
	    proto_ns(proto))) != 0 ||
	    (r = wk_xml_text(b, "Type", resp->sender_fault ? "Sender" :
	    "Receiver")) != 0 ||
	    (r = wk_xml_text(b, "Code", resp->error_code)) != 0 ||
	    (r = wk_xml_text(b, "Message", resp->error_message)) != 0 ||
	    (r = wk_buf_append_str(b, "</Error>")) != 0 ||
	    (r = wk_xml_text(b, "RequestId", request_id)) != 0)
		return r;
	return wk_buf_append_str(b, "</ErrorResponse>");
}

static int
render_query_ok(enum wk_protocol proto, const char *action,
    const char *request_id, const struct wk_api_resp *resp, struct wk_buf *b)
{
	int r;

	if ((r = wk_buf_appendf(b, "<%sResponse xmlns=\"%s\">", action,
	    proto_ns(proto))) != 0)
		return r;
	if (proto == WK_PROTO_QUERY_EC2) {
		if ((r = wk_xml_text(b, "requestId", request_id)) != 0 ||
		    (r = wk_buf_append_span(b, wk_buf_span(&resp->xml))) != 0)
			return r;
	} else {
		if (resp->xml.len > 0 &&
		    ((r = wk_buf_appendf(b, "<%sResult>", action)) != 0 ||
		    (r = wk_buf_append_span(b, wk_buf_span(&resp->xml))) != 0 ||
		    (r = wk_buf_appendf(b, "</%sResult>", action)) != 0))
			return r;
		if ((r = wk_buf_append_str(b, "<ResponseMetadata>")) != 0 ||
		    (r = wk_xml_text(b, "RequestId", request_id)) != 0 ||
		    (r = wk_buf_append_str(b, "</ResponseMetadata>")) != 0)
			return r;
	}
	return wk_buf_appendf(b, "</%sResponse>", action);
}

static int
render_json(const struct wk_api_resp *resp, struct wk_buf *body,
    struct wk_buf *headers)
{
	json_t *o = NULL;
	char *s = NULL;
	int r;

	if (resp->error_code[0] != '\0') {
		if ((r = wk_buf_appendf(headers, "x-amzn-ErrorType: %s\r\n",
		    resp->error_code)) != 0)
			return r;
		o = json_pack("{s:s, s:s}", "__type", resp->error_code,
		    resp->json_message_member != NULL ?
		    resp->json_message_member : "message",
		    resp->error_message);
		if (o == NULL)
			return WK_ERR_NOMEM;
		s = json_dumps(o, JSON_COMPACT);
	} else if (resp->json != NULL) {
		s = json_dumps(resp->json, JSON_COMPACT);
	} else {
		return wk_buf_append_str(body, "{}");
	}
	r = s != NULL ? wk_buf_append_str(body, s) : WK_ERR_NOMEM;
	free(s);	/* jansson's allocator */
	json_decref(o);
	return r;
}

int
wk_api_render(enum wk_protocol proto, const char *action,
    const char *request_id, const struct wk_api_resp *resp,
    struct wk_buf *body, const char **content_type, struct wk_buf *headers)
{
	int r;

	if ((r = wk_buf_appendf(headers, "x-amzn-RequestId: %s\r\n",
	    request_id)) != 0)
		return r;
	if (proto == WK_PROTO_JSON) {
		*content_type = "application/x-amz-json-1.1";
		return render_json(resp, body, headers);
	}
	*content_type = "text/xml";
	if (resp->error_code[0] != '\0' || action == NULL)
		return render_query_error(proto, request_id, resp, body);
	return render_query_ok(proto, action, request_id, resp, body);
}
