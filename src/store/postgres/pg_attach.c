/*
 * pg_attach.c - managed policies attached to users and groups, with
 * the policy's attachment_count kept in the same transaction.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "store/postgres/pg_int.h"

/* The statements of one attachment table; $1 owner row id, $2 pid. */
struct attach_sql {
	const char *op;
	int (*owner)(struct wk_pg *, const char *, int64_t *);
	const char *exists;
	const char *count;	/* $1 owner */
	const char *insert;
	const char *remove;
	const char *list;	/* $1 owner */
};

static const char SQL_UA_EXISTS[] =
    "SELECT count(*) FROM user_attach WHERE uid = $1 AND pid = $2";
static const char SQL_UA_COUNT[] =
    "SELECT count(*) FROM user_attach WHERE uid = $1";
static const char SQL_UA_INSERT[] =
    "INSERT INTO user_attach (uid, pid) VALUES ($1, $2)";
static const char SQL_UA_REMOVE[] =
    "DELETE FROM user_attach WHERE uid = $1 AND pid = $2";
static const char SQL_UA_LIST[] =
    "SELECT " WK_PG_POLICY_COLS " FROM user_attach a"
    " JOIN policies p ON p.pid = a.pid WHERE a.uid = $1 ORDER BY lower(p.name)";

static const struct attach_sql user_attach_sql = {
	.op = "attach_user",
	.owner = wk_pg_user_uid,
	.exists = SQL_UA_EXISTS,
	.count = SQL_UA_COUNT,
	.insert = SQL_UA_INSERT,
	.remove = SQL_UA_REMOVE,
	.list = SQL_UA_LIST,
};

static const char SQL_GA_EXISTS[] =
    "SELECT count(*) FROM group_attach WHERE gid = $1 AND pid = $2";
static const char SQL_GA_COUNT[] =
    "SELECT count(*) FROM group_attach WHERE gid = $1";
static const char SQL_GA_INSERT[] =
    "INSERT INTO group_attach (gid, pid) VALUES ($1, $2)";
static const char SQL_GA_REMOVE[] =
    "DELETE FROM group_attach WHERE gid = $1 AND pid = $2";
static const char SQL_GA_LIST[] =
    "SELECT " WK_PG_POLICY_COLS " FROM group_attach a"
    " JOIN policies p ON p.pid = a.pid WHERE a.gid = $1 ORDER BY lower(p.name)";

static const struct attach_sql group_attach_sql = {
	.op = "attach_group",
	.owner = wk_pg_group_gid,
	.exists = SQL_GA_EXISTS,
	.count = SQL_GA_COUNT,
	.insert = SQL_GA_INSERT,
	.remove = SQL_GA_REMOVE,
	.list = SQL_GA_LIST,
};

static const char SQL_POLICY_COUNT_ADD[] =
    "UPDATE policies SET attachment_count = attachment_count + $2"
    " WHERE pid = $1";

static int
attach(struct wk_pg *s, const struct attach_sql *q, const char *owner,
    const char *arn)
{
	int64_t oid, pid, have, cnt;
	int r;

	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = q->owner(s, owner, &oid)) != 0 ||
	    (r = wk_pg_policy_pid(s, arn, &pid)) != 0 ||
	    (r = wk_pg_int(s, q->op, q->exists, &have, "ii", oid, pid)) != 0)
		goto out;
	if (have > 0)
		goto out;	/* attaching twice is a no-op */
	if ((r = wk_pg_int(s, q->op, q->count, &cnt, "i", oid)) != 0)
		goto out;
	if (cnt >= WK_STORE_ATTACH_MAX) {
		r = WK_ERR_LIMIT;
		goto out;
	}
	if ((r = wk_pg_run(s, q->op, q->insert, NULL, "ii", oid, pid)) != 0 ||
	    (r = wk_pg_run(s, q->op, SQL_POLICY_COUNT_ADD, NULL, "ii", pid,
	    (int64_t)1)) != 0)
		goto out;
	r = wk_pg_bump_generation(s);
 out:
	return wk_pg_end(s, r);
}

static int
detach(struct wk_pg *s, const struct attach_sql *q, const char *owner,
    const char *arn)
{
	int64_t oid, pid;
	int changes, r;

	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = q->owner(s, owner, &oid)) != 0 ||
	    (r = wk_pg_policy_pid(s, arn, &pid)) != 0 ||
	    (r = wk_pg_run(s, q->op, q->remove, &changes, "ii", oid,
	    pid)) != 0)
		goto out;
	if (changes == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	if ((r = wk_pg_run(s, q->op, SQL_POLICY_COUNT_ADD, NULL, "ii", pid,
	    (int64_t)-1)) != 0)
		goto out;
	r = wk_pg_bump_generation(s);
 out:
	return wk_pg_end(s, r);
}

static int
attached_list(struct wk_pg *s, const struct attach_sql *q,
    const char *owner, struct wk_managed_policy **out, size_t *n)
{
	struct wk_pg_stmt *stmt = NULL;
	int64_t oid;
	int r;

	if (out == NULL || n == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	*n = 0;
	if ((r = q->owner(s, owner, &oid)) != 0)
		return r;
	if ((r = wk_pg_prepare(s, q->list, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "i", oid)) != 0) {
		wk_pg_done(stmt);
		return r;
	}
	return wk_pg_collect(s, stmt, q->op, 0, sizeof(**out),
	    wk_pg_policy_row_any, (void **)out, n, NULL);
}

int
wk_pg_attach_user(struct wk_store *st, const char *user_name, const char *arn)
{
	return attach(wk_pgs(st), &user_attach_sql, user_name, arn);
}

int
wk_pg_detach_user(struct wk_store *st, const char *user_name, const char *arn)
{
	return detach(wk_pgs(st), &user_attach_sql, user_name, arn);
}

int
wk_pg_attach_group(struct wk_store *st, const char *group_name,
    const char *arn)
{
	return attach(wk_pgs(st), &group_attach_sql, group_name, arn);
}

int
wk_pg_detach_group(struct wk_store *st, const char *group_name,
    const char *arn)
{
	return detach(wk_pgs(st), &group_attach_sql, group_name, arn);
}

int
wk_pg_attached_user_list(struct wk_store *st, const char *user_name,
    struct wk_managed_policy **out, size_t *n)
{
	return attached_list(wk_pgs(st), &user_attach_sql, user_name, out, n);
}

int
wk_pg_attached_group_list(struct wk_store *st, const char *group_name,
    struct wk_managed_policy **out, size_t *n)
{
	return attached_list(wk_pgs(st), &group_attach_sql, group_name, out, n);
}

static const char SQL_POLICY_USERS[] =
    "SELECT u.name FROM user_attach a JOIN users u ON u.uid = a.uid"
    " WHERE a.pid = $1 ORDER BY lower(u.name)";
static const char SQL_POLICY_GROUPS[] =
    "SELECT g.name FROM group_attach a JOIN iam_groups g ON g.gid = a.gid"
    " WHERE a.pid = $1 ORDER BY lower(g.name)";

int
wk_pg_policy_entities(struct wk_store *st, const char *arn, char ***users,
    size_t *nusers, char ***groups, size_t *ngroups)
{
	struct wk_pg *s = wk_pgs(st);
	int64_t pid;
	int r;

	if (users == NULL || nusers == NULL || groups == NULL ||
	    ngroups == NULL)
		return WK_ERR_INVAL;
	*users = NULL;
	*groups = NULL;
	*nusers = *ngroups = 0;
	if ((r = wk_pg_policy_pid(s, arn, &pid)) != 0)
		return r;
	if ((r = wk_pg_strv(s, "policy_entities", SQL_POLICY_USERS, pid,
	    users, nusers)) != 0)
		return r;
	if ((r = wk_pg_strv(s, "policy_entities", SQL_POLICY_GROUPS, pid,
	    groups, ngroups)) != 0) {
		wk_store_strv_free(*users, *nusers);
		*users = NULL;
		*nusers = 0;
	}
	return r;
}
