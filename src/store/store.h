/*
 * store.h - the one storage interface of wicketd. Backends: SQLite (this
 * file's implementation lives in sqlite/), PostgreSQL later, both behind
 * the same functions and the same test suite.
 *
 * Conventions: every function returns 0 or a negative WK_ERR_*:
 * WK_ERR_NOTFOUND (no such entity), WK_ERR_EXISTS (name taken),
 * WK_ERR_CONFLICT (dependent entities, IAM's DeleteConflict),
 * WK_ERR_LIMIT (IAM quota), WK_ERR_STORE (backend failure).
 * Every write is durable (committed, synced) when the call returns.
 * Names are compared case-insensitively where IAM does (user, group and
 * policy names), but stored as given.
 * Out structs are filled by the store and released with their _cleanup.
 * Lists are returned as arrays released with the matching _list_free.
 * Pagination: `marker` is NULL or the value returned in *next_marker by the
 * previous call; *next_marker is NULL when the list is complete (IsTruncated
 * false); max_items 0 means 100 (IAM's default).
 */
#ifndef WK_STORE_STORE_H
#define WK_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define WK_MASTER_KEY_LEN 32

struct wk_store;

/*
 * Opens the database at `path`: a SQLite file (created and migrated when
 * needed), or a PostgreSQL connection URI ("postgresql://..." or
 * "postgres://...", never with a password inside: libpq's password file)
 * whose schema `wicketd migrate` (wk_store_migrate) has brought up to
 * date: open never migrates PostgreSQL. master_key encrypts secret access
 * keys at rest (AES-256-GCM). Copies the key.
 *
 * Every operation may answer WK_ERR_STORE_UNAVAIL when the database is
 * unreachable (PostgreSQL restarting): nothing was written, retry later;
 * the store reconnects by itself. An operation a backend lacks answers
 * WK_ERR_UNSUPPORTED.
 */
int wk_store_open(const char *path, const uint8_t master_key[WK_MASTER_KEY_LEN],
    struct wk_store **out);
void wk_store_close(struct wk_store *st);	/* NULL-safe */
/* Does `path` name a PostgreSQL database (a connection URI)? */
bool wk_store_is_postgres(const char *path);
/*
 * What opening `path` would say, with a message for the operator in why:
 * PostgreSQL: INVAL for a bad URI or one holding a password,
 * STORE_UNAVAIL when unreachable, CONFLICT when the schema is not this
 * build's (behind: "run `wicketd migrate`"). SQLite: 0.
 */
int wk_store_check(const char *path, char *why, size_t whysz);
/* Only the URI's form (no password inside), without connecting. */
int wk_store_uri_check(const char *uri, char *why, size_t whysz);
/*
 * Brings the schema up to date: PostgreSQL under an advisory lock (one
 * migrator at a time, in one transaction); SQLite as opening does.
 * *from and *to: the versions before and after.
 */
int wk_store_migrate(const char *path, int *from, int *to, char *why,
    size_t whysz);
/*
 * Whether an operation on this thread answered WK_ERR_STORE_UNAVAIL since
 * the last call (which clears it): the API layer answers such a request
 * ServiceUnavailable whatever the handler made of the error.
 */
bool wk_store_unavailable_take(void);
/* Calls that failed in the store itself (I/O, storage, internal, crypto;
 * not "not found" or "exists") since it was opened; for the metrics. */
uint64_t wk_store_error_count(struct wk_store *st);

/* Settings: "account_id", "region", ... */
int wk_store_meta_get(struct wk_store *st, const char *key, char **out);
int wk_store_meta_set(struct wk_store *st, const char *key, const char *value);

/* ---- tags (users and instances) ---- */
struct wk_tag {
	char key[129];
	char value[257];
};

/* ---- users ---- */
struct wk_user {
	char name[65];
	char id[33];		/* AIDA... */
	char path[513];
	char arn[2048];
	time_t create_date;
	time_t password_last_used;	/* 0 when never */
};

int wk_store_user_create(struct wk_store *st, const struct wk_user *u);
int wk_store_user_get(struct wk_store *st, const char *name, struct wk_user *out);
int wk_store_user_list(struct wk_store *st, const char *path_prefix,
    const char *marker, size_t max_items, struct wk_user **out, size_t *n,
    char **next_marker);
/* new_name/new_path may be NULL (unchanged). Renames keep keys/policies. */
int wk_store_user_update(struct wk_store *st, const char *name,
    const char *new_name, const char *new_path, const char *new_arn);
/* CONFLICT while the user has access keys, policies, groups or a login
 * profile (as IAM refuses DeleteUser). */
int wk_store_user_delete(struct wk_store *st, const char *name);
/* Records a console sign-in (password_last_used). */
int wk_store_user_touch_password(struct wk_store *st, const char *name,
    time_t when);
int wk_store_user_tags_set(struct wk_store *st, const char *name,
    const struct wk_tag *tags, size_t n);	/* upsert each; LIMIT > 50 */
int wk_store_user_tags_remove(struct wk_store *st, const char *name,
    const char *const *keys, size_t n);
int wk_store_user_tags_list(struct wk_store *st, const char *name,
    struct wk_tag **out, size_t *n);

/* ---- access keys ---- */
struct wk_access_key {
	char id[33];		/* AKIA... */
	char user_name[65];
	char secret[64];	/* plaintext after get; empty in lists */
	bool active;
	time_t create_date;
	time_t last_used;	/* 0 when never */
	char last_used_service[64];
	char last_used_region[64];
};

/* LIMIT when the user already has 2 keys; NOTFOUND for no such user. */
int wk_store_key_create(struct wk_store *st, const struct wk_access_key *k);
/* Decrypts the secret. Wipe it (wk_explicit_bzero) after use. */
int wk_store_key_get(struct wk_store *st, const char *id, struct wk_access_key *out);
int wk_store_key_list(struct wk_store *st, const char *user_name,
    struct wk_access_key **out, size_t *n);
int wk_store_key_set_active(struct wk_store *st, const char *user_name,
    const char *id, bool active);
int wk_store_key_delete(struct wk_store *st, const char *user_name, const char *id);
int wk_store_key_touch(struct wk_store *st, const char *id, time_t when,
    const char *service, const char *region);
/*
 * Last-used times of n keys (n <= WK_STORE_KEY_TOUCH_BATCH_MAX) in one
 * durable transaction; keys no longer stored are skipped; all or none.
 */
#define WK_STORE_KEY_TOUCH_BATCH_MAX 4096
struct wk_key_use {
	char id[33];
	time_t when;
	char service[64];
	char region[64];
};
int wk_store_key_touch_batch(struct wk_store *st, const struct wk_key_use *u,
    size_t n);

/* ---- managed policies and versions ---- */
struct wk_managed_policy {
	char name[129];
	char id[33];		/* ANPA... */
	char path[513];
	char arn[2048];
	char description[1001];
	char default_version[8];	/* "v1" */
	int attachment_count;
	time_t create_date;
	time_t update_date;
};

struct wk_policy_version {
	char version_id[8];
	bool is_default;
	time_t create_date;
	char *document;		/* JSON text as given */
};

/* Creates the policy and its version v1 (the default). */
int wk_store_policy_create(struct wk_store *st, const struct wk_managed_policy *p,
    const char *document);
int wk_store_policy_get(struct wk_store *st, const char *arn,
    struct wk_managed_policy *out);
/* only_attached: attachment_count > 0 */
int wk_store_policy_list(struct wk_store *st, const char *path_prefix,
    bool only_attached, const char *marker, size_t max_items,
    struct wk_managed_policy **out, size_t *n, char **next_marker);
/* CONFLICT while attached or while it has non-default versions. */
int wk_store_policy_delete(struct wk_store *st, const char *arn);
/* LIMIT at 5 versions. Writes the new id ("v2"...) to version_id. */
int wk_store_policy_version_create(struct wk_store *st, const char *arn,
    const char *document, bool set_default, char version_id[static 8]);
int wk_store_policy_version_get(struct wk_store *st, const char *arn,
    const char *version_id, struct wk_policy_version *out);
int wk_store_policy_version_list(struct wk_store *st, const char *arn,
    struct wk_policy_version **out, size_t *n);
/* CONFLICT for the default version. */
int wk_store_policy_version_delete(struct wk_store *st, const char *arn,
    const char *version_id);
int wk_store_policy_version_set_default(struct wk_store *st, const char *arn,
    const char *version_id);
void wk_policy_version_cleanup(struct wk_policy_version *v);
void wk_policy_version_list_free(struct wk_policy_version *v, size_t n);

/* ---- attachments (managed policies to users and groups) ---- */
/* LIMIT at 10 per user/group; attaching twice is a no-op success. */
int wk_store_attach_user(struct wk_store *st, const char *user_name, const char *arn);
int wk_store_detach_user(struct wk_store *st, const char *user_name, const char *arn);
int wk_store_attach_group(struct wk_store *st, const char *group_name, const char *arn);
int wk_store_detach_group(struct wk_store *st, const char *group_name, const char *arn);
/* Each list item: the attached policy (name and arn filled). */
int wk_store_attached_user_list(struct wk_store *st, const char *user_name,
    struct wk_managed_policy **out, size_t *n);
int wk_store_attached_group_list(struct wk_store *st, const char *group_name,
    struct wk_managed_policy **out, size_t *n);
/* Names of the users and groups a policy is attached to. */
int wk_store_policy_entities(struct wk_store *st, const char *arn,
    char ***users, size_t *nusers, char ***groups, size_t *ngroups);

/* ---- inline policies ---- */
struct wk_inline_policy {
	char name[129];
	char *document;
};
int wk_store_user_policy_put(struct wk_store *st, const char *user_name,
    const char *policy_name, const char *document);
int wk_store_user_policy_get(struct wk_store *st, const char *user_name,
    const char *policy_name, struct wk_inline_policy *out);
int wk_store_user_policy_list(struct wk_store *st, const char *user_name,
    char ***names, size_t *n);
int wk_store_user_policy_delete(struct wk_store *st, const char *user_name,
    const char *policy_name);
int wk_store_group_policy_put(struct wk_store *st, const char *group_name,
    const char *policy_name, const char *document);
int wk_store_group_policy_get(struct wk_store *st, const char *group_name,
    const char *policy_name, struct wk_inline_policy *out);
int wk_store_group_policy_list(struct wk_store *st, const char *group_name,
    char ***names, size_t *n);
int wk_store_group_policy_delete(struct wk_store *st, const char *group_name,
    const char *policy_name);
void wk_inline_policy_cleanup(struct wk_inline_policy *p);

/* ---- groups ---- */
struct wk_group {
	char name[129];
	char id[33];		/* AGPA... */
	char path[513];
	char arn[2048];
	time_t create_date;
};
int wk_store_group_create(struct wk_store *st, const struct wk_group *g);
int wk_store_group_get(struct wk_store *st, const char *name, struct wk_group *out);
int wk_store_group_list(struct wk_store *st, const char *path_prefix,
    const char *marker, size_t max_items, struct wk_group **out, size_t *n,
    char **next_marker);
/* CONFLICT while it has members or policies. */
int wk_store_group_delete(struct wk_store *st, const char *name);
int wk_store_group_add_user(struct wk_store *st, const char *group_name,
    const char *user_name);
int wk_store_group_remove_user(struct wk_store *st, const char *group_name,
    const char *user_name);
int wk_store_group_members(struct wk_store *st, const char *group_name,
    struct wk_user **out, size_t *n);
int wk_store_groups_for_user(struct wk_store *st, const char *user_name,
    struct wk_group **out, size_t *n);

/* ---- login profiles (console passwords) ---- */
struct wk_login_profile {
	char user_name[65];
	char password_hash[256];	/* encoded Argon2id */
	bool reset_required;
	time_t create_date;
};
int wk_store_login_profile_put(struct wk_store *st, const struct wk_login_profile *p,
    bool create);	/* create: EXISTS if present; else NOTFOUND if absent */
int wk_store_login_profile_get(struct wk_store *st, const char *user_name,
    struct wk_login_profile *out);
int wk_store_login_profile_delete(struct wk_store *st, const char *user_name);

/* ---- what authorization needs: every policy that applies to a user ---- */
struct wk_effective_policy {
	char source[2300];	/* policy ARN, "user/NAME/inline/P" or "group/G/inline/P" */
	char *document;		/* default version for managed policies */
};
int wk_store_effective_policies(struct wk_store *st, const char *user_name,
    struct wk_effective_policy **out, size_t *n);
void wk_effective_policy_list_free(struct wk_effective_policy *p, size_t n);
/*
 * The authorization generation: a counter bumped, in the same transaction,
 * by every write that can change an authorization decision or what a
 * request is authenticated as: policies and their versions, attachments,
 * inline policies, groups and memberships, users (update, delete, console
 * sign-in), access keys (status, delete), user and instance tags,
 * instances (update, delete). Not by last-used times, instance last_seen,
 * audit events or records. It lives in the database, so a write by any
 * process (a `wicketd store` command, another wicketd on PostgreSQL)
 * moves it for all. Callers cache what they read and drop the cache when
 * it moves; nothing created is cached as absent, so creations need no
 * bump.
 */
int wk_store_policy_generation(struct wk_store *st, uint64_t *out);

/* ---- instances (the registry) ---- */
struct wk_instance {
	char id[20];		/* i- + 17 hex */
	char hostname[256];
	char address[256];	/* where clients reach sshd: an IP address */
	/* the DNS name it enrolled by (--address NAME), never resolved by
	 * wicketd: PrivateDnsName; "" when it enrolled by address */
	char dns_name[256];
	int ssh_port;
	char *host_keys;	/* "type base64\n" lines, as sshd's *.pub */
	char agent_secret_hash[65];	/* hex SHA-256 of the agent secret */
	time_t create_date;
	time_t last_seen;
};
int wk_store_instance_create(struct wk_store *st, const struct wk_instance *in);
int wk_store_instance_get(struct wk_store *st, const char *id, struct wk_instance *out);
int wk_store_instance_list(struct wk_store *st, struct wk_instance **out, size_t *n);
/* Updates hostname, address, dns_name, ssh_port, host_keys. */
int wk_store_instance_update(struct wk_store *st, const struct wk_instance *in);
/* Sets last_seen (agent activity). */
int wk_store_instance_touch(struct wk_store *st, const char *id, time_t when);
int wk_store_instance_delete(struct wk_store *st, const char *id);
int wk_store_instance_tags_set(struct wk_store *st, const char *id,
    const struct wk_tag *tags, size_t n);	/* upsert each; LIMIT > 50 */
int wk_store_instance_tags_remove(struct wk_store *st, const char *id,
    const char *const *keys, size_t n);
int wk_store_instance_tags_list(struct wk_store *st, const char *id,
    struct wk_tag **out, size_t *n);
void wk_instance_cleanup(struct wk_instance *in);
void wk_instance_list_free(struct wk_instance *in, size_t n);

/* ---- enrollment tokens (stored as a hash only) ---- */
/* Longest address allow-list kept with a token ("CIDR,CIDR..."). */
#define WK_STORE_TOKEN_ALLOW_MAX 1024
/* address_allow: the CIDRs the enrolling host may register ("" for none). */
int wk_store_token_create(struct wk_store *st, const char *token_hash_hex,
    time_t expires, const char *address_allow);
/*
 * The address allow-list of an unused token, into out (outsz bytes,
 * WK_STORE_TOKEN_ALLOW_MAX + 1 is enough), without using it up.
 * NOTFOUND if unknown or used; EXPIRED if late.
 */
int wk_store_token_allow(struct wk_store *st, const char *token_hash_hex,
    time_t now, char *out, size_t outsz);
/* Atomically marks it used. NOTFOUND if unknown or used; EXPIRED if late. */
int wk_store_token_consume(struct wk_store *st, const char *token_hash_hex,
    time_t now);
/* Every unused token (expired ones too), by hash: for `store copy`. */
struct wk_token_row {
	char hash[129];
	time_t expires;
	char address_allow[WK_STORE_TOKEN_ALLOW_MAX + 1];
};
int wk_store_token_list_unused(struct wk_store *st, struct wk_token_row **out,
    size_t *n);

/* ---- audit log (append-only, durable before the call returns) ---- */
struct wk_audit_event {
	int64_t id;		/* assigned by the store */
	int64_t time_ms;
	char request_id[64];
	char action[128];	/* "ec2-instance-connect:SendSSHPublicKey" */
	char caller_arn[2048];	/* "" when the caller is unknown */
	char access_key_id[33];
	char source_ip[64];
	char instance_id[33];
	char os_user[64];
	char key_fingerprint[64];
	char decision[16];	/* "Allow" or "Deny" */
	char error_code[64];	/* "" on success */
	char via[16];		/* "api", "console" or "agent" */
	/* Login/Logout (migration 4); "" and 0 for every other event */
	char session_id[24];	/* "s-" + 16 hex: the join key */
	char event_id[40];	/* the agent's id for the report (dedup) */
	char tty[64];
	int64_t sshd_pid;
	int64_t duration_ms;	/* Logout: how long the session lasted */
};
int wk_store_audit_append(struct wk_store *st, struct wk_audit_event *ev);
/*
 * Group commit: appends n events (n <= 4096) in one durable transaction
 * (one fsync), assigning each its id; all or none are written.
 */
int wk_store_audit_append_batch(struct wk_store *st,
    struct wk_audit_event *evs, size_t n);
/* A pushed record to store with an audit batch (wk_store_audit_commit). */
struct wk_store_record_put {
	const char *instance_id;
	const char *record;	/* len bytes, NUL-terminated */
	size_t len;
	int64_t expires;
	int64_t seq;		/* out: the table's number; 0 unless written */
};
/*
 * Group commit with pushes: appends n events and, in the same durable
 * transaction, stores nrec pushed records (nrec <= n) as
 * wk_store_hub_record_put would (each announced by NOTIFY wicket
 * 'r <instance>', delivered at the commit), setting each event's id and
 * each record's seq; all or none are written. With nrec == 0 this is
 * wk_store_audit_append_batch. Records need the replicas' table: SQLite
 * (one process, records in memory) answers WK_ERR_UNSUPPORTED for
 * nrec > 0 and writes nothing.
 */
int wk_store_audit_commit(struct wk_store *st, struct wk_audit_event *evs,
    size_t n, struct wk_store_record_put *recs, size_t nrec);
struct wk_audit_filter {
	const char *instance_id;	/* NULL: any */
	const char *caller_arn;		/* NULL: any */
	int64_t since_ms;		/* 0: no bound */
	int64_t until_ms;		/* 0: no bound */
	int64_t before_id;		/* 0: newest; pagination cursor */
	size_t max_items;		/* 0: 100 */
	const char *request_id;		/* NULL: any */
	const char *session_id;		/* NULL: any */
};
/* Newest first. */
int wk_store_audit_query(struct wk_store *st, const struct wk_audit_filter *f,
    struct wk_audit_event **out, size_t *n);

/* ---- revocations (docs/revocation.md): append-only, read by id ---- */
#define WK_REVOKE_MAX_REQUEST_IDS 1000
struct wk_revocation {
	int64_t id;		/* assigned by the store, increasing */
	int64_t time_ms;	/* when it was issued */
	int64_t at;		/* applies to pushes issued at or before (s) */
	int64_t keep_until;	/* delivered to agents until then (s) */
	/* the selector ("" = not part of it) */
	char caller_arn[2048];
	char access_key_id[33];
	char instance_id[33];
	char os_user[64];
	/* the push RequestIds it covers, comma-separated, heap ("" none; only
	 * when the selector named them or an access key resolved to them) */
	char *request_ids;
	bool by_request_ids;	/* request_ids is part of the selector */
	/* who asked, and why */
	char by_arn[2048];
	char by_access_key_id[33];
	char by_request_id[64];
	char reason[64];	/* "RevokeSessions", "DeleteAccessKey", ... */
};
/* Appends it and sets rev->id. */
int wk_store_revocation_add(struct wk_store *st, struct wk_revocation *rev);
/*
 * Up to max (1..1000) revocations with id > after_id and keep_until > now,
 * oldest first; instance_id non-NULL: only those without an instance or
 * for that one.
 */
int wk_store_revocation_list(struct wk_store *st, int64_t after_id,
    const char *instance_id, time_t now, size_t max,
    struct wk_revocation **out, size_t *n);
/* Those issued by the API call `by_request_id` (its audit event's
 * RequestId), oldest first, at most 100. */
int wk_store_revocation_by_request(struct wk_store *st,
    const char *by_request_id, struct wk_revocation **out, size_t *n);
/* The highest id (0 when none). */
int wk_store_revocation_max_id(struct wk_store *st, int64_t *out);
void wk_store_revocations_free(struct wk_revocation *v, size_t n);
/*
 * The RequestIds of the key pushes (Allow events of `action`) signed with
 * access key `akid` since since_ms, newest first, at most max (1..1000).
 */
int wk_store_audit_key_requests(struct wk_store *st, const char *akid,
    const char *action, int64_t since_ms, size_t max, char ***out,
    size_t *n);
/* ---- login sessions (migration 4): open sessions, fed by agents ---- */
struct wk_session {
	char session_id[24];
	char instance_id[33];
	char os_user[64];
	char key_fingerprint[64];
	char request_id[64];	/* the push that delivered the key */
	char caller_arn[2048];
	char source_ip[64];
	char tty[64];
	int64_t sshd_pid;
	int64_t opened_ms;
};
/*
 * One agent report, atomically: appends `ev` (a Login or Logout) to the
 * audit log and, for a Login (`open`), records `s` as open, for a Logout
 * removes the open session ev->session_id of ev->instance_id. An event
 * whose (instance_id, event_id) is already in the log changes nothing and
 * returns WK_ERR_EXISTS (a re-sent report). A backend without the op
 * returns WK_ERR_UNSUPPORTED.
 */
int wk_store_session_report(struct wk_store *st, struct wk_audit_event *ev,
    bool open, const struct wk_session *s);
struct wk_session_filter {
	const char *instance_id;	/* NULL: any */
	const char *caller_arn;		/* NULL: any */
	const char *os_user;		/* NULL: any */
	size_t max_items;		/* 0: 100 */
};
/* Open sessions, newest first. WK_ERR_UNSUPPORTED without the op. */
int wk_store_session_list(struct wk_store *st,
    const struct wk_session_filter *f, struct wk_session **out, size_t *n);

/* ---- console sessions (migration 8, docs/replicas.md): every replica
 * validates a cookie made by any other. A row is keyed by the SHA-256 of
 * the session token; the token (the cookie) is never stored, so a row
 * read from the database gives no usable cookie. ---- */
#define WK_CSESS_HASH_HEX 64
struct wk_console_row {
	char id_hash[WK_CSESS_HASH_HEX + 1];	/* hex SHA-256 of the token */
	char user[65];
	char user_id[33];
	char pw_tag[WK_CSESS_HASH_HEX + 1];	/* hex, see console_int.h */
	int64_t created_ms;	/* wall clock, ms since the epoch */
	int64_t last_ms;	/* last use recorded (coarse) */
	int64_t idle_until_ms;	/* refused from then on, unless touched */
	int64_t expires_ms;	/* refused from then on: absolute */
};
/*
 * Stores a new session, in one transaction with what makes room for it:
 * rows expired at now_ms are deleted, then the user's oldest sessions
 * beyond per_user - 1; WK_ERR_LIMIT when max_total live sessions remain
 * (nothing stored). WK_ERR_EXISTS when id_hash is taken.
 */
int wk_store_console_session_put(struct wk_store *st,
    const struct wk_console_row *cs, int64_t now_ms, size_t per_user,
    size_t max_total);
/*
 * The session id_hash, live at now_ms (now_ms < idle_until_ms and <
 * expires_ms); an expired one is deleted and, like an unknown one,
 * answers WK_ERR_NOTFOUND.
 */
int wk_store_console_session_get(struct wk_store *st, const char *id_hash,
    int64_t now_ms, struct wk_console_row *out);
/* Records a use: last_ms and idle_until_ms move forward, never back. */
int wk_store_console_session_touch(struct wk_store *st, const char *id_hash,
    int64_t last_ms, int64_t idle_until_ms);
/* Deletes the session id_hash (sign-out); NOTFOUND when absent. */
int wk_store_console_session_delete(struct wk_store *st, const char *id_hash);
/* Deletes every session of user_id; *n (may be NULL): how many. */
int wk_store_console_sessions_end_user(struct wk_store *st,
    const char *user_id, size_t *n);
/* Live sessions at now_ms, of user_id (NULL: of everyone). */
int wk_store_console_sessions_count(struct wk_store *st, const char *user_id,
    int64_t now_ms, size_t *n);
/* Deletes the sessions expired at now_ms; *n (may be NULL): how many. */
int wk_store_console_sessions_purge(struct wk_store *st, int64_t now_ms,
    size_t *n);

/* ---- signing keys shared by the replicas (migration 9,
 * docs/replicas.md): the data directory's signing files as of the last
 * rotation. Files named *.key are sealed under the master key (additional
 * data "signing:" + name); others (signing.statements) are public. ---- */
#define WK_SIGNING_FILES_MAX 8
#define WK_SIGNING_FILE_MAX 65536
struct wk_store_signing_file {
	char name[64];		/* a file name in the data directory */
	int64_t mtime;		/* its modification time, s */
	size_t len;
	char *data;		/* heap, NUL-terminated (text files) */
};
/* The generation: 0 before the first put, then bumped by each. */
int wk_store_signing_generation(struct wk_store *st, int64_t *gen);
/* Every file and the generation they belong to (one snapshot). */
int wk_store_signing_get(struct wk_store *st, struct wk_store_signing_file **out,
    size_t *n, int64_t *gen);
/*
 * Replaces the files with f[0..n) and bumps the generation, only if it is
 * still `expect` (WK_ERR_CONFLICT otherwise: another rotation won), in one
 * transaction; on PostgreSQL with NOTIFY wicket, 'k'. *gen: the new one.
 */
int wk_store_signing_put(struct wk_store *st, int64_t expect,
    const struct wk_store_signing_file *f, size_t n, int64_t *gen);
void wk_store_signing_files_free(struct wk_store_signing_file *v, size_t n);

/* ---- replicas (migration 7, docs/replicas.md): several wicketd on one
 * PostgreSQL. SQLite (one process) lacks these: WK_ERR_UNSUPPORTED. ---- */
/* A pushed record waiting for its agent (seq: the table's, global). */
struct wk_store_record {
	int64_t seq;
	int64_t expires;
	size_t len;
	char *data;		/* the record text (NUL-terminated too) */
};
/* The service-wide poll epoch (16 hex digits, made by migration 7). */
int wk_store_hub_epoch(struct wk_store *st, char out[static 17]);
/* Stores a record for instance_id and notifies every replica
 * ("r <instance_id>"), in one transaction; *seq is its number. */
int wk_store_hub_record_put(struct wk_store *st, const char *instance_id,
    const char *record, size_t len, int64_t expires, int64_t *seq);
/* The instance's live records with seq > after, oldest first, at most max. */
int wk_store_hub_records_since(struct wk_store *st, const char *instance_id,
    int64_t after, int64_t now, size_t max, struct wk_store_record **out,
    size_t *n);
void wk_store_records_free(struct wk_store_record *v, size_t n);
/* Forgets the instance's records with seq <= through (acknowledged). */
int wk_store_hub_records_ack(struct wk_store *st, const char *instance_id,
    int64_t through);
/* Forgets expired records (expires <= now) of every instance. */
int wk_store_hub_records_prune(struct wk_store *st, int64_t now);
/* NOTIFY wicket, payload (at most 200 bytes). */
int wk_store_notify(struct wk_store *st, const char *payload);

/*
 * The LISTEN side: its own connection (never the store's lock), used by
 * the event loop only. fd: the socket to watch (-1 while down). read:
 * takes what arrived and calls cb once per notification payload;
 * WK_ERR_STORE_UNAVAIL when the connection is lost. reconnect: 0 once
 * listening again (the caller then catches up: notifications sent in
 * between are lost).
 */
struct wk_store_listener;
int wk_store_listen(struct wk_store *st, struct wk_store_listener **out);
int wk_store_listener_fd(const struct wk_store_listener *l);
int wk_store_listener_read(struct wk_store_listener *l,
    void (*cb)(void *arg, const char *payload), void *arg);
int wk_store_listener_reconnect(struct wk_store_listener *l);
void wk_store_listener_free(struct wk_store_listener *l);	/* NULL-safe */

void wk_store_free(void *p);	/* frees any array returned above */
void wk_store_strv_free(char **v, size_t n);

#endif
