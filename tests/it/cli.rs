//! The `podflow` command line, run as a user would run it.

use std::process::Command;

fn podflow(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_podflow"))
        .args(args)
        .output()
        .expect("the podflow binary runs")
}

#[test]
fn version_prints_the_crate_version() {
    let out = podflow(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("podflow {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn unknown_command_is_a_usage_error() {
    let out = podflow(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: podflow"));
}

fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("podflow-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn apply_prints_kubectl_then_pods_then_events() {
    let pod = write_temp("pod.yaml", podflow::sim::scenarios::NGINX);
    let out = podflow(&["apply", "-f", pod.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("pod/nginx created"));
    assert!(
        text.contains("NAME    READY   STATUS    RESTARTS   AGE   IP"),
        "{text}"
    );
    assert!(text.contains("Running"), "{text}");
    assert!(
        text.contains("Successfully assigned default/nginx to w"),
        "{text}"
    );
}

#[test]
fn json_output_has_every_section() {
    let pod = write_temp("json-pod.yaml", podflow::sim::scenarios::NGINX);
    let out = podflow(&[
        "apply",
        "-f",
        pod.to_str().unwrap(),
        "--output",
        "json",
        "--seed",
        "7",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["kubectl"], serde_json::json!(["pod/nginx created"]));
    let pod = &v["pods"][0];
    assert_eq!(
        (
            pod["name"].as_str(),
            pod["phase"].as_str(),
            pod["status"].as_str(),
            pod["ready"].as_str()
        ),
        (Some("nginx"), Some("Running"), Some("Running"), Some("1/1"))
    );
    assert!(pod["ip"].as_str().unwrap().starts_with("10.244."));
    assert_eq!(pod["containers"][0]["state"], "running");
    assert!(pod["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "Ready" && c["status"] == "True"));
    assert!(v["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["reason"] == "Started" && e["object"] == "pod/nginx"));
    assert!(v["etcd"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["key"] == "/registry/pods/default/nginx"));
    let first = &v["messages"][0];
    assert_eq!(
        (first["source"].as_str(), first["target"].as_str()),
        (Some("kubectl"), Some("kubectl"))
    );
}

#[test]
fn a_rejected_file_exits_1_like_kubectl() {
    let pod = write_temp("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx-pod\nspec:\n  containers:\n  - name: nginx\n");
    let out = podflow(&["apply", "-f", pod.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(
            "The Pod \"nginx-pod\" is invalid: spec.containers[0].image: Required value"
        ),
        "{text}"
    );
}

#[test]
fn a_script_runs_commands_over_time() {
    write_temp("script-pod.yaml", podflow::sim::scenarios::NGINX);
    let script = write_temp(
        "lesson.txt",
        "kubectl apply -f script-pod.yaml\nsleep 10s\nkubectl delete pod nginx\n",
    );
    let out = podflow(&["script", script.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("pod/nginx created\npod \"nginx\" deleted\n"),
        "{text}"
    );
    assert!(
        text.contains("No resources found in default namespace."),
        "{text}"
    );
}

#[test]
fn bad_arguments_and_unreadable_files_are_clear_errors() {
    let out = podflow(&["apply", "-f", "/nonexistent/x.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("the path \"/nonexistent/x.yaml\" cannot be read"));
    let bin = write_temp("binary.yaml", "");
    std::fs::write(&bin, [0x61, 0xff, 0xfe]).unwrap();
    let out = podflow(&["apply", "-f", bin.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("yaml: invalid leading UTF-8 octet (byte offset 1, byte 0xff)"));
    let out = podflow(&["apply", "-f", bin.to_str().unwrap(), "--seed", "x"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--seed wants a number"));
}

#[test]
fn link_carries_the_file_through_the_apps_codec() {
    use podflow::link::{parse_fragment, parse_query, Panel};
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web # ünïcødé & <b>\nspec:\n  containers:\n  - name: web\n    image: nginx\n";
    let pod = write_temp("link.yaml", text);
    for readable in [false, true] {
        let mut args = vec![
            "link",
            "-f",
            pod.to_str().unwrap(),
            "--step",
            "7",
            "--command",
            "@30s kubectl delete pod web",
            "--base",
            "https://courses.example/k8s/podflow/index.html",
        ];
        if readable {
            args.push("--readable");
        }
        let out = podflow(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8(out.stdout).unwrap();
        let (page, fragment) = url.trim().split_once('#').unwrap();
        assert_eq!(page, "https://courses.example/k8s/podflow/index.html");
        assert!(
            fragment.starts_with(if readable { "yaml=" } else { "m=" }),
            "{fragment}"
        );
        let lesson = parse_fragment(fragment).unwrap().unwrap();
        assert_eq!(lesson.manifest, text);
        assert_eq!(lesson.step, Some(7));
        assert_eq!(
            lesson.commands,
            vec![(30_000, "kubectl delete pod web".to_string())]
        );
    }
    let out = podflow(&[
        "link",
        "-f",
        pod.to_str().unwrap(),
        "--panels",
        "flow,editor",
        "--id",
        "one",
    ]);
    let url = String::from_utf8(out.stdout).unwrap();
    let query = url.split_once('?').unwrap().1.split_once('#').unwrap().0;
    let view = parse_query(query).unwrap();
    assert!(view.embed);
    assert_eq!(view.panels, Some(vec![Panel::Editor, Panel::Flow]));
    assert_eq!(view.id.as_deref(), Some("one"));
}

#[test]
fn link_iframe_and_mistakes() {
    let pod = write_temp("iframe.yaml", podflow::sim::scenarios::NGINX);
    let out = podflow(&[
        "link",
        "-f",
        pod.to_str().unwrap(),
        "--iframe",
        "--title",
        "Lesson \"1\"",
    ]);
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(
        html.starts_with("<iframe src=\"index.html?embed=1#m="),
        "{html}"
    );
    assert!(html.contains("title=\"Lesson &quot;1&quot;\""), "{html}");

    let out = podflow(&["link", "-f", pod.to_str().unwrap(), "--panels", "nodes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("panels= names \"nodes\", which is not a panel"));

    let out = podflow(&["link", "-f", pod.to_str().unwrap(), "--step", "0"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: --step wants a step number from 1, not \"0\""
    );

    // Past the end: still a link (the app opens at the last step), with a warning.
    let out = podflow(&["link", "-f", pod.to_str().unwrap(), "--step", "100000"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("warning: --step 100000 is past the last step"));

    // A broken manifest is a lesson too: the link is printed, the problem is a warning.
    let bad = write_temp("bad.yaml", "kind: Pod\nmetadata:\n\tname: x\n");
    let out = podflow(&["link", "-f", bad.to_str().unwrap()]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("warning: ") && stderr.contains("bad.yaml:3:"),
        "{stderr}"
    );
}

/// The compact form is what a browser undoes with `DecompressionStream('deflate-raw')`:
/// Node's implementation of the same web API reads what `podflow link` wrote.
#[test]
fn link_compact_form_is_what_decompression_stream_reads() {
    let pod = write_temp("stream.yaml", podflow::sim::scenarios::NGINX);
    let out = podflow(&["link", "-f", pod.to_str().unwrap()]);
    let url = String::from_utf8(out.stdout).unwrap();
    let packed = url.trim().split_once("#m=").unwrap().1;
    let script = "const b=process.argv[1].replace(/-/g,'+').replace(/_/g,'/');\
        const s=new Blob([Uint8Array.from(atob(b),c=>c.charCodeAt(0))]).stream()\
        .pipeThrough(new DecompressionStream('deflate-raw'));\
        new Response(s).text().then(t=>process.stdout.write(t));";
    let node = Command::new("node")
        .args(["-e", script, packed])
        .output()
        .expect("node runs (scripts/setup.sh installs it with npm)");
    assert!(
        node.status.success(),
        "{}",
        String::from_utf8_lossy(&node.stderr)
    );
    assert_eq!(
        String::from_utf8(node.stdout).unwrap(),
        podflow::sim::scenarios::NGINX
    );
}

#[test]
fn link_carries_the_apply_user() {
    let pod = write_temp("as.yaml", podflow::sim::scenarios::NGINX);
    let out = podflow(&["link", "-f", pod.to_str().unwrap(), "--as", "jane"]);
    let url = String::from_utf8(out.stdout).unwrap();
    let lesson = podflow::link::parse_fragment(url.trim().split_once('#').unwrap().1)
        .unwrap()
        .unwrap();
    assert_eq!(lesson.apply_line(), "kubectl apply -f pod.yaml --as=jane");
    let out = podflow(&["link", "-f", pod.to_str().unwrap(), "--as", "<jane>"]);
    assert_eq!(out.status.code(), Some(2));
}
