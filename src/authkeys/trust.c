/*
 * trust.c - the helper's view of the agent's trust file: which signing
 * keys records must be signed with, and which instance this host is.
 * The file is only believed when nobody but root could have written it.
 */
#include "authkeys/authkeys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"

static int
parse_key_line(struct wk_span line, struct wk_pubkey *pk, const char **why)
{
	struct wk_span word, id, b64;

	if (!wk_span_split(line, ' ', &word, &line) ||
	    !wk_span_eq_cstr(word, "key") ||
	    !wk_span_split(line, ' ', &id, &b64)) {
		*why = "unknown line";
		return WK_ERR_INVAL;
	}
	if (id.len != WK_SIGNKEY_ID_LEN || memchr(b64.p, ' ', b64.len) != NULL) {
		*why = "bad key line";
		return WK_ERR_INVAL;
	}
	if (b64.len > 64 || wk_pubkey_from_base64(b64, pk) != 0) {
		*why = "bad key";
		return WK_ERR_INVAL;
	}
	if (!wk_span_eq_cstr(id, pk->id)) {
		*why = "key id does not match the key";
		return WK_ERR_INVAL;
	}
	return 0;
}

int
wk_trust_parse(struct wk_span text, struct wk_trust *out, const char **why)
{
	struct wk_span line, rest = text, word, val;
	size_t lineno = 0, i;
	int r;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (text.len > WK_TRUST_MAX_LEN) {
		*why = "too large";
		return WK_ERR_TOOBIG;
	}
	if (text.len == 0 || text.p[text.len - 1] != '\n' ||
	    memchr(text.p, '\0', text.len) != NULL ||
	    memchr(text.p, '\r', text.len) != NULL) {
		*why = "not text lines";
		return WK_ERR_INVAL;
	}
	while (rest.len > 0) {
		(void)wk_span_split(rest, '\n', &line, &rest);
		lineno++;
		if (lineno == 1) {
			if (wk_span_starts_with(line, "wicket-trust ") &&
			    !wk_span_eq_cstr(line, "wicket-trust 1")) {
				*why = "unsupported version";
				return WK_ERR_INVAL;
			}
			if (!wk_span_eq_cstr(line, "wicket-trust 1")) {
				*why = "bad header";
				return WK_ERR_INVAL;
			}
			continue;
		}
		if (lineno == 2) {
			if (!wk_span_split(line, ' ', &word, &val) ||
			    !wk_span_eq_cstr(word, "instance") ||
			    !wk_sock_instance_ok((const char *)val.p,
			    val.len)) {
				*why = "bad instance line";
				return WK_ERR_INVAL;
			}
			memcpy(out->instance_id, val.p, val.len);
			out->instance_id[val.len] = '\0';
			continue;
		}
		if (out->nkeys == WK_TRUST_MAX_KEYS) {
			*why = "too many keys";
			return WK_ERR_TOOBIG;
		}
		if ((r = parse_key_line(line, &out->keys[out->nkeys], why)) !=
		    0)
			return r;
		for (i = 0; i < out->nkeys; i++) {
			if (strcmp(out->keys[i].id,
			    out->keys[out->nkeys].id) == 0) {
				*why = "duplicate key";
				return WK_ERR_INVAL;
			}
		}
		out->nkeys++;
	}
	if (out->instance_id[0] == '\0' || out->nkeys == 0) {
		*why = "no instance or no key";
		return WK_ERR_INVAL;
	}
	return 0;
}

static bool
root_only(const struct stat *st)
{
	return st->st_uid == 0 && (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

int
wk_trust_open_safe(const char *path, int *fd_out, const char **why)
{
	char resolved[PATH_MAX];
	struct stat st;
	char *slash;
	int fd = -1;

	*fd_out = -1;
	if (realpath(path, resolved) == NULL) {
		*why = errno == ENOENT ? "missing" : "unresolvable path";
		return WK_ERR_IO;
	}
	fd = open(resolved, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK);
	if (fd < 0) {
		*why = "unreadable";
		return WK_ERR_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		goto bad;
	}
	if (!root_only(&st)) {
		*why = "file not root-owned or writable by group/others";
		goto bad;
	}
	/* Every directory above it, up to and including "/". */
	for (;;) {
		if ((slash = strrchr(resolved, '/')) == NULL)
			break;
		if (slash == resolved)
			slash[1] = '\0';	/* "/" itself */
		else
			*slash = '\0';
		if (stat(resolved, &st) != 0 || !S_ISDIR(st.st_mode)) {
			*why = "bad directory";
			goto bad;
		}
		if (!root_only(&st)) {
			*why = "directory not root-owned or writable by "
			    "group/others";
			goto bad;
		}
		if (strcmp(resolved, "/") == 0)
			break;
	}
	*fd_out = fd;
	return 0;
 bad:
	close(fd);
	return WK_ERR_DENIED;
}

int
wk_trust_load(const char *path, struct wk_trust *out, const char **why)
{
	uint8_t data[WK_TRUST_MAX_LEN + 1];
	size_t len = 0;
	ssize_t got;
	int fd, r;

	memset(out, 0, sizeof(*out));
	if ((r = wk_trust_open_safe(path, &fd, why)) != 0)
		return r;
	while (len < sizeof(data)) {
		got = read(fd, data + len, sizeof(data) - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			close(fd);
			*why = "read error";
			return WK_ERR_IO;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	return wk_trust_parse(wk_span_from_mem(data, len), out, why);
}
