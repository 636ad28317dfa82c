/*
 * backoff.c - the agent's reconnect policy (backoff.h says what and why).
 */
#include "agent/backoff.h"

void
wk_backoff_reset(struct wk_backoff *b)
{
	b->outage_start_ms = 0;
	b->attempt = 0;
	b->failures = 0;
	b->in_outage = false;
}

static void
begin(struct wk_backoff *b, uint64_t now_ms)
{
	if (!b->in_outage) {
		b->in_outage = true;
		b->outage_start_ms = now_ms;
		b->attempt = 0;
		b->failures = 0;
	}
	b->failures++;
}

/* min + uniform(0 .. max - min) */
static uint64_t
uniform(uint64_t min, uint64_t max, uint32_t rnd)
{
	if (max <= min)
		return min;
	return min + (uint64_t)rnd % (max - min + 1);
}

uint64_t
wk_backoff_next(struct wk_backoff *b, enum wk_backoff_kind kind,
    uint64_t now_ms, uint32_t rnd)
{
	uint64_t cap, base;

	begin(b, now_ms);
	if (kind == WK_BACKOFF_REFUSED &&
	    now_ms - b->outage_start_ms < WK_BACKOFF_FAST_WINDOW_MS)
		return uniform(WK_BACKOFF_FAST_MIN_MS, WK_BACKOFF_FAST_CAP_MS,
		    rnd);
	base = kind == WK_BACKOFF_REFUSED ? WK_BACKOFF_FAST_CAP_MS :
	    WK_BACKOFF_BASE_MS;
	cap = b->attempt < 16 ? base << b->attempt : WK_BACKOFF_MAX_MS;
	if (cap > WK_BACKOFF_MAX_MS)
		cap = WK_BACKOFF_MAX_MS;
	if (b->attempt < 16)
		b->attempt++;
	return uniform(WK_BACKOFF_FAST_MIN_MS, cap, rnd);	/* full jitter */
}

uint64_t
wk_backoff_retry_after(struct wk_backoff *b, uint64_t seconds,
    uint64_t now_ms, uint32_t rnd)
{
	begin(b, now_ms);
	if (seconds < 1)
		seconds = 1;
	if (seconds > WK_BACKOFF_RETRY_AFTER_MAX_S)
		seconds = WK_BACKOFF_RETRY_AFTER_MAX_S;
	return seconds * 1000 + (uint64_t)rnd % 1000;
}
