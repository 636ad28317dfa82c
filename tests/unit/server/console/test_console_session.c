/*
 * test_console_session.c - console sessions, cookies, CSRF, same-origin
 * checks and sign-in backoff (console_session.c, console_login.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

static void
test_sessions(void **state)
{
	struct wk_console_session *s, *t;
	char id[WK_CONSOLE_TOKEN_HEX + 1];
	uint64_t t0 = 1000000;

	(void)state;
	wk_console_sessions_reset();
	assert_int_equal(wk_console_session_create("alice", "AIDA_alice", TAG, t0, &s), 0);
	assert_int_equal(wk_console_session_count(), 1);
	memcpy(id, s->id, sizeof(id));
	assert_ptr_equal(wk_console_session_find(wk_span_from_cstr(id),
	    t0 + 1000), s);
	/* a wrong or short token finds nothing */
	id[0] = id[0] == 'a' ? 'b' : 'a';
	assert_null(wk_console_session_find(wk_span_from_cstr(id), t0));
	assert_null(wk_console_session_find(WK_SPAN_LIT("abc"), t0));
	assert_null(wk_console_session_find(WK_SPAN_NULL, t0));
	memcpy(id, s->id, sizeof(id));
	/* idle timeout: refreshed by use, expired after 30 min unused */
	assert_non_null(wk_console_session_find(wk_span_from_cstr(id),
	    t0 + WK_CONSOLE_IDLE_MS - 1));
	assert_null(wk_console_session_find(wk_span_from_cstr(id),
	    t0 + 2 * WK_CONSOLE_IDLE_MS + 10));
	assert_int_equal(wk_console_session_count(), 0);

	/* absolute timeout: 12 h even when used every 10 minutes */
	assert_int_equal(wk_console_session_create("bob", "AIDA_bob", TAG, t0, &s), 0);
	memcpy(id, s->id, sizeof(id));
	for (uint64_t now = t0; now < t0 + WK_CONSOLE_ABSOLUTE_MS;
	    now += 10 * 60 * 1000)
		assert_non_null(wk_console_session_find(
		    wk_span_from_cstr(id), now));
	assert_null(wk_console_session_find(wk_span_from_cstr(id),
	    t0 + WK_CONSOLE_ABSOLUTE_MS + 1));

	/* sign-out destroys it server side */
	assert_int_equal(wk_console_session_create("carol", "AIDA_carol", TAG, t0, &s), 0);
	assert_int_equal(wk_console_session_create("dave", "AIDA_dave", TAG, t0, &t), 0);
	memcpy(id, s->id, sizeof(id));
	wk_console_session_destroy(s);
	assert_null(wk_console_session_find(wk_span_from_cstr(id), t0));
	assert_int_equal(wk_console_session_count(), 1);
	assert_int_equal(wk_console_session_create(NULL, "AIDA_x", TAG, t0, &s),
	    WK_ERR_INVAL);
	wk_console_sessions_reset();
	assert_int_equal(wk_console_session_count(), 0);
}

static void
test_session_of_request(void **state)
{
	struct wk_console_session *s;
	struct wk_buf cookie;
	struct wk_sigv4_header h[1];
	struct wk_http_request r;

	(void)state;
	wk_console_sessions_reset();
	assert_int_equal(wk_console_session_create("alice", "AIDA_alice", TAG, 5000, &s), 0);
	wk_buf_init(&cookie, 4096);
	assert_int_equal(wk_buf_appendf(&cookie, "x=1; wk_session=%s",
	    s->id), 0);
	h[0].name = WK_SPAN_LIT("Cookie");
	h[0].value = wk_buf_span(&cookie);
	r = req_with(h, 1, false);
	assert_ptr_equal(wk_console_session_of(&r, 6000), s);
	r.nheaders = 0;
	assert_null(wk_console_session_of(&r, 6000));
	wk_buf_cleanup(&cookie);
	wk_console_sessions_reset();
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
	struct wk_console_session *s, *bob;
	char bob_id[WK_CONSOLE_TOKEN_HEX + 1], first[WK_CONSOLE_TOKEN_HEX + 1];
	char second[WK_CONSOLE_TOKEN_HEX + 1];
	uint64_t t0 = 1000000;

	(void)state;
	wk_console_sessions_reset();
	assert_int_equal(wk_console_session_create("bob", "AIDA_bob", TAG,
	    t0, &bob), 0);
	memcpy(bob_id, bob->id, sizeof(bob_id));
	for (int i = 0; i < 3 * WK_CONSOLE_MAX_SESSIONS_PER_USER; i++) {
		assert_int_equal(wk_console_session_create("mallory",
		    "AIDA_mallory", TAG, t0 + 1 + (uint64_t)i, &s), 0);
		if (i == 0)
			memcpy(first, s->id, sizeof(first));
		if (i == 1)
			memcpy(second, s->id, sizeof(second));
		assert_true(wk_console_session_count_user("AIDA_mallory") <=
		    WK_CONSOLE_MAX_SESSIONS_PER_USER);
	}
	assert_int_equal(wk_console_session_count_user("AIDA_mallory"),
	    WK_CONSOLE_MAX_SESSIONS_PER_USER);
	assert_int_equal(wk_console_session_count(),
	    WK_CONSOLE_MAX_SESSIONS_PER_USER + 1);
	/* bob's session lives on; mallory's oldest went first */
	assert_ptr_equal(wk_console_session_find(wk_span_from_cstr(bob_id),
	    t0 + 100), bob);
	assert_null(wk_console_session_find(wk_span_from_cstr(first),
	    t0 + 100));
	assert_null(wk_console_session_find(wk_span_from_cstr(second),
	    t0 + 100));
	/* the cap goes by the user id, not the name as written */
	assert_int_equal(wk_console_session_create("MALLORY", "AIDA_mallory",
	    TAG, t0 + 200, &s), 0);
	assert_int_equal(wk_console_session_count_user("AIDA_mallory"),
	    WK_CONSOLE_MAX_SESSIONS_PER_USER);
	/* an empty id is refused */
	assert_int_equal(wk_console_session_create("x", "", TAG, t0, &s),
	    WK_ERR_INVAL);
	wk_console_sessions_reset();
}

/* Ending a user (its login profile or password changed) ends all its
 * sessions and no one else's. */
static void
test_sessions_end_user(void **state)
{
	struct wk_console_session *a1, *a2, *b;
	char id1[WK_CONSOLE_TOKEN_HEX + 1], id2[WK_CONSOLE_TOKEN_HEX + 1];
	uint64_t t0 = 1000000;
	uint8_t t1[WK_CONSOLE_PW_TAG_LEN], t2[WK_CONSOLE_PW_TAG_LEN];

	(void)state;
	wk_console_sessions_reset();
	assert_int_equal(wk_console_session_create("alice", "AIDA_a", TAG, t0,
	    &a1), 0);
	memcpy(id1, a1->id, sizeof(id1));
	assert_int_equal(wk_console_session_create("alice", "AIDA_a", TAG, t0,
	    &a2), 0);
	memcpy(id2, a2->id, sizeof(id2));
	assert_int_equal(wk_console_session_create("bob", "AIDA_b", TAG, t0,
	    &b), 0);
	assert_string_equal(b->user_id, "AIDA_b");
	assert_memory_equal(b->pw_tag, TAG, sizeof(TAG));
	assert_int_equal(wk_console_sessions_end_user("AIDA_a"), 2);
	assert_null(wk_console_session_find(wk_span_from_cstr(id1), t0));
	assert_null(wk_console_session_find(wk_span_from_cstr(id2), t0));
	assert_int_equal(wk_console_session_count(), 1);
	assert_int_equal(wk_console_sessions_end_user("AIDA_a"), 0);
	assert_int_equal(wk_console_sessions_end_user(""), 0);
	/* the password tag: one per encoded hash (salt included) */
	wk_console_pw_tag("$argon2id$v=19$m=19456,t=2,p=1$c2FsdDE$aGFzaA", t1);
	wk_console_pw_tag("$argon2id$v=19$m=19456,t=2,p=1$c2FsdDI$aGFzaA", t2);
	assert_memory_not_equal(t1, t2, sizeof(t1));
	wk_console_sessions_reset();
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
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_session_of_request),
		cmocka_unit_test(test_csrf),
		cmocka_unit_test(test_same_origin),
		cmocka_unit_test(test_cookie_header),
		cmocka_unit_test(test_lockout),
		cmocka_unit_test(test_session_per_user_cap),
		cmocka_unit_test(test_sessions_end_user),
		cmocka_unit_test(test_lock_keys),
		cmocka_unit_test(test_lock_ip_and_forget),
		cmocka_unit_test(test_lock_flood),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
