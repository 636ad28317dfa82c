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
 *   GET  /console/api/recordings            recorded terminals
 *   GET  /console/api/recording?id=ID       one, asciicast v2
 *
 * Recorded terminals (wicketd serve --record-sessions, docs/recordings.md)
 * are also served by the JSON API: WicketService.ListSessionRecordings
 * and GetSessionRecording.
 */
#ifndef WK_SERVER_CONSOLE_H
#define WK_SERVER_CONSOLE_H

#include "server/http/http.h"

struct wk_server;
struct wk_store;
struct wk_api_action;

/* wicketd serve --recording-max-bytes, --recording-retention */
#define WK_RECORDING_MIN_BYTES 4096
#define WK_RECORDING_MAX_BYTES_MAX (1024u * 1024 * 1024)
#define WK_RECORDING_MAX_BYTES_DEFAULT (32u * 1024 * 1024)
#define WK_RECORDING_RETENTION_DAYS_DEFAULT 30

#define WK_ACTION_LIST_RECORDINGS "wicket:ListSessionRecordings"
#define WK_ACTION_GET_RECORDING "wicket:GetSessionRecording"
/* WicketService.ListSessionRecordings / GetSessionRecording (JSON) */
extern const struct wk_api_action wk_wicket_list_session_recordings;
extern const struct wk_api_action wk_wicket_get_session_recording;

/*
 * Sweeps the recordings past --recording-retention now, then every
 * WK_RECORDING_SWEEP_MS on srv's loop (no-op when retention is 0).
 * _stop cancels the timer.
 */
int wk_console_recordings_start(struct wk_server *srv);
void wk_console_recordings_stop(void);
/* One sweep now; returns how many were removed (tests, start). */
size_t wk_console_recordings_sweep(struct wk_server *srv);

/*
 * The directory the assets are served from. NULL restores the default:
 * $WICKET_WEB_DIR, else a `web` directory next to the wicketd binary, else
 * /usr/share/wicket/web. The string is copied; WK_ERR_TOOBIG when long.
 */
int wk_console_set_web_dir(const char *dir);

/* Forgets every lockout and terminal (tests, shutdown); sessions are the
 * store's. */
void wk_console_reset(void);

/*
 * The IAM user user_id lost its console access (DeleteLoginProfile,
 * DeleteUser, a new password): its sessions end (deleted from the store,
 * so on every replica), its open terminals here close. Sessions are also
 * checked against the store on every use, and terminals every minute, so
 * this makes it immediate.
 */
void wk_console_end_user(struct wk_store *st, const char *user_id);

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
void wk_console_recordings(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req);
void wk_console_recording(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req);

#endif
