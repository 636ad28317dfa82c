/*
 * audit_batch.c - group commit of audit events: events queued from the
 * event loop are appended in one transaction with one fsync
 * (wk_store_audit_append_batch), and each waiter hears the outcome only
 * after that commit.
 *
 * A waiter may bring a pushed record (wk_audit_queue_record): the batch's
 * records are written in its transaction (wk_store_audit_commit), so a
 * push commits once, and its record exists exactly when its event does.
 *
 * A batch closes when it holds max_events events, or wait_ms after its
 * first event (0: at the end of the loop turn that queued it, so every
 * request read in that turn shares the commit; under load the requests
 * that arrive while one commit runs form the next batch). The commit runs
 * on the event loop from a timer: the store serialises its calls on one
 * mutex and one SQLite connection anyway, so a committer thread would
 * stall the loop's own store reads during the fsync; here nothing races.
 *
 * A failed commit writes none of the batch (one transaction) and every
 * waiter hears the error. Event-loop thread only.
 */
#include "server/audit/audit.h"

#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "server/http/http.h"
#include "server/metrics/metrics.h"
#include "server/server.h"

struct waiter {
	void (*done)(void *arg, int result);
	void *arg;
	struct wk_store_record_put *rec;	/* borrowed; NULL: none */
};

static struct {
	bool on;
	struct wk_store *store;
	struct wk_loop *loop;
	unsigned max_events;
	unsigned wait_ms;
	struct wk_timer *timer;
	struct wk_audit_event *evs;	/* max_events */
	struct waiter *waiters;		/* max_events */
	struct wk_store_record_put *recs;	/* max_events: the commit's */
	size_t n;
	bool in_place;		/* answering from waiters[] itself */
	struct wk_log_limit fail_lim;
	struct wk_audit_batch_stats stats;
} B;

bool
wk_audit_batch_on(void)
{
	return B.on;
}

/* Commits the open batch and tells its waiters. */
static void
commit(void)
{
	struct waiter *w;
	uint64_t t0;
	size_t n = B.n, nrec = 0, i;
	int r;

	wk_loop_timer_cancel(B.loop, B.timer);
	B.timer = NULL;
	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		if (B.waiters[i].rec != NULL)
			B.recs[nrec++] = *B.waiters[i].rec;
	t0 = wk_metrics_now_us();
	r = wk_store_audit_commit(B.store, B.evs, n, nrec > 0 ? B.recs : NULL,
	    nrec);
	for (i = 0, nrec = 0; i < n; i++)
		if (B.waiters[i].rec != NULL)
			B.waiters[i].rec->seq = r == 0 ? B.recs[nrec++].seq : 0;
	wk_metrics_audit_write(r == 0, wk_metrics_now_us() - t0,
	    (unsigned)n);
	B.stats.batches++;
	if (n > B.stats.largest)
		B.stats.largest = n;
	if (r == 0) {
		B.stats.events += n;
		for (i = 0; i < n; i++)
			wk_audit_log_written(&B.evs[i]);
	} else {
		B.stats.failed_batches++;
		B.stats.failed_events += n;
		wk_log_limited(&B.fail_lim, wk_mono_ms(),
		    "outcome=batch_failed events=%zu first_request_id=%s "
		    "error=%s", n, B.evs[0].request_id, wk_strerror(r));
	}
	/* The waiters' callbacks may queue events (a failed delivery's
	 * second event): those open the next batch. */
	if ((w = wk_calloc(n, sizeof(*w))) == NULL) {
		/* cannot copy: answer in place, nothing may be queued
		 * meanwhile (wk_audit_queue refuses while in_place) */
		B.in_place = true;
		for (i = 0; i < n; i++)
			if (B.waiters[i].done != NULL)
				B.waiters[i].done(B.waiters[i].arg, r);
		B.in_place = false;
		B.n = 0;
		return;
	}
	memcpy(w, B.waiters, n * sizeof(*w));
	B.n = 0;
	for (i = 0; i < n; i++)
		if (w[i].done != NULL)
			w[i].done(w[i].arg, r);
	wk_free(w);
}

static void
tick(void *arg)
{
	(void)arg;
	B.timer = NULL;
	commit();
}

static int
queue(const struct wk_api_req *req, const struct wk_audit_info *info,
    struct wk_store_record_put *rec, void (*done)(void *arg, int result),
    void *arg)
{
	if (!B.on)
		return WK_ERR_INVAL;
	if (B.in_place)
		return WK_ERR_NOMEM;
	if (B.n >= B.max_events)
		commit();	/* full (more arrived before the timer ran) */
	wk_audit_build(req, info, wk_wall_ms(), &B.evs[B.n]);
	B.waiters[B.n].done = done;
	B.waiters[B.n].arg = arg;
	B.waiters[B.n].rec = rec;
	B.n++;
	if (B.n >= B.max_events) {
		/* full: closes now; committed from the loop, after this
		 * handler suspended its request (or by the next queue call) */
		wk_loop_timer_cancel(B.loop, B.timer);
		B.timer = NULL;
	}
	if (B.timer == NULL) {
		B.timer = wk_loop_timer_add(B.loop, B.n >= B.max_events ? 0 :
		    B.wait_ms, tick, NULL);
		if (B.timer == NULL) {
			B.n--;
			return WK_ERR_NOMEM;
		}
	}
	return 0;
}

int
wk_audit_queue(const struct wk_api_req *req, const struct wk_audit_info *info,
    void (*done)(void *arg, int result), void *arg)
{
	return queue(req, info, NULL, done, arg);
}

int
wk_audit_queue_record(const struct wk_api_req *req,
    const struct wk_audit_info *info, struct wk_store_record_put *rec,
    void (*done)(void *arg, int result), void *arg)
{
	if (rec == NULL || done == NULL)
		return WK_ERR_INVAL;
	rec->seq = 0;
	return queue(req, info, rec, done, arg);
}

int
wk_audit_batch_start(struct wk_server *srv, unsigned max_events,
    unsigned wait_ms)
{
	if (B.on || srv->store == NULL || srv->loop == NULL ||
	    max_events == 0 || max_events > WK_AUDIT_BATCH_MAX ||
	    wait_ms > WK_AUDIT_BATCH_WAIT_MAX_MS)
		return WK_ERR_INVAL;
	memset(&B, 0, sizeof(B));
	B.evs = wk_calloc(max_events, sizeof(*B.evs));
	B.waiters = wk_calloc(max_events, sizeof(*B.waiters));
	B.recs = wk_calloc(max_events, sizeof(*B.recs));
	if (B.evs == NULL || B.waiters == NULL || B.recs == NULL) {
		wk_free(B.evs);
		wk_free(B.waiters);
		wk_free(B.recs);
		memset(&B, 0, sizeof(B));
		return WK_ERR_NOMEM;
	}
	B.store = srv->store;
	B.loop = srv->loop;
	B.max_events = max_events;
	B.wait_ms = wait_ms;
	B.fail_lim.event = "audit";
	B.fail_lim.what = "outcome=batch_failed";
	B.fail_lim.level = WK_LOG_ERROR;
	B.on = true;
	return 0;
}

void
wk_audit_batch_flush(void)
{
	if (B.on)
		commit();
}

void
wk_audit_batch_stop(void)
{
	if (!B.on)
		return;
	commit();	/* what is queued is written, its waiters answered */
	/* a waiter may have queued one more (a failed delivery's event) */
	commit();
	B.on = false;
	wk_free(B.evs);
	wk_free(B.waiters);
	wk_free(B.recs);
	memset(&B, 0, sizeof(B));
}

void
wk_audit_batch_stats(struct wk_audit_batch_stats *out)
{
	*out = B.stats;
	out->pending = B.n;
}
