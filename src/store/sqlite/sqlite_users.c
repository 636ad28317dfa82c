/*
 * sqlite_users.c - IAM users and their login profiles.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "store/sqlite/sqlite_int.h"

#define USER_NAME_MAX	64
#define ID_MAX		32
#define ARN_MAX		2047

int
wk_sq_user_row(struct wk_sqlite *s, sqlite3_stmt *stmt, struct wk_user *u)
{
	int r;

	memset(u, 0, sizeof(*u));
	if ((r = wk_sq_col_copy(s, stmt, 0, u->name, sizeof(u->name))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 1, u->id, sizeof(u->id))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 2, u->path, sizeof(u->path))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 3, u->arn, sizeof(u->arn))) != 0)
		return r;
	u->create_date = (time_t)sqlite3_column_int64(stmt, 4);
	u->password_last_used = (time_t)sqlite3_column_int64(stmt, 5);
	return 0;
}

static int
check_user(const struct wk_user *u)
{
	int r;

	if (u == NULL || u->name[0] == '\0' || u->id[0] == '\0' ||
	    u->path[0] == '\0' || u->arn[0] == '\0')
		return WK_ERR_INVAL;
	if ((r = wk_store_check_str(u->name, USER_NAME_MAX)) != 0 ||
	    (r = wk_store_check_str(u->id, ID_MAX)) != 0 ||
	    (r = wk_store_check_str(u->path, PATH_MAX_LEN)) != 0 ||
	    (r = wk_store_check_str(u->arn, ARN_MAX)) != 0)
		return r;
	return 0;
}

static const char SQL_USER_INSERT[] =
    "INSERT INTO users (name, id, path, arn, create_date, password_last_used)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

int
wk_sq_user_create(struct wk_store *st, const struct wk_user *u)
{
	int r;

	if ((r = check_user(u)) != 0)
		return r;
	return wk_sq_run(wk_sq(st), "user_create", SQL_USER_INSERT, NULL,
	    "ttttii", u->name, u->id, u->path, u->arn,
	    (int64_t)u->create_date, (int64_t)u->password_last_used);
}

static const char SQL_USER_GET[] =
    "SELECT " WK_SQ_USER_COLS " FROM users u WHERE u.name = ?1";

int
wk_sq_user_get(struct wk_store *st, const char *name, struct wk_user *out)
{
	struct wk_sqlite *s = wk_sq(st);
	sqlite3_stmt *stmt = NULL;
	int r;

	if (out == NULL)
		return WK_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if ((r = wk_store_check_str(name, USER_NAME_MAX)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_sq_prepare(s, SQL_USER_GET, &stmt)) != 0 ||
	    (r = wk_sq_bind(s, stmt, "t", name)) != 0)
		goto out;
	if ((r = wk_sq_step(s, stmt, "user_get")) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	r = wk_sq_user_row(s, stmt, out);
 out:
	wk_sq_done(stmt);
	return r;
}

/* wk_sq_collect's view of the row decoder. */
int
wk_sq_user_row_any(struct wk_sqlite *s, sqlite3_stmt *stmt, void *dst)
{
	return wk_sq_user_row(s, stmt, dst);
}

static const char SQL_USER_LIST[] =
    "SELECT " WK_SQ_USER_COLS " FROM users u"
    " WHERE (?1 IS NULL OR substr(u.path, 1, length(?1)) = ?1)"
    " AND (?2 IS NULL OR u.name >= ?2)"
    " ORDER BY u.name LIMIT ?3";

int
wk_sq_user_list(struct wk_store *st, const char *path_prefix,
    const char *marker, size_t max_items, struct wk_user **out, size_t *n,
    char **next_marker)
{
	struct wk_sqlite *s = wk_sq(st);
	sqlite3_stmt *stmt = NULL;
	size_t max = wk_store_max_items(max_items);
	int r;

	if (out != NULL)
		*out = NULL;
	if ((r = wk_sq_page_args(path_prefix, &marker, out, n,
	    next_marker)) != 0)
		return r;
	if ((r = wk_sq_prepare(s, SQL_USER_LIST, &stmt)) != 0 ||
	    (r = wk_sq_bind(s, stmt, "tti", path_prefix, marker,
	    (int64_t)max + 1)) != 0) {
		wk_sq_done(stmt);
		return r;
	}
	return wk_sq_collect(s, stmt, "user_list", max, sizeof(**out),
	    wk_sq_user_row_any, (void **)out, n, next_marker);
}

static const char SQL_USER_SET_NAME[] =
    "UPDATE users SET name = ?2 WHERE uid = ?1";
static const char SQL_USER_SET_PATH[] =
    "UPDATE users SET path = ?2 WHERE uid = ?1";
static const char SQL_USER_SET_ARN[] =
    "UPDATE users SET arn = ?2 WHERE uid = ?1";

int
wk_sq_user_update(struct wk_store *st, const char *name, const char *new_name,
    const char *new_path, const char *new_arn)
{
	struct wk_sqlite *s = wk_sq(st);
	int64_t uid;
	int r;

	if ((r = wk_store_check_opt(new_name, USER_NAME_MAX)) != 0 ||
	    (r = wk_store_check_opt(new_path, PATH_MAX_LEN)) != 0 ||
	    (r = wk_store_check_opt(new_arn, ARN_MAX)) != 0)
		return r;
	if ((new_name != NULL && new_name[0] == '\0') ||
	    (new_path != NULL && new_path[0] == '\0') ||
	    (new_arn != NULL && new_arn[0] == '\0'))
		return WK_ERR_INVAL;
	if ((r = wk_sq_begin(s)) != 0)
		return r;
	if ((r = wk_sq_user_uid(s, name, &uid)) != 0)
		goto out;
	if (new_name != NULL) {
		if ((r = wk_sq_run(s, "user_update", SQL_USER_SET_NAME, NULL,
		    "it", uid, new_name)) != 0)
			goto out;
	}
	if (new_path != NULL && (r = wk_sq_run(s, "user_update",
	    SQL_USER_SET_PATH, NULL, "it", uid, new_path)) != 0)
		goto out;
	if (new_arn != NULL && (r = wk_sq_run(s, "user_update",
	    SQL_USER_SET_ARN, NULL, "it", uid, new_arn)) != 0)
		goto out;
	r = wk_sq_bump_generation(s);
 out:
	return wk_sq_end(s, r);
}

static const char SQL_USER_DEPENDENTS[] =
    "SELECT (SELECT count(*) FROM access_keys WHERE uid = ?1)"
    " + (SELECT count(*) FROM user_attach WHERE uid = ?1)"
    " + (SELECT count(*) FROM user_inline WHERE uid = ?1)"
    " + (SELECT count(*) FROM group_members WHERE uid = ?1)"
    " + (SELECT count(*) FROM login_profiles WHERE uid = ?1)";
static const char SQL_USER_DELETE[] = "DELETE FROM users WHERE uid = ?1";

int
wk_sq_user_delete(struct wk_store *st, const char *name)
{
	struct wk_sqlite *s = wk_sq(st);
	int64_t uid, deps;
	int r;

	if ((r = wk_sq_begin(s)) != 0)
		return r;
	if ((r = wk_sq_user_uid(s, name, &uid)) != 0)
		goto out;
	if ((r = wk_sq_int(s, "user_delete", SQL_USER_DEPENDENTS, &deps, "i",
	    uid)) != 0)
		goto out;
	if (deps > 0) {
		r = WK_ERR_CONFLICT;
		goto out;
	}
	if ((r = wk_sq_run(s, "user_delete", SQL_USER_DELETE, NULL, "i",
	    uid)) != 0 || (r = wk_sq_bump_generation(s)) != 0)
		goto out;
 out:
	return wk_sq_end(s, r);
}

static const char SQL_USER_TOUCH_PW[] =
    "UPDATE users SET password_last_used = ?2 WHERE name = ?1";

int
wk_sq_user_touch_password(struct wk_store *st, const char *name, time_t when)
{
	struct wk_sqlite *s = wk_sq(st);
	int changes, r;

	if ((r = wk_store_check_str(name, USER_NAME_MAX)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_sq_begin(s)) != 0)
		return r;
	if ((r = wk_sq_run(s, "user_touch_password", SQL_USER_TOUCH_PW,
	    &changes, "ti", name, (int64_t)when)) == 0)
		r = changes == 1 ? wk_sq_bump_generation(s) : WK_ERR_NOTFOUND;
	return wk_sq_end(s, r);
}

/* ---- login profiles ---- */

static const char SQL_LP_EXISTS[] =
    "SELECT count(*) FROM login_profiles WHERE uid = ?1";
static const char SQL_LP_INSERT[] =
    "INSERT INTO login_profiles (uid, password_hash, reset_required,"
    " create_date) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_LP_UPDATE[] =
    "UPDATE login_profiles SET reset_required = ?2,"
    " password_hash = CASE WHEN ?3 = '' THEN password_hash ELSE ?3 END"
    " WHERE uid = ?1";

/*
 * create: INSERT (EXISTS if present). Otherwise update reset_required and,
 * when password_hash is non-empty, the hash (NOTFOUND if absent).
 */
int
wk_sq_login_profile_put(struct wk_store *st, const struct wk_login_profile *p,
    bool create)
{
	struct wk_sqlite *s = wk_sq(st);
	int64_t uid, have;
	int r;

	if (p == NULL)
		return WK_ERR_INVAL;
	if ((r = wk_store_check_str(p->password_hash,
	    sizeof(p->password_hash) - 1)) != 0)
		return r;
	if (create && p->password_hash[0] == '\0')
		return WK_ERR_INVAL;
	if ((r = wk_sq_begin(s)) != 0)
		return r;
	if ((r = wk_sq_user_uid(s, p->user_name, &uid)) != 0 ||
	    (r = wk_sq_int(s, "login_profile_put", SQL_LP_EXISTS, &have, "i",
	    uid)) != 0)
		goto out;
	if (create && have > 0) {
		r = WK_ERR_EXISTS;
		goto out;
	}
	if (!create && have == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	if (create)
		r = wk_sq_run(s, "login_profile_put", SQL_LP_INSERT, NULL,
		    "itii", uid, p->password_hash,
		    (int64_t)(p->reset_required ? 1 : 0),
		    (int64_t)p->create_date);
	else
		r = wk_sq_run(s, "login_profile_put", SQL_LP_UPDATE, NULL,
		    "iit", uid, (int64_t)(p->reset_required ? 1 : 0),
		    p->password_hash);
 out:
	return wk_sq_end(s, r);
}

static const char SQL_LP_GET[] =
    "SELECT u.name, lp.password_hash, lp.reset_required, lp.create_date"
    " FROM login_profiles lp JOIN users u ON u.uid = lp.uid"
    " WHERE u.name = ?1";

int
wk_sq_login_profile_get(struct wk_store *st, const char *user_name,
    struct wk_login_profile *out)
{
	struct wk_sqlite *s = wk_sq(st);
	sqlite3_stmt *stmt = NULL;
	int r;

	if (out == NULL)
		return WK_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if ((r = wk_store_check_str(user_name, USER_NAME_MAX)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_sq_prepare(s, SQL_LP_GET, &stmt)) != 0 ||
	    (r = wk_sq_bind(s, stmt, "t", user_name)) != 0)
		goto out;
	if ((r = wk_sq_step(s, stmt, "login_profile_get")) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	if ((r = wk_sq_col_copy(s, stmt, 0, out->user_name,
	    sizeof(out->user_name))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 1, out->password_hash,
	    sizeof(out->password_hash))) != 0)
		goto out;
	out->reset_required = sqlite3_column_int64(stmt, 2) != 0;
	out->create_date = (time_t)sqlite3_column_int64(stmt, 3);
 out:
	wk_sq_done(stmt);
	if (r != 0)
		wk_explicit_bzero(out, sizeof(*out));
	return r;
}

static const char SQL_LP_DELETE[] =
    "DELETE FROM login_profiles"
    " WHERE uid = (SELECT uid FROM users WHERE name = ?1)";

int
wk_sq_login_profile_delete(struct wk_store *st, const char *user_name)
{
	int changes, r;

	if ((r = wk_store_check_str(user_name, USER_NAME_MAX)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_sq_run(wk_sq(st), "login_profile_delete", SQL_LP_DELETE,
	    &changes, "t", user_name)) != 0)
		return r;
	return changes == 1 ? 0 : WK_ERR_NOTFOUND;
}
