#!/usr/bin/env bash
# Revocation attacked (issue 12 item 3, docs/revocation.md):
#   forged    a server that is not wicketd (wicketd's address taken over,
#             its own certificate) answers the agent's poll with
#             revocations for everything it can name: the agent refuses
#             the server (pin) and keeps the record (control: the same
#             revocation from the real wicketd drops it)
#   pidreuse  registry entries whose pid now belongs to another process
#             (pid_start differs) are never signalled, while the entry
#             whose process is the registered one is ended (control), and
#             an entry for another caller is left alone
# Malformed revocations on the genuine channel are refused by the agent's
# parser: tests/unit/agent/test_revoke.c.
. "$(dirname "$0")/../e2e/lib.sh"
. "$WK_SOURCE/tests/tools/certs.sh"

REGION=us-east-1
ACCOUNT=123456789012
DATA="$T/data"
PORT=$(free_port)
ENDPOINT="https://127.0.0.1:$PORT"
CA="$DATA/tls/ca.pem"
ADDR=127.0.0.7
SSH_PORT=$(free_port)
ensure_user ubuntu
ensure_ak_user
export AWS_CA_BUNDLE="$CA"

wicket_as() {	# wicket_as PROFILE ARGS...
	local profile=$1; shift
	AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
	    AWS_PROFILE="$profile" AWS_ENDPOINT_URL="$ENDPOINT" "$WK_BIN/wicket" "$@"
}

helper() {
	"$HOST_BIN/wicket-authorized-keys" --state "$T/agent-h" \
	    --socket "$T/agent-h.sock" ubuntu || true
}

# helper_prints KEY: the helper prints KEY within a few tries (its budget is
# 500 ms; a sanitized agent on a loaded machine can miss it once)
helper_prints() {
	local i
	for i in 1 2 3 4 5; do
		contains "$(helper)" "$1" && return 0
		sleep 0.5
	done
	return 1
}

wait_log() {	# wait_log PATTERN COUNT: the agent's log (10 s)
	local i
	for i in $(seq 1 100); do
		[ "$(grep -c -- "$1" "$T/agent-h.log")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

wicketd_init "$DATA" --tls --listen "127.0.0.1:$PORT" \
    --account-id "$ACCOUNT" --region "$REGION" >/dev/null 2>&1
add_admin_profile
wicketd_start "$DATA" "$PORT"
mkdir -p "$T/sshd-h"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd-h/ssh_host_ed25519_key" </dev/null
instance=$(agent_enroll h "$ADDR" "$SSH_PORT" "$T/sshd-h/ssh_host_ed25519_key.pub")
check "the agent is enrolled with a pin" \
    grep -q tls_pin "$T/agent-h/state.json"
agent_start h
agent_connected h 1

log "forged: revocations from a server that is not wicketd"
ssh-keygen -q -t ed25519 -N '' -f "$T/k1" </dev/null
r1=$(aws_as admin ec2-instance-connect send-ssh-public-key \
    --instance-id "$instance" --instance-os-user ubuntu \
    --ssh-public-key "file://$T/k1.pub" | jq -r .RequestId)
k1=$(cut -d' ' -f2 "$T/k1.pub")
check "the helper prints k1" helper_prints "$k1"
mkdir -p "$T/certs"
mk_self "$T/certs" evil 127.0.0.1
now=$(date +%s)
jq -cn --arg r "$r1" --argjson now "$now" --arg inst "$instance" \
    --arg caller "arn:aws:iam::$ACCOUNT:user/admin" \
    '{epoch: "evil", cursor: 1, records: [], revocation_cursor: 99,
      revocations: [
        {id: 97, at: ($now + 60), keep_until: ($now + 3600), request_ids: [$r]},
        {id: 98, at: ($now + 60), keep_until: ($now + 3600), instance: $inst},
        {id: 99, at: ($now + 60), keep_until: ($now + 3600), caller: $caller}]}' \
    >"$T/evil-reply.json"
n_refused=$(grep -c event=server_refused "$T/agent-h.log" || true)
wicketd_stop
"$PY" - "$PORT" "$T/certs/evil.pem" "$T/certs/evil.key" "$T/evil-reply.json" \
    "$T/evil.log" >>"$T/evil.out" 2>&1 <<'PY' &
import http.server, ssl, sys
port, cert, key, reply, logf = sys.argv[1:6]
body = open(reply, "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        open(logf, "a").write("request " + self.path + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_POST = do_GET
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", int(port)), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
EVIL_PID=$!
PIDS+=("$EVIL_PID")
wait_tcp 127.0.0.1 "$PORT"
check "the agent refuses the impostor (pin)" \
    wait_log event=server_refused $((n_refused + 1))
check "  ... saying pin mismatch" grep -q 'event=server_refused.*pin mismatch' \
    "$T/agent-h.log"
check "no request reached the impostor" test ! -s "$T/evil.log"
check "the agent applied no revocation" \
    bash -c "! grep -q event=revocation_received '$T/agent-h.log'"
check "the helper still prints k1" helper_prints "$k1"
kill "$EVIL_PID"
wait "$EVIL_PID" 2>/dev/null || true
wicketd_start "$DATA" "$PORT"
# the agent's backoff after the refusals may reach 30 s: restart it (its
# records are in memory only: push again for the control)
kill "$AGENT_PID_h"
wait "$AGENT_PID_h" 2>/dev/null || true
agent_start h
agent_connected h 2
r1=$(aws_as admin ec2-instance-connect send-ssh-public-key \
    --instance-id "$instance" --instance-os-user ubuntu \
    --ssh-public-key "file://$T/k1.pub" | jq -r .RequestId)
check "control: pushed again, the helper prints k1" helper_prints "$k1"
wicket_as admin revoke --request-id "$r1" >/dev/null
check "control: the real wicketd's revocation is taken" \
    wait_log event=revocation_received 1
check "control: the helper no longer prints k1" lacks "$(helper)" "$k1"

log "pidreuse: a registry entry whose pid is another process now"
mkdir -p "$T/agent-h/sessions" && chmod 700 "$T/agent-h/sessions"
register() {	# register NAME PID PID_START CALLER
	jq -n --arg sid "s-$(printf '%016x' "$2")" --argjson pid "$2" \
	    --arg start "$3" --arg caller "$4" --arg inst "$instance" \
	    --argjson now "$(date +%s)" \
	    '{session_id: $sid, pid: $pid, pid_start: $start, os_user: "ubuntu",
	      fingerprint: "", request_id: "", caller_arn: $caller,
	      instance_id: $inst, tty: "", source: "", opened_at: $now}' \
	    >"$T/agent-h/sessions/s-$(printf '%016x' "$2").json"
}
start_of() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }
victim="arn:aws:iam::$ACCOUNT:user/mallory"
sleep 300 & reused=$!; PIDS+=("$reused")
sleep 300 & genuine=$!; PIDS+=("$genuine")
sleep 300 & other=$!; PIDS+=("$other")
register reused "$reused" "$(( $(start_of "$reused") + 1 ))" "$victim"
register genuine "$genuine" "$(start_of "$genuine")" "$victim"
register other "$other" "$(start_of "$other")" "arn:aws:iam::$ACCOUNT:user/zed"
sleep 1	# the sessions opened before the revoke (whole seconds)
wicket_as admin revoke --caller "$victim" >/dev/null
check "the agent took the revocation" wait_log event=revocation_received 2
gone() {
	for _ in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}
check "control: the registered process is ended" gone "$genuine"
sleep 2.5	# past the grace: no SIGKILL either
check "the reused pid is not signalled" kill -0 "$reused"
# Either the revocation finds the entry and refuses to signal it, or the
# agent's session reaper (sessions.c) has already dropped the entry, since
# the process it named is gone (same pid, another start time).
check "  ... and the agent says why" grep -Eq \
    "event=session_not_signalled .*pid=$reused .*pid_start mismatch|event=session_close .*pid=$reused reason=process_gone" \
    "$T/agent-h.log"
check "another caller's session is left alone" kill -0 "$other"

finish
