/*
 * time.h - clocks and the timestamp formats AWS uses.
 * Monotonic for deadlines (_ms in names); wall clock for records/audit.
 */
#ifndef WK_COMMON_TIME_H
#define WK_COMMON_TIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"

uint64_t wk_mono_ms(void);	/* CLOCK_MONOTONIC in milliseconds */
int64_t wk_wall_ms(void);	/* CLOCK_REALTIME in ms since the epoch */
time_t wk_wall_now(void);	/* CLOCK_REALTIME seconds */

/* "2019-07-23T19:58:59Z" (IAM/JSON style); buf needs 21 bytes. */
void wk_time_iso8601(time_t t, char buf[static 21]);
/* "20150830T123600Z" (SigV4 X-Amz-Date); buf needs 17 bytes. */
void wk_time_amzdate(time_t t, char buf[static 17]);
/*
 * Parses "YYYYMMDDTHHMMSSZ", "YYYY-MM-DDTHH:MM:SSZ" (optional fraction
 * ".sss" and "+00:00"/"Z" offsets), or "YYYY-MM-DD". UTC only out.
 */
int wk_time_parse(struct wk_span s, time_t *out);

#endif
