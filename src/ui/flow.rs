//! The message flow: one row per message of the trace, from lane to lane, the current
//! one highlighted; clicking a message moves the cursor there.

use leptos::prelude::*;

use super::AppState;

/// The lanes, in the order a request travels through the cluster.
pub const LANES: &[&str] = &[
    "kubectl",
    "kube-apiserver",
    "etcd",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "containerd",
    "cni",
    "kube-proxy",
    "coredns",
];

#[component]
pub fn MessageFlow() -> impl IntoView {
    let state = expect_context::<AppState>();
    let rows = move || {
        let current = state.position();
        state.trace.with(|t| {
            if t.steps.is_empty() {
                return view! {
                    <p class="empty">"No messages yet: the simulation of this manifest has not started."</p>
                }
                .into_any();
            }
            t.steps
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let label = s.label.clone();
                    let route = format!("{} → {}", s.from, s.to);
                    view! {
                        <li class="message" class:current=i == current data-step=i>
                            <button type="button" on:click=move |_| state.cursor.set(i)>
                                <span class="route">{route}</span>
                                <span class="label">{label}</span>
                            </button>
                        </li>
                    }
                })
                .collect_view()
                .into_any()
        })
    };
    view! {
        <section class="panel flow" data-testid="message-flow" aria-labelledby="flow-title">
            <header class="panel-header">
                <h2 id="flow-title">"Message flow"</h2>
                <span class="panel-meta">{move || format!("{} messages", state.steps())}</span>
            </header>
            <div class="lanes" aria-hidden="true">
                {LANES.iter().map(|l| view! { <span class="lane">{*l}</span> }).collect_view()}
            </div>
            <ol class="messages">{rows}</ol>
        </section>
    }
}
