/*
 * client.c - the helper's side of the agent socket (agent/sockproto.h):
 * one bounded request, one bounded reply, all within a deadline.
 */
#include "authkeys/authkeys.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/err.h"
#include "common/time.h"

/* Waits for `events` on fd until deadline_ms. */
static int
wait_fd(int fd, short events, uint64_t deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t now;
	int r;

	for (;;) {
		now = wk_mono_ms();
		if (now >= deadline_ms)
			return WK_ERR_TIMEOUT;
		r = poll(&p, 1, (int)(deadline_ms - now));
		if (r > 0)
			return 0;
		if (r == 0)
			return WK_ERR_TIMEOUT;
		if (errno != EINTR)
			return WK_ERR_IO;
	}
}

/*
 * Who listens on the socket? Only root or the agent's own uid may answer:
 * anyone else who managed to put a socket at the path (a stale directory,
 * a wrong --socket) would otherwise choose the keys sshd accepts.
 */
static bool
peer_is_agent(int fd, uid_t agent_uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    len != sizeof(cred))
		return false;
	return cred.uid == 0 ||
	    (agent_uid != (uid_t)-1 && cred.uid == agent_uid);
}

int
wk_ak_fetch(const char *sock_path, const char *user, const char *fingerprint,
    const char *conn, uid_t agent_uid, uint64_t deadline_ms,
    struct wk_buf *reply, const char **why)
{
	struct sockaddr_un sa;
	char req[WK_SOCK_MAX_REQUEST + 1];
	size_t reqlen, off = 0;
	ssize_t n;
	int fd = -1, r, len;

	*why = NULL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sock_path) >= sizeof(sa.sun_path)) {
		*why = "socket path too long";
		return WK_ERR_INVAL;
	}
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	if (fingerprint != NULL && conn != NULL)
		len = snprintf(req, sizeof(req), "LOOKUP %d %s %s %s\n",
		    WK_SOCK_VERSION, user, fingerprint, conn);
	else
		len = snprintf(req, sizeof(req), "LOOKUP %d %s\n",
		    WK_SOCK_VERSION, user);
	if (len < 0 || (size_t)len > WK_SOCK_MAX_REQUEST) {
		*why = "request too long";
		return WK_ERR_TOOBIG;
	}
	reqlen = (size_t)len;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*why = "socket failed";
		return WK_ERR_IO;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		/* Unix sockets do not connect asynchronously: EAGAIN is a
		 * full backlog. Either way the agent cannot answer now. */
		*why = "agent not reachable";
		r = WK_ERR_UNAVAIL;
		goto out;
	}
	if (!peer_is_agent(fd, agent_uid)) {
		*why = "socket peer is neither root nor the agent's user";
		r = WK_ERR_DENIED;
		goto out;
	}
	while (off < reqlen) {
		if ((r = wait_fd(fd, POLLOUT, deadline_ms)) != 0) {
			*why = "agent timed out";
			goto out;
		}
		n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			*why = "send failed";
			r = WK_ERR_IO;
			goto out;
		}
		off += (size_t)n;
	}
	for (;;) {
		if ((r = wk_buf_reserve(reply, 4096)) != 0 &&
		    (r = wk_buf_reserve(reply, 1)) != 0) {
			*why = r == WK_ERR_TOOBIG ? "reply too large" :
			    "out of memory";
			goto out;
		}
		if ((r = wait_fd(fd, POLLIN, deadline_ms)) != 0) {
			*why = "agent timed out";
			goto out;
		}
		n = read(fd, reply->p + reply->len, reply->cap - reply->len -
		    1);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			*why = "read failed";
			r = WK_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		/* Never past the cap: reserve(1) above left room for n. */
		if (reply->max - reply->len < (size_t)n) {
			*why = "reply too large";
			r = WK_ERR_TOOBIG;
			goto out;
		}
		reply->len += (size_t)n;
		reply->p[reply->len] = '\0';
	}
	r = 0;
 out:
	close(fd);
	return r;
}

/* "<decimal>\n" at the front of *s, value <= max; advances *s. */
static int
take_number_line(struct wk_span *s, uint64_t max, uint64_t *out)
{
	struct wk_span head, rest;

	/* Longest valid line is a handful of digits: bound the search. */
	struct wk_span window = wk_span_from_mem(s->p, s->len < 8 ? s->len : 8);

	if (!wk_span_split(window, '\n', &head, &rest))
		return WK_ERR_INVAL;
	if (wk_span_to_u64(head, max, out) != 0)
		return WK_ERR_INVAL;
	s->p += head.len + 1;
	s->len -= head.len + 1;
	return 0;
}

int
wk_ak_parse_reply(struct wk_span reply,
    struct wk_span recs[static WK_SOCK_MAX_RECORDS], size_t *n,
    const char **why)
{
	struct wk_span s = reply;
	uint64_t count, len, i;

	*n = 0;
	*why = NULL;
	if (wk_span_starts_with(s, "ERR ")) {
		*why = "agent refused the request";
		return WK_ERR_UNAVAIL;
	}
	if (!wk_span_starts_with(s, "OK ")) {
		*why = "malformed reply";
		return WK_ERR_INVAL;
	}
	s.p += 3;
	s.len -= 3;
	if (take_number_line(&s, WK_SOCK_MAX_RECORDS, &count) != 0) {
		*why = "malformed count";
		return WK_ERR_INVAL;
	}
	for (i = 0; i < count; i++) {
		if (take_number_line(&s, WK_SOCK_MAX_RECORD, &len) != 0 ||
		    len == 0) {
			*why = "malformed length";
			return WK_ERR_INVAL;
		}
		if (s.len < len) {
			*why = "truncated reply";
			return WK_ERR_INVAL;
		}
		recs[i] = wk_span_from_mem(s.p, (size_t)len);
		s.p += len;
		s.len -= (size_t)len;
	}
	if (s.len != 0) {
		*why = "trailing bytes in reply";
		return WK_ERR_INVAL;
	}
	*n = (size_t)count;
	return 0;
}
