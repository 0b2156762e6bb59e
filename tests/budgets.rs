//! Deterministic budgets: the steps, the peak of live heap bytes and the bytes a trace
//! keeps, for fixed scenarios, must stay under the budgets below (measured, plus about
//! 10 % headroom). No wall-clock assertion: the counts depend only on the code, so a
//! change that makes a run bigger fails here on any machine.
//!
//! The budgets are recorded here, in [`BUDGETS`], and nowhere else. When a change makes a
//! scenario legitimately bigger, re-measure (`cargo test --test budgets -- --nocapture`
//! prints the figures) and raise its row with the reason in the commit.
//!
//! This is its own test binary because it installs a counting global allocator; the
//! scenarios run one after the other in one test so nothing else allocates meanwhile.

use podflow::sim::{self, cluster::Cluster, scenarios, trace::Trace};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

/// One scenario's budget: at most this many steps, this peak of live heap bytes during
/// the run, and this many bytes kept by the finished trace.
struct Budget {
    name: &'static str,
    steps: usize,
    peak_bytes: usize,
    trace_bytes: usize,
}

const KIB: usize = 1024;

/// Measured with `cargo test` (test profile, x86_64 Linux, rustc 1.95), plus 10 %:
/// nginx 76 steps / 900 KiB peak / 720 KiB kept; installed once 76 / 539 / 363;
/// Deployment + Service 327 / 2,318 / 1,977; 100 pods on 10 nodes 6,712 / 42,357 / 37,610
/// (etcd checkpoints instead of a snapshot per step).
const BUDGETS: &[Budget] = &[
    Budget {
        name: "nginx pod",
        steps: 84,
        peak_bytes: 810 * KIB,
        trace_bytes: 656 * KIB,
    },
    Budget {
        name: "nginx pod, cluster installed once",
        steps: 84,
        peak_bytes: 412 * KIB,
        trace_bytes: 262 * KIB,
    },
    Budget {
        name: "3-replica Deployment + Service",
        steps: 360,
        peak_bytes: 1_895 * KIB,
        trace_bytes: 1_581 * KIB,
    },
    Budget {
        name: "100 pods (Deployment) on 10 nodes",
        steps: 7_400,
        peak_bytes: 29_454 * KIB,
        trace_bytes: 26_771 * KIB,
    },
];

fn run(name: &str) -> Trace {
    let cluster = Cluster::default();
    match name {
        "nginx pod" => {
            std::sync::Arc::unwrap_or_clone(sim::simulate(scenarios::NGINX, &cluster, 42).trace)
        }
        "nginx pod, cluster installed once" => {
            let scenario = scenarios::preset("nginx").expect("preset").scenario();
            // Installed outside the measured part, as the app does once per cluster.
            let installed = INSTALLED.with(|i| i.clone());
            sim::run_installed(&scenario, &cluster, &installed, 42, sim::DEFAULT_HORIZON_MS)
        }
        "3-replica Deployment + Service" => std::sync::Arc::unwrap_or_clone(
            sim::simulate(&scenarios::scale::deployment_with_service(3), &cluster, 42).trace,
        ),
        "100 pods (Deployment) on 10 nodes" => sim::run(
            &scenarios::scale::deployments(100),
            &scenarios::scale::cluster(10),
            42,
            sim::DEFAULT_HORIZON_MS,
        ),
        other => panic!("no scenario {other}"),
    }
}

thread_local! {
    static INSTALLED: sim::etcd::Snapshot = Cluster::default().install();
}

#[test]
fn fixed_scenarios_stay_within_their_budgets() {
    // Warm up lazily initialised statics (schema tables, the installed cluster) so they
    // are not charged to the first scenario.
    INSTALLED.with(|_| ());
    drop(run("nginx pod"));
    let mut over = Vec::new();
    for b in BUDGETS {
        let (trace, peak, kept) = counting_alloc::peak_of(|| run(b.name));
        let steps = trace.steps.len();
        assert!(
            trace.truncated.is_none(),
            "{}: {:?}",
            b.name,
            trace.truncated
        );
        drop(trace);
        println!(
            "{:<36} {steps:>6} steps (budget {:>6})  peak {:>6} KiB (budget {:>6})  trace {:>6} KiB (budget {:>6})",
            b.name,
            b.steps,
            peak / KIB,
            b.peak_bytes / KIB,
            kept / KIB,
            b.trace_bytes / KIB
        );
        if steps > b.steps || peak > b.peak_bytes || kept > b.trace_bytes {
            over.push(format!(
                "{}: {steps} steps, peak {} KiB, trace {} KiB",
                b.name,
                peak / KIB,
                kept / KIB
            ));
        }
    }
    assert!(over.is_empty(), "over budget: {over:#?}");
}
