//! The message flow: a sequence diagram with one lane per component of the trace and one
//! arrow per message, the current one highlighted and kept in view; clicking an arrow
//! moves the cursor there.
//!
//! Long traces stay usable: lanes can be hidden (their messages go with them), runs of a
//! repeated message collapse into one expandable row, and above
//! [`layout::VIRTUALISE_ABOVE`] rows only the rows in view are in the page. The geometry
//! is in [`layout`], pure and unit-tested; this module only turns it into elements.
//!
//! Every arrow is a `<button data-step="<index>">`; a collapsed run's arrow carries its
//! first step and `data-run-len`. Each category has its own colour *and* line style, and
//! its name is written in the row, so colour is never the only cue.

pub mod layout;

use std::collections::BTreeSet;
use std::sync::Arc;

use leptos::html::Div;
use leptos::prelude::*;

use super::AppState;
use crate::sim::trace::{Category, Component, Trace};
use layout::{Direction, Row, LANE_W, ROW_H};

/// Height of the sticky lane header inside the scrolling diagram.
const HEAD_H: f64 = 40.0;
/// The least width an arrow's label gets, even over a short arrow.
const LABEL_W: f64 = 300.0;

/// The category's name as written in the row and used as its CSS modifier.
pub fn category_name(c: Category) -> &'static str {
    match c {
        Category::Request => "request",
        Category::Response => "response",
        Category::Stage => "stage",
        Category::Storage => "storage",
        Category::Watch => "watch",
        Category::Cri => "cri",
        Category::Cni => "cni",
        Category::Timer => "timer",
    }
}

/// The trace's identity, so per-trace view state (expanded runs) resets with a new trace.
fn trace_id(trace: &Arc<Trace>) -> usize {
    Arc::as_ptr(trace) as usize
}

/// Everything a row needs to draw itself, computed once per trace and lane filter.
#[derive(Clone, PartialEq)]
struct Diagram {
    trace: usize,
    lanes: Vec<Component>,
    shown: Vec<Component>,
    /// Per step: the shown-lane indices of its source and target, or `None` if hidden.
    ends: Vec<Option<(usize, usize)>>,
    rows: Vec<Row>,
}

#[component]
pub fn MessageFlow() -> impl IntoView {
    let state = expect_context::<AppState>();
    let hidden = RwSignal::new(BTreeSet::<String>::new());
    // Runs whose collapsed state the learner flipped, for the trace with this identity.
    let toggled = RwSignal::new((0usize, BTreeSet::<usize>::new()));
    let scroller: NodeRef<Div> = NodeRef::new();
    let scroll_top = RwSignal::new(0.0f64);
    let viewport = RwSignal::new(360.0f64);

    let diagram = Memo::new(move |_| {
        let trace = state.trace.get();
        let id = trace_id(&trace.0);
        let steps = &trace.steps;
        let lanes = layout::lane_order(steps.iter().flat_map(|s| [&s.from, &s.to]));
        let shown: Vec<Component> = hidden.with(|h| {
            lanes
                .iter()
                .filter(|c| !h.contains(&c.to_string()))
                .cloned()
                .collect()
        });
        let index = |c: &Component| shown.iter().position(|s| s == c);
        let ends: Vec<Option<(usize, usize)>> = steps
            .iter()
            .map(|s| Some((index(&s.from)?, index(&s.to)?)))
            .collect();
        let rows = toggled.with(|(tid, set)| {
            let empty = BTreeSet::new();
            let set = if *tid == id { set } else { &empty };
            layout::rows(
                steps.len(),
                |i| ends[i].is_some(),
                |a, b| {
                    let (a, b) = (&steps[a], &steps[b]);
                    a.from == b.from && a.to == b.to && a.label == b.label
                },
                set,
                layout::collapse_by_default(steps.len()),
            )
        });
        Diagram {
            trace: id,
            lanes,
            shown,
            ends,
            rows,
        }
    });

    let current_row = Memo::new(move |_| {
        let at = state.position();
        diagram.with(|d| layout::row_of(&d.rows, at))
    });

    // Keep the current message in view as the cursor moves.
    Effect::new(move |_| {
        let Some(row) = current_row.get() else {
            return;
        };
        let Some(el) = scroller.get() else {
            return;
        };
        let height = el.client_height() as f64 - HEAD_H;
        if let Some(top) = layout::scroll_to(row, el.scroll_top() as f64, height) {
            el.set_scroll_top(top as i32);
            // Render the rows there now, not on the next scroll event.
            scroll_top.set(el.scroll_top() as f64);
        }
        // And horizontally, the arrow's span between its lanes.
        let ends = diagram.with_untracked(|d| {
            let step = d.rows.get(row).map(|r| r.step)?;
            d.ends.get(step).copied().flatten()
        });
        if let Some((from, to)) = ends {
            let arrow = layout::arrow(from, to);
            let (left, right) = (
                arrow.left - LANE_W / 2.0,
                arrow.left + arrow.width + LANE_W / 2.0,
            );
            let (view_left, width) = (el.scroll_left() as f64, el.client_width() as f64);
            if left < view_left || right > view_left + width {
                el.set_scroll_left((left - layout::GUTTER_W).max(0.0) as i32);
            }
        }
    });

    // The viewport's height, once the diagram is in the page.
    Effect::new(move |_| {
        if let Some(el) = scroller.get() {
            viewport.set(el.client_height() as f64 - HEAD_H);
        }
    });
    let on_scroll = move |_| {
        if let Some(el) = scroller.get_untracked() {
            scroll_top.set(el.scroll_top() as f64);
            viewport.set(el.client_height() as f64 - HEAD_H);
        }
    };
    // The rows in view, each keyed so scrolling only adds and removes rows at the edges.
    let visible = move || {
        diagram.with(|d| {
            let range = layout::window(scroll_top.get(), viewport.get(), d.rows.len());
            d.rows[range.clone()]
                .iter()
                .zip(range)
                .map(|(row, i)| (d.trace, i, *row))
                .collect::<Vec<_>>()
        })
    };

    let row_view = move |(_, i, row): (usize, usize, Row)| {
        let Some(((from, to), step)) = diagram.with_untracked(|d| {
            let step = state
                .trace
                .with_untracked(|t| t.steps.get(row.step).cloned())?;
            Some((d.ends.get(row.step).copied().flatten()?, step))
        }) else {
            return ().into_any();
        };
        let arrow = layout::arrow(from, to);
        let category = category_name(step.category);
        let direction = match arrow.direction {
            Direction::Right => "right",
            Direction::Left => "left",
            Direction::SelfLoop => "self",
        };
        let width = match arrow.direction {
            Direction::SelfLoop => LANE_W - 12.0,
            _ => arrow.width,
        };
        // The label is centred over its arrow, at least LABEL_W wide, but never under the
        // sticky step column on the left.
        let label_style = match arrow.direction {
            Direction::SelfLoop => String::new(),
            _ => {
                let w = (width - 12.0).max(LABEL_W);
                let left = (width / 2.0 - w / 2.0).max(layout::GUTTER_W + 4.0 - arrow.left);
                format!("left: {left}px; width: {w}px")
            }
        };
        let is_current = move || current_row.get() == Some(i);
        let run_len = row.run.filter(|_| row.collapsed()).map(|r| r.len);
        let description = format!(
            "step {}{}, {} from {} to {}: {}",
            row.step + 1,
            run_len
                .map(|n| format!(" (and {} more like it)", n - 1))
                .unwrap_or_default(),
            category,
            step.from,
            step.to,
            step.label
        );
        let target = row.step;
        let toggle = row
            .run
            .filter(|r| !r.expanded || r.first == row.step)
            .map(|run| {
                let text = if run.expanded {
                    format!("▾ {}×", run.len)
                } else {
                    format!("▸ {}×", run.len)
                };
                let label = if run.expanded {
                    format!("collapse {} repeated messages", run.len)
                } else {
                    format!("expand {} repeated messages", run.len)
                };
                let id = diagram.with_untracked(|d| d.trace);
                view! {
                    <button
                        type="button"
                        class="run-toggle"
                        aria-expanded=run.expanded.to_string()
                        aria-label=label
                        style=format!("left: {}px", arrow.left + width + 6.0)
                        on:click=move |_| {
                            toggled.update(|(tid, set)| {
                                if *tid != id {
                                    *tid = id;
                                    set.clear();
                                }
                                if !set.remove(&run.first) {
                                    set.insert(run.first);
                                }
                            })
                        }
                    >
                        {text}
                    </button>
                }
            });
        view! {
            <div
                class=format!("flow-row cat-{category}")
                class:current=is_current
                style=format!("top: {}px", HEAD_H + i as f64 * ROW_H)
            >
                <span class="row-meta" aria-hidden="true">
                    <span class="step-no">{row.step + 1}</span>
                    <span class="cat-name">{category}</span>
                </span>
                <button
                    type="button"
                    class=format!("arrow cat-{category} dir-{direction}")
                    data-step=row.step
                    data-run-len=run_len
                    aria-label=description
                    aria-current=move || is_current().then_some("step")
                    title=if step.summary.is_empty() { step.label.clone() } else { format!("{} — {}", step.label, step.summary) }
                    style=format!("left: {}px; width: {}px", arrow.left, width)
                    on:click=move |_| {
                        state.playing.set(false);
                        state.cursor.set(target);
                    }
                >
                    <span class="arrow-line"></span>
                    <span class="arrow-label" style=label_style>{step.label.clone()}</span>
                </button>
                {toggle}
            </div>
        }
        .into_any()
    };

    let lane_heads = move || {
        diagram.with(|d| {
            d.shown
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let style = format!(
                        "left: {}px; width: {}px",
                        layout::lane_x(i) - LANE_W / 2.0,
                        LANE_W
                    );
                    view! { <div class="lane-head" style=style data-lane=c.to_string()>{c.to_string()}</div> }
                })
                .collect_view()
        })
    };
    let lane_lines = move || {
        diagram.with(|d| {
            (0..d.shown.len())
                .map(|i| {
                    view! { <div class="lane-line" style=format!("left: {}px", layout::lane_x(i))></div> }
                })
                .collect_view()
        })
    };
    let filter = move || {
        diagram.with(|d| {
            d.lanes
                .iter()
                .map(|c| {
                    let name = c.to_string();
                    let key = name.clone();
                    let shown = move || hidden.with(|h| !h.contains(&key));
                    let toggle = name.clone();
                    view! {
                        <button
                            type="button"
                            class="lane-chip"
                            aria-pressed=move || shown().to_string()
                            on:click=move |_| {
                                hidden.update(|h| {
                                    if !h.remove(&toggle) {
                                        h.insert(toggle.clone());
                                    }
                                })
                            }
                        >
                            {name}
                        </button>
                    }
                })
                .collect_view()
        })
    };
    let canvas_style = move || {
        diagram.with(|d| {
            format!(
                "width: {}px; height: {}px",
                layout::diagram_width(d.shown.len()),
                HEAD_H + d.rows.len() as f64 * ROW_H
            )
        })
    };
    let meta = move || {
        let steps = state.steps();
        let rows = diagram.with(|d| d.rows.len());
        if rows == steps {
            format!("{steps} messages")
        } else {
            format!("{steps} messages in {rows} rows")
        }
    };

    view! {
        <section class="panel flow" data-testid="message-flow" aria-labelledby="flow-title">
            <header class="panel-header">
                <h2 id="flow-title">"Message flow"</h2>
                <span class="panel-meta">{meta}</span>
            </header>
            <Show
                when=move || { state.steps() != 0 }
                fallback=|| view! {
                    <p class="empty">"No messages yet: the simulation of this manifest has not started."</p>
                }
            >
                <div class="lane-filter" role="group" aria-label="lanes shown (press to hide or show)">
                    {filter}
                </div>
                <div
                    class="flow-scroll"
                    node_ref=scroller
                    on:scroll=on_scroll
                    tabindex="0"
                    role="region"
                    aria-label="sequence diagram of the messages"
                >
                    <div class="flow-canvas messages" style=canvas_style>
                        <div class="lane-heads">{lane_heads}</div>
                        {lane_lines}
                        <For each=visible key=|item| (item.0, item.1, item.2) children=row_view/>
                    </div>
                </div>
            </Show>
        </section>
    }
}
