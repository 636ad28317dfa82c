/*
 * authz.h - authorization of API calls: the standard request context and a
 * cache of each user's parsed policies, invalidated whenever the store's
 * policy generation moves. wk_api_authorize (api.h) is built on these.
 */
#ifndef WK_SERVER_AUTHZ_H
#define WK_SERVER_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "iam/policy.h"
#include "store/store.h"

struct wk_authz_cache;

#define WK_AUTHZ_CACHE_MAX_USERS 4096	/* flushed when full */

int wk_authz_cache_new(struct wk_authz_cache **out);
void wk_authz_cache_free(struct wk_authz_cache *c);	/* NULL-safe */

/*
 * The parsed effective policies of a user, from the cache or the store.
 * *refs stays valid until the next call on the cache. A stored policy that
 * no longer parses fails the call (WK_ERR_INVAL): fail closed.
 */
int wk_authz_policies(struct wk_authz_cache *c, struct wk_store *st,
    const char *user_name, const struct wk_policy_ref **refs, size_t *n);

/* Counters for tests and metrics. */
struct wk_authz_stats {
	unsigned long hits;
	unsigned long loads;
	unsigned long flushes;
};
void wk_authz_cache_stats(const struct wk_authz_cache *c,
    struct wk_authz_stats *out);

/*
 * read_cache.c: the reads that authenticate and authorize an API request
 * (access key, user, user tags, instance and its tags), kept per process
 * and
 * dropped whenever the store's authorization generation (store.h) moves.
 * wk_readcache_begin reads the generation once per request (wk_auth_request
 * calls it before the key read, before any read it caches) and arms the
 * cache on the calling thread until wk_readcache_end (the dispatcher's,
 * once the handler returned); the getters below answer from the cache only
 * while armed and read the store otherwise, so a path that never arms
 * reads fresh. A failed begin leaves it unarmed. Only successful reads
 * are kept. A cached access key has no last-used fields. Within one armed
 * request a write made by that request is not seen by its later cached
 * reads: arm only around authentication and the authorization that
 * precedes a handler's writes. Event-loop thread (other threads are
 * always served from the store).
 */
/* Emptied when full; an entry is at most ~3 KiB (a user), so <= ~24 MiB.
 * Three entries per active user (key, user, tags), two per instance. */
#define WK_READCACHE_MAX_ENTRIES 8192
int wk_readcache_begin(struct wk_store *st);
void wk_readcache_end(void);
/* The armed request's generation (false: not armed for st). */
bool wk_readcache_generation(struct wk_store *st, uint64_t *gen);
int wk_readcache_key_get(struct wk_store *st, const char *id,
    struct wk_access_key *out);
int wk_readcache_user_get(struct wk_store *st, const char *name,
    struct wk_user *out);
/* A copy (wk_instance_cleanup); last_seen is 0 when it came from the
 * cache. */
int wk_readcache_instance_get(struct wk_store *st, const char *id,
    struct wk_instance *out);
/* Copies, released with wk_store_free, as the store's lists. */
int wk_readcache_user_tags(struct wk_store *st, const char *name,
    struct wk_tag **out, size_t *n);
int wk_readcache_instance_tags(struct wk_store *st, const char *id,
    struct wk_tag **out, size_t *n);
struct wk_readcache_stats {
	unsigned long hits;
	unsigned long misses;
	unsigned long flushes;
};
void wk_readcache_stats(struct wk_readcache_stats *out);
void wk_readcache_reset(void);	/* empties and disarms (tests) */

/* The facts the standard context keys are built from. */
struct wk_authz_principal {
	const struct wk_user *user;
	const char *account_id;
	const char *region;		/* aws:RequestedRegion */
	const char *source_ip;
	bool secure;
	time_t now;
	/*
	 * Only the principal's own keys (aws:username, aws:userid,
	 * aws:PrincipalArn/Account/Type/Tag, aws:RequestedRegion): the
	 * simulators, whose request time, address and transport are the
	 * caller's ContextEntries, not the simulating request's.
	 */
	bool principal_only;
};

/*
 * Builds the standard context (aws:CurrentTime, aws:EpochTime,
 * aws:SecureTransport, aws:SourceIp, aws:username, aws:userid,
 * aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
 * aws:RequestedRegion, aws:PrincipalTag/K) merged with extra (may be NULL).
 */
int wk_authz_context(struct wk_store *st, const struct wk_authz_principal *p,
    const struct wk_ctx *extra, const char *const *extra_keys,
    size_t nextra_keys, struct wk_ctx **out);

/*
 * The one builder of a request's context, used by every real call
 * (wk_api_authorize) and by the simulators, so that both decide alike.
 * From the action's row of the condition-key table (iam/policy.h):
 *  - the principal's keys (wk_authz_context above), when principal is set;
 *  - the request's keys read from its Query parameters: aws:RequestTag/K
 *    and aws:TagKeys (Tags.member.N.Key/Value for IAM, Tag.N.Key/Value
 *    for EC2, TagKeys.member.N for iam:UntagUser), iam:PolicyARN
 *    (PolicyArn);
 *  - the target resource's keys, when `resource` names a user or instance
 *    of this account that exists: its tags as aws:ResourceTag/K and
 *    iam:ResourceTag/K (users) or ec2:ResourceTag/K (instances), and
 *    ec2:InstanceID; ec2:Region for EC2 actions; for ec2:DeleteTags
 *    naming no tag (it deletes them all), the instance's tag keys as
 *    aws:TagKeys;
 *  - extra: keys the handler knows (ec2:osuser, wicket:SingleUse);
 *  - override (the simulators' ContextEntries): each key given there
 *    replaces the built key of the same name.
 * Only keys the row lists are taken from parameters and resources.
 */
struct wk_params;
struct wk_authz_input {
	const char *action;
	const char *resource;		/* ARN, or "*" */
	const struct wk_authz_principal *principal;	/* NULL: none */
	const char *account_id;
	const char *region;
	const struct wk_params *params;	/* NULL: none */
	const struct wk_ctx *extra;	/* NULL: none */
	const struct wk_ctx *override;	/* NULL: none */
};
int wk_authz_request_context(struct wk_store *st,
    const struct wk_authz_input *in, struct wk_ctx **out);

#endif
