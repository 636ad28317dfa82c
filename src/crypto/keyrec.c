/*
 * keyrec.c - the signed key record (format in keyrec.h).
 *
 * The same field checks run when signing and when parsing, so the control
 * plane cannot emit a record a host would refuse, and a host refuses
 * anything the control plane would not have emitted. Signing is in
 * keyrec_sign.c (OpenSSL); this file links only libsodium-backed code,
 * as wicket-authorized-keys runs it.
 */
#include "crypto/keyrec.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/encode.h"
#include "common/err.h"
#include "crypto/keyrec_int.h"

#define MAGIC "#wicket-keyrec v1"
#define NLINES 12
#define MAX_TIME ((uint64_t)253402300799)	/* 9999-12-31T23:59:59Z */

enum field {
	F_MAGIC, F_KEYID, F_TS, F_EXP, F_INST, F_USER, F_CALLER, F_REQ,
	F_FROM, F_ONCE, F_KEY, F_SIG
};

/* Line prefixes, in order; the key line has none. */
static const char *const prefixes[NLINES] = {
	MAGIC, "#KeyId=", "#Timestamp=", "#Expires=", "#Instance=",
	"#User=", "#Caller=", "#Request=", "#From=", "#Once=", NULL,
	"#Signature="
};

static bool
all_of(struct wk_span s, const char *set)
{
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] == 0 || strchr(set, s.p[i]) == NULL)
			return false;
	return true;
}

static bool
is_alnum(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

static bool
valid_key_id(struct wk_span s)
{
	return s.len == WK_SIGNKEY_ID_LEN && all_of(s, "0123456789abcdef");
}

/* "i-" and 1..30 lower-case hex digits. */
static bool
valid_instance(struct wk_span s)
{
	struct wk_span h = { s.p + 2, s.len - 2 };

	return s.len > 2 && s.len <= 32 && s.p[0] == 'i' && s.p[1] == '-' &&
	    all_of(h, "0123456789abcdef");
}

/*
 * AWS's InstanceOSUser: ^[A-Za-z_][A-Za-z0-9@._-]{0,30}[A-Za-z0-9$_-]?$
 */
static bool
valid_user(struct wk_span s)
{
	if (s.len == 0 || s.len > 32)
		return false;
	if (s.p[0] != '_' && !((s.p[0] >= 'A' && s.p[0] <= 'Z') ||
	    (s.p[0] >= 'a' && s.p[0] <= 'z')))
		return false;
	for (size_t i = 1; i < s.len; i++) {
		uint8_t c = s.p[i];

		if (is_alnum(c) || c == '_' || c == '-')
			continue;
		if ((c == '@' || c == '.') && i <= 30)
			continue;
		if (c == '$' && i == s.len - 1)
			continue;
		return false;
	}
	return true;
}

/* Printable ASCII without space. */
static bool
valid_caller(struct wk_span s)
{
	if (s.len == 0 || s.len > 511)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] <= 0x20 || s.p[i] > 0x7e)
			return false;
	return true;
}

static bool
valid_request(struct wk_span s)
{
	if (s.len == 0 || s.len > 63)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!is_alnum(s.p[i]) && s.p[i] != '-' && s.p[i] != '_' &&
		    s.p[i] != '.')
			return false;
	return true;
}

static bool
valid_from(struct wk_span s)
{
	return s.len <= 255 && all_of(s, "0123456789abcdefABCDEF.:/,*?!");
}

/* Decimal seconds, no leading zeros, at most year 9999. */
static int
parse_time(struct wk_span s, int64_t *out)
{
	uint64_t v;

	*out = 0;
	if (s.len > 1 && s.p[0] == '0')
		return WK_ERR_INVAL;
	if (wk_span_to_u64(s, MAX_TIME, &v) != 0)
		return WK_ERR_INVAL;
	*out = (int64_t)v;
	return 0;
}

static int
copy_field(char *dst, size_t dstsz, struct wk_span s)
{
	if (s.len >= dstsz)
		return WK_ERR_INVAL;
	memcpy(dst, s.p, s.len);
	dst[s.len] = '\0';
	return 0;
}

int
wk_keyrec_format_unsigned(const struct wk_keyrec *rec, const char *key_id,
    struct wk_buf *out)
{
	struct wk_buf norm;
	char fp[WK_SSHKEY_FP_LEN];
	size_t start = out->len;
	const char *why;
	int r;

	wk_buf_init(&norm, WK_SSHKEY_MAX_LINE);
	if (!valid_key_id(wk_span_from_cstr(key_id)) ||
	    rec->issued < 0 || rec->expires <= rec->issued ||
	    (uint64_t)rec->expires > MAX_TIME ||
	    !valid_instance(wk_span_from_cstr(rec->instance_id)) ||
	    !valid_user(wk_span_from_cstr(rec->os_user)) ||
	    !valid_caller(wk_span_from_cstr(rec->caller_arn)) ||
	    !valid_request(wk_span_from_cstr(rec->request_id)) ||
	    !valid_from(wk_span_from_cstr(rec->from))) {
		r = WK_ERR_INVAL;
		goto out;
	}
	/* The key line must already be in normalised form. */
	if ((r = wk_sshkey_check(wk_span_from_cstr(rec->pubkey), &norm,
	    fp, &why)) != 0)
		goto out;
	if (!wk_span_eq_cstr(wk_buf_span(&norm), rec->pubkey)) {
		r = WK_ERR_INVAL;
		goto out;
	}
	/* room for the whole record first: formatted once (buf.c) */
	(void)wk_buf_reserve(out, 256 + strlen(key_id) +
	    strlen(rec->instance_id) + strlen(rec->os_user) +
	    strlen(rec->caller_arn) + strlen(rec->request_id) +
	    strlen(rec->from) + strlen(rec->pubkey));
	if ((r = wk_buf_appendf(out, MAGIC "\n#KeyId=%s\n#Timestamp=%" PRId64
	    "\n#Expires=%" PRId64 "\n#Instance=%s\n#User=%s\n#Caller=%s\n"
	    "#Request=%s\n#From=%s\n#Once=%c\n%s\n", key_id, rec->issued,
	    rec->expires, rec->instance_id, rec->os_user, rec->caller_arn,
	    rec->request_id, rec->from, rec->single_use ? '1' : '0',
	    rec->pubkey)) != 0)
		goto out;
	if (out->len - start > WK_KEYREC_MAX_LEN - WK_KEYREC_SIG_LINE_LEN)
		r = WK_ERR_TOOBIG;
out:
	if (r != 0 && out->p != NULL) {
		out->len = start;
		out->p[start] = '\0';
	}
	wk_buf_cleanup(&norm);
	return r;
}

int
wk_keyrec_parse(struct wk_span text, struct wk_keyrec *out,
    struct wk_span *signed_part, uint8_t sig[static WK_ED25519_SIG_LEN])
{
	struct wk_span lines[NLINES], v[NLINES], rest = text;
	struct wk_buf norm, sigbuf;
	const char *why;
	int r = WK_ERR_INVAL;

	memset(out, 0, sizeof(*out));
	*signed_part = WK_SPAN_NULL;
	memset(sig, 0, WK_ED25519_SIG_LEN);
	wk_buf_init(&norm, WK_SSHKEY_MAX_LINE);
	wk_buf_init(&sigbuf, 128);
	if (text.len > WK_KEYREC_MAX_LEN)
		return WK_ERR_TOOBIG;
	if (text.len == 0 || text.p[text.len - 1] != '\n')
		return WK_ERR_INVAL;
	for (size_t i = 0; i < text.len; i++)
		if ((text.p[i] < 0x20 || text.p[i] > 0x7e) &&
		    text.p[i] != '\n')
			return WK_ERR_INVAL;
	for (size_t i = 0; i < NLINES; i++) {
		if (!wk_span_split(rest, '\n', &lines[i], &rest))
			return WK_ERR_INVAL;	/* missing line */
		if (prefixes[i] == NULL) {
			v[i] = lines[i];
			continue;
		}
		if (!wk_span_starts_with(lines[i], prefixes[i]))
			return WK_ERR_INVAL;
		v[i] = wk_span_from_mem(lines[i].p + strlen(prefixes[i]),
		    lines[i].len - strlen(prefixes[i]));
	}
	if (rest.len != 0 || v[F_MAGIC].len != 0)
		return WK_ERR_INVAL;	/* extra bytes or lines */
	if (!valid_key_id(v[F_KEYID]) ||
	    parse_time(v[F_TS], &out->issued) != 0 ||
	    parse_time(v[F_EXP], &out->expires) != 0 ||
	    out->expires <= out->issued ||
	    !valid_instance(v[F_INST]) || !valid_user(v[F_USER]) ||
	    !valid_caller(v[F_CALLER]) || !valid_request(v[F_REQ]) ||
	    !valid_from(v[F_FROM]) || v[F_ONCE].len != 1 ||
	    (v[F_ONCE].p[0] != '0' && v[F_ONCE].p[0] != '1'))
		goto out;
	out->single_use = v[F_ONCE].p[0] == '1';
	if (copy_field(out->key_id, sizeof(out->key_id), v[F_KEYID]) != 0 ||
	    copy_field(out->instance_id, sizeof(out->instance_id),
	    v[F_INST]) != 0 ||
	    copy_field(out->os_user, sizeof(out->os_user), v[F_USER]) != 0 ||
	    copy_field(out->caller_arn, sizeof(out->caller_arn),
	    v[F_CALLER]) != 0 ||
	    copy_field(out->request_id, sizeof(out->request_id),
	    v[F_REQ]) != 0 ||
	    copy_field(out->from, sizeof(out->from), v[F_FROM]) != 0)
		goto out;
	/* Key line: exactly the normalised "type base64". */
	if ((r = wk_sshkey_check(v[F_KEY], &norm, out->fingerprint,
	    &why)) != 0)
		goto out;
	if (!wk_span_eq(wk_buf_span(&norm), v[F_KEY]) ||
	    copy_field(out->pubkey, sizeof(out->pubkey), v[F_KEY]) != 0) {
		r = WK_ERR_INVAL;
		goto out;
	}
	if (v[F_SIG].len != WK_KEYREC_SIG_B64_LEN ||
	    wk_base64_decode(v[F_SIG], &sigbuf) != 0 ||
	    sigbuf.len != WK_ED25519_SIG_LEN) {
		r = WK_ERR_INVAL;
		goto out;
	}
	memcpy(sig, sigbuf.p, WK_ED25519_SIG_LEN);
	*signed_part = wk_span_from_mem(text.p,
	    (size_t)(lines[F_SIG].p - text.p));
	r = 0;
out:
	if (r != 0) {
		memset(out, 0, sizeof(*out));
		memset(sig, 0, WK_ED25519_SIG_LEN);
		r = r == WK_ERR_NOMEM ? r : WK_ERR_INVAL;
	}
	wk_buf_cleanup(&norm);
	wk_buf_cleanup(&sigbuf);
	return r;
}

int
wk_keyrec_verify(struct wk_span text, const struct wk_pubkey *pinned,
    size_t npinned, const char *instance_id, const char *os_user,
    time_t now, struct wk_keyrec *out, const char **why)
{
	struct wk_keyrec rec;
	struct wk_span signed_part;
	uint8_t sig[WK_ED25519_SIG_LEN];
	int r;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if ((r = wk_keyrec_parse(text, &rec, &signed_part, sig)) != 0) {
		*why = r == WK_ERR_TOOBIG ? "record too large" :
		    r == WK_ERR_NOMEM ? "out of memory" : "malformed record";
		return r;
	}
	if ((r = wk_pubkey_verify_pinned(pinned, npinned, rec.key_id,
	    signed_part, sig, sizeof(sig))) != 0) {
		*why = r == WK_ERR_NOTFOUND ? "unknown signing key" :
		    "bad signature";
		return WK_ERR_AUTH;
	}
	if (instance_id == NULL || strcmp(rec.instance_id, instance_id) != 0) {
		*why = "wrong instance";
		return WK_ERR_DENIED;
	}
	if (os_user == NULL || strcmp(rec.os_user, os_user) != 0) {
		*why = "wrong user";
		return WK_ERR_DENIED;
	}
	if ((int64_t)now + WK_KEYREC_SKEW_SECONDS < rec.issued) {
		*why = "issued in the future";
		return WK_ERR_EXPIRED;
	}
	if ((int64_t)now >= rec.expires) {
		*why = "expired";
		return WK_ERR_EXPIRED;
	}
	*out = rec;
	return 0;
}

int
wk_keyrec_authorized_line(const struct wk_keyrec *rec, struct wk_buf *out)
{
	struct tm tm;
	time_t t = (time_t)rec->expires;
	char ts[32];
	size_t start = out->len;
	int r;

	/*
	 * OpenSSH (>= 8.x; Debian 12 ships 9.2) reads a trailing 'Z' as UTC
	 * (sshd(8), AUTHORIZED_KEYS FILE FORMAT), so no local time zone is
	 * involved.
	 */
	if (rec->expires <= 0 || (uint64_t)rec->expires > MAX_TIME ||
	    gmtime_r(&t, &tm) == NULL ||
	    strftime(ts, sizeof(ts), "%Y%m%d%H%M%SZ", &tm) != 15)
		return WK_ERR_INVAL;
	if (!valid_from(wk_span_from_cstr(rec->from)) ||
	    !valid_request(wk_span_from_cstr(rec->request_id)) ||
	    strchr(rec->pubkey, '\n') != NULL || rec->pubkey[0] == '\0')
		return WK_ERR_INVAL;
	if ((r = wk_buf_appendf(out, "expiry-time=\"%s\"", ts)) != 0)
		goto out;
	if (rec->from[0] != '\0' &&
	    (r = wk_buf_appendf(out, ",from=\"%s\"", rec->from)) != 0)
		goto out;
	r = wk_buf_appendf(out, " %s wicket:%s", rec->pubkey, rec->request_id);
out:
	if (r != 0 && out->p != NULL) {
		out->len = start;
		out->p[start] = '\0';
	}
	return r;
}
