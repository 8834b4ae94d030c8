#!/usr/bin/env bash
# The operator console's browser tests: headless Chromium (Debian's `chromium`, or
# $CHROMIUM_BIN) driven by playwright-core against a real roomd started by the tests.
#   1. npm ci (playwright-core only; the console itself needs no Node.js)
#   2. node --test console.test.mjs
# Server binary: $ROOMD_BIN, default <repo>/target/debug/roomd (build it with cargo).
# The tests save a screenshot of every page under docs/console/.
set -euo pipefail
cd "$(dirname "$0")"
REPO="$(cd ../.. && pwd)"
export ROOMD_BIN="${ROOMD_BIN:-$REPO/target/debug/roomd}"
if [ ! -x "$ROOMD_BIN" ]; then
  echo "tests/console/test.sh: no roomd binary at $ROOMD_BIN (cargo build, or set ROOMD_BIN)" >&2
  exit 1
fi
npm ci --no-audit --no-fund
NODE_FLAGS=()
if node --experimental-websocket -e '' 2>/dev/null; then NODE_FLAGS+=(--experimental-websocket); fi
node "${NODE_FLAGS[@]}" --test --test-concurrency=1 ./*.test.mjs
