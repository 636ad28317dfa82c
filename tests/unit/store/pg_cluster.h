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

#include <fcntl.h>
#include <glob.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* Runs argv (argv[0] looked up in PATH) with stdout and stderr to
 * `log` (or /dev/null); 0 when it exits 0. */
static inline int
pgc_run(const char *const argv[], const char *log)
{
	pid_t pid;
	int st, fd;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		fd = open(log != NULL ? log : "/dev/null",
		    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* pg_ctl start or stop (mode "fast") as postgres. */
static inline int
pgc_ctl(struct pgc *p, bool start)
{
	char ctl[300], data[100], log[100], opts[256];

	snprintf(ctl, sizeof(ctl), "%s/pg_ctl", p->bin);
	snprintf(data, sizeof(data), "%s/data", p->dir);
	snprintf(log, sizeof(log), "%s/log", p->dir);
	snprintf(opts, sizeof(opts), "-k %s -c listen_addresses= "
	    "-c fsync=off -c full_page_writes=off -c synchronous_commit=off "
	    "-c client_min_messages=warning", p->dir);
	if (start) {
		const char *const argv[] = { "runuser", "-u", "postgres", "--",
		    ctl, "-D", data, "-w", "-s", "-l", log, "-o", opts, "start",
		    NULL };

		return pgc_run(argv, NULL);
	} else {
		const char *const argv[] = { "runuser", "-u", "postgres", "--",
		    ctl, "-D", data, "-w", "-s", "-m", "fast", "stop", NULL };

		return pgc_run(argv, NULL);
	}
}

/* 0 and p->up, or -1 (not available here; see pgc_required). */
static inline int
pgc_start(struct pgc *p)
{
	char initdb[300], data[100], log[100];
	const char *const argv[] = { "runuser", "-u", "postgres", "--", initdb,
	    "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
	    "--locale=C", "--no-sync", NULL };
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
	snprintf(initdb, sizeof(initdb), "%s/initdb", p->bin);
	snprintf(data, sizeof(data), "%s/data", p->dir);
	snprintf(log, sizeof(log), "%s/initdb.log", p->dir);
	if (pgc_run(argv, log) != 0 || pgc_ctl(p, true) != 0) {
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
	{
		const char *const argv[] = { "rm", "-rf", "--", p->dir, NULL };

		(void)pgc_run(argv, NULL);
	}
	p->up = false;
}

#endif
