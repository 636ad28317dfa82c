/*
 * open.c - wk_store_open: picks the backend for a path. It sits above
 * store.c and the backends (sqlite/), which both stay below it: the
 * backends use store.c's shared helpers, and store.c names no backend.
 */
#include "store/store.h"

#include <stdbool.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "store/store_int.h"

static bool
is_postgres_url(const char *path)
{
	return strncmp(path, "postgres://", 11) == 0 ||
	    strncmp(path, "postgresql://", 13) == 0;
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
	if ((r = wk_store_check_str(path, 4096)) != 0)
		return r;
	if (*path == '\0')
		return WK_ERR_INVAL;
	if (is_postgres_url(path)) {
		wk_log(WK_LOG_ERROR, "store_open",
		    "backend=postgres outcome=unsupported");
		return WK_ERR_INVAL;
	}
	return wk_store_sqlite_open(path, master_key, out);
}
