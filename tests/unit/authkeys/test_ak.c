/*
 * End-to-end tests of wicket-authorized-keys' logic (wk_ak_main) against
 * the agent's real socket server and against a fake agent that serves
 * prepared replies: only records that fully verify are printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "../safe_dir.h"

#include "agent/agent.h"
#include "authkeys/authkeys.h"
#include "common/err.h"
#include "common/time.h"
#include "crypto/keyrec.h"
#include "crypto/sshkey.h"

#define INSTANCE "i-0123456789abcdef0"

struct fixture {
	char dir[4096];
	char sock[4200];
	struct wk_signkey *pinned;
	struct wk_signkey *stranger;
	struct wk_buf pub[2];
	char fp[2][WK_SSHKEY_FP_LEN];
};

static struct fixture fx;

static int
setup(void **state)
{
	char norm_fp[WK_SSHKEY_FP_LEN];
	struct wk_pubkey pk;
	struct wk_buf priv, norm;
	int i;

	assert_non_null(wk_test_safe_mkdtemp(fx.dir, sizeof(fx.dir), "ak-test"));
	snprintf(fx.sock, sizeof(fx.sock), "%s/agent.sock", fx.dir);
	assert_int_equal(wk_signkey_generate(&fx.pinned), 0);
	assert_int_equal(wk_signkey_generate(&fx.stranger), 0);
	wk_signkey_public(fx.pinned, &pk);
	assert_int_equal(wk_agent_trust_write(fx.dir, INSTANCE, &pk, 1), 0);
	for (i = 0; i < 2; i++) {
		wk_buf_init(&fx.pub[i], 4096);
		wk_buf_init(&priv, 8192);
		wk_buf_init(&norm, 4096);
		assert_int_equal(wk_sshkey_generate_ed25519(&fx.pub[i], &priv),
		    0);
		assert_int_equal(wk_sshkey_validate(wk_buf_span(&fx.pub[i]),
		    &norm, norm_fp, NULL), 0);
		memcpy(fx.fp[i], norm_fp, sizeof(norm_fp));
		wk_buf_cleanup_secret(&priv);
		wk_buf_cleanup(&norm);
	}
	*state = &fx;
	return 0;
}

static int
teardown(void **state)
{
	char p[4200];

	(void)state;
	snprintf(p, sizeof(p), "%s/trust", fx.dir);
	unlink(p);
	unlink(fx.sock);
	rmdir(fx.dir);
	wk_signkey_free(fx.pinned);
	wk_signkey_free(fx.stranger);
	wk_buf_cleanup(&fx.pub[0]);
	wk_buf_cleanup(&fx.pub[1]);
	return 0;
}

static void
make_rec(const struct wk_signkey *k, const char *inst, const char *user,
    int64_t issued, int64_t expires, int which, const char *req,
    struct wk_buf *out)
{
	struct wk_keyrec rec;

	memset(&rec, 0, sizeof(rec));
	rec.issued = issued;
	rec.expires = expires;
	snprintf(rec.instance_id, sizeof(rec.instance_id), "%s", inst);
	snprintf(rec.os_user, sizeof(rec.os_user), "%s", user);
	snprintf(rec.caller_arn, sizeof(rec.caller_arn),
	    "arn:aws:iam::123456789012:user/alice");
	snprintf(rec.request_id, sizeof(rec.request_id), "%s", req);
	snprintf(rec.pubkey, sizeof(rec.pubkey), "%s",
	    wk_buf_cstr(&fx.pub[which]));
	wk_buf_init(out, WK_KEYREC_MAX_LEN);
	assert_int_equal(wk_keyrec_sign(&rec, k, out), 0);
}

/* Runs the helper; returns its status, output in *text (free it). */
static int
run_ak(const char *user, const char *fp, char **text)
{
	char *argv[8];
	size_t size = 0;
	FILE *out;
	int argc = 0, rc;

	argv[argc++] = (char *)(uintptr_t)"wicket-authorized-keys";
	argv[argc++] = (char *)(uintptr_t)"--state";
	argv[argc++] = fx.dir;
	argv[argc++] = (char *)(uintptr_t)"--socket";
	argv[argc++] = fx.sock;
	argv[argc++] = (char *)(uintptr_t)user;
	if (fp != NULL)
		argv[argc++] = (char *)(uintptr_t)fp;
	argv[argc] = NULL;
	*text = NULL;
	out = open_memstream(text, &size);
	assert_non_null(out);
	rc = wk_ak_main(argc, argv, out);
	fclose(out);
	return rc;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

/* ---- the agent's real socket server, stepped by a thread ---- */

struct server_thread {
	struct wk_agent_sock *sock;
	atomic_bool stop;
};

static void *
server_main(void *arg)
{
	struct server_thread *st = arg;

	while (!atomic_load(&st->stop))
		(void)wk_agent_sock_step(st->sock, 20);
	return NULL;
}

static void
test_real_agent(void **state)
{
	struct server_thread st;
	struct wk_keystore *ks;
	struct wk_buf a, b;
	pthread_t th;
	time_t now = wk_wall_now();
	char *text;
	int rc;

	(void)state;
	assert_int_equal(wk_keystore_new(64, &ks), 0);
	make_rec(fx.pinned, INSTANCE, "ubuntu", now, now + 60, 0, "req-a", &a);
	make_rec(fx.pinned, INSTANCE, "ubuntu", now, now + 60, 1, "req-b", &b);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&a), now), 0);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&b), now), 0);
	assert_int_equal(wk_agent_sock_open(fx.sock, (gid_t)-1, ks, &st.sock),
	    0);
	/* A second agent on the same path is refused. */
	{
		struct wk_agent_sock *dup;

		assert_int_equal(wk_agent_sock_open(fx.sock, (gid_t)-1, ks,
		    &dup), WK_ERR_EXISTS);
	}
	atomic_store(&st.stop, false);
	assert_int_equal(pthread_create(&th, NULL, server_main, &st), 0);

	rc = run_ak("ubuntu", NULL, &text);
	assert_int_equal(rc, 0);
	assert_int_equal(count_lines(text), 2);
	assert_non_null(strstr(text, wk_buf_cstr(&fx.pub[0])));
	assert_non_null(strstr(text, wk_buf_cstr(&fx.pub[1])));
	assert_non_null(strstr(text, "expiry-time=\""));
	assert_non_null(strstr(text, " wicket:req-a\n"));
	free(text);

	/* %f filter: only the matching key. */
	rc = run_ak("ubuntu", fx.fp[1], &text);
	assert_int_equal(rc, 0);
	assert_int_equal(count_lines(text), 1);
	assert_non_null(strstr(text, wk_buf_cstr(&fx.pub[1])));
	assert_null(strstr(text, wk_buf_cstr(&fx.pub[0])));
	free(text);

	/* Another user has nothing; a bad fingerprint argument fails. */
	rc = run_ak("admin", NULL, &text);
	assert_int_equal(rc, 0);
	assert_string_equal(text, "");
	free(text);
	rc = run_ak("ubuntu", "MD5:aa:bb", &text);
	assert_int_not_equal(rc, 0);
	assert_string_equal(text, "");
	free(text);

	atomic_store(&st.stop, true);
	pthread_join(th, NULL);
	wk_agent_sock_close(st.sock);
	/* The socket is gone with the agent: fail closed. */
	rc = run_ak("ubuntu", NULL, &text);
	assert_int_not_equal(rc, 0);
	assert_string_equal(text, "");
	free(text);
	wk_keystore_free(ks);
	wk_buf_cleanup(&a);
	wk_buf_cleanup(&b);
}

/* ---- a fake agent: one connection, a prepared reply ---- */

struct fake {
	int lfd;
	struct wk_buf reply;
	char request[WK_SOCK_MAX_REQUEST + 1];
};

static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	ssize_t n;
	size_t off = 0;
	int fd;

	fd = accept(f->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	n = read(fd, f->request, sizeof(f->request) - 1);
	if (n > 0)
		f->request[n] = '\0';
	while (off < f->reply.len) {
		n = write(fd, f->reply.p + off, f->reply.len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	return NULL;
}

static void
fake_start(struct fake *f, pthread_t *th)
{
	struct sockaddr_un sa;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(strlen(fx.sock) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, fx.sock, strlen(fx.sock) + 1);
	unlink(fx.sock);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	f->request[0] = '\0';
	assert_int_equal(pthread_create(th, NULL, fake_main, f), 0);
}

static void
fake_stop(struct fake *f, pthread_t th)
{
	pthread_join(th, NULL);
	close(f->lfd);
	unlink(fx.sock);
	wk_buf_cleanup(&f->reply);
}

/* Serves `recs` (raw reply when raw != NULL) and runs the helper. */
static int
serve_and_run(const struct wk_span *recs, size_t n, const char *raw,
    const char *fp, char **text)
{
	struct fake f;
	pthread_t th;
	int rc;

	wk_buf_init(&f.reply, WK_SOCK_MAX_REPLY);
	if (raw != NULL)
		assert_int_equal(wk_buf_append_str(&f.reply, raw), 0);
	else
		assert_int_equal(wk_agent_format_reply(&f.reply, recs, n), 0);
	fake_start(&f, &th);
	rc = run_ak("ubuntu", fp, text);
	fake_stop(&f, th);
	/* With a fingerprint, a leased lookup for this login (sshd's pid,
	 * here our parent's). */
	if (fp != NULL && getppid() > 1) {
		char want[WK_SOCK_MAX_REQUEST + 1];

		snprintf(want, sizeof(want), "LOOKUP 1 ubuntu %s sshd-%ld\n",
		    fp, (long)getppid());
		assert_string_equal(f.request, want);
	} else {
		assert_string_equal(f.request, "LOOKUP 1 ubuntu\n");
	}
	return rc;
}

static void
test_bad_records_not_printed(void **state)
{
	struct wk_buf good, bad[6];
	struct wk_span all[7];
	time_t now = wk_wall_now();
	char *text;
	size_t i;
	int rc;

	(void)state;
	make_rec(fx.pinned, INSTANCE, "ubuntu", now, now + 60, 0, "good",
	    &good);
	/* Tampered: one byte of the signed part changed (the request id). */
	make_rec(fx.pinned, INSTANCE, "ubuntu", now, now + 60, 1, "tamper",
	    &bad[0]);
	{
		char *p = strstr((char *)bad[0].p, "#Request=tamper");

		assert_non_null(p);
		p[9] = 'T';
	}
	make_rec(fx.pinned, "i-0fedcba9876543210", "ubuntu", now, now + 60, 1,
	    "other-instance", &bad[1]);
	make_rec(fx.pinned, INSTANCE, "root", now, now + 60, 1, "other-user",
	    &bad[2]);
	make_rec(fx.pinned, INSTANCE, "ubuntu", now - 120, now - 60, 1,
	    "expired", &bad[3]);
	make_rec(fx.stranger, INSTANCE, "ubuntu", now, now + 60, 1,
	    "unknown-key", &bad[4]);
	make_rec(fx.pinned, INSTANCE, "ubuntu", now + 3600, now + 3660, 1,
	    "future", &bad[5]);

	/* Mixed: only the good one is printed. */
	all[0] = wk_buf_span(&good);
	for (i = 0; i < 6; i++)
		all[i + 1] = wk_buf_span(&bad[i]);
	rc = serve_and_run(all, 7, NULL, NULL, &text);
	assert_int_equal(rc, 0);
	assert_int_equal(count_lines(text), 1);
	assert_non_null(strstr(text, " wicket:good\n"));
	assert_non_null(strstr(text, wk_buf_cstr(&fx.pub[0])));
	free(text);

	/* Each bad one alone: nothing printed. */
	for (i = 0; i < 6; i++) {
		all[0] = wk_buf_span(&bad[i]);
		rc = serve_and_run(all, 1, NULL, NULL, &text);
		assert_string_equal(text, "");
		free(text);
		(void)rc;
	}

	/* The good one, filtered out by another fingerprint. */
	all[0] = wk_buf_span(&good);
	rc = serve_and_run(all, 1, NULL, fx.fp[1], &text);
	assert_int_equal(rc, 0);
	assert_string_equal(text, "");
	free(text);

	wk_buf_cleanup(&good);
	for (i = 0; i < 6; i++)
		wk_buf_cleanup(&bad[i]);
}

static void
test_malformed_replies_fail_closed(void **state)
{
	static const char *const raws[] = {
		"", "ERR internal\n", "OK\n", "OK 1\n", "OK 65\n", "OK 1\n0\n",
		"OK 1\n9999\nabc", "OK 1\n3\nabcd", "OK -1\n", "OK 1\n 3\nabc",
		"HELLO\n", "OK 01x\n",
	};
	struct wk_buf good, raw;
	struct wk_span one;
	time_t now = wk_wall_now();
	char *text;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
		rc = serve_and_run(NULL, 0, raws[i], NULL, &text);
		assert_int_not_equal(rc, 0);
		assert_string_equal(text, "");
		free(text);
	}
	/* A valid record followed by junk: still nothing. */
	make_rec(fx.pinned, INSTANCE, "ubuntu", now, now + 60, 0, "good",
	    &good);
	one = wk_buf_span(&good);
	wk_buf_init(&raw, WK_SOCK_MAX_REPLY);
	assert_int_equal(wk_agent_format_reply(&raw, &one, 1), 0);
	assert_int_equal(wk_buf_append_str(&raw, "junk"), 0);
	rc = serve_and_run(NULL, 0, wk_buf_cstr(&raw), NULL, &text);
	assert_int_not_equal(rc, 0);
	assert_string_equal(text, "");
	free(text);
	/* ... and without the junk it is printed (the control case). */
	rc = serve_and_run(&one, 1, NULL, NULL, &text);
	assert_int_equal(rc, 0);
	assert_int_equal(count_lines(text), 1);
	free(text);
	wk_buf_cleanup(&raw);
	wk_buf_cleanup(&good);
}

static void
test_args_and_trust(void **state)
{
	char *argv[4], path[4200], *text;
	FILE *out;
	size_t size;
	int rc;

	(void)state;
	/* Agent down (no socket). */
	unlink(fx.sock);
	rc = run_ak("ubuntu", NULL, &text);
	assert_int_not_equal(rc, 0);
	assert_string_equal(text, "");
	free(text);
	/* Invalid user names. */
	rc = run_ak("bad user", NULL, &text);
	assert_int_not_equal(rc, 0);
	free(text);
	rc = run_ak("abcdefghijabcdefghijabcdefghij123", NULL, &text);
	assert_int_not_equal(rc, 0);
	free(text);
	/* Usage errors. */
	argv[0] = (char *)(uintptr_t)"wicket-authorized-keys";
	argv[1] = NULL;
	out = open_memstream(&text, &size);
	assert_int_not_equal(wk_ak_main(1, argv, out), 0);
	fclose(out);
	free(text);
	argv[1] = (char *)(uintptr_t)"--bogus";
	argv[2] = (char *)(uintptr_t)"ubuntu";
	argv[3] = NULL;
	out = open_memstream(&text, &size);
	assert_int_not_equal(wk_ak_main(3, argv, out), 0);
	fclose(out);
	free(text);
	/* Unsafe trust file: fail before asking the agent. */
	snprintf(path, sizeof(path), "%s/trust", fx.dir);
	assert_int_equal(chmod(path, 0666), 0);
	rc = run_ak("ubuntu", NULL, &text);
	assert_int_not_equal(rc, 0);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(chmod(path, 0644), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_agent),
		cmocka_unit_test(test_bad_records_not_printed),
		cmocka_unit_test(test_malformed_replies_fail_closed),
		cmocka_unit_test(test_args_and_trust),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
