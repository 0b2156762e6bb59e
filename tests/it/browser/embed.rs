//! Links, embedding, the postMessage protocol and text-only rendering of untrusted input.

use podflow::link::{self, Form, Lesson};
use podflow::sim::cluster::Cluster;
use podflow::sim::scenarios;

use super::harness::{self, Browser};

const EDITOR: &str = "[data-testid=\"manifest-editor\"] textarea";
const STORAGE_KEY: &str = "podflow.manifest";

const LINKED: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: from-a-link\nspec:\n  containers:\n  - name: web\n    image: nginx:1.27\n";

fn lesson(manifest: &str) -> Lesson {
    Lesson {
        manifest: manifest.to_string(),
        ..Lesson::default()
    }
}

/// The `[data-node]` names of a cluster description.
fn node_names(cluster: &Cluster) -> Vec<String> {
    cluster.nodes.iter().map(|n| n.name.clone()).collect()
}

#[tokio::test]
async fn a_compact_link_opens_its_lesson_and_leaves_the_learners_draft_alone() {
    let fragment = link::to_fragment(
        &Lesson {
            step: Some(5),
            ..lesson(LINKED)
        },
        Form::Compact,
    );
    assert!(fragment.starts_with("m="), "{fragment}");
    let browser = Browser::start(1280, 900).await;
    let outcome = async {
        browser.open("").await?;
        // The learner's own work, kept by the plain page.
        browser.replace_text(EDITOR, "# my draft\n").await?;
        // The fragment changes on the open page: the page starts again from the link.
        browser.open(&format!("#{fragment}")).await?;
        let arrived = browser
            .wait_for(
                &format!(
                    "return document.querySelector('{}').value === {};",
                    EDITOR.replace('\'', "\\'"),
                    serde_json::to_string(LINKED).unwrap()
                ),
                30,
            )
            .await?;
        browser
            .open_until(&format!("index.html#{fragment}"), ".timeline")
            .await?;
        let manifest = browser.text_value(EDITOR).await?;
        let position = browser.text(".timeline .position").await?;
        let note = browser
            .text("[role=\"status\"][data-testid=\"link-note\"]")
            .await?;
        browser.screenshot("link-note-1280.png").await?;
        // At the last step, the link's pod is in the cluster view.
        browser.blur().await?;
        browser.press("\u{e010}").await?;
        let pods = browser.attributes("[data-pod]", "data-pod").await?;
        let stored = browser
            .eval(&format!("return localStorage.getItem('{STORAGE_KEY}');"))
            .await?;
        // Editing a linked lesson does not write the draft either.
        browser.type_into(EDITOR, "# edited\n").await?;
        let stored_after_edit = browser
            .eval(&format!("return localStorage.getItem('{STORAGE_KEY}');"))
            .await?;
        // The plain page still has the draft.
        browser.open("index.html").await?;
        let plain = browser.text_value(EDITOR).await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((
            arrived,
            manifest,
            (position, note),
            pods,
            stored,
            stored_after_edit,
            plain,
            errors,
        ))
    }
    .await;
    let (arrived, manifest, (position, note), pods, stored, stored_after_edit, plain, errors) =
        browser.finish(outcome).await;
    assert!(arrived, "a changed fragment opens its lesson");
    assert_eq!(manifest, LINKED);
    assert!(position.starts_with("step 5 of "), "{position}");
    assert!(note.contains("changes made here are not saved"), "{note}");
    assert!(
        pods.iter().any(|p| p.contains("from-a-link")),
        "the link's pod is simulated: {pods:?}"
    );
    assert_eq!(
        stored, "# my draft\n",
        "the link did not overwrite the draft"
    );
    assert_eq!(stored_after_edit, "# my draft\n");
    assert_eq!(plain, "# my draft\n");
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[tokio::test]
async fn a_readable_link_carries_cluster_and_commands() {
    let mut cluster = Cluster::default();
    cluster.nodes.truncate(2);
    let expected_nodes = node_names(&cluster);
    let fragment = link::to_fragment(
        &Lesson {
            cluster: Some(cluster.to_yaml()),
            commands: vec![(30_000, "kubectl delete pod from-a-link".into())],
            autoplay: true,
            speed: Some(60),
            ..lesson(LINKED)
        },
        Form::Readable,
    );
    assert!(fragment.starts_with("yaml="), "{fragment}");
    let browser = Browser::start(1280, 900).await;
    let outcome = async {
        browser.open(&format!("index.html#{fragment}")).await?;
        let manifest = browser.text_value(EDITOR).await?;
        let nodes = browser.attributes("[data-node]", "data-node").await?;
        let transcript = browser
            .eval("return document.querySelector('[data-testid=\"kubectl-console\"]').textContent;")
            .await?;
        // play=1&speed=60: it plays, fast.
        let speed = browser.text_value(".timeline select").await?;
        let played = browser
            .wait_for(
                "return !document.querySelector('.timeline .position').textContent.startsWith('step 1 of');",
                5,
            )
            .await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((manifest, nodes, transcript, speed, played, errors))
    }
    .await;
    let (manifest, nodes, transcript, speed, played, errors) = browser.finish(outcome).await;
    assert_eq!(manifest, LINKED);
    assert_eq!(nodes, expected_nodes, "the link's cluster");
    assert_eq!(speed, "60", "speed=60");
    assert!(played, "play=1 plays");
    let transcript = transcript.as_str().unwrap_or_default().to_string();
    assert!(
        transcript.contains("kubectl delete pod from-a-link"),
        "the link's command is in the script: {transcript}"
    );
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[tokio::test]
async fn a_damaged_link_shows_why_and_the_default_manifest() {
    let damaged = "m=not*base64&step=3";
    let expected = link::parse_fragment(damaged).unwrap_err().to_string();
    let browser = Browser::start(1280, 900).await;
    let outcome = async {
        browser.open(&format!("#{damaged}")).await?;
        let alert = browser
            .text("[role=\"alert\"][data-testid=\"link-alert\"]")
            .await?;
        let manifest = browser.text_value(EDITOR).await?;
        browser.screenshot("link-damaged-1280.png").await?;
        browser
            .click("[data-testid=\"link-alert\"] button.close")
            .await?;
        let after_dismiss = browser.exists("[data-testid=\"link-alert\"]").await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((alert, manifest, after_dismiss, errors))
    }
    .await;
    let (alert, manifest, after_dismiss, errors) = browser.finish(outcome).await;
    assert!(
        alert.contains(&expected),
        "alert {alert:?} quotes {expected:?}"
    );
    assert_eq!(manifest, scenarios::NGINX, "the default manifest");
    assert!(!after_dismiss, "the message can be dismissed");
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

const PANEL_IDS: &[(&str, &str)] = &[
    ("editor", "manifest-editor"),
    ("console", "kubectl-console"),
    ("cluster", "cluster-view"),
    ("flow", "message-flow"),
    ("etcd", "etcd-keyspace"),
    ("describe", "describe"),
    ("narration", "narration"),
    ("timeline", "timeline"),
];

#[tokio::test]
async fn embed_mode_shows_only_the_chosen_panels_from_360_px() {
    let fragment = link::to_fragment(&lesson(LINKED), Form::Compact);
    let mut results = Vec::new();
    for (width, height, panels) in [
        (360, 640, Some("flow,narration,timeline")),
        (768, 900, Some("cluster,narration,timeline")),
        (1440, 900, None),
    ] {
        let browser = Browser::start(width, height).await;
        let query = match panels {
            Some(p) => format!("?embed=1&panels={p}"),
            None => "?embed=1".to_string(),
        };
        let outcome = async {
            browser
                .open_until(&format!("index.html{query}#{fragment}"), "[data-testid=\"embed\"]")
                .await?;
            let mut shown = Vec::new();
            for (name, id) in PANEL_IDS {
                if browser.exists(&format!("[data-testid=\"{id}\"]")).await? {
                    shown.push(*name);
                }
            }
            let chrome = browser.count(".topbar, [data-testid=\"gallery\"], .help-button").await?;
            let full = browser.attributes("a.open-full", "href").await?;
            let target = browser.attributes("a.open-full", "target").await?;
            let rel = browser.attributes("a.open-full", "rel").await?;
            let overflow = browser
                .eval_u64("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
                .await?;
            browser.screenshot(&format!("embed-{width}.png")).await?;
            let errors = browser.console_errors().await?;
            Ok::<_, harness::Error>((shown, chrome, full, target, rel, overflow, errors))
        }
        .await;
        results.push((width, panels, browser.finish(outcome).await));
    }
    for (width, panels, (shown, chrome, full, target, rel, overflow, errors)) in results {
        let expected: Vec<&str> = match panels {
            Some(p) => p.split(',').collect(),
            None => PANEL_IDS.iter().map(|(n, _)| *n).collect(),
        };
        assert_eq!(shown, expected, "panels at {width} px");
        assert_eq!(chrome, 0, "no page chrome at {width} px");
        assert_eq!(full.len(), 1);
        assert!(
            !full[0].contains("embed") && full[0].contains("/courses/k8s-101/podflow/"),
            "the full page, same path: {}",
            full[0]
        );
        let opened = link::parse_fragment(full[0].split_once('#').map(|(_, f)| f).unwrap_or(""))
            .expect("the full-page link reads")
            .expect("it carries the lesson");
        assert_eq!(opened.manifest, LINKED);
        assert_eq!(
            (target[0].as_str(), rel[0].as_str()),
            ("_blank", "noopener")
        );
        assert_eq!(overflow, 0, "no horizontal scrolling at {width} px");
        assert!(
            errors.is_empty(),
            "console errors at {width} px: {errors:#?}"
        );
    }
}

#[tokio::test]
async fn the_example_course_page_drives_an_embed_through_post_message() {
    let browser = Browser::start(1280, 900).await;
    let log = "return document.getElementById('events').innerText;";
    let has = |needle: &str| {
        format!(
            "return document.getElementById('events').innerText.includes({});",
            serde_json::to_string(needle).unwrap()
        )
    };
    let outcome = async {
        browser
            .open_until("public/embed-example.html", "#lesson-b")
            .await?;
        let both_ready = browser.wait_for(&has("[lesson-a] ready, "), 60).await?
            && browser.wait_for(&has("[lesson-b] ready, "), 60).await?;
        let b_first_step = browser.wait_for(&has("[lesson-b] step 1/"), 10).await?;
        // A malformed load is answered with an error; a malformed step only warns.
        browser
            .eval(
                "const a = document.getElementById('lesson-a').contentWindow;
                 a.postMessage({type: 'podflow:load'}, '*');
                 a.postMessage({type: 'podflow:step', step: 'two'}, '*');
                 a.postMessage({type: 'podflow:step', step: 0}, '*');
                 return true;",
            )
            .await?;
        let load_error = browser
            .wait_for(&has("[lesson-a] error: podflow:load: manifest is missing"), 10)
            .await?;
        // A sibling frame is not the parent: lesson-a ignores lesson-b's orders.
        browser
            .eval_in_frame(
                1,
                "parent.frames[0].postMessage({type: 'podflow:step', step: 2}, '*'); return true;",
            )
            .await?;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        browser.replace_text("#step", "3").await?;
        browser.click("#go").await?;
        let stepped = browser.wait_for(&has("[lesson-a] step 3/"), 10).await?;
        browser.click("#load-web").await?;
        let reloaded = browser
            .wait_for(
                "return document.getElementById('events').innerText.split('[lesson-a] ready, ').length > 2;",
                20,
            )
            .await?;
        browser.replace_text("#step", "9999").await?;
        browser.click("#go").await?;
        let running = browser
            .wait_for(&has("[lesson-a] default/web is Running at step "), 10)
            .await?;
        // What the iframe shows now: the loaded manifest, at its last step.
        browser.screenshot("embed-example-1280.png").await?;
        let text = browser.eval(log).await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((
            (both_ready, b_first_step, load_error),
            stepped,
            reloaded,
            running,
            text,
            errors,
        ))
    }
    .await;
    let ((both_ready, b_first_step, load_error), stepped, reloaded, running, text, errors) =
        browser.finish(outcome).await;
    let text = text.as_str().unwrap_or_default();
    assert!(both_ready, "both instances say ready:\n{text}");
    assert!(b_first_step, "the second reports its step:\n{text}");
    assert!(load_error, "a load without a manifest is refused:\n{text}");
    assert!(
        !text.contains("[lesson-a] step 2/"),
        "a sibling frame cannot drive an embed:\n{text}"
    );
    assert!(stepped, "podflow:step moved the first:\n{text}");
    assert!(reloaded, "podflow:load answered with ready:\n{text}");
    assert!(running, "the loaded pod's Running is reported:\n{text}");
    assert!(
        !text.contains("[lesson-b] default/web"),
        "the second instance was not driven:\n{text}"
    );
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// Text that would run script if it were ever parsed as HTML.
const HOSTILE: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: xss
  labels:
    app: web
  annotations:
    note: "<script>window.__pwned=1</script>"
    quote: '"><img src=x onerror="window.__pwned=2">'
spec:
  containers:
  - name: web
    image: nginx:1.27
---
apiVersion: v1
kind: Pod
metadata:
  name: "<script>window.__pwned=3</script>"
spec:
  containers:
  - name: '"><img src=x onerror=window.__pwned=4>'
    image: nginx
"#;

#[tokio::test]
async fn hostile_text_in_a_link_renders_as_text_and_runs_nothing() {
    let fragment = link::to_fragment(
        &Lesson {
            commands: vec![(
                0,
                "kubectl label pod xss 'x=<img src=x onerror=window.__pwned=5>'".into(),
            )],
            ..lesson(HOSTILE)
        },
        Form::Compact,
    );
    let browser = Browser::start(1440, 900).await;
    let outcome = async {
        browser.open(&format!("#{fragment}")).await?;
        browser.blur().await?;
        // The last step: the narration, the etcd values and describe show the pods.
        browser.press("\u{e010}").await?;
        let body = browser
            .eval("return document.body.textContent;")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_string();
        let editor = browser.text_value(EDITOR).await?;
        let images = browser.count("img[src=\"x\"], script:not([src])").await?;
        let pwned = browser.eval("return typeof window.__pwned;").await?;
        // A page that is not framed takes no orders, not even from itself.
        browser
            .eval("window.postMessage({type: 'podflow:load', manifest: 'kind: Pod'}, '*'); return true;")
            .await?;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let still = browser.text_value(EDITOR).await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((body, editor, images, pwned, still, errors))
    }
    .await;
    let (body, editor, images, pwned, still, errors) = browser.finish(outcome).await;
    assert_eq!(editor, HOSTILE);
    for literal in [
        "<script>window.__pwned=1</script>",
        r#""><img src=x onerror="window.__pwned=2">"#,
    ] {
        assert!(body.contains(literal), "{literal} appears as text");
    }
    assert_eq!(images, 0, "no element was made from the text");
    assert_eq!(pwned, "undefined", "nothing ran");
    assert_eq!(still, HOSTILE, "a top-level page ignores messages");
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[tokio::test]
async fn share_copies_the_link_or_shows_it_and_embed_writes_the_snippet() {
    let mut shots = Vec::new();
    for (width, height) in [(360, 800), (768, 1024), (1440, 900)] {
        let browser = Browser::start(width, height).await;
        let outcome = async {
            browser.open("").await?;
            browser.blur().await?;
            // Step to 4, then share.
            browser.press("\u{e014}\u{e014}\u{e014}").await?;
            browser
                .eval(
                    "window.__copied = null;
                     navigator.clipboard.writeText = (t) => { window.__copied = t; return Promise.resolve(); };
                     return true;",
                )
                .await?;
            browser.click("[data-testid=\"share\"]").await?;
            browser
                .wait_for("return document.querySelector('[data-testid=\"share-status\"]').textContent === 'Link copied';", 5)
                .await?;
            let status = browser.text("[data-testid=\"share-status\"]").await?;
            let copied = browser.eval("return window.__copied;").await?;
            browser.screenshot(&format!("share-copied-{width}.png")).await?;
            // A clipboard that refuses: the link is shown to copy by hand.
            browser
                .eval(
                    "navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
                     return true;",
                )
                .await?;
            browser.click("[data-testid=\"share\"]").await?;
            browser
                .wait_for("return !!document.querySelector('[data-testid=\"share-dialog\"]');", 5)
                .await?;
            let shown = browser.text_value("#share-link").await?;
            let stale_toast = browser.text("[data-testid=\"share-status\"]").await?;
            let focused = browser.eval("return document.activeElement && document.activeElement.id;").await?;
            browser.screenshot(&format!("share-dialog-{width}.png")).await?;
            browser.press("\u{e00c}").await?;
            let closed = !browser.exists("[data-testid=\"share-dialog\"]").await?;
            // The embed dialog: untick panels, the snippet follows.
            browser.click("[data-testid=\"embed-open\"]").await?;
            let all = browser.text_value("#embed-snippet").await?;
            for panel in ["editor", "console", "etcd", "describe"] {
                browser.click(&format!("input[data-panel=\"{panel}\"]")).await?;
            }
            let some = browser.text_value("#embed-snippet").await?;
            browser.screenshot(&format!("embed-dialog-{width}.png")).await?;
            // Tab stays inside the modal dialog.
            browser.press(&"\u{e004}".repeat(16)).await?;
            let trapped = browser
                .eval("return document.querySelector('[data-testid=\"embed-dialog\"]').contains(document.activeElement);")
                .await?;
            browser
                .eval(
                    "navigator.clipboard.writeText = (t) => { window.__copied = t; return Promise.resolve(); };
                     return true;",
                )
                .await?;
            browser.click("[data-testid=\"embed-copy\"]").await?;
            browser
                .wait_for("return window.__copied && window.__copied.startsWith('<iframe');", 5)
                .await?;
            let snippet_copied = browser.eval("return window.__copied;").await?;
            let errors = browser.console_errors().await?;
            Ok::<_, harness::Error>((
                status,
                copied,
                (shown, stale_toast),
                focused,
                closed,
                all,
                (some, trapped, snippet_copied),
                errors,
            ))
        }
        .await;
        shots.push((width, browser.finish(outcome).await));
    }
    for (
        width,
        (
            status,
            copied,
            (shown, stale_toast),
            focused,
            closed,
            all,
            (some, trapped, snippet),
            errors,
        ),
    ) in shots
    {
        assert_eq!(status, "Link copied", "at {width} px");
        let copied = copied.as_str().unwrap_or_default().to_string();
        assert!(copied.contains("/courses/k8s-101/podflow/#m="), "{copied}");
        let lesson = link::parse_fragment(copied.split_once('#').unwrap().1)
            .unwrap()
            .unwrap();
        assert_eq!(lesson.manifest, scenarios::NGINX);
        assert_eq!(lesson.step, Some(4), "the current step");
        assert_eq!(
            lesson.cluster, None,
            "the default cluster is not in the link"
        );
        assert_eq!(shown, copied, "the same link, to copy by hand");
        assert_eq!(stale_toast, "", "no 'Link copied' when it was not");
        assert_eq!(focused, "share-link", "the field has the focus");
        assert!(closed, "Escape closes the dialog");
        assert!(
            all.starts_with("<iframe src=\"") && all.contains("?embed=1#m="),
            "{all}"
        );
        assert!(
            some.contains("?embed=1&amp;panels=cluster,flow,narration,timeline#m="),
            "{some}"
        );
        assert_eq!(trapped, true, "Tab stays in the dialog at {width} px");
        assert_eq!(
            snippet.as_str(),
            Some(some.as_str()),
            "Copy copies the snippet"
        );
        assert!(
            errors.is_empty(),
            "console errors at {width} px: {errors:#?}"
        );
    }
}

#[tokio::test]
async fn the_content_security_policy_is_in_force_and_the_app_needs_no_exception() {
    let browser = Browser::start(1280, 900).await;
    let outcome = async {
        browser.open("").await?;
        let policy = browser
            .eval("return document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content;")
            .await?;
        let inline_scripts = browser.count("script:not([src])").await?;
        // The app booted (it is on screen) without a single violation…
        let before = browser.console_errors().await?;
        // …and the policy is really enforced: an inline script does not run.
        let ran = browser
            .eval(
                "const s = document.createElement('script');
                 s.textContent = 'window.__inline = 1';
                 document.head.append(s);
                 return typeof window.__inline;",
            )
            .await?;
        let after = browser.console_errors().await?;
        Ok::<_, harness::Error>((policy, inline_scripts, before, ran, after))
    }
    .await;
    let (policy, inline_scripts, before, ran, after) = browser.finish(outcome).await;
    let policy = policy.as_str().unwrap_or_default();
    assert!(
        policy.contains("default-src 'none'")
            && policy.contains("script-src 'self' 'wasm-unsafe-eval';"),
        "{policy}"
    );
    assert_eq!(
        inline_scripts, 0,
        "the app is started by a file, not an inline script"
    );
    assert!(before.is_empty(), "violations while booting: {before:#?}");
    assert_eq!(ran, "undefined", "the inline script was refused");
    assert!(
        after.iter().any(|e| e.contains("Content Security Policy")),
        "the refusal is reported: {after:#?}"
    );
}
