/*
 * pg_cluster.h - a throwaway PostgreSQL for the store's tests: Debian's
 * binaries (/usr/lib/postgresql/<version>/bin), initdb + pg_ctl as the
 * postgres user in a fresh directory under /run, listening on a Unix
 * socket only, one per test binary, stopped at the end. Absent (not root,
 * no binaries, no postgres user): the PostgreSQL runs are skipped with a
 * note, unless WK_TEST_PG=required.
 */
#ifndef WK_TEST_PG_CLUSTER_H
#define WK_TEST_PG_CLUSTER_H

#include <glob.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pgc {
	char bin[256];		/* .../bin */
	char dir[64];		/* /run/wk-pgtest-XXXXXX (socket here) */
	char uri[256];		/* postgresql:///postgres?host=DIR&user=postgres */
	bool up;
};

static inline bool
pgc_required(void)
{
	const char *v = getenv("WK_TEST_PG");

	return v != NULL && strcmp(v, "required") == 0;
}

#define pgc_sh(...) pgc_system_(__VA_ARGS__)
#define pgc_system_(fmt, a, b, c) __extension__ ({			\
	char cmd_[1024];						\
	snprintf(cmd_, sizeof(cmd_), fmt, a, b, c);			\
	system(cmd_);							\
})

/* pg_ctl start or stop (mode "fast") as postgres. */
static inline int
pgc_ctl(struct pgc *p, bool start)
{
	if (start)
		return pgc_sh("runuser -u postgres -- %s/pg_ctl -D %s/data -w -s "
		    "-l %s/log -o \"-k $WKPGDIR -c listen_addresses='' "
		    "-c fsync=off -c full_page_writes=off "
		    "-c synchronous_commit=off -c client_min_messages=warning\" start", p->bin, p->dir, p->dir);
	return pgc_sh("runuser -u postgres -- %s/pg_ctl -D %s/data -w -s "
	    "-m fast stop%s", p->bin, p->dir, "");
}

/* 0 and p->up, or -1 (not available here; see pgc_required). */
static inline int
pgc_start(struct pgc *p)
{
	struct passwd *pw;
	glob_t g;

	memset(p, 0, sizeof(*p));
	if (getuid() != 0 || (pw = getpwnam("postgres")) == NULL)
		return -1;
	if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) != 0)
		return -1;
	snprintf(p->bin, sizeof(p->bin), "%s", g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	*strrchr(p->bin, '/') = '\0';
	snprintf(p->dir, sizeof(p->dir), "/run/wk-pgtest-XXXXXX");
	if (mkdtemp(p->dir) == NULL || chown(p->dir, pw->pw_uid,
	    pw->pw_gid) != 0)
		return -1;
	setenv("WKPGDIR", p->dir, 1);
	if (pgc_sh("runuser -u postgres -- %s/initdb -D %s/data -A trust "
	    "-U postgres -E UTF8 --locale=C --no-sync >%s/initdb.log 2>&1",
	    p->bin, p->dir, p->dir) != 0 || pgc_ctl(p, true) != 0) {
		fprintf(stderr, "pg_cluster: cannot start PostgreSQL in %s\n",
		    p->dir);
		return -1;
	}
	snprintf(p->uri, sizeof(p->uri),
	    "postgresql:///postgres?host=%s&user=postgres", p->dir);
	p->up = true;
	return 0;
}

static inline void
pgc_stop(struct pgc *p)
{
	if (p->dir[0] == '\0')
		return;
	if (p->up)
		(void)pgc_ctl(p, false);
	(void)pgc_sh("rm -rf %s%s%s", p->dir, "", "");
	p->up = false;
}

#endif
