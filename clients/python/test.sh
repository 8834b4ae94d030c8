#!/usr/bin/env bash
# Tests of the Python client (clients/python) against a real roomd server.
#
#   clients/python/test.sh [pytest args…]
#
# Creates the venv <repo>/target/python-client-venv if it is missing, installs the
# package (pip install ./clients/python) and the pinned test dependencies
# (clients/python/requirements-test.txt) into it, then runs pytest on
# clients/python/tests. The server binary is $ROOMD_BIN, by default
# <repo>/target/debug/roomd (`cargo build` makes it). Exits non-zero when a test fails.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="$REPO/target/python-client-venv"
export ROOMD_BIN="${ROOMD_BIN:-$REPO/target/debug/roomd}"

if [ ! -x "$VENV/bin/python" ]; then
  mkdir -p "$REPO/target"
  python3 -m venv "$VENV"
fi
cd "$REPO"
# Reinstall the package each run so the tests exercise the current source.
"$VENV/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps ./clients/python
"$VENV/bin/pip" install -q --disable-pip-version-check ./clients/python -r clients/python/requirements-test.txt

# Run from the package directory (its pyproject.toml configures pytest); the tests
# import the installed `roomd`, not the source folder next to them.
cd "$HERE"
exec "$VENV/bin/pytest" -p no:cacheprovider "$@"
