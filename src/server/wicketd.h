/*
 * wicketd.h - wicketd's subcommands (init.c, token.c, serve in main.c) and
 * the data directory helpers they share.
 */
#ifndef WK_SERVER_WICKETD_H
#define WK_SERVER_WICKETD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "crypto/join_token.h"
#include "crypto/x509.h"
#include "server/http/http.h"
#include "store/store.h"

/* Files inside the data directory. */
#define WK_DATA_DB "wicket.db"
#define WK_DATA_MASTER_KEY "master.key"
#define WK_DATA_SIGNING_KEY "signing.key"
#define WK_DATA_CREDENTIALS "credentials"
#define WK_DATA_CONFIG "config"
/* When present: the PostgreSQL connection URI the data lives in (no
 * password: libpq's password file), used instead of wicket.db. */
#define WK_DATA_STORE "store"

/* TLS (tls_init.c): the private CA and the server certificate it issued */
#define WK_DATA_TLS_DIR "tls"
#define WK_DATA_TLS_CA "tls/ca.pem"		/* clients' CA bundle, 0644 */
#define WK_DATA_TLS_CA_KEY "tls/ca.key"		/* 0600 */
#define WK_DATA_TLS_CERT "tls/server.pem"	/* leaf, then the CA */
#define WK_DATA_TLS_KEY "tls/server.key"	/* 0600 */

#define WK_ADMIN_POLICY_ARN "arn:aws:iam::aws:policy/AdministratorAccess"

struct wk_init_opts {
	const char *data_dir;
	const char *account_id;	/* NULL: random 12 digits */
	const char *region;	/* NULL: us-east-1 */
	const char *store;	/* NULL: DIR/wicket.db; else a PostgreSQL URI */
	const char *store_password_file;	/* NULL: libpq's default */
};

/* The credentials init created (printed by the caller). */
struct wk_init_result {
	char access_key_id[33];
	char secret_access_key[41];
	char account_id[13];
	char user_arn[2048];
};

/*
 * Creates a data directory (see `wicketd init --help`). Refuses with
 * WK_ERR_EXISTS when it already holds a database or key; never overwrites
 * a file. `why` receives a message for the operator.
 */
int wk_init_data_dir(const struct wk_init_opts *o, struct wk_init_result *res,
    char *why, size_t whysz);

/* "DIR/name" into out; WK_ERR_TOOBIG when it does not fit. */
int wk_data_path(const char *dir, const char *name, char *out, size_t outsz);
/* Reads DIR/master.key (exactly 32 bytes, not group/world-readable). */
int wk_master_key_load(const char *dir, uint8_t key[WK_MASTER_KEY_LEN],
    char *why, size_t whysz);
/* Opens DIR/wicket.db with DIR/master.key; refuses a missing database. */
int wk_data_open_store(const char *dir, struct wk_store **out, char *why,
    size_t whysz);

/*
 * The store of data directory DIR into out: DIR/store's URI when that
 * file exists, else DIR/wicket.db.
 */
int wk_data_store_location(const char *dir, char *out, size_t outsz,
    char *why, size_t whysz);
/*
 * A PostgreSQL URI fit to keep: refused (INVAL, why says so) when it holds
 * a password; with password_file (non-NULL) added as passfile=ABSPATH.
 */
int wk_store_uri_with_passfile(const char *uri, const char *password_file,
    char *out, size_t outsz, char *why, size_t whysz);
/* Writes DIR/store (0600, never replacing one). */
int wk_data_store_save(const char *dir, const char *uri, char *why,
    size_t whysz);

/* store_cmd.c: `wicketd migrate` and `wicketd store copy` */
int wk_cmd_migrate(int argc, char **argv);
int wk_cmd_store(int argc, char **argv);
extern const char wk_migrate_help[];
extern const char wk_store_help[];
/* store_copy.c: every entity of src into the empty store dst. */
int wk_store_copy_all(struct wk_store *src, struct wk_store *dst, char *why,
    size_t whysz);

/* Validation of init's arguments. */
bool wk_valid_account_id(const char *s);
bool wk_valid_region(const char *s);

/* token.c: creates a one-time join token ("wkjt-" + 32 chars, then
 * "." + the 64-hex SPKI pin when pin is not NULL: crypto/join_token.h);
 * out needs WK_JOIN_TOKEN_MAX + 1 bytes. Only the SHA-256 of the part
 * before the dot is stored. address_allow: the CIDRs ("CIDR,CIDR",
 * canonical; "" or NULL for none) its host may register besides the
 * address it enrolls from (agent_addr.h). */
#define WK_JOIN_TOKEN_LEN 37
int wk_token_create(struct wk_store *st, unsigned ttl_seconds, time_t now,
    const char *address_allow, const uint8_t *pin, char *out, size_t outsz);
/* Lower-case hex SHA-256 of s; out needs 65 bytes. */
int wk_sha256_hex(const char *s, char out[static 65]);

/*
 * tls_init.c. The default names of the server certificate: this host's
 * name and --listen's address (unless a wildcard).
 */
int wk_tls_default_names(const char *listen, struct wk_x509_names *out,
    char *why, size_t whysz);
/* Makes DIR/tls/{ca.pem,ca.key,server.pem,server.key}; refuses
 * (WK_ERR_EXISTS) when any exists. */
int wk_tls_init_files(const char *dir, const struct wk_x509_names *names,
    char *why, size_t whysz);
/*
 * Reissues DIR/tls/server.pem from the same CA for `names` (NULL or none:
 * the current certificate's names), under the same key unless new_key
 * (then server.key is replaced too). Files are replaced by rename.
 */
int wk_tls_renew_files(const char *dir, const struct wk_x509_names *names,
    bool new_key, char *why, size_t whysz);

/* tls_cmd.c: `wicketd tls init|renew|show` and its help */
int wk_cmd_tls(int argc, char **argv);
extern const char wk_tls_help[];

/* The route table of `wicketd serve` (routes.c). */
extern const struct wk_http_route wk_routes[];
#define WK_API_BODY_MAX (1024 * 1024)
#define WK_API_PREAUTH_BODY_MAX (64 * 1024)

#endif
