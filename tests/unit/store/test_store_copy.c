/*
 * test_store_copy.c - wk_store_copy_all (`wicketd store copy`) from a
 * SQLite store filled with every kind of entity into a fresh PostgreSQL
 * store: the copy answers the store's reads the same (policy version ids
 * with gaps, sealed secrets, login profiles, effective policies, group
 * members, instances and tags, join tokens, the audit log in order with
 * its login columns, the sessions still open, revocations), and
 * a second copy into it is refused.
 */
#include "store_fixture.h"

#include "common/alloc.h"
#include "server/wicketd.h"

#define DOC(n) "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":" \
	"\"Allow\",\"Action\":\"iam:Get" n "\",\"Resource\":\"*\"}]}"

/* An agent's Login (open) or Logout report of session sid. */
static void
login(struct fx *src, const char *sid, const char *eid, bool open)
{
	struct wk_audit_event ev;
	struct wk_session ses;

	memset(&ev, 0, sizeof(ev));
	memset(&ses, 0, sizeof(ses));
	ev.time_ms = 1700000001000;
	snprintf(ev.action, sizeof(ev.action), open ? "wicket:Login" :
	    "wicket:Logout");
	snprintf(ev.instance_id, sizeof(ev.instance_id), "i-0123456789abcdef0");
	snprintf(ev.request_id, sizeof(ev.request_id), "r-%s", sid);
	snprintf(ev.session_id, sizeof(ev.session_id), "%s", sid);
	snprintf(ev.event_id, sizeof(ev.event_id), "%s", eid);
	snprintf(ev.tty, sizeof(ev.tty), "pts/3");
	ev.sshd_pid = 77;
	ev.duration_ms = open ? 0 : 1234;
	snprintf(ses.session_id, sizeof(ses.session_id), "%s", sid);
	snprintf(ses.instance_id, sizeof(ses.instance_id), "%s", ev.instance_id);
	snprintf(ses.os_user, sizeof(ses.os_user), "ubuntu");
	snprintf(ses.tty, sizeof(ses.tty), "pts/3");
	ses.sshd_pid = 77;
	ses.opened_ms = ev.time_ms;
	assert_int_equal(wk_store_session_report(src->st, &ev, open,
	    open ? &ses : NULL), 0);
}

static void
fill(struct fx *src)
{
	struct wk_access_key k;
	struct wk_login_profile lp;
	struct wk_instance in;
	struct wk_tag t = { "Name", "web1" };
	struct wk_audit_event ev[3];
	char p[2048], q[2048], vid[8];

	assert_int_equal(wk_store_meta_set(src->st, "account_id",
	    "123456789012"), 0);
	assert_int_equal(wk_store_meta_set(src->st, "region", "eu-west-3"), 0);
	assert_int_equal(fx_add_policy(src, "P", DOC("1"), p), 0);
	assert_int_equal(wk_store_policy_version_create(src->st, p, DOC("2"),
	    false, vid), 0);
	assert_int_equal(wk_store_policy_version_create(src->st, p, DOC("3"),
	    false, vid), 0);
	assert_int_equal(wk_store_policy_version_create(src->st, p, DOC("4"),
	    true, vid), 0);
	assert_int_equal(wk_store_policy_version_delete(src->st, p, "v2"), 0);
	assert_int_equal(wk_store_policy_version_create(src->st, p, DOC("5"),
	    false, vid), 0);
	assert_int_equal(wk_store_policy_version_delete(src->st, p, "v1"), 0);
	assert_int_equal(fx_add_policy(src, "Q", DOC("q"), q), 0);

	assert_int_equal(fx_add_user(src, "alice"), 0);
	assert_int_equal(fx_add_user(src, "Bob"), 0);
	assert_int_equal(wk_store_user_tags_set(src->st, "alice", &t, 1), 0);
	memset(&k, 0, sizeof(k));
	snprintf(k.id, sizeof(k.id), "AKIAALICE0000000001");
	snprintf(k.user_name, sizeof(k.user_name), "alice");
	snprintf(k.secret, sizeof(k.secret), "s3cr3t/alice+key");
	k.active = true;
	k.create_date = 1700000001;
	assert_int_equal(wk_store_key_create(src->st, &k), 0);
	assert_int_equal(wk_store_key_touch(src->st, k.id, 1700000500, "iam",
	    "eu-west-3"), 0);
	memset(&lp, 0, sizeof(lp));
	snprintf(lp.user_name, sizeof(lp.user_name), "alice");
	snprintf(lp.password_hash, sizeof(lp.password_hash), "$argon2id$x");
	lp.reset_required = true;
	lp.create_date = 1700000002;
	assert_int_equal(wk_store_login_profile_put(src->st, &lp, true), 0);
	assert_int_equal(wk_store_user_policy_put(src->st, "alice", "Inl",
	    DOC("i")), 0);
	assert_int_equal(wk_store_attach_user(src->st, "alice", p), 0);
	assert_int_equal(fx_add_group(src, "G"), 0);
	assert_int_equal(wk_store_group_policy_put(src->st, "G", "GInl",
	    DOC("g")), 0);
	assert_int_equal(wk_store_attach_group(src->st, "G", q), 0);
	assert_int_equal(wk_store_group_add_user(src->st, "G", "alice"), 0);
	assert_int_equal(wk_store_group_add_user(src->st, "G", "Bob"), 0);

	memset(&in, 0, sizeof(in));
	snprintf(in.id, sizeof(in.id), "i-0123456789abcdef0");
	snprintf(in.hostname, sizeof(in.hostname), "web1");
	snprintf(in.address, sizeof(in.address), "10.0.0.7");
	snprintf(in.dns_name, sizeof(in.dns_name), "web1.lab");
	in.ssh_port = 2222;
	in.host_keys = (char *)(uintptr_t)"ssh-ed25519 AAAAC3Nz\n";
	snprintf(in.agent_secret_hash, sizeof(in.agent_secret_hash), "%064d",
	    7);
	in.create_date = 1700000003;
	assert_int_equal(wk_store_instance_create(src->st, &in), 0);
	assert_int_equal(wk_store_instance_touch(src->st, in.id, 1700000900),
	    0);
	assert_int_equal(wk_store_instance_tags_set(src->st, in.id, &t, 1), 0);
	for (int i = 0; i < 3; i++) {
		memset(&ev[i], 0, sizeof(ev[i]));
		ev[i].time_ms = 1700000000000 + i;
		snprintf(ev[i].request_id, sizeof(ev[i].request_id), "r%d", i);
		snprintf(ev[i].action, sizeof(ev[i].action),
		    "ec2-instance-connect:SendSSHPublicKey");
		snprintf(ev[i].decision, sizeof(ev[i].decision), "Allow");
		snprintf(ev[i].via, sizeof(ev[i].via), "api");
	}
	assert_int_equal(wk_store_audit_append_batch(src->st, ev, 3), 0);
	login(src, "s-1", "e-1", true);		/* still open */
	login(src, "s-2", "e-2", true);
	login(src, "s-2", "e-3", false);	/* closed */
	{
		struct wk_revocation rv;

		for (int i = 0; i < 2; i++) {
			memset(&rv, 0, sizeof(rv));
			rv.time_ms = 1000000 + i;
			rv.at = 1000 + i;
			rv.keep_until = 1100 + i;	/* long expired */
			snprintf(rv.instance_id, sizeof(rv.instance_id),
			    "i-0123456789abcdef0");
			rv.request_ids = (char *)(uintptr_t)(i ? "r1" : "r0");
			rv.by_request_ids = true;
			snprintf(rv.by_request_id, sizeof(rv.by_request_id),
			    "rv-%d", i);
			snprintf(rv.reason, sizeof(rv.reason), "RevokeSessions");
			assert_int_equal(wk_store_revocation_add(src->st, &rv),
			    0);
		}
	}
	assert_int_equal(wk_store_token_create(src->st, "aa11", 1900000000,
	    "10.0.0.0/8"), 0);
	assert_int_equal(wk_store_token_create(src->st, "bb22", 1600000000,
	    ""), 0);
	assert_int_equal(wk_store_token_create(src->st, "cc33", 1900000000,
	    ""), 0);
	assert_int_equal(wk_store_token_consume(src->st, "cc33", 1700000000),
	    0);
}

static void
same_versions(struct wk_store *a, struct wk_store *b, const char *arn)
{
	struct wk_policy_version *va = NULL, *vb = NULL;
	size_t na = 0, nb = 0;

	assert_int_equal(wk_store_policy_version_list(a, arn, &va, &na), 0);
	assert_int_equal(wk_store_policy_version_list(b, arn, &vb, &nb), 0);
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_string_equal(va[i].version_id, vb[i].version_id);
		assert_int_equal(va[i].is_default, vb[i].is_default);
		assert_string_equal(va[i].document, vb[i].document);
	}
	wk_policy_version_list_free(va, na);
	wk_policy_version_list_free(vb, nb);
}

static void
same_effective(struct wk_store *a, struct wk_store *b, const char *user)
{
	struct wk_effective_policy *ea = NULL, *eb = NULL;
	size_t na = 0, nb = 0;

	assert_int_equal(wk_store_effective_policies(a, user, &ea, &na), 0);
	assert_int_equal(wk_store_effective_policies(b, user, &eb, &nb), 0);
	assert_int_equal(na, nb);
	assert_int_equal(na, 4);
	for (size_t i = 0; i < na; i++) {
		assert_string_equal(ea[i].source, eb[i].source);
		assert_string_equal(ea[i].document, eb[i].document);
	}
	wk_effective_policy_list_free(ea, na);
	wk_effective_policy_list_free(eb, nb);
}

static void
test_copy(void **state)
{
	struct fx *dst = *state;
	struct fx src;
	struct wk_access_key k;
	struct wk_login_profile lp;
	struct wk_instance *ia = NULL, *ib = NULL;
	struct wk_tag *tags = NULL;
	struct wk_audit_event *ev = NULL;
	struct wk_user *m = NULL;
	char why[256] = "", *v = NULL;
	size_t n = 0, nb = 0;

	memset(&src, 0, sizeof(src));
	memcpy(src.key, dst->key, sizeof(src.key));
	snprintf(src.dir, sizeof(src.dir), "/tmp/wk-store-copy-XXXXXX");
	assert_non_null(mkdtemp(src.dir));
	snprintf(src.path, sizeof(src.path), "%s/wicket.db", src.dir);
	assert_int_equal(wk_store_open(src.path, src.key, &src.st), 0);
	fill(&src);

	assert_int_equal(wk_store_copy_all(src.st, dst->st, why, sizeof(why)),
	    0);

	assert_int_equal(wk_store_meta_get(dst->st, "region", &v), 0);
	assert_string_equal(v, "eu-west-3");
	wk_free(v);
	same_versions(src.st, dst->st, "arn:aws:iam::123456789012:policy/P");
	same_versions(src.st, dst->st, "arn:aws:iam::123456789012:policy/Q");
	same_effective(src.st, dst->st, "alice");
	assert_int_equal(wk_store_key_get(dst->st, "AKIAALICE0000000001", &k),
	    0);
	assert_string_equal(k.secret, "s3cr3t/alice+key");
	assert_int_equal(k.last_used, 1700000500);
	assert_string_equal(k.last_used_region, "eu-west-3");
	wk_explicit_bzero(&k, sizeof(k));
	assert_int_equal(wk_store_login_profile_get(dst->st, "alice", &lp), 0);
	assert_string_equal(lp.password_hash, "$argon2id$x");
	assert_true(lp.reset_required);
	assert_int_equal(wk_store_group_members(dst->st, "G", &m, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].name, "alice");
	assert_string_equal(m[1].name, "Bob");
	wk_store_free(m);
	assert_int_equal(wk_store_user_tags_list(dst->st, "alice", &tags, &n),
	    0);
	assert_int_equal(n, 1);
	wk_store_free(tags);

	assert_int_equal(wk_store_instance_list(src.st, &ia, &n), 0);
	assert_int_equal(wk_store_instance_list(dst->st, &ib, &nb), 0);
	assert_int_equal(n, 1);
	assert_int_equal(nb, 1);
	assert_string_equal(ia[0].dns_name, ib[0].dns_name);
	assert_string_equal(ia[0].host_keys, ib[0].host_keys);
	assert_string_equal(ia[0].agent_secret_hash, ib[0].agent_secret_hash);
	assert_int_equal(ia[0].last_seen, ib[0].last_seen);
	assert_int_equal(ia[0].create_date, ib[0].create_date);
	wk_instance_list_free(ia, n);
	wk_instance_list_free(ib, nb);
	assert_int_equal(wk_store_instance_tags_list(dst->st,
	    "i-0123456789abcdef0", &tags, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(tags[0].value, "web1");
	wk_store_free(tags);

	assert_int_equal(wk_store_audit_query(dst->st, NULL, &ev, &n), 0);
	assert_int_equal(n, 6);
	assert_string_equal(ev[0].action, "wicket:Logout");	/* newest */
	assert_string_equal(ev[0].session_id, "s-2");
	assert_string_equal(ev[0].event_id, "e-3");
	assert_string_equal(ev[0].tty, "pts/3");
	assert_int_equal(ev[0].sshd_pid, 77);
	assert_int_equal(ev[0].duration_ms, 1234);
	assert_string_equal(ev[2].session_id, "s-1");
	assert_string_equal(ev[3].request_id, "r2");
	assert_string_equal(ev[5].request_id, "r0");
	wk_store_free(ev);
	{
		struct wk_audit_filter af;
		struct wk_session *ses = NULL;
		struct wk_revocation *rv = NULL;

		memset(&af, 0, sizeof(af));
		af.session_id = "s-2";
		assert_int_equal(wk_store_audit_query(dst->st, &af, &ev, &n),
		    0);
		assert_int_equal(n, 2);
		wk_store_free(ev);
		/* the open session came along; the closed one did not */
		assert_int_equal(wk_store_session_list(dst->st, NULL, &ses, &n),
		    0);
		assert_int_equal(n, 1);
		assert_string_equal(ses[0].session_id, "s-1");
		assert_int_equal(ses[0].sshd_pid, 77);
		wk_store_free(ses);
		/* revocations, expired ones too, in order */
		assert_int_equal(wk_store_revocation_list(dst->st, 0, NULL,
		    (time_t)-1, 10, &rv, &n), 0);
		assert_int_equal(n, 2);
		assert_string_equal(rv[0].request_ids, "r0");
		assert_string_equal(rv[1].by_request_id, "rv-1");
		assert_int_equal(rv[1].keep_until, 1101);
		wk_store_revocations_free(rv, n);
	}

	/* join tokens answer the same: unused, expired, used */
	{
		char allow[WK_STORE_TOKEN_ALLOW_MAX + 1];

		assert_int_equal(wk_store_token_allow(dst->st, "aa11",
		    1700000000, allow, sizeof(allow)), 0);
		assert_string_equal(allow, "10.0.0.0/8");
		assert_int_equal(wk_store_token_allow(dst->st, "bb22",
		    1700000000, allow, sizeof(allow)), WK_ERR_EXPIRED);
		assert_int_equal(wk_store_token_consume(dst->st, "cc33",
		    1700000000), WK_ERR_NOTFOUND);
		assert_int_equal(wk_store_token_consume(dst->st, "aa11",
		    1700000000), 0);
	}

	/* only into an empty store */
	assert_int_equal(wk_store_copy_all(src.st, dst->st, why, sizeof(why)),
	    WK_ERR_EXISTS);

	wk_store_close(src.st);
	fx_unlink(src.dir, "wicket.db");
	fx_unlink(src.dir, "wicket.db-wal");
	fx_unlink(src.dir, "wicket.db-shm");
	rmdir(src.dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copy, fx_setup,
		    fx_teardown),
	};

	/* SQLite into SQLite, then SQLite into PostgreSQL */
	return FX_RUN_BOTH("store_copy", tests);
}
