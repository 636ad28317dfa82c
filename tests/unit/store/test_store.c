/*
 * test_store.c - the store's IAM half (users, keys, managed and inline
 * policies, groups, login profiles, effective policies, generation),
 * against a fresh store per test on each backend (SQLite, PostgreSQL).
 */
#include "store_fixture.h"

#include "common/alloc.h"

#define DOC "{\"Version\":\"2012-10-17\",\"Statement\":[]}"

static void
test_open_bad_args(void **state)
{
	struct wk_store *st = (struct wk_store *)(uintptr_t)1;
	uint8_t key[WK_MASTER_KEY_LEN] = { 0 };

	(void)state;
	assert_int_equal(wk_store_open(NULL, key, &st), WK_ERR_INVAL);
	assert_null(st);
	assert_int_equal(wk_store_open("", key, &st), WK_ERR_INVAL);
	assert_int_equal(wk_store_open("/x.db", NULL, &st), WK_ERR_INVAL);
	/* a password on the command line is refused before any connection */
	assert_int_equal(wk_store_open("postgres://u:secret@db/wicket", key,
	    &st), WK_ERR_INVAL);
	assert_int_equal(wk_store_open("postgresql:///w?password=x", key,
	    &st), WK_ERR_INVAL);
	assert_null(st);
	assert_int_not_equal(wk_store_open("/nonexistent-dir/x/y.db", key,
	    &st), 0);
	assert_null(st);
	wk_store_close(NULL);
}

static void
test_meta(void **state)
{
	struct fx *f = *state;
	char *v = NULL;

	assert_int_equal(wk_store_meta_get(f->st, "account_id", &v),
	    WK_ERR_NOTFOUND);
	assert_null(v);
	assert_int_equal(wk_store_meta_set(f->st, "account_id", "123"), 0);
	assert_int_equal(wk_store_meta_set(f->st, "account_id",
	    "123456789012"), 0);
	assert_int_equal(wk_store_meta_get(f->st, "account_id", &v), 0);
	assert_string_equal(v, "123456789012");
	wk_store_free(v);
	assert_int_equal(wk_store_meta_set(f->st, NULL, "x"), WK_ERR_INVAL);
	assert_int_equal(wk_store_meta_set(f->st, "k", NULL), WK_ERR_INVAL);
}

static void
test_user_crud(void **state)
{
	struct fx *f = *state;
	struct wk_user u, got;
	char big[100];

	fx_user(&u, "Alice", "/eng/");
	assert_int_equal(wk_store_user_create(f->st, &u), 0);
	/* unique case-insensitively, stored as given */
	fx_user(&u, "alice", "/");
	assert_int_equal(wk_store_user_create(f->st, &u), WK_ERR_EXISTS);
	assert_int_equal(wk_store_user_get(f->st, "ALICE", &got), 0);
	assert_string_equal(got.name, "Alice");
	assert_string_equal(got.path, "/eng/");
	assert_string_equal(got.id, "AIDAAlice");
	assert_int_equal(got.create_date, 1700000000);
	assert_int_equal(got.password_last_used, 0);
	assert_int_equal(wk_store_user_get(f->st, "bob", &got),
	    WK_ERR_NOTFOUND);

	/* bad input */
	memset(&u, 0, sizeof(u));
	assert_int_equal(wk_store_user_create(f->st, &u), WK_ERR_INVAL);
	fx_user(&u, "x", "/");
	memset(u.name, 'a', sizeof(u.name));	/* unterminated */
	assert_int_equal(wk_store_user_create(f->st, &u), WK_ERR_TOOBIG);
	assert_int_equal(wk_store_user_get(f->st, NULL, &got), WK_ERR_INVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(wk_store_user_get(f->st, big, &got),
	    WK_ERR_NOTFOUND);
	big[64] = '\0';	/* 64 bytes: IAM's maximum, accepted */
	fx_user(&u, big, "/");
	assert_int_equal(wk_store_user_create(f->st, &u), 0);
	assert_int_equal(wk_store_user_get(f->st, big, &got), 0);

	/* rename keeps the row; new name taken -> EXISTS */
	assert_int_equal(fx_add_user(f, "bob"), 0);
	assert_int_equal(wk_store_user_update(f->st, "alice", "BOB", NULL,
	    NULL), WK_ERR_EXISTS);
	assert_int_equal(wk_store_user_update(f->st, "alice", "carol",
	    "/ops/", "arn:aws:iam::123456789012:user/ops/carol"), 0);
	assert_int_equal(wk_store_user_get(f->st, "alice", &got),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_user_get(f->st, "carol", &got), 0);
	assert_string_equal(got.path, "/ops/");
	assert_string_equal(got.id, "AIDAAlice");
	assert_string_equal(got.arn,
	    "arn:aws:iam::123456789012:user/ops/carol");
	/* case-only rename of itself is allowed */
	assert_int_equal(wk_store_user_update(f->st, "carol", "Carol", NULL,
	    NULL), 0);
	assert_int_equal(wk_store_user_get(f->st, "carol", &got), 0);
	assert_string_equal(got.name, "Carol");
	assert_int_equal(wk_store_user_update(f->st, "nobody", "x", NULL,
	    NULL), WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_user_update(f->st, "carol", "", NULL, NULL),
	    WK_ERR_INVAL);

	assert_int_equal(wk_store_user_touch_password(f->st, "carol", 42), 0);
	assert_int_equal(wk_store_user_get(f->st, "carol", &got), 0);
	assert_int_equal(got.password_last_used, 42);
	assert_int_equal(wk_store_user_touch_password(f->st, "zed", 42),
	    WK_ERR_NOTFOUND);

	assert_int_equal(wk_store_user_delete(f->st, "CAROL"), 0);
	assert_int_equal(wk_store_user_delete(f->st, "carol"),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_user_get(f->st, "carol", &got),
	    WK_ERR_NOTFOUND);
}

static void
test_user_pagination(void **state)
{
	struct fx *f = *state;
	struct wk_user *v = NULL;
	char name[32], *marker = NULL, *next = NULL, prev[65] = "";
	size_t n, total = 0, pages = 0, i;
	struct wk_user u;

	for (i = 0; i < 250; i++) {
		snprintf(name, sizeof(name), "user%03zu", (i * 37) % 250);
		fx_user(&u, name, i % 2 ? "/odd/" : "/even/");
		assert_int_equal(wk_store_user_create(f->st, &u), 0);
	}
	do {
		assert_int_equal(wk_store_user_list(f->st, NULL, marker, 0, &v,
		    &n, &next), 0);
		pages++;
		for (i = 0; i < n; i++) {
			assert_true(strcmp(prev, v[i].name) < 0);
			snprintf(prev, sizeof(prev), "%s", v[i].name);
		}
		total += n;
		wk_store_free(v);
		wk_store_free(marker);
		marker = next;
		if (next != NULL)
			assert_int_equal(n, 100);
	} while (marker != NULL);
	assert_int_equal(total, 250);
	assert_int_equal(pages, 3);
	assert_string_equal(prev, "user249");

	/* small pages, path prefix */
	total = 0;
	marker = NULL;
	do {
		assert_int_equal(wk_store_user_list(f->st, "/odd/", marker, 7,
		    &v, &n, &next), 0);
		for (i = 0; i < n; i++)
			assert_string_equal(v[i].path, "/odd/");
		assert_true(n <= 7);
		total += n;
		wk_store_free(v);
		wk_store_free(marker);
		marker = next;
	} while (marker != NULL);
	assert_int_equal(total, 125);

	assert_int_equal(wk_store_user_list(f->st, "/none/", NULL, 0, &v, &n,
	    &next), 0);
	assert_int_equal(n, 0);
	assert_null(next);
	wk_store_free(v);
	/* exactly max_items left: not truncated */
	assert_int_equal(wk_store_user_list(f->st, NULL, "user240", 10, &v,
	    &n, &next), 0);
	assert_int_equal(n, 10);
	assert_null(next);
	wk_store_free(v);
}

static void
test_user_tags(void **state)
{
	struct fx *f = *state;
	struct wk_tag tags[51], *v = NULL;
	const char *rm[] = { "team", "absent" };
	size_t n, i;

	assert_int_equal(fx_add_user(f, "alice"), 0);
	memset(tags, 0, sizeof(tags));
	snprintf(tags[0].key, sizeof(tags[0].key), "team");
	snprintf(tags[0].value, sizeof(tags[0].value), "infra");
	snprintf(tags[1].key, sizeof(tags[1].key), "env");
	assert_int_equal(wk_store_user_tags_set(f->st, "alice", tags, 2), 0);
	snprintf(tags[0].value, sizeof(tags[0].value), "sec");
	assert_int_equal(wk_store_user_tags_set(f->st, "Alice", tags, 1), 0);
	assert_int_equal(wk_store_user_tags_list(f->st, "alice", &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].key, "env");
	assert_string_equal(v[0].value, "");
	assert_string_equal(v[1].key, "team");
	assert_string_equal(v[1].value, "sec");
	wk_store_free(v);
	assert_int_equal(wk_store_user_tags_remove(f->st, "alice", rm, 2), 0);
	assert_int_equal(wk_store_user_tags_list(f->st, "alice", &v, &n), 0);
	assert_int_equal(n, 1);
	wk_store_free(v);

	/* limits and bad input */
	for (i = 0; i < 51; i++)
		snprintf(tags[i].key, sizeof(tags[i].key), "k%zu", i);
	assert_int_equal(wk_store_user_tags_set(f->st, "alice", tags, 51),
	    WK_ERR_LIMIT);
	/* 49 new + "env" = 50: fine; one more: LIMIT, nothing written */
	assert_int_equal(wk_store_user_tags_set(f->st, "alice", tags, 49), 0);
	assert_int_equal(wk_store_user_tags_set(f->st, "alice", &tags[49], 1),
	    WK_ERR_LIMIT);
	assert_int_equal(wk_store_user_tags_list(f->st, "alice", &v, &n), 0);
	assert_int_equal(n, 50);
	wk_store_free(v);
	tags[0].key[0] = '\0';
	assert_int_equal(wk_store_user_tags_set(f->st, "alice", tags, 1),
	    WK_ERR_INVAL);
	memset(tags[0].key, 'k', sizeof(tags[0].key));
	assert_int_equal(wk_store_user_tags_set(f->st, "alice", tags, 1),
	    WK_ERR_TOOBIG);
	assert_int_equal(wk_store_user_tags_list(f->st, "bob", &v, &n),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_user_tags_set(f->st, "bob", &tags[1], 1),
	    WK_ERR_NOTFOUND);
	/* tags do not block DeleteUser and go with the user */
	assert_int_equal(wk_store_user_delete(f->st, "alice"), 0);
	assert_int_equal(fx_add_user(f, "alice"), 0);
	assert_int_equal(wk_store_user_tags_list(f->st, "alice", &v, &n), 0);
	assert_int_equal(n, 0);
	wk_store_free(v);
}

static void
mkkey(struct wk_access_key *k, const char *id, const char *user,
    const char *secret)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->id, sizeof(k->id), "%s", id);
	snprintf(k->user_name, sizeof(k->user_name), "%s", user);
	snprintf(k->secret, sizeof(k->secret), "%s", secret);
	k->active = true;
	k->create_date = 1700000100;
}

static void
test_access_keys(void **state)
{
	struct fx *f = *state;
	struct wk_access_key k, got, *v = NULL;
	size_t n;

	assert_int_equal(fx_add_user(f, "alice"), 0);
	mkkey(&k, "AKIAAAAAAAAAAAAAAAA1", "alice",
	    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
	assert_int_equal(wk_store_key_create(f->st, &k), 0);
	assert_int_equal(wk_store_key_create(f->st, &k), WK_ERR_EXISTS);
	assert_int_equal(wk_store_key_get(f->st, k.id, &got), 0);
	assert_string_equal(got.secret,
	    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
	assert_string_equal(got.user_name, "alice");
	assert_true(got.active);
	assert_int_equal(got.create_date, 1700000100);
	wk_explicit_bzero(got.secret, sizeof(got.secret));

	mkkey(&k, "AKIAAAAAAAAAAAAAAAA2", "ALICE", "second");
	assert_int_equal(wk_store_key_create(f->st, &k), 0);
	mkkey(&k, "AKIAAAAAAAAAAAAAAAA3", "alice", "third");
	assert_int_equal(wk_store_key_create(f->st, &k), WK_ERR_LIMIT);
	mkkey(&k, "AKIAAAAAAAAAAAAAAAA3", "bob", "third");
	assert_int_equal(wk_store_key_create(f->st, &k), WK_ERR_NOTFOUND);
	mkkey(&k, "AKIAAAAAAAAAAAAAAAA3", "alice", "");
	assert_int_equal(wk_store_key_create(f->st, &k), WK_ERR_INVAL);

	assert_int_equal(wk_store_key_list(f->st, "alice", &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].secret, "");
	assert_string_equal(v[1].secret, "");
	wk_store_free(v);
	assert_int_equal(wk_store_key_list(f->st, "bob", &v, &n),
	    WK_ERR_NOTFOUND);

	assert_int_equal(wk_store_key_set_active(f->st, "alice",
	    "AKIAAAAAAAAAAAAAAAA2", false), 0);
	assert_int_equal(wk_store_key_get(f->st, "AKIAAAAAAAAAAAAAAAA2", &got),
	    0);
	assert_false(got.active);
	assert_string_equal(got.secret, "second");
	/* another user's key is not found through this user */
	assert_int_equal(fx_add_user(f, "bob"), 0);
	assert_int_equal(wk_store_key_set_active(f->st, "bob",
	    "AKIAAAAAAAAAAAAAAAA2", true), WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_key_delete(f->st, "bob",
	    "AKIAAAAAAAAAAAAAAAA2"), WK_ERR_NOTFOUND);

	assert_int_equal(wk_store_key_touch(f->st, "AKIAAAAAAAAAAAAAAAA1",
	    1700000200, "ec2-instance-connect", "us-east-1"), 0);
	assert_int_equal(wk_store_key_get(f->st, "AKIAAAAAAAAAAAAAAAA1", &got),
	    0);
	assert_int_equal(got.last_used, 1700000200);
	assert_string_equal(got.last_used_service, "ec2-instance-connect");
	assert_string_equal(got.last_used_region, "us-east-1");
	assert_int_equal(wk_store_key_touch(f->st, "AKIANOPE", 1, "s", "r"),
	    WK_ERR_NOTFOUND);

	/* DeleteUser refused while keys exist */
	assert_int_equal(wk_store_user_delete(f->st, "alice"),
	    WK_ERR_CONFLICT);
	assert_int_equal(wk_store_key_delete(f->st, "alice",
	    "AKIAAAAAAAAAAAAAAAA1"), 0);
	assert_int_equal(wk_store_key_delete(f->st, "alice",
	    "AKIAAAAAAAAAAAAAAAA1"), WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_key_get(f->st, "AKIAAAAAAAAAAAAAAAA1", &got),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_key_delete(f->st, "alice",
	    "AKIAAAAAAAAAAAAAAAA2"), 0);
	assert_int_equal(wk_store_user_delete(f->st, "alice"), 0);
}

static void
test_managed_policies(void **state)
{
	struct fx *f = *state;
	struct wk_managed_policy p, *pv = NULL;
	struct wk_policy_version ver, *vv = NULL;
	char arn[2048], vid[8], *next = NULL;
	size_t n;

	assert_int_equal(fx_add_policy(f, "Push", DOC, arn), 0);
	assert_int_equal(fx_add_policy(f, "PUSH", DOC, NULL), WK_ERR_EXISTS);
	assert_int_equal(fx_add_policy(f, "Empty", "", NULL), WK_ERR_INVAL);
	assert_int_equal(wk_store_policy_get(f->st, arn, &p), 0);
	assert_string_equal(p.name, "Push");
	assert_string_equal(p.default_version, "v1");
	assert_int_equal(p.attachment_count, 0);
	assert_int_equal(wk_store_policy_get(f->st,
	    "arn:aws:iam::123456789012:policy/none", &p), WK_ERR_NOTFOUND);

	/* versions v2..v5, then LIMIT */
	assert_int_equal(wk_store_policy_version_create(f->st, arn, "{\"v\":2}",
	    false, vid), 0);
	assert_string_equal(vid, "v2");
	assert_int_equal(wk_store_policy_version_create(f->st, arn, "{\"v\":3}",
	    true, vid), 0);
	assert_string_equal(vid, "v3");
	assert_int_equal(wk_store_policy_version_create(f->st, arn, "{\"v\":4}",
	    false, vid), 0);
	assert_int_equal(wk_store_policy_version_create(f->st, arn, "{\"v\":5}",
	    false, vid), 0);
	assert_string_equal(vid, "v5");
	assert_int_equal(wk_store_policy_version_create(f->st, arn, "{\"v\":6}",
	    false, vid), WK_ERR_LIMIT);
	assert_int_equal(wk_store_policy_get(f->st, arn, &p), 0);
	assert_string_equal(p.default_version, "v3");

	assert_int_equal(wk_store_policy_version_get(f->st, arn, "v3", &ver),
	    0);
	assert_true(ver.is_default);
	assert_string_equal(ver.document, "{\"v\":3}");
	wk_policy_version_cleanup(&ver);
	assert_int_equal(wk_store_policy_version_get(f->st, arn, "v9", &ver),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_policy_version_get(f->st, arn, "x1", &ver),
	    WK_ERR_INVAL);
	assert_int_equal(wk_store_policy_version_get(f->st, arn, "v01", &ver),
	    WK_ERR_INVAL);

	assert_int_equal(wk_store_policy_version_list(f->st, arn, &vv, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(vv[0].version_id, "v5");
	assert_false(vv[0].is_default);
	assert_true(vv[2].is_default);
	assert_string_equal(vv[4].document, DOC);
	wk_policy_version_list_free(vv, n);

	/* default version cannot be deleted; others can; ids never reused */
	assert_int_equal(wk_store_policy_version_delete(f->st, arn, "v3"),
	    WK_ERR_CONFLICT);
	assert_int_equal(wk_store_policy_version_delete(f->st, arn, "v5"), 0);
	assert_int_equal(wk_store_policy_version_delete(f->st, arn, "v5"),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_policy_version_create(f->st, arn, "{}",
	    false, vid), 0);
	assert_string_equal(vid, "v6");

	/* DeletePolicy refused while non-default versions exist */
	assert_int_equal(wk_store_policy_delete(f->st, arn), WK_ERR_CONFLICT);
	assert_int_equal(wk_store_policy_version_set_default(f->st, arn, "v6"),
	    0);
	assert_int_equal(wk_store_policy_version_set_default(f->st, arn, "v5"),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_policy_version_delete(f->st, arn, "v1"), 0);
	assert_int_equal(wk_store_policy_version_delete(f->st, arn, "v2"), 0);
	assert_int_equal(wk_store_policy_version_delete(f->st, arn, "v3"), 0);
	assert_int_equal(wk_store_policy_version_delete(f->st, arn, "v4"), 0);

	/* list, only_attached, then refused while attached */
	assert_int_equal(fx_add_policy(f, "Other", DOC, NULL), 0);
	assert_int_equal(fx_add_user(f, "alice"), 0);
	assert_int_equal(wk_store_attach_user(f->st, "alice", arn), 0);
	assert_int_equal(wk_store_policy_list(f->st, NULL, false, NULL, 0, &pv,
	    &n, &next), 0);
	assert_int_equal(n, 2);
	assert_string_equal(pv[0].name, "Other");
	assert_null(next);
	wk_store_free(pv);
	assert_int_equal(wk_store_policy_list(f->st, "/", true, NULL, 0, &pv,
	    &n, &next), 0);
	assert_int_equal(n, 1);
	assert_string_equal(pv[0].name, "Push");
	assert_int_equal(pv[0].attachment_count, 1);
	assert_string_equal(pv[0].default_version, "v6");
	wk_store_free(pv);
	assert_int_equal(wk_store_policy_list(f->st, NULL, false, NULL, 1, &pv,
	    &n, &next), 0);
	assert_int_equal(n, 1);
	assert_string_equal(next, "Push");
	wk_store_free(pv);
	wk_store_free(next);

	assert_int_equal(wk_store_policy_delete(f->st, arn), WK_ERR_CONFLICT);
	assert_int_equal(wk_store_detach_user(f->st, "alice", arn), 0);
	assert_int_equal(wk_store_policy_delete(f->st, arn), 0);
	assert_int_equal(wk_store_policy_delete(f->st, arn), WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_policy_version_list(f->st, arn, &vv, &n),
	    WK_ERR_NOTFOUND);
}

static void
test_attachments(void **state)
{
	struct fx *f = *state;
	struct wk_managed_policy p, *pv = NULL;
	char arns[11][2048], name[16], **users = NULL, **groups = NULL;
	size_t n, nu, ng, i;

	assert_int_equal(fx_add_user(f, "alice"), 0);
	assert_int_equal(fx_add_user(f, "bob"), 0);
	assert_int_equal(fx_add_group(f, "Admins"), 0);
	for (i = 0; i < 11; i++) {
		snprintf(name, sizeof(name), "P%02zu", i);
		assert_int_equal(fx_add_policy(f, name, DOC, arns[i]), 0);
	}
	for (i = 0; i < 10; i++)
		assert_int_equal(wk_store_attach_user(f->st, "alice", arns[i]),
		    0);
	/* twice: no-op success; 11th: LIMIT */
	assert_int_equal(wk_store_attach_user(f->st, "alice", arns[0]), 0);
	assert_int_equal(wk_store_attach_user(f->st, "alice", arns[10]),
	    WK_ERR_LIMIT);
	assert_int_equal(wk_store_policy_get(f->st, arns[0], &p), 0);
	assert_int_equal(p.attachment_count, 1);
	assert_int_equal(wk_store_attach_user(f->st, "nobody", arns[0]),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_attach_user(f->st, "alice",
	    "arn:aws:iam::123456789012:policy/none"), WK_ERR_NOTFOUND);

	assert_int_equal(wk_store_attach_user(f->st, "bob", arns[0]), 0);
	assert_int_equal(wk_store_attach_group(f->st, "admins", arns[0]), 0);
	assert_int_equal(wk_store_attach_group(f->st, "admins", arns[0]), 0);
	assert_int_equal(wk_store_policy_get(f->st, arns[0], &p), 0);
	assert_int_equal(p.attachment_count, 3);
	assert_int_equal(wk_store_policy_entities(f->st, arns[0], &users, &nu,
	    &groups, &ng), 0);
	assert_int_equal(nu, 2);
	assert_string_equal(users[0], "alice");
	assert_string_equal(users[1], "bob");
	assert_int_equal(ng, 1);
	assert_string_equal(groups[0], "Admins");
	wk_store_strv_free(users, nu);
	wk_store_strv_free(groups, ng);
	assert_int_equal(wk_store_policy_entities(f->st, "nope", &users, &nu,
	    &groups, &ng), WK_ERR_NOTFOUND);

	assert_int_equal(wk_store_attached_user_list(f->st, "ALICE", &pv, &n),
	    0);
	assert_int_equal(n, 10);
	assert_string_equal(pv[0].name, "P00");
	assert_string_equal(pv[0].arn, arns[0]);
	wk_store_free(pv);
	assert_int_equal(wk_store_attached_group_list(f->st, "Admins", &pv,
	    &n), 0);
	assert_int_equal(n, 1);
	wk_store_free(pv);
	assert_int_equal(wk_store_attached_group_list(f->st, "none", &pv, &n),
	    WK_ERR_NOTFOUND);

	/* DeleteUser / DeleteGroup refused while attached */
	assert_int_equal(wk_store_user_delete(f->st, "bob"), WK_ERR_CONFLICT);
	assert_int_equal(wk_store_group_delete(f->st, "Admins"),
	    WK_ERR_CONFLICT);
	assert_int_equal(wk_store_detach_user(f->st, "bob", arns[0]), 0);
	assert_int_equal(wk_store_detach_user(f->st, "bob", arns[0]),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_detach_group(f->st, "admins", arns[0]), 0);
	assert_int_equal(wk_store_detach_group(f->st, "admins", arns[0]),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_policy_get(f->st, arns[0], &p), 0);
	assert_int_equal(p.attachment_count, 1);
	assert_int_equal(wk_store_user_delete(f->st, "bob"), 0);
	assert_int_equal(wk_store_group_delete(f->st, "Admins"), 0);
}

static void
test_inline_policies(void **state)
{
	struct fx *f = *state;
	struct wk_inline_policy ip;
	char **names = NULL;
	size_t n;

	assert_int_equal(fx_add_user(f, "alice"), 0);
	assert_int_equal(fx_add_group(f, "devs"), 0);
	assert_int_equal(wk_store_user_policy_put(f->st, "alice", "Mine", DOC),
	    0);
	assert_int_equal(wk_store_user_policy_put(f->st, "alice", "mine",
	    "{\"new\":1}"), 0);
	assert_int_equal(wk_store_user_policy_put(f->st, "alice", "B", DOC),
	    0);
	assert_int_equal(wk_store_user_policy_put(f->st, "nobody", "B", DOC),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_user_policy_put(f->st, "alice", "", DOC),
	    WK_ERR_INVAL);
	assert_int_equal(wk_store_user_policy_get(f->st, "alice", "MINE", &ip),
	    0);
	assert_string_equal(ip.name, "Mine");
	assert_string_equal(ip.document, "{\"new\":1}");
	wk_inline_policy_cleanup(&ip);
	assert_null(ip.document);
	assert_int_equal(wk_store_user_policy_get(f->st, "alice", "zz", &ip),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_user_policy_list(f->st, "alice", &names,
	    &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "B");
	assert_string_equal(names[1], "Mine");
	wk_store_strv_free(names, n);

	assert_int_equal(wk_store_user_delete(f->st, "alice"),
	    WK_ERR_CONFLICT);
	assert_int_equal(wk_store_user_policy_delete(f->st, "alice", "b"), 0);
	assert_int_equal(wk_store_user_policy_delete(f->st, "alice", "b"),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_user_policy_delete(f->st, "alice", "mine"),
	    0);
	assert_int_equal(wk_store_user_delete(f->st, "alice"), 0);

	assert_int_equal(wk_store_group_policy_put(f->st, "devs", "G1", DOC),
	    0);
	assert_int_equal(wk_store_group_policy_get(f->st, "DEVS", "g1", &ip),
	    0);
	assert_string_equal(ip.document, DOC);
	wk_inline_policy_cleanup(&ip);
	assert_int_equal(wk_store_group_policy_list(f->st, "devs", &names, &n),
	    0);
	assert_int_equal(n, 1);
	wk_store_strv_free(names, n);
	assert_int_equal(wk_store_group_policy_list(f->st, "x", &names, &n),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_group_delete(f->st, "devs"),
	    WK_ERR_CONFLICT);
	assert_int_equal(wk_store_group_policy_delete(f->st, "devs", "G1"), 0);
	assert_int_equal(wk_store_group_policy_delete(f->st, "devs", "G1"),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_group_delete(f->st, "devs"), 0);
}

static void
test_groups(void **state)
{
	struct fx *f = *state;
	struct wk_group g, *gv = NULL;
	struct wk_user *uv = NULL;
	char name[16], *next = NULL, *marker;
	size_t n, i;

	assert_int_equal(fx_add_group(f, "Devs"), 0);
	assert_int_equal(fx_add_group(f, "devs"), WK_ERR_EXISTS);
	assert_int_equal(wk_store_group_get(f->st, "DEVS", &g), 0);
	assert_string_equal(g.name, "Devs");
	assert_int_equal(wk_store_group_get(f->st, "ops", &g),
	    WK_ERR_NOTFOUND);
	memset(&g, 0, sizeof(g));
	assert_int_equal(wk_store_group_create(f->st, &g), WK_ERR_INVAL);

	assert_int_equal(fx_add_user(f, "bob"), 0);
	assert_int_equal(fx_add_user(f, "alice"), 0);
	assert_int_equal(wk_store_group_add_user(f->st, "devs", "bob"), 0);
	assert_int_equal(wk_store_group_add_user(f->st, "devs", "BOB"), 0);
	assert_int_equal(wk_store_group_add_user(f->st, "devs", "alice"), 0);
	assert_int_equal(wk_store_group_add_user(f->st, "devs", "zed"),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_group_add_user(f->st, "ops", "bob"),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_group_members(f->st, "devs", &uv, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(uv[0].name, "alice");
	assert_string_equal(uv[1].name, "bob");
	wk_store_free(uv);

	/* a user is in at most 10 groups */
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "g%02zu", i);
		assert_int_equal(fx_add_group(f, name), 0);
		assert_int_equal(wk_store_group_add_user(f->st, name, "alice"),
		    i < 9 ? 0 : WK_ERR_LIMIT);
	}
	assert_int_equal(wk_store_groups_for_user(f->st, "alice", &gv, &n), 0);
	assert_int_equal(n, 10);
	assert_string_equal(gv[0].name, "Devs");
	wk_store_free(gv);
	assert_int_equal(wk_store_groups_for_user(f->st, "zed", &gv, &n),
	    WK_ERR_NOTFOUND);

	assert_int_equal(wk_store_group_list(f->st, NULL, NULL, 5, &gv, &n,
	    &next), 0);
	assert_int_equal(n, 5);
	assert_string_equal(gv[0].name, "Devs");
	assert_string_equal(next, "g04");
	wk_store_free(gv);
	marker = next;
	assert_int_equal(wk_store_group_list(f->st, "/", marker, 100, &gv, &n,
	    &next), 0);
	assert_int_equal(n, 6);
	assert_string_equal(gv[0].name, "g04");
	assert_null(next);
	wk_store_free(gv);
	wk_store_free(marker);

	assert_int_equal(wk_store_user_delete(f->st, "bob"), WK_ERR_CONFLICT);
	assert_int_equal(wk_store_group_delete(f->st, "devs"),
	    WK_ERR_CONFLICT);
	assert_int_equal(wk_store_group_remove_user(f->st, "devs", "bob"), 0);
	assert_int_equal(wk_store_group_remove_user(f->st, "devs", "bob"),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_user_delete(f->st, "bob"), 0);
	assert_int_equal(wk_store_group_remove_user(f->st, "devs", "alice"),
	    0);
	assert_int_equal(wk_store_group_delete(f->st, "devs"), 0);
	assert_int_equal(wk_store_group_delete(f->st, "devs"),
	    WK_ERR_NOTFOUND);
}

static void
test_login_profiles(void **state)
{
	struct fx *f = *state;
	struct wk_login_profile lp, got;

	assert_int_equal(fx_add_user(f, "alice"), 0);
	memset(&lp, 0, sizeof(lp));
	snprintf(lp.user_name, sizeof(lp.user_name), "alice");
	snprintf(lp.password_hash, sizeof(lp.password_hash),
	    "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA");
	lp.reset_required = true;
	lp.create_date = 1700000300;
	assert_int_equal(wk_store_login_profile_put(f->st, &lp, false),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_login_profile_put(f->st, &lp, true), 0);
	assert_int_equal(wk_store_login_profile_put(f->st, &lp, true),
	    WK_ERR_EXISTS);
	assert_int_equal(wk_store_login_profile_get(f->st, "ALICE", &got), 0);
	assert_string_equal(got.user_name, "alice");
	assert_string_equal(got.password_hash, lp.password_hash);
	assert_true(got.reset_required);
	assert_int_equal(got.create_date, 1700000300);

	/* update: empty hash keeps the old one */
	lp.password_hash[0] = '\0';
	lp.reset_required = false;
	assert_int_equal(wk_store_login_profile_put(f->st, &lp, false), 0);
	assert_int_equal(wk_store_login_profile_get(f->st, "alice", &got), 0);
	assert_false(got.reset_required);
	assert_string_equal(got.password_hash,
	    "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA");
	snprintf(lp.password_hash, sizeof(lp.password_hash), "$argon2id$new");
	assert_int_equal(wk_store_login_profile_put(f->st, &lp, false), 0);
	assert_int_equal(wk_store_login_profile_get(f->st, "alice", &got), 0);
	assert_string_equal(got.password_hash, "$argon2id$new");

	snprintf(lp.user_name, sizeof(lp.user_name), "bob");
	assert_int_equal(wk_store_login_profile_put(f->st, &lp, true),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_user_delete(f->st, "alice"),
	    WK_ERR_CONFLICT);
	assert_int_equal(wk_store_login_profile_delete(f->st, "alice"), 0);
	assert_int_equal(wk_store_login_profile_delete(f->st, "alice"),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_login_profile_get(f->st, "alice", &got),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_user_delete(f->st, "alice"), 0);
}

static const char *
find_source(const struct wk_effective_policy *v, size_t n, const char *src)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].source, src) == 0)
			return v[i].document;
	return NULL;
}

static void
test_effective_and_generation(void **state)
{
	struct fx *f = *state;
	struct wk_effective_policy *v = NULL;
	char arn1[2048], arn2[2048], vid[8];
	uint64_t g0, g;
	size_t n;

	assert_int_equal(fx_add_user(f, "alice"), 0);
	assert_int_equal(fx_add_user(f, "bob"), 0);
	assert_int_equal(fx_add_group(f, "devs"), 0);
	assert_int_equal(fx_add_policy(f, "Direct", "{\"d\":1}", arn1), 0);
	assert_int_equal(fx_add_policy(f, "ViaGroup", "{\"g\":1}", arn2), 0);
	assert_int_equal(wk_store_effective_policies(f->st, "alice", &v, &n),
	    0);
	assert_int_equal(n, 0);
	wk_store_free(v);
	assert_int_equal(wk_store_effective_policies(f->st, "zed", &v, &n),
	    WK_ERR_NOTFOUND);

	g0 = fx_gen(f);
	assert_int_equal(wk_store_user_policy_put(f->st, "alice", "own",
	    "{\"u\":1}"), 0);
	assert_true((g = fx_gen(f)) > g0);
	assert_int_equal(wk_store_attach_user(f->st, "alice", arn1), 0);
	assert_true(fx_gen(f) > g);
	g = fx_gen(f);
	assert_int_equal(wk_store_group_add_user(f->st, "devs", "alice"), 0);
	assert_true(fx_gen(f) > g);
	g = fx_gen(f);
	assert_int_equal(wk_store_attach_group(f->st, "devs", arn2), 0);
	assert_true(fx_gen(f) > g);
	g = fx_gen(f);
	/* the same managed policy through the user and a group: once */
	assert_int_equal(wk_store_attach_group(f->st, "devs", arn1), 0);
	assert_int_equal(wk_store_group_policy_put(f->st, "devs", "gp",
	    "{\"gi\":1}"), 0);
	assert_true(fx_gen(f) > g);

	assert_int_equal(wk_store_effective_policies(f->st, "ALICE", &v, &n),
	    0);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].source, "user/alice/inline/own");
	assert_string_equal(find_source(v, n, "user/alice/inline/own"),
	    "{\"u\":1}");
	assert_string_equal(find_source(v, n, arn1), "{\"d\":1}");
	assert_string_equal(find_source(v, n, arn2), "{\"g\":1}");
	assert_string_equal(find_source(v, n, "group/devs/inline/gp"),
	    "{\"gi\":1}");
	wk_effective_policy_list_free(v, n);

	/* bob sees nothing of it */
	assert_int_equal(wk_store_effective_policies(f->st, "bob", &v, &n), 0);
	assert_int_equal(n, 0);
	wk_store_free(v);

	/* a new default version changes the document and the generation */
	g = fx_gen(f);
	assert_int_equal(wk_store_policy_version_create(f->st, arn2,
	    "{\"g\":2}", false, vid), 0);
	assert_int_equal(wk_store_effective_policies(f->st, "alice", &v, &n),
	    0);
	assert_string_equal(find_source(v, n, arn2), "{\"g\":1}");
	wk_effective_policy_list_free(v, n);
	assert_int_equal(wk_store_policy_version_set_default(f->st, arn2, vid),
	    0);
	assert_true(fx_gen(f) > g);
	assert_int_equal(wk_store_effective_policies(f->st, "alice", &v, &n),
	    0);
	assert_string_equal(find_source(v, n, arn2), "{\"g\":2}");
	wk_effective_policy_list_free(v, n);

	/* rename moves sources; removal from the group drops group ones */
	g = fx_gen(f);
	assert_int_equal(wk_store_user_update(f->st, "alice", "alicia", NULL,
	    NULL), 0);
	assert_true(fx_gen(f) > g);
	g = fx_gen(f);
	assert_int_equal(wk_store_group_remove_user(f->st, "devs", "alicia"),
	    0);
	assert_true(fx_gen(f) > g);
	assert_int_equal(wk_store_effective_policies(f->st, "alicia", &v, &n),
	    0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].source, "user/alicia/inline/own");
	assert_string_equal(v[1].source, arn1);
	wk_effective_policy_list_free(v, n);

	g = fx_gen(f);
	assert_int_equal(wk_store_detach_user(f->st, "alicia", arn1), 0);
	assert_true(fx_gen(f) > g);
	g = fx_gen(f);
	assert_int_equal(wk_store_user_policy_delete(f->st, "alicia", "own"),
	    0);
	assert_true(fx_gen(f) > g);
	/* reads and failed writes do not move it */
	g = fx_gen(f);
	assert_int_equal(wk_store_effective_policies(f->st, "alicia", &v, &n),
	    0);
	wk_store_free(v);
	assert_int_equal(wk_store_detach_user(f->st, "alicia", arn1),
	    WK_ERR_NOTFOUND);
	assert_int_equal(fx_gen(f), g);
}

/*
 * Every write a cached authentication or authorization read depends on
 * (access key status and existence, user rows, user and instance tags,
 * instances) moves the generation; last-used times, instance last_seen
 * and failed writes do not.
 */
static void
test_generation_moves_on_identity_writes(void **state)
{
	struct fx *f = *state;
	struct wk_access_key k;
	struct wk_instance in;
	struct wk_tag t;
	const char *rm[] = { "team" };
	uint64_t g;

	assert_int_equal(fx_add_user(f, "alice"), 0);
	mkkey(&k, "AKIAAAAAAAAAAAAAAAA1", "alice", "s1");
	assert_int_equal(wk_store_key_create(f->st, &k), 0);
	memset(&in, 0, sizeof(in));
	snprintf(in.id, sizeof(in.id), "i-0123456789abcdef0");
	snprintf(in.hostname, sizeof(in.hostname), "web1");
	snprintf(in.address, sizeof(in.address), "127.0.0.2");
	in.ssh_port = 2222;
	snprintf(in.agent_secret_hash, sizeof(in.agent_secret_hash), "%064d",
	    7);
	in.create_date = 1700000000;
	assert_int_equal(wk_store_instance_create(f->st, &in), 0);
	memset(&t, 0, sizeof(t));
	snprintf(t.key, sizeof(t.key), "team");
	snprintf(t.value, sizeof(t.value), "red");

	g = fx_gen(f);
	assert_int_equal(wk_store_key_set_active(f->st, "alice", k.id, false),
	    0);
	assert_true(fx_gen(f) > g);
	g = fx_gen(f);
	assert_int_equal(wk_store_key_set_active(f->st, "alice", k.id, true),
	    0);
	assert_true(fx_gen(f) > g);
	g = fx_gen(f);
	assert_int_equal(wk_store_user_tags_set(f->st, "alice", &t, 1), 0);
	assert_true(fx_gen(f) > g);
	g = fx_gen(f);
	assert_int_equal(wk_store_user_tags_remove(f->st, "alice", rm, 1), 0);
	assert_true(fx_gen(f) > g);
	g = fx_gen(f);
	assert_int_equal(wk_store_instance_tags_set(f->st, in.id, &t, 1), 0);
	assert_true(fx_gen(f) > g);
	g = fx_gen(f);
	assert_int_equal(wk_store_instance_tags_remove(f->st, in.id, rm, 1),
	    0);
	assert_true(fx_gen(f) > g);
	g = fx_gen(f);
	assert_int_equal(wk_store_user_update(f->st, "alice", NULL, "/ops/",
	    NULL), 0);
	assert_true(fx_gen(f) > g);
	g = fx_gen(f);
	assert_int_equal(wk_store_user_touch_password(f->st, "alice",
	    1700000500), 0);
	assert_true(fx_gen(f) > g);
	g = fx_gen(f);
	snprintf(in.hostname, sizeof(in.hostname), "web1b");
	assert_int_equal(wk_store_instance_update(f->st, &in), 0);
	assert_true(fx_gen(f) > g);

	/* usage bookkeeping and failed writes leave it alone */
	g = fx_gen(f);
	assert_int_equal(wk_store_key_touch(f->st, k.id, 1700000600, "ec2",
	    "us-east-1"), 0);
	assert_int_equal(wk_store_instance_touch(f->st, in.id, 1700000600),
	    0);
	assert_int_equal(wk_store_key_set_active(f->st, "alice",
	    "AKIAAAAAAAAAAAAAAAA9", false), WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_key_delete(f->st, "bob", k.id),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_instance_delete(f->st,
	    "i-ffffffffffffffff0"), WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_user_touch_password(f->st, "zed",
	    1700000500), WK_ERR_NOTFOUND);
	assert_int_equal(fx_gen(f), g);

	assert_int_equal(wk_store_key_delete(f->st, "alice", k.id), 0);
	assert_true(fx_gen(f) > g);
	g = fx_gen(f);
	assert_int_equal(wk_store_instance_delete(f->st, in.id), 0);
	assert_true(fx_gen(f) > g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_bad_args),
		cmocka_unit_test_setup_teardown(test_meta, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_user_crud, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_user_pagination, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_user_tags, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_access_keys, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_managed_policies,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_attachments, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_inline_policies, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_groups, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_login_profiles, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_effective_and_generation,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_generation_moves_on_identity_writes, fx_setup,
		    fx_teardown),
	};

	return FX_RUN_BOTH("store", tests);
}
