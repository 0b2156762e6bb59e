//! Narration: what the current step did, which component did it and why, with a link to
//! the Kubernetes documentation it comes from.

use leptos::prelude::*;

use super::AppState;

const INTRO: &str = "Edit the manifest on the left. podflow sends it through kubectl, the API server, \
etcd, the scheduler and a kubelet, exactly as a real cluster would, and shows every message on the way.";

#[component]
pub fn Narration() -> impl IntoView {
    let state = expect_context::<AppState>();
    let current = move || {
        let at = state.position();
        state.trace.with(|t| {
            t.steps.get(at).map(|s| {
                (
                    s.from.to_string(),
                    s.narration.text.clone(),
                    s.narration.doc,
                )
            })
        })
    };
    view! {
        <section class="panel narration" data-testid="narration" aria-labelledby="narration-title" aria-live="polite">
            <header class="panel-header">
                <h2 id="narration-title">"What is happening"</h2>
            </header>
            {move || match current() {
                Some((actor, text, doc)) => view! {
                    <p class="actor">{actor}</p>
                    <p class="text">{text}</p>
                    <a class="doc" href=doc target="_blank" rel="noopener noreferrer">"Kubernetes documentation"</a>
                }
                .into_any(),
                None => view! { <p class="text">{INTRO}</p> }.into_any(),
            }}
        </section>
    }
}
