#!/usr/bin/env bash
# Attack (issue 9): instance enumeration through SendSSHPublicKey. A caller
# whose policy names only instance A probes other instance ids and reads
# the answers: before, an id that did not exist answered
# EC2InstanceNotFoundException and one that did answered AuthException,
# so the caller learned the fleet's ids (and, through the agent check, which
# were online). Now the push is authorized on the ARN asked for before the
# registry is read: every id the caller may not push to gets the same 403
# AuthException, whether it exists, is online, or is named with a wrong
# zone. Performed with raw signed requests (status and body as sent) and
# the aws CLI; controls show the setup can tell the cases apart.
. "$(dirname "$0")/../e2e/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
ensure_ak_user
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" </dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null

inst_a=$(agent_enroll a 127.0.0.2 2222 "$T/hostkey.pub")
agent_start a
inst_b=$(agent_enroll b 127.0.0.3 2222 "$T/hostkey.pub")
agent_start b
inst_c=$(agent_enroll c 127.0.0.4 2222 "$T/hostkey.pub")	# agent away
missing=i-0123456789abcdef0
aws_as admin ec2 create-tags --resources "$inst_b" --tags Key=team,Value=blue >/dev/null

aws_as admin iam create-user --user-name mallory >/dev/null
out=$(aws_as admin iam create-access-key --user-name mallory)
m_key=$(jq -r .AccessKey.AccessKeyId <<<"$out")
m_secret=$(jq -r .AccessKey.SecretAccessKey <<<"$out")
add_profile mallory "$m_key" "$m_secret"
cat >"$T/policy.json" <<JSON
{"Version": "2012-10-17", "Statement": [{
	"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey",
	"Resource": "arn:aws:ec2:$REGION:$ACCOUNT:instance/$inst_a"}]}
JSON
aws_as admin iam put-user-policy --user-name mallory --policy-name only-a \
    --policy-document "file://$T/policy.json" >/dev/null

probe() {	# probe INSTANCE [AZ]: mallory's raw push; status, then body
	jq -n --arg i "$1" --arg k "$(cat "$T/k.pub")" --arg z "${2:-}" \
	    '{InstanceId:$i, InstanceOSUser:"ubuntu", SSHPublicKey:$k}
	     + (if $z == "" then {} else {AvailabilityZone:$z} end)' >"$T/probe.json"
	AWS_ACCESS_KEY_ID="$m_key" AWS_SECRET_ACCESS_KEY="$m_secret" \
	    "$WK_BIN/signed_post" "$ENDPOINT" ec2-instance-connect \
	    AWSEC2InstanceConnectService.SendSSHPublicKey "$T/probe.json"
}
# what mallory learns: status, code and message with the probed id masked
seen() { sed "s/$2/ID/g" <<<"$1" | jq -cR 'select(length > 0)' | paste -sd' '; }

log "controls"
for _ in $(seq 1 50); do
	[ "$(probe "$inst_a" | head -1)" = 200 ] && break
	sleep 0.2
done
check "control: mallory may push to A" test "$(probe "$inst_a" | head -1)" = 200
out=$(aws_as admin ec2-instance-connect send-ssh-public-key --instance-id "$missing" \
    --instance-os-user ubuntu --ssh-public-key "file://$T/k.pub" 2>&1) || true
check "control: a caller allowed everywhere is told the id does not exist" \
    contains "$out" EC2InstanceNotFoundException
out=$(aws_as admin ec2-instance-connect send-ssh-public-key --instance-id "$inst_c" \
    --instance-os-user ubuntu --ssh-public-key "file://$T/k.pub" 2>&1) || true
check "control: ... and that C's agent is away" \
    contains "$out" EC2InstanceUnavailableException

log "attack: probe B (exists, online), C (exists, agent away), a missing id"
ref=$(probe "$missing")
check "missing id: 403" test "$(head -1 <<<"$ref")" = 403
check "missing id: AuthException" \
    test "$(tail -n +2 <<<"$ref" | jq -r .__type)" = AuthException
for target in "$inst_b" "$inst_c"; do
	out=$(probe "$target")
	check "$target: the same answer as for a missing id" \
	    test "$(seen "$out" "$target")" = "$(seen "$ref" "$missing")"
done
out=$(probe "$inst_b" us-east-1b)
ref_z=$(probe "$missing" us-east-1b)
check "a wrong zone reveals nothing either (B vs missing)" \
    test "$(seen "$out" "$inst_b")" = "$(seen "$ref_z" "$missing")"
check "a wrong zone on a refused id: still AuthException" \
    test "$(tail -n +2 <<<"$out" | jq -r .__type)" = AuthException
for target in "$inst_b" "$inst_c" "$missing"; do
	out=$(aws_as mallory ec2-instance-connect send-ssh-public-key --instance-id "$target" \
	    --instance-os-user ubuntu --ssh-public-key "file://$T/k.pub" 2>&1) || true
	check "aws CLI, $target: AuthException" contains "$out" "(AuthException)"
done
ak=$("$HOST_BIN/wicket-authorized-keys" --state "$T/agent-b" --socket "$T/agent-b.sock" ubuntu || true)
check "no key reached B" test -z "$ak"

log "attack: a tag-conditioned policy (team=blue) and ids without that tag"
cat >"$T/policy2.json" <<JSON
{"Version": "2012-10-17", "Statement": [{
	"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey",
	"Resource": "*", "Condition": {"StringEquals": {"ec2:ResourceTag/team": "blue"}}}]}
JSON
aws_as admin iam put-user-policy --user-name mallory --policy-name only-a \
    --policy-document "file://$T/policy2.json" >/dev/null
check "control: the tagged instance B is allowed" test "$(probe "$inst_b" | head -1)" = 200
ref=$(probe "$missing")
out=$(probe "$inst_a")
check "untagged A and a missing id: the same 403 AuthException" \
    test "$(seen "$out" "$inst_a")" = "$(seen "$ref" "$missing")"
check "... which is AuthException" \
    test "$(tail -n +2 <<<"$ref" | jq -r .__type)" = AuthException

finish
