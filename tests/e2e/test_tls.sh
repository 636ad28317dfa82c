#!/usr/bin/env bash
# wicketd over HTTPS: `wicketd init --tls` makes a private CA and a server
# certificate, `wicketd serve` then serves the AWS APIs over TLS, and the
# real aws CLI works when it trusts the CA (--ca-bundle, AWS_CA_BUNDLE)
# and fails with a certificate error when it does not. Own certificates
# (RSA, with an intermediate in --tls-chain) work too; bad ones are
# refused at start with a reason.
. "$(dirname "$0")/lib.sh"

DATA="$T/data"
PORT=$(free_port)
ENDPOINT="https://127.0.0.1:$PORT"
CA="$DATA/tls/ca.pem"

log "init --tls"
out=$(wicketd_init "$DATA" --tls --listen "127.0.0.1:$PORT" 2>&1)
check "init prints how clients trust the CA" contains "$out" "export AWS_CA_BUNDLE=$CA"
check "  ... and the aws --ca-bundle form" contains "$out" "aws --ca-bundle $CA"
check "ca.key is 0600" test "$(stat -c %a "$DATA/tls/ca.key")" = 600
check "server.key is 0600" test "$(stat -c %a "$DATA/tls/server.key")" = 600
check "server.pem verifies against ca.pem" \
    openssl verify -CAfile "$CA" "$DATA/tls/server.pem"
sans=$(openssl x509 -in "$DATA/tls/server.pem" -noout -ext subjectAltName)
check "the --listen address is an IP SAN" contains "$sans" "IP Address:127.0.0.1"
check "this host's name is a DNS SAN" contains "$sans" "DNS:$(hostname)"
check "server.pem is the leaf then the CA" \
    test "$(grep -c 'BEGIN CERTIFICATE' "$DATA/tls/server.pem")" = 2
out=$(wicketd_init "$T/bad" --tls --tls-name 'a b' 2>&1) && rc=0 || rc=$?
check "a bad --tls-name is a usage error" test "$rc" = 2
check "  ... that names it" contains "$out" "'a b' is neither a DNS name"
check "  ... and creates nothing" test ! -e "$T/bad"

add_admin_profile
wicketd_start "$DATA" "$PORT"
check "wicketd says it serves https" grep -q 'event=listening.*scheme=https' "$T/wicketd.log"

log "aws CLI over HTTPS"
out=$(aws_as admin --ca-bundle "$CA" sts get-caller-identity 2>&1) && rc=0 || rc=$?
check "aws --ca-bundle: get-caller-identity works" contains "$out" ':user/admin'
out=$(AWS_CA_BUNDLE="$CA" aws_as admin iam list-users 2>&1) && rc=0 || rc=$?
check "AWS_CA_BUNDLE: iam list-users works" contains "$out" '"UserName": "admin"'
out=$(aws_as admin sts get-caller-identity 2>&1) && rc=0 || rc=$?
check "without the CA bundle aws fails" test "$rc" != 0
check "  ... with a certificate error" contains "$out" CERTIFICATE_VERIFY_FAILED
out=$(curl -sS --max-time 5 "http://127.0.0.1:$PORT/healthz" 2>&1) && rc=0 || rc=$?
check "plain HTTP to the TLS listener gets no answer" test "$rc" != 0
out=$(curl -sS --max-time 5 --cacert "$CA" --tls-max 1.1 "$ENDPOINT/healthz" 2>&1) && rc=0 || rc=$?
check "TLS 1.1 is refused" test "$rc" != 0
check "TLS 1.2 works" test "$(curl -sS --cacert "$CA" --tlsv1.2 --tls-max 1.2 "$ENDPOINT/healthz")" = ok
check "TLS 1.3 works" test "$(curl -sS --cacert "$CA" --tlsv1.3 "$ENDPOINT/healthz")" = ok

log "tls show, renew"
served_serial() {	# the serial of the certificate the listener presents
	openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$CA" </dev/null 2>/dev/null |
	    openssl x509 -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f'
}
file_serial() {
	openssl x509 -in "$DATA/tls/server.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f'
}
spki() {	# spki PEM: hex SHA-256 of the first certificate's public key
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
	    openssl dgst -sha256 -r | cut -d' ' -f1
}
wait_served() {	# wait_served SERIAL: up to 15 s
	local i
	for i in $(seq 1 150); do
		[ "$(served_serial)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
out=$("$WK_BIN/wicketd" tls show --data "$DATA")
check "tls show: the CA's pin" contains "$out" "spki sha256:  $(spki "$CA")"
check "tls show: the server certificate's pin" \
    contains "$out" "spki sha256:  $(spki "$DATA/tls/server.pem")"
check "tls show: the names" contains "$out" "names:        DNS:$(hostname), IP:127.0.0.1"
check "tls show: the expiry" contains "$out" "not after:    $(date -u -d "$(openssl x509 -in "$DATA/tls/server.pem" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)"
check "the served certificate is server.pem" test "$(served_serial)" = "$(file_serial)"
ca_pin=$(spki "$CA")
leaf_pin=$(spki "$DATA/tls/server.pem")

log "reload under load drops no request"
load() {	# load NAME: requests until $T/stop exists; counts in $T/NAME.*
	local ok=0 bad=0
	while [ ! -e "$T/stop" ]; do
		if [ "$(curl -sS --max-time 10 --cacert "$CA" "$ENDPOINT/healthz" 2>>"$T/$1.err")" = ok ]
		then ok=$((ok + 1)); else bad=$((bad + 1)); fi
	done
	echo "$ok" >"$T/$1.ok"; echo "$bad" >"$T/$1.bad"
}
load_aws() {
	local ok=0 bad=0
	while [ ! -e "$T/stop" ]; do
		if aws_as admin --ca-bundle "$CA" sts get-caller-identity >/dev/null 2>>"$T/aws.err"
		then ok=$((ok + 1)); else bad=$((bad + 1)); fi
	done
	echo "$ok" >"$T/aws.ok"; echo "$bad" >"$T/aws.bad"
}
# one connection kept alive across every renewal: 300 requests on it
urls=()
for i in $(seq 1 300); do urls+=("$ENDPOINT/healthz?i=$i"); done
curl -sS --max-time 120 --cacert "$CA" "${urls[@]}" \
	-w '\ncode=%{http_code} connects=%{num_connects}\n' \
	--rate 10/s >"$T/keepalive.out" 2>"$T/keepalive.err" &
KA=$!
load l1 & L1=$!
load l2 & L2=$!
load_aws & LA=$!
renewed=0
for i in 1 2 3 4 5 6; do
	if [ $((i % 2)) = 0 ]; then
		"$WK_BIN/wicketd" tls renew --data "$DATA" >/dev/null
		kill -HUP "$WICKETD_PID"	# at once
	else
		"$WK_BIN/wicketd" tls renew --data "$DATA" >/dev/null
	fi	# else the file watch (every 3 s)
	wait_served "$(file_serial)" && renewed=$((renewed + 1))
done
touch "$T/stop"
wait "$L1" "$L2" "$LA"
wait "$KA" || true
check "each of 6 renewals was served (3 by SIGHUP, 3 by the file watch)" test "$renewed" = 6
check "the new certificate is served" test "$(served_serial)" = "$(file_serial)"
check "  ... under the same key (renew keeps it)" test "$(spki "$DATA/tls/server.pem")" = "$leaf_pin"
check "  ... from the same CA" test "$(spki "$CA")" = "$ca_pin"
total=$(( $(cat "$T/l1.ok") + $(cat "$T/l2.ok") + $(cat "$T/aws.ok") ))
echo "# new-connection requests: $total ok, $(cat "$T/l1.bad") + $(cat "$T/l2.bad") + $(cat "$T/aws.bad") failed"
check "new connections during the renewals: none failed" \
    test "$(cat "$T/l1.bad")" = 0 -a "$(cat "$T/l2.bad")" = 0 -a "$(cat "$T/aws.bad")" = 0
check "  ... and there were some" test "$total" -gt 20
check "the kept-alive connection: its 300 requests answered 200" \
    test "$(grep -c '^code=200 ' "$T/keepalive.out")" = 300
check "  ... on one connection" \
    test "$(awk -F'connects=' '/^code=/{n += $2} END {print n}' "$T/keepalive.out")" = 1

log "renew --new-key; a bad new file is refused and the old one kept"
"$WK_BIN/wicketd" tls renew --data "$DATA" --new-key >/dev/null
kill -HUP "$WICKETD_PID"
check "renew --new-key is served" wait_served "$(file_serial)"
check "  ... with a new key" test "$(spki "$DATA/tls/server.pem")" != "$leaf_pin"
good=$(served_serial)
cp "$DATA/tls/server.pem" "$T/server.pem.good"
printf 'not a certificate\n' >"$T/junk.pem"
mv "$T/junk.pem" "$DATA/tls/server.pem"
kill -HUP "$WICKETD_PID"
for i in $(seq 1 100); do
	grep -q 'event=tls_reload_failed' "$T/wicketd.log" && break
	sleep 0.1
done
check "a bad server.pem is logged" grep -q 'event=tls_reload_failed.*no usable PEM certificate.*action=keep_current_certificate' "$T/wicketd.log"
check "  ... and the old certificate still served" test "$(served_serial)" = "$good"
check "  ... to aws too" aws_as admin --ca-bundle "$CA" sts get-caller-identity --query Arn
# a key that is not the certificate's: the old pair stays
cp "$T/server.pem.good" "$DATA/tls/server.pem.new" && mv "$DATA/tls/server.pem.new" "$DATA/tls/server.pem"
kill -HUP "$WICKETD_PID"
check "the good file back: served again" wait_served "$good"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$DATA/tls/server.key.new" 2>/dev/null
cp "$DATA/tls/server.key" "$T/server.key.good"
mv "$DATA/tls/server.key.new" "$DATA/tls/server.key"
kill -HUP "$WICKETD_PID"
for i in $(seq 1 100); do
	[ "$(grep -c 'event=tls_reload_failed' "$T/wicketd.log")" -ge 2 ] && break
	sleep 0.1
done
check "a key that does not match is logged" grep -q 'event=tls_reload_failed.*is not the key of the first certificate' "$T/wicketd.log"
check "  ... and the old pair still served" test "$(served_serial)" = "$good"
mv "$T/server.key.good" "$DATA/tls/server.key"
wicketd_stop

log "own certificates: RSA leaf, intermediate in --tls-chain"
O="$T/own"
mkdir -p "$O"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$O/root.key" -out "$O/root.pem" \
    -days 30 -subj /CN=own-root -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$O/int.key" -out "$O/int.csr" \
    -subj /CN=own-intermediate 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$O/int.ext"
openssl x509 -req -in "$O/int.csr" -CA "$O/root.pem" -CAkey "$O/root.key" \
    -CAcreateserial -days 30 -extfile "$O/int.ext" -out "$O/int.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$O/leaf.key" -out "$O/leaf.csr" \
    -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$O/leaf.ext"
openssl x509 -req -in "$O/leaf.csr" -CA "$O/int.pem" -CAkey "$O/int.key" \
    -CAcreateserial -days 30 -extfile "$O/leaf.ext" -out "$O/leaf.pem" 2>/dev/null
PORT2=$(free_port)
"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT2" \
    --tls-cert "$O/leaf.pem" --tls-key "$O/leaf.key" --tls-chain "$O/int.pem" \
    >>"$T/wicketd.log" 2>&1 &
WICKETD_PID=$!
PIDS+=("$WICKETD_PID")
wait_tcp 127.0.0.1 "$PORT2"
ENDPOINT="https://127.0.0.1:$PORT2"
out=$(aws_as admin --ca-bundle "$O/root.pem" sts get-caller-identity 2>&1) && rc=0 || rc=$?
check "RSA leaf + intermediate: aws trusting only the root works" contains "$out" ':user/admin'
out=$(aws_as admin --ca-bundle "$CA" sts get-caller-identity 2>&1) && rc=0 || rc=$?
check "  ... and the data dir's CA is not what is served" contains "$out" CERTIFICATE_VERIFY_FAILED
wicketd_stop

log "bad certificates are refused at start"
serve_fails() {	# serve_fails EXPECTED_RC EXPECTED_TEXT ARGS...
	local want=$1 text=$2 out rc; shift 2
	out=$(timeout 10 "$WK_BIN/wicketd" serve --data "$DATA" \
	    --listen "127.0.0.1:$(free_port)" "$@" 2>&1) && rc=0 || rc=$?
	[ "$rc" = "$want" ] && contains "$out" "$text"
}
check "--tls-cert without --tls-key: usage error" \
    serve_fails 2 "--tls-cert and --tls-key go together" --tls-cert "$O/leaf.pem"
check "a key that is not the certificate's" \
    serve_fails 1 "is not the key of the first certificate" \
    --tls-cert "$O/leaf.pem" --tls-key "$O/int.key"
check "a missing certificate file" \
    serve_fails 1 "cannot open $O/nope.pem" --tls-cert "$O/nope.pem" --tls-key "$O/leaf.key"
check "a key file that is no key" \
    serve_fails 1 "not a PEM private key" --tls-cert "$O/leaf.pem" --tls-key "$O/leaf.pem"
"$PY" - "$O/old.pem" "$O/old.key" <<'PYEOF'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
k = ec.generate_private_key(ec.SECP256R1())
n = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old")])
t = datetime.datetime(2020, 1, 1)
c = (x509.CertificateBuilder().subject_name(n).issuer_name(n)
     .public_key(k.public_key()).serial_number(x509.random_serial_number())
     .not_valid_before(t).not_valid_after(t + datetime.timedelta(days=30))
     .sign(k, hashes.SHA256()))
open(sys.argv[1], "wb").write(c.public_bytes(serialization.Encoding.PEM))
open(sys.argv[2], "wb").write(k.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
PYEOF
check "an expired certificate" \
    serve_fails 1 "has expired" --tls-cert "$O/old.pem" --tls-key "$O/old.key"
mv "$DATA/tls/server.key" "$T/server.key.aside"
check "DATA/tls/server.pem without server.key: refused, not plain HTTP" \
    serve_fails 1 "server.pem exists but $DATA/tls/server.key does not"
mv "$T/server.key.aside" "$DATA/tls/server.key"

log "over TLS the request is secure: aws:SecureTransport"
ensure_ak_user
ENDPOINT="https://127.0.0.1:$PORT"
wicketd_start "$DATA" "$PORT"
# the agent reaches HTTPS through a relay that verifies the CA: wicketd
# sees TLS connections from it
RELAY=$(free_port)
"$PY" "$WK_SOURCE/tests/e2e/tls_relay.py" "$RELAY" "$PORT" "$CA" 2>>"$T/relay.log" &
PIDS+=("$!")
wait_tcp 127.0.0.1 "$RELAY"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null
id1=$(ENDPOINT="http://127.0.0.1:$RELAY" agent_enroll h1 127.0.0.2 2222 "$T/hostkey.pub")
agent_start h1
aws_as admin --ca-bundle "$CA" iam create-user --user-name bob >/dev/null
key=$(aws_as admin --ca-bundle "$CA" iam create-access-key --user-name bob)
add_profile bob "$(jq -r .AccessKey.AccessKeyId <<<"$key")" \
    "$(jq -r .AccessKey.SecretAccessKey <<<"$key")"
cat >"$T/tlsonly.json" <<'JSON'
{"Version": "2012-10-17", "Statement": [
 {"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey", "Resource": "*"},
 {"Effect": "Deny", "Action": "*", "Resource": "*",
  "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
JSON
aws_as admin --ca-bundle "$CA" iam put-user-policy --user-name bob \
    --policy-name tls-only --policy-document "file://$T/tlsonly.json"
push_as() {	# push_as PROFILE [aws args]
	local p=$1; shift
	aws_as "$p" "$@" ec2-instance-connect send-ssh-public-key --instance-id "$id1" \
	    --instance-os-user ubuntu --ssh-public-key "file://$T/k.pub" 2>&1
}
for i in $(seq 1 50); do	# the agent's first poll
	out=$(push_as bob --ca-bundle "$CA") && break
	sleep 0.2
done
check "Deny unless aws:SecureTransport: the push over HTTPS works" contains "$out" '"Success": true'

log "the console over TLS: Secure cookies, HSTS, https Origin"
PASSWORD='Corr3ct-Horse-Battery'
aws_as admin --ca-bundle "$CA" iam create-login-profile --user-name admin \
    --password "$PASSWORD" --no-password-reset-required >/dev/null
console_signin() {	# console_signin BASE ORIGIN [curl args]: prints headers + body
	local base=$1 origin=$2; shift 2
	rm -f "$T/jar"
	curl -sS "$@" -c "$T/jar" -b "$T/jar" -D "$T/sess.hdr" -o "$T/sess.json" \
	    "$base/console/api/session"
	curl -sS "$@" -c "$T/jar" -b "$T/jar" -D - \
	    -H "Origin: $origin" -H "X-Wicket-CSRF: $(jq -r .csrf "$T/sess.json")" \
	    -H 'Content-Type: application/json' \
	    --data "{\"user\":\"admin\",\"password\":\"$PASSWORD\"}" \
	    "$base/console/api/login"
}
out=$(console_signin "$ENDPOINT" "$ENDPOINT" --cacert "$CA")
check "sign-in over TLS with an https:// Origin works" contains "$out" '"signedIn":true'
check "  ... its session cookie is Secure" \
    bash -c "grep -i '^set-cookie: wk_session=' <<<'$out' | grep -q '; Secure'"
check "  ... the pre-session (CSRF) cookie too" \
    grep -qi '^set-cookie: wk_csrf=.*; Secure' "$T/sess.hdr"
check "  ... and the console sends HSTS" \
    contains "$out" "Strict-Transport-Security: max-age=31536000"
check "  ... also on its pages" contains \
    "$(curl -sS --cacert "$CA" -D - -o /dev/null "$ENDPOINT/console/")" \
    "Strict-Transport-Security: max-age=31536000"
out=$(console_signin "$ENDPOINT" "http://127.0.0.1:$PORT" --cacert "$CA")
check "over TLS an http:// Origin is cross-origin" contains "$out" CrossOrigin
wicketd_stop

log "the same over plain HTTP on loopback"
mv "$DATA/tls" "$DATA/tls.off"	# serve now finds no certificate: plain HTTP
ENDPOINT="http://127.0.0.1:$PORT"
wicketd_start "$DATA" "$PORT"
check "wicketd serves plain HTTP" grep -q "event=listening address=127.0.0.1:$PORT port=$PORT scheme=http\$" "$T/wicketd.log"
out=$(push_as bob) || true
check "the push over plain HTTP is denied (aws:SecureTransport false)" contains "$out" AuthException
out=$(push_as admin) || true
check "  ... while the admin's is authorized (and finds the agent on the other listener gone)" \
    contains "$out" EC2InstanceUnavailableException
out=$(console_signin "$ENDPOINT" "$ENDPOINT")
check "console sign-in over plain HTTP works" contains "$out" '"signedIn":true'
check "  ... without Secure on its cookie" \
    bash -c "grep -i '^set-cookie: wk_session=' <<<'$out' | grep -vq '; Secure'"
check "  ... and without HSTS" bash -c "! grep -qi strict-transport <<<'$out'"
out=$(console_signin "$ENDPOINT" "https://127.0.0.1:$PORT")
check "over plain HTTP an https:// Origin is cross-origin" contains "$out" CrossOrigin
wicketd_stop
mv "$DATA/tls.off" "$DATA/tls"

log "plain HTTP only on loopback, or with --insecure-http"
PLAIN="$T/plain"
wicketd_init "$PLAIN" >/dev/null
P3=$(free_port)
out=$(timeout 10 "$WK_BIN/wicketd" serve --data "$PLAIN" --listen "0.0.0.0:$P3" 2>&1) && rc=0 || rc=$?
check "plain HTTP on 0.0.0.0 is refused at start" test "$rc" = 1
check "  ... saying why and what to do" \
    contains "$out" "refusing plain HTTP on 0.0.0.0:$P3, which is not a loopback address"
check "  ... naming --insecure-http" contains "$out" "--insecure-http"
check "  ... and nothing listens" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$P3) 2>/dev/null"
out=$(timeout 10 "$WK_BIN/wicketd" serve --data "$PLAIN" --listen "[::]:$P3" 2>&1) && rc=0 || rc=$?
check "plain HTTP on [::] is refused too" contains "$out" "refusing plain HTTP on [::]:$P3"
"$WK_BIN/wicketd" serve --data "$PLAIN" --listen "0.0.0.0:$P3" --insecure-http \
    >"$T/insecure.log" 2>&1 &
WICKETD_PID=$!
PIDS+=("$WICKETD_PID")
wait_tcp 127.0.0.1 "$P3"
check "--insecure-http: plain HTTP on 0.0.0.0 serves" \
    test "$(curl -sS "http://127.0.0.1:$P3/healthz")" = ok
check "  ... with a warning logged at start" \
    grep -q 'level=warn event=insecure_http listen=0.0.0.0:'"$P3"'.*clear text' "$T/insecure.log"
wicketd_stop
P4=$(free_port)
"$WK_BIN/wicketd" serve --data "$PLAIN" --listen "127.0.0.1:$P4" >"$T/loopback.log" 2>&1 &
WICKETD_PID=$!
PIDS+=("$WICKETD_PID")
wait_tcp 127.0.0.1 "$P4"
check "plain HTTP on loopback serves without the flag" \
    test "$(curl -sS "http://127.0.0.1:$P4/healthz")" = ok
check "  ... and without a warning" bash -c "! grep -q insecure_http '$T/loopback.log'"
wicketd_stop
P5=$(free_port)
"$WK_BIN/wicketd" serve --data "$DATA" --listen "0.0.0.0:$P5" >"$T/tlsany.log" 2>&1 &
WICKETD_PID=$!
PIDS+=("$WICKETD_PID")
wait_tcp 127.0.0.1 "$P5"
check "TLS on 0.0.0.0 needs no flag" \
    test "$(curl -sS --cacert "$CA" "https://127.0.0.1:$P5/healthz")" = ok
wicketd_stop
out=$("$WK_BIN/wicketd" serve --data "$DATA" --listen "0.0.0.0:$P5" --insecure-http \
    --tls-cert "$DATA/tls/server.pem" --tls-key "$DATA/tls/server.key" 2>&1) && rc=0 || rc=$?
check "--insecure-http with --tls-cert is a usage error" test "$rc" = 2

finish
