#!/usr/bin/env bash
# Logins audited and joined to their push, live sessions (issue 12 items 1,
# 2 and 5), end to end with a real sshd (UsePAM yes, ExposeAuthInfo yes,
# pam_wicket in the session stack as install-sshd puts it: noconsume) and
# real ssh: a login through a pushed key becomes Login (the push's
# RequestId and caller) and Logout (a duration); `wicket sessions` lists
# it while open, not after; `wicket audit --request-id/--session` tell the
# story; a login with a key wicket did not push records nothing; logins and
# logouts while wicketd is down reach the audit once it is back, once each.
#
# sshd's PAM service is its program name ($T/bin/wicket-e2e-sess-XXXXXX,
# /etc/pam.d/wicket-e2e-sess-XXXXXX removed on exit); /etc/pam.d/sshd is
# never touched.
. "$(dirname "$0")/lib.sh"

DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
PAM_SERVICE=wicket-e2e-sess-$(tr A-Z a-z <<<"${T##*.}")
PAM_MODULE="${WK_PAM_MODULE:-$WK_BIN/pam_wicket.so}"
ensure_user ubuntu
ensure_ak_user

if [ ! -f "$PAM_MODULE" ]; then
	# 77: ctest reports the test as skipped, not passed
	echo "e2e: $PAM_MODULE not built: skipped"
	exit 77
fi
if [ -e "/etc/pam.d/$PAM_SERVICE" ]; then
	echo "e2e: /etc/pam.d/$PAM_SERVICE exists (another run?); refusing" >&2
	exit 1
fi
trap 'rm -f "/etc/pam.d/$PAM_SERVICE"; cleanup' EXIT
cp "$PAM_MODULE" "$T/bin/pam_wicket.so"
chmod 644 "$T/bin/pam_wicket.so"
ln -s "$SSHD" "$T/bin/$PAM_SERVICE"
SOCK="$T/agent-host1.sock"
STATE="$T/agent-host1"

wicket_as() {	# wicket_as PROFILE ARGS...
	local profile=$1; shift
	AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
	    AWS_PROFILE="$profile" AWS_ENDPOINT_URL="$ENDPOINT" \
	    "$WK_BIN/wicket" "$@"
}

# until_ok SECONDS COMMAND...: retries every 0.2 s
until_ok() {
	local n=$(($1 * 5)) i; shift
	for i in $(seq 1 "$n"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# events SESSION NAME: how many audit events NAME the session has
events() {
	wicket_as admin audit --session "$1" --output json 2>/dev/null |
	    jq --arg n "wicket:$2" '[.Events[] | select(.EventName == $n)] | length'
}
has_events() { [ "$(events "$1" "$2")" = "$3" ]; }
session_of() {	# the newest registry file's session id
	ls -t "$STATE/sessions/" 2>/dev/null | head -1 | sed 's/\.json$//'
}
queue_len() { ls "$STATE/session-queue" | wc -l; }
queue_at_least() { [ "$(queue_len)" -ge "$1" ]; }
queue_empty() { [ "$(queue_len)" -eq 0 ]; }
open_in_wicket() { wicket_as admin sessions --output json | jq -e --arg s "$1" '.Sessions[] | select(.SessionId == $s)'; }
not_open_in_wicket() { ! open_in_wicket "$1"; }

log "control plane, one host with a PAM sshd (pam_wicket noconsume)"
wicketd_init "$DATA" --account-id 123456789012 --region us-east-1 >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"
d="$T/sshd-host1"
mkdir -p "$d" /run/sshd
chmod 755 "$d"
ssh-keygen -q -t ed25519 -N '' -f "$d/ssh_host_ed25519_key" </dev/null
instance=$(agent_enroll host1 127.0.0.2 "$SSH_PORT" "$d/ssh_host_ed25519_key.pub")
agent_start host1
agent_connected host1 1
# a key of the machine's own, not pushed through wicket
ssh-keygen -q -t ed25519 -N '' -f "$T/own" </dev/null
install -m 644 "$T/own.pub" "$d/authorized_keys"
cat >"/etc/pam.d/$PAM_SERVICE" <<PAM
# wicket's e2e test (tests/e2e/test_sessions.sh); removed on exit.
auth required pam_deny.so
account required pam_permit.so
session optional $T/bin/pam_wicket.so socket=$SOCK noconsume debug
session required pam_permit.so
PAM
cat >"$d/sshd_config" <<CFG
Port $SSH_PORT
ListenAddress 127.0.0.2
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
AuthorizedKeysCommand $HOST_BIN/wicket-authorized-keys --state $STATE --socket $SOCK %u %f
AuthorizedKeysCommandUser wicket-ak
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM yes
ExposeAuthInfo yes
PermitRootLogin no
StrictModes no
LogLevel VERBOSE
CFG
"$T/bin/$PAM_SERVICE" -D -e -f "$d/sshd_config" >>"$T/sshd-host1.log" 2>&1 &
PIDS+=("$!")
wait_tcp 127.0.0.2 "$SSH_PORT"
known_hosts_for host1 127.0.0.2 "$SSH_PORT" >"$T/known_hosts"
admin_arn=$(aws_as admin sts get-caller-identity | jq -r .Arn)

log "a login through a pushed key: Login, open, Logout"
ssh-keygen -q -t ed25519 -N '' -f "$T/k1" </dev/null
rid=$(aws_as admin ec2-instance-connect send-ssh-public-key \
    --instance-id "$instance" --instance-os-user ubuntu \
    --ssh-public-key "file://$T/k1.pub" | jq -r .RequestId)
check "the push has a RequestId" test -n "$rid"
# ssh itself in the background (not a function's subshell): killing it
# ends the connection
ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$T/k1" \
    -o UserKnownHostsFile="$T/known_hosts" -o StrictHostKeyChecking=yes \
    -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=10 -p "$SSH_PORT" \
    ubuntu@127.0.0.2 'echo logged-in; sleep 60' >"$T/s1.out" 2>"$T/s1.err" &
s1=$!
check "the login runs" until_ok 10 grep -q logged-in "$T/s1.out"
check "the agent registered the session" until_ok 5 test -n "$(session_of)"
sid=$(session_of)
reg="$STATE/sessions/$sid.json"
check "registry: the push's request id and caller" \
    jq -e --arg r "$rid" --arg c "$admin_arn" '.request_id == $r and .caller_arn == $c' "$reg"
pid=$(jq -r .pid "$reg")
check "registry: pid is sshd's monitor, running as root" \
    test "$(stat -c %u "/proc/$pid")" = 0
check "registry: pid_start matches /proc" \
    test "$(jq -r .pid_start "$reg")" = "$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f20)"
check "Login reaches the audit" until_ok 10 has_events "$sid" Login 1
wicket_as admin audit --session "$sid" --output json >"$T/a1.json"
check "Login: the push's RequestId, caller, source, user, pid" \
    jq -e --arg r "$rid" --arg c "$admin_arn" --arg i "$instance" \
    '[.Events[] | select(.EventName == "wicket:Login" and .RequestId == $r and .CallerArn == $c and .InstanceId == $i and .OsUser == "ubuntu" and .SourceIp == "127.0.0.1" and .SshdPid > 0)] | length == 1' "$T/a1.json"
out=$(wicket_as admin sessions)
check "wicket sessions lists it" contains "$out" "$sid"
check "wicket sessions --instance --os-user --caller filter to it" \
    contains "$(wicket_as admin sessions --instance "$instance" --os-user ubuntu --caller "$admin_arn")" "$sid"
check "wicket sessions --os-user root: not it" \
    lacks "$(wicket_as admin sessions --os-user root)" "$sid"
# console_sessions USER PASSWORD: the instances page's JSON for USER
console_sessions() {
	local jar="$T/jar-$1" csrf
	rm -f "$jar"
	csrf=$(curl -s -c "$jar" -b "$jar" "$ENDPOINT/console/api/session" | jq -r .csrf)
	csrf=$(curl -s -c "$jar" -b "$jar" -H "Origin: $ENDPOINT" \
	    -H "X-Wicket-CSRF: $csrf" -H 'Content-Type: application/json' \
	    --data "{\"user\":\"$1\",\"password\":\"$2\"}" \
	    "$ENDPOINT/console/api/login" | jq -r .csrf)
	curl -s -c "$jar" -b "$jar" -H "X-Wicket-CSRF: $csrf" \
	    "$ENDPOINT/console/api/instances"
}
PASSWORD='Corr3ct-Horse-Battery'
aws_as admin iam create-login-profile --user-name admin --password "$PASSWORD" \
    --no-password-reset-required >/dev/null
aws_as admin iam create-user --user-name viewer >/dev/null
aws_as admin iam create-login-profile --user-name viewer --password "$PASSWORD" \
    --no-password-reset-required >/dev/null
printf '%s' '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}]}' >"$T/viewer.json"
aws_as admin iam put-user-policy --user-name viewer --policy-name v \
    --policy-document "file://$T/viewer.json"
console_sessions admin "$PASSWORD" >"$T/console-admin.json"
check "the console shows the open session to admin" \
    jq -e --arg s "$sid" '.sessions[] | select(.sessionId == $s and .osUser == "ubuntu")' "$T/console-admin.json"
console_sessions viewer "$PASSWORD" >"$T/console-viewer.json"
check "... and none to a user without wicket:ListSessions" \
    jq -e '.instances and .sessions == null' "$T/console-viewer.json"
out=$(AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
    aws_as admin iam create-access-key --user-name viewer)
add_profile viewer "$(jq -r .AccessKey.AccessKeyId <<<"$out")" \
    "$(jq -r .AccessKey.SecretAccessKey <<<"$out")"
out=$(wicket_as viewer sessions 2>&1) && rc=0 || rc=$?
check "wicket sessions without wicket:ListSessions: AccessDenied" \
    bash -c "[ $rc -ne 0 ] && grep -q AccessDenied <<<'$out'"
kill "$s1" 2>/dev/null || true
wait "$s1" 2>/dev/null || true
check "Logout reaches the audit" until_ok 10 has_events "$sid" Logout 1
wicket_as admin audit --session "$sid" --output json >"$T/a2.json"
check "Logout has a duration" \
    jq -e '[.Events[] | select(.EventName == "wicket:Logout" and .DurationSeconds > 0)] | length == 1' "$T/a2.json"
check "the registry file is gone" test ! -e "$reg"
check "wicket sessions no longer lists it" not_open_in_wicket "$sid"
story=$(wicket_as admin audit --session "$sid")
check "audit --session: push, Login, Logout, oldest first" \
    bash -c "grep -o 'SendSSHPublicKey\|wicket:Login\|wicket:Logout' <<<'$story' | tr '\n' ' ' | grep -qx 'ec2-instance-connect:SendSSHPublicKey wicket:Login wicket:Logout \|SendSSHPublicKey wicket:Login wicket:Logout '"
story=$(wicket_as admin audit --request-id "$rid")
check "audit --request-id: the same story" \
    bash -c "[ \$(grep -c 'SendSSHPublicKey\|wicket:Login\|wicket:Logout' <<<'$story') = 3 ]"

log "a key wicket did not push: nothing recorded"
out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/own" "$T/known_hosts" 'echo own-key' 2>"$T/own.err") || true
check "the machine's own key logs in" contains "$out" own-key
check "no registry file" test -z "$(ls "$STATE/sessions/")"
own_fp=$(ssh-keygen -lf "$T/own.pub" | cut -d' ' -f2)
check "the agent saw it and recorded nothing" \
    grep -q "event=session_not_wicket.*fingerprint=$own_fp" "$T/agent-host1.log"
wicket_as admin audit --output json >"$T/a-own.json"
check "no Login with its fingerprint" bash -c "! grep -qF '$own_fp' '$T/a-own.json'"

log "the login's terminal: the pty sshd gave it, never one the user made"
check "a session without a terminal: Login's Tty is empty" \
    jq -e '[.Events[] | select(.EventName == "wicket:Login" and .Tty == "")] | length == 1' "$T/a1.json"
ssh-keygen -q -t ed25519 -N '' -f "$T/k3" </dev/null
aws_as admin ec2-instance-connect send-ssh-public-key --instance-id "$instance" \
    --instance-os-user ubuntu --ssh-public-key "file://$T/k3.pub" >/dev/null
# ssh -tt: sshd allocates a pty after PAM's session opened
ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k3" "$T/known_hosts" -tt \
    'tty; sleep 30' </dev/null >"$T/tty.out" 2>"$T/tty.err" &
s3=$!
check "the terminal session runs" until_ok 10 grep -q '^/dev/pts/' "$T/tty.out"
shown=$(tr -d '\r' <"$T/tty.out" | grep '^/dev/pts/' | head -1)
sid3=$(session_of)
check "Login of the terminal session reaches the audit" until_ok 10 has_events "$sid3" Login 1
wicket_as admin audit --session "$sid3" --output json >"$T/a3.json"
check "Login's Tty is what tty printed in the session (${shown#/dev/})" \
    jq -e --arg t "${shown#/dev/}" '[.Events[] | select(.EventName == "wicket:Login" and .Tty == $t)] | length == 1' "$T/a3.json"
check "the registry has it too" jq -e --arg t "${shown#/dev/}" '.tty == $t' "$STATE/sessions/$sid3.json"
# attack: a session without a terminal makes one of its own (script(1)
# gives its command a pty as controlling terminal): not the login's
ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k3" "$T/known_hosts" \
    "script -qfc 'tty; sleep 20' /dev/null" </dev/null >"$T/own-tty.out" 2>&1 &
s4=$!
check "the session made a pty of its own" until_ok 10 grep -q '^/dev/pts/' "$T/own-tty.out"
sid4=$(ls -t "$STATE/sessions/" | sed 's/\.json$//' | grep -vx "$sid3" | head -1)
check "its Login reaches the audit" until_ok 10 has_events "$sid4" Login 1
wicket_as admin audit --session "$sid4" --output json >"$T/a4.json"
check "... with an empty Tty, not the pty the user made" \
    jq -e '[.Events[] | select(.EventName == "wicket:Login" and .Tty == "")] | length == 1' "$T/a4.json"
kill "$s3" "$s4" 2>/dev/null || true
# sshd closes the PAM session (and so the Logout) only when the session's
# command ends: `sleep 30`/`sleep 20` outlive the killed clients
wait "$s3" "$s4" 2>/dev/null || true
check "both Logouts reach the audit" until_ok 40 has_events "$sid3" Logout 1
check "... (the second)" until_ok 40 has_events "$sid4" Logout 1

log "wicketd down during a login and its logout"
ssh-keygen -q -t ed25519 -N '' -f "$T/k2" </dev/null
aws_as admin ec2-instance-connect send-ssh-public-key --instance-id "$instance" \
    --instance-os-user ubuntu --ssh-public-key "file://$T/k2.pub" >/dev/null
# the record must be on the host before wicketd goes away
check "the agent holds k2" until_ok 5 grep -q "$(cut -d' ' -f2 "$T/k2.pub")" \
    <("$HOST_BIN/wicket-authorized-keys" --state "$STATE" --socket "$SOCK" ubuntu)
wicketd_stop
out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k2" "$T/known_hosts" 'echo while-down' 2>"$T/k2.err") || true
check "k2 logs in while wicketd is down" contains "$out" while-down
check "Login and Logout wait in the host's queue" until_ok 5 queue_at_least 2
sid2=$(jq -r 'select(.type == "Logout") | .session_id' "$STATE"/session-queue/*.json | tail -1)
check "the queued Logout names the session" test -n "$sid2"
wicketd_start "$DATA" "$PORT"
check "the queue drains once wicketd is back" until_ok 30 queue_empty
check "exactly one Login for it" has_events "$sid2" Login 1
check "exactly one Logout for it" has_events "$sid2" Logout 1
check "it is not listed as open" not_open_in_wicket "$sid2"

finish
