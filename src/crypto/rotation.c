/*
 * rotation.c - the rotation statement (format in rotation.h): parsing and
 * verification (libsodium only: the agent runs them on every announcement),
 * and the unsigned text the signer in rotation_sign.c signs. The same field
 * checks run when formatting and when parsing, so wicketd cannot emit a
 * statement an agent would refuse.
 */
#include "crypto/rotation.h"

#include <inttypes.h>
#include <string.h>

#include "common/encode.h"
#include "common/err.h"

#define MAGIC "#wicket-rotation v1"
#define NLINES 7
#define KEY_B64_LEN 44		/* base64 of 32 bytes */
#define SIG_B64_LEN 88		/* base64 of 64 bytes */
#define MAX_TIME ((uint64_t)253402300799)	/* 9999-12-31T23:59:59Z */

enum field { F_MAGIC, F_SEQ, F_SIGNER, F_KEYID, F_KEY, F_NB, F_SIG };

static const char *const prefixes[NLINES] = {
	MAGIC, "#Seq=", "#Signer=", "#KeyId=", "#Key=", "#NotBefore=",
	"#Signature="
};

static bool
valid_key_id(struct wk_span s)
{
	if (s.len != WK_SIGNKEY_ID_LEN)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!((s.p[i] >= '0' && s.p[i] <= '9') ||
		    (s.p[i] >= 'a' && s.p[i] <= 'f')))
			return false;
	return true;
}

/* Decimal, no leading zeros, at most max. */
static int
parse_num(struct wk_span s, uint64_t max, uint64_t *out)
{
	*out = 0;
	if (s.len > 1 && s.p[0] == '0')
		return WK_ERR_INVAL;
	return wk_span_to_u64(s, max, out);
}

/* base64 text is exactly the canonical encoding of the bytes it decodes to */
static bool
canonical_b64(struct wk_span text, const uint8_t *raw, size_t len)
{
	struct wk_buf again;
	bool ok;

	wk_buf_init(&again, 128);
	ok = wk_base64_encode(&again, raw, len) == 0 &&
	    wk_span_eq(wk_buf_span(&again), text);
	wk_buf_cleanup(&again);
	return ok;
}

bool
wk_rotation_next(struct wk_span *rest, struct wk_span *one)
{
	const uint8_t *start = rest->p;
	struct wk_span line, r = *rest;

	*one = *rest;
	for (size_t i = 0; i < NLINES; i++) {
		if (!wk_span_split(r, '\n', &line, &r))
			return false;
	}
	*one = wk_span_from_mem(start, (size_t)(r.p - start));
	*rest = r;
	return true;
}

int
wk_rotation_format_unsigned(const struct wk_rotation *st,
    const char *signer_id, struct wk_buf *out)
{
	struct wk_pubkey check;
	struct wk_buf b64;
	size_t start = out->len;
	int r = WK_ERR_INVAL;

	wk_buf_init(&b64, 64);
	if (st->seq == 0 || st->seq > WK_ROTATION_MAX_SEQ ||
	    st->not_before < 0 || (uint64_t)st->not_before > MAX_TIME ||
	    !valid_key_id(wk_span_from_cstr(signer_id)))
		goto out;
	/* the id must be the key's own, and a key cannot vouch for itself */
	if (wk_pubkey_from_raw(st->key.raw, sizeof(st->key.raw), &check) != 0 ||
	    strcmp(check.id, st->key.id) != 0 ||
	    strcmp(signer_id, check.id) == 0)
		goto out;
	if ((r = wk_pubkey_to_base64(&check, &b64)) != 0)
		goto out;
	r = wk_buf_appendf(out, MAGIC "\n#Seq=%" PRIu64 "\n#Signer=%s\n"
	    "#KeyId=%s\n#Key=%s\n#NotBefore=%" PRId64 "\n", st->seq,
	    signer_id, check.id, wk_buf_cstr(&b64), st->not_before);
 out:
	if (r != 0 && out->p != NULL) {
		out->len = start;
		out->p[start] = '\0';
	}
	wk_buf_cleanup(&b64);
	return r;
}

int
wk_rotation_parse(struct wk_span text, struct wk_rotation *out,
    struct wk_span *signed_part, uint8_t sig[static WK_ED25519_SIG_LEN])
{
	struct wk_span lines[NLINES], v[NLINES], rest = text;
	struct wk_buf sigbuf;
	uint64_t nb;
	int r = WK_ERR_INVAL;

	memset(out, 0, sizeof(*out));
	*signed_part = WK_SPAN_NULL;
	memset(sig, 0, WK_ED25519_SIG_LEN);
	if (text.len > WK_ROTATION_MAX_LEN)
		return WK_ERR_TOOBIG;
	if (text.len == 0 || text.p[text.len - 1] != '\n')
		return WK_ERR_INVAL;
	for (size_t i = 0; i < text.len; i++)
		if ((text.p[i] < 0x20 || text.p[i] > 0x7e) &&
		    text.p[i] != '\n')
			return WK_ERR_INVAL;
	for (size_t i = 0; i < NLINES; i++) {
		if (!wk_span_split(rest, '\n', &lines[i], &rest) ||
		    !wk_span_starts_with(lines[i], prefixes[i]))
			return WK_ERR_INVAL;
		v[i] = wk_span_from_mem(lines[i].p + strlen(prefixes[i]),
		    lines[i].len - strlen(prefixes[i]));
	}
	if (rest.len != 0 || v[F_MAGIC].len != 0)
		return WK_ERR_INVAL;	/* extra bytes or lines */
	wk_buf_init(&sigbuf, 128);
	if (parse_num(v[F_SEQ], WK_ROTATION_MAX_SEQ, &out->seq) != 0 ||
	    out->seq == 0 || parse_num(v[F_NB], MAX_TIME, &nb) != 0 ||
	    !valid_key_id(v[F_SIGNER]) || !valid_key_id(v[F_KEYID]) ||
	    v[F_KEY].len != KEY_B64_LEN ||
	    wk_pubkey_from_base64(v[F_KEY], &out->key) != 0 ||
	    !canonical_b64(v[F_KEY], out->key.raw, sizeof(out->key.raw)) ||
	    !wk_span_eq_cstr(v[F_KEYID], out->key.id) ||
	    wk_span_eq(v[F_SIGNER], v[F_KEYID]))
		goto out;
	out->not_before = (int64_t)nb;
	memcpy(out->signer_id, v[F_SIGNER].p, WK_SIGNKEY_ID_LEN);
	out->signer_id[WK_SIGNKEY_ID_LEN] = '\0';
	if (v[F_SIG].len != SIG_B64_LEN ||
	    wk_base64_decode(v[F_SIG], &sigbuf) != 0 ||
	    sigbuf.len != WK_ED25519_SIG_LEN ||
	    !canonical_b64(v[F_SIG], sigbuf.p, sigbuf.len))
		goto out;
	memcpy(sig, sigbuf.p, WK_ED25519_SIG_LEN);
	*signed_part = wk_span_from_mem(text.p,
	    (size_t)(lines[F_SIG].p - text.p));
	r = 0;
 out:
	if (r != 0) {
		memset(out, 0, sizeof(*out));
		memset(sig, 0, WK_ED25519_SIG_LEN);
	}
	wk_buf_cleanup(&sigbuf);
	return r;
}

int
wk_rotation_verify(struct wk_span text, const struct wk_pubkey *trusted,
    size_t ntrusted, time_t now, struct wk_rotation *out, const char **why)
{
	struct wk_rotation st;
	struct wk_span signed_part;
	uint8_t sig[WK_ED25519_SIG_LEN];
	int r;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if ((r = wk_rotation_parse(text, &st, &signed_part, sig)) != 0) {
		*why = r == WK_ERR_TOOBIG ? "statement too large" :
		    "malformed statement";
		return r;
	}
	if ((r = wk_pubkey_verify_pinned(trusted, ntrusted, st.signer_id,
	    signed_part, sig, sizeof(sig))) != 0) {
		*why = r == WK_ERR_NOTFOUND ?
		    "signed by a key that is not pinned" : "bad signature";
		return WK_ERR_AUTH;
	}
	if ((int64_t)now + WK_ROTATION_SKEW_SECONDS < st.not_before) {
		*why = "not valid yet";
		return WK_ERR_EXPIRED;
	}
	*out = st;
	return 0;
}
