/*
 * main.c - wicket-authorized-keys: the process shell around wk_ak_main.
 * sshd gives an AuthorizedKeysCommand no deadline of its own, so a hard
 * WK_AK_BUDGET_MS timer kills us (SIGALRM's default action) if anything
 * stalls; sshd then ignores whatever was printed.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "authkeys/authkeys.h"
#include "common/log.h"

int main(int argc, char **argv);

static const char usage[] =
"NAME\n"
"     wicket-authorized-keys - sshd AuthorizedKeysCommand for wicket\n"
"\n"
"SYNOPSIS\n"
"     wicket-authorized-keys [--state DIR] [--socket PATH] USER [FINGERPRINT]\n"
"\n"
"DESCRIPTION\n"
"     Run by sshd, as the unprivileged AuthorizedKeysCommandUser, with\n"
"     the arguments %u %f. Asks the local wicket-agent over its Unix\n"
"     socket for USER's key records, verifies each one (the control\n"
"     plane's Ed25519 signature against the keys pinned in DIR/trust at\n"
"     enrollment, this host's instance id, USER, issue time and expiry)\n"
"     and prints an authorized_keys line for each record that passes -\n"
"     only the one whose key has FINGERPRINT when it is given. Each line\n"
"     carries expiry-time=\"...\" (and from=\"...\" when the caller's\n"
"     policy bound aws:SourceIp), so sshd enforces those limits too.\n"
"\n"
"     It fails closed: anything it cannot fully verify prints nothing;\n"
"     it never writes to stderr, logs each refusal with its reason to\n"
"     syslog (authpriv), and exits non-zero on any doubt. The trust file\n"
"     and every directory above it must be root-owned and not writable\n"
"     by group or others. Hard time budget: 500 ms.\n"
"\n"
"OPTIONS\n"
"     --state DIR     the agent's state directory (default /var/lib/wicket)\n"
"     --socket PATH   the agent's socket (default /run/wicket/agent.sock)\n"
"\n"
"     `wicket-agent sshd-config` prints the sshd_config lines to use.\n";

int
main(int argc, char **argv)
{
	struct itimerval budget = {
		.it_value = { .tv_sec = 0, .tv_usec = WK_AK_BUDGET_MS * 1000 },
	};
	int fd;

	/* Only a person types this: sshd always passes USER (which cannot
	 * begin with '-') and the command line's options. */
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
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
