# shellcheck shell=bash
# Shared helpers for the end-to-end tests: each test gets a private temp
# dir, starts its own wicketd, agents and sshd on 127.0.0.x high ports with
# its own configs, and stops them all on exit. Never port 22, never the
# machine's sshd config.
set -euo pipefail

WK_SOURCE=${WK_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WK_BIN=${WK_BIN:-$WK_SOURCE/build/dev}
AWS=${AWS:-/usr/bin/aws}
SSHD=${SSHD:-/usr/sbin/sshd}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# Under /run, not /tmp: wicket-authorized-keys (like sshd) refuses a trust
# file with any group/world-writable directory above it, and /tmp is one.
mkdir -p /run/wicket-e2e
chmod 755 /run/wicket-e2e
T=$(mktemp -d "/run/wicket-e2e/$(basename "$0" .sh).XXXXXX")
chmod 755 "$T"
# sshd refuses an AuthorizedKeysCommand under a writable directory too, and
# the checkout may live anywhere: run the host-side binaries from $T/bin.
mkdir -p "$T/bin"
cp "$WK_BIN/wicket-authorized-keys" "$WK_BIN/wicket-agent" "$T/bin/"
HOST_BIN="$T/bin"
PIDS=()
failures=0
checks=0

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ "$failures" -ne 0 ] || [ -n "${WK_KEEP:-}" ]; then
		echo "e2e: logs kept in $T" >&2
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "---- $f (last 30 lines)" >&2
			tail -n 30 "$f" >&2
		done
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

log() { printf '== %s\n' "$*"; }
pass() { checks=$((checks + 1)); printf 'ok %d - %s\n' "$checks" "$*"; }
fail() {
	checks=$((checks + 1)); failures=$((failures + 1))
	printf 'not ok %d - %s\n' "$checks" "$*"
}
check() {	# check "description" command...
	local what=$1; shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
contains() { [[ $1 == *"$2"* ]]; }
lacks() { [[ $1 != *"$2"* ]]; }
finish() {
	echo "$((checks - failures)) passed, $failures failed"
	[ "$failures" -eq 0 ]
}

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_tcp() {	# wait_tcp ADDR PORT: up to 10 s
	local i
	for i in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "nothing listening on $1:$2" >&2
	return 1
}

# Tests run side by side: user changes take a lock, so two tests that
# both create "ubuntu" do not race useradd.
ensure_user() {	# an OS user that can log in with keys only
	(
		flock 9
		id "$1" >/dev/null 2>&1 || useradd -m -s /bin/bash "$1"
		usermod -p '*' "$1"	# no password, but not locked (sshd refuses locked)
	) 9>/run/wicket-e2e/users.lock
}

ensure_ak_user() {
	(
		flock 9
		id wicket-ak >/dev/null 2>&1 || useradd --system \
		    --no-create-home --shell /usr/sbin/nologin wicket-ak
	) 9>/run/wicket-e2e/users.lock
}

# wicketd_init DIR [args]: creates the control plane's data dir
wicketd_init() {
	local dir=$1; shift
	"$WK_BIN/wicketd" init --data "$dir" "$@"
}

# wicketd_start DIR PORT: serve in the background, wait until it answers
wicketd_start() {
	"$WK_BIN/wicketd" serve --data "$1" --listen "127.0.0.1:$2" \
	    >>"$T/wicketd.log" 2>&1 &
	WICKETD_PID=$!
	PIDS+=("$WICKETD_PID")
	wait_tcp 127.0.0.1 "$2"
}

wicketd_stop() {
	kill "$WICKETD_PID" 2>/dev/null || true
	wait "$WICKETD_PID" 2>/dev/null || true
}

# aws_as PROFILE ARGS...: the real aws CLI against our wicketd
aws_as() {
	local profile=$1; shift
	AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
	    AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1 \
	    "$AWS" --profile "$profile" --endpoint-url "$ENDPOINT" \
	    --output json "$@"
}

# add_admin_profile: profile "admin" with the first admin's access key,
# from the credentials file `wicketd init` wrote in $DATA
add_admin_profile() {
	add_profile admin \
	    "$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")" \
	    "$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")"
}

# add_profile NAME KEYID SECRET: appends to the test's credential files
add_profile() {
	printf '[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	    "$1" "$2" "$3" >>"$T/credentials"
	if [ "$1" = default ]; then
		printf '[default]\nregion = %s\n' "${REGION:-us-east-1}" >>"$T/config"
	else
		printf '[profile %s]\nregion = %s\n' "$1" "${REGION:-us-east-1}" \
		    >>"$T/config"
	fi
}

# sdk_ready: the AWS SDK for JavaScript v3 (tests/sdk, pinned by its lock
# file) installed once for all tests; SDK scripts then run with
# `sdk_run SCRIPT.mjs PROFILE ARGS...` (credentials and region from the
# test's files, endpoint $ENDPOINT, one attempt: no retries hide a status)
SDK=$WK_SOURCE/tests/sdk
sdk_ready() {
	(
		flock 9
		if [ ! -d "$SDK/node_modules/@aws-sdk/client-ec2" ] ||
		    [ "$SDK/package-lock.json" -nt "$SDK/node_modules/.package-lock.json" ]; then
			cd "$SDK" && npm ci --no-audit --no-fund --loglevel=error
		fi
	) 9>/run/wicket-e2e/sdk.lock
}
sdk_run() {
	local script=$1 profile=$2; shift 2
	AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" \
	    AWS_PROFILE="$profile" AWS_ENDPOINT_URL="$ENDPOINT" AWS_MAX_ATTEMPTS=1 \
	    AWS_EC2_METADATA_DISABLED=true node --no-warnings "$SDK/$script" "$@"
}

# sshd_start NAME ADDR PORT STATE SOCK: a dedicated sshd using wicket
# (its host key is $T/sshd-NAME/ssh_host_ed25519_key, made when absent)
sshd_start() {
	local name=$1 addr=$2 port=$3 state=$4 sock=$5 d="$T/sshd-$1"
	mkdir -p "$d" /run/sshd
	chmod 755 "$d"
	[ -f "$d/ssh_host_ed25519_key" ] ||
	    ssh-keygen -q -t ed25519 -N '' -f "$d/ssh_host_ed25519_key" </dev/null
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
Subsystem sftp internal-sftp
UsePAM no
PermitRootLogin prohibit-password
LogLevel VERBOSE
CFG
	"$SSHD" -D -e -f "$d/sshd_config" >>"$T/sshd-$name.log" 2>&1 &
	PIDS+=("$!")
	wait_tcp "$addr" "$port"
}

# agent_enroll NAME ADDR PORT HOSTKEY: prints the instance id. The agent
# connects from 127.0.0.1 and registers ADDR: its token allows ADDR, as an
# operator's token for a host behind NAT would.
agent_enroll() {
	local name=$1 addr=$2 port=$3 hostkey=$4 token
	token=$("$WK_BIN/wicketd" token create --data "$DATA" --address-allow "$addr")
	"$HOST_BIN/wicket-agent" enroll --server "$ENDPOINT" --token "$token" \
	    --state "$T/agent-$name" --address "$addr" --ssh-port "$port" \
	    --host-key "$hostkey"
}

# agent_start NAME: runs the agent with its socket in the test dir
agent_start() {
	local name=$1
	"$HOST_BIN/wicket-agent" run --state "$T/agent-$name" \
	    --socket "$T/agent-$name.sock" --socket-group wicket-ak \
	    >>"$T/agent-$name.log" 2>&1 &
	eval "AGENT_PID_$name=$!"
	PIDS+=("$!")
	local i
	for i in $(seq 1 100); do
		[ -S "$T/agent-$name.sock" ] && return 0
		sleep 0.1
	done
	echo "agent $name did not create its socket" >&2
	return 1
}

# agent_connected NAME COUNT: waits until agent NAME's log shows COUNT
# connections to wicketd, up to 40 s (past the agent's longest backoff, 30 s).
# An instance is `running` in DescribeInstances whether or not its agent is
# connected, so that cannot be waited on.
agent_connected() {
	local i
	for i in $(seq 1 400); do
		[ "$(grep -c event=wicketd_connected "$T/agent-$1.log" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# ssh_login USER ADDR PORT KEY KNOWN_HOSTS COMMAND: batch-mode ssh
ssh_login() {
	local user=$1 addr=$2 port=$3 key=$4 kh=$5; shift 5
	ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$key" \
	    -o UserKnownHostsFile="$kh" -o StrictHostKeyChecking=yes \
	    -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=10 \
	    -p "$port" "$user@$addr" "$@"
}

known_hosts_for() {	# known_hosts_for NAME ADDR PORT
	printf '[%s]:%s %s\n' "$2" "$3" \
	    "$(cut -d' ' -f1,2 "$T/sshd-$1/ssh_host_ed25519_key.pub")"
}
