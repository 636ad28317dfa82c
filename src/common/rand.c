#include "common/rand.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "common/err.h"

int
wk_random_bytes(void *p, size_t n)
{
	uint8_t *q = p;

	while (n > 0) {
		ssize_t got = getrandom(q, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return WK_ERR_IO;
		}
		q += got;
		n -= (size_t)got;
	}
	return 0;
}

int
wk_random_aws_id(const char *prefix, size_t n, char *out, size_t outsz)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t plen = strlen(prefix);
	uint8_t rnd[64];
	int r;

	if (n > sizeof(rnd) || outsz <= plen || outsz - plen <= n)
		return WK_ERR_INVAL;
	if ((r = wk_random_bytes(rnd, n)) != 0)
		return r;
	memcpy(out, prefix, plen);
	for (size_t i = 0; i < n; i++)
		out[plen + i] = alphabet[rnd[i] & 31];
	out[plen + n] = '\0';
	return 0;
}

int
wk_random_instance_id(char out[static 20])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t rnd[17];
	int r;

	if ((r = wk_random_bytes(rnd, sizeof(rnd))) != 0)
		return r;
	out[0] = 'i';
	out[1] = '-';
	for (size_t i = 0; i < 17; i++)
		out[2 + i] = hex[rnd[i] & 15];
	out[19] = '\0';
	return 0;
}

int
wk_random_uuid(char out[static 37])
{
	uint8_t u[16];
	int r;

	if ((r = wk_random_bytes(u, sizeof(u))) != 0)
		return r;
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	/* 8-4-4-4-12 hex digits, lower case (by hand: one per request, and
	 * snprintf's 16 conversions cost more than the random bytes) */
	for (size_t i = 0, o = 0; i < sizeof(u); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = "0123456789abcdef"[u[i] >> 4];
		out[o++] = "0123456789abcdef"[u[i] & 15];
	}
	out[36] = '\0';
	return 0;
}
