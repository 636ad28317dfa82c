/*
 * fuzz_forwarded.c - X-Forwarded-For / X-Forwarded-Proto from a trusted
 * proxy (wk_http_forwarded_apply). Input: "PEER\nXFF\nXFP[\nXFF2]"; the
 * trusted list is fixed (10.0.0.0/8, 2001:db8::/32). Checks: on success the
 * client address is an IP literal that is either the peer or one of the
 * entries; on error `why` is set and the request is unchanged.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "server/http/http.h"
#include "server/net/agent_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wk_addr_allow trusted;
	static int ready;
	struct wk_sigv4_header h[3];
	struct wk_span in = wk_span_from_mem(data, size), peer, rest;
	struct wk_span parts[4];
	struct wk_http_request req;
	char peerbuf[64], ip[WK_HTTP_IP_TEXT_MAX], why[256];
	unsigned char bin[16];
	size_t n = 0;
	int r;

	if (!ready) {
		if (wk_addr_allow_parse("10.0.0.0/8,2001:db8::/32", &trusted,
		    why, sizeof(why)) != 0)
			__builtin_trap();
		ready = 1;
	}
	if (size > 8192)
		return 0;
	while (n < 4) {
		bool more = wk_span_split(in, '\n', &parts[n], &rest);

		n++;
		if (!more)
			break;
		in = rest;
	}
	peer = parts[0];
	if (peer.len == 0 || peer.len >= sizeof(peerbuf) ||
	    memchr(peer.p, '\0', peer.len) != NULL)
		return 0;
	memcpy(peerbuf, peer.p, peer.len);
	peerbuf[peer.len] = '\0';
	h[0].name = WK_SPAN_LIT("X-Forwarded-For");
	h[0].value = n > 1 ? parts[1] : WK_SPAN_NULL;
	h[1].name = WK_SPAN_LIT("X-Forwarded-Proto");
	h[1].value = n > 2 ? parts[2] : WK_SPAN_NULL;
	h[2].name = WK_SPAN_LIT("x-forwarded-for");
	h[2].value = n > 3 ? parts[3] : WK_SPAN_NULL;
	memset(&req, 0, sizeof(req));
	req.headers = h;
	req.nheaders = n > 1 ? n - 1 : 0;
	req.peer_ip = req.source_ip = peerbuf;
	r = wk_http_forwarded_apply(&trusted, &req, ip, why, sizeof(why));
	if (r != 0) {
		if (why[0] == '\0' || req.source_ip != peerbuf || req.secure ||
		    req.forwarded || !wk_addr_allow_match(&trusted, peerbuf))
			__builtin_trap();
		return 0;
	}
	if (req.source_ip != peerbuf) {
		if (req.source_ip != ip || !req.forwarded ||
		    !wk_addr_allow_match(&trusted, peerbuf) ||
		    (inet_pton(AF_INET, ip, bin) != 1 &&
		    inet_pton(AF_INET6, ip, bin) != 1))
			__builtin_trap();
	}
	if (req.forwarded && !wk_addr_allow_match(&trusted, peerbuf))
		__builtin_trap();
	return 0;
}
