/*
 * sshkey.h - OpenSSH public key lines: strict validation of keys pushed by
 * callers, fingerprints, and ephemeral key pairs for the CLI and console.
 */
#ifndef WK_CRYPTO_SSHKEY_H
#define WK_CRYPTO_SSHKEY_H

#include <stdbool.h>

#include "common/buf.h"

#define WK_SSHKEY_MIN_RSA_BITS 2048
#define WK_SSHKEY_MAX_LINE 4096	/* AWS's SSHPublicKey maximum length */
#define WK_SSHKEY_FP_LEN 51	/* "SHA256:" + 43 base64 chars, + NUL */

/*
 * Validates "type base64 [comment]" as pushed to SendSSHPublicKey:
 * one line (no CR/LF/NUL/control bytes; a single trailing "\n" or "\r\n"
 * is tolerated because `--ssh-public-key file://k.pub` sends one), at most
 * WK_SSHKEY_MAX_LINE bytes, no options before the type, a known type
 * (ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa >= 2048 bits,
 * sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com), the
 * blob's inner type equal to the outer one and the blob decodable by
 * libssh. On success writes the normalised "type base64" (comment dropped)
 * to `normalized` and the fingerprint "SHA256:..." (no padding) to fp.
 * Errors: WK_ERR_INVAL with a short reason in `why` (may be NULL).
 */
int wk_sshkey_validate(struct wk_span line, struct wk_buf *normalized,
    char fp[static WK_SSHKEY_FP_LEN], const char **why);

/*
 * wk_sshkey_validate without the libssh decoding step: every structural
 * check (line, type, base64, the blob's fields, RSA size) and the
 * fingerprint. For keys that were validated in full before they were
 * signed (key records on the host).
 */
int wk_sshkey_check(struct wk_span line, struct wk_buf *normalized,
    char fp[static WK_SSHKEY_FP_LEN], const char **why);

/* SHA256 fingerprint of a key blob (the decoded base64 part). */
int wk_sshkey_fingerprint_blob(struct wk_span blob,
    char fp[static WK_SSHKEY_FP_LEN]);

/*
 * Generates an Ed25519 pair in memory. `pub` gets "ssh-ed25519 AAAA...";
 * `priv_pem` gets the OpenSSH-format private key text (a secret: wipe it
 * with wk_buf_cleanup_secret).
 */
int wk_sshkey_generate_ed25519(struct wk_buf *pub, struct wk_buf *priv_pem);

#endif
