//! The kubelet on one node: it watches the pods bound to its node and runs them through
//! the container runtime, as `syncPod` and kuberuntime's `SyncPod` do (reference B.6.2):
//!
//! | stage | next because | what happens |
//! |---|---|---|
//! | admit | the pod appeared in the kubelet's watch | node-side admission re-checks resources |
//! | first status | admitted | `Pending`, `ContainerCreating`, conditions, hostIP, startTime |
//! | volumes | status written | configMap/secret volumes must exist (`FailedMount` otherwise) |
//! | sandbox | volumes mounted | CRI `RunPodSandbox` → CNI `ADD` → pod IP |
//! | init containers | sandbox ready | one at a time, each to exit 0 |
//! | containers | init done | pull (by imagePullPolicy, with back-off) → config (env) → `CreateContainer` → `StartContainer` |
//! | running | PLEG relist (≤ 1 s) | status `Running`, podIP; probes start |
//! | exits | the container's behaviour | restart by restartPolicy with the CrashLoopBackOff curve, or `Succeeded`/`Failed` |
//! | termination | deletionTimestamp | `Killing`, preStop, SIGTERM, grace period, SIGKILL, `StopPodSandbox` (CNI `DEL`), final delete |
//!
//! [`STAGES`] lists the table as data for the UI. Every change of what the kubelet
//! knows ends in a status PATCH through the apiserver, and every notable moment in an
//! Event with the real reason and message.

use crate::sim::object::At;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{json, Value};

use super::apiserver::set_condition;
use super::behaviour::{self, Behaviour};
use super::clock;
use super::cluster::Cluster;
use super::engine::{api_object, resource_named, Ctx, Identity, Msg, Request, Timer, Verb};
use super::etcd::EventType;
use super::events::Recorder;
use super::image;
use super::kubectl::print::EventSpec;
use super::limits;
use super::narrate::{docs, note, Described};
use super::object;
use super::quantity::Quantity;
use super::runtime::{Cri, PodRef};
use super::trace::{Category, Component};

/// The kubelet's stage table, for the UI: (stage, what moves a pod to it).
pub const STAGES: &[(&str, &str)] = &[
    (
        "admit",
        "the Binding made the pod appear in this kubelet's watch",
    ),
    ("first status", "node admission accepted the pod"),
    ("volumes", "the first status is written"),
    ("sandbox", "every volume could be mounted"),
    ("init containers", "the sandbox and its network are up"),
    ("containers", "every init container exited 0"),
    ("running", "the PLEG relist saw the containers running"),
    ("restart or finish", "a container exited"),
    ("termination", "the pod got a deletionTimestamp"),
];

/// CrashLoopBackOff and image pull back-off: 10 s doubling to 5 min (kubelet.go
/// `backOffPeriod`, `MaxContainerBackOff`).
pub const BACKOFF_INITIAL_MS: u64 = 10_000;
pub const BACKOFF_MAX_MS: u64 = 300_000;
/// The PLEG relists containers every second (`plegRelistPeriod`).
pub const RELIST_MS: u64 = 1_000;
/// The node lease is renewed every 10 s (0.25 × the 40 s lease duration).
pub const LEASE_RENEW_MS: u64 = 10_000;
/// How long the volume manager waits before retrying a failed mount (its maximum
/// exponential back-off, `durationBeforeRetry` 2m2s).
pub const MOUNT_RETRY_MS: u64 = 122_000;
/// How soon a pod worker retries after a sync error (CreateContainerConfigError).
pub const SYNC_RETRY_MS: u64 = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    Startup,
    Liveness,
    Readiness,
}

impl ProbeKind {
    fn field(self) -> &'static str {
        match self {
            ProbeKind::Startup => "startupProbe",
            ProbeKind::Liveness => "livenessProbe",
            ProbeKind::Readiness => "readinessProbe",
        }
    }
    fn title(self) -> &'static str {
        match self {
            ProbeKind::Startup => "Startup",
            ProbeKind::Liveness => "Liveness",
            ProbeKind::Readiness => "Readiness",
        }
    }
}

#[derive(Clone, Debug)]
pub enum KubeletTimer {
    /// Sync the pod again (a back-off expired, or a retry is due).
    Sync { uid: String },
    /// The container's process exits, as its behaviour says.
    Exit {
        uid: String,
        container: String,
        generation: u32,
    },
    Probe {
        uid: String,
        container: String,
        kind: ProbeKind,
        generation: u32,
    },
    /// The PLEG relist notices what changed; the status manager writes the new status.
    Relist { uid: String },
}

#[derive(Clone, Debug, PartialEq)]
enum State {
    Waiting { reason: String, message: String },
    Running { since: u64 },
    Terminated(Terminated),
}

#[derive(Clone, Debug, PartialEq)]
struct Terminated {
    exit_code: i32,
    reason: String,
    started: u64,
    finished: u64,
}

struct Container {
    name: String,
    spec: Value,
    init: bool,
    behaviour: Behaviour,
    state: State,
    last: Option<Terminated>,
    restarts: u32,
    container_id: String,
    image_id: String,
    /// Incarnation: timers of an earlier run are ignored.
    generation: u32,
    ready: bool,
    started: bool,
    startup_passed: bool,
    busy: bool,
    crash_backoff_ms: u64,
    restart_at: u64,
    pull_backoff_ms: u64,
    pull_retry_at: u64,
    failures: BTreeMap<&'static str, u32>,
    successes: BTreeMap<&'static str, u32>,
    killing: bool,
    /// Exited and to be started again at `restart_at` (RESTARTS counts it then).
    pending_restart: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    New,
    Mounting,
    Sandbox,
    Ready,
    Finished,
}

struct Worker {
    /// The pod as last watched, shared with the watch event (and etcd's value).
    pod: Arc<Value>,
    reference: PodRef,
    stage: Stage,
    sandbox_id: String,
    ip: String,
    start_time: u64,
    containers: Vec<Container>,
    terminating: bool,
    stopping: usize,
    sandbox_stopping: bool,
    rejected: Option<(String, String)>,
    transitions: BTreeMap<&'static str, (String, u64)>,
    /// The status last sent, as compact JSON: an unchanged status is not sent again.
    /// Text rather than the value: a `Value` of a pod's status is several times larger,
    /// and every worker keeps one.
    last_status: Option<String>,
}

pub struct Kubelet {
    node: String,
    host_ip: String,
    identity: Identity,
    workers: BTreeMap<String, Worker>,
    /// Images present in the runtime's store (normalized references).
    images: BTreeSet<String>,
    recorder: Recorder,
}

impl Kubelet {
    pub fn new(cluster: &Cluster, index: usize) -> Kubelet {
        let node = cluster.nodes[index].name.clone();
        Kubelet {
            identity: Identity {
                user: format!("system:node:{node}"),
                groups: vec!["system:nodes".into(), "system:authenticated".into()],
                impersonator: None,
            },
            host_ip: cluster.internal_ip(index),
            node,
            workers: BTreeMap::new(),
            images: BTreeSet::new(),
            recorder: Recorder::default(),
        }
    }

    pub fn handle(&mut self, ctx: &mut Ctx<'_>, msg: Msg) {
        match msg {
            Msg::Timer(Timer::LeaseRenew) => self.renew_lease(ctx),
            Msg::Watch(event) => self.on_watch(ctx, event.kind, event.object),
            Msg::Timer(Timer::Kubelet(timer)) => self.on_timer(ctx, timer),
            Msg::Cri(reply) => self.on_cri(ctx, reply),
            Msg::Request(req) if req.subresource == Some("log") => self.serve_logs(ctx, req),
            _ => {}
        }
    }

    /// The kubelet's `/containerLogs/<ns>/<pod>/<container>` endpoint: what the current
    /// (or last) run of the container printed, from its behaviour.
    fn serve_logs(&mut self, ctx: &mut Ctx<'_>, req: Request) {
        let container = req
            .query
            .iter()
            .find(|(k, _)| *k == "container")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let worker = self
            .workers
            .values()
            .find(|w| w.reference.name == req.name && w.reference.namespace == req.namespace);
        let text = worker
            .and_then(|w| {
                w.containers
                    .iter()
                    .find(|c| c.name == container)
                    .map(|c| (w, c))
            })
            .map(|(w, c)| {
                let env = container_env(&w.pod, &c.spec);
                let (started, until) = match &c.state {
                    State::Running { since } => (*since, ctx.now),
                    State::Terminated(t) => (t.started, t.finished),
                    State::Waiting { .. } => match &c.last {
                        Some(t) => (t.started, t.finished),
                        None => (ctx.now, ctx.now),
                    },
                };
                let mut lines = behaviour::logs(&c.behaviour, &env, until.saturating_sub(started));
                lines.push(String::new());
                lines.join("\n")
            })
            .unwrap_or_default();
        ctx.send(
            Component::ApiServer,
            1,
            Msg::Response(super::engine::Response {
                id: req.id,
                code: 200,
                body: std::sync::Arc::new(Value::String(text)),
            }),
        );
    }

    fn renew_lease(&mut self, ctx: &mut Ctx<'_>) {
        let key = format!("/registry/leases/kube-node-lease/{}", self.node);
        if let (Some(kv), Some(leases)) = (
            ctx.view.get(&key),
            resource_named("coordination.k8s.io", "leases"),
        ) {
            let mut lease = api_object(kv);
            object::set_at(
                &mut lease,
                "/spec/renewTime",
                json!(clock::rfc3339_micro(ctx.now)),
            );
            let id = ctx.id();
            ctx.send_background(
                Component::ApiServer,
                1,
                Msg::Request(
                    Request::new(
                        id,
                        Verb::Update,
                        leases,
                        "kube-node-lease",
                        self.node.clone(),
                        self.identity.clone(),
                    )
                    .body(lease),
                ),
            );
        }
        ctx.background_timer(LEASE_RENEW_MS, Timer::LeaseRenew);
    }

    fn on_watch(&mut self, ctx: &mut Ctx<'_>, kind: EventType, pod: Arc<Value>) {
        let uid = object::str_at(&pod, "/metadata/uid").to_string();
        match kind {
            EventType::Added => {
                if self.workers.contains_key(&uid) {
                    return;
                }
                let containers = ["/spec/initContainers", "/spec/containers"]
                    .iter()
                    .filter_map(|p| object::at(&pod, p).and_then(Value::as_array))
                    .map(Vec::len)
                    .sum::<usize>();
                if containers > limits::MAX_CONTAINERS_PER_POD {
                    ctx.halt(format!(
                        "pod {}/{} has {containers} containers; podflow's kubelet simulates pods of at most {} (limit MAX_CONTAINERS_PER_POD)",
                        object::namespace(&pod),
                        object::name(&pod),
                        limits::MAX_CONTAINERS_PER_POD
                    ));
                    return;
                }
                let worker = self.new_worker(ctx, pod);
                self.workers.insert(uid.clone(), worker);
                self.sync(ctx, &uid);
            }
            EventType::Modified => {
                let Some(w) = self.workers.get_mut(&uid) else {
                    return;
                };
                let deleting =
                    crate::sim::object::at(&pod, "/metadata/deletionTimestamp").is_some();
                w.pod = pod;
                if deleting && !w.terminating {
                    w.terminating = true;
                    self.terminate(ctx, &uid);
                }
            }
            EventType::Deleted => {
                self.workers.remove(&uid);
            }
        }
    }

    fn new_worker(&self, ctx: &mut Ctx<'_>, pod: Arc<Value>) -> Worker {
        let annotations = pod
            .at("/metadata/annotations")
            .cloned()
            .unwrap_or(Value::Null);
        let mut containers = Vec::new();
        for (list, init) in [("initContainers", true), ("containers", false)] {
            for spec in pod
                .at(&format!("/spec/{list}"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let behaviour =
                    behaviour::container_behaviour(spec, &annotations, &ctx.cluster.images);
                containers.push(Container {
                    name: object::str_at(spec, "/name").to_string(),
                    spec: spec.clone(),
                    init,
                    behaviour,
                    state: State::Waiting {
                        reason: if init || has_init(&pod) {
                            "PodInitializing".into()
                        } else {
                            "ContainerCreating".into()
                        },
                        message: String::new(),
                    },
                    last: None,
                    restarts: 0,
                    container_id: String::new(),
                    image_id: String::new(),
                    generation: 0,
                    ready: false,
                    started: false,
                    startup_passed: false,
                    busy: false,
                    crash_backoff_ms: 0,
                    restart_at: 0,
                    pull_backoff_ms: 0,
                    pull_retry_at: 0,
                    failures: BTreeMap::new(),
                    successes: BTreeMap::new(),
                    killing: false,
                    pending_restart: false,
                });
            }
        }
        Worker {
            reference: PodRef {
                namespace: object::namespace(&pod).to_string(),
                name: object::name(&pod).to_string(),
                uid: object::str_at(&pod, "/metadata/uid").to_string(),
            },
            pod,
            stage: Stage::New,
            sandbox_id: String::new(),
            ip: String::new(),
            start_time: ctx.now,
            containers,
            terminating: false,
            stopping: 0,
            sandbox_stopping: false,
            rejected: None,
            transitions: BTreeMap::new(),
            last_status: None,
        }
    }

    fn event(
        &mut self,
        ctx: &mut Ctx<'_>,
        uid: &str,
        type_: &str,
        reason: &str,
        message: &str,
        container: Option<&str>,
    ) {
        let Some(w) = self.workers.get(uid) else {
            return;
        };
        let field_path = match container {
            Some(c) => {
                let init = w.containers.iter().any(|x| x.name == c && x.init);
                format!(
                    "spec.{}{{{c}}}",
                    if init { "initContainers" } else { "containers" }
                )
            }
            None => String::new(),
        };
        let pod = involved_object(&w.pod);
        let spec = EventSpec {
            type_,
            reason,
            message,
            component: "kubelet",
            host: &self.node,
            field_path: &field_path,
        };
        let identity = self.identity.clone();
        self.recorder.record(ctx, &identity, &pod, &spec);
    }

    // ------------------------------------------------------------------ syncPod

    fn sync(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get(uid) else {
            return;
        };
        if w.terminating {
            return;
        }
        match w.stage {
            Stage::New => self.admit(ctx, uid),
            Stage::Mounting => self.mount(ctx, uid),
            Stage::Sandbox | Stage::Finished => {}
            Stage::Ready => self.start_containers(ctx, uid),
        }
    }

    fn admit(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        // Node-side admission re-runs the resource fit against the kubelet's own view
        // (lifecycle.NewPredicateAdmitHandler).
        let node = ctx
            .view
            .get(&format!("/registry/minions/{}", self.node))
            .map(|kv| kv.value.clone());
        if let Some(node) = node {
            for resource in ["cpu", "memory"] {
                let capacity = Quantity::from_json(&node["status"]["allocatable"][resource])
                    .unwrap_or(Quantity::ZERO);
                let requested = pod_request(&w.pod, resource);
                let used: Quantity = ctx
                    .pods_on_node(&self.node)
                    .map(|kv| kv.value.as_ref())
                    .filter(|p| object::str_at(p, "/metadata/uid") != uid)
                    .filter(|p| {
                        !matches!(object::str_at(p, "/status/phase"), "Succeeded" | "Failed")
                    })
                    .map(|p| pod_request(p, resource))
                    .fold(Quantity::ZERO, Quantity::saturating_add);
                if used.saturating_add(requested) > capacity {
                    let (req, use_, cap) = if resource == "cpu" {
                        (
                            requested.milli_value(),
                            used.milli_value(),
                            capacity.milli_value(),
                        )
                    } else {
                        (requested.value(), used.value(), capacity.value())
                    };
                    let reason = format!("OutOf{resource}");
                    let message = format!(
                        "Pod was rejected: Node didn't have enough resource: {resource}, requested: {req}, used: {use_}, capacity: {cap}"
                    );
                    w.rejected = Some((reason.clone(), message.clone()));
                    w.stage = Stage::Finished;
                    ctx.stage(
                        "node admission",
                        format!("rejected: {message}"),
                        note(
                            format!(
                                "The kubelet checks again that the pod fits on {}. It does not, and a kubelet never sends a \
                                 pod back to the scheduler: the pod fails with reason {reason}.",
                                self.node
                            ),
                            docs::KUBELET,
                        ),
                    );
                    self.event(ctx, uid, "Warning", &reason, &message, None);
                    self.push_status(ctx, uid);
                    return;
                }
            }
        }
        ctx.stage(
            "node admission",
            "the pod fits: resources, host ports, node name",
            note(
                format!(
                    "The kubelet on {} admits the pod after checking it still fits the node, then writes its first status.",
                    self.node
                ),
                docs::KUBELET,
            ),
        );
        if let Some(w) = self.workers.get_mut(uid) {
            w.stage = Stage::Mounting;
            w.start_time = ctx.now;
        }
        self.push_status(ctx, uid);
        self.mount(ctx, uid);
    }

    fn mount(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get(uid) else {
            return;
        };
        let ns = w.reference.namespace.clone();
        let mut missing = None;
        for volume in w
            .pod
            .at("/spec/volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = object::str_at(volume, "/name");
            for (field, resource, what) in [
                ("configMap", "configmaps", "configmap"),
                ("secret", "secrets", "secret"),
            ] {
                let Some(source) = volume.get(field) else {
                    continue;
                };
                let object_name = if field == "secret" {
                    object::str_at(source, "/secretName")
                } else {
                    object::str_at(source, "/name")
                };
                let optional = source
                    .get("optional")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if !optional
                    && ctx
                        .view
                        .get(&format!("/registry/{resource}/{ns}/{object_name}"))
                        .is_none()
                {
                    missing = Some(format!(
                        "MountVolume.SetUp failed for volume \"{name}\" : {what} \"{object_name}\" not found"
                    ));
                }
            }
        }
        if let Some(message) = missing {
            ctx.stage(
                "volumes",
                message.clone(),
                note(
                    format!("{message}. The pod stays in ContainerCreating and the kubelet retries the mount until the object exists."),
                    docs::CONFIGMAP,
                ),
            );
            self.event(ctx, uid, "Warning", "FailedMount", &message, None);
            ctx.timer(
                MOUNT_RETRY_MS,
                Timer::Kubelet(KubeletTimer::Sync {
                    uid: uid.to_string(),
                }),
            );
            return;
        }
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let volumes: Vec<String> = w
            .pod
            .at("/spec/volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|v| object::str_at(v, "/name").to_string())
            .collect();
        ctx.stage(
            "volumes",
            if volumes.is_empty() { "no volumes".to_string() } else { format!("mounted {}", volumes.join(", ")) },
            note(
                "The volume manager mounts every volume under /var/lib/kubelet/pods/<uid>/volumes before any container \
                 starts, including the projected service-account token."
                    .to_string(),
                docs::KUBELET,
            ),
        );
        w.stage = Stage::Sandbox;
        let pod = w.reference.clone();
        ctx.send(
            Component::Runtime(self.node.clone()),
            10,
            Msg::Cri(Cri::RunPodSandbox { pod }),
        );
    }

    fn start_containers(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get(uid) else {
            return;
        };
        // Init containers run one at a time, in order, each to exit 0.
        if let Some(i) = w
            .containers
            .iter()
            .position(|c| c.init && !matches!(&c.state, State::Terminated(t) if t.exit_code == 0))
        {
            self.start_container(ctx, uid, i);
            return;
        }
        let indices: Vec<usize> = w
            .containers
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.init && matches!(c.state, State::Waiting { .. }))
            .map(|(i, _)| i)
            .collect();
        for i in indices {
            self.start_container(ctx, uid, i);
        }
    }

    fn start_container(&mut self, ctx: &mut Ctx<'_>, uid: &str, i: usize) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let policy = object::str_at(&w.pod, "/spec/restartPolicy").to_string();
        let c = &mut w.containers[i];
        if c.busy || c.killing || matches!(c.state, State::Running { .. }) {
            return;
        }
        // An exited container waits for the PLEG relist to decide about its restart.
        if matches!(c.state, State::Terminated(_)) {
            return;
        }
        if c.pending_restart {
            if ctx.now < c.restart_at {
                return;
            }
            c.pending_restart = false;
            c.restarts += 1;
        }
        let _ = &policy;
        let name = c.name.clone();
        let image = object::str_at(&c.spec, "/image").to_string();
        let reference = match image::parse_image_reference(&image) {
            Ok(r) => r,
            Err(invalid) => {
                c.state = State::Waiting {
                    reason: "InvalidImageName".into(),
                    message: invalid.message(),
                };
                let message = invalid.message();
                self.event(ctx, uid, "Warning", "InspectFailed", &message, Some(&name));
                self.event(
                    ctx,
                    uid,
                    "Warning",
                    "Failed",
                    "Error: InvalidImageName",
                    Some(&name),
                );
                self.push_status(ctx, uid);
                return;
            }
        };
        let normalized = reference.normalized();
        let pull_policy = match object::str_at(&c.spec, "/imagePullPolicy") {
            "" => "IfNotPresent",
            p => p,
        }
        .to_string();
        let present = self.images.contains(&normalized);
        match (pull_policy.as_str(), present) {
            ("Never", false) => {
                let message = format!(
                    "Container image {} is not present with pull policy of Never",
                    image::go_quote(&image)
                );
                c.state = State::Waiting {
                    reason: "ErrImageNeverPull".into(),
                    message: message.clone(),
                };
                self.event(
                    ctx,
                    uid,
                    "Warning",
                    "ErrImageNeverPull",
                    &message,
                    Some(&name),
                );
                self.event(
                    ctx,
                    uid,
                    "Warning",
                    "Failed",
                    "Error: ErrImageNeverPull",
                    Some(&name),
                );
                self.push_status(ctx, uid);
            }
            ("Always", _) | (_, false) => {
                if ctx.now < c.pull_retry_at {
                    let message = format!("Back-off pulling image {}", image::go_quote(&image));
                    c.state = State::Waiting {
                        reason: "ImagePullBackOff".into(),
                        message: message.clone(),
                    };
                    let at = c.pull_retry_at - ctx.now;
                    self.event(ctx, uid, "Normal", "BackOff", &message, Some(&name));
                    self.event(
                        ctx,
                        uid,
                        "Warning",
                        "Failed",
                        "Error: ImagePullBackOff",
                        Some(&name),
                    );
                    self.push_status(ctx, uid);
                    ctx.timer(
                        at,
                        Timer::Kubelet(KubeletTimer::Sync {
                            uid: uid.to_string(),
                        }),
                    );
                    return;
                }
                c.busy = true;
                self.event(
                    ctx,
                    uid,
                    "Normal",
                    "Pulling",
                    &format!("Pulling image {}", image::go_quote(&image)),
                    Some(&name),
                );
                let pod = self.workers[uid].reference.clone();
                ctx.send(
                    Component::Runtime(self.node.clone()),
                    5,
                    Msg::Cri(Cri::PullImage {
                        pod,
                        container: name,
                        image,
                    }),
                );
            }
            _ => {
                let message = format!(
                    "Container image {} already present on machine",
                    image::go_quote(&image)
                );
                self.event(ctx, uid, "Normal", "Pulled", &message, Some(&name));
                self.create_container(ctx, uid, i);
            }
        }
    }

    fn create_container(&mut self, ctx: &mut Ctx<'_>, uid: &str, i: usize) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let ns = w.reference.namespace.clone();
        if let Some(problem) = missing_config(ctx, &ns, &w.containers[i].spec) {
            let c = &mut w.containers[i];
            c.busy = false;
            c.state = State::Waiting {
                reason: "CreateContainerConfigError".into(),
                message: problem.clone(),
            };
            let name = c.name.clone();
            ctx.stage(
                "container config",
                format!("{name}: {problem}"),
                note(
                    format!(
                        "Before creating {name} the kubelet builds its environment. {problem}, so the container cannot be \
                         created (CreateContainerConfigError). Create the object and the kubelet retries on its own."
                    ),
                    docs::CONFIGMAP,
                ),
            );
            self.event(
                ctx,
                uid,
                "Warning",
                "Failed",
                &format!("Error: {problem}"),
                Some(&name),
            );
            self.push_status(ctx, uid);
            ctx.timer(
                SYNC_RETRY_MS,
                Timer::Kubelet(KubeletTimer::Sync {
                    uid: uid.to_string(),
                }),
            );
            return;
        }
        let c = &mut w.containers[i];
        c.busy = true;
        let msg = Cri::CreateContainer {
            pod: w.reference.clone(),
            container: c.name.clone(),
            image: object::str_at(&c.spec, "/image").to_string(),
            attempt: c.restarts,
        };
        ctx.send(Component::Runtime(self.node.clone()), 5, Msg::Cri(msg));
    }

    // ------------------------------------------------------------------ CRI replies

    fn on_cri(&mut self, ctx: &mut Ctx<'_>, reply: Cri) {
        match reply {
            Cri::RunPodSandboxReply {
                pod,
                sandbox_id,
                result,
            } => {
                let Some(w) = self.workers.get_mut(&pod.uid) else {
                    return;
                };
                match result {
                    Ok(ip) => {
                        w.sandbox_id = sandbox_id;
                        w.ip = ip;
                        w.stage = Stage::Ready;
                        self.push_status(ctx, &pod.uid);
                        self.start_containers(ctx, &pod.uid);
                    }
                    Err(e) => {
                        let message = format!(
                            "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox \"{sandbox_id}\": plugin type=\"bridge\" failed (add): {e}"
                        );
                        w.stage = Stage::Mounting;
                        self.event(
                            ctx,
                            &pod.uid,
                            "Warning",
                            "FailedCreatePodSandBox",
                            &message,
                            None,
                        );
                        ctx.timer(
                            SYNC_RETRY_MS,
                            Timer::Kubelet(KubeletTimer::Sync { uid: pod.uid }),
                        );
                    }
                }
            }
            Cri::PullImageReply {
                pod,
                container,
                image,
                result,
            } => {
                let Some(i) = self.index(&pod.uid, &container) else {
                    return;
                };
                match result {
                    Ok(info) => {
                        self.images.insert(info.reference.normalized());
                        if let Some(w) = self.workers.get_mut(&pod.uid) {
                            w.containers[i].image_id = info.image_id();
                            w.containers[i].pull_backoff_ms = 0;
                        }
                        let message = image::pulled_message(
                            &image,
                            info.pull_ms,
                            info.pull_ms,
                            info.size_bytes,
                        );
                        self.event(
                            ctx,
                            &pod.uid,
                            "Normal",
                            "Pulled",
                            &message,
                            Some(&container),
                        );
                        self.create_container(ctx, &pod.uid, i);
                    }
                    Err(e) => {
                        if let Some(w) = self.workers.get_mut(&pod.uid) {
                            let c = &mut w.containers[i];
                            c.busy = false;
                            c.pull_backoff_ms = if c.pull_backoff_ms == 0 {
                                BACKOFF_INITIAL_MS
                            } else {
                                (c.pull_backoff_ms * 2).min(BACKOFF_MAX_MS)
                            };
                            c.pull_retry_at = ctx.now + c.pull_backoff_ms;
                            c.state = State::Waiting {
                                reason: "ErrImagePull".into(),
                                message: e.clone(),
                            };
                        }
                        let message =
                            format!("Failed to pull image {}: {e}", image::go_quote(&image));
                        self.event(
                            ctx,
                            &pod.uid,
                            "Warning",
                            "Failed",
                            &message,
                            Some(&container),
                        );
                        self.event(
                            ctx,
                            &pod.uid,
                            "Warning",
                            "Failed",
                            "Error: ErrImagePull",
                            Some(&container),
                        );
                        self.push_status(ctx, &pod.uid);
                        // The next sync finds the pull in back-off: ImagePullBackOff.
                        ctx.timer(
                            RELIST_MS,
                            Timer::Kubelet(KubeletTimer::Sync { uid: pod.uid }),
                        );
                    }
                }
            }
            Cri::CreateContainerReply {
                pod,
                container,
                container_id,
            } => {
                let Some(i) = self.index(&pod.uid, &container) else {
                    return;
                };
                if let Some(w) = self.workers.get_mut(&pod.uid) {
                    w.containers[i].container_id = container_id.clone();
                }
                self.event(
                    ctx,
                    &pod.uid,
                    "Normal",
                    "Created",
                    &format!("Created container: {container}"),
                    Some(&container),
                );
                ctx.send(
                    Component::Runtime(self.node.clone()),
                    5,
                    Msg::Cri(Cri::StartContainer {
                        pod,
                        container,
                        container_id,
                    }),
                );
            }
            Cri::StartContainerReply { pod, container, .. } => {
                let Some(i) = self.index(&pod.uid, &container) else {
                    return;
                };
                self.event(
                    ctx,
                    &pod.uid,
                    "Normal",
                    "Started",
                    &format!("Started container {container}"),
                    Some(&container),
                );
                let post_start = self
                    .workers
                    .get(&pod.uid)
                    .and_then(|w| w.containers.iter().find(|c| c.name == container))
                    .and_then(|c| crate::sim::object::at(&c.spec, "/lifecycle/postStart"))
                    .map(|h| serde_json::to_string(h).unwrap_or_default());
                if let Some(hook) = post_start {
                    ctx.stage(
                        "postStart hook",
                        format!("{container}: {hook}"),
                        note(
                            format!(
                                "The kubelet runs {container}'s postStart hook right after the container starts. The container \
                                 is not reported Running until the hook returns; a failing hook kills it (FailedPostStartHook)."
                            ),
                            docs::POD_LIFECYCLE,
                        ),
                    );
                }
                self.on_started(ctx, &pod.uid, i);
            }
            Cri::StopContainerReply {
                pod,
                container,
                exit_code,
            } => {
                let Some(i) = self.index(&pod.uid, &container) else {
                    return;
                };
                self.on_exit(
                    ctx,
                    &pod.uid,
                    i,
                    exit_code,
                    if exit_code == 0 { "Completed" } else { "Error" },
                );
            }
            Cri::StopPodSandboxReply { pod } => {
                let Some(w) = self.workers.get_mut(&pod.uid) else {
                    return;
                };
                w.sandbox_stopping = false;
                if w.terminating {
                    self.push_status(ctx, &pod.uid);
                    self.final_delete(ctx, &pod.uid);
                }
            }
            _ => {}
        }
    }

    fn index(&self, uid: &str, container: &str) -> Option<usize> {
        self.workers
            .get(uid)?
            .containers
            .iter()
            .position(|c| c.name == container)
    }

    fn on_started(&mut self, ctx: &mut Ctx<'_>, uid: &str, i: usize) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let env = container_env(&w.pod, &w.containers[i].spec);
        let c = &mut w.containers[i];
        c.busy = false;
        c.generation += 1;
        c.state = State::Running { since: ctx.now };
        c.started = false;
        c.ready = false;
        c.startup_passed = c.spec.get("startupProbe").is_none();
        c.failures.clear();
        c.successes.clear();
        let generation = c.generation;
        let name = c.name.clone();
        if let Some(t) = c.behaviour.termination(&env) {
            ctx.timer(
                t.at_ms.max(1),
                Timer::Kubelet(KubeletTimer::Exit {
                    uid: uid.to_string(),
                    container: name.clone(),
                    generation,
                }),
            );
        }
        let kinds: Vec<ProbeKind> = if c.spec.get("startupProbe").is_some() {
            vec![ProbeKind::Startup]
        } else {
            [ProbeKind::Liveness, ProbeKind::Readiness]
                .into_iter()
                .filter(|k| c.spec.get(k.field()).is_some())
                .collect()
        };
        for kind in kinds {
            let delay = probe_number(&c.spec, kind, "initialDelaySeconds", 0) * 1000;
            ctx.timer(
                delay.max(1),
                Timer::Kubelet(KubeletTimer::Probe {
                    uid: uid.to_string(),
                    container: name.clone(),
                    kind,
                    generation,
                }),
            );
        }
        // The PLEG relist sees the container running at its next tick.
        ctx.timer(
            relist_delay(ctx.now),
            Timer::Kubelet(KubeletTimer::Relist {
                uid: uid.to_string(),
            }),
        );
    }

    fn on_exit(&mut self, ctx: &mut Ctx<'_>, uid: &str, i: usize, exit_code: i32, reason: &str) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let c = &mut w.containers[i];
        let started = match c.state {
            State::Running { since } => since,
            _ => ctx.now,
        };
        c.generation += 1;
        c.ready = false;
        c.killing = false;
        c.state = State::Terminated(Terminated {
            exit_code,
            reason: reason.to_string(),
            started,
            finished: ctx.now,
        });
        if w.terminating {
            w.stopping = w.stopping.saturating_sub(1);
            if w.stopping == 0 {
                self.stop_sandbox(ctx, uid);
            }
            return;
        }
        ctx.timer(
            relist_delay(ctx.now),
            Timer::Kubelet(KubeletTimer::Relist {
                uid: uid.to_string(),
            }),
        );
    }

    // ------------------------------------------------------------------ timers

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, timer: KubeletTimer) {
        match timer {
            KubeletTimer::Sync { uid } => self.sync(ctx, &uid),
            KubeletTimer::Exit {
                uid,
                container,
                generation,
            } => {
                let Some(i) = self.index(&uid, &container) else {
                    return;
                };
                let w = &self.workers[&uid];
                let c = &w.containers[i];
                if c.generation != generation
                    || w.terminating
                    || !matches!(c.state, State::Running { .. })
                {
                    return;
                }
                let env = container_env(&w.pod, &c.spec);
                let Some(t) = c.behaviour.termination(&env) else {
                    return;
                };
                ctx.stage(
                    "container exited",
                    format!("{container} exited with code {} ({})", t.exit_code, t.reason),
                    note(
                        if t.reason == "OOMKilled" {
                            format!(
                                "Container {container} used more memory than its limit, so the kernel's OOM killer ended it \
                                 (exit code 137, reason OOMKilled)."
                            )
                        } else {
                            format!("Container {container}'s main process ended with exit code {}: {}.", t.exit_code, c.behaviour.summary)
                        },
                        docs::POD_LIFECYCLE,
                    ),
                );
                self.on_exit(ctx, &uid, i, t.exit_code, t.reason);
            }
            KubeletTimer::Probe {
                uid,
                container,
                kind,
                generation,
            } => self.probe(ctx, &uid, &container, kind, generation),
            KubeletTimer::Relist { uid } => self.relist(ctx, &uid),
        }
    }

    fn relist(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        self.push_status(ctx, uid);
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if w.terminating {
            return;
        }
        let policy = object::str_at(&w.pod, "/spec/restartPolicy").to_string();
        let pod_name = format!(
            "{}_{}({})",
            w.reference.name, w.reference.namespace, w.reference.uid
        );
        // Containers that exited and will restart: immediately the first time, then after
        // a back-off of 10 s, 20 s, 40 s … 5 min (CrashLoopBackOff in between).
        let mut backoffs = Vec::new();
        for c in w.containers.iter_mut() {
            let State::Terminated(t) = &c.state else {
                continue;
            };
            let restart = match (c.init, policy.as_str()) {
                (_, "Never") => false,
                (true, _) | (false, "OnFailure") => t.exit_code != 0,
                _ => true,
            };
            if !restart {
                continue;
            }
            c.last = Some(t.clone());
            c.pending_restart = true;
            if c.crash_backoff_ms == 0 {
                c.crash_backoff_ms = BACKOFF_INITIAL_MS;
                c.restart_at = ctx.now;
                c.state = State::Waiting {
                    reason: "ContainerCreating".into(),
                    message: String::new(),
                };
            } else {
                let wait = c.crash_backoff_ms;
                c.restart_at = t.finished + wait;
                c.crash_backoff_ms = (wait * 2).min(BACKOFF_MAX_MS);
                let message = format!(
                    "back-off {} restarting failed container={} pod={pod_name}",
                    image::go_duration_ms(wait),
                    c.name
                );
                c.state = State::Waiting {
                    reason: "CrashLoopBackOff".into(),
                    message,
                };
                backoffs.push((c.name.clone(), c.restart_at));
            }
        }
        for (name, at) in &backoffs {
            let message = format!("Back-off restarting failed container {name} in pod {pod_name}");
            self.event(ctx, uid, "Warning", "BackOff", &message, Some(name));
            ctx.timer(
                at.saturating_sub(ctx.now).max(1),
                Timer::Kubelet(KubeletTimer::Sync {
                    uid: uid.to_string(),
                }),
            );
        }
        if !backoffs.is_empty() {
            self.push_status(ctx, uid);
        }
        // Pod finished: stop the sandbox; nothing will run again.
        let finished = {
            let w = &self.workers[uid];
            w.stage == Stage::Ready && pod_phase(w) != "Running" && pod_phase(w) != "Pending"
        };
        if finished {
            if let Some(w) = self.workers.get_mut(uid) {
                w.stage = Stage::Finished;
            }
            self.push_status(ctx, uid);
            self.stop_sandbox(ctx, uid);
            return;
        }
        self.start_containers(ctx, uid);
    }

    fn probe(
        &mut self,
        ctx: &mut Ctx<'_>,
        uid: &str,
        container: &str,
        kind: ProbeKind,
        generation: u32,
    ) {
        let Some(i) = self.index(uid, container) else {
            return;
        };
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if w.terminating {
            return;
        }
        let ip = w.ip.clone();
        let grace = w
            .pod
            .at("/spec/terminationGracePeriodSeconds")
            .and_then(Value::as_u64)
            .unwrap_or(30);
        let c = &mut w.containers[i];
        let State::Running { since } = c.state else {
            return;
        };
        if c.generation != generation || c.killing {
            return;
        }
        let Some(spec) = c.spec.get(kind.field()).cloned() else {
            return;
        };
        let result = behaviour::probe(&spec, &c.behaviour, ctx.now - since, &ip);
        let threshold_fail = probe_number(&c.spec, kind, "failureThreshold", 3);
        let threshold_ok = probe_number(&c.spec, kind, "successThreshold", 1);
        let period = probe_number(&c.spec, kind, "periodSeconds", 10) * 1000;
        let key = kind.field();
        let mut status_changed = false;
        let mut kill = false;
        let mut events: Vec<(&str, &str, String)> = Vec::new();
        if result.success {
            c.failures.insert(key, 0);
            let n = c.successes.entry(key).or_insert(0);
            *n += 1;
            match kind {
                ProbeKind::Readiness if *n as u64 >= threshold_ok && !c.ready => {
                    c.ready = true;
                    status_changed = true;
                }
                ProbeKind::Startup if !c.startup_passed => {
                    c.startup_passed = true;
                    c.started = true;
                    status_changed = true;
                    for k in [ProbeKind::Liveness, ProbeKind::Readiness] {
                        if c.spec.get(k.field()).is_some() {
                            ctx.timer(
                                1,
                                Timer::Kubelet(KubeletTimer::Probe {
                                    uid: uid.to_string(),
                                    container: container.to_string(),
                                    kind: k,
                                    generation,
                                }),
                            );
                        }
                    }
                }
                _ => {}
            }
        } else {
            c.successes.insert(key, 0);
            let n = c.failures.entry(key).or_insert(0);
            *n += 1;
            events.push((
                "Warning",
                "Unhealthy",
                format!("{} probe failed: {}", kind.title(), result.message),
            ));
            if *n as u64 >= threshold_fail {
                match kind {
                    ProbeKind::Readiness => {
                        if c.ready {
                            c.ready = false;
                            status_changed = true;
                        }
                    }
                    ProbeKind::Liveness | ProbeKind::Startup => {
                        kill = true;
                        events.push((
                            "Normal",
                            "Killing",
                            format!(
                                "Container {container} failed {} probe, will be restarted",
                                if kind == ProbeKind::Liveness {
                                    "liveness"
                                } else {
                                    "startup"
                                }
                            ),
                        ));
                    }
                }
            }
        }
        ctx.stage(
            format!("{} probe", kind.title().to_lowercase()),
            format!(
                "{container}: {}{}",
                if result.success { "success" } else { "failure" },
                if result.message.is_empty() { String::new() } else { format!(" ({})", result.message) }
            ),
            note(
                match (kind, result.success) {
                    (ProbeKind::Liveness, true) => format!("The liveness probe of {container} succeeds: the kubelet leaves it running."),
                    (ProbeKind::Liveness, false) => format!(
                        "The liveness probe of {container} fails ({}). After {threshold_fail} failures in a row the kubelet kills \
                         the container and restarts it.",
                        result.message
                    ),
                    (ProbeKind::Readiness, true) => format!("The readiness probe of {container} succeeds: the container counts as ready, so Services may send it traffic."),
                    (ProbeKind::Readiness, false) => format!(
                        "The readiness probe of {container} fails ({}): the pod is not Ready and Services stop sending it traffic, but it is not restarted.",
                        result.message
                    ),
                    (ProbeKind::Startup, true) => format!("The startup probe of {container} succeeds: liveness and readiness probes start now."),
                    (ProbeKind::Startup, false) => format!("The startup probe of {container} fails ({}).", result.message),
                },
                docs::PROBES,
            ),
        );
        let behaviour_steady = c.behaviour.healthy_at(ctx.now - since + period) == result.success;
        let next = KubeletTimer::Probe {
            uid: uid.to_string(),
            container: container.to_string(),
            kind,
            generation,
        };
        if kill {
            c.killing = true;
            let (stop_ms, exit_code) = c.behaviour.stop(grace * 1000);
            let msg = Cri::StopContainer {
                pod: w.reference.clone(),
                container: container.to_string(),
                container_id: c.container_id.clone(),
                timeout_s: grace,
                stop_ms,
                exit_code,
            };
            ctx.send(Component::Runtime(self.node.clone()), 5, Msg::Cri(msg));
        } else if !(kind == ProbeKind::Startup && c.startup_passed) {
            // A probe that keeps giving the same answer is background work: it does not
            // keep the simulation running on its own.
            if result.success && behaviour_steady && c.behaviour.exit_after_ms.is_none() {
                ctx.background_timer(period.max(1), Timer::Kubelet(next));
            } else {
                ctx.timer(period.max(1), Timer::Kubelet(next));
            }
        }
        for (type_, reason, message) in events {
            self.event(ctx, uid, type_, reason, &message, Some(container));
        }
        if status_changed {
            self.push_status(ctx, uid);
        }
    }

    // ------------------------------------------------------------------ termination

    fn terminate(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let grace = w
            .pod
            .at("/metadata/deletionGracePeriodSeconds")
            .and_then(Value::as_u64)
            .unwrap_or(30);
        let mut stops = Vec::new();
        for c in w.containers.iter_mut() {
            c.generation += 1;
            if let State::Running { .. } = c.state {
                let (stop_ms, exit_code) = c.behaviour.stop(grace * 1000);
                let has_pre_stop = crate::sim::object::at(&c.spec, "/lifecycle/preStop").is_some();
                stops.push((
                    c.name.clone(),
                    c.container_id.clone(),
                    stop_ms,
                    exit_code,
                    has_pre_stop,
                    c.behaviour.ignores_sigterm,
                ));
            }
        }
        w.stopping = stops.len();
        let reference = w.reference.clone();
        ctx.stage(
            "termination",
            format!("grace period {grace}s, {} running container(s)", stops.len()),
            note(
                format!(
                    "The pod has a deletionTimestamp. The kubelet runs each container's preStop hook, sends SIGTERM, waits up \
                     to the {grace} s grace period, then sends SIGKILL; only then does it remove the pod for good."
                ),
                docs::TERMINATION,
            ),
        );
        if stops.is_empty() {
            self.stop_sandbox(ctx, uid);
            return;
        }
        for (name, container_id, stop_ms, exit_code, pre_stop, ignores) in stops {
            self.event(
                ctx,
                uid,
                "Normal",
                "Killing",
                &format!("Stopping container {name}"),
                Some(&name),
            );
            if pre_stop {
                ctx.stage(
                    "preStop hook",
                    format!("{name}: preStop runs before SIGTERM"),
                    note(format!("The preStop hook of {name} runs first; SIGTERM follows when it returns."), docs::TERMINATION),
                );
            }
            if ignores {
                ctx.stage(
                    "SIGTERM ignored",
                    format!("{name}: PID 1 ignores SIGTERM, SIGKILL after {grace}s"),
                    note(
                        format!(
                            "{name}'s main process is PID 1 and installs no SIGTERM handler, so the signal does nothing: \
                             the runtime waits the whole grace period and then sends SIGKILL (exit code 137)."
                        ),
                        docs::TERMINATION,
                    ),
                );
            }
            let msg = Cri::StopContainer {
                pod: reference.clone(),
                container: name,
                container_id,
                timeout_s: grace,
                stop_ms,
                exit_code,
            };
            ctx.send(Component::Runtime(self.node.clone()), 5, Msg::Cri(msg));
        }
    }

    fn stop_sandbox(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if w.sandbox_id.is_empty() {
            if w.terminating {
                self.push_status(ctx, uid);
                self.final_delete(ctx, uid);
            }
            return;
        }
        w.sandbox_stopping = true;
        let msg = Cri::StopPodSandbox {
            pod: w.reference.clone(),
            sandbox_id: std::mem::take(&mut w.sandbox_id),
        };
        ctx.send(Component::Runtime(self.node.clone()), 5, Msg::Cri(msg));
    }

    fn final_delete(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get(uid) else {
            return;
        };
        let Some(pods) = resource_named("", "pods") else {
            return;
        };
        let id = ctx.id();
        ctx.send(
            Component::ApiServer,
            1,
            Msg::Request(
                Request::new(
                    id,
                    Verb::Delete,
                    pods,
                    w.reference.namespace.clone(),
                    w.reference.name.clone(),
                    self.identity.clone(),
                )
                .body(
                    json!({"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0,
                                  "preconditions": {"uid": uid}}),
                ),
            ),
        );
    }

    // ------------------------------------------------------------------ status

    fn push_status(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let host_ip = self.host_ip.clone();
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let status = generate_status(w, &host_ip, ctx.now);
        let text = status.to_string();
        if w.last_status.as_deref() == Some(text.as_str()) {
            return;
        }
        w.last_status = Some(text);
        let Some(pods) = resource_named("", "pods") else {
            return;
        };
        let id = ctx.id();
        ctx.send(
            Component::ApiServer,
            1,
            Msg::Request(
                Request::new(
                    id,
                    Verb::Patch,
                    pods,
                    w.reference.namespace.clone(),
                    w.reference.name.clone(),
                    self.identity.clone(),
                )
                .subresource("status")
                .body(object::wrap("status", status)),
            ),
        );
    }
}

/// What an Event's `involvedObject` reads of a pod (apiVersion, kind, name, namespace,
/// uid, resourceVersion): recording an event then costs O(1), not a copy of the whole pod,
/// which made a pod of a few hundred containers quadratic.
fn involved_object(pod: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for field in ["apiVersion", "kind"] {
        if let Some(v) = pod.get(field) {
            out.insert(field.to_string(), v.clone());
        }
    }
    let mut metadata = serde_json::Map::new();
    if let Some(m) = pod.get("metadata").and_then(Value::as_object) {
        for field in ["name", "namespace", "uid", "resourceVersion"] {
            if let Some(v) = m.get(field) {
                metadata.insert(field.to_string(), v.clone());
            }
        }
    }
    out.insert("metadata".to_string(), Value::Object(metadata));
    Value::Object(out)
}

fn has_init(pod: &Value) -> bool {
    crate::sim::object::at(pod, "/spec/initContainers")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

fn relist_delay(now: u64) -> u64 {
    RELIST_MS - now % RELIST_MS
}

fn probe_number(spec: &Value, kind: ProbeKind, field: &str, default: u64) -> u64 {
    spec.get(kind.field())
        .and_then(|p| p.get(field))
        .and_then(Value::as_u64)
        .unwrap_or(default)
}

/// Sum of container requests for `resource` (init containers: the max of each), as the
/// scheduler and node admission compute it.
fn pod_request(pod: &Value, resource: &str) -> Quantity {
    let get = |c: &Value| {
        crate::sim::object::at(c, &format!("/resources/requests/{resource}"))
            .and_then(|q| Quantity::from_json(q).ok())
            .unwrap_or(Quantity::ZERO)
    };
    let sum = pod
        .at("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(get)
        .fold(Quantity::ZERO, Quantity::saturating_add);
    let init = pod
        .at("/spec/initContainers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(get)
        .max()
        .unwrap_or(Quantity::ZERO);
    sum.max(init)
}

/// A ConfigMap, Secret or key the container's environment needs but that is missing:
/// kubelet's makeEnvironmentVariables errors (reference B.6.8).
fn missing_config(ctx: &Ctx<'_>, ns: &str, container: &Value) -> Option<String> {
    for from in container
        .get("envFrom")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for (field, resource, what) in [
            ("configMapRef", "configmaps", "configmap"),
            ("secretRef", "secrets", "secret"),
        ] {
            if let Some(r) = from.get(field) {
                let name = object::str_at(r, "/name");
                let optional = r.get("optional").and_then(Value::as_bool).unwrap_or(false);
                if !optional
                    && ctx
                        .view
                        .get(&format!("/registry/{resource}/{ns}/{name}"))
                        .is_none()
                {
                    return Some(format!("{what} \"{name}\" not found"));
                }
            }
        }
    }
    for env in container
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for (field, resource, what, kind) in [
            ("configMapKeyRef", "configmaps", "configmap", "ConfigMap"),
            ("secretKeyRef", "secrets", "secret", "Secret"),
        ] {
            let Some(r) = crate::sim::object::at(env, &format!("/valueFrom/{field}")) else {
                continue;
            };
            let name = object::str_at(r, "/name");
            let key = object::str_at(r, "/key");
            let optional = r.get("optional").and_then(Value::as_bool).unwrap_or(false);
            if optional {
                continue;
            }
            match ctx.view.get(&format!("/registry/{resource}/{ns}/{name}")) {
                None => return Some(format!("{what} \"{name}\" not found")),
                Some(kv) => {
                    let has = crate::sim::object::at(&kv.value, &format!("/data/{key}")).is_some()
                        || crate::sim::object::at(&kv.value, &format!("/stringData/{key}"))
                            .is_some()
                        || crate::sim::object::at(&kv.value, &format!("/binaryData/{key}"))
                            .is_some();
                    if !has {
                        return Some(format!("couldn't find key {key} in {kind} {ns}/{name}"));
                    }
                }
            }
        }
    }
    None
}

/// The environment the container sees, for what it prints (`printenv HOSTNAME`).
fn container_env(pod: &Value, container: &Value) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert("HOSTNAME".to_string(), object::name(pod).to_string());
    env.insert(
        "PATH".to_string(),
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
    );
    // Service links for the `kubernetes` Service (enableServiceLinks defaults to true).
    env.insert("KUBERNETES_SERVICE_HOST".into(), "10.96.0.1".into());
    env.insert("KUBERNETES_SERVICE_PORT".into(), "443".into());
    env.insert("KUBERNETES_SERVICE_PORT_HTTPS".into(), "443".into());
    env.insert("KUBERNETES_PORT".into(), "tcp://10.96.0.1:443".into());
    env.insert(
        "KUBERNETES_PORT_443_TCP".into(),
        "tcp://10.96.0.1:443".into(),
    );
    env.insert("KUBERNETES_PORT_443_TCP_ADDR".into(), "10.96.0.1".into());
    env.insert("KUBERNETES_PORT_443_TCP_PORT".into(), "443".into());
    env.insert("KUBERNETES_PORT_443_TCP_PROTO".into(), "tcp".into());
    for e in container
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(v) = e.get("value").and_then(Value::as_str) {
            env.insert(object::str_at(e, "/name").to_string(), v.to_string());
        }
    }
    env
}

/// The pod phase as the kubelet's getPhase computes it.
fn pod_phase(w: &Worker) -> &'static str {
    if w.rejected.is_some() {
        return "Failed";
    }
    let policy = object::str_at(&w.pod, "/spec/restartPolicy");
    let init_failed = w.containers.iter().any(|c| {
        c.init && policy == "Never" && matches!(&c.state, State::Terminated(t) if t.exit_code != 0)
    });
    if init_failed {
        return "Failed";
    }
    let init_pending = w
        .containers
        .iter()
        .any(|c| c.init && !matches!(&c.state, State::Terminated(t) if t.exit_code == 0));
    if init_pending {
        return "Pending";
    }
    let app: Vec<&Container> = w.containers.iter().filter(|c| !c.init).collect();
    let (mut waiting, mut running, mut succeeded, mut failed, mut stopped) = (0, 0, 0, 0, 0);
    for c in &app {
        match &c.state {
            State::Running { .. } => running += 1,
            State::Terminated(t) => {
                stopped += 1;
                if t.exit_code == 0 {
                    succeeded += 1
                } else {
                    failed += 1
                }
            }
            State::Waiting { .. } => {
                if c.last.is_some() {
                    stopped += 1;
                } else {
                    waiting += 1;
                }
            }
        }
    }
    if waiting > 0 {
        return "Pending";
    }
    if running > 0 {
        return "Running";
    }
    if stopped == app.len() && !app.is_empty() {
        // As upstream's getPhase (kubelet_pods.go): a container waiting to restart after
        // a failure counts as stopped but not succeeded, so an OnFailure pod between
        // restarts stays Running rather than flickering to Succeeded.
        let _ = failed;
        return match policy {
            "Always" | "" => "Running",
            _ if stopped == succeeded => "Succeeded",
            "Never" => "Failed",
            _ => "Running",
        };
    }
    "Pending"
}

fn terminated_json(t: &Terminated, container_id: &str) -> Value {
    json!({"exitCode": t.exit_code, "reason": t.reason, "startedAt": clock::rfc3339(t.started),
           "finishedAt": clock::rfc3339(t.finished), "containerID": format!("containerd://{container_id}")})
}

fn container_status(c: &Container) -> Value {
    let state = match &c.state {
        State::Waiting { reason, message } => {
            let mut w = json!({"reason": reason});
            if !message.is_empty() {
                w["message"] = json!(message);
            }
            json!({"waiting": w})
        }
        State::Running { since } => json!({"running": {"startedAt": clock::rfc3339(*since)}}),
        State::Terminated(t) => json!({"terminated": terminated_json(t, &c.container_id)}),
    };
    let last = match &c.last {
        Some(t) => json!({"terminated": terminated_json(t, &c.container_id)}),
        None => json!({}),
    };
    let running = matches!(c.state, State::Running { .. });
    let mut status = json!({
        "name": c.name,
        "image": object::str_at(&c.spec, "/image"),
        "imageID": c.image_id,
        "ready": c.ready || (running && c.spec.get("readinessProbe").is_none() && c.startup_passed && !c.init),
        "restartCount": c.restarts,
        "started": running && c.startup_passed,
        "state": state,
        "lastState": last,
    });
    if !c.container_id.is_empty() {
        status["containerID"] = json!(format!("containerd://{}", c.container_id));
    }
    status
}

/// The pod status the kubelet's status manager writes (generateAPIPodStatus).
fn generate_status(w: &mut Worker, host_ip: &str, now: u64) -> Value {
    let phase = if w.terminating && w.stopping == 0 && !w.sandbox_stopping {
        // Once every container is stopped the pod is done: Succeeded if all exited 0.
        let all_ok = w
            .containers
            .iter()
            .filter(|c| !c.init)
            .all(|c| matches!(&c.state, State::Terminated(t) if t.exit_code == 0));
        if all_ok {
            "Succeeded"
        } else {
            "Failed"
        }
    } else {
        pod_phase(w)
    };
    let mut status = json!({
        "phase": phase,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "startTime": clock::rfc3339(w.start_time),
        "qosClass": super::api::admission::qos_class(&w.pod),
    });
    if let Some((reason, message)) = &w.rejected {
        status["reason"] = json!(reason);
        status["message"] = json!(message);
        return status;
    }
    if !w.ip.is_empty() {
        status["podIP"] = json!(w.ip);
        status["podIPs"] = json!([{"ip": w.ip}]);
    }
    let statuses: Vec<Value> = w
        .containers
        .iter()
        .filter(|c| !c.init)
        .map(container_status)
        .collect();
    status["containerStatuses"] = json!(statuses);
    let inits: Vec<Value> = w
        .containers
        .iter()
        .filter(|c| c.init)
        .map(container_status)
        .collect();
    if !inits.is_empty() {
        status["initContainerStatuses"] = json!(inits);
    }
    let completed = matches!(phase, "Succeeded" | "Failed");
    let app_ready = |c: &Container| {
        c.ready
            || (matches!(c.state, State::Running { .. })
                && c.spec.get("readinessProbe").is_none()
                && c.startup_passed)
    };
    let unready: Vec<String> = w
        .containers
        .iter()
        .filter(|c| !c.init && !app_ready(c))
        .map(|c| c.name.clone())
        .collect();
    let uninitialized: Vec<String> = w
        .containers
        .iter()
        .filter(|c| c.init && !matches!(&c.state, State::Terminated(t) if t.exit_code == 0))
        .map(|c| c.name.clone())
        .collect();
    let sandbox = (!w.sandbox_id.is_empty() || w.stage == Stage::Ready) && !completed;
    let mut conditions: Vec<(&'static str, bool, &str, String)> = Vec::new();
    conditions.push(("PodReadyToStartContainers", sandbox, "", String::new()));
    conditions.push(if uninitialized.is_empty() {
        ("Initialized", true, "", String::new())
    } else {
        (
            "Initialized",
            false,
            "ContainersNotInitialized",
            format!(
                "containers with incomplete status: [{}]",
                uninitialized.join(" ")
            ),
        )
    });
    let ready = unready.is_empty() && !completed;
    let (reason, message) = if completed {
        ("PodCompleted", String::new())
    } else if ready {
        ("", String::new())
    } else {
        (
            "ContainersNotReady",
            format!("containers with unready status: [{}]", unready.join(" ")),
        )
    };
    conditions.push(("Ready", ready, reason, message.clone()));
    conditions.push(("ContainersReady", ready, reason, message));
    let mut holder = json!({"status": {"conditions": []}});
    for (kind, ok, reason, message) in conditions {
        let status_text = if ok { "True" } else { "False" };
        let since = match w.transitions.get(kind) {
            Some((s, t)) if s == status_text => *t,
            _ => {
                w.transitions.insert(kind, (status_text.to_string(), now));
                now
            }
        };
        let mut c = json!({"type": kind, "status": status_text, "lastProbeTime": null,
                           "lastTransitionTime": clock::rfc3339(since)});
        if !reason.is_empty() {
            c["reason"] = json!(reason);
        }
        if !message.is_empty() {
            c["message"] = json!(message);
        }
        set_condition(&mut holder, c);
    }
    if let Some(scheduled) = w
        .pod
        .at("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "PodScheduled"))
    {
        set_condition(&mut holder, scheduled.clone());
    }
    status["conditions"] = holder["status"]["conditions"].take();
    status
}

/// Timers are narrated by the handler (it knows the outcome); lease renewals and
/// back-off expiries are steps of their own.
pub fn describe_timer(to: &Component, timer: &Timer) -> Option<Described> {
    match timer {
        Timer::LeaseRenew => Some(Described {
            category: Category::Timer,
            label: "renew Lease".into(),
            summary: format!("kube-node-lease/{}", to.node().unwrap_or_default()),
            payload: None,
            narration: note(
                "Every 10 seconds each kubelet renews its node's Lease: the heartbeat the node lifecycle controller watches."
                    .into(),
                docs::LEASES,
            ),
        }),
        Timer::Kubelet(KubeletTimer::Relist { .. }) => Some(Described {
            category: Category::Timer,
            label: "PLEG relist".into(),
            summary: "the kubelet lists containers and notices what changed".into(),
            payload: None,
            narration: note(
                "Once a second the kubelet's pod lifecycle event generator (PLEG) lists the runtime's containers; a change \
                 (started, exited) makes the status manager write the pod's new status."
                    .into(),
                docs::KUBELET,
            ),
        }),
        Timer::Kubelet(KubeletTimer::Sync { .. }) => Some(Described {
            category: Category::Timer,
            label: "syncPod".into(),
            summary: "a retry or back-off is due".into(),
            payload: None,
            narration: note(
                "The pod worker syncs the pod again: a back-off has expired or a failed step is retried.".into(),
                docs::POD_LIFECYCLE,
            ),
        }),
        Timer::Kubelet(_) => None,
        Timer::Scheduler(_) => Some(Described {
            category: Category::Timer,
            label: "retry unschedulable pod".into(),
            summary: "podMaxInUnschedulablePodsDuration (5m) elapsed".into(),
            payload: None,
            narration: note(
                "A pod that did not fit waits in the unschedulable queue until the cluster changes, or at most 5 minutes; \
                 then kube-scheduler tries again."
                    .into(),
                docs::SCHEDULER,
            ),
        }),
    }
}
