/*
 * test_console_session.c - console sessions (in a SQLite store; the
 * store's own tests run both backends), cookies, CSRF, same-origin checks
 * and sign-in backoff (console_session.c, console_login.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "server/console/console_int.h"

static struct wk_http_request
req_with(struct wk_sigv4_header *h, size_t n, bool secure)
{
	struct wk_http_request r;

	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.headers = h;
	r.nheaders = n;
	r.secure = secure;
	r.source_ip = "127.0.0.1";
	return r;
}

#define H(n, v) { WK_SPAN_LIT(n), WK_SPAN_LIT(v) }

static const uint8_t TAG[WK_CONSOLE_PW_TAG_LEN] = { 1, 2, 3 };

static void
test_cookie_get(void **state)
{
	struct wk_span v;
	char big[WK_CONSOLE_MAX_COOKIE + 10];

	(void)state;
	assert_int_equal(wk_console_cookie_get(WK_SPAN_LIT(
	    "a=1; wk_session=abc; b=2"), "wk_session", &v), 0);
	assert_true(wk_span_eq_cstr(v, "abc"));
	assert_int_equal(wk_console_cookie_get(WK_SPAN_LIT(
	    "wk_session=\"q\""), "wk_session", &v), 0);
	assert_true(wk_span_eq_cstr(v, "q"));
	assert_int_equal(wk_console_cookie_get(WK_SPAN_LIT("wk_session="),
	    "wk_session", &v), 0);
	assert_int_equal(v.len, 0);
	/* a name that merely ends or starts like ours is not ours */
	assert_int_equal(wk_console_cookie_get(WK_SPAN_LIT(
	    "xwk_session=1; wk_session_x=2"), "wk_session", &v),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_console_cookie_get(WK_SPAN_LIT("junk; ;;"),
	    "wk_session", &v), WK_ERR_NOTFOUND);
	assert_int_equal(wk_console_cookie_get(WK_SPAN_NULL, "wk_session",
	    &v), WK_ERR_NOTFOUND);
	/* control bytes and separators in the value are refused */
	assert_int_equal(wk_console_cookie_get(WK_SPAN_LIT(
	    "wk_session=a\x01" "b"), "wk_session", &v), WK_ERR_INVAL);
	assert_int_equal(wk_console_cookie_get(WK_SPAN_LIT(
	    "wk_session=a\\b"), "wk_session", &v), WK_ERR_INVAL);
	memset(big, 'a', sizeof(big));
	assert_int_equal(wk_console_cookie_get(wk_span_from_mem(big,
	    sizeof(big)), "wk_session", &v), WK_ERR_INVAL);
}

static void
test_tokens(void **state)
{
	char a[WK_CONSOLE_TOKEN_HEX + 1], b[WK_CONSOLE_TOKEN_HEX + 1];

	(void)state;
	assert_int_equal(wk_console_token_new(a), 0);
	assert_int_equal(wk_console_token_new(b), 0);
	assert_int_equal(strlen(a), 64);
	assert_int_equal(strspn(a, "0123456789abcdef"), 64);
	assert_string_not_equal(a, b);
}

/* A fresh SQLite store per test: sessions live in the store. */
struct sfx {
	char dir[64];
	struct wk_store *st;
};

static int
sfx_setup(void **state)
{
	struct sfx *f = calloc(1, sizeof(*f));
	uint8_t key[WK_MASTER_KEY_LEN] = { 7 };
	char path[128];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk_csess_XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/w.db", f->dir);
	if (wk_store_open(path, key, &f->st) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
sfx_teardown(void **state)
{
	struct sfx *f = *state;
	char path[128];

	wk_store_close(f->st);
	snprintf(path, sizeof(path), "%s/w.db", f->dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/w.db-wal", f->dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/w.db-shm", f->dir);
	(void)unlink(path);
	(void)rmdir(f->dir);
	free(f);
	return 0;
}

#define T0 ((int64_t)1700000000000)

static int
find(struct wk_store *st, const char *id, int64_t now,
    struct wk_console_session *out)
{
	return wk_console_session_find(st, wk_span_from_cstr(id), now, out);
}

static void
test_sessions(void **state)
{
	struct wk_store *st = ((struct sfx *)*state)->st;
	struct wk_console_session s, t, got;
	char id[WK_CONSOLE_TOKEN_HEX + 1];

	assert_int_equal(wk_console_session_create(st, "alice", "AIDA_alice",
	    TAG, T0, &s), 0);
	assert_int_equal(wk_console_session_count(st, T0), 1);
	memcpy(id, s.id, sizeof(id));
	assert_int_equal(find(st, id, T0 + 1000, &got), 0);
	assert_string_equal(got.user, "alice");
	assert_string_equal(got.csrf, s.csrf);
	assert_string_equal(got.id_hash, s.id_hash);
	/* a wrong or short token finds nothing */
	id[0] = id[0] == 'a' ? 'b' : 'a';
	assert_int_equal(find(st, id, T0, &got), WK_ERR_NOTFOUND);
	assert_int_equal(wk_console_session_find(st, WK_SPAN_LIT("abc"), T0,
	    &got), WK_ERR_NOTFOUND);
	assert_int_equal(wk_console_session_find(st, WK_SPAN_NULL, T0, &got),
	    WK_ERR_NOTFOUND);
	memcpy(id, s.id, sizeof(id));
	/* idle timeout: refreshed by use, expired after 30 min unused */
	assert_int_equal(find(st, id, T0 + (int64_t)WK_CONSOLE_IDLE_MS - 1,
	    &got), 0);
	assert_int_equal(find(st, id, T0 + 2 * (int64_t)WK_CONSOLE_IDLE_MS +
	    10, &got), WK_ERR_NOTFOUND);
	assert_int_equal(wk_console_session_count(st, T0), 0);

	/* absolute timeout: 12 h even when used every 10 minutes */
	assert_int_equal(wk_console_session_create(st, "bob", "AIDA_bob", TAG,
	    T0, &s), 0);
	memcpy(id, s.id, sizeof(id));
	for (int64_t now = T0; now < T0 + (int64_t)WK_CONSOLE_ABSOLUTE_MS;
	    now += 10 * 60 * 1000)
		assert_int_equal(find(st, id, now, &got), 0);
	assert_int_equal(find(st, id, T0 + (int64_t)WK_CONSOLE_ABSOLUTE_MS +
	    1, &got), WK_ERR_NOTFOUND);

	/* sign-out destroys it server side */
	assert_int_equal(wk_console_session_create(st, "carol", "AIDA_carol",
	    TAG, T0, &s), 0);
	assert_int_equal(wk_console_session_create(st, "dave", "AIDA_dave",
	    TAG, T0, &t), 0);
	memcpy(id, s.id, sizeof(id));
	wk_console_session_destroy(st, &s);
	assert_int_equal(find(st, id, T0, &got), WK_ERR_NOTFOUND);
	assert_int_equal(wk_console_session_count(st, T0), 1);
	assert_int_equal(wk_console_session_create(st, NULL, "AIDA_x", TAG, T0,
	    &s), WK_ERR_INVAL);
	assert_int_equal(wk_console_session_create(st, "", "AIDA_x", TAG, T0,
	    &s), WK_ERR_INVAL);
}

/* The idle timer is written at most once a minute per session. */
static void
test_touch_coarse(void **state)
{
	struct wk_store *st = ((struct sfx *)*state)->st;
	struct wk_console_session s, got;
	struct wk_console_row row;

	assert_int_equal(wk_console_session_create(st, "alice", "AIDA_alice",
	    TAG, T0, &s), 0);
	assert_int_equal(find(st, s.id, T0 + 30 * 1000, &got), 0);
	assert_int_equal(wk_store_console_session_get(st, s.id_hash, T0,
	    &row), 0);
	assert_int_equal(row.last_ms, T0);
	assert_int_equal(row.idle_until_ms, T0 + (int64_t)WK_CONSOLE_IDLE_MS);
	assert_int_equal(find(st, s.id, T0 + 61 * 1000, &got), 0);
	assert_int_equal(got.last_ms, T0 + 61 * 1000);
	assert_int_equal(wk_store_console_session_get(st, s.id_hash, T0,
	    &row), 0);
	assert_int_equal(row.last_ms, T0 + 61 * 1000);
	assert_int_equal(row.idle_until_ms, T0 + 61 * 1000 +
	    (int64_t)WK_CONSOLE_IDLE_MS);
}

/* What the store holds gives no usable cookie: the row's key is a digest
 * of the token, the CSRF token is not stored, and the key presented as a
 * cookie finds nothing. */
static void
test_stolen_row(void **state)
{
	struct wk_store *st = ((struct sfx *)*state)->st;
	struct wk_console_session s, got;
	struct wk_console_row row;
	char h[WK_CONSOLE_TOKEN_HEX + 1], c[WK_CONSOLE_TOKEN_HEX + 1];

	assert_int_equal(wk_console_session_create(st, "alice", "AIDA_alice",
	    TAG, T0, &s), 0);
	assert_string_not_equal(s.id_hash, s.id);
	assert_string_not_equal(s.csrf, s.id);
	assert_string_not_equal(s.csrf, s.id_hash);
	wk_console_token_keys(wk_span_from_cstr(s.id), h, c);
	assert_string_equal(h, s.id_hash);
	assert_string_equal(c, s.csrf);
	assert_int_equal(wk_store_console_session_get(st, s.id_hash, T0,
	    &row), 0);
	assert_null(strstr((const char *)&row, s.id));
	assert_int_equal(find(st, row.id_hash, T0, &got), WK_ERR_NOTFOUND);
	/* the row is found only under the digest of the token */
	assert_int_equal(wk_store_console_session_get(st, s.id, T0, &row),
	    WK_ERR_NOTFOUND);
}

static void
test_session_of_request(void **state)
{
	struct wk_store *st = ((struct sfx *)*state)->st;
	struct wk_console_session s, got;
	struct wk_buf cookie;
	struct wk_sigv4_header h[1];
	struct wk_http_request r;

	assert_int_equal(wk_console_session_create(st, "alice", "AIDA_alice",
	    TAG, T0, &s), 0);
	wk_buf_init(&cookie, 4096);
	assert_int_equal(wk_buf_appendf(&cookie, "x=1; wk_session=%s",
	    s.id), 0);
	h[0].name = WK_SPAN_LIT("Cookie");
	h[0].value = wk_buf_span(&cookie);
	r = req_with(h, 1, false);
	assert_int_equal(wk_console_session_of(st, &r, T0 + 1000, &got), 0);
	assert_string_equal(got.id_hash, s.id_hash);
	r.nheaders = 0;
	assert_int_equal(wk_console_session_of(st, &r, T0 + 1000, &got),
	    WK_ERR_NOTFOUND);
	wk_buf_cleanup(&cookie);
}

static void
test_csrf(void **state)
{
	char tok[WK_CONSOLE_TOKEN_HEX + 1];
	struct wk_sigv4_header h[1];
	struct wk_http_request r;

	(void)state;
	assert_int_equal(wk_console_token_new(tok), 0);
	h[0].name = WK_SPAN_LIT("x-wicket-csrf");
	h[0].value = wk_span_from_cstr(tok);
	r = req_with(h, 1, false);
	assert_true(wk_console_csrf_ok(&r, tok));
	h[0].value = wk_span_from_mem(tok, 63);
	assert_false(wk_console_csrf_ok(&r, tok));
	r.nheaders = 0;
	assert_false(wk_console_csrf_ok(&r, tok));
	h[0].value = WK_SPAN_LIT("");
	r.nheaders = 1;
	assert_false(wk_console_csrf_ok(&r, ""));
	assert_false(wk_console_csrf_ok(&r, NULL));
}

static void
test_same_origin(void **state)
{
	struct wk_sigv4_header h[2];
	struct wk_http_request r;

	(void)state;
	h[0] = (struct wk_sigv4_header)H("Host", "127.0.0.1:8080");
	h[1] = (struct wk_sigv4_header)H("Origin", "http://127.0.0.1:8080");
	r = req_with(h, 2, false);
	assert_true(wk_console_same_origin(&r, false));
	/* https is another origin than http; on TLS, https is expected */
	r.secure = true;
	assert_false(wk_console_same_origin(&r, false));
	h[1] = (struct wk_sigv4_header)H("Origin", "https://127.0.0.1:8080");
	assert_true(wk_console_same_origin(&r, false));
	r.secure = false;
	assert_false(wk_console_same_origin(&r, false));
	h[1] = (struct wk_sigv4_header)H("Origin", "http://evil.example");
	assert_false(wk_console_same_origin(&r, false));
	h[1] = (struct wk_sigv4_header)H("Origin", "http://127.0.0.1:8080.evil");
	assert_false(wk_console_same_origin(&r, false));
	h[1] = (struct wk_sigv4_header)H("Origin", "null");
	assert_false(wk_console_same_origin(&r, false));
	h[1] = (struct wk_sigv4_header)H("Origin", "http://LOCALHOST:1");
	h[0] = (struct wk_sigv4_header)H("Host", "localhost:1");
	assert_true(wk_console_same_origin(&r, false));
	/* no Origin: the Referer's origin only when allowed */
	h[1] = (struct wk_sigv4_header)H("Referer",
	    "http://localhost:1/console/?x");
	assert_false(wk_console_same_origin(&r, false));
	assert_true(wk_console_same_origin(&r, true));
	h[1] = (struct wk_sigv4_header)H("Referer", "http://localhost:12/");
	assert_false(wk_console_same_origin(&r, true));
	/* neither: refused */
	r.nheaders = 1;
	assert_false(wk_console_same_origin(&r, true));
	/* no Host, or a Host with odd bytes: refused */
	h[0] = (struct wk_sigv4_header)H("Origin", "http://a");
	assert_false(wk_console_same_origin(&r, true));
	h[0] = (struct wk_sigv4_header)H("Host", "a/b");
	h[1] = (struct wk_sigv4_header)H("Origin", "http://a/b");
	r.nheaders = 2;
	assert_false(wk_console_same_origin(&r, false));
}

static void
test_cookie_header(void **state)
{
	struct wk_buf b;

	(void)state;
	wk_buf_init(&b, 4096);
	assert_int_equal(wk_console_cookie_header(&b, "wk_session", "v", 60,
	    false), 0);
	assert_string_equal(wk_buf_cstr(&b), "Set-Cookie: wk_session=v; "
	    "Path=/; HttpOnly; SameSite=Strict; Max-Age=60\r\n");
	wk_buf_reset(&b);
	assert_int_equal(wk_console_cookie_header(&b, "wk_session", "", 0,
	    true), 0);
	assert_non_null(strstr(wk_buf_cstr(&b), "Max-Age=0; Secure\r\n"));
	wk_buf_cleanup(&b);
}

static void
test_lockout(void **state)
{
	uint64_t now = 1000000;

	(void)state;
	wk_console_locks_reset();
	assert_int_equal(wk_console_lock_wait_ms("user:a", now), 0);
	for (int i = 0; i < WK_CONSOLE_FREE_FAILURES - 1; i++)
		wk_console_lock_fail("user:a", WK_CONSOLE_FREE_FAILURES, now);
	assert_int_equal(wk_console_lock_wait_ms("user:a", now), 0);
	wk_console_lock_fail("user:a", WK_CONSOLE_FREE_FAILURES, now);
	assert_int_equal(wk_console_lock_wait_ms("user:a", now),
	    WK_CONSOLE_BACKOFF_BASE_MS);
	/* doubles with every further failure */
	wk_console_lock_fail("user:a", WK_CONSOLE_FREE_FAILURES, now);
	assert_int_equal(wk_console_lock_wait_ms("user:a", now),
	    2 * WK_CONSOLE_BACKOFF_BASE_MS);
	wk_console_lock_fail("user:a", WK_CONSOLE_FREE_FAILURES, now);
	assert_int_equal(wk_console_lock_wait_ms("user:a", now + 1000),
	    4 * WK_CONSOLE_BACKOFF_BASE_MS - 1000);
	/* capped */
	for (int i = 0; i < 100; i++)
		wk_console_lock_fail("user:a", WK_CONSOLE_FREE_FAILURES, now);
	assert_int_equal(wk_console_lock_wait_ms("user:a", now),
	    WK_CONSOLE_BACKOFF_MAX_MS);
	/* other keys are not affected; a success clears */
	assert_int_equal(wk_console_lock_wait_ms("ip:1.2.3.4", now), 0);
	wk_console_lock_clear("user:a");
	assert_int_equal(wk_console_lock_wait_ms("user:a", now), 0);
	wk_console_locks_reset();
}

/* One user's sign-ins evict that user's oldest session, never another's. */
static void
test_session_per_user_cap(void **state)
{
	struct wk_store *st = ((struct sfx *)*state)->st;
	struct wk_console_session s, bob, got;
	char first[WK_CONSOLE_TOKEN_HEX + 1], second[WK_CONSOLE_TOKEN_HEX + 1];

	assert_int_equal(wk_console_session_create(st, "bob", "AIDA_bob", TAG,
	    T0, &bob), 0);
	for (int i = 0; i < 3 * WK_CONSOLE_MAX_SESSIONS_PER_USER; i++) {
		assert_int_equal(wk_console_session_create(st, "mallory",
		    "AIDA_mallory", TAG, T0 + 1 + i, &s), 0);
		if (i == 0)
			memcpy(first, s.id, sizeof(first));
		if (i == 1)
			memcpy(second, s.id, sizeof(second));
		assert_true(wk_console_session_count_user(st, "AIDA_mallory",
		    T0 + 1 + i) <= WK_CONSOLE_MAX_SESSIONS_PER_USER);
	}
	assert_int_equal(wk_console_session_count_user(st, "AIDA_mallory",
	    T0 + 100), WK_CONSOLE_MAX_SESSIONS_PER_USER);
	assert_int_equal(wk_console_session_count(st, T0 + 100),
	    WK_CONSOLE_MAX_SESSIONS_PER_USER + 1);
	/* bob's session lives on; mallory's oldest went first */
	assert_int_equal(find(st, bob.id, T0 + 100, &got), 0);
	assert_int_equal(find(st, first, T0 + 100, &got), WK_ERR_NOTFOUND);
	assert_int_equal(find(st, second, T0 + 100, &got), WK_ERR_NOTFOUND);
	/* the cap goes by the user id, not the name as written */
	assert_int_equal(wk_console_session_create(st, "MALLORY",
	    "AIDA_mallory", TAG, T0 + 200, &s), 0);
	assert_int_equal(wk_console_session_count_user(st, "AIDA_mallory",
	    T0 + 200), WK_CONSOLE_MAX_SESSIONS_PER_USER);
	/* an empty id is refused */
	assert_int_equal(wk_console_session_create(st, "x", "", TAG, T0, &s),
	    WK_ERR_INVAL);
}

/* Ending a user (its login profile or password changed) ends all its
 * sessions and no one else's. */
static void
test_sessions_end_user(void **state)
{
	struct wk_store *st = ((struct sfx *)*state)->st;
	struct wk_console_session a1, a2, b, got;
	uint8_t t1[WK_CONSOLE_PW_TAG_LEN], t2[WK_CONSOLE_PW_TAG_LEN];

	assert_int_equal(wk_console_session_create(st, "alice", "AIDA_a", TAG,
	    T0, &a1), 0);
	assert_int_equal(wk_console_session_create(st, "alice", "AIDA_a", TAG,
	    T0, &a2), 0);
	assert_int_equal(wk_console_session_create(st, "bob", "AIDA_b", TAG,
	    T0, &b), 0);
	assert_int_equal(find(st, b.id, T0, &got), 0);
	assert_string_equal(got.user_id, "AIDA_b");
	assert_memory_equal(got.pw_tag, TAG, sizeof(TAG));
	assert_int_equal(wk_console_sessions_end_user(st, "AIDA_a"), 2);
	assert_int_equal(find(st, a1.id, T0, &got), WK_ERR_NOTFOUND);
	assert_int_equal(find(st, a2.id, T0, &got), WK_ERR_NOTFOUND);
	assert_int_equal(wk_console_session_count(st, T0), 1);
	assert_int_equal(wk_console_sessions_end_user(st, "AIDA_a"), 0);
	assert_int_equal(wk_console_sessions_end_user(st, ""), 0);
	/* the password tag: one per encoded hash (salt included) */
	wk_console_pw_tag("$argon2id$v=19$m=19456,t=2,p=1$c2FsdDE$aGFzaA", t1);
	wk_console_pw_tag("$argon2id$v=19$m=19456,t=2,p=1$c2FsdDI$aGFzaA", t2);
	assert_memory_not_equal(t1, t2, sizeof(t1));
}

/* Lock keys: the user by its canonical (lower-case) name, IPv6 by /64. */
static void
test_lock_keys(void **state)
{
	char a[WK_CONSOLE_LOCK_KEY_MAX], b[WK_CONSOLE_LOCK_KEY_MAX];
	char small[8];
	uint64_t now = 1000000;

	(void)state;
	assert_int_equal(wk_console_lock_user_key("Alice", a, sizeof(a)), 0);
	assert_string_equal(a, "user:alice");
	assert_int_equal(wk_console_lock_user_key("aLiCe", b, sizeof(b)), 0);
	assert_string_equal(a, b);
	assert_int_equal(wk_console_lock_user_key("x.Y@Z_1", a, sizeof(a)), 0);
	assert_string_equal(a, "user:x.y@z_1");
	assert_int_equal(wk_console_lock_user_key("", a, sizeof(a)),
	    WK_ERR_INVAL);
	assert_int_equal(wk_console_lock_user_key("abc", small,
	    sizeof(small)), WK_ERR_INVAL);
	assert_int_equal(wk_console_lock_ip_key("10.0.0.1", a, sizeof(a)), 0);
	assert_string_equal(a, "ip:10.0.0.1");
	assert_int_equal(wk_console_lock_ip_key("2001:db8:1:2:aa::1", a,
	    sizeof(a)), 0);
	assert_int_equal(wk_console_lock_ip_key("2001:db8:1:2:bb::9", b,
	    sizeof(b)), 0);
	assert_string_equal(a, "ip:2001:db8:1:2::/64");
	assert_string_equal(a, b);
	assert_int_equal(wk_console_lock_ip_key("::ffff:10.0.0.1", a,
	    sizeof(a)), 0);
	assert_string_equal(a, "ip:::ffff:10.0.0.1");
	assert_int_equal(wk_console_lock_ip_key(NULL, a, sizeof(a)), 0);
	assert_string_equal(a, "ip:-");

	/* case-cycling guesses all land on one counter */
	wk_console_locks_reset();
	{
		const char *names[] = { "alice", "Alice", "aLiCe", "ALICE" };

		for (int i = 0; i < 4; i++) {
			assert_int_equal(wk_console_lock_user_key(names[i], a,
			    sizeof(a)), 0);
			wk_console_lock_fail(a, WK_CONSOLE_FREE_FAILURES, now);
		}
	}
	assert_int_equal(wk_console_lock_user_key("alIce", a, sizeof(a)), 0);
	assert_true(wk_console_lock_wait_ms(a, now) > 0);
	wk_console_locks_reset();
}

/* The address's counter allows more failures than a user's, and it is
 * forgotten only after an hour without failures, not by a success. */
static void
test_lock_ip_and_forget(void **state)
{
	uint64_t now = 1000000;

	(void)state;
	wk_console_locks_reset();
	for (int i = 0; i < WK_CONSOLE_FREE_FAILURES_IP - 1; i++)
		wk_console_lock_fail("ip:1.2.3.4", WK_CONSOLE_FREE_FAILURES_IP,
		    now);
	assert_int_equal(wk_console_lock_wait_ms("ip:1.2.3.4", now), 0);
	wk_console_lock_fail("ip:1.2.3.4", WK_CONSOLE_FREE_FAILURES_IP, now);
	assert_int_equal(wk_console_lock_wait_ms("ip:1.2.3.4", now),
	    WK_CONSOLE_BACKOFF_BASE_MS);
	/* still counted an hour later, less a millisecond... */
	wk_console_lock_fail("ip:1.2.3.4", WK_CONSOLE_FREE_FAILURES_IP,
	    now + WK_CONSOLE_LOCK_FORGET_MS);
	assert_int_equal(wk_console_lock_wait_ms("ip:1.2.3.4",
	    now + WK_CONSOLE_LOCK_FORGET_MS), 2 * WK_CONSOLE_BACKOFF_BASE_MS);
	/* ...forgotten after an hour of quiet */
	now += 2 * WK_CONSOLE_LOCK_FORGET_MS + 10;
	wk_console_lock_fail("ip:1.2.3.4", WK_CONSOLE_FREE_FAILURES_IP, now);
	assert_int_equal(wk_console_lock_wait_ms("ip:1.2.3.4", now), 0);
	wk_console_locks_reset();
}

/* Flooding the table with fresh keys does not evict a counter that has
 * more failures (it would reset an attacked user's lock). */
static void
test_lock_flood(void **state)
{
	char k[64];
	uint64_t now = 1000000;

	(void)state;
	wk_console_locks_reset();
	for (int i = 0; i < 5; i++)
		wk_console_lock_fail("user:alice", WK_CONSOLE_FREE_FAILURES,
		    now);
	for (int i = 0; i < 4 * WK_CONSOLE_LOCK_SLOTS; i++) {
		snprintf(k, sizeof(k), "user:n%d", i);
		wk_console_lock_fail(k, WK_CONSOLE_FREE_FAILURES, now + 1);
	}
	assert_true(wk_console_lock_wait_ms("user:alice", now + 1) > 0);
	wk_console_locks_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_get),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test_setup_teardown(test_sessions, sfx_setup,
		    sfx_teardown),
		cmocka_unit_test_setup_teardown(test_session_of_request,
		    sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_touch_coarse, sfx_setup,
		    sfx_teardown),
		cmocka_unit_test_setup_teardown(test_stolen_row, sfx_setup,
		    sfx_teardown),
		cmocka_unit_test(test_csrf),
		cmocka_unit_test(test_same_origin),
		cmocka_unit_test(test_cookie_header),
		cmocka_unit_test(test_lockout),
		cmocka_unit_test_setup_teardown(test_session_per_user_cap, sfx_setup,
		    sfx_teardown),
		cmocka_unit_test_setup_teardown(test_sessions_end_user, sfx_setup,
		    sfx_teardown),
		cmocka_unit_test(test_lock_keys),
		cmocka_unit_test(test_lock_ip_and_forget),
		cmocka_unit_test(test_lock_flood),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
