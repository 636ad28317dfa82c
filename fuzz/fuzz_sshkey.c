/*
 * fuzz_sshkey.c - public key line validation (line checks, base64, blob
 * structure, libssh decoding).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/sshkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wk_buf norm, again;
	char fp[WK_SSHKEY_FP_LEN], fp2[WK_SSHKEY_FP_LEN];
	const char *why = NULL;
	int r;

	wk_buf_init(&norm, WK_SSHKEY_MAX_LINE);
	wk_buf_init(&again, WK_SSHKEY_MAX_LINE);
	r = wk_sshkey_validate(wk_span_from_mem(data, size), &norm, fp, &why);
	if (r != 0 && why == NULL)
		__builtin_trap();
	if (r == 0) {
		/* The normalised form is a fixed point. */
		if (wk_sshkey_validate(wk_buf_span(&norm), &again, fp2,
		    &why) != 0 || !wk_span_eq(wk_buf_span(&norm),
		    wk_buf_span(&again)) || strcmp(fp, fp2) != 0)
			__builtin_trap();
	}
	wk_buf_cleanup(&norm);
	wk_buf_cleanup(&again);
	return 0;
}
