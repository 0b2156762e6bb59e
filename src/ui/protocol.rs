//! The postMessage protocol between an embedded podflow and the page around it, as pure
//! functions over JSON values (docs/embedding.md documents it for course authors).
//!
//! Incoming, from the parent window only, validated field by field and never evaluated:
//! - `{type: "podflow:load", manifest, cluster?, commands?}`: a new lesson, from step 1;
//! - `{type: "podflow:step", step}`: go to step `step` (1-based, clamped to the last);
//! - `{type: "podflow:play"}`, `{type: "podflow:pause"}`.
//!
//! Outgoing, to the parent window (each with `id` when the page's query has `id=`):
//! `podflow:ready {steps}`, `podflow:step {step, total, label}`,
//! `podflow:running {pod, step}`, `podflow:error {message}`.
//!
//! The web glue (`embed.rs`) turns a `MessageEvent`'s data into a [`Value`] with
//! `JSON.stringify` and hands it to [`parse`]; what it posts is built by [`outgoing`].

use serde_json::{json, Value};

use crate::sim::limits::{MAX_INPUT_BYTES, MAX_LINK_COMMANDS, MAX_SIM_TIME_MS};
use crate::sim::trace::Trace;

/// The longest kubectl command line a `podflow:load` may carry, in bytes.
pub const MAX_COMMAND_BYTES: usize = 4096;

/// A message the app acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    Load {
        manifest: String,
        cluster: Option<String>,
        commands: Vec<(u64, String)>,
    },
    /// 1-based, as the timeline numbers steps.
    Step(usize),
    Play,
    Pause,
}

/// Why a message was not acted on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejected {
    /// Not a podflow message at all (no `type`, or a type of another protocol): ignored
    /// without a word, since a page may talk to several frames.
    NotOurs,
    /// A `podflow:` message with a missing or wrong field; the text says which. A
    /// rejected `podflow:load` is answered with `podflow:error`.
    Invalid { load: bool, message: String },
}

/// Reads a message's data.
pub fn parse(data: &Value) -> Result<Incoming, Rejected> {
    let Some(object) = data.as_object() else {
        return Err(Rejected::NotOurs);
    };
    let Some(kind) = object.get("type").and_then(Value::as_str) else {
        return Err(Rejected::NotOurs);
    };
    let invalid = |message: String| Rejected::Invalid {
        load: kind == "podflow:load",
        message,
    };
    match kind {
        "podflow:load" => {
            let manifest = match object.get("manifest") {
                Some(Value::String(s)) => s.clone(),
                Some(_) => return Err(invalid("podflow:load: manifest is not a string".into())),
                None => return Err(invalid("podflow:load: manifest is missing".into())),
            };
            if manifest.len() > MAX_INPUT_BYTES {
                return Err(invalid(format!(
                    "podflow:load: the manifest is {} bytes; podflow reads at most {MAX_INPUT_BYTES} (limit MAX_INPUT_BYTES)",
                    manifest.len()
                )));
            }
            let cluster = match object.get("cluster") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s.len() <= MAX_INPUT_BYTES => Some(s.clone()),
                Some(Value::String(s)) => {
                    return Err(invalid(format!(
                        "podflow:load: the cluster is {} bytes; podflow reads at most {MAX_INPUT_BYTES} (limit MAX_INPUT_BYTES)",
                        s.len()
                    )))
                }
                Some(_) => {
                    return Err(invalid(
                        "podflow:load: cluster is not a string (cluster YAML)".into(),
                    ))
                }
            };
            let commands = match object.get("commands") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => commands(items).map_err(invalid)?,
                Some(_) => {
                    return Err(invalid(
                        "podflow:load: commands is not an array of [ms, command] pairs".into(),
                    ))
                }
            };
            Ok(Incoming::Load {
                manifest,
                cluster,
                commands,
            })
        }
        "podflow:step" => match object.get("step").and_then(Value::as_u64) {
            Some(n) if n >= 1 => Ok(Incoming::Step(usize::try_from(n).unwrap_or(usize::MAX))),
            _ => Err(invalid(
                "podflow:step: step is not a positive integer (steps are numbered from 1)".into(),
            )),
        },
        "podflow:play" => Ok(Incoming::Play),
        "podflow:pause" => Ok(Incoming::Pause),
        other if other.starts_with("podflow:") => Err(invalid(format!(
            "{}: not a message podflow understands (podflow:load, podflow:step, podflow:play, podflow:pause)",
            short(other)
        ))),
        _ => Err(Rejected::NotOurs),
    }
}

/// `[[ms, "kubectl …"], …]`.
fn commands(items: &[Value]) -> Result<Vec<(u64, String)>, String> {
    if items.len() > MAX_LINK_COMMANDS {
        return Err(format!(
            "podflow:load: {} commands; podflow takes at most {MAX_LINK_COMMANDS} (limit MAX_LINK_COMMANDS)",
            items.len()
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let pair = item.as_array().filter(|p| p.len() == 2);
        let (at, line) = match pair {
            Some(p) => (p[0].as_u64(), p[1].as_str()),
            None => (None, None),
        };
        let (Some(at), Some(line)) = (at, line) else {
            return Err(format!(
                "podflow:load: commands[{i}] is not a [ms, command] pair (a whole number of milliseconds and a string)"
            ));
        };
        if at > MAX_SIM_TIME_MS {
            return Err(format!(
                "podflow:load: commands[{i}] runs at {at} ms, later than the longest simulation, {MAX_SIM_TIME_MS} ms (limit MAX_SIM_TIME_MS)"
            ));
        }
        let line = line.trim();
        if line.is_empty() || line.len() > MAX_COMMAND_BYTES || line.contains(['\n', '\r']) {
            return Err(format!(
                "podflow:load: commands[{i}] is not one command line of 1 to {MAX_COMMAND_BYTES} bytes"
            ));
        }
        out.push((at, line.to_string()));
    }
    Ok(out)
}

fn short(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// A message to the parent page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// The app runs (and after each accepted load): the trace has `steps` steps.
    Ready { steps: usize },
    /// The learner is at `step` (1-based) of `total`; `label` is the message's name.
    Step {
        step: usize,
        total: usize,
        label: String,
    },
    /// `pod` (`namespace/name`) is Running for the first time at `step` (1-based).
    Running { pod: String, step: usize },
    /// A `podflow:load` was rejected.
    Error { message: String },
}

/// The JSON object posted for `message`, with `id` if the page has one.
pub fn outgoing(message: &Outgoing, id: Option<&str>) -> Value {
    let mut v = match message {
        Outgoing::Ready { steps } => json!({"type": "podflow:ready", "steps": steps}),
        Outgoing::Step { step, total, label } => {
            json!({"type": "podflow:step", "step": step, "total": total, "label": label})
        }
        Outgoing::Running { pod, step } => {
            json!({"type": "podflow:running", "pod": pod, "step": step})
        }
        Outgoing::Error { message } => json!({"type": "podflow:error", "message": message}),
    };
    if let (Some(id), Some(map)) = (id, v.as_object_mut()) {
        map.insert("id".into(), Value::String(id.to_string()));
    }
    v
}

/// For each pod that becomes Running in `trace`, the first step (0-based) at which its
/// stored status says `phase: Running`, in step order. Pods already Running before the
/// first step (the kube-system pods of the installed cluster) are not listed.
pub fn running_steps(trace: &Trace) -> Vec<(usize, String)> {
    const PODS: &str = "/registry/pods/";
    let running =
        |value: &Value| value.pointer("/status/phase").and_then(Value::as_str) == Some("Running");
    let mut seen: std::collections::BTreeSet<String> = trace
        .initial
        .range(PODS)
        .filter(|(_, kv)| running(&kv.value))
        .map(|(k, _)| k.to_string())
        .collect();
    let mut out = Vec::new();
    for (i, step) in trace.steps.iter().enumerate() {
        for w in step.writes.iter().filter(|w| w.key.starts_with(PODS)) {
            let key = w.key();
            if seen.contains(key) {
                continue;
            }
            if w.value.as_ref().is_some_and(|kv| running(&kv.value)) {
                seen.insert(key.to_string());
                out.push((i, key[PODS.len()..].to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{self, cluster::Cluster};

    fn invalid(load: bool, contains: &str, got: Result<Incoming, Rejected>) {
        match got {
            Err(Rejected::Invalid { load: l, message }) => {
                assert_eq!(l, load, "{message}");
                assert!(message.contains(contains), "{message}");
            }
            other => panic!("expected Invalid containing {contains:?}, got {other:?}"),
        }
    }

    #[test]
    fn a_load_is_read_field_by_field() {
        let got = parse(&json!({
            "type": "podflow:load",
            "manifest": "apiVersion: v1\n",
            "cluster": "nodes: []\n",
            "commands": [[0, "kubectl get pods"], [30000, " kubectl delete pod nginx "]],
            "extra": {"ignored": true},
        }));
        assert_eq!(
            got,
            Ok(Incoming::Load {
                manifest: "apiVersion: v1\n".into(),
                cluster: Some("nodes: []\n".into()),
                commands: vec![
                    (0, "kubectl get pods".into()),
                    (30_000, "kubectl delete pod nginx".into())
                ],
            })
        );
        assert_eq!(
            parse(&json!({"type": "podflow:load", "manifest": ""})),
            Ok(Incoming::Load {
                manifest: String::new(),
                cluster: None,
                commands: vec![]
            })
        );
    }

    #[test]
    fn a_bad_load_says_which_field() {
        invalid(
            true,
            "manifest is missing",
            parse(&json!({"type": "podflow:load"})),
        );
        invalid(
            true,
            "manifest is not a string",
            parse(&json!({"type": "podflow:load", "manifest": ["x"]})),
        );
        invalid(
            true,
            "MAX_INPUT_BYTES",
            parse(&json!({"type": "podflow:load", "manifest": "x".repeat(MAX_INPUT_BYTES + 1)})),
        );
        invalid(
            true,
            "cluster is not a string",
            parse(&json!({"type": "podflow:load", "manifest": "", "cluster": 3})),
        );
        for bad in [
            json!("kubectl get pods"),
            json!([["0", "kubectl get pods"]]),
            json!([[-1, "kubectl get pods"]]),
            json!([[1.5, "kubectl get pods"]]),
            json!([[0, "kubectl get pods", "x"]]),
            json!([[0, ""]]),
            json!([[0, "kubectl get pods\nkubectl delete pod x"]]),
            json!([[MAX_SIM_TIME_MS + 1, "kubectl get pods"]]),
        ] {
            let got = parse(&json!({"type": "podflow:load", "manifest": "", "commands": bad}));
            assert!(
                matches!(got, Err(Rejected::Invalid { load: true, .. })),
                "{bad}: {got:?}"
            );
        }
        let many: Vec<Value> = (0..=MAX_LINK_COMMANDS)
            .map(|_| json!([0, "kubectl get pods"]))
            .collect();
        invalid(
            true,
            "MAX_LINK_COMMANDS",
            parse(&json!({"type": "podflow:load", "manifest": "", "commands": many})),
        );
    }

    #[test]
    fn step_play_and_pause() {
        assert_eq!(
            parse(&json!({"type": "podflow:step", "step": 7})),
            Ok(Incoming::Step(7))
        );
        for bad in [json!(0), json!(-3), json!(2.5), json!("7"), Value::Null] {
            invalid(
                false,
                "positive integer",
                parse(&json!({"type": "podflow:step", "step": bad})),
            );
        }
        invalid(
            false,
            "positive integer",
            parse(&json!({"type": "podflow:step"})),
        );
        assert_eq!(parse(&json!({"type": "podflow:play"})), Ok(Incoming::Play));
        assert_eq!(
            parse(&json!({"type": "podflow:pause"})),
            Ok(Incoming::Pause)
        );
    }

    #[test]
    fn other_messages_are_not_ours() {
        for data in [
            Value::Null,
            json!("podflow:play"),
            json!(42),
            json!([{"type": "podflow:play"}]),
            json!({}),
            json!({"type": 3}),
            json!({"type": "webpackOk"}),
            json!({"source": "react-devtools"}),
        ] {
            assert_eq!(parse(&data), Err(Rejected::NotOurs), "{data}");
        }
        invalid(
            false,
            "not a message podflow",
            parse(&json!({"type": "podflow:eval"})),
        );
    }

    #[test]
    fn outgoing_messages_carry_the_id() {
        assert_eq!(
            outgoing(&Outgoing::Ready { steps: 40 }, Some("a")),
            json!({"type": "podflow:ready", "steps": 40, "id": "a"})
        );
        assert_eq!(
            outgoing(
                &Outgoing::Step {
                    step: 3,
                    total: 40,
                    label: "POST /api/v1/namespaces/default/pods".into()
                },
                None
            ),
            json!({"type": "podflow:step", "step": 3, "total": 40, "label": "POST /api/v1/namespaces/default/pods"})
        );
        assert_eq!(
            outgoing(
                &Outgoing::Running {
                    pod: "default/nginx".into(),
                    step: 31
                },
                Some("b")
            ),
            json!({"type": "podflow:running", "pod": "default/nginx", "step": 31, "id": "b"})
        );
        assert_eq!(
            outgoing(
                &Outgoing::Error {
                    message: "no".into()
                },
                None
            ),
            json!({"type": "podflow:error", "message": "no"})
        );
    }

    #[test]
    fn the_default_pod_becomes_running_once() {
        let trace = sim::simulate(sim::scenarios::NGINX, &Cluster::default(), 42).trace;
        let running = running_steps(&trace);
        assert_eq!(running.len(), 1, "{running:?}");
        let (at, pod) = &running[0];
        assert_eq!(pod, "default/nginx");
        let phase = |i: usize| {
            trace
                .etcd_at(i)
                .get("/registry/pods/default/nginx")
                .and_then(|kv| kv.value.pointer("/status/phase").cloned())
        };
        assert_eq!(phase(*at), Some(json!("Running")));
        assert_ne!(phase(at - 1), Some(json!("Running")));
    }
}
