/*
 * http.c - wicketd's HTTP front: libmicrohttpd in external-epoll mode,
 * driven from our own epoll loop with a timer heap and a signalfd.
 *
 * Per request (struct wk_http_conn): route lookup and limits when the
 * headers are in (404/405/413 before any body is read), body collected up
 * to the route's cap, then the route runs. A route answers at once
 * (wk_http_respond) or holds the request (wk_http_suspend); a held
 * request's socket is watched for hang-up in our epoll, since MHD does not
 * poll suspended connections.
 *
 * Per socket (struct http_sock, from MHD's connection notifications): the
 * client address counted against the per-address cap (checked in the
 * accept policy), and one timer for the deadline of the phase the
 * connection is in (http_guard.h). MHD's own idle timeout restarts on
 * every byte, so it cannot stop a client that trickles; at the deadline we
 * send 408 and shut the socket down, and MHD then closes it. Every refusal
 * leaves one bounded log line, through a limiter per reason.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "server/http/http.h"
#include "server/http/http_guard.h"
#include "server/http/tls_int.h"
#include "server/server.h"

#define EPOLL_BATCH 64
#define MAX_WAIT_MS 1000
#define DRAIN_MS 2000
#define HOUSEKEEPING_MS 1000	/* flushes the log limiters' counts */

/* ---------------------------------------------------------------- timers */

struct wk_timer {
	uint64_t due_ms;
	uint64_t seq;
	size_t idx;
	void (*cb)(void *arg);
	void *arg;
};

struct wk_watch {
	int fd;
	bool dead;
	void (*cb)(void *arg, uint32_t revents);
	void *arg;
	struct wk_watch *next_dead;
};

struct wk_loop {
	struct wk_timer **heap;
	size_t n, cap;
	uint64_t seq;
	struct wk_timer *firing;	/* the timer whose callback runs */
	bool firing_cancelled;
	int epfd;			/* every fd the loop waits on */
	struct wk_watch *dead;		/* unwatched, freed after the turn */
};

int
wk_loop_new(struct wk_loop **out)
{
	struct wk_loop *l;

	if ((l = wk_calloc(1, sizeof(*l))) == NULL)
		return WK_ERR_NOMEM;
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		wk_free(l);
		return WK_ERR_IO;
	}
	*out = l;
	return 0;
}

void
wk_loop_reap(struct wk_loop *l)
{
	struct wk_watch *w;

	if (l == NULL)
		return;
	while ((w = l->dead) != NULL) {
		l->dead = w->next_dead;
		wk_free(w);
	}
}

void
wk_loop_free(struct wk_loop *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		wk_free(l->heap[i]);
	wk_free(l->heap);
	wk_loop_reap(l);
	if (l->epfd >= 0)
		close(l->epfd);
	wk_free(l);
}

struct wk_watch *
wk_loop_watch_fd(struct wk_loop *l, int fd, uint32_t events,
    void (*cb)(void *arg, uint32_t revents), void *arg)
{
	struct wk_watch *w;
	struct epoll_event ev;

	if (l == NULL || fd < 0 || cb == NULL)
		return NULL;
	if ((w = wk_calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		wk_free(w);
		return NULL;
	}
	return w;
}

int
wk_loop_watch_set(struct wk_loop *l, struct wk_watch *w, uint32_t events)
{
	struct epoll_event ev;

	if (l == NULL || w == NULL || w->dead)
		return WK_ERR_INVAL;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = w;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) == 0 ? 0 :
	    WK_ERR_IO;
}

void
wk_loop_unwatch(struct wk_loop *l, struct wk_watch *w)
{
	if (l == NULL || w == NULL || w->dead)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->dead = true;
	w->next_dead = l->dead;
	l->dead = w;
}

static bool
timer_less(const struct wk_timer *a, const struct wk_timer *b)
{
	return a->due_ms < b->due_ms ||
	    (a->due_ms == b->due_ms && a->seq < b->seq);
}

static void
heap_set(struct wk_loop *l, size_t i, struct wk_timer *t)
{
	l->heap[i] = t;
	t->idx = i;
}

static void
heap_up(struct wk_loop *l, size_t i)
{
	struct wk_timer *t = l->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!timer_less(t, l->heap[parent]))
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, t);
}

static void
heap_down(struct wk_loop *l, size_t i)
{
	struct wk_timer *t = l->heap[i];

	for (;;) {
		size_t kid = 2 * i + 1;

		if (kid >= l->n)
			break;
		if (kid + 1 < l->n && timer_less(l->heap[kid + 1],
		    l->heap[kid]))
			kid++;
		if (!timer_less(l->heap[kid], t))
			break;
		heap_set(l, i, l->heap[kid]);
		i = kid;
	}
	heap_set(l, i, t);
}

static void
heap_remove(struct wk_loop *l, size_t i)
{
	struct wk_timer *last = l->heap[--l->n];

	if (i == l->n)
		return;
	heap_set(l, i, last);
	heap_down(l, i);
	heap_up(l, last->idx);
}

struct wk_timer *
wk_loop_timer_add(struct wk_loop *l, uint64_t delay_ms, void (*cb)(void *arg),
    void *arg)
{
	struct wk_timer *t;

	if (l == NULL || cb == NULL)
		return NULL;
	if (l->n == l->cap) {
		size_t ncap = l->cap == 0 ? 64 : l->cap * 2;
		struct wk_timer **nh;

		if ((nh = wk_reallocarray(l->heap, ncap, sizeof(*nh))) == NULL)
			return NULL;
		l->heap = nh;
		l->cap = ncap;
	}
	if ((t = wk_calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if (delay_ms > UINT64_MAX / 2)
		delay_ms = UINT64_MAX / 2;
	t->due_ms = wk_mono_ms() + delay_ms;
	t->seq = l->seq++;
	t->cb = cb;
	t->arg = arg;
	l->heap[l->n++] = t;
	t->idx = l->n - 1;
	heap_up(l, t->idx);
	return t;
}

void
wk_loop_timer_cancel(struct wk_loop *l, struct wk_timer *t)
{
	if (l == NULL || t == NULL)
		return;
	if (t == l->firing) {
		l->firing_cancelled = true;
		return;
	}
	if (t->idx >= l->n || l->heap[t->idx] != t)
		return;
	heap_remove(l, t->idx);
	wk_free(t);
}

size_t
wk_loop_run_timers(struct wk_loop *l, uint64_t now_ms)
{
	size_t ran = 0;

	while (l->n > 0 && l->heap[0]->due_ms <= now_ms) {
		struct wk_timer *t = l->heap[0];

		heap_remove(l, 0);
		l->firing = t;
		l->firing_cancelled = false;
		t->cb(t->arg);
		l->firing = NULL;
		wk_free(t);
		ran++;
	}
	return ran;
}

uint64_t
wk_loop_next_ms(const struct wk_loop *l, uint64_t now_ms)
{
	if (l->n == 0)
		return UINT64_MAX;
	return l->heap[0]->due_ms <= now_ms ? 0 : l->heap[0]->due_ms - now_ms;
}

/* ------------------------------------------------------------- requests */

struct http_srv;
struct http_sock;

struct wk_http_conn {
	struct wk_http_conn *prev, *next;	/* requests in flight */
	struct http_srv *hs;
	struct http_sock *sock;		/* its connection; may be NULL */
	struct MHD_Connection *mc;
	const struct wk_http_route *route;
	struct wk_buf body;
	size_t body_max;
	uint64_t start_ms;
	struct wk_sigv4_header *headers;
	size_t nheaders;
	struct wk_buf query;
	struct wk_buf path;
	char method[16];
	char source_ip[INET6_ADDRSTRLEN];
	bool secure;		/* the connection is TLS */
	bool hsts;		/* answer with Strict-Transport-Security */
	struct MHD_Response *response;	/* answer not yet queued */
	unsigned status;
	bool responded;		/* wk_http_respond was called */
	bool dispatched;	/* the route ran */
	bool want_suspend;
	bool suspended;
	bool closing;		/* client gone while held */
	struct wk_watch *watch;	/* fd in our epoll while held */
	int fd;
	char client_ip[WK_HTTP_IP_TEXT_MAX];	/* behind a trusted proxy */
	/* protocol upgrade (wk_http_upgrade) */
	bool upgrading;		/* 101 queued */
	bool upgraded;		/* the route owns the socket */
	bool upgrade_closed;	/* wk_http_upgrade_close was called */
	bool completed;		/* MHD is done with the request */
	struct MHD_UpgradeResponseHandle *urh;
	void (*on_upgrade)(void *arg, int fd, struct wk_span extra_in,
	    struct wk_http_conn *c);
	struct wk_timer *timer;
	void (*on_timeout)(struct wk_http_conn *c, void *arg);
	void (*on_close)(void *arg);
	void *cb_arg;
};

/* Why a request or connection was refused: one log limiter each. */
enum refusal {
	REFUSE_METHOD,		/* 501 */
	REFUSE_TARGET,		/* 414 */
	REFUSE_HEADERS,		/* 431 */
	REFUSE_BODY,		/* 413 */
	REFUSE_HEADER_DEADLINE,	/* 408 */
	REFUSE_BODY_DEADLINE,	/* 408 */
	REFUSE_PER_IP,		/* connection closed at accept */
	REFUSE_BY_MHD,		/* MHD answered 4xx itself: 400, 431, ... */
	REFUSE_MHD,		/* refused by MHD: malformed, too big, full */
	REFUSE_FORWARDED,	/* 400: bad X-Forwarded-* from a proxy */
	REFUSE_N
};

static const char *const refusal_what[REFUSE_N] = {
	"reason=method_too_long", "reason=target_too_long",
	"reason=too_many_headers", "reason=body_too_large",
	"reason=header_deadline", "reason=body_deadline",
	"reason=per_ip_limit", "reason=bad_request", "reason=mhd",
	"reason=bad_forwarded",
};

/* One accepted socket (MHD's socket_context). */
struct http_sock {
	struct http_srv *hs;
	int fd;
	struct wk_http_ipkey ip;
	bool counted;		/* in hs->ipcount */
	bool killed;		/* deadline passed, shut down */
	enum wk_http_phase phase;
	uint64_t phase_start_ms;
	struct wk_timer *timer;	/* the phase's deadline */
	struct wk_http_conn *req;	/* the request in flight, if any */
	char source_ip[INET6_ADDRSTRLEN];
};

struct http_srv {
	struct wk_server *srv;
	const struct wk_http_route *routes;
	struct MHD_Daemon *d;
	struct wk_loop *loop;
	struct wk_http_conn *conns;
	size_t nconns;
	int epfd;		/* the loop's */
	int sigfd;
	int mhd_epfd;
	bool need_run;
	struct wk_http_limits limits;
	unsigned max_per_ip;
	struct wk_http_ipcount *ipcount;
	struct wk_log_limit lim[REFUSE_N];
	struct wk_timer *housekeeping;
	/* epoll tags */
	char tag_mhd, tag_sig;
};

struct wk_span
wk_http_header(const struct wk_http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (wk_span_case_eq_cstr(req->headers[i].name, name))
			return req->headers[i].value;
	return WK_SPAN_NULL;
}

static void
unwatch(struct wk_http_conn *c)
{
	wk_loop_unwatch(c->hs->loop, c->watch);
	c->watch = NULL;
}

static void held_hangup(struct wk_http_conn *c);

static void
held_event(void *arg, uint32_t revents)
{
	(void)revents;
	held_hangup(arg);
}

static void
watch(struct wk_http_conn *c)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(c->mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return;
	c->fd = ci->connect_fd;
	c->watch = wk_loop_watch_fd(c->hs->loop, c->fd, EPOLLRDHUP,
	    held_event, c);
}

static void
conn_free(struct wk_http_conn *c)
{
	struct http_srv *hs = c->hs;

	unwatch(c);
	wk_loop_timer_cancel(hs->loop, c->timer);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		hs->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	hs->nconns--;
	if (c->sock != NULL && c->sock->req == c)
		c->sock->req = NULL;
	if (c->response != NULL)
		MHD_destroy_response(c->response);
	wk_buf_cleanup(&c->body);
	wk_buf_cleanup(&c->query);
	wk_buf_cleanup(&c->path);
	wk_free(c->headers);
	wk_free(c);
}

static int
add_extra_headers(struct MHD_Response *resp, const char *extra)
{
	char name[128], value[1024];

	while (extra != NULL && *extra != '\0') {
		const char *eol = strstr(extra, "\r\n");
		const char *colon;
		size_t len = eol != NULL ? (size_t)(eol - extra) :
		    strlen(extra);
		size_t nlen, vlen;

		colon = memchr(extra, ':', len);
		if (colon == NULL)
			return WK_ERR_INVAL;
		nlen = (size_t)(colon - extra);
		colon++;
		while (colon < extra + len && *colon == ' ')
			colon++;
		vlen = len - (size_t)(colon - extra);
		if (nlen == 0 || nlen >= sizeof(name) || vlen >= sizeof(value))
			return WK_ERR_INVAL;
		memcpy(name, extra, nlen);
		name[nlen] = '\0';
		memcpy(value, colon, vlen);
		value[vlen] = '\0';
		if (MHD_add_response_header(resp, name, value) != MHD_YES)
			return WK_ERR_INVAL;
		extra = eol != NULL ? eol + 2 : extra + len;
	}
	return 0;
}

int
wk_http_respond(struct wk_http_conn *c, unsigned status,
    const char *content_type, struct wk_span body, const char *extra_headers)
{
	struct MHD_Response *resp;
	int r;

	if (c == NULL || c->responded || c->closing)
		return WK_ERR_INVAL;
	resp = MHD_create_response_from_buffer(body.len, (void *)(uintptr_t)
	    body.p, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return WK_ERR_NOMEM;
	if ((content_type != NULL && MHD_add_response_header(resp,
	    MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES) ||
	    (r = add_extra_headers(resp, extra_headers)) != 0) {
		MHD_destroy_response(resp);
		return WK_ERR_INVAL;
	}
	c->response = resp;
	c->status = status;
	c->responded = true;
	c->want_suspend = false;
	wk_loop_timer_cancel(c->hs->loop, c->timer);
	c->timer = NULL;
	c->on_timeout = NULL;
	c->on_close = NULL;
	if (c->suspended) {
		unwatch(c);
		c->suspended = false;
		MHD_resume_connection(c->mc);
		c->hs->need_run = true;
	}
	return 0;
}

static void
respond_text(struct wk_http_conn *c, unsigned status, const char *text,
    const char *extra)
{
	wk_http_respond(c, status, "text/plain; charset=utf-8",
	    wk_span_from_cstr(text), extra);
}

static void
held_timeout(void *arg)
{
	struct wk_http_conn *c = arg;
	void (*cb)(struct wk_http_conn *, void *) = c->on_timeout;

	c->timer = NULL;
	if (c->responded)
		return;
	if (cb != NULL)
		cb(c, c->cb_arg);
	if (!c->responded) {
		if (c->on_close != NULL) {
			void (*oc)(void *) = c->on_close;

			c->on_close = NULL;
			oc(c->cb_arg);
		}
		respond_text(c, 504, "timeout\n", NULL);
	}
}

int
wk_http_suspend(struct wk_http_conn *c, uint64_t timeout_ms,
    void (*on_timeout)(struct wk_http_conn *c, void *arg),
    void (*on_close)(void *arg), void *arg)
{
	if (c == NULL || c->responded || c->suspended || c->want_suspend)
		return WK_ERR_INVAL;
	c->timer = wk_loop_timer_add(c->hs->loop, timeout_ms, held_timeout, c);
	if (c->timer == NULL)
		return WK_ERR_NOMEM;
	c->want_suspend = true;
	c->on_timeout = on_timeout;
	c->on_close = on_close;
	c->cb_arg = arg;
	return 0;
}

static void
upgrade_handler(void *cls, struct MHD_Connection *mc, void *req_cls,
    const char *extra_in, size_t extra_in_size, MHD_socket sock,
    struct MHD_UpgradeResponseHandle *urh)
{
	struct wk_http_conn *c = cls;
	int fl;

	(void)mc;
	(void)req_cls;
	c->urh = urh;
	c->upgraded = true;
	/* on_close now means "the server is stopping" (shutdown) */
	if ((fl = fcntl(sock, F_GETFL)) >= 0)
		(void)fcntl(sock, F_SETFL, fl | O_NONBLOCK);
	c->on_upgrade(c->cb_arg, sock, extra_in != NULL ?
	    wk_span_from_mem(extra_in, extra_in_size) : WK_SPAN_NULL, c);
}

int
wk_http_upgrade(struct wk_http_conn *c, const char *extra_headers,
    void (*cb)(void *arg, int fd, struct wk_span extra_in,
    struct wk_http_conn *c), void (*on_close)(void *arg), void *arg)
{
	struct MHD_Response *resp;

	if (c == NULL || cb == NULL || c->responded || c->closing ||
	    c->suspended || c->want_suspend)
		return WK_ERR_INVAL;
	if ((resp = MHD_create_response_for_upgrade(upgrade_handler, c)) ==
	    NULL)
		return WK_ERR_NOMEM;
	if (add_extra_headers(resp, extra_headers) != 0) {
		MHD_destroy_response(resp);
		return WK_ERR_INVAL;
	}
	c->response = resp;
	c->status = MHD_HTTP_SWITCHING_PROTOCOLS;
	c->responded = true;
	c->upgrading = true;
	c->on_upgrade = cb;
	c->on_close = on_close;
	c->cb_arg = arg;
	return 0;
}

static void conn_free(struct wk_http_conn *c);

void
wk_http_upgrade_close(struct wk_http_conn *c)
{
	if (c == NULL || !c->upgraded || c->upgrade_closed)
		return;
	c->upgrade_closed = true;
	c->hs->need_run = true;
	MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE);
	if (c->completed)
		conn_free(c);
}

/* Queues the stored response (after the handler returns). */
static enum MHD_Result
queue(struct wk_http_conn *c)
{
	enum MHD_Result ok;

	if (c->hsts && MHD_add_response_header(c->response,
	    "Strict-Transport-Security", WK_HTTP_HSTS) != MHD_YES) {
		MHD_destroy_response(c->response);
		c->response = NULL;
		return MHD_NO;
	}
	ok = MHD_queue_response(c->mc, c->status, c->response);
	MHD_destroy_response(c->response);
	c->response = NULL;
	return ok;
}

struct collect {
	struct wk_sigv4_header *v;
	size_t n, max;
	bool too_many;
};

static enum MHD_Result
collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t key_size, const char *value, size_t value_size)
{
	struct collect *col = cls;

	(void)kind;
	if (col->n >= col->max) {
		col->too_many = true;
		return MHD_NO;
	}
	if (col->v != NULL) {
		col->v[col->n].name = wk_span_from_mem(key, key_size);
		col->v[col->n].value = value != NULL ?
		    wk_span_from_mem(value, value_size) : WK_SPAN_NULL;
	}
	col->n++;
	return MHD_YES;
}

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t key_size, const char *value, size_t value_size)
{
	struct wk_buf *q = cls;

	(void)kind;
	if ((q->len > 0 && wk_buf_putc(q, '&') != 0) ||
	    wk_buf_append(q, key, key_size) != 0 ||
	    (value != NULL && (wk_buf_putc(q, '=') != 0 ||
	    wk_buf_append(q, value, value_size) != 0)))
		return MHD_NO;
	return MHD_YES;
}

static void
client_ip(struct MHD_Connection *mc, char *out, size_t outsz)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(out, outsz, "-");
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)outsz);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], out,
			    (socklen_t)outsz);
		else
			inet_ntop(AF_INET6, &in6->sin6_addr, out,
			    (socklen_t)outsz);
	}
}

/* ------------------------------------------------- refusals, deadlines */

/* One bounded line per refusal, at most a burst per reason per window. */
static void refused(struct http_srv *hs, enum refusal why,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
refused(struct http_srv *hs, enum refusal why, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	wk_log_limited(&hs->lim[why], wk_mono_ms(), "%s %s",
	    refusal_what[why], line);
}

static void
housekeeping(void *arg)
{
	struct http_srv *hs = arg;
	uint64_t now = wk_mono_ms();

	for (size_t i = 0; i < REFUSE_N; i++)
		wk_log_limit_flush(&hs->lim[i], now);
	hs->housekeeping = wk_loop_timer_add(hs->loop, HOUSEKEEPING_MS,
	    housekeeping, hs);
}

static void sock_deadline(void *arg);

/* Enters a phase: its deadline counts from now. */
static void
sock_phase(struct http_sock *s, enum wk_http_phase phase)
{
	uint64_t budget;

	if (s == NULL || s->killed)
		return;
	wk_loop_timer_cancel(s->hs->loop, s->timer);
	s->timer = NULL;
	s->phase = phase;
	s->phase_start_ms = wk_mono_ms();
	budget = wk_http_phase_budget_ms(&s->hs->limits, phase);
	if (budget == UINT64_MAX)
		return;
	s->timer = wk_loop_timer_add(s->hs->loop, budget, sock_deadline, s);
	if (s->timer == NULL) {
		/* no deadline, no connection: fail closed */
		s->killed = true;
		shutdown(s->fd, SHUT_RDWR);
		s->hs->need_run = true;
	}
}

/*
 * The phase's deadline passed: answer 408 (nothing else has been written
 * in these phases but maybe a "100 Continue") and shut the socket down;
 * MHD sees the end of the stream and closes the connection.
 */
static void
sock_deadline(void *arg)
{
	static const char r408[] = "HTTP/1.1 408 Request Timeout\r\n"
	    "Connection: close\r\nContent-Length: 0\r\n\r\n";
	struct http_sock *s = arg;
	struct wk_http_conn *c = s->req;
	uint64_t now = wk_mono_ms();

	s->timer = NULL;
	if (s->killed)
		return;
	s->killed = true;
	if (s->phase == WK_HTTP_PHASE_BODY)
		refused(s->hs, REFUSE_BODY_DEADLINE, "status=408 "
		    "source_ip=%s elapsed_ms=%llu limit_ms=%llu "
		    "body_bytes=%zu body_max=%zu", s->source_ip,
		    (unsigned long long)(now - s->phase_start_ms),
		    (unsigned long long)wk_http_phase_budget_ms(
		    &s->hs->limits, s->phase), c != NULL ? c->body.len : 0,
		    c != NULL ? c->body_max : 0);
	else
		refused(s->hs, REFUSE_HEADER_DEADLINE, "status=408 phase=%s "
		    "source_ip=%s elapsed_ms=%llu limit_ms=%llu",
		    wk_http_phase_name(s->phase), s->source_ip,
		    (unsigned long long)(now - s->phase_start_ms),
		    (unsigned long long)wk_http_phase_budget_ms(
		    &s->hs->limits, s->phase));
	(void)send(s->fd, r408, sizeof(r408) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(s->fd, SHUT_RDWR);
	s->hs->need_run = true;
}

static struct http_sock *
sock_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/* Before MHD takes a connection: the per-address cap. */
static enum MHD_Result
accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http_srv *hs = cls;
	struct wk_http_ipkey k;
	unsigned n;
	char ip[INET6_ADDRSTRLEN + 3];

	if (wk_http_ipkey_from(addr, addrlen, &k) != 0)
		return MHD_YES;	/* not IP (no such listener): no cap */
	n = wk_http_ipcount_get(hs->ipcount, &k);
	if (n < hs->max_per_ip)
		return MHD_YES;
	wk_http_ipkey_str(&k, ip, sizeof(ip));
	refused(hs, REFUSE_PER_IP, "source_ip=%s connections=%u limit=%u",
	    ip, n, hs->max_per_ip);
	return MHD_NO;
}

static void
on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct http_srv *hs = cls;
	struct http_sock *s = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (s == NULL)
			return;
		*socket_context = NULL;
		wk_loop_timer_cancel(hs->loop, s->timer);
		if (s->req != NULL)
			s->req->sock = NULL;
		if (s->counted)
			wk_http_ipcount_del(hs->ipcount, &s->ip);
		wk_free(s);
		return;
	}
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return;
	if ((s = wk_calloc(1, sizeof(*s))) == NULL) {
		shutdown(ci->connect_fd, SHUT_RDWR);	/* fail closed */
		hs->need_run = true;
		return;
	}
	s->hs = hs;
	s->fd = ci->connect_fd;
	client_ip(mc, s->source_ip, sizeof(s->source_ip));
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL &&
	    wk_http_ipkey_from(ci->client_addr,
	    ci->client_addr->sa_family == AF_INET6 ?
	    (socklen_t)sizeof(struct sockaddr_in6) :
	    (socklen_t)sizeof(struct sockaddr_in), &s->ip) == 0) {
		if (wk_http_ipcount_add(hs->ipcount, &s->ip) == 0) {
			s->counted = true;
		} else {
			s->killed = true;	/* uncounted: fail closed */
			shutdown(s->fd, SHUT_RDWR);
			hs->need_run = true;
		}
	}
	*socket_context = s;
	sock_phase(s, WK_HTTP_PHASE_HEADERS);
}

/* Headers are in: route, limits, early refusals. */
static int
conn_start(struct http_srv *hs, struct wk_http_conn *c, const char *url,
    const char *method)
{
	const struct wk_http_route *rt, *path_match = NULL;
	struct collect col = { NULL, 0, WK_HTTP_MAX_HEADERS, false };
	struct wk_buf dec;
	struct wk_span cl, auth;
	uint64_t clen;
	size_t ulen = strlen(url);
	int r;

	client_ip(c->mc, c->source_ip, sizeof(c->source_ip));
	/* secure: the request came over this listener's TLS (MHD has a
	 * GnuTLS session for the connection) */
	c->secure = MHD_get_connection_info(c->mc,
	    MHD_CONNECTION_INFO_GNUTLS_SESSION) != NULL;
	c->hsts = c->secure;
	if (strlen(method) >= sizeof(c->method)) {
		refused(hs, REFUSE_METHOD, "status=501 source_ip=%s "
		    "method_bytes=%zu limit=%zu", c->source_ip,
		    strlen(method), sizeof(c->method) - 1);
		respond_text(c, 501, "method not implemented\n", NULL);
		return 0;
	}
	snprintf(c->method, sizeof(c->method), "%s", method);
	if (ulen > WK_HTTP_MAX_PATH) {
		refused(hs, REFUSE_TARGET, "status=414 source_ip=%s "
		    "path_bytes=%zu limit=%d", c->source_ip, ulen,
		    WK_HTTP_MAX_PATH);
		respond_text(c, 414, "request-target too long\n", NULL);
		return 0;
	}
	if ((r = wk_buf_append(&c->path, url, ulen)) != 0)
		return r;
	if (MHD_get_connection_values_n(c->mc, MHD_GET_ARGUMENT_KIND,
	    collect_arg, &c->query) < 0 || c->query.len > WK_HTTP_MAX_QUERY) {
		refused(hs, REFUSE_TARGET, "status=414 source_ip=%s "
		    "query_bytes>=%zu limit=%d", c->source_ip, c->query.len,
		    WK_HTTP_MAX_QUERY);
		respond_text(c, 414, "query too long\n", NULL);
		return 0;
	}
	MHD_get_connection_values_n(c->mc, MHD_HEADER_KIND, collect_header,
	    &col);
	if (col.too_many) {
		refused(hs, REFUSE_HEADERS, "status=431 source_ip=%s "
		    "headers>%zu limit=%zu", c->source_ip, col.max, col.max);
		respond_text(c, 431, "too many header fields\n", NULL);
		return 0;
	}
	if (col.n > 0) {
		if ((col.v = wk_calloc(col.n, sizeof(*col.v))) == NULL)
			return WK_ERR_NOMEM;
		col.max = col.n;
		col.n = 0;
		MHD_get_connection_values_n(c->mc, MHD_HEADER_KIND,
		    collect_header, &col);
	}
	c->headers = col.v;
	c->nheaders = col.n;

	wk_buf_init(&dec, WK_HTTP_MAX_PATH);
	r = wk_uri_decode(&dec, wk_buf_span(&c->path), false);
	for (rt = hs->routes; r == 0 && rt->handle != NULL; rt++) {
		if (rt->prefix ? strncmp(rt->path, wk_buf_cstr(&dec),
		    strlen(rt->path)) != 0 :
		    strcmp(rt->path, wk_buf_cstr(&dec)) != 0)
			continue;
		path_match = rt;
		if (rt->method == NULL || strcmp(rt->method, method) == 0) {
			c->route = rt;
			break;
		}
	}
	wk_buf_cleanup(&dec);
	if (c->route == NULL) {
		if (path_match != NULL) {
			char allow[64];

			snprintf(allow, sizeof(allow), "Allow: %s\r\n",
			    path_match->method);
			respond_text(c, 405, "method not allowed\n", allow);
		} else {
			respond_text(c, 404, "not found\n", NULL);
		}
		return 0;
	}
	c->body_max = c->route->body_max;
	auth = wk_http_header(&(struct wk_http_request){
	    .headers = c->headers, .nheaders = c->nheaders },
	    "Authorization");
	if (c->route->preauth_body_max != 0 &&
	    c->route->preauth_body_max < c->body_max &&
	    !wk_span_starts_with(auth, "AWS4-HMAC-SHA256 "))
		c->body_max = c->route->preauth_body_max;
	c->body.max = c->body_max;
	cl = wk_http_header(&(struct wk_http_request){
	    .headers = c->headers, .nheaders = c->nheaders },
	    "Content-Length");
	if (cl.p != NULL && (wk_span_to_u64(wk_span_trim(cl), UINT64_MAX,
	    &clen) != 0 || clen > c->body_max)) {
		char clv[24];

		/* the number, never the raw value (it could forge fields) */
		if (wk_span_to_u64(wk_span_trim(cl), UINT64_MAX, &clen) == 0)
			snprintf(clv, sizeof(clv), "%llu",
			    (unsigned long long)clen);
		else
			snprintf(clv, sizeof(clv), "invalid");
		refused(hs, REFUSE_BODY, "status=413 source_ip=%s "
		    "content_length=%s limit=%zu signed=%s", c->source_ip,
		    clv, c->body_max, wk_span_starts_with(auth,
		    "AWS4-HMAC-SHA256 ") ? "yes" : "no");
		respond_text(c, 413, "request body too large\n",
		    "Connection: close\r\n");
		return 0;
	}
	return 0;
}

static void
dispatch(struct http_srv *hs, struct wk_http_conn *c)
{
	struct wk_http_request req;
	char why[256], msg[300];

	memset(&req, 0, sizeof(req));
	req.method = c->method;
	req.peer_ip = c->source_ip;
	req.path = wk_buf_span(&c->path);
	req.query = wk_buf_span(&c->query);
	req.headers = c->headers;
	req.nheaders = c->nheaders;
	req.body = c->body.len > 0 ? wk_buf_span(&c->body) :
	    wk_span_from_cstr("");
	req.source_ip = c->source_ip;
	req.secure = c->secure;
	c->dispatched = true;
	/* the route answers or holds (an authenticated long-poll): no
	 * deadline from here on; MHD's idle timeout still applies to the
	 * sending, and the route's own to a held request */
	sock_phase(c->sock, WK_HTTP_PHASE_EXEMPT);
	/* behind a --trusted-proxy: the client's address and scheme (and
	 * with an https proxy, HSTS) */
	if (wk_http_forwarded_apply(&hs->srv->cfg.trusted_proxies, &req,
	    c->client_ip, why, sizeof(why)) != 0) {
		refused(hs, REFUSE_FORWARDED, "status=400 source_ip=%s "
		    "message=\"%s\"", c->source_ip, why);
		snprintf(msg, sizeof(msg), "bad request: %s\n", why);
		respond_text(c, 400, msg, "Connection: close\r\n");
		return;
	}
	/* HSTS on every answer to a request the route is told is secure
	 * (browsers ignore it over plain HTTP; the console needs it) */
	c->hsts = req.secure;
	c->route->handle(hs->srv, c, &req);
	if (c->responded)
		return;
	if (c->want_suspend) {
		c->want_suspend = false;
		c->suspended = true;
		MHD_suspend_connection(c->mc);
		watch(c);
		return;
	}
	wk_log(WK_LOG_ERROR, "http", "error=\"route gave no answer\" path=%s",
	    wk_buf_cstr(&c->path));
	respond_text(c, 500, "internal error\n", NULL);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http_srv *hs = cls;
	struct wk_http_conn *c = *con_cls;

	(void)version;
	if (c == NULL) {
		if ((c = wk_calloc(1, sizeof(*c))) == NULL)
			return MHD_NO;
		c->hs = hs;
		c->mc = mc;
		c->fd = -1;
		c->start_ms = wk_mono_ms();
		wk_buf_init(&c->body, 0);
		wk_buf_init(&c->query, WK_HTTP_MAX_QUERY);
		wk_buf_init(&c->path, WK_HTTP_MAX_PATH);
		c->next = hs->conns;
		if (hs->conns != NULL)
			hs->conns->prev = c;
		hs->conns = c;
		hs->nconns++;
		*con_cls = c;
		if ((c->sock = sock_of(mc)) != NULL) {
			c->sock->req = c;
			/* headers are in: now the body has its deadline */
			sock_phase(c->sock, WK_HTTP_PHASE_BODY);
		}
		if (conn_start(hs, c, url, method) != 0)
			return MHD_NO;
		if (c->response != NULL) {
			sock_phase(c->sock, WK_HTTP_PHASE_EXEMPT);
			return queue(c);
		}
		return MHD_YES;
	}
	if (c->closing)
		return MHD_NO;
	if (c->response != NULL)
		return queue(c);
	if (c->dispatched)
		return MHD_YES;
	if (*upload_data_size > 0) {
		if (wk_mono_ms() - c->start_ms > hs->limits.body_timeout_ms) {
			refused(hs, REFUSE_BODY_DEADLINE, "outcome=closed "
			    "source_ip=%s body_bytes=%zu body_max=%zu",
			    c->source_ip, c->body.len, c->body_max);
			return MHD_NO;
		}
		if (wk_buf_append(&c->body, upload_data,
		    *upload_data_size) != 0) {
			refused(hs, REFUSE_BODY, "outcome=closed "
			    "source_ip=%s body_bytes>%zu limit=%zu",
			    c->source_ip, c->body.len, c->body_max);
			return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	dispatch(hs, c);
	if (c->response != NULL)
		return queue(c);
	return MHD_YES;
}

static void
on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct wk_http_conn *c = *con_cls;
	struct http_srv *hs = cls;
	const union MHD_ConnectionInfo *ci;
	struct http_sock *s;

	if (c == NULL) {
		/* MHD refused the request itself after its request line (a
		 * malformed header, headers over the memory cap): it logs
		 * that without the address; this line has it */
		ci = MHD_get_connection_info(mc,
		    MHD_CONNECTION_INFO_HTTP_STATUS);
		if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && ci != NULL &&
		    ci->http_status >= 400 && (s = sock_of(mc)) != NULL)
			refused(hs, REFUSE_BY_MHD, "status=%u source_ip=%s "
			    "header_memory=%d", ci->http_status, s->source_ip,
			    WK_HTTP_CONN_MEMORY);
		return;
	}
	*con_cls = NULL;
	c->completed = true;
	/* the next request on a kept-alive connection: the idle timeout
	 * plus the header deadline from now (an upgraded socket is the
	 * route's: no deadline) */
	if (c->sock != NULL && !c->upgrading && !c->upgraded) {
		c->sock->req = NULL;
		sock_phase(c->sock, WK_HTTP_PHASE_KEEPALIVE);
	}
	if (c->upgraded && !c->upgrade_closed)
		return;	/* freed by wk_http_upgrade_close */
	if ((!c->responded || (c->upgrading && !c->upgraded)) &&
	    c->on_close != NULL) {
		void (*oc)(void *) = c->on_close;

		c->on_close = NULL;
		oc(c->cb_arg);
	}
	conn_free(c);
}

/* A held request's client hung up: tell the route, then close. */
static void
held_hangup(struct wk_http_conn *c)
{
	unwatch(c);
	if (!c->suspended || c->responded)
		return;
	c->closing = true;
	wk_loop_timer_cancel(c->hs->loop, c->timer);
	c->timer = NULL;
	if (c->on_close != NULL) {
		void (*oc)(void *) = c->on_close;

		c->on_close = NULL;
		oc(c->cb_arg);
	}
	c->suspended = false;
	MHD_resume_connection(c->mc);
	c->hs->need_run = true;
}

/*
 * Only so that MHD calls on_completed (with no request of ours) when it
 * refuses a request after its first line: that is where we log it.
 */
static void *
uri_log(void *cls, const char *uri, struct MHD_Connection *mc)
{
	(void)cls;
	(void)uri;
	(void)mc;
	return NULL;
}

static size_t
unescape_none(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fm, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fm, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (msg[i] == '"' || msg[i] < 0x20)
			msg[i] = '\'';
	/* refusals we log ourselves, with the address (on_completed,
	 * sock_deadline), and clients that go away: not warnings */
	if (strncmp(msg, "Error processing request", 24) == 0 ||
	    strncmp(msg, "Connection was closed by remote", 31) == 0 ||
	    strncmp(msg, "Connection socket is closed", 27) == 0) {
		wk_log(WK_LOG_DEBUG, "mhd", "message=\"%.200s\"", msg);
		return;
	}
	/* a flood of bad requests or connections makes MHD talk: bounded */
	refused(cls, REFUSE_MHD, "message=\"%s\"", msg);
}

int
wk_http_parse_listen(const char *listen, const char *empty_host,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	char host[256], port[16];
	const char *colon;
	struct addrinfo hints, *ai = NULL;
	size_t hlen;

	if (listen[0] == '[') {
		const char *end = strchr(listen, ']');

		if (end == NULL || end[1] != ':')
			return WK_ERR_INVAL;
		hlen = (size_t)(end - listen - 1);
		if (hlen >= sizeof(host))
			return WK_ERR_INVAL;
		memcpy(host, listen + 1, hlen);
		colon = end + 1;
	} else {
		if ((colon = strrchr(listen, ':')) == NULL)
			return WK_ERR_INVAL;
		hlen = (size_t)(colon - listen);
		if (hlen >= sizeof(host))
			return WK_ERR_INVAL;
		memcpy(host, listen, hlen);
	}
	host[hlen] = '\0';
	if (strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof(port))
		return WK_ERR_INVAL;
	snprintf(port, sizeof(port), "%s", colon + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(hlen > 0 ? host : empty_host, port, &hints, &ai) !=
	    0 || ai == NULL)
		return WK_ERR_INVAL;
	if (ai->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(ai);
		return WK_ERR_INVAL;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int
epoll_add(int epfd, int fd, void *tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = tag;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : WK_ERR_IO;
}

static void
read_signals(struct http_srv *hs)
{
	struct signalfd_siginfo si;

	while (read(hs->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		wk_log(WK_LOG_INFO, "signal", "signo=%u action=shutdown",
		    si.ssi_signo);
		hs->srv->stopping = 1;
	}
}

/* One turn of the loop: wait, run MHD, run timers. */
static void
turn(struct http_srv *hs, uint64_t max_wait_ms)
{
	struct epoll_event evs[EPOLL_BATCH];
	MHD_UNSIGNED_LONG_LONG mhd_to;
	uint64_t wait_ms = max_wait_ms, t;
	int n;

	if (MHD_get_timeout(hs->d, &mhd_to) == MHD_YES && mhd_to < wait_ms)
		wait_ms = mhd_to;
	if ((t = wk_loop_next_ms(hs->loop, wk_mono_ms())) < wait_ms)
		wait_ms = t;
	if (hs->need_run)
		wait_ms = 0;
	hs->need_run = false;
	n = epoll_wait(hs->epfd, evs, EPOLL_BATCH, (int)wait_ms);
	for (int i = 0; i < n; i++) {
		void *tag = evs[i].data.ptr;

		if (tag == &hs->tag_sig) {
			read_signals(hs);
		} else if (tag != &hs->tag_mhd) {
			struct wk_watch *w = tag;

			if (!w->dead)
				w->cb(w->arg, evs[i].events);
		}
	}
	MHD_run(hs->d);
	wk_loop_run_timers(hs->loop, wk_mono_ms());
	if (hs->need_run)
		MHD_run(hs->d);
	wk_loop_reap(hs->loop);
}

/* Tells the owner of every open upgraded socket that the server stops. */
static void
upgraded_stop(struct http_srv *hs)
{
	struct wk_http_conn *c, *next;

	for (c = hs->conns; c != NULL; c = next) {
		next = c->next;
		if (c->upgraded && !c->upgrade_closed && c->on_close != NULL)
			c->on_close(c->cb_arg);
	}
}

/* Stop accepting, answer every held request, let answers drain. */
static void
shutdown_gracefully(struct http_srv *hs)
{
	MHD_socket lfd = MHD_quiesce_daemon(hs->d);
	uint64_t deadline;
	struct wk_http_conn *c, *next;

	for (c = hs->conns; c != NULL; c = next) {
		next = c->next;
		if (c->responded || !(c->suspended || c->want_suspend))
			continue;
		if (c->on_close != NULL) {
			void (*oc)(void *) = c->on_close;

			c->on_close = NULL;
			oc(c->cb_arg);
		}
		respond_text(c, 503, "shutting down\n", "Connection: close\r\n");
	}
	upgraded_stop(hs);
	deadline = wk_mono_ms() + DRAIN_MS;
	while (hs->nconns > 0 && wk_mono_ms() < deadline)
		turn(hs, 50);
	/* upgraded sockets still open after the drain: their owners must
	 * close them now (MHD wants them closed before it stops) */
	upgraded_stop(hs);
	wk_loop_reap(hs->loop);
	MHD_stop_daemon(hs->d);
	hs->d = NULL;
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
}

int
wk_http_serve_ex(struct wk_server *srv, const struct wk_http_route *routes,
    void (*on_ready)(void *arg, unsigned port), void *arg)
{
	struct http_srv hs;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const union MHD_DaemonInfo *di;
	struct MHD_OptionItem tls_opts[3];
	sigset_t mask;
	bool own_loop = false;
	unsigned port = 0;
	int r;

	memset(&hs, 0, sizeof(hs));
	hs.srv = srv;
	hs.routes = routes;
	hs.epfd = hs.sigfd = -1;
	if ((r = wk_http_parse_listen(srv->cfg.listen, NULL, &ss,
	    &sslen)) != 0) {
		wk_log(WK_LOG_ERROR, "http", "error=\"bad listen address\" "
		    "listen=%s", srv->cfg.listen);
		return r;
	}
	if (srv->loop == NULL) {
		if ((r = wk_loop_new(&srv->loop)) != 0)
			return r;
		own_loop = true;
	}
	hs.loop = srv->loop;
	hs.limits.header_timeout_ms = srv->cfg.header_timeout_ms > 0 ?
	    srv->cfg.header_timeout_ms : WK_HTTP_HEADER_TIMEOUT_MS;
	hs.limits.body_timeout_ms = srv->cfg.body_timeout_ms > 0 ?
	    srv->cfg.body_timeout_ms : WK_HTTP_BODY_DEADLINE_MS;
	hs.limits.idle_timeout_ms = WK_HTTP_IDLE_TIMEOUT_S * 1000ull;
	hs.max_per_ip = srv->cfg.max_connections_per_ip > 0 ?
	    srv->cfg.max_connections_per_ip : WK_HTTP_MAX_CONN_PER_IP;
	for (size_t i = 0; i < REFUSE_N; i++) {
		hs.lim[i].event = i == REFUSE_MHD ? "mhd" : "http_refused";
		hs.lim[i].what = refusal_what[i];
		hs.lim[i].level = i == REFUSE_MHD ? WK_LOG_WARN : WK_LOG_INFO;
	}
	if ((r = wk_http_ipcount_new(&hs.ipcount)) != 0)
		goto out;
	if ((hs.housekeeping = wk_loop_timer_add(hs.loop, HOUSEKEEPING_MS,
	    housekeeping, &hs)) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	hs.epfd = srv->loop->epfd;
	if ((hs.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		r = WK_ERR_IO;
		goto out;
	}
	wk_tls_mhd_options(srv->tls, tls_opts, 3);
	hs.d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_ALLOW_UPGRADE | (srv->tls != NULL ? MHD_USE_TLS : 0) |
	    MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    0, accept_policy, &hs, on_request, &hs,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, &hs,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
	    MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)(srv->cfg.max_connections > 0 ?
	    srv->cfg.max_connections : 60000),
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)WK_HTTP_IDLE_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)WK_HTTP_CONN_MEMORY,
	    /* per address: ours (accept_policy), which logs and counts an
	     * IPv6 /64 as one */
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)0,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, &hs,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, &hs,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_log, &hs,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL,
	    MHD_OPTION_SIGPIPE_HANDLED_BY_APP, (int)1,
	    MHD_OPTION_ARRAY, tls_opts,
	    MHD_OPTION_END);
	(void)sslen;
	if (hs.d == NULL) {
		wk_log(WK_LOG_ERROR, "http", "error=\"cannot listen\" "
		    "listen=%s", srv->cfg.listen);
		r = WK_ERR_IO;
		goto out;
	}
	di = MHD_get_daemon_info(hs.d, MHD_DAEMON_INFO_EPOLL_FD);
	if (di == NULL) {
		r = WK_ERR_INTERNAL;
		goto out;
	}
	hs.mhd_epfd = di->epoll_fd;
	if ((r = epoll_add(hs.epfd, hs.mhd_epfd, &hs.tag_mhd)) != 0 ||
	    (r = epoll_add(hs.epfd, hs.sigfd, &hs.tag_sig)) != 0)
		goto out;
	if ((di = MHD_get_daemon_info(hs.d, MHD_DAEMON_INFO_BIND_PORT)) !=
	    NULL)
		port = di->port;
	wk_log(WK_LOG_INFO, "listening", "address=%s port=%u scheme=%s",
	    srv->cfg.listen, port, srv->tls != NULL ? "https" : "http");
	if (on_ready != NULL)
		on_ready(arg, port);
	while (!srv->stopping)
		turn(&hs, MAX_WAIT_MS);
	shutdown_gracefully(&hs);
	wk_log(WK_LOG_INFO, "stopped", "outcome=clean");
	r = 0;
 out:
	if (hs.d != NULL)
		MHD_stop_daemon(hs.d);
	if (hs.sigfd >= 0)
		close(hs.sigfd);	/* leaves the loop's epoll with it */
	wk_loop_timer_cancel(hs.loop, hs.housekeeping);
	for (size_t i = 0; i < REFUSE_N; i++)
		wk_log_limit_flush(&hs.lim[i], UINT64_MAX / 2);
	wk_http_ipcount_free(hs.ipcount);
	if (own_loop) {
		wk_loop_free(srv->loop);
		srv->loop = NULL;
	}
	return r;
}

int
wk_http_serve(struct wk_server *srv, const struct wk_http_route *routes)
{
	return wk_http_serve_ex(srv, routes, NULL, NULL);
}
