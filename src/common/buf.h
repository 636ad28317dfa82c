/*
 * buf.h - one owning, capped byte buffer (struct wk_buf) and one read-only
 * view (struct wk_span). Parsers consume spans; NUL-terminated strings are
 * only made at the libc/OS edge (wk_span_to_cstr refuses embedded NULs).
 */
#ifndef WK_COMMON_BUF_H
#define WK_COMMON_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wk_buf {
	uint8_t *p;	/* always NUL-terminated past len when p != NULL */
	size_t len;
	size_t cap;
	size_t max;	/* ceiling on len; appends beyond it fail TOOBIG */
};

struct wk_span {
	const uint8_t *p;
	size_t len;
};

#define WK_SPAN_LIT(s) ((struct wk_span){ (const uint8_t *)(s), sizeof(s) - 1 })
#define WK_SPAN_NULL ((struct wk_span){ NULL, 0 })
/* printf("%.*s", WK_SPAN_FMT(sp)) */
#define WK_SPAN_FMT(sp) (int)(sp).len, (const char *)(sp).p

void wk_buf_init(struct wk_buf *b, size_t max);
void wk_buf_cleanup(struct wk_buf *b);	/* frees; NULL-safe; b reusable */
void wk_buf_cleanup_secret(struct wk_buf *b);	/* wipes, then frees */
void wk_buf_reset(struct wk_buf *b);	/* len = 0, keeps memory */
int wk_buf_reserve(struct wk_buf *b, size_t extra);
int wk_buf_append(struct wk_buf *b, const void *data, size_t len);
int wk_buf_append_span(struct wk_buf *b, struct wk_span s);
int wk_buf_append_str(struct wk_buf *b, const char *s);
int wk_buf_putc(struct wk_buf *b, int c);
int wk_buf_appendf(struct wk_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int wk_buf_vappendf(struct wk_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* The contents as a C string ("" for an empty buffer); never NULL. */
const char *wk_buf_cstr(const struct wk_buf *b);
struct wk_span wk_buf_span(const struct wk_buf *b);
/* Hands the memory to the caller (NUL-terminated, or NULL on NOMEM). */
char *wk_buf_steal(struct wk_buf *b);

struct wk_span wk_span_from_cstr(const char *s);
struct wk_span wk_span_from_mem(const void *p, size_t len);
bool wk_span_eq(struct wk_span a, struct wk_span b);
bool wk_span_eq_cstr(struct wk_span a, const char *s);
bool wk_span_case_eq_cstr(struct wk_span a, const char *s);	/* ASCII */
bool wk_span_starts_with(struct wk_span a, const char *prefix);
/* Constant-time equality for secrets (length may leak). */
bool wk_span_ct_eq(struct wk_span a, struct wk_span b);
/* Copies into a new NUL-terminated string; WK_ERR_INVAL on embedded NUL. */
int wk_span_to_cstr(struct wk_span s, char **out);
/* Splits at the first `sep`: head before it, *rest after it. false if absent. */
bool wk_span_split(struct wk_span s, uint8_t sep, struct wk_span *head,
    struct wk_span *rest);
struct wk_span wk_span_trim(struct wk_span s);	/* ASCII space/tab/CR/LF */
/*
 * Bounded decimal parse: the whole span must be digits (no sign, no space)
 * and the value <= max. The one number parser for untrusted text.
 */
int wk_span_to_u64(struct wk_span s, uint64_t max, uint64_t *out);
int wk_cstr_to_u64(const char *s, uint64_t max, uint64_t *out);

#endif
