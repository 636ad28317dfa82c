/*
 * console_instances.c - GET /console/api/instances: the registry as the
 * signed-in user may see it, decided as EC2 DescribeInstances decides it
 * (once, ec2:DescribeInstances on "*", through the same policy engine as
 * the API; without it the list is empty):
 *   {"instances": [{"id", "name", "hostname", "address", "sshPort",
 *                   "online", "osUser"}]}
 */
#include <jansson.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/rand.h"
#include "common/time.h"
#include "server/api/api.h"
#include "server/audit/audit.h"
#include "server/console/console_int.h"
#include "server/ec2/ec2.h"
#include "server/server.h"

#define OS_USER_TAG "wicket:os-user"
#define DEFAULT_OS_USER "ubuntu"

int
wk_console_caller_load(struct wk_server *srv, const char *user,
    const char *user_id, const uint8_t *pw_tag, struct wk_caller *out)
{
	struct wk_login_profile lp;
	uint8_t tag[WK_CONSOLE_PW_TAG_LEN];
	int r;

	memset(out, 0, sizeof(*out));
	memset(&lp, 0, sizeof(lp));
	if ((r = wk_store_user_get(srv->store, user, &out->user)) != 0)
		goto out;
	/* another user of the same name (deleted and re-created) */
	if (user_id == NULL || strcmp(out->user.id, user_id) != 0) {
		r = WK_ERR_DENIED;
		goto out;
	}
	if (pw_tag == NULL)
		goto out;
	/* the login profile deleted, or the password changed */
	if ((r = wk_store_login_profile_get(srv->store, out->user.name,
	    &lp)) != 0) {
		if (r == WK_ERR_NOTFOUND)
			r = WK_ERR_DENIED;
		goto out;
	}
	wk_console_pw_tag(lp.password_hash, tag);
	if (!wk_span_ct_eq(wk_span_from_mem(tag, sizeof(tag)),
	    wk_span_from_mem(pw_tag, WK_CONSOLE_PW_TAG_LEN)))
		r = WK_ERR_DENIED;
 out:
	if (r != 0)
		memset(out, 0, sizeof(*out));
	wk_explicit_bzero(&lp, sizeof(lp));
	wk_explicit_bzero(tag, sizeof(tag));
	return r;
}

int
wk_console_session_live(struct wk_server *srv,
    const struct wk_http_request *req, int64_t now_ms,
    struct wk_console_session *out)
{
	struct wk_caller caller;
	int r;

	if ((r = wk_console_session_of(srv->store, req, now_ms, out)) != 0) {
		if (r != WK_ERR_NOTFOUND)
			wk_log(WK_LOG_ERROR, "console_session",
			    "source_ip=%s error=%s", req->source_ip,
			    wk_strerror(r));
		return r;
	}
	r = wk_console_caller_load(srv, out->user, out->user_id, out->pw_tag,
	    &caller);
	wk_explicit_bzero(&caller, sizeof(caller));
	if (r == 0)
		return 0;
	if (r == WK_ERR_NOTFOUND || r == WK_ERR_DENIED) {
		wk_log_auth(WK_LOG_INFO, "console_session", "user=%s "
		    "source_ip=%s outcome=ended reason=%s", out->user,
		    req->source_ip, r == WK_ERR_NOTFOUND ? "user_gone" :
		    "credentials_changed");
		wk_console_session_destroy(srv->store, out);
		r = WK_ERR_DENIED;
	} else {
		wk_log(WK_LOG_ERROR, "console_session", "user=%s error=%s",
		    out->user, wk_strerror(r));
	}
	wk_explicit_bzero(out, sizeof(*out));
	return r;
}

int
wk_console_push_throttle_key(const char *user_id, char *out, size_t outsz)
{
	int n;

	if (user_id == NULL || user_id[0] == '\0')
		return WK_ERR_INVAL;
	/* "console:" cannot be the start of an access key id (AKIA.../
	 * ASIA...), so the console's buckets never meet the API's */
	n = snprintf(out, outsz, "console:%s", user_id);
	return n < 0 || (size_t)n >= outsz ? WK_ERR_TOOBIG : 0;
}

const char *
wk_console_default_os_user(const struct wk_tag *tags, size_t ntags)
{
	for (size_t i = 0; i < ntags; i++)
		if (strcmp(tags[i].key, OS_USER_TAG) == 0 &&
		    wk_ec2ic_valid_os_user(tags[i].value))
			return tags[i].value;
	return DEFAULT_OS_USER;
}

static const char *
name_tag(const struct wk_tag *tags, size_t ntags)
{
	for (size_t i = 0; i < ntags; i++)
		if (strcmp(tags[i].key, "Name") == 0)
			return tags[i].value;
	return "";
}

/*
 * The open sessions (docs/sessions.md) the caller may list, decided as
 * for ListSessions (wk_sessions_visible): an array, or JSON null when the
 * caller may list on no instance (the page then shows no sessions
 * section). NULL on failure.
 */
static json_t *
open_sessions(const struct wk_api_req *areq)
{
	struct wk_api_resp resp;
	struct wk_session_filter f;
	struct wk_session *ss = NULL;
	char when[21];
	size_t n = 0, i;
	json_t *arr = NULL, *o;
	int r;

	memset(&resp, 0, sizeof(resp));
	wk_buf_init(&resp.xml, 0);
	memset(&f, 0, sizeof(f));
	f.max_items = 200;
	r = wk_sessions_visible(areq, &resp, &f, &ss, &n);
	json_decref(resp.json);
	wk_buf_cleanup(&resp.xml);
	if (r == WK_ERR_DENIED)
		return json_null();
	if (r != 0 || (arr = json_array()) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		wk_time_iso8601((time_t)(ss[i].opened_ms / 1000), when);
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		    "sessionId", ss[i].session_id,
		    "instanceId", ss[i].instance_id,
		    "osUser", ss[i].os_user, "callerArn", ss[i].caller_arn,
		    "source", ss[i].source_ip, "tty", ss[i].tty,
		    "openedAt", when);
		if (o == NULL || json_array_append_new(arr, o) != 0)
			goto fail;
	}
	wk_store_free(ss);
	return arr;
 fail:
	json_decref(arr);
	wk_store_free(ss);
	return NULL;
}

void
wk_console_instances(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct wk_console_session sess, *s = &sess;
	struct wk_caller caller;
	struct wk_api_req areq;
	struct wk_api_resp resp;
	struct wk_instance_view *views = NULL;
	struct wk_ec2_describe_query q;
	size_t n = 0;
	bool more = false;
	char rid[37];
	json_t *arr = NULL, *o;
	int r;

	memset(&resp, 0, sizeof(resp));
	wk_buf_init(&resp.xml, 0);
	if (wk_console_session_live(srv, req, wk_wall_ms(), s) != 0 ||
	    wk_console_caller_load(srv, s->user, s->user_id, NULL,
	    &caller) != 0) {
		wk_console_error(c, 401, "NotSignedIn", "Sign in first.");
		goto out;
	}
	if (wk_random_uuid(rid) != 0) {
		wk_console_error(c, 500, "InternalError", "internal error");
		goto out;
	}
	memset(&areq, 0, sizeof(areq));
	areq.srv = srv;
	areq.caller = &caller;
	areq.request_id = rid;
	areq.source_ip = req->source_ip;
	areq.secure = req->secure;
	areq.now = wk_wall_now();
	areq.via = "console";
	memset(&q, 0, sizeof(q));
	r = wk_ec2_describe_authorize(&areq, &resp);
	if (r == 0)
		r = wk_ec2_describe_list(&areq, &resp, &q, &views, &n, &more);
	else if (r == WK_ERR_DENIED)
		r = 0;		/* nothing to show */
	if (r != 0 || (arr = json_array()) == NULL) {
		wk_log(WK_LOG_ERROR, "console_instances", "user=%s error=%s",
		    s->user, wk_strerror(r));
		wk_console_error(c, 500, "InternalError",
		    "Cannot list the instances now.");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:b, s:s}",
		    "id", views[i].inst.id,
		    "name", name_tag(views[i].tags, views[i].ntags),
		    "hostname", views[i].inst.hostname,
		    "address", views[i].inst.address,
		    "sshPort", views[i].inst.ssh_port,
		    "online", views[i].online ? 1 : 0,
		    "osUser", wk_console_default_os_user(views[i].tags,
		    views[i].ntags));
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			wk_console_error(c, 500, "InternalError",
			    "internal error");
			goto out;
		}
	}
	if ((o = open_sessions(&areq)) == NULL) {
		wk_log(WK_LOG_ERROR, "console_sessions", "user=%s", s->user);
		o = json_null();	/* the instances still show */
	}
	wk_console_json(c, 200, json_pack("{s:o, s:o}", "instances", arr,
	    "sessions", o), NULL);
	arr = NULL;
 out:
	wk_explicit_bzero(&sess, sizeof(sess));
	json_decref(arr);
	json_decref(resp.json);
	wk_buf_cleanup(&resp.xml);
	wk_ec2_instance_views_free(views, n);
}
