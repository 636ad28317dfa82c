/*
 * alloc.h - allocation wrappers. All library code allocates through these
 * so that tests can make the Nth allocation fail (wk_alloc_fail_after).
 * Library code returns WK_ERR_NOMEM on NULL; only program start-up aborts.
 */
#ifndef WK_COMMON_ALLOC_H
#define WK_COMMON_ALLOC_H

#include <stddef.h>

void *wk_malloc(size_t n);
void *wk_calloc(size_t nmemb, size_t size);	/* overflow-checked */
void *wk_realloc(void *p, size_t n);
void *wk_reallocarray(void *p, size_t nmemb, size_t size);
char *wk_strdup(const char *s);
char *wk_strndup(const char *s, size_t n);
void wk_free(void *p);
/* Wipe n bytes (not optimised away) and free; NULL-safe. For secrets. */
void wk_freezero(void *p, size_t n);
/* Wipe memory that holds a secret. */
void wk_explicit_bzero(void *p, size_t n);

/*
 * Test hook: after n more successful allocations, every allocation fails.
 * n < 0 disables failure injection (the default).
 */
void wk_alloc_fail_after(long n);

#endif
