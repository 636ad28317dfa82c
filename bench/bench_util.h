/*
 * bench_util.h - shared bits of the benchmark programs: a monotonic clock
 * in nanoseconds and percentiles of a sample.
 */
#ifndef WK_BENCH_UTIL_H
#define WK_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v and prints "name: n=N p50=.. p99=.. max=.. ms". */
static inline void
bench_report(const char *name, uint64_t *v, size_t n)
{
	if (n == 0) {
		printf("%s: no samples\n", name);
		return;
	}
	qsort(v, n, sizeof(*v), bench_cmp_u64);
	printf("%s: n=%zu p50=%.3f p99=%.3f max=%.3f ms\n", name, n,
	    v[n / 2] / 1e6, v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] / 1e6,
	    v[n - 1] / 1e6);
}

#endif
