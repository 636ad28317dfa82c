/*
 * signing_keys.h - rotation of the control plane's record-signing key
 * (docs/protocols.md, "Signing-key rotation").
 *
 * The data directory holds up to three Ed25519 keys:
 *   signing.key       current: signs every new key record
 *   signing.next.key  announced to the agents, not used yet
 *   signing.prev.key  retired by the last promotion, still announced until
 *                     every record it signed has expired
 * `wicketd signing-key next|promote|retire|list` change and show them with
 * atomic file operations (link/rename, never overwriting); a running
 * wicketd reloads them on SIGHUP and when their files change.
 */
#ifndef WK_SERVER_SIGNING_KEYS_H
#define WK_SERVER_SIGNING_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "crypto/signkey.h"

struct wk_server;
struct wk_agent_hub;

#define WK_DATA_SIGNING_NEXT_KEY "signing.next.key"
#define WK_DATA_SIGNING_PREV_KEY "signing.prev.key"
/*
 * The rotation statements (crypto/rotation.h), back to back, oldest
 * first, mode 0644: statement n vouches for key n of the chain, signed by
 * key n-1. `next` appends one signed by the current key; agents pin a new
 * key only through them. At most WK_SIGNING_MAX_STATEMENTS are kept, so
 * an agent can catch up over that many rotations.
 */
#define WK_DATA_SIGNING_STATEMENTS "signing.statements"
#define WK_SIGNING_MAX_STATEMENTS 8

/* A next key is promoted only once it has been announced this long. */
#define WK_SIGNING_ANNOUNCE_MIN_S 30
/* Added to the key ttl before a previous key may be retired. */
#define WK_SIGNING_SKEW_S 30
/* How often a running wicketd checks the key files for changes. */
#define WK_SIGNING_RELOAD_MS 3000
/* Store meta key where `serve` records its --key-ttl for `retire`. */
#define WK_SIGNING_META_KEY_TTL "key_ttl_seconds"
#define WK_SIGNING_KEY_TTL_MAX 3600

enum wk_signing_role {
	WK_SIGNING_CURRENT = 0,
	WK_SIGNING_NEXT = 1,
	WK_SIGNING_PREV = 2,
};
#define WK_SIGNING_NROLES 3

/* The file name of a role ("signing.key", ...). */
const char *wk_signing_file(enum wk_signing_role role);
/* "current", "next", "previous". */
const char *wk_signing_role_name(enum wk_signing_role role);

/* ---- the subcommands' file logic; `why` gets the operator's message ---- */

/*
 * Generates DIR/signing.next.key (0600) and the rotation statement for it,
 * signed by the current key with sequence number (the current key's) + 1,
 * appended to DIR/signing.statements (replacing any statement with that
 * number or more: one for a next key that was removed by hand). The
 * statement is written first, so the key is never announced without one.
 * WK_ERR_EXISTS when a next key exists already, WK_ERR_NOTFOUND without a
 * current key. Files appear complete or not at all; the data directory is
 * locked (flock) meanwhile. id_out gets the new key's id.
 */
int wk_signing_next(const char *dir, char id_out[WK_SIGNKEY_ID_LEN + 1],
    char *why, size_t whysz);

/*
 * next -> current, current -> prev. Refuses with WK_ERR_NOTFOUND without a
 * next key, WK_ERR_AUTH when signing.statements holds no statement for the
 * next key that verifies under the current key (agents would refuse it), WK_ERR_EXISTS while a previous key is still present (retire it
 * first), WK_ERR_CONFLICT when the next key was created less than
 * min_age_s before `now` (agents may not know it yet). Every intermediate
 * state on disk has a loadable signing.key. prev's mtime becomes the time
 * of the promotion.
 */
int wk_signing_promote(const char *dir, time_t now, unsigned min_age_s,
    char *why, size_t whysz);

/*
 * Removes DIR/signing.prev.key. WK_ERR_NOTFOUND without one;
 * WK_ERR_CONFLICT when it was retired less than grace_s before `now`.
 */
int wk_signing_retire(const char *dir, time_t now, unsigned grace_s,
    char *why, size_t whysz);

struct wk_signing_info {
	enum wk_signing_role role;
	char id[WK_SIGNKEY_ID_LEN + 1];
	time_t since;		/* the file's mtime */
	uint64_t seq;		/* its place in the statement chain, 0: none */
};

/* The keys present, current first; a present but unloadable file is an
 * error. */
int wk_signing_list(const char *dir,
    struct wk_signing_info out[WK_SIGNING_NROLES], size_t *n, char *why,
    size_t whysz);

/* ---- the running server ---- */

/* Keys of the three roles (NULL when absent), and the statements. */
struct wk_signing_set {
	struct wk_signkey *key[WK_SIGNING_NROLES];
	char *rotation;		/* signing.statements ("" when absent) */
};

void wk_signing_set_cleanup(struct wk_signing_set *s);	/* frees, NULLs */

/*
 * Loads the set from DIR: signing.key is required, the others optional; a
 * present file that does not load is an error (nothing is returned then),
 * and so is a statements file with a malformed statement or more than
 * WK_SIGNING_MAX_STATEMENTS.
 */
int wk_signing_set_load(const char *dir, struct wk_signing_set *out,
    char *why, size_t whysz);

/*
 * Loads srv's keys at start-up (srv->signkey, next_signkey, prev_signkey,
 * rotation).
 */
int wk_signing_server_load(struct wk_server *srv, char *why, size_t whysz);
/* Frees what wk_signing_server_load loaded; NULLs the fields. */
void wk_signing_server_cleanup(struct wk_server *srv);

/*
 * Reloads the key files into srv when they changed since the last attempt
 * (or always with `force`). On a failed load the keys in use stay. When the
 * announced set changed, every held agent poll is answered so agents learn
 * it at once. *changed (may be NULL) tells whether srv's keys changed.
 */
int wk_signing_server_reload(struct wk_server *srv, bool force,
    bool *changed);

/*
 * Reloads on SIGHUP (through a signalfd: SIGHUP must be blocked in every
 * thread) and every WK_SIGNING_RELOAD_MS. Needs srv->loop. The listener's
 * TLS certificate (srv->tls, http.h wk_tls_reload) is reloaded with them.
 */
int wk_signing_watch_start(struct wk_server *srv);
void wk_signing_watch_stop(struct wk_server *srv);	/* NULL-safe */

/* ---- for signing_sync.c ---- */
/* Writes DIR/name atomically (never half), then sets its mtime. */
int wk_signing_write_file(const char *dir, const char *name, const char *data,
    size_t len, mode_t mode, time_t mtime, char *why, size_t whysz);
/* Locks DIR (flock) as next/promote/retire do; close(*fd_out) unlocks. */
int wk_signing_lock_dir(const char *dir, int *fd_out, char *why,
    size_t whysz);

/* ---- shared by replicas on PostgreSQL (signing_sync.c) ----
 * The store holds the service's signing files (migration 9, sealed) and a
 * generation each rotation bumps; DIR/signing.generation says which one
 * the directory holds. docs/replicas.md. */
#define WK_DATA_SIGNING_GENERATION "signing.generation"
struct wk_store;
/*
 * Brings DIR in line with the store: when the store has no files yet
 * (generation 0), DIR's are published (the first replica seeds them);
 * when its generation differs from DIR's, the store's files replace DIR's
 * (keys 0600, statements 0644, with their mtimes; files the store lacks
 * are removed). *changed (may be NULL): whether DIR changed; *gen (may be
 * NULL): the generation DIR now holds.
 */
int wk_signing_sync(struct wk_store *st, const char *dir, bool *changed,
    int64_t *gen, char *why, size_t whysz);
/*
 * After a rotation in DIR, synced at generation `base` before it:
 * publishes DIR's files as generation base + 1. WK_ERR_CONFLICT when
 * another rotation was published since (DIR is then replaced by the
 * store's files on the next sync, and this rotation is not kept).
 */
int wk_signing_publish(struct wk_store *st, const char *dir, int64_t base,
    char *why, size_t whysz);
/*
 * The running server (srv->signing_shared): syncs DIR from the store and,
 * when it changed, reloads the keys (and wakes the agents' polls). Called
 * on NOTIFY 'k' and by the reload timer.
 */
void wk_signing_server_sync(struct wk_server *srv);
/* At start-up: decides srv->signing_shared (a PostgreSQL store) and, if
 * so, syncs DIR before the keys are loaded. */
int wk_signing_shared_start(struct wk_server *srv, char *why, size_t whysz);

/*
 * agent_hub.c: answers every held poll now (their replies carry the new
 * signing_keys). Declared here because it exists for rotation.
 */
void wk_agent_hub_wake_all(struct wk_agent_hub *h);

#endif
