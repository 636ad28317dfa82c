#!/usr/bin/env bash
# Builds the console's web assets into OUTDIR (default: build/web):
# `npm ci` in web/ when node_modules is missing or older than the lock
# file, then web/build.mjs copies what the console serves.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/build/web}
web=$here/web
stamp=$web/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ "$web/package-lock.json" -nt "$stamp" ]; then
	(cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
fi
node "$web/build.mjs" "$out"
