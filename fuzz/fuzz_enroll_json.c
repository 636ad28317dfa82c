/*
 * fuzz_enroll_json.c - the agent channel's enroll/update body parser
 * (wk_agent_reg_parse): JSON, hostnames, addresses, ports and host keys.
 * The first byte picks enroll (token required) or update.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "server/hub/agent_hub_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wk_agent_reg reg;
	const char *why = NULL;
	bool with_token;
	int r;

	if (size < 1)
		return 0;
	with_token = (data[0] & 1) != 0;
	wk_agent_reg_init(&reg);
	r = wk_agent_reg_parse(wk_span_from_mem(data + 1, size - 1),
	    with_token, &reg, &why);
	if (r == 0) {
		/* what was accepted is well-formed */
		if (reg.hostname[0] == '\0' || reg.nhost_keys == 0 ||
		    reg.nhost_keys > WK_AGENT_MAX_HOST_KEYS ||
		    reg.ssh_port < 1 || reg.ssh_port > 65535 ||
		    (with_token && reg.token[0] == '\0') ||
		    memchr(reg.host_keys.p, '\0', reg.host_keys.len) != NULL)
			__builtin_trap();
	} else if (why == NULL)
		__builtin_trap();
	wk_agent_reg_cleanup(&reg);
	return 0;
}
