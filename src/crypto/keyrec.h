/*
 * keyrec.h - the signed key record: what the control plane hands an agent
 * for one pushed key, and what wicket-authorized-keys verifies before it
 * prints anything. Text, one field a line, in this exact order:
 *
 *   #wicket-keyrec v1
 *   #KeyId=<16 hex: id of the signing key>
 *   #Timestamp=<issue time, unix seconds>
 *   #Expires=<expiry, unix seconds>
 *   #Instance=<i-...>
 *   #User=<OS user>
 *   #Caller=<caller ARN>
 *   #Request=<request id>
 *   #From=<comma-separated CIDRs, or empty>
 *   #Once=<1 when the key is single-use (consumed by the first login that
 *          succeeds with it, see pam_wicket), else 0>
 *   <key type> <base64 key>
 *   #Signature=<base64 Ed25519 signature over every byte above, through the
 *              newline that ends the key line>
 *
 * Every line ends in "\n"; no other bytes are allowed; at most
 * WK_KEYREC_MAX_LEN bytes in all.
 */
#ifndef WK_CRYPTO_KEYREC_H
#define WK_CRYPTO_KEYREC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "crypto/signkey.h"
#include "crypto/sshkey.h"

#define WK_KEYREC_MAX_LEN 8192
#define WK_KEYREC_SKEW_SECONDS 30	/* tolerated issue time in the future */

struct wk_keyrec {
	char key_id[WK_SIGNKEY_ID_LEN + 1];
	int64_t issued;
	int64_t expires;
	char instance_id[33];
	char os_user[33];
	char caller_arn[512];
	char request_id[64];
	char from[256];			/* "" when unbound */
	bool single_use;		/* #Once=1 */
	char pubkey[WK_SSHKEY_MAX_LINE + 1];	/* "type base64" */
	char fingerprint[WK_SSHKEY_FP_LEN];	/* computed, not transmitted */
};

/*
 * Serialises and signs `rec` (key_id is taken from the signing key; the
 * fingerprint field is ignored). Appends the record text to out.
 */
int wk_keyrec_sign(const struct wk_keyrec *rec, const struct wk_signkey *key,
    struct wk_buf *out);

/*
 * Parses the record's structure strictly (no signature check). On success
 * *signed_part covers the signed bytes and sig holds the signature.
 */
int wk_keyrec_parse(struct wk_span text, struct wk_keyrec *out,
    struct wk_span *signed_part, uint8_t sig[static WK_ED25519_SIG_LEN]);

/*
 * Accepts a record only if it parses, its KeyId is one of `pinned` and the
 * signature verifies with that key, the instance is `instance_id`, the user
 * is `os_user`, issued <= now + WK_KEYREC_SKEW_SECONDS, and now < expires.
 * Returns 0 and fills *out, or a negative error with a short reason for the
 * log in *why (never NULL on error): WK_ERR_INVAL/WK_ERR_TOOBIG malformed,
 * WK_ERR_AUTH unknown key id or bad signature, WK_ERR_DENIED wrong
 * instance or user, WK_ERR_EXPIRED expired or issued in the future.
 * Field rules (checked when signing too): Instance "i-" + 1..30 lower hex;
 * User as AWS's InstanceOSUser pattern; Caller printable, no spaces;
 * Request [A-Za-z0-9._-]{1,63}; From [0-9a-fA-F.:/,*?!]*; Once exactly
 * "0" or "1"; key line exactly
 * the normalised "type base64"; times decimal, no leading zeros,
 * issued < expires.
 */
int wk_keyrec_verify(struct wk_span text, const struct wk_pubkey *pinned,
    size_t npinned, const char *instance_id, const char *os_user,
    time_t now, struct wk_keyrec *out, const char **why);

/*
 * The authorized_keys line for a verified record:
 *   expiry-time="YYYYMMDDHHMMSSZ"[,from="..."] type base64 wicket:<request id>
 */
int wk_keyrec_authorized_line(const struct wk_keyrec *rec, struct wk_buf *out);

#endif
