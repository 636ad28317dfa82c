#include "common/time.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

uint64_t
wk_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t
wk_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

time_t
wk_wall_now(void)
{
	return time(NULL);
}

void
wk_time_iso8601(time_t t, char buf[static 21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
wk_time_amzdate(time_t t, char buf[static 17])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int
digits(const uint8_t *p, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return WK_ERR_INVAL;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

int
wk_time_parse(struct wk_span s, time_t *out)
{
	int Y, M, D, h = 0, m = 0, sec = 0;
	const uint8_t *p = s.p;
	size_t n = s.len;
	struct tm tm;

	*out = 0;
	if (n == 16 && p[8] == 'T' && p[15] == 'Z') {
		if (digits(p, 4, &Y) || digits(p + 4, 2, &M) ||
		    digits(p + 6, 2, &D) || digits(p + 9, 2, &h) ||
		    digits(p + 11, 2, &m) || digits(p + 13, 2, &sec))
			return WK_ERR_INVAL;
	} else if (n >= 10 && p[4] == '-' && p[7] == '-') {
		if (digits(p, 4, &Y) || digits(p + 5, 2, &M) ||
		    digits(p + 8, 2, &D))
			return WK_ERR_INVAL;
		if (n > 10) {
			size_t i = 19;

			if (n < 20 || p[10] != 'T' || p[13] != ':' ||
			    p[16] != ':' || digits(p + 11, 2, &h) ||
			    digits(p + 14, 2, &m) || digits(p + 17, 2, &sec))
				return WK_ERR_INVAL;
			if (p[i] == '.') {
				i++;
				if (i >= n || p[i] < '0' || p[i] > '9')
					return WK_ERR_INVAL;
				while (i < n && p[i] >= '0' && p[i] <= '9')
					i++;
			}
			if (n - i == 1 && p[i] == 'Z')
				;
			else if (n - i == 6 && (p[i] == '+' || p[i] == '-') &&
			    memcmp(p + i + 1, "00:00", 5) == 0)
				;
			else
				return WK_ERR_INVAL;
		}
	} else {
		return WK_ERR_INVAL;
	}
	if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) ||
	    h > 23 || m > 59 || sec > 60)
		return WK_ERR_INVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	*out = timegm(&tm);
	return 0;
}
