/*
 * read_cache.c - the store reads that authenticate and authorize an API
 * request (access key, user, user tags, instance, instance tags), kept
 * per process
 * and dropped whenever the store's authorization generation moves
 * (store.h: every write that can change one of them bumps it in the same
 * transaction, whichever process writes).
 *
 * Why it is correct: wk_readcache_begin reads the generation G before any
 * cached read of the request. An entry filled after reading G holds data
 * at least as new as G (it was read after G), so it is never older than
 * the generation it is filed under; a write committed after that moves
 * the generation, and the next request's begin sees it and drops
 * everything. So a change (key deactivated or deleted, tag set or
 * removed, user renamed, instance deleted) takes effect on the next
 * request, as without the cache. Only successful reads are kept, never
 * "absent", so a creation needs no bump. The cache answers only between
 * begin and end on the thread that armed it (the event loop); anywhere
 * else the getters read the store, fresh.
 */
#include <pthread.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "server/auth/authz.h"

#define BUCKETS		4096	/* power of two */
#define NAME_MAX_LEN	128

enum rc_kind {
	RC_KEY, RC_USER, RC_USER_TAGS, RC_INSTANCE, RC_INSTANCE_TAGS
};

struct rc_ent {
	struct rc_ent *next;
	enum rc_kind kind;
	char name[NAME_MAX_LEN + 1];	/* user names lower case */
	union {
		struct wk_access_key key;
		struct wk_user user;
		struct wk_instance inst;
		struct {
			struct wk_tag *v;
			size_t n;
		} tags;
	} u;
};

static struct {
	struct rc_ent *buckets[BUCKETS];
	size_t count;
	struct wk_store *st;
	uint64_t generation;
	bool have_generation;
	bool have_owner;
	pthread_t owner;
	struct wk_readcache_stats stats;
} rc;

static _Thread_local bool armed;

static void
ent_free(struct rc_ent *e)
{
	if (e == NULL)
		return;
	if (e->kind == RC_USER_TAGS || e->kind == RC_INSTANCE_TAGS)
		wk_free(e->u.tags.v);
	if (e->kind == RC_INSTANCE)
		wk_instance_cleanup(&e->u.inst);
	wk_explicit_bzero(e, sizeof(*e));	/* a key entry holds a secret */
	wk_free(e);
}

static void
flush(void)
{
	for (size_t i = 0; i < BUCKETS; i++) {
		struct rc_ent *e = rc.buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			ent_free(e);
		}
		rc.buckets[i] = NULL;
	}
	if (rc.count > 0)
		rc.stats.flushes++;
	rc.count = 0;
}

void
wk_readcache_reset(void)
{
	flush();
	rc.st = NULL;
	rc.have_generation = false;
	rc.have_owner = false;
	memset(&rc.stats, 0, sizeof(rc.stats));
	armed = false;
}

void
wk_readcache_stats(struct wk_readcache_stats *out)
{
	*out = rc.stats;
}

int
wk_readcache_begin(struct wk_store *st)
{
	uint64_t gen;
	int r;

	armed = false;
	if (st == NULL)
		return WK_ERR_INVAL;
	if (!rc.have_owner) {
		rc.owner = pthread_self();
		rc.have_owner = true;
	} else if (!pthread_equal(rc.owner, pthread_self())) {
		return 0;	/* another thread: it reads the store */
	}
	if (rc.st != st) {
		flush();
		rc.st = st;
		rc.have_generation = false;
	}
	if ((r = wk_store_policy_generation(st, &gen)) != 0)
		return r;	/* not armed: every read goes to the store */
	if (!rc.have_generation || gen != rc.generation) {
		flush();
		rc.generation = gen;
		rc.have_generation = true;
	}
	armed = true;
	return 0;
}

void
wk_readcache_end(void)
{
	armed = false;
}

bool
wk_readcache_generation(struct wk_store *st, uint64_t *gen)
{
	if (!armed || st != rc.st)
		return false;
	*gen = rc.generation;
	return true;
}

static bool
usable(struct wk_store *st)
{
	return armed && st == rc.st;
}

static size_t
bucket_of(enum rc_kind kind, const char *name)
{
	uint32_t h = 2166136261u ^ (uint32_t)kind;	/* FNV-1a */

	for (; *name != '\0'; name++) {
		h ^= (uint8_t)*name;
		h *= 16777619u;
	}
	return h & (BUCKETS - 1);
}

/* The cache's name for `name`: user names compare case-insensitively. */
static bool
cache_name(enum rc_kind kind, const char *name, char out[NAME_MAX_LEN + 1])
{
	size_t len = strlen(name);
	bool fold = kind == RC_USER || kind == RC_USER_TAGS;

	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char ch = name[i];

		out[i] = fold && ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
	}
	return true;
}

static struct rc_ent *
find(enum rc_kind kind, const char *cname)
{
	struct rc_ent *e = rc.buckets[bucket_of(kind, cname)];

	for (; e != NULL; e = e->next)
		if (e->kind == kind && strcmp(e->name, cname) == 0)
			return e;
	return NULL;
}

/* Files e (kind and name set); the cache is emptied first when full. */
static void
insert(struct rc_ent *e)
{
	size_t b = bucket_of(e->kind, e->name);

	if (rc.count >= WK_READCACHE_MAX_ENTRIES)
		flush();
	e->next = rc.buckets[b];
	rc.buckets[b] = e;
	rc.count++;
}

static struct rc_ent *
new_ent(enum rc_kind kind, const char *cname)
{
	struct rc_ent *e;

	if ((e = wk_calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->kind = kind;
	memcpy(e->name, cname, strlen(cname) + 1);
	return e;
}

static int
tags_copy(const struct wk_tag *v, size_t n, struct wk_tag **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	if ((*out = wk_reallocarray(NULL, n, sizeof(**out))) == NULL)
		return WK_ERR_NOMEM;
	memcpy(*out, v, n * sizeof(**out));
	return 0;
}

int
wk_readcache_key_get(struct wk_store *st, const char *id,
    struct wk_access_key *out)
{
	char cname[NAME_MAX_LEN + 1];
	struct rc_ent *e;
	int r;

	if (!usable(st) || !cache_name(RC_KEY, id, cname))
		return wk_store_key_get(st, id, out);
	if ((e = find(RC_KEY, cname)) != NULL) {
		rc.stats.hits++;
		*out = e->u.key;
		return 0;
	}
	rc.stats.misses++;
	if ((r = wk_store_key_get(st, id, out)) != 0)
		return r;
	if ((e = new_ent(RC_KEY, cname)) == NULL)
		return 0;	/* served, not kept */
	e->u.key = *out;
	/* usage bookkeeping goes stale and is no part of a decision */
	e->u.key.last_used = 0;
	e->u.key.last_used_service[0] = '\0';
	e->u.key.last_used_region[0] = '\0';
	insert(e);
	return 0;
}

int
wk_readcache_user_get(struct wk_store *st, const char *name,
    struct wk_user *out)
{
	char cname[NAME_MAX_LEN + 1];
	struct rc_ent *e;
	int r;

	if (!usable(st) || !cache_name(RC_USER, name, cname))
		return wk_store_user_get(st, name, out);
	if ((e = find(RC_USER, cname)) != NULL) {
		rc.stats.hits++;
		*out = e->u.user;
		return 0;
	}
	rc.stats.misses++;
	if ((r = wk_store_user_get(st, name, out)) != 0)
		return r;
	if ((e = new_ent(RC_USER, cname)) == NULL)
		return 0;
	e->u.user = *out;
	insert(e);
	return 0;
}

int
wk_readcache_instance_get(struct wk_store *st, const char *id,
    struct wk_instance *out)
{
	char cname[NAME_MAX_LEN + 1];
	struct rc_ent *e;
	int r;

	if (!usable(st) || !cache_name(RC_INSTANCE, id, cname))
		return wk_store_instance_get(st, id, out);
	if ((e = find(RC_INSTANCE, cname)) != NULL) {
		rc.stats.hits++;
		*out = e->u.inst;
		out->host_keys = NULL;
		if (e->u.inst.host_keys != NULL &&
		    (out->host_keys = wk_strdup(e->u.inst.host_keys)) == NULL)
			return WK_ERR_NOMEM;
		return 0;
	}
	rc.stats.misses++;
	if ((r = wk_store_instance_get(st, id, out)) != 0)
		return r;
	if ((e = new_ent(RC_INSTANCE, cname)) == NULL)
		return 0;
	e->u.inst = *out;
	e->u.inst.last_seen = 0;	/* agent activity, not a decision */
	if (out->host_keys != NULL &&
	    (e->u.inst.host_keys = wk_strdup(out->host_keys)) == NULL) {
		wk_free(e);
		return 0;
	}
	insert(e);
	return 0;
}

static int
tags_get(struct wk_store *st, enum rc_kind kind, const char *name,
    struct wk_tag **out, size_t *n)
{
	char cname[NAME_MAX_LEN + 1];
	struct rc_ent *e;
	int r;

	*out = NULL;
	*n = 0;
	if (usable(st) && cache_name(kind, name, cname) &&
	    (e = find(kind, cname)) != NULL) {
		rc.stats.hits++;
		if ((r = tags_copy(e->u.tags.v, e->u.tags.n, out)) != 0)
			return r;
		*n = e->u.tags.n;
		return 0;
	}
	r = kind == RC_USER_TAGS ? wk_store_user_tags_list(st, name, out, n) :
	    wk_store_instance_tags_list(st, name, out, n);
	if (r != 0 || !usable(st) || !cache_name(kind, name, cname))
		return r;
	rc.stats.misses++;
	if ((e = new_ent(kind, cname)) == NULL)
		return 0;
	if (tags_copy(*out, *n, &e->u.tags.v) != 0) {
		ent_free(e);
		return 0;
	}
	e->u.tags.n = *n;
	insert(e);
	return 0;
}

int
wk_readcache_user_tags(struct wk_store *st, const char *name,
    struct wk_tag **out, size_t *n)
{
	return tags_get(st, RC_USER_TAGS, name, out, n);
}

int
wk_readcache_instance_tags(struct wk_store *st, const char *id,
    struct wk_tag **out, size_t *n)
{
	return tags_get(st, RC_INSTANCE_TAGS, id, out, n);
}
