/*
 * test_console_pool.c - the Argon2id worker pool (console_pool.c) and the
 * console sign-in on it, over a real wicketd front on 127.0.0.1:
 *   - many jobs: every callback runs once, on the loop, with the right
 *     answer (good, wrong and dummy hashes);
 *   - a full pool refuses (WK_ERR_LIMIT), cancelled jobs (queued and
 *     running) never call back, and are freed;
 *   - stop with jobs queued and running: joined, nothing called, no leak,
 *     and the pool restarts;
 *   - over HTTP: while a sign-in's check is on a worker, /healthz is
 *     answered; a second attempt for the same user is throttled; a full
 *     pool answers 503 + Retry-After; a vanished client's result is
 *     dropped; a sign-in held at shutdown gets 503 and the pool is
 *     joined.
 */
#include <argon2.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>

#include "../iam/test_iam_fixture.h"

#include "common/log.h"
#include "server/hub/agent_hub.h"
#include "server/console/console.h"
#include "server/console/console_int.h"
#include "server/http/http.h"
#include "server/wicketd.h"

#define PW "Test-passw0rd"
#define NMANY 24

static struct fx *fxp;
static char good_hash[256];

static void
make_hash(void)
{
	static const uint8_t salt[16] = "0123456789abcdef";

	assert_int_equal(argon2id_hash_encoded(1, 1024, 1, PW, strlen(PW),
	    salt, sizeof(salt), 32, good_hash, sizeof(good_hash)), ARGON2_OK);
}

/* ---- part 1: the pool alone, driven from the loop by timers ---- */

static int calls[128];		/* callbacks per job index */
static int answers[128];	/* 1 ok, 0 refused */
static size_t ndone;
static int phase;
static int failed_line;		/* first failed check (0: none) */
static struct wk_console_job *jobs[128];

#define CHECK(cond) do {						\
	if (!(cond) && failed_line == 0)				\
		failed_line = __LINE__;					\
} while (0)

static void
on_done(void *arg, bool ok)
{
	size_t i = (size_t)(uintptr_t)arg;

	calls[i]++;
	answers[i] = ok ? 1 : 0;
	jobs[i] = NULL;
	ndone++;
}

static void step(void *arg);

static void
again(uint64_t ms)
{
	CHECK(wk_loop_timer_add(fxp->srv.loop, ms, step, NULL) != NULL);
}

static void
submit(size_t i, const char *hash, const char *pw)
{
	CHECK(wk_console_pool_submit(fxp->srv.loop, hash, pw, strlen(pw),
	    on_done, (void *)(uintptr_t)i, &jobs[i]) == 0);
	CHECK(jobs[i] != NULL);
}

static void
step(void *arg)
{
	struct wk_console_job *j = NULL;
	size_t i;

	(void)arg;
	switch (phase) {
	case 0:		/* many jobs: good, wrong, dummy */
		for (i = 0; i < NMANY; i++)
			submit(i, i == NMANY - 1 ? NULL : good_hash,
			    i % 2 == 0 ? PW : "Wrong-passw0rd");
		/* a hash over the ceiling, and no callback */
		{
			char big[WK_CONSOLE_POOL_HASH_MAX + 2];

			memset(big, 'a', sizeof(big) - 1);
			big[sizeof(big) - 1] = '\0';
			CHECK(wk_console_pool_submit(fxp->srv.loop, big, PW,
			    strlen(PW), on_done, NULL, &j) == WK_ERR_TOOBIG);
			CHECK(wk_console_pool_submit(fxp->srv.loop, good_hash,
			    PW, strlen(PW), NULL, NULL, &j) == WK_ERR_INVAL);
			CHECK(wk_console_pool_submit(fxp->srv.loop, good_hash,
			    big, sizeof(big) - 1, on_done, NULL, &j) ==
			    WK_ERR_TOOBIG);
			CHECK(j == NULL);
		}
		phase = 1;
		again(1);
		break;
	case 1:		/* wait for them all */
		if (ndone < NMANY) {
			again(2);
			break;
		}
		for (i = 0; i < NMANY; i++) {
			CHECK(calls[i] == 1);
			CHECK(answers[i] == (i % 2 == 0 && i != NMANY - 1));
		}
		CHECK(wk_console_pool_jobs() == 0);
		/* fill the pool with the workers held */
		memset(calls, 0, sizeof(calls));
		ndone = 0;
		wk_console_pool_hold(true);
		for (i = 0; i < WK_CONSOLE_POOL_MAX; i++)
			submit(i, good_hash, PW);
		CHECK(wk_console_pool_jobs() == WK_CONSOLE_POOL_MAX);
		CHECK(wk_console_pool_submit(fxp->srv.loop, good_hash, PW,
		    strlen(PW), on_done, (void *)(uintptr_t)100, &jobs[100]) ==
		    WK_ERR_LIMIT);
		CHECK(jobs[100] == NULL);
		phase = 2;
		again(1);
		break;
	case 2:		/* both workers hold a running job */
		if (wk_console_pool_waiting() < WK_CONSOLE_POOL_THREADS) {
			again(2);
			break;
		}
		/* jobs 0 and 1 run (FIFO); cancel a running and a queued one:
		 * a vanished client. The queued one is freed at once. */
		wk_console_pool_cancel(jobs[0]);
		CHECK(wk_console_pool_jobs() == WK_CONSOLE_POOL_MAX);
		wk_console_pool_cancel(jobs[10]);
		CHECK(wk_console_pool_jobs() == WK_CONSOLE_POOL_MAX - 1);
		/* room again: one more is accepted */
		submit(100, good_hash, "Wrong-passw0rd");
		wk_console_pool_hold(false);
		phase = 3;
		again(1);
		break;
	case 3:
		if (ndone < WK_CONSOLE_POOL_MAX - 1 ||
		    wk_console_pool_jobs() != 0) {
			again(2);
			break;
		}
		CHECK(calls[0] == 0);
		CHECK(calls[10] == 0);
		for (i = 1; i < WK_CONSOLE_POOL_MAX; i++)
			if (i != 10)
				CHECK(calls[i] == 1 && answers[i] == 1);
		CHECK(calls[100] == 1 && answers[100] == 0);
		/* stop with jobs running and queued */
		memset(calls, 0, sizeof(calls));
		ndone = 0;
		wk_console_pool_hold(true);
		for (i = 0; i < 10; i++)
			submit(i, good_hash, PW);
		phase = 4;
		again(1);
		break;
	case 4:
		if (wk_console_pool_waiting() < WK_CONSOLE_POOL_THREADS) {
			again(2);
			break;
		}
		wk_console_pool_stop();
		CHECK(wk_console_pool_jobs() == 0);
		/* the pool restarts on the next submit */
		submit(20, good_hash, PW);
		phase = 5;
		again(1);
		break;
	case 5:
		if (ndone < 1) {
			again(2);
			break;
		}
		for (i = 0; i < 10; i++)
			CHECK(calls[i] == 0);
		CHECK(calls[20] == 1 && answers[20] == 1);
		fxp->srv.stopping = 1;
		break;
	}
}

static void
ready_pool(void *arg, unsigned p)
{
	(void)arg;
	(void)p;
	again(0);
}

static void
serve(void (*ready)(void *arg, unsigned port))
{
	struct fx *f = fxp;
	sigset_t mask;

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
	wk_agent_hub_free(f->srv.hub);
	f->srv.hub = NULL;
	wk_loop_free(f->srv.loop);
	f->srv.loop = NULL;
}

static void
test_pool(void **state)
{
	fxp = *state;
	wk_log_set_level(WK_LOG_WARN);
	make_hash();
	serve(ready_pool);
	wk_console_reset();
	assert_int_equal(failed_line, 0);
	assert_int_equal(phase, 5);
	assert_int_equal(wk_console_pool_jobs(), 0);
}

/* ---- part 2: the sign-in over HTTP ---- */

static unsigned port;
static pthread_t thr;

struct result {
	char text[8192];
	size_t len;
};
static struct result res[16];
static char pre[65];

static int
dial(void)
{
	struct sockaddr_in sa;
	struct timeval tv = { 20, 0 };
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

static void
readall(int fd, struct result *r)
{
	ssize_t n;

	r->len = 0;
	while (r->len < sizeof(r->text) - 1 && (n = read(fd, r->text + r->len,
	    sizeof(r->text) - 1 - r->len)) > 0)
		r->len += (size_t)n;
	r->text[r->len] = '\0';
}

/* Sends a request; returns the socket (the answer is read later). */
static int
send_req(const char *req)
{
	int fd = dial();

	if (fd >= 0 && write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void
exchange(struct result *r, const char *req)
{
	int fd = send_req(req);

	r->len = 0;
	r->text[0] = '\0';
	if (fd < 0)
		return;
	readall(fd, r);
	close(fd);
}

static int
send_login(const char *user, const char *pw)
{
	char body[256], req[1024];

	snprintf(body, sizeof(body), "{\"user\":\"%s\",\"password\":\"%s\"}",
	    user, pw);
	snprintf(req, sizeof(req), "POST /console/api/login HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%u\r\nOrigin: http://127.0.0.1:%u\r\n"
	    "Cookie: wk_csrf=%s\r\nX-Wicket-CSRF: %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s", port, port, pre, pre,
	    strlen(body), body);
	return send_req(req);
}

static void
login(struct result *r, const char *user, const char *pw)
{
	int fd = send_login(user, pw);

	r->len = 0;
	r->text[0] = '\0';
	if (fd < 0)
		return;
	readall(fd, r);
	close(fd);
}

static void
wait_until_held(size_t n)
{
	for (int i = 0; i < 20000 && wk_console_pool_waiting() < n; i++)
		usleep(1000);
}

static void
wait_until_idle(void)
{
	for (int i = 0; i < 20000 && wk_console_pool_jobs() != 0; i++)
		usleep(1000);
}

static bool busy_filled;
static size_t filler_done;
static bool healthz_first;

static void
filler_done_cb(void *arg, bool ok)
{
	(void)arg;
	(void)ok;
	filler_done++;
}

static void *
client(void *arg)
{
	char req[512];
	int fd, fd2;
	char *p;

	(void)arg;
	snprintf(req, sizeof(req), "GET /console/api/session HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%u\r\nConnection: close\r\n\r\n", port);
	exchange(&res[0], req);
	if ((p = strstr(res[0].text, "\"csrf\":\"")) != NULL &&
	    strlen(p + 8) >= 64) {
		memcpy(pre, p + 8, 64);
		pre[64] = '\0';
	}
	/* the pool is full (filled by ready_http): 503, try again later */
	login(&res[1], "admin", PW);
	wk_console_pool_hold(false);
	wait_until_idle();

	/* a sign-in whose check is held on a worker ... */
	wk_console_pool_hold(true);
	fd = send_login("admin", PW);
	wait_until_held(1);
	/* ... does not stop the server answering others */
	snprintf(req, sizeof(req), "GET /healthz HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%u\r\nConnection: close\r\n\r\n", port);
	exchange(&res[2], req);
	healthz_first = wk_console_pool_waiting() == 1 &&
	    wk_console_pool_jobs() == 1;
	/* a second attempt for the same user while one is in flight */
	login(&res[3], "admin", PW);
	wk_console_pool_hold(false);
	if (fd >= 0) {
		readall(fd, &res[4]);
		close(fd);
	}

	/* a client that goes away while its check runs */
	wk_console_pool_hold(true);
	fd2 = send_login("admin", "Wrong-passw0rd");
	wait_until_held(1);
	if (fd2 >= 0)
		close(fd2);
	usleep(100 * 1000);	/* let the loop see the close (not asserted) */
	wk_console_pool_hold(false);
	wait_until_idle();
	/* the user is free again, and the dropped attempt counted as
	 * nothing or as one failure: a good password still signs in */
	login(&res[5], "admin", PW);

	/* an unknown user: refused like a wrong password */
	login(&res[6], "ghost", PW);
	/* (backoff over this path: test_console_http) */

	/* a sign-in held at shutdown gets 503; the pool is joined */
	wk_console_pool_hold(true);
	fd = send_login("admin", PW);
	wait_until_held(1);
	kill(getpid(), SIGTERM);
	if (fd >= 0) {
		readall(fd, &res[9]);
		close(fd);
	}
	return NULL;
}

static void
ready_http(void *arg, unsigned p)
{
	struct wk_console_job *j;

	(void)arg;
	port = p;
	/* fill the pool, workers held, before the client starts */
	wk_console_pool_hold(true);
	for (size_t i = 0; i < WK_CONSOLE_POOL_MAX; i++) {
		busy_filled = wk_console_pool_submit(fxp->srv.loop, good_hash,
		    PW, strlen(PW), filler_done_cb, NULL, &j) == 0;
		if (!busy_filled)
			break;
	}
	assert_int_equal(pthread_create(&thr, NULL, client, NULL), 0);
}

static void
set_password(struct fx *f, const char *user)
{
	struct wk_login_profile lp;

	memset(&lp, 0, sizeof(lp));
	snprintf(lp.user_name, sizeof(lp.user_name), "%s", user);
	snprintf(lp.password_hash, sizeof(lp.password_hash), "%s", good_hash);
	assert_int_equal(wk_store_login_profile_put(f->srv.store, &lp, true),
	    0);
}

static void
test_http(void **state)
{
	fxp = *state;
	wk_log_set_level(WK_LOG_WARN);
	make_hash();
	set_password(fxp, "admin");
	set_password(fxp, "nobody");
	serve(ready_http);
	pthread_join(thr, NULL);
	wk_console_reset();

	assert_true(busy_filled);
	assert_int_equal(filler_done, WK_CONSOLE_POOL_MAX);
	assert_non_null(strstr(res[0].text, "HTTP/1.1 200"));
	/* full pool */
	assert_non_null(strstr(res[1].text, "HTTP/1.1 503"));
	assert_non_null(strstr(res[1].text, "Retry-After: 1"));
	assert_non_null(strstr(res[1].text, "try again later"));
	/* /healthz answered while the sign-in's check was held */
	assert_non_null(strstr(res[2].text, "HTTP/1.1 200"));
	assert_true(healthz_first);
	assert_non_null(strstr(res[3].text, "HTTP/1.1 429"));
	assert_non_null(strstr(res[3].text, "Retry-After: 1"));
	assert_non_null(strstr(res[4].text, "HTTP/1.1 200"));
	assert_non_null(strstr(res[4].text, "Set-Cookie: wk_session="));
	assert_non_null(strstr(res[5].text, "HTTP/1.1 200"));
	assert_non_null(strstr(res[6].text, "HTTP/1.1 401"));
	assert_null(strstr(res[6].text, "wk_session="));
	assert_non_null(strstr(res[9].text, "HTTP/1.1 503"));
	assert_int_equal(wk_console_pool_jobs(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_http, fx_setup,
		    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
