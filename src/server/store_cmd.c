/*
 * store_cmd.c - `wicketd migrate` (brings a PostgreSQL schema up to this
 * build's, under an advisory lock: serve never migrates PostgreSQL) and
 * `wicketd store copy` (moves a single-machine SQLite deployment to
 * PostgreSQL: store_copy.c).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "server/wicketd.h"

#define EXIT_USAGE 2

const char wk_migrate_help[] =
"Usage: wicketd migrate --data DIR\n"
"       wicketd migrate --store URI [--store-password-file FILE]\n"
"\n"
"Brings the database's schema up to this wicketd's version: the store\n"
"named in DIR (DIR/store, a PostgreSQL URI, or DIR/wicket.db), or the\n"
"PostgreSQL database URI. Migrations are numbered and run once, in one\n"
"transaction, while holding a PostgreSQL advisory lock: several replicas\n"
"upgraded at once migrate one after the other and the later ones find\n"
"nothing to do. `wicketd serve` on PostgreSQL never migrates: it refuses\n"
"a schema behind its own and says to run this. On SQLite serve still\n"
"migrates at start (one process owns the file), as before.\n"
"\n"
"Options:\n"
"  -d, --data DIR                 the data directory made by `wicketd init`\n"
"      --store URI                a postgresql:// URI (no password in it)\n"
"      --store-password-file FILE libpq password file for --store\n"
"                                 (else PGPASSFILE or ~/.pgpass)\n"
"  -h, --help                     show this help\n"
"\n"
"Exit status: 0 when the schema is current, 1 on failure, 2 on a usage\n"
"error. See docs/postgresql.md.\n";

const char wk_store_help[] =
"Usage: wicketd store copy --from DIR --to URI [--store-password-file FILE]\n"
"                          [--use]\n"
"\n"
"Copies a data directory's SQLite store (DIR/wicket.db, read with\n"
"DIR/master.key) into the PostgreSQL database URI, whose schema it first\n"
"creates or migrates: account settings, users (tags, access keys, login\n"
"profiles, inline policies), managed policies with their versions (same\n"
"version ids), groups (members, inline policies), attachments, instances\n"
"(tags), unused join tokens and the audit log (in order). Secrets stay\n"
"sealed under the same master key, so DIR keeps serving: with --use,\n"
"DIR/store is written and the next `wicketd serve --data DIR` runs on\n"
"PostgreSQL (wicket.db is left as it was). The destination must hold no\n"
"users. Stop wicketd first: writes made during the copy are not carried.\n"

"\n"
"Options:\n"
"      --from DIR                 the source data directory\n"
"      --to URI                   a postgresql:// URI (no password in it)\n"
"      --store-password-file FILE libpq password file for --to\n"
"      --use                      make DIR serve from the copy (DIR/store)\n"
"  -h, --help                     show this help\n";

static int usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wicketd %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry `wicketd %s --help`.\n", cmd);
	return EXIT_USAGE;
}

enum { OPT_STORE = 256, OPT_PASSFILE, OPT_FROM, OPT_TO, OPT_USE };

int
wk_cmd_migrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "store", required_argument, NULL, OPT_STORE },
		{ "store-password-file", required_argument, NULL,
		    OPT_PASSFILE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *store = NULL, *passfile = NULL;
	char loc[4200], why[1024] = "";
	int ch, from, to;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case OPT_STORE: store = optarg; break;
		case OPT_PASSFILE: passfile = optarg; break;
		case 'h': fputs(wk_migrate_help, stdout); return 0;
		default: return usage("migrate", "bad option");
		}
	}
	if (optind != argc)
		return usage("migrate", "unexpected argument '%s'",
		    argv[optind]);
	if ((data == NULL) == (store == NULL))
		return usage("migrate", "give one of --data DIR or --store URI");
	if (passfile != NULL && store == NULL)
		return usage("migrate", "--store-password-file needs --store");
	if (store != NULL) {
		if (wk_store_uri_with_passfile(store, passfile, loc,
		    sizeof(loc), why, sizeof(why)) != 0)
			return usage("migrate", "%s", why);
	} else if (wk_data_store_location(data, loc, sizeof(loc), why,
	    sizeof(why)) != 0) {
		fprintf(stderr, "wicketd migrate: %s\n", why);
		return 1;
	}
	if (wk_store_migrate(loc, &from, &to, why, sizeof(why)) != 0) {
		fprintf(stderr, "wicketd migrate: %s\n", why[0] != '\0' ? why :
		    "migration failed");
		return 1;
	}
	if (!wk_store_is_postgres(loc))
		printf("SQLite store %s is current.\n", loc);
	else if (from == to)
		printf("Schema already at version %d: nothing to do.\n", to);
	else
		printf("Schema migrated from version %d to %d.\n", from, to);
	return 0;
}

static int
store_copy(const char *from_dir, const char *uri, bool use)
{
	uint8_t key[WK_MASTER_KEY_LEN];
	struct wk_store *src = NULL, *dst = NULL;
	char why[1024] = "";
	int from, to, r;

	if ((r = wk_data_open_store(from_dir, &src, why, sizeof(why))) != 0)
		goto out;
	if ((r = wk_master_key_load(from_dir, key, why, sizeof(why))) != 0)
		goto out;
	if ((r = wk_store_migrate(uri, &from, &to, why, sizeof(why))) != 0)
		goto out;
	r = wk_store_open(uri, key, &dst);
	wk_explicit_bzero(key, sizeof(key));
	if (r != 0) {
		snprintf(why, sizeof(why), "cannot open PostgreSQL: %s",
		    wk_strerror(r));
		goto out;
	}
	if ((r = wk_store_copy_all(src, dst, why, sizeof(why))) != 0)
		goto out;
	if (use && (r = wk_data_store_save(from_dir, uri, why,
	    sizeof(why))) != 0)
		goto out;
	printf("Copied %s into PostgreSQL.%s\n", from_dir, use ?
	    " The data directory now serves from it (DIR/store)." :
	    " Run with --use (or write DIR/store) to serve from it.");
 out:
	wk_store_close(src);
	wk_store_close(dst);
	if (r != 0) {
		fprintf(stderr, "wicketd store copy: %s\n", why[0] != '\0' ?
		    why : wk_strerror(r));
		return 1;
	}
	return 0;
}

int
wk_cmd_store(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "store-password-file", required_argument, NULL,
		    OPT_PASSFILE },
		{ "use", no_argument, NULL, OPT_USE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *to = NULL, *passfile = NULL;
	char uri[4200], why[1024] = "";
	bool use = false;
	int ch;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		fputs(wk_store_help, stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "copy") != 0)
		return usage("store", "the subcommand is `copy`");
	argc--;
	argv++;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_FROM: from = optarg; break;
		case OPT_TO: to = optarg; break;
		case OPT_PASSFILE: passfile = optarg; break;
		case OPT_USE: use = true; break;
		case 'h': fputs(wk_store_help, stdout); return 0;
		default: return usage("store", "bad option");
		}
	}
	if (optind != argc)
		return usage("store", "unexpected argument '%s'", argv[optind]);
	if (from == NULL || to == NULL)
		return usage("store", "copy needs --from DIR and --to URI");
	if (wk_store_uri_with_passfile(to, passfile, uri, sizeof(uri), why,
	    sizeof(why)) != 0)
		return usage("store", "--to: %s", why);
	return store_copy(from, uri, use);
}
