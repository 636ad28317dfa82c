/*
 * console_recordings_http.c - the console's pages of recorded terminals,
 * as the signed-in user may see them (console_recordings.c decides, as
 * for the JSON API):
 *   GET /console/api/recordings       {"recordings": [{"id", "start",
 *       "user", "callerArn", "instanceId", "osUser", "sourceIp", "size"}]}
 *   GET /console/api/recording?id=ID  the asciicast v2 text (the player
 *       fetches it), Content-Type application/x-asciicast
 * A caller not allowed gets 403 {"code": "AccessDenied"} and nothing else.
 */
#include <jansson.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/rand.h"
#include "common/time.h"
#include "common/alloc.h"
#include "server/api/api.h"
#include "server/console/console_int.h"
#include "server/server.h"

/* The signed-in user as an API caller; false (answered) when none. */
static bool
as_user(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req, struct wk_caller *caller,
    struct wk_api_req *areq, char rid[static 37])
{
	struct wk_console_session sess, *s = &sess;
	bool in;

	in = wk_console_session_live(srv, req, wk_wall_ms(), s) == 0 &&
	    wk_console_caller_load(srv, s->user, s->user_id, NULL,
	    caller) == 0;
	wk_explicit_bzero(&sess, sizeof(sess));
	if (!in) {
		wk_console_error(c, 401, "NotSignedIn", "Sign in first.");
		return false;
	}
	if (wk_random_uuid(rid) != 0) {
		wk_console_error(c, 500, "InternalError", "internal error");
		return false;
	}
	memset(areq, 0, sizeof(*areq));
	areq->srv = srv;
	areq->caller = caller;
	areq->request_id = rid;
	areq->source_ip = req->source_ip;
	areq->secure = req->secure;
	areq->now = wk_wall_now();
	areq->via = "console";
	return true;
}

/* resp's error as the console answers errors. */
static void
answer_error(struct wk_http_conn *c, const struct wk_api_resp *resp)
{
	if (resp->status == 403 || strstr(resp->error_code, "AccessDenied") !=
	    NULL)
		wk_console_error(c, 403, "AccessDenied", resp->error_message);
	else
		wk_console_error(c, resp->status >= 400 ? resp->status : 500,
		    resp->error_code[0] != '\0' ? resp->error_code :
		    "InternalError", resp->error_message[0] != '\0' ?
		    resp->error_message : "internal error");
}

void
wk_console_recordings(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct wk_caller caller;
	struct wk_api_req areq;
	struct wk_api_resp resp;
	struct wk_recording_info *v = NULL;
	size_t n = 0;
	char rid[37];
	json_t *arr = NULL, *o;

	memset(&resp, 0, sizeof(resp));
	wk_buf_init(&resp.xml, 0);
	if (!as_user(srv, c, req, &caller, &areq, rid))
		goto out;
	if (wk_recordings_api_list(&areq, &resp, NULL, &v, &n) != 0) {
		answer_error(c, &resp);
		goto out;
	}
	if ((arr = json_array()) == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		char when[21];

		wk_time_iso8601((time_t)v[i].start_s, when);
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}",
		    "id", v[i].id, "start", when, "user", v[i].user,
		    "callerArn", v[i].caller_arn, "instanceId",
		    v[i].instance_id, "osUser", v[i].os_user,
		    "sourceIp", v[i].source_ip, "size", (json_int_t)v[i].size);
		if (o == NULL || json_array_append_new(arr, o) != 0)
			goto fail;
	}
	wk_console_json(c, 200, json_pack("{s:o}", "recordings", arr), NULL);
	arr = NULL;
	goto out;
 fail:
	wk_console_error(c, 500, "InternalError", "internal error");
 out:
	json_decref(arr);
	json_decref(resp.json);
	wk_buf_cleanup(&resp.xml);
	wk_free(v);
	wk_explicit_bzero(&caller, sizeof(caller));
}

void
wk_console_recording(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct wk_caller caller;
	struct wk_api_req areq;
	struct wk_api_resp resp;
	struct wk_buf text, h;
	char rid[37], id[WK_RECORDING_ID_LEN + 2];
	int r;

	memset(&resp, 0, sizeof(resp));
	wk_buf_init(&resp.xml, 0);
	wk_buf_init(&text, WK_RECORDING_READ_MAX + 1);
	wk_buf_init(&h, 4096);
	if (!as_user(srv, c, req, &caller, &areq, rid))
		goto out;
	/* a missing or over-long id is no id: refused after authorization */
	r = wk_console_query_get(req->query, "id", id, sizeof(id));
	if (wk_recordings_api_get(&areq, &resp, r == 0 ? id : NULL,
	    &text) != 0) {
		answer_error(c, &resp);
		goto out;
	}
	if (wk_buf_append_str(&h, wk_console_sec_headers) != 0 ||
	    wk_buf_append_str(&h, "Content-Disposition: inline\r\n") != 0) {
		wk_console_error(c, 500, "InternalError", "internal error");
		goto out;
	}
	wk_http_respond(c, 200, "application/x-asciicast", wk_buf_span(&text),
	    wk_buf_cstr(&h));
 out:
	json_decref(resp.json);
	wk_buf_cleanup(&resp.xml);
	wk_buf_cleanup(&text);
	wk_buf_cleanup(&h);
	wk_explicit_bzero(&caller, sizeof(caller));
}
