//! The Job controller (pkg/controller/job): `parallelism` pods at a time until
//! `completions` have succeeded, a new pod for each failed one after a doubling back-off
//! (10 s, 20 s, 40 s, …, at most 10 min), and the terminal conditions: `SuccessCriteriaMet`
//! then `Complete` (v1.31+), or `FailureTarget` then `Failed` with reason
//! `BackoffLimitExceeded` once more than `backoffLimit` pods have failed.
//!
//! Not modelled: the `batch.kubernetes.io/job-tracking` finalizer and
//! `uncountedTerminatedPods` bookkeeping (podflow's controller reads finished pods
//! directly), Indexed completion, pod failure policies, `activeDeadlineSeconds`.

use crate::sim::object::At;
use serde_json::{json, Value};

use super::{int, is_active, is_ready, owned, pod_from_template, ControllerManager, Key, OnOk};
use crate::sim::clock;
use crate::sim::engine::{resource_named, Ctx, Verb};
use crate::sim::object;

const CONTROLLER: &str = "job-controller";

/// `DefaultJobPodFailureBackOff` and `MaxJobPodFailureBackOff` (pkg/controller/job).
pub const POD_FAILURE_BACKOFF_MS: u64 = 10_000;
pub const MAX_POD_FAILURE_BACKOFF_MS: u64 = 10 * 60_000;

pub const BACKOFF_LIMIT_MESSAGE: &str = "Job has reached the specified backoff limit";
pub const COMPLETIONS_MESSAGE: &str = "Reached expected number of succeeded pods";

pub fn sync(cm: &mut ControllerManager, ctx: &mut Ctx<'_>, key: &Key) {
    let (_, ns, name) = key;
    let Some(job) = super::get(ctx, &format!("/registry/jobs/{ns}/{name}")) else {
        cm.job_failures.remove(key);
        return;
    };
    if crate::sim::object::at(&job, "/metadata/deletionTimestamp").is_some() {
        return;
    }
    let finished = job
        .at("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                matches!(c["type"].as_str(), Some("Complete" | "Failed")) && c["status"] == "True"
            })
        });
    if finished
        || crate::sim::object::at(&job, "/spec/suspend").and_then(Value::as_bool) == Some(true)
    {
        return;
    }
    let uid = object::str_at(&job, "/metadata/uid").to_string();
    let pods = owned(ctx, "pods", ns, &uid);
    let active: Vec<&Value> = pods.iter().filter(|p| is_active(p)).collect();
    let succeeded = pods
        .iter()
        .filter(|p| object::str_at(p, "/status/phase") == "Succeeded")
        .count() as i64;
    let failed = pods
        .iter()
        .filter(|p| object::str_at(p, "/status/phase") == "Failed")
        .count() as i64;
    let completions = int(&job, "/spec/completions", 1);
    let parallelism = int(&job, "/spec/parallelism", 1);
    let backoff_limit = int(&job, "/spec/backoffLimit", 6);
    let now = clock::rfc3339(ctx.now);
    let mut status = job.get("status").cloned().unwrap_or(json!({}));
    if !status.is_object() {
        status = json!({});
    }
    if status.get("startTime").is_none() {
        status["startTime"] = json!(now);
    }
    let mut conditions: Vec<Value> = status
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let condition = |kind: &str, reason: &str, message: &str| {
        json!({"type": kind, "status": "True", "reason": reason, "message": message,
               "lastProbeTime": now, "lastTransitionTime": now})
    };
    let Some(pods_resource) = resource_named("", "pods") else {
        return;
    };
    let mut active_count = active.len() as i64;
    if failed > backoff_limit {
        // exceedsBackoffLimit: the Job fails; its remaining pods are deleted.
        for pod in &active {
            cm.request(
                ctx,
                key,
                CONTROLLER,
                Verb::Delete,
                pods_resource,
                ns,
                object::name(pod),
                None,
                Some(json!({"kind": "DeleteOptions", "apiVersion": "v1"})),
                OnOk::Nothing,
            );
        }
        active_count = 0;
        conditions.push(condition(
            "FailureTarget",
            "BackoffLimitExceeded",
            BACKOFF_LIMIT_MESSAGE,
        ));
        conditions.push(condition(
            "Failed",
            "BackoffLimitExceeded",
            BACKOFF_LIMIT_MESSAGE,
        ));
        cm.event(
            ctx,
            CONTROLLER,
            &job,
            "Warning",
            "BackoffLimitExceeded",
            BACKOFF_LIMIT_MESSAGE,
        );
    } else if succeeded >= completions {
        conditions.push(condition(
            "SuccessCriteriaMet",
            "CompletionsReached",
            COMPLETIONS_MESSAGE,
        ));
        conditions.push(condition(
            "Complete",
            "CompletionsReached",
            COMPLETIONS_MESSAGE,
        ));
        status["completionTime"] = json!(now);
        cm.event(
            ctx,
            CONTROLLER,
            &job,
            "Normal",
            "Completed",
            "Job completed",
        );
    } else {
        let want = (completions - succeeded).min(parallelism).max(0);
        let missing = want - active_count;
        if missing > 0 {
            // A failed pod is replaced only after the back-off, counted from when the
            // controller saw the failure.
            let seen = cm.job_failures.get(key).copied();
            let since = match seen {
                Some((count, at)) if count == failed => at,
                _ => {
                    cm.job_failures.insert(key.clone(), (failed, ctx.now));
                    ctx.now
                }
            };
            let delay = if failed == 0 {
                0
            } else {
                (POD_FAILURE_BACKOFF_MS << (failed - 1).min(16) as u32)
                    .min(MAX_POD_FAILURE_BACKOFF_MS)
            };
            if ctx.now < since + delay {
                cm.requeue_after(ctx, key, since + delay - ctx.now);
            } else {
                let template = crate::sim::object::at(&job, "/spec/template")
                    .cloned()
                    .unwrap_or(json!({}));
                for _ in 0..missing {
                    let pod = pod_from_template(&job, &template, name);
                    cm.create_pod(ctx, key, CONTROLLER, pods_resource, ns, &job, pod);
                }
                active_count += missing;
            }
        }
    }
    let ready = active.iter().filter(|p| is_ready(p)).count() as i64;
    for (field, value) in [
        ("active", active_count),
        ("succeeded", succeeded),
        ("failed", failed),
    ] {
        // omitempty counts.
        match value {
            0 => {
                if let Some(m) = status.as_object_mut() {
                    m.remove(field);
                }
            }
            v => status[field] = json!(v),
        }
    }
    status["ready"] = json!(if active_count == 0 { 0 } else { ready });
    status["terminating"] = json!(0);
    status["uncountedTerminatedPods"] = json!({});
    if !conditions.is_empty() {
        status["conditions"] = json!(conditions);
    }
    let Some(resource) = resource_named("batch", "jobs") else {
        return;
    };
    cm.update_status(ctx, key, CONTROLLER, resource, &job, status);
}
