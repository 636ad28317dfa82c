/*
 * test_authz.c - wk_api_authorize and the parsed-policy cache: decisions,
 * AWS's deny messages per protocol, the standard context keys, extra keys,
 * and invalidation when the store's policy generation moves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/log.h"
#include "server/api/api_int.h"
#include "server/auth/authz.h"
#include "store/store.h"

#define ACCOUNT "123456789012"
#define GET_USER_ONLY "{\"Version\":\"2012-10-17\",\"Statement\":[{" \
	"\"Effect\":\"Allow\",\"Action\":\"iam:GetUser\",\"Resource\":\"*\"}]}"
#define DENY_DELETE "{\"Version\":\"2012-10-17\",\"Statement\":[{" \
	"\"Effect\":\"Deny\",\"Action\":\"iam:Delete*\",\"Resource\":\"*\"}]}"
#define ALLOW_ALL "{\"Version\":\"2012-10-17\",\"Statement\":[{" \
	"\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"
#define PUSH_AS_UBUNTU "{\"Version\":\"2012-10-17\",\"Statement\":[{" \
	"\"Effect\":\"Allow\",\"Action\":\"ec2-instance-connect:*\"," \
	"\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{" \
	"\"ec2:osuser\":\"ubuntu\",\"aws:PrincipalTag/team\":\"ops\"," \
	"\"aws:username\":\"${aws:username}\"}," \
	"\"IpAddress\":{\"aws:SourceIp\":\"127.0.0.0/8\"}}}]}"

struct fx {
	char dir[64];
	char db[128];
	struct wk_server srv;
	struct wk_caller bob;
	struct wk_api_req req;
	struct wk_api_resp resp;
};

static int
setup(void **state)
{
	uint8_t key[WK_MASTER_KEY_LEN];
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk-authztest-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/wicket.db", f->dir);
	memset(key, 5, sizeof(key));
	assert_int_equal(wk_store_open(f->db, key, &f->srv.store), 0);
	snprintf(f->srv.account_id, sizeof(f->srv.account_id), ACCOUNT);
	snprintf(f->srv.region, sizeof(f->srv.region), "eu-west-1");
	snprintf(f->bob.user.name, sizeof(f->bob.user.name), "Bob");
	snprintf(f->bob.user.path, sizeof(f->bob.user.path), "/");
	snprintf(f->bob.user.id, sizeof(f->bob.user.id),
	    "AIDABOBBOBBOBBOBBOB12");
	snprintf(f->bob.user.arn, sizeof(f->bob.user.arn),
	    "arn:aws:iam::" ACCOUNT ":user/Bob");
	f->bob.user.create_date = 1700000000;
	assert_int_equal(wk_store_user_create(f->srv.store, &f->bob.user), 0);
	f->req.srv = &f->srv;
	f->req.caller = &f->bob;
	f->req.request_id = "rid";
	f->req.source_ip = "127.0.0.1";
	f->req.now = 1700000000;
	f->req.via = "api";
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	wk_authz_cache_free(f->srv.authz);
	wk_store_close(f->srv.store);
	unlink(f->db);
	snprintf(p, sizeof(p), "%s-wal", f->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->db);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int
authorize(struct fx *f, const char *action, const char *resource,
    const struct wk_ctx *extra, const char *deny_code,
    struct wk_decision_detail *d)
{
	memset(&f->resp, 0, sizeof(f->resp));
	return wk_api_authorize(&f->req, &f->resp, action, resource, extra,
	    deny_code, d);
}

static void
test_decisions_and_messages(void **state)
{
	struct fx *f = *state;
	struct wk_decision_detail d;
	json_t *obj;

	/* no policy: implicit deny */
	assert_int_equal(authorize(f, "iam:GetUser", "arn:aws:iam::" ACCOUNT
	    ":user/x", NULL, NULL, &d), WK_ERR_DENIED);
	assert_int_equal(d.decision, WK_DECISION_IMPLICIT_DENY);
	assert_int_equal(f->resp.status, 403);
	assert_string_equal(f->resp.error_code, "AccessDenied");
	assert_string_equal(f->resp.error_message, "User: arn:aws:iam::"
	    ACCOUNT ":user/Bob is not authorized to perform: iam:GetUser on "
	    "resource: arn:aws:iam::" ACCOUNT ":user/x because no "
	    "identity-based policy allows the iam:GetUser action");

	assert_int_equal(wk_store_user_policy_put(f->srv.store, "Bob", "p1",
	    GET_USER_ONLY), 0);
	assert_int_equal(authorize(f, "iam:GetUser", "arn:aws:iam::" ACCOUNT
	    ":user/x", NULL, NULL, &d), 0);
	assert_int_equal(d.decision, WK_DECISION_ALLOW);
	assert_string_equal(f->resp.error_code, "");
	assert_int_equal(authorize(f, "iam:CreateUser", "*", NULL, NULL, &d),
	    WK_ERR_DENIED);

	/* an explicit deny beats Allow *, and says so */
	assert_int_equal(wk_store_user_policy_put(f->srv.store, "Bob", "p2",
	    ALLOW_ALL), 0);
	assert_int_equal(wk_store_user_policy_put(f->srv.store, "Bob", "p3",
	    DENY_DELETE), 0);
	assert_int_equal(authorize(f, "iam:CreateUser", "*", NULL, NULL, &d),
	    0);
	assert_int_equal(authorize(f, "iam:DeleteUser", "arn:r", NULL, NULL,
	    &d), WK_ERR_DENIED);
	assert_int_equal(d.decision, WK_DECISION_EXPLICIT_DENY);
	assert_non_null(strstr(f->resp.error_message, "with an explicit deny "
	    "in an identity-based policy"));

	/* JSON protocol: AccessDeniedException or the code given */
	obj = json_object();
	f->req.json = obj;
	assert_int_equal(authorize(f, "iam:DeleteUser", "arn:r", NULL, NULL,
	    NULL), WK_ERR_DENIED);
	assert_string_equal(f->resp.error_code, "AccessDeniedException");
	assert_int_equal(authorize(f, "iam:DeleteUser", "arn:r", NULL,
	    "AuthException", NULL), WK_ERR_DENIED);
	assert_string_equal(f->resp.error_code, "AuthException");
	assert_int_equal(f->resp.status, 403);
	f->req.json = NULL;
	json_decref(obj);
}

static void
test_context_and_extra(void **state)
{
	struct fx *f = *state;
	struct wk_authz_principal p;
	struct wk_ctx *extra = NULL, *ctx = NULL;
	struct wk_tag tag;

	assert_int_equal(wk_store_user_policy_put(f->srv.store, "Bob", "push",
	    PUSH_AS_UBUNTU), 0);
	memset(&tag, 0, sizeof(tag));
	snprintf(tag.key, sizeof(tag.key), "team");
	snprintf(tag.value, sizeof(tag.value), "ops");
	assert_int_equal(wk_store_user_tags_set(f->srv.store, "Bob", &tag, 1),
	    0);

	/* the standard keys */
	memset(&p, 0, sizeof(p));
	p.user = &f->bob.user;
	p.account_id = ACCOUNT;
	p.region = "eu-west-1";
	p.source_ip = "10.1.2.3";
	p.secure = true;
	p.now = 1563911939;
	assert_int_equal(wk_authz_context(f->srv.store, &p, NULL, NULL, 0,
	    &ctx), 0);
	assert_string_equal(wk_ctx_get(ctx, "aws:CurrentTime", 0),
	    "2019-07-23T19:58:59Z");
	assert_string_equal(wk_ctx_get(ctx, "aws:EpochTime", 0), "1563911939");
	assert_string_equal(wk_ctx_get(ctx, "aws:SecureTransport", 0), "true");
	assert_string_equal(wk_ctx_get(ctx, "aws:SourceIp", 0), "10.1.2.3");
	assert_string_equal(wk_ctx_get(ctx, "aws:username", 0), "Bob");
	assert_string_equal(wk_ctx_get(ctx, "aws:userid", 0),
	    "AIDABOBBOBBOBBOBBOB12");
	assert_string_equal(wk_ctx_get(ctx, "aws:PrincipalArn", 0),
	    "arn:aws:iam::" ACCOUNT ":user/Bob");
	assert_string_equal(wk_ctx_get(ctx, "aws:PrincipalType", 0), "User");
	assert_string_equal(wk_ctx_get(ctx, "aws:RequestedRegion", 0),
	    "eu-west-1");
	assert_string_equal(wk_ctx_get(ctx, "aws:PrincipalTag/team", 0), "ops");
	wk_ctx_free(ctx);

	/* extra keys reach the engine */
	assert_int_equal(wk_ctx_new(&extra), 0);
	assert_int_equal(wk_ctx_add(extra, "ec2:osuser", "ubuntu"), 0);
	assert_int_equal(authorize(f, "ec2-instance-connect:SendSSHPublicKey",
	    "arn:aws:ec2:eu-west-1:" ACCOUNT ":instance/i-1", extra, NULL,
	    NULL), 0);
	wk_ctx_free(extra);
	assert_int_equal(wk_ctx_new(&extra), 0);
	assert_int_equal(wk_ctx_add(extra, "ec2:osuser", "root"), 0);
	assert_int_equal(authorize(f, "ec2-instance-connect:SendSSHPublicKey",
	    "arn:aws:ec2:eu-west-1:" ACCOUNT ":instance/i-1", extra,
	    "AuthException", NULL), WK_ERR_DENIED);
	/* no osuser at all: the condition cannot match */
	assert_int_equal(authorize(f, "ec2-instance-connect:SendSSHPublicKey",
	    "*", NULL, NULL, NULL), WK_ERR_DENIED);
	wk_ctx_free(extra);

	/* the source address matters */
	assert_int_equal(wk_ctx_new(&extra), 0);
	assert_int_equal(wk_ctx_add(extra, "ec2:osuser", "ubuntu"), 0);
	f->req.source_ip = "192.0.2.1";
	assert_int_equal(authorize(f, "ec2-instance-connect:SendSSHPublicKey",
	    "*", extra, NULL, NULL), WK_ERR_DENIED);
	f->req.source_ip = "127.0.0.1";
	/* and so does the principal tag */
	snprintf(tag.value, sizeof(tag.value), "dev");
	assert_int_equal(wk_store_user_tags_set(f->srv.store, "Bob", &tag, 1),
	    0);
	assert_int_equal(authorize(f, "ec2-instance-connect:SendSSHPublicKey",
	    "*", extra, NULL, NULL), WK_ERR_DENIED);
	wk_ctx_free(extra);
}

static void
test_cache_invalidation(void **state)
{
	struct fx *f = *state;
	struct wk_authz_cache *c = NULL;
	const struct wk_policy_ref *refs;
	struct wk_authz_stats s;
	struct wk_managed_policy mp;
	size_t n;

	assert_int_equal(wk_authz_cache_new(&c), 0);
	assert_int_equal(wk_authz_policies(c, f->srv.store, "Bob", &refs, &n),
	    0);
	assert_int_equal(n, 0);
	/* names are case-insensitive: the same entry */
	assert_int_equal(wk_authz_policies(c, f->srv.store, "bob", &refs, &n),
	    0);
	wk_authz_cache_stats(c, &s);
	assert_int_equal(s.loads, 1);
	assert_int_equal(s.hits, 1);

	assert_int_equal(wk_store_user_policy_put(f->srv.store, "Bob", "p1",
	    GET_USER_ONLY), 0);
	assert_int_equal(wk_authz_policies(c, f->srv.store, "Bob", &refs, &n),
	    0);
	assert_int_equal(n, 1);
	assert_string_equal(refs[0].source, "user/Bob/inline/p1");
	wk_authz_cache_stats(c, &s);
	assert_int_equal(s.loads, 2);

	/* a managed policy attached later shows up at once */
	memset(&mp, 0, sizeof(mp));
	snprintf(mp.name, sizeof(mp.name), "DenyDelete");
	snprintf(mp.id, sizeof(mp.id), "ANPADENYDENYDENYDENY1");
	snprintf(mp.path, sizeof(mp.path), "/");
	snprintf(mp.arn, sizeof(mp.arn), "arn:aws:iam::" ACCOUNT
	    ":policy/DenyDelete");
	snprintf(mp.default_version, sizeof(mp.default_version), "v1");
	assert_int_equal(wk_store_policy_create(f->srv.store, &mp,
	    DENY_DELETE), 0);
	assert_int_equal(wk_store_attach_user(f->srv.store, "Bob", mp.arn), 0);
	assert_int_equal(wk_authz_policies(c, f->srv.store, "Bob", &refs, &n),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(wk_authz_policies(c, f->srv.store, "Bob", &refs, &n),
	    0);
	wk_authz_cache_stats(c, &s);
	assert_int_equal(s.loads, 3);
	assert_int_equal(s.hits, 2);

	/* the decision follows the change through wk_api_authorize too */
	assert_int_equal(authorize(f, "iam:GetUser", "*", NULL, NULL, NULL),
	    0);
	assert_int_equal(wk_store_detach_user(f->srv.store, "Bob", mp.arn), 0);
	assert_int_equal(wk_store_user_policy_delete(f->srv.store, "Bob",
	    "p1"), 0);
	assert_int_equal(authorize(f, "iam:GetUser", "*", NULL, NULL, NULL),
	    WK_ERR_DENIED);

	assert_int_equal(wk_authz_policies(c, f->srv.store, "", &refs, &n),
	    WK_ERR_INVAL);
	wk_authz_cache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_decisions_and_messages,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_context_and_extra, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cache_invalidation, setup,
		    teardown),
	};

	wk_log_set_level(WK_LOG_NONE);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
