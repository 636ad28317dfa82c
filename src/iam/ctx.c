/*
 * ctx.c - the request context: condition keys (case-insensitive) with one
 * or more string values.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* strnlen */
#endif

#include "iam/policy_int.h"

#include <string.h>

#include "common/alloc.h"
#include "common/err.h"

int
wk_ctx_new(struct wk_ctx **out)
{
	struct wk_ctx *c;

	*out = NULL;
	if ((c = wk_calloc(1, sizeof(*c))) == NULL)
		return WK_ERR_NOMEM;
	*out = c;
	return 0;
}

void
wk_ctx_free(struct wk_ctx *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		for (j = 0; j < c->ents[i].nvals; j++)
			wk_free(c->ents[i].vals[j]);
		wk_free(c->ents[i].vals);
		wk_free(c->ents[i].key);
	}
	wk_free(c->ents);
	wk_free(c);
}

const struct wk_ctx_entry *
wk_ctx_find_lc(const struct wk_ctx *c, const char *lckey)
{
	size_t i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < c->n; i++)
		if (strcmp(c->ents[i].key, lckey) == 0)
			return &c->ents[i];
	return NULL;
}

/* Case-insensitive lookup of a caller's key without allocating: the
 * index, or c->n when absent. */
static size_t
find_idx(const struct wk_ctx *c, const char *key)
{
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		const char *k = c->ents[i].key;

		for (j = 0; k[j] != '\0' && wk_lc(key[j]) == k[j]; j++)
			;
		if (k[j] == '\0' && key[j] == '\0')
			return i;
	}
	return c->n;
}

static const struct wk_ctx_entry *
find_ci(const struct wk_ctx *c, const char *key)
{
	size_t i;

	if (c == NULL || key == NULL)
		return NULL;
	i = find_idx(c, key);
	return i < c->n ? &c->ents[i] : NULL;
}

int
wk_ctx_add(struct wk_ctx *c, const char *key, const char *value)
{
	struct wk_ctx_entry *e, *ents;
	char **vals, *v = NULL, *k = NULL;
	size_t klen, vlen, i;
	int r = WK_ERR_NOMEM;

	if (c == NULL || key == NULL || value == NULL)
		return WK_ERR_INVAL;
	klen = strnlen(key, WK_CTX_MAX_KEY_LEN + 1);
	vlen = strnlen(value, WK_CTX_MAX_VALUE_LEN + 1);
	if (klen == 0)
		return WK_ERR_INVAL;
	if (klen > WK_CTX_MAX_KEY_LEN || vlen > WK_CTX_MAX_VALUE_LEN)
		return WK_ERR_TOOBIG;
	i = find_idx(c, key);
	e = i < c->n ? &c->ents[i] : NULL;
	if (e == NULL) {
		if (c->n >= WK_CTX_MAX_KEYS)
			return WK_ERR_LIMIT;
		if ((k = wk_strndup(key, klen)) == NULL)
			goto out;
		for (i = 0; i < klen; i++)
			k[i] = wk_lc(k[i]);
	} else if (e->nvals >= WK_CTX_MAX_VALUES)
		return WK_ERR_LIMIT;
	if ((v = wk_strndup(value, vlen)) == NULL)
		goto out;
	if (e == NULL) {
		ents = wk_reallocarray(c->ents, c->n + 1, sizeof(*ents));
		if (ents == NULL)
			goto out;
		c->ents = ents;
		e = &c->ents[c->n++];
		e->key = k;
		e->vals = NULL;
		e->nvals = 0;
		k = NULL;
	}
	vals = wk_reallocarray(e->vals, e->nvals + 1, sizeof(*vals));
	if (vals == NULL)
		goto out;	/* a new key stays, with no values */
	e->vals = vals;
	e->vals[e->nvals++] = v;
	v = NULL;
	r = 0;
out:
	wk_free(k);
	wk_free(v);
	return r;
}

size_t
wk_ctx_count(const struct wk_ctx *c, const char *key)
{
	const struct wk_ctx_entry *e = find_ci(c, key);

	return e == NULL ? 0 : e->nvals;
}

const char *
wk_ctx_get(const struct wk_ctx *c, const char *key, size_t i)
{
	const struct wk_ctx_entry *e = find_ci(c, key);

	if (e == NULL || i >= e->nvals)
		return NULL;
	return e->vals[i];
}

const char *
wk_ctx_key(const struct wk_ctx *c, size_t i)
{
	if (c == NULL || i >= c->n)
		return NULL;
	return c->ents[i].key;
}

int
wk_ctx_merge(struct wk_ctx *dst, const struct wk_ctx *src)
{
	const struct wk_ctx_entry *d, *s;
	size_t i, j, newkeys = 0;
	int r;

	if (dst == NULL || dst == src)
		return WK_ERR_INVAL;
	if (src == NULL)
		return 0;
	/* Check the ceilings first, so that LIMIT leaves dst as it was. */
	for (i = 0; i < src->n; i++) {
		s = &src->ents[i];
		if (s->nvals == 0)
			continue;
		if ((d = wk_ctx_find_lc(dst, s->key)) == NULL)
			newkeys++;
		else if (s->nvals > WK_CTX_MAX_VALUES - d->nvals)
			return WK_ERR_LIMIT;
	}
	if (newkeys > WK_CTX_MAX_KEYS - dst->n)
		return WK_ERR_LIMIT;
	for (i = 0; i < src->n; i++) {
		s = &src->ents[i];
		for (j = 0; j < s->nvals; j++)
			if ((r = wk_ctx_add(dst, s->key, s->vals[j])) != 0)
				return r;
	}
	return 0;
}
