//! Links that carry a lesson, and the embed query: one codec for the app and the
//! `podflow link` command, so both always agree.
//!
//! A lesson travels in the URL **fragment** (after `#`), which browsers never send to a
//! server. Two forms, decoded the same way:
//!
//! | parameter | compact form                       | readable form (hand-written links) |
//! |-----------|------------------------------------|------------------------------------|
//! | manifest  | `m=` base64url of raw-deflate      | `yaml=` percent-encoded text       |
//! | cluster   | `c=`                               | `cluster=`                         |
//! | commands  | `k=`                               | `kubectl=`                         |
//! | step      | `step=N` (1-based, as the timeline shows it)                            |
//! | autoplay  | `play=1`                                                                |
//! | speed     | `speed=N` steps per second, 1–60                                        |
//! | user      | `as=jane`: the manifest is applied `--as` that user (RBAC lessons)      |
//!
//! The compact form is what a browser can undo with `DecompressionStream('deflate-raw')`
//! after base64url-decoding (RFC 4648 §5, without padding). The commands text is one
//! kubectl command per line, optionally prefixed with the simulated time it runs at:
//! `@30s kubectl delete pod nginx` (`@1500ms …` also works; no prefix means 0 s, right
//! after the manifest is applied).
//!
//! The embed options travel in the **query** (`?embed=1&panels=editor,flow`), because they
//! choose a layout rather than carry content.
//!
//! Invariants:
//! - Decoding never panics and never allocates more than the limits allow: a fragment
//!   longer than [`MAX_LINK_BYTES`] is refused before decoding, and inflating stops at
//!   [`MAX_INPUT_BYTES`].
//! - Every error names the parameter and says what is wrong with it.
//! - `parse_fragment(&to_fragment(l, form)) == Ok(Some(l))` for every lesson within the
//!   limits, in both forms.

use std::fmt;

use crate::sim::limits::{MAX_INPUT_BYTES, MAX_LINK_BYTES, MAX_LINK_COMMANDS, MAX_SIM_TIME_MS};

/// What a link carries: everything needed to reopen a lesson where its author left it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lesson {
    /// The manifest text, applied as `kubectl apply -f pod.yaml` at 0 s.
    pub manifest: String,
    /// A cluster description (YAML, as `podflow cluster` prints it); `None`: the default.
    pub cluster: Option<String>,
    /// Extra kubectl commands at simulated times in milliseconds.
    pub commands: Vec<(u64, String)>,
    /// The step to open at, 1-based as the timeline numbers steps.
    pub step: Option<usize>,
    /// Start playing as soon as the page opens.
    pub autoplay: bool,
    /// Playback speed in steps per second (1–60).
    pub speed: Option<u32>,
    /// The user the manifest is applied as (`kubectl apply -f pod.yaml --as=jane`);
    /// `None`: the cluster's admin, as usual.
    pub apply_as: Option<String>,
}

/// Which encoding [`to_fragment`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `m=`, `c=`, `k=`: base64url of raw-deflate; short, opaque.
    Compact,
    /// `yaml=`, `cluster=`, `kubectl=`: percent-encoded text; long, readable, hand-writable.
    Readable,
}

/// Why a link could not be read. Its text is one sentence a learner can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError(String);

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LinkError {}

fn error(message: impl Into<String>) -> LinkError {
    LinkError(message.into())
}

/// The slowest and fastest playback a link may ask for, in steps per second.
pub const SPEEDS: std::ops::RangeInclusive<u32> = 1..=60;

/// Reads the lesson in a URL fragment (`location.hash`, with or without its `#`).
///
/// `Ok(None)`: the fragment carries no lesson (empty, or an anchor such as `#top`).
/// `Err`: the link was meant to carry one but is damaged, oversized or contradictory.
pub fn parse_fragment(fragment: &str) -> Result<Option<Lesson>, LinkError> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    if fragment.len() > MAX_LINK_BYTES {
        return Err(error(format!(
            "the link is {} bytes long; podflow reads links of at most {} bytes (limit MAX_LINK_BYTES)",
            fragment.len(),
            MAX_LINK_BYTES
        )));
    }
    let params = split_params(fragment)?;
    let get = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let lesson_keys = [
        "m", "yaml", "c", "cluster", "k", "kubectl", "step", "play", "speed", "as",
    ];
    if !params.iter().any(|(k, _)| lesson_keys.contains(k)) {
        return Ok(None);
    }
    let manifest = match (get("m"), get("yaml")) {
        (Some(_), Some(_)) => {
            return Err(error(
                "the link has both m= and yaml=; a link carries one manifest",
            ))
        }
        (Some(m), None) => unpack("m", m)?,
        (None, Some(y)) => percent_decode("yaml", y)?,
        (None, None) => return Err(error("the link has no manifest (m= or yaml=)")),
    };
    let cluster = match (get("c"), get("cluster")) {
        (Some(_), Some(_)) => {
            return Err(error(
                "the link has both c= and cluster=; a link carries one cluster",
            ))
        }
        (Some(c), None) => Some(unpack("c", c)?),
        (None, Some(c)) => Some(percent_decode("cluster", c)?),
        (None, None) => None,
    };
    let commands = match (get("k"), get("kubectl")) {
        (Some(_), Some(_)) => {
            return Err(error(
                "the link has both k= and kubectl=; a link carries one list of commands",
            ))
        }
        (Some(k), None) => parse_commands("k", &unpack("k", k)?)?,
        (None, Some(k)) => parse_commands("kubectl", &percent_decode("kubectl", k)?)?,
        (None, None) => Vec::new(),
    };
    let step = match get("step") {
        None => None,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                return Err(error(format!(
                    "step={} is not a step number; steps are numbered from 1",
                    shorten(s)
                )))
            }
        },
    };
    let autoplay = match get("play") {
        None | Some("0") | Some("false") => false,
        Some("") | Some("1") | Some("true") => true,
        Some(other) => {
            return Err(error(format!(
                "play={} is not understood; use play=1 to start playing",
                shorten(other)
            )))
        }
    };
    let speed = match get("speed") {
        None => None,
        Some(s) => match s.parse::<u32>() {
            Ok(n) if SPEEDS.contains(&n) => Some(n),
            _ => {
                return Err(error(format!(
                    "speed={} is not a playback speed; use {} to {} steps per second",
                    shorten(s),
                    SPEEDS.start(),
                    SPEEDS.end()
                )))
            }
        },
    };
    let apply_as = match get("as") {
        None => None,
        Some(raw) => {
            let user = percent_decode("as", raw)?;
            if !is_user_name(&user) {
                return Err(error(format!(
                    "as={} is not a user name; use up to {MAX_USER_CHARS} letters, digits and -_.:@",
                    shorten(&user)
                )));
            }
            Some(user)
        }
    };
    Ok(Some(Lesson {
        manifest,
        cluster,
        commands,
        step,
        autoplay,
        speed,
        apply_as,
    }))
}

/// Writes a lesson as a fragment (without the `#`); [`parse_fragment`] reads it back.
pub fn to_fragment(lesson: &Lesson, form: Form) -> String {
    let field = |compact: &str, readable: &str, text: &str| match form {
        Form::Compact => format!("{compact}={}", pack(text)),
        Form::Readable => format!("{readable}={}", percent_encode(text)),
    };
    let mut params = vec![field("m", "yaml", &lesson.manifest)];
    if let Some(cluster) = &lesson.cluster {
        params.push(field("c", "cluster", cluster));
    }
    if !lesson.commands.is_empty() {
        params.push(field("k", "kubectl", &commands_text(&lesson.commands)));
    }
    if let Some(step) = lesson.step {
        params.push(format!("step={step}"));
    }
    if lesson.autoplay {
        params.push("play=1".to_string());
    }
    if let Some(speed) = lesson.speed {
        params.push(format!("speed={speed}"));
    }
    if let Some(user) = &lesson.apply_as {
        params.push(format!("as={}", percent_encode(user)));
    }
    params.join("&")
}

/// The longest user name a link may apply its manifest as.
pub const MAX_USER_CHARS: usize = 253;

/// A user name as `--as` takes it in a lesson: `jane`, `jane@example.com`,
/// `system:serviceaccount:default:builder`.
pub fn is_user_name(user: &str) -> bool {
    !user.is_empty()
        && user.chars().count() <= MAX_USER_CHARS
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c))
}

impl Lesson {
    /// The command line that applies the manifest at 0 s.
    pub fn apply_line(&self) -> String {
        let apply = format!("kubectl apply -f {}", crate::sim::MANIFEST_FILE);
        match &self.apply_as {
            Some(user) => format!("{apply} --as={user}"),
            None => apply,
        }
    }

    /// The user of an apply line as [`Lesson::apply_line`] writes it, if it names one.
    pub fn user_of(apply_line: &str) -> Option<String> {
        let prefix = format!("kubectl apply -f {} --as=", crate::sim::MANIFEST_FILE);
        apply_line
            .strip_prefix(&prefix)
            .filter(|u| is_user_name(u))
            .map(str::to_string)
    }
}

/// `name=value` pairs split on `&`; a pair without `=` is kept with an empty value. A
/// name given twice is an error: which one the author meant cannot be known.
fn split_params(text: &str) -> Result<Vec<(&str, &str)>, LinkError> {
    let mut params: Vec<(&str, &str)> = Vec::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if params.iter().any(|(n, _)| *n == name) {
            return Err(error(format!(
                "the link gives {}= twice; give each parameter once",
                shorten(name)
            )));
        }
        params.push((name, value));
    }
    Ok(params)
}

/// At most 40 characters of a value, for quoting it in a message.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The commands as link text: `@30s kubectl …` lines.
pub fn commands_text(commands: &[(u64, String)]) -> String {
    commands
        .iter()
        .map(|(at, line)| match at {
            0 => line.clone(),
            ms if ms % 1000 == 0 => format!("@{}s {line}", ms / 1000),
            ms => format!("@{ms}ms {line}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads `@30s kubectl …` lines (blank lines skipped).
pub fn parse_commands(param: &str, text: &str) -> Result<Vec<(u64, String)>, LinkError> {
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if out.len() == MAX_LINK_COMMANDS {
            return Err(error(format!(
                "{param}= has more than {MAX_LINK_COMMANDS} commands (limit MAX_LINK_COMMANDS)"
            )));
        }
        let (at, command) = match line.strip_prefix('@') {
            None => (0, line),
            Some(rest) => {
                let (time, command) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                let at = parse_time(time).ok_or_else(|| {
                    error(format!(
                        "{param}= line {}: @{} is not a time; write @30s or @1500ms",
                        index + 1,
                        shorten(time)
                    ))
                })?;
                if at > MAX_SIM_TIME_MS {
                    return Err(error(format!(
                        "{param}= line {}: @{} is later than the longest simulation, {} s (limit MAX_SIM_TIME_MS)",
                        index + 1,
                        shorten(time),
                        MAX_SIM_TIME_MS / 1000
                    )));
                }
                (at, command.trim())
            }
        };
        if command.is_empty() {
            return Err(error(format!(
                "{param}= line {}: a time with no command after it",
                index + 1
            )));
        }
        out.push((at, command.to_string()));
    }
    Ok(out)
}

/// `30s`, `1500ms`, `2m` → milliseconds.
fn parse_time(text: &str) -> Option<u64> {
    let (digits, scale) = if let Some(d) = text.strip_suffix("ms") {
        (d, 1)
    } else if let Some(d) = text.strip_suffix('s') {
        (d, 1000)
    } else if let Some(d) = text.strip_suffix('m') {
        (d, 60_000)
    } else {
        return None;
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(scale)
}

// ---- compact form: base64url(raw deflate) ---------------------------------------------

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The compact form of a text.
pub fn pack(text: &str) -> String {
    // Level 9: links are written rarely and read often; the smallest output wins.
    base64url_encode(&miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 9))
}

/// Undoes [`pack`], refusing output larger than [`MAX_INPUT_BYTES`].
pub fn unpack(param: &str, value: &str) -> Result<String, LinkError> {
    let bytes = base64url_decode(param, value)?;
    let inflated = miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, MAX_INPUT_BYTES)
        .map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => error(format!(
                "{param}= unpacks to more than {MAX_INPUT_BYTES} bytes; podflow reads at most that (limit MAX_INPUT_BYTES)"
            )),
            _ => error(format!(
                "{param}= could not be unpacked: its compressed data is damaged or cut short (was the whole link copied?)"
            )),
        })?;
    String::from_utf8(inflated).map_err(|e| {
        error(format!(
            "{param}= unpacks to bytes that are not UTF-8 text (at byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for s in &sextets[..chunk.len() + 1] {
            out.push(char::from(BASE64URL[*s as usize]));
        }
    }
    out
}

fn base64url_decode(param: &str, text: &str) -> Result<Vec<u8>, LinkError> {
    // Padding is not written but tolerated, as a hand-edited link may carry it.
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for (position, c) in text.char_indices() {
        let value = BASE64URL.iter().position(|&b| char::from(b) == c).ok_or_else(|| {
            error(format!(
                "{param}= is not base64url: {c:?} at character {} (was the link cut or changed when it was copied?)",
                position + 1
            ))
        })?;
        acc = (acc << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if text.len() % 4 == 1 {
        return Err(error(format!(
            "{param}= is not base64url: its length is cut short (was the whole link copied?)"
        )));
    }
    Ok(out)
}

// ---- readable form: percent-encoding --------------------------------------------------

/// Percent-encodes all but the characters that read well in a fragment and cannot be
/// mistaken for its syntax (RFC 3986 unreserved, plus `!$'()*,;:@/?`).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3 / 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$'()*,;:@/?".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Undoes percent-encoding; `+` stays `+` (fragments are not form data).
pub fn percent_decode(param: &str, text: &str) -> Result<String, LinkError> {
    percent_decode_bytes(param, text, false)
}

fn percent_decode_bytes(param: &str, text: &str, plus_is_space: bool) -> Result<String, LinkError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        error(format!(
                            "{param}= has a broken %-escape at character {} (write a literal % as %25)",
                            i + 1
                        ))
                    })?;
                out.push(hex);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    if out.len() > MAX_INPUT_BYTES {
        return Err(error(format!(
            "{param}= is {} bytes; podflow reads at most {MAX_INPUT_BYTES} bytes (limit MAX_INPUT_BYTES)",
            out.len()
        )));
    }
    String::from_utf8(out).map_err(|e| {
        error(format!(
            "{param}= decodes to bytes that are not UTF-8 text (at byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

// ---- embedding -------------------------------------------------------------------------

/// A panel of the app, as `panels=` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Panel {
    /// The manifest editor.
    Editor,
    /// The kubectl console.
    Console,
    /// Nodes and their pods.
    Cluster,
    /// The message flow between components.
    Flow,
    /// The etcd keyspace.
    Etcd,
    /// `kubectl describe` and events.
    Describe,
    /// What the current step means.
    Narration,
    /// The player and scrubber.
    Timeline,
}

impl Panel {
    pub const ALL: [Panel; 8] = [
        Panel::Editor,
        Panel::Console,
        Panel::Cluster,
        Panel::Flow,
        Panel::Etcd,
        Panel::Describe,
        Panel::Narration,
        Panel::Timeline,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Panel::Editor => "editor",
            Panel::Console => "console",
            Panel::Cluster => "cluster",
            Panel::Flow => "flow",
            Panel::Etcd => "etcd",
            Panel::Describe => "describe",
            Panel::Narration => "narration",
            Panel::Timeline => "timeline",
        }
    }

    pub fn from_name(name: &str) -> Option<Panel> {
        Panel::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// How the page is laid out, from its query string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    /// `embed=1` (or `e=1`): the compact layout for an iframe.
    pub embed: bool,
    /// `panels=editor,flow`: the panels to show, in the app's order; `None`: all.
    pub panels: Option<Vec<Panel>>,
    /// `id=lesson-1`: echoed in every message the app posts to its parent page, so a
    /// page with several instances can tell them apart.
    pub id: Option<String>,
    /// `origin=https://course.example`: the only origin the app posts messages to
    /// (default `*`: the messages carry nothing private).
    pub origin: Option<String>,
}

/// The longest `id=` accepted.
pub const MAX_ID_CHARS: usize = 64;

/// Reads the view from a query string (`location.search`, with or without `?`).
/// Unknown parameters are ignored (a course site may add its own); bad values are errors.
pub fn parse_query(query: &str) -> Result<View, LinkError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > MAX_LINK_BYTES {
        return Err(error(format!(
            "the query is {} bytes long; podflow reads at most {} bytes (limit MAX_LINK_BYTES)",
            query.len(),
            MAX_LINK_BYTES
        )));
    }
    let mut view = View::default();
    for (name, raw) in split_params(query)? {
        let value = percent_decode_bytes(name, raw, true)?;
        match name {
            "embed" | "e" => {
                view.embed = match value.as_str() {
                    "" | "1" | "true" => true,
                    "0" | "false" => false,
                    other => {
                        return Err(error(format!(
                            "{name}={} is not understood; use {name}=1",
                            shorten(other)
                        )))
                    }
                }
            }
            "panels" => {
                let mut panels = Vec::new();
                for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let panel = Panel::from_name(part).ok_or_else(|| {
                        error(format!(
                            "panels= names {:?}, which is not a panel; the panels are {}",
                            shorten(part),
                            Panel::ALL.map(Panel::name).join(", ")
                        ))
                    })?;
                    panels.push(panel);
                }
                if panels.is_empty() {
                    return Err(error(format!(
                        "panels= is empty; name one or more of {}",
                        Panel::ALL.map(Panel::name).join(", ")
                    )));
                }
                panels.sort();
                panels.dedup();
                view.panels = Some(panels);
            }
            "id" => {
                let ok = !value.is_empty()
                    && value.chars().count() <= MAX_ID_CHARS
                    && value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
                if !ok {
                    return Err(error(format!(
                        "id={} is not an instance id; use up to {MAX_ID_CHARS} letters, digits and -_.:",
                        shorten(&value)
                    )));
                }
                view.id = Some(value);
            }
            "origin" => {
                if !is_origin(&value) {
                    return Err(error(format!(
                        "origin={} is not an origin; write it as https://host or https://host:port",
                        shorten(&value)
                    )));
                }
                view.origin = Some(value);
            }
            _ => {}
        }
    }
    Ok(view)
}

/// `scheme://host[:port]` with nothing after it.
fn is_origin(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    let scheme_ok = matches!(scheme, "http" | "https");
    let host_ok = !rest.is_empty()
        && rest.len() <= 253 + 6
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
    scheme_ok && host_ok
}

/// The query string for a view: `""` or `?embed=1&panels=editor,flow&id=…`.
pub fn to_query(view: &View) -> String {
    let mut params = Vec::new();
    if view.embed {
        params.push("embed=1".to_string());
    }
    if let Some(panels) = &view.panels {
        let names: Vec<&str> = panels.iter().map(|p| p.name()).collect();
        params.push(format!("panels={}", names.join(",")));
    }
    if let Some(id) = &view.id {
        params.push(format!("id={}", percent_encode(id)));
    }
    if let Some(origin) = &view.origin {
        params.push(format!("origin={}", percent_encode(origin)));
    }
    if params.is_empty() {
        String::new()
    } else {
        format!("?{}", params.join("&"))
    }
}

/// The whole URL: `base` (any query or fragment it has is dropped) + view + lesson.
pub fn url(base: &str, view: &View, lesson: &Lesson, form: Form) -> String {
    let base = base.split(['?', '#']).next().unwrap_or(base);
    format!("{base}{}#{}", to_query(view), to_fragment(lesson, form))
}

/// The `<iframe>` a course author pastes into a page.
pub fn iframe_snippet(url: &str, title: &str, height_px: u32) -> String {
    format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"{height_px}\" loading=\"lazy\" style=\"border:0\"></iframe>",
        escape_attribute(url),
        escape_attribute(title)
    )
}

/// Escapes text for a double-quoted HTML attribute.
fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NGINX: &str = crate::sim::scenarios::NGINX;

    fn lesson() -> Lesson {
        Lesson {
            manifest: NGINX.to_string(),
            cluster: Some("nodes:\n- name: w1\n".to_string()),
            commands: vec![
                (0, "kubectl get pods".into()),
                (30_000, "kubectl delete pod nginx".into()),
                (1_500, "kubectl describe pod nginx".into()),
            ],
            step: Some(12),
            autoplay: true,
            speed: Some(8),
            apply_as: Some("system:serviceaccount:default:jane@x".into()),
        }
    }

    #[test]
    fn both_forms_round_trip() {
        for form in [Form::Compact, Form::Readable] {
            let l = lesson();
            assert_eq!(parse_fragment(&to_fragment(&l, form)), Ok(Some(l.clone())));
            let with_hash = format!("#{}", to_fragment(&l, form));
            assert_eq!(parse_fragment(&with_hash), Ok(Some(l)));
        }
    }

    #[test]
    fn non_ascii_and_syntax_characters_round_trip() {
        let l = Lesson {
            manifest: "metadata:\n  name: a&b=c#d%e+f ünïcødé ☸\r\n\t\u{0}".into(),
            ..Lesson::default()
        };
        for form in [Form::Compact, Form::Readable] {
            assert_eq!(parse_fragment(&to_fragment(&l, form)), Ok(Some(l.clone())));
        }
    }

    #[test]
    fn compact_is_raw_deflate_in_base64url() {
        // "hello" as raw deflate (fixed Huffman), as DecompressionStream('deflate-raw')
        // and Python's zlib.compress(wbits=-15) produce it: cb 48 cd c9 c9 07 00.
        assert_eq!(
            unpack(
                "m",
                &base64url_encode(&[0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00])
            ),
            Ok("hello".to_string())
        );
        let packed = pack(NGINX);
        assert!(packed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(
            packed.len() < NGINX.len(),
            "{} vs {}",
            packed.len(),
            NGINX.len()
        );
    }

    #[test]
    fn base64url_matches_rfc_4648_vectors() {
        // RFC 4648 §10, without padding, in the URL alphabet.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url_encode(plain.as_bytes()), encoded);
            assert_eq!(base64url_decode("m", encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url_decode("m", "Zg==").unwrap(), b"f");
    }

    #[test]
    fn the_apply_user() {
        let l = Lesson {
            manifest: "a: b".into(),
            apply_as: Some("jane".into()),
            ..Lesson::default()
        };
        assert!(to_fragment(&l, Form::Compact).ends_with("&as=jane"));
        assert_eq!(l.apply_line(), "kubectl apply -f pod.yaml --as=jane");
        assert_eq!(Lesson::user_of(&l.apply_line()).as_deref(), Some("jane"));
        assert_eq!(Lesson::user_of("kubectl apply -f pod.yaml"), None);
        assert_eq!(Lesson::default().apply_line(), "kubectl apply -f pod.yaml");
        assert_eq!(
            parse_fragment("yaml=a&as=%3Cb%3E").unwrap_err().to_string(),
            "as=<b> is not a user name; use up to 253 letters, digits and -_.:@"
        );
    }

    #[test]
    fn no_lesson_in_a_plain_anchor() {
        assert_eq!(parse_fragment(""), Ok(None));
        assert_eq!(parse_fragment("#"), Ok(None));
        assert_eq!(parse_fragment("#top"), Ok(None));
    }

    #[test]
    fn damaged_links_say_what_is_wrong() {
        let message = |f: &str| parse_fragment(f).unwrap_err().to_string();
        assert_eq!(
            message("m=abc*def"),
            "m= is not base64url: '*' at character 4 (was the link cut or changed when it was copied?)"
        );
        let good = pack(NGINX);
        assert_eq!(
            message(&format!("m={}", &good[..good.len() / 2])),
            "m= could not be unpacked: its compressed data is damaged or cut short (was the whole link copied?)"
        );
        assert_eq!(
            message("yaml=a%zz"),
            "yaml= has a broken %-escape at character 2 (write a literal % as %25)"
        );
        assert_eq!(
            message("yaml=%FF"),
            "yaml= decodes to bytes that are not UTF-8 text (at byte 0)"
        );
        assert_eq!(
            message("m=a&yaml=b"),
            "the link has both m= and yaml=; a link carries one manifest"
        );
        assert_eq!(message("step=3"), "the link has no manifest (m= or yaml=)");
        assert_eq!(
            message("yaml=a&step=0"),
            "step=0 is not a step number; steps are numbered from 1"
        );
        assert_eq!(
            message("yaml=a&speed=99"),
            "speed=99 is not a playback speed; use 1 to 60 steps per second"
        );
        assert_eq!(
            message("yaml=a&yaml=b"),
            "the link gives yaml= twice; give each parameter once"
        );
        assert_eq!(
            message("yaml=a&kubectl=%4030x%20kubectl%20get%20pods"),
            "kubectl= line 1: @30x is not a time; write @30s or @1500ms"
        );
    }

    #[test]
    fn oversized_links_are_refused_before_decoding() {
        let huge = format!("yaml={}", "a".repeat(MAX_LINK_BYTES));
        assert!(parse_fragment(&huge)
            .unwrap_err()
            .to_string()
            .contains("limit MAX_LINK_BYTES"));
        // A small link that inflates past the manifest limit (a "zip bomb").
        let bomb = pack(&"a".repeat(MAX_INPUT_BYTES + 1));
        assert!(bomb.len() < 10_000);
        assert_eq!(
            parse_fragment(&format!("m={bomb}")).unwrap_err().to_string(),
            format!("m= unpacks to more than {MAX_INPUT_BYTES} bytes; podflow reads at most that (limit MAX_INPUT_BYTES)")
        );
    }

    #[test]
    fn commands_text_reads_times() {
        assert_eq!(
            parse_commands("k", "kubectl get pods\n\n@30s kubectl delete pod nginx\n@1500ms  kubectl logs nginx\n@2m kubectl get pods"),
            Ok(vec![
                (0, "kubectl get pods".to_string()),
                (30_000, "kubectl delete pod nginx".to_string()),
                (1_500, "kubectl logs nginx".to_string()),
                (120_000, "kubectl get pods".to_string()),
            ])
        );
        assert!(parse_commands("k", "@30s").is_err());
        assert!(parse_commands("k", "@99999999999999999999s kubectl get pods").is_err());
        let many = "kubectl get pods\n".repeat(MAX_LINK_COMMANDS + 1);
        assert!(parse_commands("k", &many)
            .unwrap_err()
            .to_string()
            .contains("MAX_LINK_COMMANDS"));
    }

    #[test]
    fn the_embed_query() {
        assert_eq!(parse_query(""), Ok(View::default()));
        let view = parse_query("?embed=1&panels=flow,editor,etcd&id=lesson-1&origin=https%3A%2F%2Fcourse.example&utm_source=x").unwrap();
        assert_eq!(
            view,
            View {
                embed: true,
                panels: Some(vec![Panel::Editor, Panel::Flow, Panel::Etcd]),
                id: Some("lesson-1".into()),
                origin: Some("https://course.example".into()),
            }
        );
        assert_eq!(parse_query(&to_query(&view)), Ok(view));
        assert!(parse_query("e=1").unwrap().embed);
        assert_eq!(
            parse_query("embed=1&panels=editor,nodes").unwrap_err().to_string(),
            "panels= names \"nodes\", which is not a panel; the panels are editor, console, cluster, flow, etcd, describe, narration, timeline"
        );
        assert!(parse_query("id=%3Cscript%3E").is_err());
        assert!(parse_query("origin=javascript:alert(1)").is_err());
        assert_eq!(to_query(&View::default()), "");
    }

    #[test]
    fn urls_and_the_iframe_snippet() {
        let l = Lesson {
            manifest: "a: b\n".into(),
            ..Lesson::default()
        };
        let view = View {
            embed: true,
            ..View::default()
        };
        let u = url(
            "https://example.org/podflow/index.html?old=1#old",
            &view,
            &l,
            Form::Readable,
        );
        assert_eq!(
            u,
            "https://example.org/podflow/index.html?embed=1#yaml=a:%20b%0A"
        );
        assert_eq!(
            iframe_snippet("a.html?x=1&y=\"2\"", "<pod>", 480),
            "<iframe src=\"a.html?x=1&amp;y=&quot;2&quot;\" title=\"&lt;pod&gt;\" width=\"100%\" height=\"480\" loading=\"lazy\" style=\"border:0\"></iframe>"
        );
    }
}
