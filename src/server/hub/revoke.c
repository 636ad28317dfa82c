/*
 * revoke.c - issuing a revocation (docs/revocation.md): resolve the
 * selector, store it, audit it, and answer the held polls of the agents it
 * concerns at once (revocations.c puts it in their replies). Also the
 * hooks IAM's actions call.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "server/audit/audit.h"
#include "server/hub/agent_hub.h"
#include "server/hub/agent_hub_int.h"
#include "server/server.h"

/* The push action whose RequestIds an access key resolves to (eic.h's
 * WK_EC2IC_ACTION; eic sits above the hub). */
#define PUSH_ACTION "ec2-instance-connect:SendSSHPublicKey"

void
wk_hub_revocations_wake(struct wk_agent_hub *h, const char *instance_id)
{
	struct wk_hub_agent *a;
	time_t now = wk_wall_now();
	size_t i, n = 0;

	if (h == NULL)
		return;
	if (instance_id != NULL && instance_id[0] != '\0') {
		if ((a = wk_hub_find(h, instance_id)) != NULL &&
		    a->held != NULL && a->rev_aware) {
			wk_hub_answer(h, a, now);
			n++;
		}
	} else {
		/* answering never removes a slot: the table stays put */
		for (i = 0; i < h->cap; i++) {
			if ((a = h->slots[i]) == NULL || a->held == NULL ||
			    !a->rev_aware)
				continue;
			wk_hub_answer(h, a, now);
			n++;
		}
	}
	wk_log(WK_LOG_INFO, "agent_polls_woken", "count=%zu reason=revocation",
	    n);
}

void
wk_revoke_cleanup(struct wk_revocation *rev)
{
	if (rev == NULL)
		return;
	wk_free(rev->request_ids);
	rev->request_ids = NULL;
}

static void
copy(char *dst, size_t dstsz, const char *src)
{
	snprintf(dst, dstsz, "%s", src != NULL ? src : "");
}

/* The access key's pushes in the audit, as a comma-separated list. */
static int
resolve_key(struct wk_server *srv, const char *akid, int64_t now_ms,
    char **out)
{
	struct wk_buf b;
	char **ids = NULL;
	size_t n = 0, i;
	int r;

	*out = NULL;
	if ((r = wk_store_audit_key_requests(srv->store, akid, PUSH_ACTION,
	    now_ms - (int64_t)WK_REVOKE_KEY_LOOKBACK_SECONDS * 1000,
	    WK_REVOKE_MAX_REQUEST_IDS, &ids, &n)) != 0)
		return r;
	wk_buf_init(&b, (size_t)WK_REVOKE_MAX_REQUEST_IDS * 65 + 1);
	r = 0;
	for (i = 0; i < n && r == 0; i++)
		r = wk_buf_appendf(&b, "%s%s", i > 0 ? "," : "", ids[i]);
	if (r == 0 && (*out = wk_strdup(wk_buf_cstr(&b))) == NULL)
		r = WK_ERR_NOMEM;
	wk_buf_cleanup(&b);
	wk_store_strv_free(ids, n);
	return r;
}

int
wk_revoke_issue(const struct wk_api_req *req,
    const struct wk_revoke_selector *sel, struct wk_revocation *out)
{
	struct wk_server *srv = req->srv;
	struct wk_revocation rev;
	struct wk_audit_info ai;
	size_t nsel;
	int r;

	memset(&rev, 0, sizeof(rev));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	nsel = (sel->caller_arn != NULL) + (sel->access_key_id != NULL) +
	    (sel->request_id != NULL) + (sel->instance_id != NULL);
	if (nsel != 1 || (sel->os_user != NULL && sel->instance_id == NULL))
		return WK_ERR_INVAL;
	if (srv == NULL || srv->store == NULL)
		return WK_ERR_STORE;
	rev.time_ms = wk_wall_ms();
	rev.at = rev.time_ms / 1000;
	rev.keep_until = rev.at + WK_REVOKE_KEEP_SECONDS;
	copy(rev.caller_arn, sizeof(rev.caller_arn), sel->caller_arn);
	copy(rev.access_key_id, sizeof(rev.access_key_id), sel->access_key_id);
	copy(rev.instance_id, sizeof(rev.instance_id), sel->instance_id);
	copy(rev.os_user, sizeof(rev.os_user), sel->os_user);
	if (sel->request_id != NULL) {
		rev.by_request_ids = true;
		rev.request_ids = wk_strdup(sel->request_id);
		if (rev.request_ids == NULL)
			return WK_ERR_NOMEM;
	} else if (sel->access_key_id != NULL) {
		rev.by_request_ids = true;
		if ((r = resolve_key(srv, sel->access_key_id, rev.time_ms,
		    &rev.request_ids)) != 0)
			goto out;
	}
	if (req->caller != NULL) {
		copy(rev.by_arn, sizeof(rev.by_arn), req->caller->user.arn);
		copy(rev.by_access_key_id, sizeof(rev.by_access_key_id),
		    req->caller->access_key_id);
	}
	copy(rev.by_request_id, sizeof(rev.by_request_id), req->request_id);
	copy(rev.reason, sizeof(rev.reason), sel->reason != NULL ?
	    sel->reason : "RevokeSessions");
	if ((r = wk_store_revocation_add(srv->store, &rev)) != 0)
		goto out;
	/*
	 * Stored first: a revocation is never lost because its audit event
	 * failed (the caller then hears an error and may retry; revoking
	 * twice is harmless).
	 */
	memset(&ai, 0, sizeof(ai));
	ai.action = WK_REVOKE_ACTION;
	ai.instance_id = sel->instance_id;
	ai.os_user = sel->os_user;
	r = wk_audit_write(req, &ai);
	wk_log_auth(WK_LOG_INFO, "revocation", "id=%lld reason=%s by=%s "
	    "caller=%s access_key=%s request_ids=%.512s instance=%s "
	    "os_user=%s at=%lld", (long long)rev.id, rev.reason, rev.by_arn,
	    rev.caller_arn, rev.access_key_id,
	    rev.request_ids != NULL ? rev.request_ids : "", rev.instance_id,
	    rev.os_user, (long long)rev.at);
	if (srv->hub != NULL && (uint64_t)rev.id > srv->hub->rev_max) {
		srv->hub->rev_max = (uint64_t)rev.id;
		wk_hub_revocations_wake(srv->hub, sel->instance_id);
	}
	if (srv->hub != NULL && srv->hub->shared) {
		/* the other replicas' agents (docs/replicas.md) */
		char payload[64];

		snprintf(payload, sizeof(payload), "v %s",
		    sel->instance_id != NULL && strlen(sel->instance_id) < 40 ?
		    sel->instance_id : "*");
		(void)wk_store_notify(srv->store, payload);
	}
 out:
	if (r == 0 && out != NULL) {
		*out = rev;
		rev.request_ids = NULL;
	}
	wk_revoke_cleanup(&rev);
	return r;
}

void
wk_revoke_user(const struct wk_api_req *req, const char *user_arn,
    const char *reason)
{
	struct wk_revoke_selector sel = { .caller_arn = user_arn,
	    .reason = reason };
	int r;

	if (user_arn == NULL || user_arn[0] == '\0')
		return;
	if ((r = wk_revoke_issue(req, &sel, NULL)) != 0)
		wk_log(WK_LOG_ERROR, "revocation_failed", "reason=%s caller=%s "
		    "error=%s", reason, user_arn, wk_strerror(r));
}

void
wk_revoke_access_key(const struct wk_api_req *req, const char *akid,
    const char *reason)
{
	struct wk_revoke_selector sel = { .access_key_id = akid,
	    .reason = reason };
	int r;

	if (akid == NULL || akid[0] == '\0')
		return;
	if ((r = wk_revoke_issue(req, &sel, NULL)) != 0)
		wk_log(WK_LOG_ERROR, "revocation_failed", "reason=%s "
		    "access_key=%s error=%s", reason, akid, wk_strerror(r));
}
