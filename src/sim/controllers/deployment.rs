//! The Deployment controller (pkg/controller/deployment): one ReplicaSet per pod template,
//! named `<deployment>-<pod-template-hash>`, scaled up and old ones down step by step
//! (RollingUpdate) or all at once (Recreate), and the Deployment's status and conditions.
//!
//! The pod-template-hash has the real shape but not the real value: upstream hashes Go's
//! `spew` dump of the template with FNV-32a and renders the decimal number through
//! `rand.SafeEncodeString`; podflow cannot reproduce spew's dump byte for byte, so it
//! hashes the template's canonical JSON (sorted keys) instead. The name is therefore
//! `nginx-deployment-<9–10 chars>` as on a real cluster, but not the same characters.

use crate::sim::object::At;
use serde_json::{json, Value};

use super::{int, owned, set_condition, ControllerManager, Key, OnOk};
use crate::sim::clock;
use crate::sim::engine::{resource_named, Ctx, Verb};
use crate::sim::object;
use crate::sim::rand::K8S_ALPHABET;

const CONTROLLER: &str = "deployment-controller";
pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";

/// FNV-1a, 32 bits (hash/fnv New32a).
pub fn fnv32a(data: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in data {
        hash ^= u32::from(*b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// k8s.io/apimachinery/pkg/util/rand.SafeEncodeString: each byte mapped into the
/// consonant-and-digit alphabet, so the result can never spell a word.
pub fn safe_encode(s: &str) -> String {
    s.bytes()
        .map(|b| K8S_ALPHABET[b as usize % K8S_ALPHABET.len()] as char)
        .collect()
}

/// controller.ComputeHash: the decimal FNV-32a of the template, safely encoded (see the
/// module doc for why the input is canonical JSON rather than a spew dump).
pub fn pod_template_hash(template: &Value) -> String {
    let text = serde_json::to_string(template).unwrap_or_default();
    safe_encode(&fnv32a(text.as_bytes()).to_string())
}

/// An intstr (`25%` or `1`) resolved against `total`, rounding up or down
/// (intstr.GetScaledValueFromIntOrPercent).
pub fn scaled(value: Option<&Value>, total: i64, round_up: bool, default: &str) -> i64 {
    let text = match value {
        Some(Value::Number(n)) => return n.as_i64().unwrap_or(0).max(0),
        Some(Value::String(s)) => s.as_str(),
        _ => default,
    };
    match text.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
        Some(percent) => {
            let product = percent.max(0) * total.max(0);
            if round_up {
                (product + 99) / 100
            } else {
                product / 100
            }
        }
        None => text.parse::<i64>().unwrap_or(0).max(0),
    }
}

/// (maxSurge, maxUnavailable) of a RollingUpdate Deployment (deploymentutil.ResolveFenceposts):
/// surge rounds up, unavailability down, and both zero means one may be unavailable.
pub fn fenceposts(d: &Value, replicas: i64) -> (i64, i64) {
    let rolling = crate::sim::object::at(d, "/spec/strategy/rollingUpdate");
    let surge = scaled(
        rolling.and_then(|r| r.get("maxSurge")),
        replicas,
        true,
        "25%",
    );
    let unavailable = scaled(
        rolling.and_then(|r| r.get("maxUnavailable")),
        replicas,
        false,
        "25%",
    );
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

fn spec_replicas(rs: &Value) -> i64 {
    int(rs, "/spec/replicas", 1)
}

pub fn sync(cm: &mut ControllerManager, ctx: &mut Ctx<'_>, key: &Key) {
    let (_, ns, name) = key;
    let Some(d) = super::get(ctx, &format!("/registry/deployments/{ns}/{name}")) else {
        return;
    };
    if crate::sim::object::at(&d, "/metadata/deletionTimestamp").is_some() {
        return;
    }
    let uid = object::str_at(&d, "/metadata/uid").to_string();
    let replicas = int(&d, "/spec/replicas", 1);
    let recreate = object::str_at(&d, "/spec/strategy/type") == "Recreate";
    let (surge, unavailable) = if recreate {
        (0, 0)
    } else {
        fenceposts(&d, replicas)
    };
    let template = crate::sim::object::at(&d, "/spec/template")
        .cloned()
        .unwrap_or(json!({}));
    let hash = pod_template_hash(&template);
    let mut all = owned(ctx, "replicasets", ns, &uid);
    // Oldest first (controller.ReplicaSetsByCreationTimestamp).
    all.sort_by(|a, b| {
        (
            object::str_at(a, "/metadata/creationTimestamp"),
            object::name(a),
        )
            .cmp(&(
                object::str_at(b, "/metadata/creationTimestamp"),
                object::name(b),
            ))
    });
    let is_new =
        |rs: &Value| object::str_at(rs, &format!("/metadata/labels/{POD_TEMPLATE_HASH}")) == hash;
    let new_rs = all.iter().find(|rs| is_new(rs)).cloned();
    let old: Vec<Value> = all.iter().filter(|rs| !is_new(rs)).cloned().collect();
    let old_replicas: i64 = old.iter().map(spec_replicas).sum();
    let old_pods: i64 = old.iter().map(|rs| int(rs, "/status/replicas", 0)).sum();
    let Some(rs_resource) = resource_named("apps", "replicasets") else {
        return;
    };

    let Some(new_rs) = new_rs else {
        // getNewReplicaSet: create it, sized by the strategy.
        let count = if recreate {
            if old_replicas > 0 {
                scale_old_to_zero(cm, ctx, key, &d, &old);
                return;
            }
            if old_pods > 0 {
                return;
            }
            replicas
        } else if old_replicas == 0 {
            replicas
        } else {
            let current: i64 = all.iter().map(spec_replicas).sum();
            (replicas + surge - current).clamp(0, replicas)
        };
        let revision = old
            .iter()
            .filter_map(|rs| {
                object::str_at(
                    rs,
                    &format!("/metadata/annotations/{}", REVISION.replace('/', "~1")),
                )
                .parse::<i64>()
                .ok()
            })
            .max()
            .unwrap_or(0)
            + 1;
        let rs_name = format!("{name}-{hash}");
        let mut rs_template = template.clone();
        super::set_entry(
            &mut rs_template,
            "/metadata/labels",
            POD_TEMPLATE_HASH,
            json!(hash),
        );
        let mut labels = rs_template
            .at("/metadata/labels")
            .cloned()
            .unwrap_or(json!({}));
        if !labels.is_object() {
            labels = json!({});
        }
        let mut selector = crate::sim::object::at(&d, "/spec/selector")
            .cloned()
            .unwrap_or(json!({}));
        super::set_entry(
            &mut selector,
            "/matchLabels",
            POD_TEMPLATE_HASH,
            json!(hash),
        );
        let mut spec = object::wrap("template", rs_template);
        spec["replicas"] = json!(count);
        spec["selector"] = selector;
        if let Some(m) = crate::sim::object::at(&d, "/spec/minReadySeconds") {
            spec["minReadySeconds"] = m.clone();
        }
        let body = json!({
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": rs_name,
                "namespace": ns,
                "labels": labels,
                "annotations": {
                    DESIRED_REPLICAS: replicas.to_string(),
                    MAX_REPLICAS: (replicas + surge).to_string(),
                    REVISION: revision.to_string(),
                },
                "ownerReferences": [super::owner_ref(&d)],
            },
            "spec": spec,
        });
        let on_ok = if count > 0 {
            OnOk::Event {
                controller: CONTROLLER,
                involved: d.clone(),
                type_: "Normal",
                reason: "ScalingReplicaSet",
                message: format!("Scaled up replica set {rs_name} from 0 to {count}"),
            }
        } else {
            OnOk::Nothing
        };
        cm.request(
            ctx,
            key,
            CONTROLLER,
            Verb::Create,
            rs_resource,
            ns,
            &rs_name,
            None,
            Some(body),
            on_ok,
        );
        update_status(cm, ctx, key, &d, None, &all, Some(&rs_name));
        return;
    };

    let new_replicas = spec_replicas(&new_rs);
    let mut acted = false;
    if recreate {
        if old_replicas > 0 {
            scale_old_to_zero(cm, ctx, key, &d, &old);
            acted = true;
        } else if old_pods == 0 && new_replicas != replicas {
            scale(cm, ctx, key, &d, &new_rs, replicas, replicas, 0);
            acted = true;
        }
    } else if old_replicas == 0 {
        // Nothing to roll: a plain scale (or the annotations to refresh).
        if new_replicas != replicas || annotations_stale(&new_rs, replicas, surge) {
            scale(cm, ctx, key, &d, &new_rs, replicas, replicas, surge);
            acted = true;
        }
    } else {
        // rolloutRolling: scale the new ReplicaSet up within maxSurge, else scale old ones
        // down within maxUnavailable.
        let current: i64 = all.iter().map(spec_replicas).sum();
        if new_replicas < replicas {
            let room = replicas + surge - current;
            if room > 0 {
                let target = (new_replicas + room).min(replicas);
                scale(cm, ctx, key, &d, &new_rs, target, replicas, surge);
                acted = true;
            }
        } else if new_replicas > replicas {
            scale(cm, ctx, key, &d, &new_rs, replicas, replicas, surge);
            acted = true;
        }
        if !acted {
            let min_available = replicas - unavailable;
            let new_unavailable = new_replicas - int(&new_rs, "/status/availableReplicas", 0);
            let max_scaled_down = current - min_available - new_unavailable;
            if max_scaled_down > 0 {
                // cleanupUnhealthyReplicas first, then scale down by availability.
                let available: i64 = all
                    .iter()
                    .map(|rs| int(rs, "/status/availableReplicas", 0))
                    .sum();
                let mut budget = max_scaled_down;
                let mut total = available - min_available;
                for rs in &old {
                    let want = spec_replicas(rs);
                    if want == 0 {
                        continue;
                    }
                    let unhealthy = (want - int(rs, "/status/availableReplicas", 0)).max(0);
                    let mut down = unhealthy.min(budget);
                    budget -= down;
                    let healthy_down = (want - down).min(total.max(0));
                    total -= healthy_down;
                    down += healthy_down;
                    if down > 0 {
                        scale(cm, ctx, key, &d, rs, want - down, replicas, surge);
                        acted = true;
                    }
                }
            }
        }
    }
    let _ = acted;
    update_status(cm, ctx, key, &d, Some(&new_rs), &all, None);
}

fn annotations_stale(rs: &Value, replicas: i64, surge: i64) -> bool {
    let a = |k: &str| {
        object::str_at(
            rs,
            &format!("/metadata/annotations/{}", k.replace('/', "~1")),
        )
        .to_string()
    };
    a(DESIRED_REPLICAS) != replicas.to_string() || a(MAX_REPLICAS) != (replicas + surge).to_string()
}

fn scale_old_to_zero(
    cm: &mut ControllerManager,
    ctx: &mut Ctx<'_>,
    key: &Key,
    d: &Value,
    old: &[Value],
) {
    let replicas = int(d, "/spec/replicas", 1);
    for rs in old {
        if spec_replicas(rs) > 0 {
            scale(cm, ctx, key, d, rs, 0, replicas, 0);
        }
    }
}

/// scaleReplicaSet: a PUT of the ReplicaSet with its new size and replica annotations,
/// and a `ScalingReplicaSet` event when the size changes.
#[allow(clippy::too_many_arguments)] // the deployment's numbers travel with the scale
fn scale(
    cm: &mut ControllerManager,
    ctx: &mut Ctx<'_>,
    key: &Key,
    d: &Value,
    rs: &Value,
    to: i64,
    desired: i64,
    surge: i64,
) {
    let Some(resource) = resource_named("apps", "replicasets") else {
        return;
    };
    let from = spec_replicas(rs);
    let mut body = rs.clone();
    body["spec"]["replicas"] = json!(to);
    super::set_entry(
        &mut body,
        "/metadata/annotations",
        DESIRED_REPLICAS,
        json!(desired.to_string()),
    );
    super::set_entry(
        &mut body,
        "/metadata/annotations",
        MAX_REPLICAS,
        json!((desired + surge).to_string()),
    );
    let on_ok = if from == to {
        OnOk::Nothing
    } else {
        OnOk::Event {
            controller: CONTROLLER,
            involved: d.clone(),
            type_: "Normal",
            reason: "ScalingReplicaSet",
            message: format!(
                "Scaled {} replica set {} from {from} to {to}",
                if to > from { "up" } else { "down" },
                object::name(rs)
            ),
        }
    };
    cm.request(
        ctx,
        key,
        CONTROLLER,
        Verb::Update,
        resource,
        object::namespace(rs),
        object::name(rs),
        None,
        Some(body),
        on_ok,
    );
}

/// syncRolloutStatus / calculateStatus: counts from the ReplicaSets' statuses, the
/// Available and Progressing conditions, written only when something changed.
fn update_status(
    cm: &mut ControllerManager,
    ctx: &mut Ctx<'_>,
    key: &Key,
    d: &Value,
    new_rs: Option<&Value>,
    all: &[Value],
    created: Option<&str>,
) {
    let Some(resource) = resource_named("apps", "deployments") else {
        return;
    };
    let replicas = int(d, "/spec/replicas", 1);
    let (_, unavailable) = fenceposts(d, replicas);
    let sum = |field: &str| -> i64 {
        all.iter()
            .map(|rs| int(rs, &format!("/status/{field}"), 0))
            .sum()
    };
    let total = sum("replicas");
    let ready = sum("readyReplicas");
    let available = sum("availableReplicas");
    let updated = new_rs.map_or(0, |rs| int(rs, "/status/replicas", 0));
    let now = clock::rfc3339(ctx.now);
    let mut conditions: Vec<Value> = d
        .at("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let cond = |kind: &str, status: &str, reason: &str, message: String| {
        json!({"type": kind, "status": status, "reason": reason, "message": message,
               "lastUpdateTime": now})
    };
    if let Some(rs_name) = created {
        set_condition(
            &mut conditions,
            cond(
                "Progressing",
                "True",
                "NewReplicaSetCreated",
                format!("Created new replica set \"{rs_name}\""),
            ),
            &now,
        );
    }
    let min_available = replicas - unavailable;
    if available >= min_available {
        set_condition(
            &mut conditions,
            cond(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.".into(),
            ),
            &now,
        );
    } else {
        set_condition(
            &mut conditions,
            cond(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.".into(),
            ),
            &now,
        );
    }
    if let Some(rs) = new_rs {
        let rs_name = object::name(rs);
        let complete = updated == replicas
            && int(rs, "/status/availableReplicas", 0) == replicas
            && total == replicas;
        if complete {
            set_condition(
                &mut conditions,
                cond(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
                ),
                &now,
            );
        } else if !conditions.iter().any(|c| c["type"] == "Progressing")
            || conditions
                .iter()
                .any(|c| c["type"] == "Progressing" && c["reason"] == "NewReplicaSetAvailable")
        {
            set_condition(
                &mut conditions,
                cond(
                    "Progressing",
                    "True",
                    "ReplicaSetUpdated",
                    format!("ReplicaSet \"{rs_name}\" is progressing."),
                ),
                &now,
            );
        }
    }
    let mut status = json!({
        "observedGeneration": int(d, "/metadata/generation", 1),
        "conditions": conditions,
    });
    for (field, value) in [
        ("replicas", total),
        ("updatedReplicas", updated),
        ("readyReplicas", ready),
        ("availableReplicas", available),
        ("unavailableReplicas", (replicas - available).max(0)),
    ] {
        // The counts are omitempty: a zero is not written.
        if value > 0 {
            status[field] = json!(value);
        }
    }
    cm.update_status(ctx, key, CONTROLLER, resource, d, status);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv32a_matches_the_reference_vectors() {
        // The FNV-1a test vectors (Fowler, Noll, Vo): "" and "a".
        assert_eq!(fnv32a(b""), 0x811c_9dc5);
        assert_eq!(fnv32a(b"a"), 0xe40c_292c);
        assert_eq!(fnv32a(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn safe_encoding_maps_each_digit_into_the_alphabet() {
        // '0' is byte 48: 48 % 27 = 21 → '4'; '9' is 57 % 27 = 3 → 'f'.
        assert_eq!(safe_encode("09"), "4f");
        let hash = pod_template_hash(&json!({"metadata": {"labels": {"app": "nginx"}}}));
        assert!((9..=10).contains(&hash.len()), "{hash}");
        assert!(hash.bytes().all(|b| K8S_ALPHABET.contains(&b)));
    }

    #[test]
    fn fenceposts_round_surge_up_and_unavailability_down() {
        let d = json!({"spec": {"strategy": {"type": "RollingUpdate"}}});
        assert_eq!(fenceposts(&d, 3), (1, 0));
        assert_eq!(fenceposts(&d, 4), (1, 1));
        assert_eq!(fenceposts(&d, 10), (3, 2));
        let d = json!({"spec": {"strategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}}}});
        assert_eq!(fenceposts(&d, 3), (0, 1));
    }
}
