//! The timeline and player: play/pause, step back and forward, jump to start and end,
//! speed, and a scrubber over the steps.

use leptos::prelude::*;

use super::AppState;
use crate::sim::trace::format_ms;

#[component]
pub fn Timeline() -> impl IntoView {
    let state = expect_context::<AppState>();
    let len = move || state.steps();
    let last = move || len().saturating_sub(1);
    let empty = move || len() == 0;
    let go = move |i: usize| {
        state.cursor.set(i.min(last()));
    };
    let now = move || {
        let at = state.position();
        state.trace.with(|t| {
            t.steps
                .get(at)
                .map(|s| format_ms(s.at_ms))
                .unwrap_or_else(|| format_ms(0))
        })
    };
    view! {
        <footer class="panel timeline" data-testid="timeline" aria-label="timeline and player">
            <div class="controls" role="group" aria-label="player">
                <button type="button" aria-label="jump to start" disabled=empty on:click=move |_| go(0)>{icon("M6 5v14M19 5l-10 7 10 7z")}</button>
                <button type="button" aria-label="step back" disabled=empty
                    on:click=move |_| go(state.position().saturating_sub(1))>{icon("M16 5l-10 7 10 7z")}</button>
                <button type="button" class="play" disabled=empty
                    aria-label=move || if state.playing.get() { "pause" } else { "play" }
                    on:click=move |_| state.playing.update(|p| *p = !*p)>
                    {move || if state.playing.get() { icon("M7 5h3v14H7zM14 5h3v14h-3z") } else { icon("M8 5l11 7-11 7z") }}
                </button>
                <button type="button" aria-label="step forward" disabled=empty
                    on:click=move |_| go(state.position() + 1)>{icon("M8 5l10 7-10 7z")}</button>
                <button type="button" aria-label="jump to end" disabled=empty on:click=move |_| go(last())>{icon("M18 5v14M5 5l10 7-10 7z")}</button>
            </div>
            <input
                class="scrubber"
                type="range"
                min="0"
                max=move || last().to_string()
                prop:value=move || state.position().to_string()
                disabled=empty
                aria-label="step"
                on:input=move |ev| {
                    if let Ok(i) = event_target_value(&ev).parse::<usize>() {
                        go(i);
                    }
                }
            />
            <span class="position">
                {move || if empty() { "no steps".to_string() } else { format!("step {} of {}", state.position() + 1, len()) }}
            </span>
            <span class="clock">{now}</span>
            <label class="speed">
                "speed "
                <select
                    aria-label="playback speed"
                    on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<u32>() {
                            state.speed.set(v);
                        }
                    }
                >
                    <option value="1">"1 step/s"</option>
                    <option value="4" selected>"4 steps/s"</option>
                    <option value="12">"12 steps/s"</option>
                </select>
            </label>
        </footer>
    }
}

/// A 24×24 icon from one SVG path; drawn in the text colour, hidden from screen readers
/// (each button has its own aria-label).
fn icon(path: &'static str) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
            <path d=path fill="currentColor" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"/>
        </svg>
    }
}
