/*
 * test_sqlite.c - the registry half of the store (instances, tokens,
 * audit), secrets at rest, durability, schema and fault injection, against
 * a fresh SQLite database per test; instances, tokens and audit on
 * PostgreSQL too.
 */
#include "store_fixture.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include "common/alloc.h"

static void
mkinst(struct wk_instance *in, const char *id, const char *host)
{
	memset(in, 0, sizeof(*in));
	snprintf(in->id, sizeof(in->id), "%s", id);
	snprintf(in->hostname, sizeof(in->hostname), "%s", host);
	snprintf(in->address, sizeof(in->address), "127.0.0.2");
	in->ssh_port = 2222;
	in->host_keys = (char *)(uintptr_t)"ssh-ed25519 AAAAC3Nz\n";
	snprintf(in->agent_secret_hash, sizeof(in->agent_secret_hash),
	    "%064d", 7);
	in->create_date = 1700000000;
}

static void
test_instances(void **state)
{
	struct fx *f = *state;
	struct wk_instance in, got, *v = NULL;
	struct wk_tag tags[2], *tv = NULL;
	const char *rm[] = { "Name" };
	size_t n;

	mkinst(&in, "i-0123456789abcdef0", "web1");
	assert_int_equal(wk_store_instance_create(f->st, &in), 0);
	assert_int_equal(wk_store_instance_create(f->st, &in), WK_ERR_EXISTS);
	mkinst(&in, "i-0123456789abcdef1", "web2");
	in.host_keys = NULL;
	assert_int_equal(wk_store_instance_create(f->st, &in), 0);
	in.ssh_port = 0;
	assert_int_equal(wk_store_instance_create(f->st, &in), WK_ERR_INVAL);
	in.ssh_port = 65536;
	assert_int_equal(wk_store_instance_create(f->st, &in), WK_ERR_INVAL);

	assert_int_equal(wk_store_instance_get(f->st, "i-0123456789abcdef0",
	    &got), 0);
	assert_string_equal(got.hostname, "web1");
	assert_string_equal(got.address, "127.0.0.2");
	assert_int_equal(got.ssh_port, 2222);
	assert_string_equal(got.host_keys, "ssh-ed25519 AAAAC3Nz\n");
	assert_int_equal(got.last_seen, 0);
	wk_instance_cleanup(&got);
	assert_null(got.host_keys);
	assert_int_equal(wk_store_instance_get(f->st, "i-ffffffffffffffff0",
	    &got), WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_instance_get(f->st,
	    "i-0123456789abcdef0-way-too-long", &got), WK_ERR_NOTFOUND);

	mkinst(&in, "i-0123456789abcdef1", "web2b");
	in.ssh_port = 22;
	in.host_keys = (char *)(uintptr_t)"ssh-rsa AAAAB3\n";
	assert_int_equal(wk_store_instance_update(f->st, &in), 0);
	assert_int_equal(wk_store_instance_touch(f->st, "i-0123456789abcdef1",
	    1700000500), 0);
	assert_int_equal(wk_store_instance_touch(f->st, "i-nope", 1),
	    WK_ERR_NOTFOUND);
	mkinst(&in, "i-00000000000000000", "ghost");
	assert_int_equal(wk_store_instance_update(f->st, &in),
	    WK_ERR_NOTFOUND);

	assert_int_equal(wk_store_instance_list(f->st, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[1].hostname, "web2b");
	assert_int_equal(v[1].ssh_port, 22);
	assert_string_equal(v[1].host_keys, "ssh-rsa AAAAB3\n");
	assert_int_equal(v[1].last_seen, 1700000500);
	wk_instance_list_free(v, n);

	memset(tags, 0, sizeof(tags));
	snprintf(tags[0].key, sizeof(tags[0].key), "Name");
	snprintf(tags[0].value, sizeof(tags[0].value), "web");
	snprintf(tags[1].key, sizeof(tags[1].key), "env");
	snprintf(tags[1].value, sizeof(tags[1].value), "prod");
	assert_int_equal(wk_store_instance_tags_set(f->st,
	    "i-0123456789abcdef0", tags, 2), 0);
	assert_int_equal(wk_store_instance_tags_set(f->st, "i-nope", tags, 2),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_instance_tags_list(f->st,
	    "i-0123456789abcdef0", &tv, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(tv[0].key, "Name");
	assert_string_equal(tv[1].value, "prod");
	wk_store_free(tv);
	assert_int_equal(wk_store_instance_tags_remove(f->st,
	    "i-0123456789abcdef0", rm, 1), 0);
	assert_int_equal(wk_store_instance_tags_list(f->st,
	    "i-0123456789abcdef0", &tv, &n), 0);
	assert_int_equal(n, 1);
	wk_store_free(tv);

	assert_int_equal(wk_store_instance_delete(f->st,
	    "i-0123456789abcdef0"), 0);
	assert_int_equal(wk_store_instance_delete(f->st,
	    "i-0123456789abcdef0"), WK_ERR_NOTFOUND);
	assert_int_equal(wk_store_instance_tags_list(f->st,
	    "i-0123456789abcdef0", &tv, &n), WK_ERR_NOTFOUND);
	/* re-created: its old tags are gone */
	mkinst(&in, "i-0123456789abcdef0", "web1");
	assert_int_equal(wk_store_instance_create(f->st, &in), 0);
	assert_int_equal(wk_store_instance_tags_list(f->st,
	    "i-0123456789abcdef0", &tv, &n), 0);
	assert_int_equal(n, 0);
	wk_store_free(tv);
}

static void
test_tokens(void **state)
{
	struct fx *f = *state;
	const char *h1 = "aa11", *h2 = "bb22";

	assert_int_equal(wk_store_token_create(f->st, h1, 1000, ""), 0);
	assert_int_equal(wk_store_token_create(f->st, h1, 1000, ""),
	    WK_ERR_EXISTS);
	assert_int_equal(wk_store_token_create(f->st, h2, 1000,
	    "10.0.0.0/8,192.0.2.7/32"), 0);
	assert_int_equal(wk_store_token_create(f->st, "", 1000, NULL),
	    WK_ERR_INVAL);
	assert_int_equal(wk_store_token_consume(f->st, "cc33", 10),
	    WK_ERR_NOTFOUND);
	/* the allow-list, read without using the token up */
	{
		char allow[WK_STORE_TOKEN_ALLOW_MAX + 1];

		assert_int_equal(wk_store_token_allow(f->st, h2, 1000, allow,
		    sizeof(allow)), 0);
		assert_string_equal(allow, "10.0.0.0/8,192.0.2.7/32");
		assert_int_equal(wk_store_token_allow(f->st, h1, 1000, allow,
		    sizeof(allow)), 0);
		assert_string_equal(allow, "");
		assert_int_equal(wk_store_token_allow(f->st, h2, 1001, allow,
		    sizeof(allow)), WK_ERR_EXPIRED);
		assert_int_equal(wk_store_token_allow(f->st, "cc33", 10, allow,
		    sizeof(allow)), WK_ERR_NOTFOUND);
	}
	/* expired: refused, and stays refused */
	assert_int_equal(wk_store_token_consume(f->st, h2, 1001),
	    WK_ERR_EXPIRED);
	assert_int_equal(wk_store_token_consume(f->st, h2, 1001),
	    WK_ERR_EXPIRED);
	/* single use */
	assert_int_equal(wk_store_token_consume(f->st, h1, 1000), 0);
	assert_int_equal(wk_store_token_consume(f->st, h1, 1000),
	    WK_ERR_NOTFOUND);
	{
		char allow[8];

		assert_int_equal(wk_store_token_allow(f->st, h1, 1000, allow,
		    sizeof(allow)), WK_ERR_NOTFOUND);
	}
	assert_int_equal(wk_store_token_consume(f->st, h1, 5000),
	    WK_ERR_NOTFOUND);
	fx_reopen(f);
	assert_int_equal(wk_store_token_consume(f->st, h1, 10),
	    WK_ERR_NOTFOUND);
}

static void
mkev(struct wk_audit_event *ev, int64_t t, const char *inst,
    const char *caller, const char *decision)
{
	memset(ev, 0, sizeof(*ev));
	ev->time_ms = t;
	snprintf(ev->request_id, sizeof(ev->request_id), "req-%lld",
	    (long long)t);
	snprintf(ev->action, sizeof(ev->action),
	    "ec2-instance-connect:SendSSHPublicKey");
	snprintf(ev->caller_arn, sizeof(ev->caller_arn), "%s", caller);
	snprintf(ev->instance_id, sizeof(ev->instance_id), "%s", inst);
	snprintf(ev->os_user, sizeof(ev->os_user), "ubuntu");
	snprintf(ev->decision, sizeof(ev->decision), "%s", decision);
	snprintf(ev->via, sizeof(ev->via), "api");
}

static void
test_audit(void **state)
{
	struct fx *f = *state;
	struct wk_audit_event ev, batch[3], *v = NULL;
	struct wk_audit_filter q;
	const char *alice = "arn:aws:iam::123456789012:user/alice";
	const char *bob = "arn:aws:iam::123456789012:user/bob";
	size_t n, i;
	int64_t last = 0;

	for (i = 0; i < 20; i++) {
		mkev(&ev, 1000 + (int64_t)i, i % 2 ? "i-1" : "i-2",
		    i % 3 ? alice : bob, i % 5 ? "Allow" : "Deny");
		assert_int_equal(wk_store_audit_append(f->st, &ev), 0);
		assert_true(ev.id > last);
		last = ev.id;
	}
	mkev(&batch[0], 2000, "i-3", alice, "Allow");
	mkev(&batch[1], 2001, "i-3", bob, "Allow");
	mkev(&batch[2], 2002, "i-3", "", "Deny");
	snprintf(batch[2].error_code, sizeof(batch[2].error_code),
	    "AuthException");
	assert_int_equal(wk_store_audit_append_batch(f->st, batch, 3), 0);
	assert_true(batch[0].id > last);
	assert_int_equal(batch[2].id, batch[0].id + 2);
	/* an invalid event fails the whole batch */
	mkev(&batch[0], 3000, "i-4", alice, "Allow");
	memset(batch[1].via, 'x', sizeof(batch[1].via));
	assert_int_equal(wk_store_audit_append_batch(f->st, batch, 2),
	    WK_ERR_INVAL);
	assert_int_equal(wk_store_audit_append(f->st, &batch[1]),
	    WK_ERR_INVAL);
	assert_int_equal(wk_store_audit_append_batch(f->st, batch, 0),
	    WK_ERR_INVAL);

	/* everything, newest first */
	assert_int_equal(wk_store_audit_query(f->st, NULL, &v, &n), 0);
	assert_int_equal(n, 23);
	for (i = 1; i < n; i++)
		assert_true(v[i - 1].id > v[i].id);
	assert_string_equal(v[0].error_code, "AuthException");
	assert_string_equal(v[0].caller_arn, "");
	assert_string_equal(v[0].decision, "Deny");
	assert_int_equal(v[0].time_ms, 2002);
	wk_store_free(v);

	memset(&q, 0, sizeof(q));
	q.instance_id = "i-1";
	assert_int_equal(wk_store_audit_query(f->st, &q, &v, &n), 0);
	assert_int_equal(n, 10);
	for (i = 0; i < n; i++)
		assert_string_equal(v[i].instance_id, "i-1");
	wk_store_free(v);
	q.caller_arn = bob;
	assert_int_equal(wk_store_audit_query(f->st, &q, &v, &n), 0);
	for (i = 0; i < n; i++) {
		assert_string_equal(v[i].instance_id, "i-1");
		assert_string_equal(v[i].caller_arn, bob);
	}
	assert_int_equal(n, 3);	/* i = 3, 9, 15 */
	wk_store_free(v);
	q.instance_id = NULL;
	assert_int_equal(wk_store_audit_query(f->st, &q, &v, &n), 0);
	assert_int_equal(n, 8);	/* 7 of 20, plus one in the batch */
	wk_store_free(v);

	/* time window and pagination */
	memset(&q, 0, sizeof(q));
	q.since_ms = 1005;
	q.until_ms = 1009;
	assert_int_equal(wk_store_audit_query(f->st, &q, &v, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(v[0].time_ms, 1009);
	assert_int_equal(v[4].time_ms, 1005);
	wk_store_free(v);
	memset(&q, 0, sizeof(q));
	q.max_items = 10;
	assert_int_equal(wk_store_audit_query(f->st, &q, &v, &n), 0);
	assert_int_equal(n, 10);
	q.before_id = v[9].id;
	wk_store_free(v);
	assert_int_equal(wk_store_audit_query(f->st, &q, &v, &n), 0);
	assert_int_equal(n, 10);
	assert_true(v[0].id < q.before_id);
	q.before_id = v[9].id;
	wk_store_free(v);
	assert_int_equal(wk_store_audit_query(f->st, &q, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[2].time_ms, 1000);
	wk_store_free(v);
	q.since_ms = -1;
	assert_int_equal(wk_store_audit_query(f->st, &q, &v, &n),
	    WK_ERR_INVAL);
}

/* Runs one SQL statement on a second connection; returns the rc. */
static int
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static void
test_audit_append_only(void **state)
{
	struct fx *f = *state;
	struct wk_audit_event ev, *v = NULL;
	size_t n;

	mkev(&ev, 1, "i-1", "", "Deny");
	assert_int_equal(wk_store_audit_append(f->st, &ev), 0);
	assert_int_equal(fx_raw_exec(f, "SELECT count(*) FROM audit"), 0);
	assert_int_not_equal(fx_raw_exec(f,
	    "UPDATE audit SET decision = 'Allow'"), 0);
	assert_int_not_equal(fx_raw_exec(f, "DELETE FROM audit"), 0);
	assert_int_equal(wk_store_audit_query(f->st, NULL, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].decision, "Deny");
	wk_store_free(v);
}

static void
add_key(struct fx *f, const char *id, const char *secret)
{
	struct wk_access_key k;

	memset(&k, 0, sizeof(k));
	snprintf(k.id, sizeof(k.id), "%s", id);
	snprintf(k.user_name, sizeof(k.user_name), "alice");
	snprintf(k.secret, sizeof(k.secret), "%s", secret);
	k.active = true;
	assert_int_equal(wk_store_key_create(f->st, &k), 0);
}

static void
test_secret_at_rest(void **state)
{
	struct fx *f = *state;
	struct wk_access_key got;
	uint8_t other[WK_MASTER_KEY_LEN];
	struct wk_store *st2 = NULL;
	FILE *fp;
	char buf[65536];
	size_t len;

	assert_int_equal(fx_add_user(f, "alice"), 0);
	add_key(f, "AKIA0000000000000001", "TopSecretValueNumberOne1234");
	add_key(f, "AKIA0000000000000002", "TopSecretValueNumberTwo1234");
	fx_reopen(f);	/* checkpoint-independent: look at db and wal */
	assert_int_equal(raw_exec(f->path, "PRAGMA wal_checkpoint(FULL)"),
	    SQLITE_OK);
	fp = fopen(f->path, "rb");
	assert_non_null(fp);
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	assert_true(len > 0);
	assert_null(memmem(buf, len, "TopSecret", 9));

	/* a sealed secret moved to another key id does not decrypt */
	assert_int_equal(raw_exec(f->path,
	    "UPDATE access_keys SET secret = (SELECT secret FROM access_keys"
	    " WHERE id = 'AKIA0000000000000001')"
	    " WHERE id = 'AKIA0000000000000002'"), SQLITE_OK);
	assert_int_equal(wk_store_key_get(f->st, "AKIA0000000000000002",
	    &got), WK_ERR_CRYPTO);
	assert_string_equal(got.secret, "");
	assert_int_equal(wk_store_key_get(f->st, "AKIA0000000000000001",
	    &got), 0);
	assert_string_equal(got.secret, "TopSecretValueNumberOne1234");

	/* another master key cannot decrypt */
	memcpy(other, f->key, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(wk_store_open(f->path, other, &st2), 0);
	assert_int_equal(wk_store_key_get(st2, "AKIA0000000000000001", &got),
	    WK_ERR_CRYPTO);
	assert_string_equal(got.secret, "");
	wk_store_close(st2);
}

static void
test_durability(void **state)
{
	struct fx *f = *state;
	struct wk_user u;
	struct wk_access_key k;
	struct wk_managed_policy p;
	struct wk_effective_policy *ev = NULL;
	struct wk_audit_event a, *av = NULL;
	struct wk_instance in;
	char arn[2048], vid[8];
	struct stat sb;
	uint64_t gen;
	size_t n;

	assert_int_equal(fx_add_user(f, "alice"), 0);
	add_key(f, "AKIA0000000000000009", "persisted-secret");
	assert_int_equal(fx_add_group(f, "devs"), 0);
	assert_int_equal(wk_store_group_add_user(f->st, "devs", "alice"), 0);
	assert_int_equal(fx_add_policy(f, "P", "{\"a\":1}", arn), 0);
	assert_int_equal(wk_store_policy_version_create(f->st, arn, "{\"a\":2}",
	    true, vid), 0);
	assert_int_equal(wk_store_attach_group(f->st, "devs", arn), 0);
	mkinst(&in, "i-0123456789abcdef0", "web1");
	assert_int_equal(wk_store_instance_create(f->st, &in), 0);
	mkev(&a, 5, "i-0123456789abcdef0", "arn:x", "Allow");
	assert_int_equal(wk_store_audit_append(f->st, &a), 0);
	assert_int_equal(wk_store_meta_set(f->st, "region", "eu-west-1"), 0);
	gen = fx_gen(f);

	fx_reopen(f);
	assert_int_equal(fx_gen(f), gen);
	assert_int_equal(wk_store_user_get(f->st, "alice", &u), 0);
	assert_int_equal(wk_store_key_get(f->st, "AKIA0000000000000009", &k),
	    0);
	assert_string_equal(k.secret, "persisted-secret");
	assert_int_equal(wk_store_policy_get(f->st, arn, &p), 0);
	assert_string_equal(p.default_version, "v2");
	assert_int_equal(p.attachment_count, 1);
	assert_int_equal(wk_store_effective_policies(f->st, "alice", &ev, &n),
	    0);
	assert_int_equal(n, 1);
	assert_string_equal(ev[0].document, "{\"a\":2}");
	wk_effective_policy_list_free(ev, n);
	assert_int_equal(wk_store_instance_get(f->st, "i-0123456789abcdef0",
	    &in), 0);
	wk_instance_cleanup(&in);
	assert_int_equal(wk_store_audit_query(f->st, NULL, &av, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(av[0].id, a.id);
	wk_store_free(av);

	/* the database file is private */
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 077, 0);
	/* schema version recorded; journal is WAL */
	assert_int_equal(raw_exec(f->path,
	    "SELECT 1/(SELECT count(*) FROM schema_version WHERE version = 1)"),
	    SQLITE_OK);
}

static void
test_newer_schema_refused(void **state)
{
	struct fx *f = *state;

	wk_store_close(f->st);
	f->st = NULL;
	assert_int_equal(raw_exec(f->path,
	    "INSERT INTO schema_version (version) VALUES (999)"), SQLITE_OK);
	assert_int_equal(wk_store_open(f->path, f->key, &f->st), WK_ERR_STORE);
	assert_null(f->st);
	assert_int_equal(raw_exec(f->path,
	    "DELETE FROM schema_version WHERE version = 999"), SQLITE_OK);
	assert_int_equal(wk_store_open(f->path, f->key, &f->st), 0);
}

/*
 * Migration 3: dns_name kept apart from the address; a name an older
 * wicketd stored as the address is copied to dns_name.
 */
static void
test_dns_name_migration(void **state)
{
	struct fx *f = *state;
	struct wk_instance in, got;

	mkinst(&in, "i-0123456789abcdef0", "web1");
	snprintf(in.dns_name, sizeof(in.dns_name), "web-1.example");
	assert_int_equal(wk_store_instance_create(f->st, &in), 0);
	assert_int_equal(wk_store_instance_get(f->st, in.id, &got), 0);
	assert_string_equal(got.dns_name, "web-1.example");
	wk_instance_cleanup(&got);
	in.dns_name[0] = '\0';
	assert_int_equal(wk_store_instance_update(f->st, &in), 0);
	assert_int_equal(wk_store_instance_get(f->st, in.id, &got), 0);
	assert_string_equal(got.dns_name, "");
	wk_instance_cleanup(&got);
	/* back to a version-2 database holding a name as an address */
	wk_store_close(f->st);
	f->st = NULL;
	assert_int_equal(raw_exec(f->path,
	    "DELETE FROM schema_version WHERE version >= 3;"
	    /* what the later migrations made (9: signing files, 8: console
	     * sessions, 7: replicas, 6: revocations) */
	    "DROP TABLE hub_records; DROP TABLE console_sessions;"
	    "DROP TABLE signing_files; DROP TABLE signing_state;"
	    "DELETE FROM meta WHERE key = 'hub_epoch';"
	    "DROP TABLE revocations; DROP INDEX audit_key;"
	    /* back to version 2: undo 4 too */
	    "DROP TABLE sessions; DROP INDEX audit_request;"
	    "DROP INDEX audit_session; DROP INDEX audit_event;"
	    "ALTER TABLE audit DROP COLUMN session_id;"
	    "ALTER TABLE audit DROP COLUMN event_id;"
	    "ALTER TABLE audit DROP COLUMN tty;"
	    "ALTER TABLE audit DROP COLUMN sshd_pid;"
	    "ALTER TABLE audit DROP COLUMN duration_ms;"
	    "ALTER TABLE instances DROP COLUMN dns_name;"
	    "UPDATE instances SET address = 'web-9.example';"
	    "INSERT INTO instances (id, hostname, address, ssh_port,"
	    " host_keys, agent_secret_hash, create_date) VALUES"
	    " ('i-0123456789abcdef1', 'h', '2001:db8::1', 22, '', '', 0)"),
	    SQLITE_OK);
	assert_int_equal(wk_store_open(f->path, f->key, &f->st), 0);
	assert_int_equal(wk_store_instance_get(f->st, in.id, &got), 0);
	assert_string_equal(got.dns_name, "web-9.example");
	wk_instance_cleanup(&got);
	assert_int_equal(wk_store_instance_get(f->st, "i-0123456789abcdef1",
	    &got), 0);
	assert_string_equal(got.dns_name, "");
	wk_instance_cleanup(&got);
}

/* Fails the Nth allocation across a sequence of calls. */
static void
test_alloc_failures(void **state)
{
	struct fx *f = *state;
	struct wk_user *uv = NULL;
	struct wk_effective_policy *ev = NULL;
	struct wk_audit_event a, *av = NULL;
	struct wk_access_key k;
	struct wk_policy_version *vv = NULL;
	struct wk_store *st = NULL;
	char arn[2048], *next = NULL, **names = NULL;
	size_t n;
	long i;
	int r;

	assert_int_equal(fx_add_user(f, "alice"), 0);
	assert_int_equal(fx_add_user(f, "bob"), 0);
	assert_int_equal(fx_add_policy(f, "P", "{}", arn), 0);
	assert_int_equal(wk_store_attach_user(f->st, "alice", arn), 0);
	assert_int_equal(wk_store_user_policy_put(f->st, "alice", "a", "{}"),
	    0);
	assert_int_equal(wk_store_user_policy_put(f->st, "alice", "b", "{}"),
	    0);
	add_key(f, "AKIA0000000000000001", "s");
	mkev(&a, 1, "i-1", "arn", "Allow");
	assert_int_equal(wk_store_audit_append(f->st, &a), 0);

	for (i = 0; i < 12; i++) {
		wk_alloc_fail_after(i);
		r = wk_store_user_list(f->st, NULL, NULL, 1, &uv, &n, &next);
		if (r == 0) {
			wk_store_free(uv);
			wk_store_free(next);
		} else {
			assert_int_equal(r, WK_ERR_NOMEM);
			assert_null(uv);
			assert_null(next);
		}
		wk_alloc_fail_after(i);
		r = wk_store_effective_policies(f->st, "alice", &ev, &n);
		if (r == 0)
			wk_effective_policy_list_free(ev, n);
		else
			assert_null(ev);
		wk_alloc_fail_after(i);
		r = wk_store_user_policy_list(f->st, "alice", &names, &n);
		if (r == 0)
			wk_store_strv_free(names, n);
		else
			assert_null(names);
		wk_alloc_fail_after(i);
		r = wk_store_policy_version_list(f->st, arn, &vv, &n);
		if (r == 0)
			wk_policy_version_list_free(vv, n);
		wk_alloc_fail_after(i);
		r = wk_store_audit_query(f->st, NULL, &av, &n);
		if (r == 0)
			wk_store_free(av);
		wk_alloc_fail_after(i);
		(void)wk_store_key_get(f->st, "AKIA0000000000000001", &k);
		wk_alloc_fail_after(i);
		memset(&k, 0, sizeof(k));
		snprintf(k.id, sizeof(k.id), "AKIA%016ld", i + 100);
		snprintf(k.user_name, sizeof(k.user_name), "bob");
		snprintf(k.secret, sizeof(k.secret), "x");
		r = wk_store_key_create(f->st, &k);
		wk_alloc_fail_after(-1);
		if (r == 0)
			assert_int_equal(wk_store_key_delete(f->st, "bob",
			    k.id), 0);
		wk_alloc_fail_after(i);
		r = wk_store_open(f->path, f->key, &st);
		wk_alloc_fail_after(-1);
		if (r == 0)
			wk_store_close(st);
		else
			assert_null(st);
		st = NULL;
	}
	wk_alloc_fail_after(-1);
	/* the store still works afterwards */
	assert_int_equal(wk_store_key_get(f->st, "AKIA0000000000000001", &k),
	    0);
	assert_string_equal(k.secret, "s");
}

/* Agent reports: Login opens, a re-sent report changes nothing, Logout closes. */
static void
test_sessions(void **state)
{
	struct fx *f = *state;
	struct wk_instance in;
	struct wk_audit_event ev;
	struct wk_audit_filter af;
	struct wk_audit_event *evs = NULL;
	struct wk_session ses, *list = NULL;
	struct wk_session_filter sf;
	size_t n = 0;

	memset(&in, 0, sizeof(in));
	snprintf(in.id, sizeof(in.id), "i-0123456789abcdef0");
	snprintf(in.hostname, sizeof(in.hostname), "h");
	snprintf(in.address, sizeof(in.address), "127.0.0.1");
	in.ssh_port = 22;
	assert_int_equal(wk_store_instance_create(f->st, &in), 0);
	memset(&ev, 0, sizeof(ev));
	memset(&ses, 0, sizeof(ses));
	ev.time_ms = 5000;
	snprintf(ev.action, sizeof(ev.action), "wicket:Login");
	snprintf(ev.instance_id, sizeof(ev.instance_id), "%s", in.id);
	snprintf(ev.request_id, sizeof(ev.request_id), "req-1");
	snprintf(ev.session_id, sizeof(ev.session_id), "s-0011223344556677");
	snprintf(ev.event_id, sizeof(ev.event_id), "e-1");
	snprintf(ev.os_user, sizeof(ev.os_user), "ubuntu");
	snprintf(ses.session_id, sizeof(ses.session_id), "%s", ev.session_id);
	snprintf(ses.instance_id, sizeof(ses.instance_id), "%s", in.id);
	snprintf(ses.os_user, sizeof(ses.os_user), "ubuntu");
	snprintf(ses.caller_arn, sizeof(ses.caller_arn), "arn:x");
	ses.opened_ms = 5000;
	ses.sshd_pid = 42;
	assert_int_equal(wk_store_session_report(f->st, &ev, true, &ses), 0);
	assert_int_equal(wk_store_session_report(f->st, &ev, true, &ses),
	    WK_ERR_EXISTS);
	memset(&sf, 0, sizeof(sf));
	sf.caller_arn = "arn:x";
	assert_int_equal(wk_store_session_list(f->st, &sf, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].session_id, "s-0011223344556677");
	assert_int_equal(list[0].sshd_pid, 42);
	wk_store_free(list);
	snprintf(ev.action, sizeof(ev.action), "wicket:Logout");
	snprintf(ev.event_id, sizeof(ev.event_id), "e-2");
	ev.duration_ms = 1234;
	assert_int_equal(wk_store_session_report(f->st, &ev, false, NULL), 0);
	assert_int_equal(wk_store_session_list(f->st, NULL, &list, &n), 0);
	assert_int_equal(n, 0);
	wk_store_free(list);
	memset(&af, 0, sizeof(af));
	af.session_id = "s-0011223344556677";
	assert_int_equal(wk_store_audit_query(f->st, &af, &evs, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(evs[0].action, "wicket:Logout");
	assert_int_equal(evs[0].duration_ms, 1234);
	wk_store_free(evs);
	memset(&af, 0, sizeof(af));
	af.request_id = "req-1";
	assert_int_equal(wk_store_audit_query(f->st, &af, &evs, &n), 0);
	assert_int_equal(n, 2);
	wk_store_free(evs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dns_name_migration,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_instances, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_sessions, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_tokens, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit_append_only,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_secret_at_rest, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_durability, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failures, fx_setup,
		    fx_teardown),
	};

	/* the registry half runs on both backends; the rest looks inside
	 * the SQLite file (test_pg_outage.c covers PostgreSQL's own) */
	const struct CMUnitTest both[] = {
		cmocka_unit_test_setup_teardown(test_instances, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_sessions, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit_append_only,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tokens, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit, fx_setup,
		    fx_teardown),
	};

	return fx_run("registry", tests, sizeof(tests) / sizeof(tests[0]),
	    both, sizeof(both) / sizeof(both[0]));
}
