/*
 * test_store_errors.c - wk_store_error_count (wicket_store_errors_total):
 * failures of the store itself are counted, answers about the data (not
 * found, already exists) are not.
 */
#include "store_fixture.h"

#include "common/alloc.h"
#include "store/store_int.h"

/* A backend that implements nothing but close. */
static void
bare_close(struct wk_store *st)
{
	wk_store_base_cleanup(st);
	free(st);
}

static const struct wk_store_ops bare_ops = {
	.name = "bare",
	.serialized = true,
	.close = bare_close,
};

/* An operation a backend lacks answers UNSUPPORTED, never crashes. */
static void
test_missing_op(void **state)
{
	uint8_t key[WK_MASTER_KEY_LEN] = { 0 };
	struct wk_store *st = calloc(1, sizeof(*st));
	struct wk_user u;
	uint64_t g;

	(void)state;
	assert_non_null(st);
	assert_int_equal(wk_store_base_init(st, &bare_ops, key), 0);
	assert_int_equal(wk_store_user_get(st, "alice", &u),
	    WK_ERR_UNSUPPORTED);
	assert_int_equal(wk_store_policy_generation(st, &g),
	    WK_ERR_UNSUPPORTED);
	assert_int_equal(wk_store_error_count(st), 0);
	wk_store_close(st);
}

static void
test_error_count(void **state)
{
	struct fx *f = *state;
	struct wk_user u;
	struct wk_user *uv = NULL;
	char *next = NULL;
	size_t n;
	int r;

	assert_int_equal(wk_store_error_count(NULL), 0);
	assert_int_equal(wk_store_error_count(f->st), 0);
	assert_int_equal(fx_add_user(f, "alice"), 0);
	assert_int_equal(fx_add_user(f, "alice"), WK_ERR_EXISTS);
	memset(&u, 0, sizeof(u));
	assert_int_equal(wk_store_user_get(f->st, "nobody", &u), WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_error_count(f->st), 0);
	/* an allocation failing inside the backend is the store's failure */
	wk_alloc_fail_after(0);
	r = wk_store_user_list(f->st, NULL, NULL, 10, &uv, &n, &next);
	wk_alloc_fail_after(-1);
	assert_int_equal(r, WK_ERR_NOMEM);
	assert_int_equal(wk_store_error_count(f->st), 1);
	assert_int_equal(wk_store_user_list(f->st, NULL, NULL, 10, &uv, &n,
	    &next), 0);
	wk_store_free(uv);
	wk_store_free(next);
	assert_int_equal(wk_store_error_count(f->st), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_op),
		cmocka_unit_test_setup_teardown(test_error_count, fx_setup,
		    fx_teardown),
	};
	const struct CMUnitTest pg_tests[] = {
		cmocka_unit_test_setup_teardown(test_error_count, fx_setup,
		    fx_teardown),
	};

	return fx_run("store_errors", tests, sizeof(tests) / sizeof(tests[0]),
	    pg_tests, sizeof(pg_tests) / sizeof(pg_tests[0]));
}
