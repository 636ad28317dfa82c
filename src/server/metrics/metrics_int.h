/*
 * metrics_int.h - the counters' storage, shared by metrics.c (the hooks)
 * and metrics_render.c (the text format), and the unit tests.
 */
#ifndef WK_SERVER_METRICS_INT_H
#define WK_SERVER_METRICS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "server/metrics/metrics.h"

/* API actions with a label of their own; the last is "unknown". */
extern const char *const wk_metrics_actions[];
extern const size_t wk_metrics_nactions;	/* with "unknown" */

/* HTTP statuses with a code label of their own; others are "other". */
extern const unsigned wk_metrics_codes[];
#define WK_METRICS_NCODES 11		/* with "other" (0) */

/* Histogram bucket upper bounds, in microseconds (+Inf is implied). */
extern const uint64_t wk_metrics_latency_us[];
#define WK_METRICS_NLAT 13
extern const unsigned wk_metrics_batch_le[];
#define WK_METRICS_NBATCH 8

#define WK_METRICS_MAX_ACTIONS 72

struct wk_metrics_hist {
	uint64_t bucket[WK_METRICS_NLAT];	/* not cumulative */
	uint64_t count;
	uint64_t sum_us;
};

struct wk_metrics {
	uint64_t requests[WK_METRICS_MAX_ACTIONS][WK_METRICS_NCODES];
	struct wk_metrics_hist latency[WK_METRICS_MAX_ACTIONS];
	uint64_t decisions[2];		/* deny, allow */
	uint64_t audit_writes[2];	/* error, ok */
	struct wk_metrics_hist audit_commit;
	uint64_t audit_batch[WK_METRICS_NBATCH];	/* not cumulative */
	uint64_t audit_batch_count, audit_batch_sum;
	uint64_t throttled[WK_MT_N];
	uint64_t gauge[WK_MG_N];
	int64_t start_time;
	void (*collect)(void *arg);
	void *collect_arg;
};

extern struct wk_metrics wk_metrics_state;

/* Index of an action name in wk_metrics_actions (unknown: the last). */
size_t wk_metrics_action_index(const char *name);

#endif
