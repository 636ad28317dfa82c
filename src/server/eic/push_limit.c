/*
 * push_limit.c - wicketd's mirror of the agent's per-user limit (push.h):
 * an agent holds at most WK_SOCK_MAX_RECORDS live records per OS user and
 * refuses the next one instead of evicting someone else's pending key. The
 * agent cannot tell the caller, so wicketd counts the records it handed to
 * the hub per (instance, OS user) until they expire and refuses the push
 * that would not be held, with an error the caller sees.
 *
 * Records of one pair expire in push order (one key TTL), so each pair is
 * a ring of expiry times. Everything runs on the event-loop thread.
 */
#include <string.h>

#include "agent/sockproto.h"
#include "common/alloc.h"
#include "common/err.h"
#include "server/eic/eic.h"

#define LIMIT_BUCKETS 4096	/* power of two */
#define LIMIT_KEY_MAX 64	/* "i-<17 hex>/<user>" */

struct limit_ent {
	struct limit_ent *next;
	char key[LIMIT_KEY_MAX];
	time_t exp[WK_SOCK_MAX_RECORDS];	/* ring, oldest at head */
	unsigned head, n;
};

static struct limit_ent *buckets[LIMIT_BUCKETS];

static size_t
key_hash(const char *k)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *k != '\0'; k++) {
		h ^= (uint8_t)*k;
		h *= 1099511628211ULL;
	}
	return (size_t)h & (LIMIT_BUCKETS - 1);
}

static void
ent_prune(struct limit_ent *e, time_t now)
{
	while (e->n > 0 && e->exp[e->head] <= now) {
		e->head = (e->head + 1) % WK_SOCK_MAX_RECORDS;
		e->n--;
	}
}

/*
 * The pair's entry (created when `create`); drops the bucket's entries
 * with nothing live on the way, so the table holds only live pairs.
 */
static struct limit_ent *
find(const char *key, time_t now, bool create)
{
	struct limit_ent **pp, *e;
	size_t b = key_hash(key);

	for (pp = &buckets[b]; (e = *pp) != NULL;) {
		ent_prune(e, now);
		if (strcmp(e->key, key) == 0)
			return e;
		if (e->n == 0) {
			*pp = e->next;
			wk_free(e);
			continue;
		}
		pp = &e->next;
	}
	if (!create || (e = wk_calloc(1, sizeof(*e))) == NULL)
		return NULL;
	memcpy(e->key, key, strlen(key) + 1);
	e->next = buckets[b];
	buckets[b] = e;
	return e;
}

static bool
make_key(const char *instance_id, const char *os_user,
    char key[static LIMIT_KEY_MAX])
{
	size_t a = strlen(instance_id), u = strlen(os_user);

	if (a + 1 + u >= LIMIT_KEY_MAX)
		return false;
	memcpy(key, instance_id, a);
	key[a] = '/';
	memcpy(key + a + 1, os_user, u + 1);
	return true;
}

bool
wk_push_limit_full(const char *instance_id, const char *os_user, time_t now)
{
	char key[LIMIT_KEY_MAX];
	struct limit_ent *e;

	if (!make_key(instance_id, os_user, key))
		return false;
	e = find(key, now, false);
	return e != NULL && e->n >= WK_SOCK_MAX_RECORDS;
}

void
wk_push_limit_note(const char *instance_id, const char *os_user,
    time_t expires, time_t now)
{
	char key[LIMIT_KEY_MAX];
	struct limit_ent *e;

	if (!make_key(instance_id, os_user, key) ||
	    (e = find(key, now, true)) == NULL ||
	    e->n >= WK_SOCK_MAX_RECORDS)
		return;
	e->exp[(e->head + e->n) % WK_SOCK_MAX_RECORDS] = expires;
	e->n++;
}

void
wk_push_limit_reset(void)
{
	struct limit_ent *e, *next;
	size_t i;

	for (i = 0; i < LIMIT_BUCKETS; i++) {
		for (e = buckets[i]; e != NULL; e = next) {
			next = e->next;
			wk_free(e);
		}
		buckets[i] = NULL;
	}
}
