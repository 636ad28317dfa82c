#!/usr/bin/env bash
# Revocation (issue 12 item 3, and item 5's "revocation resumes on
# reconnect"), end to end with a real sshd and ssh:
#   request-id  push, `wicket revoke --request-id`, the login is refused
#   caller      two long-running logins (alice, carol); `wicket revoke
#               --caller alice`: alice's sshd session process ends and her
#               ssh exits, carol's session survives
#   again       a later push by alice logs in again
#   key         deactivating alice's access key revokes her pushes
#   denied      a caller without wicket:RevokeSessions gets AccessDenied
#               and nothing changes (carol's key and session stay)
#   away        the agent is stopped while wicketd restarts and the revoke
#               happens; when it reconnects it drops the record
#   instance    --instance --os-user: only that OS user's keys and sessions
#
# Sessions are real: sshd runs with UsePAM yes and ExposeAuthInfo yes and
# pam_wicket in its session stack (as `wicket-agent install-sshd` puts it,
# noconsume), so the agent's session registry (STATE/sessions/*.json) is
# written from the login itself and the process a revocation ends is the
# one pam_wicket reported (sshd's per-connection monitor). sshd's PAM
# service is its program name ($T/bin/wicket-e2e-rev-XXXXXX,
# /etc/pam.d/wicket-e2e-rev-XXXXXX removed on exit); /etc/pam.d/sshd is
# never touched.
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
ADDR=127.0.0.6
PAM_SERVICE=wicket-e2e-rev-$(tr A-Z a-z <<<"${T##*.}")
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

wicket_as() {	# wicket_as PROFILE ARGS...
	local profile=$1; shift
	AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
	    AWS_PROFILE="$profile" AWS_ENDPOINT_URL="$ENDPOINT" "$WK_BIN/wicket" "$@"
}

push() {	# push PROFILE KEYFILE: prints the push's RequestId
	aws_as "$1" ec2-instance-connect send-ssh-public-key \
	    --instance-id "$instance" --instance-os-user ubuntu \
	    --ssh-public-key "file://$2" | jq -r .RequestId
}

login() {	# login KEY COMMAND: one batch ssh login
	ssh_login ubuntu "$ADDR" "$SSH_PORT" "$1" "$T/known_hosts" "$2" \
	    </dev/null 2>>"$T/ssh.err"
}

helper() {	# what sshd would get for ubuntu
	"$HOST_BIN/wicket-authorized-keys" --state "$T/agent-h" \
	    --socket "$T/agent-h.sock" ubuntu || true
}

# wait_received N: until the agent has taken N revocations (10 s)
wait_received() {
	local i
	for i in $(seq 1 100); do
		[ "$(grep -c event=revocation_received "$T/agent-h.log")" -ge "$1" ] &&
		    return 0
		sleep 0.1
	done
	return 1
}

gone() {	# gone PID: the process ended (10 s)
	local i
	for i in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# open_session NAME KEY CALLER REQUEST: a long-running login in the
# background; sets SSH_PID_<NAME>, SESS_ID_<NAME> and SESS_PID_<NAME>, the
# process pam_wicket reported for it (from the agent's registry, which must name
# the push's request and caller)
open_session() {
	local name=$1 key=$2 caller=$3 req=$4 pid=
	ssh_login ubuntu "$ADDR" "$SSH_PORT" "$key" "$T/known_hosts" \
	    'echo started; exec sleep 300' </dev/null >"$T/sess-$name.out" \
	    2>>"$T/ssh.err" &
	eval "SSH_PID_$name=$!"
	PIDS+=("$!")
	for _ in $(seq 1 100); do
		grep -q started "$T/sess-$name.out" && break
		sleep 0.1
	done
	grep -q started "$T/sess-$name.out" || return 1
	for _ in $(seq 1 100); do
		set -- $(cat "$T/agent-h/sessions/"*.json 2>/dev/null | jq -r \
		    --arg r "$req" --arg c "$caller" \
		    'select(.request_id == $r and .caller_arn == $c) |
		    "\(.pid) \(.session_id)"' | head -1)
		pid=${1:-}
		[ -n "$pid" ] && eval "SESS_ID_$name=$2" && break
		sleep 0.1
	done
	[ -n "$pid" ] || return 1
	eval "SESS_PID_$name=$pid"
}

log "control plane, one host"
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"
sshd_dir="$T/sshd-h"
mkdir -p "$sshd_dir"
ssh-keygen -q -t ed25519 -N '' -f "$sshd_dir/ssh_host_ed25519_key" </dev/null
instance=$(agent_enroll h "$ADDR" "$SSH_PORT" "$sshd_dir/ssh_host_ed25519_key.pub")
agent_start h
agent_connected h 1
cat >"/etc/pam.d/$PAM_SERVICE" <<PAM
# wicket's e2e test (tests/e2e/test_revoke.sh); removed on exit.
auth required pam_deny.so
account required pam_permit.so
session optional $T/bin/pam_wicket.so socket=$T/agent-h.sock noconsume
session required pam_permit.so
PAM
cat >"$sshd_dir/sshd_config" <<CFG
Port $SSH_PORT
ListenAddress $ADDR
HostKey $sshd_dir/ssh_host_ed25519_key
PidFile $sshd_dir/sshd.pid
AuthorizedKeysFile none
AuthorizedKeysCommand $HOST_BIN/wicket-authorized-keys --state $T/agent-h --socket $T/agent-h.sock %u %f
AuthorizedKeysCommandUser wicket-ak
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM yes
ExposeAuthInfo yes
PermitRootLogin no
StrictModes no
LogLevel VERBOSE
CFG
chmod 755 "$sshd_dir"
mkdir -p /run/sshd
"$T/bin/$PAM_SERVICE" -D -e -f "$sshd_dir/sshd_config" >>"$T/sshd-h.log" 2>&1 &
PIDS+=("$!")
wait_tcp "$ADDR" "$SSH_PORT"
known_hosts_for h "$ADDR" "$SSH_PORT" >"$T/known_hosts"
inst_arn="arn:aws:ec2:$REGION:$ACCOUNT:instance/$instance"

make_user() {	# make_user NAME: may push to the instance
	local out
	aws_as admin iam create-user --user-name "$1" >/dev/null
	out=$(aws_as admin iam create-access-key --user-name "$1")
	eval "AKID_$1=$(jq -r .AccessKey.AccessKeyId <<<"$out")"
	add_profile "$1" "$(jq -r .AccessKey.AccessKeyId <<<"$out")" \
	    "$(jq -r .AccessKey.SecretAccessKey <<<"$out")"
	printf '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
	  "Action": "ec2-instance-connect:SendSSHPublicKey",
	  "Resource": "%s"}]}\n' "$inst_arn" >"$T/policy.json"
	aws_as admin iam put-user-policy --user-name "$1" --policy-name p \
	    --policy-document "file://$T/policy.json"
}
make_user alice
make_user carol
make_user bob
alice_arn="arn:aws:iam::$ACCOUNT:user/alice"
carol_arn="arn:aws:iam::$ACCOUNT:user/carol"
for k in k1 k2 k3 k4 k5 k6 k7; do
	ssh-keygen -q -t ed25519 -N '' -f "$T/$k" </dev/null
done
b64() { cut -d' ' -f2 "$T/$1.pub"; }

log "request-id: a pushed key, revoked before use"
r1=$(push alice "$T/k1.pub")
check "alice's push has a RequestId" test -n "$r1"
check "the helper prints k1" contains "$(helper)" "$(b64 k1)"
out=$(wicket_as admin revoke --request-id "$r1" --output json)
check "wicket revoke --request-id answers the revocation" \
    contains "$(jq -c .RequestIds <<<"$out")" "\"$r1\""
check "the agent took it" wait_received 1
check "the helper no longer prints k1" lacks "$(helper)" "$(b64 k1)"
out=$(login "$T/k1" 'echo in-k1') || true
check "login with k1 is refused" lacks "$out" in-k1

log "caller: alice's session ends, carol's survives"
r2=$(push alice "$T/k2.pub")
open_session alice "$T/k2" "$alice_arn" "$r2"
check "alice's long-running session is open, registered by pam_wicket" \
    test -n "${SESS_PID_alice:-}"
check "... its process is sshd's monitor (root), the connection's" \
    test "$(stat -c %u "/proc/$SESS_PID_alice")" = 0
r3=$(push carol "$T/k3.pub")
open_session carol "$T/k3" "$carol_arn" "$r3"
check "carol's long-running session is open" test -n "${SESS_PID_carol:-}"
wicket_as admin revoke --caller "$alice_arn" >"$T/revoke2.out"
check "wicket revoke --caller says which revocation" \
    grep -q '^revocation [0-9]* at [0-9]*' "$T/revoke2.out"
check "alice's sshd session process ends" gone "$SESS_PID_alice"
check "alice's ssh exits" gone "$SSH_PID_alice"
check "carol's session process is still there" kill -0 "$SESS_PID_carol"
check "carol's ssh is still connected" kill -0 "$SSH_PID_carol"
check "the agent logged the session it ended" \
    grep -q "event=session_ended .*pid=$SESS_PID_alice " "$T/agent-h.log"
logout_of() {	# logout_of SESSION: its Logout is in the audit
	wicket_as admin audit --session "$1" --output json 2>/dev/null |
	    jq -e '[.Events[] | select(.EventName == "wicket:Logout")] | length == 1' >/dev/null
}
ended=
for _ in $(seq 1 50); do
	logout_of "$SESS_ID_alice" && ended=1 && break
	sleep 0.2
done
check "the ended session's Logout reaches the audit" test -n "$ended"
out=$(wicket_as admin sessions --output json)
check "wicket sessions lists carol's session, not alice's" \
    bash -c "grep -q '$SESS_ID_carol' <<<'$out' && ! grep -q '$SESS_ID_alice' <<<'$out'"

log "again: a later push by alice works"
sleep 1	# records carry whole seconds: a push in the revoke's second is revoked too
push alice "$T/k4.pub" >/dev/null
out=$(login "$T/k4" 'echo in-k4') || true
check "alice's new key logs in" contains "$out" in-k4

log "key: deactivating alice's access key revokes her pushes"
push alice "$T/k5.pub" >/dev/null
check "the helper prints k5" contains "$(helper)" "$(b64 k5)"
n=$(grep -c event=revocation_received "$T/agent-h.log")
aws_as admin iam update-access-key --user-name alice \
    --access-key-id "$AKID_alice" --status Inactive
check "the agent took the key's revocation" wait_received $((n + 1))
check "the helper no longer prints k5" lacks "$(helper)" "$(b64 k5)"
out=$(login "$T/k5" 'echo in-k5') || true
check "login with k5 is refused" lacks "$out" in-k5

log "denied: bob may not revoke"
push carol "$T/k6.pub" >/dev/null
n=$(grep -c event=revocation_received "$T/agent-h.log")
out=$(wicket_as bob revoke --caller "$carol_arn" 2>&1) && rc=0 || rc=$?
check "bob's revoke fails" test "$rc" -ne 0
check "... with AccessDeniedException" contains "$out" AccessDenied
sleep 0.5	# nothing to wait for: give a wrongly sent revocation time to land
check "no revocation reached the agent" \
    test "$(grep -c event=revocation_received "$T/agent-h.log")" -eq "$n"
check "carol's session survives" kill -0 "$SESS_PID_carol"
out=$(login "$T/k6" 'echo in-k6') || true
check "carol's key still logs in" contains "$out" in-k6
audit=$(wicket_as admin audit --output json)
check "the denied attempt is audited" bash -c "jq -e '.Events[] |
    select(.EventName == \"wicket:RevokeSessions\" and .Decision == \"Deny\")' \
    >/dev/null <<<'$audit'"
check "the revocations are audited with who asked" bash -c "jq -e '[.Events[] |
    select(.EventName == \"wicket:RevokeSessions\" and .Decision == \"Allow\")]
    | length >= 3' >/dev/null <<<'$audit'"
check "the audit shows the caller revocation's selector" bash -c "jq -e '
    [.Events[].Revocations[]? | select(.CallerArn == \"$alice_arn\"
    and .Reason == \"RevokeSessions\")] | length == 1' >/dev/null <<<'$audit'"
check "the audit shows the key's revocation: the IAM action and the pushes it matched" \
    bash -c "jq -e '[.Events[] | select(.AccessKeyId != \"$AKID_alice\") |
    .Revocations[]? | select(.AccessKeyId == \"$AKID_alice\" and
    .Reason == \"UpdateAccessKey\" and (.RequestIds | index(\"$r1\")))]
    | length == 1' >/dev/null <<<'$audit'"

log "away: the agent misses the revoke and catches up on reconnect"
r7=$(push carol "$T/k7.pub")
check "the helper prints k7" contains "$(helper)" "$(b64 k7)"
n=$(grep -c event=revocation_received "$T/agent-h.log")
kill -STOP "$AGENT_PID_h"
wicketd_stop
wicketd_start "$DATA" "$PORT"
wicket_as admin revoke --request-id "$r7" >/dev/null
kill -CONT "$AGENT_PID_h"
check "the agent took the revocation after reconnecting" wait_received $((n + 1))
check "the helper no longer prints k7" lacks "$(helper)" "$(b64 k7)"
out=$(login "$T/k7" 'echo in-k7') || true
check "login with k7 is refused" lacks "$out" in-k7
check "carol's session still survives" kill -0 "$SESS_PID_carol"

log "instance: by host and OS user"
ssh-keygen -q -t ed25519 -N '' -f "$T/k8" </dev/null
push carol "$T/k8.pub" >/dev/null
n=$(grep -c event=revocation_received "$T/agent-h.log")
wicket_as admin revoke --instance "$instance" --os-user root >/dev/null
check "the agent took the revocation for root" wait_received $((n + 1))
check "ubuntu's key is not root's: still printed" contains "$(helper)" "$(b64 k8)"
check "ubuntu's session is not root's: still open" kill -0 "$SESS_PID_carol"
wicket_as admin revoke --instance "$instance" --os-user ubuntu >/dev/null
check "the revocation for ubuntu ends carol's session" gone "$SESS_PID_carol"
check "  ... and withdraws k8" lacks "$(helper)" "$(b64 k8)"

finish
