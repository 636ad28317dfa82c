/*
 * test_sshkey.c - public key line validation against keys made by the real
 * ssh-keygen, fingerprints compared with `ssh-keygen -lf`, crafted bad
 * blobs, and generated pairs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/encode.h"
#include "common/err.h"
#include "crypto/sshkey.h"

static char tmpdir[PATH_MAX];

/* Runs argv (no shell), capturing stdout into out (may be NULL). */
static int
run(char *const argv[], struct wk_buf *out)
{
	int pfd[2], status;
	pid_t pid;
	char buf[1024];
	ssize_t n;

	if (pipe(pfd) != 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		(void)!freopen("/dev/null", "w", stderr);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf, sizeof(buf))) > 0)
		if (out != NULL)
			assert_int_equal(wk_buf_append(out, buf, (size_t)n), 0);
	close(pfd[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
read_all(const char *path, struct wk_buf *out)
{
	char buf[4096];
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		assert_int_equal(wk_buf_append(out, buf, n), 0);
	fclose(f);
}

/* ssh-keygen -t type [-b bits]; the .pub line lands in pub. */
static void
keygen(const char *name, const char *type, const char *bits,
    struct wk_buf *pub, char fp_out[128])
{
	char path[PATH_MAX + 64], pubpath[PATH_MAX + 64];
	struct wk_buf lf;
	char *argv[16];
	int i = 0;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	snprintf(pubpath, sizeof(pubpath), "%s/%s.pub", tmpdir, name);
	argv[i++] = (char *)(uintptr_t)"ssh-keygen";
	argv[i++] = (char *)(uintptr_t)"-q";
	argv[i++] = (char *)(uintptr_t)"-t";
	argv[i++] = (char *)(uintptr_t)type;
	if (bits != NULL) {
		argv[i++] = (char *)(uintptr_t)"-b";
		argv[i++] = (char *)(uintptr_t)bits;
	}
	argv[i++] = (char *)(uintptr_t)"-N";
	argv[i++] = (char *)(uintptr_t)"";
	argv[i++] = (char *)(uintptr_t)"-C";
	argv[i++] = (char *)(uintptr_t)"test@host comment";
	argv[i++] = (char *)(uintptr_t)"-f";
	argv[i++] = path;
	argv[i] = NULL;
	assert_int_equal(run(argv, NULL), 0);
	read_all(pubpath, pub);
	/* "256 SHA256:xxxx comment (ED25519)" */
	wk_buf_init(&lf, 4096);
	{
		char *lfargv[] = { (char *)(uintptr_t)"ssh-keygen",
			(char *)(uintptr_t)"-lf", pubpath, NULL };

		assert_int_equal(run(lfargv, &lf), 0);
	}
	{
		const char *s = strchr(wk_buf_cstr(&lf), ' ');
		const char *e;

		assert_non_null(s);
		s++;
		e = strchr(s, ' ');
		assert_non_null(e);
		assert_true((size_t)(e - s) < 128);
		memcpy(fp_out, s, (size_t)(e - s));
		fp_out[e - s] = '\0';
	}
	wk_buf_cleanup(&lf);
	unlink(path);
	unlink(pubpath);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/wk-sshkey-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	rmdir(tmpdir);
	return 0;
}

static int
validate(const char *line, struct wk_buf *norm, char fp[WK_SSHKEY_FP_LEN],
    const char **why)
{
	return wk_sshkey_validate(wk_span_from_cstr(line), norm, fp, why);
}

static void
test_real_keys(void **state)
{
	static const struct {
		const char *type, *bits;
		bool ok;
	} cases[] = {
		{ "ed25519", NULL, true },
		{ "ecdsa", "256", true },
		{ "ecdsa", "384", true },
		{ "ecdsa", "521", true },
		{ "rsa", "2048", true },
		{ "rsa", "1024", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wk_buf pub, norm;
		char want_fp[128], fp[WK_SSHKEY_FP_LEN];
		const char *why = NULL, *sp;
		int r;

		wk_buf_init(&pub, 8192);
		wk_buf_init(&norm, 8192);
		keygen("k", cases[i].type, cases[i].bits, &pub, want_fp);
		/* The .pub file as sent by `file://k.pub`: with its "\n". */
		r = wk_sshkey_validate(wk_buf_span(&pub), &norm, fp, &why);
		if (!cases[i].ok) {
			assert_int_equal(r, WK_ERR_INVAL);
			assert_non_null(why);
			assert_string_equal(fp, "");
			assert_non_null(strstr(why, "RSA"));
			goto next;
		}
		if (r != 0) {
			print_error("%s: %s\n", wk_buf_cstr(&pub), why);
			fail();
		}
		assert_string_equal(fp, want_fp);
		assert_int_equal(strlen(fp), WK_SSHKEY_FP_LEN - 1);
		/* normalised: "type base64", comment and newline dropped */
		sp = strchr(wk_buf_cstr(&pub), ' ');
		sp = strchr(sp + 1, ' ');
		assert_int_equal(norm.len, (size_t)(sp - wk_buf_cstr(&pub)));
		assert_memory_equal(norm.p, pub.p, norm.len);
		/* the normalised form validates to itself */
		{
			struct wk_buf n2;
			char fp2[WK_SSHKEY_FP_LEN];

			wk_buf_init(&n2, 8192);
			assert_int_equal(wk_sshkey_validate(wk_buf_span(&norm),
			    &n2, fp2, NULL), 0);
			assert_true(wk_span_eq(wk_buf_span(&n2),
			    wk_buf_span(&norm)));
			assert_string_equal(fp2, fp);
			wk_buf_cleanup(&n2);
		}
next:
		wk_buf_cleanup(&pub);
		wk_buf_cleanup(&norm);
	}
}

/* An SSH string (uint32 length + bytes) appended to b. */
static void
put_string(struct wk_buf *b, const void *p, size_t n)
{
	uint8_t len[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16),
		(uint8_t)(n >> 8), (uint8_t)n };

	assert_int_equal(wk_buf_append(b, len, 4), 0);
	assert_int_equal(wk_buf_append(b, p, n), 0);
}

/* "outer base64(blob)" */
static void
make_line(struct wk_buf *line, const char *outer, const struct wk_buf *blob)
{
	wk_buf_reset(line);
	assert_int_equal(wk_buf_appendf(line, "%s ", outer), 0);
	assert_int_equal(wk_base64_encode(line, blob->p, blob->len), 0);
}

static void
test_bad_lines(void **state)
{
	/* A valid ed25519 key (from ssh-keygen). */
	static const char *good = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGn"
	    "n8jUVPmK9+tB7Bm9clQWGLOUgAYTTbmYdTMxI2cPi";
	static const struct {
		const char *line;
		const char *why;	/* substring */
	} bad[] = {
		{ "", "empty" },
		{ "\n", "empty" },
		{ "ssh-ed25519", "missing" },
		{ "ssh-ed25519 ", "missing" },
		{ "ssh-ed25519 AAAA!!!!", "base64" },
		{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGn", "base64" },
		{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnn8jUVPmK9+tB7Bm9clQ"
		    "WGLOUgAYTTbmYdTMxI2cPi\n\n", "line" },
		{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnn8jUVPmK9+tB7Bm9clQ"
		    "WGLOUgAYTTbmYdTMxI2cPi\nssh-ed25519 AAAA", "line" },
		{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnn8jUVPmK9+tB7Bm9clQ"
		    "WGLOUgAYTTbmYdTMxI2cPi a\rb", "line" },
		{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnn8jUVPmK9+tB7Bm9clQ"
		    "WGLOUgAYTTbmYdTMxI2cPi a\tb", "non-printable" },
		{ "command=\"x\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnn8jUVP"
		    "mK9+tB7Bm9clQWGLOUgAYTTbmYdTMxI2cPi", "options" },
		{ "no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnn8jUVPmK9+tB7"
		    "Bm9clQWGLOUgAYTTbmYdTMxI2cPi", "unsupported" },
		{ " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnn8jUVPmK9+tB7Bm9clQ"
		    "WGLOUgAYTTbmYdTMxI2cPi", "unsupported" },
		{ "ssh-dss AAAAB3NzaC1kc3MAAACBAP", "unsupported" },
		/* outer type differs from the blob's */
		{ "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIGnn8jUVPmK9+tB7Bm9clQWGLOU"
		    "gAYTTbmYdTMxI2cPi", "does not match" },
		{ "ecdsa-sha2-nistp256 AAAAC3NzaC1lZDI1NTE5AAAAIGnn8jUVPmK9+tB"
		    "7Bm9clQWGLOUgAYTTbmYdTMxI2cPi", "does not match" },
		/* non-canonical base64 (bits under the padding set) */
		{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnn8jUVPmK9+tB7Bm9clQ"
		    "WGLOUgAYTTbmYdTMxI2cPiAB==", "base64" },
		{ "ssh-ed25519 =AAAC3NzaC1lZDI1NTE5AAAAIGnn8jUVPmK9+tB7Bm9clQ"
		    "WGLOUgAYTTbmYdTMxI2cPi", "base64" },
	};
	struct wk_buf norm, blob, line;
	char fp[WK_SSHKEY_FP_LEN];
	const char *why;
	uint8_t pk[32];

	(void)state;
	wk_buf_init(&norm, 8192);
	wk_buf_init(&blob, 8192);
	wk_buf_init(&line, 16384);
	assert_int_equal(validate(good, &norm, fp, &why), 0);
	/* a comment with spaces, runs of spaces, a trailing CRLF */
	wk_buf_reset(&norm);
	wk_buf_reset(&line);
	assert_int_equal(wk_buf_appendf(&line, "%.11s   %s  a b c\r\n", good,
	    good + 12), 0);
	assert_int_equal(validate(wk_buf_cstr(&line), &norm, fp, &why), 0);
	assert_string_equal(wk_buf_cstr(&norm), good);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wk_buf_reset(&norm);
		why = NULL;
		if (validate(bad[i].line, &norm, fp, &why) != WK_ERR_INVAL) {
			print_error("accepted: %s\n", bad[i].line);
			fail();
		}
		assert_non_null(why);
		if (strstr(why, bad[i].why) == NULL) {
			print_error("%s: why=%s\n", bad[i].line, why);
			fail();
		}
		assert_int_equal(norm.len, 0);
	}
	/* embedded NUL */
	assert_int_equal(wk_sshkey_validate(wk_span_from_mem(
	    "ssh-ed25519 AAAA\0", 17), &norm, fp, NULL), WK_ERR_INVAL);

	/* crafted blobs: trailing bytes, short key, wrong curve */
	memset(pk, 7, sizeof(pk));
	put_string(&blob, "ssh-ed25519", 11);
	put_string(&blob, pk, 32);
	assert_int_equal(wk_buf_putc(&blob, 0), 0);
	make_line(&line, "ssh-ed25519", &blob);
	assert_int_equal(validate(wk_buf_cstr(&line), &norm, fp, &why),
	    WK_ERR_INVAL);
	assert_non_null(strstr(why, "trailing"));
	wk_buf_reset(&blob);
	put_string(&blob, "ssh-ed25519", 11);
	put_string(&blob, pk, 31);
	make_line(&line, "ssh-ed25519", &blob);
	assert_int_equal(validate(wk_buf_cstr(&line), &norm, fp, &why),
	    WK_ERR_INVAL);
	wk_buf_reset(&blob);
	put_string(&blob, "ssh-ed25519", 11);
	make_line(&line, "ssh-ed25519", &blob);
	assert_int_equal(validate(wk_buf_cstr(&line), &norm, fp, &why),
	    WK_ERR_INVAL);
	assert_non_null(strstr(why, "truncated"));
	{
		uint8_t q[65];

		memset(q, 1, sizeof(q));
		q[0] = 4;
		wk_buf_reset(&blob);
		put_string(&blob, "ecdsa-sha2-nistp256", 19);
		put_string(&blob, "nistp384", 8);
		put_string(&blob, q, sizeof(q));
		make_line(&line, "ecdsa-sha2-nistp256", &blob);
		assert_int_equal(validate(wk_buf_cstr(&line), &norm, fp,
		    &why), WK_ERR_INVAL);
		assert_non_null(strstr(why, "curve"));
		/* right curve, point not on it: libssh refuses */
		wk_buf_reset(&blob);
		put_string(&blob, "ecdsa-sha2-nistp256", 19);
		put_string(&blob, "nistp256", 8);
		put_string(&blob, q, sizeof(q));
		make_line(&line, "ecdsa-sha2-nistp256", &blob);
		assert_int_equal(validate(wk_buf_cstr(&line), &norm, fp,
		    &why), WK_ERR_INVAL);
	}
	/* a 5000-byte line */
	wk_buf_reset(&line);
	assert_int_equal(wk_buf_append_str(&line, good), 0);
	assert_int_equal(wk_buf_putc(&line, ' '), 0);
	while (line.len < 5000)
		assert_int_equal(wk_buf_putc(&line, 'x'), 0);
	assert_int_equal(validate(wk_buf_cstr(&line), &norm, fp, &why),
	    WK_ERR_INVAL);
	assert_non_null(strstr(why, "too long"));
	/* 4096 exactly is still fine */
	line.len = 4096;
	line.p[4096] = '\0';
	assert_int_equal(validate(wk_buf_cstr(&line), &norm, fp, &why), 0);
	wk_buf_cleanup(&norm);
	wk_buf_cleanup(&blob);
	wk_buf_cleanup(&line);
}

static void
test_fingerprint_blob(void **state)
{
	char fp[WK_SSHKEY_FP_LEN];

	(void)state;
	/* SHA-256("") = 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= */
	assert_int_equal(wk_sshkey_fingerprint_blob(WK_SPAN_NULL, fp), 0);
	assert_string_equal(fp,
	    "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
}

static void
test_generate(void **state)
{
	struct wk_buf pub, priv, norm;
	char fp[WK_SSHKEY_FP_LEN], path[PATH_MAX + 32], want[128];
	struct wk_buf derived;
	FILE *f;

	(void)state;
	wk_buf_init(&pub, 8192);
	wk_buf_init(&priv, 8192);
	wk_buf_init(&norm, 8192);
	wk_buf_init(&derived, 8192);
	assert_int_equal(wk_sshkey_generate_ed25519(&pub, &priv), 0);
	assert_true(wk_span_starts_with(wk_buf_span(&pub), "ssh-ed25519 "));
	assert_true(wk_span_starts_with(wk_buf_span(&priv),
	    "-----BEGIN OPENSSH PRIVATE KEY-----"));
	assert_int_equal(wk_sshkey_validate(wk_buf_span(&pub), &norm, fp,
	    NULL), 0);
	/* ssh-keygen derives the same public key from the private one */
	snprintf(path, sizeof(path), "%s/gen", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(priv.p, 1, priv.len, f), priv.len);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	{
		char *argv[] = { (char *)(uintptr_t)"ssh-keygen",
			(char *)(uintptr_t)"-y", (char *)(uintptr_t)"-f",
			path, NULL };

		assert_int_equal(run(argv, &derived), 0);
	}
	snprintf(want, sizeof(want), "%s", wk_buf_cstr(&pub));
	assert_true(wk_span_starts_with(wk_buf_span(&derived), want));
	unlink(path);
	wk_buf_cleanup(&pub);
	wk_buf_cleanup_secret(&priv);
	wk_buf_cleanup(&norm);
	wk_buf_cleanup(&derived);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_keys),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_fingerprint_blob),
		cmocka_unit_test(test_generate),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
