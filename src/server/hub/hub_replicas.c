/*
 * hub_replicas.c - the agent hub when several wicketd share one
 * PostgreSQL (docs/replicas.md). A push is stored in the table
 * hub_records and announced by NOTIFY wicket 'r <instance>' in the same
 * transaction; every replica LISTENs on a connection of its own in the
 * event loop and, when it holds that instance's poll, reads the table
 * after the poll's cursor and answers it. Every poll reads the table too,
 * so an agent that reconnects (to any replica) catches up; a replica
 * whose LISTEN connection dropped answers all its held polls once it is
 * back, and each agent's next poll reads what it missed. Sequence
 * numbers and the epoch are the store's, so a cursor means the same on
 * every replica. SQLite keeps the in-memory path (agent_hub.c).
 */
#include <string.h>
#include <sys/epoll.h>

#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "server/hub/agent_hub_int.h"
#include "server/hub/signing_keys.h"
#include "server/server.h"

#define LISTEN_RETRY_MS 1000

static void listen_watch(struct wk_agent_hub *h);

/* Answers every held poll: their agents poll again and read the table. */
static void
wake_all(struct wk_agent_hub *h, const char *why)
{
	struct wk_hub_agent *a;
	time_t now = wk_wall_now();
	size_t i, n = 0;

	for (i = 0; i < h->cap; i++) {
		if ((a = h->slots[i]) == NULL || a->held == NULL)
			continue;
		wk_hub_answer(h, a, now);
		n++;
	}
	wk_log(WK_LOG_INFO, "agent_polls_woken", "count=%zu reason=%s", n, why);
}

void
wk_hub_replicas_load(struct wk_agent_hub *h, struct wk_hub_agent *a,
    uint64_t cursor, time_t now)
{
	struct wk_store_record *v = NULL;
	size_t n = 0, i;
	int r;

	if (cursor > 0 && cursor > a->acked) {
		if (wk_store_hub_records_ack(h->srv->store, a->id,
		    (int64_t)cursor) == 0)
			a->acked = cursor;
	}
	r = wk_store_hub_records_since(h->srv->store, a->id, (int64_t)cursor,
	    (int64_t)now, WK_HUB_MAX_RECORDS_PER_AGENT, &v, &n);
	if (r != 0) {
		wk_log(WK_LOG_ERROR, "hub_records_read_failed",
		    "instance=%s error=%s", a->id, wk_strerror(r));
		return;
	}
	for (i = 0; i < n; i++)
		(void)wk_hub_enqueue_seq(h, a, wk_span_from_mem(v[i].data,
		    v[i].len), (time_t)v[i].expires, now, (uint64_t)v[i].seq);
	wk_store_records_free(v, n);
}

int
wk_hub_replicas_push(struct wk_agent_hub *h, const char *instance_id,
    struct wk_span record, time_t expires)
{
	time_t now = wk_wall_now();
	char text[8193];
	int64_t seq;
	int r;

	if (record.len == 0 || record.len >= sizeof(text) || expires <= now)
		return WK_ERR_INVAL;
	memcpy(text, record.p, record.len);
	text[record.len] = '\0';
	if ((r = wk_store_hub_record_put(h->srv->store, instance_id, text,
	    record.len, (int64_t)expires, &seq)) != 0)
		return r;
	return wk_hub_replicas_pushed(h, instance_id, record, expires, seq);
}

int
wk_hub_replicas_pushed(struct wk_agent_hub *h, const char *instance_id,
    struct wk_span record, time_t expires, int64_t seq)
{
	struct wk_hub_agent *a;
	time_t now = wk_wall_now();

	if (seq <= 0)
		return WK_ERR_INVAL;
	/* held here: answered now, without waiting for our own NOTIFY */
	if ((a = wk_hub_find(h, instance_id)) != NULL && a->held != NULL &&
	    wk_hub_enqueue_seq(h, a, record, expires, now, (uint64_t)seq) == 0)
		wk_hub_answer(h, a, now);
	return 0;
}

bool
wk_hub_replicas_online(struct wk_agent_hub *h, const char *instance_id)
{
	struct wk_instance inst;
	time_t window, now = wk_wall_now();
	bool on;

	memset(&inst, 0, sizeof(inst));
	if (wk_store_instance_get(h->srv->store, instance_id, &inst) != 0)
		return false;
	window = (time_t)h->srv->cfg.agent_offline_seconds;
	if (window == 0)
		window = 70;
	on = inst.last_seen > 0 && now - inst.last_seen <= window;
	wk_instance_cleanup(&inst);
	return on;
}

/* "r <instance>": a record for it is in the table. */
static void
on_record(struct wk_agent_hub *h, const char *instance_id)
{
	struct wk_hub_agent *a;
	time_t now = wk_wall_now();

	if ((a = wk_hub_find(h, instance_id)) == NULL || a->held == NULL)
		return;	/* its next poll here reads the table */
	wk_hub_replicas_load(h, a, a->held_cursor, now);
	if (wk_hub_has_newer(a, a->held_cursor, now))
		wk_hub_answer(h, a, now);
}

static void
on_notify(void *arg, const char *payload)
{
	struct wk_agent_hub *h = arg;

	if (strncmp(payload, "r ", 2) == 0)
		on_record(h, payload + 2);
	else if (strncmp(payload, "v ", 2) == 0) {
		/* a revocation stored by another replica */
		wk_hub_revocations_init(h);
		wk_hub_revocations_wake(h, strcmp(payload + 2, "*") == 0 ?
		    NULL : payload + 2);
	}
	else if (strcmp(payload, "k") == 0) {
		/*
		 * A rotation published: sync, reload, announce. The replica
		 * whose data dir the command rotated already has the files
		 * (the sync pulls nothing), so check them here too rather
		 * than on the next reload tick.
		 */
		wk_signing_server_sync(h->srv);
		(void)wk_signing_server_reload(h->srv, false, NULL);
	}
	/* anything else: a newer wicketd's; ignored */
}

static void
listen_retry(void *arg)
{
	struct wk_agent_hub *h = arg;

	h->lretry = NULL;
	if (wk_store_listener_reconnect(h->listener) != 0) {
		h->lretry = wk_loop_timer_add(h->srv->loop, LISTEN_RETRY_MS,
		    listen_retry, h);
		return;
	}
	listen_watch(h);
	/* notifications sent while we were away are lost: catch up */
	wake_all(h, "listen_reconnected");
}

static void
listen_ready(void *arg, uint32_t revents)
{
	struct wk_agent_hub *h = arg;

	(void)revents;
	if (wk_store_listener_read(h->listener, on_notify, h) == 0)
		return;
	wk_loop_unwatch(h->srv->loop, h->lwatch);
	h->lwatch = NULL;
	h->lretry = wk_loop_timer_add(h->srv->loop, LISTEN_RETRY_MS,
	    listen_retry, h);
}

static void
listen_watch(struct wk_agent_hub *h)
{
	int fd = wk_store_listener_fd(h->listener);

	h->lwatch = fd >= 0 ? wk_loop_watch_fd(h->srv->loop, fd, EPOLLIN,
	    listen_ready, h) : NULL;
	if (h->lwatch == NULL)
		h->lretry = wk_loop_timer_add(h->srv->loop, LISTEN_RETRY_MS,
		    listen_retry, h);
}

static const struct wk_hub_repl_hooks repl_hooks = {
	.push = wk_hub_replicas_push,
	.pushed = wk_hub_replicas_pushed,
	.load = wk_hub_replicas_load,
	.online = wk_hub_replicas_online,
	.stop = wk_hub_replicas_stop,
};

int
wk_agent_hub_replicas_start(struct wk_agent_hub *h)
{
	char epoch[17];
	int r;

	if (h == NULL || h->srv == NULL || h->srv->store == NULL)
		return 0;
	r = wk_store_hub_epoch(h->srv->store, epoch);
	if (r == WK_ERR_UNSUPPORTED)
		return 0;	/* SQLite: one process, memory only */
	if (r != 0) {
		wk_log(WK_LOG_ERROR, "hub_replicas", "op=epoch error=%s",
		    wk_strerror(r));
		return r;
	}
	memcpy(h->epoch, epoch, sizeof(h->epoch));
	h->shared = true;
	h->repl = &repl_hooks;
	if (h->srv->loop == NULL)
		return 0;	/* tests without a loop */
	if ((r = wk_store_listen(h->srv->store, &h->listener)) != 0) {
		wk_log(WK_LOG_ERROR, "hub_replicas", "op=listen error=%s",
		    wk_strerror(r));
		return r;
	}
	listen_watch(h);
	wk_log(WK_LOG_INFO, "hub_replicas", "epoch=%s listening=%s", h->epoch,
	    h->lwatch != NULL ? "yes" : "retrying");
	return 0;
}

void
wk_hub_replicas_stop(struct wk_agent_hub *h)
{
	if (h == NULL || h->srv == NULL)
		return;
	if (h->srv->loop != NULL) {
		wk_loop_unwatch(h->srv->loop, h->lwatch);
		wk_loop_timer_cancel(h->srv->loop, h->lretry);
	}
	h->lwatch = NULL;
	h->lretry = NULL;
	wk_store_listener_free(h->listener);
	h->listener = NULL;
}
