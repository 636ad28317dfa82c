/*
 * console_term.c - the browser terminal: one WebSocket (wslay framing) per
 * terminal, bridged to an SSH session that wicketd opens itself with
 * libssh, all on wicketd's one event loop (no thread per terminal):
 *
 *   upgraded -> push (push.c: the API's validation, policy, audit with
 *   via=console; an ephemeral Ed25519 key that never leaves this process)
 *   -> CONNECT -> host key checked against the registered ones -> AUTH
 *   (the private key is wiped once used) -> CHANNEL -> PTY -> SHELL -> OPEN
 *
 * libssh runs non-blocking: every state is retried when its socket is
 * ready, under one deadline. Refusals and failures are sent as text
 * (WK_TERM_OUT_ERROR) before the WebSocket closes: never a blank terminal.
 *
 * Back-pressure both ways: SSH output is not read while more than
 * WS_OUT_HIGH bytes wait for the browser (or the browser asked to pause);
 * WebSocket input is not read while more than SSH_IN_HIGH bytes wait for
 * the SSH channel's window.
 */
#include <errno.h>
#include <stdarg.h>
#include <libssh/libssh.h>
#include <libssh/callbacks.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <wslay/wslay.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/rand.h"
#include "common/time.h"
#include "crypto/sshkey.h"
#include "server/api/api.h"
#include "server/console/console_int.h"
#include "server/ec2/ec2.h"
#include "server/eic/eic.h"
#include "server/metrics/metrics.h"
#include "server/server.h"

#define WS_OUT_HIGH (1024 * 1024)	/* queued to the browser */
#define WS_OUT_LOW (256 * 1024)
#define SSH_IN_HIGH (256 * 1024)	/* queued to the SSH channel */
#define READ_CHUNK 32768
#define READS_PER_EVENT 16		/* fairness between terminals */
#define CONNECT_DEADLINE_MS 20000
#define CLOSE_DEADLINE_MS 5000
/* An open terminal re-checks its user's id and password this often, for
 * changes made where wk_console_end_user did not run (another replica). */
#define RECHECK_MS (60 * 1000)
#define MAX_TERMS 2000
/* The key reaches the host through its agent's long-poll: under load sshd
 * may ask before it arrived. A denial is retried after AUTH_RETRY_MS,
 * 2 * AUTH_RETRY_MS, ... (sshd's MaxAuthTries is 6 by default). */
#define AUTH_RETRIES 3
#define AUTH_RETRY_MS 200

enum term_state {
	T_NEW,
	T_CONNECT,
	T_AUTH,
	T_CHANNEL,
	T_PTY,
	T_SHELL,
	T_OPEN,
	T_CLOSING,	/* WebSocket draining its last messages */
};

struct term {
	struct term *prev, *next;
	struct wk_server *srv;
	struct wk_console_term_args a;
	struct wk_http_conn *hc;
	int fd;
	struct wk_watch *ws_watch;
	uint32_t ws_events;
	wslay_event_context_ptr ws;
	struct wk_buf pre;		/* bytes that came with the request */
	size_t pre_off;
	enum term_state st;
	ssh_session ssh;
	ssh_channel ch;
	ssh_key key;			/* the ephemeral private key */
	struct wk_instance inst;
	bool have_inst;
	int ssh_fd;
	struct wk_watch *ssh_watch;
	uint32_t ssh_events;
	struct wk_buf to_ssh;		/* input not yet in the channel */
	bool paused;			/* the browser asked */
	bool resize_pending;
	struct wk_timer *deadline;
	bool tcp_up;			/* the TCP connect completed */
	struct wk_timer *kick;		/* run the bridge again soon */
	struct wk_timer *recheck;	/* the user's credentials, again */
	bool close_pending;		/* close once the queue is empty */
	bool out_blocked;		/* SSH reads stopped: backlog */
	unsigned auth_tries;		/* denials retried so far */
	struct wk_timer *auth_retry;	/* waiting to try the key again */
	bool destroy;			/* tear down once it returns */
	char request_id[37];
	char *caller_arn;		/* as struct wk_user's arn (heap) */
	struct wk_recording *rec;	/* --record-sessions: from OPEN on */
	/*
	 * libssh took channel data off the socket (ch_cb): any libssh call
	 * may (a write's flush, a poll of the other stream): that data waits
	 * in libssh's buffer with no socket event to announce it, so the
	 * bridge must run again (else an echo waits for the next packet).
	 */
	bool ssh_data;
	struct ssh_channel_callbacks_struct ch_cb;
};

static struct term *terms;
static size_t nterms;

size_t
wk_console_term_count(void)
{
	return nterms;
}

/* ---- WebSocket output ---- */

/* Queues msg (its type byte first, then len - 1 bytes): wslay copies it. */
static void
ws_queue_msg(struct term *t, const uint8_t *msg, size_t len)
{
	struct wslay_event_msg m;

	if (t->ws == NULL || t->st == T_CLOSING ||
	    wslay_event_get_close_sent(t->ws))
		return;
	m.opcode = WSLAY_BINARY_FRAME;
	m.msg = msg;
	m.msg_length = len;
	if (wslay_event_queue_msg(t->ws, &m) != 0)
		t->destroy = true;
}

/* A status or error text (short: a stack copy, no allocation). */
static void
ws_queue(struct term *t, char type, const void *p, size_t len)
{
	uint8_t buf[1 + 2048];

	if (len > sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	buf[0] = (uint8_t)type;
	if (len > 0)
		memcpy(buf + 1, p, len);
	ws_queue_msg(t, buf, len + 1);
}

static void
ws_text(struct term *t, char type, const char *text)
{
	ws_queue(t, type, text, strlen(text));
}

static void deadline_hit(void *arg);

static void
arm_deadline(struct term *t, uint64_t ms)
{
	wk_loop_timer_cancel(t->srv->loop, t->deadline);
	t->deadline = wk_loop_timer_add(t->srv->loop, ms, deadline_hit, t);
	if (t->deadline == NULL)
		t->destroy = true;
}

/* Sends the last words and closes the WebSocket once they are out. */
static void
term_end(struct term *t, const char *error_text)
{
	if (t->st == T_CLOSING)
		return;
	if (error_text != NULL)
		ws_text(t, WK_TERM_OUT_ERROR, error_text);
	/* wslay sends control frames before queued messages: the close
	 * frame is queued only once the last words are out (settle) */
	t->close_pending = true;
	t->st = T_CLOSING;
	arm_deadline(t, CLOSE_DEADLINE_MS);
}

/* ---- teardown ---- */

static void
ssh_teardown(struct term *t)
{
	/* the session is over: its recording is durable from here */
	if (t->rec != NULL) {
		(void)wk_recording_close(t->rec, wk_mono_ms());
		t->rec = NULL;
	}
	wk_loop_unwatch(t->srv->loop, t->ssh_watch);
	t->ssh_watch = NULL;
	if (t->ch != NULL) {
		ssh_channel_free(t->ch);
		t->ch = NULL;
	}
	if (t->ssh != NULL) {
		ssh_disconnect(t->ssh);
		ssh_free(t->ssh);
		t->ssh = NULL;
	}
	t->ssh_fd = -1;
	if (t->key != NULL) {
		ssh_key_free(t->key);
		t->key = NULL;
	}
}

static void
term_free(struct term *t)
{
	ssh_teardown(t);
	wk_loop_timer_cancel(t->srv->loop, t->deadline);
	wk_loop_timer_cancel(t->srv->loop, t->kick);
	wk_loop_timer_cancel(t->srv->loop, t->auth_retry);
	wk_loop_timer_cancel(t->srv->loop, t->recheck);
	wk_loop_unwatch(t->srv->loop, t->ws_watch);
	if (t->ws != NULL)
		wslay_event_context_free(t->ws);
	if (t->hc != NULL)
		wk_http_upgrade_close(t->hc);
	if (t->have_inst)
		wk_instance_cleanup(&t->inst);
	wk_buf_cleanup(&t->pre);
	wk_buf_cleanup_secret(&t->to_ssh);
	wk_free(t->caller_arn);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else if (terms == t)
		terms = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	nterms--;
	wk_metrics_gauge_set(WK_MG_TERMINALS_OPEN, nterms);
	wk_log(WK_LOG_INFO, "console_term", "request_id=%s user=%s "
	    "instance=%s os_user=%s outcome=closed", t->request_id, t->a.user,
	    t->a.instance_id, t->a.os_user);
	wk_freezero(t, sizeof(*t));
}

void
wk_console_terms_reset(void)
{
	while (terms != NULL)
		term_free(terms);
}

static void settle(struct term *t);

/* Closes t: its session ended (the user, its login profile or password
 * changed). */
static void
term_session_ended(struct term *t)
{
	wk_log(WK_LOG_INFO, "console_term", "request_id=%s user=%s "
	    "instance=%s outcome=ended reason=session_ended",
	    t->request_id, t->a.user, t->a.instance_id);
	ssh_teardown(t);
	term_end(t, "Your console session has ended (sign-in credentials "
	    "changed or removed): sign in again.");
}

static void
recheck_cb(void *arg)
{
	struct term *t = arg;
	struct wk_caller caller;
	int r;

	t->recheck = NULL;
	if (t->st == T_CLOSING)
		return;
	r = wk_console_caller_load(t->srv, t->a.user, t->a.user_id,
	    t->a.pw_tag, &caller);
	wk_explicit_bzero(&caller, sizeof(caller));
	if (r == WK_ERR_DENIED || r == WK_ERR_NOTFOUND) {
		term_session_ended(t);
	} else {
		/* a store error keeps the terminal: checked again later */
		t->recheck = wk_loop_timer_add(t->srv->loop, RECHECK_MS,
		    recheck_cb, t);
		if (t->recheck == NULL)
			t->destroy = true;
	}
	settle(t);
}

size_t
wk_console_terms_end_user(const char *user_id)
{
	struct term *t, *next;
	size_t n = 0;

	if (user_id == NULL || user_id[0] == '\0')
		return 0;
	for (t = terms; t != NULL; t = next) {
		next = t->next;	/* settle may free t */
		if (strcmp(t->a.user_id, user_id) != 0 || t->st == T_CLOSING)
			continue;
		term_session_ended(t);
		settle(t);
		n++;
	}
	return n;
}

/* ---- watching the two sockets ---- */

static void ws_event(void *arg, uint32_t revents);
static void sshfd_event(void *arg, uint32_t revents);

static bool
ws_backlogged(const struct term *t)
{
	return t->ws != NULL &&
	    wslay_event_get_queued_msg_length(t->ws) > WS_OUT_HIGH;
}

/* Recomputes which events each socket waits for. */
static void
rearm(struct term *t)
{
	uint32_t ev = 0;

	if (t->ws != NULL && t->ws_watch != NULL) {
		if (wslay_event_want_read(t->ws) &&
		    t->to_ssh.len < SSH_IN_HIGH)
			ev |= EPOLLIN;
		if (wslay_event_want_write(t->ws))
			ev |= EPOLLOUT;
		ev |= EPOLLRDHUP;
		if (ev != t->ws_events &&
		    wk_loop_watch_set(t->srv->loop, t->ws_watch, ev) == 0)
			t->ws_events = ev;
	}
	if (t->ssh != NULL && t->ssh_fd >= 0) {
		ev = 0;
		if (t->st != T_OPEN || (!t->paused && !ws_backlogged(t)) ||
		    t->to_ssh.len > 0)
			ev |= EPOLLIN;
		if ((t->st == T_CONNECT && !t->tcp_up) ||
		    (ssh_get_poll_flags(t->ssh) & SSH_WRITE_PENDING) != 0)
			ev |= EPOLLOUT;
		if (t->ssh_watch == NULL) {
			t->ssh_watch = wk_loop_watch_fd(t->srv->loop, t->ssh_fd,
			    ev, sshfd_event, t);
			if (t->ssh_watch == NULL)
				t->destroy = true;
			t->ssh_events = ev;
		} else if (ev != t->ssh_events &&
		    wk_loop_watch_set(t->srv->loop, t->ssh_watch, ev) == 0) {
			t->ssh_events = ev;
		}
	}
}

static void schedule_kick(struct term *t);

/* libssh received channel data: leave it in libssh's buffer (0 bytes
 * taken), note that it is there. */
static int
ch_data_cb(ssh_session session, ssh_channel channel, void *data, uint32_t len,
    int is_stderr, void *userdata)
{
	struct term *t = userdata;

	(void)session;
	(void)channel;
	(void)data;
	(void)len;
	(void)is_stderr;
	t->ssh_data = true;
	return 0;
}

/* Flushes the WebSocket and frees the terminal when it is over. Every
 * entry point of ours ends here. */
static void
settle(struct term *t)
{
	if (!t->destroy && t->ws != NULL && wslay_event_want_write(t->ws) &&
	    wslay_event_send(t->ws) != 0)
		t->destroy = true;
	if (!t->destroy && t->ws != NULL && t->close_pending &&
	    wslay_event_get_queued_msg_count(t->ws) == 0) {
		t->close_pending = false;
		if (wslay_event_queue_close(t->ws, WSLAY_CODE_NORMAL_CLOSURE,
		    NULL, 0) != 0 || wslay_event_send(t->ws) != 0)
			t->destroy = true;
	}
	if (!t->destroy && t->ws != NULL && !wslay_event_want_read(t->ws) &&
	    !wslay_event_want_write(t->ws))
		t->destroy = true;
	if (t->destroy) {
		term_free(t);
		return;
	}
	/* output libssh took in outside the bridge's reads */
	if (t->ssh_data && t->st == T_OPEN && t->ch != NULL) {
		t->ssh_data = false;
		schedule_kick(t);
	}
	/* the browser caught up: read the SSH side again (libssh may hold
	 * data no socket event will announce) */
	if (t->out_blocked && t->ws != NULL &&
	    wslay_event_get_queued_msg_length(t->ws) < WS_OUT_LOW) {
		t->out_blocked = false;
		schedule_kick(t);
	}
	rearm(t);
}

/* ---- SSH ---- */

static const char *
ssh_err(const struct term *t)
{
	const char *e = t->ssh != NULL ? ssh_get_error(t->ssh) : NULL;

	return e != NULL && e[0] != '\0' ? e : "unknown error";
}

static void
failf(struct term *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
failf(struct term *t, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	wk_log(WK_LOG_INFO, "console_term", "request_id=%s user=%s "
	    "instance=%s os_user=%s outcome=failed state=%d", t->request_id,
	    t->a.user, t->a.instance_id, t->a.os_user, (int)t->st);
	ssh_teardown(t);
	term_end(t, msg);
}

/*
 * A failure to reach the host before the shell is open: whatever it was
 * (refused, timeout, host key mismatch, authentication...), the browser
 * sees one text, the detail goes to wicketd's log. Otherwise anyone who
 * may register an address (a join token) could use the console to scan
 * whatever wicketd can reach.
 */
static void
connect_failf(struct term *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
connect_failf(struct term *t, const char *fmt, ...)
{
	char detail[1024], msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* libssh's texts may quote what the remote end sent: one line */
	for (char *p = detail; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '"' || *p == '\\')
			*p = '?';
	wk_log(WK_LOG_INFO, "console_term", "request_id=%s user=%s "
	    "instance=%s address=%s port=%d os_user=%s outcome=failed "
	    "state=%d detail=\"%s\"", t->request_id, t->a.user,
	    t->a.instance_id, t->have_inst ? t->inst.address : "-",
	    t->have_inst ? t->inst.ssh_port : 0, t->a.os_user, (int)t->st,
	    detail);
	snprintf(msg, sizeof(msg), WK_CONSOLE_CONNECT_FAILED,
	    t->a.instance_id, t->request_id);
	ssh_teardown(t);
	term_end(t, msg);
}

/* The host key algorithms to offer: the registered key types only. */
static int
hostkey_algos(const char *registered, char *out, size_t outsz)
{
	static const struct {
		const char *type, *algos;
	} map[] = {
		{ "ssh-ed25519", "ssh-ed25519" },
		{ "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256" },
		{ "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384" },
		{ "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521" },
		{ "ssh-rsa", "rsa-sha2-512,rsa-sha2-256" },
	};
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		const char *p = registered;
		size_t tl = strlen(map[i].type);
		bool found = false;

		while (p != NULL && *p != '\0') {
			if (strncmp(p, map[i].type, tl) == 0 && p[tl] == ' ')
				found = true;
			p = strchr(p, '\n');
			if (p != NULL)
				p++;
		}
		if (!found)
			continue;
		if (len + strlen(map[i].algos) + 2 > outsz)
			return WK_ERR_TOOBIG;
		len += (size_t)snprintf(out + len, outsz - len, "%s%s",
		    len > 0 ? "," : "", map[i].algos);
	}
	return len > 0 ? 0 : WK_ERR_NOTFOUND;
}

static bool
check_host_key(struct term *t)
{
	ssh_key k = NULL;
	char *b64 = NULL, *fp = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	const char *type;
	bool ok = false;

	if (ssh_get_server_publickey(t->ssh, &k) != SSH_OK) {
		connect_failf(t, "cannot read the host key: %s",
		    ssh_err(t));
		return false;
	}
	type = ssh_key_type_to_char(ssh_key_type(k));
	if (type != NULL && ssh_pki_export_pubkey_base64(k, &b64) == SSH_OK &&
	    wk_console_host_key_registered(t->inst.host_keys, type, b64))
		ok = true;
	if (!ok) {
		if (ssh_get_publickey_hash(k, SSH_PUBLICKEY_HASH_SHA256, &hash,
		    &hlen) == 0)
			fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256,
			    hash, hlen);
		wk_log(WK_LOG_WARN, "console_term", "request_id=%s "
		    "instance=%s address=%s outcome=host_key_mismatch "
		    "fingerprint=%s", t->request_id, t->a.instance_id,
		    t->inst.address, fp != NULL ? fp : "-");
		connect_failf(t, "host key mismatch: presented %s %s, which "
		    "is not a host key registered for this instance (the "
		    "host may have been replaced, or someone is intercepting "
		    "the connection)", type != NULL ? type : "an unknown key",
		    fp != NULL ? fp : "");
	}
	ssh_string_free_char(b64);
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(k);
	return ok;
}

/*
 * --record-sessions: the recording starts with the shell. Failing to
 * record refuses the session (the push was authorized as recorded).
 */
static bool
record_start(struct term *t)
{
	struct wk_recording_meta m = {
		.id = t->request_id, .caller_arn = t->caller_arn,
		.user = t->a.user, .instance_id = t->a.instance_id,
		.os_user = t->a.os_user, .source_ip = t->a.source_ip,
		.cols = t->a.cols, .rows = t->a.rows,
		.start_s = (int64_t)wk_wall_now(),
	};
	uint64_t max = t->srv->cfg.recording_max_bytes != 0 ?
	    t->srv->cfg.recording_max_bytes : WK_RECORDING_MAX_BYTES_DEFAULT;
	int r;

	if (!t->srv->cfg.record_sessions)
		return true;
	if ((r = wk_recording_open(t->srv->cfg.data_dir, &m, max,
	    wk_mono_ms(), &t->rec)) != 0) {
		wk_log(WK_LOG_ERROR, "console_term", "request_id=%s "
		    "outcome=failed reason=recording error=%s", t->request_id,
		    wk_strerror(r));
		failf(t, "wicketd cannot record this session (sessions are "
		    "recorded here), so it is not opened. The details are in "
		    "wicketd's log (request %s).", t->request_id);
		return false;
	}
	return true;
}

/* Records output before the browser sees it: what cannot be recorded is
 * not shown, and the session ends (the bound, or a write failure). */
static bool
record_output(struct term *t, const void *p, size_t len)
{
	int r;

	if (t->rec == NULL)
		return true;
	if ((r = wk_recording_output(t->rec, wk_mono_ms(), p, len)) == 0)
		return true;
	wk_log(WK_LOG_INFO, "console_term", "request_id=%s outcome=ended "
	    "reason=%s", t->request_id, r == WK_ERR_LIMIT ? "recording_limit" :
	    "recording_failed");
	if (r == WK_ERR_LIMIT)
		failf(t, "\r\nThis session's recording reached its size limit "
		    "(%llu bytes): the session ends, as sessions here are "
		    "recorded whole.", (unsigned long long)(t->srv->cfg.
		    recording_max_bytes != 0 ? t->srv->cfg.recording_max_bytes :
		    WK_RECORDING_MAX_BYTES_DEFAULT));
	else
		failf(t, "\r\nwicketd could not write this session's "
		    "recording: the session ends (request %s).",
		    t->request_id);
	return false;
}

static void
connected(struct term *t)
{
	char who[128];

	if (!record_start(t))
		return;
	wk_loop_timer_cancel(t->srv->loop, t->deadline);
	t->deadline = NULL;
	snprintf(who, sizeof(who), "%s@%s", t->a.os_user, t->a.instance_id);
	ws_text(t, WK_TERM_OUT_READY, who);
	t->recheck = wk_loop_timer_add(t->srv->loop, RECHECK_MS, recheck_cb,
	    t);
	if (t->recheck == NULL)
		t->destroy = true;
	wk_log(WK_LOG_INFO, "console_term", "request_id=%s user=%s "
	    "instance=%s os_user=%s outcome=open", t->request_id, t->a.user,
	    t->a.instance_id, t->a.os_user);
}

static void pump_ssh(struct term *t);
static void advance(struct term *t);

static void
auth_retry_cb(void *arg)
{
	struct term *t = arg;

	t->auth_retry = NULL;
	if (t->st == T_AUTH && t->ssh != NULL)
		advance(t);
	settle(t);
}

/* Advances the connection as far as it goes without waiting. */
static void
advance(struct term *t)
{
	int r;

	for (;;) {
		switch (t->st) {
		case T_CONNECT:
			r = ssh_connect(t->ssh);
			if (t->ssh_fd < 0 &&
			    ssh_get_fd(t->ssh) != SSH_INVALID_SOCKET)
				t->ssh_fd = ssh_get_fd(t->ssh);
			if (r == SSH_AGAIN)
				return;
			if (r != SSH_OK) {
				connect_failf(t, "cannot connect: %s",
				    ssh_err(t));
				return;
			}
			if (!check_host_key(t))
				return;
			ws_text(t, WK_TERM_OUT_STATUS,
			    "Host key verified. Signing in...");
			t->st = T_AUTH;
			break;
		case T_AUTH:
			if (t->auth_retry != NULL)
				return;	/* waiting before trying again */
			r = ssh_userauth_publickey(t->ssh, NULL, t->key);
			if (r == SSH_AUTH_AGAIN)
				return;
			if (r == SSH_AUTH_DENIED && t->auth_tries < AUTH_RETRIES) {
				t->auth_tries++;
				t->auth_retry = wk_loop_timer_add(t->srv->loop,
				    (uint64_t)AUTH_RETRY_MS * t->auth_tries,
				    auth_retry_cb, t);
				if (t->auth_retry == NULL)
					t->destroy = true;
				return;
			}
			/* the ephemeral private key is done with */
			ssh_key_free(t->key);
			t->key = NULL;
			if (r != SSH_AUTH_SUCCESS) {
				connect_failf(t, "the host refused the pushed "
				    "key (%s): is the wicket agent running "
				    "there, and sshd configured with its "
				    "AuthorizedKeysCommand?",
				    r == SSH_AUTH_DENIED ? "denied" :
				    ssh_err(t));
				return;
			}
			if ((t->ch = ssh_channel_new(t->ssh)) == NULL) {
				connect_failf(t, "cannot open a channel: %s",
				    ssh_err(t));
				return;
			}
			t->ch_cb.userdata = t;
			t->ch_cb.channel_data_function = ch_data_cb;
			ssh_callbacks_init(&t->ch_cb);
			if (ssh_set_channel_callbacks(t->ch, &t->ch_cb) !=
			    SSH_OK) {
				connect_failf(t, "cannot watch the channel");
				return;
			}
			t->st = T_CHANNEL;
			break;
		case T_CHANNEL:
			r = ssh_channel_open_session(t->ch);
			if (r == SSH_AGAIN)
				return;
			if (r != SSH_OK) {
				connect_failf(t, "cannot open a session: %s",
				    ssh_err(t));
				return;
			}
			t->st = T_PTY;
			break;
		case T_PTY:
			r = ssh_channel_request_pty_size(t->ch,
			    "xterm-256color", (int)t->a.cols, (int)t->a.rows);
			if (r == SSH_AGAIN)
				return;
			if (r != SSH_OK) {
				connect_failf(t, "the host refused a terminal: "
				    "%s", ssh_err(t));
				return;
			}
			t->st = T_SHELL;
			break;
		case T_SHELL:
			r = ssh_channel_request_shell(t->ch);
			if (r == SSH_AGAIN)
				return;
			if (r != SSH_OK) {
				connect_failf(t, "the host refused a shell: %s",
				    ssh_err(t));
				return;
			}
			t->st = T_OPEN;
			connected(t);
			break;
		case T_OPEN:
			pump_ssh(t);
			return;
		default:
			return;
		}
	}
}

/* Writes pending input into the channel (as much as its window takes). */
static void
flush_input(struct term *t)
{
	int n;

	while (t->to_ssh.len > 0) {
		n = ssh_channel_write(t->ch, t->to_ssh.p,
		    t->to_ssh.len > UINT32_MAX ? UINT32_MAX :
		    (uint32_t)t->to_ssh.len);
		if (n == SSH_ERROR) {
			failf(t, "The connection to %s failed: %s",
			    t->a.instance_id, ssh_err(t));
			return;
		}
		if (n <= 0)
			break;
		memmove(t->to_ssh.p, t->to_ssh.p + n, t->to_ssh.len -
		    (size_t)n);
		t->to_ssh.len -= (size_t)n;
	}
	if ((ssh_get_poll_flags(t->ssh) & SSH_WRITE_PENDING) != 0) {
		(void)ssh_blocking_flush(t->ssh, 0);
	}
}

static void
kick_cb(void *arg)
{
	struct term *t = arg;

	t->kick = NULL;
	if (t->st == T_OPEN && t->ssh != NULL)
		pump_ssh(t);
	settle(t);
}

/* Runs the bridge again from the loop (libssh may hold data that no
 * socket event will announce). */
static void
schedule_kick(struct term *t)
{
	if (t->kick == NULL)
		t->kick = wk_loop_timer_add(t->srv->loop, 0, kick_cb, t);
}

/* The bridge: channel output to the browser, pending input to the host. */
static void
pump_ssh(struct term *t)
{
	uint8_t buf[1 + READ_CHUNK];	/* a whole output message */
	int n, i;

	if (t->resize_pending) {
		if (ssh_channel_change_pty_size(t->ch, (int)t->a.cols,
		    (int)t->a.rows) != SSH_AGAIN)
			t->resize_pending = false;
	}
	flush_input(t);
	if (t->st != T_OPEN)
		return;
	for (i = 0; i < READS_PER_EVENT && !t->paused && !ws_backlogged(t);
	    i++) {
		n = ssh_channel_read_nonblocking(t->ch, buf + 1, READ_CHUNK,
		    0);
		if (n == SSH_ERROR) {
			failf(t, "The connection to %s failed: %s",
			    t->a.instance_id, ssh_err(t));
			return;
		}
		if (n <= 0)
			break;
		if (!record_output(t, buf + 1, (size_t)n))
			return;
		buf[0] = WK_TERM_OUT_DATA;
		ws_queue_msg(t, buf, (size_t)n + 1);
	}
	for (i = 0; i < READS_PER_EVENT && !t->paused && !ws_backlogged(t);
	    i++) {
		n = ssh_channel_read_nonblocking(t->ch, buf + 1, READ_CHUNK,
		    1);
		if (n <= 0)
			break;
		if (!record_output(t, buf + 1, (size_t)n))
			return;
		buf[0] = WK_TERM_OUT_DATA;
		ws_queue_msg(t, buf, (size_t)n + 1);
	}
	if (ws_backlogged(t))
		t->out_blocked = true;
	/* what the polls below take in is seen: by them, or by ssh_data */
	t->ssh_data = false;
	if (!t->paused && !ws_backlogged(t) && (ssh_channel_poll(t->ch, 0) >
	    0 || ssh_channel_poll(t->ch, 1) > 0 || t->ssh_data)) {
		t->ssh_data = false;
		schedule_kick(t);	/* output left to read */
		return;
	}
	if (ssh_channel_is_eof(t->ch) || ssh_channel_is_closed(t->ch) ||
	    !ssh_is_connected(t->ssh)) {
		wk_log(WK_LOG_INFO, "console_term", "request_id=%s "
		    "outcome=remote_closed", t->request_id);
		ssh_teardown(t);
		term_end(t, NULL);
	}
}

static void
sshfd_event(void *arg, uint32_t revents)
{
	struct term *t = arg;

	if (t->ssh == NULL)
		return;
	if ((revents & EPOLLOUT) != 0 && t->st == T_CONNECT)
		t->tcp_up = true;
	if ((ssh_get_poll_flags(t->ssh) & SSH_WRITE_PENDING) != 0)
		(void)ssh_blocking_flush(t->ssh, 0);
	advance(t);
	settle(t);
}

static void
deadline_hit(void *arg)
{
	struct term *t = arg;

	t->deadline = NULL;
	if (t->st == T_CLOSING)
		t->destroy = true;
	else if (t->st != T_OPEN)
		connect_failf(t, "timed out after %d ms",
		    CONNECT_DEADLINE_MS);
	settle(t);
}

static int
start_ssh(struct term *t, const struct wk_buf *priv)
{
	char algos[256];
	long timeout_s = CONNECT_DEADLINE_MS / 1000;
	int port = t->inst.ssh_port > 0 ? t->inst.ssh_port : 22;
	int no = 0, yes = 1;

	if (hostkey_algos(t->inst.host_keys, algos, sizeof(algos)) != 0) {
		connect_failf(t, "no usable host key registered, so the "
		    "host's identity cannot be checked");
		return 0;
	}
	if (ssh_pki_import_privkey_base64(wk_buf_cstr(priv), NULL, NULL,
	    NULL, &t->key) != SSH_OK)
		return WK_ERR_CRYPTO;
	if ((t->ssh = ssh_new()) == NULL)
		return WK_ERR_NOMEM;
	if (ssh_options_set(t->ssh, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
	    ssh_options_set(t->ssh, SSH_OPTIONS_HOST, t->inst.address) < 0 ||
	    ssh_options_set(t->ssh, SSH_OPTIONS_PORT, &port) < 0 ||
	    ssh_options_set(t->ssh, SSH_OPTIONS_USER, t->a.os_user) < 0 ||
	    ssh_options_set(t->ssh, SSH_OPTIONS_KNOWNHOSTS, "/dev/null") < 0 ||
	    ssh_options_set(t->ssh, SSH_OPTIONS_GLOBAL_KNOWNHOSTS,
	    "/dev/null") < 0 ||
	    ssh_options_set(t->ssh, SSH_OPTIONS_HOSTKEYS, algos) < 0 ||
	    ssh_options_set(t->ssh, SSH_OPTIONS_TIMEOUT, &timeout_s) < 0 ||
	    /* a keystroke is one small packet: no Nagle delay behind an
	     * unacknowledged one */
	    ssh_options_set(t->ssh, SSH_OPTIONS_NODELAY, &yes) < 0) {
		connect_failf(t, "cannot set up the SSH connection: %s",
		    ssh_err(t));
		return 0;
	}
	ssh_set_blocking(t->ssh, 0);
	t->ssh_fd = -1;
	t->st = T_CONNECT;
	arm_deadline(t, CONNECT_DEADLINE_MS);
	advance(t);
	return 0;
}

/* ---- the push, as SendSSHPublicKey does it ---- */

static void
refusal_text(const struct term *t, const struct wk_api_resp *resp,
    const struct wk_push_result *res, char *out, size_t outsz)
{
	const char *code = resp->error_code;

	if (strcmp(code, "AuthException") == 0 && res->authz_ran) {
		char stmt[192] = "";

		if (res->detail.decision == WK_DECISION_EXPLICIT_DENY) {
			if (res->detail.sid[0] != '\0')
				snprintf(stmt, sizeof(stmt), ", by the Deny "
				    "statement \"%s\"", res->detail.sid);
			else if (res->detail.statement >= 0)
				snprintf(stmt, sizeof(stmt), ", by Deny "
				    "statement #%d", res->detail.statement);
		}
		snprintf(out, outsz, "You (%s) are not allowed to connect as "
		    "%s to %s.\r\nPolicy decision: %s%s for "
		    "ec2-instance-connect:SendSSHPublicKey with "
		    "ec2:osuser=%s.", t->a.user, t->a.os_user,
		    t->a.instance_id, wk_decision_name(res->detail.decision),
		    stmt, t->a.os_user);
	} else if (strcmp(code, "EC2InstanceUnavailableException") == 0) {
		snprintf(out, outsz, "%s is offline: its wicket agent is not "
		    "connected to wicketd. Try again once the host is back.",
		    t->a.instance_id);
	} else if (strcmp(code, "EC2InstanceNotFoundException") == 0) {
		snprintf(out, outsz, "%s is not a registered instance.",
		    t->a.instance_id);
	} else if (strcmp(code, "InvalidArgsException") == 0) {
		snprintf(out, outsz, "Cannot connect: %.900s",
		    resp->error_message);
	} else {
		snprintf(out, outsz, "wicketd could not push a key to %s "
		    "(%s). Try again later.", t->a.instance_id,
		    code[0] != '\0' ? code : "internal error");
	}
}

static void
begin(struct term *t)
{
	struct wk_caller caller;
	struct wk_api_req req;
	struct wk_api_resp resp;
	struct wk_push_args pa;
	struct wk_push_result res;
	struct wk_buf pub, priv;
	char msg[1024], tkey[64];
	int r;

	memset(&resp, 0, sizeof(resp));
	memset(&res, 0, sizeof(res));
	memset(&pa, 0, sizeof(pa));
	wk_buf_init(&resp.xml, 0);
	wk_buf_init(&pub, WK_SSHKEY_MAX_LINE);
	wk_buf_init(&priv, 16384);
	if (wk_console_caller_load(t->srv, t->a.user, t->a.user_id,
	    t->a.pw_tag, &caller) != 0) {
		term_end(t, "Your session has ended: sign in again.");
		goto out;
	}
	if (t->a.instance_id[0] == '\0' || t->a.os_user[0] == '\0') {
		term_end(t, "Choose an instance and an OS user to connect.");
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.srv = t->srv;
	req.caller = &caller;
	req.request_id = t->request_id;
	req.source_ip = t->a.source_ip;
	req.secure = t->a.secure;
	req.now = wk_wall_now();
	req.via = "console";
	pa.instance_id = t->a.instance_id;
	pa.os_user = t->a.os_user;
	/* wicket:SessionRecorded: true only when this terminal will be */
	pa.recorded = t->srv->cfg.record_sessions;
	wk_free(t->caller_arn);
	if ((t->caller_arn = wk_strdup(caller.user.arn)) == NULL) {
		term_end(t, "wicketd is out of memory. Try again later.");
		goto out;
	}
	/* the API's limit, per user (SendSSHPublicKey's is per access key;
	 * the console has none); refused and audited like the API's */
	if (wk_console_push_throttle_key(caller.user.id, tkey,
	    sizeof(tkey)) != 0 || !wk_ec2ic_throttle_take(tkey,
	    wk_mono_ms())) {
		wk_metrics_throttled(WK_MT_CONSOLE_PUSH);
		(void)wk_push_audit(&req, &pa, NULL, "ThrottlingException");
		wk_log(WK_LOG_INFO, "console_term", "request_id=%s user=%s "
		    "instance=%s os_user=%s outcome=refused "
		    "error=ThrottlingException", t->request_id, t->a.user,
		    t->a.instance_id, t->a.os_user);
		term_end(t, "Too many connection attempts in a short time "
		    "(Rate exceeded). Wait a few seconds, then connect "
		    "again.");
		goto out;
	}
	snprintf(msg, sizeof(msg), "Authorizing %s as %s on %s...",
	    t->a.user, t->a.os_user, t->a.instance_id);
	ws_text(t, WK_TERM_OUT_STATUS, msg);
	if ((r = wk_sshkey_generate_ed25519(&pub, &priv)) != 0) {
		term_end(t, "wicketd could not make a key pair. Try again.");
		goto out;
	}
	pa.key = wk_buf_cstr(&pub);
	pa.key_len = pub.len;
	res.want_instance = true;
	r = wk_push_key(&req, &resp, &pa, &res);
	if (res.have_instance) {
		t->inst = res.inst;
		t->have_inst = true;
	}
	if (r != 0) {
		refusal_text(t, &resp, &res, msg, sizeof(msg));
		wk_log(WK_LOG_INFO, "console_term", "request_id=%s user=%s "
		    "instance=%s os_user=%s outcome=refused error=%s",
		    t->request_id, t->a.user, t->a.instance_id, t->a.os_user,
		    resp.error_code);
		term_end(t, msg);
		goto out;
	}
	snprintf(msg, sizeof(msg), "Key pushed (%s). Connecting to %s:%d...",
	    res.fp, t->inst.address, t->inst.ssh_port);
	ws_text(t, WK_TERM_OUT_STATUS, msg);
	if ((r = start_ssh(t, &priv)) != 0)
		connect_failf(t, "cannot start the SSH connection: %s",
		    wk_strerror(r));
 out:
	wk_explicit_bzero(&caller, sizeof(caller));
	json_decref(resp.json);
	wk_buf_cleanup(&resp.xml);
	wk_buf_cleanup(&pub);
	wk_buf_cleanup_secret(&priv);
}

/* ---- WebSocket input ---- */

static ssize_t
ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *user)
{
	struct term *t = user;
	ssize_t n;

	(void)flags;
	if (t->pre_off < t->pre.len) {
		size_t k = t->pre.len - t->pre_off;

		if (k > len)
			k = len;
		memcpy(buf, t->pre.p + t->pre_off, k);
		t->pre_off += k;
		return (ssize_t)k;
	}
	do
		n = recv(t->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		wslay_event_set_error(ctx, errno == EAGAIN ||
		    errno == EWOULDBLOCK ? WSLAY_ERR_WOULDBLOCK :
		    WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	if (n == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return n;
}

static ssize_t
ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *user)
{
	struct term *t = user;
	ssize_t n;

	do
		n = send(t->fd, data, len, MSG_NOSIGNAL |
		    ((flags & WSLAY_MSG_MORE) != 0 ? MSG_MORE : 0));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		wslay_event_set_error(ctx, errno == EAGAIN ||
		    errno == EWOULDBLOCK ? WSLAY_ERR_WOULDBLOCK :
		    WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return n;
}

static void
ws_msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg
    *arg, void *user)
{
	struct term *t = user;
	struct wk_term_msg m;

	(void)ctx;
	if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
		ssh_teardown(t);
		t->st = T_CLOSING;
		return;
	}
	if (arg->opcode != WSLAY_BINARY_FRAME)
		return;	/* text, ping, pong: nothing to do */
	if (wk_term_msg_parse(wk_span_from_mem(arg->msg, arg->msg_length),
	    &m) != 0) {
		term_end(t, "The browser sent a message wicketd does not "
		    "understand.");
		return;
	}
	switch (m.kind) {
	case WK_TERM_MSG_INPUT:
		if (t->st > T_OPEN || m.data.len == 0)
			return;
		if (wk_buf_append(&t->to_ssh, m.data.p, m.data.len) != 0) {
			term_end(t, "Too much input at once.");
			return;
		}
		if (t->st == T_OPEN)
			flush_input(t);
		break;
	case WK_TERM_MSG_RESIZE:
		t->a.cols = m.cols;
		t->a.rows = m.rows;
		if (t->st == T_OPEN && t->rec != NULL &&
		    wk_recording_resize(t->rec, wk_mono_ms(), m.cols,
		    m.rows) != 0) {
			(void)record_output(t, "", 0);	/* ends it */
			return;
		}
		if (t->st == T_OPEN) {
			t->resize_pending = true;
			if (ssh_channel_change_pty_size(t->ch, (int)m.cols,
			    (int)m.rows) != SSH_AGAIN)
				t->resize_pending = false;
		}
		break;
	case WK_TERM_MSG_PAUSE:
		t->paused = true;
		break;
	case WK_TERM_MSG_RESUME:
		t->paused = false;
		if (t->st == T_OPEN)
			schedule_kick(t);
		break;
	}
}

static void
ws_event(void *arg, uint32_t revents)
{
	struct term *t = arg;

	if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) != 0 &&
	    wslay_event_want_read(t->ws) && wslay_event_recv(t->ws) != 0)
		t->destroy = true;
	if (!t->destroy && wslay_event_want_write(t->ws) &&
	    wslay_event_send(t->ws) != 0)
		t->destroy = true;
	if ((revents & (EPOLLHUP | EPOLLERR)) != 0)
		t->destroy = true;
	settle(t);
}

/* ---- the upgrade ---- */

static void
upgraded(void *arg, int fd, struct wk_span extra_in, struct wk_http_conn *hc)
{
	struct term *t = arg;
	struct wslay_event_callbacks cbs = {
		.recv_callback = ws_recv_cb,
		.send_callback = ws_send_cb,
		.on_msg_recv_callback = ws_msg_cb,
	};
	int one = 1;

	t->hc = hc;
	t->fd = fd;
	/* an echo is one small frame: no Nagle delay (wslay's MSG_MORE
	 * still joins the frames of one send) */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	t->next = terms;
	if (terms != NULL)
		terms->prev = t;
	terms = t;
	nterms++;
	wk_metrics_gauge_set(WK_MG_TERMINALS_OPEN, nterms);
	if (extra_in.len > 0 && wk_buf_append_span(&t->pre, extra_in) != 0) {
		term_free(t);
		return;
	}
	if (wslay_event_context_server_init(&t->ws, &cbs, t) != 0) {
		t->ws = NULL;
		term_free(t);
		return;
	}
	wslay_event_config_set_max_recv_msg_length(t->ws, WK_TERM_MSG_MAX);
	t->ws_events = EPOLLIN | EPOLLRDHUP;
	t->ws_watch = wk_loop_watch_fd(t->srv->loop, fd, t->ws_events,
	    ws_event, t);
	if (t->ws_watch == NULL) {
		term_free(t);
		return;
	}
	begin(t);
	settle(t);
}

static void
upgrade_abandoned(void *arg)
{
	struct term *t = arg;

	if (t->hc != NULL) {
		/* upgraded: the server is shutting down */
		if (t->st == T_CLOSING) {
			t->destroy = true;
		} else {
			ssh_teardown(t);
			term_end(t, "wicketd is shutting down; reconnect in a "
			    "moment.");
		}
		settle(t);
		return;
	}
	/* never linked: the client left before the 101 went out */
	wk_buf_cleanup(&t->pre);
	wk_buf_cleanup(&t->to_ssh);
	wk_freezero(t, sizeof(*t));
}

int
wk_console_term_upgrade(struct wk_server *srv, struct wk_http_conn *c,
    const char *accept_key, const struct wk_console_term_args *a)
{
	struct term *t;
	char hdr[256];
	int r;

	if (nterms >= MAX_TERMS)
		return WK_ERR_LIMIT;
	if (srv->loop == NULL)
		return WK_ERR_INTERNAL;
	if ((t = wk_calloc(1, sizeof(*t))) == NULL)
		return WK_ERR_NOMEM;
	t->srv = srv;
	t->a = *a;
	t->fd = -1;
	t->ssh_fd = -1;
	t->st = T_NEW;
	wk_buf_init(&t->pre, 64 * 1024);
	wk_buf_init(&t->to_ssh, SSH_IN_HIGH + WK_TERM_MSG_MAX);
	if ((r = wk_random_uuid(t->request_id)) != 0) {
		upgrade_abandoned(t);
		return r;
	}
	snprintf(hdr, sizeof(hdr), "Upgrade: websocket\r\n"
	    "Sec-WebSocket-Accept: %s\r\n", accept_key);
	if ((r = wk_http_upgrade(c, hdr, upgraded, upgrade_abandoned, t)) !=
	    0) {
		upgrade_abandoned(t);
		return r;
	}
	return 0;
}

int
wk_console_terms_recording_ids(const char ***out, size_t *n)
{
	const struct term *t;
	const char **v;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (nterms == 0)
		return 0;
	if ((v = wk_calloc(nterms, sizeof(*v))) == NULL)
		return WK_ERR_NOMEM;
	for (t = terms; t != NULL && k < nterms; t = t->next)
		if (t->rec != NULL)
			v[k++] = t->request_id;
	*out = v;
	*n = k;
	return 0;
}
