//! Scrubber markers: the steps worth jumping to (an event recorded, a pod scheduled, a
//! phase change, a failure), found from the data each step already carries (its
//! category, label, summary, payload and etcd writes), never from the engine's
//! internals.
//!
//! Pure: `markers` reads a trace and returns values; the timeline renders them.

use crate::sim::etcd::Snapshot;
use crate::sim::object;
use crate::sim::trace::{Category, Step, Trace};

/// What a marker signals. Each has its own shape and name on screen, so colour is never
/// the only cue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkerKind {
    /// An Event object written (`POST …/events`).
    Event,
    /// A pod's `status.phase` changes (seen in etcd, or said in the summary).
    Phase,
    /// The scheduler binds a pod to a node (`POST …/pods/<name>/binding`).
    Scheduled,
    /// A request refused (HTTP 4xx/5xx but 404) or a Warning event (FailedScheduling,
    /// BackOff…).
    Failure,
}

impl MarkerKind {
    /// The word shown with the marker and used as its CSS modifier.
    pub fn name(self) -> &'static str {
        match self {
            MarkerKind::Event => "event",
            MarkerKind::Phase => "phase",
            MarkerKind::Scheduled => "scheduled",
            MarkerKind::Failure => "failure",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub step: usize,
    pub kind: MarkerKind,
    /// What a tooltip or screen reader says: the step's summary, or its label.
    pub text: String,
}

/// `403 Forbidden`, `422 Unprocessable Entity`: an HTTP error status at the start. A
/// `404 Not Found` is an answer, not a refusal (`kubectl apply` GETs before it creates).
fn http_error(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 3
        && matches!(b[0], b'4' | b'5')
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b.get(3).is_none_or(|c| *c == b' ')
        && !s.starts_with("404")
}

fn is_event_post(step: &Step) -> bool {
    step.label.starts_with("POST ") && step.label.contains("/events")
}

/// The marker a step deserves from its own fields, if any; the strongest signal wins.
pub fn classify(step: &Step) -> Option<MarkerKind> {
    let summary = step.summary.as_str();
    let refused =
        step.category == Category::Response && (http_error(&step.label) || http_error(summary));
    let warning = is_event_post(step)
        && (summary.contains("Warning")
            || step
                .payload
                .as_ref()
                .and_then(|p| p.json())
                .is_some_and(|e| {
                    // The Event the request carries.
                    object::str_at(e, "/type") == "Warning"
                })
            || step
                .payload
                .as_ref()
                .and_then(|p| p.as_text())
                .is_some_and(|p| {
                    // An event as text: JSON, compact or pretty, or YAML.
                    [
                        "\"type\":\"Warning\"",
                        "\"type\": \"Warning\"",
                        "type: Warning",
                    ]
                    .iter()
                    .any(|t| p.contains(t))
                }));
    if refused || warning {
        return Some(MarkerKind::Failure);
    }
    if step.label.starts_with("POST ") && step.label.ends_with("/binding") {
        return Some(MarkerKind::Scheduled);
    }
    if summary.to_ascii_lowercase().contains("phase") {
        return Some(MarkerKind::Phase);
    }
    if is_event_post(step) {
        return Some(MarkerKind::Event);
    }
    None
}

/// `pod default/nginx: Pending → Running` when `step` wrote a pod whose `status.phase`
/// differs from what etcd held `before`.
fn phase_change(before: &Snapshot, step: &Step) -> Option<String> {
    step.writes
        .iter()
        .filter(|w| w.key.starts_with("/registry/pods/"))
        .find_map(|w| {
            let key = w.key();
            let old = before.get(key)?;
            let new = w.value.as_ref()?;
            let (was, is) = (
                object::str_at(&old.value, "/status/phase"),
                object::str_at(&new.value, "/status/phase"),
            );
            (!is.is_empty() && was != is).then(|| {
                let pod = key.trim_start_matches("/registry/pods/");
                let was = if was.is_empty() { "no phase" } else { was };
                format!("pod {pod}: {was} → {is}")
            })
        })
}

/// Every marker of the trace, in step order. A phase change seen in etcd outranks the
/// step's own kind unless that is a failure.
pub fn markers(trace: &Trace) -> Vec<Marker> {
    // The keyspace before each step, replayed once along the trace.
    let mut before = trace.initial.clone();
    let mut out = Vec::new();
    for (i, step) in trace.steps.iter().enumerate() {
        let text = if step.summary.is_empty() {
            step.label.clone()
        } else {
            step.summary.clone()
        };
        let marker = match (classify(step), phase_change(&before, step)) {
            (Some(MarkerKind::Failure), _) => Some((MarkerKind::Failure, text)),
            (_, Some(change)) => Some((MarkerKind::Phase, change)),
            (kind, None) => kind.map(|k| (k, text)),
        };
        if let Some((kind, text)) = marker {
            out.push(Marker {
                step: i,
                kind,
                text,
            });
        }
        step.replay_onto(&mut before);
    }
    out
}

/// At most one marker per `buckets`-th of a trace of `len` steps (the strongest, then the
/// earliest), so a long trace's scrubber stays readable and cheap to draw.
pub fn thin(markers: &[Marker], len: usize, buckets: usize) -> Vec<Marker> {
    let mut out: Vec<Marker> = Vec::new();
    let mut last_bucket = None;
    for m in markers {
        let bucket = m.step * buckets.max(1) / len.max(1);
        match out.last_mut() {
            Some(prev) if last_bucket == Some(bucket) => {
                if m.kind > prev.kind {
                    *prev = m.clone();
                }
            }
            _ => {
                out.push(m.clone());
                last_bucket = Some(bucket);
            }
        }
    }
    out
}

/// The first marker after `step`, or the last one before it, for jumping.
pub fn next(markers: &[Marker], step: usize) -> Option<usize> {
    markers.iter().map(|m| m.step).find(|&s| s > step)
}

pub fn previous(markers: &[Marker], step: usize) -> Option<usize> {
    markers.iter().rev().map(|m| m.step).find(|&s| s < step)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sim::trace::{Component, Narration, Payload};

    pub(crate) fn step(
        from: Component,
        to: Component,
        category: Category,
        label: &str,
        summary: &str,
    ) -> Step {
        Step {
            at_ms: 0,
            from,
            to,
            category,
            label: label.into(),
            summary: summary.into(),
            payload: None,
            writes: Vec::new(),
            narration: Narration::default(),
            detail: None,
            revision: 0,
        }
    }

    /// A pod's creation as the engine will describe it, hand-written: kubectl's POST, the
    /// apiserver's stages and storage, the scheduler's binding, the kubelet's work.
    pub(crate) fn pod_trace() -> Trace {
        use Category::{Cri, Request, Response, Stage, Storage, Timer, Watch};
        use Component::*;
        let w1 = || "w1".to_string();
        let steps = vec![
            step(
                Kubectl,
                ApiServer,
                Request,
                "POST /api/v1/namespaces/default/pods",
                "pod nginx",
            ),
            step(
                ApiServer,
                ApiServer,
                Stage,
                "authentication",
                "user kubernetes-admin",
            ),
            step(
                ApiServer,
                ApiServer,
                Stage,
                "mutating admission",
                "ServiceAccount, DefaultTolerationSeconds",
            ),
            step(
                ApiServer,
                Etcd,
                Storage,
                "Txn create /registry/pods/default/nginx",
                "revision 601",
            ),
            step(
                ApiServer,
                Kubectl,
                Response,
                "201 Created",
                "pod/nginx created",
            ),
            step(
                ApiServer,
                Scheduler,
                Watch,
                "watch ADDED",
                "pod default/nginx, no nodeName",
            ),
            step(
                Scheduler,
                ApiServer,
                Request,
                "POST /api/v1/namespaces/default/pods/nginx/binding",
                "bind to w1",
            ),
            step(
                Scheduler,
                ApiServer,
                Request,
                "POST /api/v1/namespaces/default/events",
                "Normal Scheduled Successfully assigned default/nginx to w1",
            ),
            step(
                ApiServer,
                Kubelet(w1()),
                Watch,
                "watch MODIFIED",
                "pod default/nginx bound to w1",
            ),
            step(
                Kubelet(w1()),
                Runtime(w1()),
                Cri,
                "RunPodSandbox",
                "sandbox for nginx",
            ),
            step(
                Runtime(w1()),
                Cni(w1()),
                Category::Cni,
                "CNI ADD",
                "eth0 10.244.1.5/24",
            ),
            step(Kubelet(w1()), Runtime(w1()), Cri, "PullImage", "nginx"),
            step(
                Kubelet(w1()),
                ApiServer,
                Request,
                "PATCH /api/v1/namespaces/default/pods/nginx/status",
                "phase Pending → Running",
            ),
            step(
                Kubelet(w1()),
                Kubelet(w1()),
                Timer,
                "readiness probe",
                "HTTP GET :80 200",
            ),
            step(
                Kubelet(w1()),
                Kubelet(w1()),
                Timer,
                "readiness probe",
                "HTTP GET :80 200",
            ),
            step(
                Kubelet(w1()),
                Kubelet(w1()),
                Timer,
                "readiness probe",
                "HTTP GET :80 200",
            ),
            step(
                Kubelet(w1()),
                ApiServer,
                Request,
                "POST /api/v1/namespaces/default/events",
                "Warning BackOff Back-off restarting failed container nginx",
            ),
            step(
                Kubectl,
                ApiServer,
                Request,
                "POST /api/v1/namespaces/default/pods",
                "pod nginx again",
            ),
            step(
                ApiServer,
                Kubectl,
                Response,
                "409 Conflict",
                "pods \"nginx\" already exists",
            ),
            step(
                ApiServer,
                Kubectl,
                Response,
                "404 Not Found",
                "pods \"web\" not found",
            ),
        ];
        Trace {
            steps,
            ..Trace::default()
        }
    }

    #[test]
    fn markers_come_from_category_label_and_summary() {
        let found: Vec<(usize, MarkerKind)> = markers(&pod_trace())
            .iter()
            .map(|m| (m.step, m.kind))
            .collect();
        assert_eq!(
            found,
            [
                (6, MarkerKind::Scheduled),
                (7, MarkerKind::Event),
                (12, MarkerKind::Phase),
                (16, MarkerKind::Failure),
                (18, MarkerKind::Failure),
            ]
        );
        assert_eq!(
            markers(&pod_trace())[1].text,
            "Normal Scheduled Successfully assigned default/nginx to w1"
        );
    }

    #[test]
    fn a_phase_change_is_read_from_the_pod_etcd_holds() {
        use serde_json::json;
        let key = "/registry/pods/default/nginx";
        let pod = |phase: &str| json!({"metadata": {"name": "nginx"}, "status": {"phase": phase}});
        let mut etcd = Snapshot::default();
        etcd.create(key, pod("Pending")).unwrap();
        let mut trace = Trace {
            initial: etcd.clone(),
            ..Trace::default()
        };
        for phase in ["Pending", "Running", "Running"] {
            etcd.update(key, pod(phase), None).unwrap();
            let mut s = step(
                Component::ApiServer,
                Component::Etcd,
                Category::Storage,
                "Txn Put",
                "update /registry/pods/default/nginx",
            );
            let (key, kv) = etcd.entry(key).unwrap();
            s.writes = vec![crate::sim::trace::Write {
                key: key.clone(),
                value: Some(kv.clone()),
            }];
            s.revision = etcd.revision();
            trace.steps.push(s);
        }
        assert_eq!(
            markers(&trace),
            [Marker {
                step: 1,
                kind: MarkerKind::Phase,
                text: "pod default/nginx: Pending → Running".into()
            }]
        );
    }

    #[test]
    fn a_warning_event_in_the_payload_is_a_failure() {
        let mut s = step(
            Component::Kubelet("w1".into()),
            Component::ApiServer,
            Category::Request,
            "POST /api/v1/namespaces/default/events",
            "create events/nginx.1 as system:node:w1",
        );
        assert_eq!(classify(&s), Some(MarkerKind::Event));
        s.payload = Some(Payload::Text(
            r#"{"reason":"BackOff","type":"Warning"}"#.into(),
        ));
        assert_eq!(classify(&s), Some(MarkerKind::Failure));
        s.payload = Some(Payload::Json(std::sync::Arc::new(
            serde_json::json!({"reason": "Failed", "type": "Warning"}),
        )));
        assert_eq!(classify(&s), Some(MarkerKind::Failure));
        s.payload = Some(Payload::Json(std::sync::Arc::new(
            serde_json::json!({"reason": "Pulled", "type": "Normal"}),
        )));
        assert_eq!(classify(&s), Some(MarkerKind::Event));
    }

    #[test]
    fn a_not_found_answer_is_not_a_failure() {
        // kubectl apply's GET of an object that does not exist yet is routine.
        let new = step(
            Component::ApiServer,
            Component::Kubectl,
            Category::Response,
            "404 Not Found",
            "pods \"nginx\" not found",
        );
        assert_eq!(classify(&new), None);
    }

    #[test]
    fn a_created_response_is_not_a_failure() {
        let ok = step(
            Component::ApiServer,
            Component::Kubectl,
            Category::Response,
            "201 Created",
            "",
        );
        assert_eq!(classify(&ok), None);
        // A 4xx only counts as a status at the start of a response.
        let req = step(
            Component::Kubectl,
            Component::ApiServer,
            Category::Request,
            "404 Not Found",
            "",
        );
        assert_eq!(classify(&req), None);
        let long = step(
            Component::ApiServer,
            Component::Kubectl,
            Category::Response,
            "4040 things",
            "",
        );
        assert_eq!(classify(&long), None);
    }

    #[test]
    fn thinning_keeps_the_strongest_marker_per_bucket() {
        let all = markers(&pod_trace());
        // 20 steps in 4 buckets: [0,4] [5,9] [10,14] [15,19].
        let kept: Vec<(usize, MarkerKind)> =
            thin(&all, 20, 4).iter().map(|m| (m.step, m.kind)).collect();
        assert_eq!(
            kept,
            [
                (6, MarkerKind::Scheduled),
                (12, MarkerKind::Phase),
                (16, MarkerKind::Failure)
            ]
        );
        assert_eq!(thin(&all, 20, 1000), all);
        assert!(thin(&[], 0, 10).is_empty());
    }

    #[test]
    fn jumping_between_markers() {
        let all = markers(&pod_trace());
        assert_eq!(next(&all, 0), Some(6));
        assert_eq!(next(&all, 6), Some(7));
        assert_eq!(next(&all, 18), None);
        assert_eq!(previous(&all, 12), Some(7));
        assert_eq!(previous(&all, 6), None);
    }
}
