/*
 * test_xml.c - the XML writer's escaping, and the reply shapes of
 * wk_api_render for each protocol (what botocore parses).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "server/api/api_int.h"

static void
test_escape(void **state)
{
	struct wk_buf b;

	(void)state;
	wk_buf_init(&b, 4096);
	assert_int_equal(wk_xml_escape(&b, "a<b>&\"c'd"), 0);
	assert_string_equal(wk_buf_cstr(&b),
	    "a&lt;b&gt;&amp;&quot;c&apos;d");
	wk_buf_reset(&b);
	assert_int_equal(wk_xml_escape(&b, "line\nnext\r\tx\x01y\x7f"), 0);
	assert_string_equal(wk_buf_cstr(&b), "line&#10;next&#13;&#9;x"
	    "\xef\xbf\xbdy\xef\xbf\xbd");
	wk_buf_reset(&b);
	assert_int_equal(wk_xml_escape(&b, ""), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(wk_xml_escape(&b, "caf\xc3\xa9 &amp;"), 0);
	assert_string_equal(wk_buf_cstr(&b), "caf\xc3\xa9 &amp;amp;");
	wk_buf_cleanup(&b);
}

static void
test_elements(void **state)
{
	struct wk_buf b;

	(void)state;
	wk_buf_init(&b, 4096);
	assert_int_equal(wk_xml_open(&b, "User"), 0);
	assert_int_equal(wk_xml_text(&b, "UserName", "b<o>b"), 0);
	assert_int_equal(wk_xml_text(&b, "Path", NULL), 0);
	assert_int_equal(wk_xml_time(&b, "CreateDate", 1563911939), 0);
	assert_int_equal(wk_xml_int(&b, "N", -42), 0);
	assert_int_equal(wk_xml_bool(&b, "IsTruncated", false), 0);
	assert_int_equal(wk_xml_bool(&b, "Yes", true), 0);
	assert_int_equal(wk_xml_close(&b, "User"), 0);
	assert_string_equal(wk_buf_cstr(&b), "<User><UserName>b&lt;o&gt;b"
	    "</UserName><Path></Path><CreateDate>2019-07-23T19:58:59Z"
	    "</CreateDate><N>-42</N><IsTruncated>false</IsTruncated>"
	    "<Yes>true</Yes></User>");
	wk_buf_cleanup(&b);

	/* the ceiling holds */
	wk_buf_init(&b, 10);
	assert_int_equal(wk_xml_text(&b, "Message", "far too long"),
	    WK_ERR_TOOBIG);
	wk_buf_cleanup(&b);
}

static void
render(enum wk_protocol proto, const char *action,
    const struct wk_api_resp *resp, struct wk_buf *body,
    struct wk_buf *hdr, const char **ct)
{
	wk_buf_init(body, 1 << 20);
	wk_buf_init(hdr, 4096);
	assert_int_equal(wk_api_render(proto, action, "rid-1", resp, body, ct,
	    hdr), 0);
	assert_non_null(strstr(wk_buf_cstr(hdr), "x-amzn-RequestId: rid-1"
	    "\r\n"));
}

static void
test_render_query(void **state)
{
	struct wk_api_resp resp;
	struct wk_buf body, hdr;
	const char *ct;

	(void)state;
	memset(&resp, 0, sizeof(resp));
	wk_buf_init(&resp.xml, 4096);
	assert_int_equal(wk_xml_text(&resp.xml, "Arn", "arn:x"), 0);
	render(WK_PROTO_QUERY_STS, "GetCallerIdentity", &resp, &body, &hdr,
	    &ct);
	assert_string_equal(ct, "text/xml");
	assert_string_equal(wk_buf_cstr(&body), "<GetCallerIdentityResponse "
	    "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
	    "<GetCallerIdentityResult><Arn>arn:x</Arn>"
	    "</GetCallerIdentityResult><ResponseMetadata><RequestId>rid-1"
	    "</RequestId></ResponseMetadata></GetCallerIdentityResponse>");
	wk_buf_cleanup(&body);
	wk_buf_cleanup(&hdr);

	render(WK_PROTO_QUERY_EC2, "DescribeInstances", &resp, &body, &hdr,
	    &ct);
	assert_string_equal(wk_buf_cstr(&body), "<DescribeInstancesResponse "
	    "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>"
	    "rid-1</requestId><Arn>arn:x</Arn></DescribeInstancesResponse>");
	wk_buf_cleanup(&body);
	wk_buf_cleanup(&hdr);

	/* an action with no result has no Result element */
	wk_buf_reset(&resp.xml);
	render(WK_PROTO_QUERY_IAM, "DeleteUser", &resp, &body, &hdr, &ct);
	assert_string_equal(wk_buf_cstr(&body), "<DeleteUserResponse "
	    "xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
	    "<ResponseMetadata><RequestId>rid-1</RequestId>"
	    "</ResponseMetadata></DeleteUserResponse>");
	wk_buf_cleanup(&body);
	wk_buf_cleanup(&hdr);

	assert_int_equal(wk_api_error(&resp, 404, "NoSuchEntity",
	    "The user with name %s cannot be found.", "<x>"), WK_ERR_INVAL);
	render(WK_PROTO_QUERY_IAM, "GetUser", &resp, &body, &hdr, &ct);
	assert_string_equal(wk_buf_cstr(&body), "<ErrorResponse "
	    "xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>"
	    "<Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user "
	    "with name &lt;x&gt; cannot be found.</Message></Error>"
	    "<RequestId>rid-1</RequestId></ErrorResponse>");
	wk_buf_cleanup(&body);
	wk_buf_cleanup(&hdr);

	render(WK_PROTO_QUERY_EC2, NULL, &resp, &body, &hdr, &ct);
	assert_non_null(strstr(wk_buf_cstr(&body), "<Response><Errors><Error>"
	    "<Code>NoSuchEntity</Code><Message>"));
	assert_non_null(strstr(wk_buf_cstr(&body), "</Message></Error>"
	    "</Errors><RequestID>rid-1</RequestID></Response>"));
	wk_buf_cleanup(&body);
	wk_buf_cleanup(&hdr);

	wk_api_error(&resp, 500, "ServiceFailure", "boom");
	assert_false(resp.sender_fault);
	render(WK_PROTO_QUERY_IAM, NULL, &resp, &body, &hdr, &ct);
	assert_non_null(strstr(wk_buf_cstr(&body), "<Type>Receiver</Type>"));
	wk_buf_cleanup(&body);
	wk_buf_cleanup(&hdr);
	wk_buf_cleanup(&resp.xml);

	/* statuses below 400 are not error statuses */
	wk_api_error(&resp, 200, "X", "y");
	assert_int_equal(resp.status, 400);
}

static void
test_render_json(void **state)
{
	struct wk_api_resp resp;
	struct wk_buf body, hdr;
	const char *ct;

	(void)state;
	memset(&resp, 0, sizeof(resp));
	resp.json = json_pack("{s:s, s:b}", "RequestId", "rid-1", "Success",
	    1);
	render(WK_PROTO_JSON, "SendSSHPublicKey", &resp, &body, &hdr, &ct);
	assert_string_equal(ct, "application/x-amz-json-1.1");
	assert_string_equal(wk_buf_cstr(&body),
	    "{\"RequestId\":\"rid-1\",\"Success\":true}");
	wk_buf_cleanup(&body);
	wk_buf_cleanup(&hdr);
	json_decref(resp.json);
	resp.json = NULL;

	render(WK_PROTO_JSON, "X", &resp, &body, &hdr, &ct);
	assert_string_equal(wk_buf_cstr(&body), "{}");
	wk_buf_cleanup(&body);
	wk_buf_cleanup(&hdr);

	wk_api_error(&resp, 403, "AuthException", "no \"way\"");
	render(WK_PROTO_JSON, "SendSSHPublicKey", &resp, &body, &hdr, &ct);
	assert_string_equal(wk_buf_cstr(&body), "{\"__type\":\"AuthException\","
	    "\"message\":\"no \\\"way\\\"\"}");
	assert_non_null(strstr(wk_buf_cstr(&hdr),
	    "x-amzn-ErrorType: AuthException\r\n"));
	wk_buf_cleanup(&body);
	wk_buf_cleanup(&hdr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_elements),
		cmocka_unit_test(test_render_query),
		cmocka_unit_test(test_render_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
