/*
 * test_console_session.c - console sessions, cookies, CSRF, same-origin
 * checks and sign-in backoff (console_session.c, console_login.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "server/console_int.h"

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
	assert_int_equal(wk_console_session_create("alice", t0, &s), 0);
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
	assert_int_equal(wk_console_session_create("bob", t0, &s), 0);
	memcpy(id, s->id, sizeof(id));
	for (uint64_t now = t0; now < t0 + WK_CONSOLE_ABSOLUTE_MS;
	    now += 10 * 60 * 1000)
		assert_non_null(wk_console_session_find(
		    wk_span_from_cstr(id), now));
	assert_null(wk_console_session_find(wk_span_from_cstr(id),
	    t0 + WK_CONSOLE_ABSOLUTE_MS + 1));

	/* sign-out destroys it server side */
	assert_int_equal(wk_console_session_create("carol", t0, &s), 0);
	assert_int_equal(wk_console_session_create("dave", t0, &t), 0);
	memcpy(id, s->id, sizeof(id));
	wk_console_session_destroy(s);
	assert_null(wk_console_session_find(wk_span_from_cstr(id), t0));
	assert_int_equal(wk_console_session_count(), 1);
	assert_int_equal(wk_console_session_create(NULL, t0, &s),
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
	assert_int_equal(wk_console_session_create("alice", 5000, &s), 0);
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
		wk_console_lock_fail("user:a", now);
	assert_int_equal(wk_console_lock_wait_ms("user:a", now), 0);
	wk_console_lock_fail("user:a", now);
	assert_int_equal(wk_console_lock_wait_ms("user:a", now),
	    WK_CONSOLE_BACKOFF_BASE_MS);
	/* doubles with every further failure */
	wk_console_lock_fail("user:a", now);
	assert_int_equal(wk_console_lock_wait_ms("user:a", now),
	    2 * WK_CONSOLE_BACKOFF_BASE_MS);
	wk_console_lock_fail("user:a", now);
	assert_int_equal(wk_console_lock_wait_ms("user:a", now + 1000),
	    4 * WK_CONSOLE_BACKOFF_BASE_MS - 1000);
	/* capped */
	for (int i = 0; i < 100; i++)
		wk_console_lock_fail("user:a", now);
	assert_int_equal(wk_console_lock_wait_ms("user:a", now),
	    WK_CONSOLE_BACKOFF_MAX_MS);
	/* other keys are not affected; a success clears */
	assert_int_equal(wk_console_lock_wait_ms("ip:1.2.3.4", now), 0);
	wk_console_lock_clear("user:a");
	assert_int_equal(wk_console_lock_wait_ms("user:a", now), 0);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
