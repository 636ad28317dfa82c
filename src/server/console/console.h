/*
 * console.h - the browser console served by wicketd (issue 5): sign-in
 * with an IAM user's console password, the instances the user may see, and
 * a terminal (xterm.js) bridged over a WebSocket to an SSH session that
 * wicketd opens with an ephemeral key pushed exactly as SendSSHPublicKey
 * pushes one (push.h), marked via=console in the audit log.
 *
 * Routes (routes.c):
 *   GET  /                      -> 302 /console/
 *   GET  /console/...           static assets from the web directory
 *   GET  /console/api/session   {"signedIn", "user", "csrf"}
 *   POST /console/api/login     {"user", "password"} (X-Wicket-CSRF)
 *   POST /console/api/logout    (X-Wicket-CSRF)
 *   GET  /console/api/instances {"instances": [...]}
 *   GET  /console/ws?instance=i-...&user=ubuntu   WebSocket terminal
 */
#ifndef WK_SERVER_CONSOLE_H
#define WK_SERVER_CONSOLE_H

#include "server/http/http.h"

struct wk_server;

/*
 * The directory the assets are served from. NULL restores the default:
 * $WICKET_WEB_DIR, else a `web` directory next to the wicketd binary, else
 * /usr/share/wicket/web. The string is copied; WK_ERR_TOOBIG when long.
 */
int wk_console_set_web_dir(const char *dir);

/* Forgets every session, lockout and terminal (tests, shutdown). */
void wk_console_reset(void);

/*
 * The IAM user user_id lost its console access (DeleteLoginProfile,
 * DeleteUser, a new password): its sessions end, its open terminals
 * close. Sessions are also checked against the store on every use, so
 * this only makes it immediate (and closes the terminals).
 */
void wk_console_end_user(const char *user_id);

void wk_console_root(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req);
void wk_console_static(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req);
void wk_console_session_get(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req);
void wk_console_login(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req);
void wk_console_logout(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req);
void wk_console_instances(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req);
void wk_console_ws(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req);

#endif
