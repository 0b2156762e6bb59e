//! kube-controller-manager: watch-driven controllers, each acting only through the
//! apiserver with its own ServiceAccount (kubeadm runs the controller manager with
//! `--use-service-account-credentials`, so each controller is
//! `system:serviceaccount:kube-system:<controller>`, bound to `system:controller:<controller>`).
//!
//! The controllers: ServiceAccount and root-ca-cert-publisher (a new namespace's `default`
//! ServiceAccount and `kube-root-ca.crt`), Deployment ([`deployment`]), ReplicaSet
//! ([`replicaset`]), Job ([`job`]), DaemonSet ([`daemonset`]), EndpointSlice
//! ([`endpointslice`]) and the garbage collector (background propagation: deleting an
//! owner deletes its dependents).
//!
//! How they work, as upstream's do: a watch event puts the keys of the objects it concerns
//! on a work queue, and a sync compares the desired state with what the informers show
//! (podflow's informers read the converged keyspace, see ARCHITECTURE.md) and sends the
//! requests that close the gap. Upstream's "expectations" keep a controller from acting
//! twice on the same gap while its own writes are in flight: here an object with requests
//! in flight is only marked dirty, and synced again once they are all answered. Syncs are
//! level-triggered and idempotent, so a sync with nothing to do sends nothing.
//!
//! kube-proxy ([`kube_proxy`]) and CoreDNS ([`coredns`]) live here too: they are the other
//! watch-driven components of a cluster's service machinery, although they do not run in
//! kube-controller-manager.

pub mod coredns;
pub mod daemonset;
pub mod deployment;
pub mod endpointslice;
pub mod job;
pub mod kube_proxy;
pub mod replicaset;

use crate::sim::object::At;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{json, Value};

use super::engine::{resource_named, Ctx, Identity, Msg, Request, Resource, Tick, Verb};
use super::etcd::EventType;
use super::events::Recorder;
use super::kubectl::print::EventSpec;
use super::object;

/// The scheduler's label, node-affinity and toleration matchers, shared.
use super::scheduler::selectors;
use super::trace::Component;

/// The work-queue key of an object: (kind, namespace, name).
pub type Key = (&'static str, String, String);

/// What to do when a request is answered with success.
#[derive(Clone, Debug)]
enum OnOk {
    Nothing,
    /// Record an event about the object (the involved object is read from the view then).
    Event {
        controller: &'static str,
        involved: Value,
        type_: &'static str,
        reason: &'static str,
        message: String,
    },
}

#[derive(Default)]
pub struct ControllerManager {
    recorder: Recorder,
    /// Request id → the key it works for and what to do on success.
    inflight: BTreeMap<u64, (Key, OnOk)>,
    /// Requests in flight per key.
    pending: BTreeMap<Key, usize>,
    /// Keys that changed while their requests were in flight.
    dirty: BTreeSet<Key>,
    /// The ReplicaSet controller's slow-start batch size per key (1, 2, 4, …).
    batch: BTreeMap<Key, usize>,
    /// The Job controller's view of failures: key → (failed count, when it was first seen).
    job_failures: BTreeMap<Key, (i64, u64)>,
    /// Controller ticks already queued, so a key is not requeued twice for the same time.
    ticks: BTreeSet<(u64, Key)>,
    /// The pod informer's index by controller (upstream's ReplicaSet controller looks a
    /// ReplicaSet's pods up by owner), with what a sync counts of each pod and the counts
    /// per owner. Caught up with etcd's writes before use, so a sync costs O(1) unless it
    /// deletes pods (then O(its pods)), not O(pods in the namespace).
    pods_by_owner: BTreeMap<String, OwnedPods>,
    /// Pod key → the uid it is indexed under and what was counted of it.
    pod_owner: BTreeMap<Arc<str>, (String, PodFacts)>,
    /// The etcd revision the index has caught up with (None: not built yet).
    indexed: Option<u64>,
}

/// What a controller counts of one of its pods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodFacts {
    /// [`is_active`]: neither finished nor being deleted.
    pub active: bool,
    /// Active and [`is_ready`].
    pub ready: bool,
}

impl PodFacts {
    fn of(pod: &Value) -> PodFacts {
        let active = is_active(pod);
        PodFacts {
            active,
            ready: active && is_ready(pod),
        }
    }
}

/// One controller's pods in the owner index.
#[derive(Clone, Debug, Default)]
struct OwnedPods {
    keys: BTreeSet<Arc<str>>,
    /// Pods counted active, and of those ready.
    active: usize,
    ready: usize,
}

impl OwnedPods {
    fn count(&mut self, facts: PodFacts, add: bool) {
        let step = |n: &mut usize, yes: bool| {
            if yes {
                *n = if add { *n + 1 } else { n.saturating_sub(1) };
            }
        };
        step(&mut self.active, facts.active);
        step(&mut self.ready, facts.ready);
    }
}

/// The `source.component` of a controller's events (the DaemonSet controller's
/// ServiceAccount is spelt differently from its event source).
fn event_component(controller: &str) -> &str {
    match controller {
        "daemon-set-controller" => "daemonset-controller",
        other => other,
    }
}

/// The ServiceAccount a controller acts as.
pub fn identity(controller: &str) -> Identity {
    Identity {
        user: format!("system:serviceaccount:kube-system:{controller}"),
        groups: vec![
            "system:serviceaccounts".into(),
            "system:serviceaccounts:kube-system".into(),
            "system:authenticated".into(),
        ],
        impersonator: None,
    }
}

impl ControllerManager {
    pub fn handle(&mut self, ctx: &mut Ctx<'_>, msg: Msg) {
        match msg {
            Msg::Watch(event) => {
                let plural = event.resource.plural;
                if plural == "namespaces" && event.kind == EventType::Added {
                    self.new_namespace(ctx, object::name(&event.object).to_string());
                    return;
                }
                if event.kind == EventType::Deleted {
                    self.collect_garbage(ctx, &event.object);
                }
                for key in keys_for(ctx, plural, &event.object) {
                    self.enqueue(ctx, key);
                }
            }
            Msg::Response(resp) => {
                let Some((key, on_ok)) = self.inflight.remove(&resp.id) else {
                    return;
                };
                if resp.ok() {
                    if let OnOk::Event {
                        controller,
                        involved,
                        type_,
                        reason,
                        message,
                    } = on_ok
                    {
                        // A create's event names what the apiserver named (generateName).
                        let message = if message.is_empty() {
                            format!("Created pod: {}", object::name(&resp.body))
                        } else {
                            message
                        };
                        let spec = EventSpec {
                            type_,
                            reason,
                            message: &message,
                            component: event_component(controller),
                            host: "",
                            field_path: "",
                        };
                        self.recorder
                            .record(ctx, &identity(controller), &involved, &spec);
                    }
                }
                let left = match self.pending.get_mut(&key) {
                    Some(n) => {
                        *n = n.saturating_sub(1);
                        *n
                    }
                    None => 0,
                };
                if left == 0 {
                    self.pending.remove(&key);
                    if self.dirty.remove(&key) {
                        self.sync(ctx, key);
                    }
                }
            }
            Msg::Tick(Tick::Controller {
                kind,
                namespace,
                name,
            }) => {
                let key = (kind, namespace, name);
                self.ticks.retain(|(at, k)| !(*at <= ctx.now && *k == key));
                self.enqueue(ctx, key);
            }
            _ => {}
        }
    }

    fn enqueue(&mut self, ctx: &mut Ctx<'_>, key: Key) {
        if self.pending.get(&key).copied().unwrap_or(0) > 0 {
            self.dirty.insert(key);
        } else {
            self.sync(ctx, key);
        }
    }

    fn sync(&mut self, ctx: &mut Ctx<'_>, key: Key) {
        match key.0 {
            "Deployment" => deployment::sync(self, ctx, &key),
            "ReplicaSet" => replicaset::sync(self, ctx, &key),
            "Job" => job::sync(self, ctx, &key),
            "DaemonSet" => daemonset::sync(self, ctx, &key),
            "Service" => endpointslice::sync(self, ctx, &key),
            _ => {}
        }
    }

    /// Creates `pod` (from `owner`'s template), recording `SuccessfulCreate` on `owner`
    /// once it exists; the pod's name is only known from the response, filled in there.
    #[allow(clippy::too_many_arguments)] // the request's parts, as in `request`
    fn create_pod(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: &Key,
        controller: &'static str,
        pods: Resource,
        namespace: &str,
        owner: &Value,
        pod: Value,
    ) {
        let on_ok = OnOk::Event {
            controller,
            involved: owner.clone(),
            type_: "Normal",
            reason: "SuccessfulCreate",
            message: String::new(),
        };
        let verb = Verb::Create;
        self.request(
            ctx,
            key,
            controller,
            verb,
            pods,
            namespace,
            "",
            None,
            Some(pod),
            on_ok,
        );
    }

    /// Deletes the pod `pod_name`, recording `SuccessfulDelete` on `owner`.
    #[allow(clippy::too_many_arguments)] // the request's parts, as in `request`
    fn delete_pod(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: &Key,
        controller: &'static str,
        pods: Resource,
        namespace: &str,
        owner: &Value,
        pod_name: &str,
    ) {
        let on_ok = OnOk::Event {
            controller,
            involved: owner.clone(),
            type_: "Normal",
            reason: "SuccessfulDelete",
            message: format!("Deleted pod: {pod_name}"),
        };
        let body = json!({"kind": "DeleteOptions", "apiVersion": "v1"});
        let verb = Verb::Delete;
        self.request(
            ctx,
            key,
            controller,
            verb,
            pods,
            namespace,
            pod_name,
            None,
            Some(body),
            on_ok,
        );
    }

    /// Writes `status` to `object`'s status subresource, unless it already has it (a
    /// controller writes only what changed).
    fn update_status(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: &Key,
        controller: &'static str,
        resource: Resource,
        object: &Value,
        status: Value,
    ) {
        if object.get("status") == Some(&status) {
            return;
        }
        self.request(
            ctx,
            key,
            controller,
            Verb::Update,
            resource,
            object::namespace(object),
            object::name(object),
            Some("status"),
            Some(object::wrap("status", status)),
            OnOk::Nothing,
        );
    }

    /// Sends a request on behalf of `controller`, for the object `key`.
    #[allow(clippy::too_many_arguments)] // one argument per part of the request
    fn request(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: &Key,
        controller: &'static str,
        verb: Verb,
        resource: Resource,
        namespace: &str,
        name: &str,
        subresource: Option<&'static str>,
        body: Option<Value>,
        on_ok: OnOk,
    ) {
        let id = ctx.id();
        self.inflight.insert(id, (key.clone(), on_ok));
        *self.pending.entry(key.clone()).or_default() += 1;
        ctx.send(
            Component::ApiServer,
            1,
            Msg::Request(
                Request::new(
                    id,
                    verb,
                    resource,
                    namespace.to_string(),
                    name.to_string(),
                    identity(controller),
                )
                .subresource_opt(subresource)
                .body_opt(body),
            ),
        );
    }

    /// Records an event right away (not waiting for a request).
    fn event(
        &mut self,
        ctx: &mut Ctx<'_>,
        controller: &'static str,
        involved: &Value,
        type_: &'static str,
        reason: &'static str,
        message: &str,
    ) {
        let spec = EventSpec {
            type_,
            reason,
            message,
            component: event_component(controller),
            host: "",
            field_path: "",
        };
        self.recorder
            .record(ctx, &identity(controller), involved, &spec);
    }

    /// Syncs `key` again after `delay_ms` (a back-off).
    fn requeue_after(&mut self, ctx: &mut Ctx<'_>, key: &Key, delay_ms: u64) {
        let at = ctx.now + delay_ms;
        if self.ticks.insert((at, key.clone())) {
            ctx.send(
                Component::ControllerManager,
                delay_ms,
                Msg::Tick(Tick::Controller {
                    kind: key.0,
                    namespace: key.1.clone(),
                    name: key.2.clone(),
                }),
            );
        }
    }

    fn new_namespace(&mut self, ctx: &mut Ctx<'_>, ns: String) {
        let key: Key = ("Namespace", String::new(), ns.clone());
        if let Some(r) = resource_named("", "serviceaccounts") {
            self.request(
                ctx,
                &key,
                "service-account-controller",
                Verb::Create,
                r,
                &ns,
                "",
                None,
                Some(json!({"apiVersion": "v1", "kind": "ServiceAccount",
                            "metadata": {"name": "default", "namespace": ns}})),
                OnOk::Nothing,
            );
        }
        if let Some(r) = resource_named("", "configmaps") {
            self.request(
                ctx,
                &key,
                "root-ca-cert-publisher",
                Verb::Create,
                r,
                &ns,
                "",
                None,
                Some(json!({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": "kube-root-ca.crt", "namespace": ns,
                                    "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
                       "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\n(the cluster CA)\n-----END CERTIFICATE-----\n"}})),
                OnOk::Nothing,
            );
        }
    }

    /// The garbage collector: the dependents of a deleted owner (objects whose
    /// ownerReferences name its uid) are deleted in turn, with background propagation, so
    /// `kubectl delete deployment` removes its ReplicaSets, whose deletion removes their pods.
    fn collect_garbage(&mut self, ctx: &mut Ctx<'_>, owner: &Value) {
        let uid = object::str_at(owner, "/metadata/uid");
        if uid.is_empty() {
            return;
        }
        let ns = object::namespace(owner).to_string();
        let mut dependents = Vec::new();
        for plural in [
            "replicasets",
            "pods",
            "endpointslices",
            "deployments",
            "jobs",
            "daemonsets",
        ] {
            for (_, kv) in ctx.view.range(&format!("/registry/{plural}/{ns}/")) {
                let obj = kv.value.as_ref();
                let owned = obj
                    .at("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| refs.iter().any(|r| object::str_at(r, "/uid") == uid));
                if owned && crate::sim::object::at(obj, "/metadata/deletionTimestamp").is_none() {
                    dependents.push((plural, object::name(obj).to_string()));
                }
            }
        }
        let key: Key = ("GarbageCollector", ns.clone(), uid.to_string());
        for (plural, name) in dependents {
            let group = match plural {
                "replicasets" | "deployments" | "daemonsets" => "apps",
                "jobs" => "batch",
                "endpointslices" => "discovery.k8s.io",
                _ => "",
            };
            if let Some(r) = resource_named(group, plural) {
                self.request(
                    ctx,
                    &key,
                    "generic-garbage-collector",
                    Verb::Delete,
                    r,
                    &ns,
                    &name,
                    None,
                    Some(
                        json!({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}),
                    ),
                    OnOk::Nothing,
                );
            }
        }
    }
}

/// Which objects a watch event concerns, as the controllers' event handlers map them.
fn keys_for(ctx: &Ctx<'_>, plural: &str, obj: &Value) -> Vec<Key> {
    let ns = object::namespace(obj).to_string();
    let name = object::name(obj).to_string();
    let mut keys = Vec::new();
    match plural {
        "deployments" => keys.push(("Deployment", ns, name)),
        "replicasets" => {
            keys.push(("ReplicaSet", ns.clone(), name));
            if let Some((kind, owner)) = controller_ref(obj) {
                if kind == "Deployment" {
                    keys.push(("Deployment", ns, owner.to_string()));
                }
            }
        }
        "jobs" => keys.push(("Job", ns, name)),
        "daemonsets" => keys.push(("DaemonSet", ns, name)),
        "services" => keys.push(("Service", ns, name)),
        "pods" => {
            if let Some((kind, owner)) = controller_ref(obj) {
                match kind {
                    "ReplicaSet" => keys.push(("ReplicaSet", ns.clone(), owner.to_string())),
                    "Job" => keys.push(("Job", ns.clone(), owner.to_string())),
                    "DaemonSet" => keys.push(("DaemonSet", ns.clone(), owner.to_string())),
                    _ => {}
                }
            }
            for svc in services_selecting(ctx, obj) {
                keys.push(("Service", ns.clone(), svc));
            }
        }
        "nodes" => {
            for (_, kv) in ctx.view.range("/registry/daemonsets/") {
                keys.push((
                    "DaemonSet",
                    object::namespace(&kv.value).to_string(),
                    object::name(&kv.value).to_string(),
                ));
            }
        }
        _ => {}
    }
    keys
}

/// The (kind, name) of the object's controller owner reference.
pub fn controller_ref(obj: &Value) -> Option<(&str, &str)> {
    crate::sim::object::at(obj, "/metadata/ownerReferences")
        .and_then(Value::as_array)?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .map(|r| (object::str_at(r, "/kind"), object::str_at(r, "/name")))
}

/// Whether `obj`'s controller owner reference has this uid.
pub fn controlled_by(obj: &Value, uid: &str) -> bool {
    crate::sim::object::at(obj, "/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| {
            refs.iter().any(|r| {
                r.get("controller").and_then(Value::as_bool) == Some(true)
                    && object::str_at(r, "/uid") == uid
            })
        })
}

/// The names of the Services in the pod's namespace whose selector selects it.
pub fn services_selecting(ctx: &Ctx<'_>, pod: &Value) -> Vec<String> {
    let ns = object::namespace(pod);
    let labels = selectors::labels(pod);
    ctx.view
        .range(&format!("/registry/services/specs/{ns}/"))
        .filter(|(_, kv)| service_selects(&kv.value, labels))
        .map(|(_, kv)| object::name(&kv.value).to_string())
        .collect()
}

/// A Service's `spec.selector` (a plain map) against a pod's labels; no selector selects
/// nothing (the Service's endpoints are then managed by hand).
pub fn service_selects(svc: &Value, labels: Option<&serde_json::Map<String, Value>>) -> bool {
    let Some(sel) = crate::sim::object::at(svc, "/spec/selector").and_then(Value::as_object) else {
        return false;
    };
    !sel.is_empty()
        && sel
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k)).and_then(Value::as_str) == v.as_str())
}

/// The owner reference a controller puts on what it creates.
pub fn owner_ref(owner: &Value) -> Value {
    json!({
        "apiVersion": object::api_version(owner),
        "kind": object::kind(owner),
        "name": object::name(owner),
        "uid": object::str_at(owner, "/metadata/uid"),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

/// Objects of `plural` in `ns` controlled by `uid`, in key order.
pub fn owned(ctx: &Ctx<'_>, plural: &str, ns: &str, uid: &str) -> Vec<Value> {
    ctx.view
        .range(&format!("/registry/{plural}/{ns}/"))
        .filter(|(_, kv)| controlled_by(&kv.value, uid))
        .map(|(_, kv)| super::engine::api_object(kv))
        .collect()
}

impl ControllerManager {
    /// Catches the owner index up with etcd's writes since it last looked.
    fn index_owned_pods(&mut self, ctx: &Ctx<'_>) {
        let revision = ctx.view.revision();
        let changed: Vec<Arc<str>> = match self.indexed {
            Some(since) => ctx
                .written_since(since)
                .iter()
                .filter(|k| k.starts_with("/registry/pods/"))
                .cloned()
                .collect(),
            None => ctx
                .view
                .range("/registry/pods/")
                .map(|(k, _)| Arc::from(k))
                .collect(),
        };
        for key in changed {
            if let Some((old, facts)) = self.pod_owner.remove(&key) {
                if let Some(owned) = self.pods_by_owner.get_mut(&old) {
                    owned.keys.remove(&key);
                    owned.count(facts, false);
                    if owned.keys.is_empty() {
                        self.pods_by_owner.remove(&old);
                    }
                }
            }
            let Some(kv) = ctx.view.get(&key) else {
                continue;
            };
            if let Some(owner) = controller_uid(&kv.value) {
                let facts = PodFacts::of(&kv.value);
                let owned = self.pods_by_owner.entry(owner.to_string()).or_default();
                owned.keys.insert(key.clone());
                owned.count(facts, true);
                self.pod_owner.insert(key, (owner.to_string(), facts));
            }
        }
        self.indexed = Some(revision);
    }

    /// How many of the pods whose controller has `uid` are active, and how many of
    /// those are ready (controller.FilterActivePods, then podutil.IsPodReady).
    pub fn owned_counts(&mut self, ctx: &Ctx<'_>, uid: &str) -> (usize, usize) {
        self.index_owned_pods(ctx);
        self.pods_by_owner
            .get(uid)
            .map_or((0, 0), |owned| (owned.active, owned.ready))
    }

    /// The active pods whose controller has `uid`, as stored (shared, without
    /// `metadata.resourceVersion`), in key order.
    pub fn owned_active_pods(&mut self, ctx: &Ctx<'_>, uid: &str) -> Vec<Arc<Value>> {
        self.index_owned_pods(ctx);
        self.pods_by_owner
            .get(uid)
            .into_iter()
            .flat_map(|owned| owned.keys.iter())
            .filter(|k| self.pod_owner.get(*k).is_some_and(|(_, f)| f.active))
            .filter_map(|k| ctx.view.get(k).map(|kv| kv.value.clone()))
            .collect()
    }
}

/// The uid of `obj`'s controller owner reference.
fn controller_uid(obj: &Value) -> Option<&str> {
    obj.get("metadata")?
        .get("ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|r| r.get("uid"))
        .and_then(Value::as_str)
}

/// The object stored under `key`, as the API returns it.
pub fn get(ctx: &Ctx<'_>, key: &str) -> Option<Value> {
    ctx.view.get(key).map(super::engine::api_object)
}

/// A pod counts for its controller while it is neither finished nor being deleted
/// (controller.FilterActivePods).
pub fn is_active(pod: &Value) -> bool {
    !matches!(object::str_at(pod, "/status/phase"), "Succeeded" | "Failed")
        && crate::sim::object::at(pod, "/metadata/deletionTimestamp").is_none()
}

/// The pod's Ready condition is True.
pub fn is_ready(pod: &Value) -> bool {
    crate::sim::object::at(pod, "/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

/// Sets `key` (which may contain `/`, like most label and annotation keys) in the map at
/// `pointer`, creating it.
pub fn set_entry(obj: &mut Value, pointer: &str, key: &str, value: Value) {
    if crate::sim::object::at(obj, pointer).is_none_or(|m| !m.is_object()) {
        object::set_at(obj, pointer, json!({}));
    }
    if let Some(map) = obj.pointer_mut(pointer).and_then(Value::as_object_mut) {
        map.insert(key.to_string(), value);
    }
}

/// An integer field, with a default.
pub fn int(obj: &Value, pointer: &str, default: i64) -> i64 {
    crate::sim::object::at(obj, pointer)
        .and_then(Value::as_i64)
        .unwrap_or(default)
}

/// A pod from a controller's template: `generateName: <prefix>-`, the template's labels
/// and annotations, the owner reference, and the template's spec.
pub fn pod_from_template(owner: &Value, template: &Value, generate_name: &str) -> Value {
    let mut metadata = json!({
        "generateName": format!("{generate_name}-"),
        "namespace": object::namespace(owner),
        "ownerReferences": [owner_ref(owner)],
    });
    for field in ["labels", "annotations"] {
        if let Some(v) = crate::sim::object::at(template, &format!("/metadata/{field}")) {
            if v.as_object().is_some_and(|m| !m.is_empty()) {
                metadata[field] = v.clone();
            }
        }
    }
    // Built field by field: `json!` would serialize the spec into another copy.
    let mut pod = object::wrap("metadata", metadata);
    pod["apiVersion"] = json!("v1");
    pod["kind"] = json!("Pod");
    pod["spec"] = template.get("spec").cloned().unwrap_or_else(|| json!({}));
    pod
}

/// Sets a condition the way the apps and batch controllers do: an unchanged condition
/// (same status and reason) keeps its times, a changed one is moved to the end of the
/// list, keeping `lastTransitionTime` when only its reason changed.
pub fn set_condition(conditions: &mut Vec<Value>, mut condition: Value, now: &str) {
    let kind = object::str_at(&condition, "/type").to_string();
    let existing = conditions
        .iter()
        .position(|c| object::str_at(c, "/type") == kind);
    if let Some(i) = existing {
        let old = &conditions[i];
        if old["status"] == condition["status"] && old["reason"] == condition["reason"] {
            return;
        }
        if old["status"] == condition["status"] {
            condition["lastTransitionTime"] = old["lastTransitionTime"].clone();
        }
        conditions.remove(i);
    }
    if condition.get("lastTransitionTime").is_none() {
        condition["lastTransitionTime"] = json!(now);
    }
    conditions.push(condition);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_keep_their_times_unless_they_change() {
        let mut cs = Vec::new();
        set_condition(
            &mut cs,
            json!({"type": "Progressing", "status": "True", "reason": "NewReplicaSetCreated"}),
            "t0",
        );
        set_condition(
            &mut cs,
            json!({"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"}),
            "t0",
        );
        set_condition(
            &mut cs,
            json!({"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"}),
            "t1",
        );
        assert_eq!(cs[1]["lastTransitionTime"], "t0");
        set_condition(
            &mut cs,
            json!({"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}),
            "t2",
        );
        // Moved to the end, transition time kept: only the reason changed.
        assert_eq!(cs[0]["type"], "Available");
        assert_eq!(cs[1]["type"], "Progressing");
        assert_eq!(cs[1]["lastTransitionTime"], "t0");
    }

    #[test]
    fn service_selectors_are_plain_maps() {
        let svc = json!({"spec": {"selector": {"app": "web"}}});
        let pod = json!({"metadata": {"labels": {"app": "web", "x": "y"}}});
        assert!(service_selects(&svc, selectors::labels(&pod)));
        let other = json!({"metadata": {"labels": {"app": "db"}}});
        assert!(!service_selects(&svc, selectors::labels(&other)));
        assert!(!service_selects(
            &json!({"spec": {}}),
            selectors::labels(&pod)
        ));
    }
}
