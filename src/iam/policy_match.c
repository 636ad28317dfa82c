/*
 * policy_match.c - wildcard and ARN matching over compiled patterns.
 * Nothing here allocates.
 */
#include "iam/policy_int.h"

#include <stdint.h>
#include <string.h>

/*
 * Glob with `*` (any run) and `?` (one byte); a backslash makes the next
 * byte literal. The classic two-pointer walk with one backtrack point is
 * exact for this pattern language and linear in practice.
 */
bool
wk_glob(const char *p, size_t plen, const char *s, size_t slen,
    unsigned flags)
{
	bool icase = (flags & WK_GLOB_ICASE) != 0;
	bool wild = (flags & WK_GLOB_NOWILD) == 0;
	size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;

	while (si < slen) {
		if (pi < plen) {
			char c = p[pi];
			size_t adv = 1;

			if (wild && c == '*') {
				star_p = ++pi;
				star_s = si;
				continue;
			}
			if (wild && c == '?') {
				pi++;
				si++;
				continue;
			}
			if (c == '\\' && pi + 1 < plen) {
				c = p[pi + 1];
				adv = 2;
			}
			if (icase ? wk_lc(c) == wk_lc(s[si]) : c == s[si]) {
				pi += adv;
				si++;
				continue;
			}
		}
		if (star_p == SIZE_MAX)
			return false;
		pi = star_p;
		si = ++star_s;
	}
	while (wild && pi < plen && p[pi] == '*')
		pi++;
	return pi == plen;
}

/* Offsets of the first (up to) five unescaped colons; returns the number
 * of segments (colons found + 1). */
static size_t
split_segments(const char *s, size_t n, bool escaped, size_t start[6],
    size_t end[6])
{
	size_t nseg = 0, i = 0, seg = 0;

	while (i < n && nseg < 5) {
		if (escaped && s[i] == '\\' && i + 1 < n) {
			i += 2;
			continue;
		}
		if (s[i] == ':') {
			start[nseg] = seg;
			end[nseg] = i;
			nseg++;
			seg = i + 1;
		}
		i++;
	}
	start[nseg] = seg;
	end[nseg] = n;
	return nseg + 1;
}

/* True when the pattern text ends with an unescaped `*`. */
static bool
ends_with_star(const char *p, size_t a, size_t b)
{
	size_t bs = 0, i;

	if (b <= a || p[b - 1] != '*')
		return false;
	for (i = b - 1; i > a && p[i - 1] == '\\'; i--)
		bs++;
	return (bs % 2) == 0;
}

bool
wk_arn_match(const char *p, size_t plen, const char *s, size_t slen)
{
	size_t ps[6], pe[6], ss[6], se[6], np, ns, i;

	if (plen == 1 && p[0] == '*')
		return true;
	np = split_segments(p, plen, true, ps, pe);
	ns = split_segments(s, slen, false, ss, se);
	for (i = 0; i + 1 < np; i++) {
		if (i >= ns)
			return false;
		if (!wk_glob(p + ps[i], pe[i] - ps[i], s + ss[i],
		    se[i] - ss[i], 0))
			return false;
	}
	/* The last pattern segment. */
	if (i >= ns)
		return false;
	if (ns > np) {
		/* The ARN goes on: only a trailing `*` takes the rest. */
		if (!ends_with_star(p, ps[i], pe[i]))
			return false;
		return wk_glob(p + ps[i], pe[i] - ps[i], s + ss[i],
		    slen - ss[i], 0);
	}
	return wk_glob(p + ps[i], pe[i] - ps[i], s + ss[i], se[i] - ss[i], 0);
}

size_t
wk_pat_escape(char *dst, size_t dstsz, const char *s, size_t n)
{
	size_t o = 0, i;

	for (i = 0; i < n; i++) {
		/*
		 * Wildcards in a substituted value are literal; a colon is
		 * not escaped: AWS substitutes the value as text, so an ARN
		 * held in a variable (${aws:PrincipalArn}) still splits into
		 * its segments under the Arn* operators.
		 */
		bool special = s[i] == '*' || s[i] == '?' || s[i] == '\\';

		if (special) {
			if (dst != NULL && o < dstsz)
				dst[o] = '\\';
			o++;
		}
		if (dst != NULL && o < dstsz)
			dst[o] = s[i];
		o++;
	}
	return o;
}

enum wk_pat_kind
wk_pat_classify(const char *p, size_t n, size_t *pre)
{
	size_t i, stars = 0;

	*pre = 0;
	if (memchr(p, '\\', n) != NULL || memchr(p, '?', n) != NULL)
		return WK_PK_GLOB;
	for (i = 0; i < n; i++)
		stars += p[i] == '*';
	if (n > 0 && stars == n)
		return WK_PK_ANY;
	if (stars == 0)
		return WK_PK_EXACT;
	if (stars == 1 && p[n - 1] == '*') {
		*pre = n - 1;
		return WK_PK_PREFIX;
	}
	return WK_PK_GLOB;
}

uint64_t
wk_vendor_bit(const char *action, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n && action[i] != ':'; i++) {
		h ^= (uint8_t)wk_lc(action[i]);
		h *= 16777619u;
	}
	return (uint64_t)1 << (h & 63);
}

uint64_t
wk_action_bit(const char *action, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (uint8_t)wk_lc(action[i]);
		h *= 16777619u;
	}
	return (uint64_t)1 << ((h >> 7) & 63);
}
