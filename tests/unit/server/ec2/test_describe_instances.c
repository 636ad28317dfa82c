/*
 * test_describe_instances.c - EC2 DescribeInstances and
 * WicketService.DescribeInstances against a real store and the real policy
 * engine (no HTTP): authorization once on "*" (an instance ARN grants
 * nothing), filters, MaxResults/NextToken paging and the attacks on the
 * token (tampered, another caller's, other filters, expired), DryRun, the
 * one state (`running`), the address of a host enrolled by name.
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
#include "server/api/api.h"
#include "server/auth/authz.h"
#include "server/ec2/ec2.h"
#include "server/hub/agent_hub.h"
#include "server/server.h"
#include "store/store.h"

#define ACCOUNT "123456789012"
#define NINST 12

static const char star_policy[] =
    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\","
    " \"Action\": \"ec2:DescribeInstances\", \"Resource\": \"*\"}]}";
/* what the previous wicketd honoured and AWS does not */
static const char arn_policy[] =
    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\","
    " \"Action\": \"ec2:DescribeInstances\", \"Resource\": "
    "\"arn:aws:ec2:us-east-1:" ACCOUNT ":instance/*\"}]}";

struct fixture {
	char dir[64];
	char db[96];
	struct wk_server srv;
	struct wk_caller alice, bob, carol;	/* "*", none, instance ARN */
	struct wk_api_resp resp;
	unsigned nreq;
	char rid[37];
	struct wk_param pv[64];
	struct wk_params params;
	char names[64][48];
	time_t now;
};

static int
add_user(struct fixture *f, const char *name, struct wk_caller *c,
    const char *policy)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->user.name, sizeof(c->user.name), "%s", name);
	snprintf(c->user.id, sizeof(c->user.id), "AIDA%sXXXXXXXXXXXX", name);
	snprintf(c->user.path, sizeof(c->user.path), "/");
	snprintf(c->user.arn, sizeof(c->user.arn),
	    "arn:aws:iam::" ACCOUNT ":user/%s", name);
	c->user.create_date = time(NULL);
	snprintf(c->access_key_id, sizeof(c->access_key_id), "AKIA%s", name);
	if (wk_store_user_create(f->srv.store, &c->user) != 0)
		return -1;
	if (policy != NULL && wk_store_user_policy_put(f->srv.store, name,
	    "p", policy) != 0)
		return -1;
	return 0;
}

/* i-00000000000000a00 .. : env=prod for even i, dev for odd; i == 3 was
 * enrolled by name (web-3.example). */
static int
add_instance(struct fixture *f, int i)
{
	struct wk_instance in;
	struct wk_tag tags[2];
	char hk[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICKXrB4K/csCCuynn0NOOS4aY18ij0TeNcjIxiJpb+S5\n";

	memset(&in, 0, sizeof(in));
	snprintf(in.id, sizeof(in.id), "i-00000000000000a%02d", i);
	snprintf(in.hostname, sizeof(in.hostname), "host%d", i);
	snprintf(in.address, sizeof(in.address), "10.0.0.%d", i + 1);
	if (i == 3)
		snprintf(in.dns_name, sizeof(in.dns_name), "web-3.example");
	in.ssh_port = 22;
	in.host_keys = hk;
	snprintf(in.agent_secret_hash, sizeof(in.agent_secret_hash), "%064d",
	    0);
	in.create_date = in.last_seen = time(NULL);
	memset(tags, 0, sizeof(tags));
	snprintf(tags[0].key, sizeof(tags[0].key), "env");
	snprintf(tags[0].value, sizeof(tags[0].value), "%s",
	    i % 2 == 0 ? "prod" : "dev");
	snprintf(tags[1].key, sizeof(tags[1].key), "Name");
	snprintf(tags[1].value, sizeof(tags[1].value), "web-%d", i);
	if (wk_store_instance_create(f->srv.store, &in) != 0 ||
	    wk_store_instance_tags_set(f->srv.store, in.id, tags, 2) != 0)
		return -1;
	return 0;
}

static int
setup(void **state)
{
	static const uint8_t mk[WK_MASTER_KEY_LEN];
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk-descr-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/wicket.db", f->dir);
	if (wk_store_open(f->db, mk, &f->srv.store) != 0)
		return -1;
	snprintf(f->srv.account_id, sizeof(f->srv.account_id), ACCOUNT);
	snprintf(f->srv.region, sizeof(f->srv.region), "us-east-1");
	f->srv.cfg.agent_poll_seconds = 25;
	f->srv.cfg.agent_offline_seconds = 70;
	if (wk_agent_hub_new(&f->srv, &f->srv.hub) != 0 ||
	    add_user(f, "alice", &f->alice, star_policy) != 0 ||
	    add_user(f, "bob", &f->bob, NULL) != 0 ||
	    add_user(f, "carol", &f->carol, arn_policy) != 0)
		return -1;
	for (int i = 0; i < NINST; i++)
		if (add_instance(f, i) != 0)
			return -1;
	wk_buf_init(&f->resp.xml, 1 << 22);
	f->params.v = f->pv;
	f->now = time(NULL);
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
param_clear(struct fixture *f)
{
	f->params.n = 0;
}

static void
param(struct fixture *f, const char *name, const char *value)
{
	size_t i = f->params.n++;

	snprintf(f->names[i], sizeof(f->names[i]), "%s", name);
	f->pv[i].name = f->names[i];
	f->pv[i].value = (char *)(uintptr_t)value;
}

static int
call(struct fixture *f, const struct wk_api_action *act,
    const struct wk_caller *who, const char *body)
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
	req.now = f->now;
	req.via = "api";
	req.json = json;
	req.params = body == NULL ? &f->params : NULL;
	wk_api_set_current(&req, act->protocol);
	r = act->handle(&req, &f->resp);
	wk_api_set_current(NULL, act->protocol);
	json_decref(json);
	return r;
}

static int
ec2(struct fixture *f, const struct wk_caller *who)
{
	return call(f, &wk_ec2_describe_instances, who, NULL);
}

static size_t
count(const char *xml, const char *needle)
{
	size_t n = 0;

	for (const char *p = xml; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static const char *
xml(struct fixture *f)
{
	return wk_buf_cstr(&f->resp.xml);
}

static void
assert_error(struct fixture *f, int r, unsigned status, const char *code)
{
	assert_int_not_equal(r, 0);
	assert_int_equal(f->resp.status, status);
	assert_string_equal(f->resp.error_code, code);
}

static void
test_authorization(void **state)
{
	struct fixture *f = *state;

	/* alice ("*"): every instance, all running, with an address */
	param_clear(f);
	assert_int_equal(ec2(f, &f->alice), 0);
	assert_int_equal(count(xml(f), "<instanceId>"), NINST);
	assert_int_equal(count(xml(f), "<name>running</name>"), NINST);
	assert_int_equal(count(xml(f), "<privateIpAddress>"), NINST);
	assert_null(strstr(xml(f), "stopped"));
	assert_null(strstr(xml(f), "<nextToken>"));
	/* bob (nothing): 403 with and without ids, AWS's words */
	assert_error(f, ec2(f, &f->bob), 403, "UnauthorizedOperation");
	assert_string_equal(f->resp.error_message,
	    "You are not authorized to perform this operation.");
	param(f, "InstanceId.1", "i-00000000000000a00");
	assert_error(f, ec2(f, &f->bob), 403, "UnauthorizedOperation");
	/* ... and an unknown id does not tell him it is unknown */
	param_clear(f);
	param(f, "InstanceId.1", "i-00000000000000fff");
	assert_error(f, ec2(f, &f->bob), 403, "UnauthorizedOperation");
	/* carol (an instance ARN): no longer granted, as on AWS */
	param_clear(f);
	assert_error(f, ec2(f, &f->carol), 403, "UnauthorizedOperation");
	param(f, "InstanceId.1", "i-00000000000000a00");
	assert_error(f, ec2(f, &f->carol), 403, "UnauthorizedOperation");
	/* WicketService.DescribeInstances the same */
	assert_int_equal(call(f, &wk_wicket_describe_instances, &f->alice,
	    "{}"), 0);
	assert_int_equal(json_array_size(json_object_get(f->resp.json,
	    "Instances")), NINST);
	assert_error(f, call(f, &wk_wicket_describe_instances, &f->bob, "{}"),
	    403, "AccessDeniedException");
	assert_error(f, call(f, &wk_wicket_describe_instances, &f->carol,
	    "{\"InstanceIds\": [\"i-00000000000000a00\"]}"), 403,
	    "AccessDeniedException");
	assert_int_equal(call(f, &wk_wicket_describe_instances, &f->alice,
	    "{\"InstanceIds\": [\"i-00000000000000a03\"]}"), 0);
	assert_int_equal(json_array_size(json_object_get(f->resp.json,
	    "Instances")), 1);
}

static void
test_ids_and_names(void **state)
{
	struct fixture *f = *state;

	param_clear(f);
	param(f, "InstanceId.1", "i-00000000000000a03");
	assert_int_equal(ec2(f, &f->alice), 0);
	assert_int_equal(count(xml(f), "<instanceId>"), 1);
	/* enrolled by name: the name is PrivateDnsName, the IP is kept */
	assert_non_null(strstr(xml(f),
	    "<privateDnsName>web-3.example</privateDnsName>"));
	assert_non_null(strstr(xml(f),
	    "<privateIpAddress>10.0.0.4</privateIpAddress>"));
	param_clear(f);
	param(f, "InstanceId.1", "i-00000000000000fff");
	assert_error(f, ec2(f, &f->alice), 400, "InvalidInstanceID.NotFound");
	param_clear(f);
	param(f, "InstanceId.1", "bogus");
	assert_error(f, ec2(f, &f->alice), 400,
	    "InvalidInstanceID.Malformed");
	/* MaxResults and ids: InvalidParameterCombination */
	param_clear(f);
	param(f, "InstanceId.1", "i-00000000000000a03");
	param(f, "MaxResults", "5");
	assert_error(f, ec2(f, &f->alice), 400, "InvalidParameterCombination");
	assert_string_equal(f->resp.error_message, "The parameter "
	    "instancesSet cannot be used with the parameter maxResults");
}

static void
test_filters(void **state)
{
	struct fixture *f = *state;

	param_clear(f);
	param(f, "Filter.1.Name", "tag:env");
	param(f, "Filter.1.Value.1", "prod");
	assert_int_equal(ec2(f, &f->alice), 0);
	assert_int_equal(count(xml(f), "<instanceId>"), NINST / 2);
	assert_null(strstr(xml(f), "<value>dev</value>"));
	/* values OR-ed */
	param(f, "Filter.1.Value.2", "dev");
	assert_int_equal(ec2(f, &f->alice), 0);
	assert_int_equal(count(xml(f), "<instanceId>"), NINST);
	/* filters AND-ed, wildcards */
	param(f, "Filter.2.Name", "tag:Name");
	param(f, "Filter.2.Value.1", "web-1?");
	assert_int_equal(ec2(f, &f->alice), 0);
	assert_int_equal(count(xml(f), "<instanceId>"), 2);	/* 10, 11 */
	param_clear(f);
	param(f, "Filter.1.Name", "private-ip-address");
	param(f, "Filter.1.Value.1", "10.0.0.1*");
	param(f, "Filter.2.Name", "instance-state-name");
	param(f, "Filter.2.Value.1", "running");
	assert_int_equal(ec2(f, &f->alice), 0);
	assert_int_equal(count(xml(f), "<instanceId>"), 4);	/* 1, 10-12 */
	param_clear(f);
	param(f, "Filter.1.Name", "instance-state-name");
	param(f, "Filter.1.Value.1", "stopped");
	assert_int_equal(ec2(f, &f->alice), 0);
	assert_int_equal(count(xml(f), "<instanceId>"), 0);
	param_clear(f);
	param(f, "Filter.1.Name", "private-dns-name");
	param(f, "Filter.1.Value.1", "*.example");
	param(f, "Filter.2.Name", "availability-zone");
	param(f, "Filter.2.Value.1", "us-east-1a");
	assert_int_equal(ec2(f, &f->alice), 0);
	assert_int_equal(count(xml(f), "<instanceId>"), 1);
	param_clear(f);
	param(f, "Filter.1.Name", "tag-key");
	param(f, "Filter.1.Value.1", "Name");
	param(f, "Filter.2.Name", "tag-value");
	param(f, "Filter.2.Value.1", "web-7");
	param(f, "Filter.3.Name", "instance-id");
	param(f, "Filter.3.Value.1", "i-*");
	assert_int_equal(ec2(f, &f->alice), 0);
	assert_int_equal(count(xml(f), "<instanceId>"), 1);
	/* filters apply to ids too */
	param_clear(f);
	param(f, "InstanceId.1", "i-00000000000000a03");
	param(f, "Filter.1.Name", "tag:env");
	param(f, "Filter.1.Value.1", "prod");
	assert_int_equal(ec2(f, &f->alice), 0);
	assert_int_equal(count(xml(f), "<instanceId>"), 0);
	/* unknown filter: refused, AWS's words */
	param_clear(f);
	param(f, "Filter.1.Name", "tag-Team");
	param(f, "Filter.1.Value.1", "x");
	assert_error(f, ec2(f, &f->alice), 400, "InvalidParameterValue");
	assert_string_equal(f->resp.error_message,
	    "The filter 'tag-Team' is invalid");
	param_clear(f);
	param(f, "Filter.1.Name", "tag:env");
	assert_error(f, ec2(f, &f->alice), 400, "InvalidParameterValue");
	param_clear(f);
	param(f, "Filter.1.Value.1", "prod");
	assert_error(f, ec2(f, &f->alice), 400, "InvalidParameterValue");
	param_clear(f);
	param(f, "Filter.51.Name", "tag:env");
	param(f, "Filter.51.Value.1", "prod");
	assert_error(f, ec2(f, &f->alice), 400, "InvalidParameterValue");
	param_clear(f);
	param(f, "Filter.01.Name", "tag:env");
	assert_error(f, ec2(f, &f->alice), 400, "InvalidParameterValue");
}

/* Pages through with MaxResults `max` and the filters set; returns the
 * number of instances seen, asserting each is seen once. */
static size_t
page_all(struct fixture *f, const char *max)
{
	static char token[WK_EC2_TOKEN_TEXT_MAX];
	size_t seen = 0, base = f->params.n, pages = 0;
	const char *p, *e;

	token[0] = '\0';
	for (;;) {
		f->params.n = base;
		param(f, "MaxResults", max);
		if (token[0] != '\0')
			param(f, "NextToken", token);
		assert_int_equal(ec2(f, &f->alice), 0);
		seen += count(xml(f), "<instanceId>");
		pages++;
		assert_true(pages < 100);
		if ((p = strstr(xml(f), "<nextToken>")) == NULL)
			break;
		p += strlen("<nextToken>");
		e = strstr(p, "</nextToken>");
		assert_non_null(e);
		snprintf(token, sizeof(token), "%.*s", (int)(e - p), p);
	}
	f->params.n = base;
	return seen;
}

static void
test_paging(void **state)
{
	struct fixture *f = *state;
	char token[WK_EC2_TOKEN_TEXT_MAX], bad[WK_EC2_TOKEN_TEXT_MAX];
	const char *p;

	param_clear(f);
	assert_int_equal(page_all(f, "5"), NINST);
	assert_int_equal(page_all(f, "1000"), NINST);
	param(f, "Filter.1.Name", "tag:env");
	param(f, "Filter.1.Value.1", "dev");
	assert_int_equal(page_all(f, "5"), NINST / 2);
	/* bounds */
	param_clear(f);
	param(f, "MaxResults", "4");
	assert_error(f, ec2(f, &f->alice), 400, "InvalidParameterValue");
	assert_string_equal(f->resp.error_message, "Value ( 4 ) for "
	    "parameter maxResults is invalid. Expecting a value greater "
	    "than 5.");
	param_clear(f);
	param(f, "MaxResults", "1001");
	assert_error(f, ec2(f, &f->alice), 400, "InvalidParameterValue");
	param_clear(f);
	param(f, "MaxResults", "x");
	assert_error(f, ec2(f, &f->alice), 400, "InvalidParameterValue");

	/* a token of alice's, for no filters */
	param_clear(f);
	param(f, "MaxResults", "5");
	assert_int_equal(ec2(f, &f->alice), 0);
	p = strstr(xml(f), "<nextToken>");
	assert_non_null(p);
	snprintf(token, sizeof(token), "%.*s",
	    (int)(strstr(p, "</nextToken>") - p - 11), p + 11);
	param(f, "NextToken", token);
	assert_int_equal(ec2(f, &f->alice), 0);
	assert_non_null(strstr(xml(f), "i-00000000000000a05"));
	assert_null(strstr(xml(f), "i-00000000000000a04"));
	/* tampered: every byte flipped in turn is refused */
	for (size_t i = 0; i < strlen(token); i += 7) {
		snprintf(bad, sizeof(bad), "%s", token);
		bad[i] = bad[i] == '0' ? '1' : '0';
		f->params.n = 1;
		param(f, "NextToken", bad);
		assert_error(f, ec2(f, &f->alice), 400,
		    "InvalidParameterValue");
	}
	f->params.n = 1;
	param(f, "NextToken", "not-a-token");
	assert_error(f, ec2(f, &f->alice), 400, "InvalidParameterValue");
	/* another caller's: refused (carol may describe now) */
	assert_int_equal(wk_store_user_policy_put(f->srv.store, "carol", "p",
	    star_policy), 0);
	f->params.n = 1;
	param(f, "NextToken", token);
	assert_error(f, ec2(f, &f->carol), 400, "InvalidParameterValue");
	/* with other filters: refused */
	param(f, "Filter.1.Name", "tag:env");
	param(f, "Filter.1.Value.1", "dev");
	assert_error(f, ec2(f, &f->alice), 400, "InvalidParameterValue");
	/* after 24 hours: refused */
	f->params.n = 2;
	f->now += WK_EC2_TOKEN_TTL + 1;
	assert_error(f, ec2(f, &f->alice), 400, "InvalidParameterValue");
	assert_non_null(strstr(f->resp.error_message, "expired"));
	f->now -= WK_EC2_TOKEN_TTL + 1;
	/* a token does not outlive the caller's permission */
	assert_int_equal(wk_store_user_policy_delete(f->srv.store, "alice",
	    "p"), 0);
	assert_error(f, ec2(f, &f->alice), 403, "UnauthorizedOperation");
}

static void
test_dry_run(void **state)
{
	struct fixture *f = *state;

	param_clear(f);
	param(f, "DryRun", "true");
	assert_error(f, ec2(f, &f->alice), 412, "DryRunOperation");
	assert_string_equal(f->resp.error_message,
	    "Request would have succeeded, but DryRun flag is set.");
	assert_error(f, ec2(f, &f->bob), 403, "UnauthorizedOperation");
	assert_error(f, ec2(f, &f->carol), 403, "UnauthorizedOperation");
	param_clear(f);
	param(f, "DryRun", "false");
	assert_int_equal(ec2(f, &f->alice), 0);
	param_clear(f);
	param(f, "DryRun", "yes");
	assert_error(f, ec2(f, &f->alice), 400, "InvalidParameterValue");
}

static void
test_wildcards(void **state)
{
	(void)state;
	assert_true(wk_ec2_wildcard_match("*", ""));
	assert_true(wk_ec2_wildcard_match("*", "abc"));
	assert_true(wk_ec2_wildcard_match("a*c", "abbbc"));
	assert_true(wk_ec2_wildcard_match("a?c", "abc"));
	assert_false(wk_ec2_wildcard_match("a?c", "ac"));
	assert_true(wk_ec2_wildcard_match("a?c", "a\xc3\xa9" "c"));
	assert_false(wk_ec2_wildcard_match("abc", "abcd"));
	assert_false(wk_ec2_wildcard_match("ABC", "abc"));
	assert_true(wk_ec2_wildcard_match("a\\*", "a*"));
	assert_false(wk_ec2_wildcard_match("a\\*", "ab"));
	assert_true(wk_ec2_wildcard_match("a\\?", "a?"));
	assert_false(wk_ec2_wildcard_match("a\\?", "ab"));
	assert_true(wk_ec2_wildcard_match("*b*b*b", "abababab"));
	assert_false(wk_ec2_wildcard_match("*b*b*c", "abababab"));
	assert_true(wk_ec2_wildcard_match("", ""));
	assert_false(wk_ec2_wildcard_match("", "a"));
}

static void
test_token_unit(void **state)
{
	uint8_t key[WK_EC2_TOKEN_KEY_LEN] = { 1 }, other[WK_EC2_TOKEN_KEY_LEN];
	uint8_t dig[32] = { 2 };
	char tok[WK_EC2_TOKEN_TEXT_MAX], last[20];

	(void)state;
	memset(other, 9, sizeof(other));
	assert_int_equal(wk_ec2_token_make(key, "AIDA1", dig,
	    "i-0123456789abcdef0", 1000, tok, sizeof(tok)), 0);
	assert_int_equal(wk_ec2_token_open(key, "AIDA1", dig, tok, 1000,
	    last), 0);
	assert_string_equal(last, "i-0123456789abcdef0");
	assert_int_equal(wk_ec2_token_open(other, "AIDA1", dig, tok, 1000,
	    last), WK_ERR_INVAL);
	assert_string_equal(last, "");
	assert_int_equal(wk_ec2_token_open(key, "AIDA2", dig, tok, 1000,
	    last), WK_ERR_INVAL);
	assert_int_equal(wk_ec2_token_open(key, "AIDA1", dig, tok,
	    1000 + WK_EC2_TOKEN_TTL + 1, last), WK_ERR_EXPIRED);
	assert_int_equal(wk_ec2_token_make(key, "AIDA1", dig, "i-x", 1000,
	    tok, sizeof(tok)), WK_ERR_INVAL);
	assert_int_equal(wk_ec2_token_open(key, "AIDA1", dig, "", 1000,
	    last), WK_ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_authorization, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ids_and_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_token_unit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
