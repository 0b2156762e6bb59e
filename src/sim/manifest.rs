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
    pub fn kubectl_message(&self, file: &str) -> String {
        format!(
            "error: error parsing {file}: error converting YAML to JSON: yaml: line {}: {}",
            self.doc_line, self.message
        )
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
        match serde_yaml::from_str::<serde_yaml::Value>(chunk.text) {
            Ok(yaml) => {
                if is_empty_document(&yaml) {
                    continue;
                }
                match yaml_to_json(yaml, 0) {
                    Ok(value) => parsed.documents.push(Document {
                        index: parsed.documents.len(),
                        first_line: chunk.first_line,
                        value,
                    }),
                    Err(message) => parsed.diagnostics.push(Diagnostic {
                        severity: Severity::Error,
                        line: chunk.first_line,
                        column: 1,
                        doc_line: 1,
                        message,
                    }),
                }
            }
            Err(err) => parsed.diagnostics.push(yaml_diagnostic(&err, &chunk)),
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

fn is_empty_document(value: &serde_yaml::Value) -> bool {
    matches!(value, serde_yaml::Value::Null)
}

fn yaml_diagnostic(err: &serde_yaml::Error, chunk: &Chunk<'_>) -> Diagnostic {
    let (doc_line, column) = err
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    Diagnostic {
        severity: Severity::Error,
        line: chunk.first_line + doc_line.saturating_sub(1),
        column,
        doc_line,
        message: strip_location(&err.to_string()),
    }
}

/// serde_yaml appends ` at line L column C` and libyaml's context (`, while scanning …`);
/// the position is kept separately and go-yaml (kubectl's parser) prints the problem
/// alone, so the message is the problem alone.
fn strip_location(message: &str) -> String {
    let end = [" at line ", ", while "]
        .iter()
        .filter_map(|m| message.find(m))
        .min()
        .unwrap_or(message.len());
    message[..end].to_string()
}

/// YAML → JSON as sigs.k8s.io/yaml does it: mapping keys become strings, tags are dropped.
fn yaml_to_json(value: serde_yaml::Value, depth: usize) -> Result<Value, String> {
    if depth > limits::MAX_DEPTH {
        return Err(format!(
            "the document nests deeper than {} levels (limit MAX_DEPTH)",
            limits::MAX_DEPTH
        ));
    }
    Ok(match value {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                match Number::from_f64(f) {
                    Some(n) => Value::Number(n),
                    // JSON has no NaN or infinity; sigs.k8s.io/yaml fails the same way.
                    None => return Err(format!("json: unsupported value: {f}")),
                }
            }
        }
        serde_yaml::Value::String(s) => Value::String(s),
        serde_yaml::Value::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(|v| yaml_to_json(v, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        serde_yaml::Value::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(key_string(&k), yaml_to_json(v, depth + 1)?);
            }
            Value::Object(out)
        }
        serde_yaml::Value::Tagged(tagged) => yaml_to_json(tagged.value, depth + 1)?,
    })
}

fn key_string(key: &serde_yaml::Value) -> String {
    match key {
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Null => "null".to_string(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
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
