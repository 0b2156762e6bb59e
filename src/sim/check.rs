//! Whole-trace invariants, checked by the tests after every run (and cheap enough to
//! run over thousands of seeds). Each returns the first violation in words.

use crate::sim::object::At;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::etcd::Snapshot;
use super::object;
use super::quantity::Quantity;
use super::trace::{Category, Component, Trace};

/// Every invariant, in turn.
pub fn trace(t: &Trace) -> Result<(), String> {
    only_apiserver_talks_to_etcd(t)?;
    revisions_never_go_back(t)?;
    every_request_is_answered(t)?;
    node_name_set_once_by_a_binding(t)?;
    pod_ips_unique_per_node(t)?;
    phases_only_move_forward(t)?;
    nodes_never_overcommitted(t)?;
    replica_sets_never_overshoot(t)?;
    endpoint_slices_list_selected_pods(t)?;
    proxy_chains_are_named_by_their_service_ports(t)?;
    Ok(())
}

fn controller_uid(obj: &Value) -> Option<&str> {
    obj.at("/metadata/ownerReferences")
        .and_then(Value::as_array)?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .map(|r| object::str_at(r, "/uid"))
}

fn active(pod: &Value) -> bool {
    !matches!(object::str_at(pod, "/status/phase"), "Succeeded" | "Failed")
        && pod.at("/metadata/deletionTimestamp").is_none()
}

/// When a pod is created for a ReplicaSet, the ReplicaSet has at most `spec.replicas`
/// active pods, and a Deployment's ReplicaSets together at most `replicas + maxSurge`
/// (the new ReplicaSet's `deployment.kubernetes.io/max-replicas`).
pub fn replica_sets_never_overshoot(t: &Trace) -> Result<(), String> {
    for (i, (s, etcd)) in t.steps_with_etcd().enumerate() {
        for w in &s.writes {
            let Some(kv) = &w.value else { continue };
            if !w.key.starts_with("/registry/pods/") || kv.version != 1 {
                continue;
            }
            let Some(owner) = controller_uid(&kv.value) else {
                continue;
            };
            let ns = object::namespace(&kv.value);
            let Some(rs) = etcd
                .range(&format!("/registry/replicasets/{ns}/"))
                .map(|(_, kv)| kv.value.as_ref())
                .find(|rs| object::str_at(rs, "/metadata/uid") == owner)
            else {
                continue;
            };
            let count = |uid: &str| {
                etcd.range(&format!("/registry/pods/{ns}/"))
                    .filter(|(_, p)| active(&p.value) && controller_uid(&p.value) == Some(uid))
                    .count() as i64
            };
            let want = rs.at("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
            if count(owner) > want {
                return Err(format!(
                    "step {i}: ReplicaSet {} has {} active pods for {want} replicas",
                    object::name(rs),
                    count(owner)
                ));
            }
            if let (Some(deployment), Some(max)) = (
                controller_uid(rs),
                rs.at("/metadata/annotations/deployment.kubernetes.io~1max-replicas")
                    .and_then(Value::as_str)
                    .and_then(|m| m.parse::<i64>().ok()),
            ) {
                let total: i64 = etcd
                    .range(&format!("/registry/replicasets/{ns}/"))
                    .filter(|(_, r)| controller_uid(&r.value) == Some(deployment))
                    .map(|(_, r)| count(object::str_at(&r.value, "/metadata/uid")))
                    .sum();
                if total > max {
                    return Err(format!(
                        "step {i}: the Deployment of {} has {total} active pods, more than replicas + maxSurge = {max}",
                        object::name(rs)
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Whenever an EndpointSlice is written, each endpoint is a pod its Service selects, at
/// the pod's IP, and an endpoint marked ready is a ready pod.
pub fn endpoint_slices_list_selected_pods(t: &Trace) -> Result<(), String> {
    for (i, (s, etcd)) in t.steps_with_etcd().enumerate() {
        for w in s
            .writes
            .iter()
            .filter(|w| w.key.starts_with("/registry/endpointslices/"))
        {
            let key = w.key();
            let Some(slice) = w.value.as_ref().map(|kv| kv.value.as_ref()) else {
                continue;
            };
            let ns = object::namespace(slice);
            let svc_name = object::str_at(slice, "/metadata/labels/kubernetes.io~1service-name");
            let Some(svc) = etcd.get(&format!("/registry/services/specs/{ns}/{svc_name}")) else {
                continue;
            };
            let Some(selector) = svc.value.at("/spec/selector").and_then(Value::as_object) else {
                continue;
            };
            for e in slice
                .get("endpoints")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let pod_name = object::str_at(e, "/targetRef/name");
                let Some(pod) = etcd.get(&format!("/registry/pods/{ns}/{pod_name}")) else {
                    return Err(format!(
                        "step {i}: {key} lists pod {pod_name}, which does not exist"
                    ));
                };
                let pod = pod.value.as_ref();
                let selected = selector
                    .iter()
                    .all(|(k, v)| pod.at("/metadata/labels").and_then(|l| l.get(k)) == Some(v));
                if !selected {
                    return Err(format!(
                        "step {i}: {key} lists pod {pod_name}, which {svc_name} does not select"
                    ));
                }
                if e.at("/addresses/0").and_then(Value::as_str)
                    != pod.at("/status/podIP").and_then(Value::as_str)
                {
                    return Err(format!(
                        "step {i}: {key} lists pod {pod_name} at an address that is not its IP"
                    ));
                }
                let ready = pod
                    .at("/status/conditions")
                    .and_then(Value::as_array)
                    .is_some_and(|cs| {
                        cs.iter()
                            .any(|c| c["type"] == "Ready" && c["status"] == "True")
                    });
                if e.at("/conditions/ready") == Some(&Value::Bool(true)) && !ready {
                    return Err(format!(
                        "step {i}: {key} marks pod {pod_name} ready, and it is not"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Every kube-proxy sync writes, for each Service port with a ready endpoint, the chain
/// named `KUBE-SVC-` + base32(sha256(servicePortName + protocol))[:16].
pub fn proxy_chains_are_named_by_their_service_ports(t: &Trace) -> Result<(), String> {
    for (i, (s, etcd)) in t.steps_with_etcd().enumerate() {
        if s.label != "iptables-restore" || !matches!(s.from, Component::KubeProxy(_)) {
            continue;
        }
        let payload = s.payload.as_ref().and_then(|p| p.as_text()).unwrap_or("");
        let slices: Vec<&Value> = etcd
            .range("/registry/endpointslices/")
            .map(|(_, kv)| kv.value.as_ref())
            .collect();
        for (_, kv) in etcd.range("/registry/services/specs/") {
            let svc = kv.value.as_ref();
            for sp in super::proxy::service_ports(svc) {
                let ready = super::proxy::endpoints_for(&sp, &slices, "")
                    .iter()
                    .any(|e| e.ready);
                let chain = super::proxy::service_chain(&sp.name_string(), &sp.proto());
                if ready && !payload.contains(&format!(":{chain} - [0:0]")) {
                    return Err(format!(
                        "step {i}: kube-proxy wrote no {chain} for {}",
                        sp.name_string()
                    ));
                }
            }
        }
    }
    Ok(())
}

pub fn only_apiserver_talks_to_etcd(t: &Trace) -> Result<(), String> {
    for (i, s) in t.steps.iter().enumerate() {
        let etcd_involved = s.from == Component::Etcd || s.to == Component::Etcd;
        let apiserver_involved = s.from == Component::ApiServer || s.to == Component::ApiServer;
        if etcd_involved && !apiserver_involved {
            return Err(format!("step {i}: {} talks to {} directly", s.from, s.to));
        }
        if !s.writes.is_empty() && s.to != Component::Etcd {
            return Err(format!("step {i}: a write delivered to {}, not etcd", s.to));
        }
    }
    Ok(())
}

pub fn revisions_never_go_back(t: &Trace) -> Result<(), String> {
    let mut last = t.initial.revision();
    for (i, s) in t.steps.iter().enumerate() {
        let rev = s.revision;
        if rev < last {
            return Err(format!("step {i}: revision went from {last} back to {rev}"));
        }
        if rev > last && s.writes.is_empty() {
            return Err(format!(
                "step {i}: revision moved from {last} to {rev} without a write"
            ));
        }
        if !s.writes.is_empty() && rev != last + 1 {
            return Err(format!(
                "step {i}: a write moved the revision from {last} to {rev}, not by one"
            ));
        }
        last = rev;
    }
    Ok(())
}

/// Each HTTP request to the apiserver gets exactly one response back to its sender (or
/// the run ended first).
pub fn every_request_is_answered(t: &Trace) -> Result<(), String> {
    let mut open: BTreeMap<String, i64> = BTreeMap::new();
    for s in &t.steps {
        match s.category {
            // A watch is answered by its stream of events.
            Category::Request if s.to == Component::ApiServer && s.label.contains("watch=true") => {
            }
            Category::Request if s.to == Component::ApiServer => {
                *open.entry(s.from.to_string()).or_default() += 1
            }
            Category::Response if s.from == Component::ApiServer => {
                let n = open.entry(s.to.to_string()).or_default();
                *n -= 1;
                if *n < 0 {
                    return Err(format!(
                        "{} got a response to a request it never sent",
                        s.to
                    ));
                }
            }
            _ => {}
        }
    }
    let end = t.steps.last().map_or(0, |s| s.at_ms);
    // Requests sent within the last few milliseconds may still be in flight.
    let in_flight: i64 = open.values().sum();
    if in_flight > 0 && t.truncated.is_none() {
        let recent = t
            .steps
            .iter()
            .rev()
            .take_while(|s| s.at_ms + 10 >= end)
            .count() as i64;
        if in_flight > recent {
            return Err(format!(
                "{in_flight} requests were never answered: {open:?}"
            ));
        }
    }
    Ok(())
}

fn pods(s: &Snapshot) -> impl Iterator<Item = (&str, &Value)> {
    s.range("/registry/pods/")
        .map(|(k, kv)| (k, kv.value.as_ref()))
}

pub fn node_name_set_once_by_a_binding(t: &Trace) -> Result<(), String> {
    let mut bound: BTreeMap<String, String> = BTreeMap::new();
    for (i, s) in t.steps.iter().enumerate() {
        for w in &s.writes {
            let key = w.key();
            let Some(kv) = &w.value else {
                bound.remove(key);
                continue;
            };
            if !key.starts_with("/registry/pods/") {
                continue;
            }
            let node = object::str_at(&kv.value, "/spec/nodeName");
            match bound.get(key) {
                Some(before) if before != node => {
                    return Err(format!(
                        "step {i}: {key} moved from node {before:?} to {node:?}"
                    ));
                }
                None if !node.is_empty() && kv.version > 1 => {
                    let name = key.rsplit('/').next().unwrap_or("");
                    let binding = t.steps[..i]
                        .iter()
                        .rev()
                        .any(|p| p.label.ends_with(&format!("/pods/{name}/binding")));
                    if !binding {
                        return Err(format!(
                            "step {i}: {key} got spec.nodeName without a Binding"
                        ));
                    }
                    bound.insert(key.to_string(), node.to_string());
                }
                None if !node.is_empty() => {
                    // Created with spec.nodeName set: bypasses the scheduler, as upstream.
                    bound.insert(key.to_string(), node.to_string());
                }
                _ => {}
            }
        }
    }
    Ok(())
}

pub fn pod_ips_unique_per_node(t: &Trace) -> Result<(), String> {
    for (i, (_, etcd)) in t.steps_with_etcd().enumerate().filter(|(_, (s, _))| {
        s.writes
            .iter()
            .any(|w| w.key.starts_with("/registry/pods/"))
    }) {
        let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
        for (key, pod) in pods(&etcd) {
            let ip = object::str_at(pod, "/status/podIP");
            let phase = object::str_at(pod, "/status/phase");
            let host_network = pod.at("/spec/hostNetwork").and_then(Value::as_bool) == Some(true);
            if ip.is_empty() || host_network || matches!(phase, "Succeeded" | "Failed") {
                continue;
            }
            let node = object::str_at(pod, "/spec/nodeName").to_string();
            if !seen.insert((node.clone(), ip.to_string())) {
                return Err(format!(
                    "step {i}: {key} shares IP {ip} with another pod on {node}"
                ));
            }
        }
    }
    Ok(())
}

fn phase_rank(phase: &str) -> u8 {
    match phase {
        "" | "Pending" => 0,
        "Running" => 1,
        "Succeeded" | "Failed" => 2,
        _ => 0,
    }
}

pub fn phases_only_move_forward(t: &Trace) -> Result<(), String> {
    let mut last: BTreeMap<String, (String, u8)> = BTreeMap::new();
    for (i, s) in t.steps.iter().enumerate() {
        for w in s
            .writes
            .iter()
            .filter(|w| w.key.starts_with("/registry/pods/"))
        {
            let key = w.key();
            let Some(kv) = &w.value else {
                last.remove(key);
                continue;
            };
            let uid = object::str_at(&kv.value, "/metadata/uid").to_string();
            let rank = phase_rank(object::str_at(&kv.value, "/status/phase"));
            if let Some((prev_uid, prev)) = last.get(key) {
                if *prev_uid == uid && rank < *prev {
                    return Err(format!(
                        "step {i}: {key} went back to phase {}",
                        object::str_at(&kv.value, "/status/phase")
                    ));
                }
            }
            last.insert(key.to_string(), (uid, rank));
        }
    }
    Ok(())
}

pub fn nodes_never_overcommitted(t: &Trace) -> Result<(), String> {
    for (i, (_, etcd)) in t.steps_with_etcd().enumerate().filter(|(_, (s, _))| {
        s.writes
            .iter()
            .any(|w| w.key.starts_with("/registry/pods/"))
    }) {
        let mut used: BTreeMap<String, (Quantity, Quantity)> = BTreeMap::new();
        for (_, pod) in pods(&etcd) {
            let node = object::str_at(pod, "/spec/nodeName");
            if node.is_empty()
                || matches!(object::str_at(pod, "/status/phase"), "Succeeded" | "Failed")
            {
                continue;
            }
            let entry = used.entry(node.to_string()).or_default();
            for c in pod
                .at("/spec/containers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let q = |r: &str| {
                    c.at(&format!("/resources/requests/{r}"))
                        .and_then(|v| Quantity::from_json(v).ok())
                        .unwrap_or(Quantity::ZERO)
                };
                entry.0 = entry.0.saturating_add(q("cpu"));
                entry.1 = entry.1.saturating_add(q("memory"));
            }
        }
        for (node, (cpu, memory)) in used {
            let Some(kv) = etcd.get(&format!("/registry/minions/{node}")) else {
                continue;
            };
            let alloc = |r: &str| {
                Quantity::from_json(&kv.value["status"]["allocatable"][r]).unwrap_or(Quantity::ZERO)
            };
            if cpu > alloc("cpu") || memory > alloc("memory") {
                return Err(format!(
                    "step {i}: node {node} over-committed: cpu {cpu}, memory {}",
                    memory.value()
                ));
            }
        }
    }
    Ok(())
}
