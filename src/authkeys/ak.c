/*
 * ak.c - wicket-authorized-keys' logic, factored out of main() so tests
 * can run it in-process: arguments, trust file, agent lookup, record
 * verification, output. Every refusal is logged (authpriv) with its reason;
 * nothing goes to stderr; anything doubtful means no output and exit 1.
 */
#include "authkeys/authkeys.h"

#include <string.h>

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

int
wk_ak_main(int argc, char **argv, FILE *out)
{
	struct wk_span recs[WK_SOCK_MAX_RECORDS];
	struct wk_trust trust;
	struct wk_keyrec rec;
	struct wk_buf reply, lines;
	struct ak_args a;
	char path[4096];
	const char *why = NULL;
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
	if ((size_t)snprintf(path, sizeof(path), "%s/trust", a.state) >=
	    sizeof(path) || (r = wk_trust_load(path, &trust, &why)) != 0) {
		wk_log_auth(WK_LOG_ERROR, "authkeys_refused",
		    "user=%s reason=\"trust file %s: %s\"", a.user, path,
		    why != NULL ? why : "path too long");
		goto out;
	}
	if ((r = wk_ak_fetch(a.socket, a.user, deadline, &reply, &why)) !=
	    0) {
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
