/*
 * keyrec_tool - test tool for the host-side trust tests: makes signing
 * keys, signs arbitrary key records (with any key, any times, any user or
 * instance), and fetches the raw records an agent serves on its socket,
 * so the tests can replay, tamper with and forge records.
 *
 *   keyrec_tool genkey PEM
 *   keyrec_tool pubkey PEM                 (prints "<id> <base64>")
 *   keyrec_tool sign PEM INSTANCE USER ISSUED EXPIRES PUBKEY-FILE
 *   keyrec_tool lookup SOCKET USER OUTDIR  (writes OUTDIR/rec-N, prints N)
 *   keyrec_tool rotation SIGNER-PEM SEQ NEWKEY-PEM NOT-BEFORE
 *                                          (a rotation statement, as
 *                                          wicketd makes it)
 *   keyrec_tool rotation-raw SIGNER-PEM SEQ NEWKEY-PEM NOT-BEFORE LABEL
 *                                          (the same, formatted by hand:
 *                                          #Signer=LABEL whatever key signs,
 *                                          a key may vouch for itself; for
 *                                          forgeries)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/encode.h"
#include "common/err.h"
#include "crypto/keyrec.h"
#include "crypto/rotation.h"
#include "crypto/signkey.h"

static int
usage(void)
{
	fprintf(stderr, "usage: keyrec_tool genkey PEM | pubkey PEM |\n"
	    "       sign PEM INSTANCE USER ISSUED EXPIRES PUBKEY-FILE |\n"
	    "       lookup SOCKET USER OUTDIR |\n"
	    "       rotation SIGNER-PEM SEQ NEWKEY-PEM NOT-BEFORE |\n"
	    "       rotation-raw SIGNER-PEM SEQ NEWKEY-PEM NOT-BEFORE LABEL |\n"
	    "       consume SOCKET USER FINGERPRINT   (prints the reply line;\n"
	    "                                         exit 0 only on OK)\n");
	return 2;
}

static int
read_file(const char *path, struct wk_buf *out)
{
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return WK_ERR_IO;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (wk_buf_append(out, chunk, (size_t)n) != 0) {
			close(fd);
			return WK_ERR_TOOBIG;
		}
	close(fd);
	return n < 0 ? WK_ERR_IO : 0;
}

static int
copy_field(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstsz)
		return WK_ERR_TOOBIG;
	memcpy(dst, src, n + 1);
	return 0;
}

static int
cmd_sign(char **argv)
{
	struct wk_signkey *key = NULL;
	struct wk_keyrec rec;
	struct wk_buf pub, out;
	uint64_t issued, expires;
	int r;

	memset(&rec, 0, sizeof(rec));
	wk_buf_init(&pub, 8192);
	wk_buf_init(&out, WK_KEYREC_MAX_LEN);
	if ((r = wk_signkey_load(argv[0], &key)) != 0 ||
	    (r = wk_cstr_to_u64(argv[3], INT64_MAX, &issued)) != 0 ||
	    (r = wk_cstr_to_u64(argv[4], INT64_MAX, &expires)) != 0 ||
	    (r = read_file(argv[5], &pub)) != 0)
		goto out;
	rec.issued = (int64_t)issued;
	rec.expires = (int64_t)expires;
	/* "type base64 [comment]\n" -> "type base64" */
	{
		struct wk_span all = wk_span_trim(wk_buf_span(&pub)), type, rest,
		    b64, cmt;

		wk_span_split(all, ' ', &type, &rest);
		wk_span_split(rest, ' ', &b64, &cmt);
		if (type.len + 1 + b64.len >= sizeof(rec.pubkey)) {
			r = WK_ERR_TOOBIG;
			goto out;
		}
		memcpy(rec.pubkey, type.p, type.len);
		rec.pubkey[type.len] = ' ';
		memcpy(rec.pubkey + type.len + 1, b64.p, b64.len);
		rec.pubkey[type.len + 1 + b64.len] = '\0';
	}
	if ((r = copy_field(rec.instance_id, sizeof(rec.instance_id),
	    argv[1])) != 0 ||
	    (r = copy_field(rec.os_user, sizeof(rec.os_user), argv[2])) != 0 ||
	    (r = copy_field(rec.caller_arn, sizeof(rec.caller_arn),
	    "arn:aws:iam::123456789012:user/forger")) != 0 ||
	    (r = copy_field(rec.request_id, sizeof(rec.request_id),
	    "00000000-0000-4000-8000-000000000000")) != 0)
		goto out;
	if ((r = wk_keyrec_sign(&rec, key, &out)) != 0)
		goto out;
	fwrite(out.p, 1, out.len, stdout);
 out:
	if (r != 0)
		fprintf(stderr, "keyrec_tool sign: %s\n", wk_strerror(r));
	wk_signkey_free(key);
	wk_buf_cleanup(&pub);
	wk_buf_cleanup(&out);
	return r == 0 ? 0 : 1;
}

static int
cmd_lookup(const char *sock, const char *user, const char *outdir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct wk_buf reply;
	char chunk[4096], path[4096];
	ssize_t n;
	size_t pos, count = 0;
	uint64_t nrec, len;
	int fd = -1, status = 1;

	wk_buf_init(&reply, 1 << 20);
	if (strlen(sock) >= sizeof(sa.sun_path))
		goto out;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		goto out;
	if (dprintf(fd, "LOOKUP 1 %s\n", user) < 0)
		goto out;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (wk_buf_append(&reply, chunk, (size_t)n) != 0)
			goto out;
	/* "OK <n>\n" then n x "<len>\n<bytes>" */
	{
		struct wk_span all = wk_buf_span(&reply), line, rest;

		if (!wk_span_split(all, '\n', &line, &rest) ||
		    !wk_span_starts_with(line, "OK ") ||
		    wk_span_to_u64((struct wk_span){ line.p + 3, line.len - 3 },
		    64, &nrec) != 0)
			goto out;
		pos = (size_t)(rest.p - reply.p);
		for (; count < nrec; count++) {
			struct wk_span lenline, after;
			FILE *f;

			if (!wk_span_split((struct wk_span){ reply.p + pos,
			    reply.len - pos }, '\n', &lenline, &after) ||
			    wk_span_to_u64(lenline, 8192, &len) != 0 ||
			    after.len < len)
				goto out;
			snprintf(path, sizeof(path), "%s/rec-%zu", outdir, count);
			if ((f = fopen(path, "wb")) == NULL)
				goto out;
			fwrite(after.p, 1, (size_t)len, f);
			fclose(f);
			pos = (size_t)(after.p - reply.p) + (size_t)len;
		}
	}
	printf("%zu\n", count);
	status = 0;
 out:
	if (fd >= 0)
		close(fd);
	wk_buf_cleanup(&reply);
	if (status != 0)
		fprintf(stderr, "keyrec_tool lookup: failed (%s)\n",
		    errno ? strerror(errno) : "bad reply");
	return status;
}

/* Sends "CONSUME 1 USER FP\n" and prints the agent's reply line. */
static int
cmd_consume(const char *sock, const char *user, const char *fp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char reply[256];
	size_t got = 0;
	ssize_t n;
	int fd = -1, status = 1;

	if (strlen(sock) >= sizeof(sa.sun_path))
		goto out;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "keyrec_tool consume: %s: %s\n", sock,
		    strerror(errno));
		goto out;
	}
	if (dprintf(fd, "CONSUME 1 %s %s\n", user, fp) < 0)
		goto out;
	while (got < sizeof(reply) - 1 &&
	    (n = read(fd, reply + got, sizeof(reply) - 1 - got)) > 0)
		got += (size_t)n;
	reply[got] = '\0';
	fputs(reply, stdout);
	status = strcmp(reply, "OK\n") == 0 ? 0 : 1;
 out:
	if (fd >= 0)
		close(fd);
	return status;
}

/* argv: SIGNER-PEM SEQ NEWKEY-PEM NOT-BEFORE [LABEL] */
static int
cmd_rotation(char **argv, bool raw)
{
	struct wk_signkey *signer = NULL, *newkey = NULL;
	struct wk_rotation st;
	struct wk_buf out, b64;
	uint8_t sig[WK_ED25519_SIG_LEN];
	uint64_t seq, nb;
	int r;

	memset(&st, 0, sizeof(st));
	wk_buf_init(&out, 4096);
	wk_buf_init(&b64, 128);
	if ((r = wk_signkey_load(argv[0], &signer)) != 0 ||
	    (r = wk_cstr_to_u64(argv[1], UINT64_MAX, &seq)) != 0 ||
	    (r = wk_signkey_load(argv[2], &newkey)) != 0 ||
	    (r = wk_cstr_to_u64(argv[3], INT64_MAX, &nb)) != 0)
		goto out;
	st.seq = seq;
	st.not_before = (int64_t)nb;
	wk_signkey_public(newkey, &st.key);
	if (!raw) {
		r = wk_rotation_sign(&st, signer, &out);
		goto out;
	}
	if ((r = wk_pubkey_to_base64(&st.key, &b64)) != 0 ||
	    (r = wk_buf_appendf(&out, "#wicket-rotation v1\n#Seq=%s\n"
	    "#Signer=%s\n#KeyId=%s\n#Key=%s\n#NotBefore=%s\n", argv[1],
	    argv[4], st.key.id, wk_buf_cstr(&b64), argv[3])) != 0 ||
	    (r = wk_signkey_sign(signer, wk_buf_span(&out), sig)) != 0 ||
	    (r = wk_buf_append_str(&out, "#Signature=")) != 0 ||
	    (r = wk_base64_encode(&out, sig, sizeof(sig))) != 0)
		goto out;
	r = wk_buf_putc(&out, '\n');
 out:
	if (r == 0)
		fwrite(out.p, 1, out.len, stdout);
	else
		fprintf(stderr, "keyrec_tool rotation: %s\n", wk_strerror(r));
	wk_signkey_free(signer);
	wk_signkey_free(newkey);
	wk_buf_cleanup(&out);
	wk_buf_cleanup(&b64);
	return r == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct wk_signkey *key = NULL;
	struct wk_pubkey pk;
	struct wk_buf b64;
	int r;

	if (argc == 3 && strcmp(argv[1], "genkey") == 0) {
		if ((r = wk_signkey_generate(&key)) == 0)
			r = wk_signkey_save(key, argv[2]);
		wk_signkey_free(key);
		return r == 0 ? 0 : 1;
	}
	if (argc == 3 && strcmp(argv[1], "pubkey") == 0) {
		if (wk_signkey_load(argv[2], &key) != 0)
			return 1;
		wk_signkey_public(key, &pk);
		wk_buf_init(&b64, 256);
		r = wk_pubkey_to_base64(&pk, &b64);
		if (r == 0)
			printf("%s %s\n", pk.id, wk_buf_cstr(&b64));
		wk_buf_cleanup(&b64);
		wk_signkey_free(key);
		return r == 0 ? 0 : 1;
	}
	if (argc == 8 && strcmp(argv[1], "sign") == 0)
		return cmd_sign(argv + 2);
	if (argc == 5 && strcmp(argv[1], "lookup") == 0)
		return cmd_lookup(argv[2], argv[3], argv[4]);
	if (argc == 5 && strcmp(argv[1], "consume") == 0)
		return cmd_consume(argv[2], argv[3], argv[4]);
	if (argc == 6 && strcmp(argv[1], "rotation") == 0)
		return cmd_rotation(argv + 2, false);
	if (argc == 7 && strcmp(argv[1], "rotation-raw") == 0)
		return cmd_rotation(argv + 2, true);
	return usage();
}
