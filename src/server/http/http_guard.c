/*
 * http_guard.c - connections per client address and the phase deadlines
 * of the HTTP front (see http_guard.h).
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rand.h"
#include "server/http/http_guard.h"

#define KEY_V4 4
#define KEY_V6 6
#define NBUCKETS 4096	/* chains stay short: entries <= connections */

int
wk_http_ipkey_from(const struct sockaddr *sa, socklen_t len,
    struct wk_http_ipkey *out)
{
	memset(out, 0, sizeof(*out));
	if (sa == NULL)
		return WK_ERR_INVAL;
	if (sa->sa_family == AF_INET &&
	    len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		out->b[0] = KEY_V4;
		memcpy(out->b + 1, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 &&
	    len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			out->b[0] = KEY_V4;
			memcpy(out->b + 1, &in6->sin6_addr.s6_addr[12], 4);
		} else {
			out->b[0] = KEY_V6;
			memcpy(out->b + 1, in6->sin6_addr.s6_addr, 8);
		}
		return 0;
	}
	return WK_ERR_INVAL;
}

void
wk_http_ipkey_str(const struct wk_http_ipkey *k, char *out, size_t outsz)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(out, outsz, "-");
	if (k->b[0] == KEY_V4) {
		if (inet_ntop(AF_INET, k->b + 1, a, sizeof(a)) != NULL)
			snprintf(out, outsz, "%s", a);
	} else if (k->b[0] == KEY_V6) {
		uint8_t full[16] = { 0 };

		memcpy(full, k->b + 1, 8);
		if (inet_ntop(AF_INET6, full, a, sizeof(a)) != NULL)
			snprintf(out, outsz, "%s/64", a);
	}
}

struct ipent {
	struct ipent *next;
	struct wk_http_ipkey key;
	unsigned n;
};

struct wk_http_ipcount {
	struct ipent *bucket[NBUCKETS];
	uint64_t seed;	/* random: no one picks addresses for one chain */
	size_t size;
};

int
wk_http_ipcount_new(struct wk_http_ipcount **out)
{
	struct wk_http_ipcount *t;

	*out = NULL;
	if ((t = wk_calloc(1, sizeof(*t))) == NULL)
		return WK_ERR_NOMEM;
	if (wk_random_bytes(&t->seed, sizeof(t->seed)) != 0) {
		wk_free(t);
		return WK_ERR_IO;
	}
	*out = t;
	return 0;
}

void
wk_http_ipcount_free(struct wk_http_ipcount *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < NBUCKETS; i++) {
		struct ipent *e, *next;

		for (e = t->bucket[i]; e != NULL; e = next) {
			next = e->next;
			wk_free(e);
		}
	}
	wk_free(t);
}

/* FNV-1a over seed and key, then a final mix. */
static size_t
slot(const struct wk_http_ipcount *t, const struct wk_http_ipkey *k)
{
	uint64_t h = 1469598103934665603ull ^ t->seed;

	for (size_t i = 0; i < sizeof(k->b); i++) {
		h ^= k->b[i];
		h *= 1099511628211ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (size_t)(h % NBUCKETS);
}

static struct ipent **
find(struct wk_http_ipcount *t, const struct wk_http_ipkey *k)
{
	struct ipent **pp = &t->bucket[slot(t, k)];

	while (*pp != NULL && memcmp((*pp)->key.b, k->b, sizeof(k->b)) != 0)
		pp = &(*pp)->next;
	return pp;
}

unsigned
wk_http_ipcount_get(const struct wk_http_ipcount *t,
    const struct wk_http_ipkey *k)
{
	const struct ipent *e = t->bucket[slot(t, k)];

	while (e != NULL && memcmp(e->key.b, k->b, sizeof(k->b)) != 0)
		e = e->next;
	return e != NULL ? e->n : 0;
}

int
wk_http_ipcount_add(struct wk_http_ipcount *t, const struct wk_http_ipkey *k)
{
	struct ipent **pp = find(t, k), *e;

	if (*pp != NULL) {
		if ((*pp)->n == UINT_MAX)
			return WK_ERR_LIMIT;
		(*pp)->n++;
		return 0;
	}
	if ((e = wk_calloc(1, sizeof(*e))) == NULL)
		return WK_ERR_NOMEM;
	e->key = *k;
	e->n = 1;
	*pp = e;
	t->size++;
	return 0;
}

void
wk_http_ipcount_del(struct wk_http_ipcount *t, const struct wk_http_ipkey *k)
{
	struct ipent **pp = find(t, k), *e = *pp;

	if (e == NULL)
		return;
	if (--e->n > 0)
		return;
	*pp = e->next;
	wk_free(e);
	t->size--;
}

size_t
wk_http_ipcount_size(const struct wk_http_ipcount *t)
{
	return t->size;
}

uint64_t
wk_http_phase_budget_ms(const struct wk_http_limits *l,
    enum wk_http_phase phase)
{
	switch (phase) {
	case WK_HTTP_PHASE_HEADERS:
		return l->header_timeout_ms;
	case WK_HTTP_PHASE_KEEPALIVE:
		/* both are bounded by main.c's option parsing */
		return l->idle_timeout_ms + l->header_timeout_ms;
	case WK_HTTP_PHASE_BODY:
		return l->body_timeout_ms;
	default:
		return UINT64_MAX;
	}
}

const char *
wk_http_phase_name(enum wk_http_phase phase)
{
	switch (phase) {
	case WK_HTTP_PHASE_HEADERS:
		return "headers";
	case WK_HTTP_PHASE_KEEPALIVE:
		return "keepalive";
	case WK_HTTP_PHASE_BODY:
		return "body";
	default:
		return "exempt";
	}
}
