/*
 * authz.h - authorization of API calls: the standard request context and a
 * cache of each user's parsed policies, invalidated whenever the store's
 * policy generation moves. wk_api_authorize (api.h) is built on these.
 */
#ifndef WK_SERVER_AUTHZ_H
#define WK_SERVER_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
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

/* The facts the standard context keys are built from. */
struct wk_authz_principal {
	const struct wk_user *user;
	const char *account_id;
	const char *region;		/* aws:RequestedRegion */
	const char *source_ip;
	bool secure;
	time_t now;
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

#endif
