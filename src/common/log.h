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

#endif
