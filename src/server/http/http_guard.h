/*
 * http_guard.h - the HTTP front's defences against slow and hostile
 * clients that need no libmicrohttpd: connections counted per client
 * address (IPv4 /32, IPv6 /64: one host can own a whole /64) and the
 * deadlines a connection's phases get. Internal to http.c (and its tests).
 */
#ifndef WK_SERVER_HTTP_GUARD_H
#define WK_SERVER_HTTP_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An address as counted: family tag, then 4 (IPv4) or 8 (IPv6 /64) bytes. */
struct wk_http_ipkey {
	uint8_t b[9];
};

/* IPv4, IPv4-mapped IPv6 (as IPv4) or IPv6; WK_ERR_INVAL otherwise. */
int wk_http_ipkey_from(const struct sockaddr *sa, socklen_t len,
    struct wk_http_ipkey *out);
/* "192.0.2.1" or "2001:db8::/64", for logs. */
void wk_http_ipkey_str(const struct wk_http_ipkey *k, char *out,
    size_t outsz);

struct wk_http_ipcount;
int wk_http_ipcount_new(struct wk_http_ipcount **out);
void wk_http_ipcount_free(struct wk_http_ipcount *t);	/* NULL-safe */
/* Connections open from k's address (or /64). */
unsigned wk_http_ipcount_get(const struct wk_http_ipcount *t,
    const struct wk_http_ipkey *k);
int wk_http_ipcount_add(struct wk_http_ipcount *t,
    const struct wk_http_ipkey *k);
void wk_http_ipcount_del(struct wk_http_ipcount *t,
    const struct wk_http_ipkey *k);
/* Addresses with at least one connection (tests). */
size_t wk_http_ipcount_size(const struct wk_http_ipcount *t);

/*
 * Phases of a connection, each with a deadline measured on
 * CLOCK_MONOTONIC from the phase's start and not reset by the bytes that
 * arrive: a client that trickles a byte a second cannot keep a connection.
 *   HEADERS    from accept until the request's headers are in
 *   KEEPALIVE  after a response, until the next request's headers are in:
 *              the idle timeout (as a silent connection gets) plus the
 *              header deadline, since we cannot see when the next request's
 *              first byte arrives
 *   BODY       from the headers until the whole body is in
 *   EXEMPT     the route runs or holds the request (an authenticated
 *              long-poll), or the response is being sent: no deadline here
 */
enum wk_http_phase {
	WK_HTTP_PHASE_HEADERS,
	WK_HTTP_PHASE_KEEPALIVE,
	WK_HTTP_PHASE_BODY,
	WK_HTTP_PHASE_EXEMPT,
};

struct wk_http_limits {
	uint64_t header_timeout_ms;
	uint64_t body_timeout_ms;
	uint64_t idle_timeout_ms;
};

/* Milliseconds the phase may last (UINT64_MAX: no deadline). */
uint64_t wk_http_phase_budget_ms(const struct wk_http_limits *l,
    enum wk_http_phase phase);
/* "headers", "keepalive", "body", "exempt", for logs. */
const char *wk_http_phase_name(enum wk_http_phase phase);

#endif
