/*
 * metrics_render.c - the Prometheus text exposition format (0.0.4) of
 * wicketd's counters: HELP and TYPE once per metric, histograms with
 * cumulative buckets, +Inf, _sum (seconds) and _count.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "server/metrics/metrics_int.h"

static int render_err;	/* the first append that failed (one thread) */

static void put(struct wk_buf *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put(struct wk_buf *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = wk_buf_vappendf(o, fmt, ap);
	va_end(ap);
	if (r != 0 && render_err == 0)
		render_err = r;
}

static const char *const throttle_names[WK_MT_N] = {
	"send_ssh_public_key_rate", "keys_per_os_user", "console_sign_in",
	"console_key_push",
};

static void
head(struct wk_buf *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

static const char *
outcome(unsigned code)
{
	if (code == 0)
		return "other";
	return code < 400 ? "success" : code < 500 ? "client_error" :
	    "server_error";
}

/* A histogram over microseconds, rendered in seconds. labels: "" or
 * `action="X",` (with the trailing comma). */
static void
hist_us(struct wk_buf *o, const char *name, const char *labels,
    const struct wk_metrics_hist *h)
{
	uint64_t cum = 0;
	const char *l = labels;

	for (size_t i = 0; i < WK_METRICS_NLAT; i++) {
		cum += h->bucket[i];
		put(o, "%s_bucket{%sle=\"%g\"} %" PRIu64 "\n", name,
		    l, (double)wk_metrics_latency_us[i] / 1e6, cum);
	}
	put(o, "%s_bucket{%sle=\"+Inf\"} %" PRIu64 "\n", name, l,
	    h->count);
	/* labels without the trailing comma for _sum/_count */
	if (l[0] != '\0')
		put(o, "%s_sum{%.*s} %.6f\n%s_count{%.*s} %" PRIu64
		    "\n", name, (int)(strlen(l) - 1), l, (double)h->sum_us / 1e6,
		    name, (int)(strlen(l) - 1), l, h->count);
	else
		put(o, "%s_sum %.6f\n%s_count %" PRIu64 "\n", name,
		    (double)h->sum_us / 1e6, name, h->count);
}

static void
requests(struct wk_buf *o, const struct wk_metrics *m)
{
	head(o, "wicket_api_requests_total", "counter",
	    "API requests answered, by action, outcome and HTTP status code.");
	for (size_t a = 0; a < wk_metrics_nactions; a++)
		for (size_t c = 0; c < WK_METRICS_NCODES; c++) {
			unsigned code = wk_metrics_codes[c];

			if (m->requests[a][c] == 0)
				continue;
			if (code == 0)
				put(o, "wicket_api_requests_total{"
				    "action=\"%s\",outcome=\"other\",code="
				    "\"other\"} %" PRIu64 "\n",
				    wk_metrics_actions[a], m->requests[a][c]);
			else
				put(o, "wicket_api_requests_total{"
				    "action=\"%s\",outcome=\"%s\",code=\"%u\"} "
				    "%" PRIu64 "\n", wk_metrics_actions[a],
				    outcome(code), code, m->requests[a][c]);
		}
	head(o, "wicket_api_request_duration_seconds", "histogram",
	    "Time from a request's arrival at the dispatcher to its answer.");
	for (size_t a = 0; a < wk_metrics_nactions; a++) {
		char l[96];

		if (m->latency[a].count == 0)
			continue;
		snprintf(l, sizeof(l), "action=\"%s\",", wk_metrics_actions[a]);
		hist_us(o, "wicket_api_request_duration_seconds", l,
		    &m->latency[a]);
	}
}

static void
audit(struct wk_buf *o, const struct wk_metrics *m)
{
	uint64_t cum = 0;

	head(o, "wicket_audit_writes_total", "counter",
	    "Audit events written (result=ok) or failed (result=error).");
	put(o, "wicket_audit_writes_total{result=\"ok\"} %" PRIu64
	    "\nwicket_audit_writes_total{result=\"error\"} %" PRIu64 "\n",
	    m->audit_writes[1], m->audit_writes[0]);
	head(o, "wicket_audit_commit_duration_seconds", "histogram",
	    "Time to write and durably commit (fsync) one audit batch.");
	hist_us(o, "wicket_audit_commit_duration_seconds", "",
	    &m->audit_commit);
	head(o, "wicket_audit_batch_size", "histogram",
	    "Audit events per durable commit.");
	for (size_t i = 0; i < WK_METRICS_NBATCH; i++) {
		cum += m->audit_batch[i];
		put(o, "wicket_audit_batch_size_bucket{le=\"%u\"} %"
		    PRIu64 "\n", wk_metrics_batch_le[i], cum);
	}
	put(o, "wicket_audit_batch_size_bucket{le=\"+Inf\"} %"
	    PRIu64 "\nwicket_audit_batch_size_sum %" PRIu64
	    "\nwicket_audit_batch_size_count %" PRIu64 "\n",
	    m->audit_batch_count, m->audit_batch_sum, m->audit_batch_count);
}

int
wk_metrics_render(struct wk_buf *o)
{
	const struct wk_metrics *m = &wk_metrics_state;
	render_err = 0;
	if (m->collect != NULL)
		m->collect(m->collect_arg);
	requests(o, m);
	head(o, "wicket_policy_decisions_total", "counter",
	    "Authorization decisions of the policy engine.");
	put(o, "wicket_policy_decisions_total{decision=\"allow\"} %"
	    PRIu64 "\nwicket_policy_decisions_total{decision=\"deny\"} %"
	    PRIu64 "\n", m->decisions[1], m->decisions[0]);
	audit(o, m);
	head(o, "wicket_throttled_total", "counter",
	    "Calls refused by a throttle, by the limit that refused them.");
	for (size_t i = 0; i < WK_MT_N; i++)
		put(o, "wicket_throttled_total{limit=\"%s\"} %"
		    PRIu64 "\n", throttle_names[i], m->throttled[i]);
	head(o, "wicket_store_errors_total", "counter",
	    "Store calls that failed (I/O, storage, internal), not lookups "
	    "that found nothing.");
	put(o, "wicket_store_errors_total %" PRIu64 "\n",
	    m->gauge[WK_MG_STORE_ERRORS]);
	head(o, "wicket_agents_online", "gauge",
	    "Agents that hold a poll or polled within the offline window.");
	put(o, "wicket_agents_online %" PRIu64 "\n",
	    m->gauge[WK_MG_AGENTS_ONLINE]);
	head(o, "wicket_agent_polls_held", "gauge",
	    "Agent long-polls held open.");
	put(o, "wicket_agent_polls_held %" PRIu64 "\n",
	    m->gauge[WK_MG_POLLS_HELD]);
	head(o, "wicket_console_terminals_open", "gauge",
	    "Browser console terminals open.");
	put(o, "wicket_console_terminals_open %" PRIu64 "\n",
	    m->gauge[WK_MG_TERMINALS_OPEN]);
	head(o, "wicket_process_start_time_seconds", "gauge",
	    "Start time of the process since the Unix epoch in seconds.");
	put(o, "wicket_process_start_time_seconds %" PRId64 "\n",
	    m->start_time);
	return render_err;
}
