/*
 * channel.c - the HTTP side of the agent channel (docs/protocols.md):
 * libcurl handles with a deadline on everything and a cap on every reply,
 * the enroll/update bodies, and the signing keys in wicketd's replies.
 */
#include "agent/agent.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"

#define CONNECT_TIMEOUT_MS 10000L

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct wk_agent_reply *reply = userdata;
	size_t len;

	if (__builtin_mul_overflow(size, nmemb, &len))
		return 0;
	if (wk_buf_append(&reply->body, ptr, len) != 0)
		return 0;	/* over the cap: curl aborts the transfer */
	return len;
}

int
wk_agent_check_server_url(const char *url, char **out)
{
	size_t len;

	*out = NULL;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return WK_ERR_INVAL;
	len = strlen(url);
	if (len > 2048 || strpbrk(url, " \t\r\n?#") != NULL)
		return WK_ERR_INVAL;
	while (len > 8 && url[len - 1] == '/')
		len--;
	if ((*out = wk_strndup(url, len)) == NULL)
		return WK_ERR_NOMEM;
	return 0;
}

void
wk_agent_easy_free(CURL *easy, struct curl_slist *headers)
{
	if (easy != NULL)
		curl_easy_cleanup(easy);
	curl_slist_free_all(headers);
}

int
wk_agent_easy_new(const char *url, const char *auth_header,
    const char *json_body, long timeout_ms, const struct wk_agent_tls *tls,
    struct wk_agent_reply *reply, CURL **out_easy,
    struct curl_slist **out_headers)
{
	struct curl_slist *h = NULL, *nh;
	CURL *e = NULL;
	int r = WK_ERR_NOMEM;

	*out_easy = NULL;
	*out_headers = NULL;
	reply->status = 0;
	reply->errbuf[0] = '\0';
	wk_buf_init(&reply->body, WK_AGENT_MAX_REPLY);
	if ((e = curl_easy_init()) == NULL)
		goto out;
	if ((nh = curl_slist_append(h, "Accept: application/json")) == NULL)
		goto out;
	h = nh;
	if (json_body != NULL) {
		if ((nh = curl_slist_append(h,
		    "Content-Type: application/json")) == NULL)
			goto out;
		h = nh;
	}
	if (auth_header != NULL) {
		if ((nh = curl_slist_append(h, auth_header)) == NULL)
			goto out;
		h = nh;
	}
	r = WK_ERR_INTERNAL;
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
	    wk_agent_tls_apply(e, url, tls, reply) != 0 ||
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    CONNECT_TIMEOUT_MS) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)WK_AGENT_MAX_REPLY) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, reply) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, reply->errbuf) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, reply) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT,
	    "wicket-agent/" WK_VERSION) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h) != CURLE_OK)
		goto out;
	if (json_body != NULL &&
	    (strlen(json_body) > WK_AGENT_MAX_BODY ||
	    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, json_body) !=
	    CURLE_OK))
		goto out;
	*out_easy = e;
	*out_headers = h;
	return 0;
 out:
	wk_agent_easy_free(e, h);
	return r;
}

int
wk_agent_http_sync(const char *url, const char *auth_header,
    const char *json_body, long timeout_ms, const struct wk_agent_tls *tls,
    struct wk_agent_reply *reply, char *why, size_t whysz)
{
	struct curl_slist *h = NULL;
	CURL *e = NULL;
	CURLcode cc;
	bool refused;
	int r;

	why[0] = '\0';
	if ((r = wk_agent_easy_new(url, auth_header, json_body, timeout_ms,
	    tls, reply, &e, &h)) != 0) {
		snprintf(why, whysz, "%s", wk_strerror(r));
		return r;
	}
	cc = curl_easy_perform(e);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &reply->status);
	} else {
		if (reply->errbuf[0] == '\0')
			snprintf(reply->errbuf, sizeof(reply->errbuf), "%s",
			    curl_easy_strerror(cc));
		wk_agent_tls_explain(reply, (int)cc, why, whysz, &refused);
		r = refused ? WK_ERR_AUTH : cc == CURLE_OPERATION_TIMEDOUT ?
		    WK_ERR_TIMEOUT : WK_ERR_UNAVAIL;
	}
	wk_agent_easy_free(e, h);
	return r;
}

int
wk_agent_register_body(const struct wk_agent_state *st, const char *token,
    json_t *host_keys, char **out)
{
	json_t *root;
	char *text;

	*out = NULL;
	root = json_pack("{s:s, s:s, s:i, s:O}",
	    "hostname", st->hostname != NULL ? st->hostname : "",
	    "address", st->address != NULL ? st->address : "",
	    "ssh_port", (int)st->ssh_port, "host_keys", host_keys);
	if (root == NULL)
		return WK_ERR_NOMEM;
	if (token != NULL &&
	    json_object_set_new(root, "token", json_string(token)) != 0) {
		json_decref(root);
		return WK_ERR_NOMEM;
	}
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (text == NULL)
		return WK_ERR_NOMEM;
	*out = wk_strdup(text);
	wk_explicit_bzero(text, strlen(text));	/* may hold the token */
	free(text);
	return *out == NULL ? WK_ERR_NOMEM : 0;
}

int
wk_agent_parse_signing_keys(const json_t *arr, struct wk_pubkey *out,
    size_t max, size_t *n)
{
	const json_t *v, *id, *pk;
	size_t i, j;
	int r;

	*n = 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return WK_ERR_INVAL;
	if (json_array_size(arr) > max)
		return WK_ERR_TOOBIG;
	for (i = 0; i < json_array_size(arr); i++) {
		v = json_array_get(arr, i);
		id = json_object_get(v, "id");
		pk = json_object_get(v, "public_key");
		if (!json_is_string(id) || !json_is_string(pk))
			return WK_ERR_INVAL;
		if ((r = wk_pubkey_from_base64(wk_span_from_mem(
		    json_string_value(pk), json_string_length(pk)),
		    &out[i])) != 0)
			return r;
		/* The id is derived from the key; a mismatch is an error. */
		if (strcmp(out[i].id, json_string_value(id)) != 0)
			return WK_ERR_INVAL;
		for (j = 0; j < i; j++)
			if (strcmp(out[j].id, out[i].id) == 0)
				return WK_ERR_INVAL;
	}
	*n = i;
	return 0;
}

void
wk_agent_reply_error(const struct wk_agent_reply *r, char *out, size_t outsz)
{
	json_t *root;
	const char *code, *msg;

	root = json_loadb((const char *)r->body.p, r->body.len, 0, NULL);
	code = json_string_value(json_object_get(root, "error"));
	msg = json_string_value(json_object_get(root, "message"));
	if (code != NULL)
		snprintf(out, outsz, "%s: %s (HTTP %ld)", code,
		    msg != NULL ? msg : "", r->status);
	else
		snprintf(out, outsz, "HTTP %ld", r->status);
	json_decref(root);
}
