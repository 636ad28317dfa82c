/*
 * failover.h - which wicketd the agent talks to when it was given several
 * (`--server URL` repeated; docs/agent.md, "Several servers"): the
 * selection and failover order, in one small file over backoff.h so that
 * it can be tested on its own.
 *
 *  - The agent stays on the server that works (sticky): a success changes
 *    nothing, and a dead server is never tried again while another works.
 *  - The current server "down" (connection refused or reset, a timeout,
 *    a TLS refusal, a 5xx, a malformed reply): the agent moves to the next
 *    in the list, after the backoff's fast delay (a uniformly random
 *    WK_BACKOFF_FAST_MIN_MS..WK_BACKOFF_FAST_CAP_MS, which spreads a
 *    fleet's move over a second), without counting against the backoff.
 *    So each failover costs the fast phase, not the full backoff.
 *  - Once every server failed in a row (one round), the round counts as
 *    one failure of the backoff (backoff.h: fast window, then exponential,
 *    Retry-After honoured) and the next round goes on from the next server.
 *  - A failure that is not the server's (an HTTP 4xx: every replica would
 *    say the same) stays on the server with the backoff.
 */
#ifndef WK_AGENT_FAILOVER_H
#define WK_AGENT_FAILOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/backoff.h"

#define WK_FAILOVER_MAX_SERVERS 8

struct wk_failover {
	size_t n;		/* servers, 1..WK_FAILOVER_MAX_SERVERS */
	size_t cur;		/* the one in use */
	size_t failed;		/* servers failed in a row (this round) */
};

void wk_failover_init(struct wk_failover *f, size_t n);
/* A reply came from the current server: stay on it. */
void wk_failover_success(struct wk_failover *f);
/*
 * The current server failed at now_ms; `server_down` says whether it is
 * the server's failure (move on) or not (stay). `kind` and retry_after_s
 * (> 0: wicketd's 503 said when) as for backoff.h; `rnd` uniformly
 * random. Returns the delay before the next attempt and sets *moved when
 * the current server changed (f->cur is the new one).
 */
uint64_t wk_failover_fail(struct wk_failover *f, struct wk_backoff *b,
    bool server_down, enum wk_backoff_kind kind, uint64_t retry_after_s,
    uint64_t now_ms, uint32_t rnd, bool *moved);

#endif
