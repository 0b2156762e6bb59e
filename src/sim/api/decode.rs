//! Strict decoding: does the object fit the Go types of its kind? The same answer and the
//! same words as the apiserver's JSON decoding (fieldValidation=Strict, the kubectl default
//! since v1.27).
//!
//! What upstream does, and this module mirrors:
//! - kubectl decodes `apiVersion`, `kind` and `metadata` into Go types before sending
//!   (cli-runtime `metadataValidatingDecoder`, struct `metadataOnlyObject`), so a wrong type
//!   there is a client-side error: `error: unable to decode "x.yaml": json: …`.
//! - The apiserver decodes the body with sigs.k8s.io/json (a fork of Go's encoding/json),
//!   visiting object keys in the order of the request body. kubectl's body has its keys
//!   sorted (it re-encodes Go maps), which is the order of our `serde_json::Map`.
//! - A wrong JSON type is saved and decoding goes on; the first one is the error. An error
//!   returned by a type's own `UnmarshalJSON` (Quantity, IntOrString, Time) stops decoding at
//!   once and wins. Either error hides unknown fields.
//! - Unknown fields are collected in order and reported together:
//!   `strict decoding error: unknown field "spec.containers[0].volumeMount", unknown field …`.
//! - The apiserver wraps the error (`transformDecodeError`, staging/src/k8s.io/apiserver/
//!   pkg/endpoints/handlers/rest.go): `Pod in version "v1" cannot be handled as a Pod: …`.

use std::fmt;

use serde_json::Value;

use super::schema::{schema, Field, Schema, StructType, Ty};
use crate::sim::quantity::Quantity;

/// One step of a JSON path: an object key or an array index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathSegment {
    Key(String),
    Index(usize),
    /// A key of a map-valued field (labels, resource lists): a key in the JSON like
    /// [`PathSegment::Key`], printed `[key]` in validation's field paths.
    MapKey(String),
}

impl From<&str> for PathSegment {
    fn from(key: &str) -> Self {
        PathSegment::Key(key.to_string())
    }
}

impl From<usize> for PathSegment {
    fn from(index: usize) -> Self {
        PathSegment::Index(index)
    }
}

/// One problem found while decoding, with where it is in the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeProblem {
    /// JSON path of the offending key or value (`["spec", "containers", 0, "volumeMount"]`).
    pub path: Vec<PathSegment>,
    /// The problem in upstream's words (`unknown field "spec.x"`, `json: cannot unmarshal …`).
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// apiVersion/kind is not one podflow (or the cluster) serves.
    NoKindMatch,
    /// A value of the wrong JSON type, or one a custom decoder rejects. Single problem.
    Type,
    /// Unknown fields (strict decoding). One problem per field.
    Strict,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub kind: DecodeErrorKind,
    /// The object's `kind` (`Pod`).
    pub object_kind: String,
    /// The object's `apiVersion` (`apps/v1`).
    pub api_version: String,
    /// True when kubectl itself rejects the object before sending it (type errors in
    /// `apiVersion`, `kind` or `metadata`, and unknown kinds); the apiserver never sees it.
    pub client_side: bool,
    pub problems: Vec<DecodeProblem>,
}

impl DecodeError {
    /// The version part of apiVersion (`v1` for `apps/v1`): what the apiserver prints.
    fn version(&self) -> &str {
        self.api_version
            .rsplit('/')
            .next()
            .unwrap_or(&self.api_version)
    }

    /// The decoder's own error text (`json: cannot unmarshal …` or `strict decoding error: …`).
    pub fn detail(&self) -> String {
        let messages: Vec<&str> = self.problems.iter().map(|p| p.message.as_str()).collect();
        match self.kind {
            // runtime.StrictDecodingError (k8s.io/apimachinery/pkg/runtime/error.go).
            DecodeErrorKind::Strict => format!("strict decoding error: {}", messages.join(", ")),
            _ => messages.join(", "),
        }
    }

    /// The apiserver's 400 message: `Pod in version "v1" cannot be handled as a Pod: …`.
    pub fn server_message(&self) -> String {
        format!(
            "{kind} in version \"{version}\" cannot be handled as a {kind}: {detail}",
            kind = self.object_kind,
            version = self.version(),
            detail = self.detail()
        )
    }

    /// What `kubectl create -f <file>` prints for this error.
    pub fn kubectl_message(&self, file: &str, name: &str, namespace: &str) -> String {
        match (&self.kind, self.client_side) {
            // cli-runtime mapper.go; kubectl ≥ 1.27 adds the CRD hint on its own line.
            (DecodeErrorKind::NoKindMatch, _) => format!(
                "error: resource mapping not found for name: \"{name}\" namespace: \"{namespace}\" from \"{file}\": no matches for kind \"{}\" in version \"{}\"\nensure CRDs are installed first",
                self.object_kind, self.api_version
            ),
            // cli-runtime mapper.go infoForData.
            (_, true) => format!("error: unable to decode \"{file}\": {}", self.detail()),
            (_, false) => format!(
                "Error from server (BadRequest): error when creating \"{file}\": {}",
                self.server_message()
            ),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.client_side {
            f.write_str(&self.detail())
        } else {
            f.write_str(&self.server_message())
        }
    }
}

/// Decodes `obj` strictly against the schema of its apiVersion/kind, as kubectl and then the
/// apiserver do. `Ok(())` means the object decodes cleanly.
pub fn strict_decode(obj: &Value) -> Result<(), DecodeError> {
    let s = schema();
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let error = |kind_of_error, client_side, problems| DecodeError {
        kind: kind_of_error,
        object_kind: kind.to_string(),
        api_version: api_version.to_string(),
        client_side,
        problems,
    };

    // kubectl first: apiVersion, kind and metadata into metadataOnlyObject.
    let meta_only = StructType {
        key: "metadataOnlyObject",
        go_name: "resource.metadataOnlyObject",
        fields: [
            ("apiVersion", Ty::String),
            ("kind", Ty::String),
            (
                "metadata",
                Ty::Struct("apimachinery.pkg.apis.meta.v1.ObjectMeta"),
            ),
        ]
        .into_iter()
        .map(|(name, ty)| (name, Field { ty, go_alias: None }))
        .collect(),
    };
    let mut client = Decoder::new(s, false);
    client.walk_struct(obj, &meta_only);
    if let Some(problem) = client.take_error() {
        return Err(error(DecodeErrorKind::Type, true, vec![problem]));
    }

    let Some(root) = s.root(api_version, kind) else {
        return Err(error(DecodeErrorKind::NoKindMatch, true, Vec::new()));
    };
    let mut server = Decoder::new(s, true);
    server.walk_struct(obj, root);
    if let Some(problem) = server.take_error() {
        return Err(error(DecodeErrorKind::Type, false, vec![problem]));
    }
    if !server.unknown.is_empty() {
        return Err(error(DecodeErrorKind::Strict, false, server.unknown));
    }
    Ok(())
}

/// The walk over the value, carrying what Go's decodeState carries.
struct Decoder<'s> {
    schema: &'s Schema,
    strict: bool,
    /// JSON path of the value being decoded.
    path: Vec<PathSegment>,
    /// Go's errorContext: struct containing the current field, and the field names from
    /// the root (no indices, no map keys).
    struct_name: Option<&'static str>,
    field_stack: Vec<&'static str>,
    /// The first saved type error (decoding goes on).
    saved: Option<DecodeProblem>,
    /// An error from a custom UnmarshalJSON (decoding stops).
    aborted: Option<DecodeProblem>,
    unknown: Vec<DecodeProblem>,
}

/// Go's name for the JSON kind of a value in UnmarshalTypeError.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A number as kubectl sends it: Go's encoding/json formatting of the value kubectl holds
/// (integers as integers, floats with `strconv.FormatFloat(f, 'f' or 'e', -1, 64)`).
pub fn go_number_text(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Go prints at least two exponent digits, with a sign, then trims `e-07` to `e-7`.
        let text = format!("{f:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        if exponent < 0 {
            format!("{mantissa}e-{}", -exponent)
        } else {
            format!("{mantissa}e+{exponent:02}")
        }
    } else {
        format!("{f}")
    }
}

impl<'s> Decoder<'s> {
    fn new(schema: &'s Schema, strict: bool) -> Self {
        Decoder {
            schema,
            strict,
            path: Vec::new(),
            struct_name: None,
            field_stack: Vec::new(),
            saved: None,
            aborted: None,
            unknown: Vec::new(),
        }
    }

    fn take_error(&mut self) -> Option<DecodeProblem> {
        self.aborted.take().or(self.saved.take())
    }

    fn stopped(&self) -> bool {
        self.aborted.is_some()
    }

    /// Go's UnmarshalTypeError text with the current error context.
    fn type_error_text(&self, what: &str, go_type: &str) -> String {
        match self.struct_name {
            Some(name) => format!(
                "json: cannot unmarshal {what} into Go struct field {name}.{} of type {go_type}",
                self.field_stack.join(".")
            ),
            None => format!("json: cannot unmarshal {what} into Go value of type {go_type}"),
        }
    }

    fn save_type_error(&mut self, what: &str, go_type: &str) {
        if self.saved.is_none() {
            self.saved = Some(DecodeProblem {
                path: self.path.clone(),
                message: self.type_error_text(what, go_type),
            });
        }
    }

    fn abort(&mut self, message: String) {
        self.aborted = Some(DecodeProblem {
            path: self.path.clone(),
            message,
        });
    }

    /// sigs.k8s.io/json's strict path: keys joined by `.`, indices as `[i]`.
    fn strict_path(&self, key: &str) -> String {
        let mut out = String::new();
        for segment in &self.path {
            match segment {
                PathSegment::Key(k) | PathSegment::MapKey(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                PathSegment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(key);
        out
    }

    fn walk_struct(&mut self, value: &Value, st: &StructType) {
        let Value::Object(map) = value else {
            if !value.is_null() {
                self.save_type_error(json_kind(value), st.go_name);
            }
            return;
        };
        for (key, item) in map {
            if self.stopped() {
                return;
            }
            match st.fields.get(key.as_str()) {
                Some(field) => {
                    let (saved_struct, depth) = (self.struct_name, self.field_stack.len());
                    let name = st.fields.get_key_value(key.as_str()).map(|(k, _)| *k);
                    self.field_stack.push(name.unwrap_or(""));
                    self.struct_name = Some(st.short_name());
                    self.path.push(PathSegment::Key(key.clone()));
                    self.walk(item, field);
                    self.path.pop();
                    if self.stopped() {
                        // Go returns without restoring the context: the abort error gets
                        // the innermost field's context (decodeState.addErrorContext).
                        return;
                    }
                    self.field_stack.truncate(depth);
                    self.struct_name = saved_struct;
                }
                None if self.strict => {
                    let mut path = self.path.clone();
                    path.push(PathSegment::Key(key.clone()));
                    self.unknown.push(DecodeProblem {
                        message: format!("unknown field {:?}", self.strict_path(key)),
                        path,
                    });
                }
                None => {}
            }
        }
    }

    fn walk(&mut self, value: &Value, field: &Field) {
        // JSON null decodes into anything (it leaves the Go value as it is).
        if value.is_null() {
            return;
        }
        let go_type = || self.schema.go_type(field);
        match &field.ty {
            Ty::Struct(key) => {
                if let Some(st) = self.schema.struct_type(key) {
                    self.walk_struct(value, st);
                }
            }
            Ty::Array(element) => match value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if self.stopped() {
                            return;
                        }
                        self.path.push(PathSegment::Index(i));
                        self.walk(item, element);
                        self.path.pop();
                    }
                }
                _ => {
                    let t = go_type();
                    self.save_type_error(json_kind(value), &t);
                }
            },
            Ty::Map(element) => match value {
                Value::Object(map) => {
                    for (key, item) in map {
                        if self.stopped() {
                            return;
                        }
                        self.path.push(PathSegment::Key(key.clone()));
                        self.walk(item, element);
                        self.path.pop();
                    }
                }
                _ => {
                    let t = go_type();
                    self.save_type_error(json_kind(value), &t);
                }
            },
            Ty::String => {
                if !value.is_string() {
                    let t = go_type();
                    self.save_type_error(json_kind(value), &t);
                }
            }
            Ty::Bool => {
                if !value.is_boolean() {
                    let t = go_type();
                    self.save_type_error(json_kind(value), &t);
                }
            }
            Ty::Int32 | Ty::Int64 => {
                let t = go_type();
                match value {
                    Value::Number(n) => {
                        if !fits_int(n, &field.ty) {
                            self.save_type_error(&format!("number {}", go_number_text(n)), &t);
                        }
                    }
                    _ => self.save_type_error(json_kind(value), &t),
                }
            }
            Ty::Float64 => {
                if !value.is_number() {
                    let t = go_type();
                    self.save_type_error(json_kind(value), &t);
                }
            }
            Ty::Bytes => match value {
                Value::String(s) => {
                    if let Err(offset) = check_base64(s) {
                        // base64.CorruptInputError, saved like a type error.
                        if self.saved.is_none() {
                            self.saved = Some(DecodeProblem {
                                path: self.path.clone(),
                                message: format!("illegal base64 data at input byte {offset}"),
                            });
                        }
                    }
                }
                Value::Array(items) => {
                    // A JSON array of numbers decodes into []byte element by element.
                    let byte = Field {
                        ty: Ty::Int32,
                        go_alias: Some("uint8"),
                    };
                    for (i, item) in items.iter().enumerate() {
                        self.path.push(PathSegment::Index(i));
                        match item {
                            Value::Number(n) if n.as_u64().is_some_and(|v| v <= 255) => {}
                            Value::Null => {}
                            Value::Number(n) => {
                                let text = format!("number {}", go_number_text(n));
                                self.save_type_error(&text, "uint8");
                            }
                            other => self.walk(other, &byte),
                        }
                        self.path.pop();
                    }
                }
                _ => self.save_type_error(json_kind(value), "[]uint8"),
            },
            Ty::Quantity => {
                // resource.Quantity.UnmarshalJSON: strip the quotes of a string, trim, parse.
                let text = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => go_number_text(n),
                    other => other.to_string(),
                };
                if let Err(message) = Quantity::parse(text.trim()) {
                    self.abort(message.to_string());
                }
            }
            Ty::IntOrString => {
                // intstr.IntOrString.UnmarshalJSON: a string, else json.Unmarshal into an
                // int32. The nested UnmarshalTypeError gets the outer field's context.
                let problem = match value {
                    Value::String(_) => None,
                    Value::Number(n) if fits_int(n, &Ty::Int32) => None,
                    Value::Number(n) => Some(format!("number {}", go_number_text(n))),
                    other => Some(json_kind(other).to_string()),
                };
                if let Some(what) = problem {
                    self.abort(self.type_error_text(&what, "int32"));
                }
            }
            Ty::Time | Ty::MicroTime => match value {
                Value::String(s) => {
                    if let Err(message) = parse_rfc3339(s) {
                        self.abort(message);
                    }
                }
                other => {
                    let what = json_kind(other);
                    self.abort(self.type_error_text(what, "string"));
                }
            },
            Ty::Raw => {}
        }
    }
}

fn fits_int(n: &serde_json::Number, ty: &Ty) -> bool {
    let value = if let Some(i) = n.as_i64() {
        i
    } else if n.is_u64() {
        return false; // above i64::MAX
    } else {
        // A float that kubectl prints without a fraction or exponent is an integer to Go.
        let text = go_number_text(n);
        match text.parse::<i64>() {
            Ok(i) => i,
            Err(_) => return false,
        }
    };
    match ty {
        Ty::Int32 => i32::try_from(value).is_ok(),
        _ => true,
    }
}

/// Go's base64.StdEncoding check: `Err(offset)` as base64.CorruptInputError reports it
/// (encoding/base64 decodeQuantum). Newlines (`\r`, `\n`) are skipped, as Go does.
fn check_base64(s: &str) -> Result<(), usize> {
    let bytes = s.as_bytes();
    let is_alphabet = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
    let skip_newlines = |mut i: usize| {
        while i < bytes.len() && (bytes[i] == b'\r' || bytes[i] == b'\n') {
            i += 1;
        }
        i
    };
    // Characters read in the current group of 4, and the offset where the group started.
    let mut quantum = 0;
    let mut group_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\r' || c == b'\n' {
            i += 1;
            continue;
        }
        if quantum == 0 {
            group_start = i;
        }
        if is_alphabet(c) {
            quantum = (quantum + 1) % 4;
            i += 1;
            continue;
        }
        if c != b'=' {
            return Err(i);
        }
        // Padding: only after 2 or 3 characters of a group.
        let mut next = i + 1;
        match quantum {
            2 => {
                next = skip_newlines(next);
                if next == bytes.len() {
                    return Err(bytes.len());
                }
                if bytes[next] != b'=' {
                    return Err(next - 1);
                }
                next += 1;
            }
            3 => {}
            _ => return Err(i),
        }
        next = skip_newlines(next);
        return if next < bytes.len() {
            Err(next)
        } else {
            Ok(())
        };
    }
    if quantum == 0 {
        Ok(())
    } else {
        // Missing padding: the incomplete group is corrupt from its start.
        Err(group_start)
    }
}

/// metav1.Time's RFC 3339 parse (`time.Parse(time.RFC3339, s)`), with Go's error text for
/// the common mistakes: `parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"`.
fn parse_rfc3339(s: &str) -> Result<(), String> {
    const LAYOUT: &str = "2006-01-02T15:04:05Z07:00";
    // Layout elements: (element, digits or literal).
    let elements: [(&str, Option<usize>); 11] = [
        ("2006", Some(4)),
        ("-", None),
        ("01", Some(2)),
        ("-", None),
        ("02", Some(2)),
        ("T", None),
        ("15", Some(2)),
        (":", None),
        ("04", Some(2)),
        (":", None),
        ("05", Some(2)),
    ];
    let fail = |rest: &str, element: &str| {
        Err(format!(
            "parsing time {s:?} as \"{LAYOUT}\": cannot parse {rest:?} as \"{}\"",
            element
        ))
    };
    let mut rest = s;
    // Go reports a literal mismatch with the whole remaining layout prefix up to the next
    // element; for RFC 3339 that is the single separator character.
    for (i, (element, digits)) in elements.iter().enumerate() {
        match digits {
            Some(n) => {
                let ok = rest.len() >= *n && rest.as_bytes()[..*n].iter().all(u8::is_ascii_digit);
                if !ok {
                    return fail(rest, element);
                }
                rest = &rest[*n..];
            }
            None => match rest.strip_prefix(element) {
                Some(r) => rest = r,
                None => {
                    // Go folds a literal and what follows it into one "as" string.
                    let tail: String = elements[i..]
                        .iter()
                        .take_while(|(_, d)| d.is_none())
                        .map(|(e, _)| *e)
                        .collect();
                    return fail(rest, &tail);
                }
            },
        }
    }
    // Optional fractional seconds.
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        rest = &r[digits..];
    }
    if rest == "Z" {
        return Ok(());
    }
    let b = rest.as_bytes();
    let offset_ok = b.len() == 6
        && (b[0] == b'+' || b[0] == b'-')
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3] == b':'
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit();
    if offset_ok {
        Ok(())
    } else if rest.is_empty() || b.len() < 6 || !(b[0] == b'+' || b[0] == b'-') {
        fail(rest, "Z07:00")
    } else {
        Err(format!(
            "parsing time {s:?}: extra text: {:?}",
            rest.get(6..).unwrap_or("")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::manifest;
    use serde_json::json;

    fn path(segments: &[PathSegment]) -> Vec<PathSegment> {
        segments.to_vec()
    }

    #[test]
    fn unknown_fields_are_listed_in_order_with_indices() {
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {
                "containers": [{"name": "c", "image": "nginx", "volumeMount": [{"name": "v", "mountPath": "/d"}]}],
                "volumes": [{"name": "v", "presistentVolumeClaim": {"claimName": "x"}}]
            }
        });
        let err = strict_decode(&pod).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::Strict);
        assert!(!err.client_side);
        // Reference B.2.4, "Unknown field (strict)".
        assert_eq!(
            err.kubectl_message("pod.yaml", "p", "default"),
            "Error from server (BadRequest): error when creating \"pod.yaml\": Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].volumeMount\", unknown field \"spec.volumes[0].presistentVolumeClaim\""
        );
        assert_eq!(
            err.problems[0].path,
            path(&[
                "spec".into(),
                "containers".into(),
                0.into(),
                "volumeMount".into()
            ])
        );
    }

    #[test]
    fn grouped_kinds_print_the_version_only() {
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"replica": 2}});
        let err = strict_decode(&d).unwrap_err();
        assert_eq!(
            err.server_message(),
            "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.replica\""
        );
    }

    #[test]
    fn wrong_type_names_the_go_struct_and_type() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": {"name": "c"}, "typo": 1}});
        let err = strict_decode(&pod).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::Type);
        assert_eq!(
            err.server_message(),
            "Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container"
        );
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "env": [{"name": "A", "value": 1}]}]}});
        assert_eq!(
            strict_decode(&pod).unwrap_err().detail(),
            "json: cannot unmarshal number into Go struct field EnvVar.spec.containers.env.value of type string"
        );
        assert_eq!(
            strict_decode(&pod).unwrap_err().problems[0].path,
            path(&[
                "spec".into(),
                "containers".into(),
                0.into(),
                "env".into(),
                0.into(),
                "value".into()
            ])
        );
    }

    #[test]
    fn the_first_type_error_wins_over_later_ones() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"dnsPolicy": 3, "restartPolicy": true}});
        assert_eq!(
            strict_decode(&pod).unwrap_err().detail(),
            "json: cannot unmarshal number into Go struct field PodSpec.spec.dnsPolicy of type v1.DNSPolicy"
        );
    }

    #[test]
    fn integers_must_fit() {
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"replicas": 1.5}});
        assert_eq!(
            strict_decode(&d).unwrap_err().detail(),
            "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32"
        );
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"replicas": 3000000000u64}});
        assert_eq!(
            strict_decode(&d).unwrap_err().detail(),
            "json: cannot unmarshal number 3000000000 into Go struct field DeploymentSpec.spec.replicas of type int32"
        );
        // YAML `replicas: 2.0` reaches the apiserver as 2 (kubectl re-encodes the float).
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"replicas": 2.0}});
        assert!(strict_decode(&d).is_ok());
    }

    #[test]
    fn metadata_type_errors_are_caught_by_kubectl() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "labels": {"on": true}}, "spec": {"bad": 1}});
        let err = strict_decode(&pod).unwrap_err();
        assert!(err.client_side);
        // Reference B.2.4, "Wrong JSON type" (client-side).
        assert_eq!(
            err.kubectl_message("x.yaml", "p", ""),
            "error: unable to decode \"x.yaml\": json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string"
        );
        assert_eq!(
            err.problems[0].path,
            path(&["metadata".into(), "labels".into(), "on".into()])
        );
    }

    #[test]
    fn unknown_metadata_fields_are_the_servers_business() {
        let pod =
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "label": {}}});
        let err = strict_decode(&pod).unwrap_err();
        assert!(!err.client_side);
        assert_eq!(
            err.detail(),
            "strict decoding error: unknown field \"metadata.label\""
        );
    }

    #[test]
    fn quantities_and_int_or_strings_use_their_own_decoders() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": "1 core", "memory": 5}}}]}});
        let err = strict_decode(&pod).unwrap_err();
        assert_eq!(err.detail(), crate::sim::quantity::ERR_FORMAT_WRONG,);
        assert_eq!(
            err.problems[0].path,
            path(&[
                "spec".into(),
                "containers".into(),
                0.into(),
                "resources".into(),
                "limits".into(),
                "cpu".into()
            ])
        );
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": 2, "memory": "1Gi"}}}]}});
        assert!(strict_decode(&pod).is_ok());
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"port": 80, "targetPort": true}]}});
        assert_eq!(
            strict_decode(&svc).unwrap_err().detail(),
            "json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type int32"
        );
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"port": 80, "targetPort": "http"}, {"port": 81, "targetPort": 8081}]}});
        assert!(strict_decode(&svc).is_ok());
    }

    #[test]
    fn times_and_secrets() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "creationTimestamp": "yesterday"}});
        let err = strict_decode(&pod).unwrap_err();
        assert!(err.client_side);
        assert_eq!(
            err.detail(),
            "parsing time \"yesterday\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"yesterday\" as \"2006\""
        );
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "creationTimestamp": null}});
        assert!(strict_decode(&pod).is_ok());
        assert!(parse_rfc3339("2024-05-01T10:00:00Z").is_ok());
        assert!(parse_rfc3339("2024-05-01T10:00:00.123+02:00").is_ok());
        assert_eq!(
            parse_rfc3339("2024-05-01 10:00:00Z").unwrap_err(),
            "parsing time \"2024-05-01 10:00:00Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \" 10:00:00Z\" as \"T\""
        );

        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"password": "MWYyZDFlMmU2N2Rm", "username": "YWRt!W4="}});
        assert_eq!(
            strict_decode(&secret).unwrap_err().detail(),
            "illegal base64 data at input byte 4"
        );
    }

    #[test]
    fn unknown_kinds_are_kubectls_mapping_error() {
        let d = json!({"apiVersion": "apps/v1beta2", "kind": "Deployment", "metadata": {"name": "nginx"}});
        let err = strict_decode(&d).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::NoKindMatch);
        // Reference B.2.4, "Removed/unknown apiVersion".
        assert_eq!(
            err.kubectl_message("deployment.yaml", "nginx", ""),
            "error: resource mapping not found for name: \"nginx\" namespace: \"\" from \"deployment.yaml\": no matches for kind \"Deployment\" in version \"apps/v1beta2\"\nensure CRDs are installed first"
        );
    }

    #[test]
    fn go_number_formatting() {
        let n = |f: f64| go_number_text(&serde_json::Number::from_f64(f).unwrap());
        assert_eq!(n(1.5), "1.5");
        assert_eq!(n(2.0), "2");
        assert_eq!(n(1e21), "1e+21");
        assert_eq!(n(1.5e-7), "1.5e-7");
    }

    const CORPUS: &[(&str, &str)] = &[
        (
            "application__deployment.yaml",
            include_str!("../../../tests/corpus/application__deployment.yaml"),
        ),
        (
            "controllers__daemonset.yaml",
            include_str!("../../../tests/corpus/controllers__daemonset.yaml"),
        ),
        (
            "controllers__job.yaml",
            include_str!("../../../tests/corpus/controllers__job.yaml"),
        ),
        (
            "controllers__nginx-deployment.yaml",
            include_str!("../../../tests/corpus/controllers__nginx-deployment.yaml"),
        ),
        (
            "controllers__replicaset.yaml",
            include_str!("../../../tests/corpus/controllers__replicaset.yaml"),
        ),
        (
            "examples__guestbook__frontend-deployment.yaml",
            include_str!("../../../tests/corpus/examples__guestbook__frontend-deployment.yaml"),
        ),
        (
            "pods__commands.yaml",
            include_str!("../../../tests/corpus/pods__commands.yaml"),
        ),
        (
            "pods__inject__secret-envars-pod.yaml",
            include_str!("../../../tests/corpus/pods__inject__secret-envars-pod.yaml"),
        ),
        (
            "pods__inject__secret.yaml",
            include_str!("../../../tests/corpus/pods__inject__secret.yaml"),
        ),
        (
            "pods__lifecycle-events.yaml",
            include_str!("../../../tests/corpus/pods__lifecycle-events.yaml"),
        ),
        (
            "pods__pod-configmap-envFrom.yaml",
            include_str!("../../../tests/corpus/pods__pod-configmap-envFrom.yaml"),
        ),
        (
            "pods__pod-nginx-preferred-affinity.yaml",
            include_str!("../../../tests/corpus/pods__pod-nginx-preferred-affinity.yaml"),
        ),
        (
            "pods__pod-nginx-specific-node.yaml",
            include_str!("../../../tests/corpus/pods__pod-nginx-specific-node.yaml"),
        ),
        (
            "pods__pod-with-node-affinity.yaml",
            include_str!("../../../tests/corpus/pods__pod-with-node-affinity.yaml"),
        ),
        (
            "pods__pod-with-scheduling-gates.yaml",
            include_str!("../../../tests/corpus/pods__pod-with-scheduling-gates.yaml"),
        ),
        (
            "pods__pod-with-toleration.yaml",
            include_str!("../../../tests/corpus/pods__pod-with-toleration.yaml"),
        ),
        (
            "pods__probe__exec-liveness.yaml",
            include_str!("../../../tests/corpus/pods__probe__exec-liveness.yaml"),
        ),
        (
            "pods__probe__grpc-liveness.yaml",
            include_str!("../../../tests/corpus/pods__probe__grpc-liveness.yaml"),
        ),
        (
            "pods__probe__tcp-liveness-readiness.yaml",
            include_str!("../../../tests/corpus/pods__probe__tcp-liveness-readiness.yaml"),
        ),
        (
            "pods__resource__cpu-request-limit-2.yaml",
            include_str!("../../../tests/corpus/pods__resource__cpu-request-limit-2.yaml"),
        ),
        (
            "pods__resource__extended-resource-pod.yaml",
            include_str!("../../../tests/corpus/pods__resource__extended-resource-pod.yaml"),
        ),
        (
            "pods__resource__memory-request-limit-3.yaml",
            include_str!("../../../tests/corpus/pods__resource__memory-request-limit-3.yaml"),
        ),
        (
            "pods__simple-pod.yaml",
            include_str!("../../../tests/corpus/pods__simple-pod.yaml"),
        ),
        (
            "service__networking__run-my-nginx.yaml",
            include_str!("../../../tests/corpus/service__networking__run-my-nginx.yaml"),
        ),
    ];

    #[test]
    fn corpus_decodes_except_the_malformed_affinity() {
        let mut documents = 0;
        for (file, text) in CORPUS {
            let parsed = manifest::parse(text);
            assert!(!parsed.has_errors(), "{file}: {:?}", parsed.diagnostics);
            for doc in &parsed.documents {
                documents += 1;
                let result = strict_decode(&doc.value);
                if *file == "pods__pod-with-node-affinity.yaml" {
                    let err = result.unwrap_err();
                    // INDEX.md row 23.
                    assert_eq!(
                        err.kubectl_message(file, "with-node-affinity", "default"),
                        "Error from server (BadRequest): error when creating \"pod-with-node-affinity.yaml\": Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal array into Go struct field NodeAffinity.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution of type v1.NodeSelector"
                            .replace("\"pod-with-node-affinity.yaml\"", &format!("{file:?}"))
                    );
                } else {
                    assert_eq!(result, Ok(()), "{file}");
                }
            }
        }
        assert!(documents >= CORPUS.len());
    }
}
