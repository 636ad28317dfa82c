/*
 * pg_records.c - pushed records shared by the replicas (migration 7):
 * one table (instance, seq, record, expires), written in a transaction
 * that also sends NOTIFY wicket 'r <instance>', so the wake-up is
 * delivered exactly when the row is visible. The writers' transaction lock
 * (wk_pg_begin) makes seq commit in order, so an agent's cursor (the
 * highest seq it took) never skips a row committed later.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "store/postgres/pg_int.h"
#include "store/store.h"

#define INSTANCE_MAX	32
#define RECORD_MAX	8192
#define PAYLOAD_MAX	200

static const char SQL_EPOCH[] =
    "SELECT value FROM meta WHERE key = 'hub_epoch'";

int
wk_pg_hub_epoch(struct wk_store *st, char *out)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	int r;

	out[0] = '\0';
	if ((r = wk_pg_prepare(s, SQL_EPOCH, &stmt)) != 0)
		return r;
	if ((r = wk_pg_step(s, stmt, "hub_epoch")) < 0)
		goto out;
	if (r == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	if ((r = wk_pg_col_copy(s, stmt, 0, out, 17)) == 0 &&
	    strlen(out) != 16)
		r = WK_ERR_STORE;
 out:
	wk_pg_done(stmt);
	return r;
}

static const char SQL_RECORD_INSERT[] =
    "INSERT INTO hub_records (instance_id, record, expires)"
    " VALUES ($1, $2, $3) RETURNING seq";
static const char SQL_NOTIFY[] = "SELECT pg_notify('wicket', $1)";

int
wk_pg_record_check(const struct wk_store_record_put *rec)
{
	int r;

	if ((r = wk_store_check_str(rec->instance_id, INSTANCE_MAX)) != 0)
		return r;
	if (rec->record == NULL || rec->len == 0 || rec->len > RECORD_MAX ||
	    strlen(rec->record) != rec->len || rec->instance_id[0] == '\0')
		return WK_ERR_INVAL;
	return 0;
}

int
wk_pg_record_insert(struct wk_pg *s, struct wk_store_record_put *rec)
{
	char payload[2 + INSTANCE_MAX + 1];
	int r;

	rec->seq = 0;
	if ((r = wk_pg_record_check(rec)) != 0)
		return r;
	memcpy(payload, "r ", 2);
	memcpy(payload + 2, rec->instance_id, strlen(rec->instance_id) + 1);
	if ((r = wk_pg_int(s, "hub_record_put", SQL_RECORD_INSERT, &rec->seq,
	    "tti", rec->instance_id, rec->record, rec->expires)) == 0)
		r = wk_pg_run(s, "hub_record_put", SQL_NOTIFY, NULL, "t",
		    payload);
	if (r != 0)
		rec->seq = 0;
	return r;
}

int
wk_pg_hub_record_put(struct wk_store *st, const char *instance_id,
    const char *record, size_t len, int64_t expires, int64_t *seq)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_store_record_put rec = {
		.instance_id = instance_id,
		.record = record,
		.len = len,
		.expires = expires,
	};
	int r;

	*seq = 0;
	if ((r = wk_pg_record_check(&rec)) != 0)
		return r;
	if ((r = wk_pg_begin(s)) != 0)
		return r;
	r = wk_pg_end(s, wk_pg_record_insert(s, &rec));
	if (r == 0)
		*seq = rec.seq;
	return r;
}

static const char SQL_RECORDS_SINCE[] =
    "SELECT seq, expires, record FROM hub_records"
    " WHERE instance_id = $1 AND seq > $2 AND expires > $3"
    " ORDER BY seq LIMIT $4";

int
wk_pg_hub_records_since(struct wk_store *st, const char *instance_id,
    int64_t after, int64_t now, size_t max, struct wk_store_record **out,
    size_t *n)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	struct wk_store_record *v = NULL, *e;
	size_t cap = 0, k = 0;
	int r;

	if (out == NULL || n == NULL || max == 0 || max > 1000)
		return WK_ERR_INVAL;
	if ((r = wk_store_check_str(instance_id, INSTANCE_MAX)) != 0)
		return r;
	if ((r = wk_pg_prepare(s, SQL_RECORDS_SINCE, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "tiii", instance_id, after, now,
	    (int64_t)max)) != 0)
		goto out;
	while ((r = wk_pg_step(s, stmt, "hub_records_since")) == 1) {
		if ((r = wk_pg_grow((void **)&v, &cap, k + 1,
		    sizeof(*v))) != 0)
			goto out;
		e = &v[k];
		memset(e, 0, sizeof(*e));
		e->seq = wk_pg_col_int64(stmt, 0);
		e->expires = wk_pg_col_int64(stmt, 1);
		if ((r = wk_pg_col_strdup(stmt, 2, &e->data)) != 0)
			goto out;
		e->len = strlen(e->data);
		k++;
	}
 out:
	wk_pg_done(stmt);
	if (r != 0) {
		wk_store_records_free(v, k);
		return r;
	}
	*out = v;
	*n = k;
	return 0;
}

static const char SQL_RECORDS_ACK[] =
    "DELETE FROM hub_records WHERE instance_id = $1 AND seq <= $2";

int
wk_pg_hub_records_ack(struct wk_store *st, const char *instance_id,
    int64_t through)
{
	int r;

	if ((r = wk_store_check_str(instance_id, INSTANCE_MAX)) != 0)
		return r;
	return wk_pg_run(wk_pgs(st), "hub_records_ack", SQL_RECORDS_ACK, NULL,
	    "ti", instance_id, through);
}

static const char SQL_RECORDS_PRUNE[] =
    "DELETE FROM hub_records WHERE expires <= $1";

int
wk_pg_hub_records_prune(struct wk_store *st, int64_t now)
{
	return wk_pg_run(wk_pgs(st), "hub_records_prune", SQL_RECORDS_PRUNE,
	    NULL, "i", now);
}

int
wk_pg_notify(struct wk_store *st, const char *payload)
{
	int r;

	if ((r = wk_store_check_str(payload, PAYLOAD_MAX)) != 0)
		return r;
	return wk_pg_run(wk_pgs(st), "notify", SQL_NOTIFY, NULL, "t",
	    payload);
}
