/*
 * agent_hub.c - the server side of the agent channel: the per-instance
 * table, pending record queues, and the long-poll (GET /agent/v1/poll).
 * Enrollment and updates live in agent_enroll.c. See docs/protocols.md.
 *
 * Everything runs on the one event-loop thread: no locks.
 */
#include "server/hub/agent_hub.h"

#include <jansson.h>
#include <string.h>

#include "common/alloc.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/log.h"
#include "common/rand.h"
#include "common/time.h"
#include "crypto/rotation.h"
#include "crypto/signkey.h"
#include "server/hub/agent_hub_int.h"
#include "server/server.h"
#include "server/hub/signing_keys.h"

#define HUB_MIN_CAP 64
#define POLL_QUERY_MAX 512
#define LAST_SEEN_EVERY_S 300

/* ---- the table ---- */

static size_t
hub_hash(const char *id)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *id != '\0'; id++) {
		h ^= (uint8_t)*id;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

struct wk_hub_agent *
wk_hub_find(struct wk_agent_hub *h, const char *id)
{
	size_t i, mask;

	if (h == NULL || h->cap == 0 || id == NULL)
		return NULL;
	mask = h->cap - 1;
	for (i = hub_hash(id) & mask; h->slots[i] != NULL; i = (i + 1) & mask) {
		if (strcmp(h->slots[i]->id, id) == 0)
			return h->slots[i];
	}
	return NULL;
}

static void
hub_insert_slot(struct wk_hub_agent **slots, size_t cap, struct wk_hub_agent *a)
{
	size_t i, mask = cap - 1;

	for (i = hub_hash(a->id) & mask; slots[i] != NULL; i = (i + 1) & mask)
		;
	slots[i] = a;
}

static int
hub_grow(struct wk_agent_hub *h)
{
	struct wk_hub_agent **ns;
	size_t ncap, i;

	if (h->cap == 0)
		ncap = HUB_MIN_CAP;
	else {
		if (h->cap > SIZE_MAX / 2 / sizeof(*ns))
			return WK_ERR_NOMEM;
		ncap = h->cap * 2;
	}
	if ((ns = wk_calloc(ncap, sizeof(*ns))) == NULL)
		return WK_ERR_NOMEM;
	for (i = 0; i < h->cap; i++) {
		if (h->slots[i] != NULL)
			hub_insert_slot(ns, ncap, h->slots[i]);
	}
	wk_free(h->slots);
	h->slots = ns;
	h->cap = ncap;
	return 0;
}

int
wk_hub_get(struct wk_agent_hub *h, const char *id, struct wk_hub_agent **out)
{
	struct wk_hub_agent *a;
	size_t len;
	int r;

	*out = NULL;
	if ((a = wk_hub_find(h, id)) != NULL) {
		*out = a;
		return 0;
	}
	len = strlen(id);
	if (len < 3 || len >= sizeof(a->id))
		return WK_ERR_INVAL;
	/* keep the load factor under 1/2 */
	if (h->cap == 0 || h->n + 1 > h->cap / 2) {
		if ((r = hub_grow(h)) != 0)
			return r;
	}
	if ((a = wk_calloc(1, sizeof(*a))) == NULL)
		return WK_ERR_NOMEM;
	a->hub = h;
	memcpy(a->id, id, len + 1);
	hub_insert_slot(h->slots, h->cap, a);
	h->n++;
	*out = a;
	return 0;
}

static void
hub_free_records(struct wk_agent_hub *h, struct wk_hub_agent *a)
{
	struct wk_hub_rec *r, *next;

	for (r = a->head; r != NULL; r = next) {
		next = r->next;
		wk_freezero(r, sizeof(*r) + r->len);
		h->nrecords--;
	}
	a->head = a->tail = NULL;
	a->nrecs = 0;
}

void
wk_hub_remove(struct wk_agent_hub *h, struct wk_hub_agent *a)
{
	size_t i, j, k, mask;

	if (h == NULL || a == NULL || a->held != NULL || h->cap == 0)
		return;
	mask = h->cap - 1;
	for (i = hub_hash(a->id) & mask; h->slots[i] != a; i = (i + 1) & mask) {
		if (h->slots[i] == NULL)
			return;	/* not ours */
	}
	/* backward-shift deletion keeps probe chains intact */
	h->slots[i] = NULL;
	for (j = (i + 1) & mask; h->slots[j] != NULL; j = (j + 1) & mask) {
		k = hub_hash(h->slots[j]->id) & mask;
		/* move slot j to i if its home k is not in (i, j] cyclically */
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			h->slots[i] = h->slots[j];
			h->slots[j] = NULL;
			i = j;
		}
	}
	hub_free_records(h, a);
	wk_free(a);
	h->n--;
}

/* ---- queues ---- */

static void
hub_drop_head(struct wk_agent_hub *h, struct wk_hub_agent *a)
{
	struct wk_hub_rec *r = a->head;

	if (r == NULL)
		return;
	a->head = r->next;
	if (a->head == NULL)
		a->tail = NULL;
	a->nrecs--;
	h->nrecords--;
	wk_freezero(r, sizeof(*r) + r->len);
}

void
wk_hub_prune(struct wk_agent_hub *h, struct wk_hub_agent *a, uint64_t cursor,
    time_t now)
{
	struct wk_hub_rec **pp, *r;

	for (pp = &a->head; (r = *pp) != NULL;) {
		if (r->seq <= cursor || r->expires <= now) {
			*pp = r->next;
			a->nrecs--;
			h->nrecords--;
			wk_freezero(r, sizeof(*r) + r->len);
			continue;
		}
		pp = &r->next;
	}
	/* recompute the tail */
	a->tail = NULL;
	for (r = a->head; r != NULL; r = r->next)
		a->tail = r;
}

int
wk_hub_enqueue(struct wk_agent_hub *h, struct wk_hub_agent *a,
    struct wk_span record, time_t expires, time_t now)
{
	if (record.len == 0 || record.len > 8192 || expires <= now)
		return WK_ERR_INVAL;
	return wk_hub_enqueue_seq(h, a, record, expires, now, h->seq + 1);
}

int
wk_hub_enqueue_seq(struct wk_agent_hub *h, struct wk_hub_agent *a,
    struct wk_span record, time_t expires, time_t now, uint64_t seq)
{
	struct wk_hub_rec *r, **pp;

	if (record.len == 0 || record.len > 8192 || expires <= now)
		return WK_ERR_INVAL;
	for (r = a->head; r != NULL; r = r->next)
		if (r->seq == seq)
			return 0;	/* already here (a replica's wake-up) */
	wk_hub_prune(h, a, 0, now);
	if (h->nrecords >= WK_HUB_MAX_RECORDS) {
		wk_hub_sweep(h, now);
		if (h->nrecords >= WK_HUB_MAX_RECORDS)
			return WK_ERR_LIMIT;
	}
	if ((r = wk_malloc(sizeof(*r) + record.len)) == NULL)
		return WK_ERR_NOMEM;
	r->next = NULL;
	r->seq = seq;
	if (seq > h->seq)
		h->seq = seq;
	r->expires = expires;
	r->len = record.len;
	memcpy(r->data, record.p, record.len);
	while (a->nrecs >= WK_HUB_MAX_RECORDS_PER_AGENT)
		hub_drop_head(h, a);
	/* in seq order (the store's may arrive out of order) */
	for (pp = &a->head; *pp != NULL && (*pp)->seq < seq; pp = &(*pp)->next)
		;
	r->next = *pp;
	*pp = r;
	if (r->next == NULL)
		a->tail = r;
	a->nrecs++;
	h->nrecords++;
	return 0;
}

bool
wk_hub_has_newer(const struct wk_hub_agent *a, uint64_t cursor, time_t now)
{
	const struct wk_hub_rec *r;

	for (r = a->head; r != NULL; r = r->next) {
		if (r->seq > cursor && r->expires > now)
			return true;
	}
	return false;
}

uint64_t
wk_hub_effective_cursor(const struct wk_agent_hub *h, const char *epoch,
    uint64_t cursor)
{
	if (epoch == NULL || strcmp(epoch, h->epoch) != 0)
		return 0;
	/* a cursor from the future (not ours) acknowledges nothing; with
	 * replicas the others hand out numbers too (the table's) */
	if (!h->shared && cursor > h->seq)
		return 0;
	return cursor;
}

int
wk_hub_signing_keys(const struct wk_server *srv, json_t **out)
{
	const struct wk_signkey *keys[3];
	struct wk_pubkey pk, seen[3];
	struct wk_buf b64;
	json_t *arr = NULL, *o;
	size_t i, j, nseen = 0;
	bool dup;
	int r = WK_ERR_NOMEM;

	*out = NULL;
	wk_buf_init(&b64, 128);
	/* current, next, previous (signing_keys.h); the same key twice (a
	 * promotion in progress) is listed once */
	keys[0] = srv != NULL ? srv->signkey : NULL;
	keys[1] = srv != NULL ? srv->next_signkey : NULL;
	keys[2] = srv != NULL ? srv->prev_signkey : NULL;
	if ((arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < 3; i++) {
		if (keys[i] == NULL)
			continue;
		wk_signkey_public(keys[i], &pk);
		dup = false;
		for (j = 0; j < nseen; j++)
			if (strcmp(seen[j].id, pk.id) == 0)
				dup = true;
		if (dup)
			continue;
		seen[nseen++] = pk;
		wk_buf_reset(&b64);
		if ((r = wk_pubkey_to_base64(&pk, &b64)) != 0)
			goto out;
		r = WK_ERR_NOMEM;
		o = json_pack("{s:s, s:s}", "id", pk.id, "public_key",
		    wk_buf_cstr(&b64));
		if (o == NULL || json_array_append_new(arr, o) != 0)
			goto out;
	}
	*out = arr;
	arr = NULL;
	r = 0;
 out:
	json_decref(arr);
	wk_buf_cleanup(&b64);
	return r;
}

int
wk_hub_rotation(const struct wk_server *srv, json_t **out)
{
	struct wk_span rest, one;
	json_t *arr, *s;

	*out = NULL;
	if ((arr = json_array()) == NULL)
		return WK_ERR_NOMEM;
	/* checked when loaded (signing_keys.c): whole statements only */
	rest = wk_span_from_cstr(srv != NULL && srv->rotation != NULL ?
	    srv->rotation : "");
	while (rest.len > 0 && wk_rotation_next(&rest, &one)) {
		s = json_stringn((const char *)one.p, one.len);
		if (s == NULL || json_array_append_new(arr, s) != 0) {
			json_decref(arr);
			return WK_ERR_NOMEM;
		}
	}
	*out = arr;
	return 0;
}

int
wk_hub_announce(const struct wk_server *srv, json_t *reply)
{
	json_t *keys = NULL, *stmts = NULL;
	int r, rk, rs;

	/* both first: a reply never carries keys without statements */
	if ((r = wk_hub_signing_keys(srv, &keys)) != 0 ||
	    (r = wk_hub_rotation(srv, &stmts)) != 0)
		goto out;
	/* set_new steals its value, even on failure */
	rk = json_object_set_new(reply, "signing_keys", keys);
	rs = json_object_set_new(reply, "rotation", stmts);
	return rk == 0 && rs == 0 ? 0 : WK_ERR_NOMEM;
 out:
	json_decref(keys);
	json_decref(stmts);
	return r;
}

static int
hub_dump_cb(const char *buffer, size_t size, void *data)
{
	return wk_buf_append(data, buffer, size) == 0 ? 0 : -1;
}

/* The server's keys (current, next, previous) and statements now. */
static void
ann_current(const struct wk_server *srv, bool have[3],
    struct wk_pubkey keys[3], const char **rotation)
{
	const struct wk_signkey *k[3];

	k[0] = srv != NULL ? srv->signkey : NULL;
	k[1] = srv != NULL ? srv->next_signkey : NULL;
	k[2] = srv != NULL ? srv->prev_signkey : NULL;
	for (size_t i = 0; i < 3; i++) {
		have[i] = k[i] != NULL;
		memset(&keys[i], 0, sizeof(keys[i]));
		if (have[i])
			wk_signkey_public(k[i], &keys[i]);
	}
	*rotation = srv != NULL && srv->rotation != NULL ? srv->rotation : "";
}

static bool
ann_same_key(const struct wk_pubkey *a, const struct wk_pubkey *b)
{
	return memcmp(a->raw, b->raw, sizeof(a->raw)) == 0 &&
	    strcmp(a->id, b->id) == 0;
}

static int
ann_rebuild(struct wk_agent_hub *h, const bool have[3],
    const struct wk_pubkey keys[3], const char *rotation)
{
	json_t *o;
	char *rot;
	int r;

	h->ann_valid = false;
	wk_buf_reset(&h->ann);
	if ((rot = wk_strdup(rotation)) == NULL)
		return WK_ERR_NOMEM;
	if ((o = json_object()) == NULL) {
		wk_free(rot);
		return WK_ERR_NOMEM;
	}
	if ((r = wk_hub_announce(h->srv, o)) != 0)
		goto out;
	r = WK_ERR_NOMEM;
	if (json_dump_callback(o, hub_dump_cb, &h->ann, JSON_COMPACT) != 0)
		goto out;
	/* {...} -> the members alone */
	if (h->ann.len < 2 || h->ann.p[0] != '{' ||
	    h->ann.p[h->ann.len - 1] != '}') {
		r = WK_ERR_INTERNAL;
		goto out;
	}
	memmove(h->ann.p, h->ann.p + 1, h->ann.len - 2);
	h->ann.len -= 2;
	h->ann.p[h->ann.len] = '\0';
	wk_free(h->ann_rotation);
	h->ann_rotation = rot;
	rot = NULL;
	for (size_t i = 0; i < 3; i++) {
		h->ann_have[i] = have[i];
		h->ann_keys[i] = keys[i];
	}
	h->ann_valid = true;
	h->ann_builds++;
	r = 0;
 out:
	if (r != 0)
		wk_buf_reset(&h->ann);
	wk_free(rot);
	json_decref(o);
	return r;
}

int
wk_hub_announce_cached(struct wk_agent_hub *h, struct wk_buf *out)
{
	struct wk_pubkey keys[3];
	const char *rotation;
	bool have[3], same;
	int r;

	ann_current(h->srv, have, keys, &rotation);
	same = h->ann_valid && h->ann_rotation != NULL &&
	    strcmp(h->ann_rotation, rotation) == 0;
	for (size_t i = 0; same && i < 3; i++)
		same = have[i] == h->ann_have[i] &&
		    (!have[i] || ann_same_key(&keys[i], &h->ann_keys[i]));
	if (!same && (r = ann_rebuild(h, have, keys, rotation)) != 0)
		return r;
	return wk_buf_append(out, h->ann.p, h->ann.len);
}

/*
 * Appends a record's text as a JSON string. Records are printable ASCII
 * lines (keyrec.c); such text is escaped here directly, at a fraction of
 * what jansson's dump of a string costs per byte (it was the largest
 * single cost of a poll answer). Anything else (a byte >= 0x80) goes
 * through jansson, which refuses what is not UTF-8, as before.
 */
static int
append_record_json(struct wk_buf *out, const uint8_t *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, from = 0;
	char u[7];
	json_t *s;
	int r;

	for (i = 0; i < len; i++)
		if (p[i] >= 0x80)
			break;
	if (i < len) {
		if ((s = json_stringn((const char *)p, len)) == NULL)
			return WK_ERR_NOMEM;
		r = json_dump_callback(s, hub_dump_cb, out, JSON_ENCODE_ANY) ==
		    0 ? 0 : WK_ERR_NOMEM;
		json_decref(s);
		return r;
	}
	if ((r = wk_buf_putc(out, '"')) != 0)
		return r;
	for (i = 0; i < len; i++) {
		const char *esc;
		uint8_t c = p[i];

		if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\t')
			esc = "\\t";
		else if (c < 0x20) {
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		} else
			continue;
		if ((r = wk_buf_append(out, p + from, i - from)) != 0 ||
		    (r = wk_buf_append_str(out, esc)) != 0)
			return r;
		from = i + 1;
	}
	if ((r = wk_buf_append(out, p + from, len - from)) != 0)
		return r;
	return wk_buf_putc(out, '"');
}

int
wk_hub_reply(struct wk_agent_hub *h, const struct wk_hub_agent *a,
    uint64_t cursor, time_t now, struct wk_buf *out)
{
	const struct wk_hub_rec *rec;
	json_t *root = NULL;
	uint64_t newest = cursor;
	size_t start = out->len;
	bool first = true;
	int r = WK_ERR_NOMEM;

	for (rec = a != NULL ? a->head : NULL; rec != NULL; rec = rec->next)
		if (rec->seq > cursor && rec->expires > now &&
		    rec->seq > newest)
			newest = rec->seq;
	root = json_pack("{s:s, s:I}", "epoch", h->epoch, "cursor",
	    (json_int_t)newest);
	if (root == NULL)
		goto out;
	if ((r = wk_hub_revocations_reply(h, a, now, root)) != 0)
		goto out;
	r = WK_ERR_NOMEM;
	if (json_dump_callback(root, hub_dump_cb, out, JSON_COMPACT) != 0)
		goto out;
	/* the object's closing brace gives way to the announce members
	 * (cached: the same for every answer until the keys change) and
	 * the records member */
	if (out->len == start || out->p[out->len - 1] != '}') {
		r = WK_ERR_INTERNAL;
		goto out;
	}
	out->len--;
	if ((r = wk_buf_putc(out, ',')) != 0 ||
	    (r = wk_hub_announce_cached(h, out)) != 0 ||
	    (r = wk_buf_append_str(out, ",\"records\":[")) != 0)
		goto out;
	for (rec = a != NULL ? a->head : NULL; rec != NULL; rec = rec->next) {
		if (rec->seq <= cursor || rec->expires <= now)
			continue;
		if ((!first && (r = wk_buf_putc(out, ',')) != 0) ||
		    (r = append_record_json(out, rec->data, rec->len)) != 0)
			goto out;
		first = false;
	}
	r = wk_buf_append_str(out, "]}");
 out:
	if (r != 0 && out->p != NULL) {
		out->len = start;
		out->p[start] = '\0';
	}
	json_decref(root);
	return r;
}

static bool
slot_online(struct wk_agent_hub *h, const struct wk_hub_agent *a, time_t now)
{
	time_t window;

	if (a->held != NULL)
		return true;
	if (a->last_poll == 0)
		return false;
	window = (time_t)(h->srv != NULL ? h->srv->cfg.agent_offline_seconds :
	    70);
	return now - a->last_poll <= window;
}

bool
wk_hub_online_at(struct wk_agent_hub *h, const char *id, time_t now)
{
	struct wk_hub_agent *a;

	if ((a = wk_hub_find(h, id)) == NULL)
		return false;
	return slot_online(h, a, now);
}

void
wk_hub_sweep(struct wk_agent_hub *h, time_t now)
{
	struct wk_hub_agent *a;
	size_t i;

	if (h == NULL)
		return;
	if (h->shared)
		(void)wk_store_hub_records_prune(h->srv->store, (int64_t)now);
	for (i = 0; i < h->cap;) {
		a = h->slots[i];
		if (a == NULL) {
			i++;
			continue;
		}
		wk_hub_prune(h, a, 0, now);
		if (a->held == NULL && a->head == NULL &&
		    !slot_online(h, a, now)) {
			/* removal may shift another slot into i: look again */
			wk_hub_remove(h, a);
			continue;
		}
		i++;
	}
}

/* ---- the hub's lifetime ---- */

static void hub_sweep_timer(void *arg);

static void
hub_arm_sweep(struct wk_agent_hub *h)
{
	if (h->srv != NULL && h->srv->loop != NULL)
		h->sweep = wk_loop_timer_add(h->srv->loop, WK_HUB_SWEEP_MS,
		    hub_sweep_timer, h);
}

static void
hub_sweep_timer(void *arg)
{
	struct wk_agent_hub *h = arg;

	h->sweep = NULL;
	wk_hub_sweep(h, wk_wall_now());
	hub_arm_sweep(h);
}

int
wk_agent_hub_new(struct wk_server *srv, struct wk_agent_hub **out)
{
	struct wk_agent_hub *h = NULL;
	struct wk_buf hex;
	uint8_t boot[WK_HUB_EPOCH_LEN / 2];
	int r;

	*out = NULL;
	wk_buf_init(&hex, WK_HUB_EPOCH_LEN);
	if ((h = wk_calloc(1, sizeof(*h))) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	h->srv = srv;
	if ((r = wk_random_bytes(boot, sizeof(boot))) != 0 ||
	    (r = wk_hex_encode(&hex, boot, sizeof(boot))) != 0)
		goto out;
	memcpy(h->epoch, hex.p, WK_HUB_EPOCH_LEN);
	wk_buf_init(&h->ann, 256 * 1024);
	h->epoch[WK_HUB_EPOCH_LEN] = '\0';
	hub_arm_sweep(h);
	wk_hub_revocations_init(h);
	*out = h;
	h = NULL;
 out:
	wk_buf_cleanup(&hex);
	wk_free(h);
	return r;
}

static void
hub_answer(struct wk_agent_hub *h, struct wk_hub_agent *a, time_t now)
{
	struct wk_http_conn *c = a->held;
	struct wk_buf body;

	if (c == NULL)
		return;
	a->held = NULL;
	a->last_poll = now;
	wk_buf_init(&body, 1024 * 1024);
	if (wk_hub_reply(h, a, a->held_cursor, now, &body) == 0)
		wk_http_respond(c, 200, "application/json",
		    wk_buf_span(&body), NULL);
	else
		wk_agent_error(c, 500, "InternalError", "reply failed");
	wk_buf_cleanup(&body);
}

void
wk_hub_answer(struct wk_agent_hub *h, struct wk_hub_agent *a, time_t now)
{
	hub_answer(h, a, now);
}

void
wk_agent_hub_free(struct wk_agent_hub *h)
{
	struct wk_hub_agent *a;
	time_t now;
	size_t i;

	if (h == NULL)
		return;
	if (h->srv != NULL && h->srv->loop != NULL)
		wk_loop_timer_cancel(h->srv->loop, h->sweep);
	if (h->repl != NULL)
		h->repl->stop(h);
	now = wk_wall_now();
	for (i = 0; i < h->cap; i++) {
		if ((a = h->slots[i]) == NULL)
			continue;
		hub_answer(h, a, now);
		hub_free_records(h, a);
		wk_free(a);
	}
	wk_free(h->slots);
	wk_buf_cleanup(&h->ann);
	wk_free(h->ann_rotation);
	wk_free(h);
}

int
wk_agent_hub_push(struct wk_agent_hub *h, const char *instance_id,
    struct wk_span record, time_t expires)
{
	struct wk_hub_agent *a;
	time_t now = wk_wall_now();
	int r;

	if (h == NULL)
		return WK_ERR_UNAVAIL;
	if (h->repl != NULL)
		return h->repl->push(h, instance_id, record, expires);
	if ((r = wk_hub_get(h, instance_id, &a)) != 0)
		return r;
	if ((r = wk_hub_enqueue(h, a, record, expires, now)) != 0)
		return r;
	if (a->held != NULL)
		hub_answer(h, a, now);
	return 0;
}

bool
wk_agent_hub_stores_records(struct wk_agent_hub *h)
{
	return h != NULL && h->repl != NULL && h->repl->pushed != NULL;
}

int
wk_agent_hub_pushed(struct wk_agent_hub *h, const char *instance_id,
    struct wk_span record, time_t expires, int64_t seq)
{
	if (!wk_agent_hub_stores_records(h))
		return WK_ERR_INVAL;
	return h->repl->pushed(h, instance_id, record, expires, seq);
}

void
wk_agent_hub_wake_all(struct wk_agent_hub *h)
{
	struct wk_hub_agent *a;
	time_t now = wk_wall_now();
	size_t i, n = 0;

	if (h == NULL)
		return;
	/* answering never removes a slot, so the table stays put */
	for (i = 0; i < h->cap; i++) {
		if ((a = h->slots[i]) == NULL || a->held == NULL)
			continue;
		hub_answer(h, a, now);
		n++;
	}
	wk_log(WK_LOG_INFO, "agent_polls_woken", "count=%zu reason="
	    "signing_keys_changed", n);
}

bool
wk_agent_hub_single_use(struct wk_agent_hub *h, const char *instance_id)
{
	struct wk_hub_agent *a = wk_hub_find(h, instance_id);

	return a != NULL && a->single_use;
}

bool
wk_agent_hub_online(struct wk_agent_hub *h, const char *instance_id)
{
	if (h == NULL)
		return false;
	if (wk_hub_online_at(h, instance_id, wk_wall_now()))
		return true;
	return h->repl != NULL && h->repl->online(h, instance_id);
}

void
wk_agent_hub_counts(struct wk_agent_hub *h, size_t *online, size_t *held)
{
	time_t now = wk_wall_now();
	struct wk_hub_agent *a;

	*online = *held = 0;
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->cap; i++) {
		if ((a = h->slots[i]) == NULL)
			continue;
		*held += a->held != NULL;
		*online += slot_online(h, a, now);	/* no second lookup */
	}
}

/* ---- GET /agent/v1/poll?epoch=E&cursor=N ---- */

static void
poll_timeout(struct wk_http_conn *c, void *arg)
{
	struct wk_hub_agent *a = arg;

	(void)c;
	hub_answer(a->hub, a, wk_wall_now());
}

static void
poll_closed(void *arg)
{
	struct wk_hub_agent *a = arg;

	a->held = NULL;
	a->last_poll = wk_wall_now();
}

/*
 * A held poll's heartbeat is due on the next HEARTBEAT_ALIGN_MS boundary
 * of the monotonic clock after `timeout_ms`: the polls whose heartbeats
 * fall in one window are answered by one timer run, so libmicrohttpd
 * resumes them in one MHD_run. Each MHD_run that resumes anything walks
 * every suspended connection (resume_suspended_connections), so resuming
 * heartbeats one by one cost O(held polls) each: at 15,000 agents that
 * walk was half of wicketd's CPU. A heartbeat comes at most
 * HEARTBEAT_ALIGN_MS late; a push still answers its poll at once.
 */
#define HEARTBEAT_ALIGN_MS 500

static uint64_t
poll_timeout_aligned(uint64_t timeout_ms, uint64_t now_ms)
{
	uint64_t due = now_ms + timeout_ms;

	return timeout_ms + (HEARTBEAT_ALIGN_MS - due % HEARTBEAT_ALIGN_MS) %
	    HEARTBEAT_ALIGN_MS;
}

/*
 * Reads epoch, cursor and single_use (the host's capability, reported on
 * every poll so that installing pam_wicket later takes effect without
 * re-enrolling), and revoked (the last revocation the agent applied;
 * present only from agents that apply them); unknown parameters are
 * ignored.
 */
static int
poll_parse_query(struct wk_span q, char epoch[static WK_HUB_EPOCH_LEN + 1],
    uint64_t *cursor, bool *single_use, bool *rev_aware, uint64_t *rev)
{
	struct wk_span pair, name, value;
	struct wk_buf dec;
	int r = 0;

	epoch[0] = '\0';
	*cursor = 0;
	*single_use = false;
	*rev_aware = false;
	*rev = 0;
	if (q.len > POLL_QUERY_MAX)
		return WK_ERR_TOOBIG;
	wk_buf_init(&dec, POLL_QUERY_MAX);
	while (q.len > 0) {
		/* without the separator: head is all of it, rest empty */
		(void)wk_span_split(q, '&', &pair, &q);
		(void)wk_span_split(pair, '=', &name, &value);
		wk_buf_reset(&dec);
		if ((r = wk_uri_decode(&dec, value, true)) != 0)
			goto out;
		if (wk_span_eq_cstr(name, "epoch")) {
			if (dec.len > WK_HUB_EPOCH_LEN) {
				/* not one of ours: a restart, cursor 0 */
				epoch[0] = '\0';
				continue;
			}
			if (dec.len > 0)
				memcpy(epoch, dec.p, dec.len);
			epoch[dec.len] = '\0';
		} else if (wk_span_eq_cstr(name, "single_use")) {
			*single_use = wk_span_eq_cstr(wk_buf_span(&dec), "1");
		} else if (wk_span_eq_cstr(name, "revoked")) {
			if ((r = wk_span_to_u64(wk_buf_span(&dec),
			    UINT64_MAX / 2, rev)) != 0)
				goto out;
			*rev_aware = true;
		} else if (wk_span_eq_cstr(name, "cursor") && dec.len > 0) {
			if ((r = wk_span_to_u64(wk_buf_span(&dec), UINT64_MAX / 2,
			    cursor)) != 0)
				goto out;
		}
	}
 out:
	wk_buf_cleanup(&dec);
	return r;
}

void
wk_agent_poll_handle(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct wk_agent_hub *h = srv->hub;
	struct wk_instance inst;
	struct wk_hub_agent *a;
	char epoch[WK_HUB_EPOCH_LEN + 1];
	uint64_t cursor, timeout_ms, rev;
	unsigned wait_s;
	bool single_use, rev_aware;
	time_t now = wk_wall_now();
	int r;

	memset(&inst, 0, sizeof(inst));
	if (h == NULL) {
		wk_agent_error(c, 503, "Unavailable", "agent hub not running");
		return;
	}
	if (wk_agent_authenticate(srv, req, &inst) != 0) {
		wk_agent_error(c, 401, "InvalidCredential",
		    "invalid agent credential");
		return;
	}
	if (poll_parse_query(req->query, epoch, &cursor, &single_use,
	    &rev_aware, &rev) != 0) {
		wk_agent_error(c, 400, "InvalidRequest", "bad poll parameters");
		goto out;
	}
	/* a new agent (after a restart: all of them) waits its turn */
	a = wk_hub_find(h, inst.id);
	if ((a == NULL || (a->held == NULL &&
	    !wk_hub_online_at(h, inst.id, now))) &&
	    (wait_s = wk_hub_admit(&h->admit, srv->cfg.agent_admit_rate,
	    wk_mono_ms())) > 0) {
		wk_hub_admit_refuse(c, inst.id, wait_s);
		goto out;
	}
	if ((r = wk_hub_get(h, inst.id, &a)) != 0) {
		wk_agent_error(c, 500, "InternalError", wk_strerror(r));
		goto out;
	}
	/* one held poll per instance: the newer one wins */
	if (a->held != NULL)
		hub_answer(h, a, now);
	wk_log(WK_LOG_DEBUG, "agent_poll", "instance=%s epoch=%s cursor=%llu "
	    "current_epoch=%s seq=%llu", inst.id, epoch,
	    (unsigned long long)cursor, h->epoch, (unsigned long long)h->seq);
	cursor = wk_hub_effective_cursor(h, epoch, cursor);
	wk_hub_prune(h, a, cursor, now);
	if (h->repl != NULL)
		h->repl->load(h, a, cursor, now);
	/* the registry's last_seen, coarsely: not a write per poll */
	if (now - a->last_touch >= (h->shared ? WK_HUB_SHARED_TOUCH_S :
	    LAST_SEEN_EVERY_S)) {
		a->last_touch = now;
		(void)wk_store_instance_touch(srv->store, inst.id, now);
	}
	a->last_poll = now;
	a->single_use = single_use;
	a->held = c;
	a->held_cursor = cursor;
	a->rev_aware = rev_aware;
	/* an id from the future (another database): it applied nothing */
	a->held_rev = rev <= h->rev_max ? rev : 0;
	/*
	 * Another boot's epoch (or none): answered at once, so a reconnecting
	 * agent learns the new epoch and the signing keys now and knows it is
	 * connected, not 25 s later.
	 */
	if (wk_hub_has_newer(a, cursor, now) || wk_hub_rev_pending(h, a) ||
	    strcmp(epoch, h->epoch) != 0) {
		hub_answer(h, a, now);
		goto out;
	}
	timeout_ms = (uint64_t)srv->cfg.agent_poll_seconds * 1000;
	if (timeout_ms == 0)
		timeout_ms = 25000;
	timeout_ms = poll_timeout_aligned(timeout_ms, wk_mono_ms());
	if (wk_http_suspend(c, timeout_ms, poll_timeout, poll_closed, a) != 0)
		hub_answer(h, a, now);	/* cannot hold: a heartbeat now */
 out:
	wk_instance_cleanup(&inst);
}
