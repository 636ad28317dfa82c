/*
 * store_fixture.h - a fresh store for each test, on either backend: a
 * SQLite file in a mkdtemp directory, or a fresh schema (search_path) on
 * the test binary's one PostgreSQL cluster (pg_cluster.h). fx_run runs a
 * table of tests on SQLite, then the same (or a given subset) on
 * PostgreSQL: operations x backends.
 */
#ifndef WK_TEST_STORE_FIXTURE_H
#define WK_TEST_STORE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "pg_cluster.h"

#include "common/err.h"
#include "common/log.h"
#include "store/store.h"

/* The backend fx_setup opens: false SQLite, true PostgreSQL. */
static bool fx_pg;
static struct pgc fx_cluster;
static unsigned fx_seq;

struct fx {
	char dir[64];
	char path[512];
	char schema[32];
	uint8_t key[WK_MASTER_KEY_LEN];
	struct wk_store *st;
};

/* Runs one parameterless statement on the cluster; 0 or -1. */
static inline int
fx_pg_exec(const char *sql)
{
	PGconn *c = PQconnectdb(fx_cluster.uri);
	PGresult *res;
	int r = -1;

	if (PQstatus(c) == CONNECTION_OK) {
		res = PQexec(c, sql);
		r = PQresultStatus(res) == PGRES_COMMAND_OK ||
		    PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;
		if (r != 0)
			fprintf(stderr, "fx_pg_exec: %s", PQerrorMessage(c));
		PQclear(res);
	}
	PQfinish(c);
	return r;
}

/* A fresh schema and a store on it (migrated as `wicketd migrate`). */
static inline int
fx_pg_setup(struct fx *f)
{
	char sql[96];
	int from, to;

	snprintf(f->schema, sizeof(f->schema), "t%d_%u", (int)getpid(),
	    ++fx_seq);
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", f->schema);
	if (fx_pg_exec(sql) != 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s&options=-csearch_path%%3D%s",
	    fx_cluster.uri, f->schema);
	if (wk_store_migrate(f->path, &from, &to, NULL, 0) != 0)
		return -1;
	return wk_store_open(f->path, f->key, &f->st) == 0 ? 0 : -1;
}

static inline int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	size_t i;

	if (f == NULL)
		return -1;
	wk_log_set_level(WK_LOG_NONE);
	if (fx_pg) {
		for (i = 0; i < sizeof(f->key); i++)
			f->key[i] = (uint8_t)(i * 7 + 1);
		if (fx_pg_setup(f) != 0) {
			free(f);
			return -1;
		}
		*state = f;
		return 0;
	}
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk-store-test-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/wicket.db", f->dir);
	for (i = 0; i < sizeof(f->key); i++)
		f->key[i] = (uint8_t)(i * 7 + 1);
	if (wk_store_open(f->path, f->key, &f->st) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static inline void
fx_unlink(const char *dir, const char *name)
{
	char p[192];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
}

static inline int
fx_teardown(void **state)
{
	struct fx *f = *state;
	char sql[96];

	wk_store_close(f->st);
	if (fx_pg) {
		snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", f->schema);
		(void)fx_pg_exec(sql);
		free(f);
		return 0;
	}
	fx_unlink(f->dir, "wicket.db");
	fx_unlink(f->dir, "wicket.db-wal");
	fx_unlink(f->dir, "wicket.db-shm");
	rmdir(f->dir);
	free(f);
	return 0;
}

/*
 * Runs `sql` on a second connection to the test's own database, past the
 * store (what an operator with database access could try): 0 when it
 * succeeded, -1 when the database refused it.
 */
static inline int
fx_raw_exec(struct fx *f, const char *sql)
{
	char full[1024];
	sqlite3 *db = NULL;
	PGconn *c;
	PGresult *res;
	int r = -1;

	if (fx_pg) {
		snprintf(full, sizeof(full), "SET search_path TO %s; %s",
		    f->schema, sql);
		c = PQconnectdb(fx_cluster.uri);
		if (PQstatus(c) == CONNECTION_OK) {
			res = PQexec(c, full);
			r = PQresultStatus(res) == PGRES_COMMAND_OK ||
			    PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;
			PQclear(res);
		}
		PQfinish(c);
		return r;
	}
	if (sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL) ==
	    SQLITE_OK) {
		sqlite3_busy_timeout(db, 5000);
		r = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 :
		    -1;
	}
	sqlite3_close(db);
	return r;
}

/* Closes and reopens the store (durability checks). */
static inline void
fx_reopen(struct fx *f)
{
	wk_store_close(f->st);
	f->st = NULL;
	assert_int_equal(wk_store_open(f->path, f->key, &f->st), 0);
}

/*
 * Runs tests[n] on SQLite, then pg_tests[npg] (often the same table) on
 * a PostgreSQL cluster started for the purpose. The number of failures.
 */
static inline int
fx_run(const char *name, const struct CMUnitTest *tests, size_t n,
    const struct CMUnitTest *pg_tests, size_t npg)
{
	char gname[128];
	int fails;

	fx_pg = false;
	snprintf(gname, sizeof(gname), "%s/sqlite", name);
	fails = n > 0 ? _cmocka_run_group_tests(gname, tests, n, NULL, NULL) :
	    0;
	if (pg_tests == NULL || npg == 0)
		return fails;
	if (pgc_start(&fx_cluster) != 0) {
		pgc_stop(&fx_cluster);
		fprintf(stderr, "%s: no PostgreSQL here (root, postgres user "
		    "and /usr/lib/postgresql/*/bin needed): PostgreSQL runs "
		    "skipped\n", name);
		return fails + (pgc_required() ? 1 : 0);
	}
	fx_pg = true;
	snprintf(gname, sizeof(gname), "%s/postgres", name);
	fails += _cmocka_run_group_tests(gname, pg_tests, npg, NULL, NULL);
	fx_pg = false;
	pgc_stop(&fx_cluster);
	return fails;
}

#define FX_RUN_BOTH(name, tests) \
	fx_run(name, tests, sizeof(tests) / sizeof(tests[0]), tests, \
	    sizeof(tests) / sizeof(tests[0]))

static inline void
fx_user(struct wk_user *u, const char *name, const char *path)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
	snprintf(u->id, sizeof(u->id), "AIDA%s", name);
	snprintf(u->path, sizeof(u->path), "%s", path);
	snprintf(u->arn, sizeof(u->arn), "arn:aws:iam::123456789012:user%s%s",
	    path, name);
	u->create_date = 1700000000;
}

static inline int
fx_add_user(struct fx *f, const char *name)
{
	struct wk_user u;

	fx_user(&u, name, "/");
	return wk_store_user_create(f->st, &u);
}

static inline void
fx_group(struct wk_group *g, const char *name)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	snprintf(g->id, sizeof(g->id), "AGPA%s", name);
	snprintf(g->path, sizeof(g->path), "/");
	snprintf(g->arn, sizeof(g->arn), "arn:aws:iam::123456789012:group/%s",
	    name);
	g->create_date = 1700000000;
}

static inline int
fx_add_group(struct fx *f, const char *name)
{
	struct wk_group g;

	fx_group(&g, name);
	return wk_store_group_create(f->st, &g);
}

/* Creates managed policy NAME; its ARN goes to arn[2048]. */
static inline int
fx_add_policy(struct fx *f, const char *name, const char *doc, char *arn)
{
	struct wk_managed_policy p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.id, sizeof(p.id), "ANPA%s", name);
	snprintf(p.path, sizeof(p.path), "/");
	snprintf(p.arn, sizeof(p.arn), "arn:aws:iam::123456789012:policy/%s",
	    name);
	p.create_date = 1700000000;
	if (arn != NULL)
		snprintf(arn, 2048, "%s", p.arn);
	return wk_store_policy_create(f->st, &p, doc);
}

static inline uint64_t
fx_gen(struct fx *f)
{
	uint64_t g = 0;

	assert_int_equal(wk_store_policy_generation(f->st, &g), 0);
	return g;
}

#endif
