#!/usr/bin/env bash
# A/B of two roomd binaries, alternating, ROUNDS rounds, with wsload: the 100 rooms x 10
# scenario (everyone sends, RATE msg/s in total, 10 s measured) and, with
# SCENARIO=fanout, 1 room x 1000 with one sender and a window of 64 (5 s measured); with
# SCENARIO=rooms_w8, 100 rooms x 10, all 1000 sending as fast as a window of 8 allows
# (5 s measured); with SCENARIO=connects, 10,000 connections opened and joined to rooms
# of 10 (1,000 rooms created by their first join; wsload `capacity`, as in
# vs_reference.sh's idle round). PORT_AB moves the server (default 18250). PG_URL
# (postgres://user@host:port, no database) runs each server on a PostgreSQL database
# created empty for the run and dropped after it.
# Usage: [SCENARIO=rooms|fanout|rooms_w8|connects] benches/scripts/ab.sh OLD_BIN NEW_BIN [RATE=1000] [ROUNDS=3]
set -euo pipefail
OLD=$(realpath "$1"); NEW=$(realpath "$2"); RATE=${3:-1000}; ROUNDS=${4:-3}
cd "$(dirname "$0")/../.."
. benches/scripts/lib.sh
build_wsload
SCENARIO=${SCENARIO:-rooms}
trap 'stop_server' EXIT
for r in $(seq 1 "$ROUNDS"); do
  for which in old new; do
    if [ $which = old ]; then bin=$OLD; else bin=$NEW; fi
    db=()
    if [ -n "${PG_URL:-}" ]; then
      PGOPTIONS=--client-min-messages=warning psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS roomd_ab" -c "CREATE DATABASE roomd_ab"
      db=(ROOMD__DATABASE__URL="$PG_URL/roomd_ab")
    fi
    ROOMD_BIN=$bin start_server "${PORT_AB:-18250}" ROOMD__ROOMS__AUTO_CREATE=true "${db[@]}"
    make_tokens 10
    if [ "$SCENARIO" = connects ]; then
      load=$($W capacity --url "ws://127.0.0.1:$PORT/ws?token={token}" --token-file "$WORK/tokens.txt" --adapter json \
        --hello '"type":"hello"' --join '{"type":"join","room":"{room}"}' --join-ack '"type":"joined"' \
        --send '{"type":"send","room":"{room}","text":"{payload}"}' --conns 10000 --room-size 10 --hold 3 \
        --src-addrs 4 --server-pid "$SRV" 2>/dev/null)
    elif [ "$SCENARIO" = fanout ]; then
      load=$(wsload_run --conns 1000 --rooms 1 --senders 1 --window 64 --warmup 1 --duration 5)
    elif [ "$SCENARIO" = rooms_w8 ]; then
      load=$(wsload_run --conns 1000 --rooms 100 --senders 1000 --rate 0 --window 8 --warmup 1 --duration 5)
    else
      load=$(wsload_run --conns 1000 --rooms 100 --senders 1000 --rate "$RATE" --warmup 1 --duration 10)
    fi
    echo "{\"round\":$r,\"scenario\":\"$SCENARIO\",\"bin\":\"$which\",\"load\":$load}"
    stop_server
    if [ -n "${PG_URL:-}" ]; then PGOPTIONS=--client-min-messages=warning psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS roomd_ab"; fi
  done
done
