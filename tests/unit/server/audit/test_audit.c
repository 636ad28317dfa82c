/*
 * test_audit.c - audit events: what wk_audit_build records (and how it cuts
 * over-long, attacker-chosen values), that wk_audit_write makes them
 * durable in the store, and WicketService.ListAuditEvents (authorization,
 * filters, newest-first order, pagination, bad input).
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

#include "common/err.h"
#include "server/api/api.h"
#include "server/audit/audit.h"
#include "server/auth/authz.h"
#include "server/ec2/ec2.h"
#include "server/eic/eic.h"
#include "server/server.h"
#include "store/store.h"

#define ACCOUNT "123456789012"

static const char auditor_policy[] =
    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
    "\"Action\": \"wicket:ListAuditEvents\", \"Resource\": \"*\"}]}";

struct fixture {
	char dir[64];
	char db[96];
	struct wk_server srv;
	struct wk_caller auditor, nobody;
	struct wk_api_resp resp;
};

static void
make_caller(struct wk_caller *c, const char *name, const char *akid)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->user.name, sizeof(c->user.name), "%s", name);
	snprintf(c->user.id, sizeof(c->user.id), "AIDA%sXXXXXXXXXXXX", name);
	snprintf(c->user.path, sizeof(c->user.path), "/");
	snprintf(c->user.arn, sizeof(c->user.arn),
	    "arn:aws:iam::" ACCOUNT ":user/%s", name);
	c->user.create_date = time(NULL);
	snprintf(c->access_key_id, sizeof(c->access_key_id), "%s", akid);
}

static int
setup(void **state)
{
	static const uint8_t mk[WK_MASTER_KEY_LEN];
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk-audit-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/wicket.db", f->dir);
	if (wk_store_open(f->db, mk, &f->srv.store) != 0)
		return -1;
	snprintf(f->srv.account_id, sizeof(f->srv.account_id), ACCOUNT);
	snprintf(f->srv.region, sizeof(f->srv.region), "us-east-1");
	make_caller(&f->auditor, "auditor", "AKIAAUDITOR00000000");
	make_caller(&f->nobody, "nobody", "AKIANOBODY000000000");
	if (wk_store_user_create(f->srv.store, &f->auditor.user) != 0 ||
	    wk_store_user_create(f->srv.store, &f->nobody.user) != 0 ||
	    wk_store_user_policy_put(f->srv.store, "auditor", "audit",
	    auditor_policy) != 0)
		return -1;
	wk_buf_init(&f->resp.xml, 1 << 16);
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

static void
init_req(struct fixture *f, struct wk_api_req *req, const struct wk_caller *c,
    const char *rid)
{
	memset(req, 0, sizeof(*req));
	req->srv = &f->srv;
	req->caller = c;
	req->request_id = rid;
	req->source_ip = "192.0.2.7";
	req->now = time(NULL);
	req->via = "console";
}

static void
test_build(void **state)
{
	struct fixture *f = *state;
	struct wk_api_req req;
	struct wk_audit_event ev;
	struct wk_audit_info ai = {
		.action = WK_EC2IC_ACTION,
		.instance_id = "i-0123456789abcdef0",
		.os_user = "ubuntu",
		.key_fingerprint = "SHA256:abc",
		.error_code = NULL,
	};
	char longuser[200];

	init_req(f, &req, &f->auditor, "req-1");
	wk_audit_build(&req, &ai, 1700000000123LL, &ev);
	assert_int_equal(ev.time_ms, 1700000000123LL);
	assert_string_equal(ev.request_id, "req-1");
	assert_string_equal(ev.action, WK_EC2IC_ACTION);
	assert_string_equal(ev.caller_arn, f->auditor.user.arn);
	assert_string_equal(ev.access_key_id, "AKIAAUDITOR00000000");
	assert_string_equal(ev.source_ip, "192.0.2.7");
	assert_string_equal(ev.instance_id, "i-0123456789abcdef0");
	assert_string_equal(ev.os_user, "ubuntu");
	assert_string_equal(ev.key_fingerprint, "SHA256:abc");
	assert_string_equal(ev.decision, "Allow");
	assert_string_equal(ev.error_code, "");
	assert_string_equal(ev.via, "console");

	/* a refusal; unknown fields empty */
	ai.error_code = "AuthException";
	ai.instance_id = NULL;
	ai.key_fingerprint = NULL;
	wk_audit_build(&req, &ai, 1, &ev);
	assert_string_equal(ev.decision, "Deny");
	assert_string_equal(ev.error_code, "AuthException");
	assert_string_equal(ev.instance_id, "");
	assert_string_equal(ev.key_fingerprint, "");

	/* over-long input is cut, never split inside a UTF-8 sequence */
	memset(longuser, 'a', sizeof(longuser));
	longuser[sizeof(ev.os_user) - 2] = (char)0xc3;	/* "é" across the cut */
	longuser[sizeof(ev.os_user) - 1] = (char)0xa9;
	longuser[sizeof(longuser) - 1] = '\0';
	ai.os_user = longuser;
	wk_audit_build(&req, &ai, 1, &ev);
	assert_int_equal(strlen(ev.os_user), sizeof(ev.os_user) - 2);
	assert_int_equal((unsigned char)ev.os_user[sizeof(ev.os_user) - 3],
	    'a');

	/* no caller (never happens after authentication, but stays safe) */
	req.caller = NULL;
	req.via = NULL;
	wk_audit_build(&req, &ai, 1, &ev);
	assert_string_equal(ev.caller_arn, "");
	assert_string_equal(ev.via, "api");
}

static void
write_events(struct fixture *f, unsigned n)
{
	struct wk_api_req req;
	struct wk_audit_info ai;
	char rid[32], inst[20];
	unsigned i;

	for (i = 0; i < n; i++) {
		snprintf(rid, sizeof(rid), "req-%u", i);
		snprintf(inst, sizeof(inst), "i-%017u", i % 2);
		init_req(f, &req, i % 3 == 0 ? &f->nobody : &f->auditor, rid);
		memset(&ai, 0, sizeof(ai));
		ai.action = WK_EC2IC_ACTION;
		ai.instance_id = inst;
		ai.os_user = "ubuntu";
		ai.error_code = i % 2 ? "AuthException" : "";
		assert_int_equal(wk_audit_write(&req, &ai), 0);
	}
}

static void
test_write_durable(void **state)
{
	struct fixture *f = *state;
	static const uint8_t mk[WK_MASTER_KEY_LEN];
	struct wk_audit_filter flt;
	struct wk_audit_event *evs = NULL;
	size_t n = 0;

	write_events(f, 3);
	/* reopen: the events are on disk */
	wk_authz_cache_free(f->srv.authz);
	f->srv.authz = NULL;
	wk_store_close(f->srv.store);
	assert_int_equal(wk_store_open(f->db, mk, &f->srv.store), 0);
	memset(&flt, 0, sizeof(flt));
	assert_int_equal(wk_store_audit_query(f->srv.store, &flt, &evs, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(evs[0].request_id, "req-2");	/* newest first */
	assert_string_equal(evs[2].request_id, "req-0");
	assert_string_equal(evs[1].decision, "Deny");
	assert_string_equal(evs[2].decision, "Allow");
	wk_store_free(evs);
}

static int
list(struct fixture *f, const struct wk_caller *c, const char *body)
{
	struct wk_api_req req;
	json_error_t jerr;
	int r;

	json_decref(f->resp.json);
	f->resp.json = NULL;
	f->resp.error_code[0] = '\0';
	f->resp.status = 0;
	init_req(f, &req, c, "list-req");
	req.via = "api";
	req.json = json_loads(body, 0, &jerr);
	assert_non_null(req.json);
	r = wk_wicket_list_audit_events.handle(&req, &f->resp);
	json_decref(req.json);
	return r;
}

static void
test_list(void **state)
{
	struct fixture *f = *state;
	json_t *evs, *ev;
	char body[256], token[32];
	size_t seen = 0;

	write_events(f, 7);
	assert_int_equal(list(f, &f->auditor, "{}"), 0);
	evs = json_object_get(f->resp.json, "Events");
	assert_int_equal(json_array_size(evs), 7);
	assert_null(json_object_get(f->resp.json, "NextToken"));
	ev = json_array_get(evs, 0);
	assert_string_equal(json_string_value(json_object_get(ev,
	    "RequestId")), "req-6");
	assert_string_equal(json_string_value(json_object_get(ev,
	    "EventName")), WK_EC2IC_ACTION);
	assert_string_equal(json_string_value(json_object_get(ev,
	    "SourceIp")), "192.0.2.7");
	assert_string_equal(json_string_value(json_object_get(ev,
	    "Decision")), "Allow");
	assert_int_equal(strlen(json_string_value(json_object_get(ev,
	    "EventTime"))), 20);

	/* filters */
	assert_int_equal(list(f, &f->auditor,
	    "{\"InstanceId\": \"i-00000000000000001\"}"), 0);
	assert_int_equal(json_array_size(json_object_get(f->resp.json,
	    "Events")), 3);
	assert_int_equal(list(f, &f->auditor, "{\"CallerArn\": "
	    "\"arn:aws:iam::" ACCOUNT ":user/nobody\"}"), 0);
	assert_int_equal(json_array_size(json_object_get(f->resp.json,
	    "Events")), 3);	/* 0, 3, 6 */
	assert_int_equal(list(f, &f->auditor, "{\"EndTime\": 1000}"), 0);
	assert_int_equal(json_array_size(json_object_get(f->resp.json,
	    "Events")), 0);

	/* pages of 3: 3 + 3 + 1 */
	snprintf(body, sizeof(body), "{\"MaxResults\": 3}");
	for (;;) {
		assert_int_equal(list(f, &f->auditor, body), 0);
		seen += json_array_size(json_object_get(f->resp.json,
		    "Events"));
		ev = json_object_get(f->resp.json, "NextToken");
		if (ev == NULL)
			break;
		snprintf(token, sizeof(token), "%s", json_string_value(ev));
		snprintf(body, sizeof(body), "{\"MaxResults\": 3, "
		    "\"NextToken\": \"%s\"}", token);
		assert_true(seen < 7);
	}
	assert_int_equal(seen, 7);
}

static void
test_list_refused(void **state)
{
	static const char *const bad[] = {
		"{\"MaxResults\": 0}",
		"{\"MaxResults\": 1001}",
		"{\"MaxResults\": \"5\"}",
		"{\"StartTime\": \"yesterday\"}",
		"{\"StartTime\": -1}",
		"{\"StartTime\": 100, \"EndTime\": 50}",
		"{\"InstanceId\": 7}",
		"{\"InstanceId\": \"\"}",
		"{\"Bogus\": 1}",
	};
	struct fixture *f = *state;
	size_t i;

	/* not allowed */
	assert_int_not_equal(list(f, &f->nobody, "{}"), 0);
	assert_true(f->resp.error_code[0] != '\0');
	assert_null(f->resp.json);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (list(f, &f->auditor, bad[i]) == 0)
			fail_msg("accepted %s", bad[i]);
		assert_string_equal(f->resp.error_code, "ValidationException");
	}
	assert_int_not_equal(list(f, &f->auditor, "{\"NextToken\": \"x1\"}"),
	    0);
	assert_string_equal(f->resp.error_code, "InvalidNextTokenException");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_durable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_refused, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
