#!/usr/bin/env bash
# Builds the Debian packages (wicket-host, and unless --host-only also
# wicket-cli and wicketd) with the standard tools: installs the missing
# build dependencies with apt-get (as root), copies the source tree to a
# scratch directory under build/ (so the package build never writes into
# the working tree), runs `dpkg-buildpackage -us -uc -b` there and leaves
# the .deb files in build/deb/.
#
# usage: scripts/build-deb.sh [--host-only] [--jobs N] [--out DIR] [--keep]
#   --host-only  build only wicket-host (build profile pkg.wicket.hostonly)
#   --jobs N     parallel jobs (default: 2, the project's build machines)
#   --out DIR    where the packages go (default: build/deb)
#   --keep       keep the scratch copy and build tree (build/deb-work)
# DEB_BUILD_OPTIONS is passed through (e.g. nocheck).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
out="$src/build/deb"
jobs=2
host_only=0
keep=0

while [ $# -gt 0 ]; do
	case "$1" in
	--host-only) host_only=1 ;;
	--jobs)
		[ $# -ge 2 ] || { echo "build-deb: --jobs needs N" >&2; exit 2; }
		jobs=$2; shift ;;
	--out)
		[ $# -ge 2 ] || { echo "build-deb: --out needs DIR" >&2; exit 2; }
		out=$2; shift ;;
	--keep) keep=1 ;;
	-h|--help)
		sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
		exit 0 ;;
	*)
		echo "build-deb: unknown option: $1" >&2
		exit 2 ;;
	esac
	shift
done
case "$jobs" in
''|*[!0-9]*|0) echo "build-deb: bad --jobs: $jobs" >&2; exit 2 ;;
esac

have_pkg() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null |
	    grep -q "install ok installed"
}

apt_install() {	# apt_install ARGS...: refreshes the lists once on failure
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends "$@"; then
		apt-get update -q
		apt-get install -y -q --no-install-recommends "$@"
	fi
}

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "build-deb: missing $1; run as root or install it" >&2
		exit 1
	fi
}

# The packaging tools themselves.
tools=()
for p in dpkg-dev debhelper fakeroot; do
	have_pkg "$p" || tools+=("$p")
done
if [ "${#tools[@]}" -gt 0 ]; then
	need_root "${tools[*]}"
	echo "build-deb: installing ${tools[*]}"
	apt_install "${tools[@]}"
fi

# A scratch copy of the source tree: the working tree may be edited while
# we build, and dpkg-buildpackage writes obj-*/ and debian/<pkg>/ into the
# tree it builds. The .deb files land in its parent directory.
work="$src/build/deb-work"
rm -rf "$work"
mkdir -p "$work/wicket"
tar -C "$src" -cf - \
    --exclude=./build --exclude=./.git --exclude='./obj-*' \
    --exclude=node_modules --exclude=./demo --exclude=./.test-artifacts \
    --exclude=./debian/.debhelper --exclude=./debian/tmp \
    --exclude=./debian/files --exclude='./debian/*.substvars' \
    --exclude='./debian/*.debhelper.log' \
    --exclude=./debian/wicket-host --exclude=./debian/wicket-cli \
    --exclude=./debian/wicketd . |
    tar -C "$work/wicket" -xf -
cleanup() {
	if [ "$keep" -eq 0 ]; then
		rm -rf "$work"
	fi
}
trap cleanup EXIT

cd "$work/wicket"
profile_args=()
apt_profile_args=()
if [ "$host_only" -eq 1 ]; then
	profile_args=(-Ppkg.wicket.hostonly)
	apt_profile_args=(--build-profiles=pkg.wicket.hostonly)
fi

# The libraries and tools in Build-Depends.
if ! dpkg-checkbuilddeps "${profile_args[@]}" 2>"$work/builddeps.err"; then
	cat "$work/builddeps.err" >&2
	need_root "build dependencies"
	echo "build-deb: installing the build dependencies"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get build-dep -y -q "${apt_profile_args[@]}" ./; then
		apt-get update -q
		apt-get build-dep -y -q "${apt_profile_args[@]}" ./
	fi
fi

echo "build-deb: dpkg-buildpackage in $work/wicket"
dpkg-buildpackage -us -uc -b -J"$jobs" "${profile_args[@]}"

mkdir -p "$out"
rm -f "$out"/wicket*.deb "$out"/wicket*.ddeb "$out"/wicket*.buildinfo \
    "$out"/wicket*.changes
shopt -s nullglob
built=("$work"/*.deb "$work"/*.ddeb "$work"/*.buildinfo "$work"/*.changes)
if [ "${#built[@]}" -eq 0 ]; then
	echo "build-deb: dpkg-buildpackage produced no package" >&2
	exit 1
fi
mv "${built[@]}" "$out"/
echo "build-deb: packages in $out:"
for f in "$out"/*.deb; do
	echo "  $(basename "$f")"
done
