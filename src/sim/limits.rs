//! Every bound the simulation enforces, in one place, so the README can list them and a
//! message can name the one that was hit.

/// Largest manifest text accepted, in bytes (the editor, links and the CLI alike).
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;
/// Most YAML documents accepted in one manifest.
pub const MAX_DOCUMENTS: usize = 1000;
/// Deepest nesting of mappings and sequences accepted in one document.
pub const MAX_DEPTH: usize = 64;
/// Most nodes a cluster description may hold (Kubernetes documents 5,000 as its limit).
pub const MAX_NODES: usize = 5000;
/// Most messages one simulation may record before it stops and says so.
pub const MAX_STEPS: usize = 200_000;
/// Longest simulated time, in milliseconds (one hour).
pub const MAX_SIM_TIME_MS: u64 = 60 * 60 * 1000;
/// Longest URL fragment or query a link may have, in bytes: Chromium's limit on a URL's
/// length (2 MiB, `url::kMaxURLChars`), beyond which browsers cut or refuse links anyway.
pub const MAX_LINK_BYTES: usize = 2 * 1024 * 1024;
/// Most kubectl commands one link may carry.
pub const MAX_LINK_COMMANDS: usize = 200;
