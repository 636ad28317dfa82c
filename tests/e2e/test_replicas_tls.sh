#!/usr/bin/env bash
# Two wicketd replicas on one PostgreSQL, over HTTPS (issue 11 part 3's
# last item), set up with the README's "Running in production" commands:
# `wicketd init --tls --tls-name` naming both replicas, the data dir copied
# to the second (master key, signing keys, store pointer and tls/), which
# then takes its own server key from the same CA (`wicketd tls renew
# --new-key`). One CA file is the trust for everything: the agent
# enrolled with both servers and the token's CA pin, `wicket ssh` and the
# aws CLI with --ca-bundle/AWS_CA_BUNDLE through either replica, the
# console's sign-in (Secure cookie) on A used on B. Then the replica the
# agent polls is killed and `wicket ssh` through the other logs in. A
# replica whose CA is not the shared one (its own `wicketd tls init`) is
# refused by the same clients.
# Needs root and Debian's postgresql package (scripts/install-deps.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

if ! pg_ready; then
	echo "e2e: no PostgreSQL here (scripts/install-deps.sh)" >&2
	exit 1
fi
trap 'pg_stop; cleanup' EXIT
REGION=us-east-1
ACCOUNT=123456789012
pg_start
pg_psql "CREATE DATABASE wk" >/dev/null
URI="postgresql:///wk?host=$PG_DIR&user=postgres"
ensure_user ubuntu
ensure_ak_user
IP_A=127.0.0.21
IP_B=127.0.0.22
IP_H=127.0.0.23		# the host's sshd

log "the README's commands: init --tls naming both replicas, copy, own key"
A=$T/a
B=$T/b
"$WK_BIN/wicketd" init --data "$A" --store "$URI" \
    --store-password-file "$PG_DIR/pgpass" --account-id "$ACCOUNT" \
    --region "$REGION" --tls --tls-name "$IP_A,$IP_B" >/dev/null
cp -a "$A" "$B"		# rsync -a /var/lib/wicket/ replica2:/var/lib/wicket/
"$WK_BIN/wicketd" tls renew --data "$B" --new-key --tls-name "$IP_B" >/dev/null
CA=$A/tls/ca.pem
spki() {	# spki PEM: hex SHA-256 of the first certificate's public key
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
	    openssl dgst -sha256 -r | cut -d' ' -f1
}
check "B's CA is A's" cmp -s "$CA" "$B/tls/ca.pem"
check "B's server key is its own" \
    test "$(spki "$B/tls/server.pem")" != "$(spki "$A/tls/server.pem")"
check "B's certificate verifies against the one CA" \
    openssl verify -CAfile "$CA" "$B/tls/server.pem"
check "B's certificate names B only" test \
    "$(openssl x509 -in "$B/tls/server.pem" -noout -ext subjectAltName | tail -n 1 | tr -d ' ')" \
    = "IPAddress:$IP_B"
PA=$(free_port)
PB=$(free_port)
serve() {	# serve DIR ADDR PORT LOG
	"$WK_BIN/wicketd" serve --data "$1" --listen "$2:$3" >>"$T/$4" 2>&1 &
	WICKETD_PID=$!
	PIDS+=("$WICKETD_PID")
}
serve "$A" "$IP_A" "$PA" wicketd-a.log
PID_A=$WICKETD_PID
serve "$B" "$IP_B" "$PB" wicketd-b.log
wait_tcp "$IP_A" "$PA"
wait_tcp "$IP_B" "$PB"
EP_A=https://$IP_A:$PA
EP_B=https://$IP_B:$PB
check "A serves https" grep -q 'event=listening.*scheme=https' "$T/wicketd-a.log"
check "B serves https" grep -q 'event=listening.*scheme=https' "$T/wicketd-b.log"
DATA=$A
add_admin_profile
admin_key=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$A/credentials")
admin_secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$A/credentials")

log "an agent enrolled with both servers, trusting the token's CA pin"
SSHP=$(free_port)
mkdir -p "$T/sshd-h"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-h/ssh_host_ed25519_key" </dev/null
token=$("$WK_BIN/wicketd" token create --data "$A" --address-allow "$IP_H" 2>/dev/null)
check "the token pins the CA" test "${token##*.}" = "$(spki "$CA")"
ID=$("$HOST_BIN/wicket-agent" enroll --server "$EP_A" --server "$EP_B" \
    --token "$token" --state "$T/agent-h" --address "$IP_H" \
    --ssh-port "$SSHP" --host-key "$T/sshd-h/ssh_host_ed25519_key.pub")
check "enrolled" bash -c "[[ '$ID' =~ ^i-[0-9a-f]{17}$ ]]"
check "state.json lists both https servers" test \
    "$(jq -c .servers "$T/agent-h/state.json")" = "[\"$EP_A\",\"$EP_B\"]"
agent_start h
sshd_start h "$IP_H" "$SSHP" "$T/agent-h" "$T/agent-h.sock"
check "the agent verifies by the pin" \
    grep -q "event=agent_started.*tls=verify pin=sha256:$(spki "$CA")" "$T/agent-h.log"
check "the agent is on A" agent_connected h 1
check "...over https" grep -q "event=wicketd_connected server=$EP_A" "$T/agent-h.log"

mkdir -p "$T/home" "$T/tmp"
chmod 700 "$T/home" "$T/tmp"
wk() {	# wk ENDPOINT [VAR=VALUE...] -- wicket ARGS: nothing else set
	local ep=$1 vars=()
	shift
	while [ "$1" != "--" ]; do vars+=("$1"); shift; done
	shift
	timeout 60 env -i PATH="$PATH" HOME="$T/home" TMPDIR="$T/tmp" \
	    AWS_ACCESS_KEY_ID="$admin_key" AWS_SECRET_ACCESS_KEY="$admin_secret" \
	    AWS_REGION="$REGION" AWS_ENDPOINT_URL="$ep" "${vars[@]}" \
	    "$WK_BIN/wicket" "$@"
}
SSH_CMD=(ssh -o BatchMode=yes -o ConnectTimeout=10 "ubuntu@$ID" 'echo login-ok; whoami')

log "wicket ssh through A and through B"
out=$(wk "$EP_A" AWS_CA_BUNDLE="$CA" -- "${SSH_CMD[@]}" 2>"$T/ssh-a.err") || true
check "wicket ssh via A (AWS_CA_BUNDLE) logs in as ubuntu" \
    test "$out" = $'login-ok\nubuntu'
out=$(wk "$EP_B" -- ssh --ca-bundle "$CA" -o BatchMode=yes "ubuntu@$ID" \
    'echo login-ok' 2>"$T/ssh-b.err") || true
check "wicket ssh via B (--ca-bundle; B's own key) logs in" test "$out" = login-ok
out=$(wk "$EP_B" -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "via B without the CA: refused (exit 255)" test "$rc" = 255
check "...with a certificate error" contains "$out" "SSL validation failed"
check "...and no login" lacks "$out" login-ok

log "the aws CLI pushes through either replica"
ssh-keygen -q -t ed25519 -N '' -f "$T/k1" </dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/k2" </dev/null
known_hosts_for h "$IP_H" "$SSHP" >"$T/known_hosts"
push() {	# push ENDPOINT PUBFILE [aws args]
	local ep=$1 pub=$2; shift 2
	ENDPOINT=$ep aws_as admin "$@" ec2-instance-connect send-ssh-public-key \
	    --instance-id "$ID" --instance-os-user ubuntu \
	    --ssh-public-key "file://$pub" 2>&1
}
login() {	# login KEY: "in" when OpenSSH logs in with KEY
	ssh_login ubuntu "$IP_H" "$SSHP" "$1" "$T/known_hosts" 'echo in' \
	    2>/dev/null || true
}
check "aws --ca-bundle push through A: Success" \
    contains "$(push "$EP_A" "$T/k1.pub" --ca-bundle "$CA")" '"Success": true'
check "...and OpenSSH logs in with it" test "$(login "$T/k1")" = in
check "AWS_CA_BUNDLE push through B: Success" \
    contains "$(AWS_CA_BUNDLE=$CA push "$EP_B" "$T/k2.pub")" '"Success": true'
check "...and OpenSSH logs in with it (the agent polls A)" test "$(login "$T/k2")" = in
check "aws without the CA: certificate error" \
    contains "$(push "$EP_B" "$T/k2.pub")" CERTIFICATE_VERIFY_FAILED

log "the console: sign in on A over https, the cookie used on B"
PW='Corr3ct-Horse-Battery'
ENDPOINT=$EP_A aws_as admin --ca-bundle "$CA" iam create-login-profile \
    --user-name admin --password "$PW" --no-password-reset-required >/dev/null
curl -sS --cacert "$CA" -c "$T/jar" -D "$T/pre.hdr" -o "$T/pre.json" \
    "$EP_A/console/api/session"
curl -sS --cacert "$CA" -b "$T/jar" -D "$T/login.hdr" -o "$T/login.json" \
    -H "Origin: $EP_A" -H "X-Wicket-CSRF: $(jq -r .csrf "$T/pre.json")" \
    -H 'Content-Type: application/json' \
    --data "{\"user\":\"admin\",\"password\":\"$PW\"}" "$EP_A/console/api/login"
COOKIE=$(sed -n 's/^Set-Cookie: wk_session=\([0-9a-f]\{64\}\);.*/\1/p' \
    "$T/login.hdr" | tr -d '\r')
CSRF=$(jq -r .csrf "$T/login.json")
check "signed in on A" test "$(jq -r .signedIn "$T/login.json")" = true
check "...its session cookie is Secure" \
    grep -qi '^set-cookie: wk_session=.*; Secure' "$T/login.hdr"
session() {	# session BASE: the session's JSON with the cookie
	curl -sS --cacert "$CA" -H "Cookie: wk_session=$COOKIE" "$1/console/api/session"
}
check "B knows the session made on A" \
    test "$(session "$EP_B" | jq -r '.signedIn, .user' | tr '\n' ' ')" = "true admin "
check "...with the same CSRF token" test "$(session "$EP_B" | jq -r .csrf)" = "$CSRF"
check "B lists instances for it, the host among them" contains \
    "$(curl -sS --cacert "$CA" -H "Cookie: wk_session=$COOKIE" "$EP_B/console/api/instances")" "$ID"
check "B's answer carries HSTS" contains \
    "$(curl -sS --cacert "$CA" -D - -o /dev/null -H "Cookie: wk_session=$COOKIE" \
    "$EP_B/console/api/session")" "Strict-Transport-Security: max-age=31536000"
check "an http:// Origin is cross-origin on B" test "$(curl -sS --cacert "$CA" \
    -o /dev/null -w '%{http_code}' -X POST -H "Cookie: wk_session=$COOKIE" \
    -H "Origin: http://$IP_B:$PB" -H "X-Wicket-CSRF: $CSRF" \
    "$EP_B/console/api/logout")" = 403
check "sign-out on B (200)" test "$(curl -sS --cacert "$CA" -o /dev/null \
    -w '%{http_code}' -X POST -H "Cookie: wk_session=$COOKIE" \
    -H "Origin: $EP_B" -H "X-Wicket-CSRF: $CSRF" "$EP_B/console/api/logout")" = 200
check "...ends it on A" test "$(session "$EP_A" | jq -r .signedIn)" = false

log "kill -9 the replica the agent polls; wicket ssh through the other"
kill -9 "$PID_A"
wait "$PID_A" 2>/dev/null || true
failed_over() {	# up to 40 s, the agent's longest wait for a reply
	for _ in $(seq 1 400); do
		grep -q "event=wicketd_failover from=$EP_A to=$EP_B" \
		    "$T/agent-h.log" && return 0
		sleep 0.1
	done
	return 1
}
check "the agent fails over to B" failed_over
# The agent's next poll goes to B 0.1-1 s after the failover line; a
# login tried before it reaches B is refused, so try for up to 15 s.
# (wicketd_connected is logged only when that poll is answered: B holds
# it up to 25 s unless a record comes, so it is not waited for here.)
for tries in $(seq 1 15); do
	out=$(wk "$EP_B" AWS_CA_BUNDLE="$CA" -- "${SSH_CMD[@]}" 2>"$T/ssh-b2.$tries.err") &&
	    break
	sleep 1
done
echo "# wicket ssh through B after the kill: $tries attempt(s)"
check "wicket ssh via B logs in after A died" test "$out" = $'login-ok\nubuntu'
check "the agent is connected to B" agent_connected h 2
check "...logged as B" grep -q "event=wicketd_connected server=$EP_B" "$T/agent-h.log"
check "the agent refused no server certificate" \
    bash -c "! grep -q event=server_refused '$T/agent-h.log'"

log "a replica with a CA of its own is refused by the same clients"
C=$T/c
cp -a "$A" "$C"
rm -r "$C/tls"
"$WK_BIN/wicketd" tls init --data "$C" --tls-name "$IP_A" >/dev/null 2>&1
PC=$(free_port)
serve "$C" "$IP_A" "$PC" wicketd-c.log
wait_tcp "$IP_A" "$PC"
out=$(wk "https://$IP_A:$PC" AWS_CA_BUNDLE="$CA" -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "wicket ssh with the shared CA: refused" contains "$out" "SSL validation failed"
check "...no login" lacks "$out" login-ok
token=$("$WK_BIN/wicketd" token create --data "$A" --address-allow "$IP_H" 2>/dev/null)
out=$("$HOST_BIN/wicket-agent" enroll --server "https://$IP_A:$PC" \
    --token "$token" --state "$T/agent-x" --address "$IP_H" --ssh-port "$SSHP" \
    --host-key "$T/sshd-h/ssh_host_ed25519_key.pub" 2>&1) && rc=0 || rc=$?
check "an agent enrolling there with the shared pin: refused" test "$rc" != 0
check "...a pin mismatch, nothing sent" contains "$out" "pin mismatch"
finish
