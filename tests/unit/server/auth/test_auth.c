/*
 * test_auth.c - SigV4 authentication against a real store: requests are
 * signed with wk_sigv4_sign and checked by wk_auth_request, then broken in
 * every way a client or an attacker could.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "crypto/sigv4.h"
#include "server/auth/auth.h"
#include "store/store.h"

#define AKID "AKIAAUTHTESTAUTHTST1"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define AKID2 "AKIAAUTHTESTAUTHTST2"
#define NOW ((time_t)1700000000)

struct fx {
	char dir[64];
	char db[128];
	struct wk_store *st;
};

/* A signed request: headers, the Authorization value and the date. */
struct signed_req {
	struct wk_sigv4_header h[10];
	size_t nh;
	struct wk_buf authz;
	char amz_date[17];
	struct wk_http_request req;
	const char *body;
};

static int
setup(void **state)
{
	uint8_t key[WK_MASTER_KEY_LEN];
	struct wk_user u;
	struct wk_access_key k;
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk-authtest-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/wicket.db", f->dir);
	memset(key, 3, sizeof(key));
	assert_int_equal(wk_store_open(f->db, key, &f->st), 0);
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "alice");
	snprintf(u.path, sizeof(u.path), "/");
	snprintf(u.id, sizeof(u.id), "AIDAALICEALICEALICE12");
	snprintf(u.arn, sizeof(u.arn), "arn:aws:iam::123456789012:user/alice");
	u.create_date = NOW;
	assert_int_equal(wk_store_user_create(f->st, &u), 0);
	memset(&k, 0, sizeof(k));
	snprintf(k.id, sizeof(k.id), AKID);
	snprintf(k.user_name, sizeof(k.user_name), "alice");
	snprintf(k.secret, sizeof(k.secret), SECRET);
	k.active = true;
	k.create_date = NOW;
	assert_int_equal(wk_store_key_create(f->st, &k), 0);
	snprintf(k.id, sizeof(k.id), AKID2);
	k.active = false;
	assert_int_equal(wk_store_key_create(f->st, &k), 0);
	wk_last_used_reset();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	wk_store_close(f->st);
	unlink(f->db);
	snprintf(p, sizeof(p), "%s-wal", f->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->db);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/*
 * Signs Host, Content-Type and X-Amz-Target (the first `nsigned` of them)
 * for service/region.
 */
static void
sign_ex(struct signed_req *s, const char *akid, const char *secret,
    const char *service, const char *region, time_t when, const char *body,
    size_t nsigned)
{
	struct wk_sigv4_request sr;

	memset(s, 0, sizeof(*s));
	s->body = body;
	s->h[0].name = WK_SPAN_LIT("Host");
	s->h[0].value = WK_SPAN_LIT("127.0.0.1:8080");
	s->h[1].name = WK_SPAN_LIT("Content-Type");
	s->h[1].value = WK_SPAN_LIT("application/x-www-form-urlencoded; "
	    "charset=utf-8");
	s->h[2].name = WK_SPAN_LIT("X-Amz-Target");
	s->h[2].value = WK_SPAN_LIT("WicketService.DescribeInstances");
	s->nh = nsigned;
	memset(&sr, 0, sizeof(sr));
	sr.method = WK_SPAN_LIT("POST");
	sr.path = WK_SPAN_LIT("/");
	sr.query = WK_SPAN_NULL;
	sr.headers = s->h;
	sr.nheaders = s->nh;
	sr.body = wk_span_from_cstr(body);
	wk_buf_init(&s->authz, 4096);
	assert_int_equal(wk_sigv4_sign(&sr, akid, secret, NULL, region,
	    service, when, s->amz_date, &s->authz), 0);
	s->h[s->nh].name = WK_SPAN_LIT("X-Amz-Date");
	s->h[s->nh++].value = wk_span_from_mem(s->amz_date, 16);
	s->h[s->nh].name = WK_SPAN_LIT("Authorization");
	s->h[s->nh++].value = wk_buf_span(&s->authz);
	s->req.method = "POST";
	s->req.path = WK_SPAN_LIT("/");
	s->req.query = WK_SPAN_NULL;
	s->req.headers = s->h;
	s->req.nheaders = s->nh;
	s->req.body = wk_span_from_cstr(body);
	s->req.source_ip = "127.0.0.1";
}

static void
sign(struct signed_req *s, const char *akid, const char *secret,
    const char *service, time_t when, const char *body)
{
	sign_ex(s, akid, secret, service, "us-east-1", when, body, 2);
}

/* Appends a header after signing (what an attacker adds on replay). */
static void
add_header(struct signed_req *s, const char *name, const char *value)
{
	s->h[s->nh].name = wk_span_from_cstr(name);
	s->h[s->nh++].value = wk_span_from_cstr(value);
	s->req.nheaders = s->nh;
}

/* The code a client of proto sees for err (wk_auth_error_set). */
static void
expect_code(const struct wk_auth_error *err, enum wk_protocol proto,
    const char *code)
{
	struct wk_api_resp resp;

	memset(&resp, 0, sizeof(resp));
	wk_auth_error_set(&resp, proto, err);
	assert_string_equal(resp.error_code, code);
}

/* Status, code and message a client of proto sees for err. */
static void
expect_answer(const struct wk_auth_error *err, enum wk_protocol proto,
    unsigned status, const char *code, const char *message)
{
	struct wk_api_resp resp;

	memset(&resp, 0, sizeof(resp));
	wk_auth_error_set(&resp, proto, err);
	assert_int_equal(resp.status, status);
	assert_string_equal(resp.error_code, code);
	assert_string_equal(resp.error_message, message);
}

static int
check(struct fx *f, struct signed_req *s, time_t now,
    struct wk_caller *caller, struct wk_auth_error *err)
{
	struct wk_auth_info info;

	return wk_auth_request(f->st, &s->req, now, caller, &info, err);
}

static void
test_valid(void **state)
{
	struct fx *f = *state;
	struct signed_req s;
	struct wk_caller caller;
	struct wk_auth_info info;
	struct wk_auth_error err;
	struct wk_access_key k;
	char svc[32];

	sign(&s, AKID, SECRET, "iam", NOW, "Action=GetUser&Version=2010-05-08");
	assert_int_equal(wk_auth_request(f->st, &s.req, NOW + 30, &caller,
	    &info, &err), 0);
	assert_string_equal(caller.user.name, "alice");
	assert_string_equal(caller.user.arn,
	    "arn:aws:iam::123456789012:user/alice");
	assert_string_equal(caller.access_key_id, AKID);
	assert_string_equal(info.service, "iam");
	assert_string_equal(info.region, "us-east-1");
	wk_auth_peek_service(&s.req, svc, sizeof(svc));
	assert_string_equal(svc, "iam");
	/* last used was recorded: in memory at once, in the store when the
	 * batch is written */
	{
		time_t when = 0;
		char sv[64], rg[64];

		assert_true(wk_last_used_get(AKID, &when, sv, sizeof(sv), rg,
		    sizeof(rg)));
		assert_int_equal(when, NOW + 30);
		assert_string_equal(sv, "iam");
		assert_string_equal(rg, "us-east-1");
	}
	assert_int_equal(wk_store_key_get(f->st, AKID, &k), 0);
	assert_int_equal(k.last_used, 0);
	assert_int_equal(wk_last_used_flush(f->st), 0);
	assert_int_equal(wk_store_key_get(f->st, AKID, &k), 0);
	assert_int_equal(k.last_used, NOW + 30);
	assert_string_equal(k.last_used_service, "iam");
	wk_explicit_bzero(&k, sizeof(k));
	wk_buf_cleanup(&s.authz);
}

static void
test_missing_and_malformed(void **state)
{
	struct fx *f = *state;
	struct signed_req s;
	struct wk_caller caller;
	struct wk_auth_error err;
	char svc[32];

	sign(&s, AKID, SECRET, "sts", NOW, "Action=GetCallerIdentity");
	/* no Authorization header */
	s.req.nheaders = s.nh - 1;
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	expect_code(&err, WK_PROTO_QUERY_IAM, "MissingAuthenticationToken");
	expect_code(&err, WK_PROTO_JSON, "MissingAuthenticationTokenException");
	assert_string_equal(caller.user.name, "");
	wk_auth_peek_service(&s.req, svc, sizeof(svc));
	assert_string_equal(svc, "");

	/* garbage */
	s.req.nheaders = s.nh;
	s.h[s.nh - 1].value = WK_SPAN_LIT("AWS4-HMAC-SHA256 Credential=x");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	expect_code(&err, WK_PROTO_QUERY_IAM, "IncompleteSignature");
	expect_code(&err, WK_PROTO_JSON, "IncompleteSignatureException");
	s.h[s.nh - 1].value = WK_SPAN_LIT("Basic dXNlcjpwYXNz");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	expect_code(&err, WK_PROTO_QUERY_IAM, "IncompleteSignature");

	/* two Authorization headers */
	s.h[s.nh - 1].value = wk_buf_span(&s.authz);
	s.h[s.nh] = s.h[s.nh - 1];
	s.req.nheaders = s.nh + 1;
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	expect_code(&err, WK_PROTO_QUERY_IAM, "IncompleteSignature");
	wk_buf_cleanup(&s.authz);

	/* an over-long Authorization value is refused before any lookup */
	{
		static char longv[WK_AUTH_MAX_AUTHORIZATION + 64];

		memset(longv, 'a', sizeof(longv) - 1);
		sign(&s, AKID, SECRET, "sts", NOW, "");
		s.h[s.nh - 1].value = wk_span_from_cstr(longv);
		assert_int_equal(check(f, &s, NOW, &caller, &err),
		    WK_ERR_AUTH);
		expect_code(&err, WK_PROTO_QUERY_IAM, "IncompleteSignature");
		wk_buf_cleanup(&s.authz);
	}
}

static void
test_bad_keys(void **state)
{
	struct fx *f = *state;
	struct signed_req s;
	struct wk_caller caller;
	struct wk_auth_error err;

	sign(&s, "AKIANOSUCHKEYNOSUCH1", SECRET, "iam", NOW, "a=1");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	expect_code(&err, WK_PROTO_QUERY_IAM, "InvalidClientTokenId");
	expect_code(&err, WK_PROTO_JSON, "UnrecognizedClientException");
	assert_string_equal(err.message,
	    "The security token included in the request is invalid.");
	wk_buf_cleanup(&s.authz);

	/* inactive key: same answer as an unknown one */
	sign(&s, AKID2, SECRET, "iam", NOW, "a=1");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	expect_code(&err, WK_PROTO_QUERY_IAM, "InvalidClientTokenId");
	wk_buf_cleanup(&s.authz);

	/* wrong secret */
	sign(&s, AKID, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ", "iam", NOW,
	    "a=1");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	expect_code(&err, WK_PROTO_QUERY_IAM, "SignatureDoesNotMatch");
	expect_code(&err, WK_PROTO_JSON, "InvalidSignatureException");
	assert_non_null(strstr(err.message, "does not match"));
	assert_string_equal(caller.user.name, "");
	wk_buf_cleanup(&s.authz);
}

static void
test_tampered(void **state)
{
	struct fx *f = *state;
	struct signed_req s;
	struct wk_caller caller;
	struct wk_auth_error err;

	sign(&s, AKID, SECRET, "iam", NOW, "Action=GetUser&UserName=bob");
	s.req.body = WK_SPAN_LIT("Action=GetUser&UserName=root");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	expect_code(&err, WK_PROTO_QUERY_IAM, "SignatureDoesNotMatch");
	s.req.body = wk_span_from_cstr(s.body);
	s.req.path = WK_SPAN_LIT("/x");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	expect_code(&err, WK_PROTO_QUERY_IAM, "SignatureDoesNotMatch");
	s.req.path = WK_SPAN_LIT("/");
	s.req.method = "PUT";
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	s.req.method = "POST";
	s.h[0].value = WK_SPAN_LIT("evil.example:8080");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	s.h[0].value = WK_SPAN_LIT("127.0.0.1:8080");
	/* and the original still verifies */
	assert_int_equal(check(f, &s, NOW, &caller, &err), 0);
	wk_buf_cleanup(&s.authz);
}

static void
test_clock_skew(void **state)
{
	struct fx *f = *state;
	struct signed_req s;
	struct wk_caller caller;
	struct wk_auth_error err;

	sign(&s, AKID, SECRET, "iam", NOW, "a=1");
	assert_int_equal(check(f, &s, NOW + 14 * 60, &caller, &err), 0);
	assert_int_equal(check(f, &s, NOW + 16 * 60, &caller, &err),
	    WK_ERR_AUTH);
	expect_code(&err, WK_PROTO_QUERY_IAM, "SignatureDoesNotMatch");
	assert_string_equal(err.message, "Signature expired: "
	    "20231114T221320Z is now earlier than 20231114T221420Z "
	    "(20231114T222920Z - 15 min.)");
	assert_int_equal(check(f, &s, NOW - 16 * 60, &caller, &err),
	    WK_ERR_AUTH);
	assert_non_null(strstr(err.message, "Signature not yet current: "
	    "20231114T221320Z is still later than"));
	wk_buf_cleanup(&s.authz);
}

static void
test_unsigned_headers(void **state)
{
	struct fx *f = *state;
	struct signed_req s;
	struct wk_caller caller;
	struct wk_auth_error err;

	/* X-Amz-Target signed: accepted */
	sign_ex(&s, AKID, SECRET, "ec2", "us-east-1", NOW, "{}", 3);
	assert_int_equal(check(f, &s, NOW, &caller, &err), 0);
	wk_buf_cleanup(&s.authz);

	/* X-Amz-Target sent but not signed: replayable as another action */
	sign_ex(&s, AKID, SECRET, "ec2", "us-east-1", NOW, "{}", 2);
	assert_int_equal(check(f, &s, NOW, &caller, &err), 0);
	add_header(&s, "X-Amz-Target", "WicketService.ListAuditEvents");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	expect_code(&err, WK_PROTO_QUERY_IAM, "IncompleteSignature");
	expect_code(&err, WK_PROTO_JSON, "IncompleteSignatureException");
	assert_string_equal(err.message, "'X-Amz-Target' must be a "
	    "'SignedHeader' in the AWS Authorization.");
	assert_string_equal(caller.user.name, "");
	wk_buf_cleanup(&s.authz);

	/* Content-Type sent but not signed (whatever its case) */
	sign_ex(&s, AKID, SECRET, "iam", "us-east-1", NOW, "Action=GetUser",
	    1);
	add_header(&s, "content-TYPE", "application/x-amz-json-1.1");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	assert_string_equal(err.message, "'Content-Type' must be a "
	    "'SignedHeader' in the AWS Authorization.");
	wk_buf_cleanup(&s.authz);

	/* a session token added after signing */
	sign(&s, AKID, SECRET, "iam", NOW, "Action=GetUser");
	add_header(&s, "X-Amz-Security-Token", "tok");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	assert_string_equal(err.message, "'X-Amz-Security-Token' must be a "
	    "'SignedHeader' in the AWS Authorization.");
	wk_buf_cleanup(&s.authz);

	/* Host and X-Amz-Date not listed: refused before any key lookup */
	sign(&s, AKID, SECRET, "iam", NOW, "Action=GetUser");
	s.h[s.nh - 1].value = WK_SPAN_LIT("AWS4-HMAC-SHA256 Credential="
	    AKID "/20231114/us-east-1/iam/aws4_request, SignedHeaders="
	    "content-type;x-amz-date, Signature=5fa00fa31553b73ebf1942676e8"
	    "6291e8372ff2a2260956d9b8aae1d763fbf31");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	expect_code(&err, WK_PROTO_QUERY_IAM, "IncompleteSignature");
	assert_string_equal(err.message, "'Host' must be a 'SignedHeader' in "
	    "the AWS Authorization.");
	s.h[s.nh - 1].value = WK_SPAN_LIT("AWS4-HMAC-SHA256 Credential="
	    AKID "/20231114/us-east-1/iam/aws4_request, SignedHeaders="
	    "content-type;host, Signature=5fa00fa31553b73ebf1942676e8"
	    "6291e8372ff2a2260956d9b8aae1d763fbf31");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	assert_string_equal(err.message, "'X-Amz-Date' must be a "
	    "'SignedHeader' in the AWS Authorization.");
	/* no date header at all */
	s.h[2].name = WK_SPAN_LIT("X-Amz-Datf");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	assert_string_equal(err.message, "Authorization header requires "
	    "existence of either a 'X-Amz-Date' or a 'Date' header.");
	wk_buf_cleanup(&s.authz);
}

static void
test_scope(void **state)
{
	static const char *const ec2ic[] = { "ec2-instance-connect", NULL };
	static const char *const iam[] = { "iam", NULL };
	static const char *const sts[] = { "sts", NULL };
	static const char *const wicket[] = { "ec2", "wicket", NULL };
	static const char *const any[] = { NULL };
	struct fx *f = *state;
	struct signed_req s;
	struct wk_caller caller;
	struct wk_auth_info info;
	struct wk_auth_error err;

	/* a request signed for s3 in xx-nowhere-9 authenticates... */
	sign_ex(&s, AKID, SECRET, "s3", "xx-nowhere-9", NOW, "{}", 3);
	assert_int_equal(wk_auth_request(f->st, &s.req, NOW, &caller, &info,
	    &err), 0);
	assert_string_equal(info.service, "s3");
	assert_string_equal(info.region, "xx-nowhere-9");
	/* ...but its scope is no endpoint's */
	assert_int_equal(wk_auth_check_scope(&info, "eu-west-1", ec2ic, &err),
	    WK_ERR_AUTH);
	expect_code(&err, WK_PROTO_QUERY_IAM, "SignatureDoesNotMatch");
	expect_code(&err, WK_PROTO_JSON, "InvalidSignatureException");
	assert_string_equal(err.message, "Credential should be scoped to "
	    "correct service: 'ec2-instance-connect'. ");
	assert_int_equal(wk_auth_check_scope(&info, "eu-west-1", any, &err),
	    WK_ERR_AUTH);
	assert_string_equal(err.message, "Credential should be scoped to a "
	    "valid region, not 'xx-nowhere-9'. ");
	wk_buf_cleanup(&s.authz);

	memset(&info, 0, sizeof(info));
	snprintf(info.service, sizeof(info.service), "ec2-instance-connect");
	snprintf(info.region, sizeof(info.region), "eu-west-1");
	assert_int_equal(wk_auth_check_scope(&info, "eu-west-1", ec2ic, &err),
	    0);
	assert_int_equal(wk_auth_check_scope(&info, "eu-west-1", iam, &err),
	    WK_ERR_AUTH);
	assert_string_equal(err.message, "Credential should be scoped to "
	    "correct service: 'iam'. ");
	/* us-east-1 is not eu-west-1 for a regional service */
	snprintf(info.region, sizeof(info.region), "us-east-1");
	assert_int_equal(wk_auth_check_scope(&info, "eu-west-1", ec2ic, &err),
	    WK_ERR_AUTH);
	assert_string_equal(err.message, "Credential should be scoped to a "
	    "valid region, not 'us-east-1'. ");
	/* IAM and STS: wicketd's region, or the global endpoints' */
	snprintf(info.service, sizeof(info.service), "iam");
	assert_int_equal(wk_auth_check_scope(&info, "eu-west-1", iam, &err),
	    0);
	snprintf(info.region, sizeof(info.region), "eu-west-1");
	assert_int_equal(wk_auth_check_scope(&info, "eu-west-1", iam, &err),
	    0);
	snprintf(info.region, sizeof(info.region), "us-west-2");
	assert_int_equal(wk_auth_check_scope(&info, "eu-west-1", iam, &err),
	    WK_ERR_AUTH);
	snprintf(info.service, sizeof(info.service), "sts");
	snprintf(info.region, sizeof(info.region), "us-east-1");
	assert_int_equal(wk_auth_check_scope(&info, "eu-west-1", sts, &err),
	    0);
	/* wicket's own operations: ec2 (what `wicket` signs) or wicket */
	snprintf(info.region, sizeof(info.region), "eu-west-1");
	snprintf(info.service, sizeof(info.service), "ec2");
	assert_int_equal(wk_auth_check_scope(&info, "eu-west-1", wicket,
	    &err), 0);
	snprintf(info.service, sizeof(info.service), "wicket");
	assert_int_equal(wk_auth_check_scope(&info, "eu-west-1", wicket,
	    &err), 0);
	snprintf(info.service, sizeof(info.service), "sts");
	assert_int_equal(wk_auth_check_scope(&info, "eu-west-1", wicket,
	    &err), WK_ERR_AUTH);
	assert_string_equal(err.message, "Credential should be scoped to "
	    "correct service: 'ec2'. ");
}

/*
 * One refusal, three answers: IAM/STS's, EC2's own codes and texts, and
 * AWS's JSON services' (400 for every client-side refusal).
 */
static void
test_protocol_mapping(void **state)
{
	static const char skew[] = "Signature expired: 20231114T221320Z is "
	    "now earlier than 20231114T221420Z (20231114T222920Z - 15 min.)";
	static const char scope[] = "Credential should be scoped to a valid "
	    "region, not 'eu-west-1'. ";
	static const char bad_key[] = "The security token included in the "
	    "request is invalid.";
	struct fx *f = *state;
	struct signed_req s;
	struct wk_caller caller;
	struct wk_auth_info info;
	struct wk_auth_error err;

	/* unknown access key */
	sign(&s, "AKIANOSUCHKEYNOSUCH1", SECRET, "ec2", NOW, "a=1");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	assert_int_equal(err.kind, WK_AUTH_UNKNOWN_KEY);
	expect_answer(&err, WK_PROTO_QUERY_IAM, 403, "InvalidClientTokenId",
	    bad_key);
	expect_answer(&err, WK_PROTO_QUERY_STS, 403, "InvalidClientTokenId",
	    bad_key);
	expect_answer(&err, WK_PROTO_QUERY_EC2, 401, "AuthFailure",
	    "AWS was not able to validate the provided access credentials");
	expect_answer(&err, WK_PROTO_JSON, 400, "UnrecognizedClientException",
	    bad_key);
	wk_buf_cleanup(&s.authz);

	/* a stale signature */
	sign(&s, AKID, SECRET, "ec2", NOW, "a=1");
	assert_int_equal(check(f, &s, NOW + 16 * 60, &caller, &err),
	    WK_ERR_AUTH);
	assert_int_equal(err.kind, WK_AUTH_EXPIRED);
	expect_answer(&err, WK_PROTO_QUERY_IAM, 403, "SignatureDoesNotMatch",
	    skew);
	expect_answer(&err, WK_PROTO_QUERY_EC2, 400, "RequestExpired",
	    "Request has expired.");
	expect_answer(&err, WK_PROTO_JSON, 400, "InvalidSignatureException",
	    skew);
	wk_buf_cleanup(&s.authz);

	/* a wrong secret */
	sign(&s, AKID, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ", "ec2", NOW,
	    "a=1");
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	assert_int_equal(err.kind, WK_AUTH_BAD_SIGNATURE);
	expect_code(&err, WK_PROTO_QUERY_IAM, "SignatureDoesNotMatch");
	expect_answer(&err, WK_PROTO_QUERY_EC2, 403, "SignatureDoesNotMatch",
	    err.message);
	expect_answer(&err, WK_PROTO_JSON, 400, "InvalidSignatureException",
	    err.message);
	wk_buf_cleanup(&s.authz);

	/* no Authorization */
	sign(&s, AKID, SECRET, "ec2", NOW, "a=1");
	s.req.nheaders = s.nh - 1;
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	expect_answer(&err, WK_PROTO_QUERY_IAM, 403,
	    "MissingAuthenticationToken", "Request is missing Authentication "
	    "Token");
	expect_answer(&err, WK_PROTO_QUERY_EC2, 401,
	    "MissingAuthenticationToken", "The request must contain either a "
	    "valid (registered) AWS access key ID or X.509 certificate.");
	expect_answer(&err, WK_PROTO_JSON, 400,
	    "MissingAuthenticationTokenException", "Request is missing "
	    "Authentication Token");
	wk_buf_cleanup(&s.authz);

	/* another region */
	memset(&info, 0, sizeof(info));
	snprintf(info.service, sizeof(info.service), "ec2");
	snprintf(info.region, sizeof(info.region), "eu-west-1");
	{
		static const char *const ec2[] = { "ec2", NULL };

		assert_int_equal(wk_auth_check_scope(&info, "us-east-1", ec2,
		    &err), WK_ERR_AUTH);
	}
	assert_int_equal(err.kind, WK_AUTH_BAD_SCOPE);
	expect_answer(&err, WK_PROTO_QUERY_IAM, 403, "SignatureDoesNotMatch",
	    scope);
	expect_answer(&err, WK_PROTO_QUERY_EC2, 403, "SignatureDoesNotMatch",
	    scope);
	expect_answer(&err, WK_PROTO_JSON, 400, "InvalidSignatureException",
	    scope);

	/* the store failed */
	err.kind = WK_AUTH_INTERNAL;
	expect_code(&err, WK_PROTO_QUERY_IAM, "InternalFailure");
	expect_answer(&err, WK_PROTO_QUERY_EC2, 500, "InternalError",
	    "An internal error has occurred.");
	expect_code(&err, WK_PROTO_JSON, "InternalFailure");
}

/*
 * The signing-key cache: a cached verification answers as an uncached
 * one (valid and tampered alike), and a rotated secret under the same
 * access key id is never served from the cache: the old secret's
 * signatures fail, the new one's pass.
 */
static void
test_signing_key_cache(void **state)
{
	struct fx *f = *state;
	struct signed_req s, bad;
	struct wk_caller caller;
	struct wk_auth_error err;
	struct wk_sigkey_stats st0, st1;
	struct wk_access_key k;

	wk_sigkey_cache_reset();
	sign(&s, AKID, SECRET, "iam", NOW, "Action=ListUsers");
	sign(&bad, AKID, SECRET, "iam", NOW, "Action=ListUsers");
	bad.req.body = WK_SPAN_LIT("Action=DeleteUser");	/* tampered */

	/* cold, then warm: the same answers */
	assert_int_equal(check(f, &bad, NOW, &caller, &err), WK_ERR_AUTH);
	assert_int_equal(err.kind, WK_AUTH_BAD_SIGNATURE);
	wk_sigkey_cache_reset();
	assert_int_equal(check(f, &s, NOW, &caller, &err), 0);
	wk_sigkey_cache_stats(&st0);
	assert_int_equal(st0.misses, 1);
	assert_int_equal(check(f, &s, NOW, &caller, &err), 0);
	assert_string_equal(caller.user.name, "alice");
	assert_int_equal(check(f, &bad, NOW, &caller, &err), WK_ERR_AUTH);
	assert_int_equal(err.kind, WK_AUTH_BAD_SIGNATURE);
	wk_sigkey_cache_stats(&st1);
	assert_int_equal(st1.misses, 1);
	assert_int_equal(st1.hits, 2);

	/* the key rotated: same id, another secret */
	assert_int_equal(wk_store_key_delete(f->st, "alice", AKID), 0);
	memset(&k, 0, sizeof(k));
	snprintf(k.id, sizeof(k.id), AKID);
	snprintf(k.user_name, sizeof(k.user_name), "alice");
	snprintf(k.secret, sizeof(k.secret), "%s", "rotatedSECRETrotatedSECRETrotatedSECRET1");
	k.active = true;
	k.create_date = NOW;
	assert_int_equal(wk_store_key_create(f->st, &k), 0);
	assert_int_equal(check(f, &s, NOW, &caller, &err), WK_ERR_AUTH);
	assert_int_equal(err.kind, WK_AUTH_BAD_SIGNATURE);
	wk_buf_cleanup(&s.authz);
	sign(&s, AKID, k.secret, "iam", NOW, "Action=ListUsers");
	assert_int_equal(check(f, &s, NOW, &caller, &err), 0);
	assert_int_equal(check(f, &s, NOW, &caller, &err), 0);
	wk_sigkey_cache_stats(&st1);
	/* one miss for the new secret (derived afresh), then hits */
	assert_int_equal(st1.misses, 2);
	assert_int_equal(st1.hits, 4);
	wk_buf_cleanup(&s.authz);
	wk_buf_cleanup(&bad.authz);
}

/*
 * 1,000 distinct keys used write nothing per request: their last use is
 * held in memory and written as one transaction; a key still stored gets
 * its value, the latest use wins, and an older note does not go back.
 */
static void
test_last_used_batched(void **state)
{
	struct fx *f = *state;
	struct wk_last_used_stats ls;
	struct wk_access_key k;
	char id[33];

	wk_last_used_reset();
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "AKIABATCH%011d", i);
		wk_last_used_note(id, NOW + i, "ec2-instance-connect",
		    "us-east-1");
	}
	wk_last_used_note(AKID, NOW + 5, "iam", "us-east-1");
	wk_last_used_note(AKID, NOW + 7, "sts", "us-east-1");
	wk_last_used_note(AKID, NOW + 6, "iam", "us-east-1");	/* older */
	wk_last_used_stats(&ls);
	assert_int_equal(ls.batches, 0);	/* no write per request */
	assert_int_equal(ls.pending, 1001);
	assert_int_equal(wk_last_used_flush(f->st), 0);
	wk_last_used_stats(&ls);
	assert_int_equal(ls.batches, 1);	/* one transaction */
	assert_int_equal(ls.rows, 1001);
	assert_int_equal(ls.pending, 0);
	assert_int_equal(wk_store_key_get(f->st, AKID, &k), 0);
	assert_int_equal(k.last_used, NOW + 7);
	assert_string_equal(k.last_used_service, "sts");
	wk_explicit_bzero(&k, sizeof(k));
	/* nothing held: nothing written */
	assert_int_equal(wk_last_used_flush(f->st), 0);
	wk_last_used_stats(&ls);
	assert_int_equal(ls.batches, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_missing_and_malformed),
		cmocka_unit_test(test_bad_keys),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_clock_skew),
		cmocka_unit_test(test_unsigned_headers),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_protocol_mapping),
		cmocka_unit_test(test_signing_key_cache),
		cmocka_unit_test(test_last_used_batched),
	};

	wk_log_set_level(WK_LOG_NONE);
	return cmocka_run_group_tests(tests, setup, teardown);
}
