#!/usr/bin/env bash
# The project's own load runner (examples/load) over the scenarios issue 7 names,
# ROUNDS runs each, one JSON line per run: durable ingress (1 room and 100 rooms) on
# SQLite and, with PG_URL set, PostgreSQL; idle connections; connects per second.
# Then a rate ladder for the 100x10 scenario with wsload (roomd only; the reference
# hub's figure is in the wsload README).
# Usage: [PG_URL=postgres://…] benches/scripts/load_matrix.sh [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
. benches/scripts/lib.sh
ROUNDS=${1:-3}
build_all
cargo build --release --quiet --example load
L=target/release/examples/load
PG_ARGS=()
for r in $(seq 1 "$ROUNDS"); do
  $L ingress --senders 100 --rooms 1 --window 64 --duration 5 --warmup 1 || true
  $L ingress --senders 100 --rooms 100 --window 64 --duration 5 --warmup 1 || true
  if [ -n "${PG_URL:-}" ]; then
    for rooms in 1 100; do
      schema="load_$RANDOM$RANDOM"
      psql -q "$PG_URL" -c "CREATE SCHEMA $schema" >/dev/null
      $L ingress --senders 100 --rooms $rooms --window 64 --duration 5 --warmup 1 \
        --database-url "$PG_URL?options=-csearch_path%3D$schema" || true
      psql -q "$PG_URL" -c "DROP SCHEMA $schema CASCADE" >/dev/null
    done
  fi
  $L idle --conns 9000 --members 10 --hold 5 || true
  $L connect --concurrency 16 --duration 5 --members 10 || true
done
trap 'stop_server' EXIT
for rate in 2000 5000 10000 20000; do
  start_server 18270 ROOMD__ROOMS__AUTO_CREATE=true
  make_tokens 10
  echo "{\"scenario\":\"ladder\",\"rate\":$rate,\"load\":$(wsload_run --conns 1000 --rooms 100 --senders 1000 --rate $rate --warmup 1 --duration 10)}"
  stop_server
done
