/*
 * backoff.h - when the agent tries wicketd again after a failure: the
 * reconnect policy of wicket-agent (docs/agent.md, "Reconnecting"), in
 * one small file with no other dependency so that anything imitating an
 * agent fleet (bench/swarm) links the very same policy.
 *
 *  - A refused connection (nothing listening, the connection closed
 *    before a reply: wicketd restarting) is cheap for both sides. For the
 *    first WK_BACKOFF_FAST_WINDOW_MS of an outage the agent retries after
 *    a uniformly random WK_BACKOFF_FAST_MIN_MS..WK_BACKOFF_FAST_CAP_MS, so
 *    it is back within about a second of wicketd listening again, and a
 *    fleet's retries are spread evenly over that second.
 *  - Any other failure (timeout, TLS refusal, an HTTP error), and refused
 *    connections once the outage is older than the window: full-jitter
 *    exponential backoff, a uniformly random delay in
 *    WK_BACKOFF_FAST_MIN_MS..cap where cap doubles from WK_BACKOFF_BASE_MS
 *    (refused: from WK_BACKOFF_FAST_CAP_MS) up to WK_BACKOFF_MAX_MS.
 *  - wicketd answering 503 with Retry-After: N (its admission limit for
 *    new long-polls): N s plus a uniformly random 0..1 s. wicketd already
 *    spreads the N it hands out over the seconds ahead; the extra second
 *    spreads each second's share.
 *  - Success resets everything.
 */
#ifndef WK_AGENT_BACKOFF_H
#define WK_AGENT_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

#define WK_BACKOFF_FAST_WINDOW_MS 10000
#define WK_BACKOFF_FAST_MIN_MS 100
#define WK_BACKOFF_FAST_CAP_MS 1000
#define WK_BACKOFF_BASE_MS 500
#define WK_BACKOFF_MAX_MS 30000
#define WK_BACKOFF_RETRY_AFTER_MAX_S 300	/* a larger Retry-After is cut */

enum wk_backoff_kind {
	WK_BACKOFF_REFUSED,	/* connection refused or closed, no reply */
	WK_BACKOFF_ERROR,	/* anything else */
};

struct wk_backoff {
	uint64_t outage_start_ms;	/* monotonic; when the outage began */
	unsigned attempt;		/* exponential steps taken */
	unsigned failures;		/* failures in this outage */
	bool in_outage;
};

/* Success: the next failure starts a new outage. */
void wk_backoff_reset(struct wk_backoff *b);
/*
 * One more failure of `kind` at now_ms (monotonic); `rnd` a uniformly
 * random 32-bit value. Returns the delay in ms before the next attempt.
 */
uint64_t wk_backoff_next(struct wk_backoff *b, enum wk_backoff_kind kind,
    uint64_t now_ms, uint32_t rnd);
/*
 * wicketd said Retry-After: `seconds` (a failure of the outage too):
 * seconds (at least 1, at most WK_BACKOFF_RETRY_AFTER_MAX_S) * 1000 plus
 * rnd % 1000 ms.
 */
uint64_t wk_backoff_retry_after(struct wk_backoff *b, uint64_t seconds,
    uint64_t now_ms, uint32_t rnd);

#endif
