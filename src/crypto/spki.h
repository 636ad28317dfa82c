/*
 * spki.h - SHA-256 pins of a certificate's public key (its DER
 * SubjectPublicKeyInfo), the value kubeadm calls
 * --discovery-token-ca-cert-hash. A pin survives certificate renewal under
 * the same key; pinning a CA survives every leaf it issues.
 */
#ifndef WK_CRYPTO_SPKI_H
#define WK_CRYPTO_SPKI_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#define WK_SPKI_PIN_LEN 32		/* raw SHA-256 */
#define WK_SPKI_PIN_HEX_LEN 64		/* lower-case hex, no prefix */

/* SHA-256 of i2d_PUBKEY(cert's key). */
int wk_spki_pin_x509(X509 *cert, uint8_t out[static WK_SPKI_PIN_LEN]);
/*
 * The pin of the first certificate in a PEM file (a bundle's first one),
 * as lower-case hex. WK_ERR_IO unreadable, WK_ERR_INVAL no certificate.
 */
int wk_spki_pin_pem_file(const char *path,
    char out[static WK_SPKI_PIN_HEX_LEN + 1]);
/*
 * Parses a pin: 64 hex digits (either case), optionally "sha256:"
 * first (kubeadm's spelling). Anything else is WK_ERR_INVAL.
 */
int wk_spki_pin_parse(const char *text, uint8_t out[static WK_SPKI_PIN_LEN]);
/* Lower-case hex of a raw pin. */
void wk_spki_pin_hex(const uint8_t pin[static WK_SPKI_PIN_LEN],
    char out[static WK_SPKI_PIN_HEX_LEN + 1]);

#endif
