/*
 * fuzz_store_seal.c - the store's two parsers of stored/untrusted bytes:
 * sealed secrets (wk_store_unseal) and policy version ids
 * (wk_store_version_parse), plus a seal/unseal round trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "store/store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[WK_MASTER_KEY_LEN] = { 9, 8, 7 };
	char out[128], text[65], vid[8];
	uint8_t *sealed = NULL;
	size_t sealedlen, tlen;
	int64_t num;

	(void)wk_store_unseal(key, "AKIAFUZZ", data, size, out, sizeof(out));

	tlen = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, tlen);
	text[tlen] = '\0';
	if (wk_store_version_parse(text, &num) == 0) {
		if (wk_store_version_format(num, vid) != 0 ||
		    strcmp(vid, text) != 0)
			abort();
	}
	if (wk_store_seal(key, "AKIAFUZZ", text, &sealed, &sealedlen) == 0) {
		if (wk_store_unseal(key, "AKIAFUZZ", sealed, sealedlen, out,
		    sizeof(out)) != 0 || strcmp(out, text) != 0)
			abort();
		if (sealedlen > 0 && wk_store_unseal(key, "AKIAFUZZ2", sealed,
		    sealedlen, out, sizeof(out)) == 0)
			abort();
		wk_free(sealed);
	}
	return 0;
}
