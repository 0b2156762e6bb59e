//! Fuzzing that runs on the stable toolchain, in the ordinary test command: proptest with a
//! fixed seed, so every run tries the same cases (deterministic; nothing is written to
//! disk). Inputs are not random strings but the corpus (`tests/corpus/`) and the teaching
//! presets, mutated: characters replaced, lines deleted, duplicated and re-indented,
//! pieces of other manifests spliced in, hostile tokens inserted (`---`, `&a`/`*a`, tabs,
//! NUL, a BOM, `1e400`, `2^64`, unbalanced brackets, …).
//!
//! Four targets: manifest parsing (+ the editor's lint), kubectl command parsing, link
//! decoding, and the whole simulation on a small set of clusters (none, tainted, tiny)
//! with any seed, which must finish within the step bound and keep every invariant of
//! `sim::check`. `PODFLOW_FUZZ_SCALE=N` multiplies the case counts for longer local runs;
//! the `fuzz/` directory has the same targets for cargo-fuzz on nightly.

use std::collections::BTreeMap;

use podflow::link::{self, Form, Lesson};
use podflow::sim::{self, cluster::Cluster, limits, manifest, Scenario};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Cases per target, each about a minute in the debug build `cargo test` makes on the
/// development machine (2 cores, shared): see the README's testing section.
const MANIFEST_CASES: u32 = 100_000;
const COMMAND_CASES: u32 = 2_000_000;
const LINK_CASES: u32 = 120_000;
const SIMULATION_CASES: u32 = 8_000;

/// The fixed seed every target starts from.
const SEED: [u8; 32] = *b"podflow fuzz: issue 7, stable!!!";

/// Case counts are multiplied by `PODFLOW_FUZZ_SCALE` (default 1; `0.1` for a quick run,
/// `10` for a long one).
fn cases(base: u32) -> u32 {
    let scale = std::env::var("PODFLOW_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(1.0);
    ((f64::from(base) * scale) as u32).max(1)
}

fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED))
}

/// The seeds: every corpus manifest and every preset's manifest and files.
fn seeds() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    for path in paths {
        if path.extension().is_some_and(|e| e == "yaml") {
            if let Ok(text) = std::fs::read_to_string(&path) {
                out.push(text);
            }
        }
    }
    for preset in sim::scenarios::PRESETS {
        out.push(preset.manifest.to_string());
        out.extend(preset.files.iter().map(|(_, text)| text.to_string()));
    }
    assert!(out.len() > 20, "the corpus and presets are found");
    out
}

/// Tokens a hostile or careless author might leave in a manifest.
const TOKENS: &[&str] = &[
    "---\n",
    "--- ",
    "...\n",
    "- ",
    ": ",
    ":",
    "{",
    "}",
    "[",
    "]",
    ",",
    "\t",
    "\0",
    "\u{feff}",
    "\r\n",
    "\r",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!binary ",
    "!foo ",
    "? ",
    "|\n",
    ">-\n",
    "#",
    "'",
    "\"",
    "\\",
    "~",
    "null",
    "true",
    "yes",
    "-1",
    "0",
    "1e400",
    "-1e400",
    ".inf",
    ".nan",
    "18446744073709551616",
    "-9223372036854775809",
    "2147483648",
    "0x1F",
    "1.5.5",
    "-1Gi",
    "99999999999999999999Ei",
    "100m",
    "replicas: ",
    "image: ",
    "name: ",
    "kind: Pod\n",
    "apiVersion: v1\n",
    "kind: Deployment\n",
    "apiVersion: apps/v1\n",
    "spec:\n",
    "metadata:\n",
    "containers:\n",
    "  ",
    "        ",
    "é",
    "\u{202e}",
    "😀",
    "\u{85}",
    "\u{2028}",
];

/// One edit to a manifest's text.
#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the character at (position mod length) with a token.
    Replace(usize, usize),
    /// Insert a token at a position.
    Insert(usize, usize),
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    /// Indent a line by n spaces (or outdent, when negative).
    Indent(usize, i8),
    /// Insert lines [from, from+len) of another seed after a line.
    Splice(usize, usize, usize, usize),
    /// Repeat a line many times (a long, wide document).
    Repeat(usize, u16),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let token = 0..TOKENS.len();
    prop_oneof![
        3 => (any::<usize>(), token.clone()).prop_map(|(p, t)| Mutation::Replace(p, t)),
        4 => (any::<usize>(), token).prop_map(|(p, t)| Mutation::Insert(p, t)),
        2 => any::<usize>().prop_map(Mutation::DeleteLine),
        2 => any::<usize>().prop_map(Mutation::DuplicateLine),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        2 => (any::<usize>(), -4i8..=4).prop_map(|(l, n)| Mutation::Indent(l, n)),
        2 => (any::<usize>(), any::<usize>(), any::<usize>(), 1usize..20)
            .prop_map(|(s, at, from, len)| Mutation::Splice(s, at, from, len)),
        1 => (any::<usize>(), 1u16..400).prop_map(|(l, n)| Mutation::Repeat(l, n)),
    ]
}

fn char_boundary(text: &str, position: usize) -> usize {
    if text.is_empty() {
        return 0;
    }
    let mut at = position % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn mutate(seeds: &[String], text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let line = |i: usize, n: usize| if n == 0 { 0 } else { i % n };
    match m {
        Mutation::Replace(p, t) => {
            let at = char_boundary(text, *p);
            let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
            return format!("{}{}{}", &text[..at], TOKENS[*t], &text[end..]);
        }
        Mutation::Insert(p, t) => {
            let at = char_boundary(text, *p);
            return format!("{}{}{}", &text[..at], TOKENS[*t], &text[at..]);
        }
        Mutation::DeleteLine(i) if !lines.is_empty() => {
            lines.remove(line(*i, lines.len()));
        }
        Mutation::DuplicateLine(i) if !lines.is_empty() => {
            let i = line(*i, lines.len());
            lines.insert(i, lines[i].clone());
        }
        Mutation::SwapLines(a, b) if !lines.is_empty() => {
            let n = lines.len();
            lines.swap(line(*a, n), line(*b, n));
        }
        Mutation::Indent(i, n) if !lines.is_empty() => {
            let i = line(*i, lines.len());
            let l = &lines[i];
            lines[i] = if *n >= 0 {
                format!("{}{l}", " ".repeat(*n as usize))
            } else {
                let strip = l.len() - l.trim_start_matches(' ').len();
                l[strip.min(n.unsigned_abs() as usize)..].to_string()
            };
        }
        Mutation::Splice(s, at, from, len) => {
            let other: Vec<&str> = seeds[s % seeds.len()].split_inclusive('\n').collect();
            let from = line(*from, other.len());
            let piece: Vec<String> = other
                .iter()
                .skip(from)
                .take(*len)
                .map(|l| l.to_string())
                .collect();
            let at = line(*at, lines.len() + 1);
            lines.splice(at..at, piece);
        }
        Mutation::Repeat(i, n) if !lines.is_empty() => {
            let i = line(*i, lines.len());
            let copies = vec![lines[i].clone(); *n as usize];
            lines.splice(i..i, copies);
        }
        _ => {}
    }
    lines.concat()
}

/// A seed and a few mutations of it, as one manifest text.
fn manifest_text(seeds: std::sync::Arc<Vec<String>>) -> impl Strategy<Value = String> {
    let n = seeds.len();
    (0..n, prop::collection::vec(mutation(), 0..6)).prop_map(move |(s, ms)| {
        ms.iter()
            .fold(seeds[s].clone(), |t, m| mutate(&seeds, &t, m))
    })
}

fn check_parsed(text: &str) {
    let parsed = manifest::parse(text);
    let lines = text.split('\n').count();
    for d in &parsed.diagnostics {
        assert!(d.line >= 1 && d.line <= lines + 1, "{d:?} in {lines} lines");
        // (doc_line is go-yaml's count, which takes a lone `\r` as a break too.)
        assert!(d.column >= 1 && d.doc_line >= 1, "{d:?}");
        assert!(!d.message.is_empty());
        assert!(d.kubectl_message("pod.yaml").starts_with("error: "));
    }
    for (i, doc) in parsed.documents.iter().enumerate() {
        assert_eq!(doc.index, i);
        assert!(doc.first_line >= 1 && doc.first_line <= lines + 1);
    }
    for d in sim::lint::api_diagnostics(text, &parsed) {
        assert!(
            d.line >= 1 && d.line <= lines + 1,
            "lint {d:?} in {lines} lines"
        );
    }
}

#[test]
fn fuzz_manifest_parsing() {
    let seeds = std::sync::Arc::new(seeds());
    for seed in seeds.iter() {
        check_parsed(seed);
    }
    runner(cases(MANIFEST_CASES))
        .run(&manifest_text(seeds), |text| {
            check_parsed(&text);
            Ok(())
        })
        .unwrap();
}

/// Command lines as learners type them, to mutate.
const COMMANDS: &[&str] = &[
    "kubectl apply -f pod.yaml",
    "kubectl create -f pod.yaml --as=jane",
    "kubectl delete -f pod.yaml",
    "kubectl run nginx --image=nginx --port=80 --labels=app=web,tier=fe --env=A=1 --restart=Never --command -- sh -c 'echo hi'",
    "kubectl delete pod nginx -n default",
    "kubectl get pods -o wide -w",
    "kubectl get deploy,rs,svc,endpointslices",
    "kubectl get all -n kube-system",
    "kubectl describe pod nginx",
    "kubectl logs nginx -c c",
    "kubectl exec nginx -c c -- nslookup kubernetes.default",
    "kubectl create deployment web --image=nginx --replicas=3",
    "kubectl expose deployment web --port=80 --target-port=8080 --type=NodePort",
    "kubectl scale deployment web --replicas=5",
    "kubectl rollout status deployment/web",
    "kubectl label node w1 disktype=ssd --overwrite",
    "kubectl cordon w1",
    "kubectl uncordon w1",
    "kubectl drain w2 --ignore-daemonsets",
    "kubectl get nodes",
];

const COMMAND_TOKENS: &[&str] = &[
    " ",
    "-",
    "--",
    "=",
    "-f",
    "-n",
    "-o",
    "-c",
    "--as",
    "--replicas=",
    "--replicas=-1",
    "--replicas=99999999999999999999",
    "--port=0",
    "--port=70000",
    "'",
    "\"",
    "/",
    "pod/",
    "deployment/",
    "\t",
    "\0",
    "é",
    "kubectl",
    "get",
    "--image=",
    "-- ",
    ",",
    "=,=",
    "-w",
];

fn command_line() -> impl Strategy<Value = String> {
    let edit = (any::<usize>(), 0..COMMAND_TOKENS.len(), any::<bool>());
    (0..COMMANDS.len(), prop::collection::vec(edit, 0..6)).prop_map(|(c, edits)| {
        edits
            .iter()
            .fold(COMMANDS[c].to_string(), |line, (p, t, replace)| {
                let at = char_boundary(&line, *p);
                let end = if *replace {
                    line[at..].chars().next().map_or(at, |c| at + c.len_utf8())
                } else {
                    at
                };
                format!("{}{}{}", &line[..at], COMMAND_TOKENS[*t], &line[end..])
            })
    })
}

#[test]
fn fuzz_kubectl_command_parsing() {
    let mut files = BTreeMap::new();
    files.insert("pod.yaml".to_string(), sim::scenarios::NGINX.to_string());
    runner(cases(COMMAND_CASES))
        .run(&command_line(), |line| {
            match sim::kubectl::client::parse_command(&line, &files) {
                Ok(command) => prop_assert_eq!(command.line.trim(), line.trim()),
                // kubectl's own words, never an empty line.
                Err(message) => prop_assert!(!message.trim().is_empty(), "{:?}", line),
            }
            Ok(())
        })
        .unwrap();
}

fn lesson(seeds: std::sync::Arc<Vec<String>>) -> impl Strategy<Value = Lesson> {
    (
        manifest_text(seeds),
        prop::collection::vec((0u64..600_000, command_line()), 0..4),
        prop::option::of(1usize..500),
        any::<bool>(),
        prop::option::of(1u32..=60),
    )
        .prop_map(|(manifest, commands, step, autoplay, speed)| Lesson {
            manifest,
            cluster: None,
            commands,
            step,
            autoplay,
            speed,
            apply_as: None,
        })
}

#[test]
fn fuzz_link_decoding() {
    let seeds = std::sync::Arc::new(seeds());
    let edit = (any::<usize>(), any::<char>(), any::<bool>());
    let strategy = (
        lesson(seeds),
        any::<bool>(),
        prop::collection::vec(edit, 0..4),
        "[a-z=&?%#0-9,._-]{0,40}",
    );
    runner(cases(LINK_CASES))
        .run(&strategy, |(lesson, compact, edits, query)| {
            let form = if compact {
                Form::Compact
            } else {
                Form::Readable
            };
            let fragment = link::to_fragment(&lesson, form);
            // What the app writes, it reads back whole (link.rs's invariant, within the limits).
            if fragment.len() <= limits::MAX_LINK_BYTES
                && lesson.manifest.len() <= limits::MAX_INPUT_BYTES
            {
                // (A command line is carried trimmed, as a script line is read.)
                let mut expected = lesson.clone();
                expected.commands = lesson
                    .commands
                    .iter()
                    .map(|(at, c)| (*at, c.trim().to_string()))
                    .filter(|(_, c)| !c.is_empty())
                    .collect();
                prop_assert_eq!(link::parse_fragment(&fragment), Ok(Some(expected)));
            }
            // A link damaged in transit is read or refused, never a panic.
            let damaged = edits.iter().fold(fragment, |f, (p, c, replace)| {
                let at = char_boundary(&f, *p);
                let end = if *replace {
                    f[at..].chars().next().map_or(at, |ch| at + ch.len_utf8())
                } else {
                    at
                };
                format!("{}{c}{}", &f[..at], &f[end..])
            });
            let _ = link::parse_fragment(&damaged);
            let _ = link::parse_query(&query);
            let _ = link::parse_query(&damaged);
            Ok(())
        })
        .unwrap();
}

/// The clusters the simulation target runs on: the default, no nodes at all, every node
/// tainted, and a control plane with one tiny worker.
fn clusters() -> Vec<Cluster> {
    let default = Cluster::default();
    let mut empty = default.clone();
    empty.nodes.clear();
    let mut tainted = default.clone();
    for node in &mut tainted.nodes {
        node.taints.push(sim::cluster::Taint {
            key: "fuzz".into(),
            value: "x".into(),
            effect: "NoSchedule".into(),
        });
    }
    // The control plane as installed (its static pods need its CPU) and one tiny worker.
    let mut tiny = default.clone();
    tiny.nodes.truncate(2);
    if let Some(node) = tiny.nodes.iter_mut().find(|n| !n.control_plane) {
        node.cpu = "100m".into();
        node.memory = "64Mi".into();
        node.pods = 3;
    }
    vec![default, empty, tainted, tiny]
}

#[test]
fn fuzz_whole_simulation() {
    let seeds = std::sync::Arc::new(seeds());
    let clusters = clusters();
    let strategy = (
        manifest_text(seeds),
        0..clusters.len(),
        any::<u64>(),
        prop::collection::vec((0u64..120_000, command_line()), 0..3),
    );
    runner(cases(SIMULATION_CASES))
        .run(&strategy, |(text, cluster, seed, then)| {
            let mut files = BTreeMap::new();
            files.insert(sim::MANIFEST_FILE.to_string(), text);
            let mut commands = vec![(0, format!("kubectl apply -f {}", sim::MANIFEST_FILE))];
            commands.extend(then);
            let scenario = Scenario { files, commands };
            let trace = sim::run(&scenario, &clusters[cluster], seed, 120_000);
            prop_assert!(trace.steps.len() <= limits::MAX_STEPS);
            prop_assert!(trace.steps.last().is_none_or(|s| s.at_ms <= 120_000));
            if let Err(why) = sim::check::trace(&trace) {
                return Err(TestCaseError::fail(why));
            }
            Ok(())
        })
        .unwrap();
}

// ---- crashes the fuzzing found, kept as regression tests with the minimized input ----

/// Found by `fuzz_whole_simulation`: an OnFailure pod whose container failed was reported
/// `Succeeded` while the kubelet waited to restart it, then `Running` again (a phase going
/// back). The kubelet now computes the phase as upstream's getPhase does.
#[test]
fn regression_on_failure_pod_between_restarts_stays_running() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: command-demo\nspec:\n  restartPolicy: OnFailure\n  containers:\n  - name: c\n    image: debian\n    command: [\"printenv\", \"1.5.5\"]\n";
    let mut files = BTreeMap::new();
    files.insert(sim::MANIFEST_FILE.to_string(), text.to_string());
    let scenario = Scenario {
        files,
        commands: vec![(0, "kubectl apply -f pod.yaml".into())],
    };
    let trace = sim::run(&scenario, &clusters()[3], 0, 120_000);
    sim::check::phases_only_move_forward(&trace).expect("phases only move forward");
    let phases: Vec<String> = trace
        .steps
        .iter()
        .flat_map(|s| &s.writes)
        .filter(|w| w.key() == "/registry/pods/default/command-demo")
        .filter_map(|w| w.value.as_ref())
        .map(|kv| sim::object::str_at(&kv.value, "/status/phase").to_string())
        .collect();
    assert!(phases.iter().any(|p| p == "Running"), "{phases:?}");
    assert!(!phases.iter().any(|p| p == "Succeeded"), "{phases:?}");
}

/// Found by `fuzz_manifest_parsing`: a lone `\r` is a line break to libyaml but not to the
/// editor, so a YAML error after one was placed past the end of the text.
#[test]
fn regression_yaml_error_after_a_lone_carriage_return_is_inside_the_text() {
    let text = "a: 1\rb: 2\r\rc: [\n";
    let parsed = manifest::parse(text);
    let d = &parsed.diagnostics[0];
    assert_eq!((d.line, d.doc_line), (2, 5));
    check_parsed(text);
}
