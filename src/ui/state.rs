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
//!
//! A large run is shown before it is over: the simulation memo runs the first
//! [`PREVIEW_DELIVERIES`] messages and shows their trace at once; a task then simulates
//! the rest in slices of about [`SLICE_MS`] between frames (the page stays responsive,
//! `progress` counts the messages) and swaps the whole trace in. A partial trace is a
//! prefix of the whole one ([`sim::Run`]), so the cursor keeps its step. An edit starts
//! a new run and the old one is dropped at its next slice.

use std::sync::Arc;

use leptos::prelude::*;

use crate::sim::{self, cluster::Cluster, etcd::Snapshot, trace::Trace, Run, Scenario, Simulation};

/// Messages simulated before a run is first shown. A small run (the nginx pod is about
/// 80) is over well before; a 3,000-pod Deployment (about 150,000) shows its first
/// pods' messages within a few hundred milliseconds and simulates the rest afterwards.
pub const PREVIEW_DELIVERIES: usize = 4_000;

/// How long one slice of the rest of a large run may take before the page gets a frame.
pub const SLICE_MS: f64 = 40.0;

/// Messages simulated between two looks at the clock within a slice.
const DELIVERIES_PER_CHECK: usize = 250;

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
    /// The latest simulation of the manifest, whether or not it parsed. For a large run,
    /// first its first messages, then the whole run once simulated.
    pub simulation: Memo<Shared<Simulation>>,
    /// Steps simulated so far while the rest of a large run is being simulated;
    /// `None` when the shown run is whole.
    pub progress: RwSignal<Option<usize>>,
    /// True while the shown trace is the first part of a run still being simulated: a
    /// step beyond its end (from a link or a host page) is kept for the whole trace.
    pub partial: Memo<bool>,
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
        // Each run gets a generation; the task finishing a large run only delivers its
        // trace if no edit started another run meanwhile.
        let generation = StoredValue::new(0u64);
        let unfinished: StoredValue<Option<(u64, Run)>, LocalStorage> =
            StoredValue::new_local(None);
        let finished: RwSignal<Option<(u64, Shared<Simulation>)>> = RwSignal::new(None);
        let progress = RwSignal::new(None);
        let preview = Memo::new(move |_| {
            let text = manifest.get();
            let cluster = cluster.get();
            let scenario = apply.with(|a| commands.with(|c| scenario(&text, a, c)));
            let mut run = installed.with(|i| {
                Run::start(
                    &scenario,
                    &cluster,
                    i,
                    SEED,
                    sim::DEFAULT_HORIZON_MS,
                    sim::limits::Limits::BROWSER,
                )
            });
            let over = run.advance(PREVIEW_DELIVERIES);
            let id = generation.get_value() + 1;
            generation.set_value(id);
            let trace = if over {
                unfinished.set_value(None);
                run.finish()
            } else {
                let so_far = run.trace_so_far();
                // Not reactive state: the task started below takes it from here.
                unfinished.set_value(Some((id, run)));
                so_far
            };
            Preview {
                id,
                over,
                simulation: Shared(Arc::new(Simulation {
                    parsed: sim::manifest::parse(&text),
                    trace: Arc::new(trace),
                })),
            }
        });
        Effect::new(move |_| {
            let (id, over) = preview.with(|p| (p.id, p.over));
            if over {
                progress.set(None);
                return;
            }
            progress.set(Some(0));
            leptos::task::spawn_local(finish_run(id, unfinished, finished, progress, manifest));
        });
        let partial = Memo::new(move |_| {
            let (id, over) = preview.with(|p| (p.id, p.over));
            !over && finished.with(|f| f.as_ref().is_none_or(|(done, _)| *done != id))
        });
        let simulation = Memo::new(move |_| {
            let preview = preview.get();
            finished.with(|f| match f {
                Some((id, whole)) if *id == preview.id => whole.clone(),
                _ => preview.simulation.clone(),
            })
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
            progress,
            partial,
            trace,
            stale,
            etcd,
        }
    }

    /// Number of steps in the shown trace.
    pub fn steps(&self) -> usize {
        self.trace.with(|t| t.steps.len())
    }

    /// Where a step asked for from outside (a link's `step=`, a host page's
    /// `podflow:step`) puts the cursor: clamped to the trace, unless the trace is the
    /// first part of a run still being simulated, whose whole trace may hold the step.
    pub fn cursor_for(&self, index: usize) -> usize {
        if self.partial.get_untracked() {
            index
        } else {
            index.min(self.steps().saturating_sub(1))
        }
    }

    /// The cursor clamped to the trace.
    pub fn position(&self) -> usize {
        let len = self.steps();
        self.cursor.get().min(len.saturating_sub(1))
    }
}

/// A run as first shown: whole, or its first messages while the rest is simulated.
#[derive(Clone)]
struct Preview {
    id: u64,
    over: bool,
    simulation: Shared<Simulation>,
}

impl PartialEq for Preview {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

/// Simulates the rest of run `id` in slices of about [`SLICE_MS`], yielding a frame
/// between slices, then delivers its whole trace to `finished`. Stops at the first slice
/// after another run replaced it.
async fn finish_run(
    id: u64,
    unfinished: StoredValue<Option<(u64, Run)>, LocalStorage>,
    finished: RwSignal<Option<(u64, Shared<Simulation>)>>,
    progress: RwSignal<Option<usize>>,
    manifest: RwSignal<String>,
) {
    loop {
        gloo_timers::future::TimeoutFuture::new(0).await;
        let sliced = unfinished.try_update_value(|slot| match slot {
            Some((current, run)) if *current == id => {
                let start = js_sys::Date::now();
                let mut over = run.advance(DELIVERIES_PER_CHECK);
                while !over && js_sys::Date::now() - start < SLICE_MS {
                    over = run.advance(DELIVERIES_PER_CHECK);
                }
                Some((over, run.delivered()))
            }
            _ => None,
        });
        match sliced.flatten() {
            None => return,
            Some((false, delivered)) => progress.set(Some(delivered)),
            Some((true, _)) => {
                let Some(Some((_, run))) = unfinished.try_update_value(Option::take) else {
                    return;
                };
                let trace = run.finish();
                let parsed = manifest.with_untracked(|text| sim::manifest::parse(text));
                finished.set(Some((
                    id,
                    Shared(Arc::new(Simulation {
                        parsed,
                        trace: Arc::new(trace),
                    })),
                )));
                progress.set(None);
                return;
            }
        }
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
