/*
 * open.c - wk_store_open: picks the backend for a path. It sits above
 * store.c and the backends (sqlite/, postgres/), which both stay below
 * it: the backends use store.c's shared helpers, and store.c names no
 * backend.
 */
#include "store/store.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "store/store_int.h"

bool
wk_store_is_postgres(const char *path)
{
	return path != NULL && (strncmp(path, "postgres://", 11) == 0 ||
	    strncmp(path, "postgresql://", 13) == 0);
}

static int
check_path(const char *path)
{
	int r;

	if ((r = wk_store_check_str(path, 4096)) != 0)
		return r;
	return *path == '\0' ? WK_ERR_INVAL : 0;
}

int
wk_store_open(const char *path, const uint8_t master_key[WK_MASTER_KEY_LEN],
    struct wk_store **out)
{
	int r;

	if (out == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	if (master_key == NULL)
		return WK_ERR_INVAL;
	if ((r = check_path(path)) != 0)
		return r;
	if (wk_store_is_postgres(path))
		return wk_store_pg_open(path, master_key, out);
	return wk_store_sqlite_open(path, master_key, out);
}

int
wk_store_check(const char *path, char *why, size_t whysz)
{
	int r;

	if ((r = check_path(path)) != 0)
		return r;
	if (wk_store_is_postgres(path))
		return wk_store_pg_check(path, why, whysz);
	return 0;
}

int
wk_store_uri_check(const char *uri, char *why, size_t whysz)
{
	int r;

	if ((r = check_path(uri)) != 0)
		return r;
	if (!wk_store_is_postgres(uri))
		return WK_ERR_INVAL;
	return wk_store_pg_uri_check(uri, why, whysz);
}

int
wk_store_migrate(const char *path, int *from, int *to, char *why,
    size_t whysz)
{
	/* SQLite migrates as it opens; any key opens it for that */
	static const uint8_t nokey[WK_MASTER_KEY_LEN];
	struct wk_store *st = NULL;
	int r;

	if (from == NULL || to == NULL)
		return WK_ERR_INVAL;
	*from = *to = 0;
	if ((r = check_path(path)) != 0)
		return r;
	if (wk_store_is_postgres(path))
		return wk_store_pg_migrate(path, from, to, why, whysz);
	if ((r = wk_store_sqlite_open(path, nokey, &st)) != 0) {
		if (why != NULL && whysz > 0)
			snprintf(why, whysz, "%s: cannot open: %s", path,
			    wk_strerror(r));
		return r;
	}
	wk_store_close(st);
	return 0;
}
