/*
 * test_authz_instance.c - decisions on an instance for the session
 * actions: the scope of a list (which instances' entries a caller sees)
 * for a caller allowed on one instance by ARN or by a tag condition, with
 * an explicit Deny on another under an Allow of "*", or allowed nowhere;
 * and the instance ARN's form.
 */
#include "../iam/test_iam_fixture.h"

#include "server/auth/auth.h"

#define A "i-0aaaaaaaaaaaaaaa1"
#define B "i-0bbbbbbbbbbbbbbb2"
#define ARN_OF(id) "arn:aws:ec2:us-east-1:" FX_ACCOUNT ":instance/" id
#define LIST "wicket:ListSessions"
#define DOC(stmts) "{\"Version\":\"2012-10-17\",\"Statement\":[" stmts "]}"
#define ALLOW(res, cond) "{\"Effect\":\"Allow\",\"Action\":\"" LIST \
	"\",\"Resource\":\"" res "\"" cond "}"

static void
add_instance(struct fx *f, const char *id, const char *team)
{
	struct wk_instance in;
	struct wk_tag tag;

	memset(&tag, 0, sizeof(tag));
	snprintf(tag.key, sizeof(tag.key), "team");
	snprintf(tag.value, sizeof(tag.value), "%s", team);
	memset(&in, 0, sizeof(in));
	snprintf(in.id, sizeof(in.id), "%s", id);
	snprintf(in.hostname, sizeof(in.hostname), "h");
	snprintf(in.address, sizeof(in.address), "10.0.0.1");
	in.ssh_port = 22;
	in.host_keys = (char *)(uintptr_t)"ssh-ed25519 AAAA";
	snprintf(in.agent_secret_hash, sizeof(in.agent_secret_hash), "%064d",
	    0);
	in.create_date = in.last_seen = time(NULL);
	assert_int_equal(wk_store_instance_create(f->srv.store, &in), 0);
	assert_int_equal(wk_store_instance_tags_set(f->srv.store, id, &tag,
	    1), 0);
}

static int
setup(void **state)
{
	struct fx *f;

	fx_setup(state);
	f = *state;
	add_instance(f, A, "a");
	add_instance(f, B, "b");
	return 0;
}

/* eve's one inline policy is doc */
static void
req_for(struct fx *f, const char *doc, struct wk_api_req *req)
{
	(void)wk_store_user_policy_delete(f->srv.store, "nobody", "p");
	if (doc != NULL)
		assert_int_equal(wk_store_user_policy_put(f->srv.store,
		    "nobody", "p", doc), 0);
	memset(req, 0, sizeof(*req));
	req->srv = &f->srv;
	req->caller = &f->nobody;
	req->request_id = "00000000-0000-4000-8000-000000000000";
	req->source_ip = "127.0.0.1";
	req->now = time(NULL);
	f->resp.error_code[0] = '\0';
	f->resp.error_message[0] = '\0';
}

/* The scope without a filter: which of A, B the caller sees. */
static void
sees(struct fx *f, const char *doc, bool a, bool b)
{
	struct wk_instance_scope *s = NULL;
	struct wk_api_req req;
	bool ok;

	req_for(f, doc, &req);
	assert_int_equal(wk_instance_scope_new(&req, &f->resp, LIST, NULL,
	    &s), 0);
	assert_int_equal(wk_instance_scope_allows(s, A, &ok), 0);
	assert_int_equal(ok, a);
	assert_int_equal(wk_instance_scope_allows(s, B, &ok), 0);
	assert_int_equal(ok, b);
	/* remembered: the same answer again */
	assert_int_equal(wk_instance_scope_allows(s, B, &ok), 0);
	assert_int_equal(ok, b);
	/* no instance, an unknown one */
	assert_int_equal(wk_instance_scope_allows(s, "", &ok), 0);
	assert_false(ok);
	wk_instance_scope_free(s);
}

/* The scope filtered to id: 0 or WK_ERR_DENIED with AccessDenied. */
static int
filtered(struct fx *f, const char *doc, const char *id)
{
	struct wk_instance_scope *s = NULL;
	struct wk_api_req req;
	int r;

	req_for(f, doc, &req);
	r = wk_instance_scope_new(&req, &f->resp, LIST, id, &s);
	if (r == WK_ERR_DENIED) {
		assert_null(s);
		assert_non_null(strstr(f->resp.error_message,
		    "is not authorized"));
	}
	wk_instance_scope_free(s);
	return r;
}

static void
test_by_arn(void **state)
{
	struct fx *f = *state;
	const char *doc = DOC(ALLOW(ARN_OF(A), ""));

	sees(f, doc, true, false);
	assert_int_equal(filtered(f, doc, A), 0);
	assert_int_equal(filtered(f, doc, B), WK_ERR_DENIED);
	assert_non_null(strstr(f->resp.error_message, ARN_OF(B)));
}

static void
test_by_tag(void **state)
{
	struct fx *f = *state;
	const char *ec2 = DOC(ALLOW("*", ",\"Condition\":{\"StringEquals\":"
	    "{\"ec2:ResourceTag/team\":\"a\"}}"));
	const char *aws = DOC(ALLOW("arn:aws:ec2:*:*:instance/*",
	    ",\"Condition\":{\"StringEquals\":{\"aws:ResourceTag/team\":"
	    "\"a\"}}"));

	sees(f, ec2, true, false);
	sees(f, aws, true, false);
	assert_int_equal(filtered(f, ec2, A), 0);
	assert_int_equal(filtered(f, ec2, B), WK_ERR_DENIED);
	/* a filter naming an instance that does not exist has no tags */
	assert_int_equal(filtered(f, ec2, "i-0ccc"), WK_ERR_DENIED);
}

static void
test_explicit_deny(void **state)
{
	struct fx *f = *state;
	const char *doc = DOC(ALLOW("*", "") ",{\"Effect\":\"Deny\","
	    "\"Action\":\"wicket:*\",\"Resource\":\"" ARN_OF(B) "\"}");

	sees(f, doc, true, false);
	assert_int_equal(filtered(f, doc, B), WK_ERR_DENIED);
	assert_non_null(strstr(f->resp.error_message, "explicit deny"));
	sees(f, DOC(ALLOW("*", "")), true, true);
}

static void
test_allowed_nowhere(void **state)
{
	struct fx *f = *state;
	struct wk_instance_scope *s = NULL;
	struct wk_api_req req;

	req_for(f, NULL, &req);
	assert_int_equal(wk_instance_scope_new(&req, &f->resp, LIST, NULL,
	    &s), WK_ERR_DENIED);
	assert_null(s);
	assert_string_equal(f->resp.error_code, "AccessDenied");
	assert_non_null(strstr(f->resp.error_message, "on resource: *"));
	/* another action allowed is not this one */
	req_for(f, DOC("{\"Effect\":\"Allow\",\"Action\":"
	    "\"wicket:GetSessionRecording\",\"Resource\":\"*\"}"), &req);
	assert_int_equal(wk_instance_scope_new(&req, &f->resp, LIST, NULL,
	    &s), WK_ERR_DENIED);
}

static void
test_arn_form(void **state)
{
	struct fx *f = *state;
	char arn[64];

	assert_int_equal(wk_authz_instance_arn(&f->srv, A, arn, sizeof(arn)),
	    0);
	assert_string_equal(arn, ARN_OF(A));
	assert_int_equal(wk_authz_instance_arn(&f->srv, A, arn, 20),
	    WK_ERR_TOOBIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_by_arn, setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_by_tag, setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_explicit_deny, setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_allowed_nowhere, setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_arn_form, setup,
		    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
