/*
 * agent_admit.c - admission of NEW agent long-polls (agent_hub_int.h):
 * after a restart every agent of a fleet is new at once; wicketd takes
 * `--agent-admit-rate` of them a second (a token bucket holding one
 * second's worth) and answers the rest 503 with a Retry-After that books
 * each a place in the seconds ahead, so they come back at about the rate
 * they can be taken instead of all together again.
 */
#include "server/hub/agent_hub_int.h"

#include <stdio.h>

#include "common/log.h"
#include "common/time.h"

static struct wk_log_limit deferred_log = {
	.event = "agent_poll_deferred",
	.what = "reason=admission_limit",
	.level = WK_LOG_INFO,
};

unsigned
wk_hub_admit(struct wk_hub_admit *ad, unsigned rate, uint64_t now_ms)
{
	uint64_t slot_us, now_us = now_ms * 1000, wait_s;

	if (rate == 0)
		return 0;
	if (ad->last_ms == 0 || now_ms < ad->last_ms) {
		ad->tokens_milli = (uint64_t)rate * 1000;
	} else {
		ad->tokens_milli += (now_ms - ad->last_ms) * rate;
		if (ad->tokens_milli > (uint64_t)rate * 1000)
			ad->tokens_milli = (uint64_t)rate * 1000;
	}
	ad->last_ms = now_ms;
	if (ad->tokens_milli >= 1000) {
		ad->tokens_milli -= 1000;
		ad->admitted++;
		return 0;
	}
	/* the next free place, at least a second from now */
	slot_us = ad->next_slot_us;
	if (slot_us < now_us + 1000000)
		slot_us = now_us + 1000000;
	wait_s = (slot_us - now_us) / 1000000;	/* + the agent's 0..1 s */
	if (wait_s > WK_HUB_ADMIT_MAX_WAIT_S)
		wait_s = WK_HUB_ADMIT_MAX_WAIT_S;	/* booked out: not booked */
	else
		ad->next_slot_us = slot_us + 1000000 / rate;
	ad->deferred++;
	return (unsigned)wait_s;
}

void
wk_hub_admit_refuse(struct wk_http_conn *c, const char *instance_id,
    unsigned retry_after_s)
{
	char hdr[64];

	wk_log_limited(&deferred_log, wk_mono_ms(), "instance=%s "
	    "retry_after=%u", instance_id, retry_after_s);
	snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n", retry_after_s);
	wk_http_respond(c, 503, "application/json", WK_SPAN_LIT(
	    "{\"error\":\"SlowDown\",\"message\":\"too many agents "
	    "connecting; retry after the Retry-After seconds\"}"), hdr);
}
