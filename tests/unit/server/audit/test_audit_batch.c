/*
 * test_audit_batch.c - the group commit (audit_batch.c) against a real
 * store and a real loop: queued events are not answered before their batch
 * commits; a batch answers every waiter after one commit and the events
 * are then in the store; a full batch closes at once; a throttled call's
 * event (no waiter) rides along; with batching off, queueing is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/time.h"
#include "server/api/api.h"
#include "server/audit/audit.h"
#include "server/http/http.h"
#include "server/server.h"
#include "store/store.h"

struct fixture {
	char dir[64];
	char db[96];
	struct wk_server srv;
	struct wk_caller caller;
	int done[16];		/* result per waiter; 1 = not yet */
};

static int
setup(void **state)
{
	static const uint8_t mk[WK_MASTER_KEY_LEN];
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk-abatch-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/wicket.db", f->dir);
	if (wk_store_open(f->db, mk, &f->srv.store) != 0 ||
	    wk_loop_new(&f->srv.loop) != 0)
		return -1;
	snprintf(f->caller.user.arn, sizeof(f->caller.user.arn),
	    "arn:aws:iam::123456789012:user/alice");
	snprintf(f->caller.access_key_id, sizeof(f->caller.access_key_id),
	    "AKIAALICE0000000000");
	for (size_t i = 0; i < 16; i++)
		f->done[i] = 1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[128];

	wk_audit_batch_stop();
	wk_loop_free(f->srv.loop);
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

struct waiter_arg {
	struct fixture *f;
	size_t i;
};
static struct waiter_arg args[16];

static void
on_done(void *arg, int result)
{
	struct waiter_arg *a = arg;

	a->f->done[a->i] = result;
}

static void
queue(struct fixture *f, size_t i, const char *err, bool wait)
{
	struct wk_api_req req;
	struct wk_audit_info info;
	char rid[32];

	snprintf(rid, sizeof(rid), "req-%zu", i);
	memset(&req, 0, sizeof(req));
	req.srv = &f->srv;
	req.caller = &f->caller;
	req.request_id = rid;
	req.source_ip = "192.0.2.7";
	req.via = "api";
	memset(&info, 0, sizeof(info));
	info.action = "ec2-instance-connect:SendSSHPublicKey";
	info.instance_id = "i-0123456789abcdef0";
	info.os_user = "ubuntu";
	info.error_code = err;
	args[i].f = f;
	args[i].i = i;
	assert_int_equal(wk_audit_queue(&req, &info, wait ? on_done : NULL,
	    &args[i]), 0);
}

static size_t
stored(struct fixture *f)
{
	struct wk_audit_filter flt;
	struct wk_audit_event *evs = NULL;
	size_t n = 0;

	memset(&flt, 0, sizeof(flt));
	assert_int_equal(wk_store_audit_query(f->srv.store, &flt, &evs, &n), 0);
	wk_store_free(evs);
	return n;
}

static void
test_off(void **state)
{
	struct fixture *f = *state;
	struct wk_api_req req;
	struct wk_audit_info info;

	memset(&req, 0, sizeof(req));
	memset(&info, 0, sizeof(info));
	req.srv = &f->srv;
	assert_false(wk_audit_batch_on());
	assert_int_equal(wk_audit_queue(&req, &info, NULL, NULL),
	    WK_ERR_INVAL);
	assert_int_equal(wk_audit_batch_start(&f->srv, 0, 0), WK_ERR_INVAL);
	assert_int_equal(wk_audit_batch_start(&f->srv, 4097, 0),
	    WK_ERR_INVAL);
	assert_int_equal(wk_audit_batch_start(&f->srv, 8, 1001),
	    WK_ERR_INVAL);
}

static void
test_one_commit_answers_all(void **state)
{
	struct fixture *f = *state;
	struct wk_audit_batch_stats st;

	assert_int_equal(wk_audit_batch_start(&f->srv, 64, 0), 0);
	queue(f, 0, "", true);
	queue(f, 1, "AuthException", true);
	queue(f, 2, "ThrottlingException", false);	/* rides along */
	queue(f, 3, "", true);
	/* nobody hears anything before the commit, nothing is stored */
	assert_int_equal(f->done[0], 1);
	assert_int_equal(f->done[3], 1);
	assert_int_equal(stored(f), 0);
	/* the batch closes at the end of the loop's turn */
	wk_loop_run_timers(f->srv.loop, wk_mono_ms());
	assert_int_equal(f->done[0], 0);
	assert_int_equal(f->done[1], 0);
	assert_int_equal(f->done[3], 0);
	assert_int_equal(stored(f), 4);
	wk_audit_batch_stats(&st);
	assert_int_equal(st.batches, 1);
	assert_int_equal(st.events, 4);
	assert_int_equal(st.largest, 4);
	assert_int_equal(st.pending, 0);
}

static void
test_full_batch_closes(void **state)
{
	struct fixture *f = *state;
	struct wk_audit_batch_stats st;

	/* a long wait: only the size closes the first batch */
	assert_int_equal(wk_audit_batch_start(&f->srv, 2, 1000), 0);
	queue(f, 0, "", true);
	queue(f, 1, "", true);
	queue(f, 2, "", true);	/* the first two commit before this joins */
	assert_int_equal(f->done[0], 0);
	assert_int_equal(f->done[1], 0);
	assert_int_equal(f->done[2], 1);
	assert_int_equal(stored(f), 2);
	/* stop writes what is queued and answers it */
	wk_audit_batch_stop();
	assert_int_equal(f->done[2], 0);
	assert_int_equal(stored(f), 3);
	wk_audit_batch_stats(&st);
	assert_int_equal(st.pending, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_commit_answers_all,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_batch_closes, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
