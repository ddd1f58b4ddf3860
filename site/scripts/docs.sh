#!/usr/bin/env bash
# bin/ds4j docs: build the documentation site (site/, Docusaurus 3) and serve the build on 127.0.0.1.
#   --port N     port to serve on (default 3000)
#   --no-build   serve the last build as it is
set -euo pipefail
SITE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT=3000
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --port)
      [ $# -ge 2 ] || { echo "error: --port needs a number, e.g. --port 3000" >&2; exit 2; }
      PORT="$2"; shift 2 ;;
    --port=*) PORT="${1#--port=}"; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help)
      echo "usage: ds4j docs [--port N] [--no-build]"
      echo "  builds site/ (npm ci when needed, then npm run build) and serves it on http://127.0.0.1:PORT/"
      exit 0 ;;
    *) echo "error: unknown option '$1'; usage: ds4j docs [--port N] [--no-build]" >&2; exit 2 ;;
  esac
done
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
  echo "error: --port must be a whole number from 1 to 65535, got '$PORT'" >&2
  exit 2
fi
for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "error: ds4j docs needs node (20 or later) and npm, and '$tool' is not on the PATH;" \
      "install Node.js (e.g. apt-get install nodejs npm, or https://nodejs.org) and run it again" >&2
    exit 2
  }
done
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$NODE_MAJOR" -lt 20 ]; then
  echo "error: ds4j docs needs node 20 or later (Docusaurus 3), this node is $(node --version); install a newer Node.js" >&2
  exit 2
fi
cd "$SITE"
if [ "$BUILD" = 1 ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
    echo "ds4j docs: npm ci (first use or package-lock.json changed)..." >&2
    npm ci --no-audit --no-fund >&2
  fi
  echo "ds4j docs: building the site..." >&2
  npm run --silent build >&2
fi
[ -f build/index.html ] || { echo "error: site/build/index.html is missing; run without --no-build" >&2; exit 2; }
exec node scripts/serve.mjs --dir build --port "$PORT"
