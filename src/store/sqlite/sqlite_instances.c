/*
 * sqlite_instances.c - the instance registry.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "store/sqlite/sqlite_int.h"

#define INSTANCE_COLS \
	"id, hostname, address, ssh_port, host_keys, agent_secret_hash," \
	" create_date, last_seen, dns_name"

static int
check_instance(const struct wk_instance *in)
{
	int r;

	if (in == NULL || in->id[0] == '\0')
		return WK_ERR_INVAL;
	if (strnlen(in->id, sizeof(in->id)) == sizeof(in->id) ||
	    strnlen(in->hostname, sizeof(in->hostname)) ==
	    sizeof(in->hostname) ||
	    strnlen(in->address, sizeof(in->address)) == sizeof(in->address) ||
	    strnlen(in->dns_name, sizeof(in->dns_name)) ==
	    sizeof(in->dns_name) ||
	    strnlen(in->agent_secret_hash, sizeof(in->agent_secret_hash)) ==
	    sizeof(in->agent_secret_hash))
		return WK_ERR_TOOBIG;
	if (in->ssh_port < 1 || in->ssh_port > 65535)
		return WK_ERR_INVAL;
	if ((r = wk_store_check_opt(in->host_keys, WK_STORE_HOSTKEYS_MAX)) != 0)
		return r;
	return 0;
}

static int
instance_row(struct wk_sqlite *s, sqlite3_stmt *stmt, struct wk_instance *in)
{
	int r;

	memset(in, 0, sizeof(*in));
	if ((r = wk_sq_col_copy(s, stmt, 0, in->id, sizeof(in->id))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 1, in->hostname,
	    sizeof(in->hostname))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 2, in->address,
	    sizeof(in->address))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 5, in->agent_secret_hash,
	    sizeof(in->agent_secret_hash))) != 0 ||
	    (r = wk_sq_col_copy(s, stmt, 8, in->dns_name,
	    sizeof(in->dns_name))) != 0)
		return r;
	in->ssh_port = (int)sqlite3_column_int64(stmt, 3);
	in->create_date = (time_t)sqlite3_column_int64(stmt, 6);
	in->last_seen = (time_t)sqlite3_column_int64(stmt, 7);
	return wk_sq_col_strdup(stmt, 4, &in->host_keys);
}

static const char SQL_INSTANCE_INSERT[] =
    "INSERT INTO instances (" INSTANCE_COLS ")"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

int
wk_sq_instance_create(struct wk_store *st, const struct wk_instance *in)
{
	int r;

	if ((r = check_instance(in)) != 0)
		return r;
	return wk_sq_run(wk_sq(st), "instance_create", SQL_INSTANCE_INSERT,
	    NULL, "tttittiit", in->id, in->hostname, in->address,
	    (int64_t)in->ssh_port, in->host_keys != NULL ? in->host_keys : "",
	    in->agent_secret_hash, (int64_t)in->create_date,
	    (int64_t)in->last_seen, in->dns_name);
}

static const char SQL_INSTANCE_GET[] =
    "SELECT " INSTANCE_COLS " FROM instances WHERE id = ?1";

int
wk_sq_instance_get(struct wk_store *st, const char *id,
    struct wk_instance *out)
{
	struct wk_sqlite *s = wk_sq(st);
	sqlite3_stmt *stmt = NULL;
	int r;

	if (out == NULL)
		return WK_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if ((r = wk_store_check_str(id, sizeof(out->id) - 1)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_sq_prepare(s, SQL_INSTANCE_GET, &stmt)) != 0 ||
	    (r = wk_sq_bind(s, stmt, "t", id)) != 0)
		goto out;
	if ((r = wk_sq_step(s, stmt, "instance_get")) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	r = instance_row(s, stmt, out);
 out:
	wk_sq_done(stmt);
	if (r != 0)
		wk_instance_cleanup(out);
	return r;
}

static const char SQL_INSTANCE_LIST[] =
    "SELECT " INSTANCE_COLS " FROM instances ORDER BY id";

int
wk_sq_instance_list(struct wk_store *st, struct wk_instance **out, size_t *n)
{
	struct wk_sqlite *s = wk_sq(st);
	sqlite3_stmt *stmt = NULL;
	struct wk_instance *v = NULL;
	size_t cap = 0, cnt = 0;
	int r;

	if (out == NULL || n == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	*n = 0;
	if ((r = wk_sq_prepare(s, SQL_INSTANCE_LIST, &stmt)) != 0)
		goto out;
	while ((r = wk_sq_step(s, stmt, "instance_list")) == 1) {
		if ((r = wk_sq_grow((void **)&v, &cap, cnt, sizeof(*v))) != 0)
			break;
		r = instance_row(s, stmt, &v[cnt]);
		cnt++;	/* the list free releases v[cnt] either way */
		if (r != 0)
			break;
	}
	if (r != 0)
		goto out;
	*out = v;
	*n = cnt;
	v = NULL;
 out:
	wk_sq_done(stmt);
	wk_instance_list_free(v, cnt);
	return r;
}

static const char SQL_INSTANCE_UPDATE[] =
    "UPDATE instances SET hostname = ?2, address = ?3, ssh_port = ?4,"
    " host_keys = ?5, dns_name = ?6 WHERE id = ?1";

int
wk_sq_instance_update(struct wk_store *st, const struct wk_instance *in)
{
	struct wk_sqlite *s = wk_sq(st);
	int changes, r;

	if ((r = check_instance(in)) != 0)
		return r;
	if ((r = wk_sq_begin(s)) != 0)
		return r;
	if ((r = wk_sq_run(s, "instance_update", SQL_INSTANCE_UPDATE,
	    &changes, "tttitt", in->id, in->hostname, in->address,
	    (int64_t)in->ssh_port,
	    in->host_keys != NULL ? in->host_keys : "", in->dns_name)) == 0)
		r = changes == 1 ? wk_sq_bump_generation(s) : WK_ERR_NOTFOUND;
	return wk_sq_end(s, r);
}

static const char SQL_INSTANCE_TOUCH[] =
    "UPDATE instances SET last_seen = ?2 WHERE id = ?1";

int
wk_sq_instance_touch(struct wk_store *st, const char *id, time_t when)
{
	int changes, r;

	if ((r = wk_store_check_str(id, 19)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_sq_run(wk_sq(st), "instance_touch", SQL_INSTANCE_TOUCH,
	    &changes, "ti", id, (int64_t)when)) != 0)
		return r;
	return changes == 1 ? 0 : WK_ERR_NOTFOUND;
}

static const char SQL_INSTANCE_DELETE[] = "DELETE FROM instances WHERE id = ?1";

int
wk_sq_instance_delete(struct wk_store *st, const char *id)
{
	struct wk_sqlite *s = wk_sq(st);
	int changes, r;

	if ((r = wk_store_check_str(id, 19)) != 0)
		return r == WK_ERR_TOOBIG ? WK_ERR_NOTFOUND : r;
	if ((r = wk_sq_begin(s)) != 0)
		return r;
	if ((r = wk_sq_run(s, "instance_delete", SQL_INSTANCE_DELETE,
	    &changes, "t", id)) == 0)
		r = changes == 1 ? wk_sq_bump_generation(s) : WK_ERR_NOTFOUND;
	return wk_sq_end(s, r);
}
