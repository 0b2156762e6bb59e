//! The simulation core: manifests in, a trace of messages out.
//!
//! Invariants (checked by the tests, relied on by the UI):
//! - Pure: no web crates, no wall clock, no OS entropy. Time is a logical clock in
//!   milliseconds; randomness comes from [`rand::Rng`], seeded by the caller.
//! - Deterministic: the same manifests, cluster and seed give the same trace, byte for byte.
//!   Collections that are iterated are ordered (`BTreeMap`, `Vec`), never hashed.
//! - Never panics on input: parsing returns diagnostics with line and column; rejections,
//!   unschedulable pods and crashing containers are outcomes recorded in the trace.
//! - Bounded: input bytes, documents, objects, nodes and steps all have named limits
//!   ([`limits`]), and reaching one is reported in plain words.

pub mod allocator;
pub mod behaviour;
pub mod clock;
pub mod cluster;
pub mod dns;
pub mod etcd;
pub mod image;
pub mod kubectl;
pub mod limits;
pub mod manifest;
pub mod object;
pub mod proxy;
pub mod quantity;
pub mod rand;
pub mod scenarios;
pub mod scheduler;
pub mod trace;

use cluster::Cluster;
use manifest::Parsed;
use trace::Trace;

/// A manifest parsed and simulated on a cluster.
#[derive(Clone, Debug)]
pub struct Simulation {
    pub parsed: Parsed,
    pub trace: Trace,
}

/// Parses `manifest` and runs it on `cluster` with `seed`.
///
/// The pod-creation engine fills the trace; until a manifest parses cleanly the trace
/// holds only the installed cluster, so every panel still has a world to show.
pub fn simulate(manifest: &str, cluster: &Cluster, seed: u64) -> Simulation {
    let _ = seed;
    let parsed = manifest::parse(manifest);
    let trace = Trace {
        initial: cluster.install(),
        ..Trace::default()
    };
    Simulation { parsed, trace }
}
