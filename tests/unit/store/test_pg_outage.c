/*
 * test_pg_outage.c - PostgreSQL stopped and restarted under a sequence
 * of operations: while it is down every operation answers
 * WK_ERR_STORE_UNAVAIL (and the thread's unavailable flag is set), after
 * it is back the same store object works again without being reopened,
 * and nothing an answered-unavailable call tried was half-written. Also a
 * connection killed by the server is replaced by itself. Skipped where no
 * PostgreSQL can run (see pg_cluster.h).
 */
#include "store_fixture.h"

#include "common/alloc.h"

static void
audit_event(struct wk_audit_event *ev, const char *rid)
{
	memset(ev, 0, sizeof(*ev));
	ev->time_ms = 1700000000000;
	snprintf(ev->request_id, sizeof(ev->request_id), "%s", rid);
	snprintf(ev->action, sizeof(ev->action), "iam:CreateUser");
	snprintf(ev->decision, sizeof(ev->decision), "Allow");
	snprintf(ev->via, sizeof(ev->via), "api");
}

static size_t
audit_count(struct fx *f)
{
	struct wk_audit_filter flt = { .max_items = 1000 };
	struct wk_audit_event *evs = NULL;
	size_t n = 0;

	assert_int_equal(wk_store_audit_query(f->st, &flt, &evs, &n), 0);
	wk_store_free(evs);
	return n;
}

/* Retries `call` until it stops answering unavailable (reconnect with
 * backoff); bounded, no timing assertion. */
#define UNTIL_AVAILABLE(r, call) do {					\
	for (int i_ = 0; i_ < 300; i_++) {				\
		if (((r) = (call)) != WK_ERR_STORE_UNAVAIL)		\
			break;						\
		usleep(50 * 1000);					\
	}								\
} while (0)

static void
test_restart(void **state)
{
	struct fx *f = *state;
	struct wk_audit_event evs[3];
	struct wk_user u;
	struct wk_group g;
	int r;

	assert_int_equal(fx_add_user(f, "alice"), 0);
	audit_event(&evs[0], "r0");
	assert_int_equal(wk_store_audit_append(f->st, &evs[0]), 0);
	(void)wk_store_unavailable_take();

	assert_int_equal(pgc_ctl(&fx_cluster, false), 0);

	/* down: reads, single writes and transactions all say so */
	assert_int_equal(wk_store_user_get(f->st, "alice", &u),
	    WK_ERR_STORE_UNAVAIL);
	assert_true(wk_store_unavailable_take());
	assert_false(wk_store_unavailable_take());
	assert_int_equal(fx_add_user(f, "bob"), WK_ERR_STORE_UNAVAIL);
	fx_group(&g, "admins");
	assert_int_equal(wk_store_group_create(f->st, &g),
	    WK_ERR_STORE_UNAVAIL);
	assert_int_equal(wk_store_user_update(f->st, "alice", "alicia", NULL,
	    NULL), WK_ERR_STORE_UNAVAIL);
	audit_event(&evs[0], "r1");
	audit_event(&evs[1], "r2");
	audit_event(&evs[2], "r3");
	assert_int_equal(wk_store_audit_append_batch(f->st, evs, 3),
	    WK_ERR_STORE_UNAVAIL);
	assert_int_equal(evs[0].id, 0);
	assert_true(wk_store_error_count(f->st) >= 1);

	assert_int_equal(pgc_ctl(&fx_cluster, true), 0);

	/* back: the same store reconnects by itself */
	UNTIL_AVAILABLE(r, wk_store_user_get(f->st, "alice", &u));
	assert_int_equal(r, 0);
	assert_string_equal(u.name, "alice");
	/* nothing of what failed was written */
	assert_int_equal(wk_store_user_get(f->st, "bob", &u), WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_user_get(f->st, "alicia", &u),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_group_get(f->st, "admins", &g),
	    WK_ERR_NOTFOUND);
	assert_int_equal(audit_count(f), 1);
	/* and writes work again */
	assert_int_equal(fx_add_user(f, "bob"), 0);
	assert_int_equal(wk_store_audit_append_batch(f->st, evs, 3), 0);
	assert_true(evs[0].id > 0);
	assert_int_equal(audit_count(f), 4);
}

static void
test_connection_killed(void **state)
{
	struct fx *f = *state;
	struct wk_user u;
	int r;

	assert_int_equal(fx_add_user(f, "carol"), 0);
	assert_int_equal(fx_pg_exec("SELECT pg_terminate_backend(pid) FROM "
	    "pg_stat_activity WHERE pid <> pg_backend_pid() AND "
	    "backend_type = 'client backend'"), 0);
	UNTIL_AVAILABLE(r, wk_store_user_get(f->st, "carol", &u));
	assert_int_equal(r, 0);
	assert_int_equal(fx_add_user(f, "dave"), 0);
}

/* migrate is idempotent; open and check refuse a schema not current. */
static void
test_schema_versions(void **state)
{
	struct fx *f = *state;
	struct wk_store *st = NULL;
	char sql[128], path[512], why[512] = "";
	int from = -1, to = -1;

	assert_int_equal(wk_store_migrate(f->path, &from, &to, why,
	    sizeof(why)), 0);
	assert_int_equal(from, to);
	assert_int_equal(wk_store_check(f->path, why, sizeof(why)), 0);

	/* an empty schema: refused until migrated */
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s_b", f->schema);
	assert_int_equal(fx_pg_exec(sql), 0);
	snprintf(path, sizeof(path), "%s&options=-csearch_path%%3D%s_b",
	    fx_cluster.uri, f->schema);
	assert_int_equal(wk_store_open(path, f->key, &st), WK_ERR_CONFLICT);
	assert_null(st);
	assert_int_equal(wk_store_check(path, why, sizeof(why)),
	    WK_ERR_CONFLICT);
	assert_non_null(strstr(why, "wicketd migrate"));
	assert_int_equal(wk_store_migrate(path, &from, &to, why, sizeof(why)),
	    0);
	assert_int_equal(from, 0);
	assert_true(to > 0);
	assert_int_equal(wk_store_open(path, f->key, &st), 0);
	wk_store_close(st);

	/* a newer schema: refused, with what to do */
	snprintf(sql, sizeof(sql), "INSERT INTO %s_b.schema_version (version)"
	    " VALUES (999)", f->schema);
	assert_int_equal(fx_pg_exec(sql), 0);
	assert_int_equal(wk_store_check(path, why, sizeof(why)),
	    WK_ERR_CONFLICT);
	assert_non_null(strstr(why, "upgrade wicketd"));
	assert_int_equal(wk_store_migrate(path, &from, &to, why, sizeof(why)),
	    WK_ERR_CONFLICT);
	snprintf(sql, sizeof(sql), "DROP SCHEMA %s_b CASCADE", f->schema);
	assert_int_equal(fx_pg_exec(sql), 0);

	/* unreachable: its own error, with libpq's reason */
	assert_int_equal(wk_store_check("postgresql:///x?host=/nonexistent",
	    why, sizeof(why)), WK_ERR_STORE_UNAVAIL);
	assert_non_null(strstr(why, "cannot connect"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema_versions,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_connection_killed,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restart, fx_setup,
		    fx_teardown),
	};

	return fx_run("pg_outage", NULL, 0, tests,
	    sizeof(tests) / sizeof(tests[0]));
}
