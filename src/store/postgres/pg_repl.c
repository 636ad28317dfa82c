/*
 * pg_repl.c - the table of the PostgreSQL backend's replica operations
 * (migration 7, docs/replicas.md): what lets several wicketd on one
 * database act as one service.
 */
#include "store/postgres/pg_int.h"

const struct wk_store_repl_ops wk_pg_repl_ops = {
	.hub_epoch = wk_pg_hub_epoch,
	.hub_record_put = wk_pg_hub_record_put,
	.hub_records_since = wk_pg_hub_records_since,
	.hub_records_ack = wk_pg_hub_records_ack,
	.hub_records_prune = wk_pg_hub_records_prune,
	.notify = wk_pg_notify,
	.listen = wk_pg_listen,
};
