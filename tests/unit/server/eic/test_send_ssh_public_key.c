/*
 * test_send_ssh_public_key.c - SendSSHPublicKey against a real store, the
 * real policy engine and a real agent hub (no HTTP): AWS's field
 * constraints (InvalidArgsException per field), registry, authorization,
 * agent online, throttling, the audit event of every call, and the signed
 * record that reaches the hub only when the call succeeds. (The two
 * DescribeInstances actions: tests/unit/server/ec2/.)
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
#include "common/time.h"
#include "crypto/keyrec.h"
#include "crypto/signkey.h"
#include "server/hub/agent_hub.h"
#include "server/hub/agent_hub_int.h"
#include "server/api/api.h"
#include "server/auth/authz.h"
#include "server/ec2/ec2.h"
#include "server/eic/eic.h"
#include "server/server.h"
#include "store/store.h"

#define ACCOUNT "123456789012"
#define INST1 "i-0123456789abcdef0"	/* env=prod, online */
#define INST2 "i-0123456789abcdef1"	/* env=dev, online */
#define INST3 "i-0123456789abcdef2"	/* env=prod, offline */
#define ED_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICKXrB4K/csCCuynn0NOOS4a" \
	"Y18ij0TeNcjIxiJpb+S5"
#define RSA1024_KEY "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC0bokwyOUUe42Z6gY" \
	"IrEtQxg0QuenArottfokNbepP47oWgDHO4/IHAElGW/AOL1qUV/D3931lQixUH9L7aUI" \
	"6gByFrrD18442cRhLhqsbCkSkKqZUV4MIcj/Zypq2gHiBbfTnOa4bbt2ZmQVCjHIpphi" \
	"2BUGLbqpjMIwrAqH/dQ=="

/* alice may push as ubuntu to env=prod instances, and describe those */
static const char alice_policy[] =
    "{\"Version\": \"2012-10-17\", \"Statement\": ["
    "{\"Effect\": \"Allow\", \"Action\": "
    "\"ec2-instance-connect:SendSSHPublicKey\", \"Resource\": "
    "\"arn:aws:ec2:us-east-1:" ACCOUNT ":instance/*\", \"Condition\": {"
    "\"StringEquals\": {\"ec2:osuser\": \"ubuntu\", "
    "\"ec2:ResourceTag/env\": \"prod\"}}},"
    "{\"Effect\": \"Allow\", \"Action\": \"ec2:DescribeInstances\", "
    "\"Resource\": \"*\", \"Condition\": {\"StringEquals\": "
    "{\"ec2:ResourceTag/env\": \"prod\"}}}]}";

struct fixture {
	char dir[64];
	char db[96];
	struct wk_server srv;
	struct wk_caller alice, bob;
	struct wk_api_resp resp;
	unsigned nreq;
	char rid[37];
};

static int
add_user(struct fixture *f, const char *name, struct wk_caller *c,
    const char *akid)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->user.name, sizeof(c->user.name), "%s", name);
	snprintf(c->user.id, sizeof(c->user.id), "AIDA%sXXXXXXXXXXXX", name);
	snprintf(c->user.path, sizeof(c->user.path), "/");
	snprintf(c->user.arn, sizeof(c->user.arn),
	    "arn:aws:iam::" ACCOUNT ":user/%s", name);
	c->user.create_date = time(NULL);
	snprintf(c->access_key_id, sizeof(c->access_key_id), "%s", akid);
	return wk_store_user_create(f->srv.store, &c->user);
}

static int
add_instance(struct fixture *f, const char *id, const char *env)
{
	struct wk_instance in;
	struct wk_tag tag;
	char hk[] = ED_KEY "\n";

	memset(&in, 0, sizeof(in));
	snprintf(in.id, sizeof(in.id), "%s", id);
	snprintf(in.hostname, sizeof(in.hostname), "host-%s", env);
	snprintf(in.address, sizeof(in.address), "10.0.0.%c", id[18]);
	in.ssh_port = 22;
	in.host_keys = hk;
	snprintf(in.agent_secret_hash, sizeof(in.agent_secret_hash), "%064d",
	    0);
	in.create_date = in.last_seen = time(NULL);
	memset(&tag, 0, sizeof(tag));
	snprintf(tag.key, sizeof(tag.key), "env");
	snprintf(tag.value, sizeof(tag.value), "%s", env);
	if (wk_store_instance_create(f->srv.store, &in) != 0 ||
	    wk_store_instance_tags_set(f->srv.store, id, &tag, 1) != 0)
		return -1;
	return 0;
}

static int
mark_online(struct fixture *f, const char *id)
{
	struct wk_hub_agent *a;

	if (wk_hub_get(f->srv.hub, id, &a) != 0)
		return -1;
	a->last_poll = time(NULL);
	return 0;
}

static int
setup(void **state)
{
	static const uint8_t mk[WK_MASTER_KEY_LEN];
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk-ec2ic-XXXXXX");
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
	if (wk_agent_hub_new(&f->srv, &f->srv.hub) != 0 ||
	    add_user(f, "alice", &f->alice, "AKIAALICE0000000000") != 0 ||
	    add_user(f, "bob", &f->bob, "AKIABOB000000000000") != 0 ||
	    wk_store_user_policy_put(f->srv.store, "alice", "push",
	    alice_policy) != 0 ||
	    add_instance(f, INST1, "prod") != 0 ||
	    add_instance(f, INST2, "dev") != 0 ||
	    add_instance(f, INST3, "prod") != 0 ||
	    mark_online(f, INST1) != 0 || mark_online(f, INST2) != 0)
		return -1;
	wk_buf_init(&f->resp.xml, 1 << 20);
	wk_ec2ic_throttle_reset();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	json_decref(f->resp.json);
	wk_buf_cleanup(&f->resp.xml);
	wk_agent_hub_free(f->srv.hub);
	wk_authz_cache_free(f->srv.authz);
	wk_signkey_free(f->srv.signkey);
	wk_store_close(f->srv.store);
	unlink(f->db);
	{
		char p[128];

		snprintf(p, sizeof(p), "%s-wal", f->db);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", f->db);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Runs an action with a JSON body (or Query params) as `who`. */
static int
call(struct fixture *f, const struct wk_api_action *act,
    const struct wk_caller *who, const char *body,
    const struct wk_params *params)
{
	struct wk_api_req req;
	json_error_t jerr;
	json_t *json = NULL;
	int r;

	json_decref(f->resp.json);
	f->resp.json = NULL;
	wk_buf_reset(&f->resp.xml);
	f->resp.status = 0;
	f->resp.error_code[0] = '\0';
	f->resp.error_message[0] = '\0';
	if (body != NULL) {
		json = json_loads(body, 0, &jerr);
		assert_non_null(json);
	}
	snprintf(f->rid, sizeof(f->rid),
	    "00000000-0000-4000-8000-%012u", ++f->nreq);
	memset(&req, 0, sizeof(req));
	req.srv = &f->srv;
	req.caller = who;
	req.request_id = f->rid;
	req.source_ip = "127.0.0.9";
	req.now = time(NULL);
	req.via = "api";
	req.json = json;
	req.params = params;
	r = act->handle(&req, &f->resp);
	json_decref(json);
	return r;
}

static int
push(struct fixture *f, const struct wk_caller *who, const char *instance,
    const char *user, const char *key)
{
	char body[8192];

	snprintf(body, sizeof(body), "{\"InstanceId\": \"%s\", "
	    "\"InstanceOSUser\": \"%s\", \"SSHPublicKey\": \"%s\"}", instance,
	    user, key);
	return call(f, &wk_ec2ic_send_ssh_public_key, who, body, NULL);
}

/* The newest audit event. */
static void
last_event(struct fixture *f, struct wk_audit_event *out)
{
	struct wk_audit_filter flt;
	struct wk_audit_event *evs = NULL;
	size_t n = 0;

	memset(&flt, 0, sizeof(flt));
	flt.max_items = 1;
	assert_int_equal(wk_store_audit_query(f->srv.store, &flt, &evs, &n), 0);
	assert_int_equal(n, 1);
	*out = evs[0];
	wk_store_free(evs);
}

static void
assert_refused(struct fixture *f, const char *code, const char *field)
{
	struct wk_audit_event ev;

	assert_string_equal(f->resp.error_code, code);
	assert_true(f->resp.status >= 400);
	if (field != NULL && strstr(f->resp.error_message, field) == NULL)
		fail_msg("message \"%s\" does not name %s",
		    f->resp.error_message, field);
	assert_null(f->resp.json);
	/* audited as a denial of this very request */
	last_event(f, &ev);
	assert_string_equal(ev.request_id, f->rid);
	assert_string_equal(ev.decision, "Deny");
	assert_string_equal(ev.error_code, code);
	assert_string_equal(ev.action, WK_EC2IC_ACTION);
	/* nothing reached the hub */
	assert_int_equal(f->srv.hub->nrecords, 0);
}

static void
test_success(void **state)
{
	struct fixture *f = *state;
	struct wk_audit_event ev;
	struct wk_hub_agent *a;
	struct wk_keyrec rec;
	struct wk_pubkey pin;
	const char *why = NULL;

	assert_int_equal(push(f, &f->alice, INST1, "ubuntu",
	    ED_KEY " alice@laptop"), 0);
	assert_string_equal(f->resp.error_code, "");
	assert_non_null(f->resp.json);
	assert_string_equal(json_string_value(json_object_get(f->resp.json,
	    "RequestId")), f->rid);
	assert_true(json_is_true(json_object_get(f->resp.json, "Success")));
	{	/* wicket's extra member: where the instance's sshd is */
		json_t *wi = json_object_get(f->resp.json, "WicketInstance");

		assert_non_null(wi);
		assert_string_equal(json_string_value(json_object_get(wi,
		    "InstanceId")), INST1);
		assert_string_equal(json_string_value(json_object_get(wi,
		    "Hostname")), "host-prod");
		assert_string_equal(json_string_value(json_object_get(wi,
		    "Address")), "10.0.0.0");
		assert_int_equal(json_integer_value(json_object_get(wi,
		    "SshPort")), 22);
		assert_int_equal(json_array_size(json_object_get(wi,
		    "HostKeys")), 1);
		assert_string_equal(json_string_value(json_array_get(
		    json_object_get(wi, "HostKeys"), 0)), ED_KEY);
	}

	last_event(f, &ev);
	assert_string_equal(ev.request_id, f->rid);
	assert_string_equal(ev.decision, "Allow");
	assert_string_equal(ev.error_code, "");
	assert_string_equal(ev.caller_arn, f->alice.user.arn);
	assert_string_equal(ev.access_key_id, "AKIAALICE0000000000");
	assert_string_equal(ev.source_ip, "127.0.0.9");
	assert_string_equal(ev.instance_id, INST1);
	assert_string_equal(ev.os_user, "ubuntu");
	assert_string_equal(ev.via, "api");
	assert_true(strncmp(ev.key_fingerprint, "SHA256:", 7) == 0);

	/* the hub holds one record, signed by our key, for this push */
	assert_int_equal(f->srv.hub->nrecords, 1);
	a = wk_hub_find(f->srv.hub, INST1);
	assert_non_null(a);
	assert_int_equal(a->nrecs, 1);
	wk_signkey_public(f->srv.signkey, &pin);
	assert_int_equal(wk_keyrec_verify(wk_span_from_mem(a->head->data,
	    a->head->len), &pin, 1, INST1, "ubuntu", time(NULL), &rec, &why),
	    0);
	assert_string_equal(rec.pubkey, ED_KEY);
	assert_string_equal(rec.caller_arn, f->alice.user.arn);
	assert_string_equal(rec.request_id, f->rid);
	assert_string_equal(rec.fingerprint, ev.key_fingerprint);
	assert_true(rec.expires - rec.issued == 60);
	assert_true(a->head->expires == (time_t)rec.expires);

	/* AvailabilityZone of our region is fine */
	assert_int_equal(call(f, &wk_ec2ic_send_ssh_public_key, &f->alice,
	    "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": \"ubuntu\", "
	    "\"SSHPublicKey\": \"" ED_KEY "\", \"AvailabilityZone\": "
	    "\"us-east-1a\"}", NULL), 0);
	assert_int_equal(f->srv.hub->nrecords, 2);
}

static void
test_invalid_args(void **state)
{
	static const struct {
		const char *body;
		const char *field;
	} cases[] = {
		{ "{}", "InstanceId" },
		{ "{\"InstanceOSUser\": \"ubuntu\", \"SSHPublicKey\": \""
		    ED_KEY "\"}", "InstanceId" },
		{ "{\"InstanceId\": \"i-0123\", \"InstanceOSUser\": \"ubuntu\","
		    " \"SSHPublicKey\": \"" ED_KEY "\"}", "InstanceId" },
		{ "{\"InstanceId\": \"i-0123456789abcdef0123456789abcdef0\", "
		    "\"InstanceOSUser\": \"ubuntu\", \"SSHPublicKey\": \""
		    ED_KEY "\"}", "InstanceId" },
		{ "{\"InstanceId\": \"i-0123456789ABCDEF0\", "
		    "\"InstanceOSUser\": \"ubuntu\", \"SSHPublicKey\": \""
		    ED_KEY "\"}", "InstanceId" },
		{ "{\"InstanceId\": \"x-0123456789abcdef0\", "
		    "\"InstanceOSUser\": \"ubuntu\", \"SSHPublicKey\": \""
		    ED_KEY "\"}", "InstanceId" },
		{ "{\"InstanceId\": 5, \"InstanceOSUser\": \"ubuntu\", "
		    "\"SSHPublicKey\": \"" ED_KEY "\"}", "InstanceId" },
		{ "{\"InstanceId\": \"" INST1 "\", \"SSHPublicKey\": \""
		    ED_KEY "\"}", "InstanceOSUser" },
		{ "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": \"\", "
		    "\"SSHPublicKey\": \"" ED_KEY "\"}", "InstanceOSUser" },
		{ "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": "
		    "\"1root\", \"SSHPublicKey\": \"" ED_KEY "\"}",
		    "InstanceOSUser" },
		{ "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": "
		    "\"ro ot\", \"SSHPublicKey\": \"" ED_KEY "\"}",
		    "InstanceOSUser" },
		{ "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": "
		    "\"a$b\", \"SSHPublicKey\": \"" ED_KEY "\"}",
		    "InstanceOSUser" },
		{ "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": "
		    "\"abcdefghijklmnopqrstuvwxyz0123456\", \"SSHPublicKey\": \""
		    ED_KEY "\"}", "InstanceOSUser" },
		{ "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": "
		    "\"ubuntu\"}", "SSHPublicKey" },
		{ "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": "
		    "\"ubuntu\", \"SSHPublicKey\": \"ssh-ed25519 AAAA\"}",
		    "SSHPublicKey" },
		/* long enough, but garbage */
		{ "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": "
		    "\"ubuntu\", \"SSHPublicKey\": \"ssh-ed25519 "
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", "SSHPublicKey" },
		/* RSA under 2048 bits */
		{ "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": "
		    "\"ubuntu\", \"SSHPublicKey\": \"" RSA1024_KEY "\"}",
		    "SSHPublicKey" },
		/* two lines */
		{ "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": "
		    "\"ubuntu\", \"SSHPublicKey\": \"" ED_KEY "\\n" ED_KEY "\"}",
		    "SSHPublicKey" },
		/* options before the key */
		{ "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": "
		    "\"ubuntu\", \"SSHPublicKey\": \"command=\\\"/bin/sh\\\" "
		    ED_KEY "\"}", "SSHPublicKey" },
		{ "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": "
		    "\"ubuntu\", \"SSHPublicKey\": \"" ED_KEY "\", "
		    "\"AvailabilityZone\": \"east\"}", "AvailabilityZone" },
		{ "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": "
		    "\"ubuntu\", \"SSHPublicKey\": \"" ED_KEY "\", "
		    "\"AvailabilityZone\": \"us-east-a1\"}", "AvailabilityZone" },
		/* well-formed, but another region's */
		{ "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": "
		    "\"ubuntu\", \"SSHPublicKey\": \"" ED_KEY "\", "
		    "\"AvailabilityZone\": \"eu-west-1b\"}", "AvailabilityZone" },
		{ "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": "
		    "\"ubuntu\", \"SSHPublicKey\": \"" ED_KEY "\", "
		    "\"Extra\": \"x\"}", "Extra" },
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (call(f, &wk_ec2ic_send_ssh_public_key, &f->alice,
		    cases[i].body, NULL) == 0 && f->resp.error_code[0] == '\0')
			fail_msg("case %zu accepted: %s", i, cases[i].body);
		if (strcmp(f->resp.error_code, "InvalidArgsException") != 0)
			fail_msg("case %zu: %s (%s)", i, f->resp.error_code,
			    f->resp.error_message);
		assert_int_equal(f->resp.status, 400);
		assert_refused(f, "InvalidArgsException", cases[i].field);
	}
}

static void
test_patterns(void **state)
{
	(void)state;
	assert_true(wk_ec2ic_valid_instance_id("i-0123456789"));
	assert_true(wk_ec2ic_valid_instance_id(INST1));
	assert_false(wk_ec2ic_valid_instance_id("i-0123456"));
	assert_true(wk_ec2ic_valid_instance_id("i-01234567"));
	assert_false(wk_ec2ic_valid_instance_id("i-0123456789g"));
	assert_true(wk_ec2ic_valid_os_user("u"));
	assert_true(wk_ec2ic_valid_os_user("_"));
	assert_true(wk_ec2ic_valid_os_user("ec2-user"));
	assert_true(wk_ec2ic_valid_os_user("a.b@c"));
	assert_true(wk_ec2ic_valid_os_user("machine$"));
	/* 32: 1 + 30 + a final character of the last class */
	assert_true(wk_ec2ic_valid_os_user("abcdefghijklmnopqrstuvwxyz01234$"));
	assert_true(wk_ec2ic_valid_os_user("abcdefghijklmnopqrstuvwxyz012345"));
	/* 32 ending in '.', which only the middle class has */
	assert_false(wk_ec2ic_valid_os_user("abcdefghijklmnopqrstuvwxyz01234."));
	assert_true(wk_ec2ic_valid_os_user("abcdefghijklmnopqrstuvwxyz0123."));
	assert_false(wk_ec2ic_valid_os_user("$"));
	assert_false(wk_ec2ic_valid_os_user("a$$"));
	assert_false(wk_ec2ic_valid_os_user("-a"));
	assert_false(wk_ec2ic_valid_os_user("a/b"));
	assert_true(wk_ec2ic_valid_az("us-east-1a"));
	assert_true(wk_ec2ic_valid_az("us-gov-west-1a"));
	assert_true(wk_ec2ic_valid_az("ap-northeast-1d"));
	assert_false(wk_ec2ic_valid_az("us-east-a"));
	assert_false(wk_ec2ic_valid_az("us-east-1"));
	assert_false(wk_ec2ic_valid_az("useast1a"));
	assert_false(wk_ec2ic_valid_az("a-b-c-d-1a"));
	assert_false(wk_ec2ic_valid_az("us--east-1a"));
	assert_true(wk_ec2ic_az_in_region("us-east-1a", "us-east-1"));
	assert_false(wk_ec2ic_az_in_region("us-east-12a", "us-east-1"));
	assert_false(wk_ec2ic_az_in_region("us-east-1", "us-east-1"));
	assert_false(wk_ec2ic_az_in_region("eu-west-1a", "us-east-1"));
}

/*
 * Authorization comes first: alice (env=prod instances only) learns
 * nothing of an id she may not push to, existing or not; a caller allowed
 * on every instance is told it does not exist (404).
 */
static void
test_not_found(void **state)
{
	static const char any_policy[] =
	    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": "
	    "\"Allow\", \"Action\": \"ec2-instance-connect:SendSSHPublicKey\", "
	    "\"Resource\": \"*\"}]}";
	struct fixture *f = *state;
	char missing[2048], other[2048];

	assert_int_not_equal(push(f, &f->alice, "i-0000000000000dead",
	    "ubuntu", ED_KEY), 0);
	assert_int_equal(f->resp.status, 403);
	assert_refused(f, "AuthException", NULL);
	snprintf(missing, sizeof(missing), "%s", f->resp.error_message);
	/* INST2 exists (env=dev): the same answer, bar the id */
	assert_int_not_equal(push(f, &f->alice, INST2, "ubuntu", ED_KEY), 0);
	assert_int_equal(f->resp.status, 403);
	assert_refused(f, "AuthException", NULL);
	snprintf(other, sizeof(other), "%s", f->resp.error_message);
	assert_non_null(strstr(missing, "i-0000000000000dead"));
	assert_non_null(strstr(other, INST2));
	assert_int_equal(strlen(missing), strlen(other));

	assert_int_equal(wk_store_user_policy_put(f->srv.store, "bob", "any",
	    any_policy), 0);
	wk_authz_cache_free(f->srv.authz);
	f->srv.authz = NULL;
	assert_int_not_equal(push(f, &f->bob, "i-0000000000000dead",
	    "ubuntu", ED_KEY), 0);
	assert_int_equal(f->resp.status, 404);
	assert_refused(f, "EC2InstanceNotFoundException",
	    "i-0000000000000dead");
}

/* wicketd cannot sign the record: 500 ServiceException (SDKs retry). */
static void
test_service_error(void **state)
{
	struct fixture *f = *state;
	struct wk_signkey *key = f->srv.signkey;

	f->srv.signkey = NULL;
	assert_int_not_equal(push(f, &f->alice, INST1, "ubuntu", ED_KEY), 0);
	f->srv.signkey = key;
	assert_int_equal(f->resp.status, 500);
	assert_refused(f, "ServiceException", NULL);
}

/* An AvailabilityZone that is not the instance's: refused, both named. */
static void
test_wrong_zone(void **state)
{
	struct fixture *f = *state;

	assert_int_not_equal(call(f, &wk_ec2ic_send_ssh_public_key, &f->alice,
	    "{\"InstanceId\": \"" INST1 "\", \"InstanceOSUser\": \"ubuntu\", "
	    "\"SSHPublicKey\": \"" ED_KEY "\", \"AvailabilityZone\": "
	    "\"us-east-1b\"}", NULL), 0);
	assert_int_equal(f->resp.status, 400);
	assert_refused(f, "InvalidArgsException", "us-east-1b");
	assert_non_null(strstr(f->resp.error_message, "us-east-1a"));
	assert_non_null(strstr(f->resp.error_message, INST1));
	/* the model's error member is "Message" */
	assert_string_equal(f->resp.json_message_member, "Message");
}

static void
test_denied(void **state)
{
	struct fixture *f = *state;
	struct wk_audit_event ev;

	/* bob has no policy */
	assert_int_not_equal(push(f, &f->bob, INST1, "ubuntu", ED_KEY), 0);
	assert_refused(f, "AuthException", NULL);
	last_event(f, &ev);
	assert_string_equal(ev.caller_arn, f->bob.user.arn);
	assert_true(strncmp(ev.key_fingerprint, "SHA256:", 7) == 0);
	/* alice, but another OS user */
	assert_int_not_equal(push(f, &f->alice, INST1, "root", ED_KEY), 0);
	assert_refused(f, "AuthException", NULL);
	/* alice, but an instance without env=prod */
	assert_int_not_equal(push(f, &f->alice, INST2, "ubuntu", ED_KEY), 0);
	assert_refused(f, "AuthException", NULL);
	assert_int_equal(f->resp.status, 403);
}

static void
test_offline(void **state)
{
	struct fixture *f = *state;

	assert_int_not_equal(push(f, &f->alice, INST3, "ubuntu", ED_KEY), 0);
	assert_refused(f, "EC2InstanceUnavailableException", NULL);
	assert_int_equal(f->resp.status, 503);
	/* seen too long ago */
	wk_hub_find(f->srv.hub, INST1)->last_poll = time(NULL) - 71;
	assert_int_not_equal(push(f, &f->alice, INST1, "ubuntu", ED_KEY), 0);
	assert_refused(f, "EC2InstanceUnavailableException", NULL);
}

static void
test_throttle(void **state)
{
	struct fixture *f = *state;
	unsigned i;

	(void)f;
	wk_ec2ic_throttle_reset();
	for (i = 0; i < WK_EC2IC_BURST; i++)
		assert_true(wk_ec2ic_throttle_take("AKIAONE", 1000));
	assert_false(wk_ec2ic_throttle_take("AKIAONE", 1000));
	/* another caller has its own bucket */
	assert_true(wk_ec2ic_throttle_take("AKIATWO", 1000));
	/* 20 per second: one token per 50 ms */
	assert_false(wk_ec2ic_throttle_take("AKIAONE", 1049));
	assert_true(wk_ec2ic_throttle_take("AKIAONE", 1050));
	assert_false(wk_ec2ic_throttle_take("AKIAONE", 1050));
	/* a long pause refills only up to the burst */
	for (i = 0; i < WK_EC2IC_BURST; i++)
		assert_true(wk_ec2ic_throttle_take("AKIAONE", 1000000));
	assert_false(wk_ec2ic_throttle_take("AKIAONE", 1000000));

	/* through the action: a caller whose bucket is empty is throttled
	 * (drained "in the future" so that no refill can happen) */
	wk_ec2ic_throttle_reset();
	while (wk_ec2ic_throttle_take(f->bob.access_key_id,
	    wk_mono_ms() + 3600 * 1000))
		;
	assert_int_not_equal(push(f, &f->bob, INST1, "ubuntu", ED_KEY), 0);
	assert_refused(f, "ThrottlingException", NULL);
	assert_int_equal(f->resp.status, 429);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_args, setup,
		    teardown),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test_setup_teardown(test_not_found, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_denied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_zone, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_service_error, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_offline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throttle, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
