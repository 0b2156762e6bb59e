//! Workloads, controllers and Services: the presets and corpus rows that exercise the
//! Deployment, ReplicaSet, Job, DaemonSet, EndpointSlice and garbage-collector
//! controllers, kube-proxy and CoreDNS, checked against what a real cluster shows.

use podflow::sim::{self, check, engine::api_object, kubectl::print, scenarios};
use serde_json::Value;

use crate::scenarios::{run, Outcome};

fn preset(id: &str) -> Outcome {
    run(&scenarios::preset(id).expect("preset").scenario(), 42)
}

/// Every object of `plural` at the end of the run.
/// The objects of a kind the run created (not the kube-system ones installed with the cluster).
pub fn objects(o: &Outcome, plural: &str) -> Vec<Value> {
    o.trace
        .etcd_at(usize::MAX)
        .range(&format!("/registry/{plural}/"))
        .filter(|(key, _)| o.trace.initial.get(key).is_none())
        .map(|(_, kv)| api_object(kv))
        .collect()
}

fn table(o: &Outcome, kind: &str, plural: &str, ns: &str) -> String {
    let objs = objects(o, plural);
    let refs: Vec<&Value> = objs
        .iter()
        .filter(|x| x["metadata"]["namespace"] == ns)
        .collect();
    let end = o.trace.steps.last().map_or(0, |s| s.at_ms);
    print::get_table(kind, &refs, ns, end, false)
        .unwrap()
        .stdout
}

fn column(table: &str, row: usize, col: usize) -> String {
    table
        .lines()
        .nth(row)
        .and_then(|l| l.split_whitespace().nth(col))
        .unwrap_or("")
        .to_string()
}

/// The deployment's pods: `<rs>-<5>` names, owner references, spread over the workers.
#[test]
fn a_three_replica_deployment_creates_its_replica_set_and_pods() {
    let o = preset("deployment");
    assert_eq!(
        o.trace.kubectl,
        ["deployment.apps/nginx-deployment created"]
    );
    let rs = objects(&o, "replicasets");
    assert_eq!(rs.len(), 1);
    let rs = &rs[0];
    let rs_name = rs["metadata"]["name"].as_str().unwrap();
    let hash = rs_name.strip_prefix("nginx-deployment-").unwrap();
    assert!((9..=10).contains(&hash.len()), "{hash}");
    assert_eq!(rs["metadata"]["labels"]["pod-template-hash"], hash);
    assert_eq!(
        rs["spec"]["selector"]["matchLabels"]["pod-template-hash"],
        hash
    );
    let annotations = &rs["metadata"]["annotations"];
    assert_eq!(annotations["deployment.kubernetes.io/revision"], "1");
    assert_eq!(
        annotations["deployment.kubernetes.io/desired-replicas"],
        "3"
    );
    assert_eq!(annotations["deployment.kubernetes.io/max-replicas"], "4");
    let owner = &rs["metadata"]["ownerReferences"][0];
    assert_eq!(owner["kind"], "Deployment");
    assert_eq!(
        (
            owner["controller"].as_bool(),
            owner["blockOwnerDeletion"].as_bool()
        ),
        (Some(true), Some(true))
    );
    assert_eq!(o.pods.len(), 3);
    for pod in &o.pods {
        let name = pod["metadata"]["name"].as_str().unwrap();
        assert_eq!(name.len(), rs_name.len() + 6, "{name}");
        assert!(name.starts_with(&format!("{rs_name}-")));
        assert_eq!(pod["metadata"]["ownerReferences"][0]["name"], rs_name);
        assert_eq!(print::pod_status(pod), "Running");
        assert!(matches!(
            pod["spec"]["nodeName"].as_str(),
            Some("w1" | "w2")
        ));
    }
    assert!(o.has_event(
        "nginx-deployment",
        &format!("Normal ScalingReplicaSet: Scaled up replica set {rs_name} from 0 to 3")
    ));
    let creates: Vec<String> = o.events_of(rs_name);
    assert_eq!(creates.len(), 3);
    assert!(creates
        .iter()
        .all(|e| e.starts_with(&format!("Normal SuccessfulCreate: Created pod: {rs_name}-"))));
    // Slow start: one create, then two.
    let posts: Vec<u64> = o
        .trace
        .steps
        .iter()
        .filter(|s| s.label == "POST /api/v1/namespaces/default/pods")
        .map(|s| s.at_ms)
        .collect();
    assert_eq!(posts.len(), 3);
    assert!(posts[0] < posts[1] && posts[1] == posts[2], "{posts:?}");
    let deploy = table(&o, "Deployment", "deployments", "default");
    assert_eq!(column(&deploy, 1, 1), "3/3");
    assert_eq!(
        (column(&deploy, 1, 2), column(&deploy, 1, 3)),
        ("3".into(), "3".into())
    );
    let d = &objects(&o, "deployments")[0];
    let conditions: Vec<String> = d["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {}: {}",
                c["type"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
                c["reason"].as_str().unwrap(),
                c["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        conditions,
        [
            "Available True MinimumReplicasAvailable: Deployment has minimum availability.".to_string(),
            format!("Progressing True NewReplicaSetAvailable: ReplicaSet \"{rs_name}\" has successfully progressed."),
        ]
    );
    // Each controller acts as its own ServiceAccount.
    assert!(o.trace.steps.iter().any(|s| s
        .summary
        .ends_with("as system:serviceaccount:kube-system:deployment-controller")));
    assert!(o.trace.steps.iter().any(|s| s
        .summary
        .ends_with("as system:serviceaccount:kube-system:replicaset-controller")));
    check::trace(&o.trace).unwrap();
}

#[test]
fn a_service_gets_a_cluster_ip_an_endpoint_slice_and_kube_proxy_rules() {
    let o = preset("deployment-service");
    assert_eq!(
        o.trace.kubectl[..2],
        [
            "deployment.apps/my-nginx created",
            "service/my-nginx created"
        ]
    );
    let svc = objects(&o, "services/specs")
        .into_iter()
        .find(|s| s["metadata"]["name"] == "my-nginx")
        .unwrap();
    let ip = svc["spec"]["clusterIP"].as_str().unwrap().to_string();
    assert!(
        ip.starts_with("10.9") || ip.starts_with("10.10") || ip.starts_with("10.11"),
        "{ip}"
    );
    assert_eq!(svc["spec"]["clusterIPs"][0], ip.as_str());
    let printed = o.trace.kubectl[2..].join("\n");
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    assert!(lines
        .iter()
        .any(|l| l.starts_with("service/my-nginx") && l.contains(&ip) && l.contains("80/TCP")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("NAME") && l.contains("ADDRESSTYPE")));
    let slices: Vec<Value> = objects(&o, "endpointslices")
        .into_iter()
        .filter(|s| s["metadata"]["labels"]["kubernetes.io/service-name"] == "my-nginx")
        .collect();
    assert_eq!(slices.len(), 1);
    let slice = &slices[0];
    let name = slice["metadata"]["name"].as_str().unwrap();
    assert_eq!(name.len(), "my-nginx-".len() + 5, "{name}");
    assert_eq!(
        slice["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"],
        "endpointslice-controller.k8s.io"
    );
    assert_eq!(slice["metadata"]["ownerReferences"][0]["kind"], "Service");
    assert_eq!(slice["addressType"], "IPv4");
    let endpoints = slice["endpoints"].as_array().unwrap();
    assert_eq!(endpoints.len(), 2);
    for e in endpoints {
        assert_eq!(e["conditions"]["ready"], true);
        assert_eq!(e["targetRef"]["kind"], "Pod");
        let pod = o.pod(e["targetRef"]["name"].as_str().unwrap());
        assert_eq!(e["addresses"][0], pod["status"]["podIP"]);
        assert_eq!(e["nodeName"], pod["spec"]["nodeName"]);
    }
    assert_eq!(
        slice["ports"],
        serde_json::json!([{"name": "", "port": 80, "protocol": "TCP"}])
    );
    // kube-proxy on every node wrote the service's chain (default/my-nginx, unnamed port).
    let chain = sim::proxy::service_chain("default/my-nginx", "tcp");
    for node in ["cp", "w1", "w2"] {
        let last = o
            .trace
            .steps
            .iter()
            .rev()
            .find(|s| {
                s.label == "iptables-restore" && s.from.to_string() == format!("kube-proxy@{node}")
            })
            .unwrap_or_else(|| panic!("no sync on {node}"));
        let rules = last.payload.as_ref().and_then(|p| p.as_text()).unwrap();
        assert!(rules.contains(&format!("-A KUBE-SERVICES -d {ip}/32 -p tcp -m comment --comment \"default/my-nginx cluster IP\" -m tcp --dport 80 -j {chain}")), "{rules}");
        assert!(rules.contains("--probability 0.50000000000"), "{rules}");
        assert!(
            rules.contains("KUBE-SVC-NPX46M4PTMTKRN6Y"),
            "the kubernetes service: {rules}"
        );
    }
    check::trace(&o.trace).unwrap();
}

#[test]
fn scaling_down_deletes_the_extra_pods_gracefully() {
    let o = preset("scale-down");
    assert_eq!(
        o.trace.kubectl,
        [
            "deployment.apps/nginx-deployment created",
            "deployment.apps/nginx-deployment scaled"
        ]
    );
    let rs = &objects(&o, "replicasets")[0];
    let rs_name = rs["metadata"]["name"].as_str().unwrap();
    assert!(o.has_event(
        "nginx-deployment",
        &format!("Normal ScalingReplicaSet: Scaled down replica set {rs_name} from 3 to 1")
    ));
    assert_eq!(o.pods.len(), 1);
    let deletes = o
        .events_of(rs_name)
        .iter()
        .filter(|e| e.starts_with("Normal SuccessfulDelete: Deleted pod: "))
        .count();
    assert_eq!(deletes, 2);
    assert!(o.trace.steps.iter().any(|s| s
        .label
        .starts_with("PATCH /apis/apps/v1/namespaces/default/deployments/nginx-deployment/scale")));
    assert_eq!(rs["status"]["replicas"], 1);
    check::trace(&o.trace).unwrap();
}

#[test]
fn a_rolling_update_replaces_the_replica_set_within_max_surge() {
    let o = preset("rolling-update");
    assert_eq!(
        o.trace.kubectl[..2],
        [
            "deployment.apps/nginx-deployment created",
            "deployment.apps/nginx-deployment configured"
        ]
    );
    assert_eq!(
        o.trace.kubectl.last().unwrap(),
        "deployment \"nginx-deployment\" successfully rolled out"
    );
    assert!(o
        .trace
        .kubectl
        .iter()
        .any(|l| l.starts_with("Waiting for deployment \"nginx-deployment\" rollout to finish: ")));
    let rs = objects(&o, "replicasets");
    assert_eq!(rs.len(), 2);
    let (old, new): (Vec<&Value>, Vec<&Value>) = rs
        .iter()
        .partition(|r| r["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.14.2");
    assert_eq!(
        (
            old[0]["spec"]["replicas"].as_i64(),
            new[0]["spec"]["replicas"].as_i64()
        ),
        (Some(0), Some(3))
    );
    assert_eq!(
        new[0]["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "2"
    );
    let d = "nginx-deployment";
    let new_name = new[0]["metadata"]["name"].as_str().unwrap();
    let old_name = old[0]["metadata"]["name"].as_str().unwrap();
    assert!(o.has_event(
        d,
        &format!("Normal ScalingReplicaSet: Scaled up replica set {new_name} from 0 to 1")
    ));
    assert!(o.has_event(
        d,
        &format!("Normal ScalingReplicaSet: Scaled down replica set {old_name} from 3 to 2")
    ));
    assert!(o
        .pods
        .iter()
        .all(|p| p["spec"]["containers"][0]["image"] == "nginx:1.16"));
    assert_eq!(o.pods.len(), 3);
    check::trace(&o.trace).unwrap();
}

#[test]
fn a_job_completes() {
    let o = preset("job");
    assert_eq!(o.trace.kubectl, ["job.batch/pi created"]);
    let pod = &o.pods[0];
    let name = pod["metadata"]["name"].as_str().unwrap();
    assert!(name.starts_with("pi-") && name.len() == 8, "{name}");
    let labels = &pod["metadata"]["labels"];
    assert_eq!(labels["batch.kubernetes.io/job-name"], "pi");
    assert_eq!(labels["job-name"], "pi");
    assert_eq!(
        labels["controller-uid"],
        labels["batch.kubernetes.io/controller-uid"]
    );
    assert_eq!(print::pod_status(pod), "Completed");
    let job = &objects(&o, "jobs")[0];
    let types: Vec<&str> = job["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["SuccessCriteriaMet", "Complete"]);
    assert_eq!(job["status"]["succeeded"], 1);
    assert!(o.has_event(
        "pi",
        &format!("Normal SuccessfulCreate: Created pod: {name}")
    ));
    assert!(o.has_event("pi", "Normal Completed: Job completed"));
    let jobs = table(&o, "Job", "jobs", "default");
    assert_eq!(
        (column(&jobs, 1, 1), column(&jobs, 1, 2)),
        ("Complete".into(), "1/1".into())
    );
    check::trace(&o.trace).unwrap();
}

#[test]
fn a_job_that_keeps_failing_exceeds_its_backoff_limit() {
    let o = preset("job-backoff");
    assert_eq!(o.pods.len(), 3, "backoffLimit 2: three pods fail");
    assert!(o.pods.iter().all(|p| print::pod_status(p) == "Error"));
    let job = &objects(&o, "jobs")[0];
    let failed = job["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Failed")
        .unwrap();
    assert_eq!(failed["reason"], "BackoffLimitExceeded");
    assert_eq!(
        failed["message"],
        "Job has reached the specified backoff limit"
    );
    assert!(o.has_event(
        "flaky",
        "Warning BackoffLimitExceeded: Job has reached the specified backoff limit"
    ));
    // The replacements wait 10 s, then 20 s.
    let mut created: Vec<u64> = o
        .trace
        .steps
        .iter()
        .filter(|s| s.label == "POST /api/v1/namespaces/default/pods")
        .map(|s| s.at_ms)
        .collect();
    created.dedup();
    assert!(
        created[1] - created[0] >= 10_000 && created[2] - created[1] >= 20_000,
        "{created:?}"
    );
    check::trace(&o.trace).unwrap();
}

#[test]
fn a_daemon_set_runs_one_pod_per_worker() {
    let o = preset("daemonset");
    let mut nodes: Vec<&str> = o
        .pods
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap())
        .collect();
    nodes.sort();
    assert_eq!(nodes, ["w1", "w2"], "none on the tainted control plane");
    for pod in &o.pods {
        let term = &pod["spec"]["affinity"]["nodeAffinity"]
            ["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0];
        assert_eq!(term["matchFields"][0]["values"][0], pod["spec"]["nodeName"]);
        let keys: Vec<&str> = pod["spec"]["tolerations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["key"].as_str().unwrap())
            .collect();
        for key in [
            "node.kubernetes.io/not-ready",
            "node.kubernetes.io/unreachable",
            "node.kubernetes.io/disk-pressure",
            "node.kubernetes.io/memory-pressure",
            "node.kubernetes.io/pid-pressure",
            "node.kubernetes.io/unschedulable",
        ] {
            assert!(keys.contains(&key), "{key}");
        }
        assert_eq!(print::pod_status(pod), "Running");
    }
    let ds = table(&o, "DaemonSet", "daemonsets", "default");
    assert_eq!(
        (column(&ds, 1, 1), column(&ds, 1, 2), column(&ds, 1, 3)),
        ("2".into(), "2".into(), "2".into())
    );
    assert!(o
        .events_of("node-agent")
        .iter()
        .all(|e| e.starts_with("Normal SuccessfulCreate: Created pod: node-agent-")));
    check::trace(&o.trace).unwrap();
}

#[test]
fn deleting_a_deployment_cascades_to_its_replica_set_and_pods() {
    let o = preset("delete-deployment");
    assert_eq!(
        o.trace.kubectl[1],
        "deployment.apps \"nginx-deployment\" deleted"
    );
    assert!(objects(&o, "deployments").is_empty());
    assert!(objects(&o, "replicasets").is_empty());
    assert!(o.pods.is_empty());
    assert!(o.trace.steps.iter().any(|s| s
        .label
        .starts_with("DELETE /apis/apps/v1/namespaces/default/replicasets/")
        && s.summary
            .ends_with("as system:serviceaccount:kube-system:generic-garbage-collector")));
    check::trace(&o.trace).unwrap();
}

#[test]
fn a_node_port_service_opens_a_port_on_every_node() {
    let o = preset("nodeport");
    let svc = objects(&o, "services/specs")
        .into_iter()
        .find(|s| s["metadata"]["name"] == "my-nginx")
        .unwrap();
    assert_eq!(svc["spec"]["type"], "NodePort");
    let port = svc["spec"]["ports"][0]["nodePort"].as_u64().unwrap();
    assert!((30000..=32767).contains(&port));
    let printed = o.trace.kubectl.last().unwrap();
    assert!(
        printed.contains("NodePort") && printed.contains(&format!("80:{port}/TCP")),
        "{printed}"
    );
    let rules = o
        .trace
        .steps
        .iter()
        .rev()
        .find(|s| s.label == "iptables-restore")
        .unwrap()
        .payload
        .as_ref()
        .map(|p| p.render().into_owned())
        .unwrap();
    assert!(
        rules.contains(&format!("--dport {port} -j KUBE-EXT-")),
        "{rules}"
    );
    check::trace(&o.trace).unwrap();
}

#[test]
fn nslookup_in_a_pod_asks_core_dns() {
    let o = preset("dns");
    let out = o
        .trace
        .kubectl
        .iter()
        .find(|l| l.starts_with("Server:"))
        .expect("nslookup output");
    let svc = objects(&o, "services/specs")
        .into_iter()
        .find(|s| s["metadata"]["name"] == "my-nginx")
        .unwrap();
    assert!(
        out.contains(&format!(
            "Name:\tmy-nginx.default.svc.cluster.local\nAddress: {}",
            svc["spec"]["clusterIP"].as_str().unwrap()
        )),
        "{out}"
    );
    assert!(o
        .trace
        .steps
        .iter()
        .any(|s| s.to.to_string() == "coredns"
            && s.label == "DNS A my-nginx.default.svc.cluster.local"));
    assert!(o.trace.steps.iter().any(|s| s.label.starts_with("POST /api/v1/namespaces/default/pods/box/exec?command=nslookup&command=my-nginx&container=box")));
    check::trace(&o.trace).unwrap();
}

#[test]
fn the_cli_lists_objects_and_rules() {
    // The objects' kubectl columns and kube-proxy's rules per node, as the CLI prints them.
    let o = preset("deployment-service");
    let etcd = o.trace.etcd_at(usize::MAX);
    let rules = sim::controllers::kube_proxy::node_rules(&etcd, "w1").iptables_save();
    assert!(rules.contains("*nat") && rules.contains("KUBE-SERVICES"));
}

#[test]
fn workload_invariants_hold_for_many_seeds() {
    for id in [
        "deployment",
        "rolling-update",
        "scale-down",
        "deployment-service",
        "job-backoff",
        "daemonset",
        "delete-deployment",
    ] {
        let p = scenarios::preset(id).unwrap();
        for seed in 0..6 {
            let t = sim::run(
                &p.scenario(),
                &sim::cluster::Cluster::default(),
                seed,
                sim::DEFAULT_HORIZON_MS,
            );
            if let Err(e) = check::trace(&t) {
                panic!("{id} seed {seed}: {e}");
            }
        }
    }
}
