/*
 * pg_util.c - the PostgreSQL backend's plumbing: statement slots, binding,
 * running with error mapping, column reads, transactions, id lookups.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "store/postgres/pg_int.h"

/* PostgreSQL type oids of the parameters we bind. */
#define OID_BYTEA	17
#define OID_INT8	20
#define OID_TEXT	25

static size_t
slot_of(const char *sql)
{
	uintptr_t h = (uintptr_t)sql;

	h ^= h >> 17;
	h *= (uintptr_t)0x9E3779B97F4A7C15ULL;
	h ^= h >> 29;
	return (size_t)(h % WK_PG_SLOTS);
}

static void
stmt_clear(struct wk_pg_stmt *stmt)
{
	PQclear(stmt->res);
	stmt->res = NULL;
	stmt->ran = false;
	stmt->nparams = 0;
	stmt->row = -1;
	stmt->nrows = 0;
}

int
wk_pg_prepare(struct wk_pg *s, const char *sql, struct wk_pg_stmt **out)
{
	struct wk_pg_stmt *e;
	size_t i, slot = slot_of(sql);

	*out = NULL;
	for (i = 0; i < WK_PG_SLOTS; i++) {
		e = &s->slots[(slot + i) % WK_PG_SLOTS];
		if (e->sql == sql || e->sql == NULL)
			break;
	}
	if (i == WK_PG_SLOTS) {
		/* every slot is keyed: reuse an idle one */
		for (i = 0; i < WK_PG_SLOTS; i++) {
			e = &s->slots[(slot + i) % WK_PG_SLOTS];
			if (!e->ran)
				break;
		}
		if (i == WK_PG_SLOTS) {
			wk_log(WK_LOG_ERROR, "store_pg", "op=prepare "
			    "error=\"statement slots full\"");
			return WK_ERR_INTERNAL;
		}
	}
	stmt_clear(e);
	e->sql = sql;
	*out = e;
	return 0;
}

void
wk_pg_done(struct wk_pg_stmt *stmt)
{
	if (stmt != NULL)
		stmt_clear(stmt);
}

void
wk_pg_slots_clear(struct wk_pg *s)
{
	for (size_t i = 0; i < WK_PG_SLOTS; i++) {
		stmt_clear(&s->slots[i]);
		s->slots[i].sql = NULL;
	}
}

static int
bind_v(struct wk_pg_stmt *stmt, const char *fmt, va_list ap)
{
	const char *t;
	const void *b;
	size_t blen;
	int idx;

	for (idx = 0; *fmt != '\0'; fmt++, idx++) {
		if (idx >= WK_PG_PARAMS_MAX)
			return WK_ERR_INTERNAL;
		stmt->lengths[idx] = 0;
		stmt->formats[idx] = 0;
		switch (*fmt) {
		case 't':
			t = va_arg(ap, const char *);
			stmt->values[idx] = t;
			stmt->types[idx] = OID_TEXT;
			break;
		case 'i':
			snprintf(stmt->ints[idx], sizeof(stmt->ints[idx]),
			    "%lld", (long long)va_arg(ap, int64_t));
			stmt->values[idx] = stmt->ints[idx];
			stmt->types[idx] = OID_INT8;
			break;
		case 'b':
			b = va_arg(ap, const void *);
			blen = va_arg(ap, size_t);
			if (blen > INT32_MAX)
				return WK_ERR_TOOBIG;
			stmt->values[idx] = b;
			stmt->lengths[idx] = (int)blen;
			stmt->formats[idx] = 1;
			stmt->types[idx] = OID_BYTEA;
			break;
		case 'n':
			stmt->values[idx] = NULL;
			stmt->types[idx] = OID_TEXT;
			break;
		default:
			return WK_ERR_INTERNAL;
		}
	}
	stmt->nparams = idx;
	return 0;
}

int
wk_pg_bind(struct wk_pg *s, struct wk_pg_stmt *stmt, const char *fmt, ...)
{
	va_list ap;
	int r;

	(void)s;
	va_start(ap, fmt);
	r = bind_v(stmt, fmt, ap);
	va_end(ap);
	return r;
}

/* Maps a failed result to a WK_ERR_* (logging what is not an answer). */
static int
result_error(struct wk_pg *s, PGresult *res, const char *op)
{
	const char *state = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (PQstatus(s->conn) != CONNECTION_OK) {
		if (s->in_tx)
			s->tx_broken = true;
		return wk_pg_fail(s, op);
	}
	if (state != NULL) {
		if (strcmp(state, "23505") == 0)
			return WK_ERR_EXISTS;
		if (strcmp(state, "23503") == 0)
			return WK_ERR_CONFLICT;
		/* connection exceptions, shutting down, cannot connect now */
		if (strncmp(state, "08", 2) == 0 ||
		    strncmp(state, "57P", 3) == 0) {
			if (s->in_tx)
				s->tx_broken = true;
			wk_log(WK_LOG_ERROR, "store_pg", "op=%s sqlstate=%s "
			    "error=\"server unavailable\"", op, state);
			return WK_ERR_STORE_UNAVAIL;
		}
	}
	wk_log(WK_LOG_ERROR, "store_pg", "op=%s sqlstate=%s error=\"%s\"", op,
	    state != NULL ? state : "-", res != NULL ?
	    PQresultErrorMessage(res) : PQerrorMessage(s->conn));
	return WK_ERR_STORE;
}

static int
stmt_run(struct wk_pg *s, struct wk_pg_stmt *stmt, const char *op)
{
	ExecStatusType st;
	const char *ct;
	int r;

	if (s->in_tx && s->tx_broken)
		return WK_ERR_STORE_UNAVAIL;
	if ((r = wk_pg_ready(s)) != 0)
		return r;
	stmt->res = PQexecParams(s->conn, stmt->sql, stmt->nparams,
	    stmt->types, stmt->values, stmt->lengths, stmt->formats, 0);
	stmt->ran = true;
	st = stmt->res != NULL ? PQresultStatus(stmt->res) : PGRES_FATAL_ERROR;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		return result_error(s, stmt->res, op);
	stmt->nrows = PQntuples(stmt->res);
	stmt->row = -1;
	ct = PQcmdTuples(stmt->res);
	s->changes = ct != NULL && *ct != '\0' ? strtoll(ct, NULL, 10) : 0;
	return 0;
}

int
wk_pg_step(struct wk_pg *s, struct wk_pg_stmt *stmt, const char *op)
{
	int r;

	if (!stmt->ran && (r = stmt_run(s, stmt, op)) != 0)
		return r;
	if (stmt->res == NULL)
		return WK_ERR_STORE;
	if (stmt->row + 1 < stmt->nrows) {
		stmt->row++;
		return 1;
	}
	stmt->row = stmt->nrows;
	return 0;
}

int
wk_pg_changes(struct wk_pg *s)
{
	return (int)s->changes;
}

int
wk_pg_run(struct wk_pg *s, const char *op, const char *sql, int *changes,
    const char *fmt, ...)
{
	struct wk_pg_stmt *stmt = NULL;
	va_list ap;
	int r;

	if (changes != NULL)
		*changes = 0;
	if ((r = wk_pg_prepare(s, sql, &stmt)) != 0)
		return r;
	va_start(ap, fmt);
	r = bind_v(stmt, fmt, ap);
	va_end(ap);
	if (r != 0)
		goto out;
	while ((r = wk_pg_step(s, stmt, op)) == 1)
		;
	if (r == 0 && changes != NULL)
		*changes = wk_pg_changes(s);
 out:
	wk_pg_done(stmt);
	return r;
}

int
wk_pg_int(struct wk_pg *s, const char *op, const char *sql, int64_t *out,
    const char *fmt, ...)
{
	struct wk_pg_stmt *stmt = NULL;
	va_list ap;
	int r;

	*out = 0;
	if ((r = wk_pg_prepare(s, sql, &stmt)) != 0)
		return r;
	va_start(ap, fmt);
	r = bind_v(stmt, fmt, ap);
	va_end(ap);
	if (r != 0)
		goto out;
	if ((r = wk_pg_step(s, stmt, op)) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	*out = wk_pg_col_int64(stmt, 0);
	r = 0;
 out:
	wk_pg_done(stmt);
	return r;
}

static const char *
cell(struct wk_pg_stmt *stmt, int col)
{
	if (stmt->res == NULL || stmt->row < 0 || stmt->row >= stmt->nrows ||
	    col >= PQnfields(stmt->res) ||
	    PQgetisnull(stmt->res, stmt->row, col))
		return NULL;
	return PQgetvalue(stmt->res, stmt->row, col);
}

int64_t
wk_pg_col_int64(struct wk_pg_stmt *stmt, int col)
{
	const char *v = cell(stmt, col);

	if (v == NULL)
		return 0;
	if (v[0] == 't' && v[1] == '\0')
		return 1;
	if (v[0] == 'f' && v[1] == '\0')
		return 0;
	return strtoll(v, NULL, 10);
}

bool
wk_pg_col_isnull(struct wk_pg_stmt *stmt, int col)
{
	return cell(stmt, col) == NULL;
}

int
wk_pg_col_copy(struct wk_pg *s, struct wk_pg_stmt *stmt, int col, char *dst,
    size_t dstsz)
{
	const char *t = cell(stmt, col);
	size_t len;

	(void)s;
	if (dstsz == 0)
		return WK_ERR_INTERNAL;
	dst[0] = '\0';
	if (t == NULL)
		return 0;
	len = (size_t)PQgetlength(stmt->res, stmt->row, col);
	if (len >= dstsz) {
		wk_log(WK_LOG_ERROR, "store_pg",
		    "op=read column=%d error=\"value does not fit\"", col);
		return WK_ERR_STORE;
	}
	memcpy(dst, t, len);
	dst[len] = '\0';
	return 0;
}

int
wk_pg_col_strdup(struct wk_pg_stmt *stmt, int col, char **out)
{
	const char *t = cell(stmt, col);
	size_t len = t != NULL ?
	    (size_t)PQgetlength(stmt->res, stmt->row, col) : 0;
	char *d;

	*out = NULL;
	if ((d = wk_malloc(len + 1)) == NULL)
		return WK_ERR_NOMEM;
	if (len > 0)
		memcpy(d, t, len);
	d[len] = '\0';
	*out = d;
	return 0;
}

int
wk_pg_col_bytea(struct wk_pg_stmt *stmt, int col, uint8_t **out, size_t *len)
{
	const char *t = cell(stmt, col);
	unsigned char *raw;
	size_t n = 0;

	*out = NULL;
	*len = 0;
	if (t == NULL)
		return 0;
	if ((raw = PQunescapeBytea((const unsigned char *)t, &n)) == NULL)
		return WK_ERR_NOMEM;
	if ((*out = wk_malloc(n > 0 ? n : 1)) == NULL) {
		PQfreemem(raw);
		return WK_ERR_NOMEM;
	}
	memcpy(*out, raw, n);
	*len = n;
	PQfreemem(raw);
	return 0;
}

static const char SQL_BEGIN[] = "BEGIN";
static const char SQL_TX_LOCK[] = "SELECT pg_advisory_xact_lock($1)";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";

int
wk_pg_begin(struct wk_pg *s)
{
	int r;

	if (s->in_tx)
		return WK_ERR_INTERNAL;
	if ((r = wk_pg_run(s, "begin", SQL_BEGIN, NULL, "")) != 0)
		return r;
	s->in_tx = true;
	s->tx_broken = false;
	if ((r = wk_pg_run(s, "begin", SQL_TX_LOCK, NULL, "i",
	    (int64_t)WK_PG_TX_LOCK)) != 0)
		return wk_pg_end(s, r);
	return 0;
}

int
wk_pg_end(struct wk_pg *s, int r)
{
	bool broken = s->tx_broken;

	if (r == 0 && !broken) {
		r = wk_pg_run(s, "commit", SQL_COMMIT, NULL, "");
		if (r == 0) {
			s->in_tx = false;
			return 0;
		}
	}
	if (!s->tx_broken && s->conn != NULL &&
	    PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		(void)wk_pg_run(s, "rollback", SQL_ROLLBACK, NULL, "");
	if (s->tx_broken && r == 0)
		r = WK_ERR_STORE_UNAVAIL;
	s->in_tx = false;
	s->tx_broken = false;
	return r;
}

static const char SQL_GEN_BUMP[] =
    "UPDATE counters SET value = value + 1 WHERE name = 'policy_generation'";

int
wk_pg_bump_generation(struct wk_pg *s)
{
	int changes, r;

	if ((r = wk_pg_run(s, "generation_bump", SQL_GEN_BUMP, &changes,
	    "")) != 0)
		return r;
	return changes == 1 ? 0 : WK_ERR_STORE;
}

static const char SQL_USER_UID[] = "SELECT uid FROM users WHERE lower(name) = lower($1)";
static const char SQL_GROUP_GID[] =
    "SELECT gid FROM iam_groups WHERE lower(name) = lower($1)";
static const char SQL_POLICY_PID[] = "SELECT pid FROM policies WHERE lower(arn) = lower($1)";

int
wk_pg_user_uid(struct wk_pg *s, const char *name, int64_t *uid)
{
	int r;

	*uid = 0;
	if ((r = wk_store_check_str(name, 64)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	return wk_pg_int(s, "user_lookup", SQL_USER_UID, uid, "t", name);
}

int
wk_pg_group_gid(struct wk_pg *s, const char *name, int64_t *gid)
{
	int r;

	*gid = 0;
	if ((r = wk_store_check_str(name, 128)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	return wk_pg_int(s, "group_lookup", SQL_GROUP_GID, gid, "t", name);
}

int
wk_pg_policy_pid(struct wk_pg *s, const char *arn, int64_t *pid)
{
	int r;

	*pid = 0;
	if ((r = wk_store_check_str(arn, 2047)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	return wk_pg_int(s, "policy_lookup", SQL_POLICY_PID, pid, "t", arn);
}

int
wk_pg_grow(void **arr, size_t *cap, size_t n, size_t elemsz)
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
wk_pg_collect(struct wk_pg *s, struct wk_pg_stmt *stmt, const char *op,
    size_t max, size_t elemsz, wk_pg_row_fn row, void **out, size_t *n,
    char **next_marker)
{
	void *v = NULL;
	size_t cap = 0, cnt = 0;
	int r;

	*out = NULL;
	*n = 0;
	while ((r = wk_pg_step(s, stmt, op)) == 1) {
		if (next_marker != NULL && cnt == max) {
			r = wk_pg_col_strdup(stmt, 0, next_marker);
			break;
		}
		if ((r = wk_pg_grow(&v, &cap, cnt, elemsz)) != 0 ||
		    (r = row(s, stmt, (char *)v + cnt * elemsz)) != 0)
			break;
		cnt++;
	}
	wk_pg_done(stmt);
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
wk_pg_page_args(const char *path_prefix, const char **marker,
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
wk_pg_strv(struct wk_pg *s, const char *op, const char *sql, int64_t id,
    char ***out, size_t *n)
{
	struct wk_pg_stmt *stmt = NULL;
	char **v = NULL;
	size_t cap = 0, cnt = 0;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = wk_pg_prepare(s, sql, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "i", id)) != 0)
		goto out;
	while ((r = wk_pg_step(s, stmt, op)) == 1) {
		if ((r = wk_pg_grow((void **)&v, &cap, cnt, sizeof(*v))) != 0 ||
		    (r = wk_pg_col_strdup(stmt, 0, &v[cnt])) != 0)
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
	wk_store_strv_free(v, cnt);
	return r;
}
