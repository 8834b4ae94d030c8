#!/usr/bin/env bash
# The JS client's CI check, runnable from anywhere:
#   1. npm ci (devDependencies only: typescript, ws, playwright-core)
#   2. npm run build, then fail if the committed dist/ differs from the build
#   3. node --test against a real roomd server
# Server binary: $ROOMD_BIN, default <repo>/target/debug/roomd (build it with cargo).
# --experimental-websocket gives Node 20 its built-in (browser-like) WebSocket,
# which test/auth.test.mjs uses; newer Node versions have it without the flag.
set -euo pipefail
cd "$(dirname "$0")"
REPO="$(cd ../.. && pwd)"
export ROOMD_BIN="${ROOMD_BIN:-$REPO/target/debug/roomd}"
if [ ! -x "$ROOMD_BIN" ]; then
  echo "clients/js/test.sh: no roomd binary at $ROOMD_BIN (cargo build, or set ROOMD_BIN)" >&2
  exit 1
fi

npm ci --no-audit --no-fund
npm run build
if ! git diff --exit-code --stat -- dist || [ -n "$(git ls-files --others --exclude-standard -- dist)" ]; then
  echo "clients/js/test.sh: the committed dist/ is stale: run 'npm run build' in clients/js and commit dist/" >&2
  git ls-files --others --exclude-standard -- dist >&2
  exit 1
fi

NODE_FLAGS=()
if node --experimental-websocket -e '' 2>/dev/null; then NODE_FLAGS+=(--experimental-websocket); fi
node "${NODE_FLAGS[@]}" --test test/*.test.mjs
