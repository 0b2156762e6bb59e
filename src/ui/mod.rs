//! The Leptos shell: renders a trace and moves a cursor through it.
//!
//! Invariants:
//! - The UI never changes simulation state. Inputs (manifest text, cursor, playback) are
//!   signals; everything else is a memo derived from them ([`state::AppState`]).
//! - Effects only talk to the outside world (local storage, timers); they never write
//!   signals that other memos derive from, except the playback timer moving the cursor.
//! - Every panel carries a stable `data-testid` the browser tests rely on.

mod cluster;
mod cluster_editor;
mod console;
mod describe;
mod editor;
mod embed;
mod etcd;
mod flow;
mod gallery;
mod highlight;
mod hooks;
mod keyspace;
mod markers;
mod narration;
mod protocol;
mod share;
mod state;
mod tabs;
mod timeline;

use leptos::prelude::*;

pub use state::AppState;

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    let marks = Memo::new(move |_| state.trace.with(|t| markers::markers(t)));
    provide_context(marks);
    let help = RwSignal::new(false);
    let alerts = embed::Alerts(RwSignal::new(Vec::new()));
    provide_context(alerts);
    // A link, an embed or a framed page never touches the learner's local storage.
    let (start, persist) = embed::startup(state, alerts);
    if persist {
        hooks::use_local_storage(state);
        cluster_editor::use_cluster_storage(state);
        console::use_script_storage(state);
    }
    hooks::use_playback(state);
    hooks::use_shortcuts(state, help, marks);
    embed::use_hashchange();
    embed::use_messages(state, start.view.clone());
    if start.view.embed {
        return view! { <embed::EmbedLayout view=start.view/> }.into_any();
    }

    view! {
        <div class="app">
            <header class="topbar">
                <div class="brand">
                    <img src="public/favicon.svg" alt="" width="28" height="28"/>
                    <span class="brand-name">"podflow"</span>
                </div>
                <p class="tagline">"What really happens when you create a Kubernetes pod"</p>
                <cluster_editor::ClusterEditor/>
                <gallery::Gallery/>
                <share::ShareButtons/>
                <button
                    type="button"
                    class="help-button"
                    aria-label="keyboard shortcuts"
                    aria-keyshortcuts="?"
                    aria-haspopup="dialog"
                    on:click=move |_| help.set(true)
                >
                    "?"
                </button>
            </header>
            <embed::LinkAlerts/>
            <main class="workspace">
                <console::EditorStack/>
                <cluster::ClusterView/>
                <flow::MessageFlow/>
                <describe::Inspector/>
                <narration::Narration/>
            </main>
            <timeline::Timeline/>
            <Show when=move || help.get()>
                <HelpOverlay help=help/>
            </Show>
        </div>
    }
    .into_any()
}

/// The shortcuts, as the help overlay lists them.
const SHORTCUTS: &[(&str, &str)] = &[
    ("Space", "play or pause"),
    ("→", "next step"),
    ("←", "previous step"),
    ("Home", "first step"),
    ("End", "last step"),
    (
        "]",
        "next marker (event, phase change, scheduling, failure)",
    ),
    ("[", "previous marker"),
    ("?", "show or hide this help"),
    (
        "Esc",
        "close this help; in the editor, then Tab leaves the editor",
    ),
];

/// A modal dialog listing the keyboard shortcuts; Escape, `?`, the close button or a
/// click outside closes it, and focus returns to where it was.
#[component]
fn HelpOverlay(help: RwSignal<bool>) -> impl IntoView {
    let close_button: NodeRef<leptos::html::Button> = NodeRef::new();
    let previous = send_wrapper::SendWrapper::new(
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element()),
    );
    Effect::new(move |_| {
        if let Some(b) = close_button.get() {
            let _ = b.focus();
        }
    });
    on_cleanup(move || {
        use wasm_bindgen::JsCast;
        if let Some(el) = previous
            .take()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
    let rows = SHORTCUTS
        .iter()
        .map(
            |(key, what)| view! { <tr><th scope="row"><kbd>{*key}</kbd></th><td>{*what}</td></tr> },
        )
        .collect_view();
    view! {
        <div class="overlay" on:click=move |_| help.set(false)>
            <div
                class="dialog help"
                role="dialog"
                aria-modal="true"
                aria-labelledby="help-title"
                on:click=|ev| ev.stop_propagation()
                on:keydown=move |ev| {
                    // Keep Tab inside the dialog: its only control is the close button.
                    if ev.key() == "Tab" {
                        ev.prevent_default();
                    }
                }
            >
                <header>
                    <h2 id="help-title">"Keyboard shortcuts"</h2>
                    <button
                        type="button"
                        class="close"
                        node_ref=close_button
                        aria-label="close"
                        on:click=move |_| help.set(false)
                    >
                        "✕"
                    </button>
                </header>
                <table class="shortcuts">
                    <tbody>{rows}</tbody>
                </table>
                <p class="note">
                    "Scrubber markers: ● event, ◆ phase change, ▲ pod scheduled, ■ failure. "
                    "Shortcuts do nothing while you type in the manifest."
                </p>
            </div>
        </div>
    }
}
