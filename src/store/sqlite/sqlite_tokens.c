/*
 * sqlite_tokens.c - single-use enrollment tokens, stored as hashes only.
 * Consumption is one UPDATE ... WHERE used = 0, so two concurrent
 * enrollments with the same token cannot both win.
 */
#include "common/alloc.h"
#include "common/err.h"
#include "store/sqlite/sqlite_int.h"
#include "store/store.h"

#define TOKEN_HASH_MAX 128

static const char SQL_TOKEN_INSERT[] =
    "INSERT INTO tokens (hash, expires, used, address_allow)"
    " VALUES (?1, ?2, 0, ?3)";

int
wk_sq_token_create(struct wk_store *st, const char *token_hash_hex,
    time_t expires, const char *address_allow)
{
	int r;

	if ((r = wk_store_check_str(token_hash_hex, TOKEN_HASH_MAX)) != 0 ||
	    (r = wk_store_check_str(address_allow,
	    WK_STORE_TOKEN_ALLOW_MAX)) != 0)
		return r;
	if (token_hash_hex[0] == '\0')
		return WK_ERR_INVAL;
	return wk_sq_run(wk_sq(st), "token_create", SQL_TOKEN_INSERT, NULL,
	    "tit", token_hash_hex, (int64_t)expires, address_allow);
}

static const char SQL_TOKEN_ALLOW[] =
    "SELECT address_allow, expires >= ?2 FROM tokens"
    " WHERE hash = ?1 AND used = 0";

int
wk_sq_token_allow(struct wk_store *st, const char *token_hash_hex,
    time_t now, char *out, size_t outsz)
{
	struct wk_sqlite *s = wk_sq(st);
	sqlite3_stmt *stmt = NULL;
	int r;

	if (outsz == 0)
		return WK_ERR_INVAL;
	out[0] = '\0';
	if ((r = wk_store_check_str(token_hash_hex, TOKEN_HASH_MAX)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_sq_prepare(s, SQL_TOKEN_ALLOW, &stmt)) != 0 ||
	    (r = wk_sq_bind(s, stmt, "ti", token_hash_hex,
	    (int64_t)now)) != 0)
		goto out;
	if ((r = wk_sq_step(s, stmt, "token_allow")) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	if (sqlite3_column_int64(stmt, 1) == 0) {
		r = WK_ERR_EXPIRED;
		goto out;
	}
	r = wk_sq_col_copy(s, stmt, 0, out, outsz);
 out:
	wk_sq_done(stmt);
	return r;
}

static const char SQL_TOKEN_CONSUME[] =
    "UPDATE tokens SET used = 1 WHERE hash = ?1 AND used = 0"
    " AND expires >= ?2";
static const char SQL_TOKEN_EXPIRED[] =
    "SELECT count(*) FROM tokens WHERE hash = ?1 AND used = 0"
    " AND expires < ?2";

int
wk_sq_token_consume(struct wk_store *st, const char *token_hash_hex,
    time_t now)
{
	struct wk_sqlite *s = wk_sq(st);
	int64_t expired;
	int changes, r;

	if ((r = wk_store_check_str(token_hash_hex, TOKEN_HASH_MAX)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_sq_run(s, "token_consume", SQL_TOKEN_CONSUME, &changes,
	    "ti", token_hash_hex, (int64_t)now)) != 0)
		return r;
	if (changes == 1)
		return 0;
	if ((r = wk_sq_int(s, "token_consume", SQL_TOKEN_EXPIRED, &expired,
	    "ti", token_hash_hex, (int64_t)now)) != 0)
		return r;
	return expired > 0 ? WK_ERR_EXPIRED : WK_ERR_NOTFOUND;
}

static const char SQL_TOKEN_LIST[] =
    "SELECT hash, expires, address_allow FROM tokens WHERE used = 0"
    " ORDER BY hash";

int
wk_sq_token_list_unused(struct wk_store *st, struct wk_token_row **out,
    size_t *n)
{
	struct wk_sqlite *s = wk_sq(st);
	struct wk_token_row *v = NULL;
	sqlite3_stmt *stmt = NULL;
	size_t cap = 0, cnt = 0;
	int r;

	if (out == NULL || n == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	*n = 0;
	if ((r = wk_sq_prepare(s, SQL_TOKEN_LIST, &stmt)) != 0)
		goto out;
	while ((r = wk_sq_step(s, stmt, "token_list")) == 1) {
		if ((r = wk_sq_grow((void **)&v, &cap, cnt, sizeof(*v))) != 0 ||
		    (r = wk_sq_col_copy(s, stmt, 0, v[cnt].hash,
		    sizeof(v[cnt].hash))) != 0 ||
		    (r = wk_sq_col_copy(s, stmt, 2, v[cnt].address_allow,
		    sizeof(v[cnt].address_allow))) != 0)
			break;
		v[cnt].expires = (time_t)sqlite3_column_int64(stmt, 1);
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
