/*
 * keyrec_sign.c - signing a key record (format in keyrec.h) with the
 * control plane's OpenSSL key. Kept apart from keyrec.c so the host
 * helper, which only parses and verifies, never links signkey.c.
 */
#include "crypto/keyrec.h"

#include "common/encode.h"
#include "common/err.h"
#include "crypto/keyrec_int.h"

int
wk_keyrec_sign(const struct wk_keyrec *rec, const struct wk_signkey *key,
    struct wk_buf *out)
{
	struct wk_pubkey pub;
	uint8_t sig[WK_ED25519_SIG_LEN];
	size_t start = out->len;
	int r;

	wk_signkey_public(key, &pub);
	if ((r = wk_keyrec_format_unsigned(rec, pub.id, out)) != 0)
		return r;
	if ((r = wk_signkey_sign(key, wk_span_from_mem(out->p + start,
	    out->len - start), sig)) != 0)
		goto out;
	if ((r = wk_buf_append_str(out, "#Signature=")) != 0 ||
	    (r = wk_base64_encode(out, sig, sizeof(sig))) != 0 ||
	    (r = wk_buf_putc(out, '\n')) != 0)
		goto out;
out:
	if (r != 0 && out->p != NULL) {
		out->len = start;
		out->p[start] = '\0';
	}
	return r;
}
