/*
 * bench_authkeys - wall time of one wicket-authorized-keys run, as sshd
 * pays it on every login attempt: fork, exec, read the trust file, ask the
 * agent over its socket, verify the records' signatures, print.
 *
 *   bench_authkeys RUNS HELPER [ARGS...]
 *
 * Prints p50/p99/max over RUNS runs; exits non-zero if any run failed or
 * printed nothing (so the figure is for the real, successful path).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "common/buf.h"

int
main(int argc, char **argv)
{
	uint64_t runs, *t;
	size_t i;
	int bad = 0;

	if (argc < 3 || wk_cstr_to_u64(argv[1], 1000000, &runs) != 0 ||
	    runs == 0) {
		fprintf(stderr, "usage: bench_authkeys RUNS HELPER [ARGS...]\n");
		return 2;
	}
	if ((t = calloc(runs, sizeof(*t))) == NULL)
		return 1;
	for (i = 0; i < runs; i++) {
		int pfd[2], status;
		char out[8192];
		ssize_t n, total = 0;
		uint64_t t0 = bench_now_ns();
		pid_t pid;

		if (pipe(pfd) != 0)
			return 1;
		if ((pid = fork()) == 0) {
			dup2(pfd[1], 1);
			close(pfd[0]);
			close(pfd[1]);
			execv(argv[2], argv + 2);
			_exit(127);
		}
		close(pfd[1]);
		while ((n = read(pfd[0], out, sizeof(out))) > 0)
			total += n;
		close(pfd[0]);
		waitpid(pid, &status, 0);
		t[i] = bench_now_ns() - t0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || total == 0)
			bad++;
	}
	bench_report("authorized-keys run", t, runs);
	free(t);
	if (bad) {
		fprintf(stderr, "bench_authkeys: %d runs failed or printed "
		    "nothing\n", bad);
		return 1;
	}
	return 0;
}
