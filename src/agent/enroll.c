/*
 * enroll.c - `wicket-agent enroll`: trade a join token for an instance id
 * and agent credential, and pin wicketd's signing keys in DIR/trust.
 *
 * Address: when --address is not given, the agent sends "" and wicketd
 * records the source address of the enroll request (docs/protocols.md).
 * That is the address the host reached wicketd from, which is what clients
 * on the same network reach it at; behind NAT pass --address, which
 * wicketd accepts only inside what the operator allows (the join token's
 * --address-allow, or wicketd serve --agent-address-allow).
 */
#include "agent/agent.h"
#include "agent/failover.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/log.h"
#include "crypto/join_token.h"

#define ENROLL_TIMEOUT_MS 30000L
/*
 * 0711, not 0700: wicket-authorized-keys runs as an unprivileged user and
 * must reach DIR/trust (0644). Nobody else can list DIR, and the secret in
 * state.json is protected by that file's own 0600.
 */
#define STATE_DIR_MODE 0711

static const char enroll_usage[] =
"usage: wicket-agent enroll --server URL [--server URL]... --token TOKEN\n"
"           --state DIR\n"
"           [--ca-cert-hash sha256:HEX] [--ca-file FILE] [--insecure-http]\n"
"           [--address ADDR] [--ssh-port PORT] [--hostname NAME]\n"
"           [--host-key FILE]... [--force]\n"
"\n"
"Enrolls this host with wicketd: sends the join token, the host name,\n"
"address, SSH port and sshd host public keys to URL/agent/v1/enroll,\n"
"then writes DIR/state.json (0600: server, instance id, agent secret) and\n"
"DIR/trust (0644: the pinned signing keys). DIR is created 0711 (the\n"
"helper's user must reach DIR/trust; state.json stays 0600). Prints\n"
"the new instance id on standard output.\n"
"\n"
"The agent never trusts wicketd on first use: over https it verifies the\n"
"server with the pin the join token carries (wkjt-SECRET.PIN: the SHA-256\n"
"of a public key, usually the CA's, that must be in the server's chain),\n"
"--ca-cert-hash, --ca-file, or else the system CA store, and keeps that\n"
"trust in DIR/state.json for every later connection (docs/agent-tls.md).\n"
"Plain http only to a loopback address, unless --insecure-http.\n"
"\n"
"  --server URL      wicketd's base URL (http:// or https://); repeat it\n"
"                    for the replicas of one service (up to 8, one\n"
"                    scheme): enroll tries them in order, run moves to\n"
"                    the next when its server dies (docs/agent.md)\n"
"  --token TOKEN     the single-use join token (wkjt-...); if omitted,\n"
"                    read from the environment variable WICKET_JOIN_TOKEN\n"
"  --state DIR       the state directory (e.g. /var/lib/wicket)\n"
"  --ca-cert-hash sha256:HEX\n"
"                    the pin, when the token has none (kubeadm's spelling;\n"
"                    with a pinned token both must agree)\n"
"  --ca-file FILE    PEM CA bundle wicketd's chain must verify against\n"
"                    (kept in state.json; with a pin, both must hold)\n"
"  --insecure-http   allow plain http to a non-loopback address: the\n"
"                    agent secret and keys then cross the network in\n"
"                    clear text\n"
"  --address ADDR    the address clients connect to; default: the source\n"
"                    address wicketd sees (pass it when behind NAT).\n"
"                    wicketd refuses (AddressNotAllowed) any other\n"
"                    address the operator did not allow: `wicketd token\n"
"                    create --address-allow CIDR` or `wicketd serve\n"
"                    --agent-address-allow CIDR`. A name is resolved by\n"
"                    wicketd, which records the address it checked\n"
"  --ssh-port PORT   sshd's port (default 22)\n"
"  --hostname NAME   default: this host's name\n"
"  --host-key FILE   an sshd host public key (repeatable; default\n"
"                    " WK_AGENT_DEFAULT_HOST_KEYS ")\n"
"  --force           replace an existing enrollment in DIR\n";

static bool
hex64(const char *s)
{
	uint8_t raw[32];

	return strlen(s) == 64 &&
	    wk_hex_decode(wk_span_from_cstr(s), raw, sizeof(raw)) == 0;
}

/* Checks and stores wicketd's enroll reply; returns a process exit code. */
static int
take_reply(const char *dir, struct wk_agent_state *st,
    const struct wk_agent_reply *reply)
{
	struct wk_pubkey keys[WK_AGENT_MAX_SIGNING_KEYS];
	json_t *root;
	const char *id, *secret, *acct, *region;
	size_t nkeys;
	int r, rc = 1;

	root = json_loadb((const char *)reply->body.p, reply->body.len,
	    JSON_REJECT_DUPLICATES, NULL);
	id = json_string_value(json_object_get(root, "instance_id"));
	secret = json_string_value(json_object_get(root, "agent_secret"));
	acct = json_string_value(json_object_get(root, "account_id"));
	region = json_string_value(json_object_get(root, "region"));
	if (id == NULL || !wk_sock_instance_ok(id, strlen(id)) ||
	    secret == NULL || !hex64(secret)) {
		fprintf(stderr, "wicket-agent: enroll: malformed reply from "
		    "wicketd\n");
		goto out;
	}
	if ((r = wk_agent_parse_signing_keys(json_object_get(root,
	    "signing_keys"), keys, WK_AGENT_MAX_SIGNING_KEYS, &nkeys)) != 0) {
		fprintf(stderr, "wicket-agent: enroll: bad signing_keys in "
		    "reply: %s\n", wk_strerror(r));
		goto out;
	}
	if ((st->instance_id = wk_strdup(id)) == NULL ||
	    (st->agent_secret = wk_strdup(secret)) == NULL ||
	    (st->account_id = wk_strdup(acct != NULL ? acct : "")) == NULL ||
	    (st->region = wk_strdup(region != NULL ? region : "")) == NULL) {
		fprintf(stderr, "wicket-agent: out of memory\n");
		goto out;
	}
	if ((r = wk_agent_state_save(dir, st)) != 0 ||
	    (r = wk_agent_trust_write(dir, id, keys, nkeys)) != 0) {
		fprintf(stderr, "wicket-agent: enroll: writing %s: %s (%s)\n",
		    dir, wk_strerror(r), strerror(errno));
		goto out;
	}
	printf("%s\n", id);
	rc = fflush(stdout) == 0 ? 0 : 1;
 out:
	if (root != NULL) {
		/* The secret lives in jansson's copy too. */
		json_t *sv = json_object_get(root, "agent_secret");

		if (json_is_string(sv))
			json_string_set(sv, "");
	}
	json_decref(root);
	return rc;
}

static int
prepare_dir(const char *dir, bool force)
{
	struct wk_agent_state old;
	struct stat sb;
	int r;

	if (mkdir(dir, STATE_DIR_MODE) != 0 && errno != EEXIST) {
		fprintf(stderr, "wicket-agent: enroll: mkdir %s: %s\n", dir,
		    strerror(errno));
		return 1;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
	    chmod(dir, STATE_DIR_MODE) != 0) {
		fprintf(stderr, "wicket-agent: enroll: %s is not a usable "
		    "directory\n", dir);
		return 1;
	}
	r = wk_agent_state_load(dir, &old);
	if (r == 0) {
		if (!force) {
			fprintf(stderr, "wicket-agent: enroll: %s is already "
			    "enrolled as %s (use --force to replace it)\n",
			    dir, old.instance_id);
			wk_agent_state_cleanup(&old);
			return 1;
		}
		wk_agent_state_cleanup(&old);
	} else if (r != WK_ERR_NOTFOUND && !force) {
		fprintf(stderr, "wicket-agent: enroll: %s/state.json exists but "
		    "is unreadable (use --force to replace it)\n", dir);
		return 1;
	}
	return 0;
}

int
wk_agent_cmd_enroll(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token", required_argument, NULL, 't' },
		{ "state", required_argument, NULL, 'd' },
		{ "address", required_argument, NULL, 'a' },
		{ "ssh-port", required_argument, NULL, 'p' },
		{ "hostname", required_argument, NULL, 'n' },
		{ "host-key", required_argument, NULL, 'k' },
		{ "force", no_argument, NULL, 'f' },
		{ "ca-cert-hash", required_argument, NULL, 'H' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "insecure-http", no_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wk_agent_state st;
	struct wk_agent_reply reply;
	char *keypaths[WK_AGENT_MAX_HOST_KEYS];
	char default_keys[] = WK_AGENT_DEFAULT_HOST_KEYS;
	char hostname[256], url[4096], msg[512];
	char *servers[WK_FAILOVER_MAX_SERVERS];
	size_t nservers = 0, si;
	const char *token = NULL, *dir = NULL;
	const char *address = "", *name = NULL, *pin_arg = NULL;
	const char *ca_file = NULL, *why;
	struct wk_join_token jt;
	uint8_t pin[32];
	char tlsmsg[512];
	json_t *host_keys = NULL;
	char *body = NULL;
	size_t nkeys = 0, i;
	uint64_t port = 22;
	bool force = false;
	int c, r, rc = 1;

	memset(&st, 0, sizeof(st));
	memset(&jt, 0, sizeof(jt));
	memset(&reply, 0, sizeof(reply));
	wk_buf_init(&reply.body, 0);
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (nservers == WK_FAILOVER_MAX_SERVERS) {
				fprintf(stderr, "wicket-agent: enroll: at most "
				    "%d --server\n", WK_FAILOVER_MAX_SERVERS);
				return 2;
			}
			servers[nservers++] = optarg;
			break;
		case 't': token = optarg; break;
		case 'd': dir = optarg; break;
		case 'a': address = optarg; break;
		case 'n': name = optarg; break;
		case 'f': force = true; break;
		case 'H': pin_arg = optarg; break;
		case 'C': ca_file = optarg; break;
		case 'I': st.tls.insecure_http = true; break;
		case 'p':
			if (wk_cstr_to_u64(optarg, 65535, &port) != 0 ||
			    port == 0) {
				fprintf(stderr, "wicket-agent: enroll: bad "
				    "--ssh-port %s\n", optarg);
				return 2;
			}
			break;
		case 'k':
			if (nkeys == WK_AGENT_MAX_HOST_KEYS ||
			    optarg[0] != '/') {
				fprintf(stderr, "wicket-agent: enroll: "
				    "--host-key needs an absolute path (at "
				    "most %d)\n", WK_AGENT_MAX_HOST_KEYS);
				return 2;
			}
			keypaths[nkeys++] = optarg;
			break;
		case 'h':
			fputs(enroll_usage, stdout);
			return 0;
		default:
			fputs(enroll_usage, stderr);
			return 2;
		}
	}
	if (token == NULL)
		token = getenv("WICKET_JOIN_TOKEN");
	if (optind != argc || nservers == 0 || token == NULL || dir == NULL) {
		fprintf(stderr, "wicket-agent: enroll: --server, --token and "
		    "--state are required\n");
		fputs(enroll_usage, stderr);
		return 2;
	}
	if (strlen(token) == 0 || strlen(token) > 256 ||
	    strlen(address) > 64 || (name != NULL && strlen(name) > 253)) {
		fprintf(stderr, "wicket-agent: enroll: argument too long\n");
		return 2;
	}
	if (wk_join_token_parse(token, strlen(token), &jt, &why) != 0) {
		fprintf(stderr, "wicket-agent: enroll: malformed join token "
		    "(bad %s): expected wkjt-<32 letters or digits>[.<64 "
		    "lower-case hex>]\n", why);
		return 2;
	}
	if (jt.has_pin) {
		st.tls.has_pin = true;
		memcpy(st.tls.pin, jt.pin, sizeof(st.tls.pin));
	}
	if (pin_arg != NULL) {
		if (wk_spki_pin_parse(pin_arg, pin) != 0) {
			fprintf(stderr, "wicket-agent: enroll: --ca-cert-hash "
			    "must be sha256:<64 hex digits>\n");
			goto out;
		}
		if (st.tls.has_pin && memcmp(pin, st.tls.pin, 32) != 0) {
			fprintf(stderr, "wicket-agent: enroll: --ca-cert-hash "
			    "differs from the pin in the join token; refusing "
			    "(which one is right?)\n");
			goto out;
		}
		st.tls.has_pin = true;
		memcpy(st.tls.pin, pin, sizeof(st.tls.pin));
	}
	if (ca_file != NULL && wk_agent_tls_read_ca(ca_file, &st.tls.ca_pem,
	    tlsmsg, sizeof(tlsmsg)) != 0) {
		fprintf(stderr, "wicket-agent: enroll: --ca-file %s\n", tlsmsg);
		goto out;
	}
	if ((r = wk_agent_servers_set(&st, servers, nservers, tlsmsg,
	    sizeof(tlsmsg))) != 0) {
		fprintf(stderr, "wicket-agent: enroll: --server refused: %s\n",
		    r == WK_ERR_NOMEM ? "out of memory" : tlsmsg);
		rc = 2;
		goto out;
	}
	wk_agent_tls_describe(st.server, &st.tls, tlsmsg, sizeof(tlsmsg));
	fprintf(stderr, "wicket-agent: enroll: %s %s\n", st.server, tlsmsg);
	if (name == NULL) {
		if (gethostname(hostname, sizeof(hostname)) != 0)
			hostname[0] = '\0';
		hostname[sizeof(hostname) - 1] = '\0';
		name = hostname;
	}
	if (nkeys == 0)
		keypaths[nkeys++] = default_keys;
	st.ssh_port = (unsigned)port;
	if ((st.address = wk_strdup(address)) == NULL ||
	    (st.hostname = wk_strdup(name)) == NULL ||
	    (st.host_keys = wk_calloc(nkeys, sizeof(char *))) == NULL)
		goto nomem;
	for (i = 0; i < nkeys; i++) {
		if ((st.host_keys[i] = wk_strdup(keypaths[i])) == NULL)
			goto nomem;
		st.nhost_keys = i + 1;
	}
	if (prepare_dir(dir, force) != 0)
		goto out;
	if ((r = wk_agent_hostkeys_read(st.host_keys, st.nhost_keys,
	    keypaths[0] != default_keys, &host_keys)) != 0) {
		fprintf(stderr, "wicket-agent: enroll: no usable sshd host "
		    "public key (%s)\n", wk_strerror(r));
		goto out;
	}
	/* only the secret part goes to wicketd; the pin is ours to check */
	if ((r = wk_agent_register_body(&st, jt.secret, host_keys,
	    &body)) != 0)
		goto nomem;
	/* the servers in order: the first that answers (not 5xx) enrolls */
	for (si = 0; si < st.nservers; si++) {
		snprintf(url, sizeof(url), "%s/agent/v1/enroll",
		    st.servers[si]);
		wk_buf_cleanup_secret(&reply.body);
		r = wk_agent_http_sync(url, NULL, body, ENROLL_TIMEOUT_MS,
		    &st.tls, &reply, tlsmsg, sizeof(tlsmsg));
		if (r == WK_ERR_AUTH)
			fprintf(stderr, "wicket-agent: enroll: refused the "
			    "server %s: %s; nothing was sent\n",
			    st.servers[si], tlsmsg);
		else if (r != 0)
			fprintf(stderr, "wicket-agent: enroll: cannot reach "
			    "%s: %s\n", st.servers[si], tlsmsg);
		else if (reply.status < 500)
			break;
		else
			fprintf(stderr, "wicket-agent: enroll: %s answered "
			    "HTTP %ld\n", st.servers[si], reply.status);
	}
	if (si == st.nservers)
		goto out;
	if (reply.status != 200) {
		wk_agent_reply_error(&reply, msg, sizeof(msg));
		fprintf(stderr, "wicket-agent: enroll refused: %s\n", msg);
		goto out;
	}
	rc = take_reply(dir, &st, &reply);
	goto out;
 nomem:
	fprintf(stderr, "wicket-agent: out of memory\n");
 out:
	if (body != NULL)
		wk_freezero(body, strlen(body));
	json_decref(host_keys);
	wk_buf_cleanup_secret(&reply.body);
	wk_agent_state_cleanup(&st);
	wk_join_token_clear(&jt);
	return rc;
}
