/*
 * pg_groups.c - IAM groups and their members.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "store/postgres/pg_int.h"

#define GROUP_NAME_MAX	128
#define ID_MAX		32
#define ARN_MAX		2047
#define GROUPS_PER_USER_MAX 10

#define GROUP_COLS "g.name, g.id, g.path, g.arn, g.create_date"

static int
group_row(struct wk_pg *s, struct wk_pg_stmt *stmt, struct wk_group *g)
{
	int r;

	memset(g, 0, sizeof(*g));
	if ((r = wk_pg_col_copy(s, stmt, 0, g->name, sizeof(g->name))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 1, g->id, sizeof(g->id))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 2, g->path, sizeof(g->path))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 3, g->arn, sizeof(g->arn))) != 0)
		return r;
	g->create_date = (time_t)wk_pg_col_int64(stmt, 4);
	return 0;
}

static const char SQL_GROUP_INSERT[] =
    "INSERT INTO iam_groups (name, id, path, arn, create_date)"
    " VALUES ($1, $2, $3, $4, $5)";

int
wk_pg_group_create(struct wk_store *st, const struct wk_group *g)
{
	int r;

	if (g == NULL || g->name[0] == '\0' || g->id[0] == '\0' ||
	    g->path[0] == '\0' || g->arn[0] == '\0')
		return WK_ERR_INVAL;
	if ((r = wk_store_check_str(g->name, GROUP_NAME_MAX)) != 0 ||
	    (r = wk_store_check_str(g->id, ID_MAX)) != 0 ||
	    (r = wk_store_check_str(g->path, PATH_MAX_LEN)) != 0 ||
	    (r = wk_store_check_str(g->arn, ARN_MAX)) != 0)
		return r;
	return wk_pg_run(wk_pgs(st), "group_create", SQL_GROUP_INSERT, NULL,
	    "tttti", g->name, g->id, g->path, g->arn,
	    (int64_t)g->create_date);
}

static const char SQL_GROUP_GET[] =
    "SELECT " GROUP_COLS " FROM iam_groups g WHERE lower(g.name) = lower($1)";

int
wk_pg_group_get(struct wk_store *st, const char *name, struct wk_group *out)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	int r;

	if (out == NULL)
		return WK_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if ((r = wk_store_check_str(name, GROUP_NAME_MAX)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_pg_prepare(s, SQL_GROUP_GET, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "t", name)) != 0)
		goto out;
	if ((r = wk_pg_step(s, stmt, "group_get")) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	r = group_row(s, stmt, out);
 out:
	wk_pg_done(stmt);
	return r;
}

/* wk_pg_collect's view of the row decoder. */
static int
group_row_any(struct wk_pg *s, struct wk_pg_stmt *stmt, void *dst)
{
	return group_row(s, stmt, dst);
}

static const char SQL_GROUP_LIST[] =
    "SELECT " GROUP_COLS " FROM iam_groups g"
    " WHERE ($1 IS NULL OR substr(g.path, 1, length($1)) = $1)"
    " AND ($2 IS NULL OR lower(g.name) >= lower($2))"
    " ORDER BY lower(g.name) LIMIT $3";

int
wk_pg_group_list(struct wk_store *st, const char *path_prefix,
    const char *marker, size_t max_items, struct wk_group **out, size_t *n,
    char **next_marker)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	size_t max = wk_store_max_items(max_items);
	int r;

	if (out != NULL)
		*out = NULL;
	if ((r = wk_pg_page_args(path_prefix, &marker, out, n,
	    next_marker)) != 0)
		return r;
	if ((r = wk_pg_prepare(s, SQL_GROUP_LIST, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "tti", path_prefix, marker,
	    (int64_t)max + 1)) != 0) {
		wk_pg_done(stmt);
		return r;
	}
	return wk_pg_collect(s, stmt, "group_list", max, sizeof(**out),
	    group_row_any, (void **)out, n, next_marker);
}

static const char SQL_GROUP_DEPENDENTS[] =
    "SELECT (SELECT count(*) FROM group_members WHERE gid = $1)"
    " + (SELECT count(*) FROM group_attach WHERE gid = $1)"
    " + (SELECT count(*) FROM group_inline WHERE gid = $1)";
static const char SQL_GROUP_DELETE[] = "DELETE FROM iam_groups WHERE gid = $1";

int
wk_pg_group_delete(struct wk_store *st, const char *name)
{
	struct wk_pg *s = wk_pgs(st);
	int64_t gid, deps;
	int r;

	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = wk_pg_group_gid(s, name, &gid)) != 0 ||
	    (r = wk_pg_int(s, "group_delete", SQL_GROUP_DEPENDENTS, &deps, "i",
	    gid)) != 0)
		goto out;
	if (deps > 0) {
		r = WK_ERR_CONFLICT;
		goto out;
	}
	if ((r = wk_pg_run(s, "group_delete", SQL_GROUP_DELETE, NULL, "i",
	    gid)) != 0)
		goto out;
	r = wk_pg_bump_generation(s);
 out:
	return wk_pg_end(s, r);
}

static const char SQL_MEMBER_EXISTS[] =
    "SELECT count(*) FROM group_members WHERE gid = $1 AND uid = $2";
static const char SQL_USER_GROUP_COUNT[] =
    "SELECT count(*) FROM group_members WHERE uid = $1";
static const char SQL_MEMBER_INSERT[] =
    "INSERT INTO group_members (gid, uid) VALUES ($1, $2)";
static const char SQL_MEMBER_DELETE[] =
    "DELETE FROM group_members WHERE gid = $1 AND uid = $2";

/* Adding a member twice is a no-op success (as IAM's AddUserToGroup). */
int
wk_pg_group_add_user(struct wk_store *st, const char *group_name,
    const char *user_name)
{
	struct wk_pg *s = wk_pgs(st);
	int64_t gid, uid, have, cnt;
	int r;

	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = wk_pg_group_gid(s, group_name, &gid)) != 0 ||
	    (r = wk_pg_user_uid(s, user_name, &uid)) != 0 ||
	    (r = wk_pg_int(s, "group_add_user", SQL_MEMBER_EXISTS, &have, "ii",
	    gid, uid)) != 0)
		goto out;
	if (have > 0)
		goto out;
	if ((r = wk_pg_int(s, "group_add_user", SQL_USER_GROUP_COUNT, &cnt,
	    "i", uid)) != 0)
		goto out;
	if (cnt >= GROUPS_PER_USER_MAX) {
		r = WK_ERR_LIMIT;
		goto out;
	}
	if ((r = wk_pg_run(s, "group_add_user", SQL_MEMBER_INSERT, NULL, "ii",
	    gid, uid)) != 0)
		goto out;
	r = wk_pg_bump_generation(s);
 out:
	return wk_pg_end(s, r);
}

int
wk_pg_group_remove_user(struct wk_store *st, const char *group_name,
    const char *user_name)
{
	struct wk_pg *s = wk_pgs(st);
	int64_t gid, uid;
	int changes, r;

	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = wk_pg_group_gid(s, group_name, &gid)) != 0 ||
	    (r = wk_pg_user_uid(s, user_name, &uid)) != 0 ||
	    (r = wk_pg_run(s, "group_remove_user", SQL_MEMBER_DELETE, &changes,
	    "ii", gid, uid)) != 0)
		goto out;
	if (changes == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	r = wk_pg_bump_generation(s);
 out:
	return wk_pg_end(s, r);
}

static const char SQL_GROUP_MEMBERS[] =
    "SELECT " WK_PG_USER_COLS " FROM group_members m"
    " JOIN users u ON u.uid = m.uid WHERE m.gid = $1 ORDER BY lower(u.name)";

int
wk_pg_group_members(struct wk_store *st, const char *group_name,
    struct wk_user **out, size_t *n)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	int64_t gid;
	int r;

	if (out == NULL || n == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	*n = 0;
	if ((r = wk_pg_group_gid(s, group_name, &gid)) != 0)
		return r;
	if ((r = wk_pg_prepare(s, SQL_GROUP_MEMBERS, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "i", gid)) != 0) {
		wk_pg_done(stmt);
		return r;
	}
	return wk_pg_collect(s, stmt, "group_members", 0, sizeof(**out),
	    wk_pg_user_row_any, (void **)out, n, NULL);
}

static const char SQL_GROUPS_FOR_USER[] =
    "SELECT " GROUP_COLS " FROM group_members m"
    " JOIN iam_groups g ON g.gid = m.gid WHERE m.uid = $1 ORDER BY lower(g.name)";

int
wk_pg_groups_for_user(struct wk_store *st, const char *user_name,
    struct wk_group **out, size_t *n)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	int64_t uid;
	int r;

	if (out == NULL || n == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	*n = 0;
	if ((r = wk_pg_user_uid(s, user_name, &uid)) != 0)
		return r;
	if ((r = wk_pg_prepare(s, SQL_GROUPS_FOR_USER, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "i", uid)) != 0) {
		wk_pg_done(stmt);
		return r;
	}
	return wk_pg_collect(s, stmt, "groups_for_user", 0, sizeof(**out),
	    group_row_any, (void **)out, n, NULL);
}
