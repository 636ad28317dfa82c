/*
 * cmd_sessions.c - `wicket sessions`: the logins open now on every host
 * (WicketService.ListSessions), as aligned text or JSON.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "cli/aws_client.h"
#include "common/err.h"

static const char sessions_usage[] =
"NAME\n"
"     wicket sessions - list the logins open now, fleet-wide\n"
"\n"
"SYNOPSIS\n"
"     wicket sessions [--instance i-XXXXXXXX] [--caller ARN]\n"
"                     [--os-user USER] [--output text|json]\n"
"                     [--profile P] [--region R] [--endpoint-url URL]\n"
"                     [--ca-bundle FILE]\n"
"\n"
"DESCRIPTION\n"
"     Calls WicketService.ListSessions (IAM action wicket:ListSessions):\n"
"     every ssh login made with a pushed key that has not ended, as the\n"
"     hosts' agents reported it (docs/sessions.md), newest first. Text\n"
"     output is one aligned line per session: session id, opened at,\n"
"     instance, OS user, caller ARN, source address, tty, sshd pid, the\n"
"     push's request id (\"-\" when empty). JSON output is\n"
"     {\"Sessions\": [...]} as the API returns it. `wicket audit --session\n"
"     ID` tells one session's story.\n"
"\n"
"OPTIONS\n"
"     --instance ID      only sessions on this instance\n"
"     --caller ARN       only sessions whose key this caller pushed\n"
"     --os-user USER     only sessions of this OS user\n"
"     --output FORMAT    text (default) or json\n"
"     --profile P, --region R, --endpoint-url URL, --ca-bundle FILE\n"
"                        as for wicket audit\n"
"\n"
"EXIT STATUS\n"
"     0 on success, 255 on any error.\n";

#define NSCOLS 9
static const char *const scolumns[NSCOLS] = {
	"SessionId", "OpenedAt", "InstanceId", "OsUser", "CallerArn",
	"SourceIp", "Tty", "SshdPid", "RequestId",
};

struct sessions_opts {
	struct wk_aws_opts aws;
	const char *instance, *caller, *os_user;
	bool json, help;
};

static int
parse_opts(int argc, char **argv, struct sessions_opts *o)
{
	const char *v = NULL, *arg;
	int i, m;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			o->help = true;
			return 0;
		}
		if ((m = wk_cli_longopt(argc, argv, &i, "--instance",
		    &v)) != 0 || (m = wk_cli_longopt(argc, argv, &i,
		    "--instance-id", &v)) != 0)
			o->instance = v;
		else if ((m = wk_cli_longopt(argc, argv, &i, "--caller",
		    &v)) != 0)
			o->caller = v;
		else if ((m = wk_cli_longopt(argc, argv, &i, "--os-user",
		    &v)) != 0)
			o->os_user = v;
		else if ((m = wk_cli_common_opt(argc, argv, &i, &o->aws,
		    &o->json)) == 2)
			return WK_ERR_INVAL;
		if (m == 0) {
			wk_cli_errx("unknown argument '%s' (try 'wicket "
			    "sessions --help')", arg);
			return WK_ERR_INVAL;
		}
		if (m < 0) {
			wk_cli_errx("option '%s' needs a value", arg);
			return WK_ERR_INVAL;
		}
	}
	return 0;
}

static int
cell(json_t *s, const char *key, struct wk_buf *out)
{
	json_t *v = json_object_get(s, key);

	if (json_is_string(v) && json_string_length(v) > 0)
		return wk_cli_sanitize(out, json_string_value(v));
	if (json_is_integer(v))
		return wk_buf_appendf(out, "%lld",
		    (long long)json_integer_value(v));
	return wk_buf_putc(out, '-');
}

static int
print_text(json_t *list)
{
	size_t n = json_array_size(list), i, c, width[NSCOLS] = { 0 };
	struct wk_buf b;
	int r = 0;

	wk_buf_init(&b, 64 * 1024);
	for (i = 0; i < n && r == 0; i++)
		for (c = 0; c < NSCOLS && r == 0; c++) {
			wk_buf_reset(&b);
			r = cell(json_array_get(list, i), scolumns[c], &b);
			if (b.len > width[c])
				width[c] = b.len;
		}
	for (i = 0; i < n && r == 0; i++) {
		for (c = 0; c < NSCOLS && r == 0; c++) {
			wk_buf_reset(&b);
			if ((r = cell(json_array_get(list, i), scolumns[c],
			    &b)) != 0)
				break;
			printf("%s%*s", wk_buf_cstr(&b), c + 1 == NSCOLS ? 0 :
			    (int)(width[c] - b.len + 2), "");
		}
		printf("\n");
	}
	wk_buf_cleanup(&b);
	return r;
}

static int
cmd_sessions_exec(const struct wk_cli_cmd *self, int argc, char **argv)
{
	struct sessions_opts o;
	struct wk_aws_config cfg;
	struct wk_aws_client *client = NULL;
	struct wk_aws_error err;
	struct wk_buf msg;
	json_t *req = NULL, *reply = NULL, *list;
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
	if ((req = json_object()) == NULL ||
	    (o.instance != NULL && json_object_set_new(req, "InstanceId",
	    json_string(o.instance)) != 0) ||
	    (o.caller != NULL && json_object_set_new(req, "CallerArn",
	    json_string(o.caller)) != 0) ||
	    (o.os_user != NULL && json_object_set_new(req, "OsUser",
	    json_string(o.os_user)) != 0)) {
		wk_cli_errx("out of memory");
		goto out;
	}
	if ((r = wk_aws_call(client, "ec2", "WicketService.ListSessions", req,
	    &reply, &err)) != 0) {
		wk_aws_error_print(stderr, &err, "ListSessions",
		    cfg.endpoint_url);
		goto out;
	}
	list = json_object_get(reply, "Sessions");
	if (!json_is_array(list)) {
		wk_cli_errx("malformed ListSessions reply (no Sessions list)");
		goto out;
	}
	if (o.json) {
		if ((dump = json_dumps(reply, JSON_INDENT(4) |
		    JSON_PRESERVE_ORDER)) == NULL) {
			wk_cli_errx("out of memory");
			goto out;
		}
		printf("%s\n", dump);
		free(dump);	/* jansson's allocator */
	} else if (print_text(list) != 0) {
		wk_cli_errx("out of memory");
		goto out;
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

const struct wk_cli_cmd wk_cli_cmd_sessions = {
	.name = "sessions",
	.summary = "list the logins open now (who is logged in where)",
	.usage = sessions_usage,
	.exec = cmd_sessions_exec,
};
