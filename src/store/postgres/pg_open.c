/*
 * pg_open.c - opening the PostgreSQL store: the URI checks, the schema
 * version (serve never migrates: a database behind this wicketd is
 * refused with "run `wicketd migrate`"), the numbered migrations run by
 * `wicketd migrate` under an advisory lock, the ops table; plus meta
 * settings and the policy generation counter.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "store/postgres/pg_int.h"

static void pg_close(struct wk_store *st);

static const struct wk_store_ops pg_ops = {
	.name = "postgres",
	.serialized = true,
	.repl = &wk_pg_repl_ops,	/* replicas: pg_repl.c */
	.close = pg_close,
	.meta_get = wk_pg_meta_get,
	.meta_set = wk_pg_meta_set,
	.user_create = wk_pg_user_create,
	.user_get = wk_pg_user_get,
	.user_list = wk_pg_user_list,
	.user_update = wk_pg_user_update,
	.user_delete = wk_pg_user_delete,
	.user_touch_password = wk_pg_user_touch_password,
	.user_tags_set = wk_pg_user_tags_set,
	.user_tags_remove = wk_pg_user_tags_remove,
	.user_tags_list = wk_pg_user_tags_list,
	.key_create = wk_pg_key_create,
	.key_get = wk_pg_key_get,
	.key_list = wk_pg_key_list,
	.key_set_active = wk_pg_key_set_active,
	.key_delete = wk_pg_key_delete,
	.key_touch = wk_pg_key_touch,
	.key_touch_batch = wk_pg_key_touch_batch,
	.policy_create = wk_pg_policy_create,
	.policy_get = wk_pg_policy_get,
	.policy_list = wk_pg_policy_list,
	.policy_delete = wk_pg_policy_delete,
	.policy_version_create = wk_pg_policy_version_create,
	.policy_version_get = wk_pg_policy_version_get,
	.policy_version_list = wk_pg_policy_version_list,
	.policy_version_delete = wk_pg_policy_version_delete,
	.policy_version_set_default = wk_pg_policy_version_set_default,
	.attach_user = wk_pg_attach_user,
	.detach_user = wk_pg_detach_user,
	.attach_group = wk_pg_attach_group,
	.detach_group = wk_pg_detach_group,
	.attached_user_list = wk_pg_attached_user_list,
	.attached_group_list = wk_pg_attached_group_list,
	.policy_entities = wk_pg_policy_entities,
	.user_policy_put = wk_pg_user_policy_put,
	.user_policy_get = wk_pg_user_policy_get,
	.user_policy_list = wk_pg_user_policy_list,
	.user_policy_delete = wk_pg_user_policy_delete,
	.group_policy_put = wk_pg_group_policy_put,
	.group_policy_get = wk_pg_group_policy_get,
	.group_policy_list = wk_pg_group_policy_list,
	.group_policy_delete = wk_pg_group_policy_delete,
	.group_create = wk_pg_group_create,
	.group_get = wk_pg_group_get,
	.group_list = wk_pg_group_list,
	.group_delete = wk_pg_group_delete,
	.group_add_user = wk_pg_group_add_user,
	.group_remove_user = wk_pg_group_remove_user,
	.group_members = wk_pg_group_members,
	.groups_for_user = wk_pg_groups_for_user,
	.login_profile_put = wk_pg_login_profile_put,
	.login_profile_get = wk_pg_login_profile_get,
	.login_profile_delete = wk_pg_login_profile_delete,
	.effective_policies = wk_pg_effective_policies,
	.policy_generation = wk_pg_policy_generation,
	.instance_create = wk_pg_instance_create,
	.instance_get = wk_pg_instance_get,
	.instance_list = wk_pg_instance_list,
	.instance_update = wk_pg_instance_update,
	.instance_touch = wk_pg_instance_touch,
	.instance_delete = wk_pg_instance_delete,
	.instance_tags_set = wk_pg_instance_tags_set,
	.instance_tags_remove = wk_pg_instance_tags_remove,
	.instance_tags_list = wk_pg_instance_tags_list,
	.token_create = wk_pg_token_create,
	.token_consume = wk_pg_token_consume,
	.token_allow = wk_pg_token_allow,
	.token_list_unused = wk_pg_token_list_unused,
	.audit_append = wk_pg_audit_append,
	.audit_query = wk_pg_audit_query,
	.revocation_add = wk_pg_revocation_add,
	.revocation_list = wk_pg_revocation_list,
	.revocation_max_id = wk_pg_revocation_max_id,
	.revocation_by_request = wk_pg_revocation_by_request,
	.audit_key_requests = wk_pg_audit_key_requests,
	.session_report = wk_pg_session_report,
	.session_list = wk_pg_session_list,
	.console_session_put = wk_pg_console_session_put,
	.console_session_get = wk_pg_console_session_get,
	.console_session_touch = wk_pg_console_session_touch,
	.console_session_delete = wk_pg_console_session_delete,
	.console_sessions_end_user = wk_pg_console_sessions_end_user,
	.console_sessions_count = wk_pg_console_sessions_count,
	.console_sessions_purge = wk_pg_console_sessions_purge,
	.signing_generation = wk_pg_signing_generation,
	.signing_get = wk_pg_signing_get,
	.signing_put = wk_pg_signing_put,
};

static void __attribute__((format(printf, 3, 4)))
why_set(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whysz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

static const char SQL_VERSION_TABLE_EXISTS[] =
    "SELECT to_regclass('schema_version') IS NOT NULL";
static const char SQL_VERSION_GET[] =
    "SELECT COALESCE(MAX(version), 0) FROM schema_version";

/* One integer from a parameterless query on a bare connection. */
static int
conn_int(PGconn *c, const char *sql, int64_t *out)
{
	PGresult *res = PQexec(c, sql);
	int r = 0;

	*out = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		wk_log(WK_LOG_ERROR, "store_pg", "op=schema_version "
		    "error=\"%s\"", PQerrorMessage(c));
		r = PQstatus(c) == CONNECTION_OK ? WK_ERR_STORE :
		    WK_ERR_STORE_UNAVAIL;
	} else {
		const char *v = PQgetvalue(res, 0, 0);

		*out = v[0] == 't' ? 1 : v[0] == 'f' ? 0 :
		    strtoll(v, NULL, 10);
	}
	PQclear(res);
	return r;
}

int
wk_pg_schema_version(PGconn *c, int64_t *out)
{
	int64_t exists;
	int r;

	*out = 0;
	if ((r = conn_int(c, SQL_VERSION_TABLE_EXISTS, &exists)) != 0 ||
	    exists == 0)
		return r;
	return conn_int(c, SQL_VERSION_GET, out);
}

/* Is the schema of c exactly this build's? why says what to do if not. */
static int
schema_current(PGconn *c, char *why, size_t whysz)
{
	int64_t v;
	int r;

	if ((r = wk_pg_schema_version(c, &v)) != 0) {
		why_set(why, whysz, "cannot read the schema version");
		return r;
	}
	if (v < WK_PG_SCHEMA_VERSION) {
		why_set(why, whysz, "the database schema is at version %lld, "
		    "this wicketd needs %lld: run `wicketd migrate` first "
		    "(serve never migrates PostgreSQL by itself)", (long long)v,
		    (long long)WK_PG_SCHEMA_VERSION);
		return WK_ERR_CONFLICT;
	}
	if (v > WK_PG_SCHEMA_VERSION) {
		why_set(why, whysz, "the database schema is at version %lld, "
		    "newer than this wicketd's %lld: upgrade wicketd",
		    (long long)v, (long long)WK_PG_SCHEMA_VERSION);
		return WK_ERR_CONFLICT;
	}
	return 0;
}

int
wk_store_pg_check(const char *uri, char *why, size_t whysz)
{
	PGconn *c = NULL;
	int r;

	if ((r = wk_pg_uri_check(uri, why, whysz)) != 0 ||
	    (r = wk_pg_connect(uri, &c, why, whysz)) != 0)
		return r;
	r = schema_current(c, why, whysz);
	PQfinish(c);
	return r;
}

/* Runs parameterless SQL (BEGIN, a migration's statements); 0 or STORE. */
static int
conn_exec(PGconn *c, const char *sql, char *why, size_t whysz)
{
	PGresult *res = PQexec(c, sql);
	int r = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		wk_log(WK_LOG_ERROR, "store_pg", "op=migrate error=\"%s\"",
		    PQerrorMessage(c));
		if (why != NULL && whysz > 0)
			snprintf(why, whysz, "migration failed: %s",
			    PQerrorMessage(c));
		r = PQstatus(c) == CONNECTION_OK ? WK_ERR_STORE :
		    WK_ERR_STORE_UNAVAIL;
	}
	PQclear(res);
	return r;
}

static const char SQL_MIGRATE_LOCK[] = "SELECT pg_advisory_lock($1)";
static const char SQL_VERSION_TABLE[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "  version BIGINT NOT NULL,"
    "  applied BIGINT NOT NULL"
    "    DEFAULT (extract(epoch FROM now())::bigint))";
static const char SQL_VERSION_ADD[] =
    "INSERT INTO schema_version (version) VALUES ($1)";

static int
conn_params(PGconn *c, const char *sql, int64_t v)
{
	char buf[24];
	const char *vals[1] = { buf };
	const unsigned int types[1] = { 20 };
	PGresult *res;
	int r = 0;

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	res = PQexecParams(c, sql, 1, types, vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		wk_log(WK_LOG_ERROR, "store_pg", "op=migrate error=\"%s\"",
		    PQerrorMessage(c));
		r = PQstatus(c) == CONNECTION_OK ? WK_ERR_STORE :
		    WK_ERR_STORE_UNAVAIL;
	}
	PQclear(res);
	return r;
}

/*
 * The migrations, in one transaction, while holding the session-level
 * migration lock: two `wicketd migrate` at once run one after the other,
 * and the second finds nothing to do.
 */
int
wk_store_pg_migrate(const char *uri, int *from, int *to, char *why,
    size_t whysz)
{
	PGconn *c = NULL;
	int64_t cur = 0;
	size_t i;
	int r;

	*from = *to = 0;
	if ((r = wk_pg_uri_check(uri, why, whysz)) != 0 ||
	    (r = wk_pg_connect(uri, &c, why, whysz)) != 0)
		return r;
	if ((r = conn_params(c, SQL_MIGRATE_LOCK,
	    (int64_t)WK_PG_MIGRATE_LOCK)) != 0)
		goto out;
	if ((r = conn_exec(c, "BEGIN", why, whysz)) != 0)
		goto out;
	if ((r = conn_exec(c, SQL_VERSION_TABLE, why, whysz)) != 0 ||
	    (r = wk_pg_schema_version(c, &cur)) != 0)
		goto rollback;
	*from = *to = (int)cur;
	if (cur > WK_PG_SCHEMA_VERSION) {
		why_set(why, whysz, "the database schema is at version %lld, "
		    "newer than this wicketd's %lld: upgrade wicketd",
		    (long long)cur, (long long)WK_PG_SCHEMA_VERSION);
		r = WK_ERR_CONFLICT;
		goto rollback;
	}
	for (i = 0; i < wk_pg_nmigrations; i++) {
		if (wk_pg_migrations[i].version <= cur)
			continue;
		if ((r = conn_exec(c, wk_pg_migrations[i].sql, why,
		    whysz)) != 0 ||
		    (r = conn_params(c, SQL_VERSION_ADD,
		    (int64_t)wk_pg_migrations[i].version)) != 0)
			goto rollback;
		*to = wk_pg_migrations[i].version;
		wk_log(WK_LOG_INFO, "store_migrate", "backend=postgres "
		    "version=%d", wk_pg_migrations[i].version);
	}
	if ((r = conn_exec(c, "COMMIT", why, whysz)) == 0)
		goto out;
	*to = *from;
 rollback:
	*to = *from;
	if (PQstatus(c) == CONNECTION_OK)
		(void)conn_exec(c, "ROLLBACK", NULL, 0);
 out:
	PQfinish(c);	/* ends the session: releases the lock */
	return r;
}

int
wk_store_pg_open(const char *uri, const uint8_t master_key[WK_MASTER_KEY_LEN],
    struct wk_store **out)
{
	char why[512] = "";
	struct wk_pg *s = NULL;
	bool base = false;
	int r;

	*out = NULL;
	if ((r = wk_pg_uri_check(uri, why, sizeof(why))) != 0) {
		wk_log(WK_LOG_ERROR, "store_pg", "op=open error=\"%s\"", why);
		return r;
	}
	if ((s = wk_calloc(1, sizeof(*s))) == NULL)
		return WK_ERR_NOMEM;
	if ((s->conninfo = wk_strdup(uri)) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	if ((r = wk_store_base_init(&s->base, &pg_ops, master_key)) != 0)
		goto out;
	base = true;
	if ((r = wk_pg_connect(uri, &s->conn, why, sizeof(why))) != 0)
		goto out;
	if ((r = schema_current(s->conn, why, sizeof(why))) != 0) {
		wk_log(WK_LOG_ERROR, "store_pg", "op=open error=\"%s\"", why);
		goto out;
	}
	*out = &s->base;
	s = NULL;
 out:
	if (s != NULL) {
		if (s->conn != NULL)
			PQfinish(s->conn);
		if (base)
			wk_store_base_cleanup(&s->base);
		wk_free(s->conninfo);
		wk_free(s);
	}
	return r;
}

static void
pg_close(struct wk_store *st)
{
	struct wk_pg *s = wk_pgs(st);

	wk_pg_slots_clear(s);
	if (s->conn != NULL)
		PQfinish(s->conn);
	wk_free(s->conninfo);
	wk_store_base_cleanup(&s->base);
	wk_free(s);
}

/* ---- meta ---- */

static const char SQL_META_GET[] = "SELECT value FROM meta WHERE key = $1";
static const char SQL_META_SET[] =
    "INSERT INTO meta (key, value) VALUES ($1, $2) "
    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value";

int
wk_pg_meta_get(struct wk_store *st, const char *key, char **out)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	int r;

	if (out == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	if ((r = wk_store_check_str(key, 128)) != 0)
		return r;
	if ((r = wk_pg_prepare(s, SQL_META_GET, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "t", key)) != 0)
		goto out;
	if ((r = wk_pg_step(s, stmt, "meta_get")) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	r = wk_pg_col_strdup(stmt, 0, out);
 out:
	wk_pg_done(stmt);
	return r;
}

int
wk_pg_meta_set(struct wk_store *st, const char *key, const char *value)
{
	int r;

	if ((r = wk_store_check_str(key, 128)) != 0 ||
	    (r = wk_store_check_str(value, WK_STORE_META_MAX)) != 0)
		return r;
	return wk_pg_run(wk_pgs(st), "meta_set", SQL_META_SET, NULL, "tt",
	    key, value);
}

/* ---- policy generation ---- */

static const char SQL_GEN_GET[] =
    "SELECT value FROM counters WHERE name = 'policy_generation'";

int
wk_pg_policy_generation(struct wk_store *st, uint64_t *out)
{
	int64_t v;
	int r;

	if (out == NULL)
		return WK_ERR_INVAL;
	*out = 0;
	if ((r = wk_pg_int(wk_pgs(st), "generation", SQL_GEN_GET, &v, "")) != 0)
		return r == WK_ERR_NOTFOUND ? WK_ERR_STORE : r;
	*out = (uint64_t)v;
	return 0;
}

