/*
 * Fuzzes the join token parser (wk_join_token_parse): whatever it accepts
 * formats back to the same bytes, the secret is exactly the prefix and 32
 * letters or digits, and a refusal always says why and leaves nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/join_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero[WK_SPKI_PIN_LEN];
	struct wk_join_token t;
	char again[WK_JOIN_TOKEN_MAX + 1];
	const char *why;

	if (wk_join_token_parse((const char *)data, size, &t, &why) != 0) {
		if (why == NULL || t.has_pin || t.secret[0] != '\0' ||
		    memcmp(t.pin, zero, sizeof(zero)) != 0)
			__builtin_trap();
		return 0;
	}
	if (strlen(t.secret) != WK_JOIN_SECRET_LEN ||
	    memcmp(t.secret, WK_JOIN_TOKEN_PREFIX,
	    sizeof(WK_JOIN_TOKEN_PREFIX) - 1) != 0)
		__builtin_trap();
	if (wk_join_token_format(&t, again, sizeof(again)) != 0 ||
	    strlen(again) != size || memcmp(again, data, size) != 0)
		__builtin_trap();
	wk_join_token_clear(&t);
	return 0;
}
