/*
 * test_rand.c - OS randomness and the identifiers built from it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/err.h"
#include "common/rand.h"

static void
test_bytes(void **state)
{
	uint8_t a[64], b[64], zero[64];

	(void)state;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	assert_int_equal(wk_random_bytes(a, sizeof(a)), 0);
	assert_int_equal(wk_random_bytes(b, sizeof(b)), 0);
	/* 2^-512 chance of a false failure */
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_int_equal(wk_random_bytes(a, 0), 0);
}

static void
test_aws_id(void **state)
{
	char id[32], id2[32];

	(void)state;
	assert_int_equal(wk_random_aws_id("AKIA", 16, id, sizeof(id)), 0);
	assert_int_equal(strlen(id), 20);
	assert_memory_equal(id, "AKIA", 4);
	for (size_t i = 4; i < 20; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
		    id[i]));
	assert_int_equal(wk_random_aws_id("AKIA", 16, id2, sizeof(id2)), 0);
	assert_string_not_equal(id, id2);
	/* exactly enough room, and one byte short */
	assert_int_equal(wk_random_aws_id("AIDA", 17, id, 22), 0);
	assert_int_equal(strlen(id), 21);
	assert_int_equal(wk_random_aws_id("AIDA", 17, id, 21), WK_ERR_INVAL);
	assert_int_equal(wk_random_aws_id("AIDA", 65, id, sizeof(id)),
	    WK_ERR_INVAL);
}

static void
test_instance_and_uuid(void **state)
{
	char iid[20], u[37];

	(void)state;
	assert_int_equal(wk_random_instance_id(iid), 0);
	assert_int_equal(strlen(iid), 19);
	assert_memory_equal(iid, "i-", 2);
	for (size_t i = 2; i < 19; i++)
		assert_non_null(strchr("0123456789abcdef", iid[i]));
	assert_int_equal(wk_random_uuid(u), 0);
	assert_int_equal(strlen(u), 36);
	assert_int_equal(u[8], '-');
	assert_int_equal(u[13], '-');
	assert_int_equal(u[14], '4');
	assert_int_equal(u[18], '-');
	assert_non_null(strchr("89ab", u[19]));
	assert_int_equal(u[23], '-');
	for (size_t i = 0; i < 36; i++)
		if (i != 8 && i != 13 && i != 18 && i != 23)
			assert_non_null(strchr("0123456789abcdef", u[i]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_aws_id),
		cmocka_unit_test(test_instance_and_uuid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
