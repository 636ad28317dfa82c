/*
 * routes.h - what lies above every service folder: the AWS-compatible API
 * dispatcher and the action tables it looks actions up in. Each table is
 * defined in its service's folder; only the dispatcher reads them, so no
 * service includes this header and the services never include each other
 * through it.
 */
#ifndef WK_SERVER_ROUTES_H
#define WK_SERVER_ROUTES_H

#include "server/api/api.h"
#include "server/http/http.h"
#include "server/server.h"

/* ---- action tables, NULL-terminated ---- */
extern const struct wk_api_action *const wk_iam_actions[];	/* iam_actions.c */
extern const struct wk_api_action *const wk_sts_actions[];	/* sts_actions.c */
extern const struct wk_api_action *const wk_ec2_actions[];	/* ec2_actions.c */
extern const struct wk_api_action *const wk_json_actions[];	/* json_actions.c */

/* The front's entry point for POST / (api.c). */
void wk_api_dispatch(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req);

#endif
