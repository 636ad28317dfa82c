#!/usr/bin/env bash
# Every keystroke typed into a browser terminal gets its echo (issue 14
# item 10): 20 terminals through a real sshd, 4,000 keys, 4 in flight per
# terminal, through bench/bench_term_stress.sh (the bench's own client and
# setup). Output that libssh takes off the SSH socket outside the bridge's
# own reads (while flushing a keystroke, while polling the other stream)
# used to wait in libssh's buffer for the next packet: an echo that never
# came when the typing stopped. The bench exits 3 when any echo is lost or
# a byte comes that is not the next echo; no timing is asserted (an echo
# counts as late only after 60 s, and the last one is awaited 30 s).
. "$(dirname "$0")/lib.sh"
out=$(WK_SOURCE=$WK_SOURCE WK_BIN=$WK_BIN WK_PIPELINE=4 WK_ECHO_SAMPLES=200 \
    WK_LATE_MS=60000 WK_DRAIN_MS=30000 WK_OPEN_AT_ONCE=5 \
    bash "$WK_SOURCE/bench/bench_term_stress.sh" 20 4000 2>&1) || {
	printf '%s\n' "$out" | grep -v 'event=' | tail -30
	fail "bench_term_stress reported lost or wrong echoes"
}
printf '%s\n' "$out" | grep -E '^(opened|stress)'
printf '%s\n' "$out" | grep -q '^opened 20 of 20 terminals' ||
    fail "not every terminal opened"
printf '%s\n' "$out" | grep -q ', 0 lost, 0 unexpected bytes, 0 terminals closed' ||
    fail "echoes lost"
pass "4,000 keys over 20 terminals: every echo arrived, in order"
finish
