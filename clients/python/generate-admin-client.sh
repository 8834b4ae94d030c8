#!/usr/bin/env bash
# Regenerates roomd.admin (clients/python/roomd/admin/), the client of roomd's admin
# HTTP API, from the server's OpenAPI document. Nothing in roomd/admin/ is written by
# hand: change the document (src/http/openapi.rs and the handlers' #[utoipa::path])
# and run this script.
#
# Usage: clients/python/generate-admin-client.sh [--check]   (from any directory)
#
#   (no option)  builds roomd if needed (cargo build --bin roomd), reads the document
#                from `target/debug/roomd openapi`, generates the package with
#                openapi-python-client (pinned, with the tools it runs, in
#                admin-client-requirements.txt; installed into <repo>/target/admin-client-venv)
#                and the configuration admin-client-config.yaml, and replaces
#                clients/python/roomd/admin/ with it.
#   --check      generates into a temporary directory instead and exits 1, listing the
#                files that differ, when the committed roomd/admin/ is not what the
#                document of this tree generates (the CI staleness check); 0 when equal.
#
# The output depends only on the document and the pinned versions: it is generated in
# a temporary directory (so no configuration of the surrounding tree applies) and
# formatted by the pinned ruff with --isolated.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
REQUIREMENTS="$HERE/admin-client-requirements.txt"
CONFIG="$HERE/admin-client-config.yaml"
DEST="$HERE/roomd/admin"
VENV="$REPO/target/admin-client-venv"

CHECK=0
case "${1:-}" in
  "") ;;
  --check) CHECK=1 ;;
  -h | --help)
    sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac

say() { echo "generate-admin-client: $*"; }

# The generator, in a venv under target/ (reinstalled when the pins change).
if ! cmp -s "$REQUIREMENTS" "$VENV/.requirements" 2>/dev/null || [ ! -x "$VENV/bin/openapi-python-client" ]; then
  say "installing the pinned generator into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQUIREMENTS"
  cp "$REQUIREMENTS" "$VENV/.requirements"
fi

say "cargo build --bin roomd"
(cd "$REPO" && cargo build -q --bin roomd)

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

"$REPO/target/debug/roomd" openapi >"$WORK/openapi.json"

# From inside the temp dir: the post hooks (ruff) run there, away from any
# configuration file of this tree.
if ! (cd "$WORK" && PATH="$VENV/bin:$PATH" "$VENV/bin/openapi-python-client" generate \
  --path "$WORK/openapi.json" --config "$CONFIG" --meta none --output-path "$WORK/admin" \
  --fail-on-warning) >"$WORK/generate.log" 2>&1; then
  cat "$WORK/generate.log" >&2
  say "openapi-python-client failed (or warned) on the document" >&2
  exit 1
fi

if [ "$CHECK" = 1 ]; then
  if diff -rq -x __pycache__ "$DEST" "$WORK/admin" >"$WORK/diff" 2>&1; then
    say "clients/python/roomd/admin/ is up to date with the OpenAPI document"
    exit 0
  fi
  say "clients/python/roomd/admin/ is stale: it is not what the OpenAPI document generates" >&2
  sed -e "s|$WORK/admin|<generated>|g" -e "s|$HERE/||g" "$WORK/diff" >&2
  (cd "$WORK" && diff -ru -x __pycache__ "$DEST" admin | grep -c '^[-+][^-+]' | xargs -I{} echo "({} lines differ)") >&2 || true
  say "run clients/python/generate-admin-client.sh and commit the result" >&2
  exit 1
fi

rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
cp -R "$WORK/admin" "$DEST"
say "regenerated clients/python/roomd/admin/ ($(find "$DEST" -name '*.py' | wc -l) files)"
