#!/usr/bin/env bash
# CI check of the documentation site, called by .ci/run after mvn verify: installs what is missing where it can
# (npm ci; Debian's chromium when run as root), builds the site (broken links fail the build), serves the build on
# 127.0.0.1 and checks it in headless Chromium (scripts/check.mjs). Without node/npm or Chromium it says what is
# missing and skips (exit 0); set DS4J_SITE_CHECK=required to make a skip fail.
set -euo pipefail
SITE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$SITE"
skip() {
  echo "site check SKIPPED: $1" >&2
  [ "${DS4J_SITE_CHECK:-}" = required ] && exit 1
  exit 0
}
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
  || skip "node and npm are needed (install Node.js 20 or later, e.g. apt-get install nodejs npm)"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] \
  || skip "node 20 or later is needed (Docusaurus 3), this node is $(node --version)"
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$CHROMIUM" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "site check: installing Debian's chromium (apt-get install -y chromium)..."
  apt-get install -y chromium >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y chromium >/dev/null 2>&1) || true
  CHROMIUM="$(command -v chromium || true)"
fi
[ -n "$CHROMIUM" ] || skip "Chromium is needed (apt-get install chromium, or set CHROMIUM=/path/to/chromium)"
echo "site check: node $(node --version), npm $(npm --version), $("$CHROMIUM" --version 2>/dev/null | head -1)"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "site check: npm ci..."
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "site check: npm run build (broken links or anchors fail it)..."
npm run --silent build > build.log 2>&1 || { tail -n 40 build.log >&2; echo "site check: the build failed" >&2; exit 1; }
echo "site check: crawling the build in headless Chromium..."
node scripts/check.mjs --chromium "$CHROMIUM"
