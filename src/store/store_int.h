/*
 * store_int.h - internals shared by the storage front (store.c) and its
 * backends: the operations table each backend fills, the common part of
 * every store object, secret sealing and input ceilings.
 */
#ifndef WK_STORE_STORE_INT_H
#define WK_STORE_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Ceilings on what the store accepts (the API layer is stricter). */
#define WK_STORE_DOC_MAX	131072	/* policy documents */
#define WK_STORE_HOSTKEYS_MAX	65536	/* instance host key lines */
#define WK_STORE_META_MAX	65536	/* a meta value */
#define WK_STORE_TAGS_MAX	50	/* tags per user / instance (IAM) */
#define WK_STORE_KEYS_MAX	2	/* access keys per user (IAM) */
#define WK_STORE_VERSIONS_MAX	5	/* versions per managed policy */
#define WK_STORE_ATTACH_MAX	10	/* managed policies per principal */
#define WK_STORE_LIST_MAX	1000	/* max_items ceiling (IAM) */
#define WK_STORE_LIST_DEFAULT	100
#define WK_STORE_AUDIT_BATCH_MAX 4096	/* events per batch append */

/*
 * One entry per public operation; signatures are those of store.h with the
 * same names minus the wk_store_ prefix. The front (store.c) serialises
 * calls on the store's mutex when `serialized` is set, so a backend with a
 * single connection needs no locking of its own.
 */
struct wk_store_ops {
	const char *name;
	bool serialized;
	void (*close)(struct wk_store *);

	int (*meta_get)(struct wk_store *, const char *, char **);
	int (*meta_set)(struct wk_store *, const char *, const char *);

	int (*user_create)(struct wk_store *, const struct wk_user *);
	int (*user_get)(struct wk_store *, const char *, struct wk_user *);
	int (*user_list)(struct wk_store *, const char *, const char *, size_t,
	    struct wk_user **, size_t *, char **);
	int (*user_update)(struct wk_store *, const char *, const char *,
	    const char *, const char *);
	int (*user_delete)(struct wk_store *, const char *);
	int (*user_touch_password)(struct wk_store *, const char *, time_t);
	int (*user_tags_set)(struct wk_store *, const char *,
	    const struct wk_tag *, size_t);
	int (*user_tags_remove)(struct wk_store *, const char *,
	    const char *const *, size_t);
	int (*user_tags_list)(struct wk_store *, const char *, struct wk_tag **,
	    size_t *);

	int (*key_create)(struct wk_store *, const struct wk_access_key *);
	int (*key_get)(struct wk_store *, const char *, struct wk_access_key *);
	int (*key_list)(struct wk_store *, const char *,
	    struct wk_access_key **, size_t *);
	int (*key_set_active)(struct wk_store *, const char *, const char *,
	    bool);
	int (*key_delete)(struct wk_store *, const char *, const char *);
	int (*key_touch)(struct wk_store *, const char *, time_t, const char *,
	    const char *);
	int (*key_touch_batch)(struct wk_store *, const struct wk_key_use *,
	    size_t);

	int (*policy_create)(struct wk_store *,
	    const struct wk_managed_policy *, const char *);
	int (*policy_get)(struct wk_store *, const char *,
	    struct wk_managed_policy *);
	int (*policy_list)(struct wk_store *, const char *, bool, const char *,
	    size_t, struct wk_managed_policy **, size_t *, char **);
	int (*policy_delete)(struct wk_store *, const char *);
	int (*policy_version_create)(struct wk_store *, const char *,
	    const char *, bool, char *);
	int (*policy_version_get)(struct wk_store *, const char *, const char *,
	    struct wk_policy_version *);
	int (*policy_version_list)(struct wk_store *, const char *,
	    struct wk_policy_version **, size_t *);
	int (*policy_version_delete)(struct wk_store *, const char *,
	    const char *);
	int (*policy_version_set_default)(struct wk_store *, const char *,
	    const char *);

	int (*attach_user)(struct wk_store *, const char *, const char *);
	int (*detach_user)(struct wk_store *, const char *, const char *);
	int (*attach_group)(struct wk_store *, const char *, const char *);
	int (*detach_group)(struct wk_store *, const char *, const char *);
	int (*attached_user_list)(struct wk_store *, const char *,
	    struct wk_managed_policy **, size_t *);
	int (*attached_group_list)(struct wk_store *, const char *,
	    struct wk_managed_policy **, size_t *);
	int (*policy_entities)(struct wk_store *, const char *, char ***,
	    size_t *, char ***, size_t *);

	int (*user_policy_put)(struct wk_store *, const char *, const char *,
	    const char *);
	int (*user_policy_get)(struct wk_store *, const char *, const char *,
	    struct wk_inline_policy *);
	int (*user_policy_list)(struct wk_store *, const char *, char ***,
	    size_t *);
	int (*user_policy_delete)(struct wk_store *, const char *,
	    const char *);
	int (*group_policy_put)(struct wk_store *, const char *, const char *,
	    const char *);
	int (*group_policy_get)(struct wk_store *, const char *, const char *,
	    struct wk_inline_policy *);
	int (*group_policy_list)(struct wk_store *, const char *, char ***,
	    size_t *);
	int (*group_policy_delete)(struct wk_store *, const char *,
	    const char *);

	int (*group_create)(struct wk_store *, const struct wk_group *);
	int (*group_get)(struct wk_store *, const char *, struct wk_group *);
	int (*group_list)(struct wk_store *, const char *, const char *, size_t,
	    struct wk_group **, size_t *, char **);
	int (*group_delete)(struct wk_store *, const char *);
	int (*group_add_user)(struct wk_store *, const char *, const char *);
	int (*group_remove_user)(struct wk_store *, const char *, const char *);
	int (*group_members)(struct wk_store *, const char *, struct wk_user **,
	    size_t *);
	int (*groups_for_user)(struct wk_store *, const char *,
	    struct wk_group **, size_t *);

	int (*login_profile_put)(struct wk_store *,
	    const struct wk_login_profile *, bool);
	int (*login_profile_get)(struct wk_store *, const char *,
	    struct wk_login_profile *);
	int (*login_profile_delete)(struct wk_store *, const char *);

	int (*effective_policies)(struct wk_store *, const char *,
	    struct wk_effective_policy **, size_t *);
	int (*policy_generation)(struct wk_store *, uint64_t *);

	int (*instance_create)(struct wk_store *, const struct wk_instance *);
	int (*instance_get)(struct wk_store *, const char *,
	    struct wk_instance *);
	int (*instance_list)(struct wk_store *, struct wk_instance **,
	    size_t *);
	int (*instance_update)(struct wk_store *, const struct wk_instance *);
	int (*instance_touch)(struct wk_store *, const char *, time_t);
	int (*instance_delete)(struct wk_store *, const char *);
	int (*instance_tags_set)(struct wk_store *, const char *,
	    const struct wk_tag *, size_t);
	int (*instance_tags_remove)(struct wk_store *, const char *,
	    const char *const *, size_t);
	int (*instance_tags_list)(struct wk_store *, const char *,
	    struct wk_tag **, size_t *);

	int (*token_create)(struct wk_store *, const char *, time_t,
	    const char *);
	int (*token_consume)(struct wk_store *, const char *, time_t);
	int (*token_allow)(struct wk_store *, const char *, time_t, char *,
	    size_t);
	int (*token_list_unused)(struct wk_store *, struct wk_token_row **,
	    size_t *);

	/* events, then records (nrec <= n) in one transaction; a backend
	 * without the replicas' table refuses nrec > 0 (UNSUPPORTED) */
	int (*audit_append)(struct wk_store *, struct wk_audit_event *, size_t,
	    struct wk_store_record_put *, size_t);
	int (*audit_query)(struct wk_store *, const struct wk_audit_filter *,
	    struct wk_audit_event **, size_t *);

	/* revocations: a backend without them leaves these NULL (the front
	 * answers WK_ERR_UNSUPPORTED) */
	int (*revocation_add)(struct wk_store *, struct wk_revocation *);
	int (*revocation_list)(struct wk_store *, int64_t, const char *,
	    time_t, size_t, struct wk_revocation **, size_t *);
	int (*revocation_max_id)(struct wk_store *, int64_t *);
	int (*revocation_by_request)(struct wk_store *, const char *,
	    struct wk_revocation **, size_t *);
	int (*audit_key_requests)(struct wk_store *, const char *,
	    const char *, int64_t, size_t, char ***, size_t *);
	/* migration 4; NULL in a backend without it (WK_ERR_UNSUPPORTED) */
	int (*session_report)(struct wk_store *, struct wk_audit_event *, bool,
	    const struct wk_session *);
	int (*session_list)(struct wk_store *, const struct wk_session_filter *,
	    struct wk_session **, size_t *);
	/* console sessions (migration 8) */
	int (*console_session_put)(struct wk_store *,
	    const struct wk_console_row *, int64_t, size_t, size_t);
	int (*console_session_get)(struct wk_store *, const char *, int64_t,
	    struct wk_console_row *);
	int (*console_session_touch)(struct wk_store *, const char *, int64_t,
	    int64_t);
	int (*console_session_delete)(struct wk_store *, const char *);
	int (*console_sessions_end_user)(struct wk_store *, const char *,
	    size_t *);
	int (*console_sessions_count)(struct wk_store *, const char *, int64_t,
	    size_t *);
	int (*console_sessions_purge)(struct wk_store *, int64_t, size_t *);
	/* signing files (migration 9) */
	int (*signing_generation)(struct wk_store *, int64_t *);
	int (*signing_get)(struct wk_store *, struct wk_store_signing_file **,
	    size_t *, int64_t *);
	int (*signing_put)(struct wk_store *, int64_t,
	    const struct wk_store_signing_file *, size_t, int64_t *);
	/* replicas (migration 7); NULL in SQLite (WK_ERR_UNSUPPORTED) */
	const struct wk_store_repl_ops *repl;
};

struct wk_store_repl_ops {
	int (*hub_epoch)(struct wk_store *, char *);
	int (*hub_record_put)(struct wk_store *, const char *, const char *,
	    size_t, int64_t, int64_t *);
	int (*hub_records_since)(struct wk_store *, const char *, int64_t,
	    int64_t, size_t, struct wk_store_record **, size_t *);
	int (*hub_records_ack)(struct wk_store *, const char *, int64_t);
	int (*hub_records_prune)(struct wk_store *, int64_t);
	int (*notify)(struct wk_store *, const char *);
	int (*listen)(struct wk_store *, struct wk_store_listener **);
};

/* The first member of every backend's store object. */
struct wk_store {
	const struct wk_store_ops *ops;
	pthread_mutex_t lock;
	uint64_t errors;	/* calls that failed (store_failed), under lock */
	uint8_t master_key[WK_MASTER_KEY_LEN];
};

/* Fills the common part; 0 or WK_ERR_INTERNAL (mutex). */
int wk_store_base_init(struct wk_store *st, const struct wk_store_ops *ops,
    const uint8_t master_key[WK_MASTER_KEY_LEN]);
/* Wipes the key, destroys the mutex. */
void wk_store_base_cleanup(struct wk_store *st);

/* Backends. */
int wk_store_sqlite_open(const char *path,
    const uint8_t master_key[WK_MASTER_KEY_LEN], struct wk_store **out);
/* PostgreSQL (postgres/): refuses a schema that is not exactly current. */
int wk_store_pg_open(const char *uri,
    const uint8_t master_key[WK_MASTER_KEY_LEN], struct wk_store **out);
int wk_store_pg_check(const char *uri, char *why, size_t whysz);
int wk_store_pg_uri_check(const char *uri, char *why, size_t whysz);
int wk_store_pg_migrate(const char *uri, int *from, int *to, char *why,
    size_t whysz);

/*
 * Secret sealing: AES-256-GCM under the master key, with a fresh random
 * 12-byte nonce and `aad` (the access key id) as additional authenticated
 * data. Sealed form: version byte 0x01 || nonce || ciphertext || 16-byte
 * tag. Unseal fails with WK_ERR_CRYPTO when the key, the aad or any byte
 * differs; the plaintext is NUL-terminated in `out` (outsz includes it).
 */
#define WK_SEAL_VERSION		0x01
#define WK_SEAL_NONCE_LEN	12
#define WK_SEAL_TAG_LEN		16
#define WK_SEAL_OVERHEAD	(1 + WK_SEAL_NONCE_LEN + WK_SEAL_TAG_LEN)
#define WK_SEAL_PLAIN_MAX	1024

/* Checks of a signing file shared by both backends: a plain name (no
 * '/', not "." or ".."), data within WK_SIGNING_FILE_MAX and, for a key
 * file (*.key), within WK_SEAL_PLAIN_MAX. *sealed: whether it is one. */
int wk_store_signing_file_check(const struct wk_store_signing_file *f,
    bool *sealed);
int wk_store_seal(const uint8_t key[WK_MASTER_KEY_LEN], const char *aad,
    const char *plain, uint8_t **out, size_t *outlen);
int wk_store_unseal(const uint8_t key[WK_MASTER_KEY_LEN], const char *aad,
    const uint8_t *sealed, size_t sealedlen, char *out, size_t outsz);

/*
 * Input checks shared by backends: s non-NULL and at most max bytes
 * (WK_ERR_INVAL for NULL, WK_ERR_TOOBIG beyond). Empty allowed only by
 * wk_store_check_opt.
 */
int wk_store_check_str(const char *s, size_t max);
int wk_store_check_opt(const char *s, size_t max);
/* Parses "v<N>" (N >= 1, no leading zero) into *num. */
int wk_store_version_parse(const char *version_id, int64_t *num);
/* Writes "v<N>" into out[8]. */
int wk_store_version_format(int64_t num, char out[static 8]);
/* Clamps IAM max_items: 0 -> 100, > 1000 -> 1000. */
size_t wk_store_max_items(size_t max_items);

#endif
