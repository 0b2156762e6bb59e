//! The Kubernetes v1.33 API schema for the kinds podflow accepts: every JSON field of every
//! struct, with its type, so decoding can tell a misspelt field from a real one exactly as
//! the apiserver does.
//!
//! The data lives in `schema.txt` (one line per root kind and per struct; format described
//! in the generator), embedded with `include_str!` and parsed once, lazily, into an
//! immutable [`Schema`]. It is generated, never edited by hand:
//!
//! ```sh
//! cargo run --manifest-path tools/gen-schema/Cargo.toml > src/sim/api/schema.txt
//! ```
//!
//! The generator reads the `k8s-openapi` crate's schemars output (Kubernetes v1.33), so a
//! field a real apiserver accepts is never reported unknown. Go type names of string and
//! map aliases (`v1.RestartPolicy`, `v1.ResourceList`) are not in the OpenAPI document;
//! the generator adds them from a table copied from k8s.io/api's types.go files.

use std::collections::BTreeMap;
use std::sync::OnceLock;

const SCHEMA_TEXT: &str = include_str!("schema.txt");

/// A JSON field's type, as the Go decoder sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    String,
    Bool,
    Int32,
    Int64,
    Float64,
    /// Go `[]byte`: a base64 string in JSON.
    Bytes,
    /// `resource.Quantity`: custom JSON, a string or a number.
    Quantity,
    /// `intstr.IntOrString`: custom JSON, a string or an int32.
    IntOrString,
    /// `v1.Time`: custom JSON, an RFC 3339 string.
    Time,
    /// `v1.MicroTime`: custom JSON, an RFC 3339 string with microseconds.
    MicroTime,
    /// Any JSON (`runtime.RawExtension`, `FieldsV1`).
    Raw,
    /// A struct, by type key (`api.core.v1.Container`).
    Struct(&'static str),
    Array(Box<Field>),
    Map(Box<Field>),
}

/// A type plus the Go name it has when it is a named Go type (`v1.RestartPolicy` for a
/// string, `v1.ResourceList` for a map).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub ty: Ty,
    pub go_alias: Option<&'static str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructType {
    /// `api.core.v1.PodSpec`.
    pub key: &'static str,
    /// `v1.PodSpec`, as Go's `reflect.Type.String()` prints it.
    pub go_name: &'static str,
    pub fields: BTreeMap<&'static str, Field>,
}

impl StructType {
    /// `PodSpec`: what Go's `reflect.Type.Name()` gives, used in "Go struct field PodSpec.x".
    pub fn short_name(&self) -> &'static str {
        self.go_name.rsplit('.').next().unwrap_or(self.go_name)
    }
}

#[derive(Debug, Default)]
pub struct Schema {
    /// (apiVersion, kind) → root type key.
    roots: BTreeMap<(&'static str, &'static str), &'static str>,
    types: BTreeMap<&'static str, StructType>,
}

impl Schema {
    /// The root struct of a kind, if podflow knows it (`("apps/v1", "Deployment")`).
    pub fn root(&self, api_version: &str, kind: &str) -> Option<&StructType> {
        self.roots
            .get(&(api_version, kind))
            .and_then(|key| self.types.get(key))
    }

    pub fn struct_type(&self, key: &str) -> Option<&StructType> {
        self.types.get(key)
    }

    /// All (apiVersion, kind) pairs, sorted.
    pub fn kinds(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.roots.keys().copied()
    }

    /// The Go type string of a field (`[]v1.Container`, `map[string]string`, `int32`).
    pub fn go_type(&self, field: &Field) -> String {
        if let Some(alias) = field.go_alias {
            return alias.to_string();
        }
        match &field.ty {
            Ty::String => "string".into(),
            Ty::Bool => "bool".into(),
            Ty::Int32 => "int32".into(),
            Ty::Int64 => "int64".into(),
            Ty::Float64 => "float64".into(),
            Ty::Bytes => "[]uint8".into(),
            Ty::Quantity => "resource.Quantity".into(),
            Ty::IntOrString => "intstr.IntOrString".into(),
            Ty::Time => "v1.Time".into(),
            Ty::MicroTime => "v1.MicroTime".into(),
            Ty::Raw => "runtime.RawExtension".into(),
            Ty::Struct(key) => self
                .types
                .get(key)
                .map(|t| t.go_name.to_string())
                .unwrap_or_else(|| key.to_string()),
            Ty::Array(element) => format!("[]{}", self.go_type(element)),
            Ty::Map(value) => format!("map[string]{}", self.go_type(value)),
        }
    }
}

/// The schema, parsed on first use.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| parse(SCHEMA_TEXT))
}

/// Parses the generated text. Lines that do not parse are skipped (the text is generated
/// and checked by the tests, so this never happens in practice).
fn parse(text: &'static str) -> Schema {
    let mut schema = Schema::default();
    for line in text.lines() {
        let mut words = line.split(' ');
        match words.next() {
            Some("root") => {
                if let (Some(api_version), Some(kind), Some(key)) =
                    (words.next(), words.next(), words.next())
                {
                    schema.roots.insert((api_version, kind), key);
                }
            }
            Some("type") => {
                let (Some(key), Some(go_name)) = (words.next(), words.next()) else {
                    continue;
                };
                let fields = words
                    .filter_map(|word| {
                        let (name, ty) = word.split_once(':')?;
                        Some((name, parse_field(ty)?))
                    })
                    .collect();
                schema.types.insert(
                    key,
                    StructType {
                        key,
                        go_name,
                        fields,
                    },
                );
            }
            _ => {}
        }
    }
    schema
}

/// `T := GoName '=' A | A`, `A := '[]' T | 'map[string]' T | atom | '@' key`.
fn parse_field(text: &'static str) -> Option<Field> {
    let (go_alias, rest) = match text.split_once('=') {
        // An alias never starts with `[` or `m` of `map[`, and `@keys` contain no `=`.
        Some((alias, rest)) if !alias.starts_with("[]") && !alias.starts_with("map[") => {
            (Some(alias), rest)
        }
        _ => (None, text),
    };
    let ty = if let Some(element) = rest.strip_prefix("[]") {
        Ty::Array(Box::new(parse_field(element)?))
    } else if let Some(value) = rest.strip_prefix("map[string]") {
        Ty::Map(Box::new(parse_field(value)?))
    } else if let Some(key) = rest.strip_prefix('@') {
        Ty::Struct(key)
    } else {
        match rest {
            "string" => Ty::String,
            "bool" => Ty::Bool,
            "int32" => Ty::Int32,
            "int64" => Ty::Int64,
            "float64" => Ty::Float64,
            "bytes" => Ty::Bytes,
            "Quantity" => Ty::Quantity,
            "IntOrString" => Ty::IntOrString,
            "Time" => Ty::Time,
            "MicroTime" => Ty::MicroTime,
            "raw" => Ty::Raw,
            _ => return None,
        }
    };
    Some(Field { ty, go_alias })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_parses_and_every_reference_resolves() {
        let s = schema();
        let type_lines = SCHEMA_TEXT
            .lines()
            .filter(|l| l.starts_with("type "))
            .count();
        assert_eq!(s.types.len(), type_lines);
        for t in s.types.values() {
            let words = SCHEMA_TEXT
                .lines()
                .find(|l| l.split(' ').nth(1) == Some(t.key))
                .map(|l| l.split(' ').count() - 3)
                .unwrap();
            assert_eq!(t.fields.len(), words, "a field of {} did not parse", t.key);
            for f in t.fields.values() {
                let mut f = f;
                loop {
                    match &f.ty {
                        Ty::Array(e) | Ty::Map(e) => f = e,
                        Ty::Struct(k) => {
                            assert!(s.struct_type(k).is_some(), "{k}");
                            break;
                        }
                        _ => break,
                    }
                }
            }
        }
    }

    #[test]
    fn all_accepted_kinds_are_known() {
        let s = schema();
        for (v, k) in [
            ("v1", "Pod"),
            ("apps/v1", "Deployment"),
            ("apps/v1", "ReplicaSet"),
            ("batch/v1", "Job"),
            ("apps/v1", "DaemonSet"),
            ("v1", "Service"),
            ("v1", "ConfigMap"),
            ("v1", "Secret"),
            ("v1", "Namespace"),
            ("v1", "ServiceAccount"),
            ("rbac.authorization.k8s.io/v1", "Role"),
            ("rbac.authorization.k8s.io/v1", "RoleBinding"),
            ("rbac.authorization.k8s.io/v1", "ClusterRole"),
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
            ("v1", "PersistentVolumeClaim"),
            ("v1", "ResourceQuota"),
            ("v1", "LimitRange"),
            (
                "admissionregistration.k8s.io/v1",
                "MutatingWebhookConfiguration",
            ),
            (
                "admissionregistration.k8s.io/v1",
                "ValidatingWebhookConfiguration",
            ),
            ("discovery.k8s.io/v1", "EndpointSlice"),
            ("v1", "Node"),
            ("v1", "Event"),
            ("coordination.k8s.io/v1", "Lease"),
        ] {
            let root = s.root(v, k).unwrap_or_else(|| panic!("{v} {k}"));
            assert_eq!(root.short_name(), k);
            assert!(root.fields.contains_key("metadata"), "{k}");
        }
        assert!(s.root("apps/v1beta2", "Deployment").is_none());
    }

    #[test]
    fn go_type_names() {
        let s = schema();
        let spec = s.struct_type("api.core.v1.PodSpec").unwrap();
        assert_eq!(s.go_type(&spec.fields["containers"]), "[]v1.Container");
        assert_eq!(s.go_type(&spec.fields["restartPolicy"]), "v1.RestartPolicy");
        assert_eq!(s.go_type(&spec.fields["nodeSelector"]), "map[string]string");
        assert_eq!(s.go_type(&spec.fields["priority"]), "int32");
        let na = s.struct_type("api.core.v1.NodeAffinity").unwrap();
        assert_eq!(
            s.go_type(&na.fields["requiredDuringSchedulingIgnoredDuringExecution"]),
            "v1.NodeSelector"
        );
        let rr = s.struct_type("api.core.v1.ResourceRequirements").unwrap();
        assert_eq!(s.go_type(&rr.fields["limits"]), "v1.ResourceList");
        let Ty::Map(q) = &rr.fields["limits"].ty else {
            panic!()
        };
        assert_eq!(q.ty, Ty::Quantity);
        let caps = s.struct_type("api.core.v1.Capabilities").unwrap();
        assert_eq!(s.go_type(&caps.fields["add"]), "[]v1.Capability");
        let secret = s.root("v1", "Secret").unwrap();
        assert_eq!(s.go_type(&secret.fields["data"]), "map[string][]uint8");
        let port = s.struct_type("api.core.v1.ServicePort").unwrap();
        assert_eq!(port.fields["targetPort"].ty, Ty::IntOrString);
    }
}
