#!/usr/bin/env bash
# Durable ingress (100 rooms, one sender each, window 64) on an empty and on a busy
# store, OLD and NEW server binaries alternating, ROUNDS rounds (docs/PERFORMANCE.md,
# issue #22). SQLite runs print the -wal and database file sizes every 2 s.
# A busy store is made first with fill_store.sh (MESSAGES rows, default 10M).
# Usage: [PG_URL=postgres://…] benches/scripts/busy_store_ab.sh OLD NEW [ROUNDS=3] [MESSAGES]
set -euo pipefail
cd "$(dirname "$0")/../.."
OLD=$1 NEW=$2 ROUNDS=${3:-3} MESSAGES=${4:-10000000}
cargo build --release --quiet --example load
L=target/release/examples/load
WORK=$(mktemp -d)
ARGS=(ingress --senders 100 --rooms 100 --window 64 --duration 10 --warmup 1)
summary() { python3 -c "import json,sys
d=json.loads(sys.stdin.readlines()[-1])
print('acked/s', d['acked_per_s'], 'lost', d['lost'], 'dup', d['duplicated'], 'reordered', d['reordered'], 'server_cpu%', d['server']['cpu_pct'])"; }
# One SQLite run; DB (optional) is an existing store, TOKEN its admin token.
sqlite_run() {
  local bin=$1 db=${2:-} token=${3:-} out=$WORK/out extra=()
  [ -n "$db" ] && extra=(--database-url "sqlite://$db" --admin-token "$token")
  $L "${ARGS[@]}" --server-bin "$bin" "${extra[@]}" >"$out" 2>/dev/null &
  local lp=$! sizes=""
  sleep 1.5
  local f=${db:-$(readlink /proc/"$(pgrep -P $lp | head -1)"/cwd)/data/roomd.db}
  while kill -0 $lp 2>/dev/null; do
    sizes+="$(( $(stat -c %s "$f-wal" 2>/dev/null || echo 0) >> 20 ))/$(( $(stat -c %s "$f" 2>/dev/null || echo 0) >> 20 )) "
    sleep 2
  done
  echo "  wal/db MiB every 2 s: $sizes"
  echo "  $(summary <"$out")"
}
pg_run() {
  local bin=$1 url=$2 token=${3:-} extra=()
  [ -n "$token" ] && extra=(--admin-token "$token")
  echo "  $($L "${ARGS[@]}" --server-bin "$bin" --database-url "$url" "${extra[@]}" 2>/dev/null | summary)"
}
echo "== SQLite, empty store"
for r in $(seq 1 "$ROUNDS"); do for b in "$OLD" "$NEW"; do
  echo "$b (load $(cut -d' ' -f1-3 /proc/loadavg))"; sqlite_run "$b"; done; done
echo "== SQLite, busy store ($MESSAGES messages)"
TOKEN=$(benches/scripts/fill_store.sh "sqlite://$WORK/busy.db" "$MESSAGES" | tail -1)
for r in $(seq 1 "$ROUNDS"); do for b in "$OLD" "$NEW"; do
  echo "$b (load $(cut -d' ' -f1-3 /proc/loadavg))"; sqlite_run "$b" "$WORK/busy.db" "$TOKEN"; done; done
if [ -n "${PG_URL:-}" ]; then
  echo "== PostgreSQL, empty store (a fresh schema each run)"
  for r in $(seq 1 "$ROUNDS"); do for b in "$OLD" "$NEW"; do
    s="ab_$RANDOM$RANDOM"; psql -q "$PG_URL" -c "CREATE SCHEMA $s"
    echo "$b (load $(cut -d' ' -f1-3 /proc/loadavg))"; pg_run "$b" "$PG_URL?options=-csearch_path%3D$s"
    psql -q "$PG_URL" -c "DROP SCHEMA $s CASCADE" 2>/dev/null; done; done
  echo "== PostgreSQL, busy store ($MESSAGES messages)"
  s="busy_$RANDOM$RANDOM"; psql -q "$PG_URL" -c "CREATE SCHEMA $s"
  U="$PG_URL?options=-csearch_path%3D$s"
  TOKEN=$(benches/scripts/fill_store.sh "$U" "$MESSAGES" | tail -1)
  for r in $(seq 1 "$ROUNDS"); do for b in "$OLD" "$NEW"; do
    echo "$b (load $(cut -d' ' -f1-3 /proc/loadavg))"; pg_run "$b" "$U" "$TOKEN"; done; done
  psql -q "$PG_URL" -c "DROP SCHEMA $s CASCADE" 2>/dev/null
fi
rm -rf "$WORK"
