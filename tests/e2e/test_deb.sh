#!/usr/bin/env bash
# The host-side Debian package, end to end: build it with
# scripts/build-deb.sh (or take ready ones from WK_DEB_DIR), check its
# contents and metadata, install it with `apt-get install ./wicket-host_*.deb`
# (no network: every dependency must already be installed), check what the
# maintainer scripts did, reinstall (idempotence), remove, purge.
#
# Needs root, and changes the machine's package database: meant for CI's
# throwaway machines. Never touches sshd's configuration. Refuses to run
# when wicket-host is already installed (WK_DEB_FORCE=1 overrides).
#
#   WK_DEB_DIR=DIR        use DIR/wicket-host_*.deb instead of building
#   WK_DEB_HOST_ONLY=1    build only wicket-host (faster)
#
# Stand-alone (it needs no built binaries, so it does not source lib.sh),
# with the same reporting helpers.
set -euo pipefail

WK_SOURCE=${WK_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
T=$(mktemp -d "/tmp/wicket-e2e-test_deb.XXXXXX")
failures=0
checks=0

cleanup() {
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
finish() {
	echo "$((checks - failures)) passed, $failures failed"
	[ "$failures" -eq 0 ]
}

PKG=wicket-host
AK_USER=wicket-ak
STATE_DIR=/var/lib/wicket
UNIT=/lib/systemd/system/wicket-agent.service
WANTS=/etc/systemd/system/multi-user.target.wants/wicket-agent.service
DROPIN=/etc/ssh/sshd_config.d/60-wicket.conf

if [ "$(id -u)" -ne 0 ]; then
	echo "test_deb: needs root (it installs and purges a package)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
installed() {
	dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null |
	    grep -q "install ok installed"
}
if installed && [ -z "${WK_DEB_FORCE:-}" ]; then
	echo "test_deb: $PKG is already installed on this machine; not" \
	    "touching it (WK_DEB_FORCE=1 to run anyway)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# Whatever happens, do not leave the package behind.
we_installed=0
deb_cleanup() {
	if [ "$we_installed" -eq 1 ] &&
	    dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null |
	    grep -qv "not-installed"; then
		dpkg --purge "$PKG" >>"$T/cleanup.log" 2>&1 || true
	fi
	cleanup
}
trap deb_cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
user_before=0
getent passwd "$AK_USER" >/dev/null && user_before=1
dropin_before=0
[ -e "$DROPIN" ] && dropin_before=1
state_before=0
[ -e "$STATE_DIR" ] && state_before=1

log "the packages"
if [ -n "${WK_DEB_DIR:-}" ]; then
	dir=$WK_DEB_DIR
else
	dir="$T/deb"
	args=(--out "$dir")
	[ -n "${WK_DEB_HOST_ONLY:-}" ] && args+=(--host-only)
	if ! "$WK_SOURCE/scripts/build-deb.sh" "${args[@]}" \
	    >"$T/build-deb.log" 2>&1; then
		fail "scripts/build-deb.sh builds the packages"
		grep -E 'error|Error' "$T/build-deb.log" |
		    grep -v '^/usr/bin/c' | head -n 20 >&2 || true
		finish
		exit 1
	fi
	pass "scripts/build-deb.sh builds the packages"
fi
shopt -s nullglob
debs=("$dir/${PKG}"_*.deb)
shopt -u nullglob
if [ "${#debs[@]}" -ne 1 ]; then
	fail "exactly one ${PKG}_*.deb in $dir (found ${#debs[@]})"
	finish
	exit 1
fi
deb=$(readlink -f "${debs[0]}")
pass "found $(basename "$deb")"

log "contents (dpkg-deb -c)"
contents=$(dpkg-deb -c "$deb")
has_entry() {	# has_entry MODE PATH: a root/root entry with that mode
	awk -v m="$1" -v p="./$2" \
	    '$1 == m && $2 == "root/root" && $6 == p { f = 1 } END { exit !f }' \
	    <<<"$contents"
}
check "wicket-agent in /usr/bin, root, 0755" \
    has_entry -rwxr-xr-x usr/bin/wicket-agent
check "wicket-authorized-keys in /usr/bin, root, 0755" \
    has_entry -rwxr-xr-x usr/bin/wicket-authorized-keys
check "pam_wicket.so in the PAM module dir, 0644" \
    has_entry -rw-r--r-- "lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/security/pam_wicket.so"
check "the unit in /lib/systemd/system, 0644" \
    has_entry -rw-r--r-- lib/systemd/system/wicket-agent.service
check "README.Debian" \
    has_entry -rw-r--r-- usr/share/doc/$PKG/README.Debian
check "copyright" has_entry -rw-r--r-- usr/share/doc/$PKG/copyright
all_root() { ! awk '$2 != "root/root"' <<<"$contents" | grep -q .; }
none_writable() { ! awk '{ print $1 }' <<<"$contents" | grep -q '^.\{5\}w\|^.\{8\}w'; }
no_server() { ! awk '{ print $6 }' <<<"$contents" | grep -qE '/(wicketd|wicket)$'; }
check "every entry is root/root" all_root
check "nothing group/world-writable" none_writable
check "no wicketd or CLI in the host package" no_server

log "metadata (dpkg-deb -I)"
field() { dpkg-deb -f "$deb" "$1"; }
check "Package: $PKG" test "$(field Package)" = "$PKG"
check "Source: wicket" test "$(field Source)" = wicket
check "Architecture: $(dpkg --print-architecture)" \
    test "$(field Architecture)" = "$(dpkg --print-architecture)"
check "Depends names adduser (postinst uses it)" \
    contains "$(field Depends)" adduser
check "Depends names the shared libraries" \
    contains "$(field Depends)" libcurl
info=$(dpkg-deb -I "$deb")
check "has a postinst" contains "$info" " postinst "
check "has a postrm" contains "$info" " postrm "
check "has a prerm" contains "$info" " prerm "
ctl="$T/control"
dpkg-deb -e "$deb" "$ctl"
check "postinst creates the system user" \
    grep -q "adduser --system" "$ctl/postinst"
check "postinst enables the unit (dh_installsystemd)" \
    grep -q "deb-systemd-helper enable 'wicket-agent.service'" "$ctl/postinst"
for s in postinst prerm postrm; do
	check "$s is valid sh" sh -n "$ctl/$s"
done
unit_text=$(dpkg-deb --fsys-tarfile "$deb" |
    tar -xOf - ./lib/systemd/system/wicket-agent.service)
check "the unit waits for enrollment" \
    contains "$unit_text" "ConditionPathExists=$STATE_DIR/state.json"
check "the unit runs /usr/bin/wicket-agent run" \
    contains "$unit_text" "ExecStart=/usr/bin/wicket-agent run --state $STATE_DIR"
check "the unit gives the socket to $AK_USER" \
    contains "$unit_text" "--socket-group $AK_USER"

log "apt-get install ./$(basename "$deb")"
# A simulation first: apt must want to install nothing but the package
# (everything it depends on is already here; no network needed).
sim=$(apt-get -s install "$deb" 2>&1) || true
others=$(grep '^Inst ' <<<"$sim" | grep -v "^Inst $PKG " || true)
check "its dependencies are already installed" test -z "$others"
[ -z "$others" ] || printf '%s\n' "$others" >&2
we_installed=1
if apt-get install -y -q --no-install-recommends "$deb" \
    >"$T/apt-install.log" 2>&1; then
	pass "apt-get install succeeds"
else
	fail "apt-get install succeeds"
	cat "$T/apt-install.log" >&2
	finish
	exit 1
fi
check "dpkg reports it installed" installed
check "installed version is the package's" \
    test "$(dpkg-query -W -f='${Version}' "$PKG")" = "$(field Version)"

log "what was installed"
root_only() {	# owned by root, not writable by group or others
	local m
	[ "$(stat -c %u "$1")" = 0 ] || return 1
	m=$(stat -c %a "$1")
	(( (8#$m & 8#022) == 0 ))
}
dirs_root_only() {	# the file and every directory above it (sshd's rule)
	local p
	p=$(readlink -f "$1")
	while :; do
		root_only "$p" || { echo "not root-only: $p" >&2; return 1; }
		[ "$p" = / ] && return 0
		p=$(dirname "$p")
	done
}
for b in wicket-agent wicket-authorized-keys; do
	check "/usr/bin/$b is an executable file" test -f "/usr/bin/$b" -a -x "/usr/bin/$b"
	check "/usr/bin/$b and every directory above are root-only" \
	    dirs_root_only "/usr/bin/$b"
done
out=$(/usr/bin/wicket-agent --help 2>&1) && rc=0 || rc=$?
check "wicket-agent --help exits 0" test "$rc" -eq 0
check "wicket-agent --help lists install-sshd" contains "$out" install-sshd
check "wicket-agent --help lists enroll" contains "$out" enroll
out=$(/usr/bin/wicket-agent --version 2>&1) || true
check "wicket-agent --version names the upstream version" \
    contains "$out" "$(field Version | sed 's/-[^-]*$//')"
out=$(/usr/bin/wicket-agent sshd-config 2>&1) || true
check "sshd-config points sshd at /usr/bin/wicket-authorized-keys" \
    contains "$out" "AuthorizedKeysCommand /usr/bin/wicket-authorized-keys "
check "sshd-config runs it as $AK_USER" \
    contains "$out" "AuthorizedKeysCommandUser $AK_USER"
# No agent is running and the host is not enrolled: fail closed.
out=$(setpriv --reuid="$AK_USER" --regid="$AK_USER" --clear-groups \
    /usr/bin/wicket-authorized-keys ubuntu 2>/dev/null) && rc=0 || rc=$?
check "the helper (as $AK_USER, not enrolled) prints no key" test -z "$out"
check "the helper (as $AK_USER, not enrolled) exits non-zero" test "$rc" -ne 0

pw=$(getent passwd "$AK_USER" || true)
check "system user $AK_USER exists" test -n "$pw"
uid=$(cut -d: -f3 <<<"$pw")
check "$AK_USER is a system user (uid < 1000)" test "${uid:-1000}" -lt 1000
check "$AK_USER cannot log in" \
    bash -c "[[ '$(cut -d: -f7 <<<"$pw")' =~ /(nologin|false)$ ]]"
has_group() { getent group "$1" >/dev/null; }
has_user() { getent passwd "$1" >/dev/null; }
check "group $AK_USER exists" has_group "$AK_USER"
if [ "$user_before" -eq 1 ]; then
	log "note: $AK_USER existed before the install; postinst kept it"
else
	check "$AK_USER has no home directory" \
	    test ! -e "$(cut -d: -f6 <<<"$pw")"
fi
check "the unit is in /lib/systemd/system" test -f "$UNIT"
check "the unit is enabled (multi-user.target.wants)" \
    test "$(readlink "$WANTS")" = "$UNIT"
check "$STATE_DIR exists" test -d "$STATE_DIR"
check "$STATE_DIR is root-only" root_only "$STATE_DIR"
if [ "$state_before" -eq 0 ]; then
	check "$STATE_DIR is 0711" test "$(stat -c %a "$STATE_DIR")" = 711
fi
running=0
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/exe" 2>/dev/null)" = /usr/bin/wicket-agent ] &&
	    running=1
done
check "no agent started before enrollment" test "$running" -eq 0
if [ "$dropin_before" -eq 0 ]; then
	check "sshd's configuration untouched (no drop-in)" test ! -e "$DROPIN"
fi
if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify accepts the unit" \
	    systemd-analyze verify "$UNIT"
fi

# The user existed already (another test, an earlier install): run the
# postinst once more where it does not, in a private mount namespace whose
# /etc and /var/lib are throwaway overlays, so the machine keeps its user.
postinst_fresh() {
	local o="$T/ovl"
	mkdir -p "$o"/etc-up "$o"/etc-work "$o"/var-up "$o"/var-work
	unshare -m bash -c '
		set -e
		mount --make-rprivate /
		mount -t overlay overlay -o lowerdir=/etc,upperdir='"$o"'/etc-up,workdir='"$o"'/etc-work /etc
		mount -t overlay overlay -o lowerdir=/var/lib,upperdir='"$o"'/var-up,workdir='"$o"'/var-work /var/lib
		userdel '"$AK_USER"' 2>/dev/null || true
		groupdel '"$AK_USER"' 2>/dev/null || true
		rm -rf '"$STATE_DIR"'
		! getent passwd '"$AK_USER"' >/dev/null
		sh -e '"$ctl"'/postinst configure >/dev/null 2>&1
		sh -e '"$ctl"'/postinst configure >/dev/null 2>&1
		getent passwd '"$AK_USER"'
		getent group '"$AK_USER"' >/dev/null
		stat -c "%U %a" '"$STATE_DIR"'
	' >"$T/postinst-fresh.out" 2>"$T/postinst-fresh.log"
}
if [ "$user_before" -eq 1 ]; then
	if unshare -m true 2>/dev/null && postinst_fresh; then
		pw_new=$(head -n 1 "$T/postinst-fresh.out")
		IFS=: read -r _ _ uid_new gid_new _ home_new shell_new <<<"$pw_new"
		check "fresh postinst (twice): $AK_USER created, uid < 1000" \
		    test "$uid_new" -lt 1000
		check "fresh postinst: own group" test -n "$gid_new"
		check "fresh postinst: no home (/nonexistent)" \
		    test "$home_new" = /nonexistent
		check "fresh postinst: nologin shell" \
		    test "$shell_new" = /usr/sbin/nologin
		check "fresh postinst: $STATE_DIR root 0711" \
		    test "$(tail -n 1 "$T/postinst-fresh.out")" = "root 711"
	else
		fail "fresh postinst in a private mount namespace (see postinst-fresh.log)"
	fi
fi

log "reinstall (postinst again)"
check "apt-get install --reinstall succeeds" \
    bash -c "apt-get install -y -q --reinstall '$deb' >>'$T/apt-install.log' 2>&1"
check "$AK_USER unchanged by the reinstall" \
    test "$(getent passwd "$AK_USER")" = "$pw"

log "remove, then purge"
# Stand in for an enrolled host's state: remove keeps it, purge deletes it.
printf '{}\n' >"$STATE_DIR/state.json"
chmod 600 "$STATE_DIR/state.json"
check "apt-get remove succeeds" \
    bash -c "apt-get remove -y -q '$PKG' >'$T/apt-remove.log' 2>&1"
check "binaries gone after remove" \
    test ! -e /usr/bin/wicket-agent -a ! -e /usr/bin/wicket-authorized-keys
check "unit gone after remove" test ! -e "$UNIT"
check "state kept after remove" test -f "$STATE_DIR/state.json"
check "dpkg keeps the package's config state (rc)" \
    bash -c "dpkg-query -W -f='\${Status}' '$PKG' | grep -q config-files"
check "apt-get purge succeeds" \
    bash -c "apt-get purge -y -q '$PKG' >'$T/apt-purge.log' 2>&1"
check "dpkg forgets the package after purge" \
    bash -c "! dpkg-query -W -f='\${Status}' '$PKG' 2>/dev/null | grep -qE 'ok installed|config-files'"
check "state directory removed on purge" test ! -e "$STATE_DIR"
check "enable symlink removed on purge" test ! -L "$WANTS"
check "docs removed" test ! -e "/usr/share/doc/$PKG"
check "system user $AK_USER kept after purge (Debian policy)" \
    has_user "$AK_USER"
we_installed=0

# The other packages, when they were built alongside.
shopt -s nullglob
for other in "$dir"/wicketd_*.deb "$dir"/wicket-cli_*.deb; do
	c=$(dpkg-deb -c "$other")
	case "$(basename "$other")" in
	wicketd_*)
		check "wicketd package: /usr/bin/wicketd" \
		    contains "$c" " ./usr/bin/wicketd"
		check "wicketd package: its unit" \
		    contains "$c" " ./lib/systemd/system/wicketd.service"
		;;
	wicket-cli_*)
		check "wicket-cli package: /usr/bin/wicket" \
		    contains "$c" " ./usr/bin/wicket"
		;;
	esac
done
shopt -u nullglob

finish
