/*
 * test_aws_client.c - signed JSON 1.1 calls against a tiny local HTTP
 * server (one thread, one scripted reply per connection): the request's
 * headers and SigV4 signature, AWS error parsing, caps and transport errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/aws_client.h"
#include "common/err.h"
#include "common/time.h"
#include "crypto/sigv4.h"

static int listen_fd = -1;
static unsigned short listen_port;
static const char *canned;	/* the full HTTP response */
static size_t canned_len;
static char request[65536];	/* what the server received */
static size_t request_len;

static void *
serve_one(void *arg)
{
	const char *hdr_end, *cl;
	size_t want = 0;
	ssize_t n;
	int fd;

	(void)arg;
	request_len = 0;
	if ((fd = accept(listen_fd, NULL, NULL)) == -1)
		return NULL;
	for (;;) {
		n = read(fd, request + request_len,
		    sizeof(request) - 1 - request_len);
		if (n <= 0)
			break;
		request_len += (size_t)n;
		request[request_len] = '\0';
		if ((hdr_end = strstr(request, "\r\n\r\n")) == NULL)
			continue;
		if ((cl = strcasestr(request, "\r\nContent-Length:")) != NULL)
			want = (size_t)strtoul(cl + 17, NULL, 10);
		if (request_len >= (size_t)(hdr_end + 4 - request) + want)
			break;
	}
	{
		size_t off = 0;

		while (off < canned_len) {
			n = write(fd, canned + off, canned_len - off);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	close(fd);
	return NULL;
}

static int
group_setup(void **state)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(0x7f000001);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(listen_fd, 4) != 0 ||
	    getsockname(listen_fd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	listen_port = ntohs(sa.sin_port);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	close(listen_fd);
	curl_global_cleanup();
	return 0;
}

static void
config(struct wk_aws_config *cfg, char *url, size_t urlsz, const char *token)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(url, urlsz, "http://127.0.0.1:%u", listen_port);
	cfg->access_key_id = (char *)(uintptr_t)"AKIDEXAMPLE";
	cfg->secret_access_key = (char *)(uintptr_t)"wJalrXUtnFEMI/K7MDENG";
	cfg->session_token = (char *)(uintptr_t)token;
	cfg->region = (char *)(uintptr_t)"us-east-1";
	cfg->endpoint_url = url;
}

/* One call with the server answering `response`. */
static int
call(const char *response, size_t len, const char *token, json_t **reply,
    struct wk_aws_error *err)
{
	struct wk_aws_config cfg;
	struct wk_aws_client *c;
	char url[64];
	pthread_t th;
	json_t *req;
	int r;

	canned = response;
	canned_len = len;
	config(&cfg, url, sizeof(url), token);
	assert_int_equal(wk_aws_client_new(&cfg, &c), 0);
	assert_int_equal(pthread_create(&th, NULL, serve_one, NULL), 0);
	req = json_pack("{s:s, s:s, s:s}", "InstanceId", "i-01234567",
	    "InstanceOSUser", "ubuntu", "SSHPublicKey", "ssh-ed25519 AAAA");
	r = wk_aws_call(c, "ec2-instance-connect",
	    "AWSEC2InstanceConnectService.SendSSHPublicKey", req, reply, err);
	pthread_join(th, NULL);
	json_decref(req);
	wk_aws_client_free(c);
	return r;
}

/* Splits the received request into a wk_sigv4_request and checks it. */
static void
verify_received(const char *secret, bool want_token)
{
	struct wk_sigv4_header hdrs[WK_SIGV4_MAX_HEADERS];
	struct wk_sigv4_request req;
	struct wk_sigv4_auth auth;
	struct wk_span rest, line, name, value, first, authz = WK_SPAN_NULL;
	char *end = strstr(request, "\r\n\r\n");
	size_t n = 0;
	bool target = false, ctype = false, token = false;

	assert_non_null(end);
	rest = wk_span_from_mem(request, (size_t)(end - request) + 2);
	assert_true(wk_span_split(rest, '\n', &first, &rest));
	assert_true(wk_span_starts_with(first, "POST / HTTP/1.1"));
	while (wk_span_split(rest, '\n', &line, &rest)) {
		line = wk_span_trim(line);
		if (line.len == 0)
			break;
		assert_true(wk_span_split(line, ':', &name, &value));
		value = wk_span_trim(value);
		assert_true(n < WK_SIGV4_MAX_HEADERS);
		hdrs[n].name = name;
		hdrs[n].value = value;
		n++;
		if (wk_span_case_eq_cstr(name, "authorization"))
			authz = value;
		if (wk_span_case_eq_cstr(name, "x-amz-target"))
			target = wk_span_eq_cstr(value, "AWSEC2InstanceConnect"
			    "Service.SendSSHPublicKey");
		if (wk_span_case_eq_cstr(name, "content-type"))
			ctype = wk_span_eq_cstr(value,
			    "application/x-amz-json-1.1");
		if (wk_span_case_eq_cstr(name, "x-amz-security-token"))
			token = wk_span_eq_cstr(value, "TOKEN");
		assert_false(wk_span_case_eq_cstr(name, "expect"));
	}
	assert_true(target);
	assert_true(ctype);
	assert_true(token == want_token);
	assert_non_null(authz.p);
	assert_int_equal(wk_sigv4_parse_authorization(authz, &auth), 0);
	assert_true(wk_span_eq_cstr(auth.access_key_id, "AKIDEXAMPLE"));
	assert_true(wk_span_eq_cstr(auth.service, "ec2-instance-connect"));
	assert_true(wk_span_eq_cstr(auth.region, "us-east-1"));
	memset(&req, 0, sizeof(req));
	req.method = WK_SPAN_LIT("POST");
	req.path = WK_SPAN_LIT("/");
	req.query = WK_SPAN_LIT("");
	req.headers = hdrs;
	req.nheaders = n;
	req.body = wk_span_from_cstr(end + 4);
	assert_true(wk_span_starts_with(req.body, "{\"InstanceId\":"));
	assert_int_equal(wk_sigv4_verify(&req, &auth,
	    wk_span_from_cstr(secret), wk_wall_now()), 0);
	assert_int_not_equal(wk_sigv4_verify(&req, &auth,
	    WK_SPAN_LIT("wrong secret"), wk_wall_now()), 0);
}

#define OK_REPLY \
	"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\n" \
	"Connection: close\r\nContent-Length: 40\r\n\r\n" \
	"{\"RequestId\":\"r-1\",\"Success\":true}      "

static void
test_success_signed(void **state)
{
	struct wk_aws_error err;
	json_t *reply;

	(void)state;
	assert_int_equal(call(OK_REPLY, strlen(OK_REPLY), NULL, &reply, &err),
	    0);
	assert_true(json_is_true(json_object_get(reply, "Success")));
	json_decref(reply);
	verify_received("wJalrXUtnFEMI/K7MDENG", false);

	assert_int_equal(call(OK_REPLY, strlen(OK_REPLY), "TOKEN", &reply,
	    &err), 0);
	json_decref(reply);
	verify_received("wJalrXUtnFEMI/K7MDENG", true);
}

static void
test_aws_error(void **state)
{
	static const char resp[] =
	    "HTTP/1.1 403 Forbidden\r\nConnection: close\r\n"
	    "Content-Length: 83\r\n\r\n"
	    "{\"__type\":\"com.amazonaws.ec2instanceconnect#AuthException\","
	    "\"message\":\"Not allowed\"}";
	struct wk_aws_error err;
	json_t *reply;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	(void)state;
	assert_int_equal(call(resp, strlen(resp), NULL, &reply, &err),
	    WK_ERR_DENIED);
	assert_null(reply);
	assert_int_equal(err.http_status, 403);
	assert_string_equal(err.code, "AuthException");
	assert_string_equal(err.message, "Not allowed");
	f = open_memstream(&out, &outlen);
	wk_aws_error_print(f, &err, "SendSSHPublicKey", "http://x");
	fclose(f);
	assert_string_equal(out, "An error occurred (AuthException) when "
	    "calling the SendSSHPublicKey operation: Not allowed\n");
	free(out);
}

static void
test_bad_replies(void **state)
{
	static const char notjson[] =
	    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n"
	    "\r\n{nope";
	static const char array[] =
	    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n"
	    "\r\n[]";
	static const char empty[] =
	    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n"
	    "\r\n";
	struct wk_aws_error err;
	json_t *reply;
	char *big;
	size_t hl, total;
	int hdr;

	(void)state;
	assert_int_equal(call(notjson, strlen(notjson), NULL, &reply, &err),
	    WK_ERR_INVAL);
	assert_null(reply);
	assert_int_equal(call(array, strlen(array), NULL, &reply, &err),
	    WK_ERR_INVAL);
	assert_int_equal(call(empty, strlen(empty), NULL, &reply, &err), 0);
	assert_true(json_is_object(reply));
	json_decref(reply);

	/* a reply over the cap is cut off */
	total = WK_AWS_REPLY_MAX + 1024;
	big = malloc(total + 256);
	assert_non_null(big);
	hdr = snprintf(big, 256, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
	    "Content-Length: %zu\r\n\r\n", total);
	hl = (size_t)hdr;
	memset(big + hl, ' ', total);
	assert_int_equal(call(big, hl + total, NULL, &reply, &err),
	    WK_ERR_TOOBIG);
	assert_null(reply);
	free(big);
}

static void
test_connect_refused(void **state)
{
	struct wk_aws_config cfg;
	struct wk_aws_client *c;
	struct wk_aws_error err;
	char url[64];
	json_t *req = json_object(), *reply;
	int fd;
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	(void)state;
	/* a port that was free a moment ago */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(0x7f000001);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	config(&cfg, url, sizeof(url), NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", ntohs(sa.sin_port));
	assert_int_equal(wk_aws_client_new(&cfg, &c), 0);
	assert_int_equal(wk_aws_call(c, "ec2", "WicketService.X", req,
	    &reply, &err), WK_ERR_UNAVAIL);
	assert_int_equal(err.http_status, 0);
	assert_string_equal(err.code, "");
	wk_aws_client_free(c);
	json_decref(req);

	cfg.endpoint_url = (char *)(uintptr_t)"not a url";
	assert_int_not_equal(wk_aws_client_new(&cfg, &c), 0);
	assert_null(c);
}

static void
test_parse_error_shapes(void **state)
{
	struct wk_aws_error err;
	const char *b;

	(void)state;
	b = "{\"__type\":\"ThrottlingException\",\"Message\":\"slow down\"}";
	wk_aws_parse_error(b, strlen(b), NULL, 400, &err);
	assert_string_equal(err.code, "ThrottlingException");
	assert_string_equal(err.message, "slow down");

	b = "{\"message\":\"m\"}";
	wk_aws_parse_error(b, strlen(b), "InvalidArgsException:http://x/doc",
	    400, &err);
	assert_string_equal(err.code, "InvalidArgsException");
	assert_string_equal(err.message, "m");

	wk_aws_parse_error("<html>", 6, NULL, 502, &err);
	assert_string_equal(err.code, "ServiceUnavailable");
	assert_string_equal(err.message, "Bad Gateway");

	wk_aws_parse_error(NULL, 0, NULL, 404, &err);
	assert_string_equal(err.code, "Unknown");
	assert_string_equal(err.message, "Not Found");

	b = "{\"__type\":\"a#b#Code\",\"message\":7}";
	wk_aws_parse_error(b, strlen(b), NULL, 400, &err);
	assert_string_equal(err.code, "Code");
	assert_string_equal(err.message, "Bad Request");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success_signed),
		cmocka_unit_test(test_aws_error),
		cmocka_unit_test(test_bad_replies),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_parse_error_shapes),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
