//! Speed and memory budgets of the simulation core, measured (not asserted): `cargo bench`.
//!
//! A plain harness (no extra crates). Each case runs until it has taken about a second
//! (at least 3 runs; the big cases once, `--quick` or a name filter as the first
//! argument narrows the set), and prints the best time per run, the peak of live heap
//! bytes during one run (a counting global allocator: deterministic for a given binary),
//! the steps, and the trace's size.
//!
//!   cargo bench --no-default-features --bench sim            # every case
//!   cargo bench --no-default-features --bench sim -- 1000    # cases whose name contains "1000"
//!
//! `PODFLOW_BENCH_ONCE=1` runs each case once (to profile it under valgrind), and
//! `PODFLOW_BENCH_BREAKDOWN=1` prints what each part of the trace holds, and
//! `PODFLOW_BENCH_COUNT_ONLY=1` counts every case's steps without keeping them (to
//! measure the world a run builds apart from its trace).

use std::hint::black_box;
use std::time::{Duration, Instant};

use podflow::sim::{self, cluster::Cluster, scenarios, trace::Trace};

#[path = "../tests/support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{live, peak_of};

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

struct Case {
    name: String,
    /// Runs for at most this long in total (the big cases run once).
    budget: Duration,
    run: Box<dyn Fn() -> Trace>,
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn measure(case: &Case) {
    // First run: peak memory and trace size (and a warm-up).
    let start = Instant::now();
    let (trace, peak, bytes) = peak_of(|| (case.run)());
    let mut best = start.elapsed();
    let steps = trace.delivered;
    let kept = if trace.steps.len() == steps {
        ""
    } else {
        " (steps counted, not kept)"
    };
    if let Some(why) = &trace.truncated {
        println!("  ({} stopped: {why})", case.name);
    }
    if std::env::var_os("PODFLOW_BENCH_BREAKDOWN").is_some() {
        breakdown(trace);
    } else {
        drop(trace);
    }
    let mut runs = 1u32;
    let start = Instant::now();
    // PODFLOW_BENCH_ONCE: one run per case (for profiling under valgrind).
    let once = std::env::var_os("PODFLOW_BENCH_ONCE").is_some();
    while !once && start.elapsed() < case.budget
        || runs < 3 && case.budget >= Duration::from_secs(1)
    {
        let t = Instant::now();
        black_box((case.run)());
        best = best.min(t.elapsed());
        runs += 1;
    }
    println!(
        "{:<52} {:>10.3} ms  peak {:>9.2} MiB  {:>8} steps  trace {:>9.2} MiB  ({runs} runs, best){kept}",
        case.name,
        best.as_secs_f64() * 1000.0,
        mib(peak),
        steps,
        mib(bytes),
    );
}

/// What each part of a trace holds: live bytes freed by dropping it.
fn breakdown(mut trace: Trace) {
    let mut part = |name: &str, f: &mut dyn FnMut(&mut Trace)| {
        let before = live();
        f(&mut trace);
        println!(
            "  {name:<28} {:>9.2} MiB",
            mib(before.saturating_sub(live()))
        );
    };
    part("payloads", &mut |t| {
        t.steps.iter_mut().for_each(|s| s.payload = None)
    });
    part("narration texts", &mut |t| {
        t.steps
            .iter_mut()
            .for_each(|s| s.narration.text = String::new())
    });
    part("labels and summaries", &mut |t| {
        t.steps.iter_mut().for_each(|s| {
            s.label = String::new();
            s.summary = String::new();
        })
    });
    part("scheduler details", &mut |t| {
        t.steps.iter_mut().for_each(|s| s.detail = None)
    });
    // The keyspace at every step: full snapshots every CHECKPOINT_WRITES writing steps,
    // then each step's writes (keys and the values written, which the snapshots share).
    part("etcd checkpoints", &mut |t| {
        t.checkpoints = Vec::new();
        t.initial = Default::default();
    });
    part("etcd writes (keys, values)", &mut |t| {
        t.steps.iter_mut().for_each(|s| s.writes = Vec::new())
    });
    part("the rest (steps, kubectl)", &mut |t| *t = Trace::default());
}

fn main() {
    let filter: Option<String> = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-') && a != "bench");
    let cluster = Cluster::default();
    let mut cases: Vec<Case> = Vec::new();
    let second = Duration::from_secs(1);
    {
        let cluster = cluster.clone();
        cases.push(Case {
            name: "parse + simulate the nginx pod".into(),
            budget: second,
            run: Box::new(move || {
                std::sync::Arc::unwrap_or_clone(sim::simulate(scenarios::NGINX, &cluster, 42).trace)
            }),
        });
    }
    {
        // What the app does on each edit: the cluster was installed once, before.
        let cluster = cluster.clone();
        let installed = cluster.install();
        let scenario = scenarios::preset("nginx").expect("preset").scenario();
        cases.push(Case {
            name: "simulate the nginx pod, cluster installed once".into(),
            budget: second,
            run: Box::new(move || {
                sim::run_installed(&scenario, &cluster, &installed, 42, sim::DEFAULT_HORIZON_MS)
            }),
        });
    }
    {
        let cluster = cluster.clone();
        let manifest = sim::scenarios::scale::deployment_with_service(3);
        cases.push(Case {
            name: "3-replica Deployment + Service (3 nodes)".into(),
            budget: second,
            run: Box::new(move || {
                std::sync::Arc::unwrap_or_clone(sim::simulate(&manifest, &cluster, 42).trace)
            }),
        });
    }
    for id in ["crashloop", "image-not-found", "liveness"] {
        let cluster = cluster.clone();
        let scenario = scenarios::preset(id).expect("preset").scenario();
        cases.push(Case {
            name: format!("preset {id} (5 simulated minutes)"),
            budget: second,
            run: Box::new(move || sim::run(&scenario, &cluster, 42, sim::DEFAULT_HORIZON_MS)),
        });
    }
    // The largest runs count their steps without keeping them: their full trace would
    // not fit in memory (about a quarter of a MiB per pod).
    let count_only = sim::limits::Limits {
        max_steps: usize::MAX,
        keep_steps: false,
    };
    for (pods, nodes, budget) in [
        (100, 10, Duration::ZERO),
        (300, 30, Duration::ZERO),
        (1_000, 100, second),
        (1_000, 1_000, Duration::ZERO),
        (3_000, 100, Duration::ZERO),
        (3_000, 300, Duration::ZERO),
        (10_000, 1_000, Duration::ZERO),
        (30_000, 1_000, Duration::ZERO),
        (10_000, 5_000, Duration::ZERO),
        (150_000, 5_000, Duration::ZERO),
    ] {
        let cluster = sim::scenarios::scale::cluster(nodes);
        let scenario = sim::scenarios::scale::deployments(pods);
        let limits = if pods > 3_000 || std::env::var_os("PODFLOW_BENCH_COUNT_ONLY").is_some() {
            count_only
        } else {
            sim::limits::Limits::BROWSER
        };
        cases.push(Case {
            name: format!("{pods} pods (Deployments) on {nodes} nodes"),
            budget,
            run: Box::new(move || {
                let installed = cluster.install();
                sim::run_with(
                    &scenario,
                    &cluster,
                    &installed,
                    42,
                    sim::DEFAULT_HORIZON_MS,
                    limits,
                )
            }),
        });
    }
    for case in &cases {
        if filter
            .as_ref()
            .is_none_or(|f| case.name.contains(f.as_str()))
        {
            measure(case);
        }
    }
    if filter.is_none() {
        let (_, peak, _) = peak_of(|| cluster.install());
        let start = Instant::now();
        let mut runs = 0;
        while start.elapsed() < second {
            black_box(cluster.install());
            runs += 1;
        }
        println!(
            "{:<52} {:>10.3} ms  peak {:>9.2} MiB",
            "install the default cluster only",
            start.elapsed().as_secs_f64() * 1000.0 / runs as f64,
            mib(peak)
        );
    }
}
