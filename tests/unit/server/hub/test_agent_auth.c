/*
 * test_agent_auth.c - the agent credential check on every poll
 * (wk_agent_authenticate) against a real store: a credential that was
 * good is refused on its very next use once the instance is deleted or
 * enrolled again under a new secret, whoever wrote the change (here a
 * second store handle, as another process or replica would). Guards any
 * later caching of the check.
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
#include "common/log.h"
#include "server/hub/agent_hub.h"
#include "server/hub/agent_hub_int.h"
#include "server/server.h"

#define INST "i-0123456789abcdef0"
#define SECRET_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SECRET_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

struct fixture {
	char dir[64];
	char path[128];
	uint8_t key[WK_MASTER_KEY_LEN];
	struct wk_server srv;
	struct wk_store *other;		/* another writer on the same data */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	wk_log_set_level(WK_LOG_NONE);
	f->key[0] = 1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk-hubauth-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/w.db", f->dir);
	if (wk_store_open(f->path, f->key, &f->srv.store) != 0 ||
	    wk_store_open(f->path, f->key, &f->other) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[192];

	wk_store_close(f->other);
	wk_store_close(f->srv.store);
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
enroll(struct wk_store *st, const char *secret)
{
	struct wk_instance in;

	memset(&in, 0, sizeof(in));
	snprintf(in.id, sizeof(in.id), "%s", INST);
	snprintf(in.hostname, sizeof(in.hostname), "host");
	snprintf(in.address, sizeof(in.address), "10.0.0.1");
	in.ssh_port = 22;
	in.create_date = 1700000000;
	assert_int_equal(wk_agent_sha256_hex(wk_span_from_cstr(secret),
	    in.agent_secret_hash), 0);
	assert_int_equal(wk_store_instance_create(st, &in), 0);
}

/* One poll's credential check with "Wicket-Agent INST:secret". */
static int
poll_auth(struct fixture *f, const char *secret)
{
	struct wk_sigv4_header hdr;
	struct wk_http_request req;
	struct wk_instance inst;
	char value[128];
	int r;

	snprintf(value, sizeof(value), "Wicket-Agent %s:%s", INST, secret);
	hdr.name = wk_span_from_cstr("Authorization");
	hdr.value = wk_span_from_cstr(value);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = wk_span_from_cstr("/agent/v1/poll");
	req.headers = &hdr;
	req.nheaders = 1;
	req.source_ip = req.peer_ip = "127.0.0.1";
	r = wk_agent_authenticate(&f->srv, &req, &inst);
	if (r == 0)
		assert_string_equal(inst.id, INST);
	wk_instance_cleanup(&inst);
	return r;
}

static void
test_deleted_refused_next_poll(void **state)
{
	struct fixture *f = *state;

	enroll(f->srv.store, SECRET_A);
	assert_int_equal(poll_auth(f, SECRET_A), 0);
	assert_int_equal(poll_auth(f, SECRET_A), 0);
	/* a good credential never lets another secret through */
	assert_int_equal(poll_auth(f, SECRET_B), WK_ERR_AUTH);
	/* deregistered by another writer: the very next poll is refused */
	assert_int_equal(wk_store_instance_delete(f->other, INST), 0);
	assert_int_equal(poll_auth(f, SECRET_A), WK_ERR_AUTH);
	assert_int_equal(poll_auth(f, SECRET_A), WK_ERR_AUTH);
}

static void
test_replaced_refused_next_poll(void **state)
{
	struct fixture *f = *state;

	enroll(f->srv.store, SECRET_A);
	assert_int_equal(poll_auth(f, SECRET_A), 0);
	/* enrolled again under the same id with a new secret */
	assert_int_equal(wk_store_instance_delete(f->other, INST), 0);
	enroll(f->other, SECRET_B);
	assert_int_equal(poll_auth(f, SECRET_A), WK_ERR_AUTH);
	assert_int_equal(poll_auth(f, SECRET_B), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deleted_refused_next_poll,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaced_refused_next_poll,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
