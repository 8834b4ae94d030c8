#!/usr/bin/env bash
# Times the first page of GET /api/v1/rooms (limit=50) for each sort with 100,000 rooms
# in an SQLite store (docs/PERFORMANCE.md, "Room list"). The rooms, 150,000 memberships
# and 300,000 messages (over 30,000 rooms) are bulk-inserted into the store file before
# the server starts (the API would take far too long).
#
# Usage: benches/scripts/room_list_timing.sh [--release]   Env: ROOMS (default 100000), RUNS (default 30), ROOMD_BIN.
set -euo pipefail
cd "$(dirname "$0")/../.."
PROFILE=debug
[ "${1:-}" = "--release" ] && PROFILE=release
ROOMS="${ROOMS:-100000}"
RUNS="${RUNS:-30}"
if [ "$PROFILE" = release ]; then cargo build -q --release --bin roomd; else cargo build -q --bin roomd; fi
BIN="${ROOMD_BIN:-target/$PROFILE/roomd}"  # ROOMD_BIN: time another build (e.g. before a change)

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export ROOMD__DATABASE__URL="sqlite://$WORK/roomd.db"
"$BIN" migrate >/dev/null
python3 - "$WORK/roomd.db" "$ROOMS" <<'PY'
import sqlite3, sys
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
now = 1_780_000_000_000
c.executemany("INSERT INTO rooms (id, name, tags, settings, created_at, updated_at) VALUES (?,?,?,?,?,?)",
              ((f"room-{i:06d}", f"Room {(i * 7919) % n:06d}", '["bulk"]', "{}", now, now) for i in range(n)))
c.executemany("INSERT INTO members (room_id, user_id, name, kind, joined_at) VALUES (?,?,?,?,?)",
              ((f"room-{i % n:06d}", f"u{i}", f"u{i}", "user", now) for i in range(n * 3 // 2)))
c.executemany("INSERT INTO messages (room_id, seq, sender_id, sender_name, sender_kind, text, ts) VALUES (?,?,?,?,?,?,?)",
              ((f"room-{(r * 37) % n:06d}", s, "u0", "u0", "user", "hello", now + r * 10 + s)
               for r in range(n * 3 // 10) for s in range(1, 11)))
# What the store writer keeps for stored messages (roomd import does the same).
c.execute("UPDATE rooms SET last_message_at = COALESCE((SELECT m.ts FROM messages m WHERE m.room_id = rooms.id ORDER BY m.seq DESC LIMIT 1), 0)")
c.commit()
PY

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ROOMD__SERVER__BIND="127.0.0.1:$PORT" ROOMD__LIMITS__ADMIN_PER_SEC=1000000 ROOMD__LIMITS__ADMIN_BURST=1000000 \
  "$BIN" serve >"$WORK/stdout" 2>"$WORK/stderr" &
SERVER_PID=$!
for _ in $(seq 1 300); do
  grep -q '"msg":"listening"' "$WORK/stdout" 2>/dev/null && grep -q '^rmd_' "$WORK/stderr" 2>/dev/null && break
  sleep 0.1
done
ADMIN="$(grep -m1 '^rmd_' "$WORK/stderr")"

echo "GET /api/v1/rooms?limit=50, $ROOMS rooms, $PROFILE build, $RUNS runs each (ms):"
for query in "sort=id" "sort=name" "sort=activity" "sort=members" "sort=id&status=stopped" "sort=id&q=room-0999"; do
  for _ in $(seq 1 "$RUNS"); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $ADMIN" \
      "http://127.0.0.1:$PORT/api/v1/rooms?limit=50&$query"
  done | python3 -c '
import sys
t = sorted(float(x) * 1000 for x in sys.stdin)
print(f"  {sys.argv[1]:<24} p50 {t[len(t) // 2]:7.1f}  p99 {t[min(len(t) - 1, int(len(t) * 0.99))]:7.1f}  max {t[-1]:7.1f}")
' "$query"
done
# The console's room list on the same store: first page rendered in headless Chromium
# (needs `npm ci` in tests/console and Debian's chromium; skipped without them).
if [ -d tests/console/node_modules/playwright-core ] && command -v chromium >/dev/null 2>&1; then
  node tests/console/measure-room-list.mjs "http://127.0.0.1:$PORT" "$ADMIN" "$RUNS"
else
  echo "(console timing skipped: run npm ci in tests/console and install chromium)"
fi
