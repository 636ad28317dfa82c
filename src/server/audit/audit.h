/*
 * audit.h - the audit log of key pushes and their refusals: one event per
 * call, allowed or denied, written durably (wk_store_audit_append) before
 * the caller hears the answer.
 */
#ifndef WK_SERVER_AUDIT_H
#define WK_SERVER_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/api/api.h"
#include "store/store.h"

#define WK_AUDIT_ALLOW "Allow"
#define WK_AUDIT_DENY "Deny"

/* What a handler knows about the call, beyond the request itself. */
struct wk_audit_info {
	const char *action;		/* "ec2-instance-connect:SendSSHPublicKey" */
	const char *instance_id;	/* NULL or as given */
	const char *os_user;		/* NULL or as given */
	const char *key_fingerprint;	/* NULL or "SHA256:..." */
	const char *error_code;		/* NULL or "" when allowed */
};

/*
 * Fills ev from the request (time, request id, caller ARN, access key id,
 * source IP, via) and info. Over-long values are cut at a UTF-8-safe
 * boundary (they are attacker-controlled and only informative); the
 * decision is Allow exactly when error_code is empty. Never fails.
 */
void wk_audit_build(const struct wk_api_req *req,
    const struct wk_audit_info *info, int64_t time_ms,
    struct wk_audit_event *ev);

/*
 * Builds the event for the current wall time and appends it durably.
 * Returns 0 or the store's error (the caller must then fail the call:
 * no unaudited answer).
 */
int wk_audit_write(const struct wk_api_req *req,
    const struct wk_audit_info *info);
/* As wk_audit_write, with a pushed record (rec->seq set) stored in the
 * same transaction (wk_store_audit_commit); rec NULL: none. */
int wk_audit_write_record(const struct wk_api_req *req,
    const struct wk_audit_info *info, struct wk_store_record_put *rec);

/* The auth log line of an event that is now durable. */
void wk_audit_log_written(const struct wk_audit_event *ev);

/*
 * ---- group commit (audit_batch.c) ----
 * Concurrent calls share one transaction and one fsync: wk_audit_queue
 * adds an event to the open batch, which closes when it holds max_events
 * or wait_ms after its first event (0: at the end of the event-loop turn
 * that queued it); done(arg, result) then runs from the loop once the
 * batch is durable (result 0) or failed (the store's error; none of the
 * batch was written). done NULL: the event rides along, nobody waits
 * (a throttled call, answered at once). Event-loop thread only.
 */
#define WK_AUDIT_BATCH_MAX 4096		/* = the store's batch ceiling */
#define WK_AUDIT_BATCH_MAX_DEFAULT 512
#define WK_AUDIT_BATCH_WAIT_MAX_MS 1000
#define WK_AUDIT_BATCH_WAIT_DEFAULT_MS 0
int wk_audit_batch_start(struct wk_server *srv, unsigned max_events,
    unsigned wait_ms);
/* Commits what is queued (its waiters hear it) and stops batching. */
void wk_audit_batch_stop(void);
/* Commits the open batch now (tests; shutdown). */
void wk_audit_batch_flush(void);
bool wk_audit_batch_on(void);
/* 0, or WK_ERR_INVAL when batching is off (write with wk_audit_write),
 * WK_ERR_NOMEM: done will not run. */
int wk_audit_queue(const struct wk_api_req *req,
    const struct wk_audit_info *info, void (*done)(void *arg, int result),
    void *arg);
/*
 * As wk_audit_queue, with a pushed record committed in the same
 * transaction as the batch (wk_store_audit_commit: on PostgreSQL with
 * replicas, the record becomes visible to the other replicas exactly when
 * the event is durable, never when the batch fails). rec is borrowed until
 * done runs; its seq is set when result is 0. done must not be NULL.
 */
int wk_audit_queue_record(const struct wk_api_req *req,
    const struct wk_audit_info *info, struct wk_store_record_put *rec,
    void (*done)(void *arg, int result), void *arg);

struct wk_audit_batch_stats {
	uint64_t batches, events;		/* committed */
	uint64_t failed_batches, failed_events;
	size_t largest;				/* events in one batch */
	size_t pending;				/* queued now */
};
void wk_audit_batch_stats(struct wk_audit_batch_stats *out);

/* WicketListAuditEvents (wicket_list_audit_events.c) */
extern const struct wk_api_action wk_wicket_list_audit_events;
/* WicketListSessions (wicket_list_sessions.c) */
extern const struct wk_api_action wk_wicket_list_sessions;
/*
 * The open sessions matching f that req's caller may see, newest first,
 * at most f->max_items: wicket:ListSessions decided on each session's
 * instance (wk_instance_scope_new in auth.h; f->instance_id set: on that
 * instance alone). The JSON API and the console list through this one
 * function. The newest WK_SESSIONS_SCAN_MAX open sessions are looked at.
 * Denied: resp has AccessDenied, WK_ERR_DENIED. *out: wk_store_free.
 */
#define WK_SESSIONS_SCAN_MAX 1000
int wk_sessions_visible(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_session_filter *f, struct wk_session **out, size_t *n);

#endif
