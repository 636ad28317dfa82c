/*
 * pg_console_sessions.c - console sessions every replica sees (migration
 * 7): keyed by the SHA-256 of the session id (the id itself, the cookie,
 * is never stored), with the CSRF token, the user it is bound to and the
 * password tag checked on every use, and the last use for idle expiry.
 */
#include <string.h>

#include "common/err.h"
#include "store/postgres/pg_int.h"
#include "store/store.h"

static int
check_hash(const char *h)
{
	int r;

	if ((r = wk_store_check_str(h, 64)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	return strlen(h) == 64 ? 0 : WK_ERR_NOTFOUND;
}

static const char SQL_CS_PUT[] =
    "INSERT INTO console_sessions (id_hash, csrf, user_name, user_id,"
    " pw_tag, created_ms, last_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)";

int
wk_pg_console_session_put(struct wk_store *st,
    const struct wk_store_console_session *cs)
{
	int r;

	if (cs == NULL || (r = check_hash(cs->id_hash)) != 0)
		return WK_ERR_INVAL;
	return wk_pg_run(wk_pgs(st), "console_session_put", SQL_CS_PUT, NULL,
	    "tttttii", cs->id_hash, cs->csrf, cs->user, cs->user_id,
	    cs->pw_tag, cs->created_ms, cs->last_ms);
}

static const char SQL_CS_GET[] =
    "SELECT csrf, user_name, user_id, pw_tag, created_ms, last_ms"
    " FROM console_sessions WHERE id_hash = $1";

int
wk_pg_console_session_get(struct wk_store *st, const char *id_hash,
    struct wk_store_console_session *out)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = check_hash(id_hash)) != 0)
		return r;
	if ((r = wk_pg_prepare(s, SQL_CS_GET, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "t", id_hash)) != 0)
		goto out;
	if ((r = wk_pg_step(s, stmt, "console_session_get")) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	memcpy(out->id_hash, id_hash, 65);
	if ((r = wk_pg_col_copy(s, stmt, 0, out->csrf,
	    sizeof(out->csrf))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 1, out->user,
	    sizeof(out->user))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 2, out->user_id,
	    sizeof(out->user_id))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 3, out->pw_tag,
	    sizeof(out->pw_tag))) != 0)
		goto out;
	out->created_ms = wk_pg_col_int64(stmt, 4);
	out->last_ms = wk_pg_col_int64(stmt, 5);
	r = 0;
 out:
	wk_pg_done(stmt);
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

static const char SQL_CS_TOUCH[] =
    "UPDATE console_sessions SET last_ms = $2"
    " WHERE id_hash = $1 AND last_ms < $2";

int
wk_pg_console_session_touch(struct wk_store *st, const char *id_hash,
    int64_t last_ms)
{
	int r;

	if ((r = check_hash(id_hash)) != 0)
		return r;
	return wk_pg_run(wk_pgs(st), "console_session_touch", SQL_CS_TOUCH,
	    NULL, "ti", id_hash, last_ms);
}

static const char SQL_CS_DELETE[] =
    "DELETE FROM console_sessions WHERE id_hash = $1";
static const char SQL_CS_DELETE_USER[] =
    "DELETE FROM console_sessions WHERE user_id = $1";

int
wk_pg_console_session_delete(struct wk_store *st, const char *id_hash,
    const char *user_id)
{
	int r;

	if (user_id != NULL) {
		if ((r = wk_store_check_str(user_id, 32)) != 0)
			return r;
		return wk_pg_run(wk_pgs(st), "console_session_delete",
		    SQL_CS_DELETE_USER, NULL, "t", user_id);
	}
	if (id_hash == NULL)
		return WK_ERR_INVAL;
	if ((r = check_hash(id_hash)) != 0)
		return r;
	return wk_pg_run(wk_pgs(st), "console_session_delete", SQL_CS_DELETE,
	    NULL, "t", id_hash);
}
