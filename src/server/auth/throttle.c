/*
 * throttle.c - token buckets per caller and for the account (throttle.h).
 *
 * The per-caller table is open addressing with a short probe: a caller
 * not found takes the least recently used slot of its probe window, and
 * starts full (as an idle caller's bucket would be). The account bucket
 * is taken only when the caller's has a token, and the caller's only when
 * the account's has one: a refused call spends nothing.
 */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "server/auth/throttle.h"

#define SLOTS 4096	/* power of two */
#define PROBE 8
#define MILLI 1000u

struct slot {
	char name[48];	/* an access key id, or "console:" + a user id */
	struct wk_bucket b;
};

static struct slot slots[SLOTS];
static struct wk_bucket account;
static struct wk_rate key_rate = { WK_THROTTLE_KEY_RATE,
	WK_THROTTLE_KEY_BURST };
static struct wk_rate account_rate = { 0, 0 };

int
wk_rate_parse(const char *s, struct wk_rate *out, char *why, size_t whysz)
{
	char rate[16];
	const char *colon;
	uint64_t r, b;
	size_t n;

	memset(out, 0, sizeof(*out));
	colon = strchr(s, ':');
	n = colon != NULL ? (size_t)(colon - s) : strlen(s);
	if (n == 0 || n >= sizeof(rate)) {
		snprintf(why, whysz, "'%s' is not RATE[:BURST]", s);
		return WK_ERR_INVAL;
	}
	memcpy(rate, s, n);
	rate[n] = '\0';
	if (wk_cstr_to_u64(rate, WK_THROTTLE_MAX, &r) != 0) {
		snprintf(why, whysz, "RATE must be 0..%u calls a second (0 = "
		    "off), not '%s'", WK_THROTTLE_MAX, rate);
		return WK_ERR_INVAL;
	}
	if (colon == NULL) {
		b = r * 2 > WK_THROTTLE_MAX ? WK_THROTTLE_MAX : r * 2;
	} else if (r == 0) {
		snprintf(why, whysz, "a RATE of 0 turns throttling off and "
		    "takes no BURST: '%s'", s);
		return WK_ERR_INVAL;
	} else if (wk_cstr_to_u64(colon + 1, WK_THROTTLE_MAX, &b) != 0 ||
	    b == 0) {
		snprintf(why, whysz, "BURST must be 1..%u calls, not '%s'",
		    WK_THROTTLE_MAX, colon + 1);
		return WK_ERR_INVAL;
	}
	out->rate = (uint32_t)r;
	out->burst = (uint32_t)b;
	return 0;
}

/* b's tokens at now_ms (refilled, capped at the burst), in thousandths. */
static uint64_t
refill(struct wk_bucket *b, const struct wk_rate *r, uint64_t now_ms)
{
	const uint64_t full = (uint64_t)r->burst * MILLI;
	uint64_t elapsed;

	if (!b->primed) {
		b->primed = true;
		b->milli = full;
		b->last_ms = now_ms;
	}
	if (now_ms > b->last_ms) {
		elapsed = now_ms - b->last_ms;
		if (elapsed > full)	/* rate >= 1: full already */
			elapsed = full;
		b->milli += elapsed * r->rate;
		b->last_ms = now_ms;
	}
	if (b->milli > full)
		b->milli = full;
	return b->milli;
}

bool
wk_bucket_take(struct wk_bucket *b, const struct wk_rate *r, uint64_t now_ms)
{
	if (r->rate == 0)
		return true;
	if (refill(b, r, now_ms) < MILLI)
		return false;
	b->milli -= MILLI;
	return true;
}

void
wk_throttle_reset(void)
{
	memset(slots, 0, sizeof(slots));
	memset(&account, 0, sizeof(account));
}

void
wk_throttle_configure(struct wk_rate per_key, struct wk_rate acct)
{
	key_rate = per_key;
	account_rate = acct;
	wk_throttle_reset();
}

static size_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

static struct slot *
slot_for(const char *name)
{
	struct slot *oldest = NULL;
	size_t h = name_hash(name);

	for (size_t i = 0; i < PROBE; i++) {
		struct slot *c = &slots[(h + i) & (SLOTS - 1)];

		if (strcmp(c->name, name) == 0)
			return c;
		if (oldest == NULL || c->name[0] == '\0' ||
		    (oldest->name[0] != '\0' &&
		    c->b.last_ms < oldest->b.last_ms))
			oldest = c;
	}
	/* a new caller (or an evicted, long-idle one): a full bucket */
	memset(oldest, 0, sizeof(*oldest));
	memcpy(oldest->name, name, strlen(name) + 1);
	return oldest;
}

enum wk_throttle_verdict
wk_throttle_take(const char *caller, uint64_t now_ms)
{
	struct slot *s = NULL;

	if (caller == NULL || caller[0] == '\0' ||
	    strlen(caller) >= sizeof(s->name))
		return WK_THROTTLE_OK;
	if (key_rate.rate != 0) {
		s = slot_for(caller);
		if (refill(&s->b, &key_rate, now_ms) < MILLI)
			return WK_THROTTLE_KEY;
	}
	if (account_rate.rate != 0 &&
	    !wk_bucket_take(&account, &account_rate, now_ms))
		return WK_THROTTLE_ACCOUNT;
	if (s != NULL)
		s->b.milli -= MILLI;
	return WK_THROTTLE_OK;
}

int
wk_throttle_error(struct wk_api_resp *resp, enum wk_protocol proto)
{
	switch (proto) {
	case WK_PROTO_JSON:
		return wk_api_error(resp, 429, "ThrottlingException",
		    "Rate exceeded");
	case WK_PROTO_QUERY_EC2:
		return wk_api_error(resp, 503, "RequestLimitExceeded",
		    "Request limit exceeded.");
	default:
		return wk_api_error(resp, 400, "Throttling", "Rate exceeded");
	}
}
