//! `podflow link` and the app agree: a link the CLI prints opens, in Chromium, with the
//! exact manifest, commands and step it was made from, in both forms.

use std::process::Command;

use super::harness::{self, Browser};

const EDITOR: &str = "[data-testid=\"manifest-editor\"] textarea";

/// Non-ASCII, the fragment's own syntax characters and markup, all in one manifest.
const MANIFEST: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: linked\n  annotations:\n    note: \"a&b=c#d%e+f ünïcødé ☸ <b>bold</b>\"\nspec:\n  containers:\n  - name: web\n    image: nginx:1.27\n";

fn podflow_link(extra: &[&str]) -> String {
    let dir = std::env::temp_dir().join(format!("podflow-link-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("linked.yaml");
    std::fs::write(&file, MANIFEST).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_podflow"))
        .args(["link", "-f", file.to_str().unwrap(), "--base", "index.html"])
        .args(extra)
        .output()
        .expect("the podflow binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[tokio::test]
async fn links_from_podflow_link_open_with_their_manifest_commands_and_step() {
    let compact = podflow_link(&["--step", "5", "--command", "@20s kubectl delete pod linked"]);
    let readable = podflow_link(&[
        "--readable",
        "--step",
        "5",
        "--command",
        "@20s kubectl delete pod linked",
    ]);
    assert!(compact.starts_with("index.html#m=") && readable.starts_with("index.html#yaml="));
    let browser = Browser::start(1280, 900).await;
    let outcome = async {
        let mut seen = Vec::new();
        for url in [&compact, &readable] {
            browser.open(url).await?;
            let manifest = browser.text_value(EDITOR).await?;
            let position = browser.text(".timeline .position").await?;
            // The command joined the scenario: at the end the pod is gone (without it,
            // it would be Running).
            browser.blur().await?;
            browser.press("\u{e010}").await?; // End
            let pods = browser.attributes("[data-pod]", "data-pod").await?;
            let deleted = !pods.iter().any(|p| p.ends_with("/linked"));
            seen.push((manifest, position, deleted));
        }
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((seen, errors))
    }
    .await;
    let (seen, errors) = browser.finish(outcome).await;
    for (manifest, position, deleted) in seen {
        assert_eq!(manifest, MANIFEST);
        assert!(position.starts_with("step 5 of "), "{position}");
        assert!(deleted, "the link's kubectl delete ran");
    }
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
