/*
 * test_keyrec.c - signed key records: round trip, the authorized_keys
 * line, and every refusal wk_keyrec_verify promises (with a reason).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/keyrec.h"

#define PUBKEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnn8jUVPmK9+tB7Bm9clQ" \
	"WGLOUgAYTTbmYdTMxI2cPi"
#define T0 1700000000

struct fixture {
	struct wk_signkey *key, *other;
	struct wk_pubkey pins[2];	/* other, key */
	struct wk_keyrec rec;
	struct wk_buf text;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || wk_signkey_generate(&f->key) != 0 ||
	    wk_signkey_generate(&f->other) != 0)
		return -1;
	wk_signkey_public(f->other, &f->pins[0]);
	wk_signkey_public(f->key, &f->pins[1]);
	f->rec.issued = T0;
	f->rec.expires = T0 + 60;
	snprintf(f->rec.instance_id, sizeof(f->rec.instance_id),
	    "i-0123456789abcdef0");
	snprintf(f->rec.os_user, sizeof(f->rec.os_user), "ubuntu");
	snprintf(f->rec.caller_arn, sizeof(f->rec.caller_arn),
	    "arn:aws:iam::123456789012:user/alice");
	snprintf(f->rec.request_id, sizeof(f->rec.request_id),
	    "6c9b6d3a-2f4e-4b8e-9d55-0a1b2c3d4e5f");
	snprintf(f->rec.pubkey, sizeof(f->rec.pubkey), "%s", PUBKEY);
	wk_buf_init(&f->text, WK_KEYREC_MAX_LEN * 2);
	if (wk_keyrec_sign(&f->rec, f->key, &f->text) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	wk_signkey_free(f->key);
	wk_signkey_free(f->other);
	wk_buf_cleanup(&f->text);
	free(f);
	return 0;
}

static int
verify(struct fixture *f, struct wk_span text, time_t now, const char **why)
{
	struct wk_keyrec out;

	return wk_keyrec_verify(text, f->pins, 2, "i-0123456789abcdef0",
	    "ubuntu", now, &out, why);
}

/* Verifies a modified copy: s with `from` replaced by `to` (first one). */
static int
verify_replaced(struct fixture *f, const char *from, const char *to,
    const char **why)
{
	struct wk_buf b;
	const char *s = wk_buf_cstr(&f->text), *at = strstr(s, from);
	int r;

	assert_non_null(at);
	wk_buf_init(&b, WK_KEYREC_MAX_LEN * 2);
	assert_int_equal(wk_buf_append(&b, s, (size_t)(at - s)), 0);
	assert_int_equal(wk_buf_append_str(&b, to), 0);
	assert_int_equal(wk_buf_append_str(&b, at + strlen(from)), 0);
	*why = NULL;
	r = verify(f, wk_buf_span(&b), T0 + 1, why);
	wk_buf_cleanup(&b);
	return r;
}

static void
test_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct wk_keyrec out, p;
	struct wk_span signed_part;
	uint8_t sig[WK_ED25519_SIG_LEN];
	struct wk_buf line;
	const char *why = "unset";
	const char *s = wk_buf_cstr(&f->text);
	char expect_head[512];

	snprintf(expect_head, sizeof(expect_head),
	    "#wicket-keyrec v1\n#KeyId=%s\n#Timestamp=1700000000\n"
	    "#Expires=1700000060\n#Instance=i-0123456789abcdef0\n"
	    "#User=ubuntu\n#Caller=arn:aws:iam::123456789012:user/alice\n"
	    "#Request=6c9b6d3a-2f4e-4b8e-9d55-0a1b2c3d4e5f\n#From=\n"
	    "#Once=0\n" PUBKEY "\n#Signature=", f->pins[1].id);
	assert_true(strncmp(s, expect_head, strlen(expect_head)) == 0);
	assert_int_equal(f->text.len, strlen(expect_head) + 88 + 1);

	assert_int_equal(wk_keyrec_verify(wk_buf_span(&f->text), f->pins, 2,
	    "i-0123456789abcdef0", "ubuntu", T0, &out, &why), 0);
	assert_string_equal(out.key_id, f->pins[1].id);
	assert_int_equal(out.issued, T0);
	assert_int_equal(out.expires, T0 + 60);
	assert_string_equal(out.caller_arn, f->rec.caller_arn);
	assert_string_equal(out.request_id, f->rec.request_id);
	assert_string_equal(out.pubkey, PUBKEY);
	assert_string_equal(out.from, "");
	assert_false(out.single_use);
	assert_true(strncmp(out.fingerprint, "SHA256:", 7) == 0);
	/* at the edges of the window */
	assert_int_equal(verify(f, wk_buf_span(&f->text), T0 + 59, &why), 0);
	assert_int_equal(verify(f, wk_buf_span(&f->text),
	    T0 - WK_KEYREC_SKEW_SECONDS, &why), 0);

	/* parse alone: the signed part ends after the key line */
	assert_int_equal(wk_keyrec_parse(wk_buf_span(&f->text), &p,
	    &signed_part, sig), 0);
	assert_int_equal(signed_part.len, strlen(expect_head) -
	    strlen("#Signature="));
	assert_int_equal(wk_pubkey_verify(&f->pins[1], signed_part, sig,
	    sizeof(sig)), 0);

	/* the authorized_keys line, UTC with 'Z' */
	wk_buf_init(&line, 8192);
	assert_int_equal(wk_keyrec_authorized_line(&out, &line), 0);
	assert_string_equal(wk_buf_cstr(&line),
	    "expiry-time=\"20231114221420Z\" " PUBKEY
	    " wicket:6c9b6d3a-2f4e-4b8e-9d55-0a1b2c3d4e5f");
	wk_buf_reset(&line);
	snprintf(out.from, sizeof(out.from), "10.0.0.0/8,192.168.1.*");
	assert_int_equal(wk_keyrec_authorized_line(&out, &line), 0);
	assert_string_equal(wk_buf_cstr(&line),
	    "expiry-time=\"20231114221420Z\",from=\"10.0.0.0/8,192.168.1.*\" "
	    PUBKEY " wicket:6c9b6d3a-2f4e-4b8e-9d55-0a1b2c3d4e5f");
	/* a from= that would break out of the quotes is refused */
	wk_buf_reset(&line);
	snprintf(out.from, sizeof(out.from), "1.2.3.4\" command=\"sh");
	assert_int_equal(wk_keyrec_authorized_line(&out, &line),
	    WK_ERR_INVAL);
	assert_int_equal(line.len, 0);
	wk_buf_cleanup(&line);
}

static void
test_from_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct wk_keyrec rec = f->rec, out;
	struct wk_buf text;
	const char *why;

	wk_buf_init(&text, WK_KEYREC_MAX_LEN);
	snprintf(rec.from, sizeof(rec.from), "203.0.113.0/24,2001:db8::/32");
	assert_int_equal(wk_keyrec_sign(&rec, f->key, &text), 0);
	assert_non_null(strstr(wk_buf_cstr(&text),
	    "\n#From=203.0.113.0/24,2001:db8::/32\n"));
	assert_int_equal(wk_keyrec_verify(wk_buf_span(&text), f->pins, 2,
	    rec.instance_id, rec.os_user, T0, &out, &why), 0);
	assert_string_equal(out.from, rec.from);
	wk_buf_cleanup(&text);
}

/* #Once=1 survives signing and parsing; it changes no printed option. */
static void
test_once_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct wk_keyrec rec = f->rec, out;
	struct wk_buf text, line;
	const char *why;

	wk_buf_init(&text, WK_KEYREC_MAX_LEN);
	wk_buf_init(&line, 8192);
	rec.single_use = true;
	assert_int_equal(wk_keyrec_sign(&rec, f->key, &text), 0);
	assert_non_null(strstr(wk_buf_cstr(&text), "\n#From=\n#Once=1\n"
	    PUBKEY "\n"));
	assert_int_equal(wk_keyrec_verify(wk_buf_span(&text), f->pins, 2,
	    rec.instance_id, rec.os_user, T0, &out, &why), 0);
	assert_true(out.single_use);
	assert_int_equal(wk_keyrec_authorized_line(&out, &line), 0);
	assert_string_equal(wk_buf_cstr(&line),
	    "expiry-time=\"20231114221420Z\" " PUBKEY
	    " wicket:6c9b6d3a-2f4e-4b8e-9d55-0a1b2c3d4e5f");
	/* the flag is signed: flipping it back breaks the signature */
	text.p[strstr(wk_buf_cstr(&text), "#Once=1") - (char *)text.p + 6] =
	    '0';
	why = NULL;
	assert_int_equal(wk_keyrec_verify(wk_buf_span(&text), f->pins, 2,
	    rec.instance_id, rec.os_user, T0, &out, &why), WK_ERR_AUTH);
	assert_string_equal(why, "bad signature");
	wk_buf_cleanup(&line);
	wk_buf_cleanup(&text);
}

static void
test_sign_refuses(void **state)
{
	struct fixture *f = *state;
	struct wk_keyrec rec;
	struct wk_buf text;

	wk_buf_init(&text, WK_KEYREC_MAX_LEN);
#define REFUSE(stmt) do {						\
	rec = f->rec;							\
	stmt;								\
	assert_int_equal(wk_keyrec_sign(&rec, f->key, &text),		\
	    WK_ERR_INVAL);						\
	assert_int_equal(text.len, 0);					\
} while (0)
	REFUSE(snprintf(rec.from, sizeof(rec.from), "10.0.0.1 x"));
	REFUSE(snprintf(rec.from, sizeof(rec.from), "a\"b"));
	REFUSE(snprintf(rec.os_user, sizeof(rec.os_user), "root\nx"));
	REFUSE(snprintf(rec.os_user, sizeof(rec.os_user), "-oops"));
	REFUSE(snprintf(rec.os_user, sizeof(rec.os_user), "%s", ""));
	REFUSE(snprintf(rec.instance_id, sizeof(rec.instance_id), "x-123"));
	REFUSE(snprintf(rec.caller_arn, sizeof(rec.caller_arn), "arn x"));
	REFUSE(snprintf(rec.request_id, sizeof(rec.request_id), "a b"));
	REFUSE(snprintf(rec.pubkey, sizeof(rec.pubkey), "%s c", PUBKEY));
	REFUSE(snprintf(rec.pubkey, sizeof(rec.pubkey), "ssh-ed25519 AAAA"));
	REFUSE(rec.expires = rec.issued);
	REFUSE(rec.issued = -1);
#undef REFUSE
	wk_buf_cleanup(&text);
}

static void
test_tamper_every_byte(void **state)
{
	struct fixture *f = *state;
	struct wk_buf b;
	const char *why;

	wk_buf_init(&b, WK_KEYREC_MAX_LEN);
	assert_int_equal(wk_buf_append_span(&b, wk_buf_span(&f->text)), 0);
	for (size_t i = 0; i < b.len; i++) {
		uint8_t saved = b.p[i];

		b.p[i] = saved == 'A' ? 'B' : (saved == '\n' ? 'x' : 'A');
		why = NULL;
		if (verify(f, wk_buf_span(&b), T0 + 1, &why) == 0) {
			print_error("accepted with byte %zu changed\n", i);
			fail();
		}
		assert_non_null(why);
		b.p[i] = saved;
	}
	assert_int_equal(verify(f, wk_buf_span(&b), T0 + 1, &why), 0);
	/* truncated anywhere */
	for (size_t n = 0; n < b.len; n++)
		assert_int_not_equal(verify(f, wk_span_from_mem(b.p, n),
		    T0 + 1, &why), 0);
	wk_buf_cleanup(&b);
}

static void
test_refusals(void **state)
{
	struct fixture *f = *state;
	struct wk_span t = wk_buf_span(&f->text);
	struct wk_keyrec out;
	struct wk_pubkey fake;
	const char *why;
	char line[128];
	int r;

	/* signed by a key that is not pinned */
	why = NULL;
	assert_int_equal(wk_keyrec_verify(t, f->pins, 1, "i-0123456789abcdef0",
	    "ubuntu", T0, &out, &why), WK_ERR_AUTH);
	assert_string_equal(why, "unknown signing key");
	assert_int_equal(wk_keyrec_verify(t, NULL, 0, "i-0123456789abcdef0",
	    "ubuntu", T0, &out, &why), WK_ERR_AUTH);
	/* the right id pinned with another key's bytes */
	fake = f->pins[0];
	memcpy(fake.id, f->pins[1].id, sizeof(fake.id));
	assert_int_equal(wk_keyrec_verify(t, &fake, 1, "i-0123456789abcdef0",
	    "ubuntu", T0, &out, &why), WK_ERR_AUTH);
	assert_string_equal(why, "bad signature");
	/* wrong instance, wrong user */
	assert_int_not_equal(wk_keyrec_verify(t, f->pins, 2,
	    "i-0123456789abcdef1", "ubuntu", T0, &out, &why), 0);
	assert_string_equal(why, "wrong instance");
	assert_int_not_equal(wk_keyrec_verify(t, f->pins, 2,
	    "i-0123456789abcdef0", "root", T0, &out, &why), 0);
	assert_string_equal(why, "wrong user");
	assert_string_equal(out.os_user, "");	/* nothing leaks out */
	/* expired, issued too far in the future */
	assert_int_equal(verify(f, t, T0 + 60, &why), WK_ERR_EXPIRED);
	assert_string_equal(why, "expired");
	assert_int_equal(verify(f, t, T0 + 100000, &why), WK_ERR_EXPIRED);
	assert_int_equal(verify(f, t, T0 - WK_KEYREC_SKEW_SECONDS - 1, &why),
	    WK_ERR_EXPIRED);
	assert_string_equal(why, "issued in the future");

	/* fields out of order */
	assert_int_not_equal(verify_replaced(f,
	    "#Instance=i-0123456789abcdef0\n#User=ubuntu\n",
	    "#User=ubuntu\n#Instance=i-0123456789abcdef0\n", &why), 0);
	assert_non_null(why);
	/* a missing field */
	r = verify_replaced(f, "#From=\n", "", &why);
	assert_int_not_equal(r, 0);
	assert_string_equal(why, "malformed record");
	/* an extra line, before the signature and after it */
	assert_int_not_equal(verify_replaced(f, "#From=\n",
	    "#From=\n#Extra=1\n", &why), 0);
	snprintf(line, sizeof(line), "%s", "#Signature=");
	{
		struct wk_buf b;

		wk_buf_init(&b, WK_KEYREC_MAX_LEN * 2);
		assert_int_equal(wk_buf_append_span(&b, t), 0);
		assert_int_equal(wk_buf_append_str(&b, "#Extra=1\n"), 0);
		assert_int_not_equal(verify(f, wk_buf_span(&b), T0, &why), 0);
		assert_string_equal(why, "malformed record");
		/* two records back to back */
		wk_buf_reset(&b);
		assert_int_equal(wk_buf_append_span(&b, t), 0);
		assert_int_equal(wk_buf_append_span(&b, t), 0);
		assert_int_not_equal(verify(f, wk_buf_span(&b), T0, &why), 0);
		/* CRLF line ends */
		wk_buf_reset(&b);
		for (size_t i = 0; i < t.len; i++) {
			if (t.p[i] == '\n')
				assert_int_equal(wk_buf_putc(&b, '\r'), 0);
			assert_int_equal(wk_buf_putc(&b, t.p[i]), 0);
		}
		assert_int_not_equal(verify(f, wk_buf_span(&b), T0, &why), 0);
		/* no final newline */
		assert_int_not_equal(verify(f, wk_span_from_mem(t.p,
		    t.len - 1), T0, &why), 0);
		/* over WK_KEYREC_MAX_LEN */
		wk_buf_reset(&b);
		assert_int_equal(wk_buf_append_span(&b, t), 0);
		while (b.len <= WK_KEYREC_MAX_LEN)
			assert_int_equal(wk_buf_putc(&b, '#'), 0);
		assert_int_equal(verify(f, wk_buf_span(&b), T0, &why),
		    WK_ERR_TOOBIG);
		assert_string_equal(why, "record too large");
		/* embedded NUL */
		wk_buf_reset(&b);
		assert_int_equal(wk_buf_append_span(&b, t), 0);
		b.p[20] = '\0';
		assert_int_not_equal(verify(f, wk_buf_span(&b), T0, &why), 0);
		wk_buf_cleanup(&b);
	}
	/* bad base64 signature: wrong alphabet, wrong length, padding bits */
	{
		const char *s = strstr((const char *)t.p, "#Signature=") + 11;
		char sigline[100];

		snprintf(sigline, sizeof(sigline), "%.88s", s);
		assert_int_not_equal(verify_replaced(f, sigline,
		    "!!!!", &why), 0);
		sigline[0] = sigline[0] == '*' ? '-' : '*';
		snprintf(line, sizeof(line), "%.88s", sigline);
		assert_int_not_equal(verify_replaced(f, s, line, &why), 0);
		snprintf(line, sizeof(line), "%.84sAAAA", s);
		assert_int_not_equal(verify_replaced(f, s, line, &why), 0);
		snprintf(line, sizeof(line), "%.85sB==", s);
		assert_int_not_equal(verify_replaced(f, s, line, &why), 0);
		assert_string_equal(why, "malformed record");
	}
	/* #Once= is exactly 0 or 1, and present */
	assert_int_not_equal(verify_replaced(f, "#Once=0\n", "", &why), 0);
	assert_int_not_equal(verify_replaced(f, "#Once=0\n", "#Once=\n",
	    &why), 0);
	assert_int_not_equal(verify_replaced(f, "#Once=0\n", "#Once=2\n",
	    &why), 0);
	assert_int_not_equal(verify_replaced(f, "#Once=0\n", "#Once=00\n",
	    &why), 0);
	assert_int_not_equal(verify_replaced(f, "#Once=0\n", "#Once=true\n",
	    &why), 0);
	assert_string_equal(why, "malformed record");
	assert_int_not_equal(verify_replaced(f, "#From=\n#Once=0\n",
	    "#Once=0\n#From=\n", &why), 0);
	/* leading zero in a time, negative time, bad key id */
	assert_int_not_equal(verify_replaced(f, "#Timestamp=1",
	    "#Timestamp=01", &why), 0);
	assert_int_not_equal(verify_replaced(f, "#Timestamp=1",
	    "#Timestamp=-1", &why), 0);
	assert_int_not_equal(verify_replaced(f, "#KeyId=", "#KeyId=A", &why),
	    0);
	/* a comment after the key, options before it */
	assert_int_not_equal(verify_replaced(f, "cPi\n", "cPi x\n", &why), 0);
	assert_int_not_equal(verify_replaced(f, "\nssh-ed25519",
	    "\nno-pty ssh-ed25519", &why), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_from_roundtrip),
		cmocka_unit_test(test_once_roundtrip),
		cmocka_unit_test(test_sign_refuses),
		cmocka_unit_test(test_tamper_every_byte),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
