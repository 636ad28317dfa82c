/*
 * main.c - wicket-authorized-keys: the process shell around wk_ak_main.
 * sshd gives an AuthorizedKeysCommand no deadline of its own, so a hard
 * WK_AK_BUDGET_MS timer kills us (SIGALRM's default action) if anything
 * stalls; sshd then ignores whatever was printed.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>

#include "authkeys/authkeys.h"
#include "common/log.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	struct itimerval budget = {
		.it_value = { .tv_sec = 0, .tv_usec = WK_AK_BUDGET_MS * 1000 },
	};
	int fd;

	if (setitimer(ITIMER_REAL, &budget, NULL) != 0)
		return 1;
	signal(SIGALRM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	/* Nothing to stderr, ever: sshd may relay it. */
	if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		return 1;
	if (dup2(fd, STDERR_FILENO) < 0)
		return 1;
	if (fd != STDERR_FILENO)
		close(fd);
	wk_log_open_syslog("wicket-authorized-keys");
	return wk_ak_main(argc, argv, stdout);
}
