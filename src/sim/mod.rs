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
pub mod api;
pub mod apiserver;
pub mod behaviour;
pub mod check;
pub mod clock;
pub mod cluster;
pub mod controllers;
pub mod dns;
pub mod engine;
pub mod etcd;
pub mod events;
pub mod image;
pub mod kube_scheduler;
pub mod kubectl;
pub mod kubelet;
pub mod limits;
pub mod lint;
pub mod manifest;
pub mod narrate;
pub mod object;
pub mod proxy;
pub mod quantity;
pub mod quota;
pub mod rand;
pub mod rbac;
pub mod runtime;
pub mod scenarios;
pub mod scheduler;
pub mod system_pods;
pub mod trace;
pub mod webhook;

use std::collections::BTreeMap;

use cluster::Cluster;
use manifest::Parsed;
use trace::Trace;

/// The file name the app's manifest is applied as (`kubectl apply -f pod.yaml`).
pub const MANIFEST_FILE: &str = "pod.yaml";

/// How long a run lasts at most unless told otherwise: long enough for back-offs to show.
pub const DEFAULT_HORIZON_MS: u64 = 5 * 60 * 1000;

/// A manifest parsed and simulated on a cluster. The trace is shared: the app keeps the
/// last good one while the manifest has errors without copying it.
#[derive(Clone, Debug)]
pub struct Simulation {
    pub parsed: Parsed,
    pub trace: std::sync::Arc<Trace>,
}

/// What a run does: kubectl command lines at given times, with the files they read.
#[derive(Clone, Debug, Default)]
pub struct Scenario {
    pub files: BTreeMap<String, String>,
    /// (time in ms, command line), e.g. `(30_000, "kubectl delete pod nginx")`.
    pub commands: Vec<(u64, String)>,
}

impl Scenario {
    /// The run the app shows (and a share link carries): `manifest` as `pod.yaml`, `apply`
    /// at 0 s, then `commands` in time order (the order they were given in breaks ties).
    pub fn applying(manifest: &str, apply: &str, commands: &[(u64, String)]) -> Scenario {
        let mut s = Scenario::default();
        s.files
            .insert(MANIFEST_FILE.to_string(), manifest.to_string());
        s.commands.push((0, apply.to_string()));
        let mut extra = commands.to_vec();
        extra.sort_by_key(|(at, _)| *at);
        s.commands.extend(extra);
        s
    }
}

/// Parses `manifest` and runs `kubectl apply -f pod.yaml` with it on `cluster`.
pub fn simulate(manifest: &str, cluster: &Cluster, seed: u64) -> Simulation {
    let parsed = manifest::parse(manifest);
    let mut scenario = Scenario::default();
    scenario
        .files
        .insert(MANIFEST_FILE.to_string(), manifest.to_string());
    scenario
        .commands
        .push((0, format!("kubectl apply -f {MANIFEST_FILE}")));
    let trace = std::sync::Arc::new(run(&scenario, cluster, seed, DEFAULT_HORIZON_MS));
    Simulation { parsed, trace }
}

/// Runs a scenario until nothing more will happen or `horizon_ms`.
pub fn run(scenario: &Scenario, cluster: &Cluster, seed: u64, horizon_ms: u64) -> Trace {
    run_installed(scenario, cluster, &cluster.install(), seed, horizon_ms)
}

/// [`run`] on a cluster whose keyspace was installed beforehand (`installed` must be
/// `cluster.install()`): the app installs once per cluster and reuses it for every
/// edit, which saves about a fifth of a small run.
pub fn run_installed(
    scenario: &Scenario,
    cluster: &Cluster,
    installed: &etcd::Snapshot,
    seed: u64,
    horizon_ms: u64,
) -> Trace {
    run_with(
        scenario,
        cluster,
        installed,
        seed,
        horizon_ms,
        limits::Limits::BROWSER,
    )
}

/// [`run_installed`] with other [`limits::Limits`] than the browser's: more steps for the
/// CLI and the benchmarks, or steps counted and not kept for the largest clusters.
pub fn run_with(
    scenario: &Scenario,
    cluster: &Cluster,
    installed: &etcd::Snapshot,
    seed: u64,
    horizon_ms: u64,
    limits: limits::Limits,
) -> Trace {
    let mut run = Run::start(scenario, cluster, installed, seed, horizon_ms, limits);
    run.advance(usize::MAX);
    run.finish()
}

/// A run simulated in slices ([`Run::advance`]), so that the app can show the first
/// messages of a large run at once and simulate the rest without freezing the page.
/// However it is sliced, a run's trace is the same as [`run_with`]'s: the first `n`
/// steps of a partial trace are the first `n` steps of the whole one.
pub struct Run {
    engine: engine::Engine,
    horizon_ms: u64,
    /// kubectl's own errors (commands that did not parse), printed after its output.
    errors: Vec<String>,
    over: bool,
}

impl Run {
    pub fn start(
        scenario: &Scenario,
        cluster: &Cluster,
        installed: &etcd::Snapshot,
        seed: u64,
        horizon_ms: u64,
        limits: limits::Limits,
    ) -> Run {
        let mut engine = engine::Engine::with_installed(cluster, installed.clone(), seed);
        engine.set_limits(limits);
        let mut errors = Vec::new();
        for (at, line) in &scenario.commands {
            match kubectl::client::parse_command(line, &scenario.files) {
                Ok(command) => engine.command(*at, command),
                Err(e) => errors.push(e),
            }
        }
        Run {
            engine,
            horizon_ms,
            errors,
            over: false,
        }
    }

    /// Delivers at most `budget` more messages; returns whether the run is over.
    pub fn advance(&mut self, budget: usize) -> bool {
        if !self.over {
            self.over = self.engine.run_some(self.horizon_ms, budget);
        }
        self.over
    }

    pub fn is_over(&self) -> bool {
        self.over
    }

    /// Messages delivered so far.
    pub fn delivered(&self) -> usize {
        self.engine.delivered()
    }

    /// The steps so far, as a trace (a copy: O(steps so far)).
    pub fn trace_so_far(&self) -> Trace {
        let mut trace = self.engine.trace_so_far();
        trace.kubectl.extend(self.errors.iter().cloned());
        trace
    }

    /// The trace of the whole run (call once [`Run::advance`] returned true; before that,
    /// the trace stops where the run was).
    pub fn finish(self) -> Trace {
        let mut trace = self.engine.into_trace();
        trace.kubectl.extend(self.errors);
        trace
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run sliced into small pieces gives the trace of a run in one go, and every
    /// partial trace is a prefix of it.
    #[test]
    fn a_sliced_run_is_the_same_run() {
        let cluster = Cluster::default();
        let installed = cluster.install();
        let mut scenario = Scenario::default();
        scenario.files.insert(
            MANIFEST_FILE.into(),
            scenarios::scale::deployment_with_service(3),
        );
        scenario
            .commands
            .push((0, format!("kubectl apply -f {MANIFEST_FILE}")));
        scenario.commands.push((1, "kubectl nonsense".into()));
        let whole = run_with(
            &scenario,
            &cluster,
            &installed,
            7,
            DEFAULT_HORIZON_MS,
            limits::Limits::BROWSER,
        );
        let mut run = Run::start(
            &scenario,
            &cluster,
            &installed,
            7,
            DEFAULT_HORIZON_MS,
            limits::Limits::BROWSER,
        );
        let mut slices = 0;
        while !run.advance(37) {
            slices += 1;
            let partial = run.trace_so_far();
            assert_eq!(partial.steps.len(), run.delivered());
            for (a, b) in partial.steps.iter().zip(&whole.steps) {
                assert_eq!(a.to_string(), b.to_string());
            }
        }
        assert!(slices > 3, "the run took {slices} slices");
        assert!(run.advance(37), "a run that is over stays over");
        let sliced = run.finish();
        assert_eq!(sliced.to_string(), whole.to_string());
        assert_eq!(sliced.kubectl, whole.kubectl);
        assert!(whole.kubectl.iter().any(|l| l.contains("nonsense")));
    }
}
