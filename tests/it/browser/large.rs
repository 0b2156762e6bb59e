//! A large run in the browser: its first messages are shown at once, the rest is
//! simulated in slices while the page stays usable, and the whole trace then replaces the
//! first part without moving the cursor.

use podflow::link::{self, Form, Lesson};
use podflow::sim::{self, scenarios::scale};

use super::harness::{self, Browser};

#[tokio::test]
async fn a_large_run_shows_its_first_steps_then_the_whole_trace() {
    // 3,000 pods in three Deployments on 100 nodes (the browser measurement's case):
    // about 200,000 steps, far more than the app simulates before it first shows a run.
    let scenario = scale::deployments(3_000);
    let manifest = scenario.files[sim::MANIFEST_FILE].clone();
    let cluster = scale::cluster(100);
    // The whole trace's length is not recomputed here (a debug build takes minutes for
    // this run); `sim::tests::a_sliced_run_is_the_same_run` shows a sliced run is the run.
    let step = 100_000;
    let lesson = Lesson {
        cluster: Some(cluster.to_yaml()),
        manifest,
        step: Some(step),
        ..Lesson::default()
    };
    let fragment = link::to_fragment(&lesson, Form::Compact);

    let browser = Browser::start(1440, 900).await;
    let outcome = async {
        browser.open(&format!("#{fragment}")).await?;
        let simulating = browser
            .wait_for(
                "return !!document.querySelector('.timeline .simulating');",
                20,
            )
            .await?;
        let first = browser.text(".timeline .position").await?;
        // The page keeps answering meanwhile: the progress it reports moves on.
        let progress = browser.text(".timeline .simulating").await;
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let later = browser.text(".timeline .simulating").await;
        let (progress, later) = (progress.unwrap_or_default(), later.unwrap_or_default());
        browser.screenshot("large-run-simulating.png").await?;
        let done = browser
            .wait_for(
                "return !document.querySelector('.timeline .simulating');",
                120,
            )
            .await?;
        let last = browser.text(".timeline .position").await?;
        let errors = browser.console_errors().await?;
        Ok::<_, harness::Error>((simulating, first, progress, later, done, last, errors))
    }
    .await;
    let (simulating, first, progress, later, done, last, errors) = browser.finish(outcome).await;

    // "step 12 of 345" → 345
    let of = |text: &str| -> usize {
        text.rsplit(" of ")
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let total = of(&last);
    assert!(total > 150_000, "a large run: {total} steps ({last:?})");
    assert!(simulating, "the rest was simulated after the first render");
    let shown = of(&first);
    assert!(
        shown > 0 && shown < total,
        "first shown {shown} of {total} steps ({first:?})"
    );
    // The link's step is beyond the first part: shown clamped to its end meanwhile.
    assert_eq!(first, format!("step {shown} of {shown}"));
    let count = |text: &str| -> usize {
        text.chars()
            .filter(|c| c.is_ascii_digit())
            .collect::<String>()
            .parse()
            .unwrap_or(0)
    };
    assert!(
        later.is_empty() || count(&later) > count(&progress),
        "progress moved on: {progress:?} then {later:?}"
    );
    assert!(done, "the whole run arrived");
    // The whole trace, as long as the native run, and the link's step now in it.
    assert_eq!(last, format!("step {step} of {total}"));
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
