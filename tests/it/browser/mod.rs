//! Browser tests: the release build in `dist/` served from a sub-path on 127.0.0.1 and
//! driven through ChromeDriver in Debian's headless Chromium.
//!
//! `scripts/test.sh` builds `dist/` first and points `PODFLOW_DIST` at it. Screenshots go
//! to `target/screenshots/`. Tests here take a global lock: one Chromium at a time is all
//! a two-core machine should run.

mod harness;

use harness::Browser;

/// The six panels every layout must render.
const PANELS: &[&str] = &[
    "manifest-editor",
    "cluster-view",
    "etcd-keyspace",
    "message-flow",
    "timeline",
    "narration",
];

#[tokio::test]
async fn every_panel_renders_without_console_errors() {
    let browser = Browser::start(1440, 900).await;
    let outcome = async {
        browser.open("").await?;
        let mut found = Vec::new();
        for id in PANELS {
            if browser.exists(&format!("[data-testid=\"{id}\"]")).await? {
                found.push(*id);
            }
        }
        let manifest = browser
            .text_value("[data-testid=\"manifest-editor\"] textarea")
            .await?;
        let nodes = browser.attributes("[data-node]", "data-node").await?;
        let title = browser.title().await?;
        let favicon = browser.fetch_status("public/favicon.svg").await?;
        browser.screenshot("skeleton-1440.png").await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((found, manifest, nodes, title, favicon, errors))
    }
    .await;
    let (found, manifest, nodes, title, favicon, errors) = browser.finish(outcome).await;

    assert_eq!(found, PANELS, "panels rendered");
    assert!(
        manifest.contains("run: nginx"),
        "default manifest loaded:\n{manifest}"
    );
    assert_eq!(nodes, ["cp", "w1", "w2"], "the reference cluster's nodes");
    assert!(title.starts_with("podflow"), "title: {title}");
    assert_eq!(favicon, 200, "favicon served from public/");
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[tokio::test]
async fn narrow_layout_still_renders_every_panel() {
    let browser = Browser::start(360, 800).await;
    let outcome = async {
        browser.open("").await?;
        let mut found = Vec::new();
        for id in PANELS {
            if browser.exists(&format!("[data-testid=\"{id}\"]")).await? {
                found.push(*id);
            }
        }
        let overflow = browser
            .eval_u64("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
            .await?;
        browser.screenshot("skeleton-360.png").await?;
        Ok::<_, harness::Error>((found, overflow))
    }
    .await;
    let (found, overflow) = browser.finish(outcome).await;
    assert_eq!(found, PANELS);
    assert_eq!(overflow, 0, "no horizontal scrolling at 360 px");
}

#[tokio::test]
async fn edits_survive_a_reload_and_errors_show_at_their_line() {
    let browser = Browser::start(1280, 900).await;
    let outcome = async {
        browser.open("").await?;
        let editor = "[data-testid=\"manifest-editor\"] textarea";
        // `@` is reserved in YAML and cannot start a token: the parser's own message, at line 3.
        browser
            .replace_text(editor, "apiVersion: v1\nkind: Pod\nmetadata: @bad\n")
            .await?;
        let lines = browser.attributes(".diagnostic", "data-line").await?;
        let message = browser.text(".diagnostic .message").await?;
        let stale_visible = browser.visible(".badge.stale").await?;
        browser.reload().await?;
        let restored = browser.text_value(editor).await?;
        Ok::<_, harness::Error>((lines, message, stale_visible, restored))
    }
    .await;
    let (lines, message, stale_visible, restored) = browser.finish(outcome).await;
    assert_eq!(lines, ["3"]);
    assert_eq!(message, "found character that cannot start any token");
    assert!(stale_visible, "the last good trace is marked stale");
    assert_eq!(restored, "apiVersion: v1\nkind: Pod\nmetadata: @bad\n");
}

#[tokio::test]
async fn the_default_pod_reaches_running_at_the_end_of_the_trace() {
    let browser = Browser::start(1440, 900).await;
    let outcome = async {
        browser.open("").await?;
        browser.click("button[aria-label=\"jump to end\"]").await?;
        let phase = browser
            .attributes("[data-pod=\"default/nginx\"]", "data-phase")
            .await?;
        let ip = browser.text("[data-pod=\"default/nginx\"] .pod-ip").await?;
        let key = browser
            .exists("tr[data-key=\"/registry/pods/default/nginx\"]")
            .await?;
        let arrows = browser
            .attributes(".messages [data-step]", "data-step")
            .await?;
        let position = browser.text(".timeline .position").await?;
        browser.screenshot("nginx-running-1440.png").await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((phase, ip, key, arrows, position, errors))
    }
    .await;
    let (phase, ip, key, arrows, position, errors) = browser.finish(outcome).await;
    assert_eq!(phase, ["Running"]);
    assert!(ip.starts_with("10.244."), "pod IP shown: {ip}");
    assert!(key, "the pod's etcd key is listed");
    let steps: usize = position
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(steps > 20, "{position}");
    assert_eq!(arrows.len(), steps, "one message row per step");
    assert!(errors.is_empty(), "{errors:?}");
}
