//! Writes podflow's compact API schema (`src/sim/api/schema.txt`) from the `k8s-openapi`
//! crate's schemars output (Kubernetes v1.33 OpenAPI).
//!
//! Run from the podflow repository root:
//!
//! ```sh
//! cargo run --manifest-path tools/gen-schema/Cargo.toml > src/sim/api/schema.txt
//! ```
//!
//! Output format (deterministic, sorted, one line per item; `#` starts a comment line):
//! - `root <apiVersion> <Kind> <type-key>`: a kind podflow accepts and its root type.
//! - `type <type-key> <GoName> <field>:<type> ...`: a struct with its JSON fields.
//!
//! A field type is `string`, `bool`, `int32`, `int64`, `float64`, `bytes` (Go `[]byte`,
//! base64 in JSON), `Quantity`, `IntOrString`, `Time`, `MicroTime`, `raw` (any JSON:
//! `runtime.RawExtension`, `apiextensions.JSON`, `FieldsV1`), `@<type-key>` (a struct),
//! `[]<type>` or `map[string]<type>`. A prefix `<GoName>=` gives the Go type name when it
//! is a named Go type rather than the plain one (`v1.RestartPolicy=string`): the OpenAPI
//! document does not carry those names, so they come from [`GO_NAMES`], copied from
//! k8s.io/api's types.go files.

use std::collections::BTreeMap;

use k8s_openapi::api;
use schemars::generate::SchemaSettings;
use serde_json::Value;

/// Named Go types of fields (type-key, json field, Go type of the field or of its array
/// element for `[]X`). From k8s.io/api/core/v1/types.go, apps/v1, batch/v1, discovery/v1,
/// admissionregistration/v1 and k8s.io/apimachinery/pkg/apis/meta/v1 at v1.33.
const GO_NAMES: &[(&str, &str, &str)] = &[
    // core/v1 Pod and its parts.
    ("api.core.v1.PodSpec", "restartPolicy", "v1.RestartPolicy"),
    ("api.core.v1.PodSpec", "dnsPolicy", "v1.DNSPolicy"),
    (
        "api.core.v1.PodSpec",
        "preemptionPolicy",
        "v1.PreemptionPolicy",
    ),
    ("api.core.v1.PodSpec", "overhead", "v1.ResourceList"),
    ("api.core.v1.Container", "imagePullPolicy", "v1.PullPolicy"),
    (
        "api.core.v1.Container",
        "terminationMessagePolicy",
        "v1.TerminationMessagePolicy",
    ),
    (
        "api.core.v1.Container",
        "restartPolicy",
        "v1.ContainerRestartPolicy",
    ),
    (
        "api.core.v1.EphemeralContainer",
        "imagePullPolicy",
        "v1.PullPolicy",
    ),
    (
        "api.core.v1.EphemeralContainer",
        "terminationMessagePolicy",
        "v1.TerminationMessagePolicy",
    ),
    (
        "api.core.v1.EphemeralContainer",
        "restartPolicy",
        "v1.ContainerRestartPolicy",
    ),
    ("api.core.v1.ContainerPort", "protocol", "v1.Protocol"),
    (
        "api.core.v1.ResourceRequirements",
        "limits",
        "v1.ResourceList",
    ),
    (
        "api.core.v1.ResourceRequirements",
        "requests",
        "v1.ResourceList",
    ),
    (
        "api.core.v1.VolumeResourceRequirements",
        "limits",
        "v1.ResourceList",
    ),
    (
        "api.core.v1.VolumeResourceRequirements",
        "requests",
        "v1.ResourceList",
    ),
    (
        "api.core.v1.ContainerResizePolicy",
        "resourceName",
        "v1.ResourceName",
    ),
    (
        "api.core.v1.ContainerResizePolicy",
        "restartPolicy",
        "v1.ResourceResizeRestartPolicy",
    ),
    (
        "api.core.v1.Toleration",
        "operator",
        "v1.TolerationOperator",
    ),
    ("api.core.v1.Toleration", "effect", "v1.TaintEffect"),
    ("api.core.v1.Taint", "effect", "v1.TaintEffect"),
    (
        "api.core.v1.NodeSelectorRequirement",
        "operator",
        "v1.NodeSelectorOperator",
    ),
    ("api.core.v1.HTTPGetAction", "scheme", "v1.URIScheme"),
    ("api.core.v1.Capabilities", "add", "v1.Capability"),
    ("api.core.v1.Capabilities", "drop", "v1.Capability"),
    (
        "api.core.v1.SecurityContext",
        "procMount",
        "v1.ProcMountType",
    ),
    (
        "api.core.v1.SeccompProfile",
        "type",
        "v1.SeccompProfileType",
    ),
    (
        "api.core.v1.AppArmorProfile",
        "type",
        "v1.AppArmorProfileType",
    ),
    (
        "api.core.v1.PodSecurityContext",
        "fsGroupChangePolicy",
        "v1.PodFSGroupChangePolicy",
    ),
    (
        "api.core.v1.PodSecurityContext",
        "supplementalGroupsPolicy",
        "v1.SupplementalGroupsPolicy",
    ),
    (
        "api.core.v1.PodSecurityContext",
        "seLinuxChangePolicy",
        "v1.PodSELinuxChangePolicy",
    ),
    (
        "api.core.v1.HostPathVolumeSource",
        "type",
        "v1.HostPathType",
    ),
    (
        "api.core.v1.EmptyDirVolumeSource",
        "medium",
        "v1.StorageMedium",
    ),
    (
        "api.core.v1.VolumeMount",
        "mountPropagation",
        "v1.MountPropagationMode",
    ),
    (
        "api.core.v1.VolumeMount",
        "recursiveReadOnly",
        "v1.RecursiveReadOnlyMode",
    ),
    (
        "api.core.v1.TopologySpreadConstraint",
        "whenUnsatisfiable",
        "v1.UnsatisfiableConstraintAction",
    ),
    (
        "api.core.v1.TopologySpreadConstraint",
        "nodeAffinityPolicy",
        "v1.NodeInclusionPolicy",
    ),
    (
        "api.core.v1.TopologySpreadConstraint",
        "nodeTaintsPolicy",
        "v1.NodeInclusionPolicy",
    ),
    ("api.core.v1.PodOS", "name", "v1.OSName"),
    ("api.core.v1.PodStatus", "phase", "v1.PodPhase"),
    ("api.core.v1.PodStatus", "qosClass", "v1.PodQOSClass"),
    ("api.core.v1.PodCondition", "type", "v1.PodConditionType"),
    ("api.core.v1.PodCondition", "status", "v1.ConditionStatus"),
    (
        "api.core.v1.ContainerStatus",
        "allocatedResources",
        "v1.ResourceList",
    ),
    ("api.core.v1.ObjectFieldSelector", "fieldPath", "string"),
    // core/v1 Service.
    ("api.core.v1.ServiceSpec", "type", "v1.ServiceType"),
    (
        "api.core.v1.ServiceSpec",
        "sessionAffinity",
        "v1.ServiceAffinity",
    ),
    (
        "api.core.v1.ServiceSpec",
        "externalTrafficPolicy",
        "v1.ServiceExternalTrafficPolicy",
    ),
    (
        "api.core.v1.ServiceSpec",
        "internalTrafficPolicy",
        "v1.ServiceInternalTrafficPolicy",
    ),
    ("api.core.v1.ServiceSpec", "ipFamilies", "v1.IPFamily"),
    (
        "api.core.v1.ServiceSpec",
        "ipFamilyPolicy",
        "v1.IPFamilyPolicy",
    ),
    ("api.core.v1.ServicePort", "protocol", "v1.Protocol"),
    // core/v1 other kinds.
    ("api.core.v1.Secret", "type", "v1.SecretType"),
    (
        "api.core.v1.NamespaceSpec",
        "finalizers",
        "v1.FinalizerName",
    ),
    ("api.core.v1.NamespaceStatus", "phase", "v1.NamespacePhase"),
    (
        "api.core.v1.PersistentVolumeClaimSpec",
        "accessModes",
        "v1.PersistentVolumeAccessMode",
    ),
    (
        "api.core.v1.PersistentVolumeClaimSpec",
        "volumeMode",
        "v1.PersistentVolumeMode",
    ),
    (
        "api.core.v1.PersistentVolumeClaimStatus",
        "phase",
        "v1.PersistentVolumeClaimPhase",
    ),
    (
        "api.core.v1.PersistentVolumeClaimStatus",
        "capacity",
        "v1.ResourceList",
    ),
    (
        "api.core.v1.PersistentVolumeClaimStatus",
        "accessModes",
        "v1.PersistentVolumeAccessMode",
    ),
    ("api.core.v1.ResourceQuotaSpec", "hard", "v1.ResourceList"),
    (
        "api.core.v1.ResourceQuotaSpec",
        "scopes",
        "v1.ResourceQuotaScope",
    ),
    ("api.core.v1.ResourceQuotaStatus", "hard", "v1.ResourceList"),
    ("api.core.v1.ResourceQuotaStatus", "used", "v1.ResourceList"),
    ("api.core.v1.LimitRangeItem", "type", "v1.LimitType"),
    ("api.core.v1.LimitRangeItem", "max", "v1.ResourceList"),
    ("api.core.v1.LimitRangeItem", "min", "v1.ResourceList"),
    ("api.core.v1.LimitRangeItem", "default", "v1.ResourceList"),
    (
        "api.core.v1.LimitRangeItem",
        "defaultRequest",
        "v1.ResourceList",
    ),
    (
        "api.core.v1.LimitRangeItem",
        "maxLimitRequestRatio",
        "v1.ResourceList",
    ),
    ("api.core.v1.NodeStatus", "capacity", "v1.ResourceList"),
    ("api.core.v1.NodeStatus", "allocatable", "v1.ResourceList"),
    ("api.core.v1.NodeStatus", "phase", "v1.NodePhase"),
    ("api.core.v1.NodeCondition", "type", "v1.NodeConditionType"),
    ("api.core.v1.NodeCondition", "status", "v1.ConditionStatus"),
    ("api.core.v1.NodeAddress", "type", "v1.NodeAddressType"),
    // meta/v1.
    (
        "apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "uid",
        "types.UID",
    ),
    (
        "apimachinery.pkg.apis.meta.v1.OwnerReference",
        "uid",
        "types.UID",
    ),
    (
        "apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry",
        "operation",
        "v1.ManagedFieldsOperationType",
    ),
    (
        "apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement",
        "operator",
        "v1.LabelSelectorOperator",
    ),
    (
        "apimachinery.pkg.apis.meta.v1.Condition",
        "status",
        "v1.ConditionStatus",
    ),
    // apps/v1, batch/v1.
    (
        "api.apps.v1.DeploymentStrategy",
        "type",
        "v1.DeploymentStrategyType",
    ),
    (
        "api.apps.v1.DaemonSetUpdateStrategy",
        "type",
        "v1.DaemonSetUpdateStrategyType",
    ),
    (
        "api.apps.v1.DeploymentCondition",
        "type",
        "v1.DeploymentConditionType",
    ),
    (
        "api.apps.v1.DeploymentCondition",
        "status",
        "v1.ConditionStatus",
    ),
    (
        "api.apps.v1.ReplicaSetCondition",
        "type",
        "v1.ReplicaSetConditionType",
    ),
    (
        "api.apps.v1.ReplicaSetCondition",
        "status",
        "v1.ConditionStatus",
    ),
    (
        "api.apps.v1.DaemonSetCondition",
        "type",
        "v1.DaemonSetConditionType",
    ),
    (
        "api.apps.v1.DaemonSetCondition",
        "status",
        "v1.ConditionStatus",
    ),
    (
        "api.batch.v1.JobSpec",
        "completionMode",
        "v1.CompletionMode",
    ),
    (
        "api.batch.v1.JobSpec",
        "podReplacementPolicy",
        "v1.PodReplacementPolicy",
    ),
    ("api.batch.v1.JobCondition", "type", "v1.JobConditionType"),
    ("api.batch.v1.JobCondition", "status", "v1.ConditionStatus"),
    (
        "api.batch.v1.PodFailurePolicyRule",
        "action",
        "v1.PodFailurePolicyAction",
    ),
    (
        "api.batch.v1.PodFailurePolicyOnExitCodesRequirement",
        "operator",
        "v1.PodFailurePolicyOnExitCodesOperator",
    ),
    (
        "api.batch.v1.PodFailurePolicyOnPodConditionsPattern",
        "type",
        "v1.PodConditionType",
    ),
    (
        "api.batch.v1.PodFailurePolicyOnPodConditionsPattern",
        "status",
        "v1.ConditionStatus",
    ),
    // discovery/v1, admissionregistration/v1.
    (
        "api.discovery.v1.EndpointSlice",
        "addressType",
        "v1.AddressType",
    ),
    ("api.discovery.v1.EndpointPort", "protocol", "v1.Protocol"),
    (
        "api.admissionregistration.v1.MutatingWebhook",
        "failurePolicy",
        "v1.FailurePolicyType",
    ),
    (
        "api.admissionregistration.v1.MutatingWebhook",
        "matchPolicy",
        "v1.MatchPolicyType",
    ),
    (
        "api.admissionregistration.v1.MutatingWebhook",
        "sideEffects",
        "v1.SideEffectClass",
    ),
    (
        "api.admissionregistration.v1.MutatingWebhook",
        "reinvocationPolicy",
        "v1.ReinvocationPolicyType",
    ),
    (
        "api.admissionregistration.v1.ValidatingWebhook",
        "failurePolicy",
        "v1.FailurePolicyType",
    ),
    (
        "api.admissionregistration.v1.ValidatingWebhook",
        "matchPolicy",
        "v1.MatchPolicyType",
    ),
    (
        "api.admissionregistration.v1.ValidatingWebhook",
        "sideEffects",
        "v1.SideEffectClass",
    ),
    (
        "api.admissionregistration.v1.RuleWithOperations",
        "operations",
        "v1.OperationType",
    ),
    (
        "api.admissionregistration.v1.RuleWithOperations",
        "scope",
        "v1.ScopeType",
    ),
];

macro_rules! roots {
    ($gen:expr, $( $api_version:literal $kind:literal $ty:ty ),* $(,)?) => {{
        let mut roots = Vec::new();
        $(
            let schema = $gen.subschema_for::<$ty>();
            let reference = schema.get("$ref").and_then(Value::as_str).unwrap_or_default().to_string();
            roots.push(($api_version, $kind, key_of(&reference)));
        )*
        roots
    }};
}

fn main() {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let roots = roots!(generator,
        "v1" "Pod" api::core::v1::Pod,
        "v1" "Service" api::core::v1::Service,
        "v1" "ConfigMap" api::core::v1::ConfigMap,
        "v1" "Secret" api::core::v1::Secret,
        "v1" "Namespace" api::core::v1::Namespace,
        "v1" "ServiceAccount" api::core::v1::ServiceAccount,
        "v1" "PersistentVolumeClaim" api::core::v1::PersistentVolumeClaim,
        "v1" "ResourceQuota" api::core::v1::ResourceQuota,
        "v1" "LimitRange" api::core::v1::LimitRange,
        "v1" "Node" api::core::v1::Node,
        "v1" "Event" api::core::v1::Event,
        "apps/v1" "Deployment" api::apps::v1::Deployment,
        "apps/v1" "ReplicaSet" api::apps::v1::ReplicaSet,
        "apps/v1" "DaemonSet" api::apps::v1::DaemonSet,
        "batch/v1" "Job" api::batch::v1::Job,
        "rbac.authorization.k8s.io/v1" "Role" api::rbac::v1::Role,
        "rbac.authorization.k8s.io/v1" "RoleBinding" api::rbac::v1::RoleBinding,
        "rbac.authorization.k8s.io/v1" "ClusterRole" api::rbac::v1::ClusterRole,
        "rbac.authorization.k8s.io/v1" "ClusterRoleBinding" api::rbac::v1::ClusterRoleBinding,
        "admissionregistration.k8s.io/v1" "MutatingWebhookConfiguration" api::admissionregistration::v1::MutatingWebhookConfiguration,
        "admissionregistration.k8s.io/v1" "ValidatingWebhookConfiguration" api::admissionregistration::v1::ValidatingWebhookConfiguration,
        "discovery.k8s.io/v1" "EndpointSlice" api::discovery::v1::EndpointSlice,
        "events.k8s.io/v1" "Event" api::events::v1::Event,
        "coordination.k8s.io/v1" "Lease" api::coordination::v1::Lease,
    );

    let definitions: BTreeMap<String, Value> = generator
        .definitions()
        .iter()
        .map(|(name, schema)| (key_of(name), schema.clone()))
        .collect();

    println!(
        "# Generated by tools/gen-schema from k8s-openapi (Kubernetes v1.33). Do not edit by hand."
    );
    let mut sorted_roots = roots.clone();
    sorted_roots.sort();
    for (api_version, kind, key) in &sorted_roots {
        println!("root {api_version} {kind} {key}");
    }
    let mut used_overrides = 0;
    for (key, schema) in &definitions {
        if atom(key).is_some() {
            continue;
        }
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            panic!("{key} is neither a known scalar nor an object with properties: {schema}");
        };
        let mut line = format!("type {key} {}", go_name(key));
        for (field, field_schema) in properties {
            let go = GO_NAMES
                .iter()
                .find(|(k, f, _)| k == key && f == field)
                .map(|(_, _, go)| *go);
            if go.is_some() {
                used_overrides += 1;
            }
            line.push_str(&format!(" {field}:{}", field_type(field_schema, go)));
        }
        println!("{line}");
    }
    assert_eq!(
        used_overrides,
        GO_NAMES.len(),
        "a GO_NAMES entry names no field"
    );
}

/// `#/$defs/io.k8s.api.core.v1.Pod` or `io.k8s.api.core.v1.Pod` → `api.core.v1.Pod`.
fn key_of(reference: &str) -> String {
    let name = reference.rsplit('/').next().unwrap_or(reference);
    name.strip_prefix("io.k8s.").unwrap_or(name).to_string()
}

/// The Go type name as Go prints it: package name, dot, type name (`v1.Container`).
fn go_name(key: &str) -> String {
    let mut parts = key.rsplitn(3, '.');
    let name = parts.next().unwrap_or_default();
    let package = parts.next().unwrap_or_default();
    format!("{package}.{name}")
}

/// Types with custom JSON (un)marshalling, written as atoms.
fn atom(key: &str) -> Option<&'static str> {
    Some(match key {
        "apimachinery.pkg.api.resource.Quantity" => "Quantity",
        "apimachinery.pkg.util.intstr.IntOrString" => "IntOrString",
        "apimachinery.pkg.apis.meta.v1.Time" => "Time",
        "apimachinery.pkg.apis.meta.v1.MicroTime" => "MicroTime",
        "apimachinery.pkg.runtime.RawExtension" => "raw",
        "apimachinery.pkg.apis.meta.v1.FieldsV1" => "raw",
        "apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON" => "raw",
        _ => return None,
    })
}

fn field_type(schema: &Value, go: Option<&str>) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let key = key_of(reference);
        return match atom(&key) {
            Some(a) => a.to_string(),
            None => format!("@{key}"),
        };
    }
    let ty = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let format = schema
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let prefix = |plain: &str| match go {
        Some(g) if g != plain => format!("{g}="),
        _ => String::new(),
    };
    match ty {
        "array" => {
            let items = schema.get("items").expect("array with items");
            // A named element type (`[]v1.Capability`) names the element.
            format!("[]{}", field_type(items, go))
        }
        "object" => match schema.get("additionalProperties") {
            Some(values) => format!("{}map[string]{}", prefix("map"), field_type(values, None)),
            None => panic!("object without properties or additionalProperties: {schema}"),
        },
        "string" if format == "byte" => "bytes".to_string(),
        "string" => format!("{}string", prefix("string")),
        "boolean" => "bool".to_string(),
        "integer" if format == "int32" => format!("{}int32", prefix("int32")),
        "integer" if format == "int64" => format!("{}int64", prefix("int64")),
        "number" if format == "double" => "float64".to_string(),
        _ => panic!("unmapped schema: {schema}"),
    }
}
