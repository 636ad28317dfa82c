/*
 * rotation_sign.c - signing a rotation statement (format in rotation.h)
 * with a control-plane key (OpenSSL). Kept apart from rotation.c so code
 * that only verifies never needs signkey.c.
 */
#include "crypto/rotation.h"

#include "common/encode.h"
#include "common/err.h"
#include "crypto/signkey.h"

int
wk_rotation_sign(const struct wk_rotation *st,
    const struct wk_signkey *signer, struct wk_buf *out)
{
	struct wk_pubkey pub;
	uint8_t sig[WK_ED25519_SIG_LEN];
	size_t start = out->len;
	int r;

	wk_signkey_public(signer, &pub);
	if ((r = wk_rotation_format_unsigned(st, pub.id, out)) != 0)
		return r;
	if ((r = wk_signkey_sign(signer, wk_span_from_mem(out->p + start,
	    out->len - start), sig)) != 0 ||
	    (r = wk_buf_append_str(out, "#Signature=")) != 0 ||
	    (r = wk_base64_encode(out, sig, sizeof(sig))) != 0 ||
	    (r = wk_buf_putc(out, '\n')) != 0)
		goto out;
	if (out->len - start > WK_ROTATION_MAX_LEN)
		r = WK_ERR_TOOBIG;
 out:
	if (r != 0 && out->p != NULL) {
		out->len = start;
		out->p[start] = '\0';
	}
	return r;
}
