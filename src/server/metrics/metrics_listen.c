/*
 * metrics_listen.c - GET /metrics on a listener of its own (wicketd serve
 * --metrics-listen): a second libmicrohttpd daemon in external-epoll mode,
 * its epoll fd watched from wicketd's loop, so the scrape runs on the
 * same thread as everything that moves the counters. Plain HTTP: the
 * text carries counts, no secrets (docs/metrics.md).
 */
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "server/http/http.h"
#include "server/metrics/metrics.h"

#define METRICS_TICK_MS 1000		/* MHD's connection timeouts */
#define METRICS_IDLE_S 10
#define METRICS_MAX_CONN 64
#define METRICS_BODY_MAX (4u << 20)

struct wk_metrics_listener {
	struct wk_loop *loop;
	struct MHD_Daemon *d;
	struct wk_watch *watch;
	struct wk_timer *tick;
};

static enum MHD_Result
answer(struct MHD_Connection *mc, unsigned status, const char *ctype,
    struct wk_span body)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;

	resp = MHD_create_response_from_buffer(body.len, (void *)(uintptr_t)
	    body.p, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    ctype) != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ok = MHD_queue_response(mc, status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	static int first;
	struct wk_buf out;
	enum MHD_Result ok;
	bool is_get = strcmp(method, "GET") == 0 ||
	    strcmp(method, "HEAD") == 0;

	(void)cls;
	(void)version;
	(void)upload_data;
	if (*req_cls == NULL) {	/* headers in; body (if any) follows */
		*req_cls = &first;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {	/* a body: not read, refused below */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0)
		return answer(mc, 404, "text/plain", wk_span_from_cstr(
		    "not found: the metrics are at /metrics\n"));
	if (!is_get)
		return answer(mc, 405, "text/plain",
		    wk_span_from_cstr("method not allowed\n"));
	wk_buf_init(&out, METRICS_BODY_MAX);
	if (wk_metrics_render(&out) != 0) {
		wk_log(WK_LOG_ERROR, "metrics", "error=\"render failed\"");
		ok = answer(mc, 500, "text/plain",
		    wk_span_from_cstr("internal error\n"));
	} else {
		ok = answer(mc, 200, WK_METRICS_CONTENT_TYPE,
		    wk_buf_span(&out));
	}
	wk_buf_cleanup(&out);
	return ok;
}

static void
run(struct wk_metrics_listener *m)
{
	if (m->d != NULL)
		MHD_run(m->d);
}

static void
on_ready(void *arg, uint32_t revents)
{
	(void)revents;
	run(arg);
}

static void
on_tick(void *arg)
{
	struct wk_metrics_listener *m = arg;

	run(m);
	m->tick = wk_loop_timer_add(m->loop, METRICS_TICK_MS, on_tick, m);
}

int
wk_metrics_listen(struct wk_loop *loop, const char *addr,
    struct wk_metrics_listener **out, unsigned *port)
{
	struct wk_metrics_listener *m;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const union MHD_DaemonInfo *di;
	int r;

	*out = NULL;
	memset(&ss, 0, sizeof(ss));
	if ((r = wk_http_parse_listen(addr, "127.0.0.1", &ss, &sslen)) != 0)
		return r;
	if ((m = wk_calloc(1, sizeof(*m))) == NULL)
		return WK_ERR_NOMEM;
	m->loop = loop;
	m->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
	    (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL,
	    on_request, m,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_MAX_CONN,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_IDLE_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024),
	    MHD_OPTION_SIGPIPE_HANDLED_BY_APP, (int)1,
	    MHD_OPTION_END);
	if (m->d == NULL) {
		wk_log(WK_LOG_ERROR, "metrics", "error=\"cannot listen\" "
		    "listen=%s", addr);
		wk_free(m);
		return WK_ERR_IO;
	}
	if ((di = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD)) ==
	    NULL || (m->watch = wk_loop_watch_fd(loop, di->epoll_fd, EPOLLIN,
	    on_ready, m)) == NULL || (m->tick = wk_loop_timer_add(loop,
	    METRICS_TICK_MS, on_tick, m)) == NULL) {
		wk_metrics_listener_free(m);
		return WK_ERR_NOMEM;
	}
	di = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
	if (port != NULL)
		*port = di != NULL ? di->port : 0;
	wk_log(WK_LOG_INFO, "metrics_listening", "address=%s port=%u "
	    "scheme=http", addr, di != NULL ? di->port : 0);
	*out = m;
	return 0;
}

void
wk_metrics_listener_free(struct wk_metrics_listener *m)
{
	if (m == NULL)
		return;
	wk_loop_timer_cancel(m->loop, m->tick);
	wk_loop_unwatch(m->loop, m->watch);
	if (m->d != NULL)
		MHD_stop_daemon(m->d);
	wk_free(m);
}
