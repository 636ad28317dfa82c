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
#include "server/api/api.h"
#include "server/http/http.h"
#include "server/hub/signing_keys.h"
#include "store/store.h"

struct wk_server;
struct wk_agent_hub;

/*
 * The default of `wicketd serve --agent-admit-rate`: new agent long-polls
 * admitted a second (cfg.agent_admit_rate; agent_admit.c): 50,000 agents
 * back in 20 s after a restart, one durable last_seen write each.
 */
#define WK_HUB_ADMIT_RATE 2500

int wk_agent_hub_new(struct wk_server *srv, struct wk_agent_hub **out);
void wk_agent_hub_free(struct wk_agent_hub *h);	/* answers held polls */
/*
 * hub_replicas.c: on a store with replica operations (PostgreSQL), the
 * shared epoch and the LISTEN connection in srv's loop, so the hub serves
 * as one of several replicas (docs/replicas.md). 0 and nothing on SQLite.
 */
int wk_agent_hub_replicas_start(struct wk_agent_hub *h);

/* Queues a signed record for an instance and wakes its poll. */
int wk_agent_hub_push(struct wk_agent_hub *h, const char *instance_id,
    struct wk_span record, time_t expires);
/*
 * True when pushed records live in the store (replicas on PostgreSQL): a
 * push may then write its record in its audit batch's transaction
 * (wk_audit_queue_record) and announce it with wk_agent_hub_pushed
 * instead of wk_agent_hub_push. False on SQLite (records in memory).
 */
bool wk_agent_hub_stores_records(struct wk_agent_hub *h);
/* A record the store committed (seq; its NOTIFY went out at the commit):
 * answers the instance's poll if it is held here. Writes nothing. */
int wk_agent_hub_pushed(struct wk_agent_hub *h, const char *instance_id,
    struct wk_span record, time_t expires, int64_t seq);
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

/*
 * ---- revocations.c: revoking pushed keys and the sessions they opened
 * (docs/revocation.md) ----
 * What to revoke: one of caller_arn, access_key_id, request_id,
 * instance_id (os_user only with instance_id); `reason` names what asked
 * ("RevokeSessions", or the IAM action whose effect it is).
 */
struct wk_revoke_selector {
	const char *caller_arn;
	const char *access_key_id;
	const char *request_id;
	const char *instance_id;
	const char *os_user;
	const char *reason;
};
#define WK_REVOKE_ACTION "wicket:RevokeSessions"
#define WK_REVOKE_KEEP_SECONDS (7 * 86400)	/* kept for agents away */
#define WK_REVOKE_KEY_LOOKBACK_SECONDS (7 * 86400)
/*
 * Stores the revocation (applies to pushes issued at or before now),
 * writes the audit event wicket:RevokeSessions as req's caller, and
 * answers the held polls of the agents it concerns. An access key resolves
 * to the RequestIds of its pushes in the audit (WK_REVOKE_KEY_LOOKBACK_SECONDS,
 * newest WK_REVOKE_MAX_REQUEST_IDS). *out (may be NULL) receives the stored
 * revocation; release it with wk_revoke_cleanup. WK_ERR_INVAL for a
 * selector that is not exactly one of the four.
 */
int wk_revoke_issue(const struct wk_api_req *req,
    const struct wk_revoke_selector *sel, struct wk_revocation *out);
void wk_revoke_cleanup(struct wk_revocation *rev);
/* The hooks of IAM's actions: revoke every push of the user `user_arn`
 * (DeleteUser, a policy detached...) or of one access key. Failures are
 * logged; the IAM action has already happened. */
void wk_revoke_user(const struct wk_api_req *req, const char *user_arn,
    const char *reason);
void wk_revoke_access_key(const struct wk_api_req *req, const char *akid,
    const char *reason);
/* The JSON action WicketService.RevokeSessions (wicket_revoke_sessions.c) */
extern const struct wk_api_action wk_wicket_revoke_sessions;

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
