//! The world: one queue of messages, one logical clock, one match on the target.
//!
//! Components are handlers `(own state, message, now) -> outgoing messages`; they never
//! touch each other. The engine pops the earliest envelope (ties broken by send order),
//! lets its target handle it, records the delivery as a [`Step`] with etcd's revision and
//! the writes it made (and every so often a checkpoint of the keyspace, see
//! [`super::trace`]), and queues what the handler sent.
//!
//! Invariants:
//! - Only kube-apiserver sends to etcd and only etcd answers it (checked on delivery).
//! - Time never goes backwards; a handler's messages are delivered at `now + delay`.
//! - The run ends when only background work is left (lease renewals, steady probes), at
//!   the horizon, or at the step limit of its [`limits::Limits`] ([`limits::MAX_STEPS`]
//!   in the app), and the trace says which.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::apiserver::ApiServer;
use super::cluster::Cluster;
use super::etcd::{self, Snapshot};
use super::kube_scheduler::SchedulerComponent;
use super::kubectl::client::Kubectl;
use super::kubelet::Kubelet;
use super::limits;
use super::rand::Rng;
use super::runtime::Runtime;
use super::trace::{Category, Checkpoint, Component, Narration, Step, Trace, Write};

/// An HTTP verb as kube-apiserver's request info names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    List,
    Create,
    Update,
    Patch,
    Delete,
}

impl Verb {
    pub fn method(self) -> &'static str {
        match self {
            Verb::Get | Verb::List => "GET",
            Verb::Create => "POST",
            Verb::Update => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }

    /// The RBAC verb.
    pub fn rbac(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
        }
    }
}

/// A REST resource: where its URL lives and how RBAC and etcd name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resource {
    /// API group ("" for core).
    pub group: &'static str,
    pub version: &'static str,
    /// Plural resource name (`pods`).
    pub plural: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
}

impl Resource {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `deployments.apps`, as Forbidden and NotFound messages name it.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// The kinds podflow's apiserver serves: (apiVersion, kind) → resource.
pub const RESOURCES: &[Resource] = &[
    res("", "v1", "pods", "Pod", true),
    res("", "v1", "namespaces", "Namespace", false),
    res("", "v1", "nodes", "Node", false),
    res("", "v1", "configmaps", "ConfigMap", true),
    res("", "v1", "secrets", "Secret", true),
    res("", "v1", "serviceaccounts", "ServiceAccount", true),
    res("", "v1", "services", "Service", true),
    res("", "v1", "events", "Event", true),
    res(
        "",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        true,
    ),
    res("", "v1", "resourcequotas", "ResourceQuota", true),
    res("", "v1", "limitranges", "LimitRange", true),
    res("apps", "v1", "deployments", "Deployment", true),
    res("apps", "v1", "replicasets", "ReplicaSet", true),
    res("apps", "v1", "daemonsets", "DaemonSet", true),
    res("batch", "v1", "jobs", "Job", true),
    res("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
    res(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "RoleBinding",
        true,
    ),
    res(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "ClusterRole",
        false,
    ),
    res(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
    ),
    res("coordination.k8s.io", "v1", "leases", "Lease", true),
    res(
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "EndpointSlice",
        true,
    ),
    res("events.k8s.io", "v1", "events", "Event", true),
    res(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        false,
    ),
    res(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        false,
    ),
];

const fn res(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> Resource {
    Resource {
        group,
        version,
        plural,
        kind,
        namespaced,
    }
}

/// The resource for an object's apiVersion and kind.
pub fn resource_for(api_version: &str, kind: &str) -> Option<Resource> {
    RESOURCES
        .iter()
        .find(|r| r.api_version() == api_version && r.kind == kind)
        .copied()
}

/// The resource for a plural name in the core group or a named group.
pub fn resource_named(group: &str, plural: &str) -> Option<Resource> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.plural == plural)
        .copied()
}

/// An authenticated identity as a client presents it (x509 CN/O or a token).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    pub user: String,
    pub groups: Vec<String>,
    /// `kubectl --as`: the user whose credentials authenticated and who impersonates.
    pub impersonator: Option<String>,
}

/// An HTTP request to kube-apiserver.
#[derive(Clone, Debug)]
pub struct Request {
    pub id: u64,
    pub verb: Verb,
    pub resource: Resource,
    pub namespace: String,
    pub name: String,
    pub subresource: Option<&'static str>,
    /// Query parameters in the order the client writes them.
    pub query: Vec<(&'static str, String)>,
    /// Shared with the trace step that shows it (rendered only when looked at).
    pub body: Option<Arc<Value>>,
    pub identity: Identity,
    /// Whether to narrate every apiserver stage (the learner's own requests) or to
    /// summarise them in one line (the cluster's components).
    pub detailed: bool,
}

impl Request {
    /// A request with no subresource, query or body, narrated in one step (a component's
    /// request); the builder methods below add the rest.
    pub fn new(
        id: u64,
        verb: Verb,
        resource: Resource,
        namespace: impl Into<String>,
        name: impl Into<String>,
        identity: Identity,
    ) -> Request {
        Request {
            id,
            verb,
            resource,
            namespace: namespace.into(),
            name: name.into(),
            subresource: None,
            query: Vec::new(),
            body: None,
            identity,
            detailed: false,
        }
    }

    pub fn subresource(self, subresource: &'static str) -> Request {
        self.subresource_opt(Some(subresource))
    }

    pub fn subresource_opt(mut self, subresource: Option<&'static str>) -> Request {
        self.subresource = subresource;
        self
    }

    pub fn query(mut self, query: Vec<(&'static str, String)>) -> Request {
        self.query = query;
        self
    }

    pub fn body(self, body: Value) -> Request {
        self.body_opt(Some(body))
    }

    pub fn body_opt(mut self, body: Option<Value>) -> Request {
        self.body = body.map(Arc::new);
        self
    }

    /// Narrate every apiserver stage of this request (the learner's own requests).
    pub fn detailed(mut self) -> Request {
        self.detailed = true;
        self
    }

    /// The request path, e.g. `/api/v1/namespaces/default/pods`.
    pub fn path(&self) -> String {
        let mut path = if self.resource.group.is_empty() {
            format!("/api/{}", self.resource.version)
        } else {
            format!("/apis/{}/{}", self.resource.group, self.resource.version)
        };
        if self.resource.namespaced && !self.namespace.is_empty() {
            path.push_str("/namespaces/");
            path.push_str(&self.namespace);
        }
        path.push('/');
        path.push_str(self.resource.plural);
        // A create names the collection; the object's name is in the body.
        if !self.name.is_empty() && (self.verb != Verb::Create || self.subresource.is_some()) {
            path.push('/');
            path.push_str(&self.name);
        }
        if let Some(sub) = self.subresource {
            path.push('/');
            path.push_str(sub);
        }
        path
    }

    /// `POST /api/v1/namespaces/default/pods?fieldManager=kubectl-create&fieldValidation=Strict`.
    pub fn line(&self) -> String {
        let mut line = format!("{} {}", self.verb.method(), self.path());
        for (i, (k, v)) in self.query.iter().enumerate() {
            line.push(if i == 0 { '?' } else { '&' });
            line.push_str(k);
            line.push('=');
            line.push_str(v);
        }
        line
    }

    pub fn etcd_key(&self) -> String {
        let ns = if self.resource.namespaced {
            self.namespace.as_str()
        } else {
            ""
        };
        etcd::key_for(self.resource.plural, ns, &self.name)
    }
}

/// kube-apiserver's answer.
#[derive(Clone, Debug)]
pub struct Response {
    pub id: u64,
    pub code: u16,
    /// The stored object on success, a `Status` object on failure; shared with the
    /// trace step that shows it.
    pub body: Arc<Value>,
}

impl Response {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// `201 Created`.
    pub fn status_line(&self) -> String {
        format!("{} {}", self.code, status_text(self.code))
    }
}

pub fn status_text(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        500 => "Internal Server Error",
        _ => "",
    }
}

/// A transaction kube-apiserver sends to etcd.
#[derive(Clone, Debug)]
pub enum TxnOp {
    /// `Txn(If(mod_revision(key) == 0), Then(Put))`.
    Create {
        key: String,
        value: Arc<Value>,
    },
    /// `Txn(If(mod_revision(key) == expected), Then(Put))`.
    Update {
        key: String,
        value: Arc<Value>,
        expected: Option<u64>,
    },
    Delete {
        key: String,
    },
    /// `Range(key)` (a quorum read).
    Get {
        key: String,
    },
    /// `Range(prefix, prefix_end)`.
    List {
        prefix: String,
    },
}

#[derive(Clone, Debug)]
pub struct Txn {
    pub id: u64,
    pub op: TxnOp,
}

#[derive(Clone, Debug)]
pub struct TxnResult {
    pub id: u64,
    pub result: Result<TxnOk, etcd::TxnError>,
}

#[derive(Clone, Debug)]
pub struct TxnOk {
    pub revision: u64,
    /// The key-values read or written.
    pub kvs: Vec<(String, etcd::KeyValue)>,
    pub previous: Option<etcd::KeyValue>,
}

/// A watch event delivered by kube-apiserver to a component's informer.
#[derive(Clone, Debug)]
pub struct WatchEvent {
    pub kind: etcd::EventType,
    pub resource: Resource,
    /// The object with `metadata.resourceVersion` set.
    pub object: Arc<Value>,
}

/// Everything that travels between components.
// Messages are moved through the queue once each; boxing the large variants would buy
// little and cost an allocation per message.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Msg {
    Request(Request),
    Response(Response),
    Txn(Txn),
    TxnResult(TxnResult),
    Watch(WatchEvent),
    /// A CRI call from a kubelet to its container runtime, or the runtime's reply.
    Cri(super::runtime::Cri),
    /// A CNI invocation from the runtime, or the plugin's result.
    Cni(super::runtime::Cni),
    /// Something a component asked to be reminded of.
    Timer(Timer),
    /// A kubectl command from the scenario script.
    Command(super::kubectl::client::Command),
    /// An AdmissionReview from kube-apiserver to a webhook, or the webhook's answer.
    Admission(super::webhook::Call),
    /// A component's own deferred work (kube-proxy's rate-limited sync, a controller's
    /// requeue after a back-off). Kept apart from [`Timer`] so the kubelet's timers stay
    /// its own.
    Tick(Tick),
    /// A client closes a watch (`kubectl rollout status` once the rollout is done).
    CloseWatch {
        resource: &'static str,
    },
    /// A DNS query from a pod's resolver to CoreDNS, or CoreDNS's reply.
    Dns(super::controllers::coredns::Dns),
    /// `kubectl exec`: the kubelet's CRI `Exec` call to the runtime, or its result.
    Exec(super::controllers::coredns::Exec),
}

/// Deferred work of the components that are not kubelets.
#[derive(Clone, Debug)]
pub enum Tick {
    /// kube-proxy's `syncProxyRules`, run at most once per `minSyncPeriod` (1 s).
    ProxySync,
    /// A controller syncs one object again (kind, namespace, name), e.g. a Job whose
    /// back-off for a failed pod has expired.
    Controller {
        kind: &'static str,
        namespace: String,
        name: String,
    },
}

#[derive(Clone, Debug)]
pub enum Timer {
    /// kubelet renews its node Lease (every 10 s: `nodeLeaseRenewIntervalFraction` 0.25 of
    /// the 40 s lease duration).
    LeaseRenew,
    Kubelet(super::kubelet::KubeletTimer),
    Scheduler(super::kube_scheduler::SchedulerTimer),
}

#[derive(Clone, Debug)]
pub struct Envelope {
    pub from: Component,
    pub to: Component,
    pub msg: Msg,
    /// Background work (lease renewals, steady probes) does not keep a run alive.
    pub background: bool,
}

/// What a handler sees and produces: the clock, the rng, its outbox, and the stage
/// steps it records (a component's internal stages, narrated one by one).
pub struct Ctx<'a> {
    pub now: u64,
    pub rng: &'a mut Rng,
    pub me: Component,
    out: Vec<(u64, Envelope)>,
    stages: Vec<StageNote>,
    next_id: &'a mut u64,
    /// The cluster's state as informers see it (converged with etcd).
    pub view: &'a Snapshot,
    pub cluster: &'a Cluster,
    /// Every key written so far, in revision order (see [`Ctx::written_since`]).
    log: &'a WriteLog,
    pods_by_node: &'a PodsByNode,
    /// Set by [`Ctx::halt`]: a bound of podflow's own was reached; the run stops here.
    halt: Option<String>,
}

/// The pods bound to each node (`spec.nodeName`), by etcd key, kept by the engine as
/// etcd writes them: a kubelet reads its node's pods in O(its pods), not O(all pods)
/// (its informer watches only its node's pods, `fieldSelector=spec.nodeName=<node>`).
#[derive(Clone, Debug, Default)]
pub struct PodsByNode {
    by_node: BTreeMap<String, std::collections::BTreeSet<Arc<str>>>,
    node_of: BTreeMap<Arc<str>, String>,
}

impl PodsByNode {
    /// Re-reads one pod key from `store` after a write.
    fn update(&mut self, key: &str, store: &Snapshot) {
        if let Some(old) = self.node_of.remove(key) {
            if let Some(keys) = self.by_node.get_mut(&old) {
                keys.remove(key);
            }
        }
        let node = store
            .get(key)
            .map(|kv| super::object::str_at(&kv.value, "/spec/nodeName"))
            .unwrap_or("");
        if !node.is_empty() {
            let key: Arc<str> = Arc::from(key);
            self.by_node
                .entry(node.to_string())
                .or_default()
                .insert(key.clone());
            self.node_of.insert(key, node.to_string());
        }
    }
}

/// The keys etcd has written, one per revision since the cluster was installed: lets a
/// component with a cache (kube-scheduler) catch up on what changed since it last looked
/// in O(changes), as an informer's watch would, instead of re-reading the keyspace.
#[derive(Clone, Debug, Default)]
pub struct WriteLog {
    /// The revision before the first entry (the installed cluster's).
    base: u64,
    keys: Vec<Arc<str>>,
}

impl WriteLog {
    /// Keys written after `revision` (oldest first; a key may appear more than once).
    pub fn since(&self, revision: u64) -> &[Arc<str>] {
        let from = revision.saturating_sub(self.base) as usize;
        self.keys.get(from..).unwrap_or(&[])
    }
}

pub struct StageNote {
    pub label: String,
    pub summary: String,
    pub payload: Option<super::trace::Payload>,
    pub narration: Narration,
    pub to: Option<Component>,
    pub detail: Option<std::sync::Arc<super::trace::Detail>>,
}

impl Ctx<'_> {
    /// Stops the run after this step because a bound of podflow's own was reached;
    /// `why` names it and becomes the trace's `truncated` message.
    pub fn halt(&mut self, why: String) {
        self.halt.get_or_insert(why);
    }

    pub fn send(&mut self, to: Component, delay_ms: u64, msg: Msg) {
        self.push(to, delay_ms, msg, false);
    }

    pub fn send_background(&mut self, to: Component, delay_ms: u64, msg: Msg) {
        self.push(to, delay_ms, msg, true);
    }

    fn push(&mut self, to: Component, delay_ms: u64, msg: Msg, background: bool) {
        let from = self.me.clone();
        self.out.push((
            self.now + delay_ms,
            Envelope {
                from,
                to,
                msg,
                background,
            },
        ));
    }

    pub fn timer(&mut self, delay_ms: u64, timer: Timer) {
        let me = self.me.clone();
        self.send(me, delay_ms, Msg::Timer(timer));
    }

    pub fn background_timer(&mut self, delay_ms: u64, timer: Timer) {
        let me = self.me.clone();
        self.send_background(me, delay_ms, Msg::Timer(timer));
    }

    /// The pods bound to `node` as the view has them, in key order.
    pub fn pods_on_node(&self, node: &str) -> impl Iterator<Item = &etcd::KeyValue> + '_ {
        self.pods_by_node
            .by_node
            .get(node)
            .into_iter()
            .flatten()
            .filter_map(|k| self.view.get(k))
    }

    /// Keys written after `revision` and up to the view's revision.
    pub fn written_since(&self, revision: u64) -> &[Arc<str>] {
        self.log.since(revision)
    }

    /// A fresh request/transaction id.
    pub fn id(&mut self) -> u64 {
        *self.next_id += 1;
        *self.next_id
    }

    /// Records an internal stage of this component as its own step, right after the
    /// delivery being handled.
    pub fn stage(
        &mut self,
        label: impl Into<String>,
        summary: impl Into<String>,
        narration: Narration,
    ) {
        self.stages.push(StageNote {
            label: label.into(),
            summary: summary.into(),
            payload: None,
            narration,
            to: None,
            detail: None,
        });
    }

    pub fn stage_with(&mut self, note: StageNote) {
        self.stages.push(note);
    }
}

/// The whole simulated cluster.
pub struct Engine {
    now: u64,
    seq: u64,
    next_id: u64,
    queue: BTreeMap<(u64, u64), Envelope>,
    foreground: usize,
    rng: Rng,
    etcd: Snapshot,
    steps: Vec<Step>,
    cluster: Cluster,
    apiserver: ApiServer,
    scheduler: SchedulerComponent,
    controllers: super::controllers::ControllerManager,
    proxies: BTreeMap<String, super::controllers::kube_proxy::KubeProxy>,
    coredns: super::controllers::coredns::CoreDns,
    kubelets: BTreeMap<String, Kubelet>,
    runtimes: BTreeMap<String, Runtime>,
    pub kubectl: Kubectl,
    initial: Snapshot,
    truncated: Option<String>,
    log: WriteLog,
    pods_by_node: PodsByNode,
    limits: limits::Limits,
    /// Messages delivered (and recorded, when the limits keep steps).
    delivered: usize,
    /// The keyspace every `checkpoint_writes` writing steps (see [`super::trace`]).
    checkpoints: Vec<Checkpoint>,
    checkpoint_writes: usize,
    /// Writing steps recorded since the last checkpoint.
    writes_since_checkpoint: usize,
}

impl Engine {
    pub fn new(cluster: &Cluster, seed: u64) -> Engine {
        Engine::with_installed(cluster, cluster.install(), seed)
    }

    /// An engine on `cluster` whose keyspace `etcd` was installed beforehand
    /// (`cluster.install()`, shared: cloning a snapshot is O(1)).
    pub fn with_installed(cluster: &Cluster, etcd: Snapshot, seed: u64) -> Engine {
        let mut engine = Engine {
            now: 0,
            seq: 0,
            next_id: 0,
            queue: BTreeMap::new(),
            foreground: 0,
            rng: Rng::new(seed),
            initial: etcd.clone(),
            etcd,
            steps: Vec::new(),
            apiserver: ApiServer::default(),
            scheduler: SchedulerComponent::default(),
            controllers: Default::default(),
            proxies: cluster
                .nodes
                .iter()
                .map(|n| (n.name.clone(), Default::default()))
                .collect(),
            coredns: Default::default(),
            kubelets: cluster
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| (n.name.clone(), Kubelet::new(cluster, i)))
                .collect(),
            runtimes: cluster
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| (n.name.clone(), Runtime::new(cluster, i)))
                .collect(),
            kubectl: Kubectl::default(),
            cluster: cluster.clone(),
            truncated: None,
            log: WriteLog::default(),
            pods_by_node: PodsByNode::default(),
            limits: limits::Limits::default(),
            delivered: 0,
            checkpoints: Vec::new(),
            checkpoint_writes: super::trace::CHECKPOINT_WRITES,
            writes_since_checkpoint: 0,
        };
        engine.log.base = engine.etcd.revision();
        let pod_keys: Vec<String> = engine
            .etcd
            .range("/registry/pods/")
            .map(|(k, _)| k.to_string())
            .collect();
        for key in pod_keys {
            engine.pods_by_node.update(&key, &engine.etcd);
        }
        // Each kubelet renews its Lease every 10 s, staggered so they do not coincide.
        for (i, n) in cluster.nodes.iter().enumerate() {
            let first = 2_000 + (i as u64 * 3_300) % 10_000;
            engine.enqueue(
                first,
                Envelope {
                    from: Component::Kubelet(n.name.clone()),
                    to: Component::Kubelet(n.name.clone()),
                    msg: Msg::Timer(Timer::LeaseRenew),
                    background: true,
                },
            );
        }
        engine
    }

    fn enqueue(&mut self, at: u64, envelope: Envelope) {
        self.seq += 1;
        if !envelope.background {
            self.foreground += 1;
        }
        self.queue.insert((at, self.seq), envelope);
    }

    /// Queues a kubectl command at `at_ms`.
    pub fn command(&mut self, at_ms: u64, command: super::kubectl::client::Command) {
        self.enqueue(
            at_ms,
            Envelope {
                from: Component::Kubectl,
                to: Component::Kubectl,
                msg: Msg::Command(command),
                background: false,
            },
        );
    }

    /// Sets how big the run may get (the browser's limits unless told otherwise).
    pub fn set_limits(&mut self, limits: limits::Limits) {
        self.limits = limits;
    }

    /// Keeps a checkpoint of the keyspace every `writes` writing steps instead of every
    /// [`CHECKPOINT_WRITES`](super::trace::CHECKPOINT_WRITES) (at least 1): what the trace
    /// shows is the same, only its memory and the replay at a step change.
    pub fn set_checkpoint_writes(&mut self, writes: usize) {
        self.checkpoint_writes = writes.max(1);
    }

    /// Runs until only background work is left, or `horizon_ms`, or the step limit.
    pub fn run(&mut self, horizon_ms: u64) {
        self.run_some(horizon_ms, usize::MAX);
    }

    /// [`Engine::run`] in slices: delivers at most `budget` messages and returns whether
    /// the run is over. The steps are the same however a run is sliced, so a UI can show
    /// the first messages of a large run while the rest is simulated.
    pub fn run_some(&mut self, horizon_ms: u64, budget: usize) -> bool {
        let capped = horizon_ms > limits::MAX_SIM_TIME_MS;
        let horizon_ms = horizon_ms.min(limits::MAX_SIM_TIME_MS);
        let mut left = budget;
        while self.foreground > 0 {
            if left == 0 {
                return false;
            }
            left -= 1;
            let Some(((at, _), envelope)) = self.queue.pop_first() else {
                break;
            };
            if at > horizon_ms {
                // Asked to run longer than podflow simulates: say so, naming the limit.
                if capped {
                    self.truncated = Some(format!(
                        "the simulation reached {} of simulated time (limit MAX_SIM_TIME_MS)",
                        super::trace::format_ms(limits::MAX_SIM_TIME_MS)
                    ));
                }
                break;
            }
            if self.delivered >= self.limits.max_steps {
                self.truncated = Some(format!(
                    "the simulation reached {} messages (limit MAX_STEPS) at {}",
                    self.limits.max_steps,
                    super::trace::format_ms(self.now)
                ));
                break;
            }
            if !envelope.background {
                self.foreground -= 1;
            }
            self.now = at;
            self.deliver(envelope);
        }
        // Over: nothing more to deliver before the horizon, or a limit was hit.
        true
    }

    /// Messages delivered so far.
    pub fn delivered(&self) -> usize {
        self.delivered
    }

    /// The trace of the messages delivered so far (a copy; [`Engine::into_trace`] once
    /// the run is over).
    pub fn trace_so_far(&self) -> Trace {
        Trace {
            steps: self.steps.clone(),
            initial: self.initial.clone(),
            kubectl: self.kubectl.output.clone(),
            truncated: None,
            delivered: self.delivered,
            checkpoints: self.checkpoints.clone(),
        }
    }

    fn deliver(&mut self, envelope: Envelope) {
        let Envelope { from, to, msg, .. } = envelope;
        let mut writes = Vec::new();
        // etcd's own arm reads nothing through the view and writes `self.etcd`: without a
        // second reference to the map there, imbl updates it in place instead of copying
        // the path to the written key.
        let view = if to == Component::Etcd {
            Snapshot::default()
        } else {
            self.etcd.clone()
        };
        let mut ctx = Ctx {
            now: self.now,
            rng: &mut self.rng,
            me: to.clone(),
            out: Vec::new(),
            stages: Vec::new(),
            next_id: &mut self.next_id,
            view: &view,
            cluster: &self.cluster,
            log: &self.log,
            pods_by_node: &self.pods_by_node,
            halt: None,
        };
        let mut msg = msg;
        if let (Component::Etcd, Msg::Txn(txn)) = (&to, &mut msg) {
            // Stamp the resourceVersion the write will get before the step's payload
            // shares the value, so that etcd stores this very value, not a copy.
            if let TxnOp::Create { value, .. } | TxnOp::Update { value, .. } = &mut txn.op {
                let v = std::mem::replace(value, Arc::new(Value::Null));
                *value = etcd::stamp(v, self.etcd.revision() + 1);
            }
        }
        let described = super::narrate::describe(&from, &to, &msg);
        match (&to, msg) {
            (Component::Etcd, Msg::Txn(txn)) => {
                // Only kube-apiserver talks to etcd: every other component reads, watches
                // and writes through the apiserver.
                debug_assert_eq!(from, Component::ApiServer);
                let result = apply_txn(&mut self.etcd, &txn.op);
                if let Ok(ok) = &result {
                    if !matches!(txn.op, TxnOp::Get { .. } | TxnOp::List { .. }) {
                        writes.extend(ok.kvs.iter().map(|(k, _)| k.clone()));
                        if let TxnOp::Delete { key } = &txn.op {
                            writes.push(key.clone());
                        }
                    }
                }
                ctx.send(
                    Component::ApiServer,
                    1,
                    Msg::TxnResult(TxnResult { id: txn.id, result }),
                );
            }
            (Component::ApiServer, msg) => self.apiserver.handle(&mut ctx, &from, msg),
            (Component::Scheduler, msg) => self.scheduler.handle(&mut ctx, msg),
            (Component::ControllerManager, msg) => self.controllers.handle(&mut ctx, msg),
            (Component::KubeProxy(node), msg) => {
                if let Some(p) = self.proxies.get_mut(node) {
                    p.handle(&mut ctx, node, msg);
                }
            }
            (Component::CoreDns, msg) => self.coredns.handle(&mut ctx, &from, msg),
            // `kubectl exec`: the kubelet's exec endpoint hands the command to the runtime
            // over CRI, and the runtime runs it in the container (see controllers::coredns).
            (Component::Kubelet(_), Msg::Request(req)) if req.subresource == Some("exec") => {
                super::controllers::coredns::kubelet_exec(&mut ctx, req)
            }
            (Component::Kubelet(_), Msg::Exec(exec)) => {
                super::controllers::coredns::kubelet_exec_done(&mut ctx, exec)
            }
            (Component::Runtime(_), Msg::Exec(exec)) => self.coredns.runtime_exec(&mut ctx, exec),
            (Component::Runtime(_), Msg::Dns(dns)) => self.coredns.runtime_dns(&mut ctx, dns),
            (Component::Kubelet(node), msg) => {
                if let Some(k) = self.kubelets.get_mut(node) {
                    k.handle(&mut ctx, msg);
                }
            }
            (Component::Runtime(node), msg) => {
                if let Some(r) = self.runtimes.get_mut(node) {
                    r.handle(&mut ctx, &from, msg);
                }
            }
            (Component::Cni(node), msg) => {
                if let Some(r) = self.runtimes.get_mut(node) {
                    r.handle_cni(&mut ctx, msg);
                }
            }
            (Component::Kubectl, msg) => self.kubectl.handle(&mut ctx, msg),
            (Component::Webhook(_), Msg::Admission(call)) => {
                super::webhook::handle(&mut ctx, &from, call)
            }
            _ => {}
        }
        let Ctx {
            out, stages, halt, ..
        } = ctx;
        let out = match halt {
            // The step that hit the bound is recorded; nothing after it runs.
            Some(why) => {
                self.truncated = Some(why);
                self.foreground = 0;
                self.queue.clear();
                Vec::new()
            }
            None => out,
        };
        // One log entry per revision: a delete bumps the revision like a put.
        for key in &writes {
            if self.log.base + (self.log.keys.len() as u64) < self.etcd.revision() {
                self.log.keys.push(Arc::from(key.as_str()));
            }
            if key.starts_with("/registry/pods/") {
                self.pods_by_node.update(key, &self.etcd);
            }
        }
        self.delivered += usize::from(described.is_some()) + stages.len();
        if !self.limits.keep_steps {
            for (at, envelope) in out {
                self.enqueue(at, envelope);
            }
            return;
        }
        // Every write is recorded by the step of its transaction (a Txn is always
        // described), so replaying the steps' writes rebuilds the keyspace.
        debug_assert!(writes.is_empty() || described.is_some());
        let revision = self.etcd.revision();
        let wrote = !writes.is_empty();
        let writes: Vec<Write> = writes
            .iter()
            .map(|key| match self.etcd.entry(key) {
                Some((key, kv)) => Write {
                    key: key.clone(),
                    value: Some(kv.clone()),
                },
                None => Write {
                    key: Arc::from(key.as_str()),
                    value: None,
                },
            })
            .collect();
        if let Some(d) = described {
            self.steps.push(Step {
                at_ms: self.now,
                from: from.clone(),
                to: to.clone(),
                category: d.category,
                label: d.label,
                summary: d.summary,
                payload: d.payload,
                writes,
                narration: d.narration,
                detail: None,
                revision,
            });
        }
        for note in stages {
            self.steps.push(Step {
                at_ms: self.now,
                from: to.clone(),
                to: note.to.unwrap_or_else(|| to.clone()),
                category: Category::Stage,
                label: note.label,
                summary: note.summary,
                payload: note.payload,
                writes: Vec::new(),
                narration: note.narration,
                detail: note.detail,
                revision,
            });
        }
        if wrote {
            self.writes_since_checkpoint += 1;
            if self.writes_since_checkpoint >= self.checkpoint_writes {
                self.writes_since_checkpoint = 0;
                self.checkpoints.push(Checkpoint {
                    step: self.steps.len() - 1,
                    etcd: self.etcd.clone(),
                });
            }
        }
        for (at, envelope) in out {
            self.enqueue(at, envelope);
        }
    }

    pub fn into_trace(self) -> Trace {
        Trace {
            steps: self.steps,
            initial: self.initial,
            kubectl: self.kubectl.output,
            truncated: self.truncated,
            delivered: self.delivered,
            checkpoints: self.checkpoints,
        }
    }

    pub fn now(&self) -> u64 {
        self.now
    }

    pub fn etcd(&self) -> &Snapshot {
        &self.etcd
    }
}

/// etcd applies one transaction.
fn apply_txn(store: &mut Snapshot, op: &TxnOp) -> Result<TxnOk, etcd::TxnError> {
    match op {
        TxnOp::Create { key, value } => {
            let revision = store.create(key, value.clone())?;
            Ok(TxnOk {
                revision,
                kvs: vec![(key.clone(), store.get(key).cloned().expect("just written"))],
                previous: None,
            })
        }
        TxnOp::Update {
            key,
            value,
            expected,
        } => {
            let previous = store.get(key).cloned();
            let revision = store.update(key, value.clone(), *expected)?;
            Ok(TxnOk {
                revision,
                kvs: vec![(key.clone(), store.get(key).cloned().expect("just written"))],
                previous,
            })
        }
        TxnOp::Delete { key } => {
            let previous = store.get(key).cloned();
            let revision = store.delete(key)?;
            Ok(TxnOk {
                revision,
                kvs: Vec::new(),
                previous,
            })
        }
        TxnOp::Get { key } => match store.get(key) {
            Some(kv) => Ok(TxnOk {
                revision: store.revision(),
                kvs: vec![(key.clone(), kv.clone())],
                previous: None,
            }),
            None => Err(etcd::TxnError::NotFound),
        },
        TxnOp::List { prefix } => Ok(TxnOk {
            revision: store.revision(),
            kvs: store
                .range(prefix)
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            previous: None,
        }),
    }
}

/// The object stored under `key` as the API returns it: `metadata.resourceVersion` is
/// the key's `mod_revision` (etcd values are stored without it).
pub fn api_object(kv: &etcd::KeyValue) -> Value {
    (*api_shared(kv)).clone()
}

/// [`api_object`] without copying: the stored value, which carries its resourceVersion
/// (see [`etcd::stamp`]).
pub fn api_shared(kv: &etcd::KeyValue) -> Arc<Value> {
    // On every response and watch event: compared without allocating.
    let stale = kv
        .value
        .get("metadata")
        .and_then(Value::as_object)
        .is_some_and(|meta| {
            meta.get("resourceVersion")
                .and_then(Value::as_str)
                .and_then(|rv| rv.parse::<u64>().ok())
                != Some(kv.mod_revision)
        });
    if stale {
        // Written around the engine (a test's hand-made snapshot): stamp a copy.
        return etcd::stamp(kv.value.clone(), kv.mod_revision);
    }
    kv.value.clone()
}
