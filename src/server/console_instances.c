/*
 * console_instances.c - GET /console/api/instances: the instances the
 * signed-in user may see, decided per instance by ec2:DescribeInstances
 * through the same policy engine as the API (wk_ec2_instances_visible):
 *   {"instances": [{"id", "name", "hostname", "address", "sshPort",
 *                   "online", "osUser"}]}
 */
#include <jansson.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/rand.h"
#include "common/time.h"
#include "server/api.h"
#include "server/console_int.h"
#include "server/ec2ic_int.h"
#include "server/server.h"

#define OS_USER_TAG "wicket:os-user"
#define DEFAULT_OS_USER "ubuntu"

int
wk_console_caller_load(struct wk_server *srv, const char *user,
    struct wk_caller *out)
{
	memset(out, 0, sizeof(*out));
	return wk_store_user_get(srv->store, user, &out->user);
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

void
wk_console_instances(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct wk_console_session *s;
	struct wk_caller caller;
	struct wk_api_req areq;
	struct wk_api_resp resp;
	struct wk_instance_view *views = NULL;
	size_t n = 0;
	char rid[37];
	json_t *arr = NULL, *o;
	int r;

	memset(&resp, 0, sizeof(resp));
	wk_buf_init(&resp.xml, 0);
	if ((s = wk_console_session_of(req, wk_mono_ms())) == NULL) {
		wk_console_error(c, 401, "NotSignedIn", "Sign in first.");
		goto out;
	}
	if (wk_console_caller_load(srv, s->user, &caller) != 0) {
		wk_console_session_destroy(s);
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
	r = wk_ec2_instances_visible(&areq, &resp, "ec2:DescribeInstances",
	    NULL, NULL, 0, &views, &n);
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
	wk_console_json(c, 200, json_pack("{s:o}", "instances", arr), NULL);
	arr = NULL;
 out:
	json_decref(arr);
	json_decref(resp.json);
	wk_buf_cleanup(&resp.xml);
	wk_ec2_instance_views_free(views, n);
}
