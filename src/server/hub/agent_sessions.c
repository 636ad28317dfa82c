/*
 * agent_sessions.c - POST /agent/v1/sessions (docs/sessions.md): an agent
 * reports the logins on its host, oldest first:
 *
 *   {"events": [{"event_id": "e-<16 hex>", "type": "Login"|"Logout",
 *     "session_id": "s-<16 hex>", "time_ms": N, "os_user": "...",
 *     "fingerprint": "SHA256:...", "request_id": "...", "caller_arn": "...",
 *     "source": "...", "tty": "...", "pid": N, "opened_ms": N,
 *     "duration_ms": N (Logout)}, ...]}   ->   {"accepted": n}
 *
 * The instance is the one the agent credential names, never one from the
 * body: an "instance_id" member naming another instance is refused (403),
 * and so is any malformed event (400: nothing of the report is stored).
 * Each event is stored with wk_store_session_report (the audit event and
 * the open-sessions row together); an event id already stored for this
 * instance is a re-sent report and counts as accepted. The caller ARN
 * recorded is the one wicketd audited for the push (RequestId, instance,
 * fingerprint), not the agent's claim; a login whose push wicketd cannot
 * find is still recorded, with the error code "UnverifiedPush".
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "agent/sockproto.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "server/hub/agent_hub.h"
#include "server/hub/agent_hub_int.h"
#include "server/server.h"

#define REPORT_MAX_EVENTS 64
#define MAX_FUTURE_MS (5 * 60 * 1000)

static bool
id_ok(const char *s, char prefix)
{
	size_t i;

	if (s == NULL || strlen(s) != 18 || s[0] != prefix || s[1] != '-')
		return false;
	for (i = 2; i < 18; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return false;
	return true;
}

/* Printable ASCII without spaces, at most max bytes ("" allowed). */
static bool
text_ok(const char *s, size_t max)
{
	size_t i;

	if (s == NULL || strlen(s) > max)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static const char *
str_member(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool
int_member(const json_t *o, const char *k, int64_t *out)
{
	const json_t *v = json_object_get(o, k);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (int64_t)json_integer_value(v);
	return true;
}

/* Parses one event into ev/ses; the instance is filled by the caller. */
static int
parse_event(const json_t *o, struct wk_audit_event *ev, struct wk_session *ses,
    bool *open, const char **why)
{
	static const char *const known[] = { "event_id", "type", "session_id",
	    "time_ms", "os_user", "fingerprint", "request_id", "caller_arn",
	    "source", "tty", "pid", "opened_ms", "duration_ms", NULL };
	const char *type, *eid, *sid, *user, *fp, *rid, *caller, *src, *tty;
	const char *key;
	json_t *v;
	size_t i;

	*why = "event";
	if (!json_is_object(o))
		return WK_ERR_INVAL;
	json_object_foreach((json_t *)(uintptr_t)o, key, v) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(known[i], key) == 0)
				break;
		if (known[i] == NULL) {
			*why = "unknown event member";
			return WK_ERR_INVAL;
		}
	}
	memset(ev, 0, sizeof(*ev));
	memset(ses, 0, sizeof(*ses));
	type = str_member(o, "type");
	eid = str_member(o, "event_id");
	sid = str_member(o, "session_id");
	user = str_member(o, "os_user");
	fp = str_member(o, "fingerprint");
	rid = str_member(o, "request_id");
	caller = str_member(o, "caller_arn");
	src = str_member(o, "source");
	tty = str_member(o, "tty");
	if (type == NULL || (strcmp(type, "Login") != 0 &&
	    strcmp(type, "Logout") != 0)) {
		*why = "type";
		return WK_ERR_INVAL;
	}
	*open = type[3] == 'i';
	if (!id_ok(eid, 'e') || !id_ok(sid, 's')) {
		*why = "event_id or session_id";
		return WK_ERR_INVAL;
	}
	if (user == NULL || !wk_sock_user_ok((const uint8_t *)user,
	    strlen(user)) || fp == NULL ||
	    !wk_sock_fingerprint_ok((const uint8_t *)fp, strlen(fp)) ||
	    !text_ok(rid, sizeof(ev->request_id) - 1) ||
	    !text_ok(caller, sizeof(ev->caller_arn) - 1) ||
	    !text_ok(src, sizeof(ev->source_ip) - 1) ||
	    !text_ok(tty, sizeof(ev->tty) - 1)) {
		*why = "os_user, fingerprint, request_id, caller_arn, source "
		    "or tty";
		return WK_ERR_INVAL;
	}
	if (!int_member(o, "time_ms", &ev->time_ms) || ev->time_ms == 0 ||
	    !int_member(o, "pid", &ev->sshd_pid) || ev->sshd_pid == 0 ||
	    ev->sshd_pid > 4194304 ||
	    !int_member(o, "opened_ms", &ses->opened_ms) ||
	    (!*open && !int_member(o, "duration_ms", &ev->duration_ms))) {
		*why = "time_ms, pid, opened_ms or duration_ms";
		return WK_ERR_INVAL;
	}
	snprintf(ev->action, sizeof(ev->action), "wicket:%s", type);
	snprintf(ev->event_id, sizeof(ev->event_id), "%s", eid);
	snprintf(ev->session_id, sizeof(ev->session_id), "%s", sid);
	snprintf(ev->os_user, sizeof(ev->os_user), "%s", user);
	snprintf(ev->key_fingerprint, sizeof(ev->key_fingerprint), "%s", fp);
	snprintf(ev->request_id, sizeof(ev->request_id), "%s", rid);
	snprintf(ev->caller_arn, sizeof(ev->caller_arn), "%s", caller);
	snprintf(ev->source_ip, sizeof(ev->source_ip), "%s", src);
	snprintf(ev->tty, sizeof(ev->tty), "%s", tty);
	snprintf(ev->decision, sizeof(ev->decision), "Allow");
	snprintf(ev->via, sizeof(ev->via), "agent");
	return 0;
}

/*
 * The push that delivered the key: an allowed SendSSHPublicKey with this
 * RequestId, for this instance, user and fingerprint. Its caller ARN is
 * what the event records; none found: "UnverifiedPush".
 */
static int
verify_push(struct wk_server *srv, struct wk_audit_event *ev)
{
	struct wk_audit_filter f;
	struct wk_audit_event *evs = NULL;
	size_t n = 0, i;
	int r;

	if (ev->request_id[0] == '\0')
		goto unverified;
	memset(&f, 0, sizeof(f));
	f.request_id = ev->request_id;
	f.instance_id = ev->instance_id;
	f.max_items = 16;
	if ((r = wk_store_audit_query(srv->store, &f, &evs, &n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if (strcmp(evs[i].decision, "Allow") == 0 &&
		    evs[i].session_id[0] == '\0' &&
		    strcmp(evs[i].os_user, ev->os_user) == 0 &&
		    strcmp(evs[i].key_fingerprint, ev->key_fingerprint) == 0) {
			snprintf(ev->caller_arn, sizeof(ev->caller_arn), "%s",
			    evs[i].caller_arn);
			snprintf(ev->access_key_id, sizeof(ev->access_key_id),
			    "%s", evs[i].access_key_id);
			wk_store_free(evs);
			return 0;
		}
	}
	wk_store_free(evs);
 unverified:
	snprintf(ev->error_code, sizeof(ev->error_code), "UnverifiedPush");
	return 0;
}

static int
store_event(struct wk_server *srv, struct wk_audit_event *ev,
    struct wk_session *ses, bool open)
{
	int64_t now = wk_wall_ms();
	int r;

	if (ev->time_ms > now + MAX_FUTURE_MS)
		ev->time_ms = now;	/* a host clock ahead: not the future */
	if ((r = verify_push(srv, ev)) != 0)
		return r;
	snprintf(ses->session_id, sizeof(ses->session_id), "%s",
	    ev->session_id);
	snprintf(ses->instance_id, sizeof(ses->instance_id), "%s",
	    ev->instance_id);
	snprintf(ses->os_user, sizeof(ses->os_user), "%s", ev->os_user);
	snprintf(ses->key_fingerprint, sizeof(ses->key_fingerprint), "%s",
	    ev->key_fingerprint);
	snprintf(ses->request_id, sizeof(ses->request_id), "%s",
	    ev->request_id);
	snprintf(ses->caller_arn, sizeof(ses->caller_arn), "%s",
	    ev->caller_arn);
	snprintf(ses->source_ip, sizeof(ses->source_ip), "%s", ev->source_ip);
	snprintf(ses->tty, sizeof(ses->tty), "%s", ev->tty);
	ses->sshd_pid = ev->sshd_pid;
	r = wk_store_session_report(srv->store, ev, open, ses);
	if (r == WK_ERR_EXISTS)
		return 0;	/* re-sent: stored the first time */
	if (r == 0)
		wk_log_auth(WK_LOG_INFO, "audit", "action=%s instance=%s "
		    "user=%s session=%s request_id=%s caller=%s error=%s",
		    ev->action, ev->instance_id, ev->os_user, ev->session_id,
		    ev->request_id, ev->caller_arn, ev->error_code);
	return r;
}

void
wk_agent_sessions_handle(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct wk_instance inst;
	struct wk_audit_event ev;
	struct wk_session ses;
	const char *why = NULL, *claimed, *key;
	json_t *root = NULL, *evs, *v, *reply;
	size_t i;
	bool open;
	int r;

	memset(&inst, 0, sizeof(inst));
	if (wk_agent_authenticate(srv, req, &inst) != 0) {
		wk_agent_error(c, 401, "InvalidCredential",
		    "invalid agent credential");
		return;
	}
	root = json_loadb((const char *)req->body.p, req->body.len,
	    JSON_REJECT_DUPLICATES, NULL);
	evs = json_object_get(root, "events");
	if (!json_is_object(root) || !json_is_array(evs) ||
	    json_array_size(evs) > REPORT_MAX_EVENTS) {
		wk_agent_error(c, 400, "InvalidRequest", "body must be "
		    "{\"events\": [...]} with at most 64 events");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "events") != 0 &&
		    strcmp(key, "instance_id") != 0) {
			wk_agent_error(c, 400, "InvalidRequest",
			    "unknown member");
			goto out;
		}
	}
	claimed = str_member(root, "instance_id");
	if (json_object_get(root, "instance_id") != NULL &&
	    (claimed == NULL || strcmp(claimed, inst.id) != 0)) {
		wk_log(WK_LOG_WARN, "agent_sessions_refused", "instance=%s "
		    "reason=\"reported for another instance\"", inst.id);
		wk_agent_error(c, 403, "AccessDenied", "an agent reports the "
		    "sessions of its own instance only");
		goto out;
	}
	/* all or nothing: every event is checked before any is stored */
	json_array_foreach(evs, i, v) {
		if (parse_event(v, &ev, &ses, &open, &why) != 0) {
			wk_log(WK_LOG_WARN, "agent_sessions_refused",
			    "instance=%s reason=\"%s\"", inst.id, why);
			wk_agent_error(c, 400, "InvalidRequest", why);
			goto out;
		}
	}
	json_array_foreach(evs, i, v) {
		(void)parse_event(v, &ev, &ses, &open, &why);
		snprintf(ev.instance_id, sizeof(ev.instance_id), "%s", inst.id);
		if ((r = store_event(srv, &ev, &ses, open)) != 0) {
			wk_log(WK_LOG_ERROR, "agent_sessions", "instance=%s "
			    "event=%s error=%s", inst.id, ev.event_id,
			    wk_strerror(r));
			wk_agent_error(c, 503, "ServiceUnavailable",
			    "cannot store the report; retry");
			goto out;
		}
	}
	if ((reply = json_pack("{s:I}", "accepted",
	    (json_int_t)json_array_size(evs))) == NULL) {
		wk_agent_error(c, 500, "InternalError", "out of memory");
		goto out;
	}
	wk_agent_json(c, reply);
	json_decref(reply);
 out:
	json_decref(root);
	wk_instance_cleanup(&inst);
}
