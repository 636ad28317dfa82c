/*
 * sigv4.h - AWS Signature Version 4, header form (Authorization header),
 * for verifying requests (wicketd) and signing them (wicket, wicket-agent).
 *
 * The request is described by spans over the raw bytes as received: the
 * path and query exactly as on the request line (still percent-encoded),
 * every header (duplicates allowed; names in any case), and the body.
 */
#ifndef WK_CRYPTO_SIGV4_H
#define WK_CRYPTO_SIGV4_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"

#define WK_SIGV4_MAX_HEADERS 64
#define WK_SIGV4_MAX_SIGNED_HEADERS 32
#define WK_SIGV4_SKEW_SECONDS (15 * 60)	/* AWS accepts +-15 minutes */

struct wk_sigv4_header {
	struct wk_span name;
	struct wk_span value;
};

struct wk_sigv4_request {
	struct wk_span method;	/* "POST" */
	struct wk_span path;	/* raw, e.g. "/" or "/a%20b" */
	struct wk_span query;	/* raw, without '?'; may be empty */
	const struct wk_sigv4_header *headers;
	size_t nheaders;
	struct wk_span body;
};

/* The parsed Authorization header. Spans point into the header value. */
struct wk_sigv4_auth {
	struct wk_span access_key_id;
	struct wk_span date;	/* YYYYMMDD from the credential scope */
	struct wk_span region;
	struct wk_span service;
	struct wk_span signed_headers;	/* "host;x-amz-date" */
	uint8_t signature[32];
};

/*
 * Parses "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request,
 * SignedHeaders=host;x-amz-date, Signature=<64 hex>". WK_ERR_INVAL when
 * malformed (the API maps it to IncompleteSignature).
 */
int wk_sigv4_parse_authorization(struct wk_span value,
    struct wk_sigv4_auth *out);

/*
 * Appends the canonical request (normalize: RFC 3986 path normalisation as
 * every service but S3 does) for the signed headers listed.
 */
int wk_sigv4_canonical_request(const struct wk_sigv4_request *req,
    struct wk_span signed_headers, bool normalize, struct wk_buf *out);

/* Appends the string to sign for a canonical request. */
int wk_sigv4_string_to_sign(struct wk_span amz_date, struct wk_span scope,
    struct wk_span canonical_request, struct wk_buf *out);

/*
 * Verifies a request against the secret of auth->access_key_id.
 * Checks: X-Amz-Date (or Date) header present, signed, within
 * WK_SIGV4_SKEW_SECONDS of now, and its day equal to the scope date;
 * "host" is signed; the scope ends in aws4_request; the signature matches
 * (constant-time). Returns 0, WK_ERR_INVAL (malformed -> IncompleteSignature),
 * WK_ERR_EXPIRED (clock skew -> SignatureDoesNotMatch "Signature expired"),
 * or WK_ERR_AUTH (mismatch -> SignatureDoesNotMatch).
 * The Date header is accepted only in IMF-fixdate form. Region and service
 * are NOT checked here: the caller compares auth->region/service with its
 * own (a mismatch still fails the signature, as the scope is signed).
 * The canonical URI is always normalised (non-S3 rules).
 */
int wk_sigv4_verify(const struct wk_sigv4_request *req,
    const struct wk_sigv4_auth *auth, struct wk_span secret_access_key,
    time_t now);

/*
 * The derived signing key (kSigning: the HMAC chain over "AWS4"+secret,
 * date, region, service, "aws4_request"), and the verification with it
 * instead of the secret (the same checks and results as wk_sigv4_verify).
 * A verifier caches the key per (secret, date, region, service) as the
 * SDKs do.
 */
int wk_sigv4_signing_key(struct wk_span secret_access_key,
    struct wk_span date, struct wk_span region, struct wk_span service,
    uint8_t key[32]);
int wk_sigv4_verify_key(const struct wk_sigv4_request *req,
    const struct wk_sigv4_auth *auth, const uint8_t signing_key[32],
    time_t now);

/*
 * Of `names` (lower case, NULL-terminated), the first header present in
 * req (any case) that signed_headers does not list, or NULL when every one
 * present is signed. A header that selects behaviour (X-Amz-Target,
 * Content-Type, ...) must be signed, or a captured request can be replayed
 * with it changed: wk_sigv4_verify only covers what SignedHeaders lists.
 */
const char *wk_sigv4_first_unsigned(const struct wk_sigv4_request *req,
    struct wk_span signed_headers, const char *const *names);

/*
 * Signs a request for a client. Computes X-Amz-Date from `now`, signs the
 * headers given in req (which must include Host) plus x-amz-date and,
 * if session_token is non-NULL, x-amz-security-token. Writes the values the
 * caller must send: amz_date (17 bytes) and the Authorization header value.
 */
int wk_sigv4_sign(const struct wk_sigv4_request *req, const char *access_key_id,
    const char *secret_access_key, const char *session_token,
    const char *region, const char *service, time_t now,
    char amz_date[static 17], struct wk_buf *authorization);

#endif
