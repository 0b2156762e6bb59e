//! kube-scheduler as a component: its informer hands it pods without a node, it runs a
//! scheduling cycle ([`super::scheduler`]), and it either POSTs a Binding and records the
//! `Scheduled` event, or records why the pod does not fit (`PodScheduled=False`,
//! `FailedScheduling`) and tries again later.

use crate::sim::object::At;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use super::clock;
use super::engine::{resource_named, Ctx, Identity, Msg, Request, Timer, Verb};
use super::events::Recorder;
use super::kubectl::print::EventSpec;
use super::narrate::{docs, note};
use super::object;
use super::scheduler::{self, ClusterObjects, Cursor, Outcome};
use super::trace::{Component, Detail, Payload};

/// An unschedulable pod is retried when it has been unschedulable for this long even if
/// nothing in the cluster changed (`podMaxInUnschedulablePodsDuration`, 5 min).
pub const UNSCHEDULABLE_RETRY_MS: u64 = 5 * 60 * 1000;

#[derive(Clone, Debug)]
pub enum SchedulerTimer {
    /// Move an unschedulable pod back to the active queue.
    Retry { namespace: String, name: String },
}

#[derive(Default)]
pub struct SchedulerComponent {
    cursor: Cursor,
    recorder: Recorder,
    /// Binding requests in flight: request id → (pod, node).
    binding: BTreeMap<u64, (Value, String)>,
    /// The scheduler cache's assumed pods: bound in the scheduler's mind (Reserve) before
    /// the Binding is written, so the next cycle counts them on their node. Key: ns/name.
    assumed: BTreeMap<String, Value>,
    /// Pods that did not fit, waiting for the cluster to change: (namespace, name).
    unschedulable: std::collections::BTreeSet<(String, String)>,
    /// The scheduler cache: nodes with their bound and assumed pods, caught up with
    /// etcd's writes before each cycle (O(changes), not O(pods × nodes)).
    cache: Option<Cache>,
}

#[derive(Default)]
struct Cache {
    snapshot: scheduler::Snapshot,
    /// The etcd revision the cache has caught up with.
    synced: u64,
    /// Pods in the cache: `ns/name` → node.
    placed: BTreeMap<String, String>,
}

impl Cache {
    /// Puts a bound or assumed pod on its node (terminal pods are not counted).
    fn place(&mut self, pod: &Value) {
        if self.snapshot.add_pod(pod) {
            self.placed.insert(
                format!("{}/{}", object::namespace(pod), object::name(pod)),
                object::str_at(pod, "/spec/nodeName").to_string(),
            );
        }
    }

    /// Takes the pod `ns/name` out of the cache, wherever it was.
    fn forget(&mut self, key: &str) {
        if let Some(node) = self.placed.remove(key) {
            let (ns, name) = key.split_once('/').unwrap_or(("", key));
            self.snapshot.remove_pod_from(&node, ns, name);
        }
    }
}

/// How many nodes a Filter or Score step's one-line texts name; the table (payload and
/// detail) has them all.
pub const SHOWN_NODES: usize = 12;

/// The first [`SHOWN_NODES`] of `lines` joined, then how many more there are. Only the
/// lines shown are formatted: a 5,000-node cluster filters hundreds of nodes per pod.
fn shown(lines: impl ExactSizeIterator<Item = String>, sep: &str) -> String {
    let total = lines.len();
    let head: Vec<String> = lines.take(SHOWN_NODES).collect();
    if total <= SHOWN_NODES {
        return head.join(sep);
    }
    format!("{}{sep}… and {} more", head.join(sep), total - SHOWN_NODES)
}

fn identity() -> Identity {
    Identity {
        user: "system:kube-scheduler".into(),
        groups: vec!["system:authenticated".into()],
        impersonator: None,
    }
}

impl SchedulerComponent {
    pub fn handle(&mut self, ctx: &mut Ctx<'_>, msg: Msg) {
        match msg {
            Msg::Watch(event)
                if event.resource.plural == "pods"
                    && event.kind == super::etcd::EventType::Added =>
            {
                self.schedule_one(ctx, &event.object)
            }
            Msg::Watch(event) => {
                // A node changed or an assigned pod went away: the queue moves every
                // unschedulable pod back to the active queue (MoveAllToActiveOrBackoffQueue).
                let waiting: Vec<(String, String)> = self.unschedulable.iter().cloned().collect();
                if !waiting.is_empty() {
                    ctx.stage(
                        "requeue",
                        format!("{} changed: {} unschedulable pod(s) back to the active queue", event.resource.kind, waiting.len()),
                        note(
                            format!(
                                "kube-scheduler does not retry a pod that did not fit until something in the cluster changes. \
                                 A {} event is such a change, so it tries the waiting pods again.",
                                event.resource.kind
                            ),
                            docs::SCHEDULER,
                        ),
                    );
                }
                for (namespace, name) in waiting {
                    let key = format!("/registry/pods/{namespace}/{name}");
                    if let Some(pod) = ctx.view.get(&key).map(super::engine::api_object) {
                        if object::str_at(&pod, "/spec/nodeName").is_empty() {
                            self.schedule_one(ctx, &pod);
                            continue;
                        }
                    }
                    self.unschedulable.remove(&(namespace, name));
                }
            }
            Msg::Timer(Timer::Scheduler(SchedulerTimer::Retry { namespace, name })) => {
                // Leaving the unschedulable set re-arms the timer if it still does not fit.
                self.unschedulable
                    .remove(&(namespace.clone(), name.clone()));
                let key = format!("/registry/pods/{namespace}/{name}");
                let pod = ctx.view.get(&key).map(super::engine::api_object);
                if let Some(pod) = pod {
                    if object::str_at(&pod, "/spec/nodeName").is_empty() {
                        self.schedule_one(ctx, &pod);
                    }
                }
            }
            Msg::Response(resp) => {
                if let Some((pod, node)) = self.binding.remove(&resp.id) {
                    if !resp.ok() {
                        // ForgetPod: the binding failed, the node's room is free again.
                        let key = format!("{}/{}", object::namespace(&pod), object::name(&pod));
                        self.assumed.remove(&key);
                        if let Some(cache) = self.cache.as_mut() {
                            cache.forget(&key);
                        }
                    }
                    if resp.ok() {
                        let message = format!(
                            "Successfully assigned {}/{} to {node}",
                            object::namespace(&pod),
                            object::name(&pod)
                        );
                        let spec = EventSpec {
                            type_: "Normal",
                            reason: "Scheduled",
                            message: &message,
                            component: "default-scheduler",
                            host: "",
                            field_path: "",
                        };
                        self.recorder.record(ctx, &identity(), &pod, &spec);
                    }
                }
            }
            _ => {}
        }
    }

    /// Brings the cache up to date with etcd: a full build the first time (and when a
    /// node goes away), then only the keys written since the last cycle.
    fn sync_cache(&mut self, ctx: &Ctx<'_>) {
        // Assumed pods whose Binding is now in etcd (or that are gone) leave the cache.
        // Only a pod written since the last sync can have changed: look at those alone.
        let still_assumed = |key: &str| {
            ctx.view
                .get(&format!("/registry/pods/{key}"))
                .is_some_and(|kv| object::str_at(&kv.value, "/spec/nodeName").is_empty())
        };
        match &self.cache {
            Some(cache) if !self.assumed.is_empty() => {
                for key in ctx.written_since(cache.synced) {
                    if let Some(pod) = key.strip_prefix("/registry/pods/") {
                        if self.assumed.contains_key(pod) && !still_assumed(pod) {
                            self.assumed.remove(pod);
                        }
                    }
                }
            }
            Some(_) => {}
            None => self.assumed.retain(|key, _| still_assumed(key)),
        }
        let revision = ctx.view.revision();
        let rebuild = match &self.cache {
            None => true,
            Some(cache) => ctx
                .written_since(cache.synced)
                .iter()
                .any(|k| k.starts_with("/registry/minions/") && ctx.view.get(k).is_none()),
        };
        if rebuild {
            let mut cache = Cache {
                synced: revision,
                ..Cache::default()
            };
            for (_, kv) in ctx.view.range("/registry/minions/") {
                cache.snapshot.set_node(&kv.value);
            }
            let bound = ctx
                .view
                .range("/registry/pods/")
                .map(|(_, kv)| kv.value.as_ref())
                .chain(self.assumed.values());
            for pod in bound {
                cache.place(pod);
            }
            self.cache = Some(cache);
            return;
        }
        let Some(cache) = self.cache.as_mut() else {
            return;
        };
        let changed: std::collections::BTreeSet<&str> = ctx
            .written_since(cache.synced)
            .iter()
            .map(|k| k.as_ref())
            .collect();
        for key in changed {
            if key.starts_with("/registry/minions/") {
                if let Some(kv) = ctx.view.get(key) {
                    cache.snapshot.set_node(&kv.value);
                }
            } else if let Some(pod_key) = key.strip_prefix("/registry/pods/") {
                cache.forget(pod_key);
                match ctx.view.get(key) {
                    Some(kv) if !object::str_at(&kv.value, "/spec/nodeName").is_empty() => {
                        cache.place(&kv.value)
                    }
                    _ => {
                        if let Some(assumed) = self.assumed.get(pod_key) {
                            cache.place(assumed);
                        }
                    }
                }
            }
        }
        cache.synced = revision;
    }

    fn schedule_one(&mut self, ctx: &mut Ctx<'_>, pod: &Value) {
        self.sync_cache(ctx);
        let Some(cache) = self.cache.as_ref() else {
            return;
        };
        let pvcs: Vec<&Value> = ctx
            .view
            .range("/registry/persistentvolumeclaims/")
            .map(|(_, kv)| kv.value.as_ref())
            .collect();
        let services: Vec<&Value> = ctx
            .view
            .range("/registry/services/specs/")
            .map(|(_, kv)| kv.value.as_ref())
            .collect();
        let owners: Vec<&Value> = ctx
            .view
            .range("/registry/replicasets/")
            .map(|(_, kv)| kv.value.as_ref())
            .collect();
        let objects = ClusterObjects {
            pvcs,
            services,
            owners,
        };
        let decision =
            scheduler::schedule_snapshot(pod, &cache.snapshot, &objects, &mut self.cursor, ctx.rng);
        let name = object::name(pod).to_string();
        let namespace = object::namespace(pod).to_string();

        // One stage step for filtering and one for scoring. Both share the decision; the
        // tables are rendered from it when shown, and the one-line texts name at most
        // SHOWN_NODES nodes (a 5,000-node cluster filters hundreds per pod).
        let detail = Arc::new(Detail::Scheduling(decision));
        let Detail::Scheduling(decision) = detail.as_ref();
        if !decision.filters.is_empty() {
            let feasible = decision.filters.iter().filter(|f| f.feasible()).count();
            let lines = || decision.filters.iter().map(|f| decision.filter_line(f));
            ctx.stage_with(super::engine::StageNote {
                label: "Filter".into(),
                summary: format!(
                    "{feasible} of {} nodes fit: {}",
                    decision.num_all_nodes,
                    shown(lines(), "; ")
                ),
                payload: Some(Payload::Filters(detail.clone())),
                narration: note(
                    format!(
                        "The Filter plugins run on every node in order (NodeUnschedulable, NodeName, TaintToleration, \
                         NodeAffinity, NodePorts, NodeResourcesFit, ...). A node is out at its first failing plugin. {}",
                        shown(lines(), ". ")
                    ),
                    docs::SCHEDULING_FRAMEWORK,
                ),
                to: None,
                detail: Some(detail.clone()),
            });
        }
        if !decision.scores.is_empty() {
            let totals = decision
                .scores
                .iter()
                .map(|s| format!("{} {}", s.node(decision), s.total()));
            ctx.stage_with(super::engine::StageNote {
                label: "Score".into(),
                summary: shown(totals, ", "),
                payload: Some(Payload::Scores(detail.clone())),
                narration: note(
                    "The Score plugins rate each node that fits from 0 to 100; each score is multiplied by the plugin's \
                     weight and added up. The highest total wins; a tie is broken at random."
                        .to_string(),
                    docs::SCHEDULING_FRAMEWORK,
                ),
                to: None,
                detail: Some(detail.clone()),
            });
        }
        match decision.outcome.clone() {
            Outcome::Bound { node } => {
                self.unschedulable
                    .remove(&(namespace.clone(), name.clone()));
                // AssumePod: the next cycle already counts this pod on its node.
                let mut assumed = pod.clone();
                object::set_at(&mut assumed, "/spec/nodeName", json!(node));
                let key = format!("{namespace}/{name}");
                if let Some(cache) = self.cache.as_mut() {
                    cache.forget(&key);
                    cache.place(&assumed);
                }
                self.assumed.insert(key, assumed);
                let id = ctx.id();
                let body = json!({
                    "apiVersion": "v1", "kind": "Binding",
                    "metadata": {"name": name, "namespace": namespace,
                                 "uid": object::str_at(pod, "/metadata/uid")},
                    "target": {"apiVersion": "v1", "kind": "Node", "name": node}
                });
                ctx.stage(
                    "Reserve, Permit, PreBind, Bind",
                    format!("pod {namespace}/{name} → {node}"),
                    note(
                        format!("kube-scheduler picks {node} and assumes the pod there in its cache, then binds it."),
                        docs::SCHEDULER,
                    ),
                );
                self.binding.insert(id, (pod.clone(), node));
                let Some(pods) = resource_named("", "pods") else {
                    return;
                };
                ctx.send(
                    Component::ApiServer,
                    1,
                    Msg::Request(
                        Request::new(id, Verb::Create, pods, namespace, name, identity())
                            .subresource("binding")
                            .body(body),
                    ),
                );
            }
            Outcome::Unschedulable { message, .. } | Outcome::PreFilterRejected { message, .. } => {
                self.unschedulable(ctx, pod, &message);
            }
            Outcome::Gated { .. } | Outcome::Ignored { .. } => {}
        }
    }

    fn unschedulable(&mut self, ctx: &mut Ctx<'_>, pod: &Value, message: &str) {
        let name = object::name(pod).to_string();
        let namespace = object::namespace(pod).to_string();
        let first = self.unschedulable.insert((namespace.clone(), name.clone()));
        let mut status = pod.get("status").cloned().unwrap_or_else(|| json!({}));
        let condition = json!({"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                               "message": message, "lastProbeTime": null,
                               "lastTransitionTime": clock::rfc3339(ctx.now)});
        let already = pod
            .at("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "PodScheduled" && c["message"] == message)
            });
        if !already {
            let mut holder = json!({"status": status.take()});
            super::apiserver::set_condition(&mut holder, condition);
            let id = ctx.id();
            if let Some(pods) = resource_named("", "pods") {
                ctx.send(
                    Component::ApiServer,
                    1,
                    Msg::Request(
                        Request::new(
                            id,
                            Verb::Patch,
                            pods,
                            namespace.clone(),
                            name.clone(),
                            identity(),
                        )
                        .subresource("status")
                        .body(holder),
                    ),
                );
            }
        }
        let spec = EventSpec {
            type_: "Warning",
            reason: "FailedScheduling",
            message,
            component: "default-scheduler",
            host: "",
            field_path: "",
        };
        self.recorder.record(ctx, &identity(), pod, &spec);
        if first {
            ctx.timer(
                UNSCHEDULABLE_RETRY_MS,
                Timer::Scheduler(SchedulerTimer::Retry { namespace, name }),
            );
        }
    }
}
