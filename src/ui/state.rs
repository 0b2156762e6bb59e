//! AppState: the input signals and the memos derived from them, provided once as context.
//!
//! ```text
//! manifest: RwSignal<String> ─► simulation: Memo ─► trace (last good) ─► panels
//! cursor:   RwSignal<usize>  ───────────────────────────────────────────┘
//! playing:  RwSignal<bool>   (the playback timer writes the cursor only)
//! ```

use std::sync::Arc;

use leptos::prelude::*;

use crate::sim::{self, cluster::Cluster, trace::Trace, Simulation};

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
    /// The latest simulation of the manifest, whether or not it parsed.
    pub simulation: Memo<Shared<Simulation>>,
    /// The last trace of a manifest that parsed; kept while the text is invalid.
    pub trace: Memo<Shared<Trace>>,
    /// True while the editor text has errors and `trace` is the last good one.
    pub stale: Memo<bool>,
    /// The pod a learner clicked in the cluster view, as `namespace/name`.
    pub selected: RwSignal<Option<String>>,
}

impl AppState {
    pub fn new() -> Self {
        let manifest = RwSignal::new(sim::scenarios::NGINX.to_string());
        let cluster = RwSignal::new(Arc::new(Cluster::default()));
        let simulation = Memo::new(move |_| {
            let text = manifest.get();
            let cluster = cluster.get();
            Shared(Arc::new(sim::simulate(&text, &cluster, SEED)))
        });
        let trace = Memo::new(move |previous: Option<&Shared<Trace>>| {
            let simulation = simulation.get();
            match previous {
                Some(last_good) if simulation.parsed.has_errors() => last_good.clone(),
                _ => Shared(Arc::new(simulation.trace.clone())),
            }
        });
        let stale = Memo::new(move |_| simulation.with(|s| s.parsed.has_errors()));
        AppState {
            manifest,
            cursor: RwSignal::new(0),
            playing: RwSignal::new(false),
            speed: RwSignal::new(4),
            cluster,
            simulation,
            trace,
            stale,
            selected: RwSignal::new(None),
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

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}
