/*
 * bench_load - a load generator for wicketd's SendSSHPublicKey: N kept-alive
 * connections (libcurl multi), a real SigV4 signature computed for every
 * request, a distinct Ed25519 key in every push, the calls spread over U
 * IAM users (one access key each) so the per-key throttle is not what is
 * measured. Closed loop (each connection sends its next request when the
 * previous one was answered) or open loop (--rate: requests are scheduled
 * at fixed times and their latency counts from the scheduled time, so a
 * server that falls behind is charged for the wait: no coordinated
 * omission). Loopback targets only. See usage() for the full manual.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "common/buf.h"
#include "common/encode.h"
#include "crypto/sigv4.h"
#include "crypto/sshkey.h"

#define TARGET "AWSEC2InstanceConnectService.SendSSHPublicKey"
#define CONTENT_TYPE "application/x-amz-json-1.1"
#define REPLY_MAX 65536
#define MAX_CONNS 4096
#define MAX_CODES 16
#define MAX_ENDPOINTS 8
#define HOST_MAX 512

static void
usage(FILE *f)
{
	fprintf(f,
"NAME\n"
"    bench_load - SendSSHPublicKey load generator for a loopback wicketd\n"
"\n"
"SYNOPSIS\n"
"    AWS_ACCESS_KEY_ID=ADMIN_KEY AWS_SECRET_ACCESS_KEY=ADMIN_SECRET \\\n"
"    bench_load --endpoint URL --instance ID --keys-file FILE [options]\n"
"\n"
"DESCRIPTION\n"
"    Sends SendSSHPublicKey calls to wicketd over -c kept-alive HTTP/1.1\n"
"    connections and prints the throughput, latency percentiles and the\n"
"    outcome of every call. Each request is signed afresh (SigV4, the\n"
"    signing key derived per request as a client without a cache does)\n"
"    and carries an Ed25519 public key no other request carries: the keys\n"
"    are generated before the clock starts, so key generation is not\n"
"    measured. The calls rotate over U IAM users (one access key each)\n"
"    and over M OS users (bl0 .. bl<M-1>) of the one instance.\n"
"\n"
"    Setup: when FILE (--keys-file) does not exist, bench_load creates,\n"
"    through the IAM API with the admin credentials from the environment,\n"
"    the managed policy PREFIX-policy (one Allow of SendSSHPublicKey on the\n"
"    instance, with a StringLike condition on ec2:osuser \"bl*\", the lab's\n"
"    kind of policy) and U users PREFIX-0 .. PREFIX-<U-1>, each with one\n"
"    access key and the policy attached, and writes their keys to FILE\n"
"    (mode 0600). Later runs read FILE and create nothing, so repeated runs\n"
"    against one wicketd use the same access keys.\n"
"\n"
"    Closed loop (default): every connection sends its next request as\n"
"    soon as the previous one was answered; latency is send to answer.\n"
"    Open loop (--rate R): request i is due at start + i/R; it is sent\n"
"    when due on a free connection (or later, when all -c are busy), and\n"
"    its latency counts from the time it was due.\n"
"\n"
"    The target must be loopback (127.0.0.0/8 or ::1; a name must resolve\n"
"    to loopback addresses only): anything else is refused.\n"
"\n"
"OPTIONS\n"
"    -e, --endpoint URL     wicketd's API, e.g. http://127.0.0.1:8443;\n"
"                           repeated (up to %d): the connections are\n"
"                           spread over them in turn (connection i uses\n"
"                           endpoint i mod E), e.g. replicas of one\n"
"                           service; the setup uses the first\n"
"    -i, --instance ID      the instance the keys are pushed to (its agent\n"
"                           must be online)\n"
"    -f, --keys-file FILE   access keys of the load users (see Setup)\n"
"    -c, --connections N    concurrent connections, 1..%d (default 1)\n"
"    -d, --duration SEC     how long to send, 1..3600 (default 5)\n"
"    -r, --rate R           open loop at R requests/s (default: closed)\n"
"    -u, --users U          IAM users to create, 1..10000 (default 100)\n"
"    -m, --os-users M       OS users to rotate over, 1..100000 (default\n"
"                           512; wicketd holds at most 64 unexpired keys\n"
"                           per instance and OS user, so run wicketd with\n"
"                           a short --key-ttl and M large enough)\n"
"    -k, --pool K           pre-generated keys (default: rate x duration\n"
"                           x 1.1 in open loop, 10000 x duration in closed);\n"
"                           a closed-loop run that uses them all stops\n"
"                           early and says so\n"
"    -p, --prefix NAME      name prefix of the users and policy (default\n"
"                           bench-load)\n"
"    -R, --region NAME      region to sign for (default us-east-1)\n"
"    -h, --help             this manual\n"
"\n"
"OUTPUT\n"
"    One line: mode, connections, requests, seconds, req/s (answered\n"
"    calls per second, all outcomes), p50/p99/p999/max latency in ms, then\n"
"    the outcome counts: Success, ThrottlingException, other AWS errors\n"
"    (the codes follow on a second line), transport failures.\n"
"\n"
"EXIT STATUS\n"
"    0 when the run completed (whatever the outcomes), 1 on a setup or\n"
"    run failure, 2 on a usage error or a non-loopback target.\n",
	    MAX_ENDPOINTS, MAX_CONNS);
}

struct cred {
	char akid[32];
	char secret[64];
};

struct opts {
	const char *endpoint, *instance, *keys_file, *prefix, *region;
	const char *endpoints[MAX_ENDPOINTS];
	size_t nendpoints;
	uint64_t conns, duration, rate, users, os_users, pool;
	const char *admin_akid, *admin_secret;
};

/* ---- loopback check ---- */

static int
require_loopback(const char *url, char *host_port, size_t hp_len)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *a;
	int r = 2, n = 0;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		fprintf(stderr, "bench_load: --endpoint '%s' is not a URL\n",
		    url);
		goto out;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		fprintf(stderr, "bench_load: --endpoint must be http:// or "
		    "https://, not '%s'\n", scheme);
		goto out;
	}
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	/* "[::1]" -> "::1" for getaddrinfo */
	{
		char h[256];
		size_t l = strlen(host);

		if (l >= sizeof(h)) {
			fprintf(stderr, "bench_load: host name too long\n");
			goto out;
		}
		if (host[0] == '[' && l > 2) {
			memcpy(h, host + 1, l - 2);
			h[l - 2] = '\0';
		} else {
			memcpy(h, host, l + 1);
		}
		if (getaddrinfo(h, NULL, &hints, &res) != 0 || res == NULL) {
			fprintf(stderr, "bench_load: cannot resolve '%s'\n", h);
			goto out;
		}
	}
	for (a = res; a != NULL; a = a->ai_next) {
		bool lo = false;

		if (a->ai_family == AF_INET) {
			const struct sockaddr_in *s =
			    (const struct sockaddr_in *)a->ai_addr;
			lo = (ntohl(s->sin_addr.s_addr) >> 24) == 127;
		} else if (a->ai_family == AF_INET6) {
			const struct sockaddr_in6 *s =
			    (const struct sockaddr_in6 *)a->ai_addr;
			lo = IN6_IS_ADDR_LOOPBACK(&s->sin6_addr);
		}
		if (!lo) {
			char txt[INET6_ADDRSTRLEN] = "?";

			getnameinfo(a->ai_addr, a->ai_addrlen, txt, sizeof(txt),
			    NULL, 0, NI_NUMERICHOST);
			fprintf(stderr, "bench_load: refusing to load %s (%s): "
			    "only loopback targets (127.0.0.0/8, ::1) are "
			    "allowed\n", host, txt);
			goto out;
		}
		n++;
	}
	if (n == 0)
		goto out;
	if ((size_t)snprintf(host_port, hp_len, "%s%s%s", host,
	    port != NULL ? ":" : "", port != NULL ? port : "") >= hp_len)
		goto out;
	r = 0;
 out:
	if (res != NULL)
		freeaddrinfo(res);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return r;
}

/* ---- signed requests ---- */

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct wk_buf *b = ud;
	size_t n = size * nmemb;

	if (wk_buf_append(b, p, n) != 0)
		return 0;
	return n;
}

/*
 * Builds the header list of a signed POST: Host, Content-Type,
 * X-Amz-Target (when target != NULL), X-Amz-Date, Authorization.
 */
static struct curl_slist *
signed_headers(const char *host, const char *ctype, const char *target,
    const char *body, size_t body_len, const struct cred *c,
    const char *region, const char *service)
{
	struct wk_sigv4_header h[3];
	struct wk_sigv4_request req = { 0 };
	struct curl_slist *l = NULL;
	struct wk_buf authz, line;
	char date[17];
	size_t nh = 2;

	h[0].name = WK_SPAN_LIT("Host");
	h[0].value = wk_span_from_cstr(host);
	h[1].name = WK_SPAN_LIT("Content-Type");
	h[1].value = wk_span_from_cstr(ctype);
	if (target != NULL) {
		h[2].name = WK_SPAN_LIT("X-Amz-Target");
		h[2].value = wk_span_from_cstr(target);
		nh = 3;
	}
	req.method = WK_SPAN_LIT("POST");
	req.path = WK_SPAN_LIT("/");
	req.query = WK_SPAN_LIT("");
	req.headers = h;
	req.nheaders = nh;
	req.body = wk_span_from_mem(body, body_len);
	wk_buf_init(&authz, 4096);
	wk_buf_init(&line, 8192);
	if (wk_sigv4_sign(&req, c->akid, c->secret, NULL, region, service,
	    time(NULL), date, &authz) != 0)
		goto fail;
#define ADD(...) do { wk_buf_reset(&line); \
	if (wk_buf_appendf(&line, __VA_ARGS__) != 0 || \
	    (l = curl_slist_append(l, wk_buf_cstr(&line))) == NULL) \
		goto fail; } while (0)
	ADD("Host: %s", host);
	ADD("Content-Type: %s", ctype);
	if (target != NULL)
		ADD("X-Amz-Target: %s", target);
	ADD("X-Amz-Date: %.16s", date);
	ADD("Authorization: %s", wk_buf_cstr(&authz));
	ADD("Expect:");
	ADD("Accept:");
#undef ADD
	wk_buf_cleanup(&authz);
	wk_buf_cleanup(&line);
	return l;
 fail:
	curl_slist_free_all(l);
	wk_buf_cleanup(&authz);
	wk_buf_cleanup(&line);
	return NULL;
}

/* ---- setup: policy, users, access keys (IAM Query API) ---- */

/* One IAM call; the reply body in *out. Returns the HTTP status, or -1. */
static long
iam_call(CURL *e, const struct opts *o, const char *host, const char *body,
    struct wk_buf *out)
{
	struct cred admin;
	struct curl_slist *h;
	long status = -1;

	snprintf(admin.akid, sizeof(admin.akid), "%s", o->admin_akid);
	snprintf(admin.secret, sizeof(admin.secret), "%s", o->admin_secret);
	h = signed_headers(host, "application/x-www-form-urlencoded; "
	    "charset=utf-8", NULL, body, strlen(body), &admin, o->region,
	    "iam");
	if (h == NULL)
		return -1;
	wk_buf_reset(out);
	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, o->endpoint);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	return status;
}

/* The text of <tag>...</tag> in xml, copied to out. */
static int
xml_text(const char *xml, const char *tag, char *out, size_t len)
{
	char open[64], close[64];
	const char *s, *e;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((s = strstr(xml, open)) == NULL)
		return -1;
	s += strlen(open);
	if ((e = strstr(s, close)) == NULL || (size_t)(e - s) >= len)
		return -1;
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
	return 0;
}

static int
setup_users(const struct opts *o, const char *host, struct cred *creds)
{
	CURL *e = curl_easy_init();
	struct wk_buf body, reply, enc, doc;
	char arn[512];
	uint64_t i;
	FILE *f = NULL;
	long st;
	int fd, r = 1;

	wk_buf_init(&body, 65536);
	wk_buf_init(&reply, 1 << 20);
	wk_buf_init(&enc, 65536);
	wk_buf_init(&doc, 8192);
	if (e == NULL)
		goto out;
	if (wk_buf_appendf(&doc, "{\"Version\":\"2012-10-17\",\"Statement\":"
	    "[{\"Effect\":\"Allow\",\"Action\":"
	    "\"ec2-instance-connect:SendSSHPublicKey\",\"Resource\":"
	    "\"arn:aws:ec2:*:*:instance/%s\",\"Condition\":{\"StringLike\":"
	    "{\"ec2:osuser\":\"bl*\"}}}]}", o->instance) != 0 ||
	    wk_uri_encode(&enc, wk_buf_span(&doc), true) != 0 ||
	    wk_buf_appendf(&body, "Action=CreatePolicy&Version=2010-05-08&"
	    "PolicyName=%s-policy&PolicyDocument=%s", o->prefix,
	    wk_buf_cstr(&enc)) != 0)
		goto out;
	if ((st = iam_call(e, o, host, wk_buf_cstr(&body), &reply)) != 200 ||
	    xml_text(wk_buf_cstr(&reply), "Arn", arn, sizeof(arn)) != 0) {
		fprintf(stderr, "bench_load: CreatePolicy failed (HTTP %ld): "
		    "%s\n", st, wk_buf_cstr(&reply));
		goto out;
	}
	for (i = 0; i < o->users; i++) {
		wk_buf_reset(&body);
		if (wk_buf_appendf(&body, "Action=CreateUser&Version=2010-05-08&"
		    "UserName=%s-%llu", o->prefix, (unsigned long long)i) != 0 ||
		    (st = iam_call(e, o, host, wk_buf_cstr(&body),
		    &reply)) != 200) {
			fprintf(stderr, "bench_load: CreateUser %s-%llu failed: "
			    "%s\n", o->prefix, (unsigned long long)i,
			    wk_buf_cstr(&reply));
			goto out;
		}
		wk_buf_reset(&body);
		wk_buf_reset(&enc);
		if (wk_uri_encode(&enc, wk_span_from_cstr(arn), true) != 0 ||
		    wk_buf_appendf(&body, "Action=AttachUserPolicy&"
		    "Version=2010-05-08&UserName=%s-%llu&PolicyArn=%s",
		    o->prefix, (unsigned long long)i, wk_buf_cstr(&enc)) != 0 ||
		    (st = iam_call(e, o, host, wk_buf_cstr(&body),
		    &reply)) != 200) {
			fprintf(stderr, "bench_load: AttachUserPolicy failed: "
			    "%s\n", wk_buf_cstr(&reply));
			goto out;
		}
		wk_buf_reset(&body);
		if (wk_buf_appendf(&body, "Action=CreateAccessKey&"
		    "Version=2010-05-08&UserName=%s-%llu", o->prefix,
		    (unsigned long long)i) != 0 ||
		    (st = iam_call(e, o, host, wk_buf_cstr(&body),
		    &reply)) != 200 ||
		    xml_text(wk_buf_cstr(&reply), "AccessKeyId", creds[i].akid,
		    sizeof(creds[i].akid)) != 0 ||
		    xml_text(wk_buf_cstr(&reply), "SecretAccessKey",
		    creds[i].secret, sizeof(creds[i].secret)) != 0) {
			fprintf(stderr, "bench_load: CreateAccessKey failed: "
			    "%s\n", wk_buf_cstr(&reply));
			goto out;
		}
	}
	if ((fd = open(o->keys_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "bench_load: %s: %s\n", o->keys_file,
		    strerror(errno));
		goto out;
	}
	for (i = 0; i < o->users; i++)
		fprintf(f, "%s %s\n", creds[i].akid, creds[i].secret);
	if (fclose(f) != 0)
		goto out;
	r = 0;
 out:
	wk_buf_cleanup(&body);
	wk_buf_cleanup_secret(&reply);
	wk_buf_cleanup(&enc);
	wk_buf_cleanup(&doc);
	curl_easy_cleanup(e);
	return r;
}

/* Reads FILE ("AKID SECRET" lines); the number of users read, or 0. */
static uint64_t
read_keys(const char *path, struct cred *creds, uint64_t max)
{
	FILE *f = fopen(path, "re");
	uint64_t n = 0;

	if (f == NULL)
		return 0;
	while (n < max && fscanf(f, "%31s %63s", creds[n].akid,
	    creds[n].secret) == 2)
		n++;
	fclose(f);
	return n;
}

/* ---- the load ---- */

struct conn {
	CURL *e;
	struct curl_slist *h;
	struct wk_buf reply;
	uint64_t due_ns;	/* open loop: scheduled; closed: sent */
	size_t idx;
	bool busy;
};

struct outcome {
	uint64_t success, throttled, transport;
	char code[MAX_CODES][64];
	char first[MAX_CODES][160];	/* the first reply of each code */
	uint64_t count[MAX_CODES], other;
};

static void
count_error(struct outcome *oc, const char *body)
{
	const char *t = strstr(body, "\"__type\"");
	char code[64] = "Unknown";
	const char *s, *e;
	size_t i;

	if (t != NULL && (s = strchr(t + 8, '"')) != NULL &&
	    (e = strchr(s + 1, '"')) != NULL) {
		const char *h = memchr(s + 1, '#', (size_t)(e - s - 1));

		s = h != NULL ? h + 1 : s + 1;
		snprintf(code, sizeof(code), "%.*s", (int)(e - s), s);
	}
	if (strcmp(code, "ThrottlingException") == 0) {
		oc->throttled++;
		return;
	}
	oc->other++;
	for (i = 0; i < MAX_CODES && oc->code[i][0] != '\0'; i++)
		if (strcmp(oc->code[i], code) == 0)
			break;
	if (i == MAX_CODES)
		return;
	if (oc->code[i][0] == '\0') {
		memcpy(oc->code[i], code, sizeof(code));
		snprintf(oc->first[i], sizeof(oc->first[i]), "%s", body);
	}
	oc->count[i]++;
}

static int
start(CURLM *m, struct conn *c, const struct opts *o, const char *host,
    char **bodies, size_t idx, const struct cred *creds, uint64_t ncreds,
    uint64_t due)
{
	const char *b = bodies[idx];

	curl_slist_free_all(c->h);
	c->h = signed_headers(host, CONTENT_TYPE, TARGET, b, strlen(b),
	    &creds[idx % ncreds], o->region, "ec2-instance-connect");
	if (c->h == NULL)
		return -1;
	wk_buf_reset(&c->reply);
	curl_easy_setopt(c->e, CURLOPT_HTTPHEADER, c->h);
	curl_easy_setopt(c->e, CURLOPT_POSTFIELDS, b);
	c->idx = idx;
	c->due_ns = due;
	c->busy = true;
	return curl_multi_add_handle(m, c->e) == CURLM_OK ? 0 : -1;
}

static int
run(const struct opts *o, char (*hosts)[HOST_MAX], char **bodies,
    size_t nbodies, const struct cred *creds, uint64_t ncreds)
{
	struct conn *cs = calloc(o->conns, sizeof(*cs));
	uint64_t *lat = calloc(nbodies, sizeof(*lat));
	struct outcome oc;
	CURLM *m = curl_multi_init();
	uint64_t t0, stop, last = 0, i, k, rr = 0, done = 0, inflight = 0;
	uint64_t finished;
	size_t next = 0;
	bool exhausted = false;
	int r = 1;

	memset(&oc, 0, sizeof(oc));
	if (cs == NULL || lat == NULL || m == NULL)
		goto out;
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)o->conns);
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)o->conns);
	for (i = 0; i < o->conns; i++) {
		if ((cs[i].e = curl_easy_init()) == NULL)
			goto out;
		wk_buf_init(&cs[i].reply, REPLY_MAX);
		curl_easy_setopt(cs[i].e, CURLOPT_URL,
		    o->endpoints[i % o->nendpoints]);
		curl_easy_setopt(cs[i].e, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(cs[i].e, CURLOPT_WRITEDATA, &cs[i].reply);
		curl_easy_setopt(cs[i].e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(cs[i].e, CURLOPT_TIMEOUT, 30L);
		curl_easy_setopt(cs[i].e, CURLOPT_PRIVATE, &cs[i]);
	}
	t0 = bench_now_ns();
	stop = t0 + o->duration * 1000000000u;
	for (;;) {
		uint64_t now = bench_now_ns();
		int running, left, wait_ms = 100;
		CURLMsg *msg;

		/* send what is due on free connections, taken in turn from
		 * the one after the last used (so an open loop spreads its
		 * calls over every --endpoint) */
		for (k = 0; k < o->conns && next < nbodies; k++) {
			uint64_t due;

			i = (rr + k) % o->conns;
			if (cs[i].busy)
				continue;
			if (o->rate != 0) {
				due = t0 + (uint64_t)((double)next * 1e9 /
				    (double)o->rate);
				if (due >= stop || due > now)
					break;
			} else {
				if (now >= stop)
					break;
				due = now;
			}
			if (start(m, &cs[i], o, hosts[i % o->nendpoints],
			    bodies, next, creds, ncreds, due) != 0) {
				fprintf(stderr, "bench_load: cannot start a "
				    "request\n");
				goto out;
			}
			rr = (i + 1) % o->conns;
			next++;
			inflight++;
		}
		if (next == nbodies && now < stop && o->rate == 0)
			exhausted = true;
		if (inflight == 0 && (next == nbodies || now >= stop ||
		    (o->rate != 0 && t0 + (uint64_t)((double)next * 1e9 /
		    (double)o->rate) >= stop)))
			break;
		if (o->rate != 0 && next < nbodies) {
			uint64_t due = t0 + (uint64_t)((double)next * 1e9 /
			    (double)o->rate);

			wait_ms = due > now ? (int)((due - now) / 1000000u) : 0;
		}
		curl_multi_perform(m, &running);
		finished = done;
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct conn *c;
			long status = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&c);
			last = bench_now_ns();
			lat[done++] = last - c->due_ns;
			if (msg->data.result != CURLE_OK) {
				oc.transport++;
			} else {
				curl_easy_getinfo(c->e, CURLINFO_RESPONSE_CODE,
				    &status);
				if (status == 200)
					oc.success++;
				else
					count_error(&oc,
					    wk_buf_cstr(&c->reply));
			}
			curl_multi_remove_handle(m, c->e);
			c->busy = false;
			inflight--;
		}
		if (done != finished)
			continue;	/* a connection is free: send now */
		if (inflight > 0 || wait_ms > 0)
			curl_multi_poll(m, NULL, 0, wait_ms > 100 ? 100 :
			    wait_ms, NULL);
	}
	{
		double secs = done > 0 ? (double)(last - t0) / 1e9 : 0.0;

		qsort(lat, done, sizeof(*lat), bench_cmp_u64);
		printf("bench_load: mode=%s conns=%llu requests=%llu "
		    "seconds=%.2f req/s=%.0f", o->rate != 0 ? "open" : "closed",
		    (unsigned long long)o->conns, (unsigned long long)done,
		    secs, secs > 0 ? (double)done / secs : 0.0);
		if (o->nendpoints > 1)
			printf(" endpoints=%zu", o->nendpoints);
		if (o->rate != 0)
			printf(" target=%llu/s", (unsigned long long)o->rate);
		if (done > 0)
			printf(" p50=%.2f p99=%.2f p999=%.2f max=%.2f ms",
			    lat[done / 2] / 1e6, lat[done * 99 / 100] / 1e6,
			    lat[done * 999 / 1000] / 1e6, lat[done - 1] / 1e6);
		printf(" Success=%llu ThrottlingException=%llu other=%llu "
		    "transport=%llu\n", (unsigned long long)oc.success,
		    (unsigned long long)oc.throttled,
		    (unsigned long long)oc.other,
		    (unsigned long long)oc.transport);
		if (oc.other > 0) {
			printf("bench_load: other errors:");
			for (i = 0; i < MAX_CODES && oc.code[i][0] != '\0'; i++)
				printf(" %s=%llu", oc.code[i],
				    (unsigned long long)oc.count[i]);
			printf("\n");
			for (i = 0; i < MAX_CODES && oc.code[i][0] != '\0'; i++)
				printf("bench_load: first %s: %s\n",
				    oc.code[i], oc.first[i]);
		}
		if (exhausted)
			printf("bench_load: the %zu pre-generated keys ran out "
			    "before --duration; raise --pool\n", nbodies);
	}
	r = 0;
 out:
	for (i = 0; cs != NULL && i < o->conns; i++) {
		if (cs[i].e != NULL) {
			if (cs[i].busy)
				curl_multi_remove_handle(m, cs[i].e);
			curl_easy_cleanup(cs[i].e);
		}
		curl_slist_free_all(cs[i].h);
		wk_buf_cleanup(&cs[i].reply);
	}
	curl_multi_cleanup(m);
	free(cs);
	free(lat);
	return r;
}

/* Request bodies, each with its own fresh key, before the clock starts. */
static char **
make_bodies(const struct opts *o, size_t n)
{
	char **b = calloc(n, sizeof(*b));
	struct wk_buf pub, priv, body;
	size_t i;

	if (b == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		wk_buf_init(&pub, 8192);
		wk_buf_init(&priv, 16384);
		wk_buf_init(&body, 8192);
		if (wk_sshkey_generate_ed25519(&pub, &priv) != 0 ||
		    wk_buf_appendf(&body, "{\"InstanceId\":\"%s\","
		    "\"InstanceOSUser\":\"bl%llu\",\"SSHPublicKey\":\"%s\"}",
		    o->instance, (unsigned long long)(i % o->os_users),
		    wk_buf_cstr(&pub)) != 0 ||
		    (b[i] = wk_buf_steal(&body)) == NULL) {
			fprintf(stderr, "bench_load: key generation failed\n");
			exit(1);
		}
		wk_buf_cleanup(&pub);
		wk_buf_cleanup_secret(&priv);
	}
	return b;
}

static int
num(const char *name, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (wk_cstr_to_u64(s, hi, out) != 0 || *out < lo) {
		fprintf(stderr, "bench_load: --%s must be %llu..%llu, not "
		    "'%s'\n", name, (unsigned long long)lo,
		    (unsigned long long)hi, s);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "endpoint", required_argument, NULL, 'e' },
		{ "instance", required_argument, NULL, 'i' },
		{ "keys-file", required_argument, NULL, 'f' },
		{ "connections", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "rate", required_argument, NULL, 'r' },
		{ "users", required_argument, NULL, 'u' },
		{ "os-users", required_argument, NULL, 'm' },
		{ "pool", required_argument, NULL, 'k' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "region", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { .conns = 1, .duration = 5, .users = 100,
	    .os_users = 512, .prefix = "bench-load", .region = "us-east-1" };
	struct cred *creds;
	char hosts[MAX_ENDPOINTS][HOST_MAX], **bodies;
	uint64_t ncreds, t;
	size_t n, i;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "e:i:f:c:d:r:u:m:k:p:R:h", lo,
	    NULL)) != -1) {
		switch (ch) {
		case 'e':
			if (o.nendpoints == MAX_ENDPOINTS) {
				fprintf(stderr, "bench_load: at most %d "
				    "--endpoint\n", MAX_ENDPOINTS);
				return 2;
			}
			o.endpoints[o.nendpoints++] = optarg;
			o.endpoint = o.endpoints[0];
			break;
		case 'i': o.instance = optarg; break;
		case 'f': o.keys_file = optarg; break;
		case 'p': o.prefix = optarg; break;
		case 'R': o.region = optarg; break;
		case 'c':
			if (num("connections", optarg, 1, MAX_CONNS, &o.conns))
				return 2;
			break;
		case 'd':
			if (num("duration", optarg, 1, 3600, &o.duration))
				return 2;
			break;
		case 'r':
			if (num("rate", optarg, 1, 1000000, &o.rate))
				return 2;
			break;
		case 'u':
			if (num("users", optarg, 1, 10000, &o.users))
				return 2;
			break;
		case 'm':
			if (num("os-users", optarg, 1, 100000, &o.os_users))
				return 2;
			break;
		case 'k':
			if (num("pool", optarg, 1, 10000000, &o.pool))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'bench_load --help'.\n");
			return 2;
		}
	}
	if (optind != argc || o.endpoint == NULL || o.instance == NULL ||
	    o.keys_file == NULL) {
		fprintf(stderr, "bench_load: --endpoint, --instance and "
		    "--keys-file are required (see bench_load --help)\n");
		return 2;
	}
	if (strlen(o.instance) > 64 || strlen(o.prefix) > 40 ||
	    strspn(o.prefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
	    "TUVWXYZ0123456789-_") != strlen(o.prefix)) {
		fprintf(stderr, "bench_load: bad --instance or --prefix\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (i = 0; i < o.nendpoints; i++)
		if ((r = require_loopback(o.endpoints[i], hosts[i],
		    sizeof(hosts[i]))) != 0)
			return r;
	if ((creds = calloc(o.users, sizeof(*creds))) == NULL)
		return 1;
	if ((ncreds = read_keys(o.keys_file, creds, o.users)) == 0) {
		o.admin_akid = getenv("AWS_ACCESS_KEY_ID");
		o.admin_secret = getenv("AWS_SECRET_ACCESS_KEY");
		if (o.admin_akid == NULL || o.admin_secret == NULL) {
			fprintf(stderr, "bench_load: %s does not exist: set "
			    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (an "
			    "admin) to create the load users\n", o.keys_file);
			return 2;
		}
		t = bench_now_ns();
		if (setup_users(&o, hosts[0], creds) != 0)
			return 1;
		ncreds = o.users;
		fprintf(stderr, "bench_load: created %llu users in %.1f s\n",
		    (unsigned long long)ncreds, (bench_now_ns() - t) / 1e9);
	}
	if (o.pool != 0)
		n = o.pool;
	else if (o.rate != 0)
		n = (size_t)((double)o.rate * (double)o.duration * 1.1) + 1;
	else
		n = (size_t)o.duration * 10000;
	bodies = make_bodies(&o, n);
	if (bodies == NULL)
		return 1;
	r = run(&o, hosts, bodies, n, creds, ncreds);
	for (i = 0; i < n; i++)
		free(bodies[i]);
	free(bodies);
	explicit_bzero(creds, o.users * sizeof(*creds));
	free(creds);
	curl_global_cleanup();
	return r;
}
