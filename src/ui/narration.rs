//! Narration: what the current step did, which component did it and why, with a link to
//! the Kubernetes documentation it comes from; for the scheduler's Filter and Score
//! stages the whole decision as a table (nodes × plugins); for a failure a "Why and how
//! to fix it" box.
//!
//! The advice texts come from one pure function, [`advice`], which reads only the step
//! (its label, summary, payload, structured detail) and the etcd keyspace after it.

use leptos::prelude::*;
use serde_json::Value;

use super::cluster::{format_cpu, format_memory, pod_requests, world};
use super::AppState;
use crate::sim::etcd::Snapshot;
use crate::sim::object;
use crate::sim::scheduler::{self, Decision, FilterResult, Outcome, SCORE_PLUGINS};
use crate::sim::trace::{Category, Detail, Step};

const INTRO: &str = "Edit the manifest on the left. podflow sends it through kubectl, the API server, \
etcd, the scheduler and a kubelet, exactly as a real cluster would, and shows every message on the way.";

// ---------------------------------------------------------------------------------------
// Pure: advice for failures
// ---------------------------------------------------------------------------------------

/// What went wrong at a step, why, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advice {
    /// The name a learner will meet in kubectl's output (`FailedScheduling`,
    /// `ImagePullBackOff`, `403 Forbidden`, …); also the box's `data-advice`.
    pub problem: &'static str,
    pub why: String,
    pub fix: String,
}

/// An Event the step creates (`POST …/events` with the Event as its payload).
struct EventInfo {
    reason: String,
    message: String,
    namespace: String,
    name: String,
}

fn event_of(step: &Step) -> Option<EventInfo> {
    if !(step.label.starts_with("POST ") && step.label.contains("/events")) {
        return None;
    }
    // The payload is the request as sent: headers, then the Event as its JSON body.
    let event: &Value = step.payload.as_ref()?.json()?;
    let s = |p: &str| object::str_at(event, p).to_string();
    Some(EventInfo {
        reason: s("/reason"),
        message: s("/message"),
        namespace: s("/involvedObject/namespace"),
        name: s("/involvedObject/name"),
    })
}

/// The first double-quoted string after `after` in `text`.
fn quoted_after<'a>(text: &'a str, after: &str) -> Option<&'a str> {
    let rest = &text[text.find(after)? + after.len()..];
    let start = rest.find('"')? + 1;
    let len = rest[start..].find('"')?;
    Some(&rest[start..start + len])
}

/// The unbound pod the scheduler most recently saw change: the one a Filter stage is
/// about (a Filter step does not name its pod).
fn latest_unbound_pod(etcd: &Snapshot) -> Option<&Value> {
    etcd.range("/registry/pods/")
        .filter(|(_, kv)| object::str_at(&kv.value, "/spec/nodeName").is_empty())
        .max_by_key(|(_, kv)| kv.mod_revision)
        .map(|(_, kv)| kv.value.as_ref())
}

fn pod_named<'a>(etcd: &'a Snapshot, namespace: &str, name: &str) -> Option<&'a Value> {
    let ns = if namespace.is_empty() {
        "default"
    } else {
        namespace
    };
    etcd.get(&format!("/registry/pods/{ns}/{name}"))
        .map(|kv| kv.value.as_ref())
}

/// Why no node fits, from the FitError message (`0/3 nodes are available: …`), the pod
/// and the nodes as etcd holds them.
fn scheduling_advice(message: &str, pod: Option<&Value>, etcd: &Snapshot) -> Advice {
    let mut why = vec![format!(
        "The scheduler found no node for the pod: {message}"
    )];
    let mut fix = Vec::new();
    let nodes = world(etcd, 0).nodes;
    // The node with the most of a resource free, workers before the control plane.
    let most_free = |free: fn(&super::cluster::Usage) -> i128| {
        let mut best: Option<(&super::cluster::NodeCard, (i128, bool))> = None;
        for n in &nodes {
            let rank = (free(&n.usage), !n.control_plane);
            if best.as_ref().is_none_or(|(_, b)| rank > *b) {
                best = Some((n, rank));
            }
        }
        best.map(|(n, (f, _))| (n.name.clone(), f))
    };
    let requests = pod.map(pod_requests);
    if message.contains("Insufficient cpu") {
        match (requests, most_free(super::cluster::Usage::cpu_free)) {
            (Some((cpu, _)), Some((node, free))) => {
                let unit = if cpu == 1000 { "CPU" } else { "CPUs" };
                why.push(format!(
                    "The pod requests {} {unit}; no node has that much CPU free (not yet requested by its pods): \
                     the most is {} on {node}.",
                    format_cpu(cpu),
                    format_cpu(free)
                ));
                fix.push(format!(
                    "Lower resources.requests.cpu to {} or less, or add a node with at least {} CPUs \
                     (or give a node more CPU) in the cluster editor.",
                    format_cpu(free),
                    format_cpu(cpu)
                ));
            }
            _ => fix.push(
                "Lower resources.requests.cpu, or add a node with more CPU in the cluster editor."
                    .into(),
            ),
        }
    }
    if message.contains("Insufficient memory") {
        match (requests, most_free(super::cluster::Usage::memory_free)) {
            (Some((_, memory)), Some((node, free))) => {
                why.push(format!(
                    "The pod requests {} of memory; the most any node has free is {} on {node}.",
                    format_memory(memory),
                    format_memory(free)
                ));
                fix.push(format!(
                    "Lower resources.requests.memory to {} or less, or add a node with more memory in the cluster editor.",
                    format_memory(free)
                ));
            }
            _ => fix.push(
                "Lower resources.requests.memory, or add a node with more memory in the cluster editor."
                    .into(),
            ),
        }
    }
    if message.contains("Too many pods") {
        why.push("Every node already runs as many pods as its `pods` capacity allows.".into());
        fix.push(
            "Raise a node's pods capacity or add a node in the cluster editor, or delete pods."
                .into(),
        );
    }
    if message.contains("untolerated taint") {
        let taint = message
            .split("untolerated taint ")
            .nth(1)
            .and_then(|t| t.split('}').next())
            .map(|t| format!("{t}}}"))
            .unwrap_or_default();
        let control_plane = taint.contains("node-role.kubernetes.io/control-plane");
        why.push(format!(
            "A node carries the taint {taint} and the pod has no matching toleration{}.",
            if control_plane {
                ": kubeadm taints the control plane so ordinary pods stay off it"
            } else {
                ""
            }
        ));
        let key = taint
            .trim_start_matches('{')
            .split(':')
            .next()
            .unwrap_or("")
            .to_string();
        if !control_plane || fix.is_empty() {
            fix.push(format!(
                "Add a toleration to the pod (spec.tolerations: - key: {key}, operator: Exists, effect: NoSchedule) \
                 if it really must run there, or remove the taint from the node in the cluster editor."
            ));
        }
    }
    if message.contains("didn't match Pod's node affinity/selector") {
        let selector: Vec<String> = pod
            .and_then(|p| p.pointer("/spec/nodeSelector"))
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default();
        if selector.is_empty() {
            why.push("No node has the labels the pod's node affinity requires.".into());
            fix.push(
                "Change the pod's spec.affinity.nodeAffinity, or add the label to a node in the cluster editor."
                    .into(),
            );
        } else {
            let labels = selector.join(", ");
            why.push(format!(
                "The pod's nodeSelector asks for {labels}, and no schedulable node has that label."
            ));
            fix.push(format!(
                "Label a node (kubectl label node w1 {}, or add the label in the cluster editor), \
                 or remove spec.nodeSelector.",
                selector[0]
            ));
        }
    }
    if message.contains("were unschedulable") {
        why.push("A node is cordoned (spec.unschedulable: true): it takes no new pods.".into());
        fix.push("Uncordon it: kubectl uncordon <node>.".into());
    }
    if message.contains("didn't have free ports") {
        why.push("The hostPort the pod asks for is already taken on every fitting node.".into());
        fix.push("Drop hostPort (use a Service instead) or pick another port.".into());
    }
    if message.contains(scheduler::ERR_NO_NODES_AVAILABLE) {
        fix.push("Add a node in the cluster editor.".into());
    }
    if fix.is_empty() {
        fix.push("Read each reason in the message: every node is listed with the first filter it failed.".into());
    }
    fix.push("The scheduler retries on its own when a node or pod changes.".into());
    Advice {
        problem: "FailedScheduling",
        why: why.join(" "),
        fix: fix.join(" "),
    }
}

fn image_advice(problem: &'static str, text: &str) -> Advice {
    let image = quoted_after(text, "image ").unwrap_or("the image");
    let why = if text.contains("pull access denied") {
        format!(
            "The registry refuses {image}: the repository does not exist, or it is private and the pod \
             has no credentials for it."
        )
    } else if text.contains("InvalidImageName") || text.contains("invalid reference format") {
        format!("{image} is not a valid image reference, so the kubelet cannot even ask for it.")
    } else {
        format!(
            "The registry has no image {image} (the tag does not exist): containerd's pull fails, the \
             kubelet reports ErrImagePull, then waits before each retry on a back-off that doubles from \
             10 s up to 5 minutes (ImagePullBackOff)."
        )
    };
    let fix = format!(
        "Correct the image name or tag in the manifest (for example nginx:1.27), or add imagePullSecrets \
         for a private registry. To experiment, add {image}'s tag to its repository in the cluster editor's \
         images table, so the registry has it."
    );
    Advice { problem, why, fix }
}

fn exit_code_meaning(code: &str) -> &'static str {
    match code {
        "1" => "the program reported an error",
        "2" => "the program was misused (bad arguments)",
        "126" => "the command is not executable",
        "127" => "the command was not found in the image",
        "137" => "it was killed with SIGKILL (often the OOM killer)",
        "139" => "it crashed with a segmentation fault",
        "143" => "it was stopped with SIGTERM",
        _ => "the program failed",
    }
}

/// The "Why and how to fix it" advice for a failure step, or `None` for any other step;
/// `etcd` is the keyspace after the step.
pub fn advice(step: &Step, etcd: &Snapshot) -> Option<Advice> {
    // The scheduler's own stage, when no node fits.
    if let Some(detail) = &step.detail {
        let Detail::Scheduling(decision) = detail.as_ref();
        match &decision.outcome {
            Outcome::Unschedulable { message, .. } | Outcome::PreFilterRejected { message, .. } => {
                let pod = latest_unbound_pod(etcd);
                return Some(scheduling_advice(message, pod, etcd));
            }
            Outcome::Gated { gates } => {
                return Some(Advice {
                    problem: "SchedulingGated",
                    why: format!(
                        "The pod lists scheduling gates ({}), so it never enters the scheduling queue.",
                        gates.join(", ")
                    ),
                    fix: "Remove the gates from spec.schedulingGates (whoever added them does this when \
                          the pod may be scheduled)."
                        .into(),
                });
            }
            _ => {}
        }
    }
    if let Some(ev) = event_of(step) {
        let m = ev.message.as_str();
        if ev.reason == "FailedScheduling" {
            let pod = pod_named(etcd, &ev.namespace, &ev.name);
            return Some(scheduling_advice(m, pod, etcd));
        }
        if m.contains("ImagePullBackOff") || m.starts_with("Back-off pulling image") {
            return Some(image_advice("ImagePullBackOff", m));
        }
        if m.contains("ErrImagePull") || m.starts_with("Failed to pull image") {
            return Some(image_advice("ErrImagePull", m));
        }
        if m.contains("InvalidImageName") || ev.reason == "InspectFailed" {
            return Some(image_advice("InvalidImageName", m));
        }
        if m.starts_with("Back-off restarting failed container") {
            let container = m
                .trim_start_matches("Back-off restarting failed container ")
                .split(' ')
                .next()
                .unwrap_or("");
            return Some(Advice {
                problem: "CrashLoopBackOff",
                why: format!(
                    "Container {container} keeps exiting, so the kubelet restarts it after a back-off that \
                     doubles from 10 s up to 5 minutes; kubectl shows CrashLoopBackOff while it waits."
                ),
                fix: format!(
                    "Find out why it exits: kubectl logs {} --previous and kubectl describe pod {} \
                     (Last State: exit code and reason). Fix the command, arguments or configuration; \
                     if a liveness probe kills it, fix the probe.",
                    ev.name, ev.name
                ),
            });
        }
        if ev.reason == "Unhealthy" {
            let readiness = m.starts_with("Readiness");
            return Some(Advice {
                problem: "Unhealthy",
                why: if readiness {
                    format!("{m}. The pod is not Ready, so Services send it no traffic; nothing is restarted.")
                } else {
                    format!(
                        "{m}. After failureThreshold failures in a row (3 by default) the kubelet kills \
                         the container and restarts it."
                    )
                },
                fix: "Make the probe match the program (command, path, port), or give it time: \
                      initialDelaySeconds, a longer periodSeconds, or a startupProbe for slow starters."
                    .into(),
            });
        }
        if let Some(rest) = m.strip_prefix("Error: ") {
            if rest.contains("not found") || rest.contains("couldn't find key") {
                let (kind, name) = if rest.starts_with("secret") {
                    ("Secret", quoted_after(rest, "secret").unwrap_or(""))
                } else {
                    ("ConfigMap", quoted_after(rest, "configmap").unwrap_or(""))
                };
                return Some(Advice {
                    problem: "CreateContainerConfigError",
                    why: format!(
                        "The container takes environment variables or files from {kind} {name}, and {rest}: \
                         the kubelet cannot build the container's configuration, so it never starts \
                         (STATUS CreateContainerConfigError) and the kubelet keeps retrying."
                    ),
                    fix: format!(
                        "Create the {kind} first: add a document with kind: {kind} and name: {name} to the \
                         manifest (separated by ---), or mark the reference optional: true."
                    ),
                });
            }
        }
        return None;
    }
    // The runtime's answer to a failed pull.
    if step.label.starts_with("PullImage") && step.label.contains("error") {
        return Some(image_advice("ErrImagePull", &step.summary));
    }
    // A container that ended badly.
    if step.label == "container exited" {
        if step.summary.contains("OOMKilled") {
            return Some(Advice {
                problem: "OOMKilled",
                why: "The container used more memory than its resources.limits.memory, so the kernel's \
                      OOM killer ended it (exit code 137)."
                    .into(),
                fix: "Raise resources.limits.memory above what the program really needs (and requests \
                      with it), or make the program use less memory."
                    .into(),
            });
        }
        let code = step
            .summary
            .split("exited with code ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or("0");
        if code != "0" {
            return Some(Advice {
                problem: "Error",
                why: format!(
                    "The container's process exited with code {code}: {}. With restartPolicy Always the \
                     kubelet restarts it, waiting longer each time (CrashLoopBackOff).",
                    exit_code_meaning(code)
                ),
                fix: "Read its output with kubectl logs <pod> --previous, then fix the command, arguments \
                      or configuration in the manifest."
                    .into(),
            });
        }
        return None;
    }
    if step.label.ends_with("probe") && step.summary.contains(": failure") {
        return Some(Advice {
            problem: "Unhealthy",
            why: format!(
                "The kubelet's probe fails ({}). A failing liveness probe restarts the container after \
                 failureThreshold failures; a failing readiness probe keeps the pod out of Services.",
                step.summary
            ),
            fix: "Make the probe match the program (command, path, port), or give it time with \
                  initialDelaySeconds or a startupProbe."
                .into(),
        });
    }
    // The apiserver refusing a request.
    if step.category == Category::Response {
        let msg = step.summary.as_str();
        let code = step.label.split(' ').next().unwrap_or("");
        return match code {
            "403" => {
                let user = quoted_after(msg, "User").unwrap_or("the user");
                Some(Advice {
                    problem: "403 Forbidden",
                    why: format!(
                        "Authorization (RBAC) refused the request: no Role or ClusterRole bound to {user} \
                         allows it. {msg}."
                    ),
                    fix: format!(
                        "Grant the permission with a Role and a RoleBinding for {user} (for example kubectl \
                         create rolebinding {user}-edit --clusterrole=edit --user={user}), or run the command \
                         as a user who has it (without --as)."
                    ),
                })
            }
            "422" => {
                let fields = msg.split("is invalid: ").nth(1).unwrap_or(msg);
                Some(Advice {
                    problem: "422 Invalid",
                    why: format!(
                        "The object decoded, but validation rejected its values: {fields}. Nothing was \
                         stored in etcd."
                    ),
                    fix: if fields.contains("Required value") {
                        "Add each required field the message names (for a container: name and image), then apply again."
                            .into()
                    } else {
                        "Correct each field the message names (the path says where, e.g. spec.containers[0].image), then apply again."
                            .into()
                    },
                })
            }
            "400" => {
                let why = if let Some(field) = quoted_after(msg, "unknown field") {
                    format!(
                        "kubectl sends fieldValidation=Strict, so the apiserver rejects any field the Pod \
                         API does not have: {field} is not one (a typo?)."
                    )
                } else {
                    format!(
                        "The apiserver could not decode the object: {msg}. A value has the wrong type \
                         (for example a number where a string is expected)."
                    )
                };
                Some(Advice {
                    problem: "400 BadRequest",
                    why,
                    fix: "Fix the spelling or the type of the field the message names; kubectl explain \
                          pod.spec.containers lists the real fields."
                        .into(),
                })
            }
            "409" if msg.contains("already exists") => Some(Advice {
                problem: "409 AlreadyExists",
                why: format!("{msg}: kubectl create only creates."),
                fix: "Use kubectl apply to update the existing object, or delete it first.".into(),
            }),
            _ => None,
        };
    }
    None
}

// ---------------------------------------------------------------------------------------
// The scheduler's tables
// ---------------------------------------------------------------------------------------

/// Short column headers for the score plugins (the full name is the `<abbr>` title).
fn short(plugin: &str) -> &'static str {
    match plugin {
        "TaintToleration" => "Taint",
        "NodeAffinity" => "Affinity",
        "NodeResourcesFit" => "Fit",
        "PodTopologySpread" => "Spread",
        "InterPodAffinity" => "PodAff.",
        "NodeResourcesBalancedAllocation" => "Balance",
        "ImageLocality" => "Image",
        _ => "?",
    }
}

/// Rows shown at most, so a 5 000-node cluster stays cheap to draw.
const MAX_ROWS: usize = 100;

fn winner(decision: &Decision) -> Option<&str> {
    match &decision.outcome {
        Outcome::Bound { node } => Some(node.as_str()),
        _ => None,
    }
}

fn filter_table(decision: &Decision) -> impl IntoView {
    let chosen = winner(decision).map(str::to_string);
    let rows = decision
        .filters
        .iter()
        .take(MAX_ROWS)
        .map(|f| {
            let node = f.node(decision);
            let passed: Vec<&str> = f
                .plugins()
                .filter(|(_, r)| *r == FilterResult::Pass)
                .map(|(p, _)| p)
                .collect();
            let skipped: Vec<&str> = f
                .plugins()
                .filter(|(_, r)| *r == FilterResult::Skipped)
                .map(|(p, _)| p)
                .collect();
            let failed = f.plugins().find_map(|(p, r)| match r {
                FilterResult::Fail { reasons, .. } => Some((p, reasons.join(", "))),
                _ => None,
            });
            let feasible = f.feasible();
            let is_winner = chosen.as_deref() == Some(node);
            let verdict = if feasible { "✓ fits" } else { "✗ out" };
            let passed_text = if passed.is_empty() {
                String::new()
            } else {
                format!("✓ {}", passed.join(" · "))
            };
            let skipped_text = if skipped.is_empty() {
                String::new()
            } else {
                format!("skipped: {}", skipped.join(" · "))
            };
            view! {
                <tr data-row=node.to_string() class:feasible=feasible class:winner=is_winner>
                    <th scope="row">{node.to_string()}{is_winner.then_some(" ★")}</th>
                    <td class="verdict">{verdict}</td>
                    <td class="plugins">
                        <span class="pass">{passed_text}</span>
                        {failed.map(|(p, why)| view! {
                            <span class="fail" data-plugin=p title=scheduler::explain(p)>"✗ " <b>{p}</b> ": " {why}</span>
                        })}
                        <span class="skip">{skipped_text}</span>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let more = decision.filters.len().saturating_sub(MAX_ROWS);
    view! {
        <div class="sched-scroll">
            <table class="sched" data-table="filter">
                <caption>
                    "Filter: each node runs the plugins in order and is out at its first ✗ ("
                    {decision.filters.len()} " of " {decision.num_all_nodes} " nodes evaluated)"
                </caption>
                <thead>
                    <tr><th scope="col">"node"</th><th scope="col">"result"</th><th scope="col">"plugins (in order)"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {(more > 0).then(|| view! { <p class="more">{format!("and {more} more nodes")}</p> })}
        </div>
    }
}

fn score_table(decision: &Decision) -> impl IntoView {
    let chosen = winner(decision).map(str::to_string);
    let best = decision.scores.iter().map(|s| s.total()).max().unwrap_or(0);
    let tied = decision.scores.iter().filter(|s| s.total() == best).count();
    let heads = SCORE_PLUGINS
        .iter()
        .map(|(p, w)| {
            view! {
                <th scope="col"><abbr title=format!("{p} (weight {w}): {}", scheduler::explain(p))>{short(p)}</abbr><br/><small>{format!("×{w}")}</small></th>
            }
        })
        .collect_view();
    let rows = decision
        .scores
        .iter()
        .take(MAX_ROWS)
        .map(|s| {
            let node = s.node(decision);
            let is_winner = chosen.as_deref() == Some(node);
            let cells = s
                .plugins()
                .map(|p| {
                    if p.skipped {
                        view! { <td data-plugin=p.plugin title="skipped (PreScore)">"–"</td> }.into_any()
                    } else {
                        view! {
                            <td data-plugin=p.plugin title=format!("{}: {} × {} = {}", p.plugin, p.normalized, p.weight, p.weighted)>
                                {p.weighted}<br/><small>{format!("{}×{}", p.normalized, p.weight)}</small>
                            </td>
                        }
                        .into_any()
                    }
                })
                .collect_view();
            view! {
                <tr data-row=node.to_string() class:winner=is_winner>
                    <th scope="row">{node.to_string()}{is_winner.then_some(" ★")}</th>
                    <td class="total">{s.total()}</td>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    let note = match (&decision.outcome, tied) {
        (Outcome::Bound { node }, n) if n > 1 => {
            format!("{n} nodes tie at {best}; the scheduler picks one at random (seeded): {node}.")
        }
        (Outcome::Bound { node }, _) => format!("{node} has the highest total and wins."),
        _ => String::new(),
    };
    view! {
        <div class="sched-scroll">
            <table class="sched" data-table="score">
                <caption>"Score: normalized score (0–100) × weight, per plugin; the highest total wins"</caption>
                <thead><tr><th scope="col">"node"</th><th scope="col">"total"</th>{heads}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <p class="sched-note">{note}</p>
        </div>
    }
}

fn scheduling_view(label: &str, decision: &Decision) -> AnyView {
    let outcome = match &decision.outcome {
        Outcome::Bound { node } => format!("Outcome: bind to {node}."),
        Outcome::Unschedulable { message, .. } => format!("Outcome: FailedScheduling — {message}"),
        Outcome::PreFilterRejected { plugin, message } => {
            format!("Outcome: {plugin} rejected the pod before filtering — {message}")
        }
        Outcome::Gated { gates } => format!("Outcome: gated by {}.", gates.join(", ")),
        Outcome::Ignored { reason } => format!("Outcome: not scheduled here — {reason}"),
    };
    let single =
        decision.scores.is_empty() && decision.filters.iter().filter(|f| f.feasible()).count() == 1;
    let glossary = decision
        .filters
        .first()
        .map(|f| {
            f.plugins()
                .map(|(p, _)| p)
                .chain(SCORE_PLUGINS.iter().map(|(p, _)| *p))
                .fold(Vec::<&str>::new(), |mut acc, p| {
                    if !acc.contains(&p) {
                        acc.push(p);
                    }
                    acc
                })
        })
        .unwrap_or_default()
        .into_iter()
        .map(|p| view! { <dt>{p}</dt><dd>{scheduler::explain(p)}</dd> })
        .collect_view();
    let table = if label == "Score" {
        score_table(decision).into_any()
    } else {
        filter_table(decision).into_any()
    };
    view! {
        <div class="scheduling" data-stage=label.to_string()>
            {table}
            {single.then(|| view! { <p class="sched-note">"Only one node fits, so the scheduler skips scoring."</p> })}
            <p class="sched-outcome">{outcome}</p>
            <details class="glossary">
                <summary>"What each plugin checks"</summary>
                <dl>{glossary}</dl>
            </details>
        </div>
    }
    .into_any()
}

// ---------------------------------------------------------------------------------------
// The panel
// ---------------------------------------------------------------------------------------

#[component]
pub fn Narration() -> impl IntoView {
    let state = expect_context::<AppState>();
    let at = Memo::new(move |_| state.position());
    let current = move || {
        let at = at.get();
        state.trace.with(|t| {
            t.steps.get(at).map(|s| {
                let route = if s.from == s.to {
                    String::new()
                } else {
                    format!(" · {} → {}", s.from, s.to)
                };
                let scheduling = s.detail.as_ref().map(|d| {
                    let Detail::Scheduling(decision) = d.as_ref();
                    scheduling_view(&s.label, decision)
                });
                (
                    s.from.to_string(),
                    route,
                    s.narration.text.clone(),
                    s.narration.doc,
                    scheduling,
                    state.etcd.with(|etcd| advice(s, etcd)),
                    s.payload
                        .as_ref()
                        .map(|p| (s.label.clone(), p.render().into_owned())),
                )
            })
        })
    };
    view! {
        <section class="panel narration" data-testid="narration" aria-labelledby="narration-title">
            <header class="panel-header">
                <h2 id="narration-title">"What is happening"</h2>
            </header>
            {move || match current() {
                Some((actor, route, text, doc, scheduling, advice, payload)) => view! {
                    <p class="actor">{actor}<span class="route">{route}</span></p>
                    <p class="text" aria-live="polite">{text}</p>
                    {(!doc.is_empty()).then(|| view! {
                        <a class="doc" href=doc target="_blank" rel="noopener noreferrer">"Kubernetes documentation"</a>
                    })}
                    {advice.map(|a| view! {
                        <aside class="advice" data-advice=a.problem aria-labelledby="advice-title">
                            <h3 id="advice-title">"Why and how to fix it"<span class="problem">{a.problem}</span></h3>
                            <p><strong>"Why: "</strong>{a.why}</p>
                            <p><strong>"Fix: "</strong>{a.fix}</p>
                        </aside>
                    })}
                    {scheduling}
                    {payload.map(|(label, body)| view! {
                        // What the message carries on the wire: request headers and body,
                        // an AdmissionReview, a CNI result, kube-proxy's iptables rules.
                        // Rendered as text, never as HTML.
                        <details class="payload" data-testid="payload">
                            <summary>"The message: "<code>{label}</code></summary>
                            <pre>{body}</pre>
                        </details>
                    })}
                }
                .into_any(),
                None => view! { <p class="text">{INTRO}</p> }.into_any(),
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::cluster::Cluster;
    use crate::sim::scenarios::PRESETS;
    use crate::sim::trace::Trace;

    fn preset(id: &str) -> Trace {
        let p = PRESETS.iter().find(|p| p.id == id).expect("preset");
        crate::sim::run(
            &p.scenario(),
            &Cluster::default(),
            42,
            crate::sim::DEFAULT_HORIZON_MS,
        )
    }

    /// Every advice of a trace, in order, as (problem, why, fix).
    fn advices(t: &Trace) -> Vec<Advice> {
        t.steps_with_etcd()
            .filter_map(|(s, etcd)| advice(s, &etcd))
            .collect()
    }

    fn first(t: &Trace, problem: &str) -> Advice {
        advices(t)
            .into_iter()
            .find(|a| a.problem == problem)
            .unwrap_or_else(|| panic!("no {problem} advice in {:#?}", advices(t)))
    }

    #[test]
    fn a_happy_pod_needs_no_advice() {
        assert_eq!(advices(&preset("nginx")), []);
    }

    #[test]
    fn too_much_cpu_names_the_request_and_the_most_free() {
        let t = preset("unschedulable");
        let a = first(&t, "FailedScheduling");
        assert!(a.why.contains("requests 4 CPUs"), "{}", a.why);
        assert!(a.why.contains("the most is 2 on w1"), "{}", a.why);
        assert!(
            a.fix.contains(
                "Lower resources.requests.cpu to 2 or less, or add a node with at least 4 CPUs"
            ),
            "{}",
            a.fix
        );
        // Both the Filter stage and the FailedScheduling event carry it.
        let (filter, etcd) = t
            .steps_with_etcd()
            .find(|(s, _)| s.label == "Filter")
            .unwrap();
        assert_eq!(
            advice(filter, &etcd).map(|a| a.problem),
            Some("FailedScheduling")
        );
    }

    #[test]
    fn a_node_selector_no_node_matches() {
        let a = first(&preset("node-selector"), "FailedScheduling");
        assert!(a.why.contains("disktype=ssd"), "{}", a.why);
        assert!(
            a.fix.contains("kubectl label node w1 disktype=ssd"),
            "{}",
            a.fix
        );
    }

    #[test]
    fn a_missing_image_tag() {
        let t = preset("image-not-found");
        let a = first(&t, "ErrImagePull");
        assert!(a.why.contains("nginx:doesnotexist"), "{}", a.why);
        assert!(a.fix.contains("cluster editor"), "{}", a.fix);
        let b = first(&t, "ImagePullBackOff");
        assert!(b.why.contains("back-off"), "{}", b.why);
    }

    #[test]
    fn crash_loops_and_exit_codes() {
        let t = preset("crashloop");
        let a = first(&t, "CrashLoopBackOff");
        assert!(
            a.fix.contains("kubectl logs crasher --previous"),
            "{}",
            a.fix
        );
        let e = first(&t, "Error");
        assert!(
            e.why.contains("code 1: the program reported an error"),
            "{}",
            e.why
        );
    }

    #[test]
    fn probes_config_and_refusals() {
        let liveness = advices(&preset("liveness"));
        assert!(
            liveness
                .iter()
                .any(|a| a.problem == "Unhealthy" && a.why.contains("Liveness probe failed")),
            "{liveness:#?}"
        );
        let c = first(&preset("missing-configmap"), "CreateContainerConfigError");
        assert!(c.why.contains("ConfigMap special-config"), "{}", c.why);
        assert!(
            c.fix.contains("kind: ConfigMap and name: special-config"),
            "{}",
            c.fix
        );
        let f = first(&preset("rbac-forbidden"), "403 Forbidden");
        assert!(f.why.contains("jane"), "{}", f.why);
        let v = first(&preset("validation-error"), "422 Invalid");
        assert!(
            v.why.contains("spec.containers[0].image: Required value"),
            "{}",
            v.why
        );
        let u = first(&preset("unknown-field"), "400 BadRequest");
        assert!(
            u.why.contains("spec.containers[0].imagePullPolcy"),
            "{}",
            u.why
        );
    }

    #[test]
    fn oom_killed() {
        let step = crate::ui::markers::tests::step(
            crate::sim::trace::Component::Kubelet("w1".into()),
            crate::sim::trace::Component::Kubelet("w1".into()),
            Category::Timer,
            "container exited",
            "app exited with code 137 (OOMKilled)",
        );
        let a = advice(&step, &Snapshot::default()).expect("advice");
        assert_eq!(a.problem, "OOMKilled");
        assert!(a.why.contains("limits.memory"));
    }

    #[test]
    fn a_taint_alone() {
        let a = first(&preset("taint"), "FailedScheduling");
        assert!(
            a.why.contains("node-role.kubernetes.io/control-plane"),
            "{}",
            a.why
        );
    }
}
