//! Links, embedding and the parent page: what the page's URL asks for at startup, the
//! compact layout for an iframe (`?embed=1`), and the postMessage glue over
//! [`super::protocol`].
//!
//! Invariants:
//! - Only the plain full page (top-level, no `embed=`, no lesson in the fragment) reads or
//!   writes the learner's local storage. A link never overwrites a learner's own work, and
//!   two embeds on one page never fight over it.
//! - A damaged link or query never blanks the page: the default manifest is shown with a
//!   dismissible `role="alert"` message quoting the codec's error.
//! - Everything from a link or a message reaches the DOM as text (Leptos text nodes and
//!   attribute values), never as HTML.

use std::collections::BTreeSet;
use std::sync::Arc;

use leptos::prelude::*;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

use super::protocol::{self, Incoming, Outgoing, Rejected};
use super::state::Shared;
use super::AppState;
use crate::link::{self, Lesson, Panel, View};
use crate::sim::cluster::Cluster;

/// Messages about the page's URL, shown above the panels until dismissed: problems
/// (`role="alert"`) and notes (`role="status"`).
#[derive(Clone, Copy)]
pub struct Alerts(pub RwSignal<Vec<Option<(bool, String)>>>);

impl Alerts {
    /// A problem: something in the URL could not be used.
    pub fn push(&self, text: String) {
        self.0.update(|v| v.push(Some((true, text))));
    }

    /// A note: nothing is wrong, but the learner should know.
    pub fn note(&self, text: String) {
        self.0.update(|v| v.push(Some((false, text))));
    }
}

/// What the full page says when it opens a shared lesson.
pub const LINK_NOTE: &str = "You opened a shared lesson: changes made here are not saved, and \
     the work you saved in this browser is kept for when you open podflow without a link.";

/// What the page's URL asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Startup {
    pub view: View,
    /// The lesson in the fragment, if it carries a readable one.
    pub lesson: Option<Lesson>,
    /// True when the fragment meant to carry a lesson (readable or not).
    pub from_link: bool,
    pub alerts: Vec<String>,
}

/// Reads `location.search` and `location.hash` (pure, so it is unit-tested natively).
pub fn plan(search: &str, hash: &str) -> Startup {
    let mut alerts = Vec::new();
    let view = match link::parse_query(search) {
        Ok(view) => view,
        Err(e) => {
            alerts.push(format!("The page address could not be read: {e}."));
            fallback_view(search)
        }
    };
    let (lesson, from_link) = match link::parse_fragment(hash) {
        Ok(lesson) => {
            let from_link = lesson.is_some();
            (lesson, from_link)
        }
        Err(e) => {
            alerts.push(format!(
                "This link could not be opened: {e}. The default manifest is shown instead."
            ));
            (None, true)
        }
    };
    Startup {
        view,
        lesson,
        from_link,
        alerts,
    }
}

/// The view of a query [`link::parse_query`] refused: still embedded if it says so, with
/// every panel.
fn fallback_view(search: &str) -> View {
    let search = search.strip_prefix('?').unwrap_or(search);
    let embed = search.split('&').any(|p| {
        matches!(
            p,
            "embed" | "embed=1" | "embed=true" | "e" | "e=1" | "e=true"
        )
    });
    View {
        embed,
        ..View::default()
    }
}

/// The lesson a link would carry for what the page shows now: the manifest, the cluster
/// unless it is the default, the user the manifest is applied as (a preset's `--as`),
/// the added commands and the current step (1-based).
/// Reads the signals untracked.
pub fn current_lesson(state: AppState) -> Lesson {
    untrack(|| current_lesson_tracked(state))
}

fn current_lesson_tracked(state: AppState) -> Lesson {
    let cluster = state
        .cluster
        .with_untracked(|c| (**c != Cluster::default()).then(|| c.to_yaml()));
    Lesson {
        manifest: state.manifest.get_untracked(),
        cluster,
        commands: state.commands.get_untracked(),
        step: Some(state.position() + 1),
        autoplay: false,
        speed: None,
        apply_as: Lesson::user_of(&state.apply.get_untracked()),
    }
}

/// The page's address without query and fragment.
pub fn page_base() -> String {
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    href.split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Whether this page runs inside another page's frame.
pub fn embedded() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    match window.parent() {
        Ok(Some(parent)) => !js_sys::Object::is(parent.as_ref(), window.as_ref()),
        _ => false,
    }
}

/// Reads the URL and sets up the state it asks for; returns it, with whether this page
/// may use local storage (the caller installs the storage hooks only then).
pub fn startup(state: AppState, alerts: Alerts) -> (Startup, bool) {
    let location = web_sys::window().map(|w| w.location());
    let search = location
        .as_ref()
        .and_then(|l| l.search().ok())
        .unwrap_or_default();
    let hash = location
        .as_ref()
        .and_then(|l| l.hash().ok())
        .unwrap_or_default();
    let start = plan(&search, &hash);
    for a in &start.alerts {
        alerts.push(a.clone());
    }
    if let Some(lesson) = &start.lesson {
        if !start.view.embed {
            alerts.note(LINK_NOTE.to_string());
        }
        apply_lesson(state, alerts, lesson);
    }
    let persist = !start.view.embed && !start.from_link && !embedded();
    (start, persist)
}

/// Shows `lesson`: manifest, cluster (a bad one: a message and the default cluster),
/// commands, step, speed and autoplay.
fn apply_lesson(state: AppState, alerts: Alerts, lesson: &Lesson) {
    state.playing.set(false);
    state.manifest.set(lesson.manifest.clone());
    let cluster = match lesson.cluster.as_deref().map(Cluster::from_yaml) {
        None => Cluster::default(),
        Some(Ok(c)) => c,
        Some(Err(e)) => {
            alerts.push(format!(
                "The link's cluster could not be read ({e}); the default cluster is shown instead."
            ));
            Cluster::default()
        }
    };
    state.cluster.set(Arc::new(cluster));
    state.apply.set(lesson.apply_line());
    state.commands.set(lesson.commands.clone());
    state.selected.set(None);
    let last = state.steps().saturating_sub(1);
    state
        .cursor
        .set(state.cursor_for(lesson.step.map_or(0, |s| s.saturating_sub(1))));
    if let Some(speed) = lesson.speed {
        state.speed.set(speed.clamp(1, 60));
    }
    if lesson.autoplay && last > 0 {
        state.playing.set(true);
    }
}

/// A changed fragment is a new lesson (or none): the page starts again from its URL, so
/// the storage rule above holds whichever way the page was opened.
pub fn use_hashchange() {
    let handle = window_event_listener(leptos::ev::hashchange, |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    });
    on_cleanup(move || handle.remove());
}

fn warn(text: &str) {
    web_sys::console::warn_1(&JsValue::from_str(text));
}

/// Posts `message` to the parent page, if there is one (see docs/embedding.md).
fn post(message: &Outgoing, view: &View) {
    if !embedded() {
        return;
    }
    let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
        return;
    };
    let value = protocol::outgoing(message, view.id.as_deref());
    let Ok(data) = js_sys::JSON::parse(&value.to_string()) else {
        return;
    };
    let target = view.origin.as_deref().unwrap_or("*");
    let _ = parent.post_message(&data, target);
}

/// The postMessage protocol: acts on the parent's messages and tells the parent about
/// the app (ready, each step reached, each pod first Running, rejected loads).
pub fn use_messages(state: AppState, view: View) {
    if !embedded() {
        return;
    }
    let view = Arc::new(view);
    post(
        &Outgoing::Ready {
            steps: state.steps(),
        },
        &view,
    );

    {
        let view = Arc::clone(&view);
        Effect::new(move |_| {
            let at = state.position();
            let (total, label) = state.trace.with(|t| {
                (
                    t.steps.len(),
                    t.steps.get(at).map(|s| s.label.clone()).unwrap_or_default(),
                )
            });
            post(
                &Outgoing::Step {
                    step: at + 1,
                    total,
                    label,
                },
                &view,
            );
        });
    }

    {
        let view = Arc::clone(&view);
        let running = Memo::new(move |_| {
            state
                .trace
                .with(|t| Shared(Arc::new(protocol::running_steps(t))))
        });
        let announced = StoredValue::new(BTreeSet::<String>::new());
        Effect::new(move |previous: Option<Shared<Vec<(usize, String)>>>| {
            let list = running.get();
            if previous.is_some_and(|p| p != list) {
                announced.update_value(|a| a.clear());
            }
            let at = state.position();
            for (step, pod) in list.iter().filter(|(step, _)| *step <= at) {
                if announced.try_update_value(|a| a.insert(pod.clone())) == Some(true) {
                    post(
                        &Outgoing::Running {
                            pod: pod.clone(),
                            step: step + 1,
                        },
                        &view,
                    );
                }
            }
            list
        });
    }

    let handle = window_event_listener(leptos::ev::message, move |ev| {
        let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
            return;
        };
        let from_parent = ev
            .source()
            .is_some_and(|s| js_sys::Object::is(s.as_ref(), parent.as_ref()));
        if !from_parent {
            return;
        }
        if view.origin.as_deref().is_some_and(|o| o != ev.origin()) {
            return;
        }
        let text = js_sys::JSON::stringify(&ev.data())
            .ok()
            .and_then(|s| JsValue::from(s).as_string());
        let Some(data) = text.and_then(|t| serde_json::from_str::<Value>(&t).ok()) else {
            return;
        };
        match protocol::parse(&data) {
            Ok(message) => act(state, message, &view),
            Err(Rejected::NotOurs) => {}
            Err(Rejected::Invalid { load, message }) => {
                warn(&format!("podflow ignored a message: {message}"));
                if load {
                    post(&Outgoing::Error { message }, &view);
                }
            }
        }
    });
    on_cleanup(move || handle.remove());
}

fn act(state: AppState, message: Incoming, view: &View) {
    let last = state.steps().saturating_sub(1);
    match message {
        Incoming::Load {
            manifest,
            cluster,
            commands,
        } => {
            let cluster = match cluster.as_deref().map(Cluster::from_yaml) {
                None => Cluster::default(),
                Some(Ok(c)) => c,
                Some(Err(e)) => {
                    let message = format!("podflow:load: the cluster could not be read: {e}");
                    warn(&format!("podflow ignored a message: {message}"));
                    post(&Outgoing::Error { message }, view);
                    return;
                }
            };
            state.playing.set(false);
            state.manifest.set(manifest);
            state.cluster.set(Arc::new(cluster));
            // A new lesson: applied by the cluster's admin, whatever the link said.
            state.apply.set(super::state::default_apply());
            state.commands.set(commands);
            state.selected.set(None);
            state.cursor.set(0);
            post(
                &Outgoing::Ready {
                    steps: state.steps(),
                },
                view,
            );
        }
        Incoming::Step(step) => {
            state.playing.set(false);
            state.cursor.set(state.cursor_for(step - 1));
        }
        Incoming::Play => {
            if state.position() >= last {
                state.cursor.set(0);
            }
            state.playing.set(last > 0);
        }
        Incoming::Pause => state.playing.set(false),
    }
}

/// The messages in [`Alerts`], each with a button that dismisses it.
#[component]
pub fn LinkAlerts() -> impl IntoView {
    let alerts = expect_context::<Alerts>();
    let shown = move || {
        alerts.0.with(|all| {
            all.iter()
                .enumerate()
                .filter_map(|(i, a)| a.clone().map(|a| (i, a)))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <For
            each=shown
            key=|(i, _)| *i
            children=move |(i, (problem, text))| {
                view! {
                    <div
                        class="link-alert"
                        class:note=!problem
                        role=if problem { "alert" } else { "status" }
                        data-testid=if problem { "link-alert" } else { "link-note" }
                    >
                        <p>{text}</p>
                        <button
                            type="button"
                            class="close"
                            aria-label="dismiss this message"
                            on:click=move |_| alerts.0.update(|v| v[i] = None)
                        >
                            "✕"
                        </button>
                    </div>
                }
            }
        />
    }
}

fn panel_view(panel: Panel) -> AnyView {
    match panel {
        Panel::Editor => view! { <super::editor::ManifestEditor/> }.into_any(),
        Panel::Console => view! { <super::console::KubectlConsole/> }.into_any(),
        Panel::Cluster => view! { <super::cluster::ClusterView/> }.into_any(),
        Panel::Flow => view! { <super::flow::MessageFlow/> }.into_any(),
        Panel::Etcd => view! { <super::etcd::EtcdKeyspace/> }.into_any(),
        Panel::Describe => view! { <super::describe::Describe/> }.into_any(),
        Panel::Narration => view! { <super::narration::Narration/> }.into_any(),
        Panel::Timeline => view! { <super::timeline::Timeline/> }.into_any(),
    }
}

/// The compact layout for an iframe: the chosen panels, the player, and a link to the
/// full page; no top bar, gallery, cluster editor or help.
#[component]
pub fn EmbedLayout(view: View) -> impl IntoView {
    let state = expect_context::<AppState>();
    let panels = view.panels.clone().unwrap_or_else(|| Panel::ALL.to_vec());
    let timeline = panels.contains(&Panel::Timeline);
    let body: Vec<Panel> = panels
        .iter()
        .copied()
        .filter(|p| *p != Panel::Timeline)
        .collect();
    let count = body.len();
    let names = panels
        .iter()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(" ");
    // The full page opens on what the embed shows now (a host may have loaded another
    // lesson, the learner may have stepped on). The lesson is encoded once per change;
    // the step, a parameter of its own, follows the cursor.
    let lesson_url = Memo::new(move |_| {
        state.manifest.track();
        state.cluster.track();
        state.commands.track();
        state.apply.track();
        let lesson = Lesson {
            step: None,
            ..current_lesson(state)
        };
        link::url(&page_base(), &View::default(), &lesson, link::Form::Compact)
    });
    let full = move || format!("{}&step={}", lesson_url.get(), state.position() + 1);
    view! {
        <div class="app embed" data-testid="embed" data-panels=names>
            <LinkAlerts/>
            <main class="embed-panels" class:single=count == 1>
                {body.into_iter().map(panel_view).collect_view()}
            </main>
            // The player and the way out stay in view at the bottom of the frame.
            <div class="embed-dock">
                {timeline.then(|| panel_view(Panel::Timeline))}
                <p class="embed-footer">
                    <a class="open-full" href=full target="_blank" rel="noopener">
                        "Open in full podflow ↗"
                    </a>
                </p>
            </div>
        </div>
    }
}

/// The element with `id`, as an HTML element.
pub fn element_by_id(id: &str) -> Option<web_sys::HtmlElement> {
    web_sys::window()?
        .document()?
        .get_element_by_id(id)?
        .dyn_into::<web_sys::HtmlElement>()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::Form;
    use crate::sim;

    #[test]
    fn a_plain_address_is_a_plain_page() {
        let s = plan("", "");
        assert_eq!(s.view, View::default());
        assert_eq!(s.lesson, None);
        assert!(!s.from_link);
        assert!(s.alerts.is_empty());
        assert!(!plan("?utm_source=x", "#top").from_link);
    }

    #[test]
    fn a_link_carries_its_lesson() {
        let lesson = Lesson {
            manifest: sim::scenarios::NGINX.to_string(),
            step: Some(5),
            ..Lesson::default()
        };
        for form in [Form::Compact, Form::Readable] {
            let s = plan(
                "?embed=1&panels=flow,timeline&id=a",
                &link::to_fragment(&lesson, form),
            );
            assert_eq!(s.lesson.as_ref(), Some(&lesson));
            assert!(s.from_link && s.view.embed && s.alerts.is_empty());
            assert_eq!(s.view.panels, Some(vec![Panel::Flow, Panel::Timeline]));
            assert_eq!(s.view.id.as_deref(), Some("a"));
        }
    }

    #[test]
    fn a_damaged_link_is_a_message_not_a_lesson() {
        let s = plan("", "#m=%%%");
        assert_eq!(s.lesson, None);
        assert!(
            s.from_link,
            "a damaged link still keeps local storage alone"
        );
        assert_eq!(s.alerts.len(), 1);
        assert!(s.alerts[0].starts_with("This link could not be opened: "));
        let s = plan("?e=1&panels=nope", "");
        assert!(s.view.embed, "still embedded");
        assert_eq!(s.view.panels, None, "with every panel");
        assert!(s.alerts[0].contains("nope"), "{:?}", s.alerts);
    }
}
