/*
 * main.c - `wicket`, the command line: dispatches to one subcommand per
 * file through the table below.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct wk_cli_cmd *const commands[] = {
	&wk_cli_cmd_ssh,
	&wk_cli_cmd_sftp,
	&wk_cli_cmd_audit,
	&wk_cli_cmd_sessions,
	&wk_cli_cmd_policy,
	&wk_cli_cmd_revoke,
	NULL,
};

static const char main_usage_head[] =
"NAME\n"
"     wicket - SSH to your instances with one-time keys and IAM policies\n"
"\n"
"SYNOPSIS\n"
"     wicket [--help | --version]\n"
"     wicket help [command]\n"
"     wicket command [options] [arguments]\n"
"\n"
"DESCRIPTION\n"
"     wicket is the client of a self-hosted EC2 Instance Connect. It signs\n"
"     its calls to wicketd with AWS Signature Version 4, using the same\n"
"     credentials, profiles and endpoint settings as the AWS CLI\n"
"     (~/.aws/credentials, ~/.aws/config, AWS_PROFILE, AWS_ACCESS_KEY_ID,\n"
"     AWS_ENDPOINT_URL, AWS_CA_BUNDLE, credential_process, ...; see\n"
"     docs/cli-config.md). Access is granted by IAM policies allowing\n"
"     ec2-instance-connect:SendSSHPublicKey on the instance for an OS user.\n"
"\n"
"COMMANDS\n";

static const char main_usage_tail[] =
"\n"
"     Run 'wicket help command' or 'wicket command --help' for details.\n"
"\n"
"COMMON OPTIONS\n"
"     --profile P         a profile of ~/.aws/credentials / ~/.aws/config\n"
"     --region R          the signing region\n"
"     --endpoint-url URL  wicketd's API endpoint\n"
"     --ca-bundle FILE    the CA bundle (PEM) for an https endpoint\n"
"\n"
"EXIT STATUS\n"
"     wicket ssh and wicket sftp exit with the status of ssh/sftp; every\n"
"     command exits with 255 when wicket itself fails (as ssh does).\n"
"\n"
"EXAMPLES\n"
"     export AWS_ENDPOINT_URL=https://wicket.example.com\n"
"     wicket ssh ubuntu@i-0123456789abcdef0\n"
"     wicket sftp ubuntu@i-0123456789abcdef0:/var/log\n"
"     wicket audit --since 1h\n"
"     wicket policy lint policy.json\n";

static void
usage(FILE *f)
{
	size_t i;

	fputs(main_usage_head, f);
	for (i = 0; commands[i] != NULL; i++)
		fprintf(f, "     %-8s %s\n", commands[i]->name,
		    commands[i]->summary);
	fputs(main_usage_tail, f);
}

static const struct wk_cli_cmd *
find(const char *name)
{
	size_t i;

	for (i = 0; commands[i] != NULL; i++) {
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct wk_cli_cmd *cmd;
	int status;

	if (argc < 2) {
		usage(stderr);
		return WK_CLI_EXIT_ERR;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("wicket %s\n", WK_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		if ((cmd = find(argv[2])) == NULL) {
			wk_cli_errx("no such command '%s' (try 'wicket "
			    "--help')", argv[2]);
			return WK_CLI_EXIT_ERR;
		}
		fputs(cmd->usage, stdout);
		return 0;
	}
	if ((cmd = find(argv[1])) == NULL) {
		wk_cli_errx("no such command '%s' (try 'wicket --help')",
		    argv[1]);
		return WK_CLI_EXIT_ERR;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		wk_cli_errx("cannot initialise libcurl");
		return WK_CLI_EXIT_ERR;
	}
	status = cmd->exec(cmd, argc - 1, argv + 1);
	curl_global_cleanup();
	return status;
}
