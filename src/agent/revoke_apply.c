/*
 * revoke_apply.c - the agent's revocation state (docs/revocation.md):
 * the cursor it polls with, the revocations it took (kept a while, to
 * catch records and logins that were in flight), the issue times of the
 * records it received (a session opened after a revocation may still use
 * a key issued before it), and the sessions it is ending (SIGTERM, then
 * SIGKILL after WK_AGENT_REV_GRACE_MS, each time only if the process is
 * still the one the registry named).
 */
#include "agent/agent.h"
#include "agent/sessions.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "crypto/keyrec.h"

#define HELD_MAX 1024		/* revocations kept in memory */
#define HELD_SECONDS 86400	/* ... at most this long after `at` */
#define RESCAN_MS 60000		/* sessions re-checked for this long */
#define SEEN_MAX 4096		/* issue times of records received */
#define ENDING_MAX 256

struct seen {
	char request_id[64];
	int64_t issued;
};

struct ending {
	long pid;
	char pid_start[32];
	uint64_t kill_at_ms;
};

struct wk_agent_revoker {
	char *state_dir;
	char instance_id[33];
	const char *proc;
	uint64_t cursor;
	struct wk_agent_rev held[HELD_MAX];
	size_t nheld;
	struct seen seen[SEEN_MAX];
	size_t seen_next;
	struct ending ending[ENDING_MAX];
	size_t nending;
	struct ending refused[ENDING_MAX];	/* logged once (a ring) */
	size_t refused_next;
	uint64_t unsigned_refused;	/* revocations refused: signature */
};

int
wk_agent_revoker_new(const char *state_dir, const char *instance_id,
    struct wk_agent_revoker **out)
{
	struct wk_agent_revoker *r;

	*out = NULL;
	if (strlen(instance_id) >= sizeof(r->instance_id))
		return WK_ERR_INVAL;
	if ((r = wk_calloc(1, sizeof(*r))) == NULL)
		return WK_ERR_NOMEM;
	if ((r->state_dir = wk_strdup(state_dir)) == NULL) {
		wk_free(r);
		return WK_ERR_NOMEM;
	}
	memcpy(r->instance_id, instance_id, strlen(instance_id) + 1);
	r->proc = "/proc";
	*out = r;
	return 0;
}

void
wk_agent_revoker_free(struct wk_agent_revoker *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nheld; i++)
		wk_agent_rev_cleanup(&r->held[i]);
	wk_free(r->state_dir);
	wk_free(r);
}

void
wk_agent_revoker_set_proc(struct wk_agent_revoker *r, const char *proc)
{
	r->proc = proc;
}

uint64_t
wk_agent_revoker_cursor(const struct wk_agent_revoker *r)
{
	return r->cursor;
}

static void
note_records(struct wk_agent_revoker *r, const json_t *recs)
{
	struct wk_keyrec rec;
	struct wk_span signed_part;
	uint8_t sig[WK_ED25519_SIG_LEN];
	const json_t *v;
	size_t i;

	json_array_foreach(recs, i, v) {
		if (!json_is_string(v) || wk_keyrec_parse(wk_span_from_mem(
		    json_string_value(v), json_string_length(v)), &rec,
		    &signed_part, sig) != 0)
			continue;
		struct seen *s = &r->seen[r->seen_next];

		memcpy(s->request_id, rec.request_id, sizeof(s->request_id));
		s->issued = rec.issued;
		r->seen_next = (r->seen_next + 1) % SEEN_MAX;
	}
}

static bool
issued_of(const struct wk_agent_revoker *r, const char *request_id,
    int64_t *issued)
{
	if (request_id[0] == '\0')
		return false;
	for (size_t i = 0; i < SEEN_MAX; i++)
		if (strcmp(r->seen[i].request_id, request_id) == 0) {
			*issued = r->seen[i].issued;
			return true;
		}
	return false;
}

static bool
record_cb(const struct wk_keyrec *rec, void *arg)
{
	return wk_agent_rev_match_record(arg, rec);
}

static void
apply_records(const struct wk_agent_rev *rv, struct wk_keystore *ks)
{
	size_t n = wk_keystore_drop_matching(ks, record_cb,
	    (void *)(uintptr_t)rv);

	if (n > 0)
		wk_log(WK_LOG_INFO, "records_revoked", "revocation=%llu "
		    "count=%zu held=%zu", (unsigned long long)rv->id, n,
		    wk_keystore_count(ks));
}

static bool
already_ending(const struct wk_agent_revoker *r, long pid,
    const char *start)
{
	for (size_t i = 0; i < r->nending; i++)
		if (r->ending[i].pid == pid &&
		    strcmp(r->ending[i].pid_start, start) == 0)
			return true;
	return false;
}

static void
end_session(struct wk_agent_revoker *r, const struct wk_agent_rev *rv,
    const struct wk_agent_session *s)
{
	struct ending *e;
	int rc;

	if (already_ending(r, s->pid, s->pid_start))
		return;
	rc = wk_agent_proc_signal(r->proc, s->pid, s->pid_start, SIGTERM);
	if (rc == WK_ERR_DENIED) {
		for (size_t i = 0; i < ENDING_MAX; i++)
			if (r->refused[i].pid == s->pid &&
			    strcmp(r->refused[i].pid_start, s->pid_start) == 0)
				return;	/* said already */
		r->refused[r->refused_next].pid = s->pid;
		memcpy(r->refused[r->refused_next].pid_start, s->pid_start,
		    sizeof(s->pid_start));
		r->refused_next = (r->refused_next + 1) % ENDING_MAX;
		wk_log(WK_LOG_WARN, "session_not_signalled", "session=%s "
		    "pid=%ld revocation=%llu reason=\"pid_start mismatch: "
		    "not the process the registry named\"", s->session_id,
		    s->pid, (unsigned long long)rv->id);
		return;
	}
	if (rc != 0)
		return;	/* gone already */
	wk_log(WK_LOG_INFO, "session_ended", "session=%s pid=%ld user=%s "
	    "request_id=%s caller=%s revocation=%llu signal=TERM",
	    s->session_id, s->pid, s->os_user, s->request_id, s->caller_arn,
	    (unsigned long long)rv->id);
	if (r->nending == ENDING_MAX)
		return;	/* no SIGKILL follow-up for this one */
	e = &r->ending[r->nending++];
	e->pid = s->pid;
	memcpy(e->pid_start, s->pid_start, sizeof(e->pid_start));
	e->kill_at_ms = wk_mono_ms() + WK_AGENT_REV_GRACE_MS;
}

/* Applies revocations [from, to) of held to the registry's sessions. */
static void
apply_sessions(struct wk_agent_revoker *r, size_t from, size_t to)
{
	struct wk_agent_session *v = NULL;
	size_t n = 0, i, j;
	int64_t issued = 0;
	bool known;

	if (from >= to || wk_agent_sessions_list(r->state_dir, &v, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		known = issued_of(r, v[i].request_id, &issued);
		for (j = from; j < to; j++) {
			if (wk_agent_rev_match_session(&r->held[j], &v[i],
			    known, issued)) {
				end_session(r, &r->held[j], &v[i]);
				break;
			}
		}
	}
	wk_agent_sessions_free(v, n);
}

static void
drop_held(struct wk_agent_revoker *r, size_t i)
{
	wk_agent_rev_cleanup(&r->held[i]);
	memmove(&r->held[i], &r->held[i + 1],
	    (r->nheld - i - 1) * sizeof(r->held[0]));
	r->nheld--;
}

/* The record-signing keys the agent pinned (STATE/trust): how many. */
static size_t
pinned_keys(const struct wk_agent_revoker *r, struct wk_pubkey *keys)
{
	char path[4096], inst[20];
	uint8_t buf[8192];
	ssize_t got;
	size_t n = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/trust", r->state_dir);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	got = read(fd, buf, sizeof(buf));
	close(fd);
	if (got <= 0 || (size_t)got == sizeof(buf) ||
	    wk_agent_trust_parse(wk_span_from_mem(buf, (size_t)got), inst,
	    keys, WK_AGENT_MAX_SIGNING_KEYS, &n) != 0 ||
	    strcmp(inst, r->instance_id) != 0)
		return 0;
	return n;
}

uint64_t
wk_agent_revoker_refused(const struct wk_agent_revoker *r)
{
	return r->unsigned_refused;
}

void
wk_agent_revoker_take(struct wk_agent_revoker *r, const json_t *reply,
    struct wk_keystore *ks, time_t now)
{
	const json_t *revs = json_object_get(reply, "revocations");
	const json_t *cur = json_object_get(reply, "revocation_cursor");
	const json_t *v;
	struct wk_agent_rev rv;
	struct wk_pubkey pinned[WK_AGENT_MAX_SIGNING_KEYS];
	size_t npinned = 0;
	uint64_t old_cursor = r->cursor, refused_min = 0;
	const char *why;
	size_t i, first = r->nheld;

	note_records(r, json_object_get(reply, "records"));
	if (revs != NULL && !json_is_array(revs)) {
		wk_log(WK_LOG_ERROR, "revocation_refused", "reason=\"revocations "
		    "is not an array\" action=ignore");
		revs = NULL;
	}
	if (json_array_size(revs) > 0)
		npinned = pinned_keys(r, pinned);
	json_array_foreach(revs, i, v) {
		/* signed by wicketd's record-signing key, or not taken: a
		 * man in the middle of a plain-http channel forges none */
		if (wk_agent_rev_verify(v, pinned, npinned, &why) != 0) {
			r->unsigned_refused++;
			if (json_integer_value(json_object_get(v, "id")) > 0 &&
			    (refused_min == 0 || (uint64_t)json_integer_value(
			    json_object_get(v, "id")) < refused_min))
				refused_min = (uint64_t)json_integer_value(
				    json_object_get(v, "id"));
			wk_log(WK_LOG_ERROR, "revocation_refused", "id=%lld "
			    "reason=\"%s\" refused=%llu action=ignore",
			    (long long)json_integer_value(json_object_get(v,
			    "id")), why,
			    (unsigned long long)r->unsigned_refused);
			continue;
		}
		if (wk_agent_rev_parse(v, &rv, &why) != 0) {
			wk_log(WK_LOG_ERROR, "revocation_refused", "reason=\"%s\" "
			    "action=ignore", why);
			continue;
		}
		if (rv.id <= r->cursor || rv.keep_until <= (int64_t)now ||
		    (rv.instance[0] != '\0' &&
		    strcmp(rv.instance, r->instance_id) != 0)) {
			wk_agent_rev_cleanup(&rv);	/* taken, or not ours */
			continue;
		}
		if (r->nheld == HELD_MAX) {
			first = first > 0 ? first - 1 : 0;
			drop_held(r, 0);	/* the oldest goes */
		}
		rv.received_ms = wk_mono_ms();
		r->held[r->nheld++] = rv;
		wk_log(WK_LOG_INFO, "revocation_received", "revocation=%llu "
		    "caller=%s instance=%s os_user=%s request_ids=%zu at=%lld",
		    (unsigned long long)rv.id, rv.caller, rv.instance,
		    rv.os_user, rv.nids, (long long)rv.at);
	}
	/* every held one against the records (this reply's included) */
	for (i = 0; i < r->nheld; i++)
		apply_records(&r->held[i], ks);
	apply_sessions(r, first, r->nheld);
	if (json_is_integer(cur) && json_integer_value(cur) >= 0 &&
	    (uint64_t)json_integer_value(cur) > r->cursor)
		r->cursor = (uint64_t)json_integer_value(cur);
	for (i = first; i < r->nheld; i++)
		if (r->held[i].id > r->cursor)
			r->cursor = r->held[i].id;
	/* a refused one is asked for again (the real one may follow) */
	if (refused_min > 0 && r->cursor >= refused_min)
		r->cursor = refused_min - 1 > old_cursor ? refused_min - 1 :
		    old_cursor;
}

void
wk_agent_revoker_tick(struct wk_agent_revoker *r, struct wk_keystore *ks,
    time_t now)
{
	uint64_t ms = wk_mono_ms();
	size_t i, young = r->nheld;
	int rc;

	for (i = 0; i < r->nending;) {
		struct ending *e = &r->ending[i];

		if (ms < e->kill_at_ms) {
			i++;
			continue;
		}
		rc = wk_agent_proc_signal(r->proc, e->pid, e->pid_start,
		    SIGKILL);
		if (rc == 0)
			wk_log(WK_LOG_WARN, "session_killed", "pid=%ld "
			    "reason=\"still running %d ms after SIGTERM\"",
			    e->pid, WK_AGENT_REV_GRACE_MS);
		r->ending[i] = r->ending[--r->nending];
	}
	for (i = 0; i < r->nheld;) {
		if (r->held[i].keep_until <= (int64_t)now ||
		    r->held[i].at + HELD_SECONDS <= (int64_t)now) {
			drop_held(r, i);
			continue;
		}
		i++;
	}
	/* logins that were in flight when a revocation arrived */
	for (i = 0; i < r->nheld; i++)
		if (ms - r->held[i].received_ms < RESCAN_MS) {
			young = i;
			break;
		}
	if (young < r->nheld) {
		for (i = young; i < r->nheld; i++)
			apply_records(&r->held[i], ks);
		apply_sessions(r, young, r->nheld);
	}
}
