#!/usr/bin/env bash
# Single-use keys and from= binding (issue 4), end to end: an sshd with
# UsePAM and ExposeAuthInfo runs pam_wicket.so in its session stack, so the
# first login with a single-use key consumes it (a second login with the
# same key is refused while the first session stays open); multi-use keys
# log in twice; `wicket ssh --single-use` asks for one per push and a
# policy can require it (Bool wicket:SingleUse); `wicketd serve
# --single-use` makes every key single-use; only root may CONSUME; a
# policy bound to aws:SourceIp puts from="<caller address>" on the key.
#
# sshd's PAM service is its program name: it runs through the symlink
# $T/bin/wicket-e2e-sshd-XXXXXX with our own /etc/pam.d/wicket-e2e-sshd-XXXXXX
# (removed on exit); the machine's /etc/pam.d/sshd is never touched.
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
# One service per run (the suffix of $T): runs from several checkouts at
# once do not share a PAM file.
PAM_SERVICE=wicket-e2e-sshd-$(tr A-Z a-z <<<"${T##*.}")	# libpam lowercases it
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
# The module is loaded by sshd (root): keep it where nothing but root
# writes.
cp "$PAM_MODULE" "$T/bin/pam_wicket.so"
chmod 644 "$T/bin/pam_wicket.so"
ln -s "$SSHD" "$T/bin/$PAM_SERVICE"

# wicketd_serve [args]: wicketd in the background with extra options
wicketd_serve() {
	"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" "$@" \
	    >>"$T/wicketd.log" 2>&1 &
	WICKETD_PID=$!
	PIDS+=("$WICKETD_PID")
	wait_tcp 127.0.0.1 "$PORT"
}

# pam_sshd_start NAME ADDR PORT STATE SOCK: sshd with PAM and pam_wicket
pam_sshd_start() {
	local name=$1 addr=$2 port=$3 state=$4 sock=$5 d="$T/sshd-$1"
	mkdir -p "$d" /run/sshd
	chmod 755 "$d"
	cat >"/etc/pam.d/$PAM_SERVICE" <<PAM
# wicket's e2e test (tests/e2e/test_single_use.sh); removed on exit.
auth required pam_deny.so
account required pam_permit.so
session requisite $T/bin/pam_wicket.so socket=$sock debug
session required pam_permit.so
PAM
	cat >"$d/sshd_config" <<CFG
Port $port
ListenAddress $addr
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
AuthorizedKeysFile none
AuthorizedKeysCommand $HOST_BIN/wicket-authorized-keys --state $state --socket $sock %u %f
AuthorizedKeysCommandUser wicket-ak
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UsePAM yes
ExposeAuthInfo yes
PermitRootLogin no
LogLevel VERBOSE
CFG
	"$T/bin/$PAM_SERVICE" -D -e -f "$d/sshd_config" >>"$T/sshd-$name.log" 2>&1 &
	PIDS+=("$!")
	wait_tcp "$addr" "$port"
}

# records USER DIR: the agent's records for USER into DIR; prints the count
records() {
	rm -rf "$2"; mkdir -p "$2"
	"$WK_BIN/keyrec_tool" lookup "$T/agent-host1.sock" "$1" "$2"
}

# wait_consumed B64: until the agent serves no record of ubuntu's with
# the key whose base64 is B64 (up to 5 s)
wait_consumed() {
	local i
	for i in $(seq 1 50); do
		records ubuntu "$T/wait" >/dev/null || return 1
		grep -qF -- "$1" "$T/wait"/rec-* 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

b64() { cut -d' ' -f2 "$1"; }	# b64 KEY.pub

push() {	# push PROFILE KEYFILE: aws ec2-instance-connect as PROFILE
	aws_as "$1" ec2-instance-connect send-ssh-public-key \
	    --instance-id "$instance" --instance-os-user ubuntu \
	    --ssh-public-key "file://$2" >"$T/push.out" 2>&1 ||
	    { cat "$T/push.out"; return 1; }
}

helper() {	# what sshd would get for ubuntu
	"$HOST_BIN/wicket-authorized-keys" --state "$T/agent-host1" \
	    --socket "$T/agent-host1.sock" ubuntu || true
}

wicket_as() {	# wicket_as PROFILE ARGS...
	local profile=$1; shift
	TMPDIR="$T/tmp" AWS_SHARED_CREDENTIALS_FILE="$T/credentials" \
	    AWS_CONFIG_FILE="$T/config" AWS_PROFILE="$profile" \
	    AWS_ENDPOINT_URL="$ENDPOINT" "$WK_BIN/wicket" "$@"
}

log "control plane, one host with a PAM sshd"
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
admin_key=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
admin_secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
add_profile admin "$admin_key" "$admin_secret"
wicketd_serve
sshd_dir="$T/sshd-host1"
mkdir -p "$sshd_dir" "$T/tmp"
chmod 700 "$T/tmp"
ssh-keygen -q -t ed25519 -N '' -f "$sshd_dir/ssh_host_ed25519_key" </dev/null
instance=$(agent_enroll host1 127.0.0.2 "$SSH_PORT" "$sshd_dir/ssh_host_ed25519_key.pub")
# What install-sshd --single-use leaves: this host consumes single-use keys
# (our sshd below is set up by hand).
printf 'wicket-single-use 1\n' >"$T/agent-host1/single-use"
agent_start host1
pam_sshd_start host1 127.0.0.2 "$SSH_PORT" "$T/agent-host1" "$T/agent-host1.sock"
known_hosts_for host1 127.0.0.2 "$SSH_PORT" >"$T/known_hosts"
inst_arn="arn:aws:ec2:$REGION:$ACCOUNT:instance/$instance"

# alice: plain Allow. bob: Allow only from 127.0.0.0/8 (aws:SourceIp).
# carol: Allow, but Deny unless the key is single-use.
make_user() {	# make_user NAME POLICY-JSON
	local out
	aws_as admin iam create-user --user-name "$1" >/dev/null
	out=$(aws_as admin iam create-access-key --user-name "$1")
	add_profile "$1" "$(jq -r .AccessKey.AccessKeyId <<<"$out")" \
	    "$(jq -r .AccessKey.SecretAccessKey <<<"$out")"
	printf '%s\n' "$2" >"$T/policy-$1.json"
	aws_as admin iam put-user-policy --user-name "$1" --policy-name p \
	    --policy-document "file://$T/policy-$1.json"
}
describe='{"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}'
make_user alice "{\"Version\": \"2012-10-17\", \"Statement\": [$describe,
  {\"Effect\": \"Allow\", \"Action\": \"ec2-instance-connect:SendSSHPublicKey\",
   \"Resource\": \"$inst_arn\"}]}"
make_user bob "{\"Version\": \"2012-10-17\", \"Statement\": [
  {\"Effect\": \"Allow\", \"Action\": \"ec2-instance-connect:SendSSHPublicKey\",
   \"Resource\": \"$inst_arn\",
   \"Condition\": {\"IpAddress\": {\"aws:SourceIp\": \"127.0.0.0/8\"}}}]}"
make_user carol "{\"Version\": \"2012-10-17\", \"Statement\": [$describe,
  {\"Effect\": \"Allow\", \"Action\": \"ec2-instance-connect:SendSSHPublicKey\",
   \"Resource\": \"$inst_arn\"},
  {\"Effect\": \"Deny\", \"Action\": \"ec2-instance-connect:SendSSHPublicKey\",
   \"Resource\": \"*\",
   \"Condition\": {\"Bool\": {\"wicket:SingleUse\": \"false\"}}}]}"

log "a multi-use key logs in twice"
ssh-keygen -q -t ed25519 -N '' -f "$T/k1" </dev/null
check "alice pushes k1" push alice "$T/k1.pub"
out=$(helper)
check "the helper prints k1" contains "$out" "$(b64 "$T/k1.pub")"
check "an unbound policy: no from=" bash -c "! grep -q 'from=' <<<'$out'"
out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k1" "$T/known_hosts" 'echo first-multi' 2>"$T/ssh-m1.err") || true
check "multi-use: first login" contains "$out" first-multi
out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k1" "$T/known_hosts" 'echo second-multi' 2>"$T/ssh-m2.err") || true
check "multi-use: second login" contains "$out" second-multi

log "from= when the policy bound aws:SourceIp"
ssh-keygen -q -t ed25519 -N '' -f "$T/k2" </dev/null
check "bob pushes k2 (from 127.0.0.1)" push bob "$T/k2.pub"
records ubuntu "$T/recs-bob" >/dev/null
check "bob's record: #From=127.0.0.1" \
    grep -qx '#From=127.0.0.1' $(grep -l 'user/bob$' "$T/recs-bob"/rec-*)
out=$(helper)
check "the helper's line carries from=\"127.0.0.1\"" \
    bash -c "grep -F '$(cut -d' ' -f2 "$T/k2.pub")' <<<'$out' | grep -q 'from=\"127.0.0.1\"'"
out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k2" "$T/known_hosts" 'echo from-ok' 2>"$T/ssh-f1.err") || true
check "k2 logs in from 127.0.0.1" contains "$out" from-ok
out=$(ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$T/k2" \
    -o UserKnownHostsFile="$T/known_hosts" -o StrictHostKeyChecking=yes \
    -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=10 -b 127.0.0.5 \
    -p "$SSH_PORT" ubuntu@127.0.0.2 'echo from-bad' 2>&1) && rc=0 || rc=$?
check "k2 is refused from 127.0.0.5 (sshd enforces from=)" \
    bash -c "[ $rc -ne 0 ] && ! grep -q from-bad <<<'$out'"

log "a policy that requires single-use keys"
ssh-keygen -q -t ed25519 -N '' -f "$T/k3" </dev/null
out=$(push carol "$T/k3.pub" 2>&1) && rc=0 || rc=$?
check "carol without SingleUse: AuthException" \
    bash -c "[ $rc -ne 0 ] && grep -q AuthException <<<'$out'"
# wicket ssh --single-use, with an ssh wrapper that first saves what the
# agent holds (the record pushed for this very login).
cat >"$T/bin/ssh-spy" <<SPY
#!/bin/sh
"$WK_BIN/keyrec_tool" lookup "$T/agent-host1.sock" ubuntu "$T/spy" >/dev/null
exec ssh "\$@"
SPY
chmod 755 "$T/bin/ssh-spy"
mkdir -p "$T/spy"
out=$(wicket_as carol ssh --single-use --ssh "$T/bin/ssh-spy" \
    -o BatchMode=yes "ubuntu@$instance" 'echo wicket-once-ok' 2>"$T/wssh.err") || true
check "wicket ssh --single-use logs in under carol's policy" contains "$out" wicket-once-ok
carol_rec=$(grep -l 'user/carol$' "$T/spy"/rec-* 2>/dev/null | head -1)
check "the pushed record is single-use (#Once=1)" grep -qx '#Once=1' "$carol_rec"
carol_key=$(awk '/^ssh-ed25519 /{print $2}' "$carol_rec")
check "after the login the agent no longer serves it" wait_consumed "$carol_key"
check "multi-use records are untouched" contains "$(helper)" "$(b64 "$T/k1.pub")"

log "CONSUME is root's"
fp=$(ssh-keygen -lf "$T/k1.pub" | cut -d' ' -f2)
out=$(runuser -u wicket-ak -- "$WK_BIN/keyrec_tool" consume "$T/agent-host1.sock" ubuntu "$fp" 2>&1) && rc=0 || rc=$?
check "CONSUME as wicket-ak: ERR denied" bash -c "[ $rc -ne 0 ] && grep -qx 'ERR denied' <<<'$out'"
out=$("$WK_BIN/keyrec_tool" consume "$T/agent-host1.sock" ubuntu "$fp")
check "CONSUME as root: OK" test "$out" = OK
check "a multi-use key survives CONSUME" contains "$(helper)" "$(b64 "$T/k1.pub")"

log "wicketd serve --single-use"
wicketd_stop
wicketd_serve --single-use
# The agent's held poll ended with the old wicketd; give it a moment to
# reconnect before pushing.
ssh-keygen -q -t ed25519 -N '' -f "$T/k4" </dev/null
for i in $(seq 1 100); do
	push alice "$T/k4.pub" >/dev/null 2>&1 && break
	sleep 0.2
done
check "alice pushes k4" push alice "$T/k4.pub"
records ubuntu "$T/recs-k4" >/dev/null
check "k4's record is single-use (no SingleUse asked)" \
    grep -qx '#Once=1' $(grep -lF "$(b64 "$T/k4.pub")" "$T/recs-k4"/rec-*)
ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k4" "$T/known_hosts" \
    'echo first-in; sleep 6; echo still-open' >"$T/first.out" 2>"$T/first.err" &
first=$!
for i in $(seq 1 100); do
	grep -q first-in "$T/first.out" 2>/dev/null && break
	sleep 0.1
done
check "first login with the single-use key" grep -q first-in "$T/first.out"
check "the key is consumed once the session opened" wait_consumed "$(b64 "$T/k4.pub")"
out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k4" "$T/known_hosts" 'echo second-in' 2>&1) && rc=0 || rc=$?
check "a second login with it is refused" \
    bash -c "[ $rc -ne 0 ] && ! grep -q second-in <<<'$out'"
check "... while the first session is still open" kill -0 "$first"
wait "$first" || true
check "the first session ran to the end" grep -q still-open "$T/first.out"
check "carol may push without asking now (the server forces single-use)" \
    push carol "$T/k3.pub"
check "the agent logged pam_wicket's consumes" \
    test "$(grep -c 'event=consume .*records=[1-9]' "$T/agent-host1.log")" -ge 2

log "a connection without a command or shell (ssh -N) consumes it too"
ssh-keygen -q -t ed25519 -N '' -f "$T/k6" </dev/null
check "alice pushes k6" push alice "$T/k6.pub"
ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k6" "$T/known_hosts" -N \
    >/dev/null 2>"$T/ssh-k6.err" &
fwd=$!
check "k6 is consumed by the ssh -N login" wait_consumed "$(b64 "$T/k6.pub")"
kill "$fwd" 2>/dev/null || true
wait "$fwd" 2>/dev/null || true

log "the agent unreachable from PAM: no session (fail closed)"
sed -i "s|socket=$T/agent-host1.sock|socket=$T/nowhere.sock|" "/etc/pam.d/$PAM_SERVICE"
ssh-keygen -q -t ed25519 -N '' -f "$T/k5" </dev/null
check "alice pushes k5" push alice "$T/k5.pub"
out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k5" "$T/known_hosts" 'echo in-anyway' 2>"$T/ssh-k5.err") || true
check "pam_wicket could not consume k5: no command runs" \
    bash -c "! grep -q in-anyway <<<'$out'"
sed -i "s|socket=$T/nowhere.sock|socket=$T/agent-host1.sock|" "/etc/pam.d/$PAM_SERVICE"

log "the host stops consuming: single-use pushes are refused"
rm -f "$T/agent-host1/single-use"
ssh-keygen -q -t ed25519 -N '' -f "$T/k7" </dev/null
for i in $(seq 1 50); do
	out=$(push alice "$T/k7.pub" 2>&1) && rc=0 || rc=$?
	[ "$rc" -ne 0 ] && break
	sleep 0.2
done
check "serve --single-use to a host without pam_wicket: EC2InstanceStateInvalidException" \
    bash -c "[ $rc -ne 0 ] && grep -q EC2InstanceStateInvalidException <<<'$out'"
wicket_as admin audit >"$T/audit.out" 2>&1 || true
check "... and the refusal is audited" grep -q EC2InstanceStateInvalidException "$T/audit.out"

finish
