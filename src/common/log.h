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
 * Repeated failures cannot fill the disk. Every line at WK_LOG_WARN or
 * above (wk_log and wk_log_auth alike, stderr and syslog alike) goes
 * through one filter, process-wide:
 *
 *  - Identical lines: two lines are identical when they have the same
 *    level, the same event and the same message once its volatile parts
 *    are blanked: the value of request_id= is dropped and every run of
 *    decimal digits counts as one digit (counts, durations, ports, ids,
 *    addresses, rc=...). So "audit request_id=A outcome=failed error=X" is
 *    identical for every request; "error=X" and "error=Y" are not.
 *    Of identical lines, WK_LOG_REPEAT_BURST are written per
 *    WK_LOG_REPEAT_WINDOW_MS window (from the first), the rest counted.
 *  - One event: lines of one (level, event) that are not identical still
 *    share a budget of WK_LOG_EVENT_BURST a window (what an attacker
 *    varies cannot make them distinct enough to fill the disk).
 *  - When a window with counted lines has ended, one line says so:
 *    "level=L event=E repeated=N window_s=10 sample="<the first line's
 *    fields>" message="... repeated 6,512 times in the last 10 s"", or
 *    for the event budget "suppressed=N ... message="... 1,234 more
 *    lines of this event in the last 10 s"".
 *  - A table of WK_LOG_REPEAT_SLOTS kinds of line is kept; when all are in
 *    use, the rest share one budget, event=log_overflow.
 *
 * The count lines come with the next line logged, or from
 * wk_log_repeat_flush (wicketd calls it every second; programs call
 * wk_log_repeat_flush_all before exiting). At most, then, a window writes
 * WK_LOG_EVENT_BURST + 1 lines per event name in the code at WARN or
 * ERROR. INFO and DEBUG lines are not filtered (the audit trail of each
 * push is INFO); an INFO line an attacker can repeat uses wk_log_limited.
 */
#define WK_LOG_REPEAT_WINDOW_MS 10000
#define WK_LOG_REPEAT_BURST 5
#define WK_LOG_EVENT_BURST 50
#define WK_LOG_REPEAT_SLOTS 512

/* The clock the filter reads (monotonic ms); NULL: wk_mono_ms. Tests. */
void wk_log_set_clock(uint64_t (*now_ms)(void));
/* Writes the count lines of ended windows. */
void wk_log_repeat_flush(void);
/* Writes every pending count line, ended window or not, and forgets all. */
void wk_log_repeat_flush_all(void);

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
