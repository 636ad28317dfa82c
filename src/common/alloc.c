#include "common/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static long fail_after = -1;

void
wk_alloc_fail_after(long n)
{
	fail_after = n;
}

static int
should_fail(void)
{
	if (fail_after < 0)
		return 0;
	if (fail_after == 0)
		return 1;
	fail_after--;
	return 0;
}

void *
wk_malloc(size_t n)
{
	if (should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *
wk_calloc(size_t nmemb, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(nmemb, size, &total))
		return NULL;
	if (should_fail())
		return NULL;
	return calloc(1, total ? total : 1);
}

void *
wk_realloc(void *p, size_t n)
{
	if (should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

void *
wk_reallocarray(void *p, size_t nmemb, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(nmemb, size, &total))
		return NULL;
	return wk_realloc(p, total);
}

char *
wk_strdup(const char *s)
{
	return wk_strndup(s, strlen(s));
}

char *
wk_strndup(const char *s, size_t n)
{
	char *d;
	size_t len = strnlen(s, n);

	if (len == SIZE_MAX || (d = wk_malloc(len + 1)) == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

void
wk_free(void *p)
{
	free(p);
}

void
wk_explicit_bzero(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void
wk_freezero(void *p, size_t n)
{
	if (p == NULL)
		return;
	explicit_bzero(p, n);
	free(p);
}
