/*
 * console_term_msg.c - the terminal protocol's pieces that both the
 * WebSocket endpoint (console_ws.c) and the terminal bridge
 * (console_term.c) use: the browser-to-server message parser and the
 * host-key check, below both so neither calls back into the other.
 */
#include <stdbool.h>
#include <string.h>

#include "common/err.h"
#include "server/console/console_int.h"

int
wk_term_msg_parse(struct wk_span msg, struct wk_term_msg *out)
{
	memset(out, 0, sizeof(*out));
	if (msg.len < 1 || msg.len > WK_TERM_MSG_MAX)
		return WK_ERR_INVAL;
	switch (msg.p[0]) {
	case WK_TERM_IN_INPUT:
		out->kind = WK_TERM_MSG_INPUT;
		out->data = wk_span_from_mem(msg.p + 1, msg.len - 1);
		return 0;
	case WK_TERM_IN_RESIZE:
		if (msg.len != 5)
			return WK_ERR_INVAL;
		out->kind = WK_TERM_MSG_RESIZE;
		out->cols = (unsigned)msg.p[1] << 8 | msg.p[2];
		out->rows = (unsigned)msg.p[3] << 8 | msg.p[4];
		if (out->cols < 1 || out->cols > WK_TERM_MAX_COLS ||
		    out->rows < 1 || out->rows > WK_TERM_MAX_ROWS)
			return WK_ERR_INVAL;
		return 0;
	case WK_TERM_IN_PAUSE:
	case WK_TERM_IN_RESUME:
		if (msg.len != 1)
			return WK_ERR_INVAL;
		out->kind = msg.p[0] == WK_TERM_IN_PAUSE ?
		    WK_TERM_MSG_PAUSE : WK_TERM_MSG_RESUME;
		return 0;
	default:
		return WK_ERR_INVAL;
	}
}

bool
wk_console_host_key_registered(const char *registered, const char *type,
    const char *b64)
{
	const char *p = registered;
	size_t tlen = strlen(type), blen = strlen(b64);

	if (registered == NULL || tlen == 0 || blen == 0)
		return false;
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

		/* "type base64[ comment]" */
		if (len >= tlen + 1 + blen && memcmp(p, type, tlen) == 0 &&
		    p[tlen] == ' ' && memcmp(p + tlen + 1, b64, blen) == 0 &&
		    (len == tlen + 1 + blen || p[tlen + 1 + blen] == ' ' ||
		    p[tlen + 1 + blen] == '\r'))
			return true;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return false;
}
