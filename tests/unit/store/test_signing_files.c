/*
 * Tests for the shared signing files, on SQLite and on PostgreSQL
 * (sqlite_signing.c, pg_signing.c): a put replaces the snapshot and bumps
 * the generation only from the generation expected (the loser of two
 * rotations is told), key files are sealed (not readable in the table,
 * not readable under another master key), bad names and sizes are
 * refused without a change.
 */
#include "store_fixture.h"

#define KEY "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIPuFA7PT/SXLu1U5\n-----END PRIVATE KEY-----\n"
#define STMTS "wicket-rotation-v1 seq=1 ...\n"

static void
mkfile(struct wk_store_signing_file *f, const char *name, const char *data,
    int64_t mtime)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->data = (char *)(uintptr_t)data;
	f->len = strlen(data);
	f->mtime = mtime;
}

/* Runs sql on the test's database, beside the store. */
static int
fx_pg_exec_in(struct fx *f, const char *sql)
{
	PGconn *c = PQconnectdb(f->path);
	PGresult *res = PQexec(c, sql);
	int r = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;

	PQclear(res);
	PQfinish(c);
	return r;
}

static int
sq_exec(struct fx *f, const char *sql)
{
	sqlite3 *db;
	int r;

	if (sqlite3_open(f->path, &db) != SQLITE_OK)
		return -1;
	r = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	sqlite3_close(db);
	return r;
}

static void
test_put_get(void **state)
{
	struct fx *f = *state;
	struct wk_store_signing_file in[3], *out = NULL;
	size_t n = 9;
	int64_t gen = 9;

	assert_int_equal(wk_store_signing_generation(f->st, &gen), 0);
	assert_int_equal(gen, 0);
	assert_int_equal(wk_store_signing_get(f->st, &out, &n, &gen), 0);
	assert_int_equal(n, 0);
	assert_int_equal(gen, 0);
	wk_store_signing_files_free(out, n);

	mkfile(&in[0], "signing.key", KEY, 1000);
	mkfile(&in[1], "signing.statements", STMTS, 1001);
	assert_int_equal(wk_store_signing_put(f->st, 0, in, 2, &gen), 0);
	assert_int_equal(gen, 1);
	assert_int_equal(wk_store_signing_get(f->st, &out, &n, &gen), 0);
	assert_int_equal(gen, 1);
	assert_int_equal(n, 2);
	assert_string_equal(out[0].name, "signing.key");
	assert_string_equal(out[0].data, KEY);
	assert_int_equal(out[0].len, strlen(KEY));
	assert_int_equal(out[0].mtime, 1000);
	assert_string_equal(out[1].name, "signing.statements");
	assert_string_equal(out[1].data, STMTS);
	assert_int_equal(out[1].mtime, 1001);
	wk_store_signing_files_free(out, n);

	/* a stale writer loses and changes nothing */
	mkfile(&in[2], "signing.next.key", KEY, 2000);
	assert_int_equal(wk_store_signing_put(f->st, 0, in, 3, &gen),
	    WK_ERR_CONFLICT);
	assert_int_equal(wk_store_signing_generation(f->st, &gen), 0);
	assert_int_equal(gen, 1);
	/* the current writer replaces the whole snapshot */
	assert_int_equal(wk_store_signing_put(f->st, 1, &in[2], 1, &gen), 0);
	assert_int_equal(gen, 2);
	assert_int_equal(wk_store_signing_get(f->st, &out, &n, &gen), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].name, "signing.next.key");
	wk_store_signing_files_free(out, n);
}

static void
test_sealed(void **state)
{
	struct fx *f = *state;
	struct wk_store_signing_file in[1], *out = NULL;
	struct wk_store *other = NULL;
	uint8_t key2[WK_MASTER_KEY_LEN];
	size_t n;
	int64_t gen;
	char *dump = NULL;

	mkfile(&in[0], "signing.key", KEY, 1000);
	assert_int_equal(wk_store_signing_put(f->st, 0, in, 1, &gen), 0);
	/* the private key is not in the table in clear */
	if (fx_pg) {
		PGconn *c = PQconnectdb(f->path);
		PGresult *res = PQexec(c, "SELECT encode(sealed, 'escape') ||"
		    " coalesce(text, '') FROM signing_files");

		assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
		assert_int_equal(PQntuples(res), 1);
		dump = strdup(PQgetvalue(res, 0, 0));
		PQclear(res);
		PQfinish(c);
	} else {
		sqlite3 *db;
		sqlite3_stmt *stmt;

		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT CAST(sealed AS"
		    " TEXT) FROM signing_files", -1, &stmt, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
		dump = strdup((const char *)sqlite3_column_text(stmt, 0));
		sqlite3_finalize(stmt);
		sqlite3_close(db);
	}
	assert_non_null(dump);
	assert_null(strstr(dump, "MC4CAQAwBQYDK2Vw"));
	free(dump);
	/* a key written in clear (without the master key) is refused */
	if (fx_pg)
		assert_int_equal(fx_pg_exec_in(f, "UPDATE signing_files SET"
		    " sealed = NULL, text = 'x' WHERE name = 'signing.key'"), 0);
	else
		assert_int_equal(sq_exec(f, "UPDATE signing_files SET"
		    " sealed = NULL, text = 'x' WHERE name = 'signing.key'"), 0);
	assert_int_equal(wk_store_signing_get(f->st, &out, &n, &gen),
	    WK_ERR_STORE);
	assert_null(out);
	assert_int_equal(wk_store_signing_put(f->st, 1, in, 1, &gen), 0);
	/* another master key cannot read it */
	memcpy(key2, f->key, sizeof(key2));
	key2[0] ^= 1;
	assert_int_equal(wk_store_open(f->path, key2, &other), 0);
	assert_int_equal(wk_store_signing_get(other, &out, &n, &gen),
	    WK_ERR_CRYPTO);
	assert_null(out);
	wk_store_close(other);
}

static void
test_bad_input(void **state)
{
	struct fx *f = *state;
	struct wk_store_signing_file in[2];
	char big[2048];
	int64_t gen;

	mkfile(&in[0], "../signing.key", KEY, 1);
	assert_int_equal(wk_store_signing_put(f->st, 0, in, 1, &gen),
	    WK_ERR_INVAL);
	mkfile(&in[0], "..", KEY, 1);
	assert_int_equal(wk_store_signing_put(f->st, 0, in, 1, &gen),
	    WK_ERR_INVAL);
	mkfile(&in[0], "", KEY, 1);
	assert_int_equal(wk_store_signing_put(f->st, 0, in, 1, &gen),
	    WK_ERR_INVAL);
	mkfile(&in[0], "signing.key", KEY, -1);
	assert_int_equal(wk_store_signing_put(f->st, 0, in, 1, &gen),
	    WK_ERR_INVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mkfile(&in[0], "signing.key", big, 1);	/* over the sealing cap */
	assert_int_equal(wk_store_signing_put(f->st, 0, in, 1, &gen),
	    WK_ERR_TOOBIG);
	mkfile(&in[0], "signing.key", KEY, 1);
	mkfile(&in[1], "signing.key", KEY, 2);	/* twice */
	assert_int_equal(wk_store_signing_put(f->st, 0, in, 2, &gen),
	    WK_ERR_INVAL);
	assert_int_equal(wk_store_signing_put(f->st, 0, in, 99, &gen),
	    WK_ERR_INVAL);
	assert_int_equal(wk_store_signing_generation(f->st, &gen), 0);
	assert_int_equal(gen, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_sealed, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, fx_setup,
		    fx_teardown),
	};

	return FX_RUN_BOTH("signing_files", tests);
}
