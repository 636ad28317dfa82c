/*
 * console_int.h - internals of the browser console (console_*.c), exposed
 * for the unit tests and fuzz targets.
 */
#ifndef WK_SERVER_CONSOLE_INT_H
#define WK_SERVER_CONSOLE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "store/store.h"
#include "server/console/console.h"
#include "server/http/http.h"

/* ---- sessions (console_session.c) ---- */
#define WK_CONSOLE_COOKIE "wk_session"
#define WK_CONSOLE_PRE_COOKIE "wk_csrf"		/* before sign-in */
#define WK_CONSOLE_CSRF_HEADER "X-Wicket-CSRF"
#define WK_CONSOLE_TOKEN_BYTES 32
#define WK_CONSOLE_TOKEN_HEX (2 * WK_CONSOLE_TOKEN_BYTES)
#define WK_CONSOLE_IDLE_MS (30ull * 60 * 1000)
#define WK_CONSOLE_ABSOLUTE_MS (12ull * 3600 * 1000)
#define WK_CONSOLE_MAX_SESSIONS 10000
/* Per user: one user's sign-ins evict that user's oldest session, never
 * someone else's (the table cannot be filled by one user). */
#define WK_CONSOLE_MAX_SESSIONS_PER_USER 16
#define WK_CONSOLE_MAX_COOKIE 4096	/* bytes of the Cookie header read */
#define WK_CONSOLE_PW_TAG_LEN 32	/* SHA-256 */

/* The idle timer is written at most this often per session (so a busy
 * console does not write on every request): the idle limit is met
 * within a minute. */
#define WK_CONSOLE_TOUCH_MS (60ull * 1000)

/*
 * A session is bound to the IAM user's id (a user deleted and re-created
 * under the same name has another id) and to the login profile's password
 * hash as it was at sign-in (pw_tag, a digest of the encoded hash: new
 * after UpdateLoginProfile with a password or a re-created profile), both
 * checked against the store on every use (wk_console_session_live).
 * Sessions live in the store (wk_store_console_session_*), keyed by
 * id_hash; this is a copy for one request, wiped by the caller.
 */
struct wk_console_session {
	char id[WK_CONSOLE_TOKEN_HEX + 1];	/* secret: the cookie */
	char csrf[WK_CONSOLE_TOKEN_HEX + 1];	/* secret, derived from id */
	char id_hash[WK_CONSOLE_TOKEN_HEX + 1];	/* the store's key */
	char user[65];
	char user_id[33];
	uint8_t pw_tag[WK_CONSOLE_PW_TAG_LEN];
	int64_t created_ms, last_ms;		/* wall clock */
};

/*
 * The value of cookie `name` in a Cookie header ("a=1; b=2"), as a span
 * into it; WK_ERR_NOTFOUND when absent, WK_ERR_INVAL when the header is
 * over WK_CONSOLE_MAX_COOKIE or malformed.
 */
int wk_console_cookie_get(struct wk_span header, const char *name,
    struct wk_span *out);

/* A fresh random token: 64 lower-case hex characters + NUL. */
int wk_console_token_new(char out[static WK_CONSOLE_TOKEN_HEX + 1]);
/* What a token gives: the store's key (hex SHA-256 of the token) and
 * the CSRF token (hex SHA-256 of a label and the token). */
void wk_console_token_keys(struct wk_span token,
    char id_hash[static WK_CONSOLE_TOKEN_HEX + 1],
    char csrf[static WK_CONSOLE_TOKEN_HEX + 1]);

/*
 * Creates a session for user (name, id, pw_tag) at now_ms (wall clock)
 * in the store; *out gets its token. A user at
 * WK_CONSOLE_MAX_SESSIONS_PER_USER loses its oldest session; WK_ERR_LIMIT
 * when WK_CONSOLE_MAX_SESSIONS live ones exist; a store error as is.
 */
int wk_console_session_create(struct wk_store *st, const char *user,
    const char *user_id, const uint8_t pw_tag[static WK_CONSOLE_PW_TAG_LEN],
    int64_t now_ms, struct wk_console_session *out);
/* The digest of an encoded password hash a session is bound to. */
void wk_console_pw_tag(const char *encoded,
    uint8_t out[static WK_CONSOLE_PW_TAG_LEN]);
/* Ends every session of user_id (on every replica); returns how many. */
size_t wk_console_sessions_end_user(struct wk_store *st, const char *user_id);
/* Live sessions of user_id, of everyone (tests, metrics). */
size_t wk_console_session_count_user(struct wk_store *st, const char *user_id,
    int64_t now_ms);
size_t wk_console_session_count(struct wk_store *st, int64_t now_ms);
/*
 * The live session whose token is `token`, refreshing its idle timer
 * (at most once per WK_CONSOLE_TOUCH_MS): WK_ERR_NOTFOUND when absent,
 * idle for 30 min or older than 12 h (an expired one is deleted), or a
 * store error.
 */
int wk_console_session_find(struct wk_store *st, struct wk_span token,
    int64_t now_ms, struct wk_console_session *out);
/* The session of a request (its wk_session cookie), as _find. */
int wk_console_session_of(struct wk_store *st,
    const struct wk_http_request *req, int64_t now_ms,
    struct wk_console_session *out);
/* Deletes s from the store (sign-out, or its user changed). */
void wk_console_session_destroy(struct wk_store *st,
    const struct wk_console_session *s);

/* Constant-time check of the request's X-Wicket-CSRF header against want. */
bool wk_console_csrf_ok(const struct wk_http_request *req, const char *want);

/*
 * Same-origin check for state-changing requests and the WebSocket: the
 * Origin header (or, when absent and allow_referer, the Referer's origin)
 * must be "http(s)://" + Host, the scheme matching req->secure.
 */
bool wk_console_same_origin(const struct wk_http_request *req,
    bool allow_referer);

/* "Set-Cookie: ..." lines for a cookie (max_age_s 0: delete it). */
int wk_console_cookie_header(struct wk_buf *out, const char *name,
    const char *value, unsigned max_age_s, bool secure);

/* ---- sign-in throttling (console_login.c) ----
 * Two counters per attempt: the user's ("user:" + the name in lower case,
 * as IAM compares names, whatever the address) and the source address's
 * ("ip:" + the address; an IPv6 address by its /64). A failure counts on
 * both. A success clears only the user's own counter: it proves that
 * user's password, and says nothing about other guesses from the same
 * address. Counters are forgotten after WK_CONSOLE_LOCK_FORGET_MS without
 * a failure. */
#define WK_CONSOLE_FREE_FAILURES 3	/* per user, before backoff starts */
#define WK_CONSOLE_FREE_FAILURES_IP 10	/* per address (shared by NATs) */
#define WK_CONSOLE_BACKOFF_BASE_MS 1000
#define WK_CONSOLE_BACKOFF_MAX_MS (15ull * 60 * 1000)
#define WK_CONSOLE_LOCK_FORGET_MS (60ull * 60 * 1000)
#define WK_CONSOLE_LOCK_SLOTS 4096
#define WK_CONSOLE_LOCK_KEY_MAX 128
/* The counters' keys of a sign-in attempt: WK_ERR_INVAL for a name or an
 * address that does not fit. */
int wk_console_lock_user_key(const char *user, char *out, size_t outsz);
int wk_console_lock_ip_key(const char *ip, char *out, size_t outsz);
/* Milliseconds the key must still wait. */
uint64_t wk_console_lock_wait_ms(const char *key, uint64_t now_ms);
/* Counts a failure; backoff starts after free_failures of them. */
void wk_console_lock_fail(const char *key, unsigned free_failures,
    uint64_t now_ms);
void wk_console_lock_clear(const char *key);
void wk_console_locks_reset(void);

/* ---- Argon2id checks off the event loop (console_pool.c) ---- */
#define WK_CONSOLE_POOL_THREADS 2	/* worker threads */
#define WK_CONSOLE_POOL_MAX 64		/* jobs queued, running or done */
#define WK_CONSOLE_POOL_HASH_MAX 1024	/* bytes of an encoded hash */
#define WK_CONSOLE_POOL_PW_MAX 1024	/* bytes of a password */
struct wk_console_job;
/*
 * Queues a check of the password pw (pwlen bytes) against an encoded
 * Argon2id hash (NULL: a dummy hash, so that an unknown user costs as
 * much as a known one, and the answer is false). Both are copied and the
 * copies wiped after use. The workers start on first use. done(arg, ok)
 * runs later from loop l, once, unless the job is cancelled first; *out
 * is the job's handle until then. One loop at a time. WK_ERR_LIMIT when
 * WK_CONSOLE_POOL_MAX jobs are alive (answer "try again later"),
 * WK_ERR_TOOBIG over the ceilings.
 * Loop side only (as are cancel and stop).
 */
int wk_console_pool_submit(struct wk_loop *l, const char *encoded,
    const char *pw, size_t pwlen, void (*done)(void *arg, bool ok),
    void *arg, struct wk_console_job **out);
/* done will not run; a running check finishes on its worker, unseen. */
void wk_console_pool_cancel(struct wk_console_job *j);
/*
 * Stops and joins the workers (a running check finishes first) and drops
 * every job without running its callback. Call it while the loop given to
 * submit lives, or with no job in flight. The pool restarts on the next
 * submit.
 */
void wk_console_pool_stop(void);
/* Jobs alive (queued, running or done, also cancelled running ones). */
size_t wk_console_pool_jobs(void);
/* Tests: hold=true makes workers wait after taking a job (the job is
 * running); _waiting() counts them. */
void wk_console_pool_hold(bool on);
size_t wk_console_pool_waiting(void);

/* ---- helpers (console_http.c) ---- */
/* Answers JSON (object stolen) with no-store and security headers. */
void wk_console_json(struct wk_http_conn *c, unsigned status, void *json,
    const char *extra_headers);
void wk_console_error(struct wk_http_conn *c, unsigned status,
    const char *code, const char *message);
/* Security headers every console answer carries. */
extern const char wk_console_sec_headers[];

/* ---- acting as the signed-in user (console_instances.c) ---- */
struct wk_caller;
struct wk_server;
/*
 * Loads the session user as an API caller (no access key: "console"):
 * WK_ERR_DENIED when the user of that name has another id than user_id
 * (deleted, perhaps re-created) or, with pw_tag, when its login profile
 * is gone or its password changed since.
 */
int wk_console_caller_load(struct wk_server *srv, const char *user,
    const char *user_id, const uint8_t *pw_tag, struct wk_caller *out);
/*
 * The session of a request (0, *out filled; the caller wipes it),
 * checked against the store as above: a session whose user, id or
 * password no longer match is destroyed (WK_ERR_DENIED); on a store
 * error that error, the session kept. now_ms: wall clock.
 */
int wk_console_session_live(struct wk_server *srv,
    const struct wk_http_request *req, int64_t now_ms,
    struct wk_console_session *out);
/* The console's throttle key for pushes: one token bucket per IAM user
 * (the API's is per access key; the console has none). */
int wk_console_push_throttle_key(const char *user_id, char *out,
    size_t outsz);
/* The OS user the Connect form proposes for an instance: its
 * "wicket:os-user" tag, else "ubuntu". */
const char *wk_console_default_os_user(const struct wk_tag *tags,
    size_t ntags);

/* ---- static assets (console_static.c) ---- */
#define WK_CONSOLE_ASSET_MAX (8 * 1024 * 1024)
/* True for a safe asset name: [A-Za-z0-9_-][A-Za-z0-9._-]*, no "..". */
bool wk_console_asset_name_ok(struct wk_span name);
const char *wk_console_web_dir(void);

/* ---- the terminal protocol (console_term.c) ----
 * Binary WebSocket messages, one-byte type first:
 *   client -> server: '0' input bytes; '1' resize: cols, rows as two
 *                     big-endian uint16; '2' pause output; '3' resume.
 *   server -> client: '0' output bytes; '1' status text (progress);
 *                     '2' refusal/error text (the session ends);
 *                     '3' connected (text: "user@instance").
 */
#define WK_TERM_MSG_MAX (64 * 1024)	/* largest client message */
#define WK_TERM_IN_INPUT '0'
#define WK_TERM_IN_RESIZE '1'
#define WK_TERM_IN_PAUSE '2'
#define WK_TERM_IN_RESUME '3'
#define WK_TERM_OUT_DATA '0'
#define WK_TERM_OUT_STATUS '1'
#define WK_TERM_OUT_ERROR '2'
#define WK_TERM_OUT_READY '3'
#define WK_TERM_MAX_COLS 1000
#define WK_TERM_MAX_ROWS 500

enum wk_term_msg_kind {
	WK_TERM_MSG_INPUT,
	WK_TERM_MSG_RESIZE,
	WK_TERM_MSG_PAUSE,
	WK_TERM_MSG_RESUME,
};
struct wk_term_msg {
	enum wk_term_msg_kind kind;
	struct wk_span data;		/* INPUT */
	unsigned cols, rows;		/* RESIZE, within the maxima */
};
/* Parses one client message; WK_ERR_INVAL for anything unknown
 * (console_term_msg.c). */
int wk_term_msg_parse(struct wk_span msg, struct wk_term_msg *out);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (base64 of 16 bytes). */
int wk_ws_accept_key(struct wk_span key, char out[static 29]);

/* "type base64" of a host key matches one of the registered lines. */
bool wk_console_host_key_registered(const char *registered,
    const char *type, const char *b64);

/* The decoded value of `name` in a query string ("a=1&b=2"): 0, or
 * WK_ERR_NOTFOUND, WK_ERR_TOOBIG (longer than outsz - 1), WK_ERR_INVAL
 * (bad escape, NUL). */
int wk_console_query_get(struct wk_span query, const char *name, char *out,
    size_t outsz);

/* Starts a terminal on an upgraded connection (console_term.c). */
struct wk_console_term_args {
	char user[65];		/* the signed-in IAM user */
	char user_id[33];	/* its id: the terminal ends with the user */
	uint8_t pw_tag[WK_CONSOLE_PW_TAG_LEN];	/* and with its password */
	char instance_id[40];	/* as asked (validated later) */
	char os_user[40];
	char source_ip[64];
	bool secure;
	unsigned cols, rows;
};
int wk_console_term_upgrade(struct wk_server *srv, struct wk_http_conn *c,
    const char *accept_key, const struct wk_console_term_args *a);

/* Number of live terminals (bench, tests). */
size_t wk_console_term_count(void);
void wk_console_terms_reset(void);
/* Ends every terminal of user_id (its session ended); returns how many. */
size_t wk_console_terms_end_user(const char *user_id);
/* The one text the browser sees for any failure to reach a host (refused,
 * timeout, host key mismatch, ...): the detail goes to wicketd's log, so
 * the console is no port scanner for whoever registers an address. */
#define WK_CONSOLE_CONNECT_FAILED "Cannot connect to %s. The details are " \
	"in wicketd's log (request %s)."

/* ---- recordings of browser terminals (console_record*.c) ----
 * DATA/recordings/ID.cast (directory 0700, files 0600), asciicast v2,
 * output only; ID is the terminal's request id, the RequestId of its
 * push's audit event. docs/recordings.md. */
#define WK_RECORDING_DIR "recordings"
#define WK_RECORDING_EXT ".cast"
#define WK_RECORDING_ID_LEN 36
#define WK_RECORDINGS_LIST_MAX 10000	/* files looked at per listing */
#define WK_RECORDING_SWEEP_MS (3600ull * 1000)
/* Served at most (a recording is within --recording-max-bytes, at most
 * WK_RECORDING_MAX_BYTES_MAX). */
#define WK_RECORDING_READ_MAX ((size_t)WK_RECORDING_MAX_BYTES_MAX)

struct wk_recording;
struct wk_recording_meta {
	const char *id, *caller_arn, *user, *instance_id, *os_user;
	const char *source_ip;
	unsigned cols, rows;
	int64_t start_s;		/* wall clock */
};
/* A recording id: a lower-case UUID (8-4-4-4-12 hex); nothing else is
 * ever a file name. */
bool wk_recording_id_ok(const char *id);
/* DATA/recordings; DATA/recordings/ID.cast (WK_ERR_INVAL: a bad id). */
int wk_recording_dir(const char *data_dir, char *out, size_t outsz);
int wk_recording_path(const char *data_dir, const char *id, char *out,
    size_t outsz);
/*
 * Creates the recording m->id (O_EXCL, 0600; the directory 0700 when
 * missing) and writes its header; events are timed from now_ms
 * (monotonic). max_bytes bounds the whole file (>= WK_RECORDING_MIN_BYTES).
 */
int wk_recording_open(const char *data_dir, const struct wk_recording_meta *m,
    uint64_t max_bytes, uint64_t now_ms, struct wk_recording **out);
/*
 * Appends output (any bytes: turned into valid UTF-8, a sequence cut
 * between chunks joined again) / a resize. WK_ERR_LIMIT when the event
 * would cross the bound: it is not written, the final marker is, and
 * the recording takes nothing more (the caller ends the session);
 * WK_ERR_IO when the write failed (likewise stopped). rec NULL: no-op.
 */
int wk_recording_output(struct wk_recording *rec, uint64_t now_ms,
    const void *p, size_t len);
int wk_recording_resize(struct wk_recording *rec, uint64_t now_ms,
    unsigned cols, unsigned rows);
bool wk_recording_stopped(const struct wk_recording *rec);
uint64_t wk_recording_bytes(const struct wk_recording *rec);
/* fsyncs, closes and frees (NULL-safe). */
int wk_recording_close(struct wk_recording *rec, uint64_t now_ms);
/* The UTF-8 repair behind _output (exposed for the unit tests). */
int wk_recording_utf8(uint8_t carry[static 4], size_t *ncarry,
    const uint8_t *p, size_t len, bool flush, struct wk_buf *out);

/* What a recording's header says, and its size. */
struct wk_recording_info {
	char id[WK_RECORDING_ID_LEN + 1];
	int64_t start_s;
	unsigned cols, rows;
	uint64_t size;
	char caller_arn[256], user[65], instance_id[40], os_user[40];
	char source_ip[64];
};
/* WK_ERR_INVAL (bad id), WK_ERR_NOTFOUND (no file, or no header yet). */
int wk_recording_info_get(const char *data_dir, const char *id,
    struct wk_recording_info *info);
/* Every recording, newest first (*out: wk_free). */
int wk_recordings_list(const char *data_dir, struct wk_recording_info **out,
    size_t *n);
/* The file's text into out; WK_ERR_TOOBIG over max bytes. */
int wk_recording_read(const char *data_dir, const char *id, size_t max,
    struct wk_buf *out);
/* Removes the recordings last written before now - days (0: none), but
 * the ids in keep (terminals still open). */
int wk_recordings_sweep(const char *data_dir, unsigned days, time_t now,
    const char *const *keep, size_t nkeep, size_t *removed);
/* The ids of the recordings being written now (console_term.c); *out
 * holds pointers valid until the loop runs again (wk_free the array). */
int wk_console_terms_recording_ids(const char ***out, size_t *n);

/* Listing and fetching, authorized (console_recordings.c), shared by
 * the JSON API and the console's routes: 0, or an error set in resp. */
struct wk_api_req;
struct wk_api_resp;
int wk_recordings_api_list(const struct wk_api_req *req,
    struct wk_api_resp *resp, const char *instance_id,
    struct wk_recording_info **out, size_t *n);
int wk_recordings_api_get(const struct wk_api_req *req,
    struct wk_api_resp *resp, const char *id, struct wk_buf *text);

#endif
