/*
 * fuzz_revocation.c - a poll reply's "revocations" member as the agent
 * parses it (wk_agent_rev_parse): whatever wicketd or a server bug sends
 * must parse strictly or be refused, never crash nor widen; and its
 * signature check (wk_agent_rev_verify) against a pinned key: any input
 * (missing, malformed, wrong-length or foreign signatures) is refused
 * without a crash, since the fuzzer cannot forge Ed25519. Input: one JSON
 * value (an object, or an array of them).
 */
#include <stddef.h>
#include <stdint.h>

#include "agent/agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one(const json_t *v)
{
	static const uint8_t raw[WK_ED25519_PUB_LEN] = { 1, 2, 3, 4 };
	struct wk_agent_rev rv;
	struct wk_pubkey pin;
	const char *why;

	if (wk_pubkey_from_raw(raw, sizeof(raw), &pin) == 0 &&
	    wk_agent_rev_verify(v, &pin, 1, &why) == 0)
		__builtin_trap();	/* a forgery */
	if (wk_agent_rev_parse(v, &rv, &why) == 0) {
		/* the parser never lets "everything" through */
		if (rv.caller[0] == '\0' && rv.instance[0] == '\0' && !rv.by_ids)
			__builtin_trap();
		if (rv.keep_until < rv.at || rv.nids > WK_AGENT_REV_MAX_IDS)
			__builtin_trap();
		wk_agent_rev_cleanup(&rv);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root, *v;
	size_t i;

	if (size > 256 * 1024)
		return 0;
	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL);
	if (root == NULL)
		return 0;
	if (json_is_array(root)) {
		json_array_foreach(root, i, v)
			one(v);
	} else {
		one(root);
	}
	json_decref(root);
	return 0;
}
