//! What kubectl prints: `get` tables, `get -w` rows, `describe pod`, `get events`,
//! `-o yaml`, as pure functions over stored objects at a logical time `now_ms`.
//!
//! Faithful to kubectl v1.31–v1.33:
//! - Table rows follow `pkg/printers/internalversion/printers.go` (printPod, printEvent,
//!   printDeployment, …) and are laid out by the tabwriter of
//!   `k8s.io/cli-runtime/pkg/printers/tabwriter.go` (minwidth 6, tabwidth 4, padding 3,
//!   pad `' '`, `RememberWidths`).
//! - `describe pod` follows `staging/src/k8s.io/kubectl/pkg/describe/describe.go`
//!   (describePod, describeContainers, describeVolumes, DescribeEvents): a prefix writer
//!   indents by two spaces per level, and `tabbedString` aligns with a tabwriter of
//!   minwidth 0, tabwidth 8, padding 2, pad `' '`, no flags.
//! - Ages are `duration.HumanDuration(now − t)` ([`clock::human_duration`]).
//!
//! Where v1.31–v1.33 differ, the v1.31/v1.32 wording is printed (see
//! [`describe_pod`] for the projected-volume lines).
//!
//! Invariants: never panics on malformed objects (missing fields print as kubectl prints
//! zero values); output is a pure function of the inputs; the tab alignment is Go's
//! `text/tabwriter` algorithm (column blocks of contiguous tab-terminated cells), so
//! alignment quirks (e.g. `  IP:` aligning with `Controlled By:`) match the real tool.

use crate::sim::object::At;
use serde_json::{json, Map, Value};

use crate::sim::clock;
use crate::sim::object;
use crate::sim::quantity::Quantity;

// ---------------------------------------------------------------------------------------
// Tabwriter (Go text/tabwriter, plus liggitt/tabwriter's RememberWidths as kubectl uses)
// ---------------------------------------------------------------------------------------

/// Go's `text/tabwriter` for left-aligned, space-padded text.
///
/// A cell is text terminated by `\t`; the text after a line's last tab is not a cell and is
/// never padded. Tab-terminated cells in contiguous lines form a column whose width is the
/// widest cell plus `padding` (at least `min_width`). With `remember_widths` (kubectl's
/// `get` printer, needed by `get -w`), column widths only ever grow across calls.
#[derive(Clone, Debug)]
pub struct TabWriter {
    min_width: usize,
    padding: usize,
    remember_widths: bool,
    max_widths: Vec<usize>,
}

impl TabWriter {
    /// The `kubectl get` writer (k8s.io/cli-runtime/pkg/printers/tabwriter.go:
    /// `tabwriterMinWidth = 6`, `tabwriterWidth = 4`, `tabwriterPadding = 3`,
    /// `tabwriterPadChar = ' '`, `tabwriterFlags = tabwriter.RememberWidths`).
    pub fn for_get() -> TabWriter {
        TabWriter {
            min_width: 6,
            padding: 3,
            remember_widths: true,
            max_widths: Vec::new(),
        }
    }

    /// The `kubectl describe` writer (describe.go `tabbedString`:
    /// `out.Init(buf, 0, 8, 2, ' ', 0)`).
    pub fn for_describe() -> TabWriter {
        TabWriter {
            min_width: 0,
            padding: 2,
            remember_widths: false,
            max_widths: Vec::new(),
        }
    }

    /// Writes `text` and flushes: returns the aligned text.
    pub fn format(&mut self, text: &str) -> String {
        let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
        let mut out = String::with_capacity(text.len() * 2);
        let mut widths = Vec::new();
        self.format_block(&lines, &mut widths, 0, lines.len(), &mut out);
        out
    }

    /// Go's `(*Writer).format`: finds the block of contiguous lines that have a cell in
    /// column `widths.len()`, sizes it, then formats the columns to its right.
    fn format_block(
        &mut self,
        lines: &[Vec<&str>],
        widths: &mut Vec<usize>,
        mut line0: usize,
        line1: usize,
        out: &mut String,
    ) {
        let column = widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= lines[this].len() {
                this += 1;
                continue;
            }
            write_lines(lines, widths, line0, this, out);
            line0 = this;
            let mut width = self.min_width;
            while this < line1 && column + 1 < lines[this].len() {
                width = width.max(lines[this][column].chars().count() + self.padding);
                this += 1;
            }
            if self.remember_widths {
                if self.max_widths.len() < widths.len() {
                    let from = self.max_widths.len();
                    self.max_widths.extend_from_slice(&widths[from..]);
                }
                if self.max_widths.len() == column {
                    self.max_widths.push(width);
                } else if self.max_widths[column] > width {
                    width = self.max_widths[column];
                } else {
                    self.max_widths[column] = width;
                }
            }
            widths.push(width);
            self.format_block(lines, widths, line0, this, out);
            widths.pop();
            line0 = this;
            // Go's loop increment: the line that ended the block has no cell here.
            this += 1;
        }
        write_lines(lines, widths, line0, line1, out);
    }
}

fn write_lines(
    lines: &[Vec<&str>],
    widths: &[usize],
    line0: usize,
    line1: usize,
    out: &mut String,
) {
    for (i, line) in lines.iter().enumerate().take(line1).skip(line0) {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if let Some(width) = widths.get(j) {
                let pad = width.saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        if i + 1 != lines.len() {
            out.push('\n');
        }
    }
}

/// describe.go's prefix writer: two spaces per indentation level.
#[derive(Default)]
struct PrefixWriter {
    text: String,
}

const LEVEL_0: usize = 0;
const LEVEL_1: usize = 1;
const LEVEL_2: usize = 2;
const LEVEL_3: usize = 3;

impl PrefixWriter {
    fn write(&mut self, level: usize, text: &str) {
        for _ in 0..level {
            self.text.push_str("  ");
        }
        self.text.push_str(text);
    }

    /// `WriteLine`: a whole line with no indentation.
    fn write_line(&mut self, text: &str) {
        self.text.push_str(text);
        self.text.push('\n');
    }

    fn finish(self) -> String {
        TabWriter::for_describe().format(&self.text)
    }
}

// ---------------------------------------------------------------------------------------
// Small readers over JSON objects
// ---------------------------------------------------------------------------------------

fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    object::str_at(v, pointer)
}

fn int(v: &Value, pointer: &str) -> i64 {
    v.at(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn boolean(v: &Value, pointer: &str) -> bool {
    v.at(pointer).and_then(Value::as_bool).unwrap_or(false)
}

fn array<'a>(v: &'a Value, pointer: &str) -> &'a [Value] {
    v.at(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn present(v: &Value, pointer: &str) -> bool {
    v.at(pointer).is_some_and(|x| !x.is_null())
}

/// A metav1.Time field as logical ms; `None` when absent, null, zero or unparsable
/// (kubectl's `IsZero()`).
fn time_at(v: &Value, pointer: &str) -> Option<i64> {
    let text = s(v, pointer);
    if text.is_empty() || text.starts_with("0001-01-01") {
        return None;
    }
    clock::parse_rfc3339(text)
}

/// `translateTimestampSince`: `<unknown>` for a zero time.
fn since(t: Option<i64>, now_ms: u64) -> String {
    match t {
        Some(t) => clock::human_duration(now_ms as i64 - t),
        None => "<unknown>".to_string(),
    }
}

/// An intstr (`port: 8080` or `port: http`) as Go's `IntOrString.String()`.
fn int_or_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => "0".to_string(),
    }
}

/// Go's `%v` of a `map[string]string`-like JSON object as `k=v,k=v` sorted
/// (labels.FormatLabels); `<none>` when empty.
fn format_labels(v: Option<&Value>) -> String {
    let pairs: Vec<String> = v
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    if pairs.is_empty() {
        "<none>".to_string()
    } else {
        pairs.join(",")
    }
}

/// metav1.FormatLabelSelector: matchLabels as `k=v`, expressions as `k in (a,b)`,
/// `k notin (a)`, `k`, `!k`; `<none>` when empty.
fn format_label_selector(v: Option<&Value>) -> String {
    let Some(sel) = v.filter(|v| v.is_object()) else {
        return "<none>".to_string();
    };
    let mut parts: Vec<String> = Vec::new();
    if let Some(m) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in m {
            parts.push(format!("{k}={}", v.as_str().unwrap_or("")));
        }
    }
    for expr in array(sel, "/matchExpressions") {
        let key = s(expr, "/key");
        let values: Vec<&str> = array(expr, "/values")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let part = match s(expr, "/operator") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => continue,
        };
        parts.push(part);
    }
    if parts.is_empty() {
        "<none>".to_string()
    } else {
        parts.join(",")
    }
}

// ---------------------------------------------------------------------------------------
// Pod row: READY, STATUS, RESTARTS (printPod)
// ---------------------------------------------------------------------------------------

/// The values printPod computes for one pod.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PodRow {
    ready: usize,
    total: usize,
    reason: String,
    restarts: i64,
    /// Latest `lastState.terminated.finishedAt` among the counted containers.
    last_restart: Option<i64>,
}

fn is_restartable_init_container(pod: &Value, name: &str) -> bool {
    array(pod, "/spec/initContainers")
        .iter()
        .find(|c| s(c, "/name") == name)
        .is_some_and(|c| s(c, "/restartPolicy") == "Always")
}

fn condition_true(pod: &Value, condition_type: &str) -> bool {
    array(pod, "/status/conditions")
        .iter()
        .any(|c| s(c, "/type") == condition_type && s(c, "/status") == "True")
}

fn later(current: Option<i64>, candidate: Option<i64>) -> Option<i64> {
    match (current, candidate) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (None, b) => b,
        (a, None) => a,
    }
}

/// printPod (pkg/printers/internalversion/printers.go, v1.29+ with sidecar containers).
fn pod_row(pod: &Value) -> PodRow {
    let mut restarts = 0i64;
    let mut restartable_init_restarts = 0i64;
    let mut total = array(pod, "/spec/containers").len();
    let mut ready = 0usize;
    let mut last_restart: Option<i64> = None;
    let mut last_restartable_init_restart: Option<i64> = None;

    let phase = s(pod, "/status/phase");
    let mut reason = phase.to_string();
    if !s(pod, "/status/reason").is_empty() {
        reason = s(pod, "/status/reason").to_string();
    }
    // {type: PodScheduled, reason: SchedulingGated} → SchedulingGated.
    for c in array(pod, "/status/conditions") {
        if s(c, "/type") == "PodScheduled" && s(c, "/reason") == "SchedulingGated" {
            reason = "SchedulingGated".to_string();
        }
    }

    let init_specs = array(pod, "/spec/initContainers");
    total += init_specs
        .iter()
        .filter(|c| s(c, "/restartPolicy") == "Always")
        .count();

    let mut initializing = false;
    for (i, status) in array(pod, "/status/initContainerStatuses")
        .iter()
        .enumerate()
    {
        let restartable = is_restartable_init_container(pod, s(status, "/name"));
        let count = int(status, "/restartCount");
        let finished = time_at(status, "/lastState/terminated/finishedAt");
        restarts += count;
        if present(status, "/lastState/terminated") {
            last_restart = later(last_restart, finished);
        }
        if restartable {
            restartable_init_restarts += count;
            if present(status, "/lastState/terminated") {
                last_restartable_init_restart = later(last_restartable_init_restart, finished);
            }
        }
        let terminated = present(status, "/state/terminated");
        let waiting_reason = s(status, "/state/waiting/reason");
        if terminated && int(status, "/state/terminated/exitCode") == 0 {
            continue;
        } else if restartable && boolean(status, "/started") {
            if boolean(status, "/ready") {
                ready += 1;
            }
            continue;
        } else if terminated {
            let term_reason = s(status, "/state/terminated/reason");
            reason = if !term_reason.is_empty() {
                format!("Init:{term_reason}")
            } else if int(status, "/state/terminated/signal") != 0 {
                format!("Init:Signal:{}", int(status, "/state/terminated/signal"))
            } else {
                format!(
                    "Init:ExitCode:{}",
                    int(status, "/state/terminated/exitCode")
                )
            };
        } else if present(status, "/state/waiting")
            && !waiting_reason.is_empty()
            && waiting_reason != "PodInitializing"
        {
            reason = format!("Init:{waiting_reason}");
        } else {
            reason = format!("Init:{i}/{}", init_specs.len());
        }
        initializing = true;
        break;
    }

    if !initializing || condition_true(pod, "Initialized") {
        restarts = restartable_init_restarts;
        last_restart = last_restartable_init_restart;
        let mut has_running = false;
        // Walked from the last container to the first: the first container's state wins.
        for status in array(pod, "/status/containerStatuses").iter().rev() {
            restarts += int(status, "/restartCount");
            if present(status, "/lastState/terminated") {
                last_restart = later(
                    last_restart,
                    time_at(status, "/lastState/terminated/finishedAt"),
                );
            }
            let waiting_reason = s(status, "/state/waiting/reason");
            let term_reason = s(status, "/state/terminated/reason");
            if present(status, "/state/waiting") && !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if present(status, "/state/terminated") && !term_reason.is_empty() {
                reason = term_reason.to_string();
            } else if present(status, "/state/terminated") {
                let signal = int(status, "/state/terminated/signal");
                reason = if signal != 0 {
                    format!("Signal:{signal}")
                } else {
                    format!("ExitCode:{}", int(status, "/state/terminated/exitCode"))
                };
            } else if boolean(status, "/ready") && present(status, "/state/running") {
                has_running = true;
                ready += 1;
            }
        }
        // A container still running after another completed: back to Running/NotReady.
        if reason == "Completed" && has_running {
            reason = if condition_true(pod, "Ready") {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }

    if present(pod, "/metadata/deletionTimestamp") {
        // node.NodeUnreachablePodReason
        if s(pod, "/status/reason") == "NodeLost" {
            reason = "Unknown".to_string();
        } else if phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating".to_string();
        }
    }

    PodRow {
        ready,
        total,
        reason,
        restarts,
        last_restart,
    }
}

/// The STATUS column of `kubectl get pods` (`Pending`, `ContainerCreating`, `Init:0/1`,
/// `CrashLoopBackOff`, `Completed`, `Terminating`, …).
pub fn pod_status(pod: &Value) -> String {
    pod_row(pod).reason
}

/// The READY column: ready/total, sidecar init containers (`restartPolicy: Always`)
/// counted in both.
pub fn pod_ready(pod: &Value) -> String {
    let row = pod_row(pod);
    format!("{}/{}", row.ready, row.total)
}

/// The RESTARTS column: the restart count, with `(64s ago)` from the latest
/// `lastState.terminated.finishedAt` when there was a restart.
pub fn pod_restarts(pod: &Value, now_ms: u64) -> String {
    restarts_cell(&pod_row(pod), now_ms)
}

fn restarts_cell(row: &PodRow, now_ms: u64) -> String {
    match row.last_restart {
        Some(t) if row.restarts != 0 => {
            format!(
                "{} ({} ago)",
                row.restarts,
                clock::human_duration(now_ms as i64 - t)
            )
        }
        _ => row.restarts.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// kubectl get
// ---------------------------------------------------------------------------------------

/// What a `kubectl get` prints, split by stream: the table goes to stdout, the
/// `No resources found in default namespace.` notice goes to stderr (get.go writes it to
/// `o.ErrOut`), so a learner piping the output sees what a real shell shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GetOutput {
    pub stdout: String,
    pub stderr: String,
}

/// The empty-list notice of get.go (`No resources found in %s namespace.`, or
/// `No resources found` for cluster-scoped resources, namespace "").
pub fn no_resources_found(namespace: &str) -> String {
    if namespace.is_empty() {
        "No resources found\n".to_string()
    } else {
        format!("No resources found in {namespace} namespace.\n")
    }
}

fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut text = headers.join("\t");
    text.push('\n');
    for row in rows {
        text.push_str(&row.join("\t"));
        text.push('\n');
    }
    TabWriter::for_get().format(&text)
}

fn table_output(namespace: &str, headers: &[&str], rows: Vec<Vec<String>>) -> GetOutput {
    if rows.is_empty() {
        return GetOutput {
            stdout: String::new(),
            stderr: no_resources_found(namespace),
        };
    }
    GetOutput {
        stdout: table(headers, &rows),
        stderr: String::new(),
    }
}

/// Objects in the order a list from the apiserver has them: etcd key order, i.e. by
/// namespace then name (kubectl does not re-sort without `--sort-by`).
fn in_key_order<'a>(objs: &[&'a Value]) -> Vec<&'a Value> {
    let mut sorted: Vec<&Value> = objs.to_vec();
    sorted.sort_by(|a, b| {
        (object::namespace(a), object::name(a)).cmp(&(object::namespace(b), object::name(b)))
    });
    sorted
}

const POD_HEADERS: [&str; 5] = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"];
const POD_WIDE_HEADERS: [&str; 9] = [
    "NAME",
    "READY",
    "STATUS",
    "RESTARTS",
    "AGE",
    "IP",
    "NODE",
    "NOMINATED NODE",
    "READINESS GATES",
];

/// One `kubectl get pods` row (cells, before alignment).
pub fn pod_cells(pod: &Value, now_ms: u64, wide: bool) -> Vec<String> {
    let row = pod_row(pod);
    let mut cells = vec![
        object::name(pod).to_string(),
        format!("{}/{}", row.ready, row.total),
        row.reason.clone(),
        restarts_cell(&row, now_ms),
        since(time_at(pod, "/metadata/creationTimestamp"), now_ms),
    ];
    if wide {
        let or_none = |x: &str| {
            if x.is_empty() {
                "<none>".to_string()
            } else {
                x.to_string()
            }
        };
        let ip = array(pod, "/status/podIPs")
            .first()
            .map(|ip| s(ip, "/ip"))
            .unwrap_or("");
        let gates = array(pod, "/spec/readinessGates");
        let readiness_gates = if gates.is_empty() {
            "<none>".to_string()
        } else {
            let conditions = array(pod, "/status/conditions");
            let true_count = gates
                .iter()
                .filter(|g| {
                    conditions
                        .iter()
                        .find(|c| s(c, "/type") == s(g, "/conditionType"))
                        .is_some_and(|c| s(c, "/status") == "True")
                })
                .count();
            format!("{true_count}/{}", gates.len())
        };
        cells.push(or_none(ip));
        cells.push(or_none(s(pod, "/spec/nodeName")));
        cells.push(or_none(s(pod, "/status/nominatedNodeName")));
        cells.push(readiness_gates);
    }
    cells
}

/// `kubectl get pods [-o wide]` in `namespace`.
pub fn get_pods(pods: &[&Value], namespace: &str, now_ms: u64, wide: bool) -> GetOutput {
    let rows = in_key_order(pods)
        .into_iter()
        .map(|p| pod_cells(p, now_ms, wide))
        .collect();
    let headers: &[&str] = if wide {
        &POD_WIDE_HEADERS
    } else {
        &POD_HEADERS
    };
    table_output(namespace, headers, rows)
}

/// `kubectl get pods -w`: the first row comes with the header, then one row per watch
/// event. kubectl flushes after every event through one tabwriter with `RememberWidths`,
/// so columns keep (and only grow) their widths, exactly as here.
#[derive(Clone, Debug)]
pub struct PodWatchPrinter {
    writer: TabWriter,
    wide: bool,
    header_printed: bool,
}

impl PodWatchPrinter {
    pub fn new(wide: bool) -> PodWatchPrinter {
        PodWatchPrinter {
            writer: TabWriter::for_get(),
            wide,
            header_printed: false,
        }
    }

    /// The text printed for one watch event about `pod` (one line, or header + line).
    pub fn row(&mut self, pod: &Value, now_ms: u64) -> String {
        let mut text = String::new();
        if !self.header_printed {
            let headers: &[&str] = if self.wide {
                &POD_WIDE_HEADERS
            } else {
                &POD_HEADERS
            };
            text.push_str(&headers.join("\t"));
            text.push('\n');
            self.header_printed = true;
        }
        text.push_str(&pod_cells(pod, now_ms, self.wide).join("\t"));
        text.push('\n');
        self.writer.format(&text)
    }
}

// ---------------------------------------------------------------------------------------
// kubectl get for the other kinds podflow shows
// ---------------------------------------------------------------------------------------

/// Builds one table row's cells from an object, `now_ms` and `wide`.
type RowCells = fn(&Value, u64, bool) -> Vec<String>;

/// `kubectl get <kind>` for the kinds podflow shows, by `kind` (`Pod`, `Deployment`,
/// `ReplicaSet`, `Service`, `EndpointSlice`, `Node`, `Job`, `DaemonSet`, `Event`);
/// `None` for a kind without a table here. `namespace` is "" for cluster-scoped kinds.
pub fn get_table(
    kind: &str,
    objs: &[&Value],
    namespace: &str,
    now_ms: u64,
    wide: bool,
) -> Option<GetOutput> {
    let (headers, wide_headers, cells): (&[&str], &[&str], RowCells) = match kind {
        "Pod" => return Some(get_pods(objs, namespace, now_ms, wide)),
        "Event" => return Some(get_events(objs, namespace, now_ms)),
        "Deployment" => (
            &["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
            deployment_cells,
        ),
        "ReplicaSet" => (
            &["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
            replica_set_cells,
        ),
        "Service" => (
            &[
                "NAME",
                "TYPE",
                "CLUSTER-IP",
                "EXTERNAL-IP",
                "PORT(S)",
                "AGE",
            ],
            &["SELECTOR"],
            service_cells,
        ),
        "EndpointSlice" => (
            &["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
            &[],
            endpoint_slice_cells,
        ),
        "Node" => (
            &["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
            &[
                "INTERNAL-IP",
                "EXTERNAL-IP",
                "OS-IMAGE",
                "KERNEL-VERSION",
                "CONTAINER-RUNTIME",
            ],
            node_cells,
        ),
        "Job" => (
            &["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
            job_cells,
        ),
        "DaemonSet" => (
            &[
                "NAME",
                "DESIRED",
                "CURRENT",
                "READY",
                "UP-TO-DATE",
                "AVAILABLE",
                "NODE SELECTOR",
                "AGE",
            ],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
            daemon_set_cells,
        ),
        _ => return None,
    };
    let mut all_headers: Vec<&str> = headers.to_vec();
    if wide {
        all_headers.extend_from_slice(wide_headers);
    }
    let rows = in_key_order(objs)
        .into_iter()
        .map(|o| cells(o, now_ms, wide))
        .collect();
    Some(table_output(namespace, &all_headers, rows))
}

fn age(obj: &Value, now_ms: u64) -> String {
    since(time_at(obj, "/metadata/creationTimestamp"), now_ms)
}

/// layoutContainerCells: container names and images, comma-joined.
fn container_cells(template_spec: &Value) -> [String; 2] {
    let containers = array(template_spec, "/containers");
    let names: Vec<&str> = containers.iter().map(|c| s(c, "/name")).collect();
    let images: Vec<&str> = containers.iter().map(|c| s(c, "/image")).collect();
    [names.join(","), images.join(",")]
}

fn with_workload_wide(mut cells: Vec<String>, obj: &Value, wide: bool) -> Vec<String> {
    if wide {
        let spec = obj.at("/spec/template/spec").unwrap_or(&Value::Null);
        cells.extend(container_cells(spec));
        cells.push(format_label_selector(obj.at("/spec/selector")));
    }
    cells
}

/// printDeployment: READY is `readyReplicas/replicas`.
fn deployment_cells(d: &Value, now_ms: u64, wide: bool) -> Vec<String> {
    let cells = vec![
        object::name(d).to_string(),
        format!(
            "{}/{}",
            int(d, "/status/readyReplicas"),
            int(d, "/spec/replicas")
        ),
        int(d, "/status/updatedReplicas").to_string(),
        int(d, "/status/availableReplicas").to_string(),
        age(d, now_ms),
    ];
    with_workload_wide(cells, d, wide)
}

fn replica_set_cells(rs: &Value, now_ms: u64, wide: bool) -> Vec<String> {
    let cells = vec![
        object::name(rs).to_string(),
        int(rs, "/spec/replicas").to_string(),
        int(rs, "/status/replicas").to_string(),
        int(rs, "/status/readyReplicas").to_string(),
        age(rs, now_ms),
    ];
    with_workload_wide(cells, rs, wide)
}

fn daemon_set_cells(ds: &Value, now_ms: u64, wide: bool) -> Vec<String> {
    let cells = vec![
        object::name(ds).to_string(),
        int(ds, "/status/desiredNumberScheduled").to_string(),
        int(ds, "/status/currentNumberScheduled").to_string(),
        int(ds, "/status/numberReady").to_string(),
        int(ds, "/status/updatedNumberScheduled").to_string(),
        int(ds, "/status/numberAvailable").to_string(),
        format_labels(ds.at("/spec/template/spec/nodeSelector")),
        age(ds, now_ms),
    ];
    with_workload_wide(cells, ds, wide)
}

/// printJob (v1.30+ with the STATUS column): Complete, Failed, Terminating, Suspended,
/// FailureTarget, else Running; DURATION from status.startTime to completionTime or now.
fn job_cells(job: &Value, now_ms: u64, wide: bool) -> Vec<String> {
    let succeeded = int(job, "/status/succeeded");
    let completions = if present(job, "/spec/completions") {
        format!("{succeeded}/{}", int(job, "/spec/completions"))
    } else if int(job, "/spec/parallelism") > 1 {
        format!("{succeeded}/1 of {}", int(job, "/spec/parallelism"))
    } else {
        format!("{succeeded}/1")
    };
    let duration = match (
        time_at(job, "/status/startTime"),
        time_at(job, "/status/completionTime"),
    ) {
        (None, _) => String::new(),
        (Some(start), None) => clock::human_duration(now_ms as i64 - start),
        (Some(start), Some(end)) => clock::human_duration(end - start),
    };
    let has = |condition: &str| {
        array(job, "/status/conditions")
            .iter()
            .find(|c| s(c, "/type") == condition)
            .is_some_and(|c| s(c, "/status") == "True")
    };
    let status = if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if present(job, "/metadata/deletionTimestamp") {
        "Terminating"
    } else if has("Suspended") {
        "Suspended"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let cells = vec![
        object::name(job).to_string(),
        status.to_string(),
        completions,
        duration,
        age(job, now_ms),
    ];
    with_workload_wide(cells, job, wide)
}

/// printService: CLUSTER-IP is `clusterIPs[0]`; EXTERNAL-IP per type (`<none>`,
/// `<pending>` for a LoadBalancer without ingress, the name for ExternalName); PORT(S)
/// as `80/TCP` or `80:30168/TCP`.
fn service_cells(svc: &Value, now_ms: u64, wide: bool) -> Vec<String> {
    let cluster_ip = array(svc, "/spec/clusterIPs")
        .first()
        .and_then(Value::as_str)
        .unwrap_or("<none>")
        .to_string();
    let external_ips: Vec<&str> = array(svc, "/spec/externalIPs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let external = match s(svc, "/spec/type") {
        "ClusterIP" | "NodePort" if !external_ips.is_empty() => external_ips.join(","),
        "ClusterIP" | "NodePort" => "<none>".to_string(),
        "LoadBalancer" => {
            let mut ingress: Vec<&str> = array(svc, "/status/loadBalancer/ingress")
                .iter()
                .map(|i| {
                    if s(i, "/ip").is_empty() {
                        s(i, "/hostname")
                    } else {
                        s(i, "/ip")
                    }
                })
                .filter(|x| !x.is_empty())
                .collect();
            ingress.sort();
            ingress.dedup();
            let mut lb = ingress.join(",");
            // loadBalancerWidth = 16 when not wide.
            if !wide && lb.len() > 16 {
                lb = format!("{}...", &lb[..13]);
            }
            let mut all: Vec<String> = Vec::new();
            if !lb.is_empty() {
                all.extend(lb.split(',').map(str::to_string));
            }
            all.extend(external_ips.iter().map(|x| x.to_string()));
            if all.is_empty() {
                "<pending>".to_string()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => s(svc, "/spec/externalName").to_string(),
        _ => "<unknown>".to_string(),
    };
    let ports: Vec<String> = array(svc, "/spec/ports")
        .iter()
        .map(|p| {
            let node_port = int(p, "/nodePort");
            if node_port > 0 {
                format!("{}:{node_port}/{}", int(p, "/port"), s(p, "/protocol"))
            } else {
                format!("{}/{}", int(p, "/port"), s(p, "/protocol"))
            }
        })
        .collect();
    let mut cells = vec![
        object::name(svc).to_string(),
        s(svc, "/spec/type").to_string(),
        cluster_ip,
        external,
        or_none(&ports.join(",")),
        age(svc, now_ms),
    ];
    if wide {
        cells.push(format_labels(svc.at("/spec/selector")));
    }
    cells
}

/// listWithMoreString: at most 3 items, then ` + N more...`; `<unset>` when empty.
fn list_with_more(items: &[String]) -> String {
    const MAX: usize = 3;
    if items.is_empty() {
        return "<unset>".to_string();
    }
    let shown = items[..items.len().min(MAX)].join(",");
    if items.len() > MAX {
        format!("{shown} + {} more...", items.len() - MAX)
    } else {
        shown
    }
}

/// printEndpointSlice: PORTS are port numbers (or names, `*`), ENDPOINTS the addresses.
fn endpoint_slice_cells(slice: &Value, now_ms: u64, _wide: bool) -> Vec<String> {
    let ports: Vec<String> = array(slice, "/ports")
        .iter()
        .map(|p| {
            if present(p, "/port") {
                int(p, "/port").to_string()
            } else if present(p, "/name") {
                s(p, "/name").to_string()
            } else {
                "*".to_string()
            }
        })
        .collect();
    let addresses: Vec<String> = array(slice, "/endpoints")
        .iter()
        .flat_map(|e| {
            array(e, "/addresses")
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    vec![
        object::name(slice).to_string(),
        s(slice, "/addressType").to_string(),
        list_with_more(&ports),
        list_with_more(&addresses),
        age(slice, now_ms),
    ]
}

/// printNode: STATUS from the Ready condition (+ `SchedulingDisabled`), ROLES from
/// `node-role.kubernetes.io/<role>` and `kubernetes.io/role` labels.
fn node_cells(node: &Value, now_ms: u64, wide: bool) -> Vec<String> {
    let mut status: Vec<&str> = Vec::new();
    if let Some(ready) = array(node, "/status/conditions")
        .iter()
        .rfind(|c| s(c, "/type") == "Ready")
    {
        status.push(if s(ready, "/status") == "True" {
            "Ready"
        } else {
            "NotReady"
        });
    }
    if status.is_empty() {
        status.push("Unknown");
    }
    if boolean(node, "/spec/unschedulable") {
        status.push("SchedulingDisabled");
    }
    let mut roles: Vec<String> = Vec::new();
    if let Some(labels) = node.at("/metadata/labels").and_then(Value::as_object) {
        for (k, v) in labels {
            if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                if !role.is_empty() {
                    roles.push(role.to_string());
                }
            } else if k == "kubernetes.io/role" && v.as_str().is_some_and(|v| !v.is_empty()) {
                roles.push(v.as_str().unwrap_or("").to_string());
            }
        }
    }
    roles.sort();
    roles.dedup();
    let mut cells = vec![
        object::name(node).to_string(),
        status.join(","),
        or_none(&roles.join(",")),
        age(node, now_ms),
        s(node, "/status/nodeInfo/kubeletVersion").to_string(),
    ];
    if wide {
        let address = |kind: &str| {
            array(node, "/status/addresses")
                .iter()
                .find(|a| s(a, "/type") == kind)
                .map(|a| s(a, "/address").to_string())
                .unwrap_or_else(|| "<none>".to_string())
        };
        let unknown = |x: &str| {
            if x.is_empty() {
                "<unknown>".to_string()
            } else {
                x.to_string()
            }
        };
        cells.push(address("InternalIP"));
        cells.push(address("ExternalIP"));
        cells.push(unknown(s(node, "/status/nodeInfo/osImage")));
        cells.push(unknown(s(node, "/status/nodeInfo/kernelVersion")));
        cells.push(unknown(s(node, "/status/nodeInfo/containerRuntimeVersion")));
    }
    cells
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

/// What a component reports in an event (core/v1 Event as the kubelet's and the
/// controllers' EventRecorder write it).
#[derive(Clone, Copy, Debug)]
pub struct EventSpec<'a> {
    /// `Normal` or `Warning`.
    pub type_: &'a str,
    pub reason: &'a str,
    pub message: &'a str,
    /// `source.component` and `reportingComponent`: `kubelet`, `default-scheduler`,
    /// `replicaset-controller`, …
    pub component: &'a str,
    /// `source.host` and `reportingInstance` for the kubelet (the node name); "" otherwise.
    pub host: &'a str,
    /// `involvedObject.fieldPath`, e.g. `spec.containers{nginx}`; "" for the whole object.
    pub field_path: &'a str,
}

/// The name of an event about `object_name` recorded at `at_ms`: `<name>.<hex UnixNano>`
/// (client-go tools/record: `fmt.Sprintf("%v.%x", ref.Name, t.UnixNano())`). `seq`
/// distinguishes events recorded in the same simulated millisecond (added as nanoseconds).
pub fn event_name(object_name: &str, at_ms: u64, seq: u32) -> String {
    let nanos = clock::unix_nanos(at_ms) + i64::from(seq % 1_000_000);
    format!("{object_name}.{nanos:x}")
}

/// A core/v1 Event about `involved` (any object with kind/apiVersion/metadata), as
/// stored at `/registry/events/<ns>/<name>`: count 1, first = last timestamp = `at_ms`.
pub fn new_event(involved: &Value, spec: &EventSpec, at_ms: u64, seq: u32) -> Value {
    let at = clock::rfc3339(at_ms);
    let namespace = match object::namespace(involved) {
        "" => "default",
        ns => ns,
    };
    let mut involved_object = Map::new();
    involved_object.insert("apiVersion".into(), json!(object::api_version(involved)));
    if !spec.field_path.is_empty() {
        involved_object.insert("fieldPath".into(), json!(spec.field_path));
    }
    involved_object.insert("kind".into(), json!(object::kind(involved)));
    involved_object.insert("name".into(), json!(object::name(involved)));
    if !object::namespace(involved).is_empty() {
        involved_object.insert("namespace".into(), json!(object::namespace(involved)));
    }
    for field in ["resourceVersion", "uid"] {
        let value = s(involved, &format!("/metadata/{field}"));
        if !value.is_empty() {
            involved_object.insert(field.into(), json!(value));
        }
    }
    let mut source = Map::new();
    source.insert("component".into(), json!(spec.component));
    if !spec.host.is_empty() {
        source.insert("host".into(), json!(spec.host));
    }
    json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": event_name(object::name(involved), at_ms, seq),
            "namespace": namespace,
            "creationTimestamp": at,
        },
        "involvedObject": Value::Object(involved_object),
        "reason": spec.reason,
        "message": spec.message,
        "type": spec.type_,
        "source": Value::Object(source),
        "reportingComponent": spec.component,
        "reportingInstance": spec.host,
        "firstTimestamp": at,
        "lastTimestamp": at,
        "count": 1,
        "eventTime": null,
    })
}

/// Records a repeat of an existing event, as client-go's EventCorrelator does for an
/// identical event within its window: `count + 1`, `lastTimestamp` = `at_ms`.
pub fn bump_event(event: &mut Value, at_ms: u64) {
    let count = int(event, "/count").max(1) + 1;
    object::set_at(event, "/count", json!(count));
    object::set_at(event, "/lastTimestamp", json!(clock::rfc3339(at_ms)));
}

/// `eventTime` (MicroTime) of an event, or `None` when unset.
fn event_time(e: &Value) -> Option<i64> {
    time_at(e, "/eventTime")
}

/// SortableEvents' key (k8s.io/kubectl/pkg/util/event): series.lastObservedTime, else
/// lastTimestamp, else eventTime.
fn event_sort_time(e: &Value) -> Option<i64> {
    if present(e, "/series") {
        return time_at(e, "/series/lastObservedTime");
    }
    time_at(e, "/lastTimestamp").or_else(|| event_time(e))
}

/// `kubectl get events` (LAST SEEN, TYPE, REASON, OBJECT, MESSAGE), rows in list order
/// (by event name: `<object>.<hex time>`, so chronological per object) — kubectl does not
/// sort events without `--sort-by`.
pub fn get_events(events: &[&Value], namespace: &str, now_ms: u64) -> GetOutput {
    let rows = in_key_order(events)
        .into_iter()
        .map(|e| {
            // printEvent: first = firstTimestamp or eventTime; last = lastTimestamp or first.
            let first = time_at(e, "/firstTimestamp").or_else(|| event_time(e));
            let mut last = time_at(e, "/lastTimestamp").or(first);
            if present(e, "/series") {
                last = time_at(e, "/series/lastObservedTime");
            }
            let kind = s(e, "/involvedObject/kind").to_lowercase();
            let name = s(e, "/involvedObject/name");
            let target = if name.is_empty() {
                kind
            } else {
                format!("{kind}/{name}")
            };
            vec![
                since(last, now_ms),
                s(e, "/type").to_string(),
                s(e, "/reason").to_string(),
                target,
                s(e, "/message").trim().to_string(),
            ]
        })
        .collect();
    table_output(
        namespace,
        &["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
        rows,
    )
}

/// DescribeEvents: the `Events:` block of every describer.
fn describe_events(events: &[&Value], now_ms: u64, w: &mut PrefixWriter) {
    if events.is_empty() {
        w.write(LEVEL_0, "Events:\t<none>\n");
        return;
    }
    let mut sorted: Vec<&Value> = events.to_vec();
    // sort.Sort on ≤12 items is an insertion sort, i.e. stable; keep that for all sizes.
    sorted.sort_by_key(|e| event_sort_time(e));
    w.write(LEVEL_0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
    w.write(LEVEL_1, "----\t------\t----\t----\t-------\n");
    for e in sorted {
        let first = match event_time(e) {
            Some(t) => since(Some(t), now_ms),
            None => since(time_at(e, "/firstTimestamp"), now_ms),
        };
        let count = int(e, "/count");
        let interval = if present(e, "/series") {
            format!(
                "{} (x{} over {first})",
                since(time_at(e, "/series/lastObservedTime"), now_ms),
                int(e, "/series/count")
            )
        } else if count > 1 {
            format!(
                "{} (x{count} over {first})",
                since(time_at(e, "/lastTimestamp"), now_ms)
            )
        } else {
            first
        };
        let mut source = s(e, "/source/component");
        if source.is_empty() {
            source = s(e, "/reportingComponent");
        }
        w.write(
            LEVEL_1,
            &format!(
                "{}\t{}\t{}\t{}\t{}\n",
                s(e, "/type"),
                s(e, "/reason"),
                interval,
                source,
                s(e, "/message").trim()
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------
// kubectl describe pod
// ---------------------------------------------------------------------------------------

/// The `kubectl.kubernetes.io/last-applied-configuration` annotation is never shown
/// (describe.go `skipAnnotations`).
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// describe.go `maxAnnotationLen`.
const MAX_ANNOTATION_LEN: usize = 140;

/// `kubectl describe pod`: describePod of describe.go, with the pod's events (the caller
/// may pass all events of the namespace; those about other objects are left out, as
/// kubectl's field selector on involvedObject name/namespace/uid does).
///
/// Version notes (v1.31–v1.33 default): the projected service-account volume prints the
/// v1.31/v1.32 lines `ConfigMapName:` / `ConfigMapOptional:  <nil>` (v1.33 prints
/// `Optional:  false` instead, kubernetes PR #129457); event messages are printed raw
/// (the `spec.containers{nginx}: ` prefix is v1.35+, PR #133627).
pub fn describe_pod(pod: &Value, events: &[&Value], now_ms: u64) -> String {
    let mut w = PrefixWriter::default();
    w.write(LEVEL_0, &format!("Name:\t{}\n", object::name(pod)));
    w.write(
        LEVEL_0,
        &format!("Namespace:\t{}\n", object::namespace(pod)),
    );
    if present(pod, "/spec/priority") {
        w.write(
            LEVEL_0,
            &format!("Priority:\t{}\n", int(pod, "/spec/priority")),
        );
    }
    if !s(pod, "/spec/priorityClassName").is_empty() {
        w.write(
            LEVEL_0,
            &format!(
                "Priority Class Name:\t{}\n",
                s(pod, "/spec/priorityClassName")
            ),
        );
    }
    if !s(pod, "/spec/runtimeClassName").is_empty() {
        w.write(
            LEVEL_0,
            &format!(
                "Runtime Class Name:\t{}\n",
                s(pod, "/spec/runtimeClassName")
            ),
        );
    }
    if !s(pod, "/spec/serviceAccountName").is_empty() {
        w.write(
            LEVEL_0,
            &format!("Service Account:\t{}\n", s(pod, "/spec/serviceAccountName")),
        );
    }
    if s(pod, "/spec/nodeName").is_empty() {
        w.write(LEVEL_0, "Node:\t<none>\n");
    } else {
        w.write(
            LEVEL_0,
            &format!(
                "Node:\t{}/{}\n",
                s(pod, "/spec/nodeName"),
                s(pod, "/status/hostIP")
            ),
        );
    }
    if present(pod, "/status/startTime") {
        w.write(
            LEVEL_0,
            &format!("Start Time:\t{}\n", rfc1123z_at(pod, "/status/startTime")),
        );
    }
    print_labels_multiline(&mut w, "Labels", pod.at("/metadata/labels"));
    print_annotations_multiline(&mut w, "Annotations", pod.at("/metadata/annotations"));
    let phase = s(pod, "/status/phase");
    if present(pod, "/metadata/deletionTimestamp") && phase != "Failed" && phase != "Succeeded" {
        // deletionTimestamp is in the future during the grace period, so this reads
        // `Terminating (lasts <invalid>)` until the period is over, as on a real cluster.
        w.write(
            LEVEL_0,
            &format!(
                "Status:\tTerminating (lasts {})\n",
                since(time_at(pod, "/metadata/deletionTimestamp"), now_ms)
            ),
        );
        w.write(
            LEVEL_0,
            &format!(
                "Termination Grace Period:\t{}s\n",
                int(pod, "/metadata/deletionGracePeriodSeconds")
            ),
        );
    } else {
        w.write(LEVEL_0, &format!("Status:\t{phase}\n"));
    }
    if !s(pod, "/status/reason").is_empty() {
        w.write(LEVEL_0, &format!("Reason:\t{}\n", s(pod, "/status/reason")));
    }
    if !s(pod, "/status/message").is_empty() {
        w.write(
            LEVEL_0,
            &format!("Message:\t{}\n", s(pod, "/status/message")),
        );
    }
    if present(pod, "/spec/securityContext/seccompProfile") {
        let kind = s(pod, "/spec/securityContext/seccompProfile/type");
        w.write(LEVEL_0, &format!("SeccompProfile:\t{kind}\n"));
        if kind == "Localhost" {
            w.write(
                LEVEL_0,
                &format!(
                    "LocalhostProfile:\t{}\n",
                    s(pod, "/spec/securityContext/seccompProfile/localhostProfile")
                ),
            );
        }
    }
    w.write(LEVEL_0, &format!("IP:\t{}\n", s(pod, "/status/podIP")));
    let ips = array(pod, "/status/podIPs");
    if ips.is_empty() {
        w.write(LEVEL_0, "IPs:\t<none>\n");
    } else {
        w.write(LEVEL_0, "IPs:\n");
        for ip in ips {
            w.write(LEVEL_1, &format!("IP:\t{}\n", s(ip, "/ip")));
        }
    }
    if let Some(owner) = array(pod, "/metadata/ownerReferences")
        .iter()
        .find(|o| boolean(o, "/controller"))
    {
        w.write(
            LEVEL_0,
            &format!(
                "Controlled By:\t{}/{}\n",
                s(owner, "/kind"),
                s(owner, "/name")
            ),
        );
    }
    if !s(pod, "/status/nominatedNodeName").is_empty() {
        w.write(
            LEVEL_0,
            &format!(
                "NominatedNodeName:\t{}\n",
                s(pod, "/status/nominatedNodeName")
            ),
        );
    }
    if let Some(resources) = pod.at("/spec/resources").filter(|r| !r.is_null()) {
        w.write(LEVEL_0, "Resources:\n");
        describe_resources(resources, &mut w, LEVEL_1);
    }
    if !array(pod, "/spec/initContainers").is_empty() {
        describe_containers(
            pod,
            "Init Containers",
            array(pod, "/spec/initContainers"),
            array(pod, "/status/initContainerStatuses"),
            &mut w,
        );
    }
    describe_containers(
        pod,
        "Containers",
        array(pod, "/spec/containers"),
        array(pod, "/status/containerStatuses"),
        &mut w,
    );
    if !array(pod, "/spec/ephemeralContainers").is_empty() {
        describe_containers(
            pod,
            "Ephemeral Containers",
            array(pod, "/spec/ephemeralContainers"),
            array(pod, "/status/ephemeralContainerStatuses"),
            &mut w,
        );
    }
    let conditions = array(pod, "/status/conditions");
    let gates = array(pod, "/spec/readinessGates");
    if !gates.is_empty() {
        w.write(LEVEL_0, "Readiness Gates:\n  Type\tStatus\n");
        for g in gates {
            let status = conditions
                .iter()
                .find(|c| s(c, "/type") == s(g, "/conditionType"))
                .map(|c| s(c, "/status"))
                .unwrap_or("<none>");
            w.write(
                LEVEL_1,
                &format!("{} \t{} \n", s(g, "/conditionType"), status),
            );
        }
    }
    if !conditions.is_empty() {
        // The trailing spaces are upstream's ("%v \t%v \n").
        w.write(LEVEL_0, "Conditions:\n  Type\tStatus\n");
        for c in conditions {
            w.write(
                LEVEL_1,
                &format!("{} \t{} \n", s(c, "/type"), s(c, "/status")),
            );
        }
    }
    describe_volumes(array(pod, "/spec/volumes"), &mut w);
    w.write(LEVEL_0, &format!("QoS Class:\t{}\n", qos_class(pod)));
    print_labels_multiline(&mut w, "Node-Selectors", pod.at("/spec/nodeSelector"));
    print_tolerations_multiline(&mut w, "Tolerations", array(pod, "/spec/tolerations"));
    describe_topology_spread_constraints(array(pod, "/spec/topologySpreadConstraints"), &mut w);
    let pod_events: Vec<&Value> = events
        .iter()
        .copied()
        .filter(|e| is_about(e, pod))
        .collect();
    describe_events(&pod_events, now_ms, &mut w);
    w.finish()
}

/// Whether an event's involvedObject is `obj` (name, namespace and, when both carry one,
/// uid — the field selector describe uses).
fn is_about(event: &Value, obj: &Value) -> bool {
    let uid = s(obj, "/metadata/uid");
    let event_uid = s(event, "/involvedObject/uid");
    s(event, "/involvedObject/name") == object::name(obj)
        && s(event, "/involvedObject/namespace") == object::namespace(obj)
        && (uid.is_empty() || event_uid.is_empty() || uid == event_uid)
}

/// A stored timestamp in describe's RFC1123Z form; Go's zero time when absent.
fn rfc1123z_at(v: &Value, pointer: &str) -> String {
    match time_at(v, pointer) {
        Some(t) => clock::rfc1123z_signed(t),
        None => "Mon, 01 Jan 0001 00:00:00 +0000".to_string(),
    }
}

/// printLabelsMultiline: `Labels:  a=b` then one `key=value` per line, sorted.
fn print_labels_multiline(w: &mut PrefixWriter, title: &str, labels: Option<&Value>) {
    w.write(LEVEL_0, &format!("{title}:\t"));
    let map = labels.and_then(Value::as_object).filter(|m| !m.is_empty());
    let Some(map) = map else {
        w.write_line("<none>");
        return;
    };
    for (i, (key, value)) in map.iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, "\t");
        }
        w.write(
            LEVEL_0,
            &format!("{key}={}\n", value.as_str().unwrap_or("")),
        );
    }
}

/// printAnnotationsMultiline: sorted `key: value`; long or multi-line values go on
/// their own lines, each cut at 138 bytes with `...`.
fn print_annotations_multiline(w: &mut PrefixWriter, title: &str, annotations: Option<&Value>) {
    w.write(LEVEL_0, &format!("{title}:\t"));
    let entries: Vec<(&String, &Value)> = annotations
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(k, _)| k.as_str() != LAST_APPLIED)
                .collect()
        })
        .unwrap_or_default();
    if entries.is_empty() {
        w.write_line("<none>");
        return;
    }
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, "\t");
        }
        let value = value.as_str().unwrap_or("");
        let value = value.strip_suffix('\n').unwrap_or(value);
        if value.len() + key.len() + 2 > MAX_ANNOTATION_LEN || value.contains('\n') {
            w.write(LEVEL_0, &format!("{key}:\n"));
            for line in value.split('\n') {
                w.write(
                    LEVEL_0,
                    &format!("\t  {}\n", shorten(line, MAX_ANNOTATION_LEN - 2)),
                );
            }
        } else {
            w.write(LEVEL_0, &format!("{key}: {value}\n"));
        }
    }
}

fn shorten(text: &str, max_len: usize) -> String {
    if text.len() <= max_len {
        return text.to_string();
    }
    let mut cut = max_len;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}...", &text[..cut])
}

/// printTolerationsMultiline: `key[=value][:effect][ op=Exists][ for Ns]`, sorted by key.
fn print_tolerations_multiline(w: &mut PrefixWriter, title: &str, tolerations: &[Value]) {
    w.write(LEVEL_0, &format!("{title}:\t"));
    if tolerations.is_empty() {
        w.write_line("<none>");
        return;
    }
    let mut sorted: Vec<&Value> = tolerations.iter().collect();
    sorted.sort_by(|a, b| s(a, "/key").cmp(s(b, "/key")));
    for (i, t) in sorted.into_iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, "\t");
        }
        let (key, value, effect) = (s(t, "/key"), s(t, "/value"), s(t, "/effect"));
        let mut line = key.to_string();
        if !value.is_empty() {
            line.push_str(&format!("={value}"));
        }
        if !effect.is_empty() {
            line.push_str(&format!(":{effect}"));
        }
        // `operator: Exists` with no key and no effect tolerates everything.
        if s(t, "/operator") == "Exists" && value.is_empty() {
            if !key.is_empty() || !effect.is_empty() {
                line.push_str(" op=Exists");
            } else {
                line.push_str("op=Exists");
            }
        }
        if present(t, "/tolerationSeconds") {
            line.push_str(&format!(" for {}s", int(t, "/tolerationSeconds")));
        }
        line.push('\n');
        w.write(LEVEL_0, &line);
    }
}

fn describe_topology_spread_constraints(constraints: &[Value], w: &mut PrefixWriter) {
    if constraints.is_empty() {
        return;
    }
    let mut sorted: Vec<&Value> = constraints.iter().collect();
    sorted.sort_by(|a, b| s(a, "/topologyKey").cmp(s(b, "/topologyKey")));
    w.write(LEVEL_0, "Topology Spread Constraints:\t");
    for (i, c) in sorted.into_iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, "\t");
        }
        let mut line = format!(
            "{}:{} when max skew {} is exceeded",
            s(c, "/topologyKey"),
            s(c, "/whenUnsatisfiable"),
            int(c, "/maxSkew")
        );
        if present(c, "/labelSelector") {
            line.push_str(&format!(
                " for selector {}",
                format_label_selector(c.get("labelSelector"))
            ));
        }
        line.push('\n');
        w.write(LEVEL_0, &line);
    }
}

fn describe_containers(
    pod: &Value,
    label: &str,
    containers: &[Value],
    statuses: &[Value],
    w: &mut PrefixWriter,
) {
    let none = if containers.is_empty() { " <none>" } else { "" };
    w.write(LEVEL_0, &format!("{label}:{none}\n"));
    for container in containers {
        let name = s(container, "/name");
        let status = statuses.iter().find(|st| s(st, "/name") == name);
        w.write(LEVEL_1, &format!("{name}:\n"));
        if let Some(st) = status {
            w.write(
                LEVEL_2,
                &format!("Container ID:\t{}\n", s(st, "/containerID")),
            );
        }
        w.write(LEVEL_2, &format!("Image:\t{}\n", s(container, "/image")));
        if let Some(st) = status {
            w.write(LEVEL_2, &format!("Image ID:\t{}\n", s(st, "/imageID")));
        }
        let ports = array(container, "/ports");
        let port_list: Vec<String> = ports
            .iter()
            .map(|p| format!("{}/{}", int(p, "/containerPort"), s(p, "/protocol")))
            .collect();
        let host_port_list: Vec<String> = ports
            .iter()
            .map(|p| format!("{}/{}", int(p, "/hostPort"), s(p, "/protocol")))
            .collect();
        if port_list.len() > 1 {
            w.write(LEVEL_2, &format!("Ports:\t{}\n", port_list.join(", ")));
        } else {
            w.write(
                LEVEL_2,
                &format!("Port:\t{}\n", or_none(&port_list.join(", "))),
            );
        }
        if host_port_list.len() > 1 {
            w.write(
                LEVEL_2,
                &format!("Host Ports:\t{}\n", host_port_list.join(", ")),
            );
        } else {
            w.write(
                LEVEL_2,
                &format!("Host Port:\t{}\n", or_none(&host_port_list.join(", "))),
            );
        }
        if present(container, "/securityContext/seccompProfile") {
            let kind = s(container, "/securityContext/seccompProfile/type");
            w.write(LEVEL_2, &format!("SeccompProfile:\t{kind}\n"));
            if kind == "Localhost" {
                w.write(
                    LEVEL_3,
                    &format!(
                        "LocalhostProfile:\t{}\n",
                        s(
                            container,
                            "/securityContext/seccompProfile/localhostProfile"
                        )
                    ),
                );
            }
        }
        for (field, title) in [("/command", "Command"), ("/args", "Args")] {
            let items = array(container, field);
            if !items.is_empty() {
                w.write(LEVEL_2, &format!("{title}:\n"));
                for item in items {
                    for line in item.as_str().unwrap_or("").split('\n') {
                        w.write(LEVEL_3, &format!("{line}\n"));
                    }
                }
            }
        }
        if let Some(st) = status {
            describe_state("State", st.get("state"), w);
            if present(st, "/lastState/terminated") {
                describe_state("Last State", st.get("lastState"), w);
            }
            let ready = if boolean(st, "/ready") {
                "True"
            } else {
                "False"
            };
            w.write(LEVEL_2, &format!("Ready:\t{ready}\n"));
            w.write(
                LEVEL_2,
                &format!("Restart Count:\t{}\n", int(st, "/restartCount")),
            );
        }
        if let Some(resources) = container.get("resources") {
            describe_resources(resources, w, LEVEL_2);
        }
        for (field, title) in [
            ("livenessProbe", "Liveness"),
            ("readinessProbe", "Readiness"),
            ("startupProbe", "Startup"),
        ] {
            if let Some(probe) = container.get(field).filter(|p| p.is_object()) {
                w.write(LEVEL_2, &format!("{title}:\t{}\n", describe_probe(probe)));
            }
        }
        describe_env_from(container, w);
        describe_env(pod, container, w);
        describe_mounts(container, w);
    }
}

fn or_none(text: &str) -> String {
    if text.is_empty() {
        "<none>".to_string()
    } else {
        text.to_string()
    }
}

/// describeStatus: `State:  Running` + `Started:`, `Waiting` + `Reason:`, or `Terminated`
/// + `Reason:`, `Message:`, `Exit Code:`, `Signal:`, `Started:`, `Finished:`.
fn describe_state(name: &str, state: Option<&Value>, w: &mut PrefixWriter) {
    let state = state.unwrap_or(&Value::Null);
    if present(state, "/running") {
        w.write(LEVEL_2, &format!("{name}:\tRunning\n"));
        w.write(
            LEVEL_3,
            &format!("Started:\t{}\n", rfc1123z_at(state, "/running/startedAt")),
        );
    } else if present(state, "/waiting") {
        w.write(LEVEL_2, &format!("{name}:\tWaiting\n"));
        if !s(state, "/waiting/reason").is_empty() {
            w.write(
                LEVEL_3,
                &format!("Reason:\t{}\n", s(state, "/waiting/reason")),
            );
        }
    } else if present(state, "/terminated") {
        w.write(LEVEL_2, &format!("{name}:\tTerminated\n"));
        if !s(state, "/terminated/reason").is_empty() {
            w.write(
                LEVEL_3,
                &format!("Reason:\t{}\n", s(state, "/terminated/reason")),
            );
        }
        if !s(state, "/terminated/message").is_empty() {
            w.write(
                LEVEL_3,
                &format!("Message:\t{}\n", s(state, "/terminated/message")),
            );
        }
        w.write(
            LEVEL_3,
            &format!("Exit Code:\t{}\n", int(state, "/terminated/exitCode")),
        );
        if int(state, "/terminated/signal") > 0 {
            w.write(
                LEVEL_3,
                &format!("Signal:\t{}\n", int(state, "/terminated/signal")),
            );
        }
        w.write(
            LEVEL_3,
            &format!(
                "Started:\t{}\n",
                rfc1123z_at(state, "/terminated/startedAt")
            ),
        );
        w.write(
            LEVEL_3,
            &format!(
                "Finished:\t{}\n",
                rfc1123z_at(state, "/terminated/finishedAt")
            ),
        );
    } else {
        w.write(LEVEL_2, &format!("{name}:\tWaiting\n"));
    }
}

/// describeResources: `Limits:` / `Requests:` with one `name:  quantity` per resource,
/// sorted by name. Quantities print as stored (the apiserver stores canonical forms).
fn describe_resources(resources: &Value, w: &mut PrefixWriter, level: usize) {
    for (field, title) in [("limits", "Limits"), ("requests", "Requests")] {
        let Some(list) = resources.get(field).and_then(Value::as_object) else {
            continue;
        };
        if list.is_empty() {
            continue;
        }
        w.write(level, &format!("{title}:\n"));
        for (name, quantity) in list {
            let text = match quantity {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            w.write(level + 1, &format!("{name}:\t{text}\n"));
        }
    }
}

/// DescribeProbe: `http-get http://:8080/healthz delay=3s timeout=1s period=3s
/// #success=1 #failure=3`, `exec [cat /tmp/healthy] …`, `tcp-socket :8080 …`,
/// `grpc <pod>:2379  …`.
pub fn describe_probe(probe: &Value) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        int(probe, "/initialDelaySeconds"),
        int(probe, "/timeoutSeconds"),
        int(probe, "/periodSeconds"),
        int(probe, "/successThreshold"),
        int(probe, "/failureThreshold")
    );
    if present(probe, "/exec") {
        let command: Vec<&str> = array(probe, "/exec/command")
            .iter()
            .map(|c| c.as_str().unwrap_or(""))
            .collect();
        format!("exec [{}] {attrs}", command.join(" "))
    } else if let Some(http) = probe.get("httpGet").filter(|h| h.is_object()) {
        let host = s(http, "/host");
        let port = int_or_string(http.get("port"));
        let host_port = if port.is_empty() {
            host.to_string()
        } else {
            join_host_port(host, &port)
        };
        let mut path = s(http, "/path").to_string();
        if !path.is_empty() && !path.starts_with('/') && !host_port.is_empty() {
            path.insert(0, '/');
        }
        let scheme = s(http, "/scheme").to_lowercase();
        let url = if scheme.is_empty() {
            format!("//{host_port}{path}")
        } else {
            format!("{scheme}://{host_port}{path}")
        };
        format!("http-get {url} {attrs}")
    } else if let Some(tcp) = probe.get("tcpSocket").filter(|t| t.is_object()) {
        format!(
            "tcp-socket {}:{} {attrs}",
            s(tcp, "/host"),
            int_or_string(tcp.get("port"))
        )
    } else if let Some(grpc) = probe.get("grpc").filter(|g| g.is_object()) {
        format!(
            "grpc <pod>:{} {} {attrs}",
            int(grpc, "/port"),
            s(grpc, "/service")
        )
    } else {
        format!("unknown {attrs}")
    }
}

/// net.JoinHostPort: brackets around IPv6 hosts.
fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn describe_env_from(container: &Value, w: &mut PrefixWriter) {
    let sources = array(container, "/envFrom");
    if sources.is_empty() {
        return;
    }
    w.write(LEVEL_2, "Environment Variables from:\n");
    for e in sources {
        let (from, name, optional) = if present(e, "/configMapRef") {
            (
                "ConfigMap",
                s(e, "/configMapRef/name"),
                boolean(e, "/configMapRef/optional"),
            )
        } else if present(e, "/secretRef") {
            (
                "Secret",
                s(e, "/secretRef/name"),
                boolean(e, "/secretRef/optional"),
            )
        } else {
            ("", "", false)
        };
        let prefix = s(e, "/prefix");
        if prefix.is_empty() {
            w.write(LEVEL_3, &format!("{name}\t{from}\tOptional: {optional}\n"));
        } else {
            w.write(
                LEVEL_3,
                &format!("{name}\t{from} with prefix '{prefix}'\tOptional: {optional}\n"),
            );
        }
    }
}

fn describe_env(pod: &Value, container: &Value, w: &mut PrefixWriter) {
    let env = array(container, "/env");
    if env.is_empty() {
        w.write(LEVEL_2, "Environment:\t<none>\n");
        return;
    }
    w.write(LEVEL_2, "Environment:\n");
    for e in env {
        let name = s(e, "/name");
        let Some(from) = e.get("valueFrom").filter(|v| v.is_object()) else {
            for (i, line) in s(e, "/value").split('\n').enumerate() {
                if i == 0 {
                    w.write(LEVEL_3, &format!("{name}:\t{line}\n"));
                } else {
                    w.write(LEVEL_3, &format!("\t{line}\n"));
                }
            }
            continue;
        };
        if let Some(field) = from.get("fieldRef").filter(|f| f.is_object()) {
            let path = s(field, "/fieldPath");
            w.write(
                LEVEL_3,
                &format!(
                    "{name}:\t{} ({}:{path})\n",
                    pod_field_value(pod, path),
                    s(field, "/apiVersion")
                ),
            );
        } else if let Some(field) = from.get("resourceFieldRef").filter(|f| f.is_object()) {
            let resource = s(field, "/resource");
            let mut value = container_resource_value(container, field);
            if value == "0" && (resource == "limits.cpu" || resource == "limits.memory") {
                value = "node allocatable".to_string();
            }
            w.write(LEVEL_3, &format!("{name}:\t{value} ({resource})\n"));
        } else if let Some(key_ref) = from.get("secretKeyRef").filter(|f| f.is_object()) {
            w.write(
                LEVEL_3,
                &format!(
                    "{name}:\t<set to the key '{}' in secret '{}'>\tOptional: {}\n",
                    s(key_ref, "/key"),
                    s(key_ref, "/name"),
                    boolean(key_ref, "/optional")
                ),
            );
        } else if let Some(key_ref) = from.get("configMapKeyRef").filter(|f| f.is_object()) {
            w.write(
                LEVEL_3,
                &format!(
                    "{name}:\t<set to the key '{}' of config map '{}'>\tOptional: {}\n",
                    s(key_ref, "/key"),
                    s(key_ref, "/name"),
                    boolean(key_ref, "/optional")
                ),
            );
        }
    }
}

/// The downward-API value of a pod field (fieldpath.ExtractFieldPathAsString for the
/// paths the API accepts in `env[].valueFrom.fieldRef`); "" for anything else.
fn pod_field_value(pod: &Value, path: &str) -> String {
    let quoted_key = |prefix: &str| -> Option<String> {
        let rest = path.strip_prefix(prefix)?.strip_prefix("['")?;
        Some(rest.strip_suffix("']")?.to_string())
    };
    if let Some(key) = quoted_key("metadata.labels") {
        return s(
            pod,
            &format!(
                "/metadata/labels/{}",
                key.replace('~', "~0").replace('/', "~1")
            ),
        )
        .to_string();
    }
    if let Some(key) = quoted_key("metadata.annotations") {
        return s(
            pod,
            &format!(
                "/metadata/annotations/{}",
                key.replace('~', "~0").replace('/', "~1")
            ),
        )
        .to_string();
    }
    let join_ips = |pointer: &str| -> String {
        array(pod, pointer)
            .iter()
            .map(|ip| s(ip, "/ip"))
            .collect::<Vec<_>>()
            .join(",")
    };
    match path {
        "metadata.name" => object::name(pod).to_string(),
        "metadata.namespace" => object::namespace(pod).to_string(),
        "metadata.uid" => s(pod, "/metadata/uid").to_string(),
        "spec.nodeName" => s(pod, "/spec/nodeName").to_string(),
        "spec.serviceAccountName" => s(pod, "/spec/serviceAccountName").to_string(),
        "status.hostIP" => s(pod, "/status/hostIP").to_string(),
        "status.podIP" => s(pod, "/status/podIP").to_string(),
        "status.podIPs" => join_ips("/status/podIPs"),
        "status.hostIPs" => join_ips("/status/hostIPs"),
        _ => String::new(),
    }
}

/// resourcehelper.ExtractContainerResourceValue: the container's own limit/request
/// divided by the divisor (default 1), rounded up; "0" when not set.
fn container_resource_value(container: &Value, field: &Value) -> String {
    let resource = s(field, "/resource");
    let Some((kind, name)) = resource.split_once('.') else {
        return String::new();
    };
    let list = match kind {
        "limits" => "limits",
        "requests" => "requests",
        _ => return String::new(),
    };
    let quantity = container
        .at(&format!("/resources/{list}/{name}"))
        .and_then(|q| Quantity::from_json(q).ok())
        .unwrap_or(Quantity::ZERO);
    let divisor = field
        .get("divisor")
        .and_then(|d| Quantity::from_json(d).ok())
        .filter(|d| *d != Quantity::ZERO)
        .unwrap_or(Quantity::from_value(1));
    let (numerator, denominator) = if name == "cpu" {
        (quantity.milli_value(), divisor.milli_value())
    } else {
        (quantity.value(), divisor.value())
    };
    if denominator <= 0 {
        return String::new();
    }
    let value = numerator / denominator + i128::from(numerator % denominator > 0);
    value.to_string()
}

fn describe_mounts(container: &Value, w: &mut PrefixWriter) {
    let mounts = array(container, "/volumeMounts");
    if mounts.is_empty() {
        w.write(LEVEL_2, "Mounts:\t<none>\n");
    } else {
        w.write(LEVEL_2, "Mounts:\n");
        let mut sorted: Vec<&Value> = mounts.iter().collect();
        sorted.sort_by(|a, b| s(a, "/mountPath").cmp(s(b, "/mountPath")));
        for m in sorted {
            let mut flags = vec![if boolean(m, "/readOnly") { "ro" } else { "rw" }.to_string()];
            if !s(m, "/subPath").is_empty() {
                flags.push(format!("path={:?}", s(m, "/subPath")));
            }
            w.write(
                LEVEL_3,
                &format!(
                    "{} from {} ({})\n",
                    s(m, "/mountPath"),
                    s(m, "/name"),
                    flags.join(",")
                ),
            );
        }
    }
    let devices = array(container, "/volumeDevices");
    if !devices.is_empty() {
        w.write(LEVEL_2, "Devices:\n");
        let mut sorted: Vec<&Value> = devices.iter().collect();
        sorted.sort_by(|a, b| s(a, "/devicePath").cmp(s(b, "/devicePath")));
        for d in sorted {
            w.write(
                LEVEL_3,
                &format!("{} from {}\n", s(d, "/devicePath"), s(d, "/name")),
            );
        }
    }
}

/// Go's `%v` of an unset `*bool` is `<nil>`; a set one prints its address. The address is
/// arbitrary on a real cluster; a fixed plausible one keeps the output deterministic.
fn go_bool_pointer(v: Option<&Value>) -> &'static str {
    match v {
        Some(Value::Bool(_)) => "0xc000a1f2b8",
        _ => "<nil>",
    }
}

fn describe_volumes(volumes: &[Value], w: &mut PrefixWriter) {
    if volumes.is_empty() {
        w.write(LEVEL_0, "Volumes:\t<none>\n");
        return;
    }
    w.write(LEVEL_0, "Volumes:\n");
    for v in volumes {
        w.write(LEVEL_1, &format!("{}:\n", s(v, "/name")));
        if let Some(host_path) = v.get("hostPath").filter(|x| x.is_object()) {
            let kind = host_path
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("<none>");
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{kind}\n",
                    s(host_path, "/path")
                ),
            );
        } else if let Some(empty_dir) = v.get("emptyDir").filter(|x| x.is_object()) {
            let size_limit = empty_dir
                .get("sizeLimit")
                .filter(|q| Quantity::from_json(q).is_ok_and(|q| q > Quantity::ZERO))
                .map(|q| {
                    q.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| q.to_string())
                })
                .unwrap_or_else(|| "<unset>".to_string());
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t{}\n    SizeLimit:\t{size_limit}\n",
                    s(empty_dir, "/medium")
                ),
            );
        } else if let Some(secret) = v.get("secret").filter(|x| x.is_object()) {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{}\n    Optional:\t{}\n",
                    s(secret, "/secretName"),
                    boolean(secret, "/optional")
                ),
            );
        } else if let Some(config_map) = v.get("configMap").filter(|x| x.is_object()) {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{}\n    Optional:\t{}\n",
                    s(config_map, "/name"),
                    boolean(config_map, "/optional")
                ),
            );
        } else if let Some(claim) = v.get("persistentVolumeClaim").filter(|x| x.is_object()) {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t{}\n    ReadOnly:\t{}\n",
                    s(claim, "/claimName"),
                    boolean(claim, "/readOnly")
                ),
            );
        } else if let Some(downward) = v.get("downwardAPI").filter(|x| x.is_object()) {
            w.write(
                LEVEL_2,
                "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n",
            );
            for item in array(downward, "/items") {
                if present(item, "/fieldRef") {
                    w.write(
                        LEVEL_3,
                        &format!(
                            "{} -> {}\n",
                            s(item, "/fieldRef/fieldPath"),
                            s(item, "/path")
                        ),
                    );
                }
                if present(item, "/resourceFieldRef") {
                    w.write(
                        LEVEL_3,
                        &format!(
                            "{} -> {}\n",
                            s(item, "/resourceFieldRef/resource"),
                            s(item, "/path")
                        ),
                    );
                }
            }
        } else if let Some(projected) = v.get("projected").filter(|x| x.is_object()) {
            // v1.31/v1.32 printProjectedVolumeSource (the `%v` of *bool Optional fields).
            w.write(
                LEVEL_2,
                "Type:\tProjected (a volume that contains injected data from multiple sources)\n",
            );
            for source in array(projected, "/sources") {
                if let Some(secret) = source.get("secret").filter(|x| x.is_object()) {
                    w.write(
                        LEVEL_2,
                        &format!(
                            "SecretName:\t{}\n    SecretOptionalName:\t{}\n",
                            s(secret, "/name"),
                            go_bool_pointer(secret.get("optional"))
                        ),
                    );
                } else if present(source, "/downwardAPI") {
                    w.write(LEVEL_2, "DownwardAPI:\ttrue\n");
                } else if let Some(config_map) = source.get("configMap").filter(|x| x.is_object()) {
                    w.write(
                        LEVEL_2,
                        &format!(
                            "ConfigMapName:\t{}\n    ConfigMapOptional:\t{}\n",
                            s(config_map, "/name"),
                            go_bool_pointer(config_map.get("optional"))
                        ),
                    );
                } else if present(source, "/serviceAccountToken") {
                    w.write(
                        LEVEL_2,
                        &format!(
                            "TokenExpirationSeconds:\t{}\n",
                            int(source, "/serviceAccountToken/expirationSeconds")
                        ),
                    );
                }
            }
        } else {
            w.write(LEVEL_1, "<unknown>\n");
        }
    }
}

/// qos.GetPodQOS: `status.qosClass` when the apiserver has set it, otherwise computed
/// as ComputePodQOS does (cpu and memory of all app and init containers).
pub fn qos_class(pod: &Value) -> String {
    let stored = s(pod, "/status/qosClass");
    if !stored.is_empty() {
        return stored.to_string();
    }
    let mut requests: Vec<(String, Quantity)> = Vec::new();
    let mut limits: Vec<(String, Quantity)> = Vec::new();
    let mut guaranteed = true;
    let containers = array(pod, "/spec/containers")
        .iter()
        .chain(array(pod, "/spec/initContainers"));
    let add = |list: &mut Vec<(String, Quantity)>, name: &str, q: Quantity| match list
        .iter_mut()
        .find(|(n, _)| n == name)
    {
        Some((_, total)) => *total = total.saturating_add(q),
        None => list.push((name.to_string(), q)),
    };
    for c in containers {
        for (field, is_limit) in [("requests", false), ("limits", true)] {
            let mut found = Vec::new();
            if let Some(list) = c
                .at(&format!("/resources/{field}"))
                .and_then(Value::as_object)
            {
                for (name, q) in list {
                    if name != "cpu" && name != "memory" {
                        continue;
                    }
                    let Ok(q) = Quantity::from_json(q) else {
                        continue;
                    };
                    if q > Quantity::ZERO {
                        found.push(name.as_str());
                        add(if is_limit { &mut limits } else { &mut requests }, name, q);
                    }
                }
            }
            if is_limit && !(found.contains(&"cpu") && found.contains(&"memory")) {
                guaranteed = false;
            }
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort".to_string();
    }
    if guaranteed {
        guaranteed = requests
            .iter()
            .all(|(name, req)| limits.iter().any(|(n, lim)| n == name && lim == req));
    }
    if guaranteed && requests.len() == limits.len() {
        "Guaranteed".to_string()
    } else {
        "Burstable".to_string()
    }
}

// ---------------------------------------------------------------------------------------
// -o yaml
// ---------------------------------------------------------------------------------------

/// `kubectl get -o yaml`: the stored object as sigs.k8s.io/yaml (go-yaml v2) prints it:
/// keys in alphabetical order (serde_json's map is a BTreeMap here), sequences not
/// indented under their key, `{}`/`[]` for empty collections, and go-yaml's quoting:
/// strings that would read back as another type (`"True"`, `"1021"`, `""`,
/// `"2025-06-02T09:00:00Z"`) in double quotes, strings that cannot be plain (`'*'`,
/// `'a: b'`) in single quotes, multi-line strings as `|` / `|-` blocks.
/// Not reproduced: go-yaml's folding of long plain strings at 80 columns.
pub fn to_yaml(obj: &Value) -> String {
    let mut out = String::new();
    match obj {
        Value::Object(m) if !m.is_empty() => yaml_map(m, 0, &mut out),
        Value::Array(a) if !a.is_empty() => yaml_seq(a, 0, &mut out),
        other => {
            out.push_str(&yaml_scalar(other, 0));
            out.push('\n');
        }
    }
    out
}

fn yaml_map(map: &Map<String, Value>, indent: usize, out: &mut String) {
    for (key, value) in map {
        out.extend(std::iter::repeat_n(' ', indent));
        out.push_str(&yaml_string(key, indent));
        yaml_value_after_key(value, indent, out);
    }
}

/// Writes `: value` (or `:` and a nested block) after a map key at `indent`.
fn yaml_value_after_key(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push_str(":\n");
            yaml_map(m, indent + 2, out);
        }
        // go-yaml v2 does not indent a sequence under its key.
        Value::Array(a) if !a.is_empty() => {
            out.push_str(":\n");
            yaml_seq(a, indent, out);
        }
        other => {
            out.push_str(": ");
            out.push_str(&yaml_scalar(other, indent + 2));
            out.push('\n');
        }
    }
}

fn yaml_seq(items: &[Value], indent: usize, out: &mut String) {
    for item in items {
        out.extend(std::iter::repeat_n(' ', indent));
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => {
                // The first key shares the `- ` line; the others align under it.
                for (i, (key, value)) in m.iter().enumerate() {
                    if i > 0 {
                        out.extend(std::iter::repeat_n(' ', indent + 2));
                    }
                    out.push_str(&yaml_string(key, indent + 2));
                    yaml_value_after_key(value, indent + 2, out);
                }
            }
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                yaml_seq(a, indent + 2, out);
            }
            other => {
                out.push_str(&yaml_scalar(other, indent + 2));
                out.push('\n');
            }
        }
    }
}

fn yaml_scalar(value: &Value, indent: usize) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_string(s, indent),
        Value::Array(_) => "[]".to_string(),
        Value::Object(_) => "{}".to_string(),
    }
}

/// go-yaml v2's choice of style for a string scalar.
fn yaml_string(text: &str, indent: usize) -> String {
    if text.contains('\n') {
        return yaml_literal(text, indent);
    }
    if resolves_to_non_string(text) {
        return yaml_double_quoted(text);
    }
    if plain_allowed(text) {
        return text.to_string();
    }
    if text.chars().all(|c| !c.is_control()) {
        return format!("'{}'", text.replace('\'', "''"));
    }
    yaml_double_quoted(text)
}

fn yaml_double_quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A `|` block; `|-` when the text has no final newline, `|+` when it has several.
fn yaml_literal(text: &str, indent: usize) -> String {
    let chomp = if !text.ends_with('\n') {
        "-"
    } else if text.ends_with("\n\n") {
        "+"
    } else {
        ""
    };
    let mut out = format!("|{chomp}");
    let body = text.strip_suffix('\n').unwrap_or(text);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.extend(std::iter::repeat_n(' ', indent));
            out.push_str(line);
        }
    }
    out
}

/// Whether go-yaml v2's resolver reads the plain text as something other than a string
/// (null, a YAML 1.1 bool, an int, a float, a timestamp): the encoder then quotes it.
fn resolves_to_non_string(text: &str) -> bool {
    const SPECIAL: [&str; 36] = [
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".inf", ".Inf", ".INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",
    ];
    if SPECIAL.contains(&text) {
        return true;
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let digits = unsigned.replace('_', "");
    let all = |s: &str, f: fn(u8) -> bool| !s.is_empty() && s.bytes().all(f);
    let is_int = all(&digits, |b| b.is_ascii_digit())
        || digits
            .strip_prefix("0x")
            .is_some_and(|h| all(h, |b| b.is_ascii_hexdigit()))
        || digits
            .strip_prefix("0b")
            .is_some_and(|h| all(h, |b| b == b'0' || b == b'1'));
    let (mantissa, exponent) = match digits.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (digits.as_str(), None),
    };
    let exponent_ok = exponent.is_none_or(|e| all(e, |b| b.is_ascii_digit()));
    let mantissa_ok = mantissa.matches('.').count() <= 1
        && mantissa.bytes().any(|b| b.is_ascii_digit())
        && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && (mantissa.contains('.') || exponent.is_some());
    let is_float = mantissa_ok && exponent_ok;
    let bytes = text.as_bytes();
    let is_timestamp = bytes.len() >= 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && (bytes.len() == 10 || clock::parse_rfc3339(text).is_some());
    is_int || is_float || is_timestamp
}

/// The emitter's test for plain style: indicators at the start, `: ` or ` #` inside,
/// or surrounding spaces force quoting.
fn plain_allowed(text: &str) -> bool {
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-`, `?` and `:` may start a plain scalar when a non-space follows.
        let next_is_text = chars.next().is_some_and(|c| c != ' ');
        if !("-?:".contains(first) && next_is_text) {
            return false;
        }
    }
    if text.starts_with(' ') || text.ends_with(' ') || text.ends_with(':') {
        return false;
    }
    if text.contains(": ") || text.contains(" #") {
        return false;
    }
    text.chars().all(|c| !c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1000;

    fn t(at_ms: u64) -> String {
        clock::rfc3339(at_ms)
    }

    /// `kubectl run nginx --image=nginx` as the apiserver stored it (defaults and
    /// admission of B.2.3), before the scheduler saw it.
    fn pending_nginx() -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "nginx", "namespace": "default", "uid": "0a1c2e4f-5b6d-4e8f-9a0b-1c2d3e4f5a6b",
                "resourceVersion": "1021", "creationTimestamp": t(0), "labels": {"run": "nginx"}
            },
            "spec": {
                "containers": [{
                    "name": "nginx", "image": "nginx", "imagePullPolicy": "Always", "resources": {},
                    "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                    "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                                      "name": "kube-api-access-2kfll", "readOnly": true}]
                }],
                "dnsPolicy": "ClusterFirst", "enableServiceLinks": true, "preemptionPolicy": "PreemptLowerPriority",
                "priority": 0, "restartPolicy": "Always", "schedulerName": "default-scheduler",
                "securityContext": {}, "serviceAccount": "default", "serviceAccountName": "default",
                "terminationGracePeriodSeconds": 30,
                "tolerations": [
                    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
                    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}
                ],
                "volumes": [{"name": "kube-api-access-2kfll", "projected": {"defaultMode": 420, "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                    {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}
                ]}}]
            },
            "status": {"phase": "Pending", "qosClass": "BestEffort"}
        })
    }

    /// The same pod after binding to w1 and the kubelet's status patch (B.9, +2.5 s).
    fn running_nginx() -> Value {
        let mut pod = pending_nginx();
        pod["spec"]["nodeName"] = json!("w1");
        pod["status"] = json!({
            "phase": "Running", "qosClass": "BestEffort",
            "hostIP": "10.0.0.11", "hostIPs": [{"ip": "10.0.0.11"}],
            "podIP": "10.244.1.2", "podIPs": [{"ip": "10.244.1.2"}],
            "startTime": t(0),
            "conditions": [
                {"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": t(2 * S)},
                {"type": "Initialized", "status": "True", "lastTransitionTime": t(0)},
                {"type": "Ready", "status": "True", "lastTransitionTime": t(2 * S)},
                {"type": "ContainersReady", "status": "True", "lastTransitionTime": t(2 * S)},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": t(0)}
            ],
            "containerStatuses": [{
                "name": "nginx", "image": "docker.io/library/nginx:latest",
                "imageID": "docker.io/library/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
                "containerID": "containerd://5d76c3a1b9e04f5e8a7d2c6b1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e",
                "ready": true, "restartCount": 0, "started": true,
                "state": {"running": {"startedAt": t(2 * S)}}, "lastState": {}
            }]
        });
        pod
    }

    fn ev(
        pod: &Value,
        at: u64,
        seq: u32,
        type_: &str,
        reason: &str,
        message: &str,
        component: &str,
    ) -> Value {
        let host = if component == "kubelet" { "w1" } else { "" };
        let field_path = if component == "kubelet" {
            "spec.containers{nginx}"
        } else {
            ""
        };
        new_event(
            pod,
            &EventSpec {
                type_,
                reason,
                message,
                component,
                host,
                field_path,
            },
            at,
            seq,
        )
    }

    fn nginx_events(pod: &Value) -> Vec<Value> {
        vec![
            ev(pod, 5, 0, "Normal", "Scheduled", "Successfully assigned default/nginx to w1", "default-scheduler"),
            ev(pod, 600, 0, "Normal", "Pulling", "Pulling image \"nginx\"", "kubelet"),
            ev(pod, 2 * S + 400, 0, "Normal", "Pulled", "Successfully pulled image \"nginx\" in 1.805s (1.805s including waiting). Image size: 72188133 bytes.", "kubelet"),
            ev(pod, 2 * S + 410, 0, "Normal", "Created", "Created container: nginx", "kubelet"),
            ev(pod, 2 * S + 450, 0, "Normal", "Started", "Started container nginx", "kubelet"),
        ]
    }

    // ---- tabwriter ----

    #[test]
    fn tabwriter_blocks_are_contiguous_tab_lines() {
        let mut tw = TabWriter::for_describe();
        // A line without a tab ends the column block; the last cell is never padded.
        let out = tw.format("a:\tx\nlonger:\ty\nbreak\nb:\tz\n");
        assert_eq!(out, "a:       x\nlonger:  y\nbreak\nb:  z\n");
        // Nested columns only span lines that have them.
        let out = TabWriter::for_describe().format("a\tb\tc\naaaa\tb\n");
        assert_eq!(out, "a     b  c\naaaa  b\n");
    }

    #[test]
    fn tabwriter_get_settings_and_remembered_widths() {
        let mut tw = TabWriter::for_get();
        assert_eq!(tw.format("A\tB\nx\ty\n"), "A     B\nx     y\n"); // minwidth 6
                                                                     // Widths only grow across flushes (RememberWidths).
        assert_eq!(tw.format("longer-name\ty\n"), "longer-name   y\n");
        assert_eq!(tw.format("x\ty\n"), "x             y\n");
    }

    // ---- pod rows ----

    fn with_status(mut pod: Value, status: Value) -> Value {
        pod["status"] = status;
        pod
    }

    #[test]
    fn get_pods_pending_row_and_empty_list() {
        let pod = pending_nginx();
        let out = get_pods(&[&pod], "default", 3 * S, false);
        assert_eq!(
            out.stdout,
            "NAME    READY   STATUS    RESTARTS   AGE\nnginx   0/1     Pending   0          3s\n"
        );
        assert_eq!(out.stderr, "");
        let empty = get_pods(&[], "default", 0, false);
        assert_eq!(empty.stdout, "");
        assert_eq!(empty.stderr, "No resources found in default namespace.\n");
    }

    #[test]
    fn get_pods_wide_pending_row_matches_capture() {
        let mut pod = pending_nginx();
        pod["metadata"]["name"] = json!("unschedulable");
        let out = get_pods(&[&pod], "default", 5 * S, true);
        assert_eq!(
            out.stdout.lines().nth(1),
            Some("unschedulable   0/1     Pending   0          5s    <none>   <none>   <none>           <none>")
        );
        assert!(out.stdout.starts_with(
            "NAME            READY   STATUS    RESTARTS   AGE   IP       NODE     NOMINATED NODE   READINESS GATES\n"
        ));
    }

    #[test]
    fn get_pods_rows_are_sorted_by_name() {
        let mut b = pending_nginx();
        b["metadata"]["name"] = json!("b");
        let mut a = pending_nginx();
        a["metadata"]["name"] = json!("a");
        let out = get_pods(&[&b, &a], "default", 0, false);
        let names: Vec<&str> = out.stdout.lines().skip(1).map(|l| &l[..1]).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn watch_rows_keep_growing_widths_like_kubectl_get_w() {
        let mut w = PodWatchPrinter::new(false);
        let pending = pending_nginx();
        let creating = with_status(
            pending_nginx(),
            json!({"phase": "Pending", "containerStatuses": [
                {"name": "nginx", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}
            ]}),
        );
        assert_eq!(
            w.row(&pending, 0),
            "NAME    READY   STATUS    RESTARTS   AGE\nnginx   0/1     Pending   0          0s\n"
        );
        assert_eq!(
            w.row(&pending, 0),
            "nginx   0/1     Pending   0          0s\n"
        );
        assert_eq!(
            w.row(&creating, 0),
            "nginx   0/1     ContainerCreating   0          0s\n"
        );
        assert_eq!(
            w.row(&pending, 3 * S),
            "nginx   0/1     Pending             0          3s\n"
        );
        assert_eq!(
            w.row(&running_nginx(), 3 * S),
            "nginx   1/1     Running             0          3s\n"
        );
    }

    #[test]
    fn crash_loop_back_off_with_restart_age() {
        let now = 600 * S;
        let pod = with_status(
            pending_nginx(),
            json!({"phase": "Running", "containerStatuses": [{
                "name": "nginx", "ready": false, "restartCount": 5, "started": false,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s restarting failed container=nginx pod=nginx_default(0a1c)"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": t(now - 121 * S), "finishedAt": t(now - 120 * S)}}
            }]}),
        );
        assert_eq!(pod_status(&pod), "CrashLoopBackOff");
        assert_eq!(pod_ready(&pod), "0/1");
        assert_eq!(pod_restarts(&pod, now), "5 (2m ago)");
        let out = get_pods(&[&pod], "default", now, false);
        assert_eq!(
            out.stdout.lines().nth(1),
            Some("nginx   0/1     CrashLoopBackOff   5 (2m ago)   10m")
        );
    }

    #[test]
    fn completed_oomkilled_error_and_exit_codes() {
        let term = |reason: &str, code: i64, signal: i64| {
            with_status(
                pending_nginx(),
                json!({"phase": "Failed", "containerStatuses": [{
                    "name": "nginx", "ready": false, "restartCount": 0,
                    "state": {"terminated": {"exitCode": code, "signal": signal, "reason": reason}}
                }]}),
            )
        };
        assert_eq!(pod_status(&term("Completed", 0, 0)), "Completed");
        assert_eq!(pod_status(&term("OOMKilled", 137, 0)), "OOMKilled");
        assert_eq!(pod_status(&term("Error", 1, 0)), "Error");
        assert_eq!(pod_status(&term("", 2, 0)), "ExitCode:2");
        assert_eq!(pod_status(&term("", 137, 9)), "Signal:9");

        // OOMKilled with Always: the last run is kept in lastState; RESTARTS shows its age.
        let now = 24 * S;
        let oom = with_status(
            pending_nginx(),
            json!({"phase": "Running", "containerStatuses": [{
                "name": "nginx", "ready": false, "restartCount": 1,
                "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": t(now - 2 * S)}},
                "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": t(now - 12 * S)}}
            }]}),
        );
        let row = pod_cells(&oom, now, false);
        assert_eq!(row, ["nginx", "0/1", "OOMKilled", "1 (12s ago)", "24s"]);
    }

    #[test]
    fn completed_with_a_running_container_is_running_or_not_ready() {
        let mut pod = pending_nginx();
        pod["spec"]["containers"] =
            json!([{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]);
        let status = |ready_condition: &str| {
            json!({"phase": "Running",
            "conditions": [{"type": "Ready", "status": ready_condition}],
            "containerStatuses": [
                {"name": "a", "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                {"name": "b", "ready": true, "restartCount": 0, "state": {"running": {"startedAt": t(0)}}}
            ]})
        };
        assert_eq!(
            pod_status(&with_status(pod.clone(), status("True"))),
            "Running"
        );
        assert_eq!(
            pod_status(&with_status(pod.clone(), status("False"))),
            "NotReady"
        );
        assert_eq!(pod_ready(&with_status(pod, status("False"))), "1/2");
    }

    fn with_init(status: Value) -> Value {
        let mut pod = pending_nginx();
        pod["spec"]["initContainers"] =
            json!([{"name": "init-myservice", "image": "busybox:1.28"}]);
        with_status(pod, status)
    }

    #[test]
    fn init_container_statuses() {
        let running_init = with_init(json!({"phase": "Pending",
            "conditions": [{"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized"}],
            "initContainerStatuses": [{"name": "init-myservice", "ready": false, "restartCount": 0,
                "state": {"running": {"startedAt": t(0)}}}],
            "containerStatuses": [{"name": "nginx", "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": "PodInitializing"}}}]}));
        assert_eq!(pod_status(&running_init), "Init:0/1");
        assert_eq!(pod_ready(&running_init), "0/1");

        let pull_error = with_init(json!({"phase": "Pending",
            "initContainerStatuses": [{"name": "init-myservice", "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": "ErrImagePull"}}}]}));
        assert_eq!(pod_status(&pull_error), "Init:ErrImagePull");

        let failed = with_init(json!({"phase": "Pending",
            "initContainerStatuses": [{"name": "init-myservice", "ready": false, "restartCount": 3,
                "state": {"terminated": {"exitCode": 1, "reason": "Error"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": t(50 * S)}}}]}));
        assert_eq!(pod_status(&failed), "Init:Error");
        assert_eq!(pod_restarts(&failed, 60 * S), "3 (10s ago)");
        let no_reason = with_init(json!({"phase": "Pending",
            "initContainerStatuses": [{"name": "init-myservice", "restartCount": 0,
                "state": {"terminated": {"exitCode": 2}}}]}));
        assert_eq!(pod_status(&no_reason), "Init:ExitCode:2");
    }

    #[test]
    fn sidecar_counts_in_ready_and_total() {
        let mut pod = pending_nginx();
        pod["spec"]["initContainers"] =
            json!([{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}]);
        let pod = with_status(
            pod,
            json!({"phase": "Running",
            "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}],
            "initContainerStatuses": [{"name": "proxy", "ready": true, "started": true, "restartCount": 1,
                "state": {"running": {"startedAt": t(0)}},
                "lastState": {"terminated": {"exitCode": 1, "finishedAt": t(30 * S)}}}],
            "containerStatuses": [{"name": "nginx", "ready": true, "restartCount": 0,
                "state": {"running": {"startedAt": t(0)}}}]}),
        );
        assert_eq!(pod_ready(&pod), "2/2");
        assert_eq!(pod_status(&pod), "Running");
        assert_eq!(pod_restarts(&pod, 94 * S), "1 (64s ago)");
    }

    #[test]
    fn scheduling_gated_terminating_and_unknown() {
        let gated = with_status(
            pending_nginx(),
            json!({"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated",
             "message": "Scheduling is blocked due to non-empty scheduling gates"}]}),
        );
        assert_eq!(pod_status(&gated), "SchedulingGated");

        let mut deleting = running_nginx();
        deleting["metadata"]["deletionTimestamp"] = json!(t(40 * S));
        deleting["metadata"]["deletionGracePeriodSeconds"] = json!(30);
        assert_eq!(pod_status(&deleting), "Terminating");
        // A finished pod being deleted keeps its terminal status.
        let mut done = with_status(
            pending_nginx(),
            json!({"phase": "Succeeded", "containerStatuses": [
            {"name": "nginx", "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
        );
        done["metadata"]["deletionTimestamp"] = json!(t(40 * S));
        assert_eq!(pod_status(&done), "Completed");
        let mut lost = running_nginx();
        lost["metadata"]["deletionTimestamp"] = json!(t(40 * S));
        lost["status"]["reason"] = json!("NodeLost");
        assert_eq!(pod_status(&lost), "Unknown");
    }

    #[test]
    fn malformed_pods_do_not_panic() {
        for pod in [
            json!(null),
            json!({}),
            json!({"status": {"containerStatuses": "x"}}),
            json!({"spec": {"containers": 3}}),
        ] {
            let _ = pod_cells(&pod, 0, true);
            let _ = describe_pod(&pod, &[], 0);
        }
        assert_eq!(pod_cells(&json!({}), 0, false)[4], "<unknown>");
    }

    // ---- describe ----

    #[test]
    fn describe_running_nginx_matches_real_layout() {
        let pod = running_nginx();
        let events = nginx_events(&pod);
        let refs: Vec<&Value> = events.iter().collect();
        let out = describe_pod(&pod, &refs, 121 * S);
        let expected = "\
Name:             nginx
Namespace:        default
Priority:         0
Service Account:  default
Node:             w1/10.0.0.11
Start Time:       Mon, 02 Jun 2025 09:00:00 +0000
Labels:           run=nginx
Annotations:      <none>
Status:           Running
IP:               10.244.1.2
IPs:
  IP:  10.244.1.2
Containers:
  nginx:
    Container ID:   containerd://5d76c3a1b9e04f5e8a7d2c6b1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e
    Image:          nginx
    Image ID:       docker.io/library/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31
    Port:           <none>
    Host Port:      <none>
    State:          Running
      Started:      Mon, 02 Jun 2025 09:00:02 +0000
    Ready:          True
    Restart Count:  0
    Environment:    <none>
    Mounts:
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-2kfll (ro)
Conditions:
  Type                        Status
  PodReadyToStartContainers   True 
  Initialized                 True 
  Ready                       True 
  ContainersReady             True 
  PodScheduled                True 
Volumes:
  kube-api-access-2kfll:
    Type:                    Projected (a volume that contains injected data from multiple sources)
    TokenExpirationSeconds:  3607
    ConfigMapName:           kube-root-ca.crt
    ConfigMapOptional:       <nil>
    DownwardAPI:             true
QoS Class:                   BestEffort
Node-Selectors:              <none>
Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type    Reason     Age   From               Message
  ----    ------     ----  ----               -------
  Normal  Scheduled  2m1s  default-scheduler  Successfully assigned default/nginx to w1
  Normal  Pulling    2m1s  kubelet            Pulling image \"nginx\"
  Normal  Pulled     119s  kubelet            Successfully pulled image \"nginx\" in 1.805s (1.805s including waiting). Image size: 72188133 bytes.
  Normal  Created    119s  kubelet            Created container: nginx
  Normal  Started    119s  kubelet            Started container nginx
";
        assert_eq!(out, expected);
    }

    #[test]
    fn describe_unscheduled_pod() {
        let mut pod = pending_nginx();
        pod["status"]["conditions"] = json!([{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."}]);
        let e = ev(&pod, 5, 0, "Warning", "FailedScheduling",
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
            "default-scheduler");
        let other = ev(
            &running_nginx(),
            5,
            1,
            "Normal",
            "Pulled",
            "about another pod",
            "kubelet",
        );
        let mut other = other;
        other["involvedObject"]["name"] = json!("web");
        let out = describe_pod(&pod, &[&e, &other], 5 * S);
        let expected = "\
Name:             nginx
Namespace:        default
Priority:         0
Service Account:  default
Node:             <none>
Labels:           run=nginx
Annotations:      <none>
Status:           Pending
IP:               
IPs:              <none>
Containers:
  nginx:
    Image:        nginx
    Port:         <none>
    Host Port:    <none>
    Environment:  <none>
    Mounts:
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-2kfll (ro)
Conditions:
  Type           Status
  PodScheduled   False 
Volumes:
  kube-api-access-2kfll:
    Type:                    Projected (a volume that contains injected data from multiple sources)
    TokenExpirationSeconds:  3607
    ConfigMapName:           kube-root-ca.crt
    ConfigMapOptional:       <nil>
    DownwardAPI:             true
QoS Class:                   BestEffort
Node-Selectors:              <none>
Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type     Reason            Age   From               Message
  ----     ------            ----  ----               -------
  Warning  FailedScheduling  5s    default-scheduler  0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.
";
        assert_eq!(out, expected);
    }

    #[test]
    fn describe_no_events_and_controller_alignment() {
        let mut pod = running_nginx();
        pod["metadata"]["name"] = json!("web-7d4b9c8f5-x2x9q");
        pod["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "name": "web-7d4b9c8f5", "uid": "u", "controller": true, "blockOwnerDeletion": true}]);
        let out = describe_pod(&pod, &[], 0);
        // `  IP:` and `Controlled By:` are contiguous tab lines, so they align together.
        assert!(out.contains("IPs:\n  IP:           10.244.1.2\nControlled By:  ReplicaSet/web-7d4b9c8f5\nContainers:\n"), "{out}");
        // No events: one aligned line in the last block.
        assert!(out.ends_with("Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s\nEvents:                      <none>\n"), "{out}");
    }

    #[test]
    fn describe_terminating_and_last_state() {
        let mut pod = running_nginx();
        pod["metadata"]["deletionTimestamp"] = json!(t(40 * S));
        pod["metadata"]["deletionGracePeriodSeconds"] = json!(30);
        pod["status"]["containerStatuses"][0]["restartCount"] = json!(1);
        pod["status"]["containerStatuses"][0]["lastState"] = json!({"terminated": {
            "exitCode": 137, "reason": "OOMKilled", "startedAt": t(2 * S), "finishedAt": t(9 * S)}});
        // During the grace period deletionTimestamp is still ahead: `<invalid>`, as kubectl.
        let during = describe_pod(&pod, &[], 12 * S);
        assert!(during.contains("Status:                    Terminating (lasts <invalid>)\nTermination Grace Period:  30s\n"), "{during}");
        let after = describe_pod(&pod, &[], 45 * S);
        assert!(after.contains("Terminating (lasts 5s)"));
        assert!(
            during.contains(
                "\
    Last State:     Terminated
      Reason:       OOMKilled
      Exit Code:    137
      Started:      Mon, 02 Jun 2025 09:00:02 +0000
      Finished:     Mon, 02 Jun 2025 09:00:09 +0000
    Ready:          True
    Restart Count:  1
"
            ),
            "{during}"
        );
    }

    #[test]
    fn describe_container_details() {
        let mut pod = running_nginx();
        pod["spec"]["containers"][0] = json!({
            "name": "nginx", "image": "nginx:1.27",
            "command": ["sh", "-c"], "args": ["echo hi\nsleep 3600"],
            "ports": [{"containerPort": 80, "protocol": "TCP"}],
            "resources": {"limits": {"memory": "128Mi", "cpu": "500m"}, "requests": {"cpu": "250m", "memory": "64Mi"}},
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                "initialDelaySeconds": 3, "timeoutSeconds": 1, "periodSeconds": 3, "successThreshold": 1, "failureThreshold": 3},
            "readinessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]},
                "initialDelaySeconds": 5, "timeoutSeconds": 1, "periodSeconds": 5, "successThreshold": 1, "failureThreshold": 3},
            "startupProbe": {"tcpSocket": {"port": "http"}, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 30},
            "envFrom": [{"configMapRef": {"name": "app-config"}}, {"secretRef": {"name": "db", "optional": true}, "prefix": "DB_"}],
            "env": [
                {"name": "MODE", "value": "prod"},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                {"name": "CPU_LIMIT", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1m"}}},
                {"name": "MEM_REQ", "valueFrom": {"resourceFieldRef": {"resource": "requests.memory", "divisor": "1Mi"}}},
                {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                {"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "level", "optional": true}}}
            ],
            "volumeMounts": [
                {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": "kube-api-access-2kfll", "readOnly": true},
                {"mountPath": "/etc/app", "name": "config", "subPath": "app.conf"}
            ]
        });
        pod["status"]["qosClass"] = json!("Burstable");
        let out = describe_pod(&pod, &[], 0);
        let expected = "\
Containers:
  nginx:
    Container ID:  containerd://5d76c3a1b9e04f5e8a7d2c6b1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e
    Image:         nginx:1.27
    Image ID:      docker.io/library/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31
    Port:          80/TCP
    Host Port:     0/TCP
    Command:
      sh
      -c
    Args:
      echo hi
      sleep 3600
    State:          Running
      Started:      Mon, 02 Jun 2025 09:00:02 +0000
    Ready:          True
    Restart Count:  0
    Limits:
      cpu:     500m
      memory:  128Mi
    Requests:
      cpu:      250m
      memory:   64Mi
    Liveness:   http-get http://:8080/healthz delay=3s timeout=1s period=3s #success=1 #failure=3
    Readiness:  exec [cat /tmp/healthy] delay=5s timeout=1s period=5s #success=1 #failure=3
    Startup:    tcp-socket :http delay=0s timeout=1s period=10s #success=1 #failure=30
    Environment Variables from:
      app-config  ConfigMap                 Optional: false
      db          Secret with prefix 'DB_'  Optional: true
    Environment:
      MODE:       prod
      POD_NAME:   nginx (v1:metadata.name)
      CPU_LIMIT:  500 (limits.cpu)
      MEM_REQ:    64 (requests.memory)
      PASSWORD:   <set to the key 'password' in secret 'db'>           Optional: false
      LEVEL:      <set to the key 'level' of config map 'app-config'>  Optional: true
    Mounts:
      /etc/app from config (rw,path=\"app.conf\")
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-2kfll (ro)
Conditions:
";
        assert!(out.contains(expected), "{out}");
        assert!(
            out.contains("QoS Class:                   Burstable\n"),
            "{out}"
        );
    }

    #[test]
    fn describe_volume_kinds_and_labels() {
        let mut pod = pending_nginx();
        pod["metadata"]["labels"] = json!({"run": "nginx", "app": "web"});
        pod["metadata"]["annotations"] = json!({
            "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"v1\"}\n",
            "note": "hello"
        });
        pod["spec"]["nodeSelector"] = json!({"disktype": "ssd"});
        pod["spec"]["volumes"] = json!([
            {"name": "cache", "emptyDir": {}},
            {"name": "logs", "hostPath": {"path": "/var/log", "type": ""}},
            {"name": "cfg", "configMap": {"name": "app-config", "defaultMode": 420}},
            {"name": "creds", "secret": {"secretName": "db", "defaultMode": 420}},
            {"name": "data", "persistentVolumeClaim": {"claimName": "data-0"}}
        ]);
        let out = describe_pod(&pod, &[], 0);
        assert!(out.contains("Labels:           app=web\n                  run=nginx\nAnnotations:      note: hello\n"), "{out}");
        let expected = "\
Volumes:
  cache:
    Type:       EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:     
    SizeLimit:  <unset>
  logs:
    Type:          HostPath (bare host directory volume)
    Path:          /var/log
    HostPathType:  
  cfg:
    Type:      ConfigMap (a volume populated by a ConfigMap)
    Name:      app-config
    Optional:  false
  creds:
    Type:        Secret (a volume populated by a Secret)
    SecretName:  db
    Optional:    false
  data:
    Type:        PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)
    ClaimName:   data-0
    ReadOnly:    false
QoS Class:       BestEffort
Node-Selectors:  disktype=ssd
";
        assert!(out.contains(expected), "{out}");
    }

    #[test]
    fn qos_computed_when_status_lacks_it() {
        let mut pod = pending_nginx();
        pod["status"] = json!({});
        assert_eq!(qos_class(&pod), "BestEffort");
        pod["spec"]["containers"][0]["resources"] = json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}});
        assert_eq!(qos_class(&pod), "Guaranteed");
        pod["spec"]["containers"][0]["resources"]["requests"]["cpu"] = json!("500m");
        assert_eq!(qos_class(&pod), "Burstable");
    }

    // ---- events ----

    #[test]
    fn new_event_shape_and_name() {
        let pod = running_nginx();
        let e = ev(
            &pod,
            600,
            0,
            "Normal",
            "Pulling",
            "Pulling image \"nginx\"",
            "kubelet",
        );
        assert_eq!(e["metadata"]["name"], "nginx.18452e2ce17fe600");
        assert_eq!(e["metadata"]["namespace"], "default");
        assert_eq!(e["involvedObject"]["fieldPath"], "spec.containers{nginx}");
        assert_eq!(
            e["involvedObject"]["uid"],
            "0a1c2e4f-5b6d-4e8f-9a0b-1c2d3e4f5a6b"
        );
        assert_eq!(e["source"], json!({"component": "kubelet", "host": "w1"}));
        assert_eq!(e["firstTimestamp"], "2025-06-02T09:00:00Z");
        assert_eq!(e["count"], 1);
        assert_ne!(event_name("nginx", 600, 0), event_name("nginx", 600, 1));
    }

    #[test]
    fn repeated_events_are_aggregated_in_describe() {
        let now = 121 * 60 * S;
        let mut pod = running_nginx();
        pod["metadata"]["creationTimestamp"] = json!(t(0));
        let mut back_off = ev(&pod, 0, 0, "Warning", "BackOff",
            "Back-off restarting failed container nginx in pod nginx_default(0a1c2e4f-5b6d-4e8f-9a0b-1c2d3e4f5a6b)", "kubelet");
        for i in 1..21u64 {
            bump_event(&mut back_off, i * 4_900 * S);
        }
        assert_eq!(back_off["count"], 21);
        object::set_at(&mut back_off, "/lastTimestamp", json!(t(now - 23 * 60 * S)));
        let out = describe_pod(&pod, &[&back_off], now);
        assert!(out.ends_with("\
Events:
  Type     Reason   Age                  From     Message
  ----     ------   ----                 ----     -------
  Warning  BackOff  23m (x21 over 121m)  kubelet  Back-off restarting failed container nginx in pod nginx_default(0a1c2e4f-5b6d-4e8f-9a0b-1c2d3e4f5a6b)
"), "{out}");
    }

    #[test]
    fn describe_sorts_events_by_last_timestamp() {
        let pod = running_nginx();
        let mut early = ev(&pod, 0, 0, "Normal", "A", "first", "kubelet");
        let late = ev(&pod, 10 * S, 0, "Normal", "B", "second", "kubelet");
        bump_event(&mut early, 20 * S);
        let out = describe_pod(&pod, &[&early, &late], 30 * S);
        let b = out.find("  Normal  B").unwrap();
        let a = out.find("  Normal  A").unwrap();
        assert!(b < a, "{out}");
    }

    #[test]
    fn get_events_table() {
        let pod = running_nginx();
        let events = nginx_events(&pod);
        let refs: Vec<&Value> = events.iter().rev().collect();
        let out = get_events(&refs, "default", 121 * S);
        let expected = "\
LAST SEEN   TYPE     REASON      OBJECT      MESSAGE
2m1s        Normal   Scheduled   pod/nginx   Successfully assigned default/nginx to w1
2m1s        Normal   Pulling     pod/nginx   Pulling image \"nginx\"
119s        Normal   Pulled      pod/nginx   Successfully pulled image \"nginx\" in 1.805s (1.805s including waiting). Image size: 72188133 bytes.
119s        Normal   Created     pod/nginx   Created container: nginx
119s        Normal   Started     pod/nginx   Started container nginx
";
        assert_eq!(out.stdout, expected);
        assert_eq!(
            get_events(&[], "default", 0).stderr,
            "No resources found in default namespace.\n"
        );
    }

    #[test]
    fn event_with_only_event_time_uses_reporting_component() {
        // events.k8s.io/v1 events (the scheduler's) have eventTime and no source.
        let e = json!({"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "nginx.18452e2cbdbca000", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "nginx", "namespace": "default"},
            "type": "Normal", "reason": "Scheduled", "message": "Successfully assigned default/nginx to w1",
            "eventTime": clock::rfc3339_micro(5), "firstTimestamp": null, "lastTimestamp": null,
            "reportingComponent": "default-scheduler", "source": {}, "action": "Binding"});
        let out = describe_pod(&pending_nginx(), &[&e], 61 * S);
        assert!(out.contains("  Normal  Scheduled  60s   default-scheduler  Successfully assigned default/nginx to w1\n"), "{out}");
        let table = get_events(&[&e], "default", 61 * S);
        assert!(
            table
                .stdout
                .contains("\n60s         Normal   Scheduled   pod/nginx   Successfully"),
            "{}",
            table.stdout
        );
    }

    #[test]
    fn probe_forms() {
        let grpc = json!({"grpc": {"port": 2379, "service": "etcd"}, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3});
        assert_eq!(
            describe_probe(&grpc),
            "grpc <pod>:2379 etcd delay=0s timeout=1s period=10s #success=1 #failure=3"
        );
        let https =
            json!({"httpGet": {"host": "::1", "port": 443, "scheme": "HTTPS", "path": "ready"}});
        assert_eq!(
            describe_probe(&https),
            "http-get https://[::1]:443/ready delay=0s timeout=0s period=0s #success=0 #failure=0"
        );
    }

    // ---- other kinds ----

    #[test]
    fn get_deployment_replicaset_and_service() {
        let d = json!({"kind": "Deployment", "metadata": {"name": "nginx-deployment", "namespace": "default", "creationTimestamp": t(0)},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "nginx"}},
                     "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}}},
            "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}});
        let out = get_table("Deployment", &[&d], "default", 18 * S, false).unwrap();
        assert_eq!(out.stdout, "NAME               READY   UP-TO-DATE   AVAILABLE   AGE\nnginx-deployment   2/3     3            2           18s\n");
        let wide = get_table("Deployment", &[&d], "default", 18 * S, true).unwrap();
        assert!(
            wide.stdout
                .ends_with("18s   nginx        nginx:1.14.2   app=nginx\n"),
            "{}",
            wide.stdout
        );

        let rs = json!({"metadata": {"name": "nginx-deployment-77d8468669", "namespace": "default", "creationTimestamp": t(0)},
            "spec": {"replicas": 3}, "status": {"replicas": 3, "readyReplicas": 3}});
        let out = get_table("ReplicaSet", &[&rs], "default", 18 * S, false).unwrap();
        assert_eq!(out.stdout, "NAME                          DESIRED   CURRENT   READY   AGE\nnginx-deployment-77d8468669   3         3         3       18s\n");

        let svc = json!({"metadata": {"name": "my-nginx", "namespace": "default", "creationTimestamp": t(0)},
            "spec": {"type": "NodePort", "clusterIPs": ["10.96.140.12"], "selector": {"run": "my-nginx"},
                     "ports": [{"port": 80, "nodePort": 30168, "protocol": "TCP"}]}});
        let kubernetes = json!({"metadata": {"name": "kubernetes", "namespace": "default", "creationTimestamp": t(0)},
            "spec": {"type": "ClusterIP", "clusterIPs": ["10.96.0.1"], "ports": [{"port": 443, "protocol": "TCP"}]}});
        let lb = json!({"metadata": {"name": "web", "namespace": "default", "creationTimestamp": t(0)},
            "spec": {"type": "LoadBalancer", "clusterIPs": ["10.96.0.20"], "ports": [{"port": 80, "nodePort": 31000, "protocol": "TCP"}]}});
        let out = get_table(
            "Service",
            &[&svc, &lb, &kubernetes],
            "default",
            90 * 60 * S,
            false,
        )
        .unwrap();
        assert_eq!(
            out.stdout,
            "\
NAME         TYPE           CLUSTER-IP     EXTERNAL-IP   PORT(S)        AGE
kubernetes   ClusterIP      10.96.0.1      <none>        443/TCP        90m
my-nginx     NodePort       10.96.140.12   <none>        80:30168/TCP   90m
web          LoadBalancer   10.96.0.20     <pending>     80:31000/TCP   90m
"
        );
        let wide = get_table("Service", &[&svc], "default", 0, true).unwrap();
        assert!(
            wide.stdout.contains("SELECTOR\n") && wide.stdout.ends_with("run=my-nginx\n"),
            "{}",
            wide.stdout
        );
    }

    #[test]
    fn get_endpointslices_nodes_jobs_daemonsets() {
        let slice = json!({"metadata": {"name": "my-nginx-bkx2b", "namespace": "default", "creationTimestamp": t(0)},
            "addressType": "IPv4", "ports": [{"name": "", "port": 80, "protocol": "TCP"}],
            "endpoints": [{"addresses": ["10.244.1.2"]}, {"addresses": ["10.244.2.2"]}, {"addresses": ["10.244.1.3"]}, {"addresses": ["10.244.2.3"]}]});
        let empty = json!({"metadata": {"name": "empty-mind-zrxfh", "namespace": "default", "creationTimestamp": t(0)},
            "addressType": "IPv4", "ports": null, "endpoints": null});
        let out = get_table("EndpointSlice", &[&slice, &empty], "default", 5 * S, false).unwrap();
        assert_eq!(
            out.stdout,
            "\
NAME               ADDRESSTYPE   PORTS     ENDPOINTS                                      AGE
empty-mind-zrxfh   IPv4          <unset>   <unset>                                        5s
my-nginx-bkx2b     IPv4          80        10.244.1.2,10.244.2.2,10.244.1.3 + 1 more...   5s
"
        );

        let node = |name: &str, ready: &str, labels: Value| {
            json!({"metadata": {"name": name, "creationTimestamp": t(0), "labels": labels},
            "status": {"conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": ready}],
                       "nodeInfo": {"kubeletVersion": "v1.32.2"}}})
        };
        let cp = node(
            "cp",
            "True",
            json!({"node-role.kubernetes.io/control-plane": ""}),
        );
        let w1 = node("w1", "False", json!({}));
        let out = get_table("Node", &[&w1, &cp], "", 3 * 3_600_000, false).unwrap();
        assert_eq!(
            out.stdout,
            "\
NAME   STATUS     ROLES           AGE   VERSION
cp     Ready      control-plane   3h    v1.32.2
w1     NotReady   <none>          3h    v1.32.2
"
        );
        assert_eq!(
            get_table("Node", &[], "", 0, false).unwrap().stderr,
            "No resources found\n"
        );

        let job = json!({"metadata": {"name": "pi", "namespace": "default", "creationTimestamp": t(0)},
            "spec": {"completions": 1, "parallelism": 1},
            "status": {"succeeded": 1, "startTime": t(0), "completionTime": t(9 * S),
                       "conditions": [{"type": "SuccessCriteriaMet", "status": "True"}, {"type": "Complete", "status": "True"}]}});
        let running = json!({"metadata": {"name": "work", "namespace": "default", "creationTimestamp": t(0)},
            "spec": {"parallelism": 2}, "status": {"startTime": t(0)}});
        let out = get_table("Job", &[&job, &running], "default", 30 * S, false).unwrap();
        assert_eq!(
            out.stdout,
            "\
NAME   STATUS     COMPLETIONS   DURATION   AGE
pi     Complete   1/1           9s         30s
work   Running    0/1 of 2      30s        30s
"
        );

        let ds = json!({"metadata": {"name": "kube-proxy", "namespace": "kube-system", "creationTimestamp": t(0)},
            "spec": {"template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"}}}},
            "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 3, "updatedNumberScheduled": 3, "numberAvailable": 3}});
        let out = get_table("DaemonSet", &[&ds], "kube-system", 60 * S, false).unwrap();
        assert_eq!(
            out.stdout,
            "\
NAME         DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR            AGE
kube-proxy   3         3         3       3            3           kubernetes.io/os=linux   60s
"
        );
        assert!(get_table("Widget", &[], "default", 0, false).is_none());
    }

    #[test]
    fn yaml_output_quotes_like_kubectl() {
        let pod = json!({"spec": {"b": 1, "a": 2}, "kind": "Pod", "apiVersion": "v1"});
        assert_eq!(
            to_yaml(&pod),
            "apiVersion: v1\nkind: Pod\nspec:\n  a: 2\n  b: 1\n"
        );
        let obj = json!({
            "metadata": {"creationTimestamp": t(0), "resourceVersion": "1021", "labels": {"run": "nginx"},
                         "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"a\":1}\n"}},
            "status": {"conditions": [{"status": "True", "type": "Ready", "lastProbeTime": null}],
                       "podIP": "10.244.1.2", "empty": "", "cpu": "0.5"},
            "spec": {"containers": [{"name": "nginx", "resources": {}, "args": ["*", "a: b", "sleep 3600"], "ports": []}]}
        });
        assert_eq!(
            to_yaml(&obj),
            "\
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {\"a\":1}
  creationTimestamp: \"2025-06-02T09:00:00Z\"
  labels:
    run: nginx
  resourceVersion: \"1021\"
spec:
  containers:
  - args:
    - '*'
    - 'a: b'
    - sleep 3600
    name: nginx
    ports: []
    resources: {}
status:
  conditions:
  - lastProbeTime: null
    status: \"True\"
    type: Ready
  cpu: \"0.5\"
  empty: \"\"
  podIP: 10.244.1.2
"
        );
    }
}
