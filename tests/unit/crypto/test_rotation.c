/*
 * test_rotation.c - rotation statements: round trip, splitting a list,
 * what signing refuses, and every malformed or unverifiable statement
 * wk_rotation_parse / wk_rotation_verify must refuse (with a reason).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/encode.h"
#include "common/err.h"
#include "crypto/rotation.h"
#include "crypto/signkey.h"

#define T0 1700000000

struct fixture {
	struct wk_signkey *signer, *next, *other;
	struct wk_pubkey spk, npk, opk;
	struct wk_rotation st;
	struct wk_buf text;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || wk_signkey_generate(&f->signer) != 0 ||
	    wk_signkey_generate(&f->next) != 0 ||
	    wk_signkey_generate(&f->other) != 0)
		return -1;
	wk_signkey_public(f->signer, &f->spk);
	wk_signkey_public(f->next, &f->npk);
	wk_signkey_public(f->other, &f->opk);
	f->st.seq = 7;
	f->st.key = f->npk;
	f->st.not_before = T0;
	wk_buf_init(&f->text, 4096);
	if (wk_rotation_sign(&f->st, f->signer, &f->text) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	wk_signkey_free(f->signer);
	wk_signkey_free(f->next);
	wk_signkey_free(f->other);
	wk_buf_cleanup(&f->text);
	free(f);
	return 0;
}

static int
verify(const struct fixture *f, struct wk_span text, time_t now,
    const char **why)
{
	struct wk_pubkey trusted[2] = { f->opk, f->spk };
	struct wk_rotation out;

	return wk_rotation_verify(text, trusted, 2, now, &out, why);
}

static void
test_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct wk_rotation out;
	struct wk_span sp;
	uint8_t sig[WK_ED25519_SIG_LEN];
	struct wk_pubkey trusted[2] = { f->opk, f->spk };
	const char *why = "x";
	char want[512];
	struct wk_buf b64;

	wk_buf_init(&b64, 64);
	assert_int_equal(wk_pubkey_to_base64(&f->npk, &b64), 0);
	snprintf(want, sizeof(want), "#wicket-rotation v1\n#Seq=7\n"
	    "#Signer=%s\n#KeyId=%s\n#Key=%s\n#NotBefore=%d\n#Signature=",
	    f->spk.id, f->npk.id, wk_buf_cstr(&b64), T0);
	wk_buf_cleanup(&b64);
	assert_true(f->text.len > strlen(want));
	assert_memory_equal(f->text.p, want, strlen(want));
	assert_true(f->text.len <= WK_ROTATION_MAX_LEN);

	assert_int_equal(wk_rotation_parse(wk_buf_span(&f->text), &out, &sp,
	    sig), 0);
	assert_int_equal(out.seq, 7);
	assert_string_equal(out.signer_id, f->spk.id);
	assert_string_equal(out.key.id, f->npk.id);
	assert_memory_equal(out.key.raw, f->npk.raw, sizeof(f->npk.raw));
	assert_int_equal(out.not_before, T0);
	assert_int_equal(sp.len, strlen(want) - strlen("#Signature="));

	assert_int_equal(wk_rotation_verify(wk_buf_span(&f->text), trusted, 2,
	    T0, &out, &why), 0);
	assert_null(why);
	assert_int_equal(out.seq, 7);
	/* not-before in the past, and up to the skew in the future */
	assert_int_equal(verify(f, wk_buf_span(&f->text), T0 + 86400, &why),
	    0);
	assert_int_equal(verify(f, wk_buf_span(&f->text),
	    T0 - WK_ROTATION_SKEW_SECONDS, &why), 0);
}

/* Statements stored back to back split into whole statements. */
static void
test_next_splits(void **state)
{
	struct fixture *f = *state;
	struct wk_buf two;
	struct wk_span rest, one;

	wk_buf_init(&two, 4096);
	assert_int_equal(wk_buf_append_span(&two, wk_buf_span(&f->text)), 0);
	f->st.seq = 8;
	assert_int_equal(wk_rotation_sign(&f->st, f->other, &two), 0);
	rest = wk_buf_span(&two);
	assert_true(wk_rotation_next(&rest, &one));
	assert_true(wk_span_eq(one, wk_buf_span(&f->text)));
	assert_true(wk_rotation_next(&rest, &one));
	assert_int_equal(rest.len, 0);
	assert_int_equal(one.len, two.len - f->text.len);
	assert_false(wk_rotation_next(&rest, &one));
	/* a truncated one is not split off */
	rest = wk_span_from_mem(f->text.p, f->text.len - 1);
	assert_false(wk_rotation_next(&rest, &one));
	wk_buf_cleanup(&two);
}

static void
test_sign_refuses(void **state)
{
	struct fixture *f = *state;
	struct wk_rotation st = f->st;
	struct wk_buf out;

	wk_buf_init(&out, 4096);
	st.seq = 0;
	assert_int_equal(wk_rotation_sign(&st, f->signer, &out),
	    WK_ERR_INVAL);
	st.seq = WK_ROTATION_MAX_SEQ + 1;
	assert_int_equal(wk_rotation_sign(&st, f->signer, &out),
	    WK_ERR_INVAL);
	st = f->st;
	st.not_before = -1;
	assert_int_equal(wk_rotation_sign(&st, f->signer, &out),
	    WK_ERR_INVAL);
	/* a key cannot vouch for itself */
	st = f->st;
	assert_int_equal(wk_rotation_sign(&st, f->next, &out), WK_ERR_INVAL);
	/* an id that is not the key's */
	st.key.id[0] = st.key.id[0] == 'a' ? 'b' : 'a';
	assert_int_equal(wk_rotation_sign(&st, f->signer, &out),
	    WK_ERR_INVAL);
	assert_int_equal(out.len, 0);
	st = f->st;
	st.seq = WK_ROTATION_MAX_SEQ;
	assert_int_equal(wk_rotation_sign(&st, f->signer, &out), 0);
	wk_buf_cleanup(&out);
}

/* Changing any byte breaks the statement: malformed or bad signature. */
static void
test_tamper_every_byte(void **state)
{
	struct fixture *f = *state;
	const char *why;
	uint8_t copy[WK_ROTATION_MAX_LEN];

	assert_true(f->text.len <= sizeof(copy));
	for (size_t i = 0; i < f->text.len; i++) {
		memcpy(copy, f->text.p, f->text.len);
		copy[i] ^= 0x01;
		assert_int_not_equal(verify(f, wk_span_from_mem(copy,
		    f->text.len), T0, &why), 0);
		assert_non_null(why);
	}
}

/* Replaces the first occurrence of `from` in the statement by `to`. */
static int
edited(const struct fixture *f, const char *from, const char *to,
    struct wk_buf *out)
{
	const char *text = wk_buf_cstr(&f->text), *at = strstr(text, from);

	wk_buf_reset(out);
	if (at == NULL)
		return -1;
	if (wk_buf_append(out, text, (size_t)(at - text)) != 0 ||
	    wk_buf_append_str(out, to) != 0 ||
	    wk_buf_append_str(out, at + strlen(from)) != 0)
		return -1;
	return 0;
}

/* Re-signs an edited unsigned text with `k` (a syntactically new one). */
static void
signed_text(struct wk_signkey *k, const char *unsigned_text,
    struct wk_buf *out)
{
	uint8_t sig[WK_ED25519_SIG_LEN];

	wk_buf_reset(out);
	assert_int_equal(wk_signkey_sign(k, wk_span_from_cstr(unsigned_text),
	    sig), 0);
	assert_int_equal(wk_buf_append_str(out, unsigned_text), 0);
	assert_int_equal(wk_buf_append_str(out, "#Signature="), 0);
	assert_int_equal(wk_base64_encode(out, sig, sizeof(sig)), 0);
	assert_int_equal(wk_buf_putc(out, '\n'), 0);
}

static void
test_malformed(void **state)
{
	struct fixture *f = *state;
	struct wk_buf b, u, b64;
	const char *why;
	char line[256];
	static const struct { const char *from, *to; } edits[] = {
		{ "#wicket-rotation v1\n", "#wicket-rotation v2\n" },
		{ "#wicket-rotation v1\n", "#wicket-keyrec v1\n" },
		{ "#wicket-rotation v1\n", "" },
		{ "#Seq=7\n", "#Seq=0\n" },
		{ "#Seq=7\n", "#Seq=07\n" },
		{ "#Seq=7\n", "#Seq=\n" },
		{ "#Seq=7\n", "#Seq=-7\n" },
		{ "#Seq=7\n", "#Seq=+7\n" },
		{ "#Seq=7\n", "#Seq=7 \n" },
		{ "#Seq=7\n", "#Seq=9007199254740992\n" },
		{ "#Seq=7\n", "#Seq=99999999999999999999999\n" },
		{ "#Seq=7\n", "#seq=7\n" },
		{ "#Seq=7\n", "" },
		{ "#Seq=7\n", "#Seq=7\n#Seq=7\n" },
		{ "#NotBefore=", "#NotBefore=0" },
		{ "#NotBefore=1700000000\n", "#NotBefore=\n" },
		{ "#NotBefore=1700000000\n", "#NotBefore=253402300800\n" },
		{ "#NotBefore=1700000000\n", "#NotBefore=1.7e9\n" },
		{ "#Signer=", "#Signer=A" },
		{ "#Signer=", "#Signer=0" },
		{ "#KeyId=", "#KeyId=0" },
		{ "#Key=", "#Key=A" },
		{ "#Key=", "#Key= " },
		{ "\n#Signature=", "\r\n#Signature=" },
		{ "#Signature=", "#Signature=A" },
		{ "#Signature=", "#Signature= " },
		{ "#Signature=", "#Comment=x\n#Signature=" },
	};

	wk_buf_init(&b, 4096);
	wk_buf_init(&u, 4096);
	wk_buf_init(&b64, 4096);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		assert_int_equal(edited(f, edits[i].from, edits[i].to, &b), 0);
		if (verify(f, wk_buf_span(&b), T0, &why) == 0)
			fail_msg("edit %zu accepted: %s", i, wk_buf_cstr(&b));
		assert_non_null(why);
	}
	/* trailing bytes, a missing final newline, NUL, non-ASCII, empty */
	wk_buf_reset(&b);
	assert_int_equal(wk_buf_append_span(&b, wk_buf_span(&f->text)), 0);
	assert_int_equal(wk_buf_append_str(&b, "x"), 0);
	assert_int_equal(verify(f, wk_buf_span(&b), T0, &why), WK_ERR_INVAL);
	assert_string_equal(why, "malformed statement");
	assert_int_equal(verify(f, wk_span_from_mem(f->text.p,
	    f->text.len - 1), T0, &why), WK_ERR_INVAL);
	b.p[10] = '\0';
	b.len = f->text.len;
	assert_int_equal(verify(f, wk_buf_span(&b), T0, &why), WK_ERR_INVAL);
	b.p[10] = 0xc3;
	assert_int_equal(verify(f, wk_buf_span(&b), T0, &why), WK_ERR_INVAL);
	assert_int_equal(verify(f, wk_span_from_mem("", 0), T0, &why),
	    WK_ERR_INVAL);
	/* oversized */
	wk_buf_reset(&b);
	for (int i = 0; i < 3; i++)
		assert_int_equal(wk_buf_append_span(&b, wk_buf_span(&f->text)),
		    0);
	assert_int_equal(verify(f, wk_buf_span(&b), T0, &why), WK_ERR_TOOBIG);
	assert_string_equal(why, "statement too large");

	/*
	 * Well signed but malformed: KeyId not the key's id; a key vouching
	 * for itself; non-canonical base64 of the key.
	 */
	assert_int_equal(wk_buf_append(&u, f->text.p, f->text.len -
	    (11 + 88 + 1)), 0);
	snprintf(line, sizeof(line), "#KeyId=%s\n", f->npk.id);
	{
		char bad[64];

		snprintf(bad, sizeof(bad), "#KeyId=%s\n", f->opk.id);
		wk_buf_reset(&b);
		assert_int_equal(wk_buf_append_str(&b, wk_buf_cstr(&u)), 0);
		/* swap the id line only */
		{
			char *at = strstr((char *)b.p, line);

			assert_non_null(at);
			memcpy(at, bad, strlen(bad));
		}
		signed_text(f->signer, wk_buf_cstr(&b), &b64);
		assert_int_equal(verify(f, wk_buf_span(&b64), T0, &why),
		    WK_ERR_INVAL);
	}
	{
		char self[64], *at;

		wk_buf_reset(&b);
		assert_int_equal(wk_buf_append_str(&b, wk_buf_cstr(&u)), 0);
		snprintf(self, sizeof(self), "#Signer=%s\n", f->npk.id);
		at = strstr((char *)b.p, "#Signer=");
		assert_non_null(at);
		memcpy(at, self, strlen(self));
		signed_text(f->next, wk_buf_cstr(&b), &b64);
		assert_int_equal(verify(f, wk_buf_span(&b64), T0, &why),
		    WK_ERR_INVAL);
	}
	{
		/* the key's last base64 digit carries 4 unused bits */
		char *at;

		wk_buf_reset(&b);
		assert_int_equal(wk_buf_append_str(&b, wk_buf_cstr(&u)), 0);
		at = strstr((char *)b.p, "#Key=");
		assert_non_null(at);
		static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789+/";
		at += 5 + 42;
		/* flip the lowest (unused) bit of the digit's 6-bit value */
		*at = abc[(strchr(abc, *at) - abc) ^ 1];
		signed_text(f->signer, wk_buf_cstr(&b), &b64);
		assert_int_equal(verify(f, wk_buf_span(&b64), T0, &why),
		    WK_ERR_INVAL);
	}
	wk_buf_cleanup(&b);
	wk_buf_cleanup(&u);
	wk_buf_cleanup(&b64);
}

static void
test_unverifiable(void **state)
{
	struct fixture *f = *state;
	struct wk_rotation out;
	struct wk_buf b;
	const char *why;
	char *at;

	/* signer not trusted */
	assert_int_equal(wk_rotation_verify(wk_buf_span(&f->text), &f->opk, 1,
	    T0, &out, &why), WK_ERR_AUTH);
	assert_string_equal(why, "signed by a key that is not pinned");
	assert_int_equal(wk_rotation_verify(wk_buf_span(&f->text), NULL, 0,
	    T0, &out, &why), WK_ERR_AUTH);
	/* the trusted key's id on someone else's signature */
	wk_buf_init(&b, 4096);
	assert_int_equal(wk_buf_append_span(&b, wk_buf_span(&f->text)), 0);
	at = strstr((char *)b.p, "#Signature=");
	assert_non_null(at);
	{
		struct wk_buf sigline;
		uint8_t sig[WK_ED25519_SIG_LEN];

		wk_buf_init(&sigline, 256);
		assert_int_equal(wk_signkey_sign(f->other, wk_span_from_mem(
		    b.p, (size_t)((uint8_t *)at - b.p)), sig), 0);
		assert_int_equal(wk_base64_encode(&sigline, sig, sizeof(sig)),
		    0);
		memcpy(at + 11, sigline.p, sigline.len);
		wk_buf_cleanup(&sigline);
	}
	assert_int_equal(verify(f, wk_buf_span(&b), T0, &why), WK_ERR_AUTH);
	assert_string_equal(why, "bad signature");
	/* not valid yet */
	assert_int_equal(verify(f, wk_buf_span(&f->text),
	    T0 - WK_ROTATION_SKEW_SECONDS - 1, &why), WK_ERR_EXPIRED);
	assert_string_equal(why, "not valid yet");
	assert_int_equal(out.seq, 0);
	wk_buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_next_splits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sign_refuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tamper_every_byte, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unverifiable, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
