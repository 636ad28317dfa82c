/*
 * fuzz_addr_allow.c - the CIDR lists of --agent-address-allow and of join
 * tokens (wk_addr_allow_parse, read back from the database at every
 * enrollment) and the address check (IP literals only: names would hit
 * the resolver; a source that is a name is never resolved).
 * Input: "LIST\nADDRESS\nSOURCE".
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "server/net/agent_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[2048], why[512], out[WK_ADDR_TEXT_MAX], text[4096];
	unsigned char bin[16];
	char *addr = NULL, *src = NULL, *nl;
	struct wk_addr_allow list, again;
	struct wk_addr_request req;

	if (size >= sizeof(buf) || memchr(data, '\0', size) != NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if ((nl = strchr(buf, '\n')) != NULL) {
		*nl = '\0';
		addr = nl + 1;
		if ((nl = strchr(addr, '\n')) != NULL) {
			*nl = '\0';
			src = nl + 1;
		}
	}
	memset(&list, 0, sizeof(list));
	if (wk_addr_allow_parse(buf, &list, why, sizeof(why)) != 0) {
		if (list.n != 0 || why[0] == '\0')
			__builtin_trap();
		return 0;
	}
	/* what is accepted formats and parses back to the same list */
	if (wk_addr_allow_format(&list, text, sizeof(text)) != 0)
		__builtin_trap();
	memset(&again, 0, sizeof(again));
	if (wk_addr_allow_parse(text, &again, why, sizeof(why)) != 0 ||
	    again.n != list.n ||
	    memcmp(again.v, list.v, list.n * sizeof(list.v[0])) != 0)
		__builtin_trap();
	if (addr == NULL || (addr[0] != '\0' &&
	    inet_pton(AF_INET, addr, bin) != 1 &&
	    inet_pton(AF_INET6, addr, bin) != 1))
		return 0;
	memset(&req, 0, sizeof(req));
	req.address = addr;
	req.source_ip = src;
	req.server = &list;
	if (wk_agent_addr_check(&req, out, sizeof(out), why,
	    sizeof(why)) == 0 && out[0] == '\0')
		__builtin_trap();
	return 0;
}
