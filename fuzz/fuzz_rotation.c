/*
 * fuzz_rotation.c - rotation statement parsing and verification
 * (crypto/rotation.h) against two trusted keys: RFC 8032 test 1 and one
 * generated at start-up whose secret is thrown away, so no input can
 * carry a valid signature and acceptance is a bug. A parsed statement
 * must format back to exactly its signed bytes (the format has one
 * spelling), and splitting a list must consume the input in order.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/rotation.h"
#include "crypto/signkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wk_pubkey trusted[2];
static int ready;

static void
init(void)
{
	static const uint8_t rfc[32] = {
		0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b,
		0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3,
		0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07,
		0x51, 0x1a,
	};
	struct wk_signkey *k = NULL;

	if (wk_pubkey_from_raw(rfc, sizeof(rfc), &trusted[0]) != 0 ||
	    wk_signkey_generate(&k) != 0)
		__builtin_trap();
	wk_signkey_public(k, &trusted[1]);
	wk_signkey_free(k);
	ready = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wk_span text = { data, size }, signed_part, rest, one;
	struct wk_rotation st, out;
	uint8_t sig[WK_ED25519_SIG_LEN];
	struct wk_buf again;
	const char *why = NULL;
	size_t consumed = 0;
	int r;

	if (!ready)
		init();
	if (wk_rotation_parse(text, &st, &signed_part, sig) == 0) {
		if (signed_part.p != data || signed_part.len >= size ||
		    st.seq == 0 || st.seq > WK_ROTATION_MAX_SEQ ||
		    strcmp(st.signer_id, st.key.id) == 0)
			__builtin_trap();
		wk_buf_init(&again, WK_ROTATION_MAX_LEN);
		if (wk_rotation_format_unsigned(&st, st.signer_id, &again) !=
		    0 || !wk_span_eq(wk_buf_span(&again), signed_part))
			__builtin_trap();	/* one spelling only */
		wk_buf_cleanup(&again);
	}
	r = wk_rotation_verify(text, trusted, 2, 1700000000, &out, &why);
	if (r == 0 || why == NULL)
		__builtin_trap();	/* no trusted key signed anything */
	rest = text;
	while (rest.len > 0 && wk_rotation_next(&rest, &one)) {
		if (one.p != data + consumed || one.len == 0)
			__builtin_trap();
		consumed += one.len;
	}
	if (consumed + rest.len != size)
		__builtin_trap();
	return 0;
}
