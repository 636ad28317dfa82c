/*
 * auth.h - SigV4 authentication of an API request against the store.
 *
 * wk_auth_request checks the Authorization header (header form only),
 * refuses a request whose Host, X-Amz-Date, Content-Type, X-Amz-Target or
 * X-Amz-Security-Token is sent but not signed (IncompleteSignature),
 * looks the access key up (decrypted secret, wiped after use), verifies the
 * signature and loads the key's user. On failure it fills `err` with why
 * and AWS's message; wk_auth_error_set turns that into the error a client
 * of the request's protocol sees.
 */
#ifndef WK_SERVER_AUTH_H
#define WK_SERVER_AUTH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "server/api/api.h"
#include "server/auth/authz.h"
#include "server/auth/throttle.h"
#include "server/http/http.h"
#include "store/store.h"

/* Pre-authentication ceilings. */
#define WK_AUTH_MAX_AUTHORIZATION 4096	/* bytes of the Authorization value */
#define WK_AUTH_MAX_ACCESS_KEY_ID 128

struct wk_auth_info {
	char service[32];	/* credential scope service, "iam" */
	char region[32];	/* credential scope region */
};

/* Why a request was refused before any action ran. */
enum wk_auth_failure {
	WK_AUTH_MISSING = 1,	/* no Authorization header */
	WK_AUTH_INCOMPLETE,	/* malformed, or a must-sign header unsigned */
	WK_AUTH_UNKNOWN_KEY,	/* unknown or inactive key, or its user gone */
	WK_AUTH_BAD_SIGNATURE,	/* the signature does not verify */
	WK_AUTH_EXPIRED,	/* X-Amz-Date more than 15 min. off */
	WK_AUTH_BAD_SCOPE,	/* credential scope: another region/service */
	WK_AUTH_INTERNAL,	/* the store failed */
};

struct wk_auth_error {
	enum wk_auth_failure kind;
	/* AWS's text for IAM, STS and the JSON services; EC2's own texts
	 * for its own codes are wk_auth_error_set's. */
	char message[512];
};

/*
 * The one place where an authentication refusal becomes the error a client
 * of `proto` sees, as AWS's services send it (docs/aws-errors.md):
 *
 *   kind           IAM, STS (Query)                 EC2 (Query)
 *   MISSING        403 MissingAuthenticationToken   401 MissingAuthenticationToken
 *   INCOMPLETE     400 IncompleteSignature          400 IncompleteSignature
 *   UNKNOWN_KEY    403 InvalidClientTokenId         401 AuthFailure
 *   BAD_SIGNATURE  403 SignatureDoesNotMatch        403 SignatureDoesNotMatch
 *   EXPIRED        403 SignatureDoesNotMatch        400 RequestExpired
 *   BAD_SCOPE      403 SignatureDoesNotMatch        403 SignatureDoesNotMatch
 *   INTERNAL       500 InternalFailure              500 InternalError
 *
 *   kind           JSON 1.1 (EC2 Instance Connect, WicketService)
 *   MISSING        400 MissingAuthenticationTokenException
 *   INCOMPLETE     400 IncompleteSignatureException
 *   UNKNOWN_KEY    400 UnrecognizedClientException
 *   BAD_SIGNATURE, EXPIRED, BAD_SCOPE
 *                  400 InvalidSignatureException
 *   INTERNAL       500 InternalFailure
 *
 * Sets resp's status, code and message; returns WK_ERR_AUTH, or
 * WK_ERR_STORE for INTERNAL.
 */
int wk_auth_error_set(struct wk_api_resp *resp, enum wk_protocol proto,
    const struct wk_auth_error *err);

/*
 * Authenticates req at wall time `now`. Returns 0 and fills caller and
 * info, or a negative WK_ERR_* with err filled (WK_ERR_AUTH for every
 * refusal, WK_ERR_STORE/NOMEM for internal failures, status 500).
 * A well-formed request arms the identity read cache
 * (wk_readcache_begin, authz.h) before it reads the key: the caller ends
 * it (wk_readcache_end) once the request's handler has returned.
 */
int wk_auth_request(struct wk_store *st, const struct wk_http_request *req,
    time_t now, struct wk_caller *caller, struct wk_auth_info *info,
    struct wk_auth_error *err);

/* The region IAM's and STS's global endpoints sign for. */
#define WK_AUTH_GLOBAL_REGION "us-east-1"

/*
 * Checks the credential scope of an authenticated request (info) against
 * what the endpoint serves: `region` (wicketd's) and `services`, the
 * signing names of the action asked for (NULL-terminated, the first named
 * in the message; empty: only the region is checked). IAM and STS also take WK_AUTH_GLOBAL_REGION. Returns 0,
 * or WK_ERR_AUTH with err filled (WK_AUTH_BAD_SCOPE) with AWS's text,
 * trailing space included: "Credential should be scoped to correct
 * service: 'iam'. " or "... to a valid region, not 'xx-nowhere-9'. ".
 */
int wk_auth_check_scope(const struct wk_auth_info *info, const char *region,
    const char *const *services, struct wk_auth_error *err);

/*
 * Best effort: the service named in the request's credential scope, for
 * choosing the error shape before (or without) authentication. Writes ""
 * when there is none.
 */
void wk_auth_peek_service(const struct wk_http_request *req, char *out,
    size_t outsz);

/*
 * authz_instance.c: decisions on an instance (docs/sessions.md).
 * wk_authz_instance_arn writes "arn:aws:ec2:REGION:ACCOUNT:instance/ID",
 * the resource of every action on an instance (WK_ERR_TOOBIG when it does
 * not fit). wk_api_authorize_instance is wk_api_authorize on that ARN
 * (the instance's tags in the context as for a push).
 */
int wk_authz_instance_arn(const struct wk_server *srv, const char *id,
    char *out, size_t outsz);
int wk_api_authorize_instance(const struct wk_api_req *req,
    struct wk_api_resp *resp, const char *action, const char *instance_id);
/* The decision alone (wk_api_decide on the instance's ARN). */
int wk_instance_decide(const struct wk_api_req *req, const char *action,
    const char *instance_id, struct wk_decision_detail *d);

/*
 * The scope of a list action (wicket:ListSessions,
 * wicket:ListSessionRecordings): which entries the caller may see, each
 * by its instance. With instance_id (the request's filter) the action is
 * authorized on that instance: denied, resp gets AccessDenied and
 * WK_ERR_DENIED is returned. Without, it is refused the same way (on "*")
 * only when no Allow statement of the caller's policies names the action;
 * otherwise wk_instance_scope_allows decides each instance on its ARN (an
 * explicit Deny on an instance, or a condition its tags fail, hides its
 * entries). Decisions are remembered for the scope's life, which must not
 * outlast req. Errors (NOMEM, STORE) are to fail the request.
 */
struct wk_instance_scope;
int wk_instance_scope_new(const struct wk_api_req *req,
    struct wk_api_resp *resp, const char *action, const char *instance_id,
    struct wk_instance_scope **out);
int wk_instance_scope_allows(struct wk_instance_scope *s,
    const char *instance_id, bool *ok);
void wk_instance_scope_free(struct wk_instance_scope *s);	/* NULL-safe */

/*
 * sigkey_cache.c: the derived signing key for (access key id, secret,
 * date, region, service), from a small cache (keyed by a hash of the
 * secret, compared in constant time; entries wiped when replaced) or
 * derived and remembered. Too long parts are derived, not cached.
 */
int wk_sigkey_get(struct wk_span akid, struct wk_span secret,
    struct wk_span date, struct wk_span region, struct wk_span service,
    uint8_t key[32]);
struct wk_sigkey_stats {
	uint64_t hits, misses, uncached;
};
void wk_sigkey_cache_stats(struct wk_sigkey_stats *out);
void wk_sigkey_cache_reset(void);	/* wipes every entry (tests) */

/*
 * last_used.c: access keys' last use in memory, written in batches (one
 * transaction every WK_LAST_USED_FLUSH_MS and at stop), never one write
 * per request. wk_last_used_get reads the value not yet written.
 */
#define WK_LAST_USED_FLUSH_MS 10000
#define WK_LAST_USED_MAX 65536	/* keys held; past that a note writes */
struct wk_server;
void wk_last_used_note(const char *id, time_t when, const char *service,
    const char *region);
bool wk_last_used_get(const char *id, time_t *when, char *service,
    size_t servicesz, char *region, size_t regionsz);
int wk_last_used_flush(struct wk_store *st);	/* writes what is held */
int wk_last_used_start(struct wk_server *srv);	/* the flush timer */
void wk_last_used_stop(void);	/* cancels it and writes the rest */
struct wk_last_used_stats {
	uint64_t batches;	/* store transactions written */
	uint64_t rows;		/* keys written */
	uint64_t dropped;	/* notes dropped (table full, no store) */
	size_t pending;		/* keys held, not yet written */
};
void wk_last_used_stats(struct wk_last_used_stats *out);
void wk_last_used_reset(void);	/* forgets what is held (tests) */

#endif
