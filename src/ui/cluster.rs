//! The cluster view: the control plane and each node with its kubelet, container
//! runtime, CNI and kube-proxy, and the pods bound to it, as etcd holds them at the cursor.

use leptos::prelude::*;
use serde_json::Value;

use super::AppState;
use crate::sim::{object, quantity::Quantity, trace::Component};

#[derive(PartialEq)]
struct NodeCard {
    name: String,
    control_plane: bool,
    cpu: String,
    memory: String,
    pod_cidr: String,
    pods: Vec<PodChip>,
}

#[derive(Clone, PartialEq)]
struct PodChip {
    key: String,
    name: String,
    phase: String,
    ip: String,
}

fn pod_chip(pod: &Value) -> PodChip {
    PodChip {
        key: format!("{}/{}", object::namespace(pod), object::name(pod)),
        name: object::name(pod).to_string(),
        phase: object::str_at(pod, "/status/phase").to_string(),
        ip: object::str_at(pod, "/status/podIP").to_string(),
    }
}

fn memory_gib(text: &str) -> String {
    match Quantity::parse(text) {
        Ok(q) => format!("{:.1} GiB", q.value() as f64 / (1u64 << 30) as f64),
        Err(_) => text.to_string(),
    }
}

#[component]
pub fn ClusterView() -> impl IntoView {
    let state = expect_context::<AppState>();
    let active = Memo::new(move |_| {
        let at = state.position();
        state.trace.with(|t| {
            t.steps
                .get(at)
                .map(|s| (s.from.to_string(), s.to.to_string()))
        })
    });
    let is_active = move |c: &Component| {
        let name = c.to_string();
        active.with(|a| a.as_ref().is_some_and(|(f, t)| *f == name || *t == name))
    };

    let world = Memo::new(move |_| {
        let at = state.position();
        state.trace.with(|t| {
            let etcd = t.etcd_at(at);
            let pods: Vec<&Value> = etcd
                .range("/registry/pods/")
                .map(|(_, kv)| kv.value.as_ref())
                .collect();
            let nodes: Vec<NodeCard> = etcd
                .range("/registry/minions/")
                .map(|(_, kv)| {
                    let node = kv.value.as_ref();
                    let name = object::name(node).to_string();
                    NodeCard {
                        control_plane: node
                            .pointer("/metadata/labels/node-role.kubernetes.io~1control-plane")
                            .is_some(),
                        cpu: object::str_at(node, "/status/allocatable/cpu").to_string(),
                        memory: memory_gib(object::str_at(node, "/status/allocatable/memory")),
                        pod_cidr: object::str_at(node, "/spec/podCIDR").to_string(),
                        pods: pods
                            .iter()
                            .filter(|p| object::str_at(p, "/spec/nodeName") == name)
                            .map(|p| pod_chip(p))
                            .collect(),
                        name,
                    }
                })
                .collect();
            let pending: Vec<PodChip> = pods
                .iter()
                .filter(|p| object::str_at(p, "/spec/nodeName").is_empty())
                .map(|p| pod_chip(p))
                .collect();
            (nodes, pending)
        })
    });

    let chip = |p: PodChip| {
        let phase = if p.phase.is_empty() {
            "Pending".to_string()
        } else {
            p.phase.clone()
        };
        let ip = if p.ip.is_empty() {
            "no IP yet".to_string()
        } else {
            p.ip.clone()
        };
        let phase_text = phase.clone();
        view! {
            <div class="pod" data-pod=p.key.clone() data-phase=phase>
                <span class="pod-name">{p.name.clone()}</span>
                <span class="pod-phase">{phase_text}</span>
                <span class="pod-ip">{ip}</span>
            </div>
        }
    };

    let control_plane = move || {
        [Component::ApiServer, Component::Etcd, Component::Scheduler, Component::ControllerManager]
            .into_iter()
            .map(|c| {
                let label = c.family();
                let on = is_active(&c);
                view! { <div class="component" class:active=on data-component=c.to_string()>{label}</div> }
            })
            .collect_view()
    };

    let nodes = move || {
        world.with(|(nodes, _)| {
            nodes
                .iter()
                .map(|n| {
                    let components = [
                        Component::Kubelet(n.name.clone()),
                        Component::Runtime(n.name.clone()),
                        Component::Cni(n.name.clone()),
                        Component::KubeProxy(n.name.clone()),
                    ]
                    .into_iter()
                    .map(|c| {
                        let on = is_active(&c);
                        let label = c.family();
                        view! { <span class="component small" class:active=on data-component=c.to_string()>{label}</span> }
                    })
                    .collect_view();
                    let pods = n.pods.iter().cloned().map(chip).collect_view();
                    let role = if n.control_plane { "control plane" } else { "worker" };
                    view! {
                        <article class="node" data-node=n.name.clone()>
                            <header>
                                <h3>{n.name.clone()}</h3>
                                <span class="role">{role}</span>
                            </header>
                            <p class="capacity">
                                {format!("{} CPU · {} · podCIDR {}", n.cpu, n.memory, n.pod_cidr)}
                            </p>
                            <div class="node-components">{components}</div>
                            <div class="pods">{pods}</div>
                        </article>
                    }
                })
                .collect_view()
        })
    };
    let pending = move || {
        world.with(|(_, pending)| {
            if pending.is_empty() {
                view! { <p class="empty">"No pod is waiting for a node."</p> }.into_any()
            } else {
                pending.iter().cloned().map(chip).collect_view().into_any()
            }
        })
    };

    view! {
        <section class="panel cluster" data-testid="cluster-view" aria-labelledby="cluster-title">
            <header class="panel-header">
                <h2 id="cluster-title">"Cluster"</h2>
            </header>
            <div class="control-plane" aria-label="control plane">{control_plane}</div>
            <div class="unscheduled" aria-label="pods waiting for a node">
                <h3>"Unscheduled"</h3>
                {pending}
            </div>
            <div class="nodes">{nodes}</div>
        </section>
    }
}
