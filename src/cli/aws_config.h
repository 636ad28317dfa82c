/*
 * aws_config.h - credentials, region and endpoint resolution the way the
 * AWS CLI and SDKs do it, and the bounded INI parser for ~/.aws/credentials
 * and ~/.aws/config.
 *
 * Precedence (first match wins; docs/cli-config.md has the full table):
 *   profile:     --profile, AWS_PROFILE, "default"
 *   credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY
 *                (+ AWS_SESSION_TOKEN) when no --profile was given; then
 *                static keys in the shared credentials file ([P]); then
 *                the profile's credential_process (credentials file, then
 *                config file); then static keys in the config file
 *                ([profile P], [default]) -- botocore's provider order
 *   region:      --region, AWS_REGION, AWS_DEFAULT_REGION, profile region,
 *                else "us-east-1"
 *   endpoint, per service (EC2, EC2 Instance Connect, IAM, STS):
 *                --endpoint-url; then, unless AWS_IGNORE_CONFIGURED_
 *                ENDPOINT_URLS (or the profile's ignore_configured_
 *                endpoint_urls) is true: AWS_ENDPOINT_URL_<SERVICE>,
 *                AWS_ENDPOINT_URL, the profile's `services` section
 *                (<service> = endpoint_url = ...), the profile's
 *                endpoint_url
 *   CA bundle:   --ca-bundle, AWS_CA_BUNDLE, profile ca_bundle (optional)
 * Files: AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, AWS_CONFIG_FILE
 * or ~/.aws/config ($HOME, else the passwd entry). A missing file, or one
 * that is not a regular file (/dev/null, a pipe), is an empty one.
 */
#ifndef WK_CLI_AWS_CONFIG_H
#define WK_CLI_AWS_CONFIG_H

#include <stddef.h>
#include <time.h>

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
 * sections such as "s3 =\n  max_concurrent_requests = 10"): under a key
 * with an empty value an indented "k = v" line is the entry "s3.k" (other
 * indented lines are ignored). Later duplicates win. Lines before the first
 * section, lines without a separator, unterminated headers, NUL bytes,
 * lines over WK_INI_MAX_LINE and text over WK_INI_MAX_FILE are refused
 * (WK_ERR_INVAL / WK_ERR_TOOBIG); *errline (may be NULL) gets the 1-based
 * line number of the problem. On error *out is left empty.
 */
int wk_ini_parse(struct wk_span text, struct wk_ini *out, size_t *errline);
/*
 * Reads and parses a file; WK_ERR_NOTFOUND when it does not exist. A file
 * that is not a regular file (/dev/null, a FIFO, a directory) is opened
 * without blocking and not read: it gives an empty *out and 0.
 */
int wk_ini_load(const char *path, struct wk_ini *out, size_t *errline);
/* The value of key (lower case) in section, or NULL. */
const char *wk_ini_get(const struct wk_ini *ini, const char *section,
    const char *key);
void wk_ini_free(struct wk_ini *ini);	/* NULL-safe; *ini reusable */

/* The services wicket calls, each with its own endpoint setting. */
enum wk_aws_service {
	WK_AWS_SVC_NONE = 0,	/* resolve: no endpoint needed */
	WK_AWS_SVC_EC2,		/* ec2 (also wicket's WicketService) */
	WK_AWS_SVC_EIC,		/* ec2-instance-connect */
	WK_AWS_SVC_IAM,		/* iam */
	WK_AWS_SVC_STS,		/* sts */
	WK_AWS_SVC_COUNT
};

/* What the command line said (each may be NULL). */
struct wk_aws_opts {
	const char *profile;
	const char *region;
	const char *endpoint_url;
	const char *ca_bundle;
};

/* Everything a signed call needs. Strings owned; free with cleanup. */
struct wk_aws_config {
	char *profile;
	char *access_key_id;
	char *secret_access_key;	/* secret: wiped on cleanup */
	char *session_token;		/* NULL when none; secret */
	char *region;
	char *endpoint_url;		/* the endpoint of the service asked
					 * for at resolve time; NULL: none */
	char *endpoints[WK_AWS_SVC_COUNT];	/* per service; NULL: none */
	char *ca_bundle;		/* NULL when none */
	const char *cred_source;	/* "environment", "config file"... */
	time_t expiration;		/* credential_process's; 0: none */
};

/* "EC2_INSTANCE_CONNECT" for AWS_ENDPOINT_URL_<X>; NULL for NONE. */
const char *wk_aws_service_env_name(enum wk_aws_service svc);

/*
 * Resolves the configuration from opts, the environment and the files,
 * the endpoint of every service, and copies the one of `service` (which
 * must exist unless service is WK_AWS_SVC_NONE) to out->endpoint_url.
 * On failure returns a negative WK_ERR_* and writes a one-line message
 * for the user (without the "wicket: " prefix) to `errmsg`:
 *   WK_ERR_NOTFOUND  no credentials / no endpoint
 *   WK_ERR_INVAL     a malformed file or value, a failed
 *                    credential_process
 */
int wk_aws_config_resolve(const struct wk_aws_opts *opts, int service,
    struct wk_aws_config *out, struct wk_buf *errmsg);
void wk_aws_config_cleanup(struct wk_aws_config *cfg);	/* NULL-safe */

/* ---- credential_process (cred_process.c) ---- */

#define WK_CRED_PROCESS_MAX_CMD 8192		/* bytes of the command */
#define WK_CRED_PROCESS_MAX_ARGS 256
#define WK_CRED_PROCESS_MAX_OUTPUT (64 * 1024)	/* bytes of stdout */
#define WK_CRED_PROCESS_MAX_STDERR 2048		/* bytes kept for errors */
#define WK_CRED_PROCESS_TIMEOUT_MS (5 * 60 * 1000)	/* it may prompt */

/*
 * Splits a credential_process command line into words the way the AWS
 * CLI v2 does on POSIX (Python's shlex.split): blanks separate words;
 * '...' is literal; inside "..." a backslash escapes only '"' and '\';
 * outside quotes a backslash escapes any character. No shell runs, so
 * $VAR, globs, ';', '|' and redirections are plain characters. An
 * unterminated quote, a trailing backslash, no words, a NUL byte, more
 * than WK_CRED_PROCESS_MAX_ARGS words or a command longer than
 * WK_CRED_PROCESS_MAX_CMD are WK_ERR_INVAL with a message in errmsg.
 * *argv is NULL-terminated; free it with wk_cred_process_argv_free.
 */
int wk_cred_process_split(struct wk_span cmd, char ***argv, size_t *argc,
    struct wk_buf *errmsg);
void wk_cred_process_argv_free(char **argv);	/* NULL-safe */

/*
 * Reads the process's stdout: a JSON object with "Version": 1,
 * "AccessKeyId", "SecretAccessKey", optional "SessionToken" and
 * "Expiration" (ISO 8601; already expired at `now` is refused). Fills the
 * credential members of cfg (and cfg->expiration); on error leaves them
 * NULL and returns WK_ERR_INVAL with a message in errmsg.
 */
int wk_cred_process_parse(struct wk_span out, time_t now,
    struct wk_aws_config *cfg, struct wk_buf *errmsg);

/*
 * Runs the command (split as above, posix_spawnp, no shell; stdin and the
 * environment inherited; stdout and stderr captured, capped), waits at
 * most WK_CRED_PROCESS_TIMEOUT_MS (then kills it), and parses its output.
 * A non-zero exit, a signal, a timeout or bad output is WK_ERR_INVAL with
 * a message naming the profile's command and quoting its stderr.
 */
int wk_cred_process_run(const char *cmd, struct wk_aws_config *cfg,
    struct wk_buf *errmsg);

#endif
