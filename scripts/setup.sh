#!/usr/bin/env bash
# Installs, pinned and idempotently, every tool podflow's build needs; with --browser also
# Debian's Chromium and ChromeDriver for the browser tests. Each step checks what is there
# first, so a second run takes under a second. Nothing here downloads from anywhere but the
# package registries (crates.io, npm, Debian), plus rustup's wasm32 standard library.
#
# Versions and the reasons for them: ../shared/reference/toolchain.md and ARCHITECTURE.md.
set -euo pipefail

TRUNK_VERSION=0.21.14          # 0.22 needs rustc >= 1.96.1
WASM_BINDGEN_VERSION=0.2.130   # must equal the `=` pin of wasm-bindgen in Cargo.toml
BINARYEN_VERSION=132.0.0       # Debian's binaryen 108 produces a blank page
TOOLS_DIR="${PODFLOW_TOOLS_DIR:-$HOME/.cache/podflow/tools}"

browser=false
for arg in "$@"; do
  case "$arg" in
    --browser) browser=true ;;
    *) echo "usage: scripts/setup.sh [--browser]" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# First, so a failure to fetch the wasm32 standard library shows at once.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2.5 minutes)"
  # Without --locked: its lock file pins a crate version the registry mirror lacks.
  cargo install --force wasm-bindgen-cli@"$WASM_BINDGEN_VERSION"
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (about 8 minutes)"
  cargo install --force --locked trunk@"$TRUNK_VERSION"
fi

wasm_opt="$TOOLS_DIR/binaryen/node_modules/.bin/wasm-opt"
if ! "$wasm_opt" --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*} "; then
  say "installing wasm-opt from the npm package binaryen@$BINARYEN_VERSION"
  mkdir -p "$TOOLS_DIR/binaryen"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR/binaryen" --ignore-scripts "binaryen@$BINARYEN_VERSION"
fi

if $browser; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing Debian's chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  fi
fi

# Fetch every crate now, so the offline builds that follow never reach for the network.
cargo fetch --locked --quiet
