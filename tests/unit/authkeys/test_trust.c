/*
 * Tests for src/authkeys/trust.c: the trust file parser and the
 * root-owned/not-writable path rule. Temp dirs live next to the test
 * binary (a root-owned, 0755 tree), not in /tmp (world-writable).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libgen.h>

#include <cmocka.h>

#include "../safe_dir.h"

#include "agent/agent.h"
#include "authkeys/authkeys.h"
#include "common/err.h"

struct fixture {
	char dir[4096];
	struct wk_pubkey pk[2];
	char b64[2][64];
};

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static int
setup(void **state)
{
	static struct fixture f;
	struct wk_signkey *k;
	struct wk_buf b;
	int i;

	assert_non_null(wk_test_safe_mkdtemp(f.dir, sizeof(f.dir), "trust-test"));
	for (i = 0; i < 2; i++) {
		assert_int_equal(wk_signkey_generate(&k), 0);
		wk_signkey_public(k, &f.pk[i]);
		wk_signkey_free(k);
		wk_buf_init(&b, 64);
		assert_int_equal(wk_pubkey_to_base64(&f.pk[i], &b), 0);
		snprintf(f.b64[i], sizeof(f.b64[i]), "%s", wk_buf_cstr(&b));
		wk_buf_cleanup(&b);
	}
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[4200];

	snprintf(p, sizeof(p), "%s/sub/trust", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/sub", f->dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/trust", f->dir);
	unlink(p);
	rmdir(f->dir);
	return 0;
}

static int
parse(const char *text, struct wk_trust *t, const char **why)
{
	return wk_trust_parse(wk_span_from_cstr(text), t, why);
}

static void
test_parse_good(void **state)
{
	struct fixture *f = *state;
	struct wk_trust t;
	struct wk_buf text;
	const char *why;

	/* What the agent writes is what the helper reads. */
	wk_buf_init(&text, 4096);
	assert_int_equal(wk_agent_trust_format(&text, "i-0123456789abcdef0",
	    f->pk, 2), 0);
	assert_int_equal(wk_trust_parse(wk_buf_span(&text), &t, &why), 0);
	assert_string_equal(t.instance_id, "i-0123456789abcdef0");
	assert_int_equal(t.nkeys, 2);
	assert_string_equal(t.keys[0].id, f->pk[0].id);
	assert_memory_equal(t.keys[1].raw, f->pk[1].raw, 32);
	wk_buf_cleanup(&text);
}

static void
test_parse_bad(void **state)
{
	struct fixture *f = *state;
	char text[1024], keyline[200], keyline2[200];
	struct wk_trust t;
	const char *why;
	int i;

	snprintf(keyline, sizeof(keyline), "key %s %s\n", f->pk[0].id,
	    f->b64[0]);
	snprintf(keyline2, sizeof(keyline2), "key %s %s\n", f->pk[1].id,
	    f->b64[1]);

	/* Wrong version. */
	snprintf(text, sizeof(text), "wicket-trust 2\ninstance i-0123456789"
	    "abcdef0\n%s", keyline);
	assert_int_equal(parse(text, &t, &why), WK_ERR_INVAL);
	assert_string_equal(why, "unsupported version");
	/* Bad header, missing final newline, CR, blank line, extra line. */
	snprintf(text, sizeof(text), "wicket-trust\ninstance i-0123456789"
	    "abcdef0\n%s", keyline);
	assert_int_not_equal(parse(text, &t, &why), 0);
	snprintf(text, sizeof(text), "wicket-trust 1\ninstance i-0123456789"
	    "abcdef0\n%.*s", (int)strlen(keyline) - 1, keyline);
	assert_int_not_equal(parse(text, &t, &why), 0);
	snprintf(text, sizeof(text), "wicket-trust 1\r\ninstance i-0123456789"
	    "abcdef0\n%s", keyline);
	assert_int_not_equal(parse(text, &t, &why), 0);
	snprintf(text, sizeof(text), "wicket-trust 1\ninstance i-0123456789"
	    "abcdef0\n\n%s", keyline);
	assert_int_not_equal(parse(text, &t, &why), 0);
	snprintf(text, sizeof(text), "wicket-trust 1\ninstance i-0123456789"
	    "abcdef0\n%sother thing\n", keyline);
	assert_int_not_equal(parse(text, &t, &why), 0);
	/* Bad instance lines. */
	snprintf(text, sizeof(text), "wicket-trust 1\ninstance i-XYZ\n%s",
	    keyline);
	assert_int_not_equal(parse(text, &t, &why), 0);
	snprintf(text, sizeof(text), "wicket-trust 1\n%s", keyline);
	assert_int_not_equal(parse(text, &t, &why), 0);
	/* No key at all. */
	assert_int_not_equal(parse("wicket-trust 1\ninstance "
	    "i-0123456789abcdef0\n", &t, &why), 0);
	/* Bad key: not base64, wrong length, id not matching the key. */
	snprintf(text, sizeof(text), "wicket-trust 1\ninstance i-0123456789"
	    "abcdef0\nkey %s !!!!\n", f->pk[0].id);
	assert_int_not_equal(parse(text, &t, &why), 0);
	snprintf(text, sizeof(text), "wicket-trust 1\ninstance i-0123456789"
	    "abcdef0\nkey %s AAAA\n", f->pk[0].id);
	assert_int_not_equal(parse(text, &t, &why), 0);
	snprintf(text, sizeof(text), "wicket-trust 1\ninstance i-0123456789"
	    "abcdef0\nkey %s %s\n", f->pk[1].id, f->b64[0]);
	assert_int_equal(parse(text, &t, &why), WK_ERR_INVAL);
	assert_string_equal(why, "key id does not match the key");
	snprintf(text, sizeof(text), "wicket-trust 1\ninstance i-0123456789"
	    "abcdef0\nkey %s %s extra\n", f->pk[0].id, f->b64[0]);
	assert_int_not_equal(parse(text, &t, &why), 0);
	/* Duplicate key. */
	snprintf(text, sizeof(text), "wicket-trust 1\ninstance i-0123456789"
	    "abcdef0\n%s%s", keyline, keyline);
	assert_int_equal(parse(text, &t, &why), WK_ERR_INVAL);
	assert_string_equal(why, "duplicate key");
	/* Too many keys (the two real ones alternate: still duplicates
	 * after two, so check the count limit with a fresh buffer). */
	text[0] = '\0';
	snprintf(text, sizeof(text), "wicket-trust 1\ninstance i-0123456789"
	    "abcdef0\n");
	for (i = 0; i < WK_TRUST_MAX_KEYS + 1; i++)
		strncat(text, i % 2 ? keyline2 : keyline,
		    sizeof(text) - strlen(text) - 1);
	assert_int_not_equal(parse(text, &t, &why), 0);
	/* Embedded NUL. */
	assert_int_not_equal(wk_trust_parse(wk_span_from_mem(
	    "wicket-trust 1\0\n", 16), &t, &why), 0);
	assert_int_not_equal(parse("", &t, &why), 0);
}

static void
test_load_permissions(void **state)
{
	struct fixture *f = *state;
	char text[512], path[4200], sub[4200];
	struct wk_trust t;
	const char *why;

	snprintf(text, sizeof(text), "wicket-trust 1\ninstance i-0123456789"
	    "abcdef0\nkey %s %s\n", f->pk[0].id, f->b64[0]);
	snprintf(path, sizeof(path), "%s/trust", f->dir);
	write_file(path, text, 0644);
	assert_int_equal(wk_trust_load(path, &t, &why), 0);
	assert_int_equal(t.nkeys, 1);

	/* Group- or world-writable file. */
	assert_int_equal(chmod(path, 0664), 0);
	assert_int_equal(wk_trust_load(path, &t, &why), WK_ERR_DENIED);
	assert_int_equal(chmod(path, 0646), 0);
	assert_int_equal(wk_trust_load(path, &t, &why), WK_ERR_DENIED);
	assert_int_equal(chmod(path, 0644), 0);
	/* Not owned by root. */
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(wk_trust_load(path, &t, &why), WK_ERR_DENIED);
	assert_int_equal(chown(path, 0, 0), 0);
	assert_int_equal(wk_trust_load(path, &t, &why), 0);

	/* A writable directory above it. */
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub/trust", f->dir);
	write_file(path, text, 0644);
	assert_int_equal(wk_trust_load(path, &t, &why), 0);
	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_int_equal(wk_trust_load(path, &t, &why), WK_ERR_DENIED);
	assert_int_equal(chmod(f->dir, 0700), 0);
	assert_int_equal(chown(sub, 65534, 0), 0);
	assert_int_equal(wk_trust_load(path, &t, &why), WK_ERR_DENIED);
	assert_int_equal(chown(sub, 0, 0), 0);
	assert_int_equal(wk_trust_load(path, &t, &why), 0);

	/* Under /tmp (world-writable, sticky): refused. */
	assert_int_not_equal(wk_trust_load("/tmp", &t, &why), 0);
	/* Missing, and a directory instead of a file. */
	snprintf(path, sizeof(path), "%s/nope", f->dir);
	assert_int_not_equal(wk_trust_load(path, &t, &why), 0);
	assert_int_not_equal(wk_trust_load(sub, &t, &why), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_load_permissions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
