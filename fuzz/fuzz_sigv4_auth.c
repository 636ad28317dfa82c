/*
 * fuzz_sigv4_auth.c - the Authorization header parser, then verification
 * and canonicalisation of a request built around the fuzzed bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wk_span in = { data, size }, a, b;
	struct wk_sigv4_auth auth;
	struct wk_sigv4_header h[3] = {
		{ WK_SPAN_LIT("Host"), WK_SPAN_LIT("example.com") },
		{ WK_SPAN_LIT("X-Amz-Date"), WK_SPAN_LIT("20150830T123600Z") },
		{ WK_SPAN_LIT("X-Fuzz"), WK_SPAN_NULL },
	};
	struct wk_sigv4_request req = {
		.method = WK_SPAN_LIT("POST"),
		.path = WK_SPAN_LIT("/"),
		.headers = h,
		.nheaders = 3,
	};
	struct wk_buf out;

	if (wk_sigv4_parse_authorization(in, &auth) == 0) {
		/* Parsed spans must lie inside the input. */
		if (auth.access_key_id.p < data ||
		    auth.access_key_id.p + auth.access_key_id.len >
		    data + size)
			__builtin_trap();
		(void)wk_sigv4_verify(&req, &auth, WK_SPAN_LIT("secret"),
		    1440938160);
	}
	/* The same bytes as path, query, header value and body. */
	wk_buf_init(&out, 1 << 20);
	if (!wk_span_split(in, '?', &a, &b))
		b = WK_SPAN_NULL;
	req.path = a;
	req.query = b;
	h[2].value = in;
	req.body = in;
	(void)wk_sigv4_canonical_request(&req,
	    WK_SPAN_LIT("host;x-amz-date;x-fuzz"), true, &out);
	wk_buf_reset(&out);
	(void)wk_sigv4_canonical_request(&req, in, false, &out);
	wk_buf_cleanup(&out);
	return 0;
}
