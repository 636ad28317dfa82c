/*
 * test_push_once.c - issue 4 through SendSSHPublicKey and the real policy
 * engine (no HTTP): the record's #From= is the caller's address exactly
 * when the policy bound aws:SourceIp, and #Once= follows `wicketd serve
 * --single-use` or the request's "SingleUse" member, which a policy can
 * require through wicket:SingleUse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/keyrec.h"
#include "crypto/signkey.h"
#include "agent/sockproto.h"
#include "server/hub/agent_hub.h"
#include "server/hub/agent_hub_int.h"
#include "server/eic/eic.h"
#include "server/api/api.h"
#include "server/auth/authz.h"
#include "server/ec2/ec2.h"
#include "server/eic/eic.h"
#include "server/server.h"
#include "store/store.h"

#define ACCOUNT "123456789012"
#define INST "i-0123456789abcdef0"
#define ED_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICKXrB4K/csCCuynn0NOOS4a" \
	"Y18ij0TeNcjIxiJpb+S5"
#define ALLOW(cond) \
	"{\"Effect\": \"Allow\", \"Action\": " \
	"\"ec2-instance-connect:SendSSHPublicKey\", " \
	"\"Resource\": \"*\"" cond "}"
#define POLICY(stmts) "{\"Version\": \"2012-10-17\", \"Statement\": [" \
	stmts "]}"

struct fixture {
	char dir[64];
	char db[96];
	struct wk_server srv;
	struct wk_caller who;
	struct wk_api_resp resp;
	unsigned nreq;
	char rid[37];
};

static int
setup(void **state)
{
	static const uint8_t mk[WK_MASTER_KEY_LEN];
	struct fixture *f = calloc(1, sizeof(*f));
	struct wk_instance in;
	struct wk_hub_agent *a;
	char hk[] = ED_KEY "\n";

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk-push-once-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/wicket.db", f->dir);
	if (wk_store_open(f->db, mk, &f->srv.store) != 0 ||
	    wk_signkey_generate(&f->srv.signkey) != 0)
		return -1;
	snprintf(f->srv.account_id, sizeof(f->srv.account_id), ACCOUNT);
	snprintf(f->srv.region, sizeof(f->srv.region), "us-east-1");
	f->srv.cfg.key_ttl_seconds = 60;
	f->srv.cfg.agent_poll_seconds = 25;
	f->srv.cfg.agent_offline_seconds = 70;
	memset(&f->who, 0, sizeof(f->who));
	snprintf(f->who.user.name, sizeof(f->who.user.name), "alice");
	snprintf(f->who.user.id, sizeof(f->who.user.id),
	    "AIDAALICEXXXXXXXXXXXX");
	snprintf(f->who.user.path, sizeof(f->who.user.path), "/");
	snprintf(f->who.user.arn, sizeof(f->who.user.arn),
	    "arn:aws:iam::" ACCOUNT ":user/alice");
	f->who.user.create_date = time(NULL);
	snprintf(f->who.access_key_id, sizeof(f->who.access_key_id),
	    "AKIAALICE0000000000");
	memset(&in, 0, sizeof(in));
	snprintf(in.id, sizeof(in.id), INST);
	snprintf(in.hostname, sizeof(in.hostname), "web-1");
	snprintf(in.address, sizeof(in.address), "10.0.0.1");
	in.ssh_port = 22;
	in.host_keys = hk;
	snprintf(in.agent_secret_hash, sizeof(in.agent_secret_hash), "%064d",
	    0);
	in.create_date = in.last_seen = time(NULL);
	if (wk_agent_hub_new(&f->srv, &f->srv.hub) != 0 ||
	    wk_store_user_create(f->srv.store, &f->who.user) != 0 ||
	    wk_store_instance_create(f->srv.store, &in) != 0 ||
	    wk_hub_get(f->srv.hub, INST, &a) != 0)
		return -1;
	a->last_poll = time(NULL);
	a->single_use = true;	/* its agent said: pam_wicket installed */
	wk_buf_init(&f->resp.xml, 1 << 20);
	wk_ec2ic_throttle_reset();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[128];

	json_decref(f->resp.json);
	wk_buf_cleanup(&f->resp.xml);
	wk_agent_hub_free(f->srv.hub);
	wk_authz_cache_free(f->srv.authz);
	wk_signkey_free(f->srv.signkey);
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

/* Replaces alice's only policy (the authorization cache is dropped). */
static void
set_policy(struct fixture *f, const char *doc)
{
	assert_int_equal(wk_store_user_policy_put(f->srv.store, "alice", "p",
	    doc), 0);
	wk_authz_cache_free(f->srv.authz);
	f->srv.authz = NULL;
}

/* SendSSHPublicKey from `ip` with `extra` JSON members ("" for none). */
static int
push(struct fixture *f, const char *ip, const char *extra)
{
	struct wk_api_req req;
	json_error_t jerr;
	json_t *json;
	char body[8192];
	int r;

	json_decref(f->resp.json);
	f->resp.json = NULL;
	f->resp.status = 0;
	f->resp.error_code[0] = '\0';
	f->resp.error_message[0] = '\0';
	snprintf(body, sizeof(body), "{\"InstanceId\": \"" INST "\", "
	    "\"InstanceOSUser\": \"ubuntu\", \"SSHPublicKey\": \"" ED_KEY
	    "\"%s}", extra);
	json = json_loads(body, 0, &jerr);
	assert_non_null(json);
	snprintf(f->rid, sizeof(f->rid), "00000000-0000-4000-8000-%012u",
	    ++f->nreq);
	memset(&req, 0, sizeof(req));
	req.srv = &f->srv;
	req.caller = &f->who;
	req.request_id = f->rid;
	req.source_ip = ip;
	req.now = time(NULL);
	req.via = "api";
	req.json = json;
	r = wk_ec2ic_send_ssh_public_key.handle(&req, &f->resp);
	json_decref(json);
	return r;
}

/* The newest record the hub holds, verified. */
static void
newest(struct fixture *f, struct wk_keyrec *rec)
{
	struct wk_hub_agent *a = wk_hub_find(f->srv.hub, INST);
	struct wk_hub_rec *h;
	struct wk_pubkey pin;
	const char *why = NULL;

	assert_non_null(a);
	assert_non_null(a->head);
	for (h = a->head; h->next != NULL; h = h->next)
		continue;
	wk_signkey_public(f->srv.signkey, &pin);
	assert_int_equal(wk_keyrec_verify(wk_span_from_mem(h->data, h->len),
	    &pin, 1, INST, "ubuntu", time(NULL), rec, &why), 0);
	assert_string_equal(rec->request_id, f->rid);
}

static void
test_from_bound(void **state)
{
	struct fixture *f = *state;
	struct wk_keyrec rec;

	/* bound to 127.0.0.0/8: the record carries the caller's address */
	set_policy(f, POLICY(ALLOW(", \"Condition\": {\"IpAddress\": "
	    "{\"aws:SourceIp\": \"127.0.0.0/8\"}}")));
	assert_int_equal(push(f, "127.0.0.1", ""), 0);
	newest(f, &rec);
	assert_string_equal(rec.from, "127.0.0.1");
	/* outside the bound: refused, nothing pushed */
	assert_int_not_equal(push(f, "10.1.2.3", ""), 0);
	assert_string_equal(f->resp.error_code, "AuthException");

	/* IPv6, as OpenSSH's from= takes it */
	set_policy(f, POLICY(ALLOW(", \"Condition\": {\"IpAddress\": "
	    "{\"aws:SourceIp\": [\"2001:db8::/32\", \"::1/128\"]}}")));
	assert_int_equal(push(f, "2001:db8::7", ""), 0);
	newest(f, &rec);
	assert_string_equal(rec.from, "2001:db8::7");
	assert_int_equal(push(f, "::1", ""), 0);
	newest(f, &rec);
	assert_string_equal(rec.from, "::1");
	/* an IPv4 caller seen on a dual-stack socket: sshd sees IPv4 */
	set_policy(f, POLICY(ALLOW(", \"Condition\": {\"IpAddress\": "
	    "{\"aws:SourceIp\": [\"::ffff:0:0/96\", \"127.0.0.0/8\"]}}")));
	if (push(f, "::ffff:127.0.0.1", "") == 0) {
		newest(f, &rec);
		assert_string_equal(rec.from, "127.0.0.1");
	}
}

static void
test_from_unbound(void **state)
{
	struct fixture *f = *state;
	struct wk_keyrec rec;

	/* no address condition: no from= */
	set_policy(f, POLICY(ALLOW("")));
	assert_int_equal(push(f, "127.0.0.1", ""), 0);
	newest(f, &rec);
	assert_string_equal(rec.from, "");
	/* a second Allow without the bound also matches: not bound */
	set_policy(f, POLICY(ALLOW(", \"Condition\": {\"IpAddress\": "
	    "{\"aws:SourceIp\": \"127.0.0.0/8\"}}") "," ALLOW("")));
	assert_int_equal(push(f, "127.0.0.1", ""), 0);
	newest(f, &rec);
	assert_string_equal(rec.from, "");
	/* NotIpAddress is no bound to the caller's address either */
	set_policy(f, POLICY(ALLOW(", \"Condition\": {\"NotIpAddress\": "
	    "{\"aws:SourceIp\": \"10.0.0.0/8\"}}")));
	assert_int_equal(push(f, "127.0.0.1", ""), 0);
	newest(f, &rec);
	assert_string_equal(rec.from, "");
}

static void
test_single_use_member(void **state)
{
	struct fixture *f = *state;
	struct wk_keyrec rec;

	set_policy(f, POLICY(ALLOW("")));
	assert_int_equal(push(f, "127.0.0.1", ""), 0);
	newest(f, &rec);
	assert_false(rec.single_use);
	assert_int_equal(push(f, "127.0.0.1", ", \"SingleUse\": true"), 0);
	newest(f, &rec);
	assert_true(rec.single_use);
	assert_int_equal(push(f, "127.0.0.1", ", \"SingleUse\": false"), 0);
	newest(f, &rec);
	assert_false(rec.single_use);
	/* only a JSON boolean */
	assert_int_not_equal(push(f, "127.0.0.1", ", \"SingleUse\": \"true\""),
	    0);
	assert_string_equal(f->resp.error_code, "InvalidArgsException");
	assert_non_null(strstr(f->resp.error_message, "SingleUse"));
	assert_int_not_equal(push(f, "127.0.0.1", ", \"SingleUse\": 1"), 0);
	assert_string_equal(f->resp.error_code, "InvalidArgsException");
	assert_int_not_equal(push(f, "127.0.0.1", ", \"SingleUse\": null"), 0);
	assert_string_equal(f->resp.error_code, "InvalidArgsException");
	/* another unknown member is still refused */
	assert_int_not_equal(push(f, "127.0.0.1", ", \"Once\": true"), 0);
	assert_string_equal(f->resp.error_code, "InvalidArgsException");

	/* the server setting makes every record single-use */
	f->srv.cfg.single_use = true;
	assert_int_equal(push(f, "127.0.0.1", ""), 0);
	newest(f, &rec);
	assert_true(rec.single_use);
	assert_int_equal(push(f, "127.0.0.1", ", \"SingleUse\": false"), 0);
	newest(f, &rec);
	assert_true(rec.single_use);
	f->srv.cfg.single_use = false;
}

static void
test_policy_requires_single_use(void **state)
{
	struct fixture *f = *state;
	struct wk_keyrec rec;

	/* Deny unless single-use */
	set_policy(f, POLICY(ALLOW("") ",{\"Effect\": \"Deny\", \"Action\": "
	    "\"ec2-instance-connect:SendSSHPublicKey\", \"Resource\": \"*\", "
	    "\"Condition\": {\"Bool\": {\"wicket:SingleUse\": \"false\"}}}"));
	assert_int_not_equal(push(f, "127.0.0.1", ""), 0);
	assert_string_equal(f->resp.error_code, "AuthException");
	assert_int_not_equal(push(f, "127.0.0.1", ", \"SingleUse\": false"),
	    0);
	assert_string_equal(f->resp.error_code, "AuthException");
	assert_int_equal(push(f, "127.0.0.1", ", \"SingleUse\": true"), 0);
	newest(f, &rec);
	assert_true(rec.single_use);
	/* the server's setting satisfies it too */
	f->srv.cfg.single_use = true;
	assert_int_equal(push(f, "127.0.0.1", ""), 0);
	f->srv.cfg.single_use = false;

	/* Allow only when single-use */
	set_policy(f, POLICY(ALLOW(", \"Condition\": {\"Bool\": "
	    "{\"wicket:SingleUse\": \"true\"}}")));
	assert_int_not_equal(push(f, "127.0.0.1", ""), 0);
	assert_string_equal(f->resp.error_code, "AuthException");
	assert_int_equal(push(f, "127.0.0.1", ", \"SingleUse\": true"), 0);
}

/*
 * A host whose agent does not report single-use enforcement (no
 * pam_wicket: it would print the key at every login) gets no single-use
 * record: EC2InstanceStateInvalidException, audited; multi-use is fine.
 */
static void
test_single_use_needs_host_support(void **state)
{
	struct fixture *f = *state;
	struct wk_hub_agent *a = wk_hub_find(f->srv.hub, INST);
	struct wk_audit_filter filt = { .instance_id = INST, .max_items = 1 };
	struct wk_audit_event *ev = NULL;
	size_t n = 0, before;

	set_policy(f, POLICY(ALLOW("")));
	a->single_use = false;
	before = a->nrecs;
	assert_int_not_equal(push(f, "127.0.0.1", ", \"SingleUse\": true"),
	    0);
	assert_string_equal(f->resp.error_code,
	    "EC2InstanceStateInvalidException");
	assert_int_equal(f->resp.status, 400);
	assert_int_equal(a->nrecs, before);	/* nothing queued */
	assert_int_equal(wk_store_audit_query(f->srv.store, &filt, &ev, &n),
	    0);
	assert_int_equal(n, 1);
	assert_string_equal(ev[0].request_id, f->rid);
	assert_string_equal(ev[0].error_code,
	    "EC2InstanceStateInvalidException");
	wk_store_free(ev);
	/* The server's setting makes every push single-use: refused too. */
	f->srv.cfg.single_use = true;
	assert_int_not_equal(push(f, "127.0.0.1", ""), 0);
	assert_string_equal(f->resp.error_code,
	    "EC2InstanceStateInvalidException");
	f->srv.cfg.single_use = false;
	/* Multi-use keys still go. */
	assert_int_equal(push(f, "127.0.0.1", ""), 0);
	a->single_use = true;
	assert_int_equal(push(f, "127.0.0.1", ", \"SingleUse\": true"), 0);
}

/*
 * An agent holds at most 64 live records per OS user and refuses more
 * rather than evict another caller's pending key: wicketd refuses the push
 * that would not be held (ThrottlingException, audited), per instance and
 * user; another user is not affected.
 */
static void
test_user_limit_reaches_the_caller(void **state)
{
	struct fixture *f = *state;
	int i;

	set_policy(f, POLICY(ALLOW("")));
	wk_push_limit_reset();
	for (i = 0; i < WK_SOCK_MAX_RECORDS; i++) {
		wk_ec2ic_throttle_reset();	/* not the request rate */
		assert_int_equal(push(f, "127.0.0.1", ""), 0);
	}
	wk_ec2ic_throttle_reset();
	assert_int_not_equal(push(f, "127.0.0.1", ""), 0);
	assert_string_equal(f->resp.error_code, "ThrottlingException");
	assert_non_null(strstr(f->resp.error_message, "unexpired keys"));
	wk_push_limit_reset();
	wk_ec2ic_throttle_reset();
	assert_int_equal(push(f, "127.0.0.1", ""), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_bound),
		cmocka_unit_test(test_from_unbound),
		cmocka_unit_test(test_single_use_member),
		cmocka_unit_test(test_policy_requires_single_use),
		cmocka_unit_test(test_single_use_needs_host_support),
		cmocka_unit_test(test_user_limit_reaches_the_caller),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
