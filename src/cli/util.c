/*
 * util.c - small helpers shared by the wicket subcommands (cli.h).
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/time.h"

void
wk_cli_errx(const char *fmt, ...)
{
	va_list ap;

	fputs("wicket: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
wk_cli_longopt(int argc, char **argv, int *i, const char *name,
    const char **value)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*value = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*value = argv[++*i];
	return 1;
}

int
wk_cli_shell_quote(struct wk_buf *out, const char *s)
{
	const char *p;
	int r, plain = *s != '\0';

	for (p = s; *p != '\0' && plain; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("@%+=:,./_-", *p)))
			plain = 0;
	}
	if (plain)
		return wk_buf_append_str(out, s);
	if ((r = wk_buf_putc(out, '\'')) != 0)
		return r;
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			r = wk_buf_append_str(out, "'\\''");
		else
			r = wk_buf_putc(out, *p);
		if (r != 0)
			return r;
	}
	return wk_buf_putc(out, '\'');
}

int
wk_cli_sanitize(struct wk_buf *out, const char *s)
{
	const unsigned char *p;
	int r;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((r = wk_buf_putc(out, (*p < 0x20 || *p == 0x7f) ? '?' :
		    *p)) != 0)
			return r;
	}
	return 0;
}

static int
argv_take(struct wk_argv *a, char *s)
{
	char **nv;
	size_t ncap;

	if (s == NULL)
		return WK_ERR_NOMEM;
	if (a->n >= WK_CLI_MAX_ARGS) {
		wk_free(s);
		return WK_ERR_TOOBIG;
	}
	if (a->n + 2 > a->cap) {
		ncap = a->cap == 0 ? 16 : a->cap * 2;
		if ((nv = wk_reallocarray(a->v, ncap, sizeof(*nv))) == NULL) {
			wk_free(s);
			return WK_ERR_NOMEM;
		}
		a->v = nv;
		a->cap = ncap;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
	return 0;
}

int
wk_argv_push(struct wk_argv *a, const char *s)
{
	return argv_take(a, wk_strdup(s));
}

int
wk_argv_pushf(struct wk_argv *a, const char *fmt, ...)
{
	struct wk_buf b;
	va_list ap;
	int r;

	wk_buf_init(&b, 65536);
	va_start(ap, fmt);
	r = wk_buf_vappendf(&b, fmt, ap);
	va_end(ap);
	if (r != 0) {
		wk_buf_cleanup(&b);
		return r;
	}
	return argv_take(a, wk_buf_steal(&b));
}

void
wk_argv_free(struct wk_argv *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++)
		wk_free(a->v[i]);
	wk_free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

int
wk_cli_parse_time(const char *s, time_t now, time_t *out)
{
	uint64_t v, unit = 0;
	size_t n = strlen(s);
	struct wk_span sp = wk_span_from_cstr(s);

	*out = 0;
	if (n == 0 || n > 64)
		return WK_ERR_INVAL;
	if (wk_span_to_u64(sp, (uint64_t)INT64_MAX / 2, &v) == 0) {
		*out = (time_t)v;
		return 0;
	}
	switch (s[n - 1]) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: break;
	}
	if (unit != 0 && n > 1 && wk_span_to_u64(wk_span_from_mem(s, n - 1),
	    (uint64_t)100 * 365 * 86400, &v) == 0) {
		if (v * unit > (uint64_t)now)
			return WK_ERR_INVAL;
		*out = now - (time_t)(v * unit);
		return 0;
	}
	return wk_time_parse(sp, out) == 0 ? 0 : WK_ERR_INVAL;
}

int
wk_cli_common_opt(int argc, char **argv, int *i, struct wk_aws_opts *aws,
    bool *json)
{
	const char *v = NULL;
	int m;

	if ((m = wk_cli_longopt(argc, argv, i, "--profile", &v)) > 0)
		aws->profile = v;
	else if (m == 0 && (m = wk_cli_longopt(argc, argv, i, "--region",
	    &v)) > 0)
		aws->region = v;
	else if (m == 0 && (m = wk_cli_longopt(argc, argv, i,
	    "--endpoint-url", &v)) > 0)
		aws->endpoint_url = v;
	else if (m == 0 && (m = wk_cli_longopt(argc, argv, i, "--ca-bundle",
	    &v)) > 0)
		aws->ca_bundle = v;
	else if (m == 0 && json != NULL && (m = wk_cli_longopt(argc, argv, i,
	    "--output", &v)) > 0) {
		if (strcmp(v, "json") == 0)
			*json = true;
		else if (strcmp(v, "text") == 0)
			*json = false;
		else {
			wk_cli_errx("bad --output '%s' (text or json)", v);
			return 2;
		}
	}
	return m;
}
