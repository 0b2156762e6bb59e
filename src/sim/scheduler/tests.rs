//! Scheduling cycles on the reference cluster of /work/shared/corpus/INDEX.md (cp, w1, w2),
//! with the expected strings from the corpus and the behaviour reference (B.5).

use serde_json::{json, Value};

use super::*;

const TAINT_CP: &str = "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }";

fn node(name: &str, cpu: &str, memory: &str, pods: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
        }},
        "spec": {},
        "status": {
            "capacity": {"cpu": cpu, "memory": memory, "pods": pods, "ephemeral-storage": "100Gi"},
            "allocatable": {"cpu": cpu, "memory": memory, "pods": pods, "ephemeral-storage": "100Gi"},
        }
    })
}

/// cp (tainted control plane), w1 and w2 (2 CPU, 4 GiB, 110 pods).
fn reference_nodes() -> Vec<Value> {
    let mut cp = node("cp", "2", "4Gi", "110");
    cp["metadata"]["labels"]["node-role.kubernetes.io/control-plane"] = json!("");
    cp["spec"]["taints"] =
        json!([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]);
    vec![
        cp,
        node("w1", "2", "4Gi", "110"),
        node("w2", "2", "4Gi", "110"),
    ]
}

fn infos(nodes: &[Value]) -> Vec<NodeInfo<'_>> {
    nodes
        .iter()
        .map(|n| NodeInfo {
            node: n,
            pods: vec![],
        })
        .collect()
}

fn pod(spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"}, "spec": spec})
}

fn nginx() -> Value {
    pod(json!({"containers": [{"name": "nginx", "image": "nginx"}]}))
}

fn bound_pod(name: &str, node: &str, spec: Value) -> Value {
    let mut p = pod(spec);
    p["metadata"]["name"] = json!(name);
    p["spec"]["nodeName"] = json!(node);
    p
}

fn run(pod: &Value, nodes: &[NodeInfo<'_>], seed: u64) -> Decision {
    schedule(pod, nodes, &mut Rng::new(seed))
}

fn unschedulable_message(d: &Decision) -> &str {
    match &d.outcome {
        Outcome::Unschedulable { message, .. } => message,
        Outcome::PreFilterRejected { message, .. } => message,
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn bound_node(d: &Decision) -> &str {
    match &d.outcome {
        Outcome::Bound { node } => node,
        other => panic!("expected Bound, got {other:?}"),
    }
}

fn score(d: &Decision, node: &str, plugin: &str) -> PluginScore {
    d.scores
        .iter()
        .find(|s| s.node(d) == node)
        .and_then(|s| s.plugins().find(|p| p.plugin == plugin))
        .unwrap_or_else(|| panic!("no score for {node}/{plugin}"))
}

#[test]
fn corpus_10_memory_1000gi_is_unschedulable_with_exact_message() {
    // pods/resource/memory-request-limit-3.yaml
    let mut p = pod(
        json!({"containers": [{"name": "memory-demo-3-ctr", "image": "polinux/stress",
        "resources": {"requests": {"memory": "1000Gi"}, "limits": {"memory": "1000Gi"}}}]}),
    );
    p["metadata"]["namespace"] = json!("mem-example");
    let nodes = reference_nodes();
    let d = run(&p, &infos(&nodes), 1);
    assert_eq!(
        unschedulable_message(&d),
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient memory. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
    );
    assert!(d.scores.is_empty());
    // cp stops at TaintToleration; the workers get as far as NodeResourcesFit.
    let cp = &d.filters[0];
    assert_eq!(cp.node(&d), "cp");
    assert_eq!(
        cp.plugins().last(),
        Some((
            "TaintToleration",
            FilterResult::Fail {
                reasons: &[TAINT_CP.to_string()],
                unresolvable: true
            }
        ))
    );
    assert_eq!(
        cp.failure(),
        Some((
            "TaintToleration",
            &FilterFailure {
                reasons: vec![TAINT_CP.to_string()],
                unresolvable: true
            }
        ))
    );
    let w1 = &d.filters[1];
    let w1_plugins: Vec<_> = w1.plugins().collect();
    assert_eq!(
        w1_plugins.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        [
            "NodeUnschedulable",
            "NodeName",
            "TaintToleration",
            "NodeAffinity",
            "NodePorts",
            "NodeResourcesFit"
        ]
    );
    assert_eq!(w1_plugins[0].1, FilterResult::Pass);
    assert_eq!(w1_plugins[3].1, FilterResult::Skipped);
    assert_eq!(
        w1_plugins[5].1,
        FilterResult::Fail {
            reasons: &["Insufficient memory".to_string()],
            unresolvable: false
        }
    );
    assert!(!w1.feasible());
}

#[test]
fn corpus_11_cpu_100_is_unschedulable_with_exact_message() {
    // pods/resource/cpu-request-limit-2.yaml
    let p = pod(
        json!({"containers": [{"name": "cpu-demo-ctr-2", "image": "vish/stress",
        "resources": {"limits": {"cpu": "100"}, "requests": {"cpu": "100"}}}]}),
    );
    let nodes = reference_nodes();
    let d = run(&p, &infos(&nodes), 1);
    assert_eq!(
        unschedulable_message(&d),
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
    );
}

#[test]
fn every_insufficient_resource_of_a_node_is_counted() {
    let p = pod(json!({"containers": [{"name": "c", "image": "x",
        "resources": {"requests": {"cpu": "100", "memory": "1000Gi"}}}]}));
    let nodes = reference_nodes();
    let d = run(&p, &infos(&nodes), 1);
    assert_eq!(
        unschedulable_message(&d),
        format!("0/3 nodes are available: 1 {TAINT_CP}, 2 Insufficient cpu, 2 Insufficient memory. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.")
    );
}

#[test]
fn extended_resource_missing_on_every_node() {
    // pods/resource/extended-resource-pod.yaml (`example.com/dongle: 3`, an unquoted integer)
    let p = pod(
        json!({"containers": [{"name": "extended-resource-demo-ctr", "image": "nginx",
        "resources": {"requests": {"example.com/dongle": 3}, "limits": {"example.com/dongle": 3}}}]}),
    );
    let nodes = reference_nodes();
    let d = run(&p, &infos(&nodes), 1);
    assert_eq!(
        unschedulable_message(&d),
        format!("0/3 nodes are available: 1 {TAINT_CP}, 2 Insufficient example.com/dongle. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.")
    );
    // A node advertising 4 dongles takes it.
    let mut nodes = reference_nodes();
    nodes[2]["status"]["allocatable"]["example.com/dongle"] = json!("4");
    assert_eq!(bound_node(&run(&p, &infos(&nodes), 1)), "w2");
}

#[test]
fn corpus_15_toleration_for_another_key_still_fails_on_cp() {
    // pods/pod-with-toleration.yaml
    let p = pod(
        json!({"containers": [{"name": "nginx", "image": "nginx", "imagePullPolicy": "IfNotPresent"}],
        "tolerations": [{"key": "example-key", "operator": "Exists", "effect": "NoSchedule"}]}),
    );
    let nodes = reference_nodes();
    let d = run(&p, &infos(&nodes), 3);
    assert!(matches!(bound_node(&d), "w1" | "w2"));
    assert!(!d.filters[0].feasible());
    assert_eq!(
        d.filters[0].failure().map(|(p, _)| p),
        Some("TaintToleration")
    );
    // A blanket `operator: Exists` toleration does let it onto cp.
    let mut p = p;
    p["spec"]["tolerations"] = json!([{"operator": "Exists"}]);
    assert!(run(&p, &infos(&nodes), 3).filters[0].feasible());
}

#[test]
fn preferred_node_affinity_schedules_anyway_and_scores() {
    // pods/pod-nginx-preferred-affinity.yaml
    let p = pod(json!({
        "affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 1, "preference": {"matchExpressions": [{"key": "disktype", "operator": "In", "values": ["ssd"]}]}}]}},
        "containers": [{"name": "nginx", "image": "nginx", "imagePullPolicy": "IfNotPresent"}]}));
    let nodes = reference_nodes();
    let d = run(&p, &infos(&nodes), 5);
    assert!(matches!(bound_node(&d), "w1" | "w2"));
    let s = score(&d, "w1", "NodeAffinity");
    assert_eq!((s.raw, s.normalized, s.skipped), (0, 0, false));
    // With disktype=ssd on w2, w2 wins by NodeAffinity 100 × 2 whatever the seed.
    let mut nodes = reference_nodes();
    nodes[2]["metadata"]["labels"]["disktype"] = json!("ssd");
    for seed in 0..10 {
        let d = run(&p, &infos(&nodes), seed);
        assert_eq!(bound_node(&d), "w2");
        let s = score(&d, "w2", "NodeAffinity");
        assert_eq!(
            (s.raw, s.normalized, s.weight, s.weighted),
            (1, 100, 2, 200)
        );
    }
}

#[test]
fn corpus_16_scheduling_gates_keep_the_pod_out_of_the_queue() {
    // pods/pod-with-scheduling-gates.yaml
    let p = pod(
        json!({"schedulingGates": [{"name": "example.com/foo"}, {"name": "example.com/bar"}],
        "containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.6"}]}),
    );
    let nodes = reference_nodes();
    let d = run(&p, &infos(&nodes), 1);
    assert_eq!(
        d.outcome,
        Outcome::Gated {
            gates: vec!["example.com/foo".into(), "example.com/bar".into()]
        }
    );
    assert!(d.filters.is_empty());
}

#[test]
fn bare_nginx_scores_by_hand() {
    // Non-zero defaults 100m / 200Mi on 2 CPU / 4 GiB:
    // cpu (2000-100)*100/2000 = 95, memory (4096-200)*100/4096 = 95 → LeastAllocated 95.
    // TaintToleration: no PreferNoSchedule taints → reversed normalisation gives 100 → 300.
    // A bare pod has no spreading selector (PodTopologySpread skips), no affinity, and is
    // best-effort (BalancedAllocation skips in v1.33); its image is on no node (0).
    let nodes = reference_nodes();
    let d = run(&nginx(), &infos(&nodes), 1);
    assert_eq!(d.scores.len(), 2);
    for s in &d.scores {
        let row: Vec<(i64, i64, bool)> = s
            .plugins()
            .map(|p| (p.raw, p.weighted, p.skipped))
            .collect();
        assert_eq!(
            row,
            [
                (0, 300, false),
                (0, 0, true),
                (95, 95, false),
                (0, 0, true),
                (0, 0, true),
                (0, 0, true),
                (0, 0, false)
            ]
        );
        assert_eq!(s.total(), 395);
    }
}

#[test]
fn least_allocated_and_balanced_allocation_by_hand() {
    // Pod 500m / 1Gi. w2 already runs 1 CPU / 512Mi.
    // w1: LeastAllocated cpu 75, mem 75 → 75; Balanced f=.25/.25 → 100.
    // w2: cpu (2000-1500)*100/2000 = 25, mem (4096-1536)*100/4096 = 62 → (25+62)/2 = 43;
    //     Balanced f=.75/.375 → (1 - .1875) * 100 = 81.
    let p = pod(json!({"containers": [{"name": "c", "image": "app:1",
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]}));
    let busy = bound_pod(
        "busy",
        "w2",
        json!({"containers": [{"name": "c", "image": "x",
        "resources": {"requests": {"cpu": "1", "memory": "512Mi"}}}]}),
    );
    let nodes = reference_nodes();
    let mut ni = infos(&nodes);
    ni[2].pods.push(&busy);
    let d = run(&p, &ni, 9);
    assert_eq!(score(&d, "w1", "NodeResourcesFit").normalized, 75);
    assert_eq!(
        score(&d, "w1", "NodeResourcesBalancedAllocation").normalized,
        100
    );
    assert_eq!(score(&d, "w2", "NodeResourcesFit").normalized, 43);
    assert_eq!(
        score(&d, "w2", "NodeResourcesBalancedAllocation").normalized,
        81
    );
    assert_eq!(
        d.scores.iter().map(NodeScore::total).collect::<Vec<_>>(),
        [475, 424]
    );
    assert_eq!(bound_node(&d), "w1");
}

#[test]
fn image_locality_by_hand() {
    // 500 MiB image present on w1 only, 3 nodes: sum = 500Mi × 1/3 = 174762666 bytes;
    // score = 100 × (sum − 23Mi) / (1000Mi − 23Mi) = 14.
    let mut nodes = reference_nodes();
    nodes[1]["status"]["images"] = json!([{"names": ["docker.io/library/app@sha256:ab", "app:1"], "sizeBytes": 500 * 1024 * 1024}]);
    let p = pod(json!({"containers": [{"name": "c", "image": "app:1"}]}));
    let d = run(&p, &infos(&nodes), 1);
    assert_eq!(score(&d, "w1", "ImageLocality").normalized, 14);
    assert_eq!(score(&d, "w2", "ImageLocality").normalized, 0);
    assert_eq!(bound_node(&d), "w1");
    // Upstream only appends ":latest": "nginx" does not match "docker.io/library/nginx:latest".
    nodes[1]["status"]["images"] =
        json!([{"names": ["docker.io/library/nginx:latest"], "sizeBytes": 500 * 1024 * 1024}]);
    let d = run(&nginx(), &infos(&nodes), 1);
    assert_eq!(score(&d, "w1", "ImageLocality").normalized, 0);
}

#[test]
fn system_default_spreading_for_a_replicaset_pod() {
    // One replica already on w1. Hostname constraint (maxSkew 3) over 2 scored nodes:
    // weight ln(2+2); w1 raw = round(1 × 1.386 + 2) = 3, w2 raw = 2;
    // normalised 100 × (3 + 2 − s) / 3 → w1 66, w2 100. No zone labels: no zone term.
    let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "web-abc", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}}});
    let owned = |name: &str| {
        let mut p = nginx();
        p["metadata"]["name"] = json!(name);
        p["metadata"]["labels"] = json!({"app": "web"});
        p["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc", "controller": true}]);
        p
    };
    let mut first = owned("web-abc-1");
    first["spec"]["nodeName"] = json!("w1");
    let nodes = reference_nodes();
    let mut ni = infos(&nodes);
    ni[1].pods.push(&first);
    let objects = ClusterObjects {
        owners: vec![&rs],
        ..Default::default()
    };
    let d = schedule_with(
        &owned("web-abc-2"),
        &ni,
        &objects,
        &mut Cursor::default(),
        &mut Rng::new(1),
    );
    let (w1, w2) = (
        score(&d, "w1", "PodTopologySpread"),
        score(&d, "w2", "PodTopologySpread"),
    );
    assert_eq!((w1.raw, w1.normalized, w1.weighted), (3, 66, 132));
    assert_eq!((w2.raw, w2.normalized, w2.weighted), (2, 100, 200));
    assert_eq!(bound_node(&d), "w2");
}

#[test]
fn ties_are_broken_by_the_seed() {
    let nodes = reference_nodes();
    let ni = infos(&nodes);
    let mut winners = std::collections::BTreeSet::new();
    for seed in 0..40 {
        let a = run(&nginx(), &ni, seed);
        let b = run(&nginx(), &ni, seed);
        assert_eq!(a, b, "same seed, same decision");
        winners.insert(bound_node(&a).to_string());
    }
    assert_eq!(winners.into_iter().collect::<Vec<_>>(), ["w1", "w2"]);
}

#[test]
fn node_selector_mismatch() {
    let p = pod(
        json!({"nodeSelector": {"disktype": "ssd"}, "containers": [{"name": "nginx", "image": "nginx"}]}),
    );
    let nodes = reference_nodes();
    assert_eq!(
        unschedulable_message(&run(&p, &infos(&nodes), 1)),
        format!("0/3 nodes are available: 1 {TAINT_CP}, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
    );
}

#[test]
fn host_port_conflict() {
    let ports = json!({"containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 80, "hostPort": 8080}]}]});
    let a = bound_pod("a", "w1", ports.clone());
    let b = bound_pod("b", "w2", ports.clone());
    let nodes = reference_nodes();
    let mut ni = infos(&nodes);
    ni[1].pods.push(&a);
    ni[2].pods.push(&b);
    assert_eq!(
        unschedulable_message(&run(&pod(ports.clone()), &ni, 1)),
        format!("0/3 nodes are available: 1 {TAINT_CP}, 2 node(s) didn't have free ports for the requested pod ports. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.")
    );
    // Another protocol on the same port is free.
    let mut udp = pod(ports);
    udp["spec"]["containers"][0]["ports"][0]["protocol"] = json!("UDP");
    assert!(matches!(run(&udp, &ni, 1).outcome, Outcome::Bound { .. }));
}

#[test]
fn too_many_pods() {
    let nodes = vec![node("w1", "2", "4Gi", "1"), node("w2", "2", "4Gi", "1")];
    let a = bound_pod("a", "w1", json!({"containers": []}));
    let b = bound_pod("b", "w2", json!({"containers": []}));
    let mut ni = infos(&nodes);
    ni[0].pods.push(&a);
    ni[1].pods.push(&b);
    assert_eq!(
        unschedulable_message(&run(&nginx(), &ni, 1)),
        "0/2 nodes are available: 2 Too many pods. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."
    );
    // Finished pods do not hold a slot.
    let mut done = a.clone();
    done["status"] = json!({"phase": "Succeeded"});
    ni[0].pods = vec![&done];
    assert_eq!(bound_node(&run(&nginx(), &ni, 1)), "w1");
}

#[test]
fn missing_pvc_is_a_prefilter_rejection() {
    let p = pod(
        json!({"volumes": [{"name": "task-pv-storage", "persistentVolumeClaim": {"claimName": "task-pv-claim"}}],
        "containers": [{"name": "task-pv-container", "image": "nginx"}]}),
    );
    let nodes = reference_nodes();
    let d = run(&p, &infos(&nodes), 1);
    assert_eq!(
        d.outcome,
        Outcome::PreFilterRejected {
            plugin: "VolumeBinding",
            message: "0/3 nodes are available: persistentvolumeclaim \"task-pv-claim\" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.".into()
        }
    );
    let pvc = json!({"kind": "PersistentVolumeClaim", "metadata": {"name": "task-pv-claim", "namespace": "default"}, "spec": {}});
    let objects = ClusterObjects {
        pvcs: vec![&pvc],
        ..Default::default()
    };
    let d = schedule_with(
        &p,
        &infos(&nodes),
        &objects,
        &mut Cursor::default(),
        &mut Rng::new(1),
    );
    assert_eq!(
        unschedulable_message(&d),
        "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    );
    let bound = json!({"kind": "PersistentVolumeClaim", "metadata": {"name": "task-pv-claim", "namespace": "default"}, "spec": {"volumeName": "task-pv-volume"}});
    let objects = ClusterObjects {
        pvcs: vec![&bound],
        ..Default::default()
    };
    let d = schedule_with(
        &p,
        &infos(&nodes),
        &objects,
        &mut Cursor::default(),
        &mut Rng::new(1),
    );
    assert!(matches!(d.outcome, Outcome::Bound { .. }));
}

#[test]
fn preemption_policy_never() {
    let p = pod(
        json!({"preemptionPolicy": "Never", "containers": [{"name": "c", "image": "x",
        "resources": {"requests": {"cpu": "100"}}}]}),
    );
    let nodes = reference_nodes();
    assert_eq!(
        unschedulable_message(&run(&p, &infos(&nodes), 1)),
        format!("0/3 nodes are available: 1 {TAINT_CP}, 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.")
    );
}

#[test]
fn higher_priority_pod_preempts_a_lower_priority_one() {
    let low = |name: &str, node: &str, prio: i64| {
        bound_pod(
            name,
            node,
            json!({"priority": prio, "containers": [{"name": "c", "image": "x",
            "resources": {"requests": {"cpu": "1"}}}]}),
        )
    };
    let (a, b, c) = (
        low("low-a", "w1", 0),
        low("low-b", "w2", 0),
        low("mid-b", "w2", 500),
    );
    let nodes = reference_nodes();
    let mut ni = infos(&nodes);
    ni[1].pods.push(&a);
    ni[2].pods.extend([&b, &c]);
    let p = pod(
        json!({"priority": 1000, "containers": [{"name": "c", "image": "x",
        "resources": {"requests": {"cpu": "1500m"}}}]}),
    );
    let d = run(&p, &ni, 1);
    // w1 needs only low-a evicted; w2 would need mid-b (priority 500) too.
    assert_eq!(
        d.outcome,
        Outcome::Unschedulable {
            message: format!("0/3 nodes are available: 1 {TAINT_CP}, 2 Insufficient cpu."),
            preemption: Some(Preemption {
                nominated_node: "w1".into(),
                victims: vec!["default/low-a".into()]
            }),
        }
    );
    // Equal priority: nothing to evict.
    let mut same = p.clone();
    same["spec"]["priority"] = json!(0);
    assert!(unschedulable_message(&run(&same, &ni, 1))
        .ends_with("2 No preemption victims found for incoming pod."));
}

#[test]
fn required_anti_affinity_by_hostname() {
    let web = |name: &str, node: &str| {
        let mut p = bound_pod(
            name,
            node,
            json!({"containers": [{"name": "c", "image": "x"}]}),
        );
        p["metadata"]["labels"] = json!({"app": "web"});
        p
    };
    let (a, b) = (web("web-1", "w1"), web("web-2", "w2"));
    let nodes = reference_nodes();
    let mut ni = infos(&nodes);
    ni[1].pods.push(&a);
    ni[2].pods.push(&b);
    let mut p = pod(
        json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}]}},
        "containers": [{"name": "c", "image": "x"}]}),
    );
    p["metadata"]["labels"] = json!({"app": "web"});
    assert_eq!(
        unschedulable_message(&run(&p, &ni, 1)),
        format!("0/3 nodes are available: 1 {TAINT_CP}, 2 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.")
    );
    // The running pods' own anti-affinity also keeps a plain matching pod away.
    let mut guarded = web("web-1", "w1");
    guarded["spec"]["affinity"] = p["spec"]["affinity"].clone();
    let mut ni = infos(&nodes);
    ni[1].pods.push(&guarded);
    let mut plain = pod(json!({"containers": [{"name": "c", "image": "x"}]}));
    plain["metadata"]["labels"] = json!({"app": "web"});
    let d = run(&plain, &ni, 1);
    assert_eq!(bound_node(&d), "w2");
    assert_eq!(
        d.filters[1].failure().map(|(_, f)| f.clone()),
        Some(FilterFailure {
            reasons: vec!["node(s) didn't satisfy existing pods anti-affinity rules".into()],
            unresolvable: false
        })
    );
}

#[test]
fn required_pod_affinity_first_pod_may_go_anywhere() {
    let mut p = pod(
        json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}]}},
        "containers": [{"name": "c", "image": "x"}]}),
    );
    let nodes = reference_nodes();
    // Matches its own term and nothing else runs: allowed.
    p["metadata"]["labels"] = json!({"app": "db"});
    assert!(matches!(
        run(&p, &infos(&nodes), 1).outcome,
        Outcome::Bound { .. }
    ));
    // Does not match its own term: no node.
    p["metadata"]["labels"] = json!({"app": "web"});
    assert_eq!(
        unschedulable_message(&run(&p, &infos(&nodes), 1)),
        format!("0/3 nodes are available: 1 {TAINT_CP}, 2 node(s) didn't match pod affinity rules. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
    );
}

#[test]
fn hard_spread_counts_the_tainted_control_plane_as_a_domain() {
    // nodeTaintsPolicy defaults to Ignore, so cp is a hostname domain with 0 pods: the
    // global minimum is 0 and a third replica skews both workers to 2 > maxSkew 1.
    let web = |name: &str, node: &str| {
        let mut p = bound_pod(
            name,
            node,
            json!({"containers": [{"name": "c", "image": "x"}]}),
        );
        p["metadata"]["labels"] = json!({"app": "web"});
        p
    };
    let (a, b) = (web("web-1", "w1"), web("web-2", "w2"));
    let nodes = reference_nodes();
    let mut ni = infos(&nodes);
    ni[1].pods.push(&a);
    ni[2].pods.push(&b);
    let mut p = pod(
        json!({"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "web"}}}],
        "containers": [{"name": "c", "image": "x"}]}),
    );
    p["metadata"]["labels"] = json!({"app": "web"});
    assert_eq!(
        unschedulable_message(&run(&p, &ni, 1)),
        format!("0/3 nodes are available: 1 {TAINT_CP}, 2 node(s) didn't match pod topology spread constraints. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.")
    );
    // A zone constraint on nodes without zone labels: missing required label.
    p["spec"]["topologySpreadConstraints"][0]["topologyKey"] = json!("topology.kubernetes.io/zone");
    assert!(unschedulable_message(&run(&p, &ni, 1)).contains(
        "2 node(s) didn't match pod topology spread constraints (missing required label)"
    ));
}

#[test]
fn match_fields_narrow_the_nodes_like_a_daemonset_pod() {
    let nodes = vec![
        node("w1", "2", "4Gi", "1"),
        node("w2", "2", "4Gi", "110"),
        node("w3", "2", "4Gi", "110"),
    ];
    let a = bound_pod("a", "w1", json!({"containers": []}));
    let mut ni = infos(&nodes);
    ni[0].pods.push(&a);
    let p = pod(
        json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["w1"]}]}]}}},
        "containers": [{"name": "c", "image": "x"}]}),
    );
    let d = run(&p, &ni, 1);
    assert_eq!(d.filters.len(), 1);
    assert_eq!(
        unschedulable_message(&d),
        "0/3 nodes are available: 1 Too many pods, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
    );
}

#[test]
fn cordoned_node_and_bound_or_foreign_pods() {
    let mut nodes = reference_nodes();
    nodes[1]["spec"]["unschedulable"] = json!(true);
    let d = run(&nginx(), &infos(&nodes), 1);
    assert_eq!(
        bound_node(&d),
        "w2",
        "single feasible node: bound without scoring"
    );
    assert!(d.scores.is_empty());
    assert_eq!(
        d.filters[1].failure().map(|(_, f)| f.clone()),
        Some(FilterFailure {
            reasons: vec!["node(s) were unschedulable".into()],
            unresolvable: true
        })
    );
    let mut bound = nginx();
    bound["spec"]["nodeName"] = json!("w1");
    assert!(matches!(
        run(&bound, &infos(&nodes), 1).outcome,
        Outcome::Ignored { .. }
    ));
    assert_eq!(
        run(&nginx(), &[], 1).outcome,
        Outcome::Unschedulable {
            message: "no nodes available to schedule pods".into(),
            preemption: None
        }
    );
}

#[test]
fn feasible_nodes_to_find() {
    assert_eq!(num_feasible_nodes_to_find(0, 3), 3);
    assert_eq!(num_feasible_nodes_to_find(0, 99), 99);
    assert_eq!(num_feasible_nodes_to_find(0, 100), 100); // 50 % of 100 = 50, floored at 100
    assert_eq!(num_feasible_nodes_to_find(0, 1000), 420); // 50 - 8 = 42 %
    assert_eq!(num_feasible_nodes_to_find(0, 5000), 500); // 50 - 40 = 10 %
    assert_eq!(num_feasible_nodes_to_find(0, 6000), 300); // floored at 5 %
    assert_eq!(num_feasible_nodes_to_find(100, 6000), 6000);
}

#[test]
fn large_clusters_filter_from_a_rotating_index() {
    let nodes: Vec<Value> = (0..300)
        .map(|i| node(&format!("n{i:03}"), "2", "4Gi", "110"))
        .collect();
    let ni = infos(&nodes);
    let mut cursor = Cursor::default();
    let mut rng = Rng::new(1);
    let d = schedule_with(
        &nginx(),
        &ni,
        &ClusterObjects::default(),
        &mut cursor,
        &mut rng,
    );
    // 300 nodes: 50 - 2 = 48 % → 144 nodes filtered and scored.
    assert_eq!(d.num_nodes_to_find, 144);
    assert_eq!(d.filters.len(), 144);
    assert_eq!(d.scores.len(), 144);
    assert_eq!(cursor.next_start_node_index, 144);
    let d = schedule_with(
        &nginx(),
        &ni,
        &ClusterObjects::default(),
        &mut cursor,
        &mut rng,
    );
    assert_eq!(d.filters[0].node(&d), "n144");
    assert_eq!(cursor.next_start_node_index, 288);
}

#[test]
fn plugin_tables_are_explained() {
    for p in FILTER_PLUGINS
        .iter()
        .chain(SCORE_PLUGINS.iter().map(|(p, _)| p))
    {
        assert!(!explain(p).is_empty(), "{p}");
    }
    assert_eq!(SCORE_PLUGINS.iter().map(|(_, w)| w).sum::<i64>(), 12);
}

#[test]
fn snapshot_updates_match_a_fresh_snapshot() {
    let nodes = reference_nodes();
    let mut snap = Snapshot::new(&infos(&nodes));
    let mut placed: Vec<Value> = Vec::new();
    let mut rng = Rng::new(11);
    let mut cursor = Cursor::default();
    for i in 0..6 {
        let mut p = pod(json!({"containers": [{"name": "c", "image": "x",
            "resources": {"requests": {"cpu": "300m", "memory": "256Mi"}}}]}));
        p["metadata"]["name"] = json!(format!("p{i}"));
        let d = schedule_snapshot(&p, &snap, &ClusterObjects::default(), &mut cursor, &mut rng);
        p["spec"]["nodeName"] = json!(bound_node(&d));
        assert!(snap.add_pod(&p));
        placed.push(p);
    }
    // Same cluster rebuilt from NodeInfos: identical decision for the next pod.
    let mut ni = infos(&nodes);
    for p in &placed {
        let idx = nodes
            .iter()
            .position(|n| n["metadata"]["name"] == p["spec"]["nodeName"])
            .unwrap();
        ni[idx].pods.push(p);
    }
    let next = pod(
        json!({"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "300m"}}}]}),
    );
    let a = schedule_snapshot(
        &next,
        &snap,
        &ClusterObjects::default(),
        &mut cursor.clone(),
        &mut Rng::new(5),
    );
    let b = schedule_with(
        &next,
        &ni,
        &ClusterObjects::default(),
        &mut cursor.clone(),
        &mut Rng::new(5),
    );
    assert_eq!(a, b);
    // 6 × 300m spread over w1/w2 by LeastAllocated: 3 each.
    let on_w1 = placed
        .iter()
        .filter(|p| p["spec"]["nodeName"] == "w1")
        .count();
    assert_eq!(on_w1, 3);
    assert!(snap.remove_pod("default", "p0"));
    assert!(!snap.remove_pod("default", "p0"));
}

#[test]
fn five_thousand_nodes() {
    let nodes: Vec<Value> = (0..5000)
        .map(|i| node(&format!("n{i:04}"), "4", "16Gi", "110"))
        .collect();
    let filler: Vec<Value> = (0..5000)
        .map(|i| {
            bound_pod(
                &format!("f{i}"),
                &format!("n{i:04}"),
                json!({"containers": [{"name": "c", "image": "x",
            "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}),
            )
        })
        .collect();
    let mut ni = infos(&nodes);
    for (info, p) in ni.iter_mut().zip(&filler) {
        info.pods.push(p);
    }
    let snap = Snapshot::new(&ni);
    let mut cursor = Cursor::default();
    let mut rng = Rng::new(3);
    let d = schedule_snapshot(
        &nginx(),
        &snap,
        &ClusterObjects::default(),
        &mut cursor,
        &mut rng,
    );
    assert_eq!(d.num_nodes_to_find, 500);
    assert_eq!((d.filters.len(), d.scores.len()), (500, 500));
    assert_eq!(cursor.next_start_node_index, 500);
    assert!(matches!(d.outcome, Outcome::Bound { .. }));
}

#[test]
fn decisions_on_an_unchanged_snapshot_share_the_node_names() {
    let nodes = reference_nodes();
    let mut snap = Snapshot::new(&infos(&nodes));
    let mut cursor = Cursor::default();
    let mut rng = Rng::new(1);
    let objects = ClusterObjects::default();
    let a = schedule_snapshot(&nginx(), &snap, &objects, &mut cursor, &mut rng);
    let b = schedule_snapshot(&nginx(), &snap, &objects, &mut cursor, &mut rng);
    assert!(Arc::ptr_eq(&a.node_names, &b.node_names));
    assert_eq!(
        a.filters.iter().map(|f| f.node(&a)).collect::<Vec<_>>(),
        ["cp", "w1", "w2"]
    );
    // Replacing a node's object keeps the list; adding a node makes a new one.
    snap.set_node(&nodes[1]);
    let c = schedule_snapshot(&nginx(), &snap, &objects, &mut cursor, &mut rng);
    assert!(Arc::ptr_eq(&a.node_names, &c.node_names));
    snap.set_node(&node("w3", "2", "4Gi", "110"));
    let d = schedule_snapshot(&nginx(), &snap, &objects, &mut cursor, &mut rng);
    assert!(!Arc::ptr_eq(&a.node_names, &d.node_names));
    assert_eq!(&*d.node_names[3], "w3");
}

#[test]
fn scores_too_large_for_the_compact_row_are_kept_exactly() {
    // Preferred-term weights outside 1–100 (the apiserver would refuse them) give raw
    // and normalised NodeAffinity scores beyond i32 / i16; they are shown as computed.
    let p = pod(json!({
        "affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 5_000_000_000i64, "preference": {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]}},
            {"weight": -100_000, "preference": {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["hdd"]}]}}]}},
        "containers": [{"name": "nginx", "image": "nginx"}]}));
    let mut nodes = reference_nodes();
    nodes[1]["metadata"]["labels"]["disk"] = json!("hdd");
    nodes[2]["metadata"]["labels"]["disk"] = json!("ssd");
    let d = run(&p, &infos(&nodes), 1);
    let w1 = score(&d, "w1", "NodeAffinity");
    let w2 = score(&d, "w2", "NodeAffinity");
    // DefaultNormalizeScore: 100 × raw / max.
    assert_eq!((w1.raw, w1.normalized, w1.weighted), (-100_000, 0, 0));
    assert_eq!(
        (w2.raw, w2.normalized, w2.weighted),
        (5_000_000_000, 100, 200)
    );
    let p = pod(json!({
        "affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 1, "preference": {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]}},
            {"weight": -100_000, "preference": {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["hdd"]}]}}]}},
        "containers": [{"name": "nginx", "image": "nginx"}]}));
    let d = run(&p, &infos(&nodes), 1);
    let w1 = score(&d, "w1", "NodeAffinity");
    assert_eq!(
        (w1.raw, w1.normalized, w1.weighted),
        (-100_000, -10_000_000, -20_000_000)
    );
    assert_eq!(bound_node(&d), "w2");
    assert!(
        d.score_lines()[0].starts_with("w1: TaintToleration 100×3 + NodeAffinity -10000000×2 + ")
    );
}

#[test]
fn decision_rows_stay_small() {
    // One row per node per cycle is kept in the trace: a 100-node cluster keeps
    // 100 filter rows and up to 100 score rows for every pod scheduled.
    assert!(std::mem::size_of::<NodeFilter>() <= 16);
    assert!(std::mem::size_of::<NodeScore>() <= 56);
}
