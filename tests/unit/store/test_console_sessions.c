/*
 * Tests for the console-session operations, on SQLite and on PostgreSQL
 * (sqlite_console.c, pg_console.c): a session is found by the hash of its
 * token while live, refused and purged once idle or past its absolute
 * expiry, touched forward only, deleted alone or with all of its user's;
 * sign-in makes room (expired rows, the user's oldest) and refuses past
 * the total cap; malformed keys are refused without touching the table.
 */
#include "store_fixture.h"

#define H(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define TAG H("e")
#define T0 ((int64_t)1700000000000)

static void
mkrow(struct wk_console_row *cs, const char *hash, const char *user,
    const char *uid, int64_t created)
{
	memset(cs, 0, sizeof(*cs));
	snprintf(cs->id_hash, sizeof(cs->id_hash), "%s", hash);
	snprintf(cs->user, sizeof(cs->user), "%s", user);
	snprintf(cs->user_id, sizeof(cs->user_id), "%s", uid);
	snprintf(cs->pw_tag, sizeof(cs->pw_tag), "%s", TAG);
	cs->created_ms = cs->last_ms = created;
	cs->idle_until_ms = created + 1000;
	cs->expires_ms = created + 5000;
}

/* hex key number i (distinct for i < 4096) */
static void
hash_n(char out[static 65], unsigned i)
{
	snprintf(out, 65, "%064x", i);
}

static void
test_put_get_expire(void **state)
{
	struct fx *f = *state;
	struct wk_console_row cs, got;
	size_t n;

	mkrow(&cs, H("a"), "alice", "AIDAALICE", T0);
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0, 16, 100),
	    0);
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0, 16, 100),
	    WK_ERR_EXISTS);
	assert_int_equal(wk_store_console_session_get(f->st, H("a"), T0 + 10,
	    &got), 0);
	assert_string_equal(got.user, "alice");
	assert_string_equal(got.user_id, "AIDAALICE");
	assert_string_equal(got.pw_tag, TAG);
	assert_int_equal(got.created_ms, T0);
	assert_int_equal(got.idle_until_ms, T0 + 1000);
	assert_int_equal(got.expires_ms, T0 + 5000);
	/* another key, a malformed key: not found, nothing else said */
	assert_int_equal(wk_store_console_session_get(f->st, H("b"), T0, &got),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_console_session_get(f->st, "A' OR 1=1 --",
	    T0, &got), WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_console_session_get(f->st, H("A"), T0, &got),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_console_session_get(f->st, NULL, T0, &got),
	    WK_ERR_NOTFOUND);

	/* touched: idle moves forward, never back */
	assert_int_equal(wk_store_console_session_touch(f->st, H("a"),
	    T0 + 900, T0 + 1900), 0);
	assert_int_equal(wk_store_console_session_touch(f->st, H("a"),
	    T0 + 100, T0 + 1100), 0);
	assert_int_equal(wk_store_console_session_get(f->st, H("a"), T0 + 1500,
	    &got), 0);
	assert_int_equal(got.last_ms, T0 + 900);
	assert_int_equal(got.idle_until_ms, T0 + 1900);
	assert_int_equal(wk_store_console_session_touch(f->st, H("a"), T0,
	    T0), WK_ERR_INVAL);

	/* idle: refused and purged (gone even for an earlier clock) */
	assert_int_equal(wk_store_console_session_get(f->st, H("a"), T0 + 1900,
	    &got), WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_console_session_get(f->st, H("a"), T0, &got),
	    WK_ERR_NOTFOUND);

	/* absolute expiry beats any touch */
	mkrow(&cs, H("c"), "carol", "AIDACAROL", T0);
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0, 16, 100),
	    0);
	assert_int_equal(wk_store_console_session_touch(f->st, H("c"),
	    T0 + 4900, T0 + 9000), 0);
	assert_int_equal(wk_store_console_sessions_count(f->st, NULL, T0 + 4999,
	    &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(wk_store_console_session_get(f->st, H("c"), T0 + 5000,
	    &got), WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_console_sessions_count(f->st, NULL, T0, &n),
	    0);
	assert_int_equal(n, 0);
}

static void
test_bad_rows(void **state)
{
	struct fx *f = *state;
	struct wk_console_row cs;
	size_t n;

	mkrow(&cs, "not-a-hash", "alice", "AIDAALICE", T0);
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0, 16, 100),
	    WK_ERR_INVAL);
	mkrow(&cs, H("a"), "", "AIDAALICE", T0);
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0, 16, 100),
	    WK_ERR_INVAL);
	mkrow(&cs, H("a"), "alice", "", T0);
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0, 16, 100),
	    WK_ERR_INVAL);
	mkrow(&cs, H("a"), "alice", "AIDAALICE", T0);
	cs.expires_ms = T0;
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0, 16, 100),
	    WK_ERR_INVAL);
	mkrow(&cs, H("a"), "alice", "AIDAALICE", T0);
	memset(cs.user, 'x', sizeof(cs.user));	/* unterminated */
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0, 16, 100),
	    WK_ERR_INVAL);
	assert_int_equal(wk_store_console_session_put(f->st, NULL, T0, 16, 100),
	    WK_ERR_INVAL);
	mkrow(&cs, H("a"), "alice", "AIDAALICE", T0);
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0, 0, 100),
	    WK_ERR_INVAL);
	assert_int_equal(wk_store_console_sessions_count(f->st, NULL, T0, &n),
	    0);
	assert_int_equal(n, 0);
}

static void
test_delete_end_user_purge(void **state)
{
	struct fx *f = *state;
	struct wk_console_row cs, got;
	size_t n = 99;

	mkrow(&cs, H("1"), "alice", "AIDAALICE", T0);
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0, 16, 100),
	    0);
	mkrow(&cs, H("2"), "alice", "AIDAALICE", T0 + 1);
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0, 16, 100),
	    0);
	mkrow(&cs, H("3"), "bob", "AIDABOB", T0);
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0, 16, 100),
	    0);
	mkrow(&cs, H("4"), "bob", "AIDABOB", T0 - 4000);	/* idle at T0 */
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0 - 4000,
	    16, 100), 0);

	assert_int_equal(wk_store_console_session_delete(f->st, H("1")), 0);
	assert_int_equal(wk_store_console_session_delete(f->st, H("1")),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_console_session_delete(f->st, "x"),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_console_session_get(f->st, H("1"), T0, &got),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_console_sessions_count(f->st, "AIDAALICE",
	    T0, &n), 0);
	assert_int_equal(n, 1);

	assert_int_equal(wk_store_console_sessions_end_user(f->st, "AIDAALICE",
	    &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(wk_store_console_session_get(f->st, H("2"), T0, &got),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_console_sessions_end_user(f->st, "AIDAALICE",
	    &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(wk_store_console_sessions_end_user(f->st, NULL, &n),
	    WK_ERR_INVAL);
	/* bob's live one stays */
	assert_int_equal(wk_store_console_session_get(f->st, H("3"), T0, &got),
	    0);

	/* the purge takes the idle one only */
	assert_int_equal(wk_store_console_sessions_purge(f->st, T0, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(wk_store_console_sessions_count(f->st, NULL,
	    T0 - 4000, &n), 0);
	assert_int_equal(n, 1);
}

static void
test_caps(void **state)
{
	struct fx *f = *state;
	struct wk_console_row cs, got;
	char h[65];
	size_t n;
	unsigned i;

	/* bob signs in once, mallory many times: mallory's oldest go */
	hash_n(h, 1000);
	mkrow(&cs, h, "bob", "AIDABOB", T0);
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0, 4, 100),
	    0);
	for (i = 0; i < 10; i++) {
		hash_n(h, i);
		mkrow(&cs, h, "mallory", "AIDAMALLORY", T0 + i);
		assert_int_equal(wk_store_console_session_put(f->st, &cs,
		    T0 + i, 4, 100), 0);
	}
	assert_int_equal(wk_store_console_sessions_count(f->st, "AIDAMALLORY",
	    T0 + 10, &n), 0);
	assert_int_equal(n, 4);
	hash_n(h, 5);
	assert_int_equal(wk_store_console_session_get(f->st, h, T0 + 10, &got),
	    WK_ERR_NOTFOUND);
	hash_n(h, 6);
	assert_int_equal(wk_store_console_session_get(f->st, h, T0 + 10, &got),
	    0);
	hash_n(h, 1000);
	assert_int_equal(wk_store_console_session_get(f->st, h, T0 + 10, &got),
	    0);

	/* the whole table full: refused, nothing stored */
	hash_n(h, 2000);
	mkrow(&cs, h, "carol", "AIDACAROL", T0 + 20);
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0 + 20, 4,
	    5), WK_ERR_LIMIT);
	assert_int_equal(wk_store_console_session_get(f->st, h, T0 + 20, &got),
	    WK_ERR_NOTFOUND);
	/* once the others expire there is room again (they are purged) */
	mkrow(&cs, h, "carol", "AIDACAROL", T0 + 2000);
	assert_int_equal(wk_store_console_session_put(f->st, &cs, T0 + 2000, 4,
	    5), 0);
	assert_int_equal(wk_store_console_sessions_count(f->st, NULL, 0, &n),
	    0);
	assert_int_equal(n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_expire, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_rows, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_delete_end_user_purge,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_caps, fx_setup,
		    fx_teardown),
	};

	return FX_RUN_BOTH("console_sessions", tests);
}
