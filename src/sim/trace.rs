//! The trace: every message of a simulation, in delivery order, with the world as it
//! stood after each one.
//!
//! A trace is a value. The UI never changes it; it only chooses which step to show.
//!
//! The world after a step is etcd's keyspace, rebuilt on demand ([`Trace::etcd_at`]):
//! each [`Step`] records the revision after it and the writes it made, as the values
//! written ([`Write`]), and the trace keeps a full [`Snapshot`] (a persistent map: a
//! clone is O(1) and shares structure) only every [`CHECKPOINT_WRITES`] writing steps.
//!
//! Invariants:
//! - `initial`, then every step's writes replayed in order ([`Step::replay_onto`]), gives
//!   the keyspace after each step; `step.revision` is that keyspace's revision;
//! - each [`Checkpoint`] equals that replay up to its step, and checkpoints are in step
//!   order, so the keyspace at any step is the nearest checkpoint at or before it plus at
//!   most [`CHECKPOINT_WRITES`] writing steps replayed.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use super::etcd::{KeyValue, Snapshot};

/// How many writing steps apart the trace keeps a full snapshot of etcd. A snapshot
/// keeps alive every map node written since the one before it (the path to each written
/// key, at most the whole map), so memory falls as this grows, while the keyspace at a
/// step costs up to this many writes replayed (each O(log n)). Measured on 300 pods / 30
/// nodes (3,326 writes, native release): 16 → 1.5 MiB of checkpoints and 18 µs per
/// `etcd_at`, 64 → 0.84 MiB / 33 µs, 256 → 0.38 MiB / 42 µs, none → 0 / 243 µs.
pub const CHECKPOINT_WRITES: usize = 64;

/// A component of the cluster, as a learner would name it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Component {
    Kubectl,
    ApiServer,
    Etcd,
    ControllerManager,
    Scheduler,
    /// The kubelet on the named node.
    Kubelet(String),
    /// The container runtime (containerd) on the named node, reached over CRI.
    Runtime(String),
    /// The CNI plugin chain on the named node.
    Cni(String),
    KubeProxy(String),
    CoreDns,
    /// An admission webhook, by its configuration's webhook name.
    Webhook(String),
}

impl Component {
    /// The node this component runs on, for node-local components.
    pub fn node(&self) -> Option<&str> {
        match self {
            Component::Kubelet(n)
            | Component::Runtime(n)
            | Component::Cni(n)
            | Component::KubeProxy(n) => Some(n),
            _ => None,
        }
    }

    /// The component's kind without its node (`kubelet` for `kubelet@w1`): the lane
    /// family in the message flow.
    pub fn family(&self) -> &'static str {
        match self {
            Component::Kubectl => "kubectl",
            Component::ApiServer => "kube-apiserver",
            Component::Etcd => "etcd",
            Component::ControllerManager => "kube-controller-manager",
            Component::Scheduler => "kube-scheduler",
            Component::Kubelet(_) => "kubelet",
            Component::Runtime(_) => "containerd",
            Component::Cni(_) => "cni",
            Component::KubeProxy(_) => "kube-proxy",
            Component::CoreDns => "coredns",
            Component::Webhook(_) => "webhook",
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Component::Webhook(name) => write!(f, "webhook/{name}"),
            other => match other.node() {
                Some(node) => write!(f, "{}@{node}", other.family()),
                None => f.write_str(other.family()),
            },
        }
    }
}

/// What kind of message a step is; the UI colours arrows by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Category {
    /// An HTTP request to the apiserver (kubectl, controllers, scheduler, kubelet).
    Request,
    /// The apiserver's HTTP response.
    Response,
    /// A stage inside one component (authentication, admission, a scheduler plugin run).
    Stage,
    /// A transaction between kube-apiserver and etcd, or its answer.
    Storage,
    /// A watch event delivered by the apiserver.
    Watch,
    /// A CRI gRPC call between the kubelet and the container runtime.
    Cri,
    /// A CNI plugin invocation.
    Cni,
    /// Something a component does on its own clock (probe, lease renewal, back-off expiry).
    Timer,
}

/// What a learner reads about a step: what happened, who did it and why, and where the
/// upstream documentation explains it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Narration {
    pub text: String,
    pub doc: &'static str,
}

/// What a message carries, kept as the values themselves and rendered only when a
/// learner opens it ([`Payload::render`]): pretty-printing every request, response,
/// transaction and watch event as it was delivered was a third of a large run's time,
/// and the text was larger than the values it was made from. JSON bodies are shared
/// (`Arc`) with the message and, for writes, with the etcd value.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// Text shown as it is (a CNI result, kube-proxy's rules, exec output, a table).
    Text(String),
    /// A JSON object, pretty-printed when shown.
    Json(Arc<serde_json::Value>),
    /// An object written to etcd, shown as etcd stores it: without
    /// `metadata.resourceVersion`, which podflow's stored values carry
    /// ([`etcd::stamp`](super::etcd::stamp)).
    Stored(Arc<serde_json::Value>),
    /// An HTTP request: the request line and headers, then the JSON body if any.
    Http {
        head: String,
        body: Option<Arc<serde_json::Value>>,
    },
    /// kube-scheduler's Filter verdicts, one line per node (from the step's detail).
    Filters(Arc<Detail>),
    /// kube-scheduler's Score table, one line per feasible node.
    Scores(Arc<Detail>),
}

impl Payload {
    /// The payload as the UI and the CLI show it.
    pub fn render(&self) -> Cow<'_, str> {
        let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
        match self {
            Payload::Text(text) => Cow::Borrowed(text),
            Payload::Json(value) => Cow::Owned(pretty(value)),
            Payload::Stored(value) => Cow::Owned(pretty(&super::etcd::stored_form(value))),
            Payload::Http { head, body: None } => Cow::Borrowed(head),
            Payload::Http {
                head,
                body: Some(body),
            } => Cow::Owned(format!("{head}{}", pretty(body))),
            Payload::Filters(detail) => {
                let Detail::Scheduling(decision) = detail.as_ref();
                Cow::Owned(decision.filter_lines().join("\n"))
            }
            Payload::Scores(detail) => {
                let Detail::Scheduling(decision) = detail.as_ref();
                Cow::Owned(decision.score_lines().join("\n"))
            }
        }
    }

    /// The text of a [`Payload::Text`].
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Payload::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The JSON value carried: the object, or the request's body.
    pub fn json(&self) -> Option<&serde_json::Value> {
        match self {
            Payload::Json(value) | Payload::Stored(value) => Some(value),
            Payload::Http { body, .. } => body.as_deref(),
            Payload::Text(_) | Payload::Filters(_) | Payload::Scores(_) => None,
        }
    }
}

impl Serialize for Payload {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.render())
    }
}

/// Structured detail of a step, beyond its text.
#[derive(Clone, Debug, PartialEq)]
pub enum Detail {
    /// A scheduling cycle: every node's filter verdicts and every feasible node's scores.
    Scheduling(super::scheduler::Decision),
}

/// One message, delivered.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// Logical time in milliseconds since the simulation started.
    pub at_ms: u64,
    pub from: Component,
    pub to: Component,
    pub category: Category,
    /// What the message is, as it would appear on the wire: `POST /api/v1/namespaces/default/pods`,
    /// `watch ADDED`, `RunPodSandbox`, `CNI ADD`.
    pub label: String,
    /// One line about what it carries or achieves.
    pub summary: String,
    /// The message body, when it has one worth reading (JSON, CNI result, rules...),
    /// rendered on demand.
    pub payload: Option<Payload>,
    /// What this step wrote to etcd (created, modified or deleted), in order.
    pub writes: Vec<Write>,
    pub narration: Narration,
    /// Structured detail the UI renders as a table (the scheduler's verdicts and scores).
    #[serde(skip)]
    pub detail: Option<std::sync::Arc<Detail>>,
    /// etcd's store-wide revision after this step.
    #[serde(skip)]
    pub revision: u64,
}

impl Step {
    /// Applies this step's writes to `etcd`, the keyspace just before the step, making it
    /// the keyspace after it.
    pub fn replay_onto(&self, etcd: &mut Snapshot) {
        for w in &self.writes {
            etcd.replay(&w.key, w.value.as_ref(), self.revision);
        }
    }

    /// Whether this step wrote `key`.
    pub fn wrote(&self, key: &str) -> bool {
        self.writes.iter().any(|w| w.key() == key)
    }
}

/// One key a step wrote to etcd and what it held afterwards, shared with the store.
#[derive(Clone, Debug, PartialEq)]
pub struct Write {
    pub key: Arc<str>,
    /// The stored value after the write (its revisions included); `None`: deleted.
    pub value: Option<Arc<KeyValue>>,
}

impl Write {
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl Serialize for Write {
    /// A write serializes as its key, as the trace's JSON always had it.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.key)
    }
}

/// The keyspace after step `step`, kept whole.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    pub step: usize,
    pub etcd: Snapshot,
}

/// A whole simulation.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub steps: Vec<Step>,
    /// The keyspace before the first step (the cluster as installed).
    pub initial: Snapshot,
    /// What kubectl printed, in order.
    pub kubectl: Vec<String>,
    /// Set when a limit stopped the simulation early, saying which.
    pub truncated: Option<String>,
    /// Steps delivered: `steps.len()` unless the run only counted them
    /// ([`Limits::keep_steps`](super::limits::Limits)).
    pub delivered: usize,
    /// The keyspace after every [`CHECKPOINT_WRITES`]-th writing step, in step order.
    pub checkpoints: Vec<Checkpoint>,
}

impl Trace {
    /// The keyspace as of step `index` (clamped), or the initial one for an empty trace:
    /// the nearest checkpoint at or before it, with the writes since replayed.
    pub fn etcd_at(&self, index: usize) -> Snapshot {
        let Some(last) = self.steps.len().checked_sub(1) else {
            return self.initial.clone();
        };
        let index = index.min(last);
        let before = self.checkpoints.partition_point(|c| c.step <= index);
        let (mut etcd, from) = match before.checked_sub(1).and_then(|c| self.checkpoints.get(c)) {
            Some(c) => (c.etcd.clone(), c.step + 1),
            None => (self.initial.clone(), 0),
        };
        for step in self.steps.get(from..=index).unwrap_or_default() {
            step.replay_onto(&mut etcd);
        }
        etcd
    }

    /// Every step with the keyspace after it, in order, replaying the writes once (O(1)
    /// per step without writes). Drop each keyspace before taking the next to let the
    /// replay update the map in place.
    pub fn steps_with_etcd(&self) -> impl Iterator<Item = (&Step, Snapshot)> + '_ {
        let mut etcd = self.initial.clone();
        self.steps.iter().map(move |step| {
            step.replay_onto(&mut etcd);
            (step, etcd.clone())
        })
    }
}

impl fmt::Display for Step {
    /// The golden-trace line: time, route, label and summary, one message per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>9} {} -> {}: {} | {}",
            format_ms(self.at_ms),
            self.from,
            self.to,
            self.label,
            self.summary
        )?;
        if !self.writes.is_empty() {
            write!(f, " [rev {}", self.revision)?;
            for w in &self.writes {
                write!(f, " {}", w.key)?;
            }
            f.write_str("]")?;
        }
        Ok(())
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.steps {
            writeln!(f, "{step}")?;
        }
        if let Some(why) = &self.truncated {
            writeln!(f, "(stopped: {why})")?;
        }
        Ok(())
    }
}

/// `12.345s` style time for trace lines.
pub fn format_ms(ms: u64) -> String {
    format!("{}.{:03}s", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_names() {
        assert_eq!(Component::ApiServer.to_string(), "kube-apiserver");
        assert_eq!(Component::Kubelet("w1".into()).to_string(), "kubelet@w1");
        assert_eq!(Component::Runtime("w2".into()).to_string(), "containerd@w2");
        assert_eq!(
            Component::Webhook("deny.example.com".into()).to_string(),
            "webhook/deny.example.com"
        );
        assert_eq!(Component::Cni("w1".into()).node(), Some("w1"));
    }

    /// The 3-replica Deployment + Service run, keeping a checkpoint every `every` writing
    /// steps, with etcd as the engine left it.
    fn deployment_run(every: usize) -> (Trace, Snapshot) {
        use crate::sim::{cluster::Cluster, engine::Engine, kubectl::client, scenarios};
        let cluster = Cluster::default();
        let files = [(
            crate::sim::MANIFEST_FILE.to_string(),
            scenarios::scale::deployment_with_service(3),
        )]
        .into();
        let apply = format!("kubectl apply -f {}", crate::sim::MANIFEST_FILE);
        let mut engine = Engine::new(&cluster, 42);
        engine.set_checkpoint_writes(every);
        engine.command(0, client::parse_command(&apply, &files).expect("apply"));
        engine.run(crate::sim::DEFAULT_HORIZON_MS);
        let end = engine.etcd().clone();
        (engine.into_trace(), end)
    }

    #[test]
    fn replayed_writes_rebuild_the_engines_keyspace() {
        // A checkpoint after every writing step: each is the engine's own keyspace then.
        let (trace, end) = deployment_run(1);
        let writing = trace.steps.iter().filter(|s| !s.writes.is_empty()).count();
        assert!(writing >= 40, "{writing} writing steps");
        assert_eq!(trace.checkpoints.len(), writing);
        let mut replayed = trace.initial.clone();
        let mut checkpoints = trace.checkpoints.iter().peekable();
        for (i, step) in trace.steps.iter().enumerate() {
            step.replay_onto(&mut replayed);
            assert_eq!(replayed.revision(), step.revision, "step {i}");
            if let Some(c) = checkpoints.next_if(|c| c.step == i) {
                assert!(c.etcd == replayed, "step {i}: replay differs from etcd");
            }
        }
        assert!(checkpoints.next().is_none());
        assert!(replayed == end);
    }

    #[test]
    fn etcd_at_any_step_is_the_replay_from_the_start() {
        let (every_3, end) = deployment_run(3);
        let (default, _) = deployment_run(CHECKPOINT_WRITES);
        // What the trace shows does not depend on where the checkpoints are.
        assert_eq!(every_3.to_string(), default.to_string());
        let writing = every_3.steps.iter().filter(|s| !s.writes.is_empty());
        assert_eq!(every_3.checkpoints.len(), writing.count() / 3);
        assert!(every_3.checkpoints.len() > 10, "crosses many checkpoints");
        let last = every_3.steps.len() - 1;
        for (i, (step, replayed)) in every_3.steps_with_etcd().enumerate() {
            assert!(every_3.etcd_at(i) == replayed, "step {i}");
            assert!(default.etcd_at(i) == replayed, "step {i}");
            assert_eq!(replayed.revision(), step.revision);
            for w in &step.writes {
                assert_eq!(replayed.get(&w.key), w.value.as_deref());
            }
        }
        // Clamped past the end; the installed keyspace for an empty trace.
        assert!(every_3.etcd_at(usize::MAX) == end);
        assert!(every_3.etcd_at(last) == end);
        let empty = Trace {
            initial: every_3.initial.clone(),
            ..Trace::default()
        };
        assert!(empty.etcd_at(7) == every_3.initial);
    }

    #[test]
    fn time_format() {
        assert_eq!(format_ms(0), "0.000s");
        assert_eq!(format_ms(2_405), "2.405s");
    }
}
