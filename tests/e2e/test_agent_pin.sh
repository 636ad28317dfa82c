#!/usr/bin/env bash
# Agents verify wicketd over HTTPS and never trust on first use: a join
# token pinning the CA's public key (the default once `wicketd init --tls`
# made one), --ca-file, --ca-cert-hash, a token pinning the leaf. Keys
# pushed with the aws CLI reach a real sshd through the pinned channel, and
# keep doing so after `wicketd tls renew` (new key, same CA; and same key)
# while the agents and wicketd run.
. "$(dirname "$0")/lib.sh"
. "$WK_SOURCE/tests/tools/certs.sh"

DATA="$T/data"
PORT=$(free_port)
ENDPOINT="https://127.0.0.1:$PORT"
CA="$DATA/tls/ca.pem"
SSH_PORT=$(free_port)
ensure_user ubuntu
ensure_ak_user

wicketd_init "$DATA" --tls --listen "127.0.0.1:$PORT" >/dev/null 2>&1
add_admin_profile
wicketd_start "$DATA" "$PORT"
ca_pin=$(spki_pin "$CA")

log "the default token pins the CA's public key"
token=$("$WK_BIN/wicketd" token create --data "$DATA" --address-allow 127.0.0.2 2>"$T/token.err")
check "token is wkjt-SECRET.PIN" bash -c "[[ '$token' =~ ^wkjt-[A-Za-z0-9]{32}\.[0-9a-f]{64}$ ]]"
check "  ... and the pin is ca.pem's SPKI SHA-256" test "${token#*.}" = "$ca_pin"
check "  ... token create says what it pinned" grep -q "pins sha256:$ca_pin" "$T/token.err"

log "enroll with the pinned token, push a key, log in"
sshd_dir="$T/sshd-host1"
mkdir -p "$sshd_dir"
ssh-keygen -q -t ed25519 -N '' -f "$sshd_dir/ssh_host_ed25519_key" </dev/null
hostkey="$sshd_dir/ssh_host_ed25519_key.pub"
instance=$("$HOST_BIN/wicket-agent" enroll --server "$ENDPOINT" --token "$token" \
    --state "$T/agent-host1" --address 127.0.0.2 --ssh-port "$SSH_PORT" \
    --host-key "$hostkey" 2>"$T/enroll1.err") && rc=0 || rc=$?
check "enroll with the pinned token works" test "$rc" = 0
check "  ... and says how it verified wicketd" grep -q "tls=verify pin=sha256:$ca_pin" "$T/enroll1.err"
check "state.json keeps the pin" test "$(jq -r .tls_pin "$T/agent-host1/state.json")" = "$ca_pin"
check "state.json stays 0600" test "$(stat -c %a "$T/agent-host1/state.json")" = 600
agent_start host1
sshd_start host1 127.0.0.2 "$SSH_PORT" "$T/agent-host1" "$T/agent-host1.sock"
known_hosts_for host1 127.0.0.2 "$SSH_PORT" >"$T/known_hosts"
ssh-keygen -q -t ed25519 -N '' -f "$T/k" </dev/null

push_and_login() {	# push_and_login WHAT: a fresh push, then ssh
	local out
	out=$(aws_as admin --ca-bundle "$CA" ec2-instance-connect send-ssh-public-key \
	    --instance-id "$instance" --instance-os-user ubuntu \
	    --ssh-public-key "file://$T/k.pub" 2>&1) || true
	check "$1: send-ssh-public-key succeeds" test "$(jq -r .Success <<<"$out" 2>/dev/null)" = true
	# shellcheck disable=SC2016 # $USER expands on the host
	out=$(ssh_login ubuntu 127.0.0.2 "$SSH_PORT" "$T/k" "$T/known_hosts" 'echo logged-in-$USER' 2>>"$T/ssh.err") || true
	check "$1: ssh login through the pinned agent" test "$out" = logged-in-ubuntu
}
push_and_login "pinned CA"
check "the agent logged how it verifies wicketd" grep -q "event=agent_started.*tls=verify pin=sha256:$ca_pin" "$T/agent-host1.log"

log "--ca-file, --ca-cert-hash and a leaf pin"
enroll_other() {	# enroll_other NAME TOKEN ARGS...: prints rc
	local name=$1 tok=$2; shift 2
	"$HOST_BIN/wicket-agent" enroll --server "$ENDPOINT" --token "$tok" \
	    --state "$T/agent-$name" --address 127.0.0.2 --ssh-port "$SSH_PORT" \
	    --host-key "$hostkey" "$@" >/dev/null 2>"$T/enroll-$name.err" && echo 0 || echo $?
}
tok=$("$WK_BIN/wicketd" token create --data "$DATA" --address-allow 127.0.0.2 --no-pin 2>/dev/null)
check "--no-pin: an old-style token" bash -c "[[ '$tok' =~ ^wkjt-[A-Za-z0-9]{32}$ ]]"
check "--ca-file: enroll works" test "$(enroll_other cafile "$tok" --ca-file "$CA")" = 0
check "  ... the CA is kept in state.json" bash -c "jq -j .tls_ca_pem '$T/agent-cafile/state.json' | cmp -s - '$CA'"
tok=$("$WK_BIN/wicketd" token create --data "$DATA" --address-allow 127.0.0.2 --no-pin 2>/dev/null)
check "--ca-cert-hash sha256:HEX: enroll works" \
    test "$(enroll_other cahash "$tok" --ca-cert-hash "sha256:$ca_pin")" = 0
tok=$("$WK_BIN/wicketd" token create --data "$DATA" --address-allow 127.0.0.2 --pin-cert "$DATA/tls/server.pem" 2>/dev/null)
leaf_pin=$(spki_pin "$DATA/tls/server.pem")
check "--pin-cert server.pem pins the leaf's key" test "${tok#*.}" = "$leaf_pin"
check "a token pinning the leaf: enroll works" test "$(enroll_other leaf "$tok")" = 0
for a in cafile cahash leaf; do
	agent_start "$a"
done
for a in host1 cafile cahash leaf; do
	check "agent $a is connected" agent_connected "$a" 1
done

log "renewal under the same CA (new key) while the agents run"
renew() {	# renew [--new-key]: `wicketd tls renew` from DATA/tls/ca.*, then
	# SIGHUP (wicketd also notices the file change by itself); the
	# listener keeps its connections
	"$WK_BIN/wicketd" tls renew --data "$DATA" "$@" >>"$T/renew.log" 2>&1
	kill -HUP "$WICKETD_PID"
}
old_serial=$(openssl x509 -in "$DATA/tls/server.pem" -noout -serial)
renew --new-key
served() {
	openssl s_client -connect "127.0.0.1:$PORT" -servername 127.0.0.1 </dev/null 2>/dev/null |
	    openssl x509 -noout "$@"
}
wait_served_serial_not() {
	for _ in $(seq 1 100); do
		[ "$(served -serial)" != "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
check "wicketd serves the renewed certificate" wait_served_serial_not "$old_serial"
check "  ... under a new key" bash -c "[ \"\$(openssl x509 -in '$DATA/tls/server.pem' -pubkey -noout | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1)\" != '$leaf_pin' ]"
push_and_login "after renewal, held connection"
# Held connections keep the certificate they were made with; restarted
# agents make new ones, which see the renewed certificate.
restart_agent() {
	local pid_var="AGENT_PID_$1"
	kill "${!pid_var}"
	wait "${!pid_var}" 2>/dev/null || true
	agent_start "$1"
}
for a in host1 cafile cahash leaf; do
	restart_agent "$a"
done
for a in host1 cafile cahash; do
	check "agent $a (CA trust) connects anew to the renewed certificate" \
	    agent_connected "$a" 2
done
push_and_login "after renewal, new connection"
check "the agent pinning the old leaf key refuses the new key, saying why" bash -c \
    "for i in \$(seq 1 300); do grep -q 'event=server_refused.*pin mismatch' '$T/agent-leaf.log' && exit 0; sleep 0.1; done; exit 1"

log "renewal under the same key"
old_serial=$(served -serial)
pin_now=$(spki_pin "$DATA/tls/server.pem")
tok=$("$WK_BIN/wicketd" token create --data "$DATA" --address-allow 127.0.0.2 --pin-cert "$DATA/tls/server.pem" 2>/dev/null)
check "a token pinning the renewed leaf: enroll works" test "$(enroll_other leaf2 "$tok")" = 0
agent_start leaf2
check "agent leaf2 is connected" agent_connected leaf2 1
renew
check "wicketd serves another certificate" wait_served_serial_not "$old_serial"
check "  ... with the same key" test "$(spki_pin "$DATA/tls/server.pem")" = "$pin_now"
for a in host1 leaf2; do
	restart_agent "$a"
done
check "agent host1 connects anew after the same-key renewal" agent_connected host1 3
check "agent leaf2 (leaf pin) connects anew after the same-key renewal" agent_connected leaf2 2
push_and_login "after renewal (same key)"
check "no agent with CA trust ever refused wicketd" bash -c \
    "! grep -q event=server_refused '$T/agent-host1.log' '$T/agent-cafile.log' '$T/agent-cahash.log'"
check "the agent pinning the leaf's key keeps it across the renewal" bash -c \
    "! grep -q event=server_refused '$T/agent-leaf2.log'"

finish
