//! YAML syntax highlighting for the manifest editor: a small, line-oriented tokenizer.
//!
//! It is not a YAML parser (that is `sim::manifest`'s job, and its diagnostics are what
//! count); it only colours what a learner reads: keys, strings, numbers, booleans and
//! null, comments, document separators, list dashes, block-scalar text and flow
//! punctuation. Invariants:
//! - pure and total: any text gives tokens, never a panic;
//! - every [`Span`] is a non-empty byte range on char boundaries of its line, spans are
//!   sorted and never overlap, so the renderer can emit the gaps verbatim and the overlay
//!   shows exactly the textarea's characters.

/// What a piece of a line is; the editor turns it into a `tok-*` class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    Key,
    /// A quoted or plain string value, or a line of a block scalar (`|`, `>`).
    Str,
    Number,
    /// `true`, `false`, `null`, `~` (the YAML 1.2 core schema that sigs.k8s.io/yaml uses).
    Bool,
    Comment,
    /// `---` or `...`: the document separators kubectl splits on.
    DocSep,
    /// A block sequence entry's `-`.
    Dash,
    /// `:`, `,`, `[`, `]`, `{`, `}`, `|`, `>`.
    Punct,
    /// An anchor (`&a`), alias (`*a`) or tag (`!!str`).
    Anchor,
}

impl Tok {
    /// The CSS class the editor gives this token.
    pub fn class(self) -> &'static str {
        match self {
            Tok::Key => "tok-key",
            Tok::Str => "tok-str",
            Tok::Number => "tok-num",
            Tok::Bool => "tok-bool",
            Tok::Comment => "tok-comment",
            Tok::DocSep => "tok-docsep",
            Tok::Dash => "tok-dash",
            Tok::Punct => "tok-punct",
            Tok::Anchor => "tok-anchor",
        }
    }
}

/// A token: byte range `start..end` within its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// The tokens of every line of `text` (split on `\n`, so the overlay has exactly the
/// textarea's lines, including an empty last one after a final newline).
pub fn highlight(text: &str) -> Vec<Vec<Span>> {
    let mut block: Option<usize> = None;
    text.split('\n')
        .map(|line| {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let indent = indent_of(line);
            let blank = line.trim().is_empty();
            if let Some(parent) = block {
                if blank {
                    return Vec::new();
                }
                if indent > parent {
                    return vec![span(Tok::Str, indent, line.len())];
                }
                block = None;
            }
            let (spans, opens_block) = tokenize_line(line);
            if opens_block {
                block = Some(indent);
            }
            spans
        })
        .collect()
}

fn span(tok: Tok, start: usize, end: usize) -> Span {
    Span { tok, start, end }
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Tokens of one line outside a block scalar, and whether the line opens one (ends in
/// `|` or `>` with optional chomping/indentation indicators).
pub fn tokenize_line(line: &str) -> (Vec<Span>, bool) {
    let mut out = Vec::new();
    let trimmed = line.trim_end();
    let mut i = skip_spaces(line, 0);
    let rest = &trimmed[i.min(trimmed.len())..];
    if rest.is_empty() {
        return (out, false);
    }
    if i == 0 && (is_marker(trimmed, "---") || is_marker(trimmed, "...")) {
        out.push(span(Tok::DocSep, 0, 3));
        let after = skip_spaces(trimmed, 3);
        if after < trimmed.len() {
            value(trimmed, after, &mut out);
        }
        return (out, false);
    }
    // Block sequence dashes: `- `, possibly nested (`- - a`).
    while trimmed[i..].starts_with('-')
        && trimmed[i + 1..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ' || c == '\t')
    {
        out.push(span(Tok::Dash, i, i + 1));
        i = skip_spaces(trimmed, i + 1);
    }
    if i >= trimmed.len() {
        return (out, false);
    }
    if trimmed[i..].starts_with('#') {
        out.push(span(Tok::Comment, i, trimmed.len()));
        return (out, false);
    }
    if let Some((key_end, colon)) = mapping_key(trimmed, i) {
        out.push(span(Tok::Key, i, key_end));
        out.push(span(Tok::Punct, colon, colon + 1));
        i = skip_spaces(trimmed, colon + 1);
        if i >= trimmed.len() {
            return (out, false);
        }
    }
    let opens_block = value(trimmed, i, &mut out);
    (out, opens_block)
}

/// `---` or `...` alone or followed by a space.
fn is_marker(line: &str, marker: &str) -> bool {
    line.starts_with(marker) && line[3..].chars().next().is_none_or(|c| c == ' ')
}

fn skip_spaces(line: &str, mut i: usize) -> usize {
    let bytes = line.as_bytes();
    while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
        i += 1;
    }
    i
}

/// If a mapping key starts at `i`, its end and the byte index of its `:`.
fn mapping_key(line: &str, i: usize) -> Option<(usize, usize)> {
    let rest = &line[i..];
    let first = rest.chars().next()?;
    if first == '"' || first == '\'' {
        let end = i + quoted_len(rest);
        let colon = skip_spaces(line, end);
        return (line[colon..].starts_with(':') && is_value_gap(line, colon + 1))
            .then_some((end, colon));
    }
    if "[{&*!|>%@`".contains(first) {
        return None;
    }
    // A plain key ends at the first `: ` (or `:` at the end), before any ` #` comment.
    let mut prev_space = false;
    for (off, c) in rest.char_indices() {
        let at = i + off;
        if c == '#' && prev_space {
            return None;
        }
        if c == ':' && is_value_gap(line, at + 1) {
            let end = line[..at].trim_end().len();
            return (end > i).then_some((end, at));
        }
        prev_space = c == ' ' || c == '\t';
    }
    None
}

/// After a `:`, a key needs a space, a tab or the end of the line.
fn is_value_gap(line: &str, at: usize) -> bool {
    line[at..]
        .chars()
        .next()
        .is_none_or(|c| c == ' ' || c == '\t')
}

/// Byte length of the quoted scalar at the start of `s` (to the end of `s` if unclosed).
fn quoted_len(s: &str) -> usize {
    let mut chars = s.char_indices();
    let Some((_, quote)) = chars.next() else {
        return 0;
    };
    let mut escaped = false;
    while let Some((at, c)) = chars.next() {
        if quote == '"' {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                return at + 1;
            }
        } else if c == '\'' {
            // `''` is an escaped quote inside a single-quoted scalar.
            if s[at + 1..].starts_with('\'') {
                chars.next();
            } else {
                return at + 1;
            }
        }
    }
    s.len()
}

/// Tokens of a value starting at `i`; returns whether it opens a block scalar.
fn value(line: &str, mut i: usize, out: &mut Vec<Span>) -> bool {
    while i < line.len() {
        let rest = &line[i..];
        let Some(c) = rest.chars().next() else {
            break;
        };
        match c {
            ' ' | '\t' => {
                i += 1;
                continue;
            }
            '#' if i == 0 || line[..i].ends_with([' ', '\t']) => {
                out.push(span(Tok::Comment, i, line.len()));
                return false;
            }
            '"' | '\'' => {
                let end = i + quoted_len(rest);
                out.push(span(Tok::Str, i, end));
                i = end;
            }
            '[' | ']' | '{' | '}' | ',' | ':' => {
                out.push(span(Tok::Punct, i, i + 1));
                i += 1;
            }
            '|' | '>' if out.last().is_none_or(|s| s.tok != Tok::Str) => {
                let end = i + rest
                    .find(|c: char| !matches!(c, '|' | '>' | '+' | '-' | '0'..='9'))
                    .unwrap_or(rest.len());
                out.push(span(Tok::Punct, i, end));
                i = skip_spaces(line, end);
                if i >= line.len() {
                    return true;
                }
                if line[i..].starts_with('#') {
                    out.push(span(Tok::Comment, i, line.len()));
                    return true;
                }
            }
            '&' | '*' | '!' => {
                let end = i + rest.find([' ', '\t', ',', ']', '}']).unwrap_or(rest.len());
                out.push(span(Tok::Anchor, i, end));
                i = end;
            }
            _ => {
                let end = i + plain_len(rest);
                let end = end.max(i + c.len_utf8());
                let word = &line[i..end];
                let after = skip_spaces(line, end);
                if line[after..].starts_with(':') && is_value_gap(line, after + 1) {
                    // A key inside a flow mapping (`{cpu: 100m}`).
                    out.push(span(Tok::Key, i, end));
                    i = after;
                    continue;
                }
                out.push(span(classify(word), i, end));
                i = end;
            }
        }
    }
    false
}

/// Length of a plain scalar: up to ` #`, or a flow indicator, or `: `.
fn plain_len(s: &str) -> usize {
    let mut prev_space = false;
    let mut end = 0;
    for (at, c) in s.char_indices() {
        if (c == '#' && prev_space) || matches!(c, ',' | '[' | ']' | '{' | '}') {
            break;
        }
        if c == ':' && is_value_gap(s, at + 1) {
            break;
        }
        prev_space = c == ' ' || c == '\t';
        if !prev_space {
            end = at + c.len_utf8();
        }
    }
    end
}

/// A plain scalar's type under the YAML 1.2 core schema.
fn classify(word: &str) -> Tok {
    match word {
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" | "null" | "Null" | "NULL" | "~" => {
            Tok::Bool
        }
        _ if is_number(word) => Tok::Number,
        _ => Tok::Str,
    }
}

fn is_number(word: &str) -> bool {
    let unsigned = word.strip_prefix(['-', '+']).unwrap_or(word);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(word, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    if let Some(hex) = word.strip_prefix("0x") {
        return !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    if let Some(oct) = word.strip_prefix("0o") {
        return !oct.is_empty() && oct.chars().all(|c| ('0'..='7').contains(&c));
    }
    let mut digits = 0;
    let mut dot = false;
    let mut exp = false;
    let mut prev = ' ';
    for c in unsigned.chars() {
        match c {
            '0'..='9' => digits += 1,
            '.' if !dot && !exp => dot = true,
            'e' | 'E' if digits > 0 && !exp => exp = true,
            '+' | '-' if matches!(prev, 'e' | 'E') => {}
            _ => return false,
        }
        prev = c;
    }
    digits > 0 && !matches!(prev, 'e' | 'E' | '+' | '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line's tokens as (class, text) pairs, the way a reader checks them.
    fn toks(line: &str) -> Vec<(Tok, &str)> {
        tokenize_line(line)
            .0
            .into_iter()
            .map(|s| (s.tok, &line[s.start..s.end]))
            .collect()
    }

    #[test]
    fn keys_and_plain_values() {
        assert_eq!(
            toks("  name: nginx"),
            [(Tok::Key, "name"), (Tok::Punct, ":"), (Tok::Str, "nginx")]
        );
        // An image reference's `:` is not a key separator (no space after it).
        assert_eq!(
            toks("  - image: nginx:1.14.2"),
            [
                (Tok::Dash, "-"),
                (Tok::Key, "image"),
                (Tok::Punct, ":"),
                (Tok::Str, "nginx:1.14.2")
            ]
        );
        assert_eq!(
            toks("metadata:"),
            [(Tok::Key, "metadata"), (Tok::Punct, ":")]
        );
    }

    #[test]
    fn scalars_are_typed_by_the_core_schema() {
        assert_eq!(toks("replicas: 3")[2], (Tok::Number, "3"));
        assert_eq!(toks("x: -1.5e3")[2], (Tok::Number, "-1.5e3"));
        assert_eq!(toks("x: 0x1F")[2], (Tok::Number, "0x1F"));
        assert_eq!(toks("hostNetwork: true")[2], (Tok::Bool, "true"));
        assert_eq!(toks("x: ~")[2], (Tok::Bool, "~"));
        assert_eq!(toks("x: null")[2], (Tok::Bool, "null"));
        // YAML 1.1's yes/no are strings in the core schema, as sigs.k8s.io/yaml reads them.
        assert_eq!(toks("x: yes")[2], (Tok::Str, "yes"));
        // A quantity is a string, not a number.
        assert_eq!(toks("memory: 64Mi")[2], (Tok::Str, "64Mi"));
        assert_eq!(toks("x: 1.2.3")[2], (Tok::Str, "1.2.3"));
        assert_eq!(toks("x: 1e")[2], (Tok::Str, "1e"));
    }

    #[test]
    fn quoted_strings_and_comments() {
        assert_eq!(
            toks(r#"  command: "echo \"hi\" # not a comment"  # a comment"#),
            [
                (Tok::Key, "command"),
                (Tok::Punct, ":"),
                (Tok::Str, r#""echo \"hi\" # not a comment""#),
                (Tok::Comment, "# a comment")
            ]
        );
        assert_eq!(
            toks("x: 'it''s'"),
            [(Tok::Key, "x"), (Tok::Punct, ":"), (Tok::Str, "'it''s'")]
        );
        assert_eq!(
            toks("  # just a comment"),
            [(Tok::Comment, "# just a comment")]
        );
        // `#` without a space before it belongs to the scalar.
        assert_eq!(toks("x: a#b")[2], (Tok::Str, "a#b"));
        assert_eq!(
            toks(r#""quoted key": 1"#),
            [
                (Tok::Key, r#""quoted key""#),
                (Tok::Punct, ":"),
                (Tok::Number, "1")
            ]
        );
    }

    #[test]
    fn document_separators_and_dashes() {
        assert_eq!(toks("---"), [(Tok::DocSep, "---")]);
        assert_eq!(
            toks("--- # next"),
            [(Tok::DocSep, "---"), (Tok::Comment, "# next")]
        );
        assert_eq!(toks("..."), [(Tok::DocSep, "...")]);
        // `----` and an indented `---` are not separators.
        assert_eq!(toks("----"), [(Tok::Str, "----")]);
        assert_eq!(
            toks("- - a"),
            [(Tok::Dash, "-"), (Tok::Dash, "-"), (Tok::Str, "a")]
        );
        assert_eq!(toks("-1"), [(Tok::Number, "-1")]);
        assert_eq!(toks("-"), [(Tok::Dash, "-")]);
    }

    #[test]
    fn flow_collections() {
        assert_eq!(
            toks("resources: {}"),
            [
                (Tok::Key, "resources"),
                (Tok::Punct, ":"),
                (Tok::Punct, "{"),
                (Tok::Punct, "}")
            ]
        );
        assert_eq!(
            toks("limits: {cpu: 100m, memory: 1}"),
            [
                (Tok::Key, "limits"),
                (Tok::Punct, ":"),
                (Tok::Punct, "{"),
                (Tok::Key, "cpu"),
                (Tok::Punct, ":"),
                (Tok::Str, "100m"),
                (Tok::Punct, ","),
                (Tok::Key, "memory"),
                (Tok::Punct, ":"),
                (Tok::Number, "1"),
                (Tok::Punct, "}")
            ]
        );
        assert_eq!(
            toks(r#"args: ["-c", 5]"#),
            [
                (Tok::Key, "args"),
                (Tok::Punct, ":"),
                (Tok::Punct, "["),
                (Tok::Str, r#""-c""#),
                (Tok::Punct, ","),
                (Tok::Number, "5"),
                (Tok::Punct, "]")
            ]
        );
    }

    #[test]
    fn block_scalars_colour_their_lines_as_strings() {
        let text = "data:\n  script: |-\n    echo: not a key\n\n    # not a comment\n  other: 1\n";
        let lines = highlight(text);
        assert_eq!(
            lines.len(),
            7,
            "one entry per line, with the empty last one"
        );
        assert_eq!(lines[1][2].tok, Tok::Punct, "the |- indicator");
        assert_eq!(lines[2], [span(Tok::Str, 4, 19)]);
        assert!(lines[3].is_empty());
        assert_eq!(lines[4], [span(Tok::Str, 4, 19)]);
        assert_eq!(
            lines[5][0],
            span(Tok::Key, 2, 7),
            "the block ends at a shallower line"
        );
    }

    #[test]
    fn anchors_aliases_and_tags() {
        assert_eq!(
            toks("a: &base !!str x"),
            [
                (Tok::Key, "a"),
                (Tok::Punct, ":"),
                (Tok::Anchor, "&base"),
                (Tok::Anchor, "!!str"),
                (Tok::Str, "x")
            ]
        );
    }

    #[test]
    fn spans_are_sorted_disjoint_and_on_char_boundaries() {
        let text = "métadonnées: «bonjour» # ça\n- ключ: значение\n\"unclosed: x\n'\n: \n-\t\n @bad\n{a: [b, {c: d}]}\r\nx: |\n  日本\n";
        for (line, spans) in text.split('\n').zip(highlight(text)) {
            let mut at = 0;
            for s in spans {
                assert!(
                    s.start >= at && s.start < s.end && s.end <= line.len(),
                    "{line:?} {s:?}"
                );
                assert!(line.is_char_boundary(s.start) && line.is_char_boundary(s.end));
                at = s.end;
            }
        }
        assert_eq!(
            toks("métadonnées: «bonjour» # ça"),
            [
                (Tok::Key, "métadonnées"),
                (Tok::Punct, ":"),
                (Tok::Str, "«bonjour»"),
                (Tok::Comment, "# ça")
            ]
        );
    }
}
