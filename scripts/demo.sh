#!/usr/bin/env bash
# Installs what is missing, builds wicket and starts a working demo on this
# machine: wicketd on SQLite over HTTPS (127.0.0.1:8780, a private CA made by
# `wicketd init --tls`), this machine enrolled (the agent pins that CA) with
# a dedicated sshd on 127.0.0.1:2222 (the machine's own sshd is not
# touched), and the lab's user MyWorkshopUser with the lab's policy. Then
# prints the exact commands to try.
#
#   scripts/demo.sh          start (or restart) the demo
#   scripts/demo.sh stop     stop its processes (data is kept)
#
# Environment: WICKET_DEMO_DIR (default /var/lib/wicket-demo: like sshd,
# wicket-authorized-keys trusts only files under root-owned, non-writable
# directories, so the demo's host side lives there), WICKET_DEMO_PORT (8780),
# WICKET_DEMO_SSH_PORT (2222).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
DEMO=${WICKET_DEMO_DIR:-/var/lib/wicket-demo}
PORT=${WICKET_DEMO_PORT:-8780}
SSH_PORT=${WICKET_DEMO_SSH_PORT:-2222}
ACCOUNT=123456789012
REGION=us-east-1
ENDPOINT="https://127.0.0.1:$PORT"
CA=$DEMO/data/tls/ca.pem
BIN=$root/build/release

stop_demo() {
	local f pid
	for f in "$DEMO"/run/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null || true
		rm -f "$f"
	done
}

if [ "${1:-start}" = stop ]; then
	stop_demo
	echo "demo stopped (data kept in $DEMO)"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (it starts a dedicated sshd and creates OS users)" >&2
	exit 1
fi

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" >/dev/null
stop_demo
# A demo made before wicketd had TLS (plain HTTP, an agent enrolled without
# a pin): keep it aside, whole, and start a new one.
if [ -f "$DEMO/data/wicket.db" ] && [ ! -f "$CA" ]; then
	old="$DEMO.plain-http-$(date +%Y%m%d%H%M%S)"
	mv "$DEMO" "$old"
	echo "demo: the earlier plain-HTTP demo is kept in $old; starting a new one over HTTPS"
fi

mkdir -p "$DEMO/run" "$DEMO/aws" "$DEMO/bin" /run/sshd
chmod 755 "$DEMO" "$DEMO/bin"
# The host side runs from a root-owned directory, as sshd requires of an
# AuthorizedKeysCommand (the checkout may be anywhere).
install -m 0755 "$BIN/wicket-agent" "$BIN/wicket-authorized-keys" "$DEMO/bin/"
# The login user of the lab, and the unprivileged AuthorizedKeysCommandUser.
id ubuntu >/dev/null 2>&1 || useradd -m -s /bin/bash ubuntu
usermod -p '*' ubuntu
id wicket-ak >/dev/null 2>&1 || useradd --system --no-create-home \
    --shell /usr/sbin/nologin wicket-ak

start_bg() {	# start_bg NAME CMD...: detached, logged, pid-filed
	local name=$1; shift
	setsid "$@" >>"$DEMO/run/$name.log" 2>&1 </dev/null &
	echo $! >"$DEMO/run/$name.pid"
}
wait_tcp() {
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "demo: nothing answers on $1:$2 (see $DEMO/run/*.log)" >&2
	exit 1
}

if [ ! -f "$DEMO/data/wicket.db" ]; then
	"$BIN/wicketd" init --data "$DEMO/data" --account-id "$ACCOUNT" \
	    --region "$REGION" --tls --listen "127.0.0.1:$PORT" >/dev/null
fi
start_bg wicketd "$BIN/wicketd" serve --data "$DEMO/data" --listen "127.0.0.1:$PORT"
wait_tcp 127.0.0.1 "$PORT"

# This machine's dedicated sshd, host key of its own.
mkdir -p "$DEMO/sshd"
[ -f "$DEMO/sshd/ssh_host_ed25519_key" ] ||
    ssh-keygen -q -t ed25519 -N '' -f "$DEMO/sshd/ssh_host_ed25519_key"
if [ ! -f "$DEMO/agent/state.json" ]; then
	# The token carries the SHA-256 of the CA's public key: the agent checks
	# wicketd's certificate against it and never trusts on first use.
	token=$("$BIN/wicketd" token create --data "$DEMO/data")
	"$DEMO/bin/wicket-agent" enroll --server "$ENDPOINT" --token "$token" \
	    --state "$DEMO/agent" --address 127.0.0.1 --ssh-port "$SSH_PORT" \
	    --hostname "$(hostname)-demo" \
	    --host-key "$DEMO/sshd/ssh_host_ed25519_key.pub" >"$DEMO/instance-id"
fi
instance=$(cat "$DEMO/instance-id")
start_bg agent "$DEMO/bin/wicket-agent" run --state "$DEMO/agent" \
    --socket "$DEMO/run/agent.sock" --socket-group wicket-ak
for _ in $(seq 1 50); do [ -S "$DEMO/run/agent.sock" ] && break; sleep 0.1; done
cat >"$DEMO/sshd/sshd_config" <<CFG
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $DEMO/sshd/ssh_host_ed25519_key
PidFile $DEMO/run/sshd.pidfile
AuthorizedKeysFile none
$("$DEMO/bin/wicket-agent" sshd-config --state "$DEMO/agent" --socket "$DEMO/run/agent.sock" | grep -v '^#')
PasswordAuthentication no
KbdInteractiveAuthentication no
Subsystem sftp internal-sftp
UsePAM no
CFG
/usr/sbin/sshd -t -f "$DEMO/sshd/sshd_config"
start_bg sshd /usr/sbin/sshd -D -e -f "$DEMO/sshd/sshd_config"
wait_tcp 127.0.0.1 "$SSH_PORT"
printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" \
    "$(cut -d' ' -f1,2 "$DEMO/sshd/ssh_host_ed25519_key.pub")" >"$DEMO/known_hosts"

# The lab's IAM setup, once, with the real aws CLI as the admin.
export AWS_SHARED_CREDENTIALS_FILE="$DEMO/aws/credentials"
export AWS_CONFIG_FILE="$DEMO/aws/config"
export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true AWS_CA_BUNDLE=$CA
if [ ! -f "$DEMO/aws/credentials" ]; then
	sed 's/^\[default\]/[admin]/' "$DEMO/data/credentials" >"$DEMO/aws/credentials"
	printf '[profile admin]\nregion = %s\n[profile workshop]\nregion = %s\n' \
	    "$REGION" "$REGION" >"$DEMO/aws/config"
	chmod 600 "$DEMO/aws/credentials"
	aws_admin() { /usr/bin/aws --profile admin --endpoint-url "$ENDPOINT" --output json "$@"; }
	aws_admin iam create-user --user-name MyWorkshopUser >/dev/null
	key=$(aws_admin iam create-access-key --user-name MyWorkshopUser)
	printf '[workshop]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	    "$(jq -r .AccessKey.AccessKeyId <<<"$key")" \
	    "$(jq -r .AccessKey.SecretAccessKey <<<"$key")" >>"$DEMO/aws/credentials"
	cat >"$DEMO/InstanceConnect.json" <<JSON
{
	"Version": "2012-10-17",
	"Statement": [{
		"Effect": "Allow",
		"Action": "ec2-instance-connect:SendSSHPublicKey",
		"Resource": "arn:aws:ec2:$REGION:$ACCOUNT:instance/$instance",
		"Condition": {
			"StringEquals": {
				"ec2:osuser": "ubuntu"
			}
		}
	}]
}
JSON
	aws_admin iam create-policy --policy-name InstanceConnect \
	    --policy-document "file://$DEMO/InstanceConnect.json" >/dev/null
	aws_admin iam attach-user-policy --user-name MyWorkshopUser \
	    --policy-arn "arn:aws:iam::$ACCOUNT:policy/InstanceConnect"
	# The browser step: a console password, and the lab's instance name.
	pw="Wk-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')-9"
	aws_admin iam create-login-profile --user-name MyWorkshopUser \
	    --password "$pw" >/dev/null
	printf '%s\n' "$pw" >"$DEMO/console-password"
	chmod 600 "$DEMO/console-password"
	aws_admin ec2 create-tags --resources "$instance" \
	    --tags Key=Name,Value=EC2ConnectInstance
fi

cat <<TXT

wicket demo is running:
  wicketd      $ENDPOINT            (data: $DEMO/data, log: $DEMO/run/wicketd.log)
  this host    $instance on 127.0.0.1:$SSH_PORT (dedicated sshd + wicket-agent)
  IAM user     MyWorkshopUser with the lab's policy InstanceConnect
               (ec2-instance-connect:SendSSHPublicKey on $instance as ubuntu)
  TLS          wicketd's certificate is signed by the demo's private CA $CA

Try it (copy and paste):

  export AWS_SHARED_CREDENTIALS_FILE=$DEMO/aws/credentials AWS_CONFIG_FILE=$DEMO/aws/config AWS_PROFILE=workshop
  export AWS_CA_BUNDLE=$CA    # or: aws --ca-bundle $CA ...
  aws --endpoint-url $ENDPOINT sts get-caller-identity
  ssh-keygen -q -t ed25519 -N '' -f /tmp/k <<<y
  aws --endpoint-url $ENDPOINT ec2-instance-connect send-ssh-public-key --instance-id $instance --instance-os-user ubuntu --ssh-public-key file:///tmp/k.pub
  ssh -i /tmp/k -o UserKnownHostsFile=$DEMO/known_hosts -p $SSH_PORT ubuntu@127.0.0.1 'w; date'

  # refused: the policy allows only ubuntu
  aws --endpoint-url $ENDPOINT ec2-instance-connect send-ssh-public-key --instance-id $instance --instance-os-user root --ssh-public-key file:///tmp/k.pub

  # all in one step (key generated in memory, host key checked; one call, the push):
  AWS_ENDPOINT_URL=$ENDPOINT $BIN/wicket ssh ubuntu@$instance 'w; date'

  # the browser terminal: open https://127.0.0.1:$PORT/console/ and sign in as
  # MyWorkshopUser with the password in $DEMO/console-password; the browser
  # trusts the page once $CA is imported as an authority (Chromium: Settings >
  # Privacy and security > Security > Manage certificates > Authorities)
  # (for a browser on another machine: ssh -L $PORT:127.0.0.1:$PORT this-host)

  # who pushed what (as the admin):
  AWS_PROFILE=admin AWS_ENDPOINT_URL=$ENDPOINT $BIN/wicket audit

Stop it with: scripts/demo.sh stop
TXT
