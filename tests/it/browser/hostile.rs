//! Hostile and odd text pasted into the editor: each gives its clear message, the page
//! stays responsive, and nothing the learner had is lost.

use super::harness::{self, Browser};

const EDITOR: &str = "[data-testid=\"manifest-editor\"] textarea";

/// (name, JavaScript expression producing the text, what the first message must contain).
const PASTES: &[(&str, &str, &str)] = &[
    (
        "10,000 documents",
        "Array.from({length: 10000}, (_, i) => `---\\napiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: c${i}\\n`).join('')",
        "(limit MAX_DOCUMENTS)",
    ),
    (
        "billion laughs",
        "(() => { let t = 'a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\\n'; let p = 'a'; for (const n of 'bcdefghi') { t += `${n}: &${n} [` + Array(9).fill('*' + p).join(',') + ']\\n'; p = n; } return t; })()",
        "document contains excessive aliasing",
    ),
    (
        "deep nesting",
        "'a:\\n' + Array.from({length: 200}, (_, i) => ' '.repeat(i + 1) + 'a:\\n').join('')",
        "(limit MAX_DEPTH)",
    ),
];

#[tokio::test]
async fn hostile_pastes_give_their_message_and_the_page_stays_responsive() {
    let browser = Browser::start(1280, 900).await;
    let outcome = async {
        browser.open("").await?;
        let before = browser.text_value(EDITOR).await?;
        // 10 MiB: refused before the textarea lays it out; the manifest stays.
        let ms = browser
            .paste_generated(EDITOR, "'# filler\\n'.repeat(1165085)")
            .await?;
        eprintln!("10 MiB: refused in {ms} ms");
        let refused = browser.text(".editor-refused").await?;
        let kept = browser.text_value(EDITOR).await?;
        let good_steps = browser.text(".timeline .position").await.unwrap_or_default();
        let mut seen = Vec::new();
        for (name, expression, _) in PASTES {
            let ms = browser.paste_generated(EDITOR, expression).await?;
            let message = browser.text(".diagnostic .message").await.unwrap_or_default();
            let stale = browser.visible(".badge.stale").await?;
            // Still responsive: the player moves through the last good trace.
            browser.blur().await?;
            browser.press("\u{e011}\u{e014}").await?; // Home, then →
            let position = browser.text(".timeline .position").await.unwrap_or_default();
            eprintln!("{name}: handled in {ms} ms; {message:?}");
            seen.push((*name, message, stale, position));
        }
        // A 1 MiB manifest that is valid (a pod after ~45,000 comment lines) simulates.
        let ms = browser
            .paste_generated(
                EDITOR,
                "'# a comment line of filler\\n'.repeat(37000) + 'apiVersion: v1\\nkind: Pod\\nmetadata:\\n  name: big\\nspec:\\n  containers:\\n  - name: c\\n    image: nginx\\n'",
            )
            .await?;
        eprintln!("1 MiB valid manifest: handled in {ms} ms");
        browser.blur().await?;
        browser.press("\u{e010}").await?; // End: the pod has been created by then
        let big_nodes = browser.attributes("[data-pod]", "data-pod").await?;
        // Scrolled to line 19,998 of the long text, line 20,001: its number and its text are drawn,
        // level with each other, in view (the editor draws only the lines in view).
        browser
            .eval_u64(
                "document.querySelector('[data-testid=\"manifest-editor\"] .code').scrollTop = 8 + 19997 * 19.5; return 0;",
            )
            .await?;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let aligned = browser
            .eval_u64(
                "const code = document.querySelector('[data-testid=\"manifest-editor\"] .code').getBoundingClientRect();
                 const number = [...document.querySelectorAll('.gutter .gutter-line')].find(e => e.textContent === '20001');
                 const first = document.querySelector('.highlight .line');
                 if (!number || !first) return 0;
                 const lines = document.querySelectorAll('.highlight .line');
                 const index = 20000 - (Number(document.querySelector('.gutter .gutter-line').textContent) - 1);
                 const line = lines[index];
                 const n = number.getBoundingClientRect(), l = line.getBoundingClientRect();
                 const inView = n.top >= code.top && n.bottom <= code.bottom;
                 if (!inView) return 3; // Centres: the number is a block, the text an inline box centred in its line.
                 if (Math.abs((n.top + n.bottom) / 2 - (l.top + l.bottom) / 2) >= 1) return 4; if (line.textContent !== '# a comment line of filler') return 5; return 1;",
            )
            .await?;
        browser.screenshot("hostile-scrolled-1280.png").await?;
        // A pod over the kubelet's container bound: the run stops early and says why.
        let ms = browser
            .paste_generated(
                EDITOR,
                "'apiVersion: v1\\nkind: Pod\\nmetadata:\\n  name: many\\nspec:\\n  containers:\\n' + Array.from({length: 201}, (_, i) => `  - name: c${i}\\n    image: nginx\\n`).join('')",
            )
            .await?;
        eprintln!("201 containers: handled in {ms} ms");
        let stopped = browser.text(".timeline .truncated").await?;
        let errors = browser.console_errors().await?;
        browser.screenshot("hostile-1280.png").await?;
        Ok::<_, harness::Error>((
            before, refused, kept, good_steps, seen, big_nodes, aligned, stopped, errors,
        ))
    }
    .await;
    let (before, refused, kept, good_steps, seen, big_pods, aligned, stopped, errors) =
        browser.finish(outcome).await;
    assert_eq!(
        stopped,
        "stopped early: pod default/many has 201 containers; podflow's kubelet simulates pods of at most 200 (limit MAX_CONTAINERS_PER_POD)"
    );
    assert_eq!(
        aligned, 1,
        "line 20,001 drawn in view, level with its number"
    );
    assert_eq!(
        refused.trim_end_matches('✕').trim(),
        "That text is 10485765 bytes; podflow reads at most 1048576 bytes (limit MAX_INPUT_BYTES). Your manifest was kept."
    );
    assert_eq!(kept, before, "the learner's manifest is kept");
    for ((name, message, stale, position), (_, _, expected)) in seen.iter().zip(PASTES) {
        assert!(message.contains(expected), "{name}: {message:?}");
        assert!(stale, "{name}: the last good trace stays, marked stale");
        assert!(
            position.starts_with("step 2 "),
            "{name}: the player still moves: {position:?} (was {good_steps:?})"
        );
    }
    assert!(
        big_pods.iter().any(|p| p.ends_with("big")),
        "the 1 MiB manifest's pod: {big_pods:?}"
    );
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
