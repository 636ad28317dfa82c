/*
 * Tests for the revocation operations, on SQLite and on PostgreSQL
 * (sqlite_revocations.c, pg_revocations.c): revocations append,
 * are listed by id for one instance (or all) while kept, cannot be
 * changed or deleted, and an access key resolves to its allowed pushes;
 * a backend without the operations answers WK_ERR_UNSUPPORTED (store.c).
 */
#include "store_fixture.h"
#include "store/store_int.h"

#define ALICE "arn:aws:iam::123456789012:user/alice"

static void
mkrev(struct wk_revocation *r, int64_t at, const char *caller,
    const char *inst, const char *ids)
{
	memset(r, 0, sizeof(*r));
	r->time_ms = at * 1000;
	r->at = at;
	r->keep_until = at + 100;
	snprintf(r->caller_arn, sizeof(r->caller_arn), "%s", caller);
	snprintf(r->instance_id, sizeof(r->instance_id), "%s", inst);
	r->request_ids = (char *)(uintptr_t)ids;
	r->by_request_ids = ids != NULL;
	snprintf(r->by_arn, sizeof(r->by_arn), "arn:aws:iam::1:user/admin");
	snprintf(r->by_request_id, sizeof(r->by_request_id), "req-%lld",
	    (long long)at);
	snprintf(r->reason, sizeof(r->reason), "RevokeSessions");
}

static void
test_add_list(void **state)
{
	struct fx *f = *state;
	struct wk_revocation r, *v = NULL;
	size_t n;
	int64_t max;

	assert_int_equal(wk_store_revocation_max_id(f->st, &max), 0);
	assert_int_equal(max, 0);
	mkrev(&r, 1000, ALICE, "", NULL);
	assert_int_equal(wk_store_revocation_add(f->st, &r), 0);
	assert_int_equal(r.id, 1);
	mkrev(&r, 1001, "", "i-1", NULL);
	assert_int_equal(wk_store_revocation_add(f->st, &r), 0);
	mkrev(&r, 1002, "", "", "a,b");
	assert_int_equal(wk_store_revocation_add(f->st, &r), 0);
	assert_int_equal(r.id, 3);
	assert_int_equal(wk_store_revocation_max_id(f->st, &max), 0);
	assert_int_equal(max, 3);

	/* instance i-2: those without an instance only */
	assert_int_equal(wk_store_revocation_list(f->st, 0, "i-2", 1000, 10,
	    &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, 1);
	assert_string_equal(v[0].caller_arn, ALICE);
	assert_false(v[0].by_request_ids);
	assert_int_equal(v[1].id, 3);
	assert_true(v[1].by_request_ids);
	assert_string_equal(v[1].request_ids, "a,b");
	assert_string_equal(v[1].by_request_id, "req-1002");
	wk_store_revocations_free(v, n);
	/* i-1, after id 1 */
	assert_int_equal(wk_store_revocation_list(f->st, 1, "i-1", 1000, 10,
	    &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, 2);
	wk_store_revocations_free(v, n);
	/* no longer kept */
	assert_int_equal(wk_store_revocation_list(f->st, 0, NULL, 1101, 10,
	    &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, 3);
	wk_store_revocations_free(v, n);
	/* by the API call that issued them */
	assert_int_equal(wk_store_revocation_by_request(f->st, "req-1002", &v,
	    &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, 3);
	wk_store_revocations_free(v, n);
	assert_int_equal(wk_store_revocation_by_request(f->st, "nope", &v,
	    &n), 0);
	assert_int_equal(n, 0);
	wk_store_revocations_free(v, n);
	/* bad input */
	assert_int_equal(wk_store_revocation_list(f->st, 0, NULL, 0, 0, &v,
	    &n), WK_ERR_INVAL);
	mkrev(&r, 1000, ALICE, "", NULL);
	r.keep_until = 10;
	assert_int_equal(wk_store_revocation_add(f->st, &r), WK_ERR_INVAL);
}

static void
test_append_only(void **state)
{
	struct fx *f = *state;
	struct wk_revocation r;

	mkrev(&r, 1000, ALICE, "", NULL);
	assert_int_equal(wk_store_revocation_add(f->st, &r), 0);
	assert_int_equal(fx_raw_exec(f, "SELECT count(*) FROM revocations"),
	    0);
	assert_int_not_equal(fx_raw_exec(f,
	    "UPDATE revocations SET caller_arn = ''"), 0);
	assert_int_not_equal(fx_raw_exec(f, "DELETE FROM revocations"), 0);
}

static void
test_key_requests(void **state)
{
	struct fx *f = *state;
	struct wk_audit_event ev;
	char **ids = NULL;
	size_t n, i;
	static const char *const akid[] = { "AKIA1", "AKIA1", "AKIA2",
	    "AKIA1" };
	static const char *const dec[] = { "Allow", "Deny", "Allow", "Allow" };

	for (i = 0; i < 4; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.time_ms = 1000 * (int64_t)(i + 1);
		snprintf(ev.request_id, sizeof(ev.request_id), "r%zu", i);
		snprintf(ev.action, sizeof(ev.action),
		    "ec2-instance-connect:SendSSHPublicKey");
		snprintf(ev.access_key_id, sizeof(ev.access_key_id), "%s",
		    akid[i]);
		snprintf(ev.decision, sizeof(ev.decision), "%s", dec[i]);
		assert_int_equal(wk_store_audit_append(f->st, &ev), 0);
	}
	assert_int_equal(wk_store_audit_key_requests(f->st, "AKIA1",
	    "ec2-instance-connect:SendSSHPublicKey", 0, 10, &ids, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], "r3");	/* newest first */
	assert_string_equal(ids[1], "r0");
	wk_store_strv_free(ids, n);
	/* the lookback */
	assert_int_equal(wk_store_audit_key_requests(f->st, "AKIA1",
	    "ec2-instance-connect:SendSSHPublicKey", 2000, 10, &ids, &n), 0);
	assert_int_equal(n, 1);
	wk_store_strv_free(ids, n);
}

static void
test_backend_without(void **state)
{
	struct fx *f = *state;
	struct wk_store_ops ops = *f->st->ops;
	const struct wk_store_ops *saved = f->st->ops;
	struct wk_revocation r, *v;
	int64_t max;
	size_t n;

	ops.revocation_add = NULL;
	ops.revocation_list = NULL;
	ops.revocation_max_id = NULL;
	ops.audit_key_requests = NULL;
	f->st->ops = &ops;
	mkrev(&r, 1000, ALICE, "", NULL);
	assert_int_equal(wk_store_revocation_add(f->st, &r), WK_ERR_UNSUPPORTED);
	assert_int_equal(wk_store_revocation_list(f->st, 0, NULL, 0, 1, &v,
	    &n), WK_ERR_UNSUPPORTED);
	assert_int_equal(wk_store_revocation_max_id(f->st, &max),
	    WK_ERR_UNSUPPORTED);
	f->st->ops = saved;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_list, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_append_only, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_key_requests, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_backend_without, fx_setup,
		    fx_teardown),
	};

	return FX_RUN_BOTH("revocations", tests);
}
