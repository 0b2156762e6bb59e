//! The manifest editor: the YAML text with line numbers, syntax highlighting and the
//! diagnostics of its last parse, each at its line and column.
//!
//! The text lives in a plain `<textarea>` (native editing, undo, selection, screen
//! readers); its glyphs are transparent and a `<pre>` behind it, with the same font and
//! metrics, draws the highlighted copy. The textarea is sized to its content so the
//! surrounding box does the scrolling for both; a scroll handler keeps them together in
//! the rare case the textarea scrolls itself.
//!
//! Tab inserts two spaces and Shift+Tab outdents, through `execCommand("insertText")` so
//! the browser's undo history keeps them. Escape then Tab leaves the editor, so the
//! keyboard is never trapped.

use std::collections::BTreeMap;

use leptos::html::{Pre, Textarea};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::highlight::{highlight, Span};
use super::AppState;
use crate::sim::{limits::MAX_INPUT_BYTES, manifest::Severity};

/// A diagnostic as the editor shows it.
#[derive(Clone, Debug, PartialEq)]
struct Shown {
    line: usize,
    column: usize,
    error: bool,
    message: String,
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// The diagnostics of each line, in order, so every per-line lookup below is O(log n)
/// and drawing the editor stays O(lines + diagnostics) for any text.
fn by_line(diagnostics: &[Shown]) -> BTreeMap<usize, Vec<&Shown>> {
    let mut map: BTreeMap<usize, Vec<&Shown>> = BTreeMap::new();
    for d in diagnostics {
        map.entry(d.line).or_default().push(d);
    }
    map
}

/// The overlay's HTML: the `lines` (0-based) of `text` with their tokens in `tok-*` spans
/// and, after a line with a diagnostic, the message itself. Lines without tokens are
/// drawn plain.
fn overlay_html(
    text: &str,
    tokens: &[Vec<Span>],
    diagnostics: &[Shown],
    lines: std::ops::Range<usize>,
) -> String {
    let mut out = String::with_capacity(lines.len() * 64);
    let by_line = by_line(diagnostics);
    let no_spans = Vec::new();
    for (n, line) in text
        .split('\n')
        .enumerate()
        .skip(lines.start)
        .take(lines.len())
    {
        let spans = tokens.get(n).unwrap_or(&no_spans);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let here = by_line.get(&(n + 1));
        out.push_str(if here.is_none() {
            "<span class=\"line\">"
        } else {
            "<span class=\"line has-diagnostic\">"
        });
        let mut at = 0;
        for s in spans {
            escape(&line[at..s.start], &mut out);
            out.push_str("<span class=\"");
            out.push_str(s.tok.class());
            out.push_str("\">");
            escape(&line[s.start..s.end], &mut out);
            out.push_str("</span>");
            at = s.end;
        }
        escape(&line[at..], &mut out);
        out.push_str("</span>");
        for d in here.into_iter().flatten() {
            out.push_str(if d.error {
                "<span class=\"inline-diagnostic error\">  ✖ "
            } else {
                "<span class=\"inline-diagnostic warning\">  ▲ "
            });
            escape(&d.message, &mut out);
            out.push_str("</span>");
        }
        out.push('\n');
    }
    out
}

/// The gutter's HTML: a number for each of `lines` (0-based), marked where a line has a diagnostic (its first
/// one decides the mark). One string rather than a view per line, so a pasted text of a
/// million lines costs one DOM update instead of a million components.
fn gutter_html(lines: std::ops::Range<usize>, diagnostics: &[Shown]) -> String {
    let by_line = by_line(diagnostics);
    let mut out = String::with_capacity(lines.len() * 48);
    for n in lines.start + 1..=lines.end {
        match by_line.get(&n).and_then(|d| d.first()) {
            Some(d) if d.error => {
                out.push_str("<span class=\"gutter-line has-error\"><span class=\"mark\">✖</span>")
            }
            Some(_) => out
                .push_str("<span class=\"gutter-line has-warning\"><span class=\"mark\">▲</span>"),
            None => out.push_str("<span class=\"gutter-line\"><span class=\"mark\"></span>"),
        }
        out.push_str(&n.to_string());
        out.push_str("</span>");
    }
    out
}

/// The most diagnostics the list under the editor shows; the rest are counted. (Each is
/// also marked at its line, so none is hidden from the text itself.)
const MAX_LISTED_DIAGNOSTICS: usize = 100;

/// Height of one line of the editor's text in CSS pixels: `.code` is `font: 13px/1.5`
/// in style/main.css, and both must change together.
const LINE_PX: f64 = 19.5;
/// The editor's padding above the first line (`.highlight, .source` in style/main.css).
const PAD_PX: f64 = 8.0;
/// Up to this many lines the overlay and the gutter draw every line. Above it they draw
/// only the lines in view and a margin around them: a pasted text of 100,000 lines drawn
/// whole is 200,000 elements and seconds of layout on every edit.
const DRAW_ALL_LINES: usize = 1_500;
/// Lines drawn above and below the view, so a fast scroll rarely shows an undrawn line.
const MARGIN_LINES: usize = 150;

/// The lines (0-based) to draw when the editor's scroller is at `scroll_top` and shows
/// `height` pixels of a text of `lines` lines.
fn lines_to_draw(lines: usize, scroll_top: f64, height: f64) -> std::ops::Range<usize> {
    if lines <= DRAW_ALL_LINES {
        return 0..lines;
    }
    let top = ((scroll_top - PAD_PX).max(0.0) / LINE_PX) as usize;
    let first = top.saturating_sub(MARGIN_LINES).min(lines);
    let count = (height.max(0.0) / LINE_PX).ceil() as usize + 2 * MARGIN_LINES;
    first..(first + count).min(lines)
}

/// The widest line in characters, counting an inline message after it.
fn widest(text: &str, diagnostics: &[Shown]) -> usize {
    let by_line = by_line(diagnostics);
    text.split('\n')
        .enumerate()
        .map(|(n, line)| {
            let extra: usize = by_line
                .get(&(n + 1))
                .into_iter()
                .flatten()
                .map(|d| d.message.chars().count() + 4)
                .sum();
            line.chars().count() + extra
        })
        .max()
        .unwrap_or(0)
}

/// An edit of the text in UTF-16 offsets (what a textarea's selection uses): replace
/// `start..end` with `insert`, then select `select`.
#[derive(Debug, PartialEq)]
struct Edit {
    start: u32,
    end: u32,
    insert: String,
    select: (u32, u32),
}

const INDENT: &str = "  ";

/// What Tab (`outdent == false`) or Shift+Tab does to `text` with the selection
/// `start..end`: a caret or a selection within one line gets two spaces; a selection over
/// several lines indents each of them; Shift+Tab removes up to two leading spaces from
/// each line touched. `None` when nothing changes.
fn indent_edit(text: &str, start: u32, end: u32, outdent: bool) -> Option<Edit> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let len = units.len() as u32;
    let (start, end) = (start.min(len), end.min(len).max(start.min(len)));
    let line_start = |at: u32| {
        units[..at as usize]
            .iter()
            .rposition(|&u| u == b'\n' as u16)
            .map_or(0, |p| p as u32 + 1)
    };
    let first = line_start(start);
    let multi_line = units[start as usize..end as usize].contains(&(b'\n' as u16));
    if !outdent && !multi_line {
        let two = INDENT.len() as u32;
        return Some(Edit {
            start,
            end,
            insert: INDENT.to_string(),
            select: (start + two, start + two),
        });
    }
    // A selection ending at the start of a line does not touch that line.
    let last_end = if multi_line && end > start && units[end as usize - 1] == b'\n' as u16 {
        end - 1
    } else {
        end
    };
    let block_end = units[last_end as usize..]
        .iter()
        .position(|&u| u == b'\n' as u16)
        .map_or(len, |p| last_end + p as u32);
    let block = String::from_utf16_lossy(&units[first as usize..block_end as usize]);
    let mut changed = String::with_capacity(block.len() + 8);
    let (mut first_delta, mut total_delta) = (0i64, 0i64);
    for (i, line) in block.split('\n').enumerate() {
        if i > 0 {
            changed.push('\n');
        }
        let delta = if outdent {
            let removed = line.len() - line.trim_start_matches(' ').len();
            let removed = removed.min(INDENT.len());
            changed.push_str(&line[removed..]);
            -(removed as i64)
        } else {
            changed.push_str(INDENT);
            changed.push_str(line);
            INDENT.len() as i64
        };
        if i == 0 {
            first_delta = delta;
        }
        total_delta += delta;
    }
    if changed == block {
        return None;
    }
    let shift = |at: u32, delta: i64| (at as i64 + delta).max(first as i64) as u32;
    Some(Edit {
        start: first,
        end: block_end,
        insert: changed,
        select: (shift(start, first_delta), shift(end, total_delta)),
    })
}

/// Applies `edit` as if typed, so undo (Ctrl+Z) takes it back; falls back to a plain
/// value change where `execCommand` is unavailable.
fn apply(textarea: &web_sys::HtmlTextAreaElement, edit: &Edit, state: AppState) {
    let _ = textarea.set_selection_range(edit.start, edit.end);
    let typed = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
        .and_then(|d| {
            d.exec_command_with_show_ui_and_value("insertText", false, &edit.insert)
                .ok()
        })
        .unwrap_or(false);
    if !typed {
        let _ = textarea.set_range_text_with_start_and_end(&edit.insert, edit.start, edit.end);
        state.manifest.set(textarea.value());
    }
    let _ = textarea.set_selection_range(edit.select.0, edit.select.1);
}

/// Puts the caret at 1-based `line` and `column` and focuses the editor.
fn go_to(textarea: &web_sys::HtmlTextAreaElement, line: usize, column: usize) {
    let text = textarea.value();
    let mut offset = 0u32;
    for (n, l) in text.split('\n').enumerate() {
        if n + 1 == line {
            let col: u32 = l
                .chars()
                .take(column.saturating_sub(1))
                .map(|c| c.len_utf16() as u32)
                .sum();
            offset += col;
            break;
        }
        offset += l.encode_utf16().count() as u32 + 1;
    }
    let _ = textarea.focus();
    let _ = textarea.set_selection_range(offset, offset);
}

#[component]
pub fn ManifestEditor() -> impl IntoView {
    let state = expect_context::<AppState>();
    let textarea: NodeRef<Textarea> = NodeRef::new();
    let overlay: NodeRef<Pre> = NodeRef::new();
    // After Escape, the next Tab moves focus out instead of indenting.
    let tab_leaves = RwSignal::new(false);

    let line_count = move || state.manifest.with(|t| t.split('\n').count().max(1));
    // YAML problems, then what the apiserver will say (unknown fields, wrong types,
    // validation errors), each at its line.
    let shown = Memo::new(move |_| {
        state.simulation.with(|s| {
            let api = state
                .manifest
                .with(|text| crate::sim::lint::api_diagnostics(text, &s.parsed));
            s.parsed
                .diagnostics
                .iter()
                .chain(api.iter())
                .map(|d| Shown {
                    line: d.line,
                    column: d.column,
                    error: d.severity == Severity::Error,
                    message: d.message.clone(),
                })
                .collect::<Vec<_>>()
        })
    });
    // Where the editor's scroller is, so long texts draw only the lines in view.
    let code: NodeRef<leptos::html::Div> = NodeRef::new();
    let scroll = RwSignal::new((0.0_f64, 1200.0_f64));
    let drawn = Memo::new(move |_| {
        let (top, height) = scroll.get();
        lines_to_draw(line_count(), top, height)
    });
    let html = Memo::new(move |_| {
        let lines = drawn.get();
        state.manifest.with(|text| {
            shown.with(|diagnostics| overlay_html(text, &highlight(text), diagnostics, lines))
        })
    });
    // A paste over the input limit is refused before the textarea lays it out (10 MiB
    // of text takes the page seconds): the manifest the learner had stays, and this says
    // why.
    let refused = RwSignal::new(None::<String>);
    let width = move || {
        let chars = state
            .manifest
            .with(|text| shown.with(|diagnostics| widest(text, diagnostics)));
        format!("width: calc({}ch + 24px)", chars + 2)
    };
    let gutter = move || shown.with(|diagnostics| gutter_html(drawn.get(), diagnostics));
    let drawn_from_px = move || format!("{}px", PAD_PX + drawn.get().start as f64 * LINE_PX);
    let full_height_px = move || format!("{}px", 2.0 * PAD_PX + line_count() as f64 * LINE_PX);
    let diagnostics = move || {
        shown.with(|all| {
            all.iter()
                .take(MAX_LISTED_DIAGNOSTICS)
                .map(|d| {
                    let where_ = format!("line {}, column {}", d.line, d.column);
                    let (line, column) = (d.line, d.column);
                    let severity = if d.error { "error" } else { "warning" };
                    view! {
                        <li class=format!("diagnostic {severity}") data-line=d.line data-column=d.column>
                            <span class="severity">{if d.error { "✖ error" } else { "▲ warning" }}</span>
                            <button
                                type="button"
                                class="where"
                                aria-label=format!("go to {where_}")
                                on:click=move |_| {
                                    if let Some(t) = textarea.get_untracked() {
                                        go_to(&t, line, column);
                                    }
                                }
                            >
                                {where_.clone()}
                            </button>
                            <span class="message">{d.message.clone()}</span>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    let documents = move || state.simulation.with(|s| s.parsed.documents.len());
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        let key = ev.key();
        if key == "Escape" {
            tab_leaves.set(true);
            return;
        }
        if key != "Tab" || ev.ctrl_key() || ev.alt_key() || ev.meta_key() {
            tab_leaves.set(false);
            return;
        }
        if tab_leaves.get_untracked() {
            tab_leaves.set(false);
            return;
        }
        let Some(t) = textarea.get_untracked() else {
            return;
        };
        let (Ok(Some(start)), Ok(Some(end))) = (t.selection_start(), t.selection_end()) else {
            return;
        };
        ev.prevent_default();
        if let Some(edit) = indent_edit(&t.value(), start, end, ev.shift_key()) {
            apply(&t, &edit, state);
        }
    };
    let on_scroll = move |_| {
        if let (Some(t), Some(p)) = (textarea.get_untracked(), overlay.get_untracked()) {
            p.set_scroll_top(t.scroll_top());
            p.set_scroll_left(t.scroll_left());
        }
    };

    view! {
        <section class="panel editor" data-testid="manifest-editor" aria-labelledby="editor-title">
            <header class="panel-header">
                <h2 id="editor-title">"Manifest"</h2>
                <span class="panel-meta">
                    {move || {
                        let n = documents();
                        if n == 1 { "1 document".to_string() } else { format!("{n} documents") }
                    }}
                </span>
                <span class="badge stale" class:hidden=move || !state.stale.get() role="status">
                    "showing the last valid manifest"
                </span>
            </header>
            <Show when=move || refused.with(Option::is_some)>
                <p class="editor-refused" role="alert">
                    {move || refused.get().unwrap_or_default()}
                    <button type="button" class="dismiss" aria-label="dismiss" on:click=move |_| refused.set(None)>"✕"</button>
                </p>
            </Show>
            <div
                class="code"
                node_ref=code
                on:scroll=move |_| {
                    if let Some(c) = code.get_untracked() {
                        scroll.set((f64::from(c.scroll_top()), f64::from(c.client_height())));
                    }
                }
            >
                <div
                    class="gutter"
                    aria-hidden="true"
                    style:padding-top=drawn_from_px
                    style:min-height=full_height_px
                    inner_html=gutter
                ></div>
                <div class="code-area">
                    <pre
                        class="highlight"
                        aria-hidden="true"
                        node_ref=overlay
                        style:padding-top=drawn_from_px
                        inner_html=move || html.get()
                    ></pre>
                    <textarea
                        class="source"
                        node_ref=textarea
                        aria-label="Kubernetes manifest (YAML)"
                        aria-describedby="editor-hint"
                        spellcheck="false"
                        autocomplete="off"
                        autocapitalize="off"
                        wrap="off"
                        rows=line_count
                        style=width
                        prop:value=move || state.manifest.get()
                        on:input=move |ev| {
                            let text = event_target_value(&ev);
                            if text.len() > MAX_INPUT_BYTES {
                                if let Some(t) = textarea.get_untracked() {
                                    t.set_value(&state.manifest.get_untracked());
                                }
                                refused.set(Some(format!(
                                    "That text is {} bytes; podflow reads at most {} bytes (limit MAX_INPUT_BYTES). Your manifest was kept.",
                                    text.len(),
                                    MAX_INPUT_BYTES
                                )));
                                return;
                            }
                            refused.set(None);
                            state.manifest.set(text);
                        }
                        on:keydown=on_keydown
                        on:scroll=on_scroll
                        on:blur=move |_| tab_leaves.set(false)
                    ></textarea>
                </div>
            </div>
            <p class="editor-hint" id="editor-hint">
                <kbd>"Tab"</kbd>" indents, "<kbd>"Shift+Tab"</kbd>" outdents; "
                <kbd>"Esc"</kbd>" then "<kbd>"Tab"</kbd>" leaves the editor."
                {move || tab_leaves.get().then_some(" Tab now moves on.")}
            </p>
            <ul class="diagnostics" aria-live="polite" aria-label="problems in the manifest">{diagnostics}</ul>
            {move || {
                let more = shown.with(|all| all.len().saturating_sub(MAX_LISTED_DIAGNOSTICS));
                (more > 0).then(|| view! {
                    <p class="diagnostics-more">
                        {format!("…and {more} more problems, each marked at its line")}
                    </p>
                })
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply_to(text: &str, e: &Edit) -> String {
        let units: Vec<u16> = text.encode_utf16().collect();
        let mut out = String::from_utf16_lossy(&units[..e.start as usize]);
        out.push_str(&e.insert);
        out.push_str(&String::from_utf16_lossy(&units[e.end as usize..]));
        out
    }

    #[test]
    fn tab_inserts_two_spaces_at_the_caret() {
        let text = "spec:\ncontainers:";
        let e = indent_edit(text, 6, 6, false).unwrap();
        assert_eq!(apply_to(text, &e), "spec:\n  containers:");
        assert_eq!(e.select, (8, 8));
    }

    #[test]
    fn tab_indents_every_line_of_a_multi_line_selection() {
        let text = "a:\nb: 1\nc: 2\nd: 3";
        // From inside `b` to the start of `d`'s line: `d` is not touched.
        let e = indent_edit(text, 4, 13, false).unwrap();
        assert_eq!(apply_to(text, &e), "a:\n  b: 1\n  c: 2\nd: 3");
        assert_eq!(e.select, (6, 17));
    }

    #[test]
    fn shift_tab_removes_up_to_two_leading_spaces() {
        let text = "x:\n   a: 1\n b: 2\nc: 3";
        let e = indent_edit(text, 5, 12, true).unwrap();
        assert_eq!(apply_to(text, &e), "x:\n a: 1\nb: 2\nc: 3");
        assert_eq!(e.select, (3, 9));
        assert_eq!(indent_edit("a: 1", 2, 2, true), None, "nothing to outdent");
    }

    #[test]
    fn offsets_are_utf16_like_the_textarea() {
        // "é" and "😀" are 1 and 2 UTF-16 units.
        let text = "é😀:\n  x";
        let e = indent_edit(text, 5, 8, true).unwrap();
        assert_eq!(apply_to(text, &e), "é😀:\nx");
        // An out-of-range selection is clamped, never a panic.
        assert!(indent_edit(text, 99, 3, false).is_some());
    }

    #[test]
    fn overlay_escapes_text_and_puts_messages_after_their_line() {
        let text = "a: <b>\nc: @x";
        let diagnostics = [Shown {
            line: 2,
            column: 4,
            error: true,
            message: "found character that cannot start any token".into(),
        }];
        let html = overlay_html(text, &highlight(text), &diagnostics, 0..2);
        assert_eq!(
            html,
            "<span class=\"line\"><span class=\"tok-key\">a</span><span class=\"tok-punct\">:</span> \
             <span class=\"tok-str\">&lt;b&gt;</span></span>\n\
             <span class=\"line has-diagnostic\"><span class=\"tok-key\">c</span><span class=\"tok-punct\">:</span> \
             <span class=\"tok-str\">@x</span></span>\
             <span class=\"inline-diagnostic error\">  ✖ found character that cannot start any token</span>\n"
        );
        assert_eq!(
            widest(text, &diagnostics),
            5 + diagnostics[0].message.len() + 4
        );
    }

    #[test]
    fn gutter_marks_each_line_by_its_first_diagnostic() {
        let shown = |line, error| Shown {
            line,
            column: 1,
            error,
            message: "m".into(),
        };
        let html = gutter_html(0..3, &[shown(3, false), shown(2, true), shown(2, false)]);
        assert_eq!(
            html,
            "<span class=\"gutter-line\"><span class=\"mark\"></span>1</span>\
             <span class=\"gutter-line has-error\"><span class=\"mark\">✖</span>2</span>\
             <span class=\"gutter-line has-warning\"><span class=\"mark\">▲</span>3</span>"
        );
        assert_eq!(
            gutter_html(5..6, &[]),
            "<span class=\"gutter-line\"><span class=\"mark\"></span>6</span>"
        );
    }

    #[test]
    fn long_texts_draw_only_the_lines_in_view() {
        assert_eq!(lines_to_draw(40, 5000.0, 600.0), 0..40);
        assert_eq!(lines_to_draw(DRAW_ALL_LINES, 0.0, 600.0), 0..DRAW_ALL_LINES);
        let in_view = (600.0 / LINE_PX).ceil() as usize;
        assert_eq!(
            lines_to_draw(100_000, 0.0, 600.0),
            0..in_view + 2 * MARGIN_LINES
        );
        // Scrolled to line 50,000: the window starts a margin above it.
        let top = PAD_PX + 50_000.0 * LINE_PX;
        let r = lines_to_draw(100_000, top, 600.0);
        assert_eq!(r.start, 50_000 - MARGIN_LINES);
        assert_eq!(r.len(), in_view + 2 * MARGIN_LINES);
        // Past the end (a scroll event racing a shorter text): clamped, never out of range.
        let r = lines_to_draw(2_000, 1e9, 600.0);
        assert!(r.start <= r.end && r.end <= 2_000);
        let text = "a\nb\nc\nd";
        assert_eq!(
            overlay_html(text, &[], &[], 2..3),
            "<span class=\"line\">c</span>\n"
        );
    }

    #[test]
    fn a_text_without_tokens_is_drawn_plain() {
        assert_eq!(
            overlay_html("a: 1\n<x>", &[], &[], 0..2),
            "<span class=\"line\">a: 1</span>\n<span class=\"line\">&lt;x&gt;</span>\n"
        );
    }
}
