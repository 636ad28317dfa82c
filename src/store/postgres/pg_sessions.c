/*
 * pg_sessions.c - logins reported by the agents (migration 4): each
 * report is one transaction that appends its Login or Logout to the audit
 * log and opens or closes the session row; a report already in the log
 * (same instance and event id) changes nothing.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "store/postgres/pg_int.h"

#define TERMINATED(f) (strnlen((f), sizeof(f)) < sizeof(f))

#define SESSION_COLS \
	"session_id, instance_id, os_user, key_fingerprint, request_id," \
	" caller_arn, source_ip, tty, sshd_pid, opened_ms"

static const char SQL_EVENT_SEEN[] =
    "SELECT count(*) FROM audit WHERE instance_id = $1 AND event_id = $2"
    " AND event_id != ''";
static const char SQL_SESSION_OPEN[] =
    "INSERT INTO sessions (" SESSION_COLS ")"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    " ON CONFLICT (instance_id, session_id) DO UPDATE SET"
    " os_user = excluded.os_user, key_fingerprint = excluded.key_fingerprint,"
    " request_id = excluded.request_id, caller_arn = excluded.caller_arn,"
    " source_ip = excluded.source_ip, tty = excluded.tty,"
    " sshd_pid = excluded.sshd_pid, opened_ms = excluded.opened_ms";
static const char SQL_SESSION_CLOSE[] =
    "DELETE FROM sessions WHERE instance_id = $1 AND session_id = $2";

static int
check_session(const struct wk_session *s)
{
	if (!TERMINATED(s->session_id) || !TERMINATED(s->instance_id) ||
	    !TERMINATED(s->os_user) || !TERMINATED(s->key_fingerprint) ||
	    !TERMINATED(s->request_id) || !TERMINATED(s->caller_arn) ||
	    !TERMINATED(s->source_ip) || !TERMINATED(s->tty) ||
	    s->session_id[0] == '\0' || s->instance_id[0] == '\0' ||
	    s->sshd_pid < 0)
		return WK_ERR_INVAL;
	return 0;
}

int
wk_pg_session_report(struct wk_store *st, struct wk_audit_event *ev,
    bool open, const struct wk_session *ses)
{
	struct wk_pg *s = wk_pgs(st);
	int64_t seen = 0;
	int r;

	if (ev == NULL || (open && ses == NULL))
		return WK_ERR_INVAL;
	if ((r = wk_pg_audit_check(ev)) != 0)
		return r;
	if (ev->event_id[0] == '\0' || ev->session_id[0] == '\0' ||
	    ev->instance_id[0] == '\0')
		return WK_ERR_INVAL;
	if (open && ((r = check_session(ses)) != 0 ||
	    strcmp(ses->session_id, ev->session_id) != 0 ||
	    strcmp(ses->instance_id, ev->instance_id) != 0))
		return r != 0 ? r : WK_ERR_INVAL;
	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = wk_pg_int(s, "session_seen", SQL_EVENT_SEEN, &seen, "tt",
	    ev->instance_id, ev->event_id)) != 0)
		goto out;
	if (seen > 0) {
		r = WK_ERR_EXISTS;
		goto out;
	}
	if ((r = wk_pg_audit_insert(s, ev)) != 0)
		goto out;
	if (open)
		r = wk_pg_run(s, "session_open", SQL_SESSION_OPEN, NULL,
		    "ttttttttii", ses->session_id, ses->instance_id,
		    ses->os_user, ses->key_fingerprint, ses->request_id,
		    ses->caller_arn, ses->source_ip, ses->tty, ses->sshd_pid,
		    ses->opened_ms);
	else
		r = wk_pg_run(s, "session_close", SQL_SESSION_CLOSE, NULL,
		    "tt", ev->instance_id, ev->session_id);
 out:
	r = wk_pg_end(s, r);
	if (r != 0)
		ev->id = 0;
	return r;
}

static const char SQL_SESSION_LIST[] =
    "SELECT " SESSION_COLS " FROM sessions"
    " WHERE ($1 IS NULL OR instance_id = $1)"
    " AND ($2 IS NULL OR caller_arn = $2)"
    " AND ($3 IS NULL OR os_user = $3)"
    " ORDER BY opened_ms DESC, session_id LIMIT $4";

static int
session_row(struct wk_pg *s, struct wk_pg_stmt *stmt, struct wk_session *o)
{
	int r;

	memset(o, 0, sizeof(*o));
	if ((r = wk_pg_col_copy(s, stmt, 0, o->session_id,
	    sizeof(o->session_id))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 1, o->instance_id,
	    sizeof(o->instance_id))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 2, o->os_user,
	    sizeof(o->os_user))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 3, o->key_fingerprint,
	    sizeof(o->key_fingerprint))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 4, o->request_id,
	    sizeof(o->request_id))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 5, o->caller_arn,
	    sizeof(o->caller_arn))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 6, o->source_ip,
	    sizeof(o->source_ip))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 7, o->tty, sizeof(o->tty))) != 0)
		return r;
	o->sshd_pid = wk_pg_col_int64(stmt, 8);
	o->opened_ms = wk_pg_col_int64(stmt, 9);
	return 0;
}

int
wk_pg_session_list(struct wk_store *st, const struct wk_session_filter *f,
    struct wk_session **out, size_t *n)
{
	struct wk_pg *s = wk_pgs(st);
	static const struct wk_session_filter nofilter;
	struct wk_pg_stmt *stmt = NULL;
	struct wk_session *v = NULL;
	size_t cap = 0, cnt = 0, max;
	int r;

	if (out == NULL || n == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	*n = 0;
	if (f == NULL)
		f = &nofilter;
	if ((r = wk_store_check_opt(f->instance_id, 32)) != 0 ||
	    (r = wk_store_check_opt(f->caller_arn, 2047)) != 0 ||
	    (r = wk_store_check_opt(f->os_user, 63)) != 0)
		return r;
	max = wk_store_max_items(f->max_items);
	if ((r = wk_pg_prepare(s, SQL_SESSION_LIST, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "ttti", f->instance_id, f->caller_arn,
	    f->os_user, (int64_t)max)) != 0)
		goto out;
	while ((r = wk_pg_step(s, stmt, "session_list")) == 1) {
		if ((r = wk_pg_grow((void **)&v, &cap, cnt, sizeof(*v))) != 0 ||
		    (r = session_row(s, stmt, &v[cnt])) != 0)
			break;
		cnt++;
	}
	if (r != 0)
		goto out;
	*out = v;
	*n = cnt;
	v = NULL;
 out:
	wk_pg_done(stmt);
	wk_free(v);
	return r;
}
