/*
 * bench_swarm - many wicket agents in one process (issue 14, items 5 and 8):
 * enrolls N agent identities through wicketd's real enrollment API (one
 * join token each, created in the store as `wicketd token create` does),
 * then holds N long-polls on /agent/v1/poll, each from its own socket on
 * one of many 127.x.y.z source addresses, reconnecting as
 * wicket-agent run does. It can measure wicketd meanwhile: RSS and CPU
 * per heartbeat over a window, push -> visible latency at a random agent,
 * and how long all agents take to come back after a restart. Loopback
 * only. See usage() for the manual.
 *
 * The HTTP client is a small one of its own on one epoll: 50,000 libcurl
 * handles would measure libcurl; what it sends is what the agent's
 * libcurl sends (GET with the Authorization header, kept alive).
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/backoff.h"
#include "bench_util.h"
#include "cli/aws_client.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/rand.h"
#include "crypto/sshkey.h"
#include "server/wicketd.h"
#include "store/store.h"

/*
 * The agent's reconnection policy is the agent's own code
 * (src/agent/backoff.c): a connection refused or closed before any reply
 * retried fast in the first seconds of an outage, full jitter after;
 * wicketd's Retry-After honoured; a success resets it.
 */
#define POLL_TIMEOUT_MS 60000	/* the agent's curl timeout for a poll */
#define ENROLL_TIMEOUT_MS 30000
#define CONNECT_TIMEOUT_MS 10000	/* the agent's (channel.c) */
#define REPLY_MAX (1024 * 1024)
#define SCAN_MS 20
#define MAX_AGENTS 200000

enum { A_NONE, A_IDLE, A_CONNECTING, A_SENDING, A_READING };
enum { K_ENROLL, K_POLL };

struct agent {
	int fd;
	uint8_t state;
	uint8_t kind;
	bool reused;		/* the request went on a kept-alive socket */
	bool got_bytes;		/* some of its reply arrived */
	bool retried;		/* the one silent retry of a dead reuse */
	struct wk_backoff bo;	/* the agent's reconnection state */
	unsigned retry_after_s;	/* of the reply being read */
	uint64_t due_ms;	/* IDLE: retry at; active: the deadline */
	uint64_t req_end_ms;	/* the request's whole deadline */
	char *out;		/* the request, while it is being sent */
	size_t outlen, outoff;
	struct wk_buf in;
	const char *token;	/* enroll: its join token */
	const char *want;	/* base64 of a pushed key being waited for */
	uint64_t want_t0;
	uint64_t seen_ns;	/* when the awaited key arrived; 0: not yet */
	uint64_t cursor;
	char epoch[17];
	char id[20];
	char secret[65];
};

struct swarm {
	struct agent *a;
	size_t n;
	int ep;
	struct sockaddr_in server;
	char host[64];
	unsigned per_addr;
	uint32_t src_base;	/* host order */
	uint64_t ramp;		/* new connections per second */
	size_t enroll_par;
	FILE *ids;
	/* counters */
	uint64_t heartbeats, deliveries, failures, enrolled, errors_http;
	size_t active_enrolls;
};

static void
usage(FILE *f)
{
	fprintf(f,
"NAME\n"
"    bench_swarm - N wicket agents holding long-polls on a loopback wicketd\n"
"\n"
"SYNOPSIS\n"
"    [AWS_ACCESS_KEY_ID=.. AWS_SECRET_ACCESS_KEY=..] \\\n"
"    bench_swarm --endpoint URL --data DIR --ids FILE --agents N [options]\n"
"\n"
"DESCRIPTION\n"
"    Reads agent identities (\"instance-id secret\" lines) from FILE; when\n"
"    it holds fewer than N, creates a join token per missing identity in\n"
"    DIR's store (as `wicketd token create` does) and enrolls them through\n"
"    POST /agent/v1/enroll (--enroll-parallel at a time), appending each\n"
"    to FILE. Then every agent opens its own connection from a source\n"
"    address 127.100.X.Y (--per-addr agents per address, so neither\n"
"    ephemeral ports nor wicketd's per-address cap run out), at --ramp\n"
"    connections/s, and long-polls GET /agent/v1/poll?epoch=E&cursor=C\n"
"    as wicket-agent run does: the next poll at once after an answer, on\n"
"    the same kept-alive connection; after a failure, the agent's own\n"
"    backoff (src/agent/backoff.c, Retry-After honoured); a kept-alive\n"
"    connection that died before any reply byte is retried once at once\n"
"    (as libcurl does). The identities' initial /agent/v1/update is not\n"
"    sent (the enrollment registered the same address and keys).\n"
"\n"
"    Then, in order, each when asked for:\n"
"    --measure SEC   with --server-pid: wicketd's CPU time and the\n"
"                    heartbeats (empty poll answers) over SEC seconds,\n"
"                    and its RSS (VmRSS) before the swarm and now\n"
"    --pushes P      P SendSSHPublicKey calls (the admin credentials from\n"
"                    the environment, --os-user), each to a random agent\n"
"                    whose poll is held, --push-interval ms apart; the\n"
"                    time from sending the call to that agent's poll\n"
"                    answer carrying the record (push -> visible), and\n"
"                    from the call's answer to that poll answer (0 when\n"
"                    the poll answer came first);\n"
"                    with --push-endpoint the calls go to another\n"
"                    wicketd (a replica on the same PostgreSQL) than the\n"
"                    polls: push -> visible across replicas\n"
"    --push-each     one push to every agent; all must arrive (exit 1\n"
"                    otherwise): the behaviour check the e2e test runs\n"
"    --watch SEC     keep holding for SEC seconds and report when agents\n"
"                    failed and when all were held again (restart\n"
"                    recovery; needs --metrics)\n"
"\n"
"OPTIONS\n"
"    -e, --endpoint URL       wicketd, http://127.x.y.z:PORT (loopback only)\n"
"    -d, --data DIR           wicketd's data directory (tokens are created\n"
"                             in its store when identities are missing)\n"
"    -f, --ids FILE           the identities file (created, mode 0600)\n"
"    -n, --agents N           agents, 1..%d\n"
"    -a, --per-addr K         agents per source address (default 100)\n"
"    -r, --ramp R             new connections per second (default 5000)\n"
"    -j, --enroll-parallel J  enrollments in flight (default 16)\n"
"    -m, --metrics URL        wicketd's /metrics (--metrics-listen): the\n"
"                             swarm counts as connected only when\n"
"                             wicket_agent_polls_held reaches N\n"
"    -p, --server-pid PID     wicketd's pid, for --measure\n"
"    -M, --measure SEC\n"
"    -P, --pushes P\n"
"    -i, --push-interval MS   (default 100)\n"
"    -x, --push-endpoint URL  where the pushes go (default: --endpoint;\n"
"                             loopback only)\n"
"    -E, --push-each\n"
"    -u, --os-user NAME       (default ubuntu)\n"
"    -w, --watch SEC\n"
"    -h, --help\n"
"\n"
"OUTPUT\n"
"    Lines starting \"swarm:\" with key=value figures.\n"
"\n"
"EXIT STATUS\n"
"    0 on success, 1 on a failure (a push not delivered, agents that\n"
"    never connected), 2 on a usage error or a non-loopback endpoint.\n",
	    MAX_AGENTS);
}

/* ---- small helpers ---- */

static uint64_t
now_ms(void)
{
	return bench_now_ns() / 1000000u;
}

static uint32_t
rnd32(void)
{
	uint32_t v = 0;

	(void)wk_random_bytes(&v, sizeof(v));
	return v;
}

static long
proc_rss_kib(long pid)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			v = strtol(line + 6, NULL, 10);
	fclose(f);
	return v;
}

/* utime + stime of pid, in seconds. */
static double
proc_cpu_s(long pid)
{
	char path[64], buf[2048], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* after "(comm) ": state and ten fields, then utime and stime */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	for (int i = 0; i < 12; i++) {
		if ((p = strchr(p + 1, ' ')) == NULL)
			return -1;
	}
	ut = strtoul(p + 1, &p, 10);
	st = strtoul(p, NULL, 10);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	return wk_buf_append(ud, p, size * nmemb) == 0 ? size * nmemb : 0;
}

/* wicket_agent_polls_held from wicketd's /metrics, or -1. */
static long
metrics_held(const char *url)
{
	struct wk_buf b;
	const char *p;
	long v = -1;
	CURL *e;

	if (url == NULL || (e = curl_easy_init()) == NULL)
		return -1;
	wk_buf_init(&b, 65536);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(e) == CURLE_OK && wk_buf_append(&b, "", 1) == 0 &&
	    (p = strstr((const char *)b.p, "\nwicket_agent_polls_held ")) != NULL)
		v = strtol(p + 25, NULL, 10);
	curl_easy_cleanup(e);
	wk_buf_cleanup(&b);
	return v;
}

/* ---- one agent's connection ---- */

static void agent_fail(struct swarm *s, struct agent *a, bool quiet_retry,
    enum wk_backoff_kind kind);

static void
agent_close(struct swarm *s, struct agent *a)
{
	if (a->fd >= 0) {
		epoll_ctl(s->ep, EPOLL_CTL_DEL, a->fd, NULL);
		close(a->fd);
	}
	a->fd = -1;
	a->reused = false;
}

static void
agent_backoff(struct swarm *s, struct agent *a, enum wk_backoff_kind kind,
    unsigned retry_after_s)
{
	uint64_t now = now_ms();
	uint64_t delay = retry_after_s > 0 ?
	    wk_backoff_retry_after(&a->bo, retry_after_s, now, rnd32()) :
	    wk_backoff_next(&a->bo, kind, now, rnd32());

	a->state = A_IDLE;
	a->due_ms = now + delay;
	s->failures++;
}

static int
set_events(struct swarm *s, struct agent *a, uint32_t ev, int op)
{
	struct epoll_event e = { .events = ev,
	    .data.u32 = (uint32_t)(a - s->a) };

	return epoll_ctl(s->ep, op, a->fd, &e);
}

static int
agent_connect(struct swarm *s, struct agent *a)
{
	size_t idx = (size_t)(a - s->a);
	uint32_t src = s->src_base + (uint32_t)(idx / s->per_addr);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, fd;

	/* skip .0 and .255 in the last octet */
	src = s->src_base + ((src - s->src_base) / 254) * 256 +
	    (src - s->src_base) % 254 + 1;
	sa.sin_addr.s_addr = htonl(src);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return -1;
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
	    sizeof(one));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (connect(fd, (struct sockaddr *)&s->server, sizeof(s->server)) != 0 &&
	    errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	a->fd = fd;
	a->reused = false;
	if (set_events(s, a, EPOLLOUT | EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD)
	    != 0) {
		close(fd);
		a->fd = -1;
		return -1;
	}
	a->state = A_CONNECTING;
	a->due_ms = now_ms() + CONNECT_TIMEOUT_MS;
	if (a->due_ms > a->req_end_ms)
		a->due_ms = a->req_end_ms;
	return 0;
}

/* Builds the request for the agent's kind into a->out. */
static int
agent_build(struct swarm *s, struct agent *a, const char *hostkey)
{
	struct wk_buf b;
	char *body = NULL;
	int r;

	wk_buf_init(&b, 16384);
	if (a->kind == K_POLL) {
		r = wk_buf_appendf(&b, "GET /agent/v1/poll?epoch=%s&cursor=%llu "
		    "HTTP/1.1\r\nHost: %s\r\nAccept: */*\r\n"
		    "Authorization: Wicket-Agent %s:%s\r\n\r\n", a->epoch,
		    (unsigned long long)a->cursor, s->host, a->id, a->secret);
	} else {
		json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:[s]}", "token",
		    a->token, "hostname", "swarm", "address", "", "ssh_port",
		    22, "host_keys", hostkey);

		body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		r = body == NULL ? -1 : wk_buf_appendf(&b, "POST "
		    "/agent/v1/enroll HTTP/1.1\r\nHost: %s\r\nAccept: */*\r\n"
		    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		    "\r\n%s", s->host, strlen(body), body);
		free(body);
	}
	if (r != 0) {
		wk_buf_cleanup(&b);
		return -1;
	}
	wk_free(a->out);
	a->outlen = b.len;
	a->outoff = 0;
	a->out = wk_malloc(b.len);
	if (a->out == NULL) {
		wk_buf_cleanup(&b);
		return -1;
	}
	memcpy(a->out, b.p, b.len);
	wk_buf_cleanup(&b);
	return 0;
}

static const char *hostkey_line;

static void
agent_send(struct swarm *s, struct agent *a)
{
	ssize_t w;

	while (a->outoff < a->outlen) {
		w = send(a->fd, a->out + a->outoff, a->outlen - a->outoff,
		    MSG_NOSIGNAL);
		if (w < 0 && errno == EAGAIN) {
			set_events(s, a, EPOLLOUT | EPOLLIN | EPOLLRDHUP,
			    EPOLL_CTL_MOD);
			a->state = A_SENDING;
			return;
		}
		if (w <= 0) {
			agent_fail(s, a, true, WK_BACKOFF_REFUSED);
			return;
		}
		a->outoff += (size_t)w;
	}
	wk_free(a->out);
	a->out = NULL;
	a->state = A_READING;
	a->due_ms = a->req_end_ms;
	set_events(s, a, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
}

/* Starts the agent's next request: on its connection, or a new one. */
static void
agent_start(struct swarm *s, struct agent *a)
{
	a->got_bytes = false;
	wk_buf_reset(&a->in);
	/* as libcurl's CURLOPT_TIMEOUT_MS: the whole request */
	a->req_end_ms = now_ms() + (a->kind == K_POLL ? POLL_TIMEOUT_MS :
	    ENROLL_TIMEOUT_MS);
	a->due_ms = a->req_end_ms;
	if (agent_build(s, a, hostkey_line) != 0) {
		agent_backoff(s, a, WK_BACKOFF_REFUSED, 0);
		return;
	}
	if (a->fd >= 0) {
		a->reused = true;
		agent_send(s, a);
		return;
	}
	if (agent_connect(s, a) != 0)
		agent_backoff(s, a, WK_BACKOFF_REFUSED, 0);
}

static void
agent_fail(struct swarm *s, struct agent *a, bool quiet_retry,
    enum wk_backoff_kind kind)
{
	bool retry = quiet_retry && a->reused && !a->got_bytes && !a->retried;

	agent_close(s, a);
	if (a->kind == K_ENROLL) {
		fprintf(stderr, "bench_swarm: an enrollment failed (transport)\n");
		exit(1);
	}
	if (retry) {
		a->retried = true;
		agent_start(s, a);
		return;
	}
	/* as the agent: refused or closed before any reply, or anything else */
	agent_backoff(s, a, a->got_bytes ? WK_BACKOFF_ERROR : kind, 0);
}

static void
take_enroll(struct swarm *s, struct agent *a, json_t *root)
{
	const char *id = json_string_value(json_object_get(root, "instance_id"));
	const char *sec = json_string_value(json_object_get(root,
	    "agent_secret"));

	if (id == NULL || sec == NULL || strlen(id) != 19 || strlen(sec) != 64) {
		fprintf(stderr, "bench_swarm: malformed enroll reply\n");
		exit(1);
	}
	memcpy(a->id, id, 20);
	memcpy(a->secret, sec, 65);
	fprintf(s->ids, "%s %s\n", a->id, a->secret);
	a->kind = K_POLL;
	a->token = NULL;
	s->enrolled++;
	s->active_enrolls--;
}

static void
take_poll(struct swarm *s, struct agent *a, json_t *root)
{
	const char *epoch = json_string_value(json_object_get(root, "epoch"));
	json_t *cur = json_object_get(root, "cursor");
	json_t *recs = json_object_get(root, "records"), *v;
	size_t i;

	if (epoch == NULL || strlen(epoch) >= sizeof(a->epoch) ||
	    !json_is_integer(cur)) {
		agent_close(s, a);
		agent_backoff(s, a, WK_BACKOFF_ERROR, 0);
		return;
	}
	memcpy(a->epoch, epoch, strlen(epoch) + 1);
	a->cursor = (uint64_t)json_integer_value(cur);
	if (json_array_size(recs) == 0)
		s->heartbeats++;
	else
		s->deliveries++;
	json_array_foreach(recs, i, v) {
		if (a->want != NULL && json_is_string(v) &&
		    strstr(json_string_value(v), a->want) != NULL) {
			a->seen_ns = bench_now_ns();
			a->want = NULL;
		}
	}
	wk_backoff_reset(&a->bo);
}

/* A whole reply is in a->in: status, then the body. */
static void
agent_reply(struct swarm *s, struct agent *a, unsigned status,
    const char *body, size_t len, bool keep)
{
	json_t *root;

	a->retried = false;
	if (!keep)
		agent_close(s, a);
	root = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
	if (root == NULL) {
		if (a->kind == K_ENROLL) {
			fprintf(stderr, "bench_swarm: enrollment refused: HTTP "
			    "%u %.*s\n", status, (int)(len > 300 ? 300 : len),
			    body);
			exit(1);
		}
		s->errors_http++;
		agent_close(s, a);
		agent_backoff(s, a, WK_BACKOFF_ERROR,
		    status == 503 ? a->retry_after_s : 0);
		return;
	}
	if (a->kind == K_ENROLL)
		take_enroll(s, a, root);
	else
		take_poll(s, a, root);
	json_decref(root);
	if (a->state == A_IDLE)		/* backed off */
		return;
	a->state = A_IDLE;
	a->due_ms = 0;
	if (s->active_enrolls < s->enroll_par || a->kind == K_POLL)
		agent_start(s, a);
}

/* Parses what arrived; a complete reply goes to agent_reply. */
static void
agent_parse(struct swarm *s, struct agent *a)
{
	const char *p = (const char *)a->in.p, *end, *h, *line_end;
	size_t hlen, clen = 0;
	unsigned status = 0;
	bool have_len = false, keep = true;

	a->retry_after_s = 0;

	if (a->in.len < 12 || (end = memmem(p, a->in.len, "\r\n\r\n", 4)) ==
	    NULL)
		return;
	hlen = (size_t)(end - p) + 4;
	if (strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' ||
	    p[9] < '1' || p[9] > '5' ||
	    (status = (unsigned)strtoul(p + 9, NULL, 10)) == 0) {
		agent_fail(s, a, false, WK_BACKOFF_REFUSED);
		return;
	}
	for (h = memchr(p, '\n', hlen); h != NULL && h + 1 < end; h = line_end) {
		h++;
		line_end = memchr(h, '\n', (size_t)(end + 2 - h));
		if (line_end == NULL)
			break;
		if (strncasecmp(h, "Content-Length:", 15) == 0) {
			clen = strtoul(h + 15, NULL, 10);
			have_len = true;
		} else if (strncasecmp(h, "Connection:", 11) == 0 &&
		    strncasecmp(h + 11 + strspn(h + 11, " "), "close", 5) == 0) {
			keep = false;
		} else if (strncasecmp(h, "Retry-After:", 12) == 0) {
			unsigned long ra = strtoul(h + 12, NULL, 10);

			a->retry_after_s = ra > 300 ? 300 : (unsigned)ra;
		} else if (strncasecmp(h, "Transfer-Encoding:", 18) == 0) {
			fprintf(stderr, "bench_swarm: chunked replies are not "
			    "supported\n");
			exit(1);
		}
	}
	if (!have_len || clen > REPLY_MAX) {
		agent_fail(s, a, false, WK_BACKOFF_REFUSED);
		return;
	}
	if (a->in.len < hlen + clen)
		return;
	agent_reply(s, a, status, p + hlen, clen, keep);
}

static void
agent_io(struct swarm *s, struct agent *a, uint32_t ev)
{
	char buf[16384];
	ssize_t n;
	int err = 0;
	socklen_t el = sizeof(err);

	if (a->state == A_CONNECTING) {
		if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 ||
		    err != 0) {
			agent_fail(s, a, false, WK_BACKOFF_REFUSED);
			return;
		}
		if (ev & EPOLLOUT) {
			a->due_ms = a->req_end_ms;
			agent_send(s, a);
		}
		return;
	}
	if (a->state == A_SENDING && (ev & EPOLLOUT)) {
		agent_send(s, a);
		return;
	}
	if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)))
		return;
	for (;;) {
		n = recv(a->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			a->got_bytes = true;
			if (a->in.len + (size_t)n > REPLY_MAX + 65536 ||
			    wk_buf_append(&a->in, buf, (size_t)n) != 0) {
				agent_fail(s, a, false, WK_BACKOFF_REFUSED);
				return;
			}
			if (a->state != A_READING) {	/* unasked bytes */
				agent_fail(s, a, false, WK_BACKOFF_REFUSED);
				return;
			}
			agent_parse(s, a);
			if (a->state != A_READING || a->fd < 0)
				return;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return;
		/* closed or reset */
		agent_fail(s, a, true, WK_BACKOFF_REFUSED);
		return;
	}
}

/* ---- the loop ---- */

static void
scan(struct swarm *s, uint64_t now, uint64_t *allow)
{
	for (size_t i = 0; i < s->n; i++) {
		struct agent *a = &s->a[i];

		if (a->state == A_IDLE && a->due_ms <= now) {
			if (a->kind == K_ENROLL) {
				if (s->active_enrolls >= s->enroll_par)
					continue;
				s->active_enrolls++;
			} else if (a->fd < 0 && *allow == 0) {
				continue;
			} else if (a->fd < 0) {
				(*allow)--;
			}
			agent_start(s, a);
		} else if ((a->state == A_READING || a->state == A_SENDING ||
		    a->state == A_CONNECTING) && a->due_ms != 0 &&
		    a->due_ms <= now) {
			agent_fail(s, a, false, WK_BACKOFF_ERROR);	/* the agent's timeout */
		}
	}
}

/* Runs the loop for up to ms milliseconds, or until done(s) is true. */
static void
run(struct swarm *s, uint64_t ms, bool (*done)(struct swarm *s, void *),
    void *arg)
{
	struct epoll_event ev[1024];
	uint64_t end = now_ms() + ms, last_scan = 0, now, allow = 0;
	int n;

	for (;;) {
		now = now_ms();
		if (now >= end || (done != NULL && done(s, arg)))
			return;
		if (now - last_scan >= SCAN_MS) {
			uint64_t dt = last_scan == 0 ? SCAN_MS : now - last_scan;

			allow += s->ramp * dt / 1000 + 1;
			if (allow > s->ramp)
				allow = s->ramp;
			scan(s, now, &allow);
			last_scan = now;
		}
		n = epoll_wait(s->ep, ev, 1024, SCAN_MS);
		for (int i = 0; i < n; i++)
			agent_io(s, &s->a[ev[i].data.u32], ev[i].events);
	}
}

static size_t
count_waiting(const struct swarm *s)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++)
		k += s->a[i].state == A_READING && s->a[i].kind == K_POLL;
	return k;
}

static bool
all_enrolled(struct swarm *s, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < s->n; i++)
		if (s->a[i].kind == K_ENROLL)
			return false;
	return true;
}

struct held_goal {
	const char *metrics;
	uint64_t next_check;
};

static bool
all_held(struct swarm *s, void *arg)
{
	struct held_goal *g = arg;
	uint64_t now = now_ms();

	if (now < g->next_check)
		return false;
	g->next_check = now + 1000;
	if (count_waiting(s) < s->n)
		return false;
	return g->metrics == NULL || metrics_held(g->metrics) >= (long)s->n;
}

static bool
seen(struct swarm *s, void *arg)
{
	(void)s;
	return ((struct agent *)arg)->want == NULL;
}

/* ---- setup ---- */

static int
require_loopback(const char *url, struct sockaddr_in *sa, char *host,
    size_t hostsz)
{
	char ip[16];
	const char *h = url + 7, *colon;
	char *end = NULL;
	unsigned long port = 0;
	size_t iplen;

	colon = strncmp(url, "http://", 7) == 0 ? strchr(h, ':') : NULL;
	iplen = colon != NULL ? (size_t)(colon - h) : 0;
	if (iplen > 0 && iplen < sizeof(ip) && strspn(h, "0123456789.") ==
	    iplen) {
		memcpy(ip, h, iplen);
		ip[iplen] = '\0';
		if (colon[1] >= '0' && colon[1] <= '9')
			port = strtoul(colon + 1, &end, 10);
	}
	if (port == 0 || end == NULL || (*end != '\0' &&
	    strcmp(end, "/") != 0) || port > 65535 ||
	    inet_pton(AF_INET, ip, &sa->sin_addr) != 1) {
		fprintf(stderr, "bench_swarm: --endpoint must be "
		    "http://IPv4:PORT, not '%s'\n", url);
		return 2;
	}
	if ((ntohl(sa->sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "bench_swarm: refusing %s: only loopback "
		    "(127.0.0.0/8) is allowed\n", ip);
		return 2;
	}
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	snprintf(host, hostsz, "%s:%lu", ip, port);
	return 0;
}

static size_t
load_ids(struct swarm *s, const char *path)
{
	char line[256], id[32], sec[80];
	size_t k = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (k < s->n && fgets(line, sizeof(line), f) != NULL) {
		/* "ID SECRET\n": 19 + 1 + 64 characters */
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line) != 19 + 1 + 64 || line[19] != ' ')
			continue;
		memcpy(id, line, 19);
		id[19] = '\0';
		memcpy(sec, line + 20, 65);
		memcpy(s->a[k].id, id, 20);
		memcpy(s->a[k].secret, sec, 65);
		s->a[k].kind = K_POLL;
		k++;
	}
	fclose(f);
	return k;
}

static int
enroll_missing(struct swarm *s, const char *data, const char *ids_path,
    size_t have)
{
	struct wk_store *st = NULL;
	char why[512], tok[WK_JOIN_TOKEN_MAX + 1];
	char (*toks)[WK_JOIN_TOKEN_MAX + 1];
	size_t missing = s->n - have;
	uint64_t t0 = bench_now_ns(), t1;
	int fd;

	if (data == NULL) {
		fprintf(stderr, "bench_swarm: %zu identities missing and no "
		    "--data to create join tokens in\n", missing);
		return 1;
	}
	if (wk_data_open_store(data, &st, why, sizeof(why)) != 0) {
		fprintf(stderr, "bench_swarm: %s\n", why);
		return 1;
	}
	if ((toks = calloc(missing, sizeof(*toks))) == NULL)
		return 1;
	for (size_t i = 0; i < missing; i++) {
		if (wk_token_create(st, 3600, time(NULL), "", NULL, tok,
		    sizeof(tok)) != 0) {
			fprintf(stderr, "bench_swarm: cannot create a join "
			    "token\n");
			return 1;
		}
		memcpy(toks[i], tok, sizeof(tok));
	}
	wk_store_close(st);
	t1 = bench_now_ns();
	if ((fd = open(ids_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) < 0 || (s->ids = fdopen(fd, "a")) == NULL) {
		fprintf(stderr, "bench_swarm: cannot write %s\n", ids_path);
		return 1;
	}
	for (size_t i = 0; i < missing; i++) {
		struct agent *a = &s->a[have + i];

		a->kind = K_ENROLL;
		a->token = toks[i];
		a->state = A_IDLE;
		a->due_ms = 0;
	}
	run(s, UINT64_MAX / 2, all_enrolled, NULL);
	fclose(s->ids);
	s->ids = NULL;
	printf("swarm: enrolled=%zu tokens_s=%.1f enroll_s=%.1f "
	    "enroll_per_s=%.0f\n", missing, (t1 - t0) / 1e9,
	    (bench_now_ns() - t1) / 1e9,
	    missing / ((bench_now_ns() - t1) / 1e9));
	free(toks);
	return 0;
}

/* ---- the measurements ---- */

static int
pushes(struct swarm *s, uint64_t count, bool each, uint64_t interval_ms,
    const char *endpoint, const char *os_user)
{
	struct wk_aws_config cfg = { 0 };
	struct wk_aws_client *client = NULL;
	uint64_t *api, *vis, *after, delivered = 0, refused = 0;
	size_t k = 0;
	int rc = 0;

	if (getenv("AWS_ACCESS_KEY_ID") == NULL ||
	    getenv("AWS_SECRET_ACCESS_KEY") == NULL) {
		fprintf(stderr, "bench_swarm: pushes need AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY\n");
		return 1;
	}
	if (each)
		count = s->n;
	cfg.access_key_id = wk_strdup(getenv("AWS_ACCESS_KEY_ID"));
	cfg.secret_access_key = wk_strdup(getenv("AWS_SECRET_ACCESS_KEY"));
	cfg.region = wk_strdup("us-east-1");
	cfg.endpoint_url = wk_strdup(endpoint);
	api = calloc(count, sizeof(*api));
	vis = calloc(count, sizeof(*vis));
	after = calloc(count, sizeof(*after));
	if (api == NULL || vis == NULL || after == NULL ||
	    wk_aws_client_new(&cfg, &client) != 0)
		return 1;
	for (uint64_t i = 0; i < count; i++) {
		struct wk_buf pub, priv;
		struct wk_aws_error err;
		struct agent *a = NULL;
		json_t *req, *reply = NULL;
		char *b64;
		uint64_t t0, t1;

		if (each) {
			a = &s->a[i];
		} else {
			for (int tries = 0; tries < 100000; tries++) {
				a = &s->a[rnd32() % s->n];
				if (a->state == A_READING && a->kind == K_POLL)
					break;
			}
		}
		wk_buf_init(&pub, 8192);
		wk_buf_init(&priv, 16384);
		if (wk_sshkey_generate_ed25519(&pub, &priv) != 0)
			return 1;
		b64 = wk_strdup(strchr(wk_buf_cstr(&pub), ' ') + 1);
		req = json_pack("{s:s, s:s, s:s}", "InstanceId", a->id,
		    "InstanceOSUser", os_user, "SSHPublicKey",
		    wk_buf_cstr(&pub));
		a->want = b64;
		a->seen_ns = 0;
		t0 = bench_now_ns();
		a->want_t0 = t0;
		if (wk_aws_call(client, "ec2-instance-connect",
		    "AWSEC2InstanceConnectService.SendSSHPublicKey", req,
		    &reply, &err) != 0) {
			wk_aws_error_print(stderr, &err, "SendSSHPublicKey",
			    endpoint);
			a->want = NULL;
			refused++;
			rc = 1;
		} else {
			t1 = bench_now_ns();
			api[k] = t1 - t0;
			run(s, 2000, seen, a);
			if (a->want == NULL && a->seen_ns != 0) {
				vis[k] = a->seen_ns - t0;
				after[k] = a->seen_ns > t1 ? a->seen_ns - t1 : 0;
				k++;
				delivered++;
			} else {
				fprintf(stderr, "bench_swarm: %s did not get "
				    "its record within 2 s\n", a->id);
				a->want = NULL;
				rc = 1;
			}
		}
		wk_free(b64);
		json_decref(req);
		json_decref(reply);
		wk_buf_cleanup(&pub);
		wk_buf_cleanup_secret(&priv);
		if (interval_ms > 0)
			run(s, interval_ms, NULL, NULL);
	}
	printf("swarm: pushes=%llu delivered=%llu refused=%llu\n",
	    (unsigned long long)count, (unsigned long long)delivered,
	    (unsigned long long)refused);
	bench_report("swarm: SendSSHPublicKey call", api, k);
	bench_report("swarm: push -> visible at the agent", vis, k);
	bench_report("swarm: visible after the call's answer", after, k);
	free(api);
	free(vis);
	free(after);
	wk_aws_client_free(client);
	wk_aws_config_cleanup(&cfg);
	return rc;
}

static void
watch(struct swarm *s, uint64_t secs, const char *metrics)
{
	uint64_t start = now_ms(), end = start + secs * 1000, fails0;
	uint64_t first_fail = 0, back = 0;
	long held = -1, min_held = -1;

	fails0 = s->failures;
	while (now_ms() < end) {
		run(s, 1000, NULL, NULL);	/* one scrape a second */
		held = metrics_held(metrics);
		if (first_fail == 0 && s->failures > fails0)
			first_fail = now_ms();
		if (first_fail != 0 && (min_held < 0 || held < min_held))
			min_held = held;
		if (first_fail != 0 && back == 0 && held >= (long)s->n &&
		    count_waiting(s) == s->n) {
			back = now_ms();
			printf("swarm: all_back agents=%zu after_first_failure_s="
			    "%.2f wall_ms=%llu\n", s->n,
			    (back - first_fail) / 1e3,
			    (unsigned long long)((uint64_t)time(NULL) * 1000));
			fflush(stdout);
		}
	}
	printf("swarm: watch failures=%llu first_failure=%s held_now=%ld "
	    "min_held=%ld back=%s\n",
	    (unsigned long long)(s->failures - fails0),
	    first_fail ? "yes" : "no", held, min_held, back ? "yes" : "no");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "endpoint", required_argument, NULL, 'e' },
		{ "data", required_argument, NULL, 'd' },
		{ "ids", required_argument, NULL, 'f' },
		{ "agents", required_argument, NULL, 'n' },
		{ "per-addr", required_argument, NULL, 'a' },
		{ "ramp", required_argument, NULL, 'r' },
		{ "enroll-parallel", required_argument, NULL, 'j' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "server-pid", required_argument, NULL, 'p' },
		{ "measure", required_argument, NULL, 'M' },
		{ "pushes", required_argument, NULL, 'P' },
		{ "push-interval", required_argument, NULL, 'i' },
		{ "push-each", no_argument, NULL, 'E' },
		{ "push-endpoint", required_argument, NULL, 'x' },
		{ "os-user", required_argument, NULL, 'u' },
		{ "watch", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *endpoint = NULL, *data = NULL, *ids = NULL;
	const char *metrics = NULL, *os_user = "ubuntu", *push_ep = NULL;
	uint64_t n = 0, per_addr = 100, ramp = 5000, par = 16, pid = 0;
	uint64_t measure = 0, npush = 0, interval = 100, watch_s = 0;
	bool each = false;
	struct swarm s;
	struct held_goal goal;
	struct wk_buf pub, priv;
	struct rlimit rl;
	size_t have;
	long rss0 = -1;
	uint64_t t0;
	int ch, rc = 0;

	memset(&s, 0, sizeof(s));
	while ((ch = getopt_long(argc, argv, "e:d:f:n:a:r:j:m:p:M:P:i:Ex:u:w:h",
	    opts, NULL)) != -1) {
		uint64_t *dst = NULL, max = 0;

		switch (ch) {
		case 'e': endpoint = optarg; break;
		case 'd': data = optarg; break;
		case 'f': ids = optarg; break;
		case 'm': metrics = optarg; break;
		case 'u': os_user = optarg; break;
		case 'E': each = true; break;
		case 'x': push_ep = optarg; break;
		case 'n': dst = &n; max = MAX_AGENTS; break;
		case 'a': dst = &per_addr; max = 10000; break;
		case 'r': dst = &ramp; max = 1000000; break;
		case 'j': dst = &par; max = 1024; break;
		case 'p': dst = &pid; max = 1u << 30; break;
		case 'M': dst = &measure; max = 3600; break;
		case 'P': dst = &npush; max = 1000000; break;
		case 'i': dst = &interval; max = 60000; break;
		case 'w': dst = &watch_s; max = 3600; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (dst != NULL && (wk_cstr_to_u64(optarg, max, dst) != 0 ||
		    (*dst == 0 && ch != 'i' && ch != 'P' && ch != 'M' &&
		    ch != 'w'))) {
			fprintf(stderr, "bench_swarm: bad value '%s' for -%c\n",
			    optarg, ch);
			return 2;
		}
	}
	if (optind != argc || endpoint == NULL || ids == NULL || n == 0) {
		usage(stderr);
		return 2;
	}
	if ((rc = require_loopback(endpoint, &s.server, s.host,
	    sizeof(s.host))) != 0)
		return rc;
	if (push_ep != NULL) {
		struct sockaddr_in psa;
		char phost[64];

		if ((rc = require_loopback(push_ep, &psa, phost,
		    sizeof(phost))) != 0)
			return rc;
	}
	if (measure > 0 && pid == 0) {
		fprintf(stderr, "bench_swarm: --measure needs --server-pid\n");
		return 2;
	}
	/* as many descriptors as the hard limit allows */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < n + 64) {
			fprintf(stderr, "bench_swarm: %zu agents need %zu "
			    "descriptors; the hard limit is %llu (ulimit -Hn)\n",
			    (size_t)n, (size_t)n + 64,
			    (unsigned long long)rl.rlim_cur);
			return 1;
		}
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	s.n = n;
	s.per_addr = (unsigned)per_addr;
	s.src_base = (127u << 24) | (100u << 16);
	s.ramp = ramp;
	s.enroll_par = par;
	if ((s.ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (s.a = calloc(n, sizeof(*s.a))) == NULL)
		return 1;
	for (size_t i = 0; i < n; i++) {
		s.a[i].fd = -1;
		s.a[i].state = A_IDLE;
		wk_buf_init(&s.a[i].in, REPLY_MAX + 65536);
	}
	wk_buf_init(&pub, 8192);
	wk_buf_init(&priv, 16384);
	if (wk_sshkey_generate_ed25519(&pub, &priv) != 0)
		return 1;
	hostkey_line = wk_buf_cstr(&pub);
	if (pid != 0)
		rss0 = proc_rss_kib((long)pid);
	have = load_ids(&s, ids);
	if (have < n && enroll_missing(&s, data, ids, have) != 0)
		return 1;
	/* enrolled agents poll already; the others start now, ramped */
	t0 = bench_now_ns();
	memset(&goal, 0, sizeof(goal));
	goal.metrics = metrics;
	run(&s, 600000, all_held, &goal);
	{
		size_t w = count_waiting(&s);
		long held = metrics_held(metrics);

		printf("swarm: agents=%zu waiting=%zu held=%ld connect_s=%.2f "
		    "failures=%llu http_errors=%llu\n", s.n, w, held,
		    (bench_now_ns() - t0) / 1e9,
		    (unsigned long long)s.failures,
		    (unsigned long long)s.errors_http);
		if (w < s.n) {
			fprintf(stderr, "bench_swarm: only %zu of %zu agents "
			    "connected\n", w, s.n);
			return 1;
		}
	}
	fflush(stdout);
	if (measure > 0) {
		double c0, c1;
		uint64_t hb0, hb1;
		long rss;

		run(&s, 2000, NULL, NULL);	/* settle */
		c0 = proc_cpu_s((long)pid);
		hb0 = s.heartbeats;
		t0 = bench_now_ns();
		run(&s, measure * 1000, NULL, NULL);
		c1 = proc_cpu_s((long)pid);
		hb1 = s.heartbeats;
		rss = proc_rss_kib((long)pid);
		{
			double secs = (bench_now_ns() - t0) / 1e9;
			double cpu = c1 - c0;
			uint64_t hb = hb1 - hb0;

			printf("swarm: measure agents=%zu seconds=%.1f "
			    "rss_before_kib=%ld rss_kib=%ld "
			    "rss_per_agent_kib=%.2f heartbeats=%llu "
			    "heartbeats_per_s=%.0f server_cpu_s=%.2f "
			    "cpu_us_per_heartbeat=%.1f core_pct=%.2f "
			    "failures=%llu\n", s.n, secs, rss0, rss,
			    rss0 > 0 ? (double)(rss - rss0) / (double)s.n : 0,
			    (unsigned long long)hb, hb / secs, cpu,
			    hb > 0 ? cpu * 1e6 / (double)hb : 0,
			    100.0 * cpu / secs,
			    (unsigned long long)s.failures);
		}
		fflush(stdout);
	}
	if (npush > 0 || each)
		rc |= pushes(&s, npush, each, each ? 0 : interval,
		    push_ep != NULL ? push_ep : endpoint, os_user);
	fflush(stdout);
	if (watch_s > 0)
		watch(&s, watch_s, metrics);
	for (size_t i = 0; i < n; i++) {
		agent_close(&s, &s.a[i]);
		wk_buf_cleanup(&s.a[i].in);
		wk_free(s.a[i].out);
	}
	free(s.a);
	close(s.ep);
	wk_buf_cleanup(&pub);
	wk_buf_cleanup_secret(&priv);
	curl_global_cleanup();
	return rc;
}
