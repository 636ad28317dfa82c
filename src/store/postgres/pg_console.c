/*
 * pg_console.c - console sessions (migration 8): keyed by the SHA-256
 * of the session token (the cookie itself is never stored), bound to a
 * user, with idle and absolute expiry on the wall clock. SQLite's twin
 * is sqlite_console.c; the SQL is the same but for $n and GREATEST.
 */
#include <string.h>

#include "common/err.h"
#include "store/postgres/pg_int.h"

#define TERMINATED(f) (strnlen((f), sizeof(f)) < sizeof(f))

/* A session key: exactly 64 lower-case hex digits. */
static bool
hash_ok(const char *h)
{
	size_t i;

	if (h == NULL)
		return false;
	for (i = 0; i < WK_CSESS_HASH_HEX; i++)
		if (!((h[i] >= '0' && h[i] <= '9') ||
		    (h[i] >= 'a' && h[i] <= 'f')))
			return false;
	return h[i] == '\0';
}

static bool
row_ok(const struct wk_console_row *cs)
{
	return cs != NULL && hash_ok(cs->id_hash) && hash_ok(cs->pw_tag) &&
	    TERMINATED(cs->user) && cs->user[0] != '\0' &&
	    TERMINATED(cs->user_id) && cs->user_id[0] != '\0' &&
	    cs->created_ms >= 0 && cs->last_ms >= cs->created_ms &&
	    cs->idle_until_ms > cs->last_ms &&
	    cs->expires_ms > cs->created_ms;
}

static const char SQL_PURGE[] =
    "DELETE FROM console_sessions WHERE idle_until_ms <= $1"
    " OR expires_ms <= $1";
static const char SQL_CAP_USER[] =
    "DELETE FROM console_sessions WHERE user_id = $1 AND id_hash NOT IN"
    " (SELECT id_hash FROM console_sessions WHERE user_id = $1"
    " ORDER BY created_ms DESC, id_hash LIMIT $2)";
static const char SQL_COUNT_ALL[] =
    "SELECT count(*) FROM console_sessions WHERE idle_until_ms > $1"
    " AND expires_ms > $1";
static const char SQL_INSERT[] =
    "INSERT INTO console_sessions (id_hash, user_name, user_id, pw_tag,"
    " created_ms, last_ms, idle_until_ms, expires_ms)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

int
wk_pg_console_session_put(struct wk_store *st,
    const struct wk_console_row *cs, int64_t now_ms, size_t per_user,
    size_t max_total)
{
	struct wk_pg *s = wk_pgs(st);
	int64_t total = 0;
	int r;

	if (!row_ok(cs) || per_user == 0 || per_user > INT32_MAX ||
	    max_total == 0 || max_total > INT32_MAX)
		return WK_ERR_INVAL;
	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = wk_pg_run(s, "console_session_put", SQL_PURGE, NULL, "i",
	    now_ms)) != 0 ||
	    (r = wk_pg_run(s, "console_session_put", SQL_CAP_USER, NULL,
	    "ti", cs->user_id, (int64_t)per_user - 1)) != 0 ||
	    (r = wk_pg_int(s, "console_session_put", SQL_COUNT_ALL, &total,
	    "i", now_ms)) != 0)
		return wk_pg_end(s, r);
	if (total >= (int64_t)max_total)
		return wk_pg_end(s, WK_ERR_LIMIT);
	r = wk_pg_run(s, "console_session_put", SQL_INSERT, NULL, "ttttiiii",
	    cs->id_hash, cs->user, cs->user_id, cs->pw_tag, cs->created_ms,
	    cs->last_ms, cs->idle_until_ms, cs->expires_ms);
	return wk_pg_end(s, r);
}

static const char SQL_GET[] =
    "SELECT user_name, user_id, pw_tag, created_ms, last_ms,"
    " idle_until_ms, expires_ms FROM console_sessions WHERE id_hash = $1";
static const char SQL_DELETE[] =
    "DELETE FROM console_sessions WHERE id_hash = $1";

int
wk_pg_console_session_get(struct wk_store *st, const char *id_hash,
    int64_t now_ms, struct wk_console_row *out)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	int r;

	if (out == NULL)
		return WK_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if (!hash_ok(id_hash))
		return WK_ERR_NOTFOUND;
	if ((r = wk_pg_prepare(s, SQL_GET, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "t", id_hash)) != 0)
		goto out;
	if ((r = wk_pg_step(s, stmt, "console_session_get")) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	memcpy(out->id_hash, id_hash, WK_CSESS_HASH_HEX + 1);
	if ((r = wk_pg_col_copy(s, stmt, 0, out->user,
	    sizeof(out->user))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 1, out->user_id,
	    sizeof(out->user_id))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 2, out->pw_tag,
	    sizeof(out->pw_tag))) != 0)
		goto out;
	out->created_ms = wk_pg_col_int64(stmt, 3);
	out->last_ms = wk_pg_col_int64(stmt, 4);
	out->idle_until_ms = wk_pg_col_int64(stmt, 5);
	out->expires_ms = wk_pg_col_int64(stmt, 6);
	r = 0;
 out:
	wk_pg_done(stmt);
	if (r == 0 && (now_ms >= out->idle_until_ms ||
	    now_ms >= out->expires_ms)) {
		/* expired: refused, and forgotten now */
		(void)wk_pg_run(s, "console_session_get", SQL_DELETE, NULL,
		    "t", id_hash);
		r = WK_ERR_NOTFOUND;
	}
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

static const char SQL_TOUCH[] =
    "UPDATE console_sessions SET last_ms = GREATEST(last_ms, $2),"
    " idle_until_ms = $3 WHERE id_hash = $1 AND idle_until_ms < $3";

int
wk_pg_console_session_touch(struct wk_store *st, const char *id_hash,
    int64_t last_ms, int64_t idle_until_ms)
{
	if (!hash_ok(id_hash) || idle_until_ms <= last_ms)
		return WK_ERR_INVAL;
	return wk_pg_run(wk_pgs(st), "console_session_touch", SQL_TOUCH, NULL,
	    "tii", id_hash, last_ms, idle_until_ms);
}

int
wk_pg_console_session_delete(struct wk_store *st, const char *id_hash)
{
	int changes = 0, r;

	if (!hash_ok(id_hash))
		return WK_ERR_NOTFOUND;
	if ((r = wk_pg_run(wk_pgs(st), "console_session_delete", SQL_DELETE,
	    &changes, "t", id_hash)) != 0)
		return r;
	return changes > 0 ? 0 : WK_ERR_NOTFOUND;
}

static const char SQL_END_USER[] =
    "DELETE FROM console_sessions WHERE user_id = $1";

int
wk_pg_console_sessions_end_user(struct wk_store *st, const char *user_id,
    size_t *n)
{
	int changes = 0, r;

	if (n != NULL)
		*n = 0;
	if ((r = wk_store_check_str(user_id, 32)) != 0)
		return r;
	if ((r = wk_pg_run(wk_pgs(st), "console_sessions_end_user",
	    SQL_END_USER, &changes, "t", user_id)) != 0)
		return r;
	if (n != NULL)
		*n = (size_t)changes;
	return 0;
}

static const char SQL_COUNT_USER[] =
    "SELECT count(*) FROM console_sessions WHERE idle_until_ms > $1"
    " AND expires_ms > $1 AND user_id = $2";

int
wk_pg_console_sessions_count(struct wk_store *st, const char *user_id,
    int64_t now_ms, size_t *n)
{
	int64_t v = 0;
	int r;

	if (n == NULL)
		return WK_ERR_INVAL;
	*n = 0;
	if (user_id != NULL && (r = wk_store_check_str(user_id, 32)) != 0)
		return r;
	if (user_id == NULL)
		r = wk_pg_int(wk_pgs(st), "console_sessions_count",
		    SQL_COUNT_ALL, &v, "i", now_ms);
	else
		r = wk_pg_int(wk_pgs(st), "console_sessions_count",
		    SQL_COUNT_USER, &v, "it", now_ms, user_id);
	if (r != 0)
		return r;
	*n = v > 0 ? (size_t)v : 0;
	return 0;
}

int
wk_pg_console_sessions_purge(struct wk_store *st, int64_t now_ms, size_t *n)
{
	int changes = 0, r;

	if (n != NULL)
		*n = 0;
	if ((r = wk_pg_run(wk_pgs(st), "console_sessions_purge", SQL_PURGE,
	    &changes, "i", now_ms)) != 0)
		return r;
	if (n != NULL)
		*n = (size_t)changes;
	return 0;
}
