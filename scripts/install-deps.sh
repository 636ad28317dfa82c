#!/usr/bin/env bash
# Installs what building, running and testing wicket needs, from Debian's
# packages only. Idempotent: does nothing when everything is present.
set -euo pipefail

packages=(
	# build
	build-essential cmake pkg-config clang llvm libclang-rt-14-dev
	# libraries (ARCHITECTURE.md, "Dependencies")
	libmicrohttpd-dev libgnutls28-dev libwslay-dev libcurl4-openssl-dev
	libssl-dev
	libssh-dev libjansson-dev libsqlite3-dev libpq-dev libargon2-dev
	libsodium-dev libcmocka-dev libpam0g-dev
	# real peers and tools used by the demo and the tests
	openssh-server openssh-client awscli sqlite3 jq procps curl
	ca-certificates passwd
	# PostgreSQL for the store's tests on its second backend (initdb,
	# pg_ctl; tests/unit/store/pg_cluster.h, tests/e2e/pg_lib.sh)
	postgresql
	# promtool validates GET /metrics (tests/e2e/test_metrics.sh)
	prometheus
	# the browser console: assets built with npm, tested with chromium
	chromium nodejs
)
# npm: Debian packages it apart from nodejs; NodeSource's nodejs provides
# (and conflicts with) it, so it is only asked for when missing.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root (or install them) and retry" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
