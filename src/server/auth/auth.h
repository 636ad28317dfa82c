/*
 * auth.h - SigV4 authentication of an API request against the store.
 *
 * wk_auth_request checks the Authorization header (header form only),
 * refuses a request whose Host, X-Amz-Date, Content-Type, X-Amz-Target or
 * X-Amz-Security-Token is sent but not signed (IncompleteSignature),
 * looks the access key up (decrypted secret, wiped after use), verifies the
 * signature and loads the key's user. On failure it fills `err` with the
 * status, the AWS error code for the Query protocols and for JSON 1.1, and
 * AWS's message; the caller writes it in the protocol's shape.
 */
#ifndef WK_SERVER_AUTH_H
#define WK_SERVER_AUTH_H

#include <time.h>

#include "server/api/api.h"
#include "server/auth/authz.h"
#include "server/http/http.h"
#include "store/store.h"

/* Pre-authentication ceilings. */
#define WK_AUTH_MAX_AUTHORIZATION 4096	/* bytes of the Authorization value */
#define WK_AUTH_MAX_ACCESS_KEY_ID 128

struct wk_auth_info {
	char service[32];	/* credential scope service, "iam" */
	char region[32];	/* credential scope region */
};

struct wk_auth_error {
	unsigned status;		/* 400, 403 or 500 */
	const char *code;		/* Query: "SignatureDoesNotMatch" */
	const char *json_code;		/* JSON: "InvalidSignatureException" */
	char message[512];
};

/*
 * Authenticates req at wall time `now`. Returns 0 and fills caller and
 * info, or a negative WK_ERR_* with err filled (WK_ERR_AUTH for every
 * refusal, WK_ERR_STORE/NOMEM for internal failures, status 500).
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
 * or WK_ERR_AUTH with err filled with AWS's SignatureDoesNotMatch /
 * InvalidSignatureException: "Credential should be scoped to correct
 * service: 'iam'." or "... to a valid region, not 'xx-nowhere-9'.".
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

#endif
