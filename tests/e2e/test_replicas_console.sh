#!/usr/bin/env bash
# Console sessions across replicas (docs/replicas.md): two wicketd on one
# PostgreSQL, the console's own HTTP API driven with curl. A cookie made by
# signing in on A works on B; sign-out on B ends it on A; a password change
# through A ends the user's sessions made on B; DeleteUser ends them too,
# and a session row put back after its user was deleted is refused; an
# expired row is refused and purged. A stolen row gives no cookie:
# tests/security/test_replica_store_attacks.sh.
# Needs root and Debian's postgresql package (scripts/install-deps.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/console_lib.sh"

trap 'pg_stop; cleanup' EXIT
pg_store_up

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
for u in alice bob; do
	aws_as admin iam create-user --user-name "$u" >/dev/null
	aws_as admin iam create-login-profile --user-name "$u" \
	    --password "$PW" --no-password-reset-required >/dev/null
done

log "sign in on A, use the cookie on B"
{ read -r C1; read -r X1; } < <(sign_in "$EP_A" alice "$PW")
check "alice signs in on A" test -n "$C1"
check "A knows the session" signed_in_as "$EP_A" "$C1" alice
check "B knows the session made on A" signed_in_as "$EP_B" "$C1" alice
check "B gives the same CSRF token" \
    test "$(session "$EP_B" "$C1" | jq -r .csrf)" = "$X1"
check "B lists instances for it (200)" \
    test "$(status "$EP_B" "$C1" /console/api/instances)" = 200

log "sign out on B ends the session on A"
check "sign-out without the CSRF token: refused (403)" \
    test "$(logout "$EP_B" "$C1" 0000)" = 403
check "...and the session lives on" signed_in_as "$EP_A" "$C1" alice
check "sign-out on B (200)" test "$(logout "$EP_B" "$C1" "$X1")" = 200
check "A refuses the cookie" signed_out "$EP_A" "$C1"
check "A lists no instances for it (401)" \
    test "$(status "$EP_A" "$C1" /console/api/instances)" = 401
check "the row is gone" test "$(db "SELECT count(*) FROM console_sessions")" = 0

log "a password change through A ends the sessions made on B"
{ read -r C2; read -r X2; } < <(sign_in "$EP_B" alice "$PW")
{ read -r C3; read -r X3; } < <(sign_in "$EP_B" bob "$PW")
check "alice and bob signed in on B" signed_in_as "$EP_A" "$C2" alice
aws_as admin iam update-login-profile --user-name alice \
    --password 'N3w-Horse-Battery' >/dev/null
check "alice's session refused on B" signed_out "$EP_B" "$C2"
check "...and on A" signed_out "$EP_A" "$C2"
check "bob's session lives on" signed_in_as "$EP_B" "$C3" bob
{ read -r C4; read -r _; } < <(sign_in "$EP_B" alice 'N3w-Horse-Battery')
check "alice signs in on B with the new password" signed_in_as "$EP_A" "$C4" alice

log "DeleteUser ends the user's sessions; a row put back is refused"
db "CREATE TABLE saved AS SELECT * FROM console_sessions WHERE user_name = 'bob'" >/dev/null
ENDPOINT=$EP_B
aws_as admin iam delete-login-profile --user-name bob >/dev/null
aws_as admin iam delete-user --user-name bob >/dev/null
check "bob's session refused on A" signed_out "$EP_A" "$C3"
check "bob's rows are gone" \
    test "$(db "SELECT count(*) FROM console_sessions WHERE user_name = 'bob'")" = 0
db "INSERT INTO console_sessions SELECT * FROM saved" >/dev/null
aws_as admin iam create-user --user-name bob >/dev/null
aws_as admin iam create-login-profile --user-name bob --password "$PW" \
    --no-password-reset-required >/dev/null
check "a row of the deleted bob, put back: refused on A (a new bob too)" \
    signed_out "$EP_A" "$C3"
check "...and deleted when met" \
    test "$(db "SELECT count(*) FROM console_sessions WHERE user_name = 'bob'")" = 0

log "expired rows are refused and purged"
db "UPDATE console_sessions SET idle_until_ms = 1 WHERE user_name = 'alice'" >/dev/null
check "alice's idle session refused on B" signed_out "$EP_B" "$C4"
check "...and its row deleted" \
    test "$(db "SELECT count(*) FROM console_sessions WHERE user_name = 'alice'")" = 0
finish
