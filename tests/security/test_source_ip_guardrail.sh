#!/usr/bin/env bash
# Attack: a network guardrail written as a Deny with NotIpAddress on
# aws:SourceIp ("nothing from outside our networks") stops the push from
# outside, but the key pushed from inside used to work at login from
# anywhere for its 60 s: whoever copies the private key (or the whole
# `wicket ssh` session's key file) logs in from another network.
#
# Defence: a Deny NotIpAddress guardrail for the action that did not fire
# binds the record to the caller's address (#From=, OpenSSH from=), as an
# Allow with IpAddress does; sshd itself then refuses the key from any
# other address. The push and the login come from 127.0.0.1 here; the
# attacker logs in from 127.0.0.5.
. "$(dirname "$0")/../e2e/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
ensure_user ubuntu
ensure_ak_user
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"
sshd_start h1 127.0.0.2 "$SSH_PORT" "$T/agent-h1" "$T/agent-h1.sock"
id1=$(agent_enroll h1 127.0.0.2 "$SSH_PORT" "$T/sshd-h1/ssh_host_ed25519_key.pub")
agent_start h1
known_hosts_for h1 127.0.0.2 "$SSH_PORT" >"$T/known_hosts"

# make_user NAME POLICY-JSON: a user with that inline policy and a profile
make_user() {
	local key
	aws_as admin iam create-user --user-name "$1" >/dev/null
	printf '%s' "$2" >"$T/$1.json"
	aws_as admin iam put-user-policy --user-name "$1" --policy-name p \
	    --policy-document "file://$T/$1.json" >/dev/null
	key=$(aws_as admin iam create-access-key --user-name "$1")
	add_profile "$1" "$(jq -r .AccessKey.AccessKeyId <<<"$key")" \
	    "$(jq -r .AccessKey.SecretAccessKey <<<"$key")"
}
push() {	# push USER PUBKEY
	aws_as "$1" ec2-instance-connect send-ssh-public-key \
	    --instance-id "$id1" --instance-os-user ubuntu \
	    --ssh-public-key "file://$2" >/dev/null 2>&1
}
login_from() {	# login_from SOURCE-ADDR KEY WORD: prints what the shell said
	ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$2" \
	    -o UserKnownHostsFile="$T/known_hosts" -o StrictHostKeyChecking=yes \
	    -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=10 -b "$1" \
	    -p "$SSH_PORT" ubuntu@127.0.0.2 "echo $3" 2>>"$T/ssh.err" || true
}

allow='{"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey", "Resource": "*"}'
make_user guarded "{\"Version\": \"2012-10-17\", \"Statement\": [$allow,
  {\"Effect\": \"Deny\", \"Action\": \"*\", \"Resource\": \"*\",
   \"Condition\": {\"NotIpAddress\": {\"aws:SourceIp\": \"127.0.0.1/32\"}}}]}"
make_user outside "{\"Version\": \"2012-10-17\", \"Statement\": [$allow,
  {\"Effect\": \"Deny\", \"Action\": \"*\", \"Resource\": \"*\",
   \"Condition\": {\"NotIpAddress\": {\"aws:SourceIp\": \"10.0.0.0/8\"}}}]}"
make_user free "{\"Version\": \"2012-10-17\", \"Statement\": [$allow]}"

log "the guardrail refuses a push from outside its networks"
ssh-keygen -q -t ed25519 -N '' -f "$T/k0" </dev/null
push outside "$T/k0.pub" && rc=0 || rc=$?
check "a push from 127.0.0.1 under a 10.0.0.0/8 guardrail is refused" \
    test "$rc" -ne 0

log "a key pushed from inside the guardrail's networks"
ssh-keygen -q -t ed25519 -N '' -f "$T/k1" </dev/null
check "guarded pushes from 127.0.0.1" push guarded "$T/k1.pub"
out=$(login_from 127.0.0.5 "$T/k1" stolen-key-login)
check "ATTACK: the key is refused from 127.0.0.5 (outside the guardrail)" \
    bash -c "! grep -q stolen-key-login <<<'$out'"
out=$(login_from 127.0.0.1 "$T/k1" guarded-login)
check "the key logs in from the caller's own address" \
    contains "$out" guarded-login

log "control: without a network bound the key is not address-bound"
ssh-keygen -q -t ed25519 -N '' -f "$T/k2" </dev/null
check "free pushes" push free "$T/k2.pub"
out=$(login_from 127.0.0.5 "$T/k2" unbound-login)
check "an unbound key logs in from 127.0.0.5" contains "$out" unbound-login

finish
