/*
 * sqlite_audit.c - the audit log: append-only (triggers refuse UPDATE and
 * DELETE), durable before the append returns, read newest first.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "store/sqlite/sqlite_int.h"

#define AUDIT_COLS \
	"id, time_ms, request_id, action, caller_arn, access_key_id," \
	" source_ip, instance_id, os_user, key_fingerprint, decision," \
	" error_code, via, session_id, event_id, tty, sshd_pid, duration_ms"

/* Every text field must be NUL-terminated inside its array. */
#define TERMINATED(f) (strnlen((f), sizeof(f)) < sizeof(f))

int
wk_sq_audit_check(const struct wk_audit_event *ev)
{
	if (!TERMINATED(ev->request_id) || !TERMINATED(ev->action) ||
	    !TERMINATED(ev->caller_arn) || !TERMINATED(ev->access_key_id) ||
	    !TERMINATED(ev->source_ip) || !TERMINATED(ev->instance_id) ||
	    !TERMINATED(ev->os_user) || !TERMINATED(ev->key_fingerprint) ||
	    !TERMINATED(ev->decision) || !TERMINATED(ev->error_code) ||
	    !TERMINATED(ev->via) || !TERMINATED(ev->session_id) ||
	    !TERMINATED(ev->event_id) || !TERMINATED(ev->tty) ||
	    ev->sshd_pid < 0 || ev->duration_ms < 0)
		return WK_ERR_INVAL;
	return 0;
}

static const char SQL_AUDIT_INSERT[] =
    "INSERT INTO audit (time_ms, request_id, action, caller_arn,"
    " access_key_id, source_ip, instance_id, os_user, key_fingerprint,"
    " decision, error_code, via, session_id, event_id, tty, sshd_pid,"
    " duration_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
    " ?15, ?16, ?17)";

int
wk_sq_audit_insert(struct wk_sqlite *s, struct wk_audit_event *ev)
{
	int r;

	if ((r = wk_sq_run(s, "audit_append", SQL_AUDIT_INSERT, NULL,
	    "ittttttttttttttii", (int64_t)ev->time_ms, ev->request_id,
	    ev->action, ev->caller_arn, ev->access_key_id, ev->source_ip,
	    ev->instance_id, ev->os_user, ev->key_fingerprint, ev->decision,
	    ev->error_code, ev->via, ev->session_id, ev->event_id, ev->tty,
	    ev->sshd_pid, ev->duration_ms)) != 0)
		return r;
	ev->id = (int64_t)sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* Records (nrec > 0) would need the replicas' table: one process keeps
 * them in memory (agent_hub.c), so they are refused, nothing written. */
int
wk_sq_audit_append(struct wk_store *st, struct wk_audit_event *evs, size_t n,
    struct wk_store_record_put *recs, size_t nrec)
{
	struct wk_sqlite *s = wk_sq(st);
	size_t i;
	int r;

	if (evs == NULL || n == 0 || (recs == NULL) != (nrec == 0))
		return WK_ERR_INVAL;
	if (nrec > 0)
		return WK_ERR_UNSUPPORTED;
	if (n > WK_STORE_AUDIT_BATCH_MAX)
		return WK_ERR_TOOBIG;
	for (i = 0; i < n; i++)
		if ((r = wk_sq_audit_check(&evs[i])) != 0)
			return r;
	if (n == 1)
		return wk_sq_audit_insert(s, &evs[0]);	/* autocommit */
	if ((r = wk_sq_begin(s)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if ((r = wk_sq_audit_insert(s, &evs[i])) != 0)
			break;
	r = wk_sq_end(s, r);
	if (r != 0)
		for (i = 0; i < n; i++)
			evs[i].id = 0;
	return r;
}

/* One statement per filter shape, so each can use its index. */
#define AUDIT_BOUNDS \
	" AND (?3 = 0 OR time_ms >= ?3) AND (?4 = 0 OR time_ms <= ?4)" \
	" AND (?5 = 0 OR id < ?5) ORDER BY id DESC LIMIT ?6"

static const char SQL_AUDIT_ANY[] =
    "SELECT " AUDIT_COLS " FROM audit WHERE ?1 IS NULL AND ?2 IS NULL"
    AUDIT_BOUNDS;
static const char SQL_AUDIT_INSTANCE[] =
    "SELECT " AUDIT_COLS " FROM audit WHERE instance_id = ?1 AND ?2 IS NULL"
    AUDIT_BOUNDS;
static const char SQL_AUDIT_CALLER[] =
    "SELECT " AUDIT_COLS " FROM audit WHERE ?1 IS NULL AND caller_arn = ?2"
    AUDIT_BOUNDS;
static const char SQL_AUDIT_BOTH[] =
    "SELECT " AUDIT_COLS " FROM audit WHERE instance_id = ?1"
    " AND caller_arn = ?2" AUDIT_BOUNDS;
/* A push's story, and a session's: their own index, other filters on top. */
#define AUDIT_AND_12 \
	" AND (?1 IS NULL OR instance_id = ?1) AND (?2 IS NULL OR caller_arn = ?2)"
static const char SQL_AUDIT_REQUEST[] =
    "SELECT " AUDIT_COLS " FROM audit WHERE request_id = ?7"
    " AND (?8 IS NULL OR session_id = ?8)" AUDIT_AND_12 AUDIT_BOUNDS;
static const char SQL_AUDIT_SESSION[] =
    "SELECT " AUDIT_COLS " FROM audit WHERE session_id = ?8"
    " AND (?7 IS NULL OR request_id = ?7)" AUDIT_AND_12 AUDIT_BOUNDS;

static int
event_row(struct wk_sqlite *s, sqlite3_stmt *stmt, struct wk_audit_event *ev)
{
	int r;

	memset(ev, 0, sizeof(*ev));
	ev->id = sqlite3_column_int64(stmt, 0);
	ev->time_ms = sqlite3_column_int64(stmt, 1);
	if ((r = wk_sq_col_copy(s, stmt, 2, ev->request_id,
	    sizeof(ev->request_id))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 3, ev->action,
	    sizeof(ev->action))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 4, ev->caller_arn,
	    sizeof(ev->caller_arn))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 5, ev->access_key_id,
	    sizeof(ev->access_key_id))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 6, ev->source_ip,
	    sizeof(ev->source_ip))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 7, ev->instance_id,
	    sizeof(ev->instance_id))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 8, ev->os_user,
	    sizeof(ev->os_user))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 9, ev->key_fingerprint,
	    sizeof(ev->key_fingerprint))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 10, ev->decision,
	    sizeof(ev->decision))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 11, ev->error_code,
	    sizeof(ev->error_code))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 12, ev->via, sizeof(ev->via))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 13, ev->session_id,
	    sizeof(ev->session_id))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 14, ev->event_id,
	    sizeof(ev->event_id))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 15, ev->tty, sizeof(ev->tty))) != 0)
		return r;
	ev->sshd_pid = sqlite3_column_int64(stmt, 16);
	ev->duration_ms = sqlite3_column_int64(stmt, 17);
	return 0;
}

int
wk_sq_audit_query(struct wk_store *st, const struct wk_audit_filter *f,
    struct wk_audit_event **out, size_t *n)
{
	struct wk_sqlite *s = wk_sq(st);
	static const struct wk_audit_filter nofilter;
	sqlite3_stmt *stmt = NULL;
	struct wk_audit_event *v = NULL;
	const char *sql;
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
	    (r = wk_store_check_opt(f->request_id, 63)) != 0 ||
	    (r = wk_store_check_opt(f->session_id, 23)) != 0)
		return r;
	if (f->since_ms < 0 || f->until_ms < 0 || f->before_id < 0)
		return WK_ERR_INVAL;
	max = wk_store_max_items(f->max_items);
	if (f->request_id != NULL)
		sql = SQL_AUDIT_REQUEST;
	else if (f->session_id != NULL)
		sql = SQL_AUDIT_SESSION;
	else if (f->instance_id != NULL && f->caller_arn != NULL)
		sql = SQL_AUDIT_BOTH;
	else if (f->instance_id != NULL)
		sql = SQL_AUDIT_INSTANCE;
	else if (f->caller_arn != NULL)
		sql = SQL_AUDIT_CALLER;
	else
		sql = SQL_AUDIT_ANY;
	if ((r = wk_sq_prepare(s, sql, &stmt)) != 0 ||
	    (r = wk_sq_bind(s, stmt, f->request_id != NULL ||
	    f->session_id != NULL ? "ttiiiitt" : "ttiiii", f->instance_id,
	    f->caller_arn, f->since_ms, f->until_ms, f->before_id,
	    (int64_t)max, f->request_id, f->session_id)) != 0)
		goto out;
	while ((r = wk_sq_step(s, stmt, "audit_query")) == 1) {
		if ((r = wk_sq_grow((void **)&v, &cap, cnt, sizeof(*v))) != 0 ||
		    (r = event_row(s, stmt, &v[cnt])) != 0)
			break;
		cnt++;
	}
	if (r != 0)
		goto out;
	*out = v;
	*n = cnt;
	v = NULL;
 out:
	wk_sq_done(stmt);
	wk_free(v);
	return r;
}
