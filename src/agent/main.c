/*
 * main.c - wicket-agent: subcommand dispatch.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "agent/agent.h"

struct agent_cmd {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
};

static const struct agent_cmd cmds[] = {
	{ .name = "enroll", .fn = wk_agent_cmd_enroll,
	  .summary = "enroll this host with wicketd (join token)" },
	{ .name = "run", .fn = wk_agent_cmd_run,
	  .summary = "run the agent (long-poll wicketd, serve the socket)" },
	{ .name = "sshd-config", .fn = wk_agent_cmd_sshd_config,
	  .summary = "print the sshd_config drop-in" },
	{ .name = "install-sshd", .fn = wk_agent_cmd_install_sshd,
	  .summary = "install the drop-in, check with sshd -t, reload" },
	{ .name = "uninstall-sshd", .fn = wk_agent_cmd_uninstall_sshd,
	  .summary = "remove the drop-in, check, reload" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: wicket-agent COMMAND [OPTIONS]\n\n"
	    "The wicket host agent: receives one-time SSH keys pushed through\n"
	    "wicketd and serves them to sshd through wicket-authorized-keys.\n"
	    "\nCommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-16s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nRun `wicket-agent COMMAND --help` for its options.\n");
}

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	size_t i;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("wicket-agent " WK_VERSION "\n");
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			fprintf(stderr, "wicket-agent: curl init failed\n");
			return 1;
		}
		rc = cmds[i].fn(argc - 1, argv + 1);
		curl_global_cleanup();
		return rc;
	}
	fprintf(stderr, "wicket-agent: unknown command: %s\n", argv[1]);
	usage(stderr);
	return 2;
}
