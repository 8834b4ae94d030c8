#!/usr/bin/env bash
# roomd against wsload's reference hub (a bare tokio hub that stores nothing), side by
# side on this machine, alternating, ROUNDS rounds: (a) fan-out 1 room x 1000, one
# sender, window 64; (b) 100 rooms x 10, everyone sends, latency at 1k and 10k msg/s;
# then once: (c) 10,000 idle joined connections (memory per connection, connects/s).
# roomd runs release on SQLite, every message stored and acked before fan-out.
# Usage: benches/scripts/vs_reference.sh [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
. benches/scripts/lib.sh
ROUNDS=${1:-3}
build_all
REF_PORT=${REF_PORT:-18260}
ROOMD_PORT=${ROOMD_PORT:-18261}
SCENARIOS=" ${SCENARIOS:-fanout rooms_1k rooms_10k rooms_w8 idle} "
trap 'stop_server; kill $REF 2>/dev/null || true' EXIT
ref_start() { $W reference-server --port $REF_PORT --threads 2 >/dev/null 2>&1 & REF=$!; sleep 0.5; }
ref_stop() { kill $REF 2>/dev/null || true; wait $REF 2>/dev/null || true; }
ref_run() {
  $W run --url "ws://127.0.0.1:$REF_PORT/" --adapter reference --server-pid $REF "$@" 2>/dev/null
}
scenario() { # NAME ARGS…
  local name=$1; shift
  [[ $SCENARIOS == *" $name "* ]] || return 0
  ref_start
  echo "{\"round\":$r,\"scenario\":\"$name\",\"server\":\"reference\",\"load\":$(ref_run "$@")}"
  ref_stop
  start_server $ROOMD_PORT ROOMD__ROOMS__AUTO_CREATE=true
  make_tokens 10
  echo "{\"round\":$r,\"scenario\":\"$name\",\"server\":\"roomd\",\"load\":$(wsload_run "$@")}"
  stop_server
}
for r in $(seq 1 "$ROUNDS"); do
  scenario fanout --conns 1000 --rooms 1 --senders 1 --window 64 --warmup 1 --duration 5
  scenario rooms_1k --conns 1000 --rooms 100 --senders 1000 --rate 1000 --warmup 1 --duration 10
  scenario rooms_10k --conns 1000 --rooms 100 --senders 1000 --rate 10000 --warmup 1 --duration 10
  scenario rooms_w8 --conns 1000 --rooms 100 --senders 1000 --rate 0 --window 8 --warmup 1 --duration 5
done
[[ $SCENARIOS == *" idle "* ]] || exit 0
r=1
ref_start
echo "{\"round\":1,\"scenario\":\"idle\",\"server\":\"reference\",\"load\":$($W capacity --url "ws://127.0.0.1:$REF_PORT/" --adapter reference --conns 10000 --room-size 10 --hold 10 --read-buf 1024 --src-addrs 4 --server-pid $REF 2>/dev/null)}"
ref_stop
start_server $ROOMD_PORT ROOMD__ROOMS__AUTO_CREATE=true
make_tokens 10
echo "{\"round\":1,\"scenario\":\"idle\",\"server\":\"roomd\",\"load\":$($W capacity --url "ws://127.0.0.1:$PORT/ws?token={token}" --token-file "$WORK/tokens.txt" --adapter json \
  --hello '"type":"hello"' --join '{"type":"join","room":"{room}"}' --join-ack '"type":"joined"' \
  --send '{"type":"send","room":"{room}","text":"{payload}"}' --conns 10000 --room-size 10 --hold 10 --src-addrs 4 --server-pid "$SRV" 2>/dev/null)}"
stop_server
