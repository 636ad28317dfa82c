/*
 * console_static.c - the console's static assets (web/, built by
 * scripts/build-web.sh): GET /console/NAME from one flat directory. Names
 * are one path component of a small safe alphabet, nothing else is ever
 * opened. The directory: wk_console_set_web_dir(), else $WICKET_WEB_DIR,
 * else `web` next to the wicketd binary, else /usr/share/wicket/web.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "server/console/console_int.h"

#define PREFIX "/console/"
#define SYSTEM_WEB_DIR "/usr/share/wicket/web"

static char web_dir[1024];
static bool web_dir_set;

int
wk_console_set_web_dir(const char *dir)
{
	if (dir == NULL) {
		web_dir_set = false;
		web_dir[0] = '\0';
		return 0;
	}
	if (strlen(dir) >= sizeof(web_dir))
		return WK_ERR_TOOBIG;
	snprintf(web_dir, sizeof(web_dir), "%s", dir);
	web_dir_set = true;
	return 0;
}

static bool
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *
wk_console_web_dir(void)
{
	static char found[1024];
	const char *env;
	char exe[1024];
	ssize_t n;
	char *slash;

	if (web_dir_set)
		return web_dir;
	if ((env = getenv("WICKET_WEB_DIR")) != NULL && env[0] != '\0' &&
	    strlen(env) < sizeof(found))
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			if ((size_t)snprintf(found, sizeof(found), "%s/web",
			    exe) < sizeof(found) && is_dir(found))
				return found;
		}
	}
	return SYSTEM_WEB_DIR;
}

bool
wk_console_asset_name_ok(struct wk_span name)
{
	if (name.len == 0 || name.len > 128 || name.p[0] == '.')
		return false;
	for (size_t i = 0; i < name.len; i++) {
		uint8_t ch = name.p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == '-'))
			return false;
		if (ch == '.' && i + 1 < name.len && name.p[i + 1] == '.')
			return false;
	}
	return true;
}

static const char *
content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".map", "application/json" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".woff2", "font/woff2" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot != NULL && i < sizeof(types) /
	    sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

static int
read_asset(const char *path, struct wk_buf *out)
{
	struct stat st;
	uint8_t chunk[16384];
	ssize_t n;
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? WK_ERR_NOTFOUND : WK_ERR_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = WK_ERR_NOTFOUND;
		goto out;
	}
	if (st.st_size > WK_CONSOLE_ASSET_MAX) {
		r = WK_ERR_TOOBIG;
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if ((r = wk_buf_append(out, chunk, (size_t)n)) != 0)
			goto out;
	if (n < 0)
		r = WK_ERR_IO;
 out:
	close(fd);
	return r;
}

void
wk_console_static(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct wk_span name;
	struct wk_buf path, body, h;
	const char *type;
	int r;

	(void)srv;
	wk_buf_init(&path, 2048);
	wk_buf_init(&body, WK_CONSOLE_ASSET_MAX);
	wk_buf_init(&h, 4096);
	/* the route is a prefix route on "/console/"; the raw path is
	 * refused when it carries escapes (assets need none) */
	if (!wk_span_starts_with(req->path, PREFIX) ||
	    memchr(req->path.p, '%', req->path.len) != NULL) {
		wk_http_respond(c, 404, "text/plain", WK_SPAN_LIT("not found\n"),
		    NULL);
		goto out;
	}
	name = wk_span_from_mem(req->path.p + strlen(PREFIX),
	    req->path.len - strlen(PREFIX));
	if (name.len == 0)
		name = WK_SPAN_LIT("index.html");
	if (!wk_console_asset_name_ok(name) ||
	    wk_buf_appendf(&path, "%s/", wk_console_web_dir()) != 0 ||
	    wk_buf_append_span(&path, name) != 0 ||
	    (type = content_type(wk_buf_cstr(&path))) == NULL) {
		wk_http_respond(c, 404, "text/plain", WK_SPAN_LIT("not found\n"),
		    NULL);
		goto out;
	}
	if ((r = read_asset(wk_buf_cstr(&path), &body)) != 0) {
		if (r != WK_ERR_NOTFOUND)
			wk_log(WK_LOG_WARN, "console_static", "path=%s "
			    "error=%s", wk_buf_cstr(&path), wk_strerror(r));
		wk_http_respond(c, 404, "text/plain", WK_SPAN_LIT("not found\n"),
		    NULL);
		goto out;
	}
	if (wk_buf_append_str(&h, wk_console_sec_headers) != 0) {
		wk_http_respond(c, 500, "text/plain", WK_SPAN_LIT("error\n"),
		    NULL);
		goto out;
	}
	wk_http_respond(c, 200, type, wk_buf_span(&body), wk_buf_cstr(&h));
 out:
	wk_buf_cleanup(&path);
	wk_buf_cleanup(&body);
	wk_buf_cleanup(&h);
}
