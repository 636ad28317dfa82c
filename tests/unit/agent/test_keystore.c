/* Tests for src/agent/keystore.c: memory-only records with expiry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/agent.h"
#include "common/err.h"
#include "crypto/keyrec.h"
#include "crypto/sshkey.h"

#define NOW ((time_t)1800000000)

struct fixture {
	struct wk_signkey *key;
	struct wk_buf pub;
};

static int
setup(void **state)
{
	static struct fixture f;
	struct wk_buf priv;

	memset(&f, 0, sizeof(f));
	wk_buf_init(&f.pub, 4096);
	wk_buf_init(&priv, 8192);
	assert_int_equal(wk_signkey_generate(&f.key), 0);
	assert_int_equal(wk_sshkey_generate_ed25519(&f.pub, &priv), 0);
	wk_buf_cleanup_secret(&priv);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	wk_signkey_free(f->key);
	wk_buf_cleanup(&f->pub);
	return 0;
}

static void
make_rec_ex(struct fixture *f, const char *user, const char *req,
    int64_t expires, bool once, const char *pubkey, struct wk_buf *out)
{
	struct wk_keyrec rec;

	memset(&rec, 0, sizeof(rec));
	rec.single_use = once;
	rec.issued = NOW - 1;
	rec.expires = expires;
	snprintf(rec.instance_id, sizeof(rec.instance_id), "i-0123456789abcdef0");
	snprintf(rec.os_user, sizeof(rec.os_user), "%s", user);
	snprintf(rec.caller_arn, sizeof(rec.caller_arn),
	    "arn:aws:iam::123456789012:user/alice");
	snprintf(rec.request_id, sizeof(rec.request_id), "%s", req);
	snprintf(rec.pubkey, sizeof(rec.pubkey), "%s",
	    pubkey != NULL ? pubkey : wk_buf_cstr(&f->pub));
	wk_buf_init(out, WK_KEYREC_MAX_LEN);
	assert_int_equal(wk_keyrec_sign(&rec, f->key, out), 0);
}

static void
make_rec(struct fixture *f, const char *user, const char *req,
    int64_t expires, struct wk_buf *out)
{
	make_rec_ex(f, user, req, expires, false, NULL, out);
}

static void
test_add_lookup_expiry(void **state)
{
	struct fixture *f = *state;
	struct wk_keystore *ks;
	struct wk_buf a, b, c;
	struct wk_span got[WK_SOCK_MAX_RECORDS];

	assert_int_equal(wk_keystore_new(16, &ks), 0);
	make_rec(f, "ubuntu", "req-a", NOW + 60, &a);
	make_rec(f, "ubuntu", "req-b", NOW + 30, &b);
	make_rec(f, "admin", "req-c", NOW + 60, &c);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&a), NOW), 0);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&b), NOW), 0);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&c), NOW), 0);
	/* The same record again is a no-op. */
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&a), NOW), 0);
	assert_int_equal(wk_keystore_count(ks), 3);
	assert_int_equal(wk_keystore_next_expiry(ks), NOW + 30);

	/* Newest first, only the asked user. */
	assert_int_equal(wk_keystore_lookup(ks, "ubuntu", NOW, got, 64), 2);
	assert_true(wk_span_eq(got[0], wk_buf_span(&b)));
	assert_true(wk_span_eq(got[1], wk_buf_span(&a)));
	assert_int_equal(wk_keystore_lookup(ks, "admin", NOW, got, 64), 1);
	assert_true(wk_span_eq(got[0], wk_buf_span(&c)));
	assert_int_equal(wk_keystore_lookup(ks, "nobody", NOW, got, 64), 0);
	assert_int_equal(wk_keystore_lookup(ks, "ubuntu", NOW, got, 1), 1);

	/* An expired record is not served even before it is purged. */
	assert_int_equal(wk_keystore_lookup(ks, "ubuntu", NOW + 30, got, 64),
	    1);
	assert_true(wk_span_eq(got[0], wk_buf_span(&a)));
	assert_int_equal(wk_keystore_lookup(ks, "ubuntu", NOW + 60, got, 64),
	    0);
	assert_int_equal(wk_keystore_purge(ks, NOW + 30), 1);
	assert_int_equal(wk_keystore_count(ks), 2);
	assert_int_equal(wk_keystore_purge(ks, NOW + 60), 2);
	assert_int_equal(wk_keystore_count(ks), 0);
	assert_int_equal(wk_keystore_next_expiry(ks), 0);

	/* Already expired on arrival: refused. */
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&a), NOW + 60),
	    WK_ERR_EXPIRED);
	assert_int_equal(wk_keystore_count(ks), 0);
	wk_buf_cleanup(&a);
	wk_buf_cleanup(&b);
	wk_buf_cleanup(&c);
	wk_keystore_free(ks);
}

static void
test_bad_records(void **state)
{
	struct fixture *f = *state;
	struct wk_keystore *ks;
	struct wk_buf a;
	uint8_t big[WK_SOCK_MAX_RECORD + 1];

	assert_int_equal(wk_keystore_new(4, &ks), 0);
	assert_int_not_equal(wk_keystore_add(ks, WK_SPAN_LIT("garbage\n"),
	    NOW), 0);
	assert_int_not_equal(wk_keystore_add(ks, WK_SPAN_LIT(""), NOW), 0);
	memset(big, 'A', sizeof(big));
	assert_int_equal(wk_keystore_add(ks, wk_span_from_mem(big,
	    sizeof(big)), NOW), WK_ERR_TOOBIG);
	/* Truncated record. */
	make_rec(f, "ubuntu", "req-a", NOW + 60, &a);
	assert_int_not_equal(wk_keystore_add(ks, wk_span_from_mem(a.p,
	    a.len - 5), NOW), 0);
	assert_int_equal(wk_keystore_count(ks), 0);
	wk_buf_cleanup(&a);
	wk_keystore_free(ks);
}

/*
 * A flood never evicts a live record: the user's 65th live record, or one
 * more than the store holds, is refused (WK_ERR_LIMIT) and everything
 * already held stays served; expired records make room.
 */
static void
test_limits_refuse_never_evict(void **state)
{
	struct fixture *f = *state;
	struct wk_keystore *ks;
	struct wk_buf r[WK_SOCK_MAX_RECORDS + 1], o, victim;
	struct wk_span got[WK_SOCK_MAX_RECORDS];
	char req[32];
	size_t i, n;

	assert_int_equal(wk_keystore_new(1000, &ks), 0);
	/* Someone else's pending key for the same user, expiring soonest. */
	make_rec(f, "ubuntu", "victim", NOW + 20, &victim);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&victim), NOW), 0);
	for (i = 0; i < WK_SOCK_MAX_RECORDS; i++) {
		snprintf(req, sizeof(req), "flood-%zu", i);
		make_rec(f, "ubuntu", req, NOW + 100 + (int64_t)i, &r[i]);
		assert_int_equal(wk_keystore_add(ks, wk_buf_span(&r[i]), NOW),
		    i + 1 < WK_SOCK_MAX_RECORDS ? 0 : WK_ERR_LIMIT);
	}
	n = wk_keystore_lookup(ks, "ubuntu", NOW, got, WK_SOCK_MAX_RECORDS);
	assert_int_equal(n, WK_SOCK_MAX_RECORDS);
	for (i = 0; i < n; i++)
		if (wk_span_eq(got[i], wk_buf_span(&victim)))
			break;
	assert_true(i < n);	/* the victim's key is still served */
	/* Other users are not affected by ubuntu's flood. */
	make_rec(f, "admin", "admin-1", NOW + 60, &o);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&o), NOW), 0);
	wk_buf_cleanup(&o);
	/* Once the victim's record expired, there is room again. */
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(
	    &r[WK_SOCK_MAX_RECORDS - 1]), NOW + 20), 0);
	for (i = 0; i < WK_SOCK_MAX_RECORDS; i++)
		wk_buf_cleanup(&r[i]);
	wk_buf_cleanup(&victim);
	wk_keystore_free(ks);

	/* A full store refuses the new record, whoever it is for. */
	assert_int_equal(wk_keystore_new(2, &ks), 0);
	make_rec(f, "a", "r1", NOW + 10, &r[0]);
	make_rec(f, "b", "r2", NOW + 90, &r[1]);
	make_rec(f, "c", "r3", NOW + 50, &o);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&r[0]), NOW), 0);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&r[1]), NOW), 0);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&o), NOW),
	    WK_ERR_LIMIT);
	assert_int_equal(wk_keystore_count(ks), 2);
	assert_int_equal(wk_keystore_lookup(ks, "a", NOW, got, 4), 1);
	assert_int_equal(wk_keystore_lookup(ks, "c", NOW, got, 4), 0);
	/* ... until one expired. */
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&o), NOW + 10), 0);
	assert_int_equal(wk_keystore_lookup(ks, "c", NOW + 10, got, 4), 1);
	wk_buf_cleanup(&r[0]);
	wk_buf_cleanup(&r[1]);
	wk_buf_cleanup(&o);
	wk_keystore_free(ks);
	assert_int_equal(wk_keystore_new(0, &ks), WK_ERR_INVAL);
}

/*
 * Leases: a single-use record goes to one connection at a time. Nine
 * connections asking at once: only the first is handed it; the holder is
 * handed it again (query, then signature check) while at least the grace
 * remains; after the lease ends another connection may take it; once
 * consumed nobody gets it. Multi-use records go to everyone; a lookup
 * without fingerprint or connection gets no single-use record at all.
 */
static void
test_lease(void **state)
{
	struct fixture *f = *state;
	struct wk_keystore *ks;
	struct wk_buf once, multi;
	struct wk_span got[WK_SOCK_MAX_RECORDS];
	char fp[WK_SSHKEY_FP_LEN], conn[32];
	const char *why;
	struct wk_buf norm;
	const uint64_t t0 = 1000000;
	size_t i, winners = 0;

	wk_buf_init(&norm, 4096);
	assert_int_equal(wk_sshkey_check(wk_buf_span(&f->pub), &norm, fp,
	    &why), 0);
	assert_int_equal(wk_keystore_new(16, &ks), 0);
	make_rec_ex(f, "ubuntu", "once", NOW + 60, true, NULL, &once);
	make_rec_ex(f, "ubuntu", "multi", NOW + 60, false, NULL, &multi);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&once), NOW), 0);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&multi), NOW), 0);

	/* No fingerprint or no connection: multi-use only, no lease. */
	assert_int_equal(wk_keystore_lookup_lease(ks, "ubuntu", NULL, NULL,
	    NOW, t0, got, 64), 1);
	assert_true(wk_span_eq(got[0], wk_buf_span(&multi)));
	assert_int_equal(wk_keystore_lookup_lease(ks, "ubuntu", fp, "",
	    NOW, t0, got, 64), 1);
	/* A wrong fingerprint: not handed, not leased. */
	assert_int_equal(wk_keystore_lookup_lease(ks, "ubuntu",
	    "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "sshd-9",
	    NOW, t0, got, 64), 1);

	/* Nine concurrent logins: exactly one is handed the record. */
	for (i = 1; i <= 9; i++) {
		snprintf(conn, sizeof(conn), "sshd-%zu", i);
		if (wk_keystore_lookup_lease(ks, "ubuntu", fp, conn, NOW,
		    t0 + i, got, 64) == 2)
			winners++;
	}
	assert_int_equal(winners, 1);
	/* The holder (sshd-1) again: its signature check. */
	assert_int_equal(wk_keystore_lookup_lease(ks, "ubuntu", fp, "sshd-1",
	    NOW, t0 + 1000, got, 64), 2);
	assert_true(wk_span_eq(got[0], wk_buf_span(&multi)));
	assert_true(wk_span_eq(got[1], wk_buf_span(&once)));
	/* Less than the grace left: not even the holder (a login handed it
	 * now could outlive the lease). Others still not. */
	assert_int_equal(wk_keystore_lookup_lease(ks, "ubuntu", fp, "sshd-1",
	    NOW, t0 + 1 + WK_SOCK_LEASE_MS - WK_SOCK_LEASE_GRACE_MS + 1, got,
	    64), 1);
	assert_int_equal(wk_keystore_lookup_lease(ks, "ubuntu", fp, "sshd-2",
	    NOW, t0 + WK_SOCK_LEASE_MS, got, 64), 1);
	/* The lease ended without a login: another connection may take it. */
	assert_int_equal(wk_keystore_lookup_lease(ks, "ubuntu", fp, "sshd-2",
	    NOW, t0 + 1 + WK_SOCK_LEASE_MS, got, 64), 2);
	assert_int_equal(wk_keystore_lookup_lease(ks, "ubuntu", fp, "sshd-1",
	    NOW, t0 + 2 + WK_SOCK_LEASE_MS, got, 64), 1);
	/* Consumed: nobody, not even the holder, ever again. */
	assert_int_equal(wk_keystore_consume(ks, "ubuntu", fp), 1);
	assert_int_equal(wk_keystore_lookup_lease(ks, "ubuntu", fp, "sshd-2",
	    NOW, t0 + 3 + WK_SOCK_LEASE_MS, got, 64), 1);
	assert_int_equal(wk_keystore_lookup_lease(ks, "ubuntu", fp, "sshd-3",
	    NOW, t0 + 10 * WK_SOCK_LEASE_MS, got, 64), 1);
	/* Expired: nothing. */
	assert_int_equal(wk_keystore_lookup_lease(ks, "ubuntu", fp, "sshd-3",
	    NOW + 60, t0, got, 64), 0);

	wk_buf_cleanup(&once);
	wk_buf_cleanup(&multi);
	wk_buf_cleanup(&norm);
	wk_keystore_free(ks);
}

/*
 * CONSUME: the user's single-use records with that key stop being served
 * (and stay consumed when delivered again); multi-use records, other keys
 * and other users are untouched.
 */
static void
test_consume(void **state)
{
	struct fixture *f = *state;
	struct wk_keystore *ks;
	struct wk_buf once1, once2, multi, other, admin, pub2, priv2, norm;
	struct wk_span got[WK_SOCK_MAX_RECORDS];
	char fp[WK_SSHKEY_FP_LEN], fp2[WK_SSHKEY_FP_LEN];
	const char *why;

	wk_buf_init(&pub2, 4096);
	wk_buf_init(&priv2, 8192);
	wk_buf_init(&norm, 4096);
	assert_int_equal(wk_sshkey_generate_ed25519(&pub2, &priv2), 0);
	assert_int_equal(wk_sshkey_check(wk_buf_span(&f->pub), &norm, fp,
	    &why), 0);
	wk_buf_reset(&norm);
	assert_int_equal(wk_sshkey_check(wk_buf_span(&pub2), &norm, fp2,
	    &why), 0);
	assert_string_not_equal(fp, fp2);

	assert_int_equal(wk_keystore_new(16, &ks), 0);
	make_rec_ex(f, "ubuntu", "once-1", NOW + 60, true, NULL, &once1);
	make_rec_ex(f, "ubuntu", "once-2", NOW + 50, true, NULL, &once2);
	make_rec_ex(f, "ubuntu", "multi", NOW + 60, false, NULL, &multi);
	make_rec_ex(f, "ubuntu", "other", NOW + 60, true,
	    wk_buf_cstr(&pub2), &other);
	make_rec_ex(f, "admin", "admin", NOW + 60, true, NULL, &admin);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&once1), NOW), 0);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&once2), NOW), 0);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&multi), NOW), 0);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&other), NOW), 0);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&admin), NOW), 0);
	assert_int_equal(wk_keystore_lookup(ks, "ubuntu", NOW, got, 64), 4);

	/* Nothing matches: wrong user, unknown key. */
	assert_int_equal(wk_keystore_consume(ks, "root", fp), 0);
	assert_int_equal(wk_keystore_consume(ks, "ubuntu",
	    "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0);
	assert_int_equal(wk_keystore_lookup(ks, "ubuntu", NOW, got, 64), 4);

	/* Both single-use records with the key go; multi-use stays. */
	assert_int_equal(wk_keystore_consume(ks, "ubuntu", fp), 2);
	assert_int_equal(wk_keystore_lookup(ks, "ubuntu", NOW, got, 64), 2);
	assert_true(wk_span_eq(got[0], wk_buf_span(&other)));
	assert_true(wk_span_eq(got[1], wk_buf_span(&multi)));
	/* Another user's record with the same key is untouched. */
	assert_int_equal(wk_keystore_lookup(ks, "admin", NOW, got, 64), 1);
	/* Consuming again finds nothing; delivered again it stays gone. */
	assert_int_equal(wk_keystore_consume(ks, "ubuntu", fp), 0);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&once1), NOW), 0);
	assert_int_equal(wk_keystore_lookup(ks, "ubuntu", NOW, got, 64), 2);
	/* A new push of the same key is a new record: served again. */
	wk_buf_cleanup(&once1);
	make_rec_ex(f, "ubuntu", "once-3", NOW + 60, true, NULL, &once1);
	assert_int_equal(wk_keystore_add(ks, wk_buf_span(&once1), NOW), 0);
	assert_int_equal(wk_keystore_lookup(ks, "ubuntu", NOW, got, 64), 3);
	assert_int_equal(wk_keystore_consume(ks, "ubuntu", fp2), 1);
	assert_int_equal(wk_keystore_lookup(ks, "ubuntu", NOW, got, 64), 2);
	/* Consumed records are purged at expiry like any other. */
	assert_int_equal(wk_keystore_count(ks), 6);
	assert_int_equal(wk_keystore_purge(ks, NOW + 50), 1);
	assert_int_equal(wk_keystore_purge(ks, NOW + 60), 5);

	wk_buf_cleanup(&once1);
	wk_buf_cleanup(&once2);
	wk_buf_cleanup(&multi);
	wk_buf_cleanup(&other);
	wk_buf_cleanup(&admin);
	wk_buf_cleanup(&pub2);
	wk_buf_cleanup_secret(&priv2);
	wk_buf_cleanup(&norm);
	wk_keystore_free(ks);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_lookup_expiry),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_limits_refuse_never_evict),
		cmocka_unit_test(test_lease),
		cmocka_unit_test(test_consume),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
