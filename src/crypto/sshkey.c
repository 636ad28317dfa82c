/*
 * sshkey.c - full validation of pushed SSH public keys (the structural
 * checks of sshkey_check.c, then libssh decodes the key, which checks e.g.
 * that an ECDSA point is on its curve) and ephemeral Ed25519 pairs.
 */
#include "crypto/sshkey.h"

#include <libssh/libssh.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"

int
wk_sshkey_validate(struct wk_span line, struct wk_buf *normalized,
    char fp[static WK_SSHKEY_FP_LEN], const char **why)
{
	struct wk_span norm, type, b64;
	size_t start = normalized->len;
	const char *dummy;
	ssh_key key = NULL;
	char *b64z = NULL;
	int r;

	if (why == NULL)
		why = &dummy;
	if ((r = wk_sshkey_check(line, normalized, fp, why)) != 0)
		return r;
	/* normalized gained "type base64" */
	norm = wk_span_from_mem(normalized->p + start, normalized->len - start);
	(void)wk_span_split(norm, ' ', &type, &b64);
	if ((r = wk_span_to_cstr(b64, &b64z)) != 0) {
		*why = "out of memory";
		goto out;
	}
	r = WK_ERR_INVAL;
	{
		char tname[64];

		if (type.len >= sizeof(tname)) {
			*why = "unsupported key type";
			goto out;
		}
		memcpy(tname, type.p, type.len);
		tname[type.len] = '\0';
		if (ssh_pki_import_pubkey_base64(b64z,
		    ssh_key_type_from_name(tname), &key) != SSH_OK ||
		    key == NULL) {
			*why = "key not decodable";
			goto out;
		}
		if (strcmp(ssh_key_type_to_char(ssh_key_type(key)),
		    tname) != 0) {
			*why = "key type does not match the key blob";
			goto out;
		}
	}
	r = 0;
 out:
	if (r != 0) {
		fp[0] = '\0';
		normalized->len = start;	/* nothing appended on error */
		if (normalized->p != NULL)
			normalized->p[start] = '\0';
	}
	ssh_key_free(key);
	wk_free(b64z);
	return r;
}

int
wk_sshkey_generate_ed25519(struct wk_buf *pub, struct wk_buf *priv_pem)
{
	ssh_key key = NULL;
	char *priv = NULL, *pubb64 = NULL;
	int r;

	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
		r = WK_ERR_CRYPTO;
		goto out;
	}
	if (ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &priv) !=
	    SSH_OK || ssh_pki_export_pubkey_base64(key, &pubb64) != SSH_OK) {
		r = WK_ERR_CRYPTO;
		goto out;
	}
	if ((r = wk_buf_append_str(pub, "ssh-ed25519 ")) != 0 ||
	    (r = wk_buf_append_str(pub, pubb64)) != 0 ||
	    (r = wk_buf_append_str(priv_pem, priv)) != 0)
		goto out;
out:
	if (priv != NULL) {
		wk_explicit_bzero(priv, strlen(priv));
		ssh_string_free_char(priv);
	}
	ssh_string_free_char(pubb64);
	ssh_key_free(key);
	return r;
}
