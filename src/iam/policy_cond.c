/*
 * policy_cond.c - the Condition operators, as the IAM User Guide defines
 * them ("IAM JSON policy elements: Condition operators" and "Conditions
 * with multiple context keys or values"):
 *   - keys in one operator block and operator blocks are ANDed;
 *   - several values for one key are ORed; for a negated operator the
 *     condition holds when the request value matches none of them (NOR);
 *   - a key absent from the request: the condition is false, except for
 *     negated operators (true), ...IfExists (true), Null (tests presence),
 *     ForAllValues (true) and ForAnyValue (false), with or without
 *     IfExists (the set operators ignore it, as AWS does);
 *   - ForAnyValue: at least one request value satisfies the operator;
 *     ForAllValues: every request value does.
 */
#include "iam/policy_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"

struct op_name {
	const char *name;
	enum wk_cond_family fam;
	enum wk_cond_rel rel;
	bool negated;
};

static const struct op_name op_names[] = {
	{ "StringEquals", WK_CF_STR_EQ, WK_REL_EQ, false },
	{ "StringNotEquals", WK_CF_STR_EQ, WK_REL_EQ, true },
	{ "StringEqualsIgnoreCase", WK_CF_STR_EQ_ICASE, WK_REL_EQ, false },
	{ "StringNotEqualsIgnoreCase", WK_CF_STR_EQ_ICASE, WK_REL_EQ, true },
	{ "StringLike", WK_CF_STR_LIKE, WK_REL_EQ, false },
	{ "StringNotLike", WK_CF_STR_LIKE, WK_REL_EQ, true },
	{ "NumericEquals", WK_CF_NUM, WK_REL_EQ, false },
	{ "NumericNotEquals", WK_CF_NUM, WK_REL_EQ, true },
	{ "NumericLessThan", WK_CF_NUM, WK_REL_LT, false },
	{ "NumericLessThanEquals", WK_CF_NUM, WK_REL_LE, false },
	{ "NumericGreaterThan", WK_CF_NUM, WK_REL_GT, false },
	{ "NumericGreaterThanEquals", WK_CF_NUM, WK_REL_GE, false },
	{ "DateEquals", WK_CF_DATE, WK_REL_EQ, false },
	{ "DateNotEquals", WK_CF_DATE, WK_REL_EQ, true },
	{ "DateLessThan", WK_CF_DATE, WK_REL_LT, false },
	{ "DateLessThanEquals", WK_CF_DATE, WK_REL_LE, false },
	{ "DateGreaterThan", WK_CF_DATE, WK_REL_GT, false },
	{ "DateGreaterThanEquals", WK_CF_DATE, WK_REL_GE, false },
	{ "Bool", WK_CF_BOOL, WK_REL_EQ, false },
	{ "BinaryEquals", WK_CF_BINARY, WK_REL_EQ, false },
	{ "IpAddress", WK_CF_IP, WK_REL_EQ, false },
	{ "NotIpAddress", WK_CF_IP, WK_REL_EQ, true },
	{ "ArnEquals", WK_CF_ARN, WK_REL_EQ, false },
	{ "ArnLike", WK_CF_ARN, WK_REL_EQ, false },
	{ "ArnNotEquals", WK_CF_ARN, WK_REL_EQ, true },
	{ "ArnNotLike", WK_CF_ARN, WK_REL_EQ, true },
	{ "Null", WK_CF_NULL, WK_REL_EQ, false },
};

bool
wk_cond_op_parse(const char *name, struct wk_cond_op *op)
{
	static const char sfx[] = "IfExists";
	size_t n, i, sl = sizeof(sfx) - 1;

	memset(op, 0, sizeof(*op));
	if (strncmp(name, "ForAnyValue:", 12) == 0) {
		op->set = WK_SET_ANY;
		name += 12;
	} else if (strncmp(name, "ForAllValues:", 13) == 0) {
		op->set = WK_SET_ALL;
		name += 13;
	}
	n = strlen(name);
	if (n > sl && strcmp(name + n - sl, sfx) == 0) {
		op->ifexists = true;
		n -= sl;
	}
	for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++) {
		const struct op_name *o = &op_names[i];

		if (strlen(o->name) != n || strncmp(o->name, name, n) != 0)
			continue;
		if (o->fam == WK_CF_NULL && (op->ifexists ||
		    op->set != WK_SET_NONE))
			return false;
		op->fam = o->fam;
		op->rel = o->rel;
		op->negated = o->negated;
		return true;
	}
	return false;
}

bool
wk_cond_family_vars(enum wk_cond_family f)
{
	return f == WK_CF_STR_EQ || f == WK_CF_STR_EQ_ICASE ||
	    f == WK_CF_STR_LIKE || f == WK_CF_ARN;
}

/* Strict decimal: -?digits(.digits)? ; no exponent, no spaces. */
static bool
parse_num(const char *s, double *out)
{
	const char *p = s;
	char *end;
	size_t digits = 0;

	if (*p == '-')
		p++;
	while (*p >= '0' && *p <= '9') {
		p++;
		digits++;
	}
	if (digits == 0)
		return false;
	if (*p == '.') {
		p++;
		digits = 0;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits++;
		}
		if (digits == 0)
			return false;
	}
	if (*p != '\0' || p - s > 64)
		return false;
	*out = strtod(s, &end);
	return *end == '\0';
}

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* n fixed digits at s; false unless all digits. */
static bool
digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

static bool
leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * W3C ISO 8601 profile: YYYY-MM-DD, YYYY-MM-DDThh:mmTZD,
 * YYYY-MM-DDThh:mm:ssTZD, YYYY-MM-DDThh:mm:ss.sTZD (TZD: Z or +hh:mm or
 * -hh:mm); also the basic form YYYYMMDDThhmmssZ; or epoch seconds.
 */
bool
wk_policy_parse_date(const char *s, size_t n, int64_t *ms)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31,
		30, 31, 30, 31 };
	unsigned y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, th, tm;
	size_t i = 0, fd = 0;
	int64_t t, off = 0;

	if (n == 0 || n > 40)
		return false;
	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == n) {
		uint64_t v = 0;

		if (n > 12)
			return false;
		for (i = 0; i < n; i++)
			v = v * 10 + (uint64_t)(s[i] - '0');
		*ms = (int64_t)v * 1000;
		return true;
	}
	if (n >= 16 && s[8] == 'T' && s[15] == 'Z' && n == 16) {
		if (!digits(s, 4, &y) || !digits(s + 4, 2, &mo) ||
		    !digits(s + 6, 2, &d) || !digits(s + 9, 2, &h) ||
		    !digits(s + 11, 2, &mi) || !digits(s + 13, 2, &sec))
			return false;
		i = n;
	} else {
		if (n < 10 || !digits(s, 4, &y) || s[4] != '-' ||
		    !digits(s + 5, 2, &mo) || s[7] != '-' ||
		    !digits(s + 8, 2, &d))
			return false;
		i = 10;
		if (i < n) {
			if (s[i] != 'T' || n - i < 6 ||
			    !digits(s + i + 1, 2, &h) || s[i + 3] != ':' ||
			    !digits(s + i + 4, 2, &mi))
				return false;
			i += 6;
			if (i < n && s[i] == ':') {
				if (n - i < 3 || !digits(s + i + 1, 2, &sec))
					return false;
				i += 3;
				if (i < n && s[i] == '.') {
					i++;
					while (i < n && s[i] >= '0' &&
					    s[i] <= '9') {
						if (fd < 3)
							frac = frac * 10 +
							    (unsigned)(s[i] -
							    '0');
						fd++;
						i++;
					}
					if (fd == 0)
						return false;
					for (; fd < 3; fd++)
						frac *= 10;
				}
			}
			if (i == n)
				return false;	/* a time needs a TZD */
			if (s[i] == 'Z')
				i++;
			else if (s[i] == '+' || s[i] == '-') {
				if (n - i != 6 || !digits(s + i + 1, 2, &th) ||
				    s[i + 3] != ':' ||
				    !digits(s + i + 4, 2, &tm) || th > 23 ||
				    tm > 59)
					return false;
				off = ((int64_t)th * 60 + tm) * 60;
				if (s[i] == '-')
					off = -off;
				i += 6;
			} else
				return false;
		}
	}
	if (i != n || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 ||
	    sec > 60)
		return false;
	if (d > mdays[mo - 1] + (mo == 2 && leap(y) ? 1 : 0))
		return false;
	t = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 +
	    (int64_t)mi * 60 + sec - off;
	*ms = t * 1000 + frac;
	return true;
}

/* Address or CIDR; plain addresses are a full-length prefix. */
static bool
parse_ip(const char *s, bool cidr_ok, int *fam, uint8_t addr[16],
    unsigned *plen)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t pl;

	if (alen == 0 || alen >= sizeof(buf) || (slash && !cidr_ok))
		return false;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*fam = 4;
		*plen = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		*fam = 6;
		*plen = 128;
		/* IPv4-mapped addresses compare as IPv4. */
		if (!cidr_ok && memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff",
		    12) == 0) {
			memmove(addr, addr + 12, 4);
			memset(addr + 4, 0, 12);
			*fam = 4;
			*plen = 32;
		}
	} else
		return false;
	if (slash != NULL) {
		if (wk_cstr_to_u64(slash + 1, *plen, &pl) != 0 ||
		    slash[1] == '\0' || strlen(slash + 1) > 3)
			return false;
		*plen = (unsigned)pl;
	}
	return true;
}

void
wk_cond_type_value(enum wk_cond_family f, struct wk_pval *v)
{
	const char *s = v->raw;

	v->typed_ok = false;
	switch (f) {
	case WK_CF_NUM:
		v->typed_ok = parse_num(s, &v->t.num);
		break;
	case WK_CF_DATE:
		v->typed_ok = wk_policy_parse_date(s, strlen(s), &v->t.ms);
		break;
	case WK_CF_IP:
		v->typed_ok = parse_ip(s, true, &v->t.ip.fam, v->t.ip.addr,
		    &v->t.ip.plen);
		break;
	case WK_CF_BOOL:
	case WK_CF_NULL:
		if (strcasecmp(s, "true") == 0) {
			v->t.b = true;
			v->typed_ok = true;
		} else if (strcasecmp(s, "false") == 0) {
			v->t.b = false;
			v->typed_ok = true;
		}
		break;
	default:
		v->typed_ok = true;
		break;
	}
}

static bool
rel_holds(enum wk_cond_rel rel, int cmp)
{
	switch (rel) {
	case WK_REL_EQ:
		return cmp == 0;
	case WK_REL_LT:
		return cmp < 0;
	case WK_REL_LE:
		return cmp <= 0;
	case WK_REL_GT:
		return cmp > 0;
	case WK_REL_GE:
		return cmp >= 0;
	}
	return false;
}

static bool
ip_in(const struct wk_pval *p, const char *s)
{
	uint8_t a[16];
	int fam;
	unsigned plen, full, i;

	if (!parse_ip(s, false, &fam, a, &plen) || fam != p->t.ip.fam)
		return false;
	full = p->t.ip.plen / 8;
	for (i = 0; i < full; i++)
		if (a[i] != p->t.ip.addr[i])
			return false;
	if (p->t.ip.plen % 8 != 0) {
		uint8_t mask = (uint8_t)(0xff << (8 - p->t.ip.plen % 8));

		if ((a[full] & mask) != (p->t.ip.addr[full] & mask))
			return false;
	}
	return true;
}

/* The positive relation of the operator between one policy value (pat:
 * its rendered pattern) and one request value. */
static bool
value_match(const struct wk_cond *c, const struct wk_pval *p,
    const char *pat, size_t plen, const char *s)
{
	double num;
	int64_t ms;

	if (!p->typed_ok)
		return false;
	switch (c->op.fam) {
	case WK_CF_STR_EQ:
		if (pat == p->pat && p->nobs)
			return strcmp(pat, s) == 0;
		return wk_glob(pat, plen, s, strlen(s), WK_GLOB_NOWILD);
	case WK_CF_STR_EQ_ICASE:
		return wk_glob(pat, plen, s, strlen(s),
		    WK_GLOB_NOWILD | WK_GLOB_ICASE);
	case WK_CF_STR_LIKE:
		return wk_glob(pat, plen, s, strlen(s), 0);
	case WK_CF_ARN:
		return wk_arn_match(pat, plen, s, strlen(s));
	case WK_CF_NUM:
		if (!parse_num(s, &num))
			return false;
		return rel_holds(c->op.rel,
		    num < p->t.num ? -1 : num > p->t.num ? 1 : 0);
	case WK_CF_DATE:
		if (!wk_policy_parse_date(s, strlen(s), &ms))
			return false;
		return rel_holds(c->op.rel,
		    ms < p->t.ms ? -1 : ms > p->t.ms ? 1 : 0);
	case WK_CF_BOOL:
		if (strcasecmp(s, "true") == 0)
			return p->t.b;
		if (strcasecmp(s, "false") == 0)
			return !p->t.b;
		return false;
	case WK_CF_BINARY:
		return strcmp(p->raw, s) == 0;
	case WK_CF_IP:
		return ip_in(p, s);
	case WK_CF_NULL:
		break;
	}
	return false;
}

/* Whether one request value matches any policy value (positive form):
 * 1, 0, or WK_ERR_NOMEM. */
static int
any_value(const struct wk_cond *c, const struct wk_ctx *ctx, const char *s,
    struct wk_render *r)
{
	const char *pat;
	size_t i, plen;
	int rc;

	for (i = 0; i < c->nvals; i++) {
		const struct wk_pval *p = &c->vals[i];

		if ((rc = wk_pval_render(p, ctx, r, &pat, &plen)) < 0)
			return rc;
		if (rc == 0)
			continue;	/* a variable without a value */
		if (value_match(c, p, pat, plen, s))
			return 1;
	}
	return 0;
}

int
wk_cond_eval(const struct wk_cond *c, const struct wk_ctx *ctx,
    struct wk_render *r)
{
	const struct wk_ctx_entry *e = wk_ctx_find_lc(ctx, c->key);
	size_t n = e ? e->nvals : 0, i, j;
	bool neg = c->op.negated;
	int m;

	if (c->op.fam == WK_CF_NULL) {
		for (j = 0; j < c->nvals; j++)
			if (c->vals[j].typed_ok && c->vals[j].t.b == (n == 0))
				return 1;
		return 0;
	}
	if (n == 0) {
		/* The set operators decide an absent key themselves and
		 * ignore IfExists (as AWS does). */
		if (c->op.set == WK_SET_ALL)
			return 1;
		if (c->op.set == WK_SET_ANY)
			return 0;
		if (c->op.ifexists)
			return 1;
		return neg ? 1 : 0;
	}
	switch (c->op.set) {
	case WK_SET_ANY:
		for (i = 0; i < n; i++) {
			if ((m = any_value(c, ctx, e->vals[i], r)) < 0)
				return m;
			if (neg ? !m : m)
				return 1;
		}
		return 0;
	case WK_SET_ALL:
		for (i = 0; i < n; i++) {
			if ((m = any_value(c, ctx, e->vals[i], r)) < 0)
				return m;
			if (neg ? m : !m)
				return 0;
		}
		return 1;
	case WK_SET_NONE:
		break;
	}
	for (i = 0; i < n; i++) {
		if ((m = any_value(c, ctx, e->vals[i], r)) < 0)
			return m;
		if (m)
			return neg ? 0 : 1;
	}
	return neg ? 1 : 0;
}
