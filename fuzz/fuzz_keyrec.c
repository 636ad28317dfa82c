/*
 * fuzz_keyrec.c - key record parsing and verification against two pinned
 * keys: RFC 8032 test 1 and one generated at start-up whose secret is
 * thrown away, so no input can carry a valid signature and acceptance is
 * a bug. Parsed records must also give a printable authorized_keys line.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/keyrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wk_pubkey pins[2];
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

	if (wk_pubkey_from_raw(rfc, sizeof(rfc), &pins[0]) != 0 ||
	    wk_signkey_generate(&k) != 0)
		__builtin_trap();
	wk_signkey_public(k, &pins[1]);
	wk_signkey_free(k);
	ready = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wk_span text = { data, size }, signed_part;
	struct wk_keyrec rec, out;
	uint8_t sig[WK_ED25519_SIG_LEN];
	struct wk_buf line;
	const char *why = NULL;
	int r;

	if (!ready)
		init();
	if (wk_keyrec_parse(text, &rec, &signed_part, sig) == 0) {
		if (signed_part.p != data || signed_part.len >= size)
			__builtin_trap();
		wk_buf_init(&line, 16384);
		if (wk_keyrec_authorized_line(&rec, &line) != 0)
			__builtin_trap();	/* parsed implies printable */
		wk_buf_cleanup(&line);
	}
	r = wk_keyrec_verify(text, pins, 2, "i-0123456789abcdef0", "ubuntu",
	    1700000000, &out, &why);
	if (r != 0 && why == NULL)
		__builtin_trap();
	if (r == 0)
		__builtin_trap();	/* no pinned key signed anything */
	return 0;
}
