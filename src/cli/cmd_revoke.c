/*
 * cmd_revoke.c - `wicket revoke`: WicketService.RevokeSessions. Withdraws
 * pushed keys from the hosts and ends the sessions they opened
 * (docs/revocation.md).
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "cli/aws_client.h"
#include "common/buf.h"
#include "common/err.h"

static const char revoke_usage[] =
"NAME\n"
"     wicket revoke - withdraw pushed keys and end the sessions they opened\n"
"\n"
"SYNOPSIS\n"
"     wicket revoke --caller ARN | --access-key ID | --request-id ID |\n"
"                   --instance i-XXXXXXXX [--os-user U]\n"
"                   [--output text|json] [--profile P] [--region R]\n"
"                   [--endpoint-url URL] [--ca-bundle FILE]\n"
"\n"
"DESCRIPTION\n"
"     Calls WicketService.RevokeSessions (IAM action wicket:RevokeSessions\n"
"     on \"*\"). Every key pushed at or before now that the selector names\n"
"     is dropped by the hosts' agents (a login attempted afterwards is\n"
"     refused) and every session such a key opened is ended (its sshd\n"
"     process gets SIGTERM, then SIGKILL after 2 s). Agents that are\n"
"     offline apply it when they reconnect. A later push works again if\n"
"     IAM still allows it. The revocation is audited (RevokeSessions).\n"
"\n"
"     --caller ARN        every push by this IAM user\n"
"     --access-key ID     every push signed with this access key (the\n"
"                         audit of the last 7 days)\n"
"     --request-id ID     the push with this RequestId\n"
"     --instance ID       every push to this instance\n"
"     --os-user U         with --instance: only for this OS user\n"
"     --output text|json  text: one line; json: the API's reply\n"
"\n"
"EXAMPLES\n"
"     wicket revoke --caller arn:aws:iam::000000000000:user/alice\n"
"     wicket revoke --instance i-0123456789abcdef0 --os-user ubuntu\n";

struct revoke_opts {
	struct wk_aws_opts aws;
	const char *caller, *akid, *request_id, *instance, *os_user;
	bool json, help;
};

static int
parse_opts(int argc, char **argv, struct revoke_opts *o)
{
	const char *v = NULL, *arg;
	int i, m, nsel;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			o->help = true;
			return 0;
		}
		if ((m = wk_cli_longopt(argc, argv, &i, "--caller", &v)) != 0 ||
		    (m = wk_cli_longopt(argc, argv, &i, "--caller-arn",
		    &v)) != 0)
			o->caller = v;
		else if ((m = wk_cli_longopt(argc, argv, &i, "--access-key",
		    &v)) != 0)
			o->akid = v;
		else if ((m = wk_cli_longopt(argc, argv, &i, "--request-id",
		    &v)) != 0)
			o->request_id = v;
		else if ((m = wk_cli_longopt(argc, argv, &i, "--instance",
		    &v)) != 0 || (m = wk_cli_longopt(argc, argv, &i,
		    "--instance-id", &v)) != 0)
			o->instance = v;
		else if ((m = wk_cli_longopt(argc, argv, &i, "--os-user",
		    &v)) != 0)
			o->os_user = v;
		else if ((m = wk_cli_common_opt(argc, argv, &i, &o->aws,
		    &o->json)) == 2)
			return WK_ERR_INVAL;
		if (m == 0) {
			wk_cli_errx("unknown argument '%s' (try 'wicket revoke "
			    "--help')", arg);
			return WK_ERR_INVAL;
		}
		if (m < 0) {
			wk_cli_errx("option '%s' needs a value", arg);
			return WK_ERR_INVAL;
		}
	}
	nsel = (o->caller != NULL) + (o->akid != NULL) +
	    (o->request_id != NULL) + (o->instance != NULL);
	if (nsel != 1) {
		wk_cli_errx("give exactly one of --caller, --access-key, "
		    "--request-id, --instance");
		return WK_ERR_INVAL;
	}
	if (o->os_user != NULL && o->instance == NULL) {
		wk_cli_errx("--os-user goes with --instance");
		return WK_ERR_INVAL;
	}
	return 0;
}

static json_t *
build_request(const struct revoke_opts *o)
{
	json_t *req = json_object();
	int r = 0;

	if (req == NULL)
		return NULL;
	if (o->caller != NULL)
		r |= json_object_set_new(req, "CallerArn",
		    json_string(o->caller));
	if (o->akid != NULL)
		r |= json_object_set_new(req, "AccessKeyId",
		    json_string(o->akid));
	if (o->request_id != NULL)
		r |= json_object_set_new(req, "RequestId",
		    json_string(o->request_id));
	if (o->instance != NULL)
		r |= json_object_set_new(req, "InstanceId",
		    json_string(o->instance));
	if (o->os_user != NULL)
		r |= json_object_set_new(req, "OsUser", json_string(o->os_user));
	if (r != 0) {
		json_decref(req);
		return NULL;
	}
	return req;
}

static int
cmd_revoke_exec(const struct wk_cli_cmd *self, int argc, char **argv)
{
	struct revoke_opts o;
	struct wk_aws_config cfg;
	struct wk_aws_client *client = NULL;
	struct wk_aws_error err;
	struct wk_buf msg;
	json_t *req = NULL, *reply = NULL, *ids;
	char *dump;
	int r, status = WK_CLI_EXIT_ERR;

	memset(&cfg, 0, sizeof(cfg));
	wk_buf_init(&msg, 4096);
	if (parse_opts(argc, argv, &o) != 0)
		goto out;
	if (o.help) {
		fputs(self->usage, stdout);
		status = 0;
		goto out;
	}
	if ((r = wk_aws_config_resolve(&o.aws, WK_AWS_SVC_EC2, &cfg,
	    &msg)) != 0) {
		wk_cli_errx("%s", wk_buf_cstr(&msg));
		goto out;
	}
	if ((r = wk_aws_client_new(&cfg, &client)) != 0) {
		wk_cli_errx("cannot use endpoint '%s': %s", cfg.endpoint_url,
		    wk_strerror(r));
		goto out;
	}
	if ((req = build_request(&o)) == NULL) {
		wk_cli_errx("out of memory");
		goto out;
	}
	if ((r = wk_aws_call(client, "ec2", "WicketService.RevokeSessions",
	    req, &reply, &err)) != 0) {
		wk_aws_error_print(stderr, &err, "RevokeSessions",
		    cfg.endpoint_url);
		goto out;
	}
	if (!json_is_integer(json_object_get(reply, "RevocationId"))) {
		wk_cli_errx("malformed RevokeSessions reply");
		goto out;
	}
	if (o.json) {
		if ((dump = json_dumps(reply, JSON_INDENT(4) |
		    JSON_PRESERVE_ORDER)) == NULL) {
			wk_cli_errx("out of memory");
			goto out;
		}
		printf("%s\n", dump);
		free(dump);
	} else {
		ids = json_object_get(reply, "RequestIds");
		printf("revocation %lld at %lld", (long long)json_integer_value(
		    json_object_get(reply, "RevocationId")),
		    (long long)json_integer_value(json_object_get(reply,
		    "RevokedAt")));
		if (json_is_array(ids))
			printf(" (%zu push%s)", json_array_size(ids),
			    json_array_size(ids) == 1 ? "" : "es");
		printf("\n");
	}
	status = fflush(stdout) == 0 ? 0 : WK_CLI_EXIT_ERR;
 out:
	json_decref(req);
	json_decref(reply);
	wk_buf_cleanup(&msg);
	wk_aws_client_free(client);
	wk_aws_config_cleanup(&cfg);
	return status;
}

const struct wk_cli_cmd wk_cli_cmd_revoke = {
	.name = "revoke",
	.summary = "withdraw pushed keys and end the sessions they opened",
	.usage = revoke_usage,
	.exec = cmd_revoke_exec,
};
