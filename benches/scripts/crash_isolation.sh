#!/usr/bin/env bash
# Other rooms' delivery latency with and without one room crashed 100 times a second.
# 100 rooms x 10 members, everyone sends, 1000 msg/s in total (wsload), alternating
# runs with and without `examples/crash_drill` hammering a room outside the load.
# Usage: benches/scripts/crash_isolation.sh [ROUNDS=3] [SECS=10]
set -euo pipefail
cd "$(dirname "$0")/../.."
. benches/scripts/lib.sh
ROUNDS=${1:-3}; SECS=${2:-10}
build_all
cargo build --release --quiet --example crash_drill
trap 'stop_server' EXIT
start_server 18200 ROOMD__ROOMS__AUTO_CREATE=true ROOMD__DEBUG__FAULT_INJECTION=true \
  ROOMD__SUPERVISOR__MAX_RESTARTS=100000000 ROOMD__SUPERVISOR__WINDOW_SECS=1 ROOMD__SUPERVISOR__BACKOFF_MIN_MS=0
api rooms '{"id":"crashme"}' >/dev/null
make_tokens 10
run() { wsload_run --conns 1000 --rooms 100 --senders 1000 --rate 1000 --duration "$SECS"; }
for r in $(seq 1 "$ROUNDS"); do
  echo "{\"round\":$r,\"crashing\":false,\"load\":$(run)}"
  target/release/examples/crash_drill "http://127.0.0.1:$PORT" "$ADMIN" crashme 100 $((SECS + 4)) >"$WORK/drill.json" &
  DRILL=$!
  echo "{\"round\":$r,\"crashing\":true,\"load\":$(run)}"
  wait $DRILL
  echo "{\"round\":$r,\"drill\":$(cat "$WORK/drill.json")}"
done
