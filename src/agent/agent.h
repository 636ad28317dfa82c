/*
 * agent.h - wicket-agent: enrollment, the long-poll channel to wicketd
 * (docs/protocols.md), the memory-only key store, the Unix socket that
 * wicket-authorized-keys asks, and the sshd drop-in.
 */
#ifndef WK_AGENT_AGENT_H
#define WK_AGENT_AGENT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "agent/sockproto.h"
#include "common/buf.h"
#include "crypto/signkey.h"
#include "crypto/sshkey.h"

#define WK_AGENT_MAX_SIGNING_KEYS 8
#define WK_AGENT_MAX_STATEMENTS 16		/* rotation statements a reply */
#define WK_AGENT_MAX_REFUSALS 16
#define WK_AGENT_MAX_HOST_KEYS 16
#define WK_AGENT_MAX_STATE_LEN (64 * 1024)
#define WK_AGENT_MAX_BODY (64 * 1024)		/* request bodies */
#define WK_AGENT_MAX_REPLY (4 * 1024 * 1024)	/* wicketd replies */
#define WK_AGENT_DEFAULT_HOST_KEYS "/etc/ssh/ssh_host_*_key.pub"

/* ---- subcommands (main.c dispatches; each returns the exit status) ---- */
int wk_agent_cmd_enroll(int argc, char **argv);
int wk_agent_cmd_run(int argc, char **argv);
int wk_agent_cmd_sshd_config(int argc, char **argv);
int wk_agent_cmd_install_sshd(int argc, char **argv);
int wk_agent_cmd_uninstall_sshd(int argc, char **argv);

/*
 * sshd_config.c: does this host consume single-use keys? True when
 * `install-sshd --single-use` left its marker (WK_AGENT_SINGLE_USE_FILE,
 * first line WK_AGENT_SINGLE_USE_MAGIC) in the state directory. The agent
 * reports it on every poll; wicket-authorized-keys checks the same file.
 */
#define WK_AGENT_SINGLE_USE_FILE "single-use"
#define WK_AGENT_SINGLE_USE_MAGIC "wicket-single-use 1"
bool wk_agent_single_use_enforced(const char *state_dir);

/* ---- keystore.c: pushed records, in memory only, until they expire ---- */
struct wk_keystore;

int wk_keystore_new(size_t max_records, struct wk_keystore **out);
void wk_keystore_free(struct wk_keystore *ks);
/*
 * Adds one record (its structure is checked with wk_keyrec_parse; the
 * signature is the helper's job). Expired records are refused
 * (WK_ERR_EXPIRED), an identical record already held is a no-op. When a
 * user already has WK_SOCK_MAX_RECORDS live records, or the store is
 * full, the new record is refused (WK_ERR_LIMIT): a live record is never
 * evicted to make room (it may be someone else's pending key).
 */
int wk_keystore_add(struct wk_keystore *ks, struct wk_span text, time_t now);
/*
 * Up to `max` unexpired, unconsumed records of `user`, newest first,
 * single-use ones included, leases ignored: an inspection view for root
 * (tools, tests), never what sshd is given. The spans point into the
 * store and stay valid until the next add or purge.
 */
size_t wk_keystore_lookup(const struct wk_keystore *ks, const char *user,
    time_t now, struct wk_span *out, size_t max);
/*
 * What a login may use: `user`'s live multi-use records, and its
 * unconsumed single-use records whose key has `fingerprint`, leased to
 * connection `conn`. A single-use record is handed to one connection at a
 * time: when free (never leased, or its lease ended) it is leased to
 * `conn` for WK_SOCK_LEASE_MS from now_ms (wk_mono_ms); while leased it is
 * handed again only to the same `conn`, and only while at least
 * WK_SOCK_LEASE_GRACE_MS of the lease remain. No fingerprint or conn (NULL
 * or ""): multi-use records only. Newest first.
 */
size_t wk_keystore_lookup_lease(struct wk_keystore *ks, const char *user,
    const char *fingerprint, const char *conn, time_t now, uint64_t now_ms,
    struct wk_span *out, size_t max);
/*
 * A login with a single-use record's key succeeded: marks every unconsumed
 * single-use (#Once=1) record of `user` whose key has `fingerprint`
 * ("SHA256:...") as consumed, and returns how many. Consumed records are
 * never returned by lookup again; they stay (text kept) until they expire,
 * so the same record delivered again (a re-sent poll) stays consumed.
 * Multi-use records are left alone.
 */
size_t wk_keystore_consume(struct wk_keystore *ks, const char *user,
    const char *fingerprint);
/*
 * The newest unexpired record of `user` for the key with `fingerprint`,
 * consumed or not (a login's session report: which push it came from).
 * WK_ERR_NOTFOUND when none.
 */
struct wk_keyrec;
int wk_keystore_find(const struct wk_keystore *ks, const char *user,
    const char *fingerprint, time_t now, struct wk_keyrec *out);
/* Drops every record with expires <= now; returns how many. */
size_t wk_keystore_purge(struct wk_keystore *ks, time_t now);
size_t wk_keystore_count(const struct wk_keystore *ks);
/* Earliest expiry held, or 0 when empty. */
time_t wk_keystore_next_expiry(const struct wk_keystore *ks);

/*
 * Drops every record (consumed or not) for which match(record, arg) is
 * true; each is parsed with wk_keyrec_parse first (one that does not parse
 * is dropped too: it could not be checked). Returns how many were dropped.
 */
struct wk_keyrec;
size_t wk_keystore_drop_matching(struct wk_keystore *ks,
    bool (*match)(const struct wk_keyrec *rec, void *arg), void *arg);

/*
 * ---- revoke.c, revoke_apply.c, revoke_sessions.c: revocations from
 * wicketd (docs/revocation.md, docs/protocols.md "Revocations") ----
 */
#define WK_AGENT_REV_MAX_IDS 1000
#define WK_AGENT_REV_GRACE_MS 2000	/* SIGTERM, then SIGKILL */

/* One revocation as the poll reply carries it, checked. */
struct wk_agent_rev {
	uint64_t id;
	int64_t at;		/* pushes issued at or before it */
	int64_t keep_until;
	char caller[512];	/* "" = any */
	char instance[33];	/* "" = any */
	char os_user[33];	/* "" = any */
	bool by_ids;		/* request_ids given: only those pushes */
	char (*ids)[64];
	size_t nids;
	uint64_t received_ms;	/* wk_mono_ms when taken */
};

/*
 * Parses one member of "revocations" strictly: an object with exactly the
 * documented members and types (id >= 1, 0 <= at <= keep_until, caller
 * printable without spaces, instance "i-" + hex, os_user a user name,
 * request_ids an array of at most WK_AGENT_REV_MAX_IDS request ids), and
 * at least one of caller, instance, request_ids. WK_ERR_INVAL with the
 * reason in *why otherwise (*out then holds nothing to free).
 */
int wk_agent_rev_parse(const json_t *o, struct wk_agent_rev *out,
    const char **why);
void wk_agent_rev_cleanup(struct wk_agent_rev *rv);
/*
 * Checks a revocation's signature ("key_id", "sig": base64 Ed25519 of
 * "wicket-revocation-v1\n" + the object without them, compact, keys
 * sorted) against the pinned record-signing keys: 0, or WK_ERR_AUTH
 * (unsigned, unknown key, bad signature) with the reason in *why.
 */
int wk_agent_rev_verify(const json_t *o, const struct wk_pubkey *pinned,
    size_t npinned, const char **why);
/* Does it withdraw this record (issued at or before `at` unless by ids)? */
bool wk_agent_rev_match_record(const struct wk_agent_rev *rv,
    const struct wk_keyrec *rec);

/* A login in the session registry (sessions.h, STATE/sessions/). */
struct wk_agent_session;
/*
 * Does it end this session? The selector as for records; the time rule:
 * by ids, none; else the push's issue time when known (issued_known),
 * else the session's opened_at, at or before `at`.
 */
bool wk_agent_rev_match_session(const struct wk_agent_rev *rv,
    const struct wk_agent_session *s, bool issued_known, int64_t issued);

/*
 * The start time (field 22 of /proc/PID/stat) of pid, under `proc`
 * ("/proc" normally): 0, or WK_ERR_NOTFOUND when there is no such process.
 */
int wk_agent_proc_start(const char *proc, long pid, char *out, size_t outsz);
/*
 * Signals pid only if it is still the process the registry named (its
 * start time equals pid_start): 0 when signalled, WK_ERR_DENIED on a
 * mismatch (a reused pid: never signalled), WK_ERR_NOTFOUND when gone.
 */
int wk_agent_proc_signal(const char *proc, long pid, const char *pid_start,
    int sig);

/* revoke_apply.c: the agent's revocation state. */
struct wk_agent_revoker;
int wk_agent_revoker_new(const char *state_dir, const char *instance_id,
    struct wk_agent_revoker **out);
void wk_agent_revoker_free(struct wk_agent_revoker *r);
/* The last revocation id applied: the poll's `revoked` parameter. */
uint64_t wk_agent_revoker_cursor(const struct wk_agent_revoker *r);
/*
 * Takes a poll reply (after its records were added to ks): notes the
 * records' issue times, applies each new well-formed revocation to ks and
 * to the session registry, and advances the cursor to
 * "revocation_cursor". Malformed revocations are refused and logged.
 */
void wk_agent_revoker_take(struct wk_agent_revoker *r, const json_t *reply,
    struct wk_keystore *ks, time_t now);
/* Housekeeping: SIGKILL after the grace, recent revocations re-applied to
 * records and sessions (logins that were in flight), old ones forgotten. */
void wk_agent_revoker_tick(struct wk_agent_revoker *r, struct wk_keystore *ks,
    time_t now);
/* Revocations refused for their signature (unsigned, forged) so far. */
uint64_t wk_agent_revoker_refused(const struct wk_agent_revoker *r);
/* For tests: signal processes under this /proc (default "/proc"). */
void wk_agent_revoker_set_proc(struct wk_agent_revoker *r, const char *proc);

/* ---- sockreq.c: the socket request parser and reply writer ---- */
enum wk_sock_verb {
	WK_SOCK_LOOKUP = 1,
	WK_SOCK_CONSUME = 2,
	WK_SOCK_SESSION_OPEN = 3,
	WK_SOCK_SESSION_CLOSE = 4,
};

struct wk_sock_req {
	enum wk_sock_verb verb;
	char user[WK_SOCK_MAX_USER + 1];
	char fingerprint[WK_SSHKEY_FP_LEN];	/* CONSUME; LOOKUP: "" or */
	char conn[WK_SOCK_MAX_CONN + 1];	/* LOOKUP with a lease, else "" */
	/* SESSION-OPEN / SESSION-CLOSE */
	long pid;
	char tty[WK_SOCK_MAX_FIELD + 1];	/* "" for "-" */
	char rhost[WK_SOCK_MAX_FIELD + 1];	/* "" for "-" */
};

/*
 * Parses one complete request line (newline included, nothing after it):
 * LOOKUP (with or without fingerprint and connection) or CONSUME
 * (agent/sockproto.h). Errors: WK_ERR_TOOBIG (over WK_SOCK_MAX_REQUEST),
 * WK_ERR_INVAL with a one-word reason in *why ("version", "user",
 * "fingerprint", "connection", "request"). *out is zeroed on error.
 */
int wk_agent_parse_req(struct wk_span line, struct wk_sock_req *out,
    const char **why);
/*
 * LOOKUP only (CONSUME is "request"): on success copies the user into
 * `user`.
 */
int wk_agent_parse_request(struct wk_span line,
    char user[static WK_SOCK_MAX_USER + 1], const char **why);
int wk_agent_format_reply(struct wk_buf *out, const struct wk_span *recs,
    size_t n);
int wk_agent_format_error(struct wk_buf *out, const char *why);

/* ---- sock.c: the Unix socket server (non-blocking, no threads) ---- */
struct wk_agent_sock;

/*
 * Creates the socket at `path` (parent directory created 0750 if missing),
 * mode 0660, group `gid` (gid (gid_t)-1: left alone). Refuses when another
 * agent answers on it; removes a stale one.
 */
int wk_agent_sock_open(const char *path, gid_t gid, struct wk_keystore *ks,
    struct wk_agent_sock **out);
/* Closes every client and the listener, and unlinks the path. */
void wk_agent_sock_close(struct wk_agent_sock *s);
/* The descriptors to wait on (listener + clients); returns the count. */
size_t wk_agent_sock_pollfds(const struct wk_agent_sock *s,
    struct pollfd *fds, size_t max);
/* Max number of descriptors wk_agent_sock_pollfds may return. */
size_t wk_agent_sock_maxfds(void);
/* Handles ready descriptors (revents set) and expired client deadlines. */
void wk_agent_sock_handle(struct wk_agent_sock *s, const struct pollfd *fds,
    size_t n);
/* Milliseconds until the nearest client deadline, or -1 if none. */
int wk_agent_sock_timeout_ms(const struct wk_agent_sock *s);
/*
 * One poll(2) round of at most timeout_ms, then handle; also dispatches
 * the journal's finished jobs when a journal is set (tests, tools).
 */
int wk_agent_sock_step(struct wk_agent_sock *s, int timeout_ms);
/*
 * Lets the socket take SESSION-OPEN/CLOSE (docs/sessions.md): the
 * journal that makes them durable (sessions.h; its finished jobs must be
 * dispatched on the socket's thread) and this host's instance id; both
 * must outlive the socket. Without it they are answered "ERR
 * unsupported". A SESSION-* client waits for its job, without poll
 * events, until its deadline; a lookup never waits for one.
 */
struct wk_agent_journal;
void wk_agent_sock_set_sessions(struct wk_agent_sock *s,
    struct wk_agent_journal *jn, const char *instance_id);
/* Resolves --socket-group (NULL: the group of wicket-ak, if it exists). */
int wk_agent_sock_group(const char *name, gid_t *out);

/* ---- tls.c: how the agent verifies wicketd (docs/agent-tls.md) ---- */
#define WK_AGENT_MAX_CA_PEM (256 * 1024)

/*
 * The trust the agent was enrolled with, kept in state.json and used on
 * every connection: the SPKI pin (from the join token or --ca-cert-hash)
 * and/or the CA bundle (--ca-file's content). Neither: the system store.
 */
struct wk_agent_tls {
	bool has_pin;
	uint8_t pin[32];
	char *ca_pem;		/* NULL: none */
	bool insecure_http;	/* plain http to a non-loopback address */
};

/* True for http(s) URLs whose host is localhost, 127.0.0.0/8 or ::1. */
bool wk_agent_url_is_loopback(const char *url);
/*
 * May the agent talk to `url` under `tls`? https: always (verification is
 * per connection). http: only to loopback, or with insecure_http, and
 * never with a pin or CA file (they cannot be checked over http).
 * WK_ERR_DENIED with the reason in `why` otherwise.
 */
int wk_agent_tls_url_ok(const char *url, const struct wk_agent_tls *tls,
    char *why, size_t whysz);
/*
 * Reads and checks a PEM CA bundle (at least one certificate, nothing
 * unparsable, at most WK_AGENT_MAX_CA_PEM bytes); *out is the text.
 */
int wk_agent_tls_read_ca(const char *path, char **out, char *why,
    size_t whysz);
/* One line for the log: what the agent verifies wicketd with. */
void wk_agent_tls_describe(const char *url, const struct wk_agent_tls *tls,
    char *out, size_t outsz);
void wk_agent_tls_cleanup(struct wk_agent_tls *tls);

struct wk_agent_reply;
/*
 * Sets the handle's TLS options: peer and host name verification always,
 * the CA bundle when there is one, and a certificate verify callback that
 * enforces the pin (the pinned key must be in the presented chain and the
 * chain must verify up to it) and records why a chain was refused in
 * reply->tls_why. Protocols: only the URL's own scheme.
 */
int wk_agent_tls_apply(CURL *easy, const char *url,
    const struct wk_agent_tls *tls, struct wk_agent_reply *reply);
/*
 * Why a transfer failed, for the log: "pin mismatch: ...", "certificate
 * expired: ...", "unknown CA: ...", "name mismatch: ..." for refused
 * servers (*refused set), else curl's error text.
 */
void wk_agent_tls_explain(const struct wk_agent_reply *reply, int curlcode,
    char *out, size_t outsz, bool *refused);

/* ---- state.c: the state directory ---- */
struct wk_agent_state {
	char *server;		/* base URL, no trailing slash: servers[0] */
	/*
	 * Every server of the service, in the order tried (failover.h), the
	 * first being `server`. "servers" in state.json, optional (states
	 * written before it: just `server`). All share `tls`.
	 */
	char **servers;
	size_t nservers;
	/*
	 * The highest rotation statement number seen verified (rotation.c):
	 * a statement for a key more than two places behind it is stale.
	 * Optional in state.json (0 when absent).
	 */
	uint64_t rotation_seq;
	char *instance_id;
	char *agent_secret;	/* secret: wiped on cleanup */
	char *address;		/* "" lets wicketd use the source address */
	char *hostname;
	unsigned ssh_port;
	char *account_id;
	char *region;
	char **host_keys;	/* file paths or glob patterns */
	size_t nhost_keys;
	struct wk_agent_tls tls;	/* optional in state.json */
};

void wk_agent_state_cleanup(struct wk_agent_state *st);
/*
 * servers.c: replaces st's server list with `urls` (1..
 * WK_FAILOVER_MAX_SERVERS, no duplicates), each checked as --server
 * (wk_agent_check_server_url) and allowed under st->tls
 * (wk_agent_tls_url_ok), all with the scheme of the first: a server added
 * to the list never widens the trust (no http next to https).
 * WK_ERR_INVAL with the reason in `why`, st unchanged, otherwise.
 */
int wk_agent_servers_set(struct wk_agent_state *st, char *const *urls,
    size_t n, char *why, size_t whysz);
void wk_agent_servers_free(char **servers, size_t n);
int wk_agent_state_load(const char *dir, struct wk_agent_state *st);
int wk_agent_state_save(const char *dir, const struct wk_agent_state *st);
/* temp file in dir + write + fsync + rename + fsync(dir) */
int wk_agent_write_atomic(const char *dir, const char *name,
    const void *data, size_t len, mode_t mode);
/* The trust file (docs/protocols.md), written atomically, 0644. */
int wk_agent_trust_format(struct wk_buf *out, const char *instance_id,
    const struct wk_pubkey *keys, size_t n);
int wk_agent_trust_write(const char *dir, const char *instance_id,
    const struct wk_pubkey *keys, size_t n);

/* ---- rotation.c: which announced signing keys are pinned ---- */
struct wk_agent_refusal {
	char key_id[WK_SIGNKEY_ID_LEN + 1];	/* "-": not about one key */
	const char *why;			/* static text */
};

struct wk_agent_trust_decision {
	struct wk_pubkey keys[WK_AGENT_MAX_SIGNING_KEYS];	/* to pin */
	size_t nkeys;
	size_t nadded;			/* of them, not pinned before */
	uint64_t seq;			/* the new rotation_seq */
	struct wk_agent_refusal refused[WK_AGENT_MAX_REFUSALS];
	size_t nrefused;
};

/*
 * Parses a trust file as the agent writes it (wk_agent_trust_format; the
 * same grammar wicket-authorized-keys reads): the instance id and 1..max
 * keys. WK_ERR_INVAL / WK_ERR_TOOBIG, with nothing returned, otherwise.
 */
int wk_agent_trust_parse(struct wk_span text, char instance_id[static 20],
    struct wk_pubkey *keys, size_t max, size_t *n);

/*
 * The trust update rule. `pinned`: the keys in trust (1..8); `announced`:
 * a reply's signing_keys (0..8); `stmts`: its rotation statements
 * (more than WK_AGENT_MAX_STATEMENTS: none is used); `seq`: rotation_seq.
 * The result is every announced key that is pinned, or vouched for by a
 * statement that verifies under a pinned key (directly or along a chain
 * of statements), and is not stale (its place in the chain more than two
 * behind the newest verified statement's, or rotation_seq). Pinned keys that are
 * not announced are left out (retired). Every announced key left out, and
 * every malformed statement, is in out->refused with its reason.
 * WK_ERR_DENIED when nothing would be left: keep the pinned keys.
 */
int wk_agent_trust_decide(const struct wk_pubkey *pinned, size_t npinned,
    const struct wk_pubkey *announced, size_t nannounced,
    const struct wk_span *stmts, size_t nstmts, uint64_t seq, time_t now,
    struct wk_agent_trust_decision *out);

/* ---- hostkeys.c ---- */
/*
 * Reads the first key line of every file matching the patterns, validates
 * it (crypto/sshkey.h) and returns a JSON array of "type base64" strings,
 * sorted, duplicates dropped. With `strict`, a pattern matching nothing or
 * an unreadable/invalid file is an error; otherwise it is logged and
 * skipped. An empty result is WK_ERR_NOTFOUND.
 */
int wk_agent_hostkeys_read(char *const *patterns, size_t n, bool strict,
    json_t **out);

/* ---- channel.c: HTTP to wicketd ---- */
struct wk_agent_reply {
	long status;		/* HTTP status, 0 when no response */
	struct wk_buf body;
	char errbuf[256];	/* curl's error text */
	const struct wk_agent_tls *tls;	/* tls.c's verify callback */
	char tls_why[384];	/* why it refused the server's chain */
};

/*
 * A configured easy handle; `reply` receives the body (capped). The
 * server is verified under `tls` (wk_agent_tls_apply), which must outlive
 * the handle; the URL must pass wk_agent_tls_url_ok.
 */
int wk_agent_easy_new(const char *url, const char *auth_header,
    const char *json_body, long timeout_ms, const struct wk_agent_tls *tls,
    struct wk_agent_reply *reply, CURL **out_easy,
    struct curl_slist **out_headers);
void wk_agent_easy_free(CURL *easy, struct curl_slist *headers);
/*
 * Performs a request synchronously (enroll); 0 when an HTTP reply came,
 * else `why` (wk_agent_tls_explain) says what went wrong.
 */
int wk_agent_http_sync(const char *url, const char *auth_header,
    const char *json_body, long timeout_ms, const struct wk_agent_tls *tls,
    struct wk_agent_reply *reply, char *why, size_t whysz);
/* Strips trailing slashes; only http:// and https:// URLs. */
int wk_agent_check_server_url(const char *url, char **out);
/* JSON body for enroll (token != NULL) or update (token == NULL). */
int wk_agent_register_body(const struct wk_agent_state *st, const char *token,
    json_t *host_keys, char **out);
/*
 * Validates a "signing_keys" array: each {"id", "public_key"} must decode
 * to a 32-byte key whose computed id equals "id". At least one key.
 */
int wk_agent_parse_signing_keys(const json_t *arr, struct wk_pubkey *out,
    size_t max, size_t *n);
/* The server's error reply as "Code: message" (or the HTTP status). */
void wk_agent_reply_error(const struct wk_agent_reply *r, char *out,
    size_t outsz);

#endif
