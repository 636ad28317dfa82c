/*
 * pg_keys.c - access keys. Secrets are sealed (seal.c) with the access
 * key id as additional data before they reach the database, and unsealed
 * only in wk_pg_key_get.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "store/postgres/pg_int.h"

static const char SQL_KEY_COUNT[] =
    "SELECT count(*) FROM access_keys WHERE uid = $1";
static const char SQL_KEY_INSERT[] =
    "INSERT INTO access_keys (id, uid, secret, active, create_date,"
    " last_used, last_used_service, last_used_region)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

static int
check_key(const struct wk_access_key *k)
{
	if (k == NULL || k->id[0] == '\0' || k->secret[0] == '\0')
		return WK_ERR_INVAL;
	if (strnlen(k->id, sizeof(k->id)) == sizeof(k->id) ||
	    strnlen(k->secret, sizeof(k->secret)) == sizeof(k->secret) ||
	    strnlen(k->last_used_service, sizeof(k->last_used_service)) ==
	    sizeof(k->last_used_service) ||
	    strnlen(k->last_used_region, sizeof(k->last_used_region)) ==
	    sizeof(k->last_used_region))
		return WK_ERR_TOOBIG;
	return 0;
}

int
wk_pg_key_create(struct wk_store *st, const struct wk_access_key *k)
{
	struct wk_pg *s = wk_pgs(st);
	uint8_t *sealed = NULL;
	size_t sealedlen = 0;
	int64_t uid, cnt;
	int r;

	if ((r = check_key(k)) != 0)
		return r;
	if ((r = wk_store_seal(st->master_key, k->id, k->secret, &sealed,
	    &sealedlen)) != 0)
		return r;
	if ((r = wk_pg_begin(s)) != 0)
		goto out;
	if ((r = wk_pg_user_uid(s, k->user_name, &uid)) != 0 ||
	    (r = wk_pg_int(s, "key_create", SQL_KEY_COUNT, &cnt, "i",
	    uid)) != 0)
		goto end;
	if (cnt >= WK_STORE_KEYS_MAX) {
		r = WK_ERR_LIMIT;
		goto end;
	}
	r = wk_pg_run(s, "key_create", SQL_KEY_INSERT, NULL, "tibiiitt", k->id,
	    uid, (const void *)sealed, sealedlen, (int64_t)(k->active ? 1 : 0),
	    (int64_t)k->create_date, (int64_t)k->last_used,
	    k->last_used_service, k->last_used_region);
 end:
	r = wk_pg_end(s, r);
 out:
	wk_free(sealed);
	return r;
}

#define KEY_COLS \
	"k.id, u.name, k.active, k.create_date, k.last_used," \
	" k.last_used_service, k.last_used_region, k.secret"

static int
key_row(struct wk_pg *s, struct wk_pg_stmt *stmt, struct wk_access_key *k)
{
	int r;

	memset(k, 0, sizeof(*k));
	if ((r = wk_pg_col_copy(s, stmt, 0, k->id, sizeof(k->id))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 1, k->user_name,
	    sizeof(k->user_name))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 5, k->last_used_service,
	    sizeof(k->last_used_service))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 6, k->last_used_region,
	    sizeof(k->last_used_region))) != 0)
		return r;
	k->active = wk_pg_col_int64(stmt, 2) != 0;
	k->create_date = (time_t)wk_pg_col_int64(stmt, 3);
	k->last_used = (time_t)wk_pg_col_int64(stmt, 4);
	return 0;
}

static const char SQL_KEY_GET[] =
    "SELECT " KEY_COLS " FROM access_keys k JOIN users u ON u.uid = k.uid"
    " WHERE k.id = $1";

int
wk_pg_key_get(struct wk_store *st, const char *id, struct wk_access_key *out)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	int r;

	if (out == NULL)
		return WK_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if ((r = wk_store_check_str(id, sizeof(out->id) - 1)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_pg_prepare(s, SQL_KEY_GET, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "t", id)) != 0)
		goto out;
	if ((r = wk_pg_step(s, stmt, "key_get")) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	if ((r = key_row(s, stmt, out)) != 0)
		goto out;
	if ((r = wk_pg_col_bytea(stmt, 7, &blob, &bloblen)) != 0)
		goto out;
	if (blob == NULL || bloblen == 0) {
		r = WK_ERR_CRYPTO;
		goto out;
	}
	r = wk_store_unseal(st->master_key, out->id, blob, bloblen,
	    out->secret, sizeof(out->secret));
	if (r != 0) {
		wk_log(WK_LOG_ERROR, "store_key", "access_key_id=%s "
		    "error=\"secret does not decrypt\"", out->id);
		r = WK_ERR_CRYPTO;
	}
 out:
	wk_pg_done(stmt);
	wk_free(blob);
	if (r != 0)
		wk_explicit_bzero(out, sizeof(*out));
	return r;
}

static const char SQL_KEY_LIST[] =
    "SELECT " KEY_COLS " FROM access_keys k JOIN users u ON u.uid = k.uid"
    " WHERE k.uid = $1 ORDER BY k.create_date, k.id";

int
wk_pg_key_list(struct wk_store *st, const char *user_name,
    struct wk_access_key **out, size_t *n)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	struct wk_access_key *v = NULL;
	size_t cap = 0, cnt = 0;
	int64_t uid;
	int r;

	if (out == NULL || n == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	*n = 0;
	if ((r = wk_pg_user_uid(s, user_name, &uid)) != 0)
		return r;
	if ((r = wk_pg_prepare(s, SQL_KEY_LIST, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "i", uid)) != 0)
		goto out;
	while ((r = wk_pg_step(s, stmt, "key_list")) == 1) {
		if ((r = wk_pg_grow((void **)&v, &cap, cnt, sizeof(*v))) != 0 ||
		    (r = key_row(s, stmt, &v[cnt])) != 0)
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

static const char SQL_KEY_SET_ACTIVE[] =
    "UPDATE access_keys SET active = $3 WHERE id = $2"
    " AND uid = (SELECT uid FROM users WHERE lower(name) = lower($1))";
static const char SQL_KEY_DELETE[] =
    "DELETE FROM access_keys WHERE id = $2"
    " AND uid = (SELECT uid FROM users WHERE lower(name) = lower($1))";

static int
check_user_key(const char *user_name, const char *id)
{
	int r;

	if ((r = wk_store_check_str(user_name, 64)) != 0 ||
	    (r = wk_store_check_str(id, 32)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	return 0;
}

int
wk_pg_key_set_active(struct wk_store *st, const char *user_name,
    const char *id, bool active)
{
	struct wk_pg *s = wk_pgs(st);
	int changes, r;

	if ((r = check_user_key(user_name, id)) != 0)
		return r;
	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = wk_pg_run(s, "key_set_active", SQL_KEY_SET_ACTIVE,
	    &changes, "tti", user_name, id, (int64_t)(active ? 1 : 0))) == 0)
		r = changes == 1 ? wk_pg_bump_generation(s) : WK_ERR_NOTFOUND;
	return wk_pg_end(s, r);
}

int
wk_pg_key_delete(struct wk_store *st, const char *user_name, const char *id)
{
	struct wk_pg *s = wk_pgs(st);
	int changes, r;

	if ((r = check_user_key(user_name, id)) != 0)
		return r;
	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = wk_pg_run(s, "key_delete", SQL_KEY_DELETE, &changes,
	    "tt", user_name, id)) == 0)
		r = changes == 1 ? wk_pg_bump_generation(s) : WK_ERR_NOTFOUND;
	return wk_pg_end(s, r);
}

static const char SQL_KEY_TOUCH[] =
    "UPDATE access_keys SET last_used = $2, last_used_service = $3,"
    " last_used_region = $4 WHERE id = $1";

int
wk_pg_key_touch(struct wk_store *st, const char *id, time_t when,
    const char *service, const char *region)
{
	int changes, r;

	if ((r = wk_store_check_str(id, 32)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if (service == NULL)
		service = "";
	if (region == NULL)
		region = "";
	if ((r = wk_store_check_str(service, 63)) != 0 ||
	    (r = wk_store_check_str(region, 63)) != 0)
		return r;
	if ((r = wk_pg_run(wk_pgs(st), "key_touch", SQL_KEY_TOUCH, &changes,
	    "titt", id, (int64_t)when, service, region)) != 0)
		return r;
	return changes == 1 ? 0 : WK_ERR_NOTFOUND;
}

int
wk_pg_key_touch_batch(struct wk_store *st, const struct wk_key_use *u,
    size_t n)
{
	struct wk_pg *s = wk_pgs(st);
	int changes, r = 0;

	if (u == NULL || n == 0)
		return WK_ERR_INVAL;
	if (n > WK_STORE_KEY_TOUCH_BATCH_MAX)
		return WK_ERR_TOOBIG;
	for (size_t i = 0; i < n; i++)
		if ((r = wk_store_check_str(u[i].id, 32)) != 0 ||
		    (r = wk_store_check_str(u[i].service, 63)) != 0 ||
		    (r = wk_store_check_str(u[i].region, 63)) != 0)
			return r;
	if ((r = wk_pg_begin(s)) != 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++)
		r = wk_pg_run(s, "key_touch", SQL_KEY_TOUCH, &changes, "titt",
		    u[i].id, (int64_t)u[i].when, u[i].service, u[i].region);
	return wk_pg_end(s, r);
}
