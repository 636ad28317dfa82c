#!/usr/bin/env bash
# The serve flags this round added (agent admission, recordings): a bad
# value is a usage error (exit 2) that names the flag and its range, and
# nothing starts: no listener, nothing created in the data dir.
. "$(dirname "$0")/lib.sh"

DATA="$T/data"
PORT=$(free_port)
bad() {	# bad "FLAG VALUE" RANGE-TEXT
	local out rc=0
	# shellcheck disable=SC2086
	out=$("$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
	    $1 2>&1) || rc=$?
	check "$1: exit 2" test "$rc" -eq 2
	check "$1: names the flag and its range" contains "$out" "$2"
}
bad "--agent-admit-rate x" "--agent-admit-rate must be 0..1000000"
bad "--agent-admit-rate 1000001" "--agent-admit-rate must be 0..1000000"
bad "--agent-admit-rate -1" "--agent-admit-rate must be 0..1000000"
bad "--recording-max-bytes 4095" "--recording-max-bytes must be 4096..1073741824"
bad "--recording-max-bytes 1x" "--recording-max-bytes must be 4096..1073741824"
bad "--recording-retention -1" "--recording-retention must be 0..36500"
bad "--recording-retention 36501" "--recording-retention must be 0..36500"
check "nothing was created" test ! -e "$DATA"
finish
