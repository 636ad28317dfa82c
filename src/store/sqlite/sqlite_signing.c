/*
 * sqlite_signing.c - the signing files shared by the replicas (migration
 * 9): one snapshot of the data directory's signing files and the
 * generation every rotation bumps (compare-and-set, so of two concurrent
 * rotations one wins and the other is told). Key files are sealed under
 * the master key. PostgreSQL's twin is pg_signing.c (which also NOTIFYs).
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "store/sqlite/sqlite_int.h"

#define AAD_PREFIX "signing:"

static const char SQL_GEN[] =
    "SELECT generation FROM signing_state WHERE id = 1";

int
wk_sq_signing_generation(struct wk_store *st, int64_t *gen)
{
	int r;

	if (gen == NULL)
		return WK_ERR_INVAL;
	*gen = 0;
	if ((r = wk_sq_int(wk_sq(st), "signing_generation", SQL_GEN, gen,
	    "")) == WK_ERR_NOTFOUND)
		r = WK_ERR_STORE;
	return r;
}

/* One row, a snapshot: the generation, then each file (name NULL: none). */
static const char SQL_GET[] =
    "SELECT s.generation, f.name, f.mtime, f.sealed, f.text"
    " FROM signing_state s LEFT JOIN signing_files f ON 1 = 1"
    " WHERE s.id = 1 ORDER BY f.name";

static bool
is_key(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".key") == 0;
}

static int
aad_of(const char *name, char *aad, size_t aadsz)
{
	int n = snprintf(aad, aadsz, AAD_PREFIX "%s", name);

	return n < 0 || (size_t)n >= aadsz ? WK_ERR_TOOBIG : 0;
}

static int
file_row(struct wk_store *st, sqlite3_stmt *stmt, struct wk_store_signing_file *f)
{
	struct wk_sqlite *s = wk_sq(st);
	char aad[sizeof(AAD_PREFIX) + sizeof(f->name)];
	char plain[WK_SEAL_PLAIN_MAX];
	const void *blob;
	int len, r;

	if ((r = wk_sq_col_copy(s, stmt, 1, f->name, sizeof(f->name))) != 0)
		return r;
	f->mtime = sqlite3_column_int64(stmt, 2);
	/* a key file comes sealed, or not at all: a key written in clear
	 * (by someone without the master key) is refused */
	if (is_key(f->name) == (sqlite3_column_type(stmt, 3) == SQLITE_NULL))
		return WK_ERR_STORE;
	if (sqlite3_column_type(stmt, 3) != SQLITE_NULL) {
		blob = sqlite3_column_blob(stmt, 3);
		len = sqlite3_column_bytes(stmt, 3);
		if (blob == NULL || len <= 0 ||
		    (r = aad_of(f->name, aad, sizeof(aad))) != 0)
			return WK_ERR_STORE;
		if ((r = wk_store_unseal(st->master_key, aad, blob,
		    (size_t)len, plain, sizeof(plain))) != 0)
			return r;
		f->len = strlen(plain);
		f->data = wk_strdup(plain);
		wk_explicit_bzero(plain, sizeof(plain));
		return f->data != NULL ? 0 : WK_ERR_NOMEM;
	}
	if ((r = wk_sq_col_strdup(stmt, 4, &f->data)) != 0)
		return r;
	f->len = strlen(f->data);
	return 0;
}

int
wk_sq_signing_get(struct wk_store *st, struct wk_store_signing_file **out,
    size_t *n, int64_t *gen)
{
	struct wk_sqlite *s = wk_sq(st);
	struct wk_store_signing_file *v = NULL;
	sqlite3_stmt *stmt = NULL;
	size_t cap = 0, cnt = 0;
	int r;

	if (out == NULL || n == NULL || gen == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	*n = 0;
	*gen = 0;
	if ((r = wk_sq_prepare(s, SQL_GET, &stmt)) != 0)
		return r;
	while ((r = wk_sq_step(s, stmt, "signing_get")) == 1) {
		*gen = sqlite3_column_int64(stmt, 0);
		if (sqlite3_column_type(stmt, 1) == SQLITE_NULL)
			continue;	/* no files yet */
		if (cnt >= WK_SIGNING_FILES_MAX) {
			r = WK_ERR_STORE;
			break;
		}
		if ((r = wk_sq_grow((void **)&v, &cap, cnt, sizeof(*v))) != 0)
			break;
		memset(&v[cnt], 0, sizeof(v[cnt]));
		r = file_row(st, stmt, &v[cnt]);
		cnt++;
		if (r != 0)
			break;
	}
	wk_sq_done(stmt);
	if (r != 0) {
		wk_store_signing_files_free(v, cnt);
		*gen = 0;
		return r;
	}
	*out = v;
	*n = cnt;
	return 0;
}

static const char SQL_BUMP[] =
    "UPDATE signing_state SET generation = generation + 1"
    " WHERE id = 1 AND generation = ?1";
static const char SQL_CLEAR[] = "DELETE FROM signing_files";
static const char SQL_PUT_SEALED[] =
    "INSERT INTO signing_files (name, mtime, sealed) VALUES (?1, ?2, ?3)";
static const char SQL_PUT_TEXT[] =
    "INSERT INTO signing_files (name, mtime, text) VALUES (?1, ?2, ?3)";

static int
put_file(struct wk_store *st, const struct wk_store_signing_file *f)
{
	struct wk_sqlite *s = wk_sq(st);
	char aad[sizeof(AAD_PREFIX) + sizeof(f->name)];
	uint8_t *sealed = NULL;
	size_t sealedlen = 0;
	bool key;
	int r;

	if ((r = wk_store_signing_file_check(f, &key)) != 0)
		return r;
	if (!key)
		return wk_sq_run(s, "signing_put", SQL_PUT_TEXT, NULL, "tit",
		    f->name, f->mtime, f->data);
	if ((r = aad_of(f->name, aad, sizeof(aad))) != 0 ||
	    (r = wk_store_seal(st->master_key, aad, f->data, &sealed,
	    &sealedlen)) != 0)
		return r;
	r = wk_sq_run(s, "signing_put", SQL_PUT_SEALED, NULL, "tib", f->name,
	    f->mtime, (const void *)sealed, sealedlen);
	wk_free(sealed);
	return r;
}

int
wk_sq_signing_put(struct wk_store *st, int64_t expect,
    const struct wk_store_signing_file *f, size_t n, int64_t *gen)
{
	struct wk_sqlite *s = wk_sq(st);
	bool key;
	int changes = 0, r;

	if (gen == NULL)
		return WK_ERR_INVAL;
	*gen = 0;
	if ((f == NULL && n > 0) || n > WK_SIGNING_FILES_MAX || expect < 0)
		return WK_ERR_INVAL;
	for (size_t i = 0; i < n; i++) {
		if ((r = wk_store_signing_file_check(&f[i], &key)) != 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (strcmp(f[i].name, f[j].name) == 0)
				return WK_ERR_INVAL;
	}
	if ((r = wk_sq_begin(s)) != 0)
		return r;
	if ((r = wk_sq_run(s, "signing_put", SQL_BUMP, &changes, "i",
	    expect)) != 0)
		return wk_sq_end(s, r);
	if (changes != 1)
		return wk_sq_end(s, WK_ERR_CONFLICT);
	r = wk_sq_run(s, "signing_put", SQL_CLEAR, NULL, "");
	for (size_t i = 0; r == 0 && i < n; i++)
		r = put_file(st, &f[i]);
	if ((r = wk_sq_end(s, r)) == 0)
		*gen = expect + 1;
	return r;
}
