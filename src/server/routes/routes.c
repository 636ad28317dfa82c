/*
 * routes.c - the route table of `wicketd serve`.
 */
#include <stddef.h>

#include "server/hub/agent_hub.h"
#include "server/api/api.h"
#include "server/routes/routes.h"
#include "server/console/console.h"
#include "server/wicketd.h"

#define AGENT_BODY_MAX (64 * 1024)
#define CONSOLE_BODY_MAX (4 * 1024)

static void
healthz(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	(void)srv;
	(void)req;
	wk_http_respond(c, 200, "text/plain; charset=utf-8",
	    WK_SPAN_LIT("ok\n"), NULL);
}

const struct wk_http_route wk_routes[] = {
	{ .method = "POST", .path = "/", .body_max = WK_API_BODY_MAX,
	    .handle = wk_api_dispatch,
	    .preauth_body_max = WK_API_PREAUTH_BODY_MAX },
	{ .method = "POST", .path = "/agent/v1/enroll",
	    .body_max = AGENT_BODY_MAX, .handle = wk_agent_enroll_handle },
	{ .method = "POST", .path = "/agent/v1/update",
	    .body_max = AGENT_BODY_MAX, .handle = wk_agent_update_handle },
	{ .method = "GET", .path = "/agent/v1/poll",
	    .body_max = AGENT_BODY_MAX, .handle = wk_agent_poll_handle },
	{ .method = "POST", .path = "/agent/v1/sessions",
	    .body_max = AGENT_BODY_MAX, .handle = wk_agent_sessions_handle },
	{ .method = "GET", .path = "/healthz", .body_max = 0,
	    .handle = healthz },
	/* the browser console (console.h); the prefix route comes last */
	{ .method = "GET", .path = "/", .body_max = 0,
	    .handle = wk_console_root },
	{ .method = "GET", .path = "/console/api/session", .body_max = 0,
	    .handle = wk_console_session_get },
	{ .method = "POST", .path = "/console/api/login",
	    .body_max = CONSOLE_BODY_MAX, .handle = wk_console_login },
	{ .method = "POST", .path = "/console/api/logout",
	    .body_max = CONSOLE_BODY_MAX, .handle = wk_console_logout },
	{ .method = "GET", .path = "/console/api/instances", .body_max = 0,
	    .handle = wk_console_instances },
	{ .method = "GET", .path = "/console/ws", .body_max = 0,
	    .handle = wk_console_ws },
	{ .method = "GET", .path = "/console/api/recordings", .body_max = 0,
	    .handle = wk_console_recordings },
	{ .method = "GET", .path = "/console/api/recording", .body_max = 0,
	    .handle = wk_console_recording },
	{ .method = "GET", .path = "/console/", .body_max = 0,
	    .handle = wk_console_static, .prefix = true },
	{ .handle = NULL },
};
