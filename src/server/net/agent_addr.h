/*
 * agent_addr.h - which addresses an enrolling host may register.
 *
 * The console (and `wicket ssh`) connect to the address and port a host
 * registered. Left open, anyone with a join token could register any
 * address and port and use the console as a port scanner. A host may
 * register only:
 *   - the address its enroll/update request came from (the default),
 *   - an address inside `wicketd serve --agent-address-allow CIDR,...`,
 *   - an address inside its join token's `--address-allow CIDR,...`
 *     (at enrollment; the token is used up then),
 *   - on update, the address it already has (approved before).
 * A DNS name (`wicket-agent enroll --address web-1.example`) is never
 * resolved by wicketd (DNS answers are attacker-influenced): the host is
 * recorded at the address its request came from, and the name is kept as
 * a label only (EC2's PrivateDnsName).
 */
#ifndef WK_SERVER_AGENT_ADDR_H
#define WK_SERVER_AGENT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WK_ADDR_ALLOW_MAX 64		/* CIDRs in one list */
#define WK_ADDR_TEXT_MAX 64		/* bytes of one address, with NUL */
#define WK_ADDR_NAME_MAX 253		/* bytes of a DNS name, without NUL */

struct wk_cidr {
	int family;			/* 4 or 6 */
	uint8_t addr[16];		/* network order, host bits zero */
	unsigned prefix;
};

struct wk_addr_allow {
	struct wk_cidr v[WK_ADDR_ALLOW_MAX];
	size_t n;
};

/*
 * Appends the CIDRs of "CIDR[,CIDR...]" to list ("10.0.0.0/8", "::1/128";
 * a plain address is a full-length prefix; host bits must be zero;
 * IPv4-mapped IPv6 counts as IPv4). WK_ERR_INVAL with `why` filled for the
 * operator; WK_ERR_TOOBIG past WK_ADDR_ALLOW_MAX. The list is unchanged on
 * error.
 */
int wk_addr_allow_parse(const char *text, struct wk_addr_allow *list,
    char *why, size_t whysz);

/* The list as "CIDR,CIDR" (canonical), for storing with a token. */
int wk_addr_allow_format(const struct wk_addr_allow *list, char *out,
    size_t outsz);

/* True when the IP literal `ip` lies inside one of the list's CIDRs. */
bool wk_addr_allow_match(const struct wk_addr_allow *list, const char *ip);

/* What an enroll or update may register, and from where. */
struct wk_addr_request {
	const char *address;	/* as sent: "" (use source), an IP or a name */
	/*
	 * The request's client address: the connection's peer, or behind
	 * a --trusted-proxy the address that proxy saw (the right-most
	 * X-Forwarded-For entry that is not a trusted proxy, forwarded.c).
	 * That address is verified: a trusted proxy took it from its own
	 * TCP connection. Entries a client wrote itself are never used, and
	 * from any other peer the header is ignored, so a host can still
	 * register only where it really connects from (docs/proxy.md).
	 */
	const char *source_ip;
	const char *current;	/* update: the address on record, else NULL */
	const struct wk_addr_allow *server;	/* --agent-address-allow */
	const struct wk_addr_allow *token;	/* the token's, or NULL */
};

/*
 * True when s is a DNS host name (RFC 1123 labels of letters, digits and
 * '-', at most 63 bytes each, WK_ADDR_NAME_MAX in all, at least one
 * letter, an optional trailing dot). Checks the text only.
 */
bool wk_agent_addr_is_name(const char *s);

/*
 * Decides whether req->address may be registered. On 0 writes the address
 * to record (canonical IP text) to out: for a DNS name, the request's
 * source address (the name is the caller's to keep as dns_name).
 * WK_ERR_DENIED when not allowed, WK_ERR_INVAL when there is no address
 * at all or it is neither an IP address nor a name; `why` then holds a
 * message for the agent (no secrets). Never blocks: no name is resolved.
 */
int wk_agent_addr_check(const struct wk_addr_request *req, char *out,
    size_t outsz, char *why, size_t whysz);

#endif
