/*
 * agent_hub.h - the server side of the agent channel (docs/protocols.md):
 * enrollment, registry updates, and the long-poll each agent holds open.
 * Pushed records wait here (memory only) until their agent takes them or
 * they expire; a push wakes the instance's waiting poll at once.
 */
#ifndef WK_SERVER_AGENT_HUB_H
#define WK_SERVER_AGENT_HUB_H

#include <stdbool.h>
#include <time.h>

#include "common/buf.h"
#include "server/http/http.h"
#include "server/hub/signing_keys.h"

struct wk_server;
struct wk_agent_hub;

int wk_agent_hub_new(struct wk_server *srv, struct wk_agent_hub **out);
void wk_agent_hub_free(struct wk_agent_hub *h);	/* answers held polls */

/* Queues a signed record for an instance and wakes its poll. */
int wk_agent_hub_push(struct wk_agent_hub *h, const char *instance_id,
    struct wk_span record, time_t expires);
/*
 * True when the instance's agent said, on its latest poll, that its sshd
 * consumes single-use keys (pam_wicket installed: `single_use=1`).
 */
bool wk_agent_hub_single_use(struct wk_agent_hub *h, const char *instance_id);
/* True while a poll is held or the agent polled within agent_offline_seconds. */
bool wk_agent_hub_online(struct wk_agent_hub *h, const char *instance_id);
/* For the metrics: agents online now and long-polls held (h may be NULL). */
void wk_agent_hub_counts(struct wk_agent_hub *h, size_t *online,
    size_t *held);

/* Route handlers (POST /agent/v1/enroll, POST /agent/v1/update,
 * GET /agent/v1/poll). */
void wk_agent_enroll_handle(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req);
void wk_agent_update_handle(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req);
void wk_agent_poll_handle(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req);
/* POST /agent/v1/sessions: logins reported by the agent (agent_sessions.c) */
void wk_agent_sessions_handle(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req);

#endif
