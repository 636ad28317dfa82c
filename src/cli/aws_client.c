/*
 * aws_client.c - signed AWS JSON 1.1 calls over libcurl (aws_client.h).
 */
#include "cli/aws_client.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/time.h"
#include "crypto/sigv4.h"

#define CONTENT_TYPE "application/x-amz-json-1.1"
#define HDR_MAX 4096	/* one reply header line we keep */

struct wk_aws_client {
	const struct wk_aws_config *cfg;
	char *endpoint;	/* the URL every call goes to */
	CURL *curl;
	char *host;	/* Host header value: host[:port] as in the URL */
	char *path;	/* request path, "/" by default */
	struct wk_buf reply;
	char error_type[256];	/* x-amzn-ErrorType */
	char errbuf[CURL_ERROR_SIZE];	/* curl's detail of a failure */
};

static int
parse_endpoint(struct wk_aws_client *c)
{
	CURLU *u;
	char *host = NULL, *port = NULL, *path = NULL;
	struct wk_buf b;
	int r = WK_ERR_INVAL;

	wk_buf_init(&b, 2048);
	if ((u = curl_url()) == NULL)
		return WK_ERR_NOMEM;
	if (curl_url_set(u, CURLUPART_URL, c->endpoint, 0) !=
	    CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL;	/* no explicit port */
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		path = NULL;
	if ((r = wk_buf_append_str(&b, host)) != 0 ||
	    (port != NULL && (r = wk_buf_appendf(&b, ":%s", port)) != 0))
		goto out;
	if ((c->host = wk_buf_steal(&b)) == NULL ||
	    (c->path = wk_strdup(path != NULL && *path != '\0' ? path : "/")) ==
	    NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	r = 0;
 out:
	wk_buf_cleanup(&b);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return r;
}

int
wk_aws_client_new(const struct wk_aws_config *cfg, struct wk_aws_client **out)
{
	return wk_aws_client_new_at(cfg, cfg->endpoint_url, out);
}

int
wk_aws_client_new_at(const struct wk_aws_config *cfg, const char *endpoint,
    struct wk_aws_client **out)
{
	struct wk_aws_client *c;
	int r;

	*out = NULL;
	if (endpoint == NULL)
		return WK_ERR_INVAL;
	if ((c = wk_calloc(1, sizeof(*c))) == NULL)
		return WK_ERR_NOMEM;
	c->cfg = cfg;
	if ((c->endpoint = wk_strdup(endpoint)) == NULL) {
		wk_free(c);
		return WK_ERR_NOMEM;
	}
	wk_buf_init(&c->reply, WK_AWS_REPLY_MAX);
	if ((r = parse_endpoint(c)) != 0)
		goto out;
	if ((c->curl = curl_easy_init()) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	*out = c;
	c = NULL;
 out:
	wk_aws_client_free(c);
	return r;
}

void
wk_aws_client_free(struct wk_aws_client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	wk_free(c->endpoint);
	wk_free(c->host);
	wk_free(c->path);
	wk_buf_cleanup(&c->reply);
	wk_free(c);
}

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct wk_aws_client *c = arg;
	size_t n = size * nmemb;	/* curl guarantees size == 1 */

	if (wk_buf_append(&c->reply, ptr, n) != 0)
		return 0;	/* over the cap: curl aborts the transfer */
	return n;
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct wk_aws_client *c = arg;
	struct wk_span line = wk_span_from_mem(ptr, size * nmemb), name, value;

	if (line.len > HDR_MAX || !wk_span_split(line, ':', &name, &value))
		return size * nmemb;
	name = wk_span_trim(name);
	value = wk_span_trim(value);
	if (wk_span_case_eq_cstr(name, "x-amzn-ErrorType") &&
	    value.len < sizeof(c->error_type)) {
		memcpy(c->error_type, value.p, value.len);
		c->error_type[value.len] = '\0';
	}
	return size * nmemb;
}

static void
set_msg(struct wk_aws_error *err, const char *code, const char *msg)
{
	snprintf(err->code, sizeof(err->code), "%s", code);
	snprintf(err->message, sizeof(err->message), "%s", msg);
}

/*
 * botocore: the code is the part after the last '#' and before the first
 * ':' ("aws.protocoltests#FooError:http://...").
 */
static void
set_code(struct wk_aws_error *err, const char *type)
{
	const char *p = strrchr(type, '#');
	size_t n;

	p = p != NULL ? p + 1 : type;
	n = strcspn(p, ":");
	if (n >= sizeof(err->code))
		n = sizeof(err->code) - 1;
	memcpy(err->code, p, n);
	err->code[n] = '\0';
}

static const char *
status_text(long status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 413: return "Request Entity Too Large";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

void
wk_aws_parse_error(const char *body, size_t len, const char *type_hdr,
    long http_status, struct wk_aws_error *err)
{
	json_t *j = NULL, *t, *m;
	json_error_t jerr;

	err->http_status = http_status;
	err->code[0] = '\0';
	err->message[0] = '\0';
	if (body != NULL && len > 0)
		j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (type_hdr != NULL && *type_hdr != '\0')
		set_code(err, type_hdr);
	if (json_is_object(j)) {
		t = json_object_get(j, "__type");
		if (!json_is_string(t))
			t = json_object_get(j, "code");
		if (err->code[0] == '\0' && json_is_string(t))
			set_code(err, json_string_value(t));
		m = json_object_get(j, "message");
		if (!json_is_string(m))
			m = json_object_get(j, "Message");
		if (json_is_string(m))
			snprintf(err->message, sizeof(err->message), "%s",
			    json_string_value(m));
	}
	if (err->code[0] == '\0')
		snprintf(err->code, sizeof(err->code), "%s",
		    http_status >= 400 ? (http_status >= 500 ?
		    "ServiceUnavailable" : "Unknown") : "Unknown");
	if (err->message[0] == '\0')
		snprintf(err->message, sizeof(err->message), "%s",
		    status_text(http_status));
	json_decref(j);
}

void
wk_aws_error_print(FILE *f, const struct wk_aws_error *err,
    const char *operation, const char *endpoint)
{
	if (err->http_status == 0 && err->code[0] == '\0') {
		fprintf(f, "wicket: could not connect to the endpoint URL: "
		    "\"%s\": %s\n", endpoint != NULL ? endpoint : "",
		    err->message);
		return;
	}
	fprintf(f, "An error occurred (%s) when calling the %s operation: "
	    "%s\n", err->code, operation, err->message);
}

static int
append_header(struct curl_slist **list, const char *name, const char *value)
{
	struct wk_buf b;
	struct curl_slist *n;
	int r;

	wk_buf_init(&b, 16384);
	if ((r = wk_buf_appendf(&b, "%s: %s", name, value)) != 0)
		goto out;
	if ((n = curl_slist_append(*list, wk_buf_cstr(&b))) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	*list = n;
 out:
	wk_buf_cleanup_secret(&b);
	return r;
}

static int
transport_error(CURLcode cc, const char *detail, const char *ca_bundle,
    struct wk_aws_error *err)
{
	if (detail != NULL && *detail != '\0')
		snprintf(err->message, sizeof(err->message), "%s: %s",
		    curl_easy_strerror(cc), detail);
	else
		set_msg(err, "", curl_easy_strerror(cc));
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
		/* as the aws CLI: name the certificate problem and the fix */
		snprintf(err->message, sizeof(err->message),
		    "SSL validation failed: %s%s%s; %s",
		    curl_easy_strerror(cc), detail != NULL && *detail != '\0'
		    ? ": " : "", detail != NULL ? detail : "",
		    ca_bundle != NULL ? "check the CA bundle in use ("
		    "--ca-bundle, AWS_CA_BUNDLE or ca_bundle)" :
		    "give the server's CA with --ca-bundle, AWS_CA_BUNDLE or "
		    "ca_bundle in the profile");
		err->code[0] = '\0';
		return WK_ERR_IO;
	case CURLE_OPERATION_TIMEDOUT:
		return WK_ERR_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return WK_ERR_UNAVAIL;
	case CURLE_WRITE_ERROR:
		set_msg(err, "", "reply too large");
		return WK_ERR_TOOBIG;
	default:
		return WK_ERR_IO;
	}
}

int
wk_aws_call(struct wk_aws_client *c, const char *service, const char *target,
    json_t *request, json_t **reply, struct wk_aws_error *err)
{
	const struct wk_aws_config *cfg = c->cfg;
	struct wk_sigv4_header hdrs[3];
	struct wk_sigv4_request req;
	struct wk_buf authz;
	struct curl_slist *list = NULL, *nl;
	char amz_date[17], *body = NULL;
	json_t *j = NULL;
	json_error_t jerr;
	CURLcode cc;
	long status = 0;
	size_t body_len;
	int r;

	*reply = NULL;
	memset(err, 0, sizeof(*err));
	wk_buf_init(&authz, 4096);
	wk_buf_reset(&c->reply);
	c->error_type[0] = '\0';

	if ((body = json_dumps(request, JSON_COMPACT)) == NULL) {
		r = WK_ERR_NOMEM;
		set_msg(err, "", "out of memory");
		goto out;
	}
	body_len = strlen(body);
	if (body_len > WK_AWS_REQUEST_MAX) {
		r = WK_ERR_TOOBIG;
		set_msg(err, "", "request too large");
		goto out;
	}

	hdrs[0].name = WK_SPAN_LIT("Host");
	hdrs[0].value = wk_span_from_cstr(c->host);
	hdrs[1].name = WK_SPAN_LIT("Content-Type");
	hdrs[1].value = WK_SPAN_LIT(CONTENT_TYPE);
	hdrs[2].name = WK_SPAN_LIT("X-Amz-Target");
	hdrs[2].value = wk_span_from_cstr(target);
	memset(&req, 0, sizeof(req));
	req.method = WK_SPAN_LIT("POST");
	req.path = wk_span_from_cstr(c->path);
	req.query = WK_SPAN_LIT("");
	req.headers = hdrs;
	req.nheaders = 3;
	req.body = wk_span_from_mem(body, body_len);
	if ((r = wk_sigv4_sign(&req, cfg->access_key_id,
	    cfg->secret_access_key, cfg->session_token, cfg->region, service,
	    wk_wall_now(), amz_date, &authz)) != 0) {
		set_msg(err, "", "cannot sign the request");
		goto out;
	}

	if ((r = append_header(&list, "Host", c->host)) != 0 ||
	    (r = append_header(&list, "Content-Type", CONTENT_TYPE)) != 0 ||
	    (r = append_header(&list, "X-Amz-Target", target)) != 0 ||
	    (r = append_header(&list, "X-Amz-Date", amz_date)) != 0 ||
	    (r = append_header(&list, "Authorization",
	    wk_buf_cstr(&authz))) != 0 ||
	    (cfg->session_token != NULL && (r = append_header(&list,
	    "X-Amz-Security-Token", cfg->session_token)) != 0)) {
		set_msg(err, "", "out of memory");
		goto out;
	}
	/* "Name:" with nothing after it removes curl's own header */
	if ((nl = curl_slist_append(list, "Expect:")) == NULL ||
	    (list = nl, nl = curl_slist_append(list, "Accept:")) == NULL) {
		r = WK_ERR_NOMEM;
		set_msg(err, "", "out of memory");
		goto out;
	}
	list = nl;

	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, c->endpoint);
	c->errbuf[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)WK_AWS_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS,
	    (long)WK_AWS_TOTAL_TIMEOUT_MS);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "wicket/" WK_VERSION);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)body_len);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, c);
	if (cfg->ca_bundle != NULL)
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, cfg->ca_bundle);

	if ((cc = curl_easy_perform(c->curl)) != CURLE_OK) {
		r = transport_error(cc, c->errbuf, cfg->ca_bundle, err);
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	err->http_status = status;
	if (status < 200 || status > 299) {
		wk_aws_parse_error((const char *)c->reply.p, c->reply.len,
		    c->error_type, status, err);
		r = WK_ERR_DENIED;
		goto out;
	}
	if (c->reply.len == 0) {
		if ((j = json_object()) == NULL) {
			r = WK_ERR_NOMEM;
			goto out;
		}
	} else if ((j = json_loadb((const char *)c->reply.p, c->reply.len,
	    JSON_REJECT_DUPLICATES, &jerr)) == NULL || !json_is_object(j)) {
		set_msg(err, "", "malformed JSON reply from the service");
		r = WK_ERR_INVAL;
		goto out;
	}
	*reply = j;
	j = NULL;
	r = 0;
 out:
	json_decref(j);
	curl_slist_free_all(list);
	wk_buf_cleanup_secret(&authz);
	if (body != NULL) {
		wk_explicit_bzero(body, strlen(body));
		free(body);	/* jansson's allocator */
	}
	return r;
}
