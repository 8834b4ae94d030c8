#!/usr/bin/env bash
# Fills a store with N messages fast, straight in SQL, for "a busy store" runs
# (docs/PERFORMANCE.md, issue #22): ROOMS filler rooms `fill-<r>` (not the load runner's
# rooms), 10 senders each, client ids `F<sender>:<n>` like the load runner's, so the
# dedupe index and `messages` are as large as after a long real run. Rows go in room
# by room (key order: interleaving the rooms made SQLite's index inserts random and the
# fill crawl at ~5 MB/s of log). Runs the migrations
# first (`roomd migrate`) and prints an admin token on the last line (the load runner's
# --admin-token, for a database that already has one).
# Usage: benches/scripts/fill_store.sh DATABASE_URL [MESSAGES=10000000] [ROOMS=1000]
#   DATABASE_URL: sqlite:///abs/path.db or postgres://… (with ?options=-csearch_path%3D…)
set -euo pipefail
cd "$(dirname "$0")/../.."
URL=$1
N=${2:-10000000}
ROOMS=${3:-1000}
BIN=${ROOMD_BIN:-target/release/roomd}
export ROOMD__DATABASE__URL=$URL
$BIN migrate >/dev/null
PER_ROOM=$(( (N + ROOMS - 1) / ROOMS ))
NOW_MS=$(( $(date +%s) * 1000 ))
ROOMS_SQL="INSERT INTO rooms (id, name, tags, settings, created_at, updated_at)"
case "$URL" in
  sqlite://*)
    DB=${URL#sqlite://}
    sqlite3 "$DB" <<SQL
PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;
.output /dev/null
BEGIN;
WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i + 1 < $ROOMS)
$ROOMS_SQL SELECT 'fill-' || i, 'fill ' || i, '[]', '{}', $NOW_MS, $NOW_MS FROM r;
WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i + 1 < $N)
INSERT INTO messages (room_id, seq, sender_id, sender_name, sender_kind, text, client_id, ts, announcement)
SELECT 'fill-' || (i / $PER_ROOM), i % $PER_ROOM + 1, 'fu' || (i / $PER_ROOM * 10 + i % 10), 'filler', 'user',
       'filler message ' || i, 'F' || (i / $PER_ROOM * 10 + i % 10) || ':' || (i % $PER_ROOM), $NOW_MS - ($N - i), 0
FROM m;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
    ;;
  postgres://*|postgresql://*)
    psql -q -v ON_ERROR_STOP=1 "$URL" <<SQL
$ROOMS_SQL SELECT 'fill-' || i, 'fill ' || i, '[]', '{}', $NOW_MS, $NOW_MS FROM generate_series(0, $ROOMS - 1) i;
INSERT INTO messages (room_id, seq, sender_id, sender_name, sender_kind, text, client_id, ts, announcement)
SELECT 'fill-' || (i / $PER_ROOM), i % $PER_ROOM + 1, 'fu' || (i / $PER_ROOM * 10 + i % 10), 'filler', 'user',
       'filler message ' || i, 'F' || (i / $PER_ROOM * 10 + i % 10) || ':' || (i % $PER_ROOM), $NOW_MS - ($N - i), false
FROM generate_series(0, $N - 1) i;
VACUUM ANALYZE messages;
SQL
    ;;
  *) echo "DATABASE_URL must be sqlite:// or postgres://" >&2; exit 2 ;;
esac
$BIN token create --kind admin --name fill-admin | tail -1
