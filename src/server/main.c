/*
 * main.c - wicketd, the wicket control plane: `init`, `serve` and
 * `token create`, each with --help.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "crypto/signkey.h"
#include "server/hub/agent_hub.h"
#include "server/audit/audit.h"
#include "server/auth/auth.h"
#include "server/console/console.h"
#include "server/http/http.h"
#include "server/metrics/metrics.h"
#include "server/server.h"
#include "server/wicketd.h"

#define EXIT_USAGE 2
/*
 * Descriptors wicketd needs besides one per connection: the database and
 * its WAL, logs, the listener, epoll, signalfd, inotify, and one SSH
 * socket per console terminal (console_term.c allows 2000).
 */
#define FD_RESERVED 2304
#define MAXCONN_DEFAULT 60000

struct command {
	const char *name;
	const char *summary;
	const char *help;
	int (*run)(int argc, char **argv);
};

static const char main_help[] =
"Usage: wicketd COMMAND [OPTIONS]\n"
"\n"
"wicketd is the wicket control plane: an AWS-compatible API (IAM, STS,\n"
"EC2 DescribeInstances, EC2 Instance Connect SendSSHPublicKey) with\n"
"SigV4 authentication and IAM-style policies, the registry of enrolled\n"
"hosts, the agent channel that delivers one-time SSH keys, and the audit\n"
"log.\n"
"\n"
"Commands:\n"
"  init          create a data directory, its keys and a first admin user\n"
"  serve         run the server\n"
"  token create  create a one-time join token for enrolling a host\n"
"  signing-key   rotate the key that signs key records (next, promote,\n"
"                retire, list)\n"
"  tls           the server's TLS certificate (init, renew, show)\n"
"  migrate       bring a PostgreSQL store's schema up to date\n"
"  store copy    copy a SQLite data directory's store into PostgreSQL\n"
"\n"
"Run `wicketd COMMAND --help` for a command's options.\n"
"\n"
"Options:\n"
"  -h, --help     show this help\n"
"  -V, --version  show the version\n"
"\n"
"Exit status: 0 on success, 1 on failure, 2 on a usage error.\n";

static const char init_help[] =
"Usage: wicketd init --data DIR [--account-id ID] [--region REGION]\n"
"           [--tls [--tls-name NAME[,NAME...]]... [--listen ADDR:PORT]]\n"
"           [--store URI [--store-password-file FILE]]\n"
"\n"
"Creates a new data directory DIR (mode 0700) holding:\n"
"  master.key   32 random bytes that encrypt secret access keys at rest\n"
"  signing.key  the Ed25519 key that signs the key records sent to hosts\n"
"  wicket.db    the database (SQLite, WAL), or with --store:\n"
"  store        the PostgreSQL URI the data lives in\n"
"  credentials  an AWS shared-credentials file with the admin's key\n"
"  config       an AWS config file with the region\n"
"and with --tls:\n"
"  tls/ca.pem      a new private CA's certificate: the clients' CA bundle\n"
"  tls/ca.key      its key (0600)\n"
"  tls/server.pem  a server certificate it issued (then the CA)\n"
"  tls/server.key  its key (0600)\n"
"`wicketd serve` then serves HTTPS with them.\n"
"\n"
"The database gets the managed policy AdministratorAccess\n"
"(arn:aws:iam::aws:policy/AdministratorAccess: Allow * on *) and the IAM\n"
"user \"admin\" with that policy attached and one access key, which is\n"
"printed once. init refuses to run when DIR already holds any of these\n"
"files: it never overwrites data.\n"
"\n"
"Options:\n"
"  -d, --data DIR         the data directory (created when missing)\n"
"  -a, --account-id ID    the 12-digit account id (default: random)\n"
"  -r, --region REGION    the region the API reports (default: us-east-1)\n"
"      --tls              make the TLS files above\n"
"      --tls-name NAME[,NAME...]\n"
"                         DNS names and IP addresses the server certificate\n"
"                         is for (repeatable; default: this host's name and\n"
"                         the --listen address)\n"
"  -l, --listen ADDR:PORT where `wicketd serve` will listen (for the\n"
"                         default names and the printed endpoint)\n"
"      --store URI        keep the data in PostgreSQL (postgresql://...):\n"
"                         init creates the schema (as `wicketd migrate`)\n"
"                         and the admin there. A URI with a password in\n"
"                         it is refused: use a password file\n"
"      --store-password-file FILE\n"
"                         libpq password file (.pgpass format) for\n"
"                         --store, kept in the URI as passfile=; else\n"
"                         PGPASSFILE or ~/.pgpass. See docs/postgresql.md\n"
"  -h, --help             show this help\n"
"\n"
"Example:\n"
"  wicketd init --data /var/lib/wicket\n"
"  AWS_SHARED_CREDENTIALS_FILE=/var/lib/wicket/credentials \\\n"
"  AWS_CONFIG_FILE=/var/lib/wicket/config \\\n"
"    aws --endpoint-url http://127.0.0.1:8080 sts get-caller-identity\n";

static const char serve_help[] =
"Usage: wicketd serve --data DIR --listen ADDR:PORT [OPTIONS]\n"
"\n"
"Runs the control plane until SIGINT or SIGTERM, then stops accepting\n"
"connections, answers held agent polls and exits. SIGHUP (and any change\n"
"to the signing key files, checked every few seconds) reloads the\n"
"signing keys; see `wicketd signing-key --help`. The same reloads the TLS\n"
"certificate and key (open connections are kept); see `wicketd tls\n"
"--help` and docs/tls.md.\n"
"\n"
"The data lives in DIR/wicket.db (SQLite, migrated at start) or, when\n"
"DIR/store names one, in PostgreSQL, whose schema serve never migrates:\n"
"it refuses one that is not its own (run `wicketd migrate`). While\n"
"PostgreSQL is unreachable, requests that need it get 503\n"
"ServiceUnavailable and serve reconnects by itself; docs/postgresql.md.\n"
"\n"
"Endpoints:\n"
"  POST /                 the AWS APIs (SigV4): IAM, STS, EC2, EC2 Instance\n"
"                         Connect\n"
"  POST /agent/v1/enroll  host enrollment with a join token\n"
"  POST /agent/v1/update  host re-registration\n"
"  GET  /agent/v1/poll    the agents' long-poll for key records\n"
"  POST /agent/v1/sessions  logins and logouts reported by the agents\n"
"  GET  /healthz          \"ok\"\n"
"\n"
"Options:\n"
"  -d, --data DIR          the data directory made by `wicketd init`\n"
"  -l, --listen ADDR:PORT  where to listen, e.g. 127.0.0.1:8080 or\n"
"                          [::1]:8080 (port 0 picks a free port, logged)\n"
"      --tls-cert FILE     serve HTTPS (TLS 1.2+) with this PEM certificate\n"
"                          (optionally followed by its intermediates)...\n"
"      --tls-key FILE      ...and this PEM key (ECDSA or RSA, unencrypted)\n"
"      --tls-chain FILE    more PEM intermediates to send after it\n"
"                          Without these, DATA/tls/server.pem and\n"
"                          server.key are used when they exist (`wicketd\n"
"                          init --tls`), else plain HTTP. SIGHUP and a\n"
"                          change of the files reload them; open\n"
"                          connections are kept, a bad file is logged and\n"
"                          the current certificate kept\n"
"      --insecure-http     allow plain HTTP on a non-loopback --listen\n"
"                          address (logged as a warning at start), e.g.\n"
"                          behind a TLS-terminating proxy. Without TLS and\n"
"                          without this flag, only loopback (127.0.0.0/8,\n"
"                          ::1) is served\n"
"  -t, --key-ttl SECONDS   lifetime of a pushed SSH key (default 60,\n"
"                          1..3600)\n"
"  -L, --log-level LEVEL   debug, info, warn or error (default info)\n"
"      --max-connections N simultaneous connections (default 60000, or as\n"
"                          many as the hard descriptor limit allows).\n"
"                          Each needs a file descriptor: wicketd\n"
"                          raises its soft RLIMIT_NOFILE to the hard\n"
"                          limit (logged: event=fd_limit), and refuses to start when N + 2304 do\n"
"                          not fit (raise the hard limit: `ulimit -Hn`,\n"
"                          LimitNOFILE= in the systemd unit)\n"
"      --max-connections-per-ip N\n"
"                          simultaneous connections from one IPv4 address\n"
"                          or IPv6 /64 (default 1024, 1..1000000); more are\n"
"                          closed at once and logged. Hosts and people\n"
"                          behind one NAT share an address: every agent\n"
"                          holds one connection (its long-poll), so set\n"
"                          this above the number of hosts behind your\n"
"                          largest NAT plus room for people's API calls.\n"
"                          Lower is a tighter cap on one attacker\n"
"      --header-timeout-ms MS\n"
"                          a new connection must send its request's\n"
"                          headers within MS milliseconds, however it\n"
"                          trickles them (default 10000, 100..3600000);\n"
"                          a kept-alive connection gets the idle timeout\n"
"                          (30 s) plus MS for its next request. Answered\n"
"                          408 and closed when late. An agent's long-poll\n"
"                          is exempt once its headers and body are in\n"
"      --body-timeout-ms MS\n"
"                          a request's body must arrive within MS\n"
"                          milliseconds of its headers (default 30000,\n"
"                          100..3600000)\n"
"      --web-dir DIR       the console's web assets (default: $WICKET_WEB_DIR,\n"
"                          else web/ next to wicketd, else\n"
"                          /usr/share/wicket/web)\n"
"      --agent-address-allow CIDR[,CIDR...]\n"
"                          addresses any host may register for clients and\n"
"                          the console to connect to (repeatable). A host\n"
"                          may always register the address it enrolls or\n"
"                          updates from, and one its join token allows\n"
"                          (`wicketd token create --address-allow`);\n"
"                          anything else is refused and audited\n"
"      --agent-admit-rate N\n"
"                          new agent long-polls admitted a second (default\n"
"                          2500; 0 = no limit). After a restart every\n"
"                          agent is new: the rest are answered 503 with a\n"
"                          Retry-After booking each a place in the seconds\n"
"                          ahead, and agents honour it (docs/agent.md,\n"
"                          \"Reconnecting\"). Connected agents' polls are\n"
"                          never limited\n"
"      --audit-batch-max N\n"
"                          group commit: at most N audit events (key\n"
"                          pushes) share one transaction and one fsync\n"
"                          (default 512, 1..4096); each caller is answered\n"
"                          once the batch holding its event is on disk\n"
"      --audit-batch-wait-ms MS\n"
"                          how long a batch stays open after its first\n"
"                          event (default 0: until the end of the event\n"
"                          loop's turn, so the pushes read together commit\n"
"                          together; 0..1000). docs/audit.md\n"
"      --metrics-listen ADDR:PORT\n"
"                          serve GET /metrics (Prometheus text format) on\n"
"                          a listener of its own, plain HTTP (counts, no\n"
"                          secrets; docs/metrics.md). Off by default; an\n"
"                          empty ADDR (\":9464\") is 127.0.0.1\n"
"      --throttle-key RATE[:BURST]\n"
"                          calls a second per access key (console: per\n"
"                          user) and bucket size (default 20:40; BURST\n"
"                          defaults to 2 x RATE; 0 = off). Throttled calls\n"
"                          get ThrottlingException (docs/throttling.md)\n"
"      --throttle-account RATE[:BURST]\n"
"                          the same for all callers together (default 0:\n"
"                          off)\n"
"      --trusted-proxy CIDR[,CIDR...]\n"
"                          the addresses of your reverse proxies\n"
"                          (repeatable; only the proxies' own addresses).\n"
"                          From these peers only, the client's address is\n"
"                          the right-most X-Forwarded-For entry that is not\n"
"                          a trusted proxy and X-Forwarded-Proto: https\n"
"                          makes the request secure (aws:SourceIp,\n"
"                          aws:SecureTransport, the audit, the console's\n"
"                          sign-in throttle, Origin check and Secure\n"
"                          cookie). Malformed headers from them get 400;\n"
"                          from any other peer they are ignored. See\n"
"                          docs/proxy.md\n"
"      --single-use        every pushed key is single-use: the first login\n"
"                          with it consumes it. Hosts enforce it with\n"
"                          pam_wicket (`wicket-agent install-sshd\n"
"                          --single-use`); a push to a host that does not\n"
"                          is refused (EC2InstanceStateInvalidException).\n"
"                          Without it, a push may ask for it\n"
"                          (\"SingleUse\": true) and a policy may require\n"
"                          it (Bool wicket:SingleUse)\n"
"      --record-sessions   record every browser terminal (asciicast v2,\n"
"                          output only) under DIR/recordings; a policy may\n"
"                          require it (Bool wicket:SessionRecorded). See\n"
"                          docs/recordings.md\n"
"      --recording-max-bytes N\n"
"                          bound of one recording (default 33554432): at\n"
"                          the bound the recording ends with a marker and\n"
"                          the session ends too (4096..1073741824)\n"
"      --recording-retention DAYS\n"
"                          recordings are removed DAYS after their last\n"
"                          write (default 30; 0: kept forever), swept at\n"
"                          start and hourly\n"
"  -h, --help              show this help\n";

static const char token_help[] =
"Usage: wicketd token create --data DIR [--ttl SECONDS]\n"
"           [--address-allow CIDR[,CIDR...]]...\n"
"           [--pin HEX | --pin-cert FILE | --no-pin]\n"
"\n"
"Creates a one-time join token for `wicket-agent enroll` and prints it.\n"
"Only its SHA-256 is stored; the token cannot be shown again. It is\n"
"single-use and expires after --ttl seconds. Works while `wicketd serve`\n"
"runs.\n"
"\n"
"The host enrolling with it may register (for clients and the console to\n"
"connect to) the address it enrolls from, an address inside `wicketd\n"
"serve --agent-address-allow`, or one inside this token's --address-allow.\n"
"\n"
"The token carries, after a dot, the SHA-256 of the public key (SPKI) the\n"
"agent must find in wicketd's TLS certificate chain (like kubeadm's\n"
"--discovery-token-ca-cert-hash): `wicket-agent enroll` then needs no CA\n"
"file and never trusts on first use. By default it pins the CA in\n"
"DIR/tls/ca.pem when that file exists (`wicketd init --tls`); without one\n"
"the token has no pin and the agent needs https with --ca-file, its\n"
"--ca-cert-hash or the system store (plain http: loopback only).\n"
"\n"
"Options:\n"
"  -d, --data DIR      the data directory made by `wicketd init`\n"
"  -t, --ttl SECONDS   validity (default 3600, 60..604800)\n"
"  -a, --address-allow CIDR[,CIDR...]\n"
"                      addresses this token's host may also register,\n"
"                      e.g. 10.0.5.7/32 when it enrolls through NAT\n"
"                      (repeatable, at most 64 CIDRs)\n"
"      --pin HEX       pin this SHA-256 of an SPKI (64 hex digits, or\n"
"                      sha256:HEX)\n"
"      --pin-cert FILE pin the public key of the first certificate in FILE\n"
"                      (PEM): your CA, or the server certificate itself\n"
"      --no-pin        no pin, even when DIR/tls/ca.pem exists\n"
"  -h, --help          show this help\n";

static const char signing_help[] =
"Usage: wicketd signing-key next|promote|retire|list --data DIR [OPTIONS]\n"
"\n"
"Rotates the Ed25519 key that signs the key records sent to hosts, without\n"
"locking anyone out. The data directory holds up to three keys:\n"
"  signing.key       current: signs every new record\n"
"  signing.next.key  announced to the agents, not used yet\n"
"  signing.prev.key  replaced by the last promotion, still announced so the\n"
"                    records it signed keep verifying until they expire\n"
"and signing.statements: the rotation statements, each signed by the key\n"
"that was current when `next` made it, vouching for the next one. Hosts\n"
"pin a new key only through a statement signed by a key they pin. A\n"
"running `wicketd serve` picks up every change within a few seconds (or\n"
"at once on SIGHUP) and tells the connected agents immediately. With a\n"
"PostgreSQL store, run it on any one replica's DIR: the keys are stored\n"
"(sealed) in the database and every replica takes them at once.\n"
"\n"
"A rotation:\n"
"  wicketd signing-key next --data DIR     # new key, announced\n"
"  (wait at least 30 s: every agent learns it)\n"
"  wicketd signing-key promote --data DIR  # it signs from now on\n"
"  (wait key-ttl + 30 s: records signed before have expired)\n"
"  wicketd signing-key retire --data DIR   # the old key is dropped\n"
"\n"
"Subcommands:\n"
"  next      create signing.next.key and its rotation statement;\n"
"            refused when one exists\n"
"  promote   next becomes current, current becomes previous; refused\n"
"            without a next key or its statement, while a previous key\n"
"            remains, or when the next key is younger than 30 s (unless\n"
"            --force)\n"
"  retire    remove the previous key; refused until key-ttl + 30 s after\n"
"            the promotion (key-ttl: the --key-ttl of the last `wicketd\n"
"            serve` on this data directory, else 3600)\n"
"  list      print each key's id, role and since when it has that file\n"
"\n"
"Options:\n"
"  -d, --data DIR         the data directory made by `wicketd init`\n"
"  -f, --force            promote: skip the 30 s announcement wait\n"
"  -t, --key-ttl SECONDS  retire: the key ttl to wait for (1..3600)\n"
"  -h, --help             show this help\n"
"\n"
"Files are changed with link/rename (never overwritten); keys are 0600.\n";

static int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wicketd %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry `wicketd %s --help`.\n", cmd);
	return EXIT_USAGE;
}

static int
parse_uint(const char *s, uint64_t min, uint64_t max, unsigned *out)
{
	uint64_t v;

	if (wk_cstr_to_u64(s, max, &v) != 0 || v < min)
		return WK_ERR_INVAL;
	*out = (unsigned)v;
	return 0;
}

/* `init --tls`: the TLS files, and how clients use them. */
static int
tls_made(const char *data, const struct wk_x509_names *names,
    const char *listen)
{
	char why[1400], abs[PATH_MAX];

	why[0] = '\0';
	if (wk_tls_init_files(data, names, why, sizeof(why)) != 0) {
		fprintf(stderr, "wicketd init: %s\n", why);
		return 1;
	}
	/* the printed lines work from any directory */
	if (realpath(data, abs) != NULL)
		data = abs;
	printf("\nTLS: a private CA in %s/%s (key %s/%s) issued the server "
	    "certificate\n%s/%s for:", data, WK_DATA_TLS_CA, data,
	    WK_DATA_TLS_CA_KEY, data, WK_DATA_TLS_CERT);
	for (size_t i = 0; i < names->n; i++)
		printf(" %s", names->name[i]);
	printf("\n`wicketd serve --data %s` serves HTTPS with it. Clients "
	    "trust the CA:\n"
	    "  export AWS_CA_BUNDLE=%s/%s\n"
	    "  aws --ca-bundle %s/%s --endpoint-url https://%s ...\n", data,
	    data, WK_DATA_TLS_CA, data, WK_DATA_TLS_CA,
	    listen != NULL ? listen : "HOST:PORT");
	return 0;
}

static int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "account-id", required_argument, NULL, 'a' },
		{ "region", required_argument, NULL, 'r' },
		{ "tls", no_argument, NULL, 'T' },
		{ "tls-name", required_argument, NULL, 'N' },
		{ "listen", required_argument, NULL, 'l' },
		{ "store", required_argument, NULL, 'S' },
		{ "store-password-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wk_init_opts o = { NULL, NULL, NULL, NULL, NULL };
	struct wk_init_result res;
	struct wk_x509_names names;
	const char *listen = NULL;
	bool tls = false;
	char why[1400];
	int ch;

	memset(&names, 0, sizeof(names));
	while ((ch = getopt_long(argc, argv, "d:a:r:l:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': o.data_dir = optarg; break;
		case 'a': o.account_id = optarg; break;
		case 'r': o.region = optarg; break;
		case 'T': tls = true; break;
		case 'l': listen = optarg; break;
		case 'S': o.store = optarg; break;
		case 'P': o.store_password_file = optarg; break;
		case 'N':
			if (wk_x509_names_add(&names, optarg, why,
			    sizeof(why)) != 0)
				return usage_error("init", "--tls-name: %s",
				    why);
			break;
		case 'h': fputs(init_help, stdout); return 0;
		default: return usage_error("init", "bad option");
		}
	}
	if (optind != argc)
		return usage_error("init", "unexpected argument '%s'",
		    argv[optind]);
	if (o.data_dir == NULL)
		return usage_error("init", "--data DIR is required");
	if (o.account_id != NULL && !wk_valid_account_id(o.account_id))
		return usage_error("init", "--account-id must be 12 digits, "
		    "not '%s'", o.account_id);
	if (o.region != NULL && !wk_valid_region(o.region))
		return usage_error("init", "--region '%s' is not a region name",
		    o.region);
	if (!tls && names.n > 0)
		return usage_error("init", "--tls-name needs --tls");
	why[0] = '\0';
	if (tls && names.n == 0 &&
	    wk_tls_default_names(listen, &names, why, sizeof(why)) != 0)
		return usage_error("init", "%s", why);
	if (wk_init_data_dir(&o, &res, why, sizeof(why)) != 0) {
		fprintf(stderr, "wicketd init: %s\n", why);
		return 1;
	}
	printf("Initialised %s (account %s).\n"
	    "Admin user:        %s\n"
	    "AccessKeyId:       %s\n"
	    "SecretAccessKey:   %s\n"
	    "The key is also in %s/%s (profile default); region in %s/%s.\n"
	    "Keep it secret: it has full access.\n", o.data_dir,
	    res.account_id, res.user_arn, res.access_key_id,
	    res.secret_access_key, o.data_dir, WK_DATA_CREDENTIALS,
	    o.data_dir, WK_DATA_CONFIG);
	wk_explicit_bzero(&res, sizeof(res));
	if (tls)
		return tls_made(o.data_dir, &names, listen);
	return 0;
}

/*
 * The pin a new token carries: --pin, --pin-cert's first certificate, or
 * by default DATA/tls/ca.pem's when it exists. Returns 1 with a pin, 0
 * without one, or a WK_ERR_* after saying why on stderr (--pin's own
 * error is the caller's usage message).
 */
static int
token_pin(const char *data, const char *pin_text, const char *pin_cert,
    bool no_pin, uint8_t pin[static WK_SPKI_PIN_LEN],
    char pin_hex[static WK_SPKI_PIN_HEX_LEN + 1], char *ca_path,
    size_t ca_pathsz)
{
	const char *file = pin_cert;
	int r;

	if (no_pin)
		return 0;
	if (pin_text != NULL) {
		if ((r = wk_spki_pin_parse(pin_text, pin)) != 0)
			return r;
		wk_spki_pin_hex(pin, pin_hex);
		return 1;
	}
	if (file == NULL) {
		if (wk_data_path(data, "tls/ca.pem", ca_path, ca_pathsz) != 0)
			return WK_ERR_TOOBIG;
		file = ca_path;
	}
	r = wk_spki_pin_pem_file(file, pin_hex);
	if (r == WK_ERR_NOTFOUND && pin_cert == NULL)
		return 0;	/* no TLS CA: a token without a pin */
	if (r != 0) {
		fprintf(stderr, "wicketd token: %s: %s\n", file,
		    r == WK_ERR_INVAL ? "no PEM certificate in it" :
		    r == WK_ERR_NOTFOUND ? "no such file" : wk_strerror(r));
		return r;
	}
	return wk_spki_pin_parse(pin_hex, pin) == 0 ? 1 : WK_ERR_INTERNAL;
}

static int
cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "ttl", required_argument, NULL, 't' },
		{ "address-allow", required_argument, NULL, 'a' },
		{ "pin", required_argument, NULL, 'P' },
		{ "pin-cert", required_argument, NULL, 'C' },
		{ "no-pin", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *pin_text = NULL, *pin_cert = NULL;
	bool no_pin = false;
	unsigned ttl = 3600;
	struct wk_store *st = NULL;
	struct wk_addr_allow allow;
	uint8_t pin[WK_SPKI_PIN_LEN];
	const uint8_t *use_pin = NULL;
	char token[WK_JOIN_TOKEN_MAX + 1], why[1400];
	char pin_hex[WK_SPKI_PIN_HEX_LEN + 1], ca_path[4096];
	char allow_text[WK_STORE_TOKEN_ALLOW_MAX + 1];
	int ch, r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(token_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "create") != 0)
		return usage_error("token", "unknown subcommand '%s'",
		    argv[1]);
	argc--;
	argv++;
	memset(&allow, 0, sizeof(allow));
	while ((ch = getopt_long(argc, argv, "d:t:a:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 't':
			if (parse_uint(optarg, 60, 604800, &ttl) != 0)
				return usage_error("token", "--ttl must be "
				    "60..604800 seconds, not '%s'", optarg);
			break;
		case 'a':
			if (wk_addr_allow_parse(optarg, &allow, why,
			    sizeof(why)) != 0)
				return usage_error("token", "--address-allow: "
				    "%s", why);
			break;
		case 'P': pin_text = optarg; break;
		case 'C': pin_cert = optarg; break;
		case 'N': no_pin = true; break;
		case 'h': fputs(token_help, stdout); return 0;
		default: return usage_error("token", "bad option");
		}
	}
	if (optind != argc)
		return usage_error("token", "unexpected argument '%s'",
		    argv[optind]);
	if (data == NULL)
		return usage_error("token", "--data DIR is required");
	if ((pin_text != NULL) + (pin_cert != NULL) + no_pin > 1)
		return usage_error("token", "--pin, --pin-cert and --no-pin "
		    "exclude each other");
	if ((r = token_pin(data, pin_text, pin_cert, no_pin, pin, pin_hex,
	    ca_path, sizeof(ca_path))) < 0)
		return r == WK_ERR_INVAL && pin_text != NULL ?
		    usage_error("token", "--pin must be 64 hex digits (or "
		    "sha256:HEX), not '%s'", pin_text) : 1;
	if (r == 1)
		use_pin = pin;
	if (wk_addr_allow_format(&allow, allow_text, sizeof(allow_text)) != 0)
		return usage_error("token", "--address-allow: the list is too "
		    "long");
	why[0] = '\0';
	if (wk_data_open_store(data, &st, why, sizeof(why)) != 0) {
		fprintf(stderr, "wicketd token: %s\n", why);
		return 1;
	}
	r = wk_token_create(st, ttl, wk_wall_now(), allow_text, use_pin,
	    token, sizeof(token));
	wk_store_close(st);
	if (r != 0) {
		fprintf(stderr, "wicketd token: cannot create a token: %s\n",
		    wk_strerror(r));
		return 1;
	}
	printf("%s\n", token);
	if (use_pin != NULL)
		fprintf(stderr, "wicketd token: pins sha256:%s (%s)\n", pin_hex,
		    pin_cert != NULL ? pin_cert : pin_text != NULL ? "--pin" :
		    ca_path);
	else
		fprintf(stderr, "wicketd token: no pin: the agent must verify "
		    "wicketd with https and --ca-file, --ca-cert-hash or the "
		    "system store (plain http: loopback only)\n");
	wk_explicit_bzero(token, sizeof(token));
	return 0;
}

static int
load_server(struct wk_server *srv, char *why, size_t whysz)
{
	char *v = NULL, ttl[16];
	int r;

	if ((r = wk_data_open_store(srv->cfg.data_dir, &srv->store, why,
	    whysz)) != 0)
		return r;
	/* replicas on PostgreSQL: the store's signing keys first */
	if ((r = wk_signing_shared_start(srv, why, whysz)) != 0 ||
	    (r = wk_signing_server_load(srv, why, whysz)) != 0)
		return r;
	if ((r = wk_store_meta_get(srv->store, "account_id", &v)) != 0 ||
	    !wk_valid_account_id(v)) {
		snprintf(why, whysz, "the database has no valid account_id");
		wk_free(v);
		return r != 0 ? r : WK_ERR_INVAL;
	}
	snprintf(srv->account_id, sizeof(srv->account_id), "%s", v);
	wk_free(v);
	v = NULL;
	if ((r = wk_store_meta_get(srv->store, "region", &v)) != 0 ||
	    !wk_valid_region(v)) {
		snprintf(why, whysz, "the database has no valid region");
		wk_free(v);
		return r != 0 ? r : WK_ERR_INVAL;
	}
	snprintf(srv->region, sizeof(srv->region), "%s", v);
	wk_free(v);
	/* `signing-key retire` waits for records signed with this ttl */
	snprintf(ttl, sizeof(ttl), "%u", srv->cfg.key_ttl_seconds);
	if ((r = wk_store_meta_set(srv->store, WK_SIGNING_META_KEY_TTL,
	    ttl)) != 0) {
		snprintf(why, whysz, "cannot record the key ttl: %s",
		    wk_strerror(r));
		return r;
	}
	return 0;
}

/*
 * The listener's certificate: the files given, else the data directory's
 * (`init --tls`) when both exist, else none (plain HTTP).
 */
static int
load_tls(struct wk_server *srv, const char *cert, const char *key,
    const char *chain, char *why, size_t whysz)
{
	char dcert[1200], dkey[1200];
	struct stat sb;
	int r;

	if (cert == NULL) {
		bool has_cert, has_key;

		if (wk_data_path(srv->cfg.data_dir, WK_DATA_TLS_CERT, dcert,
		    sizeof(dcert)) != 0 ||
		    wk_data_path(srv->cfg.data_dir, WK_DATA_TLS_KEY, dkey,
		    sizeof(dkey)) != 0)
			return 0;
		has_cert = stat(dcert, &sb) == 0;
		has_key = stat(dkey, &sb) == 0;
		if (!has_cert && !has_key)
			return 0;
		/* half a pair is a broken setup, not a reason for plain HTTP */
		if (!has_cert || !has_key) {
			snprintf(why, whysz, "%.500s exists but %.500s does not: "
			    "restore it (a missing key: `wicketd tls renew "
			    "--new-key`)",
			    has_cert ? dcert : dkey, has_cert ? dkey : dcert);
			return WK_ERR_NOTFOUND;
		}
		cert = dcert;
		key = dkey;
	}
	if ((r = wk_tls_new(cert, key, chain, &srv->tls, why, whysz)) != 0)
		return r;
	wk_log(WK_LOG_INFO, "tls", "cert=%s key=%s chain=%s serial=%s "
	    "spki_sha256=%s", cert, key, chain != NULL ? chain : "-",
	    wk_tls_served(srv->tls)->serial,
	    wk_tls_served(srv->tls)->spki_sha256);
	return 0;
}

/* true when the host of "ADDR:PORT" / "[ADDR]:PORT" is a loopback
 * address (127.0.0.0/8, ::1, ::ffff:127.x.y.z) */
static bool
listen_is_loopback(const char *listen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *end;
	size_t len;
	struct in_addr a4;
	struct in6_addr a6;

	if (listen[0] == '[') {
		listen++;
		end = strchr(listen, ']');
	} else {
		end = strrchr(listen, ':');
	}
	if (end == NULL || (len = (size_t)(end - listen)) == 0 ||
	    len >= sizeof(host))
		return false;
	memcpy(host, listen, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) != 1)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

/*
 * Plain HTTP only where nothing crosses a network: on loopback, or when
 * the operator says so (--insecure-http: behind a TLS-terminating proxy
 * on the same host, or a lab), and then with a warning.
 */
static int
plain_http_allowed(struct wk_server *srv, bool insecure_http, char *why,
    size_t whysz)
{
	if (srv->tls != NULL) {
		if (insecure_http)
			wk_log(WK_LOG_INFO, "start", "insecure_http=ignored "
			    "message=\"TLS is on (%s): --insecure-http has no "
			    "effect\"", WK_DATA_TLS_CERT);
		return 0;
	}
	if (listen_is_loopback(srv->cfg.listen))
		return 0;
	if (!insecure_http) {
		snprintf(why, whysz, "refusing plain HTTP on %s, which is not "
		    "a loopback address: access keys, console passwords and "
		    "agent secrets would cross the network in clear text. "
		    "Serve HTTPS (`wicketd tls init --data %.200s`, or --tls-cert "
		    "and --tls-key), listen on 127.0.0.1, or pass "
		    "--insecure-http (behind a TLS-terminating proxy)",
		    srv->cfg.listen, srv->cfg.data_dir);
		wk_log(WK_LOG_ERROR, "start", "outcome=refused "
		    "reason=plain_http_not_loopback listen=%s",
		    srv->cfg.listen);
		return WK_ERR_DENIED;
	}
	wk_log(WK_LOG_WARN, "insecure_http", "listen=%s message=\"serving "
	    "plain HTTP on a non-loopback address (--insecure-http): "
	    "credentials and session cookies cross the network in clear text "
	    "unless a TLS-terminating proxy is in front\"", srv->cfg.listen);
	return 0;
}

/*
 * Each connection needs a descriptor: raise the soft RLIMIT_NOFILE to the
 * hard one (a descriptor costs nothing until used, and a fleet
 * reconnecting after a restart must not meet EMFILE), and log both. When
 * max connections + FD_RESERVED does not fit the hard limit,
 * an explicit --max-connections is refused (wicketd would otherwise run
 * out of descriptors and fail accepts under load, which an attacker can
 * cause); the default is lowered to what fits, and said so.
 */
static int
fit_fd_limit(unsigned *maxconn, bool explicit_max, char *why, size_t whysz)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)*maxconn + FD_RESERVED;
	char cur[24], max[24];

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		snprintf(why, whysz, "cannot read the descriptor limit: %s",
		    strerror(errno));
		return WK_ERR_IO;
	}
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		if (explicit_max || rl.rlim_max <= FD_RESERVED + 16) {
			snprintf(why, whysz, "--max-connections %u needs %llu "
			    "file descriptors (%u more for the database, "
			    "logs, listener and console terminals), but the "
			    "hard limit is %llu. Raise it (`ulimit -Hn %llu` "
			    "as root before starting wicketd, or "
			    "LimitNOFILE=%llu in the systemd unit) or lower "
			    "--max-connections to %llu or less", *maxconn,
			    (unsigned long long)want, FD_RESERVED,
			    (unsigned long long)rl.rlim_max,
			    (unsigned long long)want,
			    (unsigned long long)want,
			    rl.rlim_max > FD_RESERVED ?
			    (unsigned long long)(rl.rlim_max - FD_RESERVED) :
			    0ull);
			return WK_ERR_LIMIT;
		}
		wk_log(WK_LOG_WARN, "fd_limit", "max_connections=%llu "
		    "default=%u hard_nofile=%llu message=\"the descriptor "
		    "limit allows fewer connections than the default; raise "
		    "LimitNOFILE to serve more\"",
		    (unsigned long long)(rl.rlim_max - FD_RESERVED), *maxconn,
		    (unsigned long long)rl.rlim_max);
		*maxconn = (unsigned)(rl.rlim_max - FD_RESERVED);
		want = rl.rlim_max;
	}
	if (rl.rlim_max != RLIM_INFINITY)
		want = rl.rlim_max;	/* all of it */
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			snprintf(why, whysz, "cannot raise the descriptor "
			    "limit to %llu: %s", (unsigned long long)want,
			    strerror(errno));
			return WK_ERR_IO;
		}
	}
	snprintf(cur, sizeof(cur), "%llu", (unsigned long long)rl.rlim_cur);
	snprintf(max, sizeof(max), "%llu", (unsigned long long)rl.rlim_max);
	wk_log(WK_LOG_INFO, "fd_limit", "nofile=%s hard_nofile=%s "
	    "max_connections=%u", rl.rlim_cur == RLIM_INFINITY ?
	    "unlimited" : cur, rl.rlim_max == RLIM_INFINITY ? "unlimited" :
	    max, *maxconn);
	return 0;
}

/*
 * Every second: the count lines of repeated failures whose window ended
 * (common/log.h), even when nothing else is logged after a burst.
 */
static void
log_flush_timer(void *arg)
{
	struct wk_loop *loop = arg;

	wk_log_repeat_flush();
	(void)wk_loop_timer_add(loop, 1000, log_flush_timer, loop);
}

/* Before each scrape: the gauges read from the hub and the store. */
static void
metrics_collect(void *arg)
{
	struct wk_server *srv = arg;
	size_t online = 0, held = 0;

	wk_agent_hub_counts(srv->hub, &online, &held);
	wk_metrics_gauge_set(WK_MG_AGENTS_ONLINE, online);
	wk_metrics_gauge_set(WK_MG_POLLS_HELD, held);
	wk_metrics_gauge_set(WK_MG_STORE_ERRORS,
	    wk_store_error_count(srv->store));
}

static int
cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "key-ttl", required_argument, NULL, 't' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "max-connections-per-ip", required_argument, NULL, 'P' },
		{ "header-timeout-ms", required_argument, NULL, 'H' },
		{ "body-timeout-ms", required_argument, NULL, 'B' },
		{ "web-dir", required_argument, NULL, 'w' },
		{ "trusted-proxy", required_argument, NULL, 'X' },
		{ "metrics-listen", required_argument, NULL, 'M' },
		{ "single-use", no_argument, NULL, 'O' },
		{ "record-sessions", no_argument, NULL, 'R' },
		{ "recording-max-bytes", required_argument, NULL, 'G' },
		{ "recording-retention", required_argument, NULL, 'D' },
		{ "agent-address-allow", required_argument, NULL, 'A' },
		{ "agent-admit-rate", required_argument, NULL, 'N' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "tls-chain", required_argument, NULL, 'S' },
		{ "insecure-http", no_argument, NULL, 'I' },
		{ "throttle-key", required_argument, NULL, 'T' },
		{ "throttle-account", required_argument, NULL, 'U' },
		{ "audit-batch-max", required_argument, NULL, 'J' },
		{ "audit-batch-wait-ms", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const levels[] = { "debug", "info", "warn",
	    "error" };
	struct wk_server srv;
	const char *data = NULL, *listen = NULL, *metrics_addr = NULL;
	struct wk_metrics_listener *metrics = NULL;
	const char *tls_cert = NULL, *tls_key = NULL, *tls_chain = NULL;
	unsigned ttl = 60, maxconn = MAXCONN_DEFAULT, per_ip = 0;
	unsigned header_ms = 0, body_ms = 0;
	unsigned admit_rate = WK_HUB_ADMIT_RATE;
	unsigned batch_max = WK_AUDIT_BATCH_MAX_DEFAULT;
	unsigned batch_wait = WK_AUDIT_BATCH_WAIT_DEFAULT_MS;
	bool single_use = false, explicit_max = false, insecure_http = false;
	bool record_sessions = false;
	unsigned rec_max = (unsigned)WK_RECORDING_MAX_BYTES_DEFAULT;
	unsigned rec_days = WK_RECORDING_RETENTION_DAYS_DEFAULT;
	struct wk_rate throttle_key = { WK_THROTTLE_KEY_RATE,
		WK_THROTTLE_KEY_BURST };
	struct wk_rate throttle_account = { 0, 0 };
	sigset_t mask;
	char why[1400];
	int ch, r, level = WK_LOG_INFO, rc = 1;

	memset(&srv, 0, sizeof(srv));

	while ((ch = getopt_long(argc, argv, "d:l:t:L:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 'l': listen = optarg; break;
		case 't':
			if (parse_uint(optarg, 1, 3600, &ttl) != 0)
				return usage_error("serve", "--key-ttl must be "
				    "1..3600 seconds, not '%s'", optarg);
			break;
		case 'w':
			if (wk_console_set_web_dir(optarg) != 0)
				return usage_error("serve", "--web-dir is too "
				    "long");
			break;
		case 'm':
			if (parse_uint(optarg, 1, 1000000, &maxconn) != 0)
				return usage_error("serve", "--max-connections "
				    "must be 1..1000000, not '%s'", optarg);
			explicit_max = true;
			break;
		case 'P':
			if (parse_uint(optarg, 1, 1000000, &per_ip) != 0)
				return usage_error("serve", "--max-connections-"
				    "per-ip must be 1..1000000, not '%s'",
				    optarg);
			break;
		case 'H':
			if (parse_uint(optarg, 100, WK_HTTP_TIMEOUT_MAX_MS,
			    &header_ms) != 0)
				return usage_error("serve", "--header-timeout-"
				    "ms must be 100..3600000, not '%s'",
				    optarg);
			break;
		case 'B':
			if (parse_uint(optarg, 100, WK_HTTP_TIMEOUT_MAX_MS,
			    &body_ms) != 0)
				return usage_error("serve", "--body-timeout-ms "
				    "must be 100..3600000, not '%s'", optarg);
			break;
		case 'L':
			level = -1;
			for (int i = 0; i < 4; i++)
				if (strcmp(optarg, levels[i]) == 0)
					level = i;
			if (level < 0)
				return usage_error("serve", "--log-level must "
				    "be debug, info, warn or error, not '%s'",
				    optarg);
			break;
		case 'X':
			if (wk_addr_allow_parse(optarg,
			    &srv.cfg.trusted_proxies, why, sizeof(why)) != 0)
				return usage_error("serve",
				    "--trusted-proxy: %s", why);
			break;
		case 'M': metrics_addr = optarg; break;
		case 'O': single_use = true; break;
		case 'R': record_sessions = true; break;
		case 'G':
			if (parse_uint(optarg, WK_RECORDING_MIN_BYTES,
			    WK_RECORDING_MAX_BYTES_MAX, &rec_max) != 0)
				return usage_error("serve", "--recording-max-"
				    "bytes must be 4096..1073741824, not '%s'",
				    optarg);
			break;
		case 'D':
			if (parse_uint(optarg, 0, 36500, &rec_days) != 0)
				return usage_error("serve", "--recording-"
				    "retention must be 0..36500 days (0: kept "
				    "forever), not '%s'", optarg);
			break;
		case 'A':
			if (wk_addr_allow_parse(optarg,
			    &srv.cfg.agent_address_allow, why,
			    sizeof(why)) != 0)
				return usage_error("serve",
				    "--agent-address-allow: %s", why);
			break;
		case 'N':
			if (parse_uint(optarg, 0, 1000000, &admit_rate) != 0)
				return usage_error("serve", "--agent-admit-rate "
				    "must be 0..1000000, not '%s'", optarg);
			break;
		case 'C': tls_cert = optarg; break;
		case 'K': tls_key = optarg; break;
		case 'S': tls_chain = optarg; break;
		case 'I': insecure_http = true; break;
		case 'T':
		case 'U':
			if (wk_rate_parse(optarg, ch == 'T' ? &throttle_key :
			    &throttle_account, why, sizeof(why)) != 0)
				return usage_error("serve", "--throttle-%s: %s",
				    ch == 'T' ? "key" : "account", why);
			break;
		case 'J':
			if (parse_uint(optarg, 1, WK_AUDIT_BATCH_MAX,
			    &batch_max) != 0)
				return usage_error("serve", "--audit-batch-max "
				    "must be 1..%d, not '%s'",
				    WK_AUDIT_BATCH_MAX, optarg);
			break;
		case 'W':
			if (parse_uint(optarg, 0, WK_AUDIT_BATCH_WAIT_MAX_MS,
			    &batch_wait) != 0)
				return usage_error("serve",
				    "--audit-batch-wait-ms must be 0..%d, not "
				    "'%s'", WK_AUDIT_BATCH_WAIT_MAX_MS, optarg);
			break;
		case 'h': fputs(serve_help, stdout); return 0;
		default: return usage_error("serve", "bad option");
		}
	}
	if (optind != argc)
		return usage_error("serve", "unexpected argument '%s'",
		    argv[optind]);
	if (data == NULL || listen == NULL)
		return usage_error("serve", "--data DIR and --listen ADDR:PORT "
		    "are required");
	if ((tls_cert == NULL) != (tls_key == NULL))
		return usage_error("serve", "--tls-cert and --tls-key go "
		    "together");
	if (tls_chain != NULL && tls_cert == NULL)
		return usage_error("serve", "--tls-chain needs --tls-cert and "
		    "--tls-key");
	if (insecure_http && tls_cert != NULL)
		return usage_error("serve", "--insecure-http contradicts "
		    "--tls-cert");
	if (strlen(data) >= sizeof(srv.cfg.data_dir) ||
	    strlen(listen) >= sizeof(srv.cfg.listen))
		return usage_error("serve", "argument too long");
	snprintf(srv.cfg.data_dir, sizeof(srv.cfg.data_dir), "%s", data);
	snprintf(srv.cfg.listen, sizeof(srv.cfg.listen), "%s", listen);
	srv.cfg.key_ttl_seconds = ttl;
	wk_throttle_configure(throttle_key, throttle_account);
	srv.cfg.agent_poll_seconds = 25;
	srv.cfg.agent_offline_seconds = 70;
	srv.cfg.agent_admit_rate = admit_rate;
	srv.cfg.single_use = single_use;
	srv.cfg.record_sessions = record_sessions;
	srv.cfg.recording_max_bytes = rec_max;
	srv.cfg.recording_retention_days = rec_days;
	srv.cfg.header_timeout_ms = header_ms;
	srv.cfg.body_timeout_ms = body_ms;
	srv.cfg.max_connections_per_ip = per_ip;
	wk_log_set_level((enum wk_log_level)level);
	why[0] = '\0';
	if (fit_fd_limit(&maxconn, explicit_max, why, sizeof(why)) != 0) {
		fprintf(stderr, "wicketd serve: %s\n", why);
		wk_log(WK_LOG_ERROR, "start", "outcome=refused "
		    "reason=fd_limit max_connections=%u", maxconn);
		return 1;
	}
	srv.cfg.max_connections = maxconn;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);	/* signing_keys.c reads it */
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	why[0] = '\0';
	if ((r = load_server(&srv, why, sizeof(why))) != 0 ||
	    (r = load_tls(&srv, tls_cert, tls_key, tls_chain, why,
	    sizeof(why))) != 0 ||
	    (r = plain_http_allowed(&srv, insecure_http, why,
	    sizeof(why))) != 0) {
		fprintf(stderr, "wicketd serve: %s\n", why);
		goto out;
	}
	if ((r = wk_loop_new(&srv.loop)) != 0 ||
	    (r = wk_authz_cache_new(&srv.authz)) != 0 ||
	    (r = wk_agent_hub_new(&srv, &srv.hub)) != 0 ||
	    (r = wk_agent_hub_replicas_start(srv.hub)) != 0 ||
	    (r = wk_signing_watch_start(&srv)) != 0 ||
	    (r = wk_last_used_start(&srv)) != 0 ||
	    (r = wk_console_recordings_start(&srv)) != 0 ||
	    (r = wk_audit_batch_start(&srv, batch_max, batch_wait)) != 0) {
		fprintf(stderr, "wicketd serve: start-up failed: %s\n",
		    wk_strerror(r));
		goto out;
	}
	(void)wk_loop_timer_add(srv.loop, 1000, log_flush_timer, srv.loop);
	wk_metrics_set_start_time(wk_wall_now());
	wk_metrics_on_scrape(metrics_collect, &srv);
	if (metrics_addr != NULL && (r = wk_metrics_listen(srv.loop,
	    metrics_addr, &metrics, NULL)) != 0) {
		fprintf(stderr, "wicketd serve: --metrics-listen %s: %s\n",
		    metrics_addr, r == WK_ERR_INVAL ? "not ADDR:PORT with a "
		    "numeric address" : "cannot listen there");
		goto out;
	}
	wk_log(WK_LOG_INFO, "start", "version=%s account_id=%s region=%s "
	    "data=%s", WK_VERSION, srv.account_id, srv.region,
	    srv.cfg.data_dir);
	if (srv.cfg.trusted_proxies.n > 0 &&
	    wk_addr_allow_format(&srv.cfg.trusted_proxies, why,
	    sizeof(why)) == 0)
		wk_log(WK_LOG_INFO, "trusted_proxies", "cidrs=%s "
		    "message=\"X-Forwarded-For/-Proto are read from these "
		    "peers only\"", why);
	if ((r = wk_http_serve(&srv, wk_routes)) != 0) {
		fprintf(stderr, "wicketd serve: cannot serve on %s: %s\n",
		    listen, wk_strerror(r));
		goto out;
	}
	rc = 0;
 out:
	/* Console sessions, terminals and the password-check pool (joined)
	 * go before the loop they watch fds on. */
	wk_console_reset();
	wk_console_recordings_stop();
	/* queued audit events written, their callers' answers dropped
	 * (the listener is gone); before the hub their records go to */
	wk_audit_batch_stop();
	wk_metrics_listener_free(metrics);
	wk_metrics_on_scrape(NULL, NULL);
	wk_last_used_stop();	/* the keys' last use, written */
	wk_signing_watch_stop(&srv);
	wk_agent_hub_free(srv.hub);
	wk_authz_cache_free(srv.authz);
	wk_readcache_reset();	/* the cached access keys' secrets, wiped */
	wk_sigkey_cache_reset();	/* and the derived signing keys */
	wk_loop_free(srv.loop);
	wk_signing_server_cleanup(&srv);
	wk_store_close(srv.store);
	wk_tls_free(srv.tls);
	wk_log_repeat_flush_all();	/* what was counted, said */
	return rc;
}

/* The key ttl `retire` must wait for: as recorded by the last serve. */
static unsigned
recorded_key_ttl(const char *data)
{
	struct wk_store *st = NULL;
	char why[1400], *v = NULL;
	unsigned ttl = WK_SIGNING_KEY_TTL_MAX;

	if (wk_data_open_store(data, &st, why, sizeof(why)) != 0)
		return ttl;
	if (wk_store_meta_get(st, WK_SIGNING_META_KEY_TTL, &v) == 0 &&
	    v != NULL && parse_uint(v, 1, WK_SIGNING_KEY_TTL_MAX, &ttl) != 0)
		ttl = WK_SIGNING_KEY_TTL_MAX;
	wk_free(v);
	wk_store_close(st);
	return ttl;
}

/*
 * For a data directory on PostgreSQL: *st opened and DIR synced with the
 * store's signing keys (docs/replicas.md), at generation *gen. NULL for
 * SQLite.
 */
static int
signing_shared_open(const char *data, struct wk_store **st, int64_t *gen,
    char *why, size_t whysz)
{
	char loc[2048];
	int r;

	*st = NULL;
	if ((r = wk_data_store_location(data, loc, sizeof(loc), why,
	    whysz)) != 0)
		return r;
	if (!wk_store_is_postgres(loc))
		return 0;
	if ((r = wk_data_open_store(data, st, why, whysz)) != 0)
		return r;
	if ((r = wk_signing_sync(*st, data, NULL, gen, why, whysz)) != 0) {
		wk_store_close(*st);
		*st = NULL;
	}
	return r;
}

static int
signing_list(const char *data)
{
	struct wk_signing_info info[WK_SIGNING_NROLES];
	char why[1400], when[21];
	size_t n;

	why[0] = '\0';
	if (wk_signing_list(data, info, &n, why, sizeof(why)) != 0) {
		fprintf(stderr, "wicketd signing-key list: %s\n", why);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		wk_time_iso8601(info[i].since, when);
		printf("%s %-8s %s %s\n", info[i].id,
		    wk_signing_role_name(info[i].role), when,
		    wk_signing_file(info[i].role));
	}
	return 0;
}

static int
cmd_signing_key(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "key-ttl", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *sub;
	char why[1400], id[WK_SIGNKEY_ID_LEN + 1];
	struct wk_store *st = NULL;
	int64_t gen = 0;
	unsigned ttl = 0;
	bool force = false;
	int ch, r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(signing_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	sub = argv[1];
	if (strcmp(sub, "next") != 0 && strcmp(sub, "promote") != 0 &&
	    strcmp(sub, "retire") != 0 && strcmp(sub, "list") != 0)
		return usage_error("signing-key", "unknown subcommand '%s'",
		    sub);
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "d:ft:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 'f': force = true; break;
		case 't':
			if (parse_uint(optarg, 1, WK_SIGNING_KEY_TTL_MAX,
			    &ttl) != 0)
				return usage_error("signing-key", "--key-ttl "
				    "must be 1..3600 seconds, not '%s'",
				    optarg);
			break;
		case 'h': fputs(signing_help, stdout); return 0;
		default: return usage_error("signing-key", "bad option");
		}
	}
	if (optind != argc)
		return usage_error("signing-key", "unexpected argument '%s'",
		    argv[optind]);
	if (data == NULL)
		return usage_error("signing-key", "--data DIR is required");
	if (force && strcmp(sub, "promote") != 0)
		return usage_error("signing-key", "--force is for promote");
	if (ttl != 0 && strcmp(sub, "retire") != 0)
		return usage_error("signing-key", "--key-ttl is for retire");
	why[0] = '\0';
	/* replicas on PostgreSQL: start from the service's keys */
	if ((r = signing_shared_open(data, &st, &gen, why,
	    sizeof(why))) != 0) {
		fprintf(stderr, "wicketd signing-key %s: %s\n", sub, why);
		return 1;
	}
	if (strcmp(sub, "list") == 0) {
		wk_store_close(st);
		return signing_list(data);
	}
	if (strcmp(sub, "next") == 0) {
		if ((r = wk_signing_next(data, id, why, sizeof(why))) == 0)
			printf("%s next %s/%s\n", id, data,
			    WK_DATA_SIGNING_NEXT_KEY);
	} else if (strcmp(sub, "promote") == 0) {
		r = wk_signing_promote(data, wk_wall_now(), force ? 0 :
		    WK_SIGNING_ANNOUNCE_MIN_S, why, sizeof(why));
	} else {
		if (ttl == 0)
			ttl = recorded_key_ttl(data);
		r = wk_signing_retire(data, wk_wall_now(),
		    ttl + WK_SIGNING_SKEW_S, why, sizeof(why));
	}
	/* ... and every replica (NOTIFY 'k') takes the result */
	if (r == 0 && st != NULL)
		r = wk_signing_publish(st, data, gen, why, sizeof(why));
	wk_store_close(st);
	if (r != 0) {
		fprintf(stderr, "wicketd signing-key %s: %s\n", sub, why);
		return 1;
	}
	if (strcmp(sub, "next") != 0)
		return signing_list(data);
	return 0;
}

static const struct command commands[] = {
	{ .name = "init", .summary = "create a data directory",
	    .help = init_help, .run = cmd_init },
	{ .name = "serve", .summary = "run the server",
	    .help = serve_help, .run = cmd_serve },
	{ .name = "token", .summary = "join tokens",
	    .help = token_help, .run = cmd_token },
	{ .name = "signing-key", .summary = "signing-key rotation",
	    .help = signing_help, .run = cmd_signing_key },
	{ .name = "tls", .summary = "the server's TLS certificate",
	    .help = wk_tls_help, .run = wk_cmd_tls },
	{ .name = "migrate", .summary = "schema migrations",
	    .help = wk_migrate_help, .run = wk_cmd_migrate },
	{ .name = "store", .summary = "store copy",
	    .help = wk_store_help, .run = wk_cmd_store },
};

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(main_help, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(main_help, stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("wicketd %s\n", WK_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "wicketd: unknown command '%s'\nTry `wicketd "
	    "--help`.\n", argv[1]);
	return EXIT_USAGE;
}
