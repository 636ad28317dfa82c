/*
 * console_login.c - console sign-in and sign-out:
 *   GET  /console/api/session  who is signed in, and the CSRF token
 *   POST /console/api/login    {"user","password"}: Argon2id check of the
 *                              login profile (CreateLoginProfile)
 *   POST /console/api/logout
 * Sign-in is same-origin and CSRF-protected (double-submit: the wk_csrf
 * cookie equals the X-Wicket-CSRF header), and throttled per user and per
 * source IP with exponential backoff after WK_CONSOLE_FREE_FAILURES
 * failures. Passwords are wiped after use and never logged.
 */
#include <argon2.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "server/console_int.h"
#include "server/server.h"
#include "store/store.h"

#define LOGIN_BODY_MAX 4096
#define PASSWORD_MAX 128
#define PRE_COOKIE_AGE_S 3600
#define SESSION_COOKIE_AGE_S (12u * 3600)

/* ---- lockout: failures and backoff per key (bounded table) ---- */

struct lock_slot {
	char key[128];
	uint32_t failures;
	uint64_t until_ms;	/* no attempt before this */
	uint64_t last_ms;
};

static struct lock_slot locks[WK_CONSOLE_LOCK_SLOTS];

static size_t
key_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

#define LOCK_PROBE 8

static struct lock_slot *
lock_find(const char *key, bool create, uint64_t now_ms)
{
	struct lock_slot *victim = NULL;
	size_t h = key_hash(key);

	if (strlen(key) >= sizeof(locks[0].key))
		return NULL;
	for (size_t i = 0; i < LOCK_PROBE; i++) {
		struct lock_slot *s = &locks[(h + i) %
		    WK_CONSOLE_LOCK_SLOTS];

		if (s->key[0] != '\0' && strcmp(s->key, key) == 0)
			return s;
		if (victim == NULL || s->key[0] == '\0' ||
		    (victim->key[0] != '\0' && s->last_ms < victim->last_ms))
			victim = s;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->key, key, strlen(key) + 1);
	victim->last_ms = now_ms;
	return victim;
}

uint64_t
wk_console_lock_wait_ms(const char *key, uint64_t now_ms)
{
	struct lock_slot *s = lock_find(key, false, now_ms);

	if (s == NULL || s->until_ms <= now_ms)
		return 0;
	return s->until_ms - now_ms;
}

void
wk_console_lock_fail(const char *key, uint64_t now_ms)
{
	struct lock_slot *s = lock_find(key, true, now_ms);
	uint64_t wait = WK_CONSOLE_BACKOFF_BASE_MS;

	if (s == NULL)
		return;
	if (s->failures < UINT32_MAX)
		s->failures++;
	s->last_ms = now_ms;
	if (s->failures < WK_CONSOLE_FREE_FAILURES)
		return;
	for (uint32_t i = WK_CONSOLE_FREE_FAILURES; i < s->failures &&
	    wait < WK_CONSOLE_BACKOFF_MAX_MS; i++)
		wait *= 2;
	if (wait > WK_CONSOLE_BACKOFF_MAX_MS)
		wait = WK_CONSOLE_BACKOFF_MAX_MS;
	s->until_ms = now_ms + wait;
}

void
wk_console_lock_clear(const char *key)
{
	struct lock_slot *s = lock_find(key, false, 0);

	if (s != NULL)
		memset(s, 0, sizeof(*s));
}

void
wk_console_locks_reset(void)
{
	memset(locks, 0, sizeof(locks));
}

/* ---- GET /console/api/session ---- */

void
wk_console_session_get(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct wk_console_session *s;
	char pre[WK_CONSOLE_TOKEN_HEX + 1];
	struct wk_buf h;

	(void)srv;
	if ((s = wk_console_session_of(req, wk_mono_ms())) != NULL) {
		wk_console_json(c, 200, json_pack("{s:b, s:s, s:s}",
		    "signedIn", 1, "user", s->user, "csrf", s->csrf), NULL);
		return;
	}
	/* not signed in: a pre-session token for the sign-in form */
	wk_buf_init(&h, 1024);
	if (wk_console_token_new(pre) != 0 ||
	    wk_console_cookie_header(&h, WK_CONSOLE_PRE_COOKIE, pre,
	    PRE_COOKIE_AGE_S, req->secure) != 0) {
		wk_console_error(c, 500, "InternalError", "internal error");
	} else {
		wk_console_json(c, 200, json_pack("{s:b, s:s}", "signedIn", 0,
		    "csrf", pre), wk_buf_cstr(&h));
	}
	wk_explicit_bzero(pre, sizeof(pre));
	wk_buf_cleanup_secret(&h);
}

/* ---- POST /console/api/login ---- */

static bool
valid_user_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("+=,.@_-", ch) != NULL))
			return false;
	}
	return true;
}

/* A hash to verify against when the user has no login profile, so that
 * unknown users take as long as known ones (made once, same parameters as
 * iam_login.c's). */
static char dummy_hash[160];

static const char *
dummy(void)
{
	static const uint8_t salt[16] = "wicket-no-user!";

	if (dummy_hash[0] == '\0' && argon2id_hash_encoded(2, 19456, 1,
	    "x", 1, salt, sizeof(salt), 32, dummy_hash,
	    sizeof(dummy_hash)) != ARGON2_OK)
		dummy_hash[0] = '\0';
	return dummy_hash;
}

static bool
password_ok(struct wk_server *srv, const char *user, const char *pw,
    size_t pwlen)
{
	struct wk_login_profile lp;
	bool ok = false;
	int r;

	memset(&lp, 0, sizeof(lp));
	r = wk_store_login_profile_get(srv->store, user, &lp);
	if (r != 0) {
		if (dummy()[0] != '\0')
			(void)argon2id_verify(dummy(), pw, pwlen);
	} else {
		ok = argon2id_verify(lp.password_hash, pw, pwlen) ==
		    ARGON2_OK;
	}
	wk_explicit_bzero(&lp, sizeof(lp));
	return ok;
}

static bool
pre_csrf_ok(const struct wk_http_request *req)
{
	struct wk_span cookie, hdr;

	if (wk_console_cookie_get(wk_http_header(req, "Cookie"),
	    WK_CONSOLE_PRE_COOKIE, &cookie) != 0 ||
	    cookie.len != WK_CONSOLE_TOKEN_HEX)
		return false;
	hdr = wk_http_header(req, WK_CONSOLE_CSRF_HEADER);
	return hdr.p != NULL && wk_span_ct_eq(hdr, cookie);
}

static void
throttled(struct wk_http_conn *c, uint64_t wait_ms)
{
	char msg[160], hdr[64];
	unsigned long long s = (wait_ms + 999) / 1000;

	snprintf(msg, sizeof(msg), "Too many failed sign-in attempts. Try "
	    "again in %llu second%s.", s, s == 1 ? "" : "s");
	snprintf(hdr, sizeof(hdr), "Retry-After: %llu\r\n", s);
	wk_console_json(c, 429, json_pack("{s:s, s:s}", "code",
	    "TooManyAttempts", "message", msg), hdr);
}

void
wk_console_login(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct wk_console_session *s = NULL;
	struct wk_user u;
	json_t *body = NULL, *ju, *jp;
	char *pw = NULL;
	size_t pwlen = 0;
	const char *user;
	char ukey[128], ipkey[128];
	uint64_t now = wk_mono_ms(), wait, w2;
	struct wk_buf h;
	int r;

	wk_buf_init(&h, 2048);
	memset(&u, 0, sizeof(u));
	if (!wk_console_same_origin(req, true)) {
		wk_console_error(c, 403, "CrossOrigin",
		    "Cross-origin request refused.");
		goto out;
	}
	if (!pre_csrf_ok(req)) {
		wk_console_error(c, 403, "BadCsrfToken", "The page is out of "
		    "date: reload it and sign in again.");
		goto out;
	}
	if (req->body.len > LOGIN_BODY_MAX ||
	    (body = json_loadb((const char *)req->body.p, req->body.len,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(body) ||
	    !json_is_string(ju = json_object_get(body, "user")) ||
	    !json_is_string(jp = json_object_get(body, "password")) ||
	    json_string_length(jp) > PASSWORD_MAX ||
	    strlen(json_string_value(jp)) != json_string_length(jp) ||
	    !valid_user_name(user = json_string_value(ju))) {
		wk_console_error(c, 400, "BadRequest",
		    "Enter a user name and a password.");
		goto out;
	}
	pwlen = json_string_length(jp);
	if ((pw = wk_strndup(json_string_value(jp), pwlen)) == NULL) {
		wk_console_error(c, 500, "InternalError", "internal error");
		goto out;
	}
	/* jansson keeps its own copy: wipe it too */
	wk_explicit_bzero((void *)(uintptr_t)json_string_value(jp), pwlen);
	snprintf(ukey, sizeof(ukey), "user:%s", user);
	snprintf(ipkey, sizeof(ipkey), "ip:%s", req->source_ip != NULL ?
	    req->source_ip : "-");
	wait = wk_console_lock_wait_ms(ukey, now);
	if ((w2 = wk_console_lock_wait_ms(ipkey, now)) > wait)
		wait = w2;
	if (wait > 0) {
		wk_log_auth(WK_LOG_INFO, "console_login", "user=%s "
		    "source_ip=%s outcome=throttled", user, req->source_ip);
		throttled(c, wait);
		goto out;
	}
	if (!password_ok(srv, user, pw, pwlen) ||
	    wk_store_user_get(srv->store, user, &u) != 0) {
		wk_console_lock_fail(ukey, now);
		wk_console_lock_fail(ipkey, now);
		wk_log_auth(WK_LOG_INFO, "console_login", "user=%s "
		    "source_ip=%s outcome=refused", user, req->source_ip);
		wk_console_error(c, 401, "InvalidCredentials",
		    "Incorrect user name or password.");
		goto out;
	}
	wk_console_lock_clear(ukey);
	wk_console_lock_clear(ipkey);
	if ((r = wk_console_session_create(u.name, now, &s)) != 0) {
		wk_console_error(c, r == WK_ERR_LIMIT ? 503 : 500,
		    "Unavailable", "Cannot sign in now; try again later.");
		goto out;
	}
	(void)wk_store_user_touch_password(srv->store, u.name, wk_wall_now());
	if (wk_console_cookie_header(&h, WK_CONSOLE_COOKIE, s->id,
	    SESSION_COOKIE_AGE_S, req->secure) != 0 ||
	    wk_console_cookie_header(&h, WK_CONSOLE_PRE_COOKIE, "", 0,
	    req->secure) != 0) {
		wk_console_session_destroy(s);
		wk_console_error(c, 500, "InternalError", "internal error");
		goto out;
	}
	wk_log_auth(WK_LOG_INFO, "console_login", "user=%s source_ip=%s "
	    "outcome=signed_in", u.name, req->source_ip);
	wk_console_json(c, 200, json_pack("{s:b, s:s, s:s}", "signedIn", 1,
	    "user", s->user, "csrf", s->csrf), wk_buf_cstr(&h));
 out:
	if (pw != NULL)
		wk_freezero(pw, pwlen);
	json_decref(body);
	wk_buf_cleanup_secret(&h);
}

/* ---- POST /console/api/logout ---- */

void
wk_console_logout(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct wk_console_session *s;
	struct wk_buf h;

	(void)srv;
	wk_buf_init(&h, 1024);
	if (!wk_console_same_origin(req, true)) {
		wk_console_error(c, 403, "CrossOrigin",
		    "Cross-origin request refused.");
		goto out;
	}
	if ((s = wk_console_session_of(req, wk_mono_ms())) == NULL) {
		wk_console_error(c, 401, "NotSignedIn", "Not signed in.");
		goto out;
	}
	if (!wk_console_csrf_ok(req, s->csrf)) {
		wk_console_error(c, 403, "BadCsrfToken", "The page is out of "
		    "date: reload it.");
		goto out;
	}
	wk_log_auth(WK_LOG_INFO, "console_logout", "user=%s source_ip=%s "
	    "outcome=signed_out", s->user, req->source_ip);
	wk_console_session_destroy(s);
	(void)wk_console_cookie_header(&h, WK_CONSOLE_COOKIE, "", 0,
	    req->secure);
	wk_console_json(c, 200, json_pack("{s:b}", "signedIn", 0),
	    wk_buf_cstr(&h));
 out:
	wk_buf_cleanup(&h);
}
