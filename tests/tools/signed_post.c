/*
 * signed_post - sends one SigV4-signed POST with an arbitrary body, so the
 * end-to-end tests can give wicketd what no AWS client would: malformed
 * JSON, unknown targets, stale signatures. Prints the HTTP status on the
 * first line, then the body.
 *
 *   AWS_ACCESS_KEY_ID=.. AWS_SECRET_ACCESS_KEY=.. \
 *   signed_post URL SERVICE TARGET|- BODY-FILE [CLOCK-OFFSET-SECONDS]
 *
 * TARGET "-" sends no X-Amz-Target (a Query-protocol body).
 */
#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/sigv4.h"

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct wk_buf *b = arg;

	return wk_buf_append(b, p, sz * n) == 0 ? sz * n : 0;
}

int
main(int argc, char **argv)
{
	struct wk_buf body, reply, auth, hostport;
	struct wk_sigv4_header hdr[3];
	struct wk_sigv4_request req;
	struct curl_slist *h = NULL;
	const char *url, *ak = getenv("AWS_ACCESS_KEY_ID"),
	    *sk = getenv("AWS_SECRET_ACCESS_KEY");
	char amz_date[17], line[2048], chunk[4096];
	uint64_t off = 0;
	long status = 0;
	bool neg = false;
	ssize_t n;
	CURL *c;
	int fd;

	if (argc < 5 || ak == NULL || sk == NULL) {
		fprintf(stderr, "usage: AWS_ACCESS_KEY_ID=.. "
		    "AWS_SECRET_ACCESS_KEY=.. signed_post URL SERVICE "
		    "TARGET|- BODY-FILE [CLOCK-OFFSET]\n");
		return 2;
	}
	if (argc > 5) {
		const char *o = argv[5];

		if (*o == '-') {
			neg = true;
			o++;
		}
		if (wk_cstr_to_u64(o, 100000000, &off) != 0)
			return 2;
	}
	url = argv[1];
	wk_buf_init(&body, 16 << 20);
	wk_buf_init(&reply, 16 << 20);
	wk_buf_init(&auth, 4096);
	wk_buf_init(&hostport, 512);
	if ((fd = open(argv[4], O_RDONLY)) < 0)
		return 1;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (wk_buf_append(&body, chunk, (size_t)n) != 0)
			return 1;
	close(fd);
	/* "http://host:port/..." -> "host:port" */
	{
		const char *s = strstr(url, "://"), *e;

		s = s ? s + 3 : url;
		e = strchr(s, '/');
		wk_buf_append(&hostport, s, e ? (size_t)(e - s) : strlen(s));
	}
	memset(&req, 0, sizeof(req));
	hdr[0] = (struct wk_sigv4_header){ WK_SPAN_LIT("Host"),
	    wk_buf_span(&hostport) };
	hdr[1] = (struct wk_sigv4_header){ WK_SPAN_LIT("Content-Type"),
	    strcmp(argv[3], "-") == 0 ?
	    WK_SPAN_LIT("application/x-www-form-urlencoded; charset=utf-8") :
	    WK_SPAN_LIT("application/x-amz-json-1.1") };
	hdr[2] = (struct wk_sigv4_header){ WK_SPAN_LIT("X-Amz-Target"),
	    wk_span_from_cstr(argv[3]) };
	req.method = WK_SPAN_LIT("POST");
	req.path = WK_SPAN_LIT("/");
	req.headers = hdr;
	req.nheaders = strcmp(argv[3], "-") == 0 ? 2 : 3;
	req.body = wk_buf_span(&body);
	if (wk_sigv4_sign(&req, ak, sk, NULL, "us-east-1", argv[2],
	    time(NULL) + (neg ? -(time_t)off : (time_t)off), amz_date,
	    &auth) != 0)
		return 1;
	c = curl_easy_init();
	snprintf(line, sizeof(line), "Content-Type: %.*s",
	    WK_SPAN_FMT(hdr[1].value));
	h = curl_slist_append(h, line);
	if (req.nheaders == 3) {
		snprintf(line, sizeof(line), "X-Amz-Target: %s", argv[3]);
		h = curl_slist_append(h, line);
	}
	snprintf(line, sizeof(line), "X-Amz-Date: %s", amz_date);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "Authorization: %s", wk_buf_cstr(&auth));
	h = curl_slist_append(h, line);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.p ? (char *)body.p : "");
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	if (curl_easy_perform(c) != CURLE_OK)
		return 1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	printf("%ld\n%s\n", status, wk_buf_cstr(&reply));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	wk_buf_cleanup(&body);
	wk_buf_cleanup(&reply);
	wk_buf_cleanup(&auth);
	wk_buf_cleanup(&hostport);
	return 0;
}
