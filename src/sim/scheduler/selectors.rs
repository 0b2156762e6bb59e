//! Matching rules shared by the plugins: label selectors (metav1.LabelSelector), node
//! selector terms (v1.NodeSelectorTerm) and tolerations (v1.Toleration).
//!
//! Upstream parses these into `labels.Selector` values and ignores parse errors "for
//! backwards compatibility": a term that cannot be parsed simply matches nothing. The
//! functions here follow that rule, so a malformed manifest never panics and never matches.

use serde_json::{Map, Value};

/// A node's or pod's labels, `metadata.labels` (empty when absent).
pub fn labels(obj: &Value) -> Option<&Map<String, Value>> {
    crate::sim::object::at(obj, "/metadata/labels").and_then(Value::as_object)
}

fn label<'a>(labels: Option<&'a Map<String, Value>>, key: &str) -> Option<&'a str> {
    labels.and_then(|l| l.get(key)).and_then(Value::as_str)
}

fn string_values(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// One `In/NotIn/Exists/DoesNotExist/Gt/Lt` requirement against a label value.
/// `None` means the requirement is malformed (upstream: a parse error).
fn requirement_matches(operator: &str, value: Option<&str>, values: &[&str]) -> Option<bool> {
    Some(match operator {
        "In" => {
            if values.is_empty() {
                return None;
            }
            value.is_some_and(|v| values.contains(&v))
        }
        "NotIn" => {
            if values.is_empty() {
                return None;
            }
            value.is_none_or(|v| !values.contains(&v))
        }
        "Exists" => {
            if !values.is_empty() {
                return None;
            }
            value.is_some()
        }
        "DoesNotExist" => {
            if !values.is_empty() {
                return None;
            }
            value.is_none()
        }
        // Gt/Lt need exactly one integer value; a label that is not an integer does not match
        // (k8s.io/apimachinery/pkg/labels/selector.go Requirement.Matches).
        "Gt" | "Lt" => {
            let [bound] = values else { return None };
            let bound: i64 = bound.parse().ok()?;
            match value.and_then(|v| v.parse::<i64>().ok()) {
                Some(v) if operator == "Gt" => v > bound,
                Some(v) => v < bound,
                None => false,
            }
        }
        _ => return None,
    })
}

/// metav1.LabelSelector against a set of labels. An absent selector (`null`) matches
/// nothing, an empty one (`{}`) matches everything (LabelSelectorAsSelector).
pub fn label_selector_matches(
    selector: Option<&Value>,
    labels: Option<&Map<String, Value>>,
) -> bool {
    let Some(sel) = selector.and_then(Value::as_object) else {
        return false;
    };
    if let Some(ml) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in ml {
            if label(labels, k) != v.as_str() {
                return false;
            }
        }
    }
    if let Some(exprs) = sel.get("matchExpressions").and_then(Value::as_array) {
        for e in exprs {
            let key = e.get("key").and_then(Value::as_str).unwrap_or("");
            let op = e.get("operator").and_then(Value::as_str).unwrap_or("");
            // Label selectors only know the four set operators.
            if !matches!(op, "In" | "NotIn" | "Exists" | "DoesNotExist") {
                return false;
            }
            let values = string_values(e.get("values"));
            if requirement_matches(op, label(labels, key), &values) != Some(true) {
                return false;
            }
        }
    }
    true
}

/// True when the selector is present but selects nothing in particular (`{}`).
pub fn label_selector_is_empty(selector: Option<&Value>) -> bool {
    selector.and_then(Value::as_object).is_some_and(|s| {
        s.get("matchLabels")
            .and_then(Value::as_object)
            .is_none_or(|m| m.is_empty())
            && s.get("matchExpressions")
                .and_then(Value::as_array)
                .is_none_or(|a| a.is_empty())
    })
}

/// One v1.NodeSelectorTerm against a node: matchExpressions on labels AND matchFields on
/// `metadata.name`. A term with no requirements matches no node
/// (k8s.io/component-helpers/scheduling/corev1/nodeaffinity).
pub fn node_selector_term_matches(term: &Value, node: &Value) -> bool {
    let exprs = term.get("matchExpressions").and_then(Value::as_array);
    let fields = term.get("matchFields").and_then(Value::as_array);
    if exprs.is_none_or(|e| e.is_empty()) && fields.is_none_or(|f| f.is_empty()) {
        return false;
    }
    let node_labels = labels(node);
    for e in exprs.into_iter().flatten() {
        let key = e.get("key").and_then(Value::as_str).unwrap_or("");
        let op = e.get("operator").and_then(Value::as_str).unwrap_or("");
        let values = string_values(e.get("values"));
        if requirement_matches(op, label(node_labels, key), &values) != Some(true) {
            return false;
        }
    }
    let name = crate::sim::object::name(node);
    for f in fields.into_iter().flatten() {
        // The only supported field is metadata.name, with In or NotIn.
        if f.get("key").and_then(Value::as_str) != Some("metadata.name") {
            return false;
        }
        let op = f.get("operator").and_then(Value::as_str).unwrap_or("");
        if !matches!(op, "In" | "NotIn") {
            return false;
        }
        let values = string_values(f.get("values"));
        if requirement_matches(op, Some(name), &values) != Some(true) {
            return false;
        }
    }
    true
}

/// The pod's required node selector and node affinity (GetRequiredNodeAffinity):
/// every `spec.nodeSelector` label must match, and one of the
/// `requiredDuringSchedulingIgnoredDuringExecution` terms (ORed) must match.
pub fn required_node_affinity_matches(pod: &Value, node: &Value) -> bool {
    RequiredNodeAffinity::of(pod).matches(node)
}

/// The pod's required node selector and node affinity, read once (upstream's
/// nodeaffinity.GetRequiredNodeAffinity) so that checking it against each of thousands
/// of nodes does not look the pod's fields up again every time.
#[derive(Clone, Copy, Debug)]
pub struct RequiredNodeAffinity<'a> {
    node_selector: Option<&'a serde_json::Map<String, Value>>,
    /// `Some` when `requiredDuringSchedulingIgnoredDuringExecution` is set: its terms
    /// (ORed; none means no node matches).
    terms: Option<&'a [Value]>,
}

impl<'a> RequiredNodeAffinity<'a> {
    pub fn of(pod: &'a Value) -> Self {
        let spec = pod.get("spec");
        let node_selector = spec
            .and_then(|s| s.get("nodeSelector"))
            .and_then(Value::as_object);
        let terms = spec
            .and_then(|s| s.get("affinity"))
            .and_then(|a| a.get("nodeAffinity"))
            .and_then(|a| a.get("requiredDuringSchedulingIgnoredDuringExecution"))
            .map(|required| {
                required
                    .get("nodeSelectorTerms")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
            });
        RequiredNodeAffinity {
            node_selector,
            terms,
        }
    }

    /// Every `spec.nodeSelector` label matches, and one of the required terms does.
    pub fn matches(&self, node: &Value) -> bool {
        if let Some(sel) = self.node_selector {
            let node_labels = labels(node);
            for (k, v) in sel {
                if label(node_labels, k) != v.as_str() {
                    return false;
                }
            }
        }
        match self.terms {
            Some(terms) => terms.iter().any(|t| node_selector_term_matches(t, node)),
            None => true,
        }
    }
}

/// v1.Toleration.ToleratesTaint (k8s.io/api/core/v1/toleration.go): an empty effect
/// matches every effect, an empty key (only valid with Exists) matches every key, and
/// the operator defaults to Equal.
pub fn tolerates(toleration: &Value, taint: &Value) -> bool {
    let t_effect = toleration
        .get("effect")
        .and_then(Value::as_str)
        .unwrap_or("");
    let taint_effect = taint.get("effect").and_then(Value::as_str).unwrap_or("");
    if !t_effect.is_empty() && t_effect != taint_effect {
        return false;
    }
    let t_key = toleration.get("key").and_then(Value::as_str).unwrap_or("");
    let taint_key = taint.get("key").and_then(Value::as_str).unwrap_or("");
    if !t_key.is_empty() && t_key != taint_key {
        return false;
    }
    match toleration
        .get("operator")
        .and_then(Value::as_str)
        .unwrap_or("")
    {
        "" | "Equal" => {
            toleration
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or("")
                == taint.get("value").and_then(Value::as_str).unwrap_or("")
        }
        "Exists" => true,
        _ => false,
    }
}

/// Whether any of the pod's tolerations tolerates `taint`.
pub fn pod_tolerates(pod: &Value, taint: &Value) -> bool {
    crate::sim::object::at(pod, "/spec/tolerations")
        .and_then(Value::as_array)
        .is_some_and(|ts| ts.iter().any(|t| tolerates(t, taint)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn toleration_rules() {
        let taint = json!({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"});
        assert!(tolerates(&json!({"operator": "Exists"}), &taint));
        assert!(tolerates(
            &json!({"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}),
            &taint
        ));
        assert!(tolerates(
            &json!({"key": "node-role.kubernetes.io/control-plane"}),
            &taint
        ));
        assert!(!tolerates(
            &json!({"key": "node-role.kubernetes.io/control-plane", "value": "x"}),
            &taint
        ));
        assert!(!tolerates(
            &json!({"key": "example-key", "operator": "Exists", "effect": "NoSchedule"}),
            &taint
        ));
        assert!(!tolerates(
            &json!({"operator": "Exists", "effect": "NoExecute"}),
            &taint
        ));
    }

    #[test]
    fn node_selector_operators() {
        let node = json!({"metadata": {"name": "w1", "labels": {"disktype": "ssd", "gpus": "4"}}});
        let term = |e: Value| json!({"matchExpressions": [e]});
        assert!(node_selector_term_matches(
            &term(json!({"key": "disktype", "operator": "In", "values": ["ssd"]})),
            &node
        ));
        assert!(!node_selector_term_matches(
            &term(json!({"key": "disktype", "operator": "NotIn", "values": ["ssd"]})),
            &node
        ));
        assert!(node_selector_term_matches(
            &term(json!({"key": "zone", "operator": "NotIn", "values": ["a"]})),
            &node
        ));
        assert!(node_selector_term_matches(
            &term(json!({"key": "gpus", "operator": "Gt", "values": ["3"]})),
            &node
        ));
        assert!(!node_selector_term_matches(
            &term(json!({"key": "gpus", "operator": "Lt", "values": ["3"]})),
            &node
        ));
        assert!(!node_selector_term_matches(
            &term(json!({"key": "disktype", "operator": "Gt", "values": ["3"]})),
            &node
        ));
        assert!(node_selector_term_matches(
            &term(json!({"key": "zone", "operator": "DoesNotExist"})),
            &node
        ));
        assert!(
            !node_selector_term_matches(&json!({}), &node),
            "empty term matches nothing"
        );
        let by_name =
            json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["w1"]}]});
        assert!(node_selector_term_matches(&by_name, &node));
    }

    #[test]
    fn label_selector_null_and_empty() {
        let l = json!({"app": "web"});
        let l = l.as_object();
        assert!(!label_selector_matches(None, l));
        assert!(label_selector_matches(Some(&json!({})), l));
        assert!(label_selector_matches(
            Some(&json!({"matchLabels": {"app": "web"}})),
            l
        ));
        assert!(!label_selector_matches(
            Some(
                &json!({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]})
            ),
            l
        ));
    }
}
