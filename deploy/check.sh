#!/usr/bin/env bash
# Static checks of the deployment files (docs/DEPLOY.md, "What was verified, and how").
# Needs python3 and promtool (Debian package prometheus); runs the YAML parses, nginx -t,
# caddy validate, docker-compose config and systemd-analyze verify when PyYAML and those
# tools are installed and says "skipped" otherwise (DEPLOY_CHECK_REQUIRE_ALL=1 makes a
# missing tool a failure). Writes only to a temporary directory.
set -euo pipefail
cd "$(dirname "$0")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 skipped=0

ok() { echo "ok:      $1"; passed=$((passed + 1)); }
bad() { echo "FAILED:  $1"; failed=$((failed + 1)); }
skip() {
  if [ -n "${DEPLOY_CHECK_REQUIRE_ALL:-}" ]; then bad "$1 (tool missing)"; return; fi
  echo "skipped: $1"; skipped=$((skipped + 1))
}
run() { # run NAME CMD...: one check, its output shown only when it fails
  local name="$1"; shift
  if out="$("$@" 2>&1)"; then ok "$name"; else bad "$name"; echo "$out" | sed 's/^/    /'; fi
}
have() { command -v "$1" >/dev/null 2>&1; }

have promtool || { echo "promtool is required (apt-get install prometheus)" >&2; exit 1; }

# Prometheus: both scrape configs, the rules, the rules' unit tests.
run "promtool check config prometheus/prometheus.yml" promtool check config prometheus/prometheus.yml
cp compose/prometheus.yml prometheus/alerts.yml "$tmp/"
run "promtool check config compose/prometheus.yml (with alerts.yml beside it, as mounted)" \
  promtool check config "$tmp/prometheus.yml"
run "promtool check rules prometheus/alerts.yml" promtool check rules prometheus/alerts.yml
run "promtool test rules prometheus/alerts_test.yml" promtool test rules prometheus/alerts_test.yml
if grep -nE 'job *=~? *"' prometheus/alerts.yml; then bad "alerts.yml matches on a job name"; else
  ok "alerts.yml has no job matcher"; fi

# Grafana: the dashboard's JSON and every query in it, as promtool recording rules;
# the metrics it names are documented; rates use $__rate_interval; the grid has no overlap.
run "grafana/roomd.json: structure, metric names, windows, layout" python3 - <<'EOF'
import json, re, sys
d = json.load(open("grafana/roomd.json"))
documented = set(re.findall(r"^\| `(roomd_[a-z_]+)`", open("../docs/METRICS.md").read(), re.M))
problems, exprs, ids, cells = [], [], set(), {}
for p in d["panels"]:
    if p["id"] in ids: problems.append(f"duplicate panel id {p['id']}")
    ids.add(p["id"])
    g = p["gridPos"]
    for x in range(g["x"], g["x"] + g["w"]):
        for y in range(g["y"], g["y"] + g["h"]):
            if (x, y) in cells: problems.append(f"panel {p['id']} overlaps panel {cells[(x, y)]}")
            cells[(x, y)] = p["id"]
    for t in p.get("targets", []):
        e = t["expr"]
        exprs.append(e)
        if re.search(r"\brate\([^()]*\[\d+[smh]\]", e): problems.append(f"fixed rate window: {e}")
        for m in re.findall(r"\b(roomd_[a-z_]+)", e):
            base = re.sub(r"_(bucket|sum|count)$", "", m)
            if m not in documented and base not in documented: problems.append(f"undocumented {m}: {e}")
need = next(r["version"] for r in d["__requires"] if r["id"] == "grafana")
if not need: problems.append("__requires names no Grafana version")
print("\n".join(problems)); sys.exit(1 if problems else 0)
EOF
# Grafana's variables, replaced by what they stand for, make plain PromQL.
python3 - "$tmp/dashboard_rules.yml" <<'EOF'
import json, sys
d = json.load(open("grafana/roomd.json"))
exprs = [t["expr"] for p in d["panels"] for t in p.get("targets", [])]
rules = [{"record": f"dashboard:expr_{i}", "expr": e.replace("$__rate_interval", "1m").replace("$instance", ".*")}
         for i, e in enumerate(exprs)]
json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(sys.argv[1], "w"))
EOF
run "every dashboard query parses (promtool check rules on them as recording rules)" \
  promtool check rules "$tmp/dashboard_rules.yml"
if python3 -c 'import yaml' 2>/dev/null; then
  run "docker-compose.yml and grafana/provisioning/*/*.yml parse (YAML)" python3 -c '
import sys, yaml
for f in sys.argv[1:]: yaml.safe_load(open(f))' docker-compose.yml grafana/provisioning/*/*.yml
else skip "YAML parse of docker-compose.yml and grafana/provisioning (no PyYAML)"; fi

# Docker Compose.
if have docker-compose; then
  run "docker-compose config" docker-compose -f docker-compose.yml config -q
elif have docker && docker compose version >/dev/null 2>&1; then
  run "docker compose config" docker compose -f docker-compose.yml config -q
else skip "docker compose config (no docker-compose)"; fi

# nginx: the TLS example with a throwaway certificate, and the compose balancer with its
# service names pointed at 127.0.0.1 (nginx -t resolves upstream host names).
if have nginx && have openssl; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=chat.example.com \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
  sed -e "s#/etc/letsencrypt/live/chat.example.com/fullchain.pem#$tmp/cert.pem#" \
      -e "s#/etc/letsencrypt/live/chat.example.com/privkey.pem#$tmp/key.pem#" nginx/roomd.conf > "$tmp/roomd.conf"
  sed -E 's/roomd[123]:8080/127.0.0.1:8080/' compose/nginx.conf > "$tmp/balancer.conf"
  for conf in roomd balancer; do
    printf 'pid %s/nginx.pid;\nerror_log stderr;\nevents {}\nhttp { access_log off; include %s/%s.conf; }\n' \
      "$tmp" "$tmp" "$conf" > "$tmp/nginx-$conf.conf"
  done
  run "nginx -t: nginx/roomd.conf" nginx -t -q -p "$tmp" -c "$tmp/nginx-roomd.conf"
  run "nginx -t: compose/nginx.conf" nginx -t -q -p "$tmp" -c "$tmp/nginx-balancer.conf"
else skip "nginx -t (no nginx or openssl)"; fi

# Caddy.
if have caddy; then
  run "caddy validate caddy/Caddyfile" caddy validate --config caddy/Caddyfile --adapter caddyfile
else skip "caddy validate (no caddy)"; fi

# systemd (ExecStart pointed at an existing binary: verify checks that it exists).
if have systemd-analyze; then
  sed 's#^ExecStart=/usr/local/bin/roomd#ExecStart=/bin/true#' roomd.service > "$tmp/roomd.service"
  run "systemd-analyze verify roomd.service" systemd-analyze verify "$tmp/roomd.service"
else skip "systemd-analyze verify (no systemd)"; fi

echo "deploy/check.sh: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
