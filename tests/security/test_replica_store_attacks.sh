#!/usr/bin/env bash
# What replicas trust in the shared PostgreSQL (docs/replicas.md), attacked
# by someone who can read the tables or write the signing rows:
#  - a console session row read from the database is no cookie: the row's
#    key is a digest of the token, the CSRF token is not stored, and the
#    digest presented as a cookie is refused by every replica;
#  - a signing key written into signing_files in clear (not sealed under
#    the replicas' master key) and announced with NOTIFY 'k' is refused:
#    every replica keeps its keys and says so.
# Needs root and Debian's postgresql package (scripts/install-deps.sh).
source "$(dirname "$0")/../e2e/lib.sh"
source "$(dirname "$0")/../e2e/pg_lib.sh"
source "$(dirname "$0")/../e2e/console_lib.sh"

trap 'pg_stop; cleanup' EXIT
pg_store_up
TOOL="$WK_BIN/keyrec_tool"
key_id() {	# key_id FILE: the id of the signing key in FILE
	"$TOOL" pubkey "$1" 2>/dev/null | cut -d" " -f1
}

log "two replicas on one PostgreSQL"
A=$T/a
B=$T/b
pg_replicas_init "$A" "$B"
PORT_A=$(free_port)
PORT_B=$(free_port)
wicketd_start "$A" "$PORT_A"
wicketd_start "$B" "$PORT_B"
DATA=$A
add_admin_profile
EP_A=http://127.0.0.1:$PORT_A
EP_B=http://127.0.0.1:$PORT_B
ENDPOINT=$EP_A
PW='Corr3ct-Horse-Battery'
aws_as admin iam create-user --user-name alice >/dev/null
aws_as admin iam create-login-profile --user-name alice \
    --password "$PW" --no-password-reset-required >/dev/null
{ read -r C1; read -r X1; } < <(sign_in "$EP_A" alice "$PW")
check "alice signs in on A" signed_in_as "$EP_B" "$C1" alice

log "attack: a console session row read from the database used as a cookie"
rows=$(db "SELECT id_hash || ' ' || user_name || ' ' || pw_tag FROM console_sessions")
check "one row, for alice" test "$(wc -l <<<"$rows")" = 1
check "...keyed by the SHA-256 of the token" contains "$rows" \
    "$(printf '%s' "$C1" | sha256sum | cut -d' ' -f1) alice"
dump=$(db "SELECT row_to_json(s) FROM console_sessions s")
check "...holding neither the token nor the CSRF token" \
    bash -c "[[ '$dump' != *'$C1'* && '$dump' != *'$X1'* ]]"
stolen=$(cut -d' ' -f1 <<<"$rows")
check "the row's key as a cookie: refused on A" signed_out "$EP_A" "$stolen"
check "...and on B" signed_out "$EP_B" "$stolen"
check "...no instances (401)" \
    test "$(status "$EP_B" "$stolen" /console/api/instances)" = 401
check "alice's own cookie still works" signed_in_as "$EP_A" "$C1" alice

log "attack: a signing key written into the table in clear"
K_A=$(key_id "$A/signing.key")
K_B=$(key_id "$B/signing.key")
check "both replicas sign with one key" test -n "$K_A" -a "$K_A" = "$K_B"
"$TOOL" genkey "$T/evil.key"
EVIL=$(cat "$T/evil.key")
db "UPDATE signing_files SET sealed = NULL, text = '$EVIL' WHERE name = 'signing.key';
    UPDATE signing_state SET generation = generation + 1;
    NOTIFY wicket, 'k'" >/dev/null
for _ in $(seq 1 50); do
	[ "$(grep -c signing_keys_sync_failed "$T/wicketd.log")" -ge 2 ] &&
	    break
	sleep 0.1
done
check "both replicas refuse it and say so" \
    test "$(grep -c signing_keys_sync_failed "$T/wicketd.log")" -ge 2
check "A's signing key is unchanged" test "$(key_id "$A/signing.key")" = "$K_A"
check "B's signing key is unchanged" test "$(key_id "$B/signing.key")" = "$K_B"
check "no replica loaded the planted key" \
    bash -c "! grep -q 'signing_keys_reloaded current=$(key_id "$T/evil.key")' '$T/wicketd.log'"
finish
