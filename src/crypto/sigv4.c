/*
 * sigv4.c - AWS Signature Version 4, header form.
 *
 * The canonical request follows what botocore (the aws CLI) computes for
 * every service but S3: the path as received is normalised (dot segments
 * removed, empty segments dropped) and URI-encoded once more, so an
 * already-encoded path ends up double-encoded; the query is decoded and
 * re-encoded pair by pair and sorted; header values are trimmed with inner
 * whitespace runs collapsed and duplicates joined with ','.
 */
#include "crypto/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/time.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define SCOPE_TERMINATOR "aws4_request"
#define MAX_AKID_LEN 128
#define MAX_SCOPE_PART 64
#define MAX_QUERY_PAIRS 1024
#define MAX_CANONICAL (1024 * 1024)

struct qpair {
	struct wk_span name;	/* into the encoded-pairs buffer */
	struct wk_span value;
};

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static bool
span_case_eq(struct wk_span a, struct wk_span b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (lower(a.p[i]) != lower(b.p[i]))
			return false;
	return true;
}

static int
sha256_hex(const uint8_t *p, size_t len, struct wk_buf *out)
{
	uint8_t md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != sizeof(md))
		return WK_ERR_CRYPTO;
	return wk_hex_encode(out, md, sizeof(md));
}

static int
hmac256(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t msglen,
    uint8_t out[32])
{
	unsigned int outlen = 0;

	if (keylen > INT32_MAX)
		return WK_ERR_TOOBIG;
	if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out,
	    &outlen) == NULL || outlen != 32)
		return WK_ERR_CRYPTO;
	return 0;
}

/* Token characters (RFC 7230) in lower case: a signed header name. */
static bool
is_lower_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Checks the SignedHeaders list: 1..MAX names, each non-empty lower-case
 * token, strictly ascending (which also means no duplicates).
 */
static int
check_signed_headers(struct wk_span sh)
{
	struct wk_span name, rest = sh, prev = WK_SPAN_NULL;
	size_t n = 0;
	bool more;

	if (sh.len == 0)
		return WK_ERR_INVAL;
	do {
		more = wk_span_split(rest, ';', &name, &rest);
		if (name.len == 0 || ++n > WK_SIGV4_MAX_SIGNED_HEADERS)
			return WK_ERR_INVAL;
		for (size_t i = 0; i < name.len; i++)
			if (!is_lower_tchar(name.p[i]))
				return WK_ERR_INVAL;
		if (prev.p != NULL) {
			size_t m = prev.len < name.len ? prev.len : name.len;
			int c = memcmp(prev.p, name.p, m);

			if (c > 0 || (c == 0 && prev.len >= name.len))
				return WK_ERR_INVAL;
		}
		prev = name;
	} while (more);
	return 0;
}

static bool
signed_headers_has(struct wk_span sh, const char *name)
{
	struct wk_span item, rest = sh;
	bool more;

	do {
		more = wk_span_split(rest, ';', &item, &rest);
		if (wk_span_eq_cstr(item, name))
			return true;
	} while (more);
	return false;
}

const char *
wk_sigv4_first_unsigned(const struct wk_sigv4_request *req,
    struct wk_span signed_headers, const char *const *names)
{
	for (size_t k = 0; names[k] != NULL; k++) {
		struct wk_span n = wk_span_from_cstr(names[k]);
		bool present = false;

		for (size_t i = 0; i < req->nheaders && !present; i++)
			present = span_case_eq(req->headers[i].name, n);
		if (present && !signed_headers_has(signed_headers, names[k]))
			return names[k];
	}
	return NULL;
}

/* Appends a header value trimmed, with inner whitespace runs as one ' '. */
static int
append_trimmed(struct wk_buf *out, struct wk_span v)
{
	bool pending = false;
	int r;

	v = wk_span_trim(v);
	for (size_t i = 0, j; i < v.len; i = j) {
		if (is_ws(v.p[i])) {
			pending = true;
			j = i + 1;
			continue;
		}
		if (pending && (r = wk_buf_putc(out, ' ')) != 0)
			return r;
		pending = false;
		for (j = i; j < v.len && !is_ws(v.p[j]); j++)
			;
		if ((r = wk_buf_append(out, v.p + i, j - i)) != 0)
			return r;	/* a run of non-space at once */
	}
	return 0;
}

/*
 * botocore's remove_dot_segments: empty and "." segments dropped, ".."
 * pops; leading '/' kept; trailing '/' kept when something remains.
 */
static int
append_normalized_path(struct wk_buf *out, struct wk_span path)
{
	struct wk_span *segs = NULL, seg, rest = path;
	size_t nseg = 0, maxseg = path.len / 2 + 1;
	bool more;
	int r = 0;

	if (path.len == 0)
		return wk_uri_encode(out, WK_SPAN_LIT("/"), false);
	if ((segs = wk_calloc(maxseg, sizeof(*segs))) == NULL)
		return WK_ERR_NOMEM;
	do {
		more = wk_span_split(rest, '/', &seg, &rest);
		if (seg.len == 0 || wk_span_eq_cstr(seg, "."))
			continue;
		if (wk_span_eq_cstr(seg, "..")) {
			if (nseg > 0)
				nseg--;
			continue;
		}
		if (nseg >= maxseg) {
			r = WK_ERR_INTERNAL;
			goto out;
		}
		segs[nseg++] = seg;
	} while (more);
	if (path.p[0] == '/' && (r = wk_buf_putc(out, '/')) != 0)
		goto out;
	for (size_t i = 0; i < nseg; i++) {
		if (i > 0 && (r = wk_buf_putc(out, '/')) != 0)
			goto out;
		if ((r = wk_uri_encode(out, segs[i], true)) != 0)
			goto out;
	}
	if (nseg > 0 && path.p[path.len - 1] == '/' &&
	    (r = wk_buf_putc(out, '/')) != 0)
		goto out;
out:
	wk_free(segs);
	return r;
}

static int
qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	size_t m;
	int c;

	m = x->name.len < y->name.len ? x->name.len : y->name.len;
	if (m > 0 && (c = memcmp(x->name.p, y->name.p, m)) != 0)
		return c;
	if (x->name.len != y->name.len)
		return x->name.len < y->name.len ? -1 : 1;
	m = x->value.len < y->value.len ? x->value.len : y->value.len;
	if (m > 0 && (c = memcmp(x->value.p, y->value.p, m)) != 0)
		return c;
	if (x->value.len != y->value.len)
		return x->value.len < y->value.len ? -1 : 1;
	return 0;
}

/* Decodes then re-encodes one query component into enc. */
static int
reencode(struct wk_buf *enc, struct wk_span raw, struct wk_buf *tmp)
{
	int r;

	wk_buf_reset(tmp);
	if ((r = wk_uri_decode(tmp, raw, false)) != 0)
		return r;
	return wk_uri_encode(enc, wk_buf_span(tmp), true);
}

static int
append_canonical_query(struct wk_buf *out, struct wk_span query)
{
	struct wk_buf enc, tmp;
	struct qpair *pairs = NULL;
	size_t *offs = NULL, npairs = 0;
	struct wk_span item, rest = query, name, value;
	bool more;
	int r = 0;

	wk_buf_init(&enc, MAX_CANONICAL);
	wk_buf_init(&tmp, MAX_CANONICAL);
	if (query.len == 0)
		return 0;
	if ((pairs = wk_calloc(MAX_QUERY_PAIRS, sizeof(*pairs))) == NULL ||
	    (offs = wk_calloc(MAX_QUERY_PAIRS * 4, sizeof(*offs))) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	/* First pass: encode into enc, remember offsets (enc may move). */
	do {
		more = wk_span_split(rest, '&', &item, &rest);
		if (item.len == 0)
			continue;
		if (npairs >= MAX_QUERY_PAIRS) {
			r = WK_ERR_TOOBIG;
			goto out;
		}
		if (!wk_span_split(item, '=', &name, &value))
			value = WK_SPAN_NULL;
		offs[4 * npairs] = enc.len;
		if ((r = reencode(&enc, name, &tmp)) != 0)
			goto out;
		offs[4 * npairs + 1] = enc.len;
		offs[4 * npairs + 2] = enc.len;
		if ((r = reencode(&enc, value, &tmp)) != 0)
			goto out;
		offs[4 * npairs + 3] = enc.len;
		npairs++;
	} while (more);
	for (size_t i = 0; i < npairs; i++) {
		pairs[i].name = (struct wk_span){ enc.p + offs[4 * i],
			offs[4 * i + 1] - offs[4 * i] };
		pairs[i].value = (struct wk_span){ enc.p + offs[4 * i + 2],
			offs[4 * i + 3] - offs[4 * i + 2] };
	}
	qsort(pairs, npairs, sizeof(*pairs), qpair_cmp);
	for (size_t i = 0; i < npairs; i++) {
		if (i > 0 && (r = wk_buf_putc(out, '&')) != 0)
			goto out;
		if ((r = wk_buf_append_span(out, pairs[i].name)) != 0 ||
		    (r = wk_buf_putc(out, '=')) != 0 ||
		    (r = wk_buf_append_span(out, pairs[i].value)) != 0)
			goto out;
	}
out:
	wk_free(pairs);
	wk_free(offs);
	wk_buf_cleanup(&enc);
	wk_buf_cleanup(&tmp);
	return r;
}

static int
append_canonical_headers(struct wk_buf *out, const struct wk_sigv4_request *req,
    struct wk_span signed_headers)
{
	struct wk_span name, rest = signed_headers;
	bool more;
	int r;

	if (req->nheaders > WK_SIGV4_MAX_HEADERS)
		return WK_ERR_TOOBIG;
	do {
		size_t found = 0;

		more = wk_span_split(rest, ';', &name, &rest);
		if ((r = wk_buf_append_span(out, name)) != 0 ||
		    (r = wk_buf_putc(out, ':')) != 0)
			return r;
		for (size_t i = 0; i < req->nheaders; i++) {
			if (!span_case_eq(req->headers[i].name, name))
				continue;
			if (found++ > 0 && (r = wk_buf_putc(out, ',')) != 0)
				return r;
			if ((r = append_trimmed(out,
			    req->headers[i].value)) != 0)
				return r;
		}
		if (found == 0)
			return WK_ERR_INVAL;	/* signed but absent */
		if ((r = wk_buf_putc(out, '\n')) != 0)
			return r;
	} while (more);
	return 0;
}

int
wk_sigv4_canonical_request(const struct wk_sigv4_request *req,
    struct wk_span signed_headers, bool normalize, struct wk_buf *out)
{
	int r;

	if (req->method.len == 0 || (r = check_signed_headers(
	    signed_headers)) != 0)
		return WK_ERR_INVAL;
	if ((r = wk_buf_append_span(out, req->method)) != 0 ||
	    (r = wk_buf_putc(out, '\n')) != 0)
		return r;
	if (normalize)
		r = append_normalized_path(out, req->path);
	else if (req->path.len == 0)
		r = wk_buf_putc(out, '/');
	else
		r = wk_uri_encode(out, req->path, false);
	if (r != 0 || (r = wk_buf_putc(out, '\n')) != 0)
		return r;
	if ((r = append_canonical_query(out, req->query)) != 0 ||
	    (r = wk_buf_putc(out, '\n')) != 0)
		return r;
	if ((r = append_canonical_headers(out, req, signed_headers)) != 0 ||
	    (r = wk_buf_putc(out, '\n')) != 0)
		return r;
	if ((r = wk_buf_append_span(out, signed_headers)) != 0 ||
	    (r = wk_buf_putc(out, '\n')) != 0)
		return r;
	return sha256_hex(req->body.p, req->body.len, out);
}

int
wk_sigv4_string_to_sign(struct wk_span amz_date, struct wk_span scope,
    struct wk_span canonical_request, struct wk_buf *out)
{
	int r;

	if ((r = wk_buf_append_str(out, ALGORITHM "\n")) != 0 ||
	    (r = wk_buf_append_span(out, amz_date)) != 0 ||
	    (r = wk_buf_putc(out, '\n')) != 0 ||
	    (r = wk_buf_append_span(out, scope)) != 0 ||
	    (r = wk_buf_putc(out, '\n')) != 0)
		return r;
	return sha256_hex(canonical_request.p, canonical_request.len, out);
}

/* ---- Authorization header ---- */

static bool
all_chars(struct wk_span s, bool (*ok)(uint8_t))
{
	for (size_t i = 0; i < s.len; i++)
		if (!ok(s.p[i]))
			return false;
	return true;
}

static bool
is_akid_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool
is_scope_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static int
parse_credential(struct wk_span v, struct wk_sigv4_auth *out)
{
	struct wk_span part[5], rest = v;
	size_t n = 0;
	bool more;

	do {
		if (n == 5)
			return WK_ERR_INVAL;
		more = wk_span_split(rest, '/', &part[n], &rest);
		n++;
	} while (more);
	if (n != 5)
		return WK_ERR_INVAL;
	if (part[0].len == 0 || part[0].len > MAX_AKID_LEN ||
	    !all_chars(part[0], is_akid_char))
		return WK_ERR_INVAL;
	if (part[1].len != 8 || !all_chars(part[1], is_digit))
		return WK_ERR_INVAL;
	for (int i = 2; i <= 3; i++)
		if (part[i].len == 0 || part[i].len > MAX_SCOPE_PART ||
		    !all_chars(part[i], is_scope_char))
			return WK_ERR_INVAL;
	if (!wk_span_eq_cstr(part[4], SCOPE_TERMINATOR))
		return WK_ERR_INVAL;
	out->access_key_id = part[0];
	out->date = part[1];
	out->region = part[2];
	out->service = part[3];
	return 0;
}

int
wk_sigv4_parse_authorization(struct wk_span value, struct wk_sigv4_auth *out)
{
	struct wk_span v = value, item;
	bool have_cred = false, have_sh = false, have_sig = false, more;
	size_t alen = sizeof(ALGORITHM) - 1;
	int r;

	memset(out, 0, sizeof(*out));
	if (value.len > 4096)
		return WK_ERR_INVAL;
	/* Optional whitespace around a field value is not part of it. */
	while (v.len > 0 && (v.p[0] == ' ' || v.p[0] == '\t')) {
		v.p++;
		v.len--;
	}
	while (v.len > 0 && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
		v.len--;
	if (v.len <= alen || memcmp(v.p, ALGORITHM, alen) != 0 ||
	    v.p[alen] != ' ')
		return WK_ERR_INVAL;
	v.p += alen;
	v.len -= alen;
	do {
		struct wk_span key, val;

		more = wk_span_split(v, ',', &item, &v);
		/* Only spaces around the components. */
		while (item.len > 0 && item.p[0] == ' ') {
			item.p++;
			item.len--;
		}
		while (item.len > 0 && item.p[item.len - 1] == ' ')
			item.len--;
		if (!wk_span_split(item, '=', &key, &val))
			goto bad;
		if (wk_span_eq_cstr(key, "Credential")) {
			if (have_cred || parse_credential(val, out) != 0)
				goto bad;
			have_cred = true;
		} else if (wk_span_eq_cstr(key, "SignedHeaders")) {
			if (have_sh || check_signed_headers(val) != 0)
				goto bad;
			out->signed_headers = val;
			have_sh = true;
		} else if (wk_span_eq_cstr(key, "Signature")) {
			if (have_sig || val.len != 64)
				goto bad;
			for (size_t i = 0; i < 64; i++)
				if (!((val.p[i] >= '0' && val.p[i] <= '9') ||
				    (val.p[i] >= 'a' && val.p[i] <= 'f')))
					goto bad;
			if ((r = wk_hex_decode(val, out->signature, 32)) != 0)
				goto bad;
			have_sig = true;
		} else {
			goto bad;
		}
	} while (more);
	if (have_cred && have_sh && have_sig)
		return 0;
bad:
	memset(out, 0, sizeof(*out));
	return WK_ERR_INVAL;
}

/* ---- signing and verification ---- */

/* kSigning = HMAC chain over "AWS4"+secret, date, region, service. */
static int
derive_signing_key(struct wk_span secret, struct wk_span date,
    struct wk_span region, struct wk_span service, uint8_t key[32])
{
	uint8_t *k0 = NULL, t1[32], t2[32];
	size_t k0len;
	int r;

	if (secret.len > 1024)
		return WK_ERR_INVAL;
	k0len = secret.len + 4;
	if ((k0 = wk_malloc(k0len)) == NULL)
		return WK_ERR_NOMEM;
	memcpy(k0, "AWS4", 4);
	if (secret.len > 0)
		memcpy(k0 + 4, secret.p, secret.len);
	if ((r = hmac256(k0, k0len, date.p, date.len, t1)) != 0 ||
	    (r = hmac256(t1, 32, region.p, region.len, t2)) != 0 ||
	    (r = hmac256(t2, 32, service.p, service.len, t1)) != 0 ||
	    (r = hmac256(t1, 32, (const uint8_t *)SCOPE_TERMINATOR,
	    sizeof(SCOPE_TERMINATOR) - 1, key)) != 0)
		goto out;
out:
	wk_freezero(k0, k0len);
	wk_explicit_bzero(t1, sizeof(t1));
	wk_explicit_bzero(t2, sizeof(t2));
	return r;
}

/*
 * Computes the signature of req for the given scope parts and date.
 */
static int
compute_signature(const struct wk_sigv4_request *req,
    struct wk_span signed_headers, struct wk_span amz_date,
    struct wk_span date, struct wk_span region, struct wk_span service,
    struct wk_span secret, const uint8_t *given_key, uint8_t sig[32])
{
	struct wk_buf creq, sts, scope;
	uint8_t key[32];
	int r;

	wk_buf_init(&creq, MAX_CANONICAL);
	wk_buf_init(&sts, 4096);
	wk_buf_init(&scope, 512);
	if ((r = wk_sigv4_canonical_request(req, signed_headers, true,
	    &creq)) != 0)
		goto out;
	if ((r = wk_buf_appendf(&scope, "%.*s/%.*s/%.*s/" SCOPE_TERMINATOR,
	    WK_SPAN_FMT(date), WK_SPAN_FMT(region),
	    WK_SPAN_FMT(service))) != 0)
		goto out;
	if ((r = wk_sigv4_string_to_sign(amz_date, wk_buf_span(&scope),
	    wk_buf_span(&creq), &sts)) != 0)
		goto out;
	if (given_key != NULL)
		memcpy(key, given_key, sizeof(key));
	else if ((r = derive_signing_key(secret, date, region, service,
	    key)) != 0)
		goto out;
	r = hmac256(key, sizeof(key), sts.p, sts.len, sig);
out:
	wk_explicit_bzero(key, sizeof(key));
	wk_buf_cleanup(&creq);
	wk_buf_cleanup(&sts);
	wk_buf_cleanup(&scope);
	return r;
}

/* "Sun, 30 Aug 2015 12:36:00 GMT" (the only Date form accepted). */
static int
parse_http_date(struct wk_span s, time_t *out)
{
	static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char iso[17];
	int mon = -1;

	*out = 0;
	if (s.len != 29 || s.p[3] != ',' || s.p[4] != ' ' || s.p[7] != ' ' ||
	    s.p[11] != ' ' || s.p[16] != ' ' || s.p[19] != ':' ||
	    s.p[22] != ':' || memcmp(s.p + 25, " GMT", 4) != 0)
		return WK_ERR_INVAL;
	for (int i = 0; i < 12; i++)
		if (memcmp(s.p + 8, months[i], 3) == 0)
			mon = i + 1;
	if (mon < 0)
		return WK_ERR_INVAL;
	/* Rebuild as YYYYMMDDTHHMMSSZ for the one strict time parser. */
	memcpy(iso, s.p + 12, 4);
	iso[4] = (char)('0' + mon / 10);
	iso[5] = (char)('0' + mon % 10);
	memcpy(iso + 6, s.p + 5, 2);
	iso[8] = 'T';
	memcpy(iso + 9, s.p + 17, 2);
	memcpy(iso + 11, s.p + 20, 2);
	memcpy(iso + 13, s.p + 23, 2);
	iso[15] = 'Z';
	iso[16] = '\0';
	return wk_time_parse(wk_span_from_mem(iso, 16), out);
}

/* The single header called `name`; WK_ERR_INVAL when repeated. */
static int
find_header(const struct wk_sigv4_request *req, const char *name,
    struct wk_span *out)
{
	struct wk_span n = wk_span_from_cstr(name);
	size_t found = 0;

	*out = WK_SPAN_NULL;
	for (size_t i = 0; i < req->nheaders; i++) {
		if (span_case_eq(req->headers[i].name, n)) {
			*out = wk_span_trim(req->headers[i].value);
			found++;
		}
	}
	if (found > 1)
		return WK_ERR_INVAL;
	return found == 1 ? 0 : WK_ERR_NOTFOUND;
}

int
wk_sigv4_signing_key(struct wk_span secret_access_key, struct wk_span date,
    struct wk_span region, struct wk_span service, uint8_t key[32])
{
	return derive_signing_key(secret_access_key, date, region, service,
	    key);
}

static int
verify(const struct wk_sigv4_request *req, const struct wk_sigv4_auth *auth,
    struct wk_span secret_access_key, const uint8_t *signing_key, time_t now)
{
	struct wk_span dv;
	char amz[17];
	time_t t;
	uint8_t sig[32];
	int r;

	if (req->nheaders > WK_SIGV4_MAX_HEADERS)
		return WK_ERR_INVAL;
	if (auth->date.len != 8 || check_signed_headers(
	    auth->signed_headers) != 0)
		return WK_ERR_INVAL;
	if (!signed_headers_has(auth->signed_headers, "host"))
		return WK_ERR_INVAL;
	if ((r = find_header(req, "x-amz-date", &dv)) == 0) {
		if (!signed_headers_has(auth->signed_headers, "x-amz-date") ||
		    dv.len != 16 || wk_time_parse(dv, &t) != 0)
			return WK_ERR_INVAL;
	} else if (r == WK_ERR_NOTFOUND &&
	    find_header(req, "date", &dv) == 0) {
		if (!signed_headers_has(auth->signed_headers, "date") ||
		    parse_http_date(dv, &t) != 0)
			return WK_ERR_INVAL;
	} else {
		return WK_ERR_INVAL;
	}
	/* The string to sign carries the date exactly as sent. */
	if (dv.len == 16)
		memcpy(amz, dv.p, 16);
	else
		wk_time_amzdate(t, amz);
	amz[16] = '\0';
	if (memcmp(amz, auth->date.p, 8) != 0)
		return WK_ERR_INVAL;
	if ((now > t && now - t > WK_SIGV4_SKEW_SECONDS) ||
	    (t > now && t - now > WK_SIGV4_SKEW_SECONDS))
		return WK_ERR_EXPIRED;
	if ((r = compute_signature(req, auth->signed_headers,
	    wk_span_from_mem(amz, 16), auth->date, auth->region,
	    auth->service, secret_access_key, signing_key, sig)) != 0)
		return r == WK_ERR_NOMEM ? r : WK_ERR_INVAL;
	r = CRYPTO_memcmp(sig, auth->signature, sizeof(sig)) == 0 ? 0 :
	    WK_ERR_AUTH;
	wk_explicit_bzero(sig, sizeof(sig));
	return r;
}

int
wk_sigv4_verify(const struct wk_sigv4_request *req,
    const struct wk_sigv4_auth *auth, struct wk_span secret_access_key,
    time_t now)
{
	return verify(req, auth, secret_access_key, NULL, now);
}

int
wk_sigv4_verify_key(const struct wk_sigv4_request *req,
    const struct wk_sigv4_auth *auth, const uint8_t signing_key[32],
    time_t now)
{
	return verify(req, auth, WK_SPAN_NULL, signing_key, now);
}

static int
name_cmp(const void *a, const void *b)
{
	const struct wk_span *x = a, *y = b;
	size_t m = x->len < y->len ? x->len : y->len;
	int c = m > 0 ? memcmp(x->p, y->p, m) : 0;

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len ? 1 : 0;
}

int
wk_sigv4_sign(const struct wk_sigv4_request *req, const char *access_key_id,
    const char *secret_access_key, const char *session_token,
    const char *region, const char *service, time_t now,
    char amz_date[static 17], struct wk_buf *authorization)
{
	struct wk_sigv4_header hdrs[WK_SIGV4_MAX_HEADERS + 2];
	struct wk_span names[WK_SIGV4_MAX_HEADERS + 2];
	struct wk_sigv4_request r2;
	struct wk_buf lnames, sh;
	struct wk_span date, sdate;
	uint8_t sig[32];
	size_t n = 0, nn = 0;
	bool have_host = false;
	int r;

	wk_buf_init(&lnames, 8192);
	wk_buf_init(&sh, 8192);
	amz_date[0] = '\0';
	if (req->nheaders > WK_SIGV4_MAX_HEADERS ||
	    req->nheaders + 2 > WK_SIGV4_MAX_SIGNED_HEADERS) {
		r = WK_ERR_TOOBIG;
		goto out;
	}
	if (strlen(access_key_id) == 0 || strlen(access_key_id) >
	    MAX_AKID_LEN || strlen(region) == 0 || strlen(service) == 0 ||
	    strlen(region) > MAX_SCOPE_PART ||
	    strlen(service) > MAX_SCOPE_PART) {
		r = WK_ERR_INVAL;
		goto out;
	}
	wk_time_amzdate(now, amz_date);
	date = wk_span_from_mem(amz_date, 16);
	sdate = wk_span_from_mem(amz_date, 8);
	/* Reserve the whole name buffer so spans into it stay valid. */
	if ((r = wk_buf_reserve(&lnames, 4096)) != 0)
		goto out;
	for (size_t i = 0; i < req->nheaders; i++) {
		struct wk_span nm = req->headers[i].name;
		size_t start = lnames.len;

		if (span_case_eq(nm, WK_SPAN_LIT("x-amz-date")) ||
		    span_case_eq(nm, WK_SPAN_LIT("authorization")) ||
		    (session_token != NULL && span_case_eq(nm,
		    WK_SPAN_LIT("x-amz-security-token")))) {
			r = WK_ERR_INVAL;
			goto out;
		}
		if (span_case_eq(nm, WK_SPAN_LIT("host")))
			have_host = true;
		if (nm.len == 0 || lnames.cap - lnames.len <= nm.len) {
			r = nm.len == 0 ? WK_ERR_INVAL : WK_ERR_TOOBIG;
			goto out;
		}
		for (size_t k = 0; k < nm.len; k++)
			lnames.p[lnames.len++] = (uint8_t)lower(nm.p[k]);
		hdrs[n++] = req->headers[i];
		names[nn++] = wk_span_from_mem(lnames.p + start, nm.len);
	}
	if (!have_host) {
		r = WK_ERR_INVAL;
		goto out;
	}
	hdrs[n].name = WK_SPAN_LIT("x-amz-date");
	hdrs[n++].value = date;
	names[nn++] = WK_SPAN_LIT("x-amz-date");
	if (session_token != NULL) {
		hdrs[n].name = WK_SPAN_LIT("x-amz-security-token");
		hdrs[n++].value = wk_span_from_cstr(session_token);
		names[nn++] = WK_SPAN_LIT("x-amz-security-token");
	}
	qsort(names, nn, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < nn; i++) {
		if (i > 0 && wk_span_eq(names[i], names[i - 1]))
			continue;	/* duplicates are joined, signed once */
		if ((i > 0 && (r = wk_buf_putc(&sh, ';')) != 0) ||
		    (r = wk_buf_append_span(&sh, names[i])) != 0)
			goto out;
	}
	r2 = *req;
	r2.headers = hdrs;
	r2.nheaders = n;
	if ((r = compute_signature(&r2, wk_buf_span(&sh), date, sdate,
	    wk_span_from_cstr(region), wk_span_from_cstr(service),
	    wk_span_from_cstr(secret_access_key), NULL, sig)) != 0)
		goto out;
	if ((r = wk_buf_appendf(authorization, ALGORITHM
	    " Credential=%s/%.8s/%s/%s/" SCOPE_TERMINATOR
	    ", SignedHeaders=%.*s, Signature=", access_key_id, amz_date,
	    region, service, WK_SPAN_FMT(wk_buf_span(&sh)))) != 0 ||
	    (r = wk_hex_encode(authorization, sig, sizeof(sig))) != 0)
		goto out;
out:
	wk_explicit_bzero(sig, sizeof(sig));
	wk_buf_cleanup(&lnames);
	wk_buf_cleanup(&sh);
	return r;
}
