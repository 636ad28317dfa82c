/*
 * aws_config.h - credentials, region and endpoint resolution the way the
 * AWS CLI and SDKs do it, and the bounded INI parser for ~/.aws/credentials
 * and ~/.aws/config.
 *
 * Precedence (first match wins):
 *   profile:     --profile, AWS_PROFILE, "default"
 *   credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY
 *                (+ AWS_SESSION_TOKEN)
 *                when no --profile was given; then the shared credentials
 *                file ([P]); then the config file ([profile P], [default])
 *   region:      --region, AWS_REGION, AWS_DEFAULT_REGION, profile region,
 *                else "us-east-1"
 *   endpoint:    --endpoint-url, AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT,
 *                AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL, profile endpoint_url
 *   CA bundle:   AWS_CA_BUNDLE, profile ca_bundle (optional)
 * Files: AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, AWS_CONFIG_FILE
 * or ~/.aws/config ($HOME, else the passwd entry).
 */
#ifndef WK_CLI_AWS_CONFIG_H
#define WK_CLI_AWS_CONFIG_H

#include <stddef.h>

#include "common/buf.h"

#define WK_INI_MAX_FILE (1024 * 1024)	/* bytes */
#define WK_INI_MAX_LINE 4096		/* bytes per line, without the LF */
#define WK_INI_MAX_ENTRIES 4096

struct wk_ini_entry {
	char *section;	/* "default", "profile dev", ... (case kept) */
	char *key;	/* lower-cased, trimmed */
	char *value;	/* trimmed */
};

struct wk_ini {
	struct wk_ini_entry *v;
	size_t n;
};

/*
 * Parses INI text as botocore's config parser reads it: [section] headers,
 * "key = value" or "key: value" lines, full-line comments starting with '#'
 * or ';', blank lines; indented lines continue the previous value (nested
 * sections such as "s3 =\n  max_concurrent_requests = 10") and are kept out
 * of the flat key list. Later duplicates win. Lines before the first
 * section, lines without a separator, unterminated headers, NUL bytes,
 * lines over WK_INI_MAX_LINE and text over WK_INI_MAX_FILE are refused
 * (WK_ERR_INVAL / WK_ERR_TOOBIG); *errline (may be NULL) gets the 1-based
 * line number of the problem. On error *out is left empty.
 */
int wk_ini_parse(struct wk_span text, struct wk_ini *out, size_t *errline);
/* Reads and parses a file; WK_ERR_NOTFOUND when it does not exist. */
int wk_ini_load(const char *path, struct wk_ini *out, size_t *errline);
/* The value of key (lower case) in section, or NULL. */
const char *wk_ini_get(const struct wk_ini *ini, const char *section,
    const char *key);
void wk_ini_free(struct wk_ini *ini);	/* NULL-safe; *ini reusable */

/* What the command line said (each may be NULL). */
struct wk_aws_opts {
	const char *profile;
	const char *region;
	const char *endpoint_url;
};

/* Everything a signed call needs. Strings owned; free with cleanup. */
struct wk_aws_config {
	char *profile;
	char *access_key_id;
	char *secret_access_key;	/* secret: wiped on cleanup */
	char *session_token;		/* NULL when none; secret */
	char *region;
	char *endpoint_url;
	char *ca_bundle;		/* NULL when none */
	const char *cred_source;	/* "environment", "config file"... */
};

/*
 * Resolves the configuration from opts, the environment and the files.
 * On failure returns a negative WK_ERR_* and writes a one-line message
 * for the user (without the "wicket: " prefix) to `errmsg`:
 *   WK_ERR_NOTFOUND  no credentials / no endpoint
 *   WK_ERR_INVAL     a malformed file or value
 * need_endpoint false skips the endpoint check.
 */
int wk_aws_config_resolve(const struct wk_aws_opts *opts, int need_endpoint,
    struct wk_aws_config *out, struct wk_buf *errmsg);
void wk_aws_config_cleanup(struct wk_aws_config *cfg);	/* NULL-safe */

#endif
