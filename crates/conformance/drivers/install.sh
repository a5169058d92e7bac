#!/usr/bin/env bash
# Installs the official Weaviate clients that the conformance drivers run:
#   - Python weaviate-client (requirements.txt) into the current python3 environment
#     (set PYTHON to choose another interpreter, e.g. a virtualenv's python);
#   - TypeScript weaviate-client (package-lock.json) into node_modules/ beside this script.
# Usage: bash crates/conformance/drivers/install.sh [--python-only | --node-only]
# Exits non-zero if a requested install fails; a missing python3 or npm is reported and skipped.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
want_python=1
want_node=1
case "${1:-}" in
  --python-only) want_node=0 ;;
  --node-only) want_python=0 ;;
  "") ;;
  *) echo "usage: $0 [--python-only | --node-only]" >&2; exit 2 ;;
esac

if [ "$want_python" = 1 ]; then
  if command -v "$python" >/dev/null 2>&1; then
    "$python" -m pip install --disable-pip-version-check --quiet -r "$here/requirements.txt"
    "$python" -c 'import weaviate; print("python weaviate-client", weaviate.__version__)' 2>/dev/null
  else
    echo "install.sh: $python not found; the Python driver will be skipped" >&2
  fi
fi

if [ "$want_node" = 1 ]; then
  if command -v npm >/dev/null 2>&1; then
    npm ci --prefix "$here" --no-audit --no-fund --loglevel=error
    echo "node weaviate-client $(node -p "require('$here/node_modules/weaviate-client/package.json').version")"
  else
    echo "install.sh: npm not found; the TypeScript driver will be skipped" >&2
  fi
fi
