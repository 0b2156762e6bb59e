//! The DaemonSet controller (pkg/controller/daemon): one pod per eligible node. Since
//! v1.12 the controller does not place pods itself: it pins each pod to its node with a
//! required node affinity on `metadata.name` (ReplaceDaemonSetPodNodeNameNodeAffinity)
//! and kube-scheduler binds it. A node is eligible when the pod template's nodeSelector
//! and node affinity match it and the pod, with the tolerations every DaemonSet pod gets
//! (`not-ready`, `unreachable`, the pressure taints, `unschedulable`), tolerates its
//! NoSchedule and NoExecute taints — so no pod on the control plane unless tolerated.
//!
//! Not modelled: the ControllerRevision objects (the `controller-revision-hash` label has
//! the real shape, computed like the Deployment's pod-template-hash), rolling updates of
//! the template, surge.

use serde_json::{json, Value};

use super::selectors;
use super::{int, is_active, is_ready, owned, pod_from_template, ControllerManager, Key};
use crate::sim::api::admission::daemon_set_pod_tolerations;
use crate::sim::engine::{resource_named, Ctx};
use crate::sim::object;

/// The ServiceAccount is `daemon-set-controller`; its events say `daemonset-controller`.
const CONTROLLER: &str = "daemon-set-controller";

/// The node a DaemonSet pod is pinned to (its matchFields affinity, or spec.nodeName).
pub fn pinned_node(pod: &Value) -> String {
    let bound = object::str_at(pod, "/spec/nodeName");
    if !bound.is_empty() {
        return bound.to_string();
    }
    crate::sim::object::at(pod, "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("matchFields").and_then(Value::as_array))
        .flatten()
        .find(|f| object::str_at(f, "/key") == "metadata.name")
        .and_then(|f| crate::sim::object::at(f, "/values/0"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// NodeShouldRunDaemonPod: the template's node selector and affinity match, and every
/// NoSchedule/NoExecute taint is tolerated.
pub fn should_run(pod: &Value, node: &Value) -> bool {
    if let Some(sel) = crate::sim::object::at(pod, "/spec/nodeSelector").and_then(Value::as_object)
    {
        let labels = selectors::labels(node);
        if !sel
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k)).and_then(Value::as_str) == v.as_str())
        {
            return false;
        }
    }
    if !selectors::required_node_affinity_matches(pod, node) {
        return false;
    }
    crate::sim::object::at(node, "/spec/taints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| matches!(object::str_at(t, "/effect"), "NoSchedule" | "NoExecute"))
        .all(|t| selectors::pod_tolerates(pod, t))
}

/// The pod the controller creates for `node`.
pub fn pod_for_node(ds: &Value, node: &str) -> Value {
    let template = crate::sim::object::at(ds, "/spec/template")
        .cloned()
        .unwrap_or(json!({}));
    let name = object::name(ds);
    let mut pod = pod_from_template(ds, &template, name);
    let hash = super::deployment::pod_template_hash(&template);
    object::set_at(
        &mut pod,
        "/metadata/labels/controller-revision-hash",
        json!(hash),
    );
    object::set_at(
        &mut pod,
        "/metadata/labels/pod-template-generation",
        json!(int(ds, "/metadata/generation", 1).to_string()),
    );
    let term =
        json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]});
    object::set_at(
        &mut pod,
        "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution",
        json!({"nodeSelectorTerms": [term]}),
    );
    if let Some(spec) = pod.get_mut("spec") {
        daemon_set_pod_tolerations(spec);
    }
    pod
}

pub fn sync(cm: &mut ControllerManager, ctx: &mut Ctx<'_>, key: &Key) {
    let (_, ns, name) = key;
    let Some(ds) = super::get(ctx, &format!("/registry/daemonsets/{ns}/{name}")) else {
        return;
    };
    if crate::sim::object::at(&ds, "/metadata/deletionTimestamp").is_some() {
        return;
    }
    let uid = object::str_at(&ds, "/metadata/uid").to_string();
    let pods = owned(ctx, "pods", ns, &uid);
    let nodes: Vec<Value> = ctx
        .view
        .range("/registry/minions/")
        .map(|(_, kv)| (*kv.value).clone())
        .collect();
    let Some(pods_resource) = resource_named("", "pods") else {
        return;
    };
    let (mut desired, mut current, mut ready) = (0, 0, 0);
    for node in &nodes {
        let node_name = object::name(node);
        let candidate = pod_for_node(&ds, node_name);
        let on_node: Vec<&Value> = pods
            .iter()
            .filter(|p| is_active(p) && pinned_node(p) == node_name)
            .collect();
        if should_run(&candidate, node) {
            desired += 1;
            if on_node.is_empty() {
                cm.create_pod(ctx, key, CONTROLLER, pods_resource, ns, &ds, candidate);
            } else {
                current += 1;
                if on_node.iter().any(|p| is_ready(p)) {
                    ready += 1;
                }
            }
        } else {
            for pod in on_node {
                let pod_name = object::name(pod).to_string();
                cm.delete_pod(ctx, key, CONTROLLER, pods_resource, ns, &ds, &pod_name);
            }
        }
    }
    let mut status = json!({
        "currentNumberScheduled": current,
        "desiredNumberScheduled": desired,
        "numberMisscheduled": 0,
        "numberReady": ready,
        "observedGeneration": int(&ds, "/metadata/generation", 1),
    });
    if ready > 0 {
        status["numberAvailable"] = json!(ready);
    }
    if desired - ready > 0 {
        status["numberUnavailable"] = json!(desired - ready);
    }
    if current > 0 {
        status["updatedNumberScheduled"] = json!(current);
    }
    let Some(resource) = resource_named("apps", "daemonsets") else {
        return;
    };
    cm.update_status(ctx, key, CONTROLLER, resource, &ds, status);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_are_pinned_by_affinity_and_tolerate_the_node_conditions() {
        let ds = json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "fluentd", "namespace": "kube-system", "uid": "u1", "generation": 1},
            "spec": {"template": {"metadata": {"labels": {"name": "fluentd"}},
                     "spec": {"containers": [{"name": "f", "image": "fluentd"}]}}}});
        let pod = pod_for_node(&ds, "w1");
        assert_eq!(pinned_node(&pod), "w1");
        assert_eq!(pod["metadata"]["generateName"], "fluentd-");
        assert_eq!(pod["metadata"]["labels"]["pod-template-generation"], "1");
        assert_eq!(pod["spec"]["tolerations"].as_array().unwrap().len(), 6);
        let cp = json!({"metadata": {"name": "cp"}, "spec": {"taints": [
            {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]}});
        let w1 = json!({"metadata": {"name": "w1"}, "spec": {}});
        assert!(!should_run(&pod_for_node(&ds, "cp"), &cp));
        assert!(should_run(&pod, &w1));
    }
}
