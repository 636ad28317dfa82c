#!/usr/bin/env bash
# PostgreSQL as wicketd's store (docs/postgresql.md, issue 11 part 1):
# - init --store refuses a URI holding a password; with a password file it
#   creates the schema and the admin in PostgreSQL, and serve runs on it;
# - serve refuses a schema that is not its own and names `wicketd migrate`;
#   migrate is idempotent;
# - `wicketd store copy` moves the lab's IAM setup from a SQLite data dir
#   to PostgreSQL: the same aws calls answer the same before and after,
#   and the lab user's copied access key (sealed secret) still signs;
# - PostgreSQL stopped under a serving wicketd: ServiceUnavailable, and
#   the same wicketd serves again once it is back.
# Needs root and Debian's postgresql package (scripts/install-deps.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

if ! pg_ready; then
	echo "e2e: no PostgreSQL here (root, the postgres user and" \
	    "/usr/lib/postgresql/*/bin needed: scripts/install-deps.sh)" >&2
	exit 1
fi
trap 'pg_stop; cleanup' EXIT
pg_start
pg_psql "CREATE DATABASE fresh" >/dev/null
pg_psql "CREATE DATABASE lab" >/dev/null
PF=$PG_DIR/pgpass
URI_FRESH="postgresql:///fresh?host=$PG_DIR&user=postgres"
URI_LAB="postgresql:///lab?host=$PG_DIR&user=postgres"

log "init --store: never a password in the URI"
out=$("$WK_BIN/wicketd" init --data "$T/bad" --store \
    "postgresql://postgres:hunter2@localhost/fresh" 2>&1) && rc=0 || rc=$?
check "a URI with a password is refused" [ "$rc" -ne 0 ]
check "...saying to use a password file" contains "$out" "password file"
check "...and nothing was made" [ ! -e "$T/bad/master.key" ]

log "init --store with a password file, serve on it"
DATA=$T/data
"$WK_BIN/wicketd" init --data "$DATA" --store "$URI_FRESH" \
    --store-password-file "$PF" >"$T/init.out"
check "the data dir names the store" contains "$(cat "$DATA/store")" \
    "passfile=$PF"
check "no SQLite file" [ ! -e "$DATA/wicket.db" ]
check "the admin is in PostgreSQL" [ "$(PG_DB=fresh pg_psql \
    "SELECT name FROM users")" = admin ]
out=$("$WK_BIN/wicketd" migrate --data "$DATA")
check "migrate again: nothing to do" contains "$out" "nothing to do"
PORT=$(free_port 127.0.0.1)
ENDPOINT=http://127.0.0.1:$PORT
wicketd_start "$DATA" "$PORT"
add_admin_profile
check "sts get-caller-identity on PostgreSQL" contains \
    "$(aws_as admin sts get-caller-identity)" ":user/admin"
wicketd_stop

log "serve refuses a schema that is not its own"
PG_DB=fresh pg_psql "INSERT INTO schema_version (version) VALUES (99)"
out=$("$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" 2>&1) \
    && rc=0 || rc=$?
check "newer schema refused" [ "$rc" -ne 0 ]
check "...saying so" contains "$out" "newer than this wicketd"
PG_DB=fresh pg_psql "DELETE FROM schema_version WHERE version = 99"
pg_psql "CREATE DATABASE empty" >/dev/null
mkdir -m 700 "$T/behind"
cp "$DATA/master.key" "$DATA/signing.key" "$T/behind/"
printf 'postgresql:///empty?host=%s&user=postgres&passfile=%s\n' "$PG_DIR" \
    "$PF" >"$T/behind/store"
out=$("$WK_BIN/wicketd" serve --data "$T/behind" \
    --listen "127.0.0.1:$PORT" 2>&1) && rc=0 || rc=$?
check "a schema behind is refused" [ "$rc" -ne 0 ]
check "...saying to run wicketd migrate" contains "$out" "wicketd migrate"
out=$("$WK_BIN/wicketd" migrate --data "$T/behind")
check "migrate brings it up" contains "$out" "from version 0 to"

log "the lab's setup on SQLite, then store copy"
LAB=$T/lab
wicketd_init "$LAB" >/dev/null
wicketd_start "$LAB" "$PORT"
DATA=$LAB
: >"$T/credentials"
: >"$T/config"
add_admin_profile
ACCOUNT=$(aws_as admin sts get-caller-identity | jq -r .Account)
aws_as admin iam create-user --user-name MyWorkshopUser >/dev/null
key=$(aws_as admin iam create-access-key --user-name MyWorkshopUser)
add_profile workshop "$(jq -r .AccessKey.AccessKeyId <<<"$key")" \
    "$(jq -r .AccessKey.SecretAccessKey <<<"$key")"
cat >"$T/ic.json" <<JSON
{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
"Action":"ec2-instance-connect:SendSSHPublicKey","Resource":"*",
"Condition":{"StringEquals":{"ec2:osuser":"ubuntu"}}}]}
JSON
ARN="arn:aws:iam::$ACCOUNT:policy/InstanceConnect"
aws_as admin iam create-policy --policy-name InstanceConnect \
    --policy-document "file://$T/ic.json" >/dev/null
aws_as admin iam create-policy-version --policy-arn "$ARN" \
    --policy-document "file://$T/ic.json" --set-as-default >/dev/null
aws_as admin iam delete-policy-version --policy-arn "$ARN" --version-id v1
aws_as admin iam attach-user-policy --user-name MyWorkshopUser \
    --policy-arn "$ARN"
aws_as admin iam create-group --group-name Workshop >/dev/null
aws_as admin iam add-user-to-group --group-name Workshop \
    --user-name MyWorkshopUser
aws_as admin iam put-group-policy --group-name Workshop \
    --policy-name Describe --policy-document "file://$T/ic.json"
aws_as admin iam tag-user --user-name MyWorkshopUser --tags Key=team,Value=lab
aws_as admin iam create-login-profile --user-name MyWorkshopUser \
    --password "Wk-e2e-Passw0rd-9" >/dev/null

# The answers to compare: volatile fields (last-used) aside, and the
# dates a copy cannot keep (docs/postgresql.md: a policy version's
# CreateDate and the policy's UpdateDate become the copy's time).
answers() {
	{
		aws_as admin iam list-users
		aws_as admin iam get-user --user-name MyWorkshopUser
		aws_as admin iam list-user-tags --user-name MyWorkshopUser
		aws_as admin iam list-access-keys --user-name MyWorkshopUser
		aws_as admin iam list-attached-user-policies \
		    --user-name MyWorkshopUser
		aws_as admin iam list-policy-versions --policy-arn "$ARN"
		aws_as admin iam get-policy --policy-arn "$ARN"
		aws_as admin iam list-groups-for-user --user-name MyWorkshopUser
		aws_as admin iam get-group-policy --group-name Workshop \
		    --policy-name Describe
		aws_as admin iam get-login-profile --user-name MyWorkshopUser
		aws_as workshop sts get-caller-identity
	} | jq -S 'del(.. | .PasswordLastUsed?, .LastUsedDate?) |
	    del(.Versions[]?.CreateDate) | del(.Policy.UpdateDate?)'
}
# an audited refusal (no such instance), to see the audit log move
aws_as workshop ec2-instance-connect send-ssh-public-key \
    --instance-id i-0123456789abcdef0 --instance-os-user ubuntu \
    --ssh-public-key "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGu4lb5Z5mQ1hI4cPvZSdCq6l3m8n0vXyYq0qKc9tR6c e2e" \
    >/dev/null 2>&1 || true
answers >"$T/before.json"
check "the lab user signs on SQLite" contains "$(cat "$T/before.json")" \
    ":user/MyWorkshopUser"
wicketd_stop
AUDIT_N=$(sqlite3 "$LAB/wicket.db" "SELECT count(*) FROM audit")

out=$("$WK_BIN/wicketd" store copy --from "$LAB" --to "$URI_LAB" \
    --store-password-file "$PF" --use)
check "store copy reports" contains "$out" "now serves from it"
check "the lab dir now names PostgreSQL" [ -f "$LAB/store" ]
out=$("$WK_BIN/wicketd" store copy --from "$LAB" --to "$URI_LAB" \
    --store-password-file "$PF" 2>&1) && rc=0 || rc=$?
check "a second copy into the same database is refused" [ "$rc" -ne 0 ]
check "...as not empty" contains "$out" "already holds users"

wicketd_start "$LAB" "$PORT"
answers >"$T/after.json"
check "the copy answers the same" diff "$T/before.json" "$T/after.json"
audit_same() {
	[ "$AUDIT_N" -gt 0 ] &&
	    [ "$(PG_DB=lab pg_psql "SELECT count(*) FROM audit")" = "$AUDIT_N" ]
}
check "the audit log came along ($AUDIT_N events)" audit_same

log "PostgreSQL restarting: ServiceUnavailable, then service again"
pg_ctl_as -m fast stop
out=$(aws_as admin iam list-users 2>&1) && rc=0 || rc=$?
check "a call while it is down fails" [ "$rc" -ne 0 ]
check "...with ServiceUnavailable (retryable)" contains "$out" \
    "ServiceUnavailable"
pg_ctl_as -l "$PG_DIR/postgres.log" -o "-k $PG_DIR -c listen_addresses='' \
    -c fsync=off -c full_page_writes=off" start
back=
for _ in $(seq 1 20); do
	if out=$(aws_as admin iam get-user --user-name MyWorkshopUser 2>&1); then
		back=1
		break
	fi
	sleep 0.5
done
check "the same wicketd answers again once it is back" [ -n "$back" ]
check "...with the data" contains "$out" "MyWorkshopUser"
wicketd_stop
finish
