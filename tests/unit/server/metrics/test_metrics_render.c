/*
 * test_metrics_render.c - the counters and their text format: the action
 * table is sorted (the lookup is a binary search) and an unknown or
 * client-chosen name counts as "unknown"; statuses outside the table are
 * code="other"; histogram buckets are cumulative and end with +Inf equal
 * to _count; every metric has one HELP and one TYPE line; gauges read by
 * the scrape collector; a render over the buffer's cap fails, never
 * truncates silently. (promtool checks the whole text in
 * tests/e2e/test_metrics.sh.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "server/metrics/metrics_int.h"

static char text[1 << 20];

static const char *
render(void)
{
	struct wk_buf b;

	wk_buf_init(&b, sizeof(text) - 1);
	assert_int_equal(wk_metrics_render(&b), 0);
	assert_true(b.len < sizeof(text));
	memcpy(text, b.p, b.len);
	text[b.len] = '\0';
	wk_buf_cleanup(&b);
	return text;
}

/* The line starting with `sample ` (name and labels), or NULL. */
static const char *
line(const char *t, const char *sample)
{
	size_t n = strlen(sample);

	for (const char *p = t; p != NULL && *p != '\0';) {
		if (strncmp(p, sample, n) == 0 && p[n] == ' ')
			return p;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return NULL;
}

static void
assert_sample(const char *t, const char *sample, const char *value)
{
	const char *l = line(t, sample);
	char want[256];

	if (l == NULL)
		fail_msg("no sample %s in:\n%s", sample, t);
	snprintf(want, sizeof(want), "%s %s\n", sample, value);
	if (strncmp(l, want, strlen(want)) != 0)
		fail_msg("want %s got %.*s", want,
		    (int)(strchr(l, '\n') - l), l);
}

static size_t
count(const char *t, const char *needle)
{
	size_t n = 0;

	for (const char *p = t; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static int
setup(void **state)
{
	(void)state;
	wk_metrics_reset();
	return 0;
}

static void
test_action_table(void **state)
{
	(void)state;
	for (size_t i = 1; i + 1 < wk_metrics_nactions; i++)
		assert_true(strcmp(wk_metrics_actions[i - 1],
		    wk_metrics_actions[i]) < 0);
	assert_string_equal(wk_metrics_actions[wk_metrics_nactions - 1],
	    "unknown");
	for (size_t i = 0; i + 1 < wk_metrics_nactions; i++)
		assert_int_equal(wk_metrics_action_index(
		    wk_metrics_actions[i]), i);
	assert_int_equal(wk_metrics_action_index(NULL),
	    wk_metrics_nactions - 1);
	assert_int_equal(wk_metrics_action_index("-"),
	    wk_metrics_nactions - 1);
	assert_int_equal(wk_metrics_action_index("unknown"),
	    wk_metrics_nactions - 1);
	assert_int_equal(wk_metrics_action_index("sendsshpublickey"),
	    wk_metrics_nactions - 1);
}

static void
test_requests_and_labels(void **state)
{
	const char *t;

	(void)state;
	wk_metrics_request("SendSSHPublicKey", 200, 300);
	wk_metrics_request("SendSSHPublicKey", 200, 2000000);
	wk_metrics_request("SendSSHPublicKey", 403, 90);
	wk_metrics_request("Evil\"} 1\nwicket_x{a=\"", 400, 10);
	wk_metrics_request("CreateUser", 418, 10);
	wk_metrics_request("CreateUser", 503, 10);
	t = render();
	assert_null(strstr(t, "Evil"));
	assert_null(strstr(t, "wicket_x"));
	assert_sample(t, "wicket_api_requests_total{action=\"SendSSHPublicKey\","
	    "outcome=\"success\",code=\"200\"}", "2");
	assert_sample(t, "wicket_api_requests_total{action=\"SendSSHPublicKey\","
	    "outcome=\"client_error\",code=\"403\"}", "1");
	assert_sample(t, "wicket_api_requests_total{action=\"unknown\","
	    "outcome=\"client_error\",code=\"400\"}", "1");
	assert_sample(t, "wicket_api_requests_total{action=\"CreateUser\","
	    "outcome=\"other\",code=\"other\"}", "1");
	assert_sample(t, "wicket_api_requests_total{action=\"CreateUser\","
	    "outcome=\"server_error\",code=\"503\"}", "1");
	/* nothing rendered for actions never seen */
	assert_null(strstr(t, "action=\"ListUsers\""));
	/* cumulative buckets in seconds: 90 us <= 0.0001; 300 us <= 0.0005;
	 * 2 s only in 5 and +Inf */
	assert_sample(t, "wicket_api_request_duration_seconds_bucket{action="
	    "\"SendSSHPublicKey\",le=\"0.0001\"}", "1");
	assert_sample(t, "wicket_api_request_duration_seconds_bucket{action="
	    "\"SendSSHPublicKey\",le=\"0.00025\"}", "1");
	assert_sample(t, "wicket_api_request_duration_seconds_bucket{action="
	    "\"SendSSHPublicKey\",le=\"0.0005\"}", "2");
	assert_sample(t, "wicket_api_request_duration_seconds_bucket{action="
	    "\"SendSSHPublicKey\",le=\"1\"}", "2");
	assert_sample(t, "wicket_api_request_duration_seconds_bucket{action="
	    "\"SendSSHPublicKey\",le=\"5\"}", "3");
	assert_sample(t, "wicket_api_request_duration_seconds_bucket{action="
	    "\"SendSSHPublicKey\",le=\"+Inf\"}", "3");
	assert_sample(t, "wicket_api_request_duration_seconds_count{action="
	    "\"SendSSHPublicKey\"}", "3");
	assert_sample(t, "wicket_api_request_duration_seconds_sum{action="
	    "\"SendSSHPublicKey\"}", "2.000390");
}

static void
test_help_and_type_once(void **state)
{
	static const char *const names[] = {
		"wicket_api_requests_total", "wicket_api_request_duration_seconds",
		"wicket_policy_decisions_total", "wicket_audit_writes_total",
		"wicket_audit_commit_duration_seconds", "wicket_audit_batch_size",
		"wicket_throttled_total", "wicket_store_errors_total",
		"wicket_agents_online", "wicket_agent_polls_held",
		"wicket_console_terminals_open",
		"wicket_process_start_time_seconds",
	};
	char want[128];
	const char *t;

	(void)state;
	wk_metrics_request("GetUser", 200, 5);
	wk_metrics_request("ListUsers", 200, 5);
	t = render();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(want, sizeof(want), "# TYPE %s ", names[i]);
		assert_int_equal(count(t, want), 1);
		snprintf(want, sizeof(want), "# HELP %s ", names[i]);
		assert_int_equal(count(t, want), 1);
	}
	assert_int_equal(t[strlen(t) - 1], '\n');
}

static void
collect(void *arg)
{
	(*(int *)arg)++;
	wk_metrics_gauge_set(WK_MG_AGENTS_ONLINE, 7);
	wk_metrics_gauge_set(WK_MG_POLLS_HELD, 5);
	wk_metrics_gauge_set(WK_MG_STORE_ERRORS, 2);
}

static void
test_other_metrics(void **state)
{
	const char *t;
	int ran = 0;

	(void)state;
	wk_metrics_decision(true);
	wk_metrics_decision(false);
	wk_metrics_decision(false);
	wk_metrics_audit_write(true, 1500, 1);
	wk_metrics_audit_write(true, 1500, 3);
	wk_metrics_audit_write(false, 99, 1);
	wk_metrics_throttled(WK_MT_KEY_RATE);
	wk_metrics_throttled(WK_MT_CONSOLE_SIGNIN);
	wk_metrics_throttled(WK_MT_N);		/* out of range: ignored */
	wk_metrics_gauge_set(WK_MG_TERMINALS_OPEN, 3);
	wk_metrics_set_start_time(1700000000);
	wk_metrics_on_scrape(collect, &ran);
	t = render();
	assert_int_equal(ran, 1);
	assert_sample(t, "wicket_policy_decisions_total{decision=\"allow\"}", "1");
	assert_sample(t, "wicket_policy_decisions_total{decision=\"deny\"}", "2");
	assert_sample(t, "wicket_audit_writes_total{result=\"ok\"}", "4");
	assert_sample(t, "wicket_audit_writes_total{result=\"error\"}", "1");
	assert_sample(t, "wicket_audit_commit_duration_seconds_count", "2");
	assert_sample(t, "wicket_audit_commit_duration_seconds_bucket"
	    "{le=\"0.001\"}", "0");
	assert_sample(t, "wicket_audit_commit_duration_seconds_bucket"
	    "{le=\"0.0025\"}", "2");
	assert_sample(t, "wicket_audit_batch_size_bucket{le=\"1\"}", "1");
	assert_sample(t, "wicket_audit_batch_size_bucket{le=\"2\"}", "1");
	assert_sample(t, "wicket_audit_batch_size_bucket{le=\"4\"}", "2");
	assert_sample(t, "wicket_audit_batch_size_bucket{le=\"+Inf\"}", "2");
	assert_sample(t, "wicket_audit_batch_size_sum", "4");
	assert_sample(t, "wicket_throttled_total{limit=\"send_ssh_public_key_rate\"}",
	    "1");
	assert_sample(t, "wicket_throttled_total{limit=\"console_sign_in\"}", "1");
	assert_sample(t, "wicket_throttled_total{limit=\"keys_per_os_user\"}", "0");
	assert_sample(t, "wicket_agents_online", "7");
	assert_sample(t, "wicket_agent_polls_held", "5");
	assert_sample(t, "wicket_store_errors_total", "2");
	assert_sample(t, "wicket_console_terminals_open", "3");
	assert_sample(t, "wicket_process_start_time_seconds", "1700000000");
	wk_metrics_on_scrape(NULL, NULL);
}

static void
test_over_the_cap_fails(void **state)
{
	struct wk_buf b;

	(void)state;
	for (size_t i = 0; i < wk_metrics_nactions; i++)
		wk_metrics_request(wk_metrics_actions[i], 200, 1);
	wk_buf_init(&b, 512);
	assert_int_not_equal(wk_metrics_render(&b), 0);
	wk_buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_action_table, setup),
		cmocka_unit_test_setup(test_requests_and_labels, setup),
		cmocka_unit_test_setup(test_help_and_type_once, setup),
		cmocka_unit_test_setup(test_other_metrics, setup),
		cmocka_unit_test_setup(test_over_the_cap_fails, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
