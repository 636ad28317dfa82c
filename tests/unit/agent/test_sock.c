/*
 * Tests for src/agent/sock.c over a real Unix socket: permissions, replies
 * to good and bad requests, over-long and trickling clients, stale sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../safe_dir.h"

#include "agent/agent.h"
#include "common/err.h"
#include "common/time.h"
#include "crypto/keyrec.h"
#include "crypto/sshkey.h"

static char dir[4096], sockpath[4200], subdir[4200];
static struct wk_keystore *ks;
static struct wk_agent_sock *srv;
static pthread_t th;
static atomic_bool stop;
static struct wk_buf rec, once_rec;
static char once_fp[WK_SSHKEY_FP_LEN], multi_fp[WK_SSHKEY_FP_LEN];

static void *
server_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		(void)wk_agent_sock_step(srv, 20);
	return NULL;
}

static int
setup(void **state)
{
	struct wk_signkey *k;
	struct wk_keyrec r;
	struct wk_buf pub, priv;
	struct group *gr;
	time_t now = wk_wall_now();

	(void)state;
	/* Short and safe whatever the checkout's path (sun_path is 108). */
	assert_non_null(wk_test_safe_mkdtemp(dir, sizeof(dir), "sock-test"));
	/* The parent directory is created by the server. */
	snprintf(subdir, sizeof(subdir), "%s/run", dir);
	snprintf(sockpath, sizeof(sockpath), "%s/run/agent.sock", dir);

	assert_int_equal(wk_signkey_generate(&k), 0);
	wk_buf_init(&pub, 4096);
	wk_buf_init(&priv, 8192);
	assert_int_equal(wk_sshkey_generate_ed25519(&pub, &priv), 0);
	memset(&r, 0, sizeof(r));
	r.issued = now;
	r.expires = now + 60;
	snprintf(r.instance_id, sizeof(r.instance_id), "i-0123456789abcdef0");
	snprintf(r.os_user, sizeof(r.os_user), "ubuntu");
	snprintf(r.caller_arn, sizeof(r.caller_arn), "arn:aws:iam::1:user/a");
	snprintf(r.request_id, sizeof(r.request_id), "req-1");
	snprintf(r.pubkey, sizeof(r.pubkey), "%s", wk_buf_cstr(&pub));
	wk_buf_init(&rec, WK_KEYREC_MAX_LEN);
	assert_int_equal(wk_keyrec_sign(&r, k, &rec), 0);
	/* A single-use record of "deploy", same key. */
	snprintf(r.os_user, sizeof(r.os_user), "deploy");
	r.single_use = true;
	wk_buf_init(&once_rec, WK_KEYREC_MAX_LEN);
	assert_int_equal(wk_keyrec_sign(&r, k, &once_rec), 0);
	{
		const char *why;
		struct wk_buf norm;

		wk_buf_init(&norm, 4096);
		assert_int_equal(wk_sshkey_check(wk_buf_span(&pub), &norm,
		    once_fp, &why), 0);
		memcpy(multi_fp, once_fp, sizeof(multi_fp));
		wk_buf_cleanup(&norm);
	}
	wk_signkey_free(k);
	wk_buf_cleanup(&pub);
	wk_buf_cleanup_secret(&priv);

	assert_int_equal(wk_keystore_new(16, &ks), 0);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&rec), now), 0);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&once_rec), now), 0);
	gr = getgrnam("nogroup");
	assert_non_null(gr);
	assert_int_equal(wk_agent_sock_open(sockpath, gr->gr_gid, ks, &srv),
	    0);
	atomic_store(&stop, false);
	assert_int_equal(pthread_create(&th, NULL, server_main, NULL), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	atomic_store(&stop, true);
	pthread_join(th, NULL);
	wk_agent_sock_close(srv);
	wk_keystore_free(ks);
	wk_buf_cleanup(&rec);
	wk_buf_cleanup(&once_rec);
	rmdir(subdir);
	rmdir(dir);
	return 0;
}

static int
dial(void)
{
	struct sockaddr_un sa;
	struct timeval tv = { .tv_sec = 5 };
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sockpath, strlen(sockpath) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* A safety net so a broken server fails the test, not hangs it. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Sends `req` and reads until EOF; returns what came back. */
static char *
ask(const void *req, size_t len)
{
	static char out[WK_SOCK_MAX_REPLY + 1];
	size_t got = 0;
	ssize_t n;
	int fd = dial();

	if (len > 0)
		assert_int_equal(send(fd, req, len, MSG_NOSIGNAL),
		    (ssize_t)len);
	for (;;) {
		n = read(fd, out + got, sizeof(out) - 1 - got);
		assert_true(n >= 0);	/* not a timeout */
		if (n == 0)
			break;
		got += (size_t)n;
	}
	out[got] = '\0';
	close(fd);
	return out;
}

static void
test_permissions(void **state)
{
	struct stat sb;
	struct group *gr = getgrnam("nogroup");

	(void)state;
	assert_int_equal(lstat(sockpath, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0660);
	assert_int_equal(sb.st_gid, gr->gr_gid);
	assert_int_equal(stat(subdir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0750);
	assert_int_equal(sb.st_gid, gr->gr_gid);
}

static void
test_lookup(void **state)
{
	char want[WK_KEYREC_MAX_LEN + 32];

	(void)state;
	snprintf(want, sizeof(want), "OK 1\n%zu\n%s", rec.len,
	    wk_buf_cstr(&rec));
	assert_string_equal(ask("LOOKUP 1 ubuntu\n", 16), want);
	assert_string_equal(ask("LOOKUP 1 admin\n", 15), "OK 0\n");
}

static void
test_bad_requests(void **state)
{
	char big[WK_SOCK_MAX_REQUEST + 72];

	(void)state;
	assert_string_equal(ask("LOOKUP 2 ubuntu\n", 16), "ERR version\n");
	assert_string_equal(ask("LOOKUP 1 bad/user\n", 18), "ERR user\n");
	assert_string_equal(ask("HELLO\n", 6), "ERR request\n");
	assert_string_equal(ask("LOOKUP 1 ubuntu\r\n", 17), "ERR request\n");
	memset(big, 'A', sizeof(big));
	assert_string_equal(ask(big, sizeof(big)), "ERR too-long\n");
	/* Nothing after the newline is allowed. */
	assert_string_equal(ask("LOOKUP 1 ubuntu\nX", 17), "ERR request\n");
}

static void
test_silent_and_trickling_clients(void **state)
{
	(void)state;
	/* Sends nothing, or half a line: dropped at the deadline (EOF). */
	assert_string_equal(ask(NULL, 0), "");
	assert_string_equal(ask("LOOKUP 1 ub", 11), "");
	/* The server still answers afterwards. */
	assert_string_equal(ask("LOOKUP 1 admin\n", 15), "OK 0\n");
}

static void
test_many_clients(void **state)
{
	int fds[40];
	size_t i;

	(void)state;
	/* More idle clients than slots: the server stays up. */
	for (i = 0; i < 40; i++)
		fds[i] = dial();
	for (i = 0; i < 40; i++)
		close(fds[i]);
	assert_string_equal(ask("LOOKUP 1 admin\n", 15), "OK 0\n");
}

/* In a child as nobody: CONSUME must get "ERR denied". */
static int
consume_as_nobody(const char *req)
{
	struct sockaddr_un sa;
	char out[64];
	size_t got = 0;
	ssize_t n;
	pid_t pid;
	int fd, st;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
		    setuid(65534) != 0)
			_exit(10);
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		memcpy(sa.sun_path, sockpath, strlen(sockpath) + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
		    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			_exit(11);
		if (send(fd, req, strlen(req), MSG_NOSIGNAL) !=
		    (ssize_t)strlen(req))
			_exit(12);
		while ((n = read(fd, out + got, sizeof(out) - 1 - got)) > 0)
			got += (size_t)n;
		out[got] = '\0';
		_exit(strcmp(out, "ERR denied\n") == 0 ? 0 : 13);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void
test_consume(void **state)
{
	char req[160], want[WK_KEYREC_MAX_LEN + 32];

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(want, sizeof(want), "OK 1\n%zu\n%s", once_rec.len,
	    wk_buf_cstr(&once_rec));
	assert_string_equal(ask("LOOKUP 1 deploy\n", 16), want);
	snprintf(req, sizeof(req), "CONSUME 1 deploy %s\n", once_fp);
	/* Not root (nobody, in the socket's group): refused, still served. */
	assert_int_equal(chmod(dir, 0711), 0);
	assert_int_equal(consume_as_nobody(req), 0);
	assert_int_equal(chmod(dir, 0700), 0);
	assert_string_equal(ask("LOOKUP 1 deploy\n", 16), want);
	/* Root: consumed, gone for later lookups; a second CONSUME is OK. */
	assert_string_equal(ask(req, strlen(req)), "OK\n");
	assert_string_equal(ask("LOOKUP 1 deploy\n", 16), "OK 0\n");
	assert_string_equal(ask(req, strlen(req)), "OK\n");
	/* A multi-use record with the same key is not affected. */
	snprintf(req, sizeof(req), "CONSUME 1 ubuntu %s\n", multi_fp);
	assert_string_equal(ask(req, strlen(req)), "OK\n");
	snprintf(want, sizeof(want), "OK 1\n%zu\n%s", rec.len,
	    wk_buf_cstr(&rec));
	assert_string_equal(ask("LOOKUP 1 ubuntu\n", 16), want);
	/* Malformed CONSUMEs */
	assert_string_equal(ask("CONSUME 1 deploy SHA256:x\n", 26),
	    "ERR fingerprint\n");
	assert_string_equal(ask("CONSUME 1 deploy\n", 17), "ERR request\n");
}

static void
test_second_server_refused(void **state)
{
	struct wk_agent_sock *other;
	char path[4300];

	(void)state;
	assert_int_equal(wk_agent_sock_open(sockpath, (gid_t)-1, ks, &other),
	    WK_ERR_EXISTS);
	/* A relative path is refused. */
	assert_int_equal(wk_agent_sock_open("agent.sock", (gid_t)-1, ks,
	    &other), WK_ERR_INVAL);
	/* A regular file in the way is not removed. */
	snprintf(path, sizeof(path), "%s/file", dir);
	fclose(fopen(path, "w"));
	assert_int_equal(wk_agent_sock_open(path, (gid_t)-1, ks, &other),
	    WK_ERR_EXISTS);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_silent_and_trickling_clients),
		cmocka_unit_test(test_many_clients),
		cmocka_unit_test(test_consume),
		cmocka_unit_test(test_second_server_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
