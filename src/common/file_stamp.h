/*
 * file_stamp.h - what identifies a file's version cheaply (device, inode,
 * size, mtime, ctime), for the watchers that reload a file when it
 * changes (the signing keys, the TLS certificate) without reading it.
 */
#ifndef WK_COMMON_FILE_STAMP_H
#define WK_COMMON_FILE_STAMP_H

#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>

struct wk_file_stamp {
	bool present;	/* false: the file could not be stat'ed */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

/* follow: stat(), else lstat() (a symlink's own stamp) */
void wk_file_stamp_take(const char *path, bool follow,
    struct wk_file_stamp *out);
bool wk_file_stamp_equal(const struct wk_file_stamp *a,
    const struct wk_file_stamp *b);

#endif
