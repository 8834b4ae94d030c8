#!/usr/bin/env bash
# The worked example of docs/TUNING.md: 100 rooms x 10 connections, everyone sends,
# RATE msg/s in total, with store.batch_max_delay_us = 0 and then DELAY; after each
# run, the store and mailbox figures from /metrics and the busiest actors.
# Usage: benches/scripts/tuning_example.sh [RATE=5000] [DELAY=2000] [SECS=10]
set -euo pipefail
cd "$(dirname "$0")/../.."
. benches/scripts/lib.sh
RATE=${1:-5000}; DELAY=${2:-2000}; SECS=${3:-10}
build_all
trap 'stop_server' EXIT
figures() {
  curl -s "http://127.0.0.1:$PORT/metrics" | python3 -c '
import sys, re
v = {}
for l in sys.stdin:
    if l.startswith("#"): continue
    k, _, x = l.rpartition(" ")
    v[k] = float(x)
rows, commits = v["roomd_store_batch_rows_sum"], v["roomd_store_batch_rows_count"]
def q(prefix, label, quant):
    bs = sorted((float(re.search(r"le=\"([^\"]+)\"", k).group(1).replace("+Inf", "inf")), c)
                for k, c in v.items() if k.startswith(prefix + "_bucket{") and label in k)
    total = bs[-1][1]
    return next(le for le, c in bs if c >= quant * total) if total else 0
rejected = sum(c for k, c in v.items() if k.startswith("roomd_rejected_total{"))
print("{\"commits\":%d,\"rows_per_commit\":%.1f,\"commit_p99_le_ms\":%.3f,\"room_wait_p99_le_ms\":%.3f,\"session_wait_p99_le_ms\":%.3f,\"room_depth_max\":%d,\"rejected\":%d}" % (
    commits, rows / max(commits, 1), q("roomd_store_commit_seconds", "", 0.99) * 1e3,
    q("roomd_mailbox_wait_seconds", "actor=\"room\"", 0.99) * 1e3,
    q("roomd_mailbox_wait_seconds", "actor=\"session\"", 0.99) * 1e3,
    v["roomd_mailbox_depth_max{actor=\"room\"}"], rejected))'
}
for delay in 0 "$DELAY"; do
  start_server 18220 ROOMD__ROOMS__AUTO_CREATE=true ROOMD__STORE__BATCH_MAX_DELAY_US=$delay
  make_tokens 10
  load=$(wsload_run --conns 1000 --rooms 100 --senders 1000 --rate "$RATE" --warmup 1 --duration "$SECS")
  echo "{\"batch_max_delay_us\":$delay,\"metrics\":$(figures),\"load\":$load}"
  stop_server
done
