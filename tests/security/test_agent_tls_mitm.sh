#!/usr/bin/env bash
# Issue 10: a man in the middle on the agent's HTTPS channel. wicketd serves
# TLS with the CA `wicketd init --tls` made; the attacker runs
# tests/tools/tls_terminating_relay.py (terminates TLS with its own certificate and
# forwards to the real wicketd, as a proxy would) or holds a wrong token.
# Every attack must fail with the reason said, and nothing is sent:
#   wrongpin   the token's pin is not wicketd's (the token stays unspent)
#   selfsigned a relay presenting its own self-signed certificate
#   withca     ... with the real CA certificate appended (it is public)
#   foreign    a leaf from a foreign CA (pinned agent; --ca-file agent)
#   expired    a leaf from the real CA (its key stolen) that has expired
#   name       a leaf from the real CA for another address
#   http       plain http to a non-loopback address without --insecure-http
#   after      agents enrolled through a genuine TLS front (pin; CA file);
#              then the front presents an attacker's certificate: the
#              agents refuse it, say why, and a pushed key never reaches
#              sshd (control: the same push and login work before)
. "$(dirname "$0")/../e2e/lib.sh"
. "$WK_SOURCE/tests/tools/certs.sh"

DATA="$T/data"
PORT=$(free_port)
ENDPOINT="https://127.0.0.1:$PORT"
CA="$DATA/tls/ca.pem"
C="$T/certs"
RELAY="$WK_SOURCE/tests/tools/tls_terminating_relay.py"
ADDR=127.0.0.4
SSH_PORT=$(free_port)
ensure_user ubuntu
ensure_ak_user
mkdir -p "$C"

wicketd_init "$DATA" --tls --listen "127.0.0.1:$PORT" >/dev/null 2>&1
add_admin_profile
wicketd_start "$DATA" "$PORT"
ca_pin=$(spki_pin "$CA")

sshd_dir="$T/sshd-h"
mkdir -p "$sshd_dir"
ssh-keygen -q -t ed25519 -N '' -f "$sshd_dir/ssh_host_ed25519_key" </dev/null
hostkey="$sshd_dir/ssh_host_ed25519_key.pub"

# The attacker's certificates.
mk_self "$C" self 127.0.0.1
cat "$C/self.pem" "$CA" >"$C/self+ca.pem"
mk_ca "$C" evilca
mk_leaf "$C" evil "$C/evilca" 127.0.0.1
cat "$C/evil.pem" "$CA" >"$C/evil+ca.pem"
mk_leaf "$C" expired "$DATA/tls/ca" 127.0.0.1 -1
mk_leaf "$C" othername "$DATA/tls/ca" 127.0.0.9

relay_start() {	# relay_start NAME CHAIN KEY [PORT]: sets RELAY_PORT, RELAY_PID
	RELAY_PORT=${4:-$(free_port)}
	"$PY" "$RELAY" 127.0.0.1 "$RELAY_PORT" "$2" "$3" 127.0.0.1 "$PORT" \
	    --backend-tls --log "$T/relay-$1.log" >>"$T/relay.out" 2>&1 &
	RELAY_PID=$!
	PIDS+=("$RELAY_PID")
	wait_tcp 127.0.0.1 "$RELAY_PORT"
}

token() {
	"$WK_BIN/wicketd" token create --data "$DATA" --address-allow "$ADDR" "$@" 2>/dev/null
}

enroll() {	# enroll NAME URL TOKEN ARGS...: stderr in $T/enroll-NAME.err
	local name=$1 url=$2 tok=$3; shift 3
	"$HOST_BIN/wicket-agent" enroll --server "$url" --token "$tok" \
	    --state "$T/agent-$name" --address "$ADDR" --ssh-port "$SSH_PORT" \
	    --host-key "$hostkey" "$@" >/dev/null 2>"$T/enroll-$name.err"
}

refused() {	# refused NAME REASON: enroll failed, said REASON, wrote nothing
	local name=$1 why=$2
	grep -q "refused the server .*$why" "$T/enroll-$name.err" &&
	    grep -q "nothing was sent" "$T/enroll-$name.err" &&
	    [ ! -e "$T/agent-$name/state.json" ]
}

log "wrongpin: a token whose pin is not wicketd's"
good=$(token)
secret=${good%%.*}
wrong="$secret.$(printf '%064d' 0 | tr 0 e)"
enroll wrongpin "$ENDPOINT" "$wrong" && rc=0 || rc=$?
check "enroll with the wrong pin fails" test "$rc" != 0
check "  ... saying pin mismatch, nothing sent" refused wrongpin "pin mismatch: no certificate in the server's chain has the pinned public key sha256:eeee"
enroll contra "$ENDPOINT" "$good" --ca-cert-hash "sha256:$(printf '%064d' 0)" && rc=0 || rc=$?
check "--ca-cert-hash contradicting the token's pin is refused" test "$rc" != 0
check "  ... saying so" grep -q "differs from the pin in the join token" "$T/enroll-contra.err"
# An agent older than pins would send the whole pinned token: refused,
# never enrolled without the pin checked.
body=$(jq -cn --arg t "$good" --arg k "$(cut -d' ' -f1,2 "$hostkey")" \
    '{token: $t, hostname: "old", address: "", ssh_port: 22, host_keys: [$k]}')
out=$(curl -sS --cacert "$CA" -H 'Content-Type: application/json' \
    --data "$body" "$ENDPOINT/agent/v1/enroll" 2>&1) || true
check "the whole pinned token sent as the secret (an old agent) is refused" \
    contains "$out" InvalidToken
enroll stillvalid "$ENDPOINT" "$good" && rc=0 || rc=$?
check "  ... the token was not spent: the right pin enrolls with it" test "$rc" = 0

log "relays presenting other certificates to a pinned agent"
attack() {	# attack NAME CHAIN KEY REASON pin|no-pin [enroll args]
	local name=$1 chain=$2 key=$3 why=$4 tok; shift 4
	if [ "$1" = no-pin ]; then tok=$(token --no-pin); else tok=$(token); fi
	shift
	relay_start "$name" "$chain" "$key"
	enroll "$name" "https://127.0.0.1:$RELAY_PORT" "$tok" "$@" && rc=0 || rc=$?
	check "$name: enroll through the relay fails" test "$rc" != 0
	check "$name: ... saying \"$why\"" refused "$name" "$why"
	check "$name: ... no request reached wicketd through it" bash -c \
	    "! grep -q '^data' '$T/relay-$name.log'"
	kill "$RELAY_PID"
}
attack selfsigned "$C/self.chain.pem" "$C/self.key" "pin mismatch" pin
attack withca "$C/self+ca.pem" "$C/self.key" "unknown CA" pin
attack foreign "$C/evil.chain.pem" "$C/evil.key" "pin mismatch" pin
attack foreign-ca "$C/evil+ca.pem" "$C/evil.key" "unknown CA" pin
attack expired "$C/expired.chain.pem" "$C/expired.key" "certificate expired" pin
attack name "$C/othername.chain.pem" "$C/othername.key" "name mismatch" pin
# unpinned tokens: --ca-file, --ca-cert-hash, or the system store
attack cafile-foreign "$C/evil.chain.pem" "$C/evil.key" "unknown CA" no-pin --ca-file "$CA"
attack cafile-expired "$C/expired.chain.pem" "$C/expired.key" "certificate expired" no-pin --ca-file "$CA"
attack cahash-self "$C/self.chain.pem" "$C/self.key" "pin mismatch" no-pin --ca-cert-hash "sha256:$ca_pin"
attack system-store "$C/evil.chain.pem" "$C/evil.key" "unknown CA.*system CA store" no-pin

log "http: plain http off loopback"
tok=$(token --no-pin)
out=$("$HOST_BIN/wicket-agent" enroll --server "http://192.0.2.1:$PORT" --token "$tok" \
    --state "$T/agent-http" --host-key "$hostkey" 2>&1) && rc=0 || rc=$?
check "http to a non-loopback address is refused" test "$rc" != 0
check "  ... saying why and what to do" contains "$out" "plain http to a non-loopback address"
out=$("$HOST_BIN/wicket-agent" enroll --server "http://127.0.0.1:$PORT" --token "$(token)" \
    --state "$T/agent-http2" --host-key "$hostkey" 2>&1) && rc=0 || rc=$?
check "a pinned token over plain http is refused" test "$rc" != 0
check "  ... saying the pin needs https" contains "$out" "can only be checked over https"

log "http: an enrollment made before TLS with a non-loopback http server"
mkdir -p "$T/agent-old"
chmod 711 "$T/agent-old"
jq '.server = "http://192.0.2.1:8780" | del(.tls_pin, .tls_ca_pem, .insecure_http)' \
    "$T/agent-stillvalid/state.json" >"$T/agent-old/state.json"
chmod 600 "$T/agent-old/state.json"
out=$("$HOST_BIN/wicket-agent" run --state "$T/agent-old" --socket "$T/agent-old.sock" \
    --socket-group wicket-ak 2>&1) && rc=0 || rc=$?
check "wicket-agent run refuses it" test "$rc" = 1
check "  ... saying why" contains "$out" "plain http to a non-loopback address"
check "  ... and how to upgrade" contains "$out" "re-enroll over https"
"$HOST_BIN/wicket-agent" run --state "$T/agent-old" --socket "$T/agent-old.sock" \
    --socket-group wicket-ak --insecure-http >"$T/agent-old.log" 2>&1 &
old_pid=$!
PIDS+=("$old_pid")
for _ in $(seq 1 100); do grep -q event=plain_http "$T/agent-old.log" && break; sleep 0.1; done
check "run --insecure-http starts, warning in the log" \
    grep -q 'event=plain_http .*clear text' "$T/agent-old.log"
kill "$old_pid"

log "after: agents enrolled through a genuine front, then the front is replaced"
# The front presents wicketd's own chain and key: a TLS load balancer.
relay_start front "$DATA/tls/server.pem" "$DATA/tls/server.key"
FRONT=$RELAY_PORT
URL="https://127.0.0.1:$FRONT"
instance=$("$HOST_BIN/wicket-agent" enroll --server "$URL" --token "$(token)" \
    --state "$T/agent-h" --address "$ADDR" --ssh-port "$SSH_PORT" --host-key "$hostkey" 2>/dev/null)
check "pinned agent enrolled through the genuine front" test -n "$instance"
tok=$(token --no-pin)
check "CA-file agent enrolled through the genuine front" \
    enroll cafile "$URL" "$tok" --ca-file "$CA"
agent_start h
agent_start cafile
sshd_start h "$ADDR" "$SSH_PORT" "$T/agent-h" "$T/agent-h.sock"
known_hosts_for h "$ADDR" "$SSH_PORT" >"$T/known_hosts"
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null
push() {
	aws_as admin --ca-bundle "$CA" ec2-instance-connect send-ssh-public-key \
	    --instance-id "$instance" --instance-os-user ubuntu \
	    --ssh-public-key "file://$T/k.pub" 2>&1
}
wait_log() {	# wait_log FILE PATTERN: up to 30 s
	for _ in $(seq 1 300); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
check "control: the agent is connected through the front" wait_log "$T/agent-h.log" event=wicketd_connected
out=$(push)
check "control: push succeeds" test "$(jq -r .Success <<<"$out" 2>/dev/null)" = true
out=$(ssh_login ubuntu "$ADDR" "$SSH_PORT" "$T/k" "$T/known_hosts" 'echo in' 2>/dev/null) || true
check "control: ssh login works through the front" test "$out" = in
check "control: the relay log shows requests passing" grep -q '^data' "$T/relay-front.log"

# The attacker takes the front's address with its own certificate; the
# agents' held connections are cut and they reconnect to it.
kill "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null || true
relay_start front-evil "$C/self.chain.pem" "$C/self.key" "$FRONT"
check "the pinned agent refuses the impostor: pin mismatch" \
    wait_log "$T/agent-h.log" 'event=server_refused .*reason="pin mismatch'
check "the CA-file agent refuses the impostor: unknown CA" \
    wait_log "$T/agent-cafile.log" 'event=server_refused .*reason="unknown CA'
check "  ... and says it sent nothing" grep -q 'event=server_refused .*action=no_request_sent' "$T/agent-h.log"
check "no request reached wicketd through the impostor" bash -c \
    "! grep -q '^data' '$T/relay-front-evil.log'"
# wicketd still has the key records queued for the host; a new push (a
# new key) is made while the impostor sits in the path.
ssh-keygen -q -t ed25519 -N '' -f "$T/k2" </dev/null
out=$(aws_as admin --ca-bundle "$CA" ec2-instance-connect send-ssh-public-key \
    --instance-id "$instance" --instance-os-user ubuntu \
    --ssh-public-key "file://$T/k2.pub" 2>&1) || true
sleep 2
out=$(ssh_login ubuntu "$ADDR" "$SSH_PORT" "$T/k2" "$T/known_hosts" 'echo in' 2>&1) && rc=0 || rc=$?
check "the key pushed during the attack never reaches sshd" test "$rc" != 0
check "  ... (sshd refused it: Permission denied)" contains "$out" "Permission denied"
check "the pinned trust in state.json is unchanged" \
    test "$(jq -r .tls_pin "$T/agent-h/state.json")" = "$ca_pin"

finish
