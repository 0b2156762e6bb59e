//! Golden traces: the message sequence of every teaching preset, one line per message,
//! pinned as reviewable text. Regenerate with `UPDATE_EXPECT=1 cargo test golden`.

use std::path::PathBuf;

use podflow::sim::{self, cluster::Cluster, scenarios::PRESETS};

/// The seed of every golden trace.
pub const SEED: u64 = 42;

fn render(trace: &sim::trace::Trace) -> String {
    let mut out = String::new();
    out.push_str("# kubectl printed:\n");
    for line in &trace.kubectl {
        for l in line.lines() {
            out.push_str("#   ");
            out.push_str(l);
            out.push('\n');
        }
    }
    out.push_str(&trace.to_string());
    out
}

#[test]
fn every_preset_matches_its_golden_trace() {
    let cluster = Cluster::default();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/golden");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for preset in PRESETS {
        let trace = sim::run(&preset.scenario(), &cluster, SEED, sim::DEFAULT_HORIZON_MS);
        let actual = render(&trace);
        let path = dir.join(format!("{}.trace", preset.id));
        if update {
            std::fs::write(&path, &actual).expect("write golden file");
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if expected != actual {
            let first = expected
                .lines()
                .zip(actual.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(expected.lines().count().min(actual.lines().count()));
            failures.push(format!(
                "{}: differs from line {} on\n  expected: {}\n  actual:   {}",
                path.display(),
                first + 1,
                expected.lines().nth(first).unwrap_or("<end>"),
                actual.lines().nth(first).unwrap_or("<end>")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "golden traces changed (UPDATE_EXPECT=1 to accept):\n{}",
        failures.join("\n")
    );
}
