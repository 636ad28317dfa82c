/*
 * sqlite_util.c - the SQLite backend's plumbing: statement cache, binding,
 * stepping with error mapping, column copies, transactions, id lookups.
 */
#include <stdarg.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "store/sqlite/sqlite_int.h"

int
wk_sq_fail(struct wk_sqlite *s, const char *op, int rc)
{
	wk_log(WK_LOG_ERROR, "store_sqlite", "op=%s rc=%d error=\"%s\"", op,
	    rc, s->db != NULL ? sqlite3_errmsg(s->db) : "no connection");
	return WK_ERR_STORE;
}

static size_t
cache_slot(const char *sql)
{
	uintptr_t h = (uintptr_t)sql;

	h ^= h >> 17;
	h *= (uintptr_t)0x9E3779B97F4A7C15ULL;
	h ^= h >> 29;
	return (size_t)(h % WK_SQ_CACHE_SLOTS);
}

int
wk_sq_prepare(struct wk_sqlite *s, const char *sql, sqlite3_stmt **out)
{
	struct wk_sq_cache_ent *e;
	sqlite3_stmt *stmt = NULL;
	size_t i, slot;
	int rc;

	*out = NULL;
	slot = cache_slot(sql);
	for (i = 0; i < WK_SQ_CACHE_SLOTS; i++) {
		e = &s->cache[(slot + i) % WK_SQ_CACHE_SLOTS];
		if (e->sql == sql) {
			if (sqlite3_stmt_busy(e->stmt))
				sqlite3_reset(e->stmt);
			*out = e->stmt;
			return 0;
		}
		if (e->sql == NULL)
			break;
	}
	if (i == WK_SQ_CACHE_SLOTS) {
		wk_log(WK_LOG_ERROR, "store_sqlite", "op=prepare error=\"%s\"",
		    "statement cache full");
		return WK_ERR_INTERNAL;
	}
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &stmt, NULL);
	if (rc != SQLITE_OK || stmt == NULL) {
		sqlite3_finalize(stmt);
		if (rc == SQLITE_NOMEM)
			return WK_ERR_NOMEM;
		return wk_sq_fail(s, "prepare", rc);
	}
	e->sql = sql;
	e->stmt = stmt;
	*out = stmt;
	return 0;
}

void
wk_sq_done(sqlite3_stmt *stmt)
{
	if (stmt == NULL)
		return;
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

void
wk_sq_cache_clear(struct wk_sqlite *s)
{
	size_t i;

	for (i = 0; i < WK_SQ_CACHE_SLOTS; i++) {
		sqlite3_finalize(s->cache[i].stmt);
		s->cache[i].stmt = NULL;
		s->cache[i].sql = NULL;
	}
}

static int
bind_v(struct wk_sqlite *s, sqlite3_stmt *stmt, const char *fmt, va_list ap)
{
	const char *t;
	const void *b;
	size_t blen;
	int idx, rc = SQLITE_OK;

	for (idx = 1; *fmt != '\0'; fmt++, idx++) {
		switch (*fmt) {
		case 't':
			t = va_arg(ap, const char *);
			if (t == NULL)
				rc = sqlite3_bind_null(stmt, idx);
			else
				rc = sqlite3_bind_text(stmt, idx, t, -1,
				    SQLITE_STATIC);
			break;
		case 'i':
			rc = sqlite3_bind_int64(stmt, idx,
			    (sqlite3_int64)va_arg(ap, int64_t));
			break;
		case 'b':
			b = va_arg(ap, const void *);
			blen = va_arg(ap, size_t);
			if (blen > INT32_MAX)
				return WK_ERR_TOOBIG;
			rc = sqlite3_bind_blob(stmt, idx, b, (int)blen,
			    SQLITE_STATIC);
			break;
		case 'n':
			rc = sqlite3_bind_null(stmt, idx);
			break;
		default:
			return WK_ERR_INTERNAL;
		}
		if (rc != SQLITE_OK)
			return wk_sq_fail(s, "bind", rc);
	}
	return 0;
}

int
wk_sq_bind(struct wk_sqlite *s, sqlite3_stmt *stmt, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = bind_v(s, stmt, fmt, ap);
	va_end(ap);
	return r;
}

int
wk_sq_step(struct wk_sqlite *s, sqlite3_stmt *stmt, const char *op)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	switch (sqlite3_extended_errcode(s->db)) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return WK_ERR_EXISTS;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return WK_ERR_CONFLICT;
	case SQLITE_NOMEM:
		return WK_ERR_NOMEM;
	default:
		return wk_sq_fail(s, op, rc);
	}
}

int
wk_sq_run(struct wk_sqlite *s, const char *op, const char *sql, int *changes,
    const char *fmt, ...)
{
	sqlite3_stmt *stmt = NULL;
	va_list ap;
	int r;

	if (changes != NULL)
		*changes = 0;
	if ((r = wk_sq_prepare(s, sql, &stmt)) != 0)
		return r;
	va_start(ap, fmt);
	r = bind_v(s, stmt, fmt, ap);
	va_end(ap);
	if (r != 0)
		goto out;
	while ((r = wk_sq_step(s, stmt, op)) == 1)
		;
	if (r == 0 && changes != NULL)
		*changes = sqlite3_changes(s->db);
 out:
	wk_sq_done(stmt);
	return r;
}

int
wk_sq_int(struct wk_sqlite *s, const char *op, const char *sql, int64_t *out,
    const char *fmt, ...)
{
	sqlite3_stmt *stmt = NULL;
	va_list ap;
	int r;

	*out = 0;
	if ((r = wk_sq_prepare(s, sql, &stmt)) != 0)
		return r;
	va_start(ap, fmt);
	r = bind_v(s, stmt, fmt, ap);
	va_end(ap);
	if (r != 0)
		goto out;
	if ((r = wk_sq_step(s, stmt, op)) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	*out = sqlite3_column_int64(stmt, 0);
	r = 0;
 out:
	wk_sq_done(stmt);
	return r;
}

int
wk_sq_col_copy(struct wk_sqlite *s, sqlite3_stmt *stmt, int col, char *dst,
    size_t dstsz)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);
	size_t len = (size_t)sqlite3_column_bytes(stmt, col);

	if (dstsz == 0)
		return WK_ERR_INTERNAL;
	dst[0] = '\0';
	if (t == NULL) {
		if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
			return 0;
		return WK_ERR_NOMEM;
	}
	if (len >= dstsz || memchr(t, '\0', len) != NULL) {
		wk_log(WK_LOG_ERROR, "store_sqlite",
		    "op=read column=%d error=\"value does not fit\"", col);
		(void)s;
		return WK_ERR_STORE;
	}
	memcpy(dst, t, len);
	dst[len] = '\0';
	return 0;
}

int
wk_sq_col_strdup(sqlite3_stmt *stmt, int col, char **out)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);
	size_t len = (size_t)sqlite3_column_bytes(stmt, col);
	char *d;

	*out = NULL;
	if (t == NULL && sqlite3_column_type(stmt, col) != SQLITE_NULL)
		return WK_ERR_NOMEM;
	if ((d = wk_malloc(len + 1)) == NULL)
		return WK_ERR_NOMEM;
	if (len > 0)
		memcpy(d, t, len);
	d[len] = '\0';
	*out = d;
	return 0;
}

static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";

int
wk_sq_begin(struct wk_sqlite *s)
{
	return wk_sq_run(s, "begin", SQL_BEGIN, NULL, "");
}

int
wk_sq_end(struct wk_sqlite *s, int r)
{
	if (r == 0) {
		r = wk_sq_run(s, "commit", SQL_COMMIT, NULL, "");
		if (r == 0)
			return 0;
	}
	if (!sqlite3_get_autocommit(s->db))
		(void)wk_sq_run(s, "rollback", SQL_ROLLBACK, NULL, "");
	return r;
}

static const char SQL_GEN_BUMP[] =
    "UPDATE counters SET value = value + 1 WHERE name = 'policy_generation'";

int
wk_sq_bump_generation(struct wk_sqlite *s)
{
	int changes, r;

	if ((r = wk_sq_run(s, "generation_bump", SQL_GEN_BUMP, &changes,
	    "")) != 0)
		return r;
	return changes == 1 ? 0 : WK_ERR_STORE;
}

static const char SQL_USER_UID[] = "SELECT uid FROM users WHERE name = ?1";
static const char SQL_GROUP_GID[] =
    "SELECT gid FROM iam_groups WHERE name = ?1";
static const char SQL_POLICY_PID[] = "SELECT pid FROM policies WHERE arn = ?1";

int
wk_sq_user_uid(struct wk_sqlite *s, const char *name, int64_t *uid)
{
	int r;

	*uid = 0;
	if ((r = wk_store_check_str(name, 64)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	return wk_sq_int(s, "user_lookup", SQL_USER_UID, uid, "t", name);
}

int
wk_sq_group_gid(struct wk_sqlite *s, const char *name, int64_t *gid)
{
	int r;

	*gid = 0;
	if ((r = wk_store_check_str(name, 128)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	return wk_sq_int(s, "group_lookup", SQL_GROUP_GID, gid, "t", name);
}

int
wk_sq_policy_pid(struct wk_sqlite *s, const char *arn, int64_t *pid)
{
	int r;

	*pid = 0;
	if ((r = wk_store_check_str(arn, 2047)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	return wk_sq_int(s, "policy_lookup", SQL_POLICY_PID, pid, "t", arn);
}

int
wk_sq_grow(void **arr, size_t *cap, size_t n, size_t elemsz)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap == 0 ? 8 : *cap * 2;
	if (ncap <= n)
		ncap = n + 1;
	if ((p = wk_reallocarray(*arr, ncap, elemsz)) == NULL)
		return WK_ERR_NOMEM;
	memset((char *)p + *cap * elemsz, 0, (ncap - *cap) * elemsz);
	*arr = p;
	*cap = ncap;
	return 0;
}

int
wk_sq_collect(struct wk_sqlite *s, sqlite3_stmt *stmt, const char *op,
    size_t max, size_t elemsz, wk_sq_row_fn row, void **out, size_t *n,
    char **next_marker)
{
	void *v = NULL;
	size_t cap = 0, cnt = 0;
	int r;

	*out = NULL;
	*n = 0;
	while ((r = wk_sq_step(s, stmt, op)) == 1) {
		if (next_marker != NULL && cnt == max) {
			r = wk_sq_col_strdup(stmt, 0, next_marker);
			break;
		}
		if ((r = wk_sq_grow(&v, &cap, cnt, elemsz)) != 0 ||
		    (r = row(s, stmt, (char *)v + cnt * elemsz)) != 0)
			break;
		cnt++;
	}
	wk_sq_done(stmt);
	if (r != 0) {
		wk_free(v);
		if (next_marker != NULL) {
			wk_free(*next_marker);
			*next_marker = NULL;
		}
		return r;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int
wk_sq_page_args(const char *path_prefix, const char **marker,
    const void *out, size_t *n, char **next_marker)
{
	int r;

	if (out == NULL || n == NULL || next_marker == NULL)
		return WK_ERR_INVAL;
	*n = 0;
	*next_marker = NULL;
	if ((r = wk_store_check_opt(path_prefix, PATH_MAX_LEN)) != 0 ||
	    (r = wk_store_check_opt(*marker, MARKER_MAX)) != 0)
		return r;
	if (*marker != NULL && (*marker)[0] == '\0')
		*marker = NULL;
	return 0;
}

int
wk_sq_strv(struct wk_sqlite *s, const char *op, const char *sql, int64_t id,
    char ***out, size_t *n)
{
	sqlite3_stmt *stmt = NULL;
	char **v = NULL;
	size_t cap = 0, cnt = 0;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = wk_sq_prepare(s, sql, &stmt)) != 0 ||
	    (r = wk_sq_bind(s, stmt, "i", id)) != 0)
		goto out;
	while ((r = wk_sq_step(s, stmt, op)) == 1) {
		if ((r = wk_sq_grow((void **)&v, &cap, cnt, sizeof(*v))) != 0 ||
		    (r = wk_sq_col_strdup(stmt, 0, &v[cnt])) != 0)
			break;
		cnt++;
	}
	if (r != 0)
		goto out;
	*out = v;
	*n = cnt;
	v = NULL;
 out:
	wk_sq_done(stmt);
	wk_store_strv_free(v, cnt);
	return r;
}
