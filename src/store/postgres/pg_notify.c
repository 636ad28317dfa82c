/*
 * pg_notify.c - the LISTEN side of the replicas' wake-ups: a connection of
 * its own (never the store's, never under its lock) that the event loop
 * watches. Notifications on channel "wicket" carry short payloads
 * (docs/replicas.md); when the connection drops, whatever was sent
 * meanwhile is lost, and the caller catches up from the tables once
 * wk_store_listener_reconnect succeeds.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "store/postgres/pg_int.h"
#include "store/store.h"

struct wk_store_listener {
	char *conninfo;
	PGconn *conn;
};

static int
listen_connect(struct wk_store_listener *l)
{
	PGresult *res;
	PGconn *c = NULL;
	int r;

	if (l->conn != NULL) {
		PQfinish(l->conn);
		l->conn = NULL;
	}
	if ((r = wk_pg_connect(l->conninfo, &c, NULL, 0)) != 0)
		return r;
	res = PQexec(c, "LISTEN wicket");
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		wk_log(WK_LOG_ERROR, "store_pg", "op=listen error=\"%s\"",
		    PQerrorMessage(c));
		PQclear(res);
		PQfinish(c);
		return WK_ERR_STORE_UNAVAIL;
	}
	PQclear(res);
	if (PQsetnonblocking(c, 1) != 0) {
		PQfinish(c);
		return WK_ERR_STORE_UNAVAIL;
	}
	l->conn = c;
	return 0;
}

int
wk_pg_listen(struct wk_store *st, struct wk_store_listener **out)
{
	struct wk_store_listener *l;
	int r;

	*out = NULL;
	if ((l = wk_calloc(1, sizeof(*l))) == NULL)
		return WK_ERR_NOMEM;
	if ((l->conninfo = wk_strdup(wk_pgs(st)->conninfo)) == NULL) {
		wk_free(l);
		return WK_ERR_NOMEM;
	}
	if ((r = listen_connect(l)) != 0) {
		wk_store_listener_free(l);
		return r;
	}
	*out = l;
	return 0;
}

int
wk_store_listener_fd(const struct wk_store_listener *l)
{
	if (l == NULL || l->conn == NULL)
		return -1;
	return PQsocket(l->conn);
}

int
wk_store_listener_read(struct wk_store_listener *l,
    void (*cb)(void *arg, const char *payload), void *arg)
{
	PGnotify *n;
	PGresult *res;

	if (l == NULL || l->conn == NULL)
		return WK_ERR_STORE_UNAVAIL;
	if (PQconsumeInput(l->conn) == 0 ||
	    PQstatus(l->conn) != CONNECTION_OK) {
		wk_log(WK_LOG_WARN, "store_pg", "op=listen outcome=lost");
		PQfinish(l->conn);
		l->conn = NULL;
		return WK_ERR_STORE_UNAVAIL;
	}
	/* nothing but notifications is expected; drop stray results */
	while (!PQisBusy(l->conn) && (res = PQgetResult(l->conn)) != NULL)
		PQclear(res);
	while ((n = PQnotifies(l->conn)) != NULL) {
		if (strcmp(n->relname, "wicket") == 0 && n->extra != NULL)
			cb(arg, n->extra);
		PQfreemem(n);
	}
	return 0;
}

int
wk_store_listener_reconnect(struct wk_store_listener *l)
{
	int r;

	if (l == NULL)
		return WK_ERR_INVAL;
	if ((r = listen_connect(l)) == 0)
		wk_log(WK_LOG_INFO, "store_pg", "op=listen outcome=reconnected");
	return r;
}

void
wk_store_listener_free(struct wk_store_listener *l)
{
	if (l == NULL)
		return;
	if (l->conn != NULL)
		PQfinish(l->conn);
	wk_free(l->conninfo);
	wk_free(l);
}
