//! The LimitRanger and ResourceQuota admission plugins, for pods.
//!
//! - LimitRanger (plugin/pkg/admission/limitranger) mutates first: a container without
//!   requests or limits gets the namespace's LimitRange `defaultRequest`/`default`, noted
//!   in the `kubernetes.io/limit-ranger` annotation; then it validates each container
//!   against `min` and `max`.
//! - ResourceQuota (plugin/pkg/admission/resourcequota) validates last: the pod's
//!   requests and limits, added to what the namespace already uses, must stay within every
//!   ResourceQuota's `hard`, and a quota on `limits.cpu` needs every container to say its
//!   CPU limit.
//!
//! Errors are the plugins' own words; the apiserver wraps them as
//! `pods "x" is forbidden: …` (403).

use crate::sim::object::At;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::etcd::Snapshot;
use super::object;
use super::quantity::Quantity;

fn quantity(v: &Value) -> Option<Quantity> {
    Quantity::from_json(v).ok()
}

/// A quantity as upstream prints it: `500m`, `2`, `128Mi`, `1Gi`.
pub fn canonical(q: Quantity, resource: &str) -> String {
    let binary = resource.contains("memory") || resource.contains("storage");
    if binary && q.milli_value() % 1000 == 0 {
        let bytes = q.value();
        for (suffix, shift) in [
            ("Ei", 60),
            ("Pi", 50),
            ("Ti", 40),
            ("Gi", 30),
            ("Mi", 20),
            ("Ki", 10),
        ] {
            let unit = 1i128 << shift;
            if bytes != 0 && bytes % unit == 0 {
                return format!("{}{suffix}", bytes / unit);
            }
        }
        return bytes.to_string();
    }
    q.to_string()
}

fn containers(pod: &Value) -> impl Iterator<Item = &Value> {
    ["initContainers", "containers"]
        .into_iter()
        .flat_map(move |list| {
            pod.at(&format!("/spec/{list}"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
}

fn limit_ranges<'a>(view: &'a Snapshot, ns: &'a str) -> Vec<&'a Value> {
    view.range(&format!("/registry/limitranges/{ns}/"))
        .map(|(_, kv)| kv.value.as_ref())
        .collect()
}

/// LimitRanger's mutation: default requests and limits for containers that set none.
pub fn limit_ranger_defaults(view: &Snapshot, ns: &str, pod: &mut Value) {
    let mut notes: Vec<String> = Vec::new();
    for range in limit_ranges(view, ns) {
        for item in range
            .at("/spec/limits")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if object::str_at(item, "/type") != "Container" {
                continue;
            }
            for list in ["initContainers", "containers"] {
                let Some(cs) = pod
                    .pointer_mut(&format!("/spec/{list}"))
                    .and_then(Value::as_array_mut)
                else {
                    continue;
                };
                for c in cs.iter_mut() {
                    let name = object::str_at(c, "/name").to_string();
                    let mut set_requests = Vec::new();
                    let mut set_limits = Vec::new();
                    for (field, source, set) in [
                        ("requests", "defaultRequest", &mut set_requests),
                        ("limits", "default", &mut set_limits),
                    ] {
                        for (res, value) in item
                            .get(source)
                            .and_then(Value::as_object)
                            .into_iter()
                            .flatten()
                        {
                            if c.at(&format!("/resources/{field}/{res}")).is_none() {
                                object::set_at(
                                    c,
                                    &format!("/resources/{field}/{res}"),
                                    value.clone(),
                                );
                                set.push(res.clone());
                            }
                        }
                    }
                    if !set_requests.is_empty() {
                        notes.push(format!(
                            "{} request for {} {name}",
                            set_requests.join(", "),
                            if list == "containers" {
                                "container"
                            } else {
                                "init container"
                            }
                        ));
                    }
                    if !set_limits.is_empty() {
                        notes.push(format!(
                            "{} limit for {} {name}",
                            set_limits.join(", "),
                            if list == "containers" {
                                "container"
                            } else {
                                "init container"
                            }
                        ));
                    }
                }
            }
        }
    }
    if !notes.is_empty() {
        if let Some(meta) = pod.get_mut("metadata").and_then(Value::as_object_mut) {
            let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
            if let Some(a) = annotations.as_object_mut() {
                a.insert(
                    "kubernetes.io/limit-ranger".into(),
                    json!(format!("LimitRanger plugin set: {}", notes.join("; "))),
                );
            }
        }
    }
}

/// LimitRanger's validation: each container within `min` and `max`.
pub fn limit_ranger_check(view: &Snapshot, ns: &str, pod: &Value) -> Result<(), String> {
    for range in limit_ranges(view, ns) {
        for item in range
            .at("/spec/limits")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if object::str_at(item, "/type") != "Container" {
                continue;
            }
            for c in containers(pod) {
                for (res, max) in item
                    .get("max")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let (Some(max), Some(limit)) = (
                        quantity(max),
                        c.at(&format!("/resources/limits/{res}")).and_then(quantity),
                    ) else {
                        continue;
                    };
                    if limit > max {
                        return Err(format!(
                            "maximum {res} usage per Container is {}, but limit is {}",
                            canonical(max, res),
                            canonical(limit, res)
                        ));
                    }
                }
                for (res, min) in item
                    .get("min")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let Some(min) = quantity(min) else { continue };
                    let request = c
                        .at(&format!("/resources/requests/{res}"))
                        .and_then(quantity);
                    match request {
                        Some(request) if request < min => {
                            return Err(format!(
                                "minimum {res} usage per Container is {}, but request is {}",
                                canonical(min, res),
                                canonical(request, res)
                            ))
                        }
                        None => {
                            return Err(format!(
                                "minimum {res} usage per Container is {}.  No request is specified",
                                canonical(min, res)
                            ))
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    Ok(())
}

/// The pod's usage of each quota resource (`pods`, `requests.cpu`, `limits.memory`, …).
fn usage(pod: &Value) -> BTreeMap<String, Quantity> {
    let mut out = BTreeMap::new();
    out.insert("pods".to_string(), Quantity::from_value(1));
    out.insert("count/pods".to_string(), Quantity::from_value(1));
    for field in ["requests", "limits"] {
        for res in ["cpu", "memory"] {
            let sum = pod
                .at("/spec/containers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| {
                    c.at(&format!("/resources/{field}/{res}"))
                        .and_then(quantity)
                })
                .fold(Quantity::ZERO, Quantity::saturating_add);
            out.insert(format!("{field}.{res}"), sum);
            if field == "requests" {
                out.insert(res.to_string(), sum);
            }
        }
    }
    out
}

/// A quota resource the pod would exceed: (resource, requested, used, hard limit).
type Exceeded = (String, Quantity, Quantity, Quantity);

/// ResourceQuota's check of a new pod against every quota in its namespace.
pub fn resource_quota_check(view: &Snapshot, ns: &str, pod: &Value) -> Result<(), String> {
    let quotas: Vec<&Value> = view
        .range(&format!("/registry/resourcequotas/{ns}/"))
        .map(|(_, kv)| kv.value.as_ref())
        .collect();
    if quotas.is_empty() {
        return Ok(());
    }
    let wanted = usage(pod);
    let mut used: BTreeMap<String, Quantity> = BTreeMap::new();
    for (_, kv) in view.range(&format!("/registry/pods/{ns}/")) {
        if matches!(
            object::str_at(&kv.value, "/status/phase"),
            "Succeeded" | "Failed"
        ) {
            continue;
        }
        for (k, v) in usage(&kv.value) {
            let e = used.entry(k).or_default();
            *e = e.saturating_add(v);
        }
    }
    for quota in quotas {
        let Some(hard) = quota.at("/spec/hard").and_then(Value::as_object) else {
            continue;
        };
        // A quota on a compute resource needs every container to say it.
        let mut missing = Vec::new();
        for res in hard.keys() {
            let (field, name) = match res.split_once('.') {
                Some((f @ ("requests" | "limits"), n)) => (f, n),
                _ if res == "cpu" || res == "memory" => ("requests", res.as_str()),
                _ => continue,
            };
            let lacking: Vec<&str> = pod
                .at("/spec/containers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|c| c.at(&format!("/resources/{field}/{name}")).is_none())
                .map(|c| object::str_at(c, "/name"))
                .collect();
            if !lacking.is_empty() {
                missing.push(format!("{res} for: {}", lacking.join(",")));
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "failed quota: {}: must specify {}",
                object::name(quota),
                missing.join("; ")
            ));
        }
        let mut over: Vec<Exceeded> = Vec::new();
        for (res, limit) in hard {
            let (Some(limit), Some(want)) = (quantity(limit), wanted.get(res)) else {
                continue;
            };
            let now = used.get(res).copied().unwrap_or_default();
            if now.saturating_add(*want) > limit {
                over.push((res.clone(), *want, now, limit));
            }
        }
        if !over.is_empty() {
            // prettyPrint of each resource list: `requests.cpu=500m,limits.cpu=1`.
            let list = |pick: fn(&Exceeded) -> Quantity| {
                over.iter()
                    .map(|e| format!("{}={}", e.0, canonical(pick(e), &e.0)))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            return Err(format!(
                "exceeded quota: {}, requested: {}, used: {}, limited: {}",
                object::name(quota),
                list(|e| e.1),
                list(|e| e.2),
                list(|e| e.3),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view_with(objects: &[(&str, Value)]) -> Snapshot {
        let mut s = Snapshot::default();
        for (k, v) in objects {
            s.create(k, v.clone()).unwrap();
        }
        s
    }

    fn pod(cpu_request: Option<&str>, cpu_limit: Option<&str>) -> Value {
        let mut resources = json!({});
        if let Some(r) = cpu_request {
            resources["requests"] = json!({"cpu": r});
        }
        if let Some(l) = cpu_limit {
            resources["limits"] = json!({"cpu": l});
        }
        json!({"metadata": {"name": "p", "namespace": "default"},
               "spec": {"containers": [{"name": "app", "image": "nginx", "resources": resources}]}})
    }

    #[test]
    fn canonical_quantities() {
        assert_eq!(canonical(Quantity::parse("500m").unwrap(), "cpu"), "500m");
        assert_eq!(
            canonical(Quantity::parse("2").unwrap(), "requests.cpu"),
            "2"
        );
        assert_eq!(
            canonical(Quantity::parse("128Mi").unwrap(), "memory"),
            "128Mi"
        );
        assert_eq!(
            canonical(Quantity::parse("1024Mi").unwrap(), "limits.memory"),
            "1Gi"
        );
    }

    #[test]
    fn limit_range_defaults_and_bounds() {
        let view = view_with(&[(
            "/registry/limitranges/default/cpu",
            json!({"metadata": {"name": "cpu", "namespace": "default"},
                   "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"},
                                        "defaultRequest": {"cpu": "250m"}, "max": {"cpu": "1"}}]}}),
        )]);
        let mut p = pod(None, None);
        limit_ranger_defaults(&view, "default", &mut p);
        assert_eq!(
            p["spec"]["containers"][0]["resources"]["requests"]["cpu"],
            "250m"
        );
        assert_eq!(
            p["spec"]["containers"][0]["resources"]["limits"]["cpu"],
            "500m"
        );
        assert_eq!(
            p["metadata"]["annotations"]["kubernetes.io/limit-ranger"],
            "LimitRanger plugin set: cpu request for container app; cpu limit for container app"
        );
        assert_eq!(
            limit_ranger_check(&view, "default", &pod(Some("1"), Some("2"))).unwrap_err(),
            "maximum cpu usage per Container is 1, but limit is 2"
        );
    }

    #[test]
    fn quota_exceeded_and_missing_limits() {
        let view = view_with(&[
            (
                "/registry/resourcequotas/default/compute",
                json!({"metadata": {"name": "compute", "namespace": "default"},
                       "spec": {"hard": {"requests.cpu": "1", "limits.cpu": "2"}}}),
            ),
            ("/registry/pods/default/a", pod(Some("800m"), Some("1"))),
        ]);
        assert_eq!(
            resource_quota_check(&view, "default", &pod(Some("500m"), Some("500m"))).unwrap_err(),
            "exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=800m, limited: requests.cpu=1"
        );
        assert_eq!(
            resource_quota_check(&view, "default", &pod(Some("100m"), None)).unwrap_err(),
            "failed quota: compute: must specify limits.cpu for: app"
        );
        assert!(resource_quota_check(&view, "default", &pod(Some("100m"), Some("100m"))).is_ok());
    }
}
