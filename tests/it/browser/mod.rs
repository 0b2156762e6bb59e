//! Browser tests: the release build in `dist/` served from a sub-path on 127.0.0.1 and
//! driven through ChromeDriver in Debian's headless Chromium.
//!
//! `scripts/test.sh` builds `dist/` first and points `PODFLOW_DIST` at it. Screenshots go
//! to `target/screenshots/`. Tests here take a global lock: one Chromium at a time is all
//! a two-core machine should run.

mod embed;
mod harness;
mod hostile;
mod large;
mod link;

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

const EDITOR: &str = "[data-testid=\"manifest-editor\"] textarea";

#[tokio::test]
async fn tab_indents_shift_tab_outdents_and_keys_are_highlighted() {
    let browser = Browser::start(1280, 900).await;
    let outcome = async {
        browser.open("").await?;
        browser.replace_text(EDITOR, "spec:\n").await?;
        // Tab, then text: two spaces, not a focus change.
        browser.type_into(EDITOR, "\u{e004}x: 1").await?;
        let indented = browser.text_value(EDITOR).await?;
        // Shift+Tab (Shift held until the null key) takes them back.
        browser
            .type_into(EDITOR, "\u{e008}\u{e004}\u{e000}")
            .await?;
        let outdented = browser.text_value(EDITOR).await?;
        let keys = browser
            .attributes(".highlight .tok-key", "class")
            .await?
            .len();
        let first_key = browser.text(".highlight .tok-key").await?;
        let number = browser.text(".highlight .tok-num").await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((indented, outdented, keys, first_key, number, errors))
    }
    .await;
    let (indented, outdented, keys, first_key, number, errors) = browser.finish(outcome).await;
    assert_eq!(indented, "spec:\n  x: 1");
    assert_eq!(outdented, "spec:\nx: 1");
    assert_eq!(keys, 2, "`spec` and `x` are keys");
    assert_eq!(first_key, "spec");
    assert_eq!(number, "1");
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[tokio::test]
async fn question_mark_opens_the_shortcut_help_and_escape_closes_it() {
    let browser = Browser::start(1280, 900).await;
    let outcome = async {
        browser.open("").await?;
        browser.blur().await?;
        let before = browser.exists("[role=\"dialog\"]").await?;
        browser.press("?").await?;
        let opened = browser.visible("[role=\"dialog\"]").await?;
        let title = browser.text("[role=\"dialog\"] h2").await?;
        let rows = browser.count("[role=\"dialog\"] .shortcuts tr").await?;
        browser.screenshot("help-1280.png").await?;
        browser.press("\u{e00c}").await?;
        let after_escape = browser.exists("[role=\"dialog\"]").await?;
        // Typed in the editor, `?` is text, not a shortcut.
        browser.type_into(EDITOR, "?").await?;
        let while_typing = browser.exists("[role=\"dialog\"]").await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((
            before,
            opened,
            title,
            rows,
            after_escape,
            while_typing,
            errors,
        ))
    }
    .await;
    let (before, opened, title, rows, after_escape, while_typing, errors) =
        browser.finish(outcome).await;
    assert!(!before, "no dialog at first");
    assert!(opened, "`?` opens the help");
    assert_eq!(title, "Keyboard shortcuts");
    assert_eq!(rows, 9, "every shortcut listed");
    assert!(!after_escape, "Escape closes the help");
    assert!(!while_typing, "`?` typed in the editor is text");
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[tokio::test]
async fn layouts_at_360_768_and_1440_px() {
    let mut overflows = Vec::new();
    for (width, height) in [(360, 800), (768, 1024), (1440, 900)] {
        let browser = Browser::start(width, height).await;
        let outcome = async {
            browser.open("").await?;
            let overflow = browser
                .eval_u64("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
                .await?;
            browser.screenshot(&format!("layout-{width}.png")).await?;
            let errors = browser.console_errors().await?;
            Ok::<_, harness::Error>((overflow, errors))
        }
        .await;
        let (overflow, errors) = browser.finish(outcome).await;
        assert!(
            errors.is_empty(),
            "console errors at {width} px: {errors:#?}"
        );
        overflows.push((width, overflow));
    }
    assert_eq!(
        overflows,
        [(360, 0), (768, 0), (1440, 0)],
        "no horizontal page scroll"
    );
}

#[tokio::test]
async fn keyboard_shortcuts_move_the_cursor_but_not_while_typing() {
    let browser = Browser::start(1280, 900).await;
    let outcome = async {
        browser.open("").await?;
        browser.blur().await?;
        let position = ".timeline .position";
        let start = browser.text(position).await?;
        browser.press("\u{e014}\u{e014}\u{e014}").await?; // → → →
        let after_right = browser.text(position).await?;
        browser.press("\u{e012}").await?; // ←
        let after_left = browser.text(position).await?;
        browser.press("\u{e010}").await?; // End
        let at_end = browser.text(position).await?;
        browser.screenshot("shortcuts-end-1280.png").await?;
        let current = browser.count(".arrow[aria-current=\"step\"]").await?;
        browser.press("\u{e011}").await?; // Home
        let at_home = browser.text(position).await?;
        // Arrows typed in the editor move its caret, not the cursor.
        browser.type_into(EDITOR, "\u{e014}\u{e014}").await?;
        let while_typing = browser.text(position).await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((
            start,
            after_right,
            after_left,
            at_end,
            current,
            at_home,
            while_typing,
            errors,
        ))
    }
    .await;
    let (start, after_right, after_left, at_end, current, at_home, while_typing, errors) =
        browser.finish(outcome).await;
    let total = start.rsplit(' ').next().unwrap_or_default().to_string();
    assert!(start.starts_with("step 1 of "), "{start}");
    assert_eq!(after_right, format!("step 4 of {total}"));
    assert_eq!(after_left, format!("step 3 of {total}"));
    assert_eq!(at_end, format!("step {total} of {total}"));
    assert_eq!(
        current, 1,
        "the last message is rendered (scrolled into view) and current"
    );
    assert_eq!(at_home, format!("step 1 of {total}"));
    assert_eq!(while_typing, at_home);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
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
        let payload = browser.exists("[data-testid=\"payload\"] pre").await?;
        let rules = browser.text("[data-rules=\"w1\"] summary").await?;
        browser.screenshot("nginx-running-1440.png").await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((phase, ip, key, arrows, position, payload, rules, errors))
    }
    .await;
    let (phase, ip, key, arrows, position, payload, rules, errors) = browser.finish(outcome).await;
    assert!(
        rules.starts_with("iptables (") && rules.ends_with(')'),
        "{rules}"
    );
    assert!(payload, "the narration shows the current message's body");
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

// ---- ui3: cluster view, narration, cluster editor ----

/// Moves the cursor with → from the first step until `css` exists (at most `limit`
/// steps); returns whether it was found.
async fn step_until(browser: &Browser, css: &str, limit: usize) -> Result<bool, harness::Error> {
    browser.blur().await?;
    browser.press("\u{e011}").await?; // Home
    for _ in 0..limit {
        if browser.exists(css).await? {
            return Ok(true);
        }
        browser.press("\u{e014}").await?; // →
    }
    browser.exists(css).await
}

#[tokio::test]
async fn the_cluster_view_shows_kubectl_columns_bars_and_the_scheduler_table() {
    let browser = Browser::start(1440, 900).await;
    let outcome = async {
        browser.open("").await?;
        browser.click("button[aria-label=\"jump to end\"]").await?;
        let pod = "[data-pod=\"default/nginx\"]";
        let status = browser.text(&format!("{pod} .pod-status")).await?;
        let ready = browser.text(&format!("{pod} .pod-ready")).await?;
        let bars = browser.attributes("[data-node=\"w1\"] [data-bar]", "data-bar").await?;
        let cpu_label = browser.text("[data-node=\"w1\"] [data-bar=\"cpu\"]").await?;
        // Every node of the default cluster fits the panel without scrolling.
        let overflow = browser
            .eval_u64("const e = document.querySelector('[data-testid=\"cluster-view\"]'); return e.scrollHeight - e.clientHeight;")
            .await?;
        browser.screenshot("cluster-end-1440.png").await?;
        // Clicking a pod selects it.
        browser.click(pod).await?;
        let pressed = browser.attributes(pod, "aria-pressed").await?;
        // The scheduler's Filter stage: a table with a row per node.
        let found = step_until(&browser, ".scheduling[data-stage=\"Filter\"]", 60).await?;
        let rows = browser
            .attributes("[data-testid=\"narration\"] [data-table=\"filter\"] tbody tr", "data-row")
            .await?;
        let cp_row = browser
            .text("[data-testid=\"narration\"] [data-table=\"filter\"] tr[data-row=\"cp\"]")
            .await?;
        let route = browser.attributes(".message-now", "data-from").await?;
        browser.screenshot("narration-filter-1440.png").await?;
        // The Score stage is the next step: totals and a winner.
        browser.press("\u{e014}").await?;
        let score_rows = browser.count("[data-table=\"score\"] tbody tr").await?;
        let winners = browser.count("[data-table=\"score\"] tr.winner").await?;
        browser.screenshot("narration-score-1440.png").await?;
        // Reserve…Bind is inside the scheduler (a pulse); the Binding request that follows
        // travels to the apiserver and is drawn as an arrow.
        browser.press("\u{e014}").await?;
        let pulse = browser.count(".component.pulse[data-component=\"kube-scheduler\"]").await?;
        browser.press("\u{e014}").await?;
        // The arrow is measured from the rendered elements: give it a few frames.
        let mut arrow = 0;
        for _ in 0..20 {
            arrow = browser.count(".message-arrow .arrow-path").await?;
            if arrow > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let ends = (
            browser.attributes("[data-role=\"from\"]", "data-component").await?,
            browser.attributes("[data-role=\"to\"]", "data-component").await?,
        );
        browser.screenshot("cluster-arrow-1440.png").await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((
            status, ready, bars, cpu_label, overflow, pressed, found, rows, cp_row, route,
            score_rows, winners, (pulse, arrow, ends), errors,
        ))
    }
    .await;
    let (
        status,
        ready,
        bars,
        cpu_label,
        overflow,
        pressed,
        found,
        rows,
        cp_row,
        route,
        score_rows,
        winners,
        (pulse, arrow, ends),
        errors,
    ) = browser.finish(outcome).await;
    assert_eq!(status, "Running");
    assert!(ready.contains("1/1"), "READY shown: {ready}");
    assert_eq!(bars, ["cpu", "memory"]);
    assert!(cpu_label.starts_with("CPU "), "{cpu_label}");
    assert_eq!(overflow, 0, "the cluster panel does not scroll at 1440×900");
    assert_eq!(pressed, ["true"], "the clicked pod is selected");
    assert!(found, "a Filter step with its table");
    assert_eq!(rows, ["cp", "w1", "w2"]);
    assert!(cp_row.contains("TaintToleration"), "{cp_row}");
    assert_eq!(route, ["kube-scheduler"]);
    assert_eq!(score_rows, 2, "the two workers are scored");
    assert_eq!(winners, 1);
    assert_eq!(pulse, 1, "a message inside one component pulses it");
    assert_eq!(arrow, 1, "the current message is drawn as an arrow");
    assert_eq!(
        ends,
        (
            vec!["kube-scheduler".to_string()],
            vec!["kube-apiserver".to_string()]
        ),
        "the arrow's ends are marked"
    );
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[tokio::test]
async fn an_unschedulable_pod_waits_in_its_lane_with_advice() {
    let browser = Browser::start(1280, 900).await;
    let outcome = async {
        browser.open("").await?;
        let manifest = include_str!("../../../src/sim/scenarios/unschedulable.yaml");
        browser.replace_text(EDITOR, manifest).await?;
        let found = step_until(&browser, ".advice", 60).await?;
        browser.screenshot("advice-1280.png").await?;
        let problem = browser.attributes(".advice", "data-advice").await?;
        let advice = browser.text(".advice").await?;
        browser.click("button[aria-label=\"jump to end\"]").await?;
        let lane = browser
            .text(".unscheduled [data-pod=\"default/big\"] .pod-status")
            .await?;
        browser.screenshot("unschedulable-1280.png").await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((found, problem, advice, lane, errors))
    }
    .await;
    let (found, problem, advice, lane, errors) = browser.finish(outcome).await;
    assert!(found, "an advice box on the way");
    assert_eq!(problem, ["FailedScheduling"]);
    assert!(advice.contains("Why and how to fix it"), "{advice}");
    assert!(advice.contains("requests 4 CPUs"), "{advice}");
    assert_eq!(lane, "Pending");
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[tokio::test]
async fn the_cluster_editor_adds_a_node_validates_and_persists() {
    let browser = Browser::start(1280, 900).await;
    let outcome = async {
        browser.open("").await?;
        browser
            .click("[data-testid=\"open-cluster-editor\"]")
            .await?;
        let opened = browser.visible("[data-testid=\"cluster-editor\"]").await?;
        browser.click("[data-action=\"add-node\"]").await?;
        let name = "tr[data-editor-node=\"3\"] input[data-field=\"name\"]";
        let suggested = browser.text_value(name).await?;
        // A duplicate name is refused with a message at the field.
        browser.replace_text(name, "w1").await?;
        browser.click("[data-action=\"apply\"]").await?;
        let error = browser
            .text("tr[data-editor-node=\"3\"] .field-error")
            .await?;
        browser.screenshot("cluster-editor-1280.png").await?;
        browser.replace_text(name, "w3").await?;
        browser.click("[data-action=\"apply\"]").await?;
        let closed = !browser.exists("[data-testid=\"cluster-editor\"]").await?;
        let nodes = browser
            .attributes("[data-testid=\"cluster-view\"] [data-node]", "data-node")
            .await?;
        browser.reload().await?;
        let after_reload = browser
            .attributes("[data-testid=\"cluster-view\"] [data-node]", "data-node")
            .await?;
        // More than 12 nodes: one compact cell per node.
        browser
            .click("[data-testid=\"open-cluster-editor\"]")
            .await?;
        for _ in 0..10 {
            browser.click("[data-action=\"add-node\"]").await?;
        }
        browser.click("[data-action=\"apply\"]").await?;
        browser.click("button[aria-label=\"jump to end\"]").await?;
        let cells = browser.count(".nodes.aggregate .node-cell").await?;
        browser.screenshot("cluster-aggregate-1280.png").await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((
            opened,
            suggested,
            error,
            closed,
            nodes,
            after_reload,
            cells,
            errors,
        ))
    }
    .await;
    let (opened, suggested, error, closed, nodes, after_reload, cells, errors) =
        browser.finish(outcome).await;
    assert!(opened);
    assert_eq!(suggested, "w3");
    assert_eq!(error, "node name \"w1\" appears twice");
    assert!(closed, "a valid form applies and closes");
    assert_eq!(nodes, ["cp", "w1", "w2", "w3"]);
    assert_eq!(after_reload, nodes, "the cluster is kept in local storage");
    assert_eq!(cells, 14);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[tokio::test]
async fn cluster_and_narration_at_360_768_and_1440_px() {
    for (width, height) in [(360, 800), (768, 1024), (1440, 900)] {
        let browser = Browser::start(width, height).await;
        let outcome = async {
            browser.open("").await?;
            step_until(&browser, ".scheduling[data-stage=\"Filter\"]", 60).await?;
            browser.press("\u{e014}\u{e014}").await?;
            let overflow = browser
                .eval_u64("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
                .await?;
            browser.screenshot(&format!("cluster-narration-{width}.png")).await?;
            browser.click("[data-testid=\"open-cluster-editor\"]").await?;
            browser.screenshot(&format!("cluster-editor-{width}.png")).await?;
            let errors = browser.console_errors().await?;
            Ok::<_, harness::Error>((overflow, errors))
        }
        .await;
        let (overflow, errors) = browser.finish(outcome).await;
        assert_eq!(overflow, 0, "no horizontal page scroll at {width} px");
        assert!(
            errors.is_empty(),
            "console errors at {width} px: {errors:#?}"
        );
    }
}

// ---- ui2: etcd key details, kubectl console, describe, scenario gallery ----

const NGINX_KEY: &str = "tr[data-key=\"/registry/pods/default/nginx\"]";
const CONSOLE_INPUT: &str = "[data-testid=\"kubectl-console\"] input";

/// Shows the console: on a desktop it shares the editor's area behind a tab.
async fn show_console(browser: &Browser) -> Result<(), harness::Error> {
    if browser.visible("[data-tab=\"kubectl\"]").await? {
        browser.click("[data-tab=\"kubectl\"]").await?;
    }
    Ok(())
}

/// Scrolls an element to the middle of the window (clear of the sticky player).
async fn centre(browser: &Browser, css: &str) -> Result<(), harness::Error> {
    browser
        .eval_u64(&format!(
            "document.querySelector('{}').scrollIntoView({{block: 'center'}}); return 0;",
            css.replace('\'', "\\'")
        ))
        .await?;
    Ok(())
}

/// The total number of steps, from the player's `step N of M`.
fn total_steps(position: &str) -> usize {
    position
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn an_etcd_key_shows_its_yaml_and_its_history() {
    let browser = Browser::start(1440, 900).await;
    let outcome = async {
        browser.open("").await?;
        browser.click("button[aria-label=\"jump to end\"]").await?;
        let row = browser.exists(NGINX_KEY).await?;
        browser.click(&format!("{NGINX_KEY} .key-button")).await?;
        let yaml = browser.text(".key-detail pre.yaml").await?;
        browser.click("#etcd-tab-history").await?;
        let entries = browser.count(".key-detail .history li").await?;
        let history = browser.text(".key-detail .history").await?;
        browser.screenshot("etcd-history-1440.png").await?;
        // The second write is the scheduler's Binding: jump there.
        browser
            .click(".key-detail .history li:nth-child(2) .jump")
            .await?;
        let position = browser.text(".timeline .position").await?;
        let bind_step = browser
            .attributes(".key-detail .history li:nth-child(2)", "data-step")
            .await?;
        let written = browser
            .attributes("tr.written[data-key]", "data-key")
            .await?;
        // The create (history entry 1), then three steps on: the scheduler's watch sees it.
        browser
            .click(".key-detail .history li:nth-child(1) .jump")
            .await?;
        browser.blur().await?;
        browser.press("\u{e014}\u{e014}\u{e014}").await?;
        let status = browser.text(".etcd-status").await?;
        let watched = browser.attributes("tr.watched", "data-key").await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((
            row, yaml, entries, history, position, bind_step, written, status, watched, errors,
        ))
    }
    .await;
    let (row, yaml, entries, history, position, bind_step, written, status, watched, errors) =
        browser.finish(outcome).await;
    assert!(row, "the pod's key row is in the tree");
    assert!(yaml.contains("nodeName:"), "{yaml}");
    assert!(yaml.contains("resourceVersion:"), "the API's view: {yaml}");
    assert!(entries >= 3, "history entries: {entries}\n{history}");
    assert!(history.contains("kube-scheduler"), "{history}");
    assert!(history.contains("spec.nodeName"), "{history}");
    assert!(history.contains("status.podIP"), "{history}");
    let step: usize = bind_step[0].parse().unwrap_or(0);
    assert!(
        position.starts_with(&format!("step {} of ", step + 1)),
        "{position} after jumping to step {step}"
    );
    assert_eq!(
        written,
        ["/registry/pods/default/nginx"],
        "the Bind writes the pod"
    );
    assert!(
        status.starts_with("watch ADDED /registry/pods/default/nginx"),
        "{status}"
    );
    assert_eq!(watched, ["/registry/pods/default/nginx"]);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[tokio::test]
async fn the_console_reads_at_the_cursor_and_adds_commands_to_the_scenario() {
    let browser = Browser::start(1440, 900).await;
    let outcome = async {
        browser.open("").await?;
        browser.click("button[aria-label=\"jump to end\"]").await?;
        let before = browser.text(".timeline .position").await?;
        show_console(&browser).await?;
        let applied = browser.text(".transcript .entry.script").await?;
        browser
            .type_into(CONSOLE_INPUT, "kubectl get pods\u{e007}")
            .await?;
        let read = browser.text(".transcript .entry.read pre.output").await?;
        let after_read = browser.text(".timeline .position").await?;
        browser.type_into(CONSOLE_INPUT, "\u{e013}").await?; // ↑
        let recalled = browser.text_value(CONSOLE_INPUT).await?;
        browser
            .replace_text(CONSOLE_INPUT, "kubectl frob\u{e007}")
            .await?;
        let unknown = browser
            .text(".transcript .entry.read:last-child pre.output")
            .await?;
        browser
            .replace_text(CONSOLE_INPUT, "kubectl delete pod nginx\u{e007}")
            .await?;
        let after_delete = browser.text(".timeline .position").await?;
        let deleted = browser
            .text(".transcript .entry.script:nth-child(2)")
            .await?;
        browser.screenshot("console-1440.png").await?;
        browser.click("button[aria-label=\"jump to end\"]").await?;
        let pod_left = browser.exists("[data-pod=\"default/nginx\"]").await?;
        // The added command survives a reload.
        browser.reload().await?;
        show_console(&browser).await?;
        let kept = browser
            .text(".transcript .entry.script:nth-child(2)")
            .await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((
            before,
            applied,
            read,
            after_read,
            recalled,
            unknown,
            after_delete,
            deleted,
            pod_left,
            kept,
            errors,
        ))
    }
    .await;
    let (
        before,
        applied,
        read,
        after_read,
        recalled,
        unknown,
        after_delete,
        deleted,
        pod_left,
        kept,
        errors,
    ) = browser.finish(outcome).await;
    assert!(applied.contains("kubectl apply -f pod.yaml"), "{applied}");
    assert!(applied.contains("pod/nginx created"), "{applied}");
    assert!(read.contains("nginx") && read.contains("Running"), "{read}");
    assert!(read.starts_with("NAME"), "kubectl's table: {read}");
    assert_eq!(
        after_read, before,
        "a read leaves the trace and the cursor alone"
    );
    assert_eq!(recalled, "kubectl get pods", "↑ recalls the last command");
    assert!(unknown.contains("unknown command \"frob\""), "{unknown}");
    assert!(
        total_steps(&after_delete) > total_steps(&before),
        "the delete adds messages: {before} → {after_delete}"
    );
    assert_eq!(
        after_delete.split(" of ").next(),
        before.split(" of ").next(),
        "the cursor stays"
    );
    assert!(deleted.contains("pod \"nginx\" deleted"), "{deleted}");
    assert!(!pod_left, "the pod is gone at the end");
    assert!(
        kept.contains("kubectl delete pod nginx"),
        "kept after a reload: {kept}"
    );
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[tokio::test]
async fn the_gallery_loads_a_preset_from_the_keyboard_and_by_click() {
    let browser = Browser::start(1440, 900).await;
    let outcome = async {
        browser.open("").await?;
        browser
            .click("[data-testid=\"gallery\"] .gallery-button")
            .await?;
        let opened = browser.visible(".gallery-menu").await?;
        let presets = browser.count(".gallery-menu [data-preset]").await?;
        browser.screenshot("gallery-1440.png").await?;
        // The first preset has the focus: ↓ then Enter loads the second.
        browser.press("\u{e015}\u{e007}").await?;
        let closed = !browser.visible(".gallery-menu").await?;
        let second = browser.text_value(EDITOR).await?;
        browser
            .click("[data-testid=\"gallery\"] .gallery-button")
            .await?;
        browser.click("[data-preset=\"crashloop\"]").await?;
        let manifest = browser.text_value(EDITOR).await?;
        let position = browser.text(".timeline .position").await?;
        browser.click("button[aria-label=\"jump to end\"]").await?;
        let crasher = browser.exists("[data-pod=\"default/crasher\"]").await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((
            opened, presets, closed, second, manifest, position, crasher, errors,
        ))
    }
    .await;
    let (opened, presets, closed, second, manifest, position, crasher, errors) =
        browser.finish(outcome).await;
    assert!(opened, "the menu opens");
    assert_eq!(presets, podflow::sim::scenarios::PRESETS.len());
    assert!(closed, "loading closes the menu");
    assert_eq!(second, podflow::sim::scenarios::PRESETS[1].manifest);
    assert!(manifest.contains("crasher"), "{manifest}");
    assert!(position.starts_with("step 1 of "), "{position}");
    assert!(crasher, "the crashing pod is on a node");
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[tokio::test]
async fn describe_shows_the_pod_and_its_events_at_the_cursor() {
    let browser = Browser::start(1440, 900).await;
    let outcome = async {
        browser.open("").await?;
        browser.click("[data-tab=\"describe\"]").await?;
        let at_start = browser
            .text("[data-testid=\"describe\"] pre.output")
            .await?;
        browser.click("button[aria-label=\"jump to end\"]").await?;
        let describe = browser
            .text("[data-testid=\"describe\"] pre.output")
            .await?;
        let events = browser
            .text("[data-testid=\"describe\"] pre.output:last-child")
            .await?;
        browser.screenshot("describe-1440.png").await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((at_start, describe, events, errors))
    }
    .await;
    let (at_start, describe, events, errors) = browser.finish(outcome).await;
    assert_eq!(
        at_start,
        "Error from server (NotFound): pods \"nginx\" not found"
    );
    assert!(
        describe.starts_with("Name:             nginx"),
        "{describe}"
    );
    assert!(describe.contains("Status:           Running"), "{describe}");
    assert!(events.starts_with("LAST SEEN"), "{events}");
    assert!(events.contains("Started"), "{events}");
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[tokio::test]
async fn inspector_and_console_at_360_768_and_1440_px() {
    for (width, height) in [(360, 800), (768, 1024), (1440, 900)] {
        let browser = Browser::start(width, height).await;
        let outcome = async {
            browser.open("").await?;
            browser.click("button[aria-label=\"jump to end\"]").await?;
            show_console(&browser).await?;
            browser
                .type_into(CONSOLE_INPUT, "kubectl get pods -o wide\u{e007}")
                .await?;
            let key = format!("{NGINX_KEY} .key-button");
            centre(&browser, &key).await?;
            browser.click(&key).await?;
            browser.click("#etcd-tab-history").await?;
            browser.screenshot(&format!("ui2-{width}.png")).await?;
            let overflow = browser
                .eval_u64("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
                .await?;
            let errors = browser.console_errors().await?;
            Ok::<_, harness::Error>((overflow, errors))
        }
        .await;
        let (overflow, errors) = browser.finish(outcome).await;
        assert_eq!(overflow, 0, "no horizontal page scroll at {width} px");
        assert!(
            errors.is_empty(),
            "console errors at {width} px: {errors:#?}"
        );
    }
}

#[tokio::test]
async fn an_unknown_field_and_a_missing_image_are_shown_at_their_lines() {
    let browser = Browser::start(1280, 900).await;
    let outcome = async {
        browser.open("").await?;
        let editor = "[data-testid=\"manifest-editor\"] textarea";
        browser
            .replace_text(
                editor,
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: typo\nspec:\n  containers:\n  - name: web\n    image: nginx\n    imagePullPolcy: Always\n",
            )
            .await?;
        let unknown = browser.attributes(".diagnostics .diagnostic", "data-line").await?;
        let unknown_message = browser.text(".diagnostics .diagnostic .message").await?;
        browser
            .replace_text(editor, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx-pod\nspec:\n  containers:\n  - name: nginx\n")
            .await?;
        let missing = browser.attributes(".diagnostics .diagnostic", "data-line").await?;
        let missing_message = browser.text(".diagnostics .diagnostic .message").await?;
        let stale = browser.visible(".badge.stale").await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((unknown, unknown_message, missing, missing_message, stale, errors))
    }
    .await;
    let (unknown, unknown_message, missing, missing_message, stale, errors) =
        browser.finish(outcome).await;
    assert_eq!(unknown, ["9"]);
    assert_eq!(
        unknown_message,
        "unknown field \"spec.containers[0].imagePullPolcy\""
    );
    assert_eq!(missing, ["7"], "a missing field points at its container");
    assert_eq!(missing_message, "spec.containers[0].image: Required value");
    assert!(
        !stale,
        "valid YAML is simulated: the trace shows the apiserver's rejection"
    );
    assert!(errors.is_empty(), "{errors:?}");
}
