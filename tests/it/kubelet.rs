//! The kubelet's less common paths, each ending as a real cluster ends it.

use podflow::sim::{self, kubectl::print};

use crate::scenarios::{run, Outcome};

fn apply(manifest: &str) -> Outcome {
    let mut s = sim::Scenario::default();
    s.files.insert("pod.yaml".into(), manifest.into());
    s.commands.push((0, "kubectl apply -f pod.yaml".into()));
    run(&s, 42)
}

#[test]
fn a_malformed_image_reference_is_invalid_image_name() {
    let o = apply(include_str!("kubelet/invalid.yaml"));
    assert_eq!(o.status("badref"), "InvalidImageName");
    assert!(o.has_event(
        "badref",
        "Warning InspectFailed: Failed to apply default image tag \"nginx:Latest:x\": couldn't parse image name \"nginx:Latest:x\": invalid reference format"
    ));
    assert!(o.has_event("badref", "Warning Failed: Error: InvalidImageName"));
    assert!(
        !o.trace.steps.iter().any(|s| s.label == "PullImage"),
        "nothing is pulled"
    );
}

#[test]
fn pull_policy_never_without_the_image() {
    let o = apply(include_str!("kubelet/never.yaml"));
    assert_eq!(o.status("never"), "ErrImageNeverPull");
    assert!(o.has_event(
        "never",
        "Warning ErrImageNeverPull: Container image \"redis:7\" is not present with pull policy of Never"
    ));
}

#[test]
fn a_failing_init_container_blocks_the_app_and_crash_loops() {
    let o = apply(include_str!("kubelet/initfail.yaml"));
    assert_eq!(o.status("initfail"), "Init:CrashLoopBackOff");
    assert!(
        !o.trace
            .steps
            .iter()
            .any(|s| s.label == "CreateContainer" && s.summary.starts_with("web")),
        "the app container never starts"
    );
    let init = o.condition("initfail", "Initialized");
    assert_eq!(init["reason"], "ContainersNotInitialized");
    assert_eq!(
        init["message"],
        "containers with incomplete status: [setup]"
    );
}

#[test]
fn restart_policy_never_ends_in_failed() {
    let o = apply(include_str!("kubelet/fail-never.yaml"));
    assert_eq!(o.status("once"), "Error");
    assert_eq!(o.pod("once")["status"]["phase"], "Failed");
    let t = &o.pod("once")["status"]["containerStatuses"][0]["state"]["terminated"];
    assert_eq!(
        (t["exitCode"].as_i64(), t["reason"].as_str()),
        (Some(3), Some("Error"))
    );
    assert!(
        o.trace.steps.iter().any(|s| s.label == "CNI DEL"),
        "the sandbox of a finished pod is torn down"
    );
}

#[test]
fn a_startup_probe_holds_back_liveness_until_it_passes() {
    let o = apply(include_str!("kubelet/startup.yaml"));
    assert_eq!(print::pod_ready(o.pod("slowboot")), "1/1");
    assert_eq!(
        o.pod("slowboot")["status"]["containerStatuses"][0]["restartCount"],
        0
    );
    let probes: Vec<&str> = o
        .trace
        .steps
        .iter()
        .filter(|s| s.label.ends_with(" probe"))
        .map(|s| s.label.as_str())
        .collect();
    let first_liveness = probes
        .iter()
        .position(|l| *l == "liveness probe")
        .expect("liveness runs");
    assert!(
        probes[..first_liveness]
            .iter()
            .all(|l| *l == "startup probe"),
        "{probes:?}"
    );
    assert!(o
        .events_of("slowboot")
        .iter()
        .any(|e| e.starts_with("Warning Unhealthy: Startup probe failed: Get \"http://10.244.")));
}
