/*
 * test_store_errors.c - wk_store_error_count (wicket_store_errors_total):
 * failures of the store itself are counted, answers about the data (not
 * found, already exists) are not.
 */
#include "store_fixture.h"

#include "common/alloc.h"

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
		cmocka_unit_test_setup_teardown(test_error_count, fx_setup,
		    fx_teardown),
	};

	return FX_RUN_BOTH("store_errors", tests);
}
