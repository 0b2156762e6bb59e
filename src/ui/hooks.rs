//! The app's only contacts with the outside world: local storage and the playback timer.
//! Each cleans up after itself.

use leptos::prelude::*;
use send_wrapper::SendWrapper;

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

/// Moves the cursor one step per tick while playing; stops at the end.
pub fn use_playback(state: AppState) {
    Effect::new(move |_| {
        if !state.playing.get() {
            return;
        }
        let period_ms = 1000 / state.speed.get().clamp(1, 60);
        let interval = gloo_timers::callback::Interval::new(period_ms, move || {
            let len = state.steps();
            let next = state.cursor.get_untracked() + 1;
            if next >= len {
                state.playing.set(false);
            } else {
                state.cursor.set(next);
            }
        });
        let interval = SendWrapper::new(interval);
        on_cleanup(move || drop(interval));
    });
}
