/*
 * test_iam_fixture.h - shared by the test_iam_*.c unit tests: a wk_server
 * over a store in a temporary directory, an administrator caller (inline
 * Allow * policy) and a caller without policies, and call() to run an IAM
 * action's handler with parameters given in code.
 */
#ifndef WK_TEST_IAM_FIXTURE_H
#define WK_TEST_IAM_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/err.h"
#include "server/api/api.h"
#include "server/auth/authz.h"
#include "server/iam/iam_int.h"
#include "server/routes/routes.h"
#include "store/store.h"

#define FX_ACCOUNT "123456789012"
#define FX_ALLOW_ALL "{\"Version\":\"2012-10-17\",\"Statement\":" \
	"[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"
#define FX_MAX_PARAMS 64

struct fx {
	char dir[64];
	char db[128];
	struct wk_server srv;
	struct wk_caller admin;
	struct wk_caller nobody;
	const struct wk_caller *caller;	/* caller of the next call() */
	struct wk_param pv[FX_MAX_PARAMS];
	struct wk_params params;
	struct wk_api_resp resp;
};

__attribute__((unused)) static void
fx_params_free(struct fx *f)
{
	size_t i;

	for (i = 0; i < f->params.n; i++) {
		free(f->pv[i].name);
		free(f->pv[i].value);
	}
	f->params.n = 0;
}

__attribute__((unused)) static void
fx_make_user(struct fx *f, const char *name, struct wk_caller *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->user.name, sizeof(c->user.name), "%s", name);
	snprintf(c->user.path, sizeof(c->user.path), "/");
	snprintf(c->user.arn, sizeof(c->user.arn),
	    "arn:aws:iam::" FX_ACCOUNT ":user/%s", name);
	snprintf(c->user.id, sizeof(c->user.id), "AIDA%017d",
	    (int)strlen(name));
	c->user.create_date = time(NULL);
	snprintf(c->access_key_id, sizeof(c->access_key_id),
	    "AKIATESTTESTTEST0000");
	assert_int_equal(wk_store_user_create(f->srv.store, &c->user), 0);
}

__attribute__((unused)) static int
fx_setup(void **state)
{
	uint8_t key[WK_MASTER_KEY_LEN];
	struct fx *f;

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk-iamtest-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/wicket.db", f->dir);
	memset(key, 7, sizeof(key));
	assert_int_equal(wk_store_open(f->db, key, &f->srv.store), 0);
	snprintf(f->srv.account_id, sizeof(f->srv.account_id), FX_ACCOUNT);
	snprintf(f->srv.region, sizeof(f->srv.region), "us-east-1");
	fx_make_user(f, "admin", &f->admin);
	assert_int_equal(wk_store_user_policy_put(f->srv.store, "admin",
	    "all", FX_ALLOW_ALL), 0);
	fx_make_user(f, "nobody", &f->nobody);
	f->caller = &f->admin;
	f->params.v = f->pv;
	wk_buf_init(&f->resp.xml, 8 * 1024 * 1024);
	*state = f;
	return 0;
}

__attribute__((unused)) static int
fx_teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	fx_params_free(f);
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

/*
 * Runs `action` with name/value pairs (NULL-terminated). The response is
 * in f->resp (xml, status, error_code, error_message).
 */
__attribute__((unused)) static int
call(struct fx *f, const char *action, ...)
{
	const struct wk_api_action *act = NULL;
	struct wk_api_req req;
	const char *n, *v;
	va_list ap;
	size_t i;

	fx_params_free(f);
	va_start(ap, action);
	while ((n = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		assert_true(f->params.n < FX_MAX_PARAMS);
		f->pv[f->params.n].name = strdup(n);
		f->pv[f->params.n].value = strdup(v);
		f->params.n++;
	}
	va_end(ap);
	wk_buf_reset(&f->resp.xml);
	f->resp.status = 0;
	f->resp.error_code[0] = '\0';
	f->resp.error_message[0] = '\0';
	for (i = 0; wk_iam_actions[i] != NULL; i++)
		if (strcmp(wk_iam_actions[i]->name, action) == 0)
			act = wk_iam_actions[i];
	assert_non_null(act);
	assert_int_equal(act->protocol, WK_PROTO_QUERY_IAM);
	memset(&req, 0, sizeof(req));
	req.srv = &f->srv;
	req.caller = f->caller;
	req.request_id = "00000000-0000-4000-8000-000000000000";
	req.source_ip = "127.0.0.1";
	req.now = time(NULL);
	req.via = "api";
	req.params = &f->params;
	return act->handle(&req, &f->resp);
}

__attribute__((unused)) static const char *
xml(struct fx *f)
{
	return wk_buf_cstr(&f->resp.xml);
}

/* Asserts success. */
#define CALL_OK(f, ...) do {						\
	int r_ = call((f), __VA_ARGS__, NULL);				\
	if (r_ != 0)							\
		print_error("%s: %s\n", (f)->resp.error_code,		\
		    (f)->resp.error_message);				\
	assert_int_equal(r_, 0);					\
	assert_string_equal((f)->resp.error_code, "");			\
} while (0)

/* Asserts an error with this HTTP status and AWS code. */
#define CALL_ERR(f, st_, code_, ...) do {				\
	int r_ = call((f), __VA_ARGS__, NULL);				\
	assert_int_not_equal(r_, 0);					\
	assert_string_equal((f)->resp.error_code, (code_));		\
	assert_int_equal((f)->resp.status, (st_));			\
} while (0)

#define HAS(f, s) do {							\
	if (strstr(xml(f), (s)) == NULL)				\
		fail_msg("missing %s in %s", (s), xml(f));		\
} while (0)
#define HAS_NOT(f, s) assert_null(strstr(xml(f), (s)))
#define MSG_HAS(f, s) do {						\
	if (strstr((f)->resp.error_message, (s)) == NULL)		\
		fail_msg("message \"%s\" lacks \"%s\"",			\
		    (f)->resp.error_message, (s));			\
} while (0)

#endif
