/*
 * safe_dir.h - a temporary directory for tests of code that trusts only
 * files under root-owned, non-writable directories (like OpenSSH's
 * safe_path): the checkout and its build tree may sit anywhere, /tmp
 * included, so such tests make their directory under /run when root.
 */
#ifndef WK_TESTS_SAFE_DIR_H
#define WK_TESTS_SAFE_DIR_H

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Fills buf with a new directory "<base>/<prefix>-XXXXXX"; NULL on failure. */
static inline char *
wk_test_safe_mkdtemp(char *buf, size_t sz, const char *prefix)
{
	char self[4096];
	ssize_t n;

	if (geteuid() == 0) {
		if (mkdir("/run/wicket-unit", 0755) != 0 &&
		    access("/run/wicket-unit", F_OK) != 0)
			return NULL;
		if (chmod("/run/wicket-unit", 0755) != 0)
			return NULL;
		if ((size_t)snprintf(buf, sz, "/run/wicket-unit/%s-XXXXXX",
		    prefix) >= sz)
			return NULL;
		return mkdtemp(buf);
	}
	/* Not root: next to the test binary (the trust checks then refuse,
	 * as they must for files not owned by root). */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	if ((size_t)snprintf(buf, sz, "%s/%s-XXXXXX", dirname(self),
	    prefix) >= sz)
		return NULL;
	return mkdtemp(buf);
}

#endif
