/*
 * ec2_filters.c - DescribeInstances' Filter.N: parsing the Query
 * parameters, matching an instance (values OR-ed, filters AND-ed, '*' and
 * '?' wildcards) and the digest a NextToken is bound to. A filter wicketd
 * does not know is refused, never ignored: a script that filters and then
 * acts on the result must not act on the whole fleet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "crypto/hash.h"
#include "server/api/api.h"
#include "server/ec2/ec2.h"

static const struct {
	const char *name;
	enum wk_ec2_filter_kind kind;
} known[] = {
	{ "instance-id", WK_EC2_F_INSTANCE_ID },
	{ "instance-state-name", WK_EC2_F_STATE_NAME },
	{ "tag-key", WK_EC2_F_TAG_KEY },
	{ "tag-value", WK_EC2_F_TAG_VALUE },
	{ "private-ip-address", WK_EC2_F_PRIVATE_IP },
	{ "ip-address", WK_EC2_F_IP },
	{ "dns-name", WK_EC2_F_DNS_NAME },
	{ "private-dns-name", WK_EC2_F_PRIVATE_DNS_NAME },
	{ "availability-zone", WK_EC2_F_AZ },
};

/* One Filter.N while parsing: values indexed by M - 1. */
struct slot {
	const char *name;
	const char **values;	/* WK_EC2_FILTER_VALUES_MAX entries or NULL */
	size_t nset;
};

/*
 * Reads a decimal index 1..max with no sign and no leading zero from *p,
 * advancing it. 0 when there is none.
 */
static size_t
read_index(const char **p, size_t max)
{
	const char *s = *p;
	size_t v = 0;

	if (*s < '1' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (size_t)(*s - '0');
		if (v > max)
			return 0;
		s++;
	}
	*p = s;
	return v;
}

static int
kind_of(const char *name, enum wk_ec2_filter_kind *kind, const char **key)
{
	size_t i;

	*key = NULL;
	if (strncmp(name, "tag:", 4) == 0) {
		size_t klen = strlen(name + 4);

		if (klen == 0 || klen > 128)
			return WK_ERR_INVAL;
		*kind = WK_EC2_F_TAG;
		*key = name + 4;
		return 0;
	}
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(name, known[i].name) == 0) {
			*kind = known[i].kind;
			return 0;
		}
	}
	return WK_ERR_INVAL;
}

static void
slots_free(struct slot *slots)
{
	if (slots == NULL)
		return;
	for (size_t i = 0; i < WK_EC2_FILTERS_MAX; i++)
		wk_free(slots[i].values);
	wk_free(slots);
}

/* Files one Filter.* parameter into its slot. */
static int
file_param(struct slot *slots, const char *pname, const char *value,
    char *why, size_t whysz)
{
	const char *p = pname + strlen("Filter.");
	size_t n, m;
	struct slot *s;

	if ((n = read_index(&p, WK_EC2_FILTERS_MAX)) == 0)
		goto bad;
	s = &slots[n - 1];
	if (strcmp(p, ".Name") == 0) {
		s->name = value;
		return 0;
	}
	if (strncmp(p, ".Value.", 7) != 0)
		goto bad;
	p += 7;
	if ((m = read_index(&p, WK_EC2_FILTER_VALUES_MAX)) == 0 || *p != '\0')
		goto bad;
	if (strlen(value) > WK_EC2_FILTER_VALUE_MAX) {
		snprintf(why, whysz, "The value of %.40s is longer than %d "
		    "bytes", pname, WK_EC2_FILTER_VALUE_MAX);
		return WK_ERR_INVAL;
	}
	if (s->values == NULL && (s->values = wk_calloc(
	    WK_EC2_FILTER_VALUES_MAX, sizeof(*s->values))) == NULL)
		return WK_ERR_NOMEM;
	if (s->values[m - 1] == NULL)
		s->nset++;
	s->values[m - 1] = value;
	return 0;
 bad:
	snprintf(why, whysz, "The parameter %.64s is not a valid filter "
	    "parameter (Filter.N.Name, Filter.N.Value.M; N 1..%d, M 1..%d)",
	    pname, WK_EC2_FILTERS_MAX, WK_EC2_FILTER_VALUES_MAX);
	return WK_ERR_INVAL;
}

/* Moves the filled slots, in index order, into out. */
static int
compact(struct slot *slots, struct wk_ec2_filters *out, char *why,
    size_t whysz)
{
	struct wk_ec2_filter *f;
	size_t i, j;

	for (i = 0; i < WK_EC2_FILTERS_MAX; i++) {
		struct slot *s = &slots[i];

		if (s->name == NULL && s->nset == 0)
			continue;
		if (s->name == NULL) {
			snprintf(why, whysz, "The filter Filter.%zu has values "
			    "but no name", i + 1);
			return WK_ERR_INVAL;
		}
		if (strlen(s->name) > WK_EC2_FILTER_NAME_MAX) {
			snprintf(why, whysz, "The filter '%.64s...' is "
			    "invalid", s->name);
			return WK_ERR_INVAL;
		}
		f = &out->v[out->n];
		memset(f, 0, sizeof(*f));
		f->name = s->name;
		if (kind_of(s->name, &f->kind, &f->tag_key) != 0) {
			snprintf(why, whysz, "The filter '%s' is invalid",
			    s->name);
			return WK_ERR_INVAL;
		}
		if (s->nset == 0) {
			snprintf(why, whysz, "The filter '%s' has no values",
			    s->name);
			return WK_ERR_INVAL;
		}
		if ((f->values = wk_calloc(s->nset, sizeof(*f->values))) ==
		    NULL)
			return WK_ERR_NOMEM;
		out->n++;
		for (j = 0; j < WK_EC2_FILTER_VALUES_MAX; j++)
			if (s->values[j] != NULL)
				f->values[f->nvalues++] = s->values[j];
	}
	return 0;
}

int
wk_ec2_filters_parse(const struct wk_params *params,
    struct wk_ec2_filters *out, char *why, size_t whysz)
{
	struct slot *slots = NULL;
	size_t i;
	int r;

	out->v = NULL;
	out->n = 0;
	if (whysz > 0)
		why[0] = '\0';
	if (params == NULL)
		return 0;
	for (i = 0; i < params->n; i++)
		if (strncmp(params->v[i].name, "Filter.", 7) == 0)
			break;
	if (i == params->n)
		return 0;
	if ((slots = wk_calloc(WK_EC2_FILTERS_MAX, sizeof(*slots))) == NULL ||
	    (out->v = wk_calloc(WK_EC2_FILTERS_MAX, sizeof(*out->v))) ==
	    NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	for (; i < params->n; i++) {
		if (strncmp(params->v[i].name, "Filter.", 7) != 0)
			continue;
		if ((r = file_param(slots, params->v[i].name,
		    params->v[i].value, why, whysz)) != 0)
			goto out;
	}
	r = compact(slots, out, why, whysz);
 out:
	slots_free(slots);
	if (r != 0)
		wk_ec2_filters_free(out);
	return r;
}

void
wk_ec2_filters_free(struct wk_ec2_filters *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++)
		wk_free(f->v[i].values);
	wk_free(f->v);
	f->v = NULL;
	f->n = 0;
}

/* Bytes of the UTF-8 character starting at s (1 for a stray byte). */
static size_t
char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 :
	    c >= 0xc0 ? 2 : 1;

	for (size_t i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return i;
	return n;
}

bool
wk_ec2_wildcard_match(const char *pattern, const char *s)
{
	const char *p = pattern, *star_p = NULL, *star_s = NULL;
	size_t n;

	while (*s != '\0') {
		if (*p == '*') {
			star_p = ++p;
			star_s = s;
			continue;
		}
		if (*p == '?') {
			p++;
			s += char_len(s);
			continue;
		}
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (*p != '\0' && *p == *s) {
			p++;
			s++;
			continue;
		}
		if (star_p == NULL)
			return false;
		/* the last '*' takes one more character; retry after it */
		n = char_len(star_s);
		star_s += n;
		s = star_s;
		p = star_p;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static bool
any_value(const struct wk_ec2_filter *f, const char *s)
{
	if (s == NULL || *s == '\0')	/* an absent field matches nothing */
		return false;
	for (size_t i = 0; i < f->nvalues; i++)
		if (wk_ec2_wildcard_match(f->values[i], s))
			return true;
	return false;
}

static bool
one_matches(const struct wk_ec2_filter *f,
    const struct wk_ec2_instance_fields *in)
{
	size_t i;

	switch (f->kind) {
	case WK_EC2_F_INSTANCE_ID:
		return any_value(f, in->instance_id);
	case WK_EC2_F_STATE_NAME:
		return any_value(f, in->state_name);
	case WK_EC2_F_PRIVATE_IP:
		return any_value(f, in->private_ip);
	case WK_EC2_F_IP:
		return any_value(f, in->ip);
	case WK_EC2_F_DNS_NAME:
		return any_value(f, in->dns_name);
	case WK_EC2_F_PRIVATE_DNS_NAME:
		return any_value(f, in->private_dns_name);
	case WK_EC2_F_AZ:
		return any_value(f, in->az);
	case WK_EC2_F_TAG:
		for (i = 0; i < in->ntags; i++)
			if (strcmp(in->tags[i].key, f->tag_key) == 0)
				return any_value(f, in->tags[i].value);
		return false;
	case WK_EC2_F_TAG_KEY:
		for (i = 0; i < in->ntags; i++)
			if (any_value(f, in->tags[i].key))
				return true;
		return false;
	case WK_EC2_F_TAG_VALUE:
		for (i = 0; i < in->ntags; i++)
			if (any_value(f, in->tags[i].value))
				return true;
		return false;
	}
	return false;
}

bool
wk_ec2_filters_match(const struct wk_ec2_filters *f,
    const struct wk_ec2_instance_fields *in)
{
	for (size_t i = 0; i < f->n; i++)
		if (!one_matches(&f->v[i], in))
			return false;
	return true;
}

int
wk_ec2_filters_digest(const struct wk_ec2_filters *f, uint8_t out[static 32])
{
	struct wk_buf b;
	size_t i, j;
	int r = 0;

	/* name NUL count NUL value NUL ...: unambiguous (no NUL inside) */
	wk_buf_init(&b, 4 << 20);
	if ((r = wk_buf_append(&b, "wicket-ec2-filters-v1", 22)) != 0)
		goto out;
	for (i = 0; i < f->n; i++) {
		if ((r = wk_buf_append(&b, f->v[i].name,
		    strlen(f->v[i].name) + 1)) != 0 ||
		    (r = wk_buf_appendf(&b, "%zu", f->v[i].nvalues)) != 0 ||
		    (r = wk_buf_putc(&b, 0)) != 0)
			goto out;
		for (j = 0; j < f->v[i].nvalues; j++)
			if ((r = wk_buf_append(&b, f->v[i].values[j],
			    strlen(f->v[i].values[j]) + 1)) != 0)
				goto out;
	}
	wk_sha256(b.p, b.len, out);
 out:
	wk_buf_cleanup(&b);
	return r;
}
