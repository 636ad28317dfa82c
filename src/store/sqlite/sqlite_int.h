/*
 * sqlite_int.h - the SQLite backend's internals: the store object, the
 * statement cache and helpers, and every operation (named wk_sq_<op>, with
 * the signatures of store.h) that sqlite_open.c puts in the ops table.
 *
 * All SQL is static text, prepared once per store (cached by the address
 * of its text) and bound; nothing is ever built from input. Calls are
 * serialised by the front (store.c), so one connection serves them all.
 */
#ifndef WK_STORE_SQLITE_INT_H
#define WK_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "store/store_int.h"

#define WK_SQ_CACHE_SLOTS	512
#define WK_SQ_BUSY_TIMEOUT_MS	5000
#define WK_SQ_SCHEMA_VERSION	9

struct wk_sq_cache_ent {
	const char *sql;	/* key: address of static text */
	sqlite3_stmt *stmt;
};

struct wk_sqlite {
	struct wk_store base;	/* first: (struct wk_store *) casts */
	sqlite3 *db;
	struct wk_sq_cache_ent cache[WK_SQ_CACHE_SLOTS];
};

static inline struct wk_sqlite *
wk_sq(struct wk_store *st)
{
	return (struct wk_sqlite *)st;
}

/* A numbered migration: SQL applied once, in the migration transaction. */
struct wk_sq_migration {
	int version;
	const char *sql;
};
extern const struct wk_sq_migration wk_sq_migrations[];
extern const size_t wk_sq_nmigrations;

/* ---- helpers (sqlite_util.c) ---- */

/* Logs the connection's error for `op` and returns WK_ERR_STORE. */
int wk_sq_fail(struct wk_sqlite *s, const char *op, int rc);
/* Cached prepared statement for static `sql`, reset and unbound. */
int wk_sq_prepare(struct wk_sqlite *s, const char *sql, sqlite3_stmt **out);
/* Resets and clears a statement after use; NULL-safe. */
void wk_sq_done(sqlite3_stmt *stmt);
/* Finalizes every cached statement. */
void wk_sq_cache_clear(struct wk_sqlite *s);
/*
 * Binds parameters 1..n from a format: 't' const char * (NULL binds NULL),
 * 'i' int64_t, 'b' const void * then size_t (blob), 'n' NULL.
 */
int wk_sq_bind(struct wk_sqlite *s, sqlite3_stmt *stmt, const char *fmt, ...);
/*
 * Steps once: 1 for a row, 0 when done, or a negative WK_ERR_* (EXISTS for
 * a UNIQUE/PRIMARY KEY violation, CONFLICT for a foreign key, STORE
 * otherwise, logged).
 */
int wk_sq_step(struct wk_sqlite *s, sqlite3_stmt *stmt, const char *op);
/*
 * Prepares `sql`, binds per `fmt`, runs it to completion and reports the
 * number of rows changed (changes may be NULL).
 */
int wk_sq_run(struct wk_sqlite *s, const char *op, const char *sql,
    int *changes, const char *fmt, ...);
/*
 * Prepares `sql`, binds per `fmt`, steps once and reads column 0 as an
 * integer: NOTFOUND when there is no row.
 */
int wk_sq_int(struct wk_sqlite *s, const char *op, const char *sql,
    int64_t *out, const char *fmt, ...);

/* Copies text column `col` into dst[dstsz]; STORE if it does not fit. */
int wk_sq_col_copy(struct wk_sqlite *s, sqlite3_stmt *stmt, int col,
    char *dst, size_t dstsz);
/* Duplicates text column `col` (NULL column: ""). */
int wk_sq_col_strdup(sqlite3_stmt *stmt, int col, char **out);

/* Write transactions: BEGIN IMMEDIATE; wk_sq_end commits when r == 0 and
 * rolls back otherwise, returning the final result. */
int wk_sq_begin(struct wk_sqlite *s);
int wk_sq_end(struct wk_sqlite *s, int r);
/* Bumps the authorization generation (store.h; inside the caller's
 * transaction). */
int wk_sq_bump_generation(struct wk_sqlite *s);

/* Row ids of named entities: NOTFOUND when absent. */
int wk_sq_user_uid(struct wk_sqlite *s, const char *name, int64_t *uid);
int wk_sq_group_gid(struct wk_sqlite *s, const char *name, int64_t *gid);
int wk_sq_policy_pid(struct wk_sqlite *s, const char *arn, int64_t *pid);

/* Runs `sql` with ?1 = id and collects column 0 of every row as strings. */
int wk_sq_strv(struct wk_sqlite *s, const char *op, const char *sql,
    int64_t id, char ***out, size_t *n);
/* Growable result arrays for list functions. */
int wk_sq_grow(void **arr, size_t *cap, size_t n, size_t elemsz);

/* Limits of paged lists' inputs (IAM's path length; markers are names). */
#define PATH_MAX_LEN	512
#define MARKER_MAX	320

/* Decodes the current row of stmt into *dst (one array element). */
typedef int (*wk_sq_row_fn)(struct wk_sqlite *s, sqlite3_stmt *stmt,
    void *dst);
/*
 * The one loop behind every list of fixed-size rows (users, groups,
 * managed policies: no pointers inside, so a failed list is freed whole).
 * Steps stmt, prepared and bound by the caller, decoding each row with
 * row() into a growing array of elemsz-byte elements; always finishes
 * stmt. With next_marker (paged lists, whose SQL has LIMIT max + 1), at
 * most max rows are kept and column 0 of the next row becomes
 * *next_marker; otherwise max is ignored. On error *out is NULL.
 */
int wk_sq_collect(struct wk_sqlite *s, sqlite3_stmt *stmt, const char *op,
    size_t max, size_t elemsz, wk_sq_row_fn row, void **out, size_t *n,
    char **next_marker);
/* The shared row decoders as wk_sq_row_fn (see wk_sq_user_row and
 * wk_sq_policy_row below). */
int wk_sq_user_row_any(struct wk_sqlite *s, sqlite3_stmt *stmt, void *dst);
int wk_sq_policy_row_any(struct wk_sqlite *s, sqlite3_stmt *stmt, void *dst);
/*
 * The checks every paged list starts with: out-parameters present (and
 * cleared), path prefix and marker within their limits; an empty marker
 * means none (*marker set to NULL).
 */
int wk_sq_page_args(const char *path_prefix, const char **marker,
    const void *out, size_t *n, char **next_marker);

/* ---- operations ---- */

/* sqlite_open.c */
int wk_sq_meta_get(struct wk_store *, const char *, char **);
int wk_sq_meta_set(struct wk_store *, const char *, const char *);
int wk_sq_policy_generation(struct wk_store *, uint64_t *);

/* sqlite_users.c */
int wk_sq_user_create(struct wk_store *, const struct wk_user *);
int wk_sq_user_get(struct wk_store *, const char *, struct wk_user *);
int wk_sq_user_list(struct wk_store *, const char *, const char *, size_t,
    struct wk_user **, size_t *, char **);
int wk_sq_user_update(struct wk_store *, const char *, const char *,
    const char *, const char *);
int wk_sq_user_delete(struct wk_store *, const char *);
int wk_sq_user_touch_password(struct wk_store *, const char *, time_t);
int wk_sq_login_profile_put(struct wk_store *, const struct wk_login_profile *,
    bool);
int wk_sq_login_profile_get(struct wk_store *, const char *,
    struct wk_login_profile *);
int wk_sq_login_profile_delete(struct wk_store *, const char *);
/* Reads a users row selected as WK_SQ_USER_COLS starting at column 0. */
int wk_sq_user_row(struct wk_sqlite *s, sqlite3_stmt *stmt,
    struct wk_user *u);
#define WK_SQ_USER_COLS \
	"u.name, u.id, u.path, u.arn, u.create_date, u.password_last_used"

/* sqlite_tags.c */
int wk_sq_user_tags_set(struct wk_store *, const char *, const struct wk_tag *,
    size_t);
int wk_sq_user_tags_remove(struct wk_store *, const char *,
    const char *const *, size_t);
int wk_sq_user_tags_list(struct wk_store *, const char *, struct wk_tag **,
    size_t *);
int wk_sq_instance_tags_set(struct wk_store *, const char *,
    const struct wk_tag *, size_t);
int wk_sq_instance_tags_remove(struct wk_store *, const char *,
    const char *const *, size_t);
int wk_sq_instance_tags_list(struct wk_store *, const char *,
    struct wk_tag **, size_t *);

/* sqlite_keys.c */
int wk_sq_key_create(struct wk_store *, const struct wk_access_key *);
int wk_sq_key_get(struct wk_store *, const char *, struct wk_access_key *);
int wk_sq_key_list(struct wk_store *, const char *, struct wk_access_key **,
    size_t *);
int wk_sq_key_set_active(struct wk_store *, const char *, const char *, bool);
int wk_sq_key_delete(struct wk_store *, const char *, const char *);
int wk_sq_key_touch_batch(struct wk_store *, const struct wk_key_use *,
    size_t);
int wk_sq_key_touch(struct wk_store *, const char *, time_t, const char *,
    const char *);

/* sqlite_policies.c */
int wk_sq_policy_create(struct wk_store *, const struct wk_managed_policy *,
    const char *);
int wk_sq_policy_get(struct wk_store *, const char *,
    struct wk_managed_policy *);
int wk_sq_policy_list(struct wk_store *, const char *, bool, const char *,
    size_t, struct wk_managed_policy **, size_t *, char **);
int wk_sq_policy_delete(struct wk_store *, const char *);
int wk_sq_policy_version_create(struct wk_store *, const char *, const char *,
    bool, char *);
int wk_sq_policy_version_get(struct wk_store *, const char *, const char *,
    struct wk_policy_version *);
int wk_sq_policy_version_list(struct wk_store *, const char *,
    struct wk_policy_version **, size_t *);
int wk_sq_policy_version_delete(struct wk_store *, const char *,
    const char *);
int wk_sq_policy_version_set_default(struct wk_store *, const char *,
    const char *);
/* Reads a policies row selected as WK_SQ_POLICY_COLS from column 0. */
int wk_sq_policy_row(struct wk_sqlite *s, sqlite3_stmt *stmt,
    struct wk_managed_policy *p);
#define WK_SQ_POLICY_COLS \
	"p.name, p.id, p.path, p.arn, p.description, p.default_num, " \
	"p.attachment_count, p.create_date, p.update_date"

/* sqlite_attach.c */
int wk_sq_attach_user(struct wk_store *, const char *, const char *);
int wk_sq_detach_user(struct wk_store *, const char *, const char *);
int wk_sq_attach_group(struct wk_store *, const char *, const char *);
int wk_sq_detach_group(struct wk_store *, const char *, const char *);
int wk_sq_attached_user_list(struct wk_store *, const char *,
    struct wk_managed_policy **, size_t *);
int wk_sq_attached_group_list(struct wk_store *, const char *,
    struct wk_managed_policy **, size_t *);
int wk_sq_policy_entities(struct wk_store *, const char *, char ***, size_t *,
    char ***, size_t *);

/* sqlite_inline.c */
int wk_sq_user_policy_put(struct wk_store *, const char *, const char *,
    const char *);
int wk_sq_user_policy_get(struct wk_store *, const char *, const char *,
    struct wk_inline_policy *);
int wk_sq_user_policy_list(struct wk_store *, const char *, char ***,
    size_t *);
int wk_sq_user_policy_delete(struct wk_store *, const char *, const char *);
int wk_sq_group_policy_put(struct wk_store *, const char *, const char *,
    const char *);
int wk_sq_group_policy_get(struct wk_store *, const char *, const char *,
    struct wk_inline_policy *);
int wk_sq_group_policy_list(struct wk_store *, const char *, char ***,
    size_t *);
int wk_sq_group_policy_delete(struct wk_store *, const char *, const char *);
int wk_sq_effective_policies(struct wk_store *, const char *,
    struct wk_effective_policy **, size_t *);

/* sqlite_groups.c */
int wk_sq_group_create(struct wk_store *, const struct wk_group *);
int wk_sq_group_get(struct wk_store *, const char *, struct wk_group *);
int wk_sq_group_list(struct wk_store *, const char *, const char *, size_t,
    struct wk_group **, size_t *, char **);
int wk_sq_group_delete(struct wk_store *, const char *);
int wk_sq_group_add_user(struct wk_store *, const char *, const char *);
int wk_sq_group_remove_user(struct wk_store *, const char *, const char *);
int wk_sq_group_members(struct wk_store *, const char *, struct wk_user **,
    size_t *);
int wk_sq_groups_for_user(struct wk_store *, const char *, struct wk_group **,
    size_t *);

/* sqlite_instances.c */
int wk_sq_instance_create(struct wk_store *, const struct wk_instance *);
int wk_sq_instance_get(struct wk_store *, const char *, struct wk_instance *);
int wk_sq_instance_list(struct wk_store *, struct wk_instance **, size_t *);
int wk_sq_instance_update(struct wk_store *, const struct wk_instance *);
int wk_sq_instance_touch(struct wk_store *, const char *, time_t);
int wk_sq_instance_delete(struct wk_store *, const char *);

/* sqlite_tokens.c */
int wk_sq_token_create(struct wk_store *, const char *, time_t, const char *);
int wk_sq_token_consume(struct wk_store *, const char *, time_t);
int wk_sq_token_allow(struct wk_store *, const char *, time_t, char *, size_t);
int wk_sq_token_list_unused(struct wk_store *, struct wk_token_row **,
    size_t *);

/* sqlite_revocations.c */
int wk_sq_revocation_add(struct wk_store *, struct wk_revocation *);
int wk_sq_revocation_list(struct wk_store *, int64_t, const char *, time_t,
    size_t, struct wk_revocation **, size_t *);
int wk_sq_revocation_max_id(struct wk_store *, int64_t *);
int wk_sq_revocation_by_request(struct wk_store *, const char *,
    struct wk_revocation **, size_t *);
int wk_sq_audit_key_requests(struct wk_store *, const char *, const char *,
    int64_t, size_t, char ***, size_t *);

/* sqlite_audit.c */
int wk_sq_audit_append(struct wk_store *, struct wk_audit_event *, size_t,
    struct wk_store_record_put *, size_t);
int wk_sq_audit_query(struct wk_store *, const struct wk_audit_filter *,
    struct wk_audit_event **, size_t *);
/* the audit append without its checks, for sqlite_sessions.c */
int wk_sq_audit_insert(struct wk_sqlite *, struct wk_audit_event *);
int wk_sq_audit_check(const struct wk_audit_event *);

/* sqlite_sessions.c */
int wk_sq_session_report(struct wk_store *, struct wk_audit_event *, bool,
    const struct wk_session *);
int wk_sq_session_list(struct wk_store *, const struct wk_session_filter *,
    struct wk_session **, size_t *);

/* sqlite_console.c: console sessions (migration 8) */
int wk_sq_console_session_put(struct wk_store *,
    const struct wk_console_row *, int64_t, size_t, size_t);
int wk_sq_console_session_get(struct wk_store *, const char *, int64_t,
    struct wk_console_row *);
int wk_sq_console_session_touch(struct wk_store *, const char *, int64_t,
    int64_t);
int wk_sq_console_session_delete(struct wk_store *, const char *);
int wk_sq_console_sessions_end_user(struct wk_store *, const char *,
    size_t *);
int wk_sq_console_sessions_count(struct wk_store *, const char *,
    int64_t, size_t *);
int wk_sq_console_sessions_purge(struct wk_store *, int64_t, size_t *);

/* sqlite_signing.c: signing files (migration 9) */
int wk_sq_signing_generation(struct wk_store *, int64_t *);
int wk_sq_signing_get(struct wk_store *, struct wk_store_signing_file **,
    size_t *, int64_t *);
int wk_sq_signing_put(struct wk_store *, int64_t,
    const struct wk_store_signing_file *, size_t, int64_t *);

#endif
