/*
 * store.c - the storage front: serialises calls for single-connection
 * backends and dispatches every operation through the backend's struct
 * wk_store_ops (open.c picks the backend). Also the release functions and the
 * small checks every backend shares.
 */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "store/store_int.h"

int
wk_store_base_init(struct wk_store *st, const struct wk_store_ops *ops,
    const uint8_t master_key[WK_MASTER_KEY_LEN])
{
	st->ops = ops;
	memcpy(st->master_key, master_key, WK_MASTER_KEY_LEN);
	if (pthread_mutex_init(&st->lock, NULL) != 0) {
		wk_explicit_bzero(st->master_key, sizeof(st->master_key));
		return WK_ERR_INTERNAL;
	}
	return 0;
}

void
wk_store_base_cleanup(struct wk_store *st)
{
	wk_explicit_bzero(st->master_key, sizeof(st->master_key));
	pthread_mutex_destroy(&st->lock);
}

void
wk_store_close(struct wk_store *st)
{
	if (st == NULL)
		return;
	st->ops->close(st);
}

static void
store_lock(struct wk_store *st)
{
	if (st->ops->serialized)
		pthread_mutex_lock(&st->lock);
}

static void
store_unlock(struct wk_store *st)
{
	if (st->ops->serialized)
		pthread_mutex_unlock(&st->lock);
}

/* A failure of the store itself, not an answer about the data. */
static bool
store_failed(int r)
{
	return r == WK_ERR_STORE || r == WK_ERR_IO || r == WK_ERR_NOMEM ||
	    r == WK_ERR_INTERNAL || r == WK_ERR_CRYPTO ||
	    r == WK_ERR_STORE_UNAVAIL;
}

/* Set when an operation on this thread found the database unreachable. */
static _Thread_local bool unavailable_seen;

bool
wk_store_unavailable_take(void)
{
	bool v = unavailable_seen;

	unavailable_seen = false;
	return v;
}

uint64_t
wk_store_error_count(struct wk_store *st)
{
	uint64_t n;

	if (st == NULL)
		return 0;
	store_lock(st);
	n = st->errors;
	store_unlock(st);
	return n;
}

/* Calls the backend's operation `op` under the store's lock. */
#define WK_STORE_CALL(st, op, ...) do {					\
	int r_;								\
	if ((st) == NULL)						\
		return WK_ERR_INVAL;					\
	if ((st)->ops->op == NULL)					\
		return WK_ERR_UNSUPPORTED;				\
	store_lock(st);							\
	r_ = (st)->ops->op((st), __VA_ARGS__);				\
	if (store_failed(r_))						\
		(st)->errors++;						\
	if (r_ == WK_ERR_STORE_UNAVAIL)					\
		unavailable_seen = true;				\
	store_unlock(st);						\
	return r_;							\
} while (0)

int
wk_store_meta_get(struct wk_store *st, const char *key, char **out)
{
	WK_STORE_CALL(st, meta_get, key, out);
}

int
wk_store_meta_set(struct wk_store *st, const char *key, const char *value)
{
	WK_STORE_CALL(st, meta_set, key, value);
}

int
wk_store_user_create(struct wk_store *st, const struct wk_user *u)
{
	WK_STORE_CALL(st, user_create, u);
}

int
wk_store_user_get(struct wk_store *st, const char *name, struct wk_user *out)
{
	WK_STORE_CALL(st, user_get, name, out);
}

int
wk_store_user_list(struct wk_store *st, const char *path_prefix,
    const char *marker, size_t max_items, struct wk_user **out, size_t *n,
    char **next_marker)
{
	WK_STORE_CALL(st, user_list, path_prefix, marker, max_items, out, n,
	    next_marker);
}

int
wk_store_user_update(struct wk_store *st, const char *name,
    const char *new_name, const char *new_path, const char *new_arn)
{
	WK_STORE_CALL(st, user_update, name, new_name, new_path, new_arn);
}

int
wk_store_user_delete(struct wk_store *st, const char *name)
{
	WK_STORE_CALL(st, user_delete, name);
}

int
wk_store_user_touch_password(struct wk_store *st, const char *name,
    time_t when)
{
	WK_STORE_CALL(st, user_touch_password, name, when);
}

int
wk_store_user_tags_set(struct wk_store *st, const char *name,
    const struct wk_tag *tags, size_t n)
{
	WK_STORE_CALL(st, user_tags_set, name, tags, n);
}

int
wk_store_user_tags_remove(struct wk_store *st, const char *name,
    const char *const *keys, size_t n)
{
	WK_STORE_CALL(st, user_tags_remove, name, keys, n);
}

int
wk_store_user_tags_list(struct wk_store *st, const char *name,
    struct wk_tag **out, size_t *n)
{
	WK_STORE_CALL(st, user_tags_list, name, out, n);
}

int
wk_store_key_create(struct wk_store *st, const struct wk_access_key *k)
{
	WK_STORE_CALL(st, key_create, k);
}

int
wk_store_key_get(struct wk_store *st, const char *id, struct wk_access_key *out)
{
	WK_STORE_CALL(st, key_get, id, out);
}

int
wk_store_key_list(struct wk_store *st, const char *user_name,
    struct wk_access_key **out, size_t *n)
{
	WK_STORE_CALL(st, key_list, user_name, out, n);
}

int
wk_store_key_set_active(struct wk_store *st, const char *user_name,
    const char *id, bool active)
{
	WK_STORE_CALL(st, key_set_active, user_name, id, active);
}

int
wk_store_key_delete(struct wk_store *st, const char *user_name, const char *id)
{
	WK_STORE_CALL(st, key_delete, user_name, id);
}

int
wk_store_key_touch(struct wk_store *st, const char *id, time_t when,
    const char *service, const char *region)
{
	WK_STORE_CALL(st, key_touch, id, when, service, region);
}

int
wk_store_key_touch_batch(struct wk_store *st, const struct wk_key_use *u,
    size_t n)
{
	WK_STORE_CALL(st, key_touch_batch, u, n);
}

int
wk_store_policy_create(struct wk_store *st, const struct wk_managed_policy *p,
    const char *document)
{
	WK_STORE_CALL(st, policy_create, p, document);
}

int
wk_store_policy_get(struct wk_store *st, const char *arn,
    struct wk_managed_policy *out)
{
	WK_STORE_CALL(st, policy_get, arn, out);
}

int
wk_store_policy_list(struct wk_store *st, const char *path_prefix,
    bool only_attached, const char *marker, size_t max_items,
    struct wk_managed_policy **out, size_t *n, char **next_marker)
{
	WK_STORE_CALL(st, policy_list, path_prefix, only_attached, marker,
	    max_items, out, n, next_marker);
}

int
wk_store_policy_delete(struct wk_store *st, const char *arn)
{
	WK_STORE_CALL(st, policy_delete, arn);
}

int
wk_store_policy_version_create(struct wk_store *st, const char *arn,
    const char *document, bool set_default, char version_id[static 8])
{
	WK_STORE_CALL(st, policy_version_create, arn, document, set_default,
	    version_id);
}

int
wk_store_policy_version_get(struct wk_store *st, const char *arn,
    const char *version_id, struct wk_policy_version *out)
{
	WK_STORE_CALL(st, policy_version_get, arn, version_id, out);
}

int
wk_store_policy_version_list(struct wk_store *st, const char *arn,
    struct wk_policy_version **out, size_t *n)
{
	WK_STORE_CALL(st, policy_version_list, arn, out, n);
}

int
wk_store_policy_version_delete(struct wk_store *st, const char *arn,
    const char *version_id)
{
	WK_STORE_CALL(st, policy_version_delete, arn, version_id);
}

int
wk_store_policy_version_set_default(struct wk_store *st, const char *arn,
    const char *version_id)
{
	WK_STORE_CALL(st, policy_version_set_default, arn, version_id);
}

int
wk_store_attach_user(struct wk_store *st, const char *user_name,
    const char *arn)
{
	WK_STORE_CALL(st, attach_user, user_name, arn);
}

int
wk_store_detach_user(struct wk_store *st, const char *user_name,
    const char *arn)
{
	WK_STORE_CALL(st, detach_user, user_name, arn);
}

int
wk_store_attach_group(struct wk_store *st, const char *group_name,
    const char *arn)
{
	WK_STORE_CALL(st, attach_group, group_name, arn);
}

int
wk_store_detach_group(struct wk_store *st, const char *group_name,
    const char *arn)
{
	WK_STORE_CALL(st, detach_group, group_name, arn);
}

int
wk_store_attached_user_list(struct wk_store *st, const char *user_name,
    struct wk_managed_policy **out, size_t *n)
{
	WK_STORE_CALL(st, attached_user_list, user_name, out, n);
}

int
wk_store_attached_group_list(struct wk_store *st, const char *group_name,
    struct wk_managed_policy **out, size_t *n)
{
	WK_STORE_CALL(st, attached_group_list, group_name, out, n);
}

int
wk_store_policy_entities(struct wk_store *st, const char *arn,
    char ***users, size_t *nusers, char ***groups, size_t *ngroups)
{
	WK_STORE_CALL(st, policy_entities, arn, users, nusers, groups,
	    ngroups);
}

int
wk_store_user_policy_put(struct wk_store *st, const char *user_name,
    const char *policy_name, const char *document)
{
	WK_STORE_CALL(st, user_policy_put, user_name, policy_name, document);
}

int
wk_store_user_policy_get(struct wk_store *st, const char *user_name,
    const char *policy_name, struct wk_inline_policy *out)
{
	WK_STORE_CALL(st, user_policy_get, user_name, policy_name, out);
}

int
wk_store_user_policy_list(struct wk_store *st, const char *user_name,
    char ***names, size_t *n)
{
	WK_STORE_CALL(st, user_policy_list, user_name, names, n);
}

int
wk_store_user_policy_delete(struct wk_store *st, const char *user_name,
    const char *policy_name)
{
	WK_STORE_CALL(st, user_policy_delete, user_name, policy_name);
}

int
wk_store_group_policy_put(struct wk_store *st, const char *group_name,
    const char *policy_name, const char *document)
{
	WK_STORE_CALL(st, group_policy_put, group_name, policy_name,
	    document);
}

int
wk_store_group_policy_get(struct wk_store *st, const char *group_name,
    const char *policy_name, struct wk_inline_policy *out)
{
	WK_STORE_CALL(st, group_policy_get, group_name, policy_name, out);
}

int
wk_store_group_policy_list(struct wk_store *st, const char *group_name,
    char ***names, size_t *n)
{
	WK_STORE_CALL(st, group_policy_list, group_name, names, n);
}

int
wk_store_group_policy_delete(struct wk_store *st, const char *group_name,
    const char *policy_name)
{
	WK_STORE_CALL(st, group_policy_delete, group_name, policy_name);
}

int
wk_store_group_create(struct wk_store *st, const struct wk_group *g)
{
	WK_STORE_CALL(st, group_create, g);
}

int
wk_store_group_get(struct wk_store *st, const char *name, struct wk_group *out)
{
	WK_STORE_CALL(st, group_get, name, out);
}

int
wk_store_group_list(struct wk_store *st, const char *path_prefix,
    const char *marker, size_t max_items, struct wk_group **out, size_t *n,
    char **next_marker)
{
	WK_STORE_CALL(st, group_list, path_prefix, marker, max_items, out, n,
	    next_marker);
}

int
wk_store_group_delete(struct wk_store *st, const char *name)
{
	WK_STORE_CALL(st, group_delete, name);
}

int
wk_store_group_add_user(struct wk_store *st, const char *group_name,
    const char *user_name)
{
	WK_STORE_CALL(st, group_add_user, group_name, user_name);
}

int
wk_store_group_remove_user(struct wk_store *st, const char *group_name,
    const char *user_name)
{
	WK_STORE_CALL(st, group_remove_user, group_name, user_name);
}

int
wk_store_group_members(struct wk_store *st, const char *group_name,
    struct wk_user **out, size_t *n)
{
	WK_STORE_CALL(st, group_members, group_name, out, n);
}

int
wk_store_groups_for_user(struct wk_store *st, const char *user_name,
    struct wk_group **out, size_t *n)
{
	WK_STORE_CALL(st, groups_for_user, user_name, out, n);
}

int
wk_store_login_profile_put(struct wk_store *st,
    const struct wk_login_profile *p, bool create)
{
	WK_STORE_CALL(st, login_profile_put, p, create);
}

int
wk_store_login_profile_get(struct wk_store *st, const char *user_name,
    struct wk_login_profile *out)
{
	WK_STORE_CALL(st, login_profile_get, user_name, out);
}

int
wk_store_login_profile_delete(struct wk_store *st, const char *user_name)
{
	WK_STORE_CALL(st, login_profile_delete, user_name);
}

int
wk_store_effective_policies(struct wk_store *st, const char *user_name,
    struct wk_effective_policy **out, size_t *n)
{
	WK_STORE_CALL(st, effective_policies, user_name, out, n);
}

int
wk_store_policy_generation(struct wk_store *st, uint64_t *out)
{
	WK_STORE_CALL(st, policy_generation, out);
}

int
wk_store_instance_create(struct wk_store *st, const struct wk_instance *in)
{
	WK_STORE_CALL(st, instance_create, in);
}

int
wk_store_instance_get(struct wk_store *st, const char *id,
    struct wk_instance *out)
{
	WK_STORE_CALL(st, instance_get, id, out);
}

int
wk_store_instance_list(struct wk_store *st, struct wk_instance **out,
    size_t *n)
{
	WK_STORE_CALL(st, instance_list, out, n);
}

int
wk_store_instance_update(struct wk_store *st, const struct wk_instance *in)
{
	WK_STORE_CALL(st, instance_update, in);
}

int
wk_store_instance_touch(struct wk_store *st, const char *id, time_t when)
{
	WK_STORE_CALL(st, instance_touch, id, when);
}

int
wk_store_instance_delete(struct wk_store *st, const char *id)
{
	WK_STORE_CALL(st, instance_delete, id);
}

int
wk_store_instance_tags_set(struct wk_store *st, const char *id,
    const struct wk_tag *tags, size_t n)
{
	WK_STORE_CALL(st, instance_tags_set, id, tags, n);
}

int
wk_store_instance_tags_remove(struct wk_store *st, const char *id,
    const char *const *keys, size_t n)
{
	WK_STORE_CALL(st, instance_tags_remove, id, keys, n);
}

int
wk_store_instance_tags_list(struct wk_store *st, const char *id,
    struct wk_tag **out, size_t *n)
{
	WK_STORE_CALL(st, instance_tags_list, id, out, n);
}

int
wk_store_token_create(struct wk_store *st, const char *token_hash_hex,
    time_t expires, const char *address_allow)
{
	WK_STORE_CALL(st, token_create, token_hash_hex, expires,
	    address_allow != NULL ? address_allow : "");
}

int
wk_store_token_allow(struct wk_store *st, const char *token_hash_hex,
    time_t now, char *out, size_t outsz)
{
	WK_STORE_CALL(st, token_allow, token_hash_hex, now, out, outsz);
}

int
wk_store_token_consume(struct wk_store *st, const char *token_hash_hex,
    time_t now)
{
	WK_STORE_CALL(st, token_consume, token_hash_hex, now);
}

int
wk_store_token_list_unused(struct wk_store *st, struct wk_token_row **out,
    size_t *n)
{
	WK_STORE_CALL(st, token_list_unused, out, n);
}

int
wk_store_audit_append(struct wk_store *st, struct wk_audit_event *ev)
{
	WK_STORE_CALL(st, audit_append, ev, 1, NULL, 0);
}

int
wk_store_audit_append_batch(struct wk_store *st, struct wk_audit_event *evs,
    size_t n)
{
	WK_STORE_CALL(st, audit_append, evs, n, NULL, 0);
}

int
wk_store_audit_commit(struct wk_store *st, struct wk_audit_event *evs,
    size_t n, struct wk_store_record_put *recs, size_t nrec)
{
	if ((recs == NULL) != (nrec == 0) || nrec > n)
		return WK_ERR_INVAL;
	WK_STORE_CALL(st, audit_append, evs, n, recs, nrec);
}

int
wk_store_audit_query(struct wk_store *st, const struct wk_audit_filter *f,
    struct wk_audit_event **out, size_t *n)
{
	WK_STORE_CALL(st, audit_query, f, out, n);
}

int
wk_store_revocation_add(struct wk_store *st, struct wk_revocation *rev)
{
	WK_STORE_CALL(st, revocation_add, rev);
}

int
wk_store_revocation_list(struct wk_store *st, int64_t after_id,
    const char *instance_id, time_t now, size_t max,
    struct wk_revocation **out, size_t *n)
{
	WK_STORE_CALL(st, revocation_list, after_id, instance_id, now, max,
	    out, n);
}

int
wk_store_revocation_by_request(struct wk_store *st, const char *by_request_id,
    struct wk_revocation **out, size_t *n)
{
	WK_STORE_CALL(st, revocation_by_request, by_request_id, out, n);
}

int
wk_store_revocation_max_id(struct wk_store *st, int64_t *out)
{
	WK_STORE_CALL(st, revocation_max_id, out);
}

int
wk_store_audit_key_requests(struct wk_store *st, const char *akid,
    const char *action, int64_t since_ms, size_t max, char ***out,
    size_t *n)
{
	WK_STORE_CALL(st, audit_key_requests, akid, action, since_ms, max,
	    out, n);
}

int
wk_store_console_session_put(struct wk_store *st,
    const struct wk_console_row *cs, int64_t now_ms, size_t per_user,
    size_t max_total)
{
	WK_STORE_CALL(st, console_session_put, cs, now_ms, per_user,
	    max_total);
}

int
wk_store_console_session_get(struct wk_store *st, const char *id_hash,
    int64_t now_ms, struct wk_console_row *out)
{
	WK_STORE_CALL(st, console_session_get, id_hash, now_ms, out);
}

int
wk_store_console_session_touch(struct wk_store *st, const char *id_hash,
    int64_t last_ms, int64_t idle_until_ms)
{
	WK_STORE_CALL(st, console_session_touch, id_hash, last_ms,
	    idle_until_ms);
}

int
wk_store_console_session_delete(struct wk_store *st, const char *id_hash)
{
	WK_STORE_CALL(st, console_session_delete, id_hash);
}

int
wk_store_console_sessions_end_user(struct wk_store *st, const char *user_id,
    size_t *n)
{
	WK_STORE_CALL(st, console_sessions_end_user, user_id, n);
}

int
wk_store_console_sessions_count(struct wk_store *st, const char *user_id,
    int64_t now_ms, size_t *n)
{
	WK_STORE_CALL(st, console_sessions_count, user_id, now_ms, n);
}

int
wk_store_console_sessions_purge(struct wk_store *st, int64_t now_ms,
    size_t *n)
{
	WK_STORE_CALL(st, console_sessions_purge, now_ms, n);
}

int
wk_store_signing_generation(struct wk_store *st, int64_t *gen)
{
	WK_STORE_CALL(st, signing_generation, gen);
}

int
wk_store_signing_get(struct wk_store *st, struct wk_store_signing_file **out,
    size_t *n, int64_t *gen)
{
	WK_STORE_CALL(st, signing_get, out, n, gen);
}

int
wk_store_signing_put(struct wk_store *st, int64_t expect,
    const struct wk_store_signing_file *f, size_t n, int64_t *gen)
{
	WK_STORE_CALL(st, signing_put, expect, f, n, gen);
}

void
wk_store_signing_files_free(struct wk_store_signing_file *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		if (v[i].data != NULL)
			wk_freezero(v[i].data, v[i].len + 1);
	wk_free(v);
}

int
wk_store_signing_file_check(const struct wk_store_signing_file *f, bool *sealed)
{
	size_t nl;

	if (f == NULL || f->data == NULL ||
	    (nl = strnlen(f->name, sizeof(f->name))) == 0 ||
	    nl >= sizeof(f->name) || strchr(f->name, '/') != NULL ||
	    strcmp(f->name, ".") == 0 || strcmp(f->name, "..") == 0 ||
	    f->mtime < 0 || strlen(f->data) != f->len)
		return WK_ERR_INVAL;
	*sealed = nl > 4 && strcmp(f->name + nl - 4, ".key") == 0;
	if (f->len > (*sealed ? WK_SEAL_PLAIN_MAX - 1 : WK_SIGNING_FILE_MAX))
		return WK_ERR_TOOBIG;
	return 0;
}

void
wk_store_revocations_free(struct wk_revocation *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		wk_free(v[i].request_ids);
	wk_free(v);
}

int
wk_store_session_report(struct wk_store *st, struct wk_audit_event *ev,
    bool open, const struct wk_session *s)
{
	WK_STORE_CALL(st, session_report, ev, open, s);
}

int
wk_store_session_list(struct wk_store *st, const struct wk_session_filter *f,
    struct wk_session **out, size_t *n)
{
	if (out != NULL && n != NULL) {
		*out = NULL;
		*n = 0;
	}
	WK_STORE_CALL(st, session_list, f, out, n);
}

/* ---- replicas (migration 7) ---- */
#define WK_STORE_REPL_CALL(st, op, ...) do {				\
	if ((st) != NULL && ((st)->ops->repl == NULL ||			\
	    (st)->ops->repl->op == NULL))					\
		return WK_ERR_UNSUPPORTED;				\
	WK_STORE_REPL_LOCKED(st, op, __VA_ARGS__);			\
} while (0)
#define WK_STORE_REPL_LOCKED(st, op, ...) do {				\
	int r_;								\
	if ((st) == NULL)						\
		return WK_ERR_INVAL;					\
	store_lock(st);							\
	r_ = (st)->ops->repl->op((st), __VA_ARGS__);			\
	if (store_failed(r_))						\
		(st)->errors++;						\
	if (r_ == WK_ERR_STORE_UNAVAIL)					\
		unavailable_seen = true;				\
	store_unlock(st);						\
	return r_;							\
} while (0)

int
wk_store_hub_epoch(struct wk_store *st, char out[static 17])
{
	WK_STORE_REPL_CALL(st, hub_epoch, out);
}

int
wk_store_hub_record_put(struct wk_store *st, const char *instance_id,
    const char *record, size_t len, int64_t expires, int64_t *seq)
{
	WK_STORE_REPL_CALL(st, hub_record_put, instance_id, record, len,
	    expires, seq);
}

int
wk_store_hub_records_since(struct wk_store *st, const char *instance_id,
    int64_t after, int64_t now, size_t max, struct wk_store_record **out,
    size_t *n)
{
	if (out != NULL && n != NULL) {
		*out = NULL;
		*n = 0;
	}
	WK_STORE_REPL_CALL(st, hub_records_since, instance_id, after, now, max,
	    out, n);
}

void
wk_store_records_free(struct wk_store_record *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		wk_freezero(v[i].data, v[i].len + 1);
	wk_free(v);
}

int
wk_store_hub_records_ack(struct wk_store *st, const char *instance_id,
    int64_t through)
{
	WK_STORE_REPL_CALL(st, hub_records_ack, instance_id, through);
}

int
wk_store_hub_records_prune(struct wk_store *st, int64_t now)
{
	WK_STORE_REPL_CALL(st, hub_records_prune, now);
}

int
wk_store_notify(struct wk_store *st, const char *payload)
{
	WK_STORE_REPL_CALL(st, notify, payload);
}

int
wk_store_listen(struct wk_store *st, struct wk_store_listener **out)
{
	*out = NULL;
	WK_STORE_REPL_CALL(st, listen, out);
}

/* ---- release functions ---- */

void
wk_policy_version_cleanup(struct wk_policy_version *v)
{
	if (v == NULL)
		return;
	wk_free(v->document);
	v->document = NULL;
}

void
wk_policy_version_list_free(struct wk_policy_version *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		wk_free(v[i].document);
	wk_free(v);
}

void
wk_inline_policy_cleanup(struct wk_inline_policy *p)
{
	if (p == NULL)
		return;
	wk_free(p->document);
	p->document = NULL;
}

void
wk_effective_policy_list_free(struct wk_effective_policy *p, size_t n)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < n; i++)
		wk_free(p[i].document);
	wk_free(p);
}

void
wk_instance_cleanup(struct wk_instance *in)
{
	if (in == NULL)
		return;
	wk_free(in->host_keys);
	in->host_keys = NULL;
}

void
wk_instance_list_free(struct wk_instance *in, size_t n)
{
	size_t i;

	if (in == NULL)
		return;
	for (i = 0; i < n; i++)
		wk_free(in[i].host_keys);
	wk_free(in);
}

void
wk_store_free(void *p)
{
	wk_free(p);
}

void
wk_store_strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		wk_free(v[i]);
	wk_free(v);
}

/* ---- shared checks ---- */

int
wk_store_check_str(const char *s, size_t max)
{
	if (s == NULL)
		return WK_ERR_INVAL;
	if (strnlen(s, max + 1) > max)
		return WK_ERR_TOOBIG;
	return 0;
}

int
wk_store_check_opt(const char *s, size_t max)
{
	if (s == NULL)
		return 0;
	return wk_store_check_str(s, max);
}

int
wk_store_version_parse(const char *version_id, int64_t *num)
{
	uint64_t v;

	*num = 0;
	if (version_id == NULL || version_id[0] != 'v' ||
	    version_id[1] < '1' || version_id[1] > '9' ||
	    strnlen(version_id, 8) > 7)
		return WK_ERR_INVAL;
	if (wk_cstr_to_u64(version_id + 1, 999999, &v) != 0)
		return WK_ERR_INVAL;
	*num = (int64_t)v;
	return 0;
}

int
wk_store_version_format(int64_t num, char out[static 8])
{
	int n;

	if (num < 1 || num > 999999)
		return WK_ERR_INVAL;
	n = snprintf(out, 8, "v%lld", (long long)num);
	if (n < 0 || n >= 8)
		return WK_ERR_INTERNAL;
	return 0;
}

size_t
wk_store_max_items(size_t max_items)
{
	if (max_items == 0)
		return WK_STORE_LIST_DEFAULT;
	if (max_items > WK_STORE_LIST_MAX)
		return WK_STORE_LIST_MAX;
	return max_items;
}
