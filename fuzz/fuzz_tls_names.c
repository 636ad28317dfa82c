/*
 * fuzz_tls_names.c - the --tls-name list of `wicketd init --tls` and
 * `wicketd tls init|renew` (wk_x509_names_add): whatever it accepts must
 * be a DNS name or an IP address that goes into a subjectAltName as is,
 * so it is re-parsed name by name and must come back the same.
 * Input: the list (one argument), or several separated by '\n'.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wk_x509_names names, again;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[WK_X509_NAMES_LIST_MAX * 2 + 2], why[512], *p, *nl;

	if (size >= sizeof(buf) || memchr(data, '\0', size) != NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	memset(&names, 0, sizeof(names));
	for (p = buf; p != NULL; p = nl) {
		struct wk_x509_names before;

		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		memcpy(&before, &names, sizeof(before));
		why[0] = '\0';
		if (wk_x509_names_add(&names, p, why, sizeof(why)) != 0) {
			/* refused: a reason, and nothing added */
			if (why[0] == '\0' ||
			    memcmp(&before, &names, sizeof(names)) != 0)
				__builtin_trap();
		}
	}
	if (names.n > WK_X509_MAX_NAMES)
		__builtin_trap();
	memset(&again, 0, sizeof(again));
	for (size_t i = 0; i < names.n; i++) {
		const char *s = names.name[i];

		/* nothing that could split or extend a subjectAltName */
		if (s[0] == '\0' || strpbrk(s, ",: \t\r\n/=") != NULL) {
			if (!wk_x509_name_is_ip(s))
				__builtin_trap();
		}
		if (wk_x509_names_add(&again, s, why, sizeof(why)) != 0 ||
		    again.n != i + 1 || strcmp(again.name[i], s) != 0)
			__builtin_trap();
	}
	return 0;
}
