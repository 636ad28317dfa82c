#!/usr/bin/env bash
# `wicket` reads its settings as the AWS CLI does, end to end with real
# wicketd, agent and sshd: a user whose only permission is the lab's
# SendSSHPublicKey logs in with `wicket ssh` (one call: the push reply says
# where and which host keys), an older wicketd's reply (no WicketInstance)
# falls back to DescribeInstances on the EC2 endpoint; AWS_CONFIG_FILE=
# /dev/null and a FIFO are empty configs; credential_process; per-service
# endpoints, the services section, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
# HTTPS with AWS_CA_BUNDLE, ca_bundle, --ca-bundle, and a clear certificate
# error without them: first through a TLS proxy with a test CA, then
# against wicketd's own HTTPS (`wicketd tls init`).
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
DEAD="http://127.0.0.1:$(free_port)"	# nothing listens there
ensure_user ubuntu
ensure_ak_user

log "wicketd, a host, the lab's user (SendSSHPublicKey only)"
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"
sshd_dir="$T/sshd-host1"
mkdir -p "$sshd_dir"
ssh-keygen -q -t ed25519 -N '' -f "$sshd_dir/ssh_host_ed25519_key" </dev/null
instance=$(agent_enroll host1 127.0.0.2 "$SSH_PORT" "$sshd_dir/ssh_host_ed25519_key.pub")
agent_start host1
sshd_start host1 127.0.0.2 "$SSH_PORT" "$T/agent-host1" "$T/agent-host1.sock"
aws_as admin iam create-user --user-name MyWorkshopUser >/dev/null
out=$(aws_as admin iam create-access-key --user-name MyWorkshopUser)
user_key=$(jq -r .AccessKey.AccessKeyId <<<"$out")
user_secret=$(jq -r .AccessKey.SecretAccessKey <<<"$out")
cat >"$T/InstanceConnect.json" <<JSON
{"Version": "2012-10-17",
 "Statement": [{"Effect": "Allow",
  "Action": "ec2-instance-connect:SendSSHPublicKey",
  "Resource": "arn:aws:ec2:$REGION:$ACCOUNT:instance/$instance",
  "Condition": {"StringEquals": {"ec2:osuser": "ubuntu"}}}]}
JSON
aws_as admin iam create-policy --policy-name InstanceConnect \
    --policy-document "file://$T/InstanceConnect.json" >/dev/null
aws_as admin iam attach-user-policy --user-name MyWorkshopUser \
    --policy-arn "arn:aws:iam::$ACCOUNT:policy/InstanceConnect"
admin_key=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
admin_secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")

mkdir -p "$T/home" "$T/tmp"
chmod 700 "$T/home" "$T/tmp"
# wk VAR=VALUE... -- ARGS: wicket with only the given settings (no
# ~/.aws files: HOME is empty), ssh in batch mode, 60 s at most
wk() {
	local vars=()
	while [ "$1" != "--" ]; do vars+=("$1"); shift; done
	shift
	timeout 60 env -i PATH="$PATH" HOME="$T/home" TMPDIR="$T/tmp" \
	    "${vars[@]}" "$WK_BIN/wicket" "$@"
}
USER_ENV=(AWS_ACCESS_KEY_ID="$user_key" AWS_SECRET_ACCESS_KEY="$user_secret"
    AWS_REGION="$REGION")
ADMIN_ENV=(AWS_ACCESS_KEY_ID="$admin_key" AWS_SECRET_ACCESS_KEY="$admin_secret"
    AWS_REGION="$REGION")
SSH_CMD=(ssh -o BatchMode=yes -o ConnectTimeout=10 "ubuntu@$instance" 'echo login-ok; whoami')

log "the lab's user: wicket ssh with SendSSHPublicKey only, config /dev/null"
out=$(wk "${USER_ENV[@]}" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    AWS_ENDPOINT_URL="$ENDPOINT" -- "${SSH_CMD[@]}" 2>"$T/e1") && rc=0 || rc=$?
check "wicket ssh logs in (exit 0)" test "$rc" -eq 0
check "wicket ssh ran the command as ubuntu" contains "$out" $'login-ok\nubuntu'
check "AWS_CONFIG_FILE=/dev/null is not an error" bash -c "! grep -q 'config file' '$T/e1'"
check "the key and known_hosts are removed" test -z "$(ls -A "$T/tmp")"
mkfifo "$T/fifo"
out=$(wk "${USER_ENV[@]}" AWS_CONFIG_FILE="$T/fifo" AWS_ENDPOINT_URL="$ENDPOINT" \
    -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "a FIFO as AWS_CONFIG_FILE: empty config, no hang, login" contains "$out" login-ok
# the user really has no DescribeInstances: --dry-run (which pushes
# nothing and so asks DescribeInstances) is refused
out=$(wk "${USER_ENV[@]}" AWS_ENDPOINT_URL="$ENDPOINT" -- ssh --dry-run "ubuntu@$instance" 2>&1) \
    && rc=0 || rc=$?
check "the user may not DescribeInstances (dry run refused)" test "$rc" -eq 255
check "dry run: the DescribeInstances error is shown" contains "$out" "DescribeInstances operation"
echo sftp-payload >"$T/sftp-src"
out=$(cd "$T" && printf 'put %s /tmp/wicket-cli-config-sftp\nbye\n' "$T/sftp-src" |
    wk "${USER_ENV[@]}" AWS_ENDPOINT_URL="$ENDPOINT" -- sftp -b - "ubuntu@$instance" 2>&1) || true
check "wicket sftp with SendSSHPublicKey only" \
    test "$(cat /tmp/wicket-cli-config-sftp 2>/dev/null)" = sftp-payload
rm -f /tmp/wicket-cli-config-sftp
out=$(wk "${USER_ENV[@]}" AWS_ENDPOINT_URL="$ENDPOINT" -- ssh -o BatchMode=yes \
    "root@$instance" true 2>&1) && rc=0 || rc=$?
check "push as root still refused: AuthException" contains "$out" "AuthException"

log "an older wicketd (no WicketInstance in the reply): DescribeInstances"
OLD_PORT=$(free_port)
"$PY" "$WK_SOURCE/tests/tools/https_proxy.py" --listen "127.0.0.1:$OLD_PORT" \
    --backend "127.0.0.1:$PORT" --strip-member WicketInstance >>"$T/old-proxy.log" 2>&1 &
PIDS+=("$!")
wait_tcp 127.0.0.1 "$OLD_PORT"
OLD="http://127.0.0.1:$OLD_PORT"
out=$(wk "${USER_ENV[@]}" AWS_ENDPOINT_URL="$OLD" -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "push-only user, old reply: fails (needs DescribeInstances)" test "$rc" -eq 255
check "push-only user, old reply: says which call" contains "$out" "DescribeInstances operation"
# the push goes to the EIC endpoint (old), DescribeInstances to EC2's
out=$(wk "${ADMIN_ENV[@]}" AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT="$OLD" \
    AWS_ENDPOINT_URL_EC2="$ENDPOINT" AWS_ENDPOINT_URL="$DEAD" -- "${SSH_CMD[@]}" 2>&1) \
    && rc=0 || rc=$?
check "allowed DescribeInstances, old reply: falls back and logs in" contains "$out" login-ok
out=$(wk "${ADMIN_ENV[@]}" AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT="$OLD" \
    AWS_ENDPOINT_URL="$DEAD" -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "fallback uses the EC2 endpoint (dead here): fails" test "$rc" -eq 255
check "fallback: could not connect to the EC2 endpoint" contains "$out" "$DEAD"

log "credential_process"
cat >"$T/cred proc.sh" <<SH
#!/bin/sh
[ "\$1" = "--for" ] && [ "\$2" = "the lab" ] || { echo "bad args: \$*" >&2; exit 2; }
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "Expiration": "2999-01-01T00:00:00Z"}\n' \
    "$user_key" "$user_secret"
SH
cat >"$T/cred-fail.sh" <<'SH'
#!/bin/sh
echo "token expired, run sso login" >&2
exit 4
SH
printf '#!/bin/sh\necho "{\\"Version\\": 2}"\n' >"$T/cred-v2.sh"
chmod 755 "$T/cred proc.sh" "$T/cred-fail.sh" "$T/cred-v2.sh"
cat >"$T/proc-config" <<CFG
[profile proc]
region = $REGION
credential_process = "$T/cred proc.sh" --for 'the lab'
[profile procfail]
credential_process = $T/cred-fail.sh
[profile procv2]
credential_process = $T/cred-v2.sh
[profile mixed]
aws_access_key_id = AKIAAAAAAAAAAAAAAAAA
aws_secret_access_key = wrongwrongwrongwrongwrongwrongwrongwrong
credential_process = "$T/cred proc.sh" --for 'the lab'
CFG
out=$(wk AWS_CONFIG_FILE="$T/proc-config" AWS_PROFILE=proc AWS_ENDPOINT_URL="$ENDPOINT" \
    -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "credential_process (quoted path with a space, quoted argument): login" \
    contains "$out" login-ok
out=$(wk AWS_CONFIG_FILE="$T/proc-config" AWS_ENDPOINT_URL="$ENDPOINT" \
    -- ssh --profile procfail "ubuntu@$instance" true 2>&1) && rc=0 || rc=$?
check "failing credential_process: exit 255" test "$rc" -eq 255
check "failing credential_process: its exit status" contains "$out" "exited with status 4"
check "failing credential_process: its stderr" contains "$out" "token expired, run sso login"
out=$(wk AWS_CONFIG_FILE="$T/proc-config" AWS_ENDPOINT_URL="$ENDPOINT" \
    -- ssh --profile procv2 "ubuntu@$instance" true 2>&1) && rc=0 || rc=$?
check "credential_process Version 2: refused" contains "$out" "unsupported Version"
# botocore's order: credential_process before the config file's static keys
out=$(wk AWS_CONFIG_FILE="$T/proc-config" AWS_ENDPOINT_URL="$ENDPOINT" \
    -- ssh --profile mixed -o BatchMode=yes "ubuntu@$instance" 'echo login-ok' 2>&1) \
    && rc=0 || rc=$?
check "credential_process beats static keys in the config file" contains "$out" login-ok
# the environment's keys beat the profile's process (no --profile given)
out=$(wk AWS_CONFIG_FILE="$T/proc-config" AWS_PROFILE=procfail "${USER_ENV[@]}" \
    AWS_ENDPOINT_URL="$ENDPOINT" -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "env credentials beat credential_process" contains "$out" login-ok

log "endpoints: per service, services section, ignore"
out=$(wk "${USER_ENV[@]}" AWS_ENDPOINT_URL="$DEAD" \
    AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT="$ENDPOINT" -- "${SSH_CMD[@]}" 2>&1) \
    && rc=0 || rc=$?
check "AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT beats AWS_ENDPOINT_URL" contains "$out" login-ok
out=$(wk "${USER_ENV[@]}" AWS_ENDPOINT_URL_EC2="$ENDPOINT" AWS_ENDPOINT_URL="$DEAD" \
    -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "AWS_ENDPOINT_URL_EC2 is not the push's endpoint" contains "$out" "$DEAD"
cat >"$T/svc-config" <<CFG
[profile svc]
region = $REGION
endpoint_url = $DEAD
services = wicket-lab
[services wicket-lab]
ec2_instance_connect =
  endpoint_url = $ENDPOINT
ec2 =
  endpoint_url = $ENDPOINT
[profile plain]
region = $REGION
endpoint_url = $ENDPOINT
CFG
out=$(wk "${USER_ENV[@]}" AWS_CONFIG_FILE="$T/svc-config" AWS_PROFILE=svc \
    -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "services section beats the profile's endpoint_url" contains "$out" login-ok
out=$(wk "${USER_ENV[@]}" AWS_CONFIG_FILE="$T/svc-config" AWS_PROFILE=plain \
    -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "the profile's endpoint_url" contains "$out" login-ok
out=$(wk "${USER_ENV[@]}" AWS_CONFIG_FILE="$T/svc-config" AWS_PROFILE=svc \
    AWS_ENDPOINT_URL="$DEAD" -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "AWS_ENDPOINT_URL beats the services section" contains "$out" "$DEAD"
out=$(wk "${USER_ENV[@]}" AWS_CONFIG_FILE="$T/svc-config" AWS_PROFILE=plain \
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: no endpoint" contains "$out" "no endpoint"
out=$(wk "${USER_ENV[@]}" AWS_CONFIG_FILE="$T/svc-config" AWS_PROFILE=plain \
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true -- ssh --endpoint-url "$ENDPOINT" \
    -o BatchMode=yes "ubuntu@$instance" 'echo login-ok' 2>&1) && rc=0 || rc=$?
check "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: --endpoint-url still counts" contains "$out" login-ok
out=$(wk "${ADMIN_ENV[@]}" AWS_ENDPOINT_URL_EC2="$ENDPOINT" AWS_ENDPOINT_URL="$DEAD" \
    -- audit --max-items 1 --output json 2>&1) && rc=0 || rc=$?
check "wicket audit uses AWS_ENDPOINT_URL_EC2" test "$(jq -r '.Events | length' <<<"$out" 2>/dev/null)" = 1
out=$(wk "${ADMIN_ENV[@]}" AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT="$ENDPOINT" \
    AWS_ENDPOINT_URL="$DEAD" -- audit --max-items 1 2>&1) && rc=0 || rc=$?
check "wicket audit does not use the push's endpoint" contains "$out" "$DEAD"

log "HTTPS: AWS_CA_BUNDLE, ca_bundle, --ca-bundle"
pki="$T/pki"
mkdir -p "$pki"
mk_ca() {	# mk_ca NAME
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$pki/$1.key" -out "$pki/$1.pem" -days 2 -subj "/CN=$1" 2>/dev/null
}
mk_ca test-ca
mk_ca foreign-ca
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$pki/server.key" -out "$pki/server.csr" -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    >"$pki/ext"
openssl x509 -req -in "$pki/server.csr" -CA "$pki/test-ca.pem" -CAkey "$pki/test-ca.key" \
    -CAcreateserial -out "$pki/server.pem" -days 2 -extfile "$pki/ext" 2>/dev/null
TLS_PORT=$(free_port)
"$PY" "$WK_SOURCE/tests/tools/https_proxy.py" --listen "127.0.0.1:$TLS_PORT" \
    --backend "127.0.0.1:$PORT" --cert "$pki/server.pem" --key "$pki/server.key" \
    >>"$T/tls-proxy.log" 2>&1 &
PIDS+=("$!")
wait_tcp 127.0.0.1 "$TLS_PORT"
HTTPS="https://127.0.0.1:$TLS_PORT"
out=$(wk "${USER_ENV[@]}" AWS_ENDPOINT_URL="$HTTPS" AWS_CA_BUNDLE="$pki/test-ca.pem" \
    -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "https + AWS_CA_BUNDLE: login" contains "$out" login-ok
cat >"$T/tls-config" <<CFG
[default]
region = $REGION
endpoint_url = $HTTPS
ca_bundle = $pki/test-ca.pem
[profile nobundle]
region = $REGION
endpoint_url = $HTTPS
CFG
out=$(wk "${USER_ENV[@]}" AWS_CONFIG_FILE="$T/tls-config" -- "${SSH_CMD[@]}" 2>&1) \
    && rc=0 || rc=$?
check "https + ca_bundle in the profile: login" contains "$out" login-ok
out=$(wk "${USER_ENV[@]}" AWS_CONFIG_FILE="$T/tls-config" AWS_PROFILE=nobundle \
    -- ssh --ca-bundle "$pki/test-ca.pem" -o BatchMode=yes "ubuntu@$instance" \
    'echo login-ok' 2>&1) && rc=0 || rc=$?
check "https + --ca-bundle: login" contains "$out" login-ok
out=$(wk "${USER_ENV[@]}" AWS_CONFIG_FILE="$T/tls-config" AWS_PROFILE=nobundle \
    -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "https without a bundle: exit 255" test "$rc" -eq 255
check "https without a bundle: a certificate error" contains "$out" "SSL validation failed"
check "https without a bundle: says how to fix it" contains "$out" "AWS_CA_BUNDLE"
printf '%s\n' "$out" >"$T/no-bundle.err"
check "https without a bundle: no login" lacks "$out" login-ok
out=$(wk "${USER_ENV[@]}" AWS_CONFIG_FILE="$T/tls-config" AWS_CA_BUNDLE="$pki/foreign-ca.pem" \
    -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "AWS_CA_BUNDLE beats ca_bundle (a foreign CA: refused)" contains "$out" "SSL validation failed"
out=$(wk "${USER_ENV[@]}" AWS_ENDPOINT_URL="$HTTPS" AWS_CA_BUNDLE="$pki/test-ca.pem" \
    -- ssh --ca-bundle "$pki/foreign-ca.pem" "ubuntu@$instance" true 2>&1) && rc=0 || rc=$?
check "--ca-bundle beats AWS_CA_BUNDLE (a foreign CA: refused)" contains "$out" "SSL validation failed"
out=$(wk "${USER_ENV[@]}" AWS_ENDPOINT_URL="$HTTPS" AWS_CA_BUNDLE="$T/no-such-ca.pem" \
    -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "a missing CA bundle file: refused, says so" contains "$out" "SSL validation failed"
check "no key file left behind by the failures" test -z "$(ls -A "$T/tmp")"

log "wicketd itself over HTTPS (wicketd tls init)"
connects=$(grep -c event=wicketd_connected "$T/agent-host1.log")
wicketd_stop
"$WK_BIN/wicketd" tls init --data "$DATA" --tls-name 127.0.0.1 >"$T/tls-init.out" 2>&1
CA="$DATA/tls/ca.pem"
check "tls init made the CA bundle" test -s "$CA"
WTLS_PORT=$(free_port)
wicketd_start "$DATA" "$WTLS_PORT"	# DATA/tls exists: https
WHTTPS="https://127.0.0.1:$WTLS_PORT"
# The agent (plain HTTP until it learns TLS) and the aws CLI below keep
# using $ENDPOINT: a byte relay there (tls_relay.py) reaches the TLS
# listener.
"$PY" "$WK_SOURCE/tests/e2e/tls_relay.py" "$PORT" "$WTLS_PORT" "$CA" \
    >>"$T/tunnel.log" 2>&1 &
PIDS+=("$!")
wait_tcp 127.0.0.1 "$PORT"
check "the agent reconnected through the relay" agent_connected host1 "$((connects + 1))"
out=$(wk "${USER_ENV[@]}" AWS_ENDPOINT_URL="$WHTTPS" AWS_CA_BUNDLE="$CA" \
    -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "wicketd https + AWS_CA_BUNDLE: wicket ssh logs in" contains "$out" login-ok
cat >"$T/wtls-config" <<CFG
[default]
region = $REGION
endpoint_url = $WHTTPS
ca_bundle = $CA
[profile nobundle]
region = $REGION
endpoint_url = $WHTTPS
CFG
out=$(wk "${USER_ENV[@]}" AWS_CONFIG_FILE="$T/wtls-config" -- "${SSH_CMD[@]}" 2>&1) \
    && rc=0 || rc=$?
check "wicketd https + ca_bundle in the profile: login" contains "$out" login-ok
out=$(wk "${USER_ENV[@]}" AWS_CONFIG_FILE="$T/wtls-config" AWS_PROFILE=nobundle \
    -- ssh --ca-bundle "$CA" -o BatchMode=yes "ubuntu@$instance" 'echo login-ok' 2>&1) \
    && rc=0 || rc=$?
check "wicketd https + --ca-bundle: login" contains "$out" login-ok
out=$(cd "$T" && printf 'put %s /tmp/wicket-cli-config-sftp2\nbye\n' "$T/sftp-src" |
    wk "${USER_ENV[@]}" AWS_CONFIG_FILE="$T/wtls-config" -- sftp -b - "ubuntu@$instance" 2>&1) || true
check "wicketd https: wicket sftp uploads" \
    test "$(cat /tmp/wicket-cli-config-sftp2 2>/dev/null)" = sftp-payload
rm -f /tmp/wicket-cli-config-sftp2
out=$(wk "${USER_ENV[@]}" AWS_CONFIG_FILE="$T/wtls-config" AWS_PROFILE=nobundle \
    -- "${SSH_CMD[@]}" 2>&1) && rc=0 || rc=$?
check "wicketd https without a bundle: exit 255" test "$rc" -eq 255
check "wicketd https without a bundle: certificate error" contains "$out" "SSL validation failed"
check "wicketd https without a bundle: no login" lacks "$out" login-ok
check "no key file left behind" test -z "$(ls -A "$T/tmp")"

finish
