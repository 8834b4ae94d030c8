#!/usr/bin/env bash
# A 10,000-room broadcast on SQLite: the job's duration at a given pace.
# Usage: RATE=500 BIN=target/release/roomd benches/scripts/broadcast_10k.sh (from a scratch dir: it writes data/)
set -e
BIN=${BIN:-$(cd "$(dirname "$0")/../.." && pwd)/target/release/roomd}
export ROOMD__SERVER__BIND=127.0.0.1:18989 ROOMD__DATABASE__URL=sqlite://data/m.db ROOMD__LOG__LEVEL=warning
export ROOMD__BROADCAST__ROOMS_PER_SEC=${RATE:-100000}
$BIN migrate >/dev/null
python3 - <<'PY'
import sqlite3, time
c=sqlite3.connect('data/m.db'); now=int(time.time()*1000)
c.executemany("INSERT OR IGNORE INTO rooms(id,name,tags,settings,created_at,updated_at) VALUES (?,?,'[]','{}',?,?)",
  [(f"m{i:05d}",f"m{i:05d}",now,now) for i in range(10000)])
c.commit()
PY
TOKEN=$($BIN token create --kind admin --name measure | tail -1)
$BIN serve > serve.log 2>&1 &
PID=$!
sleep 2
START=$(date +%s.%N)
ID=$(curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"text":"hello all","rooms":"all"}' http://127.0.0.1:18989/api/v1/broadcasts | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
CREATED=$(date +%s.%N)
while true; do
  J=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:18989/api/v1/broadcasts?limit=1")
  echo "$J" | python3 -c 'import json,sys; j=json.load(sys.stdin)["items"][0]; sys.exit(0 if j["report"] else 1)' && break
  sleep 0.5
done
END=$(date +%s.%N)
echo "$J" | python3 -c 'import json,sys; j=json.load(sys.stdin)["items"][0]; print(j["status"], j["counts"], j["report"]["duration_ms"], "ms job duration")'
echo "create request: $(echo "$CREATED - $START" | bc) s; until done (poll 0.5s): $(echo "$END - $START" | bc) s; rss: $(ps -o rss= -p $PID) KiB"
kill $PID; wait $PID || true
