/*
 * last_used.c - access keys' last use, kept in memory and written in
 * batches: authentication notes each use here (no store access), a timer
 * writes the keys used since the last write in one durable transaction
 * every WK_LAST_USED_FLUSH_MS, and wk_last_used_stop writes the rest at
 * shutdown. GetAccessKeyLastUsed reads through (wk_last_used_get), so it
 * answers the latest use before it is written.
 *
 * A failed write keeps the entries for the next tick (logged once per
 * failing tick, not per request). The table holds at most
 * WK_LAST_USED_MAX keys; past that a note writes the table first (one
 * transaction), or, without a store, is dropped. Event-loop thread only.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "server/auth/auth.h"
#include "server/http/http.h"
#include "server/server.h"

#define BUCKETS 4096	/* power of two */

struct use_ent {
	struct use_ent *next;
	struct wk_key_use u;
};

static struct use_ent *buckets[BUCKETS];
static size_t count;
static struct wk_store *flush_store;
static struct wk_loop *flush_loop;
static struct wk_timer *flush_timer;
static struct wk_last_used_stats stats;

static size_t
id_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h & (BUCKETS - 1);
}

static struct use_ent *
find(const char *id)
{
	struct use_ent *e;

	for (e = buckets[id_hash(id)]; e != NULL; e = e->next)
		if (strcmp(e->u.id, id) == 0)
			return e;
	return NULL;
}

static void
drop_all(void)
{
	struct use_ent *e, *next;

	for (size_t i = 0; i < BUCKETS; i++) {
		for (e = buckets[i]; e != NULL; e = next) {
			next = e->next;
			wk_free(e);
		}
		buckets[i] = NULL;
	}
	count = 0;
}

int
wk_last_used_flush(struct wk_store *st)
{
	struct wk_key_use *batch;
	struct use_ent *e;
	size_t n = 0;
	int r = 0;

	if (count == 0)
		return 0;
	if ((batch = wk_calloc(WK_STORE_KEY_TOUCH_BATCH_MAX,
	    sizeof(*batch))) == NULL)
		return WK_ERR_NOMEM;
	for (size_t i = 0; i < BUCKETS && r == 0; i++) {
		for (e = buckets[i]; e != NULL && r == 0; e = e->next) {
			batch[n++] = e->u;
			if (n == WK_STORE_KEY_TOUCH_BATCH_MAX) {
				r = wk_store_key_touch_batch(st, batch, n);
				stats.batches++;
				stats.rows += r == 0 ? n : 0;
				n = 0;
			}
		}
	}
	if (r == 0 && n > 0) {
		r = wk_store_key_touch_batch(st, batch, n);
		stats.batches++;
		stats.rows += r == 0 ? n : 0;
	}
	wk_free(batch);
	if (r != 0) {
		/* kept for the next tick (a batch written twice is harmless) */
		wk_log(WK_LOG_WARN, "key_touch", "keys=%zu error=%s", count,
		    wk_strerror(r));
		return r;
	}
	drop_all();
	return 0;
}

void
wk_last_used_note(const char *id, time_t when, const char *service,
    const char *region)
{
	struct use_ent *e;
	size_t b;

	if (strlen(id) >= sizeof(e->u.id))
		return;
	if ((e = find(id)) == NULL) {
		if (count >= WK_LAST_USED_MAX &&
		    (flush_store == NULL ||
		    wk_last_used_flush(flush_store) != 0)) {
			stats.dropped++;
			return;
		}
		if ((e = wk_calloc(1, sizeof(*e))) == NULL) {
			stats.dropped++;
			return;
		}
		snprintf(e->u.id, sizeof(e->u.id), "%s", id);
		b = id_hash(id);
		e->next = buckets[b];
		buckets[b] = e;
		count++;
	} else if (when < e->u.when) {
		return;
	}
	e->u.when = when;
	snprintf(e->u.service, sizeof(e->u.service), "%s",
	    service != NULL ? service : "");
	snprintf(e->u.region, sizeof(e->u.region), "%s",
	    region != NULL ? region : "");
}

bool
wk_last_used_get(const char *id, time_t *when, char *service, size_t servicesz,
    char *region, size_t regionsz)
{
	const struct use_ent *e = find(id);

	if (e == NULL)
		return false;
	*when = e->u.when;
	snprintf(service, servicesz, "%s", e->u.service);
	snprintf(region, regionsz, "%s", e->u.region);
	return true;
}

void
wk_last_used_stats(struct wk_last_used_stats *out)
{
	*out = stats;
	out->pending = count;
}

void
wk_last_used_reset(void)
{
	drop_all();
	memset(&stats, 0, sizeof(stats));
}

static void
tick(void *arg)
{
	(void)arg;
	flush_timer = NULL;
	(void)wk_last_used_flush(flush_store);
	flush_timer = wk_loop_timer_add(flush_loop, WK_LAST_USED_FLUSH_MS,
	    tick, NULL);
}

int
wk_last_used_start(struct wk_server *srv)
{
	flush_store = srv->store;
	flush_loop = srv->loop;
	flush_timer = wk_loop_timer_add(flush_loop, WK_LAST_USED_FLUSH_MS,
	    tick, NULL);
	return flush_timer != NULL ? 0 : WK_ERR_NOMEM;
}

void
wk_last_used_stop(void)
{
	if (flush_loop != NULL)
		wk_loop_timer_cancel(flush_loop, flush_timer);
	flush_timer = NULL;
	if (flush_store != NULL)
		(void)wk_last_used_flush(flush_store);
	drop_all();
	flush_store = NULL;
	flush_loop = NULL;
}
