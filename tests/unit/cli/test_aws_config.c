/*
 * test_aws_config.c - the INI parser and the credentials/region/endpoint
 * resolution matrix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/aws_config.h"
#include "common/alloc.h"
#include "common/err.h"

static char tmpdir[] = "/tmp/wk-cli-test-XXXXXX";
static char creds_path[256], conf_path[256];

static const char *const env_vars[] = {
	"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT",
	"AWS_ENDPOINT_URL_EC2", "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL_IAM",
	"AWS_ENDPOINT_URL_STS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", NULL,
};

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; env_vars[i] != NULL; i++)
		unsetenv(env_vars[i]);
	unlink(creds_path);
	unlink(conf_path);
	setenv("AWS_SHARED_CREDENTIALS_FILE", creds_path, 1);
	setenv("AWS_CONFIG_FILE", conf_path, 1);
	return 0;
}

static int
resolve(const char *profile, const char *region, const char *endpoint,
    struct wk_aws_config *cfg, struct wk_buf *msg)
{
	struct wk_aws_opts o = { profile, region, endpoint, NULL };

	return wk_aws_config_resolve(&o, WK_AWS_SVC_EC2, cfg, msg);
}

static void
test_ini_basic(void **state)
{
	struct wk_ini ini;
	size_t line;
	const char *text =
	    "\xef\xbb\xbf# comment\n"
	    "; another\n"
	    "[default]\r\n"
	    "AWS_Access_Key_ID = AKIAONE \r\n"
	    "region: eu-west-1\n"
	    "s3 =\n"
	    "  max_concurrent_requests = 10\n"
	    "\n"
	    "[ profile  dev ]\n"
	    "key=a=b\n"
	    "key = later\n"
	    "empty =\n";

	(void)state;
	assert_int_equal(wk_ini_parse(wk_span_from_cstr(text), &ini, &line),
	    0);
	assert_string_equal(wk_ini_get(&ini, "default", "aws_access_key_id"),
	    "AKIAONE");
	assert_string_equal(wk_ini_get(&ini, "default", "region"),
	    "eu-west-1");
	assert_string_equal(wk_ini_get(&ini, "default", "s3"), "");
	assert_null(wk_ini_get(&ini, "default", "max_concurrent_requests"));
	/* a nested section's values are "parent.key" */
	assert_string_equal(wk_ini_get(&ini, "default",
	    "s3.max_concurrent_requests"), "10");
	assert_string_equal(wk_ini_get(&ini, "profile  dev", "key"), "later");
	assert_string_equal(wk_ini_get(&ini, "profile  dev", "empty"), "");
	assert_null(wk_ini_get(&ini, "dev", "key"));
	wk_ini_free(&ini);
	wk_ini_free(&ini);	/* idempotent */
}

static void
test_ini_malformed(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		size_t line;
	} cases[] = {
		{ "key = v\n", 0, 1 },			/* before any section */
		{ "[a]\nno separator\n", 0, 2 },
		{ "[a]\n = v\n", 0, 2 }, /* indented, no key yet */
		{ "[a]\nk = v\n = w\n", 0, 0 },	/* continuation: ok */
		{ "[a]\nk = v", 0, 0 },		/* no final newline */
		{ "[a\nk=v\n", 0, 1 },
		{ "[]\n", 0, 1 },
		{ "[ ]\n", 0, 1 },
		{ "[a]\n=v\n", 0, 2 },
		{ "[a]\nk=v\0x\n", 10, 2 },		/* NUL byte */
	};
	struct wk_ini ini;
	size_t i, line;
	int r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len :
		    strlen(cases[i].text);

		r = wk_ini_parse(wk_span_from_mem(cases[i].text, len), &ini,
		    &line);
		if (cases[i].line == 0) {
			assert_int_equal(r, 0);
			wk_ini_free(&ini);
			continue;
		}
		assert_int_equal(r, WK_ERR_INVAL);
		assert_int_equal(line, cases[i].line);
		assert_null(ini.v);
		assert_int_equal(ini.n, 0);
	}
}

static void
test_ini_limits(void **state)
{
	struct wk_ini ini;
	struct wk_buf b;
	size_t line, i;

	(void)state;
	wk_buf_init(&b, 4 * 1024 * 1024);
	assert_int_equal(wk_buf_append_str(&b, "[a]\nk = "), 0);
	for (i = 0; i < WK_INI_MAX_LINE; i++)
		assert_int_equal(wk_buf_putc(&b, 'x'), 0);
	assert_int_equal(wk_ini_parse(wk_buf_span(&b), &ini, &line),
	    WK_ERR_TOOBIG);
	assert_int_equal(line, 2);

	wk_buf_reset(&b);
	assert_int_equal(wk_buf_append_str(&b, "[a]\n"), 0);
	while (b.len <= WK_INI_MAX_FILE)
		assert_int_equal(wk_buf_append_str(&b, "# filler\n"), 0);
	assert_int_equal(wk_ini_parse(wk_buf_span(&b), &ini, &line),
	    WK_ERR_TOOBIG);

	wk_buf_reset(&b);
	assert_int_equal(wk_buf_append_str(&b, "[a]\n"), 0);
	for (i = 0; i <= WK_INI_MAX_ENTRIES; i++)
		assert_int_equal(wk_buf_appendf(&b, "k%zu=v\n", i), 0);
	assert_int_equal(wk_ini_parse(wk_buf_span(&b), &ini, &line),
	    WK_ERR_TOOBIG);
	wk_buf_cleanup(&b);

	assert_int_equal(wk_ini_load("/nonexistent/wicket/x", &ini, &line),
	    WK_ERR_NOTFOUND);
	/* not a regular file: empty, as botocore's os.path.isfile */
	assert_int_equal(wk_ini_load("/", &ini, &line), 0);
	assert_int_equal(ini.n, 0);
}

static void
test_ini_alloc_failure(void **state)
{
	struct wk_ini ini;
	size_t line;
	long n;
	int r;
	const char *text = "[a]\nk=v\nl=w\n[b]\nm=x\n";

	(void)state;
	for (n = 0; n < 64; n++) {
		wk_alloc_fail_after(n);
		r = wk_ini_parse(wk_span_from_cstr(text), &ini, &line);
		wk_alloc_fail_after(-1);
		if (r == 0) {
			assert_string_equal(wk_ini_get(&ini, "b", "m"), "x");
			wk_ini_free(&ini);
			break;
		}
		assert_int_equal(r, WK_ERR_NOMEM);
	}
	assert_true(n < 64);
}

static void
test_env_over_files(void **state)
{
	struct wk_aws_config cfg;
	struct wk_buf msg;

	(void)state;
	wk_buf_init(&msg, 4096);
	write_text(creds_path, "[default]\naws_access_key_id = AKFILE\n"
	    "aws_secret_access_key = secretfile\n");
	write_text(conf_path, "[default]\nregion = eu-central-1\n"
	    "endpoint_url = http://127.0.0.1:1/\n");
	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
	setenv("AWS_SESSION_TOKEN", "tok", 1);
	assert_int_equal(resolve(NULL, NULL, NULL, &cfg, &msg), 0);
	assert_string_equal(cfg.access_key_id, "AKENV");
	assert_string_equal(cfg.secret_access_key, "secretenv");
	assert_string_equal(cfg.session_token, "tok");
	assert_string_equal(cfg.cred_source, "environment");
	assert_string_equal(cfg.region, "eu-central-1");
	assert_string_equal(cfg.endpoint_url, "http://127.0.0.1:1/");
	assert_string_equal(cfg.profile, "default");
	wk_aws_config_cleanup(&cfg);

	/* AWS_PROFILE does not beat env credentials either */
	setenv("AWS_PROFILE", "default", 1);
	assert_int_equal(resolve(NULL, NULL, NULL, &cfg, &msg), 0);
	assert_string_equal(cfg.access_key_id, "AKENV");
	wk_aws_config_cleanup(&cfg);

	/* an explicit --profile ignores env credentials */
	assert_int_equal(resolve("default", NULL, NULL, &cfg, &msg), 0);
	assert_string_equal(cfg.access_key_id, "AKFILE");
	assert_null(cfg.session_token);
	assert_string_equal(cfg.cred_source, "shared credentials file");
	wk_aws_config_cleanup(&cfg);

	/* empty env values count as unset */
	setenv("AWS_ACCESS_KEY_ID", "", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "", 1);
	assert_int_equal(resolve(NULL, NULL, NULL, &cfg, &msg), 0);
	assert_string_equal(cfg.access_key_id, "AKFILE");
	wk_aws_config_cleanup(&cfg);

	/* partial env credentials are an error, as botocore */
	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
	assert_int_equal(resolve(NULL, NULL, NULL, &cfg, &msg),
	    WK_ERR_INVAL);
	assert_non_null(strstr(wk_buf_cstr(&msg), "partial credentials"));
	assert_null(cfg.access_key_id);
	wk_buf_cleanup(&msg);
}

static void
test_profiles(void **state)
{
	struct wk_aws_config cfg;
	struct wk_buf msg;

	(void)state;
	wk_buf_init(&msg, 4096);
	write_text(creds_path,
	    "[default]\naws_access_key_id=AKDEF\naws_secret_access_key=s1\n"
	    "[dev]\naws_access_key_id=AKDEV\naws_secret_access_key=s2\n"
	    "aws_session_token=t2\n"
	    "[profile prod]\naws_access_key_id=AKWRONG\n"
	    "aws_secret_access_key=wrong\n");
	write_text(conf_path,
	    "[default]\nregion=us-west-2\n"
	    "[dev]\nregion=wrong-1\n"	/* config needs [profile dev] */
	    "[profile dev]\nregion=ap-south-1\n"
	    "endpoint_url=https://dev.example\n"
	    "[profile prod]\naws_access_key_id=AKPROD\n"
	    "aws_secret_access_key=s3\nregion=eu-north-1\n"
	    "[profile\tonly-conf]\nregion=sa-east-1\n");
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9/", 1);

	assert_int_equal(resolve(NULL, NULL, NULL, &cfg, &msg), 0);
	assert_string_equal(cfg.access_key_id, "AKDEF");
	assert_string_equal(cfg.region, "us-west-2");
	wk_aws_config_cleanup(&cfg);

	setenv("AWS_PROFILE", "dev", 1);
	assert_int_equal(resolve(NULL, NULL, NULL, &cfg, &msg), 0);
	assert_string_equal(cfg.profile, "dev");
	assert_string_equal(cfg.access_key_id, "AKDEV");
	assert_string_equal(cfg.session_token, "t2");
	assert_string_equal(cfg.region, "ap-south-1");
	/* AWS_ENDPOINT_URL beats the profile's endpoint_url */
	assert_string_equal(cfg.endpoint_url, "http://127.0.0.1:9/");
	wk_aws_config_cleanup(&cfg);

	/* --profile beats AWS_PROFILE; [profile prod] in the credentials
	 * file is not profile prod; the config file's keys are used */
	assert_int_equal(resolve("prod", NULL, NULL, &cfg, &msg), 0);
	assert_string_equal(cfg.access_key_id, "AKPROD");
	assert_string_equal(cfg.cred_source, "config file");
	assert_string_equal(cfg.region, "eu-north-1");
	wk_aws_config_cleanup(&cfg);

	/* missing credentials: a clear message naming the files */
	assert_int_equal(resolve("only-conf", NULL, NULL, &cfg, &msg),
	    WK_ERR_NOTFOUND);
	assert_non_null(strstr(wk_buf_cstr(&msg),
	    "no credentials found for profile 'only-conf'"));
	assert_non_null(strstr(wk_buf_cstr(&msg), creds_path));
	assert_non_null(strstr(wk_buf_cstr(&msg), conf_path));
	assert_null(strstr(wk_buf_cstr(&msg), "environment"));

	assert_int_equal(resolve("nosuch", NULL, NULL, &cfg, &msg),
	    WK_ERR_NOTFOUND);
	assert_non_null(strstr(wk_buf_cstr(&msg), "no such profile"));
	wk_buf_cleanup(&msg);
}

static void
test_region_and_endpoint(void **state)
{
	struct wk_aws_config cfg;
	struct wk_buf msg;

	(void)state;
	wk_buf_init(&msg, 4096);
	write_text(conf_path, "[default]\nregion = eu-west-3\n"
	    "endpoint_url = http://profile.example\n"
	    "aws_access_key_id=AK\naws_secret_access_key=S\n");

	assert_int_equal(resolve(NULL, NULL, NULL, &cfg, &msg), 0);
	assert_string_equal(cfg.region, "eu-west-3");
	assert_string_equal(cfg.endpoint_url, "http://profile.example");
	wk_aws_config_cleanup(&cfg);

	setenv("AWS_DEFAULT_REGION", "us-east-2", 1);
	setenv("AWS_ENDPOINT_URL", "http://generic.example", 1);
	assert_int_equal(resolve(NULL, NULL, NULL, &cfg, &msg), 0);
	assert_string_equal(cfg.region, "us-east-2");
	assert_string_equal(cfg.endpoint_url, "http://generic.example");
	wk_aws_config_cleanup(&cfg);

	setenv("AWS_REGION", "ca-central-1", 1);
	setenv("AWS_ENDPOINT_URL_EC2", "http://ec2.example", 1);
	assert_int_equal(resolve(NULL, NULL, NULL, &cfg, &msg), 0);
	assert_string_equal(cfg.region, "ca-central-1");
	assert_string_equal(cfg.endpoint_url, "http://ec2.example");
	wk_aws_config_cleanup(&cfg);

	/* each service has its own variable; EC2's is not EIC's */
	setenv("AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT", "https://eic.example",
	    1);
	assert_int_equal(resolve(NULL, NULL, NULL, &cfg, &msg), 0);
	assert_string_equal(cfg.endpoint_url, "http://ec2.example");
	assert_string_equal(cfg.endpoints[WK_AWS_SVC_EC2],
	    "http://ec2.example");
	assert_string_equal(cfg.endpoints[WK_AWS_SVC_EIC],
	    "https://eic.example");
	assert_string_equal(cfg.endpoints[WK_AWS_SVC_IAM],
	    "http://generic.example");
	assert_string_equal(cfg.endpoints[WK_AWS_SVC_STS],
	    "http://generic.example");
	wk_aws_config_cleanup(&cfg);
	{
		struct wk_aws_opts o = { NULL, NULL, NULL, NULL };

		assert_int_equal(wk_aws_config_resolve(&o, WK_AWS_SVC_EIC,
		    &cfg, &msg), 0);
		assert_string_equal(cfg.endpoint_url, "https://eic.example");
		wk_aws_config_cleanup(&cfg);
	}

	assert_int_equal(resolve(NULL, "me-south-1", "http://cli.example:8080",
	    &cfg, &msg), 0);
	assert_string_equal(cfg.region, "me-south-1");
	assert_string_equal(cfg.endpoint_url, "http://cli.example:8080");
	wk_aws_config_cleanup(&cfg);

	/* bad values */
	assert_int_equal(resolve(NULL, "Bad Region", NULL, &cfg, &msg),
	    WK_ERR_INVAL);
	assert_int_equal(resolve(NULL, NULL, "ftp://x", &cfg, &msg),
	    WK_ERR_INVAL);
	assert_non_null(strstr(wk_buf_cstr(&msg), "invalid endpoint"));
	assert_int_equal(resolve(NULL, NULL, "http://a b", &cfg, &msg),
	    WK_ERR_INVAL);

	/* no endpoint anywhere; default region */
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_EC2");
	unsetenv("AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT");
	write_text(conf_path, "[default]\n"
	    "aws_access_key_id=AK\naws_secret_access_key=S\n");
	assert_int_equal(resolve(NULL, NULL, NULL, &cfg, &msg),
	    WK_ERR_NOTFOUND);
	assert_non_null(strstr(wk_buf_cstr(&msg), "no endpoint"));
	{
		struct wk_aws_opts o = { NULL, NULL, NULL, NULL };

		assert_int_equal(wk_aws_config_resolve(&o, 0, &cfg, &msg), 0);
		assert_null(cfg.endpoint_url);
		assert_string_equal(cfg.region, "us-east-1");
		wk_aws_config_cleanup(&cfg);
	}
	wk_buf_cleanup(&msg);
}

static void
test_malformed_and_missing_files(void **state)
{
	struct wk_aws_config cfg;
	struct wk_buf msg;

	(void)state;
	wk_buf_init(&msg, 4096);
	/* no files at all, env credentials: fine */
	setenv("AWS_ACCESS_KEY_ID", "AK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "S", 1);
	assert_int_equal(resolve(NULL, NULL, "http://x", &cfg, &msg), 0);
	wk_aws_config_cleanup(&cfg);

	/* a malformed file is an error naming file and line */
	write_text(conf_path, "[default]\nregion us-east-1\n");
	assert_int_equal(resolve(NULL, NULL, "http://x", &cfg, &msg),
	    WK_ERR_INVAL);
	assert_non_null(strstr(wk_buf_cstr(&msg), conf_path));
	assert_non_null(strstr(wk_buf_cstr(&msg), "line 2"));
	unlink(conf_path);

	/* partial credentials in a file */
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	write_text(creds_path, "[default]\naws_secret_access_key=S\n");
	assert_int_equal(resolve(NULL, NULL, "http://x", &cfg, &msg),
	    WK_ERR_INVAL);
	assert_non_null(strstr(wk_buf_cstr(&msg), "aws_access_key_id"));

	/* no credentials at all, default: the env is mentioned */
	unlink(creds_path);
	assert_int_equal(resolve(NULL, NULL, "http://x", &cfg, &msg),
	    WK_ERR_NOTFOUND);
	assert_non_null(strstr(wk_buf_cstr(&msg), "the environment"));

	/* HOME-relative defaults when the file variables are unset */
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_CONFIG_FILE");
	setenv("HOME", tmpdir, 1);
	assert_int_equal(resolve(NULL, NULL, "http://x", &cfg, &msg),
	    WK_ERR_NOTFOUND);
	assert_non_null(strstr(wk_buf_cstr(&msg), "/.aws/credentials"));
	assert_non_null(strstr(wk_buf_cstr(&msg), tmpdir));
	wk_buf_cleanup(&msg);
}

static void
test_non_regular_files(void **state)
{
	struct wk_aws_config cfg;
	struct wk_buf msg;
	char fifo[300];

	(void)state;
	wk_buf_init(&msg, 4096);
	write_text(creds_path, "[default]\naws_access_key_id=AK\n"
	    "aws_secret_access_key=S\n");
	/* /dev/null is an empty config, as for the AWS CLI and SDKs */
	setenv("AWS_CONFIG_FILE", "/dev/null", 1);
	assert_int_equal(resolve(NULL, NULL, "http://x", &cfg, &msg), 0);
	assert_string_equal(cfg.region, "us-east-1");
	wk_aws_config_cleanup(&cfg);
	/* so is a FIFO nobody writes to: opened without waiting, not read */
	snprintf(fifo, sizeof(fifo), "%s/fifo", tmpdir);
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	setenv("AWS_CONFIG_FILE", fifo, 1);
	assert_int_equal(resolve(NULL, NULL, "http://x", &cfg, &msg), 0);
	wk_aws_config_cleanup(&cfg);
	/* and a directory; and a missing file */
	setenv("AWS_CONFIG_FILE", tmpdir, 1);
	assert_int_equal(resolve(NULL, NULL, "http://x", &cfg, &msg), 0);
	wk_aws_config_cleanup(&cfg);
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	assert_int_equal(resolve(NULL, NULL, "http://x", &cfg, &msg), 0);
	wk_aws_config_cleanup(&cfg);
	/* the credentials file too: then the env keys are the only ones */
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	assert_int_equal(resolve(NULL, NULL, "http://x", &cfg, &msg),
	    WK_ERR_NOTFOUND);
	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "S", 1);
	assert_int_equal(resolve(NULL, NULL, "http://x", &cfg, &msg), 0);
	assert_string_equal(cfg.access_key_id, "AKENV");
	wk_aws_config_cleanup(&cfg);
	{
		struct wk_ini ini;

		assert_int_equal(wk_ini_load("/dev/null", &ini, NULL), 0);
		assert_int_equal(ini.n, 0);
		assert_int_equal(wk_ini_load(fifo, &ini, NULL), 0);
		assert_int_equal(ini.n, 0);
	}
	unlink(fifo);
	wk_buf_cleanup(&msg);
}

static void
test_services_section(void **state)
{
	struct wk_aws_config cfg;
	struct wk_aws_opts o = { NULL, NULL, NULL, NULL };
	struct wk_buf msg;

	(void)state;
	wk_buf_init(&msg, 4096);
	write_text(conf_path, "[default]\naws_access_key_id=AK\n"
	    "aws_secret_access_key=S\n"
	    "endpoint_url = http://global.example\n"
	    "services = local\n"
	    "[services local]\n"
	    "ec2 =\n"
	    "  endpoint_url = http://ec2.local\n"
	    "ec2_instance_connect =\n"
	    "  endpoint_url = https://eic.local:8443\n"
	    "[services other]\n"
	    "iam =\n"
	    "  endpoint_url = http://wrong.example\n");
	assert_int_equal(wk_aws_config_resolve(&o, WK_AWS_SVC_EIC, &cfg,
	    &msg), 0);
	assert_string_equal(cfg.endpoint_url, "https://eic.local:8443");
	assert_string_equal(cfg.endpoints[WK_AWS_SVC_EC2], "http://ec2.local");
	/* no service entry: the profile's endpoint_url */
	assert_string_equal(cfg.endpoints[WK_AWS_SVC_IAM],
	    "http://global.example");
	wk_aws_config_cleanup(&cfg);

	/* AWS_ENDPOINT_URL beats the services section; the service's own
	 * variable beats AWS_ENDPOINT_URL */
	setenv("AWS_ENDPOINT_URL", "http://env.example", 1);
	setenv("AWS_ENDPOINT_URL_STS", "http://sts.env", 1);
	assert_int_equal(wk_aws_config_resolve(&o, WK_AWS_SVC_EIC, &cfg,
	    &msg), 0);
	assert_string_equal(cfg.endpoint_url, "http://env.example");
	assert_string_equal(cfg.endpoints[WK_AWS_SVC_STS], "http://sts.env");
	wk_aws_config_cleanup(&cfg);

	/* ignore_configured_endpoint_urls: only --endpoint-url counts */
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE", 1);
	assert_int_equal(wk_aws_config_resolve(&o, WK_AWS_SVC_EIC, &cfg,
	    &msg), WK_ERR_NOTFOUND);
	assert_non_null(strstr(wk_buf_cstr(&msg), "ignored"));
	assert_non_null(strstr(wk_buf_cstr(&msg),
	    "AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT"));
	o.endpoint_url = "http://cli.example";
	assert_int_equal(wk_aws_config_resolve(&o, WK_AWS_SVC_EIC, &cfg,
	    &msg), 0);
	assert_string_equal(cfg.endpoint_url, "http://cli.example");
	assert_string_equal(cfg.endpoints[WK_AWS_SVC_IAM],
	    "http://cli.example");
	wk_aws_config_cleanup(&cfg);
	o.endpoint_url = NULL;
	/* the variable wins over the profile's setting, both ways */
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false", 1);
	write_text(conf_path, "[default]\naws_access_key_id=AK\n"
	    "aws_secret_access_key=S\n"
	    "endpoint_url = http://global.example\n"
	    "ignore_configured_endpoint_urls = true\n");
	assert_int_equal(wk_aws_config_resolve(&o, WK_AWS_SVC_EIC, &cfg,
	    &msg), 0);
	wk_aws_config_cleanup(&cfg);
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_ENDPOINT_URL");
	assert_int_equal(wk_aws_config_resolve(&o, WK_AWS_SVC_EIC, &cfg,
	    &msg), WK_ERR_NOTFOUND);

	/* a bad URL names where it came from */
	write_text(conf_path, "[default]\naws_access_key_id=AK\n"
	    "aws_secret_access_key=S\n");
	setenv("AWS_ENDPOINT_URL_EC2", "ftp://x", 1);
	assert_int_equal(wk_aws_config_resolve(&o, WK_AWS_SVC_NONE, &cfg,
	    &msg), WK_ERR_INVAL);
	assert_non_null(strstr(wk_buf_cstr(&msg), "AWS_ENDPOINT_URL_"));
	wk_buf_cleanup(&msg);
}

static void
test_ca_bundle(void **state)
{
	struct wk_aws_config cfg;
	struct wk_aws_opts o = { NULL, NULL, "http://x", NULL };
	struct wk_buf msg;

	(void)state;
	wk_buf_init(&msg, 4096);
	write_text(conf_path, "[default]\naws_access_key_id=AK\n"
	    "aws_secret_access_key=S\nca_bundle = /profile/ca.pem\n");
	assert_int_equal(wk_aws_config_resolve(&o, WK_AWS_SVC_EIC, &cfg,
	    &msg), 0);
	assert_string_equal(cfg.ca_bundle, "/profile/ca.pem");
	wk_aws_config_cleanup(&cfg);
	setenv("AWS_CA_BUNDLE", "/env/ca.pem", 1);
	assert_int_equal(wk_aws_config_resolve(&o, WK_AWS_SVC_EIC, &cfg,
	    &msg), 0);
	assert_string_equal(cfg.ca_bundle, "/env/ca.pem");
	wk_aws_config_cleanup(&cfg);
	o.ca_bundle = "/cli/ca.pem";
	assert_int_equal(wk_aws_config_resolve(&o, WK_AWS_SVC_EIC, &cfg,
	    &msg), 0);
	assert_string_equal(cfg.ca_bundle, "/cli/ca.pem");
	wk_aws_config_cleanup(&cfg);
	unsetenv("AWS_CA_BUNDLE");
	write_text(conf_path, "[default]\naws_access_key_id=AK\n"
	    "aws_secret_access_key=S\n");
	o.ca_bundle = NULL;
	assert_int_equal(wk_aws_config_resolve(&o, WK_AWS_SVC_EIC, &cfg,
	    &msg), 0);
	assert_null(cfg.ca_bundle);
	wk_aws_config_cleanup(&cfg);
	wk_buf_cleanup(&msg);
}

/* A credential_process script in the test dir that prints `json`. */
static void
write_process(const char *name, const char *body)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	assert_int_equal(chmod(path, 0700), 0);
}

static void
test_credential_process(void **state)
{
	struct wk_aws_config cfg;
	struct wk_buf msg;
	char text[2048];

	(void)state;
	wk_buf_init(&msg, 4096);
	write_process("good", "printf '%s' '{\"Version\": 1, "
	    "\"AccessKeyId\": \"AKPROC\", \"SecretAccessKey\": \"sp\", "
	    "\"SessionToken\": \"tp\", "
	    "\"Expiration\": \"2999-01-01T00:00:00Z\"}'");
	write_process("fails", "echo 'MFA device not found' >&2; exit 3");
	write_process("badjson", "echo '{\"Version\": 1,'");
	write_process("v2", "echo '{\"Version\": 2, \"AccessKeyId\": \"A\", "
	    "\"SecretAccessKey\": \"S\"}'");
	write_process("nokey", "echo '{\"Version\": 1, \"AccessKeyId\": "
	    "\"A\"}'");
	write_process("expired", "echo '{\"Version\": 1, \"AccessKeyId\": "
	    "\"A\", \"SecretAccessKey\": \"S\", \"Expiration\": "
	    "\"2001-01-01T00:00:00Z\"}'");
	write_process("args", "[ \"$1\" = 'a b' ] && [ \"$2\" = '$HOME' ] && "
	    "echo '{\"Version\": 1, \"AccessKeyId\": \"AKARGS\", "
	    "\"SecretAccessKey\": \"S\"}'");

	snprintf(text, sizeof(text), "[profile p]\n"
	    "credential_process = %s/good\n", tmpdir);
	write_text(conf_path, text);
	assert_int_equal(resolve("p", NULL, "http://x", &cfg, &msg), 0);
	assert_string_equal(cfg.access_key_id, "AKPROC");
	assert_string_equal(cfg.secret_access_key, "sp");
	assert_string_equal(cfg.session_token, "tp");
	assert_string_equal(cfg.cred_source, "credential_process");
	assert_true(cfg.expiration > 0);
	wk_aws_config_cleanup(&cfg);

	/* the env keys win when no --profile is given */
	setenv("AWS_PROFILE", "p", 1);
	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "S", 1);
	assert_int_equal(resolve(NULL, NULL, "http://x", &cfg, &msg), 0);
	assert_string_equal(cfg.access_key_id, "AKENV");
	wk_aws_config_cleanup(&cfg);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_PROFILE");

	/* static keys in the credentials file win over the process */
	write_text(creds_path, "[p]\naws_access_key_id=AKSTATIC\n"
	    "aws_secret_access_key=S\n");
	assert_int_equal(resolve("p", NULL, "http://x", &cfg, &msg), 0);
	assert_string_equal(cfg.access_key_id, "AKSTATIC");
	wk_aws_config_cleanup(&cfg);
	unlink(creds_path);

	/* the process wins over static keys in the config file (botocore's
	 * provider order: shared-credentials-file, custom-process,
	 * config-file) */
	snprintf(text, sizeof(text), "[profile p]\n"
	    "aws_access_key_id=AKCONF\naws_secret_access_key=S\n"
	    "credential_process = %s/good\n", tmpdir);
	write_text(conf_path, text);
	assert_int_equal(resolve("p", NULL, "http://x", &cfg, &msg), 0);
	assert_string_equal(cfg.access_key_id, "AKPROC");
	wk_aws_config_cleanup(&cfg);

	/* words are split like a shell's, with no shell */
	snprintf(text, sizeof(text), "[profile p]\n"
	    "credential_process = \"%s/args\" 'a b' $HOME\n", tmpdir);
	write_text(conf_path, text);
	assert_int_equal(resolve("p", NULL, "http://x", &cfg, &msg), 0);
	assert_string_equal(cfg.access_key_id, "AKARGS");
	assert_null(cfg.session_token);
	wk_aws_config_cleanup(&cfg);

	/* failures: clear messages, no credentials */
	{
		static const struct {
			const char *cmd;
			const char *want;
		} bad[] = {
			{ "fails",
			    "exited with status 3: MFA device not found" },
			{ "badjson", "not a JSON object" },
			{ "v2", "unsupported Version" },
			{ "nokey", "missing the required key SecretAccessKey" },
			{ "expired", "expired credentials" },
			/* "cannot run ... program", or under valgrind
			 * (fork+exec) "exited with status 127" */
			{ "nosuch", "credential_process '" },
			{ "good 'unterminated", "no closing single quotation" },
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(text, sizeof(text), "[profile p]\n"
			    "credential_process = %s/%s\n", tmpdir,
			    bad[i].cmd);
			write_text(conf_path, text);
			assert_int_equal(resolve("p", NULL, "http://x", &cfg,
			    &msg), WK_ERR_INVAL);
			if (strstr(wk_buf_cstr(&msg), bad[i].want) == NULL)
				fail_msg("%s: %s", bad[i].cmd,
				    wk_buf_cstr(&msg));
			assert_non_null(strstr(wk_buf_cstr(&msg),
			    "profile 'p'"));
			assert_null(cfg.access_key_id);
		}
	}
	{
		static const char *const names[] = { "good", "fails",
		    "badjson", "v2", "nokey", "expired", "args" };
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(text, sizeof(text), "%s/%s", tmpdir,
			    names[i]);
			unlink(text);
		}
	}
	wk_buf_cleanup(&msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ini_basic),
		cmocka_unit_test(test_ini_malformed),
		cmocka_unit_test(test_ini_limits),
		cmocka_unit_test(test_ini_alloc_failure),
		cmocka_unit_test_setup(test_env_over_files, setup),
		cmocka_unit_test_setup(test_profiles, setup),
		cmocka_unit_test_setup(test_region_and_endpoint, setup),
		cmocka_unit_test_setup(test_malformed_and_missing_files,
		    setup),
		cmocka_unit_test_setup(test_non_regular_files, setup),
		cmocka_unit_test_setup(test_services_section, setup),
		cmocka_unit_test_setup(test_ca_bundle, setup),
		cmocka_unit_test_setup(test_credential_process, setup),
	};
	int r;

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	snprintf(creds_path, sizeof(creds_path), "%s/credentials", tmpdir);
	snprintf(conf_path, sizeof(conf_path), "%s/config", tmpdir);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(creds_path);
	unlink(conf_path);
	rmdir(tmpdir);
	return r;
}
