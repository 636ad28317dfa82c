/*
 * ak.c - wicket-authorized-keys' logic, factored out of main() so tests
 * can run it in-process: arguments, trust file, agent lookup, record
 * verification, output. Every refusal is logged (authpriv) with its reason;
 * nothing goes to stderr; anything doubtful means no output and exit 1.
 */
#include "authkeys/authkeys.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "crypto/keyrec.h"

#define AK_OUT_MAX (WK_SOCK_MAX_RECORDS * (WK_SSHKEY_MAX_LINE + 512))

struct ak_args {
	const char *state;
	const char *socket;
	const char *user;
	const char *fingerprint;	/* NULL: every valid record */
};

static int
parse_args(int argc, char **argv, struct ak_args *a)
{
	int i, pos = 0;

	a->state = WK_AGENT_DEFAULT_STATE;
	a->socket = WK_AGENT_DEFAULT_SOCKET;
	a->user = NULL;
	a->fingerprint = NULL;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
			a->state = argv[++i];
		} else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			a->socket = argv[++i];
		} else if (argv[i][0] == '-') {
			return WK_ERR_INVAL;
		} else if (pos == 0) {
			a->user = argv[i];
			pos++;
		} else if (pos == 1) {
			a->fingerprint = argv[i];
			pos++;
		} else {
			return WK_ERR_INVAL;
		}
	}
	if (a->user == NULL || a->state[0] != '/' || a->socket[0] != '/')
		return WK_ERR_INVAL;
	return 0;
}

/* "SHA256:" + unpadded base64 of 32 bytes, as sshd's %f gives it. */
static bool
fingerprint_ok(const char *fp)
{
	size_t i, len = strlen(fp);

	if (len != WK_SSHKEY_FP_LEN - 1 || strncmp(fp, "SHA256:", 7) != 0)
		return false;
	for (i = 7; i < len; i++) {
		char c = fp[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return false;
	}
	return true;
}

/*
 * Which login this run is for: sshd runs the command from the connection's
 * privileged monitor, the same process for every run of one login (the
 * query and the signature check) and a different one for every other
 * connection. OpenSSH 9 has no %C for AuthorizedKeysCommand, so the
 * parent pid is the connection id. false when there is no such parent.
 */
static bool
conn_id(char out[static WK_SOCK_MAX_CONN + 1])
{
	pid_t pp = getppid();
	int n;

	if (pp <= 1)
		return false;
	n = snprintf(out, WK_SOCK_MAX_CONN + 1, "sshd-%ld", (long)pp);
	return n > 0 && n <= WK_SOCK_MAX_CONN;
}

/*
 * Does this host consume single-use keys? Only when install-sshd
 * --single-use left its marker (root-owned, in the root-owned state
 * directory): otherwise nothing would stop a single-use key from logging
 * in again and again, so such records are never printed.
 */
static bool
host_consumes(const char *state)
{
	char path[4096], head[sizeof(WK_SINGLE_USE_MAGIC)];
	const char *why = NULL;
	ssize_t got;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/" WK_SINGLE_USE_FILE,
	    state) >= sizeof(path) || wk_trust_open_safe(path, &fd, &why) != 0)
		return false;
	got = read(fd, head, sizeof(head));
	close(fd);
	return got == (ssize_t)sizeof(head) &&
	    memcmp(head, WK_SINGLE_USE_MAGIC "\n", sizeof(head)) == 0;
}

/* The agent's uid: whoever wrote its state.json (else root only). */
static uid_t
agent_uid(const char *state)
{
	char path[4096];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/state.json", state) >=
	    sizeof(path) || lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return (uid_t)-1;
	return st.st_uid;
}

int
wk_ak_main(int argc, char **argv, FILE *out)
{
	struct wk_span recs[WK_SOCK_MAX_RECORDS];
	struct wk_trust trust;
	struct wk_keyrec rec;
	struct wk_buf reply, lines;
	struct ak_args a;
	char path[4096], conn[WK_SOCK_MAX_CONN + 1];
	const char *why = NULL;
	bool consumes = false, have_conn;
	uint64_t deadline = wk_mono_ms() + WK_AK_SOCKET_BUDGET_MS;
	time_t now;
	size_t n = 0, i, printed = 0;
	int r, rc = 1;

	wk_buf_init(&reply, WK_SOCK_MAX_REPLY);
	wk_buf_init(&lines, AK_OUT_MAX);
	if (parse_args(argc, argv, &a) != 0) {
		wk_log_auth(WK_LOG_ERROR, "authkeys_refused",
		    "reason=\"usage: [--state DIR] [--socket PATH] USER "
		    "[FINGERPRINT]\"");
		goto out;
	}
	if (!wk_sock_user_ok((const uint8_t *)a.user, strlen(a.user))) {
		wk_log_auth(WK_LOG_WARN, "authkeys_refused",
		    "reason=\"invalid user name\"");
		goto out;
	}
	if (a.fingerprint != NULL && !fingerprint_ok(a.fingerprint)) {
		wk_log_auth(WK_LOG_WARN, "authkeys_refused",
		    "user=%s reason=\"unsupported fingerprint format (need "
		    "FingerprintHash sha256)\"", a.user);
		goto out;
	}
	/* Single-use records are only leased for a key sshd names (%f). */
	have_conn = a.fingerprint != NULL && conn_id(conn);
	if ((size_t)snprintf(path, sizeof(path), "%s/trust", a.state) >=
	    sizeof(path) || (r = wk_trust_load(path, &trust, &why)) != 0) {
		wk_log_auth(WK_LOG_ERROR, "authkeys_refused",
		    "user=%s reason=\"trust file %s: %s\"", a.user, path,
		    why != NULL ? why : "path too long");
		goto out;
	}
	if ((r = wk_ak_fetch(a.socket, a.user, a.fingerprint,
	    have_conn ? conn : NULL, agent_uid(a.state), deadline,
	    &reply, &why)) != 0) {
		wk_log_auth(WK_LOG_ERROR, "authkeys_refused",
		    "user=%s reason=\"%s\" socket=%s", a.user, why, a.socket);
		goto out;
	}
	if ((r = wk_ak_parse_reply(wk_buf_span(&reply), recs, &n, &why)) !=
	    0) {
		wk_log_auth(WK_LOG_ERROR, "authkeys_refused",
		    "user=%s reason=\"%s\"", a.user, why);
		goto out;
	}
	now = wk_wall_now();
	for (i = 0; i < n; i++) {
		/*
		 * With %f, only the record for the offered key matters: the
		 * structural parse (cheap, computes the fingerprint) picks it
		 * before the signature check (~56 us a record), so a user
		 * with many live records costs sshd one verification.
		 */
		if (a.fingerprint != NULL) {
			struct wk_span signed_part;
			uint8_t sig[WK_ED25519_SIG_LEN];

			if (wk_keyrec_parse(recs[i], &rec, &signed_part,
			    sig) == 0 &&
			    strcmp(rec.fingerprint, a.fingerprint) != 0)
				continue;
			/* unparseable: verify below logs why it is refused */
		}
		r = wk_keyrec_verify(recs[i], trust.keys, trust.nkeys,
		    trust.instance_id, a.user, now, &rec, &why);
		if (r != 0) {
			wk_log_auth(r == WK_ERR_EXPIRED ? WK_LOG_INFO :
			    WK_LOG_WARN, "authkeys_record_refused",
			    "user=%s instance=%s reason=\"%s\"", a.user,
			    trust.instance_id, why);
			continue;
		}
		if (a.fingerprint != NULL &&
		    strcmp(rec.fingerprint, a.fingerprint) != 0)
			continue;
		/*
		 * A single-use record only for a leased lookup (the agent
		 * hands it to this connection alone) on a host
		 * whose PAM session consumes it.
		 */
		if (rec.single_use && (!have_conn ||
		    !(consumes = consumes || host_consumes(a.state)))) {
			wk_log_auth(WK_LOG_WARN, "authkeys_record_refused",
			    "user=%s instance=%s request=%s reason=\"%s\"",
			    a.user, trust.instance_id, rec.request_id,
			    !have_conn ? "single-use record without a key "
			    "fingerprint (%f) to lease it for" : "single-use "
			    "record, but this host does not consume them "
			    "(install-sshd --single-use)");
			continue;
		}
		if ((r = wk_keyrec_authorized_line(&rec, &lines)) != 0 ||
		    (r = wk_buf_putc(&lines, '\n')) != 0) {
			wk_log_auth(WK_LOG_ERROR, "authkeys_refused",
			    "user=%s request=%s reason=\"cannot format: %s\"",
			    a.user, rec.request_id, wk_strerror(r));
			goto out;
		}
		printed++;
		wk_log_auth(WK_LOG_INFO, "authkeys_accepted",
		    "user=%s instance=%s request=%s caller=%s fingerprint=%s",
		    a.user, trust.instance_id, rec.request_id,
		    rec.caller_arn, rec.fingerprint);
	}
	if (lines.len > 0 &&
	    (fwrite(lines.p, 1, lines.len, out) != lines.len ||
	    fflush(out) != 0)) {
		wk_log_auth(WK_LOG_ERROR, "authkeys_refused",
		    "user=%s reason=\"write to sshd failed\"", a.user);
		goto out;
	}
	if (printed == 0)
		wk_log_auth(WK_LOG_INFO, "authkeys_none",
		    "user=%s records=%zu fingerprint=%s", a.user, n,
		    a.fingerprint != NULL ? a.fingerprint : "-");
	rc = 0;
 out:
	wk_buf_cleanup(&reply);
	wk_buf_cleanup(&lines);
	return rc;
}
