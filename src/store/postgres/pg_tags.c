/*
 * pg_tags.c - tags on users and on instances: same rules (upsert each,
 * at most 50 per entity, keys 1..128 bytes, values 0..256), two tables.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "store/postgres/pg_int.h"

/* The statements of one tag table; $1 is the owner (row id or text id). */
struct tag_sql {
	const char *op;
	const char *upsert;	/* $1 owner, $2 key, $3 value */
	const char *remove;	/* $1 owner, $2 key */
	const char *count;	/* $1 owner */
	const char *list;	/* $1 owner */
};

static const char SQL_UTAG_UPSERT[] =
    "INSERT INTO user_tags (uid, key, value) VALUES ($1, $2, $3)"
    " ON CONFLICT (uid, key) DO UPDATE SET value = excluded.value";
static const char SQL_UTAG_REMOVE[] =
    "DELETE FROM user_tags WHERE uid = $1 AND key = $2";
static const char SQL_UTAG_COUNT[] =
    "SELECT count(*) FROM user_tags WHERE uid = $1";
static const char SQL_UTAG_LIST[] =
    "SELECT key, value FROM user_tags WHERE uid = $1 ORDER BY key";

static const struct tag_sql user_tag_sql = {
	.op = "user_tags",
	.upsert = SQL_UTAG_UPSERT,
	.remove = SQL_UTAG_REMOVE,
	.count = SQL_UTAG_COUNT,
	.list = SQL_UTAG_LIST,
};

static const char SQL_ITAG_UPSERT[] =
    "INSERT INTO instance_tags (instance_id, key, value) VALUES ($1, $2, $3)"
    " ON CONFLICT (instance_id, key) DO UPDATE SET value = excluded.value";
static const char SQL_ITAG_REMOVE[] =
    "DELETE FROM instance_tags WHERE instance_id = $1 AND key = $2";
static const char SQL_ITAG_COUNT[] =
    "SELECT count(*) FROM instance_tags WHERE instance_id = $1";
static const char SQL_ITAG_LIST[] =
    "SELECT key, value FROM instance_tags WHERE instance_id = $1"
    " ORDER BY key";

static const struct tag_sql instance_tag_sql = {
	.op = "instance_tags",
	.upsert = SQL_ITAG_UPSERT,
	.remove = SQL_ITAG_REMOVE,
	.count = SQL_ITAG_COUNT,
	.list = SQL_ITAG_LIST,
};

static const char SQL_INSTANCE_EXISTS[] =
    "SELECT count(*) FROM instances WHERE id = $1";

/* Owner of a tag set: a user's row id, or an instance id. */
struct tag_owner {
	int64_t uid;
	const char *instance_id;
};

static int
owner_find(struct wk_pg *s, const struct tag_sql *q, const char *name,
    struct tag_owner *o)
{
	int64_t cnt;
	int r;

	memset(o, 0, sizeof(*o));
	if (q == &user_tag_sql)
		return wk_pg_user_uid(s, name, &o->uid);
	if ((r = wk_store_check_str(name, 32)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_pg_int(s, q->op, SQL_INSTANCE_EXISTS, &cnt, "t",
	    name)) != 0)
		return r;
	if (cnt == 0)
		return WK_ERR_NOTFOUND;
	o->instance_id = name;
	return 0;
}

static int
owner_bind_run(struct wk_pg *s, const struct tag_sql *q, const char *sql,
    const struct tag_owner *o, int *changes, const char *key,
    const char *value)
{
	/* value NULL: the statement takes owner and key only */
	if (o->instance_id != NULL)
		return wk_pg_run(s, q->op, sql, changes,
		    value != NULL ? "ttt" : "tt", o->instance_id, key, value);
	return wk_pg_run(s, q->op, sql, changes, value != NULL ? "itt" : "it",
	    o->uid, key, value);
}

static int
check_tag(const struct wk_tag *t)
{
	size_t klen = strnlen(t->key, sizeof(t->key));
	size_t vlen = strnlen(t->value, sizeof(t->value));

	if (klen == 0)
		return WK_ERR_INVAL;
	if (klen == sizeof(t->key) || vlen == sizeof(t->value))
		return WK_ERR_TOOBIG;
	return 0;
}

static int
tags_set(struct wk_pg *s, const struct tag_sql *q, const char *name,
    const struct wk_tag *tags, size_t n)
{
	struct tag_owner o;
	int64_t cnt;
	size_t i;
	int r;

	if (n > 0 && tags == NULL)
		return WK_ERR_INVAL;
	if (n > WK_STORE_TAGS_MAX)
		return WK_ERR_LIMIT;
	for (i = 0; i < n; i++)
		if ((r = check_tag(&tags[i])) != 0)
			return r;
	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = owner_find(s, q, name, &o)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = owner_bind_run(s, q, q->upsert, &o, NULL, tags[i].key,
		    tags[i].value)) != 0)
			goto out;
	if (o.instance_id != NULL)
		r = wk_pg_int(s, q->op, q->count, &cnt, "t", o.instance_id);
	else
		r = wk_pg_int(s, q->op, q->count, &cnt, "i", o.uid);
	if (r == 0 && cnt > WK_STORE_TAGS_MAX)
		r = WK_ERR_LIMIT;
	if (r == 0)
		r = wk_pg_bump_generation(s);
 out:
	return wk_pg_end(s, r);
}

static int
tags_remove(struct wk_pg *s, const struct tag_sql *q, const char *name,
    const char *const *keys, size_t n)
{
	struct tag_owner o;
	size_t i;
	int r;

	if (n > 0 && keys == NULL)
		return WK_ERR_INVAL;
	if (n > WK_STORE_TAGS_MAX)
		return WK_ERR_LIMIT;
	for (i = 0; i < n; i++)
		if ((r = wk_store_check_str(keys[i], 128)) != 0)
			return r;
	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = owner_find(s, q, name, &o)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = owner_bind_run(s, q, q->remove, &o, NULL, keys[i],
		    NULL)) != 0)
			goto out;
	r = wk_pg_bump_generation(s);
 out:
	return wk_pg_end(s, r);
}

static int
tags_list(struct wk_pg *s, const struct tag_sql *q, const char *name,
    struct wk_tag **out, size_t *n)
{
	struct wk_pg_stmt *stmt = NULL;
	struct tag_owner o;
	struct wk_tag *v = NULL;
	size_t cap = 0, cnt = 0;
	int r;

	if (out == NULL || n == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	*n = 0;
	if ((r = owner_find(s, q, name, &o)) != 0)
		return r;
	if ((r = wk_pg_prepare(s, q->list, &stmt)) != 0)
		goto out;
	if (o.instance_id != NULL)
		r = wk_pg_bind(s, stmt, "t", o.instance_id);
	else
		r = wk_pg_bind(s, stmt, "i", o.uid);
	if (r != 0)
		goto out;
	while ((r = wk_pg_step(s, stmt, q->op)) == 1) {
		if ((r = wk_pg_grow((void **)&v, &cap, cnt, sizeof(*v))) != 0 ||
		    (r = wk_pg_col_copy(s, stmt, 0, v[cnt].key,
		    sizeof(v[cnt].key))) != 0 ||
		    (r = wk_pg_col_copy(s, stmt, 1, v[cnt].value,
		    sizeof(v[cnt].value))) != 0)
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

int
wk_pg_user_tags_set(struct wk_store *st, const char *name,
    const struct wk_tag *tags, size_t n)
{
	return tags_set(wk_pgs(st), &user_tag_sql, name, tags, n);
}

int
wk_pg_user_tags_remove(struct wk_store *st, const char *name,
    const char *const *keys, size_t n)
{
	return tags_remove(wk_pgs(st), &user_tag_sql, name, keys, n);
}

int
wk_pg_user_tags_list(struct wk_store *st, const char *name,
    struct wk_tag **out, size_t *n)
{
	return tags_list(wk_pgs(st), &user_tag_sql, name, out, n);
}

int
wk_pg_instance_tags_set(struct wk_store *st, const char *id,
    const struct wk_tag *tags, size_t n)
{
	return tags_set(wk_pgs(st), &instance_tag_sql, id, tags, n);
}

int
wk_pg_instance_tags_remove(struct wk_store *st, const char *id,
    const char *const *keys, size_t n)
{
	return tags_remove(wk_pgs(st), &instance_tag_sql, id, keys, n);
}

int
wk_pg_instance_tags_list(struct wk_store *st, const char *id,
    struct wk_tag **out, size_t *n)
{
	return tags_list(wk_pgs(st), &instance_tag_sql, id, out, n);
}
