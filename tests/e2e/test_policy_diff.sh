#!/usr/bin/env bash
# test_policy_diff.sh - the differential test of the policy engine: seeded
# policy/request cases (tests/diff/gen.mjs) evaluated by wicket's engine
# ($WK_BIN/policy_eval) and by @cloud-copilot/iam-simulate; fails on any
# disagreement outside the documented classes of tests/diff/DISAGREEMENTS.md.
# Env: WK_BIN (build dir), WK_SOURCE, WK_DIFF_N (cases per seed, 3000),
# WK_DIFF_SEEDS (default "1 3 7").
set -euo pipefail

WK_SOURCE=${WK_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WK_BIN=${WK_BIN:-$WK_SOURCE/build/dev}
N=${WK_DIFF_N:-3000}
SEEDS=${WK_DIFF_SEEDS:-1 3 7}
DIFF=$WK_SOURCE/tests/diff

fail() {
	echo "test_policy_diff: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

command -v node >/dev/null || fail "node is not installed"
[ -x "$WK_BIN/policy_eval" ] ||
	fail "$WK_BIN/policy_eval missing (build the policy_eval target)"
if [ ! -d "$DIFF/node_modules/@cloud-copilot/iam-simulate" ]; then
	(cd "$DIFF" && npm ci --no-audit --no-fund --loglevel=error) ||
		fail "npm ci failed in $DIFF"
fi

passed=0
failed=0
for seed in $SEEDS; do
	out=$(mktemp)
	rc=0
	node "$DIFF/run.mjs" --bin "$WK_BIN/policy_eval" --n "$N" \
	    --seed "$seed" --show 5 | tee "$out" || rc=$?
	last=$(tail -n 1 "$out")
	rm -f "$out"
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
	else
		failed=$((failed + 1))
	fi
	[ "$rc" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
