//! The trace: every message of a simulation, in delivery order, with the world as it
//! stood after each one.
//!
//! A trace is a value. The UI never changes it; it only chooses which step to show.
//! Each [`Step`] holds an [`etcd::Snapshot`](super::etcd::Snapshot), a persistent map that
//! shares structure with its neighbours, so any step's world is reachable in O(1) and a
//! long trace costs memory proportional to what changed, not to steps × keys.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use super::etcd::Snapshot;

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
    /// etcd keys this step wrote (created, modified or deleted).
    pub writes: Vec<String>,
    pub narration: Narration,
    /// Structured detail the UI renders as a table (the scheduler's verdicts and scores).
    #[serde(skip)]
    pub detail: Option<std::sync::Arc<Detail>>,
    /// The etcd keyspace after this step (its revision is the global revision).
    #[serde(skip)]
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
}

impl Trace {
    /// The keyspace as of step `index` (clamped), or the initial one for an empty trace.
    pub fn etcd_at(&self, index: usize) -> &Snapshot {
        match self
            .steps
            .get(index.min(self.steps.len().saturating_sub(1)))
        {
            Some(step) => &step.etcd,
            None => &self.initial,
        }
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
            write!(
                f,
                " [rev {} {}]",
                self.etcd.revision(),
                self.writes.join(" ")
            )?;
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

    #[test]
    fn time_format() {
        assert_eq!(format_ms(0), "0.000s");
        assert_eq!(format_ms(2_405), "2.405s");
    }
}
