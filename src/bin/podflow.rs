//! The `podflow` command line: the simulation core for course authors and tests.
//!
//! ```text
//! podflow apply -f FILE [-f FILE ...] [--cluster FILE] [--seed N] [--until DURATION] [--output text|json|trace]
//! podflow script FILE [--cluster FILE] [--seed N] [--until DURATION] [--output text|json|trace]
//! podflow cluster            # print the default cluster description (YAML)
//! podflow link -f FILE [--cluster FILE] [--as USER] [--command "@30s kubectl …"]… [--step N] [--play]
//!              [--speed N] [--embed] [--panels a,b] [--id ID] [--iframe] [--title T]
//!              [--readable] [--base URL]   # a share or embed link carrying FILE
//! podflow --version
//! ```

use std::process::ExitCode;

use podflow::sim::{self, cluster::Cluster, kubectl::print, object, Scenario};
use serde_json::{json, Value};

/// Appends to the output buffer (written once at the end, so a closed pipe cannot panic).
macro_rules! outln {
    ($out:ident, $($arg:tt)*) => {{ $out.push_str(&format!($($arg)*)); $out.push('\n'); }};
}
macro_rules! outp {
    ($out:ident, $($arg:tt)*) => {{ $out.push_str(&format!($($arg)*)); }};
}

const USAGE: &str = "usage: podflow apply -f FILE [-f FILE ...] [--cluster FILE] [--seed N] [--until DURATION] [--output text|json|trace]
       podflow script FILE [--cluster FILE] [--seed N] [--until DURATION] [--output text|json|trace]
       podflow cluster
       podflow link -f FILE [--cluster FILE] [--as USER] [--command \"@30s kubectl ...\"]... [--step N] [--play] [--speed N]
                    [--embed] [--panels a,b] [--id ID] [--iframe] [--title T] [--readable] [--base URL]
       podflow --version";

/// Every object in etcd (but events and leases) with its kind, namespace, name and the
/// columns `kubectl get` prints for it (`columns`, header → cell), for the kinds kubectl
/// has a table for here.
fn objects_json(etcd: &sim::etcd::Snapshot, now_ms: u64) -> Vec<Value> {
    let mut out = Vec::new();
    for (key, kv) in etcd.iter() {
        if key.starts_with("/registry/events/") || key.starts_with("/registry/leases/") {
            continue;
        }
        let obj = sim::engine::api_object(kv);
        let kind = object::kind(&obj).to_string();
        let namespace = object::namespace(&obj).to_string();
        let mut columns = serde_json::Map::new();
        if let Some(table) = print::get_table(&kind, &[&obj], &namespace, now_ms, false) {
            let mut lines = table.stdout.lines();
            if let (Some(header), Some(row)) = (lines.next(), lines.next()) {
                for (h, c) in split_columns(header, row) {
                    columns.insert(h, json!(c));
                }
            }
        }
        out.push(
            json!({"kind": kind, "namespace": namespace, "name": object::name(&obj),
                        "columns": columns}),
        );
    }
    out
}

/// Splits a tabwriter row by its header's column starts.
fn split_columns(header: &str, row: &str) -> Vec<(String, String)> {
    let mut starts = Vec::new();
    let bytes = header.as_bytes();
    for i in 0..bytes.len() {
        let at_word = bytes[i] != b' ' && (i == 0 || (i >= 2 && &bytes[i - 2..i] == b"  "));
        if at_word {
            starts.push(i);
        }
    }
    let cell = |text: &str, from: usize, to: Option<usize>| -> String {
        let end = to.unwrap_or(text.len()).min(text.len());
        text.get(from.min(end)..end)
            .unwrap_or("")
            .trim()
            .to_string()
    };
    (0..starts.len())
        .map(|i| {
            let next = starts.get(i + 1).copied();
            (cell(header, starts[i], next), cell(row, starts[i], next))
        })
        .collect()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

struct Options {
    files: Vec<String>,
    script: Option<String>,
    cluster: Option<String>,
    seed: u64,
    until_ms: u64,
    output: String,
}

fn run(args: &[String]) -> Result<u8, String> {
    let Some(command) = args.first() else {
        return Err(USAGE.into());
    };
    match command.as_str() {
        "--version" | "version" => {
            println!("podflow {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
        "cluster" => {
            print!("{}", Cluster::default().to_yaml());
            Ok(0)
        }
        "link" => link(&args[1..]),
        "apply" | "script" => {
            let options = parse_options(command, &args[1..])?;
            execute(&options)
        }
        _ => Err(USAGE.into()),
    }
}

fn parse_options(command: &str, args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        files: vec![],
        script: None,
        cluster: None,
        seed: 42,
        until_ms: sim::DEFAULT_HORIZON_MS,
        output: "text".into(),
    };
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let mut value = |name: &str| -> Result<String, String> {
            if let Some(v) = a.strip_prefix(&format!("{name}=")) {
                return Ok(v.to_string());
            }
            i += 1;
            args.get(i)
                .cloned()
                .ok_or(format!("{name} needs a value\n{USAGE}"))
        };
        match a {
            _ if a == "-f" || a.starts_with("-f=") => o.files.push(value("-f")?),
            _ if a.starts_with("--cluster") => o.cluster = Some(value("--cluster")?),
            _ if a.starts_with("--seed") => {
                let v = value("--seed")?;
                o.seed = v
                    .parse()
                    .map_err(|_| format!("--seed wants a number, not {v:?}"))?;
            }
            _ if a.starts_with("--until") => {
                let v = value("--until")?;
                o.until_ms = podflow::sim::image::parse_go_duration_ms(&v)
                    .map_err(|e| format!("--until: {e}"))?;
            }
            _ if a.starts_with("--output") || a == "-o" => {
                o.output = value(if a == "-o" { "-o" } else { "--output" })?;
                if !matches!(o.output.as_str(), "text" | "json" | "trace") {
                    return Err(format!(
                        "--output must be text, json or trace, not {:?}",
                        o.output
                    ));
                }
            }
            _ if command == "script" && o.script.is_none() && !a.starts_with('-') => {
                o.script = Some(a.to_string())
            }
            _ => return Err(format!("unknown argument {a:?}\n{USAGE}")),
        }
        i += 1;
    }
    if command == "apply" && o.files.is_empty() {
        return Err(format!("apply needs at least one -f FILE\n{USAGE}"));
    }
    if command == "script" && o.script.is_none() {
        return Err(format!("script needs a FILE\n{USAGE}"));
    }
    Ok(o)
}

/// Reads a manifest, cluster or script file as UTF-8 text, refusing (with the file named)
/// one larger than MAX_INPUT_BYTES before reading it whole, and one that is not UTF-8 with
/// go-yaml's words for the bad byte and where it is.
fn read(path: &str) -> Result<String, String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("error: the path \"{path}\" cannot be read: {e}");
    let file = std::fs::File::open(path).map_err(cannot)?;
    let max = sim::limits::MAX_INPUT_BYTES;
    let too_large = |n: u64| {
        format!(
            "error: {path}: the file is {n} bytes; podflow reads at most {max} bytes (limit MAX_INPUT_BYTES)"
        )
    };
    if let Ok(meta) = file.metadata() {
        if meta.len() > max as u64 {
            return Err(too_large(meta.len()));
        }
    }
    let mut bytes = Vec::new();
    file.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() > max {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let first = e.as_bytes().get(offset).copied().unwrap_or(0);
        // go-yaml's reader (readerc.go) tells these three apart.
        let problem = match e.utf8_error().error_len() {
            None => "incomplete UTF-8 octet sequence",
            Some(_) if (0xC2..=0xF4).contains(&first) => "invalid trailing UTF-8 octet",
            Some(_) => "invalid leading UTF-8 octet",
        };
        format!(
            "error: error parsing {path}: error converting YAML to JSON: yaml: {problem} (byte offset {offset}, byte 0x{first:02x})"
        )
    })
}

/// Where each problem in a manifest is, for a course author: `FILE:LINE:COLUMN (byte
/// offset N): message`, on standard error (kubectl's own line names no position when
/// go-yaml gives none, as for a NUL byte).
fn positions(path: &str, text: &str) -> Vec<String> {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - body.len();
    sim::manifest::parse(text)
        .diagnostics
        .iter()
        .map(|d| {
            let start = line_starts.get(d.line - 1).copied().unwrap_or(0);
            let start = if d.line == 1 { start + bom } else { start };
            let offset = start
                + text
                    .get(start..)
                    .unwrap_or("")
                    .chars()
                    .take(d.column.saturating_sub(1))
                    .map(char::len_utf8)
                    .sum::<usize>();
            format!(
                "{path}:{}:{} (byte offset {offset}): {}",
                d.line, d.column, d.message
            )
        })
        .collect()
}

/// `podflow link`: prints the share URL (or embed URL, or `<iframe>` snippet) that opens
/// the app with FILE, through the same codec the app reads links with.
fn link(args: &[String]) -> Result<u8, String> {
    use podflow::link::{self, Form, Lesson, View};
    let mut file = None;
    let mut cluster = None;
    let mut lesson = Lesson::default();
    let mut view = View::default();
    let mut form = Form::Compact;
    let mut iframe = false;
    let mut title = String::from("podflow lesson");
    let mut base = String::from("index.html");
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with('-') => (n, Some(v.to_string())),
            _ => (a, None),
        };
        let mut value = || -> Result<String, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            i += 1;
            args.get(i)
                .cloned()
                .ok_or(format!("{name} needs a value\n{USAGE}"))
        };
        match name {
            "-f" | "--filename" => file = Some(value()?),
            "--cluster" => cluster = Some(value()?),
            "-c" | "--command" => {
                let line = value()?;
                let parsed =
                    link::parse_commands("--command", &line).map_err(|e| format!("error: {e}"))?;
                lesson.commands.extend(parsed);
            }
            "--step" => {
                let v = value()?;
                lesson.step = Some(v.parse::<usize>().ok().filter(|n| *n >= 1).ok_or(format!(
                    "error: --step wants a step number from 1, not {v:?}"
                ))?);
            }
            "--play" => lesson.autoplay = true,
            "--as" => {
                let v = value()?;
                if !link::is_user_name(&v) {
                    return Err(format!(
                        "error: --as wants a user name (letters, digits and -_.:@), not {v:?}"
                    ));
                }
                lesson.apply_as = Some(v);
            }
            "--speed" => {
                let v = value()?;
                lesson.speed = Some(
                    v.parse::<u32>()
                        .ok()
                        .filter(|n| link::SPEEDS.contains(n))
                        .ok_or(format!(
                            "error: --speed wants {} to {} steps per second, not {v:?}",
                            link::SPEEDS.start(),
                            link::SPEEDS.end()
                        ))?,
                );
            }
            "--embed" => view.embed = true,
            "--panels" => {
                let v = value()?;
                let query = format!("panels={v}");
                view.panels = link::parse_query(&query)
                    .map_err(|e| format!("error: {e}"))?
                    .panels;
                view.embed = true;
            }
            "--id" => {
                let v = value()?;
                view.id = link::parse_query(&format!("id={v}"))
                    .map_err(|e| format!("error: {e}"))?
                    .id;
            }
            "--iframe" => {
                iframe = true;
                view.embed = true;
            }
            "--title" => title = value()?,
            "--readable" => form = Form::Readable,
            "--base" => base = value()?,
            _ => return Err(format!("unknown argument {a:?}\n{USAGE}")),
        }
        i += 1;
    }
    let Some(file) = file else {
        return Err(format!("link needs -f FILE\n{USAGE}"));
    };
    lesson.manifest = read(&file)?;
    let cluster_value = match &cluster {
        Some(path) => {
            let text = read(path)?;
            let parsed = Cluster::from_yaml(&text).map_err(|e| format!("error: {path}: {e}"))?;
            lesson.cluster = Some(text);
            parsed
        }
        None => Cluster::default(),
    };
    // A link may carry a broken manifest on purpose (lessons about errors), so problems
    // are warnings: the author sees what the learner will.
    let parsed = sim::manifest::parse(&lesson.manifest);
    for d in &parsed.diagnostics {
        eprintln!("warning: {file}:{}:{}: {}", d.line, d.column, d.message);
    }
    if let Some(step) = lesson.step {
        let scenario = Scenario::applying(&lesson.manifest, &lesson.apply_line(), &lesson.commands);
        let steps = sim::run(&scenario, &cluster_value, 42, sim::DEFAULT_HORIZON_MS)
            .steps
            .len();
        if step > steps {
            eprintln!("warning: --step {step} is past the last step ({steps}); the app opens at the last step");
        }
    }
    let url = link::url(&base, &view, &lesson, form);
    let fragment_len = url.split_once('#').map_or(0, |(_, f)| f.len());
    if fragment_len > sim::limits::MAX_LINK_BYTES {
        return Err(format!(
            "error: the link would be {fragment_len} bytes; browsers and podflow read at most {} (limit MAX_LINK_BYTES)",
            sim::limits::MAX_LINK_BYTES
        ));
    }
    if iframe {
        println!("{}", link::iframe_snippet(&url, &title, 560));
    } else {
        println!("{url}");
    }
    Ok(0)
}

fn execute(o: &Options) -> Result<u8, String> {
    let cluster = match &o.cluster {
        Some(path) => {
            Cluster::from_yaml(&read(path)?).map_err(|e| format!("error: {path}: {e}"))?
        }
        None => Cluster::default(),
    };
    let mut scenario = Scenario::default();
    if let Some(script) = &o.script {
        let text = read(script)?;
        let base = std::path::Path::new(script)
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_default();
        let mut at = 0u64;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(d) = line.strip_prefix("sleep ") {
                at += podflow::sim::image::parse_go_duration_ms(d.trim())
                    .map_err(|e| format!("{script}:{}: {e}", n + 1))?;
                continue;
            }
            for word in sim::kubectl::client::split_words(line) {
                if word.ends_with(".yaml") || word.ends_with(".yml") || word.ends_with(".json") {
                    let path = base.join(&word);
                    if let Ok(t) = read(&path.to_string_lossy()) {
                        scenario.files.insert(word.clone(), t);
                    }
                }
            }
            scenario.commands.push((at, line.to_string()));
            at += 1;
        }
    } else {
        for (i, f) in o.files.iter().enumerate() {
            let text = read(f)?;
            for line in positions(f, &text) {
                eprintln!("{line}");
            }
            scenario.files.insert(f.clone(), text);
            scenario
                .commands
                .push((i as u64 * 1000, format!("kubectl apply -f {f}")));
        }
    }
    let trace = sim::run(&scenario, &cluster, o.seed, o.until_ms);
    let failed = trace
        .kubectl
        .iter()
        .any(|l| l.starts_with("error") || l.starts_with("Error") || l.contains(" is invalid: "));
    let end = trace.steps.last().map_or(0, |s| s.at_ms);
    let etcd = &trace.etcd_at(usize::MAX);
    let pods: Vec<Value> = etcd
        .range("/registry/pods/")
        .map(|(_, kv)| sim::engine::api_object(kv))
        .collect();
    let pod_refs: Vec<&Value> = pods.iter().collect();
    let events: Vec<Value> = etcd
        .range("/registry/events/")
        .map(|(_, kv)| sim::engine::api_object(kv))
        .collect();
    let mut out = String::new();
    match o.output.as_str() {
        "trace" => outp!(out, "{trace}"),
        "json" => {
            let document = json!({
                "kubectl": trace.kubectl,
                "pods": pods.iter().map(|p| pod_json(p, end)).collect::<Vec<_>>(),
                "events": events.iter().map(event_json).collect::<Vec<_>>(),
                "etcd": etcd.iter().map(|(k, kv)| json!({"key": k, "create_revision": kv.create_revision,
                    "mod_revision": kv.mod_revision, "version": kv.version})).collect::<Vec<_>>(),
                "messages": trace.steps.iter().map(|s| json!({"at_ms": s.at_ms, "source": s.from.to_string(),
                    "target": s.to.to_string(), "label": s.label, "summary": s.summary})).collect::<Vec<_>>(),
                "objects": objects_json(etcd, end),
                "rules": cluster.nodes.iter().map(|n| json!({"node": n.name,
                    "iptables_save": sim::controllers::kube_proxy::node_rules(etcd, &n.name).iptables_save()}))
                    .collect::<Vec<_>>(),
                "truncated": trace.truncated,
            });
            outln!(
                out,
                "{}",
                serde_json::to_string_pretty(&document).unwrap_or_default()
            );
        }
        _ => {
            for line in &trace.kubectl {
                outln!(out, "{line}");
            }
            outln!(out, "");
            // One `kubectl get` per namespace that has something to show (default always).
            let mut namespaces: std::collections::BTreeSet<String> = pods
                .iter()
                .chain(events.iter())
                .map(|o| object::namespace(o).to_string())
                .collect();
            namespaces.insert("default".to_string());
            let flag = |ns: &str| {
                if ns == "default" {
                    String::new()
                } else {
                    format!(" -n {ns}")
                }
            };
            for ns in &namespaces {
                let in_ns: Vec<&Value> = pod_refs
                    .iter()
                    .copied()
                    .filter(|p| object::namespace(p) == ns)
                    .collect();
                if in_ns.is_empty() && ns != "default" {
                    continue;
                }
                outln!(
                    out,
                    "$ kubectl get pods{} -o wide   # at {}",
                    flag(ns),
                    sim::trace::format_ms(end)
                );
                let table = print::get_pods(&in_ns, ns, end, true);
                outp!(out, "{}", table.stdout);
                if !table.stderr.is_empty() {
                    outln!(out, "{}", table.stderr.trim_end());
                }
                outln!(out, "");
            }
            for ns in &namespaces {
                let in_ns: Vec<&Value> = events
                    .iter()
                    .filter(|e| object::namespace(e) == ns)
                    .collect();
                if in_ns.is_empty() && ns != "default" {
                    continue;
                }
                if ns != "default" {
                    outln!(out, "");
                }
                outln!(out, "$ kubectl get events{}", flag(ns));
                let table = print::get_events(&in_ns, ns, end);
                outp!(out, "{}", table.stdout);
                if !table.stderr.is_empty() {
                    outln!(out, "{}", table.stderr.trim_end());
                }
            }
            if let Some(why) = &trace.truncated {
                outln!(out, "\n(stopped early: {why})");
            }
        }
    }
    // A closed pipe (`podflow … | head`) is not an error worth a panic.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
    Ok(if failed { 1 } else { 0 })
}

fn pod_json(pod: &Value, now: u64) -> Value {
    let conditions: Vec<Value> = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| json!({"type": c["type"], "status": c["status"], "reason": c.get("reason").cloned().unwrap_or(Value::Null),
                        "message": c.get("message").cloned().unwrap_or(Value::Null)}))
        .collect();
    let containers: Vec<Value> = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let (state, detail) = c["state"].as_object().and_then(|m| m.iter().next()).map_or(("", &Value::Null), |(k, v)| (k.as_str(), v));
            json!({"name": c["name"], "state": state, "reason": detail.get("reason").cloned().unwrap_or(Value::Null),
                   "exitCode": detail.get("exitCode").cloned().unwrap_or(Value::Null),
                   "restartCount": c["restartCount"]})
        })
        .collect();
    json!({
        "namespace": object::namespace(pod),
        "name": object::name(pod),
        "phase": object::str_at(pod, "/status/phase"),
        "status": print::pod_status(pod),
        "ready": print::pod_ready(pod),
        "restarts": print::pod_restarts(pod, now),
        "node": object::str_at(pod, "/spec/nodeName"),
        "ip": object::str_at(pod, "/status/podIP"),
        "conditions": conditions,
        "containers": containers,
    })
}

fn event_json(e: &Value) -> Value {
    json!({
        "type": object::str_at(e, "/type"),
        "reason": object::str_at(e, "/reason"),
        "object": format!("{}/{}", object::str_at(e, "/involvedObject/kind").to_lowercase(), object::str_at(e, "/involvedObject/name")),
        "message": object::str_at(e, "/message"),
        "count": e.get("count").cloned().unwrap_or(json!(1)),
        "at_ms": sim::clock::parse_rfc3339(object::str_at(e, "/firstTimestamp")).unwrap_or(0),
    })
}
