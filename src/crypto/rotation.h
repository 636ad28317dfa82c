/*
 * rotation.h - the rotation statement: how a new control-plane signing key
 * reaches a host. A key is pinned only through a statement signed by a key
 * the host already pins, so nothing on the agent's path (a proxy, a replica
 * with a bad data directory) can add one. Text, one field a line, in this
 * exact order:
 *
 *   #wicket-rotation v1
 *   #Seq=<position of the new key in the chain: 1, 2, ... (no leading 0)>
 *   #Signer=<16 hex: id of the key that signs this statement>
 *   #KeyId=<16 hex: id of the new key, computed from #Key>
 *   #Key=<base64 of the new key's 32 raw Ed25519 bytes>
 *   #NotBefore=<unix seconds: not valid before (wicketd: creation time)>
 *   #Signature=<base64 Ed25519 signature by #Signer over every byte above,
 *              through the newline that ends #NotBefore>
 *
 * Every line ends in "\n"; no other bytes are allowed; at most
 * WK_ROTATION_MAX_LEN bytes (a statement is under 270). The key that signs
 * statement n (the current key when it was made) is key n-1 of the chain;
 * the first key (the one `wicketd init` made) is key 0 and has no statement.
 * The magic line differs from the key record's, so no signature over one
 * can be taken for the other.
 */
#ifndef WK_CRYPTO_ROTATION_H
#define WK_CRYPTO_ROTATION_H

#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "crypto/pubkey.h"

#define WK_ROTATION_MAX_LEN 512
/* Highest sequence number: 2^53 - 1 (exact in JSON numbers too). */
#define WK_ROTATION_MAX_SEQ ((uint64_t)9007199254740991)
/* Tolerated #NotBefore in the future (host clocks run behind). */
#define WK_ROTATION_SKEW_SECONDS 300

struct wk_rotation {
	uint64_t seq;
	char signer_id[WK_SIGNKEY_ID_LEN + 1];
	struct wk_pubkey key;		/* the new key (its id is #KeyId) */
	int64_t not_before;
};

/*
 * Parses one statement strictly (no signature check). On success
 * *signed_part covers the signed bytes and sig holds the signature.
 * Errors: WK_ERR_TOOBIG (over WK_ROTATION_MAX_LEN), WK_ERR_INVAL. *out is
 * zeroed on error.
 */
int wk_rotation_parse(struct wk_span text, struct wk_rotation *out,
    struct wk_span *signed_part, uint8_t sig[static WK_ED25519_SIG_LEN]);

/*
 * Accepts a statement only if it parses, its #Signer is one of `trusted`
 * and the signature verifies with that key, and not_before <= now +
 * WK_ROTATION_SKEW_SECONDS. Returns 0 and fills *out, or a negative error
 * with a short reason in *why (never NULL on error): WK_ERR_INVAL /
 * WK_ERR_TOOBIG malformed, WK_ERR_AUTH unknown signer or bad signature,
 * WK_ERR_EXPIRED not valid yet.
 */
int wk_rotation_verify(struct wk_span text, const struct wk_pubkey *trusted,
    size_t ntrusted, time_t now, struct wk_rotation *out, const char **why);

/*
 * Splits the first statement (7 lines) off `rest`, for a list of
 * statements stored back to back. Returns false when rest is empty or
 * holds fewer than 7 lines (then *one is the remainder).
 */
bool wk_rotation_next(struct wk_span *rest, struct wk_span *one);

/*
 * Signs a statement for st->key with `signer` (#Signer is taken from it;
 * st->signer_id is ignored) and appends its text to out. WK_ERR_INVAL for
 * seq 0 or over the maximum, a negative not_before, or a signer that is
 * the new key itself. On error out is unchanged. rotation_sign.c (OpenSSL).
 */
struct wk_signkey;
int wk_rotation_sign(const struct wk_rotation *st,
    const struct wk_signkey *signer, struct wk_buf *out);

/*
 * Checks st like parse does and appends the signed part (every line
 * through #NotBefore) with #Signer=signer_id. On error out is unchanged.
 */
int wk_rotation_format_unsigned(const struct wk_rotation *st,
    const char *signer_id, struct wk_buf *out);

#endif
