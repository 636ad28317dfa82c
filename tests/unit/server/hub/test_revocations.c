/*
 * test_revocations.c - revocations on the poll (hub/revocations.c): only
 * agents that asked get them, only those for their instance (or none),
 * newer than their cursor, at most WK_HUB_REVS_PER_REPLY a reply with the
 * cursor where it stopped; a cursor from another database means 0.
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
#include "common/log.h"
#include "common/time.h"
#include "crypto/signkey.h"
#include "server/hub/agent_hub.h"
#include "server/hub/agent_hub_int.h"
#include "server/server.h"

#define INST "i-00000000000000001"
#define OTHER "i-00000000000000002"

struct fixture {
	char dir[64];
	char path[128];
	struct wk_server srv;
	struct wk_agent_hub *h;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint8_t key[WK_MASTER_KEY_LEN] = { 1 };

	if (f == NULL)
		return -1;
	wk_log_set_level(WK_LOG_NONE);
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk-hubrev-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/w.db", f->dir);
	if (wk_store_open(f->path, key, &f->srv.store) != 0)
		return -1;
	/* revocations go out signed with the record-signing key */
	if (wk_signkey_generate(&f->srv.signkey) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[192];

	wk_agent_hub_free(f->h);
	wk_store_close(f->srv.store);
	wk_signkey_free(f->srv.signkey);
	snprintf(p, sizeof(p), "%s/w.db", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/w.db-wal", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/w.db-shm", f->dir);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
add(struct fixture *f, const char *inst, const char *caller)
{
	struct wk_revocation r;
	time_t now = wk_wall_now();

	memset(&r, 0, sizeof(r));
	r.time_ms = (int64_t)now * 1000;
	r.at = now;
	r.keep_until = now + 100;
	snprintf(r.caller_arn, sizeof(r.caller_arn), "%s", caller);
	snprintf(r.instance_id, sizeof(r.instance_id), "%s", inst);
	assert_int_equal(wk_store_revocation_add(f->srv.store, &r), 0);
}

static json_t *
reply(struct fixture *f, struct wk_hub_agent *a)
{
	json_t *o = json_object();

	assert_int_equal(wk_hub_revocations_reply(f->h, a, wk_wall_now(), o),
	    0);
	return o;
}

static void
test_reply(void **state)
{
	struct fixture *f = *state;
	struct wk_hub_agent *a;
	json_t *o, *revs;
	int i;

	add(f, "", "arn:aws:iam::1:user/a");		/* 1: everyone */
	add(f, OTHER, "");				/* 2: another host */
	add(f, INST, "");				/* 3: this one */
	assert_int_equal(wk_agent_hub_new(&f->srv, &f->h), 0);
	assert_int_equal(f->h->rev_max, 3);
	assert_int_equal(wk_hub_get(f->h, INST, &a), 0);

	/* an agent that did not ask: nothing */
	o = reply(f, a);
	assert_int_equal(json_object_size(o), 0);
	json_decref(o);
	assert_false(wk_hub_rev_pending(f->h, a));

	a->rev_aware = true;
	a->held_rev = 0;
	assert_true(wk_hub_rev_pending(f->h, a));
	o = reply(f, a);
	revs = json_object_get(o, "revocations");
	assert_int_equal(json_array_size(revs), 2);
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(revs, 0), "id")), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(revs, 0), "caller")), "arn:aws:iam::1:user/a");
	assert_null(json_object_get(json_array_get(revs, 0), "instance"));
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(revs, 1), "id")), 3);
	assert_int_equal(json_integer_value(json_object_get(o,
	    "revocation_cursor")), 3);
	json_decref(o);

	/* caught up: nothing, the same cursor, no early answer */
	a->held_rev = 3;
	assert_false(wk_hub_rev_pending(f->h, a));
	o = reply(f, a);
	assert_null(json_object_get(o, "revocations"));
	assert_int_equal(json_integer_value(json_object_get(o,
	    "revocation_cursor")), 3);
	json_decref(o);

	/* more than a reply holds: cut, the cursor where it stopped */
	for (i = 0; i < WK_HUB_REVS_PER_REPLY + 5; i++)
		add(f, "", "arn:aws:iam::1:user/b");
	f->h->rev_max = 3 + WK_HUB_REVS_PER_REPLY + 5;
	o = reply(f, a);
	assert_int_equal(json_array_size(json_object_get(o, "revocations")),
	    WK_HUB_REVS_PER_REPLY);
	assert_int_equal(json_integer_value(json_object_get(o,
	    "revocation_cursor")), 3 + WK_HUB_REVS_PER_REPLY);
	json_decref(o);
	a->held_rev = 3 + WK_HUB_REVS_PER_REPLY;
	o = reply(f, a);
	assert_int_equal(json_array_size(json_object_get(o, "revocations")),
	    5);
	assert_int_equal(json_integer_value(json_object_get(o,
	    "revocation_cursor")), f->h->rev_max);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reply, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
