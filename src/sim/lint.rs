//! What the apiserver will say about each document, before it says it: strict decoding
//! (unknown fields, wrong types) and validation (after defaulting, as the apiserver
//! validates), each problem placed at its line and column in the manifest text so the
//! editor can show it where it is.
//!
//! The simulation still sends the manifest and shows the rejection in the trace; this only
//! lets the editor point at the offending line. Locating works on block-style YAML (what
//! people type); for flow style it falls back to the document's first line.

use super::api::decode::{strict_decode, PathSegment};
use super::api::{defaults, validation};
use super::manifest::{Diagnostic, Parsed, Severity};

/// One located problem per decode problem or field error, in document order.
pub fn api_diagnostics(text: &str, parsed: &Parsed) -> Vec<Diagnostic> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    for document in &parsed.documents {
        let doc_lines = document_lines(&lines, document.first_line);
        let mut push = |path: &[PathSegment], message: String| {
            let (line, column) = locate(&doc_lines, document.first_line, path);
            out.push(Diagnostic {
                severity: Severity::Error,
                line,
                column,
                doc_line: line + 1 - document.first_line,
                message,
            });
        };
        match strict_decode(&document.value) {
            Err(err) => {
                for problem in &err.problems {
                    push(&problem.path, problem.message.clone());
                }
            }
            Ok(()) => {
                let mut obj = document.value.clone();
                defaults::apply_defaults(&mut obj);
                for error in validation::validate(&obj) {
                    push(&error.path, error.to_string());
                }
            }
        }
    }
    out
}

/// The lines of the document starting at 1-based `first_line`, up to the next `---`.
fn document_lines<'a>(lines: &[&'a str], first_line: usize) -> Vec<&'a str> {
    lines
        .iter()
        .skip(first_line.saturating_sub(1))
        .take_while(|l| !(l.starts_with("---") && l[3..].trim().is_empty()))
        .copied()
        .collect()
}

/// Where a JSON path is in block-style YAML: the line and column of the deepest part of the
/// path that is written (for a missing field, its parent). 1-based.
pub fn locate(doc: &[&str], first_line: usize, path: &[PathSegment]) -> (usize, usize) {
    let mut best = (first_line, 1);
    let mut best_depth = 0;
    // The path of the line being read: (indentation of the key, segment).
    let mut stack: Vec<(usize, PathSegment)> = Vec::new();
    // Sequence item counters: (indentation of the dash) → index of the current item.
    let mut counters: Vec<(usize, usize)> = Vec::new();
    for (i, raw) in doc.iter().enumerate() {
        let content = raw.trim_end_matches('\r');
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut indent = content.len() - trimmed.len();
        let mut rest = trimmed;
        // `- ` items: one path segment per dash (`- - x` nests).
        while let Some(after) = rest
            .strip_prefix("- ")
            .or_else(|| (rest == "-").then_some(""))
        {
            // A dash belongs to the key above it, which may sit at the same indentation
            // (`containers:` then `- name: x`, as kubectl writes YAML); earlier items go.
            stack.retain(|(ind, seg)| {
                *ind < indent || (*ind == indent && matches!(seg, PathSegment::Key(_)))
            });
            counters.retain(|(ind, _)| *ind <= indent);
            let index = match counters.iter_mut().find(|(ind, _)| *ind == indent) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    counters.push((indent, 0));
                    0
                }
            };
            stack.push((indent, PathSegment::Index(index)));
            consider(
                &stack,
                path,
                (first_line + i, indent + 1),
                &mut best,
                &mut best_depth,
            );
            let consumed = rest.len() - after.len();
            indent += consumed;
            rest = after.trim_start();
            indent += after.len() - rest.len();
        }
        if let Some(key) = mapping_key(rest) {
            // A key closes every deeper (or equal) entry, and the sequences at or below it.
            stack.retain(|(ind, _)| *ind < indent);
            counters.retain(|(ind, _)| *ind < indent);
            stack.push((indent, PathSegment::Key(key)));
            consider(
                &stack,
                path,
                (first_line + i, indent + 1),
                &mut best,
                &mut best_depth,
            );
        }
    }
    best
}

/// Records `at` if the current path is a longer prefix of the wanted one than before.
fn consider(
    stack: &[(usize, PathSegment)],
    wanted: &[PathSegment],
    at: (usize, usize),
    best: &mut (usize, usize),
    best_depth: &mut usize,
) {
    let depth = stack.len();
    if depth > wanted.len() || depth <= *best_depth {
        return;
    }
    let matches = stack.iter().zip(wanted).all(|((_, a), b)| same(a, b));
    if matches {
        *best = at;
        *best_depth = depth;
    }
}

fn same(a: &PathSegment, b: &PathSegment) -> bool {
    match (a, b) {
        (PathSegment::Index(x), PathSegment::Index(y)) => x == y,
        (
            PathSegment::Key(x) | PathSegment::MapKey(x),
            PathSegment::Key(y) | PathSegment::MapKey(y),
        ) => x == y,
        _ => false,
    }
}

/// The key of a `key: value` or `key:` line (quotes removed), or `None`.
fn mapping_key(line: &str) -> Option<String> {
    if line.starts_with('{') || line.starts_with('[') {
        return None;
    }
    let (key, _) = if let Some(quoted) = line.strip_prefix('"') {
        let end = quoted.find('"')?;
        let after = &quoted[end + 1..];
        after.strip_prefix(':')?;
        return Some(quoted[..end].to_string());
    } else if let Some(quoted) = line.strip_prefix('\'') {
        let end = quoted.find('\'')?;
        let after = &quoted[end + 1..];
        after.strip_prefix(':')?;
        return Some(quoted[..end].to_string());
    } else {
        let colon = line
            .find(": ")
            .or_else(|| line.strip_suffix(':').map(|k| k.len()))?;
        line.split_at(colon)
    };
    (!key.is_empty() && !key.contains(' ')).then(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::manifest;

    fn diagnostics(text: &str) -> Vec<(usize, usize, String)> {
        api_diagnostics(text, &manifest::parse(text))
            .into_iter()
            .map(|d| (d.line, d.column, d.message))
            .collect()
    }

    #[test]
    fn an_unknown_field_is_found_at_its_line() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: nginx\n    image: nginx\n    imagePullPolcy: Always\n";
        assert_eq!(
            diagnostics(text),
            [(
                9,
                5,
                "unknown field \"spec.containers[0].imagePullPolcy\"".to_string()
            )]
        );
    }

    #[test]
    fn a_missing_field_points_at_its_parent() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx-pod\nspec:\n  containers:\n  - name: a\n    image: x\n  - name: nginx\n";
        assert_eq!(
            diagnostics(text),
            [(9, 3, "spec.containers[1].image: Required value".to_string())]
        );
    }

    #[test]
    fn documents_after_the_first_keep_their_lines() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx\n    bogus: 1\n";
        assert_eq!(
            diagnostics(text),
            [(
                14,
                5,
                "unknown field \"spec.containers[0].bogus\"".to_string()
            )]
        );
    }

    #[test]
    fn a_valid_manifest_has_nothing_to_say() {
        assert!(diagnostics(crate::sim::scenarios::NGINX).is_empty());
    }

    #[test]
    fn flow_style_falls_back_to_the_document() {
        let text = "---\n{apiVersion: v1, kind: Pod, metadata: {name: x}, spec: {containers: [{name: c, image: i, nope: 1}]}}\n";
        let d = diagnostics(text);
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].0, d[0].1), (2, 1));
    }
}
