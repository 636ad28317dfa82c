/*
 * console_session.c - console sessions: random 32-byte ids in an HttpOnly,
 * SameSite=Strict cookie (Secure on TLS), a synchronizer CSRF token per
 * session, idle (30 min) and absolute (12 h) expiry, server-side sign-out.
 * Tokens are compared in constant time, wiped when freed, never logged.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/rand.h"
#include "crypto/hash.h"
#include "server/console/console_int.h"

static struct wk_console_session *sessions;
static size_t nsessions;

int
wk_console_token_new(char out[static WK_CONSOLE_TOKEN_HEX + 1])
{
	uint8_t raw[WK_CONSOLE_TOKEN_BYTES];
	struct wk_buf b;
	int r;

	out[0] = '\0';
	if ((r = wk_random_bytes(raw, sizeof(raw))) != 0)
		return r;
	wk_buf_init(&b, WK_CONSOLE_TOKEN_HEX + 1);
	if ((r = wk_hex_encode(&b, raw, sizeof(raw))) == 0 &&
	    b.len == WK_CONSOLE_TOKEN_HEX) {
		memcpy(out, b.p, WK_CONSOLE_TOKEN_HEX);
		out[WK_CONSOLE_TOKEN_HEX] = '\0';
	} else if (r == 0) {
		r = WK_ERR_INTERNAL;
	}
	wk_explicit_bzero(raw, sizeof(raw));
	wk_buf_cleanup_secret(&b);
	return r;
}

static void
session_free(struct wk_console_session *s)
{
	wk_freezero(s, sizeof(*s));
}

static bool
expired(const struct wk_console_session *s, uint64_t now_ms)
{
	return now_ms - s->last_ms > WK_CONSOLE_IDLE_MS ||
	    now_ms - s->created_ms > WK_CONSOLE_ABSOLUTE_MS;
}

static void
sweep(uint64_t now_ms)
{
	struct wk_console_session **pp = &sessions, *s;

	while ((s = *pp) != NULL) {
		if (expired(s, now_ms)) {
			*pp = s->next;
			nsessions--;
			session_free(s);
		} else {
			pp = &s->next;
		}
	}
}

void
wk_console_pw_tag(const char *encoded,
    uint8_t out[static WK_CONSOLE_PW_TAG_LEN])
{
	wk_sha256(encoded, strlen(encoded), out);
}

/* Unlinks and frees *pp (a session in the list). */
static void
unlink_at(struct wk_console_session **pp)
{
	struct wk_console_session *s = *pp;

	*pp = s->next;
	nsessions--;
	session_free(s);
}

/* Makes room for one more session of user_id: its oldest ones go. */
static void
cap_user(const char *user_id)
{
	struct wk_console_session **pp, **oldest;
	size_t n;

	for (;;) {
		n = 0;
		oldest = NULL;
		for (pp = &sessions; *pp != NULL; pp = &(*pp)->next) {
			if (strcmp((*pp)->user_id, user_id) != 0)
				continue;
			n++;
			if (oldest == NULL ||
			    (*pp)->created_ms <= (*oldest)->created_ms)
				oldest = pp;	/* the list is newest first */
		}
		if (n < WK_CONSOLE_MAX_SESSIONS_PER_USER || oldest == NULL)
			return;
		unlink_at(oldest);
	}
}

int
wk_console_session_create(const char *user, const char *user_id,
    const uint8_t pw_tag[static WK_CONSOLE_PW_TAG_LEN], uint64_t now_ms,
    struct wk_console_session **out)
{
	struct wk_console_session *s;
	int r;

	*out = NULL;
	if (user == NULL || strlen(user) >= sizeof(s->user) ||
	    user_id == NULL || user_id[0] == '\0' ||
	    strlen(user_id) >= sizeof(s->user_id) || pw_tag == NULL)
		return WK_ERR_INVAL;
	sweep(now_ms);
	cap_user(user_id);
	if (nsessions >= WK_CONSOLE_MAX_SESSIONS)
		return WK_ERR_LIMIT;
	if ((s = wk_calloc(1, sizeof(*s))) == NULL)
		return WK_ERR_NOMEM;
	if ((r = wk_console_token_new(s->id)) != 0 ||
	    (r = wk_console_token_new(s->csrf)) != 0) {
		session_free(s);
		return r;
	}
	memcpy(s->user, user, strlen(user) + 1);
	memcpy(s->user_id, user_id, strlen(user_id) + 1);
	memcpy(s->pw_tag, pw_tag, WK_CONSOLE_PW_TAG_LEN);
	s->created_ms = s->last_ms = now_ms;
	s->next = sessions;
	sessions = s;
	nsessions++;
	*out = s;
	return 0;
}

size_t
wk_console_sessions_end_user(const char *user_id)
{
	struct wk_console_session **pp = &sessions;
	size_t n = 0;

	if (user_id == NULL || user_id[0] == '\0')
		return 0;
	while (*pp != NULL) {
		if (strcmp((*pp)->user_id, user_id) == 0) {
			unlink_at(pp);
			n++;
		} else {
			pp = &(*pp)->next;
		}
	}
	return n;
}

size_t
wk_console_session_count_user(const char *user_id)
{
	size_t n = 0;

	for (const struct wk_console_session *s = sessions; s != NULL;
	    s = s->next)
		if (strcmp(s->user_id, user_id) == 0)
			n++;
	return n;
}

struct wk_console_session *
wk_console_session_find(struct wk_span token, uint64_t now_ms)
{
	struct wk_console_session *s, *found = NULL;

	if (token.p == NULL || token.len != WK_CONSOLE_TOKEN_HEX)
		return NULL;
	/* every live session is compared, in constant time each */
	for (s = sessions; s != NULL; s = s->next) {
		if (wk_span_ct_eq(token, wk_span_from_mem(s->id,
		    WK_CONSOLE_TOKEN_HEX)))
			found = s;
	}
	if (found == NULL)
		return NULL;
	if (now_ms < found->last_ms)
		now_ms = found->last_ms;
	if (expired(found, now_ms)) {
		wk_console_session_destroy(found);
		return NULL;
	}
	found->last_ms = now_ms;
	return found;
}

void
wk_console_session_destroy(struct wk_console_session *s)
{
	struct wk_console_session **pp;

	for (pp = &sessions; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			nsessions--;
			session_free(s);
			return;
		}
	}
}

void
wk_console_sessions_reset(void)
{
	struct wk_console_session *s;

	while ((s = sessions) != NULL) {
		sessions = s->next;
		session_free(s);
	}
	nsessions = 0;
}

size_t
wk_console_session_count(void)
{
	return nsessions;
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

struct wk_console_session *
wk_console_session_of(const struct wk_http_request *req, uint64_t now_ms)
{
	struct wk_span tok;

	/* a request may carry several Cookie fields; HTTP/1.1 browsers send
	 * one, and only the first is read */
	if (wk_console_cookie_get(wk_http_header(req, "Cookie"),
	    WK_CONSOLE_COOKIE, &tok) != 0)
		return NULL;
	return wk_console_session_find(tok, now_ms);
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
