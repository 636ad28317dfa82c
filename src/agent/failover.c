/*
 * failover.c - the agent's server selection (failover.h says what and
 * why).
 */
#include "agent/failover.h"

void
wk_failover_init(struct wk_failover *f, size_t n)
{
	f->n = n == 0 ? 1 : n;
	f->cur = 0;
	f->failed = 0;
}

void
wk_failover_success(struct wk_failover *f)
{
	f->failed = 0;
}

uint64_t
wk_failover_fail(struct wk_failover *f, struct wk_backoff *b,
    bool server_down, enum wk_backoff_kind kind, uint64_t retry_after_s,
    uint64_t now_ms, uint32_t rnd, bool *moved)
{
	*moved = false;
	if (server_down && f->n > 1) {
		f->cur = (f->cur + 1) % f->n;
		*moved = true;
		if (++f->failed < f->n)
			return WK_BACKOFF_FAST_MIN_MS + (uint64_t)rnd %
			    (WK_BACKOFF_FAST_CAP_MS - WK_BACKOFF_FAST_MIN_MS +
			    1);
		f->failed = 0;	/* a whole round failed: one backoff step */
	}
	if (retry_after_s > 0)
		return wk_backoff_retry_after(b, retry_after_s, now_ms, rnd);
	return wk_backoff_next(b, kind, now_ms, rnd);
}
