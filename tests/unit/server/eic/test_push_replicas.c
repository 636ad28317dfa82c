/*
 * test_push_replicas.c - a push written synchronously (wk_push_key: the
 * console's terminal, or SendSSHPublicKey without group commit) on
 * PostgreSQL with replicas: its hub_records row is written in the
 * transaction of its audit event, so a push answered Success has both,
 * and a push whose commit fails (PostgreSQL refuses the row) is answered
 * ServiceException and leaves neither.
 */
#include "../../store/store_fixture.h"

#include <jansson.h>

#include "crypto/signkey.h"
#include "server/api/api.h"
#include "server/eic/eic.h"
#include "server/hub/agent_hub.h"
#include "server/server.h"

#define ACCOUNT "123456789012"
#define INST "i-0123456789abcdef0"
#define ED_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICKXrB4K/csCCuynn0NOOS4a" \
	"Y18ij0TeNcjIxiJpb+S5"

static const char policy[] =
    "{\"Version\": \"2012-10-17\", \"Statement\": ["
    "{\"Effect\": \"Allow\", \"Action\": "
    "\"ec2-instance-connect:SendSSHPublicKey\", \"Resource\": \"*\"}]}";

struct pfx {
	struct fx fx;
	struct wk_server srv;
	struct wk_caller alice;
	struct wk_api_resp resp;
	char rid[37];
	unsigned nreq;
};

static int
setup(void **state)
{
	struct pfx *p = calloc(1, sizeof(*p));
	struct wk_instance in;
	char hk[] = ED_KEY "\n";

	if (p == NULL)
		return -1;
	wk_log_set_level(WK_LOG_NONE);
	if (fx_pg_setup(&p->fx) != 0)
		return -1;
	p->srv.store = p->fx.st;
	if (wk_signkey_generate(&p->srv.signkey) != 0)
		return -1;
	snprintf(p->srv.account_id, sizeof(p->srv.account_id), ACCOUNT);
	snprintf(p->srv.region, sizeof(p->srv.region), "us-east-1");
	p->srv.cfg.key_ttl_seconds = 60;
	p->srv.cfg.agent_poll_seconds = 25;
	p->srv.cfg.agent_offline_seconds = 70;
	snprintf(p->alice.user.name, sizeof(p->alice.user.name), "alice");
	snprintf(p->alice.user.id, sizeof(p->alice.user.id),
	    "AIDAALICEXXXXXXXXXXXX");
	snprintf(p->alice.user.path, sizeof(p->alice.user.path), "/");
	snprintf(p->alice.user.arn, sizeof(p->alice.user.arn),
	    "arn:aws:iam::" ACCOUNT ":user/alice");
	p->alice.user.create_date = time(NULL);
	snprintf(p->alice.access_key_id, sizeof(p->alice.access_key_id),
	    "AKIAALICE0000000000");
	memset(&in, 0, sizeof(in));
	snprintf(in.id, sizeof(in.id), INST);
	snprintf(in.hostname, sizeof(in.hostname), "host");
	snprintf(in.address, sizeof(in.address), "10.0.0.1");
	in.ssh_port = 22;
	in.host_keys = hk;
	snprintf(in.agent_secret_hash, sizeof(in.agent_secret_hash), "%064d",
	    0);
	in.create_date = in.last_seen = time(NULL);	/* online */
	if (wk_store_user_create(p->srv.store, &p->alice.user) != 0 ||
	    wk_store_user_policy_put(p->srv.store, "alice", "push",
	    policy) != 0 ||
	    wk_store_instance_create(p->srv.store, &in) != 0 ||
	    wk_agent_hub_new(&p->srv, &p->srv.hub) != 0 ||
	    wk_agent_hub_replicas_start(p->srv.hub) != 0 ||
	    !wk_agent_hub_stores_records(p->srv.hub))
		return -1;
	wk_buf_init(&p->resp.xml, 1 << 20);
	wk_ec2ic_throttle_reset();
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	struct pfx *p = *state;
	char sql[96];

	json_decref(p->resp.json);
	wk_buf_cleanup(&p->resp.xml);
	wk_agent_hub_free(p->srv.hub);
	wk_authz_cache_free(p->srv.authz);
	wk_signkey_free(p->srv.signkey);
	wk_store_close(p->fx.st);
	snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", p->fx.schema);
	(void)fx_pg_exec(sql);
	free(p);
	return 0;
}

/* SendSSHPublicKey without group commit (no req.call): wk_push_key. */
static int
push(struct pfx *p, const char *key)
{
	struct wk_api_req req;
	char body[1024];
	json_t *json;
	int r;

	json_decref(p->resp.json);
	p->resp.json = NULL;
	p->resp.status = 0;
	p->resp.error_code[0] = '\0';
	p->resp.error_message[0] = '\0';
	snprintf(body, sizeof(body), "{\"InstanceId\": \"" INST "\", "
	    "\"InstanceOSUser\": \"ubuntu\", \"SSHPublicKey\": \"%s\"}", key);
	json = json_loads(body, 0, NULL);
	assert_non_null(json);
	snprintf(p->rid, sizeof(p->rid), "00000000-0000-4000-8000-%012u",
	    ++p->nreq);
	memset(&req, 0, sizeof(req));
	req.srv = &p->srv;
	req.caller = &p->alice;
	req.request_id = p->rid;
	req.source_ip = "127.0.0.9";
	req.now = time(NULL);
	req.via = "api";
	req.json = json;
	r = wk_ec2ic_send_ssh_public_key.handle(&req, &p->resp);
	json_decref(json);
	return r;
}

static size_t
events_of(struct pfx *p, const char *rid)
{
	struct wk_audit_filter flt = { .request_id = rid };
	struct wk_audit_event *v = NULL;
	size_t n = 99;

	assert_int_equal(wk_store_audit_query(p->srv.store, &flt, &v, &n), 0);
	wk_store_free(v);
	return n;
}

static size_t
rows(struct pfx *p)
{
	struct wk_store_record *v = NULL;
	size_t n = 99;

	assert_int_equal(wk_store_hub_records_since(p->srv.store, INST, 0,
	    (int64_t)time(NULL), 100, &v, &n), 0);
	if (n > 0)
		assert_non_null(strstr(v[n - 1].data, "AAAAC3NzaC1lZDI1NTE5"));
	wk_store_records_free(v, n);
	return n;
}

static void
test_push_writes_event_and_row(void **state)
{
	struct pfx *p = *state;

	assert_int_equal(push(p, ED_KEY " alice@laptop"), 0);
	assert_string_equal(p->resp.error_code, "");
	assert_true(json_is_true(json_object_get(p->resp.json, "Success")));
	assert_int_equal(events_of(p, p->rid), 1);
	assert_int_equal(rows(p), 1);
}

static void
test_failed_commit_leaves_nothing(void **state)
{
	struct pfx *p = *state;

	assert_int_equal(fx_raw_exec(&p->fx, "ALTER TABLE hub_records ADD "
	    "CONSTRAINT no_rows CHECK (instance_id = 'none')"), 0);
	assert_int_not_equal(push(p, ED_KEY " alice@laptop"), 0);
	assert_string_equal(p->resp.error_code, "ServiceException");
	assert_int_equal(p->resp.status, 500);
	/* one transaction: the event went with the row */
	assert_int_equal(events_of(p, p->rid), 0);
	assert_int_equal(rows(p), 0);
	assert_int_equal(fx_raw_exec(&p->fx, "ALTER TABLE hub_records DROP "
	    "CONSTRAINT no_rows"), 0);
	assert_int_equal(push(p, ED_KEY " alice@laptop"), 0);
	assert_int_equal(events_of(p, p->rid), 1);
	assert_int_equal(rows(p), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_push_writes_event_and_row,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_failed_commit_leaves_nothing, setup, teardown),
	};

	return fx_run("push_replicas", NULL, 0, tests,
	    sizeof(tests) / sizeof(tests[0]));
}
