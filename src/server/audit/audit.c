/*
 * audit.c - builds audit events and appends them durably.
 */
#include "server/audit/audit.h"

#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "server/metrics/metrics.h"

/* Copies src into dst (size dstsz), cutting at a UTF-8 boundary. */
static void
audit_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n;

	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	n = strnlen(src, dstsz);
	if (n >= dstsz) {
		n = dstsz - 1;
		/* do not split a multi-byte sequence */
		while (n > 0 && ((uint8_t)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
wk_audit_build(const struct wk_api_req *req, const struct wk_audit_info *info,
    int64_t time_ms, struct wk_audit_event *ev)
{
	const char *err = info->error_code != NULL ? info->error_code : "";

	memset(ev, 0, sizeof(*ev));
	ev->time_ms = time_ms;
	audit_copy(ev->request_id, sizeof(ev->request_id), req->request_id);
	audit_copy(ev->action, sizeof(ev->action), info->action);
	if (req->caller != NULL) {
		audit_copy(ev->caller_arn, sizeof(ev->caller_arn),
		    req->caller->user.arn);
		audit_copy(ev->access_key_id, sizeof(ev->access_key_id),
		    req->caller->access_key_id);
	}
	audit_copy(ev->source_ip, sizeof(ev->source_ip), req->source_ip);
	audit_copy(ev->instance_id, sizeof(ev->instance_id), info->instance_id);
	audit_copy(ev->os_user, sizeof(ev->os_user), info->os_user);
	audit_copy(ev->key_fingerprint, sizeof(ev->key_fingerprint),
	    info->key_fingerprint);
	audit_copy(ev->decision, sizeof(ev->decision),
	    err[0] == '\0' ? WK_AUDIT_ALLOW : WK_AUDIT_DENY);
	audit_copy(ev->error_code, sizeof(ev->error_code), err);
	audit_copy(ev->via, sizeof(ev->via), req->via != NULL ? req->via :
	    "api");
}

/* A copy fit for a key=value log line: no controls, spaces or quotes. */
static void
log_safe(char *dst, size_t dstsz, const char *src)
{
	size_t i;

	audit_copy(dst, dstsz, src);
	for (i = 0; dst[i] != '\0'; i++) {
		uint8_t ch = (uint8_t)dst[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '=')
			dst[i] = '?';
	}
}

void
wk_audit_log_written(const struct wk_audit_event *ev)
{
	char inst[sizeof(ev->instance_id)], user[sizeof(ev->os_user)];

	log_safe(inst, sizeof(inst), ev->instance_id);
	log_safe(user, sizeof(user), ev->os_user);
	wk_log_auth(WK_LOG_INFO, "audit", "request_id=%s action=%s caller=%s "
	    "instance=%s user=%s decision=%s error=%s", ev->request_id,
	    ev->action, ev->caller_arn, inst, user, ev->decision,
	    ev->error_code);
}

int
wk_audit_write(const struct wk_api_req *req, const struct wk_audit_info *info)
{
	return wk_audit_write_record(req, info, NULL);
}

int
wk_audit_write_record(const struct wk_api_req *req,
    const struct wk_audit_info *info, struct wk_store_record_put *rec)
{
	struct wk_audit_event ev;
	uint64_t t0 = wk_metrics_now_us();
	int r;

	if (req->srv == NULL || req->srv->store == NULL)
		return WK_ERR_STORE;
	wk_audit_build(req, info, wk_wall_ms(), &ev);
	r = wk_store_audit_commit(req->srv->store, &ev, 1, rec,
	    rec != NULL ? 1 : 0);
	wk_metrics_audit_write(r == 0, wk_metrics_now_us() - t0, 1);
	if (r != 0) {
		wk_log(WK_LOG_ERROR, "audit", "request_id=%s outcome=failed "
		    "error=%s", ev.request_id, wk_strerror(r));
		return r;
	}
	wk_audit_log_written(&ev);
	return 0;
}
