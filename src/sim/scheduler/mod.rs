//! kube-scheduler's scheduling cycle for one pod, as a pure function.
//!
//! [`schedule`] takes a pod, the nodes (each with the pods already bound or assumed on
//! it) and the seeded [`Rng`], and returns a [`Decision`]: the per-node verdict of every
//! Filter plugin, the per-node scores of every Score plugin (raw, normalised, weighted),
//! and the outcome, with the exact `FailedScheduling` text of kube-scheduler v1.31–v1.33
//! (pkg/scheduler/schedule_one.go, framework/types.go `FitError`, plugins under
//! pkg/scheduler/framework/plugins/, DefaultPreemption).
//!
//! Invariants:
//! - Pure and deterministic: the only randomness is the tie-break among the best nodes
//!   (upstream `selectHost` reservoir sampling), drawn from the caller's [`Rng`].
//! - Plugins run in the default profile's order and stop at a node's first failing
//!   Filter, as `RunFilterPlugins` does; the failure reasons are upstream's strings.
//! - Cost per pod is O(nodes) plus cheap field checks per pod when run on a [`Snapshot`]
//!   the caller keeps up to date ([`schedule_snapshot`]); pods' requests, ports and
//!   affinity terms are read once, when they enter the snapshot. With 100 nodes or more,
//!   filtering stops once `numFeasibleNodesToFind` feasible nodes are found, starting at
//!   the rotating index the caller keeps between pods ([`Cursor`]). A preemption dry run
//!   for a pod with spread or inter-pod affinity constraints recomputes the cluster-wide
//!   counts per trial, which is O(cluster) each (rare: a high-priority pod that fits nowhere).
//! - Never panics on input: malformed fields count as absent.
//! - A [`Decision`] is kept in the trace for every cycle, so its rows are compact: a node
//!   index into names shared by every cycle on the same node list ([`Snapshot::node_names`]),
//!   bits for the Filter plugins skipped, the failure boxed, scores as small integers.
//!   Plugin names, weights, weighted scores and totals are derived when read.

mod plugins;
mod resources;
pub mod selectors;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::sim::object::At;
use serde_json::Value;

use crate::sim::object;
use crate::sim::rand::Rng;

pub use plugins::Verdict;
pub use resources::{DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST};

use plugins::{FilterState, NodeView, PodSummary};

/// A node and the pods bound to it (`spec.nodeName`), including pods assumed earlier in
/// this run. Pods in phase Succeeded or Failed are ignored, as the scheduler's cache does.
#[derive(Clone, Debug)]
pub struct NodeInfo<'a> {
    /// A v1 Node: `status.allocatable`, `metadata.labels`, `spec.taints`,
    /// `spec.unschedulable`, `status.images`.
    pub node: &'a Value,
    pub pods: Vec<&'a Value>,
}

/// Other objects some plugins read through informers.
#[derive(Clone, Debug, Default)]
pub struct ClusterObjects<'a> {
    /// PersistentVolumeClaims (VolumeBinding PreFilter).
    pub pvcs: Vec<&'a Value>,
    /// Services (the default spreading selector).
    pub services: Vec<&'a Value>,
    /// ReplicaSets, ReplicationControllers and StatefulSets (the default spreading
    /// selector comes from the pod's controller).
    pub owners: Vec<&'a Value>,
}

/// The scheduler cache's view of the cluster (framework.Snapshot): nodes with the
/// summaries of their pods, built once and kept up to date with [`Snapshot::add_pod`],
/// [`Snapshot::remove_pod`] and [`Snapshot::set_node`], so that a scheduling cycle does
/// not re-read every pod. Finding a node by name is O(log nodes).
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    nodes: Vec<NodeView>,
    /// Node name → index in `nodes`.
    index: std::collections::BTreeMap<String, usize>,
    /// The nodes' names, built when first asked for and kept until a node is added, so
    /// that every [`Decision`] on an unchanged node list shares them.
    names: std::cell::OnceCell<NodeNames>,
}

impl Snapshot {
    /// The nodes with their pods; pods in phase Succeeded or Failed are left out.
    pub fn new(nodes: &[NodeInfo<'_>]) -> Self {
        let mut snap = Snapshot::default();
        for info in nodes {
            snap.set_node(info.node);
        }
        for info in nodes {
            for p in &info.pods {
                snap.add_pod_to(object::name(info.node), p);
            }
        }
        snap
    }

    /// Adds a node, or replaces a node's object keeping its pods.
    pub fn set_node(&mut self, node: &Value) {
        let mut view = NodeView::new(node);
        match self.index.get(&view.name) {
            Some(&i) => {
                view = view.with_pods(std::mem::take(&mut self.nodes[i].pods));
                self.nodes[i] = view;
            }
            None => {
                self.index.insert(view.name.clone(), self.nodes.len());
                self.nodes.push(view);
                self.names = Default::default();
            }
        }
    }

    /// Adds a pod to the node named by its `spec.nodeName` (a bound or assumed pod).
    /// Returns false, changing nothing, when that node is unknown or the pod is terminal.
    pub fn add_pod(&mut self, pod: &Value) -> bool {
        self.add_pod_to(object::str_at(pod, "/spec/nodeName"), pod)
    }

    fn add_pod_to(&mut self, node: &str, pod: &Value) -> bool {
        if resources::is_terminal(pod) {
            return false;
        }
        match self.index.get(node) {
            Some(&i) => {
                self.nodes[i].add_pod(PodSummary::new(pod));
                true
            }
            None => false,
        }
    }

    /// Removes a pod (deleted, or finished) from whichever node holds it.
    pub fn remove_pod(&mut self, namespace: &str, name: &str) -> bool {
        let names: Vec<String> = self.index.keys().cloned().collect();
        names
            .iter()
            .any(|node| self.remove_pod_from(node, namespace, name))
    }

    /// Removes a pod from the named node; false when it is not there.
    pub fn remove_pod_from(&mut self, node: &str, namespace: &str, name: &str) -> bool {
        let namespace = if namespace.is_empty() {
            "default"
        } else {
            namespace
        };
        let Some(&i) = self.index.get(node) else {
            return false;
        };
        let view = &mut self.nodes[i];
        match view
            .pods
            .iter()
            .position(|p| p.namespace == namespace && p.name == name)
        {
            Some(at) => {
                let mut pods = std::mem::take(&mut view.pods);
                pods.remove(at);
                *view = view.with_pods(pods);
                true
            }
            None => false,
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes' names, in snapshot order (the same `Arc` until a node is added).
    pub fn node_names(&self) -> NodeNames {
        self.names
            .get_or_init(|| {
                self.nodes
                    .iter()
                    .map(|n| Arc::from(n.name.as_str()))
                    .collect()
            })
            .clone()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// State kept by the scheduler between scheduling cycles.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// `nextStartNodeIndex`: where the next cycle starts filtering (matters for ≥ 100 nodes).
    pub next_start_node_index: usize,
    /// `percentageOfNodesToScore`; 0 = adaptive (the default).
    pub percentage_of_nodes_to_score: u32,
}

/// The names of a snapshot's nodes, in snapshot order. Rows of a [`Decision`] refer to
/// their node by index into it; every cycle on an unchanged node list shares one copy.
pub type NodeNames = Arc<[Arc<str>]>;

/// Why a Filter plugin rejected a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterFailure {
    pub reasons: Vec<String>,
    /// framework.UnschedulableAndUnresolvable (preemption cannot help).
    pub unresolvable: bool,
}

/// One Filter plugin's result on one node, as read from a [`NodeFilter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterResult<'a> {
    Pass,
    /// `unresolvable`: framework.UnschedulableAndUnresolvable (preemption cannot help).
    Fail {
        reasons: &'a [String],
        unresolvable: bool,
    },
    /// The plugin's PreFilter returned Skip for this pod, so its Filter did not run.
    Skipped,
}

// A filter row keeps which plugins were skipped as bits of a u16.
const _: () = assert!(FILTER_PLUGINS.len() <= 16);

/// One node's Filter verdicts: the plugins of [`FILTER_PLUGINS`] in order, up to and
/// including the first failure. Stored compactly (a scheduling cycle on a large cluster
/// keeps one row per node evaluated): the node as an index into [`Decision::node_names`],
/// how many plugins ran, which of them were skipped, and the failure, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeFilter {
    node: u32,
    /// `FILTER_PLUGINS[..ran]` ran; the last of them failed when `failure` is set.
    ran: u8,
    /// Bit i: `FILTER_PLUGINS[i]` was skipped (PreFilter returned Skip).
    skipped: u16,
    failure: Option<Box<FilterFailure>>,
}

impl NodeFilter {
    /// The node's name.
    pub fn node<'d>(&self, decision: &'d Decision) -> &'d str {
        decision.node_name(self.node)
    }

    /// Whether every plugin passed or was skipped.
    pub fn feasible(&self) -> bool {
        self.failure.is_none()
    }

    /// Each plugin run, in order, with its result; a failure is the last one.
    pub fn plugins(&self) -> impl Iterator<Item = (&'static str, FilterResult<'_>)> + '_ {
        let ran = usize::from(self.ran);
        FILTER_PLUGINS[..ran.min(FILTER_PLUGINS.len())]
            .iter()
            .enumerate()
            .map(move |(i, &plugin)| {
                let result = match &self.failure {
                    Some(f) if i + 1 == ran => FilterResult::Fail {
                        reasons: &f.reasons,
                        unresolvable: f.unresolvable,
                    },
                    _ if self.skipped & (1 << i) != 0 => FilterResult::Skipped,
                    _ => FilterResult::Pass,
                };
                (plugin, result)
            })
    }

    /// The plugin that rejected the node, and why.
    pub fn failure(&self) -> Option<(&'static str, &FilterFailure)> {
        let plugin = FILTER_PLUGINS.get(usize::from(self.ran).checked_sub(1)?)?;
        self.failure.as_deref().map(|f| (*plugin, f))
    }
}

/// One Score plugin's score on one node, as read from a [`NodeScore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PluginScore {
    pub plugin: &'static str,
    /// The plugin's Score, before NormalizeScore.
    pub raw: i64,
    /// After NormalizeScore (0–100).
    pub normalized: i64,
    pub weight: i64,
    /// `normalized × weight`.
    pub weighted: i64,
    /// PreScore returned Skip: the plugin adds nothing.
    pub skipped: bool,
}

const NUM_SCORE_PLUGINS: usize = SCORE_PLUGINS.len();
// A score row keeps which plugins were skipped as bits of a u8.
const _: () = assert!(NUM_SCORE_PLUGINS <= 8);

/// The (raw, normalised) scores of a row, per [`SCORE_PLUGINS`] entry (0 when skipped).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Scores {
    /// The usual case: raw scores fit an i32, normalised ones (0–100) an i16.
    Small {
        raw: [i32; NUM_SCORE_PLUGINS],
        normalized: [i16; NUM_SCORE_PLUGINS],
    },
    /// Anything larger (e.g. preferred-term weights far outside 1–100, which the
    /// apiserver would reject but the simulation scores as given).
    Wide(Box<[(i64, i64); NUM_SCORE_PLUGINS]>),
}

/// One feasible node's scores: every plugin of [`SCORE_PLUGINS`] in order. Stored
/// compactly: the node as an index into [`Decision::node_names`], the raw and normalised
/// scores as small integers, and which plugins were skipped; names, weights, weighted
/// scores and the total are derived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeScore {
    node: u32,
    /// Bit i: `SCORE_PLUGINS[i]` was skipped.
    skipped: u8,
    scores: Scores,
}

impl NodeScore {
    /// `scores[i]`: `SCORE_PLUGINS[i]`'s (raw, normalised) score, or None when skipped.
    fn new(node: u32, scores: [Option<(i64, i64)>; NUM_SCORE_PLUGINS]) -> Self {
        let mut skipped = 0u8;
        let mut wide = [(0i64, 0i64); NUM_SCORE_PLUGINS];
        for (i, s) in scores.iter().enumerate() {
            match s {
                Some(s) => wide[i] = *s,
                None => skipped |= 1 << i,
            }
        }
        let small = || -> Option<Scores> {
            let mut raw = [0i32; NUM_SCORE_PLUGINS];
            let mut normalized = [0i16; NUM_SCORE_PLUGINS];
            for (i, &(r, n)) in wide.iter().enumerate() {
                raw[i] = i32::try_from(r).ok()?;
                normalized[i] = i16::try_from(n).ok()?;
            }
            Some(Scores::Small { raw, normalized })
        };
        NodeScore {
            node,
            skipped,
            scores: small().unwrap_or_else(|| Scores::Wide(Box::new(wide))),
        }
    }

    /// The node's name.
    pub fn node<'d>(&self, decision: &'d Decision) -> &'d str {
        decision.node_name(self.node)
    }

    /// Every Score plugin, in [`SCORE_PLUGINS`] order.
    pub fn plugins(&self) -> impl Iterator<Item = PluginScore> + '_ {
        SCORE_PLUGINS
            .iter()
            .enumerate()
            .map(move |(i, &(plugin, weight))| {
                let skipped = self.skipped & (1 << i) != 0;
                let (raw, normalized) = match &self.scores {
                    _ if skipped => (0, 0),
                    Scores::Small { raw, normalized } => {
                        (i64::from(raw[i]), i64::from(normalized[i]))
                    }
                    Scores::Wide(s) => s[i],
                };
                PluginScore {
                    plugin,
                    raw,
                    normalized,
                    weight,
                    weighted: normalized * weight,
                    skipped,
                }
            })
    }

    /// The sum of the weighted scores.
    pub fn total(&self) -> i64 {
        self.plugins().map(|p| p.weighted).sum()
    }
}

/// A successful preemption dry run: the node nominated for the pod and the pods to evict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preemption {
    pub nominated_node: String,
    /// `namespace/name` of each victim.
    pub victims: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Bind to this node (`Successfully assigned <ns>/<pod> to <node>`).
    Bound { node: String },
    /// Event `FailedScheduling` / condition `PodScheduled=False reason=Unschedulable`.
    /// When preemption found victims, they are in `preemption` and the message has no
    /// `preemption:` part (DefaultPreemption succeeded).
    Unschedulable {
        message: String,
        preemption: Option<Preemption>,
    },
    /// SchedulingGates (PreEnqueue): the pod never enters the queue; STATUS `SchedulingGated`.
    Gated { gates: Vec<String> },
    /// A PreFilter plugin rejected the pod before any node was looked at; `message` is
    /// the full FailedScheduling text.
    PreFilterRejected {
        plugin: &'static str,
        message: String,
    },
    /// Not this scheduler's pod: already bound, or another `schedulerName`.
    Ignored { reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Nodes in the snapshot.
    pub num_all_nodes: usize,
    /// `numFeasibleNodesToFind` for this cycle.
    pub num_nodes_to_find: usize,
    /// The snapshot's node names, which the rows refer to (shared between cycles).
    pub node_names: NodeNames,
    /// One row per node evaluated, in evaluation order.
    pub filters: Vec<NodeFilter>,
    /// One row per feasible node; empty when fewer than two nodes are feasible (upstream
    /// skips scoring when a single node fits).
    pub scores: Vec<NodeScore>,
    pub outcome: Outcome,
}

impl Decision {
    fn node_name(&self, index: u32) -> &str {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.node_names.get(i))
            .map_or("", |n| n)
    }

    /// One line per node filtered: `w1: ✓ passes every filter` or
    /// `cp: ✗ TaintToleration: <reason>`.
    pub fn filter_lines(&self) -> Vec<String> {
        self.filters.iter().map(|f| self.filter_line(f)).collect()
    }

    /// The [`Decision::filter_lines`] line of one row.
    pub fn filter_line(&self, f: &NodeFilter) -> String {
        let verdict = match f.failure() {
            Some((plugin, failure)) => {
                format!("✗ {plugin}: {}", failure.reasons.join(", "))
            }
            None => "✓ passes every filter".to_string(),
        };
        format!("{}: {verdict}", f.node(self))
    }

    /// One line per node scored: `w1: TaintToleration 100×3 + … = 300`.
    pub fn score_lines(&self) -> Vec<String> {
        self.scores
            .iter()
            .map(|s| {
                let parts: Vec<String> = s
                    .plugins()
                    .filter(|p| !p.skipped)
                    .map(|p| format!("{} {}×{}", p.plugin, p.normalized, p.weight))
                    .collect();
                format!("{}: {} = {}", s.node(self), parts.join(" + "), s.total())
            })
            .collect()
    }
}

/// The default profile's Filter plugins, in order (default_plugins.go, v1.31–v1.33).
/// The in-tree EBS/GCEPD/AzureDisk limit plugins are left out: they skip every pod
/// without those legacy volume types and are gone from the newest releases.
pub const FILTER_PLUGINS: &[&str] = &[
    "NodeUnschedulable",
    "NodeName",
    "TaintToleration",
    "NodeAffinity",
    "NodePorts",
    "NodeResourcesFit",
    "VolumeRestrictions",
    "NodeVolumeLimits",
    "VolumeBinding",
    "VolumeZone",
    "PodTopologySpread",
    "InterPodAffinity",
];

/// The default profile's Score plugins with their weights, in order.
pub const SCORE_PLUGINS: &[(&str, i64)] = &[
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodeResourcesFit", 1),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
];

/// One sentence per plugin: what it checks, for narration.
pub fn explain(plugin: &str) -> &'static str {
    match plugin {
        "SchedulingGates" => "Keeps the pod out of the scheduling queue while spec.schedulingGates lists any gate.",
        "PrioritySort" => "Orders the queue: higher spec.priority first, then the pod that has waited longest.",
        "NodeUnschedulable" => "Rejects nodes marked spec.unschedulable (kubectl cordon) unless the pod tolerates node.kubernetes.io/unschedulable:NoSchedule.",
        "NodeName" => "If the pod names a node in spec.nodeName, only that node fits.",
        "TaintToleration" => "Filters out nodes with a NoSchedule or NoExecute taint the pod does not tolerate; scores nodes down for each untolerated PreferNoSchedule taint.",
        "NodeAffinity" => "Keeps nodes whose labels match the pod's nodeSelector and required node affinity; scores nodes by the weights of the preferred terms they match.",
        "NodePorts" => "Rejects nodes where a hostPort the pod asks for is already taken on the same IP and protocol.",
        "NodeResourcesFit" => "Checks that the node's allocatable cpu, memory, pods and extended resources cover what its pods already request plus this pod's requests; scores emptier nodes higher (LeastAllocated).",
        "VolumeRestrictions" => "Checks volume conflicts such as a ReadWriteOncePod claim already in use.",
        "NodeVolumeLimits" => "Checks the node can attach as many CSI volumes as the pod needs.",
        "VolumeBinding" => "Checks that the pod's PersistentVolumeClaims exist and are bound or can be bound on the node.",
        "VolumeZone" => "Checks that the pod's volumes live in the node's zone.",
        "PodTopologySpread" => "Enforces topologySpreadConstraints (DoNotSchedule) and prefers nodes whose domain holds fewer matching pods, with system defaults for Deployment and Service pods.",
        "InterPodAffinity" => "Enforces required pod affinity and anti-affinity (of this pod and of pods already running) and scores preferred terms.",
        "NodeResourcesBalancedAllocation" => "Prefers nodes whose cpu and memory would be used in similar proportions after placing the pod.",
        "ImageLocality" => "Prefers nodes that already have the pod's container images, weighted by image size and how widely the image is spread.",
        "DefaultPreemption" => "When no node fits, looks for lower-priority pods whose eviction would make room.",
        "DefaultBinder" => "Binds the pod to the chosen node with a Binding (POST pods/<name>/binding).",
        _ => "",
    }
}

/// framework.NoNodeAvailableMsg.
const NO_NODE_AVAILABLE: &str = "0/{} nodes are available";
/// schedule_one.go ErrNoNodesAvailable.
pub const ERR_NO_NODES_AVAILABLE: &str = "no nodes available to schedule pods";
/// DefaultPreemption: node failed with UnschedulableAndUnresolvable.
pub const PREEMPTION_NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
/// SelectVictimsOnNode: nothing of lower priority to evict.
pub const NO_PREEMPTION_VICTIMS: &str = "No preemption victims found for incoming pod";
/// PodEligibleToPreemptOthers.
pub const PREEMPTION_POLICY_NEVER: &str = "not eligible due to preemptionPolicy=Never.";

/// minFeasibleNodesToFind / minFeasibleNodesPercentageToFind (schedule_one.go).
const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;

/// numFeasibleNodesToFind: all nodes below 100; otherwise `50 - nodes/125` percent
/// (at least 5 %), and never fewer than 100 nodes.
pub fn num_feasible_nodes_to_find(
    percentage_of_nodes_to_score: u32,
    num_all_nodes: usize,
) -> usize {
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND || percentage_of_nodes_to_score >= 100 {
        return num_all_nodes;
    }
    let mut percentage = percentage_of_nodes_to_score as usize;
    if percentage == 0 {
        percentage = 50usize
            .saturating_sub(num_all_nodes / 125)
            .max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
    }
    (num_all_nodes * percentage / 100).max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// The FitError text: `0/N nodes are available: <histogram>.` where each entry is
/// `"<count> <reason>"`, entries sorted as strings; a PreFilter message replaces the
/// histogram; the PostFilter message follows after a space (framework/types.go).
fn fit_error_message<'r>(
    num_all_nodes: usize,
    pre_filter_msg: Option<&str>,
    reasons: impl IntoIterator<Item = &'r str>,
    post_filter_msg: &str,
) -> String {
    let mut msg = NO_NODE_AVAILABLE.replace("{}", &num_all_nodes.to_string()) + ":";
    if let Some(pre) = pre_filter_msg {
        msg.push_str(&format!(" {pre}."));
    } else {
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for r in reasons {
            *counts.entry(r).or_insert(0) += 1;
        }
        let mut entries: Vec<String> = counts.iter().map(|(r, c)| format!("{c} {r}")).collect();
        entries.sort();
        if !entries.is_empty() {
            msg.push_str(&format!(" {}.", entries.join(", ")));
        }
    }
    if !post_filter_msg.is_empty() {
        msg.push(' ');
        msg.push_str(post_filter_msg);
    }
    msg
}

/// Schedules `pod` on `nodes` with the default profile, no other objects and a fresh
/// cursor. See [`schedule_with`].
pub fn schedule(pod: &Value, nodes: &[NodeInfo<'_>], rng: &mut Rng) -> Decision {
    schedule_with(
        pod,
        nodes,
        &ClusterObjects::default(),
        &mut Cursor::default(),
        rng,
    )
}

/// One scheduling cycle on nodes given as [`NodeInfo`]s. See [`schedule_snapshot`].
pub fn schedule_with(
    pod: &Value,
    nodes: &[NodeInfo<'_>],
    objects: &ClusterObjects<'_>,
    cursor: &mut Cursor,
    rng: &mut Rng,
) -> Decision {
    schedule_snapshot(pod, &Snapshot::new(nodes), objects, cursor, rng)
}

/// One scheduling cycle (schedulingCycle → SchedulePod → PostFilter on failure) on a
/// [`Snapshot`], which the caller keeps across cycles for large clusters.
pub fn schedule_snapshot(
    pod: &Value,
    snapshot: &Snapshot,
    objects: &ClusterObjects<'_>,
    cursor: &mut Cursor,
    rng: &mut Rng,
) -> Decision {
    let nodes = &snapshot.nodes;
    let mut decision = Decision {
        num_all_nodes: nodes.len(),
        num_nodes_to_find: 0,
        node_names: snapshot.node_names(),
        filters: Vec::new(),
        scores: Vec::new(),
        outcome: Outcome::Ignored {
            reason: String::new(),
        },
    };

    // The scheduler only watches unbound pods with its own schedulerName.
    let bound = object::str_at(pod, "/spec/nodeName");
    if !bound.is_empty() {
        decision.outcome = Outcome::Ignored {
            reason: format!(
                "spec.nodeName is already set to {bound}; the scheduler skips bound pods"
            ),
        };
        return decision;
    }
    let scheduler_name = object::str_at(pod, "/spec/schedulerName");
    if !scheduler_name.is_empty() && scheduler_name != "default-scheduler" {
        decision.outcome = Outcome::Ignored {
            reason: format!("spec.schedulerName is {scheduler_name}, not default-scheduler"),
        };
        return decision;
    }

    // PreEnqueue: SchedulingGates.
    let gates: Vec<String> = pod
        .at("/spec/schedulingGates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| g.get("name").and_then(Value::as_str))
        .map(String::from)
        .collect();
    if !gates.is_empty() {
        decision.outcome = Outcome::Gated { gates };
        return decision;
    }

    if nodes.is_empty() {
        decision.outcome = Outcome::Unschedulable {
            message: ERR_NO_NODES_AVAILABLE.to_string(),
            preemption: None,
        };
        return decision;
    }

    let views = nodes;

    // PreFilter plugins run in profile order: NodeAffinity before VolumeBinding.
    // PreFilter: NodeAffinity narrows the candidates to the nodes named by matchFields.
    let candidates: Vec<usize> = match node_affinity_prefilter(pod) {
        PreFilterNodes::All => (0..views.len()).collect(),
        PreFilterNodes::Conflict => {
            let preemption = postfilter_message(pod, views);
            decision.outcome = Outcome::PreFilterRejected {
                plugin: "NodeAffinity",
                message: fit_error_message(
                    nodes.len(),
                    Some(plugins::ERR_NODE_AFFINITY_CONFLICT),
                    [],
                    &preemption,
                ),
            };
            return decision;
        }
        PreFilterNodes::Only(names) => (0..views.len())
            .filter(|&i| names.iter().any(|n| *n == views[i].name))
            .collect(),
    };
    // PreFilter: VolumeBinding rejects missing or unbound-immediate claims outright.
    if let Some(message) = volume_binding_prefilter(pod, objects) {
        let preemption = postfilter_message(pod, views);
        decision.outcome = Outcome::PreFilterRejected {
            plugin: "VolumeBinding",
            message: fit_error_message(nodes.len(), Some(&message), [], &preemption),
        };
        return decision;
    }
    let narrowed = candidates.len() < views.len();
    let absent_reason = "node(s) didn't satisfy plugin(s) [NodeAffinity]";

    let state = FilterState::new(pod, views);
    let has_pvcs = pod_pvc_names(pod).next().is_some();

    // Filter, from the rotating start index, until enough feasible nodes are found.
    let num_to_find =
        num_feasible_nodes_to_find(cursor.percentage_of_nodes_to_score, candidates.len());
    decision.num_nodes_to_find = num_to_find;
    let mut feasible: Vec<usize> = Vec::new();
    let mut failed: Vec<(usize, Vec<String>, bool)> = Vec::new();
    let start = if candidates.is_empty() {
        0
    } else {
        cursor.next_start_node_index % candidates.len()
    };
    for k in 0..candidates.len() {
        if feasible.len() >= num_to_find {
            break;
        }
        let idx = candidates[(start + k) % candidates.len()];
        let row = run_filters(&state, idx, &views[idx], has_pvcs);
        match row.failure() {
            Some((_, f)) => failed.push((idx, f.reasons.clone(), f.unresolvable)),
            None => feasible.push(idx),
        }
        decision.filters.push(row);
    }
    let processed = feasible.len() + failed.len();
    cursor.next_start_node_index = (cursor.next_start_node_index + processed) % nodes.len();

    if feasible.is_empty() {
        let absent = nodes.len() - failed.len();
        let reasons = failed
            .iter()
            .flat_map(|(_, r, _)| r.iter().map(String::as_str))
            .chain(std::iter::repeat_n(
                absent_reason,
                if narrowed { absent } else { 0 },
            ));
        let statuses: Vec<(usize, bool)> = failed.iter().map(|(i, _, u)| (*i, *u)).collect();
        let (post, preemption) = preempt(pod, views, &statuses, &state);
        decision.outcome = Outcome::Unschedulable {
            message: fit_error_message(nodes.len(), None, reasons, &post),
            preemption,
        };
        return decision;
    }
    if feasible.len() == 1 {
        decision.outcome = Outcome::Bound {
            node: views[feasible[0]].name.clone(),
        };
        return decision;
    }

    decision.scores = score_nodes(pod, objects, views, &feasible);
    decision.outcome = Outcome::Bound {
        node: select_host(&decision, rng),
    };
    decision
}

/// Runs the Filter plugins in order on one node (`index` in the snapshot), stopping at
/// the first failure.
fn run_filters(state: &FilterState<'_>, index: usize, n: &NodeView, has_pvcs: bool) -> NodeFilter {
    let pod = state.pod;
    let mut row = NodeFilter {
        node: u32::try_from(index).unwrap_or(u32::MAX),
        ran: 0,
        skipped: 0,
        failure: None,
    };
    for (i, &plugin) in FILTER_PLUGINS.iter().enumerate() {
        let verdict = match plugin {
            "NodeUnschedulable" => Some(plugins::node_unschedulable(pod, n)),
            "NodeName" => Some(plugins::node_name(pod, n)),
            "TaintToleration" => Some(plugins::taint_toleration(pod, n)),
            "NodeAffinity" => state.node_affinity.then(|| plugins::node_affinity(pod, n)),
            "NodePorts" => state.host_ports.as_ref().map(|p| plugins::node_ports(p, n)),
            "NodeResourcesFit" => Some(plugins::node_resources_fit(&state.requests, n)),
            // Volumes are modelled only as far as PreFilter: a pod with claims passes.
            "VolumeRestrictions" | "NodeVolumeLimits" | "VolumeBinding" | "VolumeZone" => {
                has_pvcs.then_some(Verdict::Pass)
            }
            "PodTopologySpread" => state
                .spread
                .as_ref()
                .map(|s| plugins::pod_topology_spread(pod, s, n)),
            "InterPodAffinity" => state
                .affinity
                .as_ref()
                .map(|s| plugins::inter_pod_affinity(pod, s, n)),
            _ => None,
        };
        row.ran += 1;
        match verdict {
            None => row.skipped |= 1 << i,
            Some(Verdict::Pass) => {}
            Some(Verdict::Fail {
                reasons,
                unresolvable,
            }) => {
                row.failure = Some(Box::new(FilterFailure {
                    reasons,
                    unresolvable,
                }));
                break;
            }
        }
    }
    row
}

/// Runs every Score plugin on the feasible nodes and weights the normalised scores.
fn score_nodes(
    pod: &Value,
    objects: &ClusterObjects<'_>,
    views: &[NodeView],
    feasible: &[usize],
) -> Vec<NodeScore> {
    let nodes: Vec<&NodeView> = feasible.iter().map(|&i| &views[i]).collect();
    // Per plugin: Some((raw, normalised)) or None when skipped.
    let mut columns: Vec<Option<(Vec<i64>, Vec<i64>)>> = Vec::new();
    for &(plugin, _) in SCORE_PLUGINS {
        let col = match plugin {
            "TaintToleration" => {
                let raw = plugins::score_taint_toleration(pod, &nodes);
                let mut norm = raw.clone();
                plugins::default_normalize(&mut norm, true);
                Some((raw, norm))
            }
            "NodeAffinity" => plugins::score_node_affinity(pod, &nodes).map(|raw| {
                let mut norm = raw.clone();
                plugins::default_normalize(&mut norm, false);
                (raw, norm)
            }),
            "NodeResourcesFit" => {
                let raw = plugins::score_least_allocated(pod, &nodes);
                Some((raw.clone(), raw))
            }
            "PodTopologySpread" => plugins::score_pod_topology_spread(pod, objects, views, &nodes),
            "InterPodAffinity" => plugins::score_inter_pod_affinity(pod, views, &nodes),
            "NodeResourcesBalancedAllocation" => {
                plugins::score_balanced_allocation(pod, &nodes).map(|raw| (raw.clone(), raw))
            }
            "ImageLocality" => {
                let raw = plugins::score_image_locality(pod, views, &nodes);
                Some((raw.clone(), raw))
            }
            _ => None,
        };
        columns.push(col);
    }
    feasible
        .iter()
        .enumerate()
        .map(|(row, &index)| {
            let scores = std::array::from_fn(|i| {
                columns
                    .get(i)
                    .and_then(Option::as_ref)
                    .map(|(raw, norm)| (raw[row], norm[row]))
            });
            NodeScore::new(u32::try_from(index).unwrap_or(u32::MAX), scores)
        })
        .collect()
}

/// selectHost: the highest total wins; among equal totals each node is kept with
/// probability 1/k as the k-th tie is met (reservoir sampling), so every tied node is
/// equally likely.
fn select_host(decision: &Decision, rng: &mut Rng) -> String {
    let totals: Vec<i64> = decision.scores.iter().map(NodeScore::total).collect();
    let Some(&best) = totals.iter().max() else {
        return String::new();
    };
    let mut chosen = "";
    let mut ties = 0u64;
    for (s, _) in decision
        .scores
        .iter()
        .zip(&totals)
        .filter(|(_, t)| **t == best)
    {
        ties += 1;
        if ties == 1 || rng.below(ties) == 0 {
            chosen = s.node(decision);
        }
    }
    chosen.to_string()
}

/// Claim names of the pod's volumes (`persistentVolumeClaim.claimName`, and the
/// `<pod>-<volume>` claim of a generic ephemeral volume).
fn pod_pvc_names(pod: &Value) -> impl Iterator<Item = String> + '_ {
    crate::sim::object::at(pod, "/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(move |v| {
            if let Some(c) = v
                .at("/persistentVolumeClaim/claimName")
                .and_then(Value::as_str)
            {
                return Some(c.to_string());
            }
            v.get("ephemeral").map(|_| {
                format!(
                    "{}-{}",
                    object::name(pod),
                    v.get("name").and_then(Value::as_str).unwrap_or("")
                )
            })
        })
}

/// VolumeBinding PreFilter: a missing claim is reported with the apiserver's NotFound
/// text; a claim not yet bound to a volume is an unbound Immediate claim (no
/// StorageClass objects are modelled, so WaitForFirstConsumer does not arise).
fn volume_binding_prefilter(pod: &Value, objects: &ClusterObjects<'_>) -> Option<String> {
    let ns = match object::namespace(pod) {
        "" => "default",
        ns => ns,
    };
    let mut unbound = false;
    for claim in pod_pvc_names(pod) {
        let found = objects.pvcs.iter().find(|p| {
            object::name(p) == claim
                && matches!(object::namespace(p), n if n == ns || (n.is_empty() && ns == "default"))
        });
        match found {
            None => return Some(format!("persistentvolumeclaim \"{claim}\" not found")),
            Some(p) if crate::sim::object::at(p, "/metadata/deletionTimestamp").is_some() => {
                return Some(format!(
                    "persistentvolumeclaim \"{claim}\" is being deleted"
                ))
            }
            Some(p) if object::str_at(p, "/spec/volumeName").is_empty() => unbound = true,
            Some(_) => {}
        }
    }
    unbound.then(|| plugins::ERR_UNBOUND_IMMEDIATE_PVC.to_string())
}

enum PreFilterNodes {
    All,
    Only(Vec<String>),
    Conflict,
}

/// NodeAffinity PreFilter: when every required term names nodes with
/// `matchFields metadata.name In`, only those nodes are filtered (DaemonSet pods).
fn node_affinity_prefilter(pod: &Value) -> PreFilterNodes {
    let Some(terms) = pod
        .at("/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")
        .and_then(Value::as_array)
        .filter(|t| !t.is_empty())
    else {
        return PreFilterNodes::All;
    };
    let mut union: Vec<String> = Vec::new();
    for t in terms {
        let mut term_names: Option<Vec<String>> = None;
        for f in t
            .get("matchFields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if f.get("key").and_then(Value::as_str) != Some("metadata.name")
                || f.get("operator").and_then(Value::as_str) != Some("In")
            {
                continue;
            }
            let values: Vec<String> = f
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect();
            term_names = Some(match term_names {
                None => values,
                Some(prev) => prev.into_iter().filter(|n| values.contains(n)).collect(),
            });
        }
        match term_names {
            // A term without a name requirement lets every node through (terms are ORed).
            None => return PreFilterNodes::All,
            Some(names) => {
                for n in names {
                    if !union.contains(&n) {
                        union.push(n);
                    }
                }
            }
        }
    }
    if union.is_empty() {
        PreFilterNodes::Conflict
    } else {
        PreFilterNodes::Only(union)
    }
}

/// DefaultPreemption's message for a pod that no node fits, before any victim search:
/// used when PreFilter rejected the pod (every node counts as unresolvable).
fn postfilter_message(pod: &Value, views: &[NodeView]) -> String {
    if pod.at("/spec/preemptionPolicy").and_then(Value::as_str) == Some("Never") {
        return format!("preemption: {PREEMPTION_POLICY_NEVER}");
    }
    let reasons = std::iter::repeat_n(PREEMPTION_NOT_HELPFUL, views.len());
    format!(
        "preemption: {}",
        fit_error_message(views.len(), None, reasons, "")
    )
}

/// DefaultPreemption PostFilter. Nodes that failed with UnschedulableAndUnresolvable
/// (or were never filtered) cannot be helped; on the others, every pod of lower
/// priority is removed and the filters run again (SelectVictimsOnNode). If the pod then
/// fits, victims are reprieved from the most important down while it still fits, and the
/// best node is nominated (fewest high-priority victims, lowest priority sum, fewest
/// victims). PodDisruptionBudgets and graceful termination are not modelled.
fn preempt(
    pod: &Value,
    views: &[NodeView],
    statuses: &[(usize, bool)],
    state: &FilterState<'_>,
) -> (String, Option<Preemption>) {
    if pod.at("/spec/preemptionPolicy").and_then(Value::as_str) == Some("Never") {
        return (format!("preemption: {PREEMPTION_POLICY_NEVER}"), None);
    }
    let priority = resources::priority(pod);
    let mut reasons: Vec<String> = Vec::new();
    // Nodes never filtered (narrowed away by PreFilter) are unresolvable.
    let resolvable: Vec<usize> = statuses
        .iter()
        .filter(|(_, u)| !*u)
        .map(|(i, _)| *i)
        .collect();
    let unresolvable = views.len() - resolvable.len();
    reasons.extend(std::iter::repeat_n(
        PREEMPTION_NOT_HELPFUL.to_string(),
        unresolvable,
    ));
    // (node index, victims, highest victim priority, priority sum)
    let mut candidates: Vec<(usize, Vec<PodSummary>, i64, i64)> = Vec::new();
    let has_pvcs = pod_pvc_names(pod).next().is_some();
    for &idx in &resolvable {
        let n = &views[idx];
        let (mut lower, keep): (Vec<PodSummary>, Vec<PodSummary>) =
            n.pods.iter().cloned().partition(|p| p.priority < priority);
        if lower.is_empty() {
            reasons.push(NO_PREEMPTION_VICTIMS.to_string());
            continue;
        }
        let fits = |pods: Vec<PodSummary>| -> NodeFilter {
            let trial = n.with_pods(pods);
            if state.has_cluster_state() {
                // Spread and inter-pod affinity counts change with the removed pods.
                let mut others: Vec<NodeView> = views.to_vec();
                others[idx] = trial.clone();
                let s = FilterState::new(pod, &others);
                run_filters(&s, idx, &trial, has_pvcs)
            } else {
                run_filters(state, idx, &trial, has_pvcs)
            }
        };
        let row = fits(keep.clone());
        if let Some((_, failure)) = row.failure() {
            reasons.extend(failure.reasons.iter().cloned());
            continue;
        }
        // Reprieve: most important first (higher priority), keep each that still fits.
        lower.sort_by_key(|p| std::cmp::Reverse(p.priority));
        let mut kept = keep;
        let mut victims: Vec<PodSummary> = Vec::new();
        for v in lower {
            let mut trial = kept.clone();
            trial.push(v.clone());
            if fits(trial.clone()).feasible() {
                kept = trial;
            } else {
                victims.push(v);
            }
        }
        let highest = victims.iter().map(|p| p.priority).max().unwrap_or(i64::MIN);
        // pickOneNodeForPreemption offsets each priority by MaxInt32+1 before summing.
        let sum: i64 = victims
            .iter()
            .map(|p| p.priority + i64::from(i32::MAX) + 1)
            .sum();
        candidates.push((idx, victims, highest, sum));
    }
    if candidates.is_empty() {
        let msg = fit_error_message(views.len(), None, reasons.iter().map(String::as_str), "");
        return (format!("preemption: {msg}"), None);
    }
    let best = candidates
        .iter()
        .min_by_key(|(_, victims, highest, sum)| (*highest, *sum, victims.len()))
        .map(|(idx, victims, _, _)| Preemption {
            nominated_node: views[*idx].name.clone(),
            victims: victims
                .iter()
                .map(|p| format!("{}/{}", p.namespace, p.name))
                .collect(),
        });
    (String::new(), best)
}
