/*
 * console_record_store.c - the recordings on disk, DATA/recordings/ID.cast
 * (console_record.c writes them): the list (each file's header line), one
 * recording's text, and the retention sweep. Only names that are a
 * recording id (a lower-case UUID) are ever opened, never through a
 * symlink, and only regular files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "server/console/console_int.h"

#define HEADER_READ 4096

/* The id of a directory entry "ID.cast", or false. */
static bool
entry_id(const char *name, char id[static WK_RECORDING_ID_LEN + 1])
{
	size_t n = strlen(name), el = strlen(WK_RECORDING_EXT);

	if (n != WK_RECORDING_ID_LEN + el ||
	    strcmp(name + WK_RECORDING_ID_LEN, WK_RECORDING_EXT) != 0)
		return false;
	memcpy(id, name, WK_RECORDING_ID_LEN);
	id[WK_RECORDING_ID_LEN] = '\0';
	return wk_recording_id_ok(id);
}

/* Opens DIR/ID.cast read-only: a regular file, never a symlink. */
static int
open_recording(const char *data_dir, const char *id, struct stat *sb)
{
	char path[1200];
	int fd;

	if (wk_recording_path(data_dir, id, path, sizeof(path)) != 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

static void
copy_str(char *dst, size_t dstsz, json_t *v)
{
	const char *s = json_string_value(v);

	snprintf(dst, dstsz, "%s", s != NULL ? s : "");
}

/* Fills info from the file's header line; false when it has none. */
static bool
read_header(int fd, struct wk_recording_info *info)
{
	char buf[HEADER_READ + 1], *nl;
	json_t *h, *w;
	ssize_t n;
	size_t got = 0;
	bool ok;

	while (got < HEADER_READ) {
		n = read(fd, buf + got, HEADER_READ - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	if ((nl = memchr(buf, '\n', got)) == NULL)
		return false;
	*nl = '\0';
	if ((h = json_loads(buf, 0, NULL)) == NULL)
		return false;
	w = json_object_get(h, "wicket");
	ok = json_integer_value(json_object_get(h, "version")) == 2 &&
	    json_is_object(w);
	if (ok) {
		info->start_s = (int64_t)json_integer_value(json_object_get(h,
		    "timestamp"));
		info->cols = (unsigned)json_integer_value(json_object_get(h,
		    "width"));
		info->rows = (unsigned)json_integer_value(json_object_get(h,
		    "height"));
		copy_str(info->caller_arn, sizeof(info->caller_arn),
		    json_object_get(w, "caller_arn"));
		copy_str(info->user, sizeof(info->user),
		    json_object_get(w, "user"));
		copy_str(info->instance_id, sizeof(info->instance_id),
		    json_object_get(w, "instance_id"));
		copy_str(info->os_user, sizeof(info->os_user),
		    json_object_get(w, "os_user"));
		copy_str(info->source_ip, sizeof(info->source_ip),
		    json_object_get(w, "source_ip"));
	}
	json_decref(h);
	return ok;
}

int
wk_recording_info_get(const char *data_dir, const char *id,
    struct wk_recording_info *info)
{
	struct stat sb;
	int fd;
	bool ok;

	memset(info, 0, sizeof(*info));
	if (!wk_recording_id_ok(id))
		return WK_ERR_INVAL;
	if ((fd = open_recording(data_dir, id, &sb)) < 0)
		return errno == ENOENT ? WK_ERR_NOTFOUND : WK_ERR_IO;
	ok = read_header(fd, info);
	close(fd);
	if (!ok)
		return WK_ERR_NOTFOUND;	/* not (yet) a recording */
	memcpy(info->id, id, sizeof(info->id));
	info->size = (uint64_t)sb.st_size;
	return 0;
}

/* Newest first; ties by id. */
static int
by_start_desc(const void *a, const void *b)
{
	const struct wk_recording_info *x = a, *y = b;

	if (x->start_s != y->start_s)
		return x->start_s < y->start_s ? 1 : -1;
	return strcmp(x->id, y->id);
}

int
wk_recordings_list(const char *data_dir, struct wk_recording_info **out,
    size_t *n)
{
	struct wk_recording_info *v = NULL, *nv;
	char dir[1100], id[WK_RECORDING_ID_LEN + 1];
	struct dirent *de;
	size_t len = 0, cap = 0;
	DIR *d;
	int r = 0;

	*out = NULL;
	*n = 0;
	if ((r = wk_recording_dir(data_dir, dir, sizeof(dir))) != 0)
		return r;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : WK_ERR_IO;	/* none yet */
	while ((de = readdir(d)) != NULL) {
		if (!entry_id(de->d_name, id))
			continue;
		if (len == WK_RECORDINGS_LIST_MAX)
			break;
		if (len == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((nv = wk_realloc(v, cap * sizeof(*v))) == NULL) {
				r = WK_ERR_NOMEM;
				goto out;
			}
			v = nv;
		}
		if (wk_recording_info_get(data_dir, id, &v[len]) == 0)
			len++;
	}
	if (len > 0)
		qsort(v, len, sizeof(*v), by_start_desc);
	*out = v;
	*n = len;
	v = NULL;
 out:
	closedir(d);
	wk_free(v);
	return r;
}

int
wk_recording_read(const char *data_dir, const char *id, size_t max,
    struct wk_buf *out)
{
	struct stat sb;
	ssize_t n;
	int fd, r = 0;

	if (!wk_recording_id_ok(id))
		return WK_ERR_INVAL;
	if ((fd = open_recording(data_dir, id, &sb)) < 0)
		return errno == ENOENT ? WK_ERR_NOTFOUND : WK_ERR_IO;
	if ((uint64_t)sb.st_size > max) {
		close(fd);
		return WK_ERR_TOOBIG;
	}
	if ((r = wk_buf_reserve(out, (size_t)sb.st_size + 1)) != 0)
		goto out;
	for (;;) {
		if ((r = wk_buf_reserve(out, 65536)) != 0)
			goto out;
		n = read(fd, out->p + out->len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = WK_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len > max) {
			r = WK_ERR_TOOBIG;	/* grew while read */
			goto out;
		}
	}
 out:
	close(fd);
	return r;
}

int
wk_recordings_sweep(const char *data_dir, unsigned days, time_t now,
    const char *const *keep, size_t nkeep, size_t *removed)
{
	char dir[1100], id[WK_RECORDING_ID_LEN + 1];
	struct dirent *de;
	struct stat sb;
	time_t cutoff = now - (time_t)days * 86400;
	DIR *d;
	int dfd;
	bool open_now;

	*removed = 0;
	if (days == 0)
		return 0;	/* kept forever */
	if (wk_recording_dir(data_dir, dir, sizeof(dir)) != 0)
		return WK_ERR_TOOBIG;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : WK_ERR_IO;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (!entry_id(de->d_name, id))
			continue;
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
		    sb.st_mtime >= cutoff)
			continue;
		open_now = false;
		for (size_t i = 0; i < nkeep; i++)
			if (keep[i] != NULL && strcmp(keep[i], id) == 0)
				open_now = true;
		if (open_now)
			continue;	/* a session still running */
		if (unlinkat(dfd, de->d_name, 0) == 0) {
			(*removed)++;
			wk_log(WK_LOG_INFO, "recording", "id=%s "
			    "outcome=expired retention_days=%u", id, days);
		} else {
			wk_log(WK_LOG_WARN, "recording", "id=%s "
			    "outcome=sweep_failed error=%s", id,
			    strerror(errno));
		}
	}
	closedir(d);
	return 0;
}
