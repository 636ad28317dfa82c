/*
 * authkeys.h - wicket-authorized-keys, run by sshd as
 * `AuthorizedKeysCommand ... %u %f`: reads the pinned signing keys from the
 * agent's trust file, asks the agent's socket for the user's records,
 * verifies every record itself and prints the valid key lines. Fails
 * closed: nothing printed and a non-zero exit on any doubt.
 */
#ifndef WK_AUTHKEYS_AUTHKEYS_H
#define WK_AUTHKEYS_AUTHKEYS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "agent/sockproto.h"
#include "common/buf.h"
#include "crypto/signkey.h"

#define WK_TRUST_MAX_KEYS 8
#define WK_TRUST_MAX_LEN 4096
#define WK_AK_BUDGET_MS 500		/* hard, whole run (main.c's timer) */
#define WK_AK_SOCKET_BUDGET_MS 400	/* connect + request + reply */

struct wk_trust {
	char instance_id[20];
	struct wk_pubkey keys[WK_TRUST_MAX_KEYS];
	size_t nkeys;
};

/*
 * Parses the trust file (docs/protocols.md) strictly:
 *   "wicket-trust 1\n" "instance <i-...>\n" then 1..8 "key <id> <b64>\n"
 * with every id equal to the key's computed id and no duplicates. Errors:
 * WK_ERR_INVAL/TOOBIG with a short reason in *why.
 */
int wk_trust_parse(struct wk_span text, struct wk_trust *out,
    const char **why);

/*
 * Refuses `path` unless it is a regular file and it and every directory
 * above it are owned by root and not writable by group or others (as
 * OpenSSH's safe_path). On success returns 0 and an open read-only fd of
 * the checked file in *fd_out.
 */
int wk_trust_open_safe(const char *path, int *fd_out, const char **why);

/* wk_trust_open_safe + a bounded read + wk_trust_parse. */
int wk_trust_load(const char *path, struct wk_trust *out, const char **why);

/*
 * Connects to the agent, checks that the peer is the agent (SO_PEERCRED
 * uid 0 or `agent_uid`; (uid_t)-1: root only), sends "LOOKUP 1 <user>\n"
 * (with fingerprint and conn when both are given: a leased lookup, see
 * agent/sockproto.h) and reads the whole reply (the agent closes after it)
 * into `reply` (capped at WK_SOCK_MAX_REPLY), all before deadline_ms
 * (wk_mono_ms clock). Another peer is WK_ERR_DENIED: nothing is sent.
 */
int wk_ak_fetch(const char *sock_path, const char *user,
    const char *fingerprint, const char *conn, uid_t agent_uid,
    uint64_t deadline_ms, struct wk_buf *reply, const char **why);

/*
 * The marker `wicket-agent install-sshd --single-use` leaves in the state
 * directory: this host's sshd runs pam_wicket, so it consumes single-use
 * keys. Believed only when root-owned like the trust file; its first line
 * is WK_SINGLE_USE_MAGIC.
 */
#define WK_SINGLE_USE_FILE "single-use"
#define WK_SINGLE_USE_MAGIC "wicket-single-use 1"

/*
 * Parses a complete reply: "OK <n>\n" then n x "<len>\n<bytes>", nothing
 * after. recs[] point into `reply`. "ERR ..." is WK_ERR_UNAVAIL.
 */
int wk_ak_parse_reply(struct wk_span reply,
    struct wk_span recs[static WK_SOCK_MAX_RECORDS], size_t *n,
    const char **why);

/*
 * The whole helper: argv as sshd passes it ([--state DIR] [--socket PATH]
 * USER [FINGERPRINT]), valid key lines written to `out` only at the end and
 * only if nothing went wrong. Returns the exit status (0 or 1). Logs every
 * decision with wk_log_auth; never writes to stderr itself.
 */
int wk_ak_main(int argc, char **argv, FILE *out);

#endif
