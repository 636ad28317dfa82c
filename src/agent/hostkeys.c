/*
 * hostkeys.c - sshd's host public keys, registered with wicketd so that
 * `wicket ssh` and the console can verify the host without trusting on
 * first use.
 */
#include "agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "crypto/sshkey.h"

#define HOSTKEY_FILE_MAX (16 * 1024)

/* The first line of a small file, validated and normalised. */
static int
read_key(const char *path, struct wk_buf *norm, const char **why)
{
	uint8_t data[HOSTKEY_FILE_MAX];
	char fp[WK_SSHKEY_FP_LEN];
	struct wk_span line, rest;
	size_t len = 0;
	ssize_t got;
	int fd, r;

	*why = "unreadable";
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return WK_ERR_IO;
	while (len < sizeof(data)) {
		got = read(fd, data + len, sizeof(data) - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	if (len == sizeof(data)) {
		*why = "too large";
		return WK_ERR_TOOBIG;
	}
	line = wk_span_from_mem(data, len);
	if (wk_span_split(line, '\n', &line, &rest))
		(void)rest;
	line = wk_span_trim(line);
	r = wk_sshkey_validate(line, norm, fp, why);
	if (r != 0 && *why == NULL)
		*why = "invalid key";
	return r;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
wk_agent_hostkeys_read(char *const *patterns, size_t n, bool strict,
    json_t **out)
{
	char *keys[WK_AGENT_MAX_HOST_KEYS];
	struct wk_buf norm;
	const char *why;
	json_t *arr = NULL;
	glob_t g;
	size_t i, j, nkeys = 0;
	int r = 0, gr;

	*out = NULL;
	wk_buf_init(&norm, WK_SSHKEY_MAX_LINE);
	for (i = 0; i < n; i++) {
		memset(&g, 0, sizeof(g));
		gr = glob(patterns[i], GLOB_ERR, NULL, &g);
		if (gr != 0) {
			globfree(&g);
			wk_log(strict ? WK_LOG_ERROR : WK_LOG_WARN,
			    "host_key_missing", "pattern=%s", patterns[i]);
			if (strict) {
				r = WK_ERR_NOTFOUND;
				goto out;
			}
			continue;
		}
		for (j = 0; j < g.gl_pathc; j++) {
			wk_buf_reset(&norm);
			why = NULL;
			if ((r = read_key(g.gl_pathv[j], &norm, &why)) != 0) {
				wk_log(strict ? WK_LOG_ERROR : WK_LOG_WARN,
				    "host_key_bad", "path=%s reason=\"%s\"",
				    g.gl_pathv[j], why);
				if (strict) {
					globfree(&g);
					goto out;
				}
				r = 0;
				continue;
			}
			if (nkeys == WK_AGENT_MAX_HOST_KEYS) {
				globfree(&g);
				r = WK_ERR_LIMIT;
				goto out;
			}
			if ((keys[nkeys] = wk_strdup(wk_buf_cstr(&norm))) ==
			    NULL) {
				globfree(&g);
				r = WK_ERR_NOMEM;
				goto out;
			}
			nkeys++;
		}
		globfree(&g);
	}
	if (nkeys == 0) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	qsort(keys, nkeys, sizeof(keys[0]), cmp_str);
	if ((arr = json_array()) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < nkeys; i++) {
		if (i > 0 && strcmp(keys[i], keys[i - 1]) == 0)
			continue;
		if (json_array_append_new(arr, json_string(keys[i])) != 0) {
			r = WK_ERR_NOMEM;
			goto out;
		}
	}
	*out = arr;
	arr = NULL;
	r = 0;
 out:
	for (i = 0; i < nkeys; i++)
		wk_free(keys[i]);
	json_decref(arr);
	wk_buf_cleanup(&norm);
	return r;
}
