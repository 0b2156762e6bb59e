//! The EndpointSlice controller (pkg/controller/endpointslice, reference B.8.2): for each
//! Service with a selector, one slice `<service>-<5 chars>` (`generateName`) listing the
//! selected pods that have an IP: `addresses`, `conditions {ready, serving, terminating}`,
//! `nodeName`, `targetRef`; ports from the Service's target ports; labels
//! `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by` (plus the
//! Service's own labels); an ownerReference to the Service; the
//! `endpoints.kubernetes.io/last-change-trigger-time` annotation. A Service that selects
//! no pod gets an empty placeholder slice, which later becomes the real one.
//!
//! Simplification: up to 100 endpoints fit one slice (`--max-endpoints-per-slice`), and
//! podflow never needs more, so every Service has exactly one slice.

use crate::sim::object::At;
use serde_json::{json, Value};

use super::selectors;
use super::{is_ready, owned, service_selects, ControllerManager, Key, OnOk};
use crate::sim::clock;
use crate::sim::engine::{resource_named, Ctx, Verb};
use crate::sim::object;

const CONTROLLER: &str = "endpointslice-controller";
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "endpointslice-controller.k8s.io";
pub const TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";

/// A Service port's target port on one pod: a number, or a named container port.
fn target_port(port: &Value, pod: Option<&Value>) -> Option<i64> {
    match port.get("targetPort") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(name)) => {
            if let Ok(n) = name.parse::<i64>() {
                return Some(n);
            }
            pod?.at("/spec/containers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| c.get("ports").and_then(Value::as_array))
                .flatten()
                .find(|p| object::str_at(p, "/name") == name)
                .and_then(|p| p.get("containerPort"))
                .and_then(Value::as_i64)
        }
        _ => port.get("port").and_then(Value::as_i64),
    }
}

/// The slice's endpoints and ports for `svc` over `pods` (already selected).
pub fn desired(svc: &Value, pods: &[&Value]) -> (Vec<Value>, Vec<Value>) {
    let mut endpoints = Vec::new();
    for pod in pods {
        let ip = object::str_at(pod, "/status/podIP");
        if ip.is_empty() || matches!(object::str_at(pod, "/status/phase"), "Succeeded" | "Failed") {
            continue;
        }
        let terminating = crate::sim::object::at(pod, "/metadata/deletionTimestamp").is_some();
        let ready = is_ready(pod);
        let mut endpoint = json!({
            "addresses": [ip],
            "conditions": {"ready": ready && !terminating, "serving": ready, "terminating": terminating},
            "targetRef": {"kind": "Pod", "name": object::name(pod), "namespace": object::namespace(pod),
                          "uid": object::str_at(pod, "/metadata/uid")},
        });
        let node = object::str_at(pod, "/spec/nodeName");
        if !node.is_empty() {
            endpoint["nodeName"] = json!(node);
        }
        endpoints.push(endpoint);
    }
    let mut ports = Vec::new();
    if !endpoints.is_empty() {
        for port in svc
            .at("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = target_port(port, pods.first().copied()) {
                ports.push(json!({
                    "name": object::str_at(port, "/name"),
                    "port": n,
                    "protocol": match object::str_at(port, "/protocol") { "" => "TCP", p => p },
                }));
            }
        }
    }
    (endpoints, ports)
}

pub fn sync(cm: &mut ControllerManager, ctx: &mut Ctx<'_>, key: &Key) {
    let (_, ns, name) = key;
    let Some(svc) = super::get(ctx, &format!("/registry/services/specs/{ns}/{name}")) else {
        return;
    };
    let has_selector = svc
        .at("/spec/selector")
        .and_then(Value::as_object)
        .is_some_and(|s| !s.is_empty());
    if !has_selector || crate::sim::object::at(&svc, "/metadata/deletionTimestamp").is_some() {
        return;
    }
    let pods: Vec<Value> = ctx
        .view
        .range(&format!("/registry/pods/{ns}/"))
        .filter(|(_, kv)| service_selects(&svc, selectors::labels(&kv.value)))
        .map(|(_, kv)| crate::sim::engine::api_object(kv))
        .collect();
    let refs: Vec<&Value> = pods.iter().collect();
    let (endpoints, ports) = desired(&svc, &refs);
    let uid = object::str_at(&svc, "/metadata/uid");
    let existing = owned(ctx, "endpointslices", ns, uid).into_iter().next();
    let Some(resource) = resource_named("discovery.k8s.io", "endpointslices") else {
        return;
    };
    let mut labels = svc
        .at("/metadata/labels")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or(json!({}));
    labels[SERVICE_NAME_LABEL] = json!(name);
    labels[MANAGED_BY_LABEL] = json!(MANAGED_BY);
    let now = clock::rfc3339(ctx.now);
    match existing {
        Some(slice) => {
            let same = slice.get("endpoints").cloned().unwrap_or(json!([])) == json!(endpoints)
                && slice.get("ports").cloned().unwrap_or(json!([])) == json!(ports);
            if same {
                return;
            }
            let mut body = slice.clone();
            body["endpoints"] = json!(endpoints);
            body["ports"] = json!(ports);
            super::set_entry(&mut body, "/metadata/annotations", TRIGGER_TIME, json!(now));
            cm.request(
                ctx,
                key,
                CONTROLLER,
                Verb::Update,
                resource,
                ns,
                object::name(&slice),
                None,
                Some(body),
                OnOk::Nothing,
            );
        }
        None => {
            let body = json!({
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "generateName": format!("{name}-"),
                    "namespace": ns,
                    "labels": labels,
                    "annotations": {TRIGGER_TIME: now},
                    "ownerReferences": [super::owner_ref(&svc)],
                },
                "addressType": "IPv4",
                "endpoints": endpoints,
                "ports": ports,
            });
            cm.request(
                ctx,
                key,
                CONTROLLER,
                Verb::Create,
                resource,
                ns,
                "",
                None,
                Some(body),
                OnOk::Nothing,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_readiness_and_skip_pods_without_an_ip() {
        let svc = json!({"spec": {"selector": {"app": "web"},
            "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}]}});
        let ready = json!({"metadata": {"name": "a", "namespace": "default", "uid": "1"},
            "spec": {"nodeName": "w1"},
            "status": {"podIP": "10.244.1.2", "phase": "Running",
                       "conditions": [{"type": "Ready", "status": "True"}]}});
        let starting = json!({"metadata": {"name": "b", "namespace": "default", "uid": "2"},
            "spec": {"nodeName": "w2"}, "status": {"podIP": "10.244.2.2", "phase": "Running"}});
        let no_ip = json!({"metadata": {"name": "c"}, "status": {"phase": "Pending"}});
        let (endpoints, ports) = desired(&svc, &[&ready, &starting, &no_ip]);
        assert_eq!(endpoints.len(), 2);
        assert_eq!(
            endpoints[0]["conditions"],
            json!({"ready": true, "serving": true, "terminating": false})
        );
        assert_eq!(endpoints[1]["conditions"]["ready"], false);
        assert_eq!(endpoints[0]["targetRef"]["name"], "a");
        assert_eq!(
            ports,
            vec![json!({"name": "", "port": 8080, "protocol": "TCP"})]
        );
    }
}
