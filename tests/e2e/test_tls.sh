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

finish
