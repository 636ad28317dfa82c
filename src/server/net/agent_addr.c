/*
 * agent_addr.c - the addresses an enrolling host may register
 * (agent_addr.h): CIDR lists, and the check made on enroll and update.
 */
#include "server/net/agent_addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/buf.h"
#include "common/err.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0xff, 0xff };

/* An IP literal, IPv4-mapped IPv6 as IPv4. */
static bool
parse_ip(const char *s, int *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s, addr) != 1)
		return false;
	*family = 6;
	if (memcmp(addr, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		*family = 4;
	}
	return true;
}

static void
ip_text(int family, const uint8_t addr[16], char *out, size_t outsz)
{
	if (inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, out,
	    (socklen_t)outsz) == NULL && outsz > 0)
		out[0] = '\0';
}

static bool
in_cidr(const struct wk_cidr *c, int family, const uint8_t addr[16])
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;

	if (c->family != family)
		return false;
	if (full > 0 && memcmp(c->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->addr[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest)))
	    == 0;
}

static int
parse_cidr(const char *item, size_t len, struct wk_cidr *out, char *why,
    size_t whysz)
{
	char buf[WK_ADDR_TEXT_MAX];
	const char *slash;
	uint64_t prefix;
	unsigned max;

	if (len == 0 || len >= sizeof(buf)) {
		snprintf(why, whysz, "'%.*s' is not an address or CIDR",
		    (int)(len < 64 ? len : 64), item);
		return WK_ERR_INVAL;
	}
	memcpy(buf, item, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (slash != NULL)
		buf[slash - buf] = '\0';
	if (!parse_ip(buf, &out->family, out->addr)) {
		snprintf(why, whysz, "'%.*s' is not an address or CIDR",
		    (int)len, item);
		return WK_ERR_INVAL;
	}
	max = out->family == 4 ? 32 : 128;
	out->prefix = max;
	if (slash != NULL) {
		if (slash[1] == '\0' || strlen(slash + 1) > 3 ||
		    wk_cstr_to_u64(slash + 1, max, &prefix) != 0) {
			snprintf(why, whysz, "'%.*s': the prefix length must "
			    "be 0..%u", (int)len, item, max);
			return WK_ERR_INVAL;
		}
		out->prefix = (unsigned)prefix;
	}
	/* Host bits set ("10.0.0.1/8") is most likely a typo: refuse it. */
	for (unsigned bit = out->prefix; bit < max; bit++) {
		if (out->addr[bit / 8] & (0x80 >> (bit % 8))) {
			snprintf(why, whysz, "'%.*s' has bits set past its "
			    "prefix length", (int)len, item);
			return WK_ERR_INVAL;
		}
	}
	return 0;
}

int
wk_addr_allow_parse(const char *text, struct wk_addr_allow *list, char *why,
    size_t whysz)
{
	struct wk_cidr tmp[WK_ADDR_ALLOW_MAX];
	size_t n = 0;
	const char *p = text, *comma;
	int r;

	why[0] = '\0';
	if (*text == '\0') {
		snprintf(why, whysz, "an empty list of CIDRs");
		return WK_ERR_INVAL;
	}
	for (;;) {
		comma = strchr(p, ',');
		if (list->n + n >= WK_ADDR_ALLOW_MAX) {
			snprintf(why, whysz, "more than %d CIDRs",
			    WK_ADDR_ALLOW_MAX);
			return WK_ERR_TOOBIG;
		}
		if ((r = parse_cidr(p, comma != NULL ? (size_t)(comma - p) :
		    strlen(p), &tmp[n], why, whysz)) != 0)
			return r;
		n++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	memcpy(&list->v[list->n], tmp, n * sizeof(tmp[0]));
	list->n += n;
	return 0;
}

int
wk_addr_allow_format(const struct wk_addr_allow *list, char *out,
    size_t outsz)
{
	char ip[WK_ADDR_TEXT_MAX];
	size_t used = 0;
	int n;

	if (outsz == 0)
		return WK_ERR_INVAL;
	out[0] = '\0';
	for (size_t i = 0; i < list->n; i++) {
		ip_text(list->v[i].family, list->v[i].addr, ip, sizeof(ip));
		n = snprintf(out + used, outsz - used, "%s%s/%u",
		    i > 0 ? "," : "", ip, list->v[i].prefix);
		if (n < 0 || (size_t)n >= outsz - used) {
			out[0] = '\0';
			return WK_ERR_TOOBIG;
		}
		used += (size_t)n;
	}
	return 0;
}

static bool
list_match(const struct wk_addr_allow *list, int family,
    const uint8_t addr[16])
{
	if (list == NULL)
		return false;
	for (size_t i = 0; i < list->n; i++)
		if (in_cidr(&list->v[i], family, addr))
			return true;
	return false;
}

bool
wk_addr_allow_match(const struct wk_addr_allow *list, const char *ip)
{
	uint8_t addr[16];
	int family;

	return ip != NULL && parse_ip(ip, &family, addr) &&
	    list_match(list, family, addr);
}

/* Whether one resolved address may be registered by this request. */
static bool
allowed(const struct wk_addr_request *req, int family,
    const uint8_t addr[16])
{
	uint8_t other[16];
	int ofam;

	if (req->source_ip != NULL && parse_ip(req->source_ip, &ofam, other) &&
	    ofam == family && memcmp(other, addr, 16) == 0)
		return true;
	if (req->current != NULL && parse_ip(req->current, &ofam, other) &&
	    ofam == family && memcmp(other, addr, 16) == 0)
		return true;
	return list_match(req->server, family, addr) ||
	    list_match(req->token, family, addr);
}

static void
refusal(const struct wk_addr_request *req, const char *addr, char *why,
    size_t whysz)
{
	snprintf(why, whysz, "address %s is not allowed: a host may register "
	    "the address it connects from (%s)%s, or one the operator allows "
	    "(wicketd serve --agent-address-allow, or the join token's "
	    "--address-allow)", addr, req->source_ip != NULL ?
	    req->source_ip : "-", req->current != NULL ?
	    " or the one it has" : "");
}

bool
wk_agent_addr_is_name(const char *s)
{
	size_t len = strlen(s), label = 0;
	bool alpha = false;

	if (len == 0 || len > WK_ADDR_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			/* no empty label; a label neither starts nor ends
			 * with '-' */
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			alpha = true;
		if (++label > 63)
			return false;
	}
	/* a trailing dot is allowed ("web-1.example."), "-." is not; an
	 * all-digit name ("10.1") is a mistyped address, not a name */
	return s[len - 1] != '-' && alpha;
}

/*
 * A name is never resolved here: DNS answers are attacker-influenced
 * (docs/security.md), and resolving on enrollment would let whoever
 * controls the name's records choose the address the console connects
 * to. The host is recorded at the address its request came from; the
 * name is kept only as a label (PrivateDnsName).
 */
static int
check_name(const struct wk_addr_request *req, char *out, size_t outsz,
    char *why, size_t whysz)
{
	uint8_t addr[16];
	int family;

	if (!wk_agent_addr_is_name(req->address)) {
		snprintf(why, whysz, "address '%.*s' is neither an IP address "
		    "nor a DNS name", WK_ADDR_NAME_MAX, req->address);
		return WK_ERR_INVAL;
	}
	if (req->source_ip == NULL ||
	    !parse_ip(req->source_ip, &family, addr)) {
		snprintf(why, whysz, "no address to register for %s",
		    req->address);
		return WK_ERR_INVAL;
	}
	ip_text(family, addr, out, outsz);
	return 0;
}

int
wk_agent_addr_check(const struct wk_addr_request *req, char *out,
    size_t outsz, char *why, size_t whysz)
{
	const char *a = req->address != NULL ? req->address : "";
	uint8_t addr[16];
	int family;

	out[0] = '\0';
	why[0] = '\0';
	if (outsz < WK_ADDR_TEXT_MAX)
		return WK_ERR_INVAL;
	if (a[0] == '\0')
		a = req->source_ip != NULL ? req->source_ip : "";
	if (a[0] == '\0') {
		snprintf(why, whysz, "no address to register");
		return WK_ERR_INVAL;
	}
	if (!parse_ip(a, &family, addr)) {
		if (a == req->source_ip) {
			snprintf(why, whysz, "no address to register");
			return WK_ERR_INVAL;
		}
		return check_name(req, out, outsz, why, whysz);
	}
	if (!allowed(req, family, addr)) {
		refusal(req, a, why, whysz);
		return WK_ERR_DENIED;
	}
	ip_text(family, addr, out, outsz);
	return 0;
}
