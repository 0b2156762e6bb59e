//! The shared corpus: real public manifests, applied with `kubectl apply -f` to the
//! reference cluster, checked against what tests/corpus/INDEX.md says a real cluster
//! does with each (STATUS, phase, reasons, and the exact event and error strings).

use podflow::sim::{kubectl::print, Scenario};

use crate::scenarios::{run, Outcome};

fn corpus(name: &str) -> String {
    let path = format!("{}/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Applies the files in order, one second apart, as a learner would.
fn apply(files: &[&str]) -> Outcome {
    let mut s = Scenario::default();
    for (i, f) in files.iter().enumerate() {
        let text = if f.ends_with(".yaml") && !f.starts_with("ns:") {
            corpus(f)
        } else {
            String::new()
        };
        if let Some(ns) = f.strip_prefix("ns:") {
            let name = format!("{ns}.yaml");
            s.files.insert(
                name.clone(),
                format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"),
            );
            s.commands
                .push((i as u64 * 1000, format!("kubectl apply -f {name}")));
        } else {
            s.files.insert(f.to_string(), text);
            s.commands
                .push((i as u64 * 1000, format!("kubectl apply -f {f}")));
        }
    }
    run(&s, 42)
}

#[test]
fn row_1_simple_pod_runs() {
    let o = apply(&["pods__simple-pod.yaml"]);
    assert_eq!(o.trace.kubectl, ["pod/nginx created"]);
    assert_eq!(
        o.pod("nginx")["spec"]["containers"][0]["imagePullPolicy"],
        "IfNotPresent"
    );
    assert_eq!(o.status("nginx"), "Running");
    assert_eq!(print::pod_ready(o.pod("nginx")), "1/1");
    let reasons: Vec<String> = o
        .events_of("nginx")
        .iter()
        .map(|e| e.split(':').next().unwrap().to_string())
        .collect();
    assert_eq!(
        reasons,
        [
            "Normal Scheduled",
            "Normal Pulling",
            "Normal Pulled",
            "Normal Created",
            "Normal Started"
        ]
    );
    assert!(o.has_event("nginx", "Normal Pulling: Pulling image \"nginx:1.14.2\""));
    let ip = o.pod("nginx")["status"]["podIP"].as_str().unwrap();
    assert!(
        ip.starts_with("10.244.1.") || ip.starts_with("10.244.2."),
        "{ip}"
    );
}

#[test]
fn row_3_commands_completes() {
    let o = apply(&["pods__commands.yaml"]);
    assert_eq!(o.status("command-demo"), "Completed");
    assert_eq!(o.pod("command-demo")["status"]["phase"], "Succeeded");
    let ready = o.condition("command-demo", "Ready");
    assert_eq!(
        (ready["status"].as_str(), ready["reason"].as_str()),
        (Some("False"), Some("PodCompleted"))
    );
}

#[test]
fn row_5_exec_liveness_restarts() {
    let o = apply(&["pods__probe__exec-liveness.yaml"]);
    assert_eq!(o.status("liveness-exec"), "Running");
    assert!(o.has_event(
        "liveness-exec",
        "Warning Unhealthy: Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory"
    ));
    assert!(o.has_event(
        "liveness-exec",
        "Normal Killing: Container liveness failed liveness probe, will be restarted"
    ));
    // RESTARTS 1 at about 1–1.5 min: sh as PID 1 ignores SIGTERM, so the kill takes the 30 s grace.
    let first_restart = o
        .trace
        .steps
        .iter()
        .find(|s| s.label == "CreateContainer" && s.summary.ends_with("attempt 1"))
        .map(|s| s.at_ms)
        .unwrap();
    assert!(
        (60_000..=90_000).contains(&first_restart),
        "{first_restart}"
    );
}

#[test]
fn row_7_tcp_readiness_after_15s() {
    let o = apply(&["pods__probe__tcp-liveness-readiness.yaml"]);
    assert_eq!(print::pod_ready(o.pod("goproxy")), "1/1");
    assert_eq!(
        o.pod("goproxy")["status"]["containerStatuses"][0]["restartCount"],
        0
    );
    // 0/1 Running until the first readiness probe at initialDelaySeconds 15.
    let started = o
        .trace
        .steps
        .iter()
        .find(|s| s.label == "StartContainer → ok")
        .unwrap()
        .at_ms;
    let ready = o
        .trace
        .steps
        .iter()
        .find(|s| s.label == "readiness probe")
        .unwrap();
    assert_eq!(ready.at_ms - started, 15_000);
    assert!(ready.summary.starts_with("goproxy: success"));
}

#[test]
fn row_8_grpc_liveness_passes() {
    let o = apply(&["pods__probe__grpc-liveness.yaml"]);
    assert_eq!(o.status("etcd-with-grpc"), "Running");
    assert_eq!(
        o.pod("etcd-with-grpc")["status"]["containerStatuses"][0]["restartCount"],
        0
    );
}

const MEMORY_MESSAGE: &str = "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient memory. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.";

#[test]
fn rows_10_and_11_need_their_namespace_then_do_not_fit() {
    let o = apply(&["pods__resource__memory-request-limit-3.yaml"]);
    assert_eq!(
        o.trace.kubectl,
        ["Error from server (NotFound): error when creating \"pods__resource__memory-request-limit-3.yaml\": namespaces \"mem-example\" not found"]
    );
    let o = apply(&[
        "ns:mem-example",
        "pods__resource__memory-request-limit-3.yaml",
    ]);
    assert_eq!(o.status("memory-demo-3"), "Pending");
    assert!(o.has_event(
        "memory-demo-3",
        &format!("Warning FailedScheduling: {MEMORY_MESSAGE}")
    ));
    let o = apply(&["ns:cpu-example", "pods__resource__cpu-request-limit-2.yaml"]);
    assert!(o.has_event(
        "cpu-demo-2",
        &format!(
            "Warning FailedScheduling: {}",
            MEMORY_MESSAGE.replace("memory", "cpu")
        )
    ));
}

#[test]
fn row_14_a_pod_for_a_node_that_does_not_exist_waits_without_events() {
    let o = apply(&["pods__pod-nginx-specific-node.yaml"]);
    assert_eq!(o.status("nginx"), "Pending");
    assert_eq!(o.pod("nginx")["spec"]["nodeName"], "foo-node");
    assert!(
        o.events_of("nginx").is_empty(),
        "{:?}",
        o.events_of("nginx")
    );
}

#[test]
fn row_15_toleration_does_not_cover_the_control_plane() {
    let o = apply(&["pods__pod-with-toleration.yaml"]);
    assert_eq!(o.status("nginx"), "Running");
    let node = o.pod("nginx")["spec"]["nodeName"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(node == "w1" || node == "w2");
    let tolerations = o.pod("nginx")["spec"]["tolerations"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        tolerations, 3,
        "example-key plus the two default 300 s ones"
    );
}

#[test]
fn row_16_scheduling_gates() {
    let o = apply(&["pods__pod-with-scheduling-gates.yaml"]);
    assert_eq!(o.status("test-pod"), "SchedulingGated");
    let c = o.condition("test-pod", "PodScheduled");
    assert_eq!(
        (c["status"].as_str(), c["reason"].as_str()),
        (Some("False"), Some("SchedulingGated"))
    );
    assert!(o.events_of("test-pod").is_empty());
}

#[test]
fn row_18_envfrom_configmap() {
    let o = apply(&["pods__pod-configmap-envFrom.yaml"]);
    assert_eq!(o.status("dapi-test-pod"), "CreateContainerConfigError");
    assert!(o.has_event(
        "dapi-test-pod",
        "Warning Failed: Error: configmap \"special-config\" not found"
    ));
}

#[test]
fn row_19_secret_env_without_and_with_the_secret() {
    let o = apply(&["pods__inject__secret-envars-pod.yaml"]);
    assert_eq!(
        o.status("secret-envars-test-pod"),
        "CreateContainerConfigError"
    );
    assert!(o.has_event(
        "secret-envars-test-pod",
        "Warning Failed: Error: secret \"test-secret\" not found"
    ));
    let o = apply(&[
        "pods__inject__secret.yaml",
        "pods__inject__secret-envars-pod.yaml",
    ]);
    assert_eq!(
        o.trace.kubectl,
        [
            "secret/test-secret created",
            "pod/secret-envars-test-pod created"
        ]
    );
    assert_eq!(o.status("secret-envars-test-pod"), "Running");
}

#[test]
fn row_22_lifecycle_hooks_run() {
    let o = apply(&["pods__lifecycle-events.yaml"]);
    assert_eq!(o.status("lifecycle-demo"), "Running");
}

#[test]
fn row_23_malformed_node_affinity_is_rejected_at_decode() {
    let o = apply(&["pods__pod-with-node-affinity.yaml"]);
    assert_eq!(
        o.trace.kubectl,
        ["Error from server (BadRequest): error when creating \"pods__pod-with-node-affinity.yaml\": Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal array into Go struct field NodeAffinity.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution of type v1.NodeSelector"]
    );
    assert!(o.pods.is_empty(), "nothing written to etcd");
}

#[test]
fn companions_preferred_affinity_and_extended_resources() {
    let o = apply(&["pods__pod-nginx-preferred-affinity.yaml"]);
    assert_eq!(o.status("nginx"), "Running");
    let o = apply(&["pods__resource__extended-resource-pod.yaml"]);
    assert!(o
        .events_of("extended-resource-demo")
        .iter()
        .any(|e| e.contains("2 Insufficient example.com/dongle")));
}

fn workload_objects(o: &Outcome, plural: &str) -> Vec<serde_json::Value> {
    crate::workloads::objects(o, plural)
}

/// The pods a controller made: `<prefix>-…`, Running, on the workers.
fn running_on_workers(o: &Outcome, prefix: &str, count: usize) {
    let pods: Vec<&serde_json::Value> = o
        .pods
        .iter()
        .filter(|p| p["metadata"]["name"].as_str().unwrap().starts_with(prefix))
        .collect();
    assert_eq!(pods.len(), count, "{prefix}: {:?}", o.trace.kubectl);
    for p in pods {
        assert_eq!(print::pod_status(p), "Running");
        assert!(matches!(p["spec"]["nodeName"].as_str(), Some("w1" | "w2")));
    }
}

#[test]
fn row_25_deployment_two_replicas() {
    let o = apply(&["application__deployment.yaml"]);
    assert_eq!(
        o.trace.kubectl,
        ["deployment.apps/nginx-deployment created"]
    );
    let rs = &workload_objects(&o, "replicasets")[0];
    let rs_name = rs["metadata"]["name"].as_str().unwrap();
    let hash = rs_name.strip_prefix("nginx-deployment-").unwrap();
    assert!((9..=10).contains(&hash.len()));
    running_on_workers(&o, &format!("{rs_name}-"), 2);
    assert!(o.has_event(
        "nginx-deployment",
        &format!("Normal ScalingReplicaSet: Scaled up replica set {rs_name} from 0 to 2")
    ));
    assert!(o
        .events_of(rs_name)
        .iter()
        .all(|e| e.starts_with(&format!("Normal SuccessfulCreate: Created pod: {rs_name}-"))));
    let d = &workload_objects(&o, "deployments")[0];
    let table = print::get_table("Deployment", &[d], "default", 60_000, false).unwrap();
    let row: Vec<&str> = table
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(row[1..4], ["2/2", "2", "2"]);
}

#[test]
fn row_26_owner_references_chain_deployment_to_pods() {
    let o = apply(&["controllers__nginx-deployment.yaml"]);
    let d = &workload_objects(&o, "deployments")[0];
    let rs = &workload_objects(&o, "replicasets")[0];
    let rs_ref = &rs["metadata"]["ownerReferences"][0];
    assert_eq!(
        (rs_ref["kind"].as_str(), rs_ref["uid"].as_str()),
        (Some("Deployment"), d["metadata"]["uid"].as_str())
    );
    assert_eq!(rs_ref["controller"], true);
    assert_eq!(rs_ref["blockOwnerDeletion"], true);
    running_on_workers(&o, "nginx-deployment-", 3);
    for p in &o.pods {
        let r = &p["metadata"]["ownerReferences"][0];
        assert_eq!(
            (r["kind"].as_str(), r["uid"].as_str()),
            (Some("ReplicaSet"), rs["metadata"]["uid"].as_str())
        );
        assert_eq!(
            (r["controller"].as_bool(), r["blockOwnerDeletion"].as_bool()),
            (Some(true), Some(true))
        );
    }
    let nodes: std::collections::BTreeSet<&str> = o
        .pods
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap())
        .collect();
    assert_eq!(nodes.len(), 2, "spread over w1 and w2");
}

#[test]
fn row_28_run_my_nginx() {
    let o = apply(&["service__networking__run-my-nginx.yaml"]);
    assert_eq!(o.trace.kubectl, ["deployment.apps/my-nginx created"]);
    running_on_workers(&o, "my-nginx-", 2);
    let nodes: std::collections::BTreeSet<&str> = o
        .pods
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap())
        .collect();
    assert_eq!(nodes.len(), 2, "w1 and w2");
}

#[test]
fn row_31_the_pi_job_completes() {
    let o = apply(&["controllers__job.yaml"]);
    assert_eq!(o.trace.kubectl, ["job.batch/pi created"]);
    let pod = &o.pods[0];
    assert!(pod["metadata"]["name"].as_str().unwrap().starts_with("pi-"));
    for label in ["batch.kubernetes.io/job-name", "job-name"] {
        assert_eq!(pod["metadata"]["labels"][label], "pi");
    }
    assert!(pod["metadata"]["labels"]["controller-uid"].is_string());
    assert_eq!(print::pod_status(pod), "Completed");
    let job = &workload_objects(&o, "jobs")[0];
    let table = print::get_table("Job", &[job], "default", 60_000, false).unwrap();
    assert!(table.stdout.lines().nth(1).unwrap().contains("1/1"));
    let types: Vec<&str> = job["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["SuccessCriteriaMet", "Complete"]);
}

#[test]
fn row_33_daemonset_skips_the_control_plane() {
    let o = apply(&["controllers__daemonset.yaml"]);
    assert_eq!(
        o.trace.kubectl,
        ["daemonset.apps/fluentd-elasticsearch created"]
    );
    let mut nodes: Vec<&str> = o
        .pods
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap())
        .collect();
    nodes.sort();
    assert_eq!(nodes, ["w1", "w2"]);
    for p in &o.pods {
        assert_eq!(p["metadata"]["namespace"], "kube-system");
        let tolerations = p["spec"]["tolerations"].as_array().unwrap();
        let has = |key: &str, effect: &str| {
            tolerations.iter().any(|t| {
                t["key"] == key
                    && t["effect"] == effect
                    && t["operator"] == "Exists"
                    && t.get("tolerationSeconds").is_none()
            })
        };
        assert!(has("node.kubernetes.io/not-ready", "NoExecute"));
        assert!(has("node.kubernetes.io/unreachable", "NoExecute"));
        for key in [
            "disk-pressure",
            "memory-pressure",
            "pid-pressure",
            "unschedulable",
        ] {
            assert!(
                has(&format!("node.kubernetes.io/{key}"), "NoSchedule"),
                "{key}"
            );
        }
        assert!(matches!(
            print::pod_status(p).as_str(),
            "ErrImagePull" | "ImagePullBackOff" | "Running"
        ));
    }
}

#[test]
fn row_34_guestbook_frontend_spreads_over_the_workers() {
    let o = apply(&["examples__guestbook__frontend-deployment.yaml"]);
    assert_eq!(o.trace.kubectl, ["deployment.apps/frontend created"]);
    assert_eq!(o.pods.len(), 3);
    let nodes: std::collections::BTreeSet<&str> = o
        .pods
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap())
        .collect();
    assert_eq!(
        nodes.len(),
        2,
        "requests count for LeastAllocated: both workers"
    );
}

#[test]
fn companion_replicaset_runs_three_pods() {
    let o = apply(&["controllers__replicaset.yaml"]);
    assert_eq!(o.trace.kubectl, ["replicaset.apps/my-repset created"]);
    running_on_workers(&o, "my-repset-", 3);
    let nodes: std::collections::BTreeSet<&str> = o
        .pods
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap())
        .collect();
    assert_eq!(nodes.len(), 2);
}
