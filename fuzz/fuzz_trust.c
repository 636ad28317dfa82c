/*
 * Fuzzes the helper's trust file parser (wk_trust_parse); what it accepts
 * must round-trip through the agent's writer byte for byte, and the
 * agent's own reader (wk_agent_trust_parse, which decides what a rotation
 * statement must be signed by) must agree with it on every input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "agent/agent.h"
#include "authkeys/authkeys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wk_pubkey akeys[WK_TRUST_MAX_KEYS];
	struct wk_trust t;
	struct wk_buf again;
	const char *why;
	char inst[20];
	size_t an;
	int ar;

	ar = wk_agent_trust_parse(wk_span_from_mem(data, size), inst, akeys,
	    WK_TRUST_MAX_KEYS, &an);
	if (wk_trust_parse(wk_span_from_mem(data, size), &t, &why) != 0) {
		if (ar == 0)
			__builtin_trap();	/* the agent reads more */
		return 0;
	}
	if (ar != 0 || an != t.nkeys || strcmp(inst, t.instance_id) != 0)
		__builtin_trap();
	for (size_t i = 0; i < an; i++)
		if (memcmp(akeys[i].raw, t.keys[i].raw, sizeof(akeys[i].raw)))
			__builtin_trap();
	if (t.nkeys == 0 || t.nkeys > WK_TRUST_MAX_KEYS ||
	    !wk_sock_instance_ok(t.instance_id, strlen(t.instance_id)))
		__builtin_trap();
	wk_buf_init(&again, WK_TRUST_MAX_LEN);
	if (wk_agent_trust_format(&again, t.instance_id, t.keys, t.nkeys) != 0
	    || again.len != size || memcmp(again.p, data, size) != 0)
		__builtin_trap();
	wk_buf_cleanup(&again);
	return 0;
}
