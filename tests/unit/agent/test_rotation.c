/*
 * test_rotation.c - the agent's trust update rule (agent/rotation.c): an
 * announced key is pinned only with a rotation statement chain from a
 * pinned key; unvouched, forged, self-vouched, stale and malformed input
 * is refused with a reason and changes nothing; and reading back the
 * trust file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "../safe_dir.h"
#include "agent/agent.h"
#include "common/err.h"
#include "crypto/rotation.h"
#include "crypto/signkey.h"

#define T0 1700000000
#define NK 6

struct fixture {
	struct wk_signkey *k[NK];	/* a chain K0..K4, and an attacker's */
	struct wk_pubkey p[NK];
	struct wk_buf s[NK];		/* s[i]: K(i-1) vouches for K(i) */
	struct wk_span sp[NK];
};

#define ATK 5

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct wk_rotation st;

	if (f == NULL)
		return -1;
	for (int i = 0; i < NK; i++) {
		if (wk_signkey_generate(&f->k[i]) != 0)
			return -1;
		wk_signkey_public(f->k[i], &f->p[i]);
		wk_buf_init(&f->s[i], WK_ROTATION_MAX_LEN);
	}
	for (int i = 1; i < ATK; i++) {
		memset(&st, 0, sizeof(st));
		st.seq = (uint64_t)i;
		st.key = f->p[i];
		st.not_before = T0;
		if (wk_rotation_sign(&st, f->k[i - 1], &f->s[i]) != 0)
			return -1;
		f->sp[i] = wk_buf_span(&f->s[i]);
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < NK; i++) {
		wk_signkey_free(f->k[i]);
		wk_buf_cleanup(&f->s[i]);
	}
	free(f);
	return 0;
}

static bool
has(const struct wk_agent_trust_decision *d, const struct wk_pubkey *k)
{
	for (size_t i = 0; i < d->nkeys; i++)
		if (memcmp(d->keys[i].raw, k->raw, sizeof(k->raw)) == 0)
			return true;
	return false;
}

static const char *
refused(const struct wk_agent_trust_decision *d, const char *id)
{
	for (size_t i = 0; i < d->nrefused; i++)
		if (strcmp(d->refused[i].key_id, id) == 0)
			return d->refused[i].why;
	return NULL;
}

/* A statement for `key` signed by `by` (any key), numbered seq. */
static void
make(struct wk_signkey *by, const struct wk_pubkey *key, uint64_t seq,
    int64_t nb, struct wk_buf *out)
{
	struct wk_rotation st;

	memset(&st, 0, sizeof(st));
	st.seq = seq;
	st.key = *key;
	st.not_before = nb;
	wk_buf_reset(out);
	assert_int_equal(wk_rotation_sign(&st, by, out), 0);
}

static void
test_unchanged_and_retire(void **state)
{
	struct fixture *f = *state;
	struct wk_agent_trust_decision d;
	struct wk_pubkey pinned[2] = { f->p[0], f->p[1] };

	assert_int_equal(wk_agent_trust_decide(pinned, 2, pinned, 2, NULL, 0,
	    0, T0, &d), 0);
	assert_int_equal(d.nkeys, 2);
	assert_int_equal(d.nadded, 0);
	assert_int_equal(d.nrefused, 0);
	/* retire: a pinned key no longer announced is dropped, no proof */
	assert_int_equal(wk_agent_trust_decide(pinned, 2, &f->p[1], 1, NULL,
	    0, 0, T0, &d), 0);
	assert_int_equal(d.nkeys, 1);
	assert_true(has(&d, &f->p[1]));
	/* but never to nothing: a set sharing no key is refused */
	assert_int_equal(wk_agent_trust_decide(pinned, 2, &f->p[2], 1, NULL,
	    0, 0, T0, &d), WK_ERR_DENIED);
	assert_string_equal(refused(&d, f->p[2].id), "no rotation statement");
	assert_int_equal(wk_agent_trust_decide(pinned, 2, NULL, 0, NULL, 0, 0,
	    T0, &d), WK_ERR_DENIED);
}

static void
test_next_with_statement(void **state)
{
	struct fixture *f = *state;
	struct wk_agent_trust_decision d;
	struct wk_pubkey ann[2] = { f->p[0], f->p[1] };

	assert_int_equal(wk_agent_trust_decide(&f->p[0], 1, ann, 2, &f->sp[1],
	    1, 0, T0, &d), 0);
	assert_int_equal(d.nkeys, 2);
	assert_int_equal(d.nadded, 1);
	assert_true(has(&d, &f->p[1]));
	assert_int_equal(d.seq, 1);
	assert_int_equal(d.nrefused, 0);
	/* the same, announced without its statement: refused */
	assert_int_equal(wk_agent_trust_decide(&f->p[0], 1, ann, 2, NULL, 0,
	    0, T0, &d), 0);
	assert_int_equal(d.nkeys, 1);
	assert_false(has(&d, &f->p[1]));
	assert_string_equal(refused(&d, f->p[1].id), "no rotation statement");
}

/* What a man in the middle can try: every one refused, nothing added. */
static void
test_attacker(void **state)
{
	struct fixture *f = *state;
	struct wk_agent_trust_decision d;
	struct wk_pubkey ann[3] = { f->p[0], f->p[ATK], f->p[1] };
	struct wk_buf s;
	struct wk_span sp[2];
	struct wk_pubkey k6;
	struct wk_signkey *k6s;
	char *at;

	wk_buf_init(&s, 4096);
	/* appended key, no statement */
	assert_int_equal(wk_agent_trust_decide(&f->p[0], 1, ann, 2, NULL, 0,
	    0, T0, &d), 0);
	assert_int_equal(d.nkeys, 1);
	assert_string_equal(refused(&d, f->p[ATK].id),
	    "no rotation statement");
	/* a statement it signed itself for its own key: malformed */
	{
		struct wk_rotation st;
		struct wk_buf text;

		memset(&st, 0, sizeof(st));
		st.seq = 1;
		st.key = f->p[ATK];
		wk_buf_init(&text, 4096);
		assert_int_equal(wk_rotation_format_unsigned(&st, f->p[ATK].id,
		    &text), WK_ERR_INVAL);
		wk_buf_cleanup(&text);
	}
	/* a second attacker key vouching for the first: signer not pinned */
	assert_int_equal(wk_signkey_generate(&k6s), 0);
	wk_signkey_public(k6s, &k6);
	make(k6s, &f->p[ATK], 1, T0, &s);
	sp[0] = wk_buf_span(&s);
	ann[2] = k6;
	assert_int_equal(wk_agent_trust_decide(&f->p[0], 1, ann, 3, sp, 1, 0,
	    T0, &d), 0);
	assert_int_equal(d.nkeys, 1);
	assert_string_equal(refused(&d, f->p[ATK].id),
	    "statement signed by a key that is not pinned");
	assert_string_equal(refused(&d, k6.id), "no rotation statement");
	/* forged: the pinned key's id as signer, the attacker's signature */
	wk_buf_reset(&s);
	{
		struct wk_rotation st;
		struct wk_buf good;

		memset(&st, 0, sizeof(st));
		st.seq = 1;
		st.key = f->p[ATK];
		st.not_before = T0;
		wk_buf_init(&good, 4096);
		/* signed by K1 (not pinned), then relabelled as K0's */
		assert_int_equal(wk_rotation_sign(&st, f->k[1], &good), 0);
		at = strstr((char *)good.p, f->p[1].id);
		assert_non_null(at);
		memcpy(at, f->p[0].id, WK_SIGNKEY_ID_LEN);
		assert_int_equal(wk_buf_append_span(&s, wk_buf_span(&good)),
		    0);
		wk_buf_cleanup(&good);
	}
	sp[0] = wk_buf_span(&s);
	assert_int_equal(wk_agent_trust_decide(&f->p[0], 1, ann, 2, sp, 1, 0,
	    T0, &d), 0);
	assert_int_equal(d.nkeys, 1);
	assert_string_equal(refused(&d, f->p[ATK].id), "bad signature");
	/* a genuine statement for another key does not vouch for it */
	assert_int_equal(wk_agent_trust_decide(&f->p[0], 1, ann, 2,
	    &f->sp[1], 1, 0, T0, &d), 0);
	assert_int_equal(d.nkeys, 1);
	assert_false(has(&d, &f->p[ATK]));
	/* malformed and oversized ones are refused, the rest still used */
	sp[0] = wk_span_from_cstr("#wicket-rotation v1\n#Seq=1\n");
	sp[1] = f->sp[1];
	ann[1] = f->p[1];
	assert_int_equal(wk_agent_trust_decide(&f->p[0], 1, ann, 2, sp, 2, 0,
	    T0, &d), 0);
	assert_int_equal(d.nkeys, 2);
	assert_string_equal(refused(&d, "-"), "malformed statement");
	wk_buf_reset(&s);
	for (int i = 0; i < 3; i++)
		assert_int_equal(wk_buf_append_span(&s, f->sp[1]), 0);
	sp[0] = wk_buf_span(&s);
	assert_int_equal(wk_agent_trust_decide(&f->p[0], 1, ann, 2, sp, 1, 0,
	    T0, &d), 0);
	assert_int_equal(d.nkeys, 1);
	assert_string_equal(refused(&d, "-"), "statement too large");
	/* not valid yet */
	make(f->k[0], &f->p[1], 1, T0 + 10000, &s);
	sp[0] = wk_buf_span(&s);
	assert_int_equal(wk_agent_trust_decide(&f->p[0], 1, ann, 2, sp, 1, 0,
	    T0, &d), 0);
	assert_int_equal(d.nkeys, 1);
	assert_string_equal(refused(&d, f->p[1].id), "not valid yet");
	wk_signkey_free(k6s);
	wk_buf_cleanup(&s);
}

static void
test_too_many_statements(void **state)
{
	struct fixture *f = *state;
	struct wk_agent_trust_decision d;
	struct wk_span sp[WK_AGENT_MAX_STATEMENTS + 1];
	struct wk_pubkey ann[2] = { f->p[0], f->p[1] };

	for (size_t i = 0; i < WK_AGENT_MAX_STATEMENTS + 1; i++)
		sp[i] = f->sp[1];
	assert_int_equal(wk_agent_trust_decide(&f->p[0], 1, ann, 2, sp,
	    WK_AGENT_MAX_STATEMENTS + 1, 0, T0, &d), 0);
	assert_int_equal(d.nkeys, 1);
	assert_string_equal(refused(&d, "-"), "too many statements");
	assert_int_equal(wk_agent_trust_decide(&f->p[0], 1, ann, 2, sp,
	    WK_AGENT_MAX_STATEMENTS, 0, T0, &d), 0);
	assert_int_equal(d.nkeys, 2);
}

/*
 * A host that missed rotations follows the chain from the key it pins,
 * in any order of statements; a key retired on the way is not taken back
 * even when the reply announces it again.
 */
static void
test_chain_and_stale(void **state)
{
	struct fixture *f = *state;
	struct wk_agent_trust_decision d;
	struct wk_span sp[4] = { f->sp[4], f->sp[2], f->sp[3], f->sp[1] };
	struct wk_pubkey ann[3] = { f->p[4], f->p[3], f->p[1] };

	/* K0 pinned; current K4, previous K3; K1 re-announced by someone */
	assert_int_equal(wk_agent_trust_decide(&f->p[0], 1, ann, 3, sp, 4, 0,
	    T0, &d), 0);
	assert_int_equal(d.seq, 4);
	assert_int_equal(d.nkeys, 2);
	assert_true(has(&d, &f->p[4]));
	assert_true(has(&d, &f->p[3]));
	assert_string_equal(refused(&d, f->p[1].id),
	    "retired key (stale statement)");
	/* previous, current and next (K2, K3, K4) are all fine */
	ann[2] = f->p[2];
	assert_int_equal(wk_agent_trust_decide(&f->p[0], 1, ann, 3, sp, 4, 0,
	    T0, &d), 0);
	assert_int_equal(d.nkeys, 3);
	/* a link missing: refused clearly, the pinned key stays */
	sp[1] = f->sp[1];
	assert_int_equal(wk_agent_trust_decide(&f->p[0], 1, &f->p[4], 1, sp,
	    2, 0, T0, &d), WK_ERR_DENIED);
	assert_string_equal(refused(&d, f->p[4].id),
	    "statement signed by a key that is not pinned");
	/* a replay after the host moved on: seq remembered, K1 refused */
	assert_int_equal(wk_agent_trust_decide(&f->p[0], 1, &f->p[1], 1,
	    &f->sp[1], 1, 4, T0, &d), WK_ERR_DENIED);
	assert_string_equal(refused(&d, f->p[1].id),
	    "retired key (stale statement)");
	assert_int_equal(d.seq, 4);
	/* and a pinned key learnt to be stale is dropped */
	{
		struct wk_pubkey pinned[2] = { f->p[1], f->p[4] };

		assert_int_equal(wk_agent_trust_decide(pinned, 2, pinned, 2,
		    &f->sp[4], 1, 0, T0, &d), 0);
		assert_int_equal(d.nkeys, 2);	/* K1's place unknown */
		sp[0] = f->sp[2];
		sp[1] = f->sp[3];
		sp[2] = f->sp[4];
		assert_int_equal(wk_agent_trust_decide(pinned, 2, pinned, 2,
		    sp, 3, 0, T0, &d), 0);
		assert_int_equal(d.nkeys, 1);
		assert_true(has(&d, &f->p[4]));
	}
}

static void
test_trust_parse(void **state)
{
	struct fixture *f = *state;
	struct wk_pubkey keys[WK_AGENT_MAX_SIGNING_KEYS];
	struct wk_buf text, bad;
	char inst[20];
	size_t n;
	static const char *const breakers[][2] = {
		{ "wicket-trust 1\n", "wicket-trust 2\n" },
		{ "instance ", "instance  " },
		{ "instance i-", "instance x-" },
		{ "\nkey ", "\nkey  " },
		{ "\nkey ", "\nkeys " },
		{ "\nkey ", "\r\nkey " },
	};

	wk_buf_init(&text, 4096);
	wk_buf_init(&bad, 8192);
	assert_int_equal(wk_agent_trust_format(&text, "i-0123456789abcdef0",
	    f->p, 3), 0);
	assert_int_equal(wk_agent_trust_parse(wk_buf_span(&text), inst, keys,
	    WK_AGENT_MAX_SIGNING_KEYS, &n), 0);
	assert_string_equal(inst, "i-0123456789abcdef0");
	assert_int_equal(n, 3);
	assert_memory_equal(keys[2].raw, f->p[2].raw, sizeof(f->p[2].raw));
	/* too many for the caller's array */
	assert_int_equal(wk_agent_trust_parse(wk_buf_span(&text), inst, keys,
	    2, &n), WK_ERR_TOOBIG);
	assert_int_equal(n, 0);
	for (size_t i = 0; i < sizeof(breakers) / sizeof(breakers[0]); i++) {
		const char *t = wk_buf_cstr(&text);
		const char *at = strstr(t, breakers[i][0]);

		assert_non_null(at);
		wk_buf_reset(&bad);
		assert_int_equal(wk_buf_append(&bad, t, (size_t)(at - t)), 0);
		assert_int_equal(wk_buf_append_str(&bad, breakers[i][1]), 0);
		assert_int_equal(wk_buf_append_str(&bad,
		    at + strlen(breakers[i][0])), 0);
		assert_int_not_equal(wk_agent_trust_parse(wk_buf_span(&bad),
		    inst, keys, WK_AGENT_MAX_SIGNING_KEYS, &n), 0);
		assert_int_equal(n, 0);
	}
	/* a duplicate key, no key, no final newline */
	wk_buf_reset(&bad);
	assert_int_equal(wk_agent_trust_format(&bad, "i-0123456789abcdef0",
	    (const struct wk_pubkey[]){ f->p[0], f->p[0] }, 2), 0);
	assert_int_not_equal(wk_agent_trust_parse(wk_buf_span(&bad), inst,
	    keys, WK_AGENT_MAX_SIGNING_KEYS, &n), 0);
	assert_int_not_equal(wk_agent_trust_parse(wk_span_from_cstr(
	    "wicket-trust 1\ninstance i-0123\n"), inst, keys,
	    WK_AGENT_MAX_SIGNING_KEYS, &n), 0);
	assert_int_not_equal(wk_agent_trust_parse(wk_span_from_mem(text.p,
	    text.len - 1), inst, keys, WK_AGENT_MAX_SIGNING_KEYS, &n), 0);
	wk_buf_cleanup(&text);
	wk_buf_cleanup(&bad);
}

/* rotation_seq survives a restart (state.json) and is checked on load. */
static void
test_state_seq(void **state)
{
	struct wk_agent_state st, back;
	char dir[256], path[512], *hk[1] = { (char *)(uintptr_t)"/x.pub" };
	static const char *const bad[] = { "-1", "\"3\"", "1.5",
		"9007199254740992" };
	FILE *fp;

	(void)state;
	assert_non_null(wk_test_safe_mkdtemp(dir, sizeof(dir), "rot-state"));
	memset(&st, 0, sizeof(st));
	st.server = (char *)(uintptr_t)"http://127.0.0.1:1";
	st.instance_id = (char *)(uintptr_t)"i-0123456789abcdef0";
	st.agent_secret = (char *)(uintptr_t)"00";
	st.ssh_port = 22;
	st.host_keys = hk;
	st.nhost_keys = 1;
	st.rotation_seq = 41;
	assert_int_equal(wk_agent_state_save(dir, &st), 0);
	assert_int_equal(wk_agent_state_load(dir, &back), 0);
	assert_int_equal(back.rotation_seq, 41);
	wk_agent_state_cleanup(&back);
	snprintf(path, sizeof(path), "%s/state.json", dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fp = fopen(path, "w");
		assert_non_null(fp);
		fprintf(fp, "{\"server\":\"http://h\",\"instance_id\":"
		    "\"i-0123456789abcdef0\",\"agent_secret\":\"00\","
		    "\"ssh_port\":22,\"host_keys\":[\"/x.pub\"],"
		    "\"rotation_seq\":%s}", bad[i]);
		fclose(fp);
		assert_int_equal(wk_agent_state_load(dir, &back),
		    WK_ERR_INVAL);
	}
	/* absent (a state from before statements): 0 */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "{\"server\":\"http://h\",\"instance_id\":"
	    "\"i-0123456789abcdef0\",\"agent_secret\":\"00\","
	    "\"ssh_port\":22,\"host_keys\":[\"/x.pub\"]}");
	fclose(fp);
	assert_int_equal(wk_agent_state_load(dir, &back), 0);
	assert_int_equal(back.rotation_seq, 0);
	wk_agent_state_cleanup(&back);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unchanged_and_retire,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_with_statement,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_attacker, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_too_many_statements,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_and_stale, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_trust_parse, setup,
		    teardown),
		cmocka_unit_test(test_state_seq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
