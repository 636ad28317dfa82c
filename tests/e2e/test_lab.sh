#!/usr/bin/env bash
# The lab (shared/LAB.md), end to end with real, unmodified tools: the aws
# CLI creates a user, an access key and the lab's policy; a host enrolls;
# the user pushes a key with `aws ec2-instance-connect send-ssh-public-key`
# and logs in through Debian's sshd; refusals, expiry, `wicket ssh`,
# `wicket audit`, bad input and a wicketd restart.
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
ensure_user ubuntu
ensure_ak_user

log "wicketd init"
out=$(wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION")
check "init prints the admin's access key" contains "$out" "AccessKeyId"
check "init writes a 0600 credentials file" \
    test "$(stat -c %a "$DATA/credentials")" = 600
check "init refuses an existing data dir" \
    bash -c "! '$WK_BIN/wicketd' init --data '$DATA' 2>/dev/null"
admin_key=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
admin_secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
add_profile admin "$admin_key" "$admin_secret"
wicketd_start "$DATA" "$PORT"

log "IAM with the aws CLI"
out=$(aws_as admin sts get-caller-identity)
check "get-caller-identity: admin" \
    test "$(jq -r .Arn <<<"$out")" = "arn:aws:iam::$ACCOUNT:user/admin"
check "get-caller-identity: account" \
    test "$(jq -r .Account <<<"$out")" = "$ACCOUNT"
out=$(aws_as admin iam create-user --user-name MyWorkshopUser)
check "create-user" test "$(jq -r .User.UserName <<<"$out")" = MyWorkshopUser
check "create-user: user id" bash -c "[[ \$(jq -r .User.UserId <<<'$out') == AIDA* ]]"
out=$(aws_as admin iam create-access-key --user-name MyWorkshopUser)
user_key=$(jq -r .AccessKey.AccessKeyId <<<"$out")
user_secret=$(jq -r .AccessKey.SecretAccessKey <<<"$out")
check "create-access-key: AKIA id" bash -c "[[ '$user_key' == AKIA* ]]"
check "create-access-key: 40-char secret" test "${#user_secret}" -eq 40
add_profile workshop "$user_key" "$user_secret"
out=$(aws_as workshop sts get-caller-identity)
check "get-caller-identity: workshop user" \
    test "$(jq -r .Arn <<<"$out")" = "arn:aws:iam::$ACCOUNT:user/MyWorkshopUser"

log "a host joins"
sshd_dir="$T/sshd-host1"
mkdir -p "$sshd_dir"
ssh-keygen -q -t ed25519 -N '' -f "$sshd_dir/ssh_host_ed25519_key" </dev/null
instance=$(agent_enroll host1 127.0.0.2 "$SSH_PORT" "$sshd_dir/ssh_host_ed25519_key.pub")
check "enroll prints an instance id" bash -c "[[ '$instance' =~ ^i-[0-9a-f]{17}$ ]]"
agent_start host1
check "sshd-config prints the drop-in" bash -c \
    "'$HOST_BIN/wicket-agent' sshd-config --state '$T/agent-host1' | grep -q 'AuthorizedKeysCommand .*%u %f'"
# A second instance the policy will not name.
other=$(agent_enroll host2 127.0.0.3 "$SSH_PORT" "$sshd_dir/ssh_host_ed25519_key.pub")
agent_start host2

sshd_start host1 127.0.0.2 "$SSH_PORT" "$T/agent-host1" "$T/agent-host1.sock"
known_hosts_for host1 127.0.0.2 "$SSH_PORT" >"$T/known_hosts"

log "the lab's policy"
cat >"$T/InstanceConnect.json" <<JSON
{
	"Version": "2012-10-17",
	"Statement": [{
		"Effect": "Allow",
		"Action": "ec2-instance-connect:SendSSHPublicKey",
		"Resource": "arn:aws:ec2:$REGION:$ACCOUNT:instance/$instance",
		"Condition": {
			"StringEquals": {
				"ec2:osuser": "ubuntu"
			}
		}
	}]
}
JSON
out=$(aws_as admin iam create-policy --policy-name InstanceConnect \
    --policy-document "file://$T/InstanceConnect.json")
check "create-policy: PolicyName" test "$(jq -r .Policy.PolicyName <<<"$out")" = InstanceConnect
check "create-policy: Arn" test "$(jq -r .Policy.Arn <<<"$out")" = "arn:aws:iam::$ACCOUNT:policy/InstanceConnect"
check "create-policy: DefaultVersionId" test "$(jq -r .Policy.DefaultVersionId <<<"$out")" = v1
check "create-policy: Path" test "$(jq -r .Policy.Path <<<"$out")" = /
check "create-policy: AttachmentCount" test "$(jq -r .Policy.AttachmentCount <<<"$out")" = 0
check "create-policy: IsAttachable" test "$(jq -r .Policy.IsAttachable <<<"$out")" = true
check "create-policy: PolicyId" bash -c "[[ \$(jq -r .Policy.PolicyId <<<'$out') == ANPA* ]]"
check "create-policy: dates" bash -c "[[ \$(jq -r .Policy.CreateDate <<<'$out') == 20*Z* || \$(jq -r .Policy.CreateDate <<<'$out') == 20*+00:00 ]]"
check "attach-user-policy" aws_as admin iam attach-user-policy --user-name MyWorkshopUser \
    --policy-arn "arn:aws:iam::$ACCOUNT:policy/InstanceConnect"

log "push a key and log in with OpenSSH"
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null
out=$(aws_as workshop ec2-instance-connect send-ssh-public-key \
    --instance-id "$instance" --instance-os-user ubuntu \
    --ssh-public-key "file://$T/k.pub")
pushed_at=$(date +%s)
check "send-ssh-public-key: Success" test "$(jq -r .Success <<<"$out")" = true
check "send-ssh-public-key: RequestId" bash -c "[ -n \"\$(jq -r .RequestId <<<'$out')\" ]"
out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k" "$T/known_hosts" 'w; date' 2>"$T/ssh1.err") || true
check "ssh runs w" contains "$out" "load average"
check "ssh runs date" contains "$out" "$(date -u +%Y)"

log "refusals"
out=$(aws_as workshop ec2-instance-connect send-ssh-public-key \
    --instance-id "$instance" --instance-os-user root \
    --ssh-public-key "file://$T/k.pub" 2>&1) && rc=0 || rc=$?
check "push as root is refused" test "$rc" -ne 0
check "push as root: AuthException" contains "$out" "AuthException"
out=$(aws_as workshop ec2-instance-connect send-ssh-public-key \
    --instance-id "$other" --instance-os-user ubuntu \
    --ssh-public-key "file://$T/k.pub" 2>&1) && rc=0 || rc=$?
check "push to an unnamed instance: AuthException" contains "$out" "AuthException"
ak_root=$("$HOST_BIN/wicket-authorized-keys" --state "$T/agent-host1" --socket "$T/agent-host1.sock" root || true)
check "no key reached the host for root" test -z "$ak_root"
ak_other=$("$HOST_BIN/wicket-authorized-keys" --state "$T/agent-host2" --socket "$T/agent-host2.sock" ubuntu || true)
check "no key reached the other instance" test -z "$ak_other"
out=$(ssh_login root 127.0.0.2 "$SSH_PORT" "$T/k" "$T/known_hosts" true 2>&1) && rc=0 || rc=$?
check "ssh as root is refused" test "$rc" -ne 0

log "bad input keeps the server serving"
out=$(aws_as workshop ec2-instance-connect send-ssh-public-key \
    --instance-id "i-zzzzzzzzzzzzzzzzz" --instance-os-user ubuntu \
    --ssh-public-key "file://$T/k.pub" 2>&1) && rc=0 || rc=$?
check "bad instance id: InvalidArgsException" contains "$out" "InvalidArgsException"
ssh-keygen -q -t rsa -b 1024 -N '' -f "$T/weak" </dev/null 2>/dev/null || true
if [ -f "$T/weak.pub" ]; then
	out=$(aws_as workshop ec2-instance-connect send-ssh-public-key \
	    --instance-id "$instance" --instance-os-user ubuntu \
	    --ssh-public-key "file://$T/weak.pub" 2>&1) && rc=0 || rc=$?
	check "RSA-1024 key: InvalidArgsException" contains "$out" "InvalidArgsException"
fi
printf 'command="sh" %s' "$(cat "$T/k.pub")" >"$T/opt.pub"
out=$(aws_as workshop ec2-instance-connect send-ssh-public-key \
    --instance-id "$instance" --instance-os-user ubuntu \
    --ssh-public-key "file://$T/opt.pub" 2>&1) && rc=0 || rc=$?
check "key with options: InvalidArgsException" contains "$out" "InvalidArgsException"
add_profile badsecret "$user_key" "wrongwrongwrongwrongwrongwrongwrongwrong"
out=$(aws_as badsecret sts get-caller-identity 2>&1) && rc=0 || rc=$?
check "wrong secret: SignatureDoesNotMatch" contains "$out" "SignatureDoesNotMatch"
add_profile unknown AKIAAAAAAAAAAAAAAAAA "wrongwrongwrongwrongwrongwrongwrongwrong"
out=$(aws_as unknown sts get-caller-identity 2>&1) && rc=0 || rc=$?
check "unknown access key: InvalidClientTokenId" contains "$out" "InvalidClientTokenId"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
    -H 'X-Amz-Target: AWSEC2InstanceConnectService.SendSSHPublicKey' \
    -H 'Content-Type: application/x-amz-json-1.1' --data '{"bad json' "$ENDPOINT/")
check "unsigned request is refused (4xx)" bash -c "[[ '$code' == 4* ]]"
head -c 3000000 /dev/zero | tr '\0' 'a' >"$T/big"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "@$T/big" "$ENDPOINT/" || true)
check "oversized body is refused (413)" test "$code" = 413
# What no AWS client sends, signed by a known caller (tests/tools/signed_post).
sp() {	# sp TARGET BODY-FILE [CLOCK-OFFSET]
	AWS_ACCESS_KEY_ID="$user_key" AWS_SECRET_ACCESS_KEY="$user_secret" \
	    "$WK_BIN/signed_post" "$ENDPOINT" ec2-instance-connect "$@"
}
printf '{"InstanceId": "i-' >"$T/truncated.json"
out=$(sp AWSEC2InstanceConnectService.SendSSHPublicKey "$T/truncated.json")
check "malformed JSON: 400 SerializationException" \
    bash -c "[[ \"\$(head -1 <<<'$out')\" == 400 && '$out' == *SerializationException* ]]"
echo '{}' >"$T/empty.json"
out=$(sp AWSEC2InstanceConnectService.SendSSHPublickey "$T/empty.json")
check "wrong X-Amz-Target: UnknownOperationException" contains "$out" UnknownOperationException
out=$(sp AWSEC2InstanceConnectService.SendSSHPublicKey "$T/empty.json" -1200)
check "a 20-minute-old signature: 400 InvalidSignatureException, Signature expired" \
    bash -c "[[ \"\$(head -1 <<<'$out')\" == 400 && '$out' == *InvalidSignatureException*'Signature expired'* ]]"
printf '{"InstanceId":"%s","InstanceOSUser":"ubuntu","SSHPublicKey":"%s","Extra":1}' \
    "$instance" "$(cat "$T/k.pub")" >"$T/extra.json"
out=$(sp AWSEC2InstanceConnectService.SendSSHPublicKey "$T/extra.json")
check "unknown field: InvalidArgsException" contains "$out" InvalidArgsException
out=$(AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
    AWS_PROFILE=admin AWS_ENDPOINT_URL="$ENDPOINT" "$WK_BIN/wicket" audit \
    --caller "arn:aws:iam::$ACCOUNT:user/MyWorkshopUser" --output json)
check "the malformed push is audited for its caller" \
    bash -c "jq -e '.Events[] | select(.ErrorCode==\"SerializationException\")' <<<'$out' >/dev/null"
check "the unknown operation is audited for its caller" \
    bash -c "jq -e '.Events[] | select(.ErrorCode==\"UnknownOperationException\")' <<<'$out' >/dev/null"
out=$(aws_as workshop sts get-caller-identity)
check "server still serves" contains "$out" MyWorkshopUser

log "wicket ssh"
# The lab's policy alone: the push's reply carries the instance's address,
# port and host keys, so wicket ssh makes no second call.
mkdir -p "$T/tmp"
chmod 700 "$T/tmp"
out=$(TMPDIR="$T/tmp" AWS_SHARED_CREDENTIALS_FILE="$T/credentials" \
    AWS_CONFIG_FILE="$T/config" AWS_PROFILE=workshop AWS_ENDPOINT_URL="$ENDPOINT" \
    "$WK_BIN/wicket" ssh -o BatchMode=yes "ubuntu@$instance" 'echo wicket-ssh-ok; whoami' 2>"$T/wssh.err") || true
check "wicket ssh logs in and runs the command" contains "$out" "wicket-ssh-ok"
check "wicket ssh: as ubuntu" contains "$out" "ubuntu"
check "wicket ssh removes the key afterwards" test -z "$(ls -A "$T/tmp")"
out=$(TMPDIR="$T/tmp" AWS_ACCESS_KEY_ID="$user_key" AWS_SECRET_ACCESS_KEY="$user_secret" \
    AWS_REGION="$REGION" AWS_ENDPOINT_URL="$ENDPOINT" \
    "$WK_BIN/wicket" ssh -o BatchMode=yes "root@$instance" true 2>&1) && rc=0 || rc=$?
check "wicket ssh as root is refused" test "$rc" -ne 0
check "wicket ssh as root: AuthException" contains "$out" "AuthException"
echo "sftp-payload" >"$T/sftp-src"
out=$(cd "$T" && printf 'put %s /tmp/wicket-sftp-test\nbye\n' "$T/sftp-src" | TMPDIR="$T/tmp" \
    AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
    AWS_PROFILE=workshop AWS_ENDPOINT_URL="$ENDPOINT" \
    "$WK_BIN/wicket" sftp -b - "ubuntu@$instance" 2>&1) || true
check "wicket sftp uploads a file" test "$(cat /tmp/wicket-sftp-test 2>/dev/null)" = sftp-payload
rm -f /tmp/wicket-sftp-test

log "audit"
out=$(AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
    AWS_PROFILE=admin AWS_ENDPOINT_URL="$ENDPOINT" \
    "$WK_BIN/wicket" audit --instance-id "$instance" --output json)
check "audit lists the allowed push" bash -c "jq -e '.Events[] | select(.Decision==\"Allow\" and .OsUser==\"ubuntu\")' <<<'$out' >/dev/null"
check "audit lists the refused push with AuthException" \
    bash -c "jq -e '.Events[] | select(.Decision==\"Deny\" and .ErrorCode==\"AuthException\" and .OsUser==\"root\")' <<<'$out' >/dev/null"
check "audit events carry caller, source and fingerprint" \
    bash -c "jq -e '.Events[0] | .CallerArn and .SourceIp and .RequestId' <<<'$out' >/dev/null"
check "audit is newest first" \
    bash -c "jq -e '[.Events[].EventTime] as \$t | \$t == (\$t | sort | reverse)' <<<'$out' >/dev/null"
out=$(AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
    AWS_PROFILE=admin AWS_ENDPOINT_URL="$ENDPOINT" \
    "$WK_BIN/wicket" audit --caller "arn:aws:iam::$ACCOUNT:user/admin" --output json)
check "audit filters by caller" \
    bash -c "jq -e '[.Events[].CallerArn] | unique == [\"arn:aws:iam::$ACCOUNT:user/admin\"] or length == 0' <<<'$out' >/dev/null"
out=$(AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
    AWS_PROFILE=admin AWS_ENDPOINT_URL="$ENDPOINT" \
    "$WK_BIN/wicket" audit --since "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" --output json)
check "audit filters by time (nothing in the future)" \
    bash -c "jq -e '.Events | length == 0' <<<'$out' >/dev/null"
out=$(AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
    AWS_PROFILE=admin AWS_ENDPOINT_URL="$ENDPOINT" \
    "$WK_BIN/wicket" audit --since "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)" --output json)
check "audit filters by time (the last hour has the pushes)" \
    bash -c "jq -e '.Events | length > 3' <<<'$out' >/dev/null"
out=$(AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
    AWS_PROFILE=workshop AWS_ENDPOINT_URL="$ENDPOINT" \
    "$WK_BIN/wicket" audit 2>&1) && rc=0 || rc=$?
check "audit refused for a caller without permission" test "$rc" -ne 0

log "wicketd restart: the agent reconnects, nothing enrolled is lost"
wicketd_stop
wicketd_start "$DATA" "$PORT"
ok=1
for i in $(seq 1 100); do
	if aws_as workshop ec2-instance-connect send-ssh-public-key \
	    --instance-id "$instance" --instance-os-user ubuntu \
	    --ssh-public-key "file://$T/k.pub" >/dev/null 2>&1; then ok=0; break; fi
	sleep 0.2
done
check "push works after restart" test "$ok" -eq 0
out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k" "$T/known_hosts" 'echo again' 2>/dev/null) || true
check "login works after restart" test "$out" = again

log "the first key expires 60 s after its push"
ssh-keygen -q -t ed25519 -N '' -f "$T/k2" </dev/null
aws_as workshop ec2-instance-connect send-ssh-public-key --instance-id "$instance" \
    --instance-os-user ubuntu --ssh-public-key "file://$T/k2.pub" >/dev/null
k2_at=$(date +%s)
wait_s=$((k2_at + 61 - $(date +%s)))
[ "$wait_s" -gt 0 ] && sleep "$wait_s"
out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k2" "$T/known_hosts" true 2>&1) && rc=0 || rc=$?
check "61 s after the push, ssh is refused" test "$rc" -ne 0
check "the refusal is sshd's (publickey)" contains "$out" "Permission denied"

finish
