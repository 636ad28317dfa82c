/*
 * fuzz_console.c - the browser console's parsers of untrusted input:
 * Cookie headers, query strings, terminal messages, Origin/Host checks,
 * Sec-WebSocket-Key, registered host key lines, asset names. The first
 * byte picks the parser; the rest is its input.
 */
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
	struct wk_span in, v, a, b;
	struct wk_term_msg m;
	struct wk_sigv4_header h[3];
	struct wk_http_request req;
	char out[64], accept[29];
	char *s;

	if (size < 1)
		return 0;
	in = wk_span_from_mem(data + 1, size - 1);
	switch (data[0] % 7) {
	case 0:
		if (wk_console_cookie_get(in, "wk_session", &v) == 0 &&
		    v.len > 0 && (v.p < in.p || v.p + v.len > in.p + in.len))
			abort();
		break;
	case 1:
		if (wk_console_query_get(in, "user", out, sizeof(out)) == 0 &&
		    strlen(out) >= sizeof(out))
			abort();
		break;
	case 2:
		if (wk_term_msg_parse(in, &m) == 0 &&
		    m.kind == WK_TERM_MSG_RESIZE &&
		    (m.cols < 1 || m.cols > WK_TERM_MAX_COLS ||
		    m.rows < 1 || m.rows > WK_TERM_MAX_ROWS))
			abort();
		break;
	case 3:
		/* Host \n Origin \n Referer */
		memset(&req, 0, sizeof(req));
		a = in;
		h[0].name = WK_SPAN_LIT("Host");
		(void)wk_span_split(a, '\n', &h[0].value, &a);
		h[1].name = WK_SPAN_LIT("Origin");
		(void)wk_span_split(a, '\n', &h[1].value, &b);
		h[2].name = WK_SPAN_LIT("Referer");
		h[2].value = b;
		req.headers = h;
		req.nheaders = 3;
		req.secure = (data[0] & 0x80) != 0;
		(void)wk_console_same_origin(&req, true);
		req.nheaders = 2;
		(void)wk_console_same_origin(&req, false);
		break;
	case 4:
		if (wk_ws_accept_key(in, accept) == 0 && strlen(accept) != 28)
			abort();
		break;
	case 5:
		if ((s = malloc(in.len + 1)) == NULL)
			return 0;
		if (in.len > 0)
			memcpy(s, in.p, in.len);
		s[in.len] = '\0';
		(void)wk_console_host_key_registered(s, "ssh-ed25519",
		    "AAAAC3NzaC1lZDI1NTE5");
		free(s);
		break;
	case 6:
		(void)wk_console_asset_name_ok(in);
		break;
	}
	return 0;
}
