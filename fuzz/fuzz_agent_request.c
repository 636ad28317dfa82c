/*
 * Fuzzes both parsers of the agent <-> wicket-authorized-keys socket
 * protocol: the agent's request line parser (wk_agent_parse_request) and
 * the helper's reply parser (wk_ak_parse_reply). The first byte picks one.
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
	char user[WK_SOCK_MAX_USER + 1];
	struct wk_span recs[WK_SOCK_MAX_RECORDS];
	struct wk_span in;
	const char *why;
	size_t n, i, total;

	if (size < 1)
		return 0;
	in = wk_span_from_mem(data + 1, size - 1);
	if (data[0] & 1) {
		if (wk_agent_parse_request(in, user, &why) == 0) {
			/* Whatever passes is a valid OS user name. */
			if (!wk_sock_user_ok((const uint8_t *)user,
			    strlen(user)))
				__builtin_trap();
		}
		return 0;
	}
	if (wk_ak_parse_reply(in, recs, &n, &why) == 0) {
		if (n > WK_SOCK_MAX_RECORDS)
			__builtin_trap();
		total = 0;
		for (i = 0; i < n; i++) {
			if (recs[i].len == 0 ||
			    recs[i].len > WK_SOCK_MAX_RECORD ||
			    recs[i].p < in.p ||
			    recs[i].p + recs[i].len > in.p + in.len)
				__builtin_trap();
			total += recs[i].len;
		}
		if (total > in.len)
			__builtin_trap();
	}
	return 0;
}
