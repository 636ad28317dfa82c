/*
 * run.c - `wicket-agent run`: one process, one event loop. libcurl's multi
 * interface carries the channel to wicketd (update, then long-polls one
 * after another); the helper socket, the signalfd and the timers ride on
 * the same curl_multi_poll as extra descriptors, so a lookup is answered
 * within milliseconds while a poll is held. The loop never waits for the
 * disk's session bookkeeping: the journal's worker thread does it
 * (sessions.h) and wakes the loop through its descriptor when done.
 */
#include "agent/agent.h"
#include "agent/backoff.h"
#include "agent/failover.h"
#include "agent/sessions.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/log.h"
#include "common/rand.h"
#include "common/time.h"

/*
 * wicketd holds a poll 25 s (+ up to 0.5 s): no reply by 40 s means the
 * server (or the path to it) is gone without a word, and the agent moves
 * on (failover.h).
 */
#define POLL_TIMEOUT_MS 40000L
#define UPDATE_TIMEOUT_MS 30000L
#define HOSTKEY_CHECK_MS 60000
#define HOUSEKEEPING_MS 1000
#define KEYSTORE_MAX 4096
#define EPOCH_MAX 128
#define REFUSAL_RING 32
#define REAP_MS 2000			/* sessions whose process is gone */
#define REPORT_TIMEOUT_MS 30000L
#define REPORT_BATCH 64			/* events per report */
#define REVOCATION_REFUSED_PAUSE_MS 1000	/* after a poll that refused one */

enum req_kind { REQ_NONE, REQ_UPDATE, REQ_POLL };

struct run_ctx {
	const char *dir;
	struct wk_agent_state st;
	struct wk_buf auth;		/* the Authorization header (secret) */
	CURLM *multi;
	enum req_kind kind;
	CURL *easy;
	struct curl_slist *hdrs;
	struct wk_agent_reply reply;
	char epoch[EPOCH_MAX + 1];
	uint64_t cursor;
	json_t *host_keys;
	bool need_update;
	struct wk_backoff bo;		/* the reconnect policy (backoff.h) */
	struct wk_failover fo;		/* which server (failover.h) */
	char peer_ip[64];		/* the address of the last reply */
	uint64_t retry_at_ms;
	bool online;
	long fail_key;			/* what the last logged failure was */
	uint64_t hostkey_check_ms;
	struct wk_keystore *ks;
	struct wk_agent_sock *sock;
	int sigfd;
	uint64_t refusal_seen[REFUSAL_RING];	/* logged once (hashes) */
	size_t refusal_next;
	bool single_use;		/* reported on every poll */
	struct wk_agent_revoker *rv;	/* revocations (revoke_apply.c) */
	/* the session reports (sessions.h): one POST at a time */
	struct wk_agent_journal *jn;	/* every write to sessions/, queue */
	bool stopping;			/* journal callbacks: do nothing */
	bool rep_peeking;		/* a PEEK job is out */
	uint64_t rep_seen_queued;	/* wk_agent_journal_queued at it */
	uint64_t rep_idle_until_ms;	/* empty queue: look again then */
	bool reap_pending;
	CURL *rep_easy;
	struct curl_slist *rep_hdrs;
	struct wk_agent_reply rep_reply;
	char **rep_names;		/* the queue files it carries */
	size_t rep_n;
	unsigned rep_attempt;
	uint64_t rep_retry_at_ms;
	uint64_t reap_at_ms;
};

static const char run_usage[] =
"usage: wicket-agent run --state DIR [--server URL]... [--socket PATH]\n"
"           [--socket-group GROUP] [--syslog] [--debug] [--insecure-http]\n"
"\n"
"Runs the agent: registers this host's address and sshd host keys with\n"
"wicketd, long-polls it for pushed key records, keeps them in memory until\n"
"they expire, and answers wicket-authorized-keys on a Unix socket. Applies\n"
"revocations (docs/revocation.md): drops the records they name and ends\n"
"the sessions those keys opened (DIR/sessions/), SIGTERM then SIGKILL\n"
"after 2 s, only a process whose start time is the one registered. Keeps\n"
"DIR/trust current when wicketd announces new signing keys (a new key\n"
"only with a rotation statement signed by a pinned key). SIGTERM or\n"
"SIGINT stop it cleanly.\n"
"\n"
"Reconnecting (docs/agent.md): while wicketd refuses connections (a\n"
"restart), the first 10 s of the outage are retried every 0.1-1 s at\n"
"random, so the agent is back within about a second of wicketd\n"
"listening; after that, and after any other failure, full-jitter\n"
"exponential backoff (a random delay up to a cap doubling from 0.5 s, or\n"
"1 s for refused connections, to 30 s). A 503 with Retry-After: N (wicketd\n"
"admitting new long-polls at its own pace) waits N s plus up to 1 s.\n"
"\n"
"Logins through a pushed key (pam_wicket in sshd's session stack) are kept\n"
"in DIR/sessions/ while open and reported to wicketd as Login and Logout;\n"
"reports wait in DIR/session-queue/ (on disk) while wicketd is away\n"
"(docs/sessions.md).\n"
"\n"
"Every connection verifies wicketd with the trust kept at enrollment (the\n"
"join token's pin, the CA file, or the system store; docs/agent-tls.md):\n"
"any other server is refused and logged (server_refused) with the reason.\n"
"Plain http only to a loopback address unless enrolled with, or run\n"
"with, --insecure-http.\n"
"\n"
"Several servers (the replicas of one service; docs/agent.md): the agent\n"
"stays on the one that works; when it dies (refused, reset, timeout, TLS\n"
"refusal, 5xx) it moves to the next after 0.1-1 s; once every server\n"
"failed in a row, the backoff above applies. A name with several\n"
"addresses is tried address by address (libcurl). Every server is\n"
"verified with the one trust kept at enrollment.\n"
"\n"
"  --state DIR           the enrolled state directory\n"
"  --server URL          the servers to use, in order (repeatable, up to 8,\n"
"                        one scheme), instead of those in DIR/state.json\n"
"                        (which this does not change)\n"
"  --socket PATH         default " WK_AGENT_DEFAULT_SOCKET "\n"
"                        (its directory is created 0750; socket mode 0660)\n"
"  --socket-group GROUP  the socket's group; default: the group of user\n"
"                        " WK_AGENT_DEFAULT_AK_USER " when it exists\n"
"  --syslog              log to syslog instead of standard error\n"
"  --debug               log every lookup and poll\n"
"  --insecure-http       allow a plain http server that is not loopback\n"
"                        (enrollments made before TLS; clear text)\n";

static const char *
cur_server(const struct run_ctx *c)
{
	return c->st.servers[c->fo.cur];
}

static void
req_finish(struct run_ctx *c)
{
	if (c->easy != NULL) {
		curl_multi_remove_handle(c->multi, c->easy);
		wk_agent_easy_free(c->easy, c->hdrs);
	}
	c->easy = NULL;
	c->hdrs = NULL;
	c->kind = REQ_NONE;
	wk_buf_cleanup(&c->reply.body);
}

static int
req_start(struct run_ctx *c, enum req_kind kind)
{
	struct wk_buf url, enc;
	char *body = NULL;
	int r;

	wk_buf_init(&url, 4096);
	wk_buf_init(&enc, 3 * EPOCH_MAX);
	if (kind == REQ_UPDATE) {
		if ((r = wk_agent_register_body(&c->st, NULL, c->host_keys,
		    &body)) != 0 ||
		    (r = wk_buf_appendf(&url, "%s/agent/v1/update",
		    cur_server(c))) != 0)
			goto out;
	} else {
		if ((r = wk_uri_encode(&enc, wk_span_from_cstr(c->epoch),
		    true)) != 0 ||
		    (r = wk_buf_appendf(&url, "%s/agent/v1/poll?epoch=%s"
		    "&cursor=%llu%s&revoked=%llu", cur_server(c),
		    wk_buf_cstr(&enc), (unsigned long long)c->cursor,
		    c->single_use ? "&single_use=1" : "",
		    (unsigned long long)wk_agent_revoker_cursor(c->rv))) != 0)
			goto out;
	}
	if ((r = wk_agent_easy_new(wk_buf_cstr(&url), wk_buf_cstr(&c->auth),
	    body, kind == REQ_UPDATE ? UPDATE_TIMEOUT_MS : POLL_TIMEOUT_MS,
	    &c->st.tls, &c->reply, &c->easy, &c->hdrs)) != 0)
		goto out;
	if (curl_multi_add_handle(c->multi, c->easy) != CURLM_OK) {
		wk_agent_easy_free(c->easy, c->hdrs);
		c->easy = NULL;
		c->hdrs = NULL;
		r = WK_ERR_INTERNAL;
		goto out;
	}
	c->kind = kind;
	wk_log(WK_LOG_DEBUG, kind == REQ_UPDATE ? "update" : "poll",
	    "cursor=%llu", (unsigned long long)c->cursor);
 out:
	wk_free(body);
	wk_buf_cleanup(&url);
	wk_buf_cleanup(&enc);
	return r;
}

/*
 * A failed request: which server next (failover.h) and when (backoff.h),
 * and one log line per outage and reason, not per attempt, plus one per
 * move to another server. retry_after_s > 0: wicketd's 503 said when.
 * server_down: the server's failure, not the request's (an HTTP 4xx).
 */
static void
backoff_srv(struct run_ctx *c, long key, const char *what,
    enum wk_backoff_kind kind, uint64_t retry_after_s, bool server_down)
{
	uint64_t now = wk_mono_ms(), delay;
	uint32_t rnd = 0;
	size_t from = c->fo.cur;
	bool moved;

	(void)wk_random_bytes(&rnd, sizeof(rnd));
	delay = wk_failover_fail(&c->fo, &c->bo, server_down, kind,
	    retry_after_s, now, rnd, &moved);
	c->retry_at_ms = now + delay;
	if (c->online || c->fail_key != key) {
		wk_log(WK_LOG_WARN, "wicketd_unreachable",
		    "server=%s reason=\"%s\" retry=%s", c->st.servers[from],
		    what, moved ? "next_server" : retry_after_s > 0 ?
		    "retry_after" : "backoff");
	}
	if (moved)
		wk_log(c->online ? WK_LOG_WARN : WK_LOG_DEBUG,
		    "wicketd_failover", "from=%s to=%s delay_ms=%llu",
		    c->st.servers[from], cur_server(c),
		    (unsigned long long)delay);
	wk_log(WK_LOG_DEBUG, "retry", "delay_ms=%llu failures=%u "
	    "outage_ms=%llu kind=%s", (unsigned long long)delay,
	    c->bo.failures, (unsigned long long)(now - c->bo.outage_start_ms),
	    retry_after_s > 0 ? "retry_after" :
	    kind == WK_BACKOFF_REFUSED ? "refused" : "error");
	c->online = false;
	c->fail_key = key;
}

static void
backoff(struct run_ctx *c, long key, const char *what,
    enum wk_backoff_kind kind, uint64_t retry_after_s)
{
	backoff_srv(c, key, what, kind, retry_after_s, true);
}

static void
succeeded(struct run_ctx *c)
{
	if (!c->online) {
		wk_log(WK_LOG_INFO, "wicketd_connected",
		    "server=%s address=%s instance=%s failures=%u",
		    cur_server(c), c->peer_ip[0] != '\0' ? c->peer_ip : "-",
		    c->st.instance_id, c->bo.failures);
		c->rep_retry_at_ms = 0;	/* queued reports go now */
		c->rep_attempt = 0;
	}
	c->online = true;
	wk_failover_success(&c->fo);
	wk_backoff_reset(&c->bo);
	c->fail_key = 0;
	c->retry_at_ms = 0;
}

/*
 * Logs a refusal once: the same (key, reason) announced on every poll by
 * whoever sits on the path must not fill the disk. A small ring of what
 * was logged; an old entry may be logged again after 32 others.
 */
static void
log_refusal_once(struct run_ctx *c, const char *event, const char *key_id,
    const char *why, const char *extra)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */
	const char *parts[3] = { event, key_id, why };

	for (size_t i = 0; i < 3; i++) {
		for (const char *p = parts[i]; *p != '\0'; p++) {
			h ^= (uint8_t)*p;
			h *= 1099511628211ULL;
		}
		h ^= 0xff;
		h *= 1099511628211ULL;
	}
	for (size_t i = 0; i < REFUSAL_RING; i++)
		if (c->refusal_seen[i] == h)
			return;
	c->refusal_seen[c->refusal_next] = h;
	c->refusal_next = (c->refusal_next + 1) % REFUSAL_RING;
	wk_log(WK_LOG_ERROR, event, "key=%s reason=\"%s\" %s", key_id, why,
	    extra);
}

/*
 * The reply's "rotation" member: absent is none; anything but an array of
 * at most WK_AGENT_MAX_STATEMENTS strings is refused as a whole (then no
 * key can be added from this reply).
 */
static size_t
rotation_spans(struct run_ctx *c, const json_t *rot,
    struct wk_span out[WK_AGENT_MAX_STATEMENTS])
{
	const json_t *v;
	size_t i;

	if (rot == NULL)
		return 0;
	if (!json_is_array(rot) ||
	    json_array_size(rot) > WK_AGENT_MAX_STATEMENTS) {
		log_refusal_once(c, "rotation_statement_refused", "-",
		    json_is_array(rot) ? "too many statements" :
		    "not an array", "action=ignore_statements");
		return 0;
	}
	json_array_foreach(rot, i, v) {
		if (!json_is_string(v)) {
			log_refusal_once(c, "rotation_statement_refused", "-",
			    "not a string", "action=ignore_statements");
			return 0;
		}
		out[i] = wk_span_from_mem(json_string_value(v),
		    json_string_length(v));
	}
	return json_array_size(rot);
}

/*
 * The trust update rule (docs/protocols.md, "The agent's trust update
 * rule"; rotation.c decides): an announced key is pinned only when it is
 * pinned already or a rotation statement signed by a pinned key (or a
 * chain of them) vouches for it; pinned keys wicketd no longer announces
 * (a retired key) are dropped; trust is never emptied. Everything refused
 * is logged once and changes nothing. rotation_seq is saved before trust,
 * so a crash in between can only make the agent stricter.
 */
static void
take_signing_keys(struct run_ctx *c, const json_t *root)
{
	struct wk_pubkey announced[WK_AGENT_MAX_SIGNING_KEYS];
	struct wk_pubkey pinned[WK_AGENT_MAX_SIGNING_KEYS];
	struct wk_span stmts[WK_AGENT_MAX_STATEMENTS];
	struct wk_agent_trust_decision d;
	const json_t *arr = json_object_get(root, "signing_keys");
	struct wk_buf want;
	char path[4096], inst[20];
	uint8_t have[4096];
	ssize_t got = -1;
	size_t n, npinned, nstmts;
	uint64_t old_seq;
	int fd, r;

	if (arr == NULL)
		return;
	if ((r = wk_agent_parse_signing_keys(arr, announced,
	    WK_AGENT_MAX_SIGNING_KEYS, &n)) != 0) {
		log_refusal_once(c, "signing_keys_refused", "-",
		    wk_strerror(r), "action=keep_pinned_keys");
		return;
	}
	nstmts = rotation_spans(c, json_object_get(root, "rotation"), stmts);
	snprintf(path, sizeof(path), "%s/trust", c->dir);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		got = read(fd, have, sizeof(have));
		close(fd);
	}
	/* nothing pinned, nothing to verify with: fail closed */
	if (got <= 0 || wk_agent_trust_parse(wk_span_from_mem(have,
	    (size_t)got), inst, pinned, WK_AGENT_MAX_SIGNING_KEYS,
	    &npinned) != 0 || strcmp(inst, c->st.instance_id) != 0) {
		log_refusal_once(c, "signing_keys_refused", "-", "no readable "
		    "trust file for this instance (re-enroll)",
		    "action=keep_pinned_keys");
		return;
	}
	r = wk_agent_trust_decide(pinned, npinned, announced, n, stmts,
	    nstmts, c->st.rotation_seq, wk_wall_now(), &d);
	for (size_t i = 0; i < d.nrefused; i++)
		log_refusal_once(c, strcmp(d.refused[i].key_id, "-") == 0 ?
		    "rotation_statement_refused" : "signing_key_refused",
		    d.refused[i].key_id, d.refused[i].why,
		    "action=not_pinned");
	if (r != 0) {
		log_refusal_once(c, "signing_keys_refused", "-", "no announced "
		    "key is pinned", "action=keep_pinned_keys");
		return;
	}
	if (d.seq > c->st.rotation_seq) {
		old_seq = c->st.rotation_seq;
		c->st.rotation_seq = d.seq;
		if ((r = wk_agent_state_save(c->dir, &c->st)) != 0) {
			c->st.rotation_seq = old_seq;
			wk_log(WK_LOG_ERROR, "state_write_failed", "dir=%s "
			    "error=%s action=keep_pinned_keys", c->dir,
			    wk_strerror(r));
			return;
		}
	}
	wk_buf_init(&want, sizeof(have));
	if (wk_agent_trust_format(&want, c->st.instance_id, d.keys,
	    d.nkeys) != 0)
		goto out;
	if (got == (ssize_t)want.len && memcmp(have, want.p, want.len) == 0)
		goto out;
	if ((r = wk_agent_write_atomic(c->dir, "trust", want.p, want.len,
	    0644)) != 0)
		wk_log(WK_LOG_ERROR, "trust_write_failed", "path=%s error=%s",
		    path, strerror(errno));
	else
		wk_log(WK_LOG_INFO, "trust_updated", "path=%s keys=%zu "
		    "added=%zu rotation_seq=%llu", path, d.nkeys, d.nadded,
		    (unsigned long long)c->st.rotation_seq);
 out:
	wk_buf_cleanup(&want);
}

static int
take_poll(struct run_ctx *c)
{
	json_t *root, *recs, *v;
	const char *epoch;
	size_t i, added = 0;
	time_t now = wk_wall_now();
	int r;

	root = json_loadb((const char *)c->reply.body.p, c->reply.body.len,
	    JSON_REJECT_DUPLICATES, NULL);
	epoch = json_string_value(json_object_get(root, "epoch"));
	v = json_object_get(root, "cursor");
	recs = json_object_get(root, "records");
	if (epoch == NULL || strlen(epoch) > EPOCH_MAX ||
	    !json_is_integer(v) || json_integer_value(v) < 0 ||
	    (recs != NULL && !json_is_array(recs))) {
		json_decref(root);
		return WK_ERR_INVAL;
	}
	memcpy(c->epoch, epoch, strlen(epoch) + 1);
	c->cursor = (uint64_t)json_integer_value(v);
	json_array_foreach(recs, i, v) {
		if (!json_is_string(v))
			continue;
		r = wk_keystore_add(c->ks, wk_span_from_mem(
		    json_string_value(v), json_string_length(v)), now);
		if (r == 0)
			added++;
		else
			wk_log(WK_LOG_WARN, "record_dropped", "reason=%s",
			    wk_strerror(r));
	}
	if (added > 0)
		wk_log(WK_LOG_INFO, "records_received", "count=%zu held=%zu",
		    added, wk_keystore_count(c->ks));
	wk_agent_revoker_take(c->rv, root, c->ks, now);
	take_signing_keys(c, root);
	json_decref(root);
	return 0;
}

/*
 * Nothing listening, or the connection closed before any reply: wicketd
 * is down or restarting, and trying again is cheap for both sides.
 */
static bool
conn_refused(CURLcode cc)
{
	return cc == CURLE_COULDNT_CONNECT || cc == CURLE_GOT_NOTHING ||
	    cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR;
}

static void
req_done(struct run_ctx *c, CURLcode cc)
{
	enum req_kind kind = c->kind;
	char msg[512];
	json_t *root;
	curl_off_t retry_after = 0;
	uint64_t ra = 0;
	long status = 0;
	uint64_t refused_before;
	bool refused;
	char *ip = NULL;

	if (cc == CURLE_OK)
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	c->peer_ip[0] = '\0';
	if (curl_easy_getinfo(c->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK &&
	    ip != NULL)
		snprintf(c->peer_ip, sizeof(c->peer_ip), "%s", ip);
	if (cc != CURLE_OK) {
		wk_agent_tls_explain(&c->reply, (int)cc, msg, sizeof(msg),
		    &refused);
		req_finish(c);
		/*
		 * Not the server the agent was enrolled with (or its
		 * certificate is no longer good): nothing was sent, nothing
		 * is taken; retried with backoff, logged once per reason.
		 */
		if (refused && (c->online || c->fail_key != -(long)cc))
			wk_log(WK_LOG_ERROR, "server_refused", "server=%s "
			    "reason=\"%s\" action=no_request_sent",
			    cur_server(c), msg);
		backoff(c, -(long)cc, msg, !refused && conn_refused(cc) ?
		    WK_BACKOFF_REFUSED : WK_BACKOFF_ERROR, 0);
		return;
	}
	c->reply.status = status;
	if (status != 200) {
		if (status == 503 && curl_easy_getinfo(c->easy,
		    CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
		    retry_after > 0)
			ra = (uint64_t)retry_after;
		wk_agent_reply_error(&c->reply, msg, sizeof(msg));
		req_finish(c);
		/* a 4xx: every replica would say the same; stay */
		backoff_srv(c, status, msg, WK_BACKOFF_ERROR, ra,
		    status >= 500);
		return;
	}
	if (kind == REQ_UPDATE) {
		root = json_loadb((const char *)c->reply.body.p,
		    c->reply.body.len, JSON_REJECT_DUPLICATES, NULL);
		take_signing_keys(c, root);
		json_decref(root);
		c->need_update = false;
		req_finish(c);
		succeeded(c);
		return;
	}
	refused_before = wk_agent_revoker_refused(c->rv);
	if (take_poll(c) != 0) {
		req_finish(c);
		backoff(c, 1000, "malformed poll reply", WK_BACKOFF_ERROR, 0);
		return;
	}
	req_finish(c);
	succeeded(c);
	/*
	 * A refused revocation keeps the cursor below it, so wicketd answers
	 * the next poll at once: without a pause, whoever forges revocations
	 * on the path would have the agent poll as fast as the loop turns.
	 */
	if (wk_agent_revoker_refused(c->rv) != refused_before)
		c->retry_at_ms = wk_mono_ms() + REVOCATION_REFUSED_PAUSE_MS;
}

static void
check_host_keys(struct run_ctx *c)
{
	json_t *now = NULL;

	c->hostkey_check_ms = wk_mono_ms() + HOSTKEY_CHECK_MS;
	if (wk_agent_hostkeys_read(c->st.host_keys, c->st.nhost_keys, false,
	    &now) != 0)
		return;	/* keep registering the last good set */
	if (c->host_keys != NULL && json_equal(now, c->host_keys)) {
		json_decref(now);
		return;
	}
	json_decref(c->host_keys);
	c->host_keys = now;
	c->need_update = true;
	wk_log(WK_LOG_INFO, "host_keys_changed", "count=%zu",
	    json_array_size(now));
	if (c->kind == REQ_POLL)
		req_finish(c);	/* records are cursor-based: nothing lost */
}

/*
 * install-sshd --single-use (or uninstall) changed what this host can
 * enforce: tell wicketd now (a new poll carries it), not at the next one.
 */
static void
check_single_use(struct run_ctx *c)
{
	if (wk_agent_single_use_enforced(c->dir) == c->single_use)
		return;
	c->single_use = !c->single_use;
	wk_log(WK_LOG_INFO, "single_use_capability", "enforced=%s",
	    c->single_use ? "yes" : "no");
	if (c->kind == REQ_POLL)
		req_finish(c);	/* records are cursor-based: nothing lost */
}

static void
report_finish(struct run_ctx *c)
{
	if (c->rep_easy != NULL) {
		curl_multi_remove_handle(c->multi, c->rep_easy);
		wk_agent_easy_free(c->rep_easy, c->rep_hdrs);
	}
	c->rep_easy = NULL;
	c->rep_hdrs = NULL;
	wk_buf_cleanup(&c->rep_reply.body);
	wk_agent_queue_names_free(c->rep_names, c->rep_n);
	c->rep_names = NULL;
	c->rep_n = 0;
}

static void
report_backoff(struct run_ctx *c)
{
	uint64_t delay = WK_BACKOFF_BASE_MS;

	/* short: a reconnected channel (succeeded) also resets it */
	if (c->rep_attempt < 4)
		delay <<= c->rep_attempt;
	else
		delay = 8 * WK_BACKOFF_BASE_MS;
	c->rep_attempt++;
	c->rep_retry_at_ms = wk_mono_ms() + delay;
}

/* The journal read the oldest queued reports: send them. */
static void
report_peeked(struct wk_agent_job *job, void *arg)
{
	struct run_ctx *c = arg;
	struct wk_buf url;

	c->rep_peeking = false;
	if (c->stopping)
		return;
	if (job->r != 0) {
		report_backoff(c);
		return;
	}
	if (job->n == 0) {
		/* nothing (or a Login waiting for its terminal) */
		c->rep_idle_until_ms = wk_mono_ms() + HOUSEKEEPING_MS;
		return;
	}
	c->rep_names = job->names;
	c->rep_n = job->n;
	job->names = NULL;
	job->n = 0;
	wk_buf_init(&url, 4096);
	if (wk_buf_appendf(&url, "%s/agent/v1/sessions", cur_server(c)) != 0 ||
	    wk_agent_easy_new(wk_buf_cstr(&url), wk_buf_cstr(&c->auth),
	    job->body, REPORT_TIMEOUT_MS, &c->st.tls, &c->rep_reply,
	    &c->rep_easy, &c->rep_hdrs) != 0 ||
	    curl_multi_add_handle(c->multi, c->rep_easy) != CURLM_OK) {
		report_finish(c);
		report_backoff(c);
	}
	wk_buf_cleanup(&url);
}

/*
 * Sends the oldest queued session reports (sessions.h) when none is in
 * flight; they leave the queue only when wicketd answered 200. The
 * journal reads them (a PEEK job, after every write before it); an empty
 * queue is read again when a job may have queued a report, or after a
 * second (a Login waiting for its terminal).
 */
static void
report_start(struct run_ctx *c)
{
	struct wk_agent_job *job;
	uint64_t now = wk_mono_ms(), queued;

	if (c->rep_easy != NULL || c->rep_peeking || now < c->rep_retry_at_ms)
		return;
	queued = wk_agent_journal_queued(c->jn);
	if (queued == c->rep_seen_queued && now < c->rep_idle_until_ms)
		return;
	if ((job = wk_agent_job_new(WK_AGENT_JOB_PEEK)) == NULL) {
		report_backoff(c);
		return;
	}
	job->max = REPORT_BATCH;
	job->done = report_peeked;
	job->arg = c;
	if (wk_agent_journal_submit(c->jn, job) != 0) {
		wk_agent_job_free(job);
		report_backoff(c);
		return;
	}
	c->rep_peeking = true;
	c->rep_seen_queued = queued;
}

/*
 * Hands the reports wicketd took (or will never take) to the journal for
 * removal; the next PEEK runs after it, so none is sent twice.
 */
static void
report_drop(struct run_ctx *c)
{
	struct wk_agent_job *job;

	c->rep_idle_until_ms = 0;	/* more may wait: look at once */
	if ((job = wk_agent_job_new(WK_AGENT_JOB_DROP)) == NULL) {
		wk_log(WK_LOG_ERROR, "session_queue_drop_failed", "dir=%s "
		    "error=%s", c->dir, wk_strerror(WK_ERR_NOMEM));
		return;
	}
	job->names = c->rep_names;
	job->n = c->rep_n;
	c->rep_names = NULL;
	c->rep_n = 0;
	if (wk_agent_journal_submit(c->jn, job) != 0)
		wk_agent_job_free(job);
}

static void
report_done(struct run_ctx *c, CURLcode cc)
{
	long status = 0;
	char msg[512];

	if (cc == CURLE_OK)
		curl_easy_getinfo(c->rep_easy, CURLINFO_RESPONSE_CODE, &status);
	c->rep_reply.status = status;
	if (status == 200) {
		wk_log(WK_LOG_INFO, "sessions_reported", "events=%zu",
		    c->rep_n);
		report_drop(c);
		c->rep_attempt = 0;
		c->rep_retry_at_ms = 0;
	} else if (status == 400) {
		/* wicketd will never take these: keep the queue moving */
		wk_agent_reply_error(&c->rep_reply, msg, sizeof(msg));
		wk_log(WK_LOG_ERROR, "sessions_report_refused", "events=%zu "
		    "reason=\"%s\" action=dropped", c->rep_n, msg);
		report_drop(c);
	} else {
		if (status != 0)
			wk_agent_reply_error(&c->rep_reply, msg, sizeof(msg));
		else
			snprintf(msg, sizeof(msg), "%s", curl_easy_strerror(cc));
		wk_log(c->rep_attempt == 0 ? WK_LOG_WARN : WK_LOG_DEBUG,
		    "sessions_report_deferred", "events=%zu reason=\"%s\" "
		    "action=kept_queued", c->rep_n, msg);
		report_backoff(c);
	}
	report_finish(c);
}

static void
reaped(struct wk_agent_job *job, void *arg)
{
	struct run_ctx *c = arg;

	(void)job;
	c->reap_pending = false;
}

/* Sessions whose process is gone: the journal ends them. */
static void
reap_start(struct run_ctx *c)
{
	struct wk_agent_job *job;

	if (c->reap_pending || (job = wk_agent_job_new(WK_AGENT_JOB_REAP)) ==
	    NULL)
		return;
	job->done = reaped;
	job->arg = c;
	if (wk_agent_journal_submit(c->jn, job) != 0) {
		wk_agent_job_free(job);
		return;
	}
	c->reap_pending = true;
}

static int
min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

static int
loop(struct run_ctx *c)
{
	struct pollfd pfds[64];
	struct curl_waitfd wfds[64];
	struct signalfd_siginfo si;
	struct CURLMsg *m;
	size_t n, i;
	uint64_t now, next_house = 0;
	int timeout, running, left;

	for (;;) {
		now = wk_mono_ms();
		if (now >= next_house) {
			wk_keystore_purge(c->ks, wk_wall_now());
			wk_agent_revoker_tick(c->rv, c->ks, wk_wall_now());
			check_single_use(c);
			next_house = now + HOUSEKEEPING_MS;
		}
		if (now >= c->reap_at_ms) {
			reap_start(c);
			c->reap_at_ms = now + REAP_MS;
		}
		report_start(c);
		if (now >= c->hostkey_check_ms)
			check_host_keys(c);
		if (c->kind == REQ_NONE && now >= c->retry_at_ms &&
		    req_start(c, c->need_update ? REQ_UPDATE : REQ_POLL) != 0)
			backoff(c, 1001, "cannot start a request",
			    WK_BACKOFF_ERROR, 0);
		timeout = (int)(next_house - now);
		timeout = min_timeout(timeout,
		    wk_agent_sock_timeout_ms(c->sock));
		if (c->kind == REQ_NONE && c->retry_at_ms > now)
			timeout = min_timeout(timeout,
			    (int)(c->retry_at_ms - now));
		if (c->rep_easy == NULL && c->rep_retry_at_ms > now)
			timeout = min_timeout(timeout,
			    (int)(c->rep_retry_at_ms - now));
		if (c->rep_easy == NULL && c->rep_idle_until_ms > now)
			timeout = min_timeout(timeout,
			    (int)(c->rep_idle_until_ms - now));
		pfds[0].fd = c->sigfd;
		pfds[0].events = POLLIN;
		pfds[1].fd = wk_agent_journal_fd(c->jn);
		pfds[1].events = POLLIN;
		n = 2 + wk_agent_sock_pollfds(c->sock, pfds + 2,
		    sizeof(pfds) / sizeof(pfds[0]) - 2);
		for (i = 0; i < n; i++) {
			wfds[i].fd = pfds[i].fd;
			wfds[i].events = (short)(
			    ((pfds[i].events & POLLIN) ? CURL_WAIT_POLLIN : 0) |
			    ((pfds[i].events & POLLOUT) ? CURL_WAIT_POLLOUT :
			    0));
			wfds[i].revents = 0;
		}
		if (curl_multi_poll(c->multi, wfds, (unsigned)n, timeout,
		    NULL) != CURLM_OK)
			return 1;
		for (i = 0; i < n; i++) {
			pfds[i].revents = (short)(
			    ((wfds[i].revents & CURL_WAIT_POLLIN) ? POLLIN :
			    0) | ((wfds[i].revents & CURL_WAIT_POLLOUT) ?
			    POLLOUT : 0) | ((wfds[i].revents &
			    CURL_WAIT_POLLPRI) ? POLLPRI : 0));
		}
		if (pfds[0].revents != 0 &&
		    read(c->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			wk_log(WK_LOG_INFO, "shutdown", "signal=%u",
			    si.ssi_signo);
			return 0;
		}
		wk_agent_sock_handle(c->sock, pfds + 2, n - 2);
		if (pfds[1].revents != 0)
			wk_agent_journal_dispatch(c->jn);
		curl_multi_perform(c->multi, &running);
		while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
			if (m->msg == CURLMSG_DONE && m->easy_handle == c->easy)
				req_done(c, m->data.result);
			else if (m->msg == CURLMSG_DONE &&
			    m->easy_handle == c->rep_easy)
				report_done(c, m->data.result);
		}
	}
}

int
wk_agent_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 'd' },
		{ "server", required_argument, NULL, 'S' },
		{ "socket", required_argument, NULL, 's' },
		{ "socket-group", required_argument, NULL, 'g' },
		{ "syslog", no_argument, NULL, 'l' },
		{ "debug", no_argument, NULL, 'D' },
		{ "insecure-http", no_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_ctx c;
	char *servers[WK_FAILOVER_MAX_SERVERS];
	size_t nservers = 0, i;
	char tlsmsg[512];
	bool insecure_http = false;
	const char *sockpath = WK_AGENT_DEFAULT_SOCKET, *group = NULL;
	sigset_t mask;
	gid_t gid;
	int ch, r, rc = 1;

	memset(&c, 0, sizeof(c));
	c.sigfd = -1;
	wk_buf_init(&c.auth, 512);
	wk_buf_init(&c.reply.body, 0);
	wk_buf_init(&c.rep_reply.body, 0);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c.dir = optarg; break;
		case 'S':
			if (nservers == WK_FAILOVER_MAX_SERVERS) {
				fprintf(stderr, "wicket-agent: run: at most "
				    "%d --server\n", WK_FAILOVER_MAX_SERVERS);
				return 2;
			}
			servers[nservers++] = optarg;
			break;
		case 's': sockpath = optarg; break;
		case 'g': group = optarg; break;
		case 'l': wk_log_open_syslog("wicket-agent"); break;
		case 'D': wk_log_set_level(WK_LOG_DEBUG); break;
		case 'I': insecure_http = true; break;
		case 'h':
			fputs(run_usage, stdout);
			return 0;
		default:
			fputs(run_usage, stderr);
			return 2;
		}
	}
	if (optind != argc || c.dir == NULL) {
		fprintf(stderr, "wicket-agent: run: --state is required\n");
		fputs(run_usage, stderr);
		return 2;
	}
	if ((r = wk_agent_state_load(c.dir, &c.st)) != 0) {
		fprintf(stderr, "wicket-agent: run: cannot load %s/state.json: "
		    "%s (enroll first)\n", c.dir, wk_strerror(r));
		return 1;
	}
	if (insecure_http)
		c.st.tls.insecure_http = true;
	if (nservers > 0 && (r = wk_agent_servers_set(&c.st, servers,
	    nservers, tlsmsg, sizeof(tlsmsg))) != 0) {
		fprintf(stderr, "wicket-agent: run: --server refused: %s\n",
		    r == WK_ERR_NOMEM ? "out of memory" : tlsmsg);
		rc = 2;
		goto out;
	}
	for (i = 0; i < c.st.nservers; i++) {
		if (wk_agent_tls_url_ok(c.st.servers[i], &c.st.tls, tlsmsg,
		    sizeof(tlsmsg)) != 0) {
			fprintf(stderr, "wicket-agent: run: refusing to run: "
			    "%s. Enrollments made before TLS: re-enroll over "
			    "https (docs/agent-tls.md, \"Upgrading\")\n",
			    tlsmsg);
			goto out;
		}
	}
	wk_failover_init(&c.fo, c.st.nservers);
	if (wk_agent_sock_group(group, &gid) != 0) {
		fprintf(stderr, "wicket-agent: run: no such group: %s\n", group);
		goto out;
	}
	if (gid == (gid_t)-1)
		wk_log(WK_LOG_WARN, "socket_group_unset", "reason=\"no user "
		    WK_AGENT_DEFAULT_AK_USER "; pass --socket-group\"");
	if (wk_buf_appendf(&c.auth, "Authorization: Wicket-Agent %s:%s",
	    c.st.instance_id, c.st.agent_secret) != 0 ||
	    wk_keystore_new(KEYSTORE_MAX, &c.ks) != 0 ||
	    wk_agent_revoker_new(c.dir, c.st.instance_id, &c.rv) != 0 ||
	    (c.multi = curl_multi_init()) == NULL) {
		fprintf(stderr, "wicket-agent: out of memory\n");
		goto out;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0 ||
	    (c.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "wicket-agent: signalfd: %s\n", strerror(errno));
		goto out;
	}
	if ((r = wk_agent_journal_new(c.dir, &c.jn)) != 0) {
		fprintf(stderr, "wicket-agent: run: cannot start the session "
		    "journal: %s\n", wk_strerror(r));
		goto out;
	}
	if ((r = wk_agent_sock_open(sockpath, gid, c.ks, &c.sock)) != 0) {
		fprintf(stderr, "wicket-agent: run: socket %s: %s%s\n",
		    sockpath, wk_strerror(r), r == WK_ERR_EXISTS ?
		    " (another agent is running, or the path is not a "
		    "socket)" : "");
		goto out;
	}
	wk_agent_sock_set_sessions(c.sock, c.jn, c.st.instance_id);
	c.need_update = true;
	check_host_keys(&c);
	if (c.host_keys == NULL) {
		fprintf(stderr, "wicket-agent: run: no usable sshd host "
		    "public key\n");
		goto out;
	}
	wk_agent_tls_describe(c.st.server, &c.st.tls, tlsmsg, sizeof(tlsmsg));
	wk_log(WK_LOG_INFO, "agent_started", "instance=%s server=%s servers=%zu "
	    "socket=%s %s", c.st.instance_id, c.st.server, c.st.nservers,
	    sockpath, tlsmsg);
	if (strncmp(c.st.server, "http://", 7) == 0)
		wk_log(WK_LOG_WARN, "plain_http", "server=%s reason=\"%s\"",
		    c.st.server, wk_agent_url_is_loopback(c.st.server) ?
		    "loopback only" : "--insecure-http: the agent secret and "
		    "keys cross the network in clear text");
	rc = loop(&c);
 out:
	/*
	 * Every job submitted is made durable first; the clients still
	 * waiting for theirs hear their answer if they can take it at once.
	 */
	c.stopping = true;
	if (c.jn != NULL) {
		wk_agent_journal_stop(c.jn);
		wk_agent_journal_dispatch(c.jn);
	}
	req_finish(&c);
	report_finish(&c);
	wk_agent_sock_close(c.sock);
	wk_agent_journal_free(c.jn);
	if (c.multi != NULL)
		curl_multi_cleanup(c.multi);
	if (c.sigfd >= 0)
		close(c.sigfd);
	wk_keystore_free(c.ks);
	wk_agent_revoker_free(c.rv);
	json_decref(c.host_keys);
	wk_buf_cleanup_secret(&c.auth);
	wk_agent_state_cleanup(&c.st);
	wk_log_repeat_flush_all();	/* what was counted, said */
	return rc;
}
