#!/usr/bin/env bash
# wicketd behind reverse proxies (wicketd serve --trusted-proxy): a real
# proxy (tests/tools/forward_proxy.py, nginx's X-Forwarded-For/-Proto
# behaviour) connects to wicketd from 127.0.0.2, the only trusted address;
# one instance speaks plain HTTP, one terminates TLS. Clients come from
# 127.0.0.1 (and the attacker from 127.0.0.3).
#
# Shows: aws:SourceIp sees the client's address through the proxy, not
# the proxy's; a client talking to wicketd directly with a forged
# X-Forwarded-For (the attack on an aws:SourceIp allow-list) or a forged
# X-Forwarded-Proto keeps its own address and stays insecure;
# aws:SecureTransport is true through the https proxy only; the console
# signs in through the https proxy with a Secure cookie and HSTS;
# malformed headers from the proxy get 400; the sign-in throttle counts
# the client's address; a host enrolling through the proxy registers its
# own address, never a forged one.
. "$(dirname "$0")/../e2e/lib.sh"

REGION=us-east-1
DATA="$T/data"
PORT=$(free_port)
PPORT=$(free_port)
SPORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
PLAIN="http://127.0.0.2:$PPORT"
TLS="https://127.0.0.2:$SPORT"
PW='Proxy-pass-Word-1'

wicketd_init "$DATA" --account-id 123456789012 --region "$REGION" >/dev/null
add_admin_profile
"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
    --trusted-proxy 127.0.0.2/32 --trusted-proxy ::1 \
    >>"$T/wicketd.log" 2>&1 &
PIDS+=("$!")
wait_tcp 127.0.0.1 "$PORT"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/proxy.key" -out "$T/proxy.crt" -days 1 -subj /CN=proxy \
    -addext "subjectAltName=IP:127.0.0.2" 2>/dev/null
"$PY" "$WK_SOURCE/tests/tools/forward_proxy.py" --listen "127.0.0.2:$PPORT" \
    --upstream "127.0.0.1:$PORT" --source 127.0.0.2 >>"$T/proxy.log" 2>&1 &
PIDS+=("$!")
"$PY" "$WK_SOURCE/tests/tools/forward_proxy.py" --listen "127.0.0.2:$SPORT" \
    --upstream "127.0.0.1:$PORT" --source 127.0.0.2 \
    --tls-cert "$T/proxy.crt" --tls-key "$T/proxy.key" >>"$T/proxy.log" 2>&1 &
PIDS+=("$!")
wait_tcp 127.0.0.2 "$PPORT"
wait_tcp 127.0.0.2 "$SPORT"

# users: "office" may list users only from 127.0.0.1 (the client's own
# address, never the proxy's 127.0.0.2); "tlsonly" only over https
make_user() {	# make_user NAME CONDITION-JSON
	local key
	aws_as admin iam create-user --user-name "$1" >/dev/null
	printf '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
	  "Action": "iam:ListUsers", "Resource": "*", "Condition": %s}]}' \
	    "$2" >"$T/$1.json"
	aws_as admin iam put-user-policy --user-name "$1" --policy-name p \
	    --policy-document "file://$T/$1.json" >/dev/null
	key=$(aws_as admin iam create-access-key --user-name "$1")
	printf '%s:%s' "$(jq -r .AccessKey.AccessKeyId <<<"$key")" \
	    "$(jq -r .AccessKey.SecretAccessKey <<<"$key")" >"$T/$1.cred"
}
make_user office '{"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}}'
make_user tlsonly '{"Bool": {"aws:SecureTransport": "true"}}'
aws_as admin iam create-login-profile --user-name office \
    --password "$PW" >/dev/null

# list_users USER URL [curl args...]: HTTP status of a signed ListUsers
list_users() {
	local user=$1 url=$2; shift 2
	curl -sS -o "$T/last.body" -w '%{http_code}' --cacert "$T/proxy.crt" \
	    --aws-sigv4 "aws:amz:$REGION:iam" --user "$(cat "$T/$user.cred")" \
	    -H 'Content-Type: application/x-www-form-urlencoded; charset=utf-8' \
	    --data 'Action=ListUsers&Version=2010-05-08' "$@" "$url/" || true
}
# last_source: the source_ip wicketd logged for its last API request
last_source() {
	grep 'source_ip=' "$T/wicketd.log" | grep 'status=' | tail -n 1 |
	    sed -n 's/.*source_ip=\([^ ]*\).*/\1/p'
}

log "aws:SourceIp through the proxy is the client's address"
code=$(list_users office "$PLAIN")
check "office lists users from 127.0.0.1 through the proxy (200, got $code)" \
    test "$code" = 200
src=$(last_source)
check "wicketd saw the client 127.0.0.1, not the proxy (got $src)" \
    test "$src" = 127.0.0.1
code=$(list_users office "$PLAIN" --interface 127.0.0.3)
check "from 127.0.0.3 through the proxy office is refused (403, got $code)" \
    test "$code" = 403
src=$(last_source)
check "wicketd saw 127.0.0.3 through the proxy (got $src)" \
    test "$src" = 127.0.0.3

log "ATTACK: a direct client forges X-Forwarded-For to pass the allow-list"
code=$(list_users office "$ENDPOINT" --interface 127.0.0.3 \
    -H 'X-Forwarded-For: 127.0.0.1')
check "ATTACK: forged X-Forwarded-For from 127.0.0.3 is refused (403, got $code)" \
    test "$code" = 403
check "the refusal is AccessDenied" grep -q AccessDenied "$T/last.body"
src=$(last_source)
check "wicketd kept the real address 127.0.0.3 (got $src)" \
    test "$src" = 127.0.0.3
# and a forged Forwarded/X-Real-IP means nothing either
code=$(list_users office "$ENDPOINT" --interface 127.0.0.3 \
    -H 'X-Real-IP: 127.0.0.1' -H 'Forwarded: for=127.0.0.1')
check "ATTACK: forged X-Real-IP/Forwarded are ignored (403, got $code)" \
    test "$code" = 403

log "aws:SecureTransport"
code=$(list_users tlsonly "$TLS")
check "tlsonly lists users through the https proxy (200, got $code)" \
    test "$code" = 200
code=$(list_users tlsonly "$PLAIN")
check "tlsonly is refused through the http proxy (403, got $code)" \
    test "$code" = 403
code=$(list_users tlsonly "$ENDPOINT" -H 'X-Forwarded-Proto: https')
check "ATTACK: forged X-Forwarded-Proto: https from a direct client is refused (403, got $code)" \
    test "$code" = 403

log "malformed headers from the trusted proxy: 400"
code=$(curl -sS -o "$T/bad.body" -w '%{http_code}' \
    -H 'X-Forwarded-For: not-an-address' "$PLAIN/healthz" || true)
check "a garbage X-Forwarded-For passed on by the proxy gets 400 (got $code)" \
    test "$code" = 400
check "the 400 says what is wrong" grep -q 'X-Forwarded-For' "$T/bad.body"
code=$(curl -sS -o /dev/null -w '%{http_code}' \
    -H 'X-Forwarded-For: not-an-address' "$ENDPOINT/healthz" || true)
check "the same header from an untrusted peer is ignored (200, got $code)" \
    test "$code" = 200
code=$(curl -sS -o /dev/null -w '%{http_code}' "$PLAIN/healthz" || true)
check "a clean request through the proxy is fine (200, got $code)" \
    test "$code" = 200

# signin BASE ORIGIN [curl args...]: HTTP status of a console sign-in as
# office; headers in $T/login.hdr
signin() {
	local base=$1 origin=$2 jar="$T/jar" csrf; shift 2
	rm -f "$jar"
	csrf=$(curl -sS --cacert "$T/proxy.crt" -c "$jar" "$@" \
	    "$base/console/api/session" |
	    sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p')
	curl -sS --cacert "$T/proxy.crt" -b "$jar" -D "$T/login.hdr" \
	    -o /dev/null -w '%{http_code}' -H "Origin: $origin" \
	    -H "X-Wicket-CSRF: $csrf" -H 'Content-Type: application/json' \
	    --data "{\"user\":\"${SIGNIN_USER:-office}\",\"password\":\"${SIGNIN_PW:-$PW}\"}" "$@" \
	    "$base/console/api/login" || true
}
session_cookie() { grep -i '^Set-Cookie: wk_session=' "$T/login.hdr" | tr -d '\r'; }

log "the console through an https-terminating proxy"
code=$(signin "$TLS" "$TLS")
check "sign-in through the https proxy succeeds (200, got $code)" \
    test "$code" = 200
cookie=$(session_cookie)
check "the session cookie is Secure ($cookie)" contains "$cookie" "; Secure"
check "the answer carries HSTS" \
    grep -qi '^Strict-Transport-Security: max-age=31536000' "$T/login.hdr"
code=$(signin "$TLS" "http://127.0.0.2:$SPORT")
check "an http:// Origin is refused behind the https proxy (got $code)" \
    test "$code" != 200

log "the console through the plain proxy and directly"
code=$(signin "$PLAIN" "$PLAIN")
check "sign-in through the http proxy succeeds (200, got $code)" \
    test "$code" = 200
cookie=$(session_cookie)
check "over http the cookie is not Secure ($cookie)" \
    bash -c "[ -n '$cookie' ] && [[ '$cookie' != *Secure* ]]"
check "no HSTS over http" \
    bash -c "! grep -qi '^Strict-Transport-Security' '$T/login.hdr'"
code=$(signin "$ENDPOINT" "https://127.0.0.1:$PORT" -H 'X-Forwarded-Proto: https')
check "ATTACK: a forged X-Forwarded-Proto does not make a direct client https (got $code)" \
    test "$code" != 200
code=$(signin "$ENDPOINT" "$ENDPOINT" -H 'X-Forwarded-Proto: https')
cookie=$(session_cookie)
check "a direct client with a forged X-Forwarded-Proto signs in over http only (200, got $code)" \
    test "$code" = 200
check "ATTACK: its cookie is not Secure and there is no HSTS ($cookie)" \
    bash -c "[[ '$cookie' != *Secure* ]] && ! grep -qi '^Strict-Transport' '$T/login.hdr'"

log "sign-in throttling counts the client's address, not the proxy's"
: >"$T/guess.out"
for i in $(seq 1 11); do
	SIGNIN_USER="nobody$i" SIGNIN_PW=wrong signin "$PLAIN" "$PLAIN" \
	    --interface 127.0.0.3 >>"$T/guess.out"
	echo >>"$T/guess.out"
done
check "11 wrong guesses from 127.0.0.3 through the proxy end throttled (429): $(tr '\n' ' ' <"$T/guess.out")" \
    test "$(tail -n 1 "$T/guess.out")" = 429
code=$(signin "$PLAIN" "$PLAIN")
check "office from 127.0.0.1 through the same proxy still signs in (200, got $code)" \
    test "$code" = 200

log "agent enrollment: the host's address is the one the proxy saw"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
registered() {	# registered INSTANCE-ID: the address wicketd recorded
	sqlite3 "$DATA/wicket.db" "select address from instances where id = '$1'"
}
token=$("$WK_BIN/wicketd" token create --data "$DATA")
id=$("$WK_BIN/wicket-agent" enroll --server "$PLAIN" --token "$token" \
    --state "$T/agent-a" --ssh-port 2222 --host-key "$T/hostkey.pub" \
    2>>"$T/agent.log" || true)
addr=$(registered "$id")
check "a host enrolling through the proxy registers its own 127.0.0.1, not the proxy's (got $addr)" \
    test "$addr" = 127.0.0.1
# enroll_raw URL XFF [curl args]: a hand-made enroll with address ""
enroll_raw() {
	local url=$1 xff=$2 token; shift 2
	token=$("$WK_BIN/wicketd" token create --data "$DATA")
	jq -n --arg t "$token" --arg k "$(cut -d' ' -f1,2 "$T/hostkey.pub")" \
	    '{token: $t, hostname: "forger", address: "", ssh_port: 22,
	      host_keys: [$k]}' >"$T/enroll.json"
	curl -sS -H 'Content-Type: application/json' -H "X-Forwarded-For: $xff" \
	    --data "@$T/enroll.json" "$@" "$url/agent/v1/enroll" |
	    jq -r '.instance_id // empty' || true
}
id=$(enroll_raw "$PLAIN" 10.9.9.9)
addr=$(registered "$id")
check "ATTACK: a forged X-Forwarded-For through the proxy does not become the host's address (got $addr)" \
    test "$addr" = 127.0.0.1
id=$(enroll_raw "$ENDPOINT" 10.9.9.9 --interface 127.0.0.3)
addr=$(registered "$id")
check "ATTACK: a forged X-Forwarded-For sent directly does not become the host's address (got $addr)" \
    test "$addr" = 127.0.0.3

finish
