/*
 * sqlite_open.c - opening the SQLite store: file mode, pragmas (WAL,
 * synchronous=FULL, foreign keys, busy timeout), numbered migrations in
 * one transaction, the ops table; plus meta settings and the policy
 * generation counter.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "store/sqlite/sqlite_int.h"

static void sq_close(struct wk_store *st);

static const struct wk_store_ops sqlite_ops = {
	.name = "sqlite",
	.serialized = true,
	.close = sq_close,
	.meta_get = wk_sq_meta_get,
	.meta_set = wk_sq_meta_set,
	.user_create = wk_sq_user_create,
	.user_get = wk_sq_user_get,
	.user_list = wk_sq_user_list,
	.user_update = wk_sq_user_update,
	.user_delete = wk_sq_user_delete,
	.user_touch_password = wk_sq_user_touch_password,
	.user_tags_set = wk_sq_user_tags_set,
	.user_tags_remove = wk_sq_user_tags_remove,
	.user_tags_list = wk_sq_user_tags_list,
	.key_create = wk_sq_key_create,
	.key_get = wk_sq_key_get,
	.key_list = wk_sq_key_list,
	.key_set_active = wk_sq_key_set_active,
	.key_delete = wk_sq_key_delete,
	.key_touch = wk_sq_key_touch,
	.key_touch_batch = wk_sq_key_touch_batch,
	.policy_create = wk_sq_policy_create,
	.policy_get = wk_sq_policy_get,
	.policy_list = wk_sq_policy_list,
	.policy_delete = wk_sq_policy_delete,
	.policy_version_create = wk_sq_policy_version_create,
	.policy_version_get = wk_sq_policy_version_get,
	.policy_version_list = wk_sq_policy_version_list,
	.policy_version_delete = wk_sq_policy_version_delete,
	.policy_version_set_default = wk_sq_policy_version_set_default,
	.attach_user = wk_sq_attach_user,
	.detach_user = wk_sq_detach_user,
	.attach_group = wk_sq_attach_group,
	.detach_group = wk_sq_detach_group,
	.attached_user_list = wk_sq_attached_user_list,
	.attached_group_list = wk_sq_attached_group_list,
	.policy_entities = wk_sq_policy_entities,
	.user_policy_put = wk_sq_user_policy_put,
	.user_policy_get = wk_sq_user_policy_get,
	.user_policy_list = wk_sq_user_policy_list,
	.user_policy_delete = wk_sq_user_policy_delete,
	.group_policy_put = wk_sq_group_policy_put,
	.group_policy_get = wk_sq_group_policy_get,
	.group_policy_list = wk_sq_group_policy_list,
	.group_policy_delete = wk_sq_group_policy_delete,
	.group_create = wk_sq_group_create,
	.group_get = wk_sq_group_get,
	.group_list = wk_sq_group_list,
	.group_delete = wk_sq_group_delete,
	.group_add_user = wk_sq_group_add_user,
	.group_remove_user = wk_sq_group_remove_user,
	.group_members = wk_sq_group_members,
	.groups_for_user = wk_sq_groups_for_user,
	.login_profile_put = wk_sq_login_profile_put,
	.login_profile_get = wk_sq_login_profile_get,
	.login_profile_delete = wk_sq_login_profile_delete,
	.effective_policies = wk_sq_effective_policies,
	.policy_generation = wk_sq_policy_generation,
	.instance_create = wk_sq_instance_create,
	.instance_get = wk_sq_instance_get,
	.instance_list = wk_sq_instance_list,
	.instance_update = wk_sq_instance_update,
	.instance_touch = wk_sq_instance_touch,
	.instance_delete = wk_sq_instance_delete,
	.instance_tags_set = wk_sq_instance_tags_set,
	.instance_tags_remove = wk_sq_instance_tags_remove,
	.instance_tags_list = wk_sq_instance_tags_list,
	.token_create = wk_sq_token_create,
	.token_consume = wk_sq_token_consume,
	.token_allow = wk_sq_token_allow,
	.token_list_unused = wk_sq_token_list_unused,
	.audit_append = wk_sq_audit_append,
	.audit_query = wk_sq_audit_query,
	.revocation_add = wk_sq_revocation_add,
	.revocation_list = wk_sq_revocation_list,
	.revocation_max_id = wk_sq_revocation_max_id,
	.revocation_by_request = wk_sq_revocation_by_request,
	.audit_key_requests = wk_sq_audit_key_requests,
	.session_report = wk_sq_session_report,
	.session_list = wk_sq_session_list,
	.console_session_put = wk_sq_console_session_put,
	.console_session_get = wk_sq_console_session_get,
	.console_session_touch = wk_sq_console_session_touch,
	.console_session_delete = wk_sq_console_session_delete,
	.console_sessions_end_user = wk_sq_console_sessions_end_user,
	.console_sessions_count = wk_sq_console_sessions_count,
	.console_sessions_purge = wk_sq_console_sessions_purge,
	.signing_generation = wk_sq_signing_generation,
	.signing_get = wk_sq_signing_get,
	.signing_put = wk_sq_signing_put,
};

/* Runs a pragma that answers one text row and checks the answer. */
static int
pragma_expect(struct wk_sqlite *s, const char *sql, const char *want)
{
	sqlite3_stmt *stmt = NULL;
	const unsigned char *got;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return wk_sq_fail(s, "pragma", rc);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && want != NULL) {
		got = sqlite3_column_text(stmt, 0);
		if (got == NULL || strcmp((const char *)got, want) != 0) {
			wk_log(WK_LOG_ERROR, "store_sqlite",
			    "op=pragma error=\"unexpected answer\" want=%s",
			    want);
			r = WK_ERR_STORE;
		}
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = wk_sq_fail(s, "pragma", rc);
	sqlite3_finalize(stmt);
	return r;
}

static const char SQL_VERSION_TABLE[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "  version INTEGER NOT NULL,"
    "  applied INTEGER NOT NULL DEFAULT (strftime('%s','now')))";
static const char SQL_VERSION_GET[] =
    "SELECT COALESCE(MAX(version), 0) FROM schema_version";
static const char SQL_VERSION_ADD[] =
    "INSERT INTO schema_version (version) VALUES (?1)";

static int
migrate(struct wk_sqlite *s)
{
	int64_t cur;
	size_t i;
	int rc, r;

	if ((r = wk_sq_begin(s)) != 0)
		return r;
	if ((r = wk_sq_run(s, "migrate", SQL_VERSION_TABLE, NULL, "")) != 0)
		goto out;
	if ((r = wk_sq_int(s, "migrate", SQL_VERSION_GET, &cur, "")) != 0)
		goto out;
	if (cur > WK_SQ_SCHEMA_VERSION) {
		wk_log(WK_LOG_ERROR, "store_sqlite",
		    "op=migrate error=\"database is newer than this wicketd\" "
		    "version=%lld known=%d", (long long)cur,
		    WK_SQ_SCHEMA_VERSION);
		r = WK_ERR_STORE;
		goto out;
	}
	for (i = 0; i < wk_sq_nmigrations; i++) {
		if (wk_sq_migrations[i].version <= cur)
			continue;
		rc = sqlite3_exec(s->db, wk_sq_migrations[i].sql, NULL, NULL,
		    NULL);
		if (rc != SQLITE_OK) {
			r = wk_sq_fail(s, "migrate", rc);
			goto out;
		}
		if ((r = wk_sq_run(s, "migrate", SQL_VERSION_ADD, NULL, "i",
		    (int64_t)wk_sq_migrations[i].version)) != 0)
			goto out;
		wk_log(WK_LOG_INFO, "store_migrate", "version=%d",
		    wk_sq_migrations[i].version);
	}
 out:
	return wk_sq_end(s, r);
}

/* Creates the file 0600 (it holds password hashes and sealed secrets). */
static int
create_private(const char *path)
{
	int fd;

	if (strcmp(path, ":memory:") == 0)
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		wk_log(WK_LOG_ERROR, "store_sqlite", "op=open errno=%d", errno);
		return WK_ERR_IO;
	}
	close(fd);
	return 0;
}

int
wk_store_sqlite_open(const char *path,
    const uint8_t master_key[WK_MASTER_KEY_LEN], struct wk_store **out)
{
	struct wk_sqlite *s = NULL;
	bool base = false;
	int rc, r;

	*out = NULL;
	if ((r = create_private(path)) != 0)
		return r;
	if ((s = wk_calloc(1, sizeof(*s))) == NULL)
		return WK_ERR_NOMEM;
	if ((r = wk_store_base_init(&s->base, &sqlite_ops, master_key)) != 0)
		goto out;
	base = true;
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
	    NULL);
	if (rc != SQLITE_OK) {
		r = wk_sq_fail(s, "open", rc);
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	if ((rc = sqlite3_busy_timeout(s->db, WK_SQ_BUSY_TIMEOUT_MS)) !=
	    SQLITE_OK) {
		r = wk_sq_fail(s, "open", rc);
		goto out;
	}
	if ((r = pragma_expect(s, "PRAGMA journal_mode = WAL", "wal")) != 0 &&
	    strcmp(path, ":memory:") != 0)
		goto out;
	if ((r = pragma_expect(s, "PRAGMA synchronous = FULL", NULL)) != 0 ||
	    (r = pragma_expect(s, "PRAGMA foreign_keys = ON", NULL)) != 0 ||
	    (r = pragma_expect(s, "PRAGMA trusted_schema = OFF", NULL)) != 0 ||
	    (r = pragma_expect(s, "PRAGMA foreign_keys", "1")) != 0 ||
	    (r = pragma_expect(s, "PRAGMA synchronous", "2")) != 0)
		goto out;
	if ((r = migrate(s)) != 0)
		goto out;
	*out = &s->base;
	s = NULL;
 out:
	if (s != NULL) {
		wk_sq_cache_clear(s);
		sqlite3_close_v2(s->db);
		if (base)
			wk_store_base_cleanup(&s->base);
		wk_free(s);
	}
	return r;
}

static void
sq_close(struct wk_store *st)
{
	struct wk_sqlite *s = wk_sq(st);

	wk_sq_cache_clear(s);
	if (sqlite3_close(s->db) != SQLITE_OK) {
		wk_log(WK_LOG_ERROR, "store_sqlite", "op=close error=\"%s\"",
		    sqlite3_errmsg(s->db));
		sqlite3_close_v2(s->db);
	}
	wk_store_base_cleanup(&s->base);
	wk_free(s);
}

/* ---- meta ---- */

static const char SQL_META_GET[] = "SELECT value FROM meta WHERE key = ?1";
static const char SQL_META_SET[] =
    "INSERT INTO meta (key, value) VALUES (?1, ?2) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";

int
wk_sq_meta_get(struct wk_store *st, const char *key, char **out)
{
	struct wk_sqlite *s = wk_sq(st);
	sqlite3_stmt *stmt = NULL;
	int r;

	if (out == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	if ((r = wk_store_check_str(key, 128)) != 0)
		return r;
	if ((r = wk_sq_prepare(s, SQL_META_GET, &stmt)) != 0 ||
	    (r = wk_sq_bind(s, stmt, "t", key)) != 0)
		goto out;
	if ((r = wk_sq_step(s, stmt, "meta_get")) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	r = wk_sq_col_strdup(stmt, 0, out);
 out:
	wk_sq_done(stmt);
	return r;
}

int
wk_sq_meta_set(struct wk_store *st, const char *key, const char *value)
{
	int r;

	if ((r = wk_store_check_str(key, 128)) != 0 ||
	    (r = wk_store_check_str(value, WK_STORE_META_MAX)) != 0)
		return r;
	return wk_sq_run(wk_sq(st), "meta_set", SQL_META_SET, NULL, "tt",
	    key, value);
}

/* ---- policy generation ---- */

static const char SQL_GEN_GET[] =
    "SELECT value FROM counters WHERE name = 'policy_generation'";

int
wk_sq_policy_generation(struct wk_store *st, uint64_t *out)
{
	int64_t v;
	int r;

	if (out == NULL)
		return WK_ERR_INVAL;
	*out = 0;
	if ((r = wk_sq_int(wk_sq(st), "generation", SQL_GEN_GET, &v, "")) != 0)
		return r == WK_ERR_NOTFOUND ? WK_ERR_STORE : r;
	*out = (uint64_t)v;
	return 0;
}
