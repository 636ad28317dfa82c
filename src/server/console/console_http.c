/*
 * console_http.c - what every console answer shares: JSON replies with
 * no-store and the security headers, error bodies, and GET / -> /console/.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "server/console/console_int.h"

const char wk_console_sec_headers[] =
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: same-origin\r\n"
    /* wasm-unsafe-eval: asciinema-player's terminal is WebAssembly;
     * it allows compiling WebAssembly only, not eval() */
    "Content-Security-Policy: default-src 'self'; "
    "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; "
    "img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'\r\n";

void
wk_console_json(struct wk_http_conn *c, unsigned status, void *json,
    const char *extra_headers)
{
	json_t *j = json;
	char *text = NULL;
	struct wk_buf h;

	wk_buf_init(&h, 8192);
	if (j != NULL)
		text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (wk_buf_append_str(&h, wk_console_sec_headers) != 0 ||
	    (extra_headers != NULL &&
	    wk_buf_append_str(&h, extra_headers) != 0) || text == NULL) {
		wk_http_respond(c, 500, "application/json",
		    WK_SPAN_LIT("{\"code\":\"InternalError\"}"),
		    wk_console_sec_headers);
	} else {
		wk_http_respond(c, status, "application/json; charset=utf-8",
		    wk_span_from_cstr(text), wk_buf_cstr(&h));
	}
	free(text);	/* jansson's allocator */
	wk_buf_cleanup(&h);
}

void
wk_console_error(struct wk_http_conn *c, unsigned status, const char *code,
    const char *message)
{
	wk_console_json(c, status, json_pack("{s:s, s:s}", "code", code,
	    "message", message), NULL);
}

void
wk_console_root(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	(void)srv;
	(void)req;
	wk_http_respond(c, 302, "text/plain; charset=utf-8",
	    WK_SPAN_LIT("see /console/\n"), "Location: /console/\r\n");
}
