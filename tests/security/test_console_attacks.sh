#!/usr/bin/env bash
# Attacks on the browser console (issue 13, items 4 and 5), each performed
# against a real wicketd, agents and sshd on 127.0.0.x, each asserted to
# fail:
#   - guessing a password by cycling the case of the name ("Alice", "aLiCe")
#     and signing in as oneself in between to reset the address's counter;
#   - spraying guesses at many users from one address, own sign-ins between;
#   - spreading guesses at one user over many source addresses;
#   - opening terminals (key pushes) faster than the API allows;
#   - keeping a session after DeleteLoginProfile, a password change,
#     DeleteUser, or inheriting it by re-creating a user of the same name;
#     an open terminal of such a session stays open;
#   - one user's sign-ins pushing other users' sessions out;
#   - using the console as a port scanner: a closed port and a wrong host
#     key must look alike to the browser.
# Outcomes are counted (HTTP codes, messages), never timed.
. "$(dirname "$0")/../e2e/lib.sh"

WS_PY="$WK_SOURCE/tests/security/console_ws.py"
REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
BASE="http://127.0.0.1:$PORT"
SSH_PORT=$(free_port)
CLOSED_PORT=$(free_port)	# nothing listens there
PW='Corr3ct-Horse-Battery'
PW2='N3w-Horse-Battery-2'
WRONG='Wr0ng-passw0rd!'
ensure_user ubuntu
ensure_ak_user

log "control plane, users, hosts"
wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
admin_key=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
admin_secret=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
add_profile admin "$admin_key" "$admin_secret"
wicketd_start "$DATA" "$PORT"
cat >"$T/connect.json" <<JSON
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
for u in alice bob mallory carol dave eve pusher; do
	aws_as admin iam create-user --user-name "$u" >/dev/null
	aws_as admin iam create-login-profile --user-name "$u" \
	    --password "$PW" --no-password-reset-required >/dev/null
done
for u in dave pusher; do
	aws_as admin iam put-user-policy --user-name "$u" \
	    --policy-name connect --policy-document "file://$T/connect.json"
done

# host1: a real sshd using wicket; imposter: registered with another host
# key at host1's address; closed: a port where nothing listens. All three
# are enrolled at the enrolling connection's own address, 127.0.0.1.
mkdir -p "$T/sshd-host1" "$T/other-key"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-host1/ssh_host_ed25519_key" </dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/other-key/key" </dev/null
host1=$(agent_enroll host1 127.0.0.1 "$SSH_PORT" "$T/sshd-host1/ssh_host_ed25519_key.pub")
imposter=$(agent_enroll imposter 127.0.0.1 "$SSH_PORT" "$T/other-key/key.pub")
closed=$(agent_enroll closed 127.0.0.1 "$CLOSED_PORT" "$T/sshd-host1/ssh_host_ed25519_key.pub")
agent_start host1
agent_start imposter
agent_start closed
sshd_start host1 127.0.0.1 "$SSH_PORT" "$T/agent-host1" "$T/agent-host1.sock"

# login SRC USER PASSWORD: prints the HTTP status of a console sign-in
# from source address SRC (a fresh pre-session CSRF token each time);
# the session cookie, if any, goes to $T/cookie
login() {
	local src=$1 user=$2 pw=$3 jar="$T/jar.$$" csrf code body
	rm -f "$jar" "$T/cookie"
	csrf=$(curl -sS --interface "$src" -c "$jar" "$BASE/console/api/session" |
	    sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p')
	body=$(printf '{"user":"%s","password":"%s"}' "$user" "$pw")
	code=$(curl -sS --interface "$src" -b "$jar" -D "$T/login.hdr" \
	    -o /dev/null -w '%{http_code}' -H "Origin: $BASE" \
	    -H "X-Wicket-CSRF: $csrf" -H 'Content-Type: application/json' \
	    --data "$body" "$BASE/console/api/login")
	sed -n 's/^Set-Cookie: wk_session=\([0-9a-f]\{64\}\);.*/\1/p' \
	    "$T/login.hdr" | tr -d '\r' >"$T/cookie"
	printf '%s\n' "$code"
}
# instances COOKIE: HTTP status of the instance list with that session
instances() {
	curl -sS -o /dev/null -w '%{http_code}' \
	    -H "Cookie: wk_session=$1" "$BASE/console/api/instances"
}
count() { grep -c -x "$1" "$2" || true; }

log "item 4: case-cycling guesses, own sign-ins in between"
# 127.0.0.2: mallory guesses alice's password as Alice, aLice, ... and
# signs in as herself after each guess (which used to clear the address's
# counter, while each spelling had a counter of its own)
: >"$T/case.out"
for name in alice Alice aLice alIce aliCe alicE ALICE aLICE; do
	login 127.0.0.2 "$name" "$WRONG" >>"$T/case.out"
	login 127.0.0.2 mallory "$PW" >/dev/null
done
n401=$(count 401 "$T/case.out"); n429=$(count 429 "$T/case.out")
echo "case-cycling guesses: 401=$n401 429=$n429"
check "case-cycled guesses hit alice's lock (some throttled)" \
    test "$n429" -ge 1
check "every guess was refused" test "$((n401 + n429))" -eq 8

log "item 4: another user's success does not reset the address counter"
# 127.0.0.3: one guess at each of many users, own sign-in after every two
: >"$T/spray.out"
for i in $(seq 1 20); do
	login 127.0.0.3 "victim$i" "$WRONG" >>"$T/spray.out"
	if [ $((i % 2)) -eq 0 ]; then
		login 127.0.0.3 mallory "$PW" >/dev/null
	fi
done
n429=$(count 429 "$T/spray.out")
echo "sprayed guesses: 401=$(count 401 "$T/spray.out") 429=$n429"
check "sprayed guesses from one address are throttled despite own sign-ins" \
    test "$n429" -ge 1

log "item 4: guesses at one user spread over source addresses"
# bob's password from 127.0.0.10 ... 127.0.0.21, one guess each (spelled
# differently each time, as a botnet would)
: >"$T/spread.out"
i=0
for name in bob Bob bOb boB BOb bOB BoB BOB bob Bob bOb boB; do
	i=$((i + 1))
	login "127.0.0.$((9 + i))" "$name" "$WRONG" >>"$T/spread.out"
done
n429=$(count 429 "$T/spread.out")
echo "spread guesses: 401=$(count 401 "$T/spread.out") 429=$n429"
check "guesses spread over addresses hit the per-user limit" \
    test "$n429" -ge 1
check "at most the free failures plus backoff got through" \
    test "$(count 401 "$T/spread.out")" -lt 12

log "item 5: a session ends with its credentials"
check "dave signs in" test "$(login 127.0.0.30 dave "$PW")" = 200
dave1=$(cat "$T/cookie")
check "dave's session works" test "$(instances "$dave1")" = 200
# an open terminal of that session
rm -f "$T/term.ready"
"$PY" "$WS_PY" one "$PORT" 127.0.0.30 "$dave1" \
    "instance=$host1&user=ubuntu" "$T/term.ready" >"$T/term.out" 2>&1 &
TERM_PID=$!
PIDS+=("$TERM_PID")
for _ in $(seq 1 200); do
	[ -f "$T/term.ready" ] && break
	sleep 0.1
done
check "dave's terminal opened" test -f "$T/term.ready"
aws_as admin iam update-login-profile --user-name dave --password "$PW2"
for _ in $(seq 1 100); do
	kill -0 "$TERM_PID" 2>/dev/null || break
	sleep 0.1
done
check "the open terminal closed after the password change" \
    bash -c "! kill -0 $TERM_PID 2>/dev/null"
check "and said why" grep -q '^2 Your console session has ended' "$T/term.out"
check "the session cookie is refused after UpdateLoginProfile" \
    test "$(instances "$dave1")" = 401

check "carol signs in" test "$(login 127.0.0.31 carol "$PW")" = 200
carol1=$(cat "$T/cookie")
aws_as admin iam delete-login-profile --user-name carol
check "the session cookie is refused after DeleteLoginProfile" \
    test "$(instances "$carol1")" = 401
aws_as admin iam create-login-profile --user-name carol --password "$PW" \
    --no-password-reset-required >/dev/null
check "and stays refused when a login profile is created again" \
    test "$(instances "$carol1")" = 401

check "carol signs in again" test "$(login 127.0.0.31 carol "$PW")" = 200
carol2=$(cat "$T/cookie")
aws_as admin iam delete-login-profile --user-name carol
aws_as admin iam delete-user --user-name carol
aws_as admin iam create-user --user-name carol >/dev/null
aws_as admin iam create-login-profile --user-name carol --password "$PW" \
    --no-password-reset-required >/dev/null
check "a session does not pass to a new user of the same name" \
    test "$(instances "$carol2")" = 401
check "the new carol's console does not show her signed in" \
    bash -c "! curl -sS -H 'Cookie: wk_session=$carol2' \
    '$BASE/console/api/session' | grep -q '\"signedIn\":true'"

log "item 5: one user's sign-ins do not evict others' sessions"
check "eve signs in" test "$(login 127.0.0.40 eve "$PW")" = 200
eve1=$(cat "$T/cookie")
: >"$T/mallory.cookies"
for _ in $(seq 1 20); do
	login 127.0.0.41 mallory "$PW" >/dev/null
	cat "$T/cookie" >>"$T/mallory.cookies"
	printf '\n' >>"$T/mallory.cookies"
done
live=0
while IFS= read -r c; do
	[ -n "$c" ] || continue
	if [ "$(instances "$c")" = 200 ]; then live=$((live + 1)); fi
done <"$T/mallory.cookies"
first=$(head -n 1 "$T/mallory.cookies")
echo "mallory's live sessions after 20 sign-ins: $live"
check "mallory's sessions are capped (her oldest went)" \
    test "$live" -le 16
check "mallory's first session was evicted" \
    test "$(instances "$first")" = 401
check "eve's session survives mallory's sign-ins" \
    test "$(instances "$eve1")" = 200

log "item 5: connection errors look alike (no port scanner)"
check "pusher signs in" test "$(login 127.0.0.42 pusher "$PW")" = 200
pusher1=$(cat "$T/cookie")
"$PY" "$WS_PY" one "$PORT" 127.0.0.42 "$pusher1" \
    "instance=$closed&user=ubuntu" >"$T/closed.out" 2>&1 || true
"$PY" "$WS_PY" one "$PORT" 127.0.0.42 "$pusher1" \
    "instance=$imposter&user=ubuntu" >"$T/imposter.out" 2>&1 || true
norm() {	# the error line, without the instance id and request id
	grep '^2 ' "$1" | sed -e "s/$2/INSTANCE/g" \
	    -e 's/request [0-9a-f-]*/request R/g'
}
e_closed=$(norm "$T/closed.out" "$closed")
e_imposter=$(norm "$T/imposter.out" "$imposter")
echo "closed port: $e_closed"
echo "wrong host key: $e_imposter"
check "a closed port is an error" test -n "$e_closed"
check "a closed port and a wrong host key look the same to the browser" \
    test "$e_closed" = "$e_imposter"
check "neither names the cause" \
    bash -c "! grep -qi 'refused\|mismatch\|timed out' '$T/closed.out' '$T/imposter.out'"
check "wicketd's log has the detail" \
    grep -q "instance=$imposter .*outcome=failed .*host key mismatch" "$T/wicketd.log"

log "item 5: console pushes are throttled like the API's"
"$PY" "$WS_PY" storm "$PORT" 127.0.0.42 "$pusher1" \
    "instance=$closed&user=ubuntu" 150 >"$T/storm.out" 2>&1 || true
cat "$T/storm.out"
throttled=$(sed -n 's/.*throttled=\([0-9]*\).*/\1/p' "$T/storm.out" | head -n 1)
pushed=$(sed -n 's/^pushed=\([0-9]*\).*/\1/p' "$T/storm.out" | head -n 1)
check "150 terminals at once: some pushes throttled" \
    test "${throttled:-0}" -ge 1
check "not all 150 keys were pushed" test "${pushed:-150}" -lt 150
check "throttled console pushes are audited" \
    test "$(sqlite3 "$DATA/wicket.db" "select count(*) from audit where
    via = 'console' and error_code = 'ThrottlingException'")" -ge 1

finish
