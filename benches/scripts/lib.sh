# Shared by the bench scripts: build roomd and wsload, start a release server
# (ROOMD_BIN overrides which binary) with extra ROOMD__ settings, make user tokens, and run wsload with the JSON adapter
# speaking roomd's protocol. Source it from the project's root.
set -euo pipefail
W=target/wsload/release/wsload

build_all() {
  cargo build --release --quiet
  build_wsload
}

# wsload, the independent load client with its reference hub, is not part of this
# repository: WSLOAD_SRC names the directory of its source (its Cargo.toml).
build_wsload() {
  : "${WSLOAD_SRC:?set WSLOAD_SRC to the wsload source directory, which is not in this repository}"
  cargo build --release --quiet --manifest-path "$WSLOAD_SRC/Cargo.toml" --target-dir target/wsload
}

# start_server PORT [NAME=VALUE…]: sets SRV (pid), ADMIN (admin token), WORK (temp dir).
start_server() {
  local port=$1; shift
  WORK=$(mktemp -d)
  (cd "$WORK" && exec env ROOMD__SERVER__BIND=127.0.0.1:$port ROOMD__LOG__LEVEL=warning \
    ROOMD__LIMITS__MSGS_PER_SEC=1000000 ROOMD__LIMITS__BURST=1000000 \
    "$@" \
    "${ROOMD_BIN:-$OLDPWD/target/release/roomd}" serve >"$WORK/out.log" 2>"$WORK/err.log") &
  SRV=$!
  for _ in $(seq 1 100); do grep -q '^rmd_' "$WORK/err.log" 2>/dev/null && break; sleep 0.1; done
  ADMIN=$(grep '^rmd_' "$WORK/err.log")
  PORT=$port
}

stop_server() {
  kill "$SRV" 2>/dev/null || true
  wait "$SRV" 2>/dev/null || true
  rm -rf "$WORK"
}

# api PATH JSON: POST to the admin API.
api() {
  curl -sf -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    "http://127.0.0.1:$PORT/api/v1/$1" -d "$2"
}

# make_tokens N: N user tokens, one per line, in $WORK/tokens.txt.
make_tokens() {
  for i in $(seq 1 "$1"); do
    api tokens "{\"kind\":\"user\",\"name\":\"load$i\"}" | sed 's/.*"token":"\([^"]*\)".*/\1/'
    echo
  done >"$WORK/tokens.txt"
}

# wsload_run ARGS…: one wsload run against the current server; prints its JSON line.
wsload_run() {
  $W run --url "ws://127.0.0.1:$PORT/ws?token={token}" --token-file "$WORK/tokens.txt" --adapter json \
    --hello '"type":"hello"' --join '{"type":"join","room":"{room}"}' --join-ack '"type":"joined"' \
    --send '{"type":"send","room":"{room}","text":"{payload}","client_id":"{id}"}' --recv-match '"type":"message"' \
    --server-pid "$SRV" "$@" 2>/dev/null
}
