/*
 * file_stamp.c - a file's version, cheaply: see file_stamp.h.
 */
#include "common/file_stamp.h"

#include <string.h>

void
wk_file_stamp_take(const char *path, bool follow, struct wk_file_stamp *out)
{
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (path == NULL || path[0] == '\0' ||
	    (follow ? stat(path, &st) : lstat(path, &st)) != 0)
		return;
	out->present = true;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	out->size = st.st_size;
	out->mtime = st.st_mtim;
	out->ctime = st.st_ctim;
}

bool
wk_file_stamp_equal(const struct wk_file_stamp *a,
    const struct wk_file_stamp *b)
{
	if (a->present != b->present)
		return false;
	if (!a->present)
		return true;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec &&
	    a->ctime.tv_sec == b->ctime.tv_sec &&
	    a->ctime.tv_nsec == b->ctime.tv_nsec;
}
