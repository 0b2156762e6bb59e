#!/usr/bin/env bash
# Installs what is missing, builds podflow and serves it at http://127.0.0.1:8080
# with the default manifest loaded. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh
exec trunk serve --release --offline --address 127.0.0.1 --port "${PORT:-8080}"
