/*
 * throttle.h - AWS-style request throttling: token buckets per caller
 * (access key, or the console's "console:<user id>") and one for the whole
 * account, configured by `wicketd serve --throttle-key RATE[:BURST]` and
 * `--throttle-account RATE[:BURST]` (0 = off). Which actions are throttled
 * and what the caller sees: docs/throttling.md. Memory only: a throttled
 * call costs no store access here. Event-loop thread only.
 */
#ifndef WK_SERVER_AUTH_THROTTLE_H
#define WK_SERVER_AUTH_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/api/api.h"

/* The protective defaults: per access key, the 20/s burst 40 of before. */
#define WK_THROTTLE_KEY_RATE 20
#define WK_THROTTLE_KEY_BURST 40
#define WK_THROTTLE_MAX 1000000	/* rate and burst ceiling */

/* Tokens per second and bucket size; rate 0 = off. */
struct wk_rate {
	uint32_t rate;
	uint32_t burst;
};

/* One bucket, counted in thousandths of a token. */
struct wk_bucket {
	uint64_t milli;
	uint64_t last_ms;
	bool primed;	/* false: full at the first use */
};

/*
 * Parses "RATE[:BURST]": RATE 0..1000000 (0 = off, then no BURST),
 * BURST 1..1000000 (default 2 x RATE). On error `why` says what is wrong.
 */
int wk_rate_parse(const char *s, struct wk_rate *out, char *why,
    size_t whysz);

/* Refills b for now_ms; true (one token taken) unless it is empty. */
bool wk_bucket_take(struct wk_bucket *b, const struct wk_rate *r,
    uint64_t now_ms);

enum wk_throttle_verdict {
	WK_THROTTLE_OK = 0,
	WK_THROTTLE_KEY,	/* the caller's own bucket is empty */
	WK_THROTTLE_ACCOUNT,	/* the account's bucket is empty */
};

/* Sets both limits (and empties the table); the defaults until called. */
void wk_throttle_configure(struct wk_rate per_key, struct wk_rate account);
void wk_throttle_reset(void);	/* forgets every bucket (tests) */

/*
 * Takes one token from the caller's bucket and the account's, both or
 * neither. An empty or too long caller name is not throttled here (such a
 * caller is refused by authentication).
 */
enum wk_throttle_verdict wk_throttle_take(const char *caller,
    uint64_t now_ms);

/*
 * Answers a throttled call the way AWS's model does for the protocol:
 * JSON 429 ThrottlingException "Rate exceeded"; IAM and STS 400 Throttling
 * "Rate exceeded"; EC2 503 RequestLimitExceeded "Request limit exceeded.".
 */
int wk_throttle_error(struct wk_api_resp *resp, enum wk_protocol proto);

#endif
