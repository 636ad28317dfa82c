/*
 * cmd_ssh.c - `wicket ssh` and `wicket sftp`: generate an Ed25519 key in
 * memory, push it (AWSEC2InstanceConnectService.SendSSHPublicKey on the
 * EC2 Instance Connect endpoint), take the instance's address, port and
 * host keys from the reply's WicketInstance member (instance_json.c) or,
 * when the reply has none (an older wicketd, or AWS), from
 * WicketService.DescribeInstances on the EC2 endpoint; write the key
 * and a known_hosts file with the registered host keys into a fresh 0700
 * directory, run OpenSSH's ssh/sftp with them (execvp, never a shell),
 * forward SIGINT/SIGTERM/SIGHUP to it, clean up, exit with its status.
 *
 * The client's argv:
 *   ssh  -i KEY -o IdentitiesOnly=yes -o UserKnownHostsFile=KH
 *        -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes
 *        -o HostKeyAlias=i-... -o CheckHostIP=no -o UpdateHostKeys=no
 *        -p PORT [user's options] -- USER@ADDR [command...]
 *   sftp (same options) -P PORT [user's options] -- USER@ADDR[:path]
 * ssh takes the first value given for an option, so the user's own -o
 * cannot weaken the host-key check.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/aws_client.h"
#include "common/alloc.h"
#include "common/err.h"
#include "crypto/sshkey.h"


/* getopt letters of OpenSSH 9.x ssh(1) and sftp(1) */
static const char ssh_argopts[] = "bceilmopBDEFIJLOPQRSwW";
static const char ssh_flags[] = "1246afgknqstvxACGKMNTVXYy";
static const char sftp_argopts[] = "cDilosSbBFJPRX";
static const char sftp_flags[] = "1246AafhNpqrvC";

static const char ssh_usage[] =
"NAME\n"
"     wicket ssh - connect to an instance with a one-time SSH key\n"
"\n"
"SYNOPSIS\n"
"     wicket ssh [--profile P] [--region R] [--endpoint-url URL]\n"
"                [--ca-bundle FILE] [--ssh PATH] [--dry-run] [--single-use]\n"
"                [ssh options] [user@]i-XXXXXXXX [command [argument ...]]\n"
"\n"
"DESCRIPTION\n"
"     Generates an Ed25519 key pair in memory, pushes the public key with\n"
"     ec2-instance-connect:SendSSHPublicKey (valid 60 seconds), and runs\n"
"     ssh(1) with the private key and a temporary known_hosts file that\n"
"     holds the host keys registered when the instance enrolled, so the\n"
"     host is verified without trust on first use (StrictHostKeyChecking\n"
"     =yes, HostKeyAlias=<instance id>). The key and the temporary files\n"
"     are removed when ssh exits. wicketd's reply to the push says where\n"
"     the instance's sshd listens and which host keys it has, so the push\n"
"     is the only call and SendSSHPublicKey the only permission needed;\n"
"     when the reply does not (an older wicketd), wicket asks\n"
"     WicketService.DescribeInstances, which needs ec2:DescribeInstances.\n"
"\n"
"     ssh options before the destination are passed to ssh unchanged,\n"
"     with their arguments (-o, -i, -J, -L, -R, -D, -F, -E, ...). ssh\n"
"     options may also follow the destination, as with ssh. wicket\n"
"     interprets two itself:\n"
"     -l user   the OS user (the user@ of the destination wins if it\n"
"               comes first, as in ssh)\n"
"     -p port   connect to this port instead of the registered one\n"
"\n"
"     The OS user is the user@ part of the destination, else -l, else\n"
"     \"" WK_CLI_DEFAULT_USER "\" (as AWS's mssh).\n"
"\n"
"OPTIONS\n"
"     --profile P        use profile P of ~/.aws/credentials and\n"
"                        ~/.aws/config (default: $AWS_PROFILE, \"default\")\n"
"     --region R         the signing region (default: $AWS_REGION,\n"
"                        $AWS_DEFAULT_REGION, the profile's, us-east-1)\n"
"     --endpoint-url URL wicketd's API, for every call (default, as the\n"
"                        AWS CLI: $AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT\n"
"                        for the push and $AWS_ENDPOINT_URL_EC2 for\n"
"                        DescribeInstances, then $AWS_ENDPOINT_URL, the\n"
"                        profile's services section, its endpoint_url)\n"
"     --ca-bundle FILE   trust the CAs in FILE (PEM) for an https\n"
"                        endpoint (default: $AWS_CA_BUNDLE, the profile's\n"
"                        ca_bundle, the system's store)\n"
"     --ssh PATH         the ssh program (default: ssh from $PATH)\n"
"     --dry-run          look the instance up (DescribeInstances: needs\n"
"                        ec2:DescribeInstances), print the ssh command\n"
"                        line and exit; no key is generated or pushed\n"
"     --single-use       ask for a single-use key (\"SingleUse\": true,\n"
"                        a wicket extension of SendSSHPublicKey): the\n"
"                        first login with it consumes it, so it cannot\n"
"                        log in again even within its 60 seconds (the\n"
"                        host needs pam_wicket; see wicket-agent\n"
"                        sshd-config). A policy may require it.\n"
"     --help             this text\n"
"\n"
"ENVIRONMENT\n"
"     AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (used\n"
"     when no --profile is given), AWS_PROFILE, AWS_REGION,\n"
"     AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT,\n"
"     AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL,\n"
"     AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, AWS_SHARED_CREDENTIALS_FILE,\n"
"     AWS_CONFIG_FILE, AWS_CA_BUNDLE, TMPDIR. A profile's\n"
"     credential_process is run as the AWS CLI runs it.\n"
"\n"
"EXIT STATUS\n"
"     The exit status of ssh, or 255 when wicket itself fails.\n"
"\n"
"EXAMPLES\n"
"     wicket ssh ubuntu@i-0123456789abcdef0\n"
"     wicket ssh --profile ops -l admin i-0123456789abcdef0 uptime\n"
"     wicket ssh -L 8080:localhost:80 -N ubuntu@i-0123456789abcdef0\n"
"     wicket ssh --endpoint-url https://wicket.example.com \\\n"
"         -o ServerAliveInterval=30 ec2-user@i-0123456789abcdef0\n";

static const char sftp_usage[] =
"NAME\n"
"     wicket sftp - transfer files to/from an instance with a one-time key\n"
"\n"
"SYNOPSIS\n"
"     wicket sftp [--profile P] [--region R] [--endpoint-url URL]\n"
"                 [--ca-bundle FILE] [--sftp PATH] [--dry-run]\n"
"                 [--single-use] [sftp options]\n"
"                 [user@]i-XXXXXXXX[:path]\n"
"\n"
"DESCRIPTION\n"
"     Like wicket ssh, but runs sftp(1). sftp options before the\n"
"     destination are passed unchanged (-b batchfile, -o option, -r, -J,\n"
"     ...); -P port connects to that port instead of the registered one.\n"
"     The OS user is the user@ part of the destination, else\n"
"     \"" WK_CLI_DEFAULT_USER "\".\n"
"\n"
"OPTIONS\n"
"     --profile P, --region R, --endpoint-url URL, --ca-bundle FILE,\n"
"     --dry-run, --single-use, --help\n"
"                        as for wicket ssh\n"
"     --sftp PATH        the sftp program (default: sftp from $PATH)\n"
"\n"
"EXIT STATUS\n"
"     The exit status of sftp, or 255 when wicket itself fails.\n"
"\n"
"EXAMPLES\n"
"     wicket sftp ubuntu@i-0123456789abcdef0\n"
"     wicket sftp -b batch.txt ubuntu@i-0123456789abcdef0:/var/log\n";

/* ---- argument parsing ---- */

static bool
valid_instance_id(const char *s)
{
	size_t n;

	if (strncmp(s, "i-", 2) != 0)
		return false;
	for (n = 0; s[2 + n] != '\0'; n++) {
		if (!((s[2 + n] >= '0' && s[2 + n] <= '9') ||
		    (s[2 + n] >= 'a' && s[2 + n] <= 'f')))
			return false;
	}
	return n >= 8 && n <= 17;
}

/* AWS's InstanceOSUser: ^[A-Za-z_][A-Za-z0-9@._-]{0,30}[A-Za-z0-9$_-]?$ */
static bool
valid_os_user(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 32)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
		bool digit = c >= '0' && c <= '9';

		if (i == 0) {
			if (!alpha && c != '_')
				return false;
		} else if (i == n - 1 && n == 32) {
			if (!alpha && !digit && c != '$' && c != '_' &&
			    c != '-')
				return false;
		} else if (!alpha && !digit && c != '@' && c != '.' &&
		    c != '_' && c != '-' && !(i == n - 1 && c == '$')) {
			return false;
		}
	}
	return true;
}

static int
parse_port(const char *s, unsigned *out)
{
	uint64_t v;

	if (wk_cstr_to_u64(s, 65535, &v) != 0 || v == 0)
		return WK_ERR_INVAL;
	*out = (unsigned)v;
	return 0;
}

/* The destination: [user@]i-...  (sftp: [user@]i-...[:path]). */
static int
parse_dest(struct wk_ssh_args *a, const char *dest, struct wk_buf *errmsg)
{
	const char *host = dest, *at, *colon = NULL;
	size_t hostlen;

	if (a->kind == WK_CLIENT_SFTP && (colon = strchr(dest, ':')) != NULL)
		a->path = colon + 1;
	hostlen = colon != NULL ? (size_t)(colon - dest) : strlen(dest);
	at = memrchr(dest, '@', hostlen);
	if (at != NULL) {
		if (at == dest) {
			(void)wk_buf_appendf(errmsg, "empty user name in '%s'",
			    dest);
			return WK_ERR_INVAL;
		}
		if ((a->dest_user = wk_strndup(dest, (size_t)(at - dest))) ==
		    NULL)
			return WK_ERR_NOMEM;
		if (a->os_user == NULL)
			a->os_user = a->dest_user;
		host = at + 1;
		hostlen -= (size_t)(host - dest);
	}
	if (hostlen >= sizeof(a->instance_id)) {
		(void)wk_buf_appendf(errmsg, "'%s' is not an instance id "
		    "(i-...)", dest);
		return WK_ERR_INVAL;
	}
	memcpy(a->instance_id, host, hostlen);
	a->instance_id[hostlen] = '\0';
	if (!valid_instance_id(a->instance_id)) {
		(void)wk_buf_appendf(errmsg, "'%s' is not an instance id "
		    "(i- and 8 to 17 hex digits)", a->instance_id);
		return WK_ERR_INVAL;
	}
	return 0;
}

/* wicket's own long options; returns 1 when argv[*i] was one. */
static int
parse_long(struct wk_ssh_args *a, int argc, char **argv, int *i,
    struct wk_buf *errmsg)
{
	const char *arg = argv[*i], *v = NULL;
	int m;

	if (strcmp(arg, "--dry-run") == 0) {
		a->dry_run = true;
		return 1;
	}
	if (strcmp(arg, "--single-use") == 0) {
		a->single_use = true;
		return 1;
	}
	if (strcmp(arg, "--help") == 0) {
		a->help = true;
		return 1;
	}
	if ((m = wk_cli_longopt(argc, argv, i, "--profile", &v)) != 0)
		a->aws.profile = v;
	else if ((m = wk_cli_longopt(argc, argv, i, "--region", &v)) != 0)
		a->aws.region = v;
	else if ((m = wk_cli_longopt(argc, argv, i, "--endpoint-url", &v)) != 0)
		a->aws.endpoint_url = v;
	else if ((m = wk_cli_longopt(argc, argv, i, "--ca-bundle", &v)) != 0)
		a->aws.ca_bundle = v;
	else if ((m = wk_cli_longopt(argc, argv, i, "--ssh", &v)) != 0 ||
	    (m = wk_cli_longopt(argc, argv, i, "--sftp", &v)) != 0)
		a->program = v;
	if (m == 0) {
		(void)wk_buf_appendf(errmsg, "unknown option '%s'", arg);
		return WK_ERR_INVAL;
	}
	if (m < 0) {
		(void)wk_buf_appendf(errmsg, "option '%s' needs a value", arg);
		return WK_ERR_INVAL;
	}
	if (*v == '\0') {
		(void)wk_buf_appendf(errmsg, "option '%s' needs a non-empty "
		    "value", arg);
		return WK_ERR_INVAL;
	}
	return 1;
}

/* One cluster of short options ("-v", "-p22", "-vvp", "22"...). */
static int
parse_short(struct wk_ssh_args *a, int argc, char **argv, int *i,
    struct wk_buf *errmsg)
{
	const char *arg = argv[*i], *argopts, *flags, *v;
	bool ssh = a->kind == WK_CLIENT_SSH;
	size_t j;
	char c;
	int r;

	argopts = ssh ? ssh_argopts : sftp_argopts;
	flags = ssh ? ssh_flags : sftp_flags;
	for (j = 1; (c = arg[j]) != '\0'; j++) {
		if (strchr(flags, c) != NULL) {
			if ((r = wk_argv_pushf(&a->options, "-%c", c)) != 0)
				return r;
			continue;
		}
		if (strchr(argopts, c) == NULL) {
			(void)wk_buf_appendf(errmsg, "unknown %s option -- %c",
			    ssh ? "ssh" : "sftp", c);
			return WK_ERR_INVAL;
		}
		if (arg[j + 1] != '\0') {
			v = arg + j + 1;
		} else if (*i + 1 < argc) {
			v = argv[++*i];
		} else {
			(void)wk_buf_appendf(errmsg, "option requires an "
			    "argument -- %c", c);
			return WK_ERR_INVAL;
		}
		if (ssh && c == 'l') {
			if (!valid_os_user(v)) {
				(void)wk_buf_appendf(errmsg, "invalid OS user "
				    "'%s'", v);
				return WK_ERR_INVAL;
			}
			if (a->os_user == NULL)
				a->os_user = v;
		} else if ((ssh && c == 'p') || (!ssh && c == 'P')) {
			unsigned port;

			if (parse_port(v, &port) != 0) {
				(void)wk_buf_appendf(errmsg, "bad port '%s'",
				    v);
				return WK_ERR_INVAL;
			}
			if (a->port == 0)
				a->port = port;
		} else if ((r = wk_argv_pushf(&a->options, "-%c", c)) != 0 ||
		    (r = wk_argv_push(&a->options, v)) != 0) {
			return r;
		}
		break;
	}
	return 0;
}

int
wk_ssh_parse_args(enum wk_client_kind kind, int argc, char **argv,
    struct wk_ssh_args *out, struct wk_buf *errmsg)
{
	const char *dest = NULL;
	bool ended = false;
	int i, r;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	wk_buf_reset(errmsg);
	if (argc > WK_CLI_MAX_ARGS) {
		(void)wk_buf_appendf(errmsg, "too many arguments");
		return WK_ERR_INVAL;
	}
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!ended && strcmp(arg, "--") == 0) {
			ended = true;
			if (dest != NULL) {
				i++;
				break;
			}
			continue;
		}
		if (!ended && arg[0] == '-' && arg[1] == '-') {
			if ((r = parse_long(out, argc, argv, &i, errmsg)) < 0)
				goto out;
			continue;
		}
		if (!ended && arg[0] == '-' && arg[1] != '\0') {
			if ((r = parse_short(out, argc, argv, &i, errmsg)) != 0)
				goto out;
			continue;
		}
		if (dest != NULL)
			break;	/* first word of the remote command */
		dest = arg;
		if ((r = parse_dest(out, dest, errmsg)) != 0)
			goto out;
		if (ended) {
			i++;
			break;
		}
	}
	if (out->help) {
		r = 0;
		goto out;
	}
	if (dest == NULL) {
		(void)wk_buf_appendf(errmsg, "no destination given "
		    "(try 'wicket %s --help')", kind == WK_CLIENT_SSH ?
		    "ssh" : "sftp");
		r = WK_ERR_INVAL;
		goto out;
	}
	if (i < argc) {
		if (kind == WK_CLIENT_SFTP) {
			(void)wk_buf_appendf(errmsg, "unexpected argument "
			    "'%s' after the destination", argv[i]);
			r = WK_ERR_INVAL;
			goto out;
		}
		out->command = argv + i;
		out->ncommand = (size_t)(argc - i);
	}
	if (out->os_user != NULL && !valid_os_user(out->os_user)) {
		(void)wk_buf_appendf(errmsg, "invalid OS user '%s'",
		    out->os_user);
		r = WK_ERR_INVAL;
		goto out;
	}
	r = 0;
 out:
	if (r != 0)
		wk_ssh_args_cleanup(out);
	return r;
}

void
wk_ssh_args_cleanup(struct wk_ssh_args *a)
{
	if (a == NULL)
		return;
	wk_argv_free(&a->options);
	wk_free(a->dest_user);
	a->dest_user = NULL;
	a->os_user = NULL;
}

/* ---- the client's argv ---- */

/* ssh -o values are split on blanks and %-expanded: quote paths. */
static int
push_opt_path(struct wk_argv *av, const char *name, const char *path)
{
	if (strpbrk(path, " \t") != NULL)
		return wk_argv_pushf(av, "%s=\"%s\"", name, path);
	return wk_argv_pushf(av, "%s=%s", name, path);
}

int
wk_ssh_build_argv(const struct wk_ssh_args *a,
    const struct wk_cli_instance *in, const char *key_path,
    const char *known_hosts_path, struct wk_argv *out)
{
	const char *user = a->os_user != NULL ? a->os_user :
	    WK_CLI_DEFAULT_USER;
	const char *prog = a->program;
	bool ssh = a->kind == WK_CLIENT_SSH;
	unsigned port = a->port != 0 ? a->port : in->port;
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	if (prog == NULL)
		prog = ssh ? "ssh" : "sftp";
	if ((r = wk_argv_push(out, prog)) != 0 ||
	    (r = wk_argv_push(out, "-i")) != 0 ||
	    (r = wk_argv_push(out, key_path)) != 0 ||
	    (r = wk_argv_push(out, "-o")) != 0 ||
	    (r = wk_argv_push(out, "IdentitiesOnly=yes")) != 0 ||
	    (r = wk_argv_push(out, "-o")) != 0 ||
	    (r = push_opt_path(out, "UserKnownHostsFile",
	    known_hosts_path)) != 0 ||
	    (r = wk_argv_push(out, "-o")) != 0 ||
	    (r = wk_argv_push(out, "GlobalKnownHostsFile=/dev/null")) != 0 ||
	    (r = wk_argv_push(out, "-o")) != 0 ||
	    (r = wk_argv_push(out, "StrictHostKeyChecking=yes")) != 0 ||
	    (r = wk_argv_push(out, "-o")) != 0 ||
	    (r = wk_argv_pushf(out, "HostKeyAlias=%s", in->instance_id)) != 0 ||
	    (r = wk_argv_push(out, "-o")) != 0 ||
	    (r = wk_argv_push(out, "CheckHostIP=no")) != 0 ||
	    (r = wk_argv_push(out, "-o")) != 0 ||
	    (r = wk_argv_push(out, "UpdateHostKeys=no")) != 0 ||
	    (r = wk_argv_push(out, ssh ? "-p" : "-P")) != 0 ||
	    (r = wk_argv_pushf(out, "%u", port)) != 0)
		goto out;
	for (i = 0; i < a->options.n; i++) {
		if ((r = wk_argv_push(out, a->options.v[i])) != 0)
			goto out;
	}
	if ((r = wk_argv_push(out, "--")) != 0)
		goto out;
	if (ssh) {
		r = wk_argv_pushf(out, "%s@%s", user, in->address);
	} else {
		bool v6 = strchr(in->address, ':') != NULL;

		r = wk_argv_pushf(out, "%s@%s%s%s%s%s", user, v6 ? "[" : "",
		    in->address, v6 ? "]" : "", a->path != NULL ? ":" : "",
		    a->path != NULL ? a->path : "");
	}
	if (r != 0)
		goto out;
	for (i = 0; i < a->ncommand; i++) {
		if ((r = wk_argv_push(out, a->command[i])) != 0)
			goto out;
	}
	r = 0;
 out:
	if (r != 0)
		wk_argv_free(out);
	return r;
}

/* ---- running it ---- */

static volatile sig_atomic_t forward_pid;

static void
forward_signal(int sig)
{
	int saved = errno;

	if (forward_pid > 0)
		(void)kill((pid_t)forward_pid, sig);
	errno = saved;
}

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

/* $TMPDIR when ssh can take it literally as a path, else /tmp. */
static const char *
tmp_base(void)
{
	const char *t = getenv("TMPDIR");
	size_t i;

	if (t == NULL || t[0] != '/' || strlen(t) > 1024)
		return "/tmp";
	for (i = 0; t[i] != '\0'; i++) {
		if ((unsigned char)t[i] <= ' ' || strchr("%\"'\\~$", t[i]))
			return "/tmp";
	}
	return t;
}

static int
write_file(const char *path, const struct wk_buf *b)
{
	size_t off = 0;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return WK_ERR_IO;
	while (off < b->len) {
		n = write(fd, b->p + off, b->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = WK_ERR_IO;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) == -1 && r == 0)
		r = WK_ERR_IO;
	return r;
}

static void
print_argv(const struct wk_argv *av)
{
	struct wk_buf b;
	size_t i;

	wk_buf_init(&b, 1024 * 1024);
	for (i = 0; i < av->n; i++) {
		if ((i > 0 && wk_buf_putc(&b, ' ') != 0) ||
		    wk_cli_shell_quote(&b, av->v[i]) != 0)
			break;
	}
	printf("%s\n", wk_buf_cstr(&b));
	wk_buf_cleanup(&b);
}

/* A second client when EC2's endpoint is not EIC's. */
static int
ec2_client(const struct wk_aws_config *cfg, struct wk_aws_client *eic,
    struct wk_aws_client **own, struct wk_aws_client **out)
{
	const char *url = cfg->endpoints[WK_AWS_SVC_EC2];
	int r;

	*out = NULL;
	if (url == NULL) {
		wk_cli_errx("no EC2 endpoint for DescribeInstances: use "
		    "--endpoint-url, AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL or "
		    "endpoint_url in the profile");
		return WK_ERR_NOTFOUND;
	}
	if (strcmp(url, cfg->endpoint_url) == 0) {
		*out = eic;
		return 0;
	}
	if (*own == NULL && (r = wk_aws_client_new_at(cfg, url, own)) != 0) {
		wk_cli_errx("cannot use endpoint '%s': %s", url,
		    wk_strerror(r));
		return r;
	}
	*out = *own;
	return 0;
}

static int
describe(struct wk_aws_client *client, const struct wk_aws_config *cfg,
    const char *instance_id, struct wk_cli_instance *in)
{
	struct wk_aws_error err;
	struct wk_buf msg;
	json_t *req = NULL, *reply = NULL;
	int r;

	wk_buf_init(&msg, 4096);
	req = json_pack("{s:[s]}", "InstanceIds", instance_id);
	if (req == NULL) {
		r = WK_ERR_NOMEM;
		wk_cli_errx("out of memory");
		goto out;
	}
	if ((r = wk_aws_call(client, "ec2", "WicketService.DescribeInstances",
	    req, &reply, &err)) != 0) {
		wk_aws_error_print(stderr, &err, "DescribeInstances",
		    cfg->endpoints[WK_AWS_SVC_EC2]);
		goto out;
	}
	if ((r = wk_cli_instance_from_json(reply, instance_id, in,
	    &msg)) != 0)
		wk_cli_errx("%s", r == WK_ERR_NOMEM ? "out of memory" :
		    wk_buf_cstr(&msg));
 out:
	json_decref(req);
	json_decref(reply);
	wk_buf_cleanup(&msg);
	return r;
}

/*
 * Pushes the key; on success *reply holds the service's reply (the
 * caller json_decref's it).
 */
static int
push_key(struct wk_aws_client *client, const struct wk_aws_config *cfg,
    const char *instance_id, const char *user, const char *pub,
    bool single_use, json_t **reply)
{
	struct wk_aws_error err;
	json_t *req, *ok;
	int r;

	*reply = NULL;
	/* SingleUse is wicket's extension; AWS's API has no such member. */
	if (single_use)
		req = json_pack("{s:s, s:s, s:s, s:b}", "InstanceId",
		    instance_id, "InstanceOSUser", user, "SSHPublicKey", pub,
		    "SingleUse", 1);
	else
		req = json_pack("{s:s, s:s, s:s}", "InstanceId", instance_id,
		    "InstanceOSUser", user, "SSHPublicKey", pub);
	if (req == NULL) {
		wk_cli_errx("out of memory");
		return WK_ERR_NOMEM;
	}
	if ((r = wk_aws_call(client, "ec2-instance-connect",
	    "AWSEC2InstanceConnectService.SendSSHPublicKey", req, reply,
	    &err)) != 0) {
		wk_aws_error_print(stderr, &err, "SendSSHPublicKey",
		    cfg->endpoint_url);
		goto out;
	}
	ok = json_object_get(*reply, "Success");
	if (ok != NULL && !json_is_true(ok)) {
		wk_cli_errx("SendSSHPublicKey did not succeed");
		r = WK_ERR_DENIED;
	}
 out:
	if (r != 0) {
		json_decref(*reply);
		*reply = NULL;
	}
	json_decref(req);
	return r;
}

/*
 * Where to connect: the push reply's WicketInstance when wicketd sent it
 * (one call, only SendSSHPublicKey needed); else, from an older wicketd
 * or AWS, DescribeInstances on the EC2 endpoint.
 */
static int
resolve_instance(json_t *push_reply, const struct wk_aws_config *cfg,
    struct wk_aws_client *eic, struct wk_aws_client **own,
    const char *instance_id, struct wk_cli_instance *in)
{
	struct wk_aws_client *ec2;
	struct wk_buf msg;
	int r;

	wk_buf_init(&msg, 4096);
	r = wk_cli_instance_from_push(push_reply, instance_id, in, &msg);
	if (r != WK_ERR_NOTFOUND) {
		if (r != 0)
			wk_cli_errx("%s", r == WK_ERR_NOMEM ? "out of memory" :
			    wk_buf_cstr(&msg));
		goto out;
	}
	if ((r = ec2_client(cfg, eic, own, &ec2)) != 0)
		goto out;
	r = describe(ec2, cfg, instance_id, in);
 out:
	wk_buf_cleanup(&msg);
	return r;
}

/* Runs argv, forwarding signals; returns the exit status to use. */
static int
run_client(const struct wk_argv *av, const sigset_t *oldmask)
{
	struct sigaction sa, old[NFORWARDED];
	pid_t pid, w;
	size_t i;
	int status;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		wk_cli_errx("fork: %s", strerror(errno));
		return WK_CLI_EXIT_ERR;
	}
	if (pid == 0) {
		(void)sigprocmask(SIG_SETMASK, oldmask, NULL);
		execvp(av->v[0], av->v);
		fprintf(stderr, "wicket: cannot run %s: %s\n", av->v[0],
		    strerror(errno));
		_exit(WK_CLI_EXIT_ERR);
	}
	forward_pid = (sig_atomic_t)pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < NFORWARDED; i++)
		(void)sigaction(forwarded[i], &sa, &old[i]);
	(void)sigprocmask(SIG_SETMASK, oldmask, NULL);
	do {
		w = waitpid(pid, &status, 0);
	} while (w == -1 && errno == EINTR);
	/* block again until cleanup is done; the caller restores the mask */
	{
		sigset_t block;

		sigemptyset(&block);
		for (i = 0; i < NFORWARDED; i++)
			sigaddset(&block, forwarded[i]);
		(void)sigprocmask(SIG_BLOCK, &block, NULL);
	}
	forward_pid = 0;
	for (i = 0; i < NFORWARDED; i++)
		(void)sigaction(forwarded[i], &old[i], NULL);
	if (w == -1)
		return WK_CLI_EXIT_ERR;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WK_CLI_EXIT_ERR;
}

static int
ssh_main(enum wk_client_kind kind, const struct wk_cli_cmd *self, int argc,
    char **argv)
{
	struct wk_ssh_args a;
	struct wk_aws_config cfg;
	struct wk_aws_client *client = NULL, *ec2_own = NULL;
	struct wk_cli_instance in;
	struct wk_argv av;
	json_t *push_reply = NULL;
	struct wk_buf msg, pub, priv, kh, dir, key_path, kh_path;
	sigset_t block, oldmask;
	const char *user;
	bool have_dir = false, have_key = false, have_kh = false;
	bool masked = false;
	size_t i;
	int r, status = WK_CLI_EXIT_ERR;

	memset(&cfg, 0, sizeof(cfg));
	memset(&in, 0, sizeof(in));
	memset(&av, 0, sizeof(av));
	wk_buf_init(&msg, 4096);
	wk_buf_init(&pub, WK_SSHKEY_MAX_LINE);
	wk_buf_init(&priv, 16384);
	wk_buf_init(&kh, 1024 * 1024);
	wk_buf_init(&dir, 2048);
	wk_buf_init(&key_path, 2048);
	wk_buf_init(&kh_path, 2048);

	if ((r = wk_ssh_parse_args(kind, argc, argv, &a, &msg)) != 0) {
		wk_cli_errx("%s", wk_buf_cstr(&msg));
		goto out;
	}
	if (a.help) {
		fputs(self->usage, stdout);
		status = 0;
		goto out;
	}
	user = a.os_user != NULL ? a.os_user : WK_CLI_DEFAULT_USER;
	if ((r = wk_aws_config_resolve(&a.aws, WK_AWS_SVC_EIC, &cfg,
	    &msg)) != 0) {
		wk_cli_errx("%s", wk_buf_cstr(&msg));
		goto out;
	}
	if ((r = wk_aws_client_new(&cfg, &client)) != 0) {
		wk_cli_errx("cannot use endpoint '%s': %s", cfg.endpoint_url,
		    wk_strerror(r));
		goto out;
	}

	if ((r = wk_buf_appendf(&dir, "%s/wicket-XXXXXX", tmp_base())) != 0)
		goto nomem;
	if (a.dry_run) {
		/* no push: the instance comes from DescribeInstances */
		struct wk_aws_client *ec2;

		if ((r = ec2_client(&cfg, client, &ec2_own, &ec2)) != 0 ||
		    (r = describe(ec2, &cfg, a.instance_id, &in)) != 0)
			goto out;
		if ((r = wk_buf_appendf(&key_path, "%s/id_ed25519",
		    wk_buf_cstr(&dir))) != 0 ||
		    (r = wk_buf_appendf(&kh_path, "%s/known_hosts",
		    wk_buf_cstr(&dir))) != 0 ||
		    (r = wk_ssh_build_argv(&a, &in, wk_buf_cstr(&key_path),
		    wk_buf_cstr(&kh_path), &av)) != 0)
			goto nomem;
		print_argv(&av);
		status = 0;
		goto out;
	}

	if ((r = wk_sshkey_generate_ed25519(&pub, &priv)) != 0) {
		wk_cli_errx("cannot generate a key: %s", wk_strerror(r));
		goto out;
	}
	if ((r = push_key(client, &cfg, a.instance_id, user,
	    wk_buf_cstr(&pub), a.single_use, &push_reply)) != 0)
		goto out;
	if ((r = resolve_instance(push_reply, &cfg, client, &ec2_own,
	    a.instance_id, &in)) != 0)
		goto out;
	if ((r = wk_known_hosts_format(&in, a.port != 0 ? a.port : in.port,
	    &kh)) != 0)
		goto nomem;

	/* from here to the fork a signal must not leave the key behind */
	sigemptyset(&block);
	for (i = 0; i < NFORWARDED; i++)
		sigaddset(&block, forwarded[i]);
	(void)sigprocmask(SIG_BLOCK, &block, &oldmask);
	masked = true;

	if (mkdtemp((char *)dir.p) == NULL) {
		wk_cli_errx("cannot create a directory in %s: %s",
		    tmp_base(), strerror(errno));
		goto out;
	}
	have_dir = true;
	if ((r = wk_buf_appendf(&key_path, "%s/id_ed25519",
	    wk_buf_cstr(&dir))) != 0 ||
	    (r = wk_buf_appendf(&kh_path, "%s/known_hosts",
	    wk_buf_cstr(&dir))) != 0)
		goto nomem;
	have_key = true;
	if ((r = write_file(wk_buf_cstr(&key_path), &priv)) != 0) {
		wk_cli_errx("cannot write %s: %s", wk_buf_cstr(&key_path),
		    strerror(errno));
		goto out;
	}
	wk_buf_cleanup_secret(&priv);
	have_kh = true;
	if ((r = write_file(wk_buf_cstr(&kh_path), &kh)) != 0) {
		wk_cli_errx("cannot write %s: %s", wk_buf_cstr(&kh_path),
		    strerror(errno));
		goto out;
	}
	if ((r = wk_ssh_build_argv(&a, &in, wk_buf_cstr(&key_path),
	    wk_buf_cstr(&kh_path), &av)) != 0)
		goto nomem;
	status = run_client(&av, &oldmask);
	goto out;

 nomem:
	wk_cli_errx("%s", r == WK_ERR_NOMEM ? "out of memory" :
	    wk_strerror(r));
	status = WK_CLI_EXIT_ERR;
 out:
	if (have_key)
		(void)unlink(wk_buf_cstr(&key_path));
	if (have_kh)
		(void)unlink(wk_buf_cstr(&kh_path));
	if (have_dir && rmdir(wk_buf_cstr(&dir)) == -1)
		wk_cli_errx("cannot remove %s: %s", wk_buf_cstr(&dir),
		    strerror(errno));
	if (masked)
		(void)sigprocmask(SIG_SETMASK, &oldmask, NULL);
	wk_buf_cleanup_secret(&priv);
	wk_buf_cleanup(&pub);
	wk_buf_cleanup(&kh);
	wk_buf_cleanup(&dir);
	wk_buf_cleanup(&key_path);
	wk_buf_cleanup(&kh_path);
	wk_buf_cleanup(&msg);
	wk_argv_free(&av);
	wk_cli_instance_cleanup(&in);
	json_decref(push_reply);
	wk_aws_client_free(ec2_own);
	wk_aws_client_free(client);
	wk_aws_config_cleanup(&cfg);
	wk_ssh_args_cleanup(&a);
	return status;
}

static int
cmd_ssh_exec(const struct wk_cli_cmd *self, int argc, char **argv)
{
	return ssh_main(WK_CLIENT_SSH, self, argc, argv);
}

static int
cmd_sftp_exec(const struct wk_cli_cmd *self, int argc, char **argv)
{
	return ssh_main(WK_CLIENT_SFTP, self, argc, argv);
}

const struct wk_cli_cmd wk_cli_cmd_ssh = {
	.name = "ssh",
	.summary = "connect to an instance with a one-time key (like mssh)",
	.usage = ssh_usage,
	.exec = cmd_ssh_exec,
};

const struct wk_cli_cmd wk_cli_cmd_sftp = {
	.name = "sftp",
	.summary = "sftp to an instance with a one-time key (like msftp)",
	.usage = sftp_usage,
	.exec = cmd_sftp_exec,
};
