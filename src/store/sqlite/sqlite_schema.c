/*
 * sqlite_schema.c - the numbered migrations of the SQLite schema. Each is
 * applied once, in order, inside the migration transaction; never edit a
 * released one, add the next number instead.
 *
 * Entities refer to each other by integer row id, so renames touch one
 * row. Names IAM compares case-insensitively are COLLATE NOCASE.
 */
#include "store/sqlite/sqlite_int.h"

static const char MIGRATION_1[] =
"CREATE TABLE meta ("
"  key TEXT PRIMARY KEY NOT NULL,"
"  value TEXT NOT NULL"
") WITHOUT ROWID;"
"CREATE TABLE counters ("
"  name TEXT PRIMARY KEY NOT NULL,"
"  value INTEGER NOT NULL"
") WITHOUT ROWID;"
"INSERT INTO counters (name, value) VALUES ('policy_generation', 1);"

"CREATE TABLE users ("
"  uid INTEGER PRIMARY KEY,"
"  name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
"  id TEXT NOT NULL UNIQUE,"
"  path TEXT NOT NULL,"
"  arn TEXT NOT NULL,"
"  create_date INTEGER NOT NULL,"
"  password_last_used INTEGER NOT NULL DEFAULT 0"
");"
"CREATE TABLE user_tags ("
"  uid INTEGER NOT NULL REFERENCES users(uid) ON DELETE CASCADE,"
"  key TEXT NOT NULL,"
"  value TEXT NOT NULL,"
"  PRIMARY KEY (uid, key)"
") WITHOUT ROWID;"
"CREATE TABLE access_keys ("
"  id TEXT PRIMARY KEY NOT NULL,"
"  uid INTEGER NOT NULL REFERENCES users(uid),"
"  secret BLOB NOT NULL,"
"  active INTEGER NOT NULL,"
"  create_date INTEGER NOT NULL,"
"  last_used INTEGER NOT NULL DEFAULT 0,"
"  last_used_service TEXT NOT NULL DEFAULT '',"
"  last_used_region TEXT NOT NULL DEFAULT ''"
") WITHOUT ROWID;"
"CREATE INDEX access_keys_uid ON access_keys(uid);"
"CREATE TABLE login_profiles ("
"  uid INTEGER PRIMARY KEY REFERENCES users(uid),"
"  password_hash TEXT NOT NULL,"
"  reset_required INTEGER NOT NULL,"
"  create_date INTEGER NOT NULL"
");"

"CREATE TABLE policies ("
"  pid INTEGER PRIMARY KEY,"
"  name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
"  id TEXT NOT NULL UNIQUE,"
"  path TEXT NOT NULL,"
"  arn TEXT NOT NULL COLLATE NOCASE UNIQUE,"
"  description TEXT NOT NULL DEFAULT '',"
"  default_num INTEGER NOT NULL,"
"  next_num INTEGER NOT NULL,"
"  attachment_count INTEGER NOT NULL DEFAULT 0,"
"  create_date INTEGER NOT NULL,"
"  update_date INTEGER NOT NULL"
");"
"CREATE TABLE policy_versions ("
"  pid INTEGER NOT NULL REFERENCES policies(pid) ON DELETE CASCADE,"
"  num INTEGER NOT NULL,"
"  document TEXT NOT NULL,"
"  create_date INTEGER NOT NULL,"
"  PRIMARY KEY (pid, num)"
") WITHOUT ROWID;"

"CREATE TABLE iam_groups ("
"  gid INTEGER PRIMARY KEY,"
"  name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
"  id TEXT NOT NULL UNIQUE,"
"  path TEXT NOT NULL,"
"  arn TEXT NOT NULL,"
"  create_date INTEGER NOT NULL"
");"
"CREATE TABLE group_members ("
"  gid INTEGER NOT NULL REFERENCES iam_groups(gid),"
"  uid INTEGER NOT NULL REFERENCES users(uid),"
"  PRIMARY KEY (gid, uid)"
") WITHOUT ROWID;"
"CREATE INDEX group_members_uid ON group_members(uid, gid);"

"CREATE TABLE user_attach ("
"  uid INTEGER NOT NULL REFERENCES users(uid),"
"  pid INTEGER NOT NULL REFERENCES policies(pid),"
"  PRIMARY KEY (uid, pid)"
") WITHOUT ROWID;"
"CREATE INDEX user_attach_pid ON user_attach(pid);"
"CREATE TABLE group_attach ("
"  gid INTEGER NOT NULL REFERENCES iam_groups(gid),"
"  pid INTEGER NOT NULL REFERENCES policies(pid),"
"  PRIMARY KEY (gid, pid)"
") WITHOUT ROWID;"
"CREATE INDEX group_attach_pid ON group_attach(pid);"
"CREATE TABLE user_inline ("
"  uid INTEGER NOT NULL REFERENCES users(uid),"
"  name TEXT NOT NULL COLLATE NOCASE,"
"  document TEXT NOT NULL,"
"  PRIMARY KEY (uid, name)"
") WITHOUT ROWID;"
"CREATE TABLE group_inline ("
"  gid INTEGER NOT NULL REFERENCES iam_groups(gid),"
"  name TEXT NOT NULL COLLATE NOCASE,"
"  document TEXT NOT NULL,"
"  PRIMARY KEY (gid, name)"
") WITHOUT ROWID;"

"CREATE TABLE instances ("
"  id TEXT PRIMARY KEY NOT NULL,"
"  hostname TEXT NOT NULL,"
"  address TEXT NOT NULL,"
"  ssh_port INTEGER NOT NULL,"
"  host_keys TEXT NOT NULL,"
"  agent_secret_hash TEXT NOT NULL,"
"  create_date INTEGER NOT NULL,"
"  last_seen INTEGER NOT NULL DEFAULT 0"
") WITHOUT ROWID;"
"CREATE TABLE instance_tags ("
"  instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,"
"  key TEXT NOT NULL,"
"  value TEXT NOT NULL,"
"  PRIMARY KEY (instance_id, key)"
") WITHOUT ROWID;"

"CREATE TABLE tokens ("
"  hash TEXT PRIMARY KEY NOT NULL,"
"  expires INTEGER NOT NULL,"
"  used INTEGER NOT NULL DEFAULT 0"
") WITHOUT ROWID;"

"CREATE TABLE audit ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  time_ms INTEGER NOT NULL,"
"  request_id TEXT NOT NULL,"
"  action TEXT NOT NULL,"
"  caller_arn TEXT NOT NULL,"
"  access_key_id TEXT NOT NULL,"
"  source_ip TEXT NOT NULL,"
"  instance_id TEXT NOT NULL,"
"  os_user TEXT NOT NULL,"
"  key_fingerprint TEXT NOT NULL,"
"  decision TEXT NOT NULL,"
"  error_code TEXT NOT NULL,"
"  via TEXT NOT NULL"
");"
"CREATE INDEX audit_instance ON audit(instance_id, id);"
"CREATE INDEX audit_caller ON audit(caller_arn, id);"
"CREATE INDEX audit_time ON audit(time_ms);"
"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
"  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
"  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;";

/* A join token may name the addresses its host may register. */
static const char MIGRATION_2[] =
"ALTER TABLE tokens ADD COLUMN address_allow TEXT NOT NULL DEFAULT '';";

/*
 * An instance enrolled by name keeps the name (PrivateDnsName) apart from
 * its address, which is always an IP address (the enrolling connection's,
 * or one the operator allows): wicketd never resolves a host's name.
 */
static const char MIGRATION_3[] =
"ALTER TABLE instances ADD COLUMN dns_name TEXT NOT NULL DEFAULT '';"
/* a name an older wicketd kept as the address (letters, no ':') becomes
 * the dns_name too; the agent's next update records its IP address */
"UPDATE instances SET dns_name = address"
"  WHERE address GLOB '*[A-Za-z]*' AND address NOT GLOB '*:*';";

/*
 * Logins on the hosts (docs/sessions.md): the agents report Login and
 * Logout, kept in the audit log with the session id (the join key), the
 * agent's event id (a re-sent report is recognised, never appended twice),
 * the tty, sshd's pid and, for Logout, the duration; and the sessions open
 * now, one row each, removed by their Logout.
 */
static const char MIGRATION_4[] =
"ALTER TABLE audit ADD COLUMN session_id TEXT NOT NULL DEFAULT '';"
"ALTER TABLE audit ADD COLUMN event_id TEXT NOT NULL DEFAULT '';"
"ALTER TABLE audit ADD COLUMN tty TEXT NOT NULL DEFAULT '';"
"ALTER TABLE audit ADD COLUMN sshd_pid INTEGER NOT NULL DEFAULT 0;"
"ALTER TABLE audit ADD COLUMN duration_ms INTEGER NOT NULL DEFAULT 0;"
"CREATE INDEX audit_request ON audit(request_id, id);"
"CREATE INDEX audit_session ON audit(session_id, id);"
"CREATE UNIQUE INDEX audit_event ON audit(instance_id, event_id)"
"  WHERE event_id != '';"
"CREATE TABLE sessions ("
"  instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,"
"  session_id TEXT NOT NULL,"
"  os_user TEXT NOT NULL,"
"  key_fingerprint TEXT NOT NULL,"
"  request_id TEXT NOT NULL,"
"  caller_arn TEXT NOT NULL,"
"  source_ip TEXT NOT NULL,"
"  tty TEXT NOT NULL,"
"  sshd_pid INTEGER NOT NULL,"
"  opened_ms INTEGER NOT NULL,"
"  PRIMARY KEY (instance_id, session_id)"
") WITHOUT ROWID;"
"CREATE INDEX sessions_opened ON sessions(opened_ms);";

/*
 * Revocations (docs/revocation.md): append-only like the audit log, whose
 * RevokeSessions event they detail (by_request_id joins them); agents read
 * them by id. Numbered 6 by the lead (4 and 5 are other branches').
 */
static const char MIGRATION_6[] =
"CREATE TABLE revocations ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  time_ms INTEGER NOT NULL,"
"  at INTEGER NOT NULL,"
"  keep_until INTEGER NOT NULL,"
"  caller_arn TEXT NOT NULL,"
"  access_key_id TEXT NOT NULL,"
"  instance_id TEXT NOT NULL,"
"  os_user TEXT NOT NULL,"
"  request_ids TEXT NOT NULL,"
"  by_request_ids INTEGER NOT NULL,"
"  by_arn TEXT NOT NULL,"
"  by_access_key_id TEXT NOT NULL,"
"  by_request_id TEXT NOT NULL,"
"  reason TEXT NOT NULL"
");"
"CREATE INDEX revocations_keep ON revocations(keep_until, id);"
"CREATE INDEX revocations_by ON revocations(by_request_id);"
"CREATE INDEX audit_key ON audit(access_key_id, id);"
"CREATE TRIGGER revocations_no_update BEFORE UPDATE ON revocations"
"  BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;"
"CREATE TRIGGER revocations_no_delete BEFORE DELETE ON revocations"
"  BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;";

/*
 * Replicas (docs/replicas.md; PostgreSQL's migration 7 is the same): the
 * tables several wicketd on one PostgreSQL share. One process owns a
 * SQLite file, so wicketd keeps these in memory there; the tables keep
 * both schemas alike (and `store copy` simple).
 */
static const char MIGRATION_7[] =
"CREATE TABLE hub_records ("
"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
"  instance_id TEXT NOT NULL,"
"  record TEXT NOT NULL,"
"  expires INTEGER NOT NULL"
");"
"CREATE INDEX hub_records_instance ON hub_records(instance_id, seq);"
"CREATE INDEX hub_records_expires ON hub_records(expires);"
"INSERT OR IGNORE INTO meta (key, value) VALUES ('hub_epoch',"
"  lower(hex(randomblob(8))));";

/*
 * Console sessions every replica validates (docs/replicas.md): keyed by
 * the SHA-256 of the session token, never the token; the user they are
 * bound to (id, and the digest of the password hash at sign-in), idle and
 * absolute expiry on the wall clock.
 */
static const char MIGRATION_8[] =
"CREATE TABLE console_sessions ("
"  id_hash TEXT PRIMARY KEY,"
"  user_name TEXT NOT NULL,"
"  user_id TEXT NOT NULL,"
"  pw_tag TEXT NOT NULL,"
"  created_ms INTEGER NOT NULL,"
"  last_ms INTEGER NOT NULL,"
"  idle_until_ms INTEGER NOT NULL,"
"  expires_ms INTEGER NOT NULL"
");"
"CREATE INDEX console_sessions_user ON console_sessions(user_id, created_ms);"
"CREATE INDEX console_sessions_idle ON console_sessions(idle_until_ms);"
"CREATE INDEX console_sessions_expires ON console_sessions(expires_ms);";

/*
 * Signing keys shared by the replicas (docs/replicas.md): the data
 * directory's signing files as of the last rotation, key files sealed
 * under the master key, and a generation that every rotation bumps.
 */
static const char MIGRATION_9[] =
"CREATE TABLE signing_files ("
"  name TEXT PRIMARY KEY,"
"  mtime INTEGER NOT NULL,"
"  sealed BLOB,"
"  text TEXT"
");"
"CREATE TABLE signing_state ("
"  id INTEGER PRIMARY KEY CHECK (id = 1),"
"  generation INTEGER NOT NULL"
");"
"INSERT INTO signing_state (id, generation) VALUES (1, 0);";

const struct wk_sq_migration wk_sq_migrations[] = {
	{ 1, MIGRATION_1 },
	{ 2, MIGRATION_2 },
	{ 3, MIGRATION_3 },
	{ 4, MIGRATION_4 },
	{ 6, MIGRATION_6 },
	{ 7, MIGRATION_7 },	/* h-replicas */
	{ 8, MIGRATION_8 },
	{ 9, MIGRATION_9 },
};
const size_t wk_sq_nmigrations =
    sizeof(wk_sq_migrations) / sizeof(wk_sq_migrations[0]);
