#!/usr/bin/env bash
# Browser budget: first render, edit-to-DOM latency (p50/p95) and transferred size of
# the release build, measured in headless Chromium. A benchmark, not a test.
#
#   scripts/measure-browser.sh            # uses dist/ (builds it when missing)
#   scripts/measure-browser.sh --build    # rebuilds dist/ first
#
# Installs, pinned and idempotently, the npm package playwright-core (driver only; it
# drives Debian's /usr/bin/chromium and downloads no browser).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

PLAYWRIGHT_VERSION=1.65.1
PW_DIR="$TOOLS_DIR/playwright-core-$PLAYWRIGHT_VERSION"
if [ ! -f "$PW_DIR/node_modules/playwright-core/package.json" ]; then
  echo "measure-browser: installing playwright-core@$PLAYWRIGHT_VERSION (driver only)" >&2
  mkdir -p "$PW_DIR"
  npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$PW_DIR" "playwright-core@$PLAYWRIGHT_VERSION"
fi

DIST="${PODFLOW_DIST:-$PWD/dist}"
if [ "${1:-}" = "--build" ] || [ ! -f "$DIST/index.html" ]; then
  trunk build --release --offline
  DIST="$PWD/dist"
fi
command -v "${CHROMIUM:-/usr/bin/chromium}" >/dev/null || { echo "no chromium: scripts/setup.sh --browser installs it" >&2; exit 1; }

exec node scripts/measure-browser.mjs "$DIST" "$PW_DIR/node_modules/playwright-core"
