/*
 * cmd_audit.c - `wicket audit`: reads the audit log through
 * WicketService.ListAuditEvents, follows NextToken up to --max-items and
 * prints the events newest first, as aligned text or as JSON.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "cli/aws_client.h"
#include "common/alloc.h"
#include "common/err.h"
#include "common/time.h"

#define DEFAULT_MAX_ITEMS 100
#define MAX_MAX_ITEMS 1000000
#define PAGE_SIZE 100
#define MAX_PAGES 100000
#define NCOLS 9

static const char audit_usage[] =
"NAME\n"
"     wicket audit - list audit events (key pushes, grants and denials)\n"
"\n"
"SYNOPSIS\n"
"     wicket audit [--instance-id i-XXXXXXXX] [--caller ARN]\n"
"                  [--request-id ID | --session s-XXXXXXXXXXXXXXXX]\n"
"                  [--since TIME] [--until TIME] [--max-items N]\n"
"                  [--output text|json] [--profile P] [--region R]\n"
"                  [--endpoint-url URL] [--ca-bundle FILE]\n"
"\n"
"DESCRIPTION\n"
"     Calls WicketService.ListAuditEvents (which needs the IAM action\n"
"     wicket:ListAuditEvents), follows NextToken until --max-items events\n"
"     were read, and prints them newest first.\n"
"\n"
"     Text output is one aligned line per event with the columns: time,\n"
"     decision, caller ARN, instance, OS user, source address, key\n"
"     fingerprint, error code, request id (\"-\" when empty).\n"
"     JSON output is {\"Events\": [...]} as the API returns the events,\n"
"     with \"NextToken\" when more events remain.\n"
"\n"
"OPTIONS\n"
"     --instance-id ID   only events for this instance\n"
"     --caller ARN       only events by this caller (IAM user ARN)\n"
"     --request-id ID    one push's story: the push (SendSSHPublicKey) and\n"
"                        the logins (Login, Logout) made with its key\n"
"     --session ID       one login's story: the push that delivered the\n"
"                        key, the Login and the Logout (wicket sessions\n"
"                        prints session ids). Both print oldest first, one\n"
"                        line each: time, event, caller, instance, OS user,\n"
"                        source, session, tty, sshd pid, duration, request\n"
"                        id\n"
"     --since TIME       only events at or after TIME\n"
"     --until TIME       only events before TIME\n"
"                        TIME is epoch seconds (1714564800), ISO 8601\n"
"                        (2024-05-01T12:00:00Z, 2024-05-01) or an age\n"
"                        (90s, 15m, 2h, 7d)\n"
"     --max-items N      read at most N events (default 100)\n"
"     --output FORMAT    text (default) or json\n"
"     --profile P, --region R, --endpoint-url URL, --ca-bundle FILE\n"
"                        as for wicket ssh (see wicket help ssh); the\n"
"                        endpoint is EC2's (AWS_ENDPOINT_URL_EC2, ...)\n"
"\n"
"EXIT STATUS\n"
"     0 on success, 255 on any error.\n"
"\n"
"EXAMPLES\n"
"     wicket audit --since 1h\n"
"     wicket audit --instance-id i-0123456789abcdef0 --max-items 20\n"
"     wicket audit --caller arn:aws:iam::123456789012:user/alice \\\n"
"         --since 2024-05-01 --output json\n";

struct audit_opts {
	struct wk_aws_opts aws;
	const char *instance_id;
	const char *caller;
	const char *request_id;
	const char *session;
	bool have_since, have_until, json, help;
	time_t since, until;
	uint64_t max_items;
};

static int
parse_opts(int argc, char **argv, struct audit_opts *o)
{
	const char *v = NULL, *arg;
	uint64_t n;
	int i, m;

	memset(o, 0, sizeof(*o));
	o->max_items = DEFAULT_MAX_ITEMS;
	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			o->help = true;
			return 0;
		}
		if ((m = wk_cli_longopt(argc, argv, &i, "--instance-id",
		    &v)) != 0)
			o->instance_id = v;
		else if ((m = wk_cli_longopt(argc, argv, &i, "--caller",
		    &v)) != 0 || (m = wk_cli_longopt(argc, argv, &i,
		    "--caller-arn", &v)) != 0)
			o->caller = v;
		else if ((m = wk_cli_longopt(argc, argv, &i, "--request-id",
		    &v)) != 0)
			o->request_id = v;
		else if ((m = wk_cli_longopt(argc, argv, &i, "--session",
		    &v)) != 0)
			o->session = v;
		else if ((m = wk_cli_longopt(argc, argv, &i, "--since",
		    &v)) != 0) {
			if (m > 0 && wk_cli_parse_time(v, wk_wall_now(),
			    &o->since) != 0) {
				wk_cli_errx("bad time for --since: '%s'", v);
				return WK_ERR_INVAL;
			}
			o->have_since = true;
		} else if ((m = wk_cli_longopt(argc, argv, &i, "--until",
		    &v)) != 0) {
			if (m > 0 && wk_cli_parse_time(v, wk_wall_now(),
			    &o->until) != 0) {
				wk_cli_errx("bad time for --until: '%s'", v);
				return WK_ERR_INVAL;
			}
			o->have_until = true;
		} else if ((m = wk_cli_longopt(argc, argv, &i, "--max-items",
		    &v)) != 0) {
			if (m > 0 && (wk_cstr_to_u64(v, MAX_MAX_ITEMS,
			    &n) != 0 || n == 0)) {
				wk_cli_errx("bad --max-items '%s' (1 to %d)",
				    v, MAX_MAX_ITEMS);
				return WK_ERR_INVAL;
			}
			o->max_items = n;
		} else if ((m = wk_cli_common_opt(argc, argv, &i, &o->aws,
		    &o->json)) == 2) {
			return WK_ERR_INVAL;
		}
		if (m == 0) {
			wk_cli_errx("unknown argument '%s' (try 'wicket audit "
			    "--help')", arg);
			return WK_ERR_INVAL;
		}
		if (m < 0) {
			wk_cli_errx("option '%s' needs a value", arg);
			return WK_ERR_INVAL;
		}
	}
	if (o->request_id != NULL && o->session != NULL) {
		wk_cli_errx("--request-id and --session are exclusive");
		return WK_ERR_INVAL;
	}
	if (o->have_since && o->have_until && o->until < o->since) {
		wk_cli_errx("--until is before --since");
		return WK_ERR_INVAL;
	}
	return 0;
}

/* EventTime as epoch seconds (number) or ISO 8601 (string); 0 if neither. */
static time_t
event_time(json_t *ev)
{
	json_t *t = json_object_get(ev, "EventTime");
	time_t v = 0;

	if (json_is_integer(t))
		return (time_t)json_integer_value(t);
	if (json_is_real(t) && json_real_value(t) >= 0 &&
	    json_real_value(t) < 1e15)
		return (time_t)json_real_value(t);
	if (json_is_string(t) && wk_time_parse(wk_span_from_cstr(
	    json_string_value(t)), &v) == 0)
		return v;
	return 0;
}

struct sorted {
	time_t t;
	size_t idx;
};

static int
cmp_newest_first(const void *a, const void *b)
{
	const struct sorted *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? 1 : -1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

/* Sorts the events newest first (stable) into a new array. */
static int
sort_events(json_t *events, json_t **out)
{
	struct sorted *s;
	json_t *res;
	size_t i, n = json_array_size(events);
	int r = 0;

	*out = NULL;
	if ((res = json_array()) == NULL)
		return WK_ERR_NOMEM;
	if ((s = wk_calloc(n ? n : 1, sizeof(*s))) == NULL) {
		json_decref(res);
		return WK_ERR_NOMEM;
	}
	for (i = 0; i < n; i++) {
		s[i].t = event_time(json_array_get(events, i));
		s[i].idx = i;
	}
	qsort(s, n, sizeof(*s), cmp_newest_first);
	for (i = 0; i < n && r == 0; i++) {
		if (json_array_append(res, json_array_get(events,
		    s[i].idx)) != 0)
			r = WK_ERR_NOMEM;
	}
	wk_free(s);
	if (r != 0) {
		json_decref(res);
		return r;
	}
	*out = res;
	return 0;
}

static int
field_text(json_t *ev, const char *key, struct wk_buf *out)
{
	json_t *v = json_object_get(ev, key);
	char tbuf[21];

	if (strcmp(key, "EventTime") == 0) {
		wk_time_iso8601(event_time(ev), tbuf);
		return wk_buf_append_str(out, tbuf);
	}
	if (json_is_string(v) && json_string_length(v) > 0)
		return wk_cli_sanitize(out, json_string_value(v));
	if (json_is_integer(v))
		return wk_buf_appendf(out, "%lld",
		    (long long)json_integer_value(v));
	if (json_is_boolean(v))
		return wk_buf_append_str(out, json_is_true(v) ? "true" :
		    "false");
	return wk_buf_putc(out, '-');
}

static const char *const columns[NCOLS] = {
	"EventTime", "Decision", "CallerArn", "InstanceId", "OsUser",
	"SourceIp", "KeyFingerprint", "ErrorCode", "RequestId",
};

/* A push's or a login's story, oldest first (--request-id, --session). */
#define NSTORY 11
static const char *const story_columns[NSTORY] = {
	"EventTime", "EventName", "CallerArn", "InstanceId", "OsUser",
	"SourceIp", "SessionId", "Tty", "SshdPid", "DurationSeconds",
	"RequestId",
};

static int
print_text_cols(json_t *events, const char *const *cols, size_t ncols)
{
	struct wk_buf *cells = NULL, line;
	size_t n = json_array_size(events), i, c, width[NSTORY] = { 0 };
	int r = 0;

	wk_buf_init(&line, 1024 * 1024);
	if (n == 0)
		goto out;
	if ((cells = wk_calloc(n * ncols, sizeof(*cells))) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n * ncols; i++)
		wk_buf_init(&cells[i], 64 * 1024);
	for (i = 0; i < n; i++) {
		json_t *ev = json_array_get(events, i);

		for (c = 0; c < ncols; c++) {
			if ((r = field_text(ev, cols[c],
			    &cells[i * ncols + c])) != 0)
				goto out;
			if (cells[i * ncols + c].len > width[c])
				width[c] = cells[i * ncols + c].len;
		}
	}
	for (i = 0; i < n; i++) {
		wk_buf_reset(&line);
		for (c = 0; c < ncols; c++) {
			const struct wk_buf *cell = &cells[i * ncols + c];

			if ((r = wk_buf_append_span(&line,
			    wk_buf_span(cell))) != 0)
				goto out;
			if (c + 1 == ncols)
				break;
			if ((r = wk_buf_appendf(&line, "%*s",
			    (int)(width[c] - cell->len + 2), "")) != 0)
				goto out;
		}
		printf("%s\n", wk_buf_cstr(&line));
	}
 out:
	if (cells != NULL) {
		for (i = 0; i < n * ncols; i++)
			wk_buf_cleanup(&cells[i]);
		wk_free(cells);
	}
	wk_buf_cleanup(&line);
	return r;
}

static int
print_text(json_t *events)
{
	return print_text_cols(events, columns, NCOLS);
}

static json_t *
build_request(const struct audit_opts *o, uint64_t page, const char *token)
{
	json_t *req = json_object();

	if (req == NULL)
		return NULL;
	if ((o->instance_id != NULL && json_object_set_new(req, "InstanceId",
	    json_string(o->instance_id)) != 0) ||
	    (o->caller != NULL && json_object_set_new(req, "CallerArn",
	    json_string(o->caller)) != 0) ||
	    (o->request_id != NULL && json_object_set_new(req, "RequestId",
	    json_string(o->request_id)) != 0) ||
	    (o->session != NULL && json_object_set_new(req, "SessionId",
	    json_string(o->session)) != 0) ||
	    (o->have_since && json_object_set_new(req, "StartTime",
	    json_integer((json_int_t)o->since)) != 0) ||
	    (o->have_until && json_object_set_new(req, "EndTime",
	    json_integer((json_int_t)o->until)) != 0) ||
	    json_object_set_new(req, "MaxResults",
	    json_integer((json_int_t)page)) != 0 ||
	    (token != NULL && json_object_set_new(req, "NextToken",
	    json_string(token)) != 0)) {
		json_decref(req);
		return NULL;
	}
	return req;
}

/*
 * Reads up to o->max_items events into `all`, following NextToken; the
 * last NextToken (more remain) in *token. 0, or 1 after printing why.
 */
static int
fetch(struct wk_aws_client *client, const char *endpoint,
    const struct audit_opts *opts, json_t *all, char **token_out)
{
	struct audit_opts o = *opts;
	struct wk_aws_error err;
	json_t *req = NULL, *reply = NULL, *events, *ev, *tok;
	char *token = NULL;
	uint64_t got = 0, pages = 0, page;
	size_t i, npage;
	int r;

	while (got < o.max_items && pages++ < MAX_PAGES) {
		page = o.max_items - got;
		if (page > PAGE_SIZE)
			page = PAGE_SIZE;
		if ((req = build_request(&o, page, token)) == NULL)
			goto nomem;
		if ((r = wk_aws_call(client, "ec2",
		    "WicketService.ListAuditEvents", req, &reply,
		    &err)) != 0) {
			wk_aws_error_print(stderr, &err, "ListAuditEvents",
			    endpoint);
			goto out;
		}
		json_decref(req);
		req = NULL;
		events = json_object_get(reply, "Events");
		if (!json_is_array(events)) {
			wk_cli_errx("malformed ListAuditEvents reply (no "
			    "Events list)");
			goto out;
		}
		json_array_foreach(events, i, ev) {
			if (got >= o.max_items)
				break;
			if (!json_is_object(ev))
				continue;
			if (json_array_append(all, ev) != 0)
				goto nomem;
			got++;
		}
		wk_free(token);
		token = NULL;
		tok = json_object_get(reply, "NextToken");
		if (json_is_string(tok) && json_string_length(tok) > 0 &&
		    (token = wk_strdup(json_string_value(tok))) == NULL)
			goto nomem;
		npage = json_array_size(events);
		json_decref(reply);	/* events belonged to it */
		reply = NULL;
		if (token == NULL || npage == 0)
			break;
	}
	*token_out = token;
	return 0;
 nomem:
	wk_cli_errx("out of memory");
 out:
	json_decref(req);
	json_decref(reply);
	wk_free(token);
	return 1;
}

/*
 * --session: the Login and Logout came back; the push that delivered the
 * key has their RequestId and no SessionId.
 */
static int
add_push(struct wk_aws_client *client, const char *endpoint,
    const struct audit_opts *opts, json_t *all)
{
	struct audit_opts o = *opts;
	json_t *pushes, *ev;
	const char *rid = NULL;
	char *token = NULL;
	size_t i;
	int r;

	json_array_foreach(all, i, ev) {
		rid = json_string_value(json_object_get(ev, "RequestId"));
		if (rid != NULL && rid[0] != '\0')
			break;
		rid = NULL;
	}
	if (rid == NULL)
		return 0;
	o.session = NULL;
	o.request_id = rid;
	o.max_items = 100;
	if ((pushes = json_array()) == NULL)
		return 1;
	r = fetch(client, endpoint, &o, pushes, &token);
	wk_free(token);
	json_array_foreach(pushes, i, ev) {
		if (r == 0 && json_object_get(ev, "SessionId") == NULL &&
		    json_array_append(all, ev) != 0)
			r = 1;
	}
	json_decref(pushes);
	return r;
}

static int
cmd_audit_exec(const struct wk_cli_cmd *self, int argc, char **argv)
{
	struct audit_opts o;
	struct wk_aws_config cfg;
	struct wk_aws_client *client = NULL;
	struct wk_buf msg;
	json_t *all = NULL, *req = NULL, *reply = NULL, *sorted = NULL;
	json_t *doc = NULL, *story = NULL;
	char *token = NULL, *dump;
	size_t i;
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
	if ((all = json_array()) == NULL)
		goto nomem;
	if ((r = fetch(client, cfg.endpoint_url, &o, all, &token)) != 0)
		goto out;
	if (o.session != NULL && (r = add_push(client, cfg.endpoint_url, &o,
	    all)) != 0)
		goto out;
	if ((r = sort_events(all, &sorted)) != 0)
		goto nomem;
	if (o.json) {
		if ((doc = json_pack("{s:O}", "Events", sorted)) == NULL ||
		    (token != NULL && json_object_set_new(doc, "NextToken",
		    json_string(token)) != 0))
			goto nomem;
		if ((dump = json_dumps(doc, JSON_INDENT(4) |
		    JSON_PRESERVE_ORDER)) == NULL)
			goto nomem;
		printf("%s\n", dump);
		free(dump);	/* jansson's allocator */
	} else if (o.request_id != NULL || o.session != NULL) {
		/* a story reads oldest first */
		if ((story = json_array()) == NULL)
			goto nomem;
		for (i = json_array_size(sorted); i > 0; i--)
			if (json_array_append(story, json_array_get(sorted,
			    i - 1)) != 0)
				goto nomem;
		if ((r = print_text_cols(story, story_columns, NSTORY)) != 0)
			goto nomem;
	} else if ((r = print_text(sorted)) != 0) {
		goto nomem;
	}
	status = fflush(stdout) == 0 ? 0 : WK_CLI_EXIT_ERR;
	goto out;
 nomem:
	wk_cli_errx("out of memory");
 out:
	json_decref(story);
	json_decref(doc);
	json_decref(sorted);
	json_decref(all);
	json_decref(req);
	json_decref(reply);
	wk_free(token);
	wk_buf_cleanup(&msg);
	wk_aws_client_free(client);
	wk_aws_config_cleanup(&cfg);
	return status;
}

const struct wk_cli_cmd wk_cli_cmd_audit = {
	.name = "audit",
	.summary = "list audit events (who pushed which key where, denials)",
	.usage = audit_usage,
	.exec = cmd_audit_exec,
};
