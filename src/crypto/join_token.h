/*
 * join_token.h - the join token's text form (docs/protocols.md):
 *
 *   wkjt-<32 letters and digits>[.<64 hex: SHA-256 of an SPKI>]
 *
 * The part before the dot is the secret wicketd stores the hash of; the
 * pin after it tells `wicket-agent enroll` which public key (usually the
 * CA's) the server's chain must contain, so the agent never trusts on
 * first use. A token without a pin is the old form.
 */
#ifndef WK_CRYPTO_JOIN_TOKEN_H
#define WK_CRYPTO_JOIN_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/spki.h"

#define WK_JOIN_TOKEN_PREFIX "wkjt-"
#define WK_JOIN_TOKEN_RANDOM 32
#define WK_JOIN_SECRET_LEN (sizeof(WK_JOIN_TOKEN_PREFIX) - 1 + \
    WK_JOIN_TOKEN_RANDOM)			/* 37 */
#define WK_JOIN_TOKEN_MAX (WK_JOIN_SECRET_LEN + 1 + WK_SPKI_PIN_HEX_LEN)

struct wk_join_token {
	char secret[WK_JOIN_SECRET_LEN + 1];	/* what wicketd is sent */
	bool has_pin;
	uint8_t pin[WK_SPKI_PIN_LEN];
};

/*
 * Parses `text` (len bytes, no NUL needed). Strict: the prefix, exactly 32
 * of [A-Za-z0-9], then nothing or "." and 64 hex digits (lower-case, as
 * `wicketd token create` prints them). WK_ERR_INVAL with *why set
 * ("prefix", "secret", "pin") otherwise; *out is zeroed then.
 */
int wk_join_token_parse(const char *text, size_t len,
    struct wk_join_token *out, const char **why);
/* "wkjt-<secret>" or "wkjt-<secret>.<pin>"; out needs WK_JOIN_TOKEN_MAX + 1. */
int wk_join_token_format(const struct wk_join_token *t, char *out,
    size_t outsz);
/* Wipes the secret. */
void wk_join_token_clear(struct wk_join_token *t);

#endif
