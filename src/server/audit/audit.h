/*
 * audit.h - the audit log of key pushes and their refusals: one event per
 * call, allowed or denied, written durably (wk_store_audit_append) before
 * the caller hears the answer.
 */
#ifndef WK_SERVER_AUDIT_H
#define WK_SERVER_AUDIT_H

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

/* WicketListAuditEvents (wicket_list_audit_events.c) */
extern const struct wk_api_action wk_wicket_list_audit_events;
/* WicketListSessions (wicket_list_sessions.c) */
extern const struct wk_api_action wk_wicket_list_sessions;

#endif
