/*
 * test_cmd_ssh.c - `wicket ssh`/`wicket sftp`: argument parsing, the
 * DescribeInstances reply, and the exact client argv (the --dry-run logic).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cli/cli.h"
#include "common/err.h"

#define ID "i-0123456789abcdef0"
#define HK1 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKqrgW2hm1e8Xr2VqXq0mZJ5"
#define HK2 "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlz"

static int
parse(enum wk_client_kind kind, struct wk_ssh_args *a, struct wk_buf *msg,
    ...)
{
	char *argv[64];
	va_list ap;
	int argc = 0;

	va_start(ap, msg);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	return wk_ssh_parse_args(kind, argc, argv, a, msg);
}

static void
assert_options(const struct wk_ssh_args *a, const char *const *want)
{
	size_t i;

	for (i = 0; want[i] != NULL; i++) {
		assert_true(i < a->options.n);
		assert_string_equal(a->options.v[i], want[i]);
	}
	assert_int_equal(a->options.n, i);
}

static void
test_parse_simple(void **state)
{
	struct wk_ssh_args a;
	struct wk_buf msg;

	(void)state;
	wk_buf_init(&msg, 1024);
	assert_int_equal(parse(WK_CLIENT_SSH, &a, &msg, "ssh", ID, NULL), 0);
	assert_string_equal(a.instance_id, ID);
	assert_null(a.os_user);
	assert_int_equal(a.port, 0);
	assert_int_equal(a.ncommand, 0);
	assert_int_equal(a.options.n, 0);
	assert_false(a.dry_run);
	wk_ssh_args_cleanup(&a);

	assert_int_equal(parse(WK_CLIENT_SSH, &a, &msg, "ssh",
	    "ubuntu@i-01234567", NULL), 0);
	assert_string_equal(a.instance_id, "i-01234567");
	assert_string_equal(a.os_user, "ubuntu");
	wk_ssh_args_cleanup(&a);
	wk_buf_cleanup(&msg);
}

static void
test_parse_options(void **state)
{
	static const char *const want[] = {
		"-v", "-v", "-o", "ServerAliveInterval=30", "-i", "/k",
		"-L", "8080:localhost:80", "-t", "-J", "jump", "-o",
		"Compression=yes", "-A", NULL,
	};
	struct wk_ssh_args a;
	struct wk_buf msg;

	(void)state;
	wk_buf_init(&msg, 1024);
	assert_int_equal(parse(WK_CLIENT_SSH, &a, &msg, "ssh", "-vv",
	    "-o", "ServerAliveInterval=30", "--profile", "ops", "-i/k",
	    "-L", "8080:localhost:80", "--region=eu-west-1", "-tJ", "jump",
	    "-p", "2222", "-l", "admin", "--endpoint-url", "http://e:1",
	    "--dry-run", "-oCompression=yes", "--ssh", "/opt/ssh",
	    "alice@" ID, "-A", "uname", "-a", NULL), 0);
	assert_options(&a, want);
	assert_string_equal(a.aws.profile, "ops");
	assert_string_equal(a.aws.region, "eu-west-1");
	assert_string_equal(a.aws.endpoint_url, "http://e:1");
	assert_string_equal(a.program, "/opt/ssh");
	assert_true(a.dry_run);
	assert_int_equal(a.port, 2222);
	/* -l came first: it wins over user@, as in ssh */
	assert_string_equal(a.os_user, "admin");
	assert_int_equal(a.ncommand, 2);
	assert_string_equal(a.command[0], "uname");
	assert_string_equal(a.command[1], "-a");
	wk_ssh_args_cleanup(&a);

	/* user@ first, -l after the destination: user@ wins */
	assert_int_equal(parse(WK_CLIENT_SSH, &a, &msg, "ssh", "bob@" ID,
	    "-l", "carol", "-p2200", "ls", "-l", NULL), 0);
	assert_string_equal(a.os_user, "bob");
	assert_int_equal(a.port, 2200);
	assert_int_equal(a.ncommand, 2);
	assert_string_equal(a.command[1], "-l");
	assert_int_equal(a.options.n, 0);
	wk_ssh_args_cleanup(&a);

	/* clustered flags ending in an option with its argument attached */
	assert_int_equal(parse(WK_CLIENT_SSH, &a, &msg, "ssh", "-4Cp22", ID,
	    NULL), 0);
	assert_int_equal(a.port, 22);
	assert_int_equal(a.options.n, 2);
	assert_string_equal(a.options.v[0], "-4");
	assert_string_equal(a.options.v[1], "-C");
	wk_ssh_args_cleanup(&a);
	wk_buf_cleanup(&msg);
}

static void
test_parse_double_dash(void **state)
{
	struct wk_ssh_args a;
	struct wk_buf msg;

	(void)state;
	wk_buf_init(&msg, 1024);
	/* "--" before the destination */
	assert_int_equal(parse(WK_CLIENT_SSH, &a, &msg, "ssh", "-v", "--",
	    ID, "-v", "x", NULL), 0);
	assert_int_equal(a.options.n, 1);
	assert_int_equal(a.ncommand, 2);
	assert_string_equal(a.command[0], "-v");
	wk_ssh_args_cleanup(&a);

	/* "--" after the destination: the rest is the command */
	assert_int_equal(parse(WK_CLIENT_SSH, &a, &msg, "ssh", ID, "--",
	    "--dry-run", "-p", "1", NULL), 0);
	assert_false(a.dry_run);
	assert_int_equal(a.port, 0);
	assert_int_equal(a.ncommand, 3);
	assert_string_equal(a.command[0], "--dry-run");
	wk_ssh_args_cleanup(&a);

	/* "--" alone: no destination */
	assert_int_equal(parse(WK_CLIENT_SSH, &a, &msg, "ssh", "--", NULL),
	    WK_ERR_INVAL);
	assert_non_null(strstr(wk_buf_cstr(&msg), "no destination"));
	wk_buf_cleanup(&msg);
}

static void
test_parse_errors(void **state)
{
	static const char *const bad[][4] = {
		{ "ssh", NULL },				/* no dest */
		{ "ssh", "-p", NULL },				/* no arg */
		{ "ssh", "-p", "0", ID },			/* bad port */
		{ "ssh", "-p", "65536", ID },
		{ "ssh", "-p", "22x", ID },
		{ "ssh", "-Z", ID, NULL },			/* unknown */
		{ "ssh", "--bogus", ID, NULL },
		{ "ssh", "--profile", NULL },
		{ "ssh", "--profile=", ID, NULL },
		{ "ssh", "host.example.com", NULL },		/* not an id */
		{ "ssh", "i-0123", NULL },			/* too short */
		{ "ssh", "i-0123456789abcdef01", NULL },	/* too long */
		{ "ssh", "i-0123456789ABCDEF", NULL },		/* upper */
		{ "ssh", "@" ID, NULL },			/* empty user */
		{ "ssh", "-l", "-oProxyCommand=x", ID },	/* bad user */
		{ "ssh", "r oot@" ID, NULL },
		{ "ssh", "us$er@" ID, NULL },		/* '$' only last */
		{ "ssh", "1user@" ID, NULL },
	};
	struct wk_ssh_args a;
	struct wk_buf msg;
	size_t i;
	int argc;

	(void)state;
	wk_buf_init(&msg, 1024);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[4];

		for (argc = 0; argc < 4 && bad[i][argc] != NULL; argc++)
			argv[argc] = (char *)(uintptr_t)bad[i][argc];
		assert_int_equal(wk_ssh_parse_args(WK_CLIENT_SSH, argc, argv,
		    &a, &msg), WK_ERR_INVAL);
		assert_true(msg.len > 0);
		assert_int_equal(a.options.n, 0);
		assert_null(a.dest_user);
	}
	/* --help needs no destination */
	assert_int_equal(parse(WK_CLIENT_SSH, &a, &msg, "ssh", "--help",
	    NULL), 0);
	assert_true(a.help);
	wk_ssh_args_cleanup(&a);
	wk_buf_cleanup(&msg);
}

static void
test_parse_sftp(void **state)
{
	struct wk_ssh_args a;
	struct wk_buf msg;

	(void)state;
	wk_buf_init(&msg, 1024);
	assert_int_equal(parse(WK_CLIENT_SFTP, &a, &msg, "sftp", "-P", "2022",
	    "-l", "100", "-b", "batch", "-r", "ubuntu@" ID ":/var/log",
	    NULL), 0);
	assert_int_equal(a.port, 2022);
	assert_string_equal(a.os_user, "ubuntu");
	assert_string_equal(a.path, "/var/log");
	/* sftp's -l is a bandwidth limit, passed through */
	assert_int_equal(a.options.n, 5);
	assert_string_equal(a.options.v[0], "-l");
	assert_string_equal(a.options.v[1], "100");
	assert_string_equal(a.options.v[4], "-r");
	wk_ssh_args_cleanup(&a);

	assert_int_equal(parse(WK_CLIENT_SFTP, &a, &msg, "sftp", ID, NULL),
	    0);
	assert_null(a.path);
	assert_null(a.os_user);
	wk_ssh_args_cleanup(&a);

	assert_int_equal(parse(WK_CLIENT_SFTP, &a, &msg, "sftp", ID, "extra",
	    NULL), WK_ERR_INVAL);
	assert_int_equal(parse(WK_CLIENT_SFTP, &a, &msg, "sftp", "-p", "22",
	    ID, NULL), WK_ERR_INVAL);	/* -p is a flag: "22" is the dest */
	wk_buf_cleanup(&msg);
}

static json_t *
reply_for(const char *addr, json_t *port, json_t *keys)
{
	json_t *inst = json_pack("{s:s, s:s, s:s, s:b}", "InstanceId", ID,
	    "Hostname", "web-1", "Address", addr, "Online", 1);

	assert_non_null(inst);
	if (port != NULL)
		json_object_set_new(inst, "SshPort", port);
	if (keys != NULL)
		json_object_set_new(inst, "HostKeys", keys);
	return json_pack("{s:[{s:s}, o]}", "Instances", "InstanceId",
	    "i-00000000", inst);
}

static void
test_instance_from_json(void **state)
{
	struct wk_cli_instance in;
	struct wk_buf msg;
	json_t *reply;

	(void)state;
	wk_buf_init(&msg, 1024);
	reply = reply_for("10.0.0.5", json_integer(2222),
	    json_pack("[s, s, i, s, s]", HK1 " root@web-1", HK2,
	    7, "ssh-ed25519 AAAA\nevil", "bad key with spaces"));
	assert_int_equal(wk_cli_instance_from_json(reply, ID, &in, &msg), 0);
	assert_string_equal(in.instance_id, ID);
	assert_string_equal(in.address, "10.0.0.5");
	assert_string_equal(in.hostname, "web-1");
	assert_int_equal(in.port, 2222);
	assert_true(in.online);
	assert_int_equal(in.nhost_keys, 2);
	assert_string_equal(in.host_keys[0], HK1);	/* comment dropped */
	assert_string_equal(in.host_keys[1], HK2);
	wk_cli_instance_cleanup(&in);
	json_decref(reply);

	/* not in the reply */
	reply = reply_for("10.0.0.5", NULL, json_pack("[s]", HK1));
	assert_int_equal(wk_cli_instance_from_json(reply, "i-11111111", &in,
	    &msg), WK_ERR_NOTFOUND);
	/* default port, address fallback to Hostname */
	assert_int_equal(wk_cli_instance_from_json(reply, ID, &in, &msg), 0);
	assert_int_equal(in.port, 22);
	wk_cli_instance_cleanup(&in);
	json_decref(reply);

	reply = reply_for("", NULL, json_pack("[s]", HK1));
	assert_int_equal(wk_cli_instance_from_json(reply, ID, &in, &msg), 0);
	assert_string_equal(in.address, "web-1");
	wk_cli_instance_cleanup(&in);
	json_decref(reply);

	/* unusable: no host keys (no TOFU), bad address, bad port */
	reply = reply_for("10.0.0.5", NULL, json_pack("[s]", "junk"));
	assert_int_equal(wk_cli_instance_from_json(reply, ID, &in, &msg),
	    WK_ERR_INVAL);
	assert_non_null(strstr(wk_buf_cstr(&msg), "host keys"));
	json_decref(reply);
	reply = reply_for("10.0.0.5", NULL, NULL);
	assert_int_equal(wk_cli_instance_from_json(reply, ID, &in, &msg),
	    WK_ERR_INVAL);
	json_decref(reply);
	reply = reply_for("-oProxyCommand=x", NULL, json_pack("[s]", HK1));
	assert_int_equal(wk_cli_instance_from_json(reply, ID, &in, &msg),
	    WK_ERR_INVAL);
	json_decref(reply);
	reply = reply_for("a b", NULL, json_pack("[s]", HK1));
	assert_int_equal(wk_cli_instance_from_json(reply, ID, &in, &msg),
	    WK_ERR_INVAL);
	json_decref(reply);
	reply = reply_for("h", json_integer(70000), json_pack("[s]", HK1));
	assert_int_equal(wk_cli_instance_from_json(reply, ID, &in, &msg),
	    WK_ERR_INVAL);
	json_decref(reply);
	reply = reply_for("h", json_string("22"), json_pack("[s]", HK1));
	assert_int_equal(wk_cli_instance_from_json(reply, ID, &in, &msg),
	    WK_ERR_INVAL);
	json_decref(reply);
	reply = json_pack("{s:{}}", "Instances");
	assert_int_equal(wk_cli_instance_from_json(reply, ID, &in, &msg),
	    WK_ERR_INVAL);
	json_decref(reply);
	wk_buf_cleanup(&msg);
}

static void
build(enum wk_client_kind kind, const char *const *args, size_t nargs,
    const char *addr, unsigned port, const char *const *want)
{
	struct wk_cli_instance in;
	struct wk_ssh_args a;
	struct wk_argv av;
	struct wk_buf msg;
	char *hk[] = { (char *)(uintptr_t)HK1 };
	char *argv[32];
	size_t i;

	wk_buf_init(&msg, 1024);
	for (i = 0; i < nargs; i++)
		argv[i] = (char *)(uintptr_t)args[i];
	assert_int_equal(wk_ssh_parse_args(kind, (int)nargs, argv, &a, &msg),
	    0);
	memset(&in, 0, sizeof(in));
	in.instance_id = (char *)(uintptr_t)ID;
	in.address = (char *)(uintptr_t)addr;
	in.port = port;
	in.host_keys = hk;
	in.nhost_keys = 1;
	assert_int_equal(wk_ssh_build_argv(&a, &in, "/t/d/id_ed25519",
	    "/t/d/known_hosts", &av), 0);
	for (i = 0; want[i] != NULL; i++) {
		assert_true(i < av.n);
		assert_string_equal(av.v[i], want[i]);
	}
	assert_int_equal(av.n, i);
	assert_null(av.v[av.n]);
	wk_argv_free(&av);
	wk_ssh_args_cleanup(&a);
	wk_buf_cleanup(&msg);
}

#define PINNED \
	"-i", "/t/d/id_ed25519", "-o", "IdentitiesOnly=yes", \
	"-o", "UserKnownHostsFile=/t/d/known_hosts", \
	"-o", "GlobalKnownHostsFile=/dev/null", \
	"-o", "StrictHostKeyChecking=yes", "-o", "HostKeyAlias=" ID, \
	"-o", "CheckHostIP=no", "-o", "UpdateHostKeys=no"

static void
test_build_argv(void **state)
{
	static const char *const a1[] = { "ssh", ID };
	static const char *const w1[] = {
		"ssh", PINNED, "-p", "22", "--", "ec2-user@10.0.0.5", NULL,
	};
	static const char *const a2[] = {
		"ssh", "--ssh", "/usr/bin/ssh", "-v", "-o", "User=x",
		"-p", "2200", ("ubuntu@" ID), "sudo", "-i",
	};
	static const char *const w2[] = {
		"/usr/bin/ssh", PINNED, "-p", "2200", "-v", "-o", "User=x",
		"--", "ubuntu@web-1.example", "sudo", "-i", NULL,
	};
	static const char *const a3[] = { "sftp", "-b", "f", (ID ":/tmp") };
	static const char *const w3[] = {
		"sftp", PINNED, "-P", "2222", "-b", "f", "--",
		"ec2-user@[fd00::5]:/tmp", NULL,
	};
	static const char *const a4[] = { "sftp", "-l", "9", ("root@" ID) };
	static const char *const w4[] = {
		"sftp", PINNED, "-P", "22", "-l", "9", "--", "root@10.1.1.1",
		NULL,
	};

	(void)state;
	build(WK_CLIENT_SSH, a1, 2, "10.0.0.5", 22, w1);
	build(WK_CLIENT_SSH, a2, 11, "web-1.example", 2222, w2);
	build(WK_CLIENT_SFTP, a3, 4, "fd00::5", 2222, w3);
	build(WK_CLIENT_SFTP, a4, 4, "10.1.1.1", 22, w4);
}

static void
test_known_hosts(void **state)
{
	struct wk_cli_instance in;
	struct wk_buf b;
	char *hk[] = { (char *)(uintptr_t)HK1, (char *)(uintptr_t)HK2 };

	(void)state;
	wk_buf_init(&b, 65536);
	assert_int_equal(wk_known_hosts_host("10.0.0.5", 22, &b), 0);
	assert_string_equal(wk_buf_cstr(&b), "10.0.0.5");
	wk_buf_reset(&b);
	assert_int_equal(wk_known_hosts_host("10.0.0.5", 2222, &b), 0);
	assert_string_equal(wk_buf_cstr(&b), "[10.0.0.5]:2222");
	wk_buf_reset(&b);
	assert_int_equal(wk_known_hosts_host("::1", 22, &b), 0);
	assert_string_equal(wk_buf_cstr(&b), "::1");
	wk_buf_reset(&b);

	memset(&in, 0, sizeof(in));
	in.instance_id = (char *)(uintptr_t)ID;
	in.address = (char *)(uintptr_t)"host.example";
	in.port = 22;
	in.host_keys = hk;
	in.nhost_keys = 2;
	assert_int_equal(wk_known_hosts_format(&in, 22, &b), 0);
	assert_string_equal(wk_buf_cstr(&b),
	    ID " " HK1 "\n" ID " " HK2 "\n"
	    "host.example " HK1 "\nhost.example " HK2 "\n");
	wk_buf_reset(&b);
	assert_int_equal(wk_known_hosts_format(&in, 2022, &b), 0);
	assert_string_equal(wk_buf_cstr(&b),
	    ID " " HK1 "\n" ID " " HK2 "\n"
	    "[host.example]:2022 " HK1 "\n[host.example]:2022 " HK2 "\n");
	wk_buf_reset(&b);
	in.nhost_keys = 0;
	assert_int_equal(wk_known_hosts_format(&in, 22, &b), WK_ERR_INVAL);
	wk_buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_simple),
		cmocka_unit_test(test_parse_options),
		cmocka_unit_test(test_parse_double_dash),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_sftp),
		cmocka_unit_test(test_instance_from_json),
		cmocka_unit_test(test_build_argv),
		cmocka_unit_test(test_known_hosts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
