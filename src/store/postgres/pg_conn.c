/*
 * pg_conn.c - the PostgreSQL backend's connection: the URI checks (never
 * a password inside it), connecting with a connect timeout, noticing a
 * lost connection and reconnecting by itself, with a growing pause
 * between failed attempts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "store/postgres/pg_int.h"

#define BACKOFF_FIRST_MS	100
#define BACKOFF_MAX_MS		2000

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void __attribute__((format(printf, 3, 4)))
why_set(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whysz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

int
wk_pg_uri_check(const char *uri, char *why, size_t whysz)
{
	PQconninfoOption *opts, *o;
	char *err = NULL;
	int r = 0;

	if ((opts = PQconninfoParse(uri, &err)) == NULL) {
		why_set(why, whysz, "not a PostgreSQL connection URI: %s",
		    err != NULL ? err : "out of memory");
		if (err != NULL)
			PQfreemem(err);
		return WK_ERR_INVAL;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL &&
		    o->val[0] != '\0') {
			why_set(why, whysz, "the URI holds a password: never "
			    "put one on the command line or in the data "
			    "directory; use a password file (PGPASSFILE, "
			    "--store-password-file FILE or ?passfile=FILE)");
			r = WK_ERR_INVAL;
		}
	}
	PQconninfoFree(opts);
	return r;
}

/* The first line of libpq's message, without its newline. */
static void
first_line(const char *msg, char *out, size_t outsz)
{
	size_t n = strcspn(msg, "\n");

	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, msg, n);
	out[n] = '\0';
}

/* Server notices and warnings go to our log, never to stderr. */
static void
notice(void *arg, const char *msg)
{
	char line[256];

	(void)arg;
	first_line(msg, line, sizeof(line));
	wk_log(WK_LOG_WARN, "store_pg", "notice=\"%s\"", line);
}

int
wk_pg_connect(const char *uri, PGconn **out, char *why, size_t whysz)
{
	/* dbname last: what the URI says wins over these defaults */
	const char *const keys[] = { "connect_timeout",
	    "fallback_application_name", "dbname", NULL };
	const char *const vals[] = { "5", "wicketd", uri, NULL };
	char line[256];
	PGconn *c;

	*out = NULL;
	c = PQconnectdbParams(keys, vals, 1);
	if (c == NULL) {
		why_set(why, whysz, "out of memory");
		return WK_ERR_NOMEM;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		first_line(PQerrorMessage(c), line, sizeof(line));
		why_set(why, whysz, "cannot connect to PostgreSQL: %s", line);
		wk_log(WK_LOG_ERROR, "store_pg", "op=connect error=\"%s\"",
		    line);
		PQfinish(c);
		return WK_ERR_STORE_UNAVAIL;
	}
	PQsetNoticeProcessor(c, notice, NULL);
	*out = c;
	return 0;
}

int
wk_pg_fail(struct wk_pg *s, const char *op)
{
	char line[256];

	first_line(s->conn != NULL ? PQerrorMessage(s->conn) :
	    "no connection", line, sizeof(line));
	wk_log(WK_LOG_ERROR, "store_pg", "op=%s error=\"%s\"", op, line);
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
		return WK_ERR_STORE_UNAVAIL;
	return WK_ERR_STORE;
}

/* Reads what the server sent unasked: a terminated connection shows. */
static bool
conn_alive(struct wk_pg *s)
{
	PGnotify *n;

	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
		return false;
	if (!s->in_tx) {
		(void)PQconsumeInput(s->conn);
		while ((n = PQnotifies(s->conn)) != NULL)
			PQfreemem(n);
	}
	return PQstatus(s->conn) == CONNECTION_OK;
}

int
wk_pg_ready(struct wk_pg *s)
{
	uint64_t now;
	PGconn *c = NULL;

	if (conn_alive(s))
		return 0;
	if (s->in_tx) {
		/* never finish a transaction on a new connection */
		s->tx_broken = true;
		return WK_ERR_STORE_UNAVAIL;
	}
	now = mono_ms();
	if (now < s->retry_at_ms)
		return WK_ERR_STORE_UNAVAIL;
	if (wk_pg_connect(s->conninfo, &c, NULL, 0) != 0) {
		s->backoff_ms = s->backoff_ms == 0 ? BACKOFF_FIRST_MS :
		    s->backoff_ms * 2;
		if (s->backoff_ms > BACKOFF_MAX_MS)
			s->backoff_ms = BACKOFF_MAX_MS;
		s->retry_at_ms = mono_ms() + s->backoff_ms;
		return WK_ERR_STORE_UNAVAIL;
	}
	if (s->conn != NULL)
		PQfinish(s->conn);
	s->conn = c;
	s->backoff_ms = 0;
	s->retry_at_ms = 0;
	wk_log(WK_LOG_INFO, "store_pg", "op=reconnect outcome=ok");
	return 0;
}

int
wk_store_pg_uri_check(const char *uri, char *why, size_t whysz)
{
	return wk_pg_uri_check(uri, why, whysz);
}
