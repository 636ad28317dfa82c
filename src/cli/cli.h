/*
 * cli.h - the `wicket` command line: the subcommand table entry, shared
 * helpers, and the pieces of `wicket ssh`/`wicket sftp` that the unit tests
 * drive (argument parsing, the DescribeInstances reply, known_hosts, the
 * client argv).
 */
#ifndef WK_CLI_CLI_H
#define WK_CLI_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "cli/aws_config.h"
#include "common/buf.h"

#define WK_CLI_EXIT_ERR 255	/* wicket's own failures, as ssh */
#define WK_CLI_DEFAULT_USER "ec2-user"	/* as AWS's mssh */
#define WK_CLI_MAX_ARGS 4096

/* One subcommand; each lives in its own cmd_*.c file. */
struct wk_cli_cmd {
	const char *name;
	const char *summary;	/* one line for `wicket --help` */
	const char *usage;	/* the full manual text */
	/* argv[0] is the command name; returns the process exit status */
	int (*exec)(const struct wk_cli_cmd *self, int argc, char **argv);
};

extern const struct wk_cli_cmd wk_cli_cmd_ssh;		/* cmd_ssh.c */
extern const struct wk_cli_cmd wk_cli_cmd_sftp;		/* cmd_ssh.c */
extern const struct wk_cli_cmd wk_cli_cmd_audit;	/* cmd_audit.c */
extern const struct wk_cli_cmd wk_cli_cmd_sessions;	/* cmd_sessions.c */
extern const struct wk_cli_cmd wk_cli_cmd_policy;	/* cmd_policy.c */
extern const struct wk_cli_cmd wk_cli_cmd_revoke;	/* cmd_revoke.c */

/* ---- helpers (util.c) ---- */

/* "wicket: <message>\n" on stderr. */
void wk_cli_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Matches a long option at argv[*i]: "--name VALUE" or "--name=VALUE".
 * Returns 1 and sets *value (advancing *i past a separate value), 0 when
 * argv[*i] is another option, -1 when the value is missing.
 */
int wk_cli_longopt(int argc, char **argv, int *i, const char *name,
    const char **value);

/*
 * The options of every command that calls wicketd: --profile, --region,
 * --endpoint-url, --ca-bundle into *aws and, when json is not NULL,
 * --output text|json. Returns as wk_cli_longopt (1 taken, 0 not one of
 * them, -1 value missing), or 2 for a bad --output, already reported.
 */
int wk_cli_common_opt(int argc, char **argv, int *i, struct wk_aws_opts *aws,
    bool *json);

/* Appends s quoted for a POSIX shell (only when it needs quoting). */
int wk_cli_shell_quote(struct wk_buf *out, const char *s);

/* Appends s with control characters (and DEL) replaced by '?'. */
int wk_cli_sanitize(struct wk_buf *out, const char *s);

/*
 * A time on the command line: epoch seconds ("1700000000"), ISO 8601
 * ("2024-05-01T12:00:00Z", "2024-05-01"), or an age before `now`
 * ("90s", "15m", "2h", "7d").
 */
int wk_cli_parse_time(const char *s, time_t now, time_t *out);

/* A NULL-terminated argument vector for execvp. */
struct wk_argv {
	char **v;
	size_t n;
	size_t cap;
};
int wk_argv_push(struct wk_argv *a, const char *s);	/* copies s */
int wk_argv_pushf(struct wk_argv *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void wk_argv_free(struct wk_argv *a);	/* NULL-safe; *a reusable */

/* ---- wicket ssh / wicket sftp (cmd_ssh.c) ---- */

enum wk_client_kind {
	WK_CLIENT_SSH,
	WK_CLIENT_SFTP,
};

struct wk_ssh_args {
	enum wk_client_kind kind;
	struct wk_aws_opts aws;	/* --profile, --region, --endpoint-url */
	const char *program;	/* --ssh/--sftp PATH; NULL: default */
	bool dry_run;
	bool help;
	bool single_use;	/* --single-use: "SingleUse": true in the push */
	const char *os_user;	/* user@ or -l (ssh); NULL: default */
	unsigned port;		/* -p (ssh) / -P (sftp); 0: registry */
	char instance_id[20];	/* "i-" + 8..17 hex */
	const char *path;	/* sftp: the part after ':'; or NULL */
	struct wk_argv options;	/* the client's own options, verbatim */
	char *const *command;		/* ssh: remote command words */
	size_t ncommand;
	char *dest_user;		/* owned copy of the user@ part */
};

/*
 * Parses `wicket ssh|sftp ...` arguments (argv[0] is the subcommand).
 * Client options before the destination are kept verbatim (with their
 * arguments), except -l (ssh) and -p/-P, which wicket interprets. For ssh,
 * options may also follow the destination until the first non-option or
 * "--" (as ssh itself allows); the rest is the remote command. On error
 * returns WK_ERR_INVAL and a message in errmsg. With --help, sets
 * out->help and returns 0 without requiring a destination.
 */
int wk_ssh_parse_args(enum wk_client_kind kind, int argc, char **argv,
    struct wk_ssh_args *out, struct wk_buf *errmsg);
void wk_ssh_args_cleanup(struct wk_ssh_args *a);

/* ---- instance_json.c ---- */

/* A registered instance, as wicketd describes it. */
struct wk_cli_instance {
	char *instance_id;
	char *hostname;		/* may be "" */
	char *address;		/* ssh connects here: Address or Hostname */
	unsigned port;		/* SshPort, default 22 */
	char **host_keys;	/* "type base64", validated */
	size_t nhost_keys;
	bool online;
};

/*
 * Finds instance_id in a DescribeInstances reply and validates it: an
 * address made of host-name/IP characters, a port in 1..65535, host keys
 * of the form "type base64" (comments dropped; malformed ones skipped).
 * WK_ERR_NOTFOUND when absent; WK_ERR_INVAL (message in errmsg) when
 * unusable, including when no valid host key is registered (wicket never
 * trusts on first use).
 */
int wk_cli_instance_from_json(json_t *reply, const char *instance_id,
    struct wk_cli_instance *out, struct wk_buf *errmsg);
/*
 * The same from a SendSSHPublicKey reply's "WicketInstance" member
 * (wicketd adds it; AWS's clients ignore it): WK_ERR_NOTFOUND when the
 * member is absent (an older wicketd, or AWS: fall back to
 * DescribeInstances); WK_ERR_INVAL when it is malformed, has no valid
 * host key, or names another instance than instance_id.
 */
int wk_cli_instance_from_push(json_t *reply, const char *instance_id,
    struct wk_cli_instance *out, struct wk_buf *errmsg);
void wk_cli_instance_cleanup(struct wk_cli_instance *in);

/* ---- known_hosts.c ---- */

/* known_hosts host field: "ADDR" for port 22, else "[ADDR]:PORT". */
int wk_known_hosts_host(const char *addr, unsigned port, struct wk_buf *out);
/*
 * Appends a known_hosts file for the instance: for every host key one
 * line under the instance id (the HostKeyAlias) and one under the
 * address and port.
 */
int wk_known_hosts_format(const struct wk_cli_instance *in, unsigned port,
    struct wk_buf *out);

/*
 * Builds the argv for ssh or sftp (see cmd_ssh.c for the exact shape):
 * pinned identity and known_hosts, HostKeyAlias=<instance id>, the port,
 * the user's options, then "--", user@address and the command.
 */
int wk_ssh_build_argv(const struct wk_ssh_args *a,
    const struct wk_cli_instance *in, const char *key_path,
    const char *known_hosts_path, struct wk_argv *out);

/* ---- wicket policy lint (cmd_policy.c) ---- */
/*
 * Parses doc as a policy document and appends one line per lint finding to
 * out ("NAME: statement N: action A: key K: why"); *nfindings receives
 * their number. WK_ERR_INVAL/TOOBIG (with a line on out) when doc is not
 * a valid policy.
 */
int wk_cli_policy_lint(const char *name, struct wk_span doc,
    struct wk_buf *out, size_t *nfindings);

#endif
