/*
 * tls_cmd.c - `wicketd tls init|renew|show`: the data directory's TLS
 * files after `wicketd init` (tls_init.c makes them). A running `wicketd
 * serve` picks a renewed certificate up within seconds (or at once on
 * SIGHUP) without dropping connections.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/time.h"
#include "crypto/x509.h"
#include "server/wicketd.h"

#define EXIT_USAGE 2
#define PEM_MAX (256 * 1024)

const char wk_tls_help[] =
"Usage: wicketd tls init|renew|show --data DIR [OPTIONS]\n"
"\n"
"The certificate `wicketd serve` presents when it runs without --tls-cert:\n"
"  DIR/tls/ca.pem      the private CA: clients trust it (AWS_CA_BUNDLE,\n"
"                      aws --ca-bundle, wicket-agent)\n"
"  DIR/tls/ca.key      its key (0600): keep it safe, or offline between\n"
"                      renewals\n"
"  DIR/tls/server.pem  the server certificate, then the CA\n"
"  DIR/tls/server.key  its key (0600)\n"
"\n"
"Subcommands:\n"
"  init   make the CA and a server certificate (as `wicketd init --tls`);\n"
"         refused when any of the files exists\n"
"  renew  reissue server.pem from the same CA for the same names (or\n"
"         --tls-name), under the same key unless --new-key. Agents pin\n"
"         the CA's key by default, so a renewal never strands them; a\n"
"         running wicketd serves the new certificate within seconds\n"
"  show   print, for the CA and the server certificate, the subject, the\n"
"         names, the validity and the SPKI SHA-256 pin (hex)\n"
"\n"
"Options:\n"
"  -d, --data DIR          the data directory made by `wicketd init`\n"
"      --tls-name NAME[,NAME...]\n"
"                          init, renew: DNS names and IP addresses the\n"
"                          certificate is for (repeatable; init's default:\n"
"                          this host's name and the --listen address)\n"
"  -l, --listen ADDR:PORT  init: where `wicketd serve` listens\n"
"      --new-key           renew: a new server key too\n"
"  -h, --help              show this help\n";

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage(const char *fmt, ...)
{
	va_list ap;

	fputs("wicketd tls: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry `wicketd tls --help`.\n", stderr);
	return EXIT_USAGE;
}

static void
show_one(const char *what, const struct wk_x509_info *in, time_t now)
{
	char nb[21], na[21];

	wk_time_iso8601(in->not_before, nb);
	wk_time_iso8601(in->not_after, na);
	printf("%s:\n"
	    "  subject:      %s\n"
	    "  issuer:       %s\n"
	    "  names:        %s\n"
	    "  serial:       %s\n"
	    "  not before:   %s\n"
	    "  not after:    %s%s\n"
	    "  spki sha256:  %s\n", what, in->subject, in->issuer,
	    in->sans[0] != '\0' ? in->sans : "-", in->serial, nb, na,
	    in->not_after <= now ? " (EXPIRED)" : "", in->spki_sha256);
}

static int
show(const char *data)
{
	static const char *const files[] = { WK_DATA_TLS_CA,
	    WK_DATA_TLS_CERT };
	static const char *const what[] = { "CA", "server certificate" };
	char path[1200], why[1400];
	time_t now = wk_wall_now();

	for (int i = 0; i < 2; i++) {
		struct wk_buf pem;
		struct wk_x509_info info;
		FILE *f;
		char chunk[4096];
		size_t n;
		int r = 0;

		wk_buf_init(&pem, PEM_MAX);
		if (wk_data_path(data, files[i], path, sizeof(path)) != 0 ||
		    (f = fopen(path, "re")) == NULL) {
			fprintf(stderr, "wicketd tls show: cannot open %s/%s "
			    "(run `wicketd tls init`)\n", data, files[i]);
			return 1;
		}
		while (r == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			r = wk_buf_append(&pem, chunk, n);
		fclose(f);
		why[0] = '\0';
		if (r != 0 || wk_x509_info_pem(wk_buf_span(&pem), 0, &info,
		    why, sizeof(why)) != 0) {
			fprintf(stderr, "wicketd tls show: %s: %s\n", path,
			    r != 0 ? "too large" : why);
			wk_buf_cleanup(&pem);
			return 1;
		}
		wk_buf_cleanup(&pem);
		show_one(what[i], &info, now);
	}
	return 0;
}

int
wk_cmd_tls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "tls-name", required_argument, NULL, 'N' },
		{ "listen", required_argument, NULL, 'l' },
		{ "new-key", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wk_x509_names names;
	const char *data = NULL, *listen = NULL, *sub;
	bool new_key = false;
	char why[1400];
	int ch;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(wk_tls_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	sub = argv[1];
	if (strcmp(sub, "init") != 0 && strcmp(sub, "renew") != 0 &&
	    strcmp(sub, "show") != 0)
		return usage("unknown subcommand '%s'", sub);
	argc--;
	argv++;
	memset(&names, 0, sizeof(names));
	while ((ch = getopt_long(argc, argv, "d:l:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 'l': listen = optarg; break;
		case 'k': new_key = true; break;
		case 'N':
			if (wk_x509_names_add(&names, optarg, why,
			    sizeof(why)) != 0)
				return usage("--tls-name: %s", why);
			break;
		case 'h': fputs(wk_tls_help, stdout); return 0;
		default: return usage("%s", "bad option");
		}
	}
	if (optind != argc)
		return usage("unexpected argument '%s'", argv[optind]);
	if (data == NULL)
		return usage("%s", "--data DIR is required");
	if (new_key && strcmp(sub, "renew") != 0)
		return usage("%s", "--new-key is for renew");
	if (listen != NULL && strcmp(sub, "init") != 0)
		return usage("%s", "--listen is for init");
	if (names.n > 0 && strcmp(sub, "show") == 0)
		return usage("%s", "--tls-name is for init and renew");
	if (strcmp(sub, "show") == 0)
		return show(data);
	why[0] = '\0';
	if (strcmp(sub, "init") == 0) {
		if (names.n == 0 && wk_tls_default_names(listen, &names, why,
		    sizeof(why)) != 0)
			return usage("%s", why);
		if (wk_tls_init_files(data, &names, why, sizeof(why)) != 0) {
			fprintf(stderr, "wicketd tls init: %s\n", why);
			return 1;
		}
	} else if (wk_tls_renew_files(data, &names, new_key, why,
	    sizeof(why)) != 0) {
		fprintf(stderr, "wicketd tls renew: %s\n", why);
		return 1;
	}
	return show(data);
}
