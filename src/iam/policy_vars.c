/*
 * policy_vars.c - policy values and policy variables.
 *
 * In a 2012-10-17 document, ${key} in a Resource or in a String/Arn
 * condition value is replaced by the request's value for that context key;
 * ${key, 'default'} gives a default for an absent key; ${*}, ${?} and ${$}
 * are a literal `*`, `?` and `$`. Substituted text is always literal (a `*`
 * in a user name is not a wildcard). In 2008-10-17 documents the text is
 * taken as written.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem */
#endif

#include "iam/policy_int.h"

#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/err.h"

/* Appends raw text to a pattern: backslashes escaped, wildcards kept. */
static int
append_lit(struct wk_buf *b, const char *s, size_t n, bool lower)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		char c = lower ? wk_lc(s[i]) : s[i];

		if (c == '\\' && (r = wk_buf_putc(b, '\\')) != 0)
			return r;
		if ((r = wk_buf_putc(b, c)) != 0)
			return r;
	}
	return 0;
}

static int
push_part(struct wk_pval *v, enum wk_part_kind kind, struct wk_buf *text,
    const char *def, size_t deflen)
{
	struct wk_part *parts, *pt;
	size_t len = text->len;

	parts = wk_reallocarray(v->parts, v->nparts + 1, sizeof(*parts));
	if (parts == NULL)
		return WK_ERR_NOMEM;
	v->parts = parts;
	pt = &parts[v->nparts];
	memset(pt, 0, sizeof(*pt));
	if (def != NULL && (pt->def = wk_strndup(def, deflen)) == NULL)
		return WK_ERR_NOMEM;
	if ((pt->text = wk_buf_steal(text)) == NULL) {
		wk_free(pt->def);
		return WK_ERR_NOMEM;
	}
	pt->kind = kind;
	pt->len = len;
	pt->deflen = deflen;
	v->nparts++;
	return 0;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Parses the inside of ${...}: "key" or "key, 'default'". False when it is
 * not a variable reference (the text then stays literal).
 */
static bool
parse_ref(const char *s, size_t n, size_t *ka, size_t *kb, const char **def,
    size_t *deflen)
{
	const char *comma = memchr(s, ',', n);
	size_t a = 0, b = comma ? (size_t)(comma - s) : n, i;

	*def = NULL;
	*deflen = 0;
	while (a < b && is_space(s[a]))
		a++;
	while (b > a && is_space(s[b - 1]))
		b--;
	if (a == b)
		return false;
	for (i = a; i < b; i++)
		if (s[i] == '$' || s[i] == '{' || s[i] == '\'' ||
		    is_space(s[i]))
			return false;
	*ka = a;
	*kb = b;
	if (comma != NULL) {
		size_t c = (size_t)(comma - s) + 1, e = n;

		while (c < e && is_space(s[c]))
			c++;
		while (e > c && is_space(s[e - 1]))
			e--;
		if (e - c < 2 || s[c] != '\'' || s[e - 1] != '\'')
			return false;
		if (memchr(s + c + 1, '\'', e - c - 2) != NULL)
			return false;
		*def = s + c + 1;
		*deflen = e - c - 2;
	}
	return true;
}

int
wk_pval_compile(struct wk_pval *v, const char *raw, size_t len, bool vars,
    bool lower)
{
	struct wk_buf lit, key;
	size_t i = 0;
	int r = WK_ERR_NOMEM;

	memset(v, 0, sizeof(*v));
	wk_buf_init(&lit, WK_PATTERN_MAX * 2);
	wk_buf_init(&key, WK_CTX_MAX_KEY_LEN * 2);
	if ((v->raw = wk_strndup(raw, len)) == NULL)
		goto out;
	if (!vars || memmem(raw, len, "${", 2) == NULL) {
		if ((r = append_lit(&lit, raw, len, lower)) != 0)
			goto out;
		v->patlen = lit.len;
		if ((v->pat = wk_buf_steal(&lit)) == NULL) {
			r = WK_ERR_NOMEM;
			goto out;
		}
		v->pk = wk_pat_classify(v->pat, v->patlen, &v->pre);
		v->nobs = memchr(v->pat, '\\', v->patlen) == NULL;
		r = 0;
		goto out;
	}
	while (i < len) {
		const char *close, *def;
		size_t ka, kb, deflen, inner, j;

		if (raw[i] != '$' || i + 1 >= len || raw[i + 1] != '{' ||
		    (close = memchr(raw + i + 2, '}', len - i - 2)) == NULL) {
			if ((r = append_lit(&lit, raw + i, 1, lower)) != 0)
				goto out;
			i++;
			continue;
		}
		inner = (size_t)(close - (raw + i + 2));
		if (inner == 1 && (raw[i + 2] == '*' || raw[i + 2] == '?' ||
		    raw[i + 2] == '$')) {
			if (raw[i + 2] != '$' &&
			    (r = wk_buf_putc(&lit, '\\')) != 0)
				goto out;
			if ((r = wk_buf_putc(&lit, raw[i + 2])) != 0)
				goto out;
			i += 4;
			continue;
		}
		if (!parse_ref(raw + i + 2, inner, &ka, &kb, &def, &deflen)) {
			if ((r = append_lit(&lit, raw + i, 1, lower)) != 0)
				goto out;
			i++;
			continue;
		}
		if (lit.len > 0 &&
		    (r = push_part(v, WK_PART_LIT, &lit, NULL, 0)) != 0)
			goto out;
		wk_buf_reset(&key);
		for (j = ka; j < kb; j++)
			if ((r = wk_buf_putc(&key,
			    wk_lc(raw[i + 2 + j]))) != 0)
				goto out;
		if ((r = push_part(v, WK_PART_VAR, &key, def, deflen)) != 0)
			goto out;
		i += 3 + inner;
	}
	if (lit.len > 0 && (r = push_part(v, WK_PART_LIT, &lit, NULL, 0)) != 0)
		goto out;
	if (v->nparts == 0) {
		/* Only escapes: a constant pattern after all. */
		if ((v->pat = wk_strdup("")) == NULL) {
			r = WK_ERR_NOMEM;
			goto out;
		}
	}
	r = 0;
out:
	wk_buf_cleanup(&lit);
	wk_buf_cleanup(&key);
	return r;
}

void
wk_pval_cleanup(struct wk_pval *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nparts; i++) {
		wk_free(v->parts[i].text);
		wk_free(v->parts[i].def);
	}
	wk_free(v->parts);
	wk_free(v->pat);
	wk_free(v->raw);
	memset(v, 0, sizeof(*v));
}

/* Resolves a variable part to its text; false when it has none. */
static bool
resolve(const struct wk_part *pt, const struct wk_ctx *ctx, const char **s,
    size_t *n)
{
	const struct wk_ctx_entry *e = wk_ctx_find_lc(ctx, pt->text);

	if (e != NULL && e->nvals == 1) {
		*s = e->vals[0];
		*n = strlen(e->vals[0]);
		return true;
	}
	if (e != NULL && e->nvals > 1)
		return false;	/* a multi-valued key is no variable */
	if (pt->def == NULL)
		return false;
	*s = pt->def;
	*n = pt->deflen;
	return true;
}

int
wk_pval_render(const struct wk_pval *v, const struct wk_ctx *ctx,
    struct wk_render *r, const char **p, size_t *plen)
{
	size_t total = 0, o = 0, i, n = 0;
	const char *s = NULL;
	char *dst;

	if (v->nparts == 0) {
		*p = v->pat;
		*plen = v->patlen;
		return 1;
	}
	for (i = 0; i < v->nparts; i++) {
		const struct wk_part *pt = &v->parts[i];

		if (pt->kind == WK_PART_LIT)
			total += pt->len;
		else if (!resolve(pt, ctx, &s, &n))
			return 0;
		else
			total += wk_pat_escape(NULL, 0, s, n);
		if (total > WK_PATTERN_MAX)
			return 0;
	}
	if (total < sizeof(r->stack))
		dst = r->stack;
	else {
		if (r->heapsz <= total) {
			char *h = wk_realloc(r->heap, total + 1);

			if (h == NULL)
				return WK_ERR_NOMEM;
			r->heap = h;
			r->heapsz = total + 1;
		}
		dst = r->heap;
	}
	for (i = 0; i < v->nparts; i++) {
		const struct wk_part *pt = &v->parts[i];

		if (pt->kind == WK_PART_LIT) {
			memcpy(dst + o, pt->text, pt->len);
			o += pt->len;
		} else {
			if (!resolve(pt, ctx, &s, &n))
				return 0;	/* resolved in the first pass */
			o += wk_pat_escape(dst + o, total - o, s, n);
		}
	}
	dst[o] = '\0';
	*p = dst;
	*plen = o;
	return 1;
}

void
wk_render_cleanup(struct wk_render *r)
{
	wk_free(r->heap);
	r->heap = NULL;
	r->heapsz = 0;
}
