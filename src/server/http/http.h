/*
 * http.h - wicketd's HTTP front: libmicrohttpd driven from our own epoll
 * loop (so we own the timers), request bodies collected up to the route's
 * cap, then dispatched to a route. A route answers at once or suspends the
 * request (long-poll) and answers later from a timer or another request.
 */
#ifndef WK_SERVER_HTTP_H
#define WK_SERVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <sys/socket.h>

#include "common/buf.h"
#include "crypto/sigv4.h"

struct wk_server;
struct wk_http_conn;	/* one request in flight; owned by http.c */

struct wk_http_request {
	const char *method;
	struct wk_span path;	/* raw request target path (still encoded) */
	struct wk_span query;	/* raw query string, without '?' */
	const struct wk_sigv4_header *headers;	/* as received */
	size_t nheaders;
	struct wk_span body;
	/* the client's address, "127.0.0.1": the TCP peer, or behind a
	 * --trusted-proxy the address that proxy saw (forwarded.c) */
	const char *source_ip;
	const char *peer_ip;	/* the TCP peer (the proxy when forwarded) */
	/* arrived over TLS, or through a trusted proxy that says the
	 * client's connection was https (X-Forwarded-Proto) */
	bool secure;
	bool forwarded;		/* source_ip/secure came from a trusted proxy */
};

/* First value of a header (case-insensitive name), or an empty NULL span. */
struct wk_span wk_http_header(const struct wk_http_request *req,
    const char *name);

/* ---- behind a reverse proxy (forwarded.c) ---- */
struct wk_addr_allow;		/* server/net/agent_addr.h */

#define WK_HTTP_FWD_MAX_HOPS 32	/* X-Forwarded-For entries read, at most */
#define WK_HTTP_IP_TEXT_MAX 46	/* INET6_ADDRSTRLEN */

/*
 * Only when req->peer_ip (the TCP peer) lies inside `trusted` (wicketd
 * serve --trusted-proxy): req->source_ip becomes the right-most
 * X-Forwarded-For address that is not itself a trusted proxy (the
 * address the outermost trusted proxy saw; entries left of it are
 * whatever the client wrote and are never used; all trusted: the
 * left-most), written canonically to client_ip (WK_HTTP_IP_TEXT_MAX
 * bytes), and X-Forwarded-Proto "https"/"http" sets req->secure. Every
 * X-Forwarded-For header and entry must be an IP address ("[v6]" too,
 * no ports), and X-Forwarded-Proto one header with one value: otherwise
 * WK_ERR_INVAL and `why` says what is wrong (the caller answers 400),
 * req unchanged. Absent headers leave source_ip/secure as they are. From
 * any other peer the headers are ignored and req is unchanged.
 */
int wk_http_forwarded_apply(const struct wk_addr_allow *trusted,
    struct wk_http_request *req, char *client_ip, char *why, size_t whysz);

/*
 * A listen address, "host:port" or "[v6]:port" (numeric only), into a
 * socket address. An empty host is empty_host, or every address when
 * empty_host is NULL.
 */
int wk_http_parse_listen(const char *listen, const char *empty_host,
    struct sockaddr_storage *ss, socklen_t *sslen);

/* ---- answering ---- */
/*
 * Queues the response and, for a suspended request, resumes it. Copies
 * body. extra_headers: NULL or "Name: value\r\n" lines. May be called
 * once per request; later calls are ignored with WK_ERR_INVAL.
 */
int wk_http_respond(struct wk_http_conn *c, unsigned status,
    const char *content_type, struct wk_span body, const char *extra_headers);

/*
 * Suspends the request (long-poll). The route must later call
 * wk_http_respond; if it has not after timeout_ms, on_timeout(c, arg) is
 * called (and must respond). on_close(arg) is called if the client goes
 * away first; after that, c is invalid. Either callback may be NULL.
 */
int wk_http_suspend(struct wk_http_conn *c, uint64_t timeout_ms,
    void (*on_timeout)(struct wk_http_conn *c, void *arg),
    void (*on_close)(void *arg), void *arg);

/* ---- routes ---- */
struct wk_http_route {
	const char *method;	/* "POST"; NULL = any */
	const char *path;	/* exact match against the decoded path */
	size_t body_max;	/* bytes; larger bodies get 413 */
	void (*handle)(struct wk_server *srv, struct wk_http_conn *c,
	    const struct wk_http_request *req);
	/*
	 * 0, or a smaller cap for requests that carry no SigV4
	 * Authorization header (they cannot authenticate: no reason to
	 * accept a large body from them).
	 */
	size_t preauth_body_max;
	/* true: `path` matches every decoded path that starts with it (the
	 * table is searched in order, so exact routes come first) */
	bool prefix;
};

/* Front-wide ceilings. */
#define WK_HTTP_MAX_HEADERS WK_SIGV4_MAX_HEADERS
#define WK_HTTP_MAX_PATH 2048		/* bytes of the raw path */
#define WK_HTTP_MAX_QUERY 4096		/* bytes of the raw query */
/*
 * libmicrohttpd's per-connection pool: the request line and headers, their
 * index, a copy of the Cookie header (libmicrohttpd parses cookies into a
 * copy), the response's header block. It is zeroed whole after every
 * request and a held connection (an agent's long-poll, an open terminal)
 * keeps it, so its size is paid per agent in memory and per heartbeat in
 * CPU. 10 KiB is the least that takes the largest legitimate requests: a
 * browser's with WK_CONSOLE_MAX_COOKIE bytes of cookies (up to ~4.5 KB of
 * cookies fit), an AWS CLI call with SigV4, a session token and the CLI's
 * user agent (up to ~8 KB of session token fit). Past
 * that libmicrohttpd answers 431 (within ~100 bytes of the limit it closes
 * the connection without an answer: its response header no longer fits).
 */
#define WK_HTTP_CONN_MEMORY (10 * 1024)
#define WK_HTTP_IDLE_TIMEOUT_S 30	/* silent connections are dropped */
/*
 * Deadlines from the start of a phase, not reset by arriving bytes (see
 * http_guard.h): headers within WK_HTTP_HEADER_TIMEOUT_MS of the accept
 * (of the previous response, plus the idle timeout, on a kept-alive
 * connection), the body within WK_HTTP_BODY_DEADLINE_MS of the headers.
 * A request the route holds (an agent's long-poll) has none.
 */
#define WK_HTTP_HEADER_TIMEOUT_MS 10000
#define WK_HTTP_BODY_DEADLINE_MS 30000
#define WK_HTTP_TIMEOUT_MAX_MS 3600000	/* ceiling of both options */
/* Connections per client IPv4 address or IPv6 /64 (a NAT counts once). */
#define WK_HTTP_MAX_CONN_PER_IP 1024

/* ---- TLS on the listener (tls.c; libmicrohttpd with GnuTLS) ---- */
struct wk_tls;	/* the certificate chain and key being served */
/* Strict-Transport-Security on every answer to a secure request (wicketd's
 * own TLS, or an https proxy under --trusted-proxy): a year */
#define WK_HTTP_HSTS "max-age=31536000"
/* TLS 1.2 and 1.3 only, GnuTLS's NORMAL ciphers otherwise */
#define WK_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/*
 * Loads cert_path (PEM: the server certificate, optionally followed by
 * its intermediates), chain_path (NULL, or more PEM intermediates) and
 * key_path (PEM, ECDSA or RSA, unencrypted). Refused (why says why): a
 * missing or unreadable file, no certificate, a key that is not the
 * certificate's, a certificate expired or not yet valid.
 */
int wk_tls_new(const char *cert_path, const char *key_path,
    const char *chain_path, struct wk_tls **out, char *why, size_t whysz);
void wk_tls_free(struct wk_tls *t);	/* NULL-safe; after the listener */

/*
 * Reloads the files when they changed since the last look (force: in any
 * case). A new valid set is served from the next handshake on; open
 * connections keep going. A bad one is logged (tls_reload_failed) and the
 * current one kept. *changed (may be NULL) says whether a new certificate
 * is now served.
 */
int wk_tls_reload(struct wk_tls *t, bool force, bool *changed);

/* What is being served (for logs and `tls show`); NULL without TLS. */
struct wk_tls_served {
	char serial[130];		/* hex */
	char spki_sha256[65];		/* hex SHA-256 of the leaf's SPKI */
	time_t not_before, not_after;
};
const struct wk_tls_served *wk_tls_served(const struct wk_tls *t);

/* ---- the loop and its timers (CLOCK_MONOTONIC) ---- */
struct wk_loop;
struct wk_timer;
/* The loop exists before serving so other parts can arm timers early. */
int wk_loop_new(struct wk_loop **out);
void wk_loop_free(struct wk_loop *l);	/* NULL-safe; drops pending timers */
/* Runs the timers that are due at monotonic time now_ms; returns how
 * many ran. (wk_http_serve calls it; exposed for tests.) */
size_t wk_loop_run_timers(struct wk_loop *l, uint64_t now_ms);
/* Milliseconds until the next timer (UINT64_MAX when none). */
uint64_t wk_loop_next_ms(const struct wk_loop *l, uint64_t now_ms);
/* Runs cb(arg) once after delay_ms; returns a handle for cancel. */
struct wk_timer *wk_loop_timer_add(struct wk_loop *l, uint64_t delay_ms,
    void (*cb)(void *arg), void *arg);
void wk_loop_timer_cancel(struct wk_loop *l, struct wk_timer *t); /* NULL-safe */

/*
 * File descriptors in the loop's epoll (sockets, libssh sessions): cb(arg,
 * revents) runs from the loop when one of `events` (EPOLLIN, EPOLLOUT,
 * EPOLLRDHUP; EPOLLERR/EPOLLHUP are always reported) is ready. Level
 * triggered. wk_loop_unwatch may be called from any callback, also the
 * watch's own; the handle is invalid afterwards. The fd stays the
 * caller's to close (after unwatching).
 */
struct wk_watch;
struct wk_watch *wk_loop_watch_fd(struct wk_loop *l, int fd, uint32_t events,
    void (*cb)(void *arg, uint32_t revents), void *arg);
int wk_loop_watch_set(struct wk_loop *l, struct wk_watch *w, uint32_t events);
void wk_loop_unwatch(struct wk_loop *l, struct wk_watch *w);	/* NULL-safe */
/* Frees watches unwatched since the last call (the loop calls it after
 * each turn; tests may call it). */
void wk_loop_reap(struct wk_loop *l);

/*
 * Protocol upgrade (WebSocket): answers the request with 101 and
 * `extra_headers` ("Name: value\r\n" lines: Upgrade, Connection,
 * Sec-WebSocket-Accept...). Once the 101 is sent, cb(arg, fd, extra_in, c)
 * runs with the raw socket (non-blocking) and any bytes the client sent
 * after its request (extra_in). From then on the route owns the socket
 * and must end it with wk_http_upgrade_close(c) exactly once (never
 * close(fd) itself). If the client goes away before the 101 is sent, cb
 * never runs and on_close(arg) (may be NULL) is called instead. After the
 * upgrade, on_close(arg) means the server is shutting down: it is called
 * once when the shutdown starts and again after the drain for sockets
 * still open, which must then be closed (wk_http_upgrade_close) at once.
 */
int wk_http_upgrade(struct wk_http_conn *c, const char *extra_headers,
    void (*cb)(void *arg, int fd, struct wk_span extra_in,
    struct wk_http_conn *c), void (*on_close)(void *arg), void *arg);
void wk_http_upgrade_close(struct wk_http_conn *c);

/*
 * Starts listening on srv->cfg.listen with `routes` (terminated by an
 * entry with handle == NULL) and runs until srv->stopping is set (SIGINT,
 * SIGTERM). Returns 0 on clean shutdown. Uses srv->loop (created when
 * NULL, and then freed on return). SIGINT and SIGTERM must be blocked in
 * every thread (they are read through a signalfd). On shutdown, held
 * (suspended) requests get on_close and then a 503.
 * "host:0" picks a free port; the bound address is logged
 * (event=listening address=...) and passed to on_ready (may be NULL),
 * called once the daemon listens.
 */
int wk_http_serve(struct wk_server *srv, const struct wk_http_route *routes);
int wk_http_serve_ex(struct wk_server *srv, const struct wk_http_route *routes,
    void (*on_ready)(void *arg, unsigned port), void *arg);

#endif
