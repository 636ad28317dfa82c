#!/usr/bin/env bash
# The browser console (issue 5), end to end: wicketd with its web assets,
# IAM users with console passwords made by the aws CLI, hosts enrolled with
# real agents and a real sshd, and Debian's chromium driven by
# playwright-core (tests/e2e/console.spec.mjs): sign in, Connect as ubuntu,
# run `w` and `date` in the terminal, refusals (root, offline, host key
# mismatch, wrong password), WebSocket without a session or cross-origin.
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
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
ensure_user ubuntu
ensure_ak_user

log "control plane and users"
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
admin_key=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
admin_secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
add_profile admin "$admin_key" "$admin_secret"
wicketd_start "$DATA" "$PORT"
PASSWORD='Corr3ct-Horse-Battery'
aws_as admin iam create-user --user-name alice >/dev/null
check "create-login-profile" aws_as admin iam create-login-profile \
    --user-name alice --password "$PASSWORD" --no-password-reset-required

log "hosts"
mkdir -p "$T/sshd-host1" "$T/other-key"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-host1/ssh_host_ed25519_key" </dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/other-key/key" </dev/null
host1=$(agent_enroll host1 127.0.0.2 "$SSH_PORT" "$T/sshd-host1/ssh_host_ed25519_key.pub")
agent_start host1
sshd_start host1 127.0.0.2 "$SSH_PORT" "$T/agent-host1" "$T/agent-host1.sock"
# offline: enrolled, its agent never runs
host2=$(agent_enroll host2 127.0.0.2 "$SSH_PORT" "$T/sshd-host1/ssh_host_ed25519_key.pub")
# imposter: registered with another host key than the sshd at its address
host3=$(agent_enroll host3 127.0.0.2 "$SSH_PORT" "$T/other-key/key.pub")
agent_start host3
cat >"$T/alice.json" <<JSON
{
	"Version": "2012-10-17",
	"Statement": [
		{ "Effect": "Allow", "Action": "ec2:DescribeInstances",
		  "Resource": "*" },
		{ "Effect": "Allow",
		  "Action": "ec2-instance-connect:SendSSHPublicKey",
		  "Resource": "arn:aws:ec2:$REGION:$ACCOUNT:instance/*",
		  "Condition": { "StringEquals": { "ec2:osuser": "ubuntu" } } }
	]
}
JSON
check "put-user-policy" aws_as admin iam put-user-policy --user-name alice \
    --policy-name console --policy-document "file://$T/alice.json"

log "chromium"
export WK_URL="http://127.0.0.1:$PORT" WK_USER=alice WK_PASSWORD="$PASSWORD"
export WK_HOST1=$host1 WK_HOST2=$host2 WK_HOST3=$host3
export WK_CHROMIUM=$CHROMIUM WK_ARTIFACTS=$ARTIFACTS WK_TMP=$T
export WK_PLAYWRIGHT="$PW_DIR/index.mjs" WK_WICKETD_PID=$WICKETD_PID
"$NODE" "$WK_SOURCE/tests/e2e/console.spec.mjs" >"$T/spec.out" 2>&1 || true
while IFS= read -r line; do
	case $line in
	"ok "*) pass "${line#ok * - }" ;;
	"not ok "*) fail "${line#not ok * - }" ;;
	*) printf '%s\n' "$line" ;;
	esac
done <"$T/spec.out"
check "the browser test ran to its end" grep -q '^# done' "$T/spec.out"

log "audit and shutdown"
check "the host key mismatch is in wicketd's log, not in the browser" \
    grep -q "instance=$host3 .*outcome=failed .*host key mismatch" "$T/wicketd.log"
check "console pushes are logged with via=console" \
    bash -c "grep 'event=push ' '$T/wicketd.log' | grep ' via=console ' | grep -q ' outcome=pushed'"
wait "$WICKETD_PID" 2>/dev/null || true
check "wicketd stopped cleanly with a terminal open" \
    grep -q 'event=stopped outcome=clean' "$T/wicketd.log"
audit_count() {	# audit_count DECISION OS_USER: console events
	sqlite3 "$DATA/wicket.db" "select count(*) from audit where via =
	    'console' and decision = '$1' and os_user = '$2'
	    and caller_arn = 'arn:aws:iam::$ACCOUNT:user/alice'"
}
check "audit: the console's pushes, via=console" \
    test "$(audit_count Allow ubuntu)" -ge 3
check "audit: the console's refusal as root, via=console" \
    test "$(audit_count Deny root)" -ge 1
finish
