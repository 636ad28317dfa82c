/*
 * log.c - the logging API (log.h), with the repeat filter that keeps
 * repeated failures from filling the disk.
 */
#include "common/log.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "common/time.h"

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

/* Writes one line, no filter. */
static void
emit(int facility, enum wk_log_level level, const char *event,
    const char *msg)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

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

/* ---- the repeat filter (log.h) ---- */

#define PROBE 16
#define EVENT_MAX 48
#define SAMPLE_MAX 240

enum slot_kind { SLOT_FREE, SLOT_LINE, SLOT_EVENT };

struct slot {
	uint64_t key;
	uint64_t window_start;
	unsigned logged;
	unsigned long long dropped;
	enum slot_kind kind;
	enum wk_log_level level;
	int facility;
	char event[EVENT_MAX];
	char sample[SAMPLE_MAX];	/* SLOT_LINE: the first line's fields */
};

static struct slot slots[WK_LOG_REPEAT_SLOTS];
static struct slot overflow = { .kind = SLOT_EVENT, .level = WK_LOG_WARN,
    .facility = LOG_DAEMON, .event = "log_overflow" };
static uint64_t (*clock_fn)(void) = wk_mono_ms;
static uint64_t last_flush_ms;
static pthread_mutex_t repeat_mu = PTHREAD_MUTEX_INITIALIZER;

void
wk_log_set_clock(uint64_t (*now_ms)(void))
{
	pthread_mutex_lock(&repeat_mu);
	clock_fn = now_ms != NULL ? now_ms : wk_mono_ms;
	last_flush_ms = 0;
	pthread_mutex_unlock(&repeat_mu);
}

static uint64_t
fnv(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/*
 * The identity of a line (log.h): level, event and the message with
 * request_id's value dropped and each run of digits one digit.
 */
static uint64_t
line_key(enum wk_log_level level, const char *event, const char *msg)
{
	uint64_t h = 1469598103934665603ULL;
	char lv = (char)('0' + level);
	const char *p = msg;

	h = fnv(h, &lv, 1);
	h = fnv(h, event, strlen(event) + 1);
	while (*p != '\0') {
		if (strncmp(p, "request_id=", 11) == 0 &&
		    (p == msg || p[-1] == ' ')) {
			h = fnv(h, p, 11);
			p += 11;
			while (*p != '\0' && *p != ' ')
				p++;
			continue;
		}
		if (isdigit((unsigned char)*p)) {
			h = fnv(h, "0", 1);
			while (isdigit((unsigned char)*p))
				p++;
			continue;
		}
		h = fnv(h, p, 1);
		p++;
	}
	return h | 1;	/* never 0 */
}

static uint64_t
event_key(enum wk_log_level level, const char *event)
{
	char lv = (char)('A' + level);
	uint64_t h = fnv(7809847782465536322ULL, &lv, 1);

	return fnv(h, event, strlen(event)) | 1;
}

/* 6512 -> "6,512" */
static void
thousands(unsigned long long n, char *out, size_t outsz)
{
	char digits[32];
	size_t len, o = 0;

	len = (size_t)snprintf(digits, sizeof(digits), "%llu", n);
	for (size_t i = 0; i < len && o + 2 < outsz; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

/* The count line of a slot's window, then an empty count. */
static void
report(struct slot *sl)
{
	char msg[SAMPLE_MAX + 256], n[40];
	unsigned window_s = WK_LOG_REPEAT_WINDOW_MS / 1000;

	if (sl->dropped == 0)
		return;
	thousands(sl->dropped, n, sizeof(n));
	if (sl->kind == SLOT_LINE)
		snprintf(msg, sizeof(msg), "repeated=%llu window_s=%u "
		    "sample=\"%s\" message=\"... repeated %s times in the "
		    "last %u s\"", sl->dropped, window_s, sl->sample, n,
		    window_s);
	else
		snprintf(msg, sizeof(msg), "suppressed=%llu window_s=%u "
		    "message=\"... %s more lines of this event in the last "
		    "%u s\"", sl->dropped, window_s, n, window_s);
	emit(sl->facility, sl->level, sl->event, msg);
	sl->dropped = 0;
}

/* A new window when the slot's has ended (its count line first). */
static void
roll(struct slot *sl, uint64_t now)
{
	if (now - sl->window_start < WK_LOG_REPEAT_WINDOW_MS)
		return;
	report(sl);
	sl->window_start = now;
	sl->logged = 0;
}

/*
 * The slot for key; when absent and `create`, a new one (NULL when the
 * table is full there).
 */
static struct slot *
find(uint64_t key, bool create, enum slot_kind kind, int facility,
    enum wk_log_level level, const char *event, const char *msg,
    uint64_t now)
{
	size_t i0 = (size_t)(key % WK_LOG_REPEAT_SLOTS), reuse = SIZE_MAX;
	struct slot *sl;

	for (size_t k = 0; k < PROBE; k++) {
		size_t i = (i0 + k) % WK_LOG_REPEAT_SLOTS;

		if (slots[i].kind != SLOT_FREE && slots[i].key == key)
			return &slots[i];
		if (reuse == SIZE_MAX && (slots[i].kind == SLOT_FREE ||
		    (slots[i].dropped == 0 &&
		    now - slots[i].window_start >= WK_LOG_REPEAT_WINDOW_MS)))
			reuse = i;
	}
	if (!create || reuse == SIZE_MAX)
		return NULL;
	sl = &slots[reuse];
	memset(sl, 0, sizeof(*sl));
	sl->key = key;
	sl->kind = kind;
	sl->level = level;
	sl->facility = facility;
	sl->window_start = now;
	snprintf(sl->event, sizeof(sl->event), "%s", event);
	if (kind == SLOT_LINE)
		for (size_t i = 0; msg[i] != '\0' && i + 1 < SAMPLE_MAX; i++)
			sl->sample[i] = msg[i] == '"' ? '\'' : msg[i];
	return sl;
}

static void
flush_locked(uint64_t now, bool all)
{
	for (size_t i = 0; i < WK_LOG_REPEAT_SLOTS; i++) {
		if (slots[i].kind == SLOT_FREE)
			continue;
		if (all) {
			report(&slots[i]);
			slots[i].kind = SLOT_FREE;
		} else if (slots[i].dropped > 0) {
			roll(&slots[i], now);
		}
	}
	if (all)
		report(&overflow);
	else if (overflow.dropped > 0)
		roll(&overflow, now);
	last_flush_ms = now;
}

void
wk_log_repeat_flush(void)
{
	pthread_mutex_lock(&repeat_mu);
	flush_locked(clock_fn(), false);
	pthread_mutex_unlock(&repeat_mu);
}

void
wk_log_repeat_flush_all(void)
{
	pthread_mutex_lock(&repeat_mu);
	flush_locked(clock_fn(), true);
	pthread_mutex_unlock(&repeat_mu);
}

/*
 * True when the line may be written (log.h's rules); counts it if not.
 * Slots for lines are made only for lines written, so an event over its
 * budget cannot fill the table with lines it never wrote.
 */
static bool
repeat_admit(int facility, enum wk_log_level level, const char *event,
    const char *msg, uint64_t now)
{
	uint64_t lk = line_key(level, event, msg);
	struct slot *line, *ev;

	if (now - last_flush_ms >= 1000)
		flush_locked(now, false);
	ev = find(event_key(level, event), true, SLOT_EVENT, facility, level,
	    event, NULL, now);
	if (ev == NULL)
		ev = &overflow;
	line = find(lk, false, SLOT_LINE, facility, level, event, msg, now);
	if (line != NULL) {
		roll(line, now);
		if (line->logged >= WK_LOG_REPEAT_BURST) {
			line->dropped++;
			return false;
		}
	}
	roll(ev, now);
	if (ev->logged >= WK_LOG_EVENT_BURST) {
		ev->dropped++;
		return false;
	}
	if (line == NULL && ev != &overflow &&
	    (line = find(lk, true, SLOT_LINE, facility, level, event, msg,
	    now)) == NULL) {
		/* the table is full: the overflow's budget */
		ev = &overflow;
		roll(ev, now);
		if (ev->logged >= WK_LOG_EVENT_BURST) {
			ev->dropped++;
			return false;
		}
	}
	ev->logged++;
	if (line != NULL)
		line->logged++;
	return true;
}

static void vlog(int, enum wk_log_level, const char *, const char *,
    va_list) __attribute__((format(printf, 4, 0)));

static void
vlog(int facility, enum wk_log_level level, const char *event,
    const char *fmt, va_list ap)
{
	char msg[2048];
	bool ok;

	if (level < min_level || level >= WK_LOG_NONE)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (level < WK_LOG_WARN) {
		emit(facility, level, event, msg);
		return;
	}
	pthread_mutex_lock(&repeat_mu);
	ok = repeat_admit(facility, level, event, msg, clock_fn());
	if (ok)
		emit(facility, level, event, msg);
	pthread_mutex_unlock(&repeat_mu);
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
