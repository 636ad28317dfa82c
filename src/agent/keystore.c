/*
 * keystore.c - the agent's pushed key records, held in memory only (never
 * on disk) until they expire. Small by design: a host holds a handful of
 * 60-second records, so a flat array scanned linearly is the fastest and
 * simplest structure.
 */
#include "agent/agent.h"

#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "crypto/keyrec.h"

struct wk_keystore_ent {
	char user[WK_SOCK_MAX_USER + 1];
	char fingerprint[WK_SSHKEY_FP_LEN];
	bool single_use;		/* #Once=1 */
	bool consumed;			/* kept until expiry, never served */
	int64_t expires;
	/* single-use only: the connection it is handed to, and until when */
	char lease_conn[WK_SOCK_MAX_CONN + 1];
	uint64_t lease_until_ms;
	uint64_t seq;
	uint8_t *text;
	size_t len;
};

struct wk_keystore {
	struct wk_keystore_ent *ents;
	size_t n;
	size_t max;
	uint64_t next_seq;
};

int
wk_keystore_new(size_t max_records, struct wk_keystore **out)
{
	struct wk_keystore *ks;

	*out = NULL;
	if (max_records == 0)
		return WK_ERR_INVAL;
	if ((ks = wk_calloc(1, sizeof(*ks))) == NULL)
		return WK_ERR_NOMEM;
	if ((ks->ents = wk_calloc(max_records, sizeof(*ks->ents))) == NULL) {
		wk_free(ks);
		return WK_ERR_NOMEM;
	}
	ks->max = max_records;
	*out = ks;
	return 0;
}

static void
ent_drop(struct wk_keystore *ks, size_t i)
{
	wk_freezero(ks->ents[i].text, ks->ents[i].len);
	ks->ents[i] = ks->ents[ks->n - 1];
	memset(&ks->ents[ks->n - 1], 0, sizeof(ks->ents[0]));
	ks->n--;
}

void
wk_keystore_free(struct wk_keystore *ks)
{
	if (ks == NULL)
		return;
	while (ks->n > 0)
		ent_drop(ks, ks->n - 1);
	wk_free(ks->ents);
	wk_free(ks);
}

/* Index of the record expiring first (of `user` when user != NULL). */
static bool
earliest(const struct wk_keystore *ks, const char *user, size_t *idx)
{
	size_t i;
	bool found = false;

	for (i = 0; i < ks->n; i++) {
		if (user != NULL && strcmp(ks->ents[i].user, user) != 0)
			continue;
		if (!found || ks->ents[i].expires < ks->ents[*idx].expires) {
			*idx = i;
			found = true;
		}
	}
	return found;
}

static size_t
count_user(const struct wk_keystore *ks, const char *user)
{
	size_t i, n = 0;

	for (i = 0; i < ks->n; i++)
		if (strcmp(ks->ents[i].user, user) == 0)
			n++;
	return n;
}

int
wk_keystore_add(struct wk_keystore *ks, struct wk_span text, time_t now)
{
	struct wk_keyrec rec;
	struct wk_span signed_part;
	uint8_t sig[WK_ED25519_SIG_LEN];
	struct wk_keystore_ent *e;
	size_t i, per_user = 0;
	size_t ulen;
	int r;

	if (text.len == 0 || text.len > WK_SOCK_MAX_RECORD)
		return WK_ERR_TOOBIG;
	if ((r = wk_keyrec_parse(text, &rec, &signed_part, sig)) != 0)
		return r;
	ulen = strnlen(rec.os_user, sizeof(rec.os_user));
	if (!wk_sock_user_ok((const uint8_t *)rec.os_user, ulen))
		return WK_ERR_INVAL;
	if (rec.expires <= (int64_t)now)
		return WK_ERR_EXPIRED;
	for (i = 0; i < ks->n; i++) {
		if (strcmp(ks->ents[i].user, rec.os_user) != 0)
			continue;
		per_user++;
		if (ks->ents[i].len == text.len &&
		    memcmp(ks->ents[i].text, text.p, text.len) == 0)
			return 0;	/* already held */
	}
	/*
	 * Never evict a live record to make room: in a flood the records
	 * evicted would be other callers' pending keys. Expired ones go; a
	 * user or store still full refuses the new record instead.
	 */
	if (per_user >= WK_SOCK_MAX_RECORDS || ks->n >= ks->max) {
		wk_keystore_purge(ks, now);
		if (count_user(ks, rec.os_user) >= WK_SOCK_MAX_RECORDS ||
		    ks->n >= ks->max)
			return WK_ERR_LIMIT;
	}
	e = &ks->ents[ks->n];
	if ((e->text = wk_malloc(text.len)) == NULL)
		return WK_ERR_NOMEM;
	memcpy(e->text, text.p, text.len);
	e->len = text.len;
	memcpy(e->user, rec.os_user, ulen);
	e->user[ulen] = '\0';
	memcpy(e->fingerprint, rec.fingerprint, sizeof(e->fingerprint));
	e->single_use = rec.single_use;
	e->consumed = false;
	e->lease_conn[0] = '\0';
	e->lease_until_ms = 0;
	e->expires = rec.expires;
	e->seq = ks->next_seq++;
	ks->n++;
	return 0;
}

size_t
wk_keystore_lookup(const struct wk_keystore *ks, const char *user,
    time_t now, struct wk_span *out, size_t max)
{
	size_t idx[WK_SOCK_MAX_RECORDS];
	size_t i, j, n = 0;

	for (i = 0; i < ks->n && n < WK_SOCK_MAX_RECORDS; i++) {
		const struct wk_keystore_ent *e = &ks->ents[i];

		if (e->expires <= (int64_t)now || e->consumed ||
		    strcmp(e->user, user) != 0)
			continue;
		/* Insert keeping newest (highest seq) first. */
		for (j = n; j > 0 && ks->ents[idx[j - 1]].seq < e->seq; j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
		n++;
	}
	if (out == NULL)
		return n;
	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
		out[i] = wk_span_from_mem(ks->ents[idx[i]].text,
		    ks->ents[idx[i]].len);
	return n;
}

/*
 * May connection `conn` be handed single-use record e at now_ms? Free (no
 * lease, or it ended), or already its own with at least the grace left,
 * so that every login it was handed to finishes (and consumes) while the
 * lease still holds and no other connection can be handed it meanwhile.
 */
static bool
lease_ok(const struct wk_keystore_ent *e, const char *conn, uint64_t now_ms)
{
	if (e->lease_conn[0] == '\0' || e->lease_until_ms <= now_ms)
		return true;
	return strcmp(e->lease_conn, conn) == 0 &&
	    now_ms + WK_SOCK_LEASE_GRACE_MS <= e->lease_until_ms;
}

size_t
wk_keystore_lookup_lease(struct wk_keystore *ks, const char *user,
    const char *fingerprint, const char *conn, time_t now, uint64_t now_ms,
    struct wk_span *out, size_t max)
{
	size_t idx[WK_SOCK_MAX_RECORDS];
	size_t i, j, n = 0;
	size_t clen = conn != NULL ? strlen(conn) : 0;

	if (clen > WK_SOCK_MAX_CONN)
		return 0;
	for (i = 0; i < ks->n && n < WK_SOCK_MAX_RECORDS; i++) {
		struct wk_keystore_ent *e = &ks->ents[i];

		if (e->expires <= (int64_t)now || e->consumed ||
		    strcmp(e->user, user) != 0)
			continue;
		if (e->single_use) {
			if (fingerprint == NULL || clen == 0 ||
			    strcmp(e->fingerprint, fingerprint) != 0 ||
			    !lease_ok(e, conn, now_ms))
				continue;
			if (e->lease_conn[0] == '\0' ||
			    e->lease_until_ms <= now_ms) {
				memcpy(e->lease_conn, conn, clen + 1);
				e->lease_until_ms = now_ms + WK_SOCK_LEASE_MS;
			}
		}
		for (j = n; j > 0 && ks->ents[idx[j - 1]].seq < e->seq; j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
		n++;
	}
	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
		out[i] = wk_span_from_mem(ks->ents[idx[i]].text,
		    ks->ents[idx[i]].len);
	return n;
}

size_t
wk_keystore_consume(struct wk_keystore *ks, const char *user,
    const char *fingerprint)
{
	size_t i, n = 0;

	for (i = 0; i < ks->n; i++) {
		struct wk_keystore_ent *e = &ks->ents[i];

		if (!e->single_use || e->consumed ||
		    strcmp(e->user, user) != 0 ||
		    strcmp(e->fingerprint, fingerprint) != 0)
			continue;
		e->consumed = true;
		n++;
	}
	return n;
}

size_t
wk_keystore_purge(struct wk_keystore *ks, time_t now)
{
	size_t i = 0, dropped = 0;

	while (i < ks->n) {
		if (ks->ents[i].expires <= (int64_t)now) {
			ent_drop(ks, i);
			dropped++;
		} else {
			i++;
		}
	}
	return dropped;
}

size_t
wk_keystore_count(const struct wk_keystore *ks)
{
	return ks->n;
}

time_t
wk_keystore_next_expiry(const struct wk_keystore *ks)
{
	size_t idx = 0;

	if (!earliest(ks, NULL, &idx))
		return 0;
	return (time_t)ks->ents[idx].expires;
}

size_t
wk_keystore_drop_matching(struct wk_keystore *ks,
    bool (*match)(const struct wk_keyrec *rec, void *arg), void *arg)
{
	struct wk_keyrec rec;
	struct wk_span signed_part;
	uint8_t sig[WK_ED25519_SIG_LEN];
	size_t i = 0, dropped = 0;

	while (i < ks->n) {
		if (wk_keyrec_parse(wk_span_from_mem(ks->ents[i].text,
		    ks->ents[i].len), &rec, &signed_part, sig) != 0 ||
		    match(&rec, arg)) {
			ent_drop(ks, i);
			dropped++;
		} else {
			i++;
		}
	}
	return dropped;
}

int
wk_keystore_find(const struct wk_keystore *ks, const char *user,
    const char *fingerprint, time_t now, struct wk_keyrec *out)
{
	struct wk_span signed_part;
	uint8_t sig[WK_ED25519_SIG_LEN];
	const struct wk_keystore_ent *best = NULL;
	size_t i;

	for (i = 0; i < ks->n; i++) {
		const struct wk_keystore_ent *e = &ks->ents[i];

		if (e->expires <= (int64_t)now || strcmp(e->user, user) != 0 ||
		    strcmp(e->fingerprint, fingerprint) != 0)
			continue;
		if (best == NULL || e->seq > best->seq)
			best = e;
	}
	if (best == NULL)
		return WK_ERR_NOTFOUND;
	return wk_keyrec_parse(wk_span_from_mem(best->text, best->len), out,
	    &signed_part, sig);
}
