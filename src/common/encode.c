#include "common/encode.h"

#include "common/err.h"

static const char hexdigits[] = "0123456789abcdef";
static const char b64digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
wk_hex_encode(struct wk_buf *out, const uint8_t *p, size_t len)
{
	int r;

	if (len > SIZE_MAX / 2)
		return WK_ERR_TOOBIG;
	if ((r = wk_buf_reserve(out, len * 2)) != 0)
		return r;
	for (size_t i = 0; i < len; i++) {
		out->p[out->len++] = (uint8_t)hexdigits[p[i] >> 4];
		out->p[out->len++] = (uint8_t)hexdigits[p[i] & 15];
	}
	out->p[out->len] = '\0';
	return 0;
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
wk_hex_decode(struct wk_span in, uint8_t *out, size_t outlen)
{
	if (outlen > SIZE_MAX / 2 || in.len != outlen * 2)
		return WK_ERR_INVAL;
	for (size_t i = 0; i < outlen; i++) {
		int hi = hexval(in.p[2 * i]), lo = hexval(in.p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return WK_ERR_INVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
wk_base64_encode(struct wk_buf *out, const uint8_t *p, size_t len)
{
	size_t n;
	int r;

	if (len > (SIZE_MAX / 4) * 3 - 3 || len > INT32_MAX)
		return WK_ERR_TOOBIG;
	n = 4 * ((len + 2) / 3);
	if ((r = wk_buf_reserve(out, n)) != 0)
		return r;
	for (size_t i = 0; i < len; i += 3) {
		size_t left = len - i;
		uint32_t v = (uint32_t)p[i] << 16;
		uint8_t *d = out->p + out->len;

		if (left > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		d[0] = (uint8_t)b64digits[v >> 18];
		d[1] = (uint8_t)b64digits[(v >> 12) & 63];
		d[2] = left > 1 ? (uint8_t)b64digits[(v >> 6) & 63] : '=';
		d[3] = left > 2 ? (uint8_t)b64digits[v & 63] : '=';
		out->len += 4;
	}
	out->p[out->len] = '\0';
	return 0;
}

static int
b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
wk_base64_decode(struct wk_span in, struct wk_buf *out)
{
	size_t pad = 0;
	int r;

	if (in.len % 4 != 0)
		return WK_ERR_INVAL;
	if (in.len > 0 && in.p[in.len - 1] == '=') {
		pad++;
		if (in.p[in.len - 2] == '=')	/* len >= 4 here */
			pad++;
	}
	if ((r = wk_buf_reserve(out, in.len / 4 * 3)) != 0)
		return r;
	for (size_t i = 0; i < in.len; i += 4) {
		int v[4];
		bool last = i + 4 == in.len;

		for (int k = 0; k < 4; k++) {
			size_t pos = i + (size_t)k;

			if (last && pos >= in.len - pad)
				v[k] = 0;
			else if ((v[k] = b64val(in.p[pos])) < 0)
				return WK_ERR_INVAL;
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
		    (uint32_t)v[2] << 6 | (uint32_t)v[3];
		size_t nbytes = last ? 3 - pad : 3;

		/* Canonical only: the bits under the padding must be zero. */
		if (last && ((pad == 1 && (w & 0xff)) ||
		    (pad == 2 && (w & 0xffff))))
			return WK_ERR_INVAL;
		out->p[out->len++] = (uint8_t)(w >> 16);
		if (nbytes > 1)
			out->p[out->len++] = (uint8_t)(w >> 8);
		if (nbytes > 2)
			out->p[out->len++] = (uint8_t)w;
	}
	out->p[out->len] = '\0';
	return 0;
}

static bool
unreserved(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

int
wk_uri_encode(struct wk_buf *out, struct wk_span in, bool encode_slash)
{
	static const char up[] = "0123456789ABCDEF";
	int r;

	for (size_t i = 0; i < in.len; i++) {
		uint8_t c = in.p[i];

		if (unreserved(c) || (c == '/' && !encode_slash)) {
			if ((r = wk_buf_putc(out, c)) != 0)
				return r;
			continue;
		}
		uint8_t esc[3] = { '%', (uint8_t)up[c >> 4],
			(uint8_t)up[c & 15] };
		if ((r = wk_buf_append(out, esc, 3)) != 0)
			return r;
	}
	if (out->p == NULL)
		return wk_buf_reserve(out, 0);
	return 0;
}

int
wk_uri_decode(struct wk_buf *out, struct wk_span in, bool form)
{
	int r;

	if ((r = wk_buf_reserve(out, in.len)) != 0)
		return r;
	for (size_t i = 0; i < in.len; i++) {
		uint8_t c = in.p[i];

		if (c == '%') {
			int hi, lo;

			if (in.len - i < 3 || (hi = hexval(in.p[i + 1])) < 0 ||
			    (lo = hexval(in.p[i + 2])) < 0)
				return WK_ERR_INVAL;
			c = (uint8_t)(hi << 4 | lo);
			i += 2;
		} else if (form && c == '+') {
			c = ' ';
		}
		out->p[out->len++] = c;
	}
	out->p[out->len] = '\0';
	return 0;
}
