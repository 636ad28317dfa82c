/*
 * sshkey_check.c - the structural half of SSH public key validation: the
 * line byte by byte, the key type, the base64, the blob's fields for its
 * type (RSA modulus size read from the blob), and the SHA256 fingerprint.
 * No libssh and no OpenSSL here (SHA-256 is libsodium's, base64 ours), so
 * wicket-authorized-keys (which parses signed records whose keys wicketd
 * already validated in full) loads nothing but libsodium.
 */
#include "crypto/sshkey.h"

#include <string.h>

#include "common/alloc.h"
#include "common/encode.h"
#include "common/err.h"
#include "crypto/hash.h"

#define MAX_RSA_BITS 16384

struct keytype {
	const char *name;
	int nfields;		/* strings in the blob after the type */
	const char *curve;	/* ECDSA curve name, else NULL */
	size_t keylen;		/* ed25519 key / ECDSA point length, 0: any */
	bool rsa;
};

static const struct keytype keytypes[] = {
	{ .name = "ssh-ed25519", .nfields = 1, .keylen = 32 },
	{ .name = "ecdsa-sha2-nistp256", .nfields = 2, .curve = "nistp256",
	    .keylen = 65 },
	{ .name = "ecdsa-sha2-nistp384", .nfields = 2, .curve = "nistp384",
	    .keylen = 97 },
	{ .name = "ecdsa-sha2-nistp521", .nfields = 2, .curve = "nistp521",
	    .keylen = 133 },
	{ .name = "ssh-rsa", .nfields = 2, .rsa = true },
	{ .name = "sk-ssh-ed25519@openssh.com", .nfields = 2, .keylen = 32 },
	{ .name = "sk-ecdsa-sha2-nistp256@openssh.com", .nfields = 3,
	    .curve = "nistp256", .keylen = 65 },
};

static const struct keytype *
find_type(struct wk_span name)
{
	for (size_t i = 0; i < sizeof(keytypes) / sizeof(keytypes[0]); i++)
		if (wk_span_eq_cstr(name, keytypes[i].name))
			return &keytypes[i];
	return NULL;
}

/* Reads one SSH "string" (uint32 length + bytes) from *b. */
static int
get_string(struct wk_span *b, struct wk_span *out)
{
	uint32_t n;

	if (b->len < 4)
		return WK_ERR_INVAL;
	n = (uint32_t)b->p[0] << 24 | (uint32_t)b->p[1] << 16 |
	    (uint32_t)b->p[2] << 8 | (uint32_t)b->p[3];
	if (b->len - 4 < n)
		return WK_ERR_INVAL;
	*out = wk_span_from_mem(b->p + 4, n);
	b->p += 4 + n;
	b->len -= 4 + (size_t)n;
	return 0;
}

/* Bits of a positive mpint; 0 when not a valid positive mpint. */
static size_t
mpint_bits(struct wk_span m)
{
	size_t i = 0, bits;
	uint8_t top;

	if (m.len == 0 || (m.p[0] & 0x80))
		return 0;
	if (m.p[0] == 0 && (m.len == 1 || !(m.p[1] & 0x80)))
		return 0;	/* zero, or a non-minimal leading zero */
	if (m.p[0] == 0)
		i = 1;
	top = m.p[i];
	bits = (m.len - i - 1) * 8;
	while (top != 0) {
		bits++;
		top >>= 1;
	}
	return bits;
}

static int
check_blob(const struct keytype *kt, struct wk_span blob, const char **why)
{
	struct wk_span b = blob, f[4];

	if (get_string(&b, &f[0]) != 0) {
		*why = "truncated key blob";
		return WK_ERR_INVAL;
	}
	if (!wk_span_eq_cstr(f[0], kt->name)) {
		*why = "key type does not match the key blob";
		return WK_ERR_INVAL;
	}
	for (int i = 1; i <= kt->nfields; i++) {
		if (get_string(&b, &f[i]) != 0) {
			*why = "truncated key blob";
			return WK_ERR_INVAL;
		}
	}
	if (b.len != 0) {
		*why = "trailing bytes in key blob";
		return WK_ERR_INVAL;
	}
	if (kt->rsa) {
		size_t bits = mpint_bits(f[2]);

		if (mpint_bits(f[1]) == 0 || bits == 0) {
			*why = "malformed RSA key";
			return WK_ERR_INVAL;
		}
		if (bits < WK_SSHKEY_MIN_RSA_BITS || bits > MAX_RSA_BITS) {
			*why = "RSA key size out of range (2048..16384 bits)";
			return WK_ERR_INVAL;
		}
		return 0;
	}
	if (kt->curve != NULL) {
		if (!wk_span_eq_cstr(f[1], kt->curve)) {
			*why = "ECDSA curve does not match the key type";
			return WK_ERR_INVAL;
		}
		if (f[2].len != kt->keylen || f[2].p[0] != 0x04) {
			*why = "malformed ECDSA point";
			return WK_ERR_INVAL;
		}
	} else if (f[1].len != kt->keylen) {
		*why = "malformed Ed25519 key";
		return WK_ERR_INVAL;
	}
	return 0;
}

int
wk_sshkey_fingerprint_blob(struct wk_span blob,
    char fp[static WK_SSHKEY_FP_LEN])
{
	uint8_t md[WK_SHA256_LEN];
	struct wk_buf b64;
	int r;

	fp[0] = '\0';
	wk_sha256(blob.p, blob.len, md);
	wk_buf_init(&b64, 64);
	if ((r = wk_base64_encode(&b64, md, sizeof(md))) != 0)
		goto out;
	/* 32 bytes -> 43 characters and one '=' of padding, dropped. */
	if (b64.len != 44) {
		r = WK_ERR_CRYPTO;
		goto out;
	}
	memcpy(fp, "SHA256:", 7);
	memcpy(fp + 7, b64.p, 43);
	fp[50] = '\0';
out:
	wk_buf_cleanup(&b64);
	return r;
}

static bool
is_b64_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

int
wk_sshkey_check(struct wk_span line, struct wk_buf *normalized,
    char fp[static WK_SSHKEY_FP_LEN], const char **why)
{
	const struct keytype *kt;
	struct wk_span type, b64, rest;
	struct wk_buf blob;
	const char *dummy;
	size_t i;
	int r = WK_ERR_INVAL;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	fp[0] = '\0';
	wk_buf_init(&blob, WK_SSHKEY_MAX_LINE);
	/*
	 * One line. A single trailing "\n" (or "\r\n") is tolerated: it is
	 * what `--ssh-public-key file://key.pub` sends.
	 */
	if (line.len > 0 && line.p[line.len - 1] == '\n') {
		line.len--;
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
	}
	if (line.len == 0) {
		*why = "empty key";
		goto out;
	}
	if (line.len > WK_SSHKEY_MAX_LINE) {
		*why = "key line too long";
		r = WK_ERR_INVAL;
		goto out;
	}
	for (i = 0; i < line.len; i++) {
		if (line.p[i] < 0x20 || line.p[i] > 0x7e) {
			*why = line.p[i] == '\n' || line.p[i] == '\r' ?
			    "more than one line" :
			    "non-printable character in key line";
			goto out;
		}
	}
	/* type SP+ base64 [SP+ comment] */
	for (i = 0; i < line.len && line.p[i] != ' '; i++)
		;
	type = wk_span_from_mem(line.p, i);
	if ((kt = find_type(type)) == NULL) {
		for (size_t k = 0; k < type.len; k++) {
			if (type.p[k] == '=' || type.p[k] == '"') {
				*why = "key options are not allowed";
				goto out;
			}
		}
		*why = "unsupported key type";
		goto out;
	}
	while (i < line.len && line.p[i] == ' ')
		i++;
	rest = wk_span_from_mem(line.p + i, line.len - i);
	for (i = 0; i < rest.len && rest.p[i] != ' '; i++)
		if (!is_b64_char(rest.p[i]))
			break;
	if (i < rest.len && rest.p[i] != ' ') {
		*why = "invalid base64 in key";
		goto out;
	}
	b64 = wk_span_from_mem(rest.p, i);
	if (b64.len == 0) {
		*why = "missing key data";
		goto out;
	}
	if (wk_base64_decode(b64, &blob) != 0) {
		*why = "invalid base64 in key";
		goto out;
	}
	if ((r = check_blob(kt, wk_buf_span(&blob), why)) != 0)
		goto out;
	if ((r = wk_sshkey_fingerprint_blob(wk_buf_span(&blob), fp)) != 0)
		goto out;
	if ((r = wk_buf_append_span(normalized, type)) != 0 ||
	    (r = wk_buf_putc(normalized, ' ')) != 0 ||
	    (r = wk_buf_append_span(normalized, b64)) != 0) {
		*why = "out of memory";
		goto out;
	}
out:
	if (r != 0) {
		fp[0] = '\0';
		if (*why == NULL)
			*why = r == WK_ERR_NOMEM ? "out of memory" :
			    "invalid key";
	}
	wk_buf_cleanup(&blob);
	return r;
}
