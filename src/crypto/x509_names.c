/*
 * x509_names.c - the list of names and addresses a server certificate is
 * issued for (`wicketd init --tls --tls-name NAME[,NAME...]`). Each name
 * ends up in a subjectAltName, so it must be exactly a DNS name or an IP
 * address: anything else (spaces, commas inside a name, ':' that is not an
 * address, empty labels) is refused rather than passed to OpenSSL.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "crypto/x509.h"

static bool
ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* s (len bytes) as a DNS name into out, lower-cased; false when not one. */
static bool
dns_name(const char *s, size_t len, char out[WK_X509_NAME_MAX + 1])
{
	size_t i = 0, label = 0;

	if (len == 0 || len > WK_X509_NAME_MAX)
		return false;
	if (len > 2 && s[0] == '*' && s[1] == '.') {
		out[0] = '*';
		out[1] = '.';
		i = 2;
	}
	for (; i < len; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '.') {
			/* no empty label, none starting or ending in '-' */
			if (label == 0 || out[i - 1] == '-')
				return false;
			label = 0;
		} else if (ldh(c)) {
			if (label == 0 && c == '-')
				return false;
			if (++label > 63)
				return false;
		} else {
			return false;
		}
		out[i] = c;
	}
	if (label == 0 || out[len - 1] == '-')
		return false;
	out[len] = '\0';
	/* a name of digits and dots only would read as an address */
	return strspn(out, "0123456789.") != len;
}

/* s as an IP address in canonical text into out; false when not one. */
static bool
ip_name(const char *s, size_t len, char out[WK_X509_NAME_MAX + 1])
{
	char tmp[64];
	unsigned char addr[16];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, addr) == 1)
		return inet_ntop(AF_INET, addr, out, WK_X509_NAME_MAX + 1) !=
		    NULL;
	if (inet_pton(AF_INET6, tmp, addr) == 1)
		return inet_ntop(AF_INET6, addr, out, WK_X509_NAME_MAX + 1) !=
		    NULL;
	return false;
}

bool
wk_x509_name_is_ip(const char *name)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1;
}

int
wk_x509_names_add(struct wk_x509_names *out, const char *list, char *why,
    size_t whysz)
{
	struct wk_x509_names tmp;
	const char *p = list, *end;
	size_t total;

	if (list == NULL || (total = strnlen(list,
	    WK_X509_NAMES_LIST_MAX + 1)) > WK_X509_NAMES_LIST_MAX) {
		wk_why(why, whysz, "the name list is longer than %d bytes",
		    WK_X509_NAMES_LIST_MAX);
		return WK_ERR_TOOBIG;
	}
	memcpy(&tmp, out, sizeof(tmp));
	for (;;) {
		char name[WK_X509_NAME_MAX + 1];
		size_t len;
		bool dup = false;

		memset(name, 0, sizeof(name));	/* stored whole */
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0) {
			wk_why(why, whysz, "empty name in '%.200s'", list);
			return WK_ERR_INVAL;
		}
		if (!ip_name(p, len, name) && !dns_name(p, len, name)) {
			wk_why(why, whysz,
			    "'%.*s' is neither a DNS name (letters, "
			    "digits, '-' and '.', optionally \"*.\" first) nor "
			    "an IP address", (int)(len > 200 ? 200 : len), p);
			return WK_ERR_INVAL;
		}
		for (size_t i = 0; i < tmp.n; i++)
			if (strcmp(tmp.name[i], name) == 0)
				dup = true;
		if (!dup) {
			if (tmp.n >= WK_X509_MAX_NAMES) {
				wk_why(why, whysz, "more than %d names",
				    WK_X509_MAX_NAMES);
				return WK_ERR_LIMIT;
			}
			memcpy(tmp.name[tmp.n++], name, sizeof(name));
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	memcpy(out, &tmp, sizeof(tmp));
	return 0;
}
