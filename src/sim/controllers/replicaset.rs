//! The ReplicaSet controller (pkg/controller/replicaset): as many active pods as
//! `spec.replicas`, created from the template with `generateName: <rs>-` in slow-start
//! batches (1, 2, 4, …: a batch waits for the previous one to succeed), deleted unready
//! and newest first, and the status counts (`replicas`, `fullyLabeledReplicas`,
//! `readyReplicas`, `availableReplicas`, `observedGeneration`).

use serde_json::{json, Value};

use super::{int, is_ready, pod_from_template, ControllerManager, Key};
use crate::sim::engine::{resource_named, Ctx};
use crate::sim::object;

const CONTROLLER: &str = "replicaset-controller";

/// `burstReplicas`: at most this many creates or deletes per sync.
pub const BURST_REPLICAS: usize = 500;

pub fn sync(cm: &mut ControllerManager, ctx: &mut Ctx<'_>, key: &Key) {
    let (_, ns, name) = key;
    let Some(rs) = super::get(ctx, &format!("/registry/replicasets/{ns}/{name}")) else {
        cm.batch.remove(key);
        return;
    };
    if crate::sim::object::at(&rs, "/metadata/deletionTimestamp").is_some() {
        return;
    }
    let uid = object::str_at(&rs, "/metadata/uid").to_string();
    let (active, ready) = cm.owned_counts(ctx, &uid);
    let want = int(&rs, "/spec/replicas", 1).max(0) as usize;
    let Some(pods_resource) = resource_named("", "pods") else {
        return;
    };
    if active < want {
        // slowStartBatch: 1, then 2, 4, … while every create of the batch succeeds.
        let batch = cm.batch.get(key).copied().unwrap_or(1);
        let count = (want - active).min(batch).min(BURST_REPLICAS);
        let template = crate::sim::object::at(&rs, "/spec/template")
            .cloned()
            .unwrap_or(json!({}));
        for _ in 0..count {
            let pod = pod_from_template(&rs, &template, name);
            cm.create_pod(ctx, key, CONTROLLER, pods_resource, ns, &rs, pod);
        }
        cm.batch.insert(key.clone(), batch * 2);
    } else {
        cm.batch.remove(key);
        if active > want {
            let pods = cm.owned_active_pods(ctx, &uid);
            let mut victims: Vec<&Value> = pods.iter().map(|p| p.as_ref()).collect();
            // getPodsToDelete ranks pods: unassigned, then pending, then not ready, then
            // the most recently created go first.
            victims.sort_by(|a, b| {
                rank(a)
                    .cmp(&rank(b))
                    .then_with(|| {
                        object::str_at(b, "/metadata/creationTimestamp")
                            .cmp(object::str_at(a, "/metadata/creationTimestamp"))
                    })
                    .then_with(|| object::name(b).cmp(object::name(a)))
            });
            for pod in victims
                .into_iter()
                .take((active - want).min(BURST_REPLICAS))
            {
                let pod_name = object::name(pod).to_string();
                cm.delete_pod(ctx, key, CONTROLLER, pods_resource, ns, &rs, &pod_name);
            }
        }
    }
    update_status(cm, ctx, key, &rs, active, ready);
}

fn rank(pod: &Value) -> (u8, u8, u8) {
    let assigned = !object::str_at(pod, "/spec/nodeName").is_empty();
    let phase = match object::str_at(pod, "/status/phase") {
        "Pending" => 0,
        "Unknown" => 1,
        _ => 2,
    };
    (u8::from(assigned), phase, u8::from(is_ready(pod)))
}

fn update_status(
    cm: &mut ControllerManager,
    ctx: &mut Ctx<'_>,
    key: &Key,
    rs: &Value,
    active: usize,
    ready: usize,
) {
    let Some(resource) = resource_named("apps", "replicasets") else {
        return;
    };
    // minReadySeconds is not modelled beyond 0: a ready pod is available at once.
    let mut status = json!({
        "replicas": active,
        "observedGeneration": int(rs, "/metadata/generation", 1),
    });
    for (field, value) in [
        ("fullyLabeledReplicas", active),
        ("readyReplicas", ready),
        ("availableReplicas", ready),
    ] {
        if value > 0 {
            status[field] = json!(value);
        }
    }
    cm.update_status(ctx, key, CONTROLLER, resource, rs, status);
}
