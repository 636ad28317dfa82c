#!/usr/bin/env bash
# bench_swarm (bench/, issue 14 item 5) does what its figures rely on: it
# refuses any endpoint that is not loopback before sending anything; it
# enrolls its agents through the real enrollment API (one join token
# each) and reuses them from its identities file; every agent holds a
# long-poll (wicketd's own held-polls gauge counts all of them); one push
# to every agent reaches every agent; after wicketd restarts, every agent
# comes back by itself. No timing is asserted.
. "$(dirname "$0")/lib.sh"

BS="$WK_BIN/bench_swarm"
DATA="$T/data"
PORT=$(free_port)
MPORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
METRICS="http://127.0.0.1:$MPORT/metrics"
N=200

log "non-loopback endpoints are refused"
for url in http://10.0.0.1:8443 http://192.0.2.7:80 http://0.0.0.0:80 \
    https://127.0.0.1:8443; do
	out=$("$BS" --endpoint "$url" --ids "$T/never" --agents 1 2>&1) && rc=0 || rc=$?
	check "$url refused (exit 2)" [ "$rc" -eq 2 ]
done
out=$("$BS" --endpoint http://127.0.0.1:1 --push-endpoint http://10.0.0.1:8443 \
    --ids "$T/never" --agents 1 2>&1) && rc=0 || rc=$?
check "a --push-endpoint that is not loopback is refused (exit 2)" [ "$rc" -eq 2 ]
check "nothing was written" [ ! -e "$T/never" ]
check "--help is the manual" contains "$("$BS" --help)" "EXIT STATUS"

serve() {
	"$WK_BIN/wicketd" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
	    --metrics-listen "127.0.0.1:$MPORT" --throttle-key 0 \
	    >>"$T/wicketd.log" 2>&1 &
	WICKETD_PID=$!
	PIDS+=("$WICKETD_PID")
	wait_tcp 127.0.0.1 "$PORT"
}

log "$N agents enroll, hold their polls, and each gets its push"
wicketd_init "$DATA" --account-id 123456789012 --region us-east-1 >/dev/null
serve
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
AWS_ACCESS_KEY_ID=$(awk -F' *= *' '/aws_access_key_id/{print $2; exit}' "$DATA/credentials")
AWS_SECRET_ACCESS_KEY=$(awk -F' *= *' '/aws_secret_access_key/{print $2; exit}' "$DATA/credentials")
out=$("$BS" --endpoint "$ENDPOINT" --data "$DATA" --ids "$T/ids" --agents "$N" \
    --per-addr 20 --metrics "$METRICS" --push-each 2>&1) && rc=0 || rc=$?
echo "$out"
check "run succeeded" [ "$rc" -eq 0 ]
check "$N enrolled" contains "$out" "swarm: enrolled=$N "
check "all held (wicketd's gauge)" contains "$out" "waiting=$N held=$N "
check "every agent got its record" contains "$out" "pushes=$N delivered=$N refused=0"
check "identities file is 0600" [ "$(stat -c %a "$T/ids")" = 600 ]
check "$N identities kept" [ "$(wc -l <"$T/ids")" -eq "$N" ]
if command -v sqlite3 >/dev/null; then
	check "$N instances registered" [ "$(sqlite3 "$DATA/wicket.db" 'select count(*) from instances')" -eq "$N" ]
fi
check "$N enrollments allowed" [ "$(grep -c 'outcome=allow instance=' "$T/wicketd.log")" -eq "$N" ]
check "10 source addresses seen" [ "$(grep -o 'source_ip=127\.100\.[0-9.]*' "$T/wicketd.log" | sort -u | wc -l)" -eq 10 ]

log "a second run reuses the identities; all come back after a restart"
"$BS" --endpoint "$ENDPOINT" --ids "$T/ids" --agents "$N" --per-addr 20 \
    --metrics "$METRICS" --watch 12 >"$T/swarm2.out" 2>&1 &
SW=$!
PIDS+=("$SW")
for _ in $(seq 1 100); do
	grep -q "swarm: agents=" "$T/swarm2.out" && break
	sleep 0.1
done
check "second run connected without enrolling" eval '! grep -q "enrolled=" "$T/swarm2.out" && grep -q "waiting=$N held=$N " "$T/swarm2.out"'
wicketd_stop
serve
wait "$SW" && rc=0 || rc=$?
cat "$T/swarm2.out"
check "second run exits 0" [ "$rc" -eq 0 ]
check "agents noticed the restart" grep -q "first_failure=yes" "$T/swarm2.out"
check "all $N held again" grep -q "swarm: all_back agents=$N " "$T/swarm2.out"
finish
