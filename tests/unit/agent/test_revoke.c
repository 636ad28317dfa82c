/*
 * Tests for src/agent/revoke.c, revoke_apply.c, revoke_sessions.c: the
 * strict parser (every malformed revocation refused, none widened to
 * "everything"), what a revocation matches, applying a poll reply to the
 * key store, the session registry reader, and the pid_start check before
 * any signal.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <ftw.h>

#include "agent/agent.h"
#include "agent/sessions.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/time.h"
#include "crypto/keyrec.h"
#include "crypto/sshkey.h"

#define ALICE "arn:aws:iam::123456789012:user/alice"
#define BOB "arn:aws:iam::123456789012:user/bob"
#define INST "i-0123456789abcdef0"

static json_t *
js(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);

	assert_non_null(v);
	return v;
}

static int
parse(const char *text, struct wk_agent_rev *rv)
{
	json_t *v = js(text);
	const char *why;
	int r = wk_agent_rev_parse(v, rv, &why);

	if (r != 0)
		assert_non_null(why);
	json_decref(v);
	return r;
}

static void
test_parse_good(void **state)
{
	struct wk_agent_rev rv;

	(void)state;
	assert_int_equal(parse("{\"id\":3,\"at\":100,\"keep_until\":200,"
	    "\"caller\":\"" ALICE "\"}", &rv), 0);
	assert_int_equal(rv.id, 3);
	assert_int_equal(rv.at, 100);
	assert_string_equal(rv.caller, ALICE);
	assert_false(rv.by_ids);
	wk_agent_rev_cleanup(&rv);
	assert_int_equal(parse("{\"id\":4,\"at\":100,\"keep_until\":100,"
	    "\"request_ids\":[\"a-1\",\"b.2\"]}", &rv), 0);
	assert_true(rv.by_ids);
	assert_int_equal(rv.nids, 2);
	assert_string_equal(rv.ids[1], "b.2");
	wk_agent_rev_cleanup(&rv);
	assert_int_equal(parse("{\"id\":5,\"at\":1,\"keep_until\":2,"
	    "\"instance\":\"" INST "\",\"os_user\":\"ubuntu\"}", &rv), 0);
	wk_agent_rev_cleanup(&rv);
	/* an empty id list is a selector that matches nothing */
	assert_int_equal(parse("{\"id\":6,\"at\":1,\"keep_until\":2,"
	    "\"request_ids\":[]}", &rv), 0);
	wk_agent_rev_cleanup(&rv);
}

static void
test_parse_malformed(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"at\":1,\"keep_until\":2,\"caller\":\"arn:x\"}",
		"{\"id\":0,\"at\":1,\"keep_until\":2,\"caller\":\"arn:x\"}",
		"{\"id\":-1,\"at\":1,\"keep_until\":2,\"caller\":\"arn:x\"}",
		"{\"id\":1,\"at\":\"1\",\"keep_until\":2,\"caller\":\"arn:x\"}",
		"{\"id\":1,\"at\":1.5,\"keep_until\":2,\"caller\":\"arn:x\"}",
		"{\"id\":1,\"at\":5,\"keep_until\":2,\"caller\":\"arn:x\"}",
		"{\"id\":1,\"keep_until\":2,\"caller\":\"arn:x\"}",
		"{\"id\":1,\"at\":1,\"caller\":\"arn:x\"}",
		/* no selector: never "everything" */
		"{\"id\":1,\"at\":1,\"keep_until\":2}",
		"{\"id\":1,\"at\":1,\"keep_until\":2,\"os_user\":\"root\"}",
		"{\"id\":1,\"at\":1,\"keep_until\":2,\"caller\":\"\"}",
		"{\"id\":1,\"at\":1,\"keep_until\":2,\"caller\":\"a b\"}",
		"{\"id\":1,\"at\":1,\"keep_until\":2,\"caller\":7}",
		"{\"id\":1,\"at\":1,\"keep_until\":2,\"instance\":\"i-XYZ\"}",
		"{\"id\":1,\"at\":1,\"keep_until\":2,\"instance\":\"\"}",
		"{\"id\":1,\"at\":1,\"keep_until\":2,\"caller\":\"arn:x\","
		    "\"os_user\":\"bad user\"}",
		"{\"id\":1,\"at\":1,\"keep_until\":2,\"request_ids\":\"r\"}",
		"{\"id\":1,\"at\":1,\"keep_until\":2,\"request_ids\":[\"\"]}",
		"{\"id\":1,\"at\":1,\"keep_until\":2,\"request_ids\":[1]}",
		"{\"id\":1,\"at\":1,\"keep_until\":2,\"request_ids\":"
		    "[\"a b\"]}",
		"{\"id\":1,\"at\":1,\"keep_until\":2,\"caller\":\"arn:x\","
		    "\"everything\":true}",
		"{\"id\":1,\"at\":1,\"keep_until\":2,\"caller\":\"arn:x\","
		    "\"at_ms\":1}",
	};
	struct wk_agent_rev rv;
	json_t *ids, *o;
	const char *why;
	char id[16];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &rv) == 0)
			fail_msg("accepted: %s", bad[i]);
	}
	/* too many request ids */
	ids = json_array();
	for (int i = 0; i <= WK_AGENT_REV_MAX_IDS; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		json_array_append_new(ids, json_string(id));
	}
	o = json_pack("{s:i, s:i, s:i, s:o}", "id", 1, "at", 1, "keep_until",
	    2, "request_ids", ids);
	assert_int_equal(wk_agent_rev_parse(o, &rv, &why), WK_ERR_INVAL);
	json_decref(o);
}

static void
rec(struct wk_keyrec *r, const char *caller, const char *req, int64_t issued)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->caller_arn, sizeof(r->caller_arn), "%s", caller);
	snprintf(r->request_id, sizeof(r->request_id), "%s", req);
	snprintf(r->instance_id, sizeof(r->instance_id), INST);
	snprintf(r->os_user, sizeof(r->os_user), "ubuntu");
	r->issued = issued;
	r->expires = issued + 60;
}

static void
test_match(void **state)
{
	struct wk_agent_rev rv;
	struct wk_keyrec r;
	struct wk_agent_session s;

	(void)state;
	assert_int_equal(parse("{\"id\":1,\"at\":100,\"keep_until\":200,"
	    "\"caller\":\"" ALICE "\"}", &rv), 0);
	rec(&r, ALICE, "r1", 100);
	assert_true(wk_agent_rev_match_record(&rv, &r));
	rec(&r, ALICE, "r1", 101);	/* a later push */
	assert_false(wk_agent_rev_match_record(&rv, &r));
	rec(&r, BOB, "r1", 50);
	assert_false(wk_agent_rev_match_record(&rv, &r));

	memset(&s, 0, sizeof(s));
	snprintf(s.caller_arn, sizeof(s.caller_arn), ALICE);
	snprintf(s.instance_id, sizeof(s.instance_id), INST);
	snprintf(s.os_user, sizeof(s.os_user), "ubuntu");
	snprintf(s.request_id, sizeof(s.request_id), "r9");
	s.opened_at = 90;
	assert_true(wk_agent_rev_match_session(&rv, &s, false, 0));
	s.opened_at = 150;	/* opened after, issue time unknown: kept */
	assert_false(wk_agent_rev_match_session(&rv, &s, false, 0));
	/* opened after, but with a key issued before: ended */
	assert_true(wk_agent_rev_match_session(&rv, &s, true, 99));
	assert_false(wk_agent_rev_match_session(&rv, &s, true, 120));
	snprintf(s.caller_arn, sizeof(s.caller_arn), BOB);
	s.opened_at = 1;
	assert_false(wk_agent_rev_match_session(&rv, &s, false, 0));
	wk_agent_rev_cleanup(&rv);

	/* by ids: those pushes whatever the time; nothing else */
	assert_int_equal(parse("{\"id\":2,\"at\":100,\"keep_until\":200,"
	    "\"request_ids\":[\"r1\"]}", &rv), 0);
	rec(&r, BOB, "r1", 150);
	assert_true(wk_agent_rev_match_record(&rv, &r));
	rec(&r, BOB, "r2", 50);
	assert_false(wk_agent_rev_match_record(&rv, &r));
	wk_agent_rev_cleanup(&rv);

	/* instance + os_user */
	assert_int_equal(parse("{\"id\":3,\"at\":100,\"keep_until\":200,"
	    "\"instance\":\"" INST "\",\"os_user\":\"root\"}", &rv), 0);
	rec(&r, ALICE, "r1", 50);
	assert_false(wk_agent_rev_match_record(&rv, &r));
	snprintf(r.os_user, sizeof(r.os_user), "root");
	assert_true(wk_agent_rev_match_record(&rv, &r));
	wk_agent_rev_cleanup(&rv);
}

/* ---- applying a poll reply to the key store ---- */

struct fx {
	struct wk_signkey *key;
	struct wk_buf pub;
	char dir[64];
};

static int
setup(void **state)
{
	static struct fx f;
	struct wk_buf priv;

	memset(&f, 0, sizeof(f));
	wk_buf_init(&f.pub, 4096);
	wk_buf_init(&priv, 8192);
	assert_int_equal(wk_signkey_generate(&f.key), 0);
	assert_int_equal(wk_sshkey_generate_ed25519(&f.pub, &priv), 0);
	wk_buf_cleanup_secret(&priv);
	snprintf(f.dir, sizeof(f.dir), "/tmp/wk-revoke-XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	*state = &f;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	wk_signkey_free(f->key);
	wk_buf_cleanup(&f->pub);
	assert_int_equal(nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
	return 0;
}

static json_t *
signed_rec(struct fx *f, const char *caller, const char *req, int64_t issued)
{
	struct wk_keyrec r;
	struct wk_buf out;
	json_t *s;

	rec(&r, caller, req, issued);
	snprintf(r.pubkey, sizeof(r.pubkey), "%s", wk_buf_cstr(&f->pub));
	wk_buf_init(&out, WK_KEYREC_MAX_LEN);
	assert_int_equal(wk_keyrec_sign(&r, f->key, &out), 0);
	s = json_stringn((const char *)out.p, out.len);
	wk_buf_cleanup(&out);
	return s;
}

static size_t
held(struct wk_keystore *ks, time_t now)
{
	return wk_keystore_lookup(ks, "ubuntu", now, NULL, 0);
}

/* Signs every revocation of reply as wicketd does (revocations.c). */
static void
sign_revs(const struct fx *f, json_t *reply)
{
	json_t *revs = json_object_get(reply, "revocations"), *v;
	struct wk_pubkey pub;
	struct wk_buf msg, b64;
	uint8_t sig[WK_ED25519_SIG_LEN];
	char *text;
	size_t i;

	wk_signkey_public(f->key, &pub);
	json_array_foreach(revs, i, v) {
		text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		wk_buf_init(&msg, 256);
		wk_buf_init(&b64, 128);
		assert_int_equal(wk_buf_appendf(&msg, "wicket-revocation-v1\n%s",
		    text), 0);
		free(text);
		assert_int_equal(wk_signkey_sign(f->key, wk_span_from_mem(msg.p,
		    msg.len), sig), 0);
		assert_int_equal(wk_base64_encode(&b64, sig, sizeof(sig)), 0);
		json_object_set_new(v, "key_id", json_string(pub.id));
		json_object_set_new(v, "sig", json_string(wk_buf_cstr(&b64)));
		wk_buf_cleanup(&msg);
		wk_buf_cleanup(&b64);
	}
}

static void
write_trust(const struct fx *f)
{
	struct wk_pubkey pub;

	wk_signkey_public(f->key, &pub);
	assert_int_equal(wk_agent_trust_write(f->dir, INST, &pub, 1), 0);
}

static void
test_take(void **state)
{
	struct fx *f = *state;
	struct wk_agent_revoker *rv;
	struct wk_keystore *ks;
	time_t now = wk_wall_now();
	json_t *recs, *reply;
	char text[1024];
	size_t i;

	assert_int_equal(wk_keystore_new(16, &ks), 0);
	assert_int_equal(wk_agent_revoker_new(f->dir, INST, &rv), 0);
	write_trust(f);
	recs = json_array();
	json_array_append_new(recs, signed_rec(f, ALICE, "ra", now - 5));
	json_array_append_new(recs, signed_rec(f, BOB, "rb", now - 5));
	for (i = 0; i < json_array_size(recs); i++) {
		json_t *s = json_array_get(recs, i);

		assert_int_equal(wk_keystore_add(ks, wk_span_from_mem(
		    json_string_value(s), json_string_length(s)), now), 0);
	}
	assert_int_equal(held(ks, now), 2);

	/* not an array: refused whole, nothing dropped */
	reply = json_pack("{s:O, s:s}", "records", recs, "revocations",
	    "everything");
	wk_agent_revoker_take(rv, reply, ks, now);
	json_decref(reply);
	assert_int_equal(held(ks, now), 2);

	/* malformed ones and one for another host are ignored; the good
	 * one drops alice's record only */
	snprintf(text, sizeof(text), "{\"revocation_cursor\": 7, "
	    "\"revocations\": ["
	    "{\"id\":4,\"at\":%lld,\"keep_until\":%lld},"
	    "{\"id\":5,\"at\":%lld,\"keep_until\":%lld,\"caller\":\"" BOB "\","
	    "\"instance\":\"i-0000000000000000f\"},"
	    "{\"id\":6,\"at\":%lld,\"keep_until\":%lld,\"caller\":\"" BOB "\","
	    "\"bogus\":1},"
	    "{\"id\":7,\"at\":%lld,\"keep_until\":%lld,\"caller\":\"" ALICE
	    "\"}]}",
	    (long long)now, (long long)now + 100, (long long)now,
	    (long long)now + 100, (long long)now, (long long)now + 100,
	    (long long)now, (long long)now + 100);
	reply = js(text);
	/* unsigned (a man in the middle of a plain-http channel): refused */
	wk_agent_revoker_take(rv, reply, ks, now);
	assert_int_equal(held(ks, now), 2);
	assert_int_equal(wk_agent_revoker_refused(rv), 4);
	/* signed, then altered (bob's instead of alice's): refused */
	sign_revs(f, reply);
	{
		json_t *alt = json_deep_copy(reply);
		struct wk_agent_revoker *rv2;

		assert_int_equal(wk_agent_revoker_new(f->dir, INST, &rv2), 0);
		json_object_set_new(json_array_get(json_object_get(alt,
		    "revocations"), 3), "caller", json_string(BOB));
		wk_agent_revoker_take(rv2, alt, ks, now);
		assert_int_equal(held(ks, now), 2);
		assert_int_equal(wk_agent_revoker_refused(rv2), 1);
		json_decref(alt);
		wk_agent_revoker_free(rv2);
	}
	wk_agent_revoker_take(rv, reply, ks, now);
	json_decref(reply);
	assert_int_equal(held(ks, now), 1);
	assert_int_equal(wk_agent_revoker_cursor(rv), 7);

	/* a record of alice's issued before it, delivered later (a reply
	 * of an agent that was away): dropped by the held revocation */
	reply = json_pack("{s:[o]}", "records",
	    signed_rec(f, ALICE, "rc", now - 1));
	wk_keystore_add(ks, wk_span_from_mem(json_string_value(json_array_get(
	    json_object_get(reply, "records"), 0)), json_string_length(
	    json_array_get(json_object_get(reply, "records"), 0))), now);
	assert_int_equal(held(ks, now), 2);
	wk_agent_revoker_take(rv, reply, ks, now);
	json_decref(reply);
	assert_int_equal(held(ks, now), 1);
	/* the cursor never goes back */
	reply = js("{\"revocation_cursor\": 3}");
	wk_agent_revoker_take(rv, reply, ks, now);
	json_decref(reply);
	assert_int_equal(wk_agent_revoker_cursor(rv), 7);

	json_decref(recs);
	wk_agent_revoker_free(rv);
	wk_keystore_free(ks);
}

/* ---- the registry and the pid_start check ---- */

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
test_registry_and_signal(void **state)
{
	struct fx *f = *state;
	struct wk_agent_session *v = NULL;
	char path[256], text[1024], start[32];
	size_t n;
	pid_t child;
	int status;

	snprintf(path, sizeof(path), "%s/sessions", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(wk_agent_sessions_list(f->dir, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);

	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(wk_agent_proc_start("/proc", child, start,
	    sizeof(start)), 0);
	snprintf(path, sizeof(path), "%s/sessions/s-0000000000000001.json",
	    f->dir);
	snprintf(text, sizeof(text), "{\"session_id\":\"s-0000000000000001\","
	    "\"pid\":%d,\"pid_start\":\"%s\",\"os_user\":\"ubuntu\","
	    "\"fingerprint\":\"SHA256:x\",\"request_id\":\"r1\","
	    "\"caller_arn\":\"" ALICE "\",\"instance_id\":\"" INST "\","
	    "\"tty\":\"\",\"source\":\"\",\"opened_at\":100}", (int)child,
	    start);
	write_file(path, text);
	snprintf(path, sizeof(path), "%s/sessions/s-0000000000000002.json",
	    f->dir);
	write_file(path, "{\"session_id\": 7}");	/* skipped */
	snprintf(path, sizeof(path), "%s/sessions/.tmp-s-3.json", f->dir);
	write_file(path, text);				/* not an entry */
	assert_int_equal(wk_agent_sessions_list(f->dir, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].pid, child);
	assert_string_equal(v[0].caller_arn, ALICE);
	assert_int_equal(v[0].opened_at, 100);
	free(v);

	/* a pid whose start time differs is another process: untouched */
	assert_int_equal(wk_agent_proc_signal("/proc", child, "1", SIGTERM),
	    WK_ERR_DENIED);
	assert_int_equal(waitpid(child, &status, WNOHANG), 0);
	assert_int_equal(wk_agent_proc_signal("/proc", 1, "1", SIGTERM),
	    WK_ERR_DENIED);
	/* the registered process itself */
	assert_int_equal(wk_agent_proc_signal("/proc", child, start, SIGTERM),
	    0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(wk_agent_proc_signal("/proc", child, start, SIGTERM),
	    WK_ERR_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_match),
		cmocka_unit_test_setup_teardown(test_take, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_and_signal,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
