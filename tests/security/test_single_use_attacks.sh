#!/usr/bin/env bash
# Attacks on single-use keys (issue 13, item 3, and item 5's eviction and
# socket-peer items), each performed against real wicketd, agents and sshd
# on 127.0.0.x and asserted to fail:
#   A. a host without pam_wicket prints a single-use record at every login
#      (three logins with one key);
#   B. nine concurrent logins with one single-use key (was: up to five
#      sessions; must be exactly one);
#   C. ~/.pam_environment sets SSH_AUTH_INFO_0 (Debian's pam_env
#      user_readenv=1 in the session stack) so the key is never consumed;
#   E. a socket at the agent's path served by another uid chooses the keys
#      the helper prints;
#   D. flooding an OS user's keys evicts another caller's pending key (last:
#      the user's records stay full for a minute).
# wicketd runs with --single-use (every push single-use). The PAM service
# of host1's sshd is its program name, unique per run (removed on exit);
# the machine's /etc/pam.d/sshd is never touched.
. "$(dirname "$0")/../e2e/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH1=$(free_port)
SSH2=$(free_port)
OSUSER=wksu	# our own login user: its ~/.pam_environment is ours to write
PAM_SERVICE=wicket-sec-sshd-$(tr A-Z a-z <<<"${T##*.}")	# libpam lower-cases
PAM_MODULE="${WK_PAM_MODULE:-$WK_BIN/pam_wicket.so}"
ensure_user "$OSUSER"
ensure_ak_user
HOME_DIR=$(getent passwd "$OSUSER" | cut -d: -f6)

if [ ! -f "$PAM_MODULE" ]; then
	# 77: ctest reports the test as skipped, not passed
	echo "security: $PAM_MODULE not built: skipped"
	exit 77
fi
if [ -e "/etc/pam.d/$PAM_SERVICE" ]; then
	echo "security: /etc/pam.d/$PAM_SERVICE exists; refusing" >&2
	exit 1
fi
trap 'rm -f "/etc/pam.d/$PAM_SERVICE" "$HOME_DIR/.pam_environment"; cleanup' EXIT
cp "$PAM_MODULE" "$T/bin/pam_wicket.so"
chmod 644 "$T/bin/pam_wicket.so"
ln -s "$SSHD" "$T/bin/$PAM_SERVICE"

push() {	# push KEYFILE INSTANCE: as alice
	aws_as alice ec2-instance-connect send-ssh-public-key \
	    --instance-id "$2" --instance-os-user "$OSUSER" \
	    --ssh-public-key "file://$1" >"$T/push.out" 2>&1
}
newkey() { ssh-keygen -q -t ed25519 -N '' -f "$T/$1" </dev/null; }
b64() { cut -d' ' -f2 "$T/$1.pub"; }
fp() { ssh-keygen -lf "$T/$1.pub" | cut -d' ' -f2; }
held() {	# held HOST B64: does the agent (root's view) hold it?
	rm -rf "$T/held"; mkdir -p "$T/held"
	"$WK_BIN/keyrec_tool" lookup "$T/agent-$1.sock" "$OSUSER" "$T/held" >/dev/null
	grep -qF -- "$2" "$T/held"/rec-* 2>/dev/null
}
wait_held() {	# up to 5 s
	local i
	for i in $(seq 1 50); do held "$1" "$2" && return 0; sleep 0.1; done
	return 1
}
login() {	# login KEY PORT WORD: prints WORD when a command ran
	ssh_login "$OSUSER" "127.0.0.$3" "$2" "$T/$1" "$T/known_hosts" \
	    "echo $4" 2>>"$T/ssh.err" || true
}

log "control plane (every key single-use), host1 with pam_wicket, host2 without"
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
admin_key=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
admin_secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
add_profile admin "$admin_key" "$admin_secret"
"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" --single-use \
    >>"$T/wicketd.log" 2>&1 &
PIDS+=("$!")
wait_tcp 127.0.0.1 "$PORT"
for u in alice mallory; do
	aws_as admin iam create-user --user-name "$u" >/dev/null
	out=$(aws_as admin iam create-access-key --user-name "$u")
	add_profile "$u" "$(jq -r .AccessKey.AccessKeyId <<<"$out")" \
	    "$(jq -r .AccessKey.SecretAccessKey <<<"$out")"
	eval "${u}_key=$(jq -r .AccessKey.AccessKeyId <<<"$out")"
	eval "${u}_secret=$(jq -r .AccessKey.SecretAccessKey <<<"$out")"
	cat >"$T/p-$u.json" <<JSON
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
 "Action": "ec2-instance-connect:SendSSHPublicKey", "Resource": "*"}]}
JSON
	aws_as admin iam put-user-policy --user-name "$u" --policy-name p \
	    --policy-document "file://$T/p-$u.json"
done

for h in 1 2; do
	mkdir -p "$T/sshd-host$h"
	chmod 755 "$T/sshd-host$h"
	ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-host$h/ssh_host_ed25519_key" </dev/null
done
inst1=$(agent_enroll host1 127.0.0.2 "$SSH1" "$T/sshd-host1/ssh_host_ed25519_key.pub")
inst2=$(agent_enroll host2 127.0.0.3 "$SSH2" "$T/sshd-host2/ssh_host_ed25519_key.pub")

# host1: a Debian-like PAM service (pam_env reads ~/.pam_environment in the
# session stack), then wicket's own installer adds pam_wicket to it. The
# account stack takes a second (as a directory lookup may): every login
# that got the key before the first session consumed it would win, so the
# race of attack B shows every time, not only when the clients happen to
# line up.
cat >"/etc/pam.d/$PAM_SERVICE" <<PAM
# wicket's security test (tests/security/test_single_use_attacks.sh); removed on exit.
auth required pam_deny.so
account required pam_permit.so
account required pam_exec.so quiet /bin/sleep 1
session required pam_permit.so
session required pam_env.so user_readenv=1 envfile=/dev/null
PAM
cat >"$T/sshd-host1/sshd_config" <<CFG
Port $SSH1
ListenAddress 127.0.0.2
HostKey $T/sshd-host1/ssh_host_ed25519_key
PidFile $T/sshd-host1/sshd.pid
AuthorizedKeysFile none
AuthorizedKeysCommand $HOST_BIN/wicket-authorized-keys --state $T/agent-host1 --socket $T/agent-host1.sock %u %f
AuthorizedKeysCommandUser wicket-ak
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UsePAM yes
ExposeAuthInfo yes
PermitRootLogin no
MaxStartups 30
LogLevel VERBOSE
CFG
mkdir -p "$T/sshd_config.d" /run/sshd
check "install-sshd --single-use (our PAM service)" \
    "$HOST_BIN/wicket-agent" install-sshd --single-use --no-reload --no-useradd \
    --user wicket-ak --helper "$HOST_BIN/wicket-authorized-keys" \
    --state "$T/agent-host1" --socket "$T/agent-host1.sock" \
    --sshd-config-dir "$T/sshd_config.d" --sshd-test-config "$T/sshd-host1/sshd_config" \
    --pam-file "/etc/pam.d/$PAM_SERVICE" --pam-module "$T/bin/pam_wicket.so"
agent_start host1
agent_start host2
"$T/bin/$PAM_SERVICE" -D -e -f "$T/sshd-host1/sshd_config" >>"$T/sshd-host1.log" 2>&1 &
PIDS+=("$!")
wait_tcp 127.0.0.2 "$SSH1"
sshd_start host2 127.0.0.3 "$SSH2" "$T/agent-host2" "$T/agent-host2.sock"
{ known_hosts_for host1 127.0.0.2 "$SSH1"; known_hosts_for host2 127.0.0.3 "$SSH2"; } >"$T/known_hosts"
# host1's agent reports that it consumes single-use keys: wait until a push
# there is accepted.
newkey k0
for i in $(seq 1 50); do push "$T/k0.pub" "$inst1" && break; sleep 0.2; done
check "a single-use push to host1 (pam_wicket installed) is accepted" push "$T/k0.pub" "$inst1"

log "A. three logins with one key on a host without pam_wicket"
newkey ka
out=$(push "$T/ka.pub" "$inst2" 2>&1; cat "$T/push.out") && rc=0 || rc=$?
check "wicketd refuses a single-use push to host2: EC2InstanceStateInvalidException" \
    grep -q EC2InstanceStateInvalidException "$T/push.out"
wicket_audit() {
	AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
	    AWS_PROFILE=admin AWS_ENDPOINT_URL="$ENDPOINT" "$WK_BIN/wicket" audit \
	    --output json 2>/dev/null || true
}
check "... and audits the refusal" \
    bash -c "jq -e '.Events[] | select(.ErrorCode==\"EC2InstanceStateInvalidException\")' >/dev/null <<<'$(wicket_audit)'"
# The helper's own guard: host2 claims to consume, takes the record, then
# stops (pam_wicket removed, marker gone): it must not print the record.
printf 'wicket-single-use 1\n' >"$T/agent-host2/single-use"
for i in $(seq 1 50); do push "$T/ka.pub" "$inst2" && break; sleep 0.2; done
check "while host2 claims to consume, the push goes through" wait_held host2 "$(b64 ka)"
rm -f "$T/agent-host2/single-use"
wins=0
for i in 1 2 3; do
	out=$(login ka "$SSH2" 3 "a-in-$i")
	[[ $out == *"a-in-$i"* ]] && wins=$((wins + 1))
done
check "three logins with the single-use key on host2: none succeeds (got $wins)" test "$wins" -eq 0

log "B. nine concurrent logins with one single-use key"
for round in 1 2; do
	newkey kb$round
	check "push kb$round" push "$T/kb$round.pub" "$inst1"
	wait_held host1 "$(b64 kb$round)" || true
	pids=()
	for i in $(seq 1 9); do
		login kb$round "$SSH1" 2 "b-won-$i; sleep 2" >"$T/b$round-$i.out" &
		pids+=("$!")
	done
	for p in "${pids[@]}"; do wait "$p" || true; done
	wins=$(cat "$T"/b$round-*.out | grep -c '^b-won-' || true)
	check "round $round: exactly one of nine concurrent logins got a session (got $wins)" \
	    test "$wins" -eq 1
done

log "C. SSH_AUTH_INFO_0 from ~/.pam_environment"
printf 'SSH_AUTH_INFO_0 OVERRIDE=password\n' >"$HOME_DIR/.pam_environment"
chown "$OSUSER" "$HOME_DIR/.pam_environment"
newkey kc
check "push kc" push "$T/kc.pub" "$inst1"
wait_held host1 "$(b64 kc)" || true
out=$(login kc "$SSH1" 2 c-first)
check "first login with kc" contains "$out" c-first
out=$(login kc "$SSH1" 2 c-second)
check "a second login with kc is refused (pam_wicket read sshd's value)" \
    bash -c "! grep -q c-second <<<'$out'"
check "the installer put pam_wicket first in the session stack" \
    bash -c "grep -m1 '^session' '/etc/pam.d/$PAM_SERVICE' | grep -q pam_wicket"
rm -f "$HOME_DIR/.pam_environment"

log "E. a socket at the agent's path served by another uid"
newkey ke
# A genuine, unexpired record (root's view of the real agent) for the fake
# to replay.
check "push ke" push "$T/ke.pub" "$inst1"
check "the agent holds ke" wait_held host1 "$(b64 ke)"
rec=$(grep -lF -- "$(b64 ke)" "$T/held"/rec-* | head -1)
mkdir -p "$T/fake"
chown nobody "$T/fake"
cp "$rec" "$T/fake/rec"
chmod 644 "$T/fake/rec"
cat >"$T/fake/serve.py" <<'PY'
import os, socket, sys, time
path, rec = sys.argv[1], open(sys.argv[2], 'rb').read()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(4)
s.settimeout(20)
deadline = time.time() + 20
while time.time() < deadline:
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    c.settimeout(2)
    try:
        c.recv(512)
        c.sendall(b'OK 1\n' + str(len(rec)).encode() + b'\n' + rec)
    except OSError:
        pass
    c.close()
PY
runuser -u nobody -- "$PY" "$T/fake/serve.py" "$T/fake/agent.sock" "$T/fake/rec" \
    >>"$T/fake.log" 2>&1 &
PIDS+=("$!")
for i in $(seq 1 50); do [ -S "$T/fake/agent.sock" ] && break; sleep 0.1; done
out=$("$HOST_BIN/wicket-authorized-keys" --state "$T/agent-host1" \
    --socket "$T/fake/agent.sock" "$OSUSER" "$(fp ke)" || true)
check "the helper prints nothing from a socket served by uid nobody" test -z "$out"
out=$("$HOST_BIN/wicket-authorized-keys" --state "$T/agent-host1" \
    --socket "$T/agent-host1.sock" "$OSUSER" "$(fp ke)" || true)
check "(the real agent's answer is still taken)" contains "$out" "$(b64 ke)"

log "D. flooding a user's keys does not evict another caller's pending key"
newkey kv
check "alice pushes kv (the victim's key)" push "$T/kv.pub" "$inst1"
check "the agent holds kv" wait_held host1 "$(b64 kv)"
sp() {	# sp BODY-FILE: SendSSHPublicKey as mallory: status line, then body
	AWS_ACCESS_KEY_ID="$mallory_key" AWS_SECRET_ACCESS_KEY="$mallory_secret" \
	    "$WK_BIN/signed_post" "$ENDPOINT" ec2-instance-connect \
	    AWSEC2InstanceConnectService.SendSSHPublicKey "$1"
}
accepted=0 limited=0
for i in $(seq 1 70); do
	newkey "flood$i"
	printf '{"InstanceId":"%s","InstanceOSUser":"%s","SSHPublicKey":"%s"}' \
	    "$inst1" "$OSUSER" "$(cat "$T/flood$i.pub")" >"$T/flood.json"
	for try in $(seq 1 20); do
		out=$(sp "$T/flood.json" || true)
		[ "$(head -1 <<<"$out")" = 200 ] && { accepted=$((accepted + 1)); break; }
		[[ $out == *"Too many unexpired keys"* ]] && { limited=$((limited + 1)); break; }
		sleep 0.1	# the request rate throttle: try again
	done
done
check "mallory's flood: the pushes past the user's limit fail where the caller sees it ($accepted accepted, $limited refused)" \
    test "$limited" -ge 1
check "... and no more were accepted than the agent holds for a user" \
    test "$accepted" -le 63
check "the victim's key is still held" held host1 "$(b64 kv)"
out=$(login kv "$SSH1" 2 v-in)
check "and the victim can still log in with it" contains "$out" v-in

finish
