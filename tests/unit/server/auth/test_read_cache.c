/*
 * test_read_cache.c - the per-process cache of a request's identity reads
 * (read_cache.c) and the parsed-policy cache behind it, against a real
 * SQLite store: each "request" arms the cache, authenticates a signed
 * SendSSHPublicKey call (wk_auth_request), authorizes it on the instance
 * (wk_api_authorize: principal tags, resource tags, policies) and reads
 * the instance, as the API path does. Between two requests every kind of
 * change that must take effect is written through a second connection to
 * the same database (what a `wicketd store` command, or another wicketd
 * on PostgreSQL, does) and the very next request must see it: a key
 * deactivated or deleted, a principal tag or a resource tag changed, a
 * Deny added, a policy detached, a group left, a user's path changed, an
 * instance deleted.
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
#include "server/api/api_int.h"
#include "server/auth/auth.h"
#include "store/store.h"

#define ACCOUNT "123456789012"
#define REGION "us-east-1"
#define AKID "AKIACACHETESTCACHE01"
#define SECRET "cacheSECRETcacheSECRETcacheSECRETcache01"
#define INST "i-0123456789abcdef0"
#define INST_ARN "arn:aws:ec2:" REGION ":" ACCOUNT ":instance/" INST
#define NOW ((time_t)1700000000)
#define ACTION "ec2-instance-connect:SendSSHPublicKey"
#define BODY "{\"InstanceId\":\"" INST "\",\"InstanceOSUser\":\"ubuntu\"}"

/* Allowed only for team=ops on env=prod instances, as ubuntu. */
#define PUSH_POLICY "{\"Version\":\"2012-10-17\",\"Statement\":[{" \
	"\"Effect\":\"Allow\",\"Action\":\"" ACTION "\"," \
	"\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{" \
	"\"ec2:osuser\":\"ubuntu\",\"aws:PrincipalTag/team\":\"ops\"," \
	"\"ec2:ResourceTag/env\":\"prod\"}}}]}"
#define DENY_PUSH "{\"Version\":\"2012-10-17\",\"Statement\":[{" \
	"\"Effect\":\"Deny\",\"Action\":\"ec2-instance-connect:*\"," \
	"\"Resource\":\"*\"}]}"
#define POLICY_ARN "arn:aws:iam::" ACCOUNT ":policy/Push"

struct fx {
	char dir[64];
	char db[128];
	struct wk_server srv;	/* srv.store: the server's connection */
	struct wk_store *other;	/* another writer on the same database */
	struct wk_buf authz;
	struct wk_sigv4_header h[4];
	char amz_date[17];
	struct wk_http_request hreq;
};

static void
tag(struct wk_tag *t, const char *k, const char *v)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->key, sizeof(t->key), "%s", k);
	snprintf(t->value, sizeof(t->value), "%s", v);
}

static void
add_key(struct wk_store *st, const char *secret)
{
	struct wk_access_key k;

	memset(&k, 0, sizeof(k));
	snprintf(k.id, sizeof(k.id), AKID);
	snprintf(k.user_name, sizeof(k.user_name), "bob");
	snprintf(k.secret, sizeof(k.secret), "%s", secret);
	k.active = true;
	k.create_date = NOW;
	assert_int_equal(wk_store_key_create(st, &k), 0);
}

static void
sign_request(struct fx *f, const char *secret)
{
	struct wk_sigv4_request sr;

	wk_buf_cleanup(&f->authz);
	memset(f->h, 0, sizeof(f->h));
	f->h[0].name = WK_SPAN_LIT("Host");
	f->h[0].value = WK_SPAN_LIT("127.0.0.1:8080");
	f->h[1].name = WK_SPAN_LIT("X-Amz-Target");
	f->h[1].value = WK_SPAN_LIT("AWSEC2InstanceConnectService."
	    "SendSSHPublicKey");
	memset(&sr, 0, sizeof(sr));
	sr.method = WK_SPAN_LIT("POST");
	sr.path = WK_SPAN_LIT("/");
	sr.query = WK_SPAN_NULL;
	sr.headers = f->h;
	sr.nheaders = 2;
	sr.body = WK_SPAN_LIT(BODY);
	wk_buf_init(&f->authz, 4096);
	assert_int_equal(wk_sigv4_sign(&sr, AKID, secret, NULL, REGION,
	    "ec2-instance-connect", NOW, f->amz_date, &f->authz), 0);
	f->h[2].name = WK_SPAN_LIT("X-Amz-Date");
	f->h[2].value = wk_span_from_mem(f->amz_date, 16);
	f->h[3].name = WK_SPAN_LIT("Authorization");
	f->h[3].value = wk_buf_span(&f->authz);
	memset(&f->hreq, 0, sizeof(f->hreq));
	f->hreq.method = "POST";
	f->hreq.path = WK_SPAN_LIT("/");
	f->hreq.query = WK_SPAN_NULL;
	f->hreq.headers = f->h;
	f->hreq.nheaders = 4;
	f->hreq.body = WK_SPAN_LIT(BODY);
	f->hreq.source_ip = "127.0.0.1";
}

static int
setup(void **state)
{
	uint8_t key[WK_MASTER_KEY_LEN];
	struct wk_managed_policy p;
	struct wk_instance in;
	struct wk_group g;
	struct wk_user u;
	struct wk_tag t;
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk-rcache-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/wicket.db", f->dir);
	memset(key, 9, sizeof(key));
	assert_int_equal(wk_store_open(f->db, key, &f->srv.store), 0);
	assert_int_equal(wk_store_open(f->db, key, &f->other), 0);
	snprintf(f->srv.account_id, sizeof(f->srv.account_id), ACCOUNT);
	snprintf(f->srv.region, sizeof(f->srv.region), REGION);

	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "bob");
	snprintf(u.path, sizeof(u.path), "/");
	snprintf(u.id, sizeof(u.id), "AIDABOBBOBBOBBOBBOB12");
	snprintf(u.arn, sizeof(u.arn), "arn:aws:iam::" ACCOUNT ":user/bob");
	u.create_date = NOW;
	assert_int_equal(wk_store_user_create(f->srv.store, &u), 0);
	add_key(f->srv.store, SECRET);
	tag(&t, "team", "ops");
	assert_int_equal(wk_store_user_tags_set(f->srv.store, "bob", &t, 1), 0);

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "Push");
	snprintf(p.id, sizeof(p.id), "ANPAPUSHPUSHPUSHPUSH1");
	snprintf(p.path, sizeof(p.path), "/");
	snprintf(p.arn, sizeof(p.arn), POLICY_ARN);
	p.create_date = NOW;
	assert_int_equal(wk_store_policy_create(f->srv.store, &p, PUSH_POLICY),
	    0);
	assert_int_equal(wk_store_attach_user(f->srv.store, "bob", POLICY_ARN),
	    0);
	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "pushers");
	snprintf(g.id, sizeof(g.id), "AGPAPUSHERSPUSHERS12");
	snprintf(g.path, sizeof(g.path), "/");
	snprintf(g.arn, sizeof(g.arn), "arn:aws:iam::" ACCOUNT
	    ":group/pushers");
	g.create_date = NOW;
	assert_int_equal(wk_store_group_create(f->srv.store, &g), 0);

	memset(&in, 0, sizeof(in));
	snprintf(in.id, sizeof(in.id), INST);
	snprintf(in.hostname, sizeof(in.hostname), "web1");
	snprintf(in.address, sizeof(in.address), "127.0.0.2");
	in.ssh_port = 2222;
	snprintf(in.agent_secret_hash, sizeof(in.agent_secret_hash), "%064d",
	    7);
	in.create_date = NOW;
	assert_int_equal(wk_store_instance_create(f->srv.store, &in), 0);
	tag(&t, "env", "prod");
	assert_int_equal(wk_store_instance_tags_set(f->srv.store, INST, &t, 1),
	    0);

	sign_request(f, SECRET);
	wk_readcache_reset();
	wk_sigkey_cache_reset();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	wk_readcache_reset();
	wk_buf_cleanup(&f->authz);
	wk_authz_cache_free(f->srv.authz);
	wk_store_close(f->other);
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

/* What one request came to. */
struct outcome {
	int auth;			/* wk_auth_request */
	enum wk_auth_failure auth_kind;
	int authz;			/* wk_api_authorize, when authenticated */
	enum wk_decision decision;
	int inst;			/* the instance read */
	char arn[2048];			/* the caller's ARN */
	char hostname[256];
};

/* One API request as wk_api_dispatch and the push core make it. */
static void
request(struct fx *f, struct outcome *o)
{
	struct wk_auth_info info;
	struct wk_auth_error err;
	struct wk_decision_detail d;
	struct wk_instance inst;
	struct wk_caller caller;
	struct wk_api_req req;
	struct wk_api_resp resp;
	struct wk_ctx *extra = NULL;

	memset(o, 0, sizeof(*o));
	o->authz = o->inst = WK_ERR_INTERNAL;
	assert_int_equal(wk_readcache_begin(f->srv.store), 0);
	o->auth = wk_auth_request(f->srv.store, &f->hreq, NOW, &caller, &info,
	    &err);
	o->auth_kind = err.kind;
	if (o->auth == 0) {
		snprintf(o->arn, sizeof(o->arn), "%s", caller.user.arn);
		memset(&req, 0, sizeof(req));
		memset(&resp, 0, sizeof(resp));
		req.srv = &f->srv;
		req.caller = &caller;
		req.request_id = "rid";
		req.source_ip = "127.0.0.1";
		req.now = NOW;
		req.via = "api";
		assert_int_equal(wk_ctx_new(&extra), 0);
		assert_int_equal(wk_ctx_add(extra, "ec2:osuser", "ubuntu"), 0);
		memset(&d, 0, sizeof(d));
		o->authz = wk_api_authorize(&req, &resp, ACTION, INST_ARN,
		    extra, "AuthException", &d);
		o->decision = d.decision;
		wk_ctx_free(extra);
		memset(&inst, 0, sizeof(inst));
		o->inst = wk_readcache_instance_get(f->srv.store, INST, &inst);
		if (o->inst == 0)
			snprintf(o->hostname, sizeof(o->hostname), "%s",
			    inst.hostname);
		wk_instance_cleanup(&inst);
	}
	wk_readcache_end();
}

static void
expect_allowed(struct fx *f)
{
	struct outcome o;

	request(f, &o);
	assert_int_equal(o.auth, 0);
	assert_int_equal(o.authz, 0);
	assert_int_equal(o.decision, WK_DECISION_ALLOW);
	assert_int_equal(o.inst, 0);
}

static void
expect_denied(struct fx *f, enum wk_decision want)
{
	struct outcome o;

	request(f, &o);
	assert_int_equal(o.auth, 0);
	assert_int_equal(o.authz, WK_ERR_DENIED);
	assert_int_equal(o.decision, want);
}

static void
expect_unknown_key(struct fx *f)
{
	struct outcome o;

	request(f, &o);
	assert_int_equal(o.auth, WK_ERR_AUTH);
	assert_int_equal(o.auth_kind, WK_AUTH_UNKNOWN_KEY);
}

/* The second request of an unchanged store reads nothing but the
 * generation: every identity read is a hit. */
static void
test_hits_while_unchanged(void **state)
{
	struct fx *f = *state;
	struct wk_readcache_stats s0, s1;
	struct wk_authz_stats a0, a1;

	expect_allowed(f);
	wk_readcache_stats(&s0);
	assert_true(s0.misses >= 4);	/* key, user, tags, instance */
	wk_authz_cache_stats(f->srv.authz, &a0);
	expect_allowed(f);
	expect_allowed(f);
	wk_readcache_stats(&s1);
	assert_int_equal(s1.misses, s0.misses);
	assert_true(s1.hits >= s0.hits + 8);
	wk_authz_cache_stats(f->srv.authz, &a1);
	assert_int_equal(a1.loads, a0.loads);
	assert_int_equal(a1.hits, a0.hits + 2);
}

static void
test_key_deactivated_then_deleted(void **state)
{
	struct fx *f = *state;

	expect_allowed(f);
	expect_allowed(f);
	assert_int_equal(wk_store_key_set_active(f->other, "bob", AKID, false),
	    0);
	expect_unknown_key(f);
	assert_int_equal(wk_store_key_set_active(f->other, "bob", AKID, true),
	    0);
	expect_allowed(f);
	assert_int_equal(wk_store_key_delete(f->other, "bob", AKID), 0);
	expect_unknown_key(f);
	/* the same id again with another secret: the old signature fails,
	 * the new one passes */
	add_key(f->other, "rotatedSECRETrotatedSECRETrotatedSECRET1");
	{
		struct outcome o;

		request(f, &o);
		assert_int_equal(o.auth, WK_ERR_AUTH);
		assert_int_equal(o.auth_kind, WK_AUTH_BAD_SIGNATURE);
	}
	sign_request(f, "rotatedSECRETrotatedSECRETrotatedSECRET1");
	expect_allowed(f);
}

static void
test_principal_tag_changed(void **state)
{
	struct fx *f = *state;
	const char *rm[] = { "team" };
	struct wk_tag t;

	expect_allowed(f);
	expect_allowed(f);
	tag(&t, "team", "dev");
	assert_int_equal(wk_store_user_tags_set(f->other, "bob", &t, 1), 0);
	expect_denied(f, WK_DECISION_IMPLICIT_DENY);
	tag(&t, "team", "ops");
	assert_int_equal(wk_store_user_tags_set(f->other, "bob", &t, 1), 0);
	expect_allowed(f);
	assert_int_equal(wk_store_user_tags_remove(f->other, "bob", rm, 1), 0);
	expect_denied(f, WK_DECISION_IMPLICIT_DENY);
}

static void
test_resource_tag_changed(void **state)
{
	struct fx *f = *state;
	const char *rm[] = { "env" };
	struct wk_tag t;

	expect_allowed(f);
	expect_allowed(f);
	assert_int_equal(wk_store_instance_tags_remove(f->other, INST, rm, 1),
	    0);
	expect_denied(f, WK_DECISION_IMPLICIT_DENY);
	tag(&t, "env", "prod");
	assert_int_equal(wk_store_instance_tags_set(f->other, INST, &t, 1), 0);
	expect_allowed(f);
	tag(&t, "env", "staging");
	assert_int_equal(wk_store_instance_tags_set(f->other, INST, &t, 1), 0);
	expect_denied(f, WK_DECISION_IMPLICIT_DENY);
}

static void
test_deny_added_and_policy_detached(void **state)
{
	struct fx *f = *state;

	expect_allowed(f);
	expect_allowed(f);
	assert_int_equal(wk_store_user_policy_put(f->other, "bob", "stop",
	    DENY_PUSH), 0);
	expect_denied(f, WK_DECISION_EXPLICIT_DENY);
	assert_int_equal(wk_store_user_policy_delete(f->other, "bob", "stop"),
	    0);
	expect_allowed(f);
	assert_int_equal(wk_store_detach_user(f->other, "bob", POLICY_ARN), 0);
	expect_denied(f, WK_DECISION_IMPLICIT_DENY);
	/* through a group: allowed while a member, denied once it left */
	assert_int_equal(wk_store_attach_group(f->other, "pushers",
	    POLICY_ARN), 0);
	expect_denied(f, WK_DECISION_IMPLICIT_DENY);
	assert_int_equal(wk_store_group_add_user(f->other, "pushers", "bob"),
	    0);
	expect_allowed(f);
	assert_int_equal(wk_store_group_remove_user(f->other, "pushers", "bob"),
	    0);
	expect_denied(f, WK_DECISION_IMPLICIT_DENY);
}

static void
test_user_and_instance_changed(void **state)
{
	struct fx *f = *state;
	struct wk_instance in;
	struct outcome o;

	request(f, &o);
	assert_string_equal(o.arn, "arn:aws:iam::" ACCOUNT ":user/bob");
	assert_string_equal(o.hostname, "web1");
	assert_int_equal(wk_store_user_update(f->other, "bob", NULL, "/ops/",
	    "arn:aws:iam::" ACCOUNT ":user/ops/bob"), 0);
	request(f, &o);
	assert_string_equal(o.arn, "arn:aws:iam::" ACCOUNT ":user/ops/bob");

	assert_int_equal(wk_store_instance_get(f->other, INST, &in), 0);
	snprintf(in.hostname, sizeof(in.hostname), "web1b");
	assert_int_equal(wk_store_instance_update(f->other, &in), 0);
	wk_instance_cleanup(&in);
	request(f, &o);
	assert_string_equal(o.hostname, "web1b");

	assert_int_equal(wk_store_instance_delete(f->other, INST), 0);
	request(f, &o);
	assert_int_equal(o.auth, 0);
	assert_int_equal(o.inst, WK_ERR_NOTFOUND);
	/* no resource tags any more: the policy's env=prod fails */
	assert_int_equal(o.authz, WK_ERR_DENIED);
}

/* Unarmed (a path that never began a request, another thread's), the
 * getters read the store: nothing is served from the cache. */
static void
test_unarmed_reads_the_store(void **state)
{
	struct fx *f = *state;
	struct wk_readcache_stats s0, s1;
	struct wk_access_key k;
	struct wk_tag t, *tv = NULL;
	size_t n = 0;

	expect_allowed(f);
	wk_readcache_stats(&s0);
	/* a change made by this very connection after the request */
	tag(&t, "team", "dev");
	assert_int_equal(wk_store_user_tags_set(f->srv.store, "bob", &t, 1),
	    0);
	assert_int_equal(wk_store_key_set_active(f->srv.store, "bob", AKID,
	    false), 0);
	assert_int_equal(wk_readcache_key_get(f->srv.store, AKID, &k), 0);
	assert_false(k.active);
	wk_explicit_bzero(&k, sizeof(k));
	assert_int_equal(wk_readcache_user_tags(f->srv.store, "bob", &tv, &n),
	    0);
	assert_int_equal(n, 1);
	assert_string_equal(tv[0].value, "dev");
	wk_store_free(tv);
	wk_readcache_stats(&s1);
	assert_int_equal(s1.hits, s0.hits);
	assert_int_equal(s1.misses, s0.misses);
	expect_unknown_key(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hits_while_unchanged,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_key_deactivated_then_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_principal_tag_changed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_resource_tag_changed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_deny_added_and_policy_detached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_and_instance_changed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_unarmed_reads_the_store,
		    setup, teardown),
	};

	wk_log_set_level(WK_LOG_NONE);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
