/*
 * sockproto.h - the agent <-> wicket-authorized-keys Unix socket protocol
 * (docs/protocols.md), shared by both sides. Header only: the helper does
 * not link the agent library.
 *
 *   request:  "LOOKUP 1 <os-user>\n"
 *             "LOOKUP 1 <os-user> SHA256:<43 base64> <connection>\n"
 *   reply:    "OK <n>\n" then n x "<length>\n<record bytes>"
 *             (n <= 64, 1 <= length <= 8192), or "ERR <reason>\n"
 *   With a fingerprint and connection (sshd's %f, and the helper's
 *   "sshd-<parent pid>": one login), the user's multi-use records and its
 *   single-use records for that key, leased to that connection (one
 *   connection at a time: see wk_keystore_lookup_lease). Without: the
 *   multi-use records only, except to a root peer (an inspection view
 *   for tools, unleased, which the helper never prints from).
 *
 *   request:  "CONSUME 1 <os-user> SHA256:<43 base64>\n"
 *   reply:    "OK\n" (also when nothing matched), or "ERR <reason>\n"
 *             ("denied" unless the peer's SO_PEERCRED uid is 0)
 *   A login with the key succeeded (pam_wicket, in the session stack):
 *   the agent stops serving that user's single-use records for the key.
 *
 *   request:  "SESSION-OPEN 1 <os-user> SHA256:<43 base64> <pid> <tty> <rhost>\n"
 *   reply:    "OK <session-id>\n", "OK none\n" (no held record has that
 *             key: not a wicket login, nothing recorded) or "ERR <reason>\n"
 *   request:  "SESSION-CLOSE 1 <os-user> <pid>\n"
 *   reply:    "OK\n" (also when no session of that pid is open) or "ERR ..."
 *   pam_wicket's session hooks (docs/sessions.md), uid 0 only like
 *   CONSUME: <pid> is the process that opened the PAM session (sshd's
 *   monitor), <tty> and <rhost> are PAM_TTY and PAM_RHOST, "-" for none,
 *   [0-9A-Za-z.:/%_-]{1,63}.
 *
 * One request per connection; the agent closes after its reply.
 */
#ifndef WK_AGENT_SOCKPROTO_H
#define WK_AGENT_SOCKPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WK_SOCK_VERSION 1
#define WK_SOCK_MAX_REQUEST 256	/* request line, newline included */
#define WK_SOCK_MAX_RECORDS 64
#define WK_SOCK_MAX_RECORD 8192
#define WK_SOCK_TIMEOUT_MS 500		/* per connection, each way */
#define WK_SOCK_MAX_USER 32
#define WK_SOCK_MAX_CONN 128		/* "sshd-<pid>" */
#define WK_SOCK_MAX_FIELD 63		/* SESSION-OPEN tty, rhost */
/*
 * A single-use record handed to one connection stays its own this long
 * (or until consumed); the same connection is handed it again only while
 * at least the grace remains, so a login it was handed to reaches its PAM
 * session (which consumes it) before anyone else can be handed it.
 */
#define WK_SOCK_LEASE_MS 20000
#define WK_SOCK_LEASE_GRACE_MS 5000
/* "OK 64\n" + 64 x ("8192\n" + 8192 bytes) */
#define WK_SOCK_MAX_REPLY (16 + WK_SOCK_MAX_RECORDS * (8 + WK_SOCK_MAX_RECORD))

#define WK_AGENT_DEFAULT_STATE "/var/lib/wicket"
#define WK_AGENT_DEFAULT_SOCKET "/run/wicket/agent.sock"
#define WK_AGENT_DEFAULT_AK_USER "wicket-ak"

/*
 * AWS's InstanceOSUser constraint (EC2 Instance Connect API model):
 * 1 to 32 characters matching ^[A-Za-z_][A-Za-z0-9\@\._-]{0,30}[A-Za-z0-9\$_-]?$
 */
static inline bool
wk_sock_user_mid(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '@' || c == '.' || c == '_' ||
	    c == '-';
}

static inline bool
wk_sock_user_ok(const uint8_t *p, size_t len)
{
	size_t i, mid_end;
	uint8_t last;

	if (len == 0 || len > WK_SOCK_MAX_USER)
		return false;
	if (!((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z') ||
	    p[0] == '_'))
		return false;
	last = p[len - 1];
	if (len >= 2 && ((last >= 'A' && last <= 'Z') ||
	    (last >= 'a' && last <= 'z') || (last >= '0' && last <= '9') ||
	    last == '$' || last == '_' || last == '-')) {
		mid_end = len - 1;	/* the last one is the optional final */
	} else {
		if (len > 31)
			return false;
		mid_end = len;
	}
	for (i = 1; i < mid_end; i++)
		if (!wk_sock_user_mid(p[i]))
			return false;
	return true;
}

/* An OpenSSH SHA-256 fingerprint: "SHA256:" and 43 unpadded base64. */
static inline bool
wk_sock_fingerprint_ok(const uint8_t *p, size_t len)
{
	size_t i;

	if (len != 50 || p[0] != 'S' || p[1] != 'H' || p[2] != 'A' ||
	    p[3] != '2' || p[4] != '5' || p[5] != '6' || p[6] != ':')
		return false;
	for (i = 7; i < len; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '+' ||
		    p[i] == '/'))
			return false;
	return true;
}

/*
 * A connection id: which login a lookup is for. The helper sends
 * "sshd-<pid>" with the pid of the sshd process that runs it (the
 * per-connection monitor, the same for every lookup of one login;
 * OpenSSH has no %C for AuthorizedKeysCommand). [0-9A-Za-z.:%_,-]{1,128}.
 */
static inline bool
wk_sock_conn_ok(const uint8_t *p, size_t len)
{
	size_t i;

	if (len == 0 || len > WK_SOCK_MAX_CONN)
		return false;
	for (i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == ':' ||
		    c == '%' || c == '_' || c == ',' || c == '-'))
			return false;
	}
	return true;
}

/* A SESSION-OPEN tty or rhost: [0-9A-Za-z.:/%_-]{1,63} ("-": none). */
static inline bool
wk_sock_field_ok(const uint8_t *p, size_t len)
{
	size_t i;

	if (len == 0 || len > WK_SOCK_MAX_FIELD)
		return false;
	for (i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == ':' ||
		    c == '/' || c == '%' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* "i-" followed by 8 to 17 lower-case hex digits. */
static inline bool
wk_sock_instance_ok(const char *s, size_t len)
{
	size_t i;

	if (len < 10 || len > 19 || s[0] != 'i' || s[1] != '-')
		return false;
	for (i = 2; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

#endif
