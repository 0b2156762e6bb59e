//! The teaching presets end as a real cluster ends them: STATUS, phase, events and
//! kubectl's words, exactly; the same seed gives the same trace; every invariant holds
//! for many seeds.

use podflow::sim::{self, check, cluster::Cluster, engine::api_object, kubectl::print, scenarios};
use serde_json::Value;

pub struct Outcome {
    pub trace: sim::trace::Trace,
    pub pods: Vec<Value>,
    pub events: Vec<Value>,
}

impl Outcome {
    pub fn pod(&self, name: &str) -> &Value {
        self.pods
            .iter()
            .find(|p| p["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no pod {name}; kubectl said {:?}", self.trace.kubectl))
    }

    pub fn status(&self, name: &str) -> String {
        print::pod_status(self.pod(name))
    }

    /// `Type Reason: message` of every event about `name`, in order of creation.
    pub fn events_of(&self, name: &str) -> Vec<String> {
        let mut events: Vec<&Value> = self
            .events
            .iter()
            .filter(|e| e["involvedObject"]["name"] == name)
            .collect();
        events.sort_by_key(|e| e["firstTimestamp"].as_str().unwrap_or("").to_string());
        events
            .iter()
            .map(|e| {
                format!(
                    "{} {}: {}",
                    e["type"].as_str().unwrap_or(""),
                    e["reason"].as_str().unwrap_or(""),
                    e["message"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    pub fn has_event(&self, name: &str, wanted: &str) -> bool {
        self.events_of(name).iter().any(|e| e == wanted)
    }

    pub fn condition(&self, name: &str, kind: &str) -> Value {
        self.pod(name)["status"]["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == kind).cloned())
            .unwrap_or(Value::Null)
    }
}

pub fn run(scenario: &sim::Scenario, seed: u64) -> Outcome {
    let trace = sim::run(scenario, &Cluster::default(), seed, sim::DEFAULT_HORIZON_MS);
    let etcd = trace.etcd_at(usize::MAX);
    // The pods the run made: not the kube-system pods the cluster was installed with.
    let pods = etcd
        .range("/registry/pods/")
        .filter(|(key, _)| trace.initial.get(key).is_none())
        .map(|(_, kv)| api_object(kv))
        .collect();
    let events = etcd
        .range("/registry/events/")
        .map(|(_, kv)| api_object(kv))
        .collect();
    Outcome {
        trace,
        pods,
        events,
    }
}

fn preset(id: &str) -> Outcome {
    run(&scenarios::preset(id).expect("preset").scenario(), 42)
}

#[test]
fn nginx_runs_with_the_real_events() {
    let o = preset("nginx");
    assert_eq!(o.trace.kubectl, ["pod/nginx created"]);
    assert_eq!(o.status("nginx"), "Running");
    assert_eq!(print::pod_ready(o.pod("nginx")), "1/1");
    let ip = o.pod("nginx")["status"]["podIP"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        ip == "10.244.1.2" || ip == "10.244.2.2",
        "first pod on a worker gets .2: {ip}"
    );
    let node = o.pod("nginx")["spec"]["nodeName"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        o.events_of("nginx"),
        [
            format!("Normal Scheduled: Successfully assigned default/nginx to {node}"),
            "Normal Pulling: Pulling image \"nginx\"".to_string(),
            "Normal Pulled: Successfully pulled image \"nginx\" in 1.805s (1.805s including waiting). Image size: 197280883 bytes."
                .to_string(),
            "Normal Created: Created container: nginx".to_string(),
            "Normal Started: Started container nginx".to_string(),
        ]
    );
    let conditions: Vec<_> = o.pod("nginx")["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}={}",
                c["type"].as_str().unwrap(),
                c["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        conditions,
        [
            "PodReadyToStartContainers=True",
            "Initialized=True",
            "Ready=True",
            "ContainersReady=True",
            "PodScheduled=True"
        ]
    );
    // The learner's request is the real one.
    assert!(o
        .trace
        .steps
        .iter()
        .any(|s| s.label == "POST /api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply&fieldValidation=Strict"));
}

#[test]
fn unschedulable_says_why_in_upstreams_words() {
    let o = preset("unschedulable");
    assert_eq!(o.status("big"), "Pending");
    let message = "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.";
    assert!(
        o.has_event("big", &format!("Warning FailedScheduling: {message}")),
        "{:?}",
        o.events_of("big")
    );
    let c = o.condition("big", "PodScheduled");
    assert_eq!(
        (
            c["status"].as_str(),
            c["reason"].as_str(),
            c["message"].as_str()
        ),
        (Some("False"), Some("Unschedulable"), Some(message))
    );
}

#[test]
fn taint_and_selector_mismatches() {
    let o = preset("taint");
    assert!(o.has_event(
        "on-control-plane",
        "Warning FailedScheduling: 0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    ), "{:?}", o.events_of("on-control-plane"));
    let o = preset("node-selector");
    assert!(o.has_event(
        "wants-ssd",
        "Warning FailedScheduling: 0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    ), "{:?}", o.events_of("wants-ssd"));
}

#[test]
fn a_missing_image_backs_off() {
    let o = preset("image-not-found");
    let status = o.status("typo");
    assert!(
        status == "ImagePullBackOff" || status == "ErrImagePull",
        "{status}"
    );
    assert!(o.has_event(
        "typo",
        "Warning Failed: Failed to pull image \"nginx:doesnotexist\": rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:doesnotexist\": failed to resolve reference \"docker.io/library/nginx:doesnotexist\": docker.io/library/nginx:doesnotexist: not found"
    ), "{:?}", o.events_of("typo"));
    assert!(o.has_event("typo", "Warning Failed: Error: ErrImagePull"));
    assert!(o.has_event(
        "typo",
        "Normal BackOff: Back-off pulling image \"nginx:doesnotexist\""
    ));
    assert!(o.has_event("typo", "Warning Failed: Error: ImagePullBackOff"));
    // Pull attempts follow the back-off curve: 10 s, 20 s, 40 s, 80 s, 160 s after each failure.
    let pulls: Vec<u64> = o
        .trace
        .steps
        .iter()
        .filter(|s| s.label == "PullImage")
        .map(|s| s.at_ms)
        .collect();
    let gaps: Vec<u64> = pulls.windows(2).map(|w| (w[1] - w[0]) / 1000).collect();
    assert!(gaps.len() >= 4, "{pulls:?}");
    assert_eq!(
        &gaps[..4],
        [10, 20, 40, 80],
        "gaps between pulls in whole seconds (plus the failing pull's time)"
    );
}

#[test]
fn a_crashing_container_enters_crash_loop_back_off() {
    let o = preset("crashloop");
    let pod = o.pod("crasher");
    let restarts = pod["status"]["containerStatuses"][0]["restartCount"]
        .as_u64()
        .unwrap();
    assert!(restarts >= 4, "restarts {restarts}");
    assert!(o.events_of("crasher").iter().any(|e| e.starts_with(
        "Warning BackOff: Back-off restarting failed container app in pod crasher_default("
    )));
    // Starts: immediately, then back-offs of 10, 20, 40, 80 s after each exit.
    let starts: Vec<u64> = o
        .trace
        .steps
        .iter()
        .filter(|s| s.label == "StartContainer")
        .map(|s| s.at_ms)
        .collect();
    let gaps: Vec<u64> = starts
        .windows(2)
        .map(|w| (w[1] - w[0] + 500) / 1000)
        .collect();
    assert_eq!(
        &gaps[..4],
        [6, 15, 25, 45],
        "5 s of work, then restart after 0/10/20/40 s (plus the relist): {starts:?}"
    );
    let last_state = &pod["status"]["containerStatuses"][0]["lastState"]["terminated"];
    assert_eq!(
        (
            last_state["exitCode"].as_i64(),
            last_state["reason"].as_str()
        ),
        (Some(1), Some("Error"))
    );
}

#[test]
fn a_failing_liveness_probe_restarts_the_container() {
    let o = preset("liveness");
    let events = o.events_of("liveness-exec");
    assert!(events.contains(&"Warning Unhealthy: Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory".to_string()), "{events:?}");
    assert!(events.contains(
        &"Normal Killing: Container liveness failed liveness probe, will be restarted".to_string()
    ));
    let restarts = o.pod("liveness-exec")["status"]["containerStatuses"][0]["restartCount"]
        .as_u64()
        .unwrap();
    assert!(restarts >= 2, "{restarts}");
    // The first kill: three failures 5 s apart after the file goes at 30 s; sh ignores SIGTERM,
    // so the container dies 30 s later (137).
    let stop = o
        .trace
        .steps
        .iter()
        .find(|s| s.label == "StopContainer → ok")
        .unwrap();
    assert!(
        stop.summary.ends_with("exited with code 137"),
        "{}",
        stop.summary
    );
}

#[test]
fn readiness_gates_ready() {
    let o = preset("readiness");
    let ready_at = o
        .trace
        .steps_with_etcd()
        .find(|(s, etcd)| {
            s.label.ends_with("/status")
                && etcd
                    .get("/registry/pods/default/slow-start")
                    .is_some_and(|kv| {
                        kv.value["status"]["conditions"]
                            .as_array()
                            .is_some_and(|cs| {
                                cs.iter()
                                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
                            })
                    })
        })
        .map(|(s, _)| s.at_ms);
    let running_at = o
        .trace
        .steps
        .iter()
        .find(|s| s.label == "StartContainer → ok")
        .map(|s| s.at_ms)
        .unwrap();
    let ready_at = o
        .trace
        .steps
        .iter()
        .find(|s| s.label == "readiness probe" && s.summary.starts_with("web: success"))
        .map(|s| s.at_ms)
        .or(ready_at)
        .unwrap();
    assert!(
        ready_at - running_at >= 20_000,
        "ready after the 20 s the image needs: {running_at} → {ready_at}"
    );
    assert_eq!(print::pod_ready(o.pod("slow-start")), "1/1");
    assert!(o
        .events_of("slow-start")
        .iter()
        .any(|e| e.starts_with("Warning Unhealthy: Readiness probe failed: Get \"http://10.244.")));
}

#[test]
fn a_missing_configmap_is_a_config_error() {
    let o = preset("missing-configmap");
    assert_eq!(o.status("dapi-test-pod"), "CreateContainerConfigError");
    assert!(o.has_event(
        "dapi-test-pod",
        "Warning Failed: Error: configmap \"special-config\" not found"
    ));
}

#[test]
fn init_containers_run_first() {
    let o = preset("init-containers");
    assert_eq!(o.status("with-init"), "Running");
    let creates: Vec<&str> = o
        .trace
        .steps
        .iter()
        .filter(|s| s.label == "CreateContainer")
        .map(|s| s.summary.as_str())
        .collect();
    assert!(creates[0].starts_with("wait-for-db"), "{creates:?}");
    assert!(creates[1].starts_with("web"), "{creates:?}");
    let init = &o.pod("with-init")["status"]["initContainerStatuses"][0]["state"]["terminated"];
    assert_eq!(
        (init["exitCode"].as_i64(), init["reason"].as_str()),
        (Some(0), Some("Completed"))
    );
}

#[test]
fn rejections_print_kubectls_words_and_write_nothing() {
    let o = preset("validation-error");
    assert_eq!(
        o.trace.kubectl,
        ["The Pod \"nginx-pod\" is invalid: spec.containers[0].image: Required value"]
    );
    assert!(o.pods.is_empty());
    let o = preset("unknown-field");
    assert_eq!(
        o.trace.kubectl,
        ["Error from server (BadRequest): error when creating \"pod.yaml\": Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].imagePullPolcy\""]
    );
    assert!(o.pods.is_empty());
    let o = preset("rbac-forbidden");
    assert_eq!(
        o.trace.kubectl,
        ["Error from server (Forbidden): error when retrieving current configuration of:\nResource: \"/v1, Resource=pods\", GroupVersionKind: \"/v1, Kind=Pod\"\nName: \"nginx\", Namespace: \"default\"\nfrom server for: \"pod.yaml\": pods \"nginx\" is forbidden: User \"jane\" cannot get resource \"pods\" in API group \"\" in the namespace \"default\""]
    );
    let o = preset("already-exists");
    assert_eq!(
        o.trace.kubectl,
        ["pod/nginx created", "Error from server (AlreadyExists): error when creating \"pod.yaml\": pods \"nginx\" already exists"]
    );
}

#[test]
fn delete_is_graceful_and_removes_the_key() {
    let o = preset("delete");
    assert_eq!(
        o.trace.kubectl,
        ["pod/nginx created", "pod \"nginx\" deleted"]
    );
    assert!(o.pods.is_empty(), "the pod is gone from etcd");
    assert!(o
        .events_of("nginx")
        .contains(&"Normal Killing: Stopping container nginx".to_string()));
    let labels: Vec<&str> = o
        .trace
        .steps
        .iter()
        .filter(|s| s.at_ms >= 10_000)
        .map(|s| s.label.as_str())
        .collect();
    let order = [
        "DELETE /api/v1/namespaces/default/pods/nginx",
        "StopContainer",
        "StopPodSandbox",
        "CNI DEL",
        "watch DELETED pods",
    ];
    let mut at = 0;
    for wanted in order {
        at += labels[at..]
            .iter()
            .position(|l| *l == wanted)
            .unwrap_or_else(|| panic!("{wanted} missing after {at}: {labels:?}"));
    }
    let terminating = o.trace.steps_with_etcd().any(|(_, etcd)| {
        etcd.get("/registry/pods/default/nginx")
            .is_some_and(|kv| print::pod_status(&kv.value) == "Terminating")
    });
    assert!(
        terminating,
        "kubectl get pods showed Terminating in between"
    );
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    for p in scenarios::PRESETS.iter().take(6) {
        for seed in [0, 1, 42, 9_999] {
            let a = run(&p.scenario(), seed).trace.to_string();
            let b = run(&p.scenario(), seed).trace.to_string();
            assert!(a == b, "{} seed={seed} is not deterministic", p.id);
        }
    }
}

#[test]
fn seeds_break_scheduling_ties_both_ways() {
    let nodes: std::collections::BTreeSet<String> = (0..16)
        .map(|seed| {
            run(&scenarios::preset("nginx").unwrap().scenario(), seed).pod("nginx")["spec"]
                ["nodeName"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(nodes.into_iter().collect::<Vec<_>>(), ["w1", "w2"]);
}

#[test]
fn invariants_hold_for_every_preset_and_many_seeds() {
    for p in scenarios::PRESETS {
        for seed in 0..20 {
            let o = run(&p.scenario(), seed);
            if let Err(e) = check::trace(&o.trace) {
                panic!("{e}\npreset={} seed={seed}", p.id);
            }
        }
    }
}

fn script(files: &[(&str, &str)], commands: &[(u64, &str)]) -> Outcome {
    let mut s = sim::Scenario::default();
    for (name, text) in files {
        s.files.insert(name.to_string(), text.to_string());
    }
    for (at, line) in commands {
        s.commands.push((*at, line.to_string()));
    }
    run(&s, 42)
}

#[test]
fn apply_again_is_unchanged_configured_or_refused_like_kubectl() {
    let changed_image = scenarios::NGINX.replace("image: nginx", "image: nginx:1.27");
    let changed_policy = scenarios::NGINX.replace("restartPolicy: Always", "restartPolicy: Never");
    let o = script(
        &[
            ("pod.yaml", scenarios::NGINX),
            ("image.yaml", &changed_image),
            ("policy.yaml", &changed_policy),
        ],
        &[
            (0, "kubectl apply -f pod.yaml"),
            (5_000, "kubectl apply -f pod.yaml"),
            (6_000, "kubectl apply -f image.yaml"),
            (7_000, "kubectl apply -f policy.yaml"),
        ],
    );
    assert_eq!(
        o.trace.kubectl[..3],
        [
            "pod/nginx created",
            "pod/nginx unchanged",
            "pod/nginx configured"
        ]
    );
    assert!(
        o.trace.kubectl[3].starts_with("The Pod \"nginx\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`"),
        "{}",
        o.trace.kubectl[3]
    );
    assert_eq!(
        o.pod("nginx")["spec"]["containers"][0]["image"],
        "nginx:1.27"
    );
}

#[test]
fn kubectl_reads_go_through_the_apiserver() {
    let o = script(
        &[("pod.yaml", scenarios::NGINX)],
        &[
            (0, "kubectl apply -f pod.yaml"),
            (10_000, "kubectl get pods"),
            (10_001, "kubectl logs nginx"),
            (10_002, "kubectl logs nope"),
            (10_003, "kubectl describe pod nginx"),
        ],
    );
    assert!(
        o.trace.kubectl[1].starts_with(
            "NAME    READY   STATUS    RESTARTS   AGE\nnginx   1/1     Running   0          10s"
        ),
        "{}",
        o.trace.kubectl[1]
    );
    assert!(
        o.trace.kubectl[2].starts_with("/docker-entrypoint.sh: "),
        "{}",
        o.trace.kubectl[2]
    );
    assert_eq!(
        o.trace.kubectl[3],
        "Error from server (NotFound): pods \"nope\" not found"
    );
    assert!(
        o.trace.kubectl[4].starts_with("Name:             nginx\nNamespace:        default\n"),
        "{}",
        o.trace.kubectl[4]
    );
    assert!(o
        .trace
        .steps
        .iter()
        .any(|s| s.label == "GET /api/v1/namespaces/default/pods?limit=500"));
    assert!(o
        .trace
        .steps
        .iter()
        .any(|s| s.from == sim::trace::Component::ApiServer
            && matches!(s.to, sim::trace::Component::Kubelet(_))
            && s.label.ends_with("/log?container=nginx")));
}

#[test]
fn labelling_a_node_lets_a_waiting_pod_schedule() {
    let ssd = include_str!("../../src/sim/scenarios/node-selector.yaml");
    let o = script(
        &[("pod.yaml", ssd)],
        &[
            (0, "kubectl apply -f pod.yaml"),
            (20_000, "kubectl label node w2 disktype=ssd"),
        ],
    );
    assert_eq!(
        o.trace.kubectl,
        ["pod/wants-ssd created", "node/w2 labeled"]
    );
    assert_eq!(o.pod("wants-ssd")["spec"]["nodeName"], "w2");
    assert_eq!(o.status("wants-ssd"), "Running");
    assert!(o.trace.steps.iter().any(|s| s.label == "requeue"));
}

#[test]
fn cordoned_nodes_take_no_new_pods() {
    let o = script(
        &[("pod.yaml", scenarios::NGINX)],
        &[
            (0, "kubectl cordon w1"),
            (1_000, "kubectl cordon w2"),
            (2_000, "kubectl apply -f pod.yaml"),
            (30_000, "kubectl uncordon w1"),
        ],
    );
    assert_eq!(
        o.trace.kubectl,
        [
            "node/w1 cordoned",
            "node/w2 cordoned",
            "pod/nginx created",
            "node/w1 uncordoned"
        ]
    );
    assert!(o.has_event("nginx", "Warning FailedScheduling: 0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) were unschedulable. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."), "{:?}", o.events_of("nginx"));
    assert_eq!(o.pod("nginx")["spec"]["nodeName"], "w1");
}

#[test]
fn admission_webhooks_are_called_in_order_and_can_deny_or_patch() {
    let webhooks = include_str!("webhooks.yaml");
    let tagged = scenarios::NGINX.replace("image: nginx", "image: nginx:1.27");
    let o = script(
        &[
            ("webhooks.yaml", webhooks),
            ("pod.yaml", scenarios::NGINX),
            ("tagged.yaml", &tagged),
        ],
        &[
            (0, "kubectl apply -f webhooks.yaml"),
            (1_000, "kubectl apply -f pod.yaml"),
            (2_000, "kubectl create -f tagged.yaml"),
        ],
    );
    assert_eq!(
        o.trace.kubectl,
        [
            "validatingwebhookconfiguration.admissionregistration.k8s.io/image-policy created",
            "mutatingwebhookconfiguration.admissionregistration.k8s.io/team-labels created",
            "Error from server (BadRequest): error when creating \"pod.yaml\": admission webhook \"deny-latest.images.example.com\" denied the request: image tag \"latest\" is not allowed: nginx",
            "pod/nginx created",
        ]
    );
    assert_eq!(
        o.pod("nginx")["metadata"]["labels"]["team"],
        "payments",
        "the mutating webhook's patch"
    );
    // Mutating webhooks before validation, validating webhooks after it.
    let labels: Vec<&str> = o
        .trace
        .steps
        .iter()
        .filter(|s| s.at_ms >= 2_000)
        .map(|s| s.label.as_str())
        .collect();
    let mutate = labels
        .iter()
        .position(|l| *l == "POST https://labels.example.com/mutate AdmissionReview")
        .unwrap();
    let validate = labels
        .iter()
        .position(|l| *l == "POST https://image-policy.policy.svc:443/validate AdmissionReview")
        .unwrap();
    let validation = labels.iter().position(|l| *l == "validation").unwrap();
    assert!(mutate < validation && validation < validate, "{labels:?}");
}

#[test]
fn limit_ranges_default_and_quotas_refuse() {
    let policy = "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: cpu\nspec:\n  limits:\n  - type: Container\n    default:\n      cpu: 500m\n    defaultRequest:\n      cpu: 250m\n---\napiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: compute\nspec:\n  hard:\n    requests.cpu: 400m\n";
    let second = scenarios::NGINX.replace("name: nginx\nspec", "name: second\nspec");
    let o = script(
        &[
            ("policy.yaml", policy),
            ("pod.yaml", scenarios::NGINX),
            ("second.yaml", &second),
        ],
        &[
            (0, "kubectl apply -f policy.yaml"),
            (1_000, "kubectl apply -f pod.yaml"),
            (2_000, "kubectl apply -f second.yaml"),
        ],
    );
    assert_eq!(
        o.trace.kubectl,
        [
            "limitrange/cpu created",
            "resourcequota/compute created",
            "pod/nginx created",
            "Error from server (Forbidden): error when creating \"second.yaml\": pods \"second\" is forbidden: exceeded quota: compute, requested: requests.cpu=250m, used: requests.cpu=250m, limited: requests.cpu=400m",
        ]
    );
    let pod = o.pod("nginx");
    assert_eq!(
        pod["spec"]["containers"][0]["resources"]["requests"]["cpu"],
        "250m"
    );
    assert_eq!(
        pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"],
        "LimitRanger plugin set: cpu request for container nginx; cpu limit for container nginx"
    );
    assert_eq!(pod["status"]["qosClass"], "Burstable");
}

#[test]
fn get_pods_watch_prints_a_row_per_change() {
    let o = script(
        &[("pod.yaml", scenarios::NGINX)],
        &[(0, "kubectl get pods -w"), (1, "kubectl apply -f pod.yaml")],
    );
    let rows: Vec<&str> = o
        .trace
        .kubectl
        .iter()
        .filter(|l| l.starts_with("nginx"))
        .map(String::as_str)
        .collect();
    let statuses: Vec<&str> = rows
        .iter()
        .map(|r| r.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(statuses.first(), Some(&"Pending"));
    assert!(statuses.contains(&"ContainerCreating"), "{rows:?}");
    assert_eq!(statuses.last(), Some(&"Running"));
    assert!(check::trace(&o.trace).is_ok());
}

#[test]
fn memory_over_the_limit_is_oom_killed() {
    let oom = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: hungry\n  annotations:\n    podflow.dev/memory: \"200Mi\"\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n    resources:\n      limits:\n        memory: 100Mi\n";
    let o = script(&[("pod.yaml", oom)], &[(0, "kubectl apply -f pod.yaml")]);
    let status = &o.pod("hungry")["status"]["containerStatuses"][0];
    assert_eq!(status["lastState"]["terminated"]["reason"], "OOMKilled");
    assert_eq!(status["lastState"]["terminated"]["exitCode"], 137);
    assert_eq!(o.status("hungry"), "CrashLoopBackOff");
    // A memory limit alone (requests default to it) and no CPU: Burstable.
    assert_eq!(o.pod("hungry")["status"]["qosClass"], "Burstable");
}
