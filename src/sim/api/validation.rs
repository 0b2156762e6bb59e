//! Object validation: the apiserver's `Validate*` functions for the fields a learner
//! usually gets wrong, with upstream's field paths, order and words
//! (pkg/apis/core/validation/validation.go, pkg/apis/apps/validation/validation.go,
//! pkg/apis/batch/validation/validation.go, k8s.io/apimachinery/pkg/api/validation and
//! pkg/util/validation, v1.31–v1.33). Runs on the defaulted, admitted object.
//!
//! Error text comes from k8s.io/apimachinery/pkg/util/validation/field/errors.go
//! (`Error.ErrorBody`); the 422 message from apierrors.NewInvalid and kubectl's
//! `MultilineError` (one error inline, several as `\n* ` lines).
//!
//! Coverage is partial by design: metadata (name, labels), containers (name, image,
//! ports, pull policy, resources, probes, volume mounts), volumes, restart and DNS policy,
//! Deployment/ReplicaSet/DaemonSet/Job selectors and templates, Service ports. Upstream
//! iterates Go maps (resource lists) in random order; here they go in key order.

use crate::sim::object::At;
use std::fmt;

use serde_json::{Map, Value};

use super::decode::PathSegment;
use crate::sim::quantity::Quantity;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    NotFound,
    Required,
    Duplicate,
    Invalid,
    NotSupported,
    Forbidden,
    TooLong,
}

impl ErrorType {
    /// field.ErrorType.String().
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::NotFound => "Not found",
            ErrorType::Required => "Required value",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::Invalid => "Invalid value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TooLong => "Too long",
        }
    }

    /// The `reason` of the Status cause (metav1.CauseType).
    pub fn cause_reason(self) -> &'static str {
        match self {
            ErrorType::NotFound => "FieldValueNotFound",
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::TooLong => "FieldValueTooLong",
        }
    }
}

/// One field error (field.Error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path, for the editor.
    pub path: Vec<PathSegment>,
    pub error_type: ErrorType,
    /// The bad value as Go's `%v`/`%q`/`%#v` prints it, if the error shows one.
    pub bad_value: Option<String>,
    pub detail: String,
}

impl FieldError {
    /// field.Path.String(): `spec.containers[0].image`, map keys as `[key]`.
    pub fn field(&self) -> String {
        let mut out = String::new();
        for segment in &self.path {
            match segment {
                PathSegment::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                PathSegment::MapKey(k) => out.push_str(&format!("[{k}]")),
                PathSegment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    /// field.Error.ErrorBody(): `Required value`, `Invalid value: "x": detail`.
    pub fn body(&self) -> String {
        let mut s = self.error_type.as_str().to_string();
        if let Some(value) = &self.bad_value {
            s.push_str(": ");
            s.push_str(value);
        }
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field(), self.body())
    }
}

/// kubectl's message for a 422: `The Pod "x" is invalid: <err>` or, with several errors,
/// `The Pod "x" is invalid: \n* <err>\n* <err>` (kubectl cmdutil MultilineError, without
/// the final newline).
pub fn invalid_message(obj: &Value, errors: &[FieldError]) -> String {
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let name = obj
        .at("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let prefix = format!("The {kind} {name:?} is invalid: ");
    match errors {
        [] => prefix,
        [one] => format!("{prefix}{one}"),
        many => {
            let lines: Vec<String> = many.iter().map(|e| format!("* {e}")).collect();
            format!("{prefix}\n{}", lines.join("\n"))
        }
    }
}

/// The Status message the apiserver itself returns (apierrors.NewInvalid):
/// `Deployment.apps "x" is invalid: [a, b]` (core kinds without a group: `Pod "x"`).
pub fn server_invalid_message(obj: &Value, errors: &[FieldError]) -> String {
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let name = obj
        .at("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let qualified = match api_version.split_once('/') {
        Some((group, _)) => format!("{kind}.{group}"),
        None => kind.to_string(),
    };
    let aggregate = match errors {
        [one] => one.to_string(),
        many => format!(
            "[{}]",
            many.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!("{qualified} {name:?} is invalid: {aggregate}")
}

// ---- messages from k8s.io/apimachinery/pkg/util/validation/validation.go ---------------

const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const PORT_RANGE_MSG: &str = "must be between 1 and 65535, inclusive";
const NEGATIVE_MSG: &str = "must be greater than or equal to 0";
/// TotalAnnotationSizeLimitB (apimachinery pkg/api/validation/objectmeta.go): 256 KiB.
pub const TOTAL_ANNOTATION_SIZE_LIMIT_B: usize = 256 * 1024;

fn max_len_msg(n: usize) -> String {
    format!("must be no more than {n} characters")
}

fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// IsDNS1123Label.
fn dns1123_label_errors(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_msg(63));
    }
    if !is_dns1123_label(s) {
        errs.push(DNS1123_LABEL_MSG.to_string());
    }
    errs
}

/// IsDNS1123Subdomain.
fn dns1123_subdomain_errors(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push(max_len_msg(253));
    }
    if !s.split('.').all(is_dns1123_label) {
        errs.push(DNS1123_SUBDOMAIN_MSG.to_string());
    }
    errs
}

/// IsDNS1035Label.
fn dns1035_label_errors(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_msg(63));
    }
    if !(is_dns1123_label(s) && s.as_bytes()[0].is_ascii_lowercase()) {
        errs.push(DNS1035_LABEL_MSG.to_string());
    }
    errs
}

fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// IsQualifiedName (label keys).
fn qualified_name_errors(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = s.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                for msg in dns1123_subdomain_errors(prefix) {
                    errs.push(format!("prefix part {msg}"));
                }
            }
            name
        }
        _ => {
            return vec![format!("a qualified name {QUALIFIED_NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")];
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_msg(63)));
    }
    if !is_qualified_name_part(name) {
        errs.push(format!("name part {QUALIFIED_NAME_MSG}"));
    }
    errs
}

/// IsValidLabelValue.
fn label_value_errors(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_msg(63));
    }
    if !s.is_empty() && !is_qualified_name_part(s) {
        errs.push(LABEL_VALUE_MSG.to_string());
    }
    errs
}

/// IsValidPortName.
fn port_name_errors(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 15 {
        errs.push(max_len_msg(15));
    }
    let b = s.as_bytes();
    if !b
        .iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
    {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into());
    }
    if !b.iter().any(u8::is_ascii_lowercase) {
        errs.push("must contain at least one letter (a-z)".into());
    }
    if s.contains("--") {
        errs.push("must not contain consecutive hyphens".into());
    }
    if b.first() == Some(&b'-') || b.last() == Some(&b'-') {
        errs.push("must not begin or end with a hyphen".into());
    }
    errs
}

// ---- the validator ---------------------------------------------------------------------

/// Go's `%q` of a string.
fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// Go's `%#v` of a `map[string]string` (keys sorted, as fmt prints maps).
fn go_string_map(value: Option<&Value>) -> String {
    match value.and_then(Value::as_object) {
        None => "map[string]string(nil)".to_string(),
        Some(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}:{}", quote(k), quote(v.as_str().unwrap_or(""))))
                .collect();
            format!("map[string]string{{{}}}", entries.join(", "))
        }
    }
}

struct Validator {
    path: Vec<PathSegment>,
    errors: Vec<FieldError>,
}

impl Validator {
    fn at<R>(&mut self, segments: &[PathSegment], f: impl FnOnce(&mut Self) -> R) -> R {
        let depth = self.path.len();
        self.path.extend_from_slice(segments);
        let r = f(self);
        self.path.truncate(depth);
        r
    }

    fn push(
        &mut self,
        rel: &[PathSegment],
        error_type: ErrorType,
        bad_value: Option<String>,
        detail: &str,
    ) {
        let mut path = self.path.clone();
        path.extend_from_slice(rel);
        self.errors.push(FieldError {
            path,
            error_type,
            bad_value,
            detail: detail.to_string(),
        });
    }

    fn required(&mut self, rel: &[PathSegment], detail: &str) {
        self.push(rel, ErrorType::Required, None, detail);
    }

    fn invalid(&mut self, rel: &[PathSegment], value: String, detail: &str) {
        self.push(rel, ErrorType::Invalid, Some(value), detail);
    }

    fn not_supported(&mut self, rel: &[PathSegment], value: &str, supported: &[&str]) {
        let list: Vec<String> = supported.iter().map(|s| quote(s)).collect();
        let detail = format!("supported values: {}", list.join(", "));
        self.push(rel, ErrorType::NotSupported, Some(quote(value)), &detail);
    }

    fn nonnegative(&mut self, map: &Map<String, Value>, key: &str) {
        if let Some(n) = map.get(key).and_then(Value::as_i64) {
            if n < 0 {
                self.invalid(&[key.into()], n.to_string(), NEGATIVE_MSG);
            }
        }
    }

    /// ValidateObjectMeta: name (by `name_errors`) and labels.
    fn object_meta(&mut self, obj: &Value, name_errors: fn(&str) -> Vec<String>) {
        let empty = Map::new();
        let meta = obj
            .get("metadata")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        self.at(&["metadata".into()], |v| {
            let name = meta.get("name").and_then(Value::as_str).unwrap_or("");
            let generate_name = meta
                .get("generateName")
                .and_then(Value::as_str)
                .unwrap_or("");
            if name.is_empty() && generate_name.is_empty() {
                v.required(&["name".into()], "name or generateName is required");
            } else if !name.is_empty() {
                for msg in name_errors(name) {
                    v.invalid(&["name".into()], quote(name), &msg);
                }
            }
            v.labels(meta.get("labels"), "labels");
            v.annotations_size(meta.get("annotations"));
        });
    }

    /// ValidateAnnotations' size check (apimachinery pkg/api/validation/objectmeta.go,
    /// ValidateAnnotationsSize): keys and values together at most
    /// TotalAnnotationSizeLimitB. `kubectl apply` keeps the whole manifest in an
    /// annotation, so a very large object is refused here before it reaches etcd.
    fn annotations_size(&mut self, annotations: Option<&Value>) {
        let total: usize = annotations
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
                    .sum()
            })
            .unwrap_or(0);
        if total > TOTAL_ANNOTATION_SIZE_LIMIT_B {
            // field.TooLong omits the value (v1.32+ wording; v1.31 said "must have at most").
            let detail = format!("may not be more than {TOTAL_ANNOTATION_SIZE_LIMIT_B} bytes");
            self.push(&["annotations".into()], ErrorType::TooLong, None, &detail);
        }
    }

    /// ValidateLabels: keys are qualified names, values label values.
    fn labels(&mut self, labels: Option<&Value>, field: &str) {
        let Some(labels) = labels.and_then(Value::as_object) else {
            return;
        };
        for (key, value) in labels {
            for msg in qualified_name_errors(key) {
                self.invalid(&[field.into()], quote(key), &msg);
            }
            let value = value.as_str().unwrap_or("");
            for msg in label_value_errors(value) {
                self.invalid(
                    &[field.into(), PathSegment::MapKey(key.clone())],
                    quote(value),
                    &msg,
                );
            }
        }
    }

    /// ValidatePodSpec (the parts covered here), at the current path (`spec`).
    fn pod_spec(&mut self, spec: &Map<String, Value>) {
        let volumes = self.at(&["volumes".into()], |v| v.volumes(spec.get("volumes")));
        self.at(&["containers".into()], |v| {
            let containers = spec.get("containers").and_then(Value::as_array);
            if containers.is_none_or(|c| c.is_empty()) {
                v.required(&[], "");
            }
            v.containers(containers, &volumes, &mut Vec::new());
        });
        if let Some(init) = spec.get("initContainers").and_then(Value::as_array) {
            let mut names: Vec<String> = Vec::new();
            self.at(&["initContainers".into()], |v| {
                v.containers(Some(init), &volumes, &mut names)
            });
        }
        match spec
            .get("restartPolicy")
            .and_then(Value::as_str)
            .unwrap_or("")
        {
            "Always" | "OnFailure" | "Never" => {}
            "" => self.required(&["restartPolicy".into()], ""),
            other => self.not_supported(
                &["restartPolicy".into()],
                other,
                &["Always", "OnFailure", "Never"],
            ),
        }
        match spec.get("dnsPolicy").and_then(Value::as_str).unwrap_or("") {
            "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None" => {}
            "" => self.required(&["dnsPolicy".into()], ""),
            other => self.not_supported(
                &["dnsPolicy".into()],
                other,
                &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
            ),
        }
        self.labels(spec.get("nodeSelector"), "nodeSelector");
    }

    /// ValidateVolumes; returns the names of the valid volumes.
    fn volumes(&mut self, volumes: Option<&Value>) -> Vec<String> {
        let mut valid: Vec<String> = Vec::new();
        let Some(volumes) = volumes.and_then(Value::as_array) else {
            return valid;
        };
        for (i, volume) in volumes.iter().enumerate() {
            let before = self.errors.len();
            self.at(&[i.into()], |v| {
                let empty = Map::new();
                let volume = volume.as_object().unwrap_or(&empty);
                let sources: Vec<&String> = volume
                    .iter()
                    .filter(|(k, val)| k.as_str() != "name" && !val.is_null())
                    .map(|(k, _)| k)
                    .collect();
                match sources.as_slice() {
                    [] => v.required(&[], "must specify a volume type"),
                    [_] => {}
                    [_, rest @ ..] => {
                        for source in rest {
                            v.push(
                                &[source.as_str().into()],
                                ErrorType::Forbidden,
                                None,
                                "may not specify more than 1 volume type",
                            );
                        }
                    }
                }
                let name = volume.get("name").and_then(Value::as_str).unwrap_or("");
                if name.is_empty() {
                    v.required(&["name".into()], "");
                } else {
                    for msg in dns1123_label_errors(name) {
                        v.invalid(&["name".into()], quote(name), &msg);
                    }
                }
                if valid.iter().any(|n| n == name) {
                    v.push(
                        &["name".into()],
                        ErrorType::Duplicate,
                        Some(quote(name)),
                        "",
                    );
                }
            });
            if self.errors.len() == before {
                if let Some(name) = volume.get("name").and_then(Value::as_str) {
                    valid.push(name.to_string());
                }
            }
        }
        valid
    }

    /// validateContainers / validateInitContainers (common part and probes).
    fn containers(
        &mut self,
        containers: Option<&Vec<Value>>,
        volumes: &[String],
        names: &mut Vec<String>,
    ) {
        for (i, container) in containers.into_iter().flatten().enumerate() {
            let empty = Map::new();
            let c = container.as_object().unwrap_or(&empty);
            self.at(&[i.into()], |v| {
                v.container_common(c, volumes);
                let name = c
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if names.contains(&name) {
                    v.push(
                        &["name".into()],
                        ErrorType::Duplicate,
                        Some(quote(&name)),
                        "",
                    );
                } else {
                    names.push(name);
                }
                for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                    if let Some(p) = c.get(probe).and_then(Value::as_object) {
                        v.at(&[probe.into()], |v| v.probe(p));
                        let success = p.get("successThreshold").and_then(Value::as_i64);
                        if probe != "readinessProbe" && success.is_some_and(|s| s != 1) {
                            v.invalid(
                                &[probe.into(), "successThreshold".into()],
                                success.unwrap_or(0).to_string(),
                                "must be 1",
                            );
                        }
                    }
                }
            });
        }
    }

    fn container_common(&mut self, c: &Map<String, Value>, volumes: &[String]) {
        let name = c.get("name").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() {
            self.required(&["name".into()], "");
        } else {
            for msg in dns1123_label_errors(name) {
                self.invalid(&["name".into()], quote(name), &msg);
            }
        }
        if c.get("image")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            self.required(&["image".into()], "");
        }
        match c
            .get("terminationMessagePolicy")
            .and_then(Value::as_str)
            .unwrap_or("")
        {
            "File" | "FallbackToLogsOnError" => {}
            "" => self.required(&["terminationMessagePolicy".into()], ""),
            other => self.not_supported(
                &["terminationMessagePolicy".into()],
                other,
                &["File", "FallbackToLogsOnError"],
            ),
        }
        self.at(&["ports".into()], |v| v.container_ports(c.get("ports")));
        if let Some(env) = c.get("env").and_then(Value::as_array) {
            for (i, e) in env.iter().enumerate() {
                if e.get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .is_empty()
                {
                    self.required(&["env".into(), i.into(), "name".into()], "");
                }
            }
        }
        self.at(&["volumeMounts".into()], |v| {
            v.volume_mounts(c.get("volumeMounts"), volumes)
        });
        match c
            .get("imagePullPolicy")
            .and_then(Value::as_str)
            .unwrap_or("")
        {
            "Always" | "IfNotPresent" | "Never" => {}
            "" => self.required(&["imagePullPolicy".into()], ""),
            other => self.not_supported(
                &["imagePullPolicy".into()],
                other,
                &["Always", "IfNotPresent", "Never"],
            ),
        }
        if let Some(resources) = c.get("resources").and_then(Value::as_object) {
            self.at(&["resources".into()], |v| v.resources(resources));
        }
    }

    /// validateContainerPorts.
    fn container_ports(&mut self, ports: Option<&Value>) {
        let mut names: Vec<&str> = Vec::new();
        for (i, port) in ports
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let at = |k: &str| [PathSegment::Index(i), k.into()];
            let name = port.get("name").and_then(Value::as_str).unwrap_or("");
            if !name.is_empty() {
                let msgs = port_name_errors(name);
                if !msgs.is_empty() {
                    for msg in msgs {
                        self.invalid(&at("name"), quote(name), &msg);
                    }
                } else if names.contains(&name) {
                    self.push(&at("name"), ErrorType::Duplicate, Some(quote(name)), "");
                } else {
                    names.push(name);
                }
            }
            match port
                .get("containerPort")
                .and_then(Value::as_i64)
                .unwrap_or(0)
            {
                0 => self.required(&at("containerPort"), ""),
                n if !(1..=65535).contains(&n) => {
                    self.invalid(&at("containerPort"), n.to_string(), PORT_RANGE_MSG)
                }
                _ => {}
            }
            match port.get("hostPort").and_then(Value::as_i64).unwrap_or(0) {
                n if n != 0 && !(1..=65535).contains(&n) => {
                    self.invalid(&at("hostPort"), n.to_string(), PORT_RANGE_MSG)
                }
                _ => {}
            }
            self.protocol(port, &at("protocol"));
        }
    }

    fn protocol(&mut self, port: &Value, path: &[PathSegment]) {
        match port.get("protocol").and_then(Value::as_str).unwrap_or("") {
            "TCP" | "UDP" | "SCTP" => {}
            "" => self.required(path, ""),
            other => self.not_supported(path, other, &["SCTP", "TCP", "UDP"]),
        }
    }

    /// ValidateVolumeMounts.
    fn volume_mounts(&mut self, mounts: Option<&Value>, volumes: &[String]) {
        let mut paths: Vec<&str> = Vec::new();
        for (i, mount) in mounts
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let at = |k: &str| [PathSegment::Index(i), k.into()];
            let name = mount.get("name").and_then(Value::as_str).unwrap_or("");
            if name.is_empty() {
                self.required(&at("name"), "");
            }
            if !volumes.iter().any(|v| v == name) {
                self.push(&at("name"), ErrorType::NotFound, Some(quote(name)), "");
            }
            let mount_path = mount.get("mountPath").and_then(Value::as_str).unwrap_or("");
            if mount_path.is_empty() {
                self.required(&at("mountPath"), "");
            }
            if paths.contains(&mount_path) {
                self.invalid(&at("mountPath"), quote(mount_path), "must be unique");
            }
            paths.push(mount_path);
        }
    }

    /// ValidateResourceRequirements: quantities non-negative, extended resources integer and
    /// not overcommitted, requests ≤ limits.
    fn resources(&mut self, resources: &Map<String, Value>) {
        let empty = Map::new();
        let limits = resources
            .get("limits")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let requests = resources
            .get("requests")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        for (name, value) in limits {
            self.quantity_value(
                &["limits".into(), PathSegment::MapKey(name.clone())],
                name,
                value,
            );
        }
        for (name, value) in requests {
            self.quantity_value(
                &["requests".into(), PathSegment::MapKey(name.clone())],
                name,
                value,
            );
            let (Ok(request), limit) = (Quantity::from_json(value), limits.get(name)) else {
                continue;
            };
            match limit.map(|l| (l, Quantity::from_json(l))) {
                Some((l, Ok(limit))) => {
                    if request != limit && !overcommit_allowed(name) {
                        let detail = format!("must be equal to {name} limit of {}", text(l));
                        self.invalid(&["requests".into()], quote(&text(value)), &detail);
                    } else if request > limit {
                        let detail =
                            format!("must be less than or equal to {name} limit of {}", text(l));
                        self.invalid(&["requests".into()], quote(&text(value)), &detail);
                    }
                }
                Some((_, Err(_))) => {}
                None if !overcommit_allowed(name) => {
                    self.required(
                        &["limits".into()],
                        "Limit must be set for non overcommitable resources",
                    );
                }
                None => {}
            }
        }
    }

    fn quantity_value(&mut self, rel: &[PathSegment], name: &str, value: &Value) {
        let Ok(q) = Quantity::from_json(value) else {
            return;
        };
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if q.is_negative() {
            self.invalid(rel, quote(&text), NEGATIVE_MSG);
        }
        if !overcommit_allowed(name) && q.milli_value() % 1000 != 0 {
            self.invalid(rel, quote(&text), "must be an integer");
        }
    }

    /// validateProbe: one handler, non-negative numbers.
    fn probe(&mut self, probe: &Map<String, Value>) {
        let handlers: Vec<&str> = ["exec", "httpGet", "tcpSocket", "grpc"]
            .into_iter()
            .filter(|h| probe.get(*h).is_some_and(|v| !v.is_null()))
            .collect();
        match handlers.as_slice() {
            [] => self.required(&[], "must specify a handler type"),
            [_] => {}
            [_, rest @ ..] => {
                for h in rest {
                    self.push(
                        &[(*h).into()],
                        ErrorType::Forbidden,
                        None,
                        "may not specify more than 1 handler type",
                    );
                }
            }
        }
        for key in [
            "initialDelaySeconds",
            "timeoutSeconds",
            "periodSeconds",
            "successThreshold",
            "failureThreshold",
        ] {
            self.nonnegative(probe, key);
        }
        for handler in ["httpGet", "tcpSocket"] {
            if let Some(port) = probe.get(handler).and_then(|h| h.get("port")) {
                self.at(&[handler.into()], |v| v.port_num_or_name(port, "port"));
            }
        }
    }

    /// ValidatePortNumOrName.
    fn port_num_or_name(&mut self, port: &Value, key: &str) {
        match port {
            Value::Number(n) => {
                let n = n.as_i64().unwrap_or(0);
                if !(1..=65535).contains(&n) {
                    self.invalid(&[key.into()], n.to_string(), PORT_RANGE_MSG);
                }
            }
            Value::String(s) => {
                for msg in port_name_errors(s) {
                    self.invalid(&[key.into()], quote(s), &msg);
                }
            }
            _ => {}
        }
    }

    /// ValidatePodTemplateSpecForReplicaSet (and the DaemonSet/Job variants): the selector
    /// must match the template labels; template metadata labels and pod spec are valid.
    fn workload_template(&mut self, spec: &Map<String, Value>, check_selector: bool) {
        let template = spec.get("template").and_then(Value::as_object);
        let labels = template
            .and_then(|t| t.get("metadata"))
            .and_then(|m| m.get("labels"));
        if check_selector && !selector_matches(spec.get("selector"), labels) {
            self.invalid(
                &["template".into(), "metadata".into(), "labels".into()],
                go_string_map(labels),
                "`selector` does not match template `labels`",
            );
        }
        self.at(&["template".into()], |v| {
            v.at(&["metadata".into()], |v| v.labels(labels, "labels"));
            let empty = Map::new();
            let pod_spec = template
                .and_then(|t| t.get("spec"))
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            v.at(&["spec".into()], |v| v.pod_spec(pod_spec));
        });
    }

    fn selector_required(&mut self, spec: &Map<String, Value>, kind: &str) {
        match spec.get("selector").and_then(Value::as_object) {
            None => self.required(&["selector".into()], ""),
            Some(selector) => {
                let count = |k: &str| {
                    selector
                        .get(k)
                        .and_then(|v| v.as_object().map(Map::len).or(v.as_array().map(Vec::len)))
                        .unwrap_or(0)
                };
                if count("matchLabels") + count("matchExpressions") == 0 {
                    self.invalid(&["selector".into()], "&v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}".into(), &format!("empty selector is invalid for {kind}"));
                }
                self.at(&["selector".into()], |v| {
                    v.labels(selector.get("matchLabels"), "matchLabels")
                });
            }
        }
    }
}

/// Whether `name` may have requests below limits (helper.IsOvercommitAllowed): everything
/// but hugepages and extended resources (names with a domain outside kubernetes.io).
fn overcommit_allowed(name: &str) -> bool {
    let native = !name.contains('/') || name.contains("kubernetes.io/");
    native && !name.starts_with("hugepages-")
}

/// metav1.LabelSelectorAsSelector(selector).Matches(labels), for matchLabels and the
/// In/NotIn/Exists/DoesNotExist expressions. A missing selector matches nothing.
fn selector_matches(selector: Option<&Value>, labels: Option<&Value>) -> bool {
    let Some(selector) = selector.and_then(Value::as_object) else {
        return false;
    };
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    let match_labels = selector.get("matchLabels").and_then(Value::as_object);
    let labels_ok = match_labels
        .into_iter()
        .flatten()
        .all(|(k, v)| label(k) == v.as_str());
    let expressions_ok = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e.get("key").and_then(Value::as_str).unwrap_or("");
            let values: Vec<&str> = e
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match e.get("operator").and_then(Value::as_str).unwrap_or("") {
                "In" => label(key).is_some_and(|v| values.contains(&v)),
                "NotIn" => label(key).is_none_or(|v| !values.contains(&v)),
                "Exists" => label(key).is_some(),
                "DoesNotExist" => label(key).is_none(),
                _ => false,
            }
        });
    labels_ok && expressions_ok
}

/// Validates a defaulted object of a kind podflow accepts. Empty means valid.
pub fn validate(obj: &Value) -> Vec<FieldError> {
    let mut v = Validator {
        path: Vec::new(),
        errors: Vec::new(),
    };
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let empty = Map::new();
    let spec = obj.get("spec").and_then(Value::as_object).unwrap_or(&empty);
    match kind {
        "Pod" => {
            v.object_meta(obj, dns1123_subdomain_errors);
            v.at(&["spec".into()], |v| v.pod_spec(spec));
        }
        "Deployment" | "ReplicaSet" => {
            v.object_meta(obj, dns1123_subdomain_errors);
            v.at(&["spec".into()], |v| {
                v.nonnegative(spec, "replicas");
                v.selector_required(spec, "deployment");
                v.workload_template(spec, true);
                let restart = spec
                    .get("template")
                    .and_then(|t| t.at("/spec/restartPolicy"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if restart != "Always" && !restart.is_empty() {
                    v.not_supported(
                        &["template".into(), "spec".into(), "restartPolicy".into()],
                        restart,
                        &["Always"],
                    );
                }
            });
        }
        "DaemonSet" => {
            v.object_meta(obj, dns1123_subdomain_errors);
            v.at(&["spec".into()], |v| {
                v.workload_template(spec, true);
                let restart = spec
                    .get("template")
                    .and_then(|t| t.at("/spec/restartPolicy"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if restart != "Always" && !restart.is_empty() {
                    v.not_supported(
                        &["template".into(), "spec".into(), "restartPolicy".into()],
                        restart,
                        &["Always"],
                    );
                }
            });
        }
        "Job" => {
            v.object_meta(obj, dns1123_subdomain_errors);
            v.at(&["spec".into()], |v| {
                for key in [
                    "parallelism",
                    "completions",
                    "backoffLimit",
                    "activeDeadlineSeconds",
                ] {
                    v.nonnegative(spec, key);
                }
                // The selector is generated by the Job strategy; only the template is checked.
                v.workload_template(spec, false);
                let restart = spec
                    .get("template")
                    .and_then(|t| t.at("/spec/restartPolicy"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if restart != "OnFailure" && restart != "Never" {
                    v.not_supported(
                        &["template".into(), "spec".into(), "restartPolicy".into()],
                        restart,
                        &["OnFailure", "Never"],
                    );
                }
            });
        }
        "Service" => {
            v.object_meta(obj, dns1035_label_errors);
            v.at(&["spec".into()], |v| v.service_spec(spec));
        }
        "Namespace" => v.object_meta(obj, dns1123_label_errors),
        _ => v.object_meta(obj, dns1123_subdomain_errors),
    }
    v.errors
}

impl Validator {
    /// ValidateService (ports, type, selector).
    fn service_spec(&mut self, spec: &Map<String, Value>) {
        let service_type = spec.get("type").and_then(Value::as_str).unwrap_or("");
        let headless = spec.get("clusterIP").and_then(Value::as_str) == Some("None");
        let ports = spec.get("ports").and_then(Value::as_array);
        if ports.is_none_or(|p| p.is_empty()) && !headless && service_type != "ExternalName" {
            self.required(&["ports".into()], "");
        }
        match service_type {
            "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName" => {}
            "" => self.required(&["type".into()], ""),
            other => self.not_supported(
                &["type".into()],
                other,
                &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
            ),
        }
        let ports = ports.map(Vec::as_slice).unwrap_or(&[]);
        let mut names: Vec<&str> = Vec::new();
        for (i, port) in ports.iter().enumerate() {
            let at = |k: &str| {
                [
                    PathSegment::Key("ports".into()),
                    PathSegment::Index(i),
                    k.into(),
                ]
            };
            let name = port.get("name").and_then(Value::as_str).unwrap_or("");
            if ports.len() > 1 && name.is_empty() {
                self.required(&at("name"), "");
            } else if !name.is_empty() {
                for msg in dns1123_label_errors(name) {
                    self.invalid(&at("name"), quote(name), &msg);
                }
                if names.contains(&name) {
                    self.push(&at("name"), ErrorType::Duplicate, Some(quote(name)), "");
                } else {
                    names.push(name);
                }
            }
            let number = port.get("port").and_then(Value::as_i64).unwrap_or(0);
            if !(1..=65535).contains(&number) {
                self.invalid(&at("port"), number.to_string(), PORT_RANGE_MSG);
            }
            self.protocol(port, &at("protocol"));
            if let Some(target) = port.get("targetPort") {
                self.at(&["ports".into(), i.into()], |v| {
                    v.port_num_or_name(target, "targetPort")
                });
            }
        }
        self.labels(spec.get("selector"), "selector");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::defaults::apply_defaults;
    use serde_json::json;

    fn check(mut obj: Value) -> String {
        apply_defaults(&mut obj);
        let errors = validate(&obj);
        invalid_message(&obj, &errors)
    }

    #[test]
    fn missing_image_is_one_error_inline() {
        // Reference B.2.4, "Field validation".
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nginx-pod"},
            "spec": {"containers": [{"name": "nginx"}]}});
        assert_eq!(
            check(pod),
            "The Pod \"nginx-pod\" is invalid: spec.containers[0].image: Required value"
        );
    }

    #[test]
    fn deployment_without_selector_lists_errors() {
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nginx"},
            "spec": {"template": {"metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}});
        let mut defaulted = d.clone();
        apply_defaults(&mut defaulted);
        let errors = validate(&defaulted);
        assert_eq!(
            invalid_message(&defaulted, &errors),
            "The Deployment \"nginx\" is invalid: \n* spec.selector: Required value\n* spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"nginx\"}: `selector` does not match template `labels`"
        );
        assert_eq!(
            server_invalid_message(&defaulted, &errors),
            "Deployment.apps \"nginx\" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"nginx\"}: `selector` does not match template `labels`]"
        );
        assert_eq!(errors[0].error_type.cause_reason(), "FieldValueRequired");
    }

    #[test]
    fn names_and_labels() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "My_Pod"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        assert_eq!(
            check(pod),
            format!("The Pod \"My_Pod\" is invalid: metadata.name: Invalid value: \"My_Pod\": {DNS1123_SUBDOMAIN_MSG}")
        );
        assert!(DNS1123_SUBDOMAIN_MSG.ends_with("regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        assert_eq!(check(pod), "The Pod \"\" is invalid: metadata.name: Required value: name or generateName is required");
        let long = "a".repeat(254);
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": long},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        assert!(check(pod).ends_with(
            &("metadata.name: Invalid value: \"".to_string()
                + &long
                + "\": must be no more than 253 characters")
        ));
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"app": "-x"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        assert_eq!(
            check(pod),
            format!("The Pod \"p\" is invalid: metadata.labels: Invalid value: \"-x\": {LABEL_VALUE_MSG}")
                .replace("metadata.labels:", "metadata.labels[app]:")
        );
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1svc"}, "spec": {"ports": [{"port": 80}]}});
        assert_eq!(check(svc), format!("The Service \"1svc\" is invalid: metadata.name: Invalid value: \"1svc\": {DNS1035_LABEL_MSG}"));
    }

    #[test]
    fn annotations_are_at_most_256_kib() {
        let pod = |value_len: usize| {
            json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "annotations": {"a": "x".repeat(value_len)}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
        };
        // 1 byte of key + 262,143 of value is exactly the limit.
        let mut fits = pod(262_143);
        apply_defaults(&mut fits);
        assert_eq!(validate(&fits), Vec::new());
        assert_eq!(
            check(pod(262_144)),
            "The Pod \"p\" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes"
        );
    }

    #[test]
    fn container_rules() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"restartPolicy": "Sometimes", "containers": [
                {"name": "c", "image": "nginx", "imagePullPolicy": "Maybe",
                 "ports": [{"containerPort": 70000}],
                 "volumeMounts": [{"name": "x", "mountPath": "/data"}],
                 "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "2", "memory": "-1Mi"}},
                 "livenessProbe": {"periodSeconds": -1}},
                {"name": "c", "image": "nginx"}]}});
        let message = check(pod);
        let lines: Vec<&str> = message.lines().skip(1).collect();
        assert_eq!(
            lines,
            [
                "* spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "* spec.containers[0].volumeMounts[0].name: Not found: \"x\"",
                "* spec.containers[0].imagePullPolicy: Unsupported value: \"Maybe\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
                "* spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1",
                "* spec.containers[0].resources.requests[memory]: Invalid value: \"-1Mi\": must be greater than or equal to 0",
                "* spec.containers[0].livenessProbe: Required value: must specify a handler type",
                "* spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0",
                "* spec.containers[1].name: Duplicate value: \"c\"",
                "* spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
            ]
        );
    }

    #[test]
    fn volumes_and_workloads() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}],
                "volumes": [{"name": "v", "emptyDir": {}, "hostPath": {"path": "/x"}}, {"name": "w", "emptyDir": {}}, {"name": "w", "emptyDir": {}}]}});
        let message = check(pod);
        assert!(
            message.contains(
                "* spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type"
            ),
            "{message}"
        );
        assert!(
            message.contains("* spec.volumes[2].name: Duplicate value: \"w\""),
            "{message}"
        );

        let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
            "spec": {"template": {"spec": {"containers": [{"name": "pi", "image": "perl"}]}}}});
        assert_eq!(
            check(job),
            "The Job \"pi\" is invalid: spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""
        );
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"replicas": -1, "selector": {"matchLabels": {"app": "d"}},
                "template": {"metadata": {"labels": {"app": "d"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}});
        assert_eq!(check(d), "The Deployment \"d\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0");
    }

    #[test]
    fn corpus_objects_are_valid_after_defaulting() {
        for text in [
            include_str!("../../../tests/corpus/application__deployment.yaml"),
            include_str!("../../../tests/corpus/controllers__daemonset.yaml"),
            include_str!("../../../tests/corpus/controllers__job.yaml"),
            include_str!("../../../tests/corpus/controllers__replicaset.yaml"),
            include_str!("../../../tests/corpus/examples__guestbook__frontend-deployment.yaml"),
            include_str!("../../../tests/corpus/pods__probe__grpc-liveness.yaml"),
            include_str!("../../../tests/corpus/pods__resource__extended-resource-pod.yaml"),
            include_str!("../../../tests/corpus/pods__lifecycle-events.yaml"),
            include_str!("../../../tests/corpus/service__networking__run-my-nginx.yaml"),
        ] {
            for doc in crate::sim::manifest::parse(text).documents {
                let mut obj = doc.value;
                apply_defaults(&mut obj);
                assert_eq!(validate(&obj), Vec::new(), "{obj}");
            }
        }
    }
}
