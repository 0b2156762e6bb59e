//! What a container does once started: podflow has no processes, so each container gets a
//! small, documented behaviour derived from its image and its `command`/`args`, which the
//! kubelet simulation reads to decide exits, restarts, logs, probe results and OOM kills.
//!
//! # How a container's program is found
//! As the kubelet and runtime do: `command` replaces the image ENTRYPOINT (and drops its
//! CMD), `args` replaces the CMD, and the result is one argv. The argv is then read as:
//! - `sh -c "<script>"` (also `/bin/sh`, `bash`, `/bin/bash`): the script, see below;
//! - a known program: `sleep N` / `sleep infinity`, `printenv A B`, `env`, `echo …`,
//!   `true`, `false`, `hostname`, `cat F`, `tail -f /dev/null`,
//!   `perl -Mbignum=bpi -wle "print bpi(N)"`, `stress --vm N --vm-bytes SIZE [--timeout S]`
//!   (polinux/stress), `/stress -mem-total SIZE -mem-alloc-size SIZE -mem-alloc-sleep D`
//!   (vish/stress), or the image's own server (`nginx -g 'daemon off;'`, etcd, goproxy,
//!   redis-server, httpd, pause: they run until stopped and listen on the table's ports);
//! - a bare shell (`sh`, `bash`, `python3`, `perl -de0`: the images' default CMDs) has no
//!   tty and no stdin, so it exits 0 at once — busybox with no command is `Completed`;
//! - anything else: **runs until stopped**, listens on nothing, handles SIGTERM. Most real
//!   images run a server, and a learner who wants a crash says so with an annotation
//!   (below), which teaches the mechanism rather than guessing at a program.
//!
//! # Scripts
//! A script is a list of commands joined by `;`, `&&`, `||`, `&` or newlines, run in order
//! on a logical clock. Known commands: `sleep N`, `touch F`, `rm [-f] F`, `mv A B`,
//! `echo X`, `echo X > F` (creates F), `cat F`, `printenv`, `env`, `hostname`,
//! `true`/`false`/`:`, `exit N`, `trap … TERM` (the script now handles SIGTERM), the
//! programs above, and `while true; do …; done` (runs forever; what its body prints or
//! touches repeats every iteration). Any other command, and other compound commands
//! (`if`, `for`, `case`), take no time and succeed. `$VAR` and `${VAR}` in `echo` are
//! expanded from the container's environment when the logs are read.
//!
//! # Signals
//! PID 1 gets no default signal handling from the kernel: a shell, `sleep`, `printenv`,
//! `perl` or `stress` as PID 1 ignores SIGTERM, so on delete the kubelet waits the full
//! grace period and then sends SIGKILL (exit code 137). Servers (nginx, etcd, …) and
//! unknown programs handle SIGTERM and exit 0 after a short `stop_ms`.
//!
//! # Overrides for course authors
//! Pod annotations with the prefix `podflow.dev/` keep the manifest valid Kubernetes and
//! change the behaviour of every container, or of one container with the suffix
//! `.<container-name>` (which wins over the plain key):
//!
//! | annotation | value | effect |
//! |---|---|---|
//! | `podflow.dev/exit-after` | duration (`5s`, `1m30s`, `250ms`) | the container exits this long after start |
//! | `podflow.dev/exit-code` | 0–255 | the exit code of that exit (or of the program's own exit) |
//! | `podflow.dev/memory` | quantity (`300Mi`) | memory in use from start (above `limits.memory` → `OOMKilled`, 137) |
//! | `podflow.dev/ready-after` | duration | ports listen (and exec probes succeed) only from then |
//! | `podflow.dev/healthy-for` | duration | from then on probes fail: HTTP 500, TCP refused, gRPC `NOT_SERVING`, exec exit 1 |
//! | `podflow.dev/http-status` | 100–599 | the status an unhealthy server answers (without `healthy-for`: from the start) |
//! | `podflow.dev/ignore-sigterm` | `true`/`false` | whether PID 1 ignores SIGTERM |
//! | `podflow.dev/stop-after` | duration | how long the program takes to exit after SIGTERM |
//!
//! Example: `podflow.dev/exit-after.web: "5s"` + `podflow.dev/exit-code.web: "1"` makes
//! container `web` fail 5 s after each start (→ `Error`, then `CrashLoopBackOff`).
//! An invalid value is ignored and reported in [`Behaviour::warnings`].
//!
//! Invariants: pure functions of their inputs; never panic on manifest data; every loop is
//! bounded (script length, [`MAX_LOG_LINES`]).

use crate::sim::object::At;
use std::collections::BTreeMap;

use serde_json::Value;

use super::image::{go_duration_ms, go_quote, parse_go_duration_ms, ImageTable, Server};
use super::quantity::Quantity;

/// Annotation prefix for course-author overrides.
pub const ANNOTATION_PREFIX: &str = "podflow.dev/";
/// The override keys (after the prefix).
pub const ANNOTATION_KEYS: &[&str] = &[
    "exit-after",
    "exit-code",
    "memory",
    "ready-after",
    "healthy-for",
    "http-status",
    "ignore-sigterm",
    "stop-after",
];
/// Most log lines [`logs`] returns (the latest ones are kept).
pub const MAX_LOG_LINES: usize = 10_000;
/// Most script tokens read; the rest of a longer script is ignored with a warning.
const MAX_SCRIPT_TOKENS: usize = 2_000;
/// Time `perl -Mbignum=bpi -wle "print bpi(1000)"` takes to compute (measured 0.14 s on
/// a laptop; a node's container is slower).
const PERL_BPI_MS: u64 = 1_000;
/// Memory of a small process (a shell, `sleep`), in bytes.
const SMALL_PROCESS_BYTES: u64 = 1024 * 1024;

/// π to 1020 significant digits, unrounded (for `bpi(N)`, which rounds to N digits).
const PI_DIGITS: &str = concat!(
    "31415926535897932384626433832795028841971693993751058209749445923078164062862089",
    "98628034825342117067982148086513282306647093844609550582231725359408128481117450",
    "28410270193852110555964462294895493038196442881097566593344612847564823378678316",
    "52712019091456485669234603486104543266482133936072602491412737245870066063155881",
    "74881520920962829254091715364367892590360011330530548820466521384146951941511609",
    "43305727036575959195309218611738193261179310511854807446237996274956735188575272",
    "48912279381830119491298336733624406566430860213949463952247371907021798609437027",
    "70539217176293176752384674818467669405132000568127145263560827785771342757789609",
    "17363717872146844090122495343014654958537105079227968925892354201995611212902196",
    "08640344181598136297747713099605187072113499999983729780499510597317328160963185",
    "95024459455346908302642522308253344685035261931188171010003137838752886587533208",
    "38142061717766914730359825349042875546873115956286388235378759375195778185778053",
    "2171226806613001927876611195909216420198938095257201",
);

/// A line a container prints, once or periodically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// Milliseconds after start of the (first) print.
    pub at_ms: u64,
    /// Printed again every this many milliseconds (a `while true` loop).
    pub every_ms: Option<u64>,
    pub text: LogText,
}

/// What a log line says; environment-dependent text is resolved by [`logs`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogText {
    /// Literal text; `$VAR`/`${VAR}` are expanded from the environment.
    Text(String),
    /// `printenv NAME`: the value, or no line when unset.
    Env(String),
    /// `env`: every variable as `NAME=value`, one per line.
    EnvDump,
}

/// A file that exists from `from_ms` until `until_ms` (forever when `None`), optionally
/// repeating every `every_ms` (a loop that creates and removes it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSpan {
    pub path: String,
    pub from_ms: u64,
    pub until_ms: Option<u64>,
    pub every_ms: Option<u64>,
}

/// A TCP port the container listens on, from `from_ms`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSpan {
    pub port: u16,
    pub from_ms: u64,
    /// Serves `grpc.health.v1.Health`.
    pub grpc: bool,
}

/// How and when a run of the container ends on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Termination {
    pub at_ms: u64,
    pub exit_code: i32,
    /// `Completed` (0), `Error` (non-zero) or `OOMKilled` (137) — the
    /// `state.terminated.reason` the kubelet reports.
    pub reason: &'static str,
}

/// What a container does after start, on a logical clock in milliseconds since start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Behaviour {
    pub container: String,
    /// The effective command line (ENTRYPOINT/CMD with `command`/`args` applied).
    pub argv: Vec<String>,
    /// One sentence for the UI: what the program does.
    pub summary: String,
    /// When it exits on its own (`None`: runs until stopped).
    pub exit_after_ms: Option<u64>,
    pub exit_code: i32,
    /// `printenv` as the program: these variables, if any is unset, make it exit 1.
    pub printenv_names: Vec<String>,
    pub logs: Vec<LogLine>,
    pub files: Vec<FileSpan>,
    pub ports: Vec<PortSpan>,
    /// Peak memory in use, in bytes.
    pub memory_bytes: u64,
    /// When the allocation starts, and how long it takes to reach the peak (linear).
    pub memory_from_ms: u64,
    pub memory_ramp_ms: u64,
    /// `resources.limits.memory`, in bytes.
    pub memory_limit_bytes: Option<u64>,
    /// PID 1 has no SIGTERM handler: only SIGKILL ends it.
    pub ignores_sigterm: bool,
    /// Time to exit after SIGTERM when it handles it.
    pub stop_ms: u64,
    /// From then on probes fail (`podflow.dev/healthy-for`).
    pub unhealthy_from_ms: Option<u64>,
    /// Status an unhealthy HTTP server answers (`podflow.dev/http-status`, default 500).
    pub unhealthy_http_status: u16,
    /// Generic exec probes succeed from then (`podflow.dev/ready-after`).
    pub ready_after_ms: u64,
    /// Messages in BusyBox's words (`cat: can't open 'f': …`) rather than GNU's.
    pub busybox: bool,
    /// `ports[*].name` → `containerPort`, to resolve named probe ports.
    pub named_ports: BTreeMap<String, u16>,
    /// Problems found while reading annotations and scripts, for the UI.
    pub warnings: Vec<String>,
}

impl Behaviour {
    fn new(container: &str) -> Self {
        Behaviour {
            container: container.to_string(),
            argv: Vec::new(),
            summary: String::new(),
            exit_after_ms: None,
            exit_code: 0,
            printenv_names: Vec::new(),
            logs: Vec::new(),
            files: Vec::new(),
            ports: Vec::new(),
            memory_bytes: SMALL_PROCESS_BYTES,
            memory_from_ms: 0,
            memory_ramp_ms: 0,
            memory_limit_bytes: None,
            ignores_sigterm: true,
            stop_ms: 0,
            unhealthy_from_ms: None,
            unhealthy_http_status: 500,
            ready_after_ms: 0,
            busybox: false,
            named_ports: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }

    /// When the memory in use first exceeds `limits.memory`: the kernel's OOM killer ends
    /// the container then.
    pub fn oom_kill_at(&self) -> Option<u64> {
        let limit = self.memory_limit_bytes?;
        if self.memory_bytes <= limit {
            return None;
        }
        let ramp =
            u128::from(self.memory_ramp_ms) * u128::from(limit) / u128::from(self.memory_bytes);
        Some(self.memory_from_ms.saturating_add(ramp as u64))
    }

    /// How this run ends on its own, given the container's environment: the earlier of its
    /// exit and an OOM kill. `None`: it runs until the kubelet stops it.
    pub fn termination(&self, env: &BTreeMap<String, String>) -> Option<Termination> {
        let oom = self.oom_kill_at().map(|at_ms| Termination {
            at_ms,
            exit_code: 137,
            reason: "OOMKilled",
        });
        let exit = self.exit_after_ms.map(|at_ms| {
            let mut exit_code = self.exit_code;
            if exit_code == 0 && self.printenv_names.iter().any(|n| !env.contains_key(n)) {
                exit_code = 1;
            }
            Termination {
                at_ms,
                exit_code,
                reason: if exit_code == 0 { "Completed" } else { "Error" },
            }
        });
        match (oom, exit) {
            (Some(o), Some(e)) if e.at_ms < o.at_ms => Some(e),
            (Some(o), _) => Some(o),
            (None, e) => e,
        }
    }

    /// How the container ends after SIGTERM with `grace_ms` of grace: `(ms after the
    /// signal, exit code)`. A program that ignores SIGTERM, or needs longer than the grace
    /// period, is killed with SIGKILL at the end of it (exit code 137).
    pub fn stop(&self, grace_ms: u64) -> (u64, i32) {
        if self.ignores_sigterm || self.stop_ms > grace_ms {
            (grace_ms, 137)
        } else {
            (self.stop_ms, 0)
        }
    }

    /// Whether `path` exists `t` ms after start.
    pub fn file_exists(&self, path: &str, t: u64) -> bool {
        self.files
            .iter()
            .filter(|f| f.path == path)
            .any(|f| span_contains(f.from_ms, f.until_ms, f.every_ms, t))
    }

    /// The listening port `port` at `t`, if any.
    pub fn listening(&self, port: u16, t: u64) -> Option<&PortSpan> {
        self.ports.iter().find(|p| p.port == port && p.from_ms <= t)
    }

    /// Whether the application is healthy at `t` (`podflow.dev/healthy-for`).
    pub fn healthy_at(&self, t: u64) -> bool {
        self.unhealthy_from_ms.is_none_or(|from| t < from)
    }
}

fn span_contains(from: u64, until: Option<u64>, every: Option<u64>, t: u64) -> bool {
    if t < from {
        return false;
    }
    match (until, every) {
        (None, _) => true,
        (Some(until), None) => t < until,
        (Some(until), Some(every)) if every > 0 => (t - from) % every < until.saturating_sub(from),
        (Some(until), Some(_)) => t < until,
    }
}

// ---------------------------------------------------------------------------------------
// Deriving the behaviour
// ---------------------------------------------------------------------------------------

/// The behaviour of `container` (one entry of `spec.containers`) in a pod with
/// `pod_annotations` (`metadata.annotations`, or `Value::Null`).
pub fn container_behaviour(
    container: &Value,
    pod_annotations: &Value,
    images: &ImageTable,
) -> Behaviour {
    let name = container.get("name").and_then(Value::as_str).unwrap_or("");
    let mut b = Behaviour::new(name);
    let image = container.get("image").and_then(Value::as_str).unwrap_or("");
    let entry = images.resolve(image).ok().and_then(|info| info.entry);
    b.busybox = entry.as_ref().is_some_and(|e| e.busybox);

    let command = string_list(container.get("command"));
    let args = string_list(container.get("args"));
    let (entrypoint, cmd) = entry
        .as_ref()
        .map(|e| (e.entrypoint.clone(), e.cmd.clone()))
        .unwrap_or_default();
    // Kubernetes: `command` replaces ENTRYPOINT and drops CMD; `args` replaces CMD.
    b.argv = match (command, args) {
        (Some(command), args) => command
            .into_iter()
            .chain(args.unwrap_or_default())
            .collect(),
        (None, Some(args)) => entrypoint.into_iter().chain(args).collect(),
        (None, None) => entrypoint.into_iter().chain(cmd).collect(),
    };

    if let Some(ports) = container.get("ports").and_then(Value::as_array) {
        for port in ports {
            let number = port.get("containerPort").and_then(Value::as_u64);
            let port_name = port.get("name").and_then(Value::as_str);
            if let (Some(n), Some(pn)) = (number, port_name) {
                if let Ok(n) = u16::try_from(n) {
                    b.named_ports.insert(pn.to_string(), n);
                }
            }
        }
    }
    if let Some(limit) = container.at("/resources/limits/memory") {
        if let Ok(q) = Quantity::from_json(limit) {
            b.memory_limit_bytes = u64::try_from(q.value()).ok();
        }
    }

    let server = entry.as_ref().and_then(|e| e.server.clone());
    run_program(&mut b, server.as_ref());
    apply_annotations(&mut b, pod_annotations);
    b
}

fn string_list(value: Option<&Value>) -> Option<Vec<String>> {
    let items = value?.as_array()?;
    Some(
        items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
    )
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn is_shell(word: &str) -> bool {
    matches!(basename(word), "sh" | "bash" | "ash" | "dash" | "zsh")
}

/// Interprets the argv as PID 1.
fn run_program(b: &mut Behaviour, server: Option<&Server>) {
    let argv = b.argv.clone();
    let mut run = Run::new(b.busybox);
    let flow = match argv.first().map(String::as_str) {
        None => {
            b.summary = "has no command: the image has no ENTRYPOINT or CMD".to_string();
            b.warnings.push(
                "no command: in reality the runtime fails with \"no command specified\""
                    .to_string(),
            );
            Flow::Exit(128)
        }
        Some(first) if is_shell(first) => match argv.get(1).map(String::as_str) {
            Some("-c") | Some("-ec") | Some("-ce") | Some("-xc") | Some("-cx") => {
                let script = argv.get(2).cloned().unwrap_or_default();
                b.summary = format!("runs the shell script `{script}`");
                let tokens = tokenize(&script, &mut b.warnings);
                let statements = parse_list(&tokens);
                run.script(&statements, server)
            }
            None => {
                b.summary =
                    format!("runs `{first}` without a tty: it reads end-of-file and exits 0");
                Flow::Exit(0)
            }
            Some(_) => {
                b.summary = format!(
                    "runs a script file with `{first}` (contents unknown): runs until stopped"
                );
                run.handles_sigterm = true;
                Flow::Forever
            }
        },
        Some(_) => {
            b.summary = format!("runs `{}`", argv.join(" "));
            match run.command(&argv, server, true) {
                Step::Unknown => {
                    b.summary = format!(
                        "runs `{}` (a program podflow does not know): runs until stopped",
                        argv.join(" ")
                    );
                    run.handles_sigterm = true;
                    Flow::Forever
                }
                Step::Flow(flow) => flow,
            }
        }
    };
    b.logs = run.logs;
    b.files = run.files;
    b.ports = run.ports;
    if run.memory_bytes > 0 {
        b.memory_bytes = run.memory_bytes;
        b.memory_from_ms = run.memory_from_ms;
        b.memory_ramp_ms = run.memory_ramp_ms;
    }
    b.ignores_sigterm = !run.handles_sigterm;
    b.stop_ms = run.stop_ms;
    b.printenv_names = run.printenv_names;
    b.warnings.extend(run.warnings);
    match flow {
        Flow::Exit(code) => {
            b.exit_after_ms = Some(run.t);
            b.exit_code = code;
        }
        Flow::Continue(status) => {
            b.exit_after_ms = Some(run.t);
            b.exit_code = status;
        }
        Flow::Forever => b.exit_after_ms = None,
    }
}

/// Reads the `podflow.dev/` annotations that apply to this container.
fn apply_annotations(b: &mut Behaviour, annotations: &Value) {
    let Some(map) = annotations.as_object() else {
        return;
    };
    // Plain keys first, then container-scoped ones, so the scoped value wins.
    let mut plain = BTreeMap::new();
    let mut scoped = BTreeMap::new();
    for (key, value) in map {
        let Some(rest) = key.strip_prefix(ANNOTATION_PREFIX) else {
            continue;
        };
        let value = value.as_str().unwrap_or("");
        if ANNOTATION_KEYS.contains(&rest) {
            plain.insert(rest.to_string(), (key.clone(), value.to_string()));
            continue;
        }
        match rest.split_once('.') {
            Some((knob, container)) if ANNOTATION_KEYS.contains(&knob) => {
                if container == b.container {
                    scoped.insert(knob.to_string(), (key.clone(), value.to_string()));
                }
            }
            _ => b.warnings.push(format!(
                "unknown annotation {key}; ignored (known: {})",
                ANNOTATION_KEYS
                    .iter()
                    .map(|k| format!("{ANNOTATION_PREFIX}{k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    for (knob, pair) in scoped {
        plain.insert(knob, pair);
    }
    let mut exit_code_set = false;
    let mut exit_after_set = false;
    let mut http_status_set = false;
    let mut healthy_for_set = false;
    for (knob, (key, value)) in &plain {
        let quoted = go_quote(value);
        let duration = || {
            parse_go_duration_ms(value).map_err(|e| {
                format!("{key}: {quoted} is not a duration like 5s, 1m30s or 250ms ({e}); ignored")
            })
        };
        let result: Result<(), String> = match knob.as_str() {
            "exit-after" => duration().map(|ms| {
                b.exit_after_ms = Some(ms);
                exit_after_set = true;
            }),
            "exit-code" => match value.trim().parse::<i32>() {
                Ok(code) if (0..=255).contains(&code) => {
                    b.exit_code = code;
                    exit_code_set = true;
                    Ok(())
                }
                _ => Err(format!(
                    "{key}: {quoted} is not an exit code 0–255; ignored"
                )),
            },
            "memory" => match Quantity::parse(value) {
                Ok(q) if !q.is_negative() => {
                    b.memory_bytes = u64::try_from(q.value()).unwrap_or(u64::MAX);
                    b.memory_from_ms = 0;
                    b.memory_ramp_ms = 0;
                    Ok(())
                }
                _ => Err(format!(
                    "{key}: {quoted} is not a memory quantity like 300Mi; ignored"
                )),
            },
            "ready-after" => duration().map(|ms| {
                b.ready_after_ms = ms;
                for port in &mut b.ports {
                    port.from_ms = port.from_ms.max(ms);
                }
            }),
            "healthy-for" => duration().map(|ms| {
                b.unhealthy_from_ms = Some(ms);
                healthy_for_set = true;
            }),
            "http-status" => match value.trim().parse::<u16>() {
                Ok(code) if (100..=599).contains(&code) => {
                    b.unhealthy_http_status = code;
                    http_status_set = true;
                    Ok(())
                }
                _ => Err(format!(
                    "{key}: {quoted} is not an HTTP status 100–599; ignored"
                )),
            },
            "ignore-sigterm" => match value.trim() {
                "true" => {
                    b.ignores_sigterm = true;
                    Ok(())
                }
                "false" => {
                    b.ignores_sigterm = false;
                    Ok(())
                }
                _ => Err(format!(
                    "{key}: {quoted} is not \"true\" or \"false\"; ignored"
                )),
            },
            "stop-after" => duration().map(|ms| {
                b.stop_ms = ms;
                b.ignores_sigterm = false;
            }),
            _ => Ok(()),
        };
        if let Err(warning) = result {
            b.warnings.push(warning);
        }
    }
    if http_status_set && !healthy_for_set {
        b.unhealthy_from_ms = Some(0);
    }
    if exit_code_set && !exit_after_set && b.exit_after_ms.is_none() {
        b.warnings.push(format!(
            "{ANNOTATION_PREFIX}exit-code has no effect on container {}: it never exits on its own; add {ANNOTATION_PREFIX}exit-after",
            go_quote(&b.container)
        ));
    }
}

// ---------------------------------------------------------------------------------------
// A tiny shell
// ---------------------------------------------------------------------------------------

/// A shell token: a word (quotes removed; `$` inside single quotes is kept literal by
/// escaping it as `\u{0}`) or an operator.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Op(&'static str),
}

/// Marks a `$` that must not be expanded (it was single-quoted).
const LITERAL_DOLLAR: char = '\u{0}';

fn tokenize(script: &str, warnings: &mut Vec<String>) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.chars().peekable();
    let push_word = |tokens: &mut Vec<Token>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            tokens.push(Token::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        if tokens.len() >= MAX_SCRIPT_TOKENS {
            warnings.push(format!(
                "the script is longer than {MAX_SCRIPT_TOKENS} words; podflow reads only the beginning"
            ));
            break;
        }
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(if q == '$' { LITERAL_DOLLAR } else { q });
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                if !matches!(n, '"' | '\\' | '$' | '`') {
                                    word.push('\\');
                                }
                                word.push(if n == '$' { LITERAL_DOLLAR } else { n });
                            }
                        }
                        q => word.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    if n != '\n' {
                        word.push(n);
                    }
                }
            }
            '#' if !in_word => {
                // A comment runs to the end of the line.
                for n in chars.by_ref() {
                    if n == '\n' {
                        push_word(&mut tokens, &mut word, &mut in_word);
                        tokens.push(Token::Op(";"));
                        break;
                    }
                }
            }
            ' ' | '\t' => push_word(&mut tokens, &mut word, &mut in_word),
            '\n' | ';' => {
                push_word(&mut tokens, &mut word, &mut in_word);
                tokens.push(Token::Op(";"));
            }
            '&' | '|' => {
                push_word(&mut tokens, &mut word, &mut in_word);
                let doubled = chars.peek() == Some(&c);
                if doubled {
                    chars.next();
                }
                tokens.push(Token::Op(match (c, doubled) {
                    ('&', true) => "&&",
                    ('|', true) => "||",
                    ('&', false) => ";", // background: treated as sequential
                    _ => "|",
                }));
            }
            '>' => {
                // `2>&1`, `>/dev/null 2>&1`: a redirection of a descriptor number.
                if in_word && word.chars().all(|d| d.is_ascii_digit()) {
                    word.clear();
                    in_word = false;
                }
                push_word(&mut tokens, &mut word, &mut in_word);
                if chars.peek() == Some(&'>') {
                    chars.next();
                    tokens.push(Token::Op(">>"));
                } else if chars.peek() == Some(&'&') {
                    chars.next();
                    // Skip the target descriptor.
                    while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                        chars.next();
                    }
                } else {
                    tokens.push(Token::Op(">"));
                }
            }
            '<' => {
                push_word(&mut tokens, &mut word, &mut in_word);
                tokens.push(Token::Op("<"));
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    push_word(&mut tokens, &mut word, &mut in_word);
    tokens
}

/// How a statement is joined to the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Connector {
    Seq,
    And,
    Or,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Statement {
    /// A simple command (or pipeline, whose last command decides the status).
    Simple {
        argv: Vec<String>,
        /// `> file` / `>> file`.
        redirect: Option<String>,
    },
    /// `while true; do BODY; done`.
    Forever(Vec<(Connector, Statement)>),
    /// Another compound command (`if`, `for`, `case`, a `while` with another condition):
    /// takes no time, status 0.
    Opaque(String),
}

/// Parses a token list into statements with their connectors.
fn parse_list(tokens: &[Token]) -> Vec<(Connector, Statement)> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut connector = Connector::Seq;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Op(";") => {
                connector = Connector::Seq;
                i += 1;
            }
            Token::Op("&&") => {
                connector = Connector::And;
                i += 1;
            }
            Token::Op("||") => {
                connector = Connector::Or;
                i += 1;
            }
            Token::Word(w) if matches!(w.as_str(), "while" | "until" | "for" | "if" | "case") => {
                let (statement, next) = parse_compound(tokens, i);
                out.push((connector, statement));
                i = next;
            }
            _ => {
                let (statement, next) = parse_simple(tokens, i);
                if let Some(statement) = statement {
                    out.push((connector, statement));
                }
                i = next;
            }
        }
    }
    out
}

/// A simple command up to the next `;`, `&&`, `||`; pipelines keep the last command.
fn parse_simple(tokens: &[Token], start: usize) -> (Option<Statement>, usize) {
    let mut argv = Vec::new();
    let mut redirect = None;
    let mut i = start;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Op(";") | Token::Op("&&") | Token::Op("||") => break,
            Token::Op("|") => {
                argv.clear();
                redirect = None;
            }
            Token::Op(">") | Token::Op(">>") => {
                if let Some(Token::Word(target)) = tokens.get(i + 1) {
                    redirect = Some(target.clone());
                    i += 1;
                }
            }
            Token::Op(_) => {
                // `< file`: skip the source.
                i += 1;
            }
            Token::Word(w) => argv.push(w.clone()),
        }
        i += 1;
    }
    if argv.is_empty() {
        return (None, i.max(start + 1));
    }
    (Some(Statement::Simple { argv, redirect }), i)
}

/// A compound command from `tokens[start]` to its closing keyword.
fn parse_compound(tokens: &[Token], start: usize) -> (Statement, usize) {
    let word = |i: usize| match tokens.get(i) {
        Some(Token::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    // Find the matching closer, counting nested openers.
    let mut depth = 0usize;
    let mut end = tokens.len();
    let mut i = start;
    while i < tokens.len() {
        // Keywords count only in command position (after an operator or at the start).
        let command_position = i == start || matches!(tokens.get(i - 1), Some(Token::Op(_)));
        if command_position {
            match word(i) {
                Some("while" | "until" | "for" | "if" | "case") => depth += 1,
                Some("done" | "fi" | "esac") => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    let text: Vec<String> = tokens[start..end.min(tokens.len())]
        .iter()
        .map(|t| match t {
            Token::Word(w) => w.replace(LITERAL_DOLLAR, "$"),
            Token::Op(op) => op.to_string(),
        })
        .collect();
    let next = (end + 1).min(tokens.len()).max(start + 1);
    // `while true; do BODY; done` / `while :; do …`.
    if word(start) == Some("while")
        && matches!(word(start + 1), Some("true" | ":"))
        && matches!(tokens.get(start + 2), Some(Token::Op(";")))
        && word(start + 3) == Some("do")
        && end <= tokens.len()
    {
        let body = parse_list(&tokens[(start + 4).min(end)..end]);
        return (Statement::Forever(body), next);
    }
    (Statement::Opaque(text.join(" ")), next)
}

/// The result of running a statement list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    /// Went on; the last status.
    Continue(i32),
    /// `exit N` (or the program itself ended with N).
    Exit(i32),
    /// Never returns.
    Forever,
}

enum Step {
    Flow(Flow),
    /// Not a program podflow knows.
    Unknown,
}

/// The state of a running program on the logical clock.
struct Run {
    t: u64,
    busybox: bool,
    logs: Vec<LogLine>,
    files: Vec<FileSpan>,
    ports: Vec<PortSpan>,
    memory_bytes: u64,
    memory_from_ms: u64,
    memory_ramp_ms: u64,
    handles_sigterm: bool,
    stop_ms: u64,
    printenv_names: Vec<String>,
    warnings: Vec<String>,
}

impl Run {
    fn new(busybox: bool) -> Self {
        Run {
            t: 0,
            busybox,
            logs: Vec::new(),
            files: Vec::new(),
            ports: Vec::new(),
            memory_bytes: 0,
            memory_from_ms: 0,
            memory_ramp_ms: 0,
            handles_sigterm: false,
            stop_ms: 0,
            printenv_names: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn log(&mut self, text: LogText) {
        self.logs.push(LogLine {
            at_ms: self.t,
            every_ms: None,
            text,
        });
    }

    fn create_file(&mut self, path: &str) {
        if !self.file_exists(path) {
            self.files.push(FileSpan {
                path: path.to_string(),
                from_ms: self.t,
                until_ms: None,
                every_ms: None,
            });
        }
    }

    fn remove_file(&mut self, path: &str) -> bool {
        let t = self.t;
        let mut removed = false;
        for f in self
            .files
            .iter_mut()
            .filter(|f| f.path == path && f.until_ms.is_none())
        {
            f.until_ms = Some(t);
            removed = true;
        }
        removed
    }

    fn file_exists(&self, path: &str) -> bool {
        self.files
            .iter()
            .any(|f| f.path == path && span_contains(f.from_ms, f.until_ms, f.every_ms, self.t))
    }

    fn script(&mut self, statements: &[(Connector, Statement)], server: Option<&Server>) -> Flow {
        let mut status = 0;
        for (connector, statement) in statements {
            let skip = match connector {
                Connector::Seq => false,
                Connector::And => status != 0,
                Connector::Or => status == 0,
            };
            if skip {
                continue;
            }
            match self.statement(statement, server) {
                Flow::Continue(s) => status = s,
                other => return other,
            }
        }
        Flow::Continue(status)
    }

    fn statement(&mut self, statement: &Statement, server: Option<&Server>) -> Flow {
        match statement {
            Statement::Simple { argv, redirect } => {
                if let Some(target) = redirect {
                    // `echo X > F` and friends create F; the output goes there, not to the log.
                    let logs_before = self.logs.len();
                    let flow = match self.command(argv, server, false) {
                        Step::Flow(f) => f,
                        Step::Unknown => Flow::Continue(0),
                    };
                    self.logs.truncate(logs_before);
                    if target != "/dev/null" {
                        self.create_file(target);
                    }
                    return flow;
                }
                match self.command(argv, server, false) {
                    Step::Flow(f) => f,
                    Step::Unknown => Flow::Continue(0),
                }
            }
            Statement::Opaque(_) => Flow::Continue(0),
            Statement::Forever(body) => {
                let start = self.t;
                let logs_before = self.logs.len();
                let files_before = self.files.len();
                let flow = self.script(body, server);
                if !matches!(flow, Flow::Continue(_)) {
                    return flow;
                }
                let period = self.t - start;
                if period == 0 {
                    self.warnings.push(
                        "a `while true` loop without `sleep` spins forever; its output is shown once"
                            .to_string(),
                    );
                } else {
                    for line in &mut self.logs[logs_before..] {
                        line.every_ms = Some(period);
                    }
                    for file in &mut self.files[files_before..] {
                        file.every_ms = Some(period);
                        if file.until_ms.is_none() {
                            // Created each iteration and never removed: simply exists.
                            file.every_ms = None;
                        }
                    }
                }
                Flow::Forever
            }
        }
    }

    /// Runs one command. `top_level`: the container's own argv (PID 1), where unknown
    /// programs run forever; inside a script they take no time.
    fn command(&mut self, argv: &[String], server: Option<&Server>, top_level: bool) -> Step {
        let Some(first) = argv.first() else {
            return Step::Flow(Flow::Continue(0));
        };
        let args = &argv[1..];
        let program = basename(first);
        let is_server =
            |word: &str| server.is_some_and(|s| s.binaries.iter().any(|b| b == basename(word)));
        // Images' entrypoint scripts (`/docker-entrypoint.sh nginx -g 'daemon off;'`) set
        // things up and end with `exec "$@"`.
        if program.ends_with("entrypoint.sh") && !args.is_empty() {
            if let (Some(server), true) = (server, is_server(&args[0])) {
                return Step::Flow(self.serve(server, true));
            }
            return self.command(args, server, top_level);
        }
        if let (Some(server), true) = (server, is_server(program)) {
            // `nginx -s quit`, `nginx -t` and the like talk to a server and return.
            if args
                .first()
                .is_some_and(|a| matches!(a.as_str(), "-s" | "-t" | "-v" | "-V"))
            {
                return Step::Flow(Flow::Continue(0));
            }
            return Step::Flow(self.serve(server, false));
        }
        let flow = match program {
            "sleep" => match sleep_ms(args) {
                Ok(Some(ms)) => {
                    self.t = self.t.saturating_add(ms);
                    Flow::Continue(0)
                }
                Ok(None) => Flow::Forever,
                Err(message) => {
                    self.log(LogText::Text(message));
                    Flow::Continue(1)
                }
            },
            "touch" => {
                for f in args.iter().filter(|a| !a.starts_with('-')) {
                    self.create_file(f);
                }
                Flow::Continue(0)
            }
            "rm" => {
                let force = args.iter().any(|a| a.starts_with('-') && a.contains('f'));
                let mut status = 0;
                for f in args.iter().filter(|a| !a.starts_with('-')) {
                    if !self.remove_file(f) && !force {
                        self.log(LogText::Text(if self.busybox {
                            format!("rm: can't remove '{f}': No such file or directory")
                        } else {
                            format!("rm: cannot remove '{f}': No such file or directory")
                        }));
                        status = 1;
                    }
                }
                Flow::Continue(status)
            }
            "mv" => {
                let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
                if let [from, to] = paths.as_slice() {
                    if self.remove_file(from) {
                        self.create_file(to);
                        return Step::Flow(Flow::Continue(0));
                    }
                }
                Flow::Continue(1)
            }
            "mkdir" | "cp" | "ln" | "chmod" | "chown" | "kill" | "killall" | "wget" | "curl"
            | "nslookup" | "ping" | "ls" | "date" | "uname" | "id" | "whoami" | "pwd" | "df"
            | "ps" | "cd" | "export" | "set" | "unset" | "mount" | "nc" | "test" | "[" => {
                Flow::Continue(0)
            }
            "echo" => {
                let mut words = args;
                while words
                    .first()
                    .is_some_and(|f| matches!(f.as_str(), "-n" | "-e" | "-E"))
                {
                    words = &words[1..];
                }
                self.log(LogText::Text(words.join(" ")));
                Flow::Continue(0)
            }
            "printf" => {
                if let Some(format) = args.first() {
                    let text = format.replace("\\n", "\n");
                    for line in text.trim_end_matches('\n').split('\n') {
                        self.log(LogText::Text(line.to_string()));
                    }
                }
                Flow::Continue(0)
            }
            "cat" => {
                let mut status = 0;
                for f in args.iter().filter(|a| !a.starts_with('-')) {
                    if !self.file_exists(f) {
                        self.log(LogText::Text(cat_missing(f, self.busybox)));
                        status = 1;
                    }
                }
                Flow::Continue(status)
            }
            "printenv" => {
                if args.is_empty() {
                    self.log(LogText::EnvDump);
                } else {
                    for name in args {
                        self.log(LogText::Env(name.clone()));
                    }
                    if top_level {
                        self.printenv_names = args.to_vec();
                    }
                }
                Flow::Continue(0)
            }
            "env" => {
                if args.is_empty() {
                    self.log(LogText::EnvDump);
                    Flow::Continue(0)
                } else {
                    // `env NAME=value cmd …`: run the command.
                    let rest: Vec<String> = args
                        .iter()
                        .skip_while(|a| a.contains('='))
                        .cloned()
                        .collect();
                    return self.command(&rest, server, top_level);
                }
            }
            "hostname" => {
                self.log(LogText::Env("HOSTNAME".to_string()));
                Flow::Continue(0)
            }
            "true" | ":" => Flow::Continue(0),
            "false" => Flow::Continue(1),
            "exit" => {
                let code = args
                    .first()
                    .and_then(|a| a.parse::<i64>().ok())
                    .unwrap_or(0);
                // The shell passes the code modulo 256.
                Flow::Exit(code.rem_euclid(256) as i32)
            }
            "trap" => {
                let traps_term = args
                    .iter()
                    .skip(1)
                    .any(|s| matches!(s.as_str(), "TERM" | "SIGTERM" | "15" | "EXIT"));
                if traps_term {
                    self.handles_sigterm = true;
                }
                Flow::Continue(0)
            }
            "tail" if args.iter().any(|a| a == "-f" || a == "-F") => Flow::Forever,
            "sh" | "bash" | "ash" | "dash" if args.first().is_some_and(|a| a == "-c") => {
                let script = args.get(1).cloned().unwrap_or_default();
                let tokens = tokenize(&script, &mut self.warnings);
                let statements = parse_list(&tokens);
                self.script(&statements, server)
            }
            "sh" | "bash" | "ash" | "dash" | "python" | "python3" | "node" if args.is_empty() => {
                Flow::Exit(0)
            }
            "perl" => self.perl(args),
            "stress" => self.stress(args),
            "pause" => {
                self.handles_sigterm = true;
                Flow::Forever
            }
            _ if top_level => return Step::Unknown,
            _ => Flow::Continue(0),
        };
        Step::Flow(flow)
    }

    /// Runs the image's server; `via_entrypoint`: started through the image's ENTRYPOINT
    /// script, which prints the table's `start_logs`.
    fn serve(&mut self, server: &Server, via_entrypoint: bool) -> Flow {
        if via_entrypoint {
            for line in &server.start_logs {
                self.log(LogText::Text(line.clone()));
            }
        }
        let from_ms = self.t.saturating_add(server.listen_after_ms);
        for port in &server.ports {
            self.ports.push(PortSpan {
                port: *port,
                from_ms,
                grpc: server.grpc_ports.contains(port),
            });
        }
        for port in server
            .grpc_ports
            .iter()
            .filter(|p| !server.ports.contains(p))
        {
            self.ports.push(PortSpan {
                port: *port,
                from_ms,
                grpc: true,
            });
        }
        if server.memory_bytes > 0 {
            self.memory_bytes = server.memory_bytes;
            self.memory_from_ms = self.t;
        }
        self.handles_sigterm = true;
        self.stop_ms = server.stop_ms;
        Flow::Forever
    }

    /// `perl -Mbignum=bpi -wle "print bpi(N)"` (the pi Job); other perl one-liners end at once.
    fn perl(&mut self, args: &[String]) -> Flow {
        let program = args
            .iter()
            .position(|a| a.starts_with('-') && a.ends_with('e'))
            .and_then(|i| args.get(i + 1));
        let Some(program) = program else {
            // `perl` with no program reads it from stdin, which is empty.
            return Flow::Exit(0);
        };
        if let Some(n) = program
            .trim()
            .strip_prefix("print bpi(")
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|n| n.trim().parse::<usize>().ok())
        {
            self.t = self.t.saturating_add(PERL_BPI_MS);
            match bpi(n) {
                Some(pi) => self.log(LogText::Text(pi)),
                None => self.warnings.push(format!(
                    "bpi({n}): podflow holds π to 1019 digits; the log line is left out"
                )),
            }
            return Flow::Exit(0);
        }
        if let Some(text) = program.trim().strip_prefix("print ") {
            self.log(LogText::Text(
                text.trim_matches(['"', '\'', ';']).to_string(),
            ));
        }
        Flow::Exit(0)
    }

    /// polinux/stress (`stress --vm N --vm-bytes SIZE [--timeout S]`) and vish/stress
    /// (`/stress -mem-total SIZE -mem-alloc-size SIZE -mem-alloc-sleep D`).
    fn stress(&mut self, args: &[String]) -> Flow {
        let value = |names: &[&str]| {
            args.iter()
                .position(|a| names.contains(&a.as_str()))
                .and_then(|i| args.get(i + 1))
                .map(String::as_str)
        };
        let assigned = |name: &str| {
            args.iter()
                .find_map(|a| a.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
        };
        if let Some(total) = value(&["-mem-total"]).or_else(|| assigned("-mem-total")) {
            // vish/stress: allocates `-mem-alloc-size` every `-mem-alloc-sleep` up to the total.
            let total = parse_quantity_bytes(total).unwrap_or(0);
            let step = value(&["-mem-alloc-size"])
                .or_else(|| assigned("-mem-alloc-size"))
                .and_then(parse_quantity_bytes)
                .unwrap_or(4 * 1024 * 1024)
                .max(1);
            let sleep = value(&["-mem-alloc-sleep"])
                .or_else(|| assigned("-mem-alloc-sleep"))
                .and_then(|d| parse_go_duration_ms(d).ok())
                .unwrap_or(1);
            self.memory_bytes = total;
            self.memory_from_ms = self.t;
            self.memory_ramp_ms = total.div_ceil(step).saturating_mul(sleep);
            return Flow::Forever;
        }
        let workers: u64 = value(&["--vm", "-m"])
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        // stress(1): --vm-bytes B, K, M, G (powers of 1024); default 256M.
        let per_worker = value(&["--vm-bytes"])
            .and_then(parse_stress_bytes)
            .unwrap_or(256 * 1024 * 1024);
        self.log(LogText::Text(format!(
            "stress: info: [1] dispatching hogs: {} cpu, {} io, {} vm, {} hdd",
            value(&["--cpu", "-c"]).unwrap_or("0"),
            value(&["--io", "-i"]).unwrap_or("0"),
            workers,
            value(&["--hdd", "-d"]).unwrap_or("0"),
        )));
        if workers > 0 {
            self.memory_bytes = workers.saturating_mul(per_worker);
            self.memory_from_ms = self.t;
            // Touching 150 MB of pages takes a moment.
            self.memory_ramp_ms = 200;
        }
        if let Some(timeout) = value(&["--timeout", "-t"]) {
            if let Some(ms) = stress_timeout_ms(timeout) {
                self.t = self.t.saturating_add(ms);
                self.log(LogText::Text(format!(
                    "stress: info: [1] successful run completed in {}s",
                    ms / 1000
                )));
                return Flow::Exit(0);
            }
        }
        Flow::Forever
    }
}

/// BusyBox and GNU `cat` on a missing file.
fn cat_missing(path: &str, busybox: bool) -> String {
    if busybox {
        format!("cat: can't open '{path}': No such file or directory")
    } else {
        format!("cat: {path}: No such file or directory")
    }
}

/// `sleep` operands: numbers with optional `s`/`m`/`h`/`d` suffix, summed; `infinity`
/// sleeps forever (`Ok(None)`).
fn sleep_ms(args: &[String]) -> Result<Option<u64>, String> {
    if args.is_empty() {
        return Err("sleep: missing operand".to_string());
    }
    let mut total: u64 = 0;
    for arg in args {
        if matches!(arg.as_str(), "infinity" | "inf" | "INFINITY") {
            return Ok(None);
        }
        let (number, unit) = match arg.char_indices().last() {
            Some((i, c)) if matches!(c, 's' | 'm' | 'h' | 'd') => (&arg[..i], c),
            _ => (arg.as_str(), 's'),
        };
        let seconds: f64 = number
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("sleep: invalid number '{arg}'"))?;
        let factor = match unit {
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86400.0,
            _ => 1.0,
        };
        let ms = (seconds * factor * 1000.0).min(u64::MAX as f64 / 2.0) as u64;
        total = total.saturating_add(ms);
    }
    Ok(Some(total))
}

/// `stress --vm-bytes 150M`: B, K, M, G suffixes are powers of 1024.
fn parse_stress_bytes(text: &str) -> Option<u64> {
    let (number, factor) = match text.chars().last()? {
        'b' | 'B' => (&text[..text.len() - 1], 1),
        'k' | 'K' => (&text[..text.len() - 1], 1024),
        'm' | 'M' => (&text[..text.len() - 1], 1024 * 1024),
        'g' | 'G' => (&text[..text.len() - 1], 1024 * 1024 * 1024),
        _ => (text, 1),
    };
    number.parse::<u64>().ok()?.checked_mul(factor)
}

/// `stress --timeout N[s|m|h|d|y]`.
fn stress_timeout_ms(text: &str) -> Option<u64> {
    let (number, factor) = match text.chars().last()? {
        's' => (&text[..text.len() - 1], 1_000),
        'm' => (&text[..text.len() - 1], 60_000),
        'h' => (&text[..text.len() - 1], 3_600_000),
        'd' => (&text[..text.len() - 1], 86_400_000),
        _ => (text, 1_000),
    };
    number.parse::<u64>().ok()?.checked_mul(factor)
}

/// A Kubernetes quantity in bytes (`150Mi`), for vish/stress flags.
fn parse_quantity_bytes(text: &str) -> Option<u64> {
    Quantity::parse(text)
        .ok()
        .and_then(|q| u64::try_from(q.value()).ok())
}

/// `bpi(n)` as Math::BigFloat prints it: π rounded (half to even) to `n` significant digits.
fn bpi(n: usize) -> Option<String> {
    if n == 0 || n >= PI_DIGITS.len() {
        return None;
    }
    let digits = PI_DIGITS.as_bytes();
    let mut kept: Vec<u8> = digits[..n].iter().map(|d| d - b'0').collect();
    let next = digits[n] - b'0';
    let rest_nonzero = digits[n + 1..].iter().any(|d| *d != b'0');
    let last_odd = kept.last().is_some_and(|d| d % 2 == 1);
    if next > 5 || (next == 5 && (rest_nonzero || last_odd)) {
        // Propagate the carry (π's digits never carry into the integer part here).
        for d in kept.iter_mut().rev() {
            if *d == 9 {
                *d = 0;
            } else {
                *d += 1;
                break;
            }
        }
    }
    let mut out = String::with_capacity(n + 1);
    for (i, d) in kept.iter().enumerate() {
        if i == 1 {
            out.push('.');
        }
        out.push((b'0' + d) as char);
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------

/// What `kubectl logs` shows `since_start_ms` after this run started, given the
/// container's environment. `env` prints variables sorted by name: the real order is the
/// process environment's, which the kubelet builds from a Go map (so it varies from run
/// to run); sorting keeps podflow deterministic.
pub fn logs(b: &Behaviour, env: &BTreeMap<String, String>, since_start_ms: u64) -> Vec<String> {
    let end = match b.termination(env) {
        Some(t) => since_start_ms.min(t.at_ms),
        None => since_start_ms,
    };
    // (time, line index, repetition) for every print up to `end`, newest kept.
    let mut prints: Vec<(u64, usize)> = Vec::new();
    for (index, line) in b.logs.iter().enumerate() {
        if line.at_ms > end {
            continue;
        }
        match line.every_ms {
            Some(every) if every > 0 => {
                let count = (end - line.at_ms) / every + 1;
                let first = count.saturating_sub(MAX_LOG_LINES as u64);
                for k in first..count {
                    prints.push((line.at_ms + k * every, index));
                }
            }
            _ => prints.push((line.at_ms, index)),
        }
    }
    prints.sort();
    let mut out = Vec::new();
    for (_, index) in prints {
        match &b.logs[index].text {
            LogText::Text(text) => out.push(expand(text, env)),
            LogText::Env(name) => {
                if let Some(value) = env.get(name) {
                    out.push(value.clone());
                }
            }
            LogText::EnvDump => {
                for (name, value) in env {
                    out.push(format!("{name}={value}"));
                }
            }
        }
    }
    if out.len() > MAX_LOG_LINES {
        out.drain(..out.len() - MAX_LOG_LINES);
    }
    out
}

/// `$VAR` and `${VAR}` from `env` (unset: empty), as the shell expands `echo` arguments.
fn expand(text: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            LITERAL_DOLLAR => out.push('$'),
            '$' => {
                let braced = chars.peek() == Some(&'{');
                if braced {
                    chars.next();
                }
                let mut name = String::new();
                while let Some(&n) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '_' {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if braced && chars.peek() == Some(&'}') {
                    chars.next();
                }
                if name.is_empty() {
                    out.push('$');
                } else if let Some(v) = env.get(&name) {
                    out.push_str(v);
                }
            }
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Probes
// ---------------------------------------------------------------------------------------

/// One probe attempt's outcome: the kubelet prints `<Type> probe failed: <message>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeResult {
    pub success: bool,
    pub message: String,
}

impl ProbeResult {
    fn ok(message: impl Into<String>) -> Self {
        ProbeResult {
            success: true,
            message: message.into(),
        }
    }
    fn fail(message: impl Into<String>) -> Self {
        ProbeResult {
            success: false,
            message: message.into(),
        }
    }
}

/// Runs `probe` (a `livenessProbe`/`readinessProbe`/`startupProbe` object) against the
/// container `since_start_ms` after start. Messages are the kubelet prober's
/// (kubernetes pkg/probe/{exec,http,tcp,grpc}).
pub fn probe(
    probe: &Value,
    behaviour: &Behaviour,
    since_start_ms: u64,
    pod_ip: &str,
) -> ProbeResult {
    let t = since_start_ms;
    if let Some(exec) = probe.get("exec") {
        let command = string_list(exec.get("command")).unwrap_or_default();
        return exec_probe(&command, behaviour, t);
    }
    if let Some(http) = probe.get("httpGet") {
        let host = match http.get("host").and_then(Value::as_str) {
            Some(h) if !h.is_empty() => h,
            _ => pod_ip,
        };
        let port = match resolve_port(http.get("port"), behaviour) {
            Ok(p) => p,
            Err(message) => return ProbeResult::fail(message),
        };
        let scheme = http
            .get("scheme")
            .and_then(Value::as_str)
            .unwrap_or("HTTP")
            .to_lowercase();
        let mut path = http
            .get("path")
            .and_then(Value::as_str)
            .unwrap_or("/")
            .to_string();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        let address = join_host_port(host, port);
        let url = format!("{scheme}://{address}{path}");
        if behaviour.listening(port, t).is_none() {
            return ProbeResult::fail(format!(
                "Get {}: dial tcp {address}: connect: connection refused",
                go_quote(&url)
            ));
        }
        let status = if behaviour.healthy_at(t) {
            200
        } else {
            behaviour.unhealthy_http_status
        };
        // pkg/probe/http: success is 200 <= status < 400.
        if (200..400).contains(&status) {
            return ProbeResult::ok("");
        }
        return ProbeResult::fail(format!("HTTP probe failed with statuscode: {status}"));
    }
    if let Some(tcp) = probe.get("tcpSocket") {
        let host = match tcp.get("host").and_then(Value::as_str) {
            Some(h) if !h.is_empty() => h,
            _ => pod_ip,
        };
        let port = match resolve_port(tcp.get("port"), behaviour) {
            Ok(p) => p,
            Err(message) => return ProbeResult::fail(message),
        };
        let address = join_host_port(host, port);
        // An unhealthy app (healthy-for) has stopped accepting connections.
        if behaviour.listening(port, t).is_some() && behaviour.healthy_at(t) {
            return ProbeResult::ok("");
        }
        return ProbeResult::fail(format!("dial tcp {address}: connect: connection refused"));
    }
    if let Some(grpc) = probe.get("grpc") {
        let port = grpc
            .get("port")
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(0);
        let address = join_host_port(pod_ip, port);
        let timeout_ms = probe
            .get("timeoutSeconds")
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .saturating_mul(1000);
        return match behaviour.listening(port, t) {
            // grpc.WithBlock keeps redialling a refused port until the timeout.
            None => ProbeResult::fail(format!(
                "timeout: failed to connect service {} within {}: context deadline exceeded",
                go_quote(&address),
                go_duration_ms(timeout_ms)
            )),
            Some(p) if !p.grpc => ProbeResult::fail(
                "error: health rpc probe failed: rpc error: code = Unavailable desc = connection error: desc = \"error reading server preface: http2: frame too large\"",
            ),
            Some(_) if !behaviour.healthy_at(t) => {
                ProbeResult::fail("service unhealthy (responded with \"NOT_SERVING\")")
            }
            Some(_) => ProbeResult::ok("service healthy"),
        };
    }
    ProbeResult::fail("probe has no handler (exec, httpGet, tcpSocket or grpc)")
}

/// `net.JoinHostPort`: brackets around IPv6 hosts.
fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A probe's `port`: a number, or the name of one of the container's ports
/// (pkg/probe/util.go `ResolveContainerPort`).
fn resolve_port(port: Option<&Value>, behaviour: &Behaviour) -> Result<u16, String> {
    match port {
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .ok_or_else(|| format!("invalid port number: {n}")),
        Some(Value::String(s)) => match s.parse::<u16>() {
            Ok(p) => Ok(p),
            Err(_) => behaviour
                .named_ports
                .get(s)
                .copied()
                .ok_or_else(|| format!("couldn't find port: {s} in {}", behaviour.container)),
        },
        _ => Err("port is missing".to_string()),
    }
}

/// An exec probe: file checks (`cat F`, `test -e F`, `ls F`) see the behaviour's files;
/// other commands succeed once ready and while healthy.
fn exec_probe(command: &[String], b: &Behaviour, t: u64) -> ProbeResult {
    let mut argv: Vec<String> = command.to_vec();
    // `sh -c "cat /tmp/healthy"`: look at the script's first command.
    if argv.first().is_some_and(|c| is_shell(c)) && argv.get(1).is_some_and(|a| a == "-c") {
        let script = argv.get(2).cloned().unwrap_or_default();
        let tokens = tokenize(&script, &mut Vec::new());
        argv = match parse_list(&tokens).into_iter().next() {
            Some((_, Statement::Simple { argv, .. })) => argv,
            _ => Vec::new(),
        };
    }
    let program = argv.first().map(|p| basename(p)).unwrap_or("");
    let files: Vec<&String> = argv
        .iter()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    match program {
        "cat" => {
            for f in &files {
                if !b.file_exists(f, t) {
                    return ProbeResult::fail(cat_missing(f, b.busybox));
                }
            }
            return ProbeResult::ok("");
        }
        "ls" => {
            for f in &files {
                if !b.file_exists(f, t) {
                    return ProbeResult::fail(if b.busybox {
                        format!("ls: {f}: No such file or directory")
                    } else {
                        format!("ls: cannot access '{f}': No such file or directory")
                    });
                }
            }
            return ProbeResult::ok("");
        }
        "test" | "[" => {
            let exists = files
                .iter()
                .filter(|f| f.as_str() != "]")
                .all(|f| b.file_exists(f, t));
            return if exists {
                ProbeResult::ok("")
            } else {
                ProbeResult::fail("")
            };
        }
        "true" => return ProbeResult::ok(""),
        "false" => return ProbeResult::fail(""),
        _ => {}
    }
    if t >= b.ready_after_ms && b.healthy_at(t) {
        ProbeResult::ok("")
    } else {
        // A failing command with no output: the kubelet's message is empty.
        ProbeResult::fail("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::image::default_images;
    use crate::sim::manifest;
    use serde_json::json;

    /// The first container of the pod (or pod template) in a corpus manifest, and the
    /// pod's annotations.
    fn corpus_container(text: &str) -> (Value, Value) {
        let parsed = manifest::parse(text);
        assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
        let doc = &parsed.documents[0].value;
        let spec = doc
            .at("/spec/template/spec")
            .or_else(|| doc.get("spec"))
            .expect("a pod spec");
        let annotations = doc
            .at("/spec/template/metadata/annotations")
            .or_else(|| doc.at("/metadata/annotations"))
            .cloned()
            .unwrap_or(Value::Null);
        (spec["containers"][0].clone(), annotations)
    }

    fn corpus(text: &str) -> Behaviour {
        let (container, annotations) = corpus_container(text);
        container_behaviour(&container, &annotations, &default_images())
    }

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn pod_with(container: Value, annotations: Value) -> Behaviour {
        container_behaviour(&container, &annotations, &default_images())
    }

    #[test]
    fn command_demo_prints_two_lines_and_completes() {
        let b = corpus(include_str!("../../tests/corpus/pods__commands.yaml"));
        assert_eq!(b.argv, ["printenv", "HOSTNAME", "KUBERNETES_PORT"]);
        let env = env(&[
            ("HOSTNAME", "command-demo"),
            ("KUBERNETES_PORT", "tcp://10.96.0.1:443"),
            (
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ),
        ]);
        let end = b.termination(&env).expect("printenv exits");
        assert_eq!((end.exit_code, end.reason), (0, "Completed"));
        assert_eq!(
            logs(&b, &env, 5_000),
            ["command-demo", "tcp://10.96.0.1:443"]
        );
        // printenv exits 1 when a variable is unset.
        let partial = self::env(&[("HOSTNAME", "command-demo")]);
        assert_eq!(b.termination(&partial).unwrap().reason, "Error");
        assert!(b.warnings.is_empty(), "{:?}", b.warnings);
    }

    #[test]
    fn liveness_exec_file_exists_for_30s_then_probe_fails() {
        let text = include_str!("../../tests/corpus/pods__probe__exec-liveness.yaml");
        let (container, _) = corpus_container(text);
        let b = corpus(text);
        assert!(b.busybox);
        assert!(b.file_exists("/tmp/healthy", 0));
        assert!(b.file_exists("/tmp/healthy", 29_999));
        assert!(!b.file_exists("/tmp/healthy", 30_000));
        // `sleep 600` after the removal: exits 0 at 630 s if nothing kills it first.
        assert_eq!(b.exit_after_ms, Some(630_000));
        // sh as PID 1 ignores SIGTERM: the kubelet waits the whole grace period.
        assert!(b.ignores_sigterm);
        assert_eq!(b.stop(30_000), (30_000, 137));
        let liveness = &container["livenessProbe"];
        assert_eq!(
            probe(liveness, &b, 25_000, "10.244.1.2"),
            ProbeResult::ok("")
        );
        assert_eq!(
            probe(liveness, &b, 35_000, "10.244.1.2"),
            ProbeResult::fail("cat: can't open '/tmp/healthy': No such file or directory")
        );
    }

    #[test]
    fn goproxy_listens_on_8080() {
        let text = include_str!("../../tests/corpus/pods__probe__tcp-liveness-readiness.yaml");
        let (container, _) = corpus_container(text);
        let b = corpus(text);
        assert_eq!(b.argv, ["/goproxy"]);
        assert_eq!(b.exit_after_ms, None);
        assert!(b.listening(8080, 15_000).is_some());
        assert!(!b.ignores_sigterm);
        let readiness = &container["readinessProbe"];
        assert!(probe(readiness, &b, 15_000, "10.244.1.2").success);
        // Nothing on another port.
        let other = json!({"tcpSocket": {"port": 9090}});
        assert_eq!(
            probe(&other, &b, 15_000, "10.244.1.2"),
            ProbeResult::fail("dial tcp 10.244.1.2:9090: connect: connection refused")
        );
    }

    #[test]
    fn etcd_serves_grpc_health() {
        let text = include_str!("../../tests/corpus/pods__probe__grpc-liveness.yaml");
        let (container, _) = corpus_container(text);
        let b = corpus(text);
        assert_eq!(b.exit_after_ms, None);
        let liveness = &container["livenessProbe"];
        assert_eq!(
            probe(liveness, &b, 10_000, "10.244.2.3"),
            ProbeResult::ok("service healthy")
        );
        // Before etcd listens, the prober times out dialling.
        assert_eq!(
            probe(liveness, &b, 0, "10.244.2.3"),
            ProbeResult::fail(
                "timeout: failed to connect service \"10.244.2.3:2379\" within 1s: context deadline exceeded"
            )
        );
    }

    #[test]
    fn dapi_test_pod_prints_its_environment_and_completes() {
        let b = corpus(include_str!(
            "../../tests/corpus/pods__pod-configmap-envFrom.yaml"
        ));
        let env = env(&[("SPECIAL_LEVEL", "very"), ("HOSTNAME", "dapi-test-pod")]);
        assert_eq!(
            b.termination(&env).unwrap(),
            Termination {
                at_ms: 0,
                exit_code: 0,
                reason: "Completed"
            }
        );
        assert_eq!(
            logs(&b, &env, 1_000),
            ["HOSTNAME=dapi-test-pod", "SPECIAL_LEVEL=very"]
        );
    }

    #[test]
    fn pi_job_prints_1000_digits_and_completes() {
        let b = corpus(include_str!("../../tests/corpus/controllers__job.yaml"));
        let none = BTreeMap::new();
        let end = b.termination(&none).unwrap();
        assert_eq!((end.exit_code, end.reason), (0, "Completed"));
        assert_eq!(end.at_ms, PERL_BPI_MS);
        assert!(
            logs(&b, &none, 0).is_empty(),
            "nothing printed before it finishes"
        );
        let lines = logs(&b, &none, 60_000);
        assert_eq!(lines.len(), 1);
        let pi = &lines[0];
        // 1000 significant digits plus the point; checked against perl's own output.
        assert_eq!(pi.len(), 1001);
        assert!(pi.starts_with("3.14159265358979323846"));
        assert!(pi.ends_with("6611195909216420199"), "{}", &pi[980..]);
        assert_eq!(bpi(5).as_deref(), Some("3.1416"));
        assert_eq!(bpi(1).as_deref(), Some("3"));
    }

    #[test]
    fn stress_uses_150m_and_is_oom_killed_under_a_smaller_limit() {
        let text = include_str!("../../tests/corpus/pods__resource__memory-request-limit-3.yaml");
        let b = corpus(text);
        assert_eq!(b.memory_bytes, 150 * 1024 * 1024);
        assert_eq!(b.memory_limit_bytes, Some(1000 * 1024 * 1024 * 1024));
        assert_eq!(b.oom_kill_at(), None, "1000Gi is plenty");
        assert_eq!(b.exit_after_ms, None);
        assert_eq!(
            logs(&b, &BTreeMap::new(), 1),
            ["stress: info: [1] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd"]
        );
        // The website's memory-demo-2: 250M with a 100Mi limit → OOMKilled.
        let (mut container, _) = corpus_container(text);
        container["args"] = json!(["--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"]);
        container["resources"] =
            json!({"limits": {"memory": "100Mi"}, "requests": {"memory": "50Mi"}});
        let b = pod_with(container, Value::Null);
        let end = b.termination(&BTreeMap::new()).unwrap();
        assert_eq!((end.exit_code, end.reason), (137, "OOMKilled"));
        assert!(end.at_ms <= 200);
    }

    #[test]
    fn nginx_serves_port_80_forever_and_stops_fast() {
        let b = corpus(include_str!("../../tests/corpus/pods__simple-pod.yaml"));
        assert_eq!(
            b.argv,
            ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"]
        );
        assert_eq!(b.exit_after_ms, None);
        assert!(b.listening(80, 1_000).is_some());
        assert_eq!(b.stop(30_000), (100, 0));
        let http = json!({"httpGet": {"path": "/", "port": 80}});
        assert!(probe(&http, &b, 1_000, "10.244.1.2").success);
        let lines = logs(&b, &BTreeMap::new(), 1_000);
        assert_eq!(
            lines.last().unwrap(),
            "/docker-entrypoint.sh: Configuration complete; ready for start up"
        );
        // Lifecycle demo and secret envars: nginx too.
        for text in [
            include_str!("../../tests/corpus/pods__lifecycle-events.yaml"),
            include_str!("../../tests/corpus/pods__inject__secret-envars-pod.yaml"),
        ] {
            let b = corpus(text);
            assert!(b.listening(80, 1_000).is_some());
            assert_eq!(b.exit_after_ms, None);
        }
        // A bare `nginx` command bypasses the entrypoint script and its log lines.
        let b = pod_with(
            json!({"name": "n", "image": "nginx", "command": ["nginx", "-g", "daemon off;"]}),
            Value::Null,
        );
        assert!(b.listening(80, 1_000).is_some());
        assert!(logs(&b, &BTreeMap::new(), 1_000).is_empty());
    }

    #[test]
    fn frontend_and_fluentd_images() {
        let b = corpus(include_str!(
            "../../tests/corpus/examples__guestbook__frontend-deployment.yaml"
        ));
        assert!(b.listening(80, 1_000).is_some());
        let (container, _) = corpus_container(include_str!(
            "../../tests/corpus/controllers__daemonset.yaml"
        ));
        let info = default_images()
            .resolve(container["image"].as_str().unwrap())
            .unwrap();
        assert!(!info.exists);
    }

    #[test]
    fn default_commands_of_shell_images_exit_at_once() {
        for image in [
            "busybox",
            "busybox:1.36",
            "registry.k8s.io/busybox",
            "debian",
            "alpine",
        ] {
            let b = pod_with(json!({"name": "c", "image": image}), Value::Null);
            let end = b.termination(&BTreeMap::new()).unwrap();
            assert_eq!((end.at_ms, end.reason), (0, "Completed"), "{image}");
        }
        let pause = pod_with(
            json!({"name": "c", "image": "registry.k8s.io/pause:3.10"}),
            Value::Null,
        );
        assert_eq!(pause.exit_after_ms, None);
        assert!(!pause.ignores_sigterm);
    }

    #[test]
    fn simple_commands() {
        let run = |command: Value| {
            pod_with(
                json!({"name": "c", "image": "busybox:1.36", "command": command}),
                Value::Null,
            )
        };
        let b = run(json!(["sleep", "3600"]));
        assert_eq!((b.exit_after_ms, b.exit_code), (Some(3_600_000), 0));
        assert!(b.ignores_sigterm);
        assert_eq!(run(json!(["sleep", "infinity"])).exit_after_ms, None);
        assert_eq!(
            run(json!(["sleep", "1m", "30"])).exit_after_ms,
            Some(90_000)
        );
        assert_eq!(run(json!(["false"])).exit_code, 1);
        assert_eq!(run(json!(["true"])).exit_code, 0);
        let echo = run(json!(["echo", "hello", "$HOSTNAME"]));
        assert_eq!(
            logs(&echo, &env(&[("HOSTNAME", "pod-a")]), 0),
            ["hello pod-a"]
        );
        let unknown = run(json!(["/app/server", "--port", "8080"]));
        assert_eq!(
            unknown.exit_after_ms, None,
            "unknown programs run until stopped"
        );
        assert!(!unknown.ignores_sigterm);
        let tail = run(json!(["tail", "-f", "/dev/null"]));
        assert_eq!(tail.exit_after_ms, None);
    }

    #[test]
    fn shell_scripts() {
        let script = |s: &str| {
            pod_with(
                json!({"name": "c", "image": "busybox:1.36", "command": ["sh", "-c", s]}),
                Value::Null,
            )
        };
        let b = script("echo starting; sleep 5; exit 3");
        assert_eq!((b.exit_after_ms, b.exit_code), (Some(5_000), 3));
        assert_eq!(logs(&b, &BTreeMap::new(), 10_000), ["starting"]);

        let b = script("false && echo never; echo always || echo not; exit 0");
        assert_eq!(logs(&b, &BTreeMap::new(), 0), ["always"]);

        let b = script("echo ready > /tmp/ready; sleep 10; rm -f /tmp/ready; sleep 10");
        assert!(b.file_exists("/tmp/ready", 9_999));
        assert!(!b.file_exists("/tmp/ready", 10_000));
        assert!(
            logs(&b, &BTreeMap::new(), 30_000).is_empty(),
            "redirected output is not logged"
        );
        assert_eq!(b.exit_after_ms, Some(20_000));

        let b = script("while true; do echo \"tick $(date)\"; sleep 10; done");
        assert_eq!(b.exit_after_ms, None);
        assert_eq!(
            logs(&b, &BTreeMap::new(), 25_000).len(),
            3,
            "at 0, 10 and 20 s"
        );

        let b =
            script("touch /tmp/a\nwhile :; do touch /tmp/up; sleep 5; rm /tmp/up; sleep 5; done");
        assert!(b.file_exists("/tmp/up", 12_000));
        assert!(!b.file_exists("/tmp/up", 17_000));
        assert!(b.file_exists("/tmp/a", 17_000));

        let b = script("trap 'exit 0' TERM; sleep 3600 & wait");
        assert!(!b.ignores_sigterm);

        let b = script("echo '$HOME' \"$HOME\"; exit 300");
        assert_eq!(logs(&b, &env(&[("HOME", "/root")]), 0), ["$HOME /root"]);
        assert_eq!(b.exit_code, 44);

        let b = script("if [ -f /x ]; then echo yes; fi; sleep 2");
        assert_eq!(b.exit_after_ms, Some(2_000));

        let b = script("cat /missing");
        assert_eq!(
            logs(&b, &BTreeMap::new(), 0),
            ["cat: can't open '/missing': No such file or directory"]
        );
        assert_eq!(b.exit_code, 1);
    }

    #[test]
    fn annotations_override_and_warn() {
        let container = json!({"name": "web", "image": "nginx"});
        let b = pod_with(
            container.clone(),
            json!({
                "podflow.dev/exit-after": "5s",
                "podflow.dev/exit-code": "1",
                "podflow.dev/exit-code.web": "2",
                "podflow.dev/exit-code.other": "9",
            }),
        );
        assert_eq!(
            b.termination(&BTreeMap::new()),
            Some(Termination {
                at_ms: 5_000,
                exit_code: 2,
                reason: "Error"
            })
        );
        assert!(b.warnings.is_empty(), "{:?}", b.warnings);

        let b = pod_with(
            json!({"name": "web", "image": "nginx", "resources": {"limits": {"memory": "128Mi"}}}),
            json!({"podflow.dev/memory": "300Mi"}),
        );
        assert_eq!(b.termination(&BTreeMap::new()).unwrap().reason, "OOMKilled");

        let b = pod_with(
            container.clone(),
            json!({
                "podflow.dev/exit-after": "five seconds",
                "podflow.dev/exit-code": "256",
                "podflow.dev/memory": "lots",
                "podflow.dev/http-status": "200x",
                "podflow.dev/ignore-sigterm": "yes",
                "podflow.dev/crash": "true",
            }),
        );
        assert_eq!(b.exit_after_ms, None);
        assert_eq!(b.warnings, [
            "unknown annotation podflow.dev/crash; ignored (known: podflow.dev/exit-after, podflow.dev/exit-code, podflow.dev/memory, podflow.dev/ready-after, podflow.dev/healthy-for, podflow.dev/http-status, podflow.dev/ignore-sigterm, podflow.dev/stop-after)",
            "podflow.dev/exit-after: \"five seconds\" is not a duration like 5s, 1m30s or 250ms (time: invalid duration \"five seconds\"); ignored",
            "podflow.dev/exit-code: \"256\" is not an exit code 0–255; ignored",
            "podflow.dev/http-status: \"200x\" is not an HTTP status 100–599; ignored",
            "podflow.dev/ignore-sigterm: \"yes\" is not \"true\" or \"false\"; ignored",
            "podflow.dev/memory: \"lots\" is not a memory quantity like 300Mi; ignored",
        ]);

        let b = pod_with(container.clone(), json!({"podflow.dev/exit-code": "1"}));
        assert_eq!(b.warnings, [
            "podflow.dev/exit-code has no effect on container \"web\": it never exits on its own; add podflow.dev/exit-after"
        ]);
        // Non-string and unrelated annotations are fine.
        let b = pod_with(
            container,
            json!({"kubectl.kubernetes.io/last-applied-configuration": "{}"}),
        );
        assert!(b.warnings.is_empty());
    }

    #[test]
    fn probe_overrides_and_messages() {
        let container = json!({"name": "app", "image": "registry.k8s.io/goproxy:0.1",
            "ports": [{"name": "http", "containerPort": 8080}]});
        let b = pod_with(
            container.clone(),
            json!({"podflow.dev/ready-after": "20s", "podflow.dev/healthy-for": "60s"}),
        );
        let http = json!({"httpGet": {"path": "/healthz", "port": "http"}});
        assert_eq!(
            probe(&http, &b, 10_000, "10.244.1.2"),
            ProbeResult::fail(
                "Get \"http://10.244.1.2:8080/healthz\": dial tcp 10.244.1.2:8080: connect: connection refused"
            )
        );
        assert!(probe(&http, &b, 20_000, "10.244.1.2").success);
        assert_eq!(
            probe(&http, &b, 60_000, "10.244.1.2"),
            ProbeResult::fail("HTTP probe failed with statuscode: 500")
        );
        let tcp = json!({"tcpSocket": {"port": 8080}});
        assert!(probe(&tcp, &b, 30_000, "10.244.1.2").success);
        assert!(!probe(&tcp, &b, 60_000, "10.244.1.2").success);
        let exec = json!({"exec": {"command": ["/bin/check"]}});
        assert!(!probe(&exec, &b, 10_000, "10.244.1.2").success);
        assert!(probe(&exec, &b, 30_000, "10.244.1.2").success);

        let b = pod_with(container.clone(), json!({"podflow.dev/http-status": "503"}));
        assert_eq!(
            probe(&http, &b, 1_000, "10.244.1.2"),
            ProbeResult::fail("HTTP probe failed with statuscode: 503")
        );
        let missing = json!({"httpGet": {"port": "metrics"}});
        assert_eq!(
            probe(&missing, &b, 1_000, "10.244.1.2"),
            ProbeResult::fail("couldn't find port: metrics in app")
        );
        // gRPC against an HTTP server, and against an unhealthy gRPC server.
        let grpc = json!({"grpc": {"port": 8080}});
        assert!(probe(&grpc, &b, 1_000, "10.244.1.2")
            .message
            .starts_with("error: health rpc probe failed"));
        let etcd = pod_with(
            json!({"name": "etcd", "image": "registry.k8s.io/etcd:3.5.1-0", "command": ["etcd"]}),
            json!({"podflow.dev/healthy-for": "1m"}),
        );
        assert_eq!(
            probe(
                &json!({"grpc": {"port": 2379}}),
                &etcd,
                61_000,
                "10.244.1.2"
            ),
            ProbeResult::fail("service unhealthy (responded with \"NOT_SERVING\")")
        );
        // GNU userland (debian) words the cat error differently.
        let debian = pod_with(
            json!({"name": "d", "image": "debian", "command": ["sleep", "60"]}),
            Value::Null,
        );
        let cat = json!({"exec": {"command": ["cat", "/tmp/healthy"]}});
        assert_eq!(
            probe(&cat, &debian, 0, "10.244.1.2"),
            ProbeResult::fail("cat: /tmp/healthy: No such file or directory")
        );
    }

    #[test]
    fn stop_and_grace() {
        let b = pod_with(
            json!({"name": "n", "image": "nginx"}),
            json!({"podflow.dev/stop-after": "45s"}),
        );
        assert_eq!(
            b.stop(30_000),
            (30_000, 137),
            "slower than the grace period"
        );
        assert_eq!(b.stop(60_000), (45_000, 0));
        let b = pod_with(
            json!({"name": "n", "image": "nginx"}),
            json!({"podflow.dev/ignore-sigterm": "true"}),
        );
        assert_eq!(b.stop(30_000), (30_000, 137));
    }

    #[test]
    fn vish_stress_ramps_up() {
        let b = pod_with(
            json!({"name": "s", "image": "vish/stress", "args": ["-mem-total", "150Mi", "-mem-alloc-size", "10Mi", "-mem-alloc-sleep", "1s"],
                   "resources": {"limits": {"memory": "100Mi"}}}),
            Value::Null,
        );
        assert_eq!(b.memory_bytes, 150 * 1024 * 1024);
        assert_eq!(b.memory_ramp_ms, 15_000);
        assert_eq!(b.oom_kill_at(), Some(10_000));
    }

    #[test]
    fn repeated_logs_are_bounded() {
        let b = pod_with(
            json!({"name": "c", "image": "busybox", "command": ["sh", "-c", "while true; do echo x; sleep 0.001; done"]}),
            Value::Null,
        );
        assert_eq!(logs(&b, &BTreeMap::new(), 3_600_000).len(), MAX_LOG_LINES);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for container in [
            json!(null),
            json!({}),
            json!({"name": 3, "image": ["x"], "command": "sleep 1", "args": [1, null]}),
            json!({"name": "c", "image": "busybox", "command": []}),
            json!({"name": "c", "image": "busybox", "command": ["sh", "-c"]}),
            json!({"name": "c", "image": "busybox", "command": ["sh", "-c", "while true; do"]}),
            json!({"name": "c", "image": "busybox", "command": ["sh", "-c", "\"unterminated ' ; && || > >> < | \\"]}),
            json!({"name": "c", "image": "busybox", "command": ["sleep", "-1"]}),
            json!({"name": "c", "image": "busybox", "command": ["stress", "--vm", "99999999999", "--vm-bytes", "99999999999G"]}),
        ] {
            let b = container_behaviour(
                &container,
                &json!({"podflow.dev/exit-after": 5}),
                &default_images(),
            );
            let _ = logs(&b, &BTreeMap::new(), u64::MAX);
            for p in [
                json!({}),
                json!({"httpGet": {}}),
                json!({"grpc": {"port": -1}}),
                json!({"exec": {"command": []}}),
            ] {
                let _ = probe(&p, &b, u64::MAX, "fd00::1");
            }
        }
    }
}
