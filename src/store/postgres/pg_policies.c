/*
 * pg_policies.c - managed policies and their versions. Version ids are
 * "v<N>" from a per-policy counter that only grows (AWS never reuses one);
 * the default version is a number on the policy row.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/time.h"
#include "store/postgres/pg_int.h"

#define POLICY_NAME_MAX	128
#define ID_MAX		32
#define ARN_MAX		2047
#define DESC_MAX	1000

int
wk_pg_policy_row(struct wk_pg *s, struct wk_pg_stmt *stmt,
    struct wk_managed_policy *p)
{
	int r;

	memset(p, 0, sizeof(*p));
	if ((r = wk_pg_col_copy(s, stmt, 0, p->name, sizeof(p->name))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 1, p->id, sizeof(p->id))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 2, p->path, sizeof(p->path))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 3, p->arn, sizeof(p->arn))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 4, p->description,
	    sizeof(p->description))) != 0)
		return r;
	if (wk_store_version_format(wk_pg_col_int64(stmt, 5),
	    p->default_version) != 0)
		return WK_ERR_STORE;
	p->attachment_count = (int)wk_pg_col_int64(stmt, 6);
	p->create_date = (time_t)wk_pg_col_int64(stmt, 7);
	p->update_date = (time_t)wk_pg_col_int64(stmt, 8);
	return 0;
}

static int
check_doc(const char *document)
{
	int r;

	if ((r = wk_store_check_str(document, WK_STORE_DOC_MAX)) != 0)
		return r;
	return document[0] == '\0' ? WK_ERR_INVAL : 0;
}

static const char SQL_POLICY_INSERT[] =
    "INSERT INTO policies (name, id, path, arn, description, default_num,"
    " next_num, attachment_count, create_date, update_date)"
    " VALUES ($1, $2, $3, $4, $5, 1, 2, 0, $6, $7) RETURNING pid";
static const char SQL_VERSION_INSERT[] =
    "INSERT INTO policy_versions (pid, num, document, create_date)"
    " VALUES ($1, $2, $3, $4)";

int
wk_pg_policy_create(struct wk_store *st, const struct wk_managed_policy *p,
    const char *document)
{
	struct wk_pg *s = wk_pgs(st);
	int64_t pid, upd;
	int r;

	if (p == NULL || p->name[0] == '\0' || p->id[0] == '\0' ||
	    p->path[0] == '\0' || p->arn[0] == '\0')
		return WK_ERR_INVAL;
	if ((r = wk_store_check_str(p->name, POLICY_NAME_MAX)) != 0 ||
	    (r = wk_store_check_str(p->id, ID_MAX)) != 0 ||
	    (r = wk_store_check_str(p->path, PATH_MAX_LEN)) != 0 ||
	    (r = wk_store_check_str(p->arn, ARN_MAX)) != 0 ||
	    (r = wk_store_check_str(p->description, DESC_MAX)) != 0 ||
	    (r = check_doc(document)) != 0)
		return r;
	upd = p->update_date != 0 ? p->update_date : p->create_date;
	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = wk_pg_int(s, "policy_create", SQL_POLICY_INSERT, &pid,
	    "tttttii", p->name, p->id, p->path, p->arn, p->description,
	    (int64_t)p->create_date, upd)) != 0)
		goto out;
	r = wk_pg_run(s, "policy_create", SQL_VERSION_INSERT, NULL, "iiti",
	    pid, (int64_t)1, document, (int64_t)p->create_date);
 out:
	return wk_pg_end(s, r);
}

static const char SQL_POLICY_GET[] =
    "SELECT " WK_PG_POLICY_COLS " FROM policies p WHERE lower(p.arn) = lower($1)";

int
wk_pg_policy_get(struct wk_store *st, const char *arn,
    struct wk_managed_policy *out)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	int r;

	if (out == NULL)
		return WK_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if ((r = wk_store_check_str(arn, ARN_MAX)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_pg_prepare(s, SQL_POLICY_GET, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "t", arn)) != 0)
		goto out;
	if ((r = wk_pg_step(s, stmt, "policy_get")) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	r = wk_pg_policy_row(s, stmt, out);
 out:
	wk_pg_done(stmt);
	return r;
}

/* wk_pg_collect's view of the row decoder. */
int
wk_pg_policy_row_any(struct wk_pg *s, struct wk_pg_stmt *stmt, void *dst)
{
	return wk_pg_policy_row(s, stmt, dst);
}

static const char SQL_POLICY_LIST[] =
    "SELECT " WK_PG_POLICY_COLS " FROM policies p"
    " WHERE ($1 IS NULL OR substr(p.path, 1, length($1)) = $1)"
    " AND ($2 = 0 OR p.attachment_count > 0)"
    " AND ($3 IS NULL OR lower(p.name) >= lower($3))"
    " ORDER BY lower(p.name) LIMIT $4";

int
wk_pg_policy_list(struct wk_store *st, const char *path_prefix,
    bool only_attached, const char *marker, size_t max_items,
    struct wk_managed_policy **out, size_t *n, char **next_marker)
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
	if ((r = wk_pg_prepare(s, SQL_POLICY_LIST, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "titi", path_prefix,
	    (int64_t)(only_attached ? 1 : 0), marker, (int64_t)max + 1)) != 0) {
		wk_pg_done(stmt);
		return r;
	}
	return wk_pg_collect(s, stmt, "policy_list", max, sizeof(**out),
	    wk_pg_policy_row_any, (void **)out, n, next_marker);
}

static const char SQL_POLICY_DEPENDENTS[] =
    "SELECT p.attachment_count"
    " + (SELECT count(*) FROM user_attach WHERE pid = $1)"
    " + (SELECT count(*) FROM group_attach WHERE pid = $1)"
    " + (SELECT count(*) FROM policy_versions v WHERE v.pid = $1"
    "    AND v.num <> p.default_num)"
    " FROM policies p WHERE p.pid = $1";
static const char SQL_POLICY_DELETE[] = "DELETE FROM policies WHERE pid = $1";

int
wk_pg_policy_delete(struct wk_store *st, const char *arn)
{
	struct wk_pg *s = wk_pgs(st);
	int64_t pid, deps;
	int r;

	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = wk_pg_policy_pid(s, arn, &pid)) != 0 ||
	    (r = wk_pg_int(s, "policy_delete", SQL_POLICY_DEPENDENTS, &deps,
	    "i", pid)) != 0)
		goto out;
	if (deps > 0) {
		r = WK_ERR_CONFLICT;
		goto out;
	}
	if ((r = wk_pg_run(s, "policy_delete", SQL_POLICY_DELETE, NULL, "i",
	    pid)) != 0)
		goto out;
	r = wk_pg_bump_generation(s);
 out:
	return wk_pg_end(s, r);
}

static const char SQL_VERSION_COUNT[] =
    "SELECT count(*) FROM policy_versions WHERE pid = $1";
static const char SQL_POLICY_NEXT_NUM[] =
    "SELECT next_num FROM policies WHERE pid = $1";
static const char SQL_POLICY_AFTER_VERSION[] =
    "UPDATE policies SET next_num = next_num + 1,"
    " default_num = CASE WHEN $2 <> 0 THEN next_num ELSE default_num END,"
    " update_date = CASE WHEN $2 <> 0 THEN $3 ELSE update_date END"
    " WHERE pid = $1";

int
wk_pg_policy_version_create(struct wk_store *st, const char *arn,
    const char *document, bool set_default, char *version_id)
{
	struct wk_pg *s = wk_pgs(st);
	int64_t pid, cnt, num;
	time_t now = wk_wall_now();
	char vid[8];
	int r;

	if (version_id == NULL)
		return WK_ERR_INVAL;
	version_id[0] = '\0';
	if ((r = check_doc(document)) != 0)
		return r;
	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = wk_pg_policy_pid(s, arn, &pid)) != 0 ||
	    (r = wk_pg_int(s, "policy_version_create", SQL_VERSION_COUNT, &cnt,
	    "i", pid)) != 0)
		goto out;
	if (cnt >= WK_STORE_VERSIONS_MAX) {
		r = WK_ERR_LIMIT;
		goto out;
	}
	if ((r = wk_pg_int(s, "policy_version_create", SQL_POLICY_NEXT_NUM,
	    &num, "i", pid)) != 0 ||
	    (r = wk_store_version_format(num, vid)) != 0)
		goto out;
	if ((r = wk_pg_run(s, "policy_version_create", SQL_VERSION_INSERT,
	    NULL, "iiti", pid, num, document, (int64_t)now)) != 0 ||
	    (r = wk_pg_run(s, "policy_version_create",
	    SQL_POLICY_AFTER_VERSION, NULL, "iii", pid,
	    (int64_t)(set_default ? 1 : 0), (int64_t)now)) != 0 ||
	    (r = wk_pg_bump_generation(s)) != 0)
		goto out;
 out:
	r = wk_pg_end(s, r);
	if (r == 0)
		memcpy(version_id, vid, sizeof(vid));
	return r;
}

static const char SQL_VERSION_GET[] =
    "SELECT v.num, v.num = p.default_num, v.create_date, v.document"
    " FROM policy_versions v JOIN policies p ON p.pid = v.pid"
    " WHERE lower(p.arn) = lower($1) AND v.num = $2";

static int
version_row(struct wk_pg_stmt *stmt, struct wk_policy_version *v)
{
	memset(v, 0, sizeof(*v));
	if (wk_store_version_format(wk_pg_col_int64(stmt, 0),
	    v->version_id) != 0)
		return WK_ERR_STORE;
	v->is_default = wk_pg_col_int64(stmt, 1) != 0;
	v->create_date = (time_t)wk_pg_col_int64(stmt, 2);
	return wk_pg_col_strdup(stmt, 3, &v->document);
}

int
wk_pg_policy_version_get(struct wk_store *st, const char *arn,
    const char *version_id, struct wk_policy_version *out)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	int64_t num;
	int r;

	if (out == NULL)
		return WK_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if ((r = wk_store_check_str(arn, ARN_MAX)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_store_version_parse(version_id, &num)) != 0)
		return r;
	if ((r = wk_pg_prepare(s, SQL_VERSION_GET, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "ti", arn, num)) != 0)
		goto out;
	if ((r = wk_pg_step(s, stmt, "policy_version_get")) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	r = version_row(stmt, out);
 out:
	wk_pg_done(stmt);
	return r;
}

static const char SQL_VERSION_LIST[] =
    "SELECT v.num, v.num = p.default_num, v.create_date, v.document"
    " FROM policy_versions v JOIN policies p ON p.pid = v.pid"
    " WHERE v.pid = $1 ORDER BY v.num DESC";

int
wk_pg_policy_version_list(struct wk_store *st, const char *arn,
    struct wk_policy_version **out, size_t *n)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	struct wk_policy_version *v = NULL;
	size_t cap = 0, cnt = 0;
	int64_t pid;
	int r;

	if (out == NULL || n == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	*n = 0;
	if ((r = wk_pg_policy_pid(s, arn, &pid)) != 0)
		return r;
	if ((r = wk_pg_prepare(s, SQL_VERSION_LIST, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "i", pid)) != 0)
		goto out;
	while ((r = wk_pg_step(s, stmt, "policy_version_list")) == 1) {
		if ((r = wk_pg_grow((void **)&v, &cap, cnt, sizeof(*v))) != 0)
			break;
		r = version_row(stmt, &v[cnt]);
		if (v[cnt].document != NULL)
			cnt++;
		if (r != 0)
			break;
	}
	if (r != 0)
		goto out;
	*out = v;
	*n = cnt;
	v = NULL;
 out:
	wk_pg_done(stmt);
	wk_policy_version_list_free(v, cnt);
	return r;
}

static const char SQL_POLICY_DEFAULT_NUM[] =
    "SELECT default_num FROM policies WHERE pid = $1";
static const char SQL_VERSION_DELETE[] =
    "DELETE FROM policy_versions WHERE pid = $1 AND num = $2";

int
wk_pg_policy_version_delete(struct wk_store *st, const char *arn,
    const char *version_id)
{
	struct wk_pg *s = wk_pgs(st);
	int64_t pid, num, def;
	int changes, r;

	if ((r = wk_store_version_parse(version_id, &num)) != 0)
		return r;
	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = wk_pg_policy_pid(s, arn, &pid)) != 0 ||
	    (r = wk_pg_int(s, "policy_version_delete", SQL_POLICY_DEFAULT_NUM,
	    &def, "i", pid)) != 0)
		goto out;
	if (num == def) {
		r = WK_ERR_CONFLICT;
		goto out;
	}
	if ((r = wk_pg_run(s, "policy_version_delete", SQL_VERSION_DELETE,
	    &changes, "ii", pid, num)) != 0)
		goto out;
	if (changes == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	r = wk_pg_bump_generation(s);
 out:
	return wk_pg_end(s, r);
}

static const char SQL_VERSION_EXISTS[] =
    "SELECT count(*) FROM policy_versions WHERE pid = $1 AND num = $2";
static const char SQL_POLICY_SET_DEFAULT[] =
    "UPDATE policies SET default_num = $2, update_date = $3 WHERE pid = $1";

int
wk_pg_policy_version_set_default(struct wk_store *st, const char *arn,
    const char *version_id)
{
	struct wk_pg *s = wk_pgs(st);
	int64_t pid, num, have;
	int r;

	if ((r = wk_store_version_parse(version_id, &num)) != 0)
		return r;
	if ((r = wk_pg_begin(s)) != 0)
		return r;
	if ((r = wk_pg_policy_pid(s, arn, &pid)) != 0 ||
	    (r = wk_pg_int(s, "policy_set_default", SQL_VERSION_EXISTS, &have,
	    "ii", pid, num)) != 0)
		goto out;
	if (have == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	if ((r = wk_pg_run(s, "policy_set_default", SQL_POLICY_SET_DEFAULT,
	    NULL, "iii", pid, num, (int64_t)wk_wall_now())) != 0)
		goto out;
	r = wk_pg_bump_generation(s);
 out:
	return wk_pg_end(s, r);
}
