# shellcheck shell=bash
# A throwaway PostgreSQL for an e2e test (sourced after lib.sh): Debian's
# binaries, initdb + pg_ctl as the postgres user in $T/pg (Unix socket
# there, no TCP), stopped by the test's cleanup. pg_ready says whether
# this machine can run one (root, the postgres user, the package).
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PG_DIR=$T/pg

pg_ready() {
	[ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 &&
	    [ -x "$PG_BIN/initdb" ]
}

pg_ctl_as() {
	runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -s "$@"
}

# pg_start: a cluster whose superuser "postgres" logs in with a password
# (scram) from $PG_DIR/pgpass, so the tests use a real password file
pg_start() {
	mkdir -p "$PG_DIR"
	chown postgres: "$PG_DIR"
	chmod 755 "$T"
	printf 'pg-e2e-%s\n' "$(head -c 9 /dev/urandom | base64 | tr -d '/+=')" \
	    >"$PG_DIR/pw"
	chown postgres: "$PG_DIR/pw"
	runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres \
	    -A scram-sha-256 --pwfile="$PG_DIR/pw" -E UTF8 --locale=C \
	    --no-sync >"$T/initdb.log" 2>&1
	pg_ctl_as -l "$PG_DIR/postgres.log" -o "-k $PG_DIR -c listen_addresses='' \
	    -c fsync=off -c full_page_writes=off" start
	printf '*:*:*:postgres:%s\n' "$(cat "$PG_DIR/pw")" >"$PG_DIR/pgpass"
	chmod 600 "$PG_DIR/pgpass"
	PG_URI="postgresql:///postgres?host=$PG_DIR&user=postgres"
	PG_STOP_ON_EXIT=1
}

# pg_psql SQL: one statement as the superuser
pg_psql() {
	PGPASSFILE=$PG_DIR/pgpass "$PG_BIN/psql" -X -q -t -A \
	    "host=$PG_DIR user=postgres dbname=${PG_DB:-postgres}" -c "$1"
}

pg_stop() {
	[ -n "${PG_STOP_ON_EXIT:-}" ] || return 0
	pg_ctl_as -m fast stop || true
	PG_STOP_ON_EXIT=
}

# The set-up of the replica tests: PostgreSQL up with a database "wk"
# (URI names it; db SQL runs SQL in it), stopped when the test exits. Ends
# the test when this machine has no PostgreSQL. Set the EXIT trap (with
# pg_stop) before calling it.
pg_store_up() {
	if ! pg_ready; then
		echo "$(basename "$0"): no PostgreSQL here" \
		    "(scripts/install-deps.sh)" >&2
		exit 1
	fi
	pg_start
	pg_psql "CREATE DATABASE wk" >/dev/null
	URI="postgresql:///wk?host=$PG_DIR&user=postgres"
}
db() { PG_DB=wk pg_psql "$1"; }

# pg_replicas_init DIR_A DIR_B [INIT ARGS...]: `wicketd init` on DIR_A
# with the store at URI, DIR_B a copy of it (the same master key, signing
# keys and store: another replica), as README's production section does.
pg_replicas_init() {
	local a=$1 b=$2
	shift 2
	"$WK_BIN/wicketd" init --data "$a" --store "$URI" \
	    --store-password-file "$PG_DIR/pgpass" "$@" >/dev/null
	cp -a "$a" "$b"
}
