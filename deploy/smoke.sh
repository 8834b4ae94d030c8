#!/usr/bin/env bash
# The topology of deploy/docker-compose.yml run as local processes, for a machine
# without a container runtime (docs/DEPLOY.md, "What was verified, and how"): three
# cluster nodes with the compose file's settings, a private nats-server, a fresh
# PostgreSQL database, the compose balancer (compose/nginx.conf), the TLS example
# (nginx/roomd.conf, self-signed) and the Caddy example (caddy/Caddyfile, over plain
# HTTP), then Prometheus with compose/prometheus.yml and alerts.yml. Checks, through
# each proxy: /readyz, a WebSocket session (hello, join, send → ack and message), the
# client address from X-Forwarded-For in GET /api/v1/sessions, a Server-Sent Events
# stream; every node alive in GET /api/v1/nodes; Prometheus scraping all three with
# the rules loaded; every dashboard query answered by that Prometheus.
#
#   ROOMD_BIN=target/debug/roomd PG_URL=postgres://postgres@127.0.0.1:5432 deploy/smoke.sh
#
# Needs nginx, caddy, nats-server, prometheus, promtool, openssl, curl, python3 and a
# PostgreSQL it may create and drop the database roomd_deploy_smoke in. Uses ports
# 18080-18099 on 127.0.0.1; stops only the processes it started.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ROOMD_BIN="${ROOMD_BIN:-$here/../target/debug/roomd}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
DB=roomd_deploy_smoke
tmp="$(mktemp -d)"
chmod 755 "$tmp"  # nginx workers run as nobody
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
passed=0 failed=0
check() { # check NAME CMD...
  local name="$1"; shift
  if out="$("$@" 2>&1)"; then echo "ok:      $name"; passed=$((passed + 1))
  else echo "FAILED:  $name"; echo "$out" | sed 's/^/    /'; failed=$((failed + 1)); fi
}
wait_for() { for _ in $(seq 1 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done; return 1; }

psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
cd "$tmp"  # no config/ of a checkout is picked up
nats-server -a 127.0.0.1 -p 18099 >"$tmp/nats.log" 2>&1 & pids+=($!)

# The nodes, with the environment docker-compose.yml gives them (addresses made local).
env_of() { python3 - "$here/docker-compose.yml" "$1" <<'EOF'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
for k, v in c["services"][sys.argv[2]]["environment"].items():
    print(f"{k}={v}")
EOF
}
for n in 1 2 3; do
  mapfile -t envs < <(env_of "roomd$n" | sed \
    -e "s#postgres://roomd:roomd@postgres:5432/roomd#$PG_URL/$DB#" \
    -e "s#nats://nats:4222#nats://127.0.0.1:18099#" \
    -e "s#172.30.80.10#127.0.0.1#" -e "s#roomd$n:8080#127.0.0.1:1808$n#")
  env "${envs[@]}" ROOMD__SERVER__BIND="127.0.0.1:1808$n" ROOMD__CLUSTER__SUBJECT_PREFIX=deploysmoke \
    "$ROOMD_BIN" serve >"$tmp/n$n.log" 2>"$tmp/n$n.err" & pids+=($!)
  wait_for curl -fsS "http://127.0.0.1:1808$n/readyz" || { cat "$tmp/n$n.err"; exit 1; }
  [ "$n" = 1 ] && sleep 0.5
done
ADMIN="$(grep -A1 'admin token' "$tmp/n1.err" | tail -1)"
[ -n "$ADMIN" ] || { echo "no admin token printed by node 1" >&2; exit 1; }

# The proxies: the compose balancer on 18080, nginx TLS on 18443, Caddy on 18444.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=chat.example.com \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
sed -E -e 's/roomd([123]):8080/127.0.0.1:1808\1/' -e 's/listen 8080;/listen 127.0.0.1:18080;/' \
  "$here/compose/nginx.conf" > "$tmp/balancer.conf"
sed -e "s#/etc/letsencrypt/live/chat.example.com/fullchain.pem#$tmp/cert.pem#" \
    -e "s#/etc/letsencrypt/live/chat.example.com/privkey.pem#$tmp/key.pem#" \
    -e 's/listen 80;/listen 127.0.0.1:18088;/' -e '/listen \[::\]/d' \
    -e 's/listen 443 ssl;/listen 127.0.0.1:18443 ssl;/' \
    -e 's/server 127.0.0.1:8080;/server 127.0.0.1:18081; server 127.0.0.1:18082; server 127.0.0.1:18083;/' \
    "$here/nginx/roomd.conf" > "$tmp/tls.conf"
for conf in balancer tls; do  # two nginx: the two files both define upstream roomd
  mkdir -p "$tmp/$conf/logs"
  printf 'pid %s/nginx.pid;\nerror_log %s/error.log;\ndaemon off;\nevents {}\nhttp { access_log off; client_body_temp_path %s; proxy_temp_path %s; include %s; }\n' \
    "$tmp/$conf" "$tmp/$conf" "$tmp/$conf" "$tmp/$conf" "$tmp/$conf.conf" > "$tmp/$conf/nginx.conf"
  nginx -p "$tmp/$conf" -c "$tmp/$conf/nginx.conf" & pids+=($!)
done
sed -e 's#^chat.example.com {#http://127.0.0.1:18444 {#' \
    -e 's#reverse_proxy 127.0.0.1:8080 {#reverse_proxy 127.0.0.1:18081 127.0.0.1:18082 127.0.0.1:18083 {#' \
    "$here/caddy/Caddyfile" > "$tmp/Caddyfile.site"
printf '{\n\tadmin off\n}\n' | cat - "$tmp/Caddyfile.site" > "$tmp/Caddyfile"
HOME="$tmp" XDG_DATA_HOME="$tmp" XDG_CONFIG_HOME="$tmp" caddy run --config "$tmp/Caddyfile" --adapter caddyfile \
  >"$tmp/caddy.log" 2>&1 & pids+=($!)
wait_for curl -fsS http://127.0.0.1:18080/readyz
wait_for curl -kfsS https://127.0.0.1:18443/readyz
wait_for curl -fsS http://127.0.0.1:18444/readyz

api() { curl -fsS -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' "$@"; }
api -XPOST http://127.0.0.1:18081/api/v1/rooms -d '{"id":"smoke"}' >/dev/null
USER_TOKEN="$(api -XPOST http://127.0.0.1:18081/api/v1/tokens -d '{"kind":"user","name":"alice"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"

check "GET /api/v1/nodes: three nodes alive" python3 - "$(api http://127.0.0.1:18080/api/v1/nodes)" <<'EOF'
import json, sys
items = json.loads(sys.argv[1])["items"]
alive = sorted(n["id"] for n in items if n["alive"])
assert alive == ["n1", "n2", "n3"], items
EOF

# A WebSocket client (RFC 6455, text frames, masked) over plain TCP or TLS.
cat > "$tmp/ws.py" <<'EOF'
import base64, json, os, socket, ssl, struct, sys
host, port, tls, token, room, xff = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "tls", sys.argv[4], sys.argv[5], sys.argv[6]
s = socket.create_connection((host, port), timeout=10)
if tls:
    ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(s, server_hostname="chat.example.com")
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n"
           f"X-Forwarded-For: {xff}\r\n\r\n").encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
head, buf = buf.split(b"\r\n\r\n", 1)
assert head.startswith(b"HTTP/1.1 101"), head
def read_frame():
    global buf
    def need(n):
        global buf
        while len(buf) < n:
            chunk = s.recv(65536)
            if not chunk: raise EOFError
            buf += chunk
    need(2); op, ln = buf[0] & 0x0F, buf[1] & 0x7F; off = 2
    if ln == 126: need(4); ln = struct.unpack(">H", buf[2:4])[0]; off = 4
    elif ln == 127: need(10); ln = struct.unpack(">Q", buf[2:10])[0]; off = 10
    need(off + ln); data = buf[off:off + ln]; buf = buf[off + ln:]
    return op, data
def send(obj):
    data = json.dumps(obj).encode(); mask = os.urandom(4)
    hdr = bytes([0x81]) + (bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0x80 | 126]) + struct.pack(">H", len(data)))
    s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
def next_of(kind):
    while True:
        op, data = read_frame()
        if op == 1:
            f = json.loads(data)
            if f["type"] == kind: return f
            if f["type"] == "error": raise SystemExit(f"error frame: {f}")
assert next_of("hello")["type"] == "hello"
send({"type": "join", "room": room}); next_of("joined")
cid = os.urandom(8).hex()
send({"type": "send", "room": room, "text": f"through {port}", "client_id": cid})
got = {}  # the ack and the sender's own message, in either order (docs/CLUSTER.md)
while not ("ack" in got and "message" in got):
    op, data = read_frame()
    if op == 1:
        f = json.loads(data)
        if f["type"] == "error": raise SystemExit(f"error frame: {f}")
        if f["type"] == "ack" or (f["type"] == "message" and f.get("client_id") == cid):
            got[f["type"]] = f
ack, msg = got["ack"], got["message"]
assert msg["text"] == f"through {port}" and msg["seq"] == ack["seq"], (ack, msg)
print(ack["seq"])
sys.stdout.flush()
if len(sys.argv) > 7:  # stay connected until stdin closes
    sys.stdin.read()
EOF
for proxy in "18080 plain" "18443 tls" "18444 plain"; do
  set -- $proxy
  check "WebSocket through the proxy on $1: hello, join, send, ack, message" \
    python3 "$tmp/ws.py" 127.0.0.1 "$1" "$2" "$USER_TOKEN" smoke 198.51.100.7
done

# The client's address from X-Forwarded-For (the proxy appends 127.0.0.1, trusted).
mkfifo "$tmp/hold"
python3 "$tmp/ws.py" 127.0.0.1 18443 tls "$USER_TOKEN" smoke 198.51.100.8 hold < "$tmp/hold" > "$tmp/held.out" &
held=$!; pids+=($held)
exec 7>"$tmp/hold"
wait_for test -s "$tmp/held.out"
check "GET /api/v1/sessions: remote_addr is the client's, from X-Forwarded-For" python3 - \
  "$(api 'http://127.0.0.1:18080/api/v1/sessions?remote_addr=198.51.100.8')" <<'EOF'
import json, sys
items = json.loads(sys.argv[1])["items"]
assert len(items) == 1 and items[0]["remote_addr"] == "198.51.100.8", items
EOF
exec 7>&-

# Server-Sent Events through each proxy: the stored messages replayed, as written.
for url in http://127.0.0.1:18080 https://127.0.0.1:18443 http://127.0.0.1:18444; do
  check "SSE through $url: GET /api/v1/rooms/smoke/events?after_seq=0" bash -c \
    "curl -ksN --max-time 3 -H 'Authorization: Bearer $ADMIN' '$url/api/v1/rooms/smoke/events?after_seq=0' |
     [ \$(grep -c '^event: message') -ge 3 ]"
done
check "GET /metrics is not served through the TLS proxy" bash -c \
  "[ \"\$(curl -ks -o /dev/null -w '%{http_code}' https://127.0.0.1:18443/metrics)\" = 404 ]"

# Prometheus with the compose scrape config and the alert rules.
sed -E 's/roomd([123]):8080/127.0.0.1:1808\1/g' "$here/compose/prometheus.yml" > "$tmp/prometheus.yml"
cp "$here/prometheus/alerts.yml" "$tmp/"
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
  --web.listen-address=127.0.0.1:18090 >"$tmp/prometheus.log" 2>&1 & pids+=($!)
up3() { promtool query instant http://127.0.0.1:18090 'count(up{job="roomd-cluster"} == 1)' 2>/dev/null |
  grep -q '=> 3 @'; }
for _ in $(seq 1 20); do up3 && break; sleep 1; done
check "Prometheus scrapes the three nodes" up3
check "Prometheus loaded the alert rules" bash -c \
  "curl -fsS http://127.0.0.1:18090/api/v1/rules | grep -q RoomdDown"
check "roomd_build_info on every node" bash -c \
  "promtool query instant http://127.0.0.1:18090 'count(roomd_build_info == 1)' | grep -q '=> 3 @'"
sleep 31  # two more scrapes: rates need two samples within the window
check "every dashboard query runs on this Prometheus" python3 - "$here/grafana/roomd.json" <<'EOF'
import json, sys, urllib.parse, urllib.request
d = json.load(open(sys.argv[1]))
bad = []
for p in d["panels"]:
    for t in p.get("targets", []):
        q = t["expr"].replace("$__rate_interval", "1m").replace("$instance", ".*")
        url = "http://127.0.0.1:18090/api/v1/query?" + urllib.parse.urlencode({"query": q})
        r = json.load(urllib.request.urlopen(url))
        if r["status"] != "success":
            bad.append(f"{p['title']}: {r}")
        elif not r["data"]["result"] and "5.." not in q and "429" not in q and "schedule" not in q:
            bad.append(f"{p['title']}: no data for {q}")
print("\n".join(bad)); sys.exit(1 if bad else 0)
EOF

echo "deploy/smoke.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
