//! The app's only contacts with the outside world: local storage, the playback timer and
//! the keyboard shortcuts. Each cleans up after itself.

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use super::markers::{self, Marker};
use super::AppState;

/// Where the editor text is kept between visits.
const STORAGE_KEY: &str = "podflow.manifest";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Restores the manifest a learner typed on an earlier visit, and saves every edit, so
/// nothing typed is lost on reload.
pub fn use_local_storage(state: AppState) {
    if let Some(saved) = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) {
        if !saved.is_empty() {
            state.manifest.set(saved);
        }
    }
    Effect::new(move |_| {
        let text = state.manifest.get();
        if let Some(s) = storage() {
            // A full or disabled storage (private mode) must not break editing.
            let _ = s.set_item(STORAGE_KEY, &text);
        }
    });
}

/// Moves the cursor one step per tick while playing; stops at the end (of the whole run:
/// at the end of a large run's first part it waits for the rest).
pub fn use_playback(state: AppState) {
    Effect::new(move |_| {
        if !state.playing.get() {
            return;
        }
        let period_ms = 1000 / state.speed.get().clamp(1, 60);
        let interval = gloo_timers::callback::Interval::new(period_ms, move || {
            let len = state.steps();
            let next = state.cursor.get_untracked() + 1;
            if next < len {
                state.cursor.set(next);
            } else if !state.partial.get_untracked() {
                // At the end of a whole run; the first part of a larger one waits for more.
                state.playing.set(false);
            }
        });
        let interval = SendWrapper::new(interval);
        on_cleanup(move || drop(interval));
    });
}

/// Whether a key pressed in `target` is text being typed (the editor, a form field, an
/// editable element), which shortcuts must leave alone.
fn typing_in(target: Option<web_sys::EventTarget>) -> bool {
    use wasm_bindgen::JsCast;
    let Some(el) = target.and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) else {
        return false;
    };
    matches!(el.tag_name().as_str(), "TEXTAREA" | "INPUT" | "SELECT") || el.is_content_editable()
}

/// Whether `target` is a control that Space activates itself (a button, a link).
fn activates_on_space(target: Option<web_sys::EventTarget>) -> bool {
    use wasm_bindgen::JsCast;
    target
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "BUTTON" | "A" | "SUMMARY"))
}

/// The player's keyboard shortcuts (listed in the help overlay, `?`): Space play/pause,
/// ←/→ step, Home/End, `[`/`]` previous/next marker, `?` help, Escape closes help. None
/// fires while typing or with Ctrl, Alt or Meta held.
pub fn use_shortcuts(state: AppState, help: RwSignal<bool>, marks: Memo<Vec<Marker>>) {
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.alt_key() || ev.meta_key() || ev.default_prevented() {
            return;
        }
        if typing_in(ev.target()) {
            return;
        }
        let key = ev.key();
        if help.get_untracked() {
            if key == "Escape" || key == "?" {
                ev.prevent_default();
                help.set(false);
            }
            return;
        }
        let len = state.trace.with_untracked(|t| t.steps.len());
        let at = state.cursor.get_untracked().min(len.saturating_sub(1));
        let go = |i: usize| {
            state.playing.set(false);
            state.cursor.set(i.min(len.saturating_sub(1)));
        };
        match key.as_str() {
            "?" => help.set(true),
            " " if activates_on_space(ev.target()) => return,
            " " if len > 0 => state.playing.update(|p| *p = !*p),
            "ArrowRight" if len > 0 => go(at + 1),
            "ArrowLeft" if len > 0 => go(at.saturating_sub(1)),
            "Home" if len > 0 => go(0),
            "End" if len > 0 => go(len),
            "]" => match marks.with_untracked(|m| markers::next(m, at)) {
                Some(to) => go(to),
                None => return,
            },
            "[" => match marks.with_untracked(|m| markers::previous(m, at)) {
                Some(to) => go(to),
                None => return,
            },
            _ => return,
        }
        ev.prevent_default();
    });
    on_cleanup(move || handle.remove());
}
