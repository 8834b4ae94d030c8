#!/usr/bin/env bash
# A/B of two roomd binaries on the 100 rooms x 10 scenario (wsload, everyone sends,
# RATE msg/s in total, 10 s measured), alternating, ROUNDS rounds.
# Usage: benches/scripts/ab.sh OLD_BIN NEW_BIN [RATE=1000] [ROUNDS=3]
set -euo pipefail
OLD=$(realpath "$1"); NEW=$(realpath "$2"); RATE=${3:-1000}; ROUNDS=${4:-3}
cd "$(dirname "$0")/../.."
. benches/scripts/lib.sh
build_all
trap 'stop_server' EXIT
for r in $(seq 1 "$ROUNDS"); do
  for which in old new; do
    if [ $which = old ]; then bin=$OLD; else bin=$NEW; fi
    ROOMD_BIN=$bin start_server 18250 ROOMD__ROOMS__AUTO_CREATE=true
    make_tokens 10
    echo "{\"round\":$r,\"bin\":\"$which\",\"load\":$(wsload_run --conns 1000 --rooms 100 --senders 1000 --rate "$RATE" --warmup 1 --duration 10)}"
    stop_server
  done
done
