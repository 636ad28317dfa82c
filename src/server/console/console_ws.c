/*
 * console_ws.c - GET /console/ws: the terminal's WebSocket handshake. The
 * upgrade is refused with 403 before anything else unless the request
 * carries a live session cookie and an Origin equal to the served origin;
 * malformed handshakes get 400. Everything about the SSH side (which
 * instance, which OS user, policy) is decided after the upgrade, so that
 * refusals reach the person as text in the terminal. Also the parser of
 * the query string (the terminal protocol's is console_term_msg.c).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "server/console/console_int.h"
#include "server/server.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

int
wk_ws_accept_key(struct wk_span key, char out[static 29])
{
	struct wk_buf raw, b64;
	uint8_t md[20];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = NULL;
	int r = WK_ERR_INVAL;

	out[0] = '\0';
	wk_buf_init(&raw, 64);
	wk_buf_init(&b64, 64);
	key = wk_span_trim(key);
	if (key.len != 24 || wk_base64_decode(key, &raw) != 0 ||
	    raw.len != 16)
		goto out;
	r = WK_ERR_CRYPTO;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, key.p, key.len) != 1 ||
	    EVP_DigestUpdate(ctx, WS_GUID, strlen(WS_GUID)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != sizeof(md))
		goto out;
	if ((r = wk_base64_encode(&b64, md, sizeof(md))) != 0)
		goto out;
	if (b64.len != 28) {
		r = WK_ERR_INTERNAL;
		goto out;
	}
	memcpy(out, b64.p, 28);
	out[28] = '\0';
	r = 0;
 out:
	EVP_MD_CTX_free(ctx);
	wk_buf_cleanup(&raw);
	wk_buf_cleanup(&b64);
	return r;
}

int
wk_console_query_get(struct wk_span query, const char *name, char *out,
    size_t outsz)
{
	struct wk_span rest = query, pair, k, v;
	struct wk_buf dec;
	int r;

	if (outsz == 0)
		return WK_ERR_TOOBIG;
	out[0] = '\0';
	while (rest.len > 0) {
		bool more = wk_span_split(rest, '&', &pair, &rest);

		if (!wk_span_split(pair, '=', &k, &v)) {
			k = pair;
			v = WK_SPAN_LIT("");
		}
		if (!wk_span_eq_cstr(k, name)) {
			if (!more)
				break;
			continue;
		}
		wk_buf_init(&dec, outsz - 1);
		r = wk_uri_decode(&dec, v, true);
		if (r == 0 && memchr(dec.p, '\0', dec.len) != NULL)
			r = WK_ERR_INVAL;
		if (r == 0) {
			if (dec.len > 0)
				memcpy(out, dec.p, dec.len);
			out[dec.len] = '\0';
		}
		wk_buf_cleanup(&dec);
		return r;
	}
	return WK_ERR_NOTFOUND;
}

static bool
header_has_token(struct wk_span h, const char *token)
{
	struct wk_span rest = h, part;

	while (rest.len > 0) {
		bool more = wk_span_split(rest, ',', &part, &rest);

		if (wk_span_case_eq_cstr(wk_span_trim(part), token))
			return true;
		if (!more)
			break;
	}
	return false;
}

static void
refuse(struct wk_http_conn *c, unsigned status, const char *text)
{
	wk_http_respond(c, status, "text/plain; charset=utf-8",
	    wk_span_from_cstr(text), wk_console_sec_headers);
}

void
wk_console_ws(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct wk_console_session sess, *s = &sess;
	struct wk_console_term_args a;
	char accept[29], num[8];
	uint64_t v;
	int r;

	memset(&a, 0, sizeof(a));
	if (!wk_console_same_origin(req, false)) {
		wk_log_auth(WK_LOG_INFO, "console_ws", "source_ip=%s "
		    "outcome=refused reason=origin", req->source_ip);
		refuse(c, 403, "cross-origin WebSocket refused\n");
		return;
	}
	if (wk_console_session_live(srv, req, wk_wall_ms(), s) != 0) {
		wk_log_auth(WK_LOG_INFO, "console_ws", "source_ip=%s "
		    "outcome=refused reason=no_session", req->source_ip);
		refuse(c, 403, "not signed in\n");
		return;
	}
	if (!header_has_token(wk_http_header(req, "Upgrade"), "websocket") ||
	    !header_has_token(wk_http_header(req, "Connection"), "upgrade") ||
	    !wk_span_eq_cstr(wk_span_trim(wk_http_header(req,
	    "Sec-WebSocket-Version")), "13") ||
	    wk_ws_accept_key(wk_http_header(req, "Sec-WebSocket-Key"),
	    accept) != 0) {
		wk_explicit_bzero(&sess, sizeof(sess));
		refuse(c, 400, "a WebSocket handshake is expected here\n");
		return;
	}
	_Static_assert(sizeof(a.user) == sizeof(s->user) &&
	    sizeof(a.user_id) == sizeof(s->user_id), "same fields");
	memcpy(a.user, s->user, sizeof(a.user));	/* NUL-terminated */
	memcpy(a.user_id, s->user_id, sizeof(a.user_id));
	memcpy(a.pw_tag, s->pw_tag, sizeof(a.pw_tag));
	wk_explicit_bzero(&sess, sizeof(sess));	/* the tokens */
	snprintf(a.source_ip, sizeof(a.source_ip), "%s",
	    req->source_ip != NULL ? req->source_ip : "-");
	a.secure = req->secure;
	/* absent or malformed: refused after the upgrade, in words */
	(void)wk_console_query_get(req->query, "instance", a.instance_id,
	    sizeof(a.instance_id));
	(void)wk_console_query_get(req->query, "user", a.os_user,
	    sizeof(a.os_user));
	a.cols = 80;
	a.rows = 24;
	if (wk_console_query_get(req->query, "cols", num, sizeof(num)) == 0 &&
	    wk_cstr_to_u64(num, WK_TERM_MAX_COLS, &v) == 0 && v > 0)
		a.cols = (unsigned)v;
	if (wk_console_query_get(req->query, "rows", num, sizeof(num)) == 0 &&
	    wk_cstr_to_u64(num, WK_TERM_MAX_ROWS, &v) == 0 && v > 0)
		a.rows = (unsigned)v;
	if ((r = wk_console_term_upgrade(srv, c, accept, &a)) != 0) {
		wk_log(WK_LOG_ERROR, "console_ws", "error=%s", wk_strerror(r));
		refuse(c, 503, "cannot open a terminal now\n");
	}
}
