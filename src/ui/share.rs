//! The top bar's Share and Embed buttons: a link to what the page shows now (compact
//! form), copied to the clipboard or shown in a field to copy by hand, and the `<iframe>`
//! snippet for a course page with a choice of panels.

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::{JsCast, JsValue};

use super::embed::{current_lesson, page_base};
use super::AppState;
use crate::link::{self, Form, Panel, View};

/// The height of the iframe in the snippet, in CSS pixels.
const IFRAME_HEIGHT: u32 = 640;

/// Writes `text` to the clipboard; `done(true)` once it is there, `done(false)` if there
/// is no clipboard (an insecure context) or the browser refused.
fn copy_to_clipboard(text: &str, done: impl FnOnce(bool) + 'static) {
    let promise = (|| {
        let navigator = web_sys::window()?.navigator();
        let clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard")).ok()?;
        if clipboard.is_undefined() || clipboard.is_null() {
            return None;
        }
        let write = js_sys::Reflect::get(&clipboard, &JsValue::from_str("writeText"))
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()?;
        write
            .call1(&clipboard, &JsValue::from_str(text))
            .ok()?
            .dyn_into::<js_sys::Promise>()
            .ok()
    })();
    match promise {
        None => done(false),
        Some(p) => leptos::task::spawn_local(async move {
            done(wasm_bindgen_futures::JsFuture::from(p).await.is_ok());
        }),
    }
}

/// Focuses the element with `id` (and selects its text, for a field) once it is drawn.
fn focus_and_select(id: &'static str) {
    request_animation_frame(move || {
        if let Some(el) = super::embed::element_by_id(id) {
            let _ = el.focus();
            if let Ok(input) = el.clone().dyn_into::<web_sys::HtmlInputElement>() {
                input.select();
            } else if let Ok(area) = el.dyn_into::<web_sys::HtmlTextAreaElement>() {
                area.select();
            }
        }
    });
}

/// Remembers the focused element and gives it the focus back when dropped (dialogs).
fn restore_focus_on_cleanup() {
    let previous = SendWrapper::new(
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element()),
    );
    on_cleanup(move || {
        if let Some(el) = previous
            .take()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}

/// Keeps Tab and Shift+Tab inside the dialog whose keydown this is (modal dialogs), and
/// closes it on Escape.
fn dialog_keys(ev: &web_sys::KeyboardEvent, close: impl Fn()) {
    match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            close();
        }
        "Tab" => {
            let Some(dialog) = ev
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            else {
                return;
            };
            let Ok(all) = dialog.query_selector_all(
                "button:not([disabled]), input:not([disabled]), textarea, select, a[href]",
            ) else {
                return;
            };
            let at = |i: u32| {
                all.item(i)
                    .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
            };
            let (Some(first), Some(last)) = (at(0), at(all.length().saturating_sub(1))) else {
                return;
            };
            let active = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.active_element());
            let on = |el: &web_sys::HtmlElement| {
                active
                    .as_ref()
                    .is_some_and(|a| js_sys::Object::is(a.as_ref(), el.as_ref()))
            };
            if ev.shift_key() && on(&first) {
                ev.prevent_default();
                let _ = last.focus();
            } else if !ev.shift_key() && on(&last) {
                ev.prevent_default();
                let _ = first.focus();
            }
        }
        _ => {}
    }
}

#[component]
pub fn ShareButtons() -> impl IntoView {
    let state = expect_context::<AppState>();
    // "Link copied" (or nothing), read out by a polite live region.
    let status = RwSignal::new(String::new());
    // The link, when the clipboard could not take it: shown in a dialog to copy by hand.
    let manual = RwSignal::new(None::<String>);
    let embed_open = RwSignal::new(false);
    let generation = StoredValue::new(0u64);
    let say = move |text: &str| {
        status.set(text.to_string());
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        gloo_timers::callback::Timeout::new(4000, move || {
            if generation.try_get_value() == Some(mine) {
                status.set(String::new());
            }
        })
        .forget();
    };
    let share = move |_| {
        let url = link::url(
            &page_base(),
            &View::default(),
            &current_lesson(state),
            Form::Compact,
        );
        let text = url.clone();
        copy_to_clipboard(&text, move |ok| {
            if ok {
                say("Link copied");
            } else {
                status.set(String::new());
                manual.set(Some(url));
            }
        });
    };
    view! {
        <div class="share-buttons">
            <button
                type="button"
                class="share-button"
                data-testid="share"
                title="copy a link to this simulation at this step"
                on:click=share
            >
                "Share"
            </button>
            <button
                type="button"
                class="share-button"
                data-testid="embed-open"
                aria-haspopup="dialog"
                title="embed this simulation in a course page"
                on:click=move |_| embed_open.set(true)
            >
                "Embed"
            </button>
            <span class="share-status" role="status" data-testid="share-status">
                {move || status.get()}
            </span>
        </div>
        <Show when=move || manual.with(Option::is_some)>
            <ManualCopy link=manual/>
        </Show>
        <Show when=move || embed_open.get()>
            <EmbedDialog open=embed_open/>
        </Show>
    }
}

/// The link in a read-only field, selected, for copying by hand.
#[component]
fn ManualCopy(link: RwSignal<Option<String>>) -> impl IntoView {
    restore_focus_on_cleanup();
    focus_and_select("share-link");
    let close = move || link.set(None);
    view! {
        <div class="overlay" on:click=move |_| close()>
            <div
                class="dialog share-dialog"
                role="dialog"
                aria-modal="true"
                aria-labelledby="share-title"
                data-testid="share-dialog"
                on:click=|ev| ev.stop_propagation()
                on:keydown=move |ev| dialog_keys(&ev, close)
            >
                <header>
                    <h2 id="share-title">"Link to this simulation"</h2>
                    <button type="button" class="close" aria-label="close" on:click=move |_| close()>
                        "✕"
                    </button>
                </header>
                <p class="note">
                    "The clipboard is not available here: copy the link by hand (it is selected)."
                </p>
                <input
                    id="share-link"
                    class="share-link"
                    type="text"
                    readonly
                    aria-label="link to this simulation"
                    prop:value=move || link.get().unwrap_or_default()
                />
            </div>
        </div>
    }
}

/// The `<iframe>` snippet for the current state, with a checkbox per panel.
#[component]
fn EmbedDialog(open: RwSignal<bool>) -> impl IntoView {
    let state = expect_context::<AppState>();
    restore_focus_on_cleanup();
    focus_and_select("embed-snippet");
    let chosen = RwSignal::new(Panel::ALL.to_vec());
    let copied = RwSignal::new(String::new());
    let lesson = current_lesson(state);
    let snippet = Memo::new(move |_| {
        let panels = chosen.get();
        if panels.is_empty() {
            return String::new();
        }
        let view = View {
            embed: true,
            panels: (panels.len() < Panel::ALL.len()).then_some(panels),
            ..View::default()
        };
        let url = link::url(&page_base(), &view, &lesson, Form::Compact);
        link::iframe_snippet(
            &url,
            "podflow: what happens when you create a pod",
            IFRAME_HEIGHT,
        )
    });
    let close = move || open.set(false);
    let boxes = Panel::ALL
        .into_iter()
        .map(|p| {
            let id = format!("embed-panel-{}", p.name());
            view! {
                <label class="panel-choice">
                    <input
                        type="checkbox"
                        id=id
                        data-panel=p.name()
                        prop:checked=move || chosen.with(|c| c.contains(&p))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            chosen.update(|c| {
                                c.retain(|q| *q != p);
                                if on {
                                    c.push(p);
                                    c.sort();
                                }
                            });
                            copied.set(String::new());
                        }
                    />
                    {p.name()}
                </label>
            }
        })
        .collect_view();
    let copy = move |_| {
        let text = snippet.get_untracked();
        copy_to_clipboard(&text, move |ok| {
            copied.set(
                if ok {
                    "Snippet copied"
                } else {
                    "The clipboard is not available: select the snippet and copy it by hand"
                }
                .to_string(),
            );
            if !ok {
                focus_and_select("embed-snippet");
            }
        });
    };
    view! {
        <div class="overlay" on:click=move |_| close()>
            <div
                class="dialog embed-dialog"
                role="dialog"
                aria-modal="true"
                aria-labelledby="embed-title"
                data-testid="embed-dialog"
                on:click=|ev| ev.stop_propagation()
                on:keydown=move |ev| dialog_keys(&ev, close)
            >
                <header>
                    <h2 id="embed-title">"Embed in a course page"</h2>
                    <button type="button" class="close" aria-label="close" on:click=move |_| close()>
                        "✕"
                    </button>
                </header>
                <fieldset class="panel-choices">
                    <legend>"Panels to show"</legend>
                    {boxes}
                </fieldset>
                <label class="snippet-label" for="embed-snippet">
                    "HTML to paste into the page (the simulation at this step)"
                </label>
                <textarea
                    id="embed-snippet"
                    class="snippet"
                    readonly
                    rows="5"
                    spellcheck="false"
                    prop:value=move || snippet.get()
                ></textarea>
                <div class="snippet-actions">
                    <button
                        type="button"
                        class="share-button"
                        data-testid="embed-copy"
                        disabled=move || chosen.with(Vec::is_empty)
                        on:click=copy
                    >
                        "Copy"
                    </button>
                    <span role="status" class="share-status">
                        {move || {
                            if chosen.with(Vec::is_empty) {
                                "Choose at least one panel".to_string()
                            } else {
                                copied.get()
                            }
                        }}
                    </span>
                </div>
                <p class="note">
                    "The lesson travels in the link after #, which browsers never send to a server. "
                    "See docs/embedding.md for the postMessage protocol."
                </p>
            </div>
        </div>
    }
}
