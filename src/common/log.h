/*
 * log.h - one logging API with levels and key=value fields.
 *
 *   wk_log(WK_LOG_INFO, "push", "request_id=%s instance=%s outcome=%s", ...);
 *
 * The event name comes first, then the fields. Secrets never go in here.
 * Output goes to stderr by default, or to syslog after wk_log_open_syslog()
 * (authentication decisions with wk_log_auth -> LOG_AUTHPRIV).
 */
#ifndef WK_COMMON_LOG_H
#define WK_COMMON_LOG_H

#include <stdint.h>

enum wk_log_level {
	WK_LOG_DEBUG = 0,
	WK_LOG_INFO = 1,
	WK_LOG_WARN = 2,
	WK_LOG_ERROR = 3,
	WK_LOG_NONE = 4,	/* logs nothing */
};

void wk_log_set_level(enum wk_log_level level);
/* Logs to syslog with this ident instead of stderr. */
void wk_log_open_syslog(const char *ident);
void wk_log(enum wk_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An authentication decision: syslog LOG_AUTHPRIV when syslog is open. */
void wk_log_auth(enum wk_log_level level, const char *event,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * A line that an attacker can make repeat (one per refused request): logs
 * at most WK_LOG_LIMIT_BURST lines per WK_LOG_LIMIT_WINDOW_MS per limiter,
 * then only counts, so a flood cannot fill the disk. When a window in
 * which lines were dropped has ended, the next call (or
 * wk_log_limit_flush) logs one "event=EVENT WHAT repeated=N window_s=10
 * message=\"... repeated N times in 10 s\"" line. One limiter per kind of
 * line; zero-initialise it and set event, what (a "key=value" naming the
 * kind) and level.
 */
#define WK_LOG_LIMIT_WINDOW_MS 10000
#define WK_LOG_LIMIT_BURST 10

struct wk_log_limit {
	const char *event;
	const char *what;
	enum wk_log_level level;
	uint64_t window_start_ms;	/* CLOCK_MONOTONIC */
	unsigned logged;		/* lines in this window */
	unsigned long long dropped;	/* lines counted, not logged */
};

void wk_log_limited(struct wk_log_limit *lim, uint64_t now_ms,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Logs the count of a finished window (call it now and then). */
void wk_log_limit_flush(struct wk_log_limit *lim, uint64_t now_ms);

#endif
