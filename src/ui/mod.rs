//! The Leptos shell: renders a trace and moves a cursor through it.
//!
//! Invariants:
//! - The UI never changes simulation state. Inputs (manifest text, cursor, playback) are
//!   signals; everything else is a memo derived from them ([`state::AppState`]).
//! - Effects only talk to the outside world (local storage, timers); they never write
//!   signals that other memos derive from, except the playback timer moving the cursor.
//! - Every panel carries a stable `data-testid` the browser tests rely on.

mod cluster;
mod editor;
mod etcd;
mod flow;
mod hooks;
mod narration;
mod state;
mod timeline;

use leptos::prelude::*;

pub use state::AppState;

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    hooks::use_local_storage(state);
    hooks::use_playback(state);

    view! {
        <div class="app">
            <header class="topbar">
                <div class="brand">
                    <img src="public/favicon.svg" alt="" width="28" height="28"/>
                    <span class="brand-name">"podflow"</span>
                </div>
                <p class="tagline">"What really happens when you create a Kubernetes pod"</p>
            </header>
            <main class="workspace">
                <editor::ManifestEditor/>
                <cluster::ClusterView/>
                <flow::MessageFlow/>
                <etcd::EtcdKeyspace/>
                <narration::Narration/>
            </main>
            <timeline::Timeline/>
        </div>
    }
}
