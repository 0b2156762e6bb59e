//! The cluster view: the control plane and each node with its kubelet, container
//! runtime, CNI and kube-proxy, the pods bound to it (with kubectl's STATUS, READY,
//! RESTARTS and IP) and its requested-vs-allocatable CPU and memory, all as etcd holds
//! them at the cursor. The current message is drawn as an arrow between the two
//! components it travels between, and written out in words below the diagram.
//!
//! The arithmetic (requests, bars, the world at a step) is pure and unit-tested; the
//! component only renders it. The arrow is measured from the rendered elements' offsets
//! after each change of step or size, so it always points at the right two components.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde_json::Value;

use super::AppState;
use crate::sim::etcd::Snapshot;
use crate::sim::kubectl::print;
use crate::sim::{
    object,
    quantity::Quantity,
    trace::{Component, Trace},
};

/// Above this many nodes the view shows one compact cell per node (pod counts by
/// phase), so a cluster of 100+ nodes stays usable.
pub const AGGREGATE_ABOVE: usize = 12;
/// Pods drawn individually in the Unscheduled lane; the rest are counted.
const UNSCHEDULED_SHOWN: usize = 24;

// ---------------------------------------------------------------------------------------
// Pure: requests, usage, bars
// ---------------------------------------------------------------------------------------

/// CPU (millicores) and memory (bytes) a pod requests, as the scheduler counts them
/// (resourcehelper.PodRequests): the containers plus sidecar init containers, or the
/// largest regular init container (plus the sidecars started before it) if bigger, plus
/// `spec.overhead`. Containers without a request count as zero.
pub fn pod_requests(pod: &Value) -> (i128, i128) {
    fn quantity(list: Option<&Value>, name: &str, milli: bool) -> i128 {
        list.and_then(|l| l.get(name))
            .and_then(|q| Quantity::from_json(q).ok())
            .map(|q| if milli { q.milli_value() } else { q.value() })
            .unwrap_or(0)
    }
    fn requests(c: &Value) -> (i128, i128) {
        let list = c.pointer("/resources/requests");
        (quantity(list, "cpu", true), quantity(list, "memory", false))
    }
    let array = |p: &str| {
        pod.pointer(p)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    };
    let (mut cpu, mut memory) = (0i128, 0i128);
    for c in array("/spec/containers") {
        let (c_cpu, c_mem) = requests(c);
        cpu += c_cpu;
        memory += c_mem;
    }
    let (mut side_cpu, mut side_mem) = (0i128, 0i128);
    let (mut init_cpu, mut init_mem) = (0i128, 0i128);
    for c in array("/spec/initContainers") {
        let (c_cpu, c_mem) = requests(c);
        if c.get("restartPolicy").and_then(Value::as_str) == Some("Always") {
            cpu += c_cpu;
            memory += c_mem;
            side_cpu += c_cpu;
            side_mem += c_mem;
        } else {
            init_cpu = init_cpu.max(c_cpu + side_cpu);
            init_mem = init_mem.max(c_mem + side_mem);
        }
    }
    cpu = cpu.max(init_cpu);
    memory = memory.max(init_mem);
    let overhead = pod.pointer("/spec/overhead");
    cpu += quantity(overhead, "cpu", true);
    memory += quantity(overhead, "memory", false);
    (cpu, memory)
}

/// Pods in phase Succeeded or Failed hold no resources on their node.
pub fn is_terminal(pod: &Value) -> bool {
    matches!(object::str_at(pod, "/status/phase"), "Succeeded" | "Failed")
}

/// What a node's pods request against what it can allocate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub cpu_requested: i128,
    pub cpu_allocatable: i128,
    pub memory_requested: i128,
    pub memory_allocatable: i128,
    /// Non-terminal pods bound to the node.
    pub pods: usize,
    pub max_pods: i128,
}

impl Usage {
    /// Millicores not yet requested (never negative).
    pub fn cpu_free(&self) -> i128 {
        (self.cpu_allocatable - self.cpu_requested).max(0)
    }
    pub fn memory_free(&self) -> i128 {
        (self.memory_allocatable - self.memory_requested).max(0)
    }
}

/// Sums the requests of the non-terminal `pods` bound to `node` against its
/// `status.allocatable`.
pub fn node_usage(node: &Value, pods: &[&Value]) -> Usage {
    let alloc = node.pointer("/status/allocatable");
    let get = |name: &str| {
        alloc
            .and_then(|a| a.get(name))
            .and_then(|q| Quantity::from_json(q).ok())
    };
    let mut usage = Usage {
        cpu_allocatable: get("cpu").map(|q| q.milli_value()).unwrap_or(0),
        memory_allocatable: get("memory").map(|q| q.value()).unwrap_or(0),
        max_pods: get("pods").map(|q| q.value()).unwrap_or(0),
        ..Usage::default()
    };
    for pod in pods.iter().filter(|p| !is_terminal(p)) {
        let (cpu, memory) = pod_requests(pod);
        usage.cpu_requested += cpu;
        usage.memory_requested += memory;
        usage.pods += 1;
    }
    usage
}

/// Millicores as kubectl writes CPU: `250m`, `2`, `1.5`.
pub fn format_cpu(milli: i128) -> String {
    if milli % 1000 == 0 {
        format!("{}", milli / 1000)
    } else if milli.abs() < 1000 {
        format!("{milli}m")
    } else {
        let text = format!("{:.2}", milli as f64 / 1000.0);
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Bytes in binary units, short: `0`, `128Mi`, `4Gi`, `1.5Gi`, `512Ki`.
pub fn format_memory(bytes: i128) -> String {
    const KI: i128 = 1 << 10;
    const MI: i128 = 1 << 20;
    const GI: i128 = 1 << 30;
    let short = |value: f64, unit: &str| {
        let text = format!("{value:.1}");
        format!("{}{unit}", text.trim_end_matches('0').trim_end_matches('.'))
    };
    match bytes.abs() {
        0 => "0".into(),
        b if b >= GI => short(bytes as f64 / GI as f64, "Gi"),
        b if b >= MI => short(bytes as f64 / MI as f64, "Mi"),
        b if b >= KI => short(bytes as f64 / KI as f64, "Ki"),
        _ => bytes.to_string(),
    }
}

/// One labelled bar: requested of allocatable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    /// `cpu` or `memory` (the `data-bar` attribute).
    pub resource: &'static str,
    pub requested: String,
    pub allocatable: String,
    /// Filled share, 0–100 (clamped; `over` says when requests exceed allocatable).
    pub percent: u32,
    pub over: bool,
}

impl Bar {
    fn new(resource: &'static str, used: i128, total: i128, fmt: fn(i128) -> String) -> Bar {
        let percent = if total <= 0 {
            if used > 0 {
                100
            } else {
                0
            }
        } else {
            ((used.max(0) * 100 + total - 1) / total).min(100) as u32
        };
        Bar {
            resource,
            requested: fmt(used),
            allocatable: fmt(total),
            percent,
            over: used > total,
        }
    }

    /// `CPU 250m / 2` — the visible label.
    pub fn label(&self) -> String {
        let name = if self.resource == "cpu" { "CPU" } else { "mem" };
        format!("{name} {} / {}", self.requested, self.allocatable)
    }
}

pub fn bars(usage: &Usage) -> [Bar; 2] {
    [
        Bar::new(
            "cpu",
            usage.cpu_requested,
            usage.cpu_allocatable,
            format_cpu,
        ),
        Bar::new(
            "memory",
            usage.memory_requested,
            usage.memory_allocatable,
            format_memory,
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// Pure: the world at a step
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
pub struct PodChip {
    /// `namespace/name`.
    pub key: String,
    pub name: String,
    /// `status.phase`, `Pending` when not set yet.
    pub phase: String,
    /// kubectl's STATUS column (`ContainerCreating`, `CrashLoopBackOff`, …).
    pub status: String,
    /// kubectl's READY column.
    pub ready: String,
    /// kubectl's RESTARTS column.
    pub restarts: String,
    pub ip: String,
}

impl PodChip {
    pub fn new(pod: &Value, now_ms: u64) -> PodChip {
        let phase = match object::str_at(pod, "/status/phase") {
            "" => "Pending",
            p => p,
        };
        let ns = match object::namespace(pod) {
            "" => "default",
            ns => ns,
        };
        PodChip {
            key: format!("{ns}/{}", object::name(pod)),
            name: object::name(pod).to_string(),
            phase: phase.to_string(),
            status: print::pod_status(pod),
            ready: print::pod_ready(pod),
            restarts: print::pod_restarts(pod, now_ms),
            ip: object::str_at(pod, "/status/podIP").to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeCard {
    pub name: String,
    pub control_plane: bool,
    pub pod_cidr: String,
    pub unschedulable: bool,
    pub taints: Vec<String>,
    pub usage: Usage,
    pub pods: Vec<PodChip>,
    /// kube-system pods the cluster was installed with (static pods, kube-proxy,
    /// CoreDNS): counted, not drawn, so the learner's pods stay in view.
    pub installed: usize,
}

/// Pods that were running before the simulation started: the installed kube-system pods.
fn preinstalled(pod: &Value) -> bool {
    object::str_at(pod, "/metadata/creationTimestamp") == crate::sim::cluster::INSTALLED_AT
}

impl NodeCard {
    /// Pods by phase, for the aggregated view: `[("Running", 3), ("Pending", 1)]`.
    pub fn phase_counts(&self) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for p in &self.pods {
            *counts.entry(p.phase.as_str()).or_default() += 1;
        }
        let order = ["Running", "Pending", "Succeeded", "Failed", "Unknown"];
        let mut out: Vec<(String, usize)> = order
            .iter()
            .filter_map(|p| counts.remove(p).map(|c| (p.to_string(), c)))
            .collect();
        out.extend(counts.into_iter().map(|(p, c)| (p.to_string(), c)));
        out
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct World {
    pub nodes: Vec<NodeCard>,
    /// Pods without `spec.nodeName`.
    pub unscheduled: Vec<PodChip>,
}

fn taint_text(t: &Value) -> String {
    let key = object::str_at(t, "/key");
    let value = object::str_at(t, "/value");
    let effect = object::str_at(t, "/effect");
    if value.is_empty() {
        format!("{key}:{effect}")
    } else {
        format!("{key}={value}:{effect}")
    }
}

/// The nodes and pods as etcd holds them.
pub fn world(etcd: &Snapshot, now_ms: u64) -> World {
    let mut by_node: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    let mut unscheduled = Vec::new();
    for (_, kv) in etcd.range("/registry/pods/") {
        let pod = kv.value.as_ref();
        match object::str_at(pod, "/spec/nodeName") {
            "" => unscheduled.push(PodChip::new(pod, now_ms)),
            node => by_node.entry(node).or_default().push(pod),
        }
    }
    let nodes = etcd
        .range("/registry/minions/")
        .map(|(_, kv)| {
            let node = kv.value.as_ref();
            let name = object::name(node);
            let pods = by_node.get(name).map(Vec::as_slice).unwrap_or(&[]);
            NodeCard {
                name: name.to_string(),
                control_plane: node
                    .pointer("/metadata/labels/node-role.kubernetes.io~1control-plane")
                    .is_some(),
                pod_cidr: object::str_at(node, "/spec/podCIDR").to_string(),
                unschedulable: node
                    .pointer("/spec/unschedulable")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                taints: node
                    .pointer("/spec/taints")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(taint_text)
                    .collect(),
                usage: node_usage(node, pods),
                pods: pods
                    .iter()
                    .filter(|p| !preinstalled(p))
                    .map(|p| PodChip::new(p, now_ms))
                    .collect(),
                installed: pods.iter().filter(|p| preinstalled(p)).count(),
            }
        })
        .collect();
    World { nodes, unscheduled }
}

/// Per node, the steps at which its kube-proxy ran `iptables-restore`, in order. Built
/// once per trace, so the rules at any cursor are a binary search away and scrubbing
/// stays O(log steps) however long the trace.
fn syncs_by_node(trace: &Trace) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in trace.steps.iter().enumerate() {
        if let (Component::KubeProxy(node), "iptables-restore") = (&s.from, s.label.as_str()) {
            out.entry(node.clone()).or_default().push(i);
        }
    }
    out
}

/// The payload of kube-proxy's last `iptables-restore` at or before step `at`, given the
/// steps of its syncs (from [`syncs_by_node`]).
fn last_sync<'a>(trace: &'a Trace, syncs: &[usize], at: usize) -> Option<&'a str> {
    let before = syncs.partition_point(|&i| i <= at);
    let step = trace.steps.get(*syncs.get(before.checked_sub(1)?)?)?;
    step.payload.as_ref()?.as_text()
}

/// The rules kube-proxy on `node` had when the cluster was installed.
fn installed_rules(trace: &Trace, node: &str) -> String {
    crate::sim::controllers::kube_proxy::node_rules(&trace.initial, node).iptables_save()
}

fn rules_entry(text: String) -> (usize, String) {
    let count = text.lines().filter(|l| l.starts_with("-A ")).count();
    (count, text)
}

/// Where the current message is drawn: the element of `component` in the view, by its
/// `data-component`, or its node's cell when nodes are aggregated.
fn target_selector(component: &Component, aggregated: bool) -> String {
    match component.node() {
        Some(node) if aggregated => format!("[data-node=\"{node}\"]"),
        _ => format!("[data-component=\"{component}\"]"),
    }
}

// ---------------------------------------------------------------------------------------
// The view
// ---------------------------------------------------------------------------------------

/// A line from one component to another, in the body's coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Geometry {
    x1: f64,
    y1: f64,
    x2: f64,
    y2: f64,
    width: f64,
    height: f64,
}

/// (left, top, width, height) of `el` relative to `container`, through the chain of
/// offset parents (the container is positioned, so the chain ends there).
fn offset_in(el: &web_sys::HtmlElement, container: &web_sys::Element) -> (f64, f64, f64, f64) {
    use wasm_bindgen::JsCast;
    let (w, h) = (el.offset_width() as f64, el.offset_height() as f64);
    let (mut x, mut y) = (0.0, 0.0);
    let mut current: Option<web_sys::HtmlElement> = Some(el.clone());
    while let Some(e) = current {
        x += e.offset_left() as f64;
        y += e.offset_top() as f64;
        let parent = e.offset_parent();
        match parent {
            Some(p) if p != *container => current = p.dyn_into::<web_sys::HtmlElement>().ok(),
            _ => break,
        }
    }
    (x, y, w, h)
}

/// Where the segment from the centre of `a` towards `(tx, ty)` leaves `a`'s box.
fn exit_point(a: (f64, f64, f64, f64), tx: f64, ty: f64) -> (f64, f64) {
    let (cx, cy) = (a.0 + a.2 / 2.0, a.1 + a.3 / 2.0);
    let (dx, dy) = (tx - cx, ty - cy);
    if dx == 0.0 && dy == 0.0 {
        return (cx, cy);
    }
    let sx = if dx != 0.0 {
        (a.2 / 2.0) / dx.abs()
    } else {
        f64::INFINITY
    };
    let sy = if dy != 0.0 {
        (a.3 / 2.0) / dy.abs()
    } else {
        f64::INFINITY
    };
    let s = sx.min(sy).min(1.0);
    (cx + dx * s, cy + dy * s)
}

fn measure(body: &web_sys::HtmlElement, from: &str, to: &str) -> Option<Geometry> {
    use wasm_bindgen::JsCast;
    let find = |sel: &str| {
        body.query_selector(sel)
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    };
    let (a, b) = (find(from)?, find(to)?);
    let container: &web_sys::Element = body;
    let (ra, rb) = (offset_in(&a, container), offset_in(&b, container));
    let (ca, cb) = (
        (ra.0 + ra.2 / 2.0, ra.1 + ra.3 / 2.0),
        (rb.0 + rb.2 / 2.0, rb.1 + rb.3 / 2.0),
    );
    // Neighbours on one row: from bottom edge to bottom edge, bending below the row, so
    // the arrow never hides the labels between them.
    let ((x1, y1), (x2, y2)) = if (ca.1 - cb.1).abs() < 4.0 {
        ((ca.0, ra.1 + ra.3), (cb.0, rb.1 + rb.3))
    } else {
        (exit_point(ra, cb.0, cb.1), exit_point(rb, ca.0, ca.1))
    };
    Some(Geometry {
        x1,
        y1,
        x2,
        y2,
        width: body.scroll_width() as f64,
        height: body.scroll_height() as f64,
    })
}

/// The arrow as an SVG path: a gentle curve, so it stays visible between neighbours.
fn arrow_path(g: &Geometry) -> String {
    let (mx, my) = ((g.x1 + g.x2) / 2.0, (g.y1 + g.y2) / 2.0);
    let (dx, dy) = (g.x2 - g.x1, g.y2 - g.y1);
    if dy.abs() < 4.0 {
        return format!(
            "M{:.1} {:.1} Q{:.1} {:.1} {:.1} {:.1}",
            g.x1,
            g.y1,
            mx,
            my + 30.0,
            g.x2,
            g.y2
        );
    }
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let bend = (len * 0.18).min(40.0);
    let (cx, cy) = (mx - dy / len * bend, my + dx / len * bend);
    format!(
        "M{:.1} {:.1} Q{:.1} {:.1} {:.1} {:.1}",
        g.x1, g.y1, cx, cy, g.x2, g.y2
    )
}

#[component]
pub fn ClusterView() -> impl IntoView {
    let state = expect_context::<AppState>();
    let current = Memo::new(move |_| {
        let at = state.position();
        state.trace.with(|t| {
            t.steps
                .get(at)
                .map(|s| (s.from.clone(), s.to.clone(), s.label.clone()))
        })
    });
    let world = Memo::new(move |_| {
        let at = state.position();
        let now = state
            .trace
            .with(|t| t.steps.get(at).map(|s| s.at_ms).unwrap_or(0));
        state.etcd.with(|etcd| world(etcd, now))
    });
    let aggregated = Memo::new(move |_| world.with(|w| w.nodes.len() > AGGREGATE_ABOVE));
    // The iptables rules each node's kube-proxy has written by the cursor.
    // Rules as installed are computed once per trace, not on every step, and only for
    // the full node cards (the aggregated view shows none).
    let installed_rules_by_node = Memo::new(move |_| {
        if aggregated.get() {
            return BTreeMap::new();
        }
        state.trace.with(|t| {
            t.initial
                .range("/registry/minions/")
                .map(|(_, kv)| {
                    let node = object::name(&kv.value).to_string();
                    let rules = installed_rules(t, &node);
                    (node, rules)
                })
                .collect::<BTreeMap<String, String>>()
        })
    });
    let syncs = Memo::new(move |_| {
        if aggregated.get() {
            return BTreeMap::new();
        }
        state.trace.with(|t| syncs_by_node(t))
    });
    let rules = Memo::new(move |_| {
        let at = state.position();
        installed_rules_by_node.with(|installed| {
            syncs.with(|syncs| {
                state.trace.with(|t| {
                    installed
                        .iter()
                        .map(|(node, initial)| {
                            let mine = syncs.get(node).map_or(&[][..], Vec::as_slice);
                            let text = last_sync(t, mine, at).unwrap_or(initial).to_string();
                            (node.clone(), rules_entry(text))
                        })
                        .collect::<BTreeMap<String, (usize, String)>>()
                })
            })
        })
    });
    // Components outside the control plane and the nodes that this trace talks to.
    let outside = Memo::new(move |_| {
        state.trace.with(|t| {
            let mut seen: Vec<Component> = vec![Component::Kubectl];
            for s in &t.steps {
                for c in [&s.from, &s.to] {
                    if matches!(c, Component::CoreDns | Component::Webhook(_)) && !seen.contains(c)
                    {
                        seen.push(c.clone());
                    }
                }
            }
            seen
        })
    });

    let role_of = move |c: &Component| -> Option<&'static str> {
        current.with(|cur| {
            let (from, to, _) = cur.as_ref()?;
            if from == to && from == c {
                Some("self")
            } else if from == c {
                Some("from")
            } else if to == c {
                Some("to")
            } else {
                None
            }
        })
    };
    let chip = move |c: Component, class: &'static str| {
        let cc = c.clone();
        let role = Memo::new(move |_| role_of(&cc));
        let label = match &c {
            Component::Webhook(name) => format!("webhook {name}"),
            other => other.family().to_string(),
        };
        view! {
            <span
                class=class
                class:active=move || role.get().is_some()
                class:pulse=move || role.get() == Some("self")
                data-role=move || role.get().unwrap_or("")
                data-component=c.to_string()
            >
                {label}
            </span>
        }
    };

    let selected = state.selected;
    let pod_chip = move |p: PodChip| {
        let key = p.key.clone();
        let key_click = p.key.clone();
        let is_selected = Memo::new(move |_| selected.with(|s| s.as_deref() == Some(&key)));
        let mut detail = format!("READY {}", p.ready);
        if p.restarts != "0" {
            detail.push_str(&format!(" · ↻ {}", p.restarts));
        }
        let ip = if p.ip.is_empty() {
            "no IP".to_string()
        } else {
            p.ip.clone()
        };
        let aria = format!(
            "pod {}: {}, ready {}, restarts {}, {}",
            p.key, p.status, p.ready, p.restarts, ip
        );
        view! {
            <button
                type="button"
                class="pod"
                data-pod=p.key.clone()
                data-phase=p.phase.clone()
                data-status=p.status.clone()
                aria-pressed=move || if is_selected.get() { "true" } else { "false" }
                aria-label=aria
                title="Select this pod"
                on:click=move |_| selected.set(Some(key_click.clone()))
            >
                <span class="pod-name">{p.name.clone()}</span>
                <span class="pod-status">{p.status.clone()}</span>
                <span class="pod-ready">{detail}</span>
                <span class="pod-ip">{ip}</span>
            </button>
        }
    };

    let bar_view = |b: Bar| {
        let aria = format!(
            "{} requested {} of {} allocatable ({}%)",
            if b.resource == "cpu" { "CPU" } else { "memory" },
            b.requested,
            b.allocatable,
            b.percent
        );
        view! {
            <div
                class="bar"
                class:over=b.over
                data-bar=b.resource
                role="meter"
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=b.percent.to_string()
                aria-label=aria
            >
                <span class="bar-fill" style=format!("width: {}%", b.percent)></span>
                <span class="bar-label">{b.label()}</span>
            </div>
        }
    };

    let rules_view = move |node: &str| {
        let node = node.to_string();
        rules.with(|r| {
            r.get(&node).map(|(count, text)| {
                let summary = format!("iptables ({count})");
                let text = text.clone();
                view! {
                    <details class="rules" data-rules=node.clone()>
                        <summary>{summary}</summary>
                        <pre>{text}</pre>
                    </details>
                }
            })
        })
    };
    let node_full = move |n: NodeCard| {
        let components = [
            Component::Kubelet(n.name.clone()),
            Component::Runtime(n.name.clone()),
            Component::Cni(n.name.clone()),
            Component::KubeProxy(n.name.clone()),
        ]
        .into_iter()
        .map(|c| chip(c, "component small"))
        .collect_view();
        let [cpu, memory] = bars(&n.usage);
        let role = if n.control_plane {
            "control plane"
        } else {
            "worker"
        };
        let mut notes = Vec::new();
        if n.unschedulable {
            notes.push("cordoned".to_string());
        }
        notes.extend(n.taints.iter().map(|t| format!("taint {t}")));
        let notes_title = notes.join("\n");
        let note_text = if n.unschedulable {
            "cordoned".to_string()
        } else if n.taints.is_empty() {
            String::new()
        } else {
            format!(
                "{} taint{}",
                n.taints.len(),
                if n.taints.len() == 1 { "" } else { "s" }
            )
        };
        let installed = (n.installed > 0).then(|| {
            let text = format!(
                "+{} system",
                n.installed
            );
            view! { <p class="installed-pods" title="kube-system pods running since the cluster was installed: static control-plane pods, kube-proxy, CoreDNS">{text}</p> }
        });
        let pods = if n.pods.is_empty() && n.installed == 0 {
            view! { <p class="no-pods">"no pods"</p> }.into_any()
        } else if n.pods.is_empty() {
            ().into_any()
        } else {
            n.pods
                .iter()
                .cloned()
                .map(pod_chip)
                .collect_view()
                .into_any()
        };
        view! {
            <article class="node" data-node=n.name.clone() aria-label=format!("node {}", n.name)>
                <header>
                    <h3>{n.name.clone()}</h3>
                    <span class="role">{role}</span>
                    <span class="node-note" title=notes_title>{note_text}</span>
                </header>
                {bar_view(cpu)}
                {bar_view(memory)}
                <div class="node-components">{components}</div>
                <div class="pods">{pods}</div>
                <div class="node-footer">{installed}{rules_view(&n.name)}</div>
            </article>
        }
    };

    let node_cell = move |n: NodeCard| {
        let name = n.name.clone();
        let active = move || {
            current.with(|cur| {
                cur.as_ref().is_some_and(|(f, t, _)| {
                    f.node() == Some(name.as_str()) || t.node() == Some(name.as_str())
                })
            })
        };
        let counts = n.phase_counts();
        let summary = if counts.is_empty() {
            "no pods".to_string()
        } else {
            counts
                .iter()
                .map(|(p, c)| format!("{c} {p}"))
                .collect::<Vec<_>>()
                .join(" · ")
        };
        let [cpu, _] = bars(&n.usage);
        let summary_text = summary.clone();
        let cpu_percent = cpu.percent;
        view! {
            <div
                class="node-cell"
                class:active=active
                class:control-plane=n.control_plane
                data-node=n.name.clone()
                title=format!("{} — {}; {}", n.name, summary.clone(), cpu.label())
            >
                <span class="cell-name">{n.name.clone()}</span>
                <span class="cell-counts">{summary_text}</span>
                <span class="cell-bar" aria-hidden="true">
                    <span class="bar-fill" style=format!("width: {cpu_percent}%")></span>
                </span>
            </div>
        }
    };

    let nodes = move || {
        let agg = aggregated.get();
        world.with(|w| {
            if agg {
                w.nodes
                    .iter()
                    .cloned()
                    .map(node_cell)
                    .collect_view()
                    .into_any()
            } else {
                w.nodes
                    .iter()
                    .cloned()
                    .map(node_full)
                    .collect_view()
                    .into_any()
            }
        })
    };
    let unscheduled = move || {
        world.with(|w| {
            if w.unscheduled.is_empty() {
                view! { <span class="empty">"none"</span> }.into_any()
            } else {
                let extra = w.unscheduled.len().saturating_sub(UNSCHEDULED_SHOWN);
                view! {
                    {w.unscheduled.iter().take(UNSCHEDULED_SHOWN).cloned().map(pod_chip).collect_view()}
                    {(extra > 0).then(|| view! { <span class="more">{format!("and {extra} more")}</span> })}
                }
                .into_any()
            }
        })
    };
    let meta = move || {
        world.with(|w| {
            let pods: usize =
                w.nodes.iter().map(|n| n.pods.len()).sum::<usize>() + w.unscheduled.len();
            format!(
                "{} node{} · {} pod{}",
                w.nodes.len(),
                if w.nodes.len() == 1 { "" } else { "s" },
                pods,
                if pods == 1 { "" } else { "s" }
            )
        })
    };

    // The arrow: measured after the DOM shows the step, again on resize.
    let body: NodeRef<leptos::html::Div> = NodeRef::new();
    let geometry = RwSignal::new(None::<Geometry>);
    let resized = RwSignal::new(0u32);
    let handle = window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
    on_cleanup(move || handle.remove());
    Effect::new(move |_| {
        resized.track();
        world.track();
        let agg = aggregated.get();
        let Some((from, to, _)) = current.get() else {
            geometry.set(None);
            return;
        };
        if from == to {
            geometry.set(None);
            return;
        }
        let (from, to) = (target_selector(&from, agg), target_selector(&to, agg));
        // Effects run after the DOM shows the step: measure now, and once more on the
        // next frame in case a late layout change (fonts, scrollbars) moved things.
        geometry.set(body.get_untracked().and_then(|b| measure(&b, &from, &to)));
        request_animation_frame(move || {
            let g = body.get_untracked().and_then(|b| measure(&b, &from, &to));
            if geometry.get_untracked() != g {
                geometry.set(g);
            }
        });
    });

    let connector = move || {
        current.with(|cur| match cur {
            Some((from, to, label)) => {
                let route = if from == to {
                    format!("{from} (inside itself)")
                } else {
                    format!("{from} → {to}")
                };
                view! {
                    <p class="message-now" data-from=from.to_string() data-to=to.to_string()>
                        <span class="route">{route}</span>
                        <span class="what">{label.clone()}</span>
                    </p>
                }
                .into_any()
            }
            None => view! { <p class="message-now empty">"No message yet."</p> }.into_any(),
        })
    };

    view! {
        <section class="panel cluster" data-testid="cluster-view" aria-labelledby="cluster-title">
            <header class="panel-header">
                <h2 id="cluster-title">"Cluster"</h2>
                <span class="panel-meta">{meta}</span>
            </header>
            {connector}
            <div class="cluster-body" node_ref=body>
                <svg
                    class="message-arrow"
                    aria-hidden="true"
                    width=move || geometry.get().map(|g| g.width).unwrap_or(0.0).to_string()
                    height=move || geometry.get().map(|g| g.height).unwrap_or(0.0).to_string()
                >
                    <defs>
                        <marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                            <path d="M0 0 L10 5 L0 10 z"></path>
                        </marker>
                    </defs>
                    {move || geometry.get().map(|g| view! {
                        <path class="arrow-path" d=arrow_path(&g) marker-end="url(#arrowhead)"></path>
                    })}
                </svg>
                <div class="control-plane" role="group" aria-label="kubectl and the control plane">
                    {move || outside.get().into_iter().map(|c| chip(c, "component outside")).collect_view()}
                    {[Component::ApiServer, Component::Etcd, Component::Scheduler, Component::ControllerManager]
                        .into_iter()
                        .map(|c| chip(c, "component"))
                        .collect_view()}
                </div>
                <div class="unscheduled" role="group" aria-label="pods waiting for a node">
                    <h3>"Unscheduled"</h3>
                    {unscheduled}
                </div>
                <div class="nodes" class:aggregate=aggregated>{nodes}</div>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules kube-proxy on `node` last wrote at or before step `at` (the payload of its
    /// `iptables-restore`), or, before its first sync in this run, the rules it had when the
    /// cluster was installed. Returns (number of rules, `iptables-save` text).
    fn node_rules_at(trace: &Trace, at: usize, node: &str) -> (usize, String) {
        let syncs = syncs_by_node(trace);
        let mine = syncs.get(node).map_or(&[][..], Vec::as_slice);
        rules_entry(
            last_sync(trace, mine, at)
                .map(str::to_string)
                .unwrap_or_else(|| installed_rules(trace, node)),
        )
    }

    #[test]
    fn each_node_shows_the_rules_its_kube_proxy_wrote() {
        let installed = crate::sim::simulate(
            crate::sim::scenarios::NGINX,
            &crate::sim::cluster::Cluster::default(),
            42,
        )
        .trace;
        let (count, text) = node_rules_at(&installed, 0, "w1");
        assert!(count > 5, "{count}");
        // The `kubernetes` and `kube-dns` Services of every cluster (reference B.8.3 vectors).
        assert!(text.contains("KUBE-SVC-NPX46M4PTMTKRN6Y"), "{text}");
        assert!(text.contains("KUBE-SVC-TCOU7JCQXEZGVUNU"), "{text}");
        let preset = crate::sim::scenarios::preset("deployment-service").expect("preset");
        let t = crate::sim::run(
            &preset.scenario(),
            &crate::sim::cluster::Cluster::default(),
            42,
            crate::sim::DEFAULT_HORIZON_MS,
        );
        let (_, at_end) = node_rules_at(&t, t.steps.len() - 1, "w2");
        assert!(at_end.contains("default/my-nginx"), "{at_end}");
        let (_, at_start) = node_rules_at(&t, 0, "w2");
        assert!(
            !at_start.contains("default/my-nginx"),
            "not before the Service exists"
        );
    }
    use serde_json::json;

    fn pod(cpu: &str, memory: &str, node: &str, phase: &str) -> Value {
        json!({
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {"nodeName": node, "containers": [
                {"name": "a", "resources": {"requests": {"cpu": cpu, "memory": memory}}}
            ]},
            "status": {"phase": phase}
        })
    }

    fn node() -> Value {
        json!({"metadata": {"name": "w1"}, "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"}}})
    }

    #[test]
    fn requests_sum_containers_and_take_the_largest_init_container() {
        let p = json!({"spec": {
            "containers": [
                {"resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}},
                {"resources": {"requests": {"cpu": "200m"}}},
                {"name": "no-requests"}
            ],
            "initContainers": [
                {"resources": {"requests": {"cpu": "1", "memory": "16Mi"}}},
                {"restartPolicy": "Always", "resources": {"requests": {"cpu": "50m", "memory": "8Mi"}}}
            ],
            "overhead": {"cpu": "10m"}
        }});
        // containers 300m + sidecar 50m = 350m < init 1000m; memory 64Mi + 8Mi = 72Mi > 16Mi.
        assert_eq!(pod_requests(&p), (1010, 72 << 20));
        assert_eq!(pod_requests(&json!({})), (0, 0));
    }

    #[test]
    fn usage_counts_only_pods_that_hold_resources() {
        let running = pod("500m", "1Gi", "w1", "Running");
        let pending = pod("250m", "256Mi", "w1", "Pending");
        let done = pod("1", "1Gi", "w1", "Succeeded");
        let u = node_usage(&node(), &[&running, &pending, &done]);
        assert_eq!(u.cpu_requested, 750);
        assert_eq!(u.cpu_allocatable, 2000);
        assert_eq!(u.memory_requested, (1 << 30) + (256 << 20));
        assert_eq!(u.memory_allocatable, 4 << 30);
        assert_eq!(u.pods, 2);
        assert_eq!(u.max_pods, 110);
        assert_eq!(u.cpu_free(), 1250);
    }

    #[test]
    fn bars_are_labelled_and_clamped() {
        let u = node_usage(&node(), &[&pod("500m", "1Gi", "w1", "Running")]);
        let [cpu, memory] = bars(&u);
        assert_eq!(cpu.label(), "CPU 500m / 2");
        assert_eq!(cpu.percent, 25);
        assert!(!cpu.over);
        assert_eq!(memory.label(), "mem 1Gi / 4Gi");
        assert_eq!(memory.percent, 25);
        let big = pod("3", "100Mi", "w1", "Running");
        let [cpu, memory] = bars(&node_usage(&node(), &[&big]));
        assert_eq!((cpu.percent, cpu.over), (100, true));
        assert_eq!(memory.percent, 3, "a sliver is never drawn as empty");
        let [empty, _] = bars(&Usage::default());
        assert_eq!((empty.percent, empty.label().as_str()), (0, "CPU 0 / 0"));
    }

    #[test]
    fn quantities_print_short() {
        assert_eq!(format_cpu(0), "0");
        assert_eq!(format_cpu(250), "250m");
        assert_eq!(format_cpu(2000), "2");
        assert_eq!(format_cpu(1500), "1.5");
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(128 << 20), "128Mi");
        assert_eq!(format_memory(4 << 30), "4Gi");
        assert_eq!(format_memory(3 << 29), "1.5Gi");
        assert_eq!(format_memory(512), "512");
    }

    #[test]
    fn the_world_of_the_reference_cluster() {
        let sim = crate::sim::simulate(
            crate::sim::scenarios::NGINX,
            &crate::sim::cluster::Cluster::default(),
            42,
        );
        let t = &sim.trace;
        let last = t.steps.len() - 1;
        let w = world(&t.etcd_at(last), t.steps[last].at_ms);
        let names: Vec<&str> = w.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["cp", "w1", "w2"]);
        assert!(w.nodes[0].control_plane);
        assert_eq!(
            w.nodes[0].taints,
            ["node-role.kubernetes.io/control-plane:NoSchedule"]
        );
        let pod = w
            .nodes
            .iter()
            .flat_map(|n| &n.pods)
            .find(|p| p.key == "default/nginx")
            .expect("nginx is bound");
        assert_eq!(
            (pod.status.as_str(), pod.ready.as_str(), pod.phase.as_str()),
            ("Running", "1/1", "Running")
        );
        assert!(pod.ip.starts_with("10.244."), "{}", pod.ip);
        assert!(w.unscheduled.is_empty());
        // At the first step the pod does not exist yet; the installed kube-system pods
        // are counted on their nodes, not drawn.
        let start = world(&t.etcd_at(0), 0);
        assert!(start.nodes.iter().all(|n| n.pods.is_empty()));
        let installed: Vec<usize> = start.nodes.iter().map(|n| n.installed).collect();
        assert_eq!(
            installed,
            [7, 1, 1],
            "cp: 4 static pods, kube-proxy, 2 CoreDNS"
        );
    }

    #[test]
    fn phase_counts_in_a_stable_order() {
        let chip = |phase: &str| PodChip {
            key: String::new(),
            name: String::new(),
            phase: phase.into(),
            status: String::new(),
            ready: String::new(),
            restarts: String::new(),
            ip: String::new(),
        };
        let n = NodeCard {
            name: "w1".into(),
            control_plane: false,
            pod_cidr: String::new(),
            unschedulable: false,
            taints: vec![],
            usage: Usage::default(),
            pods: vec![chip("Pending"), chip("Running"), chip("Running")],
            installed: 0,
        };
        assert_eq!(
            n.phase_counts(),
            [("Running".to_string(), 2), ("Pending".to_string(), 1)]
        );
    }

    #[test]
    fn arrows_target_components_or_their_node_cell() {
        let k = Component::Kubelet("w1".into());
        assert_eq!(
            target_selector(&k, false),
            "[data-component=\"kubelet@w1\"]"
        );
        assert_eq!(target_selector(&k, true), "[data-node=\"w1\"]");
        assert_eq!(
            target_selector(&Component::ApiServer, true),
            "[data-component=\"kube-apiserver\"]"
        );
    }

    #[test]
    fn the_arrow_leaves_the_box_at_its_edge() {
        // A 100×20 box at the origin, target far to the right: exit at the right edge.
        let (x, y) = exit_point((0.0, 0.0, 100.0, 20.0), 500.0, 10.0);
        assert!((x - 100.0).abs() < 1e-9 && (y - 10.0).abs() < 1e-9);
        // Target straight below: exit at the bottom edge.
        let (x, y) = exit_point((0.0, 0.0, 100.0, 20.0), 50.0, 300.0);
        assert!((x - 50.0).abs() < 1e-9 && (y - 20.0).abs() < 1e-9);
    }
}
