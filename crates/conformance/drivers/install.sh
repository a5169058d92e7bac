#!/usr/bin/env bash
# Installs the official Weaviate clients that the conformance drivers run:
#   - Python weaviate-client (requirements.txt) into the current python3 environment
#     (set PYTHON to choose another interpreter, e.g. a virtualenv's python);
#   - TypeScript weaviate-client (package-lock.json) into node_modules/ beside this script;
#   - Go weaviate-go-client (go/go.mod, go/go.sum): downloaded from the Go module proxy and
#     compiled once, so that the suite's own build of the driver only links;
#   - Java io.weaviate:client (java/pom.xml): downloaded from Maven Central with the build plugins,
#     and the driver compiled once into a temporary folder.
# The suite builds the Go and Java drivers itself, on first use, into driver-cache/ of the cargo
# target dir; this script only fills the toolchains' caches so that the suite needs no network.
# Usage: bash crates/conformance/drivers/install.sh [--python-only | --node-only | --go-only | --java-only]
# Exits non-zero if a requested install fails; a missing python3, npm, go, java or mvn is
# reported and skipped (the suite then skips that client, or fails under CI=true).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
want_python=1
want_node=1
want_go=1
want_java=1
case "${1:-}" in
  --python-only) want_node=0; want_go=0; want_java=0 ;;
  --node-only) want_python=0; want_go=0; want_java=0 ;;
  --go-only) want_python=0; want_node=0; want_java=0 ;;
  --java-only) want_python=0; want_node=0; want_go=0 ;;
  "") ;;
  *) echo "usage: $0 [--python-only | --node-only | --go-only | --java-only]" >&2; exit 2 ;;
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

if [ "$want_go" = 1 ]; then
  if command -v go >/dev/null 2>&1; then
    (cd "$here/go" && GOFLAGS=-mod=readonly go mod download && GOFLAGS=-mod=readonly go build -o /dev/null .)
    echo "go weaviate-go-client $(cd "$here/go" && go list -m -f '{{.Version}}' github.com/weaviate/weaviate-go-client/v5)"
  else
    echo "install.sh: go not found; the Go driver will be skipped" >&2
  fi
fi

if [ "$want_java" = 1 ]; then
  if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
    build_dir="$(mktemp -d)"
    trap 'rm -rf "$build_dir"' EXIT
    mvn -q -B -Dstyle.color=never -f "$here/java/pom.xml" package dependency:build-classpath -DskipTests \
      "-Ddriver.build.dir=$build_dir" "-Dmdep.outputFile=$build_dir/classpath.txt"
    echo "java io.weaviate:client $(sed -n 's:.*<weaviate.client.version>\(.*\)</weaviate.client.version>.*:\1:p' "$here/java/pom.xml")"
  else
    echo "install.sh: java or mvn not found; the Java driver will be skipped" >&2
  fi
fi
