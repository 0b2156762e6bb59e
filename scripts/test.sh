#!/usr/bin/env bash
# The complete test suite, as CI runs it: installs what is missing (including Debian's
# chromium and chromium-driver), then format check, clippy with -D warnings, the pure
# core built and tested without any web crate, the release build, and every test
# (native and in headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
. scripts/env.sh

step() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (app and tests, then the core alone)"
cargo clippy --offline --all-targets -- -D warnings
cargo clippy --offline --no-default-features --all-targets -- -D warnings

step "the simulation core without any web crate"
cargo test --offline --no-default-features --lib

step "release build (trunk, offline)"
mkdir -p target
trunk build --release --offline > target/trunk-build.log 2>&1 || { cat target/trunk-build.log; exit 1; }
# Trunk must never fetch a tool (Trunk.toml pins them; scripts/setup.sh installs them).
if grep -iE 'download|fetching' target/trunk-build.log; then
  echo "trunk tried to download something; see target/trunk-build.log" >&2; exit 1
fi
wasm=$(ls dist/*.wasm)
echo "release wasm: $(wc -c < "$wasm") bytes raw, $(gzip -9c "$wasm" | wc -c) bytes gzip"

step "size budget (scripts/budgets.env)"
. scripts/budgets.env
bundle=0
for f in dist/*.wasm dist/*.js dist/*.css; do
  bundle=$((bundle + $(gzip -9c "$f" | wc -c)))
done
echo "release wasm + JS + CSS: $bundle bytes gzip -9 (budget $BUNDLE_GZIP_BUDGET)"
if [ "$bundle" -gt "$BUNDLE_GZIP_BUDGET" ]; then
  echo "the release bundle is over its size budget (BUNDLE_GZIP_BUDGET in scripts/budgets.env)" >&2
  exit 1
fi

step "all tests (native, CLI, browser)"
PODFLOW_DIST="$PWD/dist" cargo test --offline
