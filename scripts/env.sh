# Sourced by the scripts: puts the pinned wasm-opt first on PATH and keeps Trunk offline.
TOOLS_DIR="${PODFLOW_TOOLS_DIR:-$HOME/.cache/podflow/tools}"
export PATH="$TOOLS_DIR/binaryen/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# `offline = true` in Trunk.toml does not stop Trunk's own update check; these do.
export TRUNK_OFFLINE=true
export TRUNK_SKIP_VERSION_CHECK=true
