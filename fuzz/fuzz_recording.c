/*
 * fuzz_recording.c - the recorder's handling of untrusted bytes: a host's
 * output, cut into chunks at arbitrary places, repaired into UTF-8
 * (wk_recording_utf8), and recording ids. The first byte sets the chunk
 * size; the rest is the output. The repaired text must be valid UTF-8
 * (jansson accepts it as a JSON string) and at most 3 bytes per input
 * byte; an id accepted must be 36 safe characters.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "server/console/console_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wk_buf out;
	uint8_t carry[4];
	size_t nc = 0, chunk, i, k;
	char id[64];
	json_t *s;

	if (size < 1)
		return 0;
	chunk = (size_t)(data[0] % 8) + 1;
	wk_buf_init(&out, 3 * size + 16);
	for (i = 1; i < size; i += k) {
		k = size - i < chunk ? size - i : chunk;
		if (wk_recording_utf8(carry, &nc, data + i, k, false,
		    &out) != 0 || nc > 3)
			abort();
	}
	if (wk_recording_utf8(carry, &nc, NULL, 0, true, &out) != 0 ||
	    nc != 0 || out.len > 3 * (size - 1))
		abort();
	if ((s = json_stringn(out.len > 0 ? (const char *)out.p : "",
	    out.len)) == NULL)
		abort();	/* not valid UTF-8 */
	json_decref(s);
	wk_buf_cleanup(&out);

	k = size - 1 < sizeof(id) - 1 ? size - 1 : sizeof(id) - 1;
	memcpy(id, data + 1, k);
	id[k] = '\0';
	if (wk_recording_id_ok(id) && (strlen(id) != WK_RECORDING_ID_LEN ||
	    strspn(id, "0123456789abcdef-") != WK_RECORDING_ID_LEN))
		abort();
	return 0;
}
