//! The in-tree plugins of the default profile: their PreFilter state, Filter and Score.
//!
//! Each function mirrors one upstream file under pkg/scheduler/framework/plugins/ and keeps
//! its failure strings and arithmetic (integer division, `int64(float)` truncation,
//! `math.Round`) so the numbers match a real kube-scheduler v1.31–v1.33.

use crate::sim::object::At;
use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::resources::{self, Resources};
use super::selectors::{self, label_selector_matches, labels, pod_tolerates};
use super::ClusterObjects;
use crate::sim::object;

/// framework.MaxNodeScore.
pub const MAX_NODE_SCORE: i64 = 100;

// Failure reasons, word for word from upstream.
/// nodeunschedulable.ErrReasonUnschedulable.
pub const ERR_UNSCHEDULABLE: &str = "node(s) were unschedulable";
/// nodename.ErrReason.
pub const ERR_NODE_NAME: &str = "node(s) didn't match the requested node name";
/// nodeaffinity.ErrReasonPod.
pub const ERR_NODE_AFFINITY: &str = "node(s) didn't match Pod's node affinity/selector";
/// nodeaffinity.errReasonConflict (PreFilter: matchFields terms name no common node).
pub const ERR_NODE_AFFINITY_CONFLICT: &str = "pod affinity terms conflict";
/// nodeports.ErrReason.
pub const ERR_NODE_PORTS: &str = "node(s) didn't have free ports for the requested pod ports";
/// noderesources fitsRequest.
pub const ERR_TOO_MANY_PODS: &str = "Too many pods";
/// podtopologyspread.ErrReasonConstraintsNotMatch.
pub const ERR_SPREAD: &str = "node(s) didn't match pod topology spread constraints";
/// podtopologyspread.ErrReasonNodeLabelNotMatch.
pub const ERR_SPREAD_LABEL: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";
/// interpodaffinity.ErrReasonAffinityRulesNotMatch.
pub const ERR_AFFINITY: &str = "node(s) didn't match pod affinity rules";
/// interpodaffinity.ErrReasonAntiAffinityRulesNotMatch.
pub const ERR_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
/// interpodaffinity.ErrReasonExistingAntiAffinityRulesNotMatch.
pub const ERR_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
/// volumebinding PreFilter, unbound claims with Immediate binding mode.
pub const ERR_UNBOUND_IMMEDIATE_PVC: &str = "pod has unbound immediate PersistentVolumeClaims";

/// kubernetes.io/hostname (v1.LabelHostname).
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// topology.kubernetes.io/zone (v1.LabelTopologyZone).
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";

/// What a plugin said about one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// `unresolvable` is framework.UnschedulableAndUnresolvable: preemption cannot help.
    Fail {
        reasons: Vec<String>,
        unresolvable: bool,
    },
}

impl Verdict {
    fn fail(reason: impl Into<String>, unresolvable: bool) -> Verdict {
        Verdict::Fail {
            reasons: vec![reason.into()],
            unresolvable,
        }
    }
}

/// What the plugins need to know about a pod already on a node, extracted once when the
/// pod enters the [`super::Snapshot`] so that a scheduling cycle does not re-read JSON.
#[derive(Clone, Debug)]
pub struct PodSummary {
    pub name: String,
    pub namespace: String,
    labels: Map<String, Value>,
    pub priority: i64,
    requests: Resources,
    non_zero_requests: Resources,
    host_ports: Vec<HostPort>,
    /// Parsed inter-pod affinity terms, when the pod has any (NodeInfo.PodsWithAffinity).
    affinity: Option<PodAffinity>,
    /// `metadata.deletionTimestamp` is set.
    terminating: bool,
}

impl PodSummary {
    pub fn new(pod: &Value) -> Self {
        PodSummary {
            name: object::name(pod).to_string(),
            namespace: pod_namespace(pod).to_string(),
            labels: labels(pod).cloned().unwrap_or_default(),
            priority: resources::priority(pod),
            requests: resources::pod_requests(pod, false),
            non_zero_requests: resources::pod_requests(pod, true),
            host_ports: host_ports(pod),
            affinity: has_pod_affinity(pod).then(|| PodAffinity::of(pod)),
            terminating: crate::sim::object::at(pod, "/metadata/deletionTimestamp").is_some(),
        }
    }
}

/// A node as the scheduler cache sees it (framework.NodeInfo): its object, its live pods
/// and their totals, and the images it holds.
#[derive(Clone, Debug)]
pub struct NodeView {
    pub node: Value,
    pub name: String,
    pub pods: Vec<PodSummary>,
    pub allocatable: Resources,
    pub allowed_pods: i128,
    pub requested: Resources,
    pub non_zero_requested: Resources,
    /// `status.images`: every name of every image, with its size.
    pub images: BTreeMap<String, i64>,
    /// `metadata.labels`, read once: plugins look labels up on every node every cycle.
    labels: serde_json::Map<String, Value>,
    /// How many of `pods` match a (namespace, selector), by [`selector_key`]: PodTopologySpread
    /// counts matching pods on every node in every cycle, and a node's pods change far less
    /// often than cycles run. Cleared whenever `pods` changes.
    matching: std::cell::RefCell<BTreeMap<String, i64>>,
}

impl NodeView {
    pub fn new(node: &Value) -> Self {
        let (allocatable, allowed_pods) = resources::allocatable(node);
        let mut images = BTreeMap::new();
        for img in node
            .at("/status/images")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let size = img.get("sizeBytes").and_then(Value::as_i64).unwrap_or(0);
            for name in img
                .get("names")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = name.as_str() {
                    images.insert(name.to_string(), size);
                }
            }
        }
        NodeView {
            node: node.clone(),
            labels: labels(node).cloned().unwrap_or_default(),
            name: object::name(node).to_string(),
            pods: Vec::new(),
            allocatable,
            allowed_pods,
            requested: Resources::default(),
            non_zero_requested: Resources::default(),
            images,
            matching: Default::default(),
        }
    }

    pub fn add_pod(&mut self, pod: PodSummary) {
        self.matching.get_mut().clear();
        self.requested.add(&pod.requests);
        self.non_zero_requested.add(&pod.non_zero_requests);
        self.pods.push(pod);
    }

    /// The same node with only `pods` on it (a preemption dry run).
    pub fn with_pods(&self, pods: Vec<PodSummary>) -> Self {
        let mut v = self.clone_empty();
        for p in pods {
            v.add_pod(p);
        }
        v
    }

    fn clone_empty(&self) -> Self {
        NodeView {
            node: self.node.clone(),
            name: self.name.clone(),
            pods: Vec::new(),
            allocatable: self.allocatable.clone(),
            allowed_pods: self.allowed_pods,
            requested: Resources::default(),
            non_zero_requested: Resources::default(),
            images: self.images.clone(),
            labels: self.labels.clone(),
            matching: Default::default(),
        }
    }

    fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).and_then(Value::as_str)
    }
}

fn pod_namespace(pod: &Value) -> &str {
    match object::namespace(pod) {
        "" => "default",
        ns => ns,
    }
}

fn taints(node: &Value) -> &[Value] {
    crate::sim::object::at(node, "/spec/taints")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn taint_effect(taint: &Value) -> &str {
    taint.get("effect").and_then(Value::as_str).unwrap_or("")
}

// ---------------------------------------------------------------------------------------
// Pod affinity terms (framework.AffinityTerm)

#[derive(Clone, Debug)]
pub struct AffinityTerm {
    namespaces: Vec<String>,
    namespace_selector: Option<Value>,
    selector: Option<Value>,
    topology_key: String,
    weight: i64,
}

impl AffinityTerm {
    fn parse(owner: &Value, term: &Value, weight: i64) -> AffinityTerm {
        let mut namespaces: Vec<String> = term
            .get("namespaces")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        let namespace_selector = term
            .get("namespaceSelector")
            .filter(|v| !v.is_null())
            .cloned();
        // getNamespacesFromPodAffinityTerm: no namespaces and no selector = the owner's namespace.
        if namespaces.is_empty() && namespace_selector.is_none() {
            namespaces.push(pod_namespace(owner).to_string());
        }
        AffinityTerm {
            namespaces,
            namespace_selector,
            selector: term.get("labelSelector").filter(|v| !v.is_null()).cloned(),
            topology_key: term
                .get("topologyKey")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            weight,
        }
    }

    /// AffinityTerm.Matches. Namespace labels are not modelled beyond the automatic
    /// `kubernetes.io/metadata.name` label every namespace carries.
    fn matches(&self, pod: &Value) -> bool {
        self.matches_labels(pod_namespace(pod), labels(pod))
    }

    fn matches_summary(&self, pod: &PodSummary) -> bool {
        self.matches_labels(&pod.namespace, Some(&pod.labels))
    }

    fn matches_labels(&self, ns: &str, pod_labels: Option<&Map<String, Value>>) -> bool {
        let ns_labels = json!({"kubernetes.io/metadata.name": ns});
        let ns_ok = self.namespaces.iter().any(|n| n == ns)
            || label_selector_matches(self.namespace_selector.as_ref(), ns_labels.as_object());
        ns_ok && label_selector_matches(self.selector.as_ref(), pod_labels)
    }
}

/// A pod's inter-pod affinity terms (framework.PodInfo).
#[derive(Clone, Debug, Default)]
pub struct PodAffinity {
    pub required_affinity: Vec<AffinityTerm>,
    pub required_anti: Vec<AffinityTerm>,
    pub preferred_affinity: Vec<AffinityTerm>,
    pub preferred_anti: Vec<AffinityTerm>,
}

impl PodAffinity {
    pub fn of(pod: &Value) -> PodAffinity {
        let required = |path: &str| -> Vec<AffinityTerm> {
            crate::sim::object::at(pod, path)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|t| AffinityTerm::parse(pod, t, 1))
                .collect()
        };
        let preferred = |path: &str| -> Vec<AffinityTerm> {
            crate::sim::object::at(pod, path)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|w| {
                    let weight = w.get("weight").and_then(Value::as_i64).unwrap_or(0);
                    let term = w.get("podAffinityTerm")?;
                    Some(AffinityTerm::parse(pod, term, weight))
                })
                .collect()
        };
        PodAffinity {
            required_affinity: required(
                "/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution",
            ),
            required_anti: required(
                "/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution",
            ),
            preferred_affinity: preferred(
                "/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution",
            ),
            preferred_anti: preferred(
                "/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution",
            ),
        }
    }
}

fn has_pod_affinity(pod: &Value) -> bool {
    crate::sim::object::at(pod, "/spec/affinity/podAffinity").is_some()
        || crate::sim::object::at(pod, "/spec/affinity/podAntiAffinity").is_some()
}

type TopologyCounts = BTreeMap<(String, String), i64>;

// ---------------------------------------------------------------------------------------
// Topology spread constraints

#[derive(Clone, Debug)]
pub struct SpreadConstraint {
    pub max_skew: i64,
    pub topology_key: String,
    pub selector: Option<Value>,
    pub min_domains: Option<i64>,
    honor_node_affinity: bool,
    honor_taints: bool,
}

impl SpreadConstraint {
    /// matchNodeInclusionPolicies: nodeAffinityPolicy defaults to Honor, nodeTaintsPolicy to Ignore.
    fn includes_node(
        &self,
        required: &selectors::RequiredNodeAffinity<'_>,
        pod: &Value,
        node: &Value,
    ) -> bool {
        if self.honor_node_affinity && !required.matches(node) {
            return false;
        }
        if self.honor_taints
            && taints(node).iter().any(|t| {
                matches!(taint_effect(t), "NoSchedule" | "NoExecute") && !pod_tolerates(pod, t)
            })
        {
            return false;
        }
        true
    }
}

/// The pod's own constraints with `whenUnsatisfiable == action` (filterTopologySpreadConstraints),
/// `matchLabelKeys` merged into the selector.
fn pod_spread_constraints(pod: &Value, action: &str) -> Vec<SpreadConstraint> {
    let pod_labels = labels(pod);
    crate::sim::object::at(pod, "/spec/topologySpreadConstraints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| c.get("whenUnsatisfiable").and_then(Value::as_str) == Some(action))
        .map(|c| {
            let mut selector = c.get("labelSelector").filter(|v| !v.is_null()).cloned();
            let keys = c.get("matchLabelKeys").and_then(Value::as_array);
            if let (Some(sel), Some(keys)) = (selector.as_mut(), keys) {
                for key in keys.iter().filter_map(Value::as_str) {
                    if let Some(v) = pod_labels.and_then(|l| l.get(key)) {
                        if let Some(obj) = sel.as_object_mut() {
                            let exprs = obj
                                .entry("matchExpressions")
                                .or_insert_with(|| Value::Array(vec![]));
                            if let Some(a) = exprs.as_array_mut() {
                                a.push(json!({"key": key, "operator": "In", "values": [v]}));
                            }
                        }
                    }
                }
            }
            SpreadConstraint {
                max_skew: c.get("maxSkew").and_then(Value::as_i64).unwrap_or(1),
                topology_key: c
                    .get("topologyKey")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                selector,
                min_domains: c.get("minDomains").and_then(Value::as_i64),
                honor_node_affinity: c.get("nodeAffinityPolicy").and_then(Value::as_str)
                    != Some("Ignore"),
                honor_taints: c.get("nodeTaintsPolicy").and_then(Value::as_str) == Some("Honor"),
            }
        })
        .collect()
}

/// helper.DefaultSelector: the selectors of the Services that select the pod, merged
/// with the selector of its controlling ReplicaSet, ReplicationController or StatefulSet.
fn default_selector(pod: &Value, objects: &ClusterObjects<'_>) -> Option<Value> {
    let ns = pod_namespace(pod);
    let pod_labels = labels(pod);
    let mut match_labels = Map::new();
    let mut match_expressions: Vec<Value> = Vec::new();
    for svc in &objects.services {
        if object::kind(svc) != "Service" || pod_namespace(svc) != ns {
            continue;
        }
        let Some(sel) = crate::sim::object::at(svc, "/spec/selector").and_then(Value::as_object)
        else {
            continue;
        };
        let matches = sel
            .iter()
            .all(|(k, v)| pod_labels.and_then(|l| l.get(k)) == Some(v));
        if matches {
            for (k, v) in sel {
                match_labels.insert(k.clone(), v.clone());
            }
        }
    }
    let owner = pod
        .at("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true));
    if let Some(owner) = owner {
        let kind = owner.get("kind").and_then(Value::as_str).unwrap_or("");
        let name = owner.get("name").and_then(Value::as_str).unwrap_or("");
        let found = objects
            .owners
            .iter()
            .find(|o| object::kind(o) == kind && object::name(o) == name && pod_namespace(o) == ns);
        match (kind, found) {
            ("ReplicationController", Some(rc)) => {
                for (k, v) in rc
                    .at("/spec/selector")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    match_labels.insert(k.clone(), v.clone());
                }
            }
            ("ReplicaSet" | "StatefulSet", Some(o)) => {
                if let Some(sel) = crate::sim::object::at(o, "/spec/selector") {
                    for (k, v) in sel
                        .get("matchLabels")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                    {
                        match_labels.insert(k.clone(), v.clone());
                    }
                    if let Some(e) = sel.get("matchExpressions").and_then(Value::as_array) {
                        match_expressions.extend(e.iter().cloned());
                    }
                }
            }
            _ => {}
        }
    }
    if match_labels.is_empty() && match_expressions.is_empty() {
        return None;
    }
    Some(json!({"matchLabels": match_labels, "matchExpressions": match_expressions}))
}

/// countPodsMatchSelector: pods in the namespace, not terminating, matching the selector.
/// The memo key of a (namespace, selector) pair for [`NodeView`]'s matching counts.
fn selector_key(selector: Option<&Value>, ns: &str) -> String {
    format!(
        "{ns}\n{}",
        selector.map(Value::to_string).unwrap_or_default()
    )
}

/// [`count_matching`] on a node's pods, memoised on the node under `key`
/// ([`selector_key`] of the same selector and namespace).
fn count_matching_on(n: &NodeView, selector: Option<&Value>, ns: &str, key: &str) -> i64 {
    if let Some(count) = n.matching.borrow().get(key) {
        return *count;
    }
    let count = count_matching(&n.pods, selector, ns);
    n.matching.borrow_mut().insert(key.to_string(), count);
    count
}

fn count_matching(pods: &[PodSummary], selector: Option<&Value>, ns: &str) -> i64 {
    if selector.is_none() || selectors::label_selector_is_empty(selector) {
        return 0;
    }
    pods.iter()
        .filter(|p| {
            !p.terminating && p.namespace == ns && label_selector_matches(selector, Some(&p.labels))
        })
        .count() as i64
}

// ---------------------------------------------------------------------------------------
// PreFilter: everything computed once per scheduling cycle

/// Host ports the pod asks for (NodePorts PreFilter): (hostIP, protocol, hostPort).
type HostPort = (String, String, i64);

fn host_ports(pod: &Value) -> Vec<HostPort> {
    let host_network = pod
        .at("/spec/hostNetwork")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut out = Vec::new();
    for c in pod
        .at("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for p in c
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let mut host_port = p.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
            // Defaulting: with hostNetwork the host port is the container port.
            if host_network && host_port == 0 {
                host_port = p.get("containerPort").and_then(Value::as_i64).unwrap_or(0);
            }
            if host_port <= 0 {
                continue;
            }
            // HostPortInfo sanitize: empty IP = 0.0.0.0, empty protocol = TCP.
            let ip = match p.get("hostIP").and_then(Value::as_str).unwrap_or("") {
                "" => "0.0.0.0",
                ip => ip,
            };
            let proto = match p.get("protocol").and_then(Value::as_str).unwrap_or("") {
                "" => "TCP",
                pr => pr,
            };
            out.push((ip.to_string(), proto.to_string(), host_port));
        }
    }
    out
}

/// Per-cycle state for the hard (DoNotSchedule) spread constraints.
pub struct SpreadFilterState {
    constraints: Vec<SpreadConstraint>,
    /// Per constraint: topology value -> matching pods.
    counts: Vec<BTreeMap<String, i64>>,
}

/// Per-cycle state for required inter-pod (anti-)affinity.
pub struct AffinityFilterState {
    terms: PodAffinity,
    affinity_counts: TopologyCounts,
    anti_affinity_counts: TopologyCounts,
    existing_anti_affinity_counts: TopologyCounts,
}

/// Everything the Filter plugins precompute for one pod (their PreFilter results). A
/// `None` state means the plugin's PreFilter returned Skip, so its Filter does not run.
pub struct FilterState<'p> {
    pub pod: &'p Value,
    pub requests: Resources,
    pub host_ports: Option<Vec<HostPort>>,
    pub node_affinity: bool,
    pub spread: Option<SpreadFilterState>,
    pub affinity: Option<AffinityFilterState>,
}

impl<'p> FilterState<'p> {
    pub fn new(pod: &'p Value, nodes: &[NodeView]) -> Self {
        let ports = host_ports(pod);
        let node_affinity = crate::sim::object::at(pod, "/spec/nodeSelector").is_some()
            || pod
                .at("/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution")
                .is_some();
        FilterState {
            pod,
            requests: resources::pod_requests(pod, false),
            host_ports: (!ports.is_empty()).then_some(ports),
            node_affinity,
            spread: spread_prefilter(pod, nodes),
            affinity: affinity_prefilter(pod, nodes),
        }
    }

    /// Whether the cluster-wide parts (spread, inter-pod affinity) are in play, which
    /// means a change of pods on one node can change the verdict on another.
    pub fn has_cluster_state(&self) -> bool {
        self.spread.is_some() || self.affinity.is_some()
    }
}

fn spread_prefilter(pod: &Value, nodes: &[NodeView]) -> Option<SpreadFilterState> {
    let constraints = pod_spread_constraints(pod, "DoNotSchedule");
    if constraints.is_empty() {
        return None;
    }
    let ns = pod_namespace(pod);
    let required = selectors::RequiredNodeAffinity::of(pod);
    let mut counts = vec![BTreeMap::new(); constraints.len()];
    for n in nodes {
        // nodeLabelsMatchSpreadConstraints: the node must carry every topology key.
        if constraints
            .iter()
            .any(|c| n.label(&c.topology_key).is_none())
        {
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            if !c.includes_node(&required, pod, &n.node) {
                continue;
            }
            let value = n.label(&c.topology_key).unwrap_or("").to_string();
            *counts[i].entry(value).or_insert(0) +=
                count_matching(&n.pods, c.selector.as_ref(), ns);
        }
    }
    Some(SpreadFilterState {
        constraints,
        counts,
    })
}

fn add_pair(m: &mut TopologyCounts, node: &NodeView, key: &str, by: i64) {
    if let Some(v) = node.label(key) {
        *m.entry((key.to_string(), v.to_string())).or_insert(0) += by;
    }
}

fn affinity_prefilter(pod: &Value, nodes: &[NodeView]) -> Option<AffinityFilterState> {
    let terms = PodAffinity::of(pod);
    let mut existing_anti = TopologyCounts::new();
    let mut affinity_counts = TopologyCounts::new();
    let mut anti_counts = TopologyCounts::new();
    let has_required = !terms.required_affinity.is_empty() || !terms.required_anti.is_empty();
    for n in nodes {
        for existing in &n.pods {
            if let Some(existing_terms) = &existing.affinity {
                for t in &existing_terms.required_anti {
                    if t.matches(pod) {
                        add_pair(&mut existing_anti, n, &t.topology_key, 1);
                    }
                }
            }
            if !has_required {
                continue;
            }
            if !terms.required_affinity.is_empty()
                && terms
                    .required_affinity
                    .iter()
                    .all(|t| t.matches_summary(existing))
            {
                for t in &terms.required_affinity {
                    add_pair(&mut affinity_counts, n, &t.topology_key, 1);
                }
            }
            for t in &terms.required_anti {
                if t.matches_summary(existing) {
                    add_pair(&mut anti_counts, n, &t.topology_key, 1);
                }
            }
        }
    }
    // Upstream drops zero entries implicitly (it only ever adds); "no counts" skips.
    if existing_anti.is_empty() && !has_required {
        return None;
    }
    Some(AffinityFilterState {
        terms,
        affinity_counts,
        anti_affinity_counts: anti_counts,
        existing_anti_affinity_counts: existing_anti,
    })
}

// ---------------------------------------------------------------------------------------
// Filters

/// NodeUnschedulable: `spec.unschedulable` nodes, unless the pod tolerates
/// `node.kubernetes.io/unschedulable:NoSchedule`.
pub fn node_unschedulable(pod: &Value, n: &NodeView) -> Verdict {
    let unschedulable = n
        .node
        .at("/spec/unschedulable")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let taint = json!({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"});
    if unschedulable && !pod_tolerates(pod, &taint) {
        return Verdict::fail(ERR_UNSCHEDULABLE, true);
    }
    Verdict::Pass
}

/// NodeName: `spec.nodeName`, when set, must be this node.
pub fn node_name(pod: &Value, n: &NodeView) -> Verdict {
    let want = object::str_at(pod, "/spec/nodeName");
    if !want.is_empty() && want != n.name {
        return Verdict::fail(ERR_NODE_NAME, true);
    }
    Verdict::Pass
}

/// TaintToleration: the first NoSchedule/NoExecute taint the pod does not tolerate
/// (FindMatchingUntoleratedTaint with DoNotScheduleTaintsFilterFunc), reported with the
/// v1.29–v1.33 text `{key: value}`.
pub fn taint_toleration(pod: &Value, n: &NodeView) -> Verdict {
    for t in taints(&n.node) {
        if matches!(taint_effect(t), "NoSchedule" | "NoExecute") && !pod_tolerates(pod, t) {
            let key = t.get("key").and_then(Value::as_str).unwrap_or("");
            let value = t.get("value").and_then(Value::as_str).unwrap_or("");
            return Verdict::fail(
                format!("node(s) had untolerated taint {{{key}: {value}}}"),
                true,
            );
        }
    }
    Verdict::Pass
}

/// NodeAffinity: `spec.nodeSelector` and required node affinity.
pub fn node_affinity(pod: &Value, n: &NodeView) -> Verdict {
    if !selectors::required_node_affinity_matches(pod, &n.node) {
        return Verdict::fail(ERR_NODE_AFFINITY, true);
    }
    Verdict::Pass
}

/// NodePorts: HostPortInfo.CheckConflict against every port used by the node's pods.
pub fn node_ports(wanted: &[HostPort], n: &NodeView) -> Verdict {
    let used: Vec<&HostPort> = n.pods.iter().flat_map(|p| &p.host_ports).collect();
    for (ip, proto, port) in wanted {
        let conflict = used.iter().any(|(uip, uproto, uport)| {
            uproto == proto && uport == port && (ip == "0.0.0.0" || uip == "0.0.0.0" || uip == ip)
        });
        if conflict {
            return Verdict::fail(ERR_NODE_PORTS, false);
        }
    }
    Verdict::Pass
}

/// NodeResourcesFit (fitsRequest): every reason is kept, so one node can be short of
/// several resources at once. In v1.31–v1.33 this is Unschedulable (resolvable), even
/// when the request exceeds the node's whole allocatable.
pub fn node_resources_fit(req: &Resources, n: &NodeView) -> Verdict {
    let mut reasons = Vec::new();
    if n.pods.len() as i128 + 1 > n.allowed_pods {
        reasons.push(ERR_TOO_MANY_PODS.to_string());
    }
    if !req.is_zero() {
        let checks = [
            (
                "cpu",
                req.milli_cpu,
                n.allocatable.milli_cpu,
                n.requested.milli_cpu,
            ),
            (
                "memory",
                req.memory,
                n.allocatable.memory,
                n.requested.memory,
            ),
            (
                "ephemeral-storage",
                req.ephemeral_storage,
                n.allocatable.ephemeral_storage,
                n.requested.ephemeral_storage,
            ),
        ];
        for (name, want, alloc, used) in checks {
            if alloc < want + used {
                reasons.push(format!("Insufficient {name}"));
            }
        }
        for (name, want) in &req.scalar {
            if n.allocatable.get(name) < want + n.requested.get(name) {
                reasons.push(format!("Insufficient {name}"));
            }
        }
    }
    if reasons.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail {
            reasons,
            unresolvable: false,
        }
    }
}

/// PodTopologySpread Filter for DoNotSchedule constraints:
/// `matching pods in this domain + (1 if the pod matches itself) - global minimum <= maxSkew`.
pub fn pod_topology_spread(pod: &Value, s: &SpreadFilterState, n: &NodeView) -> Verdict {
    for (i, c) in s.constraints.iter().enumerate() {
        let Some(value) = n.label(&c.topology_key) else {
            return Verdict::fail(ERR_SPREAD_LABEL, true);
        };
        let counts = &s.counts[i];
        let domains = counts.len() as i64;
        let mut min = counts
            .values()
            .copied()
            .min()
            .unwrap_or(i64::from(i32::MAX));
        if c.min_domains.is_some_and(|m| domains < m) {
            min = 0;
        }
        let self_match = i64::from(label_selector_matches(c.selector.as_ref(), labels(pod)));
        let match_num = counts.get(value).copied().unwrap_or(0);
        if match_num + self_match - min > c.max_skew {
            return Verdict::fail(ERR_SPREAD, false);
        }
    }
    Verdict::Pass
}

/// InterPodAffinity Filter: required affinity, then required anti-affinity, then the
/// anti-affinity of pods already running.
pub fn inter_pod_affinity(pod: &Value, s: &AffinityFilterState, n: &NodeView) -> Verdict {
    // satisfyPodAffinity
    let mut pods_exist = true;
    for t in &s.terms.required_affinity {
        match n.label(&t.topology_key) {
            Some(v) => {
                let pair = (t.topology_key.clone(), v.to_string());
                if s.affinity_counts.get(&pair).copied().unwrap_or(0) <= 0 {
                    pods_exist = false;
                }
            }
            None => return Verdict::fail(ERR_AFFINITY, true),
        }
    }
    if !pods_exist {
        // The first pod of a group with affinity to itself may go anywhere that has the labels.
        let self_ok = s.affinity_counts.is_empty()
            && s.terms.required_affinity.iter().all(|t| t.matches(pod));
        if !self_ok {
            return Verdict::fail(ERR_AFFINITY, true);
        }
    }
    // satisfyPodAntiAffinity
    for t in &s.terms.required_anti {
        if let Some(v) = n.label(&t.topology_key) {
            let pair = (t.topology_key.clone(), v.to_string());
            if s.anti_affinity_counts.get(&pair).copied().unwrap_or(0) > 0 {
                return Verdict::fail(ERR_ANTI_AFFINITY, false);
            }
        }
    }
    // satisfyExistingPodsAntiAffinity
    if let Some(node_labels) = labels(&n.node) {
        for (k, v) in node_labels {
            let pair = (k.clone(), v.as_str().unwrap_or("").to_string());
            if s.existing_anti_affinity_counts
                .get(&pair)
                .copied()
                .unwrap_or(0)
                > 0
            {
                return Verdict::fail(ERR_EXISTING_ANTI_AFFINITY, false);
            }
        }
    }
    Verdict::Pass
}

// ---------------------------------------------------------------------------------------
// Scores. Each returns raw scores for the feasible nodes, or None when its PreScore
// returns Skip (the plugin then contributes nothing).

/// helper.DefaultNormalizeScore.
pub fn default_normalize(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0).max(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = MAX_NODE_SCORE);
        }
        return;
    }
    for s in scores.iter_mut() {
        let mut v = MAX_NODE_SCORE * *s / max;
        if reverse {
            v = MAX_NODE_SCORE - v;
        }
        *s = v;
    }
}

/// TaintToleration Score: the number of PreferNoSchedule taints not tolerated by the
/// pod's tolerations with an empty or PreferNoSchedule effect.
pub fn score_taint_toleration(pod: &Value, nodes: &[&NodeView]) -> Vec<i64> {
    let tolerations: Vec<&Value> = pod
        .at("/spec/tolerations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| matches!(taint_effect(t), "" | "PreferNoSchedule"))
        .collect();
    nodes
        .iter()
        .map(|n| {
            taints(&n.node)
                .iter()
                .filter(|t| taint_effect(t) == "PreferNoSchedule")
                .filter(|t| !tolerations.iter().any(|tol| selectors::tolerates(tol, t)))
                .count() as i64
        })
        .collect()
}

/// NodeAffinity Score: the sum of the weights of the preferred terms the node matches.
pub fn score_node_affinity(pod: &Value, nodes: &[&NodeView]) -> Option<Vec<i64>> {
    let terms = pod
        .at("/spec/affinity/nodeAffinity/preferredDuringSchedulingIgnoredDuringExecution")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())?;
    Some(
        nodes
            .iter()
            .map(|n| {
                terms
                    .iter()
                    .filter_map(|t| {
                        let w = t.get("weight").and_then(Value::as_i64).unwrap_or(0);
                        let pref = t.get("preference")?;
                        (w != 0 && selectors::node_selector_term_matches(pref, &n.node))
                            .then_some(w)
                    })
                    .sum()
            })
            .collect(),
    )
}

/// The (requested, allocatable) pairs for cpu and memory (resourceAllocationScorer).
fn cpu_memory(req: &Resources, used: &Resources, n: &NodeView) -> [(i128, i128); 2] {
    [
        (used.milli_cpu + req.milli_cpu, n.allocatable.milli_cpu),
        (used.memory + req.memory, n.allocatable.memory),
    ]
}

/// NodeResourcesFit Score, LeastAllocated with cpu:1 memory:1: per resource
/// `(allocatable - requested) * 100 / allocatable`, averaged by weight. Requests use the
/// non-zero defaults (100m / 200Mi for containers without requests).
pub fn score_least_allocated(pod: &Value, nodes: &[&NodeView]) -> Vec<i64> {
    let req = resources::pod_requests(pod, true);
    nodes
        .iter()
        .map(|n| {
            let (mut sum, mut weights) = (0i128, 0i128);
            for (requested, alloc) in cpu_memory(&req, &n.non_zero_requested, n) {
                if alloc == 0 {
                    continue;
                }
                let s = if requested > alloc {
                    0
                } else {
                    (alloc - requested) * MAX_NODE_SCORE as i128 / alloc
                };
                sum += s;
                weights += 1;
            }
            if weights == 0 {
                0
            } else {
                (sum / weights) as i64
            }
        })
        .collect()
}

/// NodeResourcesBalancedAllocation Score: `(1 - |f_cpu - f_mem| / 2) * 100` with
/// `f = requested / allocatable` capped at 1, on real requests (no non-zero defaults).
/// v1.33 skips best-effort pods (PR #130260, issue #129138); v1.31/v1.32 scored them.
pub fn score_balanced_allocation(pod: &Value, nodes: &[&NodeView]) -> Option<Vec<i64>> {
    let req = resources::pod_requests(pod, false);
    if req.milli_cpu == 0 && req.memory == 0 {
        return None;
    }
    Some(
        nodes
            .iter()
            .map(|n| {
                let fractions: Vec<f64> = cpu_memory(&req, &n.requested, n)
                    .iter()
                    .filter(|(_, alloc)| *alloc != 0)
                    .map(|(r, a)| (*r as f64 / *a as f64).min(1.0))
                    .collect();
                let std = if fractions.len() == 2 {
                    ((fractions[0] - fractions[1]) / 2.0).abs()
                } else {
                    0.0
                };
                ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
            })
            .collect(),
    )
}

/// imagelocality.normalizedImageName: only a missing tag is filled in (`:latest`); no
/// registry or `library/` prefix is added, so `nginx` does not match a node image listed
/// as `docker.io/library/nginx:latest`.
pub fn normalized_image_name(name: &str) -> String {
    if name.rfind(':').map_or(-1, |i| i as i64) <= name.rfind('/').map_or(-1, |i| i as i64) {
        format!("{name}:latest")
    } else {
        name.to_string()
    }
}

const MB: i64 = 1024 * 1024;
/// imagelocality minThreshold.
pub const IMAGE_MIN_THRESHOLD: i64 = 23 * MB;
/// imagelocality maxContainerThreshold.
pub const IMAGE_MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// ImageLocality Score: Σ size × (nodes having the image / all nodes) over the pod's
/// init and app containers, clamped to [23 MiB, 1000 MiB × containers] and scaled to 0–100.
pub fn score_image_locality(pod: &Value, all: &[NodeView], nodes: &[&NodeView]) -> Vec<i64> {
    let images: Vec<String> = ["/spec/initContainers", "/spec/containers"]
        .iter()
        .flat_map(|p| {
            crate::sim::object::at(pod, p)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .map(|c| normalized_image_name(c.get("image").and_then(Value::as_str).unwrap_or("")))
        .collect();
    // ImageStateSummary.NumNodes counts every node in the snapshot holding the image.
    let num_nodes: Vec<i64> = images
        .iter()
        .map(|img| all.iter().filter(|n| n.images.contains_key(img)).count() as i64)
        .collect();
    let total = all.len().max(1) as f64;
    let max_threshold = IMAGE_MAX_CONTAINER_THRESHOLD * images.len() as i64;
    nodes
        .iter()
        .map(|n| {
            let mut sum: i64 = 0;
            for (img, holders) in images.iter().zip(&num_nodes) {
                if let Some(size) = n.images.get(img) {
                    let spread = *holders as f64 / total;
                    sum += (*size as f64 * spread) as i64;
                }
            }
            let clamped = sum.clamp(IMAGE_MIN_THRESHOLD, max_threshold.max(IMAGE_MIN_THRESHOLD));
            if max_threshold <= IMAGE_MIN_THRESHOLD {
                return 0;
            }
            MAX_NODE_SCORE * (clamped - IMAGE_MIN_THRESHOLD) / (max_threshold - IMAGE_MIN_THRESHOLD)
        })
        .collect()
}

/// The system default spread constraints (podtopologyspread systemDefaultConstraints):
/// hostname maxSkew 3 and zone maxSkew 5, both ScheduleAnyway.
pub const SYSTEM_DEFAULT_CONSTRAINTS: [(&str, i64); 2] = [(LABEL_HOSTNAME, 3), (LABEL_ZONE, 5)];

/// The pod topology spread scoring state, shown to the UI as raw and normalised scores.
/// Returns None (Skip) when the pod has no soft constraints and no default selector.
pub fn score_pod_topology_spread(
    pod: &Value,
    objects: &ClusterObjects<'_>,
    all: &[NodeView],
    nodes: &[&NodeView],
) -> Option<(Vec<i64>, Vec<i64>)> {
    let own = pod
        .at("/spec/topologySpreadConstraints")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    let constraints: Vec<SpreadConstraint> = if own {
        pod_spread_constraints(pod, "ScheduleAnyway")
    } else {
        let selector = default_selector(pod, objects)?;
        SYSTEM_DEFAULT_CONSTRAINTS
            .iter()
            .map(|(key, skew)| SpreadConstraint {
                max_skew: *skew,
                topology_key: key.to_string(),
                selector: Some(selector.clone()),
                min_domains: None,
                honor_node_affinity: true,
                honor_taints: false,
            })
            .collect()
    };
    if constraints.is_empty() {
        return None;
    }
    // Only user-given constraints require every topology key on a node; with the system
    // defaults a node without a zone label still gets hostname spreading.
    let require_all = own;
    let has_all = |n: &NodeView| {
        constraints
            .iter()
            .all(|c| n.label(&c.topology_key).is_some())
    };
    let ignored: Vec<bool> = nodes.iter().map(|n| require_all && !has_all(n)).collect();
    let ns = pod_namespace(pod);
    let required = selectors::RequiredNodeAffinity::of(pod);
    // Keyed by (constraint, domain), the domain borrowed from the node's labels.
    let mut pair_counts: BTreeMap<(usize, &str), i64> = BTreeMap::new();
    let mut topo_size = vec![0usize; constraints.len()];
    for (n, _) in nodes.iter().zip(&ignored).filter(|(_, ig)| !**ig) {
        for (i, c) in constraints.iter().enumerate() {
            if c.topology_key == LABEL_HOSTNAME {
                continue;
            }
            // A node without the label forms the domain "" here (Go's map lookup).
            let key = (i, n.label(&c.topology_key).unwrap_or(""));
            if let std::collections::btree_map::Entry::Vacant(e) = pair_counts.entry(key) {
                e.insert(0);
                topo_size[i] += 1;
            }
        }
    }
    let scored = ignored.iter().filter(|i| !**i).count();
    let weights: Vec<f64> = constraints
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let size = if c.topology_key == LABEL_HOSTNAME {
                scored
            } else {
                topo_size[i]
            };
            ((size + 2) as f64).ln()
        })
        .collect();
    let memo_keys: Vec<String> = constraints
        .iter()
        .map(|c| selector_key(c.selector.as_ref(), ns))
        .collect();
    for n in all {
        if require_all && !has_all(n) {
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            if c.topology_key == LABEL_HOSTNAME {
                // Hostname domains are counted per node when scored, below.
                continue;
            }
            if !c.includes_node(&required, pod, &n.node) {
                continue;
            }
            let key = (i, n.label(&c.topology_key).unwrap_or(""));
            if let Some(count) = pair_counts.get_mut(&key) {
                *count += count_matching_on(n, c.selector.as_ref(), ns, &memo_keys[i]);
            }
        }
    }
    let raw: Vec<i64> = nodes
        .iter()
        .zip(&ignored)
        .map(|(n, ig)| {
            if *ig {
                return 0;
            }
            let mut score = 0.0f64;
            for (i, c) in constraints.iter().enumerate() {
                let Some(v) = n.label(&c.topology_key) else {
                    continue;
                };
                let cnt = if c.topology_key == LABEL_HOSTNAME {
                    count_matching_on(n, c.selector.as_ref(), ns, &memo_keys[i])
                } else {
                    pair_counts.get(&(i, v)).copied().unwrap_or(0)
                };
                score += cnt as f64 * weights[i] + (c.max_skew - 1) as f64;
            }
            score.round() as i64
        })
        .collect();
    // NormalizeScore: fewer matching pods = higher score; ignored nodes get 0.
    let live = raw
        .iter()
        .zip(&ignored)
        .filter(|(_, ig)| !**ig)
        .map(|(s, _)| *s);
    let min = live.clone().min().unwrap_or(0);
    let max = live.max().unwrap_or(0).max(0);
    let normalized = raw
        .iter()
        .zip(&ignored)
        .map(|(s, ig)| {
            if *ig {
                0
            } else if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE * (max + min - s) / max
            }
        })
        .collect();
    Some((raw, normalized))
}

/// InterPodAffinity Score: preferred (anti-)affinity of the pod towards existing pods,
/// plus existing pods' required affinity (hardPodAffinityWeight 1) and preferred
/// (anti-)affinity towards the pod, summed per topology domain. Returns raw and
/// normalised scores, or None (Skip) when nothing applies.
pub fn score_inter_pod_affinity(
    pod: &Value,
    all: &[NodeView],
    nodes: &[&NodeView],
) -> Option<(Vec<i64>, Vec<i64>)> {
    let terms = PodAffinity::of(pod);
    let has_constraints = !terms.preferred_affinity.is_empty() || !terms.preferred_anti.is_empty();
    let mut topology: TopologyCounts = TopologyCounts::new();
    let mut any = false;
    for n in all {
        if labels(&n.node).is_none_or(|l| l.is_empty()) {
            continue;
        }
        for existing in &n.pods {
            if existing.affinity.is_none() && !has_constraints {
                continue;
            }
            let mut process = |t: &AffinityTerm, matched: bool, weight: i64| {
                if matched {
                    if let Some(v) = n.label(&t.topology_key) {
                        *topology
                            .entry((t.topology_key.clone(), v.to_string()))
                            .or_insert(0) += weight;
                        any = true;
                    }
                }
            };
            for t in &terms.preferred_affinity {
                process(t, t.matches_summary(existing), t.weight);
            }
            for t in &terms.preferred_anti {
                process(t, t.matches_summary(existing), -t.weight);
            }
            let Some(existing_terms) = &existing.affinity else {
                continue;
            };
            for t in &existing_terms.required_affinity {
                process(t, t.matches(pod), 1);
            }
            for t in &existing_terms.preferred_affinity {
                process(t, t.matches(pod), t.weight);
            }
            for t in &existing_terms.preferred_anti {
                process(t, t.matches(pod), -t.weight);
            }
        }
    }
    if !any {
        return None;
    }
    let raw: Vec<i64> = nodes
        .iter()
        .map(|n| {
            labels(&n.node)
                .into_iter()
                .flatten()
                .map(|(k, v)| {
                    topology
                        .get(&(k.clone(), v.as_str().unwrap_or("").to_string()))
                        .copied()
                        .unwrap_or(0)
                })
                .sum()
        })
        .collect();
    let min = raw.iter().copied().min().unwrap_or(0);
    let max = raw.iter().copied().max().unwrap_or(0);
    let diff = max - min;
    let normalized = raw
        .iter()
        .map(|s| {
            if diff > 0 {
                (MAX_NODE_SCORE as f64 * ((s - min) as f64 / diff as f64)) as i64
            } else {
                0
            }
        })
        .collect();
    Some((raw, normalized))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_get_latest_only_when_untagged() {
        assert_eq!(normalized_image_name("nginx"), "nginx:latest");
        assert_eq!(normalized_image_name("nginx:1.14.2"), "nginx:1.14.2");
        assert_eq!(
            normalized_image_name("localhost:5000/app"),
            "localhost:5000/app:latest"
        );
    }

    #[test]
    fn default_normalize_reverse_all_zero_gives_100() {
        let mut s = vec![0, 0];
        default_normalize(&mut s, true);
        assert_eq!(s, [100, 100]);
        let mut s = vec![0, 1, 2];
        default_normalize(&mut s, true);
        assert_eq!(s, [100, 50, 0]);
        let mut s = vec![0, 1, 4];
        default_normalize(&mut s, false);
        assert_eq!(s, [0, 25, 100]);
    }
}
