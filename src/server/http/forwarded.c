/*
 * forwarded.c - the client's address and scheme behind a reverse proxy
 * (wicketd serve --trusted-proxy CIDR): X-Forwarded-For and
 * X-Forwarded-Proto, read only from a peer inside a trusted CIDR.
 *
 * A proxy appends the address it received the connection from to
 * X-Forwarded-For, so walking the list from the right, every entry after
 * a trusted proxy's own was seen by that proxy; the first entry (from the
 * right) that is not a trusted proxy is the client. Anything to its left
 * was written by the client and is never used. Malformed headers from a
 * trusted proxy fail the request (400) rather than fall back to the
 * proxy's address, so a misconfigured proxy is noticed at once.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "server/http/http.h"
#include "server/net/agent_addr.h"

#define ENTRY_TEXT_MAX 64	/* bytes of one entry, brackets included */

/* One X-Forwarded-For entry into canonical text; false when not an IP. */
static bool
entry_ip(struct wk_span e, char out[WK_HTTP_IP_TEXT_MAX])
{
	char buf[ENTRY_TEXT_MAX];
	unsigned char bin[16];

	if (e.len == 0 || memchr(e.p, '\0', e.len) != NULL)
		return false;
	if (e.len >= 2 && e.p[0] == '[' && e.p[e.len - 1] == ']') {
		e = wk_span_from_mem(e.p + 1, e.len - 2);
		if (e.len == 0 || e.len >= sizeof(buf))
			return false;
		memcpy(buf, e.p, e.len);
		buf[e.len] = '\0';
		if (inet_pton(AF_INET6, buf, bin) != 1)
			return false;
	} else {
		if (e.len == 0 || e.len >= sizeof(buf))
			return false;
		memcpy(buf, e.p, e.len);
		buf[e.len] = '\0';
		if (inet_pton(AF_INET, buf, bin) == 1)
			return inet_ntop(AF_INET, bin, out,
			    WK_HTTP_IP_TEXT_MAX) != NULL;
		if (inet_pton(AF_INET6, buf, bin) != 1)
			return false;
	}
	/* an IPv4-mapped IPv6 address is the IPv4 address */
	if (memcmp(bin, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
		return inet_ntop(AF_INET, bin + 12, out,
		    WK_HTTP_IP_TEXT_MAX) != NULL;
	return inet_ntop(AF_INET6, bin, out, WK_HTTP_IP_TEXT_MAX) != NULL;
}

/*
 * Every X-Forwarded-For header's entries, in order (repeated headers
 * are one comma-separated list), into hops. *nhops = 0 when absent.
 */
static int
read_xff(const struct wk_http_request *req,
    char hops[WK_HTTP_FWD_MAX_HOPS][WK_HTTP_IP_TEXT_MAX], size_t *nhops,
    char *why, size_t whysz)
{
	struct wk_span v, e, rest;
	bool more;

	*nhops = 0;
	for (size_t i = 0; i < req->nheaders; i++) {
		if (!wk_span_case_eq_cstr(req->headers[i].name,
		    "X-Forwarded-For"))
			continue;
		v = req->headers[i].value;
		do {
			more = wk_span_split(v, ',', &e, &rest);
			e = wk_span_trim(e);
			if (*nhops == WK_HTTP_FWD_MAX_HOPS) {
				snprintf(why, whysz, "X-Forwarded-For from "
				    "a trusted proxy has more than %d "
				    "addresses", WK_HTTP_FWD_MAX_HOPS);
				return WK_ERR_INVAL;
			}
			if (!entry_ip(e, hops[*nhops])) {
				snprintf(why, whysz, "X-Forwarded-For from "
				    "a trusted proxy: entry %zu is not an IP "
				    "address (a list of IPv4 or IPv6 "
				    "addresses, no ports, is expected)",
				    *nhops + 1);
				return WK_ERR_INVAL;
			}
			(*nhops)++;
			v = rest;
		} while (more);
	}
	return 0;
}

/* X-Forwarded-Proto: 1 https, 0 http, 2 absent; WK_ERR_INVAL otherwise. */
static int
read_xfp(const struct wk_http_request *req, char *why, size_t whysz)
{
	struct wk_span v = WK_SPAN_NULL;
	size_t n = 0;

	for (size_t i = 0; i < req->nheaders; i++)
		if (wk_span_case_eq_cstr(req->headers[i].name,
		    "X-Forwarded-Proto")) {
			v = req->headers[i].value;
			n++;
		}
	if (n == 0)
		return 2;
	v = wk_span_trim(v);
	if (n == 1 && wk_span_case_eq_cstr(v, "https"))
		return 1;
	if (n == 1 && wk_span_case_eq_cstr(v, "http"))
		return 0;
	snprintf(why, whysz, "X-Forwarded-Proto from a trusted proxy must be "
	    "one header with one value, http or https (the proxy must set "
	    "it, not append to it)");
	return WK_ERR_INVAL;
}

int
wk_http_forwarded_apply(const struct wk_addr_allow *trusted,
    struct wk_http_request *req, char *client_ip, char *why, size_t whysz)
{
	char hops[WK_HTTP_FWD_MAX_HOPS][WK_HTTP_IP_TEXT_MAX];
	size_t nhops, pick;
	int r, proto;

	if (whysz > 0)
		why[0] = '\0';
	if (trusted == NULL || trusted->n == 0 || req->peer_ip == NULL ||
	    !wk_addr_allow_match(trusted, req->peer_ip))
		return 0;
	if ((r = read_xff(req, hops, &nhops, why, whysz)) != 0)
		return r;
	if ((proto = read_xfp(req, why, whysz)) < 0)
		return proto;
	if (nhops > 0) {
		pick = 0;	/* all trusted: the left-most */
		for (size_t i = nhops; i-- > 0;)
			if (!wk_addr_allow_match(trusted, hops[i])) {
				pick = i;
				break;
			}
		memcpy(client_ip, hops[pick], WK_HTTP_IP_TEXT_MAX);
		req->source_ip = client_ip;
		req->forwarded = true;
	}
	if (proto != 2) {
		req->secure = proto == 1;
		req->forwarded = true;
	}
	return 0;
}
