/*
 * pg_inline.c - inline policies of users and groups, and the one query
 * authorization needs: every policy document that applies to a user.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "store/postgres/pg_int.h"

#define POLICY_NAME_MAX	128

/* The statements of one inline table; $1 owner row id, $2 policy name. */
struct inline_sql {
	const char *op;
	int (*owner)(struct wk_pg *, const char *, int64_t *);
	const char *upsert;	/* $3 document */
	const char *get;	/* $1 owner NAME, $2 policy name */
	const char *list;	/* $1 owner */
	const char *remove;
};

static const char SQL_UI_UPSERT[] =
    "INSERT INTO user_inline (uid, name, document) VALUES ($1, $2, $3)"
    " ON CONFLICT (uid, lower(name)) DO UPDATE SET document = excluded.document";
static const char SQL_UI_GET[] =
    "SELECT i.name, i.document FROM user_inline i"
    " JOIN users u ON u.uid = i.uid WHERE lower(u.name) = lower($1) AND lower(i.name) = lower($2)";
static const char SQL_UI_LIST[] =
    "SELECT name FROM user_inline WHERE uid = $1 ORDER BY lower(name)";
static const char SQL_UI_REMOVE[] =
    "DELETE FROM user_inline WHERE uid = $1 AND lower(name) = lower($2)";

static const struct inline_sql user_inline_sql = {
	.op = "user_policy",
	.owner = wk_pg_user_uid,
	.upsert = SQL_UI_UPSERT,
	.get = SQL_UI_GET,
	.list = SQL_UI_LIST,
	.remove = SQL_UI_REMOVE,
};

static const char SQL_GI_UPSERT[] =
    "INSERT INTO group_inline (gid, name, document) VALUES ($1, $2, $3)"
    " ON CONFLICT (gid, lower(name)) DO UPDATE SET document = excluded.document";
static const char SQL_GI_GET[] =
    "SELECT i.name, i.document FROM group_inline i"
    " JOIN iam_groups g ON g.gid = i.gid WHERE lower(g.name) = lower($1) AND lower(i.name) = lower($2)";
static const char SQL_GI_LIST[] =
    "SELECT name FROM group_inline WHERE gid = $1 ORDER BY lower(name)";
static const char SQL_GI_REMOVE[] =
    "DELETE FROM group_inline WHERE gid = $1 AND lower(name) = lower($2)";

static const struct inline_sql group_inline_sql = {
	.op = "group_policy",
	.owner = wk_pg_group_gid,
	.upsert = SQL_GI_UPSERT,
	.get = SQL_GI_GET,
	.list = SQL_GI_LIST,
	.remove = SQL_GI_REMOVE,
};

static int
inline_put(struct wk_pg *s, const struct inline_sql *q, const char *owner,
    const char *name, const char *document)
{
	int64_t oid;
	int r;

	if ((r = wk_store_check_str(name, POLICY_NAME_MAX)) != 0 ||
	    (r = wk_store_check_str(document, WK_STORE_DOC_MAX)) != 0)
		return r;
	if (name[0] == '\0' || document[0] == '\0')
		return WK_ERR_INVAL;
	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = q->owner(s, owner, &oid)) != 0 ||
	    (r = wk_pg_run(s, q->op, q->upsert, NULL, "itt", oid, name,
	    document)) != 0)
		goto out;
	r = wk_pg_bump_generation(s);
 out:
	return wk_pg_end(s, r);
}

static int
inline_get(struct wk_pg *s, const struct inline_sql *q, const char *owner,
    const char *name, struct wk_inline_policy *out)
{
	struct wk_pg_stmt *stmt = NULL;
	int r;

	if (out == NULL)
		return WK_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if ((r = wk_store_check_str(owner, 128)) != 0 ||
	    (r = wk_store_check_str(name, POLICY_NAME_MAX)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_pg_prepare(s, q->get, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "tt", owner, name)) != 0)
		goto out;
	if ((r = wk_pg_step(s, stmt, q->op)) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	if ((r = wk_pg_col_copy(s, stmt, 0, out->name,
	    sizeof(out->name))) != 0)
		goto out;
	r = wk_pg_col_strdup(stmt, 1, &out->document);
 out:
	wk_pg_done(stmt);
	return r;
}

static int
inline_list(struct wk_pg *s, const struct inline_sql *q, const char *owner,
    char ***names, size_t *n)
{
	int64_t oid;
	int r;

	if (names == NULL || n == NULL)
		return WK_ERR_INVAL;
	*names = NULL;
	*n = 0;
	if ((r = q->owner(s, owner, &oid)) != 0)
		return r;
	return wk_pg_strv(s, q->op, q->list, oid, names, n);
}

static int
inline_delete(struct wk_pg *s, const struct inline_sql *q,
    const char *owner, const char *name)
{
	int64_t oid;
	int changes, r;

	if ((r = wk_store_check_str(name, POLICY_NAME_MAX)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = q->owner(s, owner, &oid)) != 0 ||
	    (r = wk_pg_run(s, q->op, q->remove, &changes, "it", oid,
	    name)) != 0)
		goto out;
	if (changes == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	r = wk_pg_bump_generation(s);
 out:
	return wk_pg_end(s, r);
}

int
wk_pg_user_policy_put(struct wk_store *st, const char *user_name,
    const char *policy_name, const char *document)
{
	return inline_put(wk_pgs(st), &user_inline_sql, user_name, policy_name,
	    document);
}

int
wk_pg_user_policy_get(struct wk_store *st, const char *user_name,
    const char *policy_name, struct wk_inline_policy *out)
{
	return inline_get(wk_pgs(st), &user_inline_sql, user_name, policy_name,
	    out);
}

int
wk_pg_user_policy_list(struct wk_store *st, const char *user_name,
    char ***names, size_t *n)
{
	return inline_list(wk_pgs(st), &user_inline_sql, user_name, names, n);
}

int
wk_pg_user_policy_delete(struct wk_store *st, const char *user_name,
    const char *policy_name)
{
	return inline_delete(wk_pgs(st), &user_inline_sql, user_name,
	    policy_name);
}

int
wk_pg_group_policy_put(struct wk_store *st, const char *group_name,
    const char *policy_name, const char *document)
{
	return inline_put(wk_pgs(st), &group_inline_sql, group_name,
	    policy_name, document);
}

int
wk_pg_group_policy_get(struct wk_store *st, const char *group_name,
    const char *policy_name, struct wk_inline_policy *out)
{
	return inline_get(wk_pgs(st), &group_inline_sql, group_name,
	    policy_name, out);
}

int
wk_pg_group_policy_list(struct wk_store *st, const char *group_name,
    char ***names, size_t *n)
{
	return inline_list(wk_pgs(st), &group_inline_sql, group_name, names, n);
}

int
wk_pg_group_policy_delete(struct wk_store *st, const char *group_name,
    const char *policy_name)
{
	return inline_delete(wk_pgs(st), &group_inline_sql, group_name,
	    policy_name);
}

/*
 * Order: the user's inline policies, managed policies (default versions,
 * each once, whether attached to the user or through a group), then the
 * inline policies of the user's groups.
 */
static const char SQL_EFFECTIVE[] =
    "SELECT 1, 'user/' || u.name || '/inline/' || i.name, i.document"
    " FROM user_inline i JOIN users u ON u.uid = i.uid WHERE i.uid = $1"
    " UNION"
    " SELECT 2, p.arn, v.document FROM user_attach a"
    " JOIN policies p ON p.pid = a.pid"
    " JOIN policy_versions v ON v.pid = p.pid AND v.num = p.default_num"
    " WHERE a.uid = $1"
    " UNION"
    " SELECT 2, p.arn, v.document FROM group_members m"
    " JOIN group_attach a ON a.gid = m.gid"
    " JOIN policies p ON p.pid = a.pid"
    " JOIN policy_versions v ON v.pid = p.pid AND v.num = p.default_num"
    " WHERE m.uid = $1"
    " UNION"
    " SELECT 3, 'group/' || g.name || '/inline/' || gi.name, gi.document"
    " FROM group_members m JOIN iam_groups g ON g.gid = m.gid"
    " JOIN group_inline gi ON gi.gid = g.gid WHERE m.uid = $1"
    " ORDER BY 1, 2";

int
wk_pg_effective_policies(struct wk_store *st, const char *user_name,
    struct wk_effective_policy **out, size_t *n)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	struct wk_effective_policy *v = NULL;
	size_t cap = 0, cnt = 0;
	int64_t uid;
	int r;

	if (out == NULL || n == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	*n = 0;
	if ((r = wk_pg_user_uid(s, user_name, &uid)) != 0)
		return r;
	if ((r = wk_pg_prepare(s, SQL_EFFECTIVE, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "i", uid)) != 0)
		goto out;
	while ((r = wk_pg_step(s, stmt, "effective_policies")) == 1) {
		if ((r = wk_pg_grow((void **)&v, &cap, cnt, sizeof(*v))) != 0 ||
		    (r = wk_pg_col_copy(s, stmt, 1, v[cnt].source,
		    sizeof(v[cnt].source))) != 0)
			break;
		r = wk_pg_col_strdup(stmt, 2, &v[cnt].document);
		if (r != 0)
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
	wk_effective_policy_list_free(v, cnt);
	return r;
}
