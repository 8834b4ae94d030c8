#!/usr/bin/env bash
# Cost of mailbox metering: wsload's fan-out scenario (1 room x 1000 connections, one
# sender, window 64) against roomd with metering off (ROOMD__METRICS__ENABLED=false),
# on with every message timed (timing_sample=1) and on with one in 16 timed (16),
# alternating, ROUNDS rounds.
# Usage: benches/scripts/metrics_overhead.sh [ROUNDS=3] [SECS=5]
set -euo pipefail
cd "$(dirname "$0")/../.."
. benches/scripts/lib.sh
ROUNDS=${1:-3}; SECS=${2:-5}
build_all
trap 'stop_server' EXIT
for r in $(seq 1 "$ROUNDS"); do
  for setting in off 1 16; do
    if [ "$setting" = off ]; then metrics=(ROOMD__METRICS__ENABLED=false); else
      metrics=(ROOMD__METRICS__ENABLED=true ROOMD__METRICS__TIMING_SAMPLE=$setting); fi
    start_server 18210 "${metrics[@]}" ROOMD__ROOMS__AUTO_CREATE=true
    make_tokens 10
    echo "{\"round\":$r,\"metrics\":\"$setting\",\"load\":$(wsload_run --conns 1000 --rooms 1 --senders 1 --window 64 --warmup 1 --duration "$SECS")}"
    stop_server
  done
done
