/*
 * bench_term_stress.c - the browser terminal under many keystrokes (issue
 * 14 item 10), against a running wicketd (set up by
 * bench/bench_term_stress.sh): signs in to the console, opens many
 * terminals (each a real SSH session to a real sshd), turns each into a
 * plain tty echo (`exec cat >/dev/null`, so that every key has exactly one
 * known echo, written by the host's line discipline), then types keys over
 * all of them at once and accounts for every echo.
 *
 * Prints: time to open the terminals, wicketd's RSS per open terminal,
 * echo latency of one terminal typed alone (p50/p99), then the stress run:
 * keys typed, echoes seen, echoes late (> 5 s) and lost (never seen), p50 /
 * p99 / max under load. A raw-socket WebSocket client (RFC 6455, masked
 * frames) speaking the console's protocol (src/server/console/console_int.h),
 * one thread, epoll. Refuses anything but a loopback address.
 *
 * Environment: WK_URL (http://127.x.y.z:PORT), WK_USER, WK_PASSWORD,
 * WK_INSTANCE, WK_OS_USERS (ubuntu; a comma-separated list used in turn), WK_WICKETD_PID, WK_TERMS (500),
 * WK_KEYS (50000), WK_OPEN_AT_ONCE (10), WK_PIPELINE (keys in flight per
 * terminal, 1), WK_ECHO_SAMPLES (1000), WK_LATE_MS (5000), WK_DRAIN_MS
 * (30000: how long to wait for the last echoes), WK_HOLD_MS (0: how long the
 * opened terminals stay idle before the typing).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

#define RING 64			/* keys in flight per terminal, at most */
#define CR_EVERY 50		/* a line ends every 50 keys */
#define READY_MARK "WKK"	/* printf 'W%sK\n' K: only the shell's output */

enum tstate { S_CONNECTING, S_HANDSHAKE, S_WAIT_READY, S_WAIT_CAT, S_IDLE,
	S_DEAD };

struct key {
	uint64_t sent_ns;
	char c;
	uint8_t matched;	/* bytes of its echo seen */
	bool late;
};

struct term {
	int fd, idx;
	enum tstate st;
	uint8_t *in;		/* received, not yet parsed */
	size_t inlen, incap;
	char tail[16];		/* last output bytes (READY_MARK search) */
	size_t taillen;
	struct key ring[RING];
	unsigned head, count;	/* oldest key in flight, keys in flight */
	unsigned long typed, to_type;
	unsigned cr_phase;
};

static struct sockaddr_in addr;
static char host[64], cookie[256], origin[96];
static const char *instance;
static char *os_users[64];
static unsigned n_os_users;
static int ep;
static struct term *terms;
static unsigned nterms;
static uint64_t late_ns = 5000000000ull;
static uint64_t *lat;
static size_t nlat, latcap;
static unsigned long n_late, n_unexpected, n_closed;

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : dflt;
}

static unsigned long
env_num(const char *name, unsigned long dflt)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (v == NULL || v[0] == '\0')
		return dflt;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0') {
		fprintf(stderr, "bench_term_stress: bad %s\n", name);
		exit(2);
	}
	return n;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_term_stress: %s\n", what);
	exit(1);
}

static long
rss_kib(long pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	fclose(f);
	return kib;
}

/* ---- plain HTTP for the sign-in (Connection: close) ---- */

static int
tcp_connect(bool nonblock)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
	    (nonblock ? SOCK_NONBLOCK : 0), 0), one = 1;

	if (fd < 0)
		die("socket");
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 &&
	    errno != EINPROGRESS)
		die("connect");
	return fd;
}

static void
write_all(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len > 0) {
		ssize_t n = write(fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			usleep(100);
			continue;
		}
		if (n <= 0)
			die("write");
		b += n;
		len -= (size_t)n;
	}
}

static char *
http(const char *req)
{
	static char resp[65536];
	size_t len = 0;
	ssize_t n;
	int fd = tcp_connect(false);

	write_all(fd, req, strlen(req));
	while (len < sizeof(resp) - 1 &&
	    (n = read(fd, resp + len, sizeof(resp) - 1 - len)) > 0)
		len += (size_t)n;
	resp[len] = '\0';
	close(fd);
	return resp;
}

/* Copies the text after `key` up to one of the stop characters. */
static void
grab(const char *text, const char *key, const char *stops, char *out,
    size_t outsz)
{
	const char *p = strstr(text, key);
	size_t n;

	if (p == NULL)
		die(key);
	p += strlen(key);
	n = strcspn(p, stops);
	if (n >= outsz)
		die("value too long");
	memcpy(out, p, n);
	out[n] = '\0';
}

static void
sign_in(const char *user, const char *password)
{
	char req[2048], body[512], pre[128], sess[200];
	const char *r;

	snprintf(req, sizeof(req), "GET /console/api/session HTTP/1.1\r\n"
	    "Host: %s\r\nConnection: close\r\n\r\n", host);
	grab(http(req), "\"csrf\":\"", "\"", pre, sizeof(pre));
	snprintf(body, sizeof(body), "{\"user\":\"%s\",\"password\":\"%s\"}",
	    user, password);
	snprintf(req, sizeof(req), "POST /console/api/login HTTP/1.1\r\n"
	    "Host: %s\r\nOrigin: %s\r\nCookie: wk_csrf=%s\r\n"
	    "X-Wicket-CSRF: %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", host, origin,
	    pre, pre, strlen(body), body);
	r = http(req);
	if (strncmp(r, "HTTP/1.1 200", 12) != 0) {
		fprintf(stderr, "%s\n", r);
		die("sign-in refused");
	}
	grab(r, "wk_session=", ";\r", sess, sizeof(sess));
	snprintf(cookie, sizeof(cookie), "wk_session=%s", sess);
}

/* ---- WebSocket ---- */

static void
ws_send(struct term *t, const void *p, size_t len)
{
	uint8_t f[16 + 256];
	size_t h = 0;
	static uint32_t x = 0x9e3779b9u;	/* xorshift: a bench's masks */
	uint32_t mask;
	const uint8_t *m = (const uint8_t *)&mask;

	if (len > 256)
		die("frame too long");
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	mask = x;
	f[h++] = 0x82;
	if (len < 126) {
		f[h++] = (uint8_t)(0x80 | len);
	} else {
		f[h++] = 0x80 | 126;
		f[h++] = (uint8_t)(len >> 8);
		f[h++] = (uint8_t)len;
	}
	memcpy(f + h, m, 4);
	h += 4;
	for (size_t i = 0; i < len; i++)
		f[h + i] = ((const uint8_t *)p)[i] ^ m[i % 4];
	write_all(t->fd, f, h + len);
}

static void
send_input(struct term *t, const char *s, size_t len)
{
	char msg[257];

	msg[0] = '0';
	memcpy(msg + 1, s, len);
	ws_send(t, msg, len + 1);
}

static void
watch(struct term *t, uint32_t ev, int op)
{
	struct epoll_event e = { .events = ev, .data.ptr = t };

	if (epoll_ctl(ep, op, t->fd, &e) != 0)
		die("epoll_ctl");
}

static void
term_open(struct term *t)
{
	t->fd = tcp_connect(true);
	t->st = S_CONNECTING;
	watch(t, EPOLLOUT | EPOLLIN, EPOLL_CTL_ADD);
}

static void
term_dead(struct term *t, const char *why)
{
	if (t->st == S_DEAD)
		return;
	fprintf(stderr, "terminal %d (%s, %lu typed, %u in flight): %s\n",
	    t->idx, t->st == S_IDLE ? "open" : "opening", t->typed, t->count,
	    why);
	t->st = S_DEAD;
	n_closed++;
	(void)epoll_ctl(ep, EPOLL_CTL_DEL, t->fd, NULL);
	close(t->fd);
}

static void
record_lat(uint64_t ns)
{
	if (nlat == latcap) {
		latcap = latcap ? 2 * latcap : 65536;
		if ((lat = realloc(lat, latcap * sizeof(*lat))) == NULL)
			die("out of memory");
	}
	lat[nlat++] = ns;
}

static void type_next(struct term *t, unsigned pipeline);

/* Output of an open terminal: every byte must be the next expected echo
 * byte ('\r' echoes as "\r\n"). */
static void
on_output(struct term *t, const uint8_t *p, size_t len, uint64_t now)
{
	for (size_t i = 0; i < len; i++) {
		struct key *k;
		const char *want;

		if (t->count == 0) {
			n_unexpected++;
			continue;
		}
		k = &t->ring[t->head];
		want = k->c == '\r' ? "\r\n" : (const char[]){ k->c, 0 };
		if (p[i] != (uint8_t)want[k->matched]) {
			n_unexpected++;
			if (n_unexpected <= 10)
				fprintf(stderr, "terminal %d: got 0x%02x, "
				    "expected 0x%02x (key %lu)\n", t->idx,
				    p[i], (uint8_t)want[k->matched],
				    t->typed - t->count);
			continue;
		}
		if (want[++k->matched] != '\0')
			continue;
		record_lat(now - k->sent_ns);
		t->head = (t->head + 1) % RING;
		t->count--;
	}
}

/* Whether READY_MARK appeared in the output so far. */
static bool
saw_mark(struct term *t, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (t->taillen == sizeof(t->tail)) {
			memmove(t->tail, t->tail + 1, sizeof(t->tail) - 1);
			t->taillen--;
		}
		t->tail[t->taillen++] = (char)p[i];
		if (t->taillen >= 3 && memcmp(t->tail + t->taillen - 3,
		    READY_MARK, 3) == 0)
			return true;
	}
	return false;
}

static void
on_message(struct term *t, const uint8_t *p, size_t len, uint64_t now)
{
	static const char cmd[] =
	    "exec sh -c \"printf 'W%sK\\\\n' K; exec cat >/dev/null\"\r";

	if (len == 0)
		return;
	switch (p[0]) {
	case '0':
		if (t->st == S_WAIT_CAT && saw_mark(t, p + 1, len - 1))
			t->st = S_IDLE;
		else if (t->st == S_IDLE)
			on_output(t, p + 1, len - 1, now);
		break;
	case '2':
		fprintf(stderr, "terminal %d: refused: %.*s\n", t->idx,
		    (int)len - 1, p + 1);
		break;
	case '3':
		if (t->st == S_WAIT_READY) {
			t->st = S_WAIT_CAT;
			send_input(t, cmd, strlen(cmd));
		}
		break;
	default:
		break;
	}
}

/* Parses whole frames out of t->in. */
static void
parse_frames(struct term *t, uint64_t now)
{
	size_t off = 0;

	for (;;) {
		const uint8_t *b = t->in + off;
		size_t avail = t->inlen - off, h = 2;
		uint64_t plen;

		if (avail < 2)
			break;
		plen = b[1] & 0x7f;
		if (plen == 126) {
			if (avail < 4)
				break;
			plen = (uint64_t)b[2] << 8 | b[3];
			h = 4;
		} else if (plen == 127) {
			if (avail < 10)
				break;
			plen = 0;
			for (int i = 0; i < 8; i++)
				plen = plen << 8 | b[2 + i];
			h = 10;
		}
		if (avail < h + plen)
			break;
		if ((b[0] & 0x0f) == 0x8) {
			off += h + plen;
			term_dead(t, "closed by wicketd");
			return;
		}
		if ((b[0] & 0x80) == 0)
			die("fragmented message (not expected from wicketd)");
		if ((b[0] & 0x0f) == 0x2)
			on_message(t, b + h, (size_t)plen, now);
		off += h + (size_t)plen;
	}
	memmove(t->in, t->in + off, t->inlen - off);
	t->inlen -= off;
}

static void
on_readable(struct term *t, uint64_t now)
{
	for (;;) {
		ssize_t n;

		if (t->incap - t->inlen < 65536) {
			t->incap = t->incap ? 2 * t->incap : 131072;
			if ((t->in = realloc(t->in, t->incap)) == NULL)
				die("out of memory");
		}
		n = read(t->fd, t->in + t->inlen, t->incap - t->inlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			term_dead(t, n == 0 ? "connection closed" :
			    strerror(errno));
			return;
		}
		t->inlen += (size_t)n;
		if (t->st == S_HANDSHAKE) {
			uint8_t *e = memmem(t->in, t->inlen, "\r\n\r\n", 4);

			if (e == NULL)
				continue;
			if (memcmp(t->in, "HTTP/1.1 101", 12) != 0) {
				t->in[t->inlen < 200 ? t->inlen : 200] = 0;
				term_dead(t, (char *)t->in);
				return;
			}
			e += 4;
			t->inlen -= (size_t)(e - t->in);
			memmove(t->in, e, t->inlen);
			t->st = S_WAIT_READY;
		}
		parse_frames(t, now);
		if (t->st == S_DEAD)
			return;
	}
}

static void
on_event(struct term *t, uint32_t ev, uint64_t now)
{
	if (t->st == S_CONNECTING) {
		char req[1024];
		int err = 0;
		socklen_t el = sizeof(err);

		(void)getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err != 0) {
			term_dead(t, strerror(err));
			return;
		}
		snprintf(req, sizeof(req), "GET /console/ws?instance=%s"
		    "&user=%s&cols=120&rows=40 HTTP/1.1\r\nHost: %s\r\n"
		    "Origin: %s\r\nCookie: %s\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
		    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		    instance, os_users[(unsigned)t->idx % n_os_users], host,
		    origin, cookie);
		write_all(t->fd, req, strlen(req));
		t->st = S_HANDSHAKE;
		watch(t, EPOLLIN, EPOLL_CTL_MOD);
		return;
	}
	if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0)
		on_readable(t, now);
}

static void
pump(int timeout_ms)
{
	struct epoll_event ev[256];
	int n = epoll_wait(ep, ev, 256, timeout_ms);
	uint64_t now = bench_now_ns();

	for (int i = 0; i < n; i++)
		on_event(ev[i].data.ptr, ev[i].events, now);
}

static unsigned
count_state(enum tstate st)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nterms; i++)
		n += terms[i].st == st;
	return n;
}

/* Opens nterms terminals, at most at_once opening at a time. */
static void
open_all(unsigned at_once)
{
	unsigned next = 0;

	for (;;) {
		unsigned opening = 0, done = 0;

		for (unsigned i = 0; i < next; i++) {
			if (terms[i].st == S_IDLE || terms[i].st == S_DEAD)
				done++;
			else
				opening++;
		}
		if (done == nterms)
			return;
		while (opening < at_once && next < nterms) {
			term_open(&terms[next++]);
			opening++;
		}
		pump(100);
	}
}

static void
type_next(struct term *t, unsigned pipeline)
{
	while (t->st == S_IDLE && t->count < pipeline &&
	    t->typed < t->to_type) {
		struct key *k = &t->ring[(t->head + t->count) % RING];
		char c = ++t->cr_phase % CR_EVERY == 0 ? '\r' :
		    (char)('a' + t->typed % 26);

		k->c = c;
		k->matched = 0;
		k->late = false;
		k->sent_ns = bench_now_ns();
		t->count++;
		t->typed++;
		send_input(t, &c, 1);
	}
}

/* Types every terminal's share; returns when all echoes are in or
 * drain_ms after the last key. */
static void
type_all(unsigned pipeline, uint64_t drain_ms)
{
	uint64_t last_progress = bench_now_ns();
	size_t seen = nlat;

	for (;;) {
		bool busy = false;
		uint64_t now;

		for (unsigned i = 0; i < nterms; i++) {
			struct term *t = &terms[i];

			if (t->st != S_IDLE)
				continue;
			type_next(t, pipeline);
			if (t->count > 0 || t->typed < t->to_type)
				busy = true;
		}
		if (!busy)
			return;
		pump(50);
		now = bench_now_ns();
		for (unsigned i = 0; i < nterms; i++) {
			struct term *t = &terms[i];
			struct key *k = &t->ring[t->head];

			if (t->st != S_IDLE || t->count == 0)
				continue;
			if (!k->late && now - k->sent_ns > late_ns) {
				k->late = true;
				n_late++;
				fprintf(stderr, "terminal %d: key %lu ('%s') "
				    "without its echo after %.0f ms\n", t->idx,
				    t->typed - t->count, k->c == '\r' ? "\\r" :
				    (char[]){ k->c, 0 }, (now - k->sent_ns) /
				    1e6);
				/* one more key: if both echoes come now,
				 * the first waited somewhere on the way for
				 * the next packet */
				if (t->count < RING) {
					unsigned long keep = t->to_type;

					t->to_type = t->typed + 1;
					type_next(t, t->count + 1);
					t->to_type = keep > t->typed ? keep :
					    t->typed;
				}
			}
		}
		if (nlat != seen) {
			seen = nlat;
			last_progress = now;
		}
		if (now - last_progress > drain_ms * 1000000ull)
			return;
	}
}

int
main(void)
{
	const char *url = env_or("WK_URL", "http://127.0.0.1:8080");
	unsigned long keys = env_num("WK_KEYS", 50000);
	unsigned long samples = env_num("WK_ECHO_SAMPLES", 1000);
	unsigned pipeline = (unsigned)env_num("WK_PIPELINE", 1);
	long pid = (long)env_num("WK_WICKETD_PID", 0);
	uint64_t drain_ms = env_num("WK_DRAIN_MS", 30000);
	unsigned long lost = 0, typed = 0;
	long rss0, rss1;
	uint64_t t0, t1;
	char ip[48];
	unsigned port;
	size_t seen0;

	nterms = (unsigned)env_num("WK_TERMS", 500);
	late_ns = env_num("WK_LATE_MS", 5000) * 1000000ull;
	instance = env_or("WK_INSTANCE", "");
	{
		/* WK_OS_USERS: a comma-separated list, used in turn (the
		 * agent holds at most 64 unexpired keys per OS user) */
		char *list = strdup(env_or("WK_OS_USERS", "ubuntu")), *p;

		for (p = list; p != NULL && n_os_users < 64; ) {
			os_users[n_os_users++] = p;
			if ((p = strchr(p, ',')) != NULL)
				*p++ = '\0';
		}
	}
	if (nterms == 0 || pipeline == 0 || pipeline > RING)
		die("WK_TERMS >= 1, 1 <= WK_PIPELINE <= 64");
	{
		const char *p = url;
		size_t n;

		if (strncmp(p, "http://", 7) != 0)
			die("WK_URL: http://127.x.y.z:PORT");
		p += 7;
		n = strcspn(p, ":");
		if (n >= sizeof(ip) || p[n] != ':')
			die("WK_URL: http://127.x.y.z:PORT");
		memcpy(ip, p, n);
		ip[n] = '\0';
		port = (unsigned)strtoul(p + n + 1, NULL, 10);
	}
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &addr.sin_addr) != 1 ||
	    (ntohl(addr.sin_addr.s_addr) >> 24) != 127 || port == 0 ||
	    port > 65535)
		die("refusing: WK_URL must be a loopback IPv4 address");
	snprintf(host, sizeof(host), "%s:%u", ip, port);
	snprintf(origin, sizeof(origin), "http://%s", host);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll");
	sign_in(env_or("WK_USER", "bench"), env_or("WK_PASSWORD", ""));
	if ((terms = calloc(nterms, sizeof(*terms))) == NULL)
		die("out of memory");
	for (unsigned i = 0; i < nterms; i++) {
		terms[i].idx = (int)i;
		terms[i].fd = -1;
	}

	/* one terminal alone: echo latency without load */
	{
		unsigned all = nterms;

		nterms = 1;
		open_all(1);
		if (terms[0].st != S_IDLE)
			die("the first terminal did not open");
		terms[0].to_type = samples;
		type_all(1, drain_ms);
		bench_report("echo, one terminal typed alone (ms)", lat, nlat);
		nlat = 0;
		nterms = all;
	}
	rss0 = pid > 0 ? rss_kib(pid) : -1;
	t0 = bench_now_ns();
	{
		/* the first one is open already */
		struct term *all = terms;
		unsigned n = nterms;

		terms = all + 1;
		nterms = n - 1;
		open_all((unsigned)env_num("WK_OPEN_AT_ONCE", 10));
		terms = all;
		nterms = n;
	}
	t1 = bench_now_ns();
	/* let the last shells settle before measuring */
	for (int i = 0; i < 20; i++)
		pump(50);
	rss1 = pid > 0 ? rss_kib(pid) : -1;
	printf("opened %u of %u terminals in %.1f s (%lu at once), %lu "
	    "failed\n", count_state(S_IDLE), nterms, (t1 - t0) / 1e9,
	    env_num("WK_OPEN_AT_ONCE", 10), n_closed);
	if (rss0 > 0 && rss1 > 0)
		printf("wicketd RSS %ld KiB -> %ld KiB: %.1f KiB per open "
		    "terminal\n", rss0, rss1, (double)(rss1 - rss0) /
		    (nterms - 1));
	/* WK_HOLD_MS: the terminals stay open and idle this long before
	 * the typing (to look at wicketd's heap from outside) */
	if (env_num("WK_HOLD_MS", 0) > 0) {
		uint64_t until = bench_now_ns() +
		    env_num("WK_HOLD_MS", 0) * 1000000ull;

		printf("holding %u terminals open\n", count_state(S_IDLE));
		fflush(stdout);
		while (bench_now_ns() < until)
			pump(50);
	}

	/* the stress run: keys spread over every open terminal */
	{
		unsigned open = count_state(S_IDLE);
		unsigned long share = open ? keys / open : 0;
		unsigned long extra = open ? keys % open : 0, k = 0;

		for (unsigned i = 0; i < nterms; i++) {
			terms[i].typed = terms[i].count = 0;
			terms[i].head = 0;
			if (terms[i].st == S_IDLE)
				terms[i].to_type = share + (k++ < extra);
		}
	}
	seen0 = nlat;
	t0 = bench_now_ns();
	type_all(pipeline, drain_ms);
	t1 = bench_now_ns();
	for (unsigned i = 0; i < nterms; i++) {
		typed += terms[i].typed;
		lost += terms[i].count;
	}
	printf("stress: %lu keys typed over %u terminals (%u in flight "
	    "each) in %.1f s: %zu echoes, %lu late (> %lu ms), %lu lost, "
	    "%lu unexpected bytes, %lu terminals closed\n", typed,
	    count_state(S_IDLE), pipeline, (t1 - t0) / 1e9, nlat - seen0,
	    n_late, (unsigned long)(late_ns / 1000000), lost, n_unexpected,
	    n_closed);
	bench_report("echo under load (ms)", lat, nlat);
	if (pid > 0)
		printf("wicketd RSS after typing: %ld KiB\n", rss_kib(pid));
	return lost == 0 && n_late == 0 && n_unexpected == 0 ? 0 : 3;
}
