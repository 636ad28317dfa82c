/*
 * hsts.c - Strict-Transport-Security on every answer to a secure request:
 * one function for both ways a request is secure (wicketd's own TLS, or
 * a trusted proxy that terminated TLS, forwarded.c), so the browser
 * keeps to https whichever way it reached wicketd. Never on plain HTTP
 * (RFC 6797 8.1: browsers ignore it there, and it would be a lie).
 */
#include "server/http/http.h"

#define STR_(x) #x
#define STR(x) STR_(x)

const char *
wk_http_hsts_header(bool secure)
{
	return secure ? "Strict-Transport-Security: max-age="
	    STR(WK_HTTP_HSTS_MAX_AGE_S) "\r\n" : "";
}
