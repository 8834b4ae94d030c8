#!/usr/bin/env bash
# Times `roomd export` and `roomd import` on a store of MESSAGES messages (SQLite →
# file → PostgreSQL → file → SQLite, checking the two files are byte-identical), and
# the longest operator-post latency while `roomd backup` copies the live SQLite store
# (docs/OPERATIONS.md, "Measured"). The messages are bulk-inserted into the SQLite
# file first. PostgreSQL: a scratch database is created at PG_URL's server and dropped.
#
# Usage: benches/scripts/transfer_timing.sh
# Env: MESSAGES (default 200000), PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), ROOMD_BIN.
set -euo pipefail
cd "$(dirname "$0")/../.."
MESSAGES="${MESSAGES:-200000}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
cargo build -q --bin roomd
BIN="${ROOMD_BIN:-target/debug/roomd}"
WORK="$(mktemp -d)"
PGDB="roomd_transfer_$$"
SERVER_PID=""
POSTER_PID=""
cleanup() {
  [ -n "$POSTER_PID" ] && kill "$POSTER_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $PGDB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

SRC="sqlite://$WORK/src.db"
ROOMD__DATABASE__URL="$SRC" "$BIN" migrate >/dev/null
python3 - "$WORK/src.db" "$MESSAGES" <<'PY'
import sqlite3, sys
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
now = 1_780_000_000_000
rooms = 100
c.executemany("INSERT INTO rooms (id, name, tags, settings, created_at, updated_at) VALUES (?,?,?,?,?,?)",
              ((f"room-{i:03d}", f"Room {i}", '["bulk"]', '{"rules":"be kind"}', now, now) for i in range(rooms)))
c.executemany("INSERT INTO members (room_id, user_id, name, kind, joined_at, last_read_seq) VALUES (?,?,?,?,?,?)",
              ((f"room-{r:03d}", f"u{u}", f"u{u}", "user", now, 5) for r in range(rooms) for u in range(10)))
c.executemany("INSERT INTO messages (room_id, seq, sender_id, sender_name, sender_kind, text, client_id, ts) VALUES (?,?,?,?,?,?,?,?)",
              ((f"room-{i % rooms:03d}", i // rooms + 1, f"u{i % 10}", f"u{i % 10}", "user",
                f"message number {i} with some ordinary text in it", f"c{i}", now + i) for i in range(n)))
c.commit()
PY

timed() {  # timed LABEL CMD…: runs CMD, prints LABEL, the seconds it took, messages per second and peak RSS
  local label="$1"; shift
  local t0 t1
  t0=$(date +%s.%N); /usr/bin/time -f "%M" -o "$WORK/rss" "$@" 2>"$WORK/last.err"; t1=$(date +%s.%N)
  python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'  {sys.argv[3]:<30} {s:6.2f} s  {int(sys.argv[4])/s:8.0f} msg/s  peak RSS {int(sys.argv[5])//1024} MB')" \
    "$t0" "$t1" "$label" "$MESSAGES" "$(tail -1 "$WORK/rss")"
}
psql -q "$PG_URL" -c "CREATE DATABASE $PGDB" >/dev/null
PG="${PG_URL%/*}/$PGDB"
echo "$MESSAGES messages in 100 rooms, debug build:"
ROOMD__DATABASE__URL="$SRC" timed "export from SQLite" "$BIN" export --out "$WORK/1.jsonl" --no-timestamp
ROOMD__DATABASE__URL="$PG" timed "import into PostgreSQL" "$BIN" import --in "$WORK/1.jsonl"
ROOMD__DATABASE__URL="$PG" timed "export from PostgreSQL" "$BIN" export --out "$WORK/2.jsonl" --no-timestamp
ROOMD__DATABASE__URL="sqlite://$WORK/back.db" timed "import into SQLite" "$BIN" import --in "$WORK/2.jsonl"
cmp "$WORK/1.jsonl" "$WORK/2.jsonl" && echo "  SQLite and PostgreSQL exports are byte-identical ($(stat -c %s "$WORK/1.jsonl") bytes)"

# Backup of the live store while an operator posts messages one after another.
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ROOMD__DATABASE__URL="$SRC" ROOMD__SERVER__BIND="127.0.0.1:$PORT" ROOMD__LIMITS__ADMIN_PER_SEC=1000000 \
  ROOMD__LIMITS__ADMIN_BURST=1000000 "$BIN" serve >"$WORK/stdout" 2>"$WORK/stderr" &
SERVER_PID=$!
for _ in $(seq 1 300); do
  grep -q '"msg":"listening"' "$WORK/stdout" 2>/dev/null && grep -q '^rmd_' "$WORK/stderr" 2>/dev/null && break
  sleep 0.1
done
ADMIN="$(grep -m1 '^rmd_' "$WORK/stderr")"
python3 - "$PORT" "$ADMIN" "$WORK/lat" <<'PY' &
import http.client, json, sys, time
port, token, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port)
h = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
end = time.time() + 600
with open(out, "w") as f:
    while time.time() < end:
        t0 = time.time()
        c.request("POST", "/api/v1/rooms/room-000/messages", json.dumps({"text": "during the backup"}), h)
        r = c.getresponse(); r.read()
        t1 = time.time()
        f.write(f"{t0:.6f} {t1 - t0:.6f} {r.status}\n"); f.flush()
PY
POSTER_PID=$!
sleep 3
B0=$(date +%s.%N)
ROOMD__DATABASE__URL="$SRC" timed "backup of the live store" "$BIN" backup --out "$WORK/copy.db"
B1=$(date +%s.%N)
sleep 2
kill "$POSTER_PID"; POSTER_PID=""
python3 - "$WORK/lat" "$B0" "$B1" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
b0, b1 = float(sys.argv[2]), float(sys.argv[3])
def stats(sel):
    t = sorted(float(r[1]) * 1000 for r in sel)
    return f"{len(t)} posts, p50 {t[len(t)//2]:.1f} ms, max {t[-1]:.1f} ms" if t else "no posts"
print("  posts before the backup:  ", stats([r for r in rows if float(r[0]) < b0]))
print("  posts during the backup:  ", stats([r for r in rows if b0 <= float(r[0]) <= b1]))
bad = [r for r in rows if r[2] not in ("200", "201")]
print("  failed posts:", len(bad))
PY
