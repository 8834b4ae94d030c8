#!/usr/bin/env bash
# Ack latency of live posts while retention purges a big backlog (docs/CONFIG.md,
# "Retention"). A store gets MESSAGES messages 10 days old in room `big` (bulk-inserted
# before the server starts); the server runs with rooms.retention_days = 0 (baseline) and
# then = 1 (the purge starts at the first sweep, 2 s after start); meanwhile SENDS posts
# to room `live`, one at a time, each answered once committed (POST
# /api/v1/rooms/live/messages waits for the commit, like a WebSocket ack). Prints p50,
# p99 and max per run, and how long the purge took.
#
# Usage: benches/scripts/retention_pacing.sh   Env: MESSAGES (default 300000), SENDS (default 2000),
#        BATCH, PAUSE_MS (rooms.retention_batch_rows, rooms.retention_pause_ms; default 200, 50),
#        PG_ADMIN_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres: also run on PostgreSQL), ROOMD_BIN.
set -euo pipefail
cd "$(dirname "$0")/../.."
MESSAGES="${MESSAGES:-300000}"
SENDS="${SENDS:-2000}"
BATCH="${BATCH:-200}"        # rooms.retention_batch_rows
PAUSE_MS="${PAUSE_MS:-50}"   # rooms.retention_pause_ms
cargo build -q --bin roomd
BIN="$(pwd)/${ROOMD_BIN:-target/debug/roomd}"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

fill() { # URL: a fresh store with the backlog
  local url=$1
  ROOMD__DATABASE__URL="$url" "$BIN" migrate >/dev/null
  local old=$(( ($(date +%s) - 10 * 86400) * 1000 ))
  local sql="INSERT INTO rooms (id, name, tags, settings, created_at, updated_at) VALUES
    ('big','big','[]','{}',$old,$old), ('live','live','[]','{}',$old,$old);"
  case "$url" in
    sqlite://*)
      python3 - "${url#sqlite://}" "$MESSAGES" "$old" "$sql" <<'PY'
import sqlite3, sys
db, n, old, sql = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
c = sqlite3.connect(db)
c.executescript(sql)
c.executemany("INSERT INTO messages (room_id, seq, sender_id, sender_name, sender_kind, text, ts) VALUES (?,?,?,?,?,?,?)",
              (("big", s, "u0", "u0", "user", "an old message of some length", old + s) for s in range(1, n + 1)))
c.commit()
PY
      ;;
    *)
      psql -q "$url" -c "$sql" -c "INSERT INTO messages (room_id, seq, sender_id, sender_name, sender_kind, text, ts)
        SELECT 'big', s, 'u0', 'u0', 'user', 'an old message of some length', $old + s FROM generate_series(1, $MESSAGES) s;"
      ;;
  esac
}

run() { # URL DAYS LABEL
  local url=$1 days=$2 label=$3
  fill "$url"
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  (cd "$WORK" && exec env ROOMD__DATABASE__URL="$url" ROOMD__SERVER__BIND="127.0.0.1:$port" ROOMD__LOG__LEVEL=warning \
    ROOMD__LIMITS__ADMIN_PER_SEC=1000000 ROOMD__LIMITS__ADMIN_BURST=1000000 \
    ROOMD__ROOMS__RETENTION_DAYS="$days" ROOMD__ROOMS__RETENTION_CHECK_SECS=2 \
    ROOMD__ROOMS__RETENTION_BATCH_ROWS="$BATCH" ROOMD__ROOMS__RETENTION_PAUSE_MS="$PAUSE_MS" \
    "$BIN" serve >"$WORK/out.log" 2>"$WORK/err.log") &
  SERVER_PID=$!
  for _ in $(seq 1 300); do grep -q '^rmd_' "$WORK/err.log" 2>/dev/null && break; sleep 0.1; done
  local admin
  admin="$(grep -m1 '^rmd_' "$WORK/err.log")"
  sleep 3
  python3 - "$port" "$admin" "$SENDS" "$label" "$MESSAGES" "$days" <<'PY'
import http.client, json, sys, time
port, admin, sends, label, backlog, days = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6]
c = http.client.HTTPConnection("127.0.0.1", int(port))
h = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
def deleted():
    c.request("GET", "/metrics"); body = c.getresponse().read().decode()
    return int(float(next(l.split()[1] for l in body.splitlines() if l.startswith("roomd_retention_deleted_total "))))
start_deleted, t0 = deleted(), time.monotonic()
lat = []
for i in range(sends):
    t = time.monotonic()
    c.request("POST", "/api/v1/rooms/live/messages", json.dumps({"text": f"live {i}"}), h)
    r = c.getresponse(); r.read()
    assert r.status == 201, r.status
    lat.append((time.monotonic() - t) * 1000)
end_deleted = deleted()
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(len(lat) * q))]
print(f"{label:<34} p50 {p(0.5):6.2f} ms  p99 {p(0.99):6.2f} ms  max {lat[-1]:7.2f} ms  "
      f"(deleted during the sends: {end_deleted - start_deleted})")
if days != "0":
    while deleted() < backlog - 1:
        time.sleep(0.2)
    print(f"{'':<34} purge of {backlog - 1} messages done {time.monotonic() - t0:.1f} s after the sends began")
PY
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

echo "$SENDS posts, one at a time, debug build; backlog $MESSAGES messages; batches of $BATCH, $PAUSE_MS ms apart"
run "sqlite://$WORK/a.db" 0 "SQLite, retention off"
run "sqlite://$WORK/b.db" 1 "SQLite, purge running"
if [ -n "${PG_ADMIN_URL:-}" ]; then
  for db in retention_bench_a retention_bench_b; do
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  done
  base="${PG_ADMIN_URL%/*}"
  run "$base/retention_bench_a" 0 "PostgreSQL, retention off"
  run "$base/retention_bench_b" 1 "PostgreSQL, purge running"
  for db in retention_bench_a retention_bench_b; do psql -q "$PG_ADMIN_URL" -c "DROP DATABASE $db"; done
fi
