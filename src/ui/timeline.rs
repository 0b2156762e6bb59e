//! The timeline and player: play/pause, step back and forward, jump to start and end,
//! previous/next marker, speed, and a scrubber over the steps with markers where
//! something worth seeing happens (see [`super::markers`]).
//!
//! Everything whose text changes while playing has a fixed width, so nothing around it
//! moves.

use leptos::prelude::*;

use super::markers::{self, Marker};
use super::AppState;
use crate::sim::trace::format_ms;

/// At most this many markers are drawn on the scrubber (one per slice of the trace).
const MARKER_SLOTS: usize = 40;

#[component]
pub fn Timeline() -> impl IntoView {
    let state = expect_context::<AppState>();
    let marks = expect_context::<Memo<Vec<Marker>>>();
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
    let drawn = Memo::new(move |_| marks.with(|m| markers::thin(m, len(), MARKER_SLOTS)));
    let marker_views = move || {
        let span = last().max(1) as f64;
        drawn.with(|all| {
            all.iter()
                .map(|m| {
                    let step = m.step;
                    let kind = m.kind.name();
                    let title = format!("step {}: {kind}: {}", step + 1, m.text);
                    // The range thumb is 16 px wide: its centre travels 8 px in from each end.
                    let style = format!(
                        "left: calc(8px + (100% - 16px) * {:.5})",
                        step as f64 / span
                    );
                    view! {
                        <button
                            type="button"
                            class=format!("marker marker-{kind}")
                            tabindex="-1"
                            title=title.clone()
                            aria-label=title
                            style=style
                            on:click=move |_| go(step)
                        ></button>
                    }
                })
                .collect_view()
        })
    };
    // The marker at the cursor, if any, in words.
    let here = move || {
        let at = state.position();
        marks.with(|all| {
            all.iter()
                .find(|m| m.step == at)
                .map(|m| format!("{}: {}", m.kind.name(), m.text))
        })
    };
    let jump_marker = move |forward: bool| {
        let at = state.position();
        let to = marks.with(|m| {
            if forward {
                markers::next(m, at)
            } else {
                markers::previous(m, at)
            }
        });
        if let Some(to) = to {
            go(to);
        }
    };
    // 1, 4 and 12 steps/s, and the speed a link asked for (speed=N) if it is another.
    let speed_options = move || {
        let now = state.speed.get();
        let mut speeds = vec![1, 4, 12];
        if !speeds.contains(&now) {
            speeds.push(now);
            speeds.sort_unstable();
        }
        speeds
            .into_iter()
            .map(|s| {
                let label = if s == 1 {
                    "1 step/s".to_string()
                } else {
                    format!("{s} steps/s")
                };
                view! { <option value=s.to_string() prop:selected=s == now>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <footer class="panel timeline" data-testid="timeline" aria-label="timeline and player">
            <div class="controls" role="group" aria-label="player">
                <button type="button" aria-label="jump to start" aria-keyshortcuts="Home" disabled=empty on:click=move |_| go(0)>{icon("M6 5v14M19 5l-10 7 10 7z")}</button>
                <button type="button" aria-label="previous marker" aria-keyshortcuts="[" disabled=empty
                    on:click=move |_| jump_marker(false)>{icon("M12 5l-7 7 7 7M19 5l-7 7 7 7")}</button>
                <button type="button" aria-label="step back" aria-keyshortcuts="ArrowLeft" disabled=empty
                    on:click=move |_| go(state.position().saturating_sub(1))>{icon("M16 5l-10 7 10 7z")}</button>
                <button type="button" class="play" disabled=empty aria-keyshortcuts="Space"
                    aria-label=move || if state.playing.get() { "pause" } else { "play" }
                    on:click=move |_| state.playing.update(|p| *p = !*p)>
                    {move || if state.playing.get() { icon("M7 5h3v14H7zM14 5h3v14h-3z") } else { icon("M8 5l11 7-11 7z") }}
                </button>
                <button type="button" aria-label="step forward" aria-keyshortcuts="ArrowRight" disabled=empty
                    on:click=move |_| go(state.position() + 1)>{icon("M8 5l10 7-10 7z")}</button>
                <button type="button" aria-label="next marker" aria-keyshortcuts="]" disabled=empty
                    on:click=move |_| jump_marker(true)>{icon("M12 5l7 7-7 7M5 5l7 7-7 7")}</button>
                <button type="button" aria-label="jump to end" aria-keyshortcuts="End" disabled=empty on:click=move |_| go(last())>{icon("M18 5v14M5 5l10 7-10 7z")}</button>
            </div>
            <div class="scrubber-wrap">
                <input
                    class="scrubber"
                    type="range"
                    min="0"
                    max=move || last().to_string()
                    prop:value=move || state.position().to_string()
                    disabled=empty
                    aria-label="step"
                    aria-valuetext=move || format!("step {} of {}", state.position() + 1, len())
                    on:input=move |ev| {
                        if let Ok(i) = event_target_value(&ev).parse::<usize>() {
                            go(i);
                        }
                    }
                />
                <div class="markers">{marker_views}</div>
            </div>
            <span class="position" aria-live="off">
                {move || if empty() { "no steps".to_string() } else { format!("step {} of {}", state.position() + 1, len()) }}
            </span>
            <span class="clock">{now}</span>
            // A large run is shown from its first messages while the rest is simulated.
            {move || state.progress.get().map(|n| view! {
                <span class="simulating" role="status">{format!("simulating the rest… {} steps so far", group(n))}</span>
            })}
            // A bound of podflow's own stopped the run early: say which, never silently.
            {move || state.trace.with(|t| t.truncated.clone()).map(|why| view! {
                <span class="truncated" role="status">{format!("stopped early: {why}")}</span>
            })}
            <span class="marker-now" title=move || here().unwrap_or_default()>{here}</span>
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
                    {speed_options}
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

/// `12345` → `12,345`.
fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_thousands() {
        assert_eq!(super::group(0), "0");
        assert_eq!(super::group(999), "999");
        assert_eq!(super::group(12_345), "12,345");
        assert_eq!(super::group(1_234_567), "1,234,567");
    }
}
