/*
 * join_token.c - the join token's text form (join_token.h).
 */
#include "crypto/join_token.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"

static bool
alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

static bool
lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int
wk_join_token_parse(const char *text, size_t len, struct wk_join_token *out,
    const char **why)
{
	const size_t plen = sizeof(WK_JOIN_TOKEN_PREFIX) - 1;
	char pinhex[WK_SPKI_PIN_HEX_LEN + 1];

	wk_explicit_bzero(out, sizeof(*out));
	*why = NULL;
	if (len < plen || memcmp(text, WK_JOIN_TOKEN_PREFIX, plen) != 0) {
		*why = "prefix";
		return WK_ERR_INVAL;
	}
	if (len < WK_JOIN_SECRET_LEN) {
		*why = "secret";
		return WK_ERR_INVAL;
	}
	for (size_t i = plen; i < WK_JOIN_SECRET_LEN; i++) {
		if (!alnum(text[i])) {
			*why = "secret";
			return WK_ERR_INVAL;
		}
	}
	if (len == WK_JOIN_SECRET_LEN)
		goto ok;
	if (text[WK_JOIN_SECRET_LEN] != '.' ||
	    len != WK_JOIN_SECRET_LEN + 1 + WK_SPKI_PIN_HEX_LEN) {
		*why = len > WK_JOIN_SECRET_LEN && alnum(text[WK_JOIN_SECRET_LEN])
		    ? "secret" : "pin";
		return WK_ERR_INVAL;
	}
	for (size_t i = 0; i < WK_SPKI_PIN_HEX_LEN; i++) {
		if (!lower_hex(text[WK_JOIN_SECRET_LEN + 1 + i])) {
			*why = "pin";
			return WK_ERR_INVAL;
		}
	}
	memcpy(pinhex, text + WK_JOIN_SECRET_LEN + 1, WK_SPKI_PIN_HEX_LEN);
	pinhex[WK_SPKI_PIN_HEX_LEN] = '\0';
	if (wk_spki_pin_parse(pinhex, out->pin) != 0) {
		wk_explicit_bzero(out, sizeof(*out));
		*why = "pin";
		return WK_ERR_INVAL;
	}
	out->has_pin = true;
 ok:
	memcpy(out->secret, text, WK_JOIN_SECRET_LEN);
	out->secret[WK_JOIN_SECRET_LEN] = '\0';
	return 0;
}

int
wk_join_token_format(const struct wk_join_token *t, char *out, size_t outsz)
{
	char hex[WK_SPKI_PIN_HEX_LEN + 1];
	int n;

	if (strlen(t->secret) != WK_JOIN_SECRET_LEN)
		return WK_ERR_INVAL;
	if (!t->has_pin) {
		n = snprintf(out, outsz, "%s", t->secret);
	} else {
		wk_spki_pin_hex(t->pin, hex);
		n = snprintf(out, outsz, "%s.%s", t->secret, hex);
	}
	return n < 0 || (size_t)n >= outsz ? WK_ERR_TOOBIG : 0;
}

void
wk_join_token_clear(struct wk_join_token *t)
{
	wk_explicit_bzero(t, sizeof(*t));
}
