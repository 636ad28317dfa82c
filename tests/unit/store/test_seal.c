/*
 * test_seal.c - AES-256-GCM sealing of secret access keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/alloc.h"
#include "common/err.h"
#include "store/store_int.h"

static const uint8_t key1[WK_MASTER_KEY_LEN] = { 1, 2, 3, 4, 5 };
static const uint8_t key2[WK_MASTER_KEY_LEN] = { 1, 2, 3, 4, 6 };

static void
test_round_trip(void **state)
{
	uint8_t *a = NULL, *b = NULL;
	size_t alen, blen;
	char out[64];

	(void)state;
	assert_int_equal(wk_store_seal(key1, "AKIA1", "secret-value", &a,
	    &alen), 0);
	assert_int_equal(alen, WK_SEAL_OVERHEAD + strlen("secret-value"));
	assert_int_equal(a[0], WK_SEAL_VERSION);
	assert_null(memmem(a, alen, "secret", 6));
	assert_int_equal(wk_store_unseal(key1, "AKIA1", a, alen, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "secret-value");
	/* fresh nonce each time */
	assert_int_equal(wk_store_seal(key1, "AKIA1", "secret-value", &b,
	    &blen), 0);
	assert_int_equal(alen, blen);
	assert_memory_not_equal(a + 1, b + 1, WK_SEAL_NONCE_LEN);
	wk_free(a);
	wk_free(b);
	/* empty plaintext is allowed by the primitive */
	assert_int_equal(wk_store_seal(key1, "id", "", &a, &alen), 0);
	assert_int_equal(wk_store_unseal(key1, "id", a, alen, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "");
	wk_free(a);
}

static void
test_tamper(void **state)
{
	uint8_t *a = NULL;
	size_t alen, i;
	char out[64];

	(void)state;
	assert_int_equal(wk_store_seal(key1, "AKIA1", "s3cr3t", &a, &alen), 0);
	/* wrong key, wrong aad */
	assert_int_equal(wk_store_unseal(key2, "AKIA1", a, alen, out,
	    sizeof(out)), WK_ERR_CRYPTO);
	assert_string_equal(out, "");
	assert_int_equal(wk_store_unseal(key1, "AKIA2", a, alen, out,
	    sizeof(out)), WK_ERR_CRYPTO);
	/* every flipped byte is detected */
	for (i = 0; i < alen; i++) {
		a[i] ^= 0x40;
		assert_int_not_equal(wk_store_unseal(key1, "AKIA1", a, alen,
		    out, sizeof(out)), 0);
		a[i] ^= 0x40;
	}
	/* truncated, too short, output too small */
	assert_int_equal(wk_store_unseal(key1, "AKIA1", a, alen - 1, out,
	    sizeof(out)), WK_ERR_CRYPTO);
	assert_int_equal(wk_store_unseal(key1, "AKIA1", a, 5, out,
	    sizeof(out)), WK_ERR_CRYPTO);
	assert_int_equal(wk_store_unseal(key1, "AKIA1", a, alen, out, 6),
	    WK_ERR_TOOBIG);
	assert_int_equal(wk_store_unseal(key1, "AKIA1", a, alen, out, 7), 0);
	assert_string_equal(out, "s3cr3t");
	wk_free(a);
	assert_int_equal(wk_store_unseal(key1, NULL, a, alen, out, 7),
	    WK_ERR_INVAL);
}

static void
test_bad_input(void **state)
{
	char big[WK_SEAL_PLAIN_MAX + 2];
	uint8_t *a = (uint8_t *)(uintptr_t)1;
	size_t alen = 1;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(wk_store_seal(key1, "id", big, &a, &alen),
	    WK_ERR_TOOBIG);
	assert_null(a);
	assert_int_equal(alen, 0);
	assert_int_equal(wk_store_seal(key1, NULL, "x", &a, &alen),
	    WK_ERR_INVAL);
	wk_alloc_fail_after(0);
	assert_int_equal(wk_store_seal(key1, "id", "x", &a, &alen),
	    WK_ERR_NOMEM);
	wk_alloc_fail_after(-1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
