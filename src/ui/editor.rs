//! The manifest editor: the YAML text with line numbers and the diagnostics of its last
//! parse, each at its line and column.

use leptos::prelude::*;

use super::AppState;

#[component]
pub fn ManifestEditor() -> impl IntoView {
    let state = expect_context::<AppState>();
    let line_count = move || state.manifest.with(|t| t.lines().count().max(1));
    let error_lines = Memo::new(move |_| {
        state.simulation.with(|s| {
            s.parsed
                .diagnostics
                .iter()
                .map(|d| d.line)
                .collect::<Vec<_>>()
        })
    });
    let gutter = move || {
        let errors = error_lines.get();
        (1..=line_count())
            .map(|n| {
                let bad = errors.contains(&n);
                view! { <span class="gutter-line" class:has-error=bad>{n}</span> }
            })
            .collect_view()
    };
    let diagnostics = move || {
        state.simulation.with(|s| {
            s.parsed
                .diagnostics
                .iter()
                .map(|d| {
                    let where_ = format!("line {}, column {}", d.line, d.column);
                    let message = d.message.clone();
                    view! {
                        <li class="diagnostic" data-line=d.line data-column=d.column>
                            <span class="where">{where_}</span>
                            <span class="message">{message}</span>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    let documents = move || state.simulation.with(|s| s.parsed.documents.len());

    view! {
        <section class="panel editor" data-testid="manifest-editor" aria-labelledby="editor-title">
            <header class="panel-header">
                <h2 id="editor-title">"Manifest"</h2>
                <span class="panel-meta">
                    {move || {
                        let n = documents();
                        if n == 1 { "1 document".to_string() } else { format!("{n} documents") }
                    }}
                </span>
                <span class="badge stale" class:hidden=move || !state.stale.get() role="status">
                    "showing the last valid manifest"
                </span>
            </header>
            <div class="code">
                <div class="gutter" aria-hidden="true">{gutter}</div>
                <textarea
                    class="source"
                    aria-label="Kubernetes manifest (YAML)"
                    spellcheck="false"
                    autocomplete="off"
                    wrap="off"
                    rows=move || line_count() + 1
                    prop:value=move || state.manifest.get()
                    on:input=move |ev| {
                        state.manifest.set(event_target_value(&ev));
                    }
                ></textarea>
            </div>
            <ul class="diagnostics" aria-live="polite">{diagnostics}</ul>
        </section>
    }
}
