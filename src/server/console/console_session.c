/*
 * console_session.c - console sessions: random 32-byte tokens in an
 * HttpOnly, SameSite=Strict cookie (Secure on TLS), a synchronizer CSRF
 * token per session, idle (30 min) and absolute (12 h) expiry, server-side
 * sign-out. Sessions live in the store (every replica validates them),
 * under the SHA-256 of the token: the token and the CSRF token (derived
 * from it) are never stored, wiped after use, never logged.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/log.h"
#include "common/rand.h"
#include "crypto/hash.h"
#include "server/console/console_int.h"


/* Hex of a digest (2 * len + 1 bytes in out). */
static void
hex_of(const uint8_t *p, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = '\0';
}

int
wk_console_token_new(char out[static WK_CONSOLE_TOKEN_HEX + 1])
{
	uint8_t raw[WK_CONSOLE_TOKEN_BYTES];
	int r;

	out[0] = '\0';
	if ((r = wk_random_bytes(raw, sizeof(raw))) != 0)
		return r;
	hex_of(raw, sizeof(raw), out);
	wk_explicit_bzero(raw, sizeof(raw));
	return 0;
}

void
wk_console_pw_tag(const char *encoded,
    uint8_t out[static WK_CONSOLE_PW_TAG_LEN])
{
	wk_sha256(encoded, strlen(encoded), out);
}

void
wk_console_token_keys(struct wk_span token,
    char id_hash[static WK_CONSOLE_TOKEN_HEX + 1],
    char csrf[static WK_CONSOLE_TOKEN_HEX + 1])
{
	static const char csrf_label[] = "wicket console csrf";
	uint8_t buf[sizeof(csrf_label) + WK_CONSOLE_TOKEN_HEX];
	uint8_t d[WK_SHA256_LEN];

	wk_sha256(token.p, token.len, d);
	hex_of(d, sizeof(d), id_hash);
	/* the CSRF token: another digest of the token (domain-separated), so
	 * the store holds neither and any replica derives it */
	memcpy(buf, csrf_label, sizeof(csrf_label));
	memcpy(buf + sizeof(csrf_label), token.p, token.len);
	wk_sha256(buf, sizeof(csrf_label) + token.len, d);
	hex_of(d, sizeof(d), csrf);
	wk_explicit_bzero(buf, sizeof(buf));
	wk_explicit_bzero(d, sizeof(d));
}

/* The session of a store row, the token known (its keys derived). */
static int
from_row(const struct wk_console_row *row, struct wk_span token,
    struct wk_console_session *out)
{
	char hash[WK_CONSOLE_TOKEN_HEX + 1];

	wk_console_token_keys(token, hash, out->csrf);
	memcpy(out->id, token.p, WK_CONSOLE_TOKEN_HEX);
	out->id[WK_CONSOLE_TOKEN_HEX] = '\0';
	memcpy(out->id_hash, hash, sizeof(hash));
	memcpy(out->user, row->user, sizeof(out->user));
	memcpy(out->user_id, row->user_id, sizeof(out->user_id));
	out->created_ms = row->created_ms;
	out->last_ms = row->last_ms;
	if (wk_hex_decode(wk_span_from_cstr(row->pw_tag), out->pw_tag,
	    sizeof(out->pw_tag)) != 0)
		return WK_ERR_STORE;
	return 0;
}

int
wk_console_session_create(struct wk_store *st, const char *user,
    const char *user_id, const uint8_t pw_tag[static WK_CONSOLE_PW_TAG_LEN],
    int64_t now_ms, struct wk_console_session *out)
{
	struct wk_console_row row;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&row, 0, sizeof(row));
	if (user == NULL || user[0] == '\0' ||
	    strlen(user) >= sizeof(row.user) ||
	    user_id == NULL || user_id[0] == '\0' ||
	    strlen(user_id) >= sizeof(row.user_id) || pw_tag == NULL ||
	    now_ms < 0)
		return WK_ERR_INVAL;
	if ((r = wk_console_token_new(out->id)) != 0)
		goto out;
	memcpy(row.user, user, strlen(user) + 1);
	memcpy(row.user_id, user_id, strlen(user_id) + 1);
	hex_of(pw_tag, WK_CONSOLE_PW_TAG_LEN, row.pw_tag);
	row.created_ms = row.last_ms = now_ms;
	row.idle_until_ms = now_ms + (int64_t)WK_CONSOLE_IDLE_MS;
	row.expires_ms = now_ms + (int64_t)WK_CONSOLE_ABSOLUTE_MS;
	wk_console_token_keys(wk_span_from_mem(out->id, WK_CONSOLE_TOKEN_HEX),
	    row.id_hash, out->csrf);
	if ((r = wk_store_console_session_put(st, &row, now_ms,
	    WK_CONSOLE_MAX_SESSIONS_PER_USER, WK_CONSOLE_MAX_SESSIONS)) != 0)
		goto out;
	r = from_row(&row, wk_span_from_mem(out->id, WK_CONSOLE_TOKEN_HEX),
	    out);
 out:
	if (r != 0)
		wk_explicit_bzero(out, sizeof(*out));
	wk_explicit_bzero(&row, sizeof(row));
	return r;
}

size_t
wk_console_sessions_end_user(struct wk_store *st, const char *user_id)
{
	size_t n = 0;
	int r;

	if (user_id == NULL || user_id[0] == '\0')
		return 0;
	if ((r = wk_store_console_sessions_end_user(st, user_id, &n)) != 0)
		wk_log(WK_LOG_ERROR, "console_session", "user_id=%s "
		    "outcome=end_failed error=%s", user_id, wk_strerror(r));
	return n;
}

size_t
wk_console_session_count_user(struct wk_store *st, const char *user_id,
    int64_t now_ms)
{
	size_t n = 0;

	(void)wk_store_console_sessions_count(st, user_id, now_ms, &n);
	return n;
}

int
wk_console_session_find(struct wk_store *st, struct wk_span token,
    int64_t now_ms, struct wk_console_session *out)
{
	struct wk_console_row row;
	char hash[WK_CONSOLE_TOKEN_HEX + 1], csrf[WK_CONSOLE_TOKEN_HEX + 1];
	int r;

	memset(out, 0, sizeof(*out));
	if (token.p == NULL || token.len != WK_CONSOLE_TOKEN_HEX)
		return WK_ERR_NOTFOUND;
	/* the row is found by the token's digest: an index lookup compares
	 * digests, never the secret itself */
	wk_console_token_keys(token, hash, csrf);
	r = wk_store_console_session_get(st, hash, now_ms, &row);
	wk_explicit_bzero(csrf, sizeof(csrf));
	if (r != 0)
		goto out;
	if ((r = from_row(&row, token, out)) != 0)
		goto out;
	/* the idle timer, coarsely: one write a minute per session at most */
	if (now_ms - row.last_ms >= (int64_t)WK_CONSOLE_TOUCH_MS &&
	    wk_store_console_session_touch(st, hash, now_ms,
	    now_ms + (int64_t)WK_CONSOLE_IDLE_MS) == 0)
		out->last_ms = now_ms;
 out:
	if (r != 0)
		wk_explicit_bzero(out, sizeof(*out));
	wk_explicit_bzero(&row, sizeof(row));
	wk_explicit_bzero(hash, sizeof(hash));
	return r;
}

void
wk_console_session_destroy(struct wk_store *st,
    const struct wk_console_session *s)
{
	int r;

	if (s == NULL || s->id_hash[0] == '\0')
		return;
	r = wk_store_console_session_delete(st, s->id_hash);
	if (r != 0 && r != WK_ERR_NOTFOUND)
		wk_log(WK_LOG_ERROR, "console_session", "user=%s "
		    "outcome=delete_failed error=%s", s->user, wk_strerror(r));
}

size_t
wk_console_session_count(struct wk_store *st, int64_t now_ms)
{
	size_t n = 0;

	(void)wk_store_console_sessions_count(st, NULL, now_ms, &n);
	return n;
}

static bool
is_token_char(uint8_t ch)
{
	/* RFC 6265 cookie-name/value characters, minus the separators */
	return ch > 0x20 && ch < 0x7f && ch != ';' && ch != ',' &&
	    ch != '"' && ch != '\\';
}

int
wk_console_cookie_get(struct wk_span header, const char *name,
    struct wk_span *out)
{
	size_t i = 0, nlen = strlen(name);

	*out = WK_SPAN_NULL;
	if (header.p == NULL)
		return WK_ERR_NOTFOUND;
	if (header.len > WK_CONSOLE_MAX_COOKIE)
		return WK_ERR_INVAL;
	while (i < header.len) {
		size_t ns, ne, vs, ve;

		while (i < header.len && (header.p[i] == ' ' ||
		    header.p[i] == '\t' || header.p[i] == ';'))
			i++;
		if (i >= header.len)
			break;
		ns = i;
		while (i < header.len && header.p[i] != '=' &&
		    header.p[i] != ';')
			i++;
		ne = i;
		while (ne > ns && header.p[ne - 1] == ' ')
			ne--;
		if (i >= header.len || header.p[i] != '=') {
			/* a pair without '=': skip it */
			continue;
		}
		i++;
		while (i < header.len && header.p[i] == ' ')
			i++;
		vs = i;
		while (i < header.len && header.p[i] != ';')
			i++;
		ve = i;
		while (ve > vs && header.p[ve - 1] == ' ')
			ve--;
		if (ve - vs >= 2 && header.p[vs] == '"' &&
		    header.p[ve - 1] == '"') {
			vs++;
			ve--;
		}
		if (ne - ns != nlen || memcmp(header.p + ns, name, nlen) != 0)
			continue;
		for (size_t k = vs; k < ve; k++)
			if (!is_token_char(header.p[k]))
				return WK_ERR_INVAL;
		*out = wk_span_from_mem(header.p + vs, ve - vs);
		return 0;
	}
	return WK_ERR_NOTFOUND;
}

int
wk_console_session_of(struct wk_store *st, const struct wk_http_request *req,
    int64_t now_ms, struct wk_console_session *out)
{
	struct wk_span tok;

	memset(out, 0, sizeof(*out));
	/* a request may carry several Cookie fields; HTTP/1.1 browsers send
	 * one, and only the first is read */
	if (wk_console_cookie_get(wk_http_header(req, "Cookie"),
	    WK_CONSOLE_COOKIE, &tok) != 0)
		return WK_ERR_NOTFOUND;
	return wk_console_session_find(st, tok, now_ms, out);
}

bool
wk_console_csrf_ok(const struct wk_http_request *req, const char *want)
{
	struct wk_span got = wk_http_header(req, WK_CONSOLE_CSRF_HEADER);

	if (want == NULL || strlen(want) != WK_CONSOLE_TOKEN_HEX ||
	    got.p == NULL || got.len != WK_CONSOLE_TOKEN_HEX)
		return false;
	return wk_span_ct_eq(got, wk_span_from_cstr(want));
}

/* "scheme://host[:port]" of a URL (Origin or Referer), as a span. */
static struct wk_span
origin_of(struct wk_span url)
{
	size_t i;
	struct wk_span rest;

	if (wk_span_starts_with(url, "http://"))
		i = 7;
	else if (wk_span_starts_with(url, "https://"))
		i = 8;
	else
		return WK_SPAN_NULL;
	rest = wk_span_from_mem(url.p + i, url.len - i);
	for (i = 0; i < rest.len; i++)
		if (rest.p[i] == '/' || rest.p[i] == '?' || rest.p[i] == '#')
			break;
	return wk_span_from_mem(url.p, (size_t)(rest.p - url.p) + i);
}

bool
wk_console_same_origin(const struct wk_http_request *req, bool allow_referer)
{
	struct wk_span origin = wk_http_header(req, "Origin");
	struct wk_span host = wk_span_trim(wk_http_header(req, "Host"));
	const char *scheme = req->secure ? "https://" : "http://";
	size_t slen = strlen(scheme);

	if (host.p == NULL || host.len == 0 || host.len > 255)
		return false;
	for (size_t i = 0; i < host.len; i++)
		if (host.p[i] <= 0x20 || host.p[i] >= 0x7f ||
		    host.p[i] == '/' || host.p[i] == '@')
			return false;
	if (origin.p == NULL) {
		if (!allow_referer)
			return false;
		origin = origin_of(wk_http_header(req, "Referer"));
		if (origin.p == NULL)
			return false;
	}
	origin = wk_span_trim(origin);
	if (origin.len != slen + host.len ||
	    !wk_span_starts_with(origin, scheme))
		return false;
	for (size_t i = 0; i < host.len; i++) {
		uint8_t a = origin.p[slen + i], b = host.p[i];

		if (a >= 'A' && a <= 'Z')
			a = (uint8_t)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (uint8_t)(b - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

int
wk_console_cookie_header(struct wk_buf *out, const char *name,
    const char *value, unsigned max_age_s, bool secure)
{
	return wk_buf_appendf(out, "Set-Cookie: %s=%s; Path=/; HttpOnly; "
	    "SameSite=Strict; Max-Age=%u%s\r\n", name, value, max_age_s,
	    secure ? "; Secure" : "");
}
