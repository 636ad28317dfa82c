#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test: unit and
# end-to-end tests (real sshd, ssh and aws CLI) in the normal build, the
# same tests again under AddressSanitizer + UndefinedBehaviorSanitizer, and
# each libFuzzer target briefly over its regression corpus.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
# The end-to-end tests spend most of their time waiting (sshd, agents'
# long-polls, a key's 60 s life), so ctest runs two more than the cores.
tests_jobs=$((jobs + 2))
scripts/install-deps.sh
scripts/check-banned.sh
scripts/check-layout.sh

echo "== build and test (gcc, hardened)"
cmake --preset dev >/dev/null
cmake --build --preset dev -j"$jobs"
ctest --preset dev -j"$tests_jobs"

echo "== build and test (clang, ASan + UBSan)"
cmake --preset asan-ubsan >/dev/null
cmake --build --preset asan-ubsan -j"$jobs"
ctest --preset asan-ubsan -j"$tests_jobs"

# Fuzzing here is a brief smoke run: every target first replays its whole
# regression corpus (libFuzzer runs all seed inputs before the clock
# matters), then mutates for WK_FUZZ_SECONDS (5 s; long campaigns belong
# outside CI).
fuzz_seconds=${WK_FUZZ_SECONDS:-5}
echo "== fuzz targets (regression corpus + ${fuzz_seconds}s each)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$jobs"
for f in build/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	corpus="fuzz/corpus/$name"
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
	echo "-- $name"
	"$f" -max_total_time="$fuzz_seconds" -max_len=16384 \
	    -print_final_stats=0 "$work" 2>&1 | tail -n 2
	rm -rf "$work"
done
echo "all tests passed"
