/*
 * agent_hub_int.h - internals of the agent channel, exposed for
 * agent_hub.c, agent_enroll.c, agent_auth.c and their unit tests and fuzz
 * target.
 *
 * The hub keeps one small struct per instance (an open-addressing table
 * keyed by instance id): the poll it holds (if any), when the agent last
 * polled, and a short queue of pending signed records, oldest first.
 * Sequence numbers are global and monotonic within one `epoch` (a random
 * boot id); an agent acknowledges records by polling with a cursor >= their
 * sequence number, and they are dropped then, or when they expire.
 */
#ifndef WK_SERVER_AGENT_HUB_INT_H
#define WK_SERVER_AGENT_HUB_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "crypto/pubkey.h"
#include "server/hub/agent_hub.h"
#include "server/http/http.h"
#include "store/store.h"

#define WK_HUB_MAX_RECORDS_PER_AGENT 64	/* as many as a LOOKUP reply holds */
#define WK_HUB_MAX_RECORDS 262144	/* all instances together */
#define WK_HUB_EPOCH_LEN 16		/* hex digits */
#define WK_HUB_SWEEP_MS 10000
#define WK_AGENT_BODY_MAX (64 * 1024)
#define WK_AGENT_MAX_HOST_KEYS 16
#define WK_AGENT_SECRET_LEN 32		/* bytes; 64 hex on the wire */

struct wk_hub_rec {
	struct wk_hub_rec *next;
	uint64_t seq;
	time_t expires;
	size_t len;
	uint8_t data[];		/* the record text (not NUL-terminated) */
};

struct wk_hub_agent {
	struct wk_agent_hub *hub;
	struct wk_http_conn *held;	/* the waiting poll, or NULL */
	struct wk_hub_rec *head;	/* oldest first */
	struct wk_hub_rec *tail;
	uint64_t held_cursor;		/* effective cursor of the held poll */
	time_t last_poll;		/* wall clock; 0 when never */
	time_t last_touch;		/* last_seen last written to the store */
	uint32_t nrecs;
	bool single_use;		/* its last poll: sshd consumes them */
	/* revocations.c: the held poll carried `revoked=N` (its agent applies
	 * revocations) and N, the last revocation id it applied */
	bool rev_aware;
	uint64_t held_rev;
	uint64_t acked;			/* replicas: table rows deleted up to */
	char id[20];			/* "i-" + 17 hex */
};

/*
 * agent_admit.c: how many NEW long-polls (an agent the hub does not hold
 * as online: after a restart, every one) are admitted a second.
 */
#define WK_HUB_ADMIT_MAX_WAIT_S 60	/* the longest Retry-After */

struct wk_hub_admit {
	uint64_t tokens_milli;		/* thousandths of a token */
	uint64_t last_ms;		/* monotonic; 0 = never */
	uint64_t next_slot_us;		/* the next place booked for a 503 */
	unsigned long long admitted, deferred;
};

/*
 * 0: admit (a token of `rate` a second, one second's burst; rate 0: all).
 * Else the Retry-After in seconds (1..WK_HUB_ADMIT_MAX_WAIT_S): each
 * refused poll is booked the next place at 1/rate s after the previous
 * one, at least a second ahead, so the refused come back spread at the
 * rate they can be admitted.
 */
unsigned wk_hub_admit(struct wk_hub_admit *ad, unsigned rate,
    uint64_t now_ms);
/* 503 SlowDown with Retry-After (logged, rate-limited). */
void wk_hub_admit_refuse(struct wk_http_conn *c, const char *instance_id,
    unsigned retry_after_s);

struct wk_agent_hub {
	struct wk_server *srv;
	struct wk_hub_admit admit;
	struct wk_hub_agent **slots;	/* open addressing, linear probing */
	size_t cap;			/* power of two (or 0) */
	size_t n;
	uint64_t seq;			/* last sequence number handed out */
	size_t nrecords;		/* records queued, all instances */
	struct wk_timer *sweep;
	uint64_t rev_max;		/* newest revocation id (revocations.c) */
	time_t rev_retry_at;		/* after a failed read: no early answer */
	/* hub_replicas.c: PostgreSQL, records in the store, NOTIFY wakes */
	bool shared;
	const struct wk_hub_repl_hooks *repl;	/* set with shared */
	struct wk_store_listener *listener;
	struct wk_watch *lwatch;
	struct wk_timer *lretry;
	char epoch[WK_HUB_EPOCH_LEN + 1];
	/*
	 * The announce part of every poll answer ("signing_keys":[...],
	 * "rotation":[...], without braces), built once and kept with the
	 * public keys and statements it was built from; every answer compares
	 * those with the server's current ones and rebuilds on any difference
	 * (agent_hub.c: wk_hub_announce_cached), so it cannot go stale
	 * whichever path changes the keys.
	 */
	struct wk_buf ann;
	bool ann_valid;
	bool ann_have[3];		/* current, next, previous */
	struct wk_pubkey ann_keys[3];
	char *ann_rotation;		/* copy of srv->rotation ("" for none) */
	uint64_t ann_builds;		/* rebuilds (tests) */
};

/* The instance's slot, or NULL. */
struct wk_hub_agent *wk_hub_find(struct wk_agent_hub *h, const char *id);
/* The instance's slot, created when absent. */
int wk_hub_get(struct wk_agent_hub *h, const char *id,
    struct wk_hub_agent **out);
/* Removes (and frees) a slot that holds no poll. */
void wk_hub_remove(struct wk_agent_hub *h, struct wk_hub_agent *a);

/* Queues a record (copied). Drops the oldest when the queue is full. */
int wk_hub_enqueue(struct wk_agent_hub *h, struct wk_hub_agent *a,
    struct wk_span record, time_t expires, time_t now);
/* Queues a record under a given seq (the store's); a seq already queued
 * is skipped. */
int wk_hub_enqueue_seq(struct wk_agent_hub *h, struct wk_hub_agent *a,
    struct wk_span record, time_t expires, time_t now, uint64_t seq);
/* Drops records that expired (expires <= now) or with seq <= cursor. */
void wk_hub_prune(struct wk_agent_hub *h, struct wk_hub_agent *a,
    uint64_t cursor, time_t now);
/* True when a live record newer than cursor waits. */
bool wk_hub_has_newer(const struct wk_hub_agent *a, uint64_t cursor,
    time_t now);
/* The cursor a poll means: its own when its epoch is current, else 0. */
uint64_t wk_hub_effective_cursor(const struct wk_agent_hub *h,
    const char *epoch, uint64_t cursor);
/*
 * Appends the poll reply JSON: {"epoch", "cursor", "records", "signing_keys",
 * "rotation"}
 * with every live record newer than cursor; cursor in the reply is the
 * newest sequence number sent, else `cursor`.
 */
int wk_hub_reply(struct wk_agent_hub *h, const struct wk_hub_agent *a,
    uint64_t cursor, time_t now, struct wk_buf *out);
/* Online at `now`: a held poll, or a poll within agent_offline_seconds. */
bool wk_hub_online_at(struct wk_agent_hub *h, const char *id, time_t now);
/* Drops expired records everywhere and forgets idle, empty, offline slots. */
void wk_hub_sweep(struct wk_agent_hub *h, time_t now);

/* {"signing_keys": [...]}-style array of srv's signing keys (new ref). */
int wk_hub_signing_keys(const struct wk_server *srv, json_t **out);
/* {"rotation": [...]}: srv's rotation statements, oldest first (new ref). */
int wk_hub_rotation(const struct wk_server *srv, json_t **out);
/*
 * Sets "signing_keys" and "rotation" on an enroll, update or poll reply:
 * every announcement carries the statements an agent needs to pin a new
 * key (docs/protocols.md, "Signing-key rotation").
 */
int wk_hub_announce(const struct wk_server *srv, json_t *reply);
/*
 * Appends the announce members (as wk_hub_announce sets them, serialized,
 * without braces) from the hub's cache, rebuilt first when the server's
 * signing keys or rotation statements differ from the ones it was built
 * from.
 */
int wk_hub_announce_cached(struct wk_agent_hub *h, struct wk_buf *out);

/* ---- revocations on the poll (revocations.c, docs/revocation.md) ---- */
#define WK_HUB_REVS_PER_REPLY 32
#define WK_HUB_REV_IDS_PER_REPLY 2000
/* Loads rev_max from the store (0 and a log line when it cannot). */
void wk_hub_revocations_init(struct wk_agent_hub *h);
/* True when the held poll's agent has revocations to take. */
bool wk_hub_rev_pending(const struct wk_agent_hub *h,
    const struct wk_hub_agent *a);
/*
 * Sets "revocations" (those newer than a->held_rev for a's instance, at
 * most WK_HUB_REVS_PER_REPLY) and "revocation_cursor" on a poll reply,
 * for agents that asked (rev_aware); nothing otherwise.
 */
int wk_hub_revocations_reply(struct wk_agent_hub *h,
    const struct wk_hub_agent *a, time_t now, json_t *reply);
/* Answers the held polls a new revocation concerns (instance_id NULL:
 * every agent that applies revocations). */
void wk_hub_revocations_wake(struct wk_agent_hub *h, const char *instance_id);
/* ---- replicas (hub_replicas.c, docs/replicas.md) ---- */
/* What agent_hub.c calls of hub_replicas.c (which calls agent_hub.c):
 * through these hooks, so the files form no ring. */
struct wk_hub_repl_hooks {
	int (*push)(struct wk_agent_hub *, const char *, struct wk_span,
	    time_t);
	int (*pushed)(struct wk_agent_hub *, const char *, struct wk_span,
	    time_t, int64_t);
	void (*load)(struct wk_agent_hub *, struct wk_hub_agent *, uint64_t,
	    time_t);
	bool (*online)(struct wk_agent_hub *, const char *);
	void (*stop)(struct wk_agent_hub *);
};
/* With replicas, last_seen is how one replica knows another holds an
 * agent's poll: written on an agent's first poll here and then every
 * WK_HUB_SHARED_TOUCH_S (under agent_offline_seconds, 70 by default). */
#define WK_HUB_SHARED_TOUCH_S 20
/* Online on another replica: last_seen within agent_offline_seconds. */
bool wk_hub_replicas_online(struct wk_agent_hub *h, const char *instance_id);
void wk_hub_replicas_stop(struct wk_agent_hub *h);
/* Stores the record (and NOTIFYs every replica); wakes a poll held here. */
int wk_hub_replicas_push(struct wk_agent_hub *h, const char *instance_id,
    struct wk_span record, time_t expires);
/* A record already stored (seq): wakes a poll held here. */
int wk_hub_replicas_pushed(struct wk_agent_hub *h, const char *instance_id,
    struct wk_span record, time_t expires, int64_t seq);
/* A poll arrived with `cursor`: forgets what it acknowledged and queues
 * what the table holds after it. Failures are logged (the poll is held). */
void wk_hub_replicas_load(struct wk_agent_hub *h, struct wk_hub_agent *a,
    uint64_t cursor, time_t now);
/* agent_hub.c: answers a's held poll now. */
void wk_hub_answer(struct wk_agent_hub *h, struct wk_hub_agent *a, time_t now);

/* ---- enroll/update bodies (agent_enroll.c) ---- */
struct wk_agent_reg {
	char token[257];	/* enroll only */
	char hostname[256];
	char address[256];	/* "" = use the request's source address */
	int ssh_port;		/* default 22 */
	struct wk_buf host_keys;	/* normalised "type base64\n" lines */
	size_t nhost_keys;
};
void wk_agent_reg_init(struct wk_agent_reg *r);
void wk_agent_reg_cleanup(struct wk_agent_reg *r);
/*
 * Parses and validates an enroll (with_token) or update body. Unknown
 * members are refused. On WK_ERR_INVAL/TOOBIG *why says what was wrong.
 */
int wk_agent_reg_parse(struct wk_span body, bool with_token,
    struct wk_agent_reg *out, const char **why);

/* ---- the agent credential and JSON replies (agent_auth.c) ---- */
/* Hex SHA-256 of `data` (65 bytes with NUL). */
int wk_agent_sha256_hex(struct wk_span data, char out[static 65]);

/*
 * Checks "Authorization: Wicket-Agent <id>:<secret>" against the registry.
 * Fills *inst (release with wk_instance_cleanup) on success; WK_ERR_AUTH
 * for a missing, malformed or wrong credential.
 */
int wk_agent_authenticate(struct wk_server *srv,
    const struct wk_http_request *req, struct wk_instance *inst);

/* Answers {"error": code, "message": msg}. */
void wk_agent_error(struct wk_http_conn *c, unsigned status, const char *code,
    const char *msg);
/* Answers a JSON object (steals nothing; dumps compactly). */
void wk_agent_json(struct wk_http_conn *c, json_t *obj);

#endif
