/*
 * rand.h - randomness from the OS (getrandom), and the identifiers built
 * from it.
 */
#ifndef WK_COMMON_RAND_H
#define WK_COMMON_RAND_H

#include <stddef.h>
#include <stdint.h>

int wk_random_bytes(void *p, size_t n);
/*
 * AWS-style unique id: prefix followed by n characters of [A-Z2-7]
 * (e.g. "AIDA" + 17 for users, "AKIA" + 16 for access keys, "ANPA" + 17
 * for policies, "AGPA" + 17 for groups). out needs strlen(prefix)+n+1.
 */
int wk_random_aws_id(const char *prefix, size_t n, char *out, size_t outsz);
/* "i-" + 17 lower-case hex digits; out needs 20 bytes. */
int wk_random_instance_id(char out[static 20]);
/* RFC 4122 version-4 UUID, lower case; out needs 37 bytes. */
int wk_random_uuid(char out[static 37]);

#endif
