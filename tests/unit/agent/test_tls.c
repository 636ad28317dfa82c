/*
 * test_tls.c - the agent's TLS policy (tls.c) and its state: which URLs
 * are loopback, plain http refused off loopback (and with a pin or CA
 * file at all), the CA file check, and the pin, CA and --insecure-http
 * surviving state.json, old states loading without them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "common/buf.h"
#include "common/err.h"
#include "crypto/x509.h"
#include "../safe_dir.h"

static void
test_loopback(void **state)
{
	(void)state;
	assert_true(wk_agent_url_is_loopback("http://127.0.0.1:8080"));
	assert_true(wk_agent_url_is_loopback("http://127.3.4.5"));
	assert_true(wk_agent_url_is_loopback("http://localhost:1/x"));
	assert_true(wk_agent_url_is_loopback("http://LOCALHOST"));
	assert_true(wk_agent_url_is_loopback("http://[::1]:8080"));
	assert_false(wk_agent_url_is_loopback("http://10.0.0.1:8080"));
	assert_false(wk_agent_url_is_loopback("http://128.0.0.1"));
	assert_false(wk_agent_url_is_loopback("http://127.0.0.1.evil.com"));
	assert_false(wk_agent_url_is_loopback("http://localhost.evil.com"));
	assert_false(wk_agent_url_is_loopback("http://[::2]"));
	assert_false(wk_agent_url_is_loopback("http://[::ffff:10.0.0.1]"));
	assert_false(wk_agent_url_is_loopback("http://wicket.example"));
	assert_false(wk_agent_url_is_loopback("not a url"));
}

static void
test_url_policy(void **state)
{
	struct wk_agent_tls t;
	char why[512];

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(wk_agent_tls_url_ok("https://10.0.0.1", &t, why,
	    sizeof(why)), 0);
	assert_int_equal(wk_agent_tls_url_ok("http://127.0.0.1:1", &t, why,
	    sizeof(why)), 0);
	assert_int_equal(wk_agent_tls_url_ok("http://10.0.0.1:1", &t, why,
	    sizeof(why)), WK_ERR_DENIED);
	assert_non_null(strstr(why, "non-loopback"));
	assert_non_null(strstr(why, "--insecure-http"));
	t.insecure_http = true;
	assert_int_equal(wk_agent_tls_url_ok("http://10.0.0.1:1", &t, why,
	    sizeof(why)), 0);
	/* a pin cannot be checked over http, loopback or not */
	t.has_pin = true;
	assert_int_equal(wk_agent_tls_url_ok("http://127.0.0.1:1", &t, why,
	    sizeof(why)), WK_ERR_DENIED);
	assert_non_null(strstr(why, "https"));
	assert_int_equal(wk_agent_tls_url_ok("ftp://127.0.0.1", &t, why,
	    sizeof(why)), WK_ERR_DENIED);
}

static int
remove_entry(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_read_ca_and_state(void **state)
{
	struct wk_agent_state st, back;
	char dir[256], path[600], why[512], *ca = NULL;
	struct wk_buf cert, key;
	char *hk[1] = { (char *)(uintptr_t)"/x.pub" };

	(void)state;
	assert_non_null(wk_test_safe_mkdtemp(dir, sizeof(dir), "agent-tls"));
	snprintf(path, sizeof(path), "%s/junk.pem", dir);
	write_file(path, "not a certificate\n");
	assert_int_equal(wk_agent_tls_read_ca(path, &ca, why, sizeof(why)),
	    WK_ERR_INVAL);
	assert_null(ca);
	assert_non_null(strstr(why, "no PEM certificate"));
	assert_int_equal(wk_agent_tls_read_ca("/nonexistent", &ca, why,
	    sizeof(why)), WK_ERR_IO);
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	wk_buf_init(&cert, 65536);
	wk_buf_init(&key, 65536);
	assert_int_equal(wk_x509_ca_create("t", 1, &cert, &key, why,
	    sizeof(why)), 0);
	write_file(path, (const char *)cert.p);	/* NUL-terminated */
	wk_buf_cleanup(&cert);
	wk_buf_cleanup_secret(&key);
	assert_int_equal(wk_agent_tls_read_ca(path, &ca, why, sizeof(why)),
	    0);
	assert_non_null(strstr(ca, "BEGIN CERTIFICATE"));

	memset(&st, 0, sizeof(st));
	st.server = (char *)(uintptr_t)"https://127.0.0.1:1";
	st.instance_id = (char *)(uintptr_t)"i-0123456789abcdef0";
	st.agent_secret = (char *)(uintptr_t)"00";
	st.ssh_port = 22;
	st.host_keys = hk;
	st.nhost_keys = 1;
	st.tls.has_pin = true;
	memset(st.tls.pin, 0xab, sizeof(st.tls.pin));
	st.tls.ca_pem = ca;
	st.tls.insecure_http = true;
	assert_int_equal(wk_agent_state_save(dir, &st), 0);
	assert_int_equal(wk_agent_state_load(dir, &back), 0);
	assert_true(back.tls.has_pin);
	assert_memory_equal(back.tls.pin, st.tls.pin, sizeof(st.tls.pin));
	assert_string_equal(back.tls.ca_pem, ca);
	assert_true(back.tls.insecure_http);
	wk_agent_state_cleanup(&back);
	free(ca);

	/* a state from before TLS: no pin, no CA, no insecure_http */
	snprintf(path, sizeof(path), "%s/state.json", dir);
	write_file(path, "{\"server\":\"http://h\",\"instance_id\":"
	    "\"i-0123456789abcdef0\",\"agent_secret\":\"00\","
	    "\"ssh_port\":22,\"host_keys\":[\"/x.pub\"]}");
	assert_int_equal(wk_agent_state_load(dir, &back), 0);
	assert_false(back.tls.has_pin);
	assert_null(back.tls.ca_pem);
	assert_false(back.tls.insecure_http);
	wk_agent_state_cleanup(&back);
	/* a malformed pin is refused, not ignored */
	write_file(path, "{\"server\":\"http://h\",\"instance_id\":"
	    "\"i-0123456789abcdef0\",\"agent_secret\":\"00\","
	    "\"ssh_port\":22,\"host_keys\":[\"/x.pub\"],\"tls_pin\":\"ab\"}");
	assert_int_equal(wk_agent_state_load(dir, &back), WK_ERR_INVAL);
	write_file(path, "{\"server\":\"http://h\",\"instance_id\":"
	    "\"i-0123456789abcdef0\",\"agent_secret\":\"00\","
	    "\"ssh_port\":22,\"host_keys\":[\"/x.pub\"],"
	    "\"insecure_http\":\"yes\"}");
	assert_int_equal(wk_agent_state_load(dir, &back), WK_ERR_INVAL);
	assert_int_equal(nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_url_policy),
		cmocka_unit_test(test_read_ca_and_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
