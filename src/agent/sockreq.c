/*
 * sockreq.c - the agent side of the helper socket protocol
 * (agent/sockproto.h): parse "LOOKUP 1 <user>[ <fingerprint> <conn>]\n"
 * and "CONSUME 1 <user> <fingerprint>\n", write "OK"/"ERR" replies.
 */
#include "agent/agent.h"

#include <string.h>

#include "common/err.h"

/* A pid: 1 to 4194304 (the kernel's pid_max ceiling), digits only. */
static bool
pid_ok(struct wk_span v, long *out)
{
	long pid = 0;
	size_t i;

	if (v.len == 0 || v.len > 7 || v.p[0] == '0')
		return false;
	for (i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
		pid = pid * 10 + (v.p[i] - '0');
	}
	if (pid > 4194304)
		return false;
	*out = pid;
	return true;
}

/* A tty or rhost field; "-" is none (""). */
static bool
field_copy(struct wk_span v, char out[static WK_SOCK_MAX_FIELD + 1])
{
	if (!wk_sock_field_ok(v.p, v.len))
		return false;
	if (wk_span_eq_cstr(v, "-")) {
		out[0] = '\0';
		return true;
	}
	memcpy(out, v.p, v.len);
	out[v.len] = '\0';
	return true;
}

/*
 * After "SESSION-OPEN 1 ": "<user> <fp> <pid> <tty> <rhost>";
 * after "SESSION-CLOSE 1 ": "<user> <pid>".
 */
static int
parse_session(struct wk_span rest, struct wk_sock_req *out, const char **why)
{
	struct wk_span user, fp, pid, tty, rhost;

	if (!wk_span_split(rest, ' ', &user, &rest))
		return WK_ERR_INVAL;
	if (!wk_sock_user_ok(user.p, user.len)) {
		*why = "user";
		return WK_ERR_INVAL;
	}
	memcpy(out->user, user.p, user.len);
	out->user[user.len] = '\0';
	if (out->verb == WK_SOCK_SESSION_CLOSE) {
		if (!pid_ok(rest, &out->pid)) {
			*why = "pid";
			return WK_ERR_INVAL;
		}
		return 0;
	}
	if (!wk_span_split(rest, ' ', &fp, &rest) ||
	    !wk_span_split(rest, ' ', &pid, &rest) ||
	    !wk_span_split(rest, ' ', &tty, &rhost))
		return WK_ERR_INVAL;
	if (!wk_sock_fingerprint_ok(fp.p, fp.len) ||
	    fp.len >= sizeof(out->fingerprint)) {
		*why = "fingerprint";
		return WK_ERR_INVAL;
	}
	memcpy(out->fingerprint, fp.p, fp.len);
	out->fingerprint[fp.len] = '\0';
	if (!pid_ok(pid, &out->pid)) {
		*why = "pid";
		return WK_ERR_INVAL;
	}
	if (!field_copy(tty, out->tty) || !field_copy(rhost, out->rhost)) {
		*why = "tty-or-rhost";
		return WK_ERR_INVAL;
	}
	return 0;
}

int
wk_agent_parse_req(struct wk_span line, struct wk_sock_req *out,
    const char **why)
{
	struct wk_span rest, verb, version, name, fp = WK_SPAN_NULL;
	struct wk_span conn = WK_SPAN_NULL;
	int r = WK_ERR_INVAL;

	memset(out, 0, sizeof(*out));
	*why = "request";
	if (line.len > WK_SOCK_MAX_REQUEST) {
		*why = "too-long";
		return WK_ERR_TOOBIG;
	}
	/* Exactly one line, ending in "\n", no CR, no NUL. */
	if (line.len == 0 || line.p[line.len - 1] != '\n')
		return WK_ERR_INVAL;
	rest = wk_span_from_mem(line.p, line.len - 1);
	if (memchr(rest.p, '\n', rest.len) != NULL ||
	    memchr(rest.p, '\r', rest.len) != NULL ||
	    memchr(rest.p, '\0', rest.len) != NULL)
		return WK_ERR_INVAL;
	if (!wk_span_split(rest, ' ', &verb, &rest))
		return WK_ERR_INVAL;
	if (wk_span_eq_cstr(verb, "LOOKUP"))
		out->verb = WK_SOCK_LOOKUP;
	else if (wk_span_eq_cstr(verb, "CONSUME"))
		out->verb = WK_SOCK_CONSUME;
	else if (wk_span_eq_cstr(verb, "SESSION-OPEN"))
		out->verb = WK_SOCK_SESSION_OPEN;
	else if (wk_span_eq_cstr(verb, "SESSION-CLOSE"))
		out->verb = WK_SOCK_SESSION_CLOSE;
	else
		return WK_ERR_INVAL;
	if (!wk_span_split(rest, ' ', &version, &name))
		goto out;
	if (!wk_span_eq_cstr(version, "1")) {
		*why = "version";
		goto out;
	}
	if (out->verb == WK_SOCK_SESSION_OPEN ||
	    out->verb == WK_SOCK_SESSION_CLOSE) {
		if ((r = parse_session(name, out, why)) == 0)
			*why = NULL;
		goto out;
	}
	if (out->verb == WK_SOCK_CONSUME &&
	    !wk_span_split(name, ' ', &name, &fp))
		goto out;
	/* LOOKUP: the user alone, or user, fingerprint and connection. */
	if (out->verb == WK_SOCK_LOOKUP &&
	    wk_span_split(name, ' ', &name, &fp) &&
	    !wk_span_split(fp, ' ', &fp, &conn))
		goto out;
	if (out->verb == WK_SOCK_LOOKUP && fp.p != NULL) {
		if (!wk_sock_conn_ok(conn.p, conn.len)) {
			*why = "connection";
			goto out;
		}
		memcpy(out->conn, conn.p, conn.len);
		out->conn[conn.len] = '\0';
	}
	if (!wk_sock_user_ok(name.p, name.len)) {
		*why = "user";
		goto out;
	}
	if (fp.p != NULL) {
		if (!wk_sock_fingerprint_ok(fp.p, fp.len) ||
		    fp.len >= sizeof(out->fingerprint)) {
			*why = "fingerprint";
			goto out;
		}
		memcpy(out->fingerprint, fp.p, fp.len);
		out->fingerprint[fp.len] = '\0';
	}
	memcpy(out->user, name.p, name.len);
	out->user[name.len] = '\0';
	*why = NULL;
	r = 0;
out:
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

int
wk_agent_parse_request(struct wk_span line,
    char user[static WK_SOCK_MAX_USER + 1], const char **why)
{
	struct wk_sock_req req;
	int r;

	user[0] = '\0';
	if ((r = wk_agent_parse_req(line, &req, why)) != 0)
		return r;
	if (req.verb != WK_SOCK_LOOKUP) {
		*why = "request";
		return WK_ERR_INVAL;
	}
	memcpy(user, req.user, sizeof(req.user));
	return 0;
}

int
wk_agent_format_reply(struct wk_buf *out, const struct wk_span *recs,
    size_t n)
{
	size_t i;
	int r;

	if (n > WK_SOCK_MAX_RECORDS)
		return WK_ERR_TOOBIG;
	if ((r = wk_buf_appendf(out, "OK %zu\n", n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if (recs[i].len == 0 || recs[i].len > WK_SOCK_MAX_RECORD)
			return WK_ERR_TOOBIG;
		if ((r = wk_buf_appendf(out, "%zu\n", recs[i].len)) != 0 ||
		    (r = wk_buf_append_span(out, recs[i])) != 0)
			return r;
	}
	return 0;
}

int
wk_agent_format_error(struct wk_buf *out, const char *why)
{
	return wk_buf_appendf(out, "ERR %s\n", why);
}
