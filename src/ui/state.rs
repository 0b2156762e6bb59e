//! AppState: the input signals and the memos derived from them, provided once as context.
//!
//! ```text
//! manifest: RwSignal<String> ─► simulation: Memo ─► trace (last good) ─► panels
//! cursor:   RwSignal<usize>  ───────────────────────────────────────────┤
//!                                  (trace, cursor) ─► etcd: Memo (keyspace at the cursor) ─► panels
//! playing:  RwSignal<bool>   (the playback timer writes the cursor only)
//! apply, commands: RwSignal   ─► (the scenario: the manifest applied at 0 s, then the
//!                                 learner's kubectl commands) ─► simulation
//! selected: RwSignal<Option<String>> (the pod the describe panel shows)
//! ```

use std::sync::Arc;

use leptos::prelude::*;

use crate::sim::{self, cluster::Cluster, etcd::Snapshot, trace::Trace, Scenario, Simulation};

/// An `Arc` compared by identity, so a memo holding a large value notices a change in
/// O(1) and never walks the value.
#[derive(Debug)]
pub struct Shared<T>(pub Arc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The seed the app simulates with; the CLI takes `--seed` for others.
pub const SEED: u64 = 42;

#[derive(Clone, Copy)]
pub struct AppState {
    /// The manifest text in the editor.
    pub manifest: RwSignal<String>,
    /// The step being shown.
    pub cursor: RwSignal<usize>,
    pub playing: RwSignal<bool>,
    /// Steps per second while playing.
    pub speed: RwSignal<u32>,
    pub cluster: RwSignal<Arc<Cluster>>,
    /// The command line that applies the manifest at 0 s (`kubectl apply -f pod.yaml`;
    /// a preset may add `--as=jane`).
    pub apply: RwSignal<String>,
    /// kubectl commands the learner (or a preset) added, at simulated times in ms.
    pub commands: RwSignal<Vec<(u64, String)>>,
    /// The pod the learner clicked in the cluster view and the describe panel shows, as
    /// `namespace/name`; `None`: the manifest's first pod.
    pub selected: RwSignal<Option<String>>,
    /// The latest simulation of the manifest, whether or not it parsed.
    pub simulation: Memo<Shared<Simulation>>,
    /// The last trace of a manifest that parsed; kept while the text is invalid.
    pub trace: Memo<Shared<Trace>>,
    /// True while the editor text has errors and `trace` is the last good one.
    pub stale: Memo<bool>,
    /// etcd's keyspace at the cursor: rebuilt once per cursor move (a checkpoint and the
    /// writes since, [`Trace::etcd_at`]) for every panel that reads it.
    pub etcd: Memo<Shared<Snapshot>>,
}

impl AppState {
    pub fn new() -> Self {
        let manifest = RwSignal::new(sim::scenarios::NGINX.to_string());
        let cluster = RwSignal::new(Arc::new(Cluster::default()));
        let apply = RwSignal::new(default_apply());
        let commands = RwSignal::new(Vec::new());
        // The cluster's keyspace is installed once per cluster, not on every edit.
        let installed = Memo::new(move |_| Shared(Arc::new(cluster.get().install())));
        let simulation = Memo::new(move |_| {
            let text = manifest.get();
            let cluster = cluster.get();
            let scenario = apply.with(|a| commands.with(|c| scenario(&text, a, c)));
            let trace = installed.with(|i| {
                sim::run_installed(&scenario, &cluster, i, SEED, sim::DEFAULT_HORIZON_MS)
            });
            Shared(Arc::new(Simulation {
                parsed: sim::manifest::parse(&text),
                trace: Arc::new(trace),
            }))
        });
        let trace = Memo::new(move |previous: Option<&Shared<Trace>>| {
            let simulation = simulation.get();
            match previous {
                Some(last_good) if simulation.parsed.has_errors() => last_good.clone(),
                _ => Shared(simulation.trace.clone()),
            }
        });
        let stale = Memo::new(move |_| simulation.with(|s| s.parsed.has_errors()));
        let cursor = RwSignal::new(0);
        // etcd_at clamps the cursor to the trace, as `position` does.
        let etcd = Memo::new(move |_| {
            let at = cursor.get();
            trace.with(|t| Shared(Arc::new(t.etcd_at(at))))
        });
        AppState {
            manifest,
            cursor,
            playing: RwSignal::new(false),
            speed: RwSignal::new(4),
            cluster,
            apply,
            commands,
            selected: RwSignal::new(None),
            simulation,
            trace,
            stale,
            etcd,
        }
    }

    /// Number of steps in the shown trace.
    pub fn steps(&self) -> usize {
        self.trace.with(|t| t.steps.len())
    }

    /// The cursor clamped to the trace.
    pub fn position(&self) -> usize {
        let len = self.steps();
        self.cursor.get().min(len.saturating_sub(1))
    }
}

/// `kubectl apply -f pod.yaml`.
pub fn default_apply() -> String {
    format!("kubectl apply -f {}", sim::MANIFEST_FILE)
}

/// The run the app shows: `manifest` as `pod.yaml`, `apply` at 0 s, then `commands` in
/// time order (the order a learner added them in breaks ties).
pub fn scenario(manifest: &str, apply: &str, commands: &[(u64, String)]) -> Scenario {
    Scenario::applying(manifest, apply, commands)
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_scenario_is_what_simulate_runs() {
        let text = sim::scenarios::NGINX;
        let cluster = Cluster::default();
        let ours = sim::run(
            &scenario(text, &default_apply(), &[]),
            &cluster,
            SEED,
            sim::DEFAULT_HORIZON_MS,
        );
        let theirs = sim::simulate(text, &cluster, SEED).trace;
        assert_eq!(ours.to_string(), theirs.to_string());
    }

    #[test]
    fn commands_run_in_time_order() {
        let s = scenario(
            "x",
            "kubectl apply -f pod.yaml --as=jane",
            &[(9, "b".into()), (3, "a".into()), (9, "c".into())],
        );
        let lines: Vec<&str> = s.commands.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            lines,
            ["kubectl apply -f pod.yaml --as=jane", "a", "b", "c"]
        );
        assert_eq!(s.files["pod.yaml"], "x");
    }
}
