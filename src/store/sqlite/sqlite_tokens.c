/*
 * sqlite_tokens.c - single-use enrollment tokens, stored as hashes only.
 * Consumption is one UPDATE ... WHERE used = 0, so two concurrent
 * enrollments with the same token cannot both win.
 */
#include "common/err.h"
#include "store/sqlite/sqlite_int.h"

#define TOKEN_HASH_MAX 128

static const char SQL_TOKEN_INSERT[] =
    "INSERT INTO tokens (hash, expires, used) VALUES (?1, ?2, 0)";

int
wk_sq_token_create(struct wk_store *st, const char *token_hash_hex,
    time_t expires)
{
	int r;

	if ((r = wk_store_check_str(token_hash_hex, TOKEN_HASH_MAX)) != 0)
		return r;
	if (token_hash_hex[0] == '\0')
		return WK_ERR_INVAL;
	return wk_sq_run(wk_sq(st), "token_create", SQL_TOKEN_INSERT, NULL,
	    "ti", token_hash_hex, (int64_t)expires);
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
