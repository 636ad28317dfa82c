/*
 * api_params.c - the Query protocol's form body:
 * application/x-www-form-urlencoded name=value pairs joined by '&'.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/encode.h"
#include "common/err.h"
#include "server/api/api_int.h"

const char *
wk_params_get(const struct wk_params *p, const char *name)
{
	if (p == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return p->v[i].value;
	return NULL;
}

void
wk_params_free(struct wk_params *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		wk_free(p->v[i].name);
		wk_free(p->v[i].value);
	}
	wk_free(p->v);
	p->v = NULL;
	p->n = 0;
}

bool
wk_utf8_valid(struct wk_span s)
{
	size_t i = 0;

	while (i < s.len) {
		uint8_t c = s.p[i];
		size_t need;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		if (s.len - i - 1 < need)
			return false;
		for (size_t k = 1; k <= need; k++) {
			uint8_t cc = s.p[i + k];

			if ((cc & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (cc & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

static void
set_why(char *why, size_t whysz, const char *msg)
{
	if (why != NULL && whysz > 0)
		snprintf(why, whysz, "%s", msg);
}

/* Decodes one name or value into a new C string. */
static int
decode_part(struct wk_span in, size_t max, char **out, const char **why)
{
	struct wk_buf b;
	int r;

	*out = NULL;
	wk_buf_init(&b, max);
	if ((r = wk_uri_decode(&b, in, true)) != 0) {
		*why = r == WK_ERR_TOOBIG ? "parameter too long" :
		    "malformed percent-encoding";
		goto out;
	}
	if (b.len > 0 && memchr(b.p, '\0', b.len) != NULL) {
		*why = "NUL byte in parameter";
		r = WK_ERR_INVAL;
		goto out;
	}
	if (!wk_utf8_valid(wk_buf_span(&b))) {
		*why = "parameter is not valid UTF-8";
		r = WK_ERR_INVAL;
		goto out;
	}
	if ((*out = wk_buf_steal(&b)) == NULL)
		r = WK_ERR_NOMEM;
 out:
	wk_buf_cleanup(&b);
	return r;
}

int
wk_params_parse(struct wk_span body, size_t max_count, struct wk_params *out,
    char *why, size_t whysz)
{
	struct wk_span rest = body, seg, name, value;
	struct wk_params p = { NULL, 0 };
	size_t cap = 0;
	const char *reason = "malformed parameters";
	char *n = NULL, *v = NULL;
	int r = 0;

	out->v = NULL;
	out->n = 0;
	while (rest.len > 0) {
		bool more = wk_span_split(rest, '&', &seg, &rest);

		(void)more;
		if (seg.len == 0)
			continue;
		if (!wk_span_split(seg, '=', &name, &value))
			value = WK_SPAN_NULL;
		if (name.len == 0) {
			reason = "empty parameter name";
			r = WK_ERR_INVAL;
			goto out;
		}
		if (p.n >= max_count) {
			reason = "too many parameters";
			r = WK_ERR_TOOBIG;
			goto out;
		}
		if ((r = decode_part(name, WK_PARAMS_MAX_NAME, &n,
		    &reason)) != 0 ||
		    (r = decode_part(value, body.len, &v, &reason)) != 0)
			goto out;
		if (n[0] == '\0') {
			reason = "empty parameter name";
			r = WK_ERR_INVAL;
			goto out;
		}
		if (wk_params_get(&p, n) != NULL) {
			reason = "duplicate parameter";
			r = WK_ERR_INVAL;
			goto out;
		}
		if (p.n == cap) {
			size_t ncap = cap == 0 ? 16 : cap * 2;
			struct wk_param *nv;

			if (ncap > max_count)
				ncap = max_count;
			if ((nv = wk_reallocarray(p.v, ncap,
			    sizeof(*nv))) == NULL) {
				r = WK_ERR_NOMEM;
				reason = "out of memory";
				goto out;
			}
			p.v = nv;
			cap = ncap;
		}
		p.v[p.n].name = n;
		p.v[p.n].value = v;
		p.n++;
		n = v = NULL;
	}
	*out = p;
	p.v = NULL;
	p.n = 0;
 out:
	if (r != 0)
		set_why(why, whysz, reason);
	wk_free(n);
	wk_free(v);
	wk_params_free(&p);
	return r;
}
