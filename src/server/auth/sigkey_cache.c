/*
 * sigkey_cache.c - SigV4 derived signing keys cached per (access key id,
 * secret, date, region, service), as the AWS SDKs cache them: the HMAC
 * chain runs once a day per key and scope instead of on every request.
 *
 * The secret itself is never kept: an entry holds the SHA-256 of the
 * secret it was derived from, compared in constant time, so a rotated or
 * replaced secret misses and is derived afresh. Direct-mapped, fixed size;
 * an entry is wiped when replaced and by the reset. Event-loop thread only.
 */
#include <openssl/crypto.h>
#include <string.h>

#include "common/err.h"
#include "common/alloc.h"
#include "crypto/hash.h"
#include "crypto/sigv4.h"
#include "server/auth/auth.h"

#define SLOTS 1024	/* power of two */

struct sigkey_ent {
	bool used;
	char akid[33];
	char date[9];
	char region[32];
	char service[32];
	uint8_t secret_hash[WK_SHA256_LEN];
	uint8_t key[32];
};

static struct sigkey_ent cache[SLOTS];
static struct wk_sigkey_stats stats;

void
wk_sigkey_cache_reset(void)
{
	wk_explicit_bzero(cache, sizeof(cache));
	memset(&stats, 0, sizeof(stats));
}

void
wk_sigkey_cache_stats(struct wk_sigkey_stats *out)
{
	*out = stats;
}

static bool
span_fits(struct wk_span s, size_t sz)
{
	return s.len < sz && memchr(s.p, '\0', s.len) == NULL;
}

static bool
span_is(struct wk_span s, const char *c)
{
	return strlen(c) == s.len && (s.len == 0 || memcmp(c, s.p, s.len) == 0);
}

static size_t
slot_of(struct wk_span akid, struct wk_span date, struct wk_span region,
    struct wk_span service)
{
	const struct wk_span parts[] = { akid, date, region, service };
	uint32_t h = 2166136261u;	/* FNV-1a, '/' between the parts */

	for (size_t i = 0; i < 4; i++) {
		for (size_t j = 0; j < parts[i].len; j++) {
			h ^= (uint8_t)parts[i].p[j];
			h *= 16777619u;
		}
		h ^= '/';
		h *= 16777619u;
	}
	return h & (SLOTS - 1);
}

static void
span_put(struct wk_span s, char *out)
{
	if (s.len > 0)
		memcpy(out, s.p, s.len);
	out[s.len] = '\0';
}

int
wk_sigkey_get(struct wk_span akid, struct wk_span secret, struct wk_span date,
    struct wk_span region, struct wk_span service, uint8_t key[32])
{
	uint8_t h[WK_SHA256_LEN];
	struct sigkey_ent *e;
	int r;

	if (!span_fits(akid, sizeof(e->akid)) ||
	    !span_fits(date, sizeof(e->date)) ||
	    !span_fits(region, sizeof(e->region)) ||
	    !span_fits(service, sizeof(e->service))) {
		stats.uncached++;
		return wk_sigv4_signing_key(secret, date, region, service,
		    key);
	}
	wk_sha256(secret.p, secret.len, h);
	e = &cache[slot_of(akid, date, region, service)];
	if (e->used && span_is(akid, e->akid) && span_is(date, e->date) &&
	    span_is(region, e->region) && span_is(service, e->service) &&
	    CRYPTO_memcmp(h, e->secret_hash, sizeof(h)) == 0) {
		memcpy(key, e->key, 32);
		stats.hits++;
		wk_explicit_bzero(h, sizeof(h));
		return 0;
	}
	stats.misses++;
	if ((r = wk_sigv4_signing_key(secret, date, region, service,
	    key)) != 0) {
		wk_explicit_bzero(h, sizeof(h));
		return r;
	}
	wk_explicit_bzero(e, sizeof(*e));	/* the evicted key too */
	e->used = true;
	span_put(akid, e->akid);
	span_put(date, e->date);
	span_put(region, e->region);
	span_put(service, e->service);
	memcpy(e->secret_hash, h, sizeof(h));
	memcpy(e->key, key, 32);
	wk_explicit_bzero(h, sizeof(h));
	return 0;
}
