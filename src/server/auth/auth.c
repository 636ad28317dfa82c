/*
 * auth.c - SigV4 authentication of API requests (header form), with AWS's
 * error codes per protocol. The secret is decrypted by the store for the
 * verification only and wiped at once.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "crypto/sigv4.h"
#include "server/auth/auth.h"

static const char msg_missing[] = "Request is missing Authentication Token";
static const char msg_incomplete[] = "Authorization header requires "
    "'Credential', 'Signature' and 'SignedHeaders' parameters in the "
    "proper format.";
static const char msg_bad_key[] = "The security token included in the "
    "request is invalid.";
static const char msg_mismatch[] = "The request signature we calculated "
    "does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for "
    "details.";

static const char msg_no_date[] = "Authorization header requires existence "
    "of either a 'X-Amz-Date' or a 'Date' header.";

/*
 * Headers that decide what a request does or when it was made. Each one
 * sent must be listed in SignedHeaders (Host always): verification covers
 * only what is listed, so an unsigned X-Amz-Target or Content-Type could
 * be changed on a captured request and replayed as another action. The
 * aws CLI and the SDKs sign all of them. AWS's wording for Host, applied
 * to the others alike.
 */
static const char *const must_sign[] = {
	"host", "x-amz-date", "content-type", "x-amz-target",
	"x-amz-security-token", NULL,
};
static const char *const must_sign_display[] = {
	"Host", "X-Amz-Date", "Content-Type", "X-Amz-Target",
	"X-Amz-Security-Token",
};

static int
fail(struct wk_auth_error *err, enum wk_auth_failure kind, const char *msg)
{
	err->kind = kind;
	snprintf(err->message, sizeof(err->message), "%s", msg);
	return kind == WK_AUTH_INTERNAL ? WK_ERR_STORE : WK_ERR_AUTH;
}

static int
internal(struct wk_auth_error *err, int r)
{
	fail(err, WK_AUTH_INTERNAL, "The request processing has failed "
	    "because of an unknown error, exception or failure.");
	return r == WK_ERR_NOMEM ? r : WK_ERR_STORE;
}

/* ---- the per-protocol mapping (auth.h's table) ---- */

struct auth_answer {
	unsigned status;
	const char *code;
	const char *message;	/* NULL: the error's own */
};

static struct auth_answer
answer_query(enum wk_auth_failure kind)
{
	switch (kind) {
	case WK_AUTH_MISSING:
		return (struct auth_answer){ 403,
		    "MissingAuthenticationToken", NULL };
	case WK_AUTH_INCOMPLETE:
		return (struct auth_answer){ 400, "IncompleteSignature", NULL };
	case WK_AUTH_UNKNOWN_KEY:
		return (struct auth_answer){ 403, "InvalidClientTokenId", NULL };
	case WK_AUTH_BAD_SIGNATURE:
	case WK_AUTH_EXPIRED:
	case WK_AUTH_BAD_SCOPE:
		return (struct auth_answer){ 403, "SignatureDoesNotMatch",
		    NULL };
	default:
		return (struct auth_answer){ 500, "InternalFailure", NULL };
	}
}

/* EC2's own codes and texts for its credentials and clock. */
static struct auth_answer
answer_ec2(enum wk_auth_failure kind)
{
	switch (kind) {
	case WK_AUTH_MISSING:
		return (struct auth_answer){ 401,
		    "MissingAuthenticationToken", "The request must contain "
		    "either a valid (registered) AWS access key ID or X.509 "
		    "certificate." };
	case WK_AUTH_UNKNOWN_KEY:
		return (struct auth_answer){ 401, "AuthFailure", "AWS was not "
		    "able to validate the provided access credentials" };
	case WK_AUTH_EXPIRED:
		return (struct auth_answer){ 400, "RequestExpired",
		    "Request has expired." };
	case WK_AUTH_INTERNAL:
		return (struct auth_answer){ 500, "InternalError",
		    "An internal error has occurred." };
	default:
		return answer_query(kind);
	}
}

/* AWS's JSON services: every client-side refusal is a 400. */
static struct auth_answer
answer_json(enum wk_auth_failure kind)
{
	switch (kind) {
	case WK_AUTH_MISSING:
		return (struct auth_answer){ 400,
		    "MissingAuthenticationTokenException", NULL };
	case WK_AUTH_INCOMPLETE:
		return (struct auth_answer){ 400,
		    "IncompleteSignatureException", NULL };
	case WK_AUTH_UNKNOWN_KEY:
		return (struct auth_answer){ 400,
		    "UnrecognizedClientException", NULL };
	case WK_AUTH_BAD_SIGNATURE:
	case WK_AUTH_EXPIRED:
	case WK_AUTH_BAD_SCOPE:
		return (struct auth_answer){ 400, "InvalidSignatureException",
		    NULL };
	default:
		return (struct auth_answer){ 500, "InternalFailure", NULL };
	}
}

int
wk_auth_error_set(struct wk_api_resp *resp, enum wk_protocol proto,
    const struct wk_auth_error *err)
{
	struct auth_answer a;

	switch (proto) {
	case WK_PROTO_QUERY_EC2:
		a = answer_ec2(err->kind);
		break;
	case WK_PROTO_JSON:
		a = answer_json(err->kind);
		break;
	default:
		a = answer_query(err->kind);
		break;
	}
	wk_api_error(resp, a.status, a.code, "%s", a.message != NULL ?
	    a.message : err->message);
	return err->kind == WK_AUTH_INTERNAL ? WK_ERR_STORE : WK_ERR_AUTH;
}

/* The one Authorization header; NOTFOUND when absent, INVAL if repeated. */
static int
authorization_header(const struct wk_http_request *req, struct wk_span *out)
{
	size_t found = 0;

	*out = WK_SPAN_NULL;
	for (size_t i = 0; i < req->nheaders; i++) {
		if (wk_span_case_eq_cstr(req->headers[i].name,
		    "Authorization")) {
			*out = wk_span_trim(req->headers[i].value);
			found++;
		}
	}
	if (found > 1)
		return WK_ERR_INVAL;
	return found == 1 ? 0 : WK_ERR_NOTFOUND;
}

static void
span_copy(struct wk_span s, char *out, size_t outsz)
{
	size_t n = s.len < outsz - 1 ? s.len : outsz - 1;

	if (n > 0)
		memcpy(out, s.p, n);
	out[n] = '\0';
}

void
wk_auth_peek_service(const struct wk_http_request *req, char *out,
    size_t outsz)
{
	struct wk_sigv4_auth a;
	struct wk_span v;

	out[0] = '\0';
	if (authorization_header(req, &v) != 0 ||
	    v.len > WK_AUTH_MAX_AUTHORIZATION ||
	    wk_sigv4_parse_authorization(v, &a) != 0)
		return;
	if (a.service.len < outsz)
		span_copy(a.service, out, outsz);
}

static bool
signed_has(struct wk_span sh, const char *name)
{
	struct wk_span item, rest = sh;
	bool more;

	do {
		more = wk_span_split(rest, ';', &item, &rest);
		if (wk_span_eq_cstr(item, name))
			return true;
	} while (more);
	return false;
}

/* AWS's refusal when a header in must_sign was sent but not signed. */
static int
check_signed_headers(const struct wk_http_request *req,
    const struct wk_sigv4_request *sreq, const struct wk_sigv4_auth *a,
    struct wk_auth_error *err)
{
	const char *missing = NULL;

	if (!signed_has(a->signed_headers, "host"))
		missing = "host";
	else
		missing = wk_sigv4_first_unsigned(sreq, a->signed_headers,
		    must_sign);
	if (missing != NULL) {
		for (size_t i = 0; must_sign[i] != NULL; i++) {
			if (strcmp(must_sign[i], missing) != 0)
				continue;
			fail(err, WK_AUTH_INCOMPLETE, "");
			snprintf(err->message, sizeof(err->message), "'%s' "
			    "must be a 'SignedHeader' in the AWS "
			    "Authorization.", must_sign_display[i]);
			break;
		}
		wk_log_auth(WK_LOG_INFO, "auth", "outcome=unsigned_header "
		    "header=%s source_ip=%s", missing,
		    req->source_ip != NULL ? req->source_ip : "-");
		return WK_ERR_AUTH;
	}
	if (wk_http_header(req, "X-Amz-Date").p == NULL &&
	    wk_http_header(req, "Date").p == NULL)
		return fail(err, WK_AUTH_INCOMPLETE, msg_no_date);
	return 0;
}

int
wk_auth_check_scope(const struct wk_auth_info *info, const char *region,
    const char *const *services, struct wk_auth_error *err)
{
	bool global = false, ok = false;

	memset(err, 0, sizeof(*err));
	for (size_t i = 0; services[i] != NULL; i++) {
		if (strcmp(info->service, services[i]) == 0)
			ok = true;
		if (strcmp(services[i], "iam") == 0 ||
		    strcmp(services[i], "sts") == 0)
			global = true;
	}
	if (!ok && services[0] != NULL) {
		fail(err, WK_AUTH_BAD_SCOPE, "");
		snprintf(err->message, sizeof(err->message), "Credential "
		    "should be scoped to correct service: '%s'. ", services[0]);
		return WK_ERR_AUTH;
	}
	/*
	 * The aws CLI and the SDKs sign for the region they are configured
	 * with when given an endpoint URL, for IAM and STS too. IAM's and
	 * STS's global endpoints sign for us-east-1 whatever that region is,
	 * so a client resolving them the AWS way is accepted as well.
	 */
	if (strcmp(info->region, region) != 0 && !(global &&
	    strcmp(info->region, WK_AUTH_GLOBAL_REGION) == 0)) {
		fail(err, WK_AUTH_BAD_SCOPE, "");
		snprintf(err->message, sizeof(err->message), "Credential "
		    "should be scoped to a valid region, not '%s'. ",
		    info->region);
		return WK_ERR_AUTH;
	}
	return 0;
}

/* AWS's clock-skew message for the request's date. */
static void
expired_message(const struct wk_http_request *req, time_t now,
    struct wk_auth_error *err)
{
	char sent[17] = "", nowbuf[17], bound[17];
	struct wk_span dv = wk_http_header(req, "X-Amz-Date");
	time_t t = 0;

	if (dv.p != NULL && dv.len == 16)
		span_copy(dv, sent, sizeof(sent));
	if (sent[0] != '\0' && wk_time_parse(wk_span_from_cstr(sent), &t) != 0)
		t = 0;
	wk_time_amzdate(now, nowbuf);
	if (t > now) {
		wk_time_amzdate(now + WK_SIGV4_SKEW_SECONDS, bound);
		snprintf(err->message, sizeof(err->message), "Signature not "
		    "yet current: %s is still later than %s (%s + 15 min.)",
		    sent, bound, nowbuf);
	} else {
		wk_time_amzdate(now - WK_SIGV4_SKEW_SECONDS, bound);
		snprintf(err->message, sizeof(err->message), "Signature "
		    "expired: %s is now earlier than %s (%s - 15 min.)", sent,
		    bound, nowbuf);
	}
}

int
wk_auth_request(struct wk_store *st, const struct wk_http_request *req,
    time_t now, struct wk_caller *caller, struct wk_auth_info *info,
    struct wk_auth_error *err)
{
	struct wk_sigv4_request sreq;
	struct wk_sigv4_auth a;
	struct wk_access_key key;
	struct wk_span v;
	char akid[WK_AUTH_MAX_ACCESS_KEY_ID + 1];
	uint8_t signing_key[32];
	int r;

	memset(caller, 0, sizeof(*caller));
	memset(info, 0, sizeof(*info));
	memset(err, 0, sizeof(*err));
	memset(&key, 0, sizeof(key));

	if ((r = authorization_header(req, &v)) == WK_ERR_NOTFOUND)
		return fail(err, WK_AUTH_MISSING, msg_missing);
	if (r != 0 || v.len > WK_AUTH_MAX_AUTHORIZATION ||
	    req->nheaders > WK_SIGV4_MAX_HEADERS ||
	    wk_sigv4_parse_authorization(v, &a) != 0)
		return fail(err, WK_AUTH_INCOMPLETE, msg_incomplete);
	if (a.service.len >= sizeof(info->service) ||
	    a.region.len >= sizeof(info->region))
		return fail(err, WK_AUTH_INCOMPLETE, msg_incomplete);
	span_copy(a.service, info->service, sizeof(info->service));
	span_copy(a.region, info->region, sizeof(info->region));
	if (a.access_key_id.len == 0 ||
	    a.access_key_id.len > WK_AUTH_MAX_ACCESS_KEY_ID)
		return fail(err, WK_AUTH_UNKNOWN_KEY, msg_bad_key);
	span_copy(a.access_key_id, akid, sizeof(akid));

	memset(&sreq, 0, sizeof(sreq));
	sreq.method = wk_span_from_cstr(req->method);
	sreq.path = req->path;
	sreq.query = req->query;
	sreq.headers = req->headers;
	sreq.nheaders = req->nheaders;
	sreq.body = req->body;
	if ((r = check_signed_headers(req, &sreq, &a, err)) != 0)
		return r;

	/*
	 * The request's one read of the store's authorization generation,
	 * only now that the request is well formed; from here until the
	 * dispatcher ends it, identity reads come from the cache (authz.h).
	 * A failure leaves it unarmed: the reads then go to the store.
	 */
	(void)wk_readcache_begin(st);
	r = wk_readcache_key_get(st, akid, &key);
	if (r == WK_ERR_NOTFOUND || (r == 0 && !key.active)) {
		wk_log_auth(WK_LOG_INFO, "auth", "outcome=unknown_key "
		    "access_key_id=%s source_ip=%s", akid,
		    req->source_ip != NULL ? req->source_ip : "-");
		r = fail(err, WK_AUTH_UNKNOWN_KEY, msg_bad_key);
		goto out;
	}
	if (r != 0) {
		r = internal(err, r);
		goto out;
	}

	r = wk_sigkey_get(wk_span_from_cstr(akid), wk_span_from_cstr(key.secret),
	    a.date, a.region, a.service, signing_key);
	wk_explicit_bzero(key.secret, sizeof(key.secret));
	if (r == 0)
		r = wk_sigv4_verify_key(&sreq, &a, signing_key, now);
	wk_explicit_bzero(signing_key, sizeof(signing_key));
	switch (r) {
	case 0:
		break;
	case WK_ERR_EXPIRED:
		fail(err, WK_AUTH_EXPIRED, "");
		expired_message(req, now, err);
		r = WK_ERR_AUTH;
		goto out;
	case WK_ERR_AUTH:
		wk_log_auth(WK_LOG_INFO, "auth", "outcome=bad_signature "
		    "access_key_id=%s source_ip=%s", akid,
		    req->source_ip != NULL ? req->source_ip : "-");
		r = fail(err, WK_AUTH_BAD_SIGNATURE, msg_mismatch);
		goto out;
	case WK_ERR_NOMEM:
		r = internal(err, r);
		goto out;
	default:
		r = fail(err, WK_AUTH_INCOMPLETE, msg_incomplete);
		goto out;
	}

	r = wk_readcache_user_get(st, key.user_name, &caller->user);
	if (r == WK_ERR_NOTFOUND) {
		r = fail(err, WK_AUTH_UNKNOWN_KEY, msg_bad_key);
		goto out;
	}
	if (r != 0) {
		r = internal(err, r);
		goto out;
	}
	snprintf(caller->access_key_id, sizeof(caller->access_key_id), "%s",
	    key.id);
	wk_last_used_note(key.id, now, info->service, info->region);
	r = 0;
 out:
	if (r != 0)
		memset(&caller->user, 0, sizeof(caller->user));
	wk_explicit_bzero(&key, sizeof(key));
	return r;
}
