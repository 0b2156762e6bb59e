//! Built-in mutating admission for pods, as the default plugins of kube-apiserver v1.33 do
//! it (reference B.2.2, B.2.3), plus the pod QoS class the pod strategy records on create.
//!
//! Each function mutates a pod (`serde_json::Value`) in place and names its upstream
//! plugin. They run in the apiserver's order: ServiceAccount → Priority →
//! DefaultTolerationSeconds. Lookups that need cluster state (does the ServiceAccount
//! exist, which PriorityClasses exist) are the engine's: these functions handle the
//! defaults a fresh cluster gives.

use serde_json::{json, Map, Value};

use crate::sim::quantity::Quantity;
use crate::sim::rand::Rng;

/// plugin/pkg/admission/serviceaccount: `DefaultServiceAccountName`.
pub const DEFAULT_SERVICE_ACCOUNT: &str = "default";
/// plugin/pkg/admission/serviceaccount: `ServiceAccountVolumeName`.
pub const SERVICE_ACCOUNT_VOLUME_NAME: &str = "kube-api-access";
/// plugin/pkg/admission/serviceaccount: `DefaultAPITokenMountPath`.
pub const API_TOKEN_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

fn spec_mut(pod: &mut Value) -> Option<&mut Map<String, Value>> {
    pod.get_mut("spec").and_then(Value::as_object_mut)
}

fn str_field<'a>(map: &'a Map<String, Value>, key: &str) -> &'a str {
    map.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The **ServiceAccount** admission plugin (plugin/pkg/admission/serviceaccount/admission.go):
/// - `spec.serviceAccountName` defaults to `default` (the deprecated `spec.serviceAccount`
///   mirrors it, as the v1 conversion writes it);
/// - unless `spec.automountServiceAccountToken` is false, every init container and container
///   without a mount at [`API_TOKEN_MOUNT_PATH`] gets a read-only mount of the projected
///   volume `kube-api-access-<5 random chars>` (TokenVolumeSource), and the volume is added
///   when a container needed it.
///
/// The random suffix is drawn only when the pod has no `kube-api-access-*` volume yet.
pub fn service_account(pod: &mut Value, rng: &mut Rng) {
    let Some(spec) = spec_mut(pod) else {
        return;
    };
    if str_field(spec, "serviceAccountName").is_empty() {
        // Older clients may set only the deprecated field; conversion copies it over.
        let deprecated = str_field(spec, "serviceAccount").to_string();
        let name = if deprecated.is_empty() {
            DEFAULT_SERVICE_ACCOUNT.to_string()
        } else {
            deprecated
        };
        spec.insert("serviceAccountName".into(), json!(name));
    }
    let name = str_field(spec, "serviceAccountName").to_string();
    spec.insert("serviceAccount".into(), json!(name));

    if spec
        .get("automountServiceAccountToken")
        .and_then(Value::as_bool)
        == Some(false)
    {
        return;
    }

    let prefix = format!("{SERVICE_ACCOUNT_VOLUME_NAME}-");
    let existing_volume = spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .find(|n| n.starts_with(&prefix))
        .map(str::to_string);
    let has_token_volume = existing_volume.is_some();
    let volume_name = existing_volume.unwrap_or_else(|| format!("{prefix}{}", rng.k8s_suffix(5)));

    let mount = json!({"name": volume_name, "readOnly": true, "mountPath": API_TOKEN_MOUNT_PATH});
    let mut needs_volume = false;
    for list in ["initContainers", "containers"] {
        let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for container in containers.iter_mut().filter_map(Value::as_object_mut) {
            let mounts = container.entry("volumeMounts").or_insert_with(|| json!([]));
            if mounts.is_null() {
                *mounts = json!([]);
            }
            let Some(mounts) = mounts.as_array_mut() else {
                continue;
            };
            let already = mounts
                .iter()
                .any(|m| m.get("mountPath").and_then(Value::as_str) == Some(API_TOKEN_MOUNT_PATH));
            if !already {
                mounts.push(mount.clone());
                needs_volume = true;
            }
        }
    }
    if needs_volume && !has_token_volume {
        let volumes = spec.entry("volumes").or_insert_with(|| json!([]));
        if volumes.is_null() {
            *volumes = json!([]);
        }
        if let Some(volumes) = volumes.as_array_mut() {
            volumes.push(token_volume(&volume_name));
        }
    }
}

/// The projected service-account token volume (serviceaccount.TokenVolumeSource); 3607 s is
/// `WarnOnlyBoundTokenExpirationSeconds`, 420 = 0644.
pub fn token_volume(name: &str) -> Value {
    json!({
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace",
                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}
            ]
        }
    })
}

/// The **Priority** admission plugin (plugin/pkg/admission/priority/admission.go), for a
/// cluster whose only PriorityClasses are the two built-in system ones and which has no
/// `globalDefault` class. Sets `spec.priority` and `spec.preemptionPolicy`.
///
/// Errors are the plugin's 403 reasons (to be wrapped as `pods "x" is forbidden: …`).
pub fn priority(pod: &mut Value) -> Result<(), String> {
    let Some(spec) = spec_mut(pod) else {
        return Ok(());
    };
    let class = str_field(spec, "priorityClassName").to_string();
    // scheduling.SystemCriticalPriority = 2000000000; node-critical is 1000 above it.
    let value: i64 = match class.as_str() {
        "" => 0,
        "system-cluster-critical" => 2_000_000_000,
        "system-node-critical" => 2_000_001_000,
        other => return Err(format!("no PriorityClass with name {other} was found")),
    };
    if let Some(given) = spec.get("priority").filter(|p| !p.is_null()) {
        if given.as_i64() != Some(value) {
            return Err(format!(
                "the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {value} from the given PriorityClass name"
            ));
        }
    }
    spec.insert("priority".into(), json!(value));
    if spec.get("preemptionPolicy").is_none_or(Value::is_null) {
        spec.insert("preemptionPolicy".into(), json!("PreemptLowerPriority"));
    }
    Ok(())
}

/// The **DefaultTolerationSeconds** admission plugin
/// (plugin/pkg/admission/defaulttolerationseconds/admission.go): tolerate
/// `node.kubernetes.io/not-ready` and `node.kubernetes.io/unreachable` NoExecute taints for
/// 300 s, unless an existing toleration already covers the key (or has no key) with effect
/// NoExecute (or no effect).
pub fn default_toleration_seconds(pod: &mut Value) {
    let Some(spec) = spec_mut(pod) else {
        return;
    };
    let tolerations = spec.entry("tolerations").or_insert_with(|| json!([]));
    if tolerations.is_null() {
        *tolerations = json!([]);
    }
    let Some(tolerations) = tolerations.as_array_mut() else {
        return;
    };
    let covers = |t: &Value, key: &str| {
        let t_key = t.get("key").and_then(Value::as_str).unwrap_or("");
        let effect = t.get("effect").and_then(Value::as_str).unwrap_or("");
        (t_key == key || t_key.is_empty()) && (effect == "NoExecute" || effect.is_empty())
    };
    let mut added = Vec::new();
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        if !tolerations.iter().any(|t| covers(t, key)) {
            added.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}));
        }
    }
    tolerations.extend(added);
}

/// The tolerations the DaemonSet controller adds to its pods
/// (pkg/controller/daemon/util/daemonset_util.go AddOrUpdateDaemonPodTolerations): they run
/// on not-ready, unreachable, pressured and cordoned nodes, and on nodes without a network
/// when they use the host's.
pub fn daemon_set_pod_tolerations(pod_spec: &mut Value) {
    let host_network = pod_spec.get("hostNetwork").and_then(Value::as_bool) == Some(true);
    let mut wanted = vec![
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    if host_network {
        wanted.push(("node.kubernetes.io/network-unavailable", "NoSchedule"));
    }
    let Some(spec) = pod_spec.as_object_mut() else {
        return;
    };
    let tolerations = spec.entry("tolerations").or_insert_with(|| json!([]));
    if tolerations.is_null() {
        *tolerations = json!([]);
    }
    let Some(tolerations) = tolerations.as_array_mut() else {
        return;
    };
    for (key, effect) in wanted {
        let toleration = json!({"key": key, "operator": "Exists", "effect": effect});
        // v1helper.AddOrUpdateTolerationInPodSpec: a toleration with the same key, operator,
        // value and effect is replaced, otherwise the new one is appended.
        let same = |t: &Value| {
            let s = |f: &str| t.get(f).and_then(Value::as_str).unwrap_or("").to_string();
            s("key") == key
                && s("operator") == "Exists"
                && s("value").is_empty()
                && s("effect") == effect
        };
        match tolerations.iter_mut().find(|t| same(t)) {
            Some(existing) => *existing = toleration,
            None => tolerations.push(toleration),
        }
    }
}

/// The pod's QoS class (pkg/apis/core/v1/helper/qos ComputePodQOS), over containers and
/// init containers, for the QoS resources cpu and memory:
/// - `BestEffort`: no positive request or limit at all;
/// - `Guaranteed`: every container has positive cpu and memory limits, and the summed
///   requests equal the summed limits for each resource;
/// - `Burstable` otherwise.
pub fn qos_class(pod: &Value) -> &'static str {
    let mut requests: Vec<(&str, Quantity)> = Vec::new();
    let mut limits: Vec<(&str, Quantity)> = Vec::new();
    let mut guaranteed = true;
    let add = |list: &mut Vec<(&str, Quantity)>, name: &'static str, q: Quantity| match list
        .iter_mut()
        .find(|(n, _)| *n == name)
    {
        Some((_, total)) => *total = total.saturating_add(q),
        None => list.push((name, q)),
    };
    let containers = ["containers", "initContainers"]
        .into_iter()
        .flat_map(|list| {
            pod.get("spec")
                .and_then(|s| s.get(list))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        });
    for container in containers {
        let mut limits_found = 0;
        for name in ["cpu", "memory"] {
            let positive = |kind: &str| {
                container
                    .get("resources")
                    .and_then(|r| r.get(kind))
                    .and_then(|l| l.get(name))
                    .and_then(|q| Quantity::from_json(q).ok())
                    .filter(|q| *q > Quantity::ZERO)
            };
            if let Some(q) = positive("requests") {
                add(&mut requests, name, q);
            }
            if let Some(q) = positive("limits") {
                add(&mut limits, name, q);
                limits_found += 1;
            }
        }
        if limits_found < 2 {
            guaranteed = false;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    if guaranteed {
        guaranteed = requests
            .iter()
            .all(|(name, req)| limits.iter().any(|(n, lim)| n == name && lim == req));
    }
    if guaranteed && requests.len() == limits.len() {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::defaults::apply_defaults;

    #[test]
    fn kubectl_run_nginx_after_defaults_and_admission_matches_b_2_3() {
        // B.1.2: the body `kubectl run nginx --image=nginx` sends.
        let mut pod = json!({"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": "nginx", "creationTimestamp": null, "labels": {"run": "nginx"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}],
                     "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"},
            "status": {}});
        let mut rng = Rng::new(7);
        let suffix = Rng::new(7).k8s_suffix(5);
        apply_defaults(&mut pod);
        service_account(&mut pod, &mut rng);
        priority(&mut pod).unwrap();
        default_toleration_seconds(&mut pod);
        let volume = format!("kube-api-access-{suffix}");
        // Reference B.2.3, field by field (metadata.uid etc. and status come from the registry).
        let expected = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "nginx", "creationTimestamp": null, "labels": {"run": "nginx"}},
            "spec": {
                "containers": [{
                    "image": "nginx",
                    "imagePullPolicy": "Always",
                    "name": "nginx",
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                                      "name": volume, "readOnly": true}]
                }],
                "dnsPolicy": "ClusterFirst",
                "enableServiceLinks": true,
                "preemptionPolicy": "PreemptLowerPriority",
                "priority": 0,
                "restartPolicy": "Always",
                "schedulerName": "default-scheduler",
                "securityContext": {},
                "serviceAccount": "default",
                "serviceAccountName": "default",
                "terminationGracePeriodSeconds": 30,
                "tolerations": [
                    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
                    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}
                ],
                "volumes": [{
                    "name": volume,
                    "projected": {
                        "defaultMode": 420,
                        "sources": [
                            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                            {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                            {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}
                        ]
                    }
                }]
            },
            "status": {}
        });
        assert_eq!(pod, expected);
        assert_eq!(qos_class(&pod), "BestEffort");
    }

    #[test]
    fn service_account_respects_existing_mounts_and_opt_out() {
        let mut pod = json!({"spec": {
            "initContainers": [{"name": "init"}],
            "containers": [{"name": "a", "volumeMounts": [{"name": "mine", "mountPath": API_TOKEN_MOUNT_PATH}]}],
            "volumes": [{"name": "mine", "emptyDir": {}}]}});
        service_account(&mut pod, &mut Rng::new(1));
        // The init container needed the mount, so the volume is added; `a` keeps its own.
        assert_eq!(
            pod["spec"]["containers"][0]["volumeMounts"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            pod["spec"]["initContainers"][0]["volumeMounts"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(pod["spec"]["volumes"].as_array().unwrap().len(), 2);

        let mut pod = json!({"spec": {"serviceAccountName": "builder", "automountServiceAccountToken": false,
            "containers": [{"name": "a"}]}});
        service_account(&mut pod, &mut Rng::new(1));
        assert_eq!(pod["spec"]["serviceAccount"], "builder");
        assert!(pod["spec"].get("volumes").is_none());
        assert!(pod["spec"]["containers"][0].get("volumeMounts").is_none());
    }

    #[test]
    fn priority_classes() {
        let mut pod = json!({"spec": {"priorityClassName": "system-node-critical"}});
        priority(&mut pod).unwrap();
        assert_eq!(pod["spec"]["priority"], 2_000_001_000);
        let mut pod = json!({"spec": {"priorityClassName": "high"}});
        assert_eq!(
            priority(&mut pod).unwrap_err(),
            "no PriorityClass with name high was found"
        );
        let mut pod = json!({"spec": {"priority": 5}});
        assert_eq!(
            priority(&mut pod).unwrap_err(),
            "the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name"
        );
    }

    #[test]
    fn default_tolerations_are_not_duplicated() {
        let mut pod = json!({"spec": {"tolerations": [
            {"key": "example-key", "operator": "Exists", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 6000}]}});
        default_toleration_seconds(&mut pod);
        let keys: Vec<&str> = pod["spec"]["tolerations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["key"].as_str().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "example-key",
                "node.kubernetes.io/unreachable",
                "node.kubernetes.io/not-ready"
            ]
        );
        // A toleration with no key and no effect tolerates everything.
        let mut pod = json!({"spec": {"tolerations": [{"operator": "Exists"}]}});
        default_toleration_seconds(&mut pod);
        assert_eq!(pod["spec"]["tolerations"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn daemon_set_tolerations() {
        let mut spec = json!({"hostNetwork": true, "tolerations": [
            {"key": "node-role.kubernetes.io/master", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10}]});
        daemon_set_pod_tolerations(&mut spec);
        let t = spec["tolerations"].as_array().unwrap();
        assert_eq!(t.len(), 8);
        assert_eq!(
            t[1],
            json!({"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"})
        );
        assert_eq!(t[7]["key"], "node.kubernetes.io/network-unavailable");
    }

    #[test]
    fn qos_classes() {
        let pod = |resources: Vec<Value>| json!({"spec": {"containers": resources.into_iter().map(|r| json!({"resources": r})).collect::<Vec<_>>()}});
        assert_eq!(qos_class(&pod(vec![json!({})])), "BestEffort");
        assert_eq!(
            qos_class(&pod(vec![json!({"requests": {"cpu": "0"}})])),
            "BestEffort"
        );
        assert_eq!(
            qos_class(&pod(vec![
                json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1000m", "memory": "1Gi"}})
            ])),
            "Guaranteed"
        );
        assert_eq!(
            qos_class(&pod(vec![
                json!({"limits": {"cpu": "1"}, "requests": {"cpu": "1"}})
            ])),
            "Burstable"
        );
        assert_eq!(
            qos_class(&pod(vec![
                json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}),
                json!({})
            ])),
            "Burstable"
        );
        assert_eq!(
            qos_class(&pod(vec![json!({"requests": {"example.com/dongle": "3"}})])),
            "BestEffort"
        );
    }
}
