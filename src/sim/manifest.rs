//! Manifest text → YAML documents as JSON values, plus diagnostics with line and column.
//!
//! This is what kubectl does before it talks to anyone: split the file on `---` lines
//! (k8s.io/apimachinery/pkg/util/yaml's YAMLReader), parse each document, and convert
//! YAML to JSON (sigs.k8s.io/yaml). Parsing never fails: a document that cannot be read
//! becomes a [`Diagnostic`] and the others are still returned.
//!
//! Lines and columns are 1-based and refer to the whole text, so the editor can put a
//! diagnostic on the right line; [`Diagnostic::doc_line`] keeps the line within the
//! document, which is what kubectl's own message says.

use serde_json::{Map, Number, Value};

use super::limits;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// 1-based line in the whole text.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// 1-based line within the document (what kubectl's `yaml: line N:` reports).
    pub doc_line: usize,
    /// The problem, in the words of the YAML parser (`found character that cannot start any token`).
    pub message: String,
}

impl Diagnostic {
    /// kubectl's client-side message for this YAML error in `file`:
    /// `error: error parsing pod.yaml: error converting YAML to JSON: yaml: line 7: …`.
    ///
    /// go-yaml names no line for the problems its reader finds (control characters) or
    /// its decoder finds (aliases), and a value JSON cannot hold is encoding/json's error,
    /// not go-yaml's; a limit of podflow's own is said as such, naming the file.
    pub fn kubectl_message(&self, file: &str) -> String {
        let message = &self.message;
        if message.contains("(limit MAX_") {
            format!("error: {file}: {message}")
        } else if message.starts_with("json: ") {
            format!("error: error parsing {file}: error converting YAML to JSON: {message}")
        } else if message == EXCESSIVE_ALIASING || message == CONTROL_CHARACTERS {
            format!("error: error parsing {file}: error converting YAML to JSON: yaml: {message}")
        } else {
            format!(
                "error: error parsing {file}: error converting YAML to JSON: yaml: line {}: {message}",
                self.doc_line
            )
        }
    }
}

/// One YAML document of the manifest that parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// Position among the non-empty documents of the text, from 0.
    pub index: usize,
    /// 1-based line where the document's text starts (after its `---`).
    pub first_line: usize,
    /// The document as JSON, as kubectl sends it.
    pub value: Value,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    pub documents: Vec<Document>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Splits `text` into documents and parses each.
pub fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    if text.len() > limits::MAX_INPUT_BYTES {
        parsed.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            line: 1,
            column: 1,
            doc_line: 1,
            message: format!(
                "the manifest is {} bytes; podflow reads at most {} bytes (limit MAX_INPUT_BYTES)",
                text.len(),
                limits::MAX_INPUT_BYTES
            ),
        });
        return parsed;
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for chunk in split_documents(text) {
        if parsed.documents.len() >= limits::MAX_DOCUMENTS {
            parsed.diagnostics.push(Diagnostic {
                severity: Severity::Error,
                line: chunk.first_line,
                column: 1,
                doc_line: 1,
                message: format!(
                    "more than {} documents; podflow reads at most {} (limit MAX_DOCUMENTS)",
                    limits::MAX_DOCUMENTS,
                    limits::MAX_DOCUMENTS
                ),
            });
            break;
        }
        match read_document(chunk.text) {
            Ok(None) => {}
            Ok(Some(value)) => parsed.documents.push(Document {
                index: parsed.documents.len(),
                first_line: chunk.first_line,
                value,
            }),
            Err(Problem::Yaml(err)) => parsed.diagnostics.push(yaml_diagnostic(&err, &chunk)),
            Err(Problem::TooDeep) => parsed.diagnostics.push(Diagnostic {
                severity: Severity::Error,
                line: chunk.first_line,
                column: 1,
                doc_line: 1,
                message: too_deep(),
            }),
        }
    }
    parsed
}

struct Chunk<'a> {
    first_line: usize,
    text: &'a str,
}

/// Splits on lines that start with `---` followed by nothing, a space or a tab, as
/// upstream's YAMLReader does. The separator line itself belongs to no document.
fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1usize;
    let mut offset = 0usize;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        let is_separator = bare == "---"
            || bare.starts_with("--- ")
            || bare.starts_with("---\t")
            || bare.starts_with("---#");
        if is_separator {
            chunks.push(Chunk {
                first_line: start_line,
                text: &text[start..offset],
            });
            start = offset + line.len();
            start_line = i + 2;
        }
        offset += line.len();
    }
    chunks.push(Chunk {
        first_line: start_line,
        text: &text[start..],
    });
    chunks
}

/// Why a document could not be read.
enum Problem {
    Yaml(serde_yaml::Error),
    TooDeep,
}

/// One document's text → its JSON value, or `None` for an empty document (only comments,
/// or nothing), which kubectl skips.
fn read_document(text: &str) -> Result<Option<Value>, Problem> {
    let de = serde_yaml::Deserializer::from_str(text);
    let Json(value) = serde::Deserialize::deserialize(de).map_err(Problem::Yaml)?;
    if value.is_null() {
        return Ok(None);
    }
    if depth(&value) > limits::MAX_DEPTH {
        return Err(Problem::TooDeep);
    }
    Ok(Some(value))
}

fn too_deep() -> String {
    format!(
        "the document nests deeper than {} levels; podflow reads at most {} (limit MAX_DEPTH)",
        limits::MAX_DEPTH,
        limits::MAX_DEPTH
    )
}

/// How deeply mappings and sequences nest in `value` (a scalar is 0). serde_yaml refuses
/// anything deeper than 128 levels before this runs, so the recursion is bounded.
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// A YAML document read straight into JSON, as sigs.k8s.io/yaml's YAMLToJSON does it
/// (with go-yaml v2 underneath, non-strict):
/// - mapping keys become strings (`1` → `"1"`, `true` → `"true"`, `null` → `"null"`);
/// - a key given twice keeps its last value, silently, as go-yaml's non-strict decoder does
///   (so kubectl sends only the last one);
/// - integers beyond 64 bits become floats, as go-yaml resolves them
///   (`18446744073709551616` → `1.8446744073709552e19`);
/// - `.inf` and `.nan` are YAML floats JSON cannot hold: `json: unsupported value: +Inf`;
/// - tags (`!foo`) are dropped, their values kept.
struct Json(Value);

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> serde::de::Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json(Value::Bool(b)))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Json, E> {
        Ok(Json(Value::Number(i.into())))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Json, E> {
        Ok(Json(Value::Number(u.into())))
    }
    fn visit_i128<E: serde::de::Error>(self, i: i128) -> Result<Json, E> {
        self.visit_f64(i as f64)
    }
    fn visit_u128<E: serde::de::Error>(self, u: u128) -> Result<Json, E> {
        self.visit_f64(u as f64)
    }
    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Json, E> {
        match Number::from_f64(f) {
            Some(n) => Ok(Json(Value::Number(n))),
            // Go's encoding/json refuses these with strconv.FormatFloat(f, 'g', -1, 64).
            None => Err(E::custom(format!(
                "json: unsupported value: {}",
                if f.is_nan() {
                    "NaN"
                } else if f > 0.0 {
                    "+Inf"
                } else {
                    "-Inf"
                }
            ))),
        }
    }
    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json(Value::String(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json(Value::String(s)))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json(Value::Null))
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        serde::Deserialize::deserialize(d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(Json(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json(Value::Array(items)))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out = Map::new();
        while let Some((Json(key), Json(value))) = map.next_entry()? {
            out.insert(key_string(&key), value);
        }
        Ok(Json(Value::Object(out)))
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<Json, A::Error> {
        // A tagged value (`!foo bar`): the tag goes, the value stays.
        let (_tag, contents): (serde::de::IgnoredAny, _) = data.variant()?;
        serde::de::VariantAccess::newtype_variant::<Json>(contents)
    }
}

fn key_string(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        Value::Null => "null".to_string(),
        Value::Bool(_) | Value::Number(_) => key.to_string(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn yaml_diagnostic(err: &serde_yaml::Error, chunk: &Chunk<'_>) -> Diagnostic {
    // libyaml counts `\r`, NEL and the Unicode line separators as line breaks too, as
    // go-yaml does, so its line is kubectl's (`doc_line`); the editor's lines are split on
    // `\n` only, so the position in the text comes from the byte offset.
    let (mut doc_line, mut column, offset) = err
        .location()
        .map(|l| (l.line(), l.column(), l.index()))
        .unwrap_or((1, 1, 0));
    let (text_line, text_column) = line_and_column(chunk.text, offset);
    if err.location().is_some() {
        column = text_column;
    }
    let text = err.to_string();
    // libyaml's reader says where a control character is as a byte offset only.
    if let Some(offset) = text
        .strip_prefix("control characters are not allowed at position ")
        .and_then(|n| n.parse::<usize>().ok())
    {
        (doc_line, column) = line_and_column(chunk.text, offset);
        return Diagnostic {
            severity: Severity::Error,
            line: chunk.first_line + doc_line - 1,
            column,
            doc_line,
            message: CONTROL_CHARACTERS.to_string(),
        };
    }
    let message = match strip_location(&text).as_str() {
        // serde_yaml stops at 128 levels, before podflow's own MAX_DEPTH check can run.
        "recursion limit exceeded" => too_deep(),
        // go-yaml's guard against alias bombs ("billion laughs"), in its words.
        "repetition limit exceeded" => EXCESSIVE_ALIASING.to_string(),
        message => message.to_string(),
    };
    Diagnostic {
        severity: Severity::Error,
        line: chunk.first_line + text_line - 1,
        column,
        doc_line,
        message,
    }
}

/// go-yaml v2's message for a document whose aliases expand too far (decode.go).
const EXCESSIVE_ALIASING: &str = "document contains excessive aliasing";
/// go-yaml v2's reader's message for a byte YAML does not allow, such as NUL (readerc.go).
const CONTROL_CHARACTERS: &str = "control characters are not allowed";

/// The 1-based line and column (in characters) of byte `offset` in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// serde_yaml appends ` at line L column C` and libyaml's context (`, while scanning …`);
/// the position is kept separately and go-yaml (kubectl's parser) prints the problem
/// alone, so the message is the problem alone. A custom message (from the conversion to
/// JSON) may be prefixed with the path of the value (`spec.replicas: `), dropped too.
fn strip_location(message: &str) -> String {
    let end = [" at line ", ", while "]
        .iter()
        .filter_map(|m| message.find(m))
        .min()
        .unwrap_or(message.len());
    let message = &message[..end];
    match message.find("json: ") {
        Some(at) => message[at..].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_document() {
        let p = parse("apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\n");
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(p.documents.len(), 1);
        assert_eq!(p.documents[0].value["metadata"]["name"], "nginx");
        assert_eq!(p.documents[0].first_line, 1);
    }

    #[test]
    fn multi_document_lines_and_empty_documents() {
        let text = "---\n# only a comment\n---\nkind: A\n---\nkind: B\n";
        let p = parse(text);
        assert_eq!(p.documents.len(), 2);
        assert_eq!(p.documents[0].first_line, 4);
        assert_eq!(p.documents[1].first_line, 6);
        assert_eq!(p.documents[1].index, 1);
    }

    #[test]
    fn syntax_error_has_absolute_and_document_lines() {
        let text = "kind: A\n---\nkind: B\nmetadata:\n\tname: x\n";
        let p = parse(text);
        assert_eq!(p.documents.len(), 1);
        let d = &p.diagnostics[0];
        assert_eq!(d.line, 5);
        assert_eq!(d.doc_line, 3);
        assert_eq!(d.message, "found character that cannot start any token");
        assert_eq!(
            d.kubectl_message("pod.yaml"),
            "error: error parsing pod.yaml: error converting YAML to JSON: yaml: line 3: found character that cannot start any token"
        );
    }

    #[test]
    fn flow_style_with_trailing_commas_and_comments() {
        let text = "---\n{\n  apiVersion: \"v1\",\n  kind: \"Pod\", # a comment\n  spec: { containers: [{ name: \"a\", }], },\n}\n";
        let p = parse(text);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(p.documents[0].value["spec"]["containers"][0]["name"], "a");
    }

    #[test]
    fn a_lone_carriage_return_is_a_break_to_yaml_but_not_to_the_editor() {
        // libyaml (like go-yaml) counts `\r` as a line break; the editor splits on `\n`.
        let p = parse("a: 1\rb: 2\rc: [\n");
        let d = &p.diagnostics[0];
        assert_eq!((d.line, d.doc_line), (2, 4));
        assert!(d.column >= 1);
    }

    #[test]
    fn bom_and_crlf() {
        let p = parse("\u{feff}kind: Pod\r\nmetadata:\r\n  name: x\r\n");
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(p.documents[0].value["metadata"]["name"], "x");
    }

    #[test]
    fn non_string_keys_become_strings() {
        let p = parse("1: a\ntrue: b\n");
        assert_eq!(p.documents[0].value["1"], "a");
        assert_eq!(p.documents[0].value["true"], "b");
    }

    #[test]
    fn oversized_input_is_refused_with_the_limit_named() {
        let text = "a: b\n".repeat(limits::MAX_INPUT_BYTES / 5 + 1);
        let p = parse(&text);
        assert!(p.documents.is_empty());
        assert!(p.diagnostics[0].message.contains("MAX_INPUT_BYTES"));
    }
}
