//! The etcd keyspace at the cursor: the keys as a tree grouped by resource, each with its
//! create_revision, mod_revision and version; the global revision; the keys the current
//! step wrote (highlighted, their group opened and scrolled to) and the watch event it
//! delivers. Selecting a key shows its value as `kubectl get -o yaml` prints it and its
//! history: every write, who asked for it, and a line diff from the version before.
//!
//! Only open groups render rows, and rows are keyed by key, so a step re-renders the
//! cells that changed, never the table.

use std::collections::BTreeMap;

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::keyspace::{self, Change, Hunk, Version};
use super::AppState;
use crate::sim::trace::format_ms;

/// Groups open before the learner opens or closes any.
const OPEN_BY_DEFAULT: &[&str] = &["pods"];

/// A group with at most this many keys opens by itself once a step has written to it, and
/// stays open, so nothing opens and closes while playing; a larger one (events, in a
/// long run) stays closed and says in its header that a key in it was written.
const SMALL_GROUP: usize = 12;

/// An open group lists at most this many keys: those around the key the step writes (or
/// the one selected), with a line saying how many more there are above and below. A
/// 3,000-pod run has 3,000 pod keys; rendering them all made every cursor move cost
/// O(pods) rows.
const MAX_GROUP_ROWS: usize = 100;

/// The `MAX_GROUP_ROWS` keys of a group to list: a window around `anchor` (or the first).
fn window(len: usize, anchor: Option<usize>) -> std::ops::Range<usize> {
    if len <= MAX_GROUP_ROWS {
        return 0..len;
    }
    let start = anchor
        .map_or(0, |a| a.saturating_sub(MAX_GROUP_ROWS / 2))
        .min(len - MAX_GROUP_ROWS);
    start..start + MAX_GROUP_ROWS
}

#[derive(Clone, Debug, PartialEq)]
struct Row {
    create_revision: u64,
    mod_revision: u64,
    version: u64,
    written: bool,
    watched: bool,
}

#[derive(Clone, Debug, PartialEq)]
struct GroupInfo {
    count: usize,
    written: usize,
    open: bool,
}

/// One line of the tree: a group header or a key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Item {
    Group(String),
    Key(String),
    /// `count` keys of the group not listed, above (`above`) or below the listed ones.
    More {
        group: String,
        above: bool,
        count: usize,
    },
}

#[derive(Clone, Debug, PartialEq, Default)]
struct Model {
    revision: u64,
    groups: BTreeMap<String, GroupInfo>,
    rows: BTreeMap<String, Row>,
    items: Vec<Item>,
    /// What the current step did to etcd, in one line.
    status: String,
}

#[component]
pub fn EtcdKeyspace() -> impl IntoView {
    let state = expect_context::<AppState>();
    let selected: RwSignal<Option<String>> = RwSignal::new(None);
    // group → open or closed, as the learner last said
    let overrides: RwSignal<BTreeMap<String, bool>> = RwSignal::new(BTreeMap::new());
    let scroller: NodeRef<Div> = NodeRef::new();

    // group → the first step that writes a key in it
    let first_write = Memo::new(move |_| {
        state.trace.with(|t| {
            let mut first: BTreeMap<String, usize> = BTreeMap::new();
            for (i, s) in t.steps.iter().enumerate() {
                for w in &s.writes {
                    first
                        .entry(keyspace::group_of(w.key()).to_string())
                        .or_insert(i);
                }
            }
            first
        })
    });
    let model = Memo::new(move |_| {
        let at = state.position();
        let chosen = selected.get();
        let overrides = overrides.get();
        state.trace.with(|t| {
            state.etcd.with(|etcd| {
                let step = t.steps.get(at);
                let writes: Vec<&str> = step
                    .map(|s| s.writes.iter().map(|w| w.key()).collect())
                    .unwrap_or_default();
                let watch = step.and_then(keyspace::watch_event);
                let mut m = Model {
                    revision: etcd.revision(),
                    ..Model::default()
                };
                for (group, keys) in keyspace::group_keys(etcd.iter().map(|(k, _)| k)) {
                    let written = keys
                        .iter()
                        .filter(|k| writes.iter().any(|w| w == *k))
                        .count();
                    let written_yet =
                        first_write.with(|f| f.get(group).is_some_and(|&first| first <= at));
                    let auto = OPEN_BY_DEFAULT.contains(&group)
                        || (written_yet && keys.len() <= SMALL_GROUP)
                        || chosen
                            .as_deref()
                            .is_some_and(|c| keyspace::group_of(c) == group);
                    // The learner's own choice wins.
                    let open = overrides.get(group).copied().unwrap_or(auto);
                    m.items.push(Item::Group(group.to_string()));
                    m.groups.insert(
                        group.to_string(),
                        GroupInfo {
                            count: keys.len(),
                            written,
                            open,
                        },
                    );
                    if open {
                        let anchor = keys.iter().position(|k| {
                            writes.contains(k)
                                || watch.as_ref().is_some_and(|w| w.1 == *k)
                                || chosen.as_deref() == Some(*k)
                        });
                        let shown = window(keys.len(), anchor);
                        let (above, below) = (shown.start, keys.len() - shown.end);
                        if above > 0 {
                            m.items.push(Item::More {
                                group: group.to_string(),
                                above: true,
                                count: above,
                            });
                        }
                        for key in &keys[shown] {
                            let key = *key;
                            let kv = etcd.get(key).expect("listed key");
                            m.items.push(Item::Key(key.to_string()));
                            m.rows.insert(
                                key.to_string(),
                                Row {
                                    create_revision: kv.create_revision,
                                    mod_revision: kv.mod_revision,
                                    version: kv.version,
                                    written: writes.contains(&key),
                                    watched: watch.as_ref().is_some_and(|w| w.1 == key),
                                },
                            );
                        }
                        if below > 0 {
                            m.items.push(Item::More {
                                group: group.to_string(),
                                above: false,
                                count: below,
                            });
                        }
                    }
                }
                m.status = match (step, &watch) {
                    (Some(s), Some((kind, key, rv))) => {
                        format!(
                            "watch {kind} {key} (resourceVersion {rv}) delivered to {}",
                            s.to
                        )
                    }
                    (Some(s), None) if !s.writes.is_empty() => {
                        let deleted = s.writes.iter().any(|w| w.value.is_none());
                        format!(
                            "{} {} at revision {}",
                            if deleted { "deletes" } else { "writes" },
                            writes.join(", "),
                            etcd.revision()
                        )
                    }
                    (Some(_), None) => "this step writes nothing to etcd".to_string(),
                    (None, _) => "the cluster as installed".to_string(),
                };
                m
            })
        })
    });
    let items = Memo::new(move |_| model.with(|m| m.items.clone()));

    // Scroll the first written key into view (the table scrolls, never the page).
    Effect::new(move |_| {
        let written = model.with(|m| {
            m.rows
                .iter()
                .find(|(_, r)| r.written)
                .map(|(k, _)| k.clone())
        });
        let Some(key) = written else { return };
        let Some(el) = scroller.get() else { return };
        let selector = format!("tr[data-key=\"{}\"]", key.replace('"', "\\\""));
        let Ok(Some(row)) = el.query_selector(&selector) else {
            return;
        };
        let Ok(row) = row.dyn_into::<web_sys::HtmlElement>() else {
            return;
        };
        let (top, height) = (row.offset_top(), row.offset_height());
        let (view, view_h) = (el.scroll_top(), el.client_height());
        // The sticky header row is about one row high.
        if top - height < view || top + height > view + view_h {
            el.set_scroll_top((top - view_h / 3).max(0));
        }
    });

    let toggle_group = move |group: String| {
        let open = model.with_untracked(|m| m.groups.get(&group).is_some_and(|g| g.open));
        overrides.update(|o| {
            o.insert(group, !open);
        });
    };

    let item_view = move |item: Item| match item {
        Item::Group(group) => {
            let g = group.clone();
            let info = Memo::new(move |_| model.with(|m| m.groups.get(&g).cloned()));
            let info = move || info.get();
            let g2 = group.clone();
            let label = group.clone();
            view! {
                <tr
                    class="group"
                    data-group=group.clone()
                    class:written=move || info().is_some_and(|i| i.written > 0)
                >
                    <th colspan="4">
                        <button
                            type="button"
                            class="group-toggle"
                            aria-expanded=move || info().is_some_and(|i| i.open).to_string()
                            on:click=move |_| toggle_group(g2.clone())
                        >
                            <span class="chevron" aria-hidden="true">
                                {move || if info().is_some_and(|i| i.open) { "▾" } else { "▸" }}
                            </span>
                            {label}
                            <span class="count">
                                {move || {
                                    info()
                                        .map(|i| {
                                            if i.written > 0 {
                                                format!("{} keys · {} written now", i.count, i.written)
                                            } else if i.count == 1 {
                                                "1 key".to_string()
                                            } else {
                                                format!("{} keys", i.count)
                                            }
                                        })
                                        .unwrap_or_default()
                                }}
                            </span>
                        </button>
                    </th>
                </tr>
            }
            .into_any()
        }
        Item::Key(key) => {
            let k = key.clone();
            let row = Memo::new(move |_| model.with(|m| m.rows.get(&k).cloned()));
            let k2 = key.clone();
            let is_selected =
                Memo::new(move |_| selected.with(|s| s.as_deref() == Some(k2.as_str())));
            let is_selected = move || is_selected.get();
            let k3 = key.clone();
            let label = keyspace::label_in_group(&key).to_string();
            view! {
                <tr
                    data-key=key.clone()
                    class:written=move || row.with(|r| r.as_ref().is_some_and(|r| r.written))
                    class:watched=move || row.with(|r| r.as_ref().is_some_and(|r| r.watched))
                    class:selected=is_selected
                >
                    <td class="key">
                        <button
                            type="button"
                            class="key-button"
                            title=key.clone()
                            aria-label=format!("{key}: show value and history")
                            aria-pressed=move || is_selected().to_string()
                            on:click=move |_| {
                                let k = k3.clone();
                                selected.update(|s| {
                                    *s = if s.as_deref() == Some(k.as_str()) { None } else { Some(k) };
                                });
                            }
                        >
                            {label}
                        </button>
                    </td>
                    <td>{move || row.with(|r| r.as_ref().map(|r| r.create_revision))}</td>
                    <td>{move || row.with(|r| r.as_ref().map(|r| r.mod_revision))}</td>
                    <td>{move || row.with(|r| r.as_ref().map(|r| r.version))}</td>
                </tr>
            }
            .into_any()
        }
        Item::More {
            group,
            above,
            count,
        } => view! {
            <tr class="more" data-more=group.clone()>
                <td colspan="4">
                    {format!(
                        "… {count} more {group} key{} {}",
                        if count == 1 { "" } else { "s" },
                        if above { "above" } else { "below" },
                    )}
                </td>
            </tr>
        }
        .into_any(),
    };

    view! {
        <section class="panel etcd" data-testid="etcd-keyspace" aria-labelledby="etcd-title">
            <header class="panel-header">
                <h2 id="etcd-title">"etcd keyspace"</h2>
                <span class="panel-meta">{move || format!("revision {}", model.with(|m| m.revision))}</span>
            </header>
            <p class="etcd-status" aria-live="polite">{move || model.with(|m| m.status.clone())}</p>
            <div class="table-scroll" node_ref=scroller class:hidden=move || selected.with(Option::is_some)>
                <table class="keys">
                    <thead>
                        <tr>
                            <th scope="col">"key"</th>
                            <th scope="col" title="create_revision">"created"</th>
                            <th scope="col" title="mod_revision">"modified"</th>
                            <th scope="col">"version"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || items.get() key=|item| item.clone() children=item_view/>
                    </tbody>
                </table>
            </div>
            <Show when=move || selected.with(Option::is_some)>
                <KeyDetail selected=selected/>
            </Show>
        </section>
    }
}

/// The selected key: its value at the cursor and its history across the trace.
#[component]
fn KeyDetail(selected: RwSignal<Option<String>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let tab = RwSignal::new("value");
    let key = move || selected.get().unwrap_or_default();
    let value = Memo::new(move |_| {
        let key = key();
        state.etcd.with(|etcd| {
            etcd.get(&key).map(|kv| {
                (
                    format!(
                        "version {} · mod_revision {} · create_revision {}",
                        kv.version, kv.mod_revision, kv.create_revision
                    ),
                    keyspace::yaml_at(etcd, &key).unwrap_or_default(),
                )
            })
        })
    });
    // The history depends on the key and the trace, not on the cursor.
    let history = Memo::new(move |_| {
        let key = key();
        state.trace.with(|t| {
            let versions = keyspace::history(t, &key);
            let mut previous: Option<String> = None;
            versions
                .into_iter()
                .map(|v| {
                    let yaml = keyspace::written_yaml(&t.steps[v.step], &key);
                    let hunks = match (&previous, &yaml) {
                        (Some(old), Some(new)) => keyspace::hunks(old, new, 1),
                        _ => Vec::new(),
                    };
                    previous = yaml;
                    (v, hunks)
                })
                .collect::<Vec<(Version, Vec<Hunk>)>>()
        })
    });
    let tab_button = move |id: &'static str, label: Box<dyn Fn() -> String + Send + Sync>| {
        view! {
            <button
                type="button"
                role="tab"
                id=format!("etcd-tab-{id}")
                aria-controls=format!("etcd-pane-{id}")
                aria-selected=move || (tab.get() == id).to_string()
                tabindex=move || if tab.get() == id { "0" } else { "-1" }
                on:click=move |_| tab.set(id)
                on:keydown=move |ev| {
                    let other = if id == "value" { "history" } else { "value" };
                    if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight") {
                        ev.prevent_default();
                        ev.stop_propagation();
                        tab.set(other);
                        focus_by_id(&format!("etcd-tab-{other}"));
                    }
                }
            >
                {label}
            </button>
        }
    };
    let history_rows = move || {
        let at = state.position();
        history.with(|h| {
            h.iter()
                .map(|(v, hunks)| {
                    let step = v.step;
                    let when = if step == at {
                        "now"
                    } else if step > at {
                        "later"
                    } else {
                        ""
                    };
                    let what = match v.version {
                        Some(1) => "created".to_string(),
                        Some(n) => format!("version {n}"),
                        None => "deleted".to_string(),
                    };
                    let diff = hunks
                        .iter()
                        .map(|h| {
                            let lines = h
                                .lines
                                .iter()
                                .map(|(c, l)| {
                                    let (class, mark) = match c {
                                        Change::Same => ("same", "  "),
                                        Change::Added => ("add", "+ "),
                                        Change::Removed => ("del", "- "),
                                    };
                                    view! { <span class=class>{format!("{mark}{l}\n")}</span> }
                                })
                                .collect_view();
                            view! {
                                <div class="hunk">
                                    <div class="hunk-path">{h.path.clone()}</div>
                                    <pre class="diff">{lines}</pre>
                                </div>
                            }
                        })
                        .collect_view();
                    let (now, later) = (step == at, step > at);
                    view! {
                        <li class:now=now class:later=later data-step=step>
                            <button
                                type="button"
                                class="jump"
                                aria-label=format!("go to step {}", step + 1)
                                on:click=move |_| {
                                    state.playing.set(false);
                                    state.cursor.set(step);
                                }
                            >
                                {format!("rev {} · step {} · {}", v.revision, step + 1, format_ms(v.at_ms))}
                            </button>
                            <span class="what">{what}</span>
                            {(!when.is_empty()).then(|| view! { <span class="when">{when}</span> })}
                            <div class="who">
                                <span class="component-name">{v.who.clone()}</span>
                                " "
                                <code>{v.via.clone()}</code>
                            </div>
                            {diff}
                        </li>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <div class="key-detail" data-testid="etcd-key-detail">
            <header>
                <button
                    type="button"
                    class="back"
                    aria-label="back to all keys"
                    on:click=move |_| {
                        let key = selected.get_untracked().unwrap_or_default();
                        selected.set(None);
                        // Back on the key's own row, once the tree shows again.
                        request_animation_frame(move || {
                            let selector = format!(
                                "tr[data-key=\"{}\"] .key-button",
                                key.replace('"', "\\\"")
                            );
                            if let Some(el) = web_sys::window()
                                .and_then(|w| w.document())
                                .and_then(|d| d.query_selector(&selector).ok().flatten())
                                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                            {
                                let _ = el.focus();
                            }
                        });
                    }
                >
                    "← keys"
                </button>
                <code class="detail-key">{key}</code>
            </header>
            <div class="tabs" role="tablist" aria-label="key details">
                {tab_button("value", Box::new(|| "value".to_string()))}
                {tab_button(
                    "history",
                    Box::new(move || format!("history ({})", history.with(|h| h.len()))),
                )}
            </div>
            <div
                class="detail-pane"
                id="etcd-pane-value"
                role="tabpanel"
                aria-labelledby="etcd-tab-value"
                hidden=move || tab.get() != "value"
            >
                {move || match value.get() {
                    Some((meta, yaml)) => view! {
                        <p class="detail-meta">{meta}</p>
                        <pre class="yaml">{yaml}</pre>
                    }
                    .into_any(),
                    None => view! { <p class="empty">"Not in etcd at this step."</p> }.into_any(),
                }}
            </div>
            <div
                class="detail-pane"
                id="etcd-pane-history"
                role="tabpanel"
                aria-labelledby="etcd-tab-history"
                hidden=move || tab.get() != "history"
            >
                <ol class="history">{history_rows}</ol>
            </div>
        </div>
    }
}

fn focus_by_id(id: &str) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_group_lists_a_window_around_the_key_written() {
        assert_eq!(window(12, None), 0..12);
        assert_eq!(window(3_000, None), 0..MAX_GROUP_ROWS);
        assert_eq!(window(3_000, Some(1_500)), 1_450..1_550);
        assert_eq!(window(3_000, Some(10)), 0..MAX_GROUP_ROWS);
        assert_eq!(window(3_000, Some(2_999)), 2_900..3_000);
    }
}
