/*
 * test_instance_json.c - the push reply's WicketInstance member: taken
 * when present and valid, "absent" (fall back to DescribeInstances) when
 * missing, refused when malformed or about another instance. The
 * DescribeInstances side is in test_cmd_ssh.c.
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

static json_t *
push_reply(const char *id, const char *addr, json_t *keys)
{
	json_t *wi = json_pack("{s:s, s:s, s:s, s:i}", "InstanceId", id,
	    "Hostname", "web-1", "Address", addr, "SshPort", 2222);

	assert_non_null(wi);
	if (keys != NULL)
		json_object_set_new(wi, "HostKeys", keys);
	return json_pack("{s:s, s:b, s:o}", "RequestId", "r-1", "Success", 1,
	    "WicketInstance", wi);
}

static void
test_from_push(void **state)
{
	struct wk_cli_instance in;
	struct wk_buf msg;
	json_t *reply;

	(void)state;
	wk_buf_init(&msg, 1024);
	reply = push_reply(ID, "10.0.0.5", json_pack("[s, s]",
	    HK1 " root@web-1", "junk"));
	assert_int_equal(wk_cli_instance_from_push(reply, ID, &in, &msg), 0);
	assert_string_equal(in.instance_id, ID);
	assert_string_equal(in.address, "10.0.0.5");
	assert_int_equal(in.port, 2222);
	assert_int_equal(in.nhost_keys, 1);
	assert_string_equal(in.host_keys[0], HK1);
	wk_cli_instance_cleanup(&in);
	json_decref(reply);

	/* AWS's reply, or an older wicketd's: absent, fall back */
	reply = json_pack("{s:s, s:b}", "RequestId", "r-1", "Success", 1);
	assert_int_equal(wk_cli_instance_from_push(reply, ID, &in, &msg),
	    WK_ERR_NOTFOUND);
	assert_null(in.instance_id);
	json_decref(reply);
	reply = json_pack("{s:b, s:n}", "Success", 1, "WicketInstance");
	assert_int_equal(wk_cli_instance_from_push(reply, ID, &in, &msg),
	    WK_ERR_NOTFOUND);
	json_decref(reply);

	/* another instance's data is never used for this one */
	reply = push_reply("i-11111111111111111", "10.0.0.6",
	    json_pack("[s]", HK1));
	assert_int_equal(wk_cli_instance_from_push(reply, ID, &in, &msg),
	    WK_ERR_INVAL);
	assert_non_null(strstr(wk_buf_cstr(&msg), "another instance"));
	json_decref(reply);

	/* no host key: no trust on first use, no fallback either */
	reply = push_reply(ID, "10.0.0.5", json_pack("[]"));
	assert_int_equal(wk_cli_instance_from_push(reply, ID, &in, &msg),
	    WK_ERR_INVAL);
	assert_non_null(strstr(wk_buf_cstr(&msg), "host keys"));
	json_decref(reply);

	/* an address that would become an ssh option */
	reply = push_reply(ID, "-oProxyCommand=sh", json_pack("[s]", HK1));
	assert_int_equal(wk_cli_instance_from_push(reply, ID, &in, &msg),
	    WK_ERR_INVAL);
	json_decref(reply);

	/* not an object */
	reply = json_pack("{s:b, s:s}", "Success", 1, "WicketInstance", "x");
	assert_int_equal(wk_cli_instance_from_push(reply, ID, &in, &msg),
	    WK_ERR_INVAL);
	json_decref(reply);
	wk_buf_cleanup(&msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_push),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
