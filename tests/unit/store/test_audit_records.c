/*
 * Tests for wk_store_audit_commit, on SQLite and on PostgreSQL
 * (sqlite_audit.c, pg_audit.c, pg_records.c): a group commit that carries
 * pushed records writes the events and the records (with their NOTIFY)
 * in one transaction, or none of them; SQLite, whose records live in
 * memory, refuses records and writes nothing; bad arguments change
 * nothing.
 */
#include <sys/select.h>

#include "store_fixture.h"

#define INST "i-0123456789abcdef0"
#define REC "wicket-keyrec-v1 test record"

static void
mkev(struct wk_audit_event *ev, int64_t t, const char *inst)
{
	memset(ev, 0, sizeof(*ev));
	ev->time_ms = t;
	snprintf(ev->request_id, sizeof(ev->request_id), "req-%lld",
	    (long long)t);
	snprintf(ev->action, sizeof(ev->action),
	    "ec2-instance-connect:SendSSHPublicKey");
	snprintf(ev->caller_arn, sizeof(ev->caller_arn),
	    "arn:aws:iam::000000000000:user/alice");
	snprintf(ev->instance_id, sizeof(ev->instance_id), "%s", inst);
	snprintf(ev->os_user, sizeof(ev->os_user), "ubuntu");
	snprintf(ev->decision, sizeof(ev->decision), "Allow");
	snprintf(ev->via, sizeof(ev->via), "api");
}

static void
mkrec(struct wk_store_record_put *rec, const char *inst, const char *text)
{
	memset(rec, 0, sizeof(*rec));
	rec->instance_id = inst;
	rec->record = text;
	rec->len = strlen(text);
	rec->expires = 4000000000;
	rec->seq = -1;
}

static size_t
audit_count(struct fx *f, const char *request_id)
{
	struct wk_audit_filter flt = { .request_id = request_id };
	struct wk_audit_event *v = NULL;
	size_t n = 99;

	assert_int_equal(wk_store_audit_query(f->st, &flt, &v, &n), 0);
	wk_store_free(v);
	return n;
}

static size_t
record_count(struct fx *f, const char *inst)
{
	struct wk_store_record *v = NULL;
	size_t n = 99;

	assert_int_equal(wk_store_hub_records_since(f->st, inst, 0, 1, 100,
	    &v, &n), 0);
	wk_store_records_free(v, n);
	return n;
}

static void
on_payload(void *arg, const char *payload)
{
	char *seen = arg;
	size_t used = strlen(seen);

	snprintf(seen + used, 256 - used, "[%s]", payload);
}

/* Waits (up to 10 s) for notifications; appends their payloads. */
static void
read_notifications(struct wk_store_listener *l, char seen[256])
{
	struct timeval tv = { .tv_sec = 10 };
	fd_set rd;
	int fd = wk_store_listener_fd(l);

	assert_true(fd >= 0);
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	if (select(fd + 1, &rd, NULL, NULL, &tv) > 0)
		assert_int_equal(wk_store_listener_read(l, on_payload, seen),
		    0);
}

/* PostgreSQL: events and records in one commit, NOTIFY delivered. */
static void
test_commit_with_records(void **state)
{
	struct fx *f = *state;
	struct wk_audit_event evs[3];
	struct wk_store_record_put recs[2];
	struct wk_store_listener *l = NULL;
	struct wk_store_record *v = NULL;
	char seen[256] = "";
	size_t n = 0;

	assert_int_equal(wk_store_listen(f->st, &l), 0);
	mkev(&evs[0], 1001, INST);
	mkev(&evs[1], 1002, "i-0aaaaaaaaaaaaaaa1");	/* refused: no record */
	mkev(&evs[2], 1003, INST);
	mkrec(&recs[0], INST, REC " one");
	mkrec(&recs[1], INST, REC " two");
	assert_int_equal(wk_store_audit_commit(f->st, evs, 3, recs, 2), 0);
	assert_true(evs[0].id > 0 && evs[1].id > evs[0].id &&
	    evs[2].id > evs[1].id);
	assert_true(recs[0].seq > 0 && recs[1].seq > recs[0].seq);
	assert_int_equal(audit_count(f, "req-1001"), 1);
	assert_int_equal(audit_count(f, "req-1003"), 1);
	assert_int_equal(wk_store_hub_records_since(f->st, INST, 0, 1, 100,
	    &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].seq, recs[0].seq);
	assert_string_equal(v[0].data, REC " one");
	assert_string_equal(v[1].data, REC " two");
	wk_store_records_free(v, n);
	/* the wake-up arrives with the commit (identical payloads of one
	 * transaction are folded into one by PostgreSQL) */
	read_notifications(l, seen);
	assert_string_equal(seen, "[r " INST "]");
	wk_store_listener_free(l);
}

/*
 * PostgreSQL: a record the database refuses inside the transaction fails
 * the whole batch: no event, no record, no notification.
 */
static void
test_commit_all_or_nothing(void **state)
{
	struct fx *f = *state;
	struct wk_audit_event evs[2];
	struct wk_store_record_put recs[1];
	struct wk_store_listener *l = NULL;
	char seen[256] = "";

	assert_int_equal(fx_raw_exec(f, "ALTER TABLE hub_records ADD "
	    "CONSTRAINT no_bad CHECK (instance_id <> 'i-0bad00000000')"), 0);
	assert_int_equal(wk_store_listen(f->st, &l), 0);
	mkev(&evs[0], 2001, INST);
	mkev(&evs[1], 2002, "i-0bad00000000");
	mkrec(&recs[0], "i-0bad00000000", REC);
	assert_int_not_equal(wk_store_audit_commit(f->st, evs, 2, recs, 1),
	    0);
	assert_int_equal(evs[0].id, 0);
	assert_int_equal(evs[1].id, 0);
	assert_int_equal(recs[0].seq, 0);
	assert_int_equal(audit_count(f, "req-2001"), 0);
	assert_int_equal(audit_count(f, "req-2002"), 0);
	assert_int_equal(record_count(f, "i-0bad00000000"), 0);
	/* the next batch goes through; its notification is the only one */
	mkev(&evs[0], 2003, INST);
	mkrec(&recs[0], INST, REC);
	assert_int_equal(wk_store_audit_commit(f->st, evs, 1, recs, 1), 0);
	assert_true(recs[0].seq > 0);
	read_notifications(l, seen);
	assert_string_equal(seen, "[r " INST "]");
	assert_int_equal(record_count(f, INST), 1);
	wk_store_listener_free(l);
}

/* SQLite keeps records in memory: records refused, nothing written. */
static void
test_sqlite_refuses_records(void **state)
{
	struct fx *f = *state;
	struct wk_audit_event evs[2];
	struct wk_store_record_put recs[1];

	mkev(&evs[0], 3001, INST);
	mkev(&evs[1], 3002, INST);
	mkrec(&recs[0], INST, REC);
	assert_int_equal(wk_store_audit_commit(f->st, evs, 2, recs, 1),
	    WK_ERR_UNSUPPORTED);
	assert_int_equal(audit_count(f, "req-3001"), 0);
	assert_int_equal(audit_count(f, "req-3002"), 0);
	/* without records it is the plain group commit */
	assert_int_equal(wk_store_audit_commit(f->st, evs, 2, NULL, 0), 0);
	assert_true(evs[0].id > 0 && evs[1].id > evs[0].id);
	assert_int_equal(audit_count(f, "req-3002"), 1);
}

/* Both backends: bad arguments change nothing. */
static void
test_bad_args(void **state)
{
	struct fx *f = *state;
	struct wk_audit_event evs[2];
	struct wk_store_record_put recs[2];
	char big[8194];

	mkev(&evs[0], 4001, INST);
	mkev(&evs[1], 4002, INST);
	mkrec(&recs[0], INST, REC);
	mkrec(&recs[1], INST, REC);
	assert_int_equal(wk_store_audit_commit(f->st, evs, 1, recs, 2),
	    WK_ERR_INVAL);	/* more records than events */
	assert_int_equal(wk_store_audit_commit(f->st, evs, 1, NULL, 1),
	    WK_ERR_INVAL);
	assert_int_equal(wk_store_audit_commit(f->st, evs, 1, recs, 0),
	    WK_ERR_INVAL);
	assert_int_equal(wk_store_audit_commit(f->st, NULL, 0, NULL, 0),
	    WK_ERR_INVAL);
	if (fx_pg) {
		/* a bad record fails the batch before anything is written */
		mkrec(&recs[0], "", REC);
		assert_int_equal(wk_store_audit_commit(f->st, evs, 2, recs, 1),
		    WK_ERR_INVAL);
		mkrec(&recs[0], INST, REC);
		recs[0].len = 3;	/* not the string's length */
		assert_int_equal(wk_store_audit_commit(f->st, evs, 2, recs, 1),
		    WK_ERR_INVAL);
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		mkrec(&recs[0], INST, big);	/* over the record cap */
		assert_int_equal(wk_store_audit_commit(f->st, evs, 2, recs, 1),
		    WK_ERR_INVAL);
		mkrec(&recs[0], "i-0123456789abcdef0123456789abcdef0", REC);
		assert_int_not_equal(wk_store_audit_commit(f->st, evs, 2, recs,
		    1), 0);	/* instance id over its cap */
		assert_int_equal(record_count(f, INST), 0);
	}
	assert_int_equal(audit_count(f, "req-4001"), 0);
	assert_int_equal(audit_count(f, "req-4002"), 0);
}

int
main(void)
{
	const struct CMUnitTest sq_tests[] = {
		cmocka_unit_test_setup_teardown(test_sqlite_refuses_records,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, fx_setup,
		    fx_teardown),
	};
	const struct CMUnitTest pg_tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_with_records,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_commit_all_or_nothing,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, fx_setup,
		    fx_teardown),
	};

	return fx_run("audit_records", sq_tests,
	    sizeof(sq_tests) / sizeof(sq_tests[0]), pg_tests,
	    sizeof(pg_tests) / sizeof(pg_tests[0]));
}
