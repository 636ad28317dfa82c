/*
 * push.c - the key push core (push.h): everything SendSSHPublicKey does
 * after its JSON members were checked, shared with the browser console so
 * that both authorize, audit and push exactly alike.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/log.h"
#include "crypto/keyrec.h"
#include "crypto/sshkey.h"
#include "agent/sockproto.h"
#include "server/hub/agent_hub.h"
#include "server/api/api.h"
#include "server/auth/auth.h"
#include "server/audit/audit.h"
#include "server/ec2/ec2.h"
#include "server/eic/eic.h"
#include "server/metrics/metrics.h"
#include "server/server.h"

#define SSH_KEY_MIN 80
#define SSH_KEY_MAX 4096

static int
invalid(struct wk_api_resp *resp, const char *field, const char *what)
{
	return wk_api_error(resp, 400, "InvalidArgsException", "%s %s", field,
	    what);
}

/*
 * A failure of ours: 500 ServiceException, except when the database was
 * unreachable (PostgreSQL restarting): 503 ServiceUnavailable, which
 * clients retry. The dispatcher maps a store outage to 503 too, but only
 * for what fails within the request's own turn: a push answered later
 * (its group commit failed, or the record's write after it) comes here.
 */
int
wk_push_service_error(struct wk_api_resp *resp, int err)
{
	if (err == WK_ERR_STORE_UNAVAIL) {
		wk_api_error(resp, 503, "ServiceUnavailable", "The service is "
		    "unavailable. Please try again later.");
		return err;
	}
	wk_api_error(resp, 500, "ServiceException",
	    "The service encountered an internal error: %s", wk_strerror(err));
	return err;
}

static int
validate_args(struct wk_api_resp *resp, const struct wk_push_args *a)
{
	if (a->instance_id == NULL)
		return invalid(resp, "InstanceId", "is required");
	if (!wk_ec2ic_valid_instance_id(a->instance_id))
		return invalid(resp, "InstanceId", "must be 10 to 32 characters "
		    "matching ^i-[a-f0-9]+$");
	if (a->os_user == NULL)
		return invalid(resp, "InstanceOSUser", "is required");
	if (!wk_ec2ic_valid_os_user(a->os_user))
		return invalid(resp, "InstanceOSUser", "must be 1 to 32 "
		    "characters matching "
		    "^[A-Za-z_][A-Za-z0-9\\@\\._-]{0,30}[A-Za-z0-9\\$_-]?$");
	if (a->key == NULL)
		return invalid(resp, "SSHPublicKey", "is required");
	if (a->key_len < SSH_KEY_MIN || a->key_len > SSH_KEY_MAX)
		return invalid(resp, "SSHPublicKey", "must be 80 to 4096 "
		    "characters long");
	if (a->az != NULL && !wk_ec2ic_valid_az(a->az))
		return invalid(resp, "AvailabilityZone", "must be 6 to 32 "
		    "characters matching ^(\\w+-){2,3}\\d+\\w+$");
	return 0;
}

/*
 * An AvailabilityZone that is not the instance's is refused, never
 * ignored: a script that names the wrong zone fails here as on AWS.
 * Checked once the caller is allowed and the instance found.
 */
static int
check_az(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_push_args *a)
{
	char az[64];

	if (a->az == NULL)
		return 0;
	wk_ec2_instance_az(req->srv, az, sizeof(az));
	if (strcmp(a->az, az) == 0)
		return 0;
	return wk_api_error(resp, 400, "InvalidArgsException",
	    "AvailabilityZone %s is not the instance's Availability Zone: "
	    "%s is in %s.", a->az, a->instance_id, az);
}

/*
 * The record's #From=: the caller's address when the decision rested on
 * it (detail.source_ip_bound: every matching Allow bound aws:SourceIp, or
 * a NotIpAddress guardrail Deny let it through), so sshd enforces the
 * policy's network bound at login too. An address OpenSSH's from=
 * accepts as a pattern: IPv4 dotted quad or IPv6 (hex, ':' and '.').
 */
static int
record_from(const struct wk_api_req *req, const struct wk_push_result *res,
    char *out, size_t outsz)
{
	const char *ip = req->source_ip;
	size_t i, n;

	out[0] = '\0';
	if (!res->authz_ran || !res->detail.source_ip_bound)
		return 0;
	/* An IPv4 client of a dual-stack socket: sshd sees it as IPv4. */
	if (ip != NULL && strncasecmp(ip, "::ffff:", 7) == 0 &&
	    strchr(ip + 7, '.') != NULL)
		ip += 7;
	if (ip == NULL || (n = strlen(ip)) == 0 || n >= outsz || n > 45)
		return WK_ERR_INVAL;	/* bound, but to no usable address */
	for (i = 0; i < n; i++)
		if (!((ip[i] >= '0' && ip[i] <= '9') ||
		    (ip[i] >= 'a' && ip[i] <= 'f') ||
		    (ip[i] >= 'A' && ip[i] <= 'F') || ip[i] == '.' ||
		    ip[i] == ':'))
			return WK_ERR_INVAL;
	memcpy(out, ip, n + 1);
	return 0;
}

/* Single-use when the server says so or the request asked for it. */
static bool
push_single_use(const struct wk_api_req *req, const struct wk_push_args *a)
{
	return req->srv->cfg.single_use || a->single_use;
}

/* Builds and signs the key record into rec_text. */
static int
sign_record(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_push_args *a, const struct wk_push_result *res,
    const char *instance_id, const struct wk_buf *pubkey, time_t expires,
    struct wk_buf *rec_text)
{
	const char *os_user = a->os_user;
	struct wk_keyrec rec;
	int r;

	memset(&rec, 0, sizeof(rec));
	if (strlen(req->caller->user.arn) >= sizeof(rec.caller_arn) ||
	    pubkey->len >= sizeof(rec.pubkey) ||
	    strlen(req->request_id) >= sizeof(rec.request_id) ||
	    strlen(instance_id) >= sizeof(rec.instance_id) ||
	    strlen(os_user) >= sizeof(rec.os_user))
		return wk_push_service_error(resp, WK_ERR_TOOBIG);
	rec.issued = (int64_t)req->now;
	rec.expires = (int64_t)expires;
	memcpy(rec.instance_id, instance_id, strlen(instance_id) + 1);
	memcpy(rec.os_user, os_user, strlen(os_user) + 1);
	memcpy(rec.caller_arn, req->caller->user.arn,
	    strlen(req->caller->user.arn) + 1);
	memcpy(rec.request_id, req->request_id, strlen(req->request_id) + 1);
	memcpy(rec.pubkey, pubkey->p, pubkey->len);
	rec.pubkey[pubkey->len] = '\0';
	if ((r = record_from(req, res, rec.from, sizeof(rec.from))) != 0)
		return wk_push_service_error(resp, r);
	rec.single_use = push_single_use(req, a);
	if (req->srv->signkey == NULL)
		return wk_push_service_error(resp, WK_ERR_INTERNAL);
	if ((r = wk_keyrec_sign(&rec, req->srv->signkey, rec_text)) != 0)
		return wk_push_service_error(resp, r);
	return 0;
}

/* Everything before the audit event; sets resp's error on refusal. */
static int
decide(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_push_args *a, struct wk_buf *pubkey,
    struct wk_push_result *res, struct wk_buf *rec_text, time_t *expires)
{
	struct wk_instance inst;
	struct wk_ctx *ctx = NULL;
	const char *why = NULL;
	char arn[256];
	unsigned ttl;
	int r;

	memset(&inst, 0, sizeof(inst));
	if ((r = validate_args(resp, a)) != 0)
		return r;
	r = wk_sshkey_validate(wk_span_from_mem(a->key, a->key_len), pubkey,
	    res->fp, &why);
	if (r == WK_ERR_NOMEM)
		return wk_push_service_error(resp, r);
	if (r != 0)
		return wk_api_error(resp, 400, "InvalidArgsException",
		    "SSHPublicKey is not a valid public key: %s",
		    why != NULL ? why : "unsupported or malformed");

	/*
	 * Authorized before the instance is looked up: on the ARN the caller
	 * named, so a caller not allowed to push there learns nothing of it
	 * (AuthException whether or not it exists). The condition keys of an
	 * instance that does not exist are only the request's own.
	 */
	if ((r = wk_ec2_instance_arn(req->srv, a->instance_id, arn,
	    sizeof(arn))) != 0 ||
	    (r = wk_ec2_instance_ctx(a->os_user, &ctx)) != 0 ||
	    (r = wk_ctx_add(ctx, "wicket:SingleUse",
	    push_single_use(req, a) ? "true" : "false")) != 0 ||
	    (r = wk_ctx_add(ctx, "wicket:SessionRecorded",
	    a->recorded ? "true" : "false")) != 0) {
		r = wk_push_service_error(resp, r);
		goto out;
	}
	res->authz_ran = true;
	r = wk_api_authorize(req, resp, WK_EC2IC_ACTION, arn, ctx,
	    "AuthException", &res->detail);
	if (r != 0) {	/* denied: AuthException, 403 */
		if (resp->error_code[0] == '\0')
			r = wk_push_service_error(resp, r);
		goto out;
	}
	r = wk_readcache_instance_get(req->srv->store, a->instance_id, &inst);
	if (r == WK_ERR_NOTFOUND) {
		r = wk_api_error(resp, 404, "EC2InstanceNotFoundException",
		    "The specified instance was not found: %s",
		    a->instance_id);
		goto out;
	}
	if (r != 0) {
		r = wk_push_service_error(resp, r);
		goto out;
	}
	if ((r = check_az(req, resp, a)) != 0)
		goto out;
	/*
	 * The agent is away: the instance stays "running" in
	 * DescribeInstances and the push says it is unavailable (503, which
	 * the SDKs retry), as AWS answers for a running instance it cannot
	 * reach (docs/aws-errors.md).
	 */
	if (!wk_agent_hub_online(req->srv->hub, inst.id)) {
		r = wk_api_error(resp, 503, "EC2InstanceUnavailableException",
		    "The instance is currently unavailable. Wait a few "
		    "minutes and try again.");
		goto out;
	}
	/*
	 * A single-use key for a host whose sshd cannot consume it would log
	 * in again and again. EC2 Instance Connect's model has
	 * EC2InstanceStateInvalidException ("the instance is not in a valid
	 * state") for an instance that cannot take the key now: the caller
	 * is allowed, the host is not set up. AuthException would send the
	 * caller to their policy instead.
	 */
	if (push_single_use(req, a) &&
	    !wk_agent_hub_single_use(req->srv->hub, inst.id)) {
		r = wk_api_error(resp, 400, "EC2InstanceStateInvalidException",
		    "Unable to connect because the instance is not in a valid "
		    "state: its sshd does not consume single-use keys (run "
		    "`wicket-agent install-sshd --single-use` on it).");
		goto out;
	}
	/*
	 * The agent would refuse one more live record for this user (it never
	 * evicts someone else's pending key): say so now. ThrottlingException
	 * is in SendSSHPublicKey's error list; the caller may retry once one
	 * of the user's keys expired.
	 */
	if (wk_push_limit_full(inst.id, a->os_user, req->now)) {
		wk_metrics_throttled(WK_MT_KEYS_PER_USER);
		r = wk_api_error(resp, 429, "ThrottlingException",
		    "Too many unexpired keys for InstanceOSUser %s on this "
		    "instance (%d); try again when one has expired.",
		    a->os_user, WK_SOCK_MAX_RECORDS);
		goto out;
	}
	ttl = req->srv->cfg.key_ttl_seconds != 0 ?
	    req->srv->cfg.key_ttl_seconds : 60;
	*expires = req->now + (time_t)ttl;
	r = sign_record(req, resp, a, res, inst.id, pubkey, *expires,
	    rec_text);
 out:
	if (res->want_instance && inst.id[0] != '\0') {
		res->inst = inst;	/* hand over, host_keys included */
		res->have_instance = true;
		memset(&inst, 0, sizeof(inst));
	}
	wk_ctx_free(ctx);
	wk_instance_cleanup(&inst);
	return r;
}

int
wk_push_audit(const struct wk_api_req *req, const struct wk_push_args *a,
    const char *fp, const char *error_code)
{
	struct wk_audit_info ai = {
		.action = WK_EC2IC_ACTION,
		.instance_id = a->instance_id,
		.os_user = a->os_user,
		.key_fingerprint = fp != NULL && fp[0] != '\0' ? fp : NULL,
		.error_code = error_code,
	};

	return wk_audit_write(req, &ai);
}

int
wk_push_audit_queue(const struct wk_api_req *req, const struct wk_push_args *a,
    const char *fp, const char *error_code,
    void (*done)(void *arg, int result), void *arg)
{
	struct wk_audit_info ai = {
		.action = WK_EC2IC_ACTION,
		.instance_id = a->instance_id,
		.os_user = a->os_user,
		.key_fingerprint = fp != NULL && fp[0] != '\0' ? fp : NULL,
		.error_code = error_code,
	};

	return wk_audit_queue(req, &ai, done, arg);
}

/* The push's audit event. */
static void
push_info(struct wk_audit_info *ai, const struct wk_push_args *a,
    const char *fp, const char *error_code)
{
	memset(ai, 0, sizeof(*ai));
	ai->action = WK_EC2IC_ACTION;
	ai->instance_id = a->instance_id;
	ai->os_user = a->os_user;
	ai->key_fingerprint = fp != NULL && fp[0] != '\0' ? fp : NULL;
	ai->error_code = error_code;
}

/* With replicas (records in the store): fills st->rec, true. */
static bool
record_with_event(const struct wk_api_req *req, const struct wk_push_args *a,
    struct wk_push_state *st)
{
	if (!wk_agent_hub_stores_records(req->srv->hub))
		return false;
	memset(&st->rec, 0, sizeof(st->rec));
	st->rec.instance_id = a->instance_id;
	st->rec.record = wk_buf_cstr(&st->rec_text);
	st->rec.len = st->rec_text.len;
	st->rec.expires = (int64_t)st->expires;
	return true;
}

int
wk_push_queue(const struct wk_api_req *req, const struct wk_push_args *a,
    const struct wk_push_result *res, struct wk_push_state *st, bool allowed,
    const char *error_code, void (*done)(void *arg, int result), void *arg)
{
	struct wk_audit_info ai;
	int r;

	push_info(&ai, a, res->fp, error_code);
	st->with_event = false;
	if (!allowed || done == NULL || !record_with_event(req, a, st))
		return wk_audit_queue(req, &ai, done, arg);
	if ((r = wk_audit_queue_record(req, &ai, &st->rec, done, arg)) == 0)
		st->with_event = true;
	return r;
}

void
wk_push_state_init(struct wk_push_state *st)
{
	memset(st, 0, sizeof(*st));
	wk_buf_init(&st->pubkey, WK_SSHKEY_MAX_LINE);
	wk_buf_init(&st->rec_text, WK_KEYREC_MAX_LEN);
}

void
wk_push_state_cleanup(struct wk_push_state *st)
{
	wk_buf_cleanup(&st->pubkey);
	wk_buf_cleanup(&st->rec_text);
}

int
wk_push_decide(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_push_args *a, struct wk_push_result *res,
    struct wk_push_state *st)
{
	int r;

	res->fp[0] = '\0';
	res->authz_ran = false;
	res->have_instance = false;
	if (req->caller == NULL)
		return wk_api_error(resp, 403, "AuthException",
		    "Not authorized for this request");
	r = decide(req, resp, a, &st->pubkey, res, &st->rec_text,
	    &st->expires);
	if (r != 0 && resp->error_code[0] == '\0')
		r = wk_push_service_error(resp, r);
	/* counted from the decision on, so pushes decided while this one
	 * waits for its commit see it (a failed commit or delivery leaves
	 * the count until the key would have expired: on the safe side) */
	if (r == 0)
		wk_push_limit_note(a->instance_id, a->os_user, st->expires,
		    req->now);
	return r;
}

int
wk_push_deliver(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_push_args *a, const struct wk_push_result *res,
    struct wk_push_state *st)
{
	int r;

	if (st->with_event) {
		/* committed with the event: in the table, NOTIFY sent; a
		 * poll held here is answered now, any other reads the table */
		if ((r = wk_agent_hub_pushed(req->srv->hub, a->instance_id,
		    wk_buf_span(&st->rec_text), st->expires, st->rec.seq)) != 0)
			wk_log(WK_LOG_ERROR, "push", "request_id=%s instance=%s "
			    "outcome=stored_not_woken error=%s",
			    req->request_id, a->instance_id, wk_strerror(r));
	} else if ((r = wk_agent_hub_push(req->srv->hub, a->instance_id,
	    wk_buf_span(&st->rec_text), st->expires)) != 0) {
		wk_push_service_error(resp, r);
		/* the second event records the failure; with group commit it
		 * rides the next batch (the caller hears a failure anyway) */
		if (wk_push_audit_queue(req, a, res->fp, resp->error_code,
		    NULL, NULL) == WK_ERR_INVAL)
			(void)wk_push_audit(req, a, res->fp, resp->error_code);
		return r;
	}
	wk_log(WK_LOG_INFO, "push", "request_id=%s instance=%s user=%s "
	    "fingerprint=%s via=%s single_use=%s from_bound=%s outcome=pushed",
	    req->request_id, a->instance_id, a->os_user, res->fp,
	    req->via != NULL ? req->via : "api",
	    push_single_use(req, a) ? "yes" : "no",
	    res->detail.source_ip_bound ? "yes" : "no");
	return 0;
}

int
wk_push_key(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_push_args *a, struct wk_push_result *res)
{
	struct wk_push_result local;
	struct wk_push_state st;
	struct wk_audit_info ai;
	int r, ar;

	if (res == NULL) {
		memset(&local, 0, sizeof(local));
		res = &local;
	}
	wk_push_state_init(&st);
	if (req->caller == NULL) {
		r = wk_api_error(resp, 403, "AuthException",
		    "Not authorized for this request");
		goto out;
	}
	r = wk_push_decide(req, resp, a, res, &st);
	/* the audit event is durable before anyone hears the answer; with
	 * replicas the record is written in the same transaction */
	if (r == 0 && record_with_event(req, a, &st)) {
		push_info(&ai, a, res->fp, "");
		ar = wk_audit_write_record(req, &ai, &st.rec);
		st.with_event = ar == 0;
	} else
		ar = wk_push_audit(req, a, res->fp, r != 0 ?
		    resp->error_code : "");
	if (ar != 0) {
		resp->error_code[0] = '\0';
		r = wk_push_service_error(resp, ar);
		goto out;
	}
	if (r == 0)
		r = wk_push_deliver(req, resp, a, res, &st);
 out:
	if (res == &local && local.have_instance)
		wk_instance_cleanup(&local.inst);
	wk_push_state_cleanup(&st);
	return r;
}
