# shellcheck shell=bash
# The IAM tests' common start (sourced after lib.sh): a wicketd of its own
# with profile "admin", the policy documents the tests use, and their
# assertion helpers. The IAM API test is cut into independent scripts
# (test_iam*.sh) that run side by side: each is one long series of real
# `aws` CLI calls. Where a script needs state another script already
# checks through the CLI (a user, a policy with versions...), it makes it
# with iam_setup (curl's own SigV4, one cheap process per call).

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
ARN="arn:aws:iam::$ACCOUNT"

# ok "description" PROFILE ARGS...: the command succeeds; its stdout in $out
ok() {
	local what=$1; shift
	if out=$(aws_as "$@" 2>"$T/last.err"); then
		pass "$what"
	else
		fail "$what"
		sed 's/^/# /' "$T/last.err"
	fi
}
# refused CODE PROFILE ARGS...: the command fails and names IAM's error CODE
refused() {
	local code=$1; shift
	if out=$(aws_as "$@" 2>&1); then
		echo "# unexpectedly succeeded: $out"
		return 1
	fi
	if [[ $out != *"($code)"* ]]; then
		echo "# $out"
		return 1
	fi
}
# is FILTER EXPECTED: jq -r FILTER on $out prints EXPECTED
is() {
	local got
	got=$(jq -r "$1" <<<"$out" 2>&1) || true
	if [ "$got" != "$2" ]; then
		echo "# $1: got '$got', want '$2'"
		return 1
	fi
}
# jqe FILTER: jq -e FILTER on $out holds
jqe() { jq -e "$1" <<<"$out" >/dev/null; }

log "wicketd init"
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
admin_key=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
admin_secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
add_profile admin "$admin_key" "$admin_secret"
wicketd_start "$DATA" "$PORT"

cat >"$T/read.json" <<'JSON'
{"Version": "2012-10-17",
 "Statement": [{"Sid": "Read", "Effect": "Allow",
   "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}]}
JSON
cat >"$T/inline.json" <<'JSON'
{"Version": "2012-10-17",
 "Statement": {"Effect": "Allow", "Action": "iam:GetUser",
   "Resource": "arn:aws:iam::*:user/${aws:username}"}}
JSON

# raw_iam 'Action=...&...': the raw Query API's XML reply on stdout, as
# admin (the CLI hides Marker/IsTruncated and the envelopes)
raw_iam() {
	curl -s --aws-sigv4 "aws:amz:$REGION:iam" \
	    --user "$admin_key:$admin_secret" \
	    -H 'Content-Type: application/x-www-form-urlencoded' \
	    --data "$1&Version=2010-05-08" "$ENDPOINT/"
}
xml() {	# xml XPATH: evaluated on $out
	"$PY" -c 'import sys, xml.etree.ElementTree as E
ns = {"i": "https://iam.amazonaws.com/doc/2010-05-08/"}
r = E.fromstring(sys.stdin.read())
print(",".join((e.text or "") for e in r.findall(sys.argv[1], ns)))' "$1" <<<"$out"
}
xis() {	# xis XPATH EXPECTED
	local got
	got=$(xml "$1" 2>&1) || true
	if [ "$got" != "$2" ]; then
		echo "# $1: got '$got', want '$2'"
		return 1
	fi
}

# iam_setup ACTION [NAME=VALUE...]: one admin call made to build a test's
# starting state (values URL-encoded); the XML reply in $setup_out. Any
# IAM error stops the script: a test must not run on a wrong state.
iam_setup() {
	local action=$1 args=(--data "Action=$1&Version=2010-05-08") kv
	shift
	for kv; do args+=(--data-urlencode "$kv"); done
	setup_out=$(curl -sS --aws-sigv4 "aws:amz:$REGION:iam" \
	    --user "$admin_key:$admin_secret" \
	    -H 'Content-Type: application/x-www-form-urlencoded' \
	    "${args[@]}" "$ENDPOINT/")
	if [[ $setup_out != *"<${action}Response"* ]]; then
		echo "setup: $action failed: $setup_out" >&2
		exit 1
	fi
}
# setup_xml XPATH: evaluated on $setup_out
setup_xml() { out=$setup_out xml "$1"; }

# setup_user_key USER PROFILE: USER gets an access key, usable as PROFILE;
# its id in $setup_key
setup_user_key() {
	iam_setup CreateAccessKey "UserName=$1"
	setup_key=$(setup_xml 'i:CreateAccessKeyResult/i:AccessKey/i:AccessKeyId')
	add_profile "$2" "$setup_key" \
	    "$(setup_xml 'i:CreateAccessKeyResult/i:AccessKey/i:SecretAccessKey')"
}

# setup_iamread: the customer managed policy IamRead (read.json) with the
# version history test_iam_policies.sh builds through the CLI: versions
# v1 v3 v4 v5 v6, v6 the default
setup_iamread() {
	local v
	iam_setup CreatePolicy PolicyName=IamRead "PolicyDocument@$T/read.json" \
	    "Description=read IAM"
	for v in 2 3 4 5; do
		iam_setup CreatePolicyVersion "PolicyArn=$ARN:policy/IamRead" \
		    "PolicyDocument@$T/read.json"
	done
	iam_setup DeletePolicyVersion "PolicyArn=$ARN:policy/IamRead" VersionId=v2
	iam_setup CreatePolicyVersion "PolicyArn=$ARN:policy/IamRead" \
	    "PolicyDocument@$T/read.json" SetAsDefault=true
}
