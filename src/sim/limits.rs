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
/// Most containers (init and regular) of one pod the kubelet simulates. Kubernetes sets
/// no such number (etcd's request size is its bound, a few thousand); podflow's kubelet
/// recomputes a pod's status on every container event, so its cost grows with the square
/// of the containers, and 200 keeps one pod under a second in the browser. A pod over it
/// is created and scheduled as on a real cluster; the run stops when its kubelet gets it.
pub const MAX_CONTAINERS_PER_POD: usize = 200;
/// Longest simulated time, in milliseconds (one hour).
pub const MAX_SIM_TIME_MS: u64 = 60 * 60 * 1000;
/// Longest URL fragment or query a link may have, in bytes: Chromium's limit on a URL's
/// length (2 MiB, `url::kMaxURLChars`), beyond which browsers cut or refuse links anyway.
pub const MAX_LINK_BYTES: usize = 2 * 1024 * 1024;
/// Most kubectl commands one link may carry.
pub const MAX_LINK_COMMANDS: usize = 200;
/// The largest write etcd accepts, in bytes: etcd's default `--max-request-bytes`
/// (1.5 MiB, `embed.DefaultMaxRequestBytes`). Not podflow's own limit but etcd's: a larger
/// object is refused with `etcdserver: request is too large`, as on a real cluster. podflow
/// measures the object as JSON, which is a little larger than the protobuf a real
/// apiserver stores, so it refuses slightly earlier.
pub const ETCD_MAX_REQUEST_BYTES: usize = 1024 * 1024 * 3 / 2;

/// How big one run may get, passed to [`crate::sim::run_with`]. The app runs with
/// [`Limits::BROWSER`] (the constants above); the CLI and the benchmarks may allow more
/// steps, or count steps without keeping them ([`Limits::keep_steps`] false) to run
/// Kubernetes' documented limits (5,000 nodes, 150,000 pods), whose full trace would
/// not fit in memory (about a quarter of a MiB per pod, see the README's performance section).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most messages the run may deliver before it stops and says so.
    pub max_steps: usize,
    /// Whether the trace keeps every step (false: only counts them, in `Trace::delivered`).
    pub keep_steps: bool,
}

impl Limits {
    /// What the browser app allows: [`MAX_STEPS`] steps, all kept.
    pub const BROWSER: Limits = Limits {
        max_steps: MAX_STEPS,
        keep_steps: true,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::BROWSER
    }
}
