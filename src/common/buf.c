#include "common/buf.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"

void
wk_buf_init(struct wk_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
wk_buf_cleanup(struct wk_buf *b)
{
	if (b == NULL)
		return;
	wk_free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
wk_buf_cleanup_secret(struct wk_buf *b)
{
	if (b == NULL)
		return;
	wk_freezero(b->p, b->cap);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
wk_buf_reset(struct wk_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

int
wk_buf_reserve(struct wk_buf *b, size_t extra)
{
	size_t need, ncap;
	uint8_t *np;

	if (b->max - b->len < extra)
		return WK_ERR_TOOBIG;
	if (b->len + extra == SIZE_MAX)	/* no room for the NUL */
		return WK_ERR_TOOBIG;
	need = b->len + extra + 1;	/* room for the trailing NUL */
	if (need <= b->cap)
		return 0;
	ncap = b->cap < 64 ? 64 : b->cap;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	if (b->max < SIZE_MAX && ncap > b->max + 1)
		ncap = b->max + 1;	/* need <= max + 1 holds here */
	if ((np = wk_realloc(b->p, ncap)) == NULL)
		return WK_ERR_NOMEM;
	np[b->len] = '\0';	/* keep the invariant for fresh memory */
	b->p = np;
	b->cap = ncap;
	return 0;
}

int
wk_buf_append(struct wk_buf *b, const void *data, size_t len)
{
	int r;

	if ((r = wk_buf_reserve(b, len)) != 0)
		return r;
	if (len > 0)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

int
wk_buf_append_span(struct wk_buf *b, struct wk_span s)
{
	return wk_buf_append(b, s.p, s.len);
}

int
wk_buf_append_str(struct wk_buf *b, const char *s)
{
	return wk_buf_append(b, s, strlen(s));
}

int
wk_buf_putc(struct wk_buf *b, int c)
{
	uint8_t ch = (uint8_t)c;

	return wk_buf_append(b, &ch, 1);
}

/*
 * Formats straight into the room the buffer has: only text that does not
 * fit is formatted a second time, once the buffer has grown (formatting
 * twice, to measure and then to write, was most of what a formatted
 * append cost).
 */
int
wk_buf_vappendf(struct wk_buf *b, const char *fmt, va_list ap)
{
	size_t avail = b->p != NULL ? b->cap - b->len : 0;
	va_list cp;
	int n, r;

	va_copy(cp, ap);
	n = vsnprintf(avail > 0 ? (char *)b->p + b->len : NULL, avail, fmt,
	    cp);
	va_end(cp);
	if (n >= 0 && (size_t)n < avail && (size_t)n <= b->max - b->len) {
		b->len += (size_t)n;
		return 0;
	}
	if (b->p != NULL)
		b->p[b->len] = '\0';	/* drop what did not fit */
	if (n < 0)
		return WK_ERR_INVAL;
	if ((r = wk_buf_reserve(b, (size_t)n)) != 0)
		return r;
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
wk_buf_appendf(struct wk_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = wk_buf_vappendf(b, fmt, ap);
	va_end(ap);
	return r;
}

const char *
wk_buf_cstr(const struct wk_buf *b)
{
	return b->p != NULL ? (const char *)b->p : "";
}

struct wk_span
wk_buf_span(const struct wk_buf *b)
{
	return (struct wk_span){ b->p, b->len };
}

char *
wk_buf_steal(struct wk_buf *b)
{
	char *s;

	if (b->p == NULL && wk_buf_reserve(b, 0) != 0)
		return NULL;
	b->p[b->len] = '\0';
	s = (char *)b->p;
	b->p = NULL;
	b->len = b->cap = 0;
	return s;
}

struct wk_span
wk_span_from_cstr(const char *s)
{
	return (struct wk_span){ (const uint8_t *)s, s ? strlen(s) : 0 };
}

struct wk_span
wk_span_from_mem(const void *p, size_t len)
{
	return (struct wk_span){ p, len };
}

bool
wk_span_eq(struct wk_span a, struct wk_span b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool
wk_span_eq_cstr(struct wk_span a, const char *s)
{
	return wk_span_eq(a, wk_span_from_cstr(s));
}

static int
ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

bool
wk_span_case_eq_cstr(struct wk_span a, const char *s)
{
	size_t n = strlen(s);

	if (a.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ascii_lower(a.p[i]) != ascii_lower((uint8_t)s[i]))
			return false;
	return true;
}

bool
wk_span_starts_with(struct wk_span a, const char *prefix)
{
	size_t n = strlen(prefix);

	return a.len >= n && memcmp(a.p, prefix, n) == 0;
}

/*
 * Constant time in the contents (not the lengths, which are not secret
 * here): every byte pair is visited and differences are OR-ed into an
 * accumulator. The accumulator is volatile so the compiler can neither
 * stop at the first difference nor turn the loop into memcmp. Our own
 * rather than CRYPTO_memcmp so that src/common needs no libcrypto.
 */
bool
wk_span_ct_eq(struct wk_span a, struct wk_span b)
{
	volatile uint8_t acc = 0;

	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		acc |= a.p[i] ^ b.p[i];
	return acc == 0;
}

int
wk_span_to_cstr(struct wk_span s, char **out)
{
	char *d;

	*out = NULL;
	if (s.len > 0 && memchr(s.p, '\0', s.len) != NULL)
		return WK_ERR_INVAL;
	if (s.len == SIZE_MAX || (d = wk_malloc(s.len + 1)) == NULL)
		return WK_ERR_NOMEM;
	if (s.len > 0)
		memcpy(d, s.p, s.len);
	d[s.len] = '\0';
	*out = d;
	return 0;
}

bool
wk_span_split(struct wk_span s, uint8_t sep, struct wk_span *head,
    struct wk_span *rest)
{
	const uint8_t *q = s.len ? memchr(s.p, sep, s.len) : NULL;

	if (q == NULL) {
		*head = s;
		*rest = WK_SPAN_NULL;
		return false;
	}
	*head = (struct wk_span){ s.p, (size_t)(q - s.p) };
	*rest = (struct wk_span){ q + 1, s.len - (size_t)(q - s.p) - 1 };
	return true;
}

static bool
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct wk_span
wk_span_trim(struct wk_span s)
{
	while (s.len > 0 && is_space(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_space(s.p[s.len - 1]))
		s.len--;
	return s;
}

int
wk_span_to_u64(struct wk_span s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	*out = 0;
	if (s.len == 0 || s.len > 20)
		return WK_ERR_INVAL;
	for (size_t i = 0; i < s.len; i++) {
		unsigned d;

		if (s.p[i] < '0' || s.p[i] > '9')
			return WK_ERR_INVAL;
		d = (unsigned)(s.p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return WK_ERR_INVAL;
		v = v * 10 + d;
	}
	if (v > max)
		return WK_ERR_INVAL;
	*out = v;
	return 0;
}

int
wk_cstr_to_u64(const char *s, uint64_t max, uint64_t *out)
{
	return wk_span_to_u64(wk_span_from_cstr(s), max, out);
}
