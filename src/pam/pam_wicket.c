/*
 * pam_wicket.c - the PAM session module that makes single-use keys
 * single-use. sshd runs wicket-authorized-keys several times per login
 * (a query, then the signature check) and never tells it which attempt
 * succeeded; only the session stack runs exactly once, after a login
 * succeeded. With "ExposeAuthInfo yes" and "UsePAM yes", sshd puts the
 * methods and keys that authenticated the user into the PAM environment
 * as SSH_AUTH_INFO_0, one "method[ details]" line each:
 *
 *   publickey ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA...
 *
 * For every publickey line we send "CONSUME 1 <user> SHA256:...\n" to
 * the agent (agent/sockproto.h), which stops serving that user's
 * single-use records for the key. sshd opens the session as root, and
 * the agent accepts CONSUME from uid 0 only.
 *
 *   session requisite pam_wicket.so [socket=/run/wicket/agent.sock]
 *
 * FIRST in the session stack (install-sshd --single-use puts it there):
 * sshd sets SSH_AUTH_INFO_0 again right before pam_open_session, so the
 * first module sees sshd's value; a module before it may have replaced it
 * (Debian's `pam_env.so user_readenv=1` reads ~/.pam_environment, where
 * the user could write SSH_AUTH_INFO_0 and keep a key reusable).
 *
 * Fails closed: when it cannot tell which key logged in (no or unreadable
 * SSH_AUTH_INFO_0, bad arguments) or cannot consume it (the agent does
 * not answer OK), the session is refused (PAM_SESSION_ERR). With
 * "requisite" nothing after it runs, and sshd, whose pam_open_session
 * failed, restricts the connection and runs no shell or command (it
 * exits "PAM session not opened"); "optional" would ignore the refusal.
 * Logins that used no key (password, keyboard-interactive) and users
 * whose name no key can be pushed for pass. Failures go to syslog
 * (authpriv).
 *
 * Session reports (docs/sessions.md): after consuming, for every key it
 * sends "SESSION-OPEN 1 <user> <fp> <pid> <tty> <rhost>\n" (pid: this
 * process, sshd's per-connection monitor; tty/rhost: PAM_TTY, PAM_RHOST),
 * and at close "SESSION-CLOSE 1 <user> <pid>\n"; the agent records the
 * login when a pushed record has that key. A failed report is logged,
 * never a reason to refuse. With the "noconsume" argument (what
 * install-sshd writes without --single-use, as "session optional") it only
 * reports: no CONSUME, and a missing SSH_AUTH_INFO_0 passes.
 *
 * Built as a tiny module: libpam, our common code and the libsodium
 * SHA-256; never libcrypto.
 */
#define PAM_SM_SESSION

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "agent/sockproto.h"
#include "common/buf.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/time.h"
#include "crypto/sshkey.h"

#define PW_MAX_AUTH_INFO 65536	/* SSH_AUTH_INFO_0 we look at */
#define PW_MAX_KEYS 8		/* publickey lines handled per login */
#define PW_MAX_KEY_B64 (WK_SSHKEY_MAX_LINE)

/* Exported entry points (PAM looks them up by name). */
int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv);
int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv);

struct pw_args {
	const char *socket;
	bool debug;
	bool consume;		/* "noconsume": report only, consume nothing */
};

static int
parse_args(pam_handle_t *pamh, int argc, const char **argv,
    struct pw_args *a)
{
	int i;

	a->socket = WK_AGENT_DEFAULT_SOCKET;
	a->debug = false;
	a->consume = true;
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "socket=", 7) == 0) {
			a->socket = argv[i] + 7;
		} else if (strcmp(argv[i], "noconsume") == 0) {
			a->consume = false;
		} else if (strcmp(argv[i], "debug") == 0) {
			a->debug = true;
		} else {
			pam_syslog(pamh, LOG_ERR, "unknown option: %s",
			    argv[i]);
			return WK_ERR_INVAL;
		}
	}
	if (a->socket[0] != '/' ||
	    strlen(a->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		pam_syslog(pamh, LOG_ERR, "socket= must be an absolute path "
		    "shorter than %zu bytes",
		    sizeof(((struct sockaddr_un *)0)->sun_path));
		return WK_ERR_INVAL;
	}
	return 0;
}

static int
remaining_ms(uint64_t deadline_ms)
{
	uint64_t now = wk_mono_ms();

	return now >= deadline_ms ? 0 : (int)(deadline_ms - now);
}

/* Waits for `events` on fd until the deadline; 0 when ready. */
static int
wait_fd(int fd, short events, uint64_t deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r, t;

	for (;;) {
		if ((t = remaining_ms(deadline_ms)) == 0)
			return WK_ERR_TIMEOUT;
		r = poll(&p, 1, t);
		if (r > 0)
			return 0;
		if (r == 0)
			return WK_ERR_TIMEOUT;
		if (errno != EINTR)
			return WK_ERR_IO;
	}
}

/*
 * One request line (agent/sockproto.h) and its reply within the deadline.
 * *reply gets the agent's reply line (without "\n"); 0 when it starts
 * with "OK".
 */
static int
send_line(const char *path, const char *req, uint64_t deadline_ms,
    char *reply, size_t replysz)
{
	struct sockaddr_un sa;
	size_t off = 0, got = 0, len = strlen(req);
	ssize_t n;
	int fd = -1, r;

	reply[0] = '\0';
	if (len > WK_SOCK_MAX_REQUEST)
		return WK_ERR_TOOBIG;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return WK_ERR_IO;
	/* A Unix stream connect completes at once or fails (EAGAIN: full). */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		r = WK_ERR_IO;
		goto out;
	}
	while (off < len) {
		if ((r = wait_fd(fd, POLLOUT, deadline_ms)) != 0)
			goto out;
		n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			r = WK_ERR_IO;
			goto out;
		}
		off += (size_t)n;
	}
	/* The reply is one short line; the agent closes after it. */
	for (;;) {
		if (got == replysz - 1) {
			r = WK_ERR_TOOBIG;
			goto out;
		}
		if ((r = wait_fd(fd, POLLIN, deadline_ms)) != 0)
			goto out;
		n = read(fd, reply + got, replysz - 1 - got);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			r = WK_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (memchr(reply, '\n', got) != NULL)
			break;
	}
	reply[got] = '\0';
	if (got == 0 || reply[got - 1] != '\n') {
		r = WK_ERR_INVAL;
		goto out;
	}
	reply[got - 1] = '\0';
	r = strncmp(reply, "OK", 2) == 0 && (reply[2] == '\0' ||
	    reply[2] == ' ') ? 0 : WK_ERR_DENIED;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

/*
 * "publickey <type> <base64>[ ...]": the SHA-256 fingerprint of the key
 * blob, as OpenSSH prints it. 1 when the line is not a publickey line.
 */
static int
line_fingerprint(struct wk_span line, char fp[static WK_SSHKEY_FP_LEN])
{
	struct wk_span method, type, b64, rest;
	struct wk_buf blob;
	int r;

	fp[0] = '\0';
	if (!wk_span_split(line, ' ', &method, &rest) ||
	    !wk_span_eq_cstr(method, "publickey"))
		return 1;
	if (!wk_span_split(rest, ' ', &type, &b64))
		return WK_ERR_INVAL;
	/* anything after the key (none today) is not ours */
	(void)wk_span_split(b64, ' ', &b64, &rest);
	if (type.len == 0 || b64.len == 0 || b64.len > PW_MAX_KEY_B64)
		return WK_ERR_INVAL;
	wk_buf_init(&blob, PW_MAX_KEY_B64);
	if ((r = wk_base64_decode(b64, &blob)) == 0)
		r = wk_sshkey_fingerprint_blob(wk_buf_span(&blob), fp);
	wk_buf_cleanup(&blob);
	return r;
}

/* One CONSUME exchange: 0 on "OK". */
static int
send_consume(const char *path, const char *user, const char *fp,
    uint64_t deadline_ms, char *reply, size_t replysz)
{
	char req[WK_SOCK_MAX_REQUEST + 1];
	int len;

	len = snprintf(req, sizeof(req), "CONSUME %d %s %s\n",
	    WK_SOCK_VERSION, user, fp);
	if (len < 0 || (size_t)len > WK_SOCK_MAX_REQUEST)
		return WK_ERR_TOOBIG;
	return send_line(path, req, deadline_ms, reply, replysz);
}

/* PAM_TTY / PAM_RHOST as a SESSION-OPEN field ("-" when none or odd). */
static const char *
pam_field(pam_handle_t *pamh, int item)
{
	const void *v = NULL;
	const char *s;

	if (pam_get_item(pamh, item, &v) != PAM_SUCCESS || v == NULL)
		return "-";
	s = v;
	if (!wk_sock_field_ok((const uint8_t *)s, strlen(s)))
		return "-";
	return s;
}

/*
 * Reports the session open (docs/sessions.md) for the key that logged in:
 * the agent records it when a pushed record has that key. The pid is this
 * process, sshd's per-connection monitor, which lives as long as the
 * login. A report that fails is logged, never a reason to refuse: the
 * key's consumption (above) is what single-use needs.
 */
static void
report_open(pam_handle_t *pamh, const struct pw_args *a, const char *user,
    const char *fp, uint64_t deadline_ms)
{
	char req[WK_SOCK_MAX_REQUEST + 1], reply[64];
	int len, r;

	len = snprintf(req, sizeof(req), "SESSION-OPEN %d %s %s %ld %s %s\n",
	    WK_SOCK_VERSION, user, fp, (long)getpid(),
	    pam_field(pamh, PAM_TTY), pam_field(pamh, PAM_RHOST));
	if (len < 0 || (size_t)len > WK_SOCK_MAX_REQUEST)
		r = WK_ERR_TOOBIG;
	else
		r = send_line(a->socket, req, deadline_ms, reply,
		    sizeof(reply));
	if (r != 0)
		pam_syslog(pamh, LOG_ERR, "user=%s fingerprint=%s socket=%s: "
		    "session report failed (%s%s%s); the login is not in "
		    "wicket's audit", user, fp, a->socket, wk_strerror(r),
		    reply[0] != '\0' ? ": " : "", reply);
	else if (a->debug)
		pam_syslog(pamh, LOG_DEBUG, "user=%s fingerprint=%s pid=%ld "
		    "session: %s", user, fp, (long)getpid(), reply);
}

int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	struct pw_args a;
	struct wk_span info, line, rest;
	const char *user = NULL, *env;
	char fp[WK_SSHKEY_FP_LEN], reply[64];
	uint64_t deadline_ms = wk_mono_ms() + WK_SOCK_TIMEOUT_MS;
	size_t nkeys = 0;
	int r;

	(void)flags;
	if (parse_args(pamh, argc, argv, &a) != 0)
		return PAM_SESSION_ERR;
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL ||
	    !wk_sock_user_ok((const uint8_t *)user, strlen(user))) {
		/* Not a name a key can be pushed for: nothing to consume. */
		if (a.debug)
			pam_syslog(pamh, LOG_DEBUG, "no wicket user");
		return PAM_SUCCESS;
	}
	if ((env = pam_getenv(pamh, "SSH_AUTH_INFO_0")) == NULL &&
	    !a.consume) {
		pam_syslog(pamh, LOG_ERR, "user=%s: SSH_AUTH_INFO_0 not set "
		    "(sshd needs ExposeAuthInfo yes): session not reported",
		    user);
		return PAM_SUCCESS;
	}
	if (env == NULL) {
		pam_syslog(pamh, LOG_ERR, "user=%s: SSH_AUTH_INFO_0 not set "
		    "(sshd needs ExposeAuthInfo yes and UsePAM yes): cannot "
		    "consume the key that logged in; session refused", user);
		return PAM_SESSION_ERR;
	}
	info = wk_span_from_mem(env, strnlen(env, PW_MAX_AUTH_INFO + 1));
	if (info.len > PW_MAX_AUTH_INFO) {
		pam_syslog(pamh, LOG_ERR, "user=%s: SSH_AUTH_INFO_0 too long; "
		    "session refused", user);
		return PAM_SESSION_ERR;
	}
	rest = info;
	while (rest.len > 0) {
		if (!wk_span_split(rest, '\n', &line, &rest)) {
			line = rest;
			rest = WK_SPAN_NULL;
		}
		if ((r = line_fingerprint(line, fp)) == 1)
			continue;
		if (r != 0 || ++nkeys > PW_MAX_KEYS) {
			pam_syslog(pamh, LOG_ERR, "user=%s: %s in "
			    "SSH_AUTH_INFO_0; session refused", user, r != 0 ?
			    "unreadable publickey line" : "too many keys");
			return PAM_SESSION_ERR;
		}
		r = a.consume ? send_consume(a.socket, user, fp, deadline_ms,
		    reply, sizeof(reply)) : 0;
		if (r != 0) {
			pam_syslog(pamh, LOG_ERR, "user=%s fingerprint=%s "
			    "socket=%s: consume failed (%s%s%s); session "
			    "refused (a single-use key must not stay usable)",
			    user, fp, a.socket, wk_strerror(r),
			    reply[0] != '\0' ? ": " : "", reply);
			return PAM_SESSION_ERR;
		}
		if (a.debug && a.consume)
			pam_syslog(pamh, LOG_DEBUG, "user=%s fingerprint=%s "
			    "consumed", user, fp);
		report_open(pamh, &a, user, fp,
		    wk_mono_ms() + WK_SOCK_TIMEOUT_MS);
	}
	return PAM_SUCCESS;
}

/*
 * The login ended: the agent queues the Logout of the session this
 * process (the same monitor that opened it) registered, if any. Never
 * fails the close; a report that cannot be sent is left to the agent,
 * which ends sessions whose process is gone by itself.
 */
int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	struct pw_args a;
	const char *user = NULL, *env;
	char req[WK_SOCK_MAX_REQUEST + 1], reply[64];
	int len, r;

	(void)flags;
	if (parse_args(pamh, argc, argv, &a) != 0)
		return PAM_SUCCESS;
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL ||
	    !wk_sock_user_ok((const uint8_t *)user, strlen(user)))
		return PAM_SUCCESS;
	/* only logins with a key can have been recorded */
	if ((env = pam_getenv(pamh, "SSH_AUTH_INFO_0")) == NULL ||
	    strstr(env, "publickey ") == NULL)
		return PAM_SUCCESS;
	len = snprintf(req, sizeof(req), "SESSION-CLOSE %d %s %ld\n",
	    WK_SOCK_VERSION, user, (long)getpid());
	if (len < 0 || (size_t)len > WK_SOCK_MAX_REQUEST)
		return PAM_SUCCESS;
	r = send_line(a.socket, req, wk_mono_ms() + WK_SOCK_TIMEOUT_MS, reply,
	    sizeof(reply));
	if (r != 0)
		pam_syslog(pamh, LOG_WARNING, "user=%s pid=%ld: session close "
		    "report failed (%s); the agent ends it when the process "
		    "is gone", user, (long)getpid(), wk_strerror(r));
	return PAM_SUCCESS;
}
