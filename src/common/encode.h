/*
 * encode.h - hex, base64 and the URI encodings AWS uses.
 * Encoders append to a wk_buf; decoders refuse anything not canonical.
 */
#ifndef WK_COMMON_ENCODE_H
#define WK_COMMON_ENCODE_H

#include <stdbool.h>

#include "common/buf.h"

int wk_hex_encode(struct wk_buf *out, const uint8_t *p, size_t len);	/* lower */
/* Decodes exactly `outlen` bytes from 2*outlen hex digits (either case). */
int wk_hex_decode(struct wk_span in, uint8_t *out, size_t outlen);
int wk_base64_encode(struct wk_buf *out, const uint8_t *p, size_t len);
/* Standard alphabet with padding; whitespace refused. */
int wk_base64_decode(struct wk_span in, struct wk_buf *out);
/*
 * AWS URI encoding: unreserved (A-Z a-z 0-9 - . _ ~) kept, every other byte
 * %XX upper-case; '/' kept when encode_slash is false.
 */
int wk_uri_encode(struct wk_buf *out, struct wk_span in, bool encode_slash);
/*
 * Percent-decoding; with form true, '+' means space (x-www-form-urlencoded).
 * Bad escapes are WK_ERR_INVAL.
 */
int wk_uri_decode(struct wk_buf *out, struct wk_span in, bool form);

#endif
