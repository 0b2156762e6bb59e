//! The scenario gallery: a menu of the teaching presets ([`PRESETS`]), each with its
//! one-line lesson. Loading one sets the manifest, the apply line and the preset's later
//! kubectl commands, and puts the cursor back at the start.
//!
//! Keyboard: the button opens the menu with the focus on the first preset; ↑/↓ (and
//! Home/End) move between presets, Enter or Space loads one, Escape closes the menu and
//! the focus returns to the button.

use leptos::html::{Button, Div};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::AppState;
use crate::sim::scenarios::{Preset, PRESETS};

/// Loads `preset` into the app's inputs.
pub fn load(state: AppState, preset: &Preset) {
    let scenario = preset.scenario();
    let mut commands = scenario.commands.into_iter();
    let apply = commands
        .next()
        .map(|(_, line)| line)
        .unwrap_or_else(super::state::default_apply);
    state.playing.set(false);
    state.selected.set(None);
    state.manifest.set(preset.manifest.to_string());
    state.apply.set(apply);
    state.commands.set(commands.collect());
    state.cursor.set(0);
}

#[component]
pub fn Gallery() -> impl IntoView {
    let state = expect_context::<AppState>();
    let open = RwSignal::new(false);
    let opener: NodeRef<Button> = NodeRef::new();
    let menu: NodeRef<Div> = NodeRef::new();

    let items = move || -> Vec<web_sys::HtmlElement> {
        let Some(menu) = menu.get_untracked() else {
            return Vec::new();
        };
        let Ok(Some(list)) = menu.query_selector("[role=\"menu\"]") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut li = list.first_element_child();
        while let Some(item) = li {
            if let Some(b) = item
                .first_element_child()
                .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok())
            {
                out.push(b);
            }
            li = item.next_element_sibling();
        }
        out
    };
    let close = move || {
        open.set(false);
        if let Some(b) = opener.get_untracked() {
            let _ = b.focus();
        }
    };
    // Focus the first preset when the menu opens.
    Effect::new(move |_| {
        if open.get() && menu.get().is_some() {
            if let Some(first) = items().first() {
                let _ = first.focus();
            }
        }
    });
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        let all = items();
        let active = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element());
        let at = all.iter().position(|e| {
            active
                .as_ref()
                .is_some_and(|a| a == e.unchecked_ref::<web_sys::Element>())
        });
        let to = match ev.key().as_str() {
            "Escape" => {
                close();
                None
            }
            "ArrowDown" => Some(at.map_or(0, |i| (i + 1) % all.len().max(1))),
            "ArrowUp" => Some(at.map_or(0, |i| (i + all.len().max(1) - 1) % all.len().max(1))),
            "Home" => Some(0),
            "End" => Some(all.len().saturating_sub(1)),
            "Tab" => {
                // Tab moves on through the page: close the menu.
                open.set(false);
                return;
            }
            // Enter and Space activate the focused button themselves.
            "Enter" | " " => return,
            _ => {
                // Keep the player's shortcuts (←/→, [, ], ?) away while the menu is open.
                ev.stop_propagation();
                return;
            }
        };
        ev.prevent_default();
        ev.stop_propagation();
        if let Some(el) = to.and_then(|i| all.get(i)) {
            let _ = el.focus();
        }
    };

    let entries = PRESETS
        .iter()
        .map(|p| {
            view! {
                <li role="none">
                    <button
                        type="button"
                        role="menuitem"
                        class="preset"
                        data-preset=p.id
                        on:click=move |_| {
                            load(state, p);
                            close();
                        }
                    >
                        <span class="preset-title">{p.title}</span>
                        <span class="preset-lesson">{p.lesson}</span>
                    </button>
                </li>
            }
        })
        .collect_view();

    view! {
        <div class="gallery" data-testid="gallery">
            <button
                type="button"
                class="gallery-button"
                node_ref=opener
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-controls="gallery-menu"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "Scenarios ▾"
            </button>
            <div
                class="gallery-menu"
                id="gallery-menu"
                node_ref=menu
                hidden=move || !open.get()
                on:keydown=on_keydown
                on:focusout=move |ev: web_sys::FocusEvent| {
                    // Close when the focus leaves the menu (a click elsewhere, Shift+Tab).
                    let inside = ev
                        .related_target()
                        .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
                        .zip(menu.get_untracked())
                        .is_some_and(|(t, m)| m.contains(Some(&t)));
                    let on_opener = ev
                        .related_target()
                        .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
                        .zip(opener.get_untracked())
                        .is_some_and(|(t, b)| b.contains(Some(&t)));
                    if !inside && !on_opener {
                        open.set(false);
                    }
                }
            >
                <p class="gallery-intro" id="gallery-intro">
                    "Teaching scenarios: each loads a manifest (and any later kubectl commands) and starts from step 1."
                </p>
                <ul role="menu" aria-labelledby="gallery-intro">{entries}</ul>
            </div>
        </div>
    }
}
