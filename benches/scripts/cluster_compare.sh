#!/usr/bin/env bash
# roomd on PostgreSQL, one node against a three-node cluster (docs/CLUSTER.md), side by
# side on this machine, alternating, ROUNDS rounds, with the project's load runner
# (examples/load, `--nodes`: connection i goes to node i mod n):
#   fanout  1 room x 1000 members, one sender, window 64 undelivered messages;
#   rooms   100 rooms x 10 members, everyone sends, RATES msg/s in total (one run per rate).
# Configurations (CONFIGS, default all three):
#   single    one node, cluster mode off (the plain PostgreSQL deployment);
#   cluster1  one node, cluster mode on (the cluster machinery without crossing nodes);
#   cluster3  three nodes n1..n3, one database, one NATS: on 2 cores this measures the
#             cost of crossing nodes, not the gain.
# Each configuration of each round gets a fresh database (DB, default roomd_bench_cluster,
# dropped at the end) and fresh node processes, started one after another after
# `roomd migrate` and `roomd token create`. One JSON line per run on stdout (also kept in
# $OUT), then a table of medians. CPU: roomd = all nodes summed; aux = nats-server and
# every postgres process together (100 = one core; the machine has 2).
# Usage: [CONFIGS="single cluster3"] [RATES="1000 5000"] [FANOUT_S=3] [ROOMS_S=5] \
#        benches/scripts/cluster_compare.sh [ROUNDS=3]
# Also: SKIP_BUILD=1 (use the built target/release/roomd and examples/load), OUT=FILE
# (the JSON lines), PG_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres),
# NATS_URL (nats://127.0.0.1:4222), DB, BASE_PORT (18290: 18290 single, 18291-18293
# cluster nodes), ROOMD_BIN. A whole run of 3 rounds takes about 4 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
. benches/scripts/lib.sh
ROUNDS=${1:-3}
CONFIGS=${CONFIGS:-single cluster1 cluster3}
RATES=${RATES:-1000 5000}
FANOUT_S=${FANOUT_S:-3}
ROOMS_S=${ROOMS_S:-5}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB=${DB:-roomd_bench_cluster}
DB_URL=${PG_ADMIN_URL%/*}/$DB
NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
BASE_PORT=${BASE_PORT:-18290}
OUT=${OUT:-$(mktemp /tmp/cluster_compare.XXXXXX.jsonl)}
BIN=${ROOMD_BIN:-$PWD/target/release/roomd}
L=target/release/examples/load
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --release --quiet
  cargo build --release --quiet --example load
fi

NODE_PIDS=() NODE_WORKS=() NODE_ADDRS=()

stop_nodes() {
  local p
  for p in "${NODE_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${NODE_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for p in "${NODE_WORKS[@]}"; do rm -rf "$p"; done
  NODE_PIDS=() NODE_WORKS=() NODE_ADDRS=()
}

drop_db() {
  psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}

trap 'stop_nodes; drop_db' EXIT
trap 'exit 130' INT TERM

# fresh_db: an empty database with the schema and an admin token (sets ADMIN).
fresh_db() {
  drop_db
  psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null
  local work; work=$(mktemp -d)
  (cd "$work" && ROOMD__DATABASE__URL=$DB_URL ROOMD__LOG__LEVEL=warning "$BIN" migrate >/dev/null)
  ADMIN=$(cd "$work" && ROOMD__DATABASE__URL=$DB_URL ROOMD__LOG__LEVEL=warning \
    "$BIN" token create --kind admin --name bench | tail -n 1)
  rm -rf "$work"
}

# start_node PORT [NAME=VALUE…]: one `roomd serve` on the bench database, in a temp
# working directory (built-in defaults, no rooms file, no welcome template), the same
# settings as lib.sh's start_server; waits until /readyz answers 200.
start_node() {
  local port=$1; shift
  local work; work=$(mktemp -d)
  (cd "$work" && exec env ROOMD__SERVER__BIND=127.0.0.1:$port ROOMD__LOG__LEVEL=warning \
    ROOMD__DATABASE__URL="$DB_URL" ROOMD__ROOMS__AUTO_CREATE=true \
    ROOMD__LIMITS__MSGS_PER_SEC=1000000 ROOMD__LIMITS__BURST=1000000 \
    ROOMD__LIMITS__ADMIN_PER_SEC=1000000 ROOMD__LIMITS__ADMIN_BURST=1000000 \
    "$@" "$BIN" serve >"$work/out.log" 2>"$work/err.log") &
  NODE_PIDS+=($!) NODE_WORKS+=("$work") NODE_ADDRS+=("127.0.0.1:$port")
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    if ! kill -0 "${NODE_PIDS[-1]}" 2>/dev/null; then
      echo "node on port $port exited:" >&2; cat "$work/err.log" >&2; exit 2
    fi
    sleep 0.1
  done
  echo "node on port $port not ready after 30 s:" >&2; tail -n 20 "$work/err.log" >&2; exit 2
}

# start_config NAME ROUND: fresh database, then the configuration's nodes.
start_config() {
  local cfg=$1 round=$2 prefix="rbench$$r$2" i
  fresh_db
  case $cfg in
    single) start_node "$BASE_PORT" ;;
    cluster1 | cluster3)
      local n=${cfg#cluster}
      for i in $(seq 1 "$n"); do
        start_node $((BASE_PORT + i)) ROOMD__CLUSTER__ENABLED=true ROOMD__CLUSTER__NODE_ID="n$i" \
          ROOMD__CLUSTER__NATS_URL="$NATS_URL" ROOMD__CLUSTER__SUBJECT_PREFIX="$prefix"
      done
      # Every node sees every other (roomd_cluster_nodes) before the load starts.
      local a seen
      for _ in $(seq 1 100); do
        seen=0
        for a in "${NODE_ADDRS[@]}"; do
          [ "$(curl -sf "http://$a/metrics" | awk '/^roomd_cluster_nodes / {print $2}')" = "$n" ] && seen=$((seen + 1))
        done
        [ "$seen" = "$n" ] && return 0
        sleep 0.1
      done
      echo "not every node saw $n live nodes (roomd_cluster_nodes) after 10 s" >&2; exit 2 ;;
    *) echo "unknown configuration $cfg" >&2; exit 2 ;;
  esac
}

# forwarded KIND: roomd_cluster_forwarded_total{kind=KIND} summed over the nodes (0 when off).
forwarded() {
  local a sum=0 v
  for a in "${NODE_ADDRS[@]}"; do
    v=$(curl -sf "http://$a/metrics" | awk -v k="kind=\"$1\"" 'index($0, "roomd_cluster_forwarded_total{" k "}") == 1 {print $NF}')
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}

# run_load CONFIG LOAD-ARGS…: one load run against the current nodes; prints its JSON line
# with the joins and sends the nodes forwarded to an owner elsewhere during it.
run_load() {
  local cfg=$1; shift
  local aux j0 s0 line
  aux=$( (pgrep -x nats-server; pgrep -x postgres) | paste -sd, -)
  j0=$(forwarded join) s0=$(forwarded send)
  line=$($L "$@" --nodes "$(IFS=,; echo "${NODE_ADDRS[*]}")" --admin-token "$ADMIN" \
    --server-pid "$(IFS=,; echo "${NODE_PIDS[*]}")" ${aux:+--aux-pid "$aux"}) || true
  echo "{\"round\":$r,\"config\":\"$cfg\",\"forwarded\":{\"join\":$(($(forwarded join) - j0)),\"send\":$(($(forwarded send) - s0))},\"load\":${line:-null}}" |
    tee -a "$OUT"
}

echo "# results also in $OUT" >&2
for r in $(seq 1 "$ROUNDS"); do
  # Alternate the order of the configurations from round to round.
  order=$CONFIGS
  [ $((r % 2)) -eq 0 ] && order=$(echo "$CONFIGS" | tr ' ' '\n' | tac | paste -sd' ' -)
  for cfg in $order; do
    start_config "$cfg" "$r"
    run_load "$cfg" fanout --members 1000 --window 64 --warmup 1 --duration "$FANOUT_S"
    for rate in $RATES; do
      run_load "$cfg" rooms --rooms 100 --members 10 --rate "$rate" --warmup 1 --duration "$ROOMS_S"
    done
    stop_nodes
  done
done

python3 - "$OUT" <<'EOF'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
groups = {}
for x in runs:
    load = x["load"]
    if load is None:
        key = ("?", x["config"])
    else:
        p = load["parameters"]
        key = (load["scenario"] + (f" {p['rate']:g}/s" if load["scenario"] == "rooms" else ""), x["config"])
    groups.setdefault(key, []).append(x)
med = lambda v: statistics.median(v) if v else float("nan")
print("| scenario | config | ok runs | deliveries/s | p50 ms | p99 ms | roomd CPU % | NATS+PG CPU % | client CPU % | sends forwarded |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (scen, cfg), xs in sorted(groups.items()):
    ls = [x["load"] for x in xs if x["load"]]
    ok = sum(1 for l in ls if l["ok"])
    fwd = [x["forwarded"]["send"] / x["load"]["sent"] for x in xs if x["load"] and x["load"]["sent"]]
    lat = lambda q: med([l["latency_us"][q] / 1000 for l in ls if l["latency_us"][q] is not None])
    srv = med([l["server"]["cpu_pct"] for l in ls if l.get("server")])
    aux = med([l["aux"]["cpu_pct"] for l in ls if l.get("aux")])
    cli = med([l["client"]["cpu_pct"] for l in ls])
    print(f"| {scen} | {cfg} | {ok}/{len(xs)} | {med([l['delivered_per_s'] for l in ls]):,.0f} | "
          f"{lat('p50'):.2f} | {lat('p99'):.2f} | {srv:.0f} | {aux:.0f} | {cli:.0f} | {100 * med(fwd):.0f}% |")
EOF
