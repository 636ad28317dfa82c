/*
 * console_login.c - console sign-in and sign-out:
 *   GET  /console/api/session  who is signed in, and the CSRF token
 *   POST /console/api/login    {"user","password"}: Argon2id check of the
 *                              login profile (CreateLoginProfile)
 *   POST /console/api/logout
 * Sign-in is same-origin and CSRF-protected (double-submit: the wk_csrf
 * cookie equals the X-Wicket-CSRF header), and throttled per user (by
 * the lower-case name, whatever the address) and per source address, with
 * exponential backoff after WK_CONSOLE_FREE_FAILURES(_IP) failures; a
 * success clears only that user's counter (console_int.h). Passwords are
 * wiped after use and never logged.
 * The Argon2id check runs on console_pool.c's worker threads while the
 * request is suspended, so the event loop keeps serving everyone else;
 * a full pool answers 503 "try again later" (Retry-After: 1), and one
 * check at a time runs per user and per source IP (another attempt gets
 * 429), so failures are counted as when checks ran one by one.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "server/console/console_int.h"
#include "server/metrics/metrics.h"
#include "server/server.h"
#include "store/store.h"

#define LOGIN_BODY_MAX 4096
#define PASSWORD_MAX 128
#define PRE_COOKIE_AGE_S 3600
#define SESSION_COOKIE_AGE_S (12u * 3600)
#define LOGIN_WAIT_MS 30000	/* longest wait for the Argon2id check */

/* ---- lockout: failures and backoff per key (bounded table) ---- */

struct lock_slot {
	char key[WK_CONSOLE_LOCK_KEY_MAX];
	uint32_t failures;
	uint64_t until_ms;	/* no attempt before this */
	uint64_t last_ms;	/* the last failure */
};

static struct lock_slot locks[WK_CONSOLE_LOCK_SLOTS];

int
wk_console_lock_user_key(const char *user, char *out, size_t outsz)
{
	size_t n = strlen(user);

	/* IAM user names are case-insensitive: "Alice" is alice */
	if (n == 0 || outsz < 6 || n >= outsz - 5)
		return WK_ERR_INVAL;
	memcpy(out, "user:", 5);
	for (size_t i = 0; i < n; i++) {
		char ch = user[i];

		out[5 + i] = ch >= 'A' && ch <= 'Z' ?
		    (char)(ch - 'A' + 'a') : ch;
	}
	out[5 + n] = '\0';
	return 0;
}

int
wk_console_lock_ip_key(const char *ip, char *out, size_t outsz)
{
	struct in6_addr a6;
	char text[INET6_ADDRSTRLEN];
	int n;

	if (ip == NULL || ip[0] == '\0')
		ip = "-";
	/* one IPv6 host commonly holds a whole /64: count it as one (an
	 * IPv4 address mapped into IPv6 stays itself) */
	if (strchr(ip, ':') != NULL && inet_pton(AF_INET6, ip, &a6) == 1 &&
	    !IN6_IS_ADDR_V4MAPPED(&a6)) {
		memset(a6.s6_addr + 8, 0, 8);
		if (inet_ntop(AF_INET6, &a6, text, sizeof(text)) == NULL)
			return WK_ERR_INVAL;
		n = snprintf(out, outsz, "ip:%s/64", text);
	} else {
		n = snprintf(out, outsz, "ip:%s", ip);
	}
	return n < 0 || (size_t)n >= outsz ? WK_ERR_INVAL : 0;
}

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

/* Nothing left to remember: no wait and no failure for an hour. */
static bool
lock_stale(const struct lock_slot *s, uint64_t now_ms)
{
	return s->key[0] == '\0' || (s->until_ms <= now_ms &&
	    now_ms >= s->last_ms &&
	    now_ms - s->last_ms > WK_CONSOLE_LOCK_FORGET_MS);
}

/*
 * The slot of key. When the probe range is full, the slot that matters
 * least goes: a stale one, else the one with the fewest failures, else
 * the least recently failed; so flooding the table with fresh keys (one
 * failure each) does not wipe out a counter with more failures.
 */
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

		if (s->key[0] != '\0' && strcmp(s->key, key) == 0) {
			if (lock_stale(s, now_ms)) {
				s->failures = 0;
				s->until_ms = 0;
			}
			return s;
		}
		if (victim == NULL)
			victim = s;
		else if (lock_stale(victim, now_ms))
			continue;	/* a free slot is taken first */
		else if (lock_stale(s, now_ms) ||
		    s->failures < victim->failures ||
		    (s->failures == victim->failures &&
		    s->last_ms < victim->last_ms))
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
wk_console_lock_fail(const char *key, unsigned free_failures,
    uint64_t now_ms)
{
	struct lock_slot *s = lock_find(key, true, now_ms);
	uint64_t wait = WK_CONSOLE_BACKOFF_BASE_MS;

	if (s == NULL)
		return;
	if (s->failures < UINT32_MAX)
		s->failures++;
	s->last_ms = now_ms;
	if (s->failures < free_failures)
		return;
	for (uint32_t i = free_failures; i < s->failures &&
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

static void waits_forget(void);

void
wk_console_locks_reset(void)
{
	waits_forget();
	memset(locks, 0, sizeof(locks));
}

/* ---- GET /console/api/session ---- */

void
wk_console_session_get(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct wk_console_session s;
	char pre[WK_CONSOLE_TOKEN_HEX + 1];
	struct wk_buf h;

	if (wk_console_session_live(srv, req, wk_wall_ms(), &s) == 0) {
		wk_console_json(c, 200, json_pack("{s:b, s:s, s:s}",
		    "signedIn", 1, "user", s.user, "csrf", s.csrf), NULL);
		wk_explicit_bzero(&s, sizeof(s));
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
	wk_metrics_throttled(WK_MT_CONSOLE_SIGNIN);
	wk_console_json(c, 429, json_pack("{s:s, s:s}", "code",
	    "TooManyAttempts", "message", msg), hdr);
}

/*
 * A sign-in waiting for its Argon2id check (console_pool.c): the request
 * is suspended meanwhile, so the loop serves others. At most one check is
 * in flight per user and per source IP, so failures are counted in the
 * same order as when checks ran one after another on the loop.
 */
struct login_wait {
	struct wk_server *srv;
	struct wk_http_conn *c;
	struct wk_console_job *job;
	char ukey[WK_CONSOLE_LOCK_KEY_MAX], ipkey[WK_CONSOLE_LOCK_KEY_MAX];
	char user[65];
	uint8_t pw_tag[WK_CONSOLE_PW_TAG_LEN];	/* the hash checked */
	char source_ip[64];
	bool secure;
	uint64_t now;		/* when the attempt arrived */
	struct login_wait *prev, *next;
};

static struct login_wait *waits;	/* loop only */

static void
wait_unlink(struct login_wait *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		waits = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

/* wk_console_reset (no server running): join the workers; a sign-in
 * still held (none should be) keeps no job. */
static void
waits_forget(void)
{
	for (struct login_wait *w = waits; w != NULL; w = w->next)
		w->job = NULL;
	wk_console_pool_stop();
}

static bool
check_in_flight(const char *ukey, const char *ipkey)
{
	for (const struct login_wait *w = waits; w != NULL; w = w->next)
		if (strcmp(w->ukey, ukey) == 0 ||
		    strcmp(w->ipkey, ipkey) == 0)
			return true;
	return false;
}

static void
busy(struct wk_http_conn *c)
{
	wk_console_json(c, 503, json_pack("{s:s, s:s}", "code",
	    "Unavailable", "message", "Cannot sign in now; try again later."),
	    "Retry-After: 1\r\n");
}

/* The check is over: answer exactly as a synchronous sign-in would. */
static void
login_finish(struct login_wait *w, bool ok)
{
	struct wk_console_session sess, *s = &sess;
	struct wk_http_conn *c = w->c;
	struct wk_login_profile lp;
	uint8_t tag[WK_CONSOLE_PW_TAG_LEN];
	struct wk_user u;
	struct wk_buf h;
	int r;

	wk_buf_init(&h, 2048);
	memset(&u, 0, sizeof(u));
	memset(&lp, 0, sizeof(lp));
	memset(tag, 0, sizeof(tag));
	memset(&sess, 0, sizeof(sess));
	/* the password checked must still be the user's: not changed or
	 * re-created (another user of the same name) meanwhile */
	if (ok && wk_store_login_profile_get(w->srv->store, w->user,
	    &lp) == 0)
		wk_console_pw_tag(lp.password_hash, tag);
	else
		ok = false;
	if (!ok || !wk_span_ct_eq(wk_span_from_mem(tag,
	    sizeof(tag)), wk_span_from_mem(w->pw_tag, sizeof(w->pw_tag))) ||
	    wk_store_user_get(w->srv->store, w->user, &u) != 0) {
		wk_console_lock_fail(w->ukey, WK_CONSOLE_FREE_FAILURES,
		    w->now);
		wk_console_lock_fail(w->ipkey, WK_CONSOLE_FREE_FAILURES_IP,
		    w->now);
		wk_log_auth(WK_LOG_INFO, "console_login", "user=%s "
		    "source_ip=%s outcome=refused", w->user, w->source_ip);
		wk_console_error(c, 401, "InvalidCredentials",
		    "Incorrect user name or password.");
		goto out;
	}
	/* this user proved its password: its own counter is cleared, not
	 * the address's (other users' guesses from there still count) */
	wk_console_lock_clear(w->ukey);
	if ((r = wk_console_session_create(w->srv->store, u.name, u.id, tag,
	    wk_wall_ms(), s)) != 0) {
		if (r != WK_ERR_LIMIT)
			wk_log(WK_LOG_ERROR, "console_login", "user=%s "
			    "error=%s", u.name, wk_strerror(r));
		wk_console_error(c, r == WK_ERR_LIMIT ||
		    r == WK_ERR_STORE_UNAVAIL ? 503 : 500,
		    "Unavailable", "Cannot sign in now; try again later.");
		goto out;
	}
	(void)wk_store_user_touch_password(w->srv->store, u.name,
	    wk_wall_now());
	if (wk_console_cookie_header(&h, WK_CONSOLE_COOKIE, s->id,
	    SESSION_COOKIE_AGE_S, w->secure) != 0 ||
	    wk_console_cookie_header(&h, WK_CONSOLE_PRE_COOKIE, "", 0,
	    w->secure) != 0) {
		wk_console_session_destroy(w->srv->store, s);
		wk_console_error(c, 500, "InternalError", "internal error");
		goto out;
	}
	wk_log_auth(WK_LOG_INFO, "console_login", "user=%s source_ip=%s "
	    "outcome=signed_in", u.name, w->source_ip);
	wk_console_json(c, 200, json_pack("{s:b, s:s, s:s}", "signedIn", 1,
	    "user", s->user, "csrf", s->csrf), wk_buf_cstr(&h));
 out:
	wk_explicit_bzero(&lp, sizeof(lp));
	wk_explicit_bzero(&sess, sizeof(sess));
	wk_buf_cleanup_secret(&h);
}

static void
login_done(void *arg, bool ok)
{
	struct login_wait *w = arg;

	w->job = NULL;
	wait_unlink(w);
	login_finish(w, ok);
	wk_freezero(w, sizeof(*w));
}

/* The check took too long (the pool is swamped): not a failure. */
static void
login_timeout(struct wk_http_conn *c, void *arg)
{
	struct login_wait *w = arg;

	wk_console_pool_cancel(w->job);
	wait_unlink(w);
	wk_freezero(w, sizeof(*w));
	busy(c);
}

/* The client went away, or the server is stopping: drop the result. */
static void
login_closed(void *arg)
{
	struct login_wait *w = arg;
	bool stopping = w->srv->stopping != 0;

	wk_console_pool_cancel(w->job);
	wait_unlink(w);
	wk_freezero(w, sizeof(*w));
	/* the last held sign-in of a stopping server: join the workers
	 * (no job of ours is in flight, so the pool has left the loop) */
	if (stopping && waits == NULL)
		wk_console_pool_stop();
}

void
wk_console_login(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct login_wait *w = NULL;
	struct wk_login_profile lp;
	json_t *body = NULL, *ju, *jp;
	char *pw = NULL;
	size_t pwlen = 0;
	const char *user;
	char ukey[WK_CONSOLE_LOCK_KEY_MAX], ipkey[WK_CONSOLE_LOCK_KEY_MAX];
	uint64_t now = wk_mono_ms(), wait, w2;
	int r;

	memset(&lp, 0, sizeof(lp));
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
	if (wk_console_lock_user_key(user, ukey, sizeof(ukey)) != 0 ||
	    wk_console_lock_ip_key(req->source_ip, ipkey, sizeof(ipkey)) !=
	    0) {
		wk_console_error(c, 400, "BadRequest",
		    "Enter a user name and a password.");
		goto out;
	}
	wait = wk_console_lock_wait_ms(ukey, now);
	if ((w2 = wk_console_lock_wait_ms(ipkey, now)) > wait)
		wait = w2;
	if (wait > 0) {
		wk_log_auth(WK_LOG_INFO, "console_login", "user=%s "
		    "source_ip=%s outcome=throttled", user, req->source_ip);
		throttled(c, wait);
		goto out;
	}
	if (check_in_flight(ukey, ipkey)) {
		/* one attempt at a time per user and per address */
		wk_log_auth(WK_LOG_INFO, "console_login", "user=%s "
		    "source_ip=%s outcome=throttled", user, req->source_ip);
		throttled(c, 1000);
		goto out;
	}
	if ((w = wk_calloc(1, sizeof(*w))) == NULL) {
		wk_console_error(c, 500, "InternalError", "internal error");
		goto out;
	}
	w->srv = srv;
	w->c = c;
	w->now = now;
	w->secure = req->secure;
	memcpy(w->ukey, ukey, sizeof(ukey));
	memcpy(w->ipkey, ipkey, sizeof(ipkey));
	snprintf(w->user, sizeof(w->user), "%s", user);
	snprintf(w->source_ip, sizeof(w->source_ip), "%s",
	    req->source_ip != NULL ? req->source_ip : "-");
	/* no login profile: check against a dummy hash all the same */
	r = wk_store_login_profile_get(srv->store, user, &lp);
	if (r == 0)
		wk_console_pw_tag(lp.password_hash, w->pw_tag);
	r = wk_console_pool_submit(srv->loop, r == 0 ? lp.password_hash :
	    NULL, pw, pwlen, login_done, w, &w->job);
	if (r != 0) {
		if (r == WK_ERR_LIMIT) {
			wk_log_auth(WK_LOG_INFO, "console_login", "user=%s "
			    "source_ip=%s outcome=busy", user,
			    req->source_ip);
			busy(c);
		} else {
			wk_console_error(c, 500, "InternalError",
			    "internal error");
		}
		goto out;
	}
	if (wk_http_suspend(c, LOGIN_WAIT_MS, login_timeout, login_closed,
	    w) != 0) {
		wk_console_pool_cancel(w->job);
		wk_console_error(c, 500, "InternalError", "internal error");
		goto out;
	}
	w->next = waits;
	if (waits != NULL)
		waits->prev = w;
	waits = w;
	w = NULL;	/* the callbacks own it */
 out:
	if (w != NULL)
		wk_freezero(w, sizeof(*w));
	wk_explicit_bzero(&lp, sizeof(lp));
	if (pw != NULL)
		wk_freezero(pw, pwlen);
	json_decref(body);
}

/* ---- POST /console/api/logout ---- */

void
wk_console_logout(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct wk_console_session sess, *s = &sess;
	struct wk_buf h;
	int r;

	memset(&sess, 0, sizeof(sess));
	wk_buf_init(&h, 1024);
	if (!wk_console_same_origin(req, true)) {
		wk_console_error(c, 403, "CrossOrigin",
		    "Cross-origin request refused.");
		goto out;
	}
	if ((r = wk_console_session_of(srv->store, req, wk_wall_ms(),
	    s)) != 0) {
		if (r != WK_ERR_NOTFOUND)
			wk_console_error(c, 503, "Unavailable", "Cannot sign "
			    "out now; try again later.");
		else
			wk_console_error(c, 401, "NotSignedIn",
			    "Not signed in.");
		goto out;
	}
	if (!wk_console_csrf_ok(req, s->csrf)) {
		wk_console_error(c, 403, "BadCsrfToken", "The page is out of "
		    "date: reload it.");
		goto out;
	}
	wk_log_auth(WK_LOG_INFO, "console_logout", "user=%s source_ip=%s "
	    "outcome=signed_out", s->user, req->source_ip);
	wk_console_session_destroy(srv->store, s);
	(void)wk_console_cookie_header(&h, WK_CONSOLE_COOKIE, "", 0,
	    req->secure);
	wk_console_json(c, 200, json_pack("{s:b}", "signedIn", 0),
	    wk_buf_cstr(&h));
 out:
	wk_explicit_bzero(&sess, sizeof(sess));
	wk_buf_cleanup(&h);
}
