/*
 * metrics.h - wicketd's counters and their Prometheus text rendering
 * (docs/metrics.md lists every metric). Plain integers: everything that
 * touches them runs on wicketd's one event loop thread, so no locks.
 * Label values come from fixed tables only (an action name that is not
 * in the table counts as action="unknown"), never from client input.
 * The hooks are one call where the event happens; GET /metrics is served
 * on its own listener (wicketd serve --metrics-listen, metrics_listen.c).
 */
#ifndef WK_SERVER_METRICS_H
#define WK_SERVER_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

struct wk_loop;

/* Where a throttle refused a call (wicket_throttled_total{limit}). */
enum wk_metrics_throttle {
	WK_MT_KEY_RATE,		/* SendSSHPublicKey per access key */
	WK_MT_KEYS_PER_USER,	/* live keys per instance OS user */
	WK_MT_CONSOLE_SIGNIN,	/* console sign-in per user/address */
	WK_MT_CONSOLE_PUSH,	/* console terminal key pushes per user */
	WK_MT_N
};

/* Gauges set from the scrape's collector (wk_metrics_on_scrape). */
enum wk_metrics_gauge {
	WK_MG_AGENTS_ONLINE,	/* agents that polled within the window */
	WK_MG_POLLS_HELD,	/* agent long-polls held open */
	WK_MG_TERMINALS_OPEN,	/* console terminals open */
	WK_MG_STORE_ERRORS,	/* store calls failed (a counter, read) */
	WK_MG_N
};

/* ---- hooks (metrics.c) ---- */
/* CLOCK_MONOTONIC in microseconds, for the durations below. */
uint64_t wk_metrics_now_us(void);
/* An API request answered: its action name (any string; not in the
 * fixed table = "unknown"), HTTP status, and time taken in microseconds. */
void wk_metrics_request(const char *action, unsigned status,
    uint64_t duration_us);
/* A policy decision by wk_api_authorize. */
void wk_metrics_decision(bool allow);
/* A commit of `batch` audit events, written (ok) or not; commit_us: the
 * batch's write and commit (group commit: audit_batch.c). */
void wk_metrics_audit_write(bool ok, uint64_t commit_us, unsigned batch);
void wk_metrics_throttled(enum wk_metrics_throttle which);
void wk_metrics_gauge_set(enum wk_metrics_gauge g, uint64_t value);
/* The process's start (seconds since the epoch); wicketd serve sets it. */
void wk_metrics_set_start_time(int64_t unix_seconds);
/* fn(arg) runs before each scrape is rendered to set the gauges. */
void wk_metrics_on_scrape(void (*fn)(void *arg), void *arg);
/* Zeroes everything (tests). */
void wk_metrics_reset(void);

/* ---- the renderer (metrics_render.c) ---- */
/* Appends the Prometheus text exposition format (version 0.0.4) of every
 * metric to out. 0 or a WK_ERR_* code. */
int wk_metrics_render(struct wk_buf *out);
#define WK_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- the listener (metrics_listen.c) ---- */
struct wk_metrics_listener;
/*
 * Listens on addr ("127.0.0.1:9464", "[::1]:9464"; port 0 picks one) with
 * plain HTTP, driven from loop: GET /metrics answers the rendering (the
 * scrape collector runs first), any other path 404, any other method 405.
 * *port (may be NULL) gets the bound port. WK_ERR_INVAL for a bad
 * address, WK_ERR_IO when it cannot listen.
 */
int wk_metrics_listen(struct wk_loop *loop, const char *addr,
    struct wk_metrics_listener **out, unsigned *port);
void wk_metrics_listener_free(struct wk_metrics_listener *m);	/* NULL-safe */

#endif
