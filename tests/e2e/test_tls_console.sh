#!/usr/bin/env bash
# The browser console over HTTPS (issue 10): wicketd serving the
# certificate `wicketd init --tls` made, Debian's chromium trusting only
# that server key (--ignore-certificate-errors-spki-list, the leaf's SPKI
# pin as `wicketd tls show` prints it, base64), driven by playwright-core
# (tests/e2e/tls_console.spec.mjs): sign in, Secure cookie, HSTS, open a
# terminal on a real sshd and see its output (the WebSocket over TLS), and
# a browser that does not trust the certificate refuses the page.
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
NODE=${NODE:-node}
PW_DIR="$WK_SOURCE/web/node_modules/playwright-core"
if [ ! -x "$CHROMIUM" ] || ! command -v "$NODE" >/dev/null; then
	echo "SKIP: chromium or node missing (scripts/install-deps.sh)"
	exit 77
fi
if [ ! -f "$PW_DIR/index.mjs" ]; then
	(cd "$WK_SOURCE/web" && npm ci --no-audit --no-fund --loglevel=error)
fi
WEB_DIR=${WICKET_WEB_DIR:-$WK_BIN/web}
if [ ! -f "$WEB_DIR/index.html" ]; then
	bash "$WK_SOURCE/scripts/build-web.sh" "$T/web" >/dev/null
	WEB_DIR="$T/web"
fi
export WICKET_WEB_DIR="$WEB_DIR"
ARTIFACTS=${WK_ARTIFACTS:-$WK_SOURCE/build/test-artifacts}
mkdir -p "$ARTIFACTS"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="https://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
ensure_user ubuntu
ensure_ak_user

log "control plane over TLS"
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" --tls \
    --listen "127.0.0.1:$PORT" >/dev/null
CA="$DATA/tls/ca.pem"
add_admin_profile
wicketd_start "$DATA" "$PORT"
check "wicketd serves https" grep -q 'event=listening.*scheme=https' "$T/wicketd.log"
PASSWORD='Corr3ct-Horse-Battery'
aws_as admin --ca-bundle "$CA" iam create-user --user-name alice >/dev/null
check "create-login-profile" aws_as admin --ca-bundle "$CA" iam create-login-profile \
    --user-name alice --password "$PASSWORD" --no-password-reset-required
cat >"$T/alice.json" <<JSON
{"Version": "2012-10-17", "Statement": [
 {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"},
 {"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey",
  "Resource": "arn:aws:ec2:$REGION:$ACCOUNT:instance/*",
  "Condition": {"StringEquals": {"ec2:osuser": "ubuntu"},
                "Bool": {"aws:SecureTransport": "true"}}}]}
JSON
check "put-user-policy (pushes only over TLS)" aws_as admin --ca-bundle "$CA" \
    iam put-user-policy --user-name alice --policy-name console \
    --policy-document "file://$T/alice.json"

log "a host"
# the agent talks HTTPS itself, verifying wicketd with the CA pin in its
# join token (docs/agent-tls.md)
mkdir -p "$T/sshd-host1"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-host1/ssh_host_ed25519_key" </dev/null
host1=$(agent_enroll host1 127.0.0.2 "$SSH_PORT" \
    "$T/sshd-host1/ssh_host_ed25519_key.pub")
agent_start host1
sshd_start host1 127.0.0.2 "$SSH_PORT" "$T/agent-host1" "$T/agent-host1.sock"

log "chromium over https"
# the pin chromium trusts: base64 SHA-256 of the served leaf's SPKI (the
# hex of `wicketd tls show`)
pin_hex=$("$WK_BIN/wicketd" tls show --data "$DATA" | awk '/spki sha256/{p=$3} END{print p}')
pin_b64=$(openssl x509 -in "$DATA/tls/server.pem" -noout -pubkey |
    openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | base64)
check "the pin is the one tls show prints" \
    test "$(base64 -d <<<"$pin_b64" | od -An -tx1 | tr -d ' \n')" = "$pin_hex"
export WK_URL="$ENDPOINT" WK_USER=alice WK_PASSWORD="$PASSWORD" WK_HOST1=$host1
export WK_SPKI_PIN="$pin_b64"
export WK_CHROMIUM=$CHROMIUM WK_ARTIFACTS=$ARTIFACTS WK_TMP=$T
export WK_PLAYWRIGHT="$PW_DIR/index.mjs"
"$NODE" "$WK_SOURCE/tests/e2e/tls_console.spec.mjs" >"$T/spec.out" 2>&1 || true
while IFS= read -r line; do
	case $line in
	"ok "*) pass "${line#ok * - }" ;;
	"not ok "*) fail "${line#not ok * - }" ;;
	*) printf '%s\n' "$line" ;;
	esac
done <"$T/spec.out"
check "the browser test ran to its end" grep -q '^# done' "$T/spec.out"
check "the console's push went over TLS (policy: aws:SecureTransport)" \
    bash -c "grep 'event=push ' '$T/wicketd.log' | grep ' via=console ' | grep -q ' outcome=pushed'"
finish
