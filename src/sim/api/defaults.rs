//! Defaulting: the fields the apiserver fills in when it decodes a request, per kind, as the
//! registered `SetDefaults_*` functions of the external (v1) API do:
//! kubernetes pkg/apis/core/v1/defaults.go, pkg/apis/apps/v1/defaults.go,
//! pkg/apis/batch/v1/defaults.go, pkg/apis/rbac/v1/defaults.go,
//! pkg/apis/discovery/v1/defaults.go, pkg/apis/admissionregistration/v1/defaults.go (v1.33,
//! default feature gates).
//!
//! Go's defaulting treats a missing field, `null`, and (for non-pointer fields) the zero
//! value alike; the helpers below say which one each field uses. Only objects are touched:
//! a field of the wrong type is left alone (decoding has already rejected it).
//!
//! Not here, because upstream does them elsewhere: `spec.serviceAccountName` and the token
//! volume, priority and tolerations (admission, see [`super::admission`]),
//! `status.phase`/`qosClass` of pods and a Job's selector (registry strategies),
//! Service `clusterIP`, `ipFamilies` and `ipFamilyPolicy` (Service REST allocation; see
//! [`default_service_ip_families`]).

use crate::sim::object::At;
use serde_json::{json, Map, Value};

/// Applies the defaults of the object's kind. Unknown kinds are left unchanged.
pub fn apply_defaults(obj: &mut Value) {
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    match (api_version.as_str(), kind.as_str()) {
        ("v1", "Pod") => default_pod(map),
        ("v1", "Service") => default_service(map),
        ("v1", "Secret") => set_if_empty_str(map, "type", "Opaque"),
        ("v1", "Namespace") => default_namespace(map),
        ("v1", "PersistentVolumeClaim") => {
            if let Some(spec) = child(map, "spec") {
                set_if_missing(spec, "volumeMode", json!("Filesystem"));
            }
            if let Some(status) = child(map, "status") {
                set_if_empty_str(status, "phase", "Pending");
            }
        }
        ("v1", "LimitRange") => {
            if let Some(spec) = child(map, "spec") {
                for item in array_items(spec, "limits") {
                    default_limit_range_item(item);
                }
            }
        }
        ("v1", "Node") => {
            if let Some(status) = child(map, "status") {
                default_node_status(status);
            }
        }
        ("apps/v1", "Deployment") => default_deployment(map),
        ("apps/v1", "ReplicaSet") => {
            if let Some(spec) = child(map, "spec") {
                set_if_missing(spec, "replicas", json!(1));
                default_pod_template(spec);
            }
        }
        ("apps/v1", "DaemonSet") => default_daemon_set(map),
        ("batch/v1", "Job") => default_job(map),
        ("rbac.authorization.k8s.io/v1", "RoleBinding" | "ClusterRoleBinding") => {
            if let Some(role_ref) = child(map, "roleRef") {
                set_if_empty_str(role_ref, "apiGroup", "rbac.authorization.k8s.io");
            }
            for subject in array_items(map, "subjects") {
                default_rbac_subject(subject);
            }
        }
        ("discovery.k8s.io/v1", "EndpointSlice") => {
            for port in array_items(map, "ports") {
                set_if_missing(port, "name", json!(""));
                set_if_missing(port, "protocol", json!("TCP"));
            }
        }
        ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration") => {
            for webhook in array_items(map, "webhooks") {
                default_webhook(webhook, true);
            }
        }
        ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration") => {
            for webhook in array_items(map, "webhooks") {
                default_webhook(webhook, false);
            }
        }
        _ => {}
    }
}

// ---- helpers ---------------------------------------------------------------------------

/// The object at `key`, created when missing or null; `None` when the value is something
/// else (decoding rejects that before defaulting runs).
fn child<'a>(map: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Map<String, Value>> {
    let entry = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if entry.is_null() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut()
}

/// The object at `key` if it is one (never created).
fn existing<'a>(map: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Map<String, Value>> {
    map.get_mut(key).and_then(Value::as_object_mut)
}

/// The objects in the array at `key` (missing or not an array: none).
fn array_items<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = &'a mut Map<String, Value>> {
    map.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

fn is_unset(value: Option<&Value>) -> bool {
    matches!(value, None | Some(Value::Null))
}

/// A pointer field: set when missing or null.
fn set_if_missing(map: &mut Map<String, Value>, key: &str, value: Value) {
    if is_unset(map.get(key)) {
        map.insert(key.to_string(), value);
    }
}

/// A string field: set when missing, null or "".
fn set_if_empty_str(map: &mut Map<String, Value>, key: &str, value: &str) {
    if is_unset(map.get(key)) || map.get(key).and_then(Value::as_str) == Some("") {
        map.insert(key.to_string(), json!(value));
    }
}

/// An integer field: set when missing, null or 0.
fn set_if_zero(map: &mut Map<String, Value>, key: &str, value: i64) {
    let v = map.get(key);
    if is_unset(v) || v.and_then(Value::as_f64) == Some(0.0) {
        map.insert(key.to_string(), json!(value));
    }
}

// ---- core/v1 ---------------------------------------------------------------------------

/// SetDefaults_Pod + SetDefaults_PodSpec and everything inside the spec.
fn default_pod(pod: &mut Map<String, Value>) {
    let Some(spec) = child(pod, "spec") else {
        return;
    };
    // SetDefaults_Pod: requests copied from limits, for pods only (not templates).
    for list in ["containers", "initContainers"] {
        for container in array_items(spec, list) {
            requests_from_limits(container);
        }
    }
    set_if_missing(spec, "enableServiceLinks", json!(true));
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        for list in ["containers", "initContainers"] {
            for container in array_items(spec, list) {
                for port in array_items(container, "ports") {
                    let container_port = port.get("containerPort").cloned().unwrap_or(json!(0));
                    let host_port = port.get("hostPort");
                    if is_unset(host_port) || host_port.and_then(Value::as_i64) == Some(0) {
                        port.insert("hostPort".into(), container_port);
                    }
                }
            }
        }
    }
    default_pod_spec(spec);
}

fn requests_from_limits(container: &mut Map<String, Value>) {
    let Some(resources) = existing(container, "resources") else {
        return;
    };
    let Some(limits) = resources.get("limits").and_then(Value::as_object).cloned() else {
        return;
    };
    if limits.is_empty() {
        return;
    }
    let Some(requests) = child(resources, "requests") else {
        return;
    };
    for (name, quantity) in limits {
        requests.entry(name).or_insert(quantity);
    }
}

/// The `spec.template` of a workload: SetDefaults_PodSpec and below, not SetDefaults_Pod.
fn default_pod_template(spec: &mut Map<String, Value>) {
    if let Some(pod_spec) = child(spec, "template").and_then(|t| child(t, "spec")) {
        default_pod_spec(pod_spec);
    }
}

/// SetDefaults_PodSpec, then the defaults of every struct inside a PodSpec.
pub(crate) fn default_pod_spec(spec: &mut Map<String, Value>) {
    set_if_empty_str(spec, "dnsPolicy", "ClusterFirst");
    set_if_empty_str(spec, "restartPolicy", "Always");
    set_if_missing(spec, "securityContext", json!({}));
    set_if_missing(spec, "terminationGracePeriodSeconds", json!(30));
    set_if_empty_str(spec, "schedulerName", "default-scheduler");
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        for container in array_items(spec, list) {
            default_container(container);
        }
    }
    for volume in array_items(spec, "volumes") {
        default_volume(volume);
    }
}

/// SetDefaults_Container (and the structs a container holds).
fn default_container(container: &mut Map<String, Value>) {
    let pull_policy_unset = is_unset(container.get("imagePullPolicy"))
        || container.get("imagePullPolicy").and_then(Value::as_str) == Some("");
    if pull_policy_unset {
        let image = container.get("image").and_then(Value::as_str).unwrap_or("");
        let policy = if image_tag(image).as_deref() == Some("latest") {
            "Always"
        } else {
            "IfNotPresent"
        };
        container.insert("imagePullPolicy".into(), json!(policy));
    }
    set_if_empty_str(container, "terminationMessagePath", "/dev/termination-log");
    set_if_empty_str(container, "terminationMessagePolicy", "File");
    for port in array_items(container, "ports") {
        set_if_empty_str(port, "protocol", "TCP");
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(probe) = existing(container, probe) {
            default_probe(probe);
        }
    }
    if let Some(lifecycle) = existing(container, "lifecycle") {
        for hook in ["postStart", "preStop"] {
            if let Some(http) = existing(lifecycle, hook).and_then(|h| existing(h, "httpGet")) {
                default_http_get(http);
            }
        }
    }
    for env in array_items(container, "env") {
        if let Some(field_ref) = existing(env, "valueFrom").and_then(|v| existing(v, "fieldRef")) {
            set_if_empty_str(field_ref, "apiVersion", "v1");
        }
    }
}

/// The tag `parsers.ParseImageName` finds (k8s.io/kubernetes/pkg/util/parsers, docker
/// reference grammar): `latest` when neither tag nor digest is given, none when there is
/// only a digest or the reference does not parse.
pub fn image_tag(image: &str) -> Option<String> {
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (image, None),
    };
    // The tag follows the last ':' after the last '/' (a registry port is before a '/').
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    if !valid_repository(repository) || tag.is_some_and(|t| !valid_tag(t)) {
        return None;
    }
    match (tag, digest) {
        (Some(tag), _) => Some(tag.to_string()),
        (None, Some(_)) => None,
        (None, None) => Some("latest".to_string()),
    }
}

/// A lenient check of the docker reference name grammar: path components are lowercase
/// alphanumerics with `.`, `_`, `-` separators; the first component may be a registry host
/// (with a port, and uppercase allowed).
fn valid_repository(repository: &str) -> bool {
    if repository.is_empty() {
        return false;
    }
    let components: Vec<&str> = repository.split('/').collect();
    let has_domain = components.len() > 1
        && (components[0].contains('.')
            || components[0].contains(':')
            || components[0] == "localhost"
            || components[0].bytes().any(|b| b.is_ascii_uppercase()));
    components.iter().enumerate().all(|(i, c)| {
        if i == 0 && has_domain {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        } else {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && c.as_bytes()[0].is_ascii_alphanumeric()
                && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric()
        }
    })
}

/// Docker tag grammar: `[\w][\w.-]{0,127}`.
fn valid_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    !tag.is_empty()
        && tag.len() <= 128
        && word(tag.as_bytes()[0])
        && tag.bytes().all(|b| word(b) || b == b'.' || b == b'-')
}

/// SetDefaults_Probe, SetDefaults_HTTPGetAction, and GRPCAction's declarative default.
fn default_probe(probe: &mut Map<String, Value>) {
    set_if_zero(probe, "timeoutSeconds", 1);
    set_if_zero(probe, "periodSeconds", 10);
    set_if_zero(probe, "successThreshold", 1);
    set_if_zero(probe, "failureThreshold", 3);
    if let Some(http) = existing(probe, "httpGet") {
        default_http_get(http);
    }
    if let Some(grpc) = existing(probe, "grpc") {
        // `+default=""` on GRPCAction.Service (zz_generated.defaults.go).
        set_if_missing(grpc, "service", json!(""));
    }
}

fn default_http_get(http: &mut Map<String, Value>) {
    set_if_empty_str(http, "path", "/");
    set_if_empty_str(http, "scheme", "HTTP");
}

/// SetDefaults_Volume and the per-source defaults (modes 0644 = 420).
fn default_volume(volume: &mut Map<String, Value>) {
    let has_source = volume.iter().any(|(k, v)| k != "name" && !v.is_null());
    if !has_source {
        volume.insert("emptyDir".into(), json!({}));
    }
    for source in ["secret", "configMap", "downwardAPI", "projected"] {
        if let Some(s) = existing(volume, source) {
            set_if_missing(s, "defaultMode", json!(420));
        }
    }
    if let Some(host_path) = existing(volume, "hostPath") {
        set_if_missing(host_path, "type", json!(""));
    }
    let field_refs = |items: &mut Map<String, Value>| {
        for item in array_items(items, "items") {
            if let Some(field_ref) = existing(item, "fieldRef") {
                set_if_empty_str(field_ref, "apiVersion", "v1");
            }
        }
    };
    if let Some(downward) = existing(volume, "downwardAPI") {
        field_refs(downward);
    }
    if let Some(projected) = existing(volume, "projected") {
        for source in array_items(projected, "sources") {
            if let Some(token) = existing(source, "serviceAccountToken") {
                set_if_missing(token, "expirationSeconds", json!(3600));
            }
            if let Some(downward) = existing(source, "downwardAPI") {
                field_refs(downward);
            }
        }
    }
}

/// SetDefaults_Service. ClusterIP allocation and IP families are the registry's job; see
/// [`default_service_ip_families`].
fn default_service(service: &mut Map<String, Value>) {
    let Some(spec) = child(service, "spec") else {
        return;
    };
    set_if_empty_str(spec, "sessionAffinity", "None");
    match spec.get("sessionAffinity").and_then(Value::as_str) {
        Some("None") => {
            spec.remove("sessionAffinityConfig");
        }
        Some("ClientIP") => {
            let has_timeout = spec
                .get("sessionAffinityConfig")
                .and_then(|c| c.at("/clientIP/timeoutSeconds"))
                .is_some_and(|v| !v.is_null());
            if !has_timeout {
                // v1.DefaultClientIPServiceAffinitySeconds = 10800 (3 hours).
                spec.insert(
                    "sessionAffinityConfig".into(),
                    json!({"clientIP": {"timeoutSeconds": 10800}}),
                );
            }
        }
        _ => {}
    }
    set_if_empty_str(spec, "type", "ClusterIP");
    for port in array_items(spec, "ports") {
        set_if_empty_str(port, "protocol", "TCP");
        let target = port.get("targetPort");
        let unset = is_unset(target)
            || target.and_then(Value::as_i64) == Some(0)
            || target.and_then(Value::as_str) == Some("");
        if unset {
            let number = port.get("port").cloned().unwrap_or(json!(0));
            port.insert("targetPort".into(), number);
        }
    }
    let service_type = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let has_external_ips = spec
        .get("externalIPs")
        .and_then(Value::as_array)
        .is_some_and(|ips| !ips.is_empty());
    // service.ExternallyAccessible: LoadBalancer, NodePort, or ClusterIP with externalIPs.
    let externally_accessible = service_type == "LoadBalancer"
        || service_type == "NodePort"
        || (service_type == "ClusterIP" && has_external_ips);
    if externally_accessible {
        set_if_empty_str(spec, "externalTrafficPolicy", "Cluster");
    }
    if matches!(
        service_type.as_str(),
        "ClusterIP" | "NodePort" | "LoadBalancer"
    ) {
        set_if_missing(spec, "internalTrafficPolicy", json!("Cluster"));
    }
    if service_type == "LoadBalancer" {
        set_if_missing(spec, "allocateLoadBalancerNodePorts", json!(true));
    }
}

/// What the Service REST storage sets on create in a single-stack IPv4 cluster
/// (pkg/registry/core/service/storage/alloc.go initIPFamilyFields): `ipFamilyPolicy:
/// SingleStack` and `ipFamilies: [IPv4]`, except for ExternalName services and headless
/// services without a selector (which get `RequireDualStack` with both families).
/// Kept apart from [`apply_defaults`] because upstream does it after admission.
pub fn default_service_ip_families(service: &mut Value) {
    let Some(spec) = service.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if spec.get("type").and_then(Value::as_str) == Some("ExternalName") {
        return;
    }
    let headless = spec.get("clusterIP").and_then(Value::as_str) == Some("None");
    let has_selector = spec
        .get("selector")
        .and_then(Value::as_object)
        .is_some_and(|s| !s.is_empty());
    if headless && !has_selector {
        set_if_missing(spec, "ipFamilyPolicy", json!("RequireDualStack"));
        set_if_missing(spec, "ipFamilies", json!(["IPv4", "IPv6"]));
    } else {
        set_if_missing(spec, "ipFamilyPolicy", json!("SingleStack"));
        set_if_missing(spec, "ipFamilies", json!(["IPv4"]));
    }
}

/// SetDefaults_Namespace (label `kubernetes.io/metadata.name`) and SetDefaults_NamespaceStatus.
fn default_namespace(namespace: &mut Map<String, Value>) {
    let name = namespace
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !name.is_empty() {
        if let Some(labels) = child(namespace, "metadata").and_then(|m| child(m, "labels")) {
            labels.insert("kubernetes.io/metadata.name".into(), json!(name));
        }
    }
    if let Some(status) = child(namespace, "status") {
        set_if_empty_str(status, "phase", "Active");
    }
}

/// SetDefaults_LimitRangeItem: for `type: Container`, default ← max, defaultRequest ←
/// default, then ← min. Empty maps are omitted, as Go's `omitempty` drops them.
fn default_limit_range_item(item: &mut Map<String, Value>) {
    if item.get("type").and_then(Value::as_str) != Some("Container") {
        return;
    }
    let get = |item: &Map<String, Value>, key: &str| {
        item.get(key)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let mut default = get(item, "default");
    for (k, v) in get(item, "max") {
        default.entry(k).or_insert(v);
    }
    let mut default_request = get(item, "defaultRequest");
    for (k, v) in default.clone().into_iter().chain(get(item, "min")) {
        default_request.entry(k).or_insert(v);
    }
    if !default.is_empty() {
        item.insert("default".into(), Value::Object(default));
    }
    if !default_request.is_empty() {
        item.insert("defaultRequest".into(), Value::Object(default_request));
    }
}

/// SetDefaults_NodeStatus: allocatable ← capacity.
fn default_node_status(status: &mut Map<String, Value>) {
    if is_unset(status.get("allocatable")) {
        if let Some(capacity) = status.get("capacity").filter(|c| c.is_object()).cloned() {
            status.insert("allocatable".into(), capacity);
        }
    }
}

// ---- apps/v1, batch/v1 -----------------------------------------------------------------

/// SetDefaults_Deployment.
fn default_deployment(deployment: &mut Map<String, Value>) {
    let Some(spec) = child(deployment, "spec") else {
        return;
    };
    set_if_missing(spec, "replicas", json!(1));
    if let Some(strategy) = child(spec, "strategy") {
        set_if_empty_str(strategy, "type", "RollingUpdate");
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
            if let Some(rolling) = child(strategy, "rollingUpdate") {
                set_if_missing(rolling, "maxUnavailable", json!("25%"));
                set_if_missing(rolling, "maxSurge", json!("25%"));
            }
        }
    }
    set_if_missing(spec, "revisionHistoryLimit", json!(10));
    set_if_missing(spec, "progressDeadlineSeconds", json!(600));
    default_pod_template(spec);
}

/// SetDefaults_DaemonSet.
fn default_daemon_set(daemon_set: &mut Map<String, Value>) {
    let Some(spec) = child(daemon_set, "spec") else {
        return;
    };
    if let Some(strategy) = child(spec, "updateStrategy") {
        set_if_empty_str(strategy, "type", "RollingUpdate");
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
            if let Some(rolling) = child(strategy, "rollingUpdate") {
                set_if_missing(rolling, "maxUnavailable", json!(1));
                set_if_missing(rolling, "maxSurge", json!(0));
            }
        }
    }
    set_if_missing(spec, "revisionHistoryLimit", json!(10));
    default_pod_template(spec);
}

/// SetDefaults_Job (JobPodReplacementPolicy is on by default in v1.33).
fn default_job(job: &mut Map<String, Value>) {
    let template_labels = job
        .get("spec")
        .and_then(|s| s.at("/template/metadata/labels"))
        .filter(|l| l.is_object())
        .cloned();
    let Some(spec) = child(job, "spec") else {
        return;
    };
    if is_unset(spec.get("completions")) && is_unset(spec.get("parallelism")) {
        spec.insert("completions".into(), json!(1));
        spec.insert("parallelism".into(), json!(1));
    }
    set_if_missing(spec, "parallelism", json!(1));
    if is_unset(spec.get("backoffLimit")) {
        let limit = if is_unset(spec.get("backoffLimitPerIndex")) {
            6
        } else {
            i64::from(i32::MAX)
        };
        spec.insert("backoffLimit".into(), json!(limit));
    }
    set_if_missing(spec, "completionMode", json!("NonIndexed"));
    set_if_missing(spec, "suspend", json!(false));
    let has_failure_policy = !is_unset(spec.get("podFailurePolicy"));
    if let Some(policy) = existing(spec, "podFailurePolicy") {
        for rule in array_items(policy, "rules") {
            for pattern in array_items(rule, "onPodConditions") {
                set_if_empty_str(pattern, "status", "True");
            }
        }
    }
    let replacement = if has_failure_policy {
        "Failed"
    } else {
        "TerminatingOrFailed"
    };
    set_if_missing(spec, "podReplacementPolicy", json!(replacement));
    set_if_missing(spec, "manualSelector", json!(false));
    default_pod_template(spec);
    // The Job's own labels default to the template's when it has none.
    if let Some(labels) = template_labels {
        let Some(metadata) = child(job, "metadata") else {
            return;
        };
        let empty = metadata
            .get("labels")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty);
        if empty {
            metadata.insert("labels".into(), labels);
        }
    }
}

// ---- rbac/v1, admissionregistration/v1 -------------------------------------------------

/// rbac/v1 SetDefaults_Subject.
fn default_rbac_subject(subject: &mut Map<String, Value>) {
    let kind = subject.get("kind").and_then(Value::as_str).unwrap_or("");
    let group = match kind {
        "ServiceAccount" => "",
        "User" | "Group" => "rbac.authorization.k8s.io",
        _ => return,
    };
    if subject
        .get("apiGroup")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        subject.insert("apiGroup".into(), json!(group));
    }
}

/// admissionregistration/v1 SetDefaults_MutatingWebhook / SetDefaults_ValidatingWebhook,
/// SetDefaults_Rule and SetDefaults_ServiceReference.
fn default_webhook(webhook: &mut Map<String, Value>, mutating: bool) {
    set_if_missing(webhook, "failurePolicy", json!("Fail"));
    set_if_missing(webhook, "matchPolicy", json!("Equivalent"));
    set_if_missing(webhook, "namespaceSelector", json!({}));
    set_if_missing(webhook, "objectSelector", json!({}));
    set_if_missing(webhook, "timeoutSeconds", json!(10));
    if mutating {
        set_if_missing(webhook, "reinvocationPolicy", json!("Never"));
    }
    for rule in array_items(webhook, "rules") {
        set_if_missing(rule, "scope", json!("*"));
    }
    if let Some(service) = existing(webhook, "clientConfig").and_then(|c| existing(c, "service")) {
        set_if_missing(service, "port", json!(443));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaulted(mut v: Value) -> Value {
        apply_defaults(&mut v);
        v
    }

    #[test]
    fn image_pull_policy_follows_the_tag() {
        for (image, tag) in [
            ("nginx", Some("latest")),
            ("nginx:latest", Some("latest")),
            ("nginx:1.14.2", Some("1.14.2")),
            ("registry.k8s.io/busybox", Some("latest")),
            ("localhost:5000/img", Some("latest")),
            ("host:5000/team/img:v2", Some("v2")),
            ("nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", None),
            ("nginx:1.25@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Some("1.25")),
            ("NGINX", None),
            ("", None),
        ] {
            assert_eq!(image_tag(image).as_deref(), tag, "{image}");
        }
        let pod = defaulted(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [
                {"name": "a", "image": "nginx"},
                {"name": "b", "image": "nginx:1.14.2"},
                {"name": "c", "image": "nginx:latest", "imagePullPolicy": "Never"},
                {"name": "d", "image": "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}]}}),
        );
        let policies: Vec<&str> = pod["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["imagePullPolicy"].as_str().unwrap())
            .collect();
        assert_eq!(
            policies,
            ["Always", "IfNotPresent", "Never", "IfNotPresent"]
        );
    }

    #[test]
    fn pod_spec_container_probe_and_volume_defaults() {
        let pod = defaulted(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.14.2",
                "ports": [{"containerPort": 80}],
                "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "250m"}},
                "livenessProbe": {"httpGet": {"port": 80}, "periodSeconds": 5},
                "readinessProbe": {"grpc": {"port": 2379}},
                "env": [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]}],
              "volumes": [{"name": "scratch"}, {"name": "cfg", "configMap": {"name": "x"}},
                          {"name": "logs", "hostPath": {"path": "/var/log"}}]}}),
        );
        let spec = &pod["spec"];
        assert_eq!(spec["dnsPolicy"], "ClusterFirst");
        assert_eq!(spec["restartPolicy"], "Always");
        assert_eq!(spec["securityContext"], json!({}));
        assert_eq!(spec["terminationGracePeriodSeconds"], 30);
        assert_eq!(spec["schedulerName"], "default-scheduler");
        assert_eq!(spec["enableServiceLinks"], true);
        let c = &spec["containers"][0];
        assert_eq!(c["terminationMessagePath"], "/dev/termination-log");
        assert_eq!(c["terminationMessagePolicy"], "File");
        assert_eq!(c["ports"][0]["protocol"], "TCP");
        assert_eq!(
            c["resources"]["requests"],
            json!({"cpu": "250m", "memory": "128Mi"})
        );
        assert_eq!(
            c["livenessProbe"],
            json!({"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "periodSeconds": 5,
                   "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3})
        );
        assert_eq!(
            c["readinessProbe"]["grpc"],
            json!({"port": 2379, "service": ""})
        );
        assert_eq!(c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"], "v1");
        assert_eq!(
            spec["volumes"][0],
            json!({"name": "scratch", "emptyDir": {}})
        );
        assert_eq!(spec["volumes"][1]["configMap"]["defaultMode"], 420);
        assert_eq!(
            spec["volumes"][2]["hostPath"],
            json!({"path": "/var/log", "type": ""})
        );
    }

    #[test]
    fn deployment_defaults_and_template_without_pod_only_fields() {
        let d = defaulted(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": {"metadata": {"labels": {"app": "x"}},
                "spec": {"containers": [{"name": "c", "image": "nginx", "resources": {"limits": {"cpu": "1"}}}]}}}}),
        );
        let spec = &d["spec"];
        assert_eq!(spec["replicas"], 1);
        assert_eq!(
            spec["strategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
        );
        assert_eq!(spec["revisionHistoryLimit"], 10);
        assert_eq!(spec["progressDeadlineSeconds"], 600);
        let pod_spec = &spec["template"]["spec"];
        assert_eq!(pod_spec["dnsPolicy"], "ClusterFirst");
        assert_eq!(pod_spec["terminationGracePeriodSeconds"], 30);
        assert_eq!(pod_spec["containers"][0]["imagePullPolicy"], "Always");
        // SetDefaults_Pod only: no enableServiceLinks, no requests from limits in templates.
        assert!(pod_spec.get("enableServiceLinks").is_none());
        assert!(pod_spec["containers"][0]["resources"]
            .get("requests")
            .is_none());
        // A Recreate strategy gets no rollingUpdate.
        let d = defaulted(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"strategy": {"type": "Recreate"}}}),
        );
        assert_eq!(d["spec"]["strategy"], json!({"type": "Recreate"}));
    }

    #[test]
    fn job_daemonset_replicaset_defaults() {
        let job = defaulted(
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
            "spec": {"backoffLimit": 4, "template": {"spec": {"restartPolicy": "Never",
                "containers": [{"name": "pi", "image": "perl:5.34.0"}]}}}}),
        );
        let spec = &job["spec"];
        assert_eq!(spec["completions"], 1);
        assert_eq!(spec["parallelism"], 1);
        assert_eq!(spec["backoffLimit"], 4);
        assert_eq!(spec["completionMode"], "NonIndexed");
        assert_eq!(spec["suspend"], false);
        assert_eq!(spec["podReplacementPolicy"], "TerminatingOrFailed");
        assert_eq!(spec["manualSelector"], false);
        assert_eq!(spec["template"]["spec"]["restartPolicy"], "Never");
        // Parallelism given alone: completions stays unset.
        let job =
            defaulted(json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {"parallelism": 3}}));
        assert!(job["spec"].get("completions").is_none());
        assert_eq!(job["spec"]["backoffLimit"], 6);

        let ds = defaulted(json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "spec": {}}));
        assert_eq!(
            ds["spec"]["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}})
        );
        assert_eq!(ds["spec"]["revisionHistoryLimit"], 10);
        let rs = defaulted(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "spec": {}}));
        assert_eq!(rs["spec"]["replicas"], 1);
    }

    #[test]
    fn service_defaults() {
        let svc = defaulted(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}, {"port": 443, "targetPort": "https"}]}}),
        );
        let spec = &svc["spec"];
        assert_eq!(spec["type"], "ClusterIP");
        assert_eq!(spec["sessionAffinity"], "None");
        assert_eq!(
            spec["ports"][0],
            json!({"port": 80, "protocol": "TCP", "targetPort": 80})
        );
        assert_eq!(spec["ports"][1]["targetPort"], "https");
        assert_eq!(spec["internalTrafficPolicy"], "Cluster");
        assert!(spec.get("externalTrafficPolicy").is_none());
        let svc = defaulted(
            json!({"apiVersion": "v1", "kind": "Service", "spec": {"type": "NodePort", "sessionAffinity": "ClientIP"}}),
        );
        assert_eq!(svc["spec"]["externalTrafficPolicy"], "Cluster");
        assert_eq!(
            svc["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"],
            10800
        );
        let mut svc = svc;
        default_service_ip_families(&mut svc);
        assert_eq!(svc["spec"]["ipFamilyPolicy"], "SingleStack");
        assert_eq!(svc["spec"]["ipFamilies"], json!(["IPv4"]));
    }

    #[test]
    fn other_kinds() {
        let ns = defaulted(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mem-example"}}),
        );
        assert_eq!(
            ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
            "mem-example"
        );
        assert_eq!(ns["status"]["phase"], "Active");
        let secret =
            defaulted(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}));
        assert_eq!(secret["type"], "Opaque");
        let lr = defaulted(json!({"apiVersion": "v1", "kind": "LimitRange",
            "spec": {"limits": [{"type": "Container", "max": {"cpu": "1"}, "min": {"memory": "1Mi"}}]}}));
        assert_eq!(lr["spec"]["limits"][0]["default"], json!({"cpu": "1"}));
        assert_eq!(
            lr["spec"]["limits"][0]["defaultRequest"],
            json!({"cpu": "1", "memory": "1Mi"})
        );
        let rb = defaulted(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "roleRef": {"kind": "Role", "name": "r"}, "subjects": [{"kind": "User", "name": "jane"}, {"kind": "ServiceAccount", "name": "default"}]}),
        );
        assert_eq!(rb["roleRef"]["apiGroup"], "rbac.authorization.k8s.io");
        assert_eq!(rb["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
        assert_eq!(rb["subjects"][1]["apiGroup"], "");
    }
}
