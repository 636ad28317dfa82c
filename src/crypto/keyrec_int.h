/*
 * keyrec_int.h - shared between keyrec.c (parse, verify: on the host
 * helper's path, libsodium only) and keyrec_sign.c (OpenSSL signing).
 */
#ifndef WK_CRYPTO_KEYREC_INT_H
#define WK_CRYPTO_KEYREC_INT_H

#include "common/buf.h"
#include "crypto/keyrec.h"

#define WK_KEYREC_SIG_B64_LEN 88	/* base64 of a 64-byte signature */
/* "#Signature=" + base64 + "\n" */
#define WK_KEYREC_SIG_LINE_LEN (11 + WK_KEYREC_SIG_B64_LEN + 1)

/*
 * Checks rec's fields (the same rules wk_keyrec_parse applies) and appends
 * the signed part of the record, every line through the key line, with
 * KeyId key_id. WK_ERR_TOOBIG when the whole record, signature line
 * included, would exceed WK_KEYREC_MAX_LEN. On error out is unchanged.
 */
int wk_keyrec_format_unsigned(const struct wk_keyrec *rec,
    const char *key_id, struct wk_buf *out);

#endif
