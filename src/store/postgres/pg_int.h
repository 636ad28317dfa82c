/*
 * pg_int.h - the PostgreSQL backend's internals: the store object, the
 * statement slots and helpers, and every operation (named wk_pg_<op>, with
 * the signatures of store.h) that pg_open.c puts in the ops table.
 *
 * The helpers have the shape of the SQLite backend's (prepare, bind, step,
 * column reads) so both backends read alike. All SQL is static text run
 * with PQexecParams; values only ever travel as parameters. Calls are
 * serialised by the front (store.c), so one connection serves them all.
 *
 * Connection loss: an op answers WK_ERR_STORE_UNAVAIL. Outside a
 * transaction the next op reconnects (PQreset, with a growing pause
 * between failed attempts); a connection lost inside a transaction is
 * never reused for the rest of it: wk_pg_end rolls back (the server
 * already did) and the op fails whole.
 */
#ifndef WK_STORE_PG_INT_H
#define WK_STORE_PG_INT_H

#include <libpq-fe.h>

#include "store/store_int.h"

#define WK_PG_SLOTS		64
#define WK_PG_PARAMS_MAX	24
#define WK_PG_SCHEMA_VERSION	9

/* One statement: its static SQL, bound parameters and, once run, the
 * result and the current row. */
struct wk_pg_stmt {
	const char *sql;	/* key: address of static text */
	int nparams;
	const char *values[WK_PG_PARAMS_MAX];
	int lengths[WK_PG_PARAMS_MAX];
	int formats[WK_PG_PARAMS_MAX];
	unsigned int types[WK_PG_PARAMS_MAX];
	char ints[WK_PG_PARAMS_MAX][24];
	PGresult *res;
	bool ran;
	int row;		/* current row (after a step answered 1) */
	int nrows;
};

struct wk_pg {
	struct wk_store base;	/* first: (struct wk_store *) casts */
	PGconn *conn;
	char *conninfo;
	bool in_tx;		/* between wk_pg_begin and wk_pg_end */
	bool tx_broken;		/* the connection died inside it */
	int64_t changes;	/* rows changed by the last statement */
	uint64_t retry_at_ms;	/* no reconnect attempt before (monotonic) */
	uint64_t backoff_ms;
	struct wk_pg_stmt slots[WK_PG_SLOTS];
};

static inline struct wk_pg *
wk_pgs(struct wk_store *st)
{
	return (struct wk_pg *)st;
}

/* A numbered migration: SQL applied once, in the migration transaction. */
struct wk_pg_migration {
	int version;
	const char *sql;
};
extern const struct wk_pg_migration wk_pg_migrations[];
extern const size_t wk_pg_nmigrations;

/* ---- helpers (pg_util.c, pg_conn.c) ---- */

/* Logs the connection's error for `op`; WK_ERR_STORE_UNAVAIL when the
 * connection is gone, WK_ERR_STORE otherwise. */
int wk_pg_fail(struct wk_pg *s, const char *op);
/* A connection ready for a statement: reconnects outside transactions
 * (subject to the backoff); WK_ERR_STORE_UNAVAIL when there is none. */
int wk_pg_ready(struct wk_pg *s);
/* Statement slot for static `sql`, cleared (no parameters, no result). */
int wk_pg_prepare(struct wk_pg *s, const char *sql, struct wk_pg_stmt **out);
/* Clears a statement after use; NULL-safe. */
void wk_pg_done(struct wk_pg_stmt *stmt);
/* Clears every slot. */
void wk_pg_slots_clear(struct wk_pg *s);
/*
 * Binds parameters $1..$n from a format: 't' const char * (NULL binds
 * NULL), 'i' int64_t, 'b' const void * then size_t (bytea), 'n' NULL.
 * Pointers must stay valid until the statement has run (first step).
 */
int wk_pg_bind(struct wk_pg *s, struct wk_pg_stmt *stmt, const char *fmt, ...);
/*
 * Runs the statement on its first call, then answers 1 for each row and 0
 * when done, or a negative WK_ERR_* (EXISTS for a unique violation,
 * CONFLICT for a foreign key, STORE_UNAVAIL for a lost connection, STORE
 * otherwise, logged).
 */
int wk_pg_step(struct wk_pg *s, struct wk_pg_stmt *stmt, const char *op);
/* Rows changed by the last statement run. */
int wk_pg_changes(struct wk_pg *s);
/* Runs `sql` to completion and reports rows changed (changes may be NULL). */
int wk_pg_run(struct wk_pg *s, const char *op, const char *sql,
    int *changes, const char *fmt, ...);
/* Column 0 of the first row as an integer: NOTFOUND when there is no row. */
int wk_pg_int(struct wk_pg *s, const char *op, const char *sql,
    int64_t *out, const char *fmt, ...);

/* Integer column of the current row ('t'/'f' read as 1/0). */
int64_t wk_pg_col_int64(struct wk_pg_stmt *stmt, int col);
bool wk_pg_col_isnull(struct wk_pg_stmt *stmt, int col);
/* Copies text column `col` into dst[dstsz]; STORE if it does not fit. */
int wk_pg_col_copy(struct wk_pg *s, struct wk_pg_stmt *stmt, int col,
    char *dst, size_t dstsz);
/* Duplicates text column `col` (NULL column: ""). */
int wk_pg_col_strdup(struct wk_pg_stmt *stmt, int col, char **out);
/* Decodes bytea column `col` into a new buffer (wk_free). */
int wk_pg_col_bytea(struct wk_pg_stmt *stmt, int col, uint8_t **out,
    size_t *len);

/* Write transactions: BEGIN, then the store-wide transaction lock
 * (pg_advisory_xact_lock), so writers queue as SQLite's BEGIN IMMEDIATE
 * makes them, across every wicketd on the database. wk_pg_end commits
 * when r == 0 and rolls back otherwise, returning the final result. */
#define WK_PG_TX_LOCK		0x77696b7478LL	/* "wiktx" */
#define WK_PG_MIGRATE_LOCK	0x77696b6d67LL	/* "wikmg" */
int wk_pg_begin(struct wk_pg *s);
int wk_pg_end(struct wk_pg *s, int r);
/* Bumps the authorization generation (store.h; inside the caller's
 * transaction). */
int wk_pg_bump_generation(struct wk_pg *s);

/* Row ids of named entities: NOTFOUND when absent. */
int wk_pg_user_uid(struct wk_pg *s, const char *name, int64_t *uid);
int wk_pg_group_gid(struct wk_pg *s, const char *name, int64_t *gid);
int wk_pg_policy_pid(struct wk_pg *s, const char *arn, int64_t *pid);

/* Runs `sql` with $1 = id and collects column 0 of every row as strings. */
int wk_pg_strv(struct wk_pg *s, const char *op, const char *sql,
    int64_t id, char ***out, size_t *n);
/* Growable result arrays for list functions. */
int wk_pg_grow(void **arr, size_t *cap, size_t n, size_t elemsz);

/* Limits of paged lists' inputs (IAM's path length; markers are names). */
#define PATH_MAX_LEN	512
#define MARKER_MAX	320

/* Decodes the current row of stmt into *dst (one array element). */
typedef int (*wk_pg_row_fn)(struct wk_pg *s, struct wk_pg_stmt *stmt,
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
int wk_pg_collect(struct wk_pg *s, struct wk_pg_stmt *stmt, const char *op,
    size_t max, size_t elemsz, wk_pg_row_fn row, void **out, size_t *n,
    char **next_marker);
/* The shared row decoders as wk_pg_row_fn (see wk_pg_user_row and
 * wk_pg_policy_row below). */
int wk_pg_user_row_any(struct wk_pg *s, struct wk_pg_stmt *stmt, void *dst);
int wk_pg_policy_row_any(struct wk_pg *s, struct wk_pg_stmt *stmt, void *dst);
/*
 * The checks every paged list starts with: out-parameters present (and
 * cleared), path prefix and marker within their limits; an empty marker
 * means none (*marker set to NULL).
 */
int wk_pg_page_args(const char *path_prefix, const char **marker,
    const void *out, size_t *n, char **next_marker);

/* ---- operations ---- */

/* pg_open.c */
int wk_pg_meta_get(struct wk_store *, const char *, char **);
int wk_pg_meta_set(struct wk_store *, const char *, const char *);
int wk_pg_policy_generation(struct wk_store *, uint64_t *);

/* pg_users.c */
int wk_pg_user_create(struct wk_store *, const struct wk_user *);
int wk_pg_user_get(struct wk_store *, const char *, struct wk_user *);
int wk_pg_user_list(struct wk_store *, const char *, const char *, size_t,
    struct wk_user **, size_t *, char **);
int wk_pg_user_update(struct wk_store *, const char *, const char *,
    const char *, const char *);
int wk_pg_user_delete(struct wk_store *, const char *);
int wk_pg_user_touch_password(struct wk_store *, const char *, time_t);
int wk_pg_login_profile_put(struct wk_store *, const struct wk_login_profile *,
    bool);
int wk_pg_login_profile_get(struct wk_store *, const char *,
    struct wk_login_profile *);
int wk_pg_login_profile_delete(struct wk_store *, const char *);
/* Reads a users row selected as WK_PG_USER_COLS starting at column 0. */
int wk_pg_user_row(struct wk_pg *s, struct wk_pg_stmt *stmt,
    struct wk_user *u);
#define WK_PG_USER_COLS \
	"u.name, u.id, u.path, u.arn, u.create_date, u.password_last_used"

/* pg_tags.c */
int wk_pg_user_tags_set(struct wk_store *, const char *, const struct wk_tag *,
    size_t);
int wk_pg_user_tags_remove(struct wk_store *, const char *,
    const char *const *, size_t);
int wk_pg_user_tags_list(struct wk_store *, const char *, struct wk_tag **,
    size_t *);
int wk_pg_instance_tags_set(struct wk_store *, const char *,
    const struct wk_tag *, size_t);
int wk_pg_instance_tags_remove(struct wk_store *, const char *,
    const char *const *, size_t);
int wk_pg_instance_tags_list(struct wk_store *, const char *,
    struct wk_tag **, size_t *);

/* pg_keys.c */
int wk_pg_key_create(struct wk_store *, const struct wk_access_key *);
int wk_pg_key_get(struct wk_store *, const char *, struct wk_access_key *);
int wk_pg_key_list(struct wk_store *, const char *, struct wk_access_key **,
    size_t *);
int wk_pg_key_set_active(struct wk_store *, const char *, const char *, bool);
int wk_pg_key_delete(struct wk_store *, const char *, const char *);
int wk_pg_key_touch_batch(struct wk_store *, const struct wk_key_use *,
    size_t);
int wk_pg_key_touch(struct wk_store *, const char *, time_t, const char *,
    const char *);

/* pg_policies.c */
int wk_pg_policy_create(struct wk_store *, const struct wk_managed_policy *,
    const char *);
int wk_pg_policy_get(struct wk_store *, const char *,
    struct wk_managed_policy *);
int wk_pg_policy_list(struct wk_store *, const char *, bool, const char *,
    size_t, struct wk_managed_policy **, size_t *, char **);
int wk_pg_policy_delete(struct wk_store *, const char *);
int wk_pg_policy_version_create(struct wk_store *, const char *, const char *,
    bool, char *);
int wk_pg_policy_version_get(struct wk_store *, const char *, const char *,
    struct wk_policy_version *);
int wk_pg_policy_version_list(struct wk_store *, const char *,
    struct wk_policy_version **, size_t *);
int wk_pg_policy_version_delete(struct wk_store *, const char *,
    const char *);
int wk_pg_policy_version_set_default(struct wk_store *, const char *,
    const char *);
/* Reads a policies row selected as WK_PG_POLICY_COLS from column 0. */
int wk_pg_policy_row(struct wk_pg *s, struct wk_pg_stmt *stmt,
    struct wk_managed_policy *p);
#define WK_PG_POLICY_COLS \
	"p.name, p.id, p.path, p.arn, p.description, p.default_num, " \
	"p.attachment_count, p.create_date, p.update_date"

/* pg_attach.c */
int wk_pg_attach_user(struct wk_store *, const char *, const char *);
int wk_pg_detach_user(struct wk_store *, const char *, const char *);
int wk_pg_attach_group(struct wk_store *, const char *, const char *);
int wk_pg_detach_group(struct wk_store *, const char *, const char *);
int wk_pg_attached_user_list(struct wk_store *, const char *,
    struct wk_managed_policy **, size_t *);
int wk_pg_attached_group_list(struct wk_store *, const char *,
    struct wk_managed_policy **, size_t *);
int wk_pg_policy_entities(struct wk_store *, const char *, char ***, size_t *,
    char ***, size_t *);

/* pg_inline.c */
int wk_pg_user_policy_put(struct wk_store *, const char *, const char *,
    const char *);
int wk_pg_user_policy_get(struct wk_store *, const char *, const char *,
    struct wk_inline_policy *);
int wk_pg_user_policy_list(struct wk_store *, const char *, char ***,
    size_t *);
int wk_pg_user_policy_delete(struct wk_store *, const char *, const char *);
int wk_pg_group_policy_put(struct wk_store *, const char *, const char *,
    const char *);
int wk_pg_group_policy_get(struct wk_store *, const char *, const char *,
    struct wk_inline_policy *);
int wk_pg_group_policy_list(struct wk_store *, const char *, char ***,
    size_t *);
int wk_pg_group_policy_delete(struct wk_store *, const char *, const char *);
int wk_pg_effective_policies(struct wk_store *, const char *,
    struct wk_effective_policy **, size_t *);

/* pg_groups.c */
int wk_pg_group_create(struct wk_store *, const struct wk_group *);
int wk_pg_group_get(struct wk_store *, const char *, struct wk_group *);
int wk_pg_group_list(struct wk_store *, const char *, const char *, size_t,
    struct wk_group **, size_t *, char **);
int wk_pg_group_delete(struct wk_store *, const char *);
int wk_pg_group_add_user(struct wk_store *, const char *, const char *);
int wk_pg_group_remove_user(struct wk_store *, const char *, const char *);
int wk_pg_group_members(struct wk_store *, const char *, struct wk_user **,
    size_t *);
int wk_pg_groups_for_user(struct wk_store *, const char *, struct wk_group **,
    size_t *);

/* pg_instances.c */
int wk_pg_instance_create(struct wk_store *, const struct wk_instance *);
int wk_pg_instance_get(struct wk_store *, const char *, struct wk_instance *);
int wk_pg_instance_list(struct wk_store *, struct wk_instance **, size_t *);
int wk_pg_instance_update(struct wk_store *, const struct wk_instance *);
int wk_pg_instance_touch(struct wk_store *, const char *, time_t);
int wk_pg_instance_delete(struct wk_store *, const char *);

/* pg_tokens.c */
int wk_pg_token_create(struct wk_store *, const char *, time_t, const char *);
int wk_pg_token_consume(struct wk_store *, const char *, time_t);
int wk_pg_token_allow(struct wk_store *, const char *, time_t, char *, size_t);
int wk_pg_token_list_unused(struct wk_store *, struct wk_token_row **,
    size_t *);

/* pg_audit.c */
int wk_pg_audit_append(struct wk_store *, struct wk_audit_event *, size_t,
    struct wk_store_record_put *, size_t);
int wk_pg_audit_query(struct wk_store *, const struct wk_audit_filter *,
    struct wk_audit_event **, size_t *);
/* the audit append without its checks, for pg_sessions.c */
int wk_pg_audit_insert(struct wk_pg *, struct wk_audit_event *);
int wk_pg_audit_check(const struct wk_audit_event *);

/* pg_revocations.c */
int wk_pg_revocation_add(struct wk_store *, struct wk_revocation *);
int wk_pg_revocation_list(struct wk_store *, int64_t, const char *, time_t,
    size_t, struct wk_revocation **, size_t *);
int wk_pg_revocation_max_id(struct wk_store *, int64_t *);
int wk_pg_revocation_by_request(struct wk_store *, const char *,
    struct wk_revocation **, size_t *);
int wk_pg_audit_key_requests(struct wk_store *, const char *, const char *,
    int64_t, size_t, char ***, size_t *);

/* pg_sessions.c */
int wk_pg_session_report(struct wk_store *, struct wk_audit_event *, bool,
    const struct wk_session *);
int wk_pg_session_list(struct wk_store *, const struct wk_session_filter *,
    struct wk_session **, size_t *);


/* pg_conn.c */
/* Refuses a URI libpq cannot parse or one that holds a password. */
int wk_pg_uri_check(const char *uri, char *why, size_t whysz);
/* Connects (connect_timeout 5 s unless the URI says otherwise). */
int wk_pg_connect(const char *uri, PGconn **out, char *why, size_t whysz);
/* The schema version of the database behind c (0: none yet). */
int wk_pg_schema_version(PGconn *c, int64_t *out);

/* pg_repl.c, pg_records.c, pg_notify.c: replicas
 * (migration 7) */
extern const struct wk_store_repl_ops wk_pg_repl_ops;
int wk_pg_hub_epoch(struct wk_store *, char *);
/* A pushed record's checks; its insert and NOTIFY in the open transaction
 * (pg_records.c), seq set. */
int wk_pg_record_check(const struct wk_store_record_put *);
int wk_pg_record_insert(struct wk_pg *, struct wk_store_record_put *);
int wk_pg_hub_record_put(struct wk_store *, const char *, const char *,
    size_t, int64_t, int64_t *);
int wk_pg_hub_records_since(struct wk_store *, const char *, int64_t,
    int64_t, size_t, struct wk_store_record **, size_t *);
int wk_pg_hub_records_ack(struct wk_store *, const char *, int64_t);
int wk_pg_hub_records_prune(struct wk_store *, int64_t);
int wk_pg_notify(struct wk_store *, const char *);
int wk_pg_listen(struct wk_store *, struct wk_store_listener **);

/* pg_console.c: console sessions (migration 8) */
int wk_pg_console_session_put(struct wk_store *,
    const struct wk_console_row *, int64_t, size_t, size_t);
int wk_pg_console_session_get(struct wk_store *, const char *, int64_t,
    struct wk_console_row *);
int wk_pg_console_session_touch(struct wk_store *, const char *, int64_t,
    int64_t);
int wk_pg_console_session_delete(struct wk_store *, const char *);
int wk_pg_console_sessions_end_user(struct wk_store *, const char *,
    size_t *);
int wk_pg_console_sessions_count(struct wk_store *, const char *,
    int64_t, size_t *);
int wk_pg_console_sessions_purge(struct wk_store *, int64_t, size_t *);

/* pg_signing.c: signing files (migration 9) */
int wk_pg_signing_generation(struct wk_store *, int64_t *);
int wk_pg_signing_get(struct wk_store *, struct wk_store_signing_file **,
    size_t *, int64_t *);
int wk_pg_signing_put(struct wk_store *, int64_t,
    const struct wk_store_signing_file *, size_t, int64_t *);

#endif
