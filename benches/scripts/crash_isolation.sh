#!/usr/bin/env bash
# Other rooms' delivery latency with and without one room crashed 100 times a second.
# 100 rooms x 10 members, everyone sends, 1000 msg/s in total (wsload), alternating
# runs with and without `examples/crash_drill` hammering a room outside the load.
# Usage: benches/scripts/crash_isolation.sh [ROUNDS=3] [SECS=10]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}; SECS=${2:-10}; PORT=18200
cargo build --release --quiet
cargo build --release --quiet --example crash_drill
cargo build --release --quiet --manifest-path ../shared/tools/wsload/Cargo.toml --target-dir target/wsload
W=target/wsload/release/wsload
work=$(mktemp -d); trap 'kill $SRV 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$work" && ROOMD__SERVER__BIND=127.0.0.1:$PORT ROOMD__LOG__LEVEL=warning ROOMD__ROOMS__AUTO_CREATE=true \
  ROOMD__DEBUG__FAULT_INJECTION=true ROOMD__SUPERVISOR__MAX_RESTARTS=100000000 ROOMD__SUPERVISOR__WINDOW_SECS=1 \
  ROOMD__SUPERVISOR__BACKOFF_MIN_MS=0 ROOMD__LIMITS__MSGS_PER_SEC=100000 ROOMD__LIMITS__BURST=100000 \
  exec "$OLDPWD/target/release/roomd" serve >"$work/out.log" 2>"$work/err.log") &
SRV=$!
for _ in $(seq 1 50); do grep -q '^rmd_' "$work/err.log" 2>/dev/null && break; sleep 0.1; done
ADMIN=$(grep '^rmd_' "$work/err.log")
api() { curl -sf -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/api/v1/$1" -d "$2"; }
api rooms '{"id":"crashme"}' >/dev/null
for i in $(seq 1 10); do api tokens "{\"kind\":\"user\",\"name\":\"load$i\"}" | sed 's/.*"token":"\([^"]*\)".*/\1/'; echo; done >"$work/tokens.txt"
run() {
  $W run --url "ws://127.0.0.1:$PORT/ws?token={token}" --token-file "$work/tokens.txt" --adapter json \
    --hello '"type":"hello"' --join '{"type":"join","room":"{room}"}' --join-ack '"type":"joined"' \
    --send '{"type":"send","room":"{room}","text":"{payload}","client_id":"{id}"}' --recv-match '"type":"message"' \
    --conns 1000 --rooms 100 --senders 1000 --rate 1000 --duration "$SECS" --server-pid $SRV 2>/dev/null
}
for r in $(seq 1 "$ROUNDS"); do
  echo "{\"round\":$r,\"crashing\":false,\"load\":$(run)}"
  target/release/examples/crash_drill "http://127.0.0.1:$PORT" "$ADMIN" crashme 100 $((SECS + 4)) >"$work/drill.json" &
  DRILL=$!
  echo "{\"round\":$r,\"crashing\":true,\"load\":$(run)}"
  wait $DRILL
  echo "{\"round\":$r,\"drill\":$(cat "$work/drill.json")}"
done
