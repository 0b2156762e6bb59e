//! A tab of a two-tab strip (ARIA tabs: one tab in the Tab order, ← and → switch and move
//! focus), shared by the editor/console and etcd/describe areas.

use leptos::prelude::*;

/// The button of tab `id` in the strip whose tab ids are prefixed `prefix` (`stack-tab-…`);
/// `other` is the strip's other tab, which ← and → switch to.
pub fn tab_button(
    prefix: &'static str,
    tab: RwSignal<&'static str>,
    id: &'static str,
    other: &'static str,
    label: &'static str,
) -> impl IntoView {
    view! {
        <button
            type="button"
            role="tab"
            id=format!("{prefix}-tab-{id}")
            aria-controls=format!("{prefix}-pane-{id}")
            aria-selected=move || (tab.get() == id).to_string()
            tabindex=move || if tab.get() == id { "0" } else { "-1" }
            data-tab=id
            on:click=move |_| tab.set(id)
            on:keydown=move |ev| {
                if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight") {
                    ev.prevent_default();
                    ev.stop_propagation();
                    tab.set(other);
                    if let Some(el) = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.get_element_by_id(&format!("{prefix}-tab-{other}")))
                        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
                    {
                        let _ = el.focus();
                    }
                }
            }
        >
            {label}
        </button>
    }
}
