/*
 * test_console_http.c - the console over a real wicketd front on
 * 127.0.0.1 (routes.c's table, a store in a temporary directory), driven
 * by a client thread with raw sockets: sign-in (CSRF, Origin, wrong
 * password, backoff), sessions, the instance list, static assets, the
 * WebSocket upgrade's refusals, and refusals spoken over the terminal
 * (policy decision, offline instance), sign-out.
 */
#include <argon2.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include "../iam/test_iam_fixture.h"

#include "common/log.h"
#include "server/hub/agent_hub.h"
#include "server/console/console.h"
#include "server/console/console_int.h"
#include "server/ec2/ec2.h"
#include "server/eic/eic.h"
#include "server/http/http.h"
#include "server/wicketd.h"

#define INSTANCE "i-0123456789abcdef0"
#define PW "Test-passw0rd"

static unsigned port;
static pthread_t thr;
static char webdir[128];

struct result {
	char text[16384];
	size_t len;
};
static struct result res[32];

static int
dial(void)
{
	struct sockaddr_in sa;
	struct timeval tv = { 10, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One request (Connection: close), the whole answer into r. */
static void exchange(struct result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
exchange(struct result *r, const char *fmt, ...)
{
	char req[8192];
	va_list ap;
	ssize_t n;
	int fd;

	va_start(ap, fmt);
	vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	r->len = 0;
	r->text[0] = '\0';
	if ((fd = dial()) < 0)
		return;
	if (write(fd, req, strlen(req)) == (ssize_t)strlen(req)) {
		while (r->len < sizeof(r->text) - 1 && (n = read(fd,
		    r->text + r->len, sizeof(r->text) - 1 - r->len)) > 0)
			r->len += (size_t)n;
	}
	/* frames may carry NUL bytes: make it searchable */
	for (size_t i = 0; i < r->len; i++)
		if (r->text[i] == '\0')
			r->text[i] = '.';
	r->text[r->len] = '\0';
	close(fd);
}

/* The 64-hex value after `key` in text, into out. */
static void
grab(const char *text, const char *key, char out[65])
{
	const char *p = strstr(text, key);

	out[0] = '\0';
	if (p != NULL && strlen(p + strlen(key)) >= 64) {
		memcpy(out, p + strlen(key), 64);
		out[64] = '\0';
	}
}

#define ORIGIN_OK "Origin: http://127.0.0.1:%u\r\nHost: 127.0.0.1:%u\r\n"

static void
login(struct result *r, const char *pre, const char *user, const char *pw,
    const char *origin_host)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"user\":\"%s\",\"password\":\"%s\"}",
	    user, pw);
	exchange(r, "POST /console/api/login HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%u\r\nOrigin: http://%s\r\n"
	    "Cookie: wk_csrf=%s\r\nX-Wicket-CSRF: %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s", port, origin_host, pre, pre,
	    strlen(body), body);
}

static void
ws(struct result *r, const char *cookie, const char *origin,
    const char *query)
{
	exchange(r, "GET /console/ws?%s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
	    "Origin: %s\r\nCookie: wk_session=%s\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", query,
	    port, origin, cookie);
}

static void *
client(void *arg)
{
	char pre[65], sess[65], sess2[65], csrf[65], origin[96], host[64];

	(void)arg;
	snprintf(host, sizeof(host), "127.0.0.1:%u", port);
	snprintf(origin, sizeof(origin), "http://%s", host);
	exchange(&res[0], "GET /console/api/session HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: close\r\n\r\n", host);
	grab(res[0].text, "\"csrf\":\"", pre);
	/* wrong password; no CSRF header; cross-origin */
	login(&res[1], pre, "admin", "Wrong-passw0rd", host);
	exchange(&res[2], "POST /console/api/login HTTP/1.1\r\nHost: %s\r\n"
	    "Origin: %s\r\nCookie: wk_csrf=%s\r\nContent-Length: 2\r\n"
	    "Connection: close\r\n\r\n{}", host, origin, pre);
	login(&res[3], pre, "admin", PW, "evil.example");
	login(&res[4], pre, "admin", PW, host);
	grab(res[4].text, "wk_session=", sess);
	grab(res[4].text, "\"csrf\":\"", csrf);
	exchange(&res[5], "GET /console/api/instances HTTP/1.1\r\nHost: %s\r\n"
	    "Cookie: wk_session=%s\r\nConnection: close\r\n\r\n", host, sess);
	exchange(&res[6], "GET /console/api/instances HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: close\r\n\r\n", host);
	/* static assets */
	exchange(&res[7], "GET /console/ HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: close\r\n\r\n", host);
	exchange(&res[8], "GET /console/..%%2fsecret.txt HTTP/1.1\r\n"
	    "Host: %s\r\nConnection: close\r\n\r\n", host);
	exchange(&res[9], "GET /console/missing.js HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: close\r\n\r\n", host);
	/* the WebSocket: no session, cross-origin, offline instance */
	ws(&res[10], "", origin, "instance=" INSTANCE "&user=ubuntu");
	ws(&res[11], sess, "http://evil.example", "instance=" INSTANCE
	    "&user=ubuntu");
	ws(&res[12], sess, origin, "instance=" INSTANCE "&user=ubuntu");
	/* a user without policies: the policy decision in words */
	login(&res[13], pre, "nobody", PW, host);
	grab(res[13].text, "wk_session=", sess2);
	ws(&res[14], sess2, origin, "instance=" INSTANCE "&user=root");
	ws(&res[15], sess2, origin, "instance=i-zz&user=root");
	/* backoff: after 3 failures the 4th attempt must wait */
	for (int i = 0; i < 4; i++)
		login(&res[16], pre, "nobody", "Wrong-passw0rd", host);
	login(&res[17], pre, "nobody", PW, host);
	/* sign-out, then the old cookie is worthless */
	exchange(&res[18], "POST /console/api/logout HTTP/1.1\r\nHost: %s\r\n"
	    "Origin: %s\r\nCookie: wk_session=%s\r\nX-Wicket-CSRF: %s\r\n"
	    "Content-Length: 2\r\nConnection: close\r\n\r\n{}", host, origin,
	    sess, csrf);
	exchange(&res[19], "GET /console/api/instances HTTP/1.1\r\nHost: %s\r\n"
	    "Cookie: wk_session=%s\r\nConnection: close\r\n\r\n", host, sess);
	exchange(&res[20], "GET / HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: close\r\n\r\n", host);
	/* logout without the CSRF token is refused */
	exchange(&res[21], "POST /console/api/logout HTTP/1.1\r\nHost: %s\r\n"
	    "Origin: %s\r\nCookie: wk_session=%s\r\n"
	    "Content-Length: 2\r\nConnection: close\r\n\r\n{}", host, origin,
	    sess2);
	kill(getpid(), SIGTERM);
	return NULL;
}

static void
ready(void *arg, unsigned p)
{
	(void)arg;
	port = p;
	assert_int_equal(pthread_create(&thr, NULL, client, NULL), 0);
}

static void
set_password(struct fx *f, const char *user)
{
	struct wk_login_profile lp;
	static const uint8_t salt[16] = "0123456789abcdef";

	memset(&lp, 0, sizeof(lp));
	snprintf(lp.user_name, sizeof(lp.user_name), "%s", user);
	assert_int_equal(argon2id_hash_encoded(1, 1024, 1, PW, strlen(PW),
	    salt, sizeof(salt), 32, lp.password_hash,
	    sizeof(lp.password_hash)), ARGON2_OK);
	assert_int_equal(wk_store_login_profile_put(f->srv.store, &lp, true),
	    0);
}

static void
test_console(void **state)
{
	struct fx *f = *state;
	struct wk_instance in;
	sigset_t mask;
	char p[192];
	FILE *fp;

	wk_log_set_level(WK_LOG_WARN);
	set_password(f, "admin");
	set_password(f, "nobody");
	memset(&in, 0, sizeof(in));
	snprintf(in.id, sizeof(in.id), INSTANCE);
	snprintf(in.hostname, sizeof(in.hostname), "web1");
	snprintf(in.address, sizeof(in.address), "127.0.0.9");
	in.ssh_port = 22;
	in.host_keys = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBi\n";
	in.create_date = time(NULL);
	assert_int_equal(wk_store_instance_create(f->srv.store, &in), 0);
	snprintf(webdir, sizeof(webdir), "%s/web", f->dir);
	assert_int_equal(mkdir(webdir, 0755), 0);
	snprintf(p, sizeof(p), "%s/index.html", webdir);
	assert_non_null(fp = fopen(p, "w"));
	fputs("<title>wicket console</title>\n", fp);
	fclose(fp);
	snprintf(p, sizeof(p), "%s/secret.txt", f->dir);
	assert_non_null(fp = fopen(p, "w"));
	fputs("secret\n", fp);
	fclose(fp);
	assert_int_equal(wk_console_set_web_dir(webdir), 0);

	snprintf(f->srv.cfg.listen, sizeof(f->srv.cfg.listen), "127.0.0.1:0");
	f->srv.cfg.max_connections = 100;
	assert_int_equal(wk_loop_new(&f->srv.loop), 0);
	assert_int_equal(wk_authz_cache_new(&f->srv.authz), 0);
	assert_int_equal(wk_agent_hub_new(&f->srv, &f->srv.hub), 0);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	assert_int_equal(wk_http_serve_ex(&f->srv, wk_routes, ready, NULL), 0);
	pthread_join(thr, NULL);
	wk_console_terms_reset();
	wk_agent_hub_free(f->srv.hub);
	wk_loop_free(f->srv.loop);
	wk_console_locks_reset();
	wk_console_set_web_dir(NULL);
	snprintf(p, sizeof(p), "%s/index.html", webdir);
	unlink(p);
	rmdir(webdir);
	snprintf(p, sizeof(p), "%s/secret.txt", f->dir);
	unlink(p);

	/* pre-session CSRF token in an HttpOnly, SameSite=Strict cookie */
	assert_non_null(strstr(res[0].text, "HTTP/1.1 200"));
	assert_non_null(strstr(res[0].text, "\"signedIn\":false"));
	assert_non_null(strstr(res[0].text, "Set-Cookie: wk_csrf="));
	assert_non_null(strstr(res[0].text, "HttpOnly; SameSite=Strict"));
	assert_non_null(strstr(res[1].text, "HTTP/1.1 401"));
	assert_non_null(strstr(res[1].text, "Incorrect user name or password"));
	assert_null(strstr(res[1].text, "wk_session="));
	assert_non_null(strstr(res[2].text, "HTTP/1.1 403"));
	assert_non_null(strstr(res[3].text, "HTTP/1.1 403"));
	assert_non_null(strstr(res[4].text, "HTTP/1.1 200"));
	assert_non_null(strstr(res[4].text, "Set-Cookie: wk_session="));
	assert_non_null(strstr(res[4].text, "\"user\":\"admin\""));
	/* the instance list, through the policy engine */
	assert_non_null(strstr(res[5].text, "HTTP/1.1 200"));
	assert_non_null(strstr(res[5].text, "\"id\":\"" INSTANCE "\""));
	assert_non_null(strstr(res[5].text, "\"online\":false"));
	assert_non_null(strstr(res[5].text, "\"osUser\":\"ubuntu\""));
	assert_non_null(strstr(res[5].text, "Cache-Control: no-store"));
	assert_non_null(strstr(res[6].text, "HTTP/1.1 401"));
	/* assets: served; traversal and unknown names are 404 */
	assert_non_null(strstr(res[7].text, "HTTP/1.1 200"));
	assert_non_null(strstr(res[7].text, "<title>wicket console</title>"));
	assert_non_null(strstr(res[7].text, "text/html"));
	assert_non_null(strstr(res[7].text, "frame-ancestors 'none'"));
	assert_non_null(strstr(res[8].text, "HTTP/1.1 404"));
	assert_null(strstr(res[8].text, "secret"));
	assert_non_null(strstr(res[9].text, "HTTP/1.1 404"));
	/* WebSocket: refused before the upgrade */
	assert_non_null(strstr(res[10].text, "HTTP/1.1 403"));
	assert_non_null(strstr(res[11].text, "HTTP/1.1 403"));
	/* upgraded, then told the instance is offline */
	assert_non_null(strstr(res[12].text, "HTTP/1.1 101"));
	assert_non_null(strstr(res[12].text,
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
	assert_non_null(strstr(res[12].text, INSTANCE " is offline"));
	/* the policy decision, in words */
	assert_non_null(strstr(res[13].text, "HTTP/1.1 200"));
	assert_non_null(strstr(res[14].text, "HTTP/1.1 101"));
	assert_non_null(strstr(res[14].text, "not allowed to connect as root "
	    "to " INSTANCE));
	assert_non_null(strstr(res[14].text, "implicitDeny"));
	assert_non_null(strstr(res[15].text, "Cannot connect: InstanceId"));
	/* backoff */
	assert_non_null(strstr(res[16].text, "HTTP/1.1 429"));
	assert_non_null(strstr(res[16].text, "Retry-After: "));
	assert_non_null(strstr(res[17].text, "HTTP/1.1 429"));
	/* sign-out */
	assert_non_null(strstr(res[18].text, "HTTP/1.1 200"));
	assert_non_null(strstr(res[18].text, "wk_session=; Path=/"));
	assert_non_null(strstr(res[19].text, "HTTP/1.1 401"));
	assert_non_null(strstr(res[20].text, "HTTP/1.1 302"));
	assert_non_null(strstr(res[20].text, "Location: /console/"));
	assert_non_null(strstr(res[21].text, "HTTP/1.1 403"));
	assert_int_equal(wk_console_term_count(), 0);
}

/* The session of a request carrying cookie id, checked against the store. */
static int
live(struct fx *f, const char *id)
{
	struct wk_console_session s;
	char cookie[128];
	struct wk_sigv4_header h;
	struct wk_http_request r;

	snprintf(cookie, sizeof(cookie), "wk_session=%s", id);
	h.name = WK_SPAN_LIT("Cookie");
	h.value = wk_span_from_cstr(cookie);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.headers = &h;
	r.nheaders = 1;
	r.source_ip = "127.0.0.1";
	return wk_console_session_live(&f->srv, &r, 1000, &s);
}

static void
profile_tag(struct fx *f, const char *user, uint8_t tag[static 32])
{
	struct wk_login_profile lp;

	assert_int_equal(wk_store_login_profile_get(f->srv.store, user, &lp),
	    0);
	wk_console_pw_tag(lp.password_hash, tag);
}

/*
 * A session is bound to the user's id and password: a new password,
 * DeleteLoginProfile and DeleteUser end it (the IAM handlers at once, the
 * store check on use), and a user re-created under the same name does not
 * inherit it.
 */
static void
test_session_binding(void **state)
{
	struct fx *f = *state;
	struct wk_console_session sess, *s = &sess;
	struct wk_caller c;
	uint8_t tag[WK_CONSOLE_PW_TAG_LEN], tag2[WK_CONSOLE_PW_TAG_LEN];
	char id[WK_CONSOLE_TOKEN_HEX + 1], old_uid[33];
	const char *uid = f->nobody.user.id;

	wk_log_set_level(WK_LOG_WARN);
	set_password(f, "nobody");
	profile_tag(f, "nobody", tag);
	assert_int_equal(wk_console_caller_load(&f->srv, "nobody", uid, tag,
	    &c), 0);
	assert_string_equal(c.user.name, "nobody");
	assert_int_equal(wk_console_caller_load(&f->srv, "NOBODY", uid, tag,
	    &c), 0);
	assert_int_equal(wk_console_caller_load(&f->srv, "nobody",
	    "AIDAOTHER", tag, &c), WK_ERR_DENIED);
	memset(tag2, 9, sizeof(tag2));
	assert_int_equal(wk_console_caller_load(&f->srv, "nobody", uid, tag2,
	    &c), WK_ERR_DENIED);

	/* a new password ends the session at once, and on use */
	assert_int_equal(wk_console_session_create(f->srv.store, "nobody",
	    uid, tag, 1000, s), 0);
	memcpy(id, s->id, sizeof(id));
	assert_int_equal(live(f, id), 0);
	CALL_OK(f, "UpdateLoginProfile", "UserName", "nobody", "Password",
	    "N3w-passw0rd!");
	assert_int_equal(wk_console_session_count_user(f->srv.store, uid,
	    1000), 0);
	assert_int_equal(wk_console_caller_load(&f->srv, "nobody", uid, tag,
	    &c), WK_ERR_DENIED);
	/* ... also when the hook did not run (another replica changed it) */
	assert_int_equal(wk_console_session_create(f->srv.store, "nobody",
	    uid, tag, 1000, s), 0);
	memcpy(id, s->id, sizeof(id));
	assert_int_not_equal(live(f, id), 0);
	assert_int_equal(wk_console_session_count_user(f->srv.store, uid,
	    1000), 0);
	/* the flag alone (no password) keeps sessions */
	profile_tag(f, "nobody", tag);
	assert_int_equal(wk_console_session_create(f->srv.store, "nobody",
	    uid, tag, 1000, s), 0);
	memcpy(id, s->id, sizeof(id));
	CALL_OK(f, "UpdateLoginProfile", "UserName", "nobody",
	    "PasswordResetRequired", "true");
	assert_int_equal(live(f, id), 0);

	/* DeleteLoginProfile; a profile created again does not revive it */
	CALL_OK(f, "DeleteLoginProfile", "UserName", "nobody");
	assert_int_equal(wk_console_session_count_user(f->srv.store, uid,
	    1000), 0);
	assert_int_equal(wk_console_session_create(f->srv.store, "nobody",
	    uid, tag, 1000, s), 0);
	memcpy(id, s->id, sizeof(id));
	assert_int_not_equal(live(f, id), 0);
	set_password(f, "nobody");
	assert_int_equal(wk_console_session_create(f->srv.store, "nobody",
	    uid, tag, 1000, s), 0);
	memcpy(id, s->id, sizeof(id));
	assert_int_not_equal(live(f, id), 0);

	/* DeleteUser, then a new user of the same name */
	profile_tag(f, "nobody", tag);
	assert_int_equal(wk_console_session_create(f->srv.store, "nobody",
	    uid, tag, 1000, s), 0);
	memcpy(id, s->id, sizeof(id));
	assert_int_equal(live(f, id), 0);
	snprintf(old_uid, sizeof(old_uid), "%s", uid);
	CALL_OK(f, "DeleteLoginProfile", "UserName", "nobody");
	CALL_OK(f, "DeleteUser", "UserName", "nobody");
	CALL_OK(f, "CreateUser", "UserName", "nobody");
	set_password(f, "nobody");
	profile_tag(f, "nobody", tag);
	/* even with the very same password hash: another id */
	assert_int_equal(wk_console_session_create(f->srv.store, "nobody", old_uid,
	    tag, 1000, s), 0);
	memcpy(id, s->id, sizeof(id));
	assert_int_not_equal(live(f, id), 0);
	assert_int_equal(wk_console_caller_load(&f->srv, "nobody", old_uid,
	    tag, &c), WK_ERR_DENIED);
	assert_int_equal(wk_console_session_count(f->srv.store, 1000), 0);
}

/* The console's pushes take the API's token bucket, one per user. */
static void
test_push_throttle_key(void **state)
{
	char k[64], small[12];
	int ok = 0;

	(void)state;
	assert_int_equal(wk_console_push_throttle_key("AIDA0123", k,
	    sizeof(k)), 0);
	assert_string_equal(k, "console:AIDA0123");
	assert_int_equal(wk_console_push_throttle_key("", k, sizeof(k)),
	    WK_ERR_INVAL);
	assert_int_equal(wk_console_push_throttle_key("AIDA0123456789",
	    small, sizeof(small)), WK_ERR_TOOBIG);
	wk_ec2ic_throttle_reset();
	assert_int_equal(wk_console_push_throttle_key(
	    "AIDAABCDEFGHIJKLMNOPQ", k, sizeof(k)), 0);
	for (int i = 0; i < 100; i++)
		ok += wk_ec2ic_throttle_take(k, 5000) ? 1 : 0;
	assert_int_equal(ok, WK_EC2IC_BURST);
	/* another user, or an access key, has its own bucket */
	assert_true(wk_ec2ic_throttle_take("console:AIDAOTHER", 5000));
	assert_true(wk_ec2ic_throttle_take("AKIAABCDEFGHIJKLMNOP", 5000));
	wk_ec2ic_throttle_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_console, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_session_binding, fx_setup,
		    fx_teardown),
		cmocka_unit_test(test_push_throttle_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
