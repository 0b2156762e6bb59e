//! Hostile and odd input (issue 7): each gives a clear message in kubectl's own words
//! where kubectl or the apiserver would answer, or one naming podflow's limit and its
//! value where the limit is podflow's own; nothing hangs and nothing panics.
//! Through `sim::simulate` / `sim::manifest::parse` (what the editor and links use) and,
//! for what only the command line sees (bytes that are not UTF-8, files too large to
//! read), through the `podflow` binary.

use std::collections::BTreeMap;
use std::process::Command;

use podflow::sim::{self, cluster::Cluster, limits, manifest, Scenario};

/// What kubectl printed for `kubectl apply -f pod.yaml` with `text`.
fn apply(text: &str) -> Vec<String> {
    sim::simulate(text, &Cluster::default(), 1)
        .trace
        .kubectl
        .clone()
}

/// What kubectl printed for `kubectl create -f pod.yaml` with `text`.
fn create(text: &str) -> Vec<String> {
    let mut files = BTreeMap::new();
    files.insert("pod.yaml".to_string(), text.to_string());
    let scenario = Scenario {
        files,
        commands: vec![(0, "kubectl create -f pod.yaml".to_string())],
    };
    sim::run(&scenario, &Cluster::default(), 1, sim::DEFAULT_HORIZON_MS).kubectl
}

fn pod_named(name: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: c\n    image: nginx\n")
}

fn pod_with_resources(resources: &str) -> String {
    format!("{}    resources:\n{resources}", pod_named("p"))
}

fn deployment_with_replicas(replicas: &str) -> String {
    format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{app: d}}\n  template:\n    metadata:\n      labels: {{app: d}}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n")
}

fn only_message(text: &str) -> (usize, usize, String) {
    let parsed = manifest::parse(text);
    assert_eq!(parsed.diagnostics.len(), 1, "{:?}", parsed.diagnostics);
    let d = &parsed.diagnostics[0];
    (d.line, d.column, d.message.clone())
}

#[test]
fn empty_text_passes_no_objects() {
    assert!(manifest::parse("").diagnostics.is_empty());
    assert_eq!(apply(""), ["error: no objects passed to apply"]);
}

#[test]
fn only_comments_and_separators_pass_no_objects() {
    let text = "# a comment\n---\n# another\n---\n";
    assert!(manifest::parse(text).documents.is_empty());
    assert_eq!(apply(text), ["error: no objects passed to apply"]);
}

#[test]
fn a_manifest_just_under_1_mib_is_applied() {
    let padding = format!("# {}\n", "x".repeat(98)).repeat(10_000);
    let text = format!("{}{padding}", pod_named("p"));
    assert!(text.len() < limits::MAX_INPUT_BYTES);
    assert_eq!(apply(&text), ["pod/p created"]);
}

#[test]
fn a_manifest_over_1_mib_names_the_limit() {
    let text = format!("{}{}", pod_named("p"), "#".repeat(limits::MAX_INPUT_BYTES));
    let n = text.len();
    assert_eq!(
        only_message(&text),
        (1, 1, format!("the manifest is {n} bytes; podflow reads at most 1048576 bytes (limit MAX_INPUT_BYTES)"))
    );
    assert_eq!(
        apply(&text),
        [format!("error: pod.yaml: the manifest is {n} bytes; podflow reads at most 1048576 bytes (limit MAX_INPUT_BYTES)")]
    );
}

#[test]
fn a_10_mib_manifest_is_refused_before_it_is_read() {
    let text = "a: b\n".repeat(2 * 1024 * 1024);
    assert_eq!(
        apply(&text),
        ["error: pod.yaml: the manifest is 10485760 bytes; podflow reads at most 1048576 bytes (limit MAX_INPUT_BYTES)"]
    );
}

#[test]
fn ten_thousand_documents_stop_at_the_document_limit() {
    let text: String = (0..10_000)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n"))
        .collect();
    // The 1,001st document starts on line 5,002 (five lines per document).
    assert_eq!(
        only_message(&text),
        (
            5002,
            1,
            "more than 1000 documents; podflow reads at most 1000 (limit MAX_DOCUMENTS)".into()
        )
    );
    assert_eq!(
        apply(&text),
        ["error: pod.yaml: more than 1000 documents; podflow reads at most 1000 (limit MAX_DOCUMENTS)"]
    );
}

#[test]
fn deep_nesting_names_the_depth_limit() {
    let message =
        "the document nests deeper than 64 levels; podflow reads at most 64 (limit MAX_DEPTH)";
    // 64 levels in all (the top mapping is one) is read; 65 is not.
    let nested = |n: usize| format!("a: {}1{}\n", "[".repeat(n), "]".repeat(n));
    assert!(manifest::parse(&nested(63)).diagnostics.is_empty());
    assert_eq!(only_message(&nested(64)).2, message);
    // Far deeper than the YAML parser itself follows.
    let (_, _, deep) = only_message(&nested(10_000));
    assert_eq!(deep, message);
    let block: String = (0..200)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    assert_eq!(only_message(&block).2, message);
    assert_eq!(
        apply(&nested(10_000)),
        [format!("error: pod.yaml: {message}")]
    );
}

#[test]
fn an_alias_bomb_is_refused_in_go_yamls_words() {
    let mut text =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
            .to_string();
    for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        text.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
    }
    assert_eq!(
        only_message(&text).2,
        "document contains excessive aliasing"
    );
    assert_eq!(
        apply(&text),
        ["error: error parsing pod.yaml: error converting YAML to JSON: yaml: document contains excessive aliasing"]
    );
}

#[test]
fn anchors_and_aliases_in_moderation_are_read() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: &l {app: web}\n  annotations: *l\nspec:\n  containers:\n  - name: c\n    image: nginx\n";
    let parsed = manifest::parse(text);
    assert_eq!(
        parsed.documents[0].value["metadata"]["annotations"]["app"],
        "web"
    );
    assert_eq!(apply(text), ["pod/p created"]);
}

#[test]
fn a_duplicate_key_keeps_its_last_value_as_kubectl_does() {
    // go-yaml (non-strict, as sigs.k8s.io/yaml calls it) keeps the last value silently.
    let text = pod_named("first").replace("  name: first\n", "  name: first\n  name: second\n");
    assert_eq!(
        manifest::parse(&text).documents[0].value["metadata"]["name"],
        "second"
    );
    assert_eq!(apply(&text), ["pod/second created"]);
}

#[test]
fn a_tab_used_for_indentation_is_a_yaml_error() {
    let text = pod_named("p").replace("  name: p", "\tname: p");
    assert_eq!(
        only_message(&text),
        (4, 1, "found character that cannot start any token".into())
    );
    assert_eq!(
        apply(&text),
        ["error: error parsing pod.yaml: error converting YAML to JSON: yaml: line 4: found character that cannot start any token"]
    );
}

#[test]
fn crlf_line_ends_are_read() {
    assert_eq!(
        apply(&pod_named("p").replace('\n', "\r\n")),
        ["pod/p created"]
    );
}

#[test]
fn a_byte_order_mark_is_skipped() {
    assert_eq!(
        apply(&format!("\u{feff}{}", pod_named("p"))),
        ["pod/p created"]
    );
}

#[test]
fn a_nul_byte_is_placed_and_named_in_go_yamls_words() {
    let text = pod_named("p").replace("image: nginx", "image: ngi\0nx");
    assert_eq!(
        only_message(&text),
        (8, 15, "control characters are not allowed".into())
    );
    assert_eq!(
        apply(&text),
        ["error: error parsing pod.yaml: error converting YAML to JSON: yaml: control characters are not allowed"]
    );
}

#[test]
fn negative_replicas_are_invalid() {
    assert_eq!(
        apply(&deployment_with_replicas("-1")),
        ["The Deployment \"d\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"]
    );
}

#[test]
fn replicas_1e400_is_a_string_to_go_yaml() {
    // Too large for a float64, so go-yaml (and serde_yaml) keep it as the string "1e400".
    assert_eq!(
        apply(&deployment_with_replicas("1e400")),
        ["Error from server (BadRequest): error when creating \"pod.yaml\": Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"]
    );
}

#[test]
fn replicas_2_to_the_64_is_a_float_to_go_yaml() {
    let parsed = manifest::parse(&deployment_with_replicas("18446744073709551616"));
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert_eq!(
        apply(&deployment_with_replicas("18446744073709551616")),
        ["Error from server (BadRequest): error when creating \"pod.yaml\": Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal number 18446744073709552000 into Go struct field DeploymentSpec.spec.replicas of type int32"]
    );
}

#[test]
fn replicas_beyond_int32_are_refused_by_the_decoder() {
    assert_eq!(
        apply(&deployment_with_replicas("2147483648")),
        ["Error from server (BadRequest): error when creating \"pod.yaml\": Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32"]
    );
}

#[test]
fn infinity_cannot_become_json() {
    let text = deployment_with_replicas(".inf");
    assert_eq!(
        only_message(&text),
        (6, 13, "json: unsupported value: +Inf".into())
    );
    assert_eq!(
        apply(&text),
        ["error: error parsing pod.yaml: error converting YAML to JSON: json: unsupported value: +Inf"]
    );
    assert_eq!(
        only_message(&deployment_with_replicas(".nan")).2,
        "json: unsupported value: NaN"
    );
}

#[test]
fn a_memory_request_of_1e400_is_valid_and_fits_no_node() {
    let text = pod_with_resources("      requests:\n        memory: 1e400\n");
    let sim = sim::simulate(&text, &Cluster::default(), 1);
    assert_eq!(sim.trace.kubectl, ["pod/p created"]);
    let etcd = sim.trace.etcd_at(usize::MAX);
    let failed: Vec<String> = etcd
        .range("/registry/events/default/")
        .map(|(_, kv)| sim::engine::api_object(kv))
        .filter(|e| e["reason"] == "FailedScheduling")
        .map(|e| e["message"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        failed.first().map(String::as_str),
        Some("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient memory. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.")
    );
}

#[test]
fn a_negative_memory_request_is_invalid() {
    assert_eq!(
        apply(&pod_with_resources("      requests:\n        memory: -1Gi\n")),
        ["The Pod \"p\" is invalid: spec.containers[0].resources.requests[memory]: Invalid value: \"-1Gi\": must be greater than or equal to 0"]
    );
}

#[test]
fn a_quantity_that_is_not_one_is_refused_by_the_decoder() {
    assert_eq!(
        apply(&pod_with_resources("      limits:\n        cpu: 1.5.5\n")),
        ["Error from server (BadRequest): error when creating \"pod.yaml\": Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"]
    );
}

#[test]
fn a_name_of_254_characters_is_too_long() {
    let name = "a".repeat(254);
    assert_eq!(
        apply(&pod_named(&name)),
        [format!("The Pod \"{name}\" is invalid: metadata.name: Invalid value: \"{name}\": must be no more than 253 characters")]
    );
    assert_eq!(
        apply(&pod_named(&"a".repeat(253))),
        [format!("pod/{} created", "a".repeat(253))]
    );
}

fn pod_with_containers(n: usize) -> String {
    let containers: String = (0..n)
        .map(|i| format!("  - name: c{i}\n    image: nginx\n"))
        .collect();
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n{containers}")
}

#[test]
fn ten_thousand_containers_overflow_the_last_applied_annotation() {
    // `kubectl apply` keeps the manifest in an annotation, which validation caps at 256 KiB.
    assert_eq!(
        apply(&pod_with_containers(10_000)),
        ["The Pod \"p\" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes"]
    );
}

#[test]
fn ten_thousand_containers_are_too_large_for_etcd() {
    // `kubectl create` sends no annotation; after defaulting the pod is over etcd's 1.5 MiB.
    assert_eq!(
        create(&pod_with_containers(10_000)),
        ["Error from server: error when creating \"pod.yaml\": etcdserver: request is too large"]
    );
}

#[test]
fn a_pod_over_the_kubelets_container_bound_is_created_then_stops_the_run() {
    use podflow::sim::limits::MAX_CONTAINERS_PER_POD;
    // At the bound: simulated to Running.
    let at = sim::simulate(
        &pod_with_containers(MAX_CONTAINERS_PER_POD),
        &Cluster::default(),
        1,
    );
    assert_eq!(at.trace.truncated, None);
    // One more: the apiserver accepts and the scheduler binds it, as a real cluster
    // would; the run stops when the kubelet gets it, naming the bound.
    let over = sim::simulate(
        &pod_with_containers(MAX_CONTAINERS_PER_POD + 1),
        &Cluster::default(),
        1,
    );
    assert_eq!(over.trace.kubectl, ["pod/p created"]);
    assert_eq!(
        over.trace.truncated.as_deref(),
        Some("pod default/p has 201 containers; podflow's kubelet simulates pods of at most 200 (limit MAX_CONTAINERS_PER_POD)")
    );
    let etcd = over.trace.etcd_at(usize::MAX);
    let pod = etcd.get("/registry/pods/default/p").unwrap();
    assert!(
        pod.value.pointer("/spec/nodeName").is_some(),
        "scheduled before the kubelet stopped"
    );
}

#[test]
fn flow_style_with_trailing_commas_and_comments_is_read() {
    // The website's examples are written this way (corpus style F).
    let text = "---\n{\n  apiVersion: \"v1\",\n  kind: \"Pod\", # a comment\n  metadata: { name: \"p\", },\n  spec: { containers: [{ name: \"c\", image: \"nginx\", },], },\n}\n";
    assert_eq!(apply(text), ["pod/p created"]);
}

#[test]
fn a_run_asked_to_last_past_an_hour_stops_at_the_time_limit() {
    let crash = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: crash\n  annotations:\n    podflow.dev/exit-after: \"1s\"\n    podflow.dev/exit-code: \"1\"\nspec:\n  containers:\n  - name: c\n    image: busybox\n";
    let mut files = BTreeMap::new();
    files.insert("pod.yaml".to_string(), crash.to_string());
    let scenario = Scenario {
        files,
        commands: vec![(0, "kubectl apply -f pod.yaml".to_string())],
    };
    let trace = sim::run(&scenario, &Cluster::default(), 1, u64::MAX);
    assert_eq!(
        trace.truncated.as_deref(),
        Some("the simulation reached 3600.000s of simulated time (limit MAX_SIM_TIME_MS)")
    );
    assert!(trace
        .steps
        .last()
        .is_some_and(|s| s.at_ms <= limits::MAX_SIM_TIME_MS));
    // Asked for no more than the limit, a run ends at its horizon without a word.
    let trace = sim::run(&scenario, &Cluster::default(), 1, 60_000);
    assert_eq!(trace.truncated, None);
}

#[test]
fn a_run_that_would_go_on_forever_stops_at_the_step_limit() {
    // Fourteen pods crash-looping for an hour, each change streamed to 250 watching kubectls,
    // would take more than MAX_STEPS messages.
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: crash\nspec:\n  replicas: 14\n  selector:\n    matchLabels: {app: crash}\n  template:\n    metadata:\n      labels: {app: crash}\n      annotations:\n        podflow.dev/exit-after: \"1s\"\n        podflow.dev/exit-code: \"1\"\n    spec:\n      containers:\n      - name: c\n        image: busybox\n";
    let mut files = BTreeMap::new();
    files.insert("pod.yaml".to_string(), text.to_string());
    let scenario = Scenario {
        files,
        commands: std::iter::repeat_n((0, "kubectl get pods -w".to_string()), 250)
            .chain([(0, "kubectl apply -f pod.yaml".to_string())])
            .collect(),
    };
    // (About a minute in a debug build: 200,000 real messages.)
    let trace = sim::run(&scenario, &Cluster::default(), 1, limits::MAX_SIM_TIME_MS);
    assert_eq!(trace.steps.len(), limits::MAX_STEPS);
    let why = trace.truncated.clone().unwrap_or_default();
    assert!(
        why.starts_with("the simulation reached 200000 messages (limit MAX_STEPS) at "),
        "{why}"
    );
    sim::check::trace(&trace).expect("the invariants hold up to the cut");
}

// ---- links ----

#[test]
fn a_link_carries_hostile_text_unchanged_to_the_same_message() {
    use podflow::link::{parse_fragment, to_fragment, Form, Lesson};
    let text = pod_named("p").replace("image: nginx", "image: ngi\0nx");
    for form in [Form::Compact, Form::Readable] {
        let lesson = Lesson {
            manifest: text.clone(),
            ..Lesson::default()
        };
        let read = parse_fragment(&to_fragment(&lesson, form))
            .expect("the link is read")
            .expect("it carries a lesson");
        assert_eq!(read.manifest, text);
        assert_eq!(
            apply(&read.manifest),
            ["error: error parsing pod.yaml: error converting YAML to JSON: yaml: control characters are not allowed"]
        );
    }
}

#[test]
fn a_link_that_unpacks_to_10_mib_names_the_input_limit() {
    use podflow::link::{parse_fragment, to_fragment, Form, Lesson};
    let lesson = Lesson {
        manifest: "a: b\n".repeat(2 * 1024 * 1024),
        ..Lesson::default()
    };
    // 10 MiB of one line repeated packs small enough to fit in a link.
    let fragment = to_fragment(&lesson, Form::Compact);
    assert!(fragment.len() < limits::MAX_LINK_BYTES);
    assert_eq!(
        parse_fragment(&fragment).map_err(|e| e.to_string()),
        Err("m= unpacks to more than 1048576 bytes; podflow reads at most that (limit MAX_INPUT_BYTES)".to_string())
    );
}

// ---- the command line ----

fn podflow(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_podflow"))
        .args(args)
        .output()
        .expect("the podflow binary runs")
}

fn write_bytes(name: &str, bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("podflow-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("a temporary file");
    path.to_string_lossy().into_owned()
}

#[test]
fn cli_invalid_utf8_names_the_file_and_the_byte_offset() {
    let mut bytes = pod_named("p").into_bytes();
    bytes.splice(30..30, [0xff]);
    let path = write_bytes("latin1.yaml", &bytes);
    let out = podflow(&["apply", "-f", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        format!("error: error parsing {path}: error converting YAML to JSON: yaml: invalid leading UTF-8 octet (byte offset 30, byte 0xff)")
    );
    assert!(out.stdout.is_empty());
    // A sequence cut short at the end of the file.
    let mut bytes = pod_named("p").into_bytes();
    bytes.push(0xe2);
    let path = write_bytes("cut.yaml", &bytes);
    let out = podflow(&["apply", "-f", &path]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        format!("error: error parsing {path}: error converting YAML to JSON: yaml: incomplete UTF-8 octet sequence (byte offset {}, byte 0xe2)", bytes.len() - 1)
    );
}

#[test]
fn cli_nul_byte_prints_kubectls_line_and_where_it_is() {
    let text = pod_named("p").replace("image: nginx", "image: ngi\0nx");
    let offset = text.find('\0').unwrap_or_default();
    let path = write_bytes("nul.yaml", text.as_bytes());
    let out = podflow(&["apply", "-f", &path]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().next(),
        Some(format!("error: error parsing {path}: error converting YAML to JSON: yaml: control characters are not allowed").as_str())
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        format!("{path}:8:15 (byte offset {offset}): control characters are not allowed")
    );
}

#[test]
fn cli_a_10_mib_file_is_refused_unread() {
    let path = write_bytes("big.yaml", "a: b\n".repeat(2 * 1024 * 1024).as_bytes());
    let out = podflow(&["apply", "-f", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        format!("error: {path}: the file is 10485760 bytes; podflow reads at most 1048576 bytes (limit MAX_INPUT_BYTES)")
    );
}

#[test]
fn cli_an_empty_file_passes_no_objects() {
    let path = write_bytes("empty.yaml", b"");
    let out = podflow(&["apply", "-f", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().next(),
        Some("error: no objects passed to apply")
    );
}
