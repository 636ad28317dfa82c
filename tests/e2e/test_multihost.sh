#!/usr/bin/env bash
# Trust on the host, across three hosts (issue "Trust on the host"): three
# sshd + agents on 127.0.0.2-4, each with its own instance id and host key.
# A key pushed to one is refused by the others; a record replayed to
# another host, a tampered record, one signed by a throw-away key, an
# expired one and one for another user are each refused; killing an agent
# makes logins fail closed and restarting it restores them; restarting
# wicketd loses no enrolled host.
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
TOOL="$WK_BIN/keyrec_tool"
ensure_user ubuntu
ensure_ak_user

wicketd_init "$DATA" --account-id "$ACCOUNT" --region "$REGION" >/dev/null
add_admin_profile
wicketd_start "$DATA" "$PORT"

declare -A ID SSHP
n=2
for h in h2 h3 h4; do
	addr=127.0.0.$n
	SSHP[$h]=$(free_port)
	mkdir -p "$T/sshd-$h"
	ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-$h/ssh_host_ed25519_key" </dev/null
	ID[$h]=$(agent_enroll "$h" "$addr" "${SSHP[$h]}" "$T/sshd-$h/ssh_host_ed25519_key.pub")
	agent_start "$h"
	sshd_start "$h" "$addr" "${SSHP[$h]}" "$T/agent-$h" "$T/agent-$h.sock"
	known_hosts_for "$h" "$addr" "${SSHP[$h]}" >>"$T/known_hosts"
	n=$((n + 1))
done
check "three distinct instance ids" \
    test "$(printf '%s\n' "${ID[@]}" | sort -u | wc -l)" -eq 3

push() {	# push HOST USER PUBFILE
	aws_as admin ec2-instance-connect send-ssh-public-key \
	    --instance-id "${ID[$1]}" --instance-os-user "$2" \
	    --ssh-public-key "file://$3" >/dev/null
}
login() {	# login HOST KEY -> prints "in" on success
	local addr
	case $1 in h2) addr=127.0.0.2;; h3) addr=127.0.0.3;; h4) addr=127.0.0.4;; esac
	ssh_login ubuntu "$addr" "${SSHP[$1]}" "$2" "$T/known_hosts" 'echo in' 2>/dev/null || true
}
helper() {	# helper HOST SOCKET USER: what wicket-authorized-keys prints
	"$HOST_BIN/wicket-authorized-keys" --state "$T/agent-$1" --socket "$2" "$3" 2>/dev/null || true
}

log "a key pushed to one host works there only"
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null
push h2 ubuntu "$T/k.pub"
check "login to the host it was pushed to" test "$(login h2 "$T/k")" = in
check "refused by the second host" test -z "$(login h3 "$T/k")"
check "refused by the third host" test -z "$(login h4 "$T/k")"

log "records the helper must refuse"
mkdir -p "$T/recs"
check "the agent serves the pushed record" \
    test "$("$TOOL" lookup "$T/agent-h2.sock" ubuntu "$T/recs")" = 1
python3 "$WK_SOURCE/tests/e2e/fake_agent.py" "$T/fake.sock" "$T/recs/rec-0" \
    >>"$T/fake.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 50); do [ -S "$T/fake.sock" ] && break; sleep 0.1; done
out=$(helper h2 "$T/fake.sock" ubuntu)
check "control: the genuine record is accepted on its own host" \
    contains "$out" "$(cut -d' ' -f2 "$T/k.pub")"
check "control: printed line carries expiry-time" contains "$out" 'expiry-time="'
check "a record replayed to another host is refused" \
    test -z "$(helper h3 "$T/fake.sock" ubuntu)"
check "a record for ubuntu is not given to root" \
    test -z "$(helper h2 "$T/fake.sock" root)"

serve_one() {	# serve_one FILE: restart the fake agent with one record
	kill "$FAKE_PID" 2>/dev/null || true
	wait "$FAKE_PID" 2>/dev/null || true
	rm -f "$T/fake1.sock"
	python3 "$WK_SOURCE/tests/e2e/fake_agent.py" "$T/fake1.sock" "$1" \
	    >>"$T/fake.log" 2>&1 &
	FAKE_PID=$!
	PIDS+=("$FAKE_PID")
	for _ in $(seq 1 50); do [ -S "$T/fake1.sock" ] && break; sleep 0.1; done
}
FAKE_PID=
# Tampered: one character of the key changed, the signature kept.
sed 's/^\(ssh-ed25519 AAAA.\{20\}\)./\1Q/' "$T/recs/rec-0" >"$T/tampered"
cmp -s "$T/tampered" "$T/recs/rec-0" && sed -i 's/^\(ssh-ed25519 AAAA.\{20\}\)./\1R/' "$T/tampered"
serve_one "$T/tampered"
check "a tampered record is refused" test -z "$(helper h2 "$T/fake1.sock" ubuntu)"

now=$(date +%s)
"$TOOL" genkey "$T/throwaway.pem"
"$TOOL" sign "$T/throwaway.pem" "${ID[h2]}" ubuntu "$now" $((now + 60)) "$T/k.pub" >"$T/forged"
serve_one "$T/forged"
check "a record signed by a throw-away key is refused" \
    test -z "$(helper h2 "$T/fake1.sock" ubuntu)"

# The control plane's own key, to show each refusal is for its one reason.
"$TOOL" sign "$DATA/signing.key" "${ID[h2]}" ubuntu "$now" $((now + 60)) "$T/k.pub" >"$T/good"
serve_one "$T/good"
check "control: a fresh record signed by wicketd's key is accepted" \
    contains "$(helper h2 "$T/fake1.sock" ubuntu)" "$(cut -d' ' -f2 "$T/k.pub")"
"$TOOL" sign "$DATA/signing.key" "${ID[h2]}" ubuntu $((now - 120)) $((now - 60)) "$T/k.pub" >"$T/expired"
serve_one "$T/expired"
check "an expired record is refused" test -z "$(helper h2 "$T/fake1.sock" ubuntu)"
"$TOOL" sign "$DATA/signing.key" "${ID[h2]}" ubuntu $((now + 600)) $((now + 660)) "$T/k.pub" >"$T/future"
serve_one "$T/future"
check "a record issued in the future is refused" test -z "$(helper h2 "$T/fake1.sock" ubuntu)"
"$TOOL" sign "$DATA/signing.key" "${ID[h2]}" root "$now" $((now + 60)) "$T/k.pub" >"$T/rootrec"
serve_one "$T/rootrec"
check "a record for another user is refused" test -z "$(helper h2 "$T/fake1.sock" ubuntu)"
"$TOOL" sign "$DATA/signing.key" "${ID[h3]}" ubuntu "$now" $((now + 60)) "$T/k.pub" >"$T/otherhost"
serve_one "$T/otherhost"
check "a record for another instance is refused" test -z "$(helper h2 "$T/fake1.sock" ubuntu)"

log "agent down: fail closed; agent back: logins again"
kill "$AGENT_PID_h2"; wait "$AGENT_PID_h2" 2>/dev/null || true
ssh-keygen -q -t ed25519 -N '' -f "$T/k2" </dev/null
push h2 ubuntu "$T/k2.pub" 2>/dev/null || true
check "with the agent down, login fails" test -z "$(login h2 "$T/k2")"
check "with the agent down, the helper prints nothing" \
    test -z "$(helper h2 "$T/agent-h2.sock" ubuntu)"
agent_start h2
ok=
for _ in $(seq 1 50); do
	if push h2 ubuntu "$T/k2.pub" 2>/dev/null && [ "$(login h2 "$T/k2")" = in ]; then
		ok=1; break
	fi
	sleep 0.2
done
check "after the agent restarts, logins work again" test -n "$ok"

log "wicketd restart loses no enrolled host"
wicketd_stop
wicketd_start "$DATA" "$PORT"
out=$(aws_as admin ec2 describe-instances)
for h in h2 h3 h4; do
	check "$h still registered after restart" contains "$out" "${ID[$h]}"
done
for h in h3 h4; do
	ssh-keygen -q -t ed25519 -N '' -f "$T/k-$h" </dev/null
	ok=
	for _ in $(seq 1 100); do
		if push "$h" ubuntu "$T/k-$h.pub" 2>/dev/null; then ok=1; break; fi
		sleep 0.2
	done
	check "$h reconnects and takes a push" test -n "$ok"
	check "$h login works after the restart" test "$(login "$h" "$T/k-$h")" = in
done

finish
