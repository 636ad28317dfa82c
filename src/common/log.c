#include "common/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

static enum wk_log_level min_level = WK_LOG_INFO;
static bool use_syslog;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
wk_log_set_level(enum wk_log_level level)
{
	min_level = level;
}

void
wk_log_open_syslog(const char *ident)
{
	openlog(ident, LOG_PID, LOG_DAEMON);
	use_syslog = true;
}

static int
syslog_priority(enum wk_log_level level)
{
	switch (level) {
	case WK_LOG_DEBUG: return LOG_DEBUG;
	case WK_LOG_INFO: return LOG_INFO;
	case WK_LOG_WARN: return LOG_WARNING;
	default: return LOG_ERR;
	}
}

static void vlog(int, enum wk_log_level, const char *, const char *,
    va_list) __attribute__((format(printf, 4, 0)));

static void
vlog(int facility, enum wk_log_level level, const char *event,
    const char *fmt, va_list ap)
{
	char msg[2048];
	struct timespec ts;
	struct tm tm;
	char when[32];

	if (level < min_level || level >= WK_LOG_NONE)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (use_syslog) {
		syslog(facility | syslog_priority(level), "event=%s %s", event,
		    msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ level=%s event=%s %s\n", when,
	    ts.tv_nsec / 1000000, level_names[level], event, msg);
}

void
wk_log(enum wk_log_level level, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_DAEMON, level, event, fmt, ap);
	va_end(ap);
}

void
wk_log_auth(enum wk_log_level level, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_AUTHPRIV, level, event, fmt, ap);
	va_end(ap);
}

void
wk_log_limit_flush(struct wk_log_limit *lim, uint64_t now_ms)
{
	if (lim->dropped == 0 ||
	    now_ms - lim->window_start_ms < WK_LOG_LIMIT_WINDOW_MS)
		return;
	wk_log(lim->level, lim->event, "%s repeated=%llu window_s=%u "
	    "message=\"... repeated %llu times in %u s\"", lim->what,
	    lim->dropped, WK_LOG_LIMIT_WINDOW_MS / 1000, lim->dropped,
	    WK_LOG_LIMIT_WINDOW_MS / 1000);
	lim->dropped = 0;
}

void
wk_log_limited(struct wk_log_limit *lim, uint64_t now_ms, const char *fmt,
    ...)
{
	va_list ap;

	if (lim->level < min_level)
		return;
	wk_log_limit_flush(lim, now_ms);
	if (lim->window_start_ms == 0 ||
	    now_ms - lim->window_start_ms >= WK_LOG_LIMIT_WINDOW_MS) {
		lim->window_start_ms = now_ms;
		lim->logged = 0;
	}
	if (lim->logged >= WK_LOG_LIMIT_BURST) {
		lim->dropped++;
		return;
	}
	lim->logged++;
	va_start(ap, fmt);
	vlog(LOG_DAEMON, lim->level, lim->event, fmt, ap);
	va_end(ap);
}
